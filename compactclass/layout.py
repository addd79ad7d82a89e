"""Spec -> layout: where each field lives in the C struct of an instance (and of an array item).

Cython lays out a ``cdef class`` as ``PyObject_HEAD`` (16 bytes on 64-bit CPython), then the base
record's struct (padded to its alignment), then its own attributes in the order they are declared.
The generator declares a record's own fields in *storage order*: largest alignment first, declared
order among equals, which leaves no padding between them; a class with optional fields has its
presence bitmap (kinds.optional) right after its own fields. Declared order is kept for everything
users see (``__init__``, ``repr``, ``==``, ordering, ``astuple``, ``__match_args__``).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional

from .kinds.optional import OptionalKind, PresenceKind
from .spec import FieldSpec, RecordSpec

__all__ = ["FieldSlot", "Layout", "compute_layout", "format_layout", "place_presence",
           "OBJECT_HEADER", "PRESENCE_NAME"]

#: the name of a record class's presence bitmap (kinds.optional) in layouts, array items and
#: their NumPy dtype; a derived class's own bitmap is "__cc_present2__", and so on
PRESENCE_NAME = "__cc_present__"

OBJECT_HEADER = 16      # ob_refcnt + ob_type on a 64-bit, GIL-enabled CPython
POINTER = 8
GC_HEADER = 16          # PyGC_Head before a GC-tracked object (3.8+, 64-bit)


def round_up(n: int, align: int) -> int:
    return (n + align - 1) // align * align


@dataclass(frozen=True)
class FieldSlot:
    """One field's place: offset from the start of the object, and padding before it."""

    field: FieldSpec
    offset: int
    padding: int

    @property
    def size(self) -> int:
        assert self.field.kind is not None      # (a stored field)
        return self.field.kind.size


@dataclass(frozen=True)
class Layout:
    """The C layout of one record type."""

    spec: RecordSpec
    slots: tuple              # FieldSlot in storage order, inherited fields first (with the
                              # presence bitmaps: FieldSlots whose field is no spec field)
    weakref_offset: Optional[int]
    instance_size: int        # tp_basicsize: what sys.getsizeof reports
    base: Optional["Layout"]

    @property
    def payload(self) -> int:
        """Bytes of field data in one instance (everything after the object header)."""
        return self.instance_size - OBJECT_HEADER

    @property
    def item_align(self) -> int:
        return max((s.field.kind.align for s in self.slots), default=1)

    @property
    def item_size(self) -> int:
        """Bytes per record in a record array: the fields at their struct offsets, padded."""
        if not self.slots:
            return 0
        first = min(s.offset for s in self.slots)
        end = max(s.offset + s.size for s in self.slots)
        return round_up(end - first, self.item_align)

    @property
    def payload_hole(self) -> tuple:
        """(offset inside an item, size) of the object pointer (``__weakref__``) that lies
        between fields, or (-1, 0): array items never hold it, and copies skip it."""
        if self.weakref_offset is None or not self.slots:
            return -1, 0
        first = min(s.offset for s in self.slots)
        end = max(s.offset + s.size for s in self.slots)
        if first <= self.weakref_offset < end:
            return self.weakref_offset - first, POINTER
        return -1, 0

    def item_offsets(self) -> dict:
        """Field name -> offset inside an array item (declared order)."""
        first = min((s.offset for s in self.slots), default=0)
        by_name = {s.field.name: s.offset - first for s in self.slots}
        return {f.name: by_name[f.name] for f in self.spec.fields}

    def __str__(self) -> str:
        return format_layout(self)

    def __repr__(self) -> str:
        return (f"<Layout of {self.spec.qualname}: {self.instance_size} bytes per instance, "
                f"{self.item_size} per array item>")

    def slot(self, name: str) -> FieldSlot:
        for s in self.slots:
            if s.field.name == name:
                return s
        raise KeyError(name)

    @property
    def presence_slots(self) -> tuple:
        """The slots of the presence bitmaps (base classes' first)."""
        return tuple(s for s in self.slots if isinstance(s.field.kind, PresenceKind))

    @property
    def own_presence(self) -> Optional[FieldSlot]:
        """The slot of this class's own presence bitmap, or None."""
        return self.presence_slots[-1] if optional_fields(self.spec) else None


def storage_order(fields) -> list:
    """Largest alignment first, declared order among equals: no padding between fields."""
    indexed = list(enumerate(fields))
    indexed.sort(key=lambda pair: (-pair[1].kind.align, pair[0]))
    return [f for _, f in indexed]


def compute_layout(spec: RecordSpec) -> Layout:
    base = compute_layout(spec.base) if spec.base else None
    # A derived struct starts after the base struct (padded to 8); padding is counted from
    # wherever the previous field ended, so the base's tail padding shows.
    offset = base.instance_size if base else OBJECT_HEADER
    previous_end = max((s.offset + s.size for s in base.slots), default=offset) if base else offset
    slots = list(base.slots) if base else []
    weakref_offset = base.weakref_offset if base else None
    if spec.weakref and weakref_offset is None:
        weakref_offset, offset = offset, offset + POINTER
        previous_end = offset
    for f in storage_order(spec.own_fields):
        aligned = round_up(offset, f.kind.align)
        slots.append(FieldSlot(f, aligned, aligned - previous_end))
        offset = previous_end = aligned + f.kind.size
    optional = optional_fields(spec)
    if optional:
        depth = sum(1 for s in slots if isinstance(s.field.kind, PresenceKind))
        name = PRESENCE_NAME if not depth else f"{PRESENCE_NAME[:-2]}{depth + 1}__"
        kind = PresenceKind((len(optional) + 7) // 8, tuple(f.name for f in optional))
        slots.append(FieldSlot(FieldSpec(name=name, kind=kind, owner=spec.qualname,
                                         init=False, repr=False, compare=False),
                               offset, 0))
        offset = previous_end = offset + kind.size
    # The struct contains PyObject_HEAD's pointers, so it is padded to 8.
    return Layout(spec, tuple(slots), weakref_offset, round_up(offset, POINTER), base)


def optional_fields(spec: RecordSpec) -> tuple:
    """The class's own optional fields, in declared order: field k has bit k % 8 of byte
    k // 8 of its presence bitmap."""
    return tuple(f for f in spec.own_fields if isinstance(f.kind, OptionalKind))


def place_presence(spec: RecordSpec) -> RecordSpec:
    """The spec whose own optional fields hold their placed kinds (OptionalKind.placed): where
    their bits lie follows from the layout, which only the sizes of the fields decide."""
    optional = optional_fields(spec)
    if not optional:
        return spec
    layout = compute_layout(spec)
    bitmap = layout.own_presence
    assert bitmap is not None               # (the spec has optional fields)
    placed = {}
    for k, f in enumerate(optional):
        delta = bitmap.offset + k // 8 - layout.slot(f.name).offset
        placed[f.name] = dataclasses.replace(f, kind=f.kind.placed(delta, 1 << (k % 8)))
    own = tuple(placed.get(f.name, f) for f in spec.own_fields)
    return dataclasses.replace(spec, fields=spec.fields[:len(spec.fields) - len(own)] + own)


def format_layout(layout: Layout) -> str:
    """A pahole-style table of the instance struct."""
    spec = layout.spec
    gc = "" if spec.gc_free else f", plus CPython's {GC_HEADER}-byte GC header (GC-tracked)"
    items = (f"{layout.item_size} bytes per array item" if spec.plain_data
             else "no record arrays (object fields)")
    rows = [(s.offset, s.size, s.padding, s.field.kind.c_type,
             f"{s.field.name}: {s.field.kind}" + (f" ({', '.join(s.field.kind.fields)})"
                                                 if isinstance(s.field.kind, PresenceKind)
                                                 else ""))
            for s in layout.slots]
    if layout.weakref_offset is not None:
        rows.append((layout.weakref_offset, POINTER, 0, "PyObject*", "__weakref__"))
    width = max([9] + [len(row[3]) for row in rows])     # (a nested record's C type is long)
    lines = [f"{spec.module}.{spec.qualname}: {layout.instance_size} bytes per instance "
             f"({OBJECT_HEADER} header + {layout.payload} payload{gc}), {items}",
             f"  {'offset':>6}  {'size':>4}  {'pad':>3}  {'C type':<{width}} field: kind",
             f"  {0:>6}  {OBJECT_HEADER:>4}  {0:>3}  {'PyObject':<{width}} (header)"]
    end = OBJECT_HEADER
    for offset, size, pad, c_name, name in sorted(rows):
        lines.append(f"  {offset:>6}  {size:>4}  {pad:>3}  {c_name:<{width}} {name}")
        end = max(end, offset + size)
    tail = layout.instance_size - end
    lines.append(f"  {'':>6}  {'':>4}  {tail:>3}  (tail padding)")
    return "\n".join(lines)
