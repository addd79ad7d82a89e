"""The number kinds: ``i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 bool`` (bare ``int`` is ``i64``,
bare ``float`` is ``f64``).

The rules (the same in both modes):

- integer fields take ``int`` (and ``bool``, an ``int`` subclass) and any object with
  ``__index__``; a ``float`` is a ``TypeError``; a value outside the C range is an
  ``OverflowError``. Nothing is truncated or wrapped.
- float fields take ``float``, ``int`` and objects with ``__float__`` or ``__index__`` (what
  ``PyFloat_AsDouble`` takes); an ``int`` too large for a double is an ``OverflowError``.
  ``f32`` rounds like C (round to nearest); a finite value beyond the f32 range is an
  ``OverflowError``; NaN and infinities are kept.
- bool fields take ``True`` and ``False`` only. A stored byte other than 0 and 1 (written
  through an exported buffer) reads as ``True``; buffers and pickles that hold one are refused.
"""
from __future__ import annotations

import math
import operator
import struct
from typing import Annotated

from .base import Kind
from .messages import range_error, type_error

__all__ = ["IntKind", "FloatKind", "BoolKind", "KINDS", "kind_of", "i8", "i16", "i32", "i64", "u8",
           "u16", "u32", "u64", "f32", "f64"]


class IntKind(Kind):
    """A C integer of ``bits`` bits, signed or not."""

    python_type = int
    zero = 0
    bytes_equal = True

    def __init__(self, bits: int, signed: bool, struct_code: str):
        self.bits, self.signed = bits, signed
        self.name = f"{'i' if signed else 'u'}{bits}"
        self.c_type = f"{'' if signed else 'u'}int{bits}_t"
        self.size = self.align = bits // 8
        self.struct_code = struct_code
        self.numpy_code = f"{'i' if signed else 'u'}{self.size}"
        self.min = -(1 << (bits - 1)) if signed else 0
        self.max = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
        self.c_cimports = {"libc.stdint": (self.c_type,)}
        self.ident = self.name

    def convert(self, where: str, value) -> int:
        if isinstance(value, float):
            raise type_error(where, self.name, "an integer", value)
        try:
            number = operator.index(value)
        except TypeError:
            raise type_error(where, self.name, "an integer", value) from None
        if not self.min <= number <= self.max:
            raise range_error(where, self.name, self.min, self.max, value)
        return int(number)

    def store(self, target: str, value: str, where: str) -> str:
        return f"{target} = _cc_k.to_{self.name}({value}, {where})"

    def load(self, source: str) -> str:
        return source

    def compare(self, a: str, b: str) -> str:
        helper = "order_unsigned" if self.name == "u64" else "order_signed"
        return f"_cc_k.{helper}({a}, {b})"


class FloatKind(Kind):
    """A C ``float`` (f32) or ``double`` (f64)."""

    python_type = float
    zero = 0.0

    def __init__(self, bits: int):
        self.bits = bits
        self.name = f"f{bits}"
        self.c_type = "float" if bits == 32 else "double"
        self.size = self.align = bits // 8
        self.struct_code = "f" if bits == 32 else "d"
        self.numpy_code = f"f{self.size}"
        self.ident = self.name

    def _as_double(self, where: str, value) -> float:
        if isinstance(value, float):
            return float(value)
        kind = type(value)
        try:
            if hasattr(kind, "__float__"):
                result = kind.__float__(value)
                if not isinstance(result, float):
                    raise TypeError(f"{where}: {kind.__name__}.__float__ returned non-float "
                                    f"(type {type(result).__name__})")
                return float(result)
            if hasattr(kind, "__index__"):
                return float(operator.index(value))
        except OverflowError:
            raise range_error(where, self.name, None, None, value) from None
        raise type_error(where, self.name, "a real number", value)

    def convert(self, where: str, value) -> float:
        number = self._as_double(where, value)
        if self.bits == 64:
            return number
        try:
            rounded = struct.unpack("f", struct.pack("f", number))[0]
        except OverflowError:
            rounded = math.inf
        # struct.pack("f") gives inf for some finite doubles beyond the f32 range (3.11) and
        # raises for others; C's (float) cast gives inf, which compiled code rejects the same way
        if math.isinf(rounded) and not math.isinf(number):
            raise range_error(where, self.name, None, None, value) from None
        return rounded

    def store(self, target: str, value: str, where: str) -> str:
        return f"{target} = _cc_k.to_{self.name}({value}, {where})"

    def load(self, source: str) -> str:
        return source

    def compare(self, a: str, b: str) -> str:
        return f"_cc_k.order_double({a}, {b})"


class BoolKind(Kind):
    """``bool``: one byte, 0 or 1."""

    name = "bool"
    python_type = bool
    c_type = "uint8_t"
    size = align = 1
    zero = False
    struct_code = "?"
    numpy_code = "?"
    c_cimports = {"libc.stdint": ("uint8_t",)}
    ident = "bool"

    def convert(self, where: str, value) -> bool:
        if value is True or value is False:
            return value
        raise type_error(where, self.name, "a bool", value)

    def invalid_stored(self, column: bytes):
        bad = column.translate(None, b"\x00\x01")
        return (column.index(bad[0]), bad[:1]) if bad else None

    def stored_error(self, where: str, index: int, raw: bytes, name: str) -> ValueError:
        return ValueError(f"{where}: record {index} holds byte {raw[0]} in bool field {name!r} "
                          f"(only 0 and 1 are valid)")

    def canonical_bytes(self, column: bytes) -> bytes:
        return bytes(b != 0 for b in column)

    def store(self, target: str, value: str, where: str) -> str:
        return f"{target} = _cc_k.to_bool({value}, {where})"

    def load(self, source: str) -> str:
        return f"({source} != 0)"

    def compare(self, a: str, b: str) -> str:
        return f"_cc_k.order_signed({a} != 0, {b} != 0)"

    def stored_valid(self, source: str) -> str:
        return f"{source} <= 1"

    def canonical_store(self, source: str) -> str:
        return f"{source} = 1"


KINDS = {k.name: k for k in (
    IntKind(8, True, "b"), IntKind(16, True, "h"), IntKind(32, True, "i"),
    IntKind(64, True, "q"), IntKind(8, False, "B"), IntKind(16, False, "H"),
    IntKind(32, False, "I"), IntKind(64, False, "Q"), FloatKind(32), FloatKind(64), BoolKind())}

# The aliases users annotate with: type checkers see int/float, compactclass the kind.
i8 = Annotated[int, KINDS["i8"]]
i16 = Annotated[int, KINDS["i16"]]
i32 = Annotated[int, KINDS["i32"]]
i64 = Annotated[int, KINDS["i64"]]
u8 = Annotated[int, KINDS["u8"]]
u16 = Annotated[int, KINDS["u16"]]
u32 = Annotated[int, KINDS["u32"]]
u64 = Annotated[int, KINDS["u64"]]
f32 = Annotated[float, KINDS["f32"]]
f64 = Annotated[float, KINDS["f64"]]

#: bare annotations and the kind they mean
BARE = {int: KINDS["i64"], float: KINDS["f64"], bool: KINDS["bool"]}



def kind_of(annotation):
    """The number kind of ``i32`` (``Annotated[int, <kind>]``), bare ``int``/``float``/``bool``,
    or None."""
    try:
        if annotation in BARE:
            return BARE[annotation]
    except TypeError:           # an unhashable annotation
        return None
    for kind in getattr(annotation, "__metadata__", ()):
        if isinstance(kind, Kind) and kind in KINDS.values() and \
                getattr(annotation, "__origin__", None) is kind.python_type:
            return kind
    return None


SUPPORTED_TEXT = ("i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, bool, int (= i64), "
                  "float (= f64)")
