"""compactclass in one screen: 1M records as @dataclass(slots=True) and as compact records.

    python examples/demo.py

Builds examples/geometry.py on first run, then measures each kind of record in a fresh process
(so memory figures do not mix) and prints one table.
"""
import gc
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
N = 1_000_000


@dataclass(slots=True)
class SlotPoint:
    x: int
    y: int
    z: int = 0


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _time(fn) -> int:
    start = time.perf_counter_ns()
    fn()
    return time.perf_counter_ns() - start


def ns_per_op(body, empty, repeats=9) -> float:
    """Median over alternating runs of (body - empty loop), per record, in ns."""
    diffs = sorted((_time(body) - _time(empty)) / N for _ in range(repeats))
    return diffs[len(diffs) // 2]


def measure(kind: str) -> dict:
    if kind == "compact":
        from geometry import Point as cls
    else:
        cls = SlotPoint
    points = [None] * N      # preallocated: the list costs exactly 8 bytes per record
    gc.collect()
    before = rss_bytes()
    for i in range(N):       # fresh ints above 256: each record owns its boxed values
        points[i] = cls(1000 + i, 2000 + i, 3000 + i)
    gc.collect()
    bytes_per_record = (rss_bytes() - before) / N
    values = [(p.x, p.y, p.z) for p in points[:N]]
    create = ns_per_op(lambda: [cls(x, y, z) for x, y, z in values],
                       lambda: [None for x, y, z in values])
    get = ns_per_op(lambda: [p.x for p in points], lambda: [None for p in points])

    def set_all():
        for p in points:
            p.x = 7

    def empty_loop():
        for p in points:
            pass

    set_ = ns_per_op(set_all, empty_loop)
    start = time.perf_counter()
    gc.collect()
    gc_ms = (time.perf_counter() - start) * 1000
    return {"bytes": bytes_per_record, "create": create, "get": get, "set": set_, "gc": gc_ms}


def ensure_built() -> None:
    import compactclass
    from geometry import Point
    if not compactclass.is_compiled(Point):
        print("building examples/geometry.py (first run) ...", flush=True)
        subprocess.run([sys.executable, "-m", "compactclass", "build",
                        os.path.join(HERE, "geometry.py")], check=True)


def main() -> None:
    sys.path.insert(0, HERE)
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2])))
        return
    ensure_built()
    rows = {}
    for kind in ("dataclass", "compact"):
        out = subprocess.run([sys.executable, __file__, "--measure", kind], check=True,
                             capture_output=True, text=True).stdout
        rows[kind] = json.loads(out)
    d, c = rows["dataclass"], rows["compact"]
    print(f"\n1M records of Point(x: i32, y: i32, z: i32), Python {sys.version.split()[0]}\n")
    print(f"| {'':28} | {'@dataclass(slots=True)':>22} | {'@compact':>10} | {'ratio':>6} |")
    print(f"|{'-' * 30}|{'-' * 24}|{'-' * 12}|{'-' * 8}|")
    for key, label in (("bytes", "bytes per record (RSS)*"), ("create", "construction ns"),
                       ("get", "attribute get ns"), ("set", "attribute set ns"),
                       ("gc", "gc.collect() ms")):
        ratio = d[key] / c[key] if c[key] > 0 else float("inf")
        print(f"| {label:28} | {d[key]:22.1f} | {c[key]:10.1f} | {ratio:5.1f}x |")
    print("\nratio = dataclass / compact (higher favours compact); * the record and the values it "
          "keeps alive, not the list that holds it")


if __name__ == "__main__":
    main()
