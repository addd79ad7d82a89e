"""Every name a generated module binds, in one table with one convention.

- Private names (functions, tables, constants, the runtime modules, parameters and locals)
  start with ``_cc_``: ``_cc_Point_fill``. No record may be named so (:func:`check`), so a
  private name never meets a user's (field names are attributes, never module-level names);
  two records' private names that happen to meet are refused by :func:`check`.
- Public names are the API other Cython modules cimport: the record (``Point``), its array
  class ``PointArray``, the item struct ``Point_item`` and the accessors ``PointArray_data``,
  ``PointArray_len``, ``PointArray_at``. :func:`check` refuses two records whose names collide.
- A field's C struct member is ``x "cc_f_x"``: the Python name, which Cython code uses, with a
  C name of its own (a field name can be a C macro of the platform's headers: ``linux``,
  ``errno``, ``EOF``, ``NULL``, ``INT32_MAX``, ...).
- The names the module cimports unaliased are the C types its fields are declared with (they
  are part of the .pxd other modules read): a record cannot take one of those names either.
"""
from __future__ import annotations

import builtins
import keyword
import os

from ..errors import DeclarationError
from ..spec import CYTHON_KEYWORDS, RecordSpec

__all__ = ["PREFIX", "private", "public", "c_member", "field_constant", "c_type_names",
           "check", "RUNTIME_IMPORTS"]

PREFIX = "_cc_"

# The runtime modules and C declarations every generated .pyx/.pxd cimports, all aliased.
RUNTIME_IMPORTS = (
    "from cpython.object cimport PyObject as _cc_PyObject, PyTypeObject as _cc_PyTypeObject",
    "from libc.string cimport memcpy as _cc_memcpy, memset as _cc_memset",
    "from compactclass cimport _kinds as _cc_k",
    "from compactclass cimport _records as _cc_r",
    "from compactclass cimport _arrays as _cc_a",
    "from compactclass.core cimport cc_arena as _cc_arena",
)

# Names of C and Cython a record cannot take: the generated code uses them as types or builtins
C_NAMES = frozenset({"bint", "char", "short", "long", "signed", "unsigned", "void", "double",
                     "size_t", "Py_ssize_t", "Py_hash_t", "NULL", "sizeof", "cython", "const",
                     "struct", "union", "enum", "inline", "extern", "public", "readonly", "api",
                     "nogil", "gil", "noexcept", "except"})

# What the .pyi of a module with record arrays imports from typing (a stub is read by type
# checkers, which need the plain names)
STUB_IMPORTS = ("Any", "Iterable", "Iterator", "SupportsIndex", "overload")

# What one record's private names are for (_cc_<Record>_<what>)
PRIVATE = ("fields", "record", "fill", "vectorcall", "binder", "user", "arena", "alloc", "free",
           "argnames", "positional", "defaults", "getattro", "setattro", "probe", "pack",
           "array_kind", "item_probe", "setup", "unpack", "compare")


# Module-level private names that belong to no record (one set per field kind, _cc_ops_i32 ...)
MODULE_PRIVATE = ("kinds_setup", "bind_objects", "ops_", "load_", "store_", "check_", "nested_")


def private(spec: RecordSpec, what: str) -> str:
    assert what in PRIVATE, what
    return f"{PREFIX}{spec.name}_{what}"


def field_constant(spec: RecordSpec, field, what: str) -> str:
    """A per-field private constant: the interned name (what="name") or a default."""
    return f"{PREFIX}{spec.name}_{what}_{field.name}"


def public(spec: RecordSpec) -> dict:
    n = spec.name
    return {"record": n, "array": f"{n}Array", "item": f"{n}_item", "data": f"{n}Array_data",
            "len": f"{n}Array_len", "at": f"{n}Array_at"}


def c_member(field) -> str:
    return f'{field.name} "cc_f_{field.name}"'


def c_type_names(specs) -> dict:
    """{module: sorted names} the generated code cimports for its fields' C declarations (not
    from the module being generated: a nested record declared beside its outer record)."""
    own = {f"{spec.module}_compact" for spec in specs}
    found: dict = {}
    for spec in specs:
        for f in spec.fields:
            for module, names in f.kind.c_cimports.items():
                if module not in own:
                    found.setdefault(module, set()).update(names)
    return {module: sorted(names) for module, names in sorted(found.items())}


def _check_foreign(record: RecordSpec, where: str, what: str, base_pxd_path) -> None:
    """A record of another module that generated code cimports must be built already."""
    if "." in record.qualname or record.module == "__main__":
        raise DeclarationError(f"{where}: {what} {record.module}.{record.qualname} must be a "
                               f"module-level record of an importable module to be compiled "
                               f"with it")
    pxd = base_pxd_path(record)
    if pxd is None or not os.path.isfile(pxd):
        source = os.path.basename(record.file) if record.file else record.module
        raise DeclarationError(f"{where}: {what} {record.qualname} is declared in {source}, "
                               f"which has no build yet: build {source} first")


def check(specs: list, foreign_bases: list, base_pxd_path) -> None:
    """Refuse records the generated module cannot hold: a private or reserved name, two records
    whose public names collide, a compact base or nested record from a module that has no
    build, a nested record of this module that is not compiled with it."""
    seen = {}
    for base in foreign_bases:
        child = next(s for s in specs if s.base is base)
        _check_foreign(base, f"{child.file or child.module}: class {child.qualname}",
                       "its compact base", base_pxd_path)
        seen[base.name] = f"{base.module}.{base.qualname}"
    for spec in specs:                      # nested records (the kinds' records)
        for f in spec.fields:
            for record in f.kind.nested_specs:
                where = f"{spec.file or spec.module}: class {spec.qualname}, field {f.name!r}"
                if record.module != spec.module:
                    _check_foreign(record, where, "its record", base_pxd_path)
                elif not any(s.qualname == record.qualname for s in specs):
                    raise DeclarationError(f"{where}: its record {record.qualname} is not a "
                                           f"module-level record, so it is not compiled with "
                                           f"{spec.qualname}; declare it at module level")
    taken = {name for names in c_type_names(specs).values() for name in names}
    taken.update(STUB_IMPORTS)
    taken.update(C_NAMES)
    for f in (f for spec in specs for f in spec.fields):          # the kinds' operations
        for what in MODULE_PRIVATE:
            seen[f"{PREFIX}{what}{f.kind.ident}" if what.endswith("_") else f"{PREFIX}{what}"] = \
                "the field kinds' operations"
    for spec in specs:
        if spec.name.startswith(PREFIX) or spec.name in taken or spec.name in CYTHON_KEYWORDS \
                or hasattr(builtins, spec.name) or keyword.iskeyword(spec.name):
            raise DeclarationError(
                f"{spec.qualname}: a compiled record cannot be named {spec.name!r} (names "
                f"starting with {PREFIX}, Python builtins, C and Cython names, the C types of its "
                f"fields and the names its stub imports are taken in the generated module); "
                f"rename the record")
        names = [*public(spec).values(), *(private(spec, what) for what in PRIVATE),
                 *(field_constant(spec, f, "name") for f in spec.fields)]
        for name in names:
            if name in seen and seen[name] != spec.qualname:
                raise DeclarationError(f"{spec.qualname}: generated name {name!r} collides with "
                                       f"one of {seen[name]}; rename one of the records")
            seen[name] = spec.qualname
