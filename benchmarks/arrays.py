"""Record arrays against the other ways to hold millions of records, in one run.

    python benchmarks/arrays.py                      # 1M and 10M records, 3xi32 and 3xf64
    python benchmarks/arrays.py --sizes 100000       # a quick look
    python benchmarks/arrays.py --out benchmarks/results   # also write arrays.md / arrays.json

Contenders (the same records, built from the same fresh values):

    dataclass list   a list of @dataclass(slots=True) instances
    compact list     a list of compiled compact records (Point instances)
    Point.Array      a compiled compact record array
    NumPy struct     a NumPy structured array with the same fields

Every contender/schema/size runs in its own fresh process (``--worker``), one after the other,
pinned to one CPU. Figures:

    RSS B/rec      growth of the resident set while the structure is built by the append loop,
                   per record (/proc/self/statm), with the value objects it keeps alive
    alloc B/rec    sys.getsizeof of the container (+ its records for lists) per record: the
                   allocated capacity, i.e. growth slack included; "shrunk" after shrink_to_fit
    append         build time, one record per Python call (list.append(C(x, y, z)),
                   a.append((x, y, z)), arr[i] = (x, y, z) into a preallocated NumPy array)
    bulk           build time from a NumPy structured array holding the records
                   (Point.Array.frombuffer, ndarray.copy, [C(*t) for t in arr.tolist()])
    iterate        for r in records: pass
    index          for i in range(n): records[i]
    colsum         sum of field x through NumPy (np.asarray(a.x).sum(), arr["x"].sum(),
                   np.fromiter(r.x for r in records).sum() for lists)
    pickle         pickle.loads(pickle.dumps(records, 5)); "pickle B/rec" is the payload size

Times are medians of --repeats runs (default 3 below 10M records, 1 from 10M), per record in ns
for loops and in ms for whole-structure operations. The two lists' bulk build and pickle round
trip take seconds per million records: from 1M records they run once, and above 1M they are
timed on the first million records and scaled linearly (cells marked "~").
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import pickle
import platform
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
BUILD_DIR = BENCH_DIR / ".build" / "arrays"
# The suite's own contender declarations: the compact records are compiled from a copy of
# contenders/cc_records.py in BUILD_DIR, the dataclasses come from contenders/stdlib_records.py.
CONTENDERS_DIR = BENCH_DIR / "contenders"
DECLARATION = "cc_records"

SCHEMAS = {  # key: (compact record, dataclass, NumPy field type, value expressions of record i)
    "3xi32": ("P3i", "DataclassSlotsP3i", "i4", ("i", "i + 1", "-i")),
    "3xf64": ("P3f", "DataclassSlotsP3f", "f8", ("i * 0.5", "i + 0.25", "-i * 1.5")),
}
CONTENDERS = {
    "dataclass": "dataclass list",
    "compact_list": "compact list",
    "array": "Point.Array",
    "numpy": "NumPy struct",
}
SAMPLE = 1_000_000      # records the slow per-object list figures are timed on (see above)
FIGURES = (  # key, column title, unit, format
    ("rss", "RSS B/rec", "B", "{:.1f}"),
    ("alloc", "alloc B/rec", "B", "{:.1f}"),
    ("shrunk", "shrunk B/rec", "B", "{:.1f}"),
    ("append", "append ns/rec", "ns", "{:.0f}"),
    ("bulk", "bulk ns/rec", "ns", "{:.1f}"),
    ("iterate", "iterate ns/rec", "ns", "{:.1f}"),
    ("index", "index ns/rec", "ns", "{:.1f}"),
    ("colsum", "colsum ms", "ms", "{:.2f}"),
    ("pickle", "pickle ms", "ms", "{:.0f}"),
    ("pickle_size", "pickle B/rec", "B", "{:.1f}"),
)


# --------------------------------------------------------------------------- the worker side

def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def median_time(fn, repeats: int) -> float:
    """Median seconds of fn() over repeats runs (gc disabled while timing)."""
    times = []
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
        gc.enable()
    return statistics.median(times)


def make_loops(schema: str, contender: str, record, numpy_dtype):
    """The build loop of one contender, with the schema's value expressions pasted in (so every
    contender runs literally the same loop around its own append)."""
    vx, vy, vz = SCHEMAS[schema][3]
    if contender == "numpy":
        body = f"out[i] = ({vx}, {vy}, {vz})"
        source = f"def build(n):\n    out = np.empty(n, DTYPE)\n    for i in range(n):\n" \
                 f"        {body}\n    return out\n"
    else:
        make = f"({vx}, {vy}, {vz})" if contender == "array" else f"C({vx}, {vy}, {vz})"
        start = "C.Array()" if contender == "array" else "[]"
        source = f"def build(n):\n    out = {start}\n    append = out.append\n" \
                 f"    for i in range(n):\n        append({make})\n    return out\n"
    import numpy as np
    namespace = {"C": record, "np": np, "DTYPE": numpy_dtype}
    exec(compile(source, f"<{contender} build loop>", "exec"), namespace)
    return namespace["build"]


def run_worker(contender: str, schema: str, n: int, repeats: int) -> dict:
    import numpy as np

    sys.path.insert(0, str(BUILD_DIR))
    sys.path.append(str(CONTENDERS_DIR))     # after BUILD_DIR: its cc_records is the compiled one
    import compactclass
    import stdlib_records
    records = __import__(DECLARATION)
    name, dataclass_name, code, _ = SCHEMAS[schema]
    compact_cls = getattr(records, name)
    assert compactclass.is_compiled(compact_cls), "the compiled build was not used"
    dtype = np.dtype([("x", code), ("y", code), ("z", code)])
    record = getattr(stdlib_records, dataclass_name) if contender == "dataclass" else compact_cls
    build = make_loops(schema, contender, record, dtype)
    figures = {}

    gc.collect()
    before = rss_bytes()
    start = time.perf_counter()
    obj = build(n)
    figures["append"] = (time.perf_counter() - start) / n * 1e9
    gc.collect()
    figures["rss"] = (rss_bytes() - before) / n
    if contender == "array":
        figures["alloc"] = sys.getsizeof(obj) / n
        obj.shrink_to_fit()
        figures["shrunk"] = sys.getsizeof(obj) / n
    elif contender == "numpy":
        figures["alloc"] = figures["shrunk"] = sys.getsizeof(obj) / n
    else:
        figures["alloc"] = (sys.getsizeof(obj) + sum(map(sys.getsizeof, obj[:1000])) / 1000 * n
                            + (0 if contender == "compact_list"
                               else sum(sys.getsizeof(v) for p in obj[:1000]
                                        for v in (p.x, p.y, p.z)) / 1000 * n)) / n
        figures["shrunk"] = None

    lists = contender in ("dataclass", "compact_list")
    sampled = lists and n > SAMPLE
    part = obj[:SAMPLE] if sampled else obj
    scale = n / len(part)
    if sampled:
        figures["sampled"] = ["bulk", "pickle", "pickle_size"]
    source = np.asarray(obj) if not lists else \
        np.fromiter(((p.x, p.y, p.z) for p in part), dtype, count=len(part))
    if contender == "array":
        bulk = lambda: compact_cls.Array.frombuffer(source)          # noqa: E731
    elif contender == "numpy":
        bulk = source.copy
    else:
        bulk = lambda: [record(*t) for t in source.tolist()]         # noqa: E731
    slow_repeats = 1 if lists and n >= SAMPLE else repeats     # a list's bulk/pickle: ~10 s
    figures["bulk"] = median_time(bulk, slow_repeats) / len(source) * 1e9

    def iterate():
        for _ in obj:
            pass

    def index():
        for i in range(n):
            obj[i]

    if contender == "array":
        colsum = lambda: np.asarray(obj.x).sum()                      # noqa: E731
    elif contender == "numpy":
        colsum = lambda: obj["x"].sum()                               # noqa: E731
    else:
        colsum = lambda: np.fromiter((p.x for p in obj), code, count=n).sum()  # noqa: E731
    figures["iterate"] = median_time(iterate, repeats) / n * 1e9
    figures["index"] = median_time(index, repeats) / n * 1e9
    figures["colsum"] = median_time(colsum, repeats) * 1e3
    payload = pickle.dumps(part, 5)
    figures["pickle_size"] = len(payload) / len(part)
    del payload
    figures["pickle"] = median_time(lambda: pickle.loads(pickle.dumps(part, 5)),
                                    slow_repeats) * 1e3 * scale
    check = pickle.loads(pickle.dumps(obj[:3] if contender != "numpy" else obj[:3].copy(), 5))
    assert len(check) == 3
    return figures


# --------------------------------------------------------------------------- the parent side

def ensure_build() -> None:
    """Compile the benchmark's declaration into benchmarks/.build/arrays (cached)."""
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    path = BUILD_DIR / f"{DECLARATION}.py"
    source = (CONTENDERS_DIR / f"{DECLARATION}.py").read_text()
    if not path.exists() or path.read_text() != source:
        path.write_text(source)
    probe = ("import sys, warnings; sys.path.insert(0, sys.argv[1]); "
             "warnings.simplefilter('error'); import compactclass, " + DECLARATION + " as m; "
             "sys.exit(0 if compactclass.is_compiled(m.P3i) else 1)")
    env = child_env()
    if subprocess.run([sys.executable, "-c", probe, str(BUILD_DIR)], env=env,
                      capture_output=True).returncode == 0:
        return
    print(f"building {path.name} ...", flush=True)
    subprocess.run([sys.executable, "-m", "compactclass", "build", str(path)], env=env,
                   check=True, cwd=str(BUILD_DIR))


def child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


def run_one(contender: str, schema: str, n: int, repeats: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", contender, schema, str(n), str(repeats)]
    if hasattr(os, "sched_getaffinity"):
        cpu = str(max(os.sched_getaffinity(0)))
        cmd = ["taskset", "-c", cpu, *cmd] if _has_taskset() else cmd
    proc = subprocess.run(cmd, env=child_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _has_taskset() -> bool:
    from shutil import which
    return which("taskset") is not None


def versions() -> dict:
    import Cython
    import numpy
    return {"python": platform.python_version(), "implementation": platform.python_implementation(),
            "cython": Cython.__version__, "numpy": numpy.__version__,
            "compiler": sysconfig.get_config_var("CC") or "?", "machine": platform.machine(),
            "cpus": os.cpu_count()}


def table(results: dict, schema: str, n: int) -> list:
    header = ["contender", *[title for _, title, _, _ in FIGURES]]
    rows = []
    for key, label in CONTENDERS.items():
        figures = results.get((key, schema, n), {})
        if "error" in figures:
            rows.append([label, f"failed: {figures['error']}"] + [""] * (len(FIGURES) - 1))
            continue
        approx = set(figures.get("sampled", ()))
        rows.append([label] + [("~" if k in approx else "") + fmt.format(figures[k])
                               if figures.get(k) is not None else "—"
                               for k, _, _, fmt in FIGURES])
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def ratios(results: dict, schema: str, n: int) -> str:
    array = results.get(("array", schema, n), {})
    parts = []
    for key in ("dataclass", "compact_list", "numpy"):
        other = results.get((key, schema, n), {})
        if "rss" in other and "rss" in array and array["rss"] > 0:
            parts.append(f"{CONTENDERS[key]} uses {other['rss'] / array['rss']:.1f}x the memory")
    return "Point.Array vs: " + "; ".join(parts) if parts else ""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--schemas", nargs="+", choices=list(SCHEMAS), default=list(SCHEMAS))
    parser.add_argument("--contenders", nargs="+", choices=list(CONTENDERS),
                        default=list(CONTENDERS))
    parser.add_argument("--repeats", type=int, help="timed runs per figure (default: 3 below "
                        "10M records, 1 from 10M)")
    parser.add_argument("--out", type=Path, help="also write arrays.md and arrays.json here")
    parser.add_argument("--worker", nargs=4, metavar=("CONTENDER", "SCHEMA", "N", "REPEATS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        contender, schema, n, repeats = args.worker
        print(json.dumps(run_worker(contender, schema, int(n), int(repeats))))
        return 0

    ensure_build()
    meta = versions()
    started = time.perf_counter()
    lines = ["# Record arrays benchmark", "",
             f"Python {meta['python']} ({meta['implementation']}), Cython {meta['cython']}, "
             f"NumPy {meta['numpy']}, compiler {meta['compiler']}, {meta['machine']}, "
             f"{meta['cpus']} CPUs. Each cell: one fresh process; times are medians.", ""]
    results = {}
    for n in args.sizes:
        repeats = args.repeats or (1 if n >= 10_000_000 else 3)
        for schema in args.schemas:
            for contender in args.contenders:
                t0 = time.perf_counter()
                results[(contender, schema, n)] = run_one(contender, schema, n, repeats)
                print(f"  {schema} {n:>10,} {CONTENDERS[contender]:<15} "
                      f"{time.perf_counter() - t0:6.1f} s", file=sys.stderr, flush=True)
            lines += [f"## {schema}, {n:,} records ({repeats} run{'s' if repeats > 1 else ''} "
                      f"per time)", "", *table(results, schema, n), "", ratios(results, schema, n),
                      ""]
    lines.append(f"Total {time.perf_counter() - started:.0f} s.")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "arrays.md").write_text(text + "\n")
        (args.out / "arrays.json").write_text(json.dumps(
            {"meta": meta, "results": [{"contender": c, "schema": s, "n": n, "figures": f}
                                       for (c, s, n), f in results.items()]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
