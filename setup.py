"""Builds pixnorm's Python extension with the project's CMake (see pyproject.toml)."""
import os
import re
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))


def version():
    text = open(os.path.join(ROOT, "runtime", "include", "pixnorm", "pixnorm.h")).read()
    return re.search(r'#define PIXNORM_VERSION_STRING "([0-9.]+)"', text).group(1)


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    """Configures the project with PIXNORM_BUILD_PYTHON for this interpreter and builds only the module."""

    def build_extension(self, ext):
        out = os.path.dirname(os.path.abspath(self.get_ext_fullpath(ext.name)))
        build = os.path.abspath(os.path.join(self.build_temp, "cmake"))
        os.makedirs(build, exist_ok=True)
        import pybind11
        config = [
            "cmake", "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
            "-DPIXNORM_BUILD_PYTHON=ON", "-DPIXNORM_BUILD_TOOLS=ON", "-DPIXNORM_BUILD_TESTS=OFF",
            "-DPIXNORM_BUILD_BENCH=OFF", "-DPIXNORM_BUILD_EXAMPLES=OFF", "-DPIXNORM_INSTALL=OFF",
            "-DPython3_EXECUTABLE=" + sys.executable, "-Dpybind11_DIR=" + pybind11.get_cmake_dir(),
        ]
        config += os.environ.get("PIXNORM_CMAKE_ARGS", "").split()
        subprocess.check_call(config)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1))
        subprocess.check_call(["cmake", "--build", build, "--target", "pixnorm_python", "-j", jobs])
        built = os.path.join(build, "python", "pixnorm")
        for name in os.listdir(built):
            if name.startswith("_pixnorm") and name.endswith((".so", ".pyd")):
                self.copy_file(os.path.join(built, name), os.path.join(out, os.path.basename(self.get_ext_fullpath(ext.name))))


setup(version=version(), ext_modules=[CMakeExtension("pixnorm._pixnorm")], cmdclass={"build_ext": CMakeBuild})
