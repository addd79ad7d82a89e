# cython: language_level=3
"""What generated record modules cimport from compactclass's runtime.

Inline helpers run in the generated module (C speed); the non-inline functions are exported
by ``compactclass._runtime`` and reached through Cython's capsule table.
"""
from cpython.object cimport PyObject, PyTypeObject
from libc.stdint cimport int64_t, uint64_t
from libc.math cimport isinf
from compactclass.core cimport cc_arena

cdef extern from "Python.h":
    ctypedef object (*getter)(object, void *)
    ctypedef int (*setter)(object, PyObject *, void *) except -1
    ctypedef struct PyGetSetDef:
        const char *name
        getter get
        setter set
        const char *doc
        void *closure
    ctypedef PyObject *(*allocfunc)(PyTypeObject *, Py_ssize_t) noexcept
    ctypedef void (*freefunc)(void *) noexcept
    bint PyLong_CheckExact(object o)
    bint PyFloat_CheckExact(object o)
    double PyFloat_AS_DOUBLE(object o)
    long long PyLong_AsLongLongAndOverflow(object o, int *overflow) except? -1
    Py_ssize_t PyVectorcall_NARGS(size_t nargsf)
    PyObject *PyType_GenericAlloc(PyTypeObject *t, Py_ssize_t nitems) noexcept
    PyObject **PySequence_Fast_ITEMS(object o)
    object PyObject_GenericGetAttr(object o, object name)
    int PyObject_GenericSetAttr(object o, object name, PyObject *value) except -1

cdef extern from "compactclass/typeslots.h":
    ctypedef object (*cc_vectorcall_fn)(object, PyObject **, size_t, PyObject *)
    void cc_type_set_alloc(PyTypeObject *t, allocfunc a, freefunc f)
    void cc_type_set_vectorcall(PyTypeObject *t, cc_vectorcall_fn f)
    void cc_type_inherit_richcompare(PyTypeObject *t)
    PyTypeObject *cc_type_of(void *o)
    ctypedef object (*cc_getattro_fn)(object, object)
    ctypedef int (*cc_setattro_fn)(object, object, PyObject *) except -1
    void cc_type_set_attro(PyTypeObject *t, cc_getattro_fn get, cc_setattro_fn set)
    int CC_USE_ARENA

# ---- exported by compactclass._runtime
cdef cc_arena *new_type_arena(type cls) except NULL
cdef PyObject *arena_alloc_object(cc_arena *arena, PyTypeObject *t) noexcept
cdef void arena_free_object(cc_arena *arena, void *o) noexcept
cdef void generic_free_object(void *o) noexcept
cdef int install_getsets(type cls, PyGetSetDef *defs) except -1
cdef int raise_type_error(str where, str ctype_name, str kind, object value) except -1
cdef int raise_range_error(str where, str ctype_name, object value) except -1
cdef object index_or_raise(object value, str where, str ctype_name)
cdef double double_or_raise(object value, str where, str ctype_name) except? -1.0
cdef object call_binder(object binder, PyObject **args, size_t nargsf, PyObject *kwnames)
cdef object begin_init(object obj)
cdef int end_init(object previous) except -1
cdef bint is_initialising(object obj) except -1
cdef int register_record_type(type cls) except -1
cdef tuple checked_values(object values, Py_ssize_t n, str record)

# ---- the constructor's argument matching

cdef extern from "Python.h":
    Py_ssize_t PyTuple_GET_SIZE(PyObject *t)
    PyObject *PyTuple_GET_ITEM(PyObject *t, Py_ssize_t i)


cdef inline int gather_args(PyObject **values, Py_ssize_t nfields, PyObject **args,
                            Py_ssize_t nargs, PyObject *kwnames, PyObject **names,
                            const Py_ssize_t *positional, Py_ssize_t npositional,
                            PyObject **defaults) noexcept:
    """Give every field (declared order) one value from a vectorcall: positional arguments go to
    the positional fields in order, keywords are matched by pointer against the interned field
    names (names[i] is NULL for a field __init__ does not take), defaults[i] (NULL: required or
    from a default_factory) fill the rest. Borrowed references. Returns 0, or -1 when the call
    is anything else (too many arguments, an unknown, repeated or non-interned keyword, a missing
    value): then the record's binder handles it and raises the dataclass's exact errors."""
    cdef Py_ssize_t i, j, k
    cdef PyObject *key
    if nargs > npositional:
        return -1
    for i in range(nfields):
        values[i] = NULL
    for k in range(nargs):
        values[positional[k]] = args[k]
    if kwnames != NULL:
        for k in range(PyTuple_GET_SIZE(kwnames)):
            key = PyTuple_GET_ITEM(kwnames, k)
            j = 0
            while j < nfields and names[j] != key:
                j += 1
            if j == nfields or values[j] != NULL:
                return -1
            values[j] = args[nargs + k]
    for i in range(nfields):
        if values[i] == NULL:
            if defaults[i] == NULL:
                return -1
            values[i] = defaults[i]
    return 0


# ---- inline converters: one per kind of C type, parametrised by range and names

cdef inline int64_t to_signed(object value, int64_t lo, int64_t hi, str where,
                              str ctype_name) except? -1:
    cdef int overflow = 0
    cdef long long result
    cdef object number = value  # errors show the value given, not its __index__()
    if not PyLong_CheckExact(value):
        number = index_or_raise(value, where, ctype_name)
    result = PyLong_AsLongLongAndOverflow(number, &overflow)
    if overflow or result < lo or result > hi:
        raise_range_error(where, ctype_name, value)
    return result


cdef inline uint64_t to_unsigned(object value, uint64_t hi, str where, str ctype_name) except? 0:
    cdef object number = value  # errors show the value given, not its __index__()
    if not PyLong_CheckExact(value):
        number = index_or_raise(value, where, ctype_name)
    if number < 0 or number > hi:
        raise_range_error(where, ctype_name, value)
    return <uint64_t>number


cdef inline double to_double(object value, str where, str ctype_name) except? -1.0:
    if PyFloat_CheckExact(value):
        return PyFloat_AS_DOUBLE(value)
    return double_or_raise(value, where, ctype_name)


cdef inline float to_float32(object value, str where, str ctype_name) except? -1.0:
    cdef double d = to_double(value, where, ctype_name)
    cdef float f = <float>d
    if isinf(f) and not isinf(d):
        raise_range_error(where, ctype_name, value)
    return f


cdef inline bint to_bool(object value, str where, str ctype_name) except? -1:
    if value is True:
        return True
    if value is False:
        return False
    raise_type_error(where, ctype_name, "bool", value)


# =================================================================================================
# Record arrays: the base class of every generated ``<Record>Array`` (see _runtime.pyx).
# =================================================================================================
from compactclass.core cimport cc_vec

# What a generated array class supplies for its record type. pack converts a Python value (a
# record or a tuple of field values) and writes the item only once every value is valid;
# unpack makes a new record from an item; eq compares two items as the record's == does.
ctypedef int (*cc_pack_fn)(void *item, object value) except -1
ctypedef object (*cc_unpack_fn)(const void *item)
ctypedef int (*cc_item_eq_fn)(const void *a, const void *b) except -1

# One field of an item, for columns: where it is and how to convert it. Static data of the
# generated module: the runtime never takes a size or an offset from a Python attribute.
ctypedef struct cc_array_field:
    const char *name         # UTF-8
    size_t offset
    size_t size
    char code                # struct code: b h i q B H I Q f d ?
    int64_t lo               # range of signed and narrow unsigned integer fields
    int64_t hi
    const char *ctype_name   # "i32"

ctypedef struct cc_array_kind:
    size_t itemsize
    size_t align
    const char *format       # PEP 3118 format of one item
    const char *what         # "Point.Array", for messages
    const char *record       # "Point" (qualified name), for messages
    Py_ssize_t nfields
    const cc_array_field *fields     # storage order
    const Py_ssize_t *declared       # fields[declared[k]] is the k-th declared field
    cc_pack_fn pack
    cc_unpack_fn unpack
    cc_item_eq_fn eq

cdef class RecordArray:
    # Records live in vec (vec.data, vec.len: what Cython loops read); exports counts the
    # buffers handed out (the array cannot be resized while it is > 0). kind is set when the
    # object is made, from the generated class the object's type derives from, and never NULL.
    cdef cc_vec vec
    cdef const cc_array_kind *kind
    cdef Py_ssize_t exports
    cdef Py_ssize_t export_shape
    cdef Py_ssize_t export_stride

cdef int array_register(type cls, const cc_array_kind *kind) except -1
cdef tuple array_field_values(object value, Py_ssize_t n, type record)
cdef bint array_same_record(object value, type record) except -1
cdef int array_check_item(str record, size_t size, size_t expected_size, list offsets,
                          list expected_offsets) except -1
