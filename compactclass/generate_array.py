"""Spec + layout -> the generated record-array class (``PointArray``) in the .pyx/.pxd/.pyi.

(Being implemented for the record-arrays issue; until then records have no compiled array.)
"""
from __future__ import annotations

__all__ = ["array_pyx", "array_pxd", "array_pyi"]


def array_pyx(spec, layout) -> list:
    return []


def array_pxd(spec, layout) -> list:
    return []


def array_pyi(spec) -> list:
    return []
