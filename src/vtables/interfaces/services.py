"""The COM+ services' interfaces (comsvcs.h): IObjectControl, IObjectConstruct, IObjectConstructString,
IObjectContext, IContextState; and IObjectDispose, ours, which ends a just-in-time activated object's life
(what ``ServicedComponent.Dispose()`` is to a managed client).

mingw-w64's comsvcs.h declares these IIDs ``EXTERN_C const IID`` without values (and its libuuid.a lacks them);
the values are Windows' (COM+ 1.0's comsvcs.dll), as every public binding of comsvcs writes them.
"""

from ole32_bindings.guid import Guid

from ..declare import method
from .automation import IDispatch
from .unknown import IUnknown

__all__ = [
    "IObjectControl",
    "IObjectConstruct",
    "IObjectConstructString",
    "IObjectContext",
    "IContextState",
    "IObjectDispose",
]


class IObjectControl(IUnknown):
    """Of a pooled or just-in-time activated object: Activate before it serves a client, Deactivate after, and
    CanBePooled (TRUE: put it back in the pool; FALSE: destroy it)."""

    iid = Guid("{51372AEC-CAE7-11CF-BE81-00AA00A2FA25}")
    Activate = method("HRESULT Activate()")
    Deactivate = method("void Deactivate()")
    CanBePooled = method("BOOL CanBePooled()")


class IObjectConstructString(IDispatch):
    """What IObjectConstruct::Construct receives: the construction string configured for the class."""

    iid = Guid("{41C4F8B2-7439-11D2-98CB-00C04F8EE1C4}")
    get_ConstructString = method("[id(1), propget] HRESULT ConstructString([out, retval] BSTR *pVal)")


class IObjectConstruct(IUnknown):
    """Of a class with construction enabled: Construct is called once, before the object's first use, with an
    IObjectConstructString (passed as its IDispatch)."""

    iid = Guid("{41C4F8B3-7439-11D2-98CB-00C04F8EE1C4}")
    Construct = method("HRESULT Construct([in] IDispatch *pCtorObj)")


class IObjectContext(IUnknown):
    """COM+'s object context (MTS's): the doneness and the transaction vote of the current object."""

    iid = Guid("{51372AE0-CAE7-11CF-BE81-00AA00A2FA25}")
    CreateInstance = method(
        "HRESULT CreateInstance([in] REFCLSID rclsid, [in] REFIID riid, [out, iid_is(riid)] void **ppv)"
    )
    SetComplete = method("HRESULT SetComplete()")
    SetAbort = method("HRESULT SetAbort()")
    EnableCommit = method("HRESULT EnableCommit()")
    DisableCommit = method("HRESULT DisableCommit()")
    IsInTransaction = method("BOOL IsInTransaction()")
    IsSecurityEnabled = method("BOOL IsSecurityEnabled()")
    IsCallerInRole = method("HRESULT IsCallerInRole([in] BSTR bstrRole, [out] BOOL *pfIsInRole)")


class IContextState(IUnknown):
    """COM+'s context state: the doneness bit (deactivate on return) and the transaction vote (0 commit,
    1 abort: TransactionVote)."""

    iid = Guid("{3C05E54B-A42A-11D2-AFC4-00C04F8EE1C4}")
    SetDeactivateOnReturn = method("HRESULT SetDeactivateOnReturn([in] VARIANT_BOOL bDeactivate)")
    GetDeactivateOnReturn = method("HRESULT GetDeactivateOnReturn([out, retval] VARIANT_BOOL *pbDeactivate)")
    SetMyTransactionVote = method("HRESULT SetMyTransactionVote([in] LONG txVote)")
    GetMyTransactionVote = method("HRESULT GetMyTransactionVote([out, retval] LONG *ptxVote)")


class IObjectDispose(IUnknown):
    """Ours (no Windows header declares it): Dispose ends a just-in-time activated object, as a managed client's
    ``ServicedComponent.Dispose()`` does; the interceptor answers every later call with RPC_E_DISCONNECTED."""

    iid = Guid("{9E0C5E71-3B0A-4C39-A7F4-2D61C0B8E417}")
    Dispose = method("HRESULT Dispose()")
