"""Dataclass parity: a compact record behaves as the same declaration under @dataclass(slots=True).

Every case runs in three modes: the compiled record, the fallback (the same declaration text
imported without a build, as a user without a build gets it) and a ``@dataclass(slots=True)``
twin executed from the same text. Each asserts one literal expected result in all three, so the
dataclass run checks the expectation itself and a compact mode that drifts fails.

The declarations are written once per topic (TOPICS) with the decorator named ``DECO`` and
``field``; the compact text imports them from compactclass, the dataclass text gets
``slots_dataclass`` and ``dataclasses.field``. All topics go into one file, built once per
module. Each topic is a guarded block: a declaration that raises is kept in
``DECLARATION_ERRORS`` and fails that topic's tests only.

Declaration errors need no build: those tests declare local classes (which are never compiled)
in the "fallback" and "dataclass" modes. Zero-argument ``super()`` is avoided on purpose: in a
slots dataclass it fails before Python 3.14 (the class is recreated), so the twins use
``super(Class, self)``.
"""
import ast
import copy
import dataclasses
import inspect
import pickle
import sys
import textwrap
import types
import weakref
from typing import ClassVar

import pytest

import compactclass
from compactclass import compact
from conftest import outcome

MODES = ("compiled", "fallback", "dataclass")


def slots_dataclass(cls=None, /, **options):
    """@dataclass(slots=True, ...): the twin of @compact(...). Before 3.11 the twin is made to do
    what 3.11 does: dataclasses has no weakref_slot (the twin gets "__weakref__" added to its
    __slots__), and a frozen slotted dataclass replaced the body's __getstate__/__setstate__."""
    before_311 = sys.version_info < (3, 11)
    weakref_slot = before_311 and options.pop("weakref_slot", False)
    wrap = dataclasses.dataclass(**{"slots": True, **options})

    def decorate(declared):
        body = dict(vars(declared))
        made = wrap(declared)
        if before_311:
            for name in ("__getstate__", "__setstate__"):
                if name in body:
                    setattr(made, name, body[name])
        return _with_weakref_slot(made) if weakref_slot else made
    return decorate if cls is None else decorate(cls)


def _with_weakref_slot(cls):
    namespace = {name: value for name, value in vars(cls).items()
                 if name not in cls.__slots__ and name not in ("__dict__", "__weakref__")}
    namespace["__slots__"] = (*cls.__slots__, "__weakref__")
    return type(cls)(cls.__name__, cls.__bases__, namespace)


COMPACT_PRELUDE = """\
import dataclasses
from compactclass import compact as DECO, field
"""

DATACLASS_PRELUDE = """\
import dataclasses
from dataclasses import field
"""

TOPICS = {
    "general": '''
        from dataclasses import KW_ONLY, InitVar
        from typing import ClassVar

        @DECO
        class Point:
            """A point on the grid."""
            x: int
            y: int = 0
            dimensions: ClassVar[int] = 2

        @DECO
        class WithClassVar:
            x: int
            limit: ClassVar[int] = field(default=10)
            bare: ClassVar[int] = field()

        @DECO
        class Undocumented:
            x: int
            y: int = 0

        @DECO(frozen=True, order=True)
        class Version:
            major: int
            minor: int = 0

        @DECO(unsafe_hash=True)
        class Tagged:
            a: int
            b: float = field(default=0.0, repr=False, compare=False, hash=False)

        @DECO
        class Options:
            a: int
            items: list = field(default_factory=list)
            _: KW_ONLY
            k: int = 9

        @DECO(kw_only=True)
        class KwOnly:
            a: int
            b: int = 2

        @DECO
        class Scaled:
            a: int
            factor: InitVar[int] = 2
            b: int = field(init=False, default=0)

            def __post_init__(self, factor):
                self.b = self.a * factor
    ''',
    # 4: dataclasses.field() in a declaration
    "std_field": '''
        @DECO
        class StdField:
            x: int = dataclasses.field(default=5, repr=False)
            y: int = dataclasses.field(default_factory=lambda: 7)
    ''',
    # 1: bases that lend methods but no instance state
    "bases": '''
        import abc
        import typing

        class Greeter:
            def greet(self):
                return "hello " + self.name()

            def name(self):
                return "greeter"

        @DECO
        class Greeted(Greeter):
            x: int

            def name(self):
                return f"x={self.x}, " + super(Greeted, self).name()

        class Sized:
            def __len__(self):
                return self.x

        @DECO
        class MeasuredRecord(Greeter, Sized):
            x: int

        @DECO
        class MeasuredChild(MeasuredRecord):
            y: int = 0

            def greet(self):
                return "child " + MeasuredRecord.greet(self)

        class Shape(abc.ABC):
            @abc.abstractmethod
            def area(self):
                ...

        @DECO
        class Incomplete(Shape):
            w: int

        @DECO
        class Square(Shape):
            w: int

            def area(self):
                return self.w * self.w

        @typing.runtime_checkable
        class HasArea(typing.Protocol):
            def area(self) -> int:
                ...

        @DECO
        class Tile(HasArea):
            w: int

            def area(self):
                return self.w

        T = typing.TypeVar("T")

        @DECO
        class Box(typing.Generic[T]):
            size: int

        from compactclass import Record as TypedRecord

        @DECO
        class Marked(TypedRecord):      # the base that tells pyright about Marked.Array
            x: int
            y: int = 0
    ''',
    # 2: two record bases
    "two_bases": '''
        @DECO
        class Left:
            a: int

        @DECO
        class Right:
            b: int
    ''',
    # 3: a redeclared inherited field keeps its place
    "redeclared": '''
        @DECO
        class Parent:
            x: int = 1
            y: int = 2

        @DECO
        class Child(Parent):
            z: int = 3
            x: int = 15
    ''',
    # 5: metadata is a live read-only view of any mapping
    "metadata": '''
        UNITS = {"unit": "mm"}

        class MinimalMapping:
            """Only what a mapping needs for a read-only view."""

            def __init__(self, data):
                self._data = data

            def __getitem__(self, key):
                return self._data[key]

            def __len__(self):
                return len(self._data)

            def __iter__(self):
                return iter(self._data)

        @DECO
        class Measured:
            length: float = field(default=0.0, metadata=UNITS)
            width: float = field(default=0.0, metadata=MinimalMapping({"unit": "cm"}))
    ''',
    # 6: a __match_args__ of the class body is kept
    "match_args": '''
        @DECO
        class OwnMatchArgs:
            a: int
            b: int = 0
            __match_args__ = ("b",)

        @DECO(match_args=False)
        class OwnMatchArgsOff:
            a: int
            __match_args__ = ("a",)
    ''',
    # 7: the user's __getstate__/__setstate__ (a copy comes back with b + 1)
    "state": '''
        @DECO
        class Stateful:
            a: int
            b: int = 0

            def __getstate__(self):
                return (self.a, self.b)

            def __setstate__(self, state):
                a, b = state
                self.a = a
                self.b = b + 1

        @DECO(frozen=True)
        class FrozenStateful:
            a: int
            b: int = 0

            def __getstate__(self):
                return (self.a, self.b)

            def __setstate__(self, state):
                a, b = state
                object.__setattr__(self, "a", a)
                object.__setattr__(self, "b", b + 1)

        @DECO(frozen=True)
        class FrozenGetsState:          # (a frozen record's __setstate__ takes the field list)
            a: int
            b: int = 0

            def __getstate__(self):
                return [self.a, self.b + 1]

        @DECO(frozen=True)
        class FrozenSetsState:          # (and its __getstate__ gives it)
            a: int
            b: int = 0

            def __setstate__(self, state):
                object.__setattr__(self, "a", state[0])
                object.__setattr__(self, "b", state[1] + 1)
    ''',
    # 8: __setattr__/__delattr__ of the class body see every write, __init__'s too
    "hooks": '''
        SEEN = []

        @DECO
        class Watched:
            a: int
            b: int = 0

            def __setattr__(self, name, value):
                SEEN.append(("set", name, value))
                object.__setattr__(self, name, value)

            def __delattr__(self, name):
                SEEN.append(("del", name))
                object.__setattr__(self, name, 0)       # "deleting" a field resets it

        @DECO
        class WatchedSuper:
            a: int

            def __setattr__(self, name, value):
                SEEN.append(("set", name, value))
                super(WatchedSuper, self).__setattr__(name, value * 10)

            def __delattr__(self, name):
                SEEN.append(("del", name))
                super(WatchedSuper, self).__delattr__(name)
    ''',
    # 11, 14: frozen records
    "frozen": '''
        @DECO(frozen=True)
        class Frozen:
            x: int

        @DECO(frozen=True)
        class FrozenPostInit:
            x: int
            doubled: int = field(init=False, default=0)

            def __post_init__(self):
                object.__setattr__(self, "doubled", self.x * 2)

        @DECO(frozen=True)
        class FrozenSelfAssign:
            x: int

            def __post_init__(self):
                self.x *= 2
    ''',
    # 12: class attributes set after the class is made
    "class_attributes": '''
        @DECO
        class Flagged:
            x: int

        @DECO
        class Counted:
            x: int

            def __post_init__(self):
                type(self).count_one()

            @classmethod
            def count_one(cls):
                cls.counter = getattr(cls, "counter", 0) + 1
    ''',
    # 13: no ordering methods without order=True
    "ordering": '''
        import functools

        @DECO
        class Unordered:
            x: int

        @functools.total_ordering
        @DECO
        class Ranked:
            x: int

            def __lt__(self, other):
                return self.x < other.x
    ''',
    # 15
    "weakref": '''
        @DECO(weakref_slot=True)
        class Weak:
            x: int
    ''',
    # 17
    "slots": '''
        @DECO(slots=True)
        class Slotted:
            x: int
    ''',
}


def _top_level_names(source: str) -> list:
    names = []
    for node in ast.parse(textwrap.dedent(source)).body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [target.id for target in node.targets if isinstance(target, ast.Name)]
    return names


TOPIC_OF = {name: topic for topic, source in TOPICS.items() for name in _top_level_names(source)}


def declaration_text(prelude: str) -> str:
    """Every topic as a guarded block of one file."""
    blocks = [prelude, "DECLARATION_ERRORS = {}\n"]
    for topic, source in TOPICS.items():
        body = textwrap.indent(textwrap.dedent(source).strip("\n"), "    ")
        blocks.append(f"try:\n{body}\nexcept Exception as exc:\n"
                      f"    DECLARATION_ERRORS[{topic!r}] = exc\n")
    return "\n".join(blocks)


def dataclass_module(name: str):
    """The declaration text run with @dataclass(slots=True) as DECO, importable for pickle."""
    module = types.ModuleType(name)
    module.DECO = slots_dataclass
    sys.modules[name] = module
    code = compile(declaration_text(DATACLASS_PRELUDE), f"<{name}>", "exec", dont_inherit=True)
    exec(code, module.__dict__)
    return module


class Declared:
    """The declared classes of one mode by attribute (``decl.Point``). A name whose topic failed
    to declare raises that topic's error."""

    def __init__(self, mode: str, module):
        self.mode = mode
        self.module = module

    def __getattr__(self, name):
        topic = TOPIC_OF[name]
        error = self.module.DECLARATION_ERRORS.get(topic)
        if error is not None:
            raise AssertionError(f"{self.mode}: declaring topic {topic!r} raised "
                                 f"{type(error).__name__}: {error}") from error
        value = getattr(self.module, name)
        if self.mode != "dataclass" and "__compact__" in getattr(value, "__dict__", {}):
            assert compactclass.is_compiled(value) == (self.mode == "compiled"), (self.mode, name)
        return value


@pytest.fixture(scope="module")
def declared(builder):
    text = declaration_text(COMPACT_PRELUDE)
    return {"compiled": Declared("compiled", builder.build(text)),
            "fallback": Declared("fallback", builder.build(text, compile=False)),
            "dataclass": Declared("dataclass", dataclass_module("parity_dataclasses"))}


@pytest.fixture(params=MODES)
def mode(request):
    return request.param


@pytest.fixture
def decl(declared, mode):
    return declared[mode]


def decorator(mode):
    """The decorator of a class declared inside a test (never compiled)."""
    return slots_dataclass if mode == "dataclass" else compact


# ------------------------------------------------------------------------------- general parity


def test_repr_eq_and_unhashable_by_default(decl):
    Point = decl.Point
    assert repr(Point(1, 2)) == "Point(x=1, y=2)"
    assert Point(1, 2) == Point(1, 2) and Point(1, 2) != Point(1, 3)
    assert Point(1, 2) != (1, 2)
    assert Point.__hash__ is None
    with pytest.raises(TypeError, match="unhashable type"):
        hash(Point(1))


def test_frozen_hash_and_order(decl):
    Version = decl.Version
    assert hash(Version(1, 2)) == hash((1, 2))
    assert Version(1, 2) < Version(1, 3) <= Version(1, 3) < Version(2)
    assert Version(2) > Version(1, 9) and Version(2) >= Version(2, 0)
    versions = [Version(1), Version(1, 5), Version(2)]
    assert sorted(reversed(versions)) == versions
    with pytest.raises(TypeError):
        Version(1) < (1, 0)


def test_unsafe_hash_and_field_flags(decl):
    Tagged = decl.Tagged
    assert hash(Tagged(1, 2.0)) == hash((1,))
    assert repr(Tagged(1, 2.0)) == "Tagged(a=1)"
    assert Tagged(1, 2.0) == Tagged(1, 3.0)


def test_fields(decl):
    described = [(f.name, f.type, f.default, f.default_factory, f.init, f.repr, f.compare,
                  f.hash, f.kw_only) for f in dataclasses.fields(decl.Options)]
    missing = dataclasses.MISSING
    assert described == [("a", int, missing, missing, True, True, True, None, False),
                         ("items", list, missing, list, True, True, True, None, False),
                         ("k", int, 9, missing, True, True, True, None, True)]
    assert dataclasses.is_dataclass(decl.Options) and dataclasses.is_dataclass(decl.Options(1))


def test_default_factory_gives_each_record_its_own_value(decl):
    first, second = decl.Options(1), decl.Options(2)
    first.items.append(5)
    assert (first.items, second.items) == ([5], [])


def test_asdict_astuple_replace(decl):
    options = decl.Options(1, [2], k=3)
    assert dataclasses.asdict(options) == {"a": 1, "items": [2], "k": 3}
    assert dataclasses.astuple(options) == (1, [2], 3)
    assert dataclasses.replace(decl.Version(1, 2), minor=5) == decl.Version(1, 5)
    assert repr(dataclasses.replace(decl.Scaled(2, 3), a=4)) == "Scaled(a=4, b=8)"


@pytest.mark.parametrize("call, expected", [
    (lambda d: d.Options(), "Options.__init__() missing 1 required positional argument: 'a'"),
    (lambda d: d.Options(1, [], 3),
     "Options.__init__() takes from 2 to 3 positional arguments but 4 were given"),
    (lambda d: d.Options(1, x=2), "Options.__init__() got an unexpected keyword argument 'x'"),
    (lambda d: d.KwOnly(1), "KwOnly.__init__() takes 1 positional argument but 2 were given"),
], ids=["missing", "too_many", "unexpected_keyword", "kw_only_class"])
def test_init_argument_errors(decl, call, expected):
    assert outcome(lambda: call(decl)) == ("TypeError", expected)


def test_kw_only_and_initvar(decl):
    assert repr(decl.KwOnly(a=1)) == "KwOnly(a=1, b=2)"
    assert repr(decl.Options(1, k=4)) == "Options(a=1, items=[], k=4)"
    assert repr(decl.Scaled(2)) == "Scaled(a=2, b=4)"
    assert repr(decl.Scaled(2, factor=5)) == "Scaled(a=2, b=10)"
    assert [f.name for f in dataclasses.fields(decl.Scaled)] == ["a", "b"]


def test_match_statement(decl):
    Point = decl.Point
    assert Point.__match_args__ == ("x", "y")
    match Point(3, 4):
        case Point(x, y=4):
            matched = x
        case _:
            matched = None
    assert matched == 3


def test_doc(decl):
    assert decl.Point.__doc__ == "A point on the grid."
    assert decl.Undocumented.__doc__ == "Undocumented(x: int, y: int = 0)"


def test_class_var_is_no_field(decl):
    assert decl.Point.dimensions == 2 and decl.Point(1).dimensions == 2
    assert [f.name for f in dataclasses.fields(decl.Point)] == ["x", "y"]


def test_class_var_given_by_field_and_slots(decl):
    record = decl.WithClassVar
    assert record.limit == 10 and record(1).limit == 10 and not hasattr(record, "bare")
    assert [f.name for f in dataclasses.fields(record)] == ["x"]
    assert record.__slots__ == ("x",) and decl.Weak.__slots__ == ("x", "__weakref__")


# -------------------------------------------------------------------------- 1: non-record bases


def test_mixin_methods_and_super(decl):
    greeted = decl.Greeted(3)
    assert isinstance(greeted, decl.Greeter)
    assert greeted.greet() == "hello x=3, greeter"
    assert repr(greeted) == "Greeted(x=3)"


def test_mixin_special_methods_reach_records_and_their_subclasses(decl):
    record = decl.MeasuredRecord(3)
    assert len(record) == 3 and record.greet() == "hello greeter"
    assert isinstance(record, decl.Sized) and repr(record) == "MeasuredRecord(x=3)"
    child = decl.MeasuredChild(4)
    assert len(child) == 4 and child.greet() == "child hello greeter"


def test_documented_a_base_with_instance_state_is_refused():
    """A slotted dataclass takes a base with slots of its own; a record's C layout is its own
    and its record base's only."""
    class Stateful:
        __slots__ = ("a",)

    @slots_dataclass
    class Twin(Stateful):
        x: int

    assert Twin(1).x == 1
    with pytest.raises(TypeError, match="multiple bases have instance lay-out conflict"):
        @compact
        class Record(Stateful):
            x: int


def test_documented_no_dict_even_from_a_base_without_slots(declared):
    """Greeter has no __slots__: the slotted dataclass gets a __dict__ from it, a record in
    either mode does not (and takes no attribute its class does not define)."""
    assert hasattr(declared["dataclass"].Greeted(3), "__dict__")
    for mode in ("compiled", "fallback"):
        greeted = declared[mode].Greeted(3)
        assert not hasattr(greeted, "__dict__"), mode
        with pytest.raises(AttributeError, match="object has no attribute 'extra'"):
            greeted.extra = 1
        assert greeted.x == 3 and repr(greeted) == "Greeted(x=3)"


def test_documented_no_plain_class_between_records():
    @compact
    class A:
        i: int

    class I(A):
        pass

    with pytest.raises(TypeError, match="I derives from compact record .*A but is not a "
                                        "compact record"):
        @compact
        class B(I):
            j: int = 0


def test_abstract_base(decl):
    with pytest.raises(TypeError, match="abstract"):
        decl.Incomplete(1)
    square = decl.Square(3)
    assert square.area() == 9 and isinstance(square, decl.Shape)


def test_protocol_base(decl):
    tile = decl.Tile(4)
    assert tile.area() == 4 and isinstance(tile, decl.HasArea)


def test_generic_base(decl):
    Box = decl.Box
    assert Box[int](2) == Box(2)
    assert repr(Box[int](2)) == "Box(size=2)"
    assert Box.__parameters__ == (decl.T,)


def test_typed_record_base_adds_nothing(decl, mode):
    marked = decl.Marked(1)
    assert (repr(marked), marked == decl.Marked(1, 0), hasattr(marked, "__dict__")) == \
        ("Marked(x=1, y=0)", True, False)
    assert isinstance(marked, compactclass.Record) and compactclass.Record.__slots__ == ()
    assert [f.name for f in dataclasses.fields(marked)] == ["x", "y"]
    if mode != "dataclass":
        array = decl.Marked.Array([marked, (2, 3)])
        assert array[1] == decl.Marked(2, 3) and array.itemsize == 16
        assert compactclass.is_compiled(decl.Marked) == (mode == "compiled")


# -------------------------------------------------------------------------- 2: two record bases


def test_two_record_bases_conflict(decl, mode):
    def declare():
        @decorator(mode)
        class Both(decl.Left, decl.Right):
            c: int

    with pytest.raises(TypeError, match="multiple bases have instance lay-out conflict"):
        declare()


# ------------------------------------------------------------------------- 3: redeclared fields


def test_redeclared_field_keeps_its_place_with_the_new_default(decl):
    Child = decl.Child
    assert [f.name for f in dataclasses.fields(Child)] == ["x", "y", "z"]
    assert repr(Child()) == "Child(x=15, y=2, z=3)"
    assert repr(Child(1, 2, 3)) == "Child(x=1, y=2, z=3)"
    assert str(inspect.signature(Child)) == "(x: int = 15, y: int = 2, z: int = 3) -> None"
    assert repr(decl.Parent()) == "Parent(x=1, y=2)"


def test_documented_redeclared_field_cannot_change_its_storage_type():
    """README: a derived record may redeclare an inherited field with a new default or flags,
    not with another type (its storage is the base's); a dataclass takes the new type."""
    def declare(deco):
        @deco
        class Measure:
            x: float = 15.0

        @deco
        class Count(Measure):
            x: int = 15

        return Count

    accepted = declare(slots_dataclass)
    assert accepted().x == 15 and dataclasses.fields(accepted)[0].type is int
    with pytest.raises(TypeError) as refused:
        declare(compact)
    assert "Count" in str(refused.value) and "'x'" in str(refused.value)


# ------------------------------------------------------------------- 4, 5: field() and metadata


@pytest.mark.parametrize("arguments", [
    dict(default=1),
    dict(default_factory=list, repr=False, compare=False),
    dict(default=0, init=False, hash=True, kw_only=True, metadata={"unit": "mm"}),
], ids=["default", "factory", "flags"])
def test_field_is_a_dataclasses_field(arguments):
    made, expected = compactclass.field(**arguments), dataclasses.field(**arguments)
    assert isinstance(made, dataclasses.Field)
    assert made.name is None
    attributes = ("name", "type", "default", "default_factory", "init", "repr", "hash",
                  "compare", "kw_only")
    assert [getattr(made, a) for a in attributes] == [getattr(expected, a) for a in attributes]
    assert dict(made.metadata) == dict(expected.metadata)


def test_dataclasses_field_in_a_declaration(decl):
    assert repr(decl.StdField()) == "StdField(y=7)"
    assert [f.default for f in dataclasses.fields(decl.StdField)] == [5, dataclasses.MISSING]


def test_metadata_is_a_live_read_only_view(decl):
    metadata = dataclasses.fields(decl.Measured)[0].metadata
    units = decl.UNITS
    units["scale"] = 2
    try:
        assert dict(metadata) == {"unit": "mm", "scale": 2}
    finally:
        del units["scale"]
    with pytest.raises(TypeError):
        metadata["unit"] = "m"


def test_metadata_of_a_minimal_mapping(decl):
    metadata = dataclasses.fields(decl.Measured)[1].metadata
    assert (metadata["unit"], len(metadata), list(metadata)) == ("cm", 1, ["unit"])


@pytest.mark.parametrize("mode", ["fallback", "dataclass"])
def test_metadata_must_be_a_mapping(mode):
    field = compactclass.field if mode == "fallback" else dataclasses.field

    def declare():
        @decorator(mode)
        class C:
            x: int = field(default=0, metadata=0)

    with pytest.raises(TypeError):
        declare()


# ---------------------------------------------------------------------------- 6: __match_args__


def test_match_args_of_the_body_are_kept(decl):
    assert decl.OwnMatchArgs.__match_args__ == ("b",)
    assert decl.OwnMatchArgsOff.__match_args__ == ("a",)
    match decl.OwnMatchArgs(1, 2):
        case decl.OwnMatchArgs(value):
            matched = value
        case _:
            matched = None
    assert matched == 2


# ----------------------------------------------------------------- 7: __getstate__/__setstate__

COPIERS = {f"pickle{protocol}": (lambda obj, p=protocol: pickle.loads(pickle.dumps(obj, p)))
           for protocol in range(pickle.HIGHEST_PROTOCOL + 1)}
COPIERS.update(copy=copy.copy, deepcopy=copy.deepcopy)


@pytest.mark.parametrize("name", ["Stateful", "FrozenStateful", "FrozenGetsState",
                                  "FrozenSetsState"])
@pytest.mark.parametrize("copier", sorted(COPIERS))
def test_user_getstate_and_setstate_are_used(decl, name, copier):
    cls = getattr(decl, name)
    copied = COPIERS[copier](cls(1, 2))
    assert type(copied) is cls
    assert repr(copied) == f"{name}(a=1, b=3)"


# ------------------------------------------------------------------- 8: __setattr__/__delattr__


def test_setattr_and_delattr_of_the_body_see_every_write(decl):
    seen = decl.SEEN
    seen.clear()
    watched = decl.Watched(1, 2)
    watched.a = 5
    del watched.b
    assert seen == [("set", "a", 1), ("set", "b", 2), ("set", "a", 5), ("del", "b")]
    assert repr(watched) == "Watched(a=5, b=0)"


def test_super_setattr_and_delattr_inside_the_hooks(decl):
    seen = decl.SEEN
    seen.clear()
    watched = decl.WatchedSuper(1)
    watched.a = 2
    with pytest.raises(AttributeError):
        del watched.missing
    assert seen == [("set", "a", 1), ("set", "a", 2), ("del", "missing")]
    assert watched.a == 20


# ---------------------------------------------------------------- 9, 10: signature, annotations

SIGNATURES = {
    "Point": "(x: int, y: int = 0) -> None",
    "Options": "(a: int, items: list = <factory>, *, k: int = 9) -> None",
    "KwOnly": "(*, a: int, b: int = 2) -> None",
    "Scaled": "(a: int, factor: dataclasses.InitVar[int] = 2) -> None",
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_signature(decl, name):
    cls = getattr(decl, name)
    assert str(inspect.signature(cls)) == SIGNATURES[name]
    assert str(inspect.signature(cls.__init__)) == "(self, " + SIGNATURES[name][1:]


def test_annotations(decl):
    assert decl.Point.__annotations__ == {"x": int, "y": int, "dimensions": ClassVar[int]}
    assert decl.Child.__annotations__ == {"z": int, "x": int}


# ------------------------------------------------------------------------------- 11, 14: frozen


def test_frozen_post_init_cannot_assign(decl):
    assert outcome(lambda: decl.FrozenSelfAssign(1)) == ("FrozenInstanceError",
                                                        "cannot assign to field 'x'")


def test_frozen_post_init_may_use_object_setattr(decl):
    assert repr(decl.FrozenPostInit(3)) == "FrozenPostInit(x=3, doubled=6)"


def test_frozen_setattr_and_delattr_belong_to_the_class(decl):
    Frozen = decl.Frozen
    assert Frozen.__setattr__ is not object.__setattr__
    assert Frozen.__delattr__ is not object.__delattr__
    assert Frozen.__setattr__.__qualname__ == "Frozen.__setattr__"
    assert Frozen.__delattr__.__qualname__ == "Frozen.__delattr__"


def test_frozen_writes_raise(decl):
    frozen = decl.Frozen(1)
    assert outcome(lambda: setattr(frozen, "x", 2)) == ("FrozenInstanceError",
                                                       "cannot assign to field 'x'")
    assert outcome(lambda: delattr(frozen, "x")) == ("FrozenInstanceError",
                                                    "cannot delete field 'x'")
    assert frozen.x == 1


# ------------------------------------------------------------------------- 12: class attributes


def test_class_attribute_set_after_the_class_is_made(decl):
    Flagged = decl.Flagged
    Flagged.flag = True
    try:
        assert Flagged.flag is True and Flagged(1).flag is True
    finally:
        del Flagged.flag
    assert not hasattr(Flagged, "flag")


def test_documented_compiled_class_attributes_that_stay(declared):
    compiled = declared["compiled"].Flagged
    with pytest.raises(AttributeError, match="it is a field"):
        compiled.x = 1
    with pytest.raises(TypeError, match="cannot set '__name__'"):
        compiled.__name__ = "Other"
    assert type(compiled).__name__ == "RecordType"


def test_classmethod_in_post_init_sets_a_class_attribute(decl):
    Counted = decl.Counted
    before = getattr(Counted, "counter", 0)
    Counted(1)
    Counted(2)
    assert Counted.counter == before + 2


# --------------------------------------------------------------------------------- 13: ordering


@pytest.mark.parametrize("method", ["__lt__", "__le__", "__gt__", "__ge__", "__ne__"])
def test_no_ordering_methods_without_order(decl, method):
    assert method not in vars(decl.Unordered)


def test_unordered_records_cannot_be_ordered(decl):
    with pytest.raises(TypeError, match="'<' not supported"):
        decl.Unordered(1) < decl.Unordered(2)


def test_total_ordering_with_a_user_lt(decl):
    Ranked = decl.Ranked
    assert Ranked(1) <= Ranked(2) and Ranked(2) >= Ranked(2) and Ranked(3) > Ranked(2)
    assert not Ranked(2) <= Ranked(1)


# ----------------------------------------------------------------------------- 15: weakref_slot


def test_weakref_slot(decl):
    weak = decl.Weak(1)
    assert weak.__weakref__ is None
    ref = weakref.ref(weak)
    assert weak.__weakref__ is ref and ref() is weak


# ----------------------------------------------------------------------- 16: declaration errors


def _mutable_default(deco, field):
    @deco
    class C:
        x: list = []


def _two_kw_only_markers(deco, field):
    @deco
    class C:
        x: int
        _: dataclasses.KW_ONLY
        y: dataclasses.KW_ONLY


def _non_frozen_from_frozen(deco, field):
    @deco(frozen=True)
    class Base:
        x: int

    @deco
    class C(Base):
        y: int


def _frozen_from_non_frozen(deco, field):
    @deco
    class Base:
        x: int

    @deco(frozen=True)
    class C(Base):
        y: int


def _unsafe_hash_with_hash(deco, field):
    @deco(unsafe_hash=True)
    class C:
        x: int

        def __hash__(self):
            return 0


def _frozen_with_setattr(deco, field):
    @deco(frozen=True)
    class C:
        x: int

        def __setattr__(self, name, value):
            pass


def _class_var_factory(deco, field):
    @deco
    class C:
        x: ClassVar[int] = field(default_factory=int)


def _class_var_kw_only(deco, field):
    @deco
    class C:
        x: ClassVar[int] = field(default=1, kw_only=True)


def _init_var_factory(deco, field):
    @deco
    class C:
        x: dataclasses.InitVar[int] = field(default_factory=int)


def _frozen_through_a_plain_class(deco, field):
    @deco(frozen=True)
    class Base:
        x: int

    class Between(Base):
        pass

    @deco
    class C(Between):
        y: int = 0


def _field_without_annotation(deco, field):
    @deco
    class C:
        y: int
        x = field(default=1)


DECLARATION_ERRORS = {
    "mutable_default": (_mutable_default, ValueError,
                        "mutable default <class 'list'> for field x is not allowed: "
                        "use default_factory"),
    "two_kw_only": (_two_kw_only_markers, TypeError,
                    "'y' is KW_ONLY, but KW_ONLY has already been specified"),
    "non_frozen_from_frozen": (_non_frozen_from_frozen, TypeError,
                               "cannot inherit non-frozen dataclass from a frozen one"),
    "frozen_from_non_frozen": (_frozen_from_non_frozen, TypeError,
                               "cannot inherit frozen dataclass from a non-frozen one"),
    "unsafe_hash_with_hash": (_unsafe_hash_with_hash, TypeError,
                              "Cannot overwrite attribute __hash__ in class C"),
    "frozen_with_setattr": (_frozen_with_setattr, TypeError,
                            "Cannot overwrite attribute __setattr__ in class C"),
    "class_var_factory": (_class_var_factory, TypeError,
                          "field x cannot have a default factory"),
    "class_var_kw_only": (_class_var_kw_only, TypeError,
                          "field x is a ClassVar but specifies kw_only"),
    "init_var_factory": (_init_var_factory, TypeError, "field x cannot have a default factory"),
    "frozen_through_a_plain_class": (_frozen_through_a_plain_class, TypeError,
                                     "cannot inherit non-frozen dataclass from a frozen one"),
    "field_without_annotation": (_field_without_annotation, TypeError,
                                 "'x' is a field but has no type annotation"),
}


@pytest.mark.parametrize("mode", ["fallback", "dataclass"])
@pytest.mark.parametrize("case", sorted(DECLARATION_ERRORS))
def test_declaration_error_says_what_dataclasses_say(case, mode):
    declare, exc_type, sentence = DECLARATION_ERRORS[case]
    field = compactclass.field if mode == "fallback" else dataclasses.field
    with pytest.raises(exc_type) as raised:
        declare(decorator(mode), field)
    assert sentence in str(raised.value)


# ------------------------------------------------------------------------------------ 17: slots


def test_slots_true_is_accepted(decl):
    assert repr(decl.Slotted(1)) == "Slotted(x=1)"


def test_slots_false_is_refused_as_records_are_always_slotted():
    def declare():
        @compact(slots=False)
        class C:
            x: int

    with pytest.raises(TypeError, match="always slotted"):
        declare()
