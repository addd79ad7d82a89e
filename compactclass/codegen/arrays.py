"""Spec + layout -> the generated record-array class (``PointArray``) in the .pyx/.pxd/.pyi.

For a record ``Point`` the generator writes:

- in the .pxd: ``Point_item``, the C struct of one array item (fields in storage order at the
  offsets ``Layout.item_offsets()`` gives, padding as explicit members); ``cdef class
  PointArray(RecordArray)``, whose ``vec`` (a ``cc_vec``: ``data``, ``len``) other Cython
  modules read; and the inline accessors ``PointArray_data``, ``PointArray_len`` and
  ``PointArray_at`` for C-speed loops;
- in the .pyx: ``_cc_Point_pack``, which stores a Point or a tuple of its field values in an
  item (with the record constructor's checks, inline: appending is a hot path), the
  ``cc_array_kind`` that hands it and the record's field table to the shared ``RecordArray``
  base (compactclass._arrays, which reads items, compares them and makes the column
  properties from that table), the class, registered with the runtime at import, and a
  check, at import, that the C compiler laid ``Point_item`` out as expected;
- in the .pyi: the array's Python API.

Everything generic (sequence and buffer protocols, columns, pickles) lives once in the base
class; only what depends on the record's fields is generated.
"""
from __future__ import annotations

from ..array_format import ItemLayout, column_names, item_layout
from ..layout import Layout, compute_layout
from ..spec import RecordSpec
from . import names
from .records import _where
from .text import c_bytes

__all__ = ["array_pyx", "array_pxd", "array_pyi", "array_pxd_header", "array_pyi_header",
           "has_array"]

INDENT = "    "


def has_array(spec: RecordSpec) -> bool:
    """Records of plain data with fields have arrays (without fields an item would have no
    bytes; object references cannot be copied as bytes)."""
    return bool(spec.fields) and spec.plain_data


# --------------------------------------------------------------------------- .pxd

def _has_padding(spec: RecordSpec) -> bool:
    """Whether an item has bytes no field store writes: padding, presence bitmaps."""
    item = item_layout(compute_layout(spec))
    return any(f is None for _, f, _ in item.pieces()) or bool(item.presence_bits)


def array_pxd_header(specs) -> list:
    arrays = [s for s in specs if has_array(s)]
    if not arrays:
        return []
    return ["from compactclass._arrays cimport RecordArray as _cc_RecordArray"]


def pxd_item_struct(spec: RecordSpec, item: ItemLayout) -> list:
    n = names.public(spec)
    lines = [f"ctypedef struct {n['item']}:",
             f"{INDENT}# One record of {spec.qualname}.Array: {item.size} bytes, fields in "
             f"storage order"]
    for offset, f, size in item.pieces():
        if f is None:
            lines.append(f"{INDENT}char __cc_pad{offset}[{size}]  # padding, offset {offset}")
        else:
            lines.append(f"{INDENT}{f.kind.c_declaration(names.c_member(f))}  # {f.kind.name}, "
                         f"offset {offset}")
    return lines


def pxd_array_class(spec: RecordSpec, item: ItemLayout) -> list:
    n = names.public(spec)
    return [f"cdef class {n['array']}(_cc_RecordArray):",
            f"{INDENT}# {spec.qualname}.Array: records in vec (cc_vec: data, len, cap), "
            f"{item.size} bytes each",
            f"{INDENT}pass"]


def pxd_accessors(spec: RecordSpec) -> list:
    n = names.public(spec)
    a, t = n["array"], n["item"]
    return [f"cdef inline {t} *{n['data']}({a} a) noexcept:",
            f'{INDENT}"""The first record (NULL while the array has no storage). Valid until '
            f'the array is resized."""',
            f"{INDENT}return <{t} *>a.vec.data", "",
            f"cdef inline Py_ssize_t {n['len']}({a} a) noexcept:",
            f"{INDENT}return <Py_ssize_t>a.vec.len", "",
            f"cdef inline {t} *{n['at']}({a} a, Py_ssize_t i) noexcept:",
            f'{INDENT}"""Record i, unchecked: the caller ensures 0 <= i < {n["len"]}(a)."""',
            f"{INDENT}return (<{t} *>a.vec.data) + i"]


def array_pxd(spec: RecordSpec, layout: Layout) -> list:
    if not has_array(spec):
        return []
    item = item_layout(layout)
    return [*pxd_item_struct(spec, item), "", *pxd_array_class(spec, item), "",
            *pxd_accessors(spec)]


# --------------------------------------------------------------------------- .pyx

def _payload_copies(spec: RecordSpec, item: ItemLayout, dst: str, src: str) -> list:
    """memcpy statements copying the record's payload between dst and src (char pointers at
    an item and at the record's first field), around a hole (an object pointer between fields,
    which neither side may take from the other). Constant sizes: the C compiler inlines them."""
    hole, hole_size = compute_layout(spec).payload_hole
    payload = max(f.offset + f.kind.size for f in item.fields)
    if hole < 0:
        return [f"_cc_memcpy({dst}, {src}, {payload})"]
    after = hole + hole_size
    return [f"_cc_memcpy({dst}, {src}, {hole})",
            f"_cc_memcpy({dst} + {after}, {src} + {after}, {payload - after})"]


def _record_start(spec: RecordSpec, obj: str) -> str:
    base = min(s.offset for s in compute_layout(spec).slots)
    return f"(<char *><_cc_PyObject *>{obj}) + {base}"


def func_pack(spec: RecordSpec, item: ItemLayout) -> list:
    n = names.public(spec)
    record_names = ", ".join(f.name for f in item.declared)
    body = [f"cdef {n['item']} _cc_item",
            "cdef tuple _cc_values",
            f"if _cc_r.cc_type_of(<void *>_cc_value) == <_cc_PyTypeObject *>{spec.name} or "
            f"_cc_a.array_same_record(_cc_value, {spec.name}):",
            f"{INDENT}# the item is the record's payload (padding is zero in both)",
            f"{INDENT}_cc_memset(_cc_out, 0, {item.size})",
            *[INDENT + line for line in _payload_copies(
                spec, item, "<char *>_cc_out", _record_start(spec, "_cc_value"))],
            f"{INDENT}return 0",
            f"_cc_values = _cc_a.array_field_values(_cc_value, {len(item.declared)}, "
            f"{spec.name})"]
    if _has_padding(spec):
        body.append("_cc_memset(&_cc_item, 0, sizeof(_cc_item))  # padding and presence bits")
    body += [f.kind.store(f"_cc_item.{f.name}", f"_cc_values[{i}]", _where(spec, f.field))
             for i, f in enumerate(item.declared)]
    body += [f"(<{n['item']} *>_cc_out)[0] = _cc_item", "return 0"]
    return [f"cdef int {names.private(spec, 'pack')}(void *_cc_out, object _cc_value) "
            f"except -1:",
            f'{INDENT}"""Store a {spec.name}, or a tuple of its field values ({record_names}), '
            f'at _cc_out,',
            f'{INDENT}checking every value first: _cc_out is written only once all are valid."""',
            *[INDENT + line for line in body]]


def func_unpack(spec: RecordSpec, item: ItemLayout) -> list:
    n = names.public(spec)
    body = [f"cdef {spec.name} _cc_rec = {spec.name}.__new__({spec.name})",
            f"cdef {n['item']} *_cc_copy",
            *_payload_copies(spec, item, _record_start(spec, "_cc_rec"),
                             "<const char *>_cc_item")]
    checked = [f for f in item.declared if f.kind.stored_valid("x") is not None]
    if checked:     # a value no kind writes (a buffer write) is stored as the kind would
        body.append(f"_cc_copy = <{n['item']} *>({_record_start(spec, '_cc_rec')})")
        for f in checked:
            lvalue = f"_cc_copy.{f.name}"
            body += [f"if not ({f.kind.stored_valid(lvalue)}):",
                     f"{INDENT}{f.kind.canonical_store(lvalue)}"]
    body.append("return _cc_rec")
    return [f"cdef object {names.private(spec, 'unpack')}(const void *_cc_item):",
            f'{INDENT}"""A new {spec.name} holding a copy of one item (no __init__, as '
            f'unpickling)."""',
            *[INDENT + line for line in body]]


def kind_struct(spec: RecordSpec, item: ItemLayout) -> list:
    """The cc_array_kind the runtime reads: sizes and offsets the C code uses come from here
    and from the record's field table, never from a Python attribute."""
    kind = names.private(spec, "array_kind")
    members = {"itemsize": f"sizeof({names.public(spec)['item']})", "align": item.align,
               "format": c_bytes(item.buffer_format), "what": c_bytes(item.what),
               "record": f"&{names.private(spec, 'record')}", "pack": names.private(spec, "pack"),
               "unpack": names.private(spec, "unpack")}
    return [f"{kind}.{name} = {value}" for name, value in members.items()]


def pyx_array_class(spec: RecordSpec, item: ItemLayout) -> list:
    n = names.public(spec)
    return [f"cdef class {n['array']}(_cc_RecordArray):",
            f'{INDENT}"""{spec.qualname}.Array: {spec.qualname} records stored contiguously, '
            f'{item.size} bytes each.',
            "",
            f"{INDENT}a[i] is a new {spec.qualname} holding a copy of record i; a.<field> is a "
            f"live column view.",
            f'{INDENT}See compactclass.arrays for the whole contract."""']


def layout_check(spec: RecordSpec, item: ItemLayout) -> list:
    n = names.public(spec)
    probe = names.private(spec, "item_probe")
    offsets = [f"{INDENT}<char *>&{probe}.{f.name} - <char *>&{probe}," for f in item.fields]
    expected = ", ".join(str(f.offset) for f in item.fields)
    return [f"# The C compiler must lay {n['item']} out as compactclass.array_format says.",
            f"cdef {n['item']} {probe}",
            f'_cc_a.array_check_item("{spec.qualname}", sizeof({n["item"]}), {item.size}, [',
            *offsets,
            f"], [{expected}])"]


def array_pyx(spec: RecordSpec, layout: Layout) -> tuple:
    """The array's module-level pieces and the statements of its record's set-up function."""
    if not has_array(spec):
        return [], []
    item = item_layout(layout)
    n = names.public(spec)
    pieces = [func_pack(spec, item), func_unpack(spec, item),
              [f"cdef _cc_a.cc_array_kind {names.private(spec, 'array_kind')}"],
              pyx_array_class(spec, item)]
    lines = [f"# {spec.qualname}.Array: {item.size}-byte items ({n['item']} in the .pxd), "
             f"format {item.buffer_format}", ""]
    for piece in pieces:
        lines += [*piece, "", ""]
    setup = kind_struct(spec, item) + [
        f"_cc_a.array_register({n['array']}, &{names.private(spec, 'array_kind')}, "
        f"_cc_k.CC_RUNTIME_ABI)"]
    return lines[:-2], setup + layout_check(spec, item)


# --------------------------------------------------------------------------- .pyi

def array_pyi_header(specs) -> list:
    if not any(has_array(s) for s in specs):
        return []
    return [f"from typing import {', '.join(names.STUB_IMPORTS)}", ""]


def array_pyi(spec: RecordSpec) -> list:
    if not has_array(spec):
        return []
    item = item_layout(compute_layout(spec))
    a, r = names.public(spec)["array"], spec.name
    values = "tuple[" + ", ".join(f.kind.pyi_type for f in item.declared) + "]"
    value = f"{r} | {values}"
    methods = [
        f"def __init__(self, values: Iterable[{value}] | None = None) -> None: ...",
        "@classmethod",
        f"def zeros(cls, n: SupportsIndex) -> {a}: ...",
        "@classmethod",
        f"def frombuffer(cls, obj: Any) -> {a}: ...",
        "def __len__(self) -> int: ...",
        "@overload",
        f"def __getitem__(self, index: SupportsIndex) -> {r}: ...",
        "@overload",
        f"def __getitem__(self, index: slice) -> {a}: ...",
        "@overload",
        f"def __setitem__(self, index: SupportsIndex, value: {value}) -> None: ...",
        "@overload",
        f"def __setitem__(self, index: slice, value: Iterable[{value}]) -> None: ...",
        "def __delitem__(self, index: SupportsIndex | slice) -> None: ...",
        f"def __iter__(self) -> Iterator[{r}]: ...",
        "def __contains__(self, value: object) -> bool: ...",
        f"def append(self, value: {value}) -> None: ...",
        f"def extend(self, values: Iterable[{value}]) -> None: ...",
        f"def insert(self, index: SupportsIndex, value: {value}) -> None: ...",
        f"def pop(self, index: SupportsIndex = -1) -> {r}: ...",
        f"def remove(self, value: {value}) -> None: ...",
        "def clear(self) -> None: ...",
        f"def index(self, value: {value}, start: SupportsIndex = 0, "
        f"stop: SupportsIndex = ...) -> int: ...",
        f"def count(self, value: {value}) -> int: ...",
        "def reverse(self) -> None: ...",
        f"def copy(self) -> {a}: ...",
        "def reserve(self, n: SupportsIndex) -> None: ...",
        "def shrink_to_fit(self) -> None: ...",
        "def tobytes(self) -> bytes: ...",
        "def column(self, name: str) -> Any: ...",
        "@property",
        "def columns(self) -> dict[str, Any]: ...",
        "@property",
        "def capacity(self) -> int: ...",
        "@property",
        "def itemsize(self) -> int: ...",
        "@property",
        f"def record(self) -> type[{r}]: ...",
    ]
    for name in column_names(item):
        methods += ["@property", f"def {name}(self) -> Any: ...  # column view"]
    return [f"class {a}:", f'{INDENT}"""{spec.qualname}.Array ({item.size} bytes per record)."""',
            *[INDENT + m for m in methods]]
