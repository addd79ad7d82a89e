"""Spec -> the pure-Python fallback class.

Used when no matching compiled build exists (or with COMPACTCLASS_PURE=1). It is a slotted
class whose methods are built from the same spec as the generated Cython code and follow the
same rules: the same checks and messages (compactclass.kinds), the same ``__init__`` signature
(compactclass.codegen.functions), and the dataclass methods the same plan gives
(compactclass.codegen.methods): repr, comparisons, hashing; pickles as compactclass.pickling.
"""
from __future__ import annotations

import functools

from ..codegen.functions import SELF, init_function, make_function, tuple_expr
from ..codegen.methods import Method, plan, python_source
from ..kinds.messages import delete_error
from ..messages import frozen_setter
from ..pickling import reduce_subclass, restore_v1
from ..spec import RecordSpec

__all__ = ["fallback_methods", "bind_methods"]


def _converter(spec: RecordSpec, f):
    return functools.partial(f.kind.convert, spec.where(f.name))


def _set_lines(spec: RecordSpec) -> list:
    return [f"__cc_set({SELF}, {f.name!r}, __cc_conv_{f.name}({f.name}))" for f in spec.fields]


def _converters_env(spec: RecordSpec) -> dict:
    env = {f"__cc_conv_{f.name}": _converter(spec, f) for f in spec.fields}
    env["__cc_set"] = object.__setattr__
    return env


def _init(spec: RecordSpec):
    args = ", ".join(f.name for f in spec.post_init_vars)
    tail = _set_lines(spec) + ([f"{SELF}.__post_init__({args})"] if spec.has_post_init else [])
    return init_function(spec, tail, _converters_env(spec))


def _setattr(spec: RecordSpec):
    env = {"__cc_converters": {f.name: _converter(spec, f) for f in spec.fields},
           "__cc_set": object.__setattr__}
    if spec.options.frozen:
        env["__cc_frozen"] = frozen_setter
        body = ["if name in __cc_converters:",
                f"    __cc_frozen({SELF}, name, False)",
                f"__cc_set({SELF}, name, value)"]
    else:
        body = ["convert = __cc_converters.get(name)",
                f"__cc_set({SELF}, name, value if convert is None else convert(value))"]
    return make_function("__setattr__", f"{spec.qualname}.__setattr__", [SELF, "name", "value"],
                         body, env, spec.module)


def _delattr(spec: RecordSpec):
    env = {"__cc_fields": frozenset(f.name for f in spec.fields), "__cc_del": object.__delattr__,
           "__cc_delete_error": delete_error, "__cc_frozen": frozen_setter,
           "__cc_qualname": spec.qualname}
    on_field = (f"__cc_frozen({SELF}, name, True)" if spec.options.frozen
                else "raise __cc_delete_error(f'{__cc_qualname}.{name}')")
    body = ["if name in __cc_fields:", f"    {on_field}", f"__cc_del({SELF}, name)"]
    return make_function("__delattr__", f"{spec.qualname}.__delattr__", [SELF, "name"], body, env,
                         spec.module)


def _planned(spec: RecordSpec, method: Method):
    params = [SELF] if method.name in ("__repr__", "__hash__") else [SELF, "other"]
    return make_function(method.name, f"{spec.qualname}.{method.name}", params,
                         python_source(method, SELF), {}, spec.module)


def _reduce(spec: RecordSpec, name: str = "__reduce__"):
    """__reduce__, or __reduce_ex__ (what pickle and copy call first) with the same body, as
    the compiled class has both."""
    values = tuple_expr(f"{SELF}.{f.name}" for f in spec.fields)
    params = [SELF] if name == "__reduce__" else [SELF, "protocol"]
    return make_function(name, f"{spec.qualname}.{name}", params,
                         [f"if not issubclass(type({SELF}), __cc_record):",
                          f"    raise TypeError(f\"descriptor '{name}' for "
                          f"'{spec.qualname}' objects doesn't apply to a "
                          f"'{{type({SELF}).__name__}}' object\")",
                          f"values = {values}",
                          f"cls = type({SELF})",
                          "if cls.__compact__.cls is cls:  # not a plain subclass",
                          f"    return __cc_restore, (cls, {spec.signature_text!r}, values)",
                          f"return __cc_reduce_subclass({SELF}, {spec.signature_text!r}, values)"],
                         {"__cc_restore": restore_v1, "__cc_reduce_subclass": reduce_subclass},
                         spec.module)


def _new(spec: RecordSpec):
    """__new__ of a record without a generated __init__ (init=False, or an __init__ in the class
    body): every field starts at its zero, as a compiled record's C fields do, and a call with
    arguments that no __init__ takes is refused, as object() refuses it."""
    zeros = tuple((f.name, f.kind.zero) for f in spec.fields)

    def __new__(cls, *args, **kwargs):
        if (args or kwargs) and cls.__init__ is object.__init__:
            raise TypeError(f"{cls.__name__}() takes no arguments")
        self = object.__new__(cls)
        for name, zero in zeros:
            object.__setattr__(self, name, zero)
        return self

    __new__.__qualname__ = f"{spec.qualname}.__new__"
    return __new__


def bind_methods(cls, methods: dict) -> None:
    """Give the methods that check their self (__reduce__ reads every field of it) the class
    they belong to: it exists only once they are in it."""
    for fn in methods.values():
        if fn is not None and "__cc_record" in getattr(fn, "__code__", _NO_CODE).co_names:
            fn.__globals__["__cc_record"] = cls


_NO_CODE = (lambda: None).__code__


def fallback_methods(spec: RecordSpec) -> dict:
    """The methods the fallback class gets from its options (user's own methods win)."""
    methods = {"__setattr__": _setattr(spec), "__delattr__": _delattr(spec),
               "__reduce__": _reduce(spec), "__reduce_ex__": _reduce(spec, "__reduce_ex__")}
    if spec.options.init and "__init__" not in spec.user_specials:
        methods["__init__"] = _init(spec)
    else:
        methods["__new__"] = _new(spec)
    for name, method in plan(spec).items():
        methods[name] = None if method is None else _planned(spec, method)
    return methods


def restore_fallback(cls, spec: RecordSpec, values: tuple, record: type):
    """A record from every field value in declared order (no __post_init__); cls is record or a
    class derived from it (its real MRO: a borrowed __compact__ does not count)."""
    if not isinstance(cls, type) or record not in type.__dict__["__mro__"].__get__(cls):
        raise TypeError(f"{spec.qualname}: cannot restore a record as {cls!r}, which does not "
                        f"derive from {spec.qualname}")
    if len(values) != len(spec.fields):
        raise ValueError(f"{spec.qualname}: expected {len(spec.fields)} field values, got "
                         f"{len(values)}")
    converted = [f.kind.convert(spec.where(f.name), value)
                 for f, value in zip(spec.fields, values)]
    obj = object.__new__(cls)
    for f, value in zip(spec.fields, converted):
        object.__setattr__(obj, f.name, value)
    return obj


def fallback_slots(spec: RecordSpec) -> tuple:
    slots = tuple(f.name for f in spec.own_fields)
    if spec.options.weakref_slot and not (spec.base and spec.base.weakref):
        slots += ("__weakref__",)
    return slots



