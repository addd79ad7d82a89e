"""A first end-to-end check: one declaration, built and used in both modes."""
import sys

import compactclass
from conftest import fallback_of

SOURCE = """
from compactclass import compact, i32

@compact
class Point:
    x: i32
    y: i32
    z: i32 = 0
"""


def test_build_and_use(builder):
    mod = builder.build(SOURCE)
    assert compactclass.is_compiled(mod.Point)
    p = mod.Point(1, 2)
    assert repr(p) == "Point(x=1, y=2, z=0)"
    assert sys.getsizeof(p) == 32
    fb = fallback_of(mod.Point)
    assert not compactclass.is_compiled(fb)
    assert repr(fb(1, 2)) == repr(p)
