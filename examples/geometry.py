"""Example declarations: plain Python, importable with or without a compiled build.

Build once with ``python -m compactclass build examples/geometry.py``; then
``from geometry import Point`` gives the compiled class.
"""
import math

from compactclass import compact, f64, i32


@compact
class Point:
    """A point on an integer grid."""

    x: i32
    y: i32
    z: i32 = 0

    def norm(self) -> float:
        return math.sqrt(self.x * self.x + self.y * self.y + self.z * self.z)


@compact(frozen=True, order=True)
class Particle:
    x: f64
    y: f64
    z: f64
    mass: f64 = 1.0
