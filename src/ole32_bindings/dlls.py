"""The one place that loads the runtime's DLLs (each once) and resolves the declared functions.

``function(name)`` gives the cffi function object for a declared function from the DLL its declaration module
names (falling back to the listed alternatives, e.g. combase.dll when Wine's ole32 lacks an export). The thin
typed wrappers in the other modules capture these at import, so a call costs the C call and nothing more.
A declared function that no DLL exports stays bound: calling it raises :class:`MissingExportError` naming it.
"""

from __future__ import annotations

import sys
from typing import Any

from . import _declarations
from ._ffi import ffi

__all__ = ["ffi", "function", "library", "MissingExportError", "MISSING", "DECLARED"]

if sys.platform != "win32":  # pragma: no cover - the bindings load the Windows runtime only
    raise ImportError("ole32_bindings.dlls loads the Windows COM runtime: run under Windows (or Wine)")


class MissingExportError(OSError):
    """A declared function that the loaded runtime does not export."""


_libraries: dict[str, Any] = {}


def library(name: str) -> Any:
    """The cffi library object for a DLL, loaded once."""
    lib = _libraries.get(name)
    if lib is None:
        lib = _libraries[name] = ffi.dlopen(name)
    return lib


#: function name -> (dll, fallbacks) for every declared function.
DECLARED: dict[str, tuple[str, tuple[str, ...]]] = {
    fn: (module.DLL, tuple(module.FALLBACKS))
    for module in _declarations.DLL_MODULES
    for fn in _declarations.function_names(module.CDEF)
}
#: function name -> the DLLs tried, for declared functions that no DLL exports.
MISSING: dict[str, tuple[str, ...]] = {}


def _missing(name: str, tried: tuple[str, ...]) -> Any:
    MISSING[name] = tried

    def call(*args: Any) -> Any:
        raise MissingExportError(f"{name} is not exported by {', '.join(tried)} in this runtime")

    call.__name__ = name
    return call


def function(name: str) -> Any:
    """The native function ``name`` (a cffi function object, or a stub raising MissingExportError)."""
    dll, fallbacks = DECLARED[name]
    for candidate in (dll, *fallbacks):
        try:
            return getattr(library(candidate), name)
        except (AttributeError, ffi.error):  # not exported by this DLL
            continue
    return _missing(name, (dll, *fallbacks))
