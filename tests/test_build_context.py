"""What a build does to its surroundings: the running program that calls it (sys.modules,
sys.path, records made earlier), the permissions of the files it writes, and the interpreter
that imports the result (subinterpreters)."""
from __future__ import annotations

import importlib
import importlib.util
import os
import pickle
import stat
import sys
import textwrap

import pytest

import compactclass
from compactclass import build, is_compiled
from test_cli import run

SOURCE = """
from compactclass import compact, i32


@compact
class Point:
    x: i32
    y: i32 = 0


@compact(frozen=True)
class Pair:
    a: i32
    b: i32
"""


@pytest.fixture(scope="module", autouse=True)
def quick_compiles():
    """Unoptimised builds without debug information: what is tested here does not depend on
    the code the compiler makes, and they take half the time."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CFLAGS", f"{os.environ.get('CFLAGS', '')} -O0 -g0".strip())
        yield


def compiled_in_a_fresh_process(folder, name, record="Point"):
    result = run(["-c", f"import compactclass, {name}; "
                        f"print(compactclass.is_compiled({name}.{record}))"], folder)
    assert result.returncode == 0, result.stderr
    return result.stdout.split() == ["True"]


# ------------------------------------------------------------- building inside a program

def test_build_in_a_program_that_uses_the_declaration(builder):
    """Import a declaration (no build yet: the fallback), make records, build it in the same
    process: the program keeps its module and classes, its records still pickle, and a fresh
    process gets the compiled class."""
    name, path = builder.write(SOURCE)
    module = importlib.import_module(name)
    assert not is_compiled(module.Point)
    point, pair = module.Point(1, 2), module.Pair(3, 4)
    path_before = list(sys.path)
    build.build_inplace([str(path)])
    assert sys.modules[name] is module
    assert f"{name}_compact" not in sys.modules
    assert sys.path == path_before
    for record in (point, pair):
        copy = pickle.loads(pickle.dumps(record))
        assert copy == record and type(copy) is type(record)
    assert pickle.loads(pickle.dumps(module.Point.Array([point])))[0] == point
    assert compiled_in_a_fresh_process(builder.folder, name)


def test_build_then_import_in_the_same_program(builder):
    """A declaration not imported before the build: importing it afterwards, in the same
    process, gives the compiled class."""
    name, path = builder.write(SOURCE)
    build.build_inplace([str(path)])
    assert name not in sys.modules and f"{name}_compact" not in sys.modules
    module = importlib.import_module(name)
    assert is_compiled(module.Point) and is_compiled(module.Pair)
    assert pickle.loads(pickle.dumps(module.Point(5))) == module.Point(5)


def test_build_of_a_compiled_declaration_in_use(builder):
    """Rebuilding a declaration whose compiled module the program uses leaves that module and
    its classes in place."""
    module = builder.build(SOURCE)
    assert is_compiled(module.Point)
    compiled = sys.modules[f"{module.__name__}_compact"]
    point = module.Point(7)
    build.build_inplace([module.__file__])
    assert sys.modules[module.__name__] is module
    assert sys.modules[f"{module.__name__}_compact"] is compiled
    assert pickle.loads(pickle.dumps(point)) == point and is_compiled(type(point))


def test_build_forgets_the_pure_record_modules_it_imported(builder):
    """A declaration that imports another declaration: generating imports both in pure mode;
    neither stays, so a later import of the other one gets its compiled classes."""
    other, other_path = builder.write(SOURCE)
    build.build_inplace([str(other_path)])
    name, path = builder.write(f"import {other}\n" + SOURCE.replace("Point", "Spot"))
    build.build_inplace([str(path)])
    assert other not in sys.modules and name not in sys.modules
    module = importlib.import_module(name)
    assert is_compiled(module.Spot) and is_compiled(sys.modules[other].Point)


def test_build_of_a_package_declaration_restores_the_package(tmp_path):
    """pkg.geometry, its package imported before the build or not (and re-exporting the
    records): the package is as it was, and the folder the build put on sys.path is taken off
    again."""
    (tmp_path / "ctxpkg").mkdir()
    (tmp_path / "ctxpkg" / "__init__.py").write_text("from .geometry import Point\n")
    (tmp_path / "ctxpkg" / "geometry.py").write_text(textwrap.dedent(SOURCE))
    path = tmp_path / "ctxpkg" / "geometry.py"
    path_before = list(sys.path)
    try:
        build.generate(str(path))
        assert sys.path == path_before
        assert not [m for m in sys.modules if m == "ctxpkg" or m.startswith("ctxpkg.")]
        sys.path.insert(0, str(tmp_path))
        import ctxpkg
        geometry = sys.modules["ctxpkg.geometry"]
        build.generate(str(path))
        assert sys.modules["ctxpkg"] is ctxpkg and sys.modules["ctxpkg.geometry"] is geometry
        assert ctxpkg.geometry is geometry and ctxpkg.Point is geometry.Point
    finally:
        for name in [m for m in sys.modules if m == "ctxpkg" or m.startswith("ctxpkg.")]:
            del sys.modules[name]
        if str(tmp_path) in sys.path:
            sys.path.remove(str(tmp_path))


def test_regenerating_an_edited_declaration_in_one_program(builder):
    """Records removed from a declaration are not generated again by a later build in the same
    program (the specs of the earlier import are not reused)."""
    name, path = builder.write(SOURCE)
    importlib.import_module(name)
    path.write_text(textwrap.dedent(SOURCE.split("@compact(frozen=True)")[0]))
    importlib.invalidate_caches()
    build.generate(str(path))
    pxd = (builder.folder / f"{name}_compact.pxd").read_text()
    assert "cdef class Point" in pxd and "Pair" not in pxd
    assert sorted(s.name for s in compactclass.binding.records_of_module(name)) == \
        ["Pair", "Point"]                      # (the program's own import, as it was)


# ------------------------------------------------------------------------------ file modes

@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_output_modes_follow_the_umask(tmp_path, umask):
    """Generated files get the mode open() would give them (0644 under umask 022), the module
    the mode a linker would (0755); not mkstemp's 0600."""
    path = tmp_path / "modes_decl.py"
    path.write_text(textwrap.dedent(SOURCE))
    script = ("import os, sys\n"
              f"os.umask({umask:#o})\n"
              "from compactclass import build\n"
              + ("build.build_inplace(['modes_decl.py']); build.extensions(['modes_decl.py'])\n"
                 if umask == 0o022 else "build.generate('modes_decl.py')\n"))
    result = run(["-c", script], tmp_path)
    assert result.returncode == 0, result.stderr
    modes = {p.name.split(".", 1)[1]: stat.S_IMODE(p.stat().st_mode)
             for p in tmp_path.glob("modes_decl_compact.*")}
    text = 0o666 & ~umask
    assert {modes[ext] for ext in ("pyx", "pxd", "pyi")} == {text}, modes
    if umask == 0o022:
        assert modes["c"] == 0o644
        [so] = [ext for ext in modes if ext.endswith(".so")]
        assert modes[so] == 0o755


def test_private_outputs_of_older_versions_get_the_umask_mode(tmp_path):
    """Unchanged outputs that an older version wrote with mode 0600 get the umask's mode (and
    keep their mtime) when they are generated again."""
    path = tmp_path / "old_modes_decl.py"
    path.write_text(textwrap.dedent(SOURCE))
    old = os.umask(0o022)
    try:
        build.generate(str(path))
        pxd = tmp_path / "old_modes_decl_compact.pxd"
        pxd.chmod(0o600)
        mtime = pxd.stat().st_mtime_ns
        build.generate(str(path))
    finally:
        os.umask(old)
    assert stat.S_IMODE(pxd.stat().st_mode) == 0o644 and pxd.stat().st_mtime_ns == mtime
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".compactclass-")]


# ------------------------------------------------------------------------ subinterpreters

SUBINTERPRETERS = next((m for m in ("_interpreters", "_xxsubinterpreters")
                        if importlib.util.find_spec(m)), None)

# runs `code` in two fresh subinterpreters, one after the other
RUN_IN_SUBINTERPRETERS = """
import {module} as interpreters
run = getattr(interpreters, "run_string", None) or interpreters.exec
for _ in range(2):
    interp = interpreters.create()
    run(interp, {code!r})
    interpreters.destroy(interp)
"""

# imports two compiled declarations (three records), recording warnings and modes
IN_SUBINTERPRETER = """
import warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import compactclass, {first}, {second}
    modes = [compactclass.is_compiled(c) for c in ({first}.Point, {first}.Pair, {second}.Point)]
    assert {first}.Point(1, 2).y == 2 and {second}.Pair(1, 2).b == 2
with open({log!r}, "a") as log:
    log.write(f"interpreter compiled={{modes}}\\n")
    for w in caught:
        log.write(f"{{w.category.__name__}}: {{w.message}}\\n")
"""


@pytest.fixture(scope="module")
def two_declarations(builder):
    first, second = builder.build(SOURCE), builder.build(SOURCE)
    assert is_compiled(first.Point) and is_compiled(second.Point)
    return first.__name__, second.__name__


@pytest.mark.skipif(SUBINTERPRETERS is None, reason="no subinterpreter module")
def test_subinterpreter_falls_back_with_one_true_warning(builder, two_declarations, tmp_path):
    """The main interpreter uses the compiled records; a subinterpreter cannot (Cython modules
    load into one interpreter per process): it gets the fallback and one warning saying so, for
    all its records and declarations, with no advice to rebuild."""
    first, second = two_declarations
    log = tmp_path / "warnings.log"
    code = IN_SUBINTERPRETER.format(first=first, second=second, log=str(log))
    script = (f"import compactclass, {first}, {second}\n"
              f"assert compactclass.is_compiled({first}.Point)\n"
              + RUN_IN_SUBINTERPRETERS.format(module=SUBINTERPRETERS, code=code))
    result = run(["-c", script], builder.folder)
    assert result.returncode == 0, result.stderr
    lines = log.read_text().splitlines()
    assert lines[0::2] == ["interpreter compiled=[False, False, False]"] * 2, lines
    for warning in lines[1::2]:
        assert warning.startswith("SubinterpreterWarning: compiled compact records cannot be "
                                  "used in a subinterpreter"), warning
        assert "pure-Python fallback" in warning and "ebuild" not in warning
    assert len(lines) == 4, lines       # one warning in each of the two subinterpreters


@pytest.mark.skipif(SUBINTERPRETERS is None, reason="no subinterpreter module")
def test_main_interpreter_after_a_subinterpreter_took_the_module(builder, two_declarations,
                                                                tmp_path):
    """When a subinterpreter imported the compiled module first, the main interpreter cannot
    load it: one warning that says so, not a stale-build warning with advice to rebuild."""
    first, _ = two_declarations
    code = f"import compactclass, {first}\nassert compactclass.is_compiled({first}.Point)\n"
    script = (RUN_IN_SUBINTERPRETERS.format(module=SUBINTERPRETERS, code=code).replace(
                  "range(2)", "range(1)")
              + "import warnings\n"
              "with warnings.catch_warnings(record=True) as caught:\n"
              "    warnings.simplefilter('always')\n"
              f"    import compactclass, {first}\n"
              f"assert not compactclass.is_compiled({first}.Point)\n"
              "for w in caught:\n"
              "    print(f'{w.category.__name__}: {w.message}')\n")
    result = run(["-c", script], builder.folder)
    assert result.returncode == 0, result.stderr
    [warning] = result.stdout.splitlines()
    assert warning.startswith("SubinterpreterWarning: compiled compact records cannot be used "
                              "in this interpreter"), warning
    assert "another interpreter" in warning and "ebuild" not in warning


# ------------------------------------------------------------------- extensions() in setup.py

def test_extensions_leaves_an_unchanged_c_file_alone(tmp_path):
    """extensions() leaves the .c beside the .pyx (whole, written atomically) and does not touch
    it again while nothing changed, so setuptools' up-to-date checks keep working."""
    (tmp_path / "ext_decl.py").write_text(textwrap.dedent(SOURCE))
    script = ("from compactclass.build import extensions\n"
              "[ext] = extensions(['ext_decl.py'])\n"
              "print(ext.name, ext.sources)\n")
    outputs = []
    for _ in range(2):
        result = run(["-c", script], tmp_path)
        assert result.returncode == 0, result.stderr
        assert result.stdout == "ext_decl_compact ['ext_decl_compact.c']\n"
        c_file = tmp_path / "ext_decl_compact.c"
        outputs.append((c_file.read_bytes(), c_file.stat().st_mtime_ns))
    assert outputs[0] == outputs[1]
    assert outputs[0][0].endswith(b"#endif /* Py_PYTHON_H */\n")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("ext_decl")) == \
        ["ext_decl.py", "ext_decl_compact.c", "ext_decl_compact.pxd", "ext_decl_compact.pyi",
         "ext_decl_compact.pyx"]
