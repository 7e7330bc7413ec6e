"""Memory streams (CreateStreamOnHGlobal) and reading what was written into them."""

from __future__ import annotations

from typing import Any

from ._util import require
from .dlls import ffi, function
from .hresult import check

__all__ = ["create_stream_on_hglobal", "get_hglobal_from_stream", "hglobal_bytes", "stream_bytes", "seek", "write"]

_CreateStreamOnHGlobal = function("CreateStreamOnHGlobal")
_GetHGlobalFromStream = function("GetHGlobalFromStream")
_GlobalLock = function("GlobalLock")
_GlobalUnlock = function("GlobalUnlock")
_GlobalSize = function("GlobalSize")


def create_stream_on_hglobal(hglobal: Any = ffi.NULL, delete_on_release: bool = True) -> Any:
    """A new IStream (new reference, caller releases) over ``hglobal`` (NULL: a fresh growable block)."""
    out = ffi.new("void **")
    check(_CreateStreamOnHGlobal(hglobal, 1 if delete_on_release else 0, out))
    return out[0]


def get_hglobal_from_stream(stream: Any) -> Any:
    """The HGLOBAL under a stream made by CreateStreamOnHGlobal (borrowed: owned by the stream)."""
    out = ffi.new("HGLOBAL *")
    check(_GetHGlobalFromStream(require(stream, "pstm", "GetHGlobalFromStream"), out))
    return out[0]


def hglobal_bytes(hglobal: Any, size: int | None = None) -> bytes:
    """A copy of the first ``size`` bytes (default: all) of a global memory block."""
    total = _GlobalSize(hglobal)
    n = total if size is None else min(size, total)
    p = _GlobalLock(hglobal)
    if p == ffi.NULL:
        raise OSError("GlobalLock failed")
    try:
        return bytes(ffi.buffer(p, n))
    finally:
        _GlobalUnlock(hglobal)


def stream_bytes(stream: Any, size: int | None = None) -> bytes:
    """A copy of what a CreateStreamOnHGlobal stream holds (``size``: how much was written; the block may be
    larger, since HGLOBAL streams grow in steps)."""
    return hglobal_bytes(get_hglobal_from_stream(stream), size)


_SEEK_T = ffi.typeof("HRESULT(*)(void *, LARGE_INTEGER, DWORD, ULARGE_INTEGER *)")


def seek(stream: Any, offset: int = 0, origin: int = 0) -> int:
    """IStream::Seek on a raw stream pointer (origin: 0 SET, 1 CUR, 2 END); returns the new position. The
    bindings' own use (marshal data in memory streams) needs no typed wrapper for it."""
    require(stream, "pStm", "IStream::Seek")
    fn = ffi.cast(_SEEK_T, ffi.cast("void ***", stream)[0][5])  # ISequentialStream's 2 + IUnknown's 3 slots
    move = ffi.new("LARGE_INTEGER *")
    move.QuadPart = offset
    pos = ffi.new("ULARGE_INTEGER *")
    check(fn(stream, move[0], origin, pos))
    return int(pos.QuadPart)


_WRITE_T = ffi.typeof("HRESULT(*)(void *, const void *, ULONG, ULONG *)")


def write(stream: Any, data: bytes) -> int:
    """ISequentialStream::Write of ``data`` at the stream's position on a raw stream pointer; returns the bytes
    written (the position moves past them)."""
    require(stream, "pStm", "ISequentialStream::Write")
    fn = ffi.cast(_WRITE_T, ffi.cast("void ***", stream)[0][4])  # IUnknown's 3 slots, then Read, Write
    done = ffi.new("ULONG *")
    check(fn(stream, data, len(data), done))
    return int(done[0])
