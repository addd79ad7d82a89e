"""A consumer of the installed `shapes` package: cimports its generated .pxd."""
from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    name="compactclass-example-consumer",
    version="0.1.0",
    packages=["shapes_consumer"],
    # shapes/geometry_compact.pxd and compactclass's .pxd files are found through sys.path
    ext_modules=cythonize([Extension("shapes_consumer.loops", ["shapes_consumer/loops.pyx"])],
                          language_level=3),
    install_requires=["compactclass-example-shapes"],
)
