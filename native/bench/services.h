// The C++ counterpart of issue 17's services for the bench rows 11a and 11b: object pooling in a class object and a
// just-in-time activation interceptor for IBenchTarget, written the standard way from COM+'s contract (Wine has no
// COM+, so this is what "native" means here). Included by bench_cpp_client.exe (one translation unit).
//
// The contract, as COM+ documents it and ole32_servers.services implements it:
// * Pool(min, max, timeout_ms): `min` objects made up front. Take(): an idle object, else a new one while fewer
//   than `max` exist, else wait up to `timeout_ms` for one to come back, then CO_E_ACTIVATIONFAILED_TIMEOUT.
//   The taken object is activated (IObjectControl::Activate; a failure destroys it: CO_E_ACTIVATIONFAILED).
//   Give back: Deactivate, then CanBePooled: TRUE -> idle again, FALSE -> destroyed. Thread-safe (a critical
//   section and a condition variable).
// * A pooled object leaves the pool with no reference; the taker's QueryInterface gives it its first, and the
//   1 -> 0 transition of its count is its return to the pool (so a client's final Release gives it back).
// * PooledFactory: IClassFactory::CreateInstance = Take + QueryInterface(riid) (refused -> given back at once).
// * JitTarget: the interceptor (IBenchTarget). Each call takes an object from the pool (Activate), calls it, and
//   since its methods are AutoComplete (doneness set on return) gives it back (Deactivate, CanBePooled) before
//   returning. The client holds the interceptor, never the pooled object.
// IObjectControl's three methods are called on the C++ class directly (the pool knows the class), as our Python
// pool calls the Python methods directly.
#pragma once
#include <windows.h>
#include <objbase.h>
#include <vector>
#include "benchtarget.h"
#include "../common/bench_work.h"

#ifndef CO_E_ACTIVATIONFAILED
#define CO_E_ACTIVATIONFAILED ((HRESULT)0x8004E021L)
#endif
#ifndef CO_E_ACTIVATIONFAILED_TIMEOUT
#define CO_E_ACTIVATIONFAILED_TIMEOUT ((HRESULT)0x8004E024L)
#endif

namespace svc {

class Pool;

class PooledTarget final : public IBenchTarget {
public:
    explicit PooledTarget(Pool *pool) : m_ref(0), m_pool(pool) {}

    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override {
        if (!ppv) return E_POINTER;
        if (IsEqualIID(riid, IID_IUnknown) || IsEqualIID(riid, IID_IBenchTarget)) {
            AddRef();
            *ppv = static_cast<IBenchTarget *>(this);
            return S_OK;
        }
        *ppv = nullptr;
        return E_NOINTERFACE;
    }
    ULONG STDMETHODCALLTYPE AddRef() override { return (ULONG)InterlockedIncrement(&m_ref); }
    ULONG STDMETHODCALLTYPE Release() override;  // 1 -> 0: back to the pool

    HRESULT STDMETHODCALLTYPE Nothing() override { return S_OK; }
    HRESULT STDMETHODCALLTYPE Work(LONG n, LONG *sum) override { return BenchWork(n, sum); }

    // IObjectControl
    HRESULT Activate() { ++m_activations; return S_OK; }
    void Deactivate() {}
    BOOL CanBePooled() { return TRUE; }

    long long m_activations = 0;

private:
    friend class Pool;
    ~PooledTarget() = default;
    volatile LONG m_ref;
    Pool *const m_pool;
};

class Pool {
public:
    Pool(ULONG minSize, ULONG maxSize, DWORD timeoutMs) : m_max(maxSize), m_timeout(timeoutMs) {
        InitializeCriticalSection(&m_cs);
        InitializeConditionVariable(&m_cv);
        for (ULONG i = 0; i < minSize; ++i) m_idle.push_back(new PooledTarget(this));
        m_made = (long long)minSize;
    }
    ~Pool() {  // every object must be back (idle) by now
        for (PooledTarget *o : m_idle) delete o;
        DeleteCriticalSection(&m_cs);
    }

    // An activated object with no reference (the caller's QueryInterface gives it its first).
    HRESULT Take(PooledTarget **out) {
        *out = nullptr;
        PooledTarget *obj = nullptr;
        EnterCriticalSection(&m_cs);
        ULONGLONG deadline = GetTickCount64() + m_timeout;
        for (;;) {
            if (!m_idle.empty()) {
                obj = m_idle.back();
                m_idle.pop_back();
                break;
            }
            if ((ULONG)m_made < m_max) {
                ++m_made;
                obj = new PooledTarget(this);
                break;
            }
            ULONGLONG now = GetTickCount64();
            if (now >= deadline) {
                ++m_timeouts;
                LeaveCriticalSection(&m_cs);
                return CO_E_ACTIVATIONFAILED_TIMEOUT;
            }
            ++m_waits;
            SleepConditionVariableCS(&m_cv, &m_cs, (DWORD)(deadline - now));
        }
        ++m_inUse;
        LeaveCriticalSection(&m_cs);
        if (FAILED(obj->Activate())) {
            Destroy(obj);
            return CO_E_ACTIVATIONFAILED;
        }
        *out = obj;
        return S_OK;
    }

    // Back from a taker (its count reached 0): Deactivate, CanBePooled, then idle or destroyed.
    void GiveBack(PooledTarget *obj) {
        obj->Deactivate();
        if (!obj->CanBePooled()) {
            Destroy(obj);
            return;
        }
        EnterCriticalSection(&m_cs);
        --m_inUse;
        m_idle.push_back(obj);
        LeaveCriticalSection(&m_cs);
        WakeConditionVariable(&m_cv);
    }

    long long Made() const { return m_made; }
    long long InUse() const { return m_inUse; }
    size_t Idle() const { return m_idle.size(); }

private:
    void Destroy(PooledTarget *obj) {
        EnterCriticalSection(&m_cs);
        --m_inUse;
        --m_made;
        LeaveCriticalSection(&m_cs);
        WakeConditionVariable(&m_cv);
        delete obj;
    }

    CRITICAL_SECTION m_cs;
    CONDITION_VARIABLE m_cv;
    std::vector<PooledTarget *> m_idle;
    long long m_made = 0;
    long long m_inUse = 0;
    long long m_waits = 0;
    long long m_timeouts = 0;
    const ULONG m_max;
    const DWORD m_timeout;
};

inline ULONG STDMETHODCALLTYPE PooledTarget::Release() {
    LONG r = InterlockedDecrement(&m_ref);
    if (r == 0) m_pool->GiveBack(this);
    return (ULONG)r;
}

// The class object of a pooled class: CreateInstance hands out a pooled object (see the top of the file).
class PooledFactory final : public IClassFactory {
public:
    explicit PooledFactory(Pool *pool) : m_ref(1), m_pool(pool) {}

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
        if (!ppv) return E_POINTER;
        *ppv = nullptr;
        if (outer) return CLASS_E_NOAGGREGATION;
        PooledTarget *obj = nullptr;
        HRESULT hr = m_pool->Take(&obj);
        if (FAILED(hr)) return hr;
        obj->AddRef();  // held while asking, so a refused QueryInterface gives the object back through Release
        hr = obj->QueryInterface(riid, ppv);
        obj->Release();
        return hr;
    }
    HRESULT STDMETHODCALLTYPE LockServer(BOOL) override { return S_OK; }

private:
    ~PooledFactory() = default;
    volatile LONG m_ref;
    Pool *const m_pool;
};

// The just-in-time activation interceptor of a pooled class whose methods are AutoComplete.
class JitTarget final : public IBenchTarget {
public:
    explicit JitTarget(Pool *pool) : m_ref(1), m_pool(pool) {}

    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override {
        if (!ppv) return E_POINTER;
        if (IsEqualIID(riid, IID_IUnknown) || IsEqualIID(riid, IID_IBenchTarget)) {
            AddRef();
            *ppv = static_cast<IBenchTarget *>(this);
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

    HRESULT STDMETHODCALLTYPE Nothing() override {
        PooledTarget *real = nullptr;
        HRESULT hr = Activate(&real);
        if (FAILED(hr)) return hr;
        hr = real->Nothing();
        real->Release();  // AutoComplete: done on return -> Deactivate, CanBePooled, back to the pool
        return hr;
    }
    HRESULT STDMETHODCALLTYPE Work(LONG n, LONG *sum) override {
        PooledTarget *real = nullptr;
        HRESULT hr = Activate(&real);
        if (FAILED(hr)) return hr;
        hr = real->Work(n, sum);
        real->Release();
        return hr;
    }

private:
    HRESULT Activate(PooledTarget **real) {
        HRESULT hr = m_pool->Take(real);
        if (SUCCEEDED(hr)) (*real)->AddRef();
        return hr;
    }
    ~JitTarget() = default;
    volatile LONG m_ref;
    Pool *const m_pool;
};

}  // namespace svc
