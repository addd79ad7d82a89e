"""Which dataclass methods a record gets, from which fields: decided once, for both modes.

:func:`plan` reads a spec the way ``dataclasses._process_class`` reads its options and returns
one :class:`Method` per generated method. Each mode renders the same plan in its own dialect:

- the pure runtime (``pure/records.py``) builds a Python function from it
  (:func:`python_source`), the way ``dataclasses._cmp_fn`` builds the six comparisons from one
  function;
- the compiled module (``codegen/records.py``) writes a one-line method that calls the
  record runtime (``_records.pyx``: ``record_repr``, ``record_richcompare``, ``record_hash``,
  ``record_reduce``), and marks the plan's fields in the record's field table.

Why the bodies themselves are not one text: the compiled runtime compares, hashes and prints the
stored C values through each kind's C operations, without boxing (and arrays compare their
items with the same operations); a Python function cannot. What can drift (which methods exist,
over which fields, the type test, the order of comparisons) is decided here only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..spec import RecordSpec

__all__ = ["Method", "plan", "RICHCOMPARE_OPS", "python_source"]

# rich comparison -> (Python operator, CPython's op code)
RICHCOMPARE_OPS = {"__eq__": ("==", 2), "__lt__": ("<", 0), "__le__": ("<=", 1),
                   "__gt__": (">", 4), "__ge__": (">=", 5)}


@dataclass(frozen=True)
class Method:
    """One generated method: its name and the fields (declared order) it reads."""

    name: str
    fields: tuple = ()

    @property
    def op(self) -> str:
        return RICHCOMPARE_OPS[self.name][0]

    @property
    def op_code(self) -> int:
        return RICHCOMPARE_OPS[self.name][1]


def plan(spec: RecordSpec) -> dict:
    """{name: Method} of the dataclass methods the record gets (the class body's own win).
    ``__hash__`` maps to None when the record must be unhashable."""
    user = set(spec.user_specials)
    methods: dict[str, Optional[Method]] = {}
    if spec.options.repr and "__repr__" not in user:
        methods["__repr__"] = Method("__repr__", spec.repr_fields)
    if spec.options.eq and "__eq__" not in user:
        methods["__eq__"] = Method("__eq__", spec.compare_fields)
    if spec.options.order:
        for name in ("__lt__", "__le__", "__gt__", "__ge__"):
            methods[name] = Method(name, spec.compare_fields)
    if spec.hash_action == "add":
        methods["__hash__"] = Method("__hash__", spec.hash_fields)
    elif spec.hash_action == "none":
        methods["__hash__"] = None
    return methods


def field_wise_eq(spec: RecordSpec) -> bool:
    """Whether == compares the compare fields (otherwise it is object identity or the class
    body's own __eq__, and record arrays compare records with ==)."""
    return "__eq__" in plan(spec)


def _equal_expr(f, a: str, b: str) -> str:
    """Source of "field f of a equals field f of b", as a tuple compares items: a field that
    holds a reference (an object, a str) is equal when it holds the same object (a NaN
    included), as a dataclass's tuple of values says; an inline value is a copy (compiled
    reads box a new one each time), so it is compared with == only."""
    if f.kind.plain_data:
        return f"{a}.{f.name} == {b}.{f.name}"
    return f"({a}.{f.name} is {b}.{f.name} or {a}.{f.name} == {b}.{f.name})"


def python_source(method: Method, self_name: str) -> list:
    """The body of ``method`` as Python source lines (parameters: self_name, ``other``)."""
    names = [f.name for f in method.fields]
    if method.name == "__repr__":
        parts = ", ".join(f"{n}={{{self_name}.{n}!r}}" for n in names)
        return [f'return f"{{type({self_name}).__qualname__}}({parts})"']
    if method.name == "__hash__":
        values = "".join(f"{self_name}.{n}, " for n in names)
        return [f"return hash(({values}))"]
    body = [f"if type(other) is not type({self_name}):", "    return NotImplemented"]
    if method.name == "__eq__":
        # a bool, as a dataclass's tuple comparison gives (a field's == may return anything)
        terms = " and ".join(_equal_expr(f, self_name, "other") for f in method.fields)
        return body + [f"return True if {terms} else False" if terms else "return True"]
    # ordering: the first field that differs decides, as tuples compare
    for f in method.fields:
        n = f.name
        differ = f"{self_name}.{n} != other.{n}" if f.kind.plain_data else \
            f"not {_equal_expr(f, self_name, 'other')}"
        body += [f"if {differ}:", f"    return {self_name}.{n} {method.op} other.{n}"]
    return body + [f"return {method.op.endswith('=')}"]
