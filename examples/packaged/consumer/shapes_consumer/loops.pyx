# cython: language_level=3
"""A separately built package that cimports the records of the installed `shapes` package."""
from shapes.geometry_compact cimport Circle, Point


def sum_radii(circles):
    cdef Circle c
    cdef double total = 0.0
    for c in circles:
        total += c.r
    return total


def shift(points, int dx):
    """Write fields at C level (no checks: C-level access is the caller's responsibility)."""
    cdef Point p
    for p in points:
        p.x += dx
