"""Spec + layout -> the generated record-array class (``PointArray``) in the .pyx/.pxd/.pyi.

For a record ``Point`` the generator writes:

- in the .pxd: ``Point_item``, the C struct of one array item (fields in storage order at the
  offsets ``Layout.item_offsets()`` gives, padding as explicit members); ``cdef class
  PointArray(RecordArray)``, whose ``vec`` (a ``cc_vec``: ``data``, ``len``) other Cython
  modules read; and the inline accessors ``PointArray_data``, ``PointArray_len`` and
  ``PointArray_at`` for C-speed loops;
- in the .pyx: ``_Point_pack`` / ``_Point_unpack`` / ``_Point_item_eq``, which convert between
  an item and a Point or a tuple (with the record constructor's checks), the field table
  (name, offset, size, type and range of each field, for columns) and the ``cc_array_kind``
  that hand them to the shared ``RecordArray`` base (compactclass._runtime), the class with
  one column property per field, registered with the runtime at import, and a check, at
  import, that the C compiler laid ``Point_item`` out as expected;
- in the .pyi: the array's Python API.

Everything generic (sequence and buffer protocols, columns, pickles) lives once in the base
class; only what depends on the record's fields is generated.
"""
from __future__ import annotations

from .array_format import ItemLayout, column_names, item_layout
from .layout import Layout, c_member, compute_layout
from .spec import RecordSpec

__all__ = ["array_pyx", "array_pxd", "array_pyi", "array_pxd_header", "array_pyi_header",
           "array_names"]

INDENT = "    "


def array_names(spec: RecordSpec) -> dict:
    """Module-level names the array of ``spec`` adds (checked for collisions by the generator)."""
    n = spec.name
    return {"array": f"{n}Array", "item": f"{n}_item", "data": f"{n}Array_data",
            "len": f"{n}Array_len", "at": f"{n}Array_at", "pack": f"_{n}_pack",
            "unpack": f"_{n}_unpack", "eq": f"_{n}_item_eq", "kind": f"_{n}Array_kind",
            "fields": f"_{n}Array_fields", "declared": f"_{n}Array_declared",
            "probe": f"_{n}_probe"}


def has_array(spec: RecordSpec) -> bool:
    return bool(spec.fields)     # a record without fields has no bytes to store


# --------------------------------------------------------------------------- .pxd

def _has_padding(spec: RecordSpec) -> bool:
    return any(f is None for _, f, _ in item_layout(compute_layout(spec)).pieces())


def array_pxd_header(specs) -> list:
    arrays = [s for s in specs if has_array(s)]
    if not arrays:
        return []
    memset = ["from libc.string cimport memset"] if any(map(_has_padding, arrays)) else []
    return memset + ["from compactclass._runtime cimport RecordArray"]


def pxd_item_struct(spec: RecordSpec, item: ItemLayout) -> list:
    n = array_names(spec)
    lines = [f"ctypedef struct {n['item']}:",
             f"{INDENT}# One record of {spec.qualname}.Array: {item.size} bytes, fields in "
             f"storage order"]
    for offset, f, size in item.pieces():
        if f is None:
            lines.append(f"{INDENT}char __cc_pad{offset}[{size}]  # padding, offset {offset}")
        else:
            lines.append(f"{INDENT}{f.ctype.c_name} {c_member(f)}  # {f.ctype.name}, "
                         f"offset {offset}")
    return lines


def pxd_array_class(spec: RecordSpec, item: ItemLayout) -> list:
    n = array_names(spec)
    return [f"cdef class {n['array']}(RecordArray):",
            f"{INDENT}# {spec.qualname}.Array: records in vec (cc_vec: data, len, cap), "
            f"{item.size} bytes each",
            f"{INDENT}pass"]


def pxd_accessors(spec: RecordSpec) -> list:
    n = array_names(spec)
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

def _convert_expr(spec, f, value):
    from .generate import convert_expr     # (generate imports this module)
    return convert_expr(spec, f, value)


def _c_range(ctype) -> tuple:
    from .generate import c_range
    return c_range(ctype)


def c_bytes(text: str) -> str:
    """A Cython bytes literal holding text in UTF-8 (escaped: Cython takes ASCII only)."""
    data = text.encode("utf-8")
    return 'b"' + "".join(chr(b) if 32 <= b < 127 and chr(b) not in '"\\' else f"\\x{b:02x}"
                          for b in data) + '"'


# Parameters and locals of the generated functions: never a record's name (a record may be
# called ``item`` or ``value``; no record or field name starts with ``__cc_``).
OUT, VALUE, ITEM, VALUES, REC, SRC = ("__cc_out", "__cc_value", "__cc_item", "__cc_values",
                                      "__cc_rec", "__cc_src")
A, B, X, Y = "__cc_a", "__cc_b", "__cc_x", "__cc_y"


def func_pack(spec: RecordSpec, item: ItemLayout) -> list:
    n = array_names(spec)
    names = ", ".join(f.name for f in item.declared)
    body = [f"cdef {n['item']} {ITEM}",
            f"cdef {spec.name} {REC}",
            f"cdef tuple {VALUES}"]
    if _has_padding(spec):
        body.append(f"memset(&{ITEM}, 0, sizeof({ITEM}))  # padding bytes are part of pickles")
    body += [f"if type({VALUE}) is {spec.name} or _cc.array_same_record({VALUE}, {spec.name}):",
             f"{INDENT}{REC} = <{spec.name}>{VALUE}"]
    body += [f"{INDENT}{ITEM}.{f.name} = {REC}.{f.name}" for f in item.declared]
    body += ["else:",
             f"{INDENT}{VALUES} = _cc.array_field_values({VALUE}, {len(item.declared)}, "
             f"{spec.name})"]
    body += [f"{INDENT}{ITEM}.{f.name} = {_convert_expr(spec, f.field, f'{VALUES}[{i}]')}"
             for i, f in enumerate(item.declared)]
    body += [f"(<{n['item']} *>{OUT})[0] = {ITEM}", "return 0"]
    return [f"cdef int {n['pack']}(void *{OUT}, object {VALUE}) except -1:",
            f'{INDENT}"""Store a {spec.name}, or a tuple of its field values ({names}), at {OUT}, '
            f'checking',
            f'{INDENT}every value first: {OUT} is written only once all are valid."""',
            *[INDENT + line for line in body]]


def func_unpack(spec: RecordSpec, item: ItemLayout) -> list:
    n = array_names(spec)
    body = [f"cdef const {n['item']} *{SRC} = <const {n['item']} *>{ITEM}",
            f"cdef {spec.name} {REC} = {spec.name}.__new__({spec.name})"]
    body += [f"{REC}.{f.name} = {_item_value(f, SRC)}" for f in item.declared]
    body.append(f"return {REC}")
    return [f"cdef object {n['unpack']}(const void *{ITEM}):",
            f'{INDENT}"""A new {spec.name} holding a copy of one item (no __init__, as '
            f'unpickling)."""',
            *[INDENT + line for line in body]]


def _item_value(f, item: str) -> str:
    """An item's field as the record stores it: a bool byte other than 0/1 (written through
    an exported buffer) reads as True, as everywhere else."""
    if f.ctype.kind == "bool":
        return f"({item}.{f.name} != 0)"
    return f"{item}.{f.name}"


def _field_compare(f) -> str:
    return f"{_item_value(f, X)} == {_item_value(f, Y)}"


def func_item_eq(spec: RecordSpec, item: ItemLayout) -> list:
    n = array_names(spec)
    head = [f"cdef int {n['eq']}(const void *{A}, const void *{B}) except -1:"]
    if not spec.options.eq or "__eq__" in spec.user_specials:
        return head + [f'{INDENT}"""Do two items hold equal records? As {spec.name}\'s own == '
                       f'says."""',
                       f"{INDENT}return {n['unpack']}({A}) == {n['unpack']}({B})"]
    fields = spec.compare_fields
    terms = [_field_compare(f) for f in fields] or ["True"]
    body = [f"cdef const {n['item']} *{X} = <const {n['item']} *>{A}",
            f"cdef const {n['item']} *{Y} = <const {n['item']} *>{B}",
            f"return ({terms[0]}" + (")" if len(terms) == 1 else "")]
    body += [f"{INDENT}    and {t}" + (")" if k == len(terms) - 1 else "")
             for k, t in enumerate(terms) if k]
    return head + [f'{INDENT}"""Do two items hold equal records? As {spec.name}.__eq__ compares '
                   f'them ({", ".join(f.name for f in fields) or "no fields"})."""',
                   *[INDENT + line for line in body]]


def kind_struct(spec: RecordSpec, item: ItemLayout) -> list:
    """The field table (storage order) and the cc_array_kind the runtime reads: sizes and
    offsets the C code uses come from here, never from a Python attribute."""
    n = array_names(spec)
    count = len(item.fields)
    lines = [f"cdef _cc.cc_array_field {n['fields']}[{count}]",
             f"cdef Py_ssize_t {n['declared']}[{count}]"]
    for k, f in enumerate(item.fields):
        lo, hi = _c_range(f.ctype)
        lines.append(f"{n['fields']}[{k}] = _cc.cc_array_field({c_bytes(f.name)}, {f.offset}, "
                     f"{f.ctype.size}, c'{f.ctype.struct_code}', {lo}, {hi}, "
                     f'b"{f.ctype.name}")')
    for k, f in enumerate(item.declared):
        lines.append(f"{n['declared']}[{k}] = {item.fields.index(f)}")
    return lines + [
        f"cdef _cc.cc_array_kind {n['kind']} = _cc.cc_array_kind(",
        f'{INDENT}sizeof({n["item"]}), {item.align}, {c_bytes(item.buffer_format)}, '
        f'{c_bytes(item.what)}, {c_bytes(spec.qualname)},',
        f"{INDENT}{count}, &{n['fields']}[0], &{n['declared']}[0], {n['pack']}, {n['unpack']}, "
        f"{n['eq']})"]


def pyx_array_class(spec: RecordSpec, item: ItemLayout) -> list:
    n = array_names(spec)
    lines = [f"cdef class {n['array']}(RecordArray):",
             f'{INDENT}"""{spec.qualname}.Array: {spec.qualname} records stored contiguously, '
             f'{item.size} bytes each.',
             "",
             f"{INDENT}a[i] is a new {spec.qualname} holding a copy of record i; a.<field> is a "
             f"live column view.",
             f'{INDENT}See compactclass.arrays for the whole contract."""']
    for name in column_names(item):
        ctype = item.field(name).ctype
        lines += ["",
                  f"{INDENT}@property",
                  f"{INDENT}def {name}(self):",
                  f'{INDENT * 2}"""Column {name} ({ctype.name}): a live, writable view of every '
                  f'record\'s {name}."""',
                  f'{INDENT * 2}return self.column("{name}")']
    return lines


def layout_check(spec: RecordSpec, item: ItemLayout) -> list:
    n = array_names(spec)
    probe = n["probe"]
    offsets = [f"{INDENT}<char *>&{probe}.{f.name} - <char *>&{probe}," for f in item.fields]
    expected = ", ".join(str(f.offset) for f in item.fields)
    return [f"# The C compiler must lay {n['item']} out as compactclass.array_format says.",
            f"cdef {n['item']} {probe}",
            f'_cc.array_check_item("{spec.qualname}", sizeof({n["item"]}), {item.size}, [',
            *offsets,
            f"], [{expected}])"]


def array_pyx(spec: RecordSpec, layout: Layout) -> list:
    if not has_array(spec):
        return []
    item = item_layout(layout)
    pieces = [func_pack(spec, item), func_unpack(spec, item), func_item_eq(spec, item),
              kind_struct(spec, item), pyx_array_class(spec, item),
              [f"_cc.array_register({array_names(spec)['array']}, &{array_names(spec)['kind']})"],
              layout_check(spec, item)]
    lines = [f"# {spec.qualname}.Array: {item.size}-byte items ({array_names(spec)['item']} in "
             f"the .pxd), format {item.buffer_format}", ""]
    for piece in pieces:
        lines += [*piece, "", ""]
    return lines[:-2]


# --------------------------------------------------------------------------- .pyi

def array_pyi_header(specs) -> list:
    if not any(has_array(s) for s in specs):
        return []
    return ["from typing import Any, Iterable, Iterator, SupportsIndex, overload", ""]


def array_pyi(spec: RecordSpec) -> list:
    if not has_array(spec):
        return []
    item = item_layout(compute_layout(spec))
    a, r = array_names(spec)["array"], spec.name
    values = "tuple[" + ", ".join(f.ctype.python_type.__name__ for f in item.declared) + "]"
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
