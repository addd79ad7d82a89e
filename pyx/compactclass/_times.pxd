# cython: language_level=3
"""The time kinds' C conversions (compactclass.kinds.times): a datetime, date or timedelta and
the int64_t a field stores for it, both ways, with the datetime C API and days-from-civil
integer arithmetic. Inline: a generated module's store statements and load expressions call
these (``_cc_times.naive_us(value, where)``). What the fast paths do not take (subclasses,
zones other than UTC, wrong types, overflow) goes to _times.pyx, which asks the Python kinds,
so every error reads as in the pure runtime.

A module that cimports this calls ``import_times()`` once, at import: the datetime C API is a
per-module pointer.
"""
from cpython.object cimport PyObject
from libc.stdint cimport int64_t, INT64_MAX, INT64_MIN
from cpython.datetime cimport (import_datetime, datetime_new, date_new, timedelta_new,
                               PyDateTimeAPI, PyDateTime_CheckExact, PyDate_CheckExact,
                               PyDelta_CheckExact, PyDateTime_GET_YEAR, PyDateTime_GET_MONTH,
                               PyDateTime_GET_DAY, PyDateTime_DATE_GET_HOUR,
                               PyDateTime_DATE_GET_MINUTE, PyDateTime_DATE_GET_SECOND,
                               PyDateTime_DATE_GET_MICROSECOND, PyDateTime_DATE_GET_TZINFO,
                               PyDateTime_DELTA_GET_DAYS, PyDateTime_DELTA_GET_SECONDS,
                               PyDateTime_DELTA_GET_MICROSECONDS, __Pyx_TimeZone_UTC)

# The slow paths (_times.pyx): the value as the Python kind converts it, or its error.
cdef int64_t naive_us_slow(object value, object where) except? -1
cdef int64_t utc_us_slow(object value, object where) except? -1
cdef int64_t date_days_slow(object value, object where) except? -1
cdef int64_t timedelta_us_slow(object value, object where) except? -1

cdef enum:
    CC_MIN_DAYS = -719162        # 0001-01-01, in days since 1970-01-01
    CC_MAX_DAYS = 2932896        # 9999-12-31

cdef inline int import_times() except -1:
    import_datetime()
    if PyDateTimeAPI == NULL:
        return -1                # (the import's error is set)
    return 0


# ---- integer arithmetic

cdef inline int64_t us_per_day() noexcept:
    return <int64_t>86400 * 1000000

cdef inline int64_t floor_divmod(int64_t a, int64_t b, int64_t *rest) noexcept:
    """a // b, and a % b in rest, as Python computes them (b > 0), for every int64 a. Only
    non-negative numbers are divided, where C and Python division agree, and no product can
    overflow: for a < 0, a = -(t + 1) with t = q' * b + r', so a // b = -q' - 1."""
    cdef int64_t t, q
    if a >= 0:
        q = a // b
        rest[0] = a - q * b
        return q
    t = -(a + 1)
    q = t // b
    rest[0] = b - 1 - (t - q * b)
    return -q - 1

cdef inline int64_t days_from_civil(int64_t y, int64_t m, int64_t d) noexcept:
    """Days since 1970-01-01 of the proleptic Gregorian date y-m-d, year 1 or later (H.
    Hinnant's algorithm: years counted from March, so a leap day ends its year; eras of 400
    years, 146097 days). Every division is of a non-negative number."""
    cdef int64_t era, yoe, doy, doe
    y -= m <= 2                                         # >= 0
    era = y // 400
    yoe = y - era * 400                                 # [0, 399]
    doy = (153 * (m - 3 if m > 2 else m + 9) + 2) // 5 + d - 1   # [0, 365], from March 1st
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy       # [0, 146096]
    return era * 146097 + doe - 719468                  # 719468: 0000-03-01 to 1970-01-01

cdef inline void civil_from_days(int64_t z, int *year, int *month, int *day) noexcept:
    """The date z days after 1970-01-01, for z from CC_MIN_DAYS (the inverse of
    days_from_civil)."""
    cdef int64_t era, doe, yoe, doy, mp, m
    z += 719468                                         # days since 0000-03-01: >= 0
    era = z // 146097
    doe = z - era * 146097                              # [0, 146096]
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365   # [0, 399]
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)     # [0, 365]
    mp = (5 * doy + 2) // 153                           # [0, 11], from March
    m = mp + 3 if mp < 10 else mp - 9
    year[0] = <int>(yoe + era * 400 + (m <= 2))
    month[0] = <int>m
    day[0] = <int>(doy - (153 * mp + 2) // 5 + 1)


# ---- the stored ranges

cdef inline bint datetime_valid(int64_t us) noexcept:
    return CC_MIN_DAYS * us_per_day() <= us <= (CC_MAX_DAYS + 1) * us_per_day() - 1

cdef inline int64_t datetime_clamped(int64_t us) noexcept:
    """The nearest value of years 1..9999 (what a stored value outside them reads as)."""
    return min(max(us, CC_MIN_DAYS * us_per_day()), (CC_MAX_DAYS + 1) * us_per_day() - 1)

cdef inline bint date_valid(int64_t days) noexcept:
    return CC_MIN_DAYS <= days <= CC_MAX_DAYS

cdef inline int64_t date_clamped(int64_t days) noexcept:
    return min(max(days, <int64_t>CC_MIN_DAYS), <int64_t>CC_MAX_DAYS)


# ---- Python value -> stored int64_t

cdef inline int64_t wall_us(object dt) noexcept:
    """A datetime's fields (its wall clock, whatever its tzinfo) as microseconds since
    1970-01-01T00:00; dt must be a datetime."""
    return (days_from_civil(PyDateTime_GET_YEAR(dt), PyDateTime_GET_MONTH(dt),
                            PyDateTime_GET_DAY(dt)) * us_per_day() +
            ((PyDateTime_DATE_GET_HOUR(dt) * <int64_t>60 + PyDateTime_DATE_GET_MINUTE(dt)) * 60 +
             PyDateTime_DATE_GET_SECOND(dt)) * <int64_t>1000000 +
            PyDateTime_DATE_GET_MICROSECOND(dt))

cdef inline int64_t naive_us(object value, object where) except? -1:
    if PyDateTime_CheckExact(value) and PyDateTime_DATE_GET_TZINFO(value) == <PyObject *>None:
        return wall_us(value)
    return naive_us_slow(value, where)

cdef inline int64_t utc_us(object value, object where) except? -1:
    if PyDateTime_CheckExact(value) and PyDateTime_DATE_GET_TZINFO(value) == __Pyx_TimeZone_UTC:
        return wall_us(value)
    return utc_us_slow(value, where)

cdef inline int64_t date_days(object value, object where) except? -1:
    if PyDate_CheckExact(value):
        return days_from_civil(PyDateTime_GET_YEAR(value), PyDateTime_GET_MONTH(value),
                               PyDateTime_GET_DAY(value))
    return date_days_slow(value, where)

cdef inline bint delta_us(object td, int64_t *us) noexcept:
    """A timedelta (td must be one) in microseconds; False when that is beyond int64_t.
    days * us_per_day() + rest, with every product and sum checked before it is made; for
    negative days, (days + 1) * us_per_day() + (rest - us_per_day()) stays in range."""
    cdef int64_t days = PyDateTime_DELTA_GET_DAYS(td), limit = INT64_MAX // us_per_day(), high
    cdef int64_t rest = (<int64_t>PyDateTime_DELTA_GET_SECONDS(td) * 1000000 +
                         PyDateTime_DELTA_GET_MICROSECONDS(td))          # [0, us_per_day())
    if days >= 0:
        if days > limit:
            return False
        high = days * us_per_day()
        if rest > INT64_MAX - high:
            return False
    else:
        if days + 1 < -limit:
            return False
        high = (days + 1) * us_per_day()
        rest -= us_per_day()
        if rest < INT64_MIN - high:
            return False
    us[0] = high + rest
    return True

cdef inline int64_t timedelta_us(object value, object where) except? -1:
    cdef int64_t us
    if PyDelta_CheckExact(value) and delta_us(value, &us):
        return us
    return timedelta_us_slow(value, where)


# ---- stored int64_t -> Python value (a value outside the range reads as the nearest end)

cdef inline object datetime_of(int64_t us, object tzinfo):
    cdef int year, month, day
    cdef int64_t rest, days = floor_divmod(datetime_clamped(us), us_per_day(), &rest)
    civil_from_days(days, &year, &month, &day)
    return datetime_new(year, month, day, <int>(rest // 3600000000),
                        <int>(rest // 60000000 % 60), <int>(rest // 1000000 % 60),
                        <int>(rest % 1000000), tzinfo)

cdef inline object naive_of(int64_t us):
    return datetime_of(us, None)

cdef inline object utc_of(int64_t us):
    return datetime_of(us, <object>__Pyx_TimeZone_UTC)

cdef inline object date_of(int64_t days):
    cdef int year, month, day
    civil_from_days(date_clamped(days), &year, &month, &day)
    return date_new(year, month, day)

cdef inline object timedelta_of(int64_t us):
    cdef int64_t rest, days = floor_divmod(us, us_per_day(), &rest)
    return timedelta_new(<int>days, <int>(rest // 1000000), <int>(rest % 1000000))
