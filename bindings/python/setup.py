"""Builds a platform wheel (py3-none-linux_x86_64): the package has no Python extension, but it
bundles libphicrypto.so and libsodium.so, so the wheel must not claim to be pure Python."""
import platform

from setuptools import setup
from setuptools.dist import Distribution
from wheel.bdist_wheel import bdist_wheel


class BinaryDistribution(Distribution):
    def has_ext_modules(self):
        return True


class PlatformWheel(bdist_wheel):
    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):
        return "py3", "none", f"linux_{platform.machine()}"


setup(distclass=BinaryDistribution, cmdclass={"bdist_wheel": PlatformWheel})
