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

__all__ = ["fallback_methods", "bind_methods", "check_fields", "CheckedSlot", "raw_slot",
           "frozen_attribute_methods", "without_dict"]


def _converter(spec: RecordSpec, f):
    return functools.partial(f.kind.convert, spec.where(f.name))


class CheckedSlot(property):
    """A fallback record's field on its class: a property over the slot (``slot``, a member
    descriptor) that keeps the rules a compiled record's field follows. Reads go straight to
    the slot (a C call). ``assign`` converts and checks a value and stores it: what __init__
    and the record's __setattr__ call, and what writing through the property itself
    (``object.__setattr__(record, name, value)``) does, as a compiled record's field
    descriptor checks, frozen or not (a frozen record's own __setattr__ refuses plain writes,
    as a frozen dataclass's does). What needs no check (zeros, converted
    values) the runtime writes through ``slot``. (Before 3.13 a compiled record that is not
    frozen refuses object.__setattr__, as README documents: CPython's check of its C-level
    setattr.)"""

    def __init__(self, slot, convert, name: str, owner: type):
        super().__init__(slot.__get__, self._write, self._remove)
        self.slot, self.convert, self.name, self.owner = slot, convert, name, owner

    def assign(self, obj, value) -> None:
        self.slot.__set__(obj, self.convert(value))

    def _foreign(self, obj) -> bool:
        return not isinstance(obj, self.slot.__objclass__)

    def _write(self, obj, value):
        if self._foreign(obj):
            self.slot.__set__(obj, value)       # raises the slot's TypeError
        self.assign(obj, value)

    def _remove(self, obj):
        if self._foreign(obj):
            self.slot.__delete__(obj)           # raises the slot's TypeError
        raise delete_error(f"{self.owner.__qualname__}.{self.name}")


def raw_slot(cls, name: str):
    """The slot (member descriptor) behind field ``name`` of fallback class ``cls``."""
    found = getattr(cls, name)
    return getattr(found, "slot", found)


def check_fields(cls, spec: RecordSpec, methods: dict) -> None:
    """Make every field of fallback class ``cls`` (inherited ones too: errors name ``cls``'s
    record, as the compiled class's own field table does) a :class:`CheckedSlot`, and give the
    methods that write fields (``methods``: __init__, __setattr__, __new__) the slots."""
    slots = {}
    for f in spec.fields:
        slot = raw_slot(cls, f.name)            # (a base's CheckedSlot wraps it)
        slots[f.name] = CheckedSlot(slot, _converter(spec, f), f.name, cls)
        setattr(cls, f.name, slots[f.name])
    for fn in methods.values():
        found = getattr(fn, "__globals__", {}).get("__cc_slots")
        if found is not None:
            found.update(slots)
    zeroed = getattr(methods.get("__new__"), "__cc_zeroed__", None)
    if zeroed is not None:
        names, setters = zeroed
        setters[:] = [slots[name].slot.__set__ for name in names]


def _set_lines(spec: RecordSpec) -> list:
    if spec.attribute_hooks:    # as a dataclass's __init__: self.x = x, through __setattr__
        return [f"{SELF}.{f.name} = {f.name}" for f in spec.fields if not f.left_at_zero]
    return [f"__cc_slots[{f.name!r}].assign({SELF}, {f.name})" for f in spec.fields
            if not f.left_at_zero]


def _init(spec: RecordSpec):
    args = ", ".join(f.name for f in spec.post_init_vars)
    tail = _set_lines(spec)
    if spec.has_post_init:
        tail.append(f"{SELF}.__post_init__({args})")
    return init_function(spec, tail, {"__cc_slots": {}})


def frozen_attribute_methods(spec: RecordSpec) -> dict:
    """A frozen record's ``__setattr__`` and ``__delattr__``, for both modes (the compiled class
    runs them through CPython's slot for a Python ``__setattr__``): as a frozen dataclass's, any
    name on the record's own class and a field name on a subclass raise FrozenInstanceError;
    other names go to object's. ``object.__setattr__`` reaches the field itself, which writes
    the value checked, as on a frozen dataclass. ``__cc_record`` is the class, set once it
    exists (bind_methods)."""
    env = {"__cc_fields": frozenset(f.name for f in spec.fields), "__cc_frozen": frozen_setter,
           "__cc_set": object.__setattr__, "__cc_del": object.__delattr__}
    made = {}
    for name, params, deleting, call in (("__setattr__", "name, value", False, "__cc_set"),
                                         ("__delattr__", "name", True, "__cc_del")):
        body = [f"if type({SELF}) is __cc_record or name in __cc_fields:",
                f"    __cc_frozen({SELF}, name, {deleting})",
                f"{call}({SELF}, {params})"]
        made[name] = make_function(name, f"{spec.qualname}.{name}", [SELF, *params.split(", ")],
                                   body, env, spec.module)
    return made


def _setattr(spec: RecordSpec):
    env = {"__cc_set": object.__setattr__, "__cc_slots": {}}
    body = ["slot = __cc_slots.get(name)",
            "if slot is None:",
            f"    __cc_set({SELF}, name, value)",
            "else:",
            f"    slot.assign({SELF}, value)"]
    return make_function("__setattr__", f"{spec.qualname}.__setattr__", [SELF, "name", "value"],
                         body, env, spec.module)


def _delattr(spec: RecordSpec):
    env = {"__cc_fields": frozenset(f.name for f in spec.fields), "__cc_del": object.__delattr__,
           "__cc_delete_error": delete_error, "__cc_qualname": spec.qualname}
    body = ["if name in __cc_fields:", "    raise __cc_delete_error(f'{__cc_qualname}.{name}')",
            f"__cc_del({SELF}, name)"]
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


def _new(spec: RecordSpec, fields: tuple):
    """__new__ of a record whose ``fields`` start at their zero, as a compiled record's C fields
    do: every field of a record without a generated __init__ (init=False, or an __init__ in
    the class body), else those __init__ leaves (``FieldSpec.left_at_zero``). A call with arguments
    that no __init__ takes is refused, as object() refuses it."""
    zeros = tuple(f.kind.zero for f in fields)
    setters: list = []      # the fields' slots' __set__ (unchecked), once the class exists

    def __new__(cls, /, *args, **kwargs):      # (a field may be named cls)
        if (args or kwargs) and cls.__init__ is object.__init__:
            raise TypeError(f"{cls.__name__}() takes no arguments")
        self = object.__new__(cls)
        for set_zero, zero in zip(setters, zeros):
            set_zero(self, zero)
        return self

    zeroed = (tuple(f.name for f in fields), setters)
    __new__.__cc_zeroed__ = zeroed  # type: ignore[attr-defined]  # a function's own attribute

    __new__.__qualname__ = f"{spec.qualname}.__new__"
    return __new__


def bind_methods(cls, methods: dict) -> None:
    """Give the methods that check their self (__reduce__ reads every field of it) the class
    they belong to: it exists only once they are in it (the compiled class for the frozen
    attribute methods it borrows)."""
    for fn in methods.values():
        if fn is not None and "__cc_record" in getattr(fn, "__code__", _NO_CODE).co_names:
            fn.__globals__["__cc_record"] = cls


_NO_CODE = (lambda: None).__code__


def _setattr_without_dict(obj, name, value):
    """object.__setattr__ as on a class without __dict__: only what the class defines as a data
    descriptor (a field, a property with a setter) takes a value."""
    for klass in type(obj).__mro__:
        if name in vars(klass):
            if hasattr(type(vars(klass)[name]), "__set__"):
                return object.__setattr__(obj, name, value)
            break
    raise AttributeError(f"'{type(obj).__name__}' object has no attribute '{name}'")


def _no_dict(obj):
    raise AttributeError(f"'{type(obj).__name__}' object has no attribute '__dict__'")


def without_dict(bases: tuple, attrs: dict, methods: dict) -> None:
    """A base without __slots__ (a mixin, a Protocol) gives a Python class a __dict__; a compiled
    record has none. When ``bases`` lend one, the fallback class (namespace ``attrs``, generated
    ``methods``) hides it and its __setattr__ refuses a name that is not the class's, so both
    modes take and refuse the same attributes."""
    if not any(b.__dictoffset__ for b in bases):
        return
    attrs["__dict__"] = property(_no_dict)
    for fn in methods.values():
        env = getattr(fn, "__globals__", {})
        if env.get("__cc_set") is object.__setattr__:
            env["__cc_set"] = _setattr_without_dict


def fallback_methods(spec: RecordSpec) -> dict:
    """The methods the fallback class gets from its options (user's own methods win)."""
    methods = frozen_attribute_methods(spec) if spec.options.frozen else \
        {"__setattr__": _setattr(spec), "__delattr__": _delattr(spec)}
    for name in spec.attribute_hooks:   # the body's own (or its base's): object's checks fields
        methods.pop(name)
    methods.update({"__reduce__": _reduce(spec), "__reduce_ex__": _reduce(spec, "__reduce_ex__")})
    if spec.options.init and "__init__" not in spec.user_specials:
        methods["__init__"] = _init(spec)
        zeroed = tuple(f for f in spec.fields if f.left_at_zero)
        if zeroed:
            methods["__new__"] = _new(spec, zeroed)
    else:
        methods["__new__"] = _new(spec, spec.fields)
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
    obj: object = object.__new__(cls)
    for f, value in zip(spec.fields, converted):
        vars(record)[f.name].slot.__set__(obj, value)      # converted already
    return obj


def fallback_slots(spec: RecordSpec) -> tuple:
    slots = tuple(f.name for f in spec.own_fields)
    if spec.options.weakref_slot and not (spec.base and spec.base.weakref):
        slots += ("__weakref__",)
    return slots



