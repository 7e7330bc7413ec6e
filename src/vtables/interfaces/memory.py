"""The task allocator: IMalloc, and IMallocSpy (CoRegisterMallocSpy), which sees every allocation it makes."""

from ole32_bindings.guid import Guid

from ..declare import method
from .unknown import IUnknown

__all__ = ["IMalloc", "IMallocSpy"]


class IMalloc(IUnknown):
    """The COM task allocator (CoGetMalloc): what CoTaskMemAlloc/CoTaskMemFree call, BSTRs and SAFEARRAYs included."""

    iid = Guid("{00000002-0000-0000-C000-000000000046}")
    Alloc = method("void * Alloc([in] SIZE_T cb)")
    Realloc = method("void * Realloc([in] void *pv, [in] SIZE_T cb)")
    Free = method("void Free([in] void *pv)")
    GetSize = method("SIZE_T GetSize([in] void *pv)")
    DidAlloc = method("int DidAlloc([in] void *pv)")
    HeapMinimize = method("void HeapMinimize()")


class IMallocSpy(IUnknown):
    """Called by the task allocator before and after each of its operations, once registered with
    CoRegisterMallocSpy. Pointers are spelled ``ULONG_PTR`` here (the same 64-bit register on x64), so an
    implementation receives and returns them as integers: the Pre/Post methods return the pointer or size they
    were given to let the operation proceed unchanged."""

    iid = Guid("{0000001D-0000-0000-C000-000000000046}")
    PreAlloc = method("SIZE_T PreAlloc([in] SIZE_T cbRequest)")
    PostAlloc = method("ULONG_PTR PostAlloc([in] ULONG_PTR pActual)")
    PreFree = method("ULONG_PTR PreFree([in] ULONG_PTR pRequest, [in] BOOL fSpyed)")
    PostFree = method("void PostFree([in] BOOL fSpyed)")
    PreRealloc = method(
        "SIZE_T PreRealloc([in] ULONG_PTR pRequest, [in] SIZE_T cbRequest, [in] ULONG_PTR *ppNewRequest, "
        "[in] BOOL fSpyed)"
    )
    PostRealloc = method("ULONG_PTR PostRealloc([in] ULONG_PTR pActual, [in] BOOL fSpyed)")
    PreGetSize = method("ULONG_PTR PreGetSize([in] ULONG_PTR pRequest, [in] BOOL fSpyed)")
    PostGetSize = method("SIZE_T PostGetSize([in] SIZE_T cbActual, [in] BOOL fSpyed)")
    PreDidAlloc = method("ULONG_PTR PreDidAlloc([in] ULONG_PTR pRequest, [in] BOOL fSpyed)")
    PostDidAlloc = method("int PostDidAlloc([in] ULONG_PTR pRequest, [in] BOOL fSpyed, [in] int fActual)")
    PreHeapMinimize = method("void PreHeapMinimize()")
    PostHeapMinimize = method("void PostHeapMinimize()")
