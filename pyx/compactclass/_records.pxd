# cython: language_level=3
"""What generated record modules cimport from compactclass._records (the record runtime).

A generated record hands the runtime a ``cc_record``: its fields (offset, kind operations,
which of them ==, ordering, hashing and repr use) as static data. The runtime implements, once
for every record, what is not on a hot path: getset descriptors, ``__repr__``, ``==`` and
ordering, ``__hash__``, ``__reduce__``, restoring from pickled values. Generated code keeps
the hot paths (constructor, attribute reads and writes) with inline conversions (_kinds.pxd).
"""
from cpython.object cimport PyObject, PyTypeObject
from compactclass.core cimport cc_arena
from compactclass._kinds cimport cc_field

cdef extern from "Python.h":
    ctypedef PyObject *(*allocfunc)(PyTypeObject *, Py_ssize_t) noexcept
    ctypedef void (*freefunc)(void *) noexcept
    Py_ssize_t PyVectorcall_NARGS(size_t nargsf)
    PyObject **PySequence_Fast_ITEMS(object o)
    object PyObject_GenericGetAttr(object o, object name)
    int PyObject_GenericSetAttr(object o, object name, PyObject *value) except -1
    Py_ssize_t PyTuple_GET_SIZE(PyObject *t)
    PyObject *PyTuple_GET_ITEM(PyObject *t, Py_ssize_t i)

cdef extern from "cc_typeslots.h":
    ctypedef object (*cc_vectorcall_fn)(object, PyObject **, size_t, PyObject *)
    void cc_type_set_alloc(PyTypeObject *t, allocfunc a, freefunc f)
    void cc_type_set_vectorcall(PyTypeObject *t, cc_vectorcall_fn f)
    void cc_type_inherit_richcompare(PyTypeObject *t)
    int cc_type_is_abstract(PyTypeObject *t)
    PyTypeObject *cc_type_of(void *o)
    ctypedef object (*cc_getattro_fn)(object, object)
    ctypedef int (*cc_setattro_fn)(object, object, PyObject *) except -1
    void cc_type_set_attro(PyTypeObject *t, cc_getattro_fn get, cc_setattro_fn set)
    int CC_USE_ARENA

cdef enum:
    CC_RECORD_FROZEN = 1
    CC_RECORD_PY_EQ = 2          # == is not field-wise (eq=False, or __eq__ from the body)
    CC_RECORD_PY_COMPARE = 4     # compare may run Python code (a nested record's __eq__)

# How two records (or array items) compare over the fields == and ordering use, given pointers
# to their first stored byte: CC_LT, CC_EQ, CC_GT or CC_UNORDERED (the first field that differs
# decides). Generated: == and sorting are hot paths.
ctypedef int (*cc_compare_fn)(const char *a, const char *b) except -2

# One record type, as the runtime sees it: static data of the generated module.
ctypedef struct cc_record:
    const char *qualname         # UTF-8
    const char *signature        # "x:i32,y:i32" (pickles)
    Py_ssize_t nfields
    cc_field *fields             # declared order
    Py_ssize_t item_base         # offset of the first stored byte (array items start here)
    unsigned int flags
    cc_compare_fn compare
    PyObject *cls                # the compiled type, set by record_setup (types live forever)
    PyObject *pysignature        # signature as a str, set by record_setup (pickles share it)
    PyObject **defaults          # nfields values for gather_args (an entry NULL: no default);
                                 # NULL for a record without a generated __init__

cdef int register_record_type(object cls) except -1
cdef int check_abi(object cls, int abi) except -1
cdef int set_type_attribute(object cls, str name, object value) except -1
cdef Py_ssize_t ref_offset(object obj, object target) except -2
cdef int record_setup(object cls, cc_record *rec, list offsets, int abi) except -1
cdef object record_richcompare(const cc_record *rec, object a, object b, int op)
cdef Py_hash_t record_hash(const cc_record *rec, object a) except -1
cdef object record_repr(const cc_record *rec, object a)
cdef object record_reduce(const cc_record *rec, object a)
cdef tuple record_values(const cc_record *rec, object a)
cdef int record_payload_check(const cc_record *rec, char *payload, bint fix) noexcept

cdef cc_arena *new_type_arena(object cls) except NULL
cdef PyObject *record_alloc(cc_arena *arena, PyTypeObject *t, PyTypeObject *exact,
                            Py_ssize_t nitems) noexcept
cdef void record_free(cc_arena *arena, void *o, PyTypeObject *exact) noexcept
cdef object call_binder(object binder, PyObject **args, size_t nargsf, PyObject *kwnames)
cdef object abstract_error(object cls)
cdef tuple checked_values(object values, Py_ssize_t n, str record)


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

