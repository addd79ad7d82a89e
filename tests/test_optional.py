"""Optional inline fields (compactclass.kinds.optional): ``Optional[T]`` / ``T | None`` of number,
enum, ``Str[N]``/``Bytes[N]`` and time kinds, stored inline with a presence bit, in both modes.

Every behaviour is checked on the compiled class and on its fallback (the ``m`` fixture) and,
where a dataclass defines it, against a plain ``@dataclass`` twin; errors are compared message
for message between the modes.
"""
from __future__ import annotations

import copy
import dataclasses
import datetime
import gc
import os
import pickle
import sys

import pytest

import compactclass
from compactclass.kinds.optional import OptionalKind
from compactclass.kinds.objects import RefKind
from conftest import both_modes, build_consumer, fallback_of, outcome

np = pytest.importorskip("numpy")

SOURCE = """\
import datetime
import enum
from typing import Optional
from compactclass import Bytes, Str, compact, field, f32, f64, i8, i32, i64, u16


class Side(enum.IntEnum):
    BUY = 1
    SELL = 2


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


@compact(order=True)
class Quote:
    bid: Optional[f64] = None
    size: Optional[i32] = None
    venue: "u16 | None" = None


@compact
class Every:
    n: i8
    flag: Optional[bool] = None
    side: Optional[Side] = None
    color: Optional[Color] = None
    sym: Optional[Str[6]] = None
    raw: Optional[Bytes[4]] = None
    ts: Optional[datetime.datetime] = None
    day: Optional[datetime.date] = None
    gap: Optional[datetime.timedelta] = None
    small: Optional[f32] = None
    big: Optional[i64] = None


@compact
class Noted:
    n: i8
    note: Optional[str] = None          # a reference, not an inline optional


@compact
class Nine:
    a: Optional[i8] = None
    b: Optional[i8] = None
    c: Optional[i8] = None
    d: Optional[i8] = None
    e: Optional[i8] = None
    f: Optional[i8] = None
    g: Optional[i8] = None
    h: Optional[i8] = None
    i: Optional[i8] = 9


@compact(order=True)
class Deeper(Quote):
    level: Optional[i32] = None
    plain: i32 = 0


@compact(frozen=True)
class Leg:
    px: Optional[f64] = None
    tag: Optional[Str[4]] = None


@compact(frozen=True)
class Spread:
    near: Leg
    far: Leg = Leg()
    ratio: Optional[i32] = None


@compact(init=False)
class Blank:
    x: Optional[i32]
    s: Optional[Str[4]]
"""

NAMES = ("Quote", "Every", "Noted", "Nine", "Deeper", "Leg", "Spread", "Blank")


@pytest.fixture(scope="module")
def module(builder):
    built = builder.build(SOURCE, name="optional_fields")
    assert all(compactclass.is_compiled(getattr(built, n)) for n in NAMES)
    return built


@pytest.fixture(params=["compiled", "fallback"])
def m(request, module):
    pick = (lambda c: c) if request.param == "compiled" else fallback_of
    return type("Mode", (), {"compiled": request.param == "compiled", "module": module,
                             "Side": module.Side, "Color": module.Color,
                             **{n: pick(getattr(module, n)) for n in NAMES}})


def twin(cls):
    """A plain dataclass with the record's fields, options and defaults."""
    spec = cls.__compact__.spec
    fields = [(f.name, object, dataclasses.field(default=f.default)) for f in spec.fields]
    return dataclasses.make_dataclass(spec.name + "Twin", fields, order=spec.options.order,
                                      frozen=spec.options.frozen)


# --------------------------------------------------------------------------- storage

def test_values_are_inline_with_one_bitmap_byte(module):
    layout = compactclass.layout(module.Quote)
    rows = {s.field.name: (s.offset, s.size) for s in layout.slots}
    assert rows == {"bid": (16, 8), "size": (24, 4), "venue": (28, 2), "__cc_present__": (30, 1)}
    assert layout.instance_size == 32 and sys.getsizeof(module.Quote()) == 32
    assert not gc.is_tracked(module.Quote(1.0, 2, 3))
    assert module.Quote.Array().itemsize == 16
    kinds = {f.name: f.kind for f in module.Quote.__compact__.spec.fields}
    assert all(isinstance(k, OptionalKind) for k in kinds.values())
    assert [k.presence[1] for k in kinds.values()] == [1, 2, 4]
    assert kinds["venue"].name == "Optional[u16]"
    text = str(layout)
    assert "__cc_present__: presence bits (bid, size, venue)" in text


def test_str_reference_stays_a_reference(module):
    kind = module.Noted.__compact__.spec.field("note").kind
    assert isinstance(kind, RefKind) and not gc.is_tracked(module.Noted(1))


def test_nine_optional_fields_take_two_bytes(m):
    layout = compactclass.layout(m.module.Nine)
    bitmap = layout.slot("__cc_present__")
    assert bitmap.size == 2 and bitmap.offset == 16 + 9
    r = m.Nine()
    assert (r.a, r.i) == (None, 9)
    r.i = None
    r.h = 8
    assert (r.h, r.i) == (8, None)
    a = m.Nine.Array([r, m.Nine(a=1)])
    assert np.asarray(a).dtype["__cc_present__"] == np.dtype("S2")
    raw = a.tobytes()
    assert raw[9:11] == bytes([128, 0]) and raw[11 + 9:11 + 11] == bytes([1, 1])
    assert [(x.a, x.h, x.i) for x in a] == [(None, 8, None), (1, None, 9)]


def test_derived_class_has_its_own_bitmap(m):
    layout = compactclass.layout(m.module.Deeper)
    names = [s.field.name for s in layout.slots]
    assert names.count("__cc_present__") == 1 and "__cc_present2__" in names
    d = m.Deeper(1.5, None, 7, level=3)
    assert (d.bid, d.size, d.venue, d.level) == (1.5, None, 7, 3)
    d.level, d.size = None, 4
    assert (d.size, d.level) == (4, None)
    a = m.Deeper.Array([d, (None, 1, None, 2, 5)])
    assert [tuple(getattr(x, n) for n in ("bid", "size", "venue", "level", "plain"))
            for x in a] == [(1.5, 4, 7, None, 0), (None, 1, None, 2, 5)]
    assert list(a.level) == [None, 2]


# --------------------------------------------------------------------------- values

VALUES = {
    "flag": True, "side": 2, "color": "Color.GREEN", "sym": "abcdé", "raw": b"\x00ab",
    "ts": datetime.datetime(2026, 12, 2, 5, 6, 7, 8), "day": datetime.date(1999, 1, 2),
    "gap": datetime.timedelta(days=-3, microseconds=5), "small": 0.5, "big": -2 ** 63,
}


def _value(m, name):
    value = VALUES[name]
    return m.Color.GREEN if value == "Color.GREEN" else value


@pytest.mark.parametrize("name", sorted(VALUES))
def test_each_inner_kind_round_trips_and_clears(m, name):
    r = m.Every(1)
    assert getattr(r, name) is None
    value = _value(m, name)
    setattr(r, name, value)
    got = getattr(r, name)
    assert got == value and type(got) is type(value) or (name == "side" and got is m.Side.SELL)
    others = {n: getattr(r, n) for n in VALUES if n != name}
    assert all(v is None for v in others.values())
    setattr(r, name, None)
    assert getattr(r, name) is None
    assert r == m.Every(1)


BAD = [("flag", 1), ("side", 3), ("side", "x"), ("color", "red"), ("sym", "toolong!"),
       ("raw", b"12345"), ("ts", datetime.date(2020, 1, 1)),
       ("ts", datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))),
       ("small", 1e300), ("big", 2 ** 63), ("big", 1.0), ("day", "2020-01-01")]


@pytest.mark.parametrize("name,value", BAD)
def test_bad_values_raise_the_inner_kinds_error_and_change_nothing(module, name, value):
    results = []
    for cls in both_modes(module, "Every"):
        r = cls(1, **{name: _value(type("M", (), {"Color": module.Color}), name)})
        before = getattr(r, name)
        results.append(outcome(lambda: setattr(r, name, value)))
        assert getattr(r, name) == before           # value and presence bit kept
        cleared = cls(1)
        results.append(outcome(lambda: setattr(cleared, name, value)))
        assert getattr(cleared, name) is None
        results.append(outcome(lambda: cls(1, **{name: value})))
    assert results[0][0] != "ok" and f"Every.{name}" in results[0][1]
    assert results[:3] == results[3:]


def test_equality_ordering_and_hash_match_a_dataclass(m):
    D = twin(m.module.Quote)
    # (no NaN: a dataclass compares the same NaN object equal to itself, a C double cannot)
    samples = [(None, None, None), (1.0, None, None), (None, 1, None), (1.0, 1, 1),
               (1.0, 2, None), (2.0, None, 3), (-0.0, 0, 0), (0.0, 0, 0)]
    for x in samples:
        for y in samples:
            a, b = m.Quote(*x), m.Quote(*y)
            da, db = D(*x), D(*y)
            assert (a == b) == (da == db), (x, y)
            for op in ("__lt__", "__le__", "__gt__", "__ge__"):
                assert outcome(lambda: getattr(a, op)(b)) == outcome(
                    lambda: getattr(da, op)(db)), (op, x, y)
    for x in [(None, None), (1.5, None), (None, "ab"), (2.0, "cd")]:
        assert hash(m.Leg(*x)) == hash(twin(m.module.Leg)(*x))
    Leg = m.module.Leg                      # (a nested field holds the real class)
    assert hash(m.Spread(Leg(1.0), ratio=None)) == hash(m.Spread(Leg(1.0)))


def test_repr_pickle_copy_replace(m):
    q = m.Quote(None, 5)
    assert repr(q) == "Quote(bid=None, size=5, venue=None)"
    copies = [copy.copy(q), copy.deepcopy(q)]
    if m.compiled:                          # (a fallback class is not its module's attribute)
        copies.append(pickle.loads(pickle.dumps(q)))
    for other in copies:
        assert other == q and other.bid is None and other.size == 5
    r = compactclass.replace(q, bid=2.5, size=None) if hasattr(compactclass, "replace") else \
        dataclasses.replace(q, bid=2.5, size=None)
    assert (r.bid, r.size, r.venue) == (2.5, None, None)


def test_pickles_load_across_modes(module):
    compiled, fallback = both_modes(module, "Every")
    c = compiled(3, sym="x", ts=VALUES["ts"], big=5)
    f = pickle.loads(pickle.dumps(c))
    assert f == c
    a = compiled.Array([c, compiled(4)])
    fa = fallback.Array(list(fallback(x.n, sym=x.sym, ts=x.ts, big=x.big) for x in a))
    assert pickle.loads(pickle.dumps(a)).tobytes() == fa.tobytes() == a.tobytes()


def test_init_false_and_zeros_read_as_none(m):
    b = m.Blank()
    assert (b.x, b.s) == (None, None)
    z = m.Quote.Array.zeros(3)
    assert list(z) == [m.Quote()] * 3 and list(z.size) == [None] * 3


def test_a_set_bit_over_an_enum_code_without_member_is_none_everywhere(module):
    """Code 0 of an enum that has no member of code 0 reads as None with the bit set too
    (a buffer can hold that): such a record equals the record holding None, in both modes."""
    for cls in both_modes(module, "Every"):
        raw = bytearray(cls.Array([cls(1)]).tobytes())
        at = cls.Array([cls(1)]).__array__().dtype.fields["__cc_present__"][1]
        raw[at] |= 2                                 # side's bit (Side has no code 0)
        a = cls.Array.frombuffer(bytes(raw))
        assert a[0].side is None and list(a.side) == [None]
        assert a[0] == cls(1) and not a[0] != cls(1)
        assert a.count(cls(1)) == 1 and a == cls.Array([cls(1)])


# --------------------------------------------------------------------------- arrays

def test_array_items_and_columns_keep_the_bits(m):
    a = m.Quote.Array([(1.0, None, 7), m.Quote(None, 2)])
    assert list(a.bid) == [1.0, None] and list(a.size) == [None, 2]
    a.size[0] = 9
    a.bid[0] = None
    a.venue[1:] = [3]
    assert [(x.bid, x.size, x.venue) for x in a] == [(None, 9, 7), (None, 2, 3)]
    a.size[:] = [None, None]
    assert list(a.size) == [None, None]
    with pytest.raises(OverflowError, match="Quote.venue"):
        a.venue[0:2] = [1, -1]
    assert list(a.venue) == [7, 3]           # nothing half-written
    a[1] = (None, None, None)
    assert a[1] == m.Quote()
    assert a.count(m.Quote()) == 1 and a.index(m.Quote()) == 1


def test_the_bitmap_is_no_column(m):
    a = m.Deeper.Array([m.Deeper(1.5, level=2)])
    for name in ("__cc_present__", "__cc_present2__"):
        with pytest.raises(AttributeError, match=f"Deeper has no field '{name}'"):
            a.column(name)

def test_numpy_sees_values_and_the_bitmap(m):
    a = m.Quote.Array([(1.5, None, 7), (None, 3, None)])
    view = np.asarray(a)
    assert view.dtype.names == ("bid", "size", "venue", "__cc_present__")
    assert view["bid"].tolist() == [1.5, 0.0] and view["size"].tolist() == [0, 3]
    assert view["__cc_present__"].tolist() == [0b101, 0b010]
    del view
    again = m.Quote.Array.frombuffer(np.asarray(a).copy())
    assert list(again) == list(a)


def test_buffers_are_validated_as_the_inner_kind_in_both_modes(module):
    results = []
    for cls in both_modes(module, "Every"):
        raw = bytearray(cls.Array([cls(1)]).tobytes())
        offset = cls.Array([cls(1)]).__array__().dtype.fields["flag"][1]
        raw[offset] = 2                              # not a bool byte, although absent
        results.append(outcome(lambda: cls.Array.frombuffer(bytes(raw))))
    assert results[0] == results[1] and results[0][0] == "ValueError"
    assert "flag" in results[0][1]


def test_nested_record_with_optional_fields(m):
    Leg = m.module.Leg                      # (a nested field holds the real class)
    s = m.Spread(Leg(None, "ab"), ratio=3)
    assert (s.near.px, s.near.tag, s.far.px, s.far.tag, s.ratio) == (None, "ab", None, None, 3)
    a = m.Spread.Array([s, (Leg(2.0), Leg(None, "z"), None)])
    assert a[1].near == Leg(2.0) and a[1].far.tag == "z" and a[1].ratio is None
    assert list(a.ratio) == [3, None]
    if m.compiled:
        assert pickle.loads(pickle.dumps(a)) == a
    view = np.asarray(a)
    assert view.dtype["near"].names == ("px", "tag", "__cc_present__")


def test_optional_nested_record_is_refused(builder):
    source = ("from typing import Optional\nfrom compactclass import compact, i32\n"
              "@compact(frozen=True)\nclass Pt:\n    x: i32 = 0\n"
              "@compact\nclass Bad:\n    p: Optional[Pt] = None\n")
    with pytest.raises(TypeError, match=r"'p'.*Optional\[Pt\].*not supported"):
        builder.build(source, compile=False)


# --------------------------------------------------------------------------- generated code

CONSUMER = """\
# cython: language_level=3
from optional_fields_compact cimport Quote, QuoteArray, QuoteArray_len, QuoteArray_at

def present_sizes(QuoteArray a):
    cdef Py_ssize_t i
    cdef long total = 0
    for i in range(QuoteArray_len(a)):
        if QuoteArray_at(a, i).__cc_present__ & 2:
            total += QuoteArray_at(a, i).size
    return total

def clear_size(Quote q):
    q.__cc_present__ &= ~2
"""


def test_cython_reads_values_and_bits(module, tmp_path):
    folder = os.path.dirname(module.__file__)
    pxd = open(os.path.join(folder, "optional_fields_compact.pxd")).read()
    assert "#   size: __cc_present__ & 2" in pxd
    reader = build_consumer("optional_reader", CONSUMER, folder, tmp_path)
    a = module.Quote.Array([(None, 5, None), (None, None, None), (1.0, 7, 1)])
    assert reader.present_sizes(a) == 12
    q = module.Quote(None, 4)
    reader.clear_size(q)
    assert q.size is None


def test_stub_says_optional(module):
    folder = os.path.dirname(module.__file__)
    stub = open(os.path.join(folder, "optional_fields_compact.pyi")).read()
    assert "bid: typing.Optional[float]" in stub and "venue: typing.Optional[int]" in stub
    assert "import optional_fields as _cc_enum_optional_fields" in stub
    assert "side: typing.Optional[_cc_enum_optional_fields.Side]" in stub
    assert stub.count("import typing\n") == 1
