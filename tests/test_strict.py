"""Strict mode: a record whose build is missing or unusable raises CompiledBuildRequired (an
ImportError naming the record and the command that fixes it) instead of silently becoming the
fallback; records that are the fallback by design (pure mode, nested classes) never raise.

Each situation is real (strict_decls.py): a child interpreter imports the declaration with
COMPACTCLASS_STRICT=1, or the test process uses the API (set_strict, @compact(strict=...)).
"""
from __future__ import annotations

import importlib
import importlib.util
import pickle
import sys

import pytest

import compactclass
from compactclass import binding, build
from compactclass.errors import DeclarationError

from strict_decls import (CHILD_FLAGS, DECLARATION, DECORATOR_LINE, REASONS, SITUATIONS, run,
                          situation, strict_built)  # noqa: F401  (fixture)

REPORT = ("import compactclass, {name} as m\n"
          "for cls in (m.Point, m.Point3, m.Local):\n"
          "    print(cls.__qualname__, compactclass.is_compiled(cls),"
          " cls.__compact__.fallback_reason, sep=' | ')\n")


@pytest.fixture(autouse=True)
def _not_strict():
    """Every test starts and ends with the process-wide setting given back to the variable."""
    previous = compactclass.set_strict(None)
    yield
    compactclass.set_strict(previous)


@pytest.mark.parametrize("kind", [k for k in SITUATIONS if k != "compiled"])
def test_without_strict_the_fallback_says_why(strict_built, tmp_path, kind):
    name = situation(kind, strict_built, tmp_path)
    result = run([*CHILD_FLAGS.get(kind, []), "-W", "ignore::UserWarning", "-c",
                  REPORT.format(name=name)], tmp_path)
    assert result.returncode == 0, result.stderr
    point, point3, local = [line.split(" | ") for line in result.stdout.splitlines()]
    assert point[:2] == ["Point", "False"]
    assert point[2].startswith(REASONS[kind].format(name=name)), point[2]
    if kind != "runtime missing":
        # (the child runs in the declaration's folder: the path is relative to it)
        assert point[2].endswith(f"(run `python -m compactclass build {name}.py`)"), point[2]
    assert point3 == ["Point3", "False", f"its base {name}.Point is not compiled ({point[2]})"]
    assert local == ["make_local.<locals>.Local", "False",
                     "nested class (only module-level classes are compiled)"]


@pytest.mark.parametrize("kind", [k for k in SITUATIONS if k != "compiled"])
def test_strict_raises_at_the_decorator_naming_record_and_fix(strict_built, tmp_path, kind):
    name = situation(kind, strict_built, tmp_path)
    code = ("import compactclass, sys\n"
            "try:\n"
            f"    import {name}\n"
            "except compactclass.CompiledBuildRequired as exc:\n"
            "    print(exc.record, exc.name, exc.path, isinstance(exc, ImportError), sep='|')\n"
            "    print(exc.reason)\n"
            "    print(exc)\n"
            f"    print({name!r} in sys.modules,"
            f" sorted(compactclass.binding._REGISTRY.get({name!r}, {{}})))\n"
            "    import traceback; traceback.print_exc()\n"
            "else:\n"
            "    print('imported')\n")
    result = run([*CHILD_FLAGS.get(kind, []), "-c", code], tmp_path, COMPACTCLASS_STRICT="1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{name}.Point|{name}_compact|{tmp_path / name}.py|True", result.stdout
    reason = lines[1]
    assert reason.startswith(REASONS[kind].format(name=name))
    assert lines[2] == (f"{name}.Point: strict mode needs the compiled class, but it would be "
                        f"the pure-Python fallback: {reason}")
    if kind != "runtime missing":
        assert f"`python -m compactclass build {name}.py`" in lines[2]
    # nothing half-made: not imported, no record registered
    assert lines[3] == "False []"
    # the traceback leads to the @compact line of the declaration
    assert f'{name}.py", line {DECORATOR_LINE}, in <module>' in result.stderr
    assert "StaleBuildWarning" not in result.stderr      # raised instead of warned


def test_strict_accepts_a_matching_build(strict_built, tmp_path):
    result = run(["-c", REPORT.format(name=strict_built.name)], tmp_path,
                 COMPACTCLASS_STRICT="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Point | True | None", "Point3 | True | None",
        "make_local.<locals>.Local | False | nested class (only module-level classes are "
        "compiled)"]


@pytest.mark.parametrize("kind", ["no build", "stale"])
def test_pure_mode_wins_over_strict(strict_built, tmp_path, kind):
    name = situation(kind, strict_built, tmp_path)
    result = run(["-c", REPORT.format(name=name)], tmp_path, COMPACTCLASS_STRICT="1",
                 COMPACTCLASS_PURE="1")
    assert result.returncode == 0, result.stderr
    assert [line.split(" | ")[1:] for line in result.stdout.splitlines()] == [
        ["False", "COMPACTCLASS_PURE=1"]] * 3


@pytest.mark.parametrize("value, imports", [("0", True), ("", True), ("yes", False)])
def test_other_values_of_the_variable(strict_built, tmp_path, value, imports):
    name = situation("no build", strict_built, tmp_path)
    result = run(["-c", f"import {name}"], tmp_path, COMPACTCLASS_STRICT=value)
    if imports:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode == 1
        assert "ValueError: COMPACTCLASS_STRICT='yes': set it to 1 (strict mode) or 0" \
            in result.stderr


def test_building_and_generating_ignore_strict(strict_built, tmp_path):
    """Builds import declarations in pure mode: a strict environment never stops them."""
    name = situation("no build", strict_built, tmp_path)
    result = run(["-m", "compactclass", "generate", f"{name}.py"], tmp_path,
                 COMPACTCLASS_STRICT="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"generated {tmp_path / name}_compact.pyx (+ .pxd, .pyi)\n"
    compactclass.set_strict(True)
    assert build.generate(str(tmp_path / f"{name}.py")).module == name
    assert name not in sys.modules and name not in binding._REGISTRY


# --------------------------------------------------------------------------- the API in-process

@pytest.fixture
def unbuilt(tmp_path):
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))


def _write(folder, name, text):
    (folder / f"{name}.py").write_text(text)
    importlib.invalidate_caches()
    return name


def test_set_strict_raises_in_process_and_leaves_nothing(unbuilt):
    name = _write(unbuilt, "strict_api_plain", DECLARATION)
    assert compactclass.set_strict(True) is None
    with pytest.raises(compactclass.CompiledBuildRequired) as info:
        importlib.import_module(name)
    assert info.value.record == f"{name}.Point"
    assert f"no compiled module {name}_compact (run `python -m compactclass build " \
           f"{unbuilt / name}.py`)" in str(info.value)
    assert name not in sys.modules and name not in binding._REGISTRY
    copy = pickle.loads(pickle.dumps(info.value))
    assert (type(copy), str(copy), copy.record, copy.reason, copy.name, copy.path) == \
        (type(info.value), str(info.value), info.value.record, info.value.reason,
         f"{name}_compact", str(unbuilt / f"{name}.py"))
    assert compactclass.set_strict(False) is True
    module = importlib.import_module(name)          # the same file, not strict: the fallback
    assert not compactclass.is_compiled(module.Point)
    assert list(binding._REGISTRY[name]) == ["Point", "Point3", "make_local.<locals>.Local"]


def test_a_refused_record_keeps_the_earlier_declaration_registered(unbuilt):
    """Re-importing a declaration that now fails leaves the registry as it was."""
    name = _write(unbuilt, "strict_api_reimport", DECLARATION)
    first = importlib.import_module(name)
    registered = dict(binding._REGISTRY[name])
    del sys.modules[name]
    compactclass.set_strict(True)
    with pytest.raises(compactclass.CompiledBuildRequired):
        importlib.import_module(name)
    assert binding._REGISTRY[name] == registered
    assert binding._REGISTRY[name]["Point"] is first.Point.__compact__.spec


def test_the_record_option_wins_over_the_process_setting(unbuilt):
    name = _write(unbuilt, "strict_api_option", DECLARATION.replace(
        "@compact\nclass Point:", "@compact(strict=False)\nclass Point:").replace(
        "@compact\nclass Point3", "@compact(strict=True)\nclass Point3"))
    compactclass.set_strict(True)
    with pytest.raises(compactclass.CompiledBuildRequired) as info:
        importlib.import_module(name)
    assert info.value.record == f"{name}.Point3"     # Point (strict=False) was accepted
    assert info.value.reason.startswith(f"its base {name}.Point is not compiled (no compiled")
    assert sorted(binding._REGISTRY[name]) == ["Point"]
    compactclass.set_strict(False)
    with pytest.raises(compactclass.CompiledBuildRequired):     # strict=True still raises
        importlib.import_module(name)


def test_strict_does_not_touch_pure_mode(unbuilt):
    name = _write(unbuilt, "strict_api_pure", DECLARATION)
    compactclass.set_strict(True)
    with binding.pure_mode():
        module = importlib.import_module(name)
    for cls in (module.Point, module.Point3, module.Local):
        assert cls.__compact__.fallback_reason == \
            "pure mode (compactclass.binding.pure_mode(), as while building)"


def test_status_suspends_strict(unbuilt):
    name = _write(unbuilt, "strict_api_suspended", DECLARATION.replace(
        "@compact\nclass Point:", "@compact(strict=True)\nclass Point:"))
    with binding.strict_suspended():
        module = importlib.import_module(name)
    assert module.Point.__compact__.fallback_reason.startswith("no compiled module")


@pytest.mark.parametrize("value", ["yes", 1, None.__class__])
def test_bad_strict_values(unbuilt, value):
    with pytest.raises(TypeError, match=r"set_strict\(\) takes True, False or None, not "):
        compactclass.set_strict(value)
    with pytest.raises(DeclarationError, match=r"\.R: compact\(\) got strict=.*; strict takes "
                                                r"True or False"):
        @compactclass.compact(strict=value)
        class R:
            x: compactclass.i32


def test_a_compiled_records_twin_says_what_it_is(strict_built):
    module = importlib.import_module(strict_built.name)
    assert module.Point.__compact__.fallback_reason is None
    twin = module.Point.__compact__.fallback_class()
    assert twin.__compact__.fallback_reason.startswith("the fallback twin of a compiled record")


# --------------------------------------------------------------------------- by design, in a child

SUBINTERPRETERS = next((m for m in ("_interpreters", "_xxsubinterpreters")
                        if importlib.util.find_spec(m)), None)


@pytest.mark.skipif(SUBINTERPRETERS is None, reason="no subinterpreter module")
def test_strict_accepts_a_subinterpreter(strict_built, tmp_path):
    """Compiled records cannot load in a subinterpreter once the main interpreter holds their
    module: rebuilding would not help, so strict mode lets them be the fallback and says why."""
    log = tmp_path / "reasons.log"
    code = (f"import {strict_built.name} as m\n"
            f"with open({str(log)!r}, 'w') as log:\n"
            f"    log.write(m.Point.__compact__.fallback_reason)\n")
    script = (f"import warnings, compactclass, {SUBINTERPRETERS} as interpreters\n"
              f"import {strict_built.name} as m\n"
              f"assert compactclass.is_compiled(m.Point)\n"
              f"warnings.simplefilter('ignore')\n"
              f"run = getattr(interpreters, 'run_string', None) or interpreters.exec\n"
              f"interp = interpreters.create()\n"
              f"run(interp, {code!r})\n"
              f"interpreters.destroy(interp)\n")
    result = run(["-c", script], tmp_path, COMPACTCLASS_STRICT="1")
    assert result.returncode == 0, result.stderr
    assert log.read_text() == ("in a subinterpreter (Cython extension modules load into one "
                               "interpreter per process)")


def test_strict_accepts_a_record_of_a_program_without_a_file(tmp_path):
    """A record typed into `python -c` (or a REPL) has no declaration file to build."""
    code = ("import compactclass\n"
            "@compactclass.compact\n"
            "class R:\n"
            "    x: compactclass.i32\n"
            "print(R.__compact__.fallback_reason)\n")
    result = run(["-c", code], tmp_path, COMPACTCLASS_STRICT="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "declared in __main__ without a file (no compiled module name)\n"
