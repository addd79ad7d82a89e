"""The time kinds (compactclass.kinds.times): ``datetime.datetime``, ``UTCDateTime``,
``datetime.date`` and ``datetime.timedelta`` fields, in the compiled class and its fallback.

Every test runs the same operations on both classes and asserts the same results: values,
reprs, errors (type and message), bytes in arrays, NumPy views, pickles. Hypothesis compares
the compiled C conversions (days-from-civil arithmetic) with the pure ones (the standard
library's ordinals) over the whole range of each type, and both with an independent oracle
(``(value - epoch) // unit``).
"""
from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import gc
import os
import pickle
import struct
import subprocess
import sys
import textwrap
import zoneinfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import compactclass
from compactclass import cli, kinds
from compactclass.pickling import restore_v1
from conftest import build_consumer, fallback_of, hypothesis_profile

np = pytest.importorskip("numpy")

PROFILES = {"ci": 300, "long": 5000, "asan": 60, "quick": 50}
PROFILE_NAME, EXAMPLES = hypothesis_profile(PROFILES)

UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1)
EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_DAY = dt.date(1970, 1, 1)
US = dt.timedelta(microseconds=1)
INT64_MIN, INT64_MAX = -2**63, 2**63 - 1
PARIS = zoneinfo.ZoneInfo("Europe/Paris")

DECLARATION = '''
import datetime
from compactclass import compact, field, UTCDateTime, i32, f64

UTC = datetime.timezone.utc


@compact
class Stamp:
    ts: datetime.datetime


@compact
class Event:
    id: i32
    ts: datetime.datetime
    at: UTCDateTime
    day: datetime.date
    took: datetime.timedelta
    price: f64 = 0.5
    when: datetime.date = datetime.date(2000, 1, 1)
    pause: datetime.timedelta = field(default=datetime.timedelta(seconds=1))


@compact(frozen=True, order=True)
class Span:
    start: datetime.datetime
    length: datetime.timedelta = datetime.timedelta(0)


@compact(order=True, unsafe_hash=True)
class Moment:
    at: UTCDateTime
    n: i32 = 0


@compact
class Dated:
    day: datetime.date


@compact
class Booking(Dated):
    at: UTCDateTime = datetime.datetime(2000, 1, 1, tzinfo=UTC)
    stay: datetime.timedelta = datetime.timedelta(days=1)
'''

RECORDS = ("Stamp", "Event", "Span", "Moment", "Dated", "Booking")


@pytest.fixture(scope="module")
def module(builder):
    built = builder.build(DECLARATION, name="times_records")
    assert compactclass.is_compiled(built.Event)
    return built


@pytest.fixture(scope="module")
def modes(module):
    """(compiled, fallback) namespaces of every record class."""
    compiled = type("Compiled", (), {n: getattr(module, n) for n in RECORDS})
    fallback = type("Fallback", (), {n: fallback_of(getattr(module, n)) for n in RECORDS})
    return compiled, fallback


def both(modes, fn):
    """fn(mode) in both modes, which must agree; the common result. An exception counts as
    (type, message)."""
    results = []
    for mode in modes:
        try:
            results.append(fn(mode))
        except AssertionError:
            raise
        except Exception as exc:            # noqa: BLE001 (compared between the modes)
            results.append((type(exc), str(exc)))
    assert results[0] == results[1], results
    return results[0]


def event(m, **changes):
    values = dict(id=1, ts=dt.datetime(2024, 5, 6, 7, 8, 9, 123456),
                  at=dt.datetime(2024, 1, 1, 5, 30, tzinfo=dt.timezone(dt.timedelta(hours=5))),
                  day=dt.date(2024, 2, 29), took=dt.timedelta(days=-3, microseconds=5))
    return m.Event(**{**values, **changes})


class Subclassed(dt.datetime):
    """A datetime subclass whose attributes lie (pandas.Timestamp is a subclass too)."""

    @property
    def year(self):
        return 1066


class SubDate(dt.date):
    pass


class SubDelta(dt.timedelta):
    pass


class NoOffset(dt.tzinfo):
    """A tzinfo that gives no offset: a datetime with it is naive, as Python defines it."""

    def utcoffset(self, d):
        return None


class BadOffset(dt.tzinfo):
    def utcoffset(self, d):
        raise RuntimeError("no offset today")


# ----------------------------------------------------------------------------- values

def test_construction_reads_and_defaults(modes):
    def check(m):
        e = event(m)
        assert type(e.ts) is dt.datetime and e.ts.tzinfo is None
        assert e.at == dt.datetime(2024, 1, 1, 0, 30, tzinfo=UTC) and e.at.tzinfo is UTC
        assert type(e.day) is dt.date and type(e.took) is dt.timedelta
        assert (e.when, e.pause, e.price) == (dt.date(2000, 1, 1), dt.timedelta(seconds=1), 0.5)
        return repr(e), dataclasses.astuple(e)
    text, values = both(modes, check)
    assert text == ("Event(id=1, ts=datetime.datetime(2024, 5, 6, 7, 8, 9, 123456), "
                    "at=datetime.datetime(2024, 1, 1, 0, 30, tzinfo=datetime.timezone.utc), "
                    "day=datetime.date(2024, 2, 29), took=datetime.timedelta(days=-3, "
                    "microseconds=5), price=0.5, when=datetime.date(2000, 1, 1), "
                    "pause=datetime.timedelta(seconds=1))")


def test_writes(modes):
    def check(m):
        e = event(m)
        e.ts = dt.datetime(1, 1, 1)
        e.at = dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
        e.day = dt.date(9999, 12, 31)
        e.took = dt.timedelta(microseconds=INT64_MIN)
        return repr(e)
    both(modes, check)


@pytest.mark.parametrize("value,expected", [
    (dt.datetime(2024, 3, 31, 3, 30, tzinfo=PARIS), dt.datetime(2024, 3, 31, 1, 30, tzinfo=UTC)),
    (dt.datetime(2024, 10, 27, 2, 30, fold=0, tzinfo=PARIS),
     dt.datetime(2024, 10, 27, 0, 30, tzinfo=UTC)),
    (dt.datetime(2024, 10, 27, 2, 30, fold=1, tzinfo=PARIS),
     dt.datetime(2024, 10, 27, 1, 30, tzinfo=UTC)),
    (dt.datetime(1, 1, 1, 23, tzinfo=dt.timezone(dt.timedelta(hours=23))),
     dt.datetime(1, 1, 1, tzinfo=UTC)),
    (dt.datetime(2000, 1, 1, tzinfo=dt.timezone(dt.timedelta(0))), dt.datetime(2000, 1, 1,
                                                                              tzinfo=UTC)),
    (Subclassed(2000, 1, 1, tzinfo=UTC), dt.datetime(2000, 1, 1, tzinfo=UTC)),
], ids=["paris_summer", "paris_fold0", "paris_fold1", "year1_offset", "zero_offset", "subclass"])
def test_utc_field_converts_any_zone(modes, value, expected, request):
    def check(m):
        got = m.Moment(value).at
        assert got == expected and got.tzinfo is UTC and type(got) is dt.datetime
        # the same instant; == too, but for a time in a repeated hour (PEP 495: it is equal to
        # nothing in another zone)
        assert got.timestamp() == value.timestamp()
        assert (got == value) is not ident.startswith("paris_fold")
        return repr(got)
    ident = request.node.callspec.id
    both(modes, check)


def test_subclasses_read_back_as_the_plain_types(modes):
    def check(m):
        e = event(m, ts=Subclassed(2020, 2, 3, 4, 5, 6, 7), day=SubDate(2020, 1, 2),
                  took=SubDelta(hours=5))
        assert [type(v) for v in (e.ts, e.day, e.took)] == [dt.datetime, dt.date, dt.timedelta]
        assert e.ts == dt.datetime(2020, 2, 3, 4, 5, 6, 7)           # not year 1066
        return repr(e)
    both(modes, check)


def test_fold_is_not_stored(modes):
    def check(m):
        s = m.Stamp(dt.datetime(2024, 10, 27, 2, 30, fold=1))
        assert s.ts == dt.datetime(2024, 10, 27, 2, 30, fold=1) and s.ts.fold == 0
        return repr(s)
    both(modes, check)


def test_a_tzinfo_without_offset_is_naive(modes):
    naive = dt.datetime(2024, 1, 1, tzinfo=NoOffset())

    def check(m):
        s = m.Stamp(naive)
        assert s.ts == naive and s.ts.tzinfo is None
        with pytest.raises(TypeError, match="Moment.at: a UTCDateTime field takes aware"):
            m.Moment(naive)
        return repr(s)
    both(modes, check)


# (id, record, field, value, exception type, words of the message)
BAD_VALUES = [
    ("str_for_datetime", "Stamp", "ts", "2024-01-01", TypeError,
     ["Stamp.ts", "naive datetime", "str"]),
    ("date_for_datetime", "Stamp", "ts", dt.date(2024, 1, 1), TypeError, ["Stamp.ts", "date"]),
    ("aware_for_naive", "Stamp", "ts", dt.datetime(2024, 1, 1, tzinfo=UTC), TypeError,
     ["Stamp.ts", "naive datetime field: got an aware datetime"]),
    ("int_for_datetime", "Stamp", "ts", 1_700_000_000, TypeError, ["Stamp.ts", "int"]),
    ("naive_for_utc", "Moment", "at", dt.datetime(2024, 1, 1), TypeError,
     ["Moment.at", "UTCDateTime field", "naive datetime"]),
    ("utc_before_year_1", "Moment", "at",
     dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))), OverflowError,
     ["Moment.at", "out of range for UTCDateTime"]),
    ("utc_after_year_9999", "Moment", "at",
     dt.datetime(9999, 12, 31, 23, tzinfo=dt.timezone(-dt.timedelta(hours=2))), OverflowError,
     ["Moment.at", "out of range"]),
    ("failing_utcoffset", "Moment", "at", dt.datetime(2024, 1, 1, tzinfo=BadOffset()),
     RuntimeError, ["no offset today"]),
    ("datetime_for_date", "Dated", "day", dt.datetime(2024, 1, 1), TypeError,
     ["Dated.day", "date field: got a datetime", "time would be lost"]),
    ("str_for_date", "Dated", "day", "2024-01-01", TypeError, ["Dated.day", "a date", "str"]),
    ("timedelta_max", "Event", "took", dt.timedelta.max, OverflowError,
     ["Event.took", "out of range for timedelta"]),
    ("timedelta_min", "Event", "took", dt.timedelta.min, OverflowError, ["Event.took"]),
    ("timedelta_just_over", "Event", "took", dt.timedelta(microseconds=INT64_MAX + 1),
     OverflowError, ["Event.took"]),
    ("float_for_timedelta", "Event", "took", 1.5, TypeError, ["Event.took", "a timedelta"]),
    ("none_for_timedelta", "Event", "took", None, TypeError, ["Event.took", "None"]),
]


_GOOD = {"Stamp": dt.datetime(2000, 1, 1), "Moment": dt.datetime(2000, 1, 1, tzinfo=UTC),
         "Dated": dt.date(2000, 1, 1)}


def _make(m, record, name, value):
    if record == "Event":
        return event(m, **{name: value})
    return getattr(m, record)(**{name: value})


@pytest.mark.parametrize("case", BAD_VALUES, ids=[c[0] for c in BAD_VALUES])
def test_bad_values(modes, case):
    ident, record, name, value, exc_type, words = case

    def check(m):
        with pytest.raises(exc_type) as constructing:
            _make(m, record, name, value)
        target = _make(m, record, name, _GOOD.get(record, getattr(event(m), name)))
        before = repr(target)
        with pytest.raises(exc_type) as writing:
            setattr(target, name, value)
        assert repr(target) == before                 # unchanged
        return str(constructing.value), str(writing.value)
    for message in both(modes, check):
        for word in words:
            assert word in message, (word, message)


def test_timedelta_int64_edges(modes):
    def check(m):
        e = event(m, took=dt.timedelta(microseconds=INT64_MAX))
        low = event(m, took=dt.timedelta(microseconds=INT64_MIN))
        return repr(e.took), repr(low.took), m.Event.Array([e, low]).tobytes()[32:40]
    both(modes, check)


def test_frozen_and_ordered(modes):
    def check(m):
        spans = [m.Span(dt.datetime(2024, 1, d % 5 + 1), dt.timedelta(hours=d)) for d in range(9)]
        with pytest.raises(dataclasses.FrozenInstanceError):
            spans[0].start = dt.datetime(2000, 1, 1)
        ordered = sorted(spans)
        python = sorted(spans, key=lambda s: (s.start, s.length))
        assert ordered == python
        assert (spans[0] < spans[1]) == ((spans[0].start, spans[0].length) <
                                         (spans[1].start, spans[1].length))
        return [repr(s) for s in ordered], hash(spans[3])
    result = both(modes, check)
    assert result[1] == hash((dt.datetime(2024, 1, 4), dt.timedelta(hours=3)))


def test_utc_ordering_and_hash_follow_the_instant(modes):
    a = dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=3)))      # 09:00Z
    b = dt.datetime(2024, 1, 1, 10, tzinfo=UTC)
    c = dt.datetime(2024, 1, 1, 1, tzinfo=dt.timezone(-dt.timedelta(hours=9)))     # 10:00Z

    def check(m):
        x, y, z = m.Moment(a), m.Moment(b), m.Moment(c)
        assert x < y and y == z and hash(y) == hash(z) == hash((b, 0))
        assert sorted([z, x, y]) == sorted([x, y, z], key=lambda r: (r.at, r.n))
        return [x < y, y <= z, z > x]
    both(modes, check)


def test_inheritance(modes):
    def check(m):
        b = m.Booking(dt.date(2024, 6, 1))
        assert isinstance(b, m.Dated) and b.stay == dt.timedelta(days=1)
        b.at = dt.datetime(2024, 6, 1, 14, tzinfo=PARIS)
        return repr(b), dataclasses.asdict(b)
    both(modes, check)


def test_equality_and_hash(modes):
    def check(m):
        e, f = event(m), event(m)
        assert e == f and e != event(m, took=dt.timedelta(0))
        g = m.Moment(dt.datetime(2020, 1, 1, tzinfo=UTC), 3)
        return hash(g) == hash((dt.datetime(2020, 1, 1, tzinfo=UTC), 3)), hash(g)
    assert both(modes, check)[0]


def test_dataclass_functions(modes):
    def check(m):
        e = event(m)
        replaced = dataclasses.replace(e, day=dt.date(1999, 12, 31))
        with pytest.raises(TypeError, match="Event.day"):
            dataclasses.replace(e, day=dt.datetime(1999, 12, 31))
        return dataclasses.asdict(e), dataclasses.astuple(replaced), repr(replaced)
    both(modes, check)


def test_copies_and_pickles(modes):
    def check(m):
        e = event(m)
        return [copy.copy(e) == e, copy.deepcopy(e) == e, repr(copy.deepcopy(e))]
    assert all(both(modes, check)[:2])
    compiled = modes[0]             # (pickles name the module's class: the compiled one here)
    e = event(compiled)
    assert all(pickle.loads(pickle.dumps(e, protocol)) == e for protocol in range(6))
    m = compiled.Moment(dt.datetime(2020, 5, 5, tzinfo=PARIS))
    assert pickle.loads(pickle.dumps(m)).at.tzinfo is UTC


def test_pickles_load_across_modes_in_process(modes):
    compiled, fallback = modes
    for make in (event, lambda m: m.Moment(dt.datetime(2020, 5, 5, tzinfo=PARIS), 2)):
        c, f = make(compiled), make(fallback)
        restore, (cls, signature, values) = c.__reduce_ex__(2)
        assert restore_v1(type(f), signature, values) == f
        restore, (cls, signature, values) = f.__reduce_ex__(2)
        assert restore_v1(type(c), signature, values) == c


def test_pickles_load_in_a_pure_process(module, builder, tmp_path):
    """A compiled record's pickle loads in a process without the build (COMPACTCLASS_PURE=1),
    and what that process pickles loads here as the compiled record."""
    records = [event(module), module.Moment(dt.datetime(1, 1, 1, tzinfo=UTC)),
               module.Event.Array([event(module)])]
    sent, back = tmp_path / "sent.pickle", tmp_path / "back.pickle"
    sent.write_bytes(pickle.dumps(records))
    code = textwrap.dedent("""
        import pickle, sys, compactclass
        records = pickle.loads(open(sys.argv[1], "rb").read())
        assert not compactclass.is_compiled(type(records[0]))
        print(repr(records[:2]), records[2].tobytes().hex())
        open(sys.argv[2], "wb").write(pickle.dumps(records))
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(builder.folder), *sys.path]),
           "COMPACTCLASS_PURE": "1"}
    result = subprocess.run([sys.executable, "-c", code, str(sent), str(back)],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{records[:2]!r} {records[2].tobytes().hex()}"
    loaded = pickle.loads(back.read_bytes())
    assert loaded[:2] == records[:2] and loaded[2] == records[2]
    assert all(compactclass.is_compiled(type(r)) for r in loaded[:2])


def test_size_and_gc(modes):
    compiled, fallback = modes
    assert not gc.is_tracked(event(compiled)) and not gc.is_tracked(compiled.Stamp(EPOCH))
    payload = compactclass.layout(compiled.Event).payload
    assert payload == 7 * 8 + 4 + 4                # 8-byte fields, the i32, tail padding
    assert sys.getsizeof(event(compiled)) == 16 + payload == 80
    assert sys.getsizeof(compiled.Stamp(EPOCH)) == 24
    assert compactclass.layout(fallback.Event).payload == payload


def test_the_fields_zero_is_the_epoch(modes):
    def check(m):
        a = m.Event.Array.zeros(1)
        assert (a[0].ts, a[0].at, a[0].day, a[0].took) == (EPOCH, EPOCH_UTC, EPOCH_DAY,
                                                           dt.timedelta(0))
        return repr(a[0])
    both(modes, check)


# ----------------------------------------------------------------------------- Hypothesis

OFFSETS = st.timedeltas(min_value=dt.timedelta(hours=-23, minutes=-59),
                        max_value=dt.timedelta(hours=23, minutes=59))
ZONES = st.one_of(st.just(UTC), st.builds(dt.timezone, OFFSETS), st.just(PARIS))


def _edges(lo, hi):
    return [lo, lo + 1, -1, 0, 1, hi - 1, hi]


def _values(m, record, field, value):
    """What a field reads and stores for value: (repr, stored bytes), or the error."""
    try:
        obj = getattr(m, record)(**{field: value})
    except Exception as exc:                # noqa: BLE001
        return type(exc), str(exc)
    return repr(getattr(obj, field)), getattr(m, record).Array([obj]).tobytes()


@settings(max_examples=EXAMPLES, deadline=None, database=None)
@given(st.datetimes(), st.booleans())
@example(dt.datetime.min, False)
@example(dt.datetime.max, True)
@example(EPOCH - US, False)
@example(EPOCH + US, False)
@example(dt.datetime(1969, 12, 31), False)
def test_naive_datetimes_agree(modes, value, fold):
    value = value.replace(fold=int(fold))
    got = both(modes, lambda m: _values(m, "Stamp", "ts", value))
    assert got[0] == repr(value.replace(fold=0))
    assert struct.unpack("=q", got[1])[0] == (value - EPOCH) // US


@settings(max_examples=EXAMPLES, deadline=None, database=None)
@given(st.datetimes(timezones=ZONES))
@example(dt.datetime.min.replace(tzinfo=UTC))
@example(dt.datetime.max.replace(tzinfo=UTC))
@example(dt.datetime.min.replace(tzinfo=dt.timezone(-dt.timedelta(hours=1))))
@example(dt.datetime.min.replace(tzinfo=dt.timezone(dt.timedelta(microseconds=1))))
@example(dt.datetime.max.replace(tzinfo=dt.timezone(-dt.timedelta(microseconds=1))))
@example(dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=PARIS))
def test_aware_datetimes_agree(modes, value):
    got = both(modes, lambda m: _values(m, "Moment", "at", value))
    try:
        instant = value.astimezone(UTC)
    except OverflowError:
        assert got[0] is OverflowError
        return
    assert got[0] == repr(instant.replace(fold=0))
    assert struct.unpack("=q", got[1][:8])[0] == (instant - EPOCH_UTC) // US


@settings(max_examples=EXAMPLES, deadline=None, database=None)
@given(st.dates())
@example(dt.date.min)
@example(dt.date.max)
@example(dt.date(1969, 12, 31))
@example(dt.date(1600, 2, 29))
def test_dates_agree(modes, value):
    got = both(modes, lambda m: _values(m, "Dated", "day", value))
    assert got[0] == repr(value) and struct.unpack("=q", got[1])[0] == (value - EPOCH_DAY).days


@settings(max_examples=EXAMPLES, deadline=None, database=None)
@given(st.one_of(st.timedeltas(), st.integers(INT64_MIN, INT64_MAX).map(
    lambda us: dt.timedelta(microseconds=us))))
@example(dt.timedelta(microseconds=INT64_MIN))
@example(dt.timedelta(microseconds=INT64_MAX))
@example(dt.timedelta(microseconds=INT64_MIN - 1))
@example(dt.timedelta(microseconds=INT64_MAX + 1))
@example(dt.timedelta.min)
@example(dt.timedelta.max)
@example(-US)
def test_timedeltas_agree(modes, value):
    got = both(modes, lambda m: _span(m, value))
    us = value // US
    if not INT64_MIN <= us <= INT64_MAX:
        assert got[0] is OverflowError
        return
    assert got[0] == repr(value) and struct.unpack("=q", got[1][8:16])[0] == us


def _span(m, value):
    try:
        s = m.Span(EPOCH, value)
    except Exception as exc:                # noqa: BLE001
        return type(exc), str(exc)
    return repr(s.length), m.Span.Array([s]).tobytes()


MIN_US = (dt.datetime.min - EPOCH) // US
MAX_US = (dt.datetime.max - EPOCH) // US
MIN_DAYS, MAX_DAYS = (dt.date.min - EPOCH_DAY).days, (dt.date.max - EPOCH_DAY).days


@settings(max_examples=EXAMPLES, deadline=None, database=None)
@given(st.one_of(st.integers(MIN_US, MAX_US), st.sampled_from(_edges(MIN_US, MAX_US))),
       st.one_of(st.integers(MIN_DAYS, MAX_DAYS), st.sampled_from(_edges(MIN_DAYS, MAX_DAYS))),
       st.integers(INT64_MIN, INT64_MAX))
def test_stored_values_read_back_alike(modes, us, days, delta):
    """Any valid int64 (a buffer's) reads as the oracle's value in both modes."""
    def read(m):
        a = m.Span.Array.frombuffer(struct.pack("=qq", us, delta))
        d = m.Dated.Array.frombuffer(struct.pack("=q", days))
        u = m.Moment.Array.frombuffer(struct.pack("=qi4x", us, 7))
        return repr(a[0]), repr(d[0]), repr(u[0]), a.start.tolist(), u.at[0]
    got = both(modes, read)
    assert got[3] == [EPOCH + us * US] and got[4] == EPOCH_UTC + us * US
    assert got[1] == f"Dated(day={EPOCH_DAY + dt.timedelta(days=days)!r})"


def test_every_date_both_ways(modes):
    """The compiled civil-from-days and days-from-civil arithmetic on every day of years
    1..9999, against NumPy's own conversion."""
    compiled, _ = modes
    days = np.arange(MIN_DAYS, MAX_DAYS + 1, dtype=np.int64)
    dates = days.astype("M8[D]").astype(object).tolist()
    a = compiled.Dated.Array.frombuffer(days.tobytes())
    assert a.day.tolist() == dates
    assert compiled.Dated.Array([(d,) for d in dates]).tobytes() == days.tobytes()


# ----------------------------------------------------------------------------- arrays

def test_array_list_api(modes):
    def check(m):
        a = m.Event.Array([event(m), event(m, id=2, day=dt.date(1, 1, 1))])
        a.append((3, EPOCH, EPOCH_UTC, EPOCH_DAY, dt.timedelta(0), 1.0, EPOCH_DAY,
                  dt.timedelta(0)))
        a[0] = event(m, id=9, at=dt.datetime(2024, 7, 1, tzinfo=PARIS))
        a[1:2] = [event(m, id=8)]
        before = a.tobytes()
        with pytest.raises(TypeError, match="Event.day"):
            a.append((4, EPOCH, EPOCH_UTC, EPOCH, dt.timedelta(0), 1.0, EPOCH_DAY,
                      dt.timedelta(0)))
        with pytest.raises(OverflowError, match="Event.took"):
            a[0] = (1, EPOCH, EPOCH_UTC, EPOCH_DAY, dt.timedelta.max, 1.0, EPOCH_DAY,
                    dt.timedelta(0))
        with pytest.raises(TypeError, match="Event.at"):
            a.extend([event(m), (1, EPOCH, EPOCH, EPOCH_DAY, US, 1.0, EPOCH_DAY, US)])
        assert a.tobytes() == before
        assert len(a) == 3 and a.index(event(m, id=8)) == 1
        return [repr(r) for r in a], [repr(r) for r in a[::2]], a.tobytes()
    both(modes, check)


def test_array_columns(modes):
    def check(m):
        a = m.Event.Array([event(m, id=i, took=dt.timedelta(seconds=i)) for i in range(4)])
        a.ts[1] = dt.datetime(1999, 12, 31, 23, 59, 59)
        a.at[2] = dt.datetime(2024, 3, 31, 3, 30, tzinfo=PARIS)
        a.took[0:2] = [dt.timedelta(days=-1), dt.timedelta(microseconds=1)]
        before = a.tobytes()
        with pytest.raises(TypeError, match="Event.day"):
            a.day[0] = dt.datetime(2024, 1, 1)
        with pytest.raises(TypeError, match="Event.ts.*aware"):
            a.ts[0:2] = [EPOCH, dt.datetime(2024, 1, 1, tzinfo=UTC)]
        with pytest.raises(OverflowError, match="Event.took"):
            a.took[3] = dt.timedelta.min
        assert a.tobytes() == before
        return a.ts.tolist(), a.at[:], list(a.took), a.day[3], repr(a.took), a.tobytes()
    both(modes, check)


def test_numpy_views(modes):
    values = [event(modes[0], id=i, ts=dt.datetime(1 + i * 2000, 1, 2, 3, 4, 5, 6),
                    day=dt.date(9999 - i, 12, 31), took=dt.timedelta(days=-i, microseconds=i))
              for i in range(5)]
    expected = {
        "ts": np.array([e.ts for e in values], dtype="M8[us]"),
        "at": np.array([e.at.replace(tzinfo=None) for e in values], dtype="M8[us]"),
        "day": np.array([e.day for e in values], dtype="M8[D]"),
        "took": np.array([e.took for e in values], dtype="m8[us]"),
    }

    def check(m):
        a = m.Event.Array([dataclasses.astuple(e) for e in values])
        view = np.asarray(a)
        assert [view.dtype[name] for name in expected] == [np.dtype("M8[us]"), np.dtype("M8[us]"),
                                                           np.dtype("M8[D]"), np.dtype("m8[us]")]
        for name, wanted in expected.items():
            assert np.array_equal(view[name], wanted), name
            assert np.array_equal(np.asarray(getattr(a, name)), wanted), name
        assert np.asarray(a.id).tolist() == list(range(5))
        view["took"][0] = np.timedelta64(7, "s")          # zero-copy: writes land in a
        assert a[0].took == dt.timedelta(seconds=7)
        with pytest.raises(BufferError):                  # and the view pins the storage
            a.append(a[0])
        del view
        a.append(a[0])
        return str(np.asarray(a).dtype), a.tobytes(), np.asarray(a, dtype=None, copy=True).shape
    both(modes, check)


def test_compiled_arrays_export_no_buffer(modes):
    compiled, _ = modes
    a = compiled.Event.Array([event(compiled)])
    with pytest.raises(BufferError, match="Event.Array: no buffer describes its datetime, "
                                          "UTCDateTime, date, timedelta fields"):
        memoryview(a)
    with pytest.raises(BufferError, match="Event.ts"):
        memoryview(a.ts)
    assert memoryview(a.id).tolist() == [1]               # a number column still does
    a.append(a[0])                                        # nothing left exported


def test_frombuffer_round_trips(modes):
    def check(m):
        a = m.Event.Array([event(m, id=i) for i in range(3)])
        b = m.Event.Array.frombuffer(a.tobytes())
        c = m.Event.Array.frombuffer(np.asarray(a))
        d = m.Event.Array.frombuffer(a)
        with pytest.raises(ValueError, match="dtype"):
            m.Event.Array.frombuffer(np.zeros(2, dtype=[("ts", "M8[ms]")]))
        return b == a and c == a and d == a, b.tobytes()
    assert both(modes, check)[0]


@pytest.mark.parametrize("record,raw,words", [
    ("Stamp", struct.pack("=q", INT64_MIN), ["Stamp.Array", "record 0", "'ts'",
                                             str(INT64_MIN)]),
    ("Stamp", struct.pack("=qq", 0, MAX_US + 1), ["record 1", "datetime field 'ts'"]),
    ("Dated", struct.pack("=qq", MIN_DAYS, MIN_DAYS - 1), ["record 1", "date field 'day'"]),
    ("Moment", struct.pack("=qi4x", MIN_US - 1, 0), ["record 0", "UTCDateTime field 'at'"]),
], ids=["nat", "after_9999", "before_year_1", "utc"])
def test_frombuffer_refuses_out_of_range(modes, record, raw, words):
    message = both(modes, lambda m: getattr(m, record).Array.frombuffer(raw))
    assert message[0] is ValueError
    for word in words:
        assert word in message[1], (word, message)


def test_a_value_written_through_numpy_reads_as_the_nearest_valid_one(modes):
    def check(m):
        a = m.Event.Array([event(m), event(m)])
        view = np.asarray(a)
        view["ts"][0] = np.datetime64("NaT")
        view["day"][1] = np.datetime64("10000-01-01")
        del view
        out = [a[0].ts, a.ts[0], a[1].day, a.day.tolist()]
        restore, (cls, header, payload) = a.__reduce__()     # (the fallback class is not
        pickled = restore(m.Event, header, payload)          # the module's: no pickle.dumps)
        return out, [r.ts for r in pickled], pickled.tobytes()
    got = both(modes, check)
    assert got[0] == [dt.datetime.min, dt.datetime.min, dt.date.max,
                      [dt.date(2024, 2, 29), dt.date.max]]


def test_array_pickles(modes):
    compiled, fallback = modes
    a = compiled.Event.Array([event(compiled, id=i) for i in range(4)])
    assert pickle.loads(pickle.dumps(a)) == a
    restore, (cls, header, payload) = a.__reduce__()
    assert restore(fallback.Event, header, payload).tobytes() == a.tobytes()
    bad = struct.pack("=q", INT64_MAX) + payload[8:]          # ts is stored first
    with pytest.raises(ValueError, match="record 0 holds .* in datetime field 'ts'"):
        restore(compiled.Event, header, bad)


# ----------------------------------------------------------------------------- generated code

def test_generated_files(module):
    folder = os.path.dirname(module.__file__)
    pxd = open(os.path.join(folder, "times_records_compact.pxd")).read()
    pyi = open(os.path.join(folder, "times_records_compact.pyi")).read()
    assert "from libc.stdint cimport int32_t, int64_t" in pxd
    assert 'cdef int64_t ts "cc_f_ts"  # datetime, offset 16' in pxd
    assert "import datetime as _cc_datetime" in pyi
    assert "    at: _cc_datetime.datetime" in pyi and "    took: _cc_datetime.timedelta" in pyi


CONSUMER = """
# cython: language_level=3
from libc.stdint cimport int64_t
from times_records_compact cimport Stamp, Event, EventArray, EventArray_at, EventArray_len

def stamp_us(Stamp s):
    return s.ts

def event_fields(Event e):
    return e.ts, e.at, e.day, e.took

def total_took(EventArray a):
    cdef int64_t total = 0
    cdef Py_ssize_t i
    for i in range(EventArray_len(a)):
        total += EventArray_at(a, i).took
    return total

def shift(Stamp s, int64_t us):
    s.ts += us
"""


def test_cython_reads_the_int64_at_c_level(module, tmp_path):
    times_consumer = build_consumer("times_consumer", CONSUMER, os.path.dirname(module.__file__),
                                    tmp_path)
    s = module.Stamp(dt.datetime(2001, 2, 3, 4, 5, 6, 7))
    assert times_consumer.stamp_us(s) == (s.ts - EPOCH) // US
    e = event(module)
    assert times_consumer.event_fields(e) == ((e.ts - EPOCH) // US, (e.at - EPOCH_UTC) // US,
                                              (e.day - EPOCH_DAY).days, e.took // US)
    a = module.Event.Array([event(module, took=dt.timedelta(seconds=s)) for s in range(10)])
    assert times_consumer.total_took(a) == 45 * 10**6
    times_consumer.shift(s, 10**6)
    assert s.ts == dt.datetime(2001, 2, 3, 4, 5, 7, 7)


def test_layout_command_shows_the_kinds(module, capsys, monkeypatch):
    monkeypatch.syspath_prepend(os.path.dirname(module.__file__))
    assert cli.main(["layout", "times_records:Event"]) == 0
    out = capsys.readouterr().out
    for row in ("int64_t   ts: datetime", "int64_t   at: UTCDateTime", "int64_t   day: date",
                "int64_t   took: timedelta", "int32_t   id: i32"):
        assert row in out, out


def test_a_time_of_day_is_an_object_field():
    # (no inline kind: a datetime.time is held by reference, as any other class)
    kind = kinds.kind_of_annotation(dt.time)
    assert (kind.name, kind.plain_data) == ("datetime.time", False)


def test_declaration_errors(builder):
    for body, exc_type, words in [
        ("x: datetime.datetime = '2024'", TypeError, ["'x'", "invalid default"]),
        ("x: UTCDateTime = datetime.datetime(2024, 1, 1)", TypeError, ["naive"]),
        ("x: datetime.date = datetime.datetime(2024, 1, 1)", TypeError, ["time would be lost"]),
        ("x: datetime.timedelta = datetime.timedelta.max", OverflowError, ["out of range"]),
        ("x: Annotated[datetime.date, UTCDateTime.__metadata__[0]]", TypeError,
         ["unsupported annotation"]),
    ]:
        source = ("import datetime\nfrom typing import Annotated\n"
                  "from compactclass import compact, UTCDateTime\n"
                  f"@compact\nclass Bad:\n    {body}\n")
        with pytest.raises(exc_type) as info:
            builder.build(source, compile=False)
        assert isinstance(info.value, compactclass.DeclarationError)
        for word in words:
            assert word in str(info.value), (word, str(info.value))
