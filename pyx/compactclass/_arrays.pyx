# cython: language_level=3, boundscheck=False, wraparound=False, binding=False
"""The record-array runtime: RecordArray, the base of every generated ``<Record>Array``, its
iterator and its column views (see compactclass.arrays for the contract both modes keep).
"""
# =================================================================================================
# RecordArray is the base of every generated ``<Record>Array`` class: a cc_vec of fixed-size
# items (the record's payload, laid out as compactclass.array_format describes) and the count
# of exported buffers. A generated module registers each array class with its cc_array_kind
# (item size, buffer format, the record's field table, a pack function); every new object takes
# ``kind`` from the registered class its type derives from (C-level tp_base chain), so no
# Python attribute decides a size or an offset. The sequence protocol, the buffer protocol,
# columns and pickling are written here once for every record type.
#
# Rules every method keeps:
# - a value is converted (kind.pack) into a temporary item before the array is touched, and
#   indices are checked and item pointers taken only afterwards: converting can run Python code
#   (__index__, __float__) that changes the array; slices are unpacked (PySlice_Unpack runs
#   __index__) before they are fitted to the current length (PySlice_AdjustIndices);
# - every loop that can run Python code (an allocation can run the GC, a __del__, another
#   thread) re-reads the length before each item it touches;
# - an object made by ``cls.__new__(cls)`` (which a subclass may override) is checked to be a
#   new, empty, unexported array of the same kind before it is used;
# - nothing that changes the length or moves the storage runs while a buffer is exported
#   (BufferError, as bytearray does); in-place writes are allowed;
# - lengths are Py_ssize_t, byte sizes size_t, and growth is checked against the largest length
#   whose byte size fits a Py_ssize_t (no 32-bit arithmetic anywhere).
# Thread safety: every method runs with the GIL held and leaves the array consistent. A Cython
# loop over vec.data must not overlap a resize (from another thread or from Python code it
# calls).
# =================================================================================================

cimport cython
from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE, PyBUF_FORMAT, \
    PyBUF_ND, PyBUF_STRIDES, PyBUF_C_CONTIGUOUS, PyBUF_F_CONTIGUOUS, PyBUF_ANY_CONTIGUOUS
from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING
from cpython.mem cimport PyMem_Malloc, PyMem_Free, PyMem_RawMalloc, PyMem_RawRealloc, \
    PyMem_RawFree, PyMem_Calloc
from cpython.number cimport PyNumber_AsSsize_t, PyIndex_Check
from cpython.object cimport PyObject_LengthHint, PyObject_TypeCheck
from cpython.slice cimport PySlice_Unpack, PySlice_AdjustIndices
from libc.string cimport memcpy, memmove, memset, strcmp
from libc.stdint cimport uintptr_t
from cpython.object cimport PyObject, PyTypeObject
from compactclass._kinds cimport cc_field, CC_EQ
from compactclass._records cimport (cc_record, CC_RECORD_PY_EQ, CC_RECORD_PY_COMPARE,
                                    register_record_type,
                                    set_type_attribute, check_abi)
from compactclass.core cimport (cc_allocator, cc_vec_init, cc_vec_destroy, cc_vec_reserve,
                                cc_vec_resize, cc_vec_push, cc_vec_insert, cc_vec_remove,
                                cc_vec_truncate, cc_vec_shrink_to_fit, cc_vec_assign, cc_vec_at,
                                CC_OK, CC_ENOMEM, CC_EOVERFLOW, CC_ERANGE, cc_strerror)

from collections.abc import MutableSequence as _MutableSequence

from compactclass import array_format as _array_format
from compactclass import arrays as _arrays
from compactclass import messages as _messages
from compactclass.kinds import records as _nested

cdef extern from "Python.h":
    const Py_ssize_t PY_SSIZE_T_MAX

cdef extern from "cc_typeslots.h":
    Py_ssize_t cc_type_basicsize(PyTypeObject *t)

# cc_vec storage comes from PyMem_Raw*: visible to tracemalloc, callable without the GIL.
cdef extern from "compactcore.h":
    ctypedef struct _cc_allocator_def "cc_allocator":
        void *(*alloc)(void *ctx, size_t size, size_t align) noexcept nogil
        void *(*realloc)(void *ctx, void *p, size_t old_size, size_t new_size,
                         size_t align) noexcept nogil
        void (*free)(void *ctx, void *p, size_t size) noexcept nogil
        void *ctx

cdef enum:
    _MALLOC_ALIGN = 16      # what malloc guarantees on 64-bit platforms; fields need at most 8
    _SMALL_ITEM = 256       # items up to this size are converted on the C stack

cdef void *_vec_alloc(void *ctx, size_t size, size_t align) noexcept nogil:
    return PyMem_RawMalloc(size) if align <= _MALLOC_ALIGN else NULL

cdef void *_vec_realloc(void *ctx, void *p, size_t old_size, size_t new_size,
                        size_t align) noexcept nogil:
    return PyMem_RawRealloc(p, new_size) if align <= _MALLOC_ALIGN else NULL

cdef void _vec_free(void *ctx, void *p, size_t size) noexcept nogil:
    PyMem_RawFree(p)

cdef _cc_allocator_def _vec_allocator
_vec_allocator.alloc = _vec_alloc
_vec_allocator.realloc = _vec_realloc
_vec_allocator.free = _vec_free
_vec_allocator.ctx = NULL

# An exported buffer must not point at NULL, even when the array is empty.
cdef unsigned char _empty_storage[8]


cdef void _fill_view(Py_buffer *view, unsigned char *buf, Py_ssize_t length,
                     Py_ssize_t itemsize, Py_ssize_t stride, char *format,
                     Py_ssize_t *shape, Py_ssize_t *strides, int flags) noexcept:
    """A one-dimensional, writable export of length items of itemsize bytes, stride apart (the
    records of an array, or one field of each). shape and strides point at the exporter's own
    fields, which stay valid while exported because nothing may resize the array then.
    The caller sets view.obj and counts the export."""
    shape[0] = length
    strides[0] = stride
    view.buf = <void *>buf if buf != NULL else <void *>_empty_storage
    view.len = length * itemsize
    view.readonly = 0
    view.itemsize = itemsize
    view.format = format if flags & PyBUF_FORMAT else NULL
    view.ndim = 1
    view.shape = shape if flags & PyBUF_ND else NULL
    view.strides = strides if (flags & PyBUF_STRIDES) == PyBUF_STRIDES else NULL
    view.suboffsets = NULL
    view.internal = NULL


# ---- one temporary item: on the C stack when small, on the heap otherwise

cdef struct _item_tmp:
    unsigned char *p
    unsigned char small[_SMALL_ITEM]

cdef int _tmp_open(_item_tmp *t, size_t size) except -1:
    if size <= _SMALL_ITEM:
        t.p = t.small
        return 0
    t.p = <unsigned char *>PyMem_Malloc(size)
    if t.p == NULL:
        raise MemoryError()
    return 0

cdef void _tmp_close(_item_tmp *t) noexcept:
    if t.p != NULL and t.p != t.small:
        PyMem_Free(t.p)
    t.p = NULL


# ---- size arithmetic (the test hooks at the end call these same functions)

cdef inline Py_ssize_t _max_len(size_t itemsize) noexcept:
    """The largest record count whose byte size fits a Py_ssize_t."""
    return <Py_ssize_t>(<size_t>PY_SSIZE_T_MAX // itemsize)

cdef inline Py_ssize_t _normalize(Py_ssize_t i, Py_ssize_t length) noexcept:
    """i (negative counts from the end) as an index into length items, or -1."""
    if i < 0:
        i += length
    return i if 0 <= i < length else -1

cdef inline size_t _byte_offset(size_t itemsize, Py_ssize_t i) noexcept:
    return <size_t>i * itemsize     # as cc_vec_at computes it


# ---- which generated array class an object's type derives from

# address of a generated array type -> address of its cc_array_kind. C-level: registered once
# by the generated module; keyed by address, so no __hash__/__eq__ of a metaclass takes part.
cdef dict _array_kinds = {}
cdef dict _items = {}           # cc_array_kind address -> ItemLayout (see _item_of)

# what repr shows (fixed when this module is imported)
cdef Py_ssize_t _repr_records = _messages.REPR_RECORDS
cdef Py_ssize_t _repr_values = _messages.REPR_VALUES


@cython.auto_pickle(False)
cdef class ColumnProperty:
    """``a.<field>`` of a record-array class: the field's column view (read-only attribute).
    Like a getset descriptor, it refuses objects that are not arrays of its class."""

    cdef readonly str name
    cdef readonly str doc
    cdef type owner

    def __cinit__(self, type owner not None, str name not None, str doc not None):
        self.owner, self.name, self.doc = owner, name, doc

    cdef int _check(self, object obj) except -1:
        if not PyObject_TypeCheck(obj, <PyTypeObject *>self.owner):
            raise _messages.foreign_self_error(self.name, self.owner, obj)
        return 0

    def __get__(self, obj, objtype):
        if obj is None:
            return self
        self._check(obj)
        return RecordColumn(obj, self.name)

    def __set__(self, obj, value):
        self._check(obj)
        raise _messages.column_attribute_error(self.name, self.owner)

    def __delete__(self, obj):
        self._check(obj)
        raise _messages.column_attribute_error(self.name, self.owner)

    @property
    def __doc__(self):
        return self.doc


cdef int _install_columns(object cls, const cc_array_kind *kind) except -1:
    """One ColumnProperty per field whose name is not an array attribute (a.column(name)
    reaches the others)."""
    cdef Py_ssize_t k
    cdef const cc_field *f
    for k in range(kind.record.nfields):
        f = &kind.record.fields[k]
        name = f.name.decode("utf-8")
        if name not in _array_format.ARRAY_ATTRIBUTES:
            doc = (f"Column {name} ({f.kind.decode()}): a live, writable view of every "
                   f"record's {name}.")
            set_type_attribute(cls, name, ColumnProperty(cls, name, doc))
    return 0


# address of a compiled record type -> address of its array's cc_array_kind (C-level, as above)
cdef dict _record_array_kinds = {}


cdef int array_register(object cls, const cc_array_kind *kind, int abi) except -1:
    """Called by a generated module, once for each array class it defines (abi: the structure
    version it was compiled with)."""
    check_abi(cls, abi)
    if not issubclass(cls, RecordArray) or kind == NULL:
        raise _messages.not_array_class_error(cls)
    _array_kinds[<uintptr_t><PyObject *>cls] = <uintptr_t>kind
    if kind.record.cls != NULL:
        _record_array_kinds[<uintptr_t>kind.record.cls] = <uintptr_t>kind
    register_record_type(cls)
    _install_columns(cls, kind)
    return 0


cdef const cc_array_kind *array_kind_of_record(object record, size_t itemsize, Py_ssize_t item_base,
                                               const char *signature) except NULL:
    """The array kind of compiled record type ``record``, for a module whose records have a
    field of that record (declared in another module): checked to describe the item this
    module was compiled against (its size, where the payload starts, the fields), which must
    lie within every instance of the record."""
    address = _record_array_kinds.get(<uintptr_t><PyObject *>record)
    if address is None:
        raise ImportError(f"{record!r} is not a compiled compact record with record arrays; "
                          f"rebuild")
    cdef const cc_array_kind *kind = <const cc_array_kind *><uintptr_t>address
    if kind.itemsize != itemsize or kind.record.item_base != item_base or \
            strcmp(kind.record.signature, signature) != 0 or \
            cc_type_basicsize(<PyTypeObject *>record) < item_base + <Py_ssize_t>itemsize:
        raise ImportError(f"the nested record {kind.record.qualname.decode('utf-8')} "
                          f"({kind.record.signature.decode('utf-8')}, {kind.itemsize} bytes) is "
                          f"not the build this module was compiled against "
                          f"({signature.decode('utf-8')}, {itemsize} bytes); rebuild")
    return kind


cdef int store_record_payload(const cc_array_kind *kind, char *out, object value,
                              object where) except -1:
    """Store the payload of record ``value`` (an instance of the kind's record type, or of a
    class derived from it: Py_TYPE decides, not __class__; nothing else, no tuple) at out,
    kind.itemsize bytes: a nested record field's write."""
    if kind.record.cls == NULL or not PyObject_TypeCheck(value, <PyTypeObject *>kind.record.cls):
        raise _nested.record_type_error(where, kind.record.qualname.decode("utf-8"), value)
    memcpy(out, (<char *><PyObject *>value) + kind.record.item_base, kind.itemsize)
    return 0


cdef const cc_array_kind *_kind_of_type(object cls) except NULL:
    """The kind of the generated array class cls is or derives from (its C base chain)."""
    cdef PyTypeObject *t = <PyTypeObject *>cls
    while t != NULL:
        address = _array_kinds.get(<uintptr_t>t)
        if address is not None:
            return <const cc_array_kind *><uintptr_t>address
        t = t.tp_base
    raise _messages.kindless_array_error((<object>cls).__name__)


cdef RecordArray _fresh(object cls, const cc_array_kind *kind):
    """cls.__new__(cls) checked to be a new, empty, unexported array of this kind: a subclass's
    __new__ may return any object."""
    obj = cls.__new__(cls)
    cdef RecordArray new
    if isinstance(obj, RecordArray):
        new = <RecordArray>obj
        if new.kind == kind and new.vec.len == 0 and new.exports == 0:
            return new
    raise _messages.not_fresh_error(cls, obj, kind.what.decode())


# ---- helpers shared by the methods

cdef str _what(RecordArray a):
    return a.kind.what.decode()

cdef inline Py_ssize_t _len(RecordArray a) noexcept:
    return <Py_ssize_t>a.vec.len

cdef inline unsigned char *_at(RecordArray a, Py_ssize_t i) noexcept:
    return <unsigned char *>cc_vec_at(&a.vec, <size_t>i)

cdef int _vec_ok(int err, RecordArray array) except -1:
    if err == CC_OK:
        return 0
    if err == CC_ENOMEM or err == CC_EOVERFLOW:
        raise _messages.out_of_memory_error(_what(array))
    if err == CC_ERANGE:
        raise _messages.index_error(_what(array))
    raise _messages.storage_error(_what(array), cc_strerror(err).decode())

cdef int _check_resizable(RecordArray a) except -1:
    if a.exports > 0:
        raise _messages.export_error(_what(a))
    return 0

cdef int _check_growth(RecordArray a, Py_ssize_t length, Py_ssize_t extra) except -1:
    if extra > _max_len(a.kind.itemsize) - length:
        raise _messages.growth_error(_what(a), length, extra, a.kind.itemsize)
    return 0

cdef Py_ssize_t _index(RecordArray a, object index) except -1:
    cdef Py_ssize_t raw = PyNumber_AsSsize_t(index, IndexError)     # may run __index__
    cdef Py_ssize_t i = _normalize(raw, _len(a))                     # so the length after it
    if i < 0:
        raise _messages.index_error(_what(a))
    return i

cdef int _index_type_error(RecordArray a, object index) except -1:
    raise _messages.index_type_error(_what(a), index)

cdef Py_ssize_t _slice(RecordArray a, object index, Py_ssize_t *start, Py_ssize_t *stop,
                       Py_ssize_t *step) except -1:
    """The record count of a slice of a, fitted to a's length after the slice's __index__
    methods ran. Nothing that runs Python code may come between this and using the result."""
    PySlice_Unpack(index, start, stop, step)
    return PySlice_AdjustIndices(_len(a), start, stop, step[0])

cdef const cc_field *_field_named(const cc_array_kind *kind, str name) except? NULL:
    cdef Py_ssize_t k
    cdef bytes wanted = name.encode("utf-8", "surrogatepass")
    for k in range(kind.record.nfields):
        if kind.record.fields[k].name == wanted:   # whole bytes: an embedded NUL never matches
            return &kind.record.fields[k]
    return NULL

cdef inline Py_ssize_t _item_offset(const cc_array_kind *kind, const cc_field *f) noexcept:
    return f.offset - kind.record.item_base

cdef inline object _unpack(const cc_array_kind *kind, const unsigned char *item):
    """A new record holding a copy of one item (no __init__, as unpickling)."""
    return kind.unpack(item)


cdef int _item_eq(const cc_array_kind *kind, const unsigned char *x,
                  const unsigned char *y) except -1:
    """Do two items hold equal records? As the record's == says."""
    cdef _item_tmp cx, cy
    if kind.record.flags & CC_RECORD_PY_EQ:
        return _unpack(kind, x) == _unpack(kind, y)
    if not kind.record.flags & CC_RECORD_PY_COMPARE:
        return kind.record.compare(<const char *>x, <const char *>y) == CC_EQ
    # The compare runs Python code (a nested record's __eq__), which may resize the arrays x
    # and y lie in: it compares copies.
    cx.p = cy.p = NULL
    try:
        _tmp_open(&cx, kind.itemsize)
        _tmp_open(&cy, kind.itemsize)
        memcpy(cx.p, x, kind.itemsize)
        memcpy(cy.p, y, kind.itemsize)
        return kind.record.compare(<const char *>cx.p, <const char *>cy.p) == CC_EQ
    finally:
        _tmp_close(&cx)
        _tmp_close(&cy)

cdef int _check_items(RecordArray a, str where) except -1:
    """Every stored value must be one its kind writes (records imported from a buffer or a
    pickle: a bool byte other than 0 and 1 is refused)."""
    cdef Py_ssize_t k, i, at
    cdef const cc_field *f
    cdef char *p
    for k in range(a.kind.record.nfields):
        f = &a.kind.record.fields[k]
        if f.ops.check == NULL:
            continue
        at = _item_offset(a.kind, f)
        for i in range(_len(a)):
            p = <char *>_at(a, i) + at
            if f.ops.check(p, f.size, False):
                raise _array_format.stored_value_error(
                    <object>a.kind.record.cls, f.name.decode("utf-8"), where, i,
                    PyBytes_FromStringAndSize(p, f.size))
    return 0

cdef bytes _pickle_bytes(RecordArray a):
    """The records' bytes with every value as its kind writes it: a buffer export lets any byte
    into a bool field, which reads as True everywhere; the pickle must load back."""
    cdef Py_ssize_t nbytes = <Py_ssize_t>(a.vec.len * a.kind.itemsize), k, i, at
    cdef bytes out = PyBytes_FromStringAndSize(NULL, nbytes)
    cdef char *p = PyBytes_AS_STRING(out)
    cdef const cc_field *f
    if nbytes:
        memcpy(p, a.vec.data, <size_t>nbytes)
    for k in range(a.kind.record.nfields):
        f = &a.kind.record.fields[k]
        if f.ops.check != NULL:
            at = _item_offset(a.kind, f)
            for i in range(_len(a)):
                f.ops.check(p + <size_t>i * a.kind.itemsize + at, f.size, True)
    return out

cdef int _pack_all(RecordArray a, cc_vec *out, object values) except -1:
    """Convert every value of an iterable into out (a vec nothing else can reach)."""
    cdef RecordArray source
    cdef Py_ssize_t hint
    if isinstance(values, RecordArray) and (<RecordArray>values).kind == a.kind:
        source = <RecordArray>values
        _vec_ok(cc_vec_assign(out, source.vec.data, source.vec.len), a)
        return 0
    hint = PyObject_LengthHint(values, 0)
    if hint > 0:
        _vec_ok(cc_vec_reserve(out, <size_t>min(hint, _max_len(a.kind.itemsize))), a)
    for value in values:
        if <Py_ssize_t>out.len >= _max_len(a.kind.itemsize):
            raise _messages.too_many_records_error(_what(a))
        _vec_ok(cc_vec_push(out, NULL), a)
        a.kind.pack(cc_vec_at(out, out.len - 1), value)
    return 0

cdef Py_ssize_t _item_in(RecordArray a, const void *item, Py_ssize_t start, Py_ssize_t stop,
                         bint first) except -2:
    """Index of the first item equal to *item in [start, stop) (first), or the count of equal
    items; -1 if none when first. The length is re-read at every step (eq may run Python)."""
    cdef Py_ssize_t i = start, count = 0
    while i < stop and i < _len(a):
        if _item_eq(a.kind, <const unsigned char *>item, _at(a, i)):
            if first:
                return i
            count += 1
        i += 1
    return -1 if first else count


@cython.auto_pickle(False)
cdef class RecordArray:
    """Base class of the generated record arrays (``Point.Array``): records stored
    contiguously at their payload size, with the list API, the buffer protocol (zero-copy
    NumPy), column views and compact pickles. See compactclass.arrays for the whole contract.

    Thread safety: every method holds the GIL and leaves the array consistent; concurrent
    mutation from several threads is as safe as with a list, no more.
    """

    def __cinit__(self, *args, **kwargs):
        # Every object, however its type's __new__ is reached, gets the kind of the generated
        # class it derives from, or is refused (RecordArray itself, a direct subclass).
        self.kind = _kind_of_type(type(self))
        _vec_ok(cc_vec_init(&self.vec, self.kind.itemsize, self.kind.align,
                            <const cc_allocator *>&_vec_allocator), self)

    def __dealloc__(self):
        cc_vec_destroy(&self.vec)

    def __init__(self, values=None):
        if self.vec.len:
            self.clear()
        if values is not None:
            self.extend(values)

    # -- construction

    @classmethod
    def zeros(cls, n):
        """An array of n records whose every field is zero (exact capacity)."""
        cdef const cc_array_kind *kind = _kind_of_type(cls)
        cdef Py_ssize_t count = PyNumber_AsSsize_t(n, OverflowError)
        if count < 0:
            raise _messages.negative_count_error(kind.what.decode(), count)
        cdef RecordArray new = _fresh(cls, kind)
        _check_growth(new, 0, count)
        _vec_ok(cc_vec_reserve(&new.vec, <size_t>count), new)
        _vec_ok(cc_vec_resize(&new.vec, <size_t>count), new)
        return new

    @classmethod
    def frombuffer(cls, obj):
        """A new array holding a copy of the records in a buffer: raw bytes, or a buffer (a
        NumPy structured array, another array's memoryview) with the same item layout.
        ValueError names the first difference (item size, field names or types, length)."""
        cdef const cc_array_kind *kind = _kind_of_type(cls)
        where = _messages.frombuffer_where(kind.what.decode())
        flat, count = _arrays.buffer_records(cls.__compact_array__.item, obj, where)
        cdef RecordArray new = _fresh(cls, kind)
        _assign_bytes(new, flat, count)
        _check_items(new, where)        # the bytes as copied (the source may have changed)
        return new

    # -- sequence protocol

    def __len__(self):
        return _len(self)

    def __getitem__(self, index):
        """a[i] is a new record holding a copy of item i (writing to it leaves the array
        alone: write back with a[i] = record); a[i:j] is a new array."""
        if PyIndex_Check(index):
            return _unpack(self.kind, _at(self, _index(self, index)))
        if isinstance(index, slice):
            return _get_slice(self, index)
        _index_type_error(self, index)

    def __setitem__(self, index, value):
        cdef _item_tmp t
        if isinstance(index, slice):
            _set_slice(self, index, value)
            return
        if not PyIndex_Check(index):
            _index_type_error(self, index)
        _tmp_open(&t, self.kind.itemsize)
        try:
            self.kind.pack(t.p, value)
            memcpy(_at(self, _index(self, index)), t.p, self.kind.itemsize)
        finally:
            _tmp_close(&t)

    def __delitem__(self, index):
        cdef Py_ssize_t i
        if PyIndex_Check(index):
            i = _index(self, index)
            _check_resizable(self)
            _vec_ok(cc_vec_remove(&self.vec, <size_t>i, 1), self)
        elif isinstance(index, slice):
            _del_slice(self, index)
        else:
            _index_type_error(self, index)

    def __iter__(self):
        return RecordArrayIterator(self)

    def __contains__(self, value):
        return _find(self, value, 0, PY_SSIZE_T_MAX, True) >= 0

    def append(self, value):
        """Add a record (or a tuple of its field values) at the end, checking every value."""
        cdef _item_tmp t
        _tmp_open(&t, self.kind.itemsize)
        try:
            self.kind.pack(t.p, value)
            _check_resizable(self)
            _check_growth(self, _len(self), 1)
            _vec_ok(cc_vec_push(&self.vec, t.p), self)
        finally:
            _tmp_close(&t)

    def extend(self, values):
        """Add every record of an iterable; all or nothing (one bad value adds none)."""
        cdef cc_vec tmp, old
        _vec_ok(cc_vec_init(&tmp, self.kind.itemsize, self.kind.align,
                            <const cc_allocator *>&_vec_allocator), self)
        try:
            _pack_all(self, &tmp, values)
            if tmp.len == 0:
                return
            _check_resizable(self)
            _check_growth(self, _len(self), <Py_ssize_t>tmp.len)
            if self.vec.data == NULL:       # nothing allocated yet: adopt the converted storage
                old = self.vec
                self.vec = tmp
                tmp = old
            else:
                _vec_ok(cc_vec_insert(&self.vec, self.vec.len, tmp.data, tmp.len), self)
        finally:
            cc_vec_destroy(&tmp)

    def __iadd__(self, values):
        self.extend(values)
        return self

    def insert(self, index, value):
        """Insert a record before index (clamped to the array, as list.insert does)."""
        cdef _item_tmp t
        cdef Py_ssize_t i = PyNumber_AsSsize_t(index, OverflowError)
        _tmp_open(&t, self.kind.itemsize)
        try:
            self.kind.pack(t.p, value)
            if i < 0:
                i = max(i + _len(self), 0)
            i = min(i, _len(self))
            _check_resizable(self)
            _check_growth(self, _len(self), 1)
            _vec_ok(cc_vec_insert(&self.vec, <size_t>i, t.p, 1), self)
        finally:
            _tmp_close(&t)

    def pop(self, index=-1):
        """Remove and return the record at index (default last)."""
        if self.vec.len == 0:
            raise _messages.pop_empty_error(_what(self))
        cdef Py_ssize_t raw = PyNumber_AsSsize_t(index, IndexError)     # may run __index__
        cdef Py_ssize_t i = _normalize(raw, _len(self))
        if i < 0:
            raise _messages.pop_index_error(_what(self))
        _check_resizable(self)
        record = _unpack(self.kind, _at(self, i))
        _vec_ok(cc_vec_remove(&self.vec, <size_t>i, 1), self)
        return record

    def remove(self, value):
        """Remove the first record equal to value (ValueError if there is none)."""
        del self[self.index(value)]

    def clear(self):
        """Remove every record and free the storage."""
        _check_resizable(self)
        cc_vec_destroy(&self.vec)

    def index(self, value, start=0, stop=PY_SSIZE_T_MAX):
        """Index of the first record equal to value in [start, stop) (ValueError if none)."""
        cdef Py_ssize_t i = _find(self, value, start, stop, True)
        if i < 0:
            raise _messages.not_in_array_error(_what(self))
        return i

    def count(self, value):
        """Number of records equal to value."""
        return _find(self, value, 0, PY_SSIZE_T_MAX, False)

    def reverse(self):
        """Reverse the records in place (allowed while a buffer is exported)."""
        cdef _item_tmp t
        cdef Py_ssize_t lo = 0, hi = _len(self) - 1
        cdef size_t size = self.kind.itemsize
        _tmp_open(&t, size)
        try:
            while lo < hi:
                memcpy(t.p, _at(self, lo), size)
                memcpy(_at(self, lo), _at(self, hi), size)
                memcpy(_at(self, hi), t.p, size)
                lo += 1
                hi -= 1
        finally:
            _tmp_close(&t)

    def __eq__(self, other):
        if not isinstance(other, RecordArray) or (<RecordArray>other).kind != self.kind:
            return NotImplemented
        cdef RecordArray o = <RecordArray>other
        cdef Py_ssize_t i = 0
        if self.vec.len != o.vec.len:
            return False
        while i < _len(self) and i < _len(o):
            if not _item_eq(self.kind, _at(self, i), _at(o, i)):
                return False
            i += 1
        return self.vec.len == o.vec.len

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None

    def __repr__(self):
        cdef Py_ssize_t i = 0
        shown = []
        while i < _repr_records and i < _len(self):     # unpack allocates: re-read the length
            shown.append(_unpack(self.kind, _at(self, i)))
            i += 1
        return _messages.array_repr(_what(self), _len(self), shown)

    # -- storage

    @property
    def capacity(self):
        """Records the allocated storage holds (len(a) <= a.capacity)."""
        return <Py_ssize_t>self.vec.cap

    @property
    def itemsize(self):
        """Bytes per record."""
        return <Py_ssize_t>self.kind.itemsize

    @property
    def record(self):
        """The record class (Point for Point.Array)."""
        return type(self).__compact_array__.record

    def reserve(self, n):
        """Make room for n records in total, so appending up to n does not reallocate."""
        cdef Py_ssize_t count = PyNumber_AsSsize_t(n, OverflowError)
        if count <= <Py_ssize_t>self.vec.cap:
            return
        _check_resizable(self)
        _check_growth(self, 0, count)
        _vec_ok(cc_vec_reserve(&self.vec, <size_t>count), self)

    def shrink_to_fit(self):
        """Free the unused capacity (afterwards a record costs exactly its item size)."""
        _check_resizable(self)
        if self.vec.cap != self.vec.len:
            _vec_ok(cc_vec_shrink_to_fit(&self.vec), self)

    def __sizeof__(self):
        return object.__sizeof__(self) + <Py_ssize_t>(self.vec.cap * self.vec.itemsize)

    def tobytes(self):
        """The records' bytes (storage order, native byte order, padding included)."""
        return PyBytes_FromStringAndSize(<char *>self.vec.data if self.vec.data else NULL,
                                         <Py_ssize_t>(self.vec.len * self.vec.itemsize))

    def column(self, name):
        """A live, writable view of one field of every record (see RecordColumn)."""
        return RecordColumn(self, name)

    @property
    def columns(self):
        """Every field's column, by name (declared order)."""
        cdef Py_ssize_t k
        names = [self.kind.record.fields[k].name.decode("utf-8")
                 for k in range(self.kind.record.nfields)]
        return {name: RecordColumn(self, name) for name in names}

    # -- copy and pickle

    def copy(self):
        """A new array with the same records (exact capacity)."""
        cdef RecordArray new = _fresh(type(self), self.kind)
        _vec_ok(cc_vec_assign(&new.vec, self.vec.data, self.vec.len), new)
        return new

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    def __reduce__(self):
        # (restore_array_v1, (record class, layout header, raw records)): loads in either mode
        info = type(self).__compact_array__
        return _arrays.restore_array_v1, (info.record, info.header, _pickle_bytes(self))

    # -- buffer protocol: one dimension of records, C layout and padding included

    def __getbuffer__(self, Py_buffer *view, int flags):
        cdef Py_ssize_t itemsize = <Py_ssize_t>self.kind.itemsize
        item = _item_of(self.kind)
        if not item.exports_buffer:
            raise _messages.no_buffer_error(_what(self), item)
        _fill_view(view, <unsigned char *>self.vec.data, _len(self), itemsize, itemsize,
                   <char *>self.kind.format, &self.export_shape, &self.export_stride, flags)
        view.obj = self
        self.exports += 1

    def __releasebuffer__(self, Py_buffer *view):
        self.exports -= 1

    def __array__(self, dtype=None, copy=None):
        # NumPy asks for a buffer first: it comes here only for records no buffer describes
        import numpy
        return _array_format.numpy_records(numpy, _RecordBytes(self), _item_of(self.kind), dtype,
                                           copy)


_MutableSequence.register(RecordArray)


cdef object _item_of(const cc_array_kind *kind):
    """The array_format.ItemLayout of kind's records (from the record's spec; once per kind)."""
    key = <uintptr_t>kind
    item = _items.get(key)
    if item is None:
        item = _items[key] = _array_format.item_layout(
            (<object>kind.record.cls).__compact__.layout)
    return item


@cython.final
@cython.auto_pickle(False)
cdef class _RecordBytes:
    """The records of an array as one run of unsigned bytes: what ``__array__`` hands NumPy
    for records whose types no buffer format can say (numpy_records then gives them their
    dtype). Each of its buffers counts as an export of the array."""

    cdef RecordArray array
    cdef Py_ssize_t export_shape
    cdef Py_ssize_t export_stride

    def __cinit__(self, RecordArray array not None):
        self.array = array

    def __getbuffer__(self, Py_buffer *view, int flags):
        cdef RecordArray a = self.array
        _fill_view(view, <unsigned char *>a.vec.data,
                   <Py_ssize_t>(a.vec.len * a.kind.itemsize), 1, 1, b"B", &self.export_shape,
                   &self.export_stride, flags)
        view.obj = self
        a.exports += 1

    def __releasebuffer__(self, Py_buffer *view):
        self.array.exports -= 1


cdef tuple array_field_values(object value, Py_ssize_t n, object record):
    """value as a tuple of n field values, or the TypeError a record array raises."""
    if isinstance(value, tuple):
        if len(<tuple>value) == n:
            return <tuple>value
    elif isinstance(value, list):
        if len(<list>value) == n:
            return tuple(value)
    raise _messages.value_error(record, value)


cdef bint array_same_record(object value, object record) except -1:
    """value is a record of this very class, or of a plain (non-compact) Python subclass. The
    type test is C-level (Py_TYPE): a __class__ property cannot pass a foreign object off as a
    record, which the caller then reads as one."""
    return PyObject_TypeCheck(value, <PyTypeObject *>record) and \
        getattr(type(value), "__compact__", None) is getattr(record, "__compact__", None)


cdef int array_check_item(str record, size_t size, size_t expected_size, list offsets,
                          list expected_offsets) except -1:
    """The C compiler laid the item struct out as compactclass.array_format says."""
    if size != expected_size or offsets != expected_offsets:
        raise _messages.item_layout_error(record, size, offsets, expected_size,
                                          expected_offsets)
    return 0


cdef int _assign_bytes(RecordArray a, object flat, Py_ssize_t count) except -1:
    """Replace a's records with count items copied from a flat byte buffer (exact capacity)."""
    cdef Py_buffer buf
    _check_growth(a, 0, count)
    PyObject_GetBuffer(flat, &buf, PyBUF_SIMPLE)
    try:
        if <size_t>buf.len != <size_t>count * a.kind.itemsize:
            raise _messages.byte_count_error(_what(a), buf.len, count)
        _check_resizable(a)
        _vec_ok(cc_vec_assign(&a.vec, buf.buf, <size_t>count), a)
    finally:
        PyBuffer_Release(&buf)
    return 0


cdef Py_ssize_t _find(RecordArray a, object value, object start, object stop,
                      bint first) except -2:
    cdef _item_tmp t
    cdef Py_ssize_t lo = PyNumber_AsSsize_t(start, OverflowError)
    cdef Py_ssize_t hi = PyNumber_AsSsize_t(stop, OverflowError)
    if lo < 0:
        lo = max(lo + _len(a), 0)
    if hi < 0:
        hi = max(hi + _len(a), 0)
    _tmp_open(&t, a.kind.itemsize)
    try:
        try:
            a.kind.pack(t.p, value)
        except (TypeError, OverflowError, ValueError):
            return -1 if first else 0       # no record of the array can equal it
        return _item_in(a, t.p, lo, hi, first)
    finally:
        _tmp_close(&t)


cdef RecordArray _get_slice(RecordArray a, object index):
    cdef Py_ssize_t start, stop, step, count, k
    cdef RecordArray new = _fresh(type(a), a.kind)
    count = _slice(a, index, &start, &stop, &step)
    if count == 0:
        return new
    if step == 1:
        _vec_ok(cc_vec_assign(&new.vec, _at(a, start), <size_t>count), new)
        return new
    _vec_ok(cc_vec_reserve(&new.vec, <size_t>count), new)
    for k in range(count):
        _vec_ok(cc_vec_push(&new.vec, _at(a, start + k * step)), new)
    return new


cdef int _set_slice(RecordArray a, object index, object values) except -1:
    """a[i:j:k] = values: every value is converted first, then the records are replaced."""
    cdef Py_ssize_t start, stop, step, count, k, n
    cdef size_t size = a.kind.itemsize
    cdef cc_vec tmp
    _vec_ok(cc_vec_init(&tmp, size, a.kind.align, <const cc_allocator *>&_vec_allocator), a)
    try:
        _pack_all(a, &tmp, values)
        n = <Py_ssize_t>tmp.len
        count = _slice(a, index, &start, &stop, &step)
        if step != 1:
            if n != count:
                raise _messages.extended_slice_error(n, count)
            for k in range(count):
                memcpy(_at(a, start + k * step), cc_vec_at(&tmp, <size_t>k), size)
            return 0
        if n != count:
            _check_resizable(a)
            _check_growth(a, _len(a) - count, n)
        if n > count:
            _vec_ok(cc_vec_insert(&a.vec, <size_t>(start + count), NULL, <size_t>(n - count)), a)
        elif n < count:
            _vec_ok(cc_vec_remove(&a.vec, <size_t>(start + n), <size_t>(count - n)), a)
        if n:
            memcpy(_at(a, start), tmp.data, <size_t>n * size)
    finally:
        cc_vec_destroy(&tmp)
    return 0


cdef int _del_slice(RecordArray a, object index) except -1:
    cdef Py_ssize_t start, stop, step, count, src, dst
    cdef size_t size = a.kind.itemsize
    count = _slice(a, index, &start, &stop, &step)
    if count == 0:
        return 0
    _check_resizable(a)
    if step == 1:
        return _vec_ok(cc_vec_remove(&a.vec, <size_t>start, <size_t>count), a)
    if step < 0:                         # the same records, front to back
        start += (count - 1) * step
        step = -step
    dst = start
    for src in range(start, _len(a)):
        if (src - start) % step == 0 and (src - start) // step < count:
            continue
        if dst != src:
            memcpy(_at(a, dst), _at(a, src), size)
        dst += 1
    return _vec_ok(cc_vec_truncate(&a.vec, <size_t>dst), a)


@cython.auto_pickle(False)
cdef class RecordArrayIterator:
    """Iterator over a record array: a copy of each record; follows the array's current
    length, like a list iterator."""

    cdef RecordArray array
    cdef Py_ssize_t index

    def __cinit__(self, RecordArray array not None):
        self.array = array

    def __iter__(self):
        return self

    def __next__(self):
        if self.array is not None and self.index < _len(self.array):
            record = _unpack(self.array.kind, _at(self.array, self.index))
            self.index += 1
            return record
        self.array = None
        raise StopIteration

    def __length_hint__(self):
        return 0 if self.array is None else max(_len(self.array) - self.index, 0)


@cython.auto_pickle(False)
cdef class RecordColumn:
    """One field of every record of an array: ``a.x`` or ``a.column("x")``.

    A live view: it holds the array and reads its current length and storage at every access,
    so it stays valid when the array grows or shrinks. ``col[i]``/``col[i] = v`` read and write
    (with the field's checks); the buffer protocol exports a strided, writable, zero-copy view
    (``np.asarray(a.x)``), which counts as an export of the array while it lives. Where the
    field lies comes from the array's C-level field table.
    """

    cdef readonly RecordArray array
    cdef readonly str name
    cdef const cc_field *field
    cdef Py_ssize_t offset            # of the field inside an item
    cdef str ctype_name
    cdef Py_ssize_t export_shape
    cdef Py_ssize_t export_stride

    def __cinit__(self, RecordArray array not None, str name not None):
        cdef const cc_field *f = _field_named(array.kind, name)
        if f == NULL:
            raise _messages.no_field_error(_what(array), array.kind.record.qualname.decode(),
                                           name)
        self.array, self.name, self.field = array, name, f
        self.offset = _item_offset(array.kind, f)
        self.ctype_name = f.kind.decode()

    @property
    def where(self):
        return <object>self.field.where

    cdef unsigned char *_field(self, Py_ssize_t i) noexcept:
        return _at(self.array, i) + self.offset

    cdef object _get(self, Py_ssize_t i):
        return self.field.ops.load(<const char *>self._field(i), self.field.size)

    cdef int _convert(self, object value, unsigned char *item) except -1:
        """Check value as the record's constructor does and store it in the scratch item at
        item (itemsize bytes: an optional field's store writes its presence bit there too)."""
        return self.field.ops.store(<char *>item + self.offset, self.field.size, value,
                                    <object>self.field.where)

    cdef void _put(self, Py_ssize_t i, const unsigned char *item) noexcept:
        """Copy the field's value from scratch item ``item`` into record i."""
        cdef const char *src = <const char *>item + self.offset
        if self.field.ops.copy != NULL:
            self.field.ops.copy(<char *>self._field(i), src, self.field.size)
        else:
            memcpy(self._field(i), src, <size_t>self.field.size)

    def __len__(self):
        return _len(self.array)

    def __getitem__(self, index):
        cdef Py_ssize_t start, stop, step, count, k, i
        if PyIndex_Check(index):
            return self._get(_index(self.array, index))
        if not isinstance(index, slice):
            _index_type_error(self.array, index)
        count = _slice(self.array, index, &start, &stop, &step)
        values = []
        for k in range(count):
            i = start + k * step
            if i >= _len(self.array):       # shrunk while the list grew
                break
            values.append(self._get(i))
        return values

    def __setitem__(self, index, value):
        cdef Py_ssize_t start, stop, step, count, k, n
        cdef size_t size = self.array.kind.itemsize
        cdef _item_tmp one
        cdef unsigned char *converted
        if PyIndex_Check(index):
            _tmp_open(&one, size)
            try:
                memset(one.p, 0, size)
                self._convert(value, one.p)
                self._put(_index(self.array, index), one.p)
            finally:
                _tmp_close(&one)
            return
        if not isinstance(index, slice):
            _index_type_error(self.array, index)
        values = list(value)
        n = len(values)
        if <size_t>n > PY_SSIZE_T_MAX // size:
            raise MemoryError()
        converted = <unsigned char *>PyMem_Calloc(<size_t>max(n, 1), size)
        if converted == NULL:
            raise MemoryError()
        try:
            for k in range(n):
                self._convert(values[k], converted + size * k)
            count = _slice(self.array, index, &start, &stop, &step)
            if count != n:
                raise _messages.column_length_error(self.where, n, count)
            for k in range(count):
                self._put(start + k * step, converted + size * k)
        finally:
            PyMem_Free(converted)

    def __iter__(self):
        cdef Py_ssize_t i = 0
        while i < _len(self.array):
            yield self._get(i)
            i += 1

    def tolist(self):
        """Every record's value of this field, as a list."""
        cdef Py_ssize_t i = 0
        values = []
        while i < _len(self.array):
            values.append(self._get(i))
            i += 1
        return values

    def __repr__(self):
        cdef Py_ssize_t i = 0
        shown = []
        while i < _repr_values and i < _len(self.array):
            shown.append(self._get(i))
            i += 1
        return _messages.column_repr(self.where, self.ctype_name, _len(self.array), shown)

    def __getbuffer__(self, Py_buffer *view, int flags):
        cdef RecordArray a = self.array
        cdef Py_ssize_t size = <Py_ssize_t>self.field.size
        cdef bint contiguous = (flags & PyBUF_STRIDES) != PyBUF_STRIDES or \
            (flags & PyBUF_ANY_CONTIGUOUS) == PyBUF_ANY_CONTIGUOUS or \
            (flags & PyBUF_C_CONTIGUOUS) == PyBUF_C_CONTIGUOUS or \
            (flags & PyBUF_F_CONTIGUOUS) == PyBUF_F_CONTIGUOUS
        if contiguous and a.kind.itemsize != <size_t>size:
            raise _messages.strided_column_error(self.where)
        item = _item_of(a.kind)
        if not item.field(self.name).kind.pep3118:
            raise _messages.no_buffer_error(self.where, item)
        cdef unsigned char *data = <unsigned char *>a.vec.data
        _fill_view(view, data + self.offset if data != NULL else NULL, _len(a), size,
                   <Py_ssize_t>a.kind.itemsize, <char *>self.field.format, &self.export_shape,
                   &self.export_stride, flags)
        view.obj = self
        a.exports += 1

    def __releasebuffer__(self, Py_buffer *view):
        self.array.exports -= 1

    def __array__(self, dtype=None, copy=None):
        # only for a field no buffer describes (see RecordArray.__array__)
        import numpy
        return _array_format.numpy_records(numpy, _RecordBytes(self.array),
                                           _item_of(self.array.kind), dtype, copy, self.name)



# ---- test hooks: the size arithmetic above, for lengths no test can allocate

def _array_max_len(size_t itemsize):
    """The largest record count an array of itemsize-byte records can hold."""
    return _max_len(itemsize)


def _array_item_offset(size_t itemsize, Py_ssize_t length, Py_ssize_t index):
    """The byte offset a[index] reads in a (mocked) array of length records: the arithmetic
    of __getitem__, with no memory behind it. IndexError when out of range."""
    cdef Py_ssize_t i = _normalize(index, length)
    if i < 0:
        raise _messages.index_error("mocked array")
    return _byte_offset(itemsize, i)
