"""Field types: ``Annotated`` aliases that type checkers read as plain ``int``/``float``.

Each alias carries a :class:`CType`, the one description of a C storage type that every later
stage (spec, layout, generator, fallback, arrays) reads.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Optional

__all__ = ["CType", "CTYPES", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64",
           "ctype_of_annotation", "SUPPORTED_TYPES_TEXT"]


@dataclass(frozen=True)
class CType:
    """One C storage type of a record field."""

    name: str             # the alias users write: "i32"
    c_name: str           # the C type in generated code: "int32_t"
    kind: str             # "int" | "float" | "bool"
    size: int             # bytes
    struct_code: str      # struct/buffer-protocol format character
    numpy_code: str       # NumPy dtype string (little-endian native on our targets)
    min: Optional[int] = None   # integer range (inclusive); None for float/bool
    max: Optional[int] = None

    @property
    def align(self) -> int:
        return self.size

    @property
    def zero(self):
        return {"int": 0, "float": 0.0, "bool": False}[self.kind]

    @property
    def python_type(self) -> type:
        return {"int": int, "float": float, "bool": bool}[self.kind]

    def __repr__(self) -> str:
        return f"CType({self.name})"


def _int_ctype(name: str, bits: int, signed: bool, code: str) -> CType:
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    c_name = f"{'' if signed else 'u'}int{bits}_t"
    numpy_code = f"{'i' if signed else 'u'}{bits // 8}"
    return CType(name, c_name, "int", bits // 8, code, numpy_code, lo, hi)


CTYPES: dict[str, CType] = {
    ct.name: ct
    for ct in (
        _int_ctype("i8", 8, True, "b"),
        _int_ctype("i16", 16, True, "h"),
        _int_ctype("i32", 32, True, "i"),
        _int_ctype("i64", 64, True, "q"),
        _int_ctype("u8", 8, False, "B"),
        _int_ctype("u16", 16, False, "H"),
        _int_ctype("u32", 32, False, "I"),
        _int_ctype("u64", 64, False, "Q"),
        CType("f32", "float", "float", 4, "f", "f4"),
        CType("f64", "double", "float", 8, "d", "f8"),
        CType("bool", "uint8_t", "bool", 1, "?", "?"),
    )
}

i8 = Annotated[int, CTYPES["i8"]]
i16 = Annotated[int, CTYPES["i16"]]
i32 = Annotated[int, CTYPES["i32"]]
i64 = Annotated[int, CTYPES["i64"]]
u8 = Annotated[int, CTYPES["u8"]]
u16 = Annotated[int, CTYPES["u16"]]
u32 = Annotated[int, CTYPES["u32"]]
u64 = Annotated[int, CTYPES["u64"]]
f32 = Annotated[float, CTYPES["f32"]]
f64 = Annotated[float, CTYPES["f64"]]

_BARE = {int: CTYPES["i64"], float: CTYPES["f64"], bool: CTYPES["bool"]}

SUPPORTED_TYPES_TEXT = "i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, bool, int (= i64), float (= f64)"


def ctype_of_annotation(annotation) -> Optional[CType]:
    """The CType an annotation stands for, or None if it is not a supported field type."""
    if annotation in _BARE:
        return _BARE[annotation]
    for ct in getattr(annotation, "__metadata__", ()):
        if isinstance(ct, CType) and getattr(annotation, "__origin__", None) is ct.python_type:
            return ct
    return None
