"""Nested records: a field whose annotation is a frozen, plain-data compact record stores it
inline (compactclass.kinds.records), in both modes; any other record is an object field.

Every behaviour is checked on the compiled classes and on their fallbacks, which must agree;
the inner records come from the same module as the outer ones and from another module.
"""
from __future__ import annotations

import copy
import dataclasses
import gc
import math
import os
import pickle
import subprocess
import sys

import pytest

import compactclass
from compactclass import _records

from conftest import build_consumer, fallback_of

np = pytest.importorskip("numpy")

INNER = """\
from compactclass import compact, i32, u8, f64

@compact(frozen=True, order=True)
class Point:
    x: i32
    y: i32

@compact(frozen=True, order=True)
class Point3(Point):
    z: i32 = 0

@compact(frozen=True)
class Sample:                   # == and hash, no ordering
    w: f64
    flag: bool = False
    tag: u8 = 0
"""

OUTER = """\
from compactclass import compact, field, i32, i64, u8, f32
from nested_inner import Point, Sample

@compact(frozen=True, order=True)
class Local:                    # an inner record of this very module
    a: i32
    b: f32 = 0.0

@compact(frozen=True, order=True)
class Segment:                  # two levels: it holds Points
    start: Point
    end: Point = Point(0, 0)

@compact(order=True)
class Body:
    pos: Point
    seg: Segment = Segment(Point(0, 0))
    local: Local = field(default_factory=lambda: Local(7))
    sample: Sample = Sample(0.5)
    n: i64 = 0

@compact(frozen=True, order=True)
class Frozen:
    local: Local
    n: u8 = 0

@compact(order=True)
class Derived(Body):
    extra: Local = Local(1)

@compact(frozen=True, eq=False)
class Ident:
    x: i32

@compact
class HoldsIdent:
    who: Ident

@compact
class Mutable:                  # not frozen: not inlined
    x: i32
    y: i32 = 0

@compact
class Holder:
    ref: Mutable
    n: i32 = 0

HOOKS = []                      # what Sly.__eq__ runs first


@compact(frozen=True)
class Sly:                      # an __eq__ of its own
    x: i32

    def __eq__(self, other):
        while HOOKS:
            HOOKS.pop()()
        return type(other) is type(self) and self.x == other.x

@compact
class HoldsSly:
    sly: Sly
    n: i32 = 0

@compact(frozen=True)
class Named:                    # frozen, but holds a reference: not inlined either
    name: str

@compact
class Tagged:
    tag: Named
"""


@pytest.fixture(scope="module")
def built(builder):
    inner = builder.build(INNER, name="nested_inner")
    outer = builder.build(OUTER, name="nested_outer")
    assert compactclass.is_compiled(inner.Point) and compactclass.is_compiled(outer.Body)
    return type("Built", (), {"inner": inner, "outer": outer})


# The records fields take (an inner record's own class, compiled, in both modes: a field of
# the fallback Body takes what a field of the compiled Body takes) and the outer records, whose
# compiled class and fallback are compared. Segment is both: SegmentOuter is its mode's class.
INNER_NAMES = ("Point", "Point3", "Sample")
VALUE_NAMES = ("Local", "Segment", "Ident", "Mutable")
OUTER_NAMES = ("Body", "Frozen", "Derived", "HoldsIdent", "Holder")


def _mode(built, name, pick):
    return type("Mode", (), {"name": name,
                             **{n: getattr(built.inner, n) for n in INNER_NAMES},
                             **{n: getattr(built.outer, n) for n in VALUE_NAMES},
                             **{n: pick(getattr(built.outer, n)) for n in OUTER_NAMES},
                             "SegmentOuter": pick(built.outer.Segment)})


@pytest.fixture(params=["compiled", "fallback"])
def mode(request, built):
    pick = (lambda cls: cls) if request.param == "compiled" else fallback_of
    return _mode(built, request.param, pick)


def both(built):
    return [_mode(built, "compiled", lambda cls: cls), _mode(built, "fallback", fallback_of)]


def outcome(thunk):
    """What a call gives, for comparing the modes: ("ok", repr) or (exception type, message)."""
    try:
        return "ok", repr(thunk())
    except Exception as exc:                # noqa: BLE001 - any outcome is compared
        return type(exc).__name__, str(exc)


# ============================================================================ storage

def test_the_payload_is_inline(built):
    Body, Point = built.outer.Body, built.inner.Point
    layout = compactclass.layout(Body)
    sizes = {s.field.name: s.size for s in layout.slots}
    assert sizes == {"pos": 8, "seg": 16, "local": 8, "sample": 16, "n": 8}
    b = Body(Point(1, 2))
    assert sys.getsizeof(b) == 16 + 56 == layout.instance_size
    assert not gc.is_tracked(b) and not gc.is_tracked(built.outer.Frozen(built.outer.Local(1)))
    assert Body.__compact__.spec.plain_data and Body.__compact__.spec.gc_free
    assert _records.arena_stats(Body) is not None           # from the GC-free arena
    assert Body.Array.zeros(3).itemsize == 56


def test_the_schema_of_the_inner_record_is_part_of_the_outer_one(built):
    kind = built.outer.Body.__compact__.spec.field("pos").kind
    assert built.inner.Point.__compact__.spec.schema_hash() in kind.canonical
    assert built.outer.Body.__compact__.spec.signature_text == \
        "pos:Point,seg:Segment,local:Local,sample:Sample,n:i64"


def test_layout_command_shows_the_nested_fields(built):
    folder = os.path.dirname(built.outer.__file__)
    result = subprocess.run([sys.executable, "-m", "compactclass", "layout", "nested_outer:Body"],
                            capture_output=True, text=True, cwd=folder,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert result.returncode == 0, result.stderr
    rows = {line.split()[4].rstrip(":"): line.split()[:4] + line.split()[5:]
            for line in result.stdout.splitlines()[2:] if len(line.split()) == 6}
    assert rows["seg"] == ["48", "16", "0", "Segment_item", "Segment"]
    assert rows["pos"] == ["40", "8", "0", "Point_item", "Point"]
    assert rows["sample"][:2] == ["16", "16"]
    assert result.stdout.splitlines()[1].split() == ["offset", "size", "pad", "C", "type",
                                                     "field:", "kind"]
    assert "72 bytes per instance" in result.stdout


# ============================================================================ values

def test_construction_reads_and_defaults(mode):
    P, Local = mode.Point, mode.Local
    b = mode.Body(P(1, 2))
    assert (b.pos, b.seg, b.local, b.sample, b.n) == \
        (P(1, 2), mode.Segment(P(0, 0), P(0, 0)), Local(7, 0.0), mode.Sample(0.5), 0)
    assert type(b.pos) is P and type(b.local) is Local
    assert b.seg.end.y == 0 and b.local.a == 7
    s = mode.SegmentOuter(P(1, 2), P(3, 4))
    assert (s.start.x, s.end.y) == (1, 4) and repr(s) == \
        "Segment(start=Point(x=1, y=2), end=Point(x=3, y=4))"
    assert mode.SegmentOuter(P(1, 2)).end == P(0, 0)
    assert mode.Body(P(0, 0), local=Local(3, 1.5)).local == Local(3, 1.5)
    assert repr(b) == ("Body(pos=Point(x=1, y=2), seg=Segment(start=Point(x=0, y=0), "
                       "end=Point(x=0, y=0)), local=Local(a=7, b=0.0), "
                       "sample=Sample(w=0.5, flag=False, tag=0), n=0)")


def test_reads_are_values(built, mode):
    b = mode.Body(mode.Point(1, 2))
    assert b.pos == b.pos
    if mode.name == "compiled":
        assert b.pos is not b.pos                           # a new record per read
    with pytest.raises(dataclasses.FrozenInstanceError):
        b.pos.x = 5                                         # never a silent change of a copy
    assert b.pos == mode.Point(1, 2)


def test_writes_take_records_only(mode):
    P = mode.Point
    b = mode.Body(P(1, 2))
    b.pos = P(5, 6)
    b.seg = mode.Segment(P(1, 1), P(2, 2))
    assert (b.pos, b.seg.end) == (P(5, 6), P(2, 2))
    b.pos = mode.Point3(7, 8, 9)                            # a subclass instance: stored as a Point
    assert type(b.pos) is P and b.pos == P(7, 8)
    before = repr(b)
    for bad in [(1, 2), [1, 2], None, 3, mode.Local(1), fallback_of(P)(1, 2)]:
        with pytest.raises(TypeError) as info:
            b.pos = bad
        assert str(info.value).startswith("Body.pos: expected a Point record (Point), got ")
        assert repr(b) == before                            # unchanged
    with pytest.raises(TypeError, match="Body.pos"):
        mode.Body((1, 2))
    with pytest.raises(TypeError, match="Segment.end"):
        mode.SegmentOuter(P(1, 2), (3, 4))
    with pytest.raises(AttributeError, match="Body.pos"):
        del b.pos


def test_errors_agree_between_modes(built):
    compiled, pure = both(built)
    P = compiled.Point

    def cases(m):
        return [lambda: m.Body((1, 2)), lambda: m.Body(P(1, 2), seg=P(1, 2)),
                lambda: m.SegmentOuter(P(1, 2), "x"), lambda: m.Frozen(m.Local(1), 256),
                lambda: m.Body(P(1, 2), local=None), lambda: setattr(m.Body(P(1, 2)), "pos", 1),
                lambda: m.Frozen(m.Local(1)).__setattr__("local", m.Local(2)),
                lambda: m.Body(P(1, 2)) < m.Body(P(1, 2), sample=compiled.Sample(1.0)),
                lambda: m.Body(P(1, 2), n=2**70)]
    assert [outcome(c) for c in cases(compiled)] == [outcome(c) for c in cases(pure)]


def test_subclass_overrides_are_not_what_is_stored(mode):
    class Sneaky(mode.Point):                   # a plain subclass overriding a field's read
        @property
        def x(self):
            return 99
    b = mode.Body(mode.Point(0, 0))
    b.pos = Sneaky(1, 2)
    assert b.pos == mode.Point(1, 2) and type(b.pos) is mode.Point

    class Faker:                                # claims to be a Point through __class__
        __class__ = mode.Point
    with pytest.raises(TypeError, match="Body.pos"):
        b.pos = Faker()


# ============================================================================ dataclass methods

def test_equality_ordering_and_hash_are_the_inner_records(built):
    rows = []
    for m in both(built):
        P, S, L = m.Point, m.SegmentOuter, m.Local
        a, b = S(P(1, 2), P(3, 4)), S(P(1, 2), P(3, 5))
        nan = m.Frozen(L(1, math.nan))
        rows.append([
            a < b, a <= b, a > b, a >= b, a == S(P(1, 2), P(3, 4)), a != b,
            hash(a) == hash((P(1, 2), P(3, 4))), hash(a) == hash(S(P(1, 2), P(3, 4))),
            m.Frozen(L(1)) < m.Frozen(L(1, 0.5)), m.Frozen(L(2)) > m.Frozen(L(1, 9.0)),
            nan == nan, nan < m.Frozen(L(1, 2.0)), nan <= nan, nan > nan,    # NaN: unordered
            m.Frozen(L(0, -0.0)) == m.Frozen(L(0, 0.0)),
            m.Body(P(1, 2)) == m.Body(P(1, 2)), m.Body(P(1, 2)) < m.Body(P(1, 3)),
            m.Body(P(1, 2)) < m.Body(P(1, 2), n=1), m.Body(P(1, 2), n=1) > m.Body(P(1, 2)),
            m.Body(P(1, 2), sample=m.Sample(1.0)) == m.Body(P(1, 2)),
            sorted([m.Body(P(2, 0)), m.Body(P(1, 5)), m.Body(P(1, 4))])[0].pos,
            m.HoldsIdent(m.Ident(1)) == m.HoldsIdent(m.Ident(1)),   # eq=False: identity
        ])
    assert rows[0] == rows[1]
    assert rows[0][:8] == [True, True, False, False, True, True, True, True]
    assert rows[0][8:15] == [True, True, False, False, False, False, True]
    assert rows[0][15:] == [True, True, True, True, False, built.inner.Point(1, 4), False]


def test_ordering_where_the_inner_record_has_none(mode):
    P, S = mode.Point, mode.Sample
    low, high = mode.Body(P(1, 2), sample=S(1.0)), mode.Body(P(1, 2), sample=S(2.0))
    assert low != high and low == mode.Body(P(1, 2), sample=S(1.0))
    with pytest.raises(TypeError, match="'<' not supported between instances of '(.*\\.)?Sample'"):
        low < high                                          # as Python orders the Samples
    assert mode.Body(P(1, 2), sample=S(1.0)) < mode.Body(P(1, 3), sample=S(2.0))   # pos decides
    assert hash(S(1.0, True)) == hash((1.0, True, 0))


def test_frozen_outer_record(mode):
    f = mode.Frozen(mode.Local(1, 2.5), 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.local = mode.Local(2)
    assert f.local == mode.Local(1, 2.5) and hash(f) == hash((mode.Local(1, 2.5), 3))
    assert {f: 1}[mode.Frozen(mode.Local(1, 2.5), 3)] == 1


def test_inheritance(mode):
    P, Local = mode.Point, mode.Local
    d = mode.Derived(P(1, 2), extra=Local(5))
    assert (d.pos, d.extra, d.local) == (P(1, 2), Local(5), Local(7))
    assert isinstance(d, mode.Body) and d < mode.Derived(P(1, 2), extra=Local(6))
    d.extra = Local(9)
    d.pos = P(3, 3)
    assert repr(d) == ("Derived(pos=Point(x=3, y=3), seg=Segment(start=Point(x=0, y=0), "
                       "end=Point(x=0, y=0)), local=Local(a=7, b=0.0), "
                       "sample=Sample(w=0.5, flag=False, tag=0), n=0, extra=Local(a=9, b=0.0))")
    assert mode.Derived.Array([d])[0] == d


def test_pickles_copies_and_dataclass_functions(mode):
    P = mode.Point
    b = mode.Body(P(1, 2), mode.Segment(P(3, 4)), mode.Local(5, 0.5), mode.Sample(1.5, True, 7), 9)
    if mode.name == "compiled":                 # (pickle finds the compiled class by name)
        assert pickle.loads(pickle.dumps(b)) == b
    assert copy.copy(b) == b and copy.deepcopy(b) == b and copy.copy(b) is not b
    assert dataclasses.asdict(b) == {
        "pos": {"x": 1, "y": 2}, "seg": {"start": {"x": 3, "y": 4}, "end": {"x": 0, "y": 0}},
        "local": {"a": 5, "b": 0.5}, "sample": {"w": 1.5, "flag": True, "tag": 7}, "n": 9}
    assert dataclasses.astuple(b) == ((1, 2), ((3, 4), (0, 0)), (5, 0.5), (1.5, True, 7), 9)
    r = dataclasses.replace(b, pos=P(8, 8))
    assert r.pos == P(8, 8) and r.seg == b.seg and b.pos == P(1, 2)
    with pytest.raises(TypeError, match="Body.pos"):
        dataclasses.replace(b, pos=(8, 8))
    values = tuple(getattr(b, f.name) for f in dataclasses.fields(b))
    assert mode.Body.__compact__.restore(values) == b


def test_pickles_load_across_modes(built):
    compiled, pure = both(built)
    P = compiled.Point
    b = compiled.Body(P(1, 2), n=3)
    restore, (cls, signature, values) = b.__reduce__()
    assert cls is built.outer.Body and values[0] == P(1, 2)
    from_pure = pure.Body.__compact__.restore(pickle.loads(pickle.dumps(values)))
    assert repr(from_pure) == repr(b) and type(from_pure.pos) is P
    assert pure.Body(P(1, 2), n=3).__reduce__()[1][1:] == (signature, values)
    with pytest.raises(TypeError, match="Body.pos"):
        restore(cls, signature, ((1, 2),) + values[1:])
    with pytest.raises(TypeError, match="Body.pos"):
        pure.Body.__compact__.restore(((1, 2),) + values[1:])


# ============================================================================ record arrays

def test_arrays(mode):
    P, Local, Segment, Sample = mode.Point, mode.Local, mode.Segment, mode.Sample
    a = mode.Body.Array([mode.Body(P(1, 2)), (P(3, 4), Segment(P(5, 6)), Local(1), Sample(2.0), 4)])
    a.append((P(7, 8), Segment(P(0, 0)), Local(2), Sample(0.0, True), 5))
    assert len(a) == 3 and a[1].seg.start == P(5, 6) and a[2].sample.flag is True
    assert a.pos.tolist() == [P(1, 2), P(3, 4), P(7, 8)] and a.pos[1] == P(3, 4)
    a.pos[0] = P(9, 9)
    a[1] = mode.Body(P(0, 1))
    assert a[0].pos == P(9, 9) and a[1] == mode.Body(P(0, 1))
    before = a.tobytes()
    for bad in (lambda: a.pos.__setitem__(0, (1, 1)), lambda: a.append(((1, 2),) + (None,) * 4),
                lambda: a.__setitem__(0, (P(1, 1), None, Local(1), Sample(1.0), 0)),
                lambda: a.seg.__setitem__(slice(0, 2), [Segment(P(1, 1)), P(1, 1)])):
        with pytest.raises(TypeError, match="Body.(pos|seg)"):
            bad()
    assert a.tobytes() == before
    assert a.index(mode.Body(P(0, 1))) == 1 and a.count(mode.Body(P(9, 9))) == 1
    assert a.count(mode.Body(P(9, 8))) == 0
    assert mode.Body(P(0, 1)) in a
    view = np.asarray(a)
    assert view["pos"]["x"].tolist() == [9, 0, 7]
    assert view["seg"]["start"]["x"].tolist() == [0, 0, 0]
    view["pos"]["y"][2] = 42                                # writes go through
    del view
    assert a[2].pos == P(7, 42)
    assert np.asarray(a.pos)["y"].tolist() == [9, 1, 42]
    assert mode.Body.Array.frombuffer(np.asarray(a)) == a
    assert mode.Body.Array.frombuffer(a.tobytes()) == a
    restore, (cls, header, payload) = a.__reduce__()
    assert restore(cls, header, payload).tobytes() == a.tobytes()
    if mode.name == "compiled":
        assert pickle.loads(pickle.dumps(a)) == a
        assert memoryview(a).format == ("T{T{d:w:?:flag:B:tag:6x}:sample:q:n:T{i:x:i:y:}:pos:"
                                        "T{T{i:x:i:y:}:start:T{i:x:i:y:}:end:}:seg:"
                                        "T{i:a:f:b:}:local:}")
    assert a[1:].pos.tolist() == [P(0, 1), P(7, 42)] and a[::-1][0] == a[2]


def test_arrays_agree_between_modes(built):
    arrays, dtypes = [], []
    for m in both(built):
        P = m.Point
        a = m.Body.Array([(P(1, 2), m.Segment(P(3, 4), P(5, 6)), m.Local(7, 1.5),
                           m.Sample(2.5, True, 9), -1), m.Body(P(-1, 0))])
        arrays.append(a)
        dtypes.append((np.asarray(a).dtype, np.asarray(a.pos).dtype, np.asarray(a.seg).dtype))
    assert arrays[0].tobytes() == arrays[1].tobytes() and dtypes[0] == dtypes[1]
    assert repr(arrays[0]) == repr(arrays[1]) and repr(list(arrays[0])) == repr(list(arrays[1]))
    dtype = dtypes[0][0]
    assert dtype.names == ("sample", "n", "pos", "seg", "local") and dtype.itemsize == 56
    assert dtype["sample"].names == ("w", "flag", "tag") and dtype["sample"].itemsize == 16
    assert dtype["seg"]["end"].names == ("x", "y")
    assert both(built)[1].Body.Array.frombuffer(np.asarray(arrays[0])) == arrays[1]
    assert both(built)[0].Body.Array.frombuffer(np.asarray(arrays[1])) == arrays[0]


def test_foreign_buffers_must_match_the_nested_fields(mode):
    right = np.asarray(mode.Body.Array.zeros(2))
    wrong = np.zeros(2, dtype=[("sample", right.dtype["sample"]), ("n", "<i8"),
                               ("pos", [("x", "<i4"), ("y", "<i4")]),
                               ("seg", [("start", [("x", "<i4"), ("z", "<i4")]),
                                        ("end", [("x", "<i4"), ("y", "<i4")])]),
                               ("local", [("a", "<i4"), ("b", "<f4")])])
    assert mode.Body.Array.frombuffer(np.zeros(2, dtype=right.dtype)) == mode.Body.Array.zeros(2)
    assert wrong.dtype.itemsize == 56
    assert wrong.dtype.itemsize == 56
    with pytest.raises(ValueError, match="Body.Array.frombuffer: .*field 'seg'"):
        mode.Body.Array.frombuffer(wrong)


def test_array_buffers_are_checked_with_the_inner_records_rules(built):
    messages = []
    offset = compactclass.layout(built.outer.Body).item_offsets()["sample"] + 8
    for m in both(built):
        a = m.Body.Array([m.Body(m.Point(1, 2))] * 2)
        data = bytearray(a.tobytes())
        data[56 + offset] = 2                               # record 1's sample.flag
        with pytest.raises(ValueError) as info:
            m.Body.Array.frombuffer(bytes(data))
        messages.append(str(info.value))
        restore, (cls, header, payload) = a.__reduce__()
        with pytest.raises(ValueError, match="sample.flag"):
            restore(cls, header, bytes(data))
        # a byte written through NumPy reads as True, and pickles as 1
        b = m.Body.Array.zeros(1)
        np.asarray(b)["sample"]["flag"].view("u1")[0] = 5
        assert b[0].sample.flag is True and b.sample[0] == m.Sample(0.0, True)
        assert b[0] == m.Body(m.Point(0, 0), m.Segment(m.Point(0, 0)), m.Local(0),
                              m.Sample(0.0, True))
        assert b.__reduce__()[1][2][offset] == 1
    assert messages[0] == messages[1] == ("Body.Array.frombuffer: record 1 holds byte 2 in bool "
                                          "field 'sample.flag' (only 0 and 1 are valid)")


def test_an_inner_eq_that_resizes_the_array_meanwhile(built, mode):
    """Comparing array items runs the inner record's __eq__, which may free the storage the
    items lie in: the comparison must not read it afterwards (ASan runs this too)."""
    Sly = built.outer.Sly
    HoldsSly = fallback_of(built.outer.HoldsSly) if mode.name == "fallback" else \
        built.outer.HoldsSly
    for operation in (lambda a, b: a.index(HoldsSly(Sly(3), 4)), lambda a, b: a.count(a[0]),
                      lambda a, b: a == b, lambda a, b: HoldsSly(Sly(1), 2) in a):
        a = HoldsSly.Array([HoldsSly(Sly(1), 2)] * 50 + [HoldsSly(Sly(3), 4)])
        b = a.copy()

        def hook():
            a.clear()
            b.clear()
            a.shrink_to_fit()
            gc.collect()
        built.outer.HOOKS.append(hook)
        try:
            outcome(lambda: operation(a, b))
        finally:
            built.outer.HOOKS.clear()
        assert len(a) == 0
    x = HoldsSly.Array([HoldsSly(Sly(1), 2)])
    assert x.index(HoldsSly(Sly(1), 2)) == 0 and x == x.copy()
    assert HoldsSly(Sly(1), 2) == HoldsSly(Sly(1), 2) != HoldsSly(Sly(1), 3)


# ============================================================================ object fields

def test_a_record_that_is_not_frozen_is_an_object_field(built, mode):
    kind = built.outer.Holder.__compact__.spec.field("ref").kind
    assert not kind.plain_data and kind.cyclic
    m = mode.Mutable(1, 2)
    h = mode.Holder(m)
    assert h.ref is m and gc.is_tracked(h)                  # a reference, as a dataclass holds
    h.ref.x = 5
    assert m.x == 5 and h.ref.x == 5
    with pytest.raises(TypeError, match="Holder.ref"):
        mode.Holder((1, 2))
    with pytest.raises(TypeError, match="object fields"):
        mode.Holder.Array()
    assert sys.getsizeof(h) > sys.getsizeof(mode.Mutable(1))
    tag = built.outer.Tagged.__compact__.spec.field("tag").kind
    assert not tag.plain_data and tag.cyclic and tag.classes == (built.outer.Named,)
    named = built.outer.Named("a")
    assert built.outer.Tagged(named).tag is named


# ============================================================================ Cython

CONSUMER = """\
# cython: language_level=3
from nested_outer_compact cimport Body, BodyArray, BodyArray_at, BodyArray_len
from nested_inner_compact cimport Point, Point_item

def pos_x(Body b):
    return b.pos.x + 1000 * b.seg.end.y

def total_y(BodyArray a):
    cdef long long s = 0
    cdef Py_ssize_t i
    for i in range(BodyArray_len(a)):
        s += BodyArray_at(a, i).pos.y
    return s

def move(Body b, int dx):
    b.pos.x += dx
"""


def test_cython_reads_nested_fields_at_c_level(built, tmp_path):
    folder = os.path.dirname(built.outer.__file__)
    nested_consumer = build_consumer("nested_consumer", CONSUMER, folder, tmp_path)
    P, Body = built.inner.Point, built.outer.Body
    b = Body(P(3, 4), built.outer.Segment(P(0, 0), P(0, 2)))
    assert nested_consumer.pos_x(b) == 2003
    nested_consumer.move(b, 10)
    assert b.pos == P(13, 4)
    assert nested_consumer.total_y(Body.Array([b, Body(P(0, 6))])) == 10


# ============================================================================ modes and builds

SCRIPT = """\
import dataclasses, inspect, math, pickle, sys
import numpy as np
import compactclass
from nested_inner import Point, Point3, Sample
from nested_outer import Local, Segment, Body, Frozen, Derived

def outcome(thunk):
    try:
        return repr(thunk())
    except Exception as exc:    # (CPython names a compiled type by its dotted name)
        return f"{type(exc).__name__}: {exc}".replace("nested_inner.", "")

b = Body(Point(1, 2), Segment(Point(3, 4)), Local(5, 0.5), Sample(1.5, True, 7), 9)
a = Body.Array([b, (Point(0, 1), Segment(Point(2, 2), Point(3, 3)), Local(1), Sample(0.0), 1)])
checks = [
    lambda: [compactclass.is_compiled(c) for c in (Point, Local, Body)],
    lambda: b, lambda: b.pos, lambda: b.seg.end, lambda: (b.pos is b.pos) and "same",
    lambda: Body((1, 2)), lambda: setattr(b, "pos", Point3(7, 8, 9)) or b.pos,
    lambda: setattr(b, "local", Point(1, 1)), lambda: b.pos.__setattr__("x", 1),
    lambda: b < Body(Point(7, 9)), lambda: b == pickle.loads(pickle.dumps(b)),
    lambda: Body(Point(1, 2), sample=Sample(1.0)) < Body(Point(1, 2), sample=Sample(2.0)),
    lambda: hash(Frozen(Local(1, math.nan))) == hash((Local(1, math.nan), 0)),
    lambda: Frozen(Local(1, math.nan)) == Frozen(Local(1, math.nan)),
    lambda: dataclasses.asdict(Derived(Point(1, 1))), lambda: dataclasses.astuple(b),
    lambda: dataclasses.replace(b, seg=Segment(Point(-1, -1))),
    lambda: str(inspect.signature(Body)),
    lambda: a, lambda: a.pos.tolist(), lambda: a.seg[1], lambda: a.tobytes().hex(),
    lambda: np.asarray(a).dtype, lambda: np.asarray(a)["seg"]["end"]["y"].tolist(),
    lambda: pickle.loads(pickle.dumps(a)) == a, lambda: Body.Array.frombuffer(np.asarray(a)) == a,
    lambda: a.index(Body(Point(7, 8), Segment(Point(3, 4)), Local(5, 0.5), Sample(1.5, True, 7),
                         9)),
    lambda: a.append(((1, 2),) * 5), lambda: a.seg.__setitem__(0, Point(1, 1)),
    lambda: Body.Array.frombuffer(a.tobytes()[:8] + b"\\x02" + a.tobytes()[9:]),
    lambda: Segment.Array([Segment(Point(1, 2))]) == Segment.Array([(Point(1, 2), Point(0, 0))]),
]
for check in checks:
    print(outcome(check))
"""


def test_the_pure_mode_agrees_end_to_end(built, tmp_path):
    """Without a build (COMPACTCLASS_PURE=1) every record, inner ones too, is the fallback:
    the same script prints the same lines as with the compiled records."""
    script = tmp_path / "nested_script.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    runs = []
    for pure in ("0", "1"):
        result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                                env={**env, "COMPACTCLASS_PURE": pure}, timeout=120)
        assert result.returncode == 0, result.stderr
        runs.append(result.stdout.splitlines())
    compiled, pure = runs
    assert compiled[0] == "[True, True, True]" and pure[0] == "[False, False, False]"
    assert compiled[4] == "False" and pure[4] == "'same'"       # a new record per read
    assert compiled[1:4] + compiled[5:] == pure[1:4] + pure[5:]
    assert "TypeError: Body.pos: expected a Point record (Point), got tuple (1, 2)" in compiled
    assert compiled[-2] == ("ValueError: Body.Array.frombuffer: record 0 holds byte 2 in bool "
                            "field 'sample.flag' (only 0 and 1 are valid)")


def test_a_compiled_outer_record_needs_a_compiled_inner_one(built, tmp_path):
    """Without the inner record's build the outer record is the fallback too; with another
    record's type in its place, the outer module refuses it at import (a StaleBuildWarning
    and the fallback) and never reads it."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    check = ("import warnings, compactclass, nested_inner_compact as m; {patch}\n"
             "warnings.simplefilter('error' if {strict} else 'always')\n"
             "import nested_inner, nested_outer\n"
             "print(compactclass.is_compiled(nested_inner.Point), "
             "compactclass.is_compiled(nested_outer.Body), "
             "nested_outer.Body(nested_inner.Point(1, 2)))")
    hidden = check.format(patch="import sys; sys.modules['nested_inner_compact'] = None",
                          strict=False).replace("import warnings, compactclass, "
                                                "nested_inner_compact as m; ",
                                                "import warnings, compactclass; ")
    result = subprocess.run([sys.executable, "-c", hidden], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("False False Body(pos=Point(x=1, y=2)")
    swapped = check.format(patch="m.Point = m.Point3", strict=False)
    result = subprocess.run([sys.executable, "-W", "always", "-c", swapped], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "StaleBuildWarning" in result.stderr and "nested_outer_compact" in result.stderr
    assert "False" in result.stdout.split()[1]


def test_builds_need_the_inner_records_build(builder):
    builder.write(INNER.replace("class Point", "class Pt").replace("(Point)", "(Pt)"),
                  name="nested_unbuilt")
    with pytest.raises(compactclass.DeclarationError) as info:
        builder.build("""
            from compactclass import compact, i32
            from nested_unbuilt import Pt

            @compact
            class Uses:
                p: Pt
        """, name="nested_uses_unbuilt")
    assert "class Uses, field 'p': its record Pt is declared in nested_unbuilt.py, which has no " \
           "build yet: build nested_unbuilt.py first" in str(info.value)
    with pytest.raises(compactclass.DeclarationError) as info:
        builder.build("""
            from compactclass import compact, i32

            def make():
                @compact(frozen=True)
                class Hidden:
                    x: i32
                return Hidden

            Hidden = make()

            @compact
            class Uses:
                p: Hidden
        """, name="nested_uses_local")
    assert "field 'p': its record make.<locals>.Hidden is not a module-level record" in \
        str(info.value)


def test_a_changed_inner_record_makes_the_outer_build_stale(builder):
    inner_source = """
        from compactclass import compact, i32

        @compact(frozen=True)
        class Inner:
            x: i32
    """
    name, path = builder.write(inner_source, name="nested_stale_inner")
    builder.build(inner_source, name=name)
    outer = builder.build("""
        from compactclass import compact, i32
        from nested_stale_inner import Inner

        @compact
        class Outer:
            inner: Inner
    """, name="nested_stale_outer")
    assert compactclass.is_compiled(outer.Outer)
    path.write_text(inner_source.replace("x: i32", "x: i32\n    y: i32 = 0").replace("\n        ",
                                                                                       "\n"))
    result = subprocess.run([sys.executable, "-W", "always", "-c",
                             "import compactclass, nested_stale_outer as m\n"
                             "print(compactclass.is_compiled(m.Inner), "
                             "compactclass.is_compiled(m.Outer), m.Outer(m.Inner(1, 2)))"],
                            capture_output=True, text=True, cwd=str(path.parent), timeout=120,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == "False False Outer(inner=Inner(x=1, y=2))"
    assert "nested_stale_outer.Outer: not using the compiled module" in result.stderr
