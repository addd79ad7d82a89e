"""Field kinds -> their C operations in a generated module: one ``cc_kind_ops`` per kind the
module's records use, built from the kind's own Cython (Kind.load, store, stored_valid), which
the record and array runtime call for every field of that kind."""
from __future__ import annotations

from ..kinds import Kind
from . import names
from .text import c_bytes

__all__ = ["kinds_used", "kind_ops_pyx", "ops_name", "bound_objects", "BIND_OBJECTS"]

#: the generated module's function @compact calls with the kinds' bound objects
BIND_OBJECTS = f"{names.PREFIX}bind_objects"

INDENT = "    "


def kinds_used(specs) -> list:
    """Every kind of the specs' fields, once, in order of first use."""
    found: dict[str, Kind] = {}
    for spec in specs:
        for f in spec.fields:
            found.setdefault(f.kind.ident, f.kind)
    return list(found.values())


def bound_objects(specs) -> dict:
    """{name: object} of every kind the specs use (Kind.bound_objects)."""
    return {name: value for kind in kinds_used(specs)
            for name, value in kind.bound_objects().items()}


def _bind_function(specs) -> list:
    """Module-level ``cdef object`` names for the kinds' bound objects, and the function that
    sets them (from @compact; a name not given keeps its value)."""
    bound = sorted(bound_objects(specs))
    if not bound:
        return []
    lines = [f"cdef object {name} = None" for name in bound]
    lines += ["", "", f"def {BIND_OBJECTS}(dict objects):",
              f'{INDENT}"""Called by @compact: the objects the field kinds\' code reads."""',
              f"{INDENT}global {', '.join(bound)}"]
    for name in bound:
        lines += [f'{INDENT}if "{name}" in objects:', f'{INDENT * 2}{name} = objects["{name}"]']
    return lines + ["", ""]


def ops_name(kind) -> str:
    return f"{names.PREFIX}ops_{kind.ident}"


def _functions(kind) -> list:
    i = kind.ident
    lines = [f"cdef object {names.PREFIX}load_{i}(const char *_cc_p, Py_ssize_t _cc_n):",
             f"{INDENT}return {kind.load_at('_cc_p')}", "",
             f"cdef int {names.PREFIX}store_{i}(char *_cc_p, Py_ssize_t _cc_n, object _cc_v, "
             f"object _cc_w) except -1:",
             f"{INDENT}{kind.store_at('_cc_p', '_cc_v', '_cc_w')}",
             f"{INDENT}return 0"]
    valid = kind.stored_valid(kind.c_lvalue("_cc_p"))
    if valid is not None:
        lines += ["",
                  f"cdef int {names.PREFIX}check_{i}(char *_cc_p, Py_ssize_t _cc_n, "
                  f"bint _cc_fix) noexcept:",
                  f"{INDENT}if {valid}:",
                  f"{INDENT * 2}return 0"]
        fix = kind.canonical_store(kind.c_lvalue("_cc_p"))
        if fix is not None:
            lines += [f"{INDENT}if _cc_fix:", f"{INDENT * 2}{fix}"]
        lines.append(f"{INDENT}return 1")
    if kind.presence is not None:
        delta, mask = kind.presence
        lines += ["",
                  f"cdef void {names.PREFIX}copy_{i}(char *_cc_d, const char *_cc_s, "
                  f"Py_ssize_t _cc_n) noexcept:",
                  f"{INDENT}_cc_k.cc_copy_optional(_cc_d, _cc_s, {delta}, {mask}, _cc_n)"]
    return lines


def kind_ops_pyx(specs) -> tuple:
    """(module-level lines, statements of the kinds' set-up) for every kind the specs use."""
    lines, setup = [], []
    needed = [line for kind in kinds_used(specs) for line in kind.module_code()]
    if needed:
        lines += [*dict.fromkeys(needed), "", ""]
    lines += _bind_function(specs)
    for kind in kinds_used(specs):
        setup += kind.module_setup(specs[0].module, names.private)
    for kind in kinds_used(specs):
        i, ops = kind.ident, ops_name(kind)
        lines += [f"# {kind.name}", "", *_functions(kind), "", f"cdef _cc_k.cc_kind_ops {ops}", "",
                  ""]
        check = (f"{names.PREFIX}check_{i}" if kind.stored_valid(kind.c_lvalue("_cc_p"))
                 is not None else "NULL")
        setup += [f"{ops}.name = {c_bytes(kind.name)}",
                  f"{ops}.load = {names.PREFIX}load_{i}",
                  f"{ops}.store = {names.PREFIX}store_{i}",
                  f"{ops}.check = {check}",
                  f"{ops}.copy = "
                  f"{names.PREFIX + 'copy_' + i if kind.presence is not None else 'NULL'}"]
    return lines[:-2], setup
