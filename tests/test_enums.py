"""Enum fields (compactclass.kinds.enums), in both modes.

Every behaviour is checked on the compiled class and on its fallback (the ``m`` fixture), and
against a plain ``@dataclass`` twin where a dataclass defines it; errors are compared message
for message between the modes.
"""
from __future__ import annotations

import copy
import dataclasses
import enum
import gc
import os
import pickle
import subprocess
import sys
import warnings

import pytest

import compactclass
from compactclass import _records
from compactclass.kinds import enums as enum_kinds
from compactclass.pickling import restore_v1
from conftest import both_modes, build_consumer, fallback_of, outcome

np = pytest.importorskip("numpy")

SOURCE = """\
import enum
from compactclass import compact, field, i32


class Side(enum.IntEnum):
    BUY = 1
    SELL = 2


class Other(enum.IntEnum):
    BUY = 1                 # equal to Side.BUY as an int, but no Side


class Perm(enum.IntFlag):
    R = 4
    W = 2
    X = 1


class Mode(enum.Flag):
    READ = 1
    WRITE = 2
    BOTH = 3                # a member that is a combination


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"
    CRIMSON = "red"         # an alias of RED


class Level(enum.Enum):     # int values: stored as the values (i64)
    LOW = -1000
    HIGH = 2 ** 40


class Huge(enum.Enum):      # beyond i64: u64
    ONE = 1
    TOP = 2 ** 64 - 1


class Tiny(enum.IntEnum):
    LO = -3
    HI = 100


class Byte(enum.IntEnum):
    ZERO = 0
    MAX = 255


class Short(enum.IntEnum):
    LO = -200
    HI = 30000


class Word16(enum.IntEnum):
    HI = 40000


class Int(enum.IntEnum):
    LO = -70000


class Unsigned(enum.IntEnum):
    HI = 2 ** 32 - 1


class Wide(enum.IntFlag):   # combinations too many to list: looked up, not indexed
    A = 1
    B = 2 ** 40


@compact(order=True)
class Order:
    side: Side
    qty: i32 = 0
    perm: Perm = Perm.R
    color: Color = Color.RED


@compact
class Flags:
    mode: Mode
    level: Level = Level.LOW
    huge: Huge = Huge.ONE
    side: Side = 2          # a default given as the int value


@compact(frozen=True)
class FrozenOrder:
    side: Side
    color: Color = Color.GREEN


@compact(order=True)
class Painted:
    color: Color
    n: i32 = 0


@compact(order=True)
class Child(Order):
    level: Level = Level.HIGH


@compact(init=False)
class Blank:
    side: Side
    color: Color


@compact
class Sizes:
    tiny: Tiny = Tiny.LO
    byte: Byte = Byte.ZERO
    short: Short = Short.LO
    word: Word16 = Word16.HI
    int_: Int = Int.LO
    unsigned: Unsigned = Unsigned.HI
    level: Level = Level.LOW
    huge: Huge = Huge.ONE
    wide: Wide = Wide.A
"""

NAMES = ("Order", "Flags", "FrozenOrder", "Painted", "Child", "Blank", "Sizes")


@pytest.fixture(scope="module")
def module(builder):
    built = builder.build(SOURCE, name="enum_fields")
    assert all(compactclass.is_compiled(getattr(built, n)) for n in NAMES)
    return built


@pytest.fixture(params=["compiled", "fallback"])
def m(request, module):
    pick = (lambda c: c) if request.param == "compiled" else fallback_of
    enums = {n: getattr(module, n) for n in ("Side", "Other", "Perm", "Mode", "Color", "Level",
                                             "Huge")}
    return type("Mode", (), {"compiled": request.param == "compiled", "module": module,
                             **enums, **{n: pick(getattr(module, n)) for n in NAMES}})


# --------------------------------------------------------------------------- storage

def test_each_enum_is_stored_in_the_smallest_integer(module):
    kinds = {s.field.name: s.field.kind for s in compactclass.layout(module.Sizes).slots}
    assert {name: k.c_type for name, k in kinds.items()} == {
        "tiny": "int8_t", "byte": "uint8_t", "short": "int16_t", "word": "uint16_t",
        "int_": "int32_t", "unsigned": "uint32_t", "level": "int64_t", "huge": "uint64_t",
        "wide": "int64_t"}
    order = {s.field.name: (s.field.kind.c_type, s.size) for s in
             compactclass.layout(module.Order).slots}
    assert order == {"side": ("int8_t", 1), "qty": ("int32_t", 4), "perm": ("int8_t", 1),
                     "color": ("int8_t", 1)}
    assert compactclass.layout(module.Flags).slot("mode").field.kind.c_type == "int8_t"
    assert compactclass.layout(module.Order).instance_size == 24      # 16 + 4 + 3 bytes


def test_the_kind_is_named_after_the_enum(module):
    spec = module.Order.__compact__.spec
    assert spec.signature_text == "side:Side,qty:i32,perm:Perm,color:Color"
    kind = spec.field("side").kind
    assert kind is enum_kinds.kind_of(module.Side)      # one kind per enum class
    assert kind.ident.startswith("enum_Side_") and kind.ident.isidentifier()
    assert "BUY" in kind.canonical and "enum_fields.Side" in kind.canonical


def test_changing_the_enum_changes_the_schema():
    class Side(enum.IntEnum):
        BUY = 1
        SELL = 2

    first = enum_kinds.kind_of(Side)

    class Side(enum.IntEnum):           # noqa: F811 (the same enum, one member more)
        BUY = 1
        SELL = 2
        HOLD = 3

    assert enum_kinds.kind_of(Side).canonical != first.canonical
    assert enum_kinds.kind_of(Side).ident != first.ident


def test_cli_layout_shows_the_kind(module, capsys):
    from compactclass.cli import main
    assert main(["layout", f"{module.__name__}:Order"]) == 0
    out = capsys.readouterr().out
    assert "      20     1    0  int8_t    side: Side" in out
    assert "      22     1    0  int8_t    color: Color" in out


# --------------------------------------------------------------------------- values

def test_reads_give_the_member_itself(m):
    o = m.Order(m.Side.BUY, 3)
    assert o.side is m.Side.BUY and o.perm is m.Perm.R and o.color is m.Color.RED
    assert m.Order(2).side is m.Side.SELL                   # an IntEnum takes its int value
    assert m.Order(1, color=m.Color.CRIMSON).color is m.Color.RED       # an alias
    f = m.Flags(m.Mode.READ | m.Mode.WRITE)
    assert f.mode is m.Mode.BOTH and f.level is m.Level.LOW and f.huge is m.Huge.ONE
    assert f.side is m.Side.SELL                            # default given as 2
    assert m.Flags(m.Mode(0)).mode == m.Mode(0)
    f.level, f.huge = m.Level.HIGH, m.Huge.TOP
    assert (f.level, f.huge) == (m.Level.HIGH, m.Huge.TOP)
    sizes = m.Sizes()
    assert [type(v).__name__ for v in dataclasses.astuple(sizes)] == [
        "Tiny", "Byte", "Short", "Word16", "Int", "Unsigned", "Level", "Huge", "Wide"]
    assert dataclasses.astuple(sizes) == dataclasses.astuple(m.Sizes(*(
        type(v)(v.value) for v in dataclasses.astuple(sizes))))
    assert sizes.huge is m.Huge.ONE and m.Sizes(huge=m.Huge.TOP).huge is m.Huge.TOP
    wide = m.module.Wide
    sizes.wide = wide.A | wide.B
    assert sizes.wide == wide.A | wide.B and sizes.wide == 2 ** 40 + 1
    sizes.short = -200
    assert sizes.short is m.module.Short.LO


def test_flag_combinations(m):
    o = m.Order(1, perm=m.Perm.R | m.Perm.X)
    assert o.perm == m.Perm.R | m.Perm.X and o.perm == 5
    o.perm = 7                                              # an IntFlag takes ints too
    assert o.perm == m.Perm.R | m.Perm.W | m.Perm.X and isinstance(o.perm, m.Perm)
    o.perm = 0
    assert o.perm == m.Perm(0)
    f = m.Flags(m.Mode.READ)
    f.mode = m.Mode.WRITE
    assert f.mode is m.Mode.WRITE


def test_writes_and_defaults(m):
    o = m.Order(m.Side.SELL)
    assert (o.qty, o.perm, o.color) == (0, m.Perm.R, m.Color.RED)
    o.side, o.color = 1, m.Color.BLUE
    assert o.side is m.Side.BUY and o.color is m.Color.BLUE
    c = m.Child(2, 5)
    assert c.level is m.Level.HIGH and c.side is m.Side.SELL and c.qty == 5
    c.level = m.Level.LOW
    assert c.level is m.Level.LOW


BAD_VALUES = [
    # (field, value, exception type, words of the message)
    ("side", "Other.BUY", ValueError, ["Order.side", "Other.BUY is not a Side", "Side.BUY"]),
    ("side", "Color.RED", ValueError, ["Order.side", "Color.RED is not a Side"]),
    ("side", "7", ValueError, ["Order.side", "7 is not the value of a Side member",
                               "Side.BUY = 1", "Side.SELL = 2"]),
    ("side", "0", ValueError, ["Order.side", "0 is not"]),
    ("side", "'BUY'", TypeError, ["Order.side", "str", "Side"]),
    ("side", "True", TypeError, ["Order.side", "bool"]),
    ("side", "1.0", TypeError, ["Order.side", "float"]),
    ("side", "None", TypeError, ["Order.side", "None"]),
    ("perm", "8", ValueError, ["Order.perm", "combination", "Perm.R = 4"]),
    ("perm", "-1", ValueError, ["Order.perm", "-1"]),
    ("perm", "Perm(8)", ValueError, ["Order.perm", "bits"]),
    ("perm", "Mode.READ", ValueError, ["Order.perm", "Mode.READ is not a Perm"]),
    ("color", "'red'", TypeError, ["Order.color", "a Color member", "str"]),
    ("color", "0", TypeError, ["Order.color", "int"]),
    ("qty", "Side.BUY", None, []),          # (an i32 field takes an IntEnum, as an int)
]


def test_bad_values_raise_the_same_errors_in_both_modes(module):
    ns = vars(module)
    for field_name, text, exc_type, words in BAD_VALUES:
        results = []
        for Order in both_modes(module, "Order"):
            value = eval(text, ns)
            o = Order(1)
            before = dataclasses.astuple(o)
            results.append(outcome(lambda: setattr(o, field_name, value)))
            if exc_type is not None:
                assert dataclasses.astuple(o) == before, text       # unchanged
                # the generic attribute path (a name that is not interned) and the constructor
                assert outcome(lambda: setattr(o, "".join(list(field_name)), value)) == \
                    results[-1]
                assert outcome(lambda: Order(**{"side": 1, field_name: value})) == results[-1]
                assert dataclasses.astuple(o) == before
        assert results[0] == results[1], text
        kind, message = results[0]
        if exc_type is None:
            assert kind == "ok", results
            continue
        assert kind == exc_type.__name__, (text, results[0])
        for word in words:
            assert word in message, (word, message)


def test_error_messages_list_a_few_members():
    class Many(enum.IntEnum):
        A = 1
        B = 2
        C = 3
        D = 4
        E = 5
        F = 6

    kind = enum_kinds.kind_of(Many)
    with pytest.raises(ValueError) as info:
        kind.convert("R.x", 9)
    q = Many.__qualname__           # (the enum's qualified name: test_...<locals>.Many)
    assert str(info.value) == (f"R.x: 9 is not the value of a {q} member ({q}.A = 1, "
                               f"{q}.B = 2, {q}.C = 3, {q}.D = 4, ... (6 members))")


def test_frozen(m):
    f = m.FrozenOrder(m.Side.BUY)
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.side = m.Side.SELL
    assert f.side is m.Side.BUY and f.color is m.Color.GREEN
    assert hash(f) == hash((m.Side.BUY, m.Color.GREEN))
    assert hash(f) == hash(m.FrozenOrder(1, m.Color.GREEN))


def test_repr_matches_a_dataclass(m):
    twin = dataclasses.make_dataclass("Order", [
        ("side", m.Side), ("qty", int, dataclasses.field(default=0)),
        ("perm", m.Perm, dataclasses.field(default=m.Perm.R)),
        ("color", m.Color, dataclasses.field(default=m.Color.RED))], order=True)
    for args in [(1,), (m.Side.SELL, 2, m.Perm.R | m.Perm.W, m.Color.BLUE), (1, 0, 0)]:
        o = m.Order(*args)
        expected = twin(o.side, o.qty, o.perm, o.color)
        assert repr(o) == repr(expected)


def _compare_all(make, twin, values):
    for a in values:
        for b in values:
            for op in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"):
                expected = outcome(lambda: getattr(twin(*a), op)(twin(*b)))
                got = outcome(lambda: getattr(make(*a), op)(make(*b)))
                assert got == expected, (a, b, op)


def test_int_enums_order_as_ints(m):
    twin = dataclasses.make_dataclass("Order", [
        ("side", m.Side), ("qty", int), ("perm", m.Perm), ("color", m.Color)], order=True)
    s, p, c = m.Side, m.Perm, m.Color
    values = [(s.BUY, 1, p.R, c.RED), (s.SELL, 0, p.R, c.RED), (s.BUY, 1, p.X, c.RED),
              (s.BUY, 1, p.R | p.W, c.RED), (s.BUY, 1, p.R, c.GREEN), (s.BUY, 1, p.R, c.RED)]
    _compare_all(m.Order, twin, values)
    assert m.Order(s.BUY) < m.Order(s.SELL) and m.Order(1, perm=p.X) < m.Order(1, perm=p.W)
    assert m.Child(1, level=m.Level.LOW) != m.Child(1) and m.Child(1) < m.Child(2)
    with pytest.raises(TypeError, match="'<' not supported between instances of 'Level'"):
        m.Child(1, level=m.Level.LOW) < m.Child(1)


def test_plain_enums_are_only_equal_or_not(m):
    twin = dataclasses.make_dataclass("Painted", [("color", m.Color), ("n", int)], order=True)
    values = [(m.Color.RED, 0), (m.Color.GREEN, 0), (m.Color.RED, 1)]
    _compare_all(m.Painted, twin, values)
    with pytest.raises(TypeError, match="'<' not supported between instances of 'Color' and "
                                        "'Color'"):
        m.Painted(m.Color.RED) < m.Painted(m.Color.GREEN)
    assert m.Painted(m.Color.RED, 1) > m.Painted(m.Color.RED, 0)    # equal colours: n decides


def test_hash_is_the_members(m):
    o = m.FrozenOrder(m.Side.SELL, m.Color.BLUE)
    assert hash(o) == hash((m.Side.SELL, m.Color.BLUE))
    assert len({m.FrozenOrder(1), m.FrozenOrder(m.Side.BUY), m.FrozenOrder(2)}) == 2


def test_copies_pickles_and_dataclass_functions(m):
    o = m.Order(m.Side.SELL, 4, m.Perm.R | m.Perm.W, m.Color.BLUE)
    for duplicate in (copy.copy(o), copy.deepcopy(o)):
        assert duplicate == o and duplicate.side is m.Side.SELL
        assert duplicate.color is m.Color.BLUE
    if m.compiled:          # (a fallback class is not its module's attribute)
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            loaded = pickle.loads(pickle.dumps(o, protocol))
            assert loaded == o and loaded.color is m.Color.BLUE
    assert dataclasses.astuple(o) == (m.Side.SELL, 4, m.Perm.R | m.Perm.W, m.Color.BLUE)
    assert dataclasses.asdict(o)["color"] is m.Color.BLUE
    r = dataclasses.replace(o, side=1, color=m.Color.RED)
    assert (r.side, r.color, o.side) == (m.Side.BUY, m.Color.RED, m.Side.SELL)
    with pytest.raises(ValueError, match="Order.color: Side.BUY is not a Color"):
        dataclasses.replace(o, color=m.Side.BUY)
    assert o.color is m.Color.BLUE


def test_pickles_load_across_modes(module, builder):
    compiled, fallback = both_modes(module, "Order")
    o = compiled(2, 3, 6, module.Color.GREEN)
    restore, (cls, signature, values) = o.__reduce__()
    assert restore(fallback, signature, values) == fallback(2, 3, 6, module.Color.GREEN)
    f = fallback(2, 3, 6, module.Color.GREEN)
    assert restore_v1(compiled, *f.__reduce__()[1][1:]) == o
    # a pickle written by the compiled class, loaded by a process without the build, and back
    script = ("import pickle, sys, compactclass, enum_fields as e\n"
              "assert not compactclass.is_compiled(e.Order)\n"
              "o = pickle.loads(sys.stdin.buffer.read())\n"
              "assert o == e.Order(2, 3, 6, e.Color.GREEN) and o.color is e.Color.GREEN\n"
              "a = pickle.loads(pickle.dumps(e.Order.Array([o, (1, 0, 1, e.Color.BLUE)])))\n"
              "sys.stdout.buffer.write(pickle.dumps((o, a)))\n")
    env = {**os.environ, "COMPACTCLASS_PURE": "1",
           "PYTHONPATH": os.pathsep.join([str(builder.folder), *sys.path])}
    blob = pickle.dumps(o)
    proc = subprocess.run([sys.executable, "-c", script], input=blob, capture_output=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    back, array = pickle.loads(proc.stdout)
    assert type(back) is compiled and back == o
    assert type(array) is compiled.Array and array[1].color is module.Color.BLUE


def test_a_pickle_holding_a_wrong_value_is_refused(m):
    restore, (cls, signature, values) = m.Order(1).__reduce__()
    with pytest.raises(ValueError, match="Order.side: 9 is not the value of a Side member"):
        restore(cls, signature, (9,) + values[1:])
    with pytest.raises(TypeError, match="Order.color"):
        restore(cls, signature, values[:3] + ("red",))


def test_a_compiled_record_is_small_and_untracked(module):
    o = module.Order(1)
    assert sys.getsizeof(o) == 24 and not gc.is_tracked(o)
    assert sys.getsizeof(module.Flags(module.Mode.READ)) == 40      # 16 + 8 + 8 + 1 + 1
    assert not gc.is_tracked(module.Child(1))
    assert _records.arena_stats(module.Order)["live_blocks"] >= 1


def test_the_zero_is_the_member_of_code_0_or_none(module):
    zeros = {f.name: f.kind.zero for f in module.Flags.__compact__.spec.fields}
    assert zeros == {"mode": module.Mode(0), "level": None, "huge": None, "side": None}
    assert enum_kinds.kind_of(module.Color).zero is module.Color.RED       # index 0


def test_a_record_without_init_starts_at_the_zero(m):
    b = m.Blank()
    assert b.side is None and b.color is m.Color.RED
    b.side = m.Side.SELL
    assert b.side is m.Side.SELL


# --------------------------------------------------------------------------- arrays

def test_array_items_columns_and_numpy(m):
    a = m.Order.Array([m.Order(1, 2), (2, 3, m.Perm.R | m.Perm.X, m.Color.BLUE)])
    a.append((m.Side.BUY, 4, 0, m.Color.GREEN))
    assert a[1] == m.Order(2, 3, 5, m.Color.BLUE) and a[1].side is m.Side.SELL
    assert a[2].color is m.Color.GREEN and a[2].perm == m.Perm(0)
    a[0] = (2, 9, 1, m.Color.BLUE)
    assert a[0].side is m.Side.SELL and a[0].qty == 9
    assert a.side.tolist() == [m.Side.SELL, m.Side.SELL, m.Side.BUY]
    assert all(x is y for x, y in zip(a.color.tolist(), [m.Color.BLUE, m.Color.BLUE,
                                                         m.Color.GREEN]))
    a.side[2] = m.Side.SELL
    a.color[0] = m.Color.RED
    a.perm[1] = 7
    assert (a[2].side, a[0].color, a[1].perm) == (m.Side.SELL, m.Color.RED, m.Perm(7))
    view = np.asarray(a)
    assert view.dtype.fields["side"][0] == np.dtype("i1")
    assert view.dtype.fields["color"][0] == np.dtype("i1")
    assert view["side"].tolist() == [2, 2, 2]
    assert view["color"].tolist() == [0, 2, 1]                   # definition order
    assert view["perm"].tolist() == [1, 7, 0]
    assert np.asarray(a.qty).tolist() == [9, 3, 4]
    assert a.index((2, 3, 7, m.Color.BLUE)) == 1 and a.count(m.Order(2, 4, 0, m.Color.GREEN)) == 1
    # a value no record can hold is in no array
    assert (m.Other.BUY, 9, 1, m.Color.BLUE) not in a and a.count((7, 0, 0, m.Color.RED)) == 0
    with pytest.raises(ValueError, match="Order.Array"):
        a.index((m.Color.RED, 0, 0, m.Color.RED))


def test_array_writes_are_checked(m):
    a = m.Order.Array([(1, 0, 0, m.Color.RED)])
    before = a.tobytes()
    for write, exc_type in [(lambda: a.append((m.Other.BUY, 0, 0, m.Color.RED)), ValueError),
                            (lambda: a.__setitem__(0, (1, 0, 8, m.Color.RED)), ValueError),
                            (lambda: a.side.__setitem__(0, 3), ValueError),
                            (lambda: a.color.__setitem__(0, "red"), TypeError),
                            (lambda: a.extend([(2, 0, 0, m.Color.RED), (1, 0, 0, 5)]),
                             TypeError)]:
        with pytest.raises(exc_type):
            write()
        assert a.tobytes() == before and len(a) == 1


def test_array_errors_agree_between_modes(module):
    results = []
    for Order in both_modes(module, "Order"):
        a = Order.Array([(1, 0, 0, module.Color.RED)])
        results.append([outcome(lambda: a.append((module.Color.RED, 0, 0, module.Color.RED))),
                        outcome(lambda: a.side.__setitem__(0, 9)),
                        outcome(lambda: a.color.__setitem__(0, 0))])
    assert results[0] == results[1]
    assert results[0][1] == ("ValueError", "Order.side: 9 is not the value of a Side member "
                                           "(Side.BUY = 1, Side.SELL = 2)")


def test_arrays_hold_the_same_bytes_in_both_modes(module):
    rows = [(1, 2, 6, module.Color.BLUE), (module.Side.SELL, -1, 0, module.Color.CRIMSON)]
    compiled, fallback = both_modes(module, "Order")
    assert compiled.Array(rows).tobytes() == fallback.Array(rows).tobytes()
    flags = [(module.Mode.BOTH, module.Level.HIGH, module.Huge.TOP, 1)]
    c, f = both_modes(module, "Flags")
    assert c.Array(flags).tobytes() == f.Array(flags).tobytes()
    assert np.asarray(c.Array(flags))["huge"].tolist() == [2 ** 64 - 1]
    assert np.asarray(f.Array(flags))["level"].tolist() == [2 ** 40]


def test_frombuffer_refuses_a_code_no_member_has(m):
    good = np.asarray(m.Order.Array([(1, 0, 0, m.Color.RED), (2, 0, 0, m.Color.RED)])).copy()
    assert m.Order.Array.frombuffer(good)[1].side is m.Side.SELL
    for field_name, code, member in [("side", 3, "Side"), ("color", 3, "Color"),
                                     ("perm", 8, "Perm"), ("color", -1, "Color")]:
        bad = good.copy()
        bad[field_name][1] = code
        with pytest.raises(ValueError) as info:
            m.Order.Array.frombuffer(bad)
        message = str(info.value)
        assert "Order.Array" in message and f"record 1 holds code {code} in field " \
            f"'{field_name}'" in message and member in message, message


def test_zeros_read_as_the_zero_and_round_trip(m):
    z = m.Flags.Array.zeros(2)
    assert z[0].mode == m.Mode(0) and z[0].level is None and z[0].huge is None
    assert z.side.tolist() == [None, None]
    assert repr(z[0]) == "Flags(mode=<Mode: 0>, level=None, huge=None, side=None)"
    restore, args = z.__reduce__()[:2]
    assert restore(*args).tobytes() == z.tobytes()
    assert m.Flags.Array.frombuffer(z.tobytes()).tobytes() == bytes(z.tobytes())
    z.append(z[0])                                          # a record holding the zero
    assert len(z) == 3 and z[2].level is None
    with pytest.raises(TypeError, match="Flags.level"):
        z[0].level = None                                   # ... which is no value to write


def test_a_code_written_through_a_buffer_is_refused_when_read(m):
    a = m.Order.Array([(1, 0, 0, m.Color.RED)])
    np.asarray(a)["side"][0] = 5
    with pytest.raises(ValueError, match="stored code 5 is no Side member's code"):
        a[0].side
    with pytest.raises(ValueError, match="stored code 5"):
        a.side.tolist()
    blob = pickle.dumps(a) if m.compiled else None
    if blob is not None:            # the pickle keeps the code, and its load refuses it
        with pytest.raises(ValueError, match="record 0 holds code 5 in field 'side'"):
            pickle.loads(blob)


def test_array_pickles(m):
    a = m.Order.Array([(1, 2, 6, m.Color.BLUE), (2, 0, 0, m.Color.RED)])
    if m.compiled:
        loaded = pickle.loads(pickle.dumps(a))
        assert loaded == a and loaded[0].color is m.Color.BLUE
    restore, args = a.__reduce__()[:2]
    assert restore(*args) == a
    assert copy.copy(a) == a and copy.deepcopy(a)[0] == a[0]


def test_array_pickles_load_across_modes(module):
    compiled, fallback = both_modes(module, "Order")
    rows = [(1, 2, 6, module.Color.BLUE), (2, 0, 0, module.Color.RED)]
    restore, (_, header, payload) = compiled.Array(rows).__reduce__()[:2]
    assert list(restore(fallback, header, payload)) == list(fallback.Array(rows))
    restore, (_, header, payload) = fallback.Array(rows).__reduce__()[:2]
    assert restore(compiled, header, payload) == compiled.Array(rows)


# --------------------------------------------------------------------------- Cython

CONSUMER = """
# cython: language_level=3
from enum_fields_compact cimport Order, OrderArray, Order_item, OrderArray_at, OrderArray_len

def side_code(Order o):
    return o.side                   # the stored int8_t

def set_side_code(Order o, signed char code):
    o.side = code

def total_sides(OrderArray a):
    cdef Py_ssize_t i
    cdef long total = 0
    for i in range(OrderArray_len(a)):
        total += OrderArray_at(a, i).side + OrderArray_at(a, i).color
    return total
"""


def test_cython_reads_the_code(module, tmp_path):
    folder = os.path.dirname(module.__file__)
    pxd = open(os.path.join(folder, "enum_fields_compact.pxd")).read()
    assert "cdef int8_t side" in pxd and "cdef uint64_t huge" in pxd
    stub = open(os.path.join(folder, "enum_fields_compact.pyi")).read()
    assert "    side: _cc_enum_enum_fields.Side" in stub     # type checkers see the enum class
    assert "import enum_fields as _cc_enum_enum_fields" in stub
    enum_reader = build_consumer("enum_reader", CONSUMER, folder, tmp_path)
    o = module.Order(module.Side.SELL, color=module.Color.BLUE)
    assert enum_reader.side_code(o) == 2
    enum_reader.set_side_code(o, 1)
    assert o.side is module.Side.BUY
    a = module.Order.Array([(2, 0, 0, module.Color.BLUE), (1, 0, 0, module.Color.GREEN)])
    assert enum_reader.total_sides(a) == 2 + 2 + 1 + 1
    enum_reader.set_side_code(o, 9)        # C code may write any code: reading refuses it
    with pytest.raises(ValueError, match="stored code 9"):
        o.side


# --------------------------------------------------------------------------- hostile

@pytest.mark.parametrize("junk", [None, object(), {}, [], 3, "s"])
def test_junk_bound_in_place_of_the_tables_is_an_error_not_a_crash(module, junk):
    kind = module.Order.__compact__.spec.field("side").kind
    names = list(kind.bound_objects())
    bind = module.Order.__compact__.module._cc_bind_objects
    o = module.Order(1)
    try:
        for name in names:
            bind({name: junk})
            for action in (lambda: o.side, lambda: setattr(o, "side", 2),
                           lambda: setattr(o, "side", module.Color.RED), lambda: repr(o),
                           lambda: module.Order.Array([o]).side.tolist()):
                try:
                    action()
                except Exception:       # noqa: BLE001 (any error, never a crash)
                    pass
            bind(kind.bound_objects())
    finally:
        bind(kind.bound_objects())
    # tables that lie give wrong codes at worst, range-checked before they are stored
    o.side = 1
    try:
        bind({f"_cc_{kind.ident}_pairs": (module.Side.BUY, 1000),
              f"_cc_{kind.ident}_by_code": ("not a member",)})
        with pytest.raises(OverflowError, match="Order.side"):
            o.side = module.Side.BUY
        assert o.side == "not a member"
    finally:
        bind(kind.bound_objects())
    assert module.Order(1).side is module.Side.BUY


# --------------------------------------------------------------------------- declarations

def test_declaration_errors(builder):
    cases = [
        ("class E(enum.Enum):\n    pass\n", "field 'x'", "no members", TypeError),
        ("class E(enum.IntEnum):\n    A = 2 ** 64\n    B = -1\n", "field 'x'", "64-bit",
         TypeError),
        ("class E(enum.IntFlag):\n    A = 2 ** 64\n", "field 'x'", "64-bit", TypeError),
    ]
    for number, (enum_source, *words, exc_type) in enumerate(cases):
        source = (f"import enum\nfrom compactclass import compact\n{enum_source}\n"
                  f"@compact\nclass Bad:\n    x: E\n")
        with pytest.raises(compactclass.DeclarationError) as info:
            builder.build(source, name=f"enum_bad_{number}", compile=False)
        assert isinstance(info.value, exc_type)
        for word in words:
            assert word in str(info.value), (word, str(info.value))


def test_bad_defaults_are_declaration_errors(builder):
    source = ("import enum\nfrom compactclass import compact\n"
              "class E(enum.IntEnum):\n    A = 1\n"
              "class F(enum.Enum):\n    A = 1\n"
              "@compact\nclass Bad:\n    x: E = {default}\n")
    for number, (default, exc_type, words) in enumerate([
            ("F.A", ValueError, ["field 'x'", "F.A is not a E"]),
            ("5", ValueError, ["field 'x'", "5 is not the value"]),
            ("'A'", TypeError, ["field 'x'", "str"])]):
        with pytest.raises(exc_type) as info:
            builder.build(source.format(default=default), name=f"enum_bad_default_{number}",
                          compile=False)
        assert isinstance(info.value, compactclass.DeclarationError)
        for word in words:
            assert word in str(info.value), (word, str(info.value))
