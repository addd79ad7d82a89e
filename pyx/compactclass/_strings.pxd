# cython: language_level=3
"""What the Str[N] and Bytes[N] kinds' generated code uses (compactclass.kinds.strings): loads,
stores and comparisons of a ``char[N]`` field, inline (they are the hot paths).

A field is N bytes: the value's bytes (UTF-8 for Str) from the start, the rest NUL. A store
checks the whole value first and writes the field only once it is valid; anything it refuses
goes to ``refuse``, which raises the Python kind's own error (so both modes read the same).
"""
from libc.string cimport memcpy, memset, memcmp
from compactclass._kinds cimport CC_LT, CC_EQ, CC_GT

cdef extern from "Python.h":
    bint PyUnicode_Check(object o)
    bint PyBytes_Check(object o)
    # NULL (an exception set) when the str holds a lone surrogate
    const char *PyUnicode_AsUTF8AndSize(object s, Py_ssize_t *size)
    object PyUnicode_DecodeUTF8(const char *s, Py_ssize_t size, const char *errors)
    Py_ssize_t PyUnicode_GET_LENGTH(object s)
    Py_UCS4 PyUnicode_READ_CHAR(object s, Py_ssize_t index)
    object PyBytes_FromStringAndSize(const char *s, Py_ssize_t size)
    char *PyBytes_AS_STRING(object o)
    Py_ssize_t PyBytes_GET_SIZE(object o)
    void PyErr_Clear()
    object PyUnicode_New(Py_ssize_t size, Py_UCS4 maxchar)
    void *PyUnicode_DATA(object s)

# The error of a value a store refused: the Python kind Str[size] or Bytes[size] says why.
cdef int refuse_str(Py_ssize_t size, object value, object where) except -1
cdef int refuse_bytes(Py_ssize_t size, object value, object where) except -1
# str_canonical's slow path: the bytes without those that are no part of a UTF-8 character.
cdef void drop_non_utf8(char *p, Py_ssize_t size) noexcept


cdef inline Py_ssize_t stripped_len(const char *p, Py_ssize_t size) noexcept:
    """The length of the value stored in the size bytes at p (without the NUL padding)."""
    while size > 0 and p[size - 1] == 0:
        size -= 1
    return size


cdef inline int put_chars(char *p, Py_ssize_t size, const char *s, Py_ssize_t n) noexcept:
    """Store n checked bytes (n <= size) and pad with NUL."""
    memcpy(p, s, <size_t>n)
    memset(p + n, 0, <size_t>(size - n))
    return 0


cdef inline int store_str(char *p, Py_ssize_t size, object value, object where) except -1:
    """Store a str (its UTF-8) in the size bytes at p; p is unchanged if value is refused."""
    cdef Py_ssize_t n = 0
    cdef const char *s = NULL
    if PyUnicode_Check(value):
        s = PyUnicode_AsUTF8AndSize(value, &n)
        if s == NULL:
            PyErr_Clear()           # refuse_str says why
    if s == NULL or n > size or (n > 0 and s[n - 1] == 0):
        return refuse_str(size, value, where)
    return put_chars(p, size, s, n)


cdef inline int store_bytes(char *p, Py_ssize_t size, object value, object where) except -1:
    """Store a bytes in the size bytes at p; p is unchanged if value is refused."""
    cdef Py_ssize_t n
    cdef const char *s
    if not PyBytes_Check(value):
        return refuse_bytes(size, value, where)
    s = PyBytes_AS_STRING(value)
    n = PyBytes_GET_SIZE(value)
    if n > size or (n > 0 and s[n - 1] == 0):
        return refuse_bytes(size, value, where)
    return put_chars(p, size, s, n)


cdef inline object load_str(const char *p, Py_ssize_t size):
    """A new str of the value stored at p. Bytes that are no part of a UTF-8 character (only a
    buffer writes them) are dropped, and then NULs left at the end, as the Python kind does."""
    cdef Py_ssize_t k, length = stripped_len(p, size)
    cdef unsigned char high = 0
    cdef object s
    for k in range(length):
        high |= <unsigned char>p[k]
    if high < 0x80:             # ASCII (symbols, codes): the str's bytes are the field's
        s = PyUnicode_New(length, 127)
        memcpy(PyUnicode_DATA(s), p, <size_t>length)
        return s
    s = PyUnicode_DecodeUTF8(p, length, "ignore")
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(s)
    if n > 0 and PyUnicode_READ_CHAR(s, n - 1) == 0:
        return (<str>s).rstrip("\0")
    return s


cdef inline object load_bytes(const char *p, Py_ssize_t size):
    """A new bytes of the value stored at p."""
    return PyBytes_FromStringAndSize(p, stripped_len(p, size))


cdef inline int compare_chars(const char *a, const char *b, Py_ssize_t size) noexcept:
    """Two stored values compared as their str/bytes compare (see compactclass.kinds.strings
    for why memcmp of the padded fields gives that order)."""
    cdef int c = memcmp(a, b, <size_t>size)
    return CC_LT if c < 0 else (CC_GT if c > 0 else CC_EQ)


cdef inline Py_ssize_t utf8_char_len(const unsigned char *s, Py_ssize_t n) noexcept:
    """The length of the UTF-8 character that starts s (n bytes available), or 0 when none
    does: the rules of CPython's strict decoder (no overlong forms, no surrogates, nothing
    beyond U+10FFFF)."""
    cdef unsigned char c = s[0]
    if c < 0x80:
        return 1
    if c < 0xC2 or c > 0xF4:
        return 0
    if c < 0xE0:
        return 2 if n >= 2 and (s[1] & 0xC0) == 0x80 else 0
    if n < 2 or (s[1] & 0xC0) != 0x80:
        return 0
    if c < 0xF0:
        if (c == 0xE0 and s[1] < 0xA0) or (c == 0xED and s[1] >= 0xA0):
            return 0
        return 3 if n >= 3 and (s[2] & 0xC0) == 0x80 else 0
    if (c == 0xF0 and s[1] < 0x90) or (c == 0xF4 and s[1] >= 0x90):
        return 0
    return 4 if n >= 4 and (s[2] & 0xC0) == 0x80 and (s[3] & 0xC0) == 0x80 else 0


cdef inline bint str_valid(const char *p, Py_ssize_t size) noexcept:
    """True when the bytes at p (without the padding) are UTF-8: a value a store writes."""
    cdef const unsigned char *s = <const unsigned char *>p
    cdef Py_ssize_t i = 0, n = stripped_len(p, size), k
    while i < n:
        if s[i] < 0x80:
            i += 1
            continue
        k = utf8_char_len(s + i, n - i)
        if k == 0:
            return False
        i += k
    return True


cdef inline void str_canonical(char *p, Py_ssize_t size) noexcept:
    """Rewrite the field at p as a store writes the value a read gives."""
    if not str_valid(p, size):
        drop_non_utf8(p, size)
