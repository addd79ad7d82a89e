"""Spec + layout -> the Cython of one record: its class in the .pxd and its section of the .pyx.

What a generated record is made of (for a record ``Point``):

- ``cdef class Point`` whose C attributes are declared in the .pxd in storage order, so other
  Cython modules ``cimport`` it and read ``p.x`` as a struct member;
- the field table ``_cc_Point_fields`` and record ``_cc_Point_record`` (_records.pxd): static
  data from which the record runtime gives every field its getset descriptor and implements the
  dataclass methods the plan asks for (codegen/methods.py), each a one-line method here;
- the hot paths, with each field's conversion inline (its kind's store statement and load
  expression): ``tp_getattro``/``tp_setattro`` that compare the interned attribute name by
  pointer, ``_cc_Point_fill`` (every field from an array of objects) and the type's vectorcall
  constructor. The constructor fills the record straight from the call's arguments when
  ``gather_args`` can match them to fields (positional and keyword arguments, plain defaults);
  anything else goes through the *binder*, a Python function with the record's ``__init__``
  signature that @compact supplies, so argument errors read exactly as a dataclass's;
- special methods of the class body become trampolines to the user's functions;
- a per-type arena allocator installed as ``tp_alloc``/``tp_free`` (exact type only).
"""
from __future__ import annotations

from typing import Optional

from ..kinds.optional import PresenceKind
from ..layout import Layout, storage_order
from ..spec import SLOT_SPECIALS, RecordSpec
from . import names
from .kinds import ops_name
from .methods import field_wise_eq, plan
from .text import c_bytes

__all__ = ["pxd_class", "record_pyx", "generated_init"]

INDENT = "    "


def generated_init(spec: RecordSpec) -> bool:
    return spec.options.init and "__init__" not in spec.user_specials


def _where(spec: RecordSpec, f) -> str:
    return '"' + spec.where(f.name).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _indent(lines, depth: int = 1) -> list:
    pad = INDENT * depth
    return [pad + line if line else line for line in lines]


# --------------------------------------------------------------------------- .pxd

def pxd_class(spec: RecordSpec, layout: Layout) -> list:
    base = f"({spec.base.name})" if spec.base else ""
    lines = [f"cdef class {spec.name}{base}:",
             f"{INDENT}# {layout.instance_size} bytes per instance; fields in storage order "
             f"(declared order: {', '.join(f.name for f in spec.own_fields) or 'none'})"]
    if spec.options.weakref_slot and not (spec.base and spec.base.weakref):
        lines.append(f"{INDENT}cdef object __weakref__")
    for f in storage_order(spec.own_fields):
        lines.append(f"{INDENT}cdef {f.kind.c_declaration(names.c_member(f))}  # {f.kind.name}, "
                     f"offset {layout.slot(f.name).offset}")
    bitmap = layout.own_presence
    if bitmap is not None:
        presence = bitmap.field.kind
        assert isinstance(presence, PresenceKind)
        lines.append(f"{INDENT}# presence bits of the optional fields (None where clear):")
        for k, name in enumerate(presence.fields):
            byte = "" if bitmap.size == 1 else f"[{k // 8}]"
            lines.append(f"{INDENT}#   {name}: {bitmap.field.name}{byte} & {1 << (k % 8)}")
        lines.append(f"{INDENT}cdef {presence.c_declaration(names.c_member(bitmap.field))}"
                     f"  # offset {bitmap.offset}")
    if len(lines) == 2:
        lines.append(f"{INDENT}pass")
    return lines


# --------------------------------------------------------------------------- the class

def _has_init(spec: Optional[RecordSpec]) -> bool:
    """True when the record or one of its bases has an __init__ (generated or from the body)."""
    while spec is not None:
        if spec.options.init or "__init__" in spec.user_specials:
            return True
        spec = spec.base
    return False


def _bound_count(spec: RecordSpec) -> int:
    """How many values the binder returns: the fields', then the InitVars' __post_init__ takes."""
    return len(spec.fields) + len(spec.post_init_vars)


def _init_var_args(spec: RecordSpec, values: str) -> str:
    """The arguments of __post_init__: the InitVars' values, after the fields' in ``values``."""
    n = len(spec.fields)
    return ", ".join(f"{values}[{n + k}]" for k in range(len(spec.post_init_vars)))


def method_init(spec: RecordSpec) -> list:
    if not generated_init(spec):
        if _has_init(spec):
            return []
        # Cython's tp_new takes any arguments: refuse them as object() and a dataclass do.
        return ["def __init__(self, *args, **kwargs):",
                f"{INDENT}if args or kwargs:",
                f'{INDENT * 2}raise TypeError(f"{{type(self).__name__}}() takes no arguments")']
    body = [f"cdef tuple _cc_values = _cc_r.checked_values("
            f"{names.private(spec, 'binder')}(self, *args, **kwargs), {_bound_count(spec)}, "
            f'"{spec.qualname}")',
            f"{names.private(spec, 'fill')}(self, _cc_r.PySequence_Fast_ITEMS(_cc_values))"]
    if spec.has_post_init:
        body.append(f"self.__post_init__({_init_var_args(spec, '_cc_values')})")
    return ["def __init__(self, *args, **kwargs):", *_indent(body)]


def planned_methods(spec: RecordSpec) -> list:
    """The plan's methods, each one call of the record runtime."""
    record = f"&{names.private(spec, 'record')}"
    lines = []
    for name, method in plan(spec).items():
        if method is None:
            continue            # unhashable: @compact sets __hash__ = None
        if name == "__repr__":
            call, params = f"_cc_r.record_repr({record}, self)", "self"
        elif name == "__hash__":
            call, params = f"_cc_r.record_hash({record}, self)", "self"
        else:
            call = f"_cc_r.record_richcompare({record}, self, other, {method.op_code})"
            params = "self, other"
        lines += [f"def {name}({params}):", f"{INDENT}return {call}", ""]
    for name, params in (("__reduce_ex__", "self, protocol"), ("__reduce__", "self")):
        lines += [f"def {name}({params}):",
                  f"{INDENT}return _cc_r.record_reduce({record}, self)", ""]
    return lines[:-1]


def method_trampoline(spec: RecordSpec, name: str) -> list:
    arity = SLOT_SPECIALS[name]
    user = f'{names.private(spec, "user")}["{name}"]'
    if name == "__init__":  # a Cython __init__ cannot return a value: check it as type() does
        return ["def __init__(self, *args, **kwargs):",
                f"{INDENT}_cc_result = {user}(self, *args, **kwargs)",
                f"{INDENT}if _cc_result is not None:",
                f"{INDENT * 2}raise TypeError(f\"__init__() should return None, not "
                f"'{{type(_cc_result).__name__}}'\")"]
    if arity < 0:
        return [f"def {name}(self, *args, **kwargs):",
                f"{INDENT}return {user}(self, *args, **kwargs)"]
    params = ["other", "value"][:arity] if name != "__setitem__" else ["key", "value"]
    if name in ("__getitem__", "__delitem__", "__contains__"):
        params = ["key"]
    sig = ", ".join(["self", *params])
    call = f"{user}({sig})"
    if name in ("__setitem__", "__delitem__"):
        return [f"def {name}({sig}):", f"{INDENT}{call}"]
    return [f"def {name}({sig}):", f"{INDENT}return {call}"]


def pyx_class(spec: RecordSpec) -> list:
    base = f"({spec.base.name})" if spec.base else ""
    methods = [method_init(spec), planned_methods(spec)]
    methods += [method_trampoline(spec, name) for name in spec.user_specials]
    body = []
    for m in filter(None, methods):
        body += [*m, ""]
    # No docstring here: a static type's tp_doc would hide the declaration's __doc__.
    return [f"cdef class {spec.name}{base}:",
            f"{INDENT}# Fields: see {spec.name} in the .pxd. Methods from the class body are "
            f"bound at import.",
            "", *_indent(body[:-1])]


# --------------------------------------------------------------------------- the field table

def _field_flags(spec: RecordSpec, f) -> str:
    methods = plan(spec)
    flags = []
    if methods.get("__hash__") and f in methods["__hash__"].fields:
        flags.append("_cc_k.CC_FIELD_HASH")
    if f.compare:
        flags.append("_cc_k.CC_FIELD_COMPARE")
    if "__repr__" in methods and f in methods["__repr__"].fields:
        flags.append("_cc_k.CC_FIELD_REPR")
    return " | ".join(flags) or "0"


def func_compare(spec: RecordSpec, layout: Layout) -> list:
    """How two records compare over the compare fields (pointers to their first stored byte,
    as arrays items are), each field with its kind's compare expression."""
    first = min((s.offset for s in layout.slots), default=0)
    lines = [f"cdef int {names.private(spec, 'compare')}(const char *_cc_x, const char *_cc_y) "
             f"except -2:",
             f'{INDENT}"""CC_LT/EQ/GT/UNORDERED of two {spec.name} payloads: the first compare '
             f'field that differs decides."""']
    compared = spec.compare_fields if (field_wise_eq(spec) or spec.options.order) else ()
    if compared:
        lines.append(f"{INDENT}cdef int _cc_o")
    for f in compared:
        at = layout.slot(f.name).offset - first
        lines += [f"{INDENT}_cc_o = {f.kind.compare_at(f'_cc_x + {at}', f'_cc_y + {at}')}",
                  f"{INDENT}if _cc_o != _cc_k.CC_EQ:",
                  f"{INDENT * 2}return _cc_o"]
    lines.append(f"{INDENT}return _cc_k.CC_EQ")
    return lines


def field_table(spec: RecordSpec, layout: Layout) -> tuple[list, list]:
    fields, record = names.private(spec, "fields"), names.private(spec, "record")
    count = max(len(spec.fields), 1)
    decls = [f"# {spec.qualname}'s fields (declared order), for the record runtime",
             f"cdef _cc_k.cc_field {fields}[{count}]",
             f"cdef _cc_r.cc_record {record}"]
    lines = []
    for k, f in enumerate(spec.fields):
        lines.append(f"{fields}[{k}] = _cc_k.cc_field({c_bytes(f.name)}, "
                     f"{c_bytes(f.kind.name)}, {layout.slot(f.name).offset}, "
                     f"{f.kind.size}, {c_bytes(f.kind.buffer_code)}, {_field_flags(spec, f)}, "
                     f"&{ops_name(f.kind)}, NULL, NULL)")
    first = min((s.offset for s in layout.slots), default=0)
    flags = ["_cc_r.CC_RECORD_FROZEN"] if spec.options.frozen else []
    if not field_wise_eq(spec):
        flags.append("_cc_r.CC_RECORD_PY_EQ")
    if any(f.kind.compare_runs_python for f in spec.compare_fields):
        flags.append("_cc_r.CC_RECORD_PY_COMPARE")
    members = {"qualname": c_bytes(spec.qualname), "signature": c_bytes(spec.signature_text),
               "nfields": len(spec.fields), "fields": f"&{fields}[0]", "item_base": first,
               "flags": " | ".join(flags) or "0", "compare": names.private(spec, "compare")}
    lines += [f"{record}.{name} = {value}" for name, value in members.items()]
    return decls, lines


# --------------------------------------------------------------------------- hot paths

def _by_name(spec: RecordSpec, guard: str, action) -> list:
    """``if guard:`` then, for each field, ``if _cc_name is <its interned name>:`` and the
    lines action(field) gives."""
    lines = [f"{INDENT}if {guard}:"] if spec.fields else []
    for f in spec.fields:
        lines.append(f"{INDENT * 2}if _cc_name is {names.field_constant(spec, f, 'name')}:")
        lines += [INDENT * 3 + line for line in action(f)]
    return lines


def func_attro(spec: RecordSpec) -> list:
    """tp_getattro/tp_setattro: ``p.x`` on the exact type compares the (interned) attribute name
    against each field name by pointer and reads or writes the C field directly; any other
    name, object or failed compare takes the generic path (the getset descriptors)."""
    exact = f"_cc_r.cc_type_of(<void *>_cc_self) == <_cc_PyTypeObject *>{spec.name}"
    rec = f"(<{spec.name}>_cc_self)"
    lines = [f'cdef str {names.field_constant(spec, f, "name")} = "{f.name}"'
             for f in spec.fields]
    lines += ["", f"cdef object {names.private(spec, 'getattro')}(object _cc_self, "
                  f"object _cc_name):",
              *_by_name(spec, exact, lambda f: [f"return {f.kind.load(f'{rec}.{f.name}')}"]),
              f"{INDENT}return _cc_r.PyObject_GenericGetAttr(_cc_self, _cc_name)"]
    if spec.options.frozen:
        return lines
    def store(f):
        return [f.kind.store(f"{rec}.{f.name}", "<object>_cc_value", _where(spec, f)), "return 0"]
    return lines + ["", f"cdef int {names.private(spec, 'setattro')}(object _cc_self, "
                        f"object _cc_name, _cc_PyObject *_cc_value) except -1:",
                    *_by_name(spec, f"_cc_value != NULL and {exact}", store),
                    f"{INDENT}return _cc_r.PyObject_GenericSetAttr(_cc_self, _cc_name, _cc_value)"]


def func_fill(spec: RecordSpec) -> list:
    lines = [f"cdef int {names.private(spec, 'fill')}({spec.name} _cc_self, "
             f"_cc_PyObject **_cc_values) except -1:",
             f'{INDENT}"""Set every field from _cc_values[0..{len(spec.fields)}) (declared '
             f'order), checking each."""']
    for i, f in enumerate(spec.fields):
        if f.left_at_zero:      # holds its zero (the record's bytes start zeroed)
            continue
        if spec.attribute_hooks:    # as a dataclass's __init__: self.x = x, through __setattr__
            lines.append(f"{INDENT}setattr(_cc_self, {names.field_constant(spec, f, 'name')}, "
                         f"<object>_cc_values[{i}])")
            continue
        lines.append(INDENT + f.kind.store(f"_cc_self.{f.name}", f"<object>_cc_values[{i}]",
                                           _where(spec, f)))
    lines.append(f"{INDENT}return 0")
    return lines


def func_arguments(spec: RecordSpec) -> tuple[list, list]:
    """The tables gather_args reads: field names __init__ takes, positional fields, and the
    defaults (the record's ``defaults``, which @compact fills from the spec)."""
    if not generated_init(spec):
        return [], []
    count = max(len(spec.fields), 1)
    argnames, positional, defaults = (names.private(spec, w)
                                      for w in ("argnames", "positional", "defaults"))
    indices = [i for i, f in enumerate(spec.fields) if f.init and not f.kw_only]
    decls = [f"# How {spec.name}(...) arguments map to fields (declared order), for gather_args.",
             f"cdef _cc_PyObject *{argnames}[{count}]",
             f"cdef Py_ssize_t {positional}[{count}]",
             f"cdef _cc_PyObject *{defaults}[{count}]  # NULL until bound, and where required"]
    lines = []
    for i, f in enumerate(spec.fields):
        name = f"<_cc_PyObject *>{names.field_constant(spec, f, 'name')}" if f.init else "NULL"
        lines.append(f"{argnames}[{i}] = {name}")
    for k, i in enumerate(indices):
        lines.append(f"{positional}[{k}] = {i}")
    lines.append(f"{names.private(spec, 'record')}.defaults = &{defaults}[0]")
    return decls, lines


def func_vectorcall(spec: RecordSpec) -> list:
    if not generated_init(spec):
        return []
    count = max(len(spec.fields), 1)
    fill = names.private(spec, "fill")
    npositional = sum(1 for f in spec.fields if f.init and not f.kw_only)
    from_binder = [f"_cc_bound = _cc_r.checked_values(_cc_r.call_binder("
                   f"{names.private(spec, 'binder')}, _cc_args, _cc_nargsf, _cc_kwnames), "
                   f'{_bound_count(spec)}, "{spec.qualname}")',
                   f"{fill}(_cc_self, _cc_r.PySequence_Fast_ITEMS(_cc_bound))"]
    body = ["if _cc_r.cc_type_is_abstract(<_cc_PyTypeObject *>_cc_cls):",
            f"{INDENT}raise _cc_r.abstract_error(_cc_cls)",
            f"cdef {spec.name} _cc_self = {spec.name}.__new__({spec.name})",
            "cdef tuple _cc_bound"]
    if spec.init_vars:
        # InitVars are parameters but not fields: only the binder maps such a call
        body += from_binder
    else:
        body += [f"cdef _cc_PyObject *_cc_values[{count}]",
                 f"if _cc_r.gather_args(_cc_values, {len(spec.fields)}, _cc_args, "
                 f"_cc_r.PyVectorcall_NARGS(_cc_nargsf), _cc_kwnames, "
                 f"{names.private(spec, 'argnames')},",
                 f"{' ' * 22}{names.private(spec, 'positional')}, {npositional}, "
                 f"{names.private(spec, 'defaults')}) == 0:",
                 f"{INDENT}{fill}(_cc_self, _cc_values)",
                 "else:", *_indent(from_binder)]
    if spec.has_post_init:
        body.append(f"_cc_self.__post_init__({_init_var_args(spec, '_cc_bound')})")
    body.append("return _cc_self")
    return [f"cdef object {names.private(spec, 'vectorcall')}(object _cc_cls, "
            f"_cc_PyObject **_cc_args, size_t _cc_nargsf, _cc_PyObject *_cc_kwnames):",
            f'{INDENT}"""Calling {spec.name}(...): allocate from the arena and fill in one go."""',
            *_indent(body)]


def func_allocator(spec: RecordSpec) -> list:
    if not spec.gc_free:
        return []
    arena, t = names.private(spec, "arena"), f"<_cc_PyTypeObject *>{spec.name}"
    return [f"cdef _cc_arena *{arena} = NULL", "",
            f"cdef _cc_PyObject *{names.private(spec, 'alloc')}(_cc_PyTypeObject *_cc_t, "
            f"Py_ssize_t _cc_n) noexcept:",
            f"{INDENT}return _cc_r.record_alloc({arena}, _cc_t, {t}, _cc_n)", "",
            f"cdef void {names.private(spec, 'free')}(void *_cc_o) noexcept:",
            f"{INDENT}_cc_r.record_free({arena}, _cc_o, {t})"]


def module_setup(spec: RecordSpec) -> tuple[list, list]:
    t = f"<_cc_PyTypeObject *>{spec.name}"
    probe = names.private(spec, "probe")
    measured = [f.kind.c_offset(f"{probe}.{f.name}", probe) for f in spec.fields]
    offsets = ", ".join(expr for _, expr in measured)
    setattro = "NULL" if spec.options.frozen else names.private(spec, "setattro")
    decls = [f"{names.private(spec, 'binder')} = None  # set by @compact: a function with "
             f"{spec.name}'s __init__ signature",
             f"{names.private(spec, 'user')} = {{}}  # set by @compact: special methods from "
             f"the class body"]
    lines = [*([f"global {names.private(spec, 'arena')}"] if spec.gc_free else []),
             "# (an instance, to check where the C compiler placed each field)",
             f"cdef {spec.name} {probe} = {spec.name}.__new__({spec.name})",
             *[line for statements, _ in measured for line in statements],
             f"_cc_r.record_setup({spec.name}, &{names.private(spec, 'record')}, [{offsets}],",
             f"                   _cc_k.CC_RUNTIME_ABI)",
             f"{probe} = None",
             f"_cc_r.cc_type_set_attro({t}, {names.private(spec, 'getattro')}, {setattro})",
             # The arena hands out objects without a GC header: GC-free records only
             *([] if not spec.gc_free else [
                 "if _cc_r.CC_USE_ARENA:",
                 f"{INDENT}{names.private(spec, 'arena')} = _cc_r.new_type_arena({spec.name})",
                 f"{INDENT}_cc_r.cc_type_set_alloc({t}, {names.private(spec, 'alloc')}, "
                 f"{names.private(spec, 'free')})"])]
    if generated_init(spec):
        lines.append(f"_cc_r.cc_type_set_vectorcall({t}, "
                     f"<_cc_r.cc_vectorcall_fn>{names.private(spec, 'vectorcall')})")
    if spec.base is not None:
        lines.append(f"_cc_r.cc_type_inherit_richcompare({t})")
    return decls, lines


def record_pyx(spec: RecordSpec, layout: Layout) -> tuple:
    """The record's section of the .pyx (without its array): the module-level pieces, and the
    statements of its set-up function (each record's own function: one huge module init
    function is what a C compiler takes longest over)."""
    table_decls, table_setup = field_table(spec, layout)
    arg_decls, arg_setup = func_arguments(spec)
    setup_decls, setup = module_setup(spec)
    pieces = [pyx_class(spec), table_decls, arg_decls, setup_decls, func_compare(spec, layout),
              func_attro(spec),
              func_fill(spec), func_vectorcall(spec), func_allocator(spec)]
    lines = []
    for piece in filter(None, pieces):
        lines += [*piece, "", ""]
    return lines[:-2], table_setup + arg_setup + setup
