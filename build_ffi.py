"""Generate ``src/ole32_bindings/_ffi.py``: cffi's out-of-line ABI-mode module (no compiler, fast import).

Run by provisioning (``make generated``) and by the package build (``cffi_modules`` in pyproject.toml). The
declarations live in ``src/ole32_bindings/_declarations``; this file only assembles them.
"""

from __future__ import annotations

import importlib.util
import os
import sys

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
DECL_DIR = os.path.join(HERE, "src", "ole32_bindings", "_declarations")


def _load_declarations():
    # Load the declarations package by path: importing ole32_bindings itself is not needed to build it.
    spec = importlib.util.spec_from_file_location(
        "_ole32_declarations", os.path.join(DECL_DIR, "__init__.py"), submodule_search_locations=[DECL_DIR]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


ffibuilder = FFI()
ffibuilder.cdef(_load_declarations().full_cdef())
ffibuilder.set_source("ole32_bindings._ffi", None)

if __name__ == "__main__":
    out_dir = os.path.join(HERE, "src")
    ffibuilder.compile(tmpdir=out_dir, verbose=False)
    print("wrote", os.path.join(out_dir, "ole32_bindings", "_ffi.py"))
