"""compactclass: compact, C-backed records declared like dataclasses and compiled with Cython.

    from compactclass import compact, i32

    @compact
    class Point:
        x: i32
        y: i32
        z: i32 = 0

Build once with ``python -m compactclass build geometry.py``; without a build (or with
COMPACTCLASS_PURE=1) the same declaration gives a pure-Python class with the same behaviour.
Strict mode (COMPACTCLASS_STRICT=1, ``set_strict(True)`` or ``@compact(strict=True)``) turns a
missing or unusable build into a CompiledBuildRequired (an ImportError) instead;
``python -m compactclass status MODULE`` says which records are compiled and why not.
"""
from __future__ import annotations

import dataclasses
import os

from .binding import CompiledBuildRequired, StaleBuildWarning, set_strict
from .errors import DeclarationError
from .spec import check_options, field
from .kinds.numbers import f32, f64, i8, i16, i32, i64, u8, u16, u32, u64
from .kinds.strings import Bytes, Str
from .kinds.times import UTCDateTime
from .typed import Column, Record, RecordArray

__all__ = ["compact", "field", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64",
           "Str", "Bytes", "UTCDateTime", "is_compiled", "layout", "get_include",
           "StaleBuildWarning", "DeclarationError", "__version__", "RecordArray", "Column",
           "Record", "CompiledBuildRequired", "set_strict", "runtime_compiled"]

__version__ = "0.1.0"

try:
    from typing import dataclass_transform
except ImportError:  # Python 3.10: type checkers read typing_extensions' version if present
    try:
        from typing_extensions import dataclass_transform
    except ImportError:
        def dataclass_transform(**_kwargs):
            return lambda fn: fn


@dataclass_transform(field_specifiers=(field, dataclasses.field))
def compact(cls=None, /, **options):
    """Make ``cls`` a compact record; takes @dataclass's options (``frozen``, ``order``, ...)
    and ``strict`` (this record's strict mode, see set_strict)."""
    options = dict(options)
    strict = options.pop("strict", None)

    def wrap(user_class):
        from .binding import make_record
        return make_record(user_class, check_options(options, user_class), strict=strict)

    return wrap if cls is None else wrap(cls)


def _info(cls):
    info = getattr(cls, "__compact__", None)
    if info is None:
        raise TypeError(f"{cls!r} is not a compact record")
    return info


def is_compiled(cls) -> bool:
    """True when ``cls`` is the compiled (Cython) class, False for the pure-Python fallback."""
    return _info(cls).compiled


def layout(cls):
    """The C layout of a record class (fields, C types, offsets, padding, sizes)."""
    return _info(cls).layout


def get_include() -> list:
    """Folders to pass as ``include_dirs`` (and ``cythonize(include_path=...)``) when compiling
    Cython code that cimports compact records: they hold compactcore.h, cc_typeslots.h and
    compactclass's .pxd files.

    An installed compactclass keeps them in its package folder, so Cython finds the .pxd files
    through sys.path and cythonize adds this folder to include_dirs by itself; passing it
    explicitly does no harm. In a source checkout they are under pyx/ and csrc/."""
    here = os.path.dirname(os.path.abspath(__file__))
    if os.path.isfile(os.path.join(here, "_records.pxd")):
        return [here]
    checkout = os.path.dirname(here)  # a source checkout (editable install)
    return [os.path.join(checkout, "pyx"), os.path.join(checkout, "csrc"),
            os.path.join(checkout, "pyx", "compactclass")]


def __getattr__(name):
    # runtime_compiled (see binding.runtime_installed) is looked up on first use, not at every
    # start-up
    if name == "runtime_compiled":
        from .binding import runtime_installed
        value = globals()["runtime_compiled"] = runtime_installed()
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
