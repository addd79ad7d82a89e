# cython: language_level=3, boundscheck=False, wraparound=False, binding=False
"""The slow paths of the time kinds' inline conversions (_times.pxd).

An exact datetime in a zone other than UTC is converted here in C (its utcoffset() is a
Python call whatever we do). Anything else the fast paths did not take (a subclass, a wrong
type, an aware value for a naive field, an overflow) is converted by the Python kind
(compactclass.kinds.times): it raises the error the pure runtime raises, or returns the plain
value, whose int64_t the fast path then computes.
"""
from cpython.datetime cimport PyDelta_CheckExact

from compactclass.kinds import times as _times_py

_NAIVE, _UTC, _DATE, _TIMEDELTA = _times_py.NAIVE, _times_py.UTC, _times_py.DATE, \
    _times_py.TIMEDELTA

import_times()


cdef int64_t naive_us_slow(object value, object where) except? -1:
    # a tzinfo whose utcoffset() is None leaves the value naive (Python's definition)
    if PyDateTime_CheckExact(value) and value.utcoffset() is None:
        return wall_us(value)
    return wall_us(_NAIVE.convert(where, value))


cdef int64_t utc_us_slow(object value, object where) except? -1:
    cdef int64_t us, offset
    if PyDateTime_CheckExact(value):
        # datetime.utcoffset() checks its tzinfo's answer: None or a timedelta within a day
        delta = value.utcoffset()
        if delta is not None and PyDelta_CheckExact(delta) and delta_us(delta, &offset):
            us = wall_us(value) - offset
            if datetime_valid(us):
                return us
    return wall_us(_UTC.convert(where, value))


cdef int64_t date_days_slow(object value, object where) except? -1:
    return date_days(_DATE.convert(where, value), where)


cdef int64_t timedelta_us_slow(object value, object where) except? -1:
    cdef int64_t us
    if not delta_us(_TIMEDELTA.convert(where, value), &us):
        raise AssertionError(f"{where}: the timedelta kind took {value!r}")
    return us
