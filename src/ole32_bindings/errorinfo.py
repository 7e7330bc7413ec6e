"""Rich error information: the thread's IErrorInfo slot (SetErrorInfo/GetErrorInfo) and CreateErrorInfo.

``set_error_info(desc, source, iid)`` is what a server edge calls before returning a failure HRESULT;
``take_error_info()`` is what a client edge calls after one: it empties the slot, as COM defines.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ._util import guid_ptr
from .dlls import ffi, function
from .guid import GUID_NULL, Guid
from .hresult import check
from .memory import bstr_to_str_and_free
from .wellknown import IID_IErrorInfo as _IID_IErrorInfo

__all__ = ["ErrorInfo", "set_error_info", "take_error_info", "clear_error_info", "create_error_info"]

_SetErrorInfo = function("SetErrorInfo")
_GetErrorInfo = function("GetErrorInfo")
_CreateErrorInfo = function("CreateErrorInfo")

# Vtable slots (after IUnknown's 3). ICreateErrorInfo: SetGUID, SetSource, SetDescription, SetHelpFile,
# SetHelpContext. IErrorInfo: GetGUID, GetSource, GetDescription, GetHelpFile, GetHelpContext.


class ErrorInfo(NamedTuple):
    """What ``take_error_info`` read from an error object: its description, its source (usually a ProgID or
    class name) and the IID of the interface that defined the error (GUID_NULL when not set)."""

    description: str
    source: str
    iid: Guid


def _slot(ptr: Any, index: int, sig: str) -> Any:
    vtbl = ffi.cast("void ***", ptr)[0]
    return ffi.cast(sig, vtbl[index])


def create_error_info(description: str, source: str = "", iid: Guid = GUID_NULL) -> Any:
    """CreateErrorInfo, filled: a new reference to its ICreateErrorInfo (caller releases)."""
    out = ffi.new("void **")
    check(_CreateErrorInfo(out))
    cei = out[0]
    check(_slot(cei, 3, "HRESULT(*)(void*, const GUID*)")(cei, guid_ptr(iid)))
    check(_slot(cei, 4, "HRESULT(*)(void*, LPOLESTR)")(cei, ffi.new("wchar_t[]", source)))
    check(_slot(cei, 5, "HRESULT(*)(void*, LPOLESTR)")(cei, ffi.new("wchar_t[]", description)))
    return cei


def set_error_info(description: str, source: str = "", iid: Guid = GUID_NULL) -> None:
    """Put a new error object in this thread's slot (SetErrorInfo AddRefs it; our reference is dropped)."""
    cei = create_error_info(description, source, iid)
    unk = ffi.cast("IUnknown *", cei)
    try:
        ei = ffi.new("void **")
        check(unk.lpVtbl.QueryInterface(cei, guid_ptr(_IID_IErrorInfo), ei))
        try:
            check(_SetErrorInfo(0, ei[0]))
        finally:
            ffi.cast("IUnknown *", ei[0]).lpVtbl.Release(ei[0])
    finally:
        unk.lpVtbl.Release(cei)


def clear_error_info() -> None:
    """SetErrorInfo(NULL): empty this thread's error slot (COM releases the error object that was in it)."""
    check(_SetErrorInfo(0, ffi.NULL))


def take_error_info() -> ErrorInfo | None:
    """GetErrorInfo: take this thread's error object (the slot is emptied) and read it; None when empty."""
    out = ffi.new("void **")
    hr = check(_GetErrorInfo(0, out))
    if hr != 0 or out[0] == ffi.NULL:
        return None
    ei = out[0]
    try:
        g = ffi.new("GUID *")
        check(_slot(ei, 3, "HRESULT(*)(void*, GUID*)")(ei, g))
        b = ffi.new("BSTR *")
        check(_slot(ei, 4, "HRESULT(*)(void*, BSTR*)")(ei, b))
        source = bstr_to_str_and_free(b[0])
        check(_slot(ei, 5, "HRESULT(*)(void*, BSTR*)")(ei, b))
        description = bstr_to_str_and_free(b[0])
        return ErrorInfo(description, source, Guid.from_bytes_le(bytes(ffi.buffer(g, 16))))
    finally:
        ffi.cast("IUnknown *", ei).lpVtbl.Release(ei)
