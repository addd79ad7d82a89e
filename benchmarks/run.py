"""Run the benchmark suite: every contender, both schemas, each in its own fresh process.

    python benchmarks/run.py                  # full run: 1M records, writes benchmarks/results/
    python benchmarks/run.py --quick          # about 1 minute, writes benchmarks/.build/results/
    python benchmarks/run.py --only attrs     # one contender (plus the two references)

See benchmarks/README.md for what each figure means and how it is taken.
"""
import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import build
import paths
import report
import trades
from suite import CONTENDER_BY_KEY, CONTENDERS, REFERENCES, SCHEMA_BY_KEY, SCHEMAS
from worker import MARKER

MODES = {  # n, repeats, time budget per figure (s), worker timeout (s)
    "full": (1_000_000, 7, 4.0, 600),
    "quick": (100_000, 3, 1.0, 120),
}
THIRD_PARTY = ("numpy", "attrs", "recordclass", "msgspec", "matplotlib")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="contenders: " + ", ".join(CONTENDER_BY_KEY))
    parser.add_argument("--quick", action="store_true", help="100k records, 3 repeats")
    parser.add_argument("--n", type=int, help="live records per contender (default 1M, quick 100k)")
    parser.add_argument("--repeats", type=int, help="timed repeats per figure (median)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run every worker this many times, alternating; figures are medians")
    parser.add_argument("--only", nargs="+", metavar="KEY", choices=list(CONTENDER_BY_KEY),
                        help="run these contenders (the ratio references are always added)")
    parser.add_argument("--schema", nargs="+", choices=list(SCHEMA_BY_KEY))
    parser.add_argument("--out", type=Path, help="output directory (default: results/ for a "
                        "full run, .build/results/ otherwise)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall: time.perf_counter_ns (default); cpu: the worker's CPU time "
                        "(time.process_time_ns), which leaves out time spent waiting for the CPU "
                        "on a busy machine")
    parser.add_argument("--no-chart", action="store_true")
    parser.add_argument("--list", action="store_true",
                        help="print the contenders as JSON (key, label, optional) and exit")
    return parser.parse_args(argv)


def plan(args) -> dict:
    mode = "quick" if args.quick else "full"
    n, repeats, budget, timeout = MODES[mode]
    official = mode == "full" and not (args.only or args.schema or args.n or args.repeats)
    keys = list(CONTENDER_BY_KEY) if not args.only else \
        [k for k in CONTENDER_BY_KEY if k in set(args.only) | set(REFERENCES)]
    return {"mode": mode if official or mode == "quick" else "partial",
            "n": args.n or n, "sample_n": min(100_000, args.n or n),
            "repeats": args.repeats or repeats, "budget_s": budget, "rounds": args.rounds,
            "clock": args.clock, "timeout": timeout, "contenders": keys, "schemas": args.schema or [s.key for s in SCHEMAS],
            "out": args.out or (paths.RESULTS_DIR if official else paths.SCRATCH_RESULTS)}


# ---------------------------------------------------------------- workers

def run_worker(contender_key: str, schema_key: str, config: dict, say) -> dict:
    """One fresh process; follow its phase reports; never raise."""
    cmd = [paths.PYTHON, "-X", "faulthandler", str(paths.BENCH_DIR / "worker.py"),
           "--contender", contender_key, "--schema", schema_key, "--n", str(config["n"]),
           "--sample-n", str(config["sample_n"]), "--repeats", str(config["repeats"]),
           "--budget", str(config["budget_s"]), "--clock", config["clock"]]
    phase, result = "start", None
    with tempfile.TemporaryFile("w+") as stderr:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr, text=True,
                                env=paths.child_env(), cwd=paths.BENCH_DIR)
        timed_out = threading.Event()
        watchdog = threading.Timer(config["timeout"], lambda: (timed_out.set(), proc.kill()))
        watchdog.start()
        try:
            for line in proc.stdout:
                if not line.startswith(MARKER):
                    continue
                message = json.loads(line[len(MARKER):])
                if "phase" in message:
                    phase = message["phase"]
                    say(phase + " ")
                else:
                    result = message["result"]
            returncode = proc.wait()
        finally:
            watchdog.cancel()
        if result is not None:
            return result
        stderr.seek(0)
        log = _save_log(f"{schema_key}-{contender_key}", stderr.read())
    how = (f"timed out after {config['timeout']} s" if timed_out.is_set() else
           f"died of {signal.Signals(-returncode).name}" if returncode < 0 else
           f"exited with {returncode} without a result")
    return _died(contender_key, schema_key, phase, f"worker {how} during {phase} [log: {log}]",
                 config)


def _save_log(name: str, text: str) -> str:
    path = paths.BUILD_DIR / "logs" / f"{name}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path.relative_to(paths.REPO_ROOT))


def _died(contender_key, schema_key, phase, reason, config) -> dict:
    contender = CONTENDER_BY_KEY[contender_key]
    skipped = phase in ("start", "load") and contender.optional
    return {"contender": contender_key, "schema": schema_key, "label": contender.label,
            "library": contender.library, "optional": contender.optional,
            "status": "skipped" if skipped else "failed", "reason": reason,
            "version": "", "figures": {}, "raw": {}, "errors": {}, "noise": {}, "notes": [],
            "n": config["n"]}


def run_all(config: dict) -> list:
    jobs = [(r, s, c) for r in range(config["rounds"]) for s in config["schemas"]
            for c in config["contenders"]]
    results = []
    for i, (_, schema_key, contender_key) in enumerate(jobs, 1):
        start = time.perf_counter()
        _say(f"[{i:2d}/{len(jobs)}] {schema_key} {contender_key:<19} ")
        result = run_worker(contender_key, schema_key, config, _say)
        _say(f"-> {result['status']} ({time.perf_counter() - start:.1f} s)"
             + (f": {result['reason']}" if result["reason"] else "") + "\n")
        results.append(result)
    return merge_rounds(results)


def _say(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


def merge_rounds(results: list) -> list:
    """One result per contender and schema; with several rounds, each numeric figure is the
    median over the rounds that produced it."""
    grouped = {}
    for result in results:
        grouped.setdefault((result["schema"], result["contender"]), []).append(result)
    merged = []
    for group in grouped.values():
        ok = [r for r in group if r["status"] == "ok"]
        if len(ok) < 2:
            merged.append(ok[0] if ok else group[0])
            continue
        base = dict(ok[0], rounds=[r["figures"] for r in ok], raw=[r["raw"] for r in ok])
        base["figures"] = {key: _median_or_first([r["figures"].get(key) for r in ok])
                           for key in ok[0]["figures"]}
        merged.append(base)
    return merged


def _median_or_first(values):
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return statistics.median(numbers) if len(numbers) == len(values) else values[0]


# ---------------------------------------------------------------- metadata

def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    mem_kb = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
                   if line.startswith("MemTotal")), 0)
    return {"CPU": cpu, "cores": os.cpu_count(), "RAM": f"{mem_kb / 2**20:.1f} GiB",
            "OS": platform.platform()}


def versions(results: list) -> dict:
    found = {"Python": f"{platform.python_implementation()} {platform.python_version()}",
             "Cython": _dist_version("Cython"), "compiler": _compiler(),
             "CFLAGS": sysconfig.get_config_var("CFLAGS") or ""}
    cc = next((r for r in results if r["contender"] == "compactclass"), None)
    if cc and cc["status"] == "ok":
        mode = "compiled" if cc.get("compiled") else "pure-Python fallback"
        found["compactclass"] = f"{cc['version']} ({mode})"
    else:
        found["compactclass"] = f"not measured: {cc['reason'] if cc else 'not run'}"
    found.update({name: _dist_version(name) for name in THIRD_PARTY})
    return found


def _compiler() -> str:
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    try:
        out = subprocess.run([cc, "--version"], capture_output=True, text=True).stdout
        return out.splitlines()[0] if out else cc
    except OSError:
        return cc


def _dist_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


# ---------------------------------------------------------------- main

def trades_section(config: dict) -> str:
    """The report's section on market-data trades (benchmarks/trades.py): a timestamp, an
    8-character symbol, an enum, a float and an int per record, side by side."""
    n = config["n"]
    results, skipped = trades.measure(n, config["repeats"])
    return "\n".join(["", f"## Trades: (datetime, 8-character symbol, IntEnum, float, int), "
                           f"{n:,} live per contender", "",
                       "Values as a feed parser makes them (fresh objects, distinct symbols); "
                       "RSS growth divided by n, so the `str` objects a record keeps count. "
                       f"Medians of {config['repeats']}; `python benchmarks/trades.py` runs "
                       "this section alone.", "", *trades.table(results, skipped), ""])


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.list:
        print(json.dumps([{"key": c.key, "label": c.label, "optional": c.optional}
                          for c in CONTENDERS], indent=1))
        return 0
    config = plan(args)
    started = time.perf_counter()
    _say(f"compactclass benchmarks: {len(config['contenders'])} contenders x "
         f"{len(config['schemas'])} schemas, n={config['n']:,}, repeats={config['repeats']}\n"
         "building compiled contenders (cached in benchmarks/.build/)\n")
    load_start = os.getloadavg()[0]
    build_status = build.build_all(report=lambda line: _say(line + "\n"))
    results = run_all(config)
    load = {"start": load_start, "end": os.getloadavg()[0],
            "max_before_worker": max([r.get("load_before", 0.0) for r in results] + [load_start])}
    meta = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(), "versions": versions(results),
            "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in config.items()},
            "builds": build_status, "duration_s": time.perf_counter() - started, "load": load,
            "contender_keys": [c.key for c in CONTENDERS if c.key in config["contenders"]]}
    out = Path(config["out"])
    out.mkdir(parents=True, exist_ok=True)
    text = report.markdown(meta, results)
    if not (args.only or args.schema):
        _say("trades: the mixed-kind record of benchmarks/trades.py, every contender\n")
        text += trades_section(config)
    (out / "latest.md").write_text(text)
    report.write_json(out / "latest.json", meta, results)
    chart_problem = None if args.no_chart else report.write_chart(out / "latest.png", meta, results)
    print(text)
    _say(f"wrote {out}/latest.md, latest.json" + ("" if args.no_chart or chart_problem
                                                   else ", latest.png")
         + (f" ({chart_problem})" if chart_problem else "")
         + f" in {(time.perf_counter() - started) / 60:.1f} min\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
