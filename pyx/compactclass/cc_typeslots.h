/* cc_typeslots.h -- the few PyTypeObject fields compactclass sets on generated record types.
 *
 * Cython leaves tp_alloc/tp_free empty and PyType_Ready inherits them; assigning them after
 * PyType_Ready and before the first instance exists is honoured by Cython's tp_new/tp_dealloc.
 * tp_vectorcall on a type object is what calling the type uses (never inherited by subclasses).
 */
#ifndef COMPACTCLASS_TYPESLOTS_H
#define COMPACTCLASS_TYPESLOTS_H
#include <Python.h>

typedef PyObject *(*cc_vectorcall_fn)(PyObject *callable, PyObject **args, size_t nargsf,
                                      PyObject *kwnames);

static inline void cc_type_set_alloc(PyTypeObject *t, allocfunc a, freefunc f) {
    t->tp_alloc = a;
    t->tp_free = f;
}

static inline void cc_type_set_vectorcall(PyTypeObject *t, cc_vectorcall_fn f) {
    t->tp_vectorcall = (vectorcallfunc)f;
}

/* Attribute access hooks: generated records read and write fields by name-pointer compare
 * before falling back to the generic (descriptor) path. */
typedef PyObject *(*cc_getattro_fn)(PyObject *self, PyObject *name);
typedef int (*cc_setattro_fn)(PyObject *self, PyObject *name, PyObject *value);

static inline void cc_type_set_attro(PyTypeObject *t, cc_getattro_fn get, cc_setattro_fn set) {
    t->tp_getattro = get;
    if (set != NULL)
        t->tp_setattro = set;
}

/* The tp_setattro CPython gives a Python class that defines __setattr__ (slot_tp_setattro,
 * which calls the __setattr__/__delattr__ the type's MRO finds), learnt from such a class.
 * A record type whose writes run Python (a frozen record's __setattr__) takes it: then
 * object.__setattr__(record, ...) passes CPython's check that no C-level tp_setattro is jumped
 * over (hackcheck), as it does on a frozen dataclass. */
static setattrofunc cc_python_setattro = NULL;

static inline void cc_learn_python_setattro(PyTypeObject *python_class) {
    cc_python_setattro = python_class->tp_setattro;
}

static inline void cc_type_use_python_setattro(PyTypeObject *t) {
    t->tp_setattro = cc_python_setattro;
}

/* Set (value NULL: delete) a class attribute of a type through CPython's own type.__setattr__,
 * which a compiled record's static type refuses (Py_TPFLAGS_IMMUTABLETYPE): the flag is
 * lifted for the call. What that setter would do to a static type that only a heap type
 * survives (__name__, __qualname__, __bases__ write PyHeapTypeObject fields) the caller
 * refuses first (RecordType). */
static inline int cc_type_setattr(PyObject *cls, PyObject *name, PyObject *value) {
    PyTypeObject *t = (PyTypeObject *)cls;
    unsigned long immutable = t->tp_flags & Py_TPFLAGS_IMMUTABLETYPE;
    int result;
    t->tp_flags &= ~Py_TPFLAGS_IMMUTABLETYPE;
    result = PyType_Type.tp_setattro(cls, name, value);
    t->tp_flags |= immutable;
    return result;
}

static inline int cc_type_is_heap(PyTypeObject *t) {
    return (t->tp_flags & Py_TPFLAGS_HEAPTYPE) != 0;
}

static inline int cc_type_is_abstract(PyTypeObject *t) {
    return (t->tp_flags & Py_TPFLAGS_IS_ABSTRACT) != 0;
}

/* Calling a type whose metatype is `meta` uses the called type's tp_vectorcall, as calling a
 * type of metatype `type` does (CPython before 3.11 does not give a static subtype of type the
 * flag: records would be made through type_call, tp_new and tp_init). */
static inline void cc_metatype_use_vectorcall(PyTypeObject *meta) {
    meta->tp_vectorcall_offset = PyType_Type.tp_vectorcall_offset;
    meta->tp_flags |= Py_TPFLAGS_HAVE_VECTORCALL;
}

/* Make `meta` the type of type object t (a compiled record's static type: it holds no
 * reference to its type, so one is taken here for the life of the process). */
static inline void cc_type_set_metatype(PyTypeObject *t, PyTypeObject *meta) {
    Py_INCREF(meta);
    Py_SET_TYPE((PyObject *)t, meta);
}

/* Give a ready compiled record type t the bases and MRO its declaration has (its record
 * base, which is its tp_base and C layout, and bases that only lend methods, checked by
 * compactclass.spec to add no instance state): method lookup, isinstance and super() walk
 * tp_mro. t is registered as a subclass of each new heap-type base, as PyType_Ready does, so
 * that a change to one (an attribute set later) invalidates t's method cache too. */
/* A static type without number, sequence, mapping or async methods has NULL for their tables,
 * where CPython would put a slot it fills from a special method set later (a heap type embeds
 * them): give t zeroed tables of its own, kept for the life of the process, as the type. */
static int cc_type_ensure_slot_tables(PyTypeObject *t) {
    if (t->tp_as_number == NULL &&
            (t->tp_as_number = (PyNumberMethods *)PyMem_Calloc(1, sizeof(PyNumberMethods))) == NULL)
        goto nomemory;
    if (t->tp_as_sequence == NULL &&
            (t->tp_as_sequence = (PySequenceMethods *)PyMem_Calloc(1, sizeof(PySequenceMethods)))
            == NULL)
        goto nomemory;
    if (t->tp_as_mapping == NULL &&
            (t->tp_as_mapping = (PyMappingMethods *)PyMem_Calloc(1, sizeof(PyMappingMethods)))
            == NULL)
        goto nomemory;
    if (t->tp_as_async == NULL &&
            (t->tp_as_async = (PyAsyncMethods *)PyMem_Calloc(1, sizeof(PyAsyncMethods))) == NULL)
        goto nomemory;
    return 0;
nomemory:
    PyErr_NoMemory();
    return -1;
}

static inline int cc_type_set_bases(PyTypeObject *t, PyObject *bases, PyObject *mro) {
    Py_ssize_t i;
    if (cc_type_ensure_slot_tables(t) < 0)
        return -1;
    for (i = 0; i < PyTuple_GET_SIZE(bases); i++) {
        PyTypeObject *base = (PyTypeObject *)PyTuple_GET_ITEM(bases, i);
        PyObject *subclasses, *key, *ref;
        int failed;
        if (base == t->tp_base || !(base->tp_flags & Py_TPFLAGS_HEAPTYPE))
            continue;
        subclasses = (PyObject *)base->tp_subclasses;
        if (subclasses == NULL) {
            subclasses = PyDict_New();
            if (subclasses == NULL)
                return -1;
            base->tp_subclasses = (void *)subclasses;
        }
        key = PyLong_FromVoidPtr((void *)t);
        ref = key == NULL ? NULL : PyWeakref_NewRef((PyObject *)t, NULL);
        failed = ref == NULL || PyDict_SetItem(subclasses, key, ref) < 0;
        Py_XDECREF(key);
        Py_XDECREF(ref);
        if (failed)
            return -1;
    }
    Py_INCREF(bases);
    Py_SETREF(t->tp_bases, bases);
    Py_INCREF(mro);
    Py_SETREF(t->tp_mro, mro);
    PyType_Modified(t);
    return 0;
}

/* CPython inherits tp_richcompare only together with tp_hash: a record that defines __hash__
 * but no comparison (eq=False with unsafe_hash, or a __hash__ of its own) would compare by
 * identity, where a dataclass inherits its base's __eq__ and ordering. Called once per record
 * type with a base, bases first, before any instance exists. */
static inline void cc_type_inherit_richcompare(PyTypeObject *t) {
    if (t->tp_richcompare == NULL && t->tp_base != NULL)
        t->tp_richcompare = t->tp_base->tp_richcompare;
}

/* A new reference to the type's dict (Cython treats `object` results as new references). */
static inline PyObject *cc_type_dict(PyTypeObject *t) {
    Py_INCREF(t->tp_dict);
    return t->tp_dict;
}

static inline Py_ssize_t cc_type_basicsize(PyTypeObject *t) { return t->tp_basicsize; }

static inline int cc_type_is_gc(PyTypeObject *t) { return PyType_IS_GC(t); }

/* The type of an object in its tp_free: no reference may be taken there. */
static inline PyTypeObject *cc_type_of(void *o) { return Py_TYPE((PyObject *)o); }

/* Free-threaded builds use mimalloc heaps and 32-byte headers: the per-type arena is compiled
 * out there (records use the default allocator). */
#ifdef Py_GIL_DISABLED
#define CC_USE_ARENA 0
#else
#define CC_USE_ARENA 1
#endif

#endif
