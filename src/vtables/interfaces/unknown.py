from ..declare import Interface, method


class IUnknown(Interface):
    iid = "{00000000-0000-0000-C000-000000000046}"
    QueryInterface = method("HRESULT QueryInterface([in] REFIID riid, [out, iid_is(riid)] void **ppvObject)")
    AddRef = method("ULONG AddRef()")
    Release = method("ULONG Release()")
