"""Record arrays: ``Point.Array`` holds many Point records contiguously, at their payload size.

    from geometry import Point
    a = Point.Array([(1, 2, 3), Point(4, 5)])   # records or tuples of every field value
    a.append((7, 8, 9))
    b = Point.Array.zeros(1_000_000)            # 12 bytes per record for three i32 fields

Compiled, ``Point.Array`` is the generated ``PointArray`` (a subclass of
``compactclass._arrays.RecordArray`` whose records live in a ``cc_vec``); in pure mode it is a
class from :func:`compactclass.pure.arrays.make_fallback_array`, storing the same bytes in a
``bytearray``. Both follow this contract (and raise the messages of compactclass.messages):

- ``a[i]`` is a **copy**: a new, independent record (value semantics, like reading from a list
  of ints). Changing it does not change the array; write back explicitly::

      p = a[0]
      p.x = 10            # a is unchanged
      a[0] = p            # now it is (checked like Point(...): OverflowError, TypeError)
      a.x[0] = 10         # or write one field in place through the column

  A copy cannot dangle, whatever happens to the array later, and it is a real ``Point`` (==,
  hash, pickle, isinstance all work). Slices (``a[1:3]``) are new arrays.
- ``a[i] = value``, ``append``, ``insert``, ``extend`` check every value as the record's
  constructor does and change nothing when one is bad (``extend`` is all or nothing).
- ``a.x`` (``a.column("x")`` for any field, including one whose name clashes with an array
  method) is a live column view: it holds the array, re-reads its length at every access, and
  exports a strided, writable, zero-copy buffer (``np.asarray(a.x)``).
- The buffer protocol exports the records with their C layout (``memoryview(a)``,
  ``np.asarray(a)``: a structured array, fields in storage order). While a buffer (of the
  array or of a column) is alive, anything that would resize or move the storage raises
  BufferError and changes nothing; in-place writes are allowed. The pure-Python fallback
  cannot export a buffer itself before Python 3.12, so there ``np.asarray(a)`` goes through
  ``__array__`` (still zero-copy, same dtype) and ``memoryview(a)`` needs the compiled build.
- Pickles are ``(restore_array_v1, (Point, header, raw records))``: the record class by
  reference (so either mode loads them), a header with the item layout, validated on load.
"""
from __future__ import annotations

from .array_format import (buffer_records, check_stored, check_pickle_header, item_layout,
                           pickle_header)

from .messages import object_fields_array_error

__all__ = ["restore_array_v1", "ArrayInfo", "buffer_records", "NoArray"]


class ArrayInfo:
    """What both kinds of array know about their records; ``Point.Array.__compact_array__``."""

    __slots__ = ("record", "item", "header", "what", "compiled")

    def __init__(self, record, item, compiled: bool):
        self.record = record                # the record class (compiled or fallback)
        self.item = item                    # array_format.ItemLayout
        self.header = pickle_header(item)
        self.what = item.what               # "Point.Array", for messages
        self.compiled = compiled

    def __repr__(self):
        mode = "compiled" if self.compiled else "pure-Python fallback"
        return f"<record array info {self.what}: {self.item.size}-byte items, {mode}>"


class NoArray:
    """``Rec.Array`` of a record with object fields: calling it, or any of its attributes,
    raises the TypeError that says why there is no array."""

    __slots__ = ("_error",)

    def __init__(self, spec):
        fields = [(f.name, f.kind.name) for f in spec.fields if not f.kind.plain_data]
        object.__setattr__(self, "_error", (spec.qualname, fields))

    def __call__(self, *args, **kwargs):
        raise object_fields_array_error(*self._error)

    def __getattr__(self, name):
        raise object_fields_array_error(*object.__getattribute__(self, "_error"))

    def __repr__(self):
        return f"<no record arrays for {self._error[0]}: it has object fields>"


def restore_array_v1(cls, header, payload):
    """Unpickle a record array: check the header and the raw records, then copy them in."""
    array_cls = getattr(cls, "Array", None) if hasattr(cls, "__compact__") else None
    if array_cls is None:
        raise TypeError(f"cannot unpickle a record array of {cls!r}: not a compact record "
                        f"with an Array")
    info = array_cls.__compact_array__
    check_pickle_header(info.item, header)
    where = f"{info.what}: corrupt pickle"
    if not isinstance(payload, bytes):
        raise ValueError(f"{where}: the records must be bytes, not {type(payload).__name__}")
    if len(payload) % info.item.size:
        raise ValueError(f"{where}: {len(payload)} bytes are not a whole number of "
                         f"{info.item.size}-byte records (truncated?)")
    check_stored(info.item, memoryview(payload), where)
    return array_cls.frombuffer(payload)


