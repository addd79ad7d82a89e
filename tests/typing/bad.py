"""Mistakes the checkers must report, one per line, each line marked with a comment per checker
(mypy, then pyright) holding part of its message; reveal_type lines carry what each reveals.

Also marked: what pyright cannot know (no plugins): the shorthand ``Str[8]`` with a default
(write ``Annotated[str, Str(8)]``), ``Point.Array`` of a record without the ``Record`` base, and
the type of a column's values (``Column[Any]``)."""
import datetime

from compactclass import Record, Str, compact, f64, field, i32, u8


@compact
class Point:
    x: i32
    y: i32 = 0


@compact(frozen=True)
class Frozen:
    a: u8
    b: Str[8] = "x"  # [pyright] "Literal['x']" is not assignable to declared type "Str"


@compact(kw_only=True)
class Keywords:
    k: int


@compact(order=True)
class Quote(Record):
    price: f64
    at: datetime.datetime
    size: i32 = field(default=1)


Point("1")  # [mypy] Argument 1 to "Point" has incompatible type "str"  # [pyright] "Literal['1']" is not assignable to "int"
Point()  # [mypy] Missing positional argument "x"  # [pyright] Argument missing for parameter "x"
Point(1, 2, 3)  # [mypy] Too many arguments for "Point"  # [pyright] Expected 2 positional arguments
Point(1, z=3)  # [mypy] Unexpected keyword argument "z"  # [pyright] No parameter named "z"
Keywords(1)  # [mypy] Too many positional arguments for "Keywords"  # [pyright] Expected 0 positional arguments
f = Frozen(1)
f.a = 2  # [mypy] Property "a" defined in "Frozen" is read-only  # [pyright] Attribute "a" is read-only
lt = Point(1) < Point(2)  # [mypy] Unsupported left operand type for < ("Point")  # [pyright] Operator "<" not supported for types "Point" and "Point"
q = Quote(1.0, datetime.datetime(2024, 1, 1))
ok = q < q
Quote.Array().append("q")  # [mypy] Argument 1 to "append" of "RecordArray" has incompatible type "str"  # [pyright] cannot be assigned to parameter "value" of type "Quote | tuple[Any, ...]"
element: str = Quote.Array([q])[0]  # [mypy] Incompatible types in assignment (expression has type "Quote", variable has type "str")  # [pyright] "Quote" is not assignable to "str"
price: str = q.price  # [mypy] Incompatible types in assignment (expression has type "float", variable has type "str")  # [pyright] "float" is not assignable to "str"
reveal_type(q)  # [mypy] Revealed type is "bad.Quote"  # [pyright] Type of "q" is "Quote"
reveal_type(Quote.Array([q])[0])  # [mypy] Revealed type is "bad.Quote"  # [pyright] Type of "Quote.Array([q])[0]" is "Quote"
reveal_type(Quote.Array([q]).price)  # [mypy] Revealed type is "compactclass.typed.Column[float]"  # [pyright] Type of "Quote.Array([q]).price" is "Column[Any]"
read: str = Quote.Array([q]).price[0]  # [mypy] Incompatible types in assignment (expression has type "float", variable has type "str")
sizes: list[str] = Quote.Array([q]).column("size")[:]  # [mypy] Incompatible types in assignment (expression has type "list[int]", variable has type "list[str]")
Quote.Array([q]).volume  # [mypy] "Quote" has no field "volume"
reveal_type(q.size)  # [mypy] Revealed type is "int"  # [pyright] Type of "q.size" is "int"
reveal_type(f.b)  # [mypy] Revealed type is "str"  # [pyright] Type of "f.b" is "Any"
reveal_type(Point.Array)  # [mypy] Revealed type is "type[compactclass.typed.RecordArray[bad.Point]]"  # [pyright] Type of "Point.Array" is "Unknown"  # [pyright] Cannot access attribute "Array" for class "type[Point]"
