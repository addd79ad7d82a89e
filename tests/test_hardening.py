"""Regression tests for hostile and odd callers: each test failed (crashed, read foreign memory
or gave a wrong result) before the runtime was hardened. The sweeps over every method are in
test_hostile_calls.py and the stateful re-entrancy test in test_array_state_machine.py.

One declaration module is built once, compiled; most tests also run on the fallback classes.
"""
from __future__ import annotations

import gc
import pickle
import subprocess
import sys
import textwrap

import pytest

import compactclass
from compactclass import _arrays, _records
from compactclass.pickling import restore_v1
from conftest import fallback_of

np = pytest.importorskip("numpy")

SOURCE = """
from compactclass import compact, i32, f64, u8

@compact(order=True)
class Point:
    x: i32
    y: i32
    z: i32 = 0

@compact
class Flags:
    x: f64
    on: bool = False
    level: u8 = 0

@compact
class Circle:
    π: i32
    r: i32 = 1

@compact
class Base:
    x: i32

@compact(weakref_slot=True)
class Weak(Base):
    # Weak's __weakref__ pointer lies between x and y in the object
    y: i32 = 0
"""


@pytest.fixture(scope="module")
def compiled(builder):
    module = builder.build(SOURCE, name="hardening_records")
    assert compactclass.is_compiled(module.Point)
    return module


@pytest.fixture(params=["compiled", "fallback"])
def mode(request, compiled):
    """(Point, Flags, Circle, Weak) of one mode."""
    classes = (compiled.Point, compiled.Flags, compiled.Circle, compiled.Weak)
    if request.param == "fallback":
        classes = tuple(fallback_of(cls) for cls in classes)
    return classes


# --------------------------------------------------------------------------- stale lengths

class Shrinker:
    """An index whose __index__ empties the array first (as a __del__, a gc callback or
    another thread could, between reading the length and using it)."""

    def __init__(self, array, value):
        self.array, self.value = array, value

    def __index__(self):
        del self.array[:]
        return self.value


def filled(Point, n=50):
    return Point.Array([(i, i, i) for i in range(n)])


@pytest.mark.parametrize("op", ["get", "set", "del"])
def test_slice_whose_bounds_shrink_the_array(mode, op):
    Point = mode[0]
    a = filled(Point)
    index = slice(Shrinker(a, 0), 40)
    if op == "get":
        assert len(a[index]) == 0
    elif op == "set":
        a[index] = [(9, 9, 9)]          # the slice fits the array as it is afterwards
        assert a.tobytes() == Point.Array([(9, 9, 9)]).tobytes()
    else:
        del a[index]
    assert len(a) == len(list(a))


@pytest.mark.parametrize("op", ["get", "set"])
def test_column_slice_whose_bounds_shrink_the_array(mode, op):
    Point = mode[0]
    a = filled(Point)
    index = slice(Shrinker(a, 0), 40, 2)
    if op == "get":
        assert a.x[index] == []
    else:
        with pytest.raises(ValueError, match="cannot assign 20 values to 0 records"):
            a.x[index] = list(range(20))
    assert len(a) == 0


def test_extended_slice_assignment_after_shrinking(mode):
    Point = mode[0]
    a = filled(Point)
    with pytest.raises(ValueError, match="extended slice of size 0"):
        a[Shrinker(a, 0):40:2] = [(1, 1, 1)] * 20
    assert len(a) == 0


def test_index_that_shrinks_the_array(mode):
    Point = mode[0]
    a = filled(Point)
    with pytest.raises(IndexError):
        a[Shrinker(a, 10)]
    a = filled(Point)
    with pytest.raises(IndexError):
        a.x[Shrinker(a, 10)] = 5
    a = filled(Point)
    with pytest.raises(IndexError):
        a.pop(Shrinker(a, 10))


def test_repr_while_a_gc_callback_empties_the_array(compiled):
    """repr allocates a record per shown item: a collection it triggers may run any code."""
    a = filled(compiled.Point, 200)
    col = a.x

    def callback(phase, info):
        if phase == "start" and len(a):
            del a[:]

    thresholds = gc.get_threshold()
    gc.callbacks.append(callback)
    gc.set_threshold(1)
    try:
        text = repr(a)
        text_col = repr(col)
        values = col.tolist()
    finally:
        gc.set_threshold(*thresholds)
        gc.callbacks.remove(callback)
    assert text.startswith("<Point.Array of")
    assert text_col.startswith("<column Point.x (i32) of")
    assert values == list(a.x)


# --------------------------------------------------------------------------- bools

def test_a_bool_byte_written_through_a_buffer_reads_as_true_everywhere(mode):
    Flags = mode[1]
    a = Flags.Array([(1.0, True, 3), (2.0, False, 4)])
    view = np.asarray(a)
    view["on"][0] = 2                      # any nonzero byte: NumPy's own bool rule
    del view
    assert a.on[0] is True
    assert a[0] == Flags(1.0, True, 3)
    assert repr(a[0]) == "Flags(x=1.0, on=True, level=3)"
    assert Flags(1.0, True, 3) in a
    assert a.count(Flags(1.0, True, 3)) == 1 and a.index((1.0, True, 3)) == 0
    assert a == Flags.Array([(1.0, True, 3), (2.0, False, 4)])
    restore, args = a.__reduce__()                # the pickle holds 0/1 and loads back
    restored = restore(*args)
    assert restored == a and restored.tobytes() == Flags.Array(list(a)).tobytes()


def test_a_bool_byte_other_than_0_or_1_is_refused_on_import(mode):
    Flags = mode[1]
    raw = bytearray(Flags.Array([(1.0, True, 3)]).tobytes())
    offset = np.asarray(Flags.Array([(1.0, True, 3)])).dtype.fields["on"][1]
    raw[offset] = 2
    with pytest.raises(ValueError, match="record 0 holds byte 2 in bool field 'on'"):
        Flags.Array.frombuffer(bytes(raw))


def test_record_copies_of_a_nonzero_bool_byte_compare_equal(compiled):
    Flags = compiled.Flags
    a = Flags.Array([(1.0, True, 3)])
    view = np.asarray(a)
    view["on"][0] = 5
    del view
    copied = a[0]
    assert copied == Flags(1.0, True, 3) and not copied != Flags(1.0, True, 3)
    assert copied.on is True


# --------------------------------------------------------------------------- pickles

def test_restore_with_a_tuple_subclass(mode):
    Point = mode[0]

    class Values(tuple):
        pass

    point = restore_v1(Point, Point.__compact__.signature, Values((1, 2, 3)))
    assert type(point) is Point and point == Point(1, 2, 3)


def test_restore_names_what_is_wrong(mode):
    Point = mode[0]
    with pytest.raises(ValueError, match="expected a tuple of 3 field values, got list"):
        restore_v1(Point, Point.__compact__.signature, [1, 2, 3])
    with pytest.raises(ValueError, match="expected a tuple of 3 field values, got 2"):
        restore_v1(Point, Point.__compact__.signature, (1, 2))


def test_restore_into_a_class_that_borrows_a_records_info(mode):
    Point = mode[0]

    class Impostor:
        __compact__ = Point.__compact__

    with pytest.raises(TypeError, match="not a compact record"):
        restore_v1(Impostor, Point.__compact__.signature, (1, 2, 3))


# --------------------------------------------------------------------------- one rule, both modes

def test_reserve_while_exported_is_a_buffer_error_in_both_modes(mode):
    Point = mode[0]
    a = filled(Point, 3)
    a.shrink_to_fit()
    view = np.asarray(a)
    with pytest.raises(BufferError, match="cannot resize while a buffer of it is exported"):
        a.reserve(100)
    a.reserve(2)                        # within the capacity: nothing to move
    del view
    a.reserve(100)
    assert len(a) == 3


# --------------------------------------------------------------------------- generated modules

def test_a_replaced_binder_cannot_make_the_constructor_read_past_its_values(compiled):
    module = sys.modules["hardening_records_compact"]
    binder = module._cc_Point_binder
    try:
        for fake in (lambda *a, **k: (), lambda *a, **k: (1,), lambda *a, **k: [1, 2, 3],
                     lambda *a, **k: None):
            module._cc_Point_binder = fake
            with pytest.raises(TypeError, match="Point: the argument binder returned"):
                compiled.Point(1, 2, w=3)       # an unknown keyword: the binder's path
            with pytest.raises(TypeError, match="Point: the argument binder returned"):
                compiled.Point.__init__(compiled.Point(1, 2), 5)
    finally:
        module._cc_Point_binder = binder
    assert compiled.Point(1, y=2) == compiled.Point(1, 2, 0)


def test_type_helpers_are_private_and_only_change_compact_types(compiled):
    assert not hasattr(_records, "set_type_attribute") and not hasattr(_records, "set_type_name")
    for cls in (int, object, type, compiled.Point.__compact__.twin):
        with pytest.raises(TypeError, match="not a compiled compact record type"):
            _records._set_type_attribute(cls, "bit_length", None)
        with pytest.raises(TypeError, match="not a compiled compact record type"):
            _records._set_type_name(cls, "renamed")
    assert int.__name__ == "int" and (5).bit_length() == 3


def test_runtime_state_is_not_reachable_from_python():
    for name in ("_arenas", "_record_types", "_records", "_initialising"):
        assert not hasattr(_records, name), name
    for name in ("_array_kinds", "_RecordArray_new"):
        assert not hasattr(_arrays, name), name


def test_non_ascii_field_names_compile(compiled):
    Circle = compiled.Circle
    c = Circle(3)
    assert c.π == 3 and repr(c) == "Circle(π=3, r=1)"
    c.π = 4
    a = Circle.Array([c, (5, 6)])
    assert a.column("π").tolist() == [4, 5]
    assert np.asarray(a).dtype.names == ("π", "r")
    assert pickle.loads(pickle.dumps(a)) == a


def test_a_compact_base_from_another_module_compiles(builder):
    base = builder.build("""
        from compactclass import compact, i32

        @compact(order=True)
        class Shape:
            x: i32
            y: i32 = 0
    """, name="hardening_base")
    child = builder.build("""
        from compactclass import compact, u8
        from hardening_base import Shape

        @compact(order=True)
        class Square(Shape):
            side: u8 = 1
    """, name="hardening_child")
    Square = child.Square
    assert compactclass.is_compiled(Square) and issubclass(Square, base.Shape)
    s = Square(1, 2, 3)
    assert (s.x, s.y, s.side) == (1, 2, 3) and s < Square(1, 2, 4)
    assert pickle.loads(pickle.dumps(s)) == s
    assert Square.Array([s]).side.tolist() == [3]


def test_building_a_child_before_its_base_names_the_base(builder, tmp_path):
    builder.write("""
        from compactclass import compact, i32

        @compact
        class Root:
            x: i32
    """, name="hardening_unbuilt_base")
    _, path = builder.write("""
        from compactclass import compact, i32
        from hardening_unbuilt_base import Root

        @compact
        class Leaf(Root):
            y: i32 = 0
    """, name="hardening_unbuilt_child")
    result = subprocess.run([sys.executable, "-m", "compactclass", "build", str(path)],
                            capture_output=True, text=True, cwd=str(path.parent))
    assert result.returncode == 1
    assert "class Leaf: its compact base Root is declared in hardening_unbuilt_base.py, which " \
           "has no build yet: build hardening_unbuilt_base.py first" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_compact_base_from_a_module_in_another_folder(builder, tmp_path):
    """The base's build (its .pxd) is found wherever its declaration's import root is."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "hardening_far_base.py").write_text(textwrap.dedent("""
        from compactclass import compact, i32

        @compact
        class Far:
            x: i32
    """))
    sys.path.insert(0, str(folder))
    try:
        from compactclass import build
        build.build_inplace([str(folder / "hardening_far_base.py")])
        child = builder.build("""
            from compactclass import compact, i32
            from hardening_far_base import Far

            @compact
            class Near(Far):
                y: i32 = 0
        """, name="hardening_far_child")
        assert compactclass.is_compiled(child.Near) and child.Near(1, 2).x == 1
    finally:
        sys.path.remove(str(folder))


def test_array_items_never_hold_the_weakref_pointer_between_fields(mode):
    """A weakref_slot child's __weakref__ lies between its base's fields and its own: items
    are copied around it, so no array holds (or installs in a record) an object pointer."""
    import struct
    import weakref
    Weak = mode[3]
    w = Weak(1, 2)
    ref = weakref.ref(w)
    a = Weak.Array([w])
    assert a.tobytes() == struct.pack("=i4x8xi", 1, 2)            # the hole is zero
    assert weakref.getweakrefcount(a[0]) == 0 and ref() is w
    forged = Weak.Array.frombuffer(struct.pack("=i4xQi", 1, 0x4141414141414140, 2))
    copy = forged[0]
    assert (copy.x, copy.y) == (1, 2) and weakref.getweakrefcount(copy) == 0
    weakref.ref(copy)                       # a working weakref list of its own
    assert Weak.Array.frombuffer(forged.tobytes())[0] == copy


def test_restore_does_not_trust_a_replaced_dunder_new(compiled):
    """Unpickling writes C fields into what it makes: a __new__ put into the type's dict (by
    the private binding helper) must not decide what that is."""
    data = pickle.dumps(compiled.Point(1, 2, 3))
    original = vars(compiled.Point)["__new__"]
    _records._set_type_attribute(compiled.Point, "__new__",
                                 staticmethod(lambda cls, *a: bytearray(b"abc")))
    try:
        restored = pickle.loads(data)
    finally:
        _records._set_type_attribute(compiled.Point, "__new__", original)
    assert type(restored) is compiled.Point and (restored.x, restored.y, restored.z) == (1, 2, 3)
    with pytest.raises(TypeError):
        _records.restore_record(compiled.Point, (1, 2, 3), bytearray)


def test_records_copied_out_of_an_array_hold_canonical_bools(mode):
    """A bool byte other than 0/1 written through a buffer reads as True, and a record copied
    out holds True: an array made of such copies holds 1."""
    Flags = mode[1]
    a = Flags.Array([Flags(1.0, True)])
    view = np.asarray(a).view(np.uint8)
    view[8] = 7
    del view
    copy = a[0]
    assert copy.on is True
    assert Flags.Array([copy]).tobytes()[8] == 1
