# cython: language_level=3
"""C-speed loops over records, from the same package."""
from shapes.geometry_compact cimport Point


def total_x(points):
    cdef Point p
    cdef long long total = 0
    for p in points:
        total += p.x
    return total
