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
 *
 * The second half (after IUnknown) is issue 12's late-bound fast paths: IDispatch::Invoke of Python classes
 * (vt_Invoke) and the late-bound client's prepared call (vt_dispatch_call*), each described where it is defined.
 */
#include <windows.h>
#include <objbase.h>
#include <oleauto.h>

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
    void *reserved;                                         /* the block's size in words (vt_block_new) */
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

/* ---- object blocks: made from a class's template, retired at destruction, reused from a free list ----------------
 *
 * vt_block_new copies a class's template (the header, then [vtable, NULL, k] per slot) into a block of `words`
 * pointer-sized words, taken from the free list of that size when it has one (else the process heap), writes the
 * object's handle into every slot and the word count into the header's `reserved`. vt_block_retire is the
 * destruction: the state becomes VT_DESTROYED (the IUnknown above refuses from now on) and every slot's handle the
 * tombstone (Python thunks reached through a stale pointer find it and refuse); the block then waits in a ring of
 * VT_RETIRED blocks, so a stale pointer keeps finding a tombstone for the next VT_RETIRED destructions, before it
 * goes to its free list (blocks of more than VT_POOL_WORDS words go back to the heap). One SRW lock guards the ring
 * and the lists: objects are made and destroyed on any thread. */

#define VT_RETIRED 4096
#define VT_POOL_WORDS 200

typedef struct VtFree { struct VtFree *next; } VtFree;
static SRWLOCK pool_lock = SRWLOCK_INIT;
static void **retired[VT_RETIRED];
static LONG retired_next;
static VtFree *free_blocks[VT_POOL_WORDS + 1];

VT_API void **vt_block_new(void *const *tmpl, LONG words, void *handle) {
    if (words < VT_HEADER_WORDS || !tmpl) return NULL;
    void **b = NULL;
    if (words <= VT_POOL_WORDS) {
        AcquireSRWLockExclusive(&pool_lock);
        VtFree *f = free_blocks[words];
        if (f) free_blocks[words] = f->next;
        ReleaseSRWLockExclusive(&pool_lock);
        b = (void **)f;
    }
    if (!b) b = (void **)HeapAlloc(GetProcessHeap(), 0, (SIZE_T)words * sizeof(void *));
    if (!b) return NULL;
    CopyMemory(b, tmpl, (SIZE_T)words * sizeof(void *));
    for (LONG i = VT_HEADER_WORDS + 1; i < words; i += VT_SLOT_WORDS) b[i] = handle;
    ((VtHeader *)b)->reserved = (void *)(LONG_PTR)words;
    return b;
}

VT_API void vt_block_retire(void **b, void *tomb) {
    VtHeader *h = (VtHeader *)b;
    LONG words = (LONG)(LONG_PTR)h->reserved;
    InterlockedOr(&h->state, VT_DESTROYED);
    for (LONG i = VT_HEADER_WORDS + 1; i < words; i += VT_SLOT_WORDS) b[i] = tomb;
    AcquireSRWLockExclusive(&pool_lock);
    void **old = retired[retired_next];
    retired[retired_next] = b;
    retired_next = (retired_next + 1) % VT_RETIRED;
    if (old) {
        LONG w = (LONG)(LONG_PTR)((VtHeader *)old)->reserved;
        if (w <= VT_POOL_WORDS) {
            VtFree *f = (VtFree *)old;
            f->next = free_blocks[w];
            free_blocks[w] = f;
            old = NULL;
        }
    }
    ReleaseSRWLockExclusive(&pool_lock);
    if (old) HeapFree(GetProcessHeap(), 0, old);
}

/* From Python: the object's own count (query_raw, the aggregation inner's first reference, _com_release). */
VT_API ULONG vt_header_addref(VtHeader *h) { return (ULONG)InterlockedIncrement(&h->refs); }
VT_API ULONG vt_header_release(VtHeader *h) { return release_header(h); }
/* From Python, for a release Python makes itself: the same checks and count as Release, but the 1 -> 0 transition
 * does not call on_zero: it returns 0 and the caller (which saw it, exactly once) destroys the object, without a
 * second entry into Python. -1 when refused (destroyed object, extra Release: reported to on_stale). */
VT_API LONG vt_header_release_quiet(VtHeader *h) {
    if (h->state & VT_DESTROYED) {
        h->on_stale(h, 2);
        return -1;
    }
    LONG old;
    do {
        old = h->refs;
        if (old <= 0) {
            h->on_stale(h, 3);
            return -1;
        }
    } while (InterlockedCompareExchange(&h->refs, old - 1, old) != old);
    return old - 1;
}
VT_API LONG vt_header_refs(VtHeader *h) { return InterlockedCompareExchange(&h->refs, 0, 0); }
VT_API void vt_header_set_state(VtHeader *h, LONG bits) { InterlockedOr(&h->state, bits); }

/* ---- IDispatch::Invoke of Python classes (src/vtables/dispatch.py) --------------------------------------------
 *
 * vt_Invoke is the Invoke slot of a Python class with one dispatchable interface. It does in native code what
 * every call needs before Python can dispatch it, and calls Python with fewer (and ready) arguments.
 *
 * The common call (object alive, riid IID_NULL, DISPPARAMS present, no named arguments, at most 0x3FFF arguments
 * with rgvarg present when there are any) has a key: dispid | wFlags << 32 | cArgs << 48, and bit 62 when
 * pVarResult is NULL (never negative). *pVarResult is VariantInit'ed; vts = the vt of rgvarg[i] in bits
 * 16i..16i+15 for i < 4 (0 beyond); lens = for those of them that are VT_BSTR, the length in UTF-16 units in the
 * same bits (0xFFFF: read it yourself: 0xFFFF units or more, or an odd byte length). Then, by (class, key):
 *   - a typed entry (registered with its arguments' vts, at most 4 arguments): when (vts & mask) == expect, it is
 *     called as entry(handle, pVarResult, call, lens, w1, ..., wn): w1 is the first argument's VARIANT value, its
 *     8 bytes at offset 8 (lVal, dblVal, bstrVal, boolVal... as declared), wn the last's. The Python entry declares
 *     each w as its own C type (int32_t, double, wchar_t *, int16_t): it reads the right bytes because they
 *     travel in 8-byte stack slots (Microsoft x64 convention: the fifth argument on; the fourth, lens, is an
 *     integer in R9 whatever the rest). Other vts: the fast callback below;
 *   - a VARIANT entry: entry(handle, vts, lens, rgvarg, pVarResult, call);
 *   - no entry: the class-independent fast callback(handle, key, vts, lens, rgvarg, pVarResult, call), which makes
 *     the member's invoker for that call shape (and usually registers an entry).
 * Each may answer VT_INVOKE_GENERAL ("not for me", having changed nothing but *pVarResult's VariantInit): the
 * general callback then gets the call. Anything else goes to the general callback with Invoke's own nine
 * arguments (which checks and refuses it). `call` (VtInvokeCall) carries what is rarely needed (EXCEPINFO on
 * failure). The two callbacks are set once by vt_set_invoke; without them the call fails with E_UNEXPECTED.
 * Registered entries are never removed (classes' VtClass tables live as long as the process); the table holds
 * VT_INVOKE_ENTRIES of them, then registration refuses (the fast callback keeps answering those calls). */

#define VT_INVOKE_GENERAL 0x7FFF0001L
#define VT_INVOKE_ENTRIES 4096 /* a power of two */
#define VT_ENTRY_VARIANT 0
#define VT_ENTRY_TYPED 1
#define VT_TYPED_MAX 4

typedef struct VtInvokeCall {
    void **self;
    DISPID dispid;
    WORD flags;
    LCID lcid;
    const GUID *riid;
    DISPPARAMS *params;
    VARIANT *result;
    EXCEPINFO *excepinfo;
    UINT *argerr;
} VtInvokeCall;

typedef HRESULT (*VtInvokeFast)(void *handle, LONG64 key, LONG64 vts, LONG64 lens, VARIANT *rgvarg,
                                VARIANT *result, VtInvokeCall *call);
typedef HRESULT (*VtInvokeEntry)(void *handle, LONG64 vts, LONG64 lens, VARIANT *rgvarg, VARIANT *result,
                                 VtInvokeCall *call);
typedef HRESULT (STDMETHODCALLTYPE *VtInvokeGeneral)(void **self, DISPID, const GUID *, LCID, WORD, DISPPARAMS *,
                                                     VARIANT *, EXCEPINFO *, UINT *);
typedef LONG64 W;
typedef HRESULT (*VtTyped0)(void *, VARIANT *, VtInvokeCall *, LONG64);
typedef HRESULT (*VtTyped1)(void *, VARIANT *, VtInvokeCall *, LONG64, W);
typedef HRESULT (*VtTyped2)(void *, VARIANT *, VtInvokeCall *, LONG64, W, W);
typedef HRESULT (*VtTyped3)(void *, VARIANT *, VtInvokeCall *, LONG64, W, W, W);
typedef HRESULT (*VtTyped4)(void *, VARIANT *, VtInvokeCall *, LONG64, W, W, W, W);
static VtInvokeFast invoke_fast;
static VtInvokeGeneral invoke_general;

typedef struct VtInvokeSlot {
    volatile LONG state; /* 0 free, 1 being written, 2 ready */
    LONG kind;           /* VT_ENTRY_VARIANT, VT_ENTRY_TYPED */
    const VtClass *cls;
    LONG64 key;
    void *entry;
    LONG64 mask, expect; /* typed: the vts it takes */
} VtInvokeSlot;
static VtInvokeSlot invoke_slots[VT_INVOKE_ENTRIES];

static ULONG invoke_hash(const VtClass *cls, LONG64 key) {
    ULONG64 x = (ULONG64)key * 0x9E3779B97F4A7C15ull ^ (ULONG64)(ULONG_PTR)cls * 0xC2B2AE3D27D4EB4Full;
    return (ULONG)(x >> 40) & (VT_INVOKE_ENTRIES - 1);
}

static const VtInvokeSlot *invoke_lookup(const VtClass *cls, LONG64 key) {
    ULONG i = invoke_hash(cls, key);
    for (ULONG probe = 0; probe < VT_INVOKE_ENTRIES; ++probe, i = (i + 1) & (VT_INVOKE_ENTRIES - 1)) {
        VtInvokeSlot *e = &invoke_slots[i];
        LONG state = InterlockedCompareExchange(&e->state, 0, 0); /* (a full barrier: fields read after it) */
        if (state == 0) return NULL;
        if (state == 2 && e->cls == cls && e->key == key) return e;
    }
    return NULL;
}

VT_API void vt_set_invoke(VtInvokeFast fast, VtInvokeGeneral general) {
    invoke_fast = fast;
    invoke_general = general;
}

/* Register the entry of (cls, key): kind VT_ENTRY_VARIANT, or VT_ENTRY_TYPED with the vts it takes ((vts & mask)
 * == expect; at most VT_TYPED_MAX arguments; x64 only). 1: registered (or one was already there); 0: refused
 * (the table is full, or a typed entry this build cannot call). */
VT_API LONG vt_invoke_register(const VtClass *cls, LONG64 key, void *entry, LONG kind, LONG64 mask, LONG64 expect) {
#if !defined(__x86_64__) && !defined(_M_X64)
    if (kind == VT_ENTRY_TYPED) return 0;
#endif
    if (kind == VT_ENTRY_TYPED && ((key >> 48) & 0x3FFF) > VT_TYPED_MAX) return 0;
    ULONG i = invoke_hash(cls, key);
    for (ULONG probe = 0; probe < VT_INVOKE_ENTRIES; ++probe, i = (i + 1) & (VT_INVOKE_ENTRIES - 1)) {
        VtInvokeSlot *e = &invoke_slots[i];
        LONG state = InterlockedCompareExchange(&e->state, 1, 0);
        if (state == 0) {
            e->kind = kind;
            e->cls = cls;
            e->key = key;
            e->entry = entry;
            e->mask = mask;
            e->expect = expect;
            InterlockedExchange(&e->state, 2);
            return 1;
        }
        while (state == 1) state = InterlockedCompareExchange(&e->state, 1, 1); /* another writer, briefly */
        if (e->cls == cls && e->key == key) return 1;
    }
    return 0;
}

static W value_word(const VARIANT *v) {
    W w;
    memcpy(&w, (const char *)v + 8, sizeof w);
    return w;
}

static HRESULT call_typed(void *fn, void *handle, VARIANT *result, VtInvokeCall *call, LONG64 lens, VARIANT *rg,
                          UINT n) {
#define ARG(i) value_word(&rg[n - 1 - (i)])
    switch (n) {
    case 0: return ((VtTyped0)fn)(handle, result, call, lens);
    case 1: return ((VtTyped1)fn)(handle, result, call, lens, ARG(0));
    case 2: return ((VtTyped2)fn)(handle, result, call, lens, ARG(0), ARG(1));
    case 3: return ((VtTyped3)fn)(handle, result, call, lens, ARG(0), ARG(1), ARG(2));
    case 4: return ((VtTyped4)fn)(handle, result, call, lens, ARG(0), ARG(1), ARG(2), ARG(3));
    default: return VT_INVOKE_GENERAL;
    }
#undef ARG
}

VT_API HRESULT STDMETHODCALLTYPE vt_Invoke(void **self, DISPID dispid, REFIID riid, LCID lcid, WORD flags,
                                           DISPPARAMS *params, VARIANT *result, EXCEPINFO *excepinfo, UINT *argerr) {
    if (!invoke_fast || !invoke_general) return E_UNEXPECTED;
    VtHeader *h = header_of(self);
    if (!(h->state & VT_DESTROYED) && riid && IsEqualGUID(riid, &IID_NULL) && params && !params->cNamedArgs &&
        params->cArgs <= 0x3FFF && (!params->cArgs || params->rgvarg)) {
        UINT n = params->cArgs;
        VARIANT *rg = params->rgvarg;
        LONG64 key = (LONG64)(ULONG)dispid | ((LONG64)flags << 32) | ((LONG64)n << 48) | ((LONG64)!result << 62);
        ULONG64 vts = 0, lens = 0;
        for (UINT i = 0; i < n && i < 4; ++i) {
            VARIANT *v = &rg[i];
            vts |= (ULONG64)v->vt << (16 * i);
            if (v->vt == VT_BSTR) {
                UINT bytes = v->bstrVal ? SysStringByteLen(v->bstrVal) : 0;
                lens |= (ULONG64)((bytes & 1) || bytes / 2 >= 0xFFFF ? 0xFFFF : bytes / 2) << (16 * i);
            }
        }
        if (result) VariantInit(result);
        VtInvokeCall call = {self, dispid, flags, lcid, riid, params, result, excepinfo, argerr};
        const VtInvokeSlot *e = invoke_lookup(h->cls, key);
        HRESULT hr;
        if (e && e->kind == VT_ENTRY_TYPED && ((LONG64)vts & e->mask) == e->expect)
            hr = call_typed(e->entry, self[1], result, &call, (LONG64)lens, rg, n);
        else if (e && e->kind == VT_ENTRY_VARIANT)
            hr = ((VtInvokeEntry)e->entry)(self[1], (LONG64)vts, (LONG64)lens, rg, result, &call);
        else
            hr = invoke_fast(self[1], key, (LONG64)vts, (LONG64)lens, rg, result, &call);
        if (hr != VT_INVOKE_GENERAL) return hr;
    }
    return invoke_general(self, dispid, riid, lcid, flags, params, result, excepinfo, argerr);
}

/* A BSTR result stored in one call: *v (which holds nothing) becomes VT_BSTR holding a copy of `units` UTF-16
 * units at s (or `bytes` bytes). S_OK, or E_OUTOFMEMORY with *v unchanged. */
VT_API HRESULT vt_variant_set_bstr(VARIANT *v, const WCHAR *s, UINT units) {
    BSTR b = SysAllocStringLen(s, units);
    if (!b) return E_OUTOFMEMORY;
    v->bstrVal = b;
    v->vt = VT_BSTR;
    return S_OK;
}

VT_API HRESULT vt_variant_set_bstr_bytes(VARIANT *v, const char *s, UINT bytes) {
    BSTR b = SysAllocStringByteLen(s, bytes);
    if (!b) return E_OUTOFMEMORY;
    v->bstrVal = b;
    v->vt = VT_BSTR;
    return S_OK;
}

/* ---- the late-bound client's call (src/vtables/latebound.py) ---------------------------------------------------
 *
 * A VtDispCall is one bound member's prepared call: the IDispatch pointer, DISPID, flags and LCID, and buffers
 * Python allocated once (the result, EXCEPINFO, puArgErr, a text buffer). Python makes the call with
 *   - vt_dispatch_call0(c): no arguments;
 *   - vt_dispatch_callN(c, vts, lens, 0, w1, ..., wN), N = 1..4: the arguments as values. vts holds their vts (the
 *     first argument's in bits 0..15, the next in 16..31...: VT_EMPTY, VT_I4, VT_R8, VT_BOOL or VT_BSTR), lens the
 *     length in UTF-16 units of each VT_BSTR one (same bits), and w1..wN are the values: Python declares each as
 *     the argument's own C type (wchar_t * for a string's text, int32_t, double, int16_t), and from the fifth
 *     parameter on every value travels in an 8-byte stack slot (Microsoft x64 convention), copied here as the
 *     VARIANT's 8 value bytes (a string's text becomes a BSTR, SysAllocStringLen);
 *   - vt_dispatch_call(c, packed, n, wide): any number of arguments as n VARIANTs packed by Python (rgvarg order:
 *     the last argument first); one with vt VT_BSTR and wReserved1 VT_PENDING_BSTR (text in packed) or
 *     VT_PENDING_WIDE (text in wide) is a string to allocate: its UTF-16 bytes start lVal bytes into that text and
 *     count the ULONG after lVal (SysAllocStringByteLen).
 * Each call: busy is taken (InterlockedCompareExchange): a frame in use (a re-entrant or concurrent call of the same
 * bound member) answers VT_CALL_BUSY at once, having done nothing; a NULL disp (the Dispatch was released)
 * VT_CALL_RELEASED; more than VT_MAX_ARGS arguments VT_CALL_TOO_MANY (Python then takes its general path). Then
 * Invoke(dispid, IID_NULL, lcid, flags, {args, n, no named}, result, excepinfo, argerr); every argument is
 * VariantClear'ed after (one that cannot be is zeroed, and VT_CALL_ARG_ABANDONED is set in the answer); on success,
 * EXCEPINFO strings a callee left are freed; a VT_BSTR result of at most textcap units (and an even byte length) is
 * copied into text, freed, and the result left VT_EMPTY: the answer says VT_TEXT_RESULT and the length.
 * The answer: bits 0..31 the HRESULT, 32..47 the result's vt (VT_TEXT_RESULT: the text), 48..61 the text's length,
 * bit 62 VT_CALL_ARG_ABANDONED; negative: VT_CALL_BUSY / RELEASED / TOO_MANY, or VT_CALL_NO_MEMORY (a string
 * argument could not be allocated: nothing was sent, what was made is freed); busy is given back with them. After
 * a call, busy is given back here when the HRESULT is a success and nothing is left to read (an empty result);
 * otherwise (a failure, a result or a text to read) Python reads the frame, then gives it back (busy = 0). */

#define VT_PENDING_BSTR 0xB57Au
#define VT_PENDING_WIDE 0xB57Bu
#define VT_TEXT_RESULT 0xFFFFu
#define VT_MAX_ARGS 32
#define VT_CALL_BUSY (-1LL)
#define VT_CALL_RELEASED (-2LL)
#define VT_CALL_TOO_MANY (-3LL)
#define VT_CALL_NO_MEMORY (-4LL)
#define VT_CALL_ARG_ABANDONED (1LL << 62)

typedef struct VtDispCall {
    IDispatch *disp;
    volatile LONG busy;
    DISPID dispid;
    LCID lcid;
    WORD flags;
    WORD textcap;
    VARIANT *result;
    EXCEPINFO *excepinfo;
    UINT *argerr;
    WCHAR *text;
} VtDispCall;

static const IID vt_iid_null;

/* busy taken, disp (read once: *d) and n checked: 0, or the answer to give at once. */
static LONG64 dispatch_begin(VtDispCall *c, UINT n, IDispatch **d) {
    if (InterlockedCompareExchange(&c->busy, 1, 0) != 0) return VT_CALL_BUSY;
    *d = c->disp;
    if (!*d || n > VT_MAX_ARGS) {
        InterlockedExchange(&c->busy, 0);
        return *d ? VT_CALL_TOO_MANY : VT_CALL_RELEASED;
    }
    return 0;
}

/* Invoke with the n arguments at args (owned: cleared here), and the answer. */
static LONG64 dispatch_invoke(VtDispCall *c, IDispatch *d, VARIANT *args, UINT n) {
    DISPPARAMS dp = {n ? args : NULL, NULL, n, 0};
    VARIANT *r = c->result;
    r->vt = VT_EMPTY;
    *c->argerr = (UINT)-1;
    HRESULT hr = d->lpVtbl->Invoke(d, c->dispid, &vt_iid_null, c->lcid, c->flags, &dp, r, c->excepinfo, c->argerr);
    LONG64 answer = (LONG64)(ULONG)hr;
    for (UINT i = 0; i < n; ++i) {
        if (FAILED(VariantClear(&args[i]))) {
            memset(&args[i], 0, sizeof(VARIANT));
            answer |= VT_CALL_ARG_ABANDONED;
        }
    }
    if (FAILED(hr)) return answer | ((LONG64)r->vt << 32);
    EXCEPINFO *ei = c->excepinfo;
    if (ei->bstrSource || ei->bstrDescription || ei->bstrHelpFile) {
        SysFreeString(ei->bstrSource);
        SysFreeString(ei->bstrDescription);
        SysFreeString(ei->bstrHelpFile);
        memset(ei, 0, sizeof(EXCEPINFO));
    }
    if (r->vt == VT_EMPTY) {
        InterlockedExchange(&c->busy, 0);
        return answer;
    }
    if (r->vt == VT_BSTR) {
        BSTR b = r->bstrVal;
        UINT bytes = b ? SysStringByteLen(b) : 0;
        if (!(bytes & 1) && bytes / 2 <= c->textcap) {
            if (bytes) memcpy(c->text, b, bytes);
            SysFreeString(b);
            r->vt = VT_EMPTY;
            return answer | ((LONG64)VT_TEXT_RESULT << 32) | ((LONG64)(bytes / 2) << 48);
        }
    }
    return answer | ((LONG64)r->vt << 32);
}

static void clear_args(VARIANT *args, UINT n) {
    for (UINT j = 0; j < n; ++j)
        if (FAILED(VariantClear(&args[j]))) memset(&args[j], 0, sizeof(VARIANT));
}

VT_API LONG64 vt_dispatch_call(VtDispCall *c, const char *packed, UINT n, const WCHAR *wide) {
    IDispatch *d;
    LONG64 early = dispatch_begin(c, n, &d);
    if (early) return early;
    VARIANT args[VT_MAX_ARGS];
    if (n) memcpy(args, packed, n * sizeof(VARIANT));
    for (UINT i = 0; i < n; ++i) {
        VARIANT *v = &args[i];
        WORD mark = v->wReserved1;
        if (v->vt == VT_BSTR && (mark == VT_PENDING_BSTR || mark == VT_PENDING_WIDE)) {
            ULONG offset = (ULONG)v->lVal, bytes = ((ULONG *)&v->lVal)[1];
            const char *from = (mark == VT_PENDING_WIDE ? (const char *)wide : packed) + offset;
            BSTR b = SysAllocStringByteLen(from, bytes);
            v->wReserved1 = 0;
            if (!b) { /* nothing sent: the strings made so far freed; from here on they are pending: nothing */
                for (UINT j = i; j < n; ++j)
                    if (args[j].vt == VT_BSTR) args[j].vt = VT_EMPTY;
                clear_args(args, i);
                InterlockedExchange(&c->busy, 0);
                return VT_CALL_NO_MEMORY;
            }
            v->bstrVal = b;
        }
    }
    return dispatch_invoke(c, d, args, n);
}

VT_API LONG64 vt_dispatch_call0(VtDispCall *c) {
    IDispatch *d;
    LONG64 early = dispatch_begin(c, 0, &d);
    return early ? early : dispatch_invoke(c, d, NULL, 0);
}

static LONG64 dispatch_values(VtDispCall *c, LONG64 vts, LONG64 lens, UINT n, const W *w) {
    IDispatch *d;
    LONG64 early = dispatch_begin(c, n, &d);
    if (early) return early;
    VARIANT args[VT_TYPED_MAX];
    for (UINT i = 0; i < n; ++i) {
        VARIANT *v = &args[n - 1 - i]; /* rgvarg: the last argument first */
        memset(v, 0, sizeof *v);
        VARTYPE vt = (VARTYPE)(vts >> (16 * i));
        if (vt == VT_BSTR) {
            BSTR b = SysAllocStringLen((const WCHAR *)(ULONG_PTR)w[i], (UINT)((lens >> (16 * i)) & 0xFFFF));
            if (!b) {
                clear_args(&args[n - i], i); /* the arguments made so far */
                InterlockedExchange(&c->busy, 0);
                return VT_CALL_NO_MEMORY;
            }
            v->bstrVal = b;
        } else {
            memcpy((char *)v + 8, &w[i], sizeof w[i]);
        }
        v->vt = vt;
    }
    return dispatch_invoke(c, d, args, n);
}

VT_API LONG64 vt_dispatch_call1(VtDispCall *c, LONG64 vts, LONG64 lens, LONG64 unused, W w1) {
    W w[1] = {w1};
    (void)unused;
    return dispatch_values(c, vts, lens, 1, w);
}
VT_API LONG64 vt_dispatch_call2(VtDispCall *c, LONG64 vts, LONG64 lens, LONG64 unused, W w1, W w2) {
    W w[2] = {w1, w2};
    (void)unused;
    return dispatch_values(c, vts, lens, 2, w);
}
VT_API LONG64 vt_dispatch_call3(VtDispCall *c, LONG64 vts, LONG64 lens, LONG64 unused, W w1, W w2, W w3) {
    W w[3] = {w1, w2, w3};
    (void)unused;
    return dispatch_values(c, vts, lens, 3, w);
}
VT_API LONG64 vt_dispatch_call4(VtDispCall *c, LONG64 vts, LONG64 lens, LONG64 unused, W w1, W w2, W w3, W w4) {
    W w[4] = {w1, w2, w3, w4};
    (void)unused;
    return dispatch_values(c, vts, lens, 4, w);
}
