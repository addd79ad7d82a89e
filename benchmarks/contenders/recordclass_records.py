"""recordclass contenders: the recordclass() factory and a dataobject subclass."""
from recordclass import dataobject, recordclass

RecordclassP3i = recordclass("RecordclassP3i", "x y z")
RecordclassP3f = recordclass("RecordclassP3f", "x y z")


class DataobjectP3i(dataobject):
    x: int
    y: int
    z: int


class DataobjectP3f(dataobject):
    x: float
    y: float
    z: float
