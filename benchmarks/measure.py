"""How each figure is taken. Runs inside a worker process, one contender and schema per process.

Every Python-level loop is generated from a template with the contender's expressions pasted
in, so all contenders run literally the same loop around their own `C(x, y, z)`, `p.x`, ...
Times are taken around a whole loop, by perf_counter_ns (or, with --clock cpu, by the worker's
CPU time, process_time_ns; both are always read, see Stopwatch). A per-record figure runs the loop
and the same loop with the measured operation left out (the empty loop) alternately, and
reports the median over the repeats of the paired differences divided by the record count.
"""
import gc
import os
import pickle
import statistics
import sys
import tracemalloc
from time import perf_counter_ns, process_time_ns

from suite import Schema, Subject

# Loops shared by every contender. {read}/{write} are the contender's expressions on a record
# `p`; objs is a list of records or an array (iteration yields its records).
TEMPLATES = {
    "rows": "def run(n):\n    return [({vx}, {vy}, {vz}) for i in range(n)]\n",
    "iterate": "def run(objs):\n    for p in objs:\n        pass\n",
    "read": "def run(objs):\n    for p in objs:\n        {read}\n",
    "write": "def run(objs):\n    for p in objs:\n        {write}\n",
    "pairs": "def run(a, b):\n    for p, q in zip(a, b):\n        pass\n",
    "eq": "def run(a, b):\n    for p, q in zip(a, b):\n        p == q\n",
    "hash": "def run(a, b):\n    for p, q in zip(a, b):\n        hash(p)\n",
    "pysum": "def run(objs):\n    return sum(({read} for p in objs), START)\n",
    "get": "def run(p):\n    return {read}\n",
}

# Loops that make records: one record per {make} for object contenders, one call of the
# contender's BUILD(rows, n) for arrays. `fill` makes them from fresh value objects computed
# from the index, so whatever a record keeps alive is counted by the memory figures.
MAKE_TEMPLATES = {
    "objects": {
        "fill": "def run(n, out):\n    for i in range(n):\n        x = {vx}\n        y = {vy}\n"
                "        z = {vz}\n        out[i] = {make}\n    return out\n",
        "construct": "def run(rows):\n    return [{make} for x, y, z in rows]\n",
        "construct_empty": "def run(rows):\n    return [x for x, y, z in rows]\n",
    },
    "array": {
        "fill": "def run(n, out):\n    return BUILD((({vx}, {vy}, {vz}) for i in range(n)), n)\n",
        "construct": "def run(rows):\n    return BUILD(rows, len(rows))\n",
        "construct_empty": "def run(rows):\n    return None\n",
    },
}


class Loops:
    """The templates compiled for one subject and schema: loops.read(objs), loops.fill(n, out)..."""

    def __init__(self, subject: Subject, schema: Schema):
        vx, vy, vz = schema.values
        fields = dict(vx=vx, vy=vy, vz=vz, make=subject.make, read=subject.read,
                      write=subject.write or "pass")
        names = dict(subject.ns, v=schema.write_value, START=subject.sum_start,
                     BUILD=subject.build)
        for name, template in {**TEMPLATES, **MAKE_TEMPLATES[subject.kind]}.items():
            namespace = dict(names)
            exec(compile(template.format(**fields), f"<loop {name}>", "exec"), namespace)
            setattr(self, name, namespace["run"])


# ---------------------------------------------------------------- primitives

def rss_bytes() -> int:
    """Resident set size now (Linux /proc/self/statm: pages actually in RAM)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Stopwatch:
    """Times calls by wall clock (perf_counter_ns, the default) or by the process's CPU time
    (process_time_ns: excludes the time the worker waited while other processes ran).
    Both are always read, so `cpu_share` tells how much of the wall time the worker really ran:
    well below 1 means the machine was busy and wall-clock figures are inflated."""

    def __init__(self, clock: str = "wall"):
        self.use_cpu = clock == "cpu"
        self.wall_total = self.cpu_total = 0

    def time(self, fn, *args) -> int:
        """Nanoseconds of one call; the result is dropped after the clocks stop."""
        wall, cpu = perf_counter_ns(), process_time_ns()
        result = fn(*args)
        cpu, wall = process_time_ns() - cpu, perf_counter_ns() - wall
        del result
        self.wall_total += wall
        self.cpu_total += cpu
        return cpu if self.use_cpu else wall

    @property
    def cpu_share(self) -> float:
        return self.cpu_total / self.wall_total if self.wall_total else 1.0


MIN_REPEATS = 3


def repetitions(repeats: int, budget_s: float):
    """Yield run indexes: `repeats` of them, but stop early (after at least MIN_REPEATS) once
    the runs so far have taken `budget_s`, so slow loops do not stretch the whole suite."""
    start = perf_counter_ns()
    for index in range(repeats):
        if index >= MIN_REPEATS and perf_counter_ns() - start > budget_s * 1e9:
            return
        yield index


def alternate(stopwatch, body, empty, args, repeats, budget_s):
    """Run empty and body alternately; return both lists of total ns."""
    body_runs, empty_runs = [], []
    for _ in repetitions(repeats, budget_s):
        empty_runs.append(stopwatch.time(empty, *args))
        body_runs.append(stopwatch.time(body, *args))
    return body_runs, empty_runs


def per_record(body_runs, empty_runs, count):
    """Median and relative spread of the paired differences (body - empty) / count.
    Pairing adjacent runs cancels slow drift (another process starting, frequency changes)."""
    return median_and_spread([(b - e) / count for b, e in zip(body_runs, empty_runs)])


def median_and_spread(values):
    """(median, interquartile range / |median|) of a list of measurements."""
    middle = statistics.median(values)
    if len(values) < 2:
        return middle, 0.0
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return middle, min((q3 - q1) / abs(middle), 99.0) if middle else 99.0


def first(container):
    return next(iter(container))


# ---------------------------------------------------------------- the phases

class Bench:
    """Measures one subject. Phases run in order and share state (records built by `construct`
    are read by the later phases); `run` records each phase's figures or its error."""

    PHASES = ("memory", "tracemalloc", "construct", "read", "sums", "eq_hash", "pickle", "write")
    ESSENTIAL = ("memory", "construct")      # without these the row is a failure

    def __init__(self, subject: Subject, schema: Schema, n: int, sample_n: int, repeats: int,
                 budget_s: float = float("inf"), clock: str = "wall"):
        self.subject, self.schema = subject, schema
        self.n, self.sample_n, self.repeats = n, min(sample_n, n), repeats
        self.budget_s = budget_s          # per figure; see repetitions()
        self.stopwatch = Stopwatch(clock)
        self.loops = Loops(subject, schema)
        self.figures, self.raw, self.errors = {}, {}, {}
        self.noise = {}          # figure -> interquartile range of its repeats / median
        self.seconds = {}        # phase -> wall time it took

    def smoke(self):
        """Make two records and read one back: a contender that cannot do this is skipped."""
        rows = self.loops.rows(2)
        got = self.loops.get(first(self.loops.construct(rows)))
        if got != rows[0][0]:
            raise AssertionError(f"field x reads back {got!r}, expected {rows[0][0]!r}")

    def run(self, progress):
        for phase in self.PHASES:
            progress(phase)
            start = perf_counter_ns()
            try:
                getattr(self, phase)()
            except Exception as exc:
                self.errors[phase] = f"{type(exc).__name__}: {exc}"[:300]
            self.seconds[phase] = (perf_counter_ns() - start) / 1e9

    def _container(self):
        return [None] * self.n if self.subject.kind == "objects" else None

    def memory(self):
        """RSS increase per record, with the records made from fresh values (see README)."""
        out = self._container()                 # the list of references is not counted
        gc.collect()
        gc_before = self._gc_collect_ns()
        baseline = rss_bytes()
        records = self.loops.fill(self.n, out)
        gc.collect()
        self.figures["rss_bytes"] = (rss_bytes() - baseline) / self.n
        one = first(records)
        if self.subject.kind == "objects":
            self.figures["getsizeof"] = sys.getsizeof(one)
            self.figures["gc_tracked"] = gc.is_tracked(one)
        else:
            self.figures["getsizeof"] = sys.getsizeof(records) / self.n
            self.figures["gc_tracked"] = gc.is_tracked(records)
        gc_with = self._gc_collect_ns()
        self.figures["gc_ms"] = (gc_with - gc_before) / 1e6
        self.raw["gc_ms"] = {"with_records_ns": gc_with, "before_ns": gc_before}
        del records, out

    def tracemalloc(self):
        out = self._container()
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            records = self.loops.fill(self.n, out)
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - before
            self.figures["tracemalloc_bytes"] = grown / self.n
        finally:
            tracemalloc.stop()
        del records

    def construct(self):
        self.rows = self.loops.rows(self.n)
        self.expected_sum = sum(row[0] for row in self.rows)
        body, empty = alternate(self.stopwatch, self.loops.construct, self.loops.construct_empty,
                                (self.rows,), self.repeats, self.budget_s)
        gc.disable()
        try:
            no_gc, no_gc_empty = alternate(self.stopwatch, self.loops.construct, self.loops.construct_empty,
                                           (self.rows,), self.repeats, self.budget_s)
        finally:
            gc.enable()
        self._record("construct_ns", per_record(body, empty, self.n), body=body, empty=empty)
        self._record("construct_nogc_ns", per_record(no_gc, no_gc_empty, self.n),
                     body=no_gc, empty=no_gc_empty)
        self.objs = self.loops.construct(self.rows)
        self.copies = self.loops.construct(self.rows[:self.sample_n])   # equal, distinct records

    def read(self):
        self._per_record("read_ns", self.loops.read, self.loops.iterate, (self.objs,), self.n)

    def write(self):                                   # last: it overwrites field x
        if self.subject.write is None:
            self.figures["write_ns"] = None
            return
        self._per_record("write_ns", self.loops.write, self.loops.iterate, (self.objs,), self.n)

    def sums(self):
        self._timed_sum("pysum_ns", self.loops.pysum)
        if self.subject.csum is not None:
            self._timed_sum("cysum_ns", self.subject.csum)

    def eq_hash(self):
        one, copy = first(self.objs), first(self.copies)
        self.figures["eq_kind"] = "value" if bool(one == copy) else "identity"
        args = (self.objs, self.copies)
        self._per_record("eq_ns", self.loops.eq, self.loops.pairs, args, self.sample_n)
        try:
            hash(one)
        except TypeError:
            self.figures["hash_ns"] = None               # unhashable
            return
        self._per_record("hash_ns", self.loops.hash, self.loops.pairs, args, self.sample_n)

    def pickle(self):
        def round_trip(records):
            return pickle.loads(pickle.dumps(records, protocol=pickle.HIGHEST_PROTOCOL))

        runs = [self.stopwatch.time(round_trip, self.copies)
                for _ in repetitions(self.repeats, self.budget_s)]
        data = pickle.dumps(self.copies, protocol=pickle.HIGHEST_PROTOCOL)
        got, want = self.loops.get(first(pickle.loads(data))), self.loops.get(first(self.copies))
        if got != want:
            raise AssertionError(f"pickle round trip changed x: {got!r} != {want!r}")
        scale = 100_000 / self.sample_n / 1e6
        self._record("pickle_ms", median_and_spread([t * scale for t in runs]),
                     runs=runs, records=self.sample_n)
        self.figures["pickle_bytes"] = len(data) / self.sample_n

    # helpers

    def _record(self, name, median_spread, **raw):
        self.figures[name], self.noise[name] = median_spread
        self.raw[name] = raw

    def _per_record(self, name, body, empty, args, count):
        body_runs, empty_runs = alternate(self.stopwatch, body, empty, args, self.repeats,
                                          self.budget_s)
        self._record(name, per_record(body_runs, empty_runs, count),
                     body=body_runs, empty=empty_runs, count=count)

    def _timed_sum(self, name, fn):
        runs, totals = [], []

        def summed(objs):
            totals.append(fn(objs))

        for _ in repetitions(self.repeats, self.budget_s):
            runs.append(self.stopwatch.time(summed, self.objs))
        if any(total != self.expected_sum for total in totals):
            raise AssertionError(f"sum of x is {totals[0]!r}, expected {self.expected_sum!r}")
        self._record(name, median_and_spread([t / self.n for t in runs]), runs=runs)

    def _gc_collect_ns(self, repeats=3) -> float:
        return statistics.median(self.stopwatch.time(gc.collect) for _ in range(repeats))
