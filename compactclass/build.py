"""Declarations -> compiled modules: generate the sources and build the extensions.

For a declaration file ``pkg/geometry.py`` (``pkg`` being a package, i.e. holding __init__.py)
the generated files are ``pkg/geometry_compact.{pyx,pxd,pyi}`` and the extension module is
``pkg.geometry_compact``.

In a packaged project's setup.py::

    from compactclass.build import extensions
    setup(..., ext_modules=extensions(["pkg/geometry.py"]))
"""
from __future__ import annotations

import importlib
import os
import sys
import tempfile
from dataclasses import dataclass

from .binding import pure_mode, records_of_module
from .generate import generate_module

__all__ = ["Declaration", "find_declaration", "generate", "extensions", "build_inplace"]


@dataclass(frozen=True)
class Declaration:
    """Where a declaration file sits: its import root (a sys.path entry) and module names."""

    path: str           # absolute path of the .py file
    root: str           # the folder that must be on sys.path to import it
    module: str         # dotted module name of the declaration ("pkg.geometry")

    @property
    def compiled_module(self) -> str:
        return self.module + "_compact"

    def output(self, ext: str) -> str:
        stem = os.path.splitext(self.path)[0]
        return f"{stem}_compact.{ext}"


def find_declaration(path: str) -> Declaration:
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such declaration file")
    if not path.endswith(".py"):
        raise ValueError(f"{path}: a declaration file must be a .py file")
    folder, name = os.path.split(path)
    parts = [name[:-3]]
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        folder, package = os.path.split(folder)
        parts.insert(0, package)
    if not all(p.isidentifier() for p in parts):
        raise ValueError(f"{path}: {'.'.join(parts)!r} is not an importable module name")
    return Declaration(path, folder, ".".join(parts))


def load_specs(decl: Declaration) -> list:
    """Import the declaration (fallback classes only) and return the specs of its records."""
    if decl.root not in sys.path:
        sys.path.insert(0, decl.root)
    for name in [m for m in sys.modules if m == decl.module or m == decl.compiled_module]:
        del sys.modules[name]
    try:
        with pure_mode():
            importlib.import_module(decl.module)
    except SyntaxError as exc:
        raise SyntaxError(f"{decl.path}: the declaration does not parse: {exc}") from exc
    specs = [s for s in records_of_module(decl.module) if "." not in s.qualname]
    if not specs:
        raise ValueError(f"{decl.path}: declares no module-level @compact records")
    return specs


def _unchanged(path: str, text: str) -> bool:
    try:
        with open(path, encoding="utf-8") as existing:
            return existing.read() == text
    except FileNotFoundError:
        return False


def _write_all_or_none(files: dict) -> None:
    """Write the changed files of {path: text}, leaving unchanged ones (and their mtimes)
    alone. Every text goes to a temporary file first; the generated files are replaced only
    once all are written, so a failure leaves the old set (or none) and no temporary file."""
    pending = []
    try:
        for path, text in files.items():
            if os.path.isdir(path):
                raise IsADirectoryError(f"{path}: a folder is in the way of a generated file")
            if _unchanged(path, text):
                continue
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".compactclass-",
                                       suffix=".tmp")
            pending.append((tmp, path))
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
        while pending:
            tmp, path = pending[0]
            os.replace(tmp, path)
            pending.pop(0)
    finally:
        for tmp, _ in pending:
            if os.path.exists(tmp):
                os.unlink(tmp)


def generate(path: str) -> Declaration:
    """Write the .pyx/.pxd/.pyi of one declaration file (only files whose text changed)."""
    decl = find_declaration(path)
    specs = load_specs(decl)
    sources = generate_module(specs, decl.path, decl.module)
    folder = os.path.dirname(decl.path)
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"{folder}: cannot write the generated files here")
    _write_all_or_none({decl.output(ext): text for ext, text in sources.items()})
    return decl


def _include() -> list:
    from . import get_include
    return get_include()


def extensions(paths, **extension_kwargs) -> list:
    """Generate the sources of each declaration and return cythonized setuptools Extensions
    (with compactclass's include folders) ready for ``setup(ext_modules=...)``."""
    from Cython.Build import cythonize
    from setuptools import Extension

    include_dirs = _include() + list(extension_kwargs.pop("include_dirs", []))
    exts, roots = [], []
    for path in paths:
        decl = generate(path)
        # setuptools wants source paths relative to the folder setup runs in
        exts.append(Extension(decl.compiled_module, [os.path.relpath(decl.output("pyx"))],
                              include_dirs=include_dirs, **extension_kwargs))
        roots.append(decl.root)
    return cythonize(exts, include_path=_include() + sorted(set(roots)), language_level=3,
                     quiet=True)


def build_inplace(paths, quiet: bool = True) -> list:
    """Generate and compile each declaration; the extension lands beside its declaration."""
    from setuptools.dist import Distribution

    decls = [find_declaration(p) for p in paths]
    built = []
    for decl in decls:
        cwd = os.getcwd()
        os.chdir(decl.root)
        try:
            ext_modules = extensions([decl.path])
            with tempfile.TemporaryDirectory(prefix="compactclass-build-") as tmp:
                dist = Distribution({"name": decl.compiled_module, "ext_modules": ext_modules,
                                     "script_name": "compactclass",
                                     # (no build/ folder left in the user's project)
                                     "script_args": ["build_ext", "--inplace",
                                                     "--build-temp", tmp, "--build-lib", tmp]})
                if quiet:
                    dist.verbose = 0
                dist.parse_command_line()
                dist.run_commands()
        finally:
            os.chdir(cwd)
        built.append(decl)
    return built
