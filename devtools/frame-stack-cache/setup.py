"""The C part is optional: where it cannot be compiled the package installs without it and does nothing.
The .pth file goes to the top of site-packages, where Python reads it at start-up."""

from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithStartupFile(build_py):
    def run(self):
        super().run()
        self.copy_file(str(HERE / "frame_stack_cache.pth"), str(Path(self.build_lib) / "frame_stack_cache.pth"))


setup(
    packages=["frame_stack_cache"],
    ext_modules=[Extension("frame_stack_cache._cache", ["frame_stack_cache/_cache.c"], optional=True)],
    cmdclass={"build_py": BuildWithStartupFile},
)
