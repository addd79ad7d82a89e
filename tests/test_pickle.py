"""Pickling and copying compact records: both modes, across modes, and corrupt pickles.

A pickle is ``(restore_v1, (cls, field signature, values))`` with the class pickled by reference
under its declaring module, so a pickle written by the compiled class loads as the fallback
class (a process with COMPACTCLASS_PURE=1) and the other way round. Loading checks the
signature, the value count and every value, and never builds a wrong record.
"""
from __future__ import annotations

import copy
import dataclasses
import math
import os
import pickle
import subprocess
import sys
import textwrap

import pytest

import compactclass
from compactclass.pickling import restore_v1
from record_decls import compiled, pure, rec  # noqa: F401  (fixtures)

PROTOCOLS = range(pickle.HIGHEST_PROTOCOL + 1)


def samples(m):
    """One record of each kind (equal when rebuilt from the same values)."""
    post = m.Post(2)
    post.b = 99                                   # unpickling must not rerun __post_init__
    return [
        m.Point(1, -2, 3), m.Vec3(0.5, -0.0, 1e300), m.Mixed(255, 2.5, -32768),
        m.Bytes4(0, 1, 254, 255),
        m.AllTypes(-128, -2**15, -2**31, -2**63, 255, 2**16 - 1, 2**32 - 1, 2**64 - 1, 0.1,
                   float("inf"), True),
        m.AllTypes(127, 2**15 - 1, 2**31 - 1, 2**63 - 1, 0, 0, 0, 0, -3.4e38, -0.0, False),
        m.Particle(1.0, 2.0, 3.0), m.Options(1, 2, 3, 4, k=5), m.KwOnly(a=1, b=2), post,
        m.OwnInit(4), m.Base(7), m.Derived(1, 2.5), m.Specials(3), m.Weak(5),
        m.UnsafeHash(1, 2.0), m.ExplicitHash(1), m.OwnEq(1), m.Names(1, 2, 3),
    ]


def state(obj):
    """Everything a record holds: its type and every field value (floats by repr: -0.0, nan)."""
    return type(obj).__qualname__, tuple(repr(getattr(obj, f.name))
                                         for f in dataclasses.fields(obj))


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_round_trip(rec, protocol):
    for obj in samples(rec):
        loaded = pickle.loads(pickle.dumps(obj, protocol=protocol))
        assert type(loaded) is type(obj)
        assert state(loaded) == state(obj)
    frozen = pickle.loads(pickle.dumps(rec.Particle(1.0, 2.0), protocol=protocol))
    assert hash(frozen) == hash(rec.Particle(1.0, 2.0))


def test_round_trip_keeps_nan_and_signed_zero(rec):
    loaded = pickle.loads(pickle.dumps(rec.Vec3(float("nan"), -0.0, float("-inf"))))
    assert math.isnan(loaded.x) and math.copysign(1.0, loaded.y) == -1.0
    assert loaded.z == float("-inf")


def test_unpickling_does_not_run_post_init(rec):
    post = rec.Post(2)
    post.b = 99
    assert pickle.loads(pickle.dumps(post)).b == 99


def test_pickle_format(rec):
    p = rec.Point(1, 2, 3)
    assert p.__reduce__() == (restore_v1, (rec.Point, "x:i32,y:i32,z:i32", (1, 2, 3)))
    data = pickle.dumps(p)
    assert rec.__name__.encode() in data and b"Point" in data
    # The signature string is the same object for every record of a class: pickle memoizes it.
    many = pickle.dumps([rec.Point(i, i, i) for i in range(100)])
    assert many.count(b"x:i32,y:i32,z:i32") == 1
    assert len(many) < 100 * 24                   # about 19 bytes per 3-field record


def test_plain_subclass_pickles_keep_their_dict(rec):
    s = rec.SubPoint(1, 2, 3)
    s.note = "kept"
    loaded = pickle.loads(pickle.dumps(s))
    assert type(loaded) is rec.SubPoint and loaded == s and loaded.note == "kept"
    bare = pickle.loads(pickle.dumps(rec.SubPoint(4, 5)))
    assert bare == rec.SubPoint(4, 5) and bare.__dict__ == {}


# --------------------------------------------------------------------------- copy


@pytest.mark.parametrize("copier", [copy.copy, copy.deepcopy])
def test_copy(rec, copier):
    for obj in samples(rec):
        duplicate = copier(obj)
        assert duplicate is not obj and type(duplicate) is type(obj)
        assert state(duplicate) == state(obj)
    p = rec.Point(1, 2, 3)
    duplicate = copier(p)
    duplicate.x = 10
    assert p.x == 1 and duplicate == rec.Point(10, 2, 3)
    post = rec.Post(2)
    post.b = 5
    assert copier(post).b == 5                    # copies do not rerun __post_init__
    nested = copier([rec.Point(1, 2), {"k": rec.Particle(1.0, 2.0)}])
    assert nested == [rec.Point(1, 2), {"k": rec.Particle(1.0, 2.0)}]


@pytest.mark.parametrize("copier", [copy.copy, copy.deepcopy])
def test_copy_of_plain_subclass_keeps_its_dict(rec, copier):
    s = rec.SubPoint(1, 2, 3)
    s.note = ["kept"]
    duplicate = copier(s)
    assert type(duplicate) is rec.SubPoint
    assert duplicate == s and duplicate.note == ["kept"]
    assert (duplicate.note is s.note) == (copier is copy.copy)


def test_copy_of_compiled_record_uses_the_arena(compiled):
    from compactclass._records import arena_stats
    p = compiled.Point(1, 2, 3)
    live = arena_stats(compiled.Point)["live_blocks"]
    copies = [copy.copy(p) for _ in range(10)] + [pickle.loads(pickle.dumps(p))]
    assert arena_stats(compiled.Point)["live_blocks"] == live + 11
    assert all(c == p for c in copies)


# --------------------------------------------------------------------------- across modes

# Runs in another process: load the pickle of the parent, check what it got, pickle it back.
CHILD = textwrap.dedent("""
    import os, pickle, sys, compactclass
    with open(sys.argv[1], "rb") as f:
        records = pickle.load(f)
    print(sorted({compactclass.is_compiled(type(r)) for r in records}))
    print([repr(r) for r in records])
    with open(sys.argv[2], "wb") as f:
        pickle.dump(records, f)
""")


def _in_child(folder, pickle_in, pickle_out, pure_mode):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), *sys.path])}
    env.pop("COMPACTCLASS_PURE", None)
    if pure_mode:
        env["COMPACTCLASS_PURE"] = "1"
    result = subprocess.run([sys.executable, "-c", CHILD, str(pickle_in), str(pickle_out)],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


@pytest.mark.parametrize("child_pure", [True, False], ids=["to-fallback", "to-compiled"])
def test_pickles_load_across_modes(compiled, builder, tmp_path, child_pure):
    """A pickle written in one mode loads in the other; the other mode's pickle loads here."""
    records = samples(compiled)
    subclass = compiled.SubPoint(1, 2)
    subclass.note = "kept"
    records.append(subclass)
    sent, returned = tmp_path / "sent.pickle", tmp_path / "returned.pickle"
    sent.write_bytes(pickle.dumps(records))
    modes, reprs = _in_child(builder.folder, sent, returned, pure_mode=child_pure)
    assert modes == ("[False]" if child_pure else "[True]")
    assert reprs == repr([repr(r) for r in records])
    back = pickle.loads(returned.read_bytes())
    assert all(compactclass.is_compiled(type(r)) or type(r) is compiled.SubPoint for r in back)
    assert [state(r) for r in back] == [state(r) for r in records]
    assert back[-1].note == "kept"


def test_fallback_pickle_loads_as_compiled(compiled, builder, tmp_path):
    """Written by a process without the build (COMPACTCLASS_PURE=1), loaded here compiled."""
    code = textwrap.dedent(f"""
        import pickle, sys, compactclass
        import {compiled.__name__} as m
        assert not compactclass.is_compiled(m.Point)
        with open(sys.argv[1], "wb") as f:
            pickle.dump([m.Point(1, 2, 3), m.Particle(1.0, 2.0), m.AllTypes(b64=2**64 - 1)], f)
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(builder.folder), *sys.path]),
           "COMPACTCLASS_PURE": "1"}
    target = tmp_path / "from-fallback.pickle"
    result = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    point, particle, all_types = pickle.loads(target.read_bytes())
    assert type(point) is compiled.Point and point == compiled.Point(1, 2, 3)
    assert type(particle) is compiled.Particle and particle == compiled.Particle(1.0, 2.0)
    assert all_types.b64 == 2**64 - 1


# --------------------------------------------------------------------------- corrupt pickles


class Forged:
    """Pickles as a record pickle with whatever class, signature and values it is given."""

    def __init__(self, cls, signature, values):
        self.args = (cls, signature, values)

    def __reduce__(self):
        return restore_v1, self.args


SIGNATURE = "x:i32,y:i32,z:i32"

CORRUPT = [
    # (signature, values, exception, message pattern)
    (SIGNATURE, (1, 2), ValueError, r"^Point: corrupt pickle: expected a tuple of 3 field "
                                    r"values, got 2$"),
    (SIGNATURE, (1, 2, 3, 4), ValueError, r"^Point: corrupt pickle: .* got 4$"),
    (SIGNATURE, [1, 2, 3], ValueError, r"^Point: corrupt pickle: .* got list$"),
    (SIGNATURE, None, ValueError, r"^Point: corrupt pickle: .* got NoneType$"),
    (SIGNATURE, (1, 2, 2**31), OverflowError, r"^Point.z: 2147483648 is out of range for i32"),
    (SIGNATURE, (-2**31 - 1, 2, 3), OverflowError, r"^Point.x: .* out of range for i32"),
    (SIGNATURE, (1, "2", 3), TypeError, r"^Point.y: expected an integer \(i32\), got str"),
    (SIGNATURE, (1, 2, 3.0), TypeError, r"^Point.z: expected an integer \(i32\), got float"),
    (SIGNATURE, (1, 2, None), TypeError, r"^Point.z: expected an integer"),
    ("x:i64,y:i32,z:i32", (1, 2, 3), ValueError,
     r"^Point: the pickle holds fields \(x:i64,y:i32,z:i32\) but the record now has "
     r"\(x:i32,y:i32,z:i32\)$"),
    ("x:i32,y:i32", (1, 2), ValueError, r"^Point: the pickle holds fields \(x:i32,y:i32\)"),
    ("x:i32,y:i32,w:i32", (1, 2, 3), ValueError, r"the pickle holds fields"),
    ("x:i32,y:i32,z:i32,w:i32", (1, 2, 3, 4), ValueError, r"the pickle holds fields"),
    (None, (1, 2, 3), ValueError, r"^Point: the pickle holds fields \(None\)"),
]


@pytest.mark.parametrize("signature, values, error, message", CORRUPT)
def test_corrupt_pickles_raise_clear_errors(rec, signature, values, error, message):
    data = pickle.dumps(Forged(rec.Point, signature, values))
    with pytest.raises(error, match=message):
        pickle.loads(data)


def test_corrupt_values_of_every_type(rec):
    names = "a8 a16 a32 a64 b8 b16 b32 b64 f d flag".split()
    signature = ("a8:i8,a16:i16,a32:i32,a64:i64,b8:u8,b16:u16,b32:u32,b64:u64,f:f32,d:f64,"
                 "flag:bool")
    good = (-128, -2**15, -2**31, -2**63, 255, 2**16 - 1, 2**32 - 1, 2**64 - 1, 0.5, 1.0, True)
    assert pickle.loads(pickle.dumps(Forged(rec.AllTypes, signature, good))) == \
        rec.AllTypes(*good)
    bad = {"a8": 128, "a16": -2**15 - 1, "a32": 2**31, "a64": 2**63, "b8": -1, "b16": 2**16,
           "b32": -1, "b64": 2**64, "f": 1e39, "d": 10**400, "flag": 1}
    for index, name in enumerate(names):
        values = list(good)
        values[index] = bad[name]
        error = TypeError if name == "flag" else OverflowError
        with pytest.raises(error, match=f"^AllTypes.{name}: "):
            pickle.loads(pickle.dumps(Forged(rec.AllTypes, signature, tuple(values))))


def test_a_corrupt_record_fails_the_whole_load(rec):
    data = pickle.dumps([rec.Point(1, 2, 3), Forged(rec.Point, SIGNATURE, (1, 2, 2**40))])
    with pytest.raises(OverflowError, match="Point.z"):
        pickle.loads(data)


def test_failed_loads_leave_no_objects_behind(compiled):
    from compactclass._records import arena_stats
    live = arena_stats(compiled.Point)["live_blocks"]
    for values in [(1, 2, 2**40), (1, "a", 3), (2**40, 2, 3)]:
        with pytest.raises((OverflowError, TypeError)):
            pickle.loads(pickle.dumps(Forged(compiled.Point, SIGNATURE, values)))
    assert arena_stats(compiled.Point)["live_blocks"] == live


def test_loading_into_another_record_or_class_is_refused(rec):
    with pytest.raises(ValueError, match=r"^Vec3: the pickle holds fields \(x:i32,y:i32,z:i32\) "
                                         r"but the record now has \(x:f64,y:f64,z:f64\)$"):
        pickle.loads(pickle.dumps(Forged(rec.Vec3, SIGNATURE, (1, 2, 3))))
    with pytest.raises(TypeError, match="not a compact record"):
        pickle.loads(pickle.dumps(Forged(dict, SIGNATURE, (1, 2, 3))))


def test_pickle_of_a_changed_declaration_is_refused(rec):
    """A pickle written before a field changed type does not load into the new record."""
    data = pickle.dumps(rec.Point(1, 2, 3))
    edited = data.replace(b"x:i32,y:i32,z:i32", b"x:i32,y:i64,z:i32")
    assert edited != data
    with pytest.raises(ValueError, match=r"pickle holds fields \(x:i32,y:i64,z:i32\)"):
        pickle.loads(edited)
