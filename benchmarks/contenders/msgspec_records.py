"""msgspec contenders: Struct with and without cyclic-GC support."""
import msgspec


class StructP3i(msgspec.Struct):
    x: int
    y: int
    z: int


class StructP3f(msgspec.Struct):
    x: float
    y: float
    z: float


class NoGcStructP3i(msgspec.Struct, gc=False):
    x: int
    y: int
    z: int


class NoGcStructP3f(msgspec.Struct, gc=False):
    x: float
    y: float
    z: float
