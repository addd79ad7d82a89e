# cython: language_level=3
"""The inline helpers of the enum kinds' generated code (compactclass.kinds.enums).

A generated module binds, per enum kind, three module-level objects (EnumKind.bound_objects):
the kind (its slow paths, which also raise every error), a tuple ``(member, code, member,
code, ...)`` in definition order, a dict code -> member, and for an enum whose codes are dense
a tuple of the members by code (from the lowest). Anyone can rebind them
(``_cc_bind_objects``), so nothing here trusts them: a tuple or dict is used only when it is an
exact one, everything else is reached through Python calls, and the code a store receives is
range-checked by the storage kind's converter before it is written (the caller's
``_cc_k.to_i8(...)``).
"""
from cpython.object cimport PyObject
from cpython.tuple cimport PyTuple_GET_ITEM
from libc.stdint cimport uint64_t

cdef extern from "Python.h":
    # (borrowed reference or NULL; never raises: the keys looked up here are exact ints)
    PyObject *PyDict_GetItem(object d, object key)
    bint PyDict_CheckExact(object o)
    bint PyTuple_CheckExact(object o)
    Py_ssize_t PyTuple_GET_SIZE(object o)
    bint PyLong_CheckExact(object o)


cdef inline object code_of(object value, object pairs, object members, bint ints, object kind,
                           object where):
    """The code to store for value: a member's from pairs (found by identity: no hashing, no
    allocation), an int that is a key of members as itself (ints: IntEnum, IntFlag); anything
    else from kind.store_code (flag combinations, and every error)."""
    cdef Py_ssize_t i = 0, n
    if PyTuple_CheckExact(pairs):
        n = PyTuple_GET_SIZE(pairs) - 1
        while i < n:
            if PyTuple_GET_ITEM(pairs, i) == <PyObject *>value:
                return <object>PyTuple_GET_ITEM(pairs, i + 1)
            i += 2
    if ints and PyLong_CheckExact(value) and PyDict_CheckExact(members):
        if PyDict_GetItem(members, value) != NULL:
            return value
    return kind.store_code(value, where)


cdef inline object member_of(object code, object members, object kind):
    """The member a stored code stands for: from members, else kind.from_struct (flag
    combinations, the zero, and the error of a code no member has)."""
    cdef PyObject *found
    if PyDict_CheckExact(members):
        found = PyDict_GetItem(members, code)
        if found != NULL:
            return <object>found
    return kind.from_struct(code)


cdef inline object member_at(long long code, long long base, object by_code, object kind):
    """The member a stored code stands for: by_code[code - base] (a tuple, None where no member
    has the code), else kind.from_struct (flag combinations, the zero, and the error of a code
    no member has)."""
    cdef unsigned long long at = <unsigned long long>code - <unsigned long long>base
    cdef PyObject *found
    if PyTuple_CheckExact(by_code) and at < <unsigned long long>PyTuple_GET_SIZE(by_code):
        found = PyTuple_GET_ITEM(by_code, <Py_ssize_t>at)
        if found != <PyObject *>None:
            return <object>found
    return kind.from_struct(code)


cdef inline bint bits_within(uint64_t code, uint64_t outside) noexcept nogil:
    """A flag's stored code sets no bit of outside (a negative code converts with every high
    bit set)."""
    return (code & outside) == 0
