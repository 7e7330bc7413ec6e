"""The GIT, contexts and apartments: IGlobalInterfaceTable, IContextCallback, IComThreadingInfo, IMessageFilter."""

from ole32_bindings.guid import Guid

from ..declare import method
from .unknown import IUnknown

__all__ = ["IGlobalInterfaceTable", "IContextCallback", "IComThreadingInfo", "IMessageFilter"]


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


class IMessageFilter(IUnknown):
    """An STA's say in COM's calls (CoRegisterMessageFilter): HandleInComingCall accepts, rejects or postpones
    a call arriving (SERVERCALL_*), RetryRejectedCall decides what a caller does about a rejected call (a delay
    in ms to retry, or -1 to give up), MessagePending what a caller waiting for a reply does with a window
    message (PENDINGMSG_*). The methods return DWORD values, not HRESULTs; ``lpInterfaceInfo`` is an
    INTERFACEINFO * (the object, its IID and the method's slot)."""

    iid = Guid("{00000016-0000-0000-C000-000000000046}")
    HandleInComingCall = method(
        "DWORD HandleInComingCall([in] DWORD dwCallType, [in] void *htaskCaller, [in] DWORD dwTickCount, "
        "[in] void *lpInterfaceInfo)"
    )
    RetryRejectedCall = method(
        "DWORD RetryRejectedCall([in] void *htaskCallee, [in] DWORD dwTickCount, [in] DWORD dwRejectType)"
    )
    MessagePending = method(
        "DWORD MessagePending([in] void *htaskCallee, [in] DWORD dwTickCount, [in] DWORD dwPendingType)"
    )
