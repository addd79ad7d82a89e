"""Spec -> layout: field offsets, padding and sizes, checked against the compiled structs, and
the ``python -m compactclass layout module:Class`` table."""
import ctypes
import os
import subprocess
import sys
import weakref

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import compactclass
from compactclass import compact, f32, f64, i8, i16, i32, i64, u8, u16, u32, u64
from compactclass.cli import main
from compactclass.layout import OBJECT_HEADER, compute_layout, format_layout, storage_order
from compactclass.kinds.numbers import KINDS as CTYPES
from record_decls import RECORD_NAMES, compiled  # noqa: F401  (fixture)


def layout_of(cls):
    return compactclass.layout(cls)


def offsets(layout):
    return {s.field.name: (s.offset, s.padding) for s in layout.slots}


# --------------------------------------------------------------------------- computed layouts


def test_three_i32():
    @compact
    class Point:
        x: i32
        y: i32
        z: i32 = 0

    layout = layout_of(Point)
    assert offsets(layout) == {"x": (16, 0), "y": (20, 0), "z": (24, 0)}
    assert (layout.instance_size, layout.payload) == (32, 16)
    assert (layout.item_size, layout.item_align, layout.item_offsets()) == \
        (12, 4, {"x": 0, "y": 4, "z": 8})
    assert layout.weakref_offset is None and layout.base is None


def test_fields_are_reordered_largest_alignment_first():
    @compact
    class Mixed:
        a: u8
        b: f64
        c: i16

    layout = layout_of(Mixed)
    assert [s.field.name for s in layout.slots] == ["b", "c", "a"]          # storage order
    assert offsets(layout) == {"b": (16, 0), "c": (24, 0), "a": (26, 0)}
    assert layout.instance_size == 32                   # declared order would need 40
    assert layout.item_size == 16 and layout.item_offsets() == {"a": 10, "b": 0, "c": 8}
    assert list(layout.item_offsets()) == ["a", "b", "c"]                   # declared order
    assert [f.name for f in layout.spec.fields] == ["a", "b", "c"]


def test_every_type(compiled):
    All = compiled.AllTypes  # one field of each type, declared smallest-first

    layout = layout_of(All)
    assert [s.field.name for s in layout.slots] == \
        ["a64", "b64", "d", "a32", "b32", "f", "a16", "b16", "a8", "b8", "flag"]
    assert [s.offset for s in layout.slots] == [16, 24, 32, 40, 44, 48, 52, 54, 56, 57, 58]
    assert all(s.padding == 0 for s in layout.slots)
    assert layout.instance_size == 64 and layout.item_size == 48


@pytest.mark.parametrize("fields, size", [
    ((f64, f64, f64), 40), ((u8, u8, u8, u8), 24), ((u8, f64, i16), 32), ((i32,), 24),
    ((i64,), 24), ((bool,), 24), ((), 16), ((u8,) * 8, 24), ((u8,) * 9, 32),
    ((f32, f64), 32), ((i16, i16, i16, i16), 24)])
def test_instance_size(fields, size):
    cls = compact(type("Rec", (), {"__annotations__": {f"f{i}": t for i, t in enumerate(fields)}}))
    layout = layout_of(cls)
    payload = sum(CTYPES[s.field.kind.name].size for s in layout.slots)
    assert layout.instance_size == (16 + payload + 7) // 8 * 8 == size


def test_record_without_fields():
    @compact
    class Empty:
        pass

    layout = layout_of(Empty)
    assert (layout.instance_size, layout.slots, layout.item_size) == (16, (), 0)
    assert repr(Empty()).endswith("<locals>.Empty()")


def test_derived_fields_start_after_the_padded_base():
    @compact
    class Base:
        a: i32

    @compact
    class Small(Base):
        c: u8 = 0

    @compact
    class Wide(Base):
        b: f64 = 0.0

    assert layout_of(Base).instance_size == 24
    small = layout_of(Small)
    # Cython embeds the base struct, tail padding included: c cannot use bytes 20..23.
    assert offsets(small) == {"a": (16, 0), "c": (24, 4)}
    assert small.instance_size == 32 and small.base.instance_size == 24
    wide = layout_of(Wide)
    assert offsets(wide) == {"a": (16, 0), "b": (24, 4)}
    assert wide.instance_size == 32
    assert wide.item_size == 16 and wide.item_offsets() == {"a": 0, "b": 8}


def test_weakref_slot_takes_a_pointer():
    @compact(weakref_slot=True)
    class Weak:
        a: i32

    @compact
    class Child(Weak):
        b: i32 = 0

    layout = layout_of(Weak)
    assert layout.weakref_offset == 16
    assert offsets(layout) == {"a": (24, 0)} and layout.instance_size == 32
    child = layout_of(Child)
    assert child.weakref_offset == 16                   # inherited, not added again
    assert offsets(child) == {"a": (24, 0), "b": (32, 4)} and child.instance_size == 40


def test_storage_order_keeps_declared_order_among_equal_alignment():
    @compact
    class Rec:
        a: i16
        b: i32
        c: u16
        d: f32
        e: i8

    spec = Rec.__compact__.spec
    assert [f.name for f in storage_order(spec.fields)] == ["b", "d", "a", "c", "e"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(sorted(CTYPES)), max_size=12))
def test_no_padding_between_own_fields(type_names):
    annotations = {f"f{i}": (bool if n == "bool" else getattr(compactclass, n))
                   for i, n in enumerate(type_names)}
    layout = compute_layout(compact(type("Rec", (), {"__annotations__": annotations}))
                            .__compact__.spec)
    sizes = [CTYPES[n].size for n in type_names]
    assert all(s.padding == 0 and s.offset % s.size == 0 for s in layout.slots)
    assert layout.instance_size == (OBJECT_HEADER + sum(sizes) + 7) // 8 * 8
    ends = sorted((s.offset, s.offset + s.size) for s in layout.slots)
    assert all(end <= start for (_, end), (start, _) in zip(ends, ends[1:]))   # no overlap


def test_layout_repr_and_str():
    @compact
    class Point:
        x: i32
        y: i32

    layout = layout_of(Point)
    assert repr(layout) == "<Layout of test_layout_repr_and_str.<locals>.Point: 24 bytes per " \
                           "instance, 8 per array item>"
    assert str(layout) == format_layout(layout)


def test_format_layout_table():
    @compact
    class Mixed:
        a: u8
        b: f64
        c: i16

    table = format_layout(layout_of(Mixed)).splitlines()
    assert table[0] == (f"{__name__}.test_format_layout_table.<locals>.Mixed: 32 bytes per "
                        f"instance (16 header + 16 payload), 16 bytes per array item")
    assert table[1:] == [
        "  offset  size  pad  C type    field: kind",
        "       0    16    0  PyObject  (header)",
        "      16     8    0  double    b: f64",
        "      24     2    0  int16_t   c: i16",
        "      26     1    0  uint8_t   a: u8",
        "                  5  (tail padding)",
    ]


def test_format_layout_shows_weakref_and_base_padding():
    @compact(weakref_slot=True)
    class Base:
        a: i32

    @compact
    class Child(Base):
        c: u8 = 0

    table = format_layout(layout_of(Child)).splitlines()
    assert table[2:] == [
        "       0    16    0  PyObject  (header)",
        "      16     8    0  PyObject* __weakref__",
        "      24     4    0  int32_t   a: i32",
        "      32     1    4  uint8_t   c: u8",
        "                  7  (tail padding)",
    ]


# --------------------------------------------------------------------------- compiled structs

C_TYPES = {"i8": ctypes.c_int8, "i16": ctypes.c_int16, "i32": ctypes.c_int32,
           "i64": ctypes.c_int64, "u8": ctypes.c_uint8, "u16": ctypes.c_uint16,
           "u32": ctypes.c_uint32, "u64": ctypes.c_uint64, "f32": ctypes.c_float,
           "f64": ctypes.c_double, "bool": ctypes.c_uint8}


def distinct_values(spec):
    values = {}
    for i, f in enumerate(spec.fields, start=1):
        kind = f.kind.python_type
        values[f.name] = True if kind is bool else (i + 0.5 if kind is float else i * 3)
    return values


@pytest.mark.parametrize("name", RECORD_NAMES)
def test_layout_matches_the_compiled_struct(compiled, name):
    """Read every field of a compiled instance at the offset layout() gives."""
    cls = getattr(compiled, name)
    layout = layout_of(cls)
    spec = layout.spec
    values = distinct_values(spec)
    obj = cls.__compact__.restore(tuple(values[f.name] for f in spec.fields))  # as unpickling
    assert sys.getsizeof(obj) == layout.instance_size == type(obj).__basicsize__
    for s in layout.slots:
        raw = C_TYPES[s.field.kind.name].from_address(id(obj) + s.offset).value
        assert raw == values[s.field.name], s.field.name
    if layout.weakref_offset is not None:
        ref = weakref.ref(obj)
        assert ctypes.c_void_p.from_address(id(obj) + layout.weakref_offset).value == id(ref)


def test_pxd_declares_fields_in_storage_order_with_their_offsets(compiled):
    with open(compiled.__file__[:-3] + "_compact.pxd") as f:
        classes = {chunk.split(":")[0].split("(")[0]: chunk
                   for chunk in f.read().split("\ncdef class ")[1:]}
    for name in RECORD_NAMES:
        layout = layout_of(getattr(compiled, name))
        text = classes[name]
        assert f"# {layout.instance_size} bytes per instance" in text
        declared = [line.strip() for line in text.splitlines()
                    if line.strip().startswith("cdef ") and "offset" in line]
        own = [s for s in layout.slots if s.field.owner == name]
        assert len(declared) == len(own), name
        for line, s in zip(declared, own):
            assert line.startswith(f"cdef {s.field.kind.c_type} {s.field.name}")
            assert line.endswith(f"# {s.field.kind.name}, offset {s.offset}")


# --------------------------------------------------------------------------- the command line


def test_cli_layout_prints_the_table(compiled, capsys):
    assert main(["layout", f"{compiled.__name__}:Mixed"]) == 0
    out = capsys.readouterr().out
    assert out == format_layout(layout_of(compiled.Mixed)) + "\n"
    assert out.startswith(f"{compiled.__name__}.Mixed: 32 bytes per instance")


def test_cli_layout_in_a_subprocess(compiled, builder):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(builder.folder), *sys.path])}
    result = subprocess.run([sys.executable, "-m", "compactclass", "layout",
                             f"{compiled.__name__}:Derived"], capture_output=True, text=True,
                            env=env, cwd=str(builder.folder), timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == format_layout(layout_of(compiled.Derived)) + "\n"
    assert "      24     8    4  double    b: f64" in result.stdout


@pytest.mark.parametrize("target, message", [
    ("nocolon", "'nocolon': expected module:Class"),
    ("no_such_module_here:X", "No module named 'no_such_module_here'"),
    ("compactclass:NoSuchRecord", "has no attribute 'NoSuchRecord'"),
    ("compactclass:field", "is not a compact record"),
])
def test_cli_layout_errors(capsys, target, message):
    assert main(["layout", target]) == 1
    err = capsys.readouterr().err
    assert err.startswith("compactclass layout: error: ") and message in err
