"""A field kind written outside compactclass, as the next field kinds will be: a module that
subclasses Kind and registers its family is all it takes, in both modes.

``Tenths`` stores a float as an ``int16_t`` count of tenths (``Temp(21.26).t == 21.3``): the
Python value users see differs from the stored one, so this exercises every place the pipeline
asks a kind (convert, store/load in generated code, compare, struct packing of the pure
arrays, NumPy views, pickles).
"""
import copy
import pickle
import sys

import pytest

import compactclass
from conftest import fallback_of

np = pytest.importorskip("numpy")

FAMILY = '''
"""A float stored as an int16_t count of tenths."""
import math
import sys
from typing import Annotated

from compactclass.kinds import Kind, register_family
from compactclass.kinds.messages import range_error
from compactclass.kinds.numbers import KINDS as NUMBERS


class TenthsKind(Kind):
    name = ident = "tenths"
    python_type = float
    c_type = "int16_t"
    size = align = 2
    zero = 0.0
    bytes_equal = True
    struct_code, numpy_code = "h", "i2"
    c_cimports = {"libc.stdint": ("int16_t",)}

    def convert(self, where, value):
        number = NUMBERS["f64"].convert(where, value)       # what a float field takes
        if not (math.isfinite(number) and -32768 <= round(number * 10) <= 32767):
            raise range_error(where, self.name, -3276.8, 3276.7, value)
        return round(number * 10) / 10

    def to_struct(self, value):
        return round(value * 10)

    def from_struct(self, value):
        return value / 10

    def module_code(self):
        return ["from kindext_family import tenths_of as _cc_tenths_of"]

    def store(self, target, value, where):
        return f"{target} = _cc_tenths_of({value}, {where})"

    def load(self, source):
        return f"({source} / 10.0)"

    def compare(self, a, b):
        return f"_cc_k.order_signed({a}, {b})"


TENTHS = TenthsKind()
Tenths = Annotated[float, TENTHS]
KINDS = {"tenths": TENTHS}
SUPPORTED_TEXT = "Tenths"


def tenths_of(value, where):
    """The stored count of tenths of a value (compiled code's store statement calls this)."""
    return TENTHS.to_struct(TENTHS.convert(where, value))


def kind_of(annotation):
    if TENTHS in getattr(annotation, "__metadata__", ()):
        return TENTHS
    return None


register_family(sys.modules[__name__])
'''

DECLARATION = '''
from compactclass import compact, i32
from kindext_family import Tenths


@compact(order=True, frozen=True)
class Temp:
    t: Tenths
    n: i32 = 0
'''


@pytest.fixture(scope="module")
def both(builder):
    builder.write(FAMILY, name="kindext_family")
    module = builder.build(DECLARATION, name="kindext_records")
    assert compactclass.is_compiled(module.Temp)
    return module.Temp, fallback_of(module.Temp)


def test_values_and_errors_agree(both):
    for Temp in both:
        t = Temp(21.26, 3)
        assert (t.t, t.n) == (21.3, 3) and repr(t) == "Temp(t=21.3, n=3)"
        assert Temp(1) < Temp(1.5) and Temp(2.04) == Temp(2.0)
        assert hash(Temp(2.04)) == hash(Temp(2)) and Temp(2).t == 2.0
    errors = []
    for Temp in both:
        found = []
        for bad in ("x", 1e6, float("nan"), None):
            with pytest.raises((TypeError, OverflowError)) as info:
                Temp(bad)
            found.append((type(info.value), str(info.value)))
        errors.append(found)
    assert errors[0] == errors[1]
    assert errors[0][1] == (OverflowError, "Temp.t: 1000000.0 is out of range for tenths "
                                           "[-3276.8, 3276.7]")


def test_pickles_and_copies_load_across_modes(both):
    compiled, pure = both
    t = compiled(12.3, 4)
    assert pickle.loads(pickle.dumps(t)) == t and copy.deepcopy(t) == t
    assert pure.__compact__.restore((12.3, 4)) == pure(12.3, 4)


def test_arrays_store_the_kinds_bytes(both):
    rows = []
    for Temp in both:
        a = Temp.Array([Temp(1.26), (2.5, 7)])
        a.append((-3.33, 1))
        assert [r.t for r in a] == [1.3, 2.5, -3.3] and a.t.tolist() == [1.3, 2.5, -3.3]
        a.t[0] = 9.99
        assert a[0] == Temp(10.0)
        assert np.asarray(a)["t"].tolist() == [100, 25, -33]       # the stored tenths
        assert a.index((2.5, 7)) == 1 and a.count(Temp(-3.3, 1)) == 1
        with pytest.raises(OverflowError):
            a.t[1] = 5000
        rows.append(a.tobytes())
    assert rows[0] == rows[1]
    compiled = both[0]
    a = compiled.Array([compiled(1.5)])
    assert pickle.loads(pickle.dumps(a)) == a


def test_the_kind_is_named_in_signatures_and_layouts(both):
    compiled, pure = both
    assert compiled.__compact__.spec.signature_text == "t:tenths,n:i32"
    assert compactclass.layout(compiled).item_size == 8
    assert "kindext_family" in sys.modules
