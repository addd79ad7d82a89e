"""The command line: ``python -m compactclass {build,generate,layout} ...``."""
from __future__ import annotations

import argparse
import importlib
import sys

from .errors import (CompiledRuntimeMissingError, DeclarationError, DeclarationImportError,
                     DeclarationSyntaxError)
from .codegen.functions import is_generated_file
from .layout import format_layout


class TargetError(LookupError):
    """The module:Class given to ``layout`` does not name a compact record."""


def _layout(target: str) -> str:
    module_name, _, qualname = target.partition(":")
    if not qualname:
        raise TargetError(f"{target!r}: expected module:Class")
    if "" not in sys.path:
        sys.path.insert(0, "")
    try:
        obj = importlib.import_module(module_name)
    except (ImportError, SyntaxError) as exc:
        if is_generated_file(getattr(exc, "filename", None)):  # a bug in compactclass
            raise
        raise TargetError(f"{target}: cannot import {module_name}: {exc}") from exc
    for part in qualname.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as exc:
            raise TargetError(f"{target}: {exc}") from None
    if getattr(obj, "__compact__", None) is None:
        raise TargetError(f"{target} is not a compact record")
    from . import layout
    return format_layout(layout(obj))


# What the command line reports in one line: mistakes in what it was given. Anything else (a bug
# in compactclass, an exception the declaration's own code raises) keeps its traceback.
USER_ERRORS = (DeclarationError, DeclarationSyntaxError, DeclarationImportError, TargetError,
               CompiledRuntimeMissingError, OSError)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m compactclass",
                                     description="Generate and compile compact records.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="generate and compile declaration files in place")
    p.add_argument("paths", nargs="+", metavar="PATH.py")
    p.add_argument("-v", "--verbose", action="store_true", help="show the compiler's output")
    p = sub.add_parser("generate", help="write the generated .pyx/.pxd/.pyi only")
    p.add_argument("paths", nargs="+", metavar="PATH.py")
    p = sub.add_parser("layout", help="print the C layout of a record (like pahole)")
    p.add_argument("target", metavar="module:Class")
    args = parser.parse_args(argv)

    from Cython.Compiler.Errors import CompileError
    from setuptools.errors import BaseError, CCompilerError

    from . import build
    path = None
    try:
        if args.command == "build":
            for path in args.paths:
                for decl in build.build_inplace([path], quiet=not args.verbose):
                    print(f"built {decl.compiled_module} from {decl.path}")
        elif args.command == "generate":
            for path in args.paths:
                decl = build.generate(path)
                print(f"generated {decl.output('pyx')} (+ .pxd, .pyi)")
        else:
            print(_layout(args.target))
    except USER_ERRORS as exc:
        print(f"compactclass {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # (temporary files and folders are gone already)
        print(f"compactclass {args.command}: interrupted", file=sys.stderr)
        return 130
    except (CCompilerError, BaseError, CompileError) as exc:  # Cython, the compiler, setuptools
        hint = "" if args.verbose else " (run with -v to see the compiler's output)"
        print(f"compactclass {args.command}: error: {path}: compiling failed: {exc}{hint}",
              file=sys.stderr)
        return 1
    return 0
