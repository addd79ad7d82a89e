"""Object fields (str/bytes references and any other annotation) and InitVar, in both modes.

Every behaviour is checked on the compiled class and on its fallback, and against a plain
``@dataclass(slots=True)`` twin where a dataclass defines it.
"""
from __future__ import annotations

import copy
import dataclasses
import gc
import pickle
import sys
import weakref

import pytest

import compactclass
from compactclass import _records

from conftest import fallback_of

SOURCE = """\
import dataclasses
from dataclasses import InitVar
from typing import Any, Optional, Union
from compactclass import compact, field, i32, f64

@compact(order=True)
class Named:
    x: i32
    name: str
    raw: bytes = b""
    note: Optional[str] = None

@compact(unsafe_hash=True)
class Bag:
    x: i32
    items: list = field(default_factory=list)
    anything: Any = None
    maybe: Optional[dict] = None
    either: Union[int, str] = 0

@compact(order=True)
class Ordered:
    key: object
    value: f64 = 0.0

class Base:
    pass

@compact
class Holder:
    who: Base
    tags: 'list[str]' = field(default_factory=list)

@compact(frozen=True)
class FrozenRef:
    name: str
    items: tuple = ()

@compact
class Scaled:
    x: i32
    scale: InitVar[int] = 1
    y: i32 = 0

    def __post_init__(self, scale):
        self.x *= scale
        self.y *= scale

@compact(frozen=True)
class FrozenInit:
    x: i32
    k: InitVar[int]

    def __post_init__(self, k):
        object.__setattr__(self, "x", self.x + k)

@compact
class DerivedInit(Scaled):
    z: i32 = 0
    offset: InitVar[int] = field(default=0, kw_only=True)

    def __post_init__(self, scale, offset):
        super().__post_init__(scale)
        self.z += offset

@compact
class NoPostInit:
    x: i32
    ignored: InitVar[str] = "a"
"""

NAMES = ("Named", "Bag", "Ordered", "Holder", "FrozenRef", "Scaled", "FrozenInit",
         "DerivedInit", "NoPostInit")


@pytest.fixture(scope="module")
def module(builder):
    built = builder.build(SOURCE, name="object_fields")
    assert all(compactclass.is_compiled(getattr(built, n)) for n in NAMES)
    return built


@pytest.fixture(params=["compiled", "fallback"])
def m(request, module):
    pick = (lambda c: c) if request.param == "compiled" else fallback_of
    return type("Mode", (), {"compiled": request.param == "compiled", "Base": module.Base,
                             **{n: pick(getattr(module, n)) for n in NAMES}})


# --------------------------------------------------------------------------- str and bytes

def test_str_and_bytes_fields_hold_the_values(m):
    n = m.Named(1, "abc", b"\x00z")
    assert (n.x, n.name, n.raw, n.note) == (1, "abc", b"\x00z", None)
    n.name, n.note = "é" * 100, "n"
    assert (n.name, n.note) == ("é" * 100, "n")
    n.note = None
    assert n.note is None
    assert repr(n) == "Named(x=1, name='" + "é" * 100 + "', raw=b'\\x00z', note=None)"


def test_a_compiled_record_of_str_and_bytes_is_not_tracked_by_the_gc(module):
    # (a pure-Python class with slots always is: the fallback cannot be untracked)
    n = module.Named(1, "abc")
    assert not gc.is_tracked(n)
    # from the arena, at the size of the header and the inline fields
    assert sys.getsizeof(n) == 16 + 3 * 8 + 8
    assert _records.arena_stats(module.Named)["live_blocks"] >= 1


def test_str_and_bytes_subclasses_are_stored_as_plain_values(m):
    class S(str):
        pass

    class B(bytes):
        pass

    n = m.Named(1, S("a"), B(b"b"), S("c"))
    assert (type(n.name), type(n.raw), type(n.note)) == (str, bytes, str)
    assert (n.name, n.raw, n.note) == ("a", b"b", "c")


def test_equality_ordering_and_hash_follow_the_values(m):
    a, b = m.Named(1, "a"), m.Named(1, "b")
    assert a < b and b > a and a != b and a == m.Named(1, "a")
    assert m.Named(1, "a", b"x") > m.Named(1, "a", b"")
    # None against a str: Python's own error, as a dataclass's tuple comparison gives
    with pytest.raises(TypeError, match="'<' not supported between instances of 'NoneType' "
                                        "and 'str'"):
        m.Named(1, "a") < m.Named(1, "a", note="n")
    assert m.Named(1, "a") != m.Named(1, "a", note="n")
    bag = m.Bag(1, [1], "x")
    with pytest.raises(TypeError, match="unhashable type: 'list'"):
        hash(bag)


def test_ordering_of_objects_is_pythons(m):
    assert m.Ordered((1, 2)) < m.Ordered((1, 3))
    assert m.Ordered(frozenset({1})) <= m.Ordered(frozenset({1, 2}))
    assert not m.Ordered(frozenset({1})) < m.Ordered(frozenset({2}))
    with pytest.raises(TypeError, match="'<' not supported between instances of 'int' and "
                                        "'str'"):
        m.Ordered(1) < m.Ordered("a")
    nan = float("nan")
    # as a dataclass's tuples compare items: the same object is equal to itself
    assert m.Ordered(nan) == m.Ordered(nan) and m.Ordered(nan) <= m.Ordered(nan)
    assert m.Ordered(nan) != m.Ordered(float("nan"))
    assert not m.Ordered(nan) <= m.Ordered(float("nan"))


# --------------------------------------------------------------------------- object fields

def test_object_fields_check_the_annotations_class(m):
    bag = m.Bag(1)
    assert (bag.items, bag.anything, bag.maybe, bag.either) == ([], None, None, 0)
    bag.anything = bag.maybe = {"k": 1}
    bag.either = "s"
    with pytest.raises(TypeError, match=r"Bag\.items: expected an instance of list"):
        bag.items = (1,)
    with pytest.raises(TypeError, match=r"Bag\.either: expected an instance of int or str"):
        bag.either = 1.5
    with pytest.raises(TypeError, match=r"Bag\.maybe: expected an instance of dict or None"):
        bag.maybe = []
    assert (bag.anything, bag.maybe, bag.either) == ({"k": 1}, {"k": 1}, "s")
    h = m.Holder(m.Base(), ["a"])
    with pytest.raises(TypeError, match=r"Holder\.who: expected an instance of Base"):
        m.Holder(object())
    assert h.tags == ["a"]


def test_object_fields_hold_the_very_object(m):
    items = [1]
    bag = m.Bag(1, items)
    assert bag.items is items
    bag.items.append(2)
    assert items == [1, 2]


def test_object_fields_make_the_record_gc_tracked_and_cycles_are_collected(m):
    class Items(list):
        pass

    bag = m.Bag(1, Items())
    assert gc.is_tracked(bag)
    assert any(r is bag.items for r in gc.get_referents(bag))
    bag.items.append(bag)
    probe = weakref.ref(bag.items)
    del bag
    gc.collect()
    assert probe() is None


def test_records_with_object_fields_have_no_arrays(m):
    with pytest.raises(TypeError, match=r"Bag\.Array: record arrays hold plain data only.*"
                                        r"items \(list\)"):
        m.Bag.Array()
    with pytest.raises(TypeError, match="Named.Array"):
        m.Named.Array.zeros(3)


def test_replacing_a_value_whose_del_reads_the_record(m):
    seen = []

    class Spy(m.Base):
        def __del__(self):
            seen.append(holder.who)

    holder = m.Holder(Spy())
    replacement = m.Base()
    holder.who = replacement
    assert seen == [replacement]


def test_references_are_counted(m):
    value = object()
    bag = m.Bag(1, anything=value)
    before = sys.getrefcount(value)
    for _ in range(100):
        bag.anything = value
        assert bag.anything is value
        copy.copy(bag)
    assert sys.getrefcount(value) == before
    del bag
    assert sys.getrefcount(value) == before - 1


def test_pickle_copy_and_dataclass_functions(m, module):
    n = m.Named(2, "nm", b"r", "note")
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        # (a fallback class is not its module's attribute: pickles go through copy's path)
        assert copy.copy(n) == n
        if m.compiled:
            assert pickle.loads(pickle.dumps(n, protocol)) == n
    bag = m.Bag(1, [[1]], {"a": 1})
    deep = copy.deepcopy(bag)
    assert deep == bag and deep.items is not bag.items and deep.items[0] is not bag.items[0]
    assert copy.copy(bag).items is bag.items
    assert dataclasses.asdict(bag) == {"x": 1, "items": [[1]], "anything": {"a": 1},
                                       "maybe": None, "either": 0}
    assert dataclasses.astuple(n) == (2, "nm", b"r", "note")
    assert dataclasses.replace(n, name="other").name == "other"
    frozen = m.FrozenRef("f", (1,))
    with pytest.raises(dataclasses.FrozenInstanceError):
        frozen.name = "g"
    assert hash(frozen) == hash(("f", (1,)))


def test_pickles_load_across_modes(module):
    compiled = module.Bag(3, [1], "a", {"k": 2}, "s")
    data = pickle.dumps(compiled)
    fallback = fallback_of(module.Bag)
    assert dataclasses.astuple(pickle.loads(data)) == dataclasses.astuple(compiled)
    fb = fallback(3, [1])
    assert fb.__reduce__()[1][2] == compiled.__reduce__()[1][2][:2] + (None, None, 0)


def test_a_pickle_with_a_wrong_value_is_refused(m):
    restore, (cls, signature, values) = m.Bag(1).__reduce__()
    with pytest.raises(TypeError, match=r"Bag\.items"):
        restore(cls, signature, (1, (1,), None, None, 0))


def test_dataclass_twin_agrees(m):
    twin = dataclasses.make_dataclass("Named", [("x", int), ("name", str),
                                                ("raw", bytes, dataclasses.field(default=b"")),
                                                ("note", object, dataclasses.field(default=None))],
                                      order=True, slots=True)
    values = [(1, "a"), (1, "b"), (0, "z", b"q"), (1, "a", b"", "n"), (1, "a", b"", "m")]
    for a in values:
        for b in values:
            for op in ("__eq__", "__lt__", "__le__", "__gt__", "__ge__"):
                try:
                    expected = getattr(twin(*a), op)(twin(*b))
                except TypeError as exc:
                    expected = type(exc)
                try:
                    got = getattr(m.Named(*a), op)(m.Named(*b))
                except TypeError as exc:
                    got = type(exc)
                assert got == expected, (a, b, op)


def test_generated_pxd_declares_typed_references(module):
    pxd = open(module.__file__.replace(".py", "_compact.pxd")).read()
    assert "cdef str name" in pxd and "cdef bytes raw" in pxd and "cdef object items" in pxd


# --------------------------------------------------------------------------- InitVar

def test_initvars_are_passed_to_post_init(m):
    assert dataclasses.astuple(m.Scaled(2, 3, 4)) == (6, 12)
    assert dataclasses.astuple(m.Scaled(2, y=5, scale=10)) == (20, 50)
    assert m.FrozenInit(1, 5).x == 6
    d = m.DerivedInit(1, 2, 3, 4, offset=5)
    assert dataclasses.astuple(d) == (2, 6, 9)
    assert m.NoPostInit(1, "zz").x == 1


def test_initvars_are_parameters_not_fields(m):
    assert [f.name for f in dataclasses.fields(m.DerivedInit)] == ["x", "y", "z"]
    assert str(__import__("inspect").signature(m.DerivedInit)).startswith(
        "(x: typing.Annotated[int, i32], scale: dataclasses.InitVar[int] = 1")
    assert m.DerivedInit.__match_args__ == ("x", "scale", "y", "z")   # as dataclasses
    assert not hasattr(m.Scaled(1), "__dict__")
    assert m.Scaled(1).scale == 1       # the default stays a class attribute, as a dataclass's


def test_initvar_errors_read_as_a_dataclass(m):
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'k'"):
        m.FrozenInit(1)
    with pytest.raises(ValueError, match="InitVar 'k' must be specified with replace()"):
        dataclasses.replace(m.FrozenInit(1, 2), x=3)
    assert dataclasses.replace(m.Scaled(2, 3), x=7, scale=1).x == 7
    with pytest.raises(TypeError, match="takes from 2 to 5 positional arguments but 6 were "
                                        "given"):
        m.DerivedInit(1, 2, 3, 4, 5)


def test_initvar_against_a_dataclass():
    @dataclasses.dataclass(slots=True)
    class Twin:
        x: int
        scale: dataclasses.InitVar[int] = 1
        y: int = 0

        def __post_init__(self, scale):
            self.x *= scale
            self.y *= scale

    assert dataclasses.astuple(Twin(2, 3, 4)) == (6, 12)
    assert [f.name for f in dataclasses.fields(Twin)] == ["x", "y"]


def test_pickles_do_not_run_post_init(module):
    s = module.Scaled(2, 3)
    assert pickle.loads(pickle.dumps(s)) == s
    assert copy.copy(s) == s


def test_hostile_bound_objects_raise_instead_of_crashing(module):
    compiled_module = sys.modules[module.__name__ + "_compact"]
    bind = compiled_module._cc_bind_objects
    from compactclass.codegen.kinds import bound_objects
    good = bound_objects([module.Bag.__compact__.spec])
    assert good, "Bag's checked object fields bind their classes"
    try:
        bind({name: 5 for name in good})
        with pytest.raises(TypeError):
            module.Bag(1, [])
        bind({name: (int,) for name in good})
        with pytest.raises(TypeError, match=r"Bag\.items"):
            module.Bag(1, [])
    finally:
        bind(good)
    assert module.Bag(1, [2]).items == [2]
