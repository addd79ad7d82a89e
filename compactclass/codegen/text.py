"""Source-text helpers of the generated Cython."""
from __future__ import annotations

__all__ = ["c_bytes"]


def c_bytes(text: str) -> str:
    """A Cython bytes literal holding text in UTF-8 (escaped: Cython takes ASCII only)."""
    data = text.encode("utf-8")
    return 'b"' + "".join(chr(b) if 32 <= b < 127 and chr(b) not in '"\\' else f"\\x{b:02x}"
                          for b in data) + '"'

