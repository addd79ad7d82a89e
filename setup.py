"""Build compactclass: the Python package, its compiled runtime, and the shipped headers.

The compiled runtime is five extensions built from pyx/compactclass/: _kinds, _strings and _times
(the slow paths of the Str[N]/Bytes[N] and time kinds), _records (which links the arenas of the C
core in csrc/) and _arrays (which links its record vectors). The C
header and the .pxd files are shipped inside the package under ``compactclass/include`` so that
``compactclass.get_include()`` finds them after installation.
"""
import os
import shutil

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
CORE_SOURCES = ["csrc/core.c", "csrc/arena.c", "csrc/arena_block.c", "csrc/vec.c"]
SHIPPED = {  # source folder -> files copied into compactclass/include/
    "csrc": ["compactcore.h"],
    "pyx": ["compactclass/__init__.pxd", "compactclass/core.pxd", "compactclass/_kinds.pxd",
            "compactclass/_strings.pxd", "compactclass/_times.pxd", "compactclass/_enums.pxd",
            "compactclass/_records.pxd", "compactclass/_arrays.pxd", "compactclass/typeslots.h"],
}


def stage_include(package_dir):
    """Copy the shipped headers and .pxd files into <package_dir>/include."""
    for folder, names in SHIPPED.items():
        for name in names:
            target = os.path.join(package_dir, "include", name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(os.path.join(HERE, folder, name), target)


class BuildPyWithHeaders(build_py):
    def run(self):
        super().run()
        stage_include(os.path.join(self.build_lib, "compactclass"))


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
        include_dirs=["csrc", "pyx"],
        define_macros=core_macros(),
        depends=["csrc/compactcore.h", "csrc/internal.h", "csrc/track.h",
                 "pyx/compactclass/typeslots.h"],
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
    package_data={"compactclass": ["py.typed"]},
    ext_modules=cythonize(runtime, include_path=["pyx"], language_level=3),
    cmdclass={"build_py": BuildPyWithHeaders},
    install_requires=["Cython>=3.1", "setuptools>=64"],
    extras_require={
        # (the type checkers are pinned: tests/typing/ expects their exact messages)
        "test": ["pytest>=7", "hypothesis>=6", "numpy>=1.23", "mypy==2.4.1", "pyright==1.1.414"],
        "bench": ["numpy>=1.23", "attrs", "msgspec", "recordclass", "matplotlib"],
    },
    entry_points={"console_scripts": ["compactclass=compactclass.cli:main"]},
    zip_safe=False,
)
