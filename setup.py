"""Build compactclass: the Python package, its compiled runtime, and the shipped headers.

The compiled runtime is five extensions built from pyx/compactclass/: _kinds, _strings and _times
(the slow paths of the Str[N]/Bytes[N] and time kinds), _records (which links the arenas of the C
core in csrc/) and _arrays (which links its record vectors). The runtime's .pxd files and the C
headers they name are installed into the package folder itself (as NumPy ships
numpy/__init__.pxd): Cython then finds ``cimport compactclass._records`` through sys.path, and
cythonize adds that folder to a consumer's include_dirs because the headers lie beside the .pxd.

The runtime is optional: when it cannot be compiled (no C compiler, no Python headers), the
package installs without it, says so once, and records and arrays use the pure-Python runtime.
"""
import os
import shutil
import sys

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py
from setuptools.errors import CCompilerError, CompileError, ExecError, PlatformError

HERE = os.path.dirname(os.path.abspath(__file__))
CORE_SOURCES = ["csrc/core.c", "csrc/arena.c", "csrc/arena_block.c", "csrc/vec.c"]
SHIPPED = {  # source folder -> files copied into the installed compactclass/ folder
    "csrc": ["compactcore.h"],
    "pyx/compactclass": ["__init__.pxd", "core.pxd", "_kinds.pxd", "_strings.pxd", "_times.pxd",
                         "_enums.pxd", "_records.pxd", "_arrays.pxd", "cc_typeslots.h"],
}


def stage_headers(package_dir):
    """Copy the runtime's .pxd files and C headers into the installed package folder."""
    os.makedirs(package_dir, exist_ok=True)
    for folder, names in SHIPPED.items():
        for name in names:
            shutil.copyfile(os.path.join(HERE, folder, name), os.path.join(package_dir, name))


class BuildPyWithHeaders(build_py):
    def run(self):
        super().run()
        stage_headers(os.path.join(self.build_lib, "compactclass"))

    def get_outputs(self, include_bytecode=True):
        package_dir = os.path.join(self.build_lib, "compactclass")
        return super().get_outputs(include_bytecode) + [
            os.path.join(package_dir, name) for names in SHIPPED.values() for name in names]


RUNTIME_MISSING = """
compactclass: the compiled runtime could not be built ({error}).
compactclass is installed without it: records and arrays use the pure-Python runtime (the same
behaviour, more memory per record, slower); compactclass.runtime_compiled is False.
To get the compiled runtime, install a C compiler and the Python headers, then reinstall:
    pip install --force-reinstall --no-cache-dir --no-binary compactclass compactclass
"""


class BuildRuntimeIfPossible(build_ext):
    """build_ext for the runtime, all or nothing: if one module fails to compile, none is
    installed (a partial runtime would fail every compiled record's import) and ONE message
    says what happened."""

    def build_extensions(self):
        try:
            super().build_extensions()
        except (CCompilerError, CompileError, ExecError, PlatformError) as exc:
            for ext in self.extensions:
                built = self.get_ext_fullpath(ext.name)
                if os.path.exists(built):
                    os.unlink(built)
            error = (str(exc).strip() or type(exc).__name__).splitlines()[0]
            sys.stderr.write(RUNTIME_MISSING.format(error=error))
            sys.stderr.flush()

    def get_outputs(self):
        return [path for path in super().get_outputs() if os.path.exists(path)]


def core_macros():
    macros = []
    if os.environ.get("COMPACTCLASS_MALLOC_PER_BLOCK"):
        macros.append(("CC_ARENA_MALLOC_PER_BLOCK", "1"))
    if os.environ.get("COMPACTCLASS_DEBUG"):
        macros.append(("CC_DEBUG", "1"))
    return macros



def runtime_module(name, core=()):
    """One module of the compiled runtime (pyx/compactclass/<name>.pyx) and the C core sources
    it links."""
    return Extension(
        f"compactclass.{name}",
        sources=[f"pyx/compactclass/{name}.pyx", *core],
        include_dirs=["csrc", "pyx", "pyx/compactclass"],
        define_macros=core_macros(),
        depends=["csrc/compactcore.h", "csrc/internal.h", "csrc/track.h",
                 "pyx/compactclass/cc_typeslots.h"],
    )


# _kinds: C operations of the field kinds (_strings, _times: of Str[N]/Bytes[N] and the time
# kinds); _records: arenas and what every record shares; _arrays: record arrays (their storage
# vectors come from the C core too).
runtime = [runtime_module("_kinds"), runtime_module("_strings"), runtime_module("_times"),
           runtime_module("_records", core=[s for s in CORE_SOURCES if "vec" not in s]),
           runtime_module("_arrays", core=["csrc/core.c", "csrc/vec.c"])]

setup(
    name="compactclass",
    version="0.1.0",
    description="Compact, C-backed records declared like dataclasses, compiled with Cython",
    python_requires=">=3.10",
    packages=["compactclass", "compactclass.kinds", "compactclass.codegen", "compactclass.pure"],
    package_data={"compactclass": ["py.typed", "*.pyi"]},
    ext_modules=cythonize(runtime, include_path=["pyx"], language_level=3),
    cmdclass={"build_py": BuildPyWithHeaders, "build_ext": BuildRuntimeIfPossible},
    install_requires=["Cython>=3.1", "setuptools>=64"],
    extras_require={
        # (the type checkers are pinned: tests/typing/ expects their exact messages)
        "test": ["pytest>=7", "hypothesis>=6", "numpy>=1.23", "mypy==2.4.1", "pyright==1.1.414"],
        "bench": ["numpy>=1.23", "attrs", "msgspec", "recordclass", "matplotlib"],
    },
    entry_points={
        "console_scripts": ["compactclass=compactclass.cli:main"],
        # ships the .pxd/.pyi of compactclass.build.extensions() as package data
        "setuptools.finalize_distribution_options": [
            "compactclass_package_data = compactclass.build:ship_generated_files"],
    },
    zip_safe=False,
)
