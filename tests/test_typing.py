"""Type-checker tests in the attrs style: tests/typing/good.py must give no diagnostic in mypy or
pyright, and every line of tests/typing/bad.py gives exactly the diagnostics its comments name
(``# [mypy] <text>``, ``# [pyright] <text>``: errors, and what reveal_type shows). Each checker runs
once over the folder, as a user's would, from this test's environment; the package is found where
it is imported from (an installed or an editable copy)."""
import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

import compactclass

HERE = os.path.dirname(os.path.abspath(__file__))
FOLDER = os.path.join(HERE, "typing")
FILES = ("good.py", "bad.py")
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(compactclass.__file__)))
# (not "# pyright:"/"# mypy:", which the checkers read as configuration comments)
MARKER = re.compile(r"#\s*\[(mypy|pyright)\]\s*(.*?)\s*(?=#\s*\[(?:mypy|pyright)\]|$)")


def expected(name):
    """{(checker, line): [message parts]} from the comments of one file."""
    found = {}
    with open(os.path.join(FOLDER, name)) as f:
        for number, line in enumerate(f, 1):
            for checker, text in MARKER.findall(line):
                found.setdefault((checker, number), []).append(text)
    return found


def run_mypy(tmp_path):
    config = tmp_path / "mypy.ini"
    config.write_text(textwrap.dedent("""\
        [mypy]
        plugins = compactclass.mypy_plugin
        cache_dir = {cache}
        [mypy-compactclass.*]
        follow_imports = silent
        """).format(cache=tmp_path / "mypy_cache"))
    env = dict(os.environ, MYPYPATH=PACKAGE_ROOT)
    proc = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(config),
                           "--show-absolute-path", "--no-error-summary", "--hide-error-context",
                           *FILES], cwd=FOLDER, env=env, capture_output=True, text=True)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    found = []
    for line in proc.stdout.splitlines():
        m = re.match(r"(.*?):(\d+): (error|note): (.*)", line)
        assert m, f"unexpected mypy output: {line}"
        path, number, severity, message = m.groups()
        if severity == "note" and not message.startswith("Revealed type"):
            continue     # hints that follow an error
        found.append((os.path.basename(path), int(number), message))
    return found


def run_pyright(tmp_path):
    config = tmp_path / "pyrightconfig.json"
    config.write_text(json.dumps({"include": [os.path.relpath(os.path.join(FOLDER, f), tmp_path)
                                              for f in FILES],
                                  "extraPaths": [PACKAGE_ROOT],
                                  "pythonVersion": f"{sys.version_info.major}."
                                                   f"{sys.version_info.minor}"}))
    proc = subprocess.run([sys.executable, "-m", "pyright", "--outputjson", "-p", str(config)],
                          cwd=FOLDER, capture_output=True, text=True)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["summary"]["filesAnalyzed"] == len(FILES), proc.stdout + proc.stderr
    found = []
    for d in report["generalDiagnostics"]:
        if d["severity"] == "warning":
            continue
        found.append((os.path.basename(d["file"]), d["range"]["start"]["line"] + 1,
                      " ".join(d["message"].replace("\xa0", " ").split())))
    return found


@pytest.fixture(scope="module")
def diagnostics(tmp_path_factory):
    return {"mypy": run_mypy(tmp_path_factory.mktemp("mypy")),
            "pyright": run_pyright(tmp_path_factory.mktemp("pyright"))}


@pytest.mark.parametrize("checker", ["mypy", "pyright"])
def test_correct_code_has_no_diagnostics(diagnostics, checker):
    assert [d for d in diagnostics[checker] if d[0] == "good.py"] == []


@pytest.mark.parametrize("checker", ["mypy", "pyright"])
def test_mistakes_are_reported_as_marked(diagnostics, checker):
    wanted = {line: texts for (who, line), texts in expected("bad.py").items() if who == checker}
    assert wanted, "bad.py marks nothing for " + checker
    got = {}
    for name, line, message in diagnostics[checker]:
        if name == "bad.py":
            got.setdefault(line, []).append(message)
    problems = []
    for line in sorted(set(wanted) | set(got)):
        left = list(got.get(line, []))
        for text in wanted.get(line, []):
            match = next((m for m in left if text in m), None)
            if match is None:
                problems.append(f"bad.py:{line}: expected {text!r}, got {left}")
            else:
                left.remove(match)
        problems += [f"bad.py:{line}: unexpected {m!r}" for m in left]
    assert problems == []


def test_public_api_is_clean_under_mypy_strict(tmp_path):
    """The stub of the public API and the modules it names, checked with --strict."""
    proc = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
                           "--cache-dir", str(tmp_path / "cache"), "--follow-imports=silent",
                           "-m", "compactclass", "-m", "compactclass.typed",
                           "-m", "compactclass.errors", "-m", "compactclass.mypy_plugin"],
                          cwd=PACKAGE_ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_package_is_clean_under_mypy(tmp_path):
    """The implementation modules too, with mypy's default settings and pyproject.toml's."""
    proc = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"),
                           "-p", "compactclass"],
                          cwd=PACKAGE_ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_stub_names_match_the_module():
    import ast
    with open(os.path.join(os.path.dirname(compactclass.__file__), "__init__.pyi")) as f:
        tree = ast.parse(f.read())
    stub_all = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                    and any(getattr(t, "id", None) == "__all__" for t in n.targets))
    assert stub_all == compactclass.__all__
    assert all(hasattr(compactclass, name) for name in stub_all)
