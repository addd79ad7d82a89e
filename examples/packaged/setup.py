"""Build the records of shapes/geometry.py with compactclass, plus a Cython module using them."""
from Cython.Build import cythonize
from setuptools import Extension, setup

from compactclass.build import extensions

# First generate and cythonize the records: fast.pyx cimports their generated .pxd (and, through
# it, compactclass's .pxd files, found with their C headers in the installed compactclass).
records = extensions(["shapes/geometry.py"])
fast = cythonize([Extension("shapes.fast", ["shapes/fast.pyx"])], language_level=3)

setup(
    name="compactclass-example-shapes",  # (not "shapes": PyPI has a project of that name)
    version="0.1.0",
    packages=["shapes"],
    # (extensions() makes geometry_compact.pxd/.pyi package data: others may cimport them)
    ext_modules=records + fast,
    install_requires=["compactclass"],
    zip_safe=False,
)
