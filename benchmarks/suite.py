"""What is measured: the two schemas and the table of contenders, each with a small adapter.

A contender's `load(schema)` returns a Subject: how to make one record from x, y, z (or a whole
array from rows), how to read and write field x, and optionally a Cython function that sums
field x at C level. Everything else (loops, timing, memory) is shared and lives in measure.py.
A loader raises Skip with a reason when its library or build is not available.
"""
import importlib
import json
from dataclasses import dataclass, field
from typing import Callable, Optional

import paths


class Skip(Exception):
    """The contender cannot be measured here; the message says why."""


@dataclass(frozen=True)
class Schema:
    key: str
    title: str
    class_name: str          # name of the record class in every contenders module
    numpy_type: str
    values: tuple            # expressions of the record index i giving x, y, z (fresh objects)
    write_value: object      # value stored by the attribute-write loop


SCHEMAS = (
    Schema("i32x3", "three 32-bit integers (x, y, z)", "P3i", "<i4",
           ("1000 + 3 * i", "1001 + 3 * i", "1002 + 3 * i"), 123_456),
    Schema("f64x3", "three float64 (x, y, z)", "P3f", "<f8",
           ("i + 0.25", "i + 0.5", "i + 0.75"), 0.125),
)
SCHEMA_BY_KEY = {s.key: s for s in SCHEMAS}


@dataclass
class Subject:
    """A loaded contender for one schema. Expressions see the names in `ns` plus x, y, z
    (the field values), p (a record in hand) and v (the value to write)."""
    label: str
    version: str
    ns: dict
    make: Optional[str] = None                # expression making one record: objects kind
    build: Optional[Callable] = None          # build(rows_iterable, n) -> container: array kind
    read: str = "p.x"
    write: Optional[str] = "p.x = v"          # None: immutable
    sum_start: object = 0                     # start of sum(): NumPy int32 scalars would wrap
    csum: Optional[Callable] = None           # csum(container) -> sum of x, at C level
    compiled: Optional[bool] = None           # compactclass only: is_compiled(cls)
    notes: list = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "array" if self.build is not None else "objects"


@dataclass(frozen=True)
class Contender:
    key: str                 # command-line name (--only KEY)
    label: str
    library: str             # distribution name whose version is reported
    load: Callable           # load(schema) -> Subject
    optional: bool = True    # False: must always produce a row (stdlib, hand-written Cython)


# ---------------------------------------------------------------- helpers for loaders

def import_or_skip(module: str):
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise Skip(f"not installed ({exc}); pip install 'compactclass[bench]'") from exc


def library_version(dist: str) -> str:
    from importlib import metadata
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def build_status(target: str) -> dict:
    try:
        return json.loads(paths.STATUS_FILE.read_text())[target]
    except (OSError, KeyError, ValueError):
        return {"ok": False, "reason": f"no build status for {target!r}: run benchmarks/run.py"}


def require_build(target: str):
    status = build_status(target)
    if not status["ok"]:
        raise Skip(f"{target} build failed: {status['reason']}")


def struct_sum_for(schema: Schema):
    """C-level sum of x over a buffer of packed records (a NumPy structured array)."""
    if not build_status("struct_sum")["ok"]:
        return None
    module = importlib.import_module("struct_sum")
    fn = module.sum_x_i32 if schema.key == "i32x3" else module.sum_x_f64
    return fn


def fused_sum(module):
    """A fused `sum_x(first, points)` from handwritten.pyx / cc_sum.pyx, as csum(points)."""
    return lambda points: module.sum_x(points[0], points)


# ---------------------------------------------------------------- loaders

def python_class(module: str, prefix: str, dist: str = "", write: Optional[str] = "p.x = v"):
    """Loader for a class declared in contenders/<module>.py as <prefix><P3i|P3f>."""
    def load(schema: Schema) -> Subject:
        mod = import_or_skip(module)
        cls = getattr(mod, prefix + schema.class_name)
        version = library_version(dist) if dist else "stdlib"
        return Subject(label="", version=version, ns={"C": cls}, make="C(x, y, z)", write=write)
    return load


def load_dict(schema: Schema) -> Subject:
    return Subject(label="", version="builtin", ns={}, make='{"x": x, "y": y, "z": z}',
                   read='p["x"]', write='p["x"] = v', notes=["made with a dict display"])


def load_tuple(schema: Schema) -> Subject:
    return Subject(label="", version="builtin", ns={}, make="(x, y, z)", read="p[0]", write=None,
                   notes=["made with a tuple display; field x is p[0]"])


def handwritten_cython(prefix: str):
    def load(schema: Schema) -> Subject:
        require_build("handwritten")
        module = importlib.import_module("handwritten")
        return Subject(label="", version=library_version("Cython"),
                       ns={"C": getattr(module, prefix + schema.class_name)},
                       make="C(x, y, z)", csum=fused_sum(module))
    return load


def load_numpy(schema: Schema) -> Subject:
    np = import_or_skip("numpy")
    dtype = np.dtype([(name, schema.numpy_type) for name in "xyz"])
    start = np.int64(0) if schema.key == "i32x3" else 0.0
    return Subject(label="", version=np.__version__, ns={},
                   build=lambda rows, n: np.fromiter(rows, dtype, count=n),
                   read='p["x"]', write='p["x"] = v', sum_start=start,
                   csum=struct_sum_for(schema),
                   notes=["built with np.fromiter(rows, dtype, count=n)",
                          "read/write/==/hash act on the np.void that iteration yields"])


def _cc_class(schema: Schema):
    """The compactclass record class, compiled if the build worked, else the fallback."""
    compactclass = import_or_skip("compactclass")
    missing = [n for n in ("compact", "i32", "f64", "is_compiled") if not hasattr(compactclass, n)]
    if missing:
        raise Skip(f"compactclass does not provide {', '.join(missing)} yet")
    try:
        module = importlib.import_module("cc_records")     # the copy in .build/cc
    except Exception as exc:
        raise Skip(f"importing the declarations failed: {type(exc).__name__}: {exc}") from exc
    cls = getattr(module, schema.class_name)
    compiled = bool(compactclass.is_compiled(cls))
    notes = [] if compiled else ["pure-Python fallback: " + build_status("cc").get("reason", "")]
    version = getattr(compactclass, "__version__", library_version("compactclass"))
    return cls, compiled, notes, version


def load_cc_record(schema: Schema) -> Subject:
    cls, compiled, notes, version = _cc_class(schema)
    csum = None
    if compiled and build_status("cc_sum")["ok"]:
        csum = fused_sum(importlib.import_module("cc_sum"))
    return Subject(label=_cc_label("compactclass record", compiled), version=version,
                   ns={"C": cls}, make="C(x, y, z)", csum=csum, compiled=compiled, notes=notes)


def load_cc_array(schema: Schema) -> Subject:
    cls, compiled, notes, version = _cc_class(schema)
    if not hasattr(cls, "Array"):
        raise Skip(f"{schema.class_name}.Array does not exist in this compactclass yet")
    csum = None
    if compiled and build_status("cc_sum")["ok"]:
        csum = importlib.import_module("cc_sum").sum_x_array
        notes.append("Cython sum: a loop over the generated .pxd accessors (P3iArray_data/_len)")
    return Subject(label=_cc_label("compactclass Array", compiled), version=version, ns={},
                   build=lambda rows, n: cls.Array(rows), csum=csum if compiled else None,
                   compiled=compiled, notes=notes)


def _cc_label(label: str, compiled: bool) -> str:
    return f"{label} ({'compiled' if compiled else 'pure-Python fallback'})"


STDLIB = "contenders.stdlib_records"
CONTENDERS = (
    Contender("dict", "dict", "", load_dict, optional=False),
    Contender("class", "plain class", "", python_class(STDLIB, "Plain"), optional=False),
    Contender("slots", "class with __slots__", "", python_class(STDLIB, "Slots"), optional=False),
    Contender("dataclass", "@dataclass", "", python_class(STDLIB, "Dataclass"), optional=False),
    Contender("dataclass-slots", "@dataclass(slots=True)", "",
              python_class(STDLIB, "DataclassSlots"), optional=False),
    Contender("tuple", "tuple", "", load_tuple, optional=False),
    Contender("namedtuple", "collections.namedtuple", "",
              python_class(STDLIB, "NamedTuple", write=None), optional=False),
    Contender("attrs", "attrs @define", "attrs",
              python_class("contenders.attrs_records", "", "attrs")),
    Contender("recordclass", "recordclass.recordclass", "recordclass",
              python_class("contenders.recordclass_records", "Recordclass", "recordclass")),
    Contender("dataobject", "recordclass.dataobject", "recordclass",
              python_class("contenders.recordclass_records", "Dataobject", "recordclass")),
    Contender("msgspec", "msgspec.Struct", "msgspec",
              python_class("contenders.msgspec_records", "Struct", "msgspec")),
    Contender("msgspec-nogc", "msgspec.Struct(gc=False)", "msgspec",
              python_class("contenders.msgspec_records", "NoGcStruct", "msgspec")),
    Contender("cython", "Cython cdef class", "Cython", handwritten_cython(""), optional=False),
    Contender("cython-freelist", "Cython cdef class + @cython.freelist(64)", "Cython",
              handwritten_cython("Free"), optional=False),
    Contender("cython-dataclass", "@cython.dataclasses.dataclass", "Cython",
              handwritten_cython("Dataclass"), optional=False),
    Contender("numpy", "NumPy structured array", "numpy", load_numpy),
    Contender("compactclass", "compactclass record", "compactclass", load_cc_record),
    Contender("compactclass-array", "compactclass Array", "compactclass", load_cc_array),
)
CONTENDER_BY_KEY = {c.key: c for c in CONTENDERS}

# The two references every ratio is taken against (always run, even with --only).
REFERENCES = ("dataclass-slots", "cython")
