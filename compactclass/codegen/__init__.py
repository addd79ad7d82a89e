"""Spec + layout -> the generated .pyx/.pxd/.pyi of a declaration file (see module.py)."""
