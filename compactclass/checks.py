"""Value checks: what a field of each C type accepts, and the errors it raises otherwise.

The pure-Python fallback converts values with :func:`convert`; compiled code converts in C and,
on failure, builds its exception with :func:`type_error` / :func:`range_error`, so both modes
raise the same exceptions with the same messages.

The rules (the same in both modes):
- integer fields take ``int`` (and ``bool``, an ``int`` subclass) and any object with
  ``__index__``; a ``float`` is a ``TypeError``; a value outside the C range is an
  ``OverflowError``. Nothing is truncated or wrapped.
- float fields take ``float``, ``int`` and objects with ``__float__`` or ``__index__`` (what
  ``PyFloat_AsDouble`` takes); an ``int`` too large for a double is an ``OverflowError``. ``f32``
  rounds like C (round to nearest); a finite value beyond the f32 range is an ``OverflowError``;
  NaN and infinities are kept.
- bool fields take ``True`` and ``False`` only.
"""
from __future__ import annotations

import math
import operator
import struct

__all__ = ["convert", "type_error", "range_error", "delete_error"]

_EXPECTED = {"int": "an integer", "float": "a real number", "bool": "a bool"}


def _short_repr(value) -> str:
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= 60 else text[:57] + "..."


def type_error(where: str, ctype_name: str, kind: str, value) -> TypeError:
    return TypeError(f"{where}: expected {_EXPECTED[kind]} ({ctype_name}), got "
                     f"{type(value).__name__} {_short_repr(value)}")


def range_error(where: str, ctype_name: str, lo, hi, value) -> OverflowError:
    bounds = f" [{lo}, {hi}]" if lo is not None else ""
    return OverflowError(f"{where}: {_short_repr(value)} is out of range for {ctype_name}{bounds}")


def delete_error(where: str) -> AttributeError:
    return AttributeError(f"{where}: cannot delete a field of a compact record")


def _as_int(ctype, where, value) -> int:
    if isinstance(value, float):
        raise type_error(where, ctype.name, ctype.kind, value)
    try:
        number = operator.index(value)
    except TypeError:
        raise type_error(where, ctype.name, ctype.kind, value) from None
    if not ctype.min <= number <= ctype.max:
        raise range_error(where, ctype.name, ctype.min, ctype.max, value)
    return int(number)


def _as_double(ctype, where, value) -> float:
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
        raise range_error(where, ctype.name, None, None, value) from None
    raise type_error(where, ctype.name, ctype.kind, value)


def _as_float(ctype, where, value) -> float:
    number = _as_double(ctype, where, value)
    if ctype.size == 4:
        try:
            rounded = struct.unpack("f", struct.pack("f", number))[0]
        except OverflowError:
            rounded = math.inf
        # struct.pack("f") gives inf for some finite doubles beyond the f32 range (3.11) and
        # raises for others; C's (float) cast gives inf, which compiled code rejects the same way
        if math.isinf(rounded) and not math.isinf(number):
            raise range_error(where, ctype.name, None, None, value) from None
        return rounded
    return number


def _as_bool(ctype, where, value) -> bool:
    if value is True or value is False:
        return value
    raise type_error(where, ctype.name, ctype.kind, value)


_CONVERTERS = {"int": _as_int, "float": _as_float, "bool": _as_bool}


def convert(ctype, where: str, value):
    """The value a field of ``ctype`` stores for ``value``, or the exception it raises."""
    return _CONVERTERS[ctype.kind](ctype, where, value)


# Entry points for compiled code, which names C types by their alias.

def range_error_for(where: str, ctype_name: str, value) -> OverflowError:
    from .types import CTYPES
    ctype = CTYPES[ctype_name]
    return range_error(where, ctype.name, ctype.min, ctype.max, value)


def as_double(where: str, ctype_name: str, value) -> float:
    from .types import CTYPES
    return _as_double(CTYPES[ctype_name], where, value)
