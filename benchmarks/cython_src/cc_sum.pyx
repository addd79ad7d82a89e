# cython: language_level=3, boundscheck=False, wraparound=False
"""C-level access to compactclass records from another Cython module, through the .pxd that
`python -m compactclass build` generates beside the declaration (cc_records_compact.pxd)."""
from cc_records_compact cimport P3f, P3i


ctypedef fused Record:
    P3i
    P3f


def sum_x(Record first, list points):
    """Sum field x over `points` (all of type(first)); see handwritten.sum_x."""
    cdef Record p
    cdef double total = 0
    for p in points:
        total += p.x
    return total
