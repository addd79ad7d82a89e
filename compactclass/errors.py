"""The exceptions compactclass raises for a mistake in a declaration.

A DeclarationError is a TypeError, so ``except TypeError`` catches it as before. The mistakes
that dataclasses report as a ValueError, or an out-of-range default (an OverflowError, as the
value would be at run time), raise the subclasses below, which are both. Wrong values given to
a record at run time (a constructor argument, an assignment, a pickle) are not declaration
errors: they stay plain TypeError, OverflowError and ValueError.

Importing a declaration file to build it can also fail on the file itself: it does not parse,
or an import inside it fails. The build raises DeclarationSyntaxError and
DeclarationImportError for those, so that the command line can tell them from the same
exceptions raised by a bug in compactclass.

Compiling records needs compactclass's own compiled runtime; where compactclass was installed
without it (no C compiler at the time), building records raises CompiledRuntimeMissingError.
"""
from __future__ import annotations

__all__ = ["DeclarationError", "DeclarationValueError", "DeclarationOverflowError",
           "DeclarationSyntaxError", "DeclarationImportError", "CompiledRuntimeMissingError"]


class DeclarationError(TypeError):
    """A record declaration (its class, fields, options or build) is wrong."""


class DeclarationValueError(DeclarationError, ValueError):
    """A declaration mistake that dataclasses report as a ValueError."""


class DeclarationOverflowError(DeclarationError, OverflowError):
    """A default out of its field's range."""


class DeclarationSyntaxError(SyntaxError):
    """The declaration file being built does not parse."""


class DeclarationImportError(ImportError):
    """Importing the declaration file being built failed (an import inside it)."""


class CompiledRuntimeMissingError(ImportError):
    """Records cannot be compiled: compactclass's compiled runtime is not installed."""
