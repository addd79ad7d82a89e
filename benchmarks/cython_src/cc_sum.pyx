# cython: language_level=3, boundscheck=False, wraparound=False
"""C-level access to compactclass records and record arrays from another Cython module, through
the .pxd that `python -m compactclass build` generates beside the declaration
(cc_records_compact.pxd)."""
from cc_records_compact cimport (P3f, P3fArray, P3fArray_data, P3fArray_len, P3i, P3iArray,
                                 P3iArray_data, P3iArray_len, P3i_item, P3f_item)


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


# Arrays: the generated accessors give the C storage, one P3i_item / P3f_item per record.

def sum_x_i32_array(P3iArray a):
    """Sum field x over a P3i.Array."""
    cdef const P3i_item *items = P3iArray_data(a)
    cdef Py_ssize_t i, n = P3iArray_len(a)
    cdef double total = 0
    for i in range(n):
        total += items[i].x
    return total


def sum_x_f64_array(P3fArray a):
    """Sum field x over a P3f.Array."""
    cdef const P3f_item *items = P3fArray_data(a)
    cdef Py_ssize_t i, n = P3fArray_len(a)
    cdef double total = 0
    for i in range(n):
        total += items[i].x
    return total
