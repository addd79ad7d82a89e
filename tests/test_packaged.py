"""A packaged project built with compactclass, installed the way users install it: compactclass's
wheel is built into a folder, the project (examples/packaged, which lists compactclass in its
build-system requires) is built by pip with build isolation against that folder and installed
into a fresh virtual environment, and a separate module cimports its records with plain
``cythonize -i``."""
import os
import shutil
import textwrap
import zipfile

import pytest

from venvs import EXAMPLE, build_wheel, fresh_venv, run, wheel_of

SHAPES = "compactclass-example-shapes"


@pytest.fixture(scope="module")
def installed(tmp_path_factory, compactclass_wheels):
    """(python of a fresh venv holding compactclass and the example project, work folder,
    the pip options that find their wheels)."""
    root = tmp_path_factory.mktemp("packaged")
    wheels = root / "wheels"
    project = shutil.copytree(EXAMPLE, root / "packaged")
    build_wheel(project, wheels, "--find-links", compactclass_wheels)
    python = fresh_venv(root / "env")
    find = ["--find-links", compactclass_wheels, "--find-links", wheels]
    run(python, "-m", "pip", "install", "-q", *find, wheel_of(wheels, SHAPES))
    return python, root, find


def test_compactclass_wheel_ships_the_runtime_pxd_and_headers_in_the_package(
        compactclass_wheels):
    names = set(zipfile.ZipFile(wheel_of(compactclass_wheels, "compactclass")).namelist())
    runtime = {"__init__.pxd", "core.pxd", "_kinds.pxd", "_strings.pxd", "_times.pxd",
               "_enums.pxd", "_records.pxd", "_arrays.pxd", "compactcore.h", "cc_typeslots.h"}
    assert {f"compactclass/{name}" for name in runtime} <= names, names
    assert not any(name.startswith("compactclass/include/") for name in names), names


def test_project_wheel_ships_pxd_and_pyi_but_not_the_generated_c(installed):
    _, root, _ = installed
    names = set(zipfile.ZipFile(wheel_of(root / "wheels", SHAPES)).namelist())
    assert {"shapes/geometry_compact.pxd", "shapes/geometry_compact.pyi"} <= names, names
    assert not [name for name in names if name.endswith((".c", ".pyx"))], names


def test_installed_records_are_compiled_and_used_from_cython(installed):
    python, root, _ = installed
    out = run(python, "-c", textwrap.dedent("""
        import os, compactclass, sys
        from shapes.geometry import Point, Circle
        from shapes import fast
        assert compactclass.runtime_compiled
        assert compactclass.is_compiled(Point) and compactclass.is_compiled(Circle)
        assert sys.prefix in sys.modules["shapes.geometry_compact"].__file__
        [include] = compactclass.get_include()
        assert include == os.path.dirname(compactclass.__file__), include
        assert fast.total_x([Point(i, 2 * i) for i in range(10)]) == 45
        print("ok", Circle(0.0, 0.0, 2.0).area())
    """), cwd=root).stdout
    assert out.startswith("ok 12.56")


def test_plain_cythonize_finds_the_records_through_sys_path(installed, tmp_path):
    """Cython's own command, no options: shapes/geometry_compact.pxd and compactclass's .pxd are
    found through sys.path, compactclass's headers through the folder of its .pxd."""
    python, _, _ = installed
    shutil.copy(os.path.join(EXAMPLE, "consumer", "shapes_consumer", "loops.pyx"), tmp_path)
    cythonize = os.path.join(os.path.dirname(python), "cythonize")
    run(cythonize, "-i", "loops.pyx", cwd=tmp_path)
    out = run(python, "-c", textwrap.dedent("""
        import loops
        from shapes.geometry import Circle, Point
        points = [Point(i, 2 * i) for i in range(10)]
        loops.shift(points, 3)
        assert [p.x for p in points] == [i + 3 for i in range(10)]
        print("ok", loops.sum_radii([Circle(0.0, 0.0, 1.5), Circle(1.0, 1.0)]))
    """), cwd=tmp_path).stdout
    assert out == "ok 2.5\n"


def test_consumer_project_builds_in_isolation_against_the_installed_records(installed):
    """examples/packaged/consumer lists the records' project in its build requires."""
    python, root, find = installed
    consumer = root / "packaged" / "consumer"
    run(python, "-m", "pip", "install", "-q", *find, consumer)
    out = run(python, "-c", textwrap.dedent("""
        from shapes.geometry import Circle
        from shapes_consumer import loops
        print(loops.sum_radii([Circle(0.0, 0.0, 0.5)] * 3))
    """), cwd=root).stdout
    assert out == "1.5\n"
