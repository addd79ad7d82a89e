"""Concurrency: records and arrays used from several threads, and the free-threaded contract.

The stress test runs 4 threads that create, mutate, pickle and drop records and arrays of
several types for a few seconds (``COMPACTCLASS_THREAD_SECONDS``, default 3) with a tiny switch
interval, so the GIL changes hands constantly, including in the middle of allocations and frees
of the per-type arenas. At the end the arena statistics must account for exactly the records
still alive, and for none once they are dropped.

The thread-safety contract (README, "Thread safety"):
- under the GIL, every single operation on a record or an array (a field read or write, a
  constructor call, an append) is atomic: another thread never sees a half-written field;
- records may be shared freely; a record array shared between threads that resize it needs the
  same care as a shared list (each call is atomic, sequences of calls are not);
- on a free-threaded build (Py_GIL_DISABLED) the per-type arena is compiled out
  (``CC_USE_ARENA`` is 0 in cc_typeslots.h) and records use CPython's allocator, which is safe
  across threads.
"""
from __future__ import annotations

import gc
import os
import pickle
import random
import subprocess
import sys
import sysconfig
import threading
import time

import pytest

import compactclass
from compactclass import _records
from workload_decls import SOURCE

SECONDS = float(os.environ.get("COMPACTCLASS_THREAD_SECONDS", "3"))
THREADS = 4
FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def m(builder):
    module = builder.build(SOURCE, name="thread_records")
    assert compactclass.is_compiled(module.Point)
    return module


def live(cls):
    stats = _records.arena_stats(cls)
    return None if stats is None else stats["live_blocks"]


def worker(m, seed, deadline, kept, errors, shared, shared_array):
    """One thread's random mix of operations; ``kept`` ends with the records it holds."""
    rng = random.Random(seed)
    makers = [
        lambda: m.Point(rng.randrange(-2**31, 2**31), 2, 3),
        lambda: m.Particle(rng.random(), rng.random(), 2.0),
        lambda: m.Flags(rng.random() < 0.5, rng.randrange(256), rng.randrange(-2**63, 2**63)),
        lambda: m.Point4(1, 2, 3, w=rng.randrange(-128, 128)),
    ]
    try:
        held = []
        arrays = [m.Point.Array() for _ in range(2)] if hasattr(m.Point, "Array") else []
        while time.monotonic() < deadline:
            for _ in range(200):
                op = rng.randrange(10)
                if op < 4 or not held:
                    held.append(rng.choice(makers)())
                elif op == 4:
                    del held[rng.randrange(len(held))]
                elif op == 5:
                    r = rng.choice(held)
                    if type(r) is m.Flags:
                        r.c, r.b = rng.randrange(-2**63, 2**63), rng.randrange(256)
                    elif type(r) is not m.Particle:
                        r.x = rng.randrange(100)
                elif op == 6:
                    r = rng.choice(held)
                    assert pickle.loads(pickle.dumps(r)) == r
                elif op == 7:
                    # torn-write check on a record every thread writes: both halves of the
                    # 64-bit value always come from the same write
                    v = rng.randrange(2**31)
                    shared.c = (v << 32) | v
                    seen = shared.c
                    assert seen >> 32 == seen & 0xFFFFFFFF, hex(seen)
                elif op == 8 and arrays:
                    a = rng.choice(arrays)
                    a.append((rng.randrange(100), 1, 2))
                    if len(a) > 500:
                        del a[: rng.randrange(len(a))]
                    b = a[len(a) // 2:]
                    assert len(b) == len(a) - len(a) // 2
                    shared_array.append((seed, len(a), 0))
                    if len(shared_array) > 1000:
                        shared_array.clear()
                else:
                    if len(held) > 2000:
                        del held[: len(held) // 2]
        kept.extend(held)
    except BaseException as exc:  # reported by the main thread
        errors.append(exc)


def test_four_threads_create_mutate_drop(m):
    classes = [m.Point, m.Particle, m.Flags, m.Point4]
    gc.collect()
    baseline = {cls: live(cls) for cls in classes}
    shared = m.Flags()
    shared_array = m.Point.Array() if hasattr(m.Point, "Array") else []
    kept = [[] for _ in range(THREADS)]
    errors = []
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        deadline = time.monotonic() + SECONDS
        threads = [threading.Thread(target=worker, args=(m, seed, deadline, kept[seed], errors,
                                                         shared, shared_array))
                   for seed in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=SECONDS + 120)
            assert not t.is_alive(), "a worker thread hung"
    finally:
        sys.setswitchinterval(interval)
    assert not errors, errors[0]
    assert all(kept), "every thread did work"
    if not _records.ARENA_ENABLED:
        return
    # the arena of each type counts exactly the records still alive ...
    gc.collect()
    alive = [r for held in kept for r in held] + [shared]
    for cls in classes:
        expected = baseline[cls] + sum(type(r) is cls for r in alive)
        assert live(cls) == expected, (cls.__qualname__, live(cls), expected)
    # ... and gets every block back once they are dropped
    del alive, kept, shared
    gc.collect()
    for cls in classes:
        assert live(cls) == baseline[cls], cls.__qualname__


def test_arena_is_compiled_out_on_free_threaded_builds():
    """cc_typeslots.h: CC_USE_ARENA is 0 under Py_GIL_DISABLED (checked with the preprocessor,
    since this interpreter may not be free-threaded), 1 otherwise."""
    header = os.path.join(ROOT, "pyx", "compactclass", "cc_typeslots.h")
    include = sysconfig.get_paths()["include"]
    values = {}
    for flags in ([], ["-DPy_GIL_DISABLED=1"]):
        proc = subprocess.run(["cc", "-E", "-dM", *flags, f"-I{include}", "-x", "c", header],
                              capture_output=True, text=True)
        if proc.returncode:
            pytest.skip(f"no C preprocessor: {proc.stderr[:200]}")
        line = next(l for l in proc.stdout.splitlines() if l.startswith("#define CC_USE_ARENA "))
        values[bool(flags)] = line.split()[-1]
    assert values == {False: "1", True: "0"}


def test_generated_modules_install_the_arena_only_when_enabled(m):
    """Every arena use in a generated module is behind ``if _cc_r.CC_USE_ARENA``."""
    pyx = open(m.Point.__compact__.module.__file__.rsplit("_compact", 1)[0] + "_compact.pyx")
    lines = pyx.read().splitlines()
    uses = [i for i, l in enumerate(lines) if "new_type_arena" in l or "cc_type_set_alloc" in l]
    assert uses
    for i in uses:
        depth = len(lines[i]) - len(lines[i].lstrip())
        guard = next(lines[j] for j in range(i, -1, -1)
                     if lines[j].strip() and len(lines[j]) - len(lines[j].lstrip()) < depth)
        assert guard.strip() == "if _cc_r.CC_USE_ARENA:", (lines[i], guard)


def test_this_interpreter(m):
    """On this build: the arena is used unless the GIL is disabled."""
    assert _records.ARENA_ENABLED is (not FREE_THREADED)
    stats = _records.arena_stats(m.Point)
    if FREE_THREADED:
        assert stats is None
    else:
        before = stats["live_blocks"]
        p = m.Point(1, 2)
        assert _records.arena_stats(m.Point)["live_blocks"] == before + 1
        del p
        assert _records.arena_stats(m.Point)["live_blocks"] == before
