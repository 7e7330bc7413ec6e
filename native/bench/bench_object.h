// The C++ IBenchTarget and IBenchDual objects and their class factories, shared by bench_cpp_server.exe and
// bench_cpp_client.exe (each exe is one translation unit that includes this header once).
//
// IBenchTarget : IUnknown, IID {3D840911-8FC7-4C2A-9C7B-05A5F4A82DB5}, declared in benchtarget.idl; the C++
// declaration comes from the widl-generated header benchtarget.h (build/native/).
//   Nothing()        -> S_OK
//   Work(n, &sum)    -> CreateStreamOnHGlobal(NULL, TRUE); one IStream::Write per LONG 0..n-1; seek to 0; one
//                       IStream::Read per value; release; *sum = sum mod 2^31. E_POINTER / E_INVALIDARG (n < 0).
#pragma once
#include <initguid.h>  // the widl header's DEFINE_GUIDs become definitions in this (single) translation unit
#include <windows.h>
#include <objbase.h>
#include <new>
#include "benchtarget.h"
#include "benchdual.h"
#include "../common/bench_work.h"
#include "../common/bench_dual.h"

namespace bench {

// {7C1E5A40-2B3D-4F5E-8A6B-1C2D3E4F5A01}: the C++ LocalServer32 (bench_cpp_server.exe).
const CLSID CLSID_CppBenchServer = {0x7C1E5A40, 0x2B3D, 0x4F5E, {0x8A, 0x6B, 0x1C, 0x2D, 0x3E, 0x4F, 0x5A, 0x01}};
// {7782D954-1218-4973-A2D7-3791F94773C3}: the C++ LocalServer32's IBenchDual class (bench_cpp_server.exe).
const CLSID CLSID_CppBenchDualServer = {0x7782D954, 0x1218, 0x4973, {0xA2, 0xD7, 0x37, 0x91, 0xF9, 0x47, 0x73, 0xC3}};

// The expected Work(n) result, computed the way the contract states it.
inline LONG ExpectedWork(LONG n) {
    ULONG64 total = 0;
    for (LONG i = 0; i < n; ++i) total += (ULONG64)(ULONG)i;
    return (LONG)(total % 0x80000000ULL);
}

// Hooks called when an object is created / destroyed and on IClassFactory::LockServer. The server uses them for
// CoAddRefServerProcess / CoReleaseServerProcess; the client leaves them null.
struct Hooks {
    void (*lock)() = nullptr;
    void (*unlock)() = nullptr;
    bool (*stopping)() = nullptr;  // true once the server has decided to exit
};
inline Hooks g_hooks;

class BenchTarget final : public IBenchTarget {
public:
    // counted: takes a server lock through g_hooks for its lifetime (a StubPin's object is not counted).
    explicit BenchTarget(bool counted = true) : m_ref(1), m_counted(counted) {
        if (m_counted && g_hooks.lock) g_hooks.lock();
    }

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

    HRESULT STDMETHODCALLTYPE Nothing() override { return S_OK; }

    HRESULT STDMETHODCALLTYPE Work(LONG n, LONG *sum) override { return BenchWork(n, sum); }

private:
    ~BenchTarget() {
        if (m_counted && g_hooks.unlock) g_hooks.unlock();
    }
    volatile LONG m_ref;
    const bool m_counted;
};

// IBenchDual (bench_dual.h) in these exes: its type library is the exe's TYPELIB resource 1 (benchdual.rc), and
// each counted object takes a server lock through g_hooks, as BenchTarget does.
inline nativedisp::TypeInfoHolder g_benchDualTypeInfo{&IID_IBenchDual, 1};
struct ExeDualTraits {
    static nativedisp::TypeInfoHolder &TypeInfo() { return g_benchDualTypeInfo; }
    static void Created() {
        if (g_hooks.lock) g_hooks.lock();
    }
    static void Destroyed() {
        if (g_hooks.unlock) g_hooks.unlock();
    }
};
using BenchDual = benchdual::BenchDualObject<ExeDualTraits>;

// A class factory for Object (BenchTarget or BenchDual). No aggregation. Its own lifetime does not keep a server
// alive (the usual rule for exe servers: the registered class object's reference is COM's, not a client's).
template <class Object>
class FactoryOf final : public IClassFactory {
public:
    FactoryOf() : m_ref(1) {}

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
        // A request already on its way when the server decided to exit: refuse it rather than hand out an object
        // the exiting server would cut off (the client then gets CO_E_SERVER_STOPPING, not RPC_E_DISCONNECTED).
        if (g_hooks.stopping && g_hooks.stopping()) return CO_E_SERVER_STOPPING;
        Object *t = new (std::nothrow) Object();
        if (!t) return E_OUTOFMEMORY;
        HRESULT hr = t->QueryInterface(riid, ppv);
        t->Release();  // drops the creation reference; frees t if QueryInterface failed
        return hr;
    }
    HRESULT STDMETHODCALLTYPE LockServer(BOOL lock) override {
        if (lock) {
            if (g_hooks.lock) g_hooks.lock();
        } else {
            if (g_hooks.unlock) g_hooks.unlock();
        }
        return S_OK;
    }

private:
    ~FactoryOf() = default;
    volatile LONG m_ref;
};
using BenchFactory = FactoryOf<BenchTarget>;
using BenchDualFactory = FactoryOf<BenchDual>;

// Wine 8 workaround (harmless elsewhere): keeps the stub of an object, and with it the RPC interface registration
// of each marshaled IID, alive for as long as the pin is held, through a table-strong marshal that is never
// unmarshaled.
//
// Why: when the last stub of an IID in a process goes away (a client's Release of the last object exported with
// that IID, e.g. the class factory proxy CoCreateInstance releases after every activation), Wine's combase calls
// RpcServerUnregisterIf(WaitForCallsToComplete=TRUE) for that IID. Wine 8's rpcrt4 races there with an RPC worker
// thread still finishing the previous call on the same IID (it reads CurrentCalls under a lock, then sets Delete
// and creates CallsCompletedEvent; the worker decrements CurrentCalls and reads Delete/CallsCompletedEvent
// without it): the worker can free the interface without signalling, and the unregistering thread waits forever,
// holding combase's interface-registration lock. Seen here: a server hung in RemRelease -> RpcServerUnregisterIf
// for IID_IClassFactory, its client hung in CoCreateInstance's factory Release. With a pinned stub per IID the
// registration count never drops to zero while clients come and go.
class StubPin {
public:
    HRESULT Add(IUnknown *obj, REFIID iid) {
        if (m_count == kMax) return E_OUTOFMEMORY;
        IStream *s = nullptr;
        HRESULT hr = CreateStreamOnHGlobal(nullptr, TRUE, &s);
        if (FAILED(hr)) return hr;
        hr = CoMarshalInterface(s, iid, obj, MSHCTX_LOCAL, nullptr, MSHLFLAGS_TABLESTRONG);
        if (FAILED(hr)) {
            s->Release();
            return hr;
        }
        m_streams[m_count++] = s;
        return S_OK;
    }
    // Call in the apartment that added them, once no call can be in flight any more.
    void ReleaseAll() {
        while (m_count > 0) {
            IStream *s = m_streams[--m_count];
            LARGE_INTEGER zero;
            zero.QuadPart = 0;
            s->Seek(zero, STREAM_SEEK_SET, nullptr);
            CoReleaseMarshalData(s);
            s->Release();
        }
    }

private:
    static const int kMax = 8;
    IStream *m_streams[kMax] = {};
    int m_count = 0;
};

// "{XXXXXXXX-...}" of a GUID, uppercase, into a 39-char buffer.
inline void GuidToString(const GUID &g, char out[39]) {
    wsprintfA(out, "{%08lX-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}", (unsigned long)g.Data1, g.Data2, g.Data3,
              g.Data4[0], g.Data4[1], g.Data4[2], g.Data4[3], g.Data4[4], g.Data4[5], g.Data4[6], g.Data4[7]);
}
inline void GuidToWString(const GUID &g, wchar_t out[39]) {
    char a[39];
    GuidToString(g, a);
    for (int i = 0; i < 39; ++i) out[i] = (wchar_t)(unsigned char)a[i];
}

}  // namespace bench
