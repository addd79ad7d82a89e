"""Build the records of shapes/geometry.py with compactclass, plus a Cython module using them."""
from Cython.Build import cythonize
from setuptools import Extension, setup

import compactclass
from compactclass.build import extensions

# First generate and cythonize the records: fast.pyx cimports their generated .pxd.
records = extensions(["shapes/geometry.py"])
fast = cythonize([Extension("shapes.fast", ["shapes/fast.pyx"],
                            include_dirs=compactclass.get_include())],
                 include_path=compactclass.get_include() + ["."], language_level=3)

setup(
    name="shapes",
    version="0.1.0",
    packages=["shapes"],
    # the .pxd lets other projects `cimport shapes.geometry_compact`
    package_data={"shapes": ["*_compact.pxd", "*_compact.pyi"]},
    ext_modules=records + fast,
    zip_safe=False,
)
