"""The messages of bad field values, shared by every kind and both modes.

Compiled code raises through these functions too (``pyx/compactclass/_kinds.pyx``), so a wrong
value reads the same whichever mode checked it.
"""
from __future__ import annotations

__all__ = ["short_repr", "type_error", "range_error", "delete_error"]


def short_repr(value) -> str:
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= 60 else text[:57] + "..."


def type_error(where: str, kind_name: str, expected: str, value) -> TypeError:
    """``expected`` says what the field takes: "an integer", "a real number"."""
    return TypeError(f"{where}: expected {expected} ({kind_name}), got "
                     f"{type(value).__name__} {short_repr(value)}")


def range_error(where: str, kind_name: str, lo, hi, value) -> OverflowError:
    bounds = f" [{lo}, {hi}]" if lo is not None else ""
    return OverflowError(f"{where}: {short_repr(value)} is out of range for {kind_name}{bounds}")


def delete_error(where: str) -> AttributeError:
    return AttributeError(f"{where}: cannot delete a field of a compact record")
