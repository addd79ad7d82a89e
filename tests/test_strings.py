"""Str[N] and Bytes[N] fields, as users use them, in the compiled class and its fallback.

Every behaviour is checked in both modes and the two must agree (values, errors and their
messages, repr, ==, ordering, hash, pickles, copies, arrays, NumPy views), and against a
``@dataclass(slots=True)`` twin where the values it holds are the same. One declaration module
is built for the whole file.
"""
from __future__ import annotations

import copy
import dataclasses
import gc
import os
import pickle
import subprocess
import sys
from typing import Annotated, get_args

import pytest
from hypothesis import given, settings, strategies as st

import compactclass
from compactclass import Bytes, Str
from compactclass.kinds import kind_named
from compactclass.kinds.strings import BytesKind, StrKind
from compactclass.layout import compute_layout
from conftest import build_consumer, fallback_of

np = pytest.importorskip("numpy")

DECLARATION = '''
from compactclass import compact, field, Str, Bytes, i32, f64, u8


@compact
class Name:
    s: Str[8]


@compact
class Blob:
    b: Bytes[16]


@compact(order=True)
class Trade:
    symbol: Str[8]
    price: f64
    qty: i32 = 0
    tag: Bytes[4] = b"-"
    side: Str[1] = ""


@compact(frozen=True)
class Key:
    name: Str[3]
    raw: Bytes[1] = b"k"


@compact
class Big:
    text: Str[65535] = ""
    n: u8 = 0


@compact(order=True)
class Base:
    a: Str[2] = ""


@compact(order=True)
class Child(Base):
    b: Bytes[5] = b""
    c: i32 = 0
'''

RECORDS = ("Name", "Blob", "Trade", "Key", "Big", "Base", "Child")


@pytest.fixture(scope="module")
def built(builder):
    module = builder.build(DECLARATION, name="strings_decl")
    for name in RECORDS:
        assert compactclass.is_compiled(getattr(module, name)), name
    return module


@pytest.fixture(scope="module")
def modes(built):
    """{record name: (compiled class, fallback class)}."""
    return {name: (getattr(built, name), fallback_of(getattr(built, name))) for name in RECORDS}


def outcome(thunk):
    """What thunk gives: ("ok", value) or ("raises", type, message)."""
    try:
        return ("ok", thunk())
    except Exception as exc:          # noqa: BLE001 -- the outcome is what is compared
        return ("raises", type(exc), str(exc))


def agree(classes, action):
    """action(cls) in both modes: the outcomes must be equal; the compiled one is returned."""
    found = [outcome(lambda: action(cls)) for cls in classes]
    assert found[0] == found[1], found
    return found[0]


def round_trip(obj):
    """obj pickled and loaded: the fallback classes are not their module's attributes (the
    compiled ones are), so their pickles are loaded from __reduce__ directly."""
    if compactclass.is_compiled(getattr(obj, "record", type(obj))):
        return pickle.loads(pickle.dumps(obj))
    restore, args = obj.__reduce__()[:2]
    return restore(*args)


class MyStr(str):
    def __str__(self):
        return "not me"


class MyBytes(bytes):
    def __bytes__(self):
        return b"not me"


# ----------------------------------------------------------------------------- the API

def test_annotations_are_annotated_str_and_bytes():
    s8, b16 = Str[8], Bytes[16]
    assert s8.__origin__ is str and b16.__origin__ is bytes
    (kind,) = s8.__metadata__
    assert isinstance(kind, StrKind) and isinstance(b16.__metadata__[0], BytesKind)
    assert get_args(s8) == (str, kind)
    assert Str[8].__metadata__[0] is kind and s8 == Annotated[str, kind]   # one kind per N
    assert Str[9].__metadata__[0] is not kind
    assert (kind.name, kind.ident, kind.size, kind.align) == ("Str[8]", "str8", 8, 1)
    assert (kind.struct_code, kind.numpy_code, kind.c_type) == ("8s", "S8", "char[8]")
    assert (b16.__metadata__[0].name, b16.__metadata__[0].ident) == ("Bytes[16]", "bytes16")
    assert kind.bytes_equal and kind.plain_data
    assert kind_named("Str[8]") is kind and kind_named("Bytes[16]") is b16.__metadata__[0]
    assert kind.c_declaration('s "cc_f_s"') == 'char s "cc_f_s"[8]'
    assert Str[1].__metadata__[0].size == 1 and Bytes[65535].__metadata__[0].size == 65535


@pytest.mark.parametrize("size,exc_type", [
    (0, ValueError), (65536, ValueError), (-1, ValueError), ("8", TypeError),
    (8.0, TypeError), (True, TypeError), (None, TypeError)])
@pytest.mark.parametrize("family", [Str, Bytes])
def test_bad_sizes_are_declaration_errors(family, size, exc_type):
    with pytest.raises(exc_type) as info:
        family[size]
    assert isinstance(info.value, compactclass.DeclarationError)
    assert f"{family.__name__}[" in str(info.value) and "65535" in str(info.value)


def test_the_types_are_not_instantiated():
    with pytest.raises(TypeError, match=r"Str\[N\]"):
        Str("x")
    with pytest.raises(TypeError, match=r"Bytes\[N\] or Annotated\[bytes, Bytes\(N\)\]"):
        Bytes()
    with pytest.raises(TypeError, match=r"Str\[N\]"):
        Str(8, 9)


def test_the_annotated_spelling_is_the_same_field_type():
    """Annotated[str, Str(8)] (what type checkers read as str) is Str[8]."""
    assert Annotated[str, Str(8)] == Str[8] and Annotated[bytes, Bytes(4)] == Bytes[4]
    assert Str(8) is Str(8) and Str(8) is not Bytes(8)

    @compactclass.compact
    class Tagged:
        a: Annotated[str, Str(8)] = "x"
        b: Annotated[bytes, Bytes(4)] = b""

    assert [(f.name, f.kind.name) for f in Tagged.__compact__.spec.fields] == \
        [("a", "Str[8]"), ("b", "Bytes[4]")]
    with pytest.raises(ValueError, match="Tagged.a"):
        Tagged("123456789")


# ----------------------------------------------------------------------------- values

STR_VALUES = ["", "a", "AAPL", "12345678", "a\0b", "\0\0\0x", "é", "€uro", "ab€de", "😀",
              "日本"]          # 0 to 8 bytes of UTF-8, embedded NULs
BYTES_VALUES = [b"", b"\x01", b"\0x", b"\xff" * 16, bytes(range(1, 17)), b"a\0\0b"]


def test_values_read_back_exactly(modes):
    for value in STR_VALUES:
        result = agree(modes["Name"], lambda cls: cls(value).s)
        assert result == ("ok", value) and type(result[1]) is str
    for value in BYTES_VALUES:
        result = agree(modes["Blob"], lambda cls: cls(value).b)
        assert result == ("ok", value) and type(result[1]) is bytes


def test_writes_read_back_and_replace_the_whole_field(modes):
    for cls in modes["Name"]:
        n = cls("12345678")
        for value in ("ab", "", "€", "x\0y", "abcdefgh", "z"):
            n.s = value
            assert n.s == value
        setattr(n, "".join(["s"]), "generic")            # the generic attribute path
        assert n.s == "generic"
    for cls in modes["Blob"]:
        b = cls(b"\xff" * 16)
        b.b = b"\x01"
        assert b.b == b"\x01"


def test_subclasses_are_stored_and_read_back_as_plain_values(modes):
    assert agree(modes["Name"], lambda cls: type(cls(MyStr("ab")).s)) == ("ok", str)
    assert agree(modes["Name"], lambda cls: cls(MyStr("ab")).s) == ("ok", "ab")
    assert agree(modes["Blob"], lambda cls: type(cls(MyBytes(b"ab")).b)) == ("ok", bytes)
    assert agree(modes["Blob"], lambda cls: cls(MyBytes(b"ab")).b) == ("ok", b"ab")


BAD_STR = [  # (value, exception type, words)
    (b"ab", TypeError, ["Name.s", "a str", "Str[8]", "bytes"]),
    (bytearray(b"ab"), TypeError, ["Name.s", "bytearray"]),
    (None, TypeError, ["Name.s", "NoneType"]),
    (8, TypeError, ["Name.s", "int"]),
    ("123456789", ValueError, ["Name.s", "9 bytes", "Str[8]", "8 bytes"]),
    ("1234567é", ValueError, ["Name.s", "9 bytes", "Str[8]"]),          # 2-byte char crosses
    ("€€€", ValueError, ["Name.s", "9 bytes"]),
    ("ab\0", ValueError, ["Name.s", "trailing NUL bytes cannot be stored",
                          "Str/Bytes fields pad with NUL"]),
    ("\0", ValueError, ["Name.s", "NUL"]),
    ("a\ud800", ValueError, ["Name.s", "UTF-8", "surrogates"]),
]
BAD_BYTES = [
    ("ab", TypeError, ["Blob.b", "a bytes object", "Bytes[16]", "str"]),
    (bytearray(b"ab"), TypeError, ["Blob.b", "bytearray"]),
    (memoryview(b"ab"), TypeError, ["Blob.b", "memoryview"]),
    (None, TypeError, ["Blob.b", "NoneType"]),
    (b"x" * 17, ValueError, ["Blob.b", "17 bytes", "Bytes[16]", "16 bytes"]),
    (b"\0", ValueError, ["Blob.b", "trailing NUL"]),
    (b"ab\0", ValueError, ["Blob.b", "trailing NUL"]),
]


@pytest.mark.parametrize("record,field,good,case",
                         [("Name", "s", "keep", c) for c in BAD_STR] +
                         [("Blob", "b", b"keep", c) for c in BAD_BYTES],
                         ids=[f"str-{i}" for i in range(len(BAD_STR))] +
                             [f"bytes-{i}" for i in range(len(BAD_BYTES))])
def test_bad_values_raise_the_same_error_and_change_nothing(modes, record, field, good, case):
    value, exc_type, words = case
    classes = modes[record]
    result = agree(classes, lambda cls: cls(value))
    assert result[0] == "raises" and issubclass(result[1], exc_type), result
    for word in words:
        assert word in result[2], (word, result[2])

    def failed_write(cls):
        obj = cls(good)
        try:
            setattr(obj, field, value)
        except exc_type as exc:
            return str(exc), getattr(obj, field)
        return None
    message, kept = agree(classes, failed_write)[1]
    assert message == result[2] and kept == good
    assert agree(classes, lambda cls: cls.__compact__.restore((value,)))[:2] == result[:2]


def test_too_long_values_name_the_class_field_length_and_size(modes):
    assert agree(modes["Trade"], lambda cls: cls("ABCDEFGHIJ", 1.0)) == (
        "raises", ValueError,
        "Trade.symbol: 'ABCDEFGHIJ' is 10 bytes of UTF-8, longer than Str[8] holds (8 bytes)")
    assert agree(modes["Trade"], lambda cls: cls("A", 1.0, side="é"))[2] == (
        "Trade.side: 'é' is 2 bytes of UTF-8, longer than Str[1] holds (1 bytes)")
    assert agree(modes["Key"], lambda cls: cls("k", b"ab"))[2] == (
        "Key.raw: b'ab' is 2 bytes, longer than Bytes[1] holds (1 bytes)")


def test_sizes_one_and_the_largest(modes):
    assert agree(modes["Trade"], lambda cls: cls("A", 1.0, side="s").side) == ("ok", "s")
    assert agree(modes["Key"], lambda cls: cls("abc", b"\xff").raw) == ("ok", b"\xff")
    text = "é" * 32767 + "x"                                      # 65535 bytes
    assert agree(modes["Big"], lambda cls: cls(text, 3).text == text) == ("ok", True)
    assert agree(modes["Big"], lambda cls: cls(text + "y"))[2].startswith("Big.text: ")
    assert "65536 bytes of UTF-8, longer than Str[65535]" in \
        agree(modes["Big"], lambda cls: cls(text + "y"))[2]


def test_defaults_frozen_and_inheritance(modes):
    assert agree(modes["Trade"], lambda cls: dataclasses.astuple(cls("X", 2.0))) == \
        ("ok", ("X", 2.0, 0, b"-", ""))
    assert agree(modes["Big"], lambda cls: (cls().text, cls().n)) == ("ok", ("", 0))
    for cls in modes["Key"]:
        k = cls("abc")
        with pytest.raises(dataclasses.FrozenInstanceError):
            k.name = "x"
        assert k == cls("abc", b"k") and hash(k) == hash(("abc", b"k"))
    assert agree(modes["Child"], lambda cls: repr(cls("ab", b"x\0y", 3))) == \
        ("ok", "Child(a='ab', b=b'x\\x00y', c=3)")
    assert agree(modes["Child"], lambda cls: cls("abc"))[2].startswith("Child.a: 'abc' is 3")


def test_repr_asdict_astuple_replace_match_a_dataclass(modes):
    @dataclasses.dataclass(slots=True, order=True)
    class Trade:
        symbol: str
        price: float
        qty: int = 0
        tag: bytes = b"-"
        side: str = ""

    args = ("é\0x", 1.5, 3, b"\x00\xff", "B")
    twin = Trade(*args)
    for cls in modes["Trade"]:
        t = cls(*args)
        assert repr(t) == repr(twin).replace("test_repr_asdict_astuple_replace_match_a_"
                                             "dataclass.<locals>.", "")
        assert dataclasses.asdict(t) == dataclasses.asdict(twin)
        assert dataclasses.astuple(t) == dataclasses.astuple(twin)
        r = dataclasses.replace(t, symbol="Z", tag=b"")
        assert (r.symbol, r.tag, t.symbol) == ("Z", b"", "é\0x")
        with pytest.raises(ValueError, match="Trade.symbol"):
            dataclasses.replace(t, symbol="123456789")
        assert t.symbol == "é\0x"


text8 = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8).filter(
    lambda s: len(s.encode()) <= 8 and not s.endswith("\0"))
bytes4 = st.binary(max_size=4).filter(lambda b: not b.endswith(b"\0"))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(text8, bytes4, st.sampled_from(["", "a", "b", "Z"])), min_size=2,
                max_size=6))
def test_equality_ordering_and_hash_are_the_python_values(modes, rows):
    values = [(symbol, 1.0, 0, tag, side) for symbol, tag, side in rows]
    expected = sorted(range(len(values)), key=lambda i: values[i])
    for cls in modes["Trade"]:
        records = [cls(*v) for v in values]
        assert sorted(range(len(records)), key=lambda i: records[i]) == expected
        for i, a in enumerate(records):
            for j, b in enumerate(records):
                va, vb = values[i], values[j]
                assert (a == b, a < b, a <= b, a > b, a >= b) == \
                    (va == vb, va < vb, va <= vb, va > vb, va >= vb)
    for cls in modes["Key"]:
        for symbol, tag, _ in rows:
            if len(symbol.encode()) <= 3 and len(tag) <= 1:
                assert hash(cls(symbol, tag)) == hash((symbol, tag))
    for cls in modes["Child"]:
        for (s1, b1, _), (s2, b2, _) in zip(rows, rows[1:]):
            if len(s1.encode()) <= 2 and len(s2.encode()) <= 2:
                assert (cls(s1, b1) < cls(s2, b2)) == ((s1, b1) < (s2, b2))


def test_pickles_and_copies_in_and_across_modes(modes):
    values = ("€uro", 2.5, 7, b"\0\x01", "S")
    for cls, other in (modes["Trade"], modes["Trade"][::-1]):
        t = cls(*values)
        if cls is modes["Trade"][0]:    # (the fallback class is not the module's Trade)
            for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
                back = pickle.loads(pickle.dumps(t, protocol))
                assert back == t and dataclasses.astuple(back) == values
        assert copy.copy(t) == t and copy.deepcopy(t) == t
        restore, (_, signature, state) = t.__reduce__()
        assert signature == "symbol:Str[8],price:f64,qty:i32,tag:Bytes[4],side:Str[1]"
        assert restore(other, signature, state) == other(*values)       # the other mode
        with pytest.raises(ValueError, match="Trade.symbol"):
            restore(cls, signature, ("123456789", *values[1:]))
        with pytest.raises(TypeError, match="Trade.tag"):
            restore(cls, signature, (*values[:3], "str", "S"))


def test_compiled_size_and_gc(modes):
    for name in RECORDS:
        compiled = modes[name][0]
        layout = compute_layout(compiled.__compact__.spec)
        obj = compiled() if name in ("Big", "Base", "Child") else \
            compiled(*{"Name": ("a",), "Blob": (b"a",), "Trade": ("a", 1.0),
                       "Key": ("a",)}[name])
        assert sys.getsizeof(obj) == layout.instance_size == \
            (16 + layout.payload + 7) // 8 * 8
        assert not gc.is_tracked(obj) and not hasattr(obj, "__dict__")
    assert sys.getsizeof(modes["Name"][0]("abc")) == 24         # 16 + 8
    assert sys.getsizeof(modes["Trade"][0]("a", 1.0)) == 48     # 16 + 8 + 4 + 8 + 4 + 1 (+7)
    assert sys.getsizeof(modes["Big"][0]()) == 16 + 65536


# ----------------------------------------------------------------------------- arrays

def row(symbol, price=1.0, qty=0, tag=b"-", side=""):
    """A tuple of every Trade field value (what an array takes besides records)."""
    return symbol, price, qty, tag, side


def test_array_list_api(modes):
    results = []
    for cls in modes["Trade"]:
        a = cls.Array([cls("AAPL", 1.0), row("MSFT", 2.0, 3, b"x", "B")])
        a.append(row("€", 3.0))
        a.extend([row("a\0b", 4.0, 0, b"\0\x01"), cls("Z", 5.0)])
        a.insert(0, row("first", 0.5))
        a[1] = row("IBM", 1.5)
        assert a[1] == cls("IBM", 1.5) and a[-1].symbol == "Z"
        a[2:4] = [row("s1", 1.0), row("s2", 2.0), row("s3", 3.0)]
        assert [r.symbol for r in a[::2]] == ["first", "s1", "s3", "Z"]
        del a[0]
        assert a.index(row("s2", 2.0)) == 2 and a.count(cls("s3", 3.0)) == 1
        assert row("Z", 5.0) in a and cls("Z", 5.0) in a
        assert a.pop().symbol == "Z"
        with pytest.raises(ValueError, match="Trade.symbol"):
            a.append(row("123456789", 1.0))
        with pytest.raises(ValueError, match="Trade.symbol"):
            a.extend([row("ok", 1.0), row("é" * 5, 1.0)])     # all or nothing
        with pytest.raises(TypeError, match="Trade.tag"):
            a[0] = row("x", 1.0, 0, "str")
        results.append((repr(a), a.tobytes(), [dataclasses.astuple(r) for r in a]))
    assert results[0] == results[1]


def test_array_columns(modes):
    results = []
    for cls in modes["Trade"]:
        a = cls.Array([row("AAPL", 1.0), row("MSFT", 2.0)])
        assert a.symbol[0] == "AAPL" and a.symbol[:] == ["AAPL", "MSFT"]
        a.symbol[0] = "€"
        a.tag[1] = b"\xff\0\x01"
        a.symbol[0:2] = ["x", "y\0z"]
        assert a.symbol.tolist() == ["x", "y\0z"] and a.tag.tolist() == [b"-", b"\xff\0\x01"]
        before = a.tobytes()
        for write, exc_type in ((lambda: a.symbol.__setitem__(0, "123456789"), ValueError),
                                (lambda: a.symbol.__setitem__(1, b"b"), TypeError),
                                (lambda: a.tag.__setitem__(0, b"a\0"), ValueError),
                                (lambda: a.symbol.__setitem__(slice(0, 2), ["ok", "ab\0"]),
                                 ValueError)):
            with pytest.raises(exc_type, match=r"Trade\.(symbol|tag)"):
                write()
            assert a.tobytes() == before
        results.append((repr(a.symbol), repr(a.tag), a.tobytes()))
    assert results[0] == results[1]


def test_numpy_views(modes):
    views = []
    for cls in modes["Trade"]:
        a = cls.Array([row("AAPL", 1.0, 1, b"t"), row("日本", 2.0, 2, b"\0u")])
        view = np.asarray(a)
        assert view.dtype.fields["symbol"][0] == np.dtype("S8")
        assert view.dtype.fields["tag"][0] == np.dtype("S4")
        assert view.dtype.fields["side"][0] == np.dtype("S1")
        assert view["symbol"].tolist() == [b"AAPL", "日本".encode()]        # the UTF-8 bytes
        symbols = np.asarray(a.symbol)
        assert symbols.dtype == np.dtype("S8") and symbols.tolist() == [b"AAPL", "日本".encode()]
        assert np.asarray(a.tag).tolist() == [b"t", b"\0u"]
        symbols[0] = b"GOOG"                                  # writes go into the records
        assert a[0].symbol == "GOOG"
        del view, symbols
        views.append(a.tobytes())
    assert views[0] == views[1]


def test_frombuffer_round_trip_and_refusal(modes):
    compiled, pure = modes["Trade"]
    rows = [("AAPL", 1.0, 1, b"t", "B"), ("€", 2.0, 2, b"", "")]
    for cls in (compiled, pure):
        a = cls.Array(rows)
        for source in (np.asarray(a), a.tobytes(), np.asarray(a).copy()):
            b = cls.Array.frombuffer(source)
            assert [dataclasses.astuple(r) for r in b] == rows
        other = (pure if cls is compiled else compiled).Array.frombuffer(a.tobytes())
        assert [dataclasses.astuple(r) for r in other] == rows
    good = compiled.Array(rows).tobytes()
    offset = compute_layout(compiled.__compact__.spec).item_offsets()["symbol"]
    size = len(good) // 2
    for bad_symbol in (b"\xff", b"a\xc3", b"\xed\xa0\x80", b"\xc0\x80", b"\xf4\x90\x80\x80"):
        raw = bytearray(good)
        raw[size + offset:size + offset + 8] = bad_symbol.ljust(8, b"\0")
        messages = []
        for cls in (compiled, pure):
            with pytest.raises(ValueError) as info:
                cls.Array.frombuffer(bytes(raw))
            messages.append(str(info.value))
        assert messages[0] == messages[1]
        assert "record 1" in messages[0] and "'symbol'" in messages[0] and \
            "not UTF-8" in messages[0] and "Trade.Array" in messages[0]
    # Bytes fields take every byte pattern
    blob = bytes(range(256)) * 4
    for cls in modes["Blob"]:
        b = cls.Array.frombuffer(blob[:16 * 8])
        assert b[1].b == bytes(range(16, 32))


def test_array_pickles_in_and_across_modes(modes):
    compiled, pure = modes["Trade"]
    rows = [("AAPL", 1.0, 1, b"t", "B"), ("€\0x", 2.0, 2, b"\0y", "")]
    for cls, other in ((compiled, pure), (pure, compiled)):
        a = cls.Array(rows)
        assert [dataclasses.astuple(r) for r in round_trip(a)] == rows
        restore, args = a.__reduce__()[:2]
        back = restore(other, *args[1:])
        assert [dataclasses.astuple(r) for r in back] == rows
        assert copy.deepcopy(a) == a


# 8 bytes made of UTF-8 characters, pieces of them, near misses and random bytes
field_bytes = st.lists(st.one_of(
    st.binary(max_size=2),
    st.characters().map(lambda c: c.encode("utf-8", "surrogatepass")),
    st.characters().map(lambda c: c.encode("utf-8", "surrogatepass")[:-1]),
    st.sampled_from([b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe0\x80\x80", b"\xc0\xaf",
                     b"\xf0\x90\x80", b"\xf5\x80\x80\x80", b"\xef\xbf\xbf", b"\0"])),
    max_size=8).map(lambda parts: b"".join(parts)[:8].ljust(8, b"\0"))


@settings(max_examples=300, deadline=None)
@given(field_bytes)
def test_bytes_written_through_a_buffer_read_the_same_everywhere(modes, raw):
    """Any 8 bytes written into a Str[8] field through NumPy: each read path and mode gives
    one value (the bytes that form UTF-8 characters, without trailing NULs), frombuffer accepts
    them exactly when they are UTF-8, and the array pickles as that value."""
    stripped = raw.rstrip(b"\0")
    expected = stripped.decode("utf-8", "ignore").rstrip("\0")
    try:
        stripped.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    seen = []
    for cls in modes["Name"]:
        a = cls.Array([("x",), ("y",)])
        np.asarray(a).view(np.uint8)[8:16] = np.frombuffer(raw, np.uint8)
        assert a.tobytes()[8:] == raw
        reads = (a.s[1], a[1].s, list(a)[1].s, a.s.tolist()[1], repr(a))
        assert reads[:4] == (expected,) * 4, reads
        assert round_trip(a)[1].s == expected
        result = outcome(lambda: cls.Array.frombuffer(a.tobytes())[1].s)
        assert (result[0] == "ok") == valid and (not valid or result[1] == expected)
        seen.append((reads, result))
    assert seen[0] == seen[1]


def test_arrays_of_the_largest_size(modes):
    text = "€" * 21845                                          # 65535 bytes
    rows = []
    for cls in modes["Big"]:
        a = cls.Array([(text, 1), ("", 2)])
        a.text[1] = "x"
        assert a[0].text == text and a.text[1] == "x" and a.itemsize == 65536
        assert np.asarray(a.text).dtype == np.dtype("S65535")
        rows.append(a.tobytes())
    assert rows[0] == rows[1]


# ----------------------------------------------------------------------------- Cython, CLI

CONSUMER = """
# cython: language_level=3
from libc.string cimport memcpy, memset
from strings_decl_compact cimport Trade, TradeArray, Trade_item, TradeArray_at, TradeArray_len

def symbol_chars(Trade t):
    return t.symbol[:8]                   # the char array, padding included

def first_bytes(TradeArray a):
    cdef Py_ssize_t i
    return [<unsigned char>TradeArray_at(a, i).symbol[0] for i in range(TradeArray_len(a))]

def set_symbol(Trade t, bytes value):
    cdef Py_ssize_t n = len(value)
    memcpy(t.symbol, <char *>value, n)
    memset(t.symbol + n, 0, 8 - n)
"""


def test_cython_reads_the_char_array(built, tmp_path):
    pxd = open(os.path.join(os.path.dirname(built.__file__), "strings_decl_compact.pxd")).read()
    assert 'char symbol "cc_f_symbol"[8]' in pxd and 'char side "cc_f_side"[1]' in pxd
    strings_consumer = build_consumer("strings_consumer", CONSUMER,
                                      os.path.dirname(built.__file__), tmp_path)
    t = built.Trade("€ab", 1.0)
    assert strings_consumer.symbol_chars(t) == "€ab".encode().ljust(8, b"\0")
    a = built.Trade.Array([row("AAPL"), row("€")])
    assert strings_consumer.first_bytes(a) == [ord("A"), 0xE2]
    strings_consumer.set_symbol(t, b"xyz")
    assert t.symbol == "xyz"


def test_layout_command_shows_the_kind(built):
    folder = os.path.dirname(built.__file__)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([folder, *sys.path])}
    proc = subprocess.run([sys.executable, "-m", "compactclass", "layout", "strings_decl:Trade"],
                          capture_output=True, text=True, env=env, cwd=folder, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "char[8]   symbol" in proc.stdout and "char[4]   tag" in proc.stdout
    assert "char[1]   side" in proc.stdout
    assert "48 bytes per instance" in proc.stdout
