"""Declaration -> spec: what a RecordSpec says about a declared class, and every declaration
error (each names the file, the class and the field at fault).

Nothing here compiles: classes declared inside test functions are never compiled (only
module-level records are), so @compact gives fallback classes whose ``__compact__.spec`` is the
spec under test.
"""
import dataclasses
import sys
import types
import typing
from dataclasses import KW_ONLY, InitVar  # noqa: F401  (InitVar: used by declared sources)
from typing import Annotated, ClassVar, List, Optional

import pytest

from compactclass import (DeclarationError, compact, f32, f64, field, i8, i16, i32, i64, u8,
                          u16, u32, u64, is_compiled)
from compactclass.spec import (CYTHON_KEYWORDS, GENERATOR_VERSION, OPTION_NAMES, Options,
                               RecordSpec, build_spec)
from compactclass.kinds import kind_of_annotation, supported_text
from compactclass.kinds.numbers import KINDS as CTYPES

HERE = __file__


def spec_of(cls):
    assert not is_compiled(cls)
    return cls.__compact__.spec


def names(fields):
    return [f.name for f in fields]


# --------------------------------------------------------------------------- field types


@pytest.mark.parametrize("alias, name, size, kind", [
    (i8, "i8", 1, "int"), (i16, "i16", 2, "int"), (i32, "i32", 4, "int"),
    (i64, "i64", 8, "int"), (u8, "u8", 1, "int"), (u16, "u16", 2, "int"), (u32, "u32", 4, "int"),
    (u64, "u64", 8, "int"), (f32, "f32", 4, "float"), (f64, "f64", 8, "float"),
    (bool, "bool", 1, "bool"), (int, "i64", 8, "int"), (float, "f64", 8, "float")])
def test_annotations_map_to_c_types(alias, name, size, kind):
    found = kind_of_annotation(alias)
    assert (found.name, found.size, found.python_type.__name__, found.align) == \
        (name, size, kind, size)


def test_aliases_are_plain_int_and_float_for_type_checkers():
    assert typing.get_origin(i32) is Annotated
    assert typing.get_args(i32)[0] is int and typing.get_args(f32)[0] is float
    assert typing.get_type_hints(type("T", (), {"__annotations__": {"x": i32}}))["x"] is int


@pytest.mark.parametrize("name, lo, hi", [("i8", -128, 127), ("u8", 0, 255),
                                          ("i16", -32768, 32767), ("u16", 0, 65535),
                                          ("i32", -2**31, 2**31 - 1), ("u32", 0, 2**32 - 1),
                                          ("i64", -2**63, 2**63 - 1), ("u64", 0, 2**64 - 1)])
def test_integer_ranges(name, lo, hi):
    assert (CTYPES[name].min, CTYPES[name].max) == (lo, hi)


@pytest.mark.parametrize("annotation", [Annotated[str, CTYPES["i32"]], CTYPES["i32"], "i32",
                                        None, 3])
def test_unsupported_annotations_are_not_field_types(annotation):
    assert kind_of_annotation(annotation) is None


@pytest.mark.parametrize("annotation, name, cyclic", [
    (str, "str", False), (bytes, "bytes", False), (Optional[str], "Optional[str]", False),
    (complex, "complex", True), (List[int], "List[int]", True), (list, "list", True),
    (object, "object", True), (Annotated[list, "other library's metadata"], "list", True)])
def test_other_annotations_are_object_fields(annotation, name, cyclic):
    kind = kind_of_annotation(annotation)
    assert (kind.name, kind.plain_data, kind.cyclic) == (name, False, cyclic)


def test_annotated_metadata_of_other_libraries_is_ignored():
    assert kind_of_annotation(Annotated[int, "i32"]) is CTYPES["i64"]


# --------------------------------------------------------------------------- specs


def test_spec_describes_fields_in_declared_order():
    @compact
    class Rec:
        b: f64
        a: u8
        c: i16 = 7
        d: bool = field(default=True, repr=False, compare=False, hash=True, metadata={"k": 1})
        n: int = 0
        r: float = 0.5

    spec = spec_of(Rec)
    assert isinstance(spec, RecordSpec) and dataclasses.is_dataclass(spec)
    assert names(spec.fields) == ["b", "a", "c", "d", "n", "r"]
    assert [f.kind.name for f in spec.fields] == ["f64", "u8", "i16", "bool", "i64", "f64"]
    assert spec.field("c").default == 7 and spec.field("b").has_default is False
    assert names(spec.repr_fields) == ["b", "a", "c", "n", "r"]
    assert names(spec.compare_fields) == ["b", "a", "c", "n", "r"]
    assert names(spec.hash_fields) == ["b", "a", "c", "d", "n", "r"]     # hash=True wins
    assert spec.match_args == ("b", "a", "c", "d", "n", "r")
    assert spec.field("d").metadata["k"] == 1
    assert spec.signature_text == "b:f64,a:u8,c:i16,d:bool,n:i64,r:f64"
    assert (spec.name, spec.qualname.endswith("<locals>.Rec"), spec.module) == \
        ("Rec", True, __name__)
    assert spec.file == HERE and spec.options == Options()
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "Other"


def test_defaults_are_converted_once():
    @compact
    class Rec:
        x: f64 = 1
        y: f32 = 0.1
        z: i32 = True

    spec = spec_of(Rec)
    assert spec.field("x").default == 1.0 and type(spec.field("x").default) is float
    assert spec.field("y").default == 0.10000000149011612
    assert spec.field("z").default == 1 and type(spec.field("z").default) is int


def test_classvar_and_kw_only():
    @compact
    class Rec:
        a: i32
        limit: ClassVar[int] = 5
        b: i32 = field(default=0, kw_only=True)
        c: i32 = 1
        _: KW_ONLY
        d: i32
        e: i32 = 2

    spec = spec_of(Rec)
    assert names(spec.fields) == ["a", "b", "c", "d", "e"]
    assert [f.kw_only for f in spec.fields] == [False, True, False, True, True]
    assert spec.match_args == ("a", "c")
    assert Rec.limit == 5


def test_kw_only_option_and_init_false_fields():
    @compact(kw_only=True)
    class Rec:
        a: i32
        b: i32 = field(default=0, kw_only=False)
        c: i32 = field(init=False, default=3)

    spec = spec_of(Rec)
    assert [f.kw_only for f in spec.fields] == [True, False, True]
    assert names(spec.init_fields) == ["a", "b"]
    assert spec.match_args == ("b",)


def test_inherited_fields_come_first():
    @compact
    class Base:
        a: i32
        b: f64 = 0.0

    @compact
    class Derived(Base):
        c: u8 = 0

    spec = spec_of(Derived)
    assert names(spec.fields) == ["a", "b", "c"]
    assert names(spec.own_fields) == ["c"]
    assert spec.base is spec_of(Base)
    assert [f.owner.rsplit(".", 1)[-1] for f in spec.fields] == ["Base", "Base", "Derived"]


def test_string_annotations_are_resolved():
    module = types.ModuleType("spec_string_annotations")
    module.__file__ = "spec_string_annotations.py"
    sys.modules[module.__name__] = module
    try:
        exec("from __future__ import annotations\n"
             "from compactclass import compact, i16, f32\n"
             "Alias = i16\n"
             "@compact\n"
             "class Rec:\n"
             "    a: Alias\n"
             "    b: f32 = 0.5\n"
             "    c: int = 0\n", module.__dict__)
        spec = module.Rec.__compact__.spec
        assert [f.kind.name for f in spec.fields] == ["i16", "f32", "i64"]
    finally:
        del sys.modules[module.__name__]


def test_post_init_and_user_specials_are_recorded():
    @compact
    class Rec:
        a: i32

        def __post_init__(self):
            pass

        def __len__(self):
            return 1

        def __str__(self):
            return "rec"

        def helper(self):
            return 2

    spec = spec_of(Rec)
    assert spec.has_post_init
    assert set(spec.user_specials) == {"__len__", "__str__"}


@pytest.mark.parametrize("options, body_hash, action", [
    ({}, None, "none"),                                   # eq, not frozen: unhashable
    ({"frozen": True}, None, "add"),
    ({"eq": False}, None, ""),                            # object's identity hash
    ({"unsafe_hash": True}, None, "add"),
    ({"unsafe_hash": True, "eq": False}, None, "add"),
    ({}, "explicit", ""),                                 # the class body's __hash__ stays
    ({"frozen": True}, "explicit", ""),
    ({"frozen": True, "eq": False}, None, ""),
])
def test_hash_action_follows_the_dataclass_table(options, body_hash, action):
    namespace = {"__annotations__": {"a": i32}}
    if body_hash:
        namespace["__hash__"] = lambda self: 1
    cls = compact(**options)(type("Rec", (), namespace))
    assert spec_of(cls).hash_action == action
    twin = dataclasses.dataclass(**options)(type("Rec", (), dict(namespace)))
    assert (cls.__hash__ is None) == (twin.__hash__ is None)


# --------------------------------------------------------------------------- schema hash


def _schema(body, options="", base=""):
    source = ("from compactclass import compact, field, i32, i64, f64\n"
              f"@compact{options}\nclass Rec{base}:\n" + body)
    namespace = {"__name__": "schema_probe"}
    exec(compile(source, HERE, "exec"), namespace)
    return namespace["Rec"].__compact__.spec.schema_hash()


BASE_BODY = "    x: i32\n    y: i32 = 0\n"


def test_schema_hash_is_stable():
    assert _schema(BASE_BODY) == _schema(BASE_BODY)
    assert len(_schema(BASE_BODY)) == 16


@pytest.mark.parametrize("body, options", [
    ("    x: i32\n    y: i32 = 0\n    z: i32 = 0\n", ""),          # a field added
    ("    x: i32\n    y: i64 = 0\n", ""),                           # a type changed
    ("    x: i32\n    w: i32 = 0\n", ""),                           # a field renamed
    ("    y: i32 = 0\n    x: i32 = 1\n", ""),                       # fields reordered
    ("    x: i32\n    y: i32 = field(default=0, repr=False)\n", ""),
    ("    x: i32\n    y: i32 = field(default=0, compare=False)\n", ""),
    (BASE_BODY, "(frozen=True)"),
    (BASE_BODY, "(order=True)"),
    (BASE_BODY, "(weakref_slot=True)"),
    (BASE_BODY + "    def __len__(self):\n        return 1\n", ""),    # a slot method
    (BASE_BODY + "    def __post_init__(self):\n        pass\n", ""),
])
def test_schema_hash_changes_with_what_generated_code_depends_on(body, options):
    assert _schema(body, options) != _schema(BASE_BODY)


@pytest.mark.parametrize("body", [
    "    x: i32\n    y: i32 = 1\n",                                  # a default changed
    "    x: i32\n    y: i32 = field(default_factory=int)\n",          # ... or made by a factory
    BASE_BODY + "    def method(self):\n        return 1\n",
    BASE_BODY + "    CONSTANT = 3\n",
    '    """A docstring."""\n' + BASE_BODY,
    BASE_BODY + "    @property\n    def p(self):\n        return 1\n",
])
def test_schema_hash_ignores_what_is_bound_at_import(body):
    assert _schema(body) == _schema(BASE_BODY)


def test_schema_hash_includes_generator_version():
    @compact
    class Rec:
        x: i32

    canonical = spec_of(Rec).canonical()
    assert canonical[0] == GENERATOR_VERSION


# --------------------------------------------------------------------------- declaration errors


def declare(body, options=None, bases=(), name="Bad", **names):
    """Declare a record from a class body given as source (this module's globals and names
    visible); return what @compact gives."""
    namespace = {}
    header = f"@compact{'' if options is None else '(' + options + ')'}\nclass {name}" \
             f"{'(' + ', '.join(bases) + ')' if bases else ''}:\n"
    exec(compile(header + body, HERE, "exec"), {**globals(), **names}, namespace)
    return namespace[name]


def assert_names(exc, cls="Bad", field=None, file=True):
    message = str(exc.value)
    assert f"class {cls}" in message or f"{cls}." in message, message
    if field is not None:
        assert f"'{field}'" in message or f"{cls}.{field}" in message, message
    if file:
        assert HERE in message, message


@pytest.mark.parametrize("annotation", ["3", "None", "Annotated[str, CTYPES['i32']]",
                                        "'NoSuchType'"])
def test_unsupported_type(annotation):
    error = TypeError
    with pytest.raises(error) as exc:
        declare(f"    ok: i32\n    x: {annotation}\n")
    assert_names(exc, field="x")
    if annotation != "'NoSuchType'":
        # every registered family's kinds, and where to go for anything else
        assert supported_text() in str(exc.value) and "object field" in str(exc.value)
    else:
        assert "cannot evaluate annotation" in str(exc.value)


def test_non_default_after_default():
    with pytest.raises(TypeError) as exc:
        declare("    a: i32 = 0\n    b: i32\n")
    assert_names(exc, field="b")
    assert "non-default argument 'b' follows default argument 'a'" in str(exc.value)


def test_non_default_after_inherited_default():
    @compact
    class Base:
        a: i32 = 0

    with pytest.raises(TypeError) as exc:
        declare("    b: i32\n", bases=("Base",), name="Child", Base=Base)
    assert_names(exc, cls="Child", field="b")


def test_kw_only_fields_may_follow_defaults():
    record = declare("    a: i32 = 0\n    b: i32 = field(kw_only=True)\n")
    assert record(b=2).b == 2


@pytest.mark.parametrize("default, error, words", [
    ("256", OverflowError, "256 is out of range for u8 [0, 255]"),
    ("-1", OverflowError, "-1 is out of range for u8"),
    ("1.5", TypeError, "expected an integer (u8), got float 1.5"),
    ("'a'", TypeError, "expected an integer (u8), got str 'a'"),
    ("None", TypeError, "got NoneType None"),
])
def test_default_out_of_range_or_of_wrong_type(default, error, words):
    with pytest.raises(error) as exc:
        declare(f"    x: u8 = {default}\n")
    assert_names(exc, field="x")
    assert "invalid default" in str(exc.value) and words in str(exc.value)


@pytest.mark.parametrize("annotation, default, error", [
    ("f32", "1e39", OverflowError), ("f64", "10**400", OverflowError), ("f64", "'1.0'", TypeError),
    ("bool", "1", TypeError), ("bool", "None", TypeError), ("i8", "-129", OverflowError),
    ("u64", "2**64", OverflowError), ("i64", "-2**63 - 1", OverflowError)])
def test_default_checks_for_every_kind(annotation, default, error):
    with pytest.raises(error) as exc:
        declare(f"    x: {annotation} = {default}\n")
    assert_names(exc, field="x")


@pytest.mark.parametrize("name", ["Array", "__x__", "__init__", "__dict__"])
def test_reserved_field_names(name):
    with pytest.raises(TypeError, match="the name is reserved") as exc:
        declare(f"    ok: i32 = 0\n    {name}: i32 = 0\n")
    assert_names(exc, field=name)


@pytest.mark.parametrize("name", sorted(CYTHON_KEYWORDS))
def test_cython_keywords_are_reserved_field_names(name):
    with pytest.raises(TypeError, match="Cython keyword") as exc:
        declare(f"    {name}: i32 = 0\n")
    assert_names(exc, field=name)


def test_field_named_like_a_method_of_the_body():
    with pytest.raises(TypeError) as exc:
        declare("    x: i32\n    def x(self):\n        return 1\n")
    assert_names(exc, field="x")


def test_redefining_a_base_field():
    @compact
    class Base:
        x: i32

    with pytest.raises(TypeError, match="Base stores it as i32.* not as i64") as exc:
        declare("    x: i64\n", bases=("Base",), name="Child", Base=Base)
    assert_names(exc, cls="Child", field="x")


def test_redeclaring_a_base_field_with_a_new_default():
    """As a dataclass: the field keeps its place and storage, with the new default and flags."""
    @compact
    class Base:
        x: i32 = 1
        y: i32 = 2

    child = declare("    x: i32 = field(default=5, repr=False)\n    z: i32 = 3\n",
                    bases=("Base",), name="Child", Base=Base)
    assert names(child.__compact__.spec.fields) == ["x", "y", "z"]
    assert repr(child()) == "Child(y=2, z=3)" and child().x == 5 and Base().x == 1
    assert [f.default for f in dataclasses.fields(child)] == [5, 2, 3]


def test_default_with_default_factory():
    # field() is dataclasses.field: it refuses the pair itself, when the class body runs
    with pytest.raises(ValueError, match="cannot specify both default and default_factory"):
        declare("    x: i32 = field(default=1, default_factory=int)\n")


def test_default_factory_must_be_callable():
    with pytest.raises(TypeError, match="default_factory must be callable") as exc:
        declare("    x: i32 = field(default_factory=5)\n")
    assert_names(exc, field="x")


@pytest.mark.parametrize("default", ["[]", "{}", "set()", "bytearray()"])
def test_mutable_default(default):
    with pytest.raises(ValueError, match="mutable default .* use default_factory") as exc:
        declare(f"    x: i32 = {default}\n")
    assert_names(exc, field="x")


def test_unknown_option():
    with pytest.raises(TypeError, match="unexpected option.*'slotz'") as exc:
        declare("    x: i32\n", options="slotz=True")
    assert_names(exc)
    assert all(name in str(exc.value) for name in OPTION_NAMES)


def test_slots_option():
    """@dataclass(slots=True) -> @compact(slots=True) is a one-word change; slots=False is
    refused with the reason."""
    assert declare("    x: i32\n", options="slots=True")(3).x == 3
    with pytest.raises(TypeError, match="always slotted") as exc:
        declare("    x: i32\n", options="slots=False")
    assert_names(exc)


def test_order_without_eq():
    with pytest.raises(ValueError, match="eq must be true if order is true") as exc:
        declare("    x: i32\n", options="order=True, eq=False")
    assert_names(exc)


def test_slots_in_the_body():
    with pytest.raises(TypeError, match="already specifies __slots__") as exc:
        declare("    __slots__ = ('x',)\n    x: i32\n")
    assert_names(exc)


@pytest.mark.parametrize("annotation", ["InitVar[int]", "InitVar"])
def test_initvar_is_a_parameter_not_a_field(annotation):
    cls = declare(f"    x: i32\n    y: {annotation} = 0\n    z: i32 = 1\n")
    spec = cls.__compact__.spec
    assert [f.name for f in spec.fields] == ["x", "z"]
    assert [f.name for f in spec.init_vars] == ["y"]
    assert [f.name for f in spec.init_parameters] == ["x", "y", "z"]


def test_dataclasses_field_is_compactclass_field():
    made = field(default=1, metadata={"unit": "m"})
    assert isinstance(made, dataclasses.Field) and made.name is None
    cls = declare("    x: i32 = dataclasses.field(default=1)\n")
    assert cls().x == 1 and dataclasses.fields(cls)[0].default == 1


def test_field_without_annotation():
    with pytest.raises(TypeError, match="'y' is a field but has no type annotation") as exc:
        declare("    x: i32\n    y = field(default=1)\n")
    assert_names(exc)
    assert "'y'" in str(exc.value)


@pytest.mark.parametrize("method", ["__new__", "__getattr__", "__getattribute__", "__del__",
                                    "__iadd__", "__get__"])
def test_forbidden_special_methods(method):
    with pytest.raises(TypeError, match=f"compact records cannot define {method}") as exc:
        declare(f"    x: i32\n    def {method}(self, *args):\n        pass\n")
    assert_names(exc)


def test_bases_must_be_one_compact_record():
    class Plain:
        __slots__ = ("state",)

    @compact
    class A:
        pass

    @compact
    class B:
        pass

    with pytest.raises(TypeError, match="lay-out conflict.*may define methods but no instance") \
            as exc:
        declare("    x: i32\n", bases=("Plain",), Plain=Plain)
    assert_names(exc)
    assert "Plain" in str(exc.value)
    with pytest.raises(TypeError, match="one compact record only") as exc:
        declare("    x: i32 = 0\n", bases=("A", "B"), A=A, B=B)
    assert_names(exc)


@pytest.mark.parametrize("base_options, options, words", [
    ("", "frozen=True", "cannot inherit frozen dataclass from a non-frozen one"),
    ("frozen=True", "", "cannot inherit non-frozen dataclass from a frozen one"),
])
def test_frozen_must_match_the_base(base_options, options, words):
    parent = declare("    a: i32\n", options=base_options, name="Parent")
    with pytest.raises(TypeError, match=words) as exc:
        declare("    b: i32 = 0\n", options=options, bases=("Parent",), Parent=parent)
    assert_names(exc)


def test_unsafe_hash_with_explicit_hash():
    with pytest.raises(TypeError, match="Cannot overwrite attribute __hash__ in class") as exc:
        declare("    x: i32\n    def __hash__(self):\n        return 1\n",
                options="unsafe_hash=True")
    assert_names(exc, file=False)


def test_order_with_user_comparison():
    with pytest.raises(TypeError, match="Cannot overwrite attribute __lt__ in class") as exc:
        declare("    x: i32\n    def __lt__(self, other):\n        return True\n",
                options="order=True")
    assert_names(exc, file=False)


def test_errors_name_the_file_and_line_of_the_class():
    line = sys._getframe().f_lineno + 2      # the line of the decorator
    with pytest.raises(TypeError) as exc:
        @compact
        class Rec:
            x: 3
    assert f"{HERE}:{line}: class test_errors_name_the_file_and_line_of_the_class.<locals>.Rec, " \
           f"field 'x': unsupported annotation 3" in str(exc.value)


@pytest.mark.parametrize("body, options, also", [
    ("    x: 3\n", None, TypeError),
    ("    x: u8 = 'a'\n", None, TypeError),
    ("    x: u8 = 256\n", None, OverflowError),
    ("    x: i32 = field(default=[])\n", None, ValueError),
    ("    x: i32\n", "order=True, eq=False", ValueError),
], ids=["annotation", "default_type", "default_range", "mutable_default", "order_without_eq"])
def test_declaration_errors_keep_their_builtin_type(body, options, also):
    """Every declaration mistake is a DeclarationError (a TypeError), and the ones dataclasses
    report as ValueError, or an out-of-range default, are that as well."""
    with pytest.raises(DeclarationError) as exc:
        declare(body, options=options)
    assert isinstance(exc.value, TypeError) and isinstance(exc.value, also)
    assert_names(exc, field="x" if options is None else None)


def test_build_spec_is_the_plain_entry_point():
    class Rec:
        x: i32
        y: f64 = 1.0

    spec = build_spec(Rec, Options(frozen=True))
    assert names(spec.fields) == ["x", "y"] and spec.options.frozen
    assert spec.hash_action == "add"
