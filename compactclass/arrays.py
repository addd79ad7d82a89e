"""Record arrays: ``Point.Array`` (the compiled ``PointArray`` or the pure-Python fallback).

(Being implemented for the record-arrays issue.)
"""
from __future__ import annotations

__all__ = ["attach_array"]


def attach_array(cls, info) -> None:
    """Give record class ``cls`` its ``Array`` attribute (compiled or fallback)."""
