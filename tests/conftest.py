"""Shared fixtures: build declaration files into compiled modules in a temporary folder.

Building (cythonize + C compile) takes seconds, so each test module builds its declarations
once (module- or session-scoped) and tests share the result. Every built module gets a unique
name, so builds never collide in sys.modules.
"""
from __future__ import annotations

import importlib
import itertools
import os
import sys
import textwrap

import pytest

from compactclass import build

_counter = itertools.count()


class Builder:
    """Writes declaration sources into one folder (on sys.path) and builds them."""

    def __init__(self, folder):
        self.folder = folder
        sys.path.insert(0, str(folder))

    def write(self, source: str, name: str = None) -> tuple:
        name = name or f"decl_{next(_counter)}"
        path = self.folder / f"{name}.py"
        path.write_text(textwrap.dedent(source))
        return name, path

    def build(self, source: str, name: str = None, compile: bool = True):
        """Write the declaration, build it (unless compile=False) and import it."""
        name, path = self.write(source, name)
        if compile:
            build.build_inplace([str(path)])
        sys.modules.pop(name, None)
        return importlib.import_module(name)


@pytest.fixture(scope="session")
def builder(tmp_path_factory):
    """A session-wide Builder: ``builder.build(source)`` returns the imported module."""
    return Builder(tmp_path_factory.mktemp("compact_builds"))


def fallback_of(cls):
    """The pure-Python fallback class built from the same spec as (compiled) ``cls``."""
    return cls.__compact__.fallback_class()


def outcome(thunk):
    """What a call gives, for comparing the modes: ("ok", repr of its result) or (exception
    type name, message)."""
    try:
        return "ok", repr(thunk())
    except Exception as exc:                # noqa: BLE001 - any outcome is compared
        return type(exc).__name__, str(exc)


def both_modes(module, name):
    """(compiled class, its fallback) of record ``name`` of a built module."""
    cls = getattr(module, name)
    return cls, fallback_of(cls)


def hypothesis_profile(profiles: dict) -> tuple:
    """(name, settings) of the profile COMPACTCLASS_HYPOTHESIS_PROFILE names ("ci" by default)
    among a test module's profiles."""
    name = os.environ.get("COMPACTCLASS_HYPOTHESIS_PROFILE", "ci")
    if name not in profiles:
        raise RuntimeError(f"COMPACTCLASS_HYPOTHESIS_PROFILE={name!r}: choose one of "
                           f"{', '.join(profiles)}")
    return name, profiles[name]


def build_consumer(name: str, source: str, folder, tmp_path):
    """Compile a Cython module ``name`` from ``source`` that cimports the generated records
    in ``folder`` (the way a user's own .pyx does), and import it."""
    from Cython.Build import cythonize
    from setuptools import Extension
    from setuptools.dist import Distribution

    path = tmp_path / f"{name}.pyx"
    path.write_text(source)
    includes = compactclass_include()
    ext = Extension(name, [str(path)], include_dirs=includes)
    modules = cythonize([ext], include_path=[str(folder), *includes], quiet=True)
    dist = Distribution({"name": name, "ext_modules": modules,
                         "script_args": ["build_ext", "--build-lib", str(tmp_path),
                                         "--build-temp", str(tmp_path / "tmp")]})
    dist.parse_command_line()
    dist.run_commands()
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(tmp_path))


def compactclass_include() -> list:
    import compactclass
    return compactclass.get_include()


@pytest.fixture(scope="session")
def compactclass_wheels(tmp_path_factory):
    """A folder holding the wheel of compactclass that pip builds from a clean copy of this
    checkout (build isolation on), for the install tests (test_packaged, test_install)."""
    from venvs import build_wheel, copy_source

    root = tmp_path_factory.mktemp("compactclass-wheel")
    build_wheel(copy_source(root / "compactclass"), root / "wheels")
    return root / "wheels"
