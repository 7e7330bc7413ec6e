"""C declarations for cffi, one module per area (types, then one per DLL).

Read at build time by ``build_ffi.py`` (which turns them into the out-of-line ABI module ``_ffi.py``) and at run
time by ``dlls.py`` only for the list of function names each DLL provides. Plain C that cffi's ``cdef`` parses:
fixed-width typedefs, so the same declarations describe the Windows x64 ABI whichever platform generates them.
"""

from __future__ import annotations

import re

from . import advapi32, kernel32, ntdll, ole32, oleaut32, rpcrt4, types, user32

#: (DLL file name, fallback DLL names, C declarations), in the order given to ``ffi.cdef``.
DLL_MODULES = (ole32, oleaut32, kernel32, user32, advapi32, ntdll, rpcrt4)

_FUNC_RE = re.compile(r"^\s*[A-Za-z_][\w\s\*]*?\b([A-Za-z_]\w*)\s*\(", re.MULTILINE)


def function_names(cdef: str) -> list[str]:
    """The names of the functions declared (one declaration per line start) in ``cdef``."""
    return [m.group(1) for m in _FUNC_RE.finditer(cdef) if not m.group(0).lstrip().startswith("typedef")]


def full_cdef() -> str:
    return "\n".join([types.CDEF] + [m.CDEF for m in DLL_MODULES])
