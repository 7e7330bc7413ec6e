"""Small helpers shared by the thin wrappers (not public)."""

from __future__ import annotations

from typing import Any

from .dlls import ffi
from .guid import Guid
from .hresult import PointerError

NULL = ffi.NULL


def guid_ptr(g: Guid) -> Any:
    """The cached ``GUID *`` of a Guid (made once per value)."""
    return g.cdata(ffi)


def require(ptr: Any, param: str, func: str) -> Any:
    """Refuse a NULL (or None) pointer before the call: E_POINTER naming the parameter."""
    if ptr is None or ptr == NULL:
        raise PointerError(description=f"{func}: {param} must not be NULL", source=func)
    return ptr


def guid_from_cdata(c: Any) -> Guid:
    return Guid.from_bytes_le(bytes(ffi.buffer(c, 16)))
