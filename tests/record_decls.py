"""The declarations that test_records, test_pickle and test_layout share.

Compiling takes long, so one declaration file holds every record those tests need and it is
built once per session (:func:`compiled`). The same text is also imported without a build
(:func:`pure`, the fallback classes a user gets when no build exists) and executed as plain
``@dataclass(slots=True)`` classes (:func:`dataclasses_of`): the reference the records must
agree with.
"""
from __future__ import annotations

import os
import sys

import pytest

import compactclass

COMPACT_PRELUDE = """\
from compactclass import compact, field, i8, i16, i32, i64, u8, u16, u32, u64, f32, f64
"""

# The same declarations as plain dataclasses: @compact(...) becomes @dataclass(slots=True, ...).
DATACLASS_PRELUDE = """\
import dataclasses
import sys
from compactclass import i8, i16, i32, i64, u8, u16, u32, u64, f32, f64
field = dataclasses.field

def compact(cls=None, /, **options):
    if sys.version_info < (3, 11):      # (dataclasses' weakref_slot is new in 3.11)
        options.pop("weakref_slot", None)
    wrap = dataclasses.dataclass(slots=True, **options)
    return wrap if cls is None else wrap(cls)
"""

BODY = '''
import math
from dataclasses import KW_ONLY
from typing import ClassVar

SCALE = 10
factory_calls = []


def helper(value):
    return value * SCALE


def next_serial():
    factory_calls.append(None)
    return len(factory_calls)


@compact
class Point:
    """A point on the grid."""
    x: i32
    y: i32
    z: i32 = 0
    ORIGIN_NAME = "origin"
    dimensions: ClassVar[int] = 3

    def norm(self):
        return math.sqrt(self.x ** 2 + self.y ** 2 + self.z ** 2)

    def scaled(self):
        return helper(self.x), helper(self.y), helper(self.z)

    @property
    def total(self):
        return self.x + self.y + self.z

    @total.setter
    def total(self, value):
        self.z = value - self.x - self.y

    @classmethod
    def origin(cls):
        return cls(0, 0)

    @staticmethod
    def describe_axes():
        return "xyz"


class SubPoint(Point):
    """A plain Python subclass of a record (not @compact)."""

    def label(self):
        return f"sub{self.x}"


@compact
class Vec3:
    x: f64
    y: f64
    z: f64


@compact
class Mixed:
    a: u8
    b: f64
    c: i16


@compact
class Bytes4:
    a: u8
    b: u8
    c: u8
    d: u8


@compact
class AllTypes:
    a8: i8 = 0
    a16: i16 = 0
    a32: i32 = 0
    a64: i64 = 0
    b8: u8 = 0
    b16: u16 = 0
    b32: u32 = 0
    b64: u64 = 0
    f: f32 = 0.0
    d: f64 = 0.0
    flag: bool = False


@compact(frozen=True, order=True)
class Particle:
    x: f64
    y: f64
    mass: f64 = 1.0


@compact(order=True)
class Ranked:
    """Stored as b, c, a (largest first); compared as declared: a, b, c."""
    a: u8
    b: f64
    c: i16


@compact
class Options:
    a: i32
    serial: i32 = field(default_factory=next_serial)
    hidden: i32 = field(default=3, repr=False, compare=False)
    tagged: i16 = field(default=0, metadata={"unit": "mm"})
    _: KW_ONLY
    k: i32 = 9


@compact(kw_only=True)
class KwOnly:
    a: i32
    b: i32 = 2


@compact(init=False, repr=False, eq=False, match_args=False)
class Quiet:
    a: i32 = 1
    b: f64 = 2.0


@compact
class OwnInit:
    a: i32
    b: i32 = 5

    def __init__(self, a):
        self.a = a * 2


@compact
class Post:
    a: i32
    b: i32 = field(init=False, default=0)

    def __post_init__(self):
        self.b = self.a * 10


@compact(frozen=True)
class FrozenPost:
    a: i32
    doubled: i32 = field(init=False, default=0)

    def __post_init__(self):
        object.__setattr__(self, "doubled", self.a * 2)     # the dataclass idiom


@compact
class Base:
    a: i32

    def describe(self):
        return f"Base(a={self.a})"

    def __str__(self):
        return "base:" + self.describe()


@compact
class Derived(Base):
    b: f64 = 0.5

    def describe(self):
        return "Derived/" + super().describe()


@compact
class Specials:
    n: i32

    def __str__(self):
        return f"S{self.n}"

    def __len__(self):
        return self.n

    def __iter__(self):
        return iter(range(self.n))

    def __getitem__(self, key):
        return key * self.n

    def __contains__(self, key):
        return key == self.n

    def __add__(self, other):
        return Specials(self.n + other.n)

    def __call__(self, *args, **kwargs):
        return args, kwargs

    def __bool__(self):
        return self.n != 0

    def __neg__(self):
        return Specials(-self.n)


@compact(weakref_slot=True)
class Weak:
    a: i32


@compact(unsafe_hash=True)
class UnsafeHash:
    a: i32
    b: f64 = field(default=0.0, hash=False)


@compact
class ExplicitHash:
    a: i32

    def __hash__(self):
        return 42


@compact
class OwnEq:
    a: i32

    def __eq__(self, other):
        return isinstance(other, OwnEq) and abs(self.a - other.a) <= 1


@compact
class Names:
    """Field names that are parameters, locals or builtins in generated code, or C macros."""
    self: i32 = 0
    other: i32 = 0
    values: i32 = 0
    cls: i32 = 0
    o: i32 = 0
    type: i32 = 0
    hash: i32 = 0
    object: i32 = 0
    name: i32 = 0
    value: i32 = 0
    key: i32 = 0
    args: i32 = 0
    kwargs: i32 = 0
    EOF: i32 = 0
    errno: i32 = 0
    NULL: i32 = 0
    unix: i32 = 0
    INT32_MAX: i32 = 0
    ob_base: f64 = 0.0
'''

SOURCE = COMPACT_PRELUDE + BODY

RECORD_NAMES = ("Point", "Vec3", "Mixed", "Bytes4", "AllTypes", "Particle", "Ranked", "Options",
                "KwOnly", "Quiet", "OwnInit", "Post", "FrozenPost", "Base", "Derived", "Specials",
                "Weak",
                "UnsafeHash", "ExplicitHash", "OwnEq", "Names")

_cache: dict = {}


def _compiled(builder):
    """The declaration module, built once per session (its records are the compiled classes)."""
    if "compiled" not in _cache:
        _cache["compiled"] = builder.build(SOURCE)
    return _cache["compiled"]


def _pure(builder):
    """The same declaration under another module name and never built: the fallback classes."""
    if "pure" not in _cache:
        _cache["pure"] = builder.build(SOURCE, compile=False)
    return _cache["pure"]


def dataclasses_of():
    """The same declarations as plain @dataclass(slots=True) classes, in a fresh module."""
    if "dataclasses" not in _cache:
        module = type(sys)("records_as_dataclasses")
        sys.modules[module.__name__] = module
        code = compile(DATACLASS_PRELUDE + BODY, "<records as dataclasses>", "exec",
                       dont_inherit=True)  # (not this file's `from __future__ import annotations`)
        exec(code, module.__dict__)
        _cache["dataclasses"] = module
    return _cache["dataclasses"]


# ---------------------------------------------------------------- fixtures (imported by tests)


@pytest.fixture(scope="module")
def compiled(builder):
    """The declaration module, compiled: every record is the compiled class."""
    if os.environ.get("COMPACTCLASS_PURE") == "1":
        pytest.skip("COMPACTCLASS_PURE=1: this process uses no compiled records")
    module = _compiled(builder)
    for name in RECORD_NAMES:
        assert compactclass.is_compiled(getattr(module, name)), name
    return module


@pytest.fixture(scope="module")
def pure(builder):
    """The same declarations without a build: every record is the fallback class."""
    module = _pure(builder)
    for name in RECORD_NAMES:
        assert not compactclass.is_compiled(getattr(module, name)), name
    return module


@pytest.fixture(scope="module", params=["compiled", "fallback"])
def rec(request):
    """The declaration module in one mode: its records are compiled or fallback classes."""
    return request.getfixturevalue("compiled" if request.param == "compiled" else "pure")


@pytest.fixture(scope="module")
def dc():
    """The same declarations as plain @dataclass(slots=True) classes."""
    return dataclasses_of()
