# cython: language_level=3, boundscheck=False, wraparound=False, binding=False
"""The compiled half of the number kinds (see _kinds.pxd): their C operations, and the slow
paths of their converters. Messages come from compactclass.kinds, as in the pure runtime."""
import operator

from compactclass import kinds as _kinds_py
from compactclass.kinds import messages as _messages


cdef int raise_type_error(object where, str kind, str expected, object value) except -1:
    raise _messages.type_error(where, kind, expected, value)


cdef int raise_range_error(object where, str kind, object value) except -1:
    k = _kinds_py.kind_named(kind)
    raise _messages.range_error(where, kind, getattr(k, "min", None), getattr(k, "max", None),
                                value)


cdef object index_or_raise(object value, object where, str kind):
    if isinstance(value, float):
        raise_type_error(where, kind, "an integer", value)
    try:
        return operator.index(value)
    except TypeError:
        raise_type_error(where, kind, "an integer", value)


cdef double double_or_raise(object value, object where, str kind) except? -1.0:
    return _kinds_py.kind_named(kind)._as_double(where, value)


# ---- the operations: one load/store/compare per C type

cdef inline int _order(double a, double b) noexcept:
    if a < b:
        return CC_LT
    if a > b:
        return CC_GT
    return CC_EQ if a == b else CC_UNORDERED

cdef inline int _iorder(int64_t a, int64_t b) noexcept:
    return CC_LT if a < b else (CC_GT if a > b else CC_EQ)

cdef inline int _uorder(uint64_t a, uint64_t b) noexcept:
    return CC_LT if a < b else (CC_GT if a > b else CC_EQ)

cdef object _load_i8(const char *p, Py_ssize_t n): return (<const int8_t *>p)[0]
cdef object _load_i16(const char *p, Py_ssize_t n): return (<const int16_t *>p)[0]
cdef object _load_i32(const char *p, Py_ssize_t n): return (<const int32_t *>p)[0]
cdef object _load_i64(const char *p, Py_ssize_t n): return (<const int64_t *>p)[0]
cdef object _load_u8(const char *p, Py_ssize_t n): return (<const uint8_t *>p)[0]
cdef object _load_u16(const char *p, Py_ssize_t n): return (<const uint16_t *>p)[0]
cdef object _load_u32(const char *p, Py_ssize_t n): return (<const uint32_t *>p)[0]
cdef object _load_u64(const char *p, Py_ssize_t n): return (<const uint64_t *>p)[0]
cdef object _load_f32(const char *p, Py_ssize_t n): return (<const float *>p)[0]
cdef object _load_f64(const char *p, Py_ssize_t n): return (<const double *>p)[0]
cdef object _load_bool(const char *p, Py_ssize_t n): return (<const uint8_t *>p)[0] != 0

cdef int _store_i8(char *p, Py_ssize_t n, object v, object w) except -1:
    (<int8_t *>p)[0] = to_i8(v, w)
    return 0
cdef int _store_i16(char *p, Py_ssize_t n, object v, object w) except -1:
    (<int16_t *>p)[0] = to_i16(v, w)
    return 0
cdef int _store_i32(char *p, Py_ssize_t n, object v, object w) except -1:
    (<int32_t *>p)[0] = to_i32(v, w)
    return 0
cdef int _store_i64(char *p, Py_ssize_t n, object v, object w) except -1:
    (<int64_t *>p)[0] = to_i64(v, w)
    return 0
cdef int _store_u8(char *p, Py_ssize_t n, object v, object w) except -1:
    (<uint8_t *>p)[0] = to_u8(v, w)
    return 0
cdef int _store_u16(char *p, Py_ssize_t n, object v, object w) except -1:
    (<uint16_t *>p)[0] = to_u16(v, w)
    return 0
cdef int _store_u32(char *p, Py_ssize_t n, object v, object w) except -1:
    (<uint32_t *>p)[0] = to_u32(v, w)
    return 0
cdef int _store_u64(char *p, Py_ssize_t n, object v, object w) except -1:
    (<uint64_t *>p)[0] = to_u64(v, w)
    return 0
cdef int _store_f32(char *p, Py_ssize_t n, object v, object w) except -1:
    (<float *>p)[0] = to_f32(v, w)
    return 0
cdef int _store_f64(char *p, Py_ssize_t n, object v, object w) except -1:
    (<double *>p)[0] = to_f64(v, w)
    return 0
cdef int _store_bool(char *p, Py_ssize_t n, object v, object w) except -1:
    (<uint8_t *>p)[0] = to_bool(v, w)
    return 0

cdef int _cmp_i8(const char *a, const char *b, Py_ssize_t n) except -2:
    return _iorder((<const int8_t *>a)[0], (<const int8_t *>b)[0])
cdef int _cmp_i16(const char *a, const char *b, Py_ssize_t n) except -2:
    return _iorder((<const int16_t *>a)[0], (<const int16_t *>b)[0])
cdef int _cmp_i32(const char *a, const char *b, Py_ssize_t n) except -2:
    return _iorder((<const int32_t *>a)[0], (<const int32_t *>b)[0])
cdef int _cmp_i64(const char *a, const char *b, Py_ssize_t n) except -2:
    return _iorder((<const int64_t *>a)[0], (<const int64_t *>b)[0])
cdef int _cmp_u8(const char *a, const char *b, Py_ssize_t n) except -2:
    return _iorder((<const uint8_t *>a)[0], (<const uint8_t *>b)[0])
cdef int _cmp_u16(const char *a, const char *b, Py_ssize_t n) except -2:
    return _iorder((<const uint16_t *>a)[0], (<const uint16_t *>b)[0])
cdef int _cmp_u32(const char *a, const char *b, Py_ssize_t n) except -2:
    return _iorder((<const uint32_t *>a)[0], (<const uint32_t *>b)[0])
cdef int _cmp_u64(const char *a, const char *b, Py_ssize_t n) except -2:
    return _uorder((<const uint64_t *>a)[0], (<const uint64_t *>b)[0])
cdef int _cmp_f32(const char *a, const char *b, Py_ssize_t n) except -2:
    return _order((<const float *>a)[0], (<const float *>b)[0])
cdef int _cmp_f64(const char *a, const char *b, Py_ssize_t n) except -2:
    return _order((<const double *>a)[0], (<const double *>b)[0])
cdef int _cmp_bool(const char *a, const char *b, Py_ssize_t n) except -2:
    return _iorder((<const uint8_t *>a)[0] != 0, (<const uint8_t *>b)[0] != 0)

cdef int _check_bool(char *p, Py_ssize_t n, bint fix) noexcept:
    if (<uint8_t *>p)[0] <= 1:
        return 0
    if fix:
        (<uint8_t *>p)[0] = 1
    return 1


cdef cc_kind_ops _OPS[11]
_OPS[0] = cc_kind_ops(b"i8", _load_i8, _store_i8, _cmp_i8, NULL)
_OPS[1] = cc_kind_ops(b"i16", _load_i16, _store_i16, _cmp_i16, NULL)
_OPS[2] = cc_kind_ops(b"i32", _load_i32, _store_i32, _cmp_i32, NULL)
_OPS[3] = cc_kind_ops(b"i64", _load_i64, _store_i64, _cmp_i64, NULL)
_OPS[4] = cc_kind_ops(b"u8", _load_u8, _store_u8, _cmp_u8, NULL)
_OPS[5] = cc_kind_ops(b"u16", _load_u16, _store_u16, _cmp_u16, NULL)
_OPS[6] = cc_kind_ops(b"u32", _load_u32, _store_u32, _cmp_u32, NULL)
_OPS[7] = cc_kind_ops(b"u64", _load_u64, _store_u64, _cmp_u64, NULL)
_OPS[8] = cc_kind_ops(b"f32", _load_f32, _store_f32, _cmp_f32, NULL)
_OPS[9] = cc_kind_ops(b"f64", _load_f64, _store_f64, _cmp_f64, NULL)
_OPS[10] = cc_kind_ops(b"bool", _load_bool, _store_bool, _cmp_bool, _check_bool)


cdef const cc_kind_ops *kind_ops(const char *name) except NULL:
    """The operations of the kind whose runtime_ops name is name."""
    cdef Py_ssize_t k
    cdef bytes wanted = name
    for k in range(11):
        if _OPS[k].name == wanted:
            return &_OPS[k]
    raise LookupError(f"compactclass._kinds: no compiled operations for kind {wanted!r}")
