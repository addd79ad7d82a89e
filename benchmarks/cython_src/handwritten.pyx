# cython: language_level=3, boundscheck=False, wraparound=False
"""The hand-written Cython reference: what a user writes without compactclass.

Each class is spelled out as a user would write it (no templates), so the benchmark measures
exactly this code. `cdef public int` is a C int, 32 bits on every platform the suite runs on.
None of these classes has a cdef method (that would add a vtable pointer to every instance).
"""
cimport cython


cdef class P3i:
    """Three C int fields, readable and writable from Python; identity == and hash."""
    cdef public int x, y, z

    def __init__(self, int x, int y, int z):
        self.x = x
        self.y = y
        self.z = z


cdef class P3f:
    """Three C double fields, readable and writable from Python; identity == and hash."""
    cdef public double x, y, z

    def __init__(self, double x, double y, double z):
        self.x = x
        self.y = y
        self.z = z


@cython.freelist(64)
cdef class FreeP3i:
    """P3i with a freelist of 64 instances (reuses freed objects without calling the allocator)."""
    cdef public int x, y, z

    def __init__(self, int x, int y, int z):
        self.x = x
        self.y = y
        self.z = z


@cython.freelist(64)
cdef class FreeP3f:
    """P3f with a freelist of 64 instances."""
    cdef public double x, y, z

    def __init__(self, double x, double y, double z):
        self.x = x
        self.y = y
        self.z = z


@cython.dataclasses.dataclass
cdef class DataclassP3i:
    """Cython's dataclass with C-typed fields: generated __init__, __repr__ and value ==."""
    x: cython.int
    y: cython.int
    z: cython.int


@cython.dataclasses.dataclass
cdef class DataclassP3f:
    """Cython's dataclass with C double fields."""
    x: cython.double
    y: cython.double
    z: cython.double


ctypedef fused Record:
    P3i
    P3f
    FreeP3i
    FreeP3f
    DataclassP3i
    DataclassP3f


def sum_x(Record first, list points):
    """Sum field x over `points` (all of type(first)) reading the C field directly.

    `first` only selects the specialisation: Cython dispatches a fused def function on the
    types of its arguments. Each element is type-checked once as it is assigned to `p`.
    The total is a double: exact for the suite's values (below 2**53)."""
    cdef Record p
    cdef double total = 0
    for p in points:
        total += p.x
    return total
