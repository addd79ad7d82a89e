"""Real installs for the packaging tests: a clean copy of this checkout, fresh virtual
environments (no system site packages) and pip with its defaults (build isolation on), the way
users install. PyPI must be reachable (pip fetches setuptools and Cython for isolated builds)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(REPO, "examples", "packaged")

_BUILD_OUTPUTS = shutil.ignore_patterns(".git", "build", "dist", "*.so", "*.egg-info",
                                        "__pycache__", "*_compact.*", ".hypothesis",
                                        ".pytest_cache", "results", ".build")


def run(*cmd, cwd=None, env=None, check=True) -> subprocess.CompletedProcess:
    """Run cmd; with check, fail the test with its output when it fails. Without PYTHONPATH (a
    checkout on it would shadow what is installed in the venv) and with env's changes."""
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    environ.update(env or {})
    result = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True,
                            env=environ)
    if check:
        assert result.returncode == 0, (f"{' '.join(map(str, cmd))} failed:\n"
                                        f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result


def copy_source(dest) -> str:
    """This checkout without build outputs (nor the Cython-generated .c of the runtime), as a
    user's download of the sources would be."""
    def ignore(folder, names):
        ignored = set(_BUILD_OUTPUTS(folder, names))
        if os.path.relpath(folder, REPO).split(os.sep)[0] == "pyx":
            ignored |= {n for n in names if n.endswith(".c")}
        return ignored

    shutil.copytree(REPO, dest, ignore=ignore)
    return str(dest)


def build_wheel(source, wheel_dir, *pip_options, env=None) -> subprocess.CompletedProcess:
    """pip wheel of one project (its dependencies are not built), with build isolation."""
    return run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", wheel_dir, *pip_options,
               source, env=env)


def wheel_of(wheel_dir, distribution: str) -> str:
    """The one wheel of distribution in wheel_dir (installed by path: PyPI may hold a project of
    the same name)."""
    prefix = distribution.replace("-", "_") + "-"
    [name] = [n for n in os.listdir(wheel_dir) if n.startswith(prefix) and n.endswith(".whl")]
    return os.path.join(wheel_dir, name)


def fresh_venv(path) -> str:
    """A new virtual environment without system site packages; returns its python."""
    run(sys.executable, "-m", "venv", path)
    return os.path.join(str(path), "bin", "python")
