"""The declarations the workload tests run on: the leak checks (test_leaks.py), the thread
stress test (test_threads.py) and the valgrind workload (.ci/memcheck_workload.py).

One source, so that all three exercise the same mix: a plain record, a frozen ordered one with a
float32 and a bool, one with a weak-reference slot, one of mixed widths, and a subclass that adds
a keyword-only field. Each user builds it under its own module name.
"""

SOURCE = """\
from compactclass import compact, field, i8, i32, i64, u8, u64, f32, f64

@compact
class Point:
    x: i32
    y: i32
    z: i32 = 0

@compact(frozen=True, order=True)
class Particle:
    x: f64
    y: f64
    mass: f32 = 1.0
    alive: bool = True

@compact(weakref_slot=True)
class Tagged:
    tag: u64 = 0
    small: u8 = 0

@compact
class Flags:
    a: bool = False
    b: u8 = 0
    c: i64 = 0

@compact
class Point4(Point):
    w: i8 = field(default=0, kw_only=True)
"""
