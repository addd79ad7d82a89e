"""Correct code using every option and field kind: mypy and pyright must report nothing here."""
import dataclasses
import datetime
import enum
from typing import Annotated, ClassVar, Optional

from compactclass import (Bytes, Column, Record, RecordArray, Str, UTCDateTime, compact, f32,
                          f64, field, i8, i16, i32, i64, u8, u16, u32, u64)


class Side(enum.IntEnum):
    BUY = 1
    SELL = 2


@compact
class Point:
    x: i32
    y: i32 = 0


@compact()
class Numbers:
    a: i8
    b: i16
    c: i64
    d: u8
    e: u16
    f: u32
    g: u64
    h: f32
    k: f64
    flag: bool = False
    n: int = 0
    r: float = 0.0


@compact(frozen=True, order=True, eq=True, repr=True, unsafe_hash=False, match_args=True,
         slots=True, weakref_slot=False, init=True)
class Trade(Record):
    ts: datetime.datetime
    symbol: Annotated[str, Str(8)]
    side: Side
    price: f64
    qty: u32
    utc: UTCDateTime
    day: datetime.date
    span: datetime.timedelta
    raw: Annotated[bytes, Bytes(4)] = b""
    flags: u8 = field(default=1)
    venue: Optional[u16] = None
    note: str | None = None
    tags: list[str] = field(default_factory=list)
    count: ClassVar[int] = 0


@compact(kw_only=True)
class Options(Record):
    name: str
    data: bytes = b""
    where: Point = dataclasses.field(default_factory=lambda: Point(0))
    limit: i32 = field(default=5, kw_only=True, repr=False, compare=False, hash=None,
                       metadata={"unit": "s"})


now = datetime.datetime(2024, 1, 1)
p = Point(1, 2)
p = Point(x=1)
p.x = 3
n = Numbers(1, 2, 3, 4, 5, 6, 7, 1.5, 2.5, flag=True)
t = Trade(now, "AB", Side.BUY, 1.0, 3, now, now.date(), datetime.timedelta(1))
t2 = Trade(now, "AB", Side.SELL, 1.0, 3, now, now.date(), datetime.timedelta(1), b"ab", 2, 7,
           "x", ["a"])
ordered: bool = t < t2 and t <= t2 and t2 > t and t2 >= t
symbol: str = t.symbol.upper()
raw: bytes = t.raw
venue: Optional[int] = t.venue
o = Options(name="n", where=Point(1), limit=3)
assert Trade.count == 0

a = Trade.Array([t, t2])
a.append(t)
a.append((now, "CD", Side.BUY, 2.0, 1, now, now.date(), datetime.timedelta(0)))
first: Trade = a[0]
part: RecordArray[Trade] = a[1:]
qty_total = sum(r.qty for r in a)
qty_column: Column[int] = a.qty
prices: Column[float] = a.column("price")
prices[0] = 2.5
symbols: list[str] = a.symbol[1:]
zeros = Options.Array.zeros(10)
size: int = len(zeros)
