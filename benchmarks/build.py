"""Build what the suite compiles into benchmarks/.build/, cached by a hash of the inputs.

Targets: the hand-written Cython classes, the struct sums over buffers, the compactclass build of
contenders/cc_records.py, and the Cython sum loop that cimports it. The parent (run.py) calls
build_all(); each target is built by `python build.py TARGET` in a child process so that a
failing build is a logged, stated reason and never takes the run down.
"""
import hashlib
import json
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import paths

CC_DECLARATION = paths.CONTENDERS_DIR / "cc_records.py"
CC_PACKAGE_DIRS = ("compactclass", "pyx", "csrc")


@dataclass(frozen=True)
class Target:
    name: str
    out_dir: Path
    module: str              # extension module the target produces in out_dir
    needs: tuple = ()


TARGETS = (
    Target("handwritten", paths.CYTHON_OUT, "handwritten"),
    Target("struct_sum", paths.CYTHON_OUT, "struct_sum"),
    Target("cc", paths.CC_OUT, "cc_records_compact"),
    Target("cc_sum", paths.CC_OUT, "cc_sum", needs=("cc",)),
)


# ---------------------------------------------------------------- parent side

def build_all(report=print) -> dict:
    """Build every stale target, independent ones two at a time; return and save the status."""
    status = {}
    first = [t for t in TARGETS if not t.needs]
    with ThreadPoolExecutor(max_workers=2) as pool:
        for target, result in zip(first, pool.map(_build_target, first)):
            status[target.name] = result
            report(_describe(target.name, result))
    for target in TARGETS:
        if target.needs:
            missing = [n for n in target.needs if not status[n]["ok"]]
            result = ({"ok": False, "cached": False, "seconds": 0.0,
                       "reason": f"needs {', '.join(missing)}: {status[missing[0]]['reason']}"}
                      if missing else _build_target(target))
            status[target.name] = result
            report(_describe(target.name, result))
    paths.BUILD_DIR.mkdir(parents=True, exist_ok=True)
    paths.STATUS_FILE.write_text(json.dumps(status, indent=2))
    return status


def _describe(name: str, result: dict) -> str:
    how = "cached" if result["cached"] else "%.1f s" % result["seconds"]
    if result["ok"]:
        return f"  build {name}: ok ({how})"
    return f"  build {name}: FAILED ({how}): {result['reason']}"


def _build_target(target: Target) -> dict:
    """Build one target unless its cached outcome (success or failure) has the same input stamp."""
    target.out_dir.mkdir(parents=True, exist_ok=True)
    stamp_file = target.out_dir / f"{target.name}.stamp.json"
    stamp = _stamp(target)
    cached = json.loads(stamp_file.read_text()) if stamp_file.exists() else {}
    if cached.get("stamp") == stamp and (not cached["ok"] or _built_module(target)):
        return {"ok": cached["ok"], "cached": True, "seconds": 0.0, "reason": cached["reason"]}
    stamp_file.unlink(missing_ok=True)
    log = target.out_dir / f"{target.name}.log"
    start = time.perf_counter()
    proc = subprocess.run([paths.PYTHON, str(Path(__file__)), target.name], cwd=target.out_dir,
                          env=paths.child_env(), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    log.write_text(proc.stdout + proc.stderr)
    ok = proc.returncode == 0 and bool(_built_module(target))
    reason = "" if ok else (
        f"exit {proc.returncode}: {_last_line(proc.stderr) or _last_line(proc.stdout) or 'no output'}"
        f" [log: {log.relative_to(paths.REPO_ROOT)}]")
    # Re-stamp after the build: a build may generate files among its own inputs.
    stamp_file.write_text(json.dumps({"stamp": _stamp(target), "ok": ok, "reason": reason}))
    return {"ok": ok, "cached": False, "seconds": seconds, "reason": reason}


def _built_module(target: Target):
    found = sorted(target.out_dir.glob(f"{target.module}.*.so")) + \
        sorted(target.out_dir.glob(f"{target.module}.*.pyd"))
    return found[0] if found else None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _stamp(target: Target) -> str:
    """Hash of everything the target's output depends on."""
    digest = hashlib.sha256(f"{sys.version}|{_cython_version()}".encode())
    for path in _inputs(target):
        digest.update(str(path.relative_to(paths.REPO_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _inputs(target: Target) -> list:
    own = [paths.CYTHON_SRC / f"{target.module}.pyx"] if target.name != "cc" else [CC_DECLARATION]
    if target.name not in ("cc", "cc_sum"):
        return own
    package_files = [p for d in CC_PACKAGE_DIRS for p in sorted((paths.REPO_ROOT / d).rglob("*"))
                     if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]
    return own + package_files


def _cython_version() -> str:
    try:
        import Cython
        return Cython.__version__
    except ImportError:
        return "none"


# ---------------------------------------------------------------- child side

def compile_pyx(module: str, out_dir: Path, include_path=(), include_dirs=()) -> None:
    """cythonize + compile cython_src/<module>.pyx into out_dir (setuptools' default flags)."""
    from Cython.Build import cythonize
    from setuptools import Distribution, Extension

    source = paths.CYTHON_SRC / f"{module}.pyx"
    c_dir = out_dir / "c"
    c_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, c_dir / source.name)      # keep generated C out of benchmarks/cython_src
    ext = Extension(module, [str(c_dir / source.name)], include_dirs=list(include_dirs))
    ext_modules = cythonize([ext], include_path=list(include_path), quiet=True, force=True)
    dist = Distribution({"ext_modules": ext_modules, "script_name": "build.py"})
    cmd = dist.get_command_obj("build_ext")
    cmd.build_lib = str(out_dir)
    cmd.build_temp = str(out_dir / "tmp")
    cmd.force = True
    cmd.ensure_finalized()
    cmd.run()


def build_cc_declarations() -> None:
    """`python -m compactclass build` on a copy of the declarations inside .build/cc/."""
    paths.CC_OUT.mkdir(parents=True, exist_ok=True)
    copy = paths.CC_OUT / CC_DECLARATION.name
    shutil.copy2(CC_DECLARATION, copy)
    proc = subprocess.run([paths.PYTHON, "-m", "compactclass", "build", str(copy)])
    if proc.returncode != 0:
        sys.exit(proc.returncode)


def build_cc_sum() -> None:
    import compactclass

    includes = compactclass.get_include()
    includes = [includes] if isinstance(includes, (str, Path)) else list(includes)
    compile_pyx("cc_sum", paths.CC_OUT, include_path=[str(p) for p in includes] + [str(paths.CC_OUT)],
                include_dirs=[str(p) for p in includes])


CHILD_BUILDERS = {
    "handwritten": lambda: compile_pyx("handwritten", paths.CYTHON_OUT),
    "struct_sum": lambda: compile_pyx("struct_sum", paths.CYTHON_OUT),
    "cc": build_cc_declarations,
    "cc_sum": build_cc_sum,
}


if __name__ == "__main__":
    if len(sys.argv) == 1:
        build_all()
    else:
        CHILD_BUILDERS[sys.argv[1]]()
