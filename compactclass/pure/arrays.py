"""The pure-Python record array: ``Point.Array`` when no compiled build is used.

PureRecordArray and PureColumn implement the record-array API once for every record type.
What differs between record types is one ItemCodec, built once per record from its spec and
item layout (array_format.ItemLayout); make_fallback_array makes the record's ``Array`` class,
a small subclass whose class attributes hold that codec. Records are stored in a ``bytearray``
packed with ``struct`` in exactly the compiled array's C layout, so both modes hold the same
bytes, export the same NumPy dtype and load each other's pickles. Values are checked with
the field kinds (compactclass.kinds) and errors come from compactclass.messages, so they read
the same as in compiled mode. See compactclass.arrays for the behaviour both modes share.

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
from typing import Optional
from collections.abc import MutableSequence

from ..kinds import Kind

from .. import messages
from ..array_format import ARRAY_ATTRIBUTES, buffer_records, numpy_records
from ..arrays import restore_array_v1
from ..messages import REPR_RECORDS, REPR_VALUES
from .records import raw_slot

__all__ = ["make_fallback_array", "normalize_index", "ItemCodec", "PureRecordArray",
           "PureColumn"]


# --------------------------------------------------------------------------- index arithmetic

def normalize_index(index, length: int, what: str) -> int:
    """index (an int-like; negative counts from the end) as a position in length items."""
    i = operator.index(index)
    if not -sys.maxsize - 1 <= i <= sys.maxsize:
        raise messages.index_size_error()
    if i < 0:
        i += length
    if not 0 <= i < length:
        raise messages.index_error(what)
    return i


def _item_index(index, sized, what: str) -> int:
    """The position index (an int-like, else TypeError) names, against the length sized has
    once index's __index__ ran (it may change the array)."""
    if not hasattr(type(index), "__index__"):
        raise messages.index_type_error(what, index)
    i = operator.index(index)
    return normalize_index(i, len(sized), what)


def _fit_slice(index: slice, sized) -> tuple:
    """index.indices() for the length sized has once the slice's __index__ methods ran."""
    try:
        bounds = [None if v is None else operator.index(v)
                  for v in (index.start, index.stop, index.step)]
    except TypeError:
        raise messages.slice_index_type_error() from None
    return slice(*bounds).indices(len(sized))


def _clamp(index, length: int) -> int:
    """A start/stop/insert position, clamped as list methods do."""
    i = operator.index(index)
    if not -sys.maxsize - 1 <= i <= sys.maxsize:
        raise messages.ssize_overflow_error()
    if i < 0:
        i = max(i + length, 0)
    return min(i, length)


# --------------------------------------------------------------------------- one record type

def _record_maker(record, spec):
    """values (declared order) -> a new record, without __init__ (as unpickling does)."""
    info = record.__compact__
    if info.compiled:
        restore = info.restore
        return lambda values: restore(tuple(values), record)
    setters = [raw_slot(record, f.name).__set__ for f in spec.fields]  # unchecked
    new = object.__new__

    def make(values):
        obj = new(record)
        for set_field, value in zip(setters, values):
            set_field(obj, value)
        return obj
    return make


class ItemCodec:
    """Everything the pure-Python array of one record type knows of its items: how to pack a
    value into item bytes, unpack a record, compare items and pickle them. Built once per
    record type (make_fallback_array) from its spec and array_format.ItemLayout."""

    def __init__(self, record, spec, item, info):
        self.record, self.spec, self.item, self.info = record, spec, item, info
        self.what, self.size = info.what, item.size
        self.struct = struct.Struct(item.struct_format)
        self.storage_of = [item.fields.index(f) for f in item.declared]    # declared -> storage
        self.declared_of = [item.declared.index(f) if f in item.declared else None
                            for f in item.fields]               # storage -> declared (bitmaps: None)
        self.converters = [functools.partial(f.kind.convert, spec.where(f.name))
                           for f in item.declared]
        self.read_fields = operator.attrgetter(*(f.name for f in item.declared))
        self.single = len(item.declared) == 1
        self.make_record = _record_maker(record, spec)
        # storage positions of the fields == compares; None: compare whole records with ==
        self.compare_positions = None
        if spec.options.eq and "__eq__" not in spec.user_specials:
            self.compare_positions = [item.fields.index(item.field(f.name))
                                      for f in spec.compare_fields]
        # values are translated (ItemLayout.pack/unpack) where a kind's struct value is not
        # the value users see, or an optional field's presence bit decides it
        self.translated = bool(item.presence_bits) or any(
            type(f.kind).to_struct is not Kind.to_struct or
            type(f.kind).from_struct is not Kind.from_struct for f in item.fields)
        # declared positions of the fields == compares, for translated values
        self.compare_declared = [item.declared.index(item.field(f.name))
                                 for f in spec.compare_fields]
        # the fields whose stored bytes are not always written as their kind writes them
        self.canonical_fields = [f for f in item.fields
                                 if type(f.kind).canonical_bytes is not Kind.canonical_bytes]
        # Equal bytes mean equal records when every byte is a compared field whose bytes
        # decide its value's equality.
        self.plain_bytes_eq = (self.compare_positions is not None
                               and len(spec.compare_fields) == len(item.declared)
                               and sum(f.kind.size for f in item.fields) == item.size
                               and all(f.kind.bytes_equal for f in item.fields))
        self.array_cls = self.column_cls = None        # set by make_fallback_array

    def pack(self, value) -> bytes:
        """The item bytes of a record (of this very class or a plain, non-compact subclass),
        or of a tuple or list of its field values, checked as the constructor checks them."""
        record = self.record
        if type(value) is record or (issubclass(type(value), record) and
                                     getattr(type(value), "__compact__", None)
                                     is record.__compact__):
            values = (self.read_fields(value),) if self.single else self.read_fields(value)
        elif isinstance(value, (tuple, list)) and len(value) == len(self.converters):
            values = [convert(v) for convert, v in zip(self.converters, value)]
        else:
            raise messages.value_error(record, value)
        if self.translated:
            return self.item.pack(values)
        return self.struct.pack(*[values[k] for k in self.declared_of])

    def unpack(self, data, offset: int = 0):
        """A new record holding the item at byte offset of data."""
        if self.translated:
            return self.make_record(self.item.unpack(data, offset))
        stored = self.struct.unpack_from(data, offset)
        return self.make_record([stored[k] for k in self.storage_of])

    def items_equal(self, a: bytes, b: bytes) -> bool:
        """Do two items hold equal records (as the record's == says)?"""
        if self.compare_positions is None:
            return self.unpack(a) == self.unpack(b)
        if self.translated:     # compare the values users see (a nested record's, not bytes)
            va, vb = self.item.unpack(a), self.item.unpack(b)
            return all(va[k] == vb[k] for k in self.compare_declared)
        va, vb = self.struct.unpack(a), self.struct.unpack(b)
        return all(va[k] == vb[k] for k in self.compare_positions)

    def pickle_bytes(self, data) -> bytes:
        """The records' bytes with every value as its kind writes it (a bool byte as 0 or 1),
        so the pickle loads back."""
        out, size = bytearray(data), self.size
        for f in self.canonical_fields:
            n = f.kind.size
            if n == 1:
                out[f.offset::size] = f.kind.canonical_bytes(bytes(out[f.offset::size]))
                continue
            starts = range(f.offset, len(out), size)
            fixed = f.kind.canonical_bytes(b"".join(out[i:i + n] for i in starts))
            for k, i in enumerate(starts):
                out[i:i + n] = fixed[k * n:(k + 1) * n]
        return bytes(out)

    def fresh(self, cls):
        """cls.__new__(cls) checked to be a new, empty, unexported array of this record (a
        subclass's __new__ may return any object)."""
        obj = cls.__new__(cls)
        if isinstance(obj, self.array_cls) and issubclass(type(obj), self.array_cls):
            data = getattr(obj, "_data", None)
            if type(data) is bytearray and not data:
                try:
                    data.append(0)              # refused while a buffer is exported
                    del data[-1]
                    return obj
                except BufferError:
                    pass
        raise messages.not_fresh_error(cls, obj, self.what)


def _codec_of(cls) -> ItemCodec:
    """The codec of an array or column class; TypeError for the bare base classes."""
    codec = getattr(cls, "_codec", None)
    if not isinstance(codec, ItemCodec):
        raise messages.kindless_array_error(cls.__name__)
    return codec


# --------------------------------------------------------------------------- the array

class PureRecordArray:
    """Base of every pure-Python ``Point.Array``: the list API over a bytearray of items.
    Subclasses made by make_fallback_array hold the record's ItemCodec as ``_codec``."""

    __slots__ = ("_data",)
    _codec: ItemCodec = None  # type: ignore[assignment]  # each subclass's, set when it is made

    def __new__(cls, *args, **kwargs):
        _codec_of(cls)
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
            raise messages.export_error(self._codec.what) from None
        del self._data[-1]

    def _grow(self, data: bytes, at: Optional[int] = None):
        """Insert bytes (whole records) at byte offset ``at`` (default: the end)."""
        try:
            if at is None:
                self._data += data
            else:
                self._data[at:at] = data
        except BufferError:
            raise messages.export_error(self._codec.what) from None

    def _records(self):
        """Every packed item, as bytes (one copy, taken without running Python code)."""
        data, size = bytes(self._data), self._codec.size
        return [data[i * size:(i + 1) * size] for i in range(len(data) // size)]

    # -- construction

    @classmethod
    def zeros(cls, n):
        """An array of n records whose every field is zero (exact capacity)."""
        c = _codec_of(cls)
        count = operator.index(n)
        if count < 0:
            raise messages.negative_count_error(c.what, count)
        if count > sys.maxsize // c.size:
            raise messages.growth_error(c.what, 0, count, c.size)
        new = c.fresh(cls)
        new._data = bytearray(count * c.size)
        return new

    @classmethod
    def frombuffer(cls, obj):
        """A new array holding a copy of the records in a buffer: raw bytes, or a buffer (a
        NumPy structured array, another array's memoryview) with the same item layout.
        ValueError names the first difference."""
        c = _codec_of(cls)
        flat, _ = buffer_records(c.item, obj, messages.frombuffer_where(c.what))
        new = c.fresh(cls)
        new._data = bytearray(flat)
        return new

    # -- sequence protocol

    def __len__(self):
        return len(self._data) // self._codec.size

    def __getitem__(self, index):
        c = self._codec
        if isinstance(index, slice):
            return self._get_slice(index)
        return c.unpack(self._data, _item_index(index, self, c.what) * c.size)

    def __setitem__(self, index, value):
        c = self._codec
        if isinstance(index, slice):
            self._set_slice(index, value)
            return
        if not hasattr(type(index), "__index__"):
            raise messages.index_type_error(c.what, index)
        packed = c.pack(value)
        i = _item_index(index, self, c.what)
        self._data[i * c.size:(i + 1) * c.size] = packed      # same length: never resizes

    def _get_slice(self, index):
        c = self._codec
        new = c.fresh(type(self))
        start, stop, step = _fit_slice(index, self)
        if step == 1:
            new._data = self._data[start * c.size:max(stop, start) * c.size]
        else:
            new._data = bytearray(b"".join(self._data[i * c.size:(i + 1) * c.size]
                                           for i in range(start, stop, step)))
        return new

    def _set_slice(self, index, values):
        size = self._codec.size
        packed = b"".join(self._pack_all(values))
        n = len(packed) // size
        start, stop, step = _fit_slice(index, self)
        positions = range(start, stop, step)
        if step != 1:
            if n != len(positions):
                raise messages.extended_slice_error(n, len(positions))
            for k, i in enumerate(positions):
                self._data[i * size:(i + 1) * size] = packed[k * size:(k + 1) * size]
            return
        if n != len(positions):
            self._resizable()
        self._data[start * size:(start + len(positions)) * size] = packed

    def __delitem__(self, index):
        c = self._codec
        if isinstance(index, slice):
            self._del_slice(index)
            return
        i = _item_index(index, self, c.what)
        self._resizable()
        del self._data[i * c.size:(i + 1) * c.size]

    def _del_slice(self, index):
        size = self._codec.size
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

    def __iter__(self):
        # the storage as it is at each step (clear() and shrink_to_fit() replace it)
        c, i = self._codec, 0
        while (i + 1) * c.size <= len(self._data):
            yield c.unpack(self._data, i * c.size)
            i += 1

    def __contains__(self, value):
        return self._find(value, 0, sys.maxsize, True) >= 0

    def _pack_all(self, values) -> list:
        if type(values) is type(self):
            return [bytes(values._data)]
        return [self._codec.pack(v) for v in values]

    def append(self, value):
        """Add a record (or a tuple of its field values) at the end, checking every value."""
        self._grow(self._codec.pack(value))

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
        packed = self._codec.pack(value)
        self._grow(packed, _clamp(index, len(self)) * self._codec.size)

    def pop(self, index=-1):
        """Remove and return the record at index (default last)."""
        c = self._codec
        if not self._data:
            raise messages.pop_empty_error(c.what)
        try:
            i = normalize_index(operator.index(index), len(self), c.what)
        except IndexError:
            raise messages.pop_index_error(c.what) from None
        self._resizable()
        result = c.unpack(self._data, i * c.size)
        del self._data[i * c.size:(i + 1) * c.size]
        return result

    def remove(self, value):
        """Remove the first record equal to value (ValueError if there is none)."""
        del self[self.index(value)]

    def clear(self):
        """Remove every record and free the storage."""
        self._resizable()
        self._data = bytearray()

    def _find(self, value, start, stop, first: bool):
        c = self._codec
        try:
            wanted = c.pack(value)
        except (TypeError, OverflowError, ValueError):
            return -1 if first else 0
        count, i = 0, _clamp(start, len(self))
        while i < min(_clamp(stop, len(self)), len(self)):
            stored = self._data[i * c.size:(i + 1) * c.size]
            if stored == wanted if c.plain_bytes_eq else c.items_equal(wanted, bytes(stored)):
                if first:
                    return i
                count += 1
            i += 1
        return -1 if first else count

    def index(self, value, start=0, stop=sys.maxsize):
        """Index of the first record equal to value in [start, stop) (ValueError if none)."""
        i = self._find(value, start, stop, True)
        if i < 0:
            raise messages.not_in_array_error(self._codec.what)
        return i

    def count(self, value):
        """Number of records equal to value."""
        return self._find(value, 0, sys.maxsize, False)

    def reverse(self):
        """Reverse the records in place (allowed while a buffer is exported)."""
        self._data[:] = b"".join(reversed(self._records()))

    def __eq__(self, other):
        c = self._codec
        if not issubclass(type(other), c.array_cls):
            return NotImplemented
        if len(self) != len(other):
            return False
        if c.plain_bytes_eq:
            return self._data == other._data
        return all(c.items_equal(a, b) for a, b in zip(self._records(), other._records()))

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None  # type: ignore[assignment]  # unhashable, as a list is

    def __repr__(self):
        c = self._codec
        data = bytes(self._data)        # one copy: unpacking may run the GC
        count = min(len(data) // c.size, REPR_RECORDS)
        shown = [c.unpack(data, i * c.size) for i in range(count)]
        return messages.array_repr(c.what, len(self), shown)

    # -- storage

    @property
    def capacity(self):
        """Records the allocated storage holds (the bytearray's own slack is hidden)."""
        return len(self)

    @property
    def itemsize(self):
        """Bytes per record."""
        return self._codec.size

    @property
    def record(self):
        """The record class (Point for Point.Array)."""
        return self._codec.record

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
        return self._codec.column_cls(self, name)

    @property
    def columns(self):
        """Every field's column, by name (declared order)."""
        c = self._codec
        return {f.name: c.column_cls(self, f.name) for f in c.item.declared}

    # -- copy and pickle

    def copy(self):
        """A new array with the same records (exact capacity)."""
        new = self._codec.fresh(type(self))
        new._data = bytearray(self._data)
        return new

    __copy__ = copy

    def __deepcopy__(self, memo):
        return self.copy()

    def __reduce__(self):
        c = self._codec
        return restore_array_v1, (c.record, c.info.header, c.pickle_bytes(self._data))

    # -- NumPy: a zero-copy structured view (holds an export of the bytearray)

    def __array__(self, dtype=None, copy=None):
        import numpy
        return numpy_records(numpy, self._data, self._codec.item, dtype, copy)


# --------------------------------------------------------------------------- columns

class PureColumn:
    """One field of every record of an array (see compactclass._arrays.RecordColumn).
    Subclasses made by make_fallback_array hold the record's ItemCodec as ``_codec``."""

    __slots__ = ("array", "name", "_field", "_convert", "where")
    _codec = None

    def __init__(self, array, name):
        c = _codec_of(type(self))
        try:
            self._field = c.item.field(name)
        except KeyError:
            raise messages.no_field_error(c.what, c.spec.qualname, name) from None
        self.array, self.name = array, name
        self.where = c.spec.where(name)
        self._convert = functools.partial(self._field.kind.convert, self.where)

    def __len__(self):
        return len(self.array)

    def _get(self, i):
        return _read_field(self._field.kind, self.array._data,
                           i * self._codec.size + self._field.offset)

    def _values(self, positions=None, limit=None):
        """The field of the records at positions (every record, or the first limit), from one
        copy of the storage: nothing that runs meanwhile (the GC) can change what is read."""
        data, size = bytes(self.array._data), self._codec.size
        count = len(data) // size if limit is None else min(len(data) // size, limit)
        kind, offset = self._field.kind, self._field.offset
        return [_read_field(kind, data, i * size + offset)
                for i in (range(count) if positions is None else positions) if i < count]

    def _put(self, i, value):
        kind, data = self._field.kind, self.array._data
        at = i * self._codec.size + self._field.offset
        struct.pack_into("=" + kind.struct_code, data, at, kind.to_struct(value))
        if kind.presence is not None:
            delta, mask = kind.presence
            data[at + delta] = data[at + delta] | mask if value is not None else \
                data[at + delta] & ~mask

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._values(range(*_fit_slice(index, self)))
        return self._get(_item_index(index, self, self._codec.what))

    def __setitem__(self, index, value):
        if isinstance(index, slice):
            values = [self._convert(v) for v in value]
            positions = range(*_fit_slice(index, self))
            if len(values) != len(positions):
                raise messages.column_length_error(self.where, len(values), len(positions))
            for i, v in zip(positions, values):
                self._put(i, v)
            return
        if not hasattr(type(index), "__index__"):
            raise messages.index_type_error(self._codec.what, index)
        converted = self._convert(value)
        self._put(_item_index(index, self, self._codec.what), converted)

    def __iter__(self):
        i = 0
        while i < len(self):
            yield self._get(i)
            i += 1

    def tolist(self):
        """Every record's value of this field, as a list."""
        return self._values()

    def __repr__(self):
        shown = self._values(limit=REPR_VALUES)
        return messages.column_repr(self.where, self._field.kind.name, len(self), shown)

    def __array__(self, dtype=None, copy=None):
        import numpy
        # the field of the records' structured view: strided, zero-copy, and an export of the
        # bytearray (which then refuses to resize), as the compiled column's buffer is
        return numpy_records(numpy, self.array._data, self._codec.item, dtype, copy,
                             self._field.name)


def _read_field(kind, data, at: int):
    """The value of a field of ``kind`` stored at byte ``at`` of data (None where an optional
    field's presence bit is clear)."""
    if kind.presence is not None and not data[at + kind.presence[0]] & kind.presence[1]:
        return None
    return kind.from_struct(struct.unpack_from("=" + kind.struct_code, data, at)[0])


# --------------------------------------------------------------------------- foreign self

def _checked_method(fn, name: str, owner: type):
    @functools.wraps(fn)
    def checked(self, *args, **kwargs):
        if not isinstance(self, owner) or not issubclass(type(self), owner):
            raise messages.foreign_self_error(name, owner, self)
        return fn(self, *args, **kwargs)
    return checked


def _checked_classmethod(fn, name: str, owner: type) -> classmethod:
    @functools.wraps(fn)
    def checked(cls, *args, **kwargs):
        if not isinstance(cls, type) or not issubclass(cls, owner):
            raise messages.foreign_cls_error(name, owner, cls)
        return fn(cls, *args, **kwargs)
    return classmethod(checked)


def _refuse_foreign_self(owner: type, members: dict) -> None:
    """Set on owner a version of each of members' methods, classmethods and properties that
    checks self (or cls) as CPython's method descriptors do. They are plain functions: called
    unbound on another record's array they would run on an object they do not describe."""
    for name, value in members.items():
        if isinstance(value, classmethod):
            value = _checked_classmethod(value.__func__, name, owner)
        elif isinstance(value, property):
            fget, fset, fdel = (p and _checked_method(p, name, owner)
                                for p in (value.fget, value.fset, value.fdel))
            value = property(fget, fset, fdel, value.__doc__)
        elif isinstance(value, types.FunctionType) and name != "__new__":
            value = _checked_method(value, name, owner)
        else:
            continue
        setattr(owner, name, value)


# The bodies as written, before the base classes get their checked versions: each record's
# classes wrap these again, checked against themselves.
_ARRAY_MEMBERS = dict(vars(PureRecordArray))
_COLUMN_MEMBERS = dict(vars(PureColumn))
_refuse_foreign_self(PureRecordArray, _ARRAY_MEMBERS)
_refuse_foreign_self(PureColumn, _COLUMN_MEMBERS)
MutableSequence.register(PureRecordArray)


# --------------------------------------------------------------------------- one record's classes

def _column_property(name: str, kind_name: str) -> property:
    return property(lambda self: self._codec.column_cls(self, name),
                    doc=f"Column {name} ({kind_name}): a live, writable view of every "
                        f"record's {name}.")


def make_fallback_array(record, spec, item, info) -> type:
    """The ``Array`` class of fallback (or stale-compiled) record class ``record``."""
    codec = ItemCodec(record, spec, item, info)
    qualname = f"{spec.qualname}.Array"
    doc = (f"{qualname}: {spec.qualname} records stored contiguously, {item.size} bytes each "
           f"(pure-Python fallback; see compactclass.arrays).")
    array_cls = type(f"{spec.name}Array", (PureRecordArray,), {
        "__slots__": (), "__module__": spec.module, "__qualname__": qualname, "__doc__": doc,
        "__compact_array__": info, "_codec": codec})
    column_cls = type("Column", (PureColumn,), {
        "__slots__": (), "__module__": spec.module, "__qualname__": f"{qualname}.Column",
        "__doc__": PureColumn.__doc__, "_codec": codec})
    codec.array_cls, codec.column_cls = array_cls, column_cls
    columns = {f.name: _column_property(f.name, f.kind.name) for f in item.declared
               if f.name not in ARRAY_ATTRIBUTES}
    _refuse_foreign_self(array_cls, {**_ARRAY_MEMBERS, **columns})
    _refuse_foreign_self(column_cls, _COLUMN_MEMBERS)
    return array_cls
