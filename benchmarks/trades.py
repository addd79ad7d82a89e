"""Market-data trades: bytes per record and construction/read times, every contender side by side.

    python benchmarks/trades.py                # 1M trades per contender, 5 timed repeats
    python benchmarks/trades.py --n 200000     # quicker

A trade is (ts: datetime, symbol: 8-character str, side: IntEnum, price: float, qty: int), with
values as a feed parser makes them: a fresh datetime, str, float and int per trade, distinct
symbols. Each contender runs in its own fresh process, which builds n trades, keeps them, and
reports the growth of its resident set size divided by n: everything a trade keeps alive counts
(the boxed values of a dataclass, the str objects of a `str` field). Then construction (ns per
trade, from values already parsed) and reading the symbol field from Python (ns per read), as
medians of the repeats.

Contenders: `@dataclass(slots=True)`, msgspec `Struct(gc=False)`, recordclass `dataobject`
(each where installed), and two compact records, one with `symbol: Str[8]` (stored inline) and
one with `symbol: str` (a reference). The compact records are compiled into
benchmarks/.build/trades/ first.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
BUILD = BENCH_DIR / ".build" / "trades"

DECLARATIONS = '''
import enum
from datetime import datetime
from compactclass import compact, Str, f64, u32


class Side(enum.IntEnum):
    BUY = 1
    SELL = 2


@compact
class Trade:
    ts: datetime
    symbol: Str[8]
    side: Side
    price: f64
    qty: u32


@compact
class TradeRef:
    ts: datetime
    symbol: str
    side: Side
    price: f64
    qty: u32
'''

CONTENDERS = {
    "dataclass(slots=True)": '''
import dataclasses, enum
from datetime import datetime
class Side(enum.IntEnum):
    BUY = 1
    SELL = 2
@dataclasses.dataclass(slots=True)
class Trade:
    ts: datetime
    symbol: str
    side: Side
    price: float
    qty: int
''',
    "msgspec Struct(gc=False)": '''
import enum, msgspec
from datetime import datetime
class Side(enum.IntEnum):
    BUY = 1
    SELL = 2
class Trade(msgspec.Struct, gc=False):
    ts: datetime
    symbol: str
    side: Side
    price: float
    qty: int
''',
    "recordclass dataobject": '''
import enum
from datetime import datetime
from recordclass import dataobject
class Side(enum.IntEnum):
    BUY = 1
    SELL = 2
class Trade(dataobject):
    ts: datetime
    symbol: str
    side: Side
    price: float
    qty: int
''',
    "compact, symbol: Str[8]": "from trade_decls import Side, Trade\n",
    "compact, symbol: str": "from trade_decls import Side, TradeRef as Trade\n",
}

WORKER = '''
import gc, json, sys, time
from datetime import datetime, timedelta
sys.path.insert(0, {build!r})
{setup}
N, REPEATS = {n}, {repeats}
BASE = datetime(2026, 1, 2, 9, 30)

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096

def parsed(i):
    # what a feed parser hands over: fresh objects per trade
    return (BASE + timedelta(microseconds=i * 137), "S%07d" % i, Side.BUY if i & 1 else Side.SELL,
            100.0 + (i % 1000) / 8, 1 + i % 500)

gc.collect()
gc.disable()
before = rss()
trades = [Trade(*parsed(i)) for i in range(N)]
after = rss()
bytes_per = (after - before) / N
del trades
gc.collect()

rows = [parsed(i) for i in range(N)]
build = []
for _ in range(REPEATS):
    t0 = time.perf_counter_ns()
    made = [Trade(a, b, c, d, e) for a, b, c, d, e in rows]
    t1 = time.perf_counter_ns()
    empty = [(a, b, c, d, e) for a, b, c, d, e in rows]
    t2 = time.perf_counter_ns()
    build.append(((t1 - t0) - (t2 - t1)) / N)
    del empty
reads = []
for _ in range(REPEATS):
    t0 = time.perf_counter_ns()
    for p in made:
        p.symbol
    t1 = time.perf_counter_ns()
    for p in made:
        pass
    t2 = time.perf_counter_ns()
    reads.append(((t1 - t0) - (t2 - t1)) / N)
assert made[5].symbol == "S0000005" and made[5].qty == 6
print("RESULT " + json.dumps({{"bytes": bytes_per, "construct": sorted(build)[len(build) // 2],
                              "read": sorted(reads)[len(reads) // 2]}}))
'''


def build_compact() -> None:
    BUILD.mkdir(parents=True, exist_ok=True)
    path = BUILD / "trade_decls.py"
    if not path.exists() or path.read_text() != DECLARATIONS:
        path.write_text(DECLARATIONS)
    subprocess.run([sys.executable, "-m", "compactclass", "build", str(path)], check=True,
                   stdout=subprocess.DEVNULL)


def run_one(label: str, setup: str, n: int, repeats: int):
    code = WORKER.format(build=str(BUILD), setup=textwrap.dedent(setup), n=n, repeats=repeats)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(BENCH_DIR.parent)})
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return None, last
    line = next(l for l in done.stdout.splitlines() if l.startswith("RESULT "))
    return json.loads(line[len("RESULT "):]), None


def measure(n: int, repeats: int) -> tuple:
    """({label: {"bytes", "construct", "read"}}, {label: why it was skipped}) for every
    contender, each in its own process."""
    build_compact()
    results, skipped = {}, {}
    for label, setup in CONTENDERS.items():
        result, error = run_one(label, setup, n, repeats)
        if result is None:
            skipped[label] = error
        else:
            results[label] = result
    return results, skipped


def table(results: dict, skipped: dict) -> list:
    """A markdown table of the results, with ratios to ``@dataclass(slots=True)``."""
    slots = results.get("dataclass(slots=True)")
    lines = ["| trade record | RSS bytes/trade | vs slots | construct ns | vs slots | "
             "read symbol ns | vs slots |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for label, r in results.items():
        ratios = [r[k] / slots[k] if slots else float("nan")
                  for k in ("bytes", "construct", "read")]
        lines.append(f"| {label} | {r['bytes']:.1f} | {ratios[0]:.2f}x | {r['construct']:.1f} | "
                     f"{ratios[1]:.2f}x | {r['read']:.1f} | {ratios[2]:.2f}x |")
    lines += [f"| {label} | skipped: {why} | | | | | |" for label, why in skipped.items()]
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"{args.n:,} trades per contender, Python {sys.version.split()[0]}, medians of "
          f"{args.repeats}")
    print("\n".join(table(*measure(args.n, args.repeats))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
