"""Class objects and persistence: IClassFactory, IPersist."""

from ole32_bindings.guid import Guid

from ..declare import method
from .unknown import IUnknown

__all__ = ["IClassFactory", "IPersist"]


class IClassFactory(IUnknown):
    """A class object: CreateInstance makes objects of its class; LockServer keeps its server alive."""

    iid = Guid("{00000001-0000-0000-C000-000000000046}")
    CreateInstance = method(
        "HRESULT CreateInstance([in, unique] IUnknown *pUnkOuter, [in] REFIID riid, "
        "[out, iid_is(riid)] void **ppvObject)"
    )
    LockServer = method("HRESULT LockServer([in] BOOL fLock)")


class IPersist(IUnknown):
    """GetClassID: the CLSID of the object's class (the base of the persistence interfaces)."""

    iid = Guid("{0000010C-0000-0000-C000-000000000046}")
    GetClassID = method("HRESULT GetClassID([out] CLSID *pClassID)")
