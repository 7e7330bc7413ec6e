"""COM memory: the task allocator, BSTRs, VARIANTs. Names say who frees: ``bstr_to_str_and_free`` takes
ownership of the BSTR; ``bstr_from_str`` returns one the caller (or the callee it is given to) frees."""

from __future__ import annotations

from typing import Any

from .dlls import ffi, function
from .hresult import check

__all__ = [
    "task_mem_alloc",
    "task_mem_free",
    "bstr_from_str",
    "bstr_free",
    "bstr_len",
    "bstr_to_str",
    "bstr_to_str_and_free",
    "variant_init",
    "variant_clear",
]

_CoTaskMemAlloc = function("CoTaskMemAlloc")
_CoTaskMemFree = function("CoTaskMemFree")
_SysAllocStringLen = function("SysAllocStringLen")
_SysFreeString = function("SysFreeString")
_SysStringLen = function("SysStringLen")
_VariantInit = function("VariantInit")
_VariantClear = function("VariantClear")


def task_mem_alloc(size: int) -> Any:
    """CoTaskMemAlloc: ``size`` bytes owned by the caller, who frees them with ``task_mem_free`` (or hands them
    to a callee that frees them). MemoryError when the allocator fails."""
    p = _CoTaskMemAlloc(size)
    if p == ffi.NULL:
        raise MemoryError(f"CoTaskMemAlloc({size}) failed")
    return p


def task_mem_free(p: Any) -> None:
    """CoTaskMemFree: free a block of the task allocator (NULL is allowed)."""
    _CoTaskMemFree(p)


def bstr_from_str(text: str) -> Any:
    """A new BSTR holding ``text`` (length-prefixed, may contain NULs and lone surrogates, read back as
    ``bstr_to_str`` reads them); free it with ``bstr_free``."""
    units = text.encode("utf-16-le", "surrogatepass")
    b = _SysAllocStringLen(ffi.NULL, len(units) // 2)
    if b == ffi.NULL:
        raise MemoryError("SysAllocStringLen failed")
    ffi.memmove(b, units, len(units))
    return b


def bstr_free(b: Any) -> None:
    """SysFreeString: free a BSTR the caller owns (NULL is allowed)."""
    _SysFreeString(b)


def bstr_len(b: Any) -> int:
    """SysStringLen: the length of a BSTR in UTF-16 code units, from its prefix (0 for NULL)."""
    return _SysStringLen(b)


def bstr_to_str(b: Any) -> str:
    """The text of a BSTR (borrowed: not freed). NULL is the empty string, as COM defines it."""
    if b == ffi.NULL:
        return ""
    n = _SysStringLen(b)
    return bytes(ffi.buffer(b, 2 * n)).decode("utf-16-le", "surrogatepass")


def bstr_to_str_and_free(b: Any) -> str:
    """The text of a BSTR the caller owns, which is freed."""
    try:
        return bstr_to_str(b)
    finally:
        if b != ffi.NULL:
            _SysFreeString(b)


def variant_init(v: Any) -> None:
    """VariantInit: make ``v`` (a ``VARIANT *``) VT_EMPTY without freeing anything it held."""
    _VariantInit(v)


def variant_clear(v: Any) -> None:
    """VariantClear: free what ``v`` owns (its BSTR, its interface reference, ...) and make it VT_EMPTY."""
    check(_VariantClear(v))
