# cython: language_level=3, boundscheck=False, wraparound=False
"""compactclass's compiled runtime: per-type arenas for record objects, type set-up helpers,
and the slow paths of value conversion.

Arenas are created per record type and live as long as the process (types are never unloaded).
Their slab memory is reported to tracemalloc under TRACEMALLOC_DOMAIN.

Thread safety: every function here runs with the GIL held; arenas are not safe to use without
it, and on free-threaded builds the arena is compiled out (CC_USE_ARENA is 0).
"""
from cpython.object cimport PyObject, PyTypeObject
from libc.string cimport memset, strdup
from libc.stdint cimport uintptr_t
from compactclass.core cimport (cc_arena, cc_arena_stats, cc_arena_new, cc_arena_set_hook,
                                cc_arena_alloc, cc_arena_free, cc_arena_get_stats, cc_strerror)

import operator

from compactclass import checks as _checks

cdef extern from "Python.h":
    PyObject *PyObject_Init(PyObject *op, PyTypeObject *t)
    PyObject *PyErr_NoMemory() except NULL
    void PyObject_Free(void *p)
    void PyObject_GC_Del(void *p)
    int PyTraceMalloc_Track(unsigned int domain, uintptr_t ptr, size_t size) nogil
    int PyTraceMalloc_Untrack(unsigned int domain, uintptr_t ptr) nogil
    object PyDescr_NewGetSet(PyTypeObject *t, PyGetSetDef *d)
    void PyType_Modified(PyTypeObject *t)
    int PyDict_SetItemString(object d, const char *key, object value) except -1
    ctypedef struct _PyTypeObjectName "PyTypeObject":
        const char *tp_name

cdef extern from "compactclass/typeslots.h":
    object cc_type_dict(PyTypeObject *t)
    Py_ssize_t cc_type_basicsize(PyTypeObject *t)
    int cc_type_is_gc(PyTypeObject *t)

#: tracemalloc domain of arena slabs (see tracemalloc.DomainFilter)
TRACEMALLOC_DOMAIN = 0x63630001
cdef unsigned int _DOMAIN = 0x63630001

#: False on free-threaded builds, where records use the default allocator
ARENA_ENABLED = bool(CC_USE_ARENA)

# type -> address of its arena (int), for statistics
_arenas = {}


cdef void _slab_hook(void *ctx, void *slab, size_t nbytes, int acquired) noexcept nogil:
    if acquired:
        PyTraceMalloc_Track(_DOMAIN, <uintptr_t>slab, nbytes)
    else:
        PyTraceMalloc_Untrack(_DOMAIN, <uintptr_t>slab)


cdef cc_arena *new_type_arena(type cls) except NULL:
    """An arena of cls.__basicsize__-byte blocks, registered for statistics."""
    cdef PyTypeObject *t = <PyTypeObject *>cls
    cdef Py_ssize_t size = cc_type_basicsize(t)
    cdef cc_arena *arena = cc_arena_new(<size_t>size, 8, NULL)
    if arena == NULL:
        raise MemoryError(f"cannot create the arena of {cls.__qualname__}")
    cc_arena_set_hook(arena, _slab_hook, NULL)
    _arenas[cls] = <uintptr_t>arena
    return arena


cdef PyObject *arena_alloc_object(cc_arena *arena, PyTypeObject *t) noexcept:
    """tp_alloc for the exact record type: a zeroed, initialised object from the arena."""
    cdef void *mem = cc_arena_alloc(arena)
    if mem == NULL:
        PyErr_NoMemory()
        return NULL
    memset(mem, 0, <size_t>cc_type_basicsize(t))
    return PyObject_Init(<PyObject *>mem, t)


cdef void arena_free_object(cc_arena *arena, void *o) noexcept:
    cc_arena_free(arena, o)


cdef void generic_free_object(void *o) noexcept:
    """tp_free for objects that PyType_GenericAlloc made (types other than the exact one)."""
    if cc_type_is_gc(cc_type_of(o)):
        PyObject_GC_Del(o)
    else:
        PyObject_Free(o)


cdef int install_getsets(type cls, PyGetSetDef *defs) except -1:
    """Put one getset descriptor per field into a ready static type's dict."""
    cdef PyTypeObject *t = <PyTypeObject *>cls
    cdef object tdict = cc_type_dict(t)
    cdef PyGetSetDef *d = defs
    while d.name != NULL:
        PyDict_SetItemString(tdict, d.name, PyDescr_NewGetSet(t, d))
        d += 1
    PyType_Modified(t)
    return 0


cdef int raise_type_error(str where, str ctype_name, str kind, object value) except -1:
    raise _checks.type_error(where, ctype_name, kind, value)


cdef int raise_range_error(str where, str ctype_name, object value) except -1:
    raise _checks.range_error_for(where, ctype_name, value)


cdef object index_or_raise(object value, str where, str ctype_name):
    if isinstance(value, float):
        raise_type_error(where, ctype_name, "int", value)
    try:
        return operator.index(value)
    except TypeError:
        raise_type_error(where, ctype_name, "int", value)


cdef double double_or_raise(object value, str where, str ctype_name) except? -1.0:
    return _checks.as_double(where, ctype_name, value)


cdef tuple call_binder(object binder, PyObject **args, size_t nargsf, PyObject *kwnames):
    """Call a record's argument binder (a Python function with the __init__ signature) with
    vectorcall arguments; it returns every field's value in declared order."""
    cdef Py_ssize_t n = PyVectorcall_NARGS(nargsf)
    cdef Py_ssize_t i
    positional = [None]
    for i in range(n):
        positional.append(<object>args[i])
    keywords = {}
    if kwnames != NULL:
        names = <tuple>kwnames
        for i in range(len(names)):
            keywords[names[i]] = <object>args[n + i]
    return binder(*positional, **keywords)


# ----------------------------------------------------------------- Python-level API

def set_type_attribute(type cls, str name, object value):
    """Set an attribute on a (static, ready) record type and invalidate the type caches."""
    PyDict_SetItemString(cc_type_dict(<PyTypeObject *>cls), name.encode(), value)
    PyType_Modified(<PyTypeObject *>cls)


def set_type_name(type cls, str dotted_name):
    """Make a static type report ``module.qualname`` (its __module__ and __qualname__).

    The string is kept for the life of the process, as a type's name must be.
    """
    cdef bytes encoded = dotted_name.encode()
    cdef char *copy = strdup(encoded)
    if copy == NULL:
        raise MemoryError()
    (<_PyTypeObjectName *>(<PyObject *>cls)).tp_name = copy
    PyType_Modified(<PyTypeObject *>cls)


def arena_stats(type cls):
    """Statistics of the arena of a compiled record type, as a dict (None if it has none)."""
    cdef cc_arena_stats s
    address = _arenas.get(cls)
    if address is None:
        return None
    cc_arena_get_stats(<cc_arena *><uintptr_t>address, &s)
    return {
        "block_size": s.block_size, "align": s.align, "blocks_per_slab": s.blocks_per_slab,
        "live_blocks": s.live_blocks, "slabs": s.slabs, "bytes_reserved": s.bytes_reserved,
        "bytes_in_use": s.bytes_in_use, "slabs_acquired": s.slabs_acquired,
        "slabs_released": s.slabs_released, "malloc_per_block": bool(s.malloc_per_block),
    }


def arena_types():
    """The record types that have an arena."""
    return list(_arenas)
