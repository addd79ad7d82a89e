"""The messages both modes raise at run time: frozen records and record arrays.

Compiled code raises through these functions too (the runtime and generated modules import
this module), so every message is written once.
"""
from __future__ import annotations

import dataclasses
import sys

from .kinds.messages import short_repr

__all__ = ["frozen_setter", "value_error", "export_error", "not_fresh_error", "index_error",
           "index_type_error", "array_repr", "column_repr", "negative_count_error",
           "growth_error", "too_many_records_error", "out_of_memory_error", "storage_error",
           "byte_count_error", "frombuffer_where", "extended_slice_error", "pop_empty_error",
           "pop_index_error", "not_in_array_error", "no_field_error", "column_length_error",
           "strided_column_error", "kindless_array_error", "not_array_class_error",
           "item_layout_error", "index_size_error", "ssize_overflow_error",
           "slice_index_type_error", "foreign_self_error", "foreign_cls_error",
           "column_attribute_error", "REPR_RECORDS",
           "REPR_VALUES"]

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


def negative_count_error(what: str, count: int) -> ValueError:
    return ValueError(f"{what}.zeros: negative count {count}")


def growth_error(what: str, length: int, extra: int, itemsize: int) -> MemoryError:
    return MemoryError(f"{what}: {length} + {extra} records of {itemsize} bytes do not fit "
                       f"in memory")


def too_many_records_error(what: str) -> MemoryError:
    return MemoryError(f"{what}: too many records")


def out_of_memory_error(what: str) -> MemoryError:
    return MemoryError(f"{what}: out of memory")


def storage_error(what: str, reason: str) -> SystemError:
    """An error of the C vector the compiled array has no better exception for."""
    return SystemError(f"{what}: {reason}")


def byte_count_error(what: str, nbytes: int, count: int) -> ValueError:
    return ValueError(f"{what}: {nbytes} bytes are not {count} records")


def frombuffer_where(what: str) -> str:
    """The prefix of frombuffer's ValueErrors (see array_format.buffer_records)."""
    return f"{what}.frombuffer"


def extended_slice_error(n: int, count: int) -> ValueError:
    return ValueError(f"attempt to assign sequence of size {n} to extended slice of size "
                      f"{count}")


def pop_empty_error(what: str) -> IndexError:
    return IndexError(f"pop from empty {what}")


def pop_index_error(what: str) -> IndexError:
    return IndexError(f"{what}.pop index out of range")


def not_in_array_error(what: str) -> ValueError:
    return ValueError(f"{what}.index(x): x not in array")


def no_field_error(what: str, record: str, name: str) -> AttributeError:
    return AttributeError(f"{what}: {record} has no field {name!r}")


def column_length_error(where: str, n: int, count: int) -> ValueError:
    return ValueError(f"{where}: cannot assign {n} values to {count} records (a column cannot "
                      f"change the array's length)")


def column_attribute_error(name: str, owner) -> AttributeError:
    """Assigning or deleting a column attribute of an array (a.x = ...)."""
    return AttributeError(f"attribute {name!r} of {owner.__name__!r} objects is not writable "
                          f"(write through the column: a.{name}[:] = values)")


def strided_column_error(where: str) -> BufferError:
    return BufferError(f"column {where} is strided: request a strided buffer (memoryview and "
                       f"NumPy do)")


def no_buffer_error(what: str, item) -> BufferError:
    """A compiled array (or column) of records whose NumPy types no buffer format can say."""
    kinds = ", ".join(dict.fromkeys(f.kind.name for f in item.fields if not f.kind.pep3118))
    return BufferError(f"{what}: no buffer describes its {kinds} fields (PEP 3118 has no "
                       f"datetime64 or timedelta64): np.asarray() gives a zero-copy NumPy view, "
                       f".tobytes() the raw records")


def kindless_array_error(name: str) -> TypeError:
    """An array class that belongs to no record (the bare base class, or a class derived from
    it alone)."""
    return TypeError(f"{name}: use the Array of a compact record (Point.Array), not "
                     f"RecordArray itself or a class derived from it alone")


def not_array_class_error(cls) -> TypeError:
    return TypeError(f"array_register: {cls!r} is not a record array class")


def item_layout_error(record: str, size: int, offsets: list, expected_size: int,
                      expected_offsets: list) -> ImportError:
    return ImportError(f"{record}.Array: the C compiler laid out {size}-byte items with fields "
                       f"at {offsets}; expected {expected_size} bytes at {expected_offsets}")


# What CPython itself says, for the checks the pure-Python array makes in Python (compiled, the
# interpreter raises these).

def index_size_error() -> IndexError:
    return IndexError("cannot fit 'int' into an index-sized integer")


def ssize_overflow_error() -> OverflowError:
    return OverflowError("Python int too large to convert to C ssize_t")


def slice_index_type_error() -> TypeError:
    return TypeError("slice indices must be integers or None or have an __index__ method")


def foreign_self_error(name: str, owner, obj) -> TypeError:
    return TypeError(f"descriptor {name!r} for {owner.__qualname__!r} objects doesn't apply to "
                     f"a {type(obj).__name__!r} object")


def foreign_cls_error(name: str, owner, cls) -> TypeError:
    return TypeError(f"descriptor {name!r} requires a subtype of {owner.__qualname__!r} but "
                     f"received {cls!r}")


def object_fields_array_error(record: str, fields: list) -> TypeError:
    """fields: (name, kind name) of the fields that hold object references."""
    listed = ", ".join(f"{name} ({kind})" for name, kind in fields)
    return TypeError(f"{record}.Array: record arrays hold plain data only, and {record} has "
                     f"object fields: {listed}. Use Str[N]/Bytes[N] for strings stored inline, "
                     f"or keep the records in a list")


def abstract_error(cls) -> TypeError:
    """What creating an abstract class raises (object.__new__'s words, per version)."""
    names = sorted(getattr(cls, "__abstractmethods__", ()))
    plural = "s" if len(names) > 1 else ""
    if sys.version_info >= (3, 12):
        return TypeError(f"Can't instantiate abstract class {cls.__name__} without an "
                         f"implementation for abstract method{plural} "
                         f"{', '.join(repr(n) for n in names)}")
    return TypeError(f"Can't instantiate abstract class {cls.__name__} with abstract "
                     f"method{plural} {', '.join(names)}")
