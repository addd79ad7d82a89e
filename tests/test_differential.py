"""Differential tests: the compiled class, the fallback class and a plain dataclass must agree.

Hypothesis generates random declarations (1-12 fields of every supported kind, random defaults
and factories, per-field flags, the class options frozen/eq/order/unsafe_hash/kw_only/repr/
match_args/weakref_slot, ``KW_ONLY`` markers, inheritance, and an ``InitVar`` whose
``__post_init__`` writes a field). The kinds come from one table, MODEL: one ModelKind per
annotation (numbers, Str[N]/Bytes[N], str/bytes references, object fields, the time kinds,
enums, Optional[T] of inline kinds, nested records declared at the top of every batch module,
one of them with optional fields); adding a kind is one
``model(...)`` entry. They are written as declaration
source, many records per module (one build per batch, batches built in parallel), compiled, and
then, for every record and many drawn values, three classes are compared:

- the compiled class and ``fallback_of(cls)`` (the pure-Python class from the same spec) must
  agree on *everything*: results, stored values, and the exact type and message of every error;
- a plain ``dataclasses.make_dataclass(..., slots=True)`` twin, built here from the test's own
  model of the declaration (not from compactclass's spec), stores what the model says a field
  stores (ints for int fields, ``float(v)`` for float fields, f32-rounded for f32, the member
  for an enum, the UTC value for a UTCDateTime; for fields held by reference, the compact
  record's own objects); with those
  values it must give the same repr, ==, ordering, hash, astuple/asdict, replace, signature,
  argument-binding errors and frozen errors. It accepts any value, so conversion errors are
  compared between the two compact modes only (and against the model's expected exception type).

Messages that CPython itself writes name a type by its ``tp_name``, which for a static (compiled)
type is the dotted ``module.Record``; they are compared after replacing that with ``Record``.

Profiles (env ``COMPACTCLASS_HYPOTHESIS_PROFILE``): ``ci`` (default; 4 batches x 56 = 224
declarations), ``long`` (24 x 100 = 2400 declarations, many more values per record), ``asan``
(a smaller run for the sanitizer job), ``quick`` (for editing this file). The declarations of a
run come from one seed, printed with any failure; ``COMPACTCLASS_DIFF_SEED=<n>`` replays it.
"""
from __future__ import annotations

import builtins
import copy
import dataclasses
import datetime
import enum
import functools
import gc
import importlib
import inspect
import math
import operator
import os
import pickle
import random
import struct
import subprocess
import sys
import textwrap
import weakref
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Callable, Optional

import pytest
from hypothesis import HealthCheck, Phase, given, note, seed, settings
from hypothesis import strategies as st

import compactclass
from conftest import fallback_of, hypothesis_profile

# ----------------------------------------------------------------------------- profiles

PROFILES = {
    #            batches, records per batch, value examples per record
    "ci": dict(batches=4, per_batch=56, examples=15),
    "long": dict(batches=24, per_batch=100, examples=150),
    "asan": dict(batches=1, per_batch=40, examples=8),
    "quick": dict(batches=1, per_batch=16, examples=10),
}
PROFILE_NAME, PROFILE = hypothesis_profile(PROFILES)
SEED = int(os.environ.get("COMPACTCLASS_DIFF_SEED") or random.SystemRandom().randrange(2**32))
# Optimisation level of the batch builds, appended to CFLAGS (so a sanitizer job's flags stay).
# A 56-record module is ~600k lines of C: gcc takes ~20 s at -O0 and ~50 s at -O1 (quiet
# machine). What this file checks is behaviour; optimiser-exposed undefined behaviour is the
# sanitizer job's business (.ci/asan, -O1 with UBSan).
OPT_FLAG = os.environ.get("COMPACTCLASS_DIFF_OPT", "-O0")

# ----------------------------------------------------------------------------- the model

# The test's own table of what each field kind stores (independent of compactclass.kinds): one
# ModelKind per annotation the generator writes. Values are drawn as *tokens*: the value itself,
# or a RecToken standing for a nested record, which exists only once the batch is built
# (materialize() makes it; token_source() writes it into a declaration).


class Unconvertible(Exception):
    """The model's verdict that a value is rejected, and with which exception type."""

    def __init__(self, exc_type, field_name=None):
        super().__init__(exc_type.__name__)
        self.exc_type = exc_type
        self.field_name = field_name


NO_ZERO = "<no zero>"


@dataclass(frozen=True)
class RecToken:
    """A nested record value: ``name(*args)`` of the batch module (``fallback``: of its fallback
    class, which a field of the compiled record refuses)."""

    name: str
    args: Optional[tuple]                   # None: the record of zero bytes
    fallback: bool = False


# The module of the batch whose records are being checked (nested record classes live there).
CURRENT = {"module": None}


def materialize(token):
    if isinstance(token, RecToken):
        cls = getattr(CURRENT["module"], token.name)
        if token.fallback:
            cls = fallback_of(cls)
        if token.args is None:              # the record of zeroed bytes (no __init__)
            return cls.__new__(cls)
        return cls(*[materialize(a) for a in token.args])
    return token


@dataclass(frozen=True)
class ModelKind:
    """What the test knows of one kind of field.

    - ``source``: the annotation as the generated declaration writes it (module attributes, so a
      field name cannot shadow a later field's annotation);
    - ``valid()``: tokens the field certainly accepts; ``odd()``: boundary, wrong-type and odd
      values (some accepted, some not: ``convert`` decides);
    - ``convert(value)``: what the field stores (and a read gives back) for a value, or
      Unconvertible with the exception type both compact modes must raise;
    - ``zero``: what a field __init__ does not set (init=False without a default) holds;
    - ``reference``: the field holds the object it is given (a dataclass twin then holds the
      compact record's own objects, and == sees identity as tuples do); ``cyclic``: such an
      object can refer back, so the record is GC-tracked;
    - ``nan(value)``: the stored value is unequal to itself while a dataclass's tuple
      comparison (identity first) says equal: such records skip ==/hash against the twin.
    """

    source: str
    valid: Callable
    odd: Callable
    convert: Callable
    zero: Any = NO_ZERO
    reference: bool = False
    cyclic: bool = False
    nan: Callable = lambda value: False


MODEL: dict = {}


def model(name, **kwargs):
    MODEL[name] = ModelKind(**kwargs)


def model_convert(type_name: str, value):
    """What a field of ``type_name`` stores for ``value``; raises Unconvertible otherwise."""
    return MODEL[type_name].convert(value)


def same_value(a, b) -> bool:
    """Equal including type, NaN, the sign of zero and the repr (tzinfo, fold, flags)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack("d", a) == struct.pack("d", b) or (math.isnan(a) and math.isnan(b))
    return a is b or (a == b and repr(a) == repr(b))


# ----------------------------------------------------------------------------- odd values

class IndexLike:
    """An object with __index__ only (accepted by int fields and float fields)."""

    def __init__(self, n):
        self.n = n

    def __index__(self):
        return self.n

    def __repr__(self):
        return f"IndexLike({self.n})"


class FloatLike:
    """An object with __float__ only (accepted by float fields, rejected by int fields)."""

    def __init__(self, x):
        self.x = x

    def __float__(self):
        return self.x

    def __repr__(self):
        return f"FloatLike({self.x!r})"


class BadFloat:
    """__float__ returns a non-float: a TypeError from both modes."""

    def __float__(self):
        return 1

    def __repr__(self):
        return "BadFloat()"


class MyInt(int):
    def __repr__(self):
        return f"MyInt({int(self)})"


class MyFloat(float):
    def __repr__(self):
        return f"MyFloat({float(self)!r})"


class MyStr(str):
    """A str subclass: stored by Str[N] and str fields as a plain str."""


class MyBytes(bytes):
    """A bytes subclass: stored as plain bytes."""


class MyDateTime(datetime.datetime):
    """A datetime subclass: time fields store (and read back) the plain type."""


class MyDate(datetime.date):
    pass


class Thing:
    """A user class for an object field (compared and hashed by value, picklable)."""

    def __init__(self, n):
        self.n = n

    def __eq__(self, other):
        return self.n == other.n if isinstance(other, Thing) else NotImplemented

    def __lt__(self, other):
        return self.n < other.n if isinstance(other, Thing) else NotImplemented

    def __hash__(self):
        return hash(self.n)

    def __repr__(self):
        return f"{type(self).__name__}({self.n})"


class SubThing(Thing):
    pass


class Loose:
    """== returns an int, not a bool (numpy arrays and SQL expression objects do likewise): a
    record's == must still give a bool, as a dataclass's tuple comparison does."""

    def __init__(self, n):
        self.n = n

    def __eq__(self, other):
        return int(self.n == other.n) if isinstance(other, Loose) else NotImplemented

    def __hash__(self):
        return hash(self.n)

    def __repr__(self):
        return f"Loose({self.n})"


# The enums enum fields are declared with (here, so the generated module can import them).
class Side(enum.IntEnum):       # no member has code 0: the zero is None
    BUY = 1
    SELL = 2


class Perm(enum.IntFlag):       # any combination of the bits, 0 included
    X = 1
    W = 2
    R = 4


class Color(enum.Enum):         # str values: stored as the definition index
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


class Level(enum.Enum):         # int values, not int-derived: no plain ints accepted
    LOW = 10
    HIGH = 20


def _numpy_values():
    try:
        import numpy as np
    except ImportError:
        return []
    return [np.int64(7), np.uint8(200), np.float64(2.5), np.float32(0.1), np.bool_(True)]


F32_EDGES = [3.4028234663852886e38, 3.4028235677973362e38, 3.4028235677973366e38, 1e39,
             -1e39, 1.401298464324817e-45, 1e-46, 0.1, 16777217.0]
FLOAT_EDGES = [0.0, -0.0, math.nan, math.inf, -math.inf, 5e-324, 1.7976931348623157e308,
               -1.7976931348623157e308, 2.0**53 + 1, *F32_EDGES]
HUGE_INTS = [2**63, -2**63 - 1, 2**64, -2**64, 2**100, -2**100, 2**1024, 10**400]
OTHER_VALUES = [None, "1", b"1", 1j, Decimal("1.5"), Fraction(1, 3), [], (), object,
                IndexLike(3), IndexLike(-1), IndexLike(2**70), FloatLike(2.5),
                FloatLike(math.nan), BadFloat(), MyInt(5), MyFloat(1.25), True, False,
                MyStr("my"), MyBytes(b"my"), bytearray(b"ab"), Thing(1), Loose(1), Side.BUY,
                Color.RED, datetime.datetime(2000, 1, 1), datetime.date(2000, 1, 1),
                datetime.timedelta(1), *_numpy_values()]


def _nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


# -- numbers

INT_RANGES = {
    "i8": (-2**7, 2**7 - 1), "i16": (-2**15, 2**15 - 1), "i32": (-2**31, 2**31 - 1),
    "i64": (-2**63, 2**63 - 1), "int": (-2**63, 2**63 - 1),
    "u8": (0, 2**8 - 1), "u16": (0, 2**16 - 1), "u32": (0, 2**32 - 1), "u64": (0, 2**64 - 1),
}


def f32_round(d: float) -> float:
    f = struct.unpack("f", struct.pack("f", d))[0]
    if math.isinf(f) and not math.isinf(d):
        raise Unconvertible(OverflowError)
    return f


def int_convert(lo, hi):
    def convert(value):
        if isinstance(value, float):
            raise Unconvertible(TypeError)
        try:
            number = operator.index(value)
        except TypeError:
            raise Unconvertible(TypeError) from None
        if not lo <= number <= hi:
            raise Unconvertible(OverflowError)
        return int(number)
    return convert


def float_convert(width):
    def convert(value):
        # what PyFloat_AsDouble takes
        if isinstance(value, float):
            d = float(value)
        elif hasattr(type(value), "__float__"):
            try:
                d = type(value).__float__(value)
            except OverflowError:
                raise Unconvertible(OverflowError) from None
            if not isinstance(d, float):
                raise Unconvertible(TypeError)
            d = float(d)
        elif hasattr(type(value), "__index__"):
            try:
                d = float(operator.index(value))
            except OverflowError:
                raise Unconvertible(OverflowError) from None
        else:
            raise Unconvertible(TypeError)
        return f32_round(d) if width == 32 else d
    return convert


def bool_convert(value):
    if value is True or value is False:
        return value
    raise Unconvertible(TypeError)


def int_values(lo, hi):
    return st.one_of(st.integers(lo, hi),
                     st.sampled_from([lo, hi, lo - 1, hi + 1, 0, -1, 1, *HUGE_INTS]))


def _common_odd():
    return st.one_of(st.sampled_from(OTHER_VALUES), st.floats(), int_values(*INT_RANGES["i64"]))


for _name, (_lo, _hi) in INT_RANGES.items():
    model(_name, source="_b.int" if _name == "int" else f"_c.{_name}",
          valid=lambda lo=_lo, hi=_hi: st.one_of(st.integers(lo, hi),
                                                 st.sampled_from([lo, hi, 0])),
          odd=lambda lo=_lo, hi=_hi: st.one_of(int_values(lo, hi), _common_odd()),
          convert=int_convert(_lo, _hi), zero=0)
for _name, _width in (("f32", 32), ("f64", 64), ("float", 64)):
    model(_name, source="_b.float" if _name == "float" else f"_c.{_name}",
          valid=lambda w=_width: st.one_of(st.floats(width=w),
                                           st.sampled_from([0.0, -0.0, math.nan, math.inf])),
          odd=lambda w=_width: st.one_of(st.floats(width=w), st.floats(),
                                         st.sampled_from(FLOAT_EDGES), st.integers(-2**70, 2**70),
                                         st.sampled_from(HUGE_INTS), _common_odd()),
          convert=float_convert(_width), zero=0.0, nan=_nan)
model("bool", source="_b.bool", valid=st.booleans,
      odd=lambda: st.one_of(st.sampled_from([True, False, 0, 1, 2]), _common_odd()),
      convert=bool_convert, zero=False)


# -- Str[N], Bytes[N]: N bytes (UTF-8 for Str) inline, NUL padded

def chars_convert(size, py_type):
    def convert(value):
        if not isinstance(value, py_type):
            raise Unconvertible(TypeError)
        try:
            raw = value.encode("utf-8") if py_type is str else bytes(value)
        except UnicodeEncodeError:
            raise Unconvertible(ValueError) from None
        if len(raw) > size or raw.endswith(b"\0"):
            raise Unconvertible(ValueError)
        return str.__str__(value) if py_type is str else bytes(value)
    return convert


def str_edges(n) -> list:
    """At the limit, over it by one byte (ASCII, or a multi-byte character across it), NULs
    inside and at the end, non-ASCII, a lone surrogate, a subclass."""
    return ["", "a" * n, "é" * (n // 2), "€" * (n // 3), "😀" * (n // 4), "a\0b"[:n] if n > 2
            else "a", MyStr("q" * n), "a" * (n + 1), "a" * (n - 1) + "é", "é" * (n // 2 + 1),
            "ab\0", "\0", "\ud800", "x\udcff"]


def str_kind(n):
    convert = chars_convert(n, str)
    text = st.text(st.characters(codec="utf-8"), max_size=n)
    model(f"Str{n}", source=f"_c.Str[{n}]",
          valid=lambda: st.one_of(text, st.sampled_from(str_edges(n))).filter(
              lambda s: _accepts(convert, s) and type(s) is str),
          odd=lambda: st.one_of(st.sampled_from(str_edges(n)), st.text(max_size=n + 2),
                                st.sampled_from([b"ab", bytearray(b"a"), None, 1, Side.BUY])),
          convert=convert, zero="")


def bytes_edges(n) -> list:
    return [b"", b"a" * n, b"\xff" * n, b"a\0b"[:n] if n > 2 else b"\x01", MyBytes(b"m" * n),
            b"a" * (n + 1), b"ab\0", b"\0", "ab", bytearray(b"a"), memoryview(b"a"), None]


def bytes_kind(n):
    convert = chars_convert(n, bytes)
    model(f"Bytes{n}", source=f"_c.Bytes[{n}]",
          valid=lambda: st.one_of(st.binary(max_size=n), st.sampled_from(bytes_edges(n))).filter(
              lambda s: _accepts(convert, s) and type(s) is bytes),
          odd=lambda: st.one_of(st.sampled_from(bytes_edges(n)), st.binary(max_size=n + 2)),
          convert=convert, zero=b"")


def _accepts(convert, value) -> bool:
    try:
        convert(value)
        return True
    except Unconvertible:
        return False


for _n in (1, 4, 8, 16):
    str_kind(_n)
for _n in (1, 3, 8):
    bytes_kind(_n)


# -- str and bytes references, object fields

def ref_convert(py_type, optional):
    def convert(value):
        if value is None and optional:
            return None
        if isinstance(value, py_type):
            return str.__str__(value) if py_type is str else bytes(value)
        raise Unconvertible(TypeError)
    return convert


REF_ODD = [None, 1, MyStr("sub"), MyBytes(b"sub"), bytearray(b"x"), "\ud800", Side.BUY]
model("str", source="_b.str", valid=lambda: st.text(max_size=6),
      odd=lambda: st.one_of(st.sampled_from(REF_ODD), st.binary(max_size=2)),
      convert=ref_convert(str, False), zero=None, reference=True)
model("bytes", source="_b.bytes", valid=lambda: st.binary(max_size=6),
      odd=lambda: st.one_of(st.sampled_from(REF_ODD), st.text(max_size=2)),
      convert=ref_convert(bytes, False), zero=None, reference=True)
model("Optional[str]", source="_typing.Optional[_b.str]",
      valid=lambda: st.one_of(st.none(), st.text(max_size=6)),
      odd=lambda: st.one_of(st.sampled_from(REF_ODD), st.binary(max_size=2)),
      convert=ref_convert(str, True), zero=None, reference=True)


def instance_convert(classes):
    def convert(value):
        if classes is None or isinstance(value, classes):
            return value
        raise Unconvertible(TypeError)
    return convert


ANY_VALUES = [None, 0, 1, -1, 2**70, 0.5, -0.0, math.nan, math.inf, "", "a", b"b", (1, 2),
              True, Thing(0), Thing(2), Loose(0), Loose(1), Side.SELL, Color.BLUE]
model("list[int]", source="_b.list[_b.int]",
      valid=lambda: st.lists(st.integers(-3, 3), max_size=3),
      odd=lambda: st.sampled_from([(1,), None, "ab", {1: 2}, [1.5], [None]]),
      convert=instance_convert(list), zero=None, reference=True, cyclic=True)
model("Any", source="_typing.Any",
      valid=lambda: st.one_of(st.sampled_from(ANY_VALUES), st.integers(), st.floats(),
                              st.text(max_size=3), st.lists(st.integers(0, 2), max_size=2),
                              st.integers(0, 2).map(Loose), st.integers(0, 2).map(Thing)),
      odd=lambda: st.sampled_from(ANY_VALUES + OTHER_VALUES[:6]),
      convert=instance_convert(None), zero=None, reference=True, cyclic=True)
model("Thing", source="_T.Thing",
      valid=lambda: st.integers(0, 3).map(Thing),
      odd=lambda: st.one_of(st.integers(0, 3).map(SubThing),
                            st.sampled_from([None, 1, "Thing", Loose(1)])),
      convert=instance_convert(Thing), zero=None, reference=True, cyclic=True)


# -- times

UTC = datetime.timezone.utc
ZONES = [UTC, datetime.timezone(datetime.timedelta(hours=5, minutes=30)),
         datetime.timezone(-datetime.timedelta(hours=8)), datetime.timezone.min]
INT64 = (-2**63, 2**63 - 1)


def naive_convert(value):
    if not isinstance(value, datetime.datetime) or value.utcoffset() is not None:
        raise Unconvertible(TypeError)
    return datetime.datetime(*value.timetuple()[:6], value.microsecond)


def utc_convert(value):
    if not isinstance(value, datetime.datetime) or value.utcoffset() is None:
        raise Unconvertible(TypeError)
    try:
        instant = datetime.datetime(*value.timetuple()[:6], value.microsecond) - value.utcoffset()
    except OverflowError:
        raise Unconvertible(OverflowError) from None
    return instant.replace(tzinfo=UTC)


def date_convert(value):
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        raise Unconvertible(TypeError)
    return datetime.date(value.year, value.month, value.day)


def timedelta_convert(value):
    if not isinstance(value, datetime.timedelta):
        raise Unconvertible(TypeError)
    us = (value.days * 86400 + value.seconds) * 10**6 + value.microseconds
    if not INT64[0] <= us <= INT64[1]:
        raise Unconvertible(OverflowError)
    return datetime.timedelta(microseconds=us)


DT_MIN, DT_MAX = datetime.datetime.min, datetime.datetime.max
TIME_ODD = [None, 0, "2000-01-01", 1.5, datetime.date(2000, 1, 1), datetime.time(1),
            datetime.timedelta(1)]
model("datetime", source="_dt.datetime",
      valid=lambda: st.one_of(st.datetimes(), st.sampled_from(
          [DT_MIN, DT_MAX, datetime.datetime(1970, 1, 1), datetime.datetime(2024, 11, 3, 1, 30,
                                                                           fold=1)])),
      odd=lambda: st.one_of(st.datetimes(timezones=st.sampled_from(ZONES)),
                            st.sampled_from(TIME_ODD + [MyDateTime(2001, 2, 3, 4, 5, 6, 7)])),
      convert=naive_convert, zero=datetime.datetime(1970, 1, 1))
model("UTCDateTime", source="_c.UTCDateTime",
      valid=lambda: st.one_of(
          st.datetimes(datetime.datetime(1, 1, 2), datetime.datetime(9999, 12, 30),
                       timezones=st.sampled_from(ZONES)),
          st.sampled_from([DT_MIN.replace(tzinfo=UTC), DT_MAX.replace(tzinfo=UTC)])),
      odd=lambda: st.one_of(st.datetimes(timezones=st.sampled_from(ZONES)), st.datetimes(),
                            st.sampled_from(TIME_ODD + [MyDateTime(2001, 2, 3, tzinfo=UTC)])),
      convert=utc_convert, zero=datetime.datetime(1970, 1, 1, tzinfo=UTC))
model("date", source="_dt.date",
      valid=lambda: st.one_of(st.dates(), st.sampled_from([datetime.date.min,
                                                           datetime.date.max])),
      odd=lambda: st.one_of(st.datetimes(), st.sampled_from(TIME_ODD + [MyDate(1999, 9, 9)])),
      convert=date_convert, zero=datetime.date(1970, 1, 1))
model("timedelta", source="_dt.timedelta",
      valid=lambda: st.one_of(
          st.timedeltas(datetime.timedelta(-10**8), datetime.timedelta(10**8)),
          st.sampled_from([datetime.timedelta(0), datetime.timedelta(microseconds=INT64[1]),
                           datetime.timedelta(microseconds=INT64[0])])),
      odd=lambda: st.one_of(st.timedeltas(), st.sampled_from(
          TIME_ODD[:5] + [datetime.timedelta.max, datetime.timedelta.min,
                          datetime.timedelta(microseconds=2**63)])),
      convert=timedelta_convert, zero=datetime.timedelta(0))


# -- enums

def enum_convert(cls):
    int_derived, flag = issubclass(cls, int), issubclass(cls, enum.Flag)
    codes = {m.value for m in cls}
    all_bits = functools.reduce(operator.or_, codes) if flag else 0

    def convert(value):
        if type(value) is cls:
            return value
        if isinstance(value, enum.Enum):
            raise Unconvertible(ValueError)
        if int_derived and isinstance(value, int) and not isinstance(value, bool):
            number = operator.index(value)
            if (0 <= number and number & ~all_bits == 0) if flag else number in codes:
                return cls(number)
            raise Unconvertible(ValueError)
        raise Unconvertible(TypeError)
    return convert


ENUM_ODD = [None, 0, 3, -1, 8, 2**70, "red", 1.0, True, Side.BUY, Perm.R, Color.RED, Level.LOW,
            MyInt(2)]
for _cls, _valid, _zero in (
        (Side, [Side.BUY, Side.SELL, 1, 2], None),
        (Perm, [Perm(n) for n in range(8)] + list(range(8)), Perm(0)),
        (Color, list(Color), Color.RED),
        (Level, list(Level), None)):
    model(_cls.__name__, source=f"_T.{_cls.__name__}",
          valid=lambda v=_valid: st.sampled_from(v),
          odd=lambda v=_valid: st.sampled_from(v + ENUM_ODD), convert=enum_convert(_cls),
          zero=_zero)


# -- nested records: frozen plain-data records declared at the top of every batch module

NESTED_SOURCE = '''\
@compact(frozen=True, order=True)
class NPt:
    x: _c.i32
    y: _c.i32 = 0

@compact(frozen=True, order=True)
class NTag:
    code: _c.Str[4]
    n: _c.u8 = 0

@compact(frozen=True)
class NLabel:
    text: _c.Str[8]
    side: _T.Side = _T.Side.BUY

@compact
class Unset:
    n: _c.i32
    s: _b.str = field(init=False)

@compact(frozen=True)
class NOpt:
    v: _typing.Optional[_c.i32] = None
    s: _typing.Optional[_c.Str[4]] = None

@compact(frozen=True, order=True)
class NBox:
    at: NPt
    day: _dt.date
    tag: NTag = NTag("box")
'''
NESTED_FIELDS = {"NPt": ("i32", "i32"), "NTag": ("Str4", "u8"), "NLabel": ("Str8", "Side"),
                 "NBox": ("NPt", "date", "NTag")}


def nested_tokens(name):
    return st.tuples(*[MODEL[k].valid() for k in NESTED_FIELDS[name]]).map(
        lambda args: RecToken(name, args))


def nested_convert(name):
    def convert(value):
        if isinstance(value, RecToken):     # (a declaration's default, before the build)
            return value
        if type(value) is getattr(CURRENT["module"], name):
            return value
        raise Unconvertible(TypeError)
    return convert


for _name, _zero in (("NPt", RecToken("NPt", (0, 0))), ("NTag", RecToken("NTag", ("", 0))),
                     ("NLabel", RecToken("NLabel", None)),   # side None: Side has no code 0
                     ("NBox", RecToken("NBox", (RecToken("NPt", (0, 0)),
                                                datetime.date(1970, 1, 1),
                                                RecToken("NTag", ("", 0)))))):
    model(_name, source=_name, valid=lambda n=_name: nested_tokens(n),
          odd=lambda n=_name: st.one_of(
              nested_tokens(n).map(lambda t: RecToken(t.name, t.args, fallback=True)),
              nested_tokens("NPt" if n != "NPt" else "NTag"),
              st.sampled_from([None, (0, 0), 0, "NPt"])),
          convert=nested_convert(_name), zero=_zero)


# -- Optional[T] of inline kinds: T's value plus a presence bit (None where clear)

for _name in ("i32", "u8", "f64", "bool", "Str4", "Str8", "Bytes3", "Side", "Color",
              "datetime", "UTCDateTime", "timedelta"):
    _inner = MODEL[_name]
    model(f"Optional[{_name}]", source=f"_typing.Optional[{_inner.source}]",
          valid=lambda inner=_inner: st.one_of(st.none(), inner.valid()),
          odd=lambda inner=_inner: st.one_of(st.none(), inner.odd()),
          convert=lambda v, inner=_inner: None if v is None else inner.convert(v),
          zero=None, nan=_inner.nan)
# a nested record holding optional fields
NESTED_FIELDS["NOpt"] = ("Optional[i32]", "Optional[Str4]")
model("NOpt", source="NOpt", valid=lambda: nested_tokens("NOpt"),
      odd=lambda: st.one_of(nested_tokens("NOpt").map(
          lambda t: RecToken(t.name, t.args, fallback=True)),
          nested_tokens("NPt"), st.sampled_from([None, (None, None), 0])),
      convert=nested_convert("NOpt"), zero=RecToken("NOpt", (None, None)))
TYPE_NAMES = sorted(MODEL)


def valid_values(type_name):
    """Values the field certainly accepts (the common case of a constructor call)."""
    return MODEL[type_name].valid().map(materialize)


def field_values(type_name):
    kind = MODEL[type_name]
    return st.one_of(kind.valid(), kind.valid(), kind.odd()).map(materialize)


def token_source(value) -> str:
    """Source text of a default or a factory's return value in a declaration."""
    if type(value) is float and (math.isnan(value) or math.isinf(value)):
        return f'_b.float("{value}")'
    if type(value) in (bool, int, float, str, bytes) or value is None:
        return repr(value)
    for i, v in enumerate(OTHER_VALUES):
        if v is value:
            return f"_odd[{i}]"
    if isinstance(value, RecToken):
        return f"{value.name}({', '.join(token_source(a) for a in value.args)})"
    if isinstance(value, enum.Enum):
        return f"_T.{type(value).__name__}({value.value!r})"
    if isinstance(value, (Thing, Loose)):
        return f"_T.{type(value).__name__}({value.n!r})"
    if isinstance(value, list):
        return f"[{', '.join(token_source(v) for v in value)}]"
    if isinstance(value, tuple):
        return f"({''.join(token_source(v) + ', ' for v in value)})"
    if isinstance(value, (datetime.date, datetime.timedelta)):
        return repr(value).replace("datetime.", "_dt.")
    return repr(value)

# Field names: ordinary ones, and names generated code must not trip over (method parameters,
# C keywords and macros, builtins).
FIELD_NAMES = [
    "x", "y", "z", "a", "b", "c", "t", "n", "value", "other", "self", "name", "cls", "o",
    "values", "args", "kwargs", "closure", "nitems", "int", "float", "bool", "type", "object",
    "hash", "repr", "copy", "index", "len", "char", "double", "struct", "NULL", "EOF", "linux",
    "unix", "errno", "INT32_MAX", "print", "exec", "gil", "nogil", "mass", "x_1", "Xy",
]


# ----------------------------------------------------------------------------- declarations

NO_DEFAULT = "<no default>"

# Defaults finalize() gives a field that needs one, where the kind's zero is no valid value.
FILLER_DEFAULTS = {"Side": Side.BUY, "Level": Level.LOW, "str": "", "bytes": b"",
                   "Thing": Thing(0), "list[int]": OTHER_VALUES[OTHER_VALUES.index([])],
                   "NLabel": RecToken("NLabel", ("", Side.BUY))}


@dataclass
class FieldDecl:
    name: str
    type_name: str
    default: Any = NO_DEFAULT          # a literal default (a token, valid for the type)
    factory_value: Any = NO_DEFAULT    # default_factory returning this (may be invalid)
    use_field: bool = False            # write field(...) even without flags
    init: bool = True
    repr: bool = True
    compare: bool = True
    hash: Optional[bool] = None
    kw_only: Optional[bool] = None     # None: not given to field()
    # filled in by finalize()
    kw_only_effective: bool = False

    @property
    def kind(self) -> ModelKind:
        return MODEL[self.type_name]

    @property
    def has_default(self):
        return self.default is not NO_DEFAULT or self.factory_value is not NO_DEFAULT

    @property
    def left_at_zero(self):
        """init=False without a default: the field holds its kind's zero."""
        return not self.init and not self.has_default

    def flags(self) -> dict:
        flags = {}
        for name, normal in (("init", True), ("repr", True), ("compare", True), ("hash", None)):
            if getattr(self, name) != normal:
                flags[name] = getattr(self, name)
        if self.kw_only is not None:
            flags["kw_only"] = self.kw_only
        return flags


@dataclass
class InitVarDecl:
    """``iv: InitVar[int]`` (a default written plainly or with field(), maybe kw_only), and a
    ``__post_init__(self, iv)`` that writes iv into field ``target`` (the first integer field,
    if any) with ``object.__setattr__``, frozen or not: the write is checked as any other."""

    default: Any = NO_DEFAULT          # None or an int valid for the target
    use_field: bool = False
    kw_only: Optional[bool] = None
    name: str = "iv"
    init: bool = True
    target: Optional[FieldDecl] = None
    kw_only_effective: bool = False
    frozen: bool = False               # (of the record: a frozen one writes object.__setattr__)

    @property
    def has_default(self):
        return self.default is not NO_DEFAULT

    left_at_zero = False

    def values(self, valid_only: bool):
        good = st.none() if self.target is None else \
            st.one_of(st.none(), self.target.kind.valid())
        if valid_only:
            return good
        return st.one_of(good, st.integers(-2**70, 2**70),
                         st.sampled_from([2**63, 256, -1, "x", 1.5]))

    def source(self) -> list:
        annotation = "_dc.InitVar[_b.int]"
        if not self.has_default and self.kw_only is None:
            line = f"{self.name}: {annotation}"
        elif not self.use_field and self.kw_only is None:
            line = f"{self.name}: {annotation} = {self.default!r}"
        else:
            args = ({"default": repr(self.default)} if self.has_default else {}) | \
                ({"kw_only": repr(self.kw_only)} if self.kw_only is not None else {})
            text = ", ".join(f"{k}={v}" for k, v in args.items())
            line = f"{self.name}: {annotation} = field({text})"
        return [line, *self.post_init_source()]

    def post_init_source(self) -> list:
        if self.target is None:
            return [f"def __post_init__(self, {self.name}):", "    pass"]
        write = f"_b.object.__setattr__(self, {self.target.name!r}, {self.name})" \
            if self.frozen else f"self.{self.target.name} = {self.name}"
        body = [f"if {self.name} is not None:", f"    {write}"]
        return [f"def __post_init__(self, {self.name}):", *("    " + line for line in body)]

    def post_init(self):
        """The same __post_init__ for the dataclass twin."""
        namespace = {}
        exec("\n".join(self.post_init_source()), {"_b": builtins}, namespace)
        return namespace["__post_init__"]


@dataclass
class RecordDecl:
    name: str
    fields: list                      # own fields, declared order
    options: dict                     # @compact options given
    base_choice: int                  # < 0: no base; else picks an earlier record
    kw_only_marker: int = -1          # index in fields before which `_: KW_ONLY` is written
    base: Optional["RecordDecl"] = None
    init_var: Optional[InitVarDecl] = None   # (records with one neither inherit nor are bases)

    def opt(self, name):
        defaults = {"init": True, "repr": True, "eq": True, "order": False,
                    "unsafe_hash": False, "frozen": False, "match_args": True,
                    "kw_only": False, "weakref_slot": False}
        return self.options.get(name, defaults[name])

    @property
    def all_fields(self) -> list:
        return (self.base.all_fields if self.base else []) + self.fields

    @property
    def init_params(self) -> list:
        """The fields and the InitVar, in dataclass order (the InitVar is declared last)."""
        return self.all_fields + ([self.init_var] if self.init_var else [])

    @property
    def has_weakref(self) -> bool:
        return self.opt("weakref_slot") or (self.base is not None and self.base.has_weakref)

    @property
    def tracked(self) -> bool:
        return any(f.kind.cyclic for f in self.all_fields)


def _hashable(token) -> bool:
    return type(token).__hash__ is not None


@st.composite
def field_decls(draw, name):
    type_name = draw(st.sampled_from(TYPE_NAMES))
    f = FieldDecl(name, type_name)
    kind = draw(st.sampled_from(["none", "none", "literal", "literal", "field", "factory"]))
    if kind in ("literal", "field"):
        token = draw(f.kind.valid().filter(lambda v: _convertible(type_name, v)))
        if _hashable(token):
            f.default, f.use_field = token, kind == "field"
        else:   # a mutable default is refused (by dataclasses too): a factory makes it
            f.factory_value = token
    elif kind == "factory":
        f.factory_value = draw(st.one_of(f.kind.valid(), f.kind.valid(),
                                         st.sampled_from(OTHER_VALUES)))
    if draw(st.integers(0, 3)) == 0:
        f.init = draw(st.booleans())
        f.repr = draw(st.booleans())
        f.compare = draw(st.booleans())
        f.hash = draw(st.sampled_from([None, True, False]))
        f.kw_only = draw(st.sampled_from([None, True, False]))
    return f


def _convertible(type_name, value) -> bool:
    try:
        model_convert(type_name, value)
        return True
    except Unconvertible:
        return False


# make_dataclass(weakref_slot=) needs Python 3.11
OPTIONS_DRAWN = ("frozen", "eq", "order", "unsafe_hash", "kw_only", "repr", "match_args",
                 *(("weakref_slot",) if sys.version_info >= (3, 11) else ()))


@st.composite
def record_decls(draw):
    count = draw(st.integers(1, 12))
    names = draw(st.lists(st.sampled_from(FIELD_NAMES), min_size=count, max_size=count,
                          unique=True))
    fields = [draw(field_decls(name)) for name in names]
    options = {}
    for option in OPTIONS_DRAWN:
        if draw(st.integers(0, 3)) == 0:
            options[option] = draw(st.booleans())
    base_choice = draw(st.integers(-8, 3))  # about a third of the records inherit
    marker = draw(st.integers(-8, count - 1))
    init_var = None
    if draw(st.integers(0, 5)) == 0:
        init_var = InitVarDecl(default=draw(st.sampled_from([NO_DEFAULT, NO_DEFAULT, None, 0])),
                               use_field=draw(st.booleans()),
                               kw_only=draw(st.sampled_from([None, None, True])))
    return RecordDecl("", fields, options, base_choice, max(marker, -1), init_var=init_var)


MAX_DEPTH = 2  # a record's base may have a base, no deeper


def depth(r: RecordDecl) -> int:
    return 0 if r.base is None else 1 + depth(r.base)


def give_default(f) -> None:
    token = FILLER_DEFAULTS.get(f.type_name, f.kind.zero)
    if _hashable(token):
        f.default = token
    else:
        f.factory_value = token


def finalize(records: list) -> list:
    """Name the records, pick bases, and make every declaration valid (deterministically)."""
    for i, r in enumerate(records):
        r.name, r.base = f"R{i}", None
        if r.options.get("order") and r.options.get("eq") is False:
            r.options["eq"] = True
        # shallow hierarchies of moderate size: generated code grows with every inherited field
        candidates = [b for b in records[:i] if b.opt("frozen") == r.opt("frozen")
                      and depth(b) < MAX_DEPTH and len(b.all_fields) + len(r.fields) <= 24
                      and b.init_var is None]
        if r.base_choice >= 0 and candidates and r.init_var is None:
            r.base = candidates[-1 - r.base_choice % len(candidates)]
        taken = {f.name for f in (r.base.all_fields if r.base else [])}
        for f in r.fields:  # a record cannot redefine an inherited field
            while f.name in taken:
                f.name += "_"
            taken.add(f.name)
        after_marker = False
        for j, f in enumerate(r.fields):
            after_marker = after_marker or j == r.kw_only_marker
            f.kw_only_effective = f.kw_only if f.kw_only is not None else (
                after_marker or r.opt("kw_only"))
        iv = r.init_var
        if iv is not None:
            iv.kw_only_effective = iv.kw_only if iv.kw_only is not None else (
                r.kw_only_marker >= 0 or r.opt("kw_only"))
            iv.target = next((f for f in r.fields if f.type_name in INT_RANGES), None)
            iv.frozen = r.opt("frozen")
            if iv.target is None and iv.default not in (NO_DEFAULT, None):
                iv.default = None
        seen_default = False
        for f in r.init_params:
            if f.left_at_zero and f.kind.zero is NO_ZERO:
                give_default(f)
            if not f.init or f.kw_only_effective:
                continue
            if f.has_default:
                seen_default = True
            elif seen_default:
                if f is iv:
                    iv.default = None
                else:
                    give_default(f)
    return records


def field_source(f: FieldDecl, factory_name: str) -> str:
    annotation = f.kind.source
    args = {k: repr(v) for k, v in f.flags().items()}
    if f.default is not NO_DEFAULT:
        if not args and not f.use_field:
            return f"{f.name}: {annotation} = {token_source(f.default)}"
        args = {"default": token_source(f.default), **args}
    elif f.factory_value is not NO_DEFAULT:
        args = {"default_factory": factory_name, **args}
    elif not args:
        return f"{f.name}: {annotation}"
    text = ", ".join(f"{k}={v}" for k, v in args.items())
    return f"{f.name}: {annotation} = field({text})"


def record_source(r: RecordDecl) -> str:
    lines = []
    for f in r.fields:
        if f.factory_value is not NO_DEFAULT:
            lines.append(f"def _{r.name}_{f.name}_factory():")
            lines.append(f"    return {token_source(f.factory_value)}")
    options = ", ".join(f"{k}={v}" for k, v in r.options.items())
    lines.append(f"@compact({options})" if options else "@compact")
    lines.append(f"class {r.name}({r.base.name}):" if r.base else f"class {r.name}:")
    for j, f in enumerate(r.fields):
        if j == r.kw_only_marker:
            lines.append("    _: KW_ONLY")
        lines.append("    " + field_source(f, f"_{r.name}_{f.name}_factory"))
    if r.init_var is not None:
        lines += ["    " + line for line in r.init_var.source()]
    return "\n".join(lines) + "\n"


def module_source(records: list) -> str:
    head = [
        f'"""Differential-test declarations (seed {SEED}, profile {PROFILE_NAME})."""',
        "import builtins as _b",
        "import dataclasses as _dc",
        "import datetime as _dt",
        "import typing as _typing",
        "from dataclasses import KW_ONLY",
        "import compactclass as _c",
        "from compactclass import compact, field",
        "import test_differential as _T",
        "from test_differential import OTHER_VALUES as _odd",
        "", "", NESTED_SOURCE, ""]
    return "\n".join(head) + "\n\n".join(record_source(r) for r in records)


def draw_declarations(count: int) -> list:
    """``count`` declarations from Hypothesis, reproducibly from SEED."""
    drawn = []

    @seed(SEED)
    @settings(max_examples=count, phases=[Phase.generate], database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(record_decls())
    def collect(record):
        drawn.append(record)

    collect()
    rng = random.Random(SEED)
    while len(drawn) < count:  # Hypothesis may stop early when it runs out of new examples
        drawn.append(rng.choice(drawn))
    records = [clone(r) for r in drawn[:count]]
    # every kind is declared at least once, whatever the draw (one plain field each, added
    # round-robin; finalize makes the declarations valid)
    present = {f.type_name for r in records for f in r.fields}
    for k, type_name in enumerate(t for t in TYPE_NAMES if t not in present):
        records[k % len(records)].fields.append(FieldDecl(f"covering{k}", type_name))
    return records


def clone(r: RecordDecl) -> RecordDecl:
    """A copy whose fields can be fixed up independently (values are shared: the odd values
    are looked up by identity)."""
    return dataclasses.replace(r, fields=[dataclasses.replace(f) for f in r.fields],
                               options=dict(r.options),
                               init_var=r.init_var and dataclasses.replace(r.init_var))


# ----------------------------------------------------------------------------- the twin

def model_default(f):
    """The value a field gets when its argument is left out (may raise Unconvertible)."""
    if f.default is not NO_DEFAULT:
        return model_convert(f.type_name, materialize(f.default))
    if f.factory_value is not NO_DEFAULT:
        return model_convert(f.type_name, materialize(f.factory_value))
    return materialize(f.kind.zero)


def make_twin(r: RecordDecl, twins: dict):
    fields = []
    for f in r.fields:
        kwargs = dict(init=f.init, repr=f.repr, compare=f.compare, hash=f.hash,
                      kw_only=f.kw_only_effective)
        if f.default is not NO_DEFAULT:
            kwargs["default"] = model_default(f)
        elif f.factory_value is not NO_DEFAULT:
            kwargs["default_factory"] = functools.partial(model_default, f)
        fields.append((f.name, object, dataclasses.field(**kwargs)))
    namespace = {}
    iv = r.init_var
    if iv is not None:
        kwargs = {"kw_only": iv.kw_only_effective}
        if iv.has_default:
            kwargs["default"] = iv.default
        fields.append((iv.name, dataclasses.InitVar[int], dataclasses.field(**kwargs)))
        namespace["__post_init__"] = iv.post_init()
    options = {k: v for k, v in r.options.items() if k != "weakref_slot"}
    if r.opt("weakref_slot") and not (r.base and r.base.has_weakref):
        options["weakref_slot"] = True
    return dataclasses.make_dataclass(r.name, fields, bases=(twins[r.base.name],) if r.base
                                      else (), namespace=namespace, slots=True, **options)

# ----------------------------------------------------------------------------- building

@dataclass
class Batch:
    index: int
    module: Any
    source: str
    records: list
    twins: dict


def _build_all(builder, batches_records: list) -> list:
    """Write one declaration module per batch and compile them, two compilers at a time."""
    names, paths = [], []
    for i, records in enumerate(batches_records):
        name, path = builder.write(module_source(records), name=f"diff_s{SEED}_b{i}")
        names.append(name)
        paths.append(str(path))
    env = dict(os.environ, CFLAGS=f"{os.environ.get('CFLAGS', '')} {OPT_FLAG}".strip())
    env["PYTHONPATH"] = os.pathsep.join([os.path.dirname(__file__), str(builder.folder),
                                         env.get("PYTHONPATH", "")])
    jobs = [paths[k::2] for k in range(2)]
    procs = [subprocess.Popen([sys.executable, "-m", "compactclass", "build", *job], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for job in jobs if job]
    for proc in procs:
        output = proc.communicate()[0]
        assert proc.returncode == 0, f"batch build failed (seed {SEED}):\n{output[-6000:]}"
    modules = []
    for name in names:
        sys.modules.pop(name, None)
        modules.append(importlib.import_module(name))
    return modules


@pytest.fixture(scope="module")
def batches(builder):
    n, per = PROFILE["batches"], PROFILE["per_batch"]
    records = draw_declarations(n * per)
    # Bases live in the same batch: cut the list into batches, then re-pick bases inside each.
    grouped = [finalize(records[i * per:(i + 1) * per]) for i in range(n)]
    modules = _build_all(builder, grouped)
    result = []
    for i, (module, group) in enumerate(zip(modules, grouped)):
        CURRENT["module"] = module      # (defaults of nested record fields)
        twins = {}
        for r in group:
            twins[r.name] = make_twin(r, twins)
        result.append(Batch(i, module, module_source(group), group, twins))
    return result


def reproduce_note(batch: Batch, r: RecordDecl) -> str:
    chain, base = [], r.base
    while base is not None:
        chain.insert(0, record_source(base))
        base = base.base
    return (f"record {r.name} of batch {batch.index} (profile {PROFILE_NAME}; replay the "
            f"declarations with COMPACTCLASS_DIFF_SEED={SEED}):\n"
            + textwrap.indent("".join(chain) + record_source(r), "    "))


# ----------------------------------------------------------------------------- comparing

def outcome(fn):
    """("ok", result) or (exception type, message)."""
    try:
        return "ok", fn()
    except Exception as exc:  # noqa: BLE001 - every exception is part of the comparison
        return type(exc), str(exc)


def normalise(message: str, cls) -> str:
    """CPython names a static type by its tp_name ("mod.R"); heap types by "R"."""
    return message.replace(f"'{cls.__module__}.{cls.__qualname__}'", f"'{cls.__qualname__}'")


def same_outcome(a, b, classes=()) -> bool:
    if a[0] == "ok" or b[0] == "ok":
        return a[0] == b[0] == "ok"
    text_a, text_b = a[1], b[1]
    for cls in classes:
        text_a, text_b = normalise(text_a, cls), normalise(text_b, cls)
    return a[0] is b[0] and text_a == text_b


def check_same(label, a, b, classes=()):
    assert same_outcome(a, b, classes), f"{label}: compiled gave {a!r}, other gave {b!r}"


def stored(obj, fields) -> tuple:
    return tuple(getattr(obj, f.name) for f in fields)


def assert_stored(label, obj, fields, expected):
    got = stored(obj, fields)
    assert all(same_value(g, e) for g, e in zip(got, expected)), \
        f"{label}: stored {got!r}, the model says {expected!r}"


def has_nan(fields, obj) -> bool:
    """Whether a field of obj holds a value a dataclass's tuple comparison sees as equal to
    itself while the compact record cannot (a NaN in an inline float field: compiled reads box
    a new float each time)."""
    return any(f.kind.nan(getattr(obj, f.name)) for f in fields)


class ModeSwap:
    """Make ``module.Name`` resolve to ``cls`` while pickling/unpickling (cross-mode pickles)."""

    def __init__(self, module, name, cls):
        self.module, self.name, self.cls = module, name, cls

    def __enter__(self):
        self.saved = getattr(self.module, self.name)
        setattr(self.module, self.name, self.cls)

    def __exit__(self, *exc):
        setattr(self.module, self.name, self.saved)


# ----------------------------------------------------------------------------- class-level

def plain_signature(cls) -> list:
    """Parameter names, kinds and defaults (annotations differ: Annotated[int, i32] vs int)."""
    return [(p.name, p.kind, repr(p.default)) for p in inspect.signature(cls).parameters.values()]


def check_class_level(r: RecordDecl, C, F, D):
    assert compactclass.is_compiled(C) and not compactclass.is_compiled(F)
    for cls in (C, F):
        assert cls.__name__ == D.__name__ and cls.__qualname__ == D.__qualname__
        assert dataclasses.is_dataclass(cls)
        assert [(f.name, f.init, f.repr, f.compare, f.hash, f.kw_only)
                for f in dataclasses.fields(cls)] == \
               [(f.name, f.init, f.repr, f.compare, f.hash, f.kw_only)
                for f in dataclasses.fields(D)]
        assert plain_signature(cls) == plain_signature(D), \
            f"signature: {inspect.signature(cls)} != dataclass {inspect.signature(D)}"
        assert getattr(cls, "__match_args__", None) == getattr(D, "__match_args__", None)
        assert (cls.__hash__ is None) == (D.__hash__ is None)
        for option in ("eq", "order", "frozen", "unsafe_hash", "init", "repr"):
            assert getattr(cls.__dataclass_params__, option) == \
                getattr(D.__dataclass_params__, option), option
        if r.init_var is not None:  # an InitVar's default stays a class attribute, as there
            assert repr(getattr(cls, r.init_var.name, "<none>")) == \
                repr(getattr(D, r.init_var.name, "<none>"))
    assert C.__doc__ == F.__doc__
    assert C.__module__ == F.__module__


def call_args(data, r: RecordDecl, valid_only=False):
    """Draw a call: one value per init field (some left to their defaults), positional where
    allowed, and sometimes a mistake in the call itself."""
    args, kwargs, values = [], {}, {}
    positional_ok = True
    for f in r.init_params:
        if not f.init:
            continue
        if f.has_default and not valid_only and data.draw(st.integers(0, 3)) == 0:
            positional_ok = False  # later positional args would shift: use keywords from here
            continue
        if f is r.init_var:
            strategy = f.values(valid_only)
        else:
            strategy = valid_values(f.type_name) if valid_only else field_values(f.type_name)
        value = data.draw(strategy, label=f.name)
        values[f.name] = value
        if not f.kw_only_effective and positional_ok and data.draw(st.booleans()):
            args.append(value)
        else:
            positional_ok = False
            kwargs[f.name] = value
    if not valid_only:
        mistake = data.draw(st.integers(0, 14))
        if mistake == 0:
            kwargs["no_such_field"] = 1
        elif mistake == 1:
            args.append(0)
        elif mistake == 2 and args:
            # (the first positional parameter: a field or the InitVar, in dataclass order)
            first_positional = next(f for f in r.init_params if f.init and not f.kw_only_effective)
            kwargs[first_positional.name] = args[0]
        elif mistake == 3:
            init_off = [f for f in r.all_fields if not f.init]
            if init_off:
                kwargs[init_off[0].name] = 0
    return args, kwargs, values


def expected_values(r: RecordDecl, given: dict):
    """The model's stored value of every field, or the Unconvertible a call must raise: each
    field from its argument or default, then what __post_init__ writes."""
    result = []
    for f in r.all_fields:
        try:
            result.append(model_convert(f.type_name, given[f.name]) if f.name in given
                          else model_default(f))
        except Unconvertible as verdict:
            raise Unconvertible(verdict.exc_type, f.name) from None
    iv = r.init_var
    if iv is not None and iv.target is not None:
        value = given.get(iv.name, iv.default)
        if value is not None:
            try:
                written = model_convert(iv.target.type_name, value)
            except Unconvertible as verdict:
                raise Unconvertible(verdict.exc_type, iv.target.name) from None
            result = [written if f is iv.target else v for f, v in zip(r.all_fields, result)]
    return tuple(result)


def twin_of(r: RecordDecl, D, c, values, given: dict):
    """The dataclass twin of compact record c: it holds the model's values, but the record's
    own objects where a field holds references (a factory's new list, a default's NaN)."""
    held = [getattr(c, f.name) if f.kind.reference else v for f, v in zip(r.all_fields, values)]
    kwargs = {f.name: v for f, v in zip(r.all_fields, held) if f.init}
    if r.init_var is not None:
        kwargs[r.init_var.name] = None      # (its effect is in values already)
    d = D(**kwargs)
    for f, v in zip(r.all_fields, held):
        if not f.init:
            object.__setattr__(d, f.name, v)
    return d


def binding_error(D, args, kwargs):
    """The TypeError the plain dataclass raises for this call's shape, if any."""
    try:
        inspect.signature(D).bind(*args, **kwargs)
        return None
    except TypeError:
        return outcome(lambda: D(*args, **kwargs))


def construct(r, C, F, D, args, kwargs, given):
    """Construct in all three; check they agree. Returns (c, f, d, values) or None."""
    classes = (C, F, D)
    oc, of = outcome(lambda: C(*args, **kwargs)), outcome(lambda: F(*args, **kwargs))
    check_same("construct", oc, of, classes)
    bind = binding_error(D, args, kwargs)
    if bind is not None:
        check_same("argument binding (vs dataclass)", oc, bind, classes)
        return None
    # what each parameter got (a stray extra positional may bind to a defaulted field)
    given = dict(inspect.signature(D).bind(*args, **kwargs).arguments)
    try:
        values = expected_values(r, given)
    except Unconvertible as verdict:
        assert oc[0] is verdict.exc_type, \
            f"construct: the model expects {verdict} for field {verdict.field_name}, got {oc!r}"
        assert f"{C.__qualname__}.{verdict.field_name}" in oc[1], \
            f"the message does not name the field at fault ({verdict.field_name}): {oc[1]!r}"
        return None
    assert oc[0] == "ok", f"construct: the model accepts, compiled raised {oc!r}"
    c, f = oc[1], of[1]
    fields = r.all_fields
    assert type(c) is C and type(f) is F
    assert_stored("compiled", c, fields, values)
    assert_stored("fallback", f, fields, values)
    return c, f, twin_of(r, D, c, values, given), values


def check_instance(r, C, F, D, c, f, d, values):
    classes = (C, F, D)
    fields = r.all_fields
    check_same("repr", outcome(lambda: repr(c)), outcome(lambda: repr(f)), classes)
    if r.opt("repr"):
        assert repr(c) == repr(f) == repr(d)
    assert dataclasses.astuple(c) == dataclasses.astuple(f) or has_nan(fields, c)
    assert repr(dataclasses.astuple(c)) == repr(dataclasses.astuple(f)) \
        == repr(dataclasses.astuple(d))
    assert repr(dataclasses.asdict(c)) == repr(dataclasses.asdict(f)) \
        == repr(dataclasses.asdict(d))
    assert gc.is_tracked(c) is r.tracked
    if not r.tracked:
        assert sys.getsizeof(c) == compactclass.layout(C).instance_size
    # hashing
    oc, of, od = (outcome(lambda x=x: hash(x)) for x in (c, f, d))
    check_same("hash", oc, of, classes)
    check_same("hash (vs dataclass)", oc, od, classes)
    hashed = [fd for fd in fields if (fd.compare if fd.hash is None else fd.hash)]
    field_hash = D.__hash__ is not None and D.__hash__ is not object.__hash__
    if oc[0] == "ok" and field_hash and not has_nan(hashed, c):
        assert oc == of == od, f"hash: compiled {oc}, fallback {of}, dataclass {od}"
    # weak references
    check_same("weakref", outcome(lambda: weakref.ref(c) and None),
               outcome(lambda: weakref.ref(f) and None), classes)
    check_same("weakref (vs dataclass)", outcome(lambda: weakref.ref(c) and None),
               outcome(lambda: weakref.ref(d) and None), classes)
    # copies and pickles keep the type and the values (cross-mode too)
    if unrestorable_zero(r):    # a known limitation (test_unrestorable_zero_copies): the
        # two modes must fail alike
        for make in (copy.copy, copy.deepcopy):
            check_same("copy/pickle of an unrestorable zero", outcome(lambda: make(c) and None),
                       outcome(lambda: make(f) and None), classes)
        return
    for make in (copy.copy, copy.deepcopy):
        cc, ff = make(c), make(f)
        assert type(cc) is C and type(ff) is F and cc is not c
        assert_stored(make.__name__, cc, fields, values)
        assert_stored(make.__name__, ff, fields, values)
    module = sys.modules[C.__module__]
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        blob = pickle.dumps(c, protocol)
        back = pickle.loads(blob)
        assert type(back) is C
        assert_stored(f"pickle protocol {protocol}", back, fields, values)
    with ModeSwap(module, C.__name__, F):
        from_fallback = pickle.dumps(f)
        as_fallback = pickle.loads(blob)   # a compiled record's pickle, loaded in pure mode
    assert type(as_fallback) is F
    assert_stored("compiled pickle loaded as fallback", as_fallback, fields, values)
    as_compiled = pickle.loads(from_fallback)
    assert type(as_compiled) is C
    assert_stored("fallback pickle loaded as compiled", as_compiled, fields, values)


def unrestorable_zero(r: RecordDecl) -> bool:
    """Whether the record holds a zero no write can store (a str field init=False without a
    default reads None), which copies and pickles, restoring every field through its checks,
    refuse."""
    return any(f.left_at_zero and (isinstance(f.kind.zero, RecToken)
                                   and f.kind.zero.args is None
                                   or not _convertible(f.type_name, f.kind.zero))
               for f in r.all_fields)


def check_pair(r, C, F, D, first, second):
    """==, != and ordering between two instances, in all three modes."""
    classes = (C, F, D)
    (c1, f1, d1, _), (c2, f2, d2, _) = first, second
    compared = [fd for fd in r.all_fields if fd.compare]
    nan = has_nan(compared, c1) or has_nan(compared, c2)
    ops = [operator.eq, operator.ne]
    ops += [operator.lt, operator.le, operator.gt, operator.ge]
    for op in ops:
        oc = outcome(lambda: op(c1, c2))
        of = outcome(lambda: op(f1, f2))
        check_same(f"{op.__name__}", oc, of, classes)
        if oc[0] == "ok":
            assert oc[1] == of[1], f"{op.__name__}: compiled {oc[1]}, fallback {of[1]}"
        if not nan:  # (3.11's dataclass compares tuples, where a NaN equals itself)
            od = outcome(lambda: op(d1, d2))
            check_same(f"{op.__name__} (vs dataclass)", oc, od, classes)
            if oc[0] == "ok":
                assert oc[1] == od[1], f"{op.__name__}: compiled {oc[1]}, dataclass {od[1]}"
        # a different type never compares equal, and ordering against it is a TypeError
        check_same(f"{op.__name__} vs other type", outcome(lambda: op(c1, (1, 2))),
                   outcome(lambda: op(f1, (1, 2))), classes)
    # equal records hash equal, unless the declaration itself hashes a field it does not
    # compare (field(compare=False, hash=True)), which dataclasses allow and so do we; the hash
    # values themselves are checked against the dataclass twin in check_instance
    hashed = [fd for fd in r.all_fields if (fd.compare if fd.hash is None else fd.hash)]
    consistent = all(fd.compare for fd in hashed)
    if r.opt("eq") and consistent and not nan and c1 == c2 and C.__hash__ is not None:
        h1, h2 = outcome(lambda: hash(c1)), outcome(lambda: hash(c2))
        assert h1 == h2 or h1[0] is TypeError  # (a field holding a list is unhashable)


def _after_write(result, fields, target, value, values) -> tuple:
    """The stored values after writing ``value`` to field ``target`` gave ``result`` (an
    outcome): the model's conversion if it took it, else the model must refuse it alike."""
    if result[0] == "ok":
        return tuple(model_convert(target.type_name, value) if fd is target else v
                     for fd, v in zip(fields, values))
    with pytest.raises(Unconvertible) as verdict:
        model_convert(target.type_name, value)
    assert result[0] is verdict.value.exc_type
    return values


def check_mutation(data, r, C, F, D, c, f, d, values):
    classes = (C, F, D)
    fields = r.all_fields
    target = data.draw(st.sampled_from(fields), label="setattr field")
    value = data.draw(field_values(target.type_name), label="setattr value")
    oc = outcome(lambda: setattr(c, target.name, value))
    of = outcome(lambda: setattr(f, target.name, value))
    check_same("setattr", oc, of, classes)
    if r.opt("frozen"):
        check_same("setattr on frozen (vs dataclass)", oc,
                   outcome(lambda: setattr(d, target.name, value)), classes)
        assert oc[0] is dataclasses.FrozenInstanceError
    else:
        values = _after_write(oc, fields, target, value, values)
        assert oc[0] == "ok" or f"{C.__qualname__}.{target.name}" in oc[1]
    assert_stored("after setattr", c, fields, values)
    assert_stored("after setattr", f, fields, values)
    # object.__setattr__ outside __init__: a write checked as any other, frozen or not (it goes
    # round a frozen record's __setattr__, as on a frozen dataclass). Compiled records that are
    # not frozen refuse it before 3.13 (documented: CPython's check of their C-level setattr),
    # asserted here as such so it cannot change unnoticed.
    oc = outcome(lambda: object.__setattr__(c, target.name, value))
    of = outcome(lambda: object.__setattr__(f, target.name, value))
    refused = not r.opt("frozen") and sys.version_info < (3, 13)
    if refused:
        assert oc[0] is TypeError and "can't apply this __setattr__" in oc[1], oc
    else:
        check_same("object.__setattr__", oc, of, classes)
        check_same("object.__delattr__", outcome(lambda: object.__delattr__(c, target.name)),
                   outcome(lambda: object.__delattr__(f, target.name)), classes)
    if refused and of[0] == "ok":
        setattr(c, target.name, value)          # (the compiled record in step)
    values = _after_write(of, fields, target, value, values)
    assert_stored("after object.__setattr__", c, fields, values)
    assert_stored("after object.__setattr__", f, fields, values)
    # deleting a field, or touching an attribute that does not exist
    check_same("delattr", outcome(lambda: delattr(c, target.name)),
               outcome(lambda: delattr(f, target.name)), classes)
    check_same("set unknown", outcome(lambda: setattr(c, "no_such_attr", 1)),
               outcome(lambda: setattr(f, "no_such_attr", 1)), classes)
    check_same("get unknown", outcome(lambda: c.no_such_attr),
               outcome(lambda: f.no_such_attr), classes)
    assert_stored("after failed changes", c, fields, values)
    # replace(): new values through __init__, errors for init=False fields and bad values
    changes = {}
    for fd in data.draw(st.lists(st.sampled_from(fields), max_size=3, unique_by=id),
                        label="replace fields"):
        changes[fd.name] = data.draw(field_values(fd.type_name), label=f"replace {fd.name}")
    oc = outcome(lambda: dataclasses.replace(c, **changes))
    of = outcome(lambda: dataclasses.replace(f, **changes))
    check_same("replace", oc, of, classes)
    od = outcome(lambda: dataclasses.replace(d, **changes))
    if od[0] != "ok":   # replace() itself refuses (an init=False field given, an InitVar left out)
        check_same("replace (vs dataclass)", oc, od, classes)
    else:
        try:
            expected = expected_values(r, {**{fd.name: v for fd, v in zip(fields, values)
                                              if fd.init}, **changes})
        except Unconvertible as verdict:
            assert oc[0] is verdict.exc_type, f"replace: the model expects {verdict}, got {oc!r}"
        else:
            assert oc[0] == "ok", f"replace: the model accepts, compiled raised {oc!r}"
            assert type(oc[1]) is C and type(of[1]) is F
            assert_stored("replace", oc[1], fields, expected)
            assert_stored("replace", of[1], fields, expected)
    assert_stored("after replace", c, fields, values)
    # calling __init__ again on a live record (what super().__init__ chains do)
    args, kwargs, given = call_args(data, r)
    oc = outcome(lambda: C.__init__(c, *args, **kwargs))
    of = outcome(lambda: F.__init__(f, *args, **kwargs))
    check_same("__init__ on a live record", oc, of, classes)
    if oc[0] == "ok":
        assert repr(stored(c, fields)) == repr(stored(f, fields))


def run_record_checks(batch: Batch, r: RecordDecl, examples: int):
    CURRENT["module"] = batch.module
    C = getattr(batch.module, r.name)
    F = fallback_of(C)
    D = batch.twins[r.name]
    check_class_level(r, C, F, D)

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def check_values(data):
        args, kwargs, given = call_args(data, r)
        note(f"call: {r.name}(*{args!r}, **{kwargs!r})")
        made = construct(r, C, F, D, args, kwargs, given)
        if made is None:
            args, kwargs, given = call_args(data, r, valid_only=True)
            note(f"valid call: {r.name}(*{args!r}, **{kwargs!r})")
            made = construct(r, C, F, D, args, kwargs, given)
        if made is None:  # only when an init=False field's factory gives a bad value
            assert not all(_convertible(f.type_name, materialize(f.factory_value))
                           for f in r.all_fields if f.factory_value is not NO_DEFAULT
                           and not f.init), "a valid call failed"
            return
        check_instance(r, C, F, D, *made)
        args, kwargs, given = call_args(data, r, valid_only=True)
        other = construct(r, C, F, D, args, kwargs, given)
        check_pair(r, C, F, D, made, other)
        check_pair(r, C, F, D, made, made)
        check_mutation(data, r, C, F, D, *made)

    try:
        check_values()
    except BaseException as exc:
        if hasattr(exc, "add_note"):  # Python 3.11+
            exc.add_note(reproduce_note(batch, r))
        else:
            print(reproduce_note(batch, r))
        raise


# ----------------------------------------------------------------------------- tests

def test_declaration_count(batches):
    records = [r for b in batches for r in b.records]
    assert len(records) == PROFILE["batches"] * PROFILE["per_batch"]
    if PROFILE_NAME == "ci":
        assert len(records) >= 200
    # the generator covered what the issue asks for
    types = {f.type_name for r in records for f in r.fields}
    assert types == set(TYPE_NAMES) or PROFILE_NAME in ("quick", "asan")
    for b in batches:
        for r in b.records:
            assert compactclass.is_compiled(getattr(b.module, r.name)), reproduce_note(b, r)


@pytest.mark.parametrize("index", range(PROFILE["batches"]))
def test_compiled_fallback_dataclass_agree(batches, index):
    batch = batches[index]
    for r in batch.records:
        run_record_checks(batch, r, PROFILE["examples"])


@pytest.mark.xfail(strict=True, raises=TypeError, reason=(
    "known limitation, both modes alike: a field init=False without a default holds its kind's "
    "zero, which for a str/bytes/list/class field (None) or an enum without a code-0 member "
    "(None) is no value a write may store; copies and pickles restore every field through its "
    "checks, so they refuse such a record (a dataclass leaves the slot unset and copies it)"))
@pytest.mark.parametrize("mode", ["compiled", "fallback"])
def test_unrestorable_zero_copies(batches, mode):
    module = batches[0].module
    cls = module.Unset if mode == "compiled" else fallback_of(module.Unset)
    record = cls(1)
    assert record.s is None         # what README documents
    assert copy.copy(record).s is None


def test_model_f32_rounding_matches_struct():
    # The model's f32 rule: round to nearest; a finite value that rounds to inf overflows.
    assert f32_round(0.1) == struct.unpack("f", struct.pack("f", 0.1))[0]
    assert f32_round(3.4028235677973362e38) == 3.4028234663852886e38
    with pytest.raises(Unconvertible):
        f32_round(3.4028235677973366e38)
    assert math.isinf(f32_round(math.inf))
