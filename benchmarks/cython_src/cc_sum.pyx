# cython: language_level=3, boundscheck=False, wraparound=False
"""C-level access to compactclass records and record arrays from another Cython module, through
the .pxd that `python -m compactclass build` generates beside the declaration
(cc_records_compact.pxd)."""
from cc_records_compact cimport (P3f, P3fArray, P3fArray_data, P3fArray_len, P3i, P3iArray,
                                 P3iArray_data, P3iArray_len, P3f_item, P3i_item)


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

ctypedef fused Array:
    P3iArray
    P3fArray


def sum_x_array(Array a):
    """Sum field x over a P3i.Array or a P3f.Array."""
    cdef Py_ssize_t i
    cdef double total = 0
    cdef const P3i_item *ints
    cdef const P3f_item *floats
    if Array is P3iArray:
        ints = P3iArray_data(a)
        for i in range(P3iArray_len(a)):
            total += ints[i].x
    else:
        floats = P3fArray_data(a)
        for i in range(P3fArray_len(a)):
            total += floats[i].x
    return total
