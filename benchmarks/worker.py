"""Measure one contender on one schema in this fresh process; report JSON lines on stdout.

    python benchmarks/worker.py --contender dataclass-slots --schema i32x3 [--n 1000000]

Each report line starts with MARKER: {"phase": ...} as phases begin, then {"result": {...}}.
The parent (run.py) reads them; a worker that dies mid-phase is reported with that phase.
"""
import argparse
import json
import os
import sys

import paths

MARKER = "@@bench "


def emit(message: dict) -> None:
    sys.stdout.write(MARKER + json.dumps(message) + "\n")
    sys.stdout.flush()


def measure(contender, schema, n, sample_n, repeats, budget_s, clock) -> dict:
    from measure import Bench
    from suite import Skip

    result = {"contender": contender.key, "schema": schema.key, "label": contender.label,
              "library": contender.library, "optional": contender.optional,
              "status": "ok", "reason": "", "version": "", "figures": {}, "raw": {},
              "errors": {}, "noise": {}, "notes": [], "n": n,
              "load_before": os.getloadavg()[0]}
    emit({"phase": "load"})
    try:
        subject = contender.load(schema)
        bench = Bench(subject, schema, n, sample_n, repeats, budget_s, clock)
        bench.smoke()
    except Skip as exc:
        return dict(result, status="skipped", reason=str(exc))
    except Exception as exc:
        reason = f"does not work: {type(exc).__name__}: {exc}"[:400]
        return dict(result, status="skipped" if contender.optional else "failed", reason=reason)
    result.update(label=subject.label or contender.label, version=subject.version,
                  notes=subject.notes, kind=subject.kind, compiled=subject.compiled)
    bench.run(lambda phase: emit({"phase": phase}))
    failed = [p for p in bench.ESSENTIAL if p in bench.errors]
    if failed:
        result.update(status="failed", reason=f"{failed[0]}: {bench.errors[failed[0]]}")
    bench.figures["cpu_share"] = bench.stopwatch.cpu_share
    result.update(figures=bench.figures, raw=bench.raw, errors=bench.errors, noise=bench.noise,
                  phase_seconds=bench.seconds)
    return result


def main(argv=None) -> None:
    sys.path[:0] = paths.worker_sys_path()
    from suite import CONTENDER_BY_KEY, SCHEMA_BY_KEY

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contender", required=True, choices=sorted(CONTENDER_BY_KEY))
    parser.add_argument("--schema", required=True, choices=sorted(SCHEMA_BY_KEY))
    parser.add_argument("--n", type=int, default=1_000_000, help="live records")
    parser.add_argument("--sample-n", type=int, default=100_000, help="records for ==, hash, pickle")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per figure (median)")
    parser.add_argument("--budget", type=float, default=4.0,
                        help="seconds per figure after which repeats stop (at least 3 runs)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall: perf_counter_ns; cpu: process_time_ns (busy machines)")
    args = parser.parse_args(argv)
    emit({"result": measure(CONTENDER_BY_KEY[args.contender], SCHEMA_BY_KEY[args.schema],
                            args.n, args.sample_n, args.repeats, args.budget, args.clock)})


if __name__ == "__main__":
    main()
