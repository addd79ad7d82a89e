"""Where the suite keeps its sources, its build cache and its results."""
import os
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
CYTHON_SRC = BENCH_DIR / "cython_src"
CONTENDERS_DIR = BENCH_DIR / "contenders"
RESULTS_DIR = BENCH_DIR / "results"

BUILD_DIR = BENCH_DIR / ".build"            # gitignored cache of everything the suite compiles
CYTHON_OUT = BUILD_DIR / "cython"           # hand-written Cython classes, struct sums
CC_OUT = BUILD_DIR / "cc"                   # compactclass build of the declarations + cc_sum
SCRATCH_RESULTS = BUILD_DIR / "results"     # default output of --quick / --only runs
STATUS_FILE = BUILD_DIR / "status.json"     # outcome of the last build, read by the workers


def child_env() -> dict:
    """Environment of every subprocess: the repository root first on PYTHONPATH, so the
    compactclass under development is the one imported (unless it is installed)."""
    env = dict(os.environ)
    parts = [str(REPO_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(parts)
    return env


def worker_sys_path() -> list:
    """sys.path entries a worker needs: compiled contenders and the repository root."""
    return [str(CYTHON_OUT), str(CC_OUT), str(REPO_ROOT), str(BENCH_DIR)]


PYTHON = sys.executable
