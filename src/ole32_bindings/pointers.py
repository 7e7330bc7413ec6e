"""IUnknown at the bindings level: raw AddRef/Release/QueryInterface on a ``void *`` interface pointer.

The typed client layer lives in ``vtables``; the bindings use these for the few pointers they handle themselves
(streams, error objects). Ownership: ``query_interface`` returns a new reference the caller releases;
``release`` gives one up and returns the count the object reports (informational, per COM's rules).
"""

from __future__ import annotations

from typing import Any

from ._util import guid_ptr, require
from .dlls import ffi
from .guid import Guid
from .hresult import check

__all__ = ["add_ref", "release", "query_interface", "address"]

_as_unknown = ffi.cast


def add_ref(ptr: Any) -> int:
    """AddRef ``ptr``; returns the new count (as the object reports it)."""
    p = _as_unknown("IUnknown *", require(ptr, "ptr", "IUnknown::AddRef"))
    return p.lpVtbl.AddRef(p)


def release(ptr: Any) -> int:
    """Release one reference on ``ptr``; returns the remaining count (as the object reports it)."""
    p = _as_unknown("IUnknown *", require(ptr, "ptr", "IUnknown::Release"))
    return p.lpVtbl.Release(p)


def query_interface(ptr: Any, iid: Guid) -> Any:
    """QueryInterface: a new reference to ``iid`` on ``ptr`` (the caller releases it), or the typed error."""
    p = _as_unknown("IUnknown *", require(ptr, "ptr", "IUnknown::QueryInterface"))
    out = ffi.new("void **")
    check(p.lpVtbl.QueryInterface(p, guid_ptr(iid), out))
    return out[0]


def address(ptr: Any) -> int:
    """The pointer's address as an int (0 for NULL)."""
    return int(ffi.cast("uintptr_t", ptr))
