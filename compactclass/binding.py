"""Spec -> a usable class: the compiled class bound to its declaration, or the fallback.

``@compact`` calls :func:`make_record`. It builds the spec, imports the compiled module
``<module>_compact`` if one exists, checks that it was generated from this very declaration
(schema hash), and binds it: the class body's methods, properties and constants, the dataclass
metadata and the record's name (``geometry.Point``) go onto the compiled type. Without a
matching build it builds the fallback class from the same spec. A stale build is never used:
it gives a StaleBuildWarning and the fallback.

Why a record is the fallback is kept as ``cls.__compact__.fallback_reason`` (``python -m
compactclass status`` prints it). Some reasons are fallback by design: pure mode
(COMPACTCLASS_PURE=1 or :class:`pure_mode`, which builds use), a nested class, a subinterpreter,
a record declared in ``__main__`` without a file. The others mean a build is missing or unusable
(no compiled module, a stale, damaged or failing one, compactclass's own runtime not installed,
a base or a nested record that is not compiled): in strict mode (COMPACTCLASS_STRICT=1,
:func:`set_strict` or ``@compact(strict=True)``) those raise :class:`CompiledBuildRequired` at
the ``@compact`` line instead.
"""
from __future__ import annotations

import dataclasses
import functools
import importlib
import importlib.machinery
import importlib.util
import inspect
import os
import shlex
import sys
import threading
import types
import warnings
import weakref
from typing import Any, Optional

from . import files
from .array_format import item_layout
from .arrays import ArrayInfo, NoArray
from .codegen import names
from .codegen.arrays import has_array
from .codegen.kinds import BIND_OBJECTS, bound_objects
from .codegen.methods import plan
from .codegen.records import generated_init
from .codegen.functions import binder, fixed_value
from .errors import DeclarationError
from .layout import compute_layout, place_presence
from .messages import frozen_setter
from .pickling import frozen_state_methods, has_own_state, reduce_with_state
from .pure import arrays as pure_arrays
from .pure import records as fallback
from .spec import RecordSpec, build_spec

__all__ = ["RecordInfo", "StaleBuildWarning", "SubinterpreterWarning", "CompiledBuildRequired",
           "make_record", "frozen_setter", "import_declaration", "compiled_module_name",
           "records_of_module", "pure_mode", "set_strict", "strict_suspended",
           "runtime_installed"]


class StaleBuildWarning(UserWarning):
    """A compiled module exists but was generated from a different declaration."""


class CompiledBuildRequired(ImportError):
    """Strict mode: a record would be the pure-Python fallback because its build is missing or
    unusable. ``record`` is its dotted name (``geometry.Point``), ``reason`` why (with the
    command that fixes it), ``name`` the compiled module and ``path`` the declaration file."""

    def __init__(self, message, *, record, reason, name=None, path=None):
        super().__init__(message, name=name, path=path)
        self.record, self.reason = record, reason

    def __reduce__(self):
        return (_rebuild_required, (str(self), self.record, self.reason, self.name, self.path))


def _rebuild_required(message, record, reason, name, path):
    return CompiledBuildRequired(message, record=record, reason=reason, name=name, path=path)


class RecordInfo:
    """What compactclass knows about a record class; found as ``cls.__compact__``."""

    __slots__ = ("spec", "layout", "compiled", "module", "twin", "cls", "_restore", "_fallback",
                 "signature", "nfields", "_item",
                 "user_class", "fallback_reason", "_by_design")

    def __init__(self, spec, compiled, module, twin, user_class, why=None):
        self.spec = spec
        # why this record is the fallback (None when compiled): a short phrase a user reads,
        # with the command that fixes it where one does
        self.fallback_reason = why.reason if why is not None else None
        self._by_design = why.by_design if why is not None else False
        self.layout = compute_layout(spec)
        self.compiled = compiled
        self.module = module            # the compiled module, or None
        self.twin = twin                # a plain @dataclass(slots=True) with the same fields
        self.user_class = user_class    # the class as the declaration's class statement made it
        self.cls = None
        self._restore = None            # (values, cls) -> record: unpickling, copying
        self.signature = spec.signature_text   # checked against every pickle
        self.nfields = len(spec.fields)
        self._fallback = None
        self._item = None

    @property
    def item(self):
        """The layout of one item of the record's arrays (array_format.ItemLayout), or None
        for a record without arrays."""
        if self._item is None and has_array(self.spec):
            self._item = item_layout(self.layout)
        return self._item

    def restore(self, values: tuple, cls=None):
        return self._restore(values, cls or self.cls)

    def fallback_class(self):
        """This record's fallback class (itself when not compiled)."""
        if not self.compiled:
            return self.cls
        if self._fallback is None:
            self._fallback = _build_fallback(self.spec, self.user_class, _AS_TWIN)
        return self._fallback

    def __repr__(self):
        mode = f"compiled in {self.module.__name__}" if self.compiled else "pure-Python fallback"
        return f"<compact record {self.spec.module}.{self.spec.qualname}: {mode}>"


# --------------------------------------------------------------------------- shared helpers

def _replace(self, /, **changes):
    return dataclasses.replace(self, **changes)


_state = threading.local()


def _binding_depth() -> int:
    return getattr(_state, "depth", 0)


class pure_mode:
    """Within this context @compact builds fallback classes only (used while generating)."""

    def __enter__(self):
        _state.pure = getattr(_state, "pure", 0) + 1

    def __exit__(self, *exc):
        _state.pure -= 1


# Every spec @compact built, by declaring module, in definition order (read by the generator).
_REGISTRY: dict = {}


def records_of_module(module_name: str) -> list:
    return list(_REGISTRY.get(module_name, {}).values())


def import_declaration(module_name: str) -> None:
    """Called at the end of a generated module: make sure its declaration is imported (which
    binds the records), unless @compact is importing the generated module right now."""
    if _binding_depth() == 0 and module_name not in sys.modules:
        importlib.import_module(module_name)


def compiled_module_name(spec: RecordSpec) -> Optional[str]:
    module = spec.module
    if module == "__main__":
        main = sys.modules.get("__main__")
        main_spec = getattr(main, "__spec__", None)
        if main_spec is not None and main_spec.name:
            module = main_spec.name
        elif getattr(main, "__file__", None):
            module = os.path.splitext(os.path.basename(getattr(main, "__file__")))[0]
        else:
            return None
    return module + "_compact"


class _Fallback:
    """Why a record is the fallback: ``reason`` (what ``fallback_reason`` and ``status`` show),
    ``by_design`` (strict mode accepts it: rebuilding would not help), ``warning`` (the
    StaleBuildWarning text, for a build that exists but cannot be used) and ``cause`` (the
    exception importing the build raised)."""

    __slots__ = ("reason", "by_design", "warning", "cause")

    def __init__(self, reason, by_design=False, warning=None, cause=None):
        self.reason, self.by_design, self.warning, self.cause = reason, by_design, warning, cause


_AS_TWIN = _Fallback("the fallback twin of a compiled record (RecordInfo.fallback_class())",
                     by_design=True)
_RUNTIME = "compactclass._records"   # (named in the reason: what compiled modules need first)


def _pure_reason() -> Optional[str]:
    if os.environ.get("COMPACTCLASS_PURE") == "1":
        return "COMPACTCLASS_PURE=1"
    if getattr(_state, "pure", 0):
        return "pure mode (compactclass.binding.pure_mode(), as while building)"
    return None


def by_design_reason(spec: RecordSpec) -> Optional[str]:
    """Why spec's record is the fallback whatever is built (pure mode, a nested class), or
    None."""
    pure = _pure_reason()
    if pure:
        return pure
    if "." in spec.qualname:
        return "nested class (only module-level classes are compiled)"
    return None


# compactclass's compiled runtime: the extensions every compiled record module cimports
RUNTIME_MODULES = tuple(f"compactclass.{name}"
                        for name in ("_kinds", "_strings", "_times", "_records", "_arrays"))


def runtime_installed() -> bool:
    """Whether compactclass's compiled runtime is installed (compactclass installs without it
    where it could not be compiled; records and arrays then use the pure-Python runtime).
    Looked up without importing it."""
    for name in RUNTIME_MODULES:
        if name in sys.modules:
            continue
        try:
            if importlib.util.find_spec(name) is None:
                return False
        except (ImportError, ValueError):
            return False
    return True


def build_command(spec: RecordSpec) -> str:
    """The command that builds spec's declaration file: its path relative to the working
    folder when the file lies below it, else absolute (quoted for a POSIX shell if need be)."""
    if not spec.file:
        return f"python -m compactclass build {spec.module.replace('.', os.sep)}.py"
    path = os.path.abspath(spec.file)
    try:
        relative = os.path.relpath(path)
    except ValueError:          # (Windows: another drive)
        relative = path
    if not relative.startswith(os.pardir + os.sep) and not os.path.isabs(relative):
        path = relative
    return f"python -m compactclass build {shlex.quote(path)}"


def _load_compiled(spec: RecordSpec, base: Optional[RecordInfo]) -> tuple:
    """(the compiled module holding a matching build of spec, None), or (None, a _Fallback
    saying why there is none). Checks run cheapest first and import nothing in pure mode."""
    by_design = by_design_reason(spec)
    if by_design:
        return None, _Fallback(by_design, by_design=True)
    if base is not None and not base.compiled:
        return None, _Fallback(f"its base {base.spec.module}.{base.spec.qualname} is not "
                               f"compiled ({base.fallback_reason})", by_design=base._by_design)
    name = compiled_module_name(spec)
    if name is None:
        return None, _Fallback("declared in __main__ without a file (no compiled module name)",
                               by_design=True)
    if not runtime_installed():
        return None, _Fallback(f"compactclass's compiled runtime is not installed (no {_RUNTIME};"
                               f" reinstall compactclass where a C compiler is available)")
    if name not in sys.modules:
        damage = _damaged_module_file(name)
        if damage is not None:
            return None, _stale(spec, name, damage, "damaged build")
    _state.depth = _binding_depth() + 1
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None, _Fallback(f"no compiled module {name} (run `{build_command(spec)}`)")
        return None, _import_failed(spec, name, exc)
    except ImportError as exc:
        return None, _import_failed(spec, name, exc)
    except TypeError as exc:
        if "has wrong signature" not in str(exc):
            raise
        # built against another compactclass runtime (Cython checks each cimported function)
        return None, _stale(spec, name, f"importing it failed: {exc}", cause=exc,
                            short=f"built against another compactclass runtime ({exc})")
    finally:
        _state.depth -= 1
    built = getattr(module, "__compact_schema__", {}).get(spec.name)
    if built is None:
        return None, _stale(spec, name, f"it has no record {spec.name}",
                            short=f"it has no record {spec.name} (an older declaration)")
    if built != spec.schema_hash():
        return None, _stale(spec, name, "it was generated from a different declaration",
                            short="it was generated from a different version of the "
                                  "declaration")
    for f in spec.fields:
        if not f.kind.compiled_available():
            return None, _Fallback(f"its field {f.name!r} holds a record that is not compiled"
                                   f"{_nested_reason(f.kind)}")
    return module, None


def _nested_reason(kind) -> str:
    """' (inner.Record: its reason)' for a field kind that holds a record (through Optional)."""
    while getattr(kind, "info", None) is None and getattr(kind, "inner", None) is not None:
        kind = kind.inner
    info = getattr(kind, "info", None)
    if not isinstance(info, RecordInfo) or info.fallback_reason is None:
        return ""
    return f" ({info.spec.module}.{info.spec.qualname}: {info.fallback_reason})"


def _damaged_module_file(name: str) -> Optional[str]:
    """Why the file the compiled module would be loaded from is not whole, or None. Loading a
    cut ELF file is not an ImportError but a SIGBUS (dlopen maps pages past its end), so it is
    looked at first (its headers only), without importing it."""
    try:
        found = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None  # the import reports it
    if found is None or not found.origin or \
            not isinstance(found.loader, importlib.machinery.ExtensionFileLoader):
        return None
    problem = files.damaged_extension(found.origin)
    if problem is None:
        return None
    return f"its file {found.origin} is truncated or damaged ({problem})"


class SubinterpreterWarning(UserWarning):
    """Compiled records cannot be used in this (sub)interpreter; the fallback is used."""


_subinterpreter_warned = False   # module state is per interpreter: once per interpreter


def _in_subinterpreter() -> bool:
    """Whether this is not the main interpreter (3.10-3.12: _xxsubinterpreters, 3.13:
    _interpreters; where neither exists, assume the main one)."""
    for module_name in ("_interpreters", "_xxsubinterpreters"):
        try:
            interpreters = importlib.import_module(module_name)
        except ImportError:
            continue
        try:
            current, main = interpreters.get_current(), interpreters.get_main()
            # 3.13 returns (id, whence) pairs, earlier versions InterpreterID objects
            current = current[0] if isinstance(current, tuple) else current
            main = main[0] if isinstance(main, tuple) else main
            return int(current) != int(main)
        except Exception:
            return False
    return False


def _import_failed(spec: RecordSpec, name: str, exc: ImportError) -> _Fallback:
    """A compiled module that does not import: a stale-build warning, unless the reason is
    that Cython modules load into one interpreter per process (this is a subinterpreter, or
    another interpreter took the module first): then one warning per interpreter that says so,
    since rebuilding would not help."""
    global _subinterpreter_warned
    subinterpreter = _in_subinterpreter()
    if subinterpreter or "one interpreter per process" in str(exc):
        if subinterpreter:
            reason = "in a subinterpreter (Cython extension modules load into one interpreter " \
                     "per process)"
        else:
            reason = f"{name} is already loaded in another interpreter of this process " \
                     f"(Cython extension modules load into one interpreter per process)"
        if not _subinterpreter_warned:
            _subinterpreter_warned = True
            if subinterpreter:
                why = ("compiled compact records cannot be used in a subinterpreter (Cython "
                       "extension modules load into one interpreter per process)")
            else:
                why = ("compiled compact records cannot be used in this interpreter: "
                       f"{name} is already loaded in another interpreter of this process "
                       "(Cython extension modules load into one interpreter per process)")
            warnings.warn(f"{why}; {spec.module} and every other declaration use the "
                          f"pure-Python fallback records in this interpreter.",
                          SubinterpreterWarning, stacklevel=_stacklevel_outside_package())
        return _Fallback(reason, by_design=True, cause=exc)
    return _stale(spec, name, f"importing it failed: {exc}", "import failed", short=str(exc),
                  cause=exc)


def _stacklevel_outside_package() -> int:
    """The stacklevel, for a warnings.warn() in this function's caller, of the first frame
    outside compactclass: the declaration, whether it used @compact or @compact(...)."""
    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame: Optional[types.FrameType] = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def _stale(spec: RecordSpec, module_name: str, why: str, kind: str = "stale", short=None,
           cause=None) -> _Fallback:
    """The _Fallback for a build that exists but cannot be used, with its warning's text.
    The reason reads ``<kind>: <module>: <short, or why> (run `<command>`)``."""
    why = why.rstrip(".")
    command = build_command(spec)
    warning = (f"{spec.module}.{spec.qualname}: not using the compiled module {module_name}: "
               f"{why}. Rebuild with `{command}`; using the pure-Python fallback meanwhile.")
    return _Fallback(f"{kind}: {module_name}: {short or why} (run `{command}`)",
                     warning=warning, cause=cause)


# --------------------------------------------------------------------------- strict mode

_strict_setting: Optional[bool] = None      # set_strict(); None: COMPACTCLASS_STRICT decides


def set_strict(enabled: Optional[bool]) -> Optional[bool]:
    """Process-wide strict mode: True makes every @compact record whose build is missing or
    unusable raise CompiledBuildRequired instead of becoming the fallback; False turns it off
    whatever COMPACTCLASS_STRICT says; None gives the decision back to COMPACTCLASS_STRICT.
    A record's own ``@compact(strict=...)`` wins over both. Returns the previous setting.

    Records that are the fallback by design never raise: pure mode (COMPACTCLASS_PURE=1,
    pure_mode(), so building is never affected), nested classes, subinterpreters."""
    global _strict_setting
    if enabled is not None and not isinstance(enabled, bool):
        raise TypeError(f"set_strict() takes True, False or None, not {enabled!r}")
    previous, _strict_setting = _strict_setting, enabled
    return previous


class strict_suspended:
    """Within this context (in this thread) strict mode raises nothing, whatever asks for it:
    ``python -m compactclass status`` imports a declaration to report on it."""

    def __enter__(self):
        _state.unstrict = getattr(_state, "unstrict", 0) + 1

    def __exit__(self, *exc):
        _state.unstrict -= 1


def _strict(record_option: Optional[bool]) -> bool:
    if getattr(_state, "unstrict", 0):
        return False
    if record_option is not None:
        return record_option
    if _strict_setting is not None:
        return _strict_setting
    value = os.environ.get("COMPACTCLASS_STRICT", "")
    if value not in ("", "0", "1"):
        raise ValueError(f"COMPACTCLASS_STRICT={value!r}: set it to 1 (strict mode) or 0 / "
                         f"leave it unset (not strict)")
    return value == "1"


def _refuse_fallback(spec: RecordSpec, why: _Fallback):
    record = f"{spec.module}.{spec.qualname}"
    message = (f"{record}: strict mode needs the compiled class, but it would be the "
               f"pure-Python fallback: {why.reason}")
    raise CompiledBuildRequired(message, record=record, reason=why.reason,
                                name=compiled_module_name(spec), path=spec.file) from why.cause


# --------------------------------------------------------------------------- class attributes

_NOT_COPIED = frozenset({"__dict__", "__weakref__", "__module__", "__qualname__",
                         "__annotations__", "__doc__", "__slots__", "__compact__",
                         "__dataclass_fields__", "__dataclass_params__"})


def _user_namespace(spec: RecordSpec, user_class) -> dict:
    """The class body's own attributes: methods, properties, constants (not field defaults)."""
    fields = {f.name for f in spec.own_fields} | set(spec.redeclared)
    annotations = vars(user_class).get("__annotations__", {})
    namespace = {name: value for name, value in vars(user_class).items()
                 if name not in _NOT_COPIED and name not in fields
                 and not (name in annotations and value is dataclasses.KW_ONLY)}
    for name, value in list(namespace.items()):
        if isinstance(value, dataclasses.Field):    # a ClassVar's field(): its default, as
            if value.default is dataclasses.MISSING:    # dataclasses leave it
                del namespace[name]
            else:
                namespace[name] = value.default
    for f in spec.init_vars[len(spec.base.init_vars) if spec.base else 0:]:
        # as dataclasses: an InitVar's default (plain or field(default=...)) is left as the
        # class attribute; a field() without one leaves none
        if f.name in namespace:
            if f.default is dataclasses.MISSING:
                del namespace[f.name]
            else:
                namespace[f.name] = f.default
    return namespace


def _twin(spec: RecordSpec, user_class, base_twin):
    """A plain @dataclass(slots=True) with the same fields: the source of dataclasses metadata
    (Field objects, params, the default docstring) through public API only."""
    fields = []
    by_name = {f.name: f for f in spec.fields + spec.init_vars}
    for name in spec.redeclared + spec.order[len(spec.base.order) if spec.base else 0:]:
        f = by_name[name]
        if f.init_var:
            kwargs = {"kw_only": f.kw_only}
            if f.default is not dataclasses.MISSING:
                kwargs["default"] = f.default
            fields.append((f.name, f.annotation, dataclasses.field(**kwargs)))
            continue
        kwargs = dict(init=f.init, repr=f.repr, compare=f.compare, hash=f.hash, kw_only=f.kw_only,
                      metadata=f.metadata)
        if f.default is not dataclasses.MISSING:
            kwargs["default"] = f.default
        if f.default_factory is not dataclasses.MISSING:
            kwargs["default_factory"] = f.default_factory
        fields.append((f.name, f.annotation, dataclasses.field(**kwargs)))
    namespace = {"__doc__": user_class.__doc__} if user_class.__doc__ else {}
    o = spec.options
    options: dict[str, Any] = dict(init=o.init, repr=o.repr, eq=o.eq, order=o.order, unsafe_hash=o.unsafe_hash,
                   frozen=o.frozen, match_args=o.match_args, slots=True)
    if sys.version_info >= (3, 11):  # weakref_slot is new in 3.11; the twin only lends metadata
        options["weakref_slot"] = o.weakref_slot and not (base_twin and spec.base is not None
                                                           and spec.base.weakref)
    return dataclasses.make_dataclass(spec.name, fields, bases=(base_twin,) if base_twin else (),
                                      namespace=namespace, **options)


def _signature(spec: RecordSpec, user_class, twin) -> inspect.Signature:
    """What inspect.signature(record) reports: the twin's (generated or inherited __init__), or
    that of the class body's own __init__ without its first parameter."""
    if "__init__" not in spec.user_specials:
        return inspect.signature(twin)
    signature = inspect.signature(vars(user_class)["__init__"])
    return signature.replace(parameters=list(signature.parameters.values())[1:])


def describe_init(init, twin):
    """Give a generated ``__init__`` what inspect reports of the twin dataclass's: its
    signature (``(self, x: int) -> None``) and annotations."""
    init.__signature__ = inspect.signature(twin.__init__)
    init.__annotations__ = dict(twin.__init__.__annotations__)
    return init


def _compiled_init(cls, twin):
    """The compiled class's ``__init__`` as its dict shows it: a Python function that calls
    the type's own (Cython's slot wrapper, whose signature inspect reads as ``*args,
    **kwargs``), described as the twin's."""
    slot_init = vars(cls)["__init__"]

    def __init__(self, /, *args, **kwargs):
        slot_init(self, *args, **kwargs)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    __init__.__module__ = cls.__module__
    return describe_init(__init__, twin)


def _common_attributes(spec: RecordSpec, user_class, info: RecordInfo) -> dict:
    """Class attributes both modes get (everything but the methods that differ)."""
    twin = info.twin
    attrs = _user_namespace(spec, user_class)
    attrs.update({
        "__doc__": twin.__doc__,
        "__annotations__": dict(vars(user_class).get("__annotations__", {})),
        "__dataclass_fields__": twin.__dataclass_fields__,
        "__dataclass_params__": twin.__dataclass_params__,
        "__signature__": _signature(spec, user_class, twin),
        "__replace__": _replace,
        "__compact__": info,
    })
    if spec.options.match_args and "__match_args__" not in vars(user_class):
        attrs["__match_args__"] = spec.match_args      # (as dataclasses: the body's own wins)
    if spec.hash_action == "none":
        attrs["__hash__"] = None
    if has_own_state(user_class):
        attrs["__reduce_ex__"] = attrs["__reduce__"] = reduce_with_state
        if spec.options.frozen:     # as a frozen slotted dataclass: the half the body leaves
            for name, method in frozen_state_methods().items():
                if name not in vars(user_class):
                    attrs[name] = method
    return attrs


def _retarget_class_cells(namespace: dict, old, new) -> None:
    """Point the ``__class__`` cells of the body's functions (zero-argument super()) at new."""
    for value in namespace.values():
        candidates = [value]
        if isinstance(value, (classmethod, staticmethod)):
            candidates = [value.__func__]
        elif isinstance(value, property):
            candidates = [value.fget, value.fset, value.fdel]
        for fn in candidates:
            code = getattr(fn, "__code__", None)
            if code is None or "__class__" not in code.co_freevars:
                continue
            cell = fn.__closure__[code.co_freevars.index("__class__")]
            if cell.cell_contents is old:
                cell.cell_contents = new


def _own_class_cell(value, owner):
    """value, or a copy of it whose ``__class__`` cell holds owner when another class (the
    compiled twin of a fallback) already claimed the original's cell: a function has one cell,
    and zero-argument super() in each class needs its own."""
    if isinstance(value, (classmethod, staticmethod)):
        fn = _own_class_cell(value.__func__, owner)
        return value if fn is value.__func__ else type(value)(fn)
    if isinstance(value, property):
        parts = (value.fget, value.fset, value.fdel)
        copies = tuple(_own_class_cell(fn, owner) for fn in parts)
        return value if copies == parts else type(value)(*copies, value.__doc__)
    code = getattr(value, "__code__", None)
    if not isinstance(value, types.FunctionType) or "__class__" not in code.co_freevars:
        return value
    index = code.co_freevars.index("__class__")
    if value.__closure__[index].cell_contents is owner:
        return value
    closure = list(value.__closure__)
    closure[index] = types.CellType(owner)
    copy = types.FunctionType(code, value.__globals__, value.__name__, value.__defaults__,
                              tuple(closure))
    copy.__kwdefaults__ = value.__kwdefaults__
    copy.__dict__.update(value.__dict__)
    for name in ("__qualname__", "__doc__", "__module__", "__annotations__"):
        setattr(copy, name, getattr(value, name))
    return copy


# --------------------------------------------------------------------------- the two modes

def _base_info(spec: RecordSpec, user_class) -> Optional[RecordInfo]:
    for base in user_class.__bases__:
        if "__compact__" in vars(base):
            return base.__compact__
    return None


def _build_fallback(spec: RecordSpec, user_class, why: _Fallback):
    base = _base_info(spec, user_class)
    info = RecordInfo(spec, False, None, _twin(spec, user_class, base and base.twin), user_class,
                      why)
    attrs = {name: _own_class_cell(value, user_class)
             for name, value in _common_attributes(spec, user_class, info).items()}
    methods = fallback.fallback_methods(spec)
    if generated_init(spec):
        describe_init(methods["__init__"], info.twin)
    if has_own_state(user_class):       # (the common attributes' reduce_with_state)
        del methods["__reduce__"], methods["__reduce_ex__"]
    attrs.update(methods)
    attrs.update(__slots__=fallback.fallback_slots(spec), __module__=spec.module,
                 __qualname__=spec.qualname)
    bases = tuple(b.__compact__.fallback_class() if "__compact__" in vars(b) else b
                  for b in user_class.__bases__ if b is not object)
    metatype = type(user_class)
    if isinstance(metatype, type) and metatype.__module__ == "compactclass._records":
        metatype = type         # (a compiled base's RecordType: the fallback's bases decide)
    fallback.without_dict(bases, attrs, methods)
    cls = metatype(spec.name, bases, attrs)
    fallback.check_fields(cls, spec, methods)
    fallback.bind_methods(cls, methods)
    info.cls = cls
    info._restore = lambda values, target: fallback.restore_fallback(target, spec, values, cls)
    _retarget_class_cells(attrs, user_class, cls)
    attach_array(cls, info)
    return cls


def _bind_compiled(spec: RecordSpec, user_class, module) -> type:
    from . import _records
    base = _base_info(spec, user_class)
    cls = getattr(module, spec.name)
    info = RecordInfo(spec, True, module, _twin(spec, user_class, base and base.twin), user_class)
    info.cls = cls
    info._restore = functools.partial(_records.restore_record, cls)  # (values, cls)
    setattr(module, names.private(spec, "binder"), binder(spec))
    objects = bound_objects([spec])
    if objects:
        getattr(module, BIND_OBJECTS)(objects)
    _records.set_defaults(cls, tuple(fixed_value(f) for f in spec.fields), dataclasses.MISSING)
    setattr(module, names.private(spec, "user"),
            {n: vars(user_class)[n] for n in spec.user_specials})
    attrs = _common_attributes(spec, user_class, info)
    attrs["__slots__"] = fallback.fallback_slots(spec)     # (what a slotted dataclass has)
    if generated_init(spec):
        attrs["__init__"] = _compiled_init(cls, info.twin)
    elif "__init__" not in spec.user_specials and "__init__" in vars(cls):
        # (init=False: the type keeps the generated __init__ that refuses arguments as
        # object's does, and its dict, as a dataclass's, has none)
        _records._del_type_attribute(cls, "__init__")
    if spec.options.frozen:
        frozen = fallback.frozen_attribute_methods(spec)
        fallback.bind_methods(cls, frozen)
        attrs.update(frozen)
    for name, value in attrs.items():
        _records._set_type_attribute(cls, name, value)
    if spec.options.frozen or spec.attribute_hooks:
        _records._use_python_setattr(cls)
    if user_class.__mro__[1:] != cls.__mro__[1:]:    # bases that lend methods
        _records._set_bases(cls, tuple(cls.__base__ if b is object else b
                                       for b in user_class.__bases__),
                            (cls,) + user_class.__mro__[1:])
    abstract = _abstract_methods(user_class)
    if abstract:
        cls.__abstractmethods__ = abstract
    _drop_comparison_wrappers(cls, spec)
    if spec.weakref and not hasattr(cls, "__weakref__"):
        _records._set_type_attribute(cls, "__weakref__", _WEAKREF_ATTRIBUTE)
    for name, value in attrs.items():
        set_name = getattr(type(value), "__set_name__", None)
        if set_name is not None:
            set_name(value, cls, name)
    dotted = f"{spec.module}.{spec.qualname}"
    if f"{cls.__module__}.{cls.__qualname__}" != dotted:
        _records._set_type_name(cls, dotted)
    _retarget_class_cells(attrs, user_class, cls)
    attach_array(cls, info)
    return cls


def _abstract_methods(user_class) -> frozenset:
    """The abstract methods the declared class leaves (abc.update_abstractmethods' rule),
    which its compiled class takes: then creating it raises TypeError, as ABCMeta's class."""
    found = {name for name, value in vars(user_class).items()
             if getattr(value, "__isabstractmethod__", False)}
    for base in user_class.__bases__:
        for name in getattr(base, "__abstractmethods__", ()):
            if getattr(getattr(user_class, name, None), "__isabstractmethod__", False):
                found.add(name)
    return frozenset(found)


_WRAPPER = types.WrapperDescriptorType      # (what type(object.__lt__) is)


def _first_weakref(record):
    """A compiled record's ``__weakref__``: as a slot's, the first weak reference to it (the head
    of its list), or None."""
    refs = weakref.getweakrefs(record)
    return refs[0] if refs else None


# (Cython gives a record with weakref_slot=True the weak reference list but no attribute)
_WEAKREF_ATTRIBUTE = property(_first_weakref, doc="list of weak references to the object")


def _drop_comparison_wrappers(cls, spec: RecordSpec) -> None:
    """PyType_Ready gives a type whose tp_richcompare implements == a wrapper for all six
    comparisons; a dataclass has only the methods its options make (``__lt__`` without
    order=True would stop functools.total_ordering from adding its own)."""
    from . import _records
    planned = plan(spec)
    for name in ("__ne__", "__lt__", "__le__", "__gt__", "__ge__"):
        if name not in planned and isinstance(vars(cls).get(name), _WRAPPER):
            _records._del_type_attribute(cls, name)


def attach_array(cls, info) -> None:
    """Give record class ``cls`` its ``Array`` attribute (compiled or fallback).

    Records without fields have no array (an item would have no bytes); records with object
    fields get a :class:`~compactclass.arrays.NoArray`, which says why there is none.
    """
    if not has_array(info.spec):
        if info.spec.fields:
            no_array = NoArray(info.spec)
            if info.compiled:
                from . import _records
                _records._set_type_attribute(cls, "Array", no_array)
            else:
                setattr(cls, "Array", no_array)
        return
    item = info.item
    if info.compiled:
        from . import _records
        array_cls = getattr(info.module, names.public(info.spec)["array"])
        _records._set_type_attribute(array_cls, "__compact_array__", ArrayInfo(cls, item, True))
        _records._set_type_attribute(cls, "Array", array_cls)
    else:
        setattr(cls, "Array", pure_arrays.make_fallback_array(cls, info.spec, item,
                                                  ArrayInfo(cls, item, False)))



def make_record(user_class, options, strict: Optional[bool] = None) -> type:
    """What @compact returns for a declared class. strict: the record's own strict option
    (None: the process-wide setting, see set_strict)."""
    if strict is not None and not isinstance(strict, bool):
        raise DeclarationError(f"{user_class.__module__}.{user_class.__qualname__}: compact() "
                               f"got strict={strict!r}; strict takes True or False")
    spec = place_presence(build_spec(user_class, options))
    records = _REGISTRY.setdefault(spec.module, {})
    previous = records.get(spec.qualname, _NOT_REGISTERED)
    records[spec.qualname] = spec
    try:
        module, why = _load_compiled(spec, _base_info(spec, user_class))
        if module is not None:
            return _bind_compiled(spec, user_class, module)
        if not why.by_design and _strict(strict):
            _refuse_fallback(spec, why)
        if why.warning:
            warnings.warn(why.warning, StaleBuildWarning,
                          stacklevel=_stacklevel_outside_package())
        return _build_fallback(spec, user_class, why)
    except BaseException:
        _unregister(spec, previous)
        raise


_NOT_REGISTERED = object()


def _unregister(spec: RecordSpec, previous) -> None:
    """Undo make_record's registration of spec (a record that raised is no record)."""
    records = _REGISTRY.get(spec.module, {})
    if records.get(spec.qualname) is not spec:
        return
    if previous is _NOT_REGISTERED:
        del records[spec.qualname]
        if not records:
            _REGISTRY.pop(spec.module, None)
    else:
        records[spec.qualname] = previous
