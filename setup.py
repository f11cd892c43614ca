"""Build hook: cffi compiles the C kernel as part of `pip install` (see pyproject.toml)."""

from setuptools import setup

setup(cffi_modules=["c_kernels/build_kernel.py:ffibuilder"])
