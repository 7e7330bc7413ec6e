"""The GIT and contexts: IGlobalInterfaceTable, IContextCallback, IComThreadingInfo."""

from ole32_bindings.guid import Guid

from ..declare import method
from .unknown import IUnknown

__all__ = ["IGlobalInterfaceTable", "IContextCallback", "IComThreadingInfo"]


class IGlobalInterfaceTable(IUnknown):
    """The process's Global Interface Table: a cookie for a pointer, valid in every apartment."""

    iid = Guid("{00000146-0000-0000-C000-000000000046}")
    RegisterInterfaceInGlobal = method(
        "HRESULT RegisterInterfaceInGlobal([in] IUnknown *pUnk, [in] REFIID riid, [out] DWORD *pdwCookie)"
    )
    RevokeInterfaceFromGlobal = method("HRESULT RevokeInterfaceFromGlobal([in] DWORD dwCookie)")
    GetInterfaceFromGlobal = method(
        "HRESULT GetInterfaceFromGlobal([in] DWORD dwCookie, [in] REFIID riid, [out, iid_is(riid)] void **ppv)"
    )


class IContextCallback(IUnknown):
    """Of a context object: ContextCallback runs a callback in that context."""

    iid = Guid("{000001DA-0000-0000-C000-000000000046}")
    ContextCallback = method(
        "HRESULT ContextCallback([in] PFNCONTEXTCALL pfnCallback, [in] ComCallData *pParam, "
        "[in] REFIID riid, [in] int iMethod, [in] IUnknown *pUnk)"
    )


class IComThreadingInfo(IUnknown):
    """Of a context object: the apartment type, thread type and logical thread id."""

    iid = Guid("{000001CE-0000-0000-C000-000000000046}")
    GetCurrentApartmentType = method("HRESULT GetCurrentApartmentType([out] APTTYPE *pAptType)")
    GetCurrentThreadType = method("HRESULT GetCurrentThreadType([out] THDTYPE *pThreadType)")
    GetCurrentLogicalThreadId = method("HRESULT GetCurrentLogicalThreadId([out] GUID *pguidLogicalThreadId)")
    SetCurrentLogicalThreadId = method("HRESULT SetCurrentLogicalThreadId([in] REFGUID rguid)")
