"""Connection points (events) and the standard enumerators: IConnectionPointContainer, IConnectionPoint,
IEnumConnectionPoints, IEnumConnections (over CONNECTDATA), IProvideClassInfo2, IEnumUnknown, IEnumString.

Every enumerator's ``Next`` keeps its HRESULT (S_FALSE: fewer than ``celt`` were left) and returns
``(hr, fetched)``; the caller passes the array and owns what lands in it (``vtables.enumerators`` wraps this as a
Python iterator)."""

from ole32_bindings.guid import Guid

from ..declare import method
from .automation import IProvideClassInfo
from .unknown import IUnknown

__all__ = [
    "IEnumUnknown",
    "IEnumString",
    "IEnumConnections",
    "IEnumConnectionPoints",
    "IConnectionPoint",
    "IConnectionPointContainer",
    "IProvideClassInfo2",
    "GUIDKIND_DEFAULT_SOURCE_DISP_IID",
]

GUIDKIND_DEFAULT_SOURCE_DISP_IID = 1
"""IProvideClassInfo2::GetGUID's only kind: the IID of the object's default source dispinterface."""


class IEnumUnknown(IUnknown):
    """An enumerator of interface pointers: each one ``Next`` writes is AddRef'd, the caller releases it."""

    iid = Guid("{00000100-0000-0000-C000-000000000046}")
    Next = method("HRESULT Next([in] ULONG celt, [in] IUnknown **rgelt, [out] ULONG *pceltFetched)", preserve_sig=True)
    Skip = method("HRESULT Skip([in] ULONG celt)")
    Reset = method("HRESULT Reset()")
    Clone = method("HRESULT Clone([out] IEnumUnknown **ppenum)")


class IEnumString(IUnknown):
    """An enumerator of strings: each LPOLESTR ``Next`` writes is CoTaskMemAlloc'ed, the caller frees it."""

    iid = Guid("{00000101-0000-0000-C000-000000000046}")
    Next = method("HRESULT Next([in] ULONG celt, [in] LPOLESTR *rgelt, [out] ULONG *pceltFetched)", preserve_sig=True)
    Skip = method("HRESULT Skip([in] ULONG celt)")
    Reset = method("HRESULT Reset()")
    Clone = method("HRESULT Clone([out] IEnumString **ppenum)")


class IEnumConnections(IUnknown):
    """An enumerator of a connection point's connections, CONNECTDATA ``{IUnknown *pUnk; DWORD dwCookie}``: each
    ``pUnk`` written is AddRef'd, the caller releases it."""

    iid = Guid("{B196B287-BAB4-101A-B69C-00AA00341D07}")
    Next = method(
        "HRESULT Next([in] ULONG cConnections, [in] CONNECTDATA *rgcd, [out] ULONG *pcFetched)", preserve_sig=True
    )
    Skip = method("HRESULT Skip([in] ULONG cConnections)")
    Reset = method("HRESULT Reset()")
    Clone = method("HRESULT Clone([out] IEnumConnections **ppEnum)")


class IEnumConnectionPoints(IUnknown):
    """An enumerator of a container's connection points: each pointer written is AddRef'd, the caller releases it."""

    iid = Guid("{B196B285-BAB4-101A-B69C-00AA00341D07}")
    Next = method(
        "HRESULT Next([in] ULONG cConnections, [in] IConnectionPoint **ppCP, [out] ULONG *pcFetched)", preserve_sig=True
    )
    Skip = method("HRESULT Skip([in] ULONG cConnections)")
    Reset = method("HRESULT Reset()")
    Clone = method("HRESULT Clone([out] IEnumConnectionPoints **ppEnum)")


class IConnectionPoint(IUnknown):
    """One outgoing (source) interface of an object: sinks Advise to receive its calls, by cookie."""

    iid = Guid("{B196B286-BAB4-101A-B69C-00AA00341D07}")
    GetConnectionInterface = method("HRESULT GetConnectionInterface([out] IID *pIID)")
    GetConnectionPointContainer = method("HRESULT GetConnectionPointContainer([out] IConnectionPointContainer **ppCPC)")
    Advise = method("HRESULT Advise([in] IUnknown *pUnkSink, [out] DWORD *pdwCookie)")
    Unadvise = method("HRESULT Unadvise([in] DWORD dwCookie)")
    EnumConnections = method("HRESULT EnumConnections([out] IEnumConnections **ppEnum)")


class IConnectionPointContainer(IUnknown):
    """An object with outgoing interfaces: its connection points, by IID or enumerated."""

    iid = Guid("{B196B284-BAB4-101A-B69C-00AA00341D07}")
    EnumConnectionPoints = method("HRESULT EnumConnectionPoints([out] IEnumConnectionPoints **ppEnum)")
    FindConnectionPoint = method("HRESULT FindConnectionPoint([in] REFIID riid, [out] IConnectionPoint **ppCP)")


class IProvideClassInfo2(IProvideClassInfo):
    """IProvideClassInfo plus GetGUID(GUIDKIND_DEFAULT_SOURCE_DISP_IID): the object's default source
    dispinterface, which scripting hosts and event-sink helpers connect to."""

    iid = Guid("{A6BC3AC0-DBAA-11CE-9DE3-00AA004BB851}")
    GetGUID = method("HRESULT GetGUID([in] DWORD dwGuidKind, [out] GUID *pGUID)")
