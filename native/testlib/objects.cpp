// COM objects of the test DLL: the bench target (aggregatable), its class factory, the aggregating outer, the
// in-process server entry points, raw passthrough calls and the error-info probe. API: testlib_api.h.
#include "testlib_internal.h"
#include "../common/bench_work.h"
#include <new>

namespace {

volatile LONG g_liveObjects = 0;  // bench targets + factories + outers alive
volatile LONG g_serverLocks = 0;  // IClassFactory::LockServer(TRUE) count

// ---------------------------------------------------------------------------------------------------------------
// BenchTarget: IBenchTarget + IPersist, delegating to m_outer (the aggregator, or its own non-delegating unknown).
class BenchTarget final : public IBenchTarget, public IPersist {
public:
    explicit BenchTarget(IUnknown *outer) : m_inner(this), m_outer(outer ? outer : &m_inner), m_ref(1) {
        InterlockedIncrement(&g_liveObjects);
    }
    // The non-delegating IUnknown; created with one reference on it.
    IUnknown *NonDelegating() { return &m_inner; }

    // Delegating IUnknown (for IBenchTarget and IPersist).
    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override {
        return m_outer->QueryInterface(riid, ppv);
    }
    ULONG STDMETHODCALLTYPE AddRef() override { return m_outer->AddRef(); }
    ULONG STDMETHODCALLTYPE Release() override { return m_outer->Release(); }

    // IBenchTarget
    HRESULT STDMETHODCALLTYPE Nothing() override { return S_OK; }
    HRESULT STDMETHODCALLTYPE Work(LONG n, LONG *sum) override;

    // IPersist
    HRESULT STDMETHODCALLTYPE GetClassID(CLSID *clsid) override {
        if (!clsid) return E_POINTER;
        *clsid = CLSID_TL_BenchTarget;
        return S_OK;
    }

private:
    struct Inner final : public IUnknown {
        explicit Inner(BenchTarget *owner) : m_owner(owner) {}
        HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override {
            if (!ppv) return E_POINTER;
            IUnknown *p;
            if (IsEqualIID(riid, IID_IUnknown)) p = this;
            else if (IsEqualIID(riid, IID_IBenchTarget)) p = static_cast<IBenchTarget *>(m_owner);
            else if (IsEqualIID(riid, IID_IPersist)) p = static_cast<IPersist *>(m_owner);
            else { *ppv = nullptr; return E_NOINTERFACE; }
            p->AddRef();  // on `this`: own count; on the others: the controlling unknown's count
            *ppv = p;
            return S_OK;
        }
        ULONG STDMETHODCALLTYPE AddRef() override { return (ULONG)InterlockedIncrement(&m_owner->m_ref); }
        ULONG STDMETHODCALLTYPE Release() override {
            LONG r = InterlockedDecrement(&m_owner->m_ref);
            if (r == 0) delete m_owner;
            return (ULONG)r;
        }
        BenchTarget *m_owner;
    };

    ~BenchTarget() { InterlockedDecrement(&g_liveObjects); }

    Inner m_inner;
    IUnknown *m_outer;
    volatile LONG m_ref;
};

HRESULT BenchTarget::Work(LONG n, LONG *sum) { return BenchWork(n, sum); }

HRESULT CreateBenchTarget(IUnknown *outer, REFIID riid, void **ppv) {
    if (!ppv) return E_POINTER;
    *ppv = nullptr;
    if (outer && !IsEqualIID(riid, IID_IUnknown)) return CLASS_E_NOAGGREGATION;
    BenchTarget *t = new (std::nothrow) BenchTarget(outer);
    if (!t) return E_OUTOFMEMORY;
    IUnknown *nd = t->NonDelegating();
    HRESULT hr = nd->QueryInterface(riid, ppv);
    nd->Release();  // drops the creation reference; frees t if QueryInterface failed
    return hr;
}

// ---------------------------------------------------------------------------------------------------------------
// A class factory over a create function; `count` (+1 made, -1 destroyed) is the live count it belongs to.
// LockServer counts a DLL lock (DllCanUnloadNow). Every class factory of this DLL is one of these.
class ClassFactory final : public IClassFactory {
public:
    ClassFactory(TL_CreateFn create, void (*count)(LONG)) : m_ref(1), m_create(create), m_count(count) {
        count(+1);
    }

    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override {
        if (!ppv) return E_POINTER;
        if (IsEqualIID(riid, IID_IUnknown) || IsEqualIID(riid, IID_IClassFactory)) {
            AddRef();
            *ppv = static_cast<IClassFactory *>(this);
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
    HRESULT STDMETHODCALLTYPE CreateInstance(IUnknown *outer, REFIID riid, void **ppv) override {
        return m_create(outer, riid, ppv);
    }
    HRESULT STDMETHODCALLTYPE LockServer(BOOL lock) override {
        if (lock) InterlockedIncrement(&g_serverLocks);
        else InterlockedDecrement(&g_serverLocks);
        return S_OK;
    }

private:
    ~ClassFactory() { m_count(-1); }
    volatile LONG m_ref;
    TL_CreateFn m_create;
    void (*m_count)(LONG);
};

HRESULT CreateClassFactory(REFIID riid, void **ppv) {
    return TL_CreateFactory(CreateBenchTarget, TL_CountObject, riid, ppv);
}

// ---------------------------------------------------------------------------------------------------------------
// Outer: IPersist (its IUnknown is the controlling unknown); everything else goes to the inner (blind aggregation).
class Outer final : public IPersist {
public:
    Outer() : m_ref(1), m_inner(nullptr) { InterlockedIncrement(&g_liveObjects); }

    // Called while the creator holds the construction reference (m_ref == 1), so the inner's AddRef/Release
    // pairs on us during its creation cannot destroy us.
    HRESULT Init(IClassFactory *innerFactory) {
        return innerFactory->CreateInstance(static_cast<IUnknown *>(this), IID_IUnknown,
                                            reinterpret_cast<void **>(&m_inner));
    }

    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override {
        if (!ppv) return E_POINTER;
        if (IsEqualIID(riid, IID_IUnknown) || IsEqualIID(riid, IID_IPersist)) {
            AddRef();
            *ppv = static_cast<IPersist *>(this);
            return S_OK;
        }
        if (m_inner) return m_inner->QueryInterface(riid, ppv);
        *ppv = nullptr;
        return E_NOINTERFACE;
    }
    ULONG STDMETHODCALLTYPE AddRef() override { return (ULONG)InterlockedIncrement(&m_ref); }
    ULONG STDMETHODCALLTYPE Release() override {
        LONG r = InterlockedDecrement(&m_ref);
        if (r == 0) {
            m_ref = 1;  // stabilise: the inner's teardown may AddRef/Release us
            delete this;
        }
        return (ULONG)r;
    }
    HRESULT STDMETHODCALLTYPE GetClassID(CLSID *clsid) override {
        if (!clsid) return E_POINTER;
        *clsid = CLSID_TL_Outer;
        return S_OK;
    }

private:
    ~Outer() {
        if (m_inner) m_inner->Release();
        InterlockedDecrement(&g_liveObjects);
    }
    volatile LONG m_ref;
    IUnknown *m_inner;  // the inner's non-delegating IUnknown
};

void Copy(wchar_t *dst, ULONG len, const wchar_t *src) {
    if (!dst || len == 0) return;
    ULONG i = 0;
    if (src)
        for (; i + 1 < len && src[i]; ++i) dst[i] = src[i];
    dst[i] = L'\0';
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// Exports

TL_API HRESULT TL_CreateBenchTarget(void *outer, const GUID *riid, void **ppv) {
    if (!ppv) return E_POINTER;
    if (!riid) { *ppv = nullptr; return E_INVALIDARG; }
    return CreateBenchTarget(static_cast<IUnknown *>(outer), *riid, ppv);
}

void TL_CountObject(LONG delta) { InterlockedExchangeAdd(&g_liveObjects, delta); }

void TL_CountLock(LONG delta) { InterlockedExchangeAdd(&g_serverLocks, delta); }

TL_API LONG TL_LiveObjects(void) { return InterlockedCompareExchange(&g_liveObjects, 0, 0); }

TL_API HRESULT TL_CreateClassFactory(const GUID *riid, void **ppv) {
    if (!ppv) return E_POINTER;
    if (!riid) { *ppv = nullptr; return E_INVALIDARG; }
    return CreateClassFactory(*riid, ppv);
}

extern "C" __declspec(dllexport) HRESULT STDAPICALLTYPE DllGetClassObject(REFCLSID rclsid, REFIID riid, void **ppv) {
    if (!ppv) return E_POINTER;
    *ppv = nullptr;
    if (!IsEqualCLSID(rclsid, CLSID_TL_BenchTarget)) {
        HRESULT hr = TL_DualGetClassObject(rclsid, riid, ppv);
        return hr == CLASS_E_CLASSNOTAVAILABLE ? TL_EventsGetClassObject(rclsid, riid, ppv) : hr;
    }
    return CreateClassFactory(riid, ppv);
}

extern "C" __declspec(dllexport) HRESULT STDAPICALLTYPE DllCanUnloadNow(void) {
    return (InterlockedCompareExchange(&g_liveObjects, 0, 0) == 0 &&
            InterlockedCompareExchange(&g_serverLocks, 0, 0) == 0) ? S_OK : S_FALSE;
}

TL_API HRESULT TL_CreateOuter(void *innerFactory, const GUID *riid, void **ppv) {
    if (!ppv) return E_POINTER;
    *ppv = nullptr;
    if (!innerFactory) return E_POINTER;
    if (!riid) return E_INVALIDARG;
    Outer *o = new (std::nothrow) Outer();
    if (!o) return E_OUTOFMEMORY;
    HRESULT hr = o->Init(static_cast<IClassFactory *>(innerFactory));
    if (SUCCEEDED(hr)) hr = o->QueryInterface(*riid, ppv);
    o->Release();  // drops the construction reference
    return hr;
}

TL_API HRESULT TL_QueryInterface(void *unk, const GUID *riid, void **ppv) {
    if (!unk) {
        if (ppv) *ppv = nullptr;
        return E_POINTER;
    }
    if (!riid) {
        if (ppv) *ppv = nullptr;
        return E_INVALIDARG;
    }
    return static_cast<IUnknown *>(unk)->QueryInterface(*riid, ppv);  // ppv == NULL passes through on purpose
}

TL_API ULONG TL_AddRef(void *unk) { return unk ? static_cast<IUnknown *>(unk)->AddRef() : 0; }

TL_API ULONG TL_Release(void *unk) { return unk ? static_cast<IUnknown *>(unk)->Release() : 0; }

TL_API HRESULT TL_CallNothing(void *benchTarget) {
    if (!benchTarget) return E_POINTER;
    return static_cast<IBenchTarget *>(benchTarget)->Nothing();
}

TL_API HRESULT TL_CallWork(void *benchTarget, LONG n, LONG *sum) {
    if (!benchTarget) return E_POINTER;
    return static_cast<IBenchTarget *>(benchTarget)->Work(n, sum);  // sum == NULL passes through on purpose
}

TL_API HRESULT TL_CallAndGetErrorInfo(void *benchTarget, LONG workN, HRESULT *callHr, wchar_t *desc, ULONG descLen,
                                      wchar_t *source, ULONG sourceLen) {
    Copy(desc, descLen, nullptr);
    Copy(source, sourceLen, nullptr);
    if (callHr) *callHr = S_OK;
    if (!benchTarget) return E_POINTER;
    IBenchTarget *t = static_cast<IBenchTarget *>(benchTarget);
    LONG sum = 0;
    HRESULT hr = t->Work(workN, &sum);
    if (callHr) *callHr = hr;
    if (SUCCEEDED(hr)) return S_FALSE;

    ISupportErrorInfo *sei = nullptr;
    if (FAILED(t->QueryInterface(IID_ISupportErrorInfo, reinterpret_cast<void **>(&sei))) || !sei) return S_FALSE;
    HRESULT supported = sei->InterfaceSupportsErrorInfo(IID_IBenchTarget);
    sei->Release();
    if (supported != S_OK) return S_FALSE;

    IErrorInfo *ei = nullptr;
    HRESULT ghr = GetErrorInfo(0, &ei);
    if (ghr == S_FALSE || (SUCCEEDED(ghr) && !ei)) return S_FALSE;
    if (FAILED(ghr)) return ghr;
    BSTR d = nullptr, s = nullptr;
    HRESULT dhr = ei->GetDescription(&d);
    HRESULT shr = ei->GetSource(&s);
    if (SUCCEEDED(dhr)) Copy(desc, descLen, d);
    if (SUCCEEDED(shr)) Copy(source, sourceLen, s);
    SysFreeString(d);
    SysFreeString(s);
    ei->Release();
    if (FAILED(dhr)) return dhr;
    if (FAILED(shr)) return shr;
    return S_OK;
}

HRESULT TL_CreateFactory(TL_CreateFn create, void (*count)(LONG), REFIID riid, void **ppv) {
    if (!ppv) return E_POINTER;
    *ppv = nullptr;
    ClassFactory *f = new (std::nothrow) ClassFactory(create, count);
    if (!f) return E_OUTOFMEMORY;
    HRESULT hr = f->QueryInterface(riid, ppv);
    f->Release();
    return hr;
}
