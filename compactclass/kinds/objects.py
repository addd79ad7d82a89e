"""Object fields: a field that holds a reference to a Python object.

- ``str`` and ``bytes`` (and ``Optional[str]``, ``str | None``, ...): the field holds an exact
  ``str``/``bytes`` (a subclass instance is stored as a plain copy, as an ``i32`` field stores
  ``int(v)`` of an ``IntEnum``), or ``None`` where the annotation allows it. Such an object
  cannot refer back to the record, so the record stays untracked by the GC.
- Any other annotation (``list``, ``list[int]``, ``dict``, a user's class, ``Any``, a union,
  ``Optional`` of any of those): an *object field*. It holds any object its annotation admits:
  where the annotation names runtime classes (``list[int]``: ``list``; ``A | B``; a user
  class), the value must be an instance of one of them (``None`` too, where ``None`` is one
  of the union's members), else a ``TypeError`` names the field; ``Any``, ``object``, type
  variables, protocols, ``Callable``, ``Literal`` and the like admit every value. Only the
  class is checked, never the parameters (``list[int]`` takes any list). Such a value can
  refer back to the record (``r.items.append(r)``), so the record is GC-tracked, with Cython's
  traverse and clear, and is allocated by CPython's GC allocator, not the arena.

Records with object fields have no record arrays (an item would hold references that bytes
cannot copy); ``==`` and ordering compare the objects as Python does (ordering through the
tuple of values when objects differ, so its errors are Python's), hashing hashes them.

Values are compared, hashed and pickled as Python objects; the zero of a field ``__init__``
does not set (``init=False`` without a default) is ``None``, as Cython initialises object
attributes.
"""
from __future__ import annotations

import hashlib
import re
import types
import typing

from .base import Kind, module_name
from .messages import type_error

__all__ = ["RefKind", "ObjectKind", "KINDS", "kind_of", "SUPPORTED_TEXT"]

_NONE = type(None)


class _Reference(Kind):
    """What every kind held by reference shares: 8 bytes holding a PyObject*, None as its
    zero, no arrays; through a pointer the runtime reaches it with _kinds' reference helpers
    (the generated code's struct member is typed, so Cython counts its references). A
    subclass gives ``_to(value, where)``, the Cython expression of the value to store, and
    ``_probe_value``."""

    plain_data = False
    zero = None
    c_type = "PyObject*"
    size = align = 8

    def _to(self, value: str, where: str) -> str:
        raise NotImplementedError

    def _probe_value(self, member: str) -> str:
        raise NotImplementedError

    def load(self, source: str) -> str:
        return source

    def store(self, target: str, value: str, where: str) -> str:
        return f"{target} = {self._to(value, where)}"

    def compare(self, a: str, b: str) -> str:
        return f"_cc_k.order_objects({a}, {b})"

    def c_offset(self, member: str, obj: str) -> tuple:
        # (Cython cannot take the address of an object attribute: give the member an object of
        # its own and find where the object points to it)
        return ([f"{member} = {self._probe_value(member)}"],
                f"_cc_r.ref_offset({obj}, {member})")

    def c_lvalue(self, pointer: str) -> str:
        return f"(<_cc_PyObject **>({pointer}))[0]"

    def load_at(self, pointer: str) -> str:
        return f"_cc_k.get_ref(<_cc_PyObject **>({pointer}))"

    def store_at(self, pointer: str, value: str, where: str) -> str:
        return f"_cc_k.set_ref(<_cc_PyObject **>({pointer}), {self._to(value, where)})"

    def compare_at(self, a: str, b: str) -> str:
        return self.compare(self.load_at(a), self.load_at(b))


class RefKind(_Reference):
    """``str`` or ``bytes`` held by reference (with ``None`` when optional)."""

    def __init__(self, python_type: type, optional: bool):
        self.python_type, self.optional = python_type, optional
        base = python_type.__name__
        self.name = f"Optional[{base}]" if optional else base
        self.ident = f"ref_{base}{'_opt' if optional else ''}"
        self._expected = f"{'a str' if base == 'str' else 'a bytes object'}" + \
            (" or None" if optional else "")

    @property
    def pyi_type(self) -> str:
        return f"{self.python_type.__name__} | None" if self.optional else \
            self.python_type.__name__

    def convert(self, where: str, value):
        if value is None and self.optional:
            return None
        if type(value) is self.python_type:
            return value
        if isinstance(value, self.python_type):     # a subclass: a plain copy
            return self.python_type.__str__(value) if self.python_type is str else \
                bytes(memoryview(typing.cast(bytes, value)))
        raise type_error(where, self.name, self._expected, value)

    def c_declaration(self, member: str) -> str:
        return f"{self.python_type.__name__} {member}"

    def _probe_value(self, member: str) -> str:
        return f'{"b" if self.python_type is bytes else ""}"{member}"'

    def _to(self, value: str, where: str) -> str:
        return (f"_cc_k.to_{self.python_type.__name__}({value}, {where}, "
                f"{int(self.optional)}, \"{self.name}\")")


def _type_text(annotation) -> str:
    """How an annotation reads in names and messages: ``list[int]``, ``geometry.Shape``."""
    if isinstance(annotation, type) and not isinstance(annotation, types.GenericAlias):
        if annotation.__module__ in ("builtins", "typing"):
            return annotation.__qualname__
        return f"{module_name(annotation)}.{annotation.__qualname__}"
    return repr(annotation).replace("typing.", "")


def _classes(annotation):
    """(classes the value must be an instance of, or None for any value, whether None is
    admitted)."""
    if annotation is typing.Any or annotation is object:
        return None, True
    origin = typing.get_origin(annotation)
    if origin is typing.Union or (hasattr(types, "UnionType") and origin is types.UnionType):
        found, admits_none = [], False
        for member in typing.get_args(annotation):
            if member is _NONE or member is None:
                admits_none = True
                continue
            classes, none = _classes(member)
            if classes is None:
                return None, True
            found += classes
            admits_none = admits_none or none
        return tuple(dict.fromkeys(found)), admits_none
    if origin is typing.Annotated:
        return _classes(typing.get_args(annotation)[0])
    if isinstance(origin, type):
        return (origin,), False
    if isinstance(annotation, type) and not isinstance(annotation, types.GenericAlias):
        if getattr(annotation, "_is_protocol", False) and \
                not getattr(annotation, "_is_runtime_protocol", False):
            return None, True
        return (annotation,), annotation is _NONE
    return None, True


def _is_type_expression(annotation) -> bool:
    """A class, or something of the typing machinery (Any, a union, a generic alias, a type
    variable, Literal[...]); not a number, a plain string, or a maker of kinds written without
    its parameters (a bare ``Str``)."""
    if getattr(annotation, "__compact_kind_maker__", False):
        return False
    if isinstance(annotation, (type, types.GenericAlias, typing.TypeVar)):
        return True
    if hasattr(types, "UnionType") and isinstance(annotation, types.UnionType):
        return True
    return type(annotation).__module__ == "typing"


class ObjectKind(_Reference):
    """An object field: any object its annotation's classes admit."""

    cyclic = True

    def __init__(self, annotation):
        self.annotation = annotation
        self.classes, self.admits_none = _classes(annotation)
        self.name = "object" if self.classes is None else _type_text(annotation)
        text = "any" if self.classes is None else ",".join(_type_text(c) for c in self.classes)
        text += "|None" if self.admits_none and self.classes is not None else ""
        digest = hashlib.sha256(text.encode()).hexdigest()[:8]
        self.ident = "obj" if self.classes is None else \
            f"obj_{re.sub(r'[^0-9A-Za-z]+', '_', self.name)[:24]}_{digest}"
        self._canonical = f"object:{text}"

    @property
    def canonical(self) -> str:
        return self._canonical

    @property
    def python_type(self):          # (the .pyi type is pyi_type)
        return object if self.classes is None else self.classes[0]

    @property
    def pyi_type(self) -> str:
        """The classes a value may be (builtins by name; other classes, whose module a stub
        would have to import, and unchecked annotations as ``typing.Any``)."""
        if self.classes is None or any(c.__module__ != "builtins" for c in self.classes):
            return "typing.Any"
        names = [c.__qualname__ for c in self.classes] + (["None"] if self.admits_none else [])
        return " | ".join(names)

    def _expected(self) -> str:
        names = [c.__qualname__ for c in self.classes]
        if self.admits_none:
            names.append("None")
        return "an instance of " + " or ".join(names)

    def convert(self, where: str, value):
        if self.classes is None or (value is None and self.admits_none) or \
                isinstance(value, self.classes):
            return value
        raise type_error(where, self.name, self._expected(), value)

    def _classes_name(self) -> str:
        return f"_cc_classes_{self.ident}"

    def bound_objects(self) -> dict:
        if self.classes is None:
            return {}
        return {self._classes_name(): self.classes}

    def c_declaration(self, member: str) -> str:
        return f"object {member}"

    def _probe_value(self, member: str) -> str:
        return "object()"

    def _to(self, value: str, where: str) -> str:
        if self.classes is None:
            return value
        return (f"_cc_k.to_instance({value}, {self._classes_name()}, {int(self.admits_none)}, "
                f"{where}, \"{self.name}\", \"{self._expected()}\")")


_REFS = {(t, optional): RefKind(t, optional) for t in (str, bytes) for optional in (False, True)}
_OBJECTS: dict = {}

KINDS = {k.name: k for k in _REFS.values()}


def optional_of(annotation):
    """T of Optional[T] / T | None (one non-None member), or None."""
    origin = typing.get_origin(annotation)
    if origin is typing.Union or (hasattr(types, "UnionType") and origin is types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not _NONE]
        if len(members) == 1 and len(typing.get_args(annotation)) == 2:
            return members[0]
    return None


def ref_kind_of(annotation):
    """The str/bytes reference kind of ``str``, ``bytes``, ``Optional[str]``..., or None."""
    optional = optional_of(annotation)
    target = annotation if optional is None else optional
    if target is str or target is bytes:
        return _REFS[(target, optional is not None)]
    return None


def kind_of(annotation):
    """The catch-all family (tried after every other): a reference kind for str/bytes, an
    object kind for any other type expression, None for what is no type (``x: 3``)."""
    found = ref_kind_of(annotation)
    if found is not None:
        return found
    if not _is_type_expression(annotation):
        return None
    try:
        key = (annotation, type(annotation))
        hash(key)
    except TypeError:
        return ObjectKind(annotation)
    if key not in _OBJECTS:
        _OBJECTS[key] = ObjectKind(annotation)
    return _OBJECTS[key]


SUPPORTED_TEXT = ("str and bytes (held by reference), Optional[str], Optional[bytes]; "
                  "Optional of the kinds above is not supported yet; any other class or typing annotation "
                  "(list[int], a user class, Any) as an object field, which makes the record "
                  "GC-tracked")
