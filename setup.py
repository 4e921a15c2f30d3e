"""Build step: pyproject.toml holds all the metadata; this file only adds, on Python 3.13 and
newer, the C shim ``orderdoctor.engine._pyeval_compat`` that lets durable-rules 2.0.28 import
there (see engine/_pyeval_compat.c and engine/_durable.py). On older Pythons nothing is compiled
here, and the package stays pure Python.
"""

import sys

from setuptools import Extension, setup

extensions = []
if sys.version_info >= (3, 13):
    extensions.append(Extension("orderdoctor.engine._pyeval_compat", sources=["engine/_pyeval_compat.c"]))

setup(ext_modules=extensions)
