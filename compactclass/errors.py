"""Exceptions of compactclass."""
from __future__ import annotations

__all__ = ["DeclarationError"]


class DeclarationError(TypeError):
    """A mistake in a declaration: the class, a field, an option, a name the build cannot use."""
