"""Pickles of compact records: ``(restore_v1, (cls, field signature, values))``.

The class is pickled by reference under its declaring module (``geometry.Point``), so a pickle
written by the compiled class loads as the fallback class and vice versa. The field signature
(``"x:i32,y:i32"``) is the same string object for every record of a class, so pickle memoizes
it; loading checks it, the value count and every value, and raises ValueError/TypeError/
OverflowError rather than build a wrong record.
"""
from __future__ import annotations

import copyreg
import dataclasses

__all__ = ["restore_v1", "reduce_subclass", "reduce_with_state", "has_own_state",
           "frozen_state_methods"]

_OBJECT_GETSTATE = getattr(object, "__getstate__", None)    # (3.11+)

_MRO = type.__dict__["__mro__"]     # a class's real MRO (a metaclass may shadow __mro__)


def reduce_subclass(obj, signature: str, values: tuple):
    """The pickle of an instance of a plain Python subclass of a record: the record's values plus
    the subclass's instance __dict__ (restored by pickle's default __setstate__)."""
    state = getattr(obj, "__dict__", None) or None
    return restore_v1, (type(obj), signature, values), state


def restore_v1(cls, signature, values):
    info = getattr(cls, "__compact__", None)
    if info is not None and not (isinstance(cls, type) and info.cls in _MRO.__get__(cls)):
        info = None                     # a class that only borrowed a record's __compact__
    if isinstance(values, tuple) and type(values) is not tuple:
        values = tuple(values)          # a tuple subclass: its items, as a plain tuple
    if (info is not None and signature == info.signature and type(values) is tuple
            and len(values) == info.nfields):
        return info._restore(values, cls)   # converts and checks every value
    _raise_corrupt(cls, info, signature, values)


def _raise_corrupt(cls, info, signature, values):
    if info is None:
        raise TypeError(f"cannot unpickle a compact record as {cls!r}: not a compact record")
    spec = info.spec
    if signature != spec.signature_text:
        raise ValueError(f"{spec.qualname}: the pickle holds fields ({signature}) but the record "
                         f"now has ({spec.signature_text})")
    count = len(values) if isinstance(values, tuple) else type(values).__name__
    raise ValueError(f"{spec.qualname}: corrupt pickle: expected a tuple of "
                     f"{len(spec.fields)} field values, got {count}")


def has_own_state(cls) -> bool:
    """Whether a class (a record's declaration) or one of its bases defines ``__getstate__`` or
    ``__setstate__``: then pickle and copy go through them, as for a dataclass."""
    return any(name in vars(klass) for klass in cls.__mro__[:-1]
               for name in ("__getstate__", "__setstate__"))


def _fields_getstate(self):
    return [getattr(self, f.name) for f in dataclasses.fields(self)]


def _fields_setstate(self, state):
    for f, value in zip(dataclasses.fields(self), state):
        object.__setattr__(self, f.name, value)     # (the record is frozen)


def frozen_state_methods() -> dict:
    """The ``__getstate__``/``__setstate__`` a frozen slotted dataclass gets where its body
    defines none: the field values as a list, and back."""
    return {"__getstate__": _fields_getstate, "__setstate__": _fields_setstate}


def reduce_with_state(self, protocol=None):
    """``__reduce_ex__``/``__reduce__`` of a record whose class defines ``__getstate__`` or
    ``__setstate__``, what ``object.__reduce_ex__`` gives a slotted dataclass: a new empty
    instance (``cls.__new__(cls)``), then ``__setstate__(state)`` (or pickle's default, which
    sets the slots), with the state ``__getstate__`` returns (by default, as a slotted
    object's: ``(None, {field: value})``)."""
    cls = type(self)
    getstate = getattr(cls, "__getstate__", _OBJECT_GETSTATE)
    if getstate is None or getstate is _OBJECT_GETSTATE:
        info = cls.__compact__
        state = (None, {f.name: getattr(self, f.name) for f in info.spec.fields})
    else:
        state = self.__getstate__()
    return copyreg.__newobj__, (cls,), state
