"""The messages both modes raise at run time: frozen records and record arrays.

Compiled code raises through these functions too (the runtime and generated modules import
this module), so every message is written once.
"""
from __future__ import annotations

import dataclasses

from .kinds.messages import short_repr

__all__ = ["frozen_setter", "value_error", "export_error", "not_fresh_error", "index_error",
           "index_type_error", "array_repr", "column_repr", "REPR_RECORDS", "REPR_VALUES"]

REPR_RECORDS = 5      # records an array's repr shows
REPR_VALUES = 10      # values a column's repr shows


def frozen_setter(obj, name: str, deleting: bool):
    """Raise what assigning to (or deleting) field name of a frozen record raises."""
    verb = "delete" if deleting else "assign to"
    raise dataclasses.FrozenInstanceError(f"cannot {verb} field {name!r}")


def value_error(record, value) -> TypeError:
    spec = record.__compact__.spec
    names = ", ".join(f.name for f in spec.fields)
    count = len(spec.fields)
    if isinstance(value, (tuple, list)):
        return TypeError(f"{spec.qualname}.Array: expected {count} field values ({names}), "
                         f"got {len(value)}")
    return TypeError(f"{spec.qualname}.Array: expected a {spec.qualname} or a tuple of its "
                     f"{count} field values ({names}), got {type(value).__name__} "
                     f"{short_repr(value)}")


def export_error(what: str) -> BufferError:
    return BufferError(f"{what}: cannot resize while a buffer of it is exported (a "
                       f"memoryview, NumPy array or column buffer is alive)")


def not_fresh_error(cls, obj, what: str) -> TypeError:
    return TypeError(f"{cls.__qualname__}.__new__ returned {type(obj).__qualname__} "
                     f"{short_repr(obj)}, not a new, empty {what}")


def index_error(what: str) -> IndexError:
    return IndexError(f"{what} index out of range")


def index_type_error(what: str, index) -> TypeError:
    return TypeError(f"{what} indices must be integers or slices, not {type(index).__name__}")


def array_repr(what: str, n: int, shown: list) -> str:
    items = ", ".join(map(repr, shown)) + (", ..." if n > len(shown) else "")
    return f"<{what} of {n} record{'' if n == 1 else 's'}: [{items}]>"


def column_repr(where: str, ctype_name: str, n: int, shown: list) -> str:
    items = ", ".join(map(repr, shown)) + (", ..." if n > len(shown) else "")
    return f"<column {where} ({ctype_name}) of {n} record{'' if n == 1 else 's'}: [{items}]>"

