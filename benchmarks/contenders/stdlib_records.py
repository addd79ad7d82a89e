"""The standard-library contenders: plain class, __slots__, dataclasses, namedtuple."""
from collections import namedtuple
from dataclasses import dataclass


class PlainP3i:
    def __init__(self, x: int, y: int, z: int):
        self.x = x
        self.y = y
        self.z = z


class PlainP3f:
    def __init__(self, x: float, y: float, z: float):
        self.x = x
        self.y = y
        self.z = z


class SlotsP3i:
    __slots__ = ("x", "y", "z")

    def __init__(self, x: int, y: int, z: int):
        self.x = x
        self.y = y
        self.z = z


class SlotsP3f:
    __slots__ = ("x", "y", "z")

    def __init__(self, x: float, y: float, z: float):
        self.x = x
        self.y = y
        self.z = z


@dataclass
class DataclassP3i:
    x: int
    y: int
    z: int


@dataclass
class DataclassP3f:
    x: float
    y: float
    z: float


@dataclass(slots=True)
class DataclassSlotsP3i:
    x: int
    y: int
    z: int


@dataclass(slots=True)
class DataclassSlotsP3f:
    x: float
    y: float
    z: float


NamedTupleP3i = namedtuple("NamedTupleP3i", "x y z")
NamedTupleP3f = namedtuple("NamedTupleP3f", "x y z")
