"""Declaration -> spec: a plain, validated description of a record's fields and options.

Everything downstream (layout, generator, fallback, arrays, pickling) reads a RecordSpec; nothing
re-parses annotations. Errors name the file, the class and the field at fault.
"""
from __future__ import annotations

import dataclasses
import hashlib
import inspect
import keyword
import sys
import typing
from dataclasses import MISSING, dataclass
from typing import Any, Optional

from .errors import DeclarationError, DeclarationOverflowError, DeclarationValueError
from .kinds import Kind, kind_of_annotation, supported_text

__all__ = ["FieldSpec", "Options", "RecordSpec", "field", "build_spec", "OPTION_NAMES",
           "GENERATOR_VERSION"]

# Bumped whenever generated code changes shape, so builds from an older generator count as stale.
GENERATOR_VERSION = 14

OPTION_NAMES = ("init", "repr", "eq", "order", "unsafe_hash", "frozen", "match_args", "kw_only",
                "weakref_slot")

# Names a field may not take: the runtime and generated code own them.
RESERVED_FIELD_NAMES = frozenset({"Array"})
# Words the Cython language reserves beyond Python's keywords (Cython/Compiler/Scanning.py):
# a compiled record cannot declare a C attribute of that name.
CYTHON_KEYWORDS = frozenset({"cdef", "cpdef", "ctypedef", "cimport", "include", "DEF", "IF",
                             "ELIF", "ELSE"})

# Special methods a class body may define. Each one that CPython reaches through a type slot
# is compiled as a small trampoline that calls the user's function; the rest are looked up in
# the class dict and need nothing.
SLOT_SPECIALS = {
    # name: number of arguments after self (-1: *args, **kwargs)
    "__init__": -1, "__call__": -1,
    "__repr__": 0, "__str__": 0, "__hash__": 0, "__iter__": 0, "__next__": 0, "__len__": 0,
    "__bool__": 0, "__int__": 0, "__float__": 0, "__index__": 0, "__neg__": 0, "__pos__": 0,
    "__abs__": 0, "__invert__": 0,
    "__eq__": 1, "__ne__": 1, "__lt__": 1, "__le__": 1, "__gt__": 1, "__ge__": 1,
    "__getitem__": 1, "__contains__": 1, "__delitem__": 1,
    "__add__": 1, "__radd__": 1, "__sub__": 1, "__rsub__": 1, "__mul__": 1, "__rmul__": 1,
    "__truediv__": 1, "__rtruediv__": 1, "__floordiv__": 1, "__rfloordiv__": 1,
    "__mod__": 1, "__rmod__": 1, "__matmul__": 1, "__rmatmul__": 1,
    "__and__": 1, "__rand__": 1, "__or__": 1, "__ror__": 1, "__xor__": 1, "__rxor__": 1,
    "__lshift__": 1, "__rlshift__": 1, "__rshift__": 1, "__rrshift__": 1,
    "__setitem__": 2,
}
# Special methods a compact record cannot take from its class body.
FORBIDDEN_SPECIALS = ("__new__", "__getattribute__", "__getattr__",
                      "__del__", "__pow__", "__rpow__", "__divmod__",
                      "__rdivmod__", "__iadd__", "__isub__", "__imul__", "__get__", "__set__",
                      "__delete__", "__await__", "__aiter__", "__anext__", "__buffer__")


def field(*, default=MISSING, default_factory=MISSING, init=True, repr=True, compare=True,
          hash=None, kw_only=MISSING, metadata=None):
    """Describe one field of a compact record: ``dataclasses.field`` itself (the same
    ``dataclasses.Field``, so code that inspects it before the class is made works, and its
    ``metadata`` is the same live read-only view); a declaration may use either."""
    return dataclasses.field(default=default, default_factory=default_factory, init=init,
                             repr=repr, hash=hash, compare=compare, metadata=metadata,
                             kw_only=kw_only)


@dataclass(frozen=True)
class FieldSpec:
    """One field: its name, kind and dataclass-style flags."""

    name: str
    kind: Optional[Kind]   # None for an InitVar, which stores nothing
    annotation: Any = None
    # (MISSING cannot be a dataclass default: it means "no default" there)
    default: Any = dataclasses.field(default_factory=lambda: MISSING)
    default_factory: Any = dataclasses.field(default_factory=lambda: MISSING)
    init: bool = True
    repr: bool = True
    compare: bool = True
    hash: Optional[bool] = None
    kw_only: bool = False
    metadata: Any = None
    owner: str = ""          # qualname of the record that declared the field
    init_var: bool = False   # an InitVar: an __init__ parameter passed to __post_init__, not stored

    @property
    def has_default(self) -> bool:
        return self.default is not MISSING or self.default_factory is not MISSING

    @property
    def left_at_zero(self) -> bool:
        """A field __init__ does not set: ``init=False`` without a default or a factory. It
        holds its kind's zero from the record's creation on (None for a ``str``, which no write
        could store), and a second ``__init__`` on a live record leaves it as it is, as a
        dataclass's ``__init__`` leaves such a field."""
        return not self.init and not self.has_default

    def canonical(self) -> tuple:
        """Everything about the field that generated code depends on. Not its default: the
        compiled class takes defaults from the declaration when it is bound, so a changed
        default needs no rebuild (but whether __init__ sets the field at all is code)."""
        assert self.kind is not None        # (a stored field: InitVars are not canonical)
        return (self.name, self.kind.canonical, self.init, self.repr, self.compare, self.hash,
                self.kw_only) + (("left at zero",) if self.left_at_zero else ())


@dataclass(frozen=True)
class Options:
    """The @dataclass options a record was declared with."""

    init: bool = True
    repr: bool = True
    eq: bool = True
    order: bool = False
    unsafe_hash: bool = False
    frozen: bool = False
    match_args: bool = True
    kw_only: bool = False
    weakref_slot: bool = False


@dataclass(frozen=True)
class RecordSpec:
    """A validated record declaration: fields in dataclass order (inherited ones first)."""

    name: str
    qualname: str
    module: str
    file: Optional[str]
    fields: tuple
    options: Options
    base: Optional["RecordSpec"] = None
    hash_action: str = ""          # "", "none", "add" (see dataclasses' _hash_action table)
    user_specials: tuple = ()      # slot-backed special methods defined in the class body
    has_post_init: bool = False
    # InitVar pseudo-fields (FieldSpec with init_var, kind None), inherited ones first
    init_vars: tuple = ()
    # the names of fields and InitVars in dataclass order (where each InitVar sits among them)
    order: tuple = ()
    # inherited fields the class body declares again (a new default or flags, same storage)
    redeclared: tuple = ()
    # __setattr__/__delattr__ of a (non-frozen) record's body or its bases: every write,
    # __init__'s included, goes through them, as on a dataclass
    attribute_hooks: tuple = ()

    # -- views used by every consumer
    @property
    def own_fields(self) -> tuple:
        return self.fields[len(self.base.fields):] if self.base else self.fields

    @property
    def init_fields(self) -> tuple:
        return tuple(f for f in self.fields if f.init)

    @property
    def init_parameters(self) -> tuple:
        """What __init__ takes, in dataclass order: the init fields and the InitVars."""
        by_name = {f.name: f for f in self.fields + self.init_vars}
        return tuple(by_name[n] for n in self.order if by_name[n].init)

    @property
    def post_init_vars(self) -> tuple:
        """The InitVars __post_init__ is called with (none without a __post_init__)."""
        return self.init_vars if self.has_post_init else ()

    @property
    def compare_fields(self) -> tuple:
        return tuple(f for f in self.fields if f.compare)

    @property
    def repr_fields(self) -> tuple:
        return tuple(f for f in self.fields if f.repr)

    @property
    def hash_fields(self) -> tuple:
        return tuple(f for f in self.fields if (f.compare if f.hash is None else f.hash))

    @property
    def match_args(self) -> tuple:
        """The positional __init__ parameters, InitVars included, as dataclasses give them."""
        return tuple(f.name for f in self.init_parameters if not f.kw_only)

    @property
    def weakref(self) -> bool:
        return self.options.weakref_slot or (self.base is not None and self.base.weakref)

    def where(self, field_name: Optional[str] = None) -> str:
        return f"{self.qualname}.{field_name}" if field_name else self.qualname

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def signature_text(self) -> str:
        """"x:i32,y:i32" -- stored in pickles so a load can check it matches."""
        return ",".join(f"{f.name}:{f.kind.name}" for f in self.fields)

    @property
    def plain_data(self) -> bool:
        """No field holds an object reference: instances come from a GC-free arena, and the
        record has arrays, buffer exports and byte pickles."""
        return all(f.kind.plain_data for f in self.fields)

    @property
    def gc_free(self) -> bool:
        """No field can refer back to the record: instances are not GC-tracked and come from
        the type's arena."""
        return not any(f.kind.cyclic for f in self.fields)

    def canonical(self) -> tuple:
        return (GENERATOR_VERSION, self.name, tuple(f.canonical() for f in self.fields),
                dataclasses.astuple(self.options), self.base.schema_hash() if self.base else None,
                self.hash_action, self.user_specials, self.has_post_init,
                tuple(f.name for f in self.init_vars), self.order, self.redeclared,
                self.attribute_hooks)

    def schema_hash(self) -> str:
        """A fingerprint of everything the generated code depends on (a stale build differs)."""
        return hashlib.sha256(repr(self.canonical()).encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- building


def _declared_at(cls) -> str:
    module = sys.modules.get(cls.__module__)
    path = getattr(module, "__file__", None)
    try:
        line = inspect.getsourcelines(cls)[1]
    except (OSError, TypeError):
        line = None
    place = f"{path}:{line}" if path and line else (path or cls.__module__)
    return f"{place}: class {cls.__qualname__}"


def _resolve_annotation(cls, name, annotation, where):
    if not isinstance(annotation, str):
        return annotation
    module = sys.modules.get(cls.__module__)
    namespace = dict(vars(module)) if module else {}
    try:
        return eval(annotation, namespace, dict(vars(cls)))
    except Exception as exc:
        hint = ""
        if isinstance(exc, NameError) and exc.name == cls.__name__:
            hint = (": a record cannot hold itself (its fields are laid out when it is declared; "
                    f"Optional[{exc.name!r}] holds a reference, as an object field)")
        elif isinstance(exc, NameError):
            hint = (": a field's type must be defined before the record that uses it (a record "
                    "declared later cannot be stored in it)")
        raise DeclarationError(f"{where}, field {name!r}: cannot evaluate annotation "
                               f"{annotation!r}: {exc}{hint}") from None


def _is_classvar(annotation) -> bool:
    return annotation is typing.ClassVar or typing.get_origin(annotation) is typing.ClassVar


class _LayoutProbe:
    __slots__ = ("_cc_probe",)


def _check_mixins(mixins, where) -> None:
    """Bases other than a record may lend methods (mixins, abc.ABC, Protocol, Generic[T]) but
    not instance state: a record's C layout is its own and its record base's."""
    try:        # (typing.Generic adds no state, but refuses to be a base without parameters)
        type("_cc_probe", (_LayoutProbe, *[b for b in mixins if b is not typing.Generic]),
             {"__slots__": ()})
    except TypeError as exc:
        names = ", ".join(b.__qualname__ for b in mixins)
        raise DeclarationError(f"{where}: multiple bases have instance lay-out conflict: a "
                               f"compact record's bases other than a record ({names}) may "
                               f"define methods but no instance state (no __slots__ with "
                               f"names, no C layout): {exc}") from None


def _check_frozen_inheritance(base_frozen: bool, options: Options, where) -> None:
    if base_frozen != options.frozen:       # dataclasses' words
        raise DeclarationError(f"{where}: cannot inherit {'non-' if base_frozen else ''}frozen "
                               f"dataclass from a {'' if base_frozen else 'non-'}frozen one")


def _base_spec(cls, options: Options, where) -> Optional[RecordSpec]:
    bases = [b for b in cls.__bases__ if b is not object]
    compact_bases = [b for b in bases if "__compact__" in vars(b)]
    mixins = [b for b in bases if b not in compact_bases]
    for b in mixins:
        record = next((k for k in b.__mro__ if "__compact__" in vars(k)), None)
        if record is None:
            continue
        _check_frozen_inheritance(record.__compact__.spec.options.frozen, options, where)
        raise DeclarationError(f"{where}: base {b.__qualname__} derives from compact record "
                               f"{record.__qualname__} but is not a compact record itself: a "
                               f"record's record base must be declared with @compact (a plain "
                               f"class between two records is not supported)")
    if mixins:
        _check_mixins(mixins, where)
    if len(compact_bases) > 1:
        raise DeclarationError(f"{where}: multiple bases have instance lay-out conflict (a "
                               f"compact record can inherit from one compact record only)")
    return compact_bases[0].__compact__.spec if compact_bases else None


def _make_field(cls, spec_name, name, annotation, value, kw_only_default, where) -> FieldSpec:
    fwhere = f"{where}, field {name!r}"
    if keyword.iskeyword(name) or (name.startswith("__") and name.endswith("__")) \
            or name.startswith("__cc_") or name in RESERVED_FIELD_NAMES:
        raise DeclarationError(f"{fwhere}: the name is reserved (dunder names, names starting "
                               f"with __cc_, and {', '.join(sorted(RESERVED_FIELD_NAMES))} "
                               f"cannot be fields)")
    if name in CYTHON_KEYWORDS:
        raise DeclarationError(f"{fwhere}: the name is reserved: {name!r} is a Cython keyword, "
                               f"so the compiled record cannot have a field of that name")
    try:
        kind = kind_of_annotation(annotation)
    except DeclarationError as exc:     # a family refusing its own kind of annotation
        raise type(exc)(f"{fwhere}: {exc}") from None
    if kind is None:
        raise DeclarationError(f"{fwhere}: unsupported annotation {annotation!r}; supported field "
                               f"types are {supported_text()}")
    info = value if isinstance(value, dataclasses.Field) else field(default=value)
    if info.default is not MISSING and info.default_factory is not MISSING:
        raise DeclarationValueError(f"{fwhere}: cannot specify both default and default_factory")
    if info.default_factory is not MISSING and not callable(info.default_factory):
        raise DeclarationError(f"{fwhere}: default_factory must be callable, got "
                               f"{info.default_factory!r}")
    default = info.default
    if default is not MISSING:
        if type(default).__hash__ is None:
            raise DeclarationValueError(f"{fwhere}: mutable default {type(default)} for field "
                                        f"{name} is not allowed: use default_factory")
        try:
            default = kind.convert(f"{spec_name}.{name}", default)
        except (TypeError, OverflowError, ValueError) as exc:
            error = (DeclarationOverflowError if isinstance(exc, OverflowError) else
                     DeclarationValueError if isinstance(exc, ValueError) else DeclarationError)
            raise error(f"{fwhere}: invalid default {default!r}: {exc}") from None
    metadata = info.metadata        # (dataclasses' live read-only view of the given mapping)
    kw_only = kw_only_default if info.kw_only is MISSING else bool(info.kw_only)
    return FieldSpec(name=name, kind=kind, annotation=annotation, default=default,
                     default_factory=info.default_factory, init=bool(info.init),
                     repr=bool(info.repr), compare=bool(info.compare), hash=info.hash,
                     kw_only=kw_only, metadata=metadata, owner=cls.__qualname__)


def _make_init_var(cls, name, annotation, value, kw_only_default, where) -> FieldSpec:
    """An InitVar pseudo-field: as dataclasses, its value is not checked or stored, only
    passed to __post_init__; a field() may give its default and kw_only."""
    fwhere = f"{where}, field {name!r}"
    info = value if isinstance(value, dataclasses.Field) else field(default=value)
    if info.default_factory is not MISSING:
        raise DeclarationValueError(f"{fwhere}: field {name} cannot have a default factory (it "
                                    f"is an InitVar)")
    if info.default is not MISSING and type(info.default).__hash__ is None:
        raise DeclarationValueError(f"{fwhere}: mutable default {type(info.default)} for field "
                                    f"{name} is not allowed: use default_factory")
    kw_only = kw_only_default if info.kw_only is MISSING else bool(info.kw_only)
    return FieldSpec(name=name, kind=None, annotation=annotation, default=info.default,
                     kw_only=kw_only, owner=cls.__qualname__, init_var=True, repr=False,
                     compare=False)


def _check_class_variable(name, value, fwhere) -> None:
    """As dataclasses: a ClassVar given a field() takes its default as the class attribute (see
    binding), and cannot have a factory or be keyword-only."""
    if not isinstance(value, dataclasses.Field):
        return
    if value.default_factory is not MISSING:
        raise DeclarationError(f"{fwhere}: field {name} cannot have a default factory (it is a "
                               f"ClassVar)")
    if value.kw_only is not MISSING:
        raise DeclarationError(f"{fwhere}: field {name} is a ClassVar but specifies kw_only")


def _own_fields(cls, options: Options, where) -> list:
    namespace = vars(cls)
    annotations = namespace.get("__annotations__", {})
    fields, kw_only, marker = [], options.kw_only, None
    for name, raw in annotations.items():
        annotation = _resolve_annotation(cls, name, raw, where)
        if annotation is dataclasses.KW_ONLY:
            if marker is not None:  # as dataclasses: a second marker is a mistake
                raise DeclarationError(f"{where}, field {name!r}: {name!r} is KW_ONLY, but KW_ONLY "
                                       f"has already been specified (field {marker!r})")
            kw_only, marker = True, name
            continue
        if _is_classvar(annotation):
            _check_class_variable(name, namespace.get(name, MISSING), f"{where}, field {name!r}")
            continue
        if isinstance(annotation, dataclasses.InitVar) or annotation is dataclasses.InitVar:
            fields.append(_make_init_var(cls, name, annotation, namespace.get(name, MISSING),
                                         kw_only, where))
            continue
        fields.append(_make_field(cls, cls.__qualname__, name, annotation,
                                  namespace.get(name, MISSING), kw_only, where))
    for name, value in namespace.items():
        if isinstance(value, dataclasses.Field) and name not in annotations:
            raise DeclarationError(f"{where}: {name!r} is a field but has no type annotation")
    return fields


def _check_field_order(fields, where):
    """As dataclasses: among the positional __init__ parameters (fields and InitVars, in
    dataclass order), none without a default follows one with."""
    seen_default = None
    for f in fields:
        if not f.init or f.kw_only:
            continue
        if f.has_default:
            seen_default = f
        elif seen_default is not None:
            raise DeclarationError(f"{where}, field {f.name!r}: non-default argument "
                                   f"{f.name!r} follows default argument {seen_default.name!r}")


def _hash_action(options: Options, cls, where) -> str:
    class_hash = vars(cls).get("__hash__", MISSING)
    explicit = not (class_hash is MISSING or (class_hash is None and "__eq__" in vars(cls)))
    if options.unsafe_hash:
        if explicit:
            raise DeclarationError(f"{where}: Cannot overwrite attribute __hash__ in class "
                                   f"{cls.__name__}")
        return "add"
    if not options.eq or explicit:
        return ""
    return "add" if options.frozen else "none"


def _user_specials(cls, options: Options, where) -> tuple:
    namespace = vars(cls)
    if options.frozen:
        for name in ("__setattr__", "__delattr__"):
            if name in namespace:       # dataclasses' words
                raise DeclarationError(f"{where}: Cannot overwrite attribute {name} in class "
                                       f"{cls.__name__}")
    for name in FORBIDDEN_SPECIALS:
        if name in namespace:
            raise DeclarationError(f"{where}: compact records cannot define {name}")
    if options.order:
        for name in ("__lt__", "__le__", "__gt__", "__ge__"):
            if name in namespace:
                raise DeclarationError(f"{where}: Cannot overwrite attribute {name} in class "
                                       f"{cls.__name__}. Consider using "
                                       f"functools.total_ordering")
    found = []
    for name in SLOT_SPECIALS:
        value = namespace.get(name, MISSING)
        if value is MISSING or value is None:
            continue
        found.append(name)
    return tuple(found)


def check_options(options: dict, cls=None) -> Options:
    """Validate @compact's options; errors name the declared class when it is given."""
    where = f"{_declared_at(cls)}: " if cls is not None else ""
    options = dict(options)
    if "slots" in options:      # as @dataclass(slots=True): a one-word change of decorator
        if not options.pop("slots"):
            raise DeclarationError(f"{where}compact() got slots=False: a compact record is always "
                                   f"slotted (its fields are C values stored in the instance, "
                                   f"and it has no __dict__)")
    unknown = sorted(set(options) - set(OPTION_NAMES))
    if unknown:
        raise DeclarationError(f"{where}compact() got unexpected option(s) "
                               f"{', '.join(map(repr, unknown))}; valid options are "
                               f"{', '.join(OPTION_NAMES)} (and slots=True)")
    opts = Options(**{k: bool(v) for k, v in options.items()})
    if opts.order and not opts.eq:
        raise DeclarationValueError(f"{where}eq must be true if order is true")
    return opts


def build_spec(cls, options: Options) -> RecordSpec:
    """Validate a declared class and describe it. Raises DeclarationError (or its ValueError
    and OverflowError subclasses)."""
    where = _declared_at(cls)
    if "__slots__" in vars(cls):
        raise DeclarationError(f"{where}: already specifies __slots__ (compact records store their "
                               f"fields in C)")
    base = _base_spec(cls, options, where)
    if base is not None:
        _check_frozen_inheritance(base.options.frozen, options, where)
    declared = _own_fields(cls, options, where)
    fields = list(base.fields if base else ())
    redeclared = []
    for f in declared:
        index = next((k for k, b in enumerate(fields) if b.name == f.name), None)
        if index is None:
            if base and any(b.name == f.name for b in base.init_vars):
                raise DeclarationError(f"{where}, field {f.name!r}: already an InitVar of base "
                                       f"record {base.qualname}")
            continue
        inherited = fields[index]
        assert base is not None                 # (fields[index] is an inherited field)
        if f.init_var or f.kind.name != inherited.kind.name or \
                f.kind.c_type != inherited.kind.c_type:
            raise DeclarationError(
                f"{where}, field {f.name!r}: base record {base.qualname} stores it as "
                f"{inherited.kind.name}; a derived record may redeclare an inherited field with "
                f"a new default or field() flags, but not as "
                f"{'an InitVar' if f.init_var else f.kind.name} (its C storage is the base's)")
        # as dataclasses: the field keeps its place, with the new declaration's default and flags
        fields[index] = dataclasses.replace(f, kind=inherited.kind, owner=inherited.owner)
        redeclared.append(f.name)
    declared = [f for f in declared if f.name not in redeclared]
    own = tuple(f for f in declared if not f.init_var)
    init_vars = (base.init_vars if base else ()) + tuple(f for f in declared if f.init_var)
    stored = tuple(fields) + own
    order = (base.order if base else ()) + tuple(f.name for f in declared)
    by_name = {f.name: f for f in stored + init_vars}
    _check_field_order([by_name[n] for n in order], where)
    module = sys.modules.get(cls.__module__)
    return RecordSpec(
        name=cls.__name__, qualname=cls.__qualname__, module=cls.__module__,
        file=getattr(module, "__file__", None), fields=stored, options=options, base=base,
        hash_action=_hash_action(options, cls, where),
        user_specials=_user_specials(cls, options, where),
        has_post_init=callable(getattr(cls, "__post_init__", None)),
        init_vars=init_vars, order=order, redeclared=tuple(redeclared),
        attribute_hooks=tuple(sorted(set(base.attribute_hooks if base else ()) |
                                     {n for n in ("__setattr__", "__delattr__")
                                      if n in vars(cls)})),
    )
