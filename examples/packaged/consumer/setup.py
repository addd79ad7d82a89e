"""A consumer of the installed `shapes` package: cimports its generated .pxd."""
from Cython.Build import cythonize
from setuptools import Extension, setup

import compactclass

setup(
    name="shapes_consumer",
    version="0.1.0",
    packages=["shapes_consumer"],
    ext_modules=cythonize(
        [Extension("shapes_consumer.loops", ["shapes_consumer/loops.pyx"],
                   include_dirs=compactclass.get_include())],
        include_path=compactclass.get_include(), language_level=3),
)
