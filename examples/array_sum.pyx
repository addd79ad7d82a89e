# cython: language_level=3, boundscheck=False, wraparound=False
"""A Cython loop over a ``Point.Array`` at C speed: it cimports the generated declarations.

``geometry_compact.pxd`` (written by ``python -m compactclass build geometry.py``) declares
``Point_item`` (one record's C struct), ``PointArray`` and the inline accessors
``PointArray_data`` / ``PointArray_len`` / ``PointArray_at``. Build this file with the folder of
that .pxd and ``compactclass.get_include()`` on the include path (examples/arrays_demo.py does)::

    cythonize -i -I . $(python -c "import compactclass; print(' '.join('-I ' + d for d in
        compactclass.get_include()))") array_sum.pyx

The pointers stay valid while the loop runs: nothing here calls Python code that could resize
the array. Arithmetic on the fields is plain C (an i32 that overflows wraps); checks are for
the Python API.
"""
from geometry_compact cimport Point_item, PointArray, PointArray_at, PointArray_data, PointArray_len


def sum_xyz(PointArray points not None):
    """(sum of x, sum of y, sum of z) over every record."""
    cdef const Point_item *p = PointArray_data(points)
    cdef Py_ssize_t i, n = PointArray_len(points)
    cdef long long sx = 0, sy = 0, sz = 0
    for i in range(n):
        sx += p[i].x
        sy += p[i].y
        sz += p[i].z
    return sx, sy, sz


def translate(PointArray points not None, int dx, int dy):
    """Move every point in place; no Python object is created."""
    cdef Point_item *p
    cdef Py_ssize_t i
    for i in range(PointArray_len(points)):
        p = PointArray_at(points, i)
        p.x += dx
        p.y += dy
