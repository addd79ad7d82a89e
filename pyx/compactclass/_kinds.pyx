# cython: language_level=3, boundscheck=False, wraparound=False, binding=False
"""The slow paths of the number kinds' inline converters (_kinds.pxd). Messages come from
compactclass.kinds, as in the pure runtime."""
import operator

from compactclass._kinds cimport CC_EQ, CC_PY

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


cdef str str_copy(object value):
    """A plain str equal to value (an instance of a str subclass)."""
    return str.__str__(value)


cdef bytes bytes_copy(object value):
    """A plain bytes object equal to value (an instance of a bytes subclass)."""
    return bytes(memoryview(value))


cdef int order_python(object a, object b) except -2:
    # as a tuple compares its items (PyObject_RichCompareBool): the same object is equal to
    # itself, whatever its __eq__ says (a NaN held by an object field)
    return CC_EQ if (a is b or a == b) else CC_PY
