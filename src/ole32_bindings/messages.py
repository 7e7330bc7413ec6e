"""FormatMessageW: the system's text for an HRESULT or a Win32 code (loads the runtime when imported).

Below ``hresult`` and ``win32`` both: ``hresult.message_of`` imports it on first use, ``win32`` re-exports it.
"""

from __future__ import annotations

from .dlls import ffi, function

__all__ = ["format_message"]

_FormatMessageW = function("FormatMessageW")
_LocalFree = function("LocalFree")

_FORMAT_MESSAGE_ALLOCATE_BUFFER = 0x100
_FORMAT_MESSAGE_IGNORE_INSERTS = 0x200
_FORMAT_MESSAGE_FROM_SYSTEM = 0x1000


def format_message(code: int) -> str | None:
    """FormatMessageW(FROM_SYSTEM) for an HRESULT or Win32 code; None when the system has no text."""
    buf = ffi.new("LPWSTR *")
    n = _FormatMessageW(
        _FORMAT_MESSAGE_ALLOCATE_BUFFER | _FORMAT_MESSAGE_FROM_SYSTEM | _FORMAT_MESSAGE_IGNORE_INSERTS,
        ffi.NULL,
        code & 0xFFFFFFFF,
        0,
        ffi.cast("LPWSTR", buf),
        0,
        ffi.NULL,
    )
    if n == 0 or buf[0] == ffi.NULL:
        return None
    try:
        return ffi.string(buf[0], n).strip() or None
    finally:
        _LocalFree(buf[0])
