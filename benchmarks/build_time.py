"""How big and how slow the build of N records is: lines of generated C, seconds, module bytes.

    python benchmarks/build_time.py                 # 1, 20 and 200 records
    python benchmarks/build_time.py --counts 1 20   # some of them
    python benchmarks/build_time.py --json out.json

Each declaration file holds N module-level records of 5 fields (two i32, an f64, a u8 and a
bool) declared with ``@compact(order=True)``: the shape the restructure issue measured (149k
lines of C and 31 s for 20 records before it). Each count is built once, in a fresh
temporary folder, by ``compactclass.build.build_inplace`` in its own process (so no build
shares a compiler cache or an import with another); the figures are

- ``c_lines``: lines of the C file Cython writes for the generated module;
- ``cython_s`` / ``compile_s``: seconds in cythonize and in the C compiler (wall clock), and
  ``cpu_seconds``: the CPU time of both (this process and the compilers it ran), which a busy
  machine does not inflate;
- ``so_bytes``: size of the built module;
- the same per record, which is the figure the issue's goal is stated in.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

FIELDS = ("a: i32", "b: i32", "c: f64", "d: u8", "e: bool = False")


def declaration(n: int) -> str:
    lines = ["from compactclass import compact, i32, f64, u8", ""]
    for k in range(n):
        lines += ["", "@compact(order=True)", f"class R{k}:"]
        lines += [f"    {f}" for f in FIELDS]
    return "\n".join(lines) + "\n"


# Runs in the child: build, and time the two halves separately through build.py's own steps.
_CHILD = textwrap.dedent("""
    import json, os, resource, sys, time
    from compactclass import build, files

    def cpu():
        # this process and the compilers it ran: the figure a busy machine does not change
        me, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                    resource.RUSAGE_CHILDREN))
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    path = sys.argv[1]
    decl = build.find_declaration(path)
    t0 = time.perf_counter()
    build.generate(path)
    with files.build_folder() as tmp:
        t1, c1 = time.perf_counter(), cpu()
        [ext] = build._cythonize([decl], os.path.join(tmp, "c"), {})
        t2, c2 = time.perf_counter(), cpu()
        module_file, _ = build._compile(ext, tmp, True)
        t3, c3 = time.perf_counter(), cpu()
        [c_file] = ext.sources
        with open(c_file, "rb") as f:
            c_lines = f.read().count(b"\\n")
        so_bytes = os.path.getsize(module_file)
    print(json.dumps({"generate_s": t1 - t0, "cython_s": t2 - t1, "compile_s": t3 - t2,
                      "cython_cpu_s": c2 - c1, "compile_cpu_s": c3 - c2,
                      "c_lines": c_lines, "so_bytes": so_bytes}))
""")


def measure(n: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="cc-build-time-") as folder:
        path = os.path.join(folder, f"records{n}.py")
        with open(path, "w") as f:
            f.write(declaration(n))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            p for p in (ROOT, os.environ.get("PYTHONPATH")) if p))
        out = subprocess.run([sys.executable, "-c", _CHILD, path], cwd=folder, env=env,
                             capture_output=True, text=True, check=False)
        if out.returncode:
            raise SystemExit(f"building {n} records failed:\n{out.stderr[-4000:]}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
    result["records"] = n
    result["seconds"] = result["generate_s"] + result["cython_s"] + result["compile_s"]
    result["cpu_seconds"] = result["cython_cpu_s"] + result["compile_cpu_s"]
    for key in ("c_lines", "seconds", "cpu_seconds", "so_bytes"):
        result[f"{key}_per_record"] = result[key] / n
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 20, 200])
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    import Cython
    cc = os.environ.get("CC", "cc")
    print(f"CPython {platform.python_version()}, Cython {Cython.__version__}, compiler {cc}, "
          f"{os.cpu_count()} CPUs")
    print(f"{'records':>7} {'C lines':>9} {'lines/rec':>9} {'cython s':>8} {'cc s':>7} "
          f"{'total s':>7} {'s/rec':>6} {'CPU s':>6} {'CPU s/rec':>9} {'.so bytes':>10} "
          f"{'bytes/rec':>9}")
    results = []
    for n in args.counts:
        r = measure(n)
        results.append(r)
        print(f"{n:>7} {r['c_lines']:>9} {r['c_lines_per_record']:>9.0f} {r['cython_s']:>8.1f} "
              f"{r['compile_s']:>7.1f} {r['seconds']:>7.1f} {r['seconds_per_record']:>6.2f} "
              f"{r['cpu_seconds']:>6.1f} {r['cpu_seconds_per_record']:>9.2f} "
              f"{r['so_bytes']:>10} {r['so_bytes_per_record']:>9.0f}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
