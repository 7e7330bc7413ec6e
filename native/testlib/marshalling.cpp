// The C++ counterparts of issue 7's marshalling benchmarks (API: testlib_api.h): an agile object (aggregates the
// free-threaded marshaler), a marshal-by-value object with its unmarshal class, and the native loops that drive
// proxies, the GIT and marshal/unmarshal round trips. The by-value payload uses the same layout as the Python
// side (ole32_bindings.objref.byvalue: "PYMV", version 1, name, state) under its own unmarshaler CLSID.
#include "testlib_internal.h"
#include <new>
#include <cstring>

namespace {

// ---------------------------------------------------------------------------------------------------------------
// AgileTarget: IPersist; IMarshal comes from the aggregated FTM (created with this object as its outer).
class AgileTarget final : public IPersist {
public:
    AgileTarget() : m_ref(1), m_ftm(nullptr) { TL_CountObject(1); }
    HRESULT Init() { return CoCreateFreeThreadedMarshaler(static_cast<IUnknown *>(this), &m_ftm); }

    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override {
        if (!ppv) return E_POINTER;
        if (IsEqualIID(riid, IID_IUnknown) || IsEqualIID(riid, IID_IPersist)) {
            AddRef();
            *ppv = static_cast<IPersist *>(this);
            return S_OK;
        }
        if (IsEqualIID(riid, IID_IMarshal) && m_ftm) return m_ftm->QueryInterface(riid, ppv);
        *ppv = nullptr;
        return E_NOINTERFACE;
    }
    ULONG STDMETHODCALLTYPE AddRef() override { return (ULONG)InterlockedIncrement(&m_ref); }
    ULONG STDMETHODCALLTYPE Release() override {
        LONG r = InterlockedDecrement(&m_ref);
        if (r == 0) {
            m_ref = 1;  // stabilise while the FTM goes
            delete this;
        }
        return (ULONG)r;
    }
    HRESULT STDMETHODCALLTYPE GetClassID(CLSID *clsid) override {
        if (!clsid) return E_POINTER;
        *clsid = CLSID_TL_AgileTarget;
        return S_OK;
    }

private:
    ~AgileTarget() {
        if (m_ftm) m_ftm->Release();
        TL_CountObject(-1);
    }
    volatile LONG m_ref;
    IUnknown *m_ftm;
};

// ---------------------------------------------------------------------------------------------------------------
// The by-value payload.
const char kName[] = "ole32_bindings.tests.CppPoint";
const ULONG kNameLen = sizeof kName - 1;
const ULONG kStateLen = 12;  // x, y, pid
const ULONG kPayloadLen = 8 + kNameLen + 4 + kStateLen;

HRESULT WriteAll(IStream *s, const void *p, ULONG n) {
    ULONG done = 0;
    HRESULT hr = s->Write(p, n, &done);
    if (SUCCEEDED(hr) && done != n) hr = STG_E_MEDIUMFULL;
    return hr;
}

HRESULT ReadAll(IStream *s, void *p, ULONG n) {
    ULONG done = 0;
    HRESULT hr = s->Read(p, n, &done);
    if (SUCCEEDED(hr) && done != n) hr = RPC_E_INVALID_OBJREF;
    return hr;
}

// Reads one payload; the stream ends right after it.
HRESULT ReadPayload(IStream *s, LONG state[3]) {
    unsigned char head[8];
    HRESULT hr = ReadAll(s, head, sizeof head);
    if (FAILED(hr)) return hr;
    USHORT version, nameLen;
    memcpy(&version, head + 4, 2);
    memcpy(&nameLen, head + 6, 2);
    if (memcmp(head, "PYMV", 4) != 0 || version != 1 || nameLen != kNameLen) return RPC_E_INVALID_OBJREF;
    char name[sizeof kName];
    if (FAILED(hr = ReadAll(s, name, kNameLen))) return hr;
    if (memcmp(name, kName, kNameLen) != 0) return CLASS_E_CLASSNOTAVAILABLE;
    ULONG stateLen;
    if (FAILED(hr = ReadAll(s, &stateLen, 4))) return hr;
    if (stateLen != kStateLen) return RPC_E_INVALID_OBJREF;
    return ReadAll(s, state, kStateLen);
}

// Point: IPersist + IMarshal (by value). Also used as the unmarshaler (its UnmarshalInterface makes a new Point).
class Point final : public IPersist, public IMarshal {
public:
    Point(LONG x, LONG y, LONG pid) : m_ref(1) {
        m_state[0] = x; m_state[1] = y; m_state[2] = pid;
        TL_CountObject(1);
    }

    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override {
        if (!ppv) return E_POINTER;
        if (IsEqualIID(riid, IID_IUnknown) || IsEqualIID(riid, IID_IPersist)) *ppv = static_cast<IPersist *>(this);
        else if (IsEqualIID(riid, IID_IMarshal)) *ppv = static_cast<IMarshal *>(this);
        else { *ppv = nullptr; return E_NOINTERFACE; }
        AddRef();
        return S_OK;
    }
    ULONG STDMETHODCALLTYPE AddRef() override { return (ULONG)InterlockedIncrement(&m_ref); }
    ULONG STDMETHODCALLTYPE Release() override {
        LONG r = InterlockedDecrement(&m_ref);
        if (r == 0) delete this;
        return (ULONG)r;
    }
    HRESULT STDMETHODCALLTYPE GetClassID(CLSID *clsid) override {
        if (!clsid) return E_POINTER;
        *clsid = CLSID_TL_ByValueUnmarshaler;
        return S_OK;
    }

    // IMarshal, marshal side
    HRESULT STDMETHODCALLTYPE GetUnmarshalClass(REFIID, void *, DWORD, void *, DWORD, CLSID *cid) override {
        if (!cid) return E_POINTER;
        *cid = CLSID_TL_ByValueUnmarshaler;
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE GetMarshalSizeMax(REFIID riid, void *, DWORD, void *, DWORD, DWORD *size) override {
        if (!size) return E_POINTER;
        if (!IsEqualIID(riid, IID_IUnknown) && !IsEqualIID(riid, IID_IPersist)) return E_NOINTERFACE;
        *size = kPayloadLen;
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE MarshalInterface(IStream *s, REFIID riid, void *, DWORD, void *, DWORD) override {
        if (!s) return E_POINTER;
        if (!IsEqualIID(riid, IID_IUnknown) && !IsEqualIID(riid, IID_IPersist)) return E_NOINTERFACE;
        unsigned char buf[kPayloadLen];
        USHORT version = 1, nameLen = (USHORT)kNameLen;
        ULONG stateLen = kStateLen;
        memcpy(buf, "PYMV", 4);
        memcpy(buf + 4, &version, 2);
        memcpy(buf + 6, &nameLen, 2);
        memcpy(buf + 8, kName, kNameLen);
        memcpy(buf + 8 + kNameLen, &stateLen, 4);
        memcpy(buf + 12 + kNameLen, m_state, kStateLen);
        return WriteAll(s, buf, kPayloadLen);
    }
    // IMarshal, unmarshal side (this instance is the unmarshaler the runtime created)
    HRESULT STDMETHODCALLTYPE UnmarshalInterface(IStream *s, REFIID riid, void **ppv) override {
        if (!ppv) return E_POINTER;
        *ppv = nullptr;
        if (!s) return E_POINTER;
        LONG state[3];
        HRESULT hr = ReadPayload(s, state);
        if (FAILED(hr)) return hr;
        Point *copy = new (std::nothrow) Point(state[0], state[1], state[2]);
        if (!copy) return E_OUTOFMEMORY;
        hr = copy->QueryInterface(riid, ppv);
        copy->Release();
        return hr;
    }
    HRESULT STDMETHODCALLTYPE ReleaseMarshalData(IStream *s) override {
        LONG state[3];
        return s ? ReadPayload(s, state) : E_POINTER;
    }
    HRESULT STDMETHODCALLTYPE DisconnectObject(DWORD) override { return S_OK; }

private:
    ~Point() { TL_CountObject(-1); }
    volatile LONG m_ref;
    LONG m_state[3];
};

class UnmarshalerFactory final : public IClassFactory {
public:
    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override {
        if (!ppv) return E_POINTER;
        if (IsEqualIID(riid, IID_IUnknown) || IsEqualIID(riid, IID_IClassFactory)) {
            *ppv = static_cast<IClassFactory *>(this);
            return S_OK;
        }
        *ppv = nullptr;
        return E_NOINTERFACE;
    }
    ULONG STDMETHODCALLTYPE AddRef() override { return 2; }   // a static object
    ULONG STDMETHODCALLTYPE Release() override { return 1; }
    HRESULT STDMETHODCALLTYPE CreateInstance(IUnknown *outer, REFIID riid, void **ppv) override {
        if (!ppv) return E_POINTER;
        *ppv = nullptr;
        if (outer) return CLASS_E_NOAGGREGATION;
        Point *p = new (std::nothrow) Point(0, 0, 0);
        if (!p) return E_OUTOFMEMORY;
        HRESULT hr = p->QueryInterface(riid, ppv);
        p->Release();
        return hr;
    }
    HRESULT STDMETHODCALLTYPE LockServer(BOOL) override { return S_OK; }
};

UnmarshalerFactory g_unmarshalerFactory;

}  // namespace

TL_API HRESULT TL_CreateAgileTarget(const GUID *riid, void **ppv) {
    if (!ppv) return E_POINTER;
    *ppv = nullptr;
    AgileTarget *t = new (std::nothrow) AgileTarget();
    if (!t) return E_OUTOFMEMORY;
    HRESULT hr = t->Init();
    if (SUCCEEDED(hr)) hr = t->QueryInterface(*riid, ppv);
    t->Release();
    return hr;
}

TL_API HRESULT TL_CreateByValuePoint(LONG x, LONG y, const GUID *riid, void **ppv) {
    if (!ppv) return E_POINTER;
    *ppv = nullptr;
    Point *p = new (std::nothrow) Point(x, y, (LONG)GetCurrentProcessId());
    if (!p) return E_OUTOFMEMORY;
    HRESULT hr = p->QueryInterface(*riid, ppv);
    p->Release();
    return hr;
}

TL_API HRESULT TL_RegisterByValueUnmarshaler(DWORD *cookie) {
    if (!cookie) return E_POINTER;
    return CoRegisterClassObject(CLSID_TL_ByValueUnmarshaler, &g_unmarshalerFactory, CLSCTX_INPROC_SERVER,
                                 REGCLS_MULTIPLEUSE, cookie);
}

TL_API HRESULT TL_RevokeByValueUnmarshaler(DWORD cookie) { return CoRevokeClassObject(cookie); }

TL_API HRESULT TL_LoopGetClassID(void *unk, LONG64 n) {
    if (!unk) return E_POINTER;
    IPersist *p = nullptr;
    HRESULT hr = static_cast<IUnknown *>(unk)->QueryInterface(IID_IPersist, reinterpret_cast<void **>(&p));
    if (FAILED(hr)) return hr;
    CLSID id;
    for (LONG64 i = 0; i < n && SUCCEEDED(hr); ++i) hr = p->GetClassID(&id);
    p->Release();
    return hr;
}

TL_API HRESULT TL_LoopGitFetchCall(DWORD cookie, LONG64 n) {
    IGlobalInterfaceTable *git = nullptr;
    HRESULT hr = CoCreateInstance(CLSID_StdGlobalInterfaceTable, nullptr, CLSCTX_INPROC_SERVER,
                                  IID_IGlobalInterfaceTable, reinterpret_cast<void **>(&git));
    if (FAILED(hr)) return hr;
    CLSID id;
    for (LONG64 i = 0; i < n && SUCCEEDED(hr); ++i) {
        IPersist *p = nullptr;
        hr = git->GetInterfaceFromGlobal(cookie, IID_IPersist, reinterpret_cast<void **>(&p));
        if (FAILED(hr)) break;
        hr = p->GetClassID(&id);
        p->Release();
    }
    git->Release();
    return hr;
}

TL_API HRESULT TL_LoopMarshalRoundTrip(void *unk, const GUID *riid, DWORD dest, LONG64 n) {
    if (!unk || !riid) return E_POINTER;
    IStream *s = nullptr;
    HRESULT hr = CreateStreamOnHGlobal(nullptr, TRUE, &s);
    if (FAILED(hr)) return hr;
    LARGE_INTEGER zero;
    zero.QuadPart = 0;
    for (LONG64 i = 0; i < n && SUCCEEDED(hr); ++i) {
        hr = s->Seek(zero, STREAM_SEEK_SET, nullptr);
        if (SUCCEEDED(hr)) hr = CoMarshalInterface(s, *riid, static_cast<IUnknown *>(unk), dest, nullptr,
                                                   MSHLFLAGS_NORMAL);
        if (SUCCEEDED(hr)) hr = s->Seek(zero, STREAM_SEEK_SET, nullptr);
        IUnknown *back = nullptr;
        if (SUCCEEDED(hr)) hr = CoUnmarshalInterface(s, *riid, reinterpret_cast<void **>(&back));
        if (back) back->Release();
    }
    s->Release();
    return hr;
}
