"""How each figure is taken. Runs inside a worker process, one contender and schema per process.

Every Python-level loop is generated from a template with the contender's expressions pasted
in, so all contenders run literally the same loop around their own `C(x, y, z)`, `p.x`, ...
Times are medians of `repeats` runs of a whole loop, taken with perf_counter_ns; a per-record
figure subtracts the median of the same loop with the measured operation left out (the empty
loop), runs of the two alternating.
"""
import gc
import os
import pickle
import statistics
import sys
import tracemalloc
from time import perf_counter_ns

from suite import Schema, Subject

TEMPLATES = {
    # Records made from fresh value objects, so whatever a record keeps alive is counted.
    "fill_objects": """
def run(n, out):
    for i in range(n):
        x = {vx}
        y = {vy}
        z = {vz}
        out[i] = {make}
    return out
""",
    "fill_array": """
def run(n, out):
    return BUILD((({vx}, {vy}, {vz}) for i in range(n)), n)
""",
    "rows": "def run(n):\n    return [({vx}, {vy}, {vz}) for i in range(n)]\n",
    "construct_objects": "def run(rows):\n    return [{make} for x, y, z in rows]\n",
    "construct_objects_empty": "def run(rows):\n    return [x for x, y, z in rows]\n",
    "construct_array": "def run(rows):\n    return BUILD(rows, len(rows))\n",
    "construct_array_empty": "def run(rows):\n    return None\n",
    "iterate": "def run(objs):\n    for p in objs:\n        pass\n",
    "read": "def run(objs):\n    for p in objs:\n        {read}\n",
    "write": "def run(objs):\n    for p in objs:\n        {write}\n",
    "pairs": "def run(a, b):\n    for p, q in zip(a, b):\n        pass\n",
    "eq": "def run(a, b):\n    for p, q in zip(a, b):\n        p == q\n",
    "hash": "def run(a, b):\n    for p, q in zip(a, b):\n        hash(p)\n",
    "pysum": "def run(objs):\n    return sum(({read} for p in objs), START)\n",
    "get": "def run(p):\n    return {read}\n",
}


class Loops:
    """The templates compiled for one subject and schema: loops.read(objs), loops.fill(n, out)..."""

    def __init__(self, subject: Subject, schema: Schema):
        vx, vy, vz = schema.values
        fields = dict(vx=vx, vy=vy, vz=vz, make=subject.make, read=subject.read,
                      write=subject.write or "pass")
        ns_base = dict(subject.ns, v=schema.write_value, START=subject.sum_start,
                       BUILD=subject.build)
        kind = subject.kind
        for name, template in TEMPLATES.items():
            if name.endswith(("_objects", "_objects_empty", "_array", "_array_empty")):
                if f"_{kind}" not in name:
                    continue
                name = name.replace(f"_{kind}", "")
            ns = dict(ns_base)
            exec(compile(template.format(**fields), f"<loop {name}>", "exec"), ns)
            setattr(self, name, ns["run"])


# ---------------------------------------------------------------- primitives

def rss_bytes() -> int:
    """Resident set size now (Linux /proc/self/statm: pages actually in RAM)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def timed(fn, *args) -> int:
    """Nanoseconds of one call; the result is dropped after the clock stops."""
    start = perf_counter_ns()
    result = fn(*args)
    elapsed = perf_counter_ns() - start
    del result
    return elapsed


def alternate(body, empty, args, repeats):
    """Run body and empty alternately; return both lists of total ns."""
    body_runs, empty_runs = [], []
    for _ in range(repeats):
        empty_runs.append(timed(empty, *args))
        body_runs.append(timed(body, *args))
    return body_runs, empty_runs


def per_record(body_runs, empty_runs, count) -> float:
    return (statistics.median(body_runs) - statistics.median(empty_runs)) / count


def gc_collect_ns(repeats) -> float:
    return statistics.median(timed(gc.collect) for _ in range(repeats))


def first(container):
    return next(iter(container))


# ---------------------------------------------------------------- the phases

class Bench:
    """Measures one subject. Phases run in order and share state (records built by `construct`
    are read by the later phases); `run` records each phase's figures or its error."""

    PHASES = ("memory", "tracemalloc", "construct", "read", "sums", "eq_hash", "pickle", "write")
    ESSENTIAL = ("memory", "construct")      # without these the row is a failure

    def __init__(self, subject: Subject, schema: Schema, n: int, sample_n: int, repeats: int):
        self.subject, self.schema = subject, schema
        self.n, self.sample_n, self.repeats = n, min(sample_n, n), repeats
        self.loops = Loops(subject, schema)
        self.figures, self.raw, self.errors = {}, {}, {}

    def smoke(self):
        """Make two records and read one back: a contender that cannot do this is skipped."""
        rows = self.loops.rows(2)
        got = self.loops.get(first(self.loops.construct(rows)))
        if got != rows[0][0]:
            raise AssertionError(f"field x reads back {got!r}, expected {rows[0][0]!r}")

    def run(self, progress):
        for phase in self.PHASES:
            progress(phase)
            try:
                getattr(self, phase)()
            except Exception as exc:
                self.errors[phase] = f"{type(exc).__name__}: {exc}"[:300]

    def _container(self):
        return [None] * self.n if self.subject.kind == "objects" else None

    def memory(self):
        """RSS increase per record, with the records made from fresh values (see README)."""
        out = self._container()                 # the list of references is not counted
        gc.collect()
        gc_before = gc_collect_ns(3)
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
        gc_with = gc_collect_ns(3)
        self.figures["gc_ms"] = (gc_with - gc_before) / 1e6
        self.raw["gc_ms"] = {"with_records_ns": gc_with, "before_ns": gc_before}

    def tracemalloc(self):
        out = self._container()
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            records = self.loops.fill(self.n, out)
            gc.collect()
            self.figures["tracemalloc_bytes"] = (tracemalloc.get_traced_memory()[0] - before) / self.n
        finally:
            tracemalloc.stop()
        del records

    def construct(self):
        self.rows = self.loops.rows(self.n)
        self.expected_sum = sum(row[0] for row in self.rows)
        body, empty = alternate(self.loops.construct, self.loops.construct_empty,
                                (self.rows,), self.repeats)
        gc.disable()
        try:
            no_gc, no_gc_empty = alternate(self.loops.construct, self.loops.construct_empty,
                                           (self.rows,), self.repeats)
        finally:
            gc.enable()
        self.figures["construct_ns"] = per_record(body, empty, self.n)
        self.figures["construct_nogc_ns"] = per_record(no_gc, no_gc_empty, self.n)
        self.raw["construct_ns"] = {"body": body, "empty": empty}
        self.raw["construct_nogc_ns"] = {"body": no_gc, "empty": no_gc_empty}
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
        runs, size = [], 0
        for _ in range(self.repeats):
            start = perf_counter_ns()
            data = pickle.dumps(self.copies, protocol=pickle.HIGHEST_PROTOCOL)
            back = pickle.loads(data)
            runs.append(perf_counter_ns() - start)
            size = len(data)
            got, want = self.loops.get(first(back)), self.loops.get(first(self.copies))
            del back
            if got != want:
                raise AssertionError(f"pickle round trip changed x: {got!r} != {want!r}")
        self.figures["pickle_ms"] = statistics.median(runs) / 1e6 * (100_000 / self.sample_n)
        self.figures["pickle_bytes"] = size / self.sample_n
        self.raw["pickle_ms"] = {"runs": runs, "records": self.sample_n}

    # helpers

    def _per_record(self, name, body, empty, args, count):
        body_runs, empty_runs = alternate(body, empty, args, self.repeats)
        self.figures[name] = per_record(body_runs, empty_runs, count)
        self.raw[name] = {"body": body_runs, "empty": empty_runs, "count": count}

    def _timed_sum(self, name, fn):
        runs = []
        for _ in range(self.repeats):
            start = perf_counter_ns()
            total = fn(self.objs)
            runs.append(perf_counter_ns() - start)
            if total != self.expected_sum:
                raise AssertionError(f"sum of x is {total!r}, expected {self.expected_sum!r}")
        self.figures[name] = statistics.median(runs) / self.n
        self.raw[name] = {"runs": runs}
