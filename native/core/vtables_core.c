/* vtables_core.dll: IUnknown for Python-implemented COM objects, in native code (no Python headers).
 *
 * The object model (src/vtables/object.py) lays out each object as one block:
 *     [VtHeader (8 words)] [slot 0: vtbl, handle, 0] [slot 1: vtbl, handle, 1] ...
 * Slot 0 is the identity IUnknown. Every vtable's first three entries point here; the other entries are Python
 * thunks, which find their object from the slot's handle. These functions find the header from any slot through
 * the slot's index (its third word) and do what IUnknown must, without entering Python except at the edges:
 *   - QueryInterface: a linear scan of the class's IID table; a miss goes to Python (on_miss) only when the object
 *     asked for it (an aggregated inner, the free-threaded marshaler), else E_NOINTERFACE here;
 *   - AddRef/Release: interlocked, exact; the transition to 0 calls on_zero (Python destroys the object) exactly
 *     once; an extra Release (count already 0) and any call through a destroyed object's pointer are refused and
 *     reported to on_stale (Python logs them), never crash;
 *   - aggregated objects: every slot but 0 delegates QueryInterface/AddRef/Release to the outer (COM's rule).
 * The 0 -> 1 transition happens only in Python (a new object gets its first reference there), so Python keeps its
 * registry of live objects without being called on every AddRef.
 */
#include <windows.h>
#include <objbase.h>

typedef struct VtClass {
    LONG niids;
    const GUID *iids;   /* niids IIDs */
    const LONG *slots;  /* the slot each IID answers with */
} VtClass;

typedef struct VtHeader VtHeader;
struct VtHeader {
    volatile LONG refs;
    volatile LONG state;                                    /* VT_DESTROYED | VT_HAS_MISS */
    IUnknown *outer;                                        /* controlling IUnknown when aggregated, else NULL */
    const VtClass *cls;
    LONG (*on_zero)(VtHeader *);
    HRESULT (*on_miss)(VtHeader *, const GUID *, void **);
    LONG (*on_stale)(VtHeader *, LONG what);                /* 0 QI, 1 AddRef, 2 Release, 3 extra Release */
    void *reserved;
};

#define VT_DESTROYED 1
#define VT_HAS_MISS 2
#define VT_HEADER_WORDS 8
#define VT_SLOT_WORDS 3
#define VT_API __declspec(dllexport)

static void **slot_of(VtHeader *h, LONG k) { return (void **)h + VT_HEADER_WORDS + VT_SLOT_WORDS * k; }
static VtHeader *header_of(void **self) {
    return (VtHeader *)(self - VT_SLOT_WORDS * (LONG_PTR)self[2] - VT_HEADER_WORDS);
}

static ULONG addref_header(VtHeader *h) {
    if (h->state & VT_DESTROYED) {
        h->on_stale(h, 1);
        return 0;
    }
    return (ULONG)InterlockedIncrement(&h->refs);
}

static ULONG release_header(VtHeader *h) {
    if (h->state & VT_DESTROYED) {
        h->on_stale(h, 2);
        return 0;
    }
    LONG old;
    do {
        old = h->refs;
        if (old <= 0) {
            h->on_stale(h, 3);
            return 0;
        }
    } while (InterlockedCompareExchange(&h->refs, old - 1, old) != old);
    if (old == 1) h->on_zero(h);
    return (ULONG)(old - 1);
}

/* The non-delegating (or plain) IUnknown of every slot of a non-aggregated object, and of slot 0 always. */
VT_API HRESULT STDMETHODCALLTYPE vt_QueryInterface(void **self, const GUID *riid, void **ppv) {
    if (!ppv) return E_POINTER;
    VtHeader *h = header_of(self);
    if (!riid) {
        *ppv = NULL;
        return E_INVALIDARG;
    }
    if (h->state & VT_DESTROYED) {
        *ppv = NULL;
        h->on_stale(h, 0);
        return CO_E_OBJNOTCONNECTED;
    }
    const VtClass *c = h->cls;
    for (LONG i = 0; i < c->niids; ++i) {
        if (IsEqualGUID(riid, &c->iids[i])) {
            LONG k = c->slots[i];
            *ppv = slot_of(h, k);
            if (h->outer && k != 0) h->outer->lpVtbl->AddRef(h->outer);  /* aggregated: the outer counts it */
            else InterlockedIncrement(&h->refs);
            return S_OK;
        }
    }
    if (h->state & VT_HAS_MISS) return h->on_miss(h, riid, ppv);
    *ppv = NULL;
    return E_NOINTERFACE;
}

VT_API ULONG STDMETHODCALLTYPE vt_AddRef(void **self) { return addref_header(header_of(self)); }
VT_API ULONG STDMETHODCALLTYPE vt_Release(void **self) { return release_header(header_of(self)); }

/* Slots 1.. of an aggregated object: IUnknown is the outer's. */
VT_API HRESULT STDMETHODCALLTYPE vt_QueryInterfaceDelegating(void **self, const GUID *riid, void **ppv) {
    VtHeader *h = header_of(self);
    if (h->state & VT_DESTROYED) {
        if (ppv) *ppv = NULL;
        h->on_stale(h, 0);
        return CO_E_OBJNOTCONNECTED;
    }
    return h->outer->lpVtbl->QueryInterface(h->outer, riid, ppv);
}

VT_API ULONG STDMETHODCALLTYPE vt_AddRefDelegating(void **self) {
    VtHeader *h = header_of(self);
    if (h->state & VT_DESTROYED) {
        h->on_stale(h, 1);
        return 0;
    }
    return h->outer->lpVtbl->AddRef(h->outer);
}

VT_API ULONG STDMETHODCALLTYPE vt_ReleaseDelegating(void **self) {
    VtHeader *h = header_of(self);
    if (h->state & VT_DESTROYED) {
        h->on_stale(h, 2);
        return 0;
    }
    return h->outer->lpVtbl->Release(h->outer);
}

/* From Python: the object's own count (query_raw, the aggregation inner's first reference, _com_release). */
VT_API ULONG vt_header_addref(VtHeader *h) { return (ULONG)InterlockedIncrement(&h->refs); }
VT_API ULONG vt_header_release(VtHeader *h) { return release_header(h); }
VT_API LONG vt_header_refs(VtHeader *h) { return InterlockedCompareExchange(&h->refs, 0, 0); }
VT_API void vt_header_set_state(VtHeader *h, LONG bits) { InterlockedOr(&h->state, bits); }
