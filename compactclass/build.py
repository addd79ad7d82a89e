"""Declarations -> compiled modules: generate the sources and build the extensions.

For a declaration file ``pkg/geometry.py`` (``pkg`` being a package, i.e. holding __init__.py)
the generated files are ``pkg/geometry_compact.{pyx,pxd,pyi}`` and the extension module is
``pkg.geometry_compact``.

In a packaged project's setup.py::

    from compactclass.build import extensions
    setup(..., ext_modules=extensions(["pkg/geometry.py"]))
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.machinery
import os
import shutil
import sys
import warnings
from dataclasses import dataclass

from . import binding, files
from .binding import pure_mode, records_of_module
from .codegen.functions import is_generated_file
from .codegen.module import generate_module
from .errors import (CompiledRuntimeMissingError, DeclarationImportError, DeclarationSyntaxError,
                     DeclarationValueError)

__all__ = ["Declaration", "find_declaration", "generate", "extensions", "build_inplace",
           "ship_generated_files"]


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
        raise DeclarationValueError(f"{path}: a declaration file must be a .py file")
    folder, name = os.path.split(path)
    parts = [name[:-3]]
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        folder, package = os.path.split(folder)
        parts.insert(0, package)
    if not all(p.isidentifier() for p in parts):
        raise DeclarationValueError(f"{path}: {'.'.join(parts)!r} is not an importable module name")
    return Declaration(path, folder, ".".join(parts))


def load_specs(decl: Declaration) -> list:
    """Import the declaration (fallback classes only) and return the specs of its records.

    The running program is left as it was: the modules this import replaced in sys.modules
    (the declaration, its compiled module) are put back, those it added that hold pure-mode
    records are removed again, and sys.path and the record registry are restored. Otherwise a
    build inside a running program would leave the pure classes to every later import, and
    records made earlier would no longer pickle (pickle finds the class by name)."""
    before = dict(sys.modules)
    registry = {module: dict(records) for module, records in binding._REGISTRY.items()}
    parents = _parent_attributes(decl)
    added_root = decl.root not in sys.path
    if added_root:
        sys.path.insert(0, decl.root)
    for name in (decl.module, decl.compiled_module):
        sys.modules.pop(name, None)
    binding._REGISTRY.pop(decl.module, None)  # no records of an earlier version of the file
    try:
        with pure_mode():
            importlib.import_module(decl.module)
        specs = [s for s in records_of_module(decl.module) if "." not in s.qualname]
    except SyntaxError as exc:
        if is_generated_file(exc.filename):  # compactclass's own code: a bug, not the user's
            raise
        message = f"{decl.path}: the declaration does not parse: {exc}"
        raise DeclarationSyntaxError(message) from exc
    except ImportError as exc:
        raise DeclarationImportError(f"{decl.path}: importing the declaration failed: {exc}",
                                     name=exc.name, path=exc.path) from exc
    finally:
        _restore_modules(decl, before, registry, parents)
        if added_root:
            with contextlib.suppress(ValueError):
                sys.path.remove(decl.root)
    if not specs:
        raise DeclarationValueError(f"{decl.path}: declares no module-level @compact records")
    return specs


_ABSENT = object()


def _parent_attributes(decl: Declaration) -> dict:
    """{(package module, attribute): value or _ABSENT} for the declaration's two modules."""
    saved = {}
    for name in (decl.module, decl.compiled_module):
        package, _, child = name.rpartition(".")
        if package and package in sys.modules:
            parent = sys.modules[package]
            saved[(parent, child)] = vars(parent).get(child, _ABSENT)
    return saved


def _restore_modules(decl: Declaration, before: dict, registry: dict, parents: dict) -> None:
    """Undo what importing the declaration in pure mode did to sys.modules (see load_specs).

    Of the modules the import added, those that may hold pure-mode classes are removed again:
    the declaration's own, every module that declared records, and the modules of the
    declaration's package (whose __init__ may re-export its records). The others stay
    (removing an ordinary module would run it twice, an extension module could not load
    again)."""
    pure = {module for module, records in binding._REGISTRY.items()
            if any(registry.get(module, {}).get(q) is not spec for q, spec in records.items())}
    package = decl.module.partition(".")[0] + "." if "." in decl.module else None

    def tainted(name, module):
        if isinstance(getattr(module, "__loader__", None),
                      importlib.machinery.ExtensionFileLoader):
            return False
        return name in pure or (package is not None and (name + ".").startswith(package))

    for name in list(sys.modules):
        module = sys.modules[name]
        if name in before:
            if module is not before[name]:
                sys.modules[name] = before[name]
        elif name in (decl.module, decl.compiled_module) or tainted(name, module):
            del sys.modules[name]
            package, _, child = name.rpartition(".")
            parent = sys.modules.get(package) if package else None
            if parent is not None and vars(parent).get(child) is module:
                with contextlib.suppress(AttributeError, TypeError):
                    delattr(parent, child)
    for name, module in before.items():  # removed by the import (an error half-way, ...)
        sys.modules.setdefault(name, module)
    for (parent, child), value in parents.items():
        with contextlib.suppress(AttributeError, TypeError):
            if value is _ABSENT:
                if child in vars(parent):
                    delattr(parent, child)
            else:
                setattr(parent, child, value)
    binding._REGISTRY.clear()
    binding._REGISTRY.update(registry)


def _write_all_or_none(outputs: dict) -> None:
    """Write the changed files of {path: text}, leaving unchanged ones (and their mtimes)
    alone. Every text goes to a temporary file in the same folder first (named for this
    process, created with the umask's mode as open() would be); the generated files are
    replaced only once all are written, so a failure leaves the old set (or none) and no
    temporary file, and a reader never sees a part of a file."""
    pending = []
    try:
        for path, text in outputs.items():
            if os.path.isdir(path):
                raise IsADirectoryError(f"{path}: a folder is in the way of a generated file")
            data = text.encode("utf-8")
            if files.same_content(path, data):
                files.fix_private_mode(path)
                continue
            with files.pending_file(path) as (out, tmp):
                pending.append((tmp, path))
                out.write(data)
        while pending:
            tmp, path = pending[0]
            os.replace(tmp, path)
            pending.pop(0)
    finally:
        for tmp, _ in pending:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def generate(path: str) -> Declaration:
    """Write the .pyx/.pxd/.pyi of one declaration file (only files whose text changed)."""
    decl = find_declaration(path)
    folder = os.path.dirname(decl.path)
    files.sweep_temp_files(folder)  # left by killed builds
    specs = load_specs(decl)
    sources = generate_module(specs, decl.path, decl.module)
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"{folder}: cannot write the generated files here")
    _write_all_or_none({decl.output(ext): text for ext, text in sources.items()})
    return decl


def _include() -> list:
    from . import get_include
    return get_include()


def _source_path(path: str) -> str:
    """path relative to the working folder, as setuptools wants sources, when it lies below it;
    otherwise absolute (cythonize's build_dir must not be escaped through "..")."""
    relative = os.path.relpath(path)
    return path if relative.split(os.sep, 1)[0] == os.pardir else relative


def _cythonize(decls, build_dir: str, extension_kwargs: dict, sources=None) -> list:
    """cythonized Extensions of decls; the .c files go below build_dir only."""
    from Cython.Build import cythonize
    from setuptools import Extension

    kwargs = dict(extension_kwargs)
    include_dirs = _include() + list(kwargs.pop("include_dirs", []))
    exts = [Extension(decl.compiled_module,
                      [sources[i] if sources else decl.output("pyx")],
                      include_dirs=include_dirs, **kwargs)
            for i, decl in enumerate(decls)]
    return cythonize(exts, include_path=_include() + sorted({d.root for d in decls}),
                     language_level=3, quiet=True, build_dir=build_dir)


_C_TRAILER = b"#endif /* Py_PYTHON_H */\n"


def _whole_c_file(path: str) -> bool:
    """Whether the Cython output at path ends as Cython ends every C file (a cut one does not)."""
    try:
        with open(path, "rb") as f:
            if not f.read(64).startswith(b"/* Generated by Cython "):
                return False
            f.seek(0, os.SEEK_END)
            if f.tell() < 64 + len(_C_TRAILER):
                return False
            f.seek(-len(_C_TRAILER), os.SEEK_END)
            return f.read() == _C_TRAILER
    except OSError:
        return False


def extensions(paths, **extension_kwargs) -> list:
    """Generate the sources of each declaration and return cythonized setuptools Extensions
    (with compactclass's include folders) ready for ``setup(ext_modules=...)``.

    Keyword arguments are the Extension's (``extra_compile_args=...``, ...). With
    ``optional=True`` a record module that cannot be compiled is left out with a warning (by
    Cython here, by setuptools' build_ext for the C compiler, or here for all of them when
    compactclass's compiled runtime is not installed): the project then installs and its
    records use the pure-Python runtime. A declaration that is wrong is an error either way.

    The generated ``.pxd`` and ``.pyi`` of a declaration inside a package become that package's
    package data by themselves (compactclass's setuptools hook, ``ship_generated_files``), so
    other projects can ``cimport`` the records and type checkers see them; the generated ``.c``
    is not shipped in wheels unless the project lists it.

    The .c of each declaration is left beside its .pyx (for sdists and setuptools' own
    up-to-date checks). Cython writes it in a private temporary folder; it replaces the one
    beside the .pyx atomically, and only when its text changed, so that file is always whole
    and keeps its mtime across runs that change nothing. A .c there that is not whole (left by
    an older version, or cut by something else) is never trusted to be up to date."""
    from Cython.Compiler.Errors import CompileError

    decls = [generate(path) for path in paths]
    optional = bool(extension_kwargs.get("optional"))
    missing = _missing_runtime()
    if missing and optional:
        warnings.warn(f"{missing}: {', '.join(d.module for d in decls)} will use the pure-Python "
                      "records", RuntimeWarning, stacklevel=2)
        return []
    if missing:
        raise CompiledRuntimeMissingError(
            f"{missing}; reinstall compactclass where a C compiler works, or pass "
            "optional=True to extensions() to install pure-Python records")
    built: list = []
    # (one cythonize call for all, unless each may fail on its own)
    for group in ([[decl] for decl in decls] if optional else [decls]):
        try:
            built += zip(group, _cythonize_beside(group, extension_kwargs))
        except CompileError as exc:
            if not optional:
                raise
            warnings.warn(f"{group[0].path}: Cython could not compile the records ({exc}); "
                          f"{group[0].module} will use the pure-Python records",
                          RuntimeWarning, stacklevel=2)
    exts = []
    for decl, ext in built:
        # cythonize keeps only the options it merges (include_dirs, ...): put back the others
        for key, value in extension_kwargs.items():
            if not isinstance(value, (list, tuple)):
                setattr(ext, key, value)
        package = decl.module.rpartition(".")[0]
        if package:
            ext.compactclass_package_data = (package, [os.path.basename(decl.output(suffix))
                                                       for suffix in ("pxd", "pyi")])
        exts.append(ext)
    return exts


def _cythonize_beside(decls, extension_kwargs: dict) -> list:
    """cythonized Extensions of decls, each .c written beside its .pyx (see extensions)."""
    sources = [_source_path(decl.output("pyx")) for decl in decls]
    with files.build_folder() as tmp:
        build_dir = os.path.join(tmp, "c")
        for decl, source in zip(decls, sources):
            # let Cython's own dependency check see the existing .c, if it is whole
            existing = decl.output("c")
            staged = _staged_path(build_dir, os.path.splitext(source)[0] + ".c")
            if _whole_c_file(existing):
                os.makedirs(os.path.dirname(staged), exist_ok=True)
                shutil.copy2(existing, staged)
        exts = _cythonize(decls, build_dir, extension_kwargs, sources)
        for decl, ext in zip(decls, exts):
            [c_file] = ext.sources
            final = decl.output("c")
            with open(c_file, "rb") as f:
                data = f.read()
            if files.same_content(final, data):
                files.fix_private_mode(final)
            else:
                files.atomic_write(final, data)
            ext.sources = [_source_path(final)]
    return exts


def _missing_runtime():
    """Why records cannot be compiled here, or None: compiled records cimport compactclass's
    compiled runtime, which is not installed when compactclass was installed without a
    working C compiler (a record module built without it could never be imported)."""
    if binding.runtime_installed():
        return None
    return ("compactclass's compiled runtime is not installed (it could not be compiled when "
            "compactclass was installed), so records cannot be compiled")


def ship_generated_files(dist) -> None:
    """setuptools hook (entry point ``setuptools.finalize_distribution_options``): add the
    .pxd/.pyi of the Extensions made by :func:`extensions` to the distribution's package data.
    Distributions without such Extensions are left alone."""
    for ext in getattr(dist, "ext_modules", None) or ():
        shipped = getattr(ext, "compactclass_package_data", None)
        if shipped is None:
            continue
        package, names = shipped
        if dist.package_data is None:
            dist.package_data = {}
        listed = dist.package_data.setdefault(package, [])
        listed.extend(name for name in names if name not in listed)


def _staged_path(build_dir: str, c_file: str) -> str:
    """Where cythonize(build_dir=...) puts the .c of source c_file (as Cython computes it)."""
    if os.path.isabs(c_file):
        c_file = os.path.splitdrive(c_file)[1].split(os.sep, 1)[1]
    return os.path.join(build_dir, c_file)


def _compile(ext, folder: str, quiet: bool) -> tuple:
    """Compile one cythonized Extension below folder: (path of the built module, its path
    relative to the import root)."""
    from setuptools.dist import Distribution

    dist = Distribution({"name": ext.name, "ext_modules": [ext], "script_name": "compactclass",
                         # (no build/ folder in the user's project, no --inplace copy)
                         "script_args": ["build_ext", "--build-temp", os.path.join(folder, "o"),
                                         "--build-lib", os.path.join(folder, "lib")]})
    if quiet:
        dist.verbose = 0
    dist.parse_command_line()
    dist.run_commands()
    cmd = dist.get_command_obj("build_ext")
    return cmd.get_ext_fullpath(ext.name), cmd.get_ext_filename(ext.name)


def build_inplace(paths, quiet: bool = True) -> list:
    """Generate and compile each declaration; the extension lands beside its declaration.

    Everything is built in a private temporary folder (``compactclass-build-<pid>-XXXX``); the
    finished module is copied beside the declaration under a temporary name and moved to its
    final name with os.replace, so an import (or a program that has the old module loaded)
    never sees a partly written file, whether the build races it, fails or is killed. Two
    builds of one file at once both end with a whole module. Leftovers of killed builds are
    removed first. Callable inside a running program: see load_specs."""
    decls = [find_declaration(p) for p in paths]
    missing = _missing_runtime()
    if missing:
        raise CompiledRuntimeMissingError(f"{missing}; reinstall compactclass where a C "
                                          "compiler works")
    built = []
    for decl in decls:
        generate(decl.path)
        with files.build_folder() as tmp:
            [ext] = _cythonize([decl], os.path.join(tmp, "c"), {})
            module_file, relative = _compile(ext, tmp, quiet)
            problem = files.damaged_extension(module_file)
            if problem:
                raise OSError(f"{decl.path}: the compiled module is damaged: {problem}")
            files.atomic_copy(module_file, os.path.join(decl.root, relative),
                              files.EXECUTABLE_MODE, fsync=True)
        importlib.invalidate_caches()
        built.append(decl)
    return built
