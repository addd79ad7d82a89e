"""Hostile callers: no Python code, however odd, may crash the interpreter or read memory it does
not own (DESIGN.md section 6).

Two parts:

- **The sweep** enumerates, through the types' ``__dict__`` along the MRO (not a hand-kept list),
  every method, classmethod, staticmethod and property of the runtime's ``RecordArray``, of
  every generated record and array class and of their column and iterator types, in both modes,
  and calls each with foreign ``self``/``cls`` objects (records, arrays, columns and iterators of
  other record types, impostors whose ``__class__`` lies, ``bytearray(8)``, ``object()``,
  ``None``, an int) and a few argument lists, so every body is reached. A method added later is
  swept without a new line here. What a call must do:

  * a C-level callable or descriptor (a Cython method, slot wrapper, getset or member
    descriptor) raises TypeError, and the foreign object is left as it was: a ``def`` method
    of a ``cdef class`` called unbound runs its body on whatever it is given unless it checks
    ``self`` (Cython issue #1903);
  * a plain Python function (the fallback, the class body's own methods) may do anything but
    crash or leave the foreign object unreadable (an array whose bytes are not whole records).

- **Regression tests** for the hostile cases found in the first release: ``__new__`` overrides
  that return another object, classmethods bound to foreign classes, subclasses that bypass
  the ``RecordArray`` guard, ``__compact_array__`` overrides, impostor objects, lookalike
  classes given to the unpickler, monkeypatched module attributes, and the type-patching helpers
  of the compiled runtime (``compactclass._records``, ``_arrays``, ``_kinds``) applied to
  builtins.

Every test runs in a forked child (tests/isolation.py), so a crash is reported as a failure with
its signal and sanitizer summary and does not hide the other results; the sweep continues after
a crashed probe with the next one. ``COMPACTCLASS_HOSTILE_INPROCESS=1`` runs everything
in-process instead (to debug one failure).
"""
from __future__ import annotations

import copy
import gc
import pickle
import re
import struct
import sys
import types

import pytest

import compactclass
from compactclass import _arrays, _kinds, _records, arrays, kinds, messages, pickling
from compactclass.kinds import messages as kind_messages
from compactclass.arrays import restore_array_v1
from conftest import fallback_of
from isolation import ProbeStream, isolated

np = pytest.importorskip("numpy")

SOURCE = '''
from compactclass import compact, f64, i32, i64, u8


@compact(order=True)
class Point:
    x: i32
    y: i32
    z: i32 = 0

    def manhattan(self):                # a method of the class body (plain Python)
        return abs(self.x) + abs(self.y) + abs(self.z)

    def __len__(self):                  # a special method from the body: a trampoline
        return 3


@compact(frozen=True)
class Frozen:
    mass: f64
    flag: bool


@compact
class Base:
    a: u8


@compact
class Child(Base):                      # a compact base class in the same file
    b: i32


@compact
class Far:                              # a field x far beyond the end of a 12-byte Point item
    a: f64
    b: f64
    c: f64
    x: i64
'''

RECORDS = ("Point", "Frozen", "Base", "Child", "Far")
MODULE = "hostile_decl"


@pytest.fixture(scope="module")
def built(builder):
    module = builder.build(SOURCE, name=MODULE)
    assert compactclass.is_compiled(module.Point)
    return module


def _classes(built, compiled: bool) -> types.SimpleNamespace:
    found = {name: getattr(built, name) if compiled else fallback_of(getattr(built, name))
             for name in RECORDS}
    return types.SimpleNamespace(compiled=compiled, mode="compiled" if compiled else "fallback",
                                 generated=sys.modules[f"{MODULE}_compact"], **found)


@pytest.fixture(scope="module")
def both(built):
    return _classes(built, True), _classes(built, False)


@pytest.fixture(scope="module", params=["compiled", "fallback"])
def mode(request, built):
    return _classes(built, request.param == "compiled")


# ============================================================================ foreign objects

def _impostor_classes(c):
    """Classes whose instances claim (through a ``__class__`` property) to be a Point or a
    Point.Array, and carry their class's compactclass metadata: isinstance() believes them."""
    Point = c.Point

    class PointImpostor:
        __slots__ = ()                  # 16 bytes: reading Point's fields runs past the end
        __compact__ = Point.__compact__
        x, y, z = 1, 2, 3

        @property
        def __class__(self):
            return Point

    class ArrayImpostor:
        __slots__ = ()
        __compact_array__ = Point.Array.__compact_array__

        @property
        def __class__(self):
            return Point.Array

        def __iter__(self):
            return iter([(1, 2, 3)])

        def __len__(self):
            return 1

    return PointImpostor, ArrayImpostor


def _lookalike_class(c):
    """A plain class carrying a record's and an array's compactclass metadata."""
    class Lookalike:
        __compact__ = c.Point.__compact__
        __compact_array__ = c.Point.Array.__compact_array__
        Array = c.Point.Array
    return Lookalike


def foreign_objects(c, f) -> list:
    """(label, factory) of every object used as a foreign ``self``: c and f are the compiled and
    fallback classes. Each probe makes its own (a probe may damage it)."""
    PointImpostor, ArrayImpostor = _impostor_classes(c)
    return [
        ("Point(1, 2, 3)", lambda: c.Point(1, 2, 3)),
        ("Frozen(1.5, True)", lambda: c.Frozen(1.5, True)),
        ("Base(7)", lambda: c.Base(7)),
        ("Child(1, 2)", lambda: c.Child(1, 2)),
        ("Far(1, 2, 3, 4)", lambda: c.Far(1.0, 2.0, 3.0, 4)),
        ("Point.Array[2]", lambda: c.Point.Array([(1, 2, 3), (4, 5, 6)])),
        ("Frozen.Array[1]", lambda: c.Frozen.Array([(1.5, True)])),
        ("Frozen.Array[0]", lambda: c.Frozen.Array()),
        ("Base.Array[1]", lambda: c.Base.Array([(7,)])),
        ("Child.Array[1]", lambda: c.Child.Array([(1, 2)])),
        ("Far.Array[1]", lambda: c.Far.Array([(1.0, 2.0, 3.0, 4)])),
        ("Point.Array[2].x", lambda: c.Point.Array([(1, 2, 3), (4, 5, 6)]).x),
        ("Frozen.Array[1].mass", lambda: c.Frozen.Array([(1.5, True)]).mass),
        ("Child.Array[1].b", lambda: c.Child.Array([(1, 2)]).b),
        ("iter(Point.Array[2])", lambda: iter(c.Point.Array([(1, 2, 3), (4, 5, 6)]))),
        ("iter(Frozen.Array[1])", lambda: iter(c.Frozen.Array([(1.5, True)]))),
        ("fallback Point(1, 2, 3)", lambda: f.Point(1, 2, 3)),
        ("fallback Frozen(1.5, True)", lambda: f.Frozen(1.5, True)),
        ("fallback Point.Array[2]", lambda: f.Point.Array([(1, 2, 3), (4, 5, 6)])),
        ("fallback Frozen.Array[1]", lambda: f.Frozen.Array([(1.5, True)])),
        ("fallback Child.Array[1]", lambda: f.Child.Array([(1, 2)])),
        ("fallback Point.Array[2].x", lambda: f.Point.Array([(1, 2, 3), (4, 5, 6)]).x),
        ("fallback iter(Frozen.Array[1])", lambda: iter(f.Frozen.Array([(1.5, True)]))),
        ("PointImpostor()", PointImpostor),
        ("ArrayImpostor()", ArrayImpostor),
        ("bytearray(8)", lambda: bytearray(8)),
        ("object()", object),
        ("None", lambda: None),
        ("5", lambda: 5),
    ]


def foreign_classes(c, f) -> list:
    """(label, class) of every class used as a foreign ``cls``."""
    PointImpostor, ArrayImpostor = _impostor_classes(c)
    return [
        ("int", int), ("bytearray", bytearray), ("object", object), ("type", type),
        ("Point", c.Point), ("Frozen", c.Frozen), ("Point.Array", c.Point.Array),
        ("Frozen.Array", c.Frozen.Array), ("Far.Array", c.Far.Array),
        ("RecordArray", _arrays.RecordArray), ("RecordColumn", _arrays.RecordColumn),
        ("RecordArrayIterator", _arrays.RecordArrayIterator),
        ("fallback Point", f.Point), ("fallback Point.Array", f.Point.Array),
        ("fallback Frozen.Array", f.Frozen.Array),
        ("Lookalike", _lookalike_class(c)), ("PointImpostor", PointImpostor),
        ("ArrayImpostor", ArrayImpostor),
    ]


# What a foreign object must still look like after a call: a snapshot of everything readable
# (and a check that it can be read back: an array's bytes are whole records and unpickle equal).

def snapshot(obj):
    kind = type(obj)
    if "__compact_array__" in dir(kind) and not isinstance(obj, type) and \
            hasattr(kind, "tobytes"):
        n, data, items = len(obj), obj.tobytes(), [repr(r) for r in obj]
        if len(items) != n or len(data) != n * obj.itemsize:
            raise AssertionError(f"inconsistent array: len {n}, {len(items)} records iterated, "
                                 f"{len(data)} bytes of {obj.itemsize}-byte records")
        fn, args = obj.__reduce__()[:2]
        if fn(*args) != obj:
            raise AssertionError("the array does not read back equal from its pickle")
        return ("array", type(obj).__qualname__, n, data, items, repr(obj))
    if hasattr(kind, "tolist") and hasattr(obj, "array"):
        values = obj.tolist()
        if len(values) != len(obj.array):
            raise AssertionError(f"column of {len(values)} values for {len(obj.array)} records")
        return ("column", values, repr(obj))
    if hasattr(kind, "__compact__") and not isinstance(obj, type) and type(obj) is obj.__class__:
        fn, args = obj.__reduce_ex__(2)[:2]
        back = fn(*args)
        if repr(back) != repr(obj):
            raise AssertionError(f"the record reads back as {back!r}, not {obj!r}")
        return ("record", repr(obj))
    if isinstance(obj, types.GeneratorType) or type(obj).__name__ == "RecordArrayIterator":
        return ("iterator", [repr(r) for r in obj])
    if isinstance(obj, (bytearray, int, type(None))):
        return (type(obj).__name__, bytes(obj) if isinstance(obj, bytearray) else obj)
    return None


def _short(value, limit: int = 70) -> str:
    try:
        text = repr(value)
    except Exception as exc:                    # a repr that fails is worth knowing about
        text = f"<unrepresentable {type(value).__name__}: {type(exc).__name__}>"
    return text if len(text) <= limit else text[:limit - 3] + "..."


# ============================================================================ the sweep

# Argument lists after self/cls: enough for every method to reach its body.
ARGUMENTS = [(), (0,), (2,), ((1, 2, 3),), (0, (1, 2, 3)), ("x",), ({},), (bytes(24),)]
SET_VALUES = (0, (1, 2, 3))


def _is_python(fn) -> bool:
    return isinstance(fn, (types.FunctionType, types.MethodType))


def classify(attr):
    """(how to call it, strict) for a class attribute, or None when it is not callable: strict
    means it is C-level code, which must refuse a foreign self/cls with TypeError."""
    if isinstance(attr, type):
        return None
    if isinstance(attr, classmethod):
        return "classmethod", not _is_python(attr.__func__)
    if isinstance(attr, types.ClassMethodDescriptorType):
        return "classmethod descriptor", True
    if isinstance(attr, staticmethod):
        return "static", not _is_python(attr.__func__)
    if isinstance(attr, types.BuiltinFunctionType) and isinstance(attr.__self__, type):
        return "static", True                   # a type's __new__ (tp_new wrapper)
    if isinstance(attr, property):
        return "data", not all(_is_python(fn) for fn in (attr.fget, attr.fset, attr.fdel) if fn)
    if isinstance(attr, (types.GetSetDescriptorType, types.MemberDescriptorType)):
        return "data", True
    if callable(attr) and hasattr(attr, "__get__"):
        return "method", not _is_python(attr)
    return None


def _calls(attr, how, objects, classes):
    """(path, self label, args, call) for every way of reaching attr with a foreign self/cls."""
    if how == "method":
        for label, factory in objects:
            for args in ARGUMENTS:
                yield "unbound call", label, factory, args, \
                    lambda obj, args=args: attr(obj, *args)
                if label != "None":             # __get__(None, NoneType) is class access
                    yield "__get__ then call", label, factory, args, \
                        lambda obj, args=args: attr.__get__(obj, type(obj))(*args)
    elif how in ("classmethod", "classmethod descriptor"):
        for label, cls in classes:
            for args in ARGUMENTS:
                if how == "classmethod":
                    yield "__func__(cls)", label, None, args, \
                        lambda _, cls=cls, args=args: attr.__func__(cls, *args)
                else:
                    yield "call(cls)", label, None, args, \
                        lambda _, cls=cls, args=args: attr(cls, *args)
                yield "__get__(None, cls)", label, None, args, \
                    lambda _, cls=cls, args=args: attr.__get__(None, cls)(*args)
        if how == "classmethod":
            for label, factory in objects:
                for args in ARGUMENTS:
                    yield "__func__(object)", label, factory, args, \
                        lambda obj, args=args: attr.__func__(obj, *args)
    elif how == "static":
        fn = attr.__func__ if isinstance(attr, staticmethod) else attr
        for label, cls in classes:
            for args in ARGUMENTS:
                yield "call(cls)", label, None, args, \
                    lambda _, cls=cls, args=args: fn(cls, *args)
        for label, factory in objects:
            for args in ARGUMENTS:
                yield "call(object)", label, factory, args, \
                    lambda obj, args=args: fn(obj, *args)
    elif how == "data":
        for label, factory in objects:
            yield "__get__(obj)", label, factory, (), lambda obj: attr.__get__(obj)
            if label != "None":
                yield "__get__(obj, type)", label, factory, (), \
                    lambda obj: attr.__get__(obj, type(obj))
            for value in SET_VALUES:
                yield "__set__", label, factory, (value,), \
                    lambda obj, value=value: attr.__set__(obj, value)
            yield "__delete__", label, factory, (), lambda obj: attr.__delete__(obj)


def _probe(call, factory, expected, strict: bool, check_readable: bool):
    """Run one call on a fresh foreign object: None if it behaved, else what went wrong.
    strict: C-level code, which must raise TypeError and leave the object as it was.
    Otherwise anything but a crash goes, and check_readable says whether the object must
    still read back (records are exempt: Python lets any function delete a slot, as
    object.__delattr__ does, so a record with an unset field is ordinary Python)."""
    obj = factory() if factory is not None else None
    try:
        result = call(obj)
    except TypeError:
        outcome = None
    except Exception as exc:
        outcome = f"raised {type(exc).__name__}: {_short(str(exc), 90)}" if strict else None
    except BaseException as exc:
        return f"raised {type(exc).__name__} (not an Exception)"
    else:
        outcome = f"returned {_short(result, 160)} instead of raising TypeError" if strict else None
        del result
    if factory is not None and (strict or check_readable):
        try:
            after = snapshot(obj)
        except Exception as exc:
            return (outcome + "; and " if outcome else "") + \
                f"left the foreign object unreadable: {type(exc).__name__}: {_short(str(exc))}"
        if strict and after != expected:
            return (outcome + "; and " if outcome else "") + \
                f"changed the foreign object: {_short(after, 120)}"
    return outcome


def _targets(c, f) -> dict:
    """Every type whose methods the sweep calls, by test id."""
    targets = {"RecordArray": _arrays.RecordArray}
    for ns in (c, f):
        a = ns.Point.Array([(1, 2, 3)])
        for name in ("Point", "Frozen", "Base", "Child"):
            targets[f"{ns.mode} {name}"] = getattr(ns, name)
            targets[f"{ns.mode} {name}.Array"] = getattr(ns, name).Array
        targets[f"{ns.mode} column"] = type(a.x)                # RecordColumn when compiled
        targets[f"{ns.mode} iterator"] = type(iter(a))          # RecordArrayIterator
    return targets


TARGET_IDS = ["RecordArray"] + [f"{mode} {what}" for mode in ("compiled", "fallback") for what in
                                ("Point", "Frozen", "Base", "Child", "Point.Array",
                                 "Frozen.Array", "Base.Array", "Child.Array", "column",
                                 "iterator")]


def sweep_probes(target, targets, c, f):
    """[(group, describe, probe)] for every attribute of target and of its bases that are not
    targets themselves (object excluded: its methods accept any object by design)."""
    others = {id(t) for t in targets.values() if t is not target}
    objects, classes = foreign_objects(c, f), foreign_classes(c, f)
    expected = {}
    for label, factory in objects:
        try:
            expected[label] = snapshot(factory())
        except Exception as exc:        # the fresh object must be readable: that is a bug too
            raise AssertionError(f"a fresh {label} cannot be read: {exc!r}") from exc
    type_of = {label: type(factory()) for label, factory in objects}
    probes = []
    for owner in target.__mro__:
        if owner is object or id(owner) in others:
            continue
        for name, attr in list(vars(owner).items()):
            kind = classify(attr)
            if kind is None:
                continue
            how, strict = kind
            # foreign: not an instance (by its real type, not __class__) or subclass of owner
            foreign_objects_ = [(label, factory) for label, factory in objects
                                if not issubclass(type_of[label], owner)]
            foreign_cls = [(label, cls) for label, cls in classes if not issubclass(cls, owner)]
            for path, label, factory, args, call in _calls(attr, how, foreign_objects_,
                                                           foreign_cls):
                group = f"{owner.__qualname__}.{name} [{path}]"
                what = f"{group} with {label}, args {_short(args, 40)}"
                readable = not name.startswith("_") or name.startswith("__")
                readable = readable and (expected.get(label) or ("",))[0] == "array"
                probes.append((group, what, lambda call=call, factory=factory,
                               exp=expected.get(label), strict=strict, readable=readable:
                               _probe(call, factory, exp, strict, readable)))
    return probes


@pytest.mark.parametrize("target_id", TARGET_IDS)
def test_every_method_refuses_foreign_self_and_cls(both, target_id):
    c, f = both
    targets = _targets(c, f)
    target = targets[target_id]
    probes = sweep_probes(target, targets, c, f)
    assert probes, f"nothing to call on {target}"
    stream = ProbeStream([fn for _, _, fn in probes], groups=[g for g, _, _ in probes])
    failures = stream.run()
    if failures:
        lines = [f"{probes[i][1]}: {text}" for i, text in failures]
        groups = {probes[i][0] for i, _ in failures}
        pytest.fail(f"{len(groups)} of {len({g for g, _, _ in probes})} (attribute, way of "
                    f"calling it) pairs of {target.__qualname__} (and its non-target bases) "
                    f"misbehave with a foreign self/cls ({len(probes)} calls; after the first "
                    f"failure of a pair its other calls are skipped: {stream.skipped}):\n  " +
                    "\n  ".join(lines), pytrace=False)


def test_the_sweep_reaches_method_bodies(both):
    """The sweep's expectation is only meaningful if a correct self reaches the bodies: with
    their own self, the argument lists above make most Cython methods of RecordArray run."""
    c, _ = both
    ran = set()
    for name, attr in vars(_arrays.RecordArray).items():
        if classify(attr) != ("method", True):
            continue
        for args in ARGUMENTS:
            a = c.Point.Array([(1, 2, 3), (4, 5, 6)])
            try:
                attr(a, *args)
            except TypeError as exc:
                if re.search(r"takes (exactly|at most|at least|no) .*argument|missing .*"
                             r"argument|unexpected keyword", str(exc)):
                    continue
            except Exception:
                pass
            ran.add(name)
    assert {"append", "extend", "insert", "pop", "remove", "clear", "index", "count", "copy",
            "reverse", "reserve", "shrink_to_fit", "tobytes", "column", "__reduce__",
            "__copy__", "__deepcopy__", "__sizeof__"} <= ran


# Module-level functions: junk arguments may raise anything, never crash.
JUNK = [(), (0,), (-1,), (2 ** 64,), (None,), (bytearray(8),), (int,), (int, "x"),
        (int, "x", 1), ((5).bit_length, "x", 1), ((1, 2, 3),), ((1, 2, 3), int),
        ((1, 2, 3), bytearray), ((), None), ("Point",)]


def _module_probes(c, f):
    PointImpostor, _ = _impostor_classes(c)
    junk = JUNK + [((1, 2, 3), c.Frozen), ((1, 2, 3), PointImpostor), ((1, 2, 3), f.Point),
                   ((1.5, True), c.Point), (c.Point, "__doc__", "x"), (c.Point.Array,),
                   (c.Point, "mod.Name"), ((1, 2, 3), _lookalike_class(c))]
    probes = []
    for module in (_records, _arrays, _kinds, c.generated):
        for name, fn in sorted(vars(module).items()):
            if isinstance(fn, type) or not callable(fn) or _is_python(fn) or \
                    name.startswith("__"):
                continue
            for args in junk:
                def probe(fn=fn, args=args):
                    try:
                        fn(*args)
                    except Exception:
                        pass
                probes.append((f"{module.__name__}.{name}", f"{module.__name__}.{name}"
                               f"{_short(args, 60)}", probe))
    return probes


def test_module_functions_with_junk_arguments(both):
    """Every C-level function of the compiled runtime and of a generated module survives
    arguments of the wrong kind (classes from elsewhere, builtins, out-of-range ints)."""
    probes = _module_probes(*both)
    stream = ProbeStream([fn for _, _, fn in probes], groups=[g for g, _, _ in probes])
    failures = stream.run()
    assert not failures, "\n".join(f"{probes[i][1]}: {text}" for i, text in failures)


# ============================================================================ regression tests

def _point_bytes(*records) -> bytes:
    return b"".join(struct.pack("=3i", *r) for r in records)


def _array_with_new(mode, target_factory):
    """A Point.Array subclass whose __new__ returns what target_factory() made, and an
    instance of it made without that __new__ (through the base class's __new__)."""
    PointArray = mode.Point.Array

    class Returning(PointArray):
        target = None

        def __new__(cls, *args, **kwargs):
            return Returning.target

    instance = PointArray.__new__(Returning)
    PointArray.__init__(instance, [(1, 2, 3), (4, 5, 6), (7, 8, 9)])
    Returning.target = target_factory(mode, Returning)
    return Returning, instance


def _target_other_record(mode, cls):
    return mode.Frozen.Array([(1.5, True), (2.5, False)])


def _target_non_empty(mode, cls):
    return mode.Point.Array([(10, 20, 30), (40, 50, 60)])


def _target_own_instance(mode, cls):
    instance = mode.Point.Array.__new__(cls)
    mode.Point.Array.__init__(instance, [(10, 20, 30)])
    return instance


NEW_RETURNS = {
    "another record's array": _target_other_record,
    "an array with an exported buffer": None,            # built in the test (needs a view)
    "an existing non-empty array": _target_non_empty,
    "an existing instance of the subclass": _target_own_instance,
    "an int": lambda mode, cls: 5,
}
NEW_USES = {
    "zeros": lambda cls, inst: cls.zeros(3),
    "frombuffer": lambda cls, inst: cls.frombuffer(_point_bytes((1, 1, 1), (2, 2, 2))),
    "copy": lambda cls, inst: inst.copy(),
    "copy.copy": lambda cls, inst: copy.copy(inst),
    "a[1:3]": lambda cls, inst: inst[1:3],
    "a[::2]": lambda cls, inst: inst[::2],
    "a[2:2]": lambda cls, inst: inst[2:2],
}


def _export(mode, a):
    """A live buffer export of a (memoryview when compiled; NumPy holds the bytearray's
    export in the fallback)."""
    return memoryview(a) if mode.compiled else np.asarray(a)


def _expected_records(use, instance):
    """What NEW_USES[use] holds when it makes a fresh array of the subclass."""
    rows = [tuple(getattr(r, f) for f in ("x", "y", "z")) for r in instance]
    return {"zeros": [(0, 0, 0)] * 3, "frombuffer": [(1, 1, 1), (2, 2, 2)], "copy": rows,
            "copy.copy": rows, "a[1:3]": rows[1:3], "a[::2]": rows[::2], "a[2:2]": []}[use]


@pytest.mark.parametrize("use", NEW_USES)
@pytest.mark.parametrize("returns", NEW_RETURNS)
@isolated
def test_array_subclass_new_returning_another_object(mode, returns, use):
    """A Point.Array subclass whose __new__ returns some other object: making a new array of
    it (zeros, frombuffer, copy, slices) raises TypeError, or makes a fresh array of the
    subclass without that __new__; it never returns (or writes into) the other object."""
    if returns == "an array with an exported buffer":
        def factory(mode, cls):
            return mode.Point.Array([(10, 20, 30), (40, 50, 60)])
    else:
        factory = NEW_RETURNS[returns]
    cls, instance = _array_with_new(mode, factory)
    target = cls.target
    view = _export(mode, target) if returns == "an array with an exported buffer" else None
    before = snapshot(target)
    view_bytes = bytes(view) if view is not None else None
    instance_before = snapshot(instance)
    try:
        result = NEW_USES[use](cls, instance)
    except TypeError:
        pass
    else:
        assert result is not target, f"{use} returned {returns} (what __new__ gave)"
        assert type(result) is cls, f"{use} returned a {type(result).__name__}"
        assert [tuple(getattr(r, f) for f in ("x", "y", "z")) for r in result] == \
            _expected_records(use, instance)
    assert snapshot(target) == before, f"{returns} was changed by {use}"
    if view is not None:
        assert bytes(view) == view_bytes, "the exported buffer no longer shows the records"
    assert snapshot(instance) == instance_before


FOREIGN_CLASSMETHOD_CLASSES = ["int", "bytearray", "object", "Point", "Frozen",
                               "the other mode's Point.Array", "RecordColumn", "Lookalike",
                               "ArrayImpostor", "RecordArray"]


def _foreign_class(mode, name, built):
    return {"int": int, "bytearray": bytearray, "object": object, "Point": mode.Point,
            "Frozen": mode.Frozen,
            "the other mode's Point.Array": _classes(built, not mode.compiled).Point.Array,
            "RecordColumn": _arrays.RecordColumn, "Lookalike": _lookalike_class(mode),
            "ArrayImpostor": _impostor_classes(mode)[1], "RecordArray": _arrays.RecordArray,
            }[name]


@pytest.mark.parametrize("path", ["__func__", "__get__"])
@pytest.mark.parametrize("method, args", [("zeros", (3,)),
                                          ("frombuffer", (_point_bytes((1, 2, 3)),))])
@pytest.mark.parametrize("foreign", FOREIGN_CLASSMETHOD_CLASSES)
@isolated
def test_classmethod_bound_to_a_foreign_class(built, mode, foreign, method, args, path):
    cls = _foreign_class(mode, foreign, built)
    owner = next(k for k in mode.Point.Array.__mro__ if method in vars(k))
    attr = vars(owner)[method]
    # a classmethod (fallback) or a C classmethod descriptor (compiled, which is called with
    # the class directly: it has no __func__)
    assert isinstance(attr, (classmethod, type(vars(_arrays.RecordArray)["zeros"])))
    if issubclass(cls, owner) and cls is not _arrays.RecordArray:
        return                  # not foreign to the class that defines the method
    with pytest.raises(TypeError):
        if path == "__func__":
            getattr(attr, "__func__", attr)(cls, *args)
        else:
            attr.__get__(None, cls)(*args)


def test_record_array_itself_cannot_be_made_through_its_classmethods():
    with pytest.raises(TypeError):
        _arrays.RecordArray.zeros(3)
    with pytest.raises(TypeError):
        _arrays.RecordArray.frombuffer(b"")


def _kindless_subclasses(c):
    """Subclasses of RecordArray whose __new__ gets past the guard of RecordArray.__cinit__."""
    RecordArray = _arrays.RecordArray

    class SuperNew(RecordArray):
        def __new__(cls, *args, **kwargs):
            return super().__new__(cls)

    class SuperNewWithInfo(RecordArray):
        __compact_array__ = c.Point.Array.__compact_array__

        def __new__(cls, *args, **kwargs):
            return super().__new__(cls)

    class Plain(RecordArray):
        __compact_array__ = c.Point.Array.__compact_array__

    return {"super().__new__": (SuperNew, SuperNew),
            "super().__new__ and Point's __compact_array__": (SuperNewWithInfo,
                                                              SuperNewWithInfo),
            "RecordArray.__new__(subclass) directly": (Plain, lambda: RecordArray.__new__(Plain))}


KINDLESS_USES = {
    "len": len, "append": lambda a: a.append((1, 2, 3)), "extend": lambda a: a.extend([(1,)]),
    "insert": lambda a: a.insert(0, (1, 2, 3)), "column": lambda a: a.column("x"),
    "columns": lambda a: a.columns, "list": list, "repr": repr, "tobytes": lambda a: a.tobytes(),
    "copy": lambda a: a.copy(), "slice": lambda a: a[0:1], "index": lambda a: a[0],
    "setitem": lambda a: a.__setitem__(0, (1, 2, 3)), "contains": lambda a: (1, 2, 3) in a,
    "reserve": lambda a: a.reserve(10), "itemsize": lambda a: a.itemsize,
    "memoryview": lambda a: memoryview(a).tobytes(), "pickle": lambda a: pickle.dumps(a),
    "==": lambda a: a == a, "zeros": lambda a: type(a).zeros(2),
    "frombuffer": lambda a: type(a).frombuffer(_point_bytes((1, 2, 3))),
    "sizeof": sys.getsizeof,
}


@pytest.mark.parametrize("how", ["super().__new__", "super().__new__ and Point's __compact_array__",
                                 "RecordArray.__new__(subclass) directly"])
@isolated
def test_record_array_subclass_bypassing_the_guard(built, how):
    """RecordArray refuses to be made without a record kind; a subclass whose __new__ reaches
    RecordArray.__new__ some other way must be refused as well (TypeError when it is made) or
    give an array whose every method works or raises: never a NULL kind dereferenced."""
    c = _classes(built, True)
    cls, make = _kindless_subclasses(c)[how]
    try:
        a = make()
    except TypeError:
        return
    failures = []
    for name, use in KINDLESS_USES.items():
        try:
            use(a)
        except Exception:
            pass
        except BaseException as exc:
            failures.append(f"{name}: {type(exc).__name__}")
    assert not failures


@isolated
def test_point_array_subclass_calling_super_new_works(mode):
    class Sub(mode.Point.Array):
        def __new__(cls, *args, **kwargs):
            return super().__new__(cls)

    a = Sub([(1, 2, 3)])
    a.append((4, 5, 6))
    assert type(a) is Sub and len(a) == 2 and a[1] == mode.Point(4, 5, 6)
    assert a.x.tolist() == [1, 4]
    assert type(a.copy()) is Sub and a.copy() == a
    assert type(a[0:1]) is Sub and list(a[0:1]) == [mode.Point(1, 2, 3)]
    assert type(Sub.zeros(2)) is Sub
    restore, args = a.__reduce__()[:2]
    assert list(restore(*args)) == list(a)


# ---- __compact_array__ overridden: columns must use the C-level item layout

def _override_subclass(value):
    def make(mode):
        class Sub(mode.Point.Array):
            __compact_array__ = value(mode)
        return Sub([(1, 2, 3), (4, 5, 6)])
    return make


def _override_info_item(mode):
    mode.Point.Array.__compact_array__.item = mode.Far.Array.__compact_array__.item
    return mode.Point.Array([(1, 2, 3), (4, 5, 6)])


def _override_info_all(mode):
    info, far = mode.Point.Array.__compact_array__, mode.Far.Array.__compact_array__
    for name in ("record", "item", "header", "what"):
        setattr(info, name, getattr(far, name))
    return mode.Point.Array([(1, 2, 3), (4, 5, 6)])


OVERRIDES = {
    "subclass with Far.Array's __compact_array__":
        _override_subclass(lambda mode: mode.Far.Array.__compact_array__),
    "subclass with Frozen.Array's __compact_array__":
        _override_subclass(lambda mode: mode.Frozen.Array.__compact_array__),
    "subclass with __compact_array__ = None": _override_subclass(lambda mode: None),
    "subclass with __compact_array__ = 5": _override_subclass(lambda mode: 5),
    "Point.Array.__compact_array__.item = Far's item": _override_info_item,
    "every ArrayInfo attribute of Point.Array set to Far's": _override_info_all,
}


def _buffer_range(buffer_owner):
    """(first byte address, end address) of the records of an array's own export."""
    raw = np.frombuffer(memoryview(buffer_owner).cast("B"), dtype=np.uint8) \
        if not isinstance(buffer_owner, np.ndarray) else buffer_owner.view(np.uint8)
    start = raw.__array_interface__["data"][0]
    return start, start + raw.nbytes


@pytest.mark.parametrize("override", OVERRIDES)
@isolated
def test_compact_array_override_cannot_move_columns_out_of_bounds(mode, override):
    """A column takes its offset, size and type from the array's C-level state, never from the
    (overridable, assignable) ``__compact_array__``: each use below raises, or does what the
    array's real Point layout says, and no byte outside the array is read or written."""
    a = OVERRIDES[override](mode)
    true_x, true_bytes = [1, 4], _point_bytes((1, 2, 3), (4, 5, 6))
    assert a.tobytes() == true_bytes
    problems = []

    def check(what, fn, expect=None):
        try:
            result = fn()
        except Exception:
            return
        if expect is not None and result != expect:
            problems.append(f"{what} gave {_short(result)}, expected {expect!r}")

    check("a.x.tolist()", lambda: a.x.tolist(), true_x)
    check("a.column('x').tolist()", lambda: a.column("x").tolist(), true_x)
    check("a.x[0]", lambda: a.x[0], 1)
    check("a.x[-1]", lambda: a.x[-1], 4)
    check("a.x[:]", lambda: a.x[:], true_x)
    check("list(a.x)", lambda: list(a.x), true_x)
    check("repr(a.x)", lambda: repr(a.x))
    for name in ("a", "b", "c", "mass", "flag"):     # fields of Far and Frozen, not of Point
        try:
            value = a.column(name)[0]
        except Exception:
            pass
        else:
            problems.append(f"a.column({name!r})[0] gave {value!r}: Point has no field {name}")
    check("a.columns", lambda: sorted(a.columns), ["x", "y", "z"])
    assert a.tobytes() == true_bytes, "reading a column changed the array"
    try:
        a.x[0] = 7
    except Exception:
        assert a.tobytes() == true_bytes, "a refused column write changed the array"
    else:
        expected = _point_bytes((7, 2, 3), (4, 5, 6))
        if a.tobytes() != expected:
            problems.append(f"a.x[0] = 7 made the records {a.tobytes()!r}, not {expected!r}")
    for name in ("a", "mass"):
        before = a.tobytes()
        try:
            a.column(name)[0] = 1
        except Exception:
            pass
        else:
            problems.append(f"a.column({name!r})[0] = 1 was accepted")
        if a.tobytes() != before:
            problems.append(f"a.column({name!r})[0] = 1 changed the records")
    try:
        column_view = np.asarray(a.x)
    except Exception:
        column_view = None
    if column_view is not None:
        start, end = _buffer_range(a if mode.compiled else np.asarray(a))
        first = column_view.__array_interface__["data"][0]
        last = first + (len(column_view) - 1) * column_view.strides[0] + column_view.itemsize
        if not (start <= first and last <= end):
            problems.append(f"np.asarray(a.x) spans [{first:#x}, {last:#x}), outside the "
                            f"array's records [{start:#x}, {end:#x})")
        elif column_view.tolist() != [a[0].x, a[1].x]:
            problems.append(f"np.asarray(a.x) is {column_view.tolist()}, not the x values")
        del column_view
    assert not problems, "\n".join(problems)


# ---- impostors: objects whose __class__ says Point (or Point.Array)

IMPOSTOR_USES = {
    "append": lambda a, imp: a.append(imp),
    "a[0] = impostor": lambda a, imp: a.__setitem__(0, imp),
    "insert": lambda a, imp: a.insert(0, imp),
    "extend": lambda a, imp: a.extend([imp]),
    "a[0:1] = [impostor]": lambda a, imp: a.__setitem__(slice(0, 1), [imp]),
    "Point.Array([impostor])": lambda a, imp: type(a)([imp]),
    "a.x[0] = impostor": lambda a, imp: a.x.__setitem__(0, imp),
}


@pytest.mark.parametrize("use", IMPOSTOR_USES)
@isolated
def test_record_impostor_is_not_cast(mode, use):
    """isinstance() believes an object whose ``__class__`` property returns Point; storing it
    in an array must still be refused (TypeError) rather than reading it as a Point."""
    PointImpostor, _ = _impostor_classes(mode)
    imp = PointImpostor()
    assert isinstance(imp, mode.Point)
    a = mode.Point.Array([(1, 2, 3), (4, 5, 6)])
    before = a.tobytes()
    with pytest.raises(TypeError):
        IMPOSTOR_USES[use](a, imp)
    assert a.tobytes() == before


@isolated
def test_record_impostor_lookups_and_comparisons(mode):
    PointImpostor, _ = _impostor_classes(mode)
    imp, p = PointImpostor(), mode.Point(1, 2, 3)
    a = mode.Point.Array([(1, 2, 3)])
    assert (imp in a) is False
    assert a.count(imp) == 0
    with pytest.raises((ValueError, TypeError)):
        a.index(imp)
    with pytest.raises((ValueError, TypeError)):
        a.remove(imp)
    assert len(a) == 1
    assert (p == imp) is False and (p != imp) is True
    with pytest.raises(TypeError):
        p < imp


@pytest.mark.parametrize("method, args", [("__reduce__", ()), ("__reduce_ex__", (2,)),
                                          ("__repr__", ()), ("__eq__", ((1, 2, 3),))])
@isolated
def test_compiled_record_methods_refuse_an_impostor_self(built, method, args):
    """Point.__reduce__(impostor) must not read an impostor's memory as a Point's fields (the
    fallback's methods are Python functions: they read its attributes, as a dataclass's do)."""
    c = _classes(built, True)
    PointImpostor, _ = _impostor_classes(c)
    try:
        result = getattr(c.Point, method)(PointImpostor(), *args)
    except TypeError:
        return
    raise AssertionError(f"Point.{method}(impostor) returned {_short(result, 200)}")


ARRAY_IMPOSTOR_USES = {
    "extend": lambda a, imp: a.extend(imp),
    "+=": lambda a, imp: a.__iadd__(imp),
    "a[0:1] = impostor": lambda a, imp: a.__setitem__(slice(0, 1), imp),
    "Point.Array(impostor)": lambda a, imp: a.__init__(imp),
}


@pytest.mark.parametrize("use", ARRAY_IMPOSTOR_USES)
@isolated
def test_array_impostor_is_not_cast(mode, use):
    """An object whose ``__class__`` says Point.Array (and which iterates as one (1, 2, 3)
    record) is either refused (TypeError) or read as the iterable it is; its memory is never
    read as an array's."""
    _, ArrayImpostor = _impostor_classes(mode)
    imp = ArrayImpostor()
    assert isinstance(imp, mode.Point.Array)
    a = mode.Point.Array([(7, 8, 9)])
    before = a.tobytes()
    try:
        ARRAY_IMPOSTOR_USES[use](a, imp)
    except TypeError:
        assert a.tobytes() == before
        return
    expected = {"extend": [(7, 8, 9), (1, 2, 3)], "+=": [(7, 8, 9), (1, 2, 3)],
                "a[0:1] = impostor": [(1, 2, 3)], "Point.Array(impostor)": [(1, 2, 3)]}[use]
    assert a.tobytes() == _point_bytes(*expected)


@isolated
def test_array_impostor_comparisons(mode):
    _, ArrayImpostor = _impostor_classes(mode)
    a = mode.Point.Array([(1, 2, 3)])
    imp = ArrayImpostor()
    assert (a == imp) is False and (a != imp) is True
    assert (imp == a) is False


# ---- the unpickler given a lookalike class

def _lookalikes(mode):
    Point = mode.Point
    PointImpostor, _ = _impostor_classes(mode)

    class Plain:
        __compact__ = Point.__compact__

    class SlottedPlain:
        __slots__ = ()
        __compact__ = Point.__compact__

    class OtherRecordSubclass(mode.Frozen):
        __compact__ = Point.__compact__

    return {"plain class": Plain, "slotted plain class": SlottedPlain,
            "subclass of another record": OtherRecordSubclass, "impostor class": PointImpostor,
            "int with __compact__": type("IntLike", (int,), {"__compact__": Point.__compact__})}


@pytest.mark.parametrize("lookalike", ["plain class", "slotted plain class",
                                       "subclass of another record", "impostor class",
                                       "int with __compact__"])
@isolated
def test_restore_v1_refuses_a_lookalike_class(mode, lookalike):
    cls = _lookalikes(mode)[lookalike]
    with pytest.raises(TypeError):
        pickling.restore_v1(cls, mode.Point.__compact__.signature, (1, 2, 3))
    with pytest.raises(TypeError):
        mode.Point.__compact__.restore((1, 2, 3), cls)


@isolated
def test_generated_restore_refuses_foreign_classes(built):
    c, f = _classes(built, True), _classes(built, False)
    for cls in (c.Frozen, f.Point, int, object, _lookalike_class(c), *_impostor_classes(c)):
        with pytest.raises(TypeError):
            _records.restore_record(c.Point, (1, 2, 3), cls)
    for record in (c.Frozen.__mro__[-1], f.Point, int, _lookalike_class(c)):
        with pytest.raises(TypeError):
            _records.restore_record(record, (1, 2, 3), record)


@pytest.mark.parametrize("lookalike", ["plain class", "subclass of another record"])
@isolated
def test_restore_array_v1_with_a_lookalike_class(mode, lookalike):
    cls = _lookalikes(mode)[lookalike]
    header = mode.Point.Array.__compact_array__.header
    try:
        result = restore_array_v1(cls, header, _point_bytes((1, 2, 3)))
    except (TypeError, ValueError):
        return
    assert type(result) is mode.Point.Array and list(result) == [mode.Point(1, 2, 3)]


# ---- replaced module attributes

# Arrays the exercise below made, for the replacements that attack them.
_VICTIMS = []


class _ClearingLimit:
    """A repr limit whose comparison clears every array the exercise made: a repr that read
    the length before ``min(length, limit)`` then reads storage that is gone. ``keep`` says
    what min() ends with: the stale length (False) or this limit, an __index__ far beyond it."""

    def __init__(self, keep_limit: bool):
        self.keep_limit = keep_limit

    def _clear(self):
        for a in _VICTIMS:
            try:
                a.clear()
            except Exception:
                pass

    def __lt__(self, other):
        self._clear()
        return self.keep_limit

    def __gt__(self, other):
        self._clear()
        return not self.keep_limit

    def __index__(self):
        return 1000


def _fake_arena_addresses(c):
    return {c.Point: 1, c.Frozen: 2 ** 63 - 8, c.Base: 0}


# Runtime state that was once reachable as a module attribute and is C-level now.
NOT_PYTHON_LEVEL = frozenset({"_arenas", "_RecordArray_new", "_initialising", "_records",
                              "_record_types", "_array_kinds"})

MODULE_REPLACEMENTS = [
    # (module, attribute, what it becomes, replacement(classes))
    ("records", "_arenas", "{}", lambda c: {}),
    ("records", "_arenas", "None", lambda c: None),
    ("records", "_arenas", "fake addresses", _fake_arena_addresses),
    ("records", "_records", "{}", lambda c: {}),
    ("records", "_records", "fake addresses", _fake_arena_addresses),
    ("arrays_rt", "_RecordArray_new", "None", lambda c: None),
    ("arrays_rt", "_RecordArray_new", "object.__new__", lambda c: object.__new__),
    ("records", "_messages", "None", lambda c: None),
    ("records", "_pickling", "None", lambda c: None),
    ("records", "_pickling", "a namespace", lambda c: types.SimpleNamespace(
        restore_v1=None, reduce_subclass=lambda *a: 5)),
    ("records", "_kind_messages", "None", lambda c: None),
    ("kinds_rt", "_messages", "None", lambda c: None),
    ("kinds_rt", "_kinds_py", "None", lambda c: None),
    ("arrays_rt", "_arrays", "None", lambda c: None),
    ("arrays_rt", "_messages", "None", lambda c: None),
    ("arrays_rt", "_messages", "a namespace",
     lambda c: types.SimpleNamespace(REPR_RECORDS=-1, REPR_VALUES=2 ** 70)),
    ("arrays_rt", "_array_format", "None", lambda c: None),
    ("kinds_rt", "operator", "None", lambda c: None),
    ("arrays_rt", "_MutableSequence", "None", lambda c: None),
    ("records", "ARENA_ENABLED", "a str", lambda c: "no"),
    ("records", "TRACEMALLOC_DOMAIN", "None", lambda c: None),
    ("messages", "REPR_RECORDS", "10**30", lambda c: 10 ** 30),
    ("messages", "REPR_RECORDS", "-5", lambda c: -5),
    ("messages", "REPR_RECORDS", "a str", lambda c: "many"),
    ("messages", "REPR_RECORDS", "None", lambda c: None),
    ("messages", "REPR_VALUES", "2**63", lambda c: 2 ** 63),
    ("messages", "REPR_VALUES", "-2**63", lambda c: -(2 ** 63)),
    ("messages", "REPR_VALUES", "1.5", lambda c: 1.5),
    ("messages", "REPR_RECORDS", "clearing comparison, min keeps the length",
     lambda c: _ClearingLimit(keep_limit=False)),
    ("messages", "REPR_RECORDS", "clearing comparison, min keeps the limit",
     lambda c: _ClearingLimit(keep_limit=True)),
    ("messages", "REPR_VALUES", "clearing comparison, min keeps the length",
     lambda c: _ClearingLimit(keep_limit=False)),
    ("messages", "REPR_VALUES", "clearing comparison, min keeps the limit",
     lambda c: _ClearingLimit(keep_limit=True)),
    ("arrays", "buffer_records", "count 1-2**62",
     lambda c: lambda item, obj, where: (bytes(12), 1 - 2 ** 62)),
    ("arrays", "buffer_records", "count -1",
     lambda c: lambda item, obj, where: (bytes(12), -1)),
    ("arrays", "buffer_records", "count 2**63-1",
     lambda c: lambda item, obj, where: (bytes(12), 2 ** 63 - 1)),
    ("arrays", "buffer_records", "no bytes for 5",
     lambda c: lambda item, obj, where: (b"", 5)),
    ("arrays", "buffer_records", "not a buffer",
     lambda c: lambda item, obj, where: (object(), 1)),
    ("arrays", "buffer_records", "returns None",
     lambda c: lambda item, obj, where: None),
    ("messages", "export_error", "returns None", lambda c: lambda what: None),
    ("messages", "value_error", "returns 5", lambda c: lambda record, value: 5),
    ("arrays", "restore_array_v1", "None", lambda c: None),
    ("messages", "array_repr", "returns 5", lambda c: lambda *args: 5),
    ("messages", "column_repr", "returns None", lambda c: lambda *args: None),
    ("kinds", "kind_named", "returns None", lambda c: lambda name: None),
    ("kinds", "kind_named", "returns a lookalike",
     lambda c: lambda name: types.SimpleNamespace(_as_double=lambda *a: "x", min=0, max="?")),
    ("kind_messages", "type_error", "returns None", lambda c: lambda *args: None),
    ("kind_messages", "range_error", "returns 0", lambda c: lambda *args: 0),
    ("kind_messages", "delete_error", "returns None", lambda c: lambda *args: None),
    ("messages", "frozen_setter", "returns None", lambda c: lambda *a: None),
    ("generated", "_cc_Point_binder", "()", lambda c: lambda *a, **k: ()),
    ("generated", "_cc_Point_binder", "(1,)", lambda c: lambda *a, **k: (1,)),
    ("generated", "_cc_Point_binder", "(1, 2)", lambda c: lambda *a, **k: (1, 2)),
    ("generated", "_cc_Point_binder", "(1, 2, 3, 4)", lambda c: lambda *a, **k: (1, 2, 3, 4)),
    ("generated", "_cc_Point_binder", "a list", lambda c: lambda *a, **k: [1, 2, 3]),
    ("generated", "_cc_Point_binder", "wrong types", lambda c: lambda *a, **k: ("x", None, 3)),
    ("generated", "_cc_Point_binder", "None", lambda c: None),
    ("generated", "_cc_Frozen_binder", "()", lambda c: lambda *a, **k: ()),
    ("generated", "_cc_Child_binder", "(1,)", lambda c: lambda *a, **k: (1,)),
    ("generated", "_cc_Point_user", "{}", lambda c: {}),
    ("generated", "_cc_Point_user", "None", lambda c: None),
    ("generated", "_cc_Point_user", "__len__ -1", lambda c: {"__len__": lambda self: -1}),
    ("generated", "_cc_Point_user", "__len__ 5", lambda c: {"__len__": 5}),
    ("generated", "Point", "Frozen", lambda c: c.Frozen),
    ("generated", "PointArray", "Frozen.Array", lambda c: c.Frozen.Array),
    ("generated", "_cc_import_declaration", "None", lambda c: None),
]


def _exercise(c) -> list:
    """Use records, arrays and columns every way the replaced attributes could matter. Each
    step may raise; what it must not do is crash. Returns what the steps made (to be read back
    once the attribute is restored)."""
    made = []
    Point, Frozen, Child = c.Point, c.Frozen, c.Child

    def step(fn):
        try:
            result = fn()
        except Exception:
            return None
        made.append(result)
        if hasattr(type(result), "__compact_array__"):
            _VICTIMS.append(result)
        return result

    p = step(lambda: Point(1, 2, 3))
    for call in (lambda: Point(1, 2), lambda: Point(x=1, y=2, z=3), lambda: Point(1, 2, z=3),
                 lambda: Point(), lambda: Point(1, 2, 3, 4), lambda: Point(1, y=2, w=3),
                 lambda: Frozen(1.5, True), lambda: Frozen(mass=1.5, flag=True),
                 lambda: Frozen(), lambda: Child(1, 2), lambda: Child(a=1, b=2), lambda: Child()):
        step(call)
    if p is not None:
        step(lambda: Point.__init__(p, 4, 5, 6))
        step(lambda: Point.__init__(p, x=4, y=5))
        for fn in (repr, hash, len, bool, lambda r: r == Point(4, 5, 6), lambda r: r < p,
                   lambda r: pickle.loads(pickle.dumps(r)), copy.copy, copy.deepcopy,
                   lambda r: r.manhattan(), lambda r: setattr(r, "x", 9)):
            step(lambda fn=fn: fn(p))
    fr = step(lambda: Frozen(2.5, False))
    if fr is not None:
        step(lambda: setattr(fr, "mass", 3.5))
        step(lambda: pickle.loads(pickle.dumps(fr)))
        step(lambda: hash(fr))
    a = step(lambda: Point.Array([(1, 2, 3), (4, 5, 6)]))
    if a is not None:
        for fn in (repr, lambda a: repr(a.x), lambda a: a.append((7, 8, 9)),
                   lambda a: a.extend([(1, 1, 1)]), lambda a: a[0], lambda a: a[0:2],
                   lambda a: a.x.tolist(), lambda a: a.copy(),
                   lambda a: pickle.loads(pickle.dumps(a)), lambda a: np.asarray(a).tolist(),
                   lambda a: np.asarray(a.x).tolist(), lambda a: a.index((4, 5, 6)),
                   lambda a: a.__setitem__(0, p), lambda a: a.columns, lambda a: a.record,
                   lambda a: type(a).frombuffer(a.tobytes()), lambda a: type(a).zeros(2)):
            step(lambda fn=fn: fn(a))
    step(lambda: Point.Array.zeros(3))
    step(lambda: Point.Array.frombuffer(_point_bytes((1, 2, 3))))
    step(lambda: Frozen.Array([(1.0, True)]))
    step(lambda: Child.Array([(1, 2)]))
    r = step(_arrays.RecordArray)
    if r is not None:
        for fn in (len, list, repr, lambda r: r.append((1, 2, 3)), lambda r: r.column("x"),
                   lambda r: r.tobytes(), lambda r: r.copy(), lambda r: r[0:1]):
            step(lambda fn=fn: fn(r))
    for cls in (Point, Frozen, Child, int):
        step(lambda cls=cls: _records.arena_stats(cls))
    step(_records.arena_types)
    step(lambda: pickling.restore_v1(Point, Point.__compact__.signature, (1, 2, 3)))
    gc.collect(0)       # (a full collection in a forked child copies the whole heap)
    return made


def _read_back(made):
    """Everything made while an attribute was replaced reads back once it is restored."""
    for obj in made:
        try:
            snapshot(obj)
        except Exception as exc:
            raise AssertionError(f"{_short(obj)} cannot be read back: {exc!r}") from None


def _module_for(c, which):
    return {"records": _records, "arrays_rt": _arrays, "kinds_rt": _kinds, "arrays": arrays,
            "messages": messages, "kinds": kinds, "kind_messages": kind_messages,
            "generated": c.generated}[which]


@pytest.mark.parametrize("which, name, label, replacement", MODULE_REPLACEMENTS,
                         ids=[f"{w}.{n}={label}" for w, n, label, _ in MODULE_REPLACEMENTS])
@isolated
def test_replaced_module_attribute(built, monkeypatch, which, name, label, replacement):
    """Replacing a module-level name of the runtime, of the Python modules it calls or of a
    generated module may make operations fail, never crash: nothing C-level trusts them."""
    for compiled in (True, False):
        c = _classes(built, compiled)
        module = _module_for(c, which)
        if which in ("records", "arrays_rt") and name in NOT_PYTHON_LEVEL:
            # C-level state (or gone): the name Python code can bind changes nothing
            assert not hasattr(module, name), f"{module.__name__}.{name} is Python-level again"
        else:
            assert hasattr(module, name), f"{module.__name__} has no {name}: update this test"
        monkeypatch.setattr(module, name, replacement(c), raising=False)
        try:
            made = _exercise(c)
        finally:
            monkeypatch.undo()
        _read_back(made)


@pytest.mark.parametrize("length", [0, 1, 2])
@isolated
def test_binder_returning_too_few_values(built, monkeypatch, length):
    """The binder's result is what _cc_Point_fill reads one value per field from: too short a
    tuple must be an exception, not a read past its end."""
    c = _classes(built, True)
    monkeypatch.setattr(c.generated, "_cc_Point_binder", lambda *a, **k: (1, 2, 3)[:length])
    # (calls the vectorcall fast path cannot bind itself: they go to the binder)
    for call in (lambda: c.Point(), lambda: c.Point(1, 2, 3, 4), lambda: c.Point(1, y=2, w=3)):
        with pytest.raises((TypeError, ValueError)):
            call()
    p = c.Point(1, 2, 3)        # the vectorcall fast path does not use the binder
    with pytest.raises((TypeError, ValueError)):
        c.Point.__init__(p, 7, 8, 9)
    assert (p.x, p.y, p.z) == (1, 2, 3)


TYPE_PATCHERS = ["set_type_attribute", "_set_type_attribute", "set_type_name", "_set_type_name"]


def _not_compact_types():
    class Plain:
        pass
    return {"int": int, "float": float, "type": type, "object": object, "bytearray": bytearray,
            "(5).bit_length": (5).bit_length, "a plain class": Plain,
            "RecordArray": _arrays.RecordArray, "RecordColumn": _arrays.RecordColumn}


@pytest.mark.parametrize("patcher", TYPE_PATCHERS)
@isolated
def test_type_patching_helpers_refuse_non_compact_types(patcher):
    """The helpers that write into a static type's dict and tp_name are private to binding
    and refuse anything but a compact record (or its array) type; absent is fine too."""
    fn = getattr(_records, patcher, None)
    if fn is None:
        return
    for label, target in _not_compact_types().items():
        name_before = getattr(target, "__name__", None)
        with pytest.raises(TypeError):
            if "name" in patcher:
                fn(target, "evil.Name")
            else:
                fn(target, "cc_evil", 1)
        assert not hasattr(target, "cc_evil"), f"{patcher} changed {label}"
        assert getattr(target, "__name__", None) == name_before, f"{patcher} renamed {label}"
    assert int.__name__ == "int" and int.__qualname__ == "int"


@isolated
def test_type_patching_helpers_are_not_public_api():
    public = [name for name in ("set_type_attribute", "set_type_name")
              if getattr(_records, name, None) is not None]
    for name in public:          # still public: then at least limited to compact types
        fn = getattr(_records, name)
        with pytest.raises(TypeError):
            fn(int, "cc_evil", 1) if name == "set_type_attribute" else fn(int, "evil.int")
    assert int.__name__ == "int" and not hasattr(int, "cc_evil")
