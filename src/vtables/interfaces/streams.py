"""Streams: ISequentialStream, IStream."""

from ole32_bindings.guid import Guid

from ..declare import method
from .unknown import IUnknown

__all__ = ["ISequentialStream", "IStream"]


class ISequentialStream(IUnknown):
    """Read and Write; Read is ``preserve_sig``, so its S_FALSE (fewer bytes than asked) stays visible."""

    iid = Guid("{0C733A30-2A1C-11CE-ADE5-00AA0044773D}")
    # S_FALSE from Read means "fewer bytes than asked": keep the HRESULT visible.
    Read = method("HRESULT Read([out, size_is(cb)] void *pv, [in] ULONG cb, [out] ULONG *pcbRead)", preserve_sig=True)
    Write = method("HRESULT Write([in, size_is(cb)] const void *pv, [in] ULONG cb, [out] ULONG *pcbWritten)")


class IStream(ISequentialStream):
    """A seekable byte stream (what marshal data is written to and read from)."""

    iid = Guid("{0000000C-0000-0000-C000-000000000046}")
    Seek = method(
        "HRESULT Seek([in] LARGE_INTEGER dlibMove, [in] DWORD dwOrigin, [out] ULARGE_INTEGER *plibNewPosition)"
    )
    SetSize = method("HRESULT SetSize([in] ULARGE_INTEGER libNewSize)")
    CopyTo = method(
        "HRESULT CopyTo([in] IStream *pstm, [in] ULARGE_INTEGER cb, [out] ULARGE_INTEGER *pcbRead, "
        "[out] ULARGE_INTEGER *pcbWritten)"
    )
    Commit = method("HRESULT Commit([in] DWORD grfCommitFlags)")
    Revert = method("HRESULT Revert()")
    LockRegion = method(
        "HRESULT LockRegion([in] ULARGE_INTEGER libOffset, [in] ULARGE_INTEGER cb, [in] DWORD dwLockType)"
    )
    UnlockRegion = method(
        "HRESULT UnlockRegion([in] ULARGE_INTEGER libOffset, [in] ULARGE_INTEGER cb, [in] DWORD dwLockType)"
    )
    Stat = method("HRESULT Stat([in] STATSTG *pstatstg, [in] DWORD grfStatFlag)")
    Clone = method("HRESULT Clone([out] IStream **ppstm)")
