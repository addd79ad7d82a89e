"""Market data as compact records: the second Quick start example of README.

    python -m compactclass build examples/market.py     # compile (optional: works without)
    python examples/market.py

A trade carries a timestamp, a symbol stored inline, an enum side, a price, a quantity and an
optional venue.
"""
import datetime
import enum
from typing import Optional

from compactclass import Str, compact, f64, u16, u32


class Side(enum.IntEnum):
    BUY = 1
    SELL = 2


@compact(order=True)
class Trade:
    ts: datetime.datetime
    symbol: Str[8]                 # up to 8 bytes of UTF-8, inline
    side: Side                     # stored as the smallest integer holding every member
    price: f64
    qty: u32
    venue: Optional[u16] = None    # a presence bit in the record; None when clear


def main():
    import gc
    import sys

    import compactclass
    t = Trade(datetime.datetime(2026, 12, 1, 9, 30, 0, 125), "ACME", Side.BUY, 101.25, 300)
    print(t)
    print("compiled:", compactclass.is_compiled(Trade), "| bytes:", sys.getsizeof(t),
          "| GC-tracked:", gc.is_tracked(t))
    t.venue = 7
    day = Trade.Array([t, (t.ts, "INIT", Side.SELL, 99.5, 10, None)])
    print(day[1], "| bytes per trade in an array:", day.itemsize)
    try:
        t.symbol = "TOO-LONG-SYMBOL"
    except ValueError as exc:
        print("ValueError:", exc)
    try:
        t.side = 3
    except ValueError as exc:
        print("ValueError:", exc)


if __name__ == "__main__":
    main()
