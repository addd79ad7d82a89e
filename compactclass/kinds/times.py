"""The time kinds: ``datetime.datetime`` (naive), ``UTCDateTime`` (aware, kept in UTC),
``datetime.date`` and ``datetime.timedelta``, each stored as one ``int64_t``.

=====================  =============================================  ==========  ===========
annotation             stored ``int64_t``                             NumPy       kind name
=====================  =============================================  ==========  ===========
``datetime.datetime``  microseconds since 1970-01-01T00:00, counting  ``M8[us]``  datetime
                       the naive value as if it were UTC
``UTCDateTime``        microseconds since the Unix epoch (UTC)        ``M8[us]``  UTCDateTime
``datetime.date``      days since 1970-01-01                          ``M8[D]``   date
``datetime.timedelta`` microseconds                                   ``m8[us]``  timedelta
=====================  =============================================  ==========  ===========

``UTCDateTime`` is ``Annotated[datetime.datetime, <kind>]``: type checkers see a datetime.

The rules (the same in both modes):

- a ``datetime`` field takes naive datetimes only (``utcoffset()`` is None, as Python defines
  naive); an aware one is a ``TypeError``. A ``UTCDateTime`` field takes aware datetimes only,
  converts any zone to UTC and reads back with ``tzinfo=datetime.timezone.utc``: the same
  instant, and aware datetimes compare by instant, so ``==`` holds (but for a wall time in a
  zone's repeated hour, which PEP 495 makes unequal to every datetime of another zone); an
  instant outside years 1..9999 in UTC is an ``OverflowError``. ``fold`` is not stored: a
  naive value with ``fold=1`` reads back with ``fold=0`` (equal by ``==``, which ignores fold
  for naive values); for an aware value fold has already chosen its UTC offset. A naive value
  whose tzinfo gives no offset reads back without that tzinfo.
- ``==``, ordering and hashing are those of the Python values: the stored integers order
  exactly as the values do (a naive datetime's fields are a mixed-radix number; UTC instants,
  days and durations are counts), so the compiled runtime compares the integers.
- a ``date`` field takes ``date`` but not ``datetime`` (a datetime is a date whose time would
  be lost: ``TypeError``).
- a ``timedelta`` beyond the int64 microsecond range (about +-292,000 years; ``timedelta.max``
  is) is an ``OverflowError``.
- subclasses (``pandas.Timestamp``, ...) are accepted and read back as the plain type; other
  types are a ``TypeError``. Errors name the field (``Trade.ts``).
- stored values from buffers and pickles: every int64 that is a value of the type (years
  1..9999 for datetimes and dates; any int64 for timedelta) is accepted; frombuffer and pickles
  refuse others. One written through a NumPy view (``NaT`` is INT64_MIN) reads as the nearest
  end of the range (``datetime.min``, ``date.max`` ...), as a bool byte 2 reads as True.
- NumPy: PEP 3118 has no datetime64/timedelta64 code (:attr:`Kind.pep3118` is False), so a
  compiled array holding these kinds exports no buffer; ``np.asarray(a)`` is still a zero-copy
  view, through ``__array__``, with the NumPy types above.

The compiled conversions are C (pyx/compactclass/_times.pxd: the datetime C API and
days-from-civil arithmetic); values they do not take on their fast path (subclasses, zones
other than UTC, wrong types) go through the converters here, so errors read the same in both
modes. The pure converters use the standard library's ordinals: an independent implementation
that the tests compare the C arithmetic against over the whole range.
"""
from __future__ import annotations

import datetime
import struct
from typing import Annotated, Optional

from .base import Kind
from .messages import range_error, short_repr, type_error

__all__ = ["DateTimeKind", "UTCDateTimeKind", "DateKind", "TimedeltaKind", "KINDS", "kind_of",
           "UTCDateTime", "NAIVE", "UTC", "DATE", "TIMEDELTA"]

US_PER_SECOND = 1_000_000
US_PER_DAY = 86_400 * US_PER_SECOND
EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
MIN_DAYS = datetime.date.min.toordinal() - EPOCH_ORDINAL      # -719162: 0001-01-01
MAX_DAYS = datetime.date.max.toordinal() - EPOCH_ORDINAL      # 2932896: 9999-12-31
MIN_US, MAX_US = MIN_DAYS * US_PER_DAY, (MAX_DAYS + 1) * US_PER_DAY - 1
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1

_UTC = datetime.timezone.utc
# The base types' own accessors: a subclass overriding ``year`` or ``days`` cannot change what
# is stored (the compiled code reads the C struct).
_TOORDINAL = datetime.date.toordinal
_HOUR, _MINUTE, _SECOND, _MICROSECOND = (getattr(datetime.datetime, n).__get__
                                         for n in ("hour", "minute", "second", "microsecond"))
_DAYS, _SECONDS, _MICROSECONDS = (getattr(datetime.timedelta, n).__get__
                                  for n in ("days", "seconds", "microseconds"))


def _local_us(value) -> int:
    """A datetime's fields (its wall clock, whatever its tzinfo) as microseconds since
    1970-01-01T00:00."""
    return ((_TOORDINAL(value) - EPOCH_ORDINAL) * US_PER_DAY +
            ((_HOUR(value) * 60 + _MINUTE(value)) * 60 + _SECOND(value)) * US_PER_SECOND +
            _MICROSECOND(value))


def _delta_us(value) -> int:
    return (_DAYS(value) * US_PER_DAY + _SECONDS(value) * US_PER_SECOND +
            _MICROSECONDS(value))


def _datetime_of(us: int, tzinfo):
    us = min(max(us, MIN_US), MAX_US)
    days, rest = divmod(us, US_PER_DAY)
    day = datetime.date.fromordinal(days + EPOCH_ORDINAL)
    seconds, micro = divmod(rest, US_PER_SECOND)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return datetime.datetime(day.year, day.month, day.day, hour, minute, second, micro, tzinfo)


def _utc_offset(where: str, value):
    offset = value.utcoffset()
    if offset is not None and not isinstance(offset, datetime.timedelta):
        raise TypeError(f"{where}: {type(value).__name__}.utcoffset() returned "
                        f"{type(offset).__name__}, not a timedelta or None")
    return offset


def _invalid(column: bytes, lo: int, hi: int):
    for index, (value,) in enumerate(struct.iter_unpack("=q", column)):
        if not lo <= value <= hi:
            return index, column[index * 8:index * 8 + 8]
    return None


def _clamped(column: bytes, lo: int, hi: int) -> bytes:
    values = [min(max(v, lo), hi) for (v,) in struct.iter_unpack("=q", column)]
    return struct.pack(f"={len(values)}q", *values)


class _TimeKind(Kind):
    """What the four kinds share: an int64_t, compared as an integer."""

    c_type = "int64_t"
    size = align = 8
    bytes_equal = True
    struct_code = "q"
    c_cimports = {"libc.stdint": ("int64_t",)}
    pyi_imports = ("import datetime as _cc_datetime",)
    pep3118 = False                 # the buffer format has no datetime64/timedelta64 code
    #: the stored values that are values (None: every int64) and what they count
    lo: Optional[int] = None
    hi: Optional[int] = None
    unit = ""
    #: the C helpers of pyx/compactclass/_times.pxd: store, load, valid, clamped
    c_store = c_load = c_valid = c_clamped = ""

    @property
    def pyi_type(self) -> str:
        return f"_cc_datetime.{self.python_type.__name__}"

    def from_struct(self, value):
        raise NotImplementedError

    def invalid_stored(self, column: bytes):
        return None if self.lo is None or self.hi is None else _invalid(column, self.lo, self.hi)

    def stored_error(self, where: str, index: int, raw: bytes, name: str) -> ValueError:
        value = struct.unpack("=q", raw)[0]
        return ValueError(f"{where}: record {index} holds {value} in {self.name} field {name!r}, "
                          f"which is no {self.name} value ({self.unit}; valid: {self.lo} to "
                          f"{self.hi}, {self.from_struct(self.lo)} to "
                          f"{self.from_struct(self.hi)})")

    def canonical_bytes(self, column: bytes) -> bytes:
        if self.lo is None or self.hi is None:      # (set together)
            return column
        return _clamped(column, self.lo, self.hi)

    def module_code(self) -> list:
        return ["from compactclass cimport _times as _cc_times", "_cc_times.import_times()"]

    def store(self, target: str, value: str, where: str) -> str:
        return f"{target} = _cc_times.{self.c_store}({value}, {where})"

    def load(self, source: str) -> str:
        return f"_cc_times.{self.c_load}({source})"

    def compare(self, a: str, b: str) -> str:
        return f"_cc_k.order_signed({a}, {b})"

    def stored_valid(self, source: str):
        return None if self.lo is None else f"_cc_times.{self.c_valid}({source})"

    def canonical_store(self, source: str) -> str:
        return f"{source} = _cc_times.{self.c_clamped}({source})"


class DateTimeKind(_TimeKind):
    """``datetime.datetime``: a naive datetime, as microseconds since 1970-01-01T00:00."""

    name = ident = "datetime"
    python_type = datetime.datetime
    numpy_code = "M8[us]"
    zero = datetime.datetime(1970, 1, 1)
    lo, hi = MIN_US, MAX_US
    unit = "microseconds since 1970-01-01T00:00"
    c_store, c_load, c_valid, c_clamped = "naive_us", "naive_of", "datetime_valid", \
        "datetime_clamped"

    def convert(self, where: str, value) -> datetime.datetime:
        if not isinstance(value, datetime.datetime):
            raise type_error(where, self.name, "a naive datetime", value)
        if _utc_offset(where, value) is not None:
            raise TypeError(f"{where}: a naive datetime field: got an aware datetime "
                            f"{short_repr(value)} (annotate the field compactclass.UTCDateTime "
                            f"to store aware datetimes)")
        if type(value) is datetime.datetime and value.tzinfo is None and not value.fold:
            return value
        return _datetime_of(_local_us(value), None)

    def to_struct(self, value) -> int:
        return _local_us(value)

    def from_struct(self, value) -> datetime.datetime:
        return _datetime_of(value, None)


class UTCDateTimeKind(_TimeKind):
    """``compactclass.UTCDateTime``: an aware datetime, as microseconds since the Unix epoch."""

    name = ident = "UTCDateTime"
    python_type = datetime.datetime
    numpy_code = "M8[us]"
    zero = datetime.datetime(1970, 1, 1, tzinfo=_UTC)
    lo, hi = MIN_US, MAX_US
    unit = "microseconds since 1970-01-01T00:00Z"
    c_store, c_load, c_valid, c_clamped = "utc_us", "utc_of", "datetime_valid", \
        "datetime_clamped"

    def convert(self, where: str, value) -> datetime.datetime:
        if not isinstance(value, datetime.datetime):
            raise type_error(where, self.name, "an aware datetime", value)
        offset = _utc_offset(where, value)
        if offset is None:
            raise TypeError(f"{where}: a UTCDateTime field takes aware datetimes: got a naive "
                            f"datetime {short_repr(value)} (give it a tzinfo, or annotate the "
                            f"field datetime.datetime for naive values)")
        us = _local_us(value) - _delta_us(offset)
        if not MIN_US <= us <= MAX_US:
            raise range_error(where, self.name, datetime.datetime.min.replace(tzinfo=_UTC),
                              datetime.datetime.max.replace(tzinfo=_UTC), value)
        return _datetime_of(us, _UTC)

    def to_struct(self, value) -> int:
        return _local_us(value)         # converted values are in UTC

    def from_struct(self, value) -> datetime.datetime:
        return _datetime_of(value, _UTC)


class DateKind(_TimeKind):
    """``datetime.date``: days since 1970-01-01."""

    name = ident = "date"
    python_type = datetime.date
    numpy_code = "M8[D]"
    zero = datetime.date(1970, 1, 1)
    lo, hi = MIN_DAYS, MAX_DAYS
    unit = "days since 1970-01-01"
    c_store, c_load, c_valid, c_clamped = "date_days", "date_of", "date_valid", "date_clamped"

    def convert(self, where: str, value) -> datetime.date:
        if isinstance(value, datetime.datetime):
            raise TypeError(f"{where}: a date field: got a datetime {short_repr(value)}, whose "
                            f"time would be lost (pass its .date())")
        if not isinstance(value, datetime.date):
            raise type_error(where, self.name, "a date", value)
        if type(value) is datetime.date:
            return value
        return datetime.date.fromordinal(_TOORDINAL(value))

    def to_struct(self, value) -> int:
        return _TOORDINAL(value) - EPOCH_ORDINAL

    def from_struct(self, value) -> datetime.date:
        return datetime.date.fromordinal(min(max(value, MIN_DAYS), MAX_DAYS) + EPOCH_ORDINAL)


class TimedeltaKind(_TimeKind):
    """``datetime.timedelta``: microseconds (every int64 is one)."""

    name = ident = "timedelta"
    python_type = datetime.timedelta
    numpy_code = "m8[us]"
    zero = datetime.timedelta(0)
    unit = "microseconds"
    c_store, c_load = "timedelta_us", "timedelta_of"

    def convert(self, where: str, value) -> datetime.timedelta:
        if not isinstance(value, datetime.timedelta):
            raise type_error(where, self.name, "a timedelta", value)
        us = _delta_us(value)
        if not INT64_MIN <= us <= INT64_MAX:
            raise OverflowError(f"{where}: {short_repr(value)} is out of range for timedelta "
                                f"(int64 microseconds: {INT64_MIN} to {INT64_MAX}, about "
                                f"+-292,000 years)")
        return value if type(value) is datetime.timedelta else \
            datetime.timedelta(microseconds=us)

    def to_struct(self, value) -> int:
        return _delta_us(value)

    def from_struct(self, value) -> datetime.timedelta:
        return datetime.timedelta(microseconds=value)


NAIVE, UTC, DATE, TIMEDELTA = DateTimeKind(), UTCDateTimeKind(), DateKind(), TimedeltaKind()
KINDS = {k.name: k for k in (NAIVE, UTC, DATE, TIMEDELTA)}

#: aware datetimes, kept in UTC (type checkers see datetime.datetime)
UTCDateTime = Annotated[datetime.datetime, UTC]

_BARE = ((datetime.datetime, NAIVE), (datetime.date, DATE), (datetime.timedelta, TIMEDELTA))


def kind_of(annotation):
    """The time kind of ``datetime.datetime``, ``UTCDateTime``, ``datetime.date`` or
    ``datetime.timedelta``, or None."""
    for bare, kind in _BARE:
        if annotation is bare:
            return kind
    if any(m is UTC for m in getattr(annotation, "__metadata__", ())) and \
            getattr(annotation, "__origin__", None) is datetime.datetime:
        return UTC
    return None


SUPPORTED_TEXT = ("datetime.datetime (naive), compactclass.UTCDateTime (aware), datetime.date, "
                  "datetime.timedelta")
