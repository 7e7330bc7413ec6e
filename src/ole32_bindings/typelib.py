"""Type libraries: loading, registering and creating them (the typelib marshaler proxies what they describe)."""

from __future__ import annotations

from typing import Any

from ._util import guid_ptr, require
from .constants import REGKIND, SYSKIND
from .dlls import ffi, function
from .guid import Guid
from .hresult import check
from .memory import bstr_to_str_and_free

__all__ = [
    "load_type_lib_ex",
    "load_reg_type_lib",
    "register_type_lib",
    "unregister_type_lib",
    "query_path_of_reg_type_lib",
    "create_type_lib2",
]

_LoadTypeLibEx = function("LoadTypeLibEx")
_LoadRegTypeLib = function("LoadRegTypeLib")
_RegisterTypeLib = function("RegisterTypeLib")
_UnRegisterTypeLib = function("UnRegisterTypeLib")
_QueryPathOfRegTypeLib = function("QueryPathOfRegTypeLib")
_CreateTypeLib2 = function("CreateTypeLib2")


def load_type_lib_ex(path: str, regkind: int = REGKIND.NONE) -> Any:
    """LoadTypeLibEx: a new ITypeLib reference (caller releases); REGKIND.REGISTER also registers it."""
    out = ffi.new("void **")
    check(_LoadTypeLibEx(path, regkind, out))
    return out[0]


def load_reg_type_lib(libid: Guid, major: int, minor: int, lcid: int = 0) -> Any:
    """LoadRegTypeLib: a new ITypeLib reference (caller releases) to the library registered as ``libid``
    version ``major.minor`` for ``lcid``."""
    out = ffi.new("void **")
    check(_LoadRegTypeLib(guid_ptr(libid), major, minor, lcid, out))
    return out[0]


def register_type_lib(typelib: Any, path: str, helpdir: str | None = None) -> None:
    """RegisterTypeLib: register ``typelib`` (an ITypeLib pointer, borrowed) as the file ``path``: the library,
    and its oleautomation interfaces with the typelib marshaler as their proxy/stub."""
    require(typelib, "ptlib", "RegisterTypeLib")
    check(_RegisterTypeLib(typelib, path, helpdir if helpdir is not None else ffi.NULL))


def unregister_type_lib(libid: Guid, major: int, minor: int, lcid: int = 0, syskind: int = SYSKIND.WIN64) -> None:
    """UnRegisterTypeLib: remove the registration of ``libid`` version ``major.minor`` for ``lcid`` and
    ``syskind``."""
    check(_UnRegisterTypeLib(guid_ptr(libid), major, minor, lcid, syskind))


def query_path_of_reg_type_lib(libid: Guid, major: int, minor: int, lcid: int = 0) -> str:
    """QueryPathOfRegTypeLib: the file registered for ``libid`` version ``major.minor`` and ``lcid`` (the
    runtime's BSTR is freed here)."""
    out = ffi.new("BSTR *")
    check(_QueryPathOfRegTypeLib(guid_ptr(libid), major, minor, lcid, out))
    return bstr_to_str_and_free(out[0])


def create_type_lib2(path: str, syskind: int = SYSKIND.WIN64) -> Any:
    """CreateTypeLib2: a new ICreateTypeLib2 (caller releases) that SaveAllChanges writes to ``path``."""
    out = ffi.new("void **")
    check(_CreateTypeLib2(syskind, path, out))
    return out[0]
