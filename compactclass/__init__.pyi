# What type checkers see of the public API (compactclass/__init__.py is the implementation).
# Field kinds read as the Python type a field returns (i32 as int, Str[N] as str, ...); compact
# is a dataclass_transform decorator usable bare or with @dataclass's options; field() is
# typed like dataclasses.field. tests/test_typing.py keeps this file and __init__.py in step.
import dataclasses
import datetime
from typing import Any, Callable, Literal, Mapping, TypeVar, overload

from typing_extensions import TypeAlias, dataclass_transform

from .binding import CompiledBuildRequired as CompiledBuildRequired
from .binding import StaleBuildWarning as StaleBuildWarning
from .errors import DeclarationError as DeclarationError
from .typed import Column as Column, Record as Record, RecordArray as RecordArray

__all__ = ["compact", "field", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64",
           "Str", "Bytes", "UTCDateTime", "is_compiled", "layout", "get_include",
           "StaleBuildWarning", "DeclarationError", "__version__", "RecordArray", "Column",
           "Record", "CompiledBuildRequired", "set_strict", "runtime_compiled"]

__version__: str
runtime_compiled: bool

_C = TypeVar("_C", bound=type)
_T = TypeVar("_T")
_Missing: TypeAlias = Literal[dataclasses._MISSING_TYPE.MISSING]

i8: TypeAlias = int
i16: TypeAlias = int
i32: TypeAlias = int
i64: TypeAlias = int
u8: TypeAlias = int
u16: TypeAlias = int
u32: TypeAlias = int
u64: TypeAlias = int
f32: TypeAlias = float
f64: TypeAlias = float
UTCDateTime: TypeAlias = datetime.datetime

# Str[N] and Bytes[N]: no checker accepts an int as a type argument. `Annotated[str, Str(8)]`
# (the same field type at run time) reads as str everywhere; the mypy plugin
# (compactclass.mypy_plugin) also reads the shorthand Str[8] as str. pyright, which ignores the
# argument of a class with __class_getitem__, sees the shorthand as a class derived from Any:
# reads are Any and a default value is an error (use the Annotated spelling with pyright).
class Str(Any):  # type: ignore[misc]
    def __new__(cls, size: int) -> Any: ...
    def __class_getitem__(cls, size: int) -> Any: ...

class Bytes(Any):  # type: ignore[misc]
    def __new__(cls, size: int) -> Any: ...
    def __class_getitem__(cls, size: int) -> Any: ...

@overload
def field(*, default: _T, init: bool = True, repr: bool = True, hash: bool | None = None,
          compare: bool = True, metadata: Mapping[Any, Any] | None = None,
          kw_only: bool | _Missing = ...) -> _T: ...
@overload
def field(*, default_factory: Callable[[], _T], init: bool = True, repr: bool = True,
          hash: bool | None = None, compare: bool = True,
          metadata: Mapping[Any, Any] | None = None, kw_only: bool | _Missing = ...) -> _T: ...
@overload
def field(*, init: bool = True, repr: bool = True, hash: bool | None = None,
          compare: bool = True, metadata: Mapping[Any, Any] | None = None,
          kw_only: bool | _Missing = ...) -> Any: ...

@overload
@dataclass_transform(field_specifiers=(field, dataclasses.field))
def compact(cls: _C, /) -> _C: ...
@overload
def compact(cls: None = None, /, *, init: bool = True, repr: bool = True, eq: bool = True,
            order: bool = False, unsafe_hash: bool = False, frozen: bool = False,
            match_args: bool = True, kw_only: bool = False, slots: Literal[True] = True,
            weakref_slot: bool = False, strict: bool | None = None) -> Callable[[_C], _C]: ...

def set_strict(strict: bool | None) -> bool | None: ...
def is_compiled(cls: type) -> bool: ...
def layout(cls: type) -> Any: ...
def get_include() -> list[str]: ...
