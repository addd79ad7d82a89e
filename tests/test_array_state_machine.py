"""A stateful test of record arrays: random sequences of array and column operations against a
plain list of tuples, for the compiled ``Point.Array`` and for the pure-Python fallback.

Hypothesis' ``RuleBasedStateMachine`` drives every list method, slicing (with steps), column
reads and writes, iteration (live iterators kept across mutations), buffer exports and their
release, copies and pickles. The model is a list of ``(x, y, w)`` tuples; an operation the list
refuses (IndexError, ValueError) must be refused the same way, a value the record refuses must
raise TypeError/OverflowError, and while a buffer is exported every length change must raise
BufferError; a refused operation changes nothing.

Re-entrant rules then attack the array from inside its own operations: values and indices whose
``__index__``/``__float__`` shrink, clear, grow or export the array while it converts them
(also as ``slice(Evil(), None)``), a record whose ``__eq__`` does the same inside
``index``/``count``/``in``/``==``, an object whose ``__del__`` does it when the GC collects it
in the middle of an operation that allocates, and a ``gc.callbacks`` hook that fires during a
collection triggered from inside an operation. There the outcome may legitimately be the
operation applied or one of the exceptions in ``REENTRANT_ERRORS``; the model is then
re-synchronised from the array, and the invariants (checked after every step) must hold: every
record readable and equal to what iteration gives, ``a == a.copy()``, a pickle round trip equal,
columns and exported views agreeing with the records, reprs that work, and no field value the
test never wrote (garbage read from memory the array does not own).

Each test runs in a forked child (tests/isolation.py): a crash fails the test with the signal,
the sanitizer summary (under .ci/asan) and the steps of the example that crashed (Hypothesis
cannot shrink a crash; the steps are logged as they run). Where the GC runs depends on the
interpreter's free lists, so a failure in a GC-driven rule may come with a Flaky* error from
Hypothesis next to the real one (the replay did not fail at the same step). The tests after the
machine pin, deterministically, what it found.

Profiles (env ``COMPACTCLASS_HYPOTHESIS_PROFILE``, as in test_differential.py): ``ci``
(default), ``long``, ``asan`` (smaller, for the sanitizer job), ``quick``.
"""
from __future__ import annotations

import contextlib
import gc
import os
import pickle
import sys
import weakref

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize, invariant, precondition,
                                 rule, run_state_machine_as_test)

from conftest import fallback_of, hypothesis_profile
from isolation import IN_PROCESS, UNDER_ASAN, isolated, run_forked

np = pytest.importorskip("numpy")

PROFILES = {
    # examples, steps per example, seconds Hypothesis may spend shrinking a failure (its own
    # limit is 300: a failing run of the default profile should not take minutes)
    "ci": dict(examples=100, steps=40, shrink_seconds=20),
    "long": dict(examples=1500, steps=100, shrink_seconds=300),
    "asan": dict(examples=25, steps=30, shrink_seconds=60),
    "quick": dict(examples=10, steps=20, shrink_seconds=10),
}
PROFILE_NAME, PROFILE = hypothesis_profile(PROFILES)
SETTINGS = settings(max_examples=PROFILE["examples"], stateful_step_count=PROFILE["steps"],
                    deadline=None, database=None, suppress_health_check=list(HealthCheck),
                    print_blob=True, report_multiple_bugs=False)

SOURCE = '''
from compactclass import compact, f64, i32

# The test sets HOOKS["eq"] to run code inside Hooked.__eq__ (and so inside the array's
# index/count/remove/in/== loops, which compare records with it).
HOOKS = {}


@compact
class Point:
    x: i32
    y: i32
    w: f64 = 0.0


@compact
class Hooked:
    x: i32
    y: i32
    w: f64 = 0.0

    def __eq__(self, other):
        hook = HOOKS.get("eq")
        if hook is not None:
            hook()
        if type(other) is not type(self):
            return NotImplemented
        return (self.x, self.y, self.w) == (other.x, other.y, other.w)
'''

MODULE = "state_machine_decl"
FIELDS = ("x", "y", "w")
GROW = (77, 88, 9.5)                 # what a re-entrant "grow" appends
# What an operation attacked from inside may raise instead of completing.
REENTRANT_ERRORS = (IndexError, ValueError, RuntimeError, BufferError, TypeError)
VALUE_ERRORS = (TypeError, OverflowError)      # what a bad value raises

I32 = st.integers(-2 ** 31, 2 ** 31 - 1)
SMALL = st.integers(-3, 3)
F64 = st.floats(allow_nan=False)
FIELD_VALUES = st.tuples(st.one_of(SMALL, I32), st.one_of(SMALL, I32), st.one_of(
    st.sampled_from([0.0, -0.0, 1.5]), F64))
# A value to store: (form, fields); form "record" is built from the example's record class.
VALUES = st.tuples(st.sampled_from(["tuple", "list", "record"]), FIELD_VALUES)
BAD_VALUES = st.sampled_from([
    ("bad", (2 ** 31, 0, 0.0)), ("bad", (0, -2 ** 31 - 1, 0.0)), ("bad", ("1", 2, 3.0)),
    ("bad", (1.5, 2, 3.0)), ("bad", (1, 2)), ("bad", (1, 2, 3.0, 4)), ("bad", (1, 2, "w")),
    ("bad", None), ("bad", "abc"), ("bad", (1, 2, 10 ** 400)), ("other record", (1, 2, 3.0)),
    ("other mode", (1, 2, 3.0))])
ANY_VALUE = st.one_of(VALUES, VALUES, VALUES, BAD_VALUES)
INDICES = st.integers(-12, 12)
SLICES = st.builds(slice, st.none() | INDICES, st.none() | INDICES,
                   st.none() | st.sampled_from([1, 1, 2, 3, -1, -2, 0]))

ACTIONS = ["clear", "shrink", "grow", "pop", "export", "release", "reverse", "nothing"]

# Steps are written straight to fd 2 as they run (the child's stderr file): after a crash they
# are the reproducer. Off in-process (set by the tests).
_LOG = {"on": False}


def _log(text: str) -> None:
    if _LOG["on"]:
        os.write(2, f"STEP {text}\n".encode(errors="replace"))


@pytest.fixture(scope="module")
def built(builder):
    return builder.build(SOURCE, name=MODULE)


def _as_tuple(record) -> tuple:
    return (record.x, record.y, record.w)


class Reentrant:
    """An integer (and float) whose conversion first runs an action on the array."""

    def __init__(self, value: int, fire, times: int = 1):
        self.value, self.fire, self.times = value, fire, times

    def _go(self):
        if self.times > 0:
            self.times -= 1
            self.fire()

    def __index__(self):
        self._go()
        return self.value

    def __float__(self):
        self._go()
        return float(self.value)

    def __repr__(self):
        return f"Reentrant({self.value})"


class Finalized:
    """Garbage in a reference cycle whose __del__ runs an action when the GC collects it, unless
    disarmed first (garbage the GC happened to promote to an older generation while it was
    still referenced is collected at some later, unpredictable time)."""

    def __init__(self, fire):
        self.fire, self.me = fire, self

    def __del__(self):
        if self.fire is not None:
            self.fire()


class ArrayMachine(RuleBasedStateMachine):
    """The machine; a subclass per mode supplies ``classes`` (records by name) and
    ``other`` (the same records of the other mode)."""

    classes: dict = {}
    other: dict = {}
    compiled = True

    def __init__(self):
        super().__init__()
        self.array = None
        self.model = []
        self.exports = []            # [(kind, view)]
        self.iterators = []          # [[iterator, model index or None when exhausted]]
        self.written = [set(), set(), set()]   # every value a field was given

    # ---------------------------------------------------------------- helpers

    @initialize(record=st.sampled_from(["Point", "Hooked"]),
                values=st.lists(VALUES, max_size=6))
    def start(self, record, values):
        _log(f"--- new example: {record}.Array from {values!r}")
        self.record = self.classes[record]
        self.record_name = record
        self.hooks = sys.modules[MODULE].HOOKS
        self.hooks.clear()
        for k, v in enumerate((0, 0, 0.0)):
            self.written[k].add(v)
        for k, v in enumerate(GROW):
            self.written[k].add(v)
        made = [self.make(v) for v in values]
        self.array = self.record.Array(made)
        self.model = [self.expected_fields(v) for v in values]
        self.note_written(self.model)

    def make(self, spec):
        form, fields = spec
        if form == "tuple":
            return tuple(fields)
        if form == "list":
            return list(fields)
        if form == "record":
            return self.record(*fields)
        if form == "other record":
            return self.classes["Hooked" if self.record_name == "Point" else "Point"](*fields)
        if form == "other mode":
            return self.other[self.record_name](*fields)
        return fields                   # "bad": the value itself

    @staticmethod
    def valid(spec) -> bool:
        return spec[0] in ("tuple", "list", "record")

    @staticmethod
    def expected_fields(spec) -> tuple:
        x, y, w = spec[1]
        return (x, y, float(w))

    def note_written(self, rows):
        for row in rows:
            for k, v in enumerate(row):
                self.written[k].add(v)

    def expect(self, what, array_op, model_op, *, value=None, resizes="auto"):
        """Apply array_op to the array and model_op to a copy of the model with list
        semantics, and check they agree: the same refusal (the model's IndexError or
        ValueError, the record's TypeError/OverflowError for a bad value, BufferError for a
        length change while exported, and then nothing changed), or the same result. resizes:
        True when the operation counts as a resize even if the length stays ("clear"),
        "either" when both outcomes are right under an export, "auto": when the length
        changes. Returns (array result, model result), or None when refused."""
        _log(what)
        new_model = list(self.model)
        expected_exc, model_result = None, None
        if value is not None and not self.valid(value):
            expected_exc = VALUE_ERRORS
        else:
            try:
                model_result = model_op(new_model)
            except (IndexError, ValueError) as exc:
                expected_exc = type(exc)
            else:
                resized = resizes is True or len(new_model) != len(self.model)
                if self.exports and resized and resizes != "either":
                    expected_exc = BufferError
        before = self.array.tobytes()
        try:
            result = array_op(self.array)
        except Exception as exc:
            if resizes == "either" and self.exports and isinstance(exc, BufferError):
                expected_exc = BufferError
            assert expected_exc is not None and isinstance(exc, expected_exc), \
                f"{what}: raised {type(exc).__name__}: {exc}; expected " \
                f"{'a result' if expected_exc is None else expected_exc}"
            assert self.array.tobytes() == before, f"{what}: refused, but changed the array"
            return None
        assert expected_exc is None, \
            f"{what}: returned {result!r} instead of raising {expected_exc}"
        self.model = new_model
        self.note_written(new_model)
        return result, model_result

    def act(self, action):
        """A re-entrant action on the array (exceptions swallowed: the operation it
        interrupts is what is under test)."""
        _log(f"  (re-entrant action: {action})")
        a = self.array
        try:
            if action == "clear":
                a.clear()
            elif action == "shrink":
                del a[len(a) // 2:]
            elif action == "grow":
                a.extend([GROW] * 40)
            elif action == "pop":
                a.pop()
            elif action == "export":
                self.exports.append(self.new_export("records"))
            elif action == "release":
                if self.exports:
                    self.drop_export(len(self.exports) - 1)
            elif action == "reverse":
                a.reverse()
        except Exception:
            pass

    def reentrant(self, what, op):
        """Run op (an operation attacked from inside): completing or raising one of
        REENTRANT_ERRORS are both right; then the model follows the array."""
        _log(what)
        try:
            op()
        except REENTRANT_ERRORS:
            pass
        finally:
            self.hooks.clear()
        self.resync()

    def resync(self):
        rows = [_as_tuple(r) for r in self.array]
        self.check_written(rows)
        self.model = rows

    def check_written(self, rows):
        for i, row in enumerate(rows):
            for k, v in enumerate(row):
                assert v in self.written[k], \
                    f"record {i} holds {FIELDS[k]}={v!r}, a value the test never wrote " \
                    f"(garbage from memory the array does not own?): {rows}"

    def new_export(self, kind):
        a = self.array
        if kind == "records":
            view = memoryview(a) if self.compiled else np.asarray(a)
        else:
            view = np.asarray(a.column(kind))
        return kind, view

    def drop_export(self, k):
        kind, view = self.exports.pop(k)
        if isinstance(view, memoryview):
            view.release()
        del view

    # ---------------------------------------------------------------- list API

    @rule(value=ANY_VALUE)
    def append(self, value):
        self.expect(f"append({value!r})", lambda a: a.append(self.make(value)),
                    lambda m: m.append(self.expected_fields(value)), value=value)

    @rule(values=st.lists(ANY_VALUE, max_size=4), how=st.sampled_from(
        ["list", "generator", "tuple", "array", "itself", "+="]))
    def extend(self, values, how):
        bad = next((v for v in values if not self.valid(v)), None)
        if how == "itself":
            self.expect("a.extend(a)", lambda a: a.extend(a), lambda m: m.extend(list(m)))
            return
        items = [self.make(v) for v in values]
        if how == "array" and bad is None:
            source = self.record.Array(items)
            op = lambda a: a.extend(source)            # noqa: E731
        elif how == "generator":
            op = lambda a: a.extend(x for x in items)  # noqa: E731
        elif how == "tuple":
            op = lambda a: a.extend(tuple(items))      # noqa: E731
        elif how == "+=":
            def op(a):
                a += items
        else:
            op = lambda a: a.extend(items)             # noqa: E731
        self.expect(f"extend({values!r}) as {how}", op,
                    lambda m: m.extend(self.expected_fields(v) for v in values), value=bad)

    @rule(i=INDICES, value=ANY_VALUE)
    def insert(self, i, value):
        self.expect(f"insert({i}, {value!r})", lambda a: a.insert(i, self.make(value)),
                    lambda m: m.insert(i, self.expected_fields(value)), value=value)

    @rule(i=st.none() | INDICES)
    def pop(self, i):
        got = self.expect(f"pop({'' if i is None else i})",
                          lambda a: a.pop() if i is None else a.pop(i),
                          lambda m: m.pop() if i is None else m.pop(i))
        if got:
            assert _as_tuple(got[0]) == got[1]

    @rule(value=ANY_VALUE, existing=st.integers(0, 20))
    def remove(self, value, existing):
        if self.model and existing < len(self.model) and self.valid(value):
            value = ("tuple", self.model[existing])
        target = self.expected_fields(value) if self.valid(value) else object()
        self.expect(f"remove({value!r})", lambda a: a.remove(self.make(value)),
                    lambda m: m.remove(target))

    @rule(i=INDICES)
    def delitem(self, i):
        self.expect(f"del a[{i}]", lambda a: a.__delitem__(i), lambda m: m.__delitem__(i))

    @rule(s=SLICES)
    def delslice(self, s):
        self.expect(f"del a[{s}]", lambda a: a.__delitem__(s), lambda m: m.__delitem__(s))

    @rule(s=SLICES, values=st.lists(ANY_VALUE, max_size=5), source=st.sampled_from(
        ["list", "array", "itself", "copy"]))
    def setslice(self, s, values, source):
        if source in ("itself", "copy"):
            op = (lambda a: a.__setitem__(s, a)) if source == "itself" else \
                (lambda a: a.__setitem__(s, a.copy()))
            self.expect(f"a[{s}] = a{'.copy()' if source == 'copy' else ''}", op,
                        lambda m: m.__setitem__(s, list(m)))
            return
        bad = next((v for v in values if not self.valid(v)), None)
        items = [self.make(v) for v in values]
        if source == "array" and bad is None:
            items = self.record.Array(items)
        self.expect(f"a[{s}] = {values!r} ({source})", lambda a: a.__setitem__(s, items),
                    lambda m: m.__setitem__(s, [self.expected_fields(v) for v in values]),
                    value=bad)

    @rule(i=INDICES, value=ANY_VALUE)
    def setitem(self, i, value):
        self.expect(f"a[{i}] = {value!r}", lambda a: a.__setitem__(i, self.make(value)),
                    lambda m: m.__setitem__(i, self.expected_fields(value)), value=value)

    @rule(i=INDICES)
    def getitem(self, i):
        got = self.expect(f"a[{i}]", lambda a: a[i], lambda m: m[i])
        if got:
            assert type(got[0]) is self.record and _as_tuple(got[0]) == got[1]

    @rule(s=SLICES)
    def getslice(self, s):
        got = self.expect(f"a[{s}]", lambda a: a[s], lambda m: m[s])
        if got:
            assert type(got[0]) is type(self.array)
            assert [_as_tuple(r) for r in got[0]] == got[1]

    @rule()
    def clear(self):
        self.expect("clear()", lambda a: a.clear(), lambda m: m.clear(), resizes=True)

    @rule()
    def reverse(self):
        self.expect("reverse()", lambda a: a.reverse(), lambda m: m.reverse(), resizes=False)

    @rule(value=ANY_VALUE, existing=st.integers(0, 20), start=st.none() | INDICES,
          stop=st.none() | INDICES, how=st.sampled_from(["index", "count", "in"]))
    def search(self, value, existing, start, stop, how):
        if self.model and existing < len(self.model) and self.valid(value):
            value = ("tuple", self.model[existing])
        target = self.expected_fields(value) if self.valid(value) else object()
        if how == "index":
            args = (start if start is not None else 0,) + ((stop,) if stop is not None else ())
            got = self.expect(f"index({value!r}, *{args})",
                              lambda a: a.index(self.make(value), *args),
                              lambda m: m.index(target, *args))
        elif how == "count":
            got = self.expect(f"count({value!r})", lambda a: a.count(self.make(value)),
                              lambda m: m.count(target))
        else:
            got = self.expect(f"{value!r} in a", lambda a: self.make(value) in a,
                              lambda m: target in m)
        if got:
            assert got[0] == got[1]

    @rule(other=st.lists(VALUES, max_size=4), same=st.booleans())
    def compare(self, other, same):
        b = self.array.copy() if same else self.record.Array([self.make(v) for v in other])
        expected = self.model if same else [self.expected_fields(v) for v in other]
        got = self.expect("a == b, a != b", lambda a: (a == b, a != b),
                          lambda m: (m == expected, m != expected))
        if got:
            assert got[0] == got[1]

    @rule(grow=st.booleans())
    def copy(self, grow):
        got = self.expect("copy()", lambda a: a.copy(), lambda m: list(m))
        if got:
            c = got[0]
            assert type(c) is type(self.array) and [_as_tuple(r) for r in c] == self.model
            if grow:                              # the copy is independent
                c.append((5, 5, 5.0))
                c.reverse()
                assert [_as_tuple(r) for r in self.array] == self.model

    @rule(n=st.integers(0, 80))
    def reserve(self, n):
        if self.expect(f"reserve({n})", lambda a: a.reserve(n), lambda m: None,
                       resizes="either"):
            assert self.array.capacity >= max(n, len(self.array)) or not self.compiled

    @rule()
    def shrink_to_fit(self):
        if self.expect("shrink_to_fit()", lambda a: a.shrink_to_fit(), lambda m: None,
                       resizes=True):
            assert self.array.capacity == len(self.array)

    @rule(protocol=st.integers(0, pickle.HIGHEST_PROTOCOL))
    def pickle_round_trip(self, protocol):
        _log(f"pickle (protocol {protocol})")
        self.check_pickle(protocol)

    # ---------------------------------------------------------------- iteration

    @rule()
    def start_iterator(self):
        _log("iterators.append(iter(a))")
        self.iterators.append([iter(self.array), 0])

    @precondition(lambda self: self.iterators)
    @rule(k=st.integers(0, 5), count=st.integers(1, 3))
    def advance_iterator(self, k, count):
        it = self.iterators[k % len(self.iterators)]
        for _ in range(count):
            _log(f"next(iterators[{k % len(self.iterators)}])")
            if it[1] is not None and it[1] < len(self.model):
                assert _as_tuple(next(it[0])) == self.model[it[1]], \
                    "a live iterator does not give the array's current record"
                it[1] += 1
            else:
                with pytest.raises(StopIteration):
                    next(it[0])
                it[1] = None

    @rule()
    def iterate(self):
        _log("list(a)")
        assert [_as_tuple(r) for r in self.array] == self.model

    # ---------------------------------------------------------------- columns

    @rule(field=st.sampled_from(FIELDS), i=INDICES)
    def column_get(self, field, i):
        k = FIELDS.index(field)
        got = self.expect(f"a.{field}[{i}]", lambda a: getattr(a, field)[i],
                          lambda m: m[i][k])
        if got:
            assert got[0] == got[1]

    @rule(field=st.sampled_from(FIELDS), s=SLICES)
    def column_get_slice(self, field, s):
        k = FIELDS.index(field)
        got = self.expect(f"a.{field}[{s}]", lambda a: a.column(field)[s],
                          lambda m: [row[k] for row in m[s]])
        if got:
            assert got[0] == got[1]

    @rule(field=st.sampled_from(FIELDS), i=INDICES, value=FIELD_VALUES, bad=st.booleans())
    def column_set(self, field, i, value, bad):
        k = FIELDS.index(field)
        v = value[k] if not bad else ("nope" if k == 2 else 2 ** 40)

        def model_op(m):
            row = list(m[i])
            row[k] = float(v) if k == 2 else v
            m[i] = tuple(row)
        self.expect(f"a.{field}[{i}] = {v!r}", lambda a: getattr(a, field).__setitem__(i, v),
                    model_op, value=("bad", None) if bad else None, resizes=False)

    @rule(field=st.sampled_from(FIELDS), s=SLICES, values=st.lists(FIELD_VALUES, max_size=6),
          fit=st.booleans())
    def column_set_slice(self, field, s, values, fit):
        k = FIELDS.index(field)
        if fit:      # usually as many values as the slice has records
            try:
                values = (values * 12)[:len(range(*s.indices(len(self.model))))]
            except ValueError:
                pass
        vs = [v[k] for v in values]

        def model_op(m):
            positions = range(*s.indices(len(m)))
            if len(positions) != len(vs):
                raise ValueError("a column cannot change the array's length")
            for p, v in zip(positions, vs):
                row = list(m[p])
                row[k] = float(v) if k == 2 else v
                m[p] = tuple(row)
        self.expect(f"a.{field}[{s}] = {vs!r}", lambda a: a.column(field).__setitem__(s, vs),
                    model_op, resizes=False)

    @rule(field=st.sampled_from(FIELDS))
    def column_tolist_and_repr(self, field):
        _log(f"a.{field}.tolist(), repr(a.{field})")
        k = FIELDS.index(field)
        column = self.array.column(field)
        assert column.tolist() == [row[k] for row in self.model]
        assert list(column) == [row[k] for row in self.model]
        assert len(column) == len(self.model)
        assert f"of {len(self.model)} record" in repr(column)

    # ---------------------------------------------------------------- buffer exports

    @rule(kind=st.sampled_from(["records", "records", "x", "w"]))
    def export(self, kind):
        _log(f"export a buffer of {kind}")
        self.exports.append(self.new_export(kind))

    @rule(k=st.integers(0, 5))
    def release(self, k):
        # (no precondition: whether an export exists can depend on when the GC ran a
        # re-entrant action, and Hypothesis needs the same rules available on a replay)
        if self.exports:
            _log(f"release export {k % len(self.exports)}")
            self.drop_export(k % len(self.exports))

    # ---------------------------------------------------------------- re-entrant rules

    @rule(op=st.sampled_from(["append", "insert", "setitem", "extend", "extend generator",
                              "setslice", "init", "column set", "column slice set", "index",
                              "count", "in", "remove"]),
          action=st.sampled_from(ACTIONS), field=st.sampled_from(["x", "w"]), i=INDICES,
          times=st.integers(1, 3))
    def reentrant_value(self, op, action, field, i, times):
        """A field value whose __index__ (x) or __float__ (w) acts on the array while the
        operation converts it."""
        evil = Reentrant(3, lambda: self.act(action), times)
        value = (evil, 1, 2.5) if field == "x" else (3, 1, evil)
        a = self.array
        ops = {
            "append": lambda: a.append(value),
            "insert": lambda: a.insert(i, value),
            "setitem": lambda: a.__setitem__(i, value),
            "extend": lambda: a.extend([value, (1, 1, 1.0), value]),
            "extend generator": lambda: a.extend(v for v in [(1, 1, 1.0), value, value]),
            "setslice": lambda: a.__setitem__(slice(i, None), [value, value]),
            "init": lambda: a.__init__([value, (1, 1, 1.0)]),
            "column set": lambda: a.column(field).__setitem__(i, evil),
            "column slice set": lambda: a.column(field).__setitem__(
                slice(None), [evil] * len(a)),
            "index": lambda: a.index(value),
            "count": lambda: a.count(value),
            "in": lambda: value in a,
            "remove": lambda: a.remove(value),
        }
        self.written[0].update((3, 1))
        self.written[1].add(1)
        self.written[2].update((2.5, 1.0, 3.0))
        self.reentrant(f"{op} with {value!r} ({action} x{times})", ops[op])

    @rule(op=st.sampled_from(["getitem", "setitem", "delitem", "pop", "insert", "column get",
                              "column set", "index start", "index stop", "reserve",
                              "zeros"]),
          action=st.sampled_from(ACTIONS), base=INDICES)
    def reentrant_index(self, op, action, base):
        """An index whose __index__ acts on the array while the operation reads it."""
        evil = Reentrant(base, lambda: self.act(action))
        a = self.array
        ops = {
            "getitem": lambda: a[evil],
            "setitem": lambda: a.__setitem__(evil, (1, 1, 1.0)),
            "delitem": lambda: a.__delitem__(evil),
            "pop": lambda: a.pop(evil),
            "insert": lambda: a.insert(evil, (1, 1, 1.0)),
            "column get": lambda: a.x[evil],
            "column set": lambda: a.y.__setitem__(evil, 1),
            "index start": lambda: a.index((1, 1, 1.0), evil),
            "index stop": lambda: a.index((1, 1, 1.0), 0, evil),
            "reserve": lambda: a.reserve(Reentrant(abs(base) * 10, lambda: self.act(action))),
            "zeros": lambda: type(a).zeros(Reentrant(abs(base), lambda: self.act(action))),
        }
        self.written[0].add(1)
        self.written[1].add(1)
        self.written[2].add(1.0)
        self.reentrant(f"{op} with index {evil!r} ({action})", ops[op])

    @rule(op=st.sampled_from(["get", "set", "set same length", "del", "column get",
                              "column set", "set itself"]),
          action=st.sampled_from(ACTIONS), part=st.sampled_from(["start", "stop", "step"]),
          s=SLICES)
    def reentrant_slice(self, op, action, part, s):
        """A slice whose start, stop or step is an object whose __index__ acts on the array
        (the length an operation computed before converting it is stale afterwards)."""
        evil = Reentrant({"start": s.start, "stop": s.stop, "step": s.step}[part] or
                         (1 if part == "step" else 0), lambda: self.act(action))
        bounds = {"start": s.start, "stop": s.stop, "step": s.step, part: evil}
        sl = slice(bounds["start"], bounds["stop"], bounds["step"])
        a = self.array
        n = len(range(*slice(s.start, s.stop, s.step or 1).indices(len(a))))
        ops = {
            "get": lambda: a[sl],
            "set": lambda: a.__setitem__(sl, [(1, 1, 1.0)] * 2),
            "set same length": lambda: a.__setitem__(sl, [(1, 1, 1.0)] * n),
            "del": lambda: a.__delitem__(sl),
            "column get": lambda: a.w[sl],
            "column set": lambda: a.x.__setitem__(sl, [1] * n),
            "set itself": lambda: a.__setitem__(sl, a),
        }
        self.written[0].add(1)
        self.written[1].add(1)
        self.written[2].add(1.0)
        self.reentrant(f"{op} a[{sl}] ({part} is re-entrant: {action})", ops[op])

    @precondition(lambda self: self.record_name == "Hooked")
    @rule(op=st.sampled_from(["index", "count", "in", "remove", "==", "!="]),
          action=st.sampled_from(ACTIONS), existing=st.integers(0, 10), times=st.integers(1, 3))
    def reentrant_eq(self, op, action, existing, times):
        """Hooked.__eq__ acts on the array while the array compares records with it."""
        value = self.model[existing % len(self.model)] if self.model else (1, 1, 1.0)
        other = self.array.copy()
        a = self.array
        left = [times]

        def hook():
            if left[0] > 0:
                left[0] -= 1
                self.act(action)
        ops = {"index": lambda: a.index(value), "count": lambda: a.count(value),
               "in": lambda: value in a, "remove": lambda: a.remove(value),
               "==": lambda: a == other, "!=": lambda: a != other}

        def run():
            self.hooks["eq"] = hook
            ops[op]()
        self.reentrant(f"{op} {value!r} with Hooked.__eq__ doing {action} x{times}", run)

    ALLOCATING = ["tolist", "list", "repr", "column repr", "column slice", "step slice",
                  "copy", "pickle", "==", "extend generator", "column iter", "tobytes"]

    def allocating_op(self, op, evil_index):
        """An operation that allocates Python objects as it goes (so the GC can run inside
        it); evil_index, when given, is a Reentrant used as a slice start."""
        a = self.array
        start = evil_index if evil_index is not None else None
        return {
            "tolist": lambda: a.x.tolist(),
            "list": lambda: list(a),
            "repr": lambda: repr(a),
            "column repr": lambda: repr(a.w),
            "column slice": lambda: a.w[start:],
            "step slice": lambda: a[start::2],
            "copy": lambda: a.copy(),
            "pickle": lambda: pickle.dumps(a) if self.compiled else a.__reduce__(),
            "==": lambda: a == a.copy(),
            "extend generator": lambda: a.extend((r.x, r.y, r.w) for r in list(a)[:3]),
            "column iter": lambda: list(a.y),
            "tobytes": lambda: a.tobytes(),
        }[op]

    @rule(op=st.sampled_from(ALLOCATING), action=st.sampled_from(ACTIONS),
          from_index=st.booleans())
    def reentrant_del(self, op, action, from_index):
        """Garbage whose __del__ acts on the array, collected by the GC while an operation
        allocates (the collection threshold is at its lowest meanwhile); the garbage is made
        just before the operation or from inside it (by a slice start's __index__)."""
        fire = lambda: self.act(action)       # noqa: E731
        made = []

        def make_garbage():
            made.append(weakref.ref(Finalized(fire)))

        evil = Reentrant(0, make_garbage) if from_index else None
        run = self.allocating_op(op, evil)

        def attack():
            threshold = gc.get_threshold()
            gc.collect(0)           # collections then come at the same points on a replay
            if not from_index:
                make_garbage()
            gc.set_threshold(1, 1000, 1000)
            try:
                run()
            finally:
                gc.set_threshold(*threshold)
                for ref in made:
                    if ref() is not None:
                        ref().fire = None
        self.reentrant(f"{op} while garbage with a __del__ doing {action} is collected "
                       f"({'made by a slice start' if from_index else 'made before'})", attack)

    @rule(op=st.sampled_from(ALLOCATING), action=st.sampled_from(ACTIONS),
          skip=st.integers(0, 6), from_index=st.booleans())
    def reentrant_gc_callback(self, op, action, skip, from_index):
        """A gc.callbacks hook acts on the array during a collection in the middle of an
        operation: one that its allocations trigger, or one gc.collect() from an __index__."""
        calls = [0]

        def callback(phase, info):
            if phase == "start":
                calls[0] += 1
                if calls[0] == skip + 1:
                    self.act(action)

        evil = Reentrant(0, lambda: gc.collect(0)) if from_index else None
        run = self.allocating_op(op, evil)

        def attack():
            threshold = gc.get_threshold()
            gc.collect(0)           # collections then come at the same points on a replay
            gc.callbacks.append(callback)
            gc.set_threshold(1, 1000, 1000)
            try:
                run()
            finally:
                gc.set_threshold(*threshold)
                gc.callbacks.remove(callback)
        self.reentrant(f"{op} with a gc callback doing {action} at collection {skip + 1}"
                       f"{' (gc.collect from a slice start)' if from_index else ''}", attack)

    # ---------------------------------------------------------------- invariants

    def check_pickle(self, protocol=None):
        a = self.array
        restore, args = a.__reduce__()[:2]
        assert restore(*args) == a
        if self.compiled:
            back = pickle.loads(pickle.dumps(a, protocol))
            assert type(back) is type(a) and back == a

    @invariant()
    def consistent(self):
        if self.array is None:
            return
        a, model = self.array, self.model
        assert len(a) == len(model), f"len(a) is {len(a)}, the model has {len(model)}"
        rows = [_as_tuple(r) for r in a]
        assert len(rows) == len(a), f"iteration gave {len(rows)} records for len {len(a)}"
        self.check_written(rows)
        assert [_as_tuple(a[i]) for i in range(len(a))] == rows, "a[i] disagrees with iter(a)"
        assert rows == model, "the array disagrees with the model"
        assert len(a.tobytes()) == len(a) * a.itemsize
        assert a == a.copy() and not (a != a.copy())
        self.check_pickle()
        for k, field in enumerate(FIELDS):
            assert a.column(field).tolist() == [row[k] for row in rows]
        assert f"of {len(a)} record" in repr(a)
        assert f"of {len(a)} record" in repr(a.x)
        assert a.capacity >= len(a)
        for kind, view in self.exports:
            if kind == "records":
                assert view.tobytes() == a.tobytes(), "an exported buffer shows other bytes"
            else:
                k = FIELDS.index(kind)
                assert view.tolist() == [row[k] for row in rows], \
                    f"an exported column {kind} shows other values"

    def teardown(self):
        if hasattr(self, "hooks"):
            self.hooks.clear()
        while self.exports:
            self.drop_export(len(self.exports) - 1)
        self.iterators.clear()


def _machine(built, compiled: bool):
    names = ("Point", "Hooked")
    compiled_classes = {n: getattr(built, n) for n in names}
    fallback_classes = {n: fallback_of(getattr(built, n)) for n in names}
    mine, other = (compiled_classes, fallback_classes) if compiled else \
        (fallback_classes, compiled_classes)
    return type(f"{'Compiled' if compiled else 'Fallback'}ArrayMachine", (ArrayMachine,),
                {"classes": mine, "other": other, "compiled": compiled})


def _last_example(stderr: str, limit: int = 120) -> str:
    steps = [line[5:] for line in stderr.splitlines() if line.startswith("STEP ")]
    starts = [i for i, line in enumerate(steps) if line.startswith("--- new example")]
    steps = steps[starts[-1]:] if starts else steps
    if len(steps) > limit:
        steps = steps[:5] + [f"... ({len(steps) - limit} steps left out)"] + steps[-limit + 5:]
    return "\n".join("    " + line for line in steps)


@contextlib.contextmanager
def _bounded_shrinking():
    """Hypothesis' shrinking time limit set to the profile's (an internal constant: if a
    Hypothesis version lacks it, its own limit applies)."""
    from hypothesis.internal.conjecture import engine
    previous = getattr(engine, "MAX_SHRINKING_SECONDS", None)
    if previous is not None:
        engine.MAX_SHRINKING_SECONDS = PROFILE["shrink_seconds"]
    try:
        yield
    finally:
        if previous is not None:
            engine.MAX_SHRINKING_SECONDS = previous


def _run(built, compiled: bool):
    machine = _machine(built, compiled)
    if IN_PROCESS:
        with _bounded_shrinking():
            run_state_machine_as_test(machine, settings=SETTINGS)
        return

    def child():
        _LOG["on"] = True
        with _bounded_shrinking():
            run_state_machine_as_test(machine, settings=SETTINGS)

    # generating, then shrinking for at most shrink_seconds, then the final replays
    timeout = (120 + 2 * PROFILE["shrink_seconds"]) * (3 if UNDER_ASAN else 1)
    outcome = run_forked(child, timeout=timeout)
    if outcome.status == "failed":
        pytest.fail(f"{outcome.summary}\n(in a forked child)\n{outcome.detail}",
                    pytrace=False)
    if outcome.status != "ok":
        pytest.fail(f"{machine.__name__}: {outcome.status}: {outcome.summary}\n"
                    f"  steps of the example that crashed (not shrunk):\n"
                    f"{_last_example(outcome.stderr)}\n  child stderr:\n    " +
                    "\n    ".join(outcome.crash_lines()), pytrace=False)


def test_compiled_array_state_machine(built):
    _run(built, compiled=True)


def test_fallback_array_state_machine(built):
    _run(built, compiled=False)


# ---------------------------------------------------------------- what the machine found, pinned

@pytest.fixture(scope="module", params=["compiled", "fallback"])
def Point(request, built):
    return built.Point if request.param == "compiled" else fallback_of(built.Point)


LENGTH_CHANGES = {
    "clear, then append": lambda a: (a.clear(), a.extend([(7, 7, 7.0), (8, 8, 8.0)])),
    "shrink_to_fit, then append": lambda a: (a.shrink_to_fit(), a.append((9, 9, 9.0))),
    "__init__ again": lambda a: a.__init__([(5, 5, 5.0), (6, 6, 6.0)]),
    "del a[:], then extend": lambda a: (a.__delitem__(slice(None)),
                                        a.extend([(4, 4, 4.0), (3, 3, 3.0)])),
    "pop, then append": lambda a: (a.pop(), a.append((2, 2, 2.0))),
}


@pytest.mark.parametrize("change", LENGTH_CHANGES)
@isolated
def test_live_iterator_follows_the_array(Point, change):
    """A record array iterator follows the array's current records, as a list iterator does:
    after the array is cleared or reallocated it gives the records now there."""
    a = Point.Array([(1, 1, 1.0), (2, 2, 2.0), (3, 3, 3.0)])
    it = iter(a)
    assert _as_tuple(next(it)) == (1, 1, 1.0)
    LENGTH_CHANGES[change](a)
    rest = [_as_tuple(r) for r in it]
    assert rest == [_as_tuple(r) for r in a][1:]


GC_INTERRUPTED = {
    "repr": repr, "column repr": lambda a: repr(a.w), "tolist": lambda a: a.x.tolist(),
    "column slice": lambda a: a.w[1:], "column iter": lambda a: list(a.y), "list": list,
    "step slice": lambda a: a[::2], "copy": lambda a: a.copy(), "==": lambda a: a == a.copy(),
    "index": lambda a: a.index((19, 19, 19.0)), "count": lambda a: a.count((3, 3, 3.0)),
    "tobytes": lambda a: a.tobytes(), "reduce": lambda a: a.__reduce__(),
}


@pytest.mark.parametrize("action", ["clear", "shrink", "grow"])
@pytest.mark.parametrize("op", GC_INTERRUPTED)
@isolated
def test_gc_callback_changing_the_array_mid_operation(Point, op, action):
    """A gc.callbacks hook that changes the array at the k-th collection of an operation (the
    collection threshold at its lowest, so every allocation can collect): the operation
    completes or raises one of REENTRANT_ERRORS, and the array is consistent afterwards."""
    for k in range(1, 8):
        a = Point.Array([(i, i, float(i)) for i in range(20)])
        calls = [0]

        def callback(phase, info):
            if phase == "start":
                calls[0] += 1
                if calls[0] == k:
                    try:
                        {"clear": a.clear, "shrink": lambda: a.__delitem__(slice(2, None)),
                         "grow": lambda: a.extend([GROW] * 40)}[action]()
                    except Exception:
                        pass
        threshold = gc.get_threshold()
        gc.collect(0)
        gc.callbacks.append(callback)
        gc.set_threshold(1, 1000, 1000)
        try:
            try:
                GC_INTERRUPTED[op](a)
            except REENTRANT_ERRORS:
                pass
        finally:
            gc.set_threshold(*threshold)
            gc.callbacks.remove(callback)
        rows = [_as_tuple(r) for r in a]
        assert len(rows) == len(a) and [_as_tuple(a[i]) for i in range(len(a))] == rows
        assert all(row == (row[0], row[0], float(row[0])) or row == GROW for row in rows)
        assert a.x.tolist() == [row[0] for row in rows] and a == a.copy()


INDEX_REENTRANT = {
    "pop": lambda a, e: a.pop(e),
    "a[i]": lambda a, e: a[e],
    "a[i] = v": lambda a, e: a.__setitem__(e, (1, 1, 1.0)),
    "del a[i]": lambda a, e: a.__delitem__(e),
    "insert": lambda a, e: a.insert(e, (1, 1, 1.0)),
    "a.x[i]": lambda a, e: a.x[e],
    "a.x[i] = v": lambda a, e: a.x.__setitem__(e, 1),
    "index(v, start)": lambda a, e: a.index((19, 19, 19.0), e),
    "a[e:]": lambda a, e: a[e:],
    "a[e::2] = values": lambda a, e: a.__setitem__(slice(e, None, 2), [(1, 1, 1.0)] * 10),
    "del a[e::3]": lambda a, e: a.__delitem__(slice(e, None, 3)),
    "a.w[e:]": lambda a, e: a.w[e:],
    "a.x[e:] = values": lambda a, e: a.x.__setitem__(slice(e, None), [1] * 20),
}


@pytest.mark.parametrize("action", ["clear", "shrink", "grow"])
@pytest.mark.parametrize("op", INDEX_REENTRANT)
@isolated
def test_index_conversion_changing_the_array(Point, op, action):
    """An index (or slice bound) whose __index__ changes the array: the operation uses the
    array as it is after the conversion (or raises one of REENTRANT_ERRORS)."""
    a = Point.Array([(i, i, float(i)) for i in range(20)])
    change = {"clear": a.clear, "shrink": lambda: a.__delitem__(slice(2, None)),
              "grow": lambda: a.extend([GROW] * 40)}[action]
    try:
        INDEX_REENTRANT[op](a, Reentrant(0, change))
    except REENTRANT_ERRORS:
        pass
    rows = [_as_tuple(r) for r in a]
    assert len(rows) == len(a) and [_as_tuple(a[i]) for i in range(len(a))] == rows
    assert all(row in ((row[0], row[0], float(row[0])), GROW, (1, 1, 1.0)) or
               row[1:] == (row[1], float(row[1])) for row in rows)
    assert a == a.copy()
