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
cdef tuple call_binder(object binder, PyObject **args, size_t nargsf, PyObject *kwnames)

# ---- inline converters: one per kind of C type, parametrised by range and names

cdef inline int64_t to_signed(object value, int64_t lo, int64_t hi, str where,
                              str ctype_name) except? -1:
    cdef int overflow = 0
    cdef long long result
    if not PyLong_CheckExact(value):
        value = index_or_raise(value, where, ctype_name)
    result = PyLong_AsLongLongAndOverflow(value, &overflow)
    if overflow or result < lo or result > hi:
        raise_range_error(where, ctype_name, value)
    return result


cdef inline uint64_t to_unsigned(object value, uint64_t hi, str where, str ctype_name) except? 0:
    if not PyLong_CheckExact(value):
        value = index_or_raise(value, where, ctype_name)
    if value < 0 or value > hi:
        raise_range_error(where, ctype_name, value)
    return <uint64_t>value


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
