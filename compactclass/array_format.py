"""Layout -> the storage format of one record-array item, and checks of foreign buffers.

One item of ``Point.Array`` is the record's payload at the offsets ``Layout.item_offsets()``
gives (fields in storage order, native byte order). From that one description come:

- the C struct the generator declares (``Point_item``), with explicit padding members;
- the PEP 3118 buffer format every exported buffer carries (``T{i:x:i:y:i:z:}``), so NumPy
  sees a structured dtype with the record's field names and types;
- the ``struct`` format the pure-Python fallback packs its bytearray with (``=iii``);
- the header of array pickles, which a load compares field by field.

Both modes compute these strings here, so a compiled and a fallback array hold byte-identical
items. :func:`buffer_records` validates a foreign buffer (``frombuffer``, unpickling) against
an item layout and raises ValueError naming the first difference.
"""
from __future__ import annotations

import functools
import re
import struct
import sys
from dataclasses import dataclass
from typing import Any, Optional, cast

from .kinds import Kind
from .layout import Layout
from .spec import FieldSpec

__all__ = ["ItemField", "ItemLayout", "item_layout", "ARRAY_ATTRIBUTES", "column_names",
           "parse_buffer_format", "buffer_records", "check_stored", "stored_value_error",
           "pickle_header",
           "check_pickle_header", "ARRAY_PICKLE_VERSION", "numpy_records"]

ARRAY_PICKLE_VERSION = 1

# Public names of every record array (both modes). A field with one of these names has no
# ``a.<name>`` column property; ``a.column(name)`` reaches it.
ARRAY_ATTRIBUTES = frozenset({
    "append", "extend", "insert", "pop", "remove", "clear", "index", "count", "reverse",
    "copy", "zeros", "frombuffer", "tobytes", "column", "columns", "reserve", "shrink_to_fit",
    "capacity", "itemsize", "record",
})


@dataclass(frozen=True)
class ItemField:
    """One field inside an array item."""

    field: FieldSpec
    offset: int

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def kind(self):
        return self.field.kind

    @property
    def code(self):
        """Canonical type of the field, as NumPy spells it: "i4", "u8", "f4", "?" (a nested
        struct: the dict numpy.dtype takes)."""
        return self.field.kind.numpy_code


@dataclass(frozen=True)
class ItemLayout:
    """The C layout of one array item of a record type."""

    qualname: str             # the record's qualified name, for messages
    fields: tuple             # ItemField, in storage (offset) order, with presence bitmaps
    declared: tuple           # the record's fields' ItemFields in declared order
    size: int
    align: int
    signature: str            # RecordSpec.signature_text

    @property
    def what(self) -> str:
        return f"{self.qualname}.Array"

    def pieces(self):
        """(offset, ItemField or None, size): the item front to back, None for padding."""
        cursor = 0
        for f in self.fields:
            if f.offset > cursor:
                yield cursor, None, f.offset - cursor
            yield f.offset, f, f.kind.size
            cursor = f.offset + f.kind.size
        if self.size > cursor:
            yield cursor, None, self.size - cursor

    @property
    def buffer_format(self) -> str:
        """PEP 3118 format of one item: native types and alignment, explicit padding."""
        parts = []
        for _, f, size in self.pieces():
            parts.append(f"{f.kind.buffer_code}:{f.name}:" if f else f"{size}x")
        return "T{" + "".join(parts) + "}"

    @property
    def struct_format(self) -> str:
        """``struct`` format of one item (fields in storage order) for the fallback."""
        return "=" + "".join(f.kind.struct_code if f else f"{size}x"
                             for _, f, size in self.pieces())

    @property
    def numpy_descr(self) -> dict:
        """Arguments of ``numpy.dtype`` for one item (storage order, as a buffer exports it)."""
        return {"names": [f.name for f in self.fields],
                "formats": [f.code for f in self.fields],
                "offsets": [f.offset for f in self.fields], "itemsize": self.size}

    def field(self, name: str) -> ItemField:
        """The record's field ``name`` (a presence bitmap is no field)."""
        for f in self.declared:
            if f.name == name:
                return f
        raise KeyError(name)

    # -- values <-> item bytes (the pure runtime: arrays, nested records)

    @functools.cached_property
    def _codec(self) -> tuple:
        """(struct, storage position of each declared field, each storage field's declared
        position or None for a presence bitmap, presence bits as (declared position, byte
        offset, mask))."""
        position = {f.name: k for k, f in enumerate(self.declared)}
        storage_of = tuple(self.fields.index(f) for f in self.declared)
        declared_of = tuple(position.get(f.name) for f in self.fields)  # (bitmaps: None)
        bits = tuple((position[f.name], f.offset + f.kind.presence[0], f.kind.presence[1])
                     for f in self.declared if f.kind.presence is not None)
        return struct.Struct(self.struct_format), storage_of, declared_of, bits

    @property
    def presence_bits(self) -> tuple:
        """(declared position, byte offset in the item, mask) of every optional field."""
        return self._codec[3]

    def pack(self, values) -> bytes:
        """The item bytes of converted field values (declared order)."""
        packer, _, declared_of, bits = self._codec
        raw = [f.kind.zero if k is None else f.kind.to_struct(values[k])
               for f, k in zip(self.fields, declared_of)]
        data = packer.pack(*raw)
        if not bits:
            return data
        out = bytearray(data)
        for k, at, mask in bits:
            if values[k] is not None:
                out[at] |= mask
        return bytes(out)

    def unpack(self, data, offset: int = 0) -> list:
        """The field values (declared order) of the item at byte ``offset`` of ``data``: None
        for an optional field whose bit is clear (its bytes are not read)."""
        packer, storage_of, _, bits = self._codec
        stored = packer.unpack_from(data, offset)
        absent = {k for k, at, mask in bits if not data[offset + at] & mask}
        return [None if k in absent else f.kind.from_struct(stored[storage_of[k]])
                for k, f in enumerate(self.declared)]

    @property
    def exports_buffer(self) -> bool:
        """False when a field's NumPy type has no PEP 3118 code (datetime64, Kind.pep3118):
        the compiled array then exports no buffer and NumPy views it through __array__."""
        return all(f.kind.pep3118 for f in self.fields)


def numpy_records(numpy, raw, item: ItemLayout, dtype=None, copy=None, field: Optional[str] = None):
    """What ``__array__(dtype, copy)`` of an array (or of its column ``field``) returns: a
    zero-copy structured view of the records in buffer ``raw`` (whole items; the view holds an
    export of raw), in the item's NumPy dtype."""
    array = numpy.frombuffer(raw, dtype=numpy.dtype(item.numpy_descr))
    if field is not None:
        array = array[field]
    if dtype is not None and numpy.dtype(dtype) != array.dtype:
        return array.astype(dtype)
    return array.copy() if copy else array


def item_layout(layout: Layout) -> ItemLayout:
    spec = layout.spec
    offsets = layout.item_offsets()
    declared = tuple(ItemField(f, offsets[f.name]) for f in spec.fields)
    first = min((s.offset for s in layout.slots), default=0)
    bitmaps = tuple(ItemField(s.field, s.offset - first) for s in layout.presence_slots)
    ordered = tuple(sorted(declared + bitmaps, key=lambda f: f.offset))
    return ItemLayout(spec.qualname, ordered, declared, layout.item_size, layout.item_align,
                      spec.signature_text)


def column_names(item: ItemLayout) -> tuple:
    """Fields that get an ``a.<name>`` column property (declared order)."""
    return tuple(f.name for f in item.declared if f.name not in ARRAY_ATTRIBUTES)


# --------------------------------------------------------------------------- foreign formats

_CODE_FAMILIES = {**dict.fromkeys("bhilqn", "i"), **dict.fromkeys("BHILQN", "u"),
          **dict.fromkeys("efd", "f"), "?": "?"}
_TOKEN = re.compile(r"\s*(?:(?P<order>[@=<>!])|(?P<count>\d+)?(?P<code>[A-Za-z?])"
                    r"(?::(?P<name>[^:]*):)?|(?P<open>\())")
_NAME = re.compile(r"(?::(?P<name>[^:]*):)?")
_NATIVE_ORDER = "<" if sys.byteorder == "little" else ">"


@dataclass(frozen=True)
class ForeignField:
    name: str
    code: object     # canonical, as ItemField.code (a dict for a nested struct)
    offset: int


def _canonical(code: str, size: int) -> str:
    """A PEP 3118 type code as NumPy names it ("i4"): the family of the code and its size."""
    family = _CODE_FAMILIES[code]
    return "?" if family == "?" else f"{family}{size}"


def parse_buffer_format(fmt: str) -> tuple:
    """The named fields of a struct format (``T{...}`` as NumPy and compactclass export it, with
    nested ``T{...}`` structs), as ForeignField tuples in order (a nested struct's code is a
    dict of its fields' names, codes and offsets); ValueError for anything else."""
    body = fmt
    if len(body) > 1 and body[0] in "@=<>!" and body[1] == "T":
        order, body = body[0], body[1:]
    else:
        order = "@"
    if not (body.startswith("T{") and body.endswith("}")):
        raise ValueError(f"format {fmt!r} has no named fields")
    fields, end, _, _ = _parse_struct(fmt, body, 2, order)
    if end != len(body):
        raise ValueError(f"format {fmt!r}: unsupported item at {body[end:]!r}")
    return fields


def _parse_struct(fmt: str, body: str, pos: int, order: str) -> tuple:
    """(fields, position after the closing brace, size, alignment) of the struct whose fields
    start at body[pos]."""
    offset, align = 0, 1
    fields: list[ForeignField] = []
    while True:
        while pos < len(body) and body[pos].isspace():
            pos += 1
        if pos < len(body) and body[pos] == "}":
            return tuple(fields), pos + 1, offset, align
        if body.startswith("T{", pos):
            inner, pos, size, inner_align = _parse_struct(fmt, body, pos + 2, order)
            m = _NAME.match(body, pos)
            assert m is not None                # (_NAME matches the empty string)
            pos = m.end()
            if order == "@":
                offset = (offset + inner_align - 1) // inner_align * inner_align
            nested = {"names": [f.name for f in inner], "formats": [f.code for f in inner],
                      "offsets": [f.offset for f in inner]}
            fields.append(ForeignField(m.group("name") or "", nested, offset))
            offset, align = offset + size, max(align, inner_align)
            continue
        m = _TOKEN.match(body, pos)
        if m is None or m.group("open") or pos >= len(body):
            raise ValueError(f"format {fmt!r}: unsupported item at {body[pos:]!r} (only scalar "
                             f"fields, structs and padding are supported)")
        pos = m.end()
        if m.group("order"):
            order = m.group("order")
            continue
        code, count = m.group("code"), int(m.group("count") or 1)
        if code == "x":
            offset += count
            continue
        if code == "s":     # char[count], NumPy's S<count> (Str[N], Bytes[N]): alignment 1
            fields.append(ForeignField(m.group("name") or "", f"S{count}", offset))
            offset += count
            continue
        if code not in _CODE_FAMILIES:
            raise ValueError(f"format {fmt!r}: unsupported type code {code!r}")
        if count != 1:
            raise ValueError(f"format {fmt!r}: sub-array field {m.group('name')!r} is not "
                             f"supported")
        if order in "<>!" and (">" if order == "!" else order) != _NATIVE_ORDER:
            raise ValueError(f"format {fmt!r}: byte order {order!r} is not native "
                             f"({sys.byteorder}-endian)")
        size = struct.calcsize(("@" if order == "@" else "=") + code)
        if order == "@":
            offset = (offset + size - 1) // size * size
            align = max(align, size)
        fields.append(ForeignField(m.group("name") or "", _canonical(code, size), offset))
        offset += size


def _same_code(mine, theirs) -> bool:
    """Whether a field of ours (ItemField.code) and a parsed foreign one hold the same type: the
    same code, or nested structs with the same fields at the same offsets (a foreign format
    does not tell a nested struct's tail padding)."""
    if isinstance(mine, dict) and isinstance(theirs, dict):
        return (mine["names"] == theirs["names"] and mine["offsets"] == theirs["offsets"]
                and len(mine["formats"]) == len(theirs["formats"])
                and all(map(_same_code, mine["formats"], theirs["formats"])))
    return mine == theirs


def _check_fields(item: ItemLayout, fmt: str, where: str) -> None:
    try:
        theirs = parse_buffer_format(fmt)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}; {item.qualname} needs {item.buffer_format!r} "
                         f"(a matching structured array, or raw bytes)") from None
    ours = item.fields
    if [f.name for f in theirs] != [f.name for f in ours]:
        raise ValueError(f"{where}: the buffer's fields ({', '.join(f.name for f in theirs)}) "
                         f"do not match {item.qualname}'s "
                         f"({', '.join(f.name for f in ours)}, in storage order)")
    for mine, other in zip(ours, theirs):
        if mine.offset != other.offset or not _same_code(mine.code, other.code):
            raise ValueError(f"{where}: field {mine.name!r} is {other.code} at offset "
                             f"{other.offset} in the buffer, but {item.qualname} stores "
                             f"{mine.code} at offset {mine.offset}")


def check_stored(item: ItemLayout, data: memoryview, where: str) -> None:
    """Every stored value must be one its kind writes (a bool byte is 0 or 1); data is a flat
    byte view of whole items. The error is the field kind's."""
    count = len(data) // item.size if item.size else 0
    for f in item.fields:
        if type(f.kind).invalid_stored is Kind.invalid_stored:
            continue                    # every byte pattern is a value of this kind
        size = f.kind.size
        column = b"".join(bytes(data[i * item.size + f.offset:i * item.size + f.offset + size])
                          for i in range(count)) if size > 1 else \
            bytes(data[f.offset::item.size])
        bad = f.kind.invalid_stored(column)
        if bad is not None:
            index, raw = bad
            raise f.kind.stored_error(where, index, raw, f.name)


def stored_value_error(record, name: str, where: str, index: int, raw: bytes) -> Exception:
    """The error of field ``name`` of a record of class ``record`` holding bytes ``raw`` that its
    kind never writes (raised by the compiled runtime)."""
    kind = record.__compact__.spec.field(name).kind
    return kind.stored_error(where, index, raw, name)


def _view_of(item: ItemLayout, obj, where: str) -> memoryview:
    """A memoryview of obj; for records that no buffer describes (datetime64 fields), the
    bytes of a NumPy array (or of what ``numpy.asarray`` makes of obj) of their very dtype."""
    try:
        return memoryview(obj)
    except (TypeError, ValueError, BufferError) as exc:
        if item.exports_buffer or not (hasattr(obj, "dtype") or hasattr(obj, "__array__")):
            raise
        error = exc
    try:
        import numpy
    except ImportError:
        raise error from None
    # (numpy's stubs type these arguments as a TypedDict; ours is a plain dict)
    array, wanted = numpy.asarray(obj), numpy.dtype(cast(Any, item.numpy_descr))
    if array.dtype != wanted:
        raise ValueError(f"{where}: the array's dtype {array.dtype} is not {item.qualname}'s "
                         f"{wanted}")
    view = numpy.ascontiguousarray(array).reshape(-1).view(numpy.uint8)
    return memoryview(view)  # type: ignore[arg-type, unused-ignore]  # stubs: __buffer__ on 3.12+


def buffer_records(item: ItemLayout, obj, where: str) -> tuple:
    """Validate a buffer holding records of ``item``'s layout: (flat byte view, count).

    Raw bytes (format B/b/c) must hold whole items; a typed buffer must export the same item
    size, field names, types and offsets. The view is C-contiguous (a strided source is
    copied). ValueError names the first difference.
    """
    view = _view_of(item, obj, where)
    if view.format in ("B", "b", "c") and view.itemsize == 1:
        nbytes = view.nbytes
    else:
        if "T{" not in view.format:
            raise ValueError(f"{where}: format {view.format!r} ({view.itemsize}-byte items) has "
                             f"no named fields; {item.qualname} needs {item.buffer_format!r} "
                             f"(a matching structured array, or raw bytes)")
        if view.itemsize != item.size:
            raise ValueError(f"{where}: the buffer's item size is {view.itemsize} bytes, "
                             f"{item.qualname} records are {item.size} bytes "
                             f"({item.buffer_format})")
        _check_fields(item, view.format, where)
        nbytes = view.nbytes
    if nbytes % item.size:
        raise ValueError(f"{where}: a buffer of {nbytes} bytes is not a whole number of "
                         f"{item.size}-byte {item.qualname} records")
    flat = view.cast("B") if view.c_contiguous else memoryview(view.tobytes())
    check_stored(item, flat, where)
    return flat, nbytes // item.size


# --------------------------------------------------------------------------- pickles

def pickle_header(item: ItemLayout) -> tuple:
    """What an array pickle carries beside its raw records: enough to refuse a wrong load."""
    return (ARRAY_PICKLE_VERSION, item.size, item.signature, item.buffer_format, sys.byteorder)


def check_pickle_header(item: ItemLayout, header) -> None:
    where = f"{item.what}: corrupt pickle"
    if not isinstance(header, tuple) or len(header) != 5:
        raise ValueError(f"{where}: bad header {header!r}")
    version, size, signature, fmt, order = header
    if version != ARRAY_PICKLE_VERSION:
        raise ValueError(f"{where}: unknown array pickle version {version!r}")
    if signature != item.signature:
        raise ValueError(f"{item.what}: the pickle holds fields ({signature}) but the record "
                         f"now has ({item.signature})")
    if (size, fmt) != (item.size, item.buffer_format):
        raise ValueError(f"{where}: item layout {fmt!r} ({size} bytes) differs from "
                         f"{item.buffer_format!r} ({item.size} bytes)")
    if order != sys.byteorder:
        raise ValueError(f"{item.what}: the pickle was written on a {order}-endian machine; "
                         f"this one is {sys.byteorder}-endian")
