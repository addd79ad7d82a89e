"""The command line: ``python -m compactclass {build,generate,layout,status} ...``.

``build -j N`` builds the files in N processes. ``status MODULE`` prints, per record, whether it
is compiled or the fallback and why; its exit code is 0 when every record is compiled, 1 when
any is the fallback (whatever the reason, pure mode included), 2 when MODULE does not import or
declares no records. The other commands exit with 1 on an error.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import importlib
import multiprocessing
import os
import sys
import typing
import warnings

from .binding import (RecordInfo, StaleBuildWarning, SubinterpreterWarning, by_design_reason,
                      records_of_module, strict_suspended)
from .errors import (CompiledRuntimeMissingError, DeclarationError, DeclarationImportError,
                     DeclarationSyntaxError)
from .codegen.functions import is_generated_file
from .layout import format_layout


class TargetError(LookupError):
    """What ``layout`` or ``status`` was given does not import or names no compact record."""


def _layout(target: str) -> str:
    module_name, _, qualname = target.partition(":")
    if not qualname:
        raise TargetError(f"{target!r}: expected module:Class")
    obj = _import_target(target, module_name)
    for part in qualname.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as exc:
            raise TargetError(f"{target}: {exc}") from None
    if getattr(obj, "__compact__", None) is None:
        raise TargetError(f"{target} is not a compact record")
    from . import layout
    return format_layout(layout(typing.cast(type, obj)))


def _import_for_status(target: str):
    """Import the module target names (a dotted name, or a path to a .py file) as a program
    would, except that strict mode raises nothing (status reports instead). A module imported
    already is taken as it is."""
    from . import build
    if target.endswith(".py") or os.sep in target or (os.altsep and os.altsep in target):
        decl = build.find_declaration(target)
        module_name, root = decl.module, decl.root
    else:
        module_name, root = target, ""
    with strict_suspended(), warnings.catch_warnings():
        # (status says the same, per record)
        warnings.simplefilter("ignore", StaleBuildWarning)
        warnings.simplefilter("ignore", SubinterpreterWarning)
        return _import_target(target, module_name, root)


def _import_target(target: str, module_name: str, root: str = ""):
    """Import module_name with root (default: the working folder) on sys.path; an import that
    fails is a TargetError naming target, unless compactclass's own generated code is at fault."""
    if root not in sys.path:
        sys.path.insert(0, root)
    try:
        return importlib.import_module(module_name)
    except (ImportError, SyntaxError) as exc:
        if is_generated_file(getattr(exc, "filename", None)):  # a bug in compactclass
            raise
        raise TargetError(f"{target}: cannot import {module_name}: {exc}") from exc


def _status_lines(target: str) -> list:
    """(line, compiled) for each record the module declares, in declaration order."""
    module = _import_for_status(target)
    specs = records_of_module(module.__name__)
    if not specs:
        raise TargetError(f"{target}: {module.__name__} declares no @compact records")
    lines = []
    for spec in specs:
        name = f"{spec.module}.{spec.qualname}"
        info = _info_of(module, spec)
        if info is not None and info.compiled:
            lines.append((f"{name}: compiled ({info.module.__name__})", True))
            continue
        reason = info.fallback_reason if info is not None else by_design_reason(spec)
        if reason is None:
            reason = f"unknown: no attribute of {module.__name__} is this record"
        lines.append((f"{name}: fallback \u2014 {reason}", False))
    return lines


def _info_of(module, spec):
    """The RecordInfo of spec's class: found through its qualified name in module, or as a
    module attribute; None when neither reaches it (a record made in a function, say)."""
    obj = module
    for part in spec.qualname.split("."):
        obj = getattr(obj, part, None)
    for candidate in (obj, *vars(module).values()):
        info = vars(candidate).get("__compact__") if isinstance(candidate, type) else None
        if isinstance(info, RecordInfo) and info.spec is spec:
            return info
    return None


def _build_one(path: str, given: str, verbose: bool) -> tuple:
    """Build one declaration file (in a worker process of ``build -j``): (its output lines,
    None) or ([], the one-line error message). A bug in compactclass raises."""
    from . import build
    try:
        return [f"built {decl.compiled_module} from {decl.path}"
                for decl in build.build_inplace([path], quiet=not verbose)], None
    except Exception as exc:        # noqa: BLE001 - a user error becomes its message
        message = _error_message("build", given, exc, verbose)
        if message is None:
            raise
        return [], message


def _build_parallel(paths: list, jobs: int, verbose: bool) -> int:
    """``build -j N``: N worker processes build the files; each file's line (or its error) is
    printed in the order the files were given, and every file is built whatever the others do.
    A bug in compactclass (an exception that is not a user error) is raised once every build
    has ended."""
    status, bug = 0, None
    context = multiprocessing.get_context("spawn")   # (no fork of a possibly threaded parent)
    with concurrent.futures.ProcessPoolExecutor(min(jobs, len(paths)), mp_context=context) \
            as pool:
        futures = [pool.submit(_build_one, os.path.abspath(path), path, verbose)
                   for path in paths]
        try:
            for future in futures:
                try:
                    lines, error = future.result()
                except Exception as exc:        # noqa: BLE001 - raised once all have ended
                    bug, lines, error = bug or exc, [], None
                    status = 1
                for line in lines:
                    print(line, flush=True)
                if error is not None:
                    print(error, file=sys.stderr, flush=True)
                    status = 1
        except KeyboardInterrupt:
            for future in futures:
                future.cancel()
            raise
    if bug is not None:
        raise bug
    return status


def _error_message(command: str, path, exc: BaseException, verbose: bool):
    """The one-line message of a user error (a mistake in what the command line was given, or
    a failed compilation of path), or None for an exception that is a bug."""
    from Cython.Compiler.Errors import CompileError
    from setuptools.errors import BaseError, CCompilerError
    if isinstance(exc, USER_ERRORS):
        return f"compactclass {command}: error: {exc}"
    if isinstance(exc, (CCompilerError, BaseError, CompileError)):  # Cython, gcc, setuptools
        hint = "" if verbose else " (run with -v to see the compiler's output)"
        return f"compactclass {command}: error: {path}: compiling failed: {exc}{hint}"
    return None


def _jobs(text: str) -> int:
    try:
        jobs = int(text)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"expected a number of processes (1 or more), "
                                         f"got {text!r}")
    return jobs


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
    p.add_argument("-j", "--jobs", type=_jobs, default=1, metavar="N",
                   help="build N files at once, in N processes (default 1)")
    p = sub.add_parser("generate", help="write the generated .pyx/.pxd/.pyi only")
    p.add_argument("paths", nargs="+", metavar="PATH.py")
    p = sub.add_parser("layout", help="print the C layout of a record (like pahole)")
    p.add_argument("target", metavar="module:Class")
    p = sub.add_parser("status", help="say, per record, whether it is compiled or the "
                                      "fallback and why (exit code 1 if any is the fallback)")
    p.add_argument("target", metavar="MODULE", help="a dotted module name or a .py file")
    args = parser.parse_args(argv)

    from . import build
    path = None
    try:
        if args.command == "build" and args.jobs > 1 and len(args.paths) > 1:
            return _build_parallel(args.paths, args.jobs, args.verbose)
        if args.command == "build":
            for path in args.paths:
                for decl in build.build_inplace([path], quiet=not args.verbose):
                    print(f"built {decl.compiled_module} from {decl.path}")
        elif args.command == "generate":
            for path in args.paths:
                decl = build.generate(path)
                print(f"generated {decl.output('pyx')} (+ .pxd, .pyi)")
        elif args.command == "status":
            lines = _status_lines(args.target)
            for line, _ in lines:
                print(line)
            return 0 if all(compiled for _, compiled in lines) else 1
        else:
            print(_layout(args.target))
    except KeyboardInterrupt:  # (temporary files and folders are gone already)
        print(f"compactclass {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        message = _error_message(args.command, path, exc, getattr(args, "verbose", False))
        if message is None:
            raise
        print(message, file=sys.stderr)
        # (status: 1 says that some record is the fallback)
        return 2 if args.command == "status" else 1
    return 0
