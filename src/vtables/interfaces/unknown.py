"""IUnknown, the base of every interface."""

from ole32_bindings.guid import Guid

from ..declare import Interface, method

__all__ = ["IUnknown"]


class IUnknown(Interface):
    """Identity and lifetime: QueryInterface, AddRef, Release (slots 0-2 of every vtable)."""

    iid = Guid("{00000000-0000-0000-C000-000000000046}")
    QueryInterface = method("HRESULT QueryInterface([in] REFIID riid, [out, iid_is(riid)] void **ppvObject)")
    AddRef = method("ULONG AddRef()")
    Release = method("ULONG Release()")
