"""Compact records in both modes: the compiled class and the pure-Python fallback.

Every behaviour test runs twice (the ``rec`` fixture: the declarations of record_decls.py
compiled, and the same text imported without a build) and, where dataclasses define the
behaviour, is checked against the same declarations as plain ``@dataclass(slots=True)``
classes (the ``dc`` fixture).
"""
from __future__ import annotations

import copy
import dataclasses
import gc
import importlib
import inspect
import linecache
import math
import os
import shutil
import struct
import subprocess
import sys
import traceback
import tracemalloc
import warnings
import weakref
from decimal import Decimal
from fractions import Fraction

import pytest

import compactclass
import record_decls
from conftest import fallback_of
from record_decls import compiled, dc, pure, rec  # noqa: F401  (fixtures)


def outcome(fn):
    """What calling fn gives: ("ok", result) or (exception type, message)."""
    try:
        return "ok", fn()
    except Exception as exc:  # noqa: BLE001 - the exception is the observed behaviour
        return type(exc), str(exc)


def round_up(n, align):
    return (n + align - 1) // align * align


# --------------------------------------------------------------------------- binding


def test_import_gives_compiled_class_when_build_matches(compiled):
    assert compiled.Point.__module__ == compiled.__name__
    assert compiled.Point.__qualname__ == compiled.Point.__name__ == "Point"
    assert compactclass.is_compiled(compiled.Point)
    assert type(compiled.Point.__compact__.module).__name__ == "module"
    assert compiled.Point.__compact__.module.__name__ == compiled.__name__ + "_compact"


def test_import_without_build_gives_fallback(pure):
    assert not compactclass.is_compiled(pure.Point)
    assert pure.Point.__compact__.module is None
    assert pure.Point(1, 2) == pure.Point(1, 2, 0)


def test_is_compiled_and_layout_reject_other_classes(dc):
    for thing in (dc.Point, int, object()):
        with pytest.raises(TypeError, match="not a compact record"):
            compactclass.is_compiled(thing)
        with pytest.raises(TypeError, match="not a compact record"):
            compactclass.layout(thing)


def test_layout_of_a_record(rec):
    layout = compactclass.layout(rec.Point)
    assert layout.instance_size == 32
    assert [s.field.name for s in layout.slots] == ["x", "y", "z"]
    assert layout.spec.qualname == "Point"


def _run(code, folder, **env):
    """Run code in a fresh interpreter that imports from folder; return its output."""
    full_env = {k: v for k, v in os.environ.items() if k != "COMPACTCLASS_PURE"}
    full_env.update(PYTHONPATH=os.pathsep.join([str(folder), *sys.path]), **env)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=full_env, cwd=str(folder), timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_compactclass_pure_forces_the_fallback(compiled, builder):
    code = (f"import compactclass, {compiled.__name__} as m\n"
            f"print(compactclass.is_compiled(m.Point), repr(m.Point(1, 2)))")
    assert _run(code, builder.folder) == "True Point(x=1, y=2, z=0)"
    assert _run(code, builder.folder, COMPACTCLASS_PURE="1") == "False Point(x=1, y=2, z=0)"


def test_get_include_lists_existing_folders_with_headers():
    folders = compactclass.get_include()
    assert folders and all(os.path.isdir(f) for f in folders)
    found = {name: [f for f in folders if os.path.isfile(os.path.join(f, *name.split("/")))]
             for name in ("compactcore.h", "compactclass/_records.pxd")}
    assert all(found.values()), found


# --------------------------------------------------------------------------- stale builds

STALE_V1 = """
from compactclass import compact, field, i32, i64

@compact
class Point:
    x: i32
    y: i32 = 0
"""

STALE_EDITS = {
    "field added": ("    y: i32 = 0\n", "    y: i32 = 0\n    z: i32 = 0\n"),
    "type changed": ("    y: i32 = 0\n", "    y: i64 = 0\n"),
    "compare flag changed": ("    y: i32 = 0\n", "    y: i32 = field(default=0, compare=False)\n"),
    "option changed": ("@compact\n", "@compact(frozen=True)\n"),
    "special method added": ("    y: i32 = 0\n", "    y: i32 = 0\n\n    def __len__(self):\n"
                                                  "        return 2\n"),
}


class TestStaleBuild:
    """A build generated from another declaration is never used."""

    @pytest.fixture(scope="class")
    def stale(self, builder):
        module = builder.build(STALE_V1)
        assert compactclass.is_compiled(module.Point)
        return module.__name__, builder.folder / f"{module.__name__}.py"

    @staticmethod
    def reimport(name, path, text):
        path.write_text(text)
        shutil.rmtree(path.parent / "__pycache__", ignore_errors=True)
        importlib.invalidate_caches()
        sys.modules.pop(name, None)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            module = importlib.import_module(name)
        stale = [w for w in caught if issubclass(w.category, compactclass.StaleBuildWarning)]
        return module, stale

    @pytest.mark.parametrize("edit", sorted(STALE_EDITS))
    def test_edited_declaration_warns_and_falls_back(self, stale, edit):
        name, path = stale
        old, new = STALE_EDITS[edit]
        assert STALE_V1.count(old) == 1
        try:
            module, warned = self.reimport(name, path, STALE_V1.replace(old, new))
            assert not compactclass.is_compiled(module.Point)
            assert len(warned) == 1
            message = str(warned[0].message)
            assert f"{name}.Point" in message
            assert f"{name}_compact" in message and "different declaration" in message
            assert f"python -m compactclass build {path}`" in message
            assert warned[0].filename == str(path)   # points at the declaration
            assert module.Point(1).x == 1
        finally:
            module, warned = self.reimport(name, path, STALE_V1)
        assert compactclass.is_compiled(module.Point) and not warned

    def test_a_changed_default_needs_no_rebuild(self, stale):
        """The compiled class takes its defaults from the declaration when it is bound."""
        name, path = stale
        try:
            module, warned = self.reimport(name, path, STALE_V1.replace("    y: i32 = 0\n",
                                                                        "    y: i32 = 7\n"))
            assert compactclass.is_compiled(module.Point) and not warned
            assert module.Point(1).y == 7 and module.Point(1, y=2).y == 2
            assert repr(module.Point(x=1)) == "Point(x=1, y=7)"
        finally:
            module, warned = self.reimport(name, path, STALE_V1)
        assert module.Point(1).y == 0

    def test_record_missing_from_build_warns(self, stale):
        name, path = stale
        try:
            module, warned = self.reimport(name, path, STALE_V1.replace("class Point", "class Pt"))
            assert not compactclass.is_compiled(module.Pt)
            assert len(warned) == 1 and "has no record Pt" in str(warned[0].message)
        finally:
            self.reimport(name, path, STALE_V1)

    def test_plain_method_added_keeps_the_build(self, stale):
        name, path = stale
        text = STALE_V1 + "\n    def twice(self):\n        return 2 * self.x\n"
        try:
            module, warned = self.reimport(name, path, text)
            assert compactclass.is_compiled(module.Point) and not warned
            assert module.Point(4).twice() == 8
        finally:
            self.reimport(name, path, STALE_V1)


# --------------------------------------------------------------------------- memory (compiled)

SIZES = {"Point": 32, "Vec3": 40, "Mixed": 32, "Bytes4": 24}
SAMPLES = {"Point": (1, 2, 3), "Vec3": (1.0, 2.0, 3.0), "Mixed": (1, 2.0, 3),
           "Bytes4": (1, 2, 3, 4)}


@pytest.mark.parametrize("name", sorted(SIZES))
def test_instance_size_is_header_plus_payload(compiled, name):
    cls = getattr(compiled, name)
    obj = cls(*SAMPLES[name])
    payload = sum(f.kind.size for f in cls.__compact__.spec.fields)
    assert sys.getsizeof(obj) == round_up(16 + payload, 8) == SIZES[name]
    assert compactclass.layout(cls).instance_size == SIZES[name]


def test_compiled_instances_have_no_gc_header_and_no_dict(compiled):
    p = compiled.Point(1, 2, 3)
    assert gc.is_tracked(p) is False
    assert not type(p).__flags__ & (1 << 14)          # Py_TPFLAGS_HAVE_GC
    assert not hasattr(p, "__dict__")


def test_instances_have_no_dict_in_both_modes(rec):
    p = rec.Point(1, 2)
    with pytest.raises(AttributeError):
        p.__dict__
    with pytest.raises(TypeError):
        vars(p)
    with pytest.raises(AttributeError, match="other"):
        p.other = 1


def test_arena_live_blocks_rise_and_fall(compiled):
    from compactclass._records import arena_stats
    gc.collect()
    before = arena_stats(compiled.Point)
    assert before["block_size"] == 32
    points = [compiled.Point(i, i, i) for i in range(5000)]
    assert arena_stats(compiled.Point)["live_blocks"] == before["live_blocks"] + 5000
    del points
    assert arena_stats(compiled.Point)["live_blocks"] == before["live_blocks"]


def test_arena_is_per_exact_type(compiled):
    from compactclass._records import arena_stats
    live = {cls: arena_stats(cls)["live_blocks"] for cls in (compiled.Base, compiled.Derived)}
    derived = [compiled.Derived(i) for i in range(100)]
    assert arena_stats(compiled.Derived)["live_blocks"] == live[compiled.Derived] + 100
    assert arena_stats(compiled.Base)["live_blocks"] == live[compiled.Base]
    assert sys.getsizeof(derived[0]) == compactclass.layout(compiled.Derived).instance_size == 32
    del derived
    assert arena_stats(compiled.Derived)["live_blocks"] == live[compiled.Derived]
    assert arena_stats(dict) is None


def test_failed_construction_returns_its_block(compiled):
    from compactclass._records import arena_stats
    live = arena_stats(compiled.Point)["live_blocks"]
    for bad in [(1, 2**40), (1, "a"), (1, 2, 3.5)]:
        with pytest.raises((OverflowError, TypeError)):
            compiled.Point(*bad)
    assert arena_stats(compiled.Point)["live_blocks"] == live


def test_arena_memory_is_visible_to_tracemalloc(compiled):
    from compactclass._records import TRACEMALLOC_DOMAIN, arena_stats

    def traced_in_domain():
        snapshot = tracemalloc.take_snapshot()
        kept = snapshot.filter_traces([tracemalloc.DomainFilter(True, TRACEMALLOC_DOMAIN)])
        return sum(trace.size for trace in kept.traces)

    count, size = 50_000, 40
    gc.collect()
    was_tracing = tracemalloc.is_tracing()
    tracemalloc.start()
    try:
        traced_before = traced_in_domain()
        reserved_before = arena_stats(compiled.Vec3)["bytes_reserved"]
        records = [compiled.Vec3(i, i, i) for i in range(count)]
        grown = traced_in_domain() - traced_before
        reserved = arena_stats(compiled.Vec3)["bytes_reserved"] - reserved_before
        # (slabs acquired before tracemalloc.start() are not traced but hold records too; in
        # one-malloc-per-block mode, used under sanitizers, each block carries a list header)
        per_block = arena_stats(compiled.Vec3)["malloc_per_block"]
        upper = count * (size + 32) if per_block else count * size + 2 * 65536
        assert count * size - reserved_before <= grown <= upper
        assert grown == reserved
        del records
        assert traced_in_domain() - traced_before < count * size // 10
    finally:
        if not was_tracing:
            tracemalloc.stop()


# --------------------------------------------------------------------------- dataclass parity


def test_signature_matches_dataclass(rec, dc):
    for name in record_decls.RECORD_NAMES:
        assert str(inspect.signature(getattr(rec, name))) == \
            str(inspect.signature(getattr(dc, name))), name


BAD_CALLS = [
    ("Point", (), {}),
    ("Point", (1,), {}),
    ("Point", (1, 2, 3, 4), {}),
    ("Point", (1, 2), {"w": 3}),
    ("Point", (1, 2), {"x": 3}),
    ("Point", (), {"y": 1, "z": 2}),
    ("Options", (1, 2, 3, 4, 5), {}),
    ("Options", (), {"k": 1}),
    ("KwOnly", (1,), {}),
    ("KwOnly", (), {"b": 1}),
    ("Quiet", (1,), {}),
    ("Quiet", (), {"a": 1}),
    ("Post", (1,), {"b": 2}),
    ("OwnInit", (), {}),
    ("OwnInit", (1, 2), {}),
    ("Derived", (), {"b": 1.0}),
    ("Specials", (1, 2), {}),
]


@pytest.mark.parametrize("name, args, kwargs", BAD_CALLS)
def test_argument_errors_match_dataclass(rec, dc, name, args, kwargs):
    got = outcome(lambda: getattr(rec, name)(*args, **kwargs))
    expected = outcome(lambda: getattr(dc, name)(*args, **kwargs))
    assert expected[0] is TypeError
    assert got == expected


def test_defaults_and_default_factory(rec, dc):
    p = rec.Point(1, 2)
    assert (p.x, p.y, p.z) == (1, 2, 0)
    calls = len(sys.modules[rec.__name__].factory_calls)
    first, second = rec.Options(1), rec.Options(2)
    assert second.serial == first.serial + 1       # the factory runs once per instance
    assert len(sys.modules[rec.__name__].factory_calls) == calls + 2
    given = rec.Options(1, 77)
    assert given.serial == 77
    assert len(sys.modules[rec.__name__].factory_calls) == calls + 2   # not called when given
    assert (given.hidden, given.tagged, given.k) == (3, 0, 9)
    assert rec.KwOnly(a=1).b == 2
    assert rec.AllTypes() == rec.AllTypes(0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0, False)


class _FailingList(list):
    def append(self, item):
        raise RuntimeError("the factory failed")


def test_traceback_shows_the_generated_init_line(rec, monkeypatch):
    """Functions built with exec keep their source in linecache: a traceback through the
    generated __init__ (the fallback's, or the compiled class's binder, which runs the
    factories) shows its line."""
    monkeypatch.setattr(sys.modules[rec.__name__], "factory_calls", _FailingList())
    with pytest.raises(RuntimeError, match="the factory failed") as info:
        rec.Options(1)
    text = "".join(traceback.format_exception(info.value))
    filename = f"<compactclass generated __init__ of {rec.__name__}.Options"
    [frame] = [f for f in traceback.extract_tb(info.value.__traceback__)
               if f.filename.startswith(filename)]
    assert frame.line == "serial = __cc_factory_serial() if serial is __cc_HAS_FACTORY else serial"
    assert f'File "{frame.filename}", line {frame.lineno}, in __init__\n    {frame.line}\n' \
        in text


def test_traceback_shows_the_generated_line_of_a_value_check(pure):
    with pytest.raises(TypeError, match="Point.y") as info:
        pure.Point(1, "2")
    text = "".join(traceback.format_exception(info.value))
    assert f'File "<compactclass generated __init__ of {pure.__name__}.Point>"' in text
    assert "__cc_slots['y'].assign(__cc_self, y)" in text


def test_generated_sources_share_a_linecache_name_only_when_equal():
    from compactclass.codegen.functions import make_function
    one = make_function("f", "Same.f", [], ["return 1"], {}, "linecache_mod")
    again = make_function("f", "Same.f", [], ["return 1"], {}, "linecache_mod")
    other = make_function("f", "Same.f", [], ["return 2"], {}, "linecache_mod")
    assert one.__code__.co_filename == again.__code__.co_filename \
        == "<compactclass generated f of linecache_mod.Same>"
    assert other.__code__.co_filename == "<compactclass generated f of linecache_mod.Same-1>"
    assert linecache.getline(other.__code__.co_filename, 2) == "    return 2\n"
    linecache.checkcache()       # entries without an mtime stay
    assert linecache.getline(one.__code__.co_filename, 2) == "    return 1\n"


REPR_CASES = [
    ("Point", (1, -2, 3), {}),
    ("Vec3", (1.5, -0.0, 1e300), {}),
    ("Mixed", (255, 2.5, -3), {}),
    ("AllTypes", (-128, -2, 3, -4, 255, 6, 7, 2**64 - 1, 0.5, 1.25, True), {}),
    ("Particle", (1.0, 2.0), {"mass": 3.5}),
    ("Options", (1, 2, 3), {"tagged": 4, "k": 5}),
    ("KwOnly", (), {"a": 1}),
    ("Post", (4,), {}),
    ("Derived", (1,), {}),
    ("Specials", (3,), {}),
    ("Names", (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 1.5), {}),
]


@pytest.mark.parametrize("name, args, kwargs", REPR_CASES)
def test_repr_matches_dataclass(rec, dc, name, args, kwargs):
    assert repr(getattr(rec, name)(*args, **kwargs)) == repr(getattr(dc, name)(*args, **kwargs))


def test_repr_false_uses_object_repr(rec):
    q = rec.Quiet()
    assert repr(q).startswith(f"<{rec.__name__}.Quiet object at 0x")


def test_repr_of_a_plain_subclass_names_the_subclass(rec, dc):
    assert repr(rec.SubPoint(1, 2)) == repr(dc.SubPoint(1, 2)) == "SubPoint(x=1, y=2, z=0)"


EQ_CASES = [
    ("Point", (1, 2, 3), (1, 2, 3)),
    ("Point", (1, 2, 3), (1, 2, 4)),
    ("Mixed", (1, 2.0, 3), (1, 2.0, 3)),
    ("Mixed", (1, 2.0, 3), (2, 2.0, 3)),
    ("Options", (1, 2, 3), (1, 2, 4)),          # hidden: compare=False
    ("Options", (1, 2, 3), (1, 5, 3)),
    ("AllTypes", (1,), (1,)),
    ("Particle", (1.0, 2.0), (1.0, 2.0, 1.0)),
    ("Derived", (1, 2.0), (1, 2.5)),
]


@pytest.mark.parametrize("name, left, right", EQ_CASES)
def test_equality_matches_dataclass(rec, dc, name, left, right):
    a, b = getattr(rec, name)(*left), getattr(rec, name)(*right)
    da, db = getattr(dc, name)(*left), getattr(dc, name)(*right)
    assert (a == b, a != b, b == a) == (da == db, da != db, db == da)
    assert a == a and not a != a


def test_equality_needs_the_same_type(rec):
    p = rec.Point(1, 2, 3)
    assert p != (1, 2, 3)
    assert p != rec.SubPoint(1, 2, 3) and rec.SubPoint(1, 2, 3) != p
    assert rec.Derived(1) != rec.Base(1)
    assert p.__eq__((1, 2, 3)) is NotImplemented
    assert rec.Quiet() != rec.Quiet()                   # eq=False: identity
    q = rec.Quiet()
    assert q == q


def test_user_eq_is_kept(rec):
    assert rec.OwnEq(1) == rec.OwnEq(2) and rec.OwnEq(1) != rec.OwnEq(3)
    assert rec.OwnEq.__hash__ is None


ORDER_VALUES = [(1.0, 2.0, 1.0), (1.0, 2.0, 2.0), (1.0, 3.0, 0.0), (0.5, 9.0, 9.0),
                (1.0, 2.0, 1.0), (-1.0, -2.0, 5.0)]


def test_ordering_matches_dataclass(rec, dc):
    ops = [lambda a, b: a < b, lambda a, b: a <= b, lambda a, b: a > b, lambda a, b: a >= b]
    for left in ORDER_VALUES:
        for right in ORDER_VALUES:
            got = [op(rec.Particle(*left), rec.Particle(*right)) for op in ops]
            expected = [op(dc.Particle(*left), dc.Particle(*right)) for op in ops]
            assert got == expected, (left, right)
    records = sorted(rec.Particle(*v) for v in ORDER_VALUES)
    assert [dataclasses.astuple(r) for r in records] == sorted(ORDER_VALUES)


RANKED_VALUES = [(1, 9.0, 0), (2, 0.0, -5), (1, 9.0, 1), (0, 99.0, 7), (2, 0.0, -6)]


def test_ordering_uses_declared_order_not_storage_order(rec, dc):
    assert [s.field.name for s in compactclass.layout(rec.Ranked).slots] == ["b", "c", "a"]
    records = sorted(rec.Ranked(*v) for v in RANKED_VALUES)
    assert [dataclasses.astuple(r) for r in records] == sorted(RANKED_VALUES)
    for left in RANKED_VALUES:
        for right in RANKED_VALUES:
            assert (rec.Ranked(*left) < rec.Ranked(*right)) == \
                (dc.Ranked(*left) < dc.Ranked(*right)) == (left < right)
            assert (rec.Ranked(*left) >= rec.Ranked(*right)) == (left >= right)


def test_ordering_with_other_types_raises(rec):
    with pytest.raises(TypeError, match="not supported between instances of"):
        rec.Particle(1.0, 2.0) < (1.0, 2.0)
    with pytest.raises(TypeError):
        rec.Point(1, 2) < rec.Point(1, 3)               # order=False


@pytest.mark.parametrize("name, values", [("Particle", (1.0, 2.5)), ("UnsafeHash", (3, 4.5)),
                                          ("ExplicitHash", (3,))])
def test_hash_matches_dataclass(rec, dc, name, values):
    assert hash(getattr(rec, name)(*values)) == hash(getattr(dc, name)(*values))


def test_hashing_rules(rec, dc):
    for name in ("Point", "Options", "OwnEq", "Post"):      # eq=True, not frozen: unhashable
        assert getattr(rec, name).__hash__ is None is getattr(dc, name).__hash__
    with pytest.raises(TypeError, match="unhashable type"):
        hash(rec.Point(1, 2))
    assert hash(rec.Particle(1.0, 2.0)) == hash((1.0, 2.0, 1.0))          # frozen
    assert hash(rec.UnsafeHash(1, 2.0)) == hash(rec.UnsafeHash(1, 3.0)) == hash((1,))
    assert hash(rec.ExplicitHash(5)) == 42                               # explicit __hash__
    q = rec.Quiet()                                                      # eq=False
    assert hash(q) == object.__hash__(q)
    assert len({rec.Particle(1.0, 2.0), rec.Particle(1.0, 2.0), rec.Particle(2.0, 2.0)}) == 2


def test_frozen_records_refuse_assignment(rec, dc):
    p = rec.Particle(1.0, 2.0)
    got = outcome(lambda: setattr(p, "x", 5.0))
    assert got == outcome(lambda: setattr(dc.Particle(1.0, 2.0), "x", 5.0))
    assert got[0] is dataclasses.FrozenInstanceError
    assert outcome(lambda: delattr(p, "mass")) == \
        outcome(lambda: delattr(dc.Particle(1.0, 2.0), "mass"))
    assert (p.x, p.y, p.mass) == (1.0, 2.0, 1.0)


def test_frozen_record_with_unknown_attribute_raises_attribute_error(rec):
    # Documented difference: dataclass raises FrozenInstanceError (an AttributeError) here.
    p = rec.Particle(1.0, 2.0)
    with pytest.raises(AttributeError, match="other"):
        p.other = 1


def test_match_args_and_match_statement(rec, dc):
    for name in record_decls.RECORD_NAMES:
        cls, twin = getattr(rec, name), getattr(dc, name)
        assert getattr(cls, "__match_args__", None) == getattr(twin, "__match_args__", None), name
    assert rec.Options.__match_args__ == ("a", "serial", "hidden", "tagged")
    assert rec.KwOnly.__match_args__ == ()
    assert not hasattr(rec.Quiet, "__match_args__")

    def where(p):
        match p:
            case rec.Point(0, 0, 0):
                return "origin"
            case rec.Point(x, 0, z=0):
                return f"on x at {x}"
            case rec.Point(x=x, y=y) if x == y:
                return "diagonal"
            case rec.Mixed(a, b, c):
                return (a, b, c)
            case _:
                return "elsewhere"

    assert where(rec.Point(0, 0)) == "origin"
    assert where(rec.Point(5, 0)) == "on x at 5"
    assert where(rec.Point(3, 3, 1)) == "diagonal"
    assert where(rec.Point(1, 2)) == "elsewhere"
    assert where(rec.Mixed(1, 2.0, 3)) == (1, 2.0, 3)          # declared order, not storage

    def too_many(p):
        match p:
            case rec.Point(_, _, _, _):
                return True

    with pytest.raises(TypeError, match=r"accepts 3 positional sub-patterns \(4 given\)"):
        too_many(rec.Point(1, 2))


def test_replace(rec, dc):
    p = rec.Point(1, 2, 3)
    changed = p.__replace__(x=5)
    assert changed == rec.Point(5, 2, 3) and p == rec.Point(1, 2, 3)
    assert dataclasses.replace(p, z=9) == rec.Point(1, 2, 9)
    if hasattr(copy, "replace"):               # Python 3.13+
        assert copy.replace(p, y=7) == rec.Point(1, 7, 3)
    assert rec.Post(1).__replace__(a=3) == rec.Post(3)          # __post_init__ runs again
    assert rec.Post(3).b == 30
    for target, twin, changes in [(rec.Post(1), dc.Post(1), {"b": 3}),
                                  (rec.Point(1, 2), dc.Point(1, 2), {"w": 3})]:
        got = outcome(lambda: dataclasses.replace(target, **changes))
        assert got[0] in (ValueError, TypeError)
        assert got == outcome(lambda: dataclasses.replace(twin, **changes))
    with pytest.raises(OverflowError, match="Point.x"):
        dataclasses.replace(rec.Point(1, 2), x=2**40)
    frozen = rec.Particle(1.0, 2.0)
    assert frozen.__replace__(mass=2.0) == rec.Particle(1.0, 2.0, 2.0)


FIELD_ATTRIBUTES = ("name", "type", "default", "init", "repr", "hash", "compare", "metadata",
                    "kw_only")


def _field_description(f):
    # (the factories are functions of different modules: compare their names)
    factory = getattr(f.default_factory, "__qualname__", f.default_factory)
    return (*(getattr(f, a) for a in FIELD_ATTRIBUTES), factory)


def test_dataclasses_fields_match(rec, dc):
    for name in record_decls.RECORD_NAMES:
        cls, twin = getattr(rec, name), getattr(dc, name)
        for subject in (cls, twin):
            assert dataclasses.is_dataclass(subject)
        got = [_field_description(f) for f in dataclasses.fields(cls)]
        assert got == [_field_description(f) for f in dataclasses.fields(twin)], name
    assert dataclasses.fields(rec.Options)[3].metadata["unit"] == "mm"
    assert [f.name for f in dataclasses.fields(rec.Derived(1))] == ["a", "b"]


def test_asdict_astuple_is_dataclass_on_instances(rec, dc):
    cases = [("Mixed", (7, 2.5, -3)), ("Derived", (1, 2.0)), ("AllTypes", (1, 2, 3)),
             ("Options", (1, 2, 3)), ("Names", (1, 2))]
    for name, values in cases:
        obj, twin = getattr(rec, name)(*values), getattr(dc, name)(*values)
        assert dataclasses.is_dataclass(obj)
        assert dataclasses.asdict(obj) == dataclasses.asdict(twin)
        assert list(dataclasses.asdict(obj)) == list(dataclasses.asdict(twin))   # declared order
        assert dataclasses.astuple(obj) == dataclasses.astuple(twin)
    assert dataclasses.astuple(rec.Mixed(7, 2.5, -3)) == (7, 2.5, -3)
    assert not dataclasses.is_dataclass(object())


def test_docstrings(rec, dc):
    assert rec.Point.__doc__ == dc.Point.__doc__ == "A point on the grid."
    annotation = "Annotated[float, f64]"      # (3.12 and later print it without "typing.")
    if sys.version_info < (3, 12):
        annotation = "typing." + annotation
    assert rec.Vec3.__doc__ == f"Vec3(x: {annotation}, y: {annotation}, z: {annotation})" \
        == dc.Vec3.__doc__


def test_weakref_slot(rec, dc):
    w = rec.Weak(1)
    ref = weakref.ref(w)
    assert ref() is w
    del w
    gc.collect()
    assert ref() is None
    for cls in (rec.Point, dc.Point):
        with pytest.raises(TypeError, match="cannot create weak reference"):
            weakref.ref(cls(1, 2))


def test_weakref_slot_size(compiled):
    assert sys.getsizeof(compiled.Weak(1)) == 32          # 16 + 8 (weakref list) + 4, padded


# --------------------------------------------------------------------------- value checks

INT_FIELDS = [("a8", -2**7, 2**7 - 1, "i8"), ("a16", -2**15, 2**15 - 1, "i16"),
              ("a32", -2**31, 2**31 - 1, "i32"), ("a64", -2**63, 2**63 - 1, "i64"),
              ("b8", 0, 2**8 - 1, "u8"), ("b16", 0, 2**16 - 1, "u16"),
              ("b32", 0, 2**32 - 1, "u32"), ("b64", 0, 2**64 - 1, "u64")]


@pytest.mark.parametrize("name, lo, hi, ctype", INT_FIELDS)
def test_integer_fields_at_their_boundaries(rec, name, lo, hi, ctype):
    for value in (lo, hi, lo + 1, hi - 1):
        assert getattr(rec.AllTypes(**{name: value}), name) == value
        record = rec.AllTypes()
        setattr(record, name, value)
        assert getattr(record, name) == value
    record = rec.AllTypes(**{name: 5})
    for value in (lo - 1, hi + 1, lo - 2**70, hi + 2**70):
        with pytest.raises(OverflowError) as exc:
            setattr(record, name, value)
        assert str(exc.value).startswith(f"AllTypes.{name}: {value} is out of range for {ctype}")
        assert str(exc.value).endswith(f"[{lo}, {hi}]")
        assert getattr(record, name) == 5               # a failed assignment keeps the value
        with pytest.raises(OverflowError, match=f"AllTypes.{name}: "):
            rec.AllTypes(**{name: value})


@pytest.mark.parametrize("name, lo, hi, ctype", INT_FIELDS)
def test_integer_fields_refuse_other_types(rec, name, lo, hi, ctype):
    record = rec.AllTypes(**{name: 5})
    for value in (1.0, 2.5, "3", None, b"1", Decimal(1), Fraction(1, 2), [1], complex(1, 0)):
        with pytest.raises(TypeError) as exc:
            setattr(record, name, value)
        assert str(exc.value).startswith(f"AllTypes.{name}: expected an integer ({ctype}), got "
                                         f"{type(value).__name__}")
        assert getattr(record, name) == 5
    record = rec.AllTypes()
    setattr(record, name, True)                  # bool is an int: accepted, stored as int
    assert getattr(record, name) == 1 and type(getattr(record, name)) is int


class Index:
    """Not an int, but has __index__ (like NumPy integers)."""

    def __init__(self, value):
        self.value = value

    def __index__(self):
        return self.value


def test_integer_fields_take_index_objects(rec):
    record = rec.AllTypes(a32=Index(7), b64=Index(2**64 - 1))
    assert (record.a32, record.b64) == (7, 2**64 - 1)
    with pytest.raises(OverflowError, match="AllTypes.b8"):
        record.b8 = Index(256)


def f32(value):
    return struct.unpack("f", struct.pack("f", value))[0]


def test_f32_rounds_like_c(rec):
    record = rec.AllTypes()
    for value in (0.1, 1 / 3, -2.5e-38, 1e-45, 3.4028235e38, -3.4028235e38, 16777217, 2**100,
                  math.pi):
        record.f = value
        assert record.f == f32(value), value
        assert rec.AllTypes(f=value).f == f32(value)
    for value in (float("inf"), float("-inf")):
        record.f = value
        assert record.f == value
    record.f = float("nan")
    assert math.isnan(record.f)


def test_f32_refuses_finite_values_beyond_its_range(rec):
    record = rec.AllTypes(f=1.5)
    for value in (3.5e38, -3.5e38, 1e39, 1e300, 10**39):
        with pytest.raises(OverflowError, match=r"^AllTypes.f: .* is out of range for f32$"):
            record.f = value
        with pytest.raises(OverflowError, match="AllTypes.f"):
            rec.AllTypes(f=value)
    assert record.f == 1.5


def test_f64_fields(rec):
    record = rec.AllTypes()
    for value, stored in [(1, 1.0), (True, 1.0), (2**60, float(2**60)), (Fraction(1, 4), 0.25),
                          (Decimal("2.5"), 2.5), (Index(3), 3.0), (-0.0, -0.0), (1e308, 1e308)]:
        record.d = value
        assert record.d == stored and type(record.d) is float
    assert math.copysign(1.0, rec.AllTypes(d=-0.0).d) == -1.0
    with pytest.raises(OverflowError, match="^AllTypes.d: "):
        record.d = 10**400
    for value in ("1.0", None, b"1", [1.0], complex(1, 1)):
        with pytest.raises(TypeError, match=r"^AllTypes.d: expected a real number \(f64\), got "):
            record.d = value
    assert record.d == 1e308


def test_bool_fields_take_true_and_false_only(rec):
    record = rec.AllTypes()
    record.flag = True
    assert record.flag is True
    record.flag = False
    assert record.flag is False
    for value in (1, 0, None, "yes", 1.0):
        with pytest.raises(TypeError, match=r"^AllTypes.flag: expected a bool \(bool\), got "):
            record.flag = value
        with pytest.raises(TypeError, match="AllTypes.flag"):
            rec.AllTypes(flag=value)
    assert record.flag is False


def test_checks_hold_for_every_way_in(rec):
    record = rec.AllTypes()
    name = "".join(["a", "32"])                  # not the interned name (getattr keeps it so)
    setattr(record, name, 4)
    assert getattr(record, name) == 4 == record.a32
    with pytest.raises(OverflowError, match="AllTypes.a32"):
        setattr(record, name, 2**31)
    p = rec.Point(4, 2, 3)
    with pytest.raises(TypeError, match="Point.y"):
        rec.Point(1, "2")
    with pytest.raises(TypeError, match="Point.z"):
        rec.Point(1, 2, z=3.0)
    with pytest.raises(OverflowError, match="Point.z"):
        p.total = 2**40                          # a property setter goes through the checks
    with pytest.raises(OverflowError, match="Point.y"):
        p.__replace__(y=-2**31 - 1)
    with pytest.raises(OverflowError, match="Point.x"):
        rec.SubPoint(2**31, 0)
    assert (p.x, p.y, p.z) == (4, 2, 3)


def test_fields_cannot_be_deleted(rec):
    p = rec.Point(1, 2, 3)
    with pytest.raises(AttributeError, match="^Point.x: cannot delete a field"):
        del p.x
    assert p.x == 1


def test_float_fields_store_floats(rec, dc):
    # Documented difference: a dataclass keeps the int it was given; a compact record converts.
    assert repr(rec.Vec3(1, 2, 3)) == "Vec3(x=1.0, y=2.0, z=3.0)"
    assert repr(dc.Vec3(1, 2, 3)) == "Vec3(x=1, y=2, z=3)"


def test_nan_fields_are_never_equal(rec):
    # Documented difference: a dataclass compares field tuples, where identity makes p == p.
    p = rec.Vec3(float("nan"), 0.0, 0.0)
    assert p != p and p != rec.Vec3(float("nan"), 0.0, 0.0)


def test_cpython_messages_name_a_compiled_class_with_its_module(compiled, pure):
    # Documented difference: a compiled record is a static type, whose name CPython's own
    # messages print with the module ("decl_0.Point"); a fallback or dataclass prints "Point".
    for module in (compiled, pure):
        prefix = f"{module.__name__}." if module is compiled else ""
        with pytest.raises(TypeError, match=f"^unhashable type: '{prefix}Point'$"):
            hash(module.Point(1, 2))
        with pytest.raises(AttributeError, match=f"^'{prefix}Point' object has no attribute 'w'$"):
            module.Point(1, 2).w
    assert compiled.Point.__name__ == compiled.Point.__qualname__ == "Point"


def test_unset_fields_are_zero(rec, dc):
    # Documented difference: C fields always hold a value. Where a dataclass leaves a field
    # unset (init=False, or an __init__ that does not set it), a compact record holds zero.
    q = rec.Quiet()
    assert (q.a, q.b) == (0, 0.0)
    assert rec.OwnInit(3).b == 0
    with pytest.raises(AttributeError):
        dc.OwnInit(3).b
    with pytest.raises(AttributeError):
        dc.Quiet().a


# --------------------------------------------------------------------------- the class body


def test_methods_properties_constants(rec):
    p = rec.Point(3, 4)
    assert p.norm() == 5.0
    assert p.scaled() == (30, 40, 0)           # module globals: helper() and SCALE
    assert p.total == 7
    p.total = 10
    assert p.z == 3 and p.total == 10
    assert rec.Point.origin() == rec.Point(0, 0, 0)
    assert type(rec.SubPoint.origin()) is rec.SubPoint
    assert rec.Point.describe_axes() == p.describe_axes() == "xyz"
    assert rec.Point.ORIGIN_NAME == p.ORIGIN_NAME == "origin"
    assert rec.Point.dimensions == 3
    assert "dimensions" not in {f.name for f in dataclasses.fields(rec.Point)}
    assert isinstance(vars(rec.Point)["total"], property)


def test_methods_see_later_changes_to_module_globals(rec):
    rec.SCALE = 100
    try:
        assert rec.Point(1, 2).scaled() == (100, 200, 0)
    finally:
        rec.SCALE = 10


def test_post_init_and_init_false_field(rec):
    post = rec.Post(4)
    assert (post.a, post.b) == (4, 40)
    assert repr(post) == "Post(a=4, b=40)"


def test_frozen_post_init_sets_fields_with_object_setattr(pure, dc):
    assert pure.FrozenPost(3).doubled == dc.FrozenPost(3).doubled == 6


@pytest.mark.parametrize("which", ["compiled", "pure", "dc"])
def test_frozen_record_object_setattr_writes_as_on_a_frozen_dataclass(which, request):
    """object.__setattr__ is a frozen dataclass's way round its __setattr__, in __post_init__
    and after it; on a record the value is checked as any other write. Plain writes raise."""
    p = request.getfixturevalue(which).FrozenPost(3)
    assert p.doubled == 6
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'doubled'"):
        p.doubled = 7
    object.__setattr__(p, "doubled", 7)
    assert p.doubled == 7
    if which != "dc":
        with pytest.raises(TypeError, match="FrozenPost.doubled"):
            object.__setattr__(p, "doubled", "seven")
        assert p.doubled == 7


def test_object_setattr_on_a_record(pure):
    p = pure.Point(1, 2)
    object.__setattr__(p, "x", 5)
    assert p.x == 5


@pytest.mark.xfail(sys.version_info < (3, 13), strict=True, raises=TypeError,
                   reason="documented: before 3.13 the compiled type's C-level tp_setattro "
                          "(attribute fast path) makes object.__setattr__ refuse it (CPython's "
                          "hackcheck: \"can't apply this __setattr__ to ... object\")")
def test_object_setattr_on_a_record_compiled(compiled):
    p = compiled.Point(1, 2)
    object.__setattr__(p, "x", 5)
    assert p.x == 5


def test_user_init(rec):
    own = rec.OwnInit(3)
    assert (own.a, own.b) == (6, 0)
    with pytest.raises(OverflowError, match="OwnInit.a"):
        rec.OwnInit(2**31)


def test_user_special_methods(rec):
    s = rec.Specials(3)
    assert str(s) == "S3" and repr(s) == "Specials(n=3)"
    assert len(s) == 3
    assert list(s) == [0, 1, 2]
    assert s[5] == 15
    assert 3 in s and 4 not in s
    assert s + rec.Specials(2) == rec.Specials(5)
    assert s(1, k=2) == ((1,), {"k": 2})
    assert bool(s) and not rec.Specials(0)
    assert -s == rec.Specials(-3)


def test_inheritance(rec):
    d = rec.Derived(1, 2.5)
    assert isinstance(d, rec.Base) and issubclass(rec.Derived, rec.Base)
    assert [f.name for f in dataclasses.fields(rec.Derived)] == ["a", "b"]
    assert repr(d) == "Derived(a=1, b=2.5)"
    assert d.describe() == "Derived/Base(a=1)"          # zero-argument super()
    assert str(d) == "base:Derived/Base(a=1)"           # inherited special method
    assert rec.Base(1).describe() == "Base(a=1)"
    with pytest.raises(OverflowError, match="Derived.a"):
        d.a = 2**31
    with pytest.raises(TypeError, match="Derived.b"):
        d.b = "x"
    assert d == rec.Derived(1, 2.5)


def test_plain_python_subclass(rec):
    s = rec.SubPoint(1, 2, 3)                       # the inherited __init__
    assert (s.x, s.y, s.z) == (1, 2, 3)
    assert s.label() == "sub1"
    s.extra = "attribute"                           # a plain subclass has a __dict__
    assert s.__dict__ == {"extra": "attribute"}
    assert isinstance(s, rec.Point)
    assert s == rec.SubPoint(1, 2, 3)
    s.x = 9
    assert s.x == 9
    with pytest.raises(TypeError, match="Point.y"):
        s.y = 1.5


def test_plain_python_subclass_does_not_use_the_arena(compiled):
    from compactclass._records import arena_stats
    live = arena_stats(compiled.Point)["live_blocks"]
    subs = [compiled.SubPoint(i, i) for i in range(200)]
    assert arena_stats(compiled.Point)["live_blocks"] == live
    assert sys.getsizeof(subs[0]) > 32 and gc.is_tracked(subs[0])
    del subs
    assert arena_stats(compiled.Point)["live_blocks"] == live
    points = [compiled.Point(i, i) for i in range(10)]
    assert arena_stats(compiled.Point)["live_blocks"] == live + 10
    del points


def test_names_that_clash_with_generated_code_and_c_macros(rec):
    names = [f.name for f in dataclasses.fields(rec.Names)]
    values = list(range(1, len(names))) + [2.5]
    record = rec.Names(*values)
    assert [getattr(record, n) for n in names] == values
    record.EOF = -1
    record.NULL = 2**31 - 1
    record.self = 7
    assert (record.EOF, record.NULL, record.self) == (-1, 2**31 - 1, 7)
    with pytest.raises(OverflowError, match="Names.errno"):
        record.errno = 2**31
    assert rec.Names(**dict(zip(names, values))) == record.__replace__(EOF=14, NULL=16, self=1)


# --------------------------------------------------------------------------- fallback_of


def test_fallback_of_a_compiled_record(compiled, pure):
    for name in record_decls.RECORD_NAMES:
        twin = fallback_of(getattr(compiled, name))
        assert not compactclass.is_compiled(twin)
        assert str(inspect.signature(twin)) == str(inspect.signature(getattr(pure, name)))
    Derived = fallback_of(compiled.Derived)
    assert Derived(1).describe() == "Derived/Base(a=1)"    # its own super() cell
    assert compiled.Derived(1).describe() == "Derived/Base(a=1)"
    Point = fallback_of(compiled.Point)
    p = Point(1, 2)
    p.total = 10
    assert repr(p) == "Point(x=1, y=2, z=7)"
    assert Point.origin() == Point(0, 0)
    with pytest.raises(OverflowError, match="Point.x"):
        p.x = 2**31
