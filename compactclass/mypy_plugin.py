"""mypy plugin for compactclass: ``plugins = ["compactclass.mypy_plugin"]`` in the mypy config.

What plain mypy cannot know from ``__init__.pyi``:

- ``Str[N]`` and ``Bytes[N]`` read as ``str`` and ``bytes`` (an int is no type argument);
- ``Point.Array`` of every ``@compact`` class is a ``type[RecordArray[Point]]`` (a class
  decorator cannot add attributes to the class it returns, as far as checkers are concerned);
- the column ``a.price`` (and ``a.column("price")``) of a ``RecordArray[Trade]`` is a
  ``Column[float]``, the type of the field, and a name that is no field of Trade is an error.
"""
from __future__ import annotations

from typing import Callable, Optional

from mypy.nodes import StrExpr, Var
from mypy.plugin import (AnalyzeTypeContext, AttributeContext, ClassDefContext, MethodContext,
                         Plugin)
from mypy.plugins.common import add_attribute_to_class
from mypy.plugins.dataclasses import dataclass_class_maker_callback
from mypy.types import (AnyType, Instance, RawExpressionType, Type, TypeOfAny, TypeType,
                        get_proper_type)

SIZED = {"compactclass.Str": "builtins.str", "compactclass.Bytes": "builtins.bytes",
         "compactclass.kinds.strings.Str": "builtins.str",
         "compactclass.kinds.strings.Bytes": "builtins.bytes"}
DECORATOR = "compactclass.compact"
RECORD_ARRAY = "compactclass.typed.RecordArray"
COLUMN = "compactclass.typed.Column"


def _sized_type(ctx: AnalyzeTypeContext, python_type: str) -> Type:
    args = ctx.type.args
    name = ctx.type.name
    if len(args) != 1 or not (isinstance(args[0], RawExpressionType)
                              and isinstance(args[0].literal_value, int)
                              and not isinstance(args[0].literal_value, bool)):
        ctx.api.fail(f'{name}[N] takes one int, the size in bytes (as in {name}[8])', ctx.context)
    return ctx.api.named_type(python_type, [])


def _make_record(ctx: ClassDefContext) -> bool:
    """What mypy does for any dataclass_transform decorator (which a plugin hook replaces),
    then ``Array``."""
    return dataclass_class_maker_callback(ctx) and _add_array(ctx)


def _add_array(ctx: ClassDefContext) -> bool:
    array = ctx.api.lookup_fully_qualified_or_none(RECORD_ARRAY)
    if array is None or array.node is None:
        if not ctx.api.final_iteration:
            ctx.api.defer()
            return False
        return True
    if "Array" in ctx.cls.info.names:
        return True
    record = Instance(ctx.cls.info, [])
    array_type = TypeType(Instance(array.node, [record]))    # type: ignore[arg-type]
    add_attribute_to_class(ctx.api, ctx.cls, "Array", array_type, is_classvar=True)
    return True


def _column_type(array_type: Type, name: str, api: object, context: object,
                 default: Type) -> Type:
    """``Column[<type of field name>]`` for a column of a ``RecordArray[R]`` (``default`` is
    the ``Column[Any]`` the protocol declares); an error (and Any) when R has no such field;
    ``default`` when the record type is not known."""
    array = get_proper_type(array_type)
    if not isinstance(array, Instance) or not array.args:
        return default
    record = get_proper_type(array.args[0])
    if not isinstance(record, Instance):
        return default
    fields = {a["name"] for a in record.type.metadata.get("dataclass", {}).get("attributes", [])}
    node = record.type.get(name)
    if name not in fields or node is None or not isinstance(node.node, Var) or \
            node.node.type is None:
        api.fail(f'"{record.type.name}" has no field "{name}" (no column '  # type: ignore[attr-defined]
                 f'"{name}" in {record.type.name}.Array)', context)
        return AnyType(TypeOfAny.from_error)
    column = get_proper_type(default)         # Column[Any], what RecordArray declares
    if not isinstance(column, Instance) or column.type.fullname != COLUMN:
        return default
    return column.copy_modified(args=[node.node.type])


def _attribute_column(name: str) -> Callable[[AttributeContext], Type]:
    def hook(ctx: AttributeContext) -> Type:
        return _column_type(ctx.type, name, ctx.api, ctx.context, ctx.default_attr_type)
    return hook


def _method_column(ctx: MethodContext) -> Type:
    """``a.column("price")`` with a literal name: as ``a.price``."""
    if len(ctx.args) != 1 or len(ctx.args[0]) != 1 or not isinstance(ctx.args[0][0], StrExpr):
        return ctx.default_return_type
    return _column_type(ctx.type, ctx.args[0][0].value, ctx.api, ctx.context,
                        ctx.default_return_type)


class CompactPlugin(Plugin):
    def get_type_analyze_hook(self, fullname: str
                              ) -> Optional[Callable[[AnalyzeTypeContext], Type]]:
        python_type = SIZED.get(fullname)
        if python_type is None:
            return None
        return lambda ctx: _sized_type(ctx, python_type)

    def get_class_decorator_hook_2(self, fullname: str
                                   ) -> Optional[Callable[[ClassDefContext], bool]]:
        return _make_record if fullname == DECORATOR else None

    def get_attribute_hook(self, fullname: str
                           ) -> Optional[Callable[[AttributeContext], Type]]:
        """Names a RecordArray does not declare (found through its __getattr__) are columns."""
        owner, _, name = fullname.rpartition(".")
        if owner != RECORD_ARRAY:
            return None
        info = self.lookup_fully_qualified(RECORD_ARRAY)
        if info is None or info.node is None or name in getattr(info.node, "names", {}):
            return None
        return _attribute_column(name)

    def get_method_hook(self, fullname: str) -> Optional[Callable[[MethodContext], Type]]:
        return _method_column if fullname == RECORD_ARRAY + ".column" else None


def plugin(version: str) -> type[Plugin]:
    return CompactPlugin
