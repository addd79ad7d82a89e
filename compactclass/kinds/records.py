"""Nested records: a field annotated with a compact record class stores that record's value.

- A record ``R`` that is **frozen and plain data**, with at least one field and no
  ``__weakref__`` pointer between its fields (``Layout.payload_hole``), is stored **inline**:
  the field holds R's array-item bytes (``R_item``, the struct of ``R.Array``'s items), in the
  outer record and in the outer record's array items. Its size and alignment are R's item's;
  Cython sees the struct (``cdef Point_item pos``: ``r.pos.x`` is a C read), NumPy a nested
  structured dtype (``a_np["pos"]["x"]``), the buffer format a nested ``T{...}``.
- The field takes an instance of R (a subclass instance is stored as an R: its R fields);
  anything else, a tuple included, is a ``TypeError`` naming the field. Reading it gives an R
  equal to the stored value: a new record on every read in compiled mode (``r.pos is r.pos``
  is False there), the stored record in pure mode. R is frozen, so a copy can never be changed
  by mistake (``r.pos.x = 5`` raises ``FrozenInstanceError``); ``r.pos = replace(r.pos, x=5)``
  writes.
- ``==``, ordering and hashing are R's: the outer record compares the field as R compares its
  records (the compiled runtime calls R's generated compare through R's record table). Where R
  has no ordering (``order=False``) or no field-wise ``==`` (``eq=False``, an ``__eq__`` of its
  own), outer records whose R values differ are ordered as Python orders those values (the
  runtime falls back to Python's tuple comparison: ``TypeError`` without an ordering). With
  ``eq=False`` R values are equal only when they are the same object, which in compiled mode
  (a new record per read) they never are.
- Pickles and copies carry the R value; stored bytes from buffers and pickles are checked with
  R's own rules (a bool field's byte), and an error names ``field.inner``.
- The kind's schema text holds R's schema hash: a changed R makes a build of the outer record
  stale. A compiled outer record is used only with a compiled R (otherwise it is the fallback
  too); R declared in another module is cimported from that module's build, which must exist.
  Where R's ``==`` runs Python code (an ``__eq__`` of its own), record arrays compare copies of
  their items, which that code cannot free.

Any other record class (not frozen, or holding object fields) is not inlined: such an
annotation is an ordinary object field (:mod:`.objects`), a reference with a dataclass's
semantics (``r.pos.x = 5`` changes the one record ``r`` refers to), which makes the outer
record GC-tracked and leaves it without record arrays. A record that is not defined yet when
the outer record is declared (declared later, or the outer record itself) cannot be a field's
type: the declaration's annotation does not evaluate (a ``DeclarationError``).
"""
from __future__ import annotations

import hashlib

from .base import Kind
from .messages import type_error

__all__ = ["RecordKind", "KINDS", "kind_of", "record_type_error", "SUPPORTED_TEXT"]

# The prefix of generated names (codegen.names.PREFIX); kinds come before codegen.
_PREFIX = "_cc_"


def record_type_error(where: str, qualname: str, value) -> TypeError:
    """The error of a nested record field given something that is not a ``qualname`` record
    (the compiled runtime raises it too)."""
    return type_error(where, qualname, f"a {qualname} record", value)


def _field_wise_eq(spec) -> bool:
    """Whether R's == compares its compare fields (codegen.methods.field_wise_eq)."""
    return spec.options.eq and "__eq__" not in spec.user_specials


class RecordKind(Kind):
    """A frozen, plain-data compact record stored inline."""

    plain_data = True
    cyclic = False

    def __init__(self, record):
        info = record.__compact__
        spec, item = info.spec, info.item
        self.record, self.info, self.spec, self.item = record, info, spec, item
        self.nested_specs = (spec,)
        self.name = spec.qualname
        self.python_type = record
        self.c_type = f"{spec.name}_item"
        self.size, self.align = item.size, item.align
        self.struct_code = f"{item.size}s"          # (packed as bytes by the pure runtime)
        self.numpy_code = item.numpy_descr          # a nested structured dtype
        self.c_cimports = {f"{spec.module}_compact": (spec.name, self.c_type)}
        self._canonical = f"record:{spec.module}.{spec.qualname}:{spec.schema_hash()}"
        digest = hashlib.sha256(self._canonical.encode()).hexdigest()[:8]
        self.ident = f"rec_{spec.name}_{digest}"
        self._kind_pointer = f"{_PREFIX}nested_{self.ident}"
        # R's fields as R's own class reads them (a subclass cannot override them)
        self._getters = [getattr(record, f.name).__get__ for f in spec.fields]
        self._checked = [f for f in item.fields
                         if type(f.kind).invalid_stored is not Kind.invalid_stored]
        self._canonicalised = [f for f in item.fields
                               if type(f.kind).canonical_bytes is not Kind.canonical_bytes]
        self.bytes_equal = (_field_wise_eq(spec) and len(spec.compare_fields) == len(spec.fields)
                            and all(f.kind.bytes_equal for f in spec.fields))
        self.compare_runs_python = not _field_wise_eq(spec) or \
            any(f.kind.compare_runs_python for f in spec.compare_fields)
        self.zero = self._zero_record()

    @property
    def canonical(self) -> str:
        return self._canonical

    @property
    def pyi_type(self) -> str:
        return self.spec.name

    @property
    def buffer_code(self) -> str:
        return self.item.buffer_format

    def compiled_available(self) -> bool:
        return self.info.compiled

    # -- values (the pure runtime, defaults, unpickling)

    def _zero_record(self):
        """R whose fields hold their zeros, as R's zeroed bytes read: not through R's checks,
        since a zero need not be a value a write may store (None, for an enum without a
        code-0 member)."""
        record = self.record
        if self.info.compiled:
            return record.__new__(record)           # a compiled record starts zeroed
        zero = object.__new__(record)
        for f in self.spec.fields:
            field = getattr(record, f.name)     # a fallback field: its slot, unchecked
            getattr(field, "slot", field).__set__(zero, f.kind.zero)
        return zero

    def _values(self, value) -> tuple:
        return tuple(get(value) for get in self._getters)

    def convert(self, where: str, value):
        kind = type(value)
        if kind is self.record:
            return value
        if issubclass(kind, self.record):       # the real type, as compiled code checks it
            return self.info.restore(self._values(value))
        raise record_type_error(where, self.name, value)

    def to_struct(self, value) -> bytes:
        return self.item.pack(self._values(value))

    def from_struct(self, value: bytes):
        return self.info.restore(tuple(self.item.unpack(value)))

    def _inner_column(self, column: bytes, f) -> bytes:
        """Inner field f's bytes of every value in column."""
        size, end = self.size, f.offset + f.kind.size
        return b"".join(column[i:i + size][f.offset:end] for i in range(0, len(column), size))

    def invalid_stored(self, column: bytes):
        found = None
        for f in self._checked:
            bad = f.kind.invalid_stored(self._inner_column(column, f))
            if bad is not None and (found is None or bad[0] < found):
                found = bad[0]
        if found is None:
            return None
        return found, column[found * self.size:(found + 1) * self.size]

    def stored_error(self, where: str, index: int, raw: bytes, name: str) -> Exception:
        for f in self.item.declared:
            if f in self._checked:
                bad = f.kind.invalid_stored(raw[f.offset:f.offset + f.kind.size])
                if bad is not None:
                    return f.kind.stored_error(where, index, bad[1], f"{name}.{f.name}")
        return super().stored_error(where, index, raw, name)

    def canonical_bytes(self, column: bytes) -> bytes:
        out = bytearray(column)
        for f in self._canonicalised:
            fixed = f.kind.canonical_bytes(self._inner_column(column, f))
            n = f.kind.size
            for k, i in enumerate(range(0, len(column), self.size)):
                out[i + f.offset:i + f.offset + n] = fixed[k * n:(k + 1) * n]
        return bytes(out)

    # -- generated code (Cython). Everything reaches R through R's registered array kind
    # (_arrays.pxd: cc_array_kind), a module-level pointer set when the module is imported:
    # R's generated unpack, and R's record table (its class, its generated compare, its field
    # table with each kind's C checks). Sizes come from C (sizeof(R_item), checked against R's
    # registration when R is another module's).

    def module_code(self) -> list:
        return [f"cdef const _cc_a.cc_array_kind *{self._kind_pointer} = NULL  "
                f"# {self.spec.qualname}'s array kind"]

    def module_setup(self, module: str, private) -> list:
        if self.spec.module == module:          # R is set up by this very module, first
            return [f"global {self._kind_pointer}",
                    f"{self._kind_pointer} = &{private(self.spec, 'array_kind')}"]
        first = min(s.offset for s in self.info.layout.slots)
        signature = repr(self.spec.signature_text.encode("utf-8"))
        return [f"global {self._kind_pointer}",
                f"{self._kind_pointer} = _cc_a.array_kind_of_record({self.spec.name}, "
                f"sizeof({self.c_type}), {first}, {signature})"]

    def load(self, source: str) -> str:
        return self.load_at(f"&{source}")

    def load_at(self, pointer: str) -> str:
        return f"{self._kind_pointer}.unpack(<const void *>({pointer}))"

    def store(self, target: str, value: str, where: str) -> str:
        return self.store_at(f"&{target}", value, where)

    def store_at(self, pointer: str, value: str, where: str) -> str:
        return (f"_cc_a.store_record_payload({self._kind_pointer}, <char *>({pointer}), "
                f"{value}, {where})")

    def compare(self, a: str, b: str) -> str:
        return self.compare_at(f"&{a}", f"&{b}")

    def compare_at(self, a: str, b: str) -> str:
        x, y = f"<const char *>({a})", f"<const char *>({b})"
        if not _field_wise_eq(self.spec):       # R's own ==: Python's, on the R values
            return f"_cc_k.order_objects({self.load_at(a)}, {self.load_at(b)})"
        compared = f"{self._kind_pointer}.record.compare({x}, {y})"
        if self.spec.options.order:
            return compared
        # no ordering: equal or not as R says; how differing values order is Python's to say
        return f"(_cc_k.CC_EQ if {compared} == _cc_k.CC_EQ else _cc_k.CC_PY)"

    def stored_valid(self, source: str):
        if not self._checked:
            return None
        return (f"_cc_r.record_payload_check({self._kind_pointer}.record, <char *>&{source}, "
                f"False) == 0")

    def canonical_store(self, source: str) -> str:
        return f"_cc_r.record_payload_check({self._kind_pointer}.record, <char *>&{source}, True)"


_KINDS: dict = {}

#: kinds by name, for field signatures: none fixed (each is made for its record)
KINDS: dict = {}


def inlinable(record) -> bool:
    """Whether compact record class ``record`` can be stored inline (see the module
    docstring); an annotation naming any other record is an object field."""
    info = record.__compact__
    spec = info.spec
    return (info.cls is record and spec.options.frozen and spec.plain_data and bool(spec.fields)
            and info.layout.payload_hole == (-1, 0))


def kind_of(annotation):
    """The nested record kind of a frozen, plain-data compact record class, or None."""
    if not isinstance(annotation, type) or "__compact__" not in vars(annotation):
        return None
    if not inlinable(annotation):
        return None
    found = _KINDS.get(annotation)
    if found is None:
        found = _KINDS[annotation] = RecordKind(annotation)
    return found


SUPPORTED_TEXT = "a frozen compact record (stored inline)"
