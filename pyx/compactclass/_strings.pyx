# cython: language_level=3, boundscheck=False, wraparound=False, binding=False
"""The slow paths of the Str[N]/Bytes[N] kinds' inline code (_strings.pxd). Errors come from
compactclass.kinds.strings, as in the pure runtime."""
from libc.string cimport memmove

from compactclass.kinds import strings as _strings_py


cdef int refuse_str(Py_ssize_t size, object value, object where) except -1:
    _strings_py.str_kind(size).convert(where, value)
    raise SystemError(f"{where}: Str[{size}] refused {type(value).__name__} value that its "
                      f"Python kind accepts")


cdef int refuse_bytes(Py_ssize_t size, object value, object where) except -1:
    _strings_py.bytes_kind(size).convert(where, value)
    raise SystemError(f"{where}: Bytes[{size}] refused {type(value).__name__} value that its "
                      f"Python kind accepts")


cdef void drop_non_utf8(char *p, Py_ssize_t size) noexcept:
    # Keeps every complete UTF-8 character in order and drops each byte that starts none: what
    # CPython's decoder with errors="ignore" keeps. Writes never pass reads, so in place is safe.
    cdef const unsigned char *s = <const unsigned char *>p
    cdef Py_ssize_t i = 0, out = 0, n = stripped_len(p, size), k
    while i < n:
        k = utf8_char_len(s + i, n - i)
        if k == 0:
            i += 1
            continue
        if out != i:
            memmove(p + out, p + i, <size_t>k)
        out += k
        i += k
    memset(p + out, 0, <size_t>(size - out))
