"""The field-kind interface: everything the pipeline needs to know of one kind of field.

A *kind* describes the values one field holds and how they are stored: ``i32``, ``f64``,
``bool`` (and, in later families, strings, enums, times, nested records, objects). Every stage
asks the field's kind instead of switching on it:

=========================  ==============================================================
stage                      what it asks the kind
=========================  ==============================================================
declaration (spec.py)      which annotations it stands for (:func:`kinds.kind_of_annotation`),
                           its :attr:`~Kind.name`, :meth:`~Kind.convert` of a default
layout (layout.py)         :attr:`~Kind.size`, :attr:`~Kind.align`, :attr:`~Kind.c_type`
codegen (.pxd/.pyx/.pyi)   :meth:`~Kind.c_declaration`, :attr:`~Kind.c_cimports`,
                           :meth:`~Kind.module_code`, :meth:`~Kind.module_setup`,
                           :meth:`~Kind.store` (a Cython statement), :meth:`~Kind.load` (a
                           Cython expression), :attr:`~Kind.ident`, :attr:`~Kind.pyi_type`,
                           :attr:`~Kind.pyi_imports`
compiled runtime           the kind's C operations, which the generated module builds from
                           :meth:`~Kind.load`, :meth:`~Kind.store` and
                           :meth:`~Kind.stored_valid` (``cc_kind_ops``, _kinds.pxd): getset
                           descriptors, hash, repr, pickles, columns; and the record's own
                           generated ==/ordering from :meth:`~Kind.compare`
pure runtime (pure/)       :meth:`~Kind.convert`, :attr:`~Kind.struct_code` (packing),
                           :meth:`~Kind.to_struct`, :meth:`~Kind.from_struct`,
                           :meth:`~Kind.invalid_stored`, :meth:`~Kind.canonical_bytes`
array formats              :attr:`~Kind.struct_code` (``struct``), :attr:`~Kind.buffer_code`
                           (PEP 3118), :attr:`~Kind.numpy_code`, :attr:`~Kind.pep3118`,
                           :meth:`~Kind.invalid_stored`
pickles                    :meth:`~Kind.convert` on load (values are pickled as the Python
                           values users see); :meth:`~Kind.canonical_bytes` for array pickles
=========================  ==============================================================

Semantics every kind defines (both modes follow them):

- **equality and ordering** are those of the Python values users see, compared field by field
  the way tuples compare (``!=`` first, then ``<``); the compiled runtime compares the stored C
  values with the same outcome (:meth:`~Kind.compare`);
- **hashing** is ``hash`` of the tuple of those Python values;
- **plain data**: a kind whose values hold no object reference (:attr:`~Kind.plain_data`) can be
  copied as bytes. A record whose every field is plain data is plain data itself
  (``RecordSpec.plain_data``): that decides that it has record arrays, exports buffers and
  pickles its arrays as bytes;
- **cycles**: a kind whose values may refer back to the record (:attr:`~Kind.cyclic`: an
  object field of a ``list``, a user class, ``Any``) makes its record GC-tracked, with
  Cython's traverse and clear; every other record (numbers, and ``str``/``bytes`` references,
  which cannot refer to anything) stays untracked and comes from the GC-free arena
  (``RecordSpec.gc_free``).

Objects a kind's Cython needs at run time (an enum class) are
:meth:`~Kind.bound_objects`: module-level names of the generated module that @compact sets when
it binds the compiled record (a generated module cannot import its declaration: that imports
it).

A kind is an immutable value object; kinds with parameters (``Str[16]``) are separate
instances, each with an :attr:`~Kind.ident` of its own (a generated module builds one set of
C operations per ident).
"""
from __future__ import annotations

import os
import sys
from typing import Optional

__all__ = ["Kind", "module_name"]


def module_name(cls) -> str:
    """The module a class is declared in, by the name it is imported as: a script run as
    ``__main__`` is its file's module (as a build of it names it), so the kinds of its classes
    keep their canonical text, and the build stays usable."""
    name = cls.__module__
    if name == "__main__":
        main = sys.modules.get("__main__")
        found = getattr(getattr(main, "__spec__", None), "name", None)
        if found:
            return found
        file = getattr(main, "__file__", None)
        if file:
            return os.path.splitext(os.path.basename(file))[0]
    return name


class Kind:
    """One kind of field. Subclasses set the attributes and implement the methods below."""

    #: the name users write and messages, pickles and signatures use: "i32"
    name: str = ""
    #: the Python type of the values users see: the annotation's origin, the ``.pyi`` type
    python_type: type = object
    #: C type of one stored value (for layout tables and messages): "int32_t"
    c_type: str = ""
    #: bytes of one stored value, and its alignment
    size: int = 0
    align: int = 1
    #: the value of a field whose bytes are all zero (``init=False`` without a default)
    zero: object = None
    #: False when a stored value holds an object reference (see the module docstring)
    plain_data: bool = True
    #: True when two stored values are equal exactly when their bytes are (integers; not
    #: floats, where 0.0 == -0.0 and NaN != NaN): the pure runtime's arrays then compare
    #: records as bytes
    bytes_equal: bool = False
    #: the value's ``struct``/PEP 3118 format ("i", "16s"), and NumPy's name for it ("i4"; a
    #: nested struct's: the dict ``numpy.dtype`` takes)
    struct_code: str = ""
    numpy_code: str = ""
    #: what the generated .pxd/.pyx must cimport for c_declaration: {"libc.stdint": ("int32_t",)}
    c_cimports: dict = {}
    #: an identifier for the kind's C operations in generated code ("i32": _cc_load_i32, ...)
    ident: str = ""
    #: True when a value may refer back to the record, so the record must be GC-tracked
    cyclic: bool = False
    #: True when :meth:`compare` may run Python code (a nested record's own ``__eq__``): record
    #: arrays then compare copies of their items, which that code cannot free
    compare_runs_python: bool = False
    #: the RecordSpecs of compact records whose generated code the kind's Cython uses (a
    #: nested record's): one declared in another module is cimported from that module's build
    nested_specs: tuple = ()

    @property
    def canonical(self) -> str:
        """What the schema hash records of the kind: its name, plus whatever else generated
        code depends on (an enum's members)."""
        return self.name
    #: False when the PEP 3118 format (struct_code) cannot say numpy_code (NumPy's datetime64
    #: and timedelta64 have no buffer code): compiled arrays holding the kind export no buffer
    #: then, and NumPy views them through ``__array__`` (zero-copy, numpy_code dtypes)
    pep3118: bool = True
    #: (distance in bytes from the value to its presence byte, bit mask) of an optional field
    #: placed in a record (kinds.optional); None for every other kind
    presence: Optional[tuple[int, int]] = None

    @property
    def pyi_imports(self) -> tuple:
        """The lines a ``.pyi`` stub needs for :attr:`pyi_type` ("import datetime")."""
        return ()

    @property
    def buffer_code(self) -> str:
        """The value's PEP 3118 format in exported buffers: :attr:`struct_code`, or a nested
        struct's ``T{...}``."""
        return self.struct_code

    def compiled_available(self) -> bool:
        """Whether the kind's compiled code can run now (a nested record's needs that record's
        compiled class): a record with a field whose kind says no is the fallback."""
        return True

    # -- declaration

    @property
    def pyi_type(self) -> str:
        """The type a ``.pyi`` stub gives the field."""
        return self.python_type.__name__

    # -- values (the pure runtime, defaults, unpickling)

    def convert(self, where: str, value):
        """The value a field of this kind stores for ``value``, or the TypeError/OverflowError
        (naming ``where``, "Point.x") that any entry point raises for it."""
        raise NotImplementedError

    def to_struct(self, value):
        """What ``struct.pack(struct_code)`` stores for a (converted) value users see."""
        return value

    def from_struct(self, value):
        """The Python value users see, from what ``struct.unpack(struct_code)`` gave."""
        return value

    def invalid_stored(self, column: bytes):
        """(index, bytes) of the first stored value in ``column`` (this field's bytes of every
        record, :attr:`size` bytes each) that this kind never writes, or None."""
        return None

    def stored_error(self, where: str, index: int, raw: bytes, name: str) -> Exception:
        """The error of record ``index`` holding ``raw`` (see :meth:`invalid_stored`) in field
        ``name``, for a buffer or pickle that is refused."""
        return ValueError(f"{where}: record {index} holds {raw!r} in {self.name} field {name!r}, "
                          f"which no {self.name} value is")

    def canonical_bytes(self, column: bytes) -> bytes:
        """``column`` with every value as this kind writes it (array pickles hold these)."""
        return column

    # -- generated code (Cython)

    def module_code(self) -> list:
        """Cython lines a generated module needs once for this kind's code (cimports, imports
        of helpers its store statement calls; names starting with ``_cc_``)."""
        return []

    def module_setup(self, module: str, private) -> list:
        """Cython statements that a generated module (of declaration ``module``) runs once at
        import, before it sets its records up; ``private(spec, what)`` is the generated name
        of one of a record's objects (codegen.names.private)."""
        return []

    def c_declaration(self, member: str) -> str:
        """The Cython declaration of a C struct member holding one value: ``int32_t x``, or
        ``char x[16]`` (member may carry a C name: ``x "cc_f_x"``)."""
        return f"{self.c_type} {member}"

    def store(self, target: str, value: str, where: str) -> str:
        """One Cython statement that converts and checks Python object ``value`` and stores it
        in C lvalue ``target``; on a bad value it raises (naming ``where``, a Cython str
        expression) and leaves ``target`` unchanged."""
        raise NotImplementedError

    def load(self, source: str) -> str:
        """A Cython expression giving the Python value users see from C lvalue ``source``."""
        raise NotImplementedError

    def compare(self, a: str, b: str) -> str:
        """A Cython expression comparing the values in C lvalues a and b as their Python values
        compare: ``_cc_k.CC_LT``, ``CC_EQ``, ``CC_GT`` or ``CC_UNORDERED`` (NaN)."""
        raise NotImplementedError

    def stored_valid(self, source: str):
        """A Cython expression, true when C lvalue ``source`` holds a value this kind writes
        (bytes from a buffer or a pickle may not); None when every byte pattern is one."""
        return None

    def canonical_store(self, source: str):
        """A Cython statement rewriting C lvalue ``source`` as this kind writes its value (only
        called where :meth:`stored_valid` is false), or None where no value can be read from
        it: the bytes are kept (and refused where they are loaded)."""
        raise NotImplementedError

    def c_lvalue(self, pointer: str) -> str:
        """The C lvalue of the value stored at ``pointer`` (a ``char *`` expression)."""
        return f"(<{self.c_type} *>({pointer}))[0]"

    def c_address(self, lvalue: str) -> str:
        """A ``char *`` expression pointing at the value in C lvalue ``lvalue``."""
        return f"(<char *>&({lvalue}))"

    def c_offset(self, member: str, obj: str) -> tuple:
        """(Cython statements, expression): the offset at which the C compiler placed struct
        member ``member`` (``probe.x``) of object ``obj``, measured at import to check the
        layout. The statements run first."""
        return [], f"<char *>&{member} - <char *><void *>{obj}"

    # The same operations on the value stored at a ``char *`` expression (the runtime's view of
    # a field: object + offset, or an array item + offset). Kinds whose values Cython cannot
    # reach through a cast pointer (object references) override them.

    def load_at(self, pointer: str) -> str:
        return self.load(self.c_lvalue(pointer))

    def store_at(self, pointer: str, value: str, where: str) -> str:
        return self.store(self.c_lvalue(pointer), value, where)

    def compare_at(self, a: str, b: str) -> str:
        return self.compare(self.c_lvalue(a), self.c_lvalue(b))

    def bound_objects(self) -> dict:
        """{name: object} the kind's Cython reads as module-level names (``_cc_...``): the
        generated module declares each, and @compact sets them when it binds a record."""
        return {}

    def __repr__(self) -> str:
        return self.name
