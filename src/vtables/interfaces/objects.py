from ..declare import method
from .unknown import IUnknown


class IClassFactory(IUnknown):
    iid = "{00000001-0000-0000-C000-000000000046}"
    CreateInstance = method(
        "HRESULT CreateInstance([in, unique] IUnknown *pUnkOuter, [in] REFIID riid, "
        "[out, iid_is(riid)] void **ppvObject)"
    )
    LockServer = method("HRESULT LockServer([in] BOOL fLock)")


class IPersist(IUnknown):
    iid = "{0000010C-0000-0000-C000-000000000046}"
    GetClassID = method("HRESULT GetClassID([out] CLSID *pClassID)")
