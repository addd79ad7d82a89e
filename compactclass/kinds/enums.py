"""Enum fields: a field annotated with an ``enum.Enum`` subclass that has members.

The rules (the same in both modes):

- **Stored code.** For an ``IntEnum``, ``IntFlag``, ``Flag`` or any Enum whose member values
  are all ``int``: the member's int value; for any other Enum: the member's index in definition
  order (an alias is the same member). The code is stored in the smallest of ``i8 u8 i16 u16
  i32 u32 i64 u64`` that holds every code (for a flag: 0 up to the OR of every member); an enum
  whose codes need more than 64 bits is a DeclarationError. Cython sees that integer (the
  ``.pxd`` declares ``int8_t side``), NumPy and ``memoryview`` the integer code.
- **Reading** gives the member itself (``r.side is Side.BUY``); a flag combination reads as
  ``cls(code)``.
- **Accepted values**: a member of the enum (a flag: any combination of its members); for an
  ``int``-derived enum (``IntEnum``, ``IntFlag``) also a plain ``int`` (not a ``bool``) equal to
  a member's value or, for ``IntFlag``, a combination of them, read back as the member. A
  member of another enum, or an ``int`` that is no member's value, is a ``ValueError`` naming
  the field and a few valid members; any other type a ``TypeError``.
- **==, ordering and hash** are the members': ``int``-derived enums order as their ints, other
  members only ``==``/``!=`` (ordering records on such a field raises the ``TypeError`` a
  ``@dataclass(order=True)`` raises).
- **Zero.** A field whose bytes are all zero (``Array.zeros``, a record without ``__init__``)
  holds the member whose code is 0; where no member has code 0 it reads as ``None``, as a
  ``str`` field's zero does (and such a field cannot be written back as ``None``). Code 0 is
  therefore always a valid stored code; any other code that is no member's (bytes written
  through a buffer) raises ``ValueError`` when read, and ``frombuffer`` and unpickling refuse it.

One kind per enum class (cached): its :attr:`name` is the enum's ``__qualname__``, its
:attr:`canonical` holds module, qualname and every member's name and value, so changing the
enum makes a build stale. Generated code reaches the enum through
:meth:`EnumKind.bound_objects`: the kind itself (the slow paths, which raise every error), the
members with their codes as one tuple (a store finds a member in it by identity), a dict code ->
member (a store of a plain int; loads of sparse codes) and, where the codes are dense, a tuple
of the members by code (what loads index). The inline helpers that use them
(``pyx/compactclass/_enums.pxd``) treat whatever is bound there as Python objects, and every
code is range-checked before it is stored.
"""
from __future__ import annotations

import enum
import functools
import hashlib
import operator
import re
import sys
import typing

from ..errors import DeclarationError
from .base import Kind, module_name
from .messages import short_repr, type_error
from .numbers import KINDS as NUMBERS, IntKind

__all__ = ["EnumKind", "KINDS", "kind_of", "SUPPORTED_TEXT"]

#: the integer kinds a code may be stored in, smallest first
STORAGE = tuple(typing.cast(IntKind, NUMBERS[name])
                for name in ("i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64"))

#: how many members an error message lists
SHOWN_MEMBERS = 4

#: codes spanning fewer values than this (or than twice the members) are loaded by indexing a
#: tuple; others through a dict
DENSE_CODES = 256

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _member_text(member) -> str:
    """``Side.BUY`` (a flag combination: its repr)."""
    name = getattr(member, "_name_", None)
    if isinstance(name, str) and name.isidentifier():
        return f"{type(member).__qualname__}.{name}"
    return short_repr(member)


def _canonical(cls) -> str:
    """Module, qualname and every member's (name, value), aliases too (a value's repr without
    an object address, which differs between processes)."""
    pairs = [(name, _ADDRESS.sub("", repr(m.value))) for name, m in cls.__members__.items()]
    return f"enum:{module_name(cls)}.{cls.__qualname__}:{pairs!r}"


class EnumKind(Kind):
    """The field kind of one enum class."""

    plain_data = True
    bytes_equal = True          # equal codes are the same member

    def __init__(self, cls):
        self.python_type, self.name = cls, cls.__qualname__
        where = f"enum {cls.__module__}.{cls.__qualname__}"
        # every member once, in definition order (an alias is the same object)
        self.members = tuple({id(m): m for m in cls.__members__.values()}.values())
        if not self.members:
            raise DeclarationError(f"{where} has no members: an enum field needs at least one")
        self.flag = issubclass(cls, enum.Flag)
        #: members are ints (IntEnum, IntFlag): plain ints are accepted, codes order as ints
        self.int_like = issubclass(cls, int)
        self.codes = self._codes(where)
        self.mask = functools.reduce(operator.or_, self.codes, 0) if self.flag else 0
        self.storage = self._storage(where)
        for attribute in ("c_type", "size", "align", "struct_code", "numpy_code", "c_cimports"):
            setattr(self, attribute, getattr(self.storage, attribute))
        self._member_of_code = dict(zip(self.codes, self.members))
        self._code_of_id = {id(m): code for m, code in zip(self.members, self.codes)}
        self.zero = cls(0) if self.flag else self._member_of_code.get(0)
        self._canonical = _canonical(cls)
        digest = hashlib.sha256(self._canonical.encode()).hexdigest()[:8]
        self.ident = f"enum_{re.sub(r'[^0-9A-Za-z]+', '_', self.name)[:24]}_{digest}"
        self._expected = f"a {self.name} member" + (" or its int value" if self.int_like else "")

    def _codes(self, where: str) -> tuple:
        """Every member's code: its int value, or (an Enum of other values) its index."""
        if not (self.flag or self.int_like or
                all(isinstance(m.value, int) and not isinstance(m.value, bool)
                    for m in self.members)):
            return tuple(range(len(self.members)))
        codes = []
        for member in self.members:
            code = operator.index(member) if self.int_like else member.value
            if not isinstance(code, int) or isinstance(code, bool):
                raise DeclarationError(f"{where}: flag member {member._name_} has the value "
                                       f"{member.value!r}, not an int")
            if self.flag and code < 0:
                raise DeclarationError(f"{where}: flag member {member._name_} has a negative "
                                       f"value ({code})")
            codes.append(int(code))
        if len(set(codes)) != len(codes):
            raise DeclarationError(f"{where}: two members have the same int value, so a stored "
                                   f"code could not tell them apart")
        return tuple(codes)

    def _storage(self, where: str):
        """The smallest integer kind that holds every code (and 0, the zero)."""
        lo, hi = (0, self.mask) if self.flag else (min(0, *self.codes), max(0, *self.codes))
        for kind in STORAGE:
            if kind.min <= lo and hi <= kind.max:
                return kind
        raise DeclarationError(f"{where}: its codes span [{lo}, {hi}], which no 64-bit integer "
                               f"holds")

    @property
    def canonical(self) -> str:
        return self._canonical

    @property
    def _stub_module(self):
        """The alias a ``.pyi`` stub imports the enum's module as, or None where the enum is
        not reachable by module and qualname (declared inside a function)."""
        if "<" in self.python_type.__qualname__:
            return None
        return "_cc_enum_" + re.sub(r"[^0-9A-Za-z]+", "_", module_name(self.python_type))

    @property
    def pyi_type(self) -> str:
        alias = self._stub_module
        return "typing.Any" if alias is None else f"{alias}.{self.python_type.__qualname__}"

    @property
    def pyi_imports(self) -> tuple:
        alias = self._stub_module
        return () if alias is None else (f"import {module_name(self.python_type)} as {alias}",)

    # -- values (the pure runtime, defaults, unpickling; the compiled slow paths)

    def _flag_code(self, number: int) -> bool:
        return self.flag and number >= 0 and not number & ~self.mask

    def _listed(self, values: bool) -> str:
        shown = [_member_text(m) + (f" = {code}" if values else "")
                 for m, code in zip(self.members[:SHOWN_MEMBERS], self.codes)]
        more = len(self.members) - SHOWN_MEMBERS
        return ", ".join(shown) + (f", ... ({len(self.members)} members)" if more > 0 else "")

    def convert(self, where: str, value):
        cls = self.python_type
        if type(value) is cls:
            member = typing.cast(enum.Enum, value)
            if id(value) in self._code_of_id or self._flag_code(member._value_):
                return value
            what = f"holds bits no {self.name} member has" if self.flag else \
                f"is not a {self.name} member"
            raise ValueError(f"{where}: {short_repr(value)} {what} ({self._listed(True)})")
        if isinstance(value, enum.Enum):
            raise ValueError(f"{where}: {_member_text(value)} is not a {self.name} "
                             f"({self._listed(False)})")
        if self.int_like and isinstance(value, int) and not isinstance(value, bool):
            number = operator.index(value)
            member = self._member_of_code.get(number)
            if member is not None:
                return member
            if self._flag_code(number):
                return cls(number)
            what = f"a combination of {self.name} members' values" if self.flag else \
                f"the value of a {self.name} member"
            raise ValueError(f"{where}: {short_repr(value)} is not {what} "
                             f"({self._listed(True)})")
        raise type_error(where, self.name, self._expected, value)

    def to_struct(self, value) -> int:
        """The code of a converted value (None: the zero of a field never written)."""
        if value is None:
            return 0
        code = self._code_of_id.get(id(value))
        return value._value_ if code is None else code

    def from_struct(self, code: int):
        member = self._member_of_code.get(code)
        if member is not None:
            return member
        if self._flag_code(code):
            return self.python_type(code)
        if code == 0:
            return None
        raise ValueError(f"{self.name} field: stored code {code} is no {self.name} member's "
                         f"code (bytes written through a buffer?)")

    def store_code(self, value, where: str) -> int:
        """The code compiled code stores for value (its slow path: what the dicts miss)."""
        return self.to_struct(self.convert(where, value))

    def _code_valid(self, code: int) -> bool:
        return code == 0 or code in self._member_of_code or self._flag_code(code)

    def invalid_stored(self, column: bytes):
        codes = memoryview(column).cast(  # type: ignore[call-overload]  # a run-time format
            self.struct_code)
        bad = {code for code in set(codes) if not self._code_valid(code)}  # (one C-speed pass)
        if not bad:
            return None
        index = next(i for i, code in enumerate(codes) if code in bad)
        return index, column[index * self.size:(index + 1) * self.size]

    def stored_error(self, where: str, index: int, raw: bytes, name: str) -> ValueError:
        code = int.from_bytes(raw, sys.byteorder, signed=self.storage.signed)
        return ValueError(f"{where}: record {index} holds code {code} in field {name!r}, which "
                          f"is no {self.name} member's code")

    # -- generated code (Cython): the helpers of _enums.pxd, with the bound objects

    def _bound_name(self, what: str = "") -> str:
        return f"_cc_{self.ident}{what}"

    @functools.cached_property
    def _by_code(self):
        """(lowest code, tuple of the member of every code from it, None where there is none)
        when that tuple is small enough for loads to index (a flag's: every combination from
        0); else None, and loads look codes up in a dict."""
        lo, hi = (0, self.mask) if self.flag else (min(self.codes), max(self.codes))
        if self.storage.name == "u64" or hi - lo >= max(DENSE_CODES, 2 * len(self.codes)):
            return None
        return lo, tuple(self.from_struct(code) if self._code_valid(code) else None
                         for code in range(lo, hi + 1))

    def bound_objects(self) -> dict:
        pairs = tuple(x for pair in zip(self.members, self.codes) for x in pair)
        bound = {self._bound_name(): self, self._bound_name("_pairs"): pairs,
                 self._bound_name("_members"): dict(self._member_of_code)}
        if self._by_code is not None:
            bound[self._bound_name("_by_code")] = self._by_code[1]
        return bound

    def module_code(self) -> list:
        return ["from compactclass cimport _enums as _cc_en"]

    def store(self, target: str, value: str, where: str) -> str:
        code = (f"_cc_en.code_of({value}, {self._bound_name('_pairs')}, "
                f"{self._bound_name('_members')}, {int(self.int_like)}, {self._bound_name()}, "
                f"{where})")
        return f"{target} = _cc_k.to_{self.storage.name}({code}, {where})"

    def load(self, source: str) -> str:
        if self._by_code is None:
            return (f"_cc_en.member_of({source}, {self._bound_name('_members')}, "
                    f"{self._bound_name()})")
        return (f"_cc_en.member_at({source}, {_c_int(self._by_code[0])}, "
                f"{self._bound_name('_by_code')}, {self._bound_name()})")

    def compare(self, a: str, b: str) -> str:
        if not self.int_like:       # only ==: Python orders the members (or refuses to)
            return f"(_cc_k.CC_EQ if {a} == {b} else _cc_k.CC_PY)"
        helper = "order_unsigned" if self.storage.name == "u64" else "order_signed"
        order = f"_cc_k.{helper}({a}, {b})"
        if self.zero is not None:
            return order
        # code 0 is None here, which Python does not order against a member
        return (f"(_cc_k.CC_EQ if {a} == {b} else "
                f"(_cc_k.CC_PY if {a} == 0 or {b} == 0 else {order}))")

    def stored_valid(self, source: str):
        if self.flag:
            outside = ~self.mask & (2 ** 64 - 1)
            return f"_cc_en.bits_within({source}, {outside}ULL)"
        runs = _runs(sorted({0, *self.codes}))
        if runs == [(self.storage.min, self.storage.max)]:
            return None                 # every code is a member's
        return " or ".join(self._run_test(source, lo, hi) for lo, hi in runs)

    def _run_test(self, source: str, lo: int, hi: int) -> str:
        """A C test of lo <= source <= hi that leaves out a bound the storage type always meets
        and never writes the type's extreme values as literals (INT64_MIN is no C literal)."""
        low, high = self.storage.min, self.storage.max
        if lo == hi:
            return (f"{source} < {_c_int(lo + 1)}" if lo == low else
                    f"{source} > {_c_int(hi - 1)}" if hi == high else
                    f"{source} == {_c_int(lo)}")
        tests = ([f"{source} >= {_c_int(lo)}"] if lo > low else []) + \
                ([f"{source} <= {_c_int(hi)}"] if hi < high else [])
        return "(" + " and ".join(tests) + ")" if len(tests) > 1 else tests[0]

    def canonical_store(self, source: str):
        return None         # a code no member has cannot be mended: kept, refused on load


def _runs(codes: list) -> list:
    """[(lo, hi)] of the runs of consecutive integers in sorted codes."""
    runs: list[tuple[int, int]] = []
    for code in codes:
        if runs and runs[-1][1] == code - 1:
            runs[-1] = (runs[-1][0], code)
        else:
            runs.append((code, code))
    return runs


def _c_int(number: int) -> str:
    if number >= 2 ** 63:
        return f"{number}ULL"
    return f"{number}LL" if abs(number) >= 2 ** 31 else str(number)


_KINDS: dict = {}          # enum class -> its kind (as classes are module-level, for good)

#: enum kinds are made per enum class (kind_of), none by name
KINDS: dict = {}


def kind_of(annotation):
    """The kind of an enum class (made once per class); None for any other annotation. An enum
    without members, or whose codes need more than 64 bits, is a DeclarationError."""
    if not (isinstance(annotation, type) and issubclass(annotation, enum.Enum)):
        return None
    found = _KINDS.get(annotation)
    if found is None:
        found = _KINDS[annotation] = EnumKind(annotation)
    return found


SUPPORTED_TEXT = "an enum.Enum subclass with members (IntEnum, IntFlag, Flag, Enum)"
