"""What pyproject.toml (PEP 621) cannot say: cffi's ``cffi_modules``, and the two native DLLs in the wheel.

* ``cffi_modules`` writes ``ole32_bindings/_ffi.py`` (cffi's out-of-line ABI module) into the build.
* ``vtables/vtables_core.dll`` (the object model's native IUnknown) and ``ole32_servers/python_inproc.dll`` (the
  InprocServer32 host) are C with no Python headers, built with mingw-w64. A checkout has them from ``make native``;
  an sdist carries their C sources and this step builds them with ``$OLE32B_MINGW_GCC`` (default
  ``x86_64-w64-mingw32-gcc``) when they are missing, so a wheel built from the sdist holds them too.
* The wheel is ``py3-none-win_amd64``: pure Python (any CPython 3.11+, no Python ABI), but only for 64-bit Windows,
  because of the DLLs.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))

# (package, DLL, C source, libraries): the same commands as the Makefile's.
NATIVE_DLLS = [
    ("vtables", "vtables_core.dll", "native/core/vtables_core.c", ["-lole32", "-loleaut32", "-luuid"]),
    ("ole32_servers", "python_inproc.dll", "native/inproc/python_inproc.c", ["-lole32", "-ladvapi32"]),
]


class BuildPyWithDlls(build_py):
    """build_py, then each native DLL copied from src/ or, when src/ has none (an sdist), compiled with mingw."""

    def run(self) -> None:
        super().run()
        for package, dll, source, libs in NATIVE_DLLS:
            target = os.path.join(self.build_lib, package, dll)
            built = os.path.join(HERE, "src", package, dll)
            if os.path.exists(built):
                shutil.copyfile(built, target)
                continue
            gcc = os.environ.get("OLE32B_MINGW_GCC", "x86_64-w64-mingw32-gcc")
            if shutil.which(gcc) is None:
                raise SystemExit(
                    f"{dll} is not built and {gcc} is not on PATH: install mingw-w64 "
                    f"(or set OLE32B_MINGW_GCC) to build it from {source}"
                )
            cmd = [gcc, "-O2", "-Wall", "-shared", "-static-libgcc", "-o", target, os.path.join(HERE, source), *libs]
            print(" ".join(cmd))
            subprocess.run(cmd, check=True)


setup(
    cffi_modules=["build_ffi.py:ffibuilder"],
    cmdclass={"build_py": BuildPyWithDlls},
    options={"bdist_wheel": {"plat_name": "win_amd64"}},
)
