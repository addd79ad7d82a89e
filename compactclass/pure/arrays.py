"""The pure-Python record array: ``Point.Array`` when no compiled build is used.

One generic class factory, parametrised by the record's spec and item layout. Records are
stored in a ``bytearray`` packed with ``struct`` in exactly the compiled array's C layout
(array_format.ItemLayout), so both modes hold the same bytes, export the same NumPy dtype and
load each other's pickles. Values are checked by their kinds (compactclass.kinds), so errors read the
same as in compiled mode. See compactclass.arrays for the behaviour both modes share.

Exports: the bytearray itself refuses to resize while NumPy holds a view of it (from
``np.asarray(a)`` or ``np.asarray(a.x)``); every length-changing method turns that into the
same BufferError the compiled array raises, before changing anything.
"""
from __future__ import annotations

import functools
import operator
import struct
import sys
import types

from ..kinds import Kind
from ..array_format import ARRAY_ATTRIBUTES, buffer_records
from ..arrays import restore_array_v1
from ..messages import (REPR_RECORDS, REPR_VALUES, array_repr, column_repr, export_error,
                        index_error, index_type_error, not_fresh_error, value_error)

__all__ = ["make_fallback_array", "normalize_index"]


def normalize_index(index, length: int, what: str) -> int:
    """index (an int-like; negative counts from the end) as a position in length items."""
    i = operator.index(index)
    if not -sys.maxsize - 1 <= i <= sys.maxsize:
        raise IndexError("cannot fit 'int' into an index-sized integer")
    if i < 0:
        i += length
    if not 0 <= i < length:
        raise index_error(what)
    return i


def _position(index, sized, what: str) -> int:
    """normalize_index against the length sized has once index's __index__ ran (it may change
    the array)."""
    i = operator.index(index)
    return normalize_index(i, len(sized), what)


def _fit_slice(index: slice, sized) -> tuple:
    """index.indices() for the length sized has once the slice's __index__ methods ran."""
    try:
        bounds = [None if v is None else operator.index(v)
                  for v in (index.start, index.stop, index.step)]
    except TypeError:
        raise TypeError("slice indices must be integers or None or have an __index__ "
                        "method") from None
    return slice(*bounds).indices(len(sized))


def _refuse_foreign_self(cls) -> None:
    """Make cls's methods, classmethods and properties check self (or cls) as CPython's method
    descriptors do. They are plain functions: called unbound on another record's array they
    would write items of the wrong size into it."""
    def check(obj, name):
        if not isinstance(obj, cls) or not issubclass(type(obj), cls):
            raise TypeError(f"descriptor {name!r} for {cls.__qualname__!r} objects doesn't "
                            f"apply to a {type(obj).__name__!r} object")

    def method(fn, name):
        @functools.wraps(fn)
        def checked(self, *args, **kwargs):
            check(self, name)
            return fn(self, *args, **kwargs)
        return checked

    def class_method(fn, name):
        @functools.wraps(fn)
        def checked(owner, *args, **kwargs):
            if not isinstance(owner, type) or not issubclass(owner, cls):
                raise TypeError(f"descriptor {name!r} requires a subtype of "
                                f"{cls.__qualname__!r} but received {owner!r}")
            return fn(owner, *args, **kwargs)
        return classmethod(checked)

    for name, value in list(vars(cls).items()):
        if isinstance(value, classmethod):
            setattr(cls, name, class_method(value.__func__, name))
        elif isinstance(value, property):
            parts = [value.fget, value.fset, value.fdel]
            setattr(cls, name, property(*[p and method(p, name) for p in parts], value.__doc__))
        elif isinstance(value, types.FunctionType) and name != "__new__":
            setattr(cls, name, method(value, name))


def _clamp(index, length: int) -> int:
    """A start/stop/insert position, clamped as list methods do."""
    i = operator.index(index)
    if not -sys.maxsize - 1 <= i <= sys.maxsize:
        raise OverflowError("Python int too large to convert to C ssize_t")
    if i < 0:
        i = max(i + length, 0)
    return min(i, length)


def _record_maker(record, spec):
    """values (declared order) -> a new record, without __init__ (as unpickling does)."""
    info = record.__compact__
    if info.compiled:
        restore = info.restore
        return lambda values: restore(tuple(values), record)
    setters = [getattr(record, f.name).__set__ for f in spec.fields]  # slot descriptors
    new = object.__new__

    def make(values):
        obj = new(record)
        for set_field, value in zip(setters, values):
            set_field(obj, value)
        return obj
    return make


def _field_eq(spec, item, unpack):
    """Do two packed items hold equal records (as the record's == says)?"""
    if spec.options.eq and "__eq__" not in spec.user_specials:
        positions = [item.fields.index(item.field(f.name)) for f in spec.compare_fields]

        def eq(a: bytes, b: bytes) -> bool:
            va, vb = unpack(a), unpack(b)
            return all(va[k] == vb[k] for k in positions)
        return eq
    return None      # compare whole records with ==


def make_fallback_array(record, spec, item, info) -> type:
    """The ``Array`` class of fallback (or stale-compiled) record class ``record``."""
    size = item.size
    codec = struct.Struct(item.struct_format)
    storage_of = [item.fields.index(f) for f in item.declared]       # declared -> storage
    declared_of = [item.declared.index(f) for f in item.fields]      # storage -> declared
    converters = [functools.partial(f.kind.convert, spec.where(f.name))
                  for f in item.declared]
    read_fields = operator.attrgetter(*(f.name for f in item.declared))
    single = len(item.declared) == 1
    make_record = _record_maker(record, spec)
    what, nfields = info.what, len(item.declared)
    field_eq = _field_eq(spec, item, codec.unpack)
    # Equal bytes mean equal records when every byte is a compared, non-float field.
    # (Not with floats, where 0.0 == -0.0 and NaN != NaN, nor with bools, whose byte may be any
    # nonzero value after a write through an exported buffer.)
    plain_bytes_eq = (field_eq is not None and len(spec.compare_fields) == nfields
                      and sum(f.kind.size for f in item.fields) == size
                      and all(f.kind.bytes_equal for f in item.fields))
    canonical_fields = [f for f in item.fields if f.kind.canonical_bytes is not Kind.canonical_bytes]

    def pickle_bytes(data) -> bytes:
        """The records' bytes with every bool byte as 0 or 1, so the pickle loads back."""
        out = bytearray(data)
        for f in canonical_fields:
            column = bytes(out[f.offset::size])
            out[f.offset::size] = f.kind.canonical_bytes(column)
        return bytes(out)

    def pack(value) -> bytes:
        if type(value) is record or (issubclass(type(value), record) and
                                     getattr(type(value), "__compact__", None)
                                     is record.__compact__):
            values = (read_fields(value),) if single else read_fields(value)
        elif isinstance(value, (tuple, list)) and len(value) == nfields:
            values = [convert(v) for convert, v in zip(converters, value)]
        else:
            raise value_error(record, value)
        return codec.pack(*[values[k] for k in declared_of])

    def unpack(data, offset: int):
        stored = codec.unpack_from(data, offset)
        return make_record([stored[k] for k in storage_of])

    def items_equal(a: bytes, b: bytes) -> bool:
        if field_eq is not None:
            return field_eq(a, b)
        return make_record([codec.unpack(a)[k] for k in storage_of]) == \
            make_record([codec.unpack(b)[k] for k in storage_of])

    def fresh(cls):
        """cls.__new__(cls) checked to be a new, empty, unexported array of this record (a
        subclass's __new__ may return any object)."""
        obj = cls.__new__(cls)
        if isinstance(obj, FallbackRecordArray) and issubclass(type(obj), FallbackRecordArray):
            data = getattr(obj, "_data", None)
            if type(data) is bytearray and not data:
                try:
                    data.append(0)              # refused while a buffer is exported
                    del data[-1]
                    return obj
                except BufferError:
                    pass
        raise not_fresh_error(cls, obj, what)

    class FallbackRecordArray:
        __slots__ = ("_data",)
        __compact_array__ = info

        def __new__(cls, *args, **kwargs):
            self = object.__new__(cls)
            self._data = bytearray()
            return self

        def __init__(self, values=None):
            if self._data:
                self.clear()
            if values is not None:
                self.extend(values)

        # -- helpers

        def _resizable(self):
            try:
                self._data.append(0)
            except BufferError:
                raise export_error(what) from None
            del self._data[-1]

        def _grow(self, data: bytes, at: int = None):
            """Insert bytes (whole records) at byte offset ``at`` (default: the end)."""
            try:
                if at is None:
                    self._data += data
                else:
                    self._data[at:at] = data
            except BufferError:
                raise export_error(what) from None

        def _records(self):
            """Every packed item, as bytes (one copy, taken without running Python code)."""
            data = bytes(self._data)
            return [data[i * size:(i + 1) * size] for i in range(len(data) // size)]

        # -- construction

        @classmethod
        def zeros(cls, n):
            """An array of n records whose every field is zero (exact capacity)."""
            count = operator.index(n)
            if count < 0:
                raise ValueError(f"{what}.zeros: negative count {count}")
            if count > sys.maxsize // size:
                raise MemoryError(f"{what}: 0 + {count} records of {size} bytes do not fit "
                                  f"in memory")
            new = fresh(cls)
            new._data = bytearray(count * size)
            return new

        @classmethod
        def frombuffer(cls, obj):
            """A new array holding a copy of the records in a buffer: raw bytes, or a buffer
            (a NumPy structured array, another array's memoryview) with the same item
            layout. ValueError names the first difference."""
            flat, _ = buffer_records(item, obj, f"{what}.frombuffer")
            new = fresh(cls)
            new._data = bytearray(flat)
            return new

        # -- sequence protocol

        def __len__(self):
            return len(self._data) // size

        def __getitem__(self, index):
            if isinstance(index, slice):
                new = fresh(type(self))
                start, stop, step = _fit_slice(index, self)
                if step == 1:
                    new._data = self._data[start * size:max(stop, start) * size]
                else:
                    new._data = bytearray(b"".join(
                        self._data[i * size:(i + 1) * size] for i in range(start, stop, step)))
                return new
            if not hasattr(type(index), "__index__"):
                raise index_type_error(what, index)
            return unpack(self._data, _position(index, self, what) * size)

        def __setitem__(self, index, value):
            if isinstance(index, slice):
                self._set_slice(index, value)
                return
            if not hasattr(type(index), "__index__"):
                raise index_type_error(what, index)
            packed = pack(value)
            i = _position(index, self, what)
            self._data[i * size:(i + 1) * size] = packed      # same length: never resizes

        def _set_slice(self, index, values):
            packed = b"".join(self._pack_all(values))
            n = len(packed) // size
            start, stop, step = _fit_slice(index, self)
            positions = range(start, stop, step)
            if step != 1:
                if n != len(positions):
                    raise ValueError(f"attempt to assign sequence of size {n} to extended "
                                     f"slice of size {len(positions)}")
                for k, i in enumerate(positions):
                    self._data[i * size:(i + 1) * size] = packed[k * size:(k + 1) * size]
                return
            if n != len(positions):
                self._resizable()
            self._data[start * size:(start + len(positions)) * size] = packed

        def __delitem__(self, index):
            if isinstance(index, slice):
                positions = range(*_fit_slice(index, self))
                if not positions:
                    return
                self._resizable()
                if positions.step == 1:
                    del self._data[positions.start * size:positions.stop * size]
                    return
                gone = set(positions)
                self._data[:] = b"".join(chunk for i, chunk in enumerate(self._records())
                                         if i not in gone)
                return
            if not hasattr(type(index), "__index__"):
                raise index_type_error(what, index)
            i = _position(index, self, what)
            self._resizable()
            del self._data[i * size:(i + 1) * size]

        def __iter__(self):
            # the storage as it is at each step (clear() and shrink_to_fit() replace it)
            i = 0
            while (i + 1) * size <= len(self._data):
                yield unpack(self._data, i * size)
                i += 1

        def __contains__(self, value):
            return self._find(value, 0, sys.maxsize, True) >= 0

        def _pack_all(self, values) -> list:
            if type(values) is type(self):
                return [bytes(values._data)]
            return [pack(v) for v in values]

        def append(self, value):
            """Add a record (or a tuple of its field values) at the end, checking every
            value."""
            self._grow(pack(value))

        def extend(self, values):
            """Add every record of an iterable; all or nothing (one bad value adds none)."""
            packed = b"".join(self._pack_all(values))
            if packed:
                self._grow(packed)

        def __iadd__(self, values):
            self.extend(values)
            return self

        def insert(self, index, value):
            """Insert a record before index (clamped to the array, as list.insert does)."""
            packed = pack(value)
            self._grow(packed, _clamp(index, len(self)) * size)

        def pop(self, index=-1):
            """Remove and return the record at index (default last)."""
            if not self._data:
                raise IndexError(f"pop from empty {what}")
            try:
                i = _position(index, self, what)
            except IndexError:
                raise IndexError(f"{what}.pop index out of range") from None
            self._resizable()
            result = unpack(self._data, i * size)
            del self._data[i * size:(i + 1) * size]
            return result

        def remove(self, value):
            """Remove the first record equal to value (ValueError if there is none)."""
            del self[self.index(value)]

        def clear(self):
            """Remove every record and free the storage."""
            self._resizable()
            self._data = bytearray()

        def _find(self, value, start, stop, first: bool):
            try:
                wanted = pack(value)
            except (TypeError, OverflowError):
                return -1 if first else 0
            count, i = 0, _clamp(start, len(self))
            while i < min(_clamp(stop, len(self)), len(self)):
                if plain_bytes_eq and self._data[i * size:(i + 1) * size] == wanted or \
                        not plain_bytes_eq and items_equal(
                            wanted, bytes(self._data[i * size:(i + 1) * size])):
                    if first:
                        return i
                    count += 1
                i += 1
            return -1 if first else count

        def index(self, value, start=0, stop=sys.maxsize):
            """Index of the first record equal to value in [start, stop) (ValueError if
            none)."""
            i = self._find(value, start, stop, True)
            if i < 0:
                raise ValueError(f"{what}.index(x): x not in array")
            return i

        def count(self, value):
            """Number of records equal to value."""
            return self._find(value, 0, sys.maxsize, False)

        def reverse(self):
            """Reverse the records in place (allowed while a buffer is exported)."""
            self._data[:] = b"".join(reversed(self._records()))

        def __eq__(self, other):
            if not issubclass(type(other), FallbackRecordArray):
                return NotImplemented
            if len(self) != len(other):
                return False
            if plain_bytes_eq:
                return self._data == other._data
            return all(items_equal(a, b) for a, b in zip(self._records(), other._records()))

        def __ne__(self, other):
            result = self.__eq__(other)
            return result if result is NotImplemented else not result

        __hash__ = None

        def __repr__(self):
            data = bytes(self._data)        # one copy: unpacking may run the GC
            count = min(len(data) // size, REPR_RECORDS)
            shown = [unpack(data, i * size) for i in range(count)]
            return array_repr(what, len(self), shown)

        # -- storage

        @property
        def capacity(self):
            """Records the allocated storage holds (the bytearray's own slack is hidden)."""
            return len(self)

        @property
        def itemsize(self):
            """Bytes per record."""
            return size

        @property
        def record(self):
            """The record class (Point for Point.Array)."""
            return record

        def reserve(self, n):
            """Make room for n records (bytearray manages its capacity; as in compiled mode,
            growing the capacity while a buffer is exported is a BufferError)."""
            if operator.index(n) > len(self):
                self._resizable()

        def shrink_to_fit(self):
            """Free the unused capacity."""
            self._resizable()
            self._data = bytearray(self._data)

        def __sizeof__(self):
            return object.__sizeof__(self) + self._data.__sizeof__()

        def tobytes(self):
            """The records' bytes (storage order, native byte order, padding included)."""
            return bytes(self._data)

        def column(self, name):
            """A live, writable view of one field of every record."""
            return FallbackColumn(self, name)

        @property
        def columns(self):
            """Every field's column, by name (declared order)."""
            return {f.name: FallbackColumn(self, f.name) for f in item.declared}

        # -- copy and pickle

        def copy(self):
            """A new array with the same records (exact capacity)."""
            new = fresh(type(self))
            new._data = bytearray(self._data)
            return new

        __copy__ = copy

        def __deepcopy__(self, memo):
            return self.copy()

        def __reduce__(self):
            return restore_array_v1, (record, info.header, pickle_bytes(self._data))

        # -- NumPy: a zero-copy structured view (holds an export of the bytearray)

        def __array__(self, dtype=None, copy=None):
            import numpy
            array = numpy.frombuffer(self._data, dtype=numpy.dtype(item.numpy_descr))
            if dtype is not None and numpy.dtype(dtype) != array.dtype:
                return array.astype(dtype)
            return array.copy() if copy else array

    class FallbackColumn:
        """One field of every record of an array (see compactclass._arrays.RecordColumn)."""

        __slots__ = ("array", "name", "_field", "_convert", "where")

        def __init__(self, array, name):
            try:
                self._field = item.field(name)
            except KeyError:
                raise AttributeError(f"{what}: {spec.qualname} has no field {name!r}") from None
            self.array, self.name = array, name
            self.where = spec.where(name)
            self._convert = functools.partial(self._field.kind.convert, self.where)

        def __len__(self):
            return len(self.array)

        def _get(self, i):
            return struct.unpack_from(self._field.kind.struct_code, self.array._data,
                                      i * size + self._field.offset)[0]

        def _values(self, limit=None):
            """The field of every record (of the first limit), from one copy of the storage:
            nothing that runs meanwhile (the GC) can change what is read."""
            data = bytes(self.array._data)
            count = len(data) // size if limit is None else min(len(data) // size, limit)
            code, offset = self._field.kind.struct_code, self._field.offset
            return [struct.unpack_from(code, data, i * size + offset)[0] for i in range(count)]

        def _put(self, i, value):
            struct.pack_into(self._field.kind.struct_code, self.array._data,
                             i * size + self._field.offset, value)

        def __getitem__(self, index):
            if isinstance(index, slice):
                return [self._get(i) for i in range(*_fit_slice(index, self))]
            if not hasattr(type(index), "__index__"):
                raise index_type_error(what, index)
            return self._get(_position(index, self, what))

        def __setitem__(self, index, value):
            if isinstance(index, slice):
                values = [self._convert(v) for v in value]
                positions = range(*_fit_slice(index, self))
                if len(values) != len(positions):
                    raise ValueError(f"{self.where}: cannot assign {len(values)} values to "
                                     f"{len(positions)} records (a column cannot change the "
                                     f"array's length)")
                for i, v in zip(positions, values):
                    self._put(i, v)
                return
            if not hasattr(type(index), "__index__"):
                raise index_type_error(what, index)
            converted = self._convert(value)
            self._put(_position(index, self, what), converted)

        def __iter__(self):
            i = 0
            while i < len(self):
                yield self._get(i)
                i += 1

        def tolist(self):
            """Every record's value of this field, as a list."""
            return self._values()

        def __repr__(self):
            shown = self._values(REPR_VALUES)
            return column_repr(self.where, self._field.kind.name, len(self), shown)

        def __array__(self, dtype=None, copy=None):
            import numpy
            field_size = self._field.kind.size
            view = memoryview(self.array._data).cast(self._field.kind.struct_code)
            array = numpy.asarray(view[self._field.offset // field_size::size // field_size])
            if dtype is not None and numpy.dtype(dtype) != array.dtype:
                return array.astype(dtype)
            return array.copy() if copy else array

    def column_property(name):
        kind = item.field(name).kind
        return property(lambda self: FallbackColumn(self, name),
                        doc=f"Column {name} ({kind.name}): a live, writable view of every "
                            f"record's {name}.")

    for f in item.declared:
        if f.name not in ARRAY_ATTRIBUTES:
            setattr(FallbackRecordArray, f.name, column_property(f.name))
    FallbackRecordArray.__name__ = f"{spec.name}Array"
    FallbackRecordArray.__qualname__ = f"{spec.qualname}.Array"
    FallbackRecordArray.__module__ = spec.module
    FallbackRecordArray.__doc__ = (f"{spec.qualname}.Array: {spec.qualname} records stored "
                                   f"contiguously, {size} bytes each (pure-Python fallback; "
                                   f"see compactclass.arrays).")
    FallbackColumn.__qualname__ = f"{spec.qualname}.Array.Column"
    FallbackColumn.__module__ = spec.module
    _refuse_foreign_self(FallbackRecordArray)
    _refuse_foreign_self(FallbackColumn)
    from collections.abc import MutableSequence
    MutableSequence.register(FallbackRecordArray)
    return FallbackRecordArray
