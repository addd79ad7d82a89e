"""The project's record declarations (plain Python)."""
from compactclass import compact, f64, i32


@compact
class Point:
    x: i32
    y: i32
    z: i32 = 0


@compact(frozen=True)
class Circle:
    cx: f64
    cy: f64
    r: f64 = 1.0

    def area(self) -> float:
        return 3.141592653589793 * self.r * self.r
