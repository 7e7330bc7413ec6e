"""Only for cffi: setuptools takes ``cffi_modules`` from setup(), not from pyproject.toml. Everything else about
the package is in pyproject.toml (PEP 621)."""

from setuptools import setup

setup(cffi_modules=["build_ffi.py:ffibuilder"])
