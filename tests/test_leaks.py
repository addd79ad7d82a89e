"""Leak checks: every operation on compiled records and arrays, run hundreds of thousands of
times, must give all its memory back.

For each operation the check warms up, then runs it N times (N = 200,000 by default, a quarter
of that for operations that cost microseconds; ``COMPACTCLASS_LEAK_ITERATIONS`` sets N) and
checks that:

- ``sys.getrefcount`` of every value involved (the classes, the field values, the bad values of
  the error paths) is unchanged;
- the arena statistics of every record type involved show the same number of live blocks
  (every block returned) and at most one more slab (the spare the arena keeps back);
- the number of pymalloc blocks (``sys.getallocatedblocks``) has not grown;
- over a further N/20 runs under tracemalloc (which also sees malloc'd memory and the arena
  slabs, reported to it by the runtime), traced memory grows by less than 64 KiB.
"""
from __future__ import annotations

import copy
import dataclasses
import gc
import os
import pickle
import sys
import tracemalloc
import weakref

import pytest

import compactclass
from compactclass import _records
from workload_decls import SOURCE

ITERATIONS = int(os.environ.get("COMPACTCLASS_LEAK_ITERATIONS", "200000"))
# Operations that cost microseconds (pickling, copying, raising with a formatted message) run a
# quarter as often: 50,000 times at the default N.
SLOW = ITERATIONS // 4
WARMUP = 2000
# What an operation may gain over all its runs (caches, freelists, a dict resize): pymalloc
# blocks over the long run, traced bytes over the traced run (1/20 of it, at least 2,000 runs).
# One leaked object per run would be 200,000 blocks, or 160 KB traced.
BLOCK_ALLOWANCE = 100
ALLOWANCE = 64 * 1024
TRACED_FRACTION = 20


@pytest.fixture(scope="module")
def m(builder):
    module = builder.build(SOURCE, name="leak_records")
    assert compactclass.is_compiled(module.Point)
    return module


def arena(cls):
    return _records.arena_stats(cls) or {"live_blocks": 0, "slabs": 0, "bytes_reserved": 0}


def assert_no_leak(op, classes, values=(), iterations=ITERATIONS):
    """Run op() ``iterations`` times; memory, arena blocks and refcounts must come back.

    The long run counts pymalloc blocks (exact and free); a shorter run under tracemalloc
    (which costs ~4 us per traced operation) also sees raw and arena allocations.
    """
    values = list(values) + list(classes)
    for _ in range(WARMUP):
        op()
    gc.collect()
    refs = [sys.getrefcount(v) for v in values]
    before = [arena(c) for c in classes]
    blocks = sys.getallocatedblocks()
    for _ in range(iterations):
        op()
    gc.collect()
    blocks = sys.getallocatedblocks() - blocks
    after = [arena(c) for c in classes]
    assert [sys.getrefcount(v) for v in values] == refs, \
        f"reference counts changed: {refs} -> {[sys.getrefcount(v) for v in values]} " \
        f"(of {values!r})"
    for name, b, a in zip([c.__qualname__ for c in classes], before, after):
        assert a["live_blocks"] == b["live_blocks"], \
            f"{name}: {a['live_blocks'] - b['live_blocks']} arena blocks not returned"
        assert a["slabs"] <= b["slabs"] + 1, (name, b, a)
    assert blocks < BLOCK_ALLOWANCE, f"{blocks} more pymalloc blocks after {iterations} runs"
    traced = max(iterations // TRACED_FRACTION, WARMUP)
    tracemalloc.start()
    try:
        for _ in range(WARMUP):
            op()
        gc.collect()
        start = tracemalloc.get_traced_memory()[0]
        before = [arena(c) for c in classes]
        for _ in range(traced):
            op()
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - start
        after = [arena(c) for c in classes]
    finally:
        tracemalloc.stop()
    slab_bytes = sum(a["bytes_reserved"] - b["bytes_reserved"] for b, a in zip(before, after))
    assert grown - max(slab_bytes, 0) < ALLOWANCE, \
        f"traced memory grew by {grown} bytes over {traced} runs"


def raises(exc_type, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except exc_type:
        return
    raise AssertionError(f"{fn} did not raise {exc_type.__name__}")


# Value objects that are not cached by the interpreter, so a lost or extra reference to them
# shows in their refcount.
BIG = 123_456_789
FLOAT = 2.718281828
BAD_STR = "not a number"
HUGE = 2**80


def test_create_positional(m):
    assert_no_leak(lambda: m.Point(BIG, BIG, BIG), [m.Point], [BIG])


def test_create_keywords(m):
    assert_no_leak(lambda: m.Point(x=BIG, y=BIG), [m.Point], [BIG])


def test_create_inherited_with_keyword_only(m):
    assert_no_leak(lambda: m.Point4(BIG, 2, w=3), [m.Point4, m.Point], [BIG])


def test_create_frozen_with_floats(m):
    assert_no_leak(lambda: m.Particle(FLOAT, FLOAT, FLOAT, False), [m.Particle], [FLOAT])


def assert_error_path_no_leak(exc_type, fn, args, classes, values=(), **kwargs):
    """The same for a call that raises: the exception and its message are freed too."""
    assert_no_leak(lambda: raises(exc_type, fn, *args, **kwargs), classes, values,
                   iterations=SLOW)


def test_create_failing(m):
    assert_error_path_no_leak(OverflowError, m.Point, (BIG, HUGE), [m.Point], [BIG, HUGE])
    assert_error_path_no_leak(TypeError, m.Point, (BAD_STR, 1), [m.Point], [BAD_STR])
    assert_error_path_no_leak(TypeError, m.Point, (1,), [m.Point])


def test_setattr(m):
    p = m.Point(1, 2, 3)
    assert_no_leak(lambda: setattr(p, "x", BIG), [m.Point], [BIG, p])


def test_setattr_failing(m):
    p = m.Point(1, 2, 3)
    assert_error_path_no_leak(TypeError, setattr, (p, "y", BAD_STR), [m.Point], [BAD_STR, p])
    assert_error_path_no_leak(OverflowError, setattr, (p, "y", HUGE), [m.Point], [HUGE, p])
    assert_error_path_no_leak(AttributeError, delattr, (p, "y"), [m.Point], [p])
    assert_error_path_no_leak(AttributeError, setattr, (p, "nope", 1), [m.Point], [p])
    assert dataclasses.astuple(p) == (1, 2, 3)


def test_frozen_setattr_failing(m):
    q = m.Particle(1.0, 2.0)
    assert_error_path_no_leak(dataclasses.FrozenInstanceError, setattr, (q, "x", FLOAT),
                              [m.Particle], [FLOAT, q])


def test_getattr_repr_eq_order_hash(m):
    p, q = m.Point(BIG, 2, 3), m.Point(BIG, 2, 3)
    a, b = m.Particle(1.5, 2.5), m.Particle(1.5, 3.5)
    assert_no_leak(lambda: p.x + p.y + p.z, [m.Point], [p])
    assert_no_leak(lambda: repr(p), [m.Point], [p])
    assert_no_leak(lambda: (p == q, p != q, p == 1), [m.Point], [p, q])
    assert_no_leak(lambda: (a < b, a <= b, a > b, a >= b), [m.Particle], [a, b])
    assert_no_leak(lambda: hash(a), [m.Particle], [a])
    assert_error_path_no_leak(TypeError, hash, (p,), [m.Point], [p])


def test_pickle_round_trip(m):
    p, a = m.Point4(BIG, 2, w=3), m.Particle(FLOAT, 2.0)
    assert_no_leak(lambda: pickle.loads(pickle.dumps(p)), [m.Point4], [p, BIG],
                   iterations=SLOW)
    assert_no_leak(lambda: pickle.loads(pickle.dumps(a, 2)), [m.Particle], [a],
                   iterations=SLOW)


def test_pickle_failing(m):
    from compactclass.pickling import restore_v1
    sig = "x:i32,y:i32,z:i32"
    assert_error_path_no_leak(OverflowError, restore_v1, (m.Point, sig, (1, 2, HUGE)),
                              [m.Point], [HUGE])
    assert_error_path_no_leak(ValueError, restore_v1, (m.Point, sig, (1, 2)), [m.Point])
    assert_error_path_no_leak(ValueError, restore_v1, (m.Point, "x:i8", (1,)), [m.Point])


def test_copy_replace_asdict(m):
    p = m.Point(BIG, 2, 3)
    assert_no_leak(lambda: copy.copy(p), [m.Point], [p])
    assert_no_leak(lambda: copy.deepcopy(p), [m.Point], [p], iterations=SLOW)
    assert_no_leak(lambda: dataclasses.replace(p, y=BIG), [m.Point], [p, BIG],
                   iterations=SLOW)
    assert_error_path_no_leak(OverflowError, dataclasses.replace, (p,), [m.Point], [p, HUGE],
                              y=HUGE)
    assert_no_leak(lambda: (dataclasses.astuple(p), dataclasses.asdict(p)), [m.Point], [p],
                   iterations=SLOW)


def test_weakref_and_python_subclass(m):
    class Sub(m.Point):
        pass

    assert_no_leak(lambda: weakref.ref(m.Tagged(BIG)), [m.Tagged], [BIG])
    t = m.Tagged(1)
    assert_no_leak(lambda: weakref.ref(t)(), [m.Tagged], [t])
    assert_no_leak(lambda: Sub(BIG, 2), [m.Point], [BIG, Sub])


def test_every_block_returned(m):
    """Drop a million records in every order: the arena takes all blocks back."""
    before = arena(m.Point)
    records = [m.Point(i, i, i) for i in range(1_000_000 if ITERATIONS >= 200_000 else 100_000)]
    assert arena(m.Point)["live_blocks"] == before["live_blocks"] + len(records)
    del records[::2]
    del records[::-3]
    records.reverse()
    del records
    gc.collect()
    after = arena(m.Point)
    assert after["live_blocks"] == before["live_blocks"]
    assert after["slabs"] <= before["slabs"] + 1
    assert after["slabs_released"] > before["slabs_released"] or after["malloc_per_block"]


# ---------------------------------------------------------------------------------- arrays

@pytest.fixture(scope="module")
def arrays(m):
    if not hasattr(m.Point, "Array"):
        pytest.skip("record arrays (Point.Array) are not implemented yet")
    return m


def test_array_append_and_clear(arrays):
    a = arrays.Point.Array()
    item = (BIG, 2, 3)

    def op():
        a.append(item)
        if len(a) >= 1000:
            a.clear()

    assert_no_leak(op, [arrays.Point], [a, item, BIG])


def test_array_append_failing(arrays):
    a = arrays.Point.Array([(1, 2, 3)])
    bad = (1, HUGE, 3)
    assert_error_path_no_leak(OverflowError, a.append, (bad,), [arrays.Point], [a, bad, HUGE])
    assert_error_path_no_leak(TypeError, a.append, (BAD_STR,), [arrays.Point], [a, BAD_STR])
    assert len(a) == 1


def test_array_read_slice_export(arrays):
    np = pytest.importorskip("numpy")
    a = arrays.Point.Array([(i, i, i) for i in range(100)])
    assert_no_leak(lambda: a[7], [arrays.Point], [a])
    assert_no_leak(lambda: a[10:20], [arrays.Point], [a])
    assert_no_leak(lambda: memoryview(a).release(), [arrays.Point], [a])
    assert_no_leak(lambda: np.asarray(a), [arrays.Point], [a], iterations=ITERATIONS // 10)
    assert_no_leak(lambda: a.x[3], [arrays.Point], [a])
    assert_error_path_no_leak(BufferError, _append_while_exported, (a,), [arrays.Point], [a])
    assert len(a) == 100


def _append_while_exported(a):
    with memoryview(a):
        a.append((1, 2, 3))


def test_array_pickle(arrays):
    a = arrays.Particle.Array([(float(i), 2.0, 1.0, True) for i in range(50)])
    assert_no_leak(lambda: pickle.loads(pickle.dumps(a)), [arrays.Particle], [a],
                   iterations=SLOW)


def test_the_check_catches_leaks(m):
    """The checks above can fail: a kept reference, a kept record, a growing list."""
    kept = []
    with pytest.raises(AssertionError, match="reference counts changed"):
        assert_no_leak(lambda: kept.append(BIG), [m.Point], [BIG], iterations=5000)
    kept.clear()
    with pytest.raises(AssertionError, match="arena blocks not returned"):
        assert_no_leak(lambda: kept.append(m.Point(1, 2)), [m.Point], iterations=5000)
    kept.clear()
    with pytest.raises(AssertionError, match="pymalloc blocks|traced memory"):
        assert_no_leak(lambda: kept.append(bytearray(100)), [m.Point], iterations=5000)
    kept.clear()
