// The test DLL's IDispatch objects (issue 12; API: testlib_api.h). Both answer IDispatch from a type library linked
// into this DLL (testlib.rc), through ITypeInfo::Invoke as ATL's IDispatchImpl does (common/typeinfo_dispatch.h):
//   NativeDual (nativedual.idl, TYPELIB resource 1): the native object the late-bound clients' tests call: a string
//     property, an optional argument with a default, ByRef arguments, a failure with EXCEPINFO, a default member
//     and _NewEnum; plus ISupportErrorInfo and IProvideClassInfo.
//   BenchDual (native/bench/benchdual.idl, TYPELIB resource 2): the in-process C++ IBenchDual of the benchmark.
// And the C++ client's late-bound loops (TL_LoopInvoke*), usable on any IDispatch that has Nothing/Work/Mix.
#include "testlib_internal.h"
#include "benchdual.h"
#include "nativedual.h"
#include "../common/bench_dual.h"
#include <new>

namespace {

volatile LONG g_dualLive = 0;  // this file's live objects: NativeDual, ItemEnum, BenchDual, their factories

// This file's objects (and its class factories) count in TL_DualLiveObjects and in TL_LiveObjects.
void CountDual(LONG delta) {
    InterlockedExchangeAdd(&g_dualLive, delta);
    TL_CountObject(delta);
}
void Born() { CountDual(+1); }
void Died() { CountDual(-1); }

nativedisp::TypeInfoHolder g_nativeDualInfo{&IID_INativeDual, 1};
nativedisp::TypeInfoHolder g_nativeDualClassInfo{&CLSID_NativeDual, 1};
nativedisp::TypeInfoHolder g_benchDualInfo{&IID_IBenchDual, 2};

// What NativeDual.Fail returns: MAKE_HRESULT(SEVERITY_ERROR, FACILITY_ITF, 0x200). Through Invoke it becomes
// DISP_E_EXCEPTION with EXCEPINFO.scode = this.
const HRESULT kFailHr = (HRESULT)0x80040200L;
const wchar_t kSource[] = L"NativeDual";
const wchar_t kFailDescription[] = L"NativeDual.Fail failed as asked";
const wchar_t kBadIndexDescription[] = L"NativeDual.Item: index out of range (0..2)";
const wchar_t *const kItems[] = {L"item0", L"item1", L"item2"};
const LONG kItemCount = 3;

// A BSTR copy of a BSTR (a NULL BSTR is ""); NULL only on E_OUTOFMEMORY.
BSTR CopyBstr(BSTR s) { return SysAllocStringLen(s, SysStringLen(s)); }

// ---------------------------------------------------------------------------------------------------------------
// IEnumVARIANT over the three items (VT_BSTR), from position `pos`.
class ItemEnum final : public IEnumVARIANT {
public:
    explicit ItemEnum(LONG pos) : m_ref(1), m_pos(pos) {
        InitializeSRWLock(&m_lock);
        Born();
    }

    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override {
        if (!ppv) return E_POINTER;
        if (IsEqualIID(riid, IID_IUnknown) || IsEqualIID(riid, IID_IEnumVARIANT)) {
            AddRef();
            *ppv = static_cast<IEnumVARIANT *>(this);
            return S_OK;
        }
        *ppv = nullptr;
        return E_NOINTERFACE;
    }
    ULONG STDMETHODCALLTYPE AddRef() override { return (ULONG)InterlockedIncrement(&m_ref); }
    ULONG STDMETHODCALLTYPE Release() override {
        LONG r = InterlockedDecrement(&m_ref);
        if (r == 0) delete this;
        return (ULONG)r;
    }

    // S_OK when celt items were written, S_FALSE when fewer (the end); *fetched may be NULL only for celt == 1.
    HRESULT STDMETHODCALLTYPE Next(ULONG celt, VARIANT *items, ULONG *fetched) override {
        if (fetched) *fetched = 0;
        if (!items) return E_POINTER;
        if (celt > 1 && !fetched) return E_INVALIDARG;
        AcquireSRWLockExclusive(&m_lock);
        ULONG got = 0;
        HRESULT hr = S_OK;
        while (got < celt && m_pos < kItemCount) {
            BSTR s = SysAllocString(kItems[m_pos]);
            if (!s) {
                hr = E_OUTOFMEMORY;
                break;
            }
            VariantInit(&items[got]);
            V_VT(&items[got]) = VT_BSTR;
            V_BSTR(&items[got]) = s;
            ++got;
            ++m_pos;
        }
        if (FAILED(hr)) {  // give back what was written: nothing is handed out on failure
            m_pos -= (LONG)got;
            for (ULONG i = 0; i < got; ++i) VariantClear(&items[i]);
            got = 0;
        }
        ReleaseSRWLockExclusive(&m_lock);
        if (FAILED(hr)) return hr;
        if (fetched) *fetched = got;
        return got == celt ? S_OK : S_FALSE;
    }
    HRESULT STDMETHODCALLTYPE Skip(ULONG celt) override {
        AcquireSRWLockExclusive(&m_lock);
        ULONG left = (ULONG)(kItemCount - m_pos);
        ULONG step = celt < left ? celt : left;
        m_pos += (LONG)step;
        ReleaseSRWLockExclusive(&m_lock);
        return step == celt ? S_OK : S_FALSE;
    }
    HRESULT STDMETHODCALLTYPE Reset() override {
        AcquireSRWLockExclusive(&m_lock);
        m_pos = 0;
        ReleaseSRWLockExclusive(&m_lock);
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE Clone(IEnumVARIANT **out) override {
        if (!out) return E_POINTER;
        AcquireSRWLockShared(&m_lock);
        LONG pos = m_pos;
        ReleaseSRWLockShared(&m_lock);
        *out = new (std::nothrow) ItemEnum(pos);
        return *out ? S_OK : E_OUTOFMEMORY;
    }

private:
    ~ItemEnum() { Died(); }
    volatile LONG m_ref;
    LONG m_pos;
    SRWLOCK m_lock;
};

// ---------------------------------------------------------------------------------------------------------------
// NativeDual: INativeDual (dual) + ISupportErrorInfo + IProvideClassInfo. No aggregation.
class NativeDual final : public nativedisp::DispatchImpl<INativeDual>, public ISupportErrorInfo,
                         public IProvideClassInfo {
public:
    NativeDual() : nativedisp::DispatchImpl<INativeDual>(g_nativeDualInfo), m_ref(1) {
        InitializeSRWLock(&m_lock);
        m_name = SysAllocString(L"native");
        Born();
    }
    bool Ok() const { return m_name != nullptr; }

    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override {
        if (!ppv) return E_POINTER;
        IUnknown *p;
        if (IsEqualIID(riid, IID_IUnknown) || IsEqualIID(riid, IID_IDispatch) || IsEqualIID(riid, IID_INativeDual))
            p = static_cast<INativeDual *>(this);
        else if (IsEqualIID(riid, IID_ISupportErrorInfo)) p = static_cast<ISupportErrorInfo *>(this);
        else if (IsEqualIID(riid, IID_IProvideClassInfo)) p = static_cast<IProvideClassInfo *>(this);
        else {
            *ppv = nullptr;
            return E_NOINTERFACE;
        }
        p->AddRef();
        *ppv = p;
        return S_OK;
    }
    ULONG STDMETHODCALLTYPE AddRef() override { return (ULONG)InterlockedIncrement(&m_ref); }
    ULONG STDMETHODCALLTYPE Release() override {
        LONG r = InterlockedDecrement(&m_ref);
        if (r == 0) delete this;
        return (ULONG)r;
    }

    // INativeDual
    HRESULT STDMETHODCALLTYPE get_Name(BSTR *value) override {
        if (!value) return E_POINTER;
        AcquireSRWLockShared(&m_lock);
        *value = CopyBstr(m_name);
        ReleaseSRWLockShared(&m_lock);
        return *value ? S_OK : E_OUTOFMEMORY;
    }
    HRESULT STDMETHODCALLTYPE put_Name(BSTR value) override {
        BSTR copy = CopyBstr(value);
        if (!copy) return E_OUTOFMEMORY;
        AcquireSRWLockExclusive(&m_lock);
        BSTR old = m_name;
        m_name = copy;
        ReleaseSRWLockExclusive(&m_lock);
        SysFreeString(old);
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE Greet(BSTR who, BSTR greeting, BSTR *result) override {
        if (!result) return E_POINTER;
        UINT g = SysStringLen(greeting), w = SysStringLen(who);
        BSTR out = SysAllocStringLen(nullptr, g + 2 + w);
        if (!out) return E_OUTOFMEMORY;
        if (g) CopyMemory(out, greeting, g * sizeof(OLECHAR));
        out[g] = L',';
        out[g + 1] = L' ';
        if (w) CopyMemory(out + g + 2, who, w * sizeof(OLECHAR));
        *result = out;
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE Swap(VARIANT *a, VARIANT *b) override {
        if (!a || !b) return E_POINTER;
        VARIANT t = *a;  // moves: each VARIANT keeps owning exactly what it held, in the other place
        *a = *b;
        *b = t;
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE Bump(LONG *value) override {
        if (!value) return E_POINTER;
        ++*value;
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE Fail() override {
        nativedisp::SetError(IID_INativeDual, kSource, kFailDescription);
        return kFailHr;
    }
    HRESULT STDMETHODCALLTYPE HasArg(VARIANT v, VARIANT_BOOL *given) override {
        if (!given) return E_POINTER;
        bool missing = V_VT(&v) == VT_ERROR && V_ERROR(&v) == DISP_E_PARAMNOTFOUND;
        *given = missing ? VARIANT_FALSE : VARIANT_TRUE;
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE get_Count(LONG *count) override {
        if (!count) return E_POINTER;
        *count = kItemCount;
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE get_Item(LONG index, BSTR *item) override {
        if (!item) return E_POINTER;
        *item = nullptr;
        if (index < 0 || index >= kItemCount) {
            nativedisp::SetError(IID_INativeDual, kSource, kBadIndexDescription);
            return DISP_E_BADINDEX;
        }
        *item = SysAllocString(kItems[index]);
        return *item ? S_OK : E_OUTOFMEMORY;
    }
    HRESULT STDMETHODCALLTYPE get__NewEnum(IUnknown **enumerator) override {
        if (!enumerator) return E_POINTER;
        *enumerator = new (std::nothrow) ItemEnum(0);
        return *enumerator ? S_OK : E_OUTOFMEMORY;
    }

    // ISupportErrorInfo
    HRESULT STDMETHODCALLTYPE InterfaceSupportsErrorInfo(REFIID riid) override {
        return IsEqualIID(riid, IID_INativeDual) ? S_OK : S_FALSE;
    }

    // IProvideClassInfo: the coclass NativeDual's ITypeInfo.
    HRESULT STDMETHODCALLTYPE GetClassInfo(ITypeInfo **out) override {
        if (!out) return E_POINTER;
        *out = nullptr;
        ITypeInfo *ti = nullptr;
        HRESULT hr = g_nativeDualClassInfo.Get(&ti);
        if (FAILED(hr)) return hr;
        ti->AddRef();
        *out = ti;
        return S_OK;
    }

private:
    ~NativeDual() {
        SysFreeString(m_name);
        Died();
    }
    volatile LONG m_ref;
    SRWLOCK m_lock;
    BSTR m_name;
};

HRESULT CreateNativeDual(IUnknown *outer, REFIID riid, void **ppv) {
    if (!ppv) return E_POINTER;
    *ppv = nullptr;
    if (outer) return CLASS_E_NOAGGREGATION;
    NativeDual *o = new (std::nothrow) NativeDual();
    if (!o) return E_OUTOFMEMORY;
    HRESULT hr = o->Ok() ? o->QueryInterface(riid, ppv) : E_OUTOFMEMORY;
    o->Release();
    return hr;
}

// ---------------------------------------------------------------------------------------------------------------
// BenchDual: the shared IBenchDual object (common/bench_dual.h) with this DLL's type library and counts.
struct DllDualTraits {
    static nativedisp::TypeInfoHolder &TypeInfo() { return g_benchDualInfo; }
    static void Created() { Born(); }
    static void Destroyed() { Died(); }
};
using BenchDual = benchdual::BenchDualObject<DllDualTraits>;

HRESULT CreateBenchDual(IUnknown *outer, REFIID riid, void **ppv) {
    if (!ppv) return E_POINTER;
    *ppv = nullptr;
    if (outer) return CLASS_E_NOAGGREGATION;
    BenchDual *o = new (std::nothrow) BenchDual();
    if (!o) return E_OUTOFMEMORY;
    HRESULT hr = o->QueryInterface(riid, ppv);
    o->Release();
    return hr;
}

HRESULT CreateFactory(TL_CreateFn create, REFIID riid, void **ppv) {
    return TL_CreateFactory(create, CountDual, riid, ppv);
}

}  // namespace

HRESULT TL_DualGetClassObject(REFCLSID rclsid, REFIID riid, void **ppv) {
    if (IsEqualCLSID(rclsid, CLSID_TL_BenchDual)) return CreateFactory(CreateBenchDual, riid, ppv);
    if (IsEqualCLSID(rclsid, CLSID_NativeDual)) return CreateFactory(CreateNativeDual, riid, ppv);
    if (ppv) *ppv = nullptr;
    return CLASS_E_CLASSNOTAVAILABLE;
}

// ---------------------------------------------------------------------------------------------------------------
// Exports

TL_API HRESULT TL_CreateNativeDual(const GUID *riid, void **ppv) {
    if (!ppv) return E_POINTER;
    if (!riid) { *ppv = nullptr; return E_INVALIDARG; }
    return CreateNativeDual(nullptr, *riid, ppv);
}

TL_API HRESULT TL_CreateBenchDual(const GUID *riid, void **ppv) {
    if (!ppv) return E_POINTER;
    if (!riid) { *ppv = nullptr; return E_INVALIDARG; }
    return CreateBenchDual(nullptr, *riid, ppv);
}

TL_API HRESULT TL_CreateBenchDualFactory(const GUID *riid, void **ppv) {
    if (!ppv) return E_POINTER;
    if (!riid) { *ppv = nullptr; return E_INVALIDARG; }
    return CreateFactory(CreateBenchDual, *riid, ppv);
}

TL_API LONG TL_DualLiveObjects(void) { return InterlockedCompareExchange(&g_dualLive, 0, 0); }

// Late-bound loops: GetIDsOfNames once, then n Invokes, each result checked (common/bench_dual.h).
TL_API HRESULT TL_LoopInvokeNothing(void *dispatch, LONG64 n) {
    if (!dispatch) return E_POINTER;
    IDispatch *d = static_cast<IDispatch *>(dispatch);
    DISPID id = DISPID_UNKNOWN;
    HRESULT hr = benchdual::GetDispid(d, L"Nothing", &id);
    for (LONG64 i = 0; i < n && SUCCEEDED(hr); ++i) hr = benchdual::InvokeNothing(d, id);
    return hr;
}

TL_API HRESULT TL_LoopInvokeWork(void *dispatch, LONG64 n, LONG w, LONG *lastSum) {
    if (!dispatch) return E_POINTER;
    IDispatch *d = static_cast<IDispatch *>(dispatch);
    DISPID id = DISPID_UNKNOWN;
    HRESULT hr = benchdual::GetDispid(d, L"Work", &id);
    ULONG64 total = 0;  // the expected sum (bench_work.h's contract)
    for (LONG i = 0; i < w; ++i) total += (ULONG64)(ULONG)i;
    const LONG want = (LONG)(total % 0x80000000ULL);
    LONG sum = 0;
    for (LONG64 i = 0; i < n && SUCCEEDED(hr); ++i) {
        hr = benchdual::InvokeWork(d, id, w, &sum);
        if (SUCCEEDED(hr) && sum != want) hr = E_UNEXPECTED;
    }
    if (lastSum) *lastSum = sum;
    return hr;
}

TL_API HRESULT TL_LoopInvokeMix(void *dispatch, LONG64 n) {
    if (!dispatch) return E_POINTER;
    IDispatch *d = static_cast<IDispatch *>(dispatch);
    DISPID id = DISPID_UNKNOWN;
    HRESULT hr = benchdual::GetDispid(d, L"Mix", &id);
    for (LONG64 i = 0; i < n && SUCCEEDED(hr); ++i) hr = benchdual::InvokeMix(d, id, L"abc", 7, 2.5, L"abc:7:2.5");
    return hr;
}
