# cython: language_level=3, boundscheck=False, wraparound=False
"""C-level sums over contiguous record storage seen through the buffer protocol: a NumPy
structured array (or anything else that exports three-field records).

The buffer's format string is checked against the packed struct when the memoryview is taken,
so a layout that does not match (field types, order, padding) raises instead of misreading."""
from libc.stdint cimport int32_t


cdef packed struct RecI32:
    int32_t x, y, z


cdef packed struct RecF64:
    double x, y, z


ctypedef fused RecStruct:
    RecI32
    RecF64


cdef inline double _sum_x(const RecStruct[:] recs) noexcept:
    cdef Py_ssize_t i
    cdef double total = 0
    for i in range(recs.shape[0]):
        total += recs[i].x
    return total


# Two thin entry points: Cython 3.3 cannot dispatch a def function on a fused struct memoryview.
def sum_x_i32(const RecI32[:] recs):
    """Sum field x of three int32 records."""
    return _sum_x(recs)


def sum_x_f64(const RecF64[:] recs):
    """Sum field x of three float64 records."""
    return _sum_x(recs)
