# cython: language_level=3
"""What generated record modules cimport from compactclass._arrays (the record-array runtime).

A generated ``<Record>Array`` class derives from RecordArray and registers a cc_array_kind:
the item size and format and the record's field table (_records.pxd). The runtime does
everything else from those: the sequence and buffer protocols, columns, pickles.
"""
from compactclass.core cimport cc_vec
from compactclass._records cimport cc_record

# Store a Python value (a record or a tuple of field values) at item, writing item only once
# every value is valid. Generated: the constructor's inline conversions, on the hot path.
ctypedef int (*cc_pack_fn)(void *item, object value) except -1
# A new record holding a copy of an item. Generated too: a[i] and iteration are hot paths.
ctypedef object (*cc_unpack_fn)(const void *item)

ctypedef struct cc_array_kind:
    size_t itemsize
    size_t align
    const char *format           # PEP 3118 format of one item
    const char *what             # "Point.Array", for messages
    const cc_record *record      # fields (item offset = field offset - record.item_base)
    cc_pack_fn pack
    cc_unpack_fn unpack

cdef class RecordArray:
    # Records live in vec (vec.data, vec.len: what Cython loops read); exports counts the
    # buffers handed out (the array cannot be resized while it is > 0). kind is set when the
    # object is made, from the generated class the object's type derives from, and never NULL.
    cdef cc_vec vec
    cdef const cc_array_kind *kind
    cdef Py_ssize_t exports
    cdef Py_ssize_t export_shape
    cdef Py_ssize_t export_stride

cdef int array_register(object cls, const cc_array_kind *kind, int abi) except -1
cdef tuple array_field_values(object value, Py_ssize_t n, object record)
cdef bint array_same_record(object value, object record) except -1
cdef int array_check_item(str record, size_t size, size_t expected_size, list offsets,
                          list expected_offsets) except -1

# Nested record fields (compactclass.kinds.records): another module's record by its array kind,
# and a record's payload stored in a field.
cdef const cc_array_kind *array_kind_of_record(object record, size_t itemsize, Py_ssize_t item_base,
                                               const char *signature) except NULL
cdef int store_record_payload(const cc_array_kind *kind, char *out, object value,
                              object where) except -1
