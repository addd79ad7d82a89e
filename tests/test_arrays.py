"""Record arrays (``Point.Array``): the compiled ``PointArray`` and the pure-Python fallback.

One declaration module is built once; most tests run twice, on the compiled array and on the
fallback array built from the same spec (the ``mode`` fixture), and expect the same results and
the same errors. A differential test replays random operation sequences on both and on a
plain list. Buffer exports through ``memoryview(a)`` need the compiled array (a pure-Python
class cannot export a buffer before Python 3.12); NumPy interop is tested in both modes.
"""
from __future__ import annotations

import collections.abc
import copy
import gc
import hashlib
import os
import pickle
import struct
import subprocess
import sys
import textwrap
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import compactclass
from compactclass import _arrays, array_format, compact, i32
from compactclass.arrays import restore_array_v1
from compactclass.codegen import names
from compactclass.codegen.arrays import array_pxd, array_pyx
from compactclass.codegen.module import foreign_bases
from compactclass.layout import compute_layout
from compactclass.pure import arrays as array_fallback
from conftest import build_consumer, fallback_of

np = pytest.importorskip("numpy")

SOURCE = """
from compactclass import compact, field, i8, i16, i32, i64, u8, u16, u32, u64, f32, f64

@compact
class Point:
    x: i32
    y: i32
    z: i32 = 0

@compact
class Particle:
    x: f64
    y: f64
    z: f64

@compact(frozen=True)
class Mixed:
    a: u8
    b: f64
    c: bool
    d: f32

@compact
class Wide:
    a: i8
    b: i16
    c: i64
    d: u16
    e: u32
    f: u64

@compact
class Named:
    count: i32
    index: i32

@compact
class Base:
    a: u8

@compact
class Derived(Base):
    b: u8

@compact(eq=False)
class NoEq:
    v: i32

@compact
class Partial:
    k: i32
    note: i32 = field(compare=False, default=0)

@compact
class item:             # named like a parameter of the generated array functions
    out: i32
    src: u8
"""

RECORDS = ("Point", "Particle", "Mixed", "Wide", "Named", "Base", "Derived", "NoEq", "Partial",
           "item")


@pytest.fixture(scope="module")
def built(builder):
    return builder.build(SOURCE, name="arrays_decl")


@pytest.fixture(scope="module", params=["compiled", "fallback"])
def mode(request, built):
    """The record classes of one mode, as attributes (mode.Point, mode.Mixed, ...)."""
    compiled = request.param == "compiled"
    classes = {n: getattr(built, n) if compiled else fallback_of(getattr(built, n))
               for n in RECORDS}
    for cls in classes.values():
        assert compactclass.is_compiled(cls) is compiled
    return types.SimpleNamespace(name=request.param, compiled=compiled, **classes)


def raw(a) -> bytes:
    return a.tobytes()


def i32s(*values) -> bytes:
    return struct.pack(f"={len(values)}i", *values)


# ----------------------------------------------------------------------------- the class

def test_compiled_array_is_the_generated_class(built):
    Point = built.Point
    module = sys.modules["arrays_decl_compact"]
    assert Point.Array is module.PointArray
    assert issubclass(Point.Array, _arrays.RecordArray)
    assert Point.Array.__compact_array__.record is Point
    assert Point.Array().record is Point


def test_fallback_array_class(built):
    Point = fallback_of(built.Point)
    assert Point.Array.__qualname__ == "Point.Array"
    assert Point.Array.__module__ == "arrays_decl"
    assert Point.Array().record is Point


def test_arrays_are_mutable_sequences(mode):
    a = mode.Point.Array()
    assert isinstance(a, collections.abc.MutableSequence)
    with pytest.raises(TypeError, match="unhashable"):
        hash(a)


def test_record_without_fields_has_no_array():
    @compact
    class Empty:
        pass
    assert not hasattr(Empty, "Array")


def test_field_named_array_is_a_declaration_error():
    with pytest.raises(TypeError, match="'Array'.*reserved"):
        @compact
        class Bad:
            Array: i32


def test_base_record_array_cannot_be_instantiated():
    with pytest.raises(TypeError, match="use the Array of a compact record"):
        _arrays.RecordArray()

    class Rogue(_arrays.RecordArray):
        pass
    with pytest.raises(TypeError):
        Rogue()


# ----------------------------------------------------------------------------- construction

def test_construct_from_records_tuples_and_lists(mode):
    P = mode.Point
    a = P.Array([P(1, 2, 3), (4, 5, 6), [7, 8, 9], P(10, 11)])
    assert len(a) == 4
    assert list(a) == [P(1, 2, 3), P(4, 5, 6), P(7, 8, 9), P(10, 11, 0)]
    assert raw(a) == i32s(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0)
    assert len(P.Array()) == 0 and raw(P.Array()) == b""
    assert list(P.Array(p for p in [(1, 2, 3)])) == [P(1, 2, 3)]


def test_zeros(mode):
    a = mode.Point.Array.zeros(5)
    assert len(a) == 5 and a.capacity == 5
    assert raw(a) == bytes(60)
    assert all(p == mode.Point(0, 0, 0) for p in a)
    assert len(mode.Point.Array.zeros(0)) == 0
    m = mode.Mixed.Array.zeros(2)
    assert m[1] == mode.Mixed(0, 0.0, False, 0.0)
    with pytest.raises(ValueError, match="negative"):
        mode.Point.Array.zeros(-1)
    with pytest.raises(TypeError):
        mode.Point.Array.zeros(2.0)


def test_frombuffer_raw_bytes_numpy_and_arrays(mode):
    P = mode.Point
    a = P.Array.frombuffer(i32s(1, 2, 3, 4, 5, 6))
    assert list(a) == [P(1, 2, 3), P(4, 5, 6)]
    assert a.capacity == 2
    structured = np.array([(1, 2, 3), (4, 5, 6)], dtype=[("x", "i4"), ("y", "i4"), ("z", "i4")])
    assert P.Array.frombuffer(structured) == a
    assert P.Array.frombuffer(structured[::-1]) == P.Array([(4, 5, 6), (1, 2, 3)])  # strided
    assert P.Array.frombuffer(bytearray(raw(a))) == a
    assert P.Array.frombuffer(np.asarray(a)) == a
    copied = P.Array.frombuffer(structured)
    structured["x"][0] = 99
    assert copied[0].x == 1                                  # a copy, not a view
    mixed = np.zeros(1, dtype=np.dtype({"names": ["b", "d", "a", "c"],
                                        "formats": ["f8", "f4", "u1", "?"],
                                        "offsets": [0, 8, 12, 13], "itemsize": 16}))
    mixed["a"], mixed["b"], mixed["c"], mixed["d"] = 7, 2.5, True, 0.5
    assert list(mode.Mixed.Array.frombuffer(mixed)) == [mode.Mixed(7, 2.5, True, 0.5)]


@pytest.mark.parametrize("buffer, message", [
    (b"\x00" * 13, "13 bytes is not a whole number of 12-byte Point records"),
    (np.zeros(2, dtype=[("x", "i4"), ("y", "i4")]), "item size is 8 bytes, Point records are 12"),
    (np.zeros(2, dtype=[("x", "i4"), ("y", "i4"), ("w", "i4")]), r"fields \(x, y, w\) do not match"),
    (np.zeros(2, dtype=[("x", "i4"), ("y", "f4"), ("z", "i4")]), "field 'y' is f4 at offset 4"),
    (np.zeros(2, dtype=[("x", "i4"), ("y", "u4"), ("z", "i4")]), "field 'y' is u4"),
    (np.zeros(2, dtype=[("x", ">i4"), ("y", ">i4"), ("z", ">i4")]), "byte order"),
    (np.zeros((2, 3), dtype="i4"), "has no named fields"),
    (np.zeros(2, dtype=[("x", "i4"), ("y", "i4"), ("z", "i4", (1,))]), "sub-array|unsupported"),
])
def test_frombuffer_mismatch_is_a_value_error(mode, buffer, message):
    with pytest.raises(ValueError, match=message):
        mode.Point.Array.frombuffer(buffer)


def test_frombuffer_rejects_invalid_bool_bytes(mode):
    data = bytearray(16)
    data[13] = 2                 # field c (bool) of the first record
    with pytest.raises(ValueError, match="record 0 holds byte 2 in bool field 'c'"):
        mode.Mixed.Array.frombuffer(data)


def test_frombuffer_rejects_non_buffers(mode):
    with pytest.raises(TypeError):
        mode.Point.Array.frombuffer([1, 2, 3])


# ----------------------------------------------------------------------------- sequence API

def test_sequence_protocol(mode):
    P = mode.Point
    a = P.Array()
    a.append(P(1, 1))
    a.append((2, 2, 2))
    a.extend([(3, 3, 3), P(4, 4, 4)])
    a += [(5, 5, 5)]
    a.insert(0, (0, 0, 0))
    a.insert(-1, (9, 9, 9))               # before the last, as list.insert
    a.insert(100, (6, 6, 6))              # clamped to the end
    a.insert(-100, (-1, -1, -1))          # clamped to the start
    model = [(-1, -1, -1), (0, 0, 0), (1, 1, 0), (2, 2, 2), (3, 3, 3), (4, 4, 4), (9, 9, 9),
             (5, 5, 5), (6, 6, 6)]
    assert [(p.x, p.y, p.z) for p in a] == model
    assert a[0] == P(-1, -1, -1) and a[-1] == P(6, 6, 6) and a[-9] == a[0]
    assert a.pop() == P(6, 6, 6)
    assert a.pop(0) == P(-1, -1, -1)
    assert a.pop(-2) == P(9, 9, 9)
    del a[0]
    del a[-1]
    assert [p.x for p in a] == [1, 2, 3, 4]
    assert P(2, 2, 2) in a and (3, 3, 3) in a
    assert P(2, 2, 0) not in a and "spam" not in a and (2**40, 0, 0) not in a
    assert a.index((3, 3, 3)) == 2 and a.index(P(1, 1)) == 0
    with pytest.raises(ValueError, match="not in array"):
        a.index((3, 3, 3), 3)
    a.append((3, 3, 3))
    assert a.count((3, 3, 3)) == 2 and a.count((7, 7, 7)) == 0
    a.remove((3, 3, 3))
    assert [p.x for p in a] == [1, 2, 4, 3]
    with pytest.raises(ValueError):
        a.remove((8, 8, 8))
    a.reverse()
    assert [p.x for p in a] == [3, 4, 2, 1]
    assert list(reversed(a)) == list(a)[::-1]
    a.clear()
    assert len(a) == 0 and list(a) == []
    with pytest.raises(IndexError, match="pop from empty Point.Array"):
        a.pop()


def test_slices(mode):
    P = mode.Point
    a = P.Array((i, i, i) for i in range(10))
    model = list(range(10))
    for s in (slice(2, 5), slice(None, None, 2), slice(None, None, -1), slice(8, 2, -3),
              slice(5, 2), slice(-3, None), slice(100, 200)):
        part = a[s]
        assert type(part) is P.Array
        assert [p.x for p in part] == model[s]
        assert part.capacity == len(part)
    b = a.copy()
    b[2:4] = [(20, 20, 20), (30, 30, 30), (40, 40, 40)]      # grows
    m = model[:]
    m[2:4] = [20, 30, 40]
    assert [p.x for p in b] == m
    b[1:5] = [(0, 0, 0)]                                       # shrinks
    m[1:5] = [0]
    assert [p.x for p in b] == m
    b[::2] = [(7, 7, 7)] * len(b[::2])
    m[::2] = [7] * len(m[::2])
    assert [p.x for p in b] == m
    with pytest.raises(ValueError, match="extended slice of size"):
        b[::2] = [(1, 1, 1)]
    b[3:3] = [(5, 5, 5)]                                       # insertion
    m[3:3] = [5]
    assert [p.x for p in b] == m
    b[:] = b                                                   # from itself
    assert [p.x for p in b] == m
    for s in (slice(1, 3), slice(None, None, 3), slice(None, None, -2), slice(7, 1, -2)):
        c, mm = a.copy(), model[:]
        del c[s]
        del mm[s]
        assert [p.x for p in c] == mm


def test_index_errors(mode):
    a = mode.Point.Array([(1, 2, 3)])
    for index in (1, -2, 2**31, -2**31, 2**63 - 1, 2**70):
        with pytest.raises(IndexError):
            a[index]
        with pytest.raises(IndexError):
            a[index] = (0, 0, 0)
        with pytest.raises(IndexError):
            del a[index]
    with pytest.raises(IndexError, match="Point.Array index out of range"):
        a[1]
    with pytest.raises(IndexError, match="pop index out of range"):
        a.pop(5)
    with pytest.raises(TypeError, match="indices must be integers or slices, not str"):
        a["x"]
    with pytest.raises(TypeError, match="not float"):
        a[0.0] = (1, 2, 3)
    with pytest.raises(OverflowError):
        a.insert(2**70, (1, 2, 3))
    assert len(a) == 1


def test_equality(mode):
    P = mode.Point
    a, b = P.Array([(1, 2, 3)]), P.Array([P(1, 2, 3)])
    assert a == b and not a != b
    b.append((0, 0, 0))
    assert a != b
    assert a != [P(1, 2, 3)]
    assert P.Array() == P.Array()
    assert mode.Named.Array([(1, 2)]) != P.Array([(1, 2, 0)])
    nan = float("nan")
    assert mode.Particle.Array([(nan, 0, 0)]) != mode.Particle.Array([(nan, 0, 0)])
    assert mode.Particle.Array([(-0.0, 0, 0)]) == mode.Particle.Array([(0.0, 0, 0)])
    # compare=False fields are ignored, as Partial.__eq__ does
    assert mode.Partial.Array([(1, 2)]) == mode.Partial.Array([(1, 3)])
    assert (1, 99) in mode.Partial.Array([(1, 2)])
    # eq=False: records compare by identity, so a copy never equals another
    no_eq = mode.NoEq.Array([(1,)])
    assert no_eq != mode.NoEq.Array([(1,)]) and (1,) not in no_eq


def test_repr_shows_length_and_first_records(mode):
    P = mode.Point
    assert repr(P.Array()) == "<Point.Array of 0 records: []>"
    assert repr(P.Array([(1, 2, 3)])) == "<Point.Array of 1 record: [Point(x=1, y=2, z=3)]>"
    text = repr(P.Array((i, 0, 0) for i in range(1000)))
    assert text.startswith("<Point.Array of 1000 records: [Point(x=0, y=0, z=0), ")
    assert text.endswith("Point(x=4, y=0, z=0), ...]>")


# ----------------------------------------------------------------------------- a[i]

def test_item_is_an_independent_copy(mode):
    P = mode.Point
    a = P.Array([(1, 2, 3)])
    p = a[0]
    assert type(p) is P and p == P(1, 2, 3)
    p.x = 100
    assert a[0].x == 1                    # the array is unchanged
    a[0] = p                              # written back explicitly
    assert a[0].x == 100
    q = a[0]
    a.clear()
    del a
    gc.collect()
    assert q == P(100, 2, 3)              # a copy outlives its array


def test_setitem_checks_and_leaves_the_array_unchanged(mode):
    P = mode.Point
    a = P.Array([(1, 2, 3), (4, 5, 6)])
    before = raw(a)
    with pytest.raises(OverflowError, match=r"Point\.y: 1099511627776 is out of range for i32"):
        a[0] = (7, 2**40, 9)
    with pytest.raises(OverflowError, match=r"Point\.z"):
        a.append((0, 0, -2**31 - 1))
    with pytest.raises(TypeError, match=r"Point\.x: expected an integer \(i32\), got float"):
        a[1] = (1.5, 0, 0)
    with pytest.raises(TypeError, match=r"expected 3 field values \(x, y, z\), got 2"):
        a[0] = (1, 2)
    with pytest.raises(TypeError, match="expected a Point or a tuple of its 3 field values"):
        a[0] = mode.Particle(1.0, 2.0, 3.0)
    with pytest.raises(TypeError, match="expected a Point"):
        a.insert(0, {"x": 1})
    with pytest.raises(OverflowError):
        a.extend([(9, 9, 9), (9, 9, 2**31)])            # all or nothing
    with pytest.raises(TypeError):
        a[0:1] = [(9, 9, 9), None]
    assert raw(a) == before


def test_records_of_the_other_mode_are_rejected(built):
    compiled, fallback = built.Point, fallback_of(built.Point)
    with pytest.raises(TypeError, match="expected a Point"):
        compiled.Array([fallback(1, 2, 3)])
    with pytest.raises(TypeError, match="expected a Point"):
        fallback.Array([compiled(1, 2, 3)])


def test_plain_subclass_records_are_accepted(mode):
    class Tagged(mode.Point):
        pass
    a = mode.Point.Array([Tagged(1, 2, 3)])
    assert type(a[0]) is mode.Point and a[0] == mode.Point(1, 2, 3)


def test_conversion_that_mutates_the_array_is_safe(mode):
    P = mode.Point
    a = P.Array([(1, 1, 1), (2, 2, 2)])

    class Sneaky:
        def __index__(self):
            a.clear()
            return 5
    with pytest.raises(IndexError):
        a[1] = (Sneaky(), 0, 0)               # index re-checked after conversion
    assert len(a) == 0
    a.extend([(1, 1, 1)] * 3)

    class Grow:
        def __index__(self):
            a.extend([(7, 7, 7)] * 100)       # storage moves
            return 3
    a[0] = (Grow(), 0, 0)
    assert a[0] == P(3, 0, 0) and len(a) == 103


def test_float_and_bool_fields(mode):
    M = mode.Mixed
    a = M.Array([(1, 0.1, True, 0.1)])
    assert a[0] == M(1, 0.1, True, 0.1)           # f32 rounded like the record
    assert a[0].d == M(1, 0.1, True, 0.1).d != 0.1
    assert a[0].c is True
    with pytest.raises(OverflowError, match=r"Mixed\.d"):
        a.append((1, 1.0, False, 1e39))
    with pytest.raises(TypeError, match=r"Mixed\.c: expected a bool"):
        a.append((1, 1.0, 1, 1.0))
    with pytest.raises(OverflowError, match=r"Mixed\.a"):
        a.append((256, 1.0, False, 1.0))
    a.append((0, float("inf"), False, float("-inf")))
    assert a[1].b == float("inf") and a[1].d == float("-inf")
    assert a.c.tolist() == [True, False] and a.d.tolist() == [a[0].d, float("-inf")]
    assert a.itemsize == 16
    assert a.tobytes()[14:16] == b"\x00\x00"      # padding is zeroed


def test_every_integer_type(mode):
    W = mode.Wide
    lo = (-128, -2**15, -2**63, 0, 0, 0)
    hi = (127, 2**15 - 1, 2**63 - 1, 2**16 - 1, 2**32 - 1, 2**64 - 1)
    a = W.Array([lo, hi])
    assert a[0] == W(*lo) and a[1] == W(*hi)
    for k, name in enumerate("abcdef"):
        assert getattr(a, name).tolist() == [lo[k], hi[k]]
        bad = list(hi)
        bad[k] += 1
        with pytest.raises(OverflowError, match=rf"Wide\.{name}"):
            a.append(tuple(bad))
    # storage order: alignment first, declared order among equals; padded to 8
    assert np.asarray(a).dtype == np.dtype({"names": list("cfebda"),
                                            "formats": ["i8", "u8", "u4", "i2", "u2", "i1"],
                                            "offsets": [0, 8, 16, 20, 22, 24], "itemsize": 32})


def test_generated_names_do_not_clash_with_record_names(mode):
    a = mode.item.Array([(1, 2), mode.item(3, 4)])
    assert a.out.tolist() == [1, 3] and a.src.tolist() == [2, 4]
    assert a[1] == mode.item(3, 4) and (1, 2) in a


def test_derived_record_items_keep_the_base_padding(mode):
    D = mode.Derived
    a = D.Array([(1, 2), D(3, 4)])
    assert a.itemsize == compute_layout(D.__compact__.spec).item_size == 9
    assert list(a) == [D(1, 2), D(3, 4)]
    assert raw(a) == bytes([1, 0, 0, 0, 0, 0, 0, 0, 2, 3, 0, 0, 0, 0, 0, 0, 0, 4])
    assert np.asarray(a)["b"].tolist() == [2, 4]


# ----------------------------------------------------------------------------- columns

def test_columns_read_and_write(mode):
    P = mode.Point
    a = P.Array((i, 2 * i, 3 * i) for i in range(5))
    assert a.x.tolist() == [0, 1, 2, 3, 4] and list(a.y) == [0, 2, 4, 6, 8]
    assert a.column("z")[-1] == 12 and a.z[1:3] == [3, 6]
    assert list(a.columns) == ["x", "y", "z"]
    col = a.x
    col[0] = 10
    col[-1] = -4
    assert a[0].x == 10 and a[4].x == -4
    col[1:3] = [11, 12]
    assert a.x.tolist() == [10, 11, 12, 3, -4]
    before = raw(a)
    with pytest.raises(OverflowError, match=r"Point\.x"):
        col[0] = 2**31
    with pytest.raises(TypeError, match=r"Point\.x"):
        col[0] = "1"
    with pytest.raises(ValueError, match="cannot change the array's length"):
        col[0:2] = [1, 2, 3]
    with pytest.raises(OverflowError):
        col[0:2] = [1, 2**40]                        # all checked before any is written
    with pytest.raises(IndexError):
        col[5]
    assert raw(a) == before
    assert repr(col) == "<column Point.x (i32) of 5 records: [10, 11, 12, 3, -4]>"
    with pytest.raises(AttributeError, match="no field 'w'"):
        a.column("w")


def test_column_is_a_live_view(mode):
    a = mode.Point.Array([(1, 2, 3)])
    col = a.x
    a.extend([(4, 5, 6)] * 1000)                    # grows (storage moves); no buffer held
    assert len(col) == 1001 and col[1000] == 4
    a.clear()
    assert len(col) == 0 and list(col) == []
    with pytest.raises(IndexError):
        col[0]


def test_column_numpy_view_is_zero_copy_and_writable(mode):
    P = mode.Point
    a = P.Array((i, 2 * i, 3 * i) for i in range(6))
    ys = np.asarray(a.y)
    assert ys.dtype == np.int32 and ys.strides == (12,) and ys.tolist() == [0, 2, 4, 6, 8, 10]
    assert int(np.asarray(a.x).sum()) == 15
    ys[2] = 100                                     # NumPy -> array
    assert a[2].y == 100
    a[3] = (0, -7, 0)                               # array -> NumPy
    assert ys[3] == -7
    with pytest.raises(BufferError):
        a.append((1, 1, 1))                         # the column's buffer pins the array
    del ys
    gc.collect()
    a.append((1, 1, 1))
    for name, dtype in (("b", "f8"), ("c", "?"), ("d", "f4"), ("a", "u1")):
        column = np.asarray(getattr(mode.Mixed.Array([(1, 2.0, True, 3.0)]), name))
        assert column.dtype == np.dtype(dtype) and column.strides == (16,)


def test_field_names_that_clash_with_methods_use_column(mode):
    a = mode.Named.Array([(1, 2), (3, 4)])
    assert a.count((1, 2)) == 1 and a.index((3, 4)) == 1      # the methods win
    assert a.column("count").tolist() == [1, 3]
    assert a.column("index").tolist() == [2, 4]
    assert list(a.columns) == ["count", "index"]


# ----------------------------------------------------------------------------- buffers

def test_numpy_view_of_the_array(mode):
    P = mode.Point
    a = P.Array([(1, 2, 3), (4, 5, 6)])
    view = np.asarray(a)
    assert view.dtype.names == ("x", "y", "z")
    assert view.dtype == np.dtype([("x", "i4"), ("y", "i4"), ("z", "i4")])
    assert view.tolist() == [(1, 2, 3), (4, 5, 6)]
    view["z"][1] = 60                               # NumPy -> array
    assert a[1] == P(4, 5, 60)
    a[0] = (10, 20, 30)                             # array -> NumPy
    assert tuple(view[0]) == (10, 20, 30)
    before = raw(a)
    for resize in (lambda: a.append((0, 0, 0)), lambda: a.extend([(0, 0, 0)]),
                   lambda: a.insert(0, (0, 0, 0)), a.pop, lambda: a.__delitem__(0),
                   lambda: a.__delitem__(slice(0, 1)), a.clear, a.shrink_to_fit,
                   lambda: a.__setitem__(slice(0, 1), [])):
        with pytest.raises(BufferError, match="cannot resize while a buffer of it is exported"):
            resize()
        assert raw(a) == before
    a[0:1] = [(1, 1, 1)]                            # same length: allowed, like bytearray
    a.reverse()
    assert view["x"].tolist() == [4, 1]
    del view
    gc.collect()
    a.append((7, 7, 7))
    assert len(a) == 3


def test_numpy_dtypes_match_the_declaration(mode):
    for cls, fields in ((mode.Point, {"x": "i4", "y": "i4", "z": "i4"}),
                        (mode.Particle, {"x": "f8", "y": "f8", "z": "f8"}),
                        (mode.Mixed, {"a": "u1", "b": "f8", "c": "?", "d": "f4"})):
        dtype = np.asarray(cls.Array.zeros(1)).dtype
        spec = cls.__compact__.spec
        assert set(dtype.names) == {f.name for f in spec.fields}
        offsets = compute_layout(spec).item_offsets()
        for name, code in fields.items():
            assert dtype.fields[name] == (np.dtype(code), offsets[name])
        assert dtype.itemsize == cls.Array().itemsize


def test_compiled_and_fallback_export_the_same_dtype_and_bytes(built):
    for name in ("Point", "Particle", "Mixed", "Wide", "Derived"):
        compiled = getattr(built, name)
        fallback = fallback_of(compiled)
        c, f = compiled.Array.zeros(3), fallback.Array.zeros(3)
        assert np.asarray(c).dtype == np.asarray(f).dtype
        assert raw(c) == raw(f)


def test_memoryview_exports_the_c_layout(built):
    Point, Mixed = built.Point, built.Mixed
    a = Point.Array([(1, 2, 3), (4, 5, 6)])
    with memoryview(a) as m:
        assert (m.format, m.itemsize, m.shape, m.strides, m.nbytes, m.readonly) == \
            ("T{i:x:i:y:i:z:}", 12, (2,), (12,), 24, False)
        assert m.cast("B").tobytes() == i32s(1, 2, 3, 4, 5, 6)
        with pytest.raises(BufferError):
            a.append((0, 0, 0))
        m.cast("B")[0] = 9                          # writable
    assert a[0].x == 9
    a.append((0, 0, 0))                             # released: resizable again
    with memoryview(Mixed.Array.zeros(1)) as m:
        assert m.format == "T{d:b:f:d:B:a:?:c:2x}" and m.itemsize == 16
    with memoryview(Point.Array()) as m:            # empty, but never a NULL buffer
        assert m.nbytes == 0 and m.shape == (0,)
    with memoryview(a.y) as m:
        assert (m.format, m.itemsize, m.strides, m.tolist()) == ("i", 4, (12,), [2, 5, 0])


def test_column_buffer_without_strides_is_refused(built):
    a = built.Point.Array([(1, 2, 3), (4, 5, 6)])
    with pytest.raises(BufferError, match="strided"):
        hashlib.sha256(a.x)                         # asks for a simple, contiguous buffer
    assert a.append((0, 0, 0)) is None              # the failed request left no export
    import ctypes
    from ctypes import pythonapi
    class Py_buffer(ctypes.Structure):
        _fields_ = [("buf", ctypes.c_void_p), ("obj", ctypes.py_object), ("len", ctypes.c_ssize_t),
                    ("itemsize", ctypes.c_ssize_t), ("readonly", ctypes.c_int),
                    ("ndim", ctypes.c_int), ("format", ctypes.c_char_p),
                    ("shape", ctypes.c_void_p), ("strides", ctypes.c_void_p),
                    ("suboffsets", ctypes.c_void_p), ("internal", ctypes.c_void_p)]
    PyBUF_STRIDES, PyBUF_C_CONTIGUOUS = 0x0010 | 0x0008, 0x0020 | 0x0010 | 0x0008
    get = pythonapi.PyObject_GetBuffer
    get.argtypes = [ctypes.py_object, ctypes.POINTER(Py_buffer), ctypes.c_int]
    view = Py_buffer()
    with pytest.raises(BufferError, match="strided"):
        get(a.x, ctypes.byref(view), PyBUF_C_CONTIGUOUS)
    assert get(a.x, ctypes.byref(view), PyBUF_STRIDES) == 0
    with pytest.raises(BufferError):
        a.append((0, 0, 0))
    pythonapi.PyBuffer_Release(ctypes.byref(view))
    a.append((0, 0, 0))
    # a one-field record's column is contiguous
    assert b"".join([built.NoEq.Array([(5,), (6,)]).column("v")]) == struct.pack("=2i", 5, 6)


# ----------------------------------------------------------------------------- memory

def test_sizeof_is_header_plus_capacity(mode):
    P = mode.Point
    a = P.Array.zeros(1000)
    header = sys.getsizeof(P.Array())
    if mode.compiled:
        assert sys.getsizeof(a) == header + 12 * 1000
        for _ in range(500):
            a.append((1, 2, 3))
        assert 1500 <= a.capacity <= 1500 * 1.5 + 8
        assert sys.getsizeof(a) == header + 12 * a.capacity
        a.shrink_to_fit()
        assert a.capacity == 1500 and sys.getsizeof(a) == header + 12 * 1500
    else:
        assert sys.getsizeof(a) >= header + 12 * 1000
    b = P.Array.frombuffer(raw(a))
    assert b.capacity == len(b)


def test_growth_slack_is_at_most_half(built):
    a = built.Point.Array()
    for i in range(100_000):
        a.append((i, i, i))
        if i % 997 == 0:
            assert a.capacity <= max(8, 1.5 * len(a) + 1)
    per_record = (sys.getsizeof(a) - sys.getsizeof(built.Point.Array())) / len(a)
    assert 12 <= per_record <= 18
    a.shrink_to_fit()
    assert (sys.getsizeof(a) - sys.getsizeof(built.Point.Array())) / len(a) == 12
    b = built.Point.Array([(i, i, i) for i in range(1000)])   # a sized iterable: exact
    assert b.capacity == 1000


def test_reserve(built):
    a = built.Point.Array()
    a.reserve(100)
    assert a.capacity == 100 and len(a) == 0
    for i in range(100):
        a.append((i, i, i))
    assert a.capacity == 100
    with memoryview(a):
        with pytest.raises(BufferError):
            a.reserve(1000)
        a.reserve(10)                               # nothing to do: allowed


def test_large_size_arithmetic_without_memory(mode):
    """No 32-bit arithmetic: indices and byte offsets past 2**31 records, with mocked lengths
    (the compiled hooks run the very C code __getitem__ uses)."""
    n = 2**31 + 10
    if mode.compiled:
        assert _arrays._array_item_offset(12, n, -1) == 12 * (n - 1)
        assert _arrays._array_item_offset(12, n, 2**31 + 5) == 12 * (2**31 + 5)
        assert _arrays._array_item_offset(1, 2**40, 2**40 - 1) == 2**40 - 1
        with pytest.raises(IndexError):
            _arrays._array_item_offset(12, n, n)
        with pytest.raises(IndexError):
            _arrays._array_item_offset(12, n, -n - 1)
        assert _arrays._array_max_len(12) == (2**63 - 1) // 12
    else:
        what = "Point.Array"
        assert array_fallback.normalize_index(-1, n, what) == n - 1
        assert array_fallback.normalize_index(2**31 + 5, n, what) == 2**31 + 5
        with pytest.raises(IndexError):
            array_fallback.normalize_index(n, n, what)
    with pytest.raises(MemoryError):
        mode.Point.Array.zeros(2**62)               # overflows the byte size: no allocation
    with pytest.raises((MemoryError, OverflowError)):
        mode.Point.Array.zeros(2**64)


@pytest.mark.skipif(os.environ.get("COMPACTCLASS_BIG_TESTS") != "1",
                    reason="allocates 2 GiB; set COMPACTCLASS_BIG_TESTS=1")
def test_more_than_2_31_records_for_real(built):
    a = built.Base.Array.zeros(2**31 + 3)           # one u8 per record
    a[-1] = (7,)
    a[2**31] = (5,)
    assert len(a) == 2**31 + 3 and a[2**31 + 2].a == 7 and a[2**31].a == 5
    assert np.asarray(a.a)[2**31] == 5


# ----------------------------------------------------------------------------- pickle, copy

@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_round_trip(built, protocol):
    for name in ("Point", "Mixed", "Derived", "Wide"):
        cls = getattr(built, name)
        a = cls.Array.zeros(3)
        a[1] = a[1]
        b = pickle.loads(pickle.dumps(a, protocol))
        assert type(b) is cls.Array and b == a and raw(b) == raw(a)


def test_pickle_is_compact(built):
    a = built.Point.Array.zeros(10_000)
    assert len(pickle.dumps(a, 5)) < 12 * 10_000 + 200


def test_pickle_loads_in_the_other_mode(built):
    compiled, fallback = built.Point, fallback_of(built.Point)
    a = compiled.Array([(1, 2, 3), (4, 5, 6)])
    restore, (cls, header, payload) = a.__reduce__()
    assert restore is restore_array_v1 and cls is compiled
    b = restore_array_v1(fallback, header, payload)
    assert type(b) is fallback.Array and list(b) == [fallback(1, 2, 3), fallback(4, 5, 6)]
    restore2, (cls2, header2, payload2) = b.__reduce__()
    assert (cls2, header2, payload2) == (fallback, header, payload)
    assert restore_array_v1(compiled, header2, payload2) == a


def test_pickle_loads_in_a_pure_python_process(built, tmp_path):
    a = built.Mixed.Array([(1, 0.5, True, 0.25), (2, -1.0, False, 8.0)])
    path = tmp_path / "arrays.pickle"
    path.write_bytes(pickle.dumps(a))
    code = textwrap.dedent(f"""
        import pickle, sys
        import compactclass
        data = pickle.loads(open({str(path)!r}, "rb").read())
        from arrays_decl import Mixed
        assert not compactclass.is_compiled(Mixed)
        assert type(data) is Mixed.Array, type(data)
        print(list(data))
        sys.stdout.flush()
        pickle.dump(data, open({str(path)!r}, "wb"))
    """)
    env = dict(os.environ, COMPACTCLASS_PURE="1",
               PYTHONPATH=os.pathsep.join([os.path.dirname(built.__file__), *sys.path]))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[Mixed(a=1, b=0.5, c=True, d=0.25), " \
                                 "Mixed(a=2, b=-1.0, c=False, d=8.0)]"
    assert pickle.loads(path.read_bytes()) == a      # and back, written by the fallback


def _corrupt_headers(header):
    version, size, signature, fmt, order = header
    yield "bad header", "not a tuple"
    yield "bad header", header[:4]
    yield "unknown array pickle version", (2, size, signature, fmt, order)
    yield "the pickle holds fields", (version, size, "x:i64,y:i32,z:i32", fmt, order)
    yield "item layout", (version, 16, signature, fmt, order)
    yield "item layout", (version, size, signature, "T{q:x:i:y:}", order)
    yield "endian", (version, size, signature, fmt, "big" if order == "little" else "little")


def test_corrupt_pickles_are_value_errors(mode):
    a = mode.Point.Array([(1, 2, 3), (4, 5, 6)])
    _, (cls, header, payload) = a.__reduce__()
    for message, bad in _corrupt_headers(header):
        with pytest.raises(ValueError, match=message):
            restore_array_v1(cls, bad, payload)
    with pytest.raises(ValueError, match="not a whole number of 12-byte records"):
        restore_array_v1(cls, header, payload[:-1])
    with pytest.raises(ValueError, match="must be bytes"):
        restore_array_v1(cls, header, list(payload))
    with pytest.raises(TypeError, match="not a compact record"):
        restore_array_v1(int, header, payload)
    m = mode.Mixed.Array([(1, 2.0, True, 3.0)])
    _, (mcls, mheader, mpayload) = m.__reduce__()
    broken = bytearray(mpayload)
    broken[13] = 7
    with pytest.raises(ValueError, match="corrupt pickle: record 0 holds byte 7"):
        restore_array_v1(mcls, mheader, bytes(broken))


def test_truncated_pickle_stream_never_builds_an_array(built):
    data = pickle.dumps(built.Point.Array.zeros(50))
    for cut in (1, 10, len(data) // 2, len(data) - 1):
        with pytest.raises((pickle.UnpicklingError, EOFError, ValueError)):
            pickle.loads(data[:cut])


def test_copy(mode):
    a = mode.Point.Array([(1, 2, 3)])
    for b in (copy.copy(a), copy.deepcopy(a), a.copy(), a[:]):
        assert b == a and b is not a and type(b) is type(a)
        b[0] = (9, 9, 9)
        assert a[0] == mode.Point(1, 2, 3)


# ----------------------------------------------------------------------------- differential

OPS = st.lists(st.one_of(
    st.tuples(st.just("append"), st.integers(-2**31 - 2, 2**31 + 1)),
    st.tuples(st.just("insert"), st.integers(-6, 6), st.integers(-5, 5)),
    st.tuples(st.just("pop"), st.integers(-6, 6)),
    st.tuples(st.just("set"), st.integers(-6, 6), st.integers(-2**31 - 1, 2**31)),
    st.tuples(st.just("delslice"), st.integers(-6, 6), st.integers(-6, 6),
              st.sampled_from([1, 2, -1, 3])),
    st.tuples(st.just("setslice"), st.integers(-6, 6), st.integers(-6, 6),
              st.lists(st.integers(-3, 3), max_size=4)),
    st.tuples(st.just("extend"), st.lists(st.integers(-3, 3), max_size=4)),
    st.tuples(st.just("reverse")),
), max_size=30)


def _apply(target, op, make):
    kind, *args = op
    if kind == "append":
        return target.append(make(args[0]))
    if kind == "insert":
        return target.insert(args[0], make(args[1]))
    if kind == "pop":
        result = target.pop(args[0])
        return result if isinstance(result, tuple) else (result.x, result.y, result.z)
    if kind == "set":
        target[args[0]] = make(args[1])
        return None
    if kind == "delslice":
        del target[args[0]:args[1]:args[2]]
        return None
    if kind == "setslice":
        target[args[0]:args[1]] = [make(v) for v in args[2]]
        return None
    if kind == "extend":
        return target.extend([make(v) for v in args[0]])
    return target.reverse()


@settings(max_examples=150, deadline=None)
@given(ops=OPS)
def test_compiled_fallback_and_list_agree(built, ops):
    compiled, fallback = built.Point.Array(), fallback_of(built.Point).Array()
    model = []

    def check_value(v):
        if not -2**31 <= v < 2**31:
            raise OverflowError
        return (v, -v if v > -2**31 else 0, 1)

    for op in ops:
        outcomes = []
        for target, make in ((model, check_value), (compiled, lambda v: (v, -v if v > -2**31
                                                                           else 0, 1)),
                             (fallback, lambda v: (v, -v if v > -2**31 else 0, 1))):
            try:
                outcomes.append(("ok", _apply(target, op, make)))
            except Exception as exc:  # noqa: BLE001 - the exception type is the result
                outcomes.append(("error", type(exc)))
        assert outcomes[1] == outcomes[2] == outcomes[0], (op, outcomes)
        assert [(p.x, p.y, p.z) for p in compiled] == model
        assert raw(compiled) == raw(fallback)


# ----------------------------------------------------------------------------- generator

def test_generated_item_struct_and_accessors(built):
    spec = built.Mixed.__compact__.spec
    pxd = "\n".join(array_pxd(spec, compute_layout(spec)))
    assert "ctypedef struct Mixed_item:" in pxd
    assert f"    double {names.c_member(spec.field('b'))}  # f64, offset 0" in pxd
    assert f"    uint8_t {names.c_member(spec.field('c'))}  # bool, offset 13" in pxd
    assert "    char __cc_pad14[2]  # padding, offset 14" in pxd
    assert "cdef class MixedArray(_cc_RecordArray):" in pxd
    assert "cdef inline Mixed_item *MixedArray_at(MixedArray a, Py_ssize_t i) noexcept:" in pxd
    pyx = "\n".join(sum(array_pyx(spec, compute_layout(spec)), []))
    assert 'b"T{d:b:f:d:B:a:?:c:2x}"' in pyx
    assert "_cc_memset(&_cc_item, 0, sizeof(_cc_item))" in pyx       # padding in the item
    point = built.Point.__compact__.spec
    assert "_cc_memset(&_cc_item" not in "\n".join(sum(array_pyx(point, compute_layout(point)),
                                                        []))


def test_generated_array_names_cannot_collide(built):
    spec = built.Point.__compact__.spec
    clash = types.SimpleNamespace(**{**spec.__dict__})
    from dataclasses import replace
    other = replace(spec, name="PointArray", qualname="PointArray")
    with pytest.raises(TypeError, match="'PointArray' collides"):
        names.check([spec, other], foreign_bases([spec, other]), lambda base: None)
    del clash


def test_item_layout_matches_layout_offsets(built):
    for name in ("Point", "Particle", "Mixed", "Wide", "Derived", "Partial"):
        layout = compute_layout(getattr(built, name).__compact__.spec)
        item = array_format.item_layout(layout)
        assert {f.name: f.offset for f in item.fields} == layout.item_offsets()
        assert struct.calcsize(item.struct_format) == item.size == layout.item_size


# ----------------------------------------------------------------------------- Cython

CONSUMER = """
# cython: language_level=3, boundscheck=False, wraparound=False
from {module} cimport (PointArray, Point_item, PointArray_at, PointArray_data,
                       PointArray_len, ParticleArray, Particle_item, ParticleArray_at)

def sum_x(PointArray a):
    cdef Py_ssize_t i, n = PointArray_len(a)
    cdef long long total = 0
    for i in range(n):
        total += PointArray_at(a, i).x
    return total

def scale(PointArray a, int k):
    cdef Point_item *p = PointArray_data(a)
    cdef Py_ssize_t i
    for i in range(PointArray_len(a)):
        p[i].x *= k
        p[i].z = p[i].x + p[i].y

def norm2(ParticleArray a):
    cdef Particle_item *q
    cdef double total = 0
    cdef Py_ssize_t i
    for i in range(a.vec.len):
        q = ParticleArray_at(a, i)
        total += q.x * q.x + q.y * q.y + q.z * q.z
    return total
"""


def test_cython_loop_over_an_array(built, tmp_path):
    array_loops = build_consumer("array_loops", CONSUMER.format(module="arrays_decl_compact"),
                                 os.path.dirname(built.__file__), tmp_path)
    a = built.Point.Array((i, 1, 0) for i in range(100_000))
    assert array_loops.sum_x(a) == sum(range(100_000)) == int(np.asarray(a.x).sum())
    array_loops.scale(a, 3)
    assert a[10] == built.Point(30, 1, 31)
    assert array_loops.sum_x(built.Point.Array()) == 0
    p = built.Particle.Array([(1.0, 2.0, 2.0), (0.0, 3.0, 4.0)])
    assert array_loops.norm2(p) == 34.0
    with pytest.raises(TypeError):
        array_loops.sum_x(p)                        # a ParticleArray is not a PointArray


# ----------------------------------------------------------------------------- benchmark

def test_benchmark_script_runs():
    """benchmarks/arrays.py must not rot: a tiny run gives every contender a row of figures."""
    script = os.path.join(os.path.dirname(os.path.dirname(__file__)), "benchmarks", "arrays.py")
    proc = subprocess.run([sys.executable, script, "--sizes", "3000", "--repeats", "1"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {}
    for line in proc.stdout.splitlines():
        if line.startswith("## "):
            schema = line.split()[1].rstrip(",")
        elif line.startswith("| ") and not line.startswith("| contender"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[(schema, cells[0])] = cells[1:]
    for schema, payload in (("3xi32", 12), ("3xf64", 24)):
        for label in ("dataclass list", "compact list", "Point.Array", "NumPy struct"):
            assert not any("failed" in c for c in rows[(schema, label)]), rows[(schema, label)]
        shrunk = float(rows[(schema, "Point.Array")][2])
        assert shrunk == payload
