"""Builds a platform wheel (py3-none-linux_x86_64): the package has no Python extension, but it
bundles libphicrypto.so and libsodium.so, so the wheel must not claim to be pure Python.

It also writes phicrypto/_native.py: the cffi declarations pre-parsed (cffi's out-of-line ABI mode,
pure Python output: no C compiler involved), so importing the package does not run the C parser."""
import os
import platform

from cffi import FFI
from setuptools import setup
from setuptools.dist import Distribution
from wheel.bdist_wheel import bdist_wheel

HERE = os.path.dirname(os.path.abspath(__file__))


def write_preparsed_ffi() -> None:
    namespace: dict = {}
    with open(os.path.join(HERE, "phicrypto", "_cdef.py")) as f:
        exec(f.read(), namespace)
    builder = FFI()
    builder.cdef(namespace["CDEF"])
    builder.set_source("phicrypto._native", None)
    builder.emit_python_code(os.path.join(HERE, "phicrypto", "_native.py"))


class BinaryDistribution(Distribution):
    def has_ext_modules(self):
        return True


class PlatformWheel(bdist_wheel):
    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):
        return "py3", "none", f"linux_{platform.machine()}"

    def run(self):
        write_preparsed_ffi()
        super().run()


setup(distclass=BinaryDistribution, cmdclass={"bdist_wheel": PlatformWheel})
