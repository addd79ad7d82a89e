# cython: language_level=3, boundscheck=False, wraparound=False, binding=False
"""The record runtime: per-type arenas for record objects, type set-up, and what every compiled
record does the same way from its field table (``cc_record``, see _records.pxd): getset
descriptors, ``__repr__``, ``==`` and ordering, ``__hash__``, ``__reduce__``, restoring.
Record arrays are compactclass._arrays.

Methods are compiled as plain method descriptors (binding=False): CPython then checks that
``self`` is an instance of the class, which Cython's binding functions do not (Cython issue
#1903). What C code relies on (sizes, offsets, which types are records, arenas) is C-level
state fixed when a type is made, never a Python attribute that a subclass or an assignment
could change.

Arenas are created per record type and live as long as the process (types are never unloaded).
Their slab memory is reported to tracemalloc under TRACEMALLOC_DOMAIN.

Thread safety: every function here runs with the GIL held; arenas are not safe to use without
it, and on free-threaded builds the arena is compiled out (CC_USE_ARENA is 0).
"""
from cpython.object cimport PyObject, PyTypeObject
from libc.string cimport memset, strdup
from libc.stdlib cimport calloc
from compactclass._kinds cimport (cc_field, CC_LT, CC_EQ, CC_GT, CC_UNORDERED, CC_PY,
                                  CC_RUNTIME_ABI, CC_FIELD_HASH, CC_FIELD_REPR,
                                  CC_FIELD_COMPARE)
from libc.stdint cimport uintptr_t
from compactclass.core cimport (cc_arena, cc_arena_stats, cc_arena_new, cc_arena_set_hook,
                                cc_arena_alloc, cc_arena_free, cc_arena_get_stats, cc_strerror)


from compactclass import messages as _messages
from compactclass import pickling as _pickling
from compactclass.kinds import messages as _kind_messages

cdef extern from "Python.h":
    PyObject *PyObject_Init(PyObject *op, PyTypeObject *t)
    PyObject *PyErr_NoMemory() except NULL
    void PyObject_Free(void *p)
    void PyObject_GC_Del(void *p)
    int PyTraceMalloc_Track(unsigned int domain, uintptr_t ptr, size_t size) nogil
    int PyTraceMalloc_Untrack(unsigned int domain, uintptr_t ptr) nogil
    PyObject *PyType_GenericAlloc(PyTypeObject *t, Py_ssize_t nitems) noexcept
    ctypedef object (*getter)(object, void *)
    ctypedef int (*setter)(object, PyObject *, void *) except -1
    ctypedef struct PyGetSetDef:
        const char *name
        getter get
        setter set
        const char *doc
        void *closure
    object PyDescr_NewGetSet(PyTypeObject *t, PyGetSetDef *d)
    object PyUnicode_InternFromString(const char *s)
    object PyUnicode_FromString(const char *s)
    bint PyType_IsSubtype(PyTypeObject *a, PyTypeObject *b)
    bint PyObject_TypeCheck(object o, PyTypeObject *t)
    void PyType_Modified(PyTypeObject *t)
    int PyDict_SetItemString(object d, const char *key, object value) except -1
    int PyDict_DelItemString(object d, const char *key) except -1
    ctypedef struct _PyTypeObjectName "PyTypeObject":
        const char *tp_name

cdef extern from "Python.h":
    object PyObject_RichCompare(object a, object b, int op)
    void Py_INCREF(object o)
    object PyTuple_New(Py_ssize_t n)
    void PyTuple_SET_ITEM(object t, Py_ssize_t i, object v)
    int Py_EQ, Py_NE, Py_LT, Py_LE, Py_GT, Py_GE

cdef extern from "cc_typeslots.h":
    object cc_type_dict(PyTypeObject *t)
    Py_ssize_t cc_type_basicsize(PyTypeObject *t)
    int cc_type_is_gc(PyTypeObject *t)
    void cc_learn_python_setattro(PyTypeObject *python_class)
    void cc_type_use_python_setattro(PyTypeObject *t)
    int cc_type_setattr(object cls, object name, PyObject *value) except -1
    int cc_type_is_heap(PyTypeObject *t)
    void cc_type_set_metatype(PyTypeObject *t, PyTypeObject *meta)
    void cc_metatype_use_vectorcall(PyTypeObject *meta)
    int cc_type_set_bases(PyTypeObject *t, object bases, object mro) except -1
    int cc_type_ensure_slot_tables(PyTypeObject *t) except -1

#: tracemalloc domain of arena slabs (see tracemalloc.DomainFilter)
TRACEMALLOC_DOMAIN = 0x63630001
cdef unsigned int _DOMAIN = 0x63630001

#: False on free-threaded builds, where records use the default allocator
ARENA_ENABLED = bool(CC_USE_ARENA)

# type -> address of its arena (int), for statistics; C-level (Python code cannot reach it)
cdef dict _arenas = {}

# Addresses of the generated record types (their module registers them at import): the only
# types the type set-up helpers below change.
cdef set _record_types = set()


cdef void _slab_hook(void *ctx, void *slab, size_t nbytes, int acquired) noexcept nogil:
    if acquired:
        PyTraceMalloc_Track(_DOMAIN, <uintptr_t>slab, nbytes)
    else:
        PyTraceMalloc_Untrack(_DOMAIN, <uintptr_t>slab)


cdef cc_arena *new_type_arena(object cls) except NULL:
    """An arena of cls.__basicsize__-byte blocks, registered for statistics."""
    cdef PyTypeObject *t = <PyTypeObject *>cls
    cdef Py_ssize_t size = cc_type_basicsize(t)
    cdef cc_arena *arena = cc_arena_new(<size_t>size, 8, NULL)
    if arena == NULL:
        raise MemoryError(f"cannot create the arena of {cls.__qualname__}")
    cc_arena_set_hook(arena, _slab_hook, NULL)
    _arenas[cls] = <uintptr_t>arena
    return arena


cdef PyObject *record_alloc(cc_arena *arena, PyTypeObject *t, PyTypeObject *exact,
                            Py_ssize_t nitems) noexcept:
    """tp_alloc of a record type: a zeroed, initialised object from the arena for the exact
    type (subclasses have other sizes: CPython's allocator)."""
    if t != exact or nitems != 0:
        return PyType_GenericAlloc(t, nitems)
    cdef void *mem = cc_arena_alloc(arena)
    if mem == NULL:
        PyErr_NoMemory()
        return NULL
    memset(mem, 0, <size_t>cc_type_basicsize(t))
    return PyObject_Init(<PyObject *>mem, t)


cdef void record_free(cc_arena *arena, void *o, PyTypeObject *exact) noexcept:
    """tp_free of a record type: back to the arena, or to CPython's allocator for objects that
    PyType_GenericAlloc made (subclasses)."""
    if cc_type_of(o) == exact:
        cc_arena_free(arena, o)
    elif cc_type_is_gc(cc_type_of(o)):
        PyObject_GC_Del(o)
    else:
        PyObject_Free(o)


cdef int register_record_type(object cls) except -1:
    """Called by a generated module for each record type it defines, before binding."""
    _record_types.add(<uintptr_t><PyObject *>cls)
    return 0


cdef int _check_record_type(object cls, str what) except -1:
    if not isinstance(cls, type) or <uintptr_t><PyObject *>cls not in _record_types:
        raise TypeError(f"{what}: {cls!r} is not a compiled compact record type")
    return 0


cdef object abstract_error(object cls):
    """The TypeError creating abstract record class cls raises."""
    return _messages.abstract_error(cls)


cdef tuple checked_values(object values, Py_ssize_t n, str record):
    """values as a tuple of exactly n field values (what a binder returns): the generated
    code reads n items from it, so nothing else may pass."""
    if not isinstance(values, tuple) or PyTuple_GET_SIZE(<PyObject *>values) != n:
        raise TypeError(f"{record}: the argument binder returned {type(values).__name__} "
                        f"{values!r:.60}, not a tuple of {n} field values")
    return <tuple>values


cdef object call_binder(object binder, PyObject **args, size_t nargsf, PyObject *kwnames):
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

cdef int set_type_attribute(object cls, str name, object value) except -1:
    """Set an attribute on a compiled record or record-array type (static and ready, so
    ``setattr`` refuses) and invalidate the type caches."""
    _check_record_type(cls, "_set_type_attribute")
    PyDict_SetItemString(cc_type_dict(<PyTypeObject *>cls), name.encode(), value)
    PyType_Modified(<PyTypeObject *>cls)
    return 0


def _set_type_attribute(object cls, str name, object value):
    """set_type_attribute, for @compact while binding."""
    set_type_attribute(cls, name, value)


def _del_type_attribute(object cls, str name):
    """Remove an attribute of a compiled record type's own dict (the comparison wrappers
    PyType_Ready made for a tp_richcompare that only implements ==), for @compact."""
    _check_record_type(cls, "_del_type_attribute")
    PyDict_DelItemString(cc_type_dict(<PyTypeObject *>cls), name.encode())
    PyType_Modified(<PyTypeObject *>cls)


# type's own getset descriptors whose setters write PyHeapTypeObject fields (a static type has
# none): never set on a compiled record type.
_HEAP_ONLY_ATTRIBUTES = frozenset({"__name__", "__qualname__", "__bases__"})
_TYPE_ANNOTATIONS = type.__dict__["__annotations__"]


cdef class RecordType(type):
    """The type of compiled record classes. Their classes are static C types, which CPython
    makes immutable; this metatype gives them a Python class's class attributes instead:
    ``Point.flag = True``, ``del Point.flag``, ``functools.total_ordering`` adding methods, and
    ``__annotations__``. Fields and the names only a heap type can change (``__name__``,
    ``__qualname__``, ``__bases__``) are refused. Python classes derived from a record are heap
    types of this metatype and behave as any class."""

    def __setattr__(cls, name, value):
        _set_class_attribute(cls, name, <PyObject *>value)

    def __delattr__(cls, name):
        _set_class_attribute(cls, name, NULL)

    @property
    def __annotations__(cls):
        if cc_type_is_heap(<PyTypeObject *>cls):
            return _TYPE_ANNOTATIONS.__get__(cls, type(cls))
        found = cc_type_dict(<PyTypeObject *>cls).get("__annotations__")
        if found is None:
            raise AttributeError(f"type object {cls.__qualname__!r} has no attribute "
                                 f"'__annotations__'")
        return found


cc_metatype_use_vectorcall(<PyTypeObject *>RecordType)


cdef int _set_class_attribute(object cls, object name, PyObject *value) except -1:
    cdef PyTypeObject *t = <PyTypeObject *>cls
    cdef const cc_record *rec
    cdef Py_ssize_t k
    if not cc_type_is_heap(t):
        verb = "delete" if value == NULL else "set"
        if name in _HEAP_ONLY_ATTRIBUTES:
            raise TypeError(f"cannot {verb} {name!r} attribute of compiled record type "
                            f"{cls.__qualname__!r}")
        address = _records.get(<uintptr_t><PyObject *>cls)
        if address is not None and isinstance(name, str):
            rec = <const cc_record *><uintptr_t>address
            for k in range(rec.nfields):
                if <object>rec.fields[k].pyname == name:
                    raise AttributeError(f"cannot {verb} class attribute {name!r} of "
                                         f"{cls.__qualname__}: it is a field (its descriptor "
                                         f"reads the C value)")
        cc_type_ensure_slot_tables(t)     # (a special method set now fills its slot)
    cc_type_setattr(cls, name, value)
    return 0


def _set_bases(cls, tuple bases, tuple mro):
    """Give compiled record type ``cls`` the bases of its declaration: ``bases`` holds its
    record base (or object) and bases without instance state (checked by compactclass.spec);
    ``mro`` is the declaration's MRO with cls in its place. Then the special methods those
    bases define reach the type's slots, as a Python class's do. For @compact."""
    _check_record_type(cls, "_set_bases")
    base = (<PyTypeObject *>cls).tp_base
    if not bases or mro[0] is not cls or <object><PyObject *>base not in mro:
        raise TypeError(f"_set_bases: bases {bases!r} and MRO {mro!r} do not fit {cls!r}")
    chain = []          # the type's C layout: its tp_base chain, which must stay in the MRO
    cdef PyTypeObject *b = base
    while b != NULL:
        chain.append(<object><PyObject *>b)
        b = b.tp_base
    if [klass for klass in mro if klass in chain] != chain or mro[len(mro) - 1] is not object:
        raise TypeError(f"_set_bases: MRO {mro!r} does not hold {cls!r}'s bases {chain!r}")
    for klass in mro[1:] + bases:
        if not isinstance(klass, type):
            raise TypeError(f"_set_bases: {klass!r} is not a class")
        if klass not in chain and klass is not cls and not _adds_no_state(klass):
            raise TypeError(f"_set_bases: {klass!r} has instance state (a record's C layout is "
                            f"its own)")
    cc_type_set_bases(<PyTypeObject *>cls, bases, mro)
    own = cc_type_dict(<PyTypeObject *>cls)
    for klass in mro[1:len(mro) - 1]:   # (a record base's own slots too: its bases may
                                        # have changed)
        for name, value in list(vars(klass).items()):
            if not (name.startswith("__") and name.endswith("__")) or name in own \
                    or name in _NOT_SLOT_NAMES:
                continue
            # setting and removing the name makes CPython fill the slot from the MRO
            cc_type_setattr(cls, name, <PyObject *>value)
            cc_type_setattr(cls, name, NULL)


class _LayoutProbe:
    __slots__ = ("_cc_probe",)


def _adds_no_state(klass) -> bool:
    """Whether klass's instances hold nothing beyond an object's (and a __dict__ or
    __weakref__ pointer): no named __slots__, no C fields. Its descriptors, which a record
    would pass the isinstance checks of, then read nothing from a record's memory."""
    cdef PyTypeObject *t = <PyTypeObject *>klass
    extra = cc_type_basicsize(t) - cc_type_basicsize(<PyTypeObject *>object)
    extra -= sizeof(PyObject *) * ((klass.__dictoffset__ > 0) + (klass.__weakrefoffset__ > 0))
    return extra == 0 and klass.__itemsize__ == 0


_NOT_SLOT_NAMES = frozenset({"__module__", "__qualname__", "__doc__", "__dict__", "__weakref__",
                             "__slots__", "__annotations__", "__abstractmethods__",
                             "__parameters__", "__orig_bases__", "__init_subclass__",
                             "__class_getitem__", "__subclasshook__", "__protocol_attrs__",
                             "__non_callable_proto_members__", "__type_params__",
                             "__firstlineno__", "__static_attributes__", "__match_args__"})


class _PythonSetattr:
    def __setattr__(self, name, value):
        pass


cc_learn_python_setattro(<PyTypeObject *>_PythonSetattr)


def _use_python_setattr(object cls):
    """Make writes to attributes of compiled record type ``cls`` call the ``__setattr__`` and
    ``__delattr__`` its MRO finds (set by @compact: a frozen record's), as a Python class's
    do, instead of the generated fast path."""
    _check_record_type(cls, "_use_python_setattr")
    cc_type_use_python_setattro(<PyTypeObject *>cls)
    PyType_Modified(<PyTypeObject *>cls)


def _set_type_name(object cls, str dotted_name):
    """Make a compiled record type report ``module.qualname`` (its __module__ and
    __qualname__). The string is kept for the life of the process, as a type's name must be.
    """
    _check_record_type(cls, "_set_type_name")
    cdef bytes encoded = dotted_name.encode()
    if b"\0" in encoded:
        raise ValueError(f"_set_type_name: {dotted_name!r} holds a NUL character")
    cdef char *copy = strdup(encoded)
    if copy == NULL:
        raise MemoryError()
    (<_PyTypeObjectName *>(<PyObject *>cls)).tp_name = copy
    PyType_Modified(<PyTypeObject *>cls)


def arena_stats(object cls):
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


# =================================================================================================
# What every record does from its field table
# =================================================================================================

# address of a compiled record type -> address of its cc_record (C-level, set by record_setup)
cdef dict _records = {}


cdef inline char *_field_at(object obj, const cc_field *f) noexcept:
    return (<char *><PyObject *>obj) + f.offset


cdef object _get_field(object self, void *closure):
    cdef const cc_field *f = <const cc_field *>closure
    return f.ops.load(_field_at(self, f), f.size)


cdef int _set_field(object self, PyObject *value, void *closure) except -1:
    cdef const cc_field *f = <const cc_field *>closure
    if value == NULL:
        raise _kind_messages.delete_error(<object>f.where)
    f.ops.store(_field_at(self, f), f.size, <object>value, <object>f.where)
    return 0


cdef int _install_getsets(object cls, cc_record *rec) except -1:
    """One getset descriptor per field (every field, inherited ones too: an error then names
    this record, as the fallback's does), into the ready static type's dict."""
    cdef PyTypeObject *t = <PyTypeObject *>cls
    cdef PyGetSetDef *defs = <PyGetSetDef *>calloc(<size_t>rec.nfields + 1, sizeof(PyGetSetDef))
    cdef Py_ssize_t k
    if defs == NULL:
        raise MemoryError()
    tdict = cc_type_dict(t)
    for k in range(rec.nfields):         # (kept for the life of the process, as the type)
        defs[k].name = rec.fields[k].name
        defs[k].get = _get_field
        defs[k].set = _set_field
        defs[k].doc = NULL
        defs[k].closure = &rec.fields[k]
        PyDict_SetItemString(tdict, defs[k].name, PyDescr_NewGetSet(t, &defs[k]))
    PyType_Modified(t)
    return 0


cdef int check_abi(object cls, int abi) except -1:
    """A generated module compiled against another version of the runtime's structs must not
    run: its static tables would be read (and written) with another layout."""
    if abi != CC_RUNTIME_ABI:
        raise ImportError(f"{cls.__name__}: compiled against another version of compactclass's "
                          f"runtime (structure version {abi}, not {CC_RUNTIME_ABI}); rebuild")
    return 0


cdef Py_ssize_t ref_offset(object obj, object target) except -2:
    """The offset in obj (an instance of a record type) of the one pointer to target, or -1:
    how a generated module measures where the C compiler put an object attribute."""
    cdef Py_ssize_t k, size = cc_type_basicsize(cc_type_of(<void *><PyObject *>obj))
    cdef char *base = <char *><PyObject *>obj
    for k in range(0, size - <Py_ssize_t>sizeof(PyObject *) + 1, sizeof(PyObject *)):
        if (<PyObject **>(base + k))[0] == <PyObject *>target:
            return k
    return -1


cdef int record_setup(object cls, cc_record *rec, list offsets, int abi) except -1:
    """Called by a generated module for each record type, before binding: checks that it was
    compiled against these structs (abi) and that the C compiler placed every field where
    compactclass.layout says (offsets: as measured on an instance), completes the field table
    (names), registers the type and installs its getset descriptors."""
    check_abi(cls, abi)
    cdef Py_ssize_t k
    cdef cc_field *f
    qualname = rec.qualname.decode("utf-8")
    for k in range(rec.nfields):
        f = &rec.fields[k]
        if offsets[k] != f.offset:
            raise ImportError(f"{qualname}: the C compiler placed field "
                              f"{f.name.decode('utf-8')!r} at offset {offsets[k]}, but "
                              f"compactclass.layout expects {f.offset}; rebuild")
        name = PyUnicode_InternFromString(f.name)
        where = f"{qualname}.{name}"
        Py_INCREF(name)               # (kept for the life of the process, as the type)
        Py_INCREF(where)
        f.pyname = <PyObject *>name
        f.where = <PyObject *>where
    signature = rec.signature.decode("utf-8")
    Py_INCREF(signature)
    rec.pysignature = <PyObject *>signature
    rec.cls = <PyObject *>cls
    _records[<uintptr_t><PyObject *>cls] = <uintptr_t>rec
    register_record_type(cls)
    _install_getsets(cls, rec)
    cc_type_set_metatype(<PyTypeObject *>cls, <PyTypeObject *>RecordType)
    return 0


cdef tuple record_values(const cc_record *rec, object a):
    """Every field's value (declared order), as users see them."""
    cdef Py_ssize_t k
    cdef const cc_field *f
    values = PyTuple_New(rec.nfields)
    for k in range(rec.nfields):
        f = &rec.fields[k]
        v = f.ops.load(_field_at(a, f), f.size)
        Py_INCREF(v)
        PyTuple_SET_ITEM(values, k, v)
    return values


cdef int record_payload_check(const cc_record *rec, char *payload, bint fix) noexcept:
    """1 if a field of the record's payload at payload (an item: the record's stored bytes from
    its first field on) holds bytes its kind never writes, else 0; with fix, every such field
    is rewritten as its kind would write it. (A nested record field's check: the record's own
    rules, through its own kinds' C checks.)"""
    cdef Py_ssize_t k
    cdef const cc_field *f
    cdef int found = 0
    for k in range(rec.nfields):
        f = &rec.fields[k]
        if f.ops.check != NULL and f.ops.check(payload + (f.offset - rec.item_base), f.size, fix):
            found = 1
            if not fix:
                break
    return found


cdef object record_richcompare(const cc_record *rec, object a, object b, int op):
    """==, !=, <, <=, >, >= of two records of the same type: field by field over the compare
    fields, as tuples compare (the first field that differs decides; NaN is unordered). Where
    the fields that differ are for Python to order (None against a value, objects), ordering
    is that of the tuples of the compare fields' values, errors included."""
    cdef int outcome
    if type(b) is not type(a):
        return NotImplemented
    outcome = rec.compare((<char *><PyObject *>a) + rec.item_base,
                          (<char *><PyObject *>b) + rec.item_base)
    if op == Py_EQ:
        return outcome == CC_EQ
    if op == Py_NE:
        return outcome != CC_EQ
    if outcome == CC_PY:
        return PyObject_RichCompare(
            tuple([value for _, value in _named_values(rec, a, CC_FIELD_COMPARE)]),
            tuple([value for _, value in _named_values(rec, b, CC_FIELD_COMPARE)]), op)
    if op == Py_LT:
        return outcome == CC_LT
    if op == Py_LE:
        return outcome == CC_LT or outcome == CC_EQ
    if op == Py_GT:
        return outcome == CC_GT
    return outcome == CC_GT or outcome == CC_EQ


cdef list _named_values(const cc_record *rec, object a, unsigned int flag):
    """(name, value) of every field marked flag, in declared order."""
    cdef Py_ssize_t k
    cdef const cc_field *f
    found = []
    for k in range(rec.nfields):
        f = &rec.fields[k]
        if f.flags & flag:
            found.append((<object>f.pyname, f.ops.load(_field_at(a, f), f.size)))
    return found


cdef Py_hash_t record_hash(const cc_record *rec, object a) except -1:
    """hash of the tuple of the hash fields' values."""
    return hash(tuple([value for _, value in _named_values(rec, a, CC_FIELD_HASH)]))


cdef object record_repr(const cc_record *rec, object a):
    parts = [f"{name}={value!r}" for name, value in _named_values(rec, a, CC_FIELD_REPR)]
    return f"{type(a).__qualname__}({', '.join(parts)})"


cdef object record_reduce(const cc_record *rec, object a):
    """(restore_v1, (class, field signature, values)): portable across modes."""
    values = record_values(rec, a)
    signature = <object>rec.pysignature
    if type(a) is <object>rec.cls:
        return _pickling.restore_v1, (<object>rec.cls, signature, values)
    return _pickling.reduce_subclass(a, signature, values)


# Every default ever bound, kept alive for the life of the process: a constructor running in
# another thread may hold borrowed pointers to the ones a rebinding replaces.
cdef list _bound_defaults = []


def set_defaults(object record, tuple values, object missing):
    """Fill the defaults table of compiled type ``record`` (what its constructor takes for an
    argument not given: values[i], or none where values[i] is missing). Called by @compact."""
    address = _records.get(<uintptr_t><PyObject *>record)
    if address is None:
        raise TypeError(f"set_defaults: {record!r} is not a compiled compact record type")
    cdef cc_record *rec = <cc_record *><uintptr_t>address
    cdef Py_ssize_t k
    if rec.defaults == NULL:
        return
    if len(values) != rec.nfields:
        raise ValueError(f"set_defaults: {rec.nfields} values needed, got {len(values)}")
    _bound_defaults.append(values)
    for k in range(rec.nfields):
        rec.defaults[k] = NULL if values[k] is missing else <PyObject *>values[k]


cdef tuple _NO_ARGS = ()


def restore_record(object record, tuple values, object cls):
    """A record of compiled type ``record`` (or of cls, a class derived from it) from every
    field value in declared order, each checked; no __init__ or __post_init__ runs."""
    address = _records.get(<uintptr_t><PyObject *>record)
    if address is None:
        raise TypeError(f"restore_record: {record!r} is not a compiled compact record type")
    cdef const cc_record *rec = <const cc_record *><uintptr_t>address
    cdef Py_ssize_t k
    cdef const cc_field *f
    if len(values) != rec.nfields:
        raise ValueError(f"{rec.qualname.decode('utf-8')}: expected {rec.nfields} field "
                         f"values, got {len(values)}")
    if not isinstance(cls, type) or not PyType_IsSubtype(<PyTypeObject *>cls,
                                                         <PyTypeObject *>record):
        raise TypeError(f"restore_record: {cls!r} does not derive from {record.__qualname__}")
    # the type's own tp_new, not a __new__ found as an attribute (which anything can replace)
    obj = (<PyTypeObject *>record).tp_new(cls, <PyObject *>_NO_ARGS, NULL)
    if not PyObject_TypeCheck(obj, <PyTypeObject *>record):
        raise TypeError(f"restore_record: {record.__qualname__}'s tp_new made {type(obj)!r}")
    for k in range(rec.nfields):
        f = &rec.fields[k]
        f.ops.store(_field_at(obj, f), f.size, values[k], <object>f.where)
    return obj
