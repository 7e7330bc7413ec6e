"""Custom marshaling: IMarshal, IExternalConnection."""

from ole32_bindings.guid import Guid

from ..declare import method
from .unknown import IUnknown

__all__ = ["IMarshal", "IExternalConnection"]


class IMarshal(IUnknown):
    """Custom marshaling: the object writes its own marshal data and names the class that reads it."""

    iid = Guid("{00000003-0000-0000-C000-000000000046}")
    GetUnmarshalClass = method(
        "HRESULT GetUnmarshalClass([in] REFIID riid, [in, unique] void *pv, "
        "[in] DWORD dwDestContext, [in, unique] void *pvDestContext, [in] DWORD mshlflags, "
        "[out] CLSID *pCid)"
    )
    GetMarshalSizeMax = method(
        "HRESULT GetMarshalSizeMax([in] REFIID riid, [in, unique] void *pv, "
        "[in] DWORD dwDestContext, [in, unique] void *pvDestContext, [in] DWORD mshlflags, "
        "[out] DWORD *pSize)"
    )
    MarshalInterface = method(
        "HRESULT MarshalInterface([in, unique] IStream *pStm, [in] REFIID riid, "
        "[in, unique] void *pv, [in] DWORD dwDestContext, [in, unique] void *pvDestContext, "
        "[in] DWORD mshlflags)"
    )
    UnmarshalInterface = method(
        "HRESULT UnmarshalInterface([in, unique] IStream *pStm, [in] REFIID riid, [out, iid_is(riid)] void **ppv)"
    )
    ReleaseMarshalData = method("HRESULT ReleaseMarshalData([in, unique] IStream *pStm)")
    DisconnectObject = method("HRESULT DisconnectObject([in] DWORD dwReserved)")


class IExternalConnection(IUnknown):
    """Told by the stub manager when strong external connections are added and released."""

    iid = Guid("{00000019-0000-0000-C000-000000000046}")
    AddConnection = method("DWORD AddConnection([in] DWORD extconn, [in] DWORD reserved)")
    ReleaseConnection = method(
        "DWORD ReleaseConnection([in] DWORD extconn, [in] DWORD reserved, [in] BOOL fLastReleaseCloses)"
    )
