"""attrs contender: @attrs.define (slotted, mutable, value equality)."""
import attrs


@attrs.define
class P3i:
    x: int
    y: int
    z: int


@attrs.define
class P3f:
    x: float
    y: float
    z: float
