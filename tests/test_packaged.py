"""Install compactclass, a project built with compactclass.build.extensions, and a separately
built project that cimports the first one, into a fresh virtual environment."""
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*cmd, cwd=None):
    # (without PYTHONPATH: a checkout on it would shadow what is installed in the venv)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    assert result.returncode == 0, (f"{' '.join(cmd)} failed:\n{result.stdout[-4000:]}\n"
                                    f"{result.stderr[-4000:]}")
    return result.stdout


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory):
    """A venv seeing the build tools already installed here (Cython, setuptools), with
    compactclass installed into it from this checkout as a regular (non-editable) package."""
    root = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", "--system-site-packages", str(root / "env"))
    python = str(root / "env" / "bin" / "python")
    src = root / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(
        ".git", "build", "*.so", "*.egg-info", "__pycache__", "*_compact.*", ".hypothesis",
        "results", ".build"))
    run(python, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-deps", str(src))
    return python, root


def test_installed_package_ships_headers(venv_python):
    python, root = venv_python
    out = run(python, "-c", textwrap.dedent("""
        import os, compactclass
        dirs = compactclass.get_include()
        print(compactclass.__file__)
        assert all(os.path.isdir(d) for d in dirs), dirs
        found = {n for d in dirs for _, _, files in os.walk(d) for n in files}
        assert {"compactcore.h", "_records.pxd", "_kinds.pxd", "_arrays.pxd", "core.pxd", "typeslots.h"} <= found, found
    """), cwd=str(root))
    assert "site-packages" in out


def test_packaged_project_and_cimport_consumer(venv_python):
    python, root = venv_python
    project = root / "packaged"
    shutil.copytree(os.path.join(REPO, "examples", "packaged"), project)
    run(python, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-deps", str(project))
    run(python, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-deps",
        str(project / "consumer"))
    out = run(python, "-c", textwrap.dedent("""
        import compactclass, sys
        from shapes.geometry import Point, Circle
        from shapes import fast
        from shapes_consumer import loops
        assert compactclass.is_compiled(Point) and compactclass.is_compiled(Circle)
        assert "site-packages" in sys.modules["shapes.geometry_compact"].__file__
        points = [Point(i, 2 * i) for i in range(10)]
        assert fast.total_x(points) == 45
        loops.shift(points, 3)
        assert [p.x for p in points] == [i + 3 for i in range(10)]
        assert loops.sum_radii([Circle(0.0, 0.0, 1.5), Circle(1.0, 1.0)]) == 2.5
        print("ok", Circle(0.0, 0.0, 2.0).area())
    """), cwd=str(root))
    assert out.startswith("ok 12.56")
