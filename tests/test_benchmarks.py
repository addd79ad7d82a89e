"""The benchmark suite must not rot: a tiny --quick run gives every contender of the suite a row
with numbers or a skip with a stated reason, and writes its report files.

The run goes to a temporary directory, so benchmarks/results/ is never touched. Compiled
contenders are cached in benchmarks/.build/ (a cold build adds about 20 s).
"""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"
SCHEMAS = ("i32x3", "f64x3")


def _run(*args, timeout=240):
    return subprocess.run([sys.executable, str(RUN), *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def contenders():
    proc = _run("--list", timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    proc = _run("--quick", "--n", "2000", "--repeats", "2", "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-4000:]
    data = json.loads((out / "latest.json").read_text())
    return out, data, {(r["contender"], r["schema"]): r for r in data["results"]}


def test_every_contender_has_a_row_or_a_stated_skip(contenders, run):
    _, _, results = run
    for contender in contenders:
        for schema in SCHEMAS:
            result = results.get((contender["key"], schema))
            assert result is not None, f"{contender['key']} {schema}: no result at all"
            where = f"{contender['key']} {schema}"
            assert result["status"] in ("ok", "skipped"), f"{where}: {result['reason']}"
            if result["status"] == "skipped":
                assert result["reason"].strip(), f"{where}: skipped without a reason"
            else:
                for figure in ("rss_bytes", "construct_ns", "read_ns"):
                    assert isinstance(result["figures"].get(figure), (int, float)), \
                        f"{where}: no {figure}: {result['errors']}"


def test_stdlib_and_cython_contenders_are_always_measured(contenders, run):
    _, _, results = run
    for contender in (c for c in contenders if not c["optional"]):
        for schema in SCHEMAS:
            result = results[(contender["key"], schema)]
            assert result["status"] == "ok", f"{contender['key']} {schema}: {result['reason']}"
            assert not result["errors"], f"{contender['key']} {schema}: {result['errors']}"


def test_measured_third_party_rows_have_no_failed_figures(run):
    # compactclass is tested by its own suite; here its gaps are reported in the table.
    _, _, results = run
    for (key, schema), result in results.items():
        if result["status"] == "ok" and result["library"] != "compactclass":
            assert not result["errors"], f"{key} {schema}: {result['errors']}"


def test_report_files(contenders, run):
    out, data, _ = run
    text = (out / "latest.md").read_text()
    for contender in contenders:
        assert contender["label"] in text
    for needle in ("Python", "Cython", "compiler", "Ratios", "RSS B/record"):
        assert needle in text
    assert data["meta"]["config"]["n"] == 2000
    if importlib.util.find_spec("matplotlib"):
        assert (out / "latest.png").stat().st_size > 10_000
