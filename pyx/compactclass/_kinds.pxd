# cython: language_level=3
"""What the field kinds' generated code uses (compactclass.kinds): the C operations struct of
a kind, the field table entry, and the number kinds' inline converters and comparisons.

A generated module builds one ``cc_kind_ops`` for each kind its records use, from the kind's
own Cython (``Kind.load``, ``store``, ``stored_valid``); the record and array runtime reach
every field's value through its ``ops`` (getset descriptors, hash, repr, pickles, columns,
bool checks of imported items). The hot paths (a field write, a constructor, a tuple appended
to an array, a[i], ==, ordering) are generated per record with each kind's Cython inline.
"""
from cpython.object cimport PyObject
from libc.stdint cimport (int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t,
                          uint64_t, INT8_MIN, INT8_MAX, INT16_MIN, INT16_MAX, INT32_MIN,
                          INT32_MAX, INT64_MIN, INT64_MAX, UINT8_MAX, UINT16_MAX, UINT32_MAX,
                          UINT64_MAX)
from libc.math cimport isinf
from libc.string cimport memcpy, memset

cdef extern from "Python.h":
    bint PyUnicode_CheckExact(object o)
    bint PyBytes_CheckExact(object o)
    void Py_XDECREF(PyObject *o)
    void Py_INCREF(object o)
    bint PyLong_CheckExact(object o)
    bint PyFloat_CheckExact(object o)
    double PyFloat_AS_DOUBLE(object o)
    long long PyLong_AsLongLongAndOverflow(object o, int *overflow) except? -1

# The outcome of comparing two stored values as their Python values compare (UNORDERED:
# neither <, == nor >, as NaN; PY: they differ, and how they order is for Python to say, which
# may raise: None against a value, objects): what Kind.compare expressions give.
cdef enum:
    CC_LT = -1
    CC_EQ = 0
    CC_GT = 1
    CC_UNORDERED = 2
    CC_PY = 3

# The operations of one kind on a stored value at p (size bytes: parametrised kinds need it).
ctypedef object (*cc_load_fn)(const char *p, Py_ssize_t size)
ctypedef int (*cc_store_fn)(char *p, Py_ssize_t size, object value, object where) except -1
# 1 if the stored bytes are not a value the kind writes; with fix, rewrite them as it would
ctypedef int (*cc_check_fn)(char *p, Py_ssize_t size, bint fix) noexcept
# copy a value stored at src (by store, inside an item-sized buffer) to dst
ctypedef void (*cc_copy_fn)(char *dst, const char *src, Py_ssize_t size) noexcept

ctypedef struct cc_kind_ops:
    const char *name             # the kind's name: "i32"
    cc_load_fn load
    cc_store_fn store            # converts and checks; writes p only once the value is valid
    cc_check_fn check            # NULL: every byte pattern is a value
    cc_copy_fn copy              # NULL: the value is its size bytes (memcpy); an optional
                                 # field's copies its presence bit too

# The version of every struct here and in _records.pxd/_arrays.pxd: a generated module passes
# the value it was compiled with, and the runtime refuses another (bump on any change).
cdef enum:
    CC_RUNTIME_ABI = 7

# One field of a record: static data of the generated module, completed at import.
cdef enum:
    CC_FIELD_HASH = 2            # in __hash__ (== and ordering: the record's compare)
    CC_FIELD_REPR = 4            # in __repr__
    CC_FIELD_COMPARE = 16        # in == and ordering

ctypedef struct cc_field:
    const char *name             # UTF-8
    const char *kind             # the kind's name, for messages
    Py_ssize_t offset            # from the start of the object (C compiler's offset)
    Py_ssize_t size
    const char *format           # the kind's buffer code ("i"), for column buffers
    unsigned int flags
    const cc_kind_ops *ops       # the kind's operations (the generated module's)
    PyObject *pyname             # the interned name (str), set at import
    PyObject *where              # "Point.x" (str), set at import

cdef int raise_type_error(object where, str kind, str expected, object value) except -1
cdef int raise_range_error(object where, str kind, object value) except -1
cdef object index_or_raise(object value, object where, str kind)
cdef double double_or_raise(object value, object where, str kind) except? -1.0


# ---- comparisons of the number kinds (their Kind.compare expressions)

cdef inline int order_signed(int64_t a, int64_t b) noexcept:
    return CC_LT if a < b else (CC_GT if a > b else CC_EQ)

cdef inline int order_unsigned(uint64_t a, uint64_t b) noexcept:
    return CC_LT if a < b else (CC_GT if a > b else CC_EQ)

cdef inline int order_double(double a, double b) noexcept:
    if a < b:
        return CC_LT
    if a > b:
        return CC_GT
    return CC_EQ if a == b else CC_UNORDERED


# ---- inline converters of the number kinds: the hot paths of generated code

cdef inline int64_t _signed(object value, int64_t lo, int64_t hi, object where,
                            str kind) except? -1:
    cdef int overflow = 0
    cdef long long result
    cdef object number = value  # errors show the value given, not its __index__()
    if not PyLong_CheckExact(value):
        number = index_or_raise(value, where, kind)
    result = PyLong_AsLongLongAndOverflow(number, &overflow)
    if overflow or result < lo or result > hi:
        raise_range_error(where, kind, value)
    return result

cdef inline int8_t to_i8(object v, object where) except? -1:
    return <int8_t>_signed(v, INT8_MIN, INT8_MAX, where, "i8")
cdef inline int16_t to_i16(object v, object where) except? -1:
    return <int16_t>_signed(v, INT16_MIN, INT16_MAX, where, "i16")
cdef inline int32_t to_i32(object v, object where) except? -1:
    return <int32_t>_signed(v, INT32_MIN, INT32_MAX, where, "i32")
cdef inline int64_t to_i64(object v, object where) except? -1:
    return _signed(v, INT64_MIN, INT64_MAX, where, "i64")
cdef inline uint8_t to_u8(object v, object where) except? 0:
    return <uint8_t>_signed(v, 0, UINT8_MAX, where, "u8")
cdef inline uint16_t to_u16(object v, object where) except? 0:
    return <uint16_t>_signed(v, 0, UINT16_MAX, where, "u16")
cdef inline uint32_t to_u32(object v, object where) except? 0:
    return <uint32_t>_signed(v, 0, UINT32_MAX, where, "u32")

cdef inline uint64_t to_u64(object value, object where) except? 0:
    cdef object number = value
    if not PyLong_CheckExact(value):
        number = index_or_raise(value, where, "u64")
    if number < 0 or number > UINT64_MAX:
        raise_range_error(where, "u64", value)
    return <uint64_t>number

cdef inline double to_f64(object value, object where) except? -1.0:
    if PyFloat_CheckExact(value):
        return PyFloat_AS_DOUBLE(value)
    return double_or_raise(value, where, "f64")

cdef inline float to_f32(object value, object where) except? -1.0:
    cdef double d = value if PyFloat_CheckExact(value) else double_or_raise(value, where, "f32")
    cdef float f = <float>d
    if isinf(f) and not isinf(d):
        raise_range_error(where, "f32", value)
    return f

cdef inline bint to_bool(object value, object where) except? -1:
    if value is True:
        return True
    if value is False:
        return False
    raise_type_error(where, "bool", "a bool", value)


# ---- object references (str/bytes references and object fields, compactclass.kinds.objects)

cdef str str_copy(object value)
cdef bytes bytes_copy(object value)
cdef int order_python(object a, object b) except -2

cdef inline object get_ref(PyObject **slot):
    """The object a field holds (None where the slot is empty)."""
    if slot[0] == NULL:
        return None
    return <object>slot[0]

cdef inline int set_ref(PyObject **slot, object value) except -1:
    """Make a field hold value (a new reference), then drop the old one: its __del__ may run,
    but the field is already consistent."""
    cdef PyObject *old = slot[0]
    Py_INCREF(value)
    slot[0] = <PyObject *>value
    Py_XDECREF(old)
    return 0

cdef inline str to_str(object value, object where, bint optional, str kind):
    if PyUnicode_CheckExact(value):
        return <str>value
    if value is None and optional:
        return None
    if isinstance(value, str):
        return str_copy(value)
    raise_type_error(where, kind, "a str or None" if optional else "a str", value)

cdef inline bytes to_bytes(object value, object where, bint optional, str kind):
    if PyBytes_CheckExact(value):
        return <bytes>value
    if value is None and optional:
        return None
    if isinstance(value, bytes):
        return bytes_copy(value)
    raise_type_error(where, kind, "a bytes object or None" if optional else "a bytes object",
                     value)

cdef inline object to_instance(object value, object classes, bint admits_none, object where,
                               str kind, str expected):
    if (value is None and admits_none) or isinstance(value, classes):
        return value
    raise_type_error(where, kind, expected, value)

cdef inline int order_objects(object a, object b) except -2:
    """The order of two str or two bytes objects; otherwise CC_EQ when a is b or a == b (as a
    tuple compares its items, and the fallback too: the same NaN object is equal to itself) or
    CC_PY (the values differ; ordering them is Python's to do)."""
    if (PyUnicode_CheckExact(a) and PyUnicode_CheckExact(b)) or \
            (PyBytes_CheckExact(a) and PyBytes_CheckExact(b)):
        return CC_EQ if a == b else (CC_LT if a < b else CC_GT)
    return order_python(a, b)


# ---- optional inline fields (compactclass.kinds.optional): a value plus a presence bit in the
# byte delta bytes from it

cdef inline bint cc_present(const char *value, Py_ssize_t delta, uint8_t mask) noexcept:
    return ((<const uint8_t *>(value + delta))[0] & mask) != 0

cdef inline bint cc_store_absent(object v, char *value, Py_ssize_t delta, uint8_t mask,
                                 Py_ssize_t size) noexcept:
    """Store None (a clear bit, zero value bytes) if v is None; False for any other value."""
    if v is not None:
        return False
    memset(value, 0, size)
    (<uint8_t *>(value + delta))[0] &= <uint8_t>~mask
    return True

cdef inline bint cc_nonzero(const char *value, Py_ssize_t size) noexcept:
    """Whether a byte of the size bytes at value is not zero."""
    cdef Py_ssize_t k
    for k in range(size):
        if value[k] != 0:
            return True
    return False

cdef inline void cc_set_present(char *value, Py_ssize_t delta, uint8_t mask) noexcept:
    (<uint8_t *>(value + delta))[0] |= mask

cdef inline void cc_copy_optional(char *dst, const char *src, Py_ssize_t delta, uint8_t mask,
                                  Py_ssize_t size) noexcept:
    """Copy a value and its presence bit (both pointers lie inside whole items)."""
    memcpy(dst, src, size)
    if cc_present(src, delta, mask):
        cc_set_present(dst, delta, mask)
    else:
        (<uint8_t *>(dst + delta))[0] &= <uint8_t>~mask
