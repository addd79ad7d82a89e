"""compactclass contender: the declarations, compiled by the suite into benchmarks/.build/cc/
with `python -m compactclass build` (the copy there is what the workers import)."""
from compactclass import compact, f64, i32


@compact
class P3i:
    x: i32
    y: i32
    z: i32


@compact
class P3f:
    x: f64
    y: f64
    z: f64
