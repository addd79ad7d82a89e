"""Installs on a machine without a working C compiler (``CC=false``, so every compile fails):
compactclass installs without its compiled runtime and says so once, and its records and arrays
use the pure-Python runtime; a user project built with ``extensions(..., optional=True)``
installs its pure records, one built without it fails to install with the compiler's error.
Where compactclass has no compiled runtime, records are not compiled even with a compiler
(they could not be imported): optional=True gives pure records, otherwise the build says why."""
import os
import textwrap
import zipfile

import pytest

from venvs import build_wheel, copy_source, fresh_venv, run, wheel_of

NO_COMPILER = {"CC": "false"}
RUNTIME_MISSING = "compactclass: the compiled runtime could not be built"


@pytest.fixture(scope="module")
def no_compiler(tmp_path_factory):
    """(python of a fresh venv holding compactclass built with CC=false, work folder, wheel
    folder, pip's verbose output of that build)."""
    root = tmp_path_factory.mktemp("nocompiler")
    wheels = root / "wheels"
    build = build_wheel(copy_source(root / "compactclass"), wheels, "-v", env=NO_COMPILER)
    python = fresh_venv(root / "env")
    run(python, "-m", "pip", "install", "-q", wheel_of(wheels, "compactclass"), env=NO_COMPILER)
    return python, root, wheels, build.stdout + build.stderr


def user_project(folder, optional: bool):
    """A small project whose records are compiled by compactclass.build.extensions."""
    os.makedirs(folder / "inventory")
    (folder / "pyproject.toml").write_text(textwrap.dedent("""
        [build-system]
        requires = ["setuptools>=64", "Cython>=3.1", "compactclass"]
        build-backend = "setuptools.build_meta"
    """))
    (folder / "setup.py").write_text(textwrap.dedent(f"""
        from setuptools import setup
        from compactclass.build import extensions

        setup(name="compactclass-test-inventory", version="1.0", packages=["inventory"],
              ext_modules=extensions(["inventory/items.py"], optional={optional}),
              install_requires=["compactclass"])
    """))
    (folder / "inventory" / "__init__.py").write_text("")
    (folder / "inventory" / "items.py").write_text(textwrap.dedent("""
        from compactclass import compact, Str, u32

        @compact(frozen=True, order=True)
        class Item:
            sku: Str[8]
            count: u32 = 0
    """))
    return folder


def test_one_message_says_the_runtime_was_not_compiled(no_compiler):
    _, _, wheels, output = no_compiler
    assert output.count(RUNTIME_MISSING) == 1, output[-4000:]
    message = output[output.index(RUNTIME_MISSING):]
    assert "pure-Python runtime" in message and "install a C compiler" in message, message
    names = zipfile.ZipFile(wheel_of(wheels, "compactclass")).namelist()
    assert not [n for n in names if n.endswith(".so")], names
    assert "compactclass/_records.pxd" in names  # a compiler may still use the .pxd later


def test_records_and_arrays_use_the_pure_runtime(no_compiler):
    python, root, _, _ = no_compiler
    out = run(python, "-W", "error", "-c", textwrap.dedent("""
        import pickle
        import compactclass
        from compactclass import compact, f64, i32, Str

        @compact(order=True)
        class Trade:
            qty: i32
            price: f64 = 0.0
            symbol: Str[4] = ""

        assert compactclass.runtime_compiled is False
        assert compactclass.is_compiled(Trade) is False
        try:
            import compactclass._records
        except ModuleNotFoundError:
            pass
        else:
            raise AssertionError("the compiled runtime is installed")
        t = Trade(3, 1.5, "ABC")
        assert Trade(1) < t and pickle.loads(pickle.dumps(t)) == t
        trades = Trade.Array([t, Trade(7)])
        trades.append((2, 0.5, "XY"))
        assert list(trades.qty) == [3, 7, 2] and trades[2] == Trade(2, 0.5, "XY")
        assert pickle.loads(pickle.dumps(trades)) == trades
        try:
            trades.append((2 ** 40, 0.0, ""))
        except OverflowError as exc:
            assert "Trade.qty" in str(exc), exc
        else:
            raise AssertionError("an out-of-range qty was stored")
        assert len(trades) == 3
        print(repr(t))
    """), cwd=root).stdout
    assert out == "Trade(qty=3, price=1.5, symbol='ABC')\n"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory, compactclass_wheels):
    """(python of a fresh venv holding the compiled compactclass, work folder)."""
    root = tmp_path_factory.mktemp("compiled")
    python = fresh_venv(root / "env")
    run(python, "-m", "pip", "install", "-q", wheel_of(compactclass_wheels, "compactclass"))
    return python, root


def install(python, project, wheels, env=None, check=True):
    return run(python, "-m", "pip", "install", "-v", "--find-links", wheels, project, env=env,
               check=check)


def check_pure_inventory(python, cwd):
    out = run(python, "-W", "error", "-c", textwrap.dedent("""
        import compactclass
        from inventory.items import Item
        assert not compactclass.is_compiled(Item)
        try:
            Item("a much too long sku")
        except ValueError as exc:
            assert "Item.sku" in str(exc), exc
        else:
            raise AssertionError("a too long sku was stored")
        print(sorted([Item("b", 2), Item("a", 5)]))
    """), cwd=cwd).stdout
    assert out == "[Item(sku='a', count=5), Item(sku='b', count=2)]\n"


def test_optional_project_installs_its_pure_records_when_compiling_fails(compiled,
                                                                         compactclass_wheels):
    python, root = compiled
    project = user_project(root / "optional", optional=True)
    result = install(python, project, compactclass_wheels, env=NO_COMPILER)
    assert 'building extension "inventory.items_compact" failed' in result.stdout + result.stderr
    check_pure_inventory(python, root)


def test_project_without_optional_fails_when_compiling_fails(compiled, compactclass_wheels):
    python, root = compiled
    project = user_project(root / "required", optional=False)
    result = install(python, project, compactclass_wheels, env=NO_COMPILER, check=False)
    assert result.returncode != 0
    assert "inventory/items_compact.c" in result.stdout + result.stderr


def test_optional_project_is_pure_where_the_runtime_is_not_compiled(no_compiler):
    """(a working compiler this time: the records are left pure because of the runtime)"""
    python, root, wheels, _ = no_compiler
    project = user_project(root / "optional", optional=True)
    result = install(python, project, wheels)
    assert "compactclass's compiled runtime is not installed" in result.stdout + result.stderr
    assert "items_compact.c" not in result.stdout  # no compiler was run
    check_pure_inventory(python, root)


def test_records_are_not_compiled_where_the_runtime_is_not_compiled(no_compiler):
    python, root, wheels, _ = no_compiler
    project = user_project(root / "required", optional=False)
    result = install(python, project, wheels, check=False)
    assert result.returncode != 0
    assert "CompiledRuntimeMissingError: compactclass's compiled runtime is not installed" in (
        result.stdout + result.stderr)
    declaration = project / "inventory" / "items.py"
    cli = run(python, "-m", "compactclass", "build", declaration, cwd=root, check=False)
    assert cli.returncode == 1
    assert cli.stderr.startswith("compactclass build: error: compactclass's compiled runtime "
                                 "is not installed"), cli.stderr
    assert not [n for n in os.listdir(declaration.parent) if n.endswith(".so")]
