"""Field kinds: one codec object per kind of field (see :mod:`compactclass.kinds.base`).

:func:`kind_of_annotation` is the one place an annotation is turned into a kind; every later
stage talks to the kind it returns. A family of kinds is a module here with

- ``kind_of(annotation)``: the kind an annotation stands for, or None (a family may make a kind
  from the annotation's parameters: ``Str[16]``, an enum class, a compact record);
- ``KINDS``: its kinds by name, for field signatures ("x:i32") of pickles and messages;
- ``SUPPORTED_TEXT``: how its annotations read in the error for an unsupported one;

and is listed in :data:`FAMILIES` (the built-in ones) or passed to :func:`register_family`
(a family defined elsewhere: a test, a user's own kinds). An annotation no family claims is
an object field (:mod:`.objects`, tried last).
"""
from __future__ import annotations

import typing
from typing import Optional

from . import enums, numbers, objects, optional, records, strings, times
from .base import Kind
from ..errors import DeclarationError

__all__ = ["Kind", "kind_of_annotation", "kind_named", "register_family", "supported_text",
           "SUPPORTED_TYPES_TEXT"]

#: every family of kinds, in the order annotations are tried (enums first: an IntEnum class is
#: an int subclass)
FAMILIES: tuple = (enums, numbers, strings, times, records)

#: the family of annotations no other family claims: object fields
CATCH_ALL = objects

SUPPORTED_TYPES_TEXT = "; ".join(family.SUPPORTED_TEXT for family in
                                 FAMILIES + (optional, CATCH_ALL))

_BY_NAME = {name: kind for family in FAMILIES + (CATCH_ALL,)
            for name, kind in family.KINDS.items()}


def register_family(family) -> None:
    """Add a family of kinds (an object with kind_of, KINDS and SUPPORTED_TEXT) after the
    built-in ones. Register it where its kinds are imported, before a record uses them."""
    global FAMILIES
    if family not in FAMILIES:
        FAMILIES = FAMILIES + (family,)
        _BY_NAME.update(family.KINDS)


def supported_text() -> str:
    """The field types every registered family supports, for the unsupported-type error."""
    return "; ".join(family.SUPPORTED_TEXT for family in FAMILIES + (optional, CATCH_ALL))


def kind_of_annotation(annotation) -> Optional[Kind]:
    """The kind an annotation stands for, or None if it is not a supported field type."""
    for family in FAMILIES:
        found = family.kind_of(annotation)
        if found is not None:
            return found
    if typing.get_origin(annotation) is typing.Annotated:
        if any(isinstance(m, Kind) for m in annotation.__metadata__):
            return None     # a kind's alias on another type (Annotated[str, <i32>]): a mistake
        return kind_of_annotation(annotation.__origin__)    # metadata of other libraries
    inner = objects.optional_of(annotation)
    if inner is not None:
        kind = kind_of_annotation(inner)
        if kind is not None and kind.plain_data:
            # an inline value and a presence bit (an object field would cost the record its
            # arrays); a nested record has no bit of its own to spare
            if kind.nested_specs:
                raise DeclarationError(
                    f"Optional[{kind.name}]: an optional nested record is not supported (its "
                    f"fields are stored inline); declare the nested record's fields Optional, "
                    f"or annotate the field with the nested record alone")
            return optional.optional_kind(kind)
    return CATCH_ALL.kind_of(annotation)


def kind_named(name: str) -> Kind:
    """The kind of a field signature entry ("i32"); KeyError if there is none. A family that
    makes kinds from parameters (``Str[8]``) adds them to its KINDS as they are made."""
    if name not in _BY_NAME:
        for family in FAMILIES + (optional,):
            if name in family.KINDS:
                return family.KINDS[name]
    return _BY_NAME[name]
