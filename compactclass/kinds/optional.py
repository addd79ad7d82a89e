"""Optional inline fields: ``Optional[T]`` / ``T | None`` of a number, enum, ``Str[N]``/``Bytes[N]``
or time kind.

The value is stored inline as T stores it; whether it is there is one bit of the record's
*presence bitmap*: one byte per eight optional fields of a record class, placed by the layout
after that class's own fields (``__cc_present__``; a derived record with optional fields of its
own has a second one, ``__cc_present2__``). Bit ``k % 8`` of byte ``k // 8`` is the ``k``-th
optional field the class declares. The rules (the same in both modes):

- ``None`` is stored as a clear bit and a value of all-zero bytes; any other value is checked
  and stored as T does (its errors are T's) and sets the bit. A bad value changes neither.
- Reading gives ``None`` where the bit is clear, else T's value. A field whose bytes are all
  zero (``Array.zeros``, ``init=False`` without a default) reads as ``None``.
- ``==``, ordering and hash are those of the Python values: ``None == None``; ``None`` against
  a value is unequal, and ordering them raises the ``TypeError`` a dataclass raises.
- Arrays: NumPy and buffers see the values (0 where absent) and the bitmap as a field
  ``__cc_present__`` (``u1``; ``S<n>`` from nine optional fields on); a column reads ``None``
  where absent, and writing a column through the record API keeps the bit right. Writing
  values through a NumPy view leaves the bits as they are. Stored values are validated as T's
  whether or not the bit is set (zero bytes are a valid value of every inline kind), so both
  modes accept and refuse the same buffers.
- Cython sees T's C member and the bitmap member; the generated ``.pxd`` names each optional
  field's byte and bit.

The kind a declaration gives (:func:`optional_kind`) is *unplaced*. :meth:`OptionalKind.placed`
makes the kind a record's field holds once the layout knows where the bitmap byte lies: its
:attr:`~OptionalKind.presence` is (distance in bytes from the value to that byte, bit mask),
which every load, store and compare uses (through a value pointer, so a record, an array item
and a nested struct reach the bit the same way).
"""
from __future__ import annotations

import struct

from .base import Kind

__all__ = ["OptionalKind", "PresenceKind", "optional_kind", "KINDS", "SUPPORTED_TEXT"]

SUPPORTED_TEXT = "Optional[T] or T | None of a number, enum, Str[N], Bytes[N] or time kind"


def _merged(*cimports) -> dict:
    merged: dict = {}
    for c in cimports:
        for module, names in c.items():
            merged[module] = tuple(dict.fromkeys(merged.get(module, ()) + tuple(names)))
    return merged


class OptionalKind(Kind):
    """``Optional[T]`` of an inline kind T: T's value plus one presence bit."""

    zero = None
    plain_data = True
    bytes_equal = False          # absent values' bytes are not compared

    def __init__(self, inner: Kind, presence=None):
        self.inner, self.presence = inner, presence
        self.name = f"Optional[{inner.name}]"
        for attribute in ("python_type", "c_type", "size", "align", "struct_code",
                          "numpy_code", "pep3118", "nested_specs"):
            setattr(self, attribute, getattr(inner, attribute))
        self.c_cimports = _merged(inner.c_cimports, {"libc.stdint": ("uint8_t",)})
        self.ident = f"opt_{inner.ident}"
        if presence is not None:
            delta, mask = presence
            self.ident += f"_{'m' if delta < 0 else 'd'}{abs(delta)}_{mask}"
        self._zero_struct = struct.unpack("=" + inner.struct_code, bytes(inner.size))[0]

    def placed(self, delta: int, mask: int) -> "OptionalKind":
        """This kind in a field whose presence bit is ``mask`` of the byte ``delta`` bytes from
        its value."""
        return OptionalKind(self.inner, (delta, mask))

    @property
    def canonical(self) -> str:
        return f"Optional[{self.inner.canonical}]"

    @property
    def buffer_code(self) -> str:
        return self.inner.buffer_code

    @property
    def pyi_type(self) -> str:
        return f"typing.Optional[{self.inner.pyi_type}]"

    @property
    def pyi_imports(self) -> tuple:
        return self.inner.pyi_imports       # (the stub imports typing where a type uses it)

    def compiled_available(self) -> bool:
        return self.inner.compiled_available()

    # -- values (the pure runtime, defaults, unpickling)

    def convert(self, where: str, value):
        return None if value is None else self.inner.convert(where, value)

    def to_struct(self, value):
        return self._zero_struct if value is None else self.inner.to_struct(value)

    def from_struct(self, value):
        """T's value of stored bytes whose presence bit is set (readers check the bit)."""
        return self.inner.from_struct(value)

    def invalid_stored(self, column: bytes):
        return self.inner.invalid_stored(column)

    def stored_error(self, where: str, index: int, raw: bytes, name: str) -> Exception:
        return self.inner.stored_error(where, index, raw, name)

    def canonical_bytes(self, column: bytes) -> bytes:
        return self.inner.canonical_bytes(column)

    # -- generated code (Cython): T's code, guarded by the bit (helpers in _kinds.pxd)

    def _placement(self) -> tuple:
        if self.presence is None:
            raise AssertionError(f"{self.name}: generated code needs the placed kind of a "
                                 f"record's field (layout.place_presence)")
        return self.presence

    def _present(self, pointer: str) -> str:
        delta, mask = self._placement()
        return f"_cc_k.cc_present({pointer}, {delta}, {mask})"

    def module_code(self) -> list:
        return self.inner.module_code()

    def module_setup(self, module: str, private) -> list:
        return self.inner.module_setup(module, private)

    def bound_objects(self) -> dict:
        return self.inner.bound_objects()

    def c_declaration(self, member: str) -> str:
        return self.inner.c_declaration(member)

    def c_lvalue(self, pointer: str) -> str:
        return self.inner.c_lvalue(pointer)

    def c_address(self, lvalue: str) -> str:
        return self.inner.c_address(lvalue)

    def c_offset(self, member: str, obj: str) -> tuple:
        return self.inner.c_offset(member, obj)

    def load_at(self, pointer: str) -> str:
        return (f"(<object>({self.inner.load_at(pointer)}) if {self._present(pointer)} "
                f"else None)")

    def store_at(self, pointer: str, value: str, where: str) -> str:
        delta, mask = self._placement()
        # one line: T's store runs (and may raise) before the bit is set
        return (f"if not _cc_k.cc_store_absent({value}, {pointer}, {delta}, {mask}, "
                f"{self.size}): {self.inner.store_at(pointer, value, where)}; "
                f"_cc_k.cc_set_present({pointer}, {delta}, {mask})")

    def _holds_value(self, pointer: str) -> str:
        """Whether the field at pointer reads as a value, not None: its bit is set and, where
        T's zero is None (an enum with no member of code 0), its bytes are not all zero (a
        buffer can set the bit over them)."""
        if self.inner.zero is not None:
            return self._present(pointer)
        return f"({self._present(pointer)} and _cc_k.cc_nonzero({pointer}, {self.size}))"

    def compare_at(self, a: str, b: str) -> str:
        pa, pb = self._holds_value(a), self._holds_value(b)
        return (f"(({self.inner.compare_at(a, b)}) if ({pa} and {pb}) else "
                f"(_cc_k.CC_EQ if {pa} == {pb} else _cc_k.CC_PY))")

    def load(self, source: str) -> str:
        return self.load_at(self.c_address(source))

    def store(self, target: str, value: str, where: str) -> str:
        return self.store_at(self.c_address(target), value, where)

    def compare(self, a: str, b: str) -> str:
        return self.compare_at(self.c_address(a), self.c_address(b))

    def stored_valid(self, source: str):
        return self.inner.stored_valid(source)

    def canonical_store(self, source: str):
        return self.inner.canonical_store(source)


class PresenceKind(Kind):
    """The presence bitmap of one record class's optional fields: ``nbytes`` bytes, not a
    field users see (it is in the layout, array items and their NumPy dtype)."""

    name = "presence bits"
    python_type = bytes
    plain_data = True
    align = 1
    c_cimports = {"libc.stdint": ("uint8_t",)}

    def __init__(self, nbytes: int, fields: tuple):
        self.size, self.fields = nbytes, fields
        self.c_type = "uint8_t" if nbytes == 1 else f"uint8_t[{nbytes}]"
        self.struct_code = "B" if nbytes == 1 else f"{nbytes}s"
        self.numpy_code = "u1" if nbytes == 1 else f"S{nbytes}"
        self.zero = 0 if nbytes == 1 else bytes(nbytes)
        self.ident = f"presence{nbytes}"

    def c_declaration(self, member: str) -> str:
        return f"uint8_t {member}" + ("" if self.size == 1 else f"[{self.size}]")


#: optional kinds by name, as declarations make them
KINDS: dict = {}


def optional_kind(inner: Kind) -> OptionalKind:
    """The (unplaced) kind of ``Optional[inner]``."""
    name = f"Optional[{inner.name}]"
    found = KINDS.get(name)
    if found is None or found.inner is not inner:
        found = OptionalKind(inner)
        KINDS.setdefault(name, found)
    return found
