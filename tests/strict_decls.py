"""One built declaration and the ways its build can be missing or unusable, shared by
test_strict.py (strict mode) and test_cli.py (``status``).

The declaration is compiled once per session (:func:`strict_built`). Each situation a user can
meet is then made for real in a fresh folder that a child interpreter puts first on its path
(:func:`situation`): the declaration without any build, edited after its build (stale), beside a
cut copy of its module (damaged), beside a compiled module that does not import, or with a
compactclass installed without its compiled runtime (the package's Python files only).
"""
from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass

import pytest

DECLARATION = textwrap.dedent("""\
    from compactclass import compact, i32

    @compact
    class Point:
        x: i32
        y: i32 = 0


    @compact
    class Point3(Point):
        z: i32 = 0


    def make_local():
        @compact
        class Local:
            a: i32
        return Local


    Local = make_local()
""")
DECORATOR_LINE = 3      # the line of Point's @compact, where strict mode raises

# the same declaration, edited after its build
EDITED = DECLARATION.replace("    y: i32 = 0\n", "    y: i32 = 0\n    w: i32 = 0\n", 1)

SITUATIONS = ("compiled", "no build", "stale", "damaged", "import failed", "runtime missing")

_names = itertools.count()


@dataclass(frozen=True)
class Built:
    name: str           # the declaration's module name
    folder: str         # where it and its compiled module are (on this process's sys.path)
    module_file: str    # the compiled module's file


@pytest.fixture(scope="session")
def strict_built(builder):
    """The declaration, built once per session."""
    if os.environ.get("COMPACTCLASS_PURE") == "1":
        pytest.skip("COMPACTCLASS_PURE=1: this process uses no compiled records")
    name = "strict_decl"
    builder.build(DECLARATION, name)
    [module_file] = [str(p) for p in builder.folder.iterdir()
                     if p.name.startswith(f"{name}_compact.") and p.suffix in (".so", ".pyd")]
    return Built(name, str(builder.folder), module_file)


def situation(kind: str, built: Built, folder) -> str:
    """Make situation kind in folder (a child puts it first on its path): the name of the
    declaration module to import there."""
    folder = str(folder)
    name = built.name
    if kind == "no build":          # (a name of its own: the session's build is on the path)
        name = f"strict_unbuilt_{next(_names)}"
        _write(folder, f"{name}.py", DECLARATION)
    elif kind == "stale":
        _write(folder, f"{name}.py", EDITED)
        shutil.copy2(built.module_file, folder)
    elif kind == "damaged":
        _write(folder, f"{name}.py", DECLARATION)
        with open(built.module_file, "rb") as f:
            data = f.read()
        with open(os.path.join(folder, os.path.basename(built.module_file)), "wb") as f:
            f.write(data[:len(data) // 2])
    elif kind == "import failed":   # (a compiled module that needs what is not installed)
        _write(folder, f"{name}.py", DECLARATION)
        _write(folder, f"{name}_compact.py", "import strict_decl_missing_dependency\n")
    elif kind == "runtime missing":     # compactclass without its extension modules
        import compactclass
        package = os.path.dirname(compactclass.__file__)
        shutil.copytree(package, os.path.join(folder, "compactclass"),
                        ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
        _write(folder, f"{name}.py", DECLARATION)
    elif kind != "compiled":
        raise ValueError(kind)
    return name


# Interpreter options a child needs for a situation: without site (-S), an editable install's
# finder (the .pth of `pip install -e`) would find the checkout's extension modules even when
# the compactclass copy on the path has none, as no real installation would.
CHILD_FLAGS = {"runtime missing": ["-S"]}


# What each situation's fallback_reason says of Point (the command is checked apart).
REASONS = {
    "no build": "no compiled module {name}_compact (run `python -m compactclass build ",
    "stale": "stale: {name}_compact: it was generated from a different version of the "
             "declaration (run `python -m compactclass build ",
    "damaged": "damaged build: {name}_compact: its file ",
    "import failed": "import failed: {name}_compact: No module named "
                     "'strict_decl_missing_dependency' (run `python -m compactclass build ",
    "runtime missing": "compactclass's compiled runtime is not installed (no "
                       "compactclass._records; reinstall compactclass where a C compiler is "
                       "available)",
}


def run(args, cwd, **env):
    """Run python with args in a fresh interpreter whose path starts with cwd; neither
    COMPACTCLASS_PURE nor COMPACTCLASS_STRICT is inherited."""
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("COMPACTCLASS_PURE", "COMPACTCLASS_STRICT")}
    full_env.update(PYTHONPATH=os.pathsep.join([str(cwd), *sys.path]), **env)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=str(cwd),
                          env=full_env, timeout=600)


def _write(folder: str, filename: str, text: str) -> None:
    with open(os.path.join(folder, filename), "w") as f:
        f.write(text)
