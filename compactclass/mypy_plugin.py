"""mypy plugin for compactclass: ``plugins = ["compactclass.mypy_plugin"]`` in the mypy config.

What plain mypy cannot know from ``__init__.pyi``:

- ``Str[N]`` and ``Bytes[N]`` read as ``str`` and ``bytes`` (an int is no type argument);
- ``Point.Array`` of every ``@compact`` class is a ``type[RecordArray[Point]]`` (a class
  decorator cannot add attributes to the class it returns, as far as checkers are concerned).
"""
from __future__ import annotations

from typing import Callable, Optional

from mypy.plugin import AnalyzeTypeContext, ClassDefContext, Plugin
from mypy.plugins.common import add_attribute_to_class
from mypy.plugins.dataclasses import dataclass_class_maker_callback
from mypy.types import Instance, RawExpressionType, Type, TypeType

SIZED = {"compactclass.Str": "builtins.str", "compactclass.Bytes": "builtins.bytes",
         "compactclass.kinds.strings.Str": "builtins.str",
         "compactclass.kinds.strings.Bytes": "builtins.bytes"}
DECORATOR = "compactclass.compact"
RECORD_ARRAY = "compactclass.typed.RecordArray"


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


def plugin(version: str) -> type[Plugin]:
    return CompactPlugin
