"""Field kinds: one codec object per kind of field (see :mod:`compactclass.kinds.base`).

:func:`kind_of_annotation` is the one place an annotation is turned into a kind; every later
stage talks to the kind it returns. A new family of kinds is a module here that defines its
kinds and is added to :data:`FAMILIES`.
"""
from __future__ import annotations

from typing import Optional

from . import numbers
from .base import Kind

__all__ = ["Kind", "kind_of_annotation", "kind_named", "SUPPORTED_TYPES_TEXT"]

#: every family of kinds, in the order annotations are tried
FAMILIES = (numbers,)

SUPPORTED_TYPES_TEXT = "; ".join(family.SUPPORTED_TEXT for family in FAMILIES)

_BY_NAME = {name: kind for family in FAMILIES for name, kind in family.KINDS.items()}


def kind_of_annotation(annotation) -> Optional[Kind]:
    """The kind an annotation stands for, or None if it is not a supported field type."""
    for family in FAMILIES:
        try:
            found = family.BARE.get(annotation)
        except TypeError:           # an unhashable annotation
            found = None
        if found is not None:
            return found
    for kind in getattr(annotation, "__metadata__", ()):
        if isinstance(kind, Kind) and getattr(annotation, "__origin__", None) is kind.python_type:
            return kind
    return None


def kind_named(name: str) -> Kind:
    """The kind of a field signature entry ("i32"); KeyError if there is none."""
    return _BY_NAME[name]
