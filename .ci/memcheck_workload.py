"""A representative workload of compiled records and arrays, for running under valgrind.

    python .ci/memcheck_workload.py build DIR     # generate + compile the declaration (no tool)
    python .ci/memcheck_workload.py run DIR       # the workload (run this under valgrind)
    python .ci/memcheck_workload.py canary DIR    # a deliberate use-after-free: must be reported
    python .ci/memcheck_workload.py baseline DIR  # the same in pure-Python mode (no compiled
                                                  # code): what the interpreter reports alone

Building is kept out of the tool's way (Cython and the C compiler under valgrind would take
most of an hour); the run phase exercises every kind of operation the leak and bad-input tests
cover: construction (fast path, keywords, inheritance, failures), field reads and writes,
errors, repr/eq/order/hash, pickle and copy, replace, weak references, Python subclasses, a
second thread, and record arrays (append, slices, buffers, pickles, bad values).
"""
import copy
import ctypes
import dataclasses
import os
import pickle
import sys
import threading
import weakref

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests"))
from workload_decls import SOURCE  # noqa: E402  (the declarations the leak tests use)

NAME = "memcheck_decl"


def build(folder):
    from compactclass import build as cc_build
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, NAME + ".py")
    with open(path, "w") as out:
        out.write(SOURCE)
    cc_build.build_inplace([path])


def load(folder, compiled=True):
    sys.path.insert(0, folder)
    if not compiled:
        os.environ["COMPACTCLASS_PURE"] = "1"
    import compactclass
    module = __import__(NAME)
    assert compactclass.is_compiled(module.Point) is compiled, "the build is missing or stale"
    return module


def expect(exc_type, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except exc_type:
        return
    raise AssertionError(f"{fn} did not raise {exc_type.__name__}")


def records(m, rounds):
    kept = []
    for i in range(rounds):
        p = m.Point(i, -i, i * 2)
        q = m.Point(x=i, y=2)
        d = m.Point4(i, 2, 3, w=-5)
        a, b = m.Particle(i + 0.5, 2.0), m.Particle(i + 0.5, 3.0, 0.25, False)
        t = m.Tagged(2**64 - 1, 255)
        p.x, p.y = p.y, 7
        d.x = 2**31 - 1
        assert (p.x, p.y, d.x, t.tag) == (-i, 7, 2**31 - 1, 2**64 - 1)
        expect(OverflowError, setattr, p, "x", 2**31)
        expect(TypeError, setattr, p, "y", "no")
        expect(AttributeError, delattr, p, "z")
        expect(dataclasses.FrozenInstanceError, setattr, a, "x", 1.0)
        expect(TypeError, m.Point, 1)
        expect(OverflowError, m.Point, 1, 2**40)
        expect(TypeError, hash, p)
        assert repr(p).startswith("Point(") and p != q and a < b and hash(a) == hash(
            m.Particle(i + 0.5, 2.0))
        for obj in (p, d, a, t):
            assert pickle.loads(pickle.dumps(obj)) == obj
            assert copy.copy(obj) == obj and copy.deepcopy(obj) == obj
        assert dataclasses.replace(p, z=1).z == 1
        assert dataclasses.astuple(d) == (d.x, 2, 3, -5)
        ref = weakref.ref(t)
        assert ref() is t
        kept.append(q)
        if len(kept) > 50:
            del kept[::2]


def subclass_and_thread(m):
    global Sub

    class Sub(m.Point):  # a module-level name, so that pickle finds it
        def norm1(self):
            return abs(self.x) + abs(self.y) + abs(self.z)

    Sub.__qualname__ = "Sub"
    subs = [Sub(i, 1, 2) for i in range(200)]
    assert sum(s.norm1() for s in subs) == sum(range(200)) + 600
    assert pickle.loads(pickle.dumps(subs[3])).norm1() == subs[3].norm1()
    worker = threading.Thread(target=records, args=(m, 50))
    worker.start()
    records(m, 50)
    worker.join()


def arrays(m):
    if not hasattr(m.Point, "Array"):
        return
    a = m.Point.Array([(i, i, i) for i in range(100)])
    a.append((1, 2, 3))
    a.extend([(4, 5, 6)] * 10)
    expect(OverflowError, a.append, (1, 2**40, 3))
    expect(TypeError, a.extend, [(1, 2, 3), (1, 2)])
    assert len(a) == 111 and a[5] == m.Point(5, 5, 5) and len(a[10:20]) == 10
    with memoryview(a) as view:
        assert view.nbytes == 111 * 12
        expect(BufferError, a.append, (1, 1, 1))
    a.x[0] = 42
    assert a[0].x == 42
    b = pickle.loads(pickle.dumps(a))
    assert b.tobytes() == a.tobytes()
    del a[::2]
    a.insert(0, m.Point(9, 9, 9))
    a.pop()
    c = m.Particle.Array([(1.0, 2.0, 0.5, True)] * 20)
    assert pickle.loads(pickle.dumps(c)).tobytes() == c.tobytes()
    try:
        import numpy as np
    except ImportError:
        return
    n = np.asarray(a)
    assert n.shape == (len(a),)


def canary(m):
    victim = m.Point(1, 2)
    address = id(victim)
    del victim
    ghost = ctypes.cast(address, ctypes.py_object).value
    print(ghost.x)
    print("NOT CAUGHT")


def main():
    command, folder = sys.argv[1], os.path.abspath(sys.argv[2])
    if command == "build":
        build(folder)
        return
    m = load(folder, compiled=command != "baseline")
    if command == "baseline":
        records(m, 20)
        subclass_and_thread(m)
        import numpy as np
        np.frombuffer(bytes(range(12)) * 10, dtype="<i4").sum()
        return
    if command == "canary":
        canary(m)
        return
    records(m, int(os.environ.get("MEMCHECK_ROUNDS", "300")))
    subclass_and_thread(m)
    arrays(m)
    print("memcheck workload: ok")


if __name__ == "__main__":
    main()
