"""The inline string kinds: ``Str[N]`` (up to N bytes of UTF-8) and ``Bytes[N]`` (up to N bytes).

``symbol: Str[8]`` is ``Annotated[str, <Str[8]>]`` and ``raw: Bytes[16]`` is
``Annotated[bytes, <Bytes[16]>]``; N is an int from 1 to 65535, and the same N always gives the
same kind object. A field is ``char x[N]`` in the C struct (N bytes, alignment 1), so a record
or an array item holds its text inline, with no object behind it.

The rules (the same in both modes):

- **Storage**: the value's bytes (UTF-8 for ``Str``) from the start of the field, the rest zero
  (NUL) bytes. A read gives the bytes up to the last non-NUL byte (decoded for ``Str``), as a
  new ``str``/``bytes``.
- **Every accepted value reads back exactly**: embedded NULs are kept (``"a\\0b"``); a value
  whose last byte is NUL (``"ab\\0"``, ``b"\\0"``) is a ``ValueError``, since the padding could
  not be told from it; a value longer than N bytes is a ``ValueError`` naming the field, its
  byte length and N (it is never truncated). The empty value is fine (and the zero of the kind).
- ``Str`` takes ``str`` (a subclass is stored, and read back as plain ``str``); a ``str`` that
  UTF-8 cannot encode (a lone surrogate) is a ``ValueError``. ``Bytes`` takes ``bytes`` (a
  subclass reads back as plain ``bytes``). Anything else (``bytes`` for ``Str``, ``str`` for
  ``Bytes``, ``bytearray``, ``memoryview``, ``None``) is a ``TypeError``.
- **Equality, ordering and hashing** are those of the ``str``/``bytes`` values. The compiled
  code compares the padded fields with ``memcmp``, which gives exactly that order: UTF-8 keeps
  code-point order byte by byte, and because a value never ends with NUL, a value that is a
  proper prefix of another is followed by a zero byte where the other has a non-zero one left
  (so it sorts first, as the shorter string does). Equal values are equal bytes
  (:attr:`bytes_equal`).
- **Formats**: struct/PEP 3118 ``"Ns"``, NumPy ``"SN"``. NumPy views of a ``Str`` column show
  the UTF-8 bytes (``np.asarray(a.symbol)`` is an ``S8`` array), and NumPy strips the NUL
  padding as a read does.
- **Stored bytes that no write makes** (from a buffer or a pickle): for ``Bytes`` every byte
  pattern is a value. For ``Str`` the bytes (without the padding) must be UTF-8:
  ``frombuffer`` and unpickling refuse others, naming the record and the field. Bytes written
  through an exported buffer that are not UTF-8 read without the bytes that are no part of a
  UTF-8 character (Python's ``errors="ignore"``), and array pickles store them so; ``==``,
  ``in``, ``index`` and ``count`` of array items compare the stored bytes as they are.
"""
from __future__ import annotations

from typing import Annotated, TypeVar

from ..errors import DeclarationError, DeclarationValueError
from .base import Kind
from .messages import short_repr, type_error

__all__ = ["Str", "Bytes", "StrKind", "BytesKind", "KINDS", "kind_of", "str_kind", "bytes_kind",
           "MAX_SIZE", "SUPPORTED_TEXT"]

#: the largest N of Str[N] and Bytes[N]
MAX_SIZE = 65535


class CharsKind(Kind):
    """N bytes stored inline as ``char[N]``, NUL padded: what Str[N] and Bytes[N] share."""

    #: "Str" or "Bytes": the name users write before [N]
    family = ""
    #: what the field takes, for the TypeError ("a str")
    expected = ""
    align = 1
    bytes_equal = True

    def __init__(self, size: int):
        self.size = size
        self.name = f"{self.family}[{size}]"
        self.ident = f"{self.family.lower()}{size}"
        self.c_type = f"char[{size}]"
        self.struct_code = f"{size}s"
        self.numpy_code = f"S{size}"

    # -- values

    def _encoded(self, where: str, value) -> bytes:
        """The bytes a (type-checked) value is stored as."""
        raise NotImplementedError

    def _checked(self, where: str, value) -> bytes:
        """The bytes of value, or the error any entry point raises for it."""
        if not isinstance(value, self.python_type):
            raise type_error(where, self.name, self.expected, value)
        raw = self._encoded(where, value)
        if len(raw) > self.size:
            unit = " of UTF-8" if self.python_type is str else ""
            raise ValueError(f"{where}: {short_repr(value)} is {len(raw)} bytes{unit}, longer "
                             f"than {self.name} holds ({self.size} bytes)")
        if raw.endswith(b"\0"):
            raise ValueError(f"{where}: {short_repr(value)} ends with a NUL byte, and trailing "
                             f"NUL bytes cannot be stored: Str/Bytes fields pad with NUL "
                             f"({self.name})")
        return raw

    # -- generated code (the C side is compactclass/_strings.pxd)

    def module_code(self) -> list:
        return ["from compactclass cimport _strings as _cc_strings"]

    def c_declaration(self, member: str) -> str:
        return f"char {member}[{self.size}]"

    def c_lvalue(self, pointer: str) -> str:
        # a char array is passed as a pointer to its first byte: a struct member (rec.x) decays
        # to one, and so does this
        return f"(<char *>({pointer}))"

    def c_address(self, lvalue: str) -> str:
        return f"(<char *>({lvalue}))"

    def compare(self, a: str, b: str) -> str:
        return f"_cc_strings.compare_chars({a}, {b}, {self.size})"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.size}>"


class StrKind(CharsKind):
    """``Str[N]``: a ``str`` of up to N bytes of UTF-8."""

    family, expected = "Str", "a str"
    python_type = str
    zero = ""

    def _encoded(self, where: str, value) -> bytes:
        try:
            return str.encode(value, "utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(f"{where}: {short_repr(value)} cannot be stored in {self.name}: "
                             f"UTF-8 cannot encode it ({exc.reason})") from None

    def convert(self, where: str, value) -> str:
        self._checked(where, value)
        return str.__str__(value)           # a subclass: its plain str

    def to_struct(self, value) -> bytes:
        return str.encode(value, "utf-8")

    def from_struct(self, value: bytes) -> str:
        # bytes that are no part of a UTF-8 character (a buffer write) are dropped; what is
        # left may end with a NUL, which the field cannot hold
        return value.rstrip(b"\0").decode("utf-8", "ignore").rstrip("\0")

    def invalid_stored(self, column: bytes):
        if column.isascii():
            return None
        for index in range(len(column) // self.size):
            raw = column[index * self.size:(index + 1) * self.size]
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return index, raw
        return None

    def stored_error(self, where: str, index: int, raw: bytes, name: str) -> ValueError:
        return ValueError(f"{where}: record {index} holds {raw!r} in {self.name} field "
                          f"{name!r}, which is not UTF-8")

    def canonical_bytes(self, column: bytes) -> bytes:
        if self.invalid_stored(column) is None:
            return column
        size = self.size
        return b"".join(self.to_struct(self.from_struct(column[i:i + size])).ljust(size, b"\0")
                        for i in range(0, len(column), size))

    def store(self, target: str, value: str, where: str) -> str:
        return f"_cc_strings.store_str({target}, {self.size}, {value}, {where})"

    def load(self, source: str) -> str:
        return f"_cc_strings.load_str({source}, {self.size})"

    def stored_valid(self, source: str) -> str:
        return f"_cc_strings.str_valid({source}, {self.size})"

    def canonical_store(self, source: str) -> str:
        return f"_cc_strings.str_canonical({source}, {self.size})"


class BytesKind(CharsKind):
    """``Bytes[N]``: a ``bytes`` of up to N bytes."""

    family, expected = "Bytes", "a bytes object"
    python_type = bytes
    zero = b""

    def _encoded(self, where: str, value) -> bytes:
        return value

    def convert(self, where: str, value) -> bytes:
        self._checked(where, value)
        return b"".join((value,))           # a subclass: its plain bytes

    def from_struct(self, value: bytes) -> bytes:
        return value.rstrip(b"\0")

    def store(self, target: str, value: str, where: str) -> str:
        return f"_cc_strings.store_bytes({target}, {self.size}, {value}, {where})"

    def load(self, source: str) -> str:
        return f"_cc_strings.load_bytes({source}, {self.size})"


#: every kind made so far, by name ("Str[8]"): kinds are made when a size is first used
KINDS: dict = {}


_K = TypeVar("_K", bound=CharsKind)


def _kind(kind_class: type[_K], size) -> _K:
    family = kind_class.family
    if isinstance(size, bool) or not isinstance(size, int):
        raise DeclarationError(f"{family}[N] takes an int N, the field's size in bytes (1 to "
                               f"{MAX_SIZE}), not {type(size).__name__} {short_repr(size)}")
    if not 1 <= size <= MAX_SIZE:
        raise DeclarationValueError(f"{family}[{size}]: the size N must be from 1 to "
                                    f"{MAX_SIZE} bytes")
    name = f"{family}[{size}]"
    if name not in KINDS:
        KINDS[name] = kind_class(int(size))
    return KINDS[name]


def str_kind(size: int) -> StrKind:
    """The kind of ``Str[size]``."""
    return _kind(StrKind, size)


def bytes_kind(size: int) -> BytesKind:
    """The kind of ``Bytes[size]``."""
    return _kind(BytesKind, size)


class _SizedType:
    """Base of Str and Bytes: field types written with their size. ``Str[8]`` is
    ``Annotated[str, Str(8)]``: ``Str(8)`` is the kind itself, for the ``Annotated`` spelling
    that every type checker reads as ``str`` (pyright refuses an int inside ``Str[...]``)."""

    #: not a type of values: a bare ``Str`` is no field type (not an object field either)
    __compact_kind_maker__ = True
    _python_type: type
    _make: staticmethod[[int], CharsKind]      # (each family's kind maker)

    def __new__(cls, *args, **kwargs):
        if len(args) != 1 or kwargs:
            raise TypeError(f"{cls.__name__} is a field type: annotate a field with "
                            f"{cls.__name__}[N] or Annotated[{cls._python_type.__name__}, "
                            f"{cls.__name__}(N)]")
        return cls._make(args[0])

    def __class_getitem__(cls, size):
        return Annotated[cls._python_type, cls._make(size)]


class Str(_SizedType):
    """``Str[N]`` (or ``Annotated[str, Str(N)]``): a ``str`` field of up to N bytes of UTF-8,
    stored inline (see :mod:`compactclass.kinds.strings`)."""

    _python_type = str
    _make = staticmethod(str_kind)


class Bytes(_SizedType):
    """``Bytes[N]`` (or ``Annotated[bytes, Bytes(N)]``): a ``bytes`` field of up to N bytes,
    stored inline (see :mod:`compactclass.kinds.strings`)."""

    _python_type = bytes
    _make = staticmethod(bytes_kind)


def kind_of(annotation):
    """The kind of ``Str[N]``/``Bytes[N]`` (``Annotated[str, <Str[N]>]``), or None."""
    for kind in getattr(annotation, "__metadata__", ()):
        if isinstance(kind, CharsKind) and KINDS.get(kind.name) is kind and \
                getattr(annotation, "__origin__", None) is kind.python_type:
            return kind
    return None


SUPPORTED_TEXT = f"Str[N], Bytes[N] (N bytes inline, N from 1 to {MAX_SIZE})"
