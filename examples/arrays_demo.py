"""Record arrays in one screen: ``Point.Array``, NumPy views, pickles and a Cython loop.

    python examples/arrays_demo.py

Builds examples/geometry.py (and the Cython loop in examples/array_sum.pyx) on first run.
Without a compiled build the same code runs on the pure-Python fallback array (no Cython loop
and no memoryview then).
"""
import os
import pickle
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def build() -> None:
    """Compile geometry.py and array_sum.pyx in place unless they are up to date."""
    import compactclass
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.dirname(HERE), *filter(None, [os.environ.get("PYTHONPATH")])]))
    env.pop("COMPACTCLASS_PURE", None)      # the probe asks whether a build exists
    probe = subprocess.run([sys.executable, "-W", "error", "-c",
                            "import compactclass, geometry, array_sum; "
                            "assert compactclass.is_compiled(geometry.Point)"],
                           cwd=HERE, env=env, capture_output=True)
    if probe.returncode == 0:
        return
    print("building geometry.py and array_sum.pyx ...")
    subprocess.run([sys.executable, "-m", "compactclass", "build", "geometry.py"], cwd=HERE,
                   env=env, check=True)
    from Cython.Build import cythonize
    from setuptools import Extension
    from setuptools.dist import Distribution
    includes = compactclass.get_include()
    ext = Extension("array_sum", [os.path.join(HERE, "array_sum.pyx")], include_dirs=includes)
    dist = Distribution({"ext_modules": cythonize([ext], include_path=[HERE, *includes],
                                                  quiet=True),
                         "script_args": ["-q", "build_ext", "--inplace"]})
    cwd = os.getcwd()
    os.chdir(HERE)
    try:
        dist.parse_command_line()
        dist.run_commands()
    finally:
        os.chdir(cwd)


def main() -> None:
    try:
        build()
    except Exception as exc:          # no compiler: the fallback array still works
        print(f"(no compiled build: {exc}; using the pure-Python fallback)")
    import numpy as np

    import compactclass
    from geometry import Point

    mode = "compiled" if compactclass.is_compiled(Point) else "pure-Python fallback"
    print(f"Point.Array is {Point.Array.__module__}.{Point.Array.__name__} ({mode})\n")

    # -- a list-like container of records, stored at 12 bytes each
    a = Point.Array([Point(1, 2), (3, 4, 5)])   # records, or tuples of every field value
    a.append((6, 7, 8))
    print(a)
    p = a[0]                  # a copy: a new, independent Point
    p.x = 100                 # ... so the array does not change
    a[0] = p                  # until it is written back (checked like Point(...))
    try:
        a.append((1, 2**40, 3))
    except OverflowError as exc:
        print("append refused:", exc)

    # -- NumPy: zero-copy structured view and zero-copy columns, writes go both ways
    big = Point.Array.zeros(1_000_000)
    xs = np.asarray(big.x)                  # strided view of field x
    xs[:] = np.arange(len(big))             # NumPy writes into the records
    big[10] = (-1, 0, 0)                    # and record writes show in NumPy
    print(f"\n1M records: {sys.getsizeof(big) / len(big):.1f} bytes each; "
          f"x sums to {int(xs.sum()):,}; big[10] = {big[10]}")
    view = np.asarray(big)                  # the whole structured array, dtype = the C layout
    print("dtype:", view.dtype)
    try:
        big.append((0, 0, 0))               # resizing would move the memory NumPy points at
    except BufferError as exc:
        print("append while NumPy holds a view:", exc)
    del xs, view                            # released: the array can grow again
    big.append((0, 0, 0))

    # -- bulk copy from NumPy, and compact pickles
    source = np.zeros(3, dtype=[("x", "i4"), ("y", "i4"), ("z", "i4")])
    source["y"] = [10, 20, 30]
    print("\nfrombuffer:", list(Point.Array.frombuffer(source)))
    data = pickle.dumps(big, protocol=5)
    print(f"pickle of {len(big):,} records: {len(data):,} bytes; "
          f"round trip equal: {pickle.loads(data) == big}")

    # -- a Cython loop over the records (examples/array_sum.pyx)
    if compactclass.is_compiled(Point):
        import array_sum
        start = time.perf_counter()
        totals = array_sum.sum_xyz(big)
        elapsed = time.perf_counter() - start
        print(f"\nCython sum_xyz over {len(big):,} records: {totals} in {elapsed * 1e3:.2f} ms")
        array_sum.translate(a, 1, 1)
        print("after translate(a, 1, 1):", list(a))


if __name__ == "__main__":
    main()
