"""Spec -> the ``.pyi`` stub of a generated module: what type checkers see of its records."""
from __future__ import annotations

from ..spec import RecordSpec
from .arrays import array_pyi, array_pyi_header
from .records import generated_init

__all__ = ["pyi_class", "pyi_lines"]

INDENT = "    "


def pyi_class(spec: RecordSpec) -> list:
    base = f"({spec.base.name})" if spec.base else ""
    lines = [f"class {spec.name}{base}:"]
    lines += [f"{INDENT}{f.name}: {f.kind.pyi_type}" for f in spec.own_fields]
    def param(f):   # (an InitVar's value is not checked: any object)
        return f"{f.name}: {'object' if f.init_var else f.kind.pyi_type}" \
               f"{' = ...' if f.has_default else ''}"
    params = [param(f) for f in spec.init_parameters if not f.kw_only]
    keyword = [param(f) for f in spec.init_parameters if f.kw_only]
    params += ["*", *keyword] if keyword else []
    if generated_init(spec):
        lines.append(f"{INDENT}def __init__(self{''.join(', ' + p for p in params)}) -> None: ...")
    lines.append(f"{INDENT}__match_args__ = {spec.match_args!r}")
    return lines


def pyi_lines(specs: list, foreign_records: list) -> list:
    lines = ["# Type information for the compiled module; import the records from their "
             "declaring module.", ""]
    if any("typing." in f.kind.pyi_type for spec in specs for f in spec.fields):
        lines += ["import typing", ""]
    lines += array_pyi_header(specs)
    lines += list(dict.fromkeys(line for spec in specs for f in spec.own_fields
                                for line in f.kind.pyi_imports))
    lines += [f"from {b.module} import {b.name}" for b in foreign_records]
    for spec in specs:
        lines += ["", *pyi_class(spec), ""]
        array = array_pyi(spec)
        if array:
            lines += ["", *array, ""]
    return lines
