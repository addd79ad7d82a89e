"""Python functions built from a spec by exec, as dataclasses.py builds __init__.

The record's ``__init__`` parameter list is built here once. The fallback class's ``__init__``
and the compiled class's *binder* (which turns any call into one value per field) both come
from :func:`init_function`, so both modes accept the same calls and raise the same errors.
"""
from __future__ import annotations

import linecache
from dataclasses import MISSING

from ..spec import RecordSpec

__all__ = ["HAS_FACTORY", "init_function", "make_function", "tuple_expr", "is_generated_file",
           "fixed_value"]


class _HasFactory:
    """Default of a parameter whose field has a default_factory."""

    def __repr__(self):
        return "<factory>"


HAS_FACTORY = _HasFactory()
SELF = "__cc_self"


_GENERATED = "<compactclass generated "


def is_generated_file(filename) -> bool:
    """Whether a code object's filename is that of a function made by make_function."""
    return isinstance(filename, str) and filename.startswith(_GENERATED)


def _cache_source(filename: str, source: str) -> str:
    """Put source into linecache under filename, as attrs does, so tracebacks and debuggers
    show its lines; a different source under a taken name gets a numbered name. (An mtime of
    None keeps linecache.checkcache from dropping the entry.)"""
    entry = (len(source), None, source.splitlines(True), filename)
    base, count = filename, 0
    while linecache.cache.setdefault(filename, entry) != entry:
        count += 1
        filename = f"{base[:-1]}-{count}>"
        entry = (*entry[:3], filename)
    return filename


def make_function(name: str, qualname: str, params: list, body: list, env: dict,
                  module: str = ""):
    """Define ``def name(params): body`` with globals ``env`` and the given __qualname__.

    The source is compiled under a filename naming the function (``<compactclass generated
    __init__ of geometry.Point>``, module when given) and kept in linecache."""
    source = f"def {name}({', '.join(params)}):\n" + "".join(f"    {line}\n" for line in body)
    owner = qualname.rpartition(".")[0] or qualname
    filename = _cache_source(f"{_GENERATED}{name} of {module + '.' if module else ''}{owner}>",
                             source)
    namespace: dict = {}
    exec(compile(source, filename, "exec"), dict(env), namespace)
    fn = namespace[name]
    fn.__qualname__ = qualname
    return fn


def tuple_expr(items) -> str:
    """Source of a tuple display: "()", "(a,)", "(a, b)"."""
    items = list(items)
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def init_parameters(spec: RecordSpec, env: dict) -> list:
    """The __init__ parameter list (after self): init fields and InitVars in dataclass order;
    defaults are referenced through ``env``."""
    positional: list[str] = []
    keyword: list[str] = []
    for f in spec.init_parameters:
        text = f.name
        if f.default is not MISSING:
            env[f"__cc_dflt_{f.name}"] = f.default
            text += f"=__cc_dflt_{f.name}"
        elif f.default_factory is not MISSING:
            text += "=__cc_HAS_FACTORY"
        (keyword if f.kw_only else positional).append(text)
    return positional + (["*", *keyword] if keyword else [])


def fixed_value(f):
    """The value field f takes when __init__ is not given one and no factory makes it: its
    default, the kind's zero for a field __init__ does not take, or MISSING (required, or a
    default_factory)."""
    if f.default is not MISSING:
        return f.default
    if not f.init and f.default_factory is MISSING:
        return f.kind.zero
    return MISSING


def field_value_lines(spec: RecordSpec, env: dict) -> list:
    """Lines that leave every field's value in a local of the field's name."""
    lines = []
    for i, f in enumerate(spec.fields):
        if f.default_factory is not MISSING:
            env[f"__cc_factory_{f.name}"] = f.default_factory
            call = f"__cc_factory_{f.name}()"
            lines.append(f"{f.name} = {call} if {f.name} is __cc_HAS_FACTORY else {f.name}"
                         if f.init else f"{f.name} = {call}")
        elif not f.init:
            env[f"__cc_dflt_{f.name}"] = fixed_value(f)
            lines.append(f"{f.name} = __cc_dflt_{f.name}")
    return lines


def init_function(spec: RecordSpec, tail: list, env: dict):
    """``__init__(self, <fields>)`` whose body resolves every field's value, then runs ``tail``.

    ``tail`` sees one local per field (declared order) and ``__cc_self``.
    """
    env = {**env, "__cc_HAS_FACTORY": HAS_FACTORY}
    params = [SELF, *init_parameters(spec, env)]
    body = field_value_lines(spec, env) + tail
    return make_function("__init__", f"{spec.qualname}.__init__", params, body or ["pass"], env,
                         spec.module)


def binder(spec: RecordSpec):
    """The compiled class's binder: returns every field's value in declared order, then the
    values of the InitVars __post_init__ takes."""
    values = "".join(f"{f.name}, " for f in spec.fields + spec.post_init_vars)
    return init_function(spec, [f"return ({values.rstrip()})"], {})
