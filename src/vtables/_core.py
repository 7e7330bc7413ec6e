"""The native IUnknown of our objects (native/core/vtables_core.c, built with mingw into vtables_core.dll next to
this file), loaded with an in-line cffi ABI declaration. ``lib`` is None when the DLL is absent or
``VTABLES_NATIVE_CORE=0``: the object model then uses its Python IUnknown thunks (same layout, same rules).

Block layout shared with the C source: a header of HEADER_WORDS pointer-sized words (``VtHeader``), then per slot
SLOT_WORDS words: the vtable, the object's handle (read by the Python method thunks), and the slot's index (from
which the C code finds the header).
"""

from __future__ import annotations

import os
from typing import Any

HEADER_WORDS = 8
SLOT_WORDS = 3
DESTROYED = 1
HAS_MISS = 2

CDEF = """
typedef struct { uint32_t Data1; uint16_t Data2; uint16_t Data3; uint8_t Data4[8]; } GUID;
typedef struct VtClass { int32_t niids; const GUID *iids; const int32_t *slots; } VtClass;
typedef struct VtHeader {
    volatile int32_t refs;
    volatile int32_t state;
    void *outer;
    const VtClass *cls;
    int32_t (*on_zero)(struct VtHeader *);
    int32_t (*on_miss)(struct VtHeader *, const GUID *, void **);
    int32_t (*on_stale)(struct VtHeader *, int32_t);
    void *reserved;
} VtHeader;
int32_t vt_QueryInterface(void **self, const GUID *riid, void **ppv);
uint32_t vt_AddRef(void **self);
uint32_t vt_Release(void **self);
int32_t vt_QueryInterfaceDelegating(void **self, const GUID *riid, void **ppv);
uint32_t vt_AddRefDelegating(void **self);
uint32_t vt_ReleaseDelegating(void **self);
uint32_t vt_header_addref(void *h);
uint32_t vt_header_release(void *h);
int32_t vt_header_release_quiet(void *h);
void **vt_block_new(void *const *tmpl, int32_t words, void *handle);
void vt_block_retire(void **b, void *tomb);
int32_t vt_header_refs(void *h);
void vt_header_set_state(void *h, int32_t bits);
typedef struct VtInvokeCall {
    void **self; int32_t dispid; uint16_t flags; uint32_t lcid; const GUID *riid; void *params; void *result;
    void *excepinfo; uint32_t *argerr;
} VtInvokeCall;
void vt_set_invoke(void *fast, void *general);
int32_t vt_invoke_register(void *cls, int64_t key, void *entry, int32_t kind, int64_t mask, int64_t expect);
int32_t vt_variant_set_bstr(void *v, const wchar_t *s, uint32_t units);
int32_t vt_variant_set_bstr_bytes(void *v, const char *s, uint32_t bytes);
int32_t vt_Invoke(void *self, int32_t dispid, const GUID *riid, uint32_t lcid, uint16_t flags, void *params,
                  void *result, void *excepinfo, uint32_t *argerr);
typedef struct VtDispCall {
    void *disp; volatile int32_t busy; int32_t dispid; uint32_t lcid; uint16_t flags; uint16_t textcap;
    void *result; void *excepinfo; void *argerr; void *text;
} VtDispCall;
int64_t vt_dispatch_call(VtDispCall *c, const char *packed, uint32_t n, const wchar_t *wide);
int64_t vt_dispatch_call0(VtDispCall *c);
int64_t vt_dispatch_call1(VtDispCall *c, int64_t vts, int64_t lens, int64_t unused, int64_t w1);
int64_t vt_dispatch_call2(VtDispCall *c, int64_t vts, int64_t lens, int64_t unused, int64_t w1, int64_t w2);
int64_t vt_dispatch_call3(VtDispCall *c, int64_t vts, int64_t lens, int64_t unused, int64_t w1, int64_t w2,
                          int64_t w3);
int64_t vt_dispatch_call4(VtDispCall *c, int64_t vts, int64_t lens, int64_t unused, int64_t w1, int64_t w2,
                          int64_t w3, int64_t w4);
"""

DLL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vtables_core.dll")


def _load() -> tuple[Any, Any]:
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    if os.environ.get("VTABLES_NATIVE_CORE", "1") == "0" or not os.path.exists(DLL):
        return ffi, None
    return ffi, ffi.dlopen(DLL)


ffi, lib = _load()


def enabled() -> bool:
    """Whether our objects' IUnknown is the native one."""
    return lib is not None
