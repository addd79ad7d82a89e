"""compact records against @dataclass(slots=True), in detail.

    python benchmarks/records.py [--quick] [--rounds N] [--clock cpu]

Runs the suite (run.py: the same loops, fresh processes, medians) for the compactclass record and
its two references, @dataclass(slots=True) and the hand-written Cython class, for both schemas, in
alternating rounds, and prints one table per schema with ratios to @dataclass(slots=True) from the
same run. gc.collect() is shown as measured with the records alive and with the same list holding
Nones (the suite's gc figure is the difference).
"""
import argparse
import contextlib
import io
import json
import os
import sys
import statistics
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import run  # noqa: E402  (the suite's command line)

ROWS = (  # figure key, label, lower is better
    ("rss_bytes", "bytes per record (RSS)", True),
    ("tracemalloc_bytes", "bytes per record (tracemalloc)", True),
    ("getsizeof", "sys.getsizeof(record)", True),
    ("construct_ns", "construction ns (GC on)", True),
    ("construct_nogc_ns", "construction ns (GC off)", True),
    ("read_ns", "attribute read ns", True),
    ("write_ns", "attribute write ns", True),
    ("eq_ns", "== ns", True),
    ("pickle_ms", "pickle round trip, 100k records (ms)", True),
    ("pickle_bytes", "pickle bytes per record", True),
    ("gc_ms", "gc.collect() ms more than with Nones", True),
    ("pysum_ns", "sum(p.x for p in points) ns/record", True),
    ("cysum_ns", "Cython loop summing p.x, ns/record", True),
)
CONTENDERS = ("dataclass-slots", "cython", "compactclass")

def run_suite(args, out_dir: str) -> dict:
    argv = ["--only", "compactclass", "--out", out_dir, "--no-chart", "--rounds",
            str(args.rounds), "--clock", args.clock]
    if args.quick:
        argv.append("--quick")
    with contextlib.redirect_stdout(io.StringIO()):
        run.main(argv)
    with open(os.path.join(out_dir, "latest.json")) as f:
        return json.load(f)


def _cell(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:,.1f}" if isinstance(value, float) else str(value)


def _gc_raw(row: dict, key: str):
    """The median over the rounds of one raw gc.collect() figure (ms), or None."""
    rounds = row.get("raw") or []
    if isinstance(rounds, dict):
        rounds = [rounds]
    values = [r["gc_ms"][key] for r in rounds if key in (r.get("gc_ms") or {})]
    return statistics.median(values) / 1e6 if values else None


def table(schema: str, rows: dict) -> str:
    base = rows["dataclass-slots"]["figures"]
    labels = [rows[k]["label"] for k in CONTENDERS]
    lines = [f"| {schema} | " + " | ".join(labels) + " | dataclass ÷ compact |",
             "|---|" + "--:|" * (len(labels) + 1)]
    for key, label, _ in ROWS:
        values = [rows[k]["figures"].get(key) for k in CONTENDERS]
        mine, theirs = values[-1], base.get(key)
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0
                      for v in (mine, theirs))
        ratio = f"{theirs / mine:.1f}x" if numbers else "—"  # (a gc difference can be <= 0)
        lines.append(f"| {label} | " + " | ".join(_cell(v) for v in values) + f" | {ratio} |")
    tracked = [rows[k]["figures"].get("gc_tracked") for k in CONTENDERS]
    lines.append("| GC-tracked | " + " | ".join(_cell(v) for v in tracked) + " | |")
    for key, label in (("with_records_ns", "gc.collect() ms, records alive"),
                       ("before_ns", "gc.collect() ms, same list of Nones")):
        lines.append(f"| {label} | " + " | ".join(_cell(_gc_raw(rows[k], key)) for k in CONTENDERS)
                     + " | |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k records")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (medians)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="compactclass-records-") as out_dir:
        data = run_suite(args, out_dir)
    n = data["meta"]["config"]["n"]
    versions = data["meta"]["versions"]
    print(f"compact records vs @dataclass(slots=True): {n:,} live records, "
          f"{args.rounds} rounds, {args.clock} clock, {data['meta']['date']}")
    print(", ".join(f"{k} {v}" for k, v in versions.items() if k in ("Python", "Cython",
                                                                    "compiler", "compactclass")))
    for schema in ("i32x3", "f64x3"):
        rows = {r["contender"]: r for r in data["results"] if r["schema"] == schema}
        missing = [k for k in CONTENDERS if rows.get(k, {}).get("status") != "ok"]
        if missing:
            reasons = "; ".join(f"{k}: {rows.get(k, {}).get('reason', 'no row')}" for k in missing)
            print(f"\n{schema}: not measured ({reasons})")
            continue
        print("\n" + table(schema, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
