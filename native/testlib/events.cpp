// Events (issue 13; API: testlib_api.h): a native event source written the standard way, from the COM contract,
// as ATL's IConnectionPointContainerImpl / IConnectionPointImpl do it (our own code):
//   NativeEventSource: INativeEventSource (a custom interface),
//     IConnectionPointContainer with two connection points (INativeEvents: vtable calls; DNativeEvents: a pure
//     dispinterface, IDispatch::Invoke calls), IProvideClassInfo2 (coclass NativeEventSource, default source
//     DNativeEvents). Each connection point keeps a small array of sinks; the cookie is the slot number + 1.
//     Firing takes the sinks under the lock (AddRef'd), calls them outside it, in Advise order; a failing sink does
//     not stop the others (counted, its HRESULT kept).
//   EventSink: a C++ sink of both source interfaces (INativeEvents and DNativeEvents' IDispatch), counting what it
//     received; it can be told to fail every event with a given HRESULT.
//   The C++ client: TL_Advise / TL_Unadvise connect any sink to any object's source interface (the real-client
//     checks of the Python event servers), TL_Fire calls INativeEventSource::Fire.
#include "testlib_internal.h"
#include "nativeevents.h"
#include "../common/typeinfo_dispatch.h"
#include <olectl.h>  // CONNECT_E_*
#include <new>

namespace {

volatile LONG g_eventsLive = 0;  // this file's live objects: sources, sinks, enumerators, the source factory

void CountEvents(LONG delta) {
    InterlockedExchangeAdd(&g_eventsLive, delta);
    TL_CountObject(delta);
}

nativedisp::TypeInfoHolder g_sourceClassInfo{&CLSID_NativeEventSource, 3};

// {67E4DFCD-ACC4-4954-B2A4-D00BDE0487B6}: QueryInterface for it on an EventSink gives the EventSink itself
// (not AddRef'd): how TL_EventSinkStats recognises one of ours. Never marshaled.
const IID IID_TL_EventSinkSelf = {0x67E4DFCD, 0xACC4, 0x4954, {0xB2, 0xA4, 0xD0, 0x0B, 0xDE, 0x04, 0x87, 0xB6}};

// ---------------------------------------------------------------------------------------------------------------
// An enumerator over a snapshot (ATL's CComEnum over a copy): IEnumConnectionPoints or IEnumConnections. `Item` is
// what Next writes; Traits::Copy writes an AddRef'd copy, Traits::Drop releases one.
template <class IEnum, class Item, class Traits>
class SnapshotEnum final : public IEnum {
public:
    // Takes a copy of items[0..n) (AddRef'd); NULL on E_OUTOFMEMORY.
    static SnapshotEnum *Make(const Item *items, ULONG n, ULONG pos) {
        SnapshotEnum *e = new (std::nothrow) SnapshotEnum();
        if (!e) return nullptr;
        if (n) {
            e->m_items = new (std::nothrow) Item[n];
            if (!e->m_items) {
                e->Release();
                return nullptr;
            }
            for (ULONG i = 0; i < n; ++i) Traits::Copy(&e->m_items[i], items[i]);
        }
        e->m_count = n;
        e->m_pos = pos;
        return e;
    }

    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override {
        if (!ppv) return E_POINTER;
        if (IsEqualIID(riid, IID_IUnknown) || IsEqualIID(riid, __uuidof(IEnum))) {
            AddRef();
            *ppv = static_cast<IEnum *>(this);
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
    HRESULT STDMETHODCALLTYPE Next(ULONG celt, Item *out, ULONG *fetched) override {
        if (fetched) *fetched = 0;
        if (!out) return E_POINTER;
        if (celt > 1 && !fetched) return E_INVALIDARG;
        AcquireSRWLockExclusive(&m_lock);
        ULONG got = 0;
        while (got < celt && m_pos < m_count) Traits::Copy(&out[got++], m_items[m_pos++]);
        ReleaseSRWLockExclusive(&m_lock);
        if (fetched) *fetched = got;
        return got == celt ? S_OK : S_FALSE;
    }
    HRESULT STDMETHODCALLTYPE Skip(ULONG celt) override {
        AcquireSRWLockExclusive(&m_lock);
        ULONG left = m_count - m_pos, step = celt < left ? celt : left;
        m_pos += step;
        ReleaseSRWLockExclusive(&m_lock);
        return step == celt ? S_OK : S_FALSE;
    }
    HRESULT STDMETHODCALLTYPE Reset() override {
        AcquireSRWLockExclusive(&m_lock);
        m_pos = 0;
        ReleaseSRWLockExclusive(&m_lock);
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE Clone(IEnum **out) override {
        if (!out) return E_POINTER;
        AcquireSRWLockShared(&m_lock);
        SnapshotEnum *e = Make(m_items, m_count, m_pos);
        ReleaseSRWLockShared(&m_lock);
        *out = e;
        return e ? S_OK : E_OUTOFMEMORY;
    }

private:
    SnapshotEnum() {
        InitializeSRWLock(&m_lock);
        CountEvents(+1);
    }
    ~SnapshotEnum() {
        for (ULONG i = 0; i < m_count; ++i) Traits::Drop(m_items[i]);
        delete[] m_items;
        CountEvents(-1);
    }
    volatile LONG m_ref = 1;
    SRWLOCK m_lock;
    Item *m_items = nullptr;
    ULONG m_count = 0, m_pos = 0;
};

struct PointTraits {
    static void Copy(IConnectionPoint **dst, IConnectionPoint *src) {
        src->AddRef();
        *dst = src;
    }
    static void Drop(IConnectionPoint *p) { p->Release(); }
};
struct ConnectionTraits {
    static void Copy(CONNECTDATA *dst, const CONNECTDATA &src) {
        src.pUnk->AddRef();
        *dst = src;
    }
    static void Drop(const CONNECTDATA &c) { c.pUnk->Release(); }
};
using PointEnum = SnapshotEnum<IEnumConnectionPoints, IConnectionPoint *, PointTraits>;
using ConnectionEnum = SnapshotEnum<IEnumConnections, CONNECTDATA, ConnectionTraits>;

class NativeEventSource;

// ---------------------------------------------------------------------------------------------------------------
// One connection point: a member of its container, whose count it shares (AddRef/Release go to the container, as
// ATL's IConnectionPointImpl). Sinks live in a small array that grows by doubling; an Unadvise'd slot is reused.
class ConnectionPoint final : public IConnectionPoint {
public:
    ConnectionPoint(NativeEventSource *owner, const IID &iid) : m_owner(owner), m_iid(iid) {
        InitializeSRWLock(&m_lock);
    }
    ~ConnectionPoint() {
        for (ULONG i = 0; i < m_capacity; ++i)
            if (m_sinks[i]) m_sinks[i]->Release();  // sinks that never Unadvise'd: the source's death releases them
        delete[] m_sinks;
    }

    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override {
        if (!ppv) return E_POINTER;
        if (IsEqualIID(riid, IID_IUnknown) || IsEqualIID(riid, IID_IConnectionPoint)) {
            AddRef();
            *ppv = static_cast<IConnectionPoint *>(this);
            return S_OK;
        }
        *ppv = nullptr;
        return E_NOINTERFACE;
    }
    ULONG STDMETHODCALLTYPE AddRef() override;
    ULONG STDMETHODCALLTYPE Release() override;

    HRESULT STDMETHODCALLTYPE GetConnectionInterface(IID *iid) override {
        if (!iid) return E_POINTER;
        *iid = m_iid;
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE GetConnectionPointContainer(IConnectionPointContainer **out) override;

    // The sink must answer the source interface (else CONNECT_E_CANNOTCONNECT); we keep that interface pointer.
    HRESULT STDMETHODCALLTYPE Advise(IUnknown *sink, DWORD *cookie) override {
        if (!cookie) return E_POINTER;
        *cookie = 0;
        if (!sink) return E_POINTER;
        IUnknown *p = nullptr;
        if (FAILED(sink->QueryInterface(m_iid, reinterpret_cast<void **>(&p))) || !p) return CONNECT_E_CANNOTCONNECT;
        AcquireSRWLockExclusive(&m_lock);
        ULONG slot = 0;
        while (slot < m_capacity && m_sinks[slot]) ++slot;
        if (slot == m_capacity) {
            ULONG cap = m_capacity ? m_capacity * 2 : 4;
            IUnknown **grown = new (std::nothrow) IUnknown *[cap]();
            if (!grown) {
                ReleaseSRWLockExclusive(&m_lock);
                p->Release();
                return E_OUTOFMEMORY;
            }
            for (ULONG i = 0; i < m_capacity; ++i) grown[i] = m_sinks[i];
            delete[] m_sinks;
            m_sinks = grown;
            m_capacity = cap;
        }
        m_sinks[slot] = p;
        ++m_connections;
        ReleaseSRWLockExclusive(&m_lock);
        *cookie = slot + 1;
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE Unadvise(DWORD cookie) override {
        AcquireSRWLockExclusive(&m_lock);
        IUnknown *p = nullptr;
        if (cookie >= 1 && cookie <= m_capacity) {
            p = m_sinks[cookie - 1];
            m_sinks[cookie - 1] = nullptr;
        }
        if (p) --m_connections;
        ReleaseSRWLockExclusive(&m_lock);
        if (!p) return CONNECT_E_NOCONNECTION;
        p->Release();  // outside the lock: a sink's last Release may call back into us
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE EnumConnections(IEnumConnections **out) override {
        if (!out) return E_POINTER;
        *out = nullptr;
        AcquireSRWLockShared(&m_lock);
        CONNECTDATA *items = m_connections ? new (std::nothrow) CONNECTDATA[m_connections] : nullptr;
        ULONG n = 0;
        if (items || !m_connections)
            for (ULONG i = 0; i < m_capacity; ++i)
                if (m_sinks[i]) items[n++] = CONNECTDATA{m_sinks[i], i + 1};
        ConnectionEnum *e = (items || !m_connections) ? ConnectionEnum::Make(items, n, 0) : nullptr;
        ReleaseSRWLockShared(&m_lock);
        delete[] items;
        *out = e;
        return e ? S_OK : E_OUTOFMEMORY;
    }

    // The current sinks, AddRef'd, in slot order (Advise order, reused slots aside): up to `cap` into `out`, or a new
    // array when more (*heap = it, for the caller to delete[]). Returns how many.
    ULONG Snapshot(IUnknown **out, ULONG cap, IUnknown ***heap) {
        *heap = nullptr;
        AcquireSRWLockShared(&m_lock);
        ULONG n = m_connections;
        IUnknown **dst = out;
        if (n > cap) {
            dst = new (std::nothrow) IUnknown *[n];
            if (!dst) n = 0;
            *heap = dst;
        }
        ULONG k = 0;
        for (ULONG i = 0; i < m_capacity && k < n; ++i)
            if (m_sinks[i]) {
                m_sinks[i]->AddRef();
                dst[k++] = m_sinks[i];
            }
        ReleaseSRWLockShared(&m_lock);
        return k;
    }
    LONG Connections() {
        AcquireSRWLockShared(&m_lock);
        LONG n = (LONG)m_connections;
        ReleaseSRWLockShared(&m_lock);
        return n;
    }

private:
    NativeEventSource *m_owner;
    const IID &m_iid;
    SRWLOCK m_lock;
    IUnknown **m_sinks = nullptr;  // the source interface pointers, one reference each; NULL = a free slot
    ULONG m_capacity = 0, m_connections = 0;
};

// ---------------------------------------------------------------------------------------------------------------
class NativeEventSource final : public INativeEventSource,
                                public IConnectionPointContainer,
                                public IProvideClassInfo2 {
public:
    NativeEventSource()
        : m_ref(1), m_custom(this, IID_INativeEvents),
          m_disp(this, DIID_DNativeEvents) {
        CountEvents(+1);
    }

    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override {
        if (!ppv) return E_POINTER;
        IUnknown *p;
        if (IsEqualIID(riid, IID_IUnknown) || IsEqualIID(riid, IID_INativeEventSource))
            p = static_cast<INativeEventSource *>(this);
        else if (IsEqualIID(riid, IID_IConnectionPointContainer)) p = static_cast<IConnectionPointContainer *>(this);
        else if (IsEqualIID(riid, IID_IProvideClassInfo) || IsEqualIID(riid, IID_IProvideClassInfo2))
            p = static_cast<IProvideClassInfo2 *>(this);
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

    // INativeEventSource
    HRESULT STDMETHODCALLTYPE Fire(LONG count) override {
        if (count < 0) return E_INVALIDARG;
        for (LONG i = 0; i < count; ++i) {
            FireCustom([i](INativeEvents *s) { return s->Tick(i); });
            VARIANT arg;
            V_VT(&arg) = VT_I4;
            V_I4(&arg) = i;
            FireDisp(1, &arg);
        }
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE FireMessage(BSTR text) override {
        FireCustom([text](INativeEvents *s) { return s->Message(text); });
        VARIANT arg;
        V_VT(&arg) = VT_BSTR;
        V_BSTR(&arg) = text;  // borrowed: Invoke's [in] arguments stay the caller's
        FireDisp(2, &arg);
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE get_Failures(LONG *count) override {
        if (!count) return E_POINTER;
        *count = InterlockedCompareExchange(&m_failures, 0, 0);
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE get_LastFailure(LONG *hr) override {
        if (!hr) return E_POINTER;
        *hr = InterlockedCompareExchange(&m_lastFailure, 0, 0);
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE get_Connections(LONG *count) override {
        if (!count) return E_POINTER;
        *count = m_custom.Connections() + m_disp.Connections();
        return S_OK;
    }

    // IConnectionPointContainer
    HRESULT STDMETHODCALLTYPE EnumConnectionPoints(IEnumConnectionPoints **out) override {
        if (!out) return E_POINTER;
        IConnectionPoint *points[2] = {&m_disp, &m_custom};
        *out = PointEnum::Make(points, 2, 0);
        return *out ? S_OK : E_OUTOFMEMORY;
    }
    HRESULT STDMETHODCALLTYPE FindConnectionPoint(REFIID riid, IConnectionPoint **out) override {
        if (!out) return E_POINTER;
        IConnectionPoint *p = IsEqualIID(riid, IID_INativeEvents)     ? &m_custom
                              : IsEqualIID(riid, DIID_DNativeEvents) ? &m_disp
                                                                      : nullptr;
        *out = p;
        if (!p) return CONNECT_E_NOCONNECTION;
        p->AddRef();
        return S_OK;
    }

    // IProvideClassInfo2
    HRESULT STDMETHODCALLTYPE GetClassInfo(ITypeInfo **out) override {
        if (!out) return E_POINTER;
        *out = nullptr;
        ITypeInfo *ti = nullptr;
        HRESULT hr = g_sourceClassInfo.Get(&ti);
        if (FAILED(hr)) return hr;
        ti->AddRef();
        *out = ti;
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE GetGUID(DWORD kind, GUID *out) override {
        if (!out) return E_POINTER;
        if (kind != GUIDKIND_DEFAULT_SOURCE_DISP_IID) {
            *out = GUID_NULL;
            return E_INVALIDARG;
        }
        *out = DIID_DNativeEvents;
        return S_OK;
    }

private:
    ~NativeEventSource() { CountEvents(-1); }

    void Failed(HRESULT hr) {
        InterlockedIncrement(&m_failures);
        InterlockedExchange(&m_lastFailure, hr);
    }

    // Calls `call` on every INativeEvents sink, in order.
    template <class Call>
    void FireCustom(Call call) {
        IUnknown *local[16];
        IUnknown **heap = nullptr;
        ULONG n = m_custom.Snapshot(local, 16, &heap);
        IUnknown **sinks = heap ? heap : local;
        for (ULONG i = 0; i < n; ++i) {
            HRESULT hr = call(static_cast<INativeEvents *>(sinks[i]));
            if (FAILED(hr)) Failed(hr);
            sinks[i]->Release();
        }
        delete[] heap;
    }

    // Invoke(dispid, DISPATCH_METHOD, one argument) on every DNativeEvents sink, in order.
    void FireDisp(DISPID id, VARIANT *arg) {
        IUnknown *local[16];
        IUnknown **heap = nullptr;
        ULONG n = m_disp.Snapshot(local, 16, &heap);
        IUnknown **sinks = heap ? heap : local;
        for (ULONG i = 0; i < n; ++i) {
            DISPPARAMS params = {arg, nullptr, 1, 0};
            EXCEPINFO ei = {};
            UINT argErr = 0;
            HRESULT hr = static_cast<IDispatch *>(sinks[i])->Invoke(id, IID_NULL, LOCALE_USER_DEFAULT,
                                                                    DISPATCH_METHOD, &params, nullptr, &ei, &argErr);
            if (hr == DISP_E_EXCEPTION) {
                if (ei.pfnDeferredFillIn) ei.pfnDeferredFillIn(&ei);
                if (FAILED(ei.scode)) hr = ei.scode;
                SysFreeString(ei.bstrSource);
                SysFreeString(ei.bstrDescription);
                SysFreeString(ei.bstrHelpFile);
            }
            if (FAILED(hr)) Failed(hr);
            sinks[i]->Release();
        }
        delete[] heap;
    }

    volatile LONG m_ref;
    volatile LONG m_failures = 0;
    volatile LONG m_lastFailure = S_OK;
    ConnectionPoint m_custom;
    ConnectionPoint m_disp;
};

ULONG STDMETHODCALLTYPE ConnectionPoint::AddRef() { return m_owner->AddRef(); }
ULONG STDMETHODCALLTYPE ConnectionPoint::Release() { return m_owner->Release(); }
HRESULT STDMETHODCALLTYPE ConnectionPoint::GetConnectionPointContainer(IConnectionPointContainer **out) {
    if (!out) return E_POINTER;
    return m_owner->QueryInterface(IID_IConnectionPointContainer, reinterpret_cast<void **>(out));
}

HRESULT CreateEventSource(IUnknown *outer, REFIID riid, void **ppv) {
    if (!ppv) return E_POINTER;
    *ppv = nullptr;
    if (outer) return CLASS_E_NOAGGREGATION;
    NativeEventSource *o = new (std::nothrow) NativeEventSource();
    if (!o) return E_OUTOFMEMORY;
    HRESULT hr = o->QueryInterface(riid, ppv);
    o->Release();
    return hr;
}

// ---------------------------------------------------------------------------------------------------------------
// The C++ sink: INativeEvents (vtable) and a dispinterface (IDispatch answering that DIID, DNativeEvents unless told
// another; its Invoke reads DISPIDs 1 and 2 itself, as a hand-written ATL sink map would). Every event adds to the counts; with failWith != S_OK it then fails with that
// HRESULT (through Invoke: DISP_E_EXCEPTION, EXCEPINFO.scode = failWith).
class EventSink final : public INativeEvents, public IDispatch {
public:
    EventSink(const IID &dispIid, HRESULT failWith) : m_ref(1), m_dispIid(dispIid), m_failWith(failWith) {
        InitializeSRWLock(&m_lock);
        CountEvents(+1);
    }

    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override {
        if (!ppv) return E_POINTER;
        if (IsEqualIID(riid, IID_TL_EventSinkSelf)) {  // not a COM interface: the object itself, no reference
            *ppv = this;
            return S_OK;
        }
        IUnknown *p;
        if (IsEqualIID(riid, IID_IUnknown) || IsEqualIID(riid, IID_INativeEvents))
            p = static_cast<INativeEvents *>(this);
        else if (IsEqualIID(riid, IID_IDispatch) || IsEqualIID(riid, m_dispIid))
            p = static_cast<IDispatch *>(this);
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

    // INativeEvents
    HRESULT STDMETHODCALLTYPE Tick(LONG n) override {
        InterlockedIncrement(&m_ticks);
        InterlockedExchangeAdd64(&m_tickSum, n);
        return m_failWith;
    }
    HRESULT STDMETHODCALLTYPE Message(BSTR text) override {
        BSTR copy = SysAllocStringLen(text, SysStringLen(text));
        AcquireSRWLockExclusive(&m_lock);
        ++m_messages;
        BSTR old = m_last;
        m_last = copy;
        ReleaseSRWLockExclusive(&m_lock);
        SysFreeString(old);
        return m_failWith;
    }

    // IDispatch (DNativeEvents): no type information of its own.
    HRESULT STDMETHODCALLTYPE GetTypeInfoCount(UINT *count) override {
        if (!count) return E_POINTER;
        *count = 0;
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE GetTypeInfo(UINT, LCID, ITypeInfo **out) override {
        if (out) *out = nullptr;
        return DISP_E_BADINDEX;
    }
    HRESULT STDMETHODCALLTYPE GetIDsOfNames(REFIID, LPOLESTR *names, UINT count, LCID, DISPID *ids) override {
        if (!names || !ids) return E_POINTER;
        HRESULT hr = S_OK;
        for (UINT i = 0; i < count; ++i) {
            ids[i] = DISPID_UNKNOWN;
            if (i == 0 && lstrcmpiW(names[0], L"Tick") == 0) ids[0] = 1;
            else if (i == 0 && lstrcmpiW(names[0], L"Message") == 0) ids[0] = 2;
            else hr = DISP_E_UNKNOWNNAME;
        }
        return hr;
    }
    HRESULT STDMETHODCALLTYPE Invoke(DISPID id, REFIID riid, LCID, WORD flags, DISPPARAMS *params, VARIANT *result,
                                     EXCEPINFO *ei, UINT *argErr) override {
        if (!IsEqualIID(riid, IID_NULL)) return DISP_E_UNKNOWNINTERFACE;
        if (!params) return E_INVALIDARG;
        if (result) VariantInit(result);
        if (!(flags & DISPATCH_METHOD)) return DISP_E_MEMBERNOTFOUND;
        if (id != 1 && id != 2) return S_OK;  // an event this sink does not handle: ignored
        if (params->cArgs != 1 || params->cNamedArgs != 0) return DISP_E_BADPARAMCOUNT;
        VARIANT v;
        VariantInit(&v);
        HRESULT hr = VariantChangeType(&v, &params->rgvarg[0], 0, id == 1 ? VT_I4 : VT_BSTR);
        if (FAILED(hr)) {
            if (argErr) *argErr = 0;
            return DISP_E_TYPEMISMATCH;
        }
        hr = id == 1 ? Tick(V_I4(&v)) : Message(V_BSTR(&v));
        VariantClear(&v);
        if (FAILED(hr)) {
            if (!ei) return hr;
            ZeroMemory(ei, sizeof(*ei));
            ei->scode = hr;
            ei->bstrSource = SysAllocString(L"NativeEventSink");
            return DISP_E_EXCEPTION;
        }
        return S_OK;
    }

    void Stats(LONG *ticks, LONG64 *tickSum, LONG *messages, wchar_t *last, ULONG lastLen) {
        if (ticks) *ticks = InterlockedCompareExchange(&m_ticks, 0, 0);
        if (tickSum) *tickSum = InterlockedCompareExchange64(&m_tickSum, 0, 0);
        AcquireSRWLockShared(&m_lock);
        if (messages) *messages = m_messages;
        if (last && lastLen) {
            ULONG i = 0;
            UINT n = SysStringLen(m_last);
            for (; i + 1 < lastLen && i < n; ++i) last[i] = m_last[i];
            last[i] = L'\0';
        }
        ReleaseSRWLockShared(&m_lock);
    }

private:
    ~EventSink() {
        SysFreeString(m_last);
        CountEvents(-1);
    }
    volatile LONG m_ref;
    IID m_dispIid;  // the dispinterface its IDispatch answers to (a sink is built for one source)
    HRESULT m_failWith;
    SRWLOCK m_lock;
    volatile LONG m_ticks = 0;
    volatile LONG64 m_tickSum = 0;
    LONG m_messages = 0;
    BSTR m_last = nullptr;
};

// The source's IConnectionPoint for `iid`, or the failure (E_NOINTERFACE: no IConnectionPointContainer).
HRESULT FindPoint(void *source, const GUID *iid, IConnectionPoint **cp) {
    *cp = nullptr;
    if (!source) return E_POINTER;
    if (!iid) return E_INVALIDARG;
    IConnectionPointContainer *cpc = nullptr;
    HRESULT hr = static_cast<IUnknown *>(source)->QueryInterface(IID_IConnectionPointContainer,
                                                                 reinterpret_cast<void **>(&cpc));
    if (FAILED(hr)) return hr;
    hr = cpc->FindConnectionPoint(*iid, cp);
    cpc->Release();
    return hr;
}

}  // namespace

HRESULT TL_EventsGetClassObject(REFCLSID rclsid, REFIID riid, void **ppv) {
    if (IsEqualCLSID(rclsid, CLSID_NativeEventSource))
        return TL_CreateFactory(CreateEventSource, CountEvents, riid, ppv);
    if (ppv) *ppv = nullptr;
    return CLASS_E_CLASSNOTAVAILABLE;
}

// ---------------------------------------------------------------------------------------------------------------
// Exports

TL_API HRESULT TL_CreateEventSource(const GUID *riid, void **ppv) {
    if (!ppv) return E_POINTER;
    if (!riid) {
        *ppv = nullptr;
        return E_INVALIDARG;
    }
    return CreateEventSource(nullptr, *riid, ppv);
}

TL_API HRESULT TL_CreateEventSink(const GUID *dispIid, HRESULT failWith, const GUID *riid, void **ppv) {
    if (!ppv) return E_POINTER;
    *ppv = nullptr;
    if (!riid) return E_INVALIDARG;
    EventSink *s = new (std::nothrow) EventSink(dispIid ? *dispIid : DIID_DNativeEvents, failWith);
    if (!s) return E_OUTOFMEMORY;
    HRESULT hr = s->QueryInterface(*riid, ppv);
    s->Release();
    return hr;
}

TL_API HRESULT TL_EventSinkStats(void *sink, LONG *ticks, LONG64 *tickSum, LONG *messages, wchar_t *lastMessage,
                                 ULONG lastLen) {
    if (!sink) return E_POINTER;
    void *self = nullptr;
    if (FAILED(static_cast<IUnknown *>(sink)->QueryInterface(IID_TL_EventSinkSelf, &self)) || !self)
        return E_INVALIDARG;
    static_cast<EventSink *>(self)->Stats(ticks, tickSum, messages, lastMessage, lastLen);
    return S_OK;
}

TL_API LONG TL_EventsLiveObjects(void) { return InterlockedCompareExchange(&g_eventsLive, 0, 0); }

TL_API HRESULT TL_Advise(void *source, const GUID *iid, void *sink, DWORD *cookie) {
    if (!cookie) return E_POINTER;
    *cookie = 0;
    IConnectionPoint *cp = nullptr;
    HRESULT hr = FindPoint(source, iid, &cp);
    if (FAILED(hr)) return hr;
    hr = cp->Advise(static_cast<IUnknown *>(sink), cookie);
    cp->Release();
    return hr;
}

TL_API HRESULT TL_Unadvise(void *source, const GUID *iid, DWORD cookie) {
    IConnectionPoint *cp = nullptr;
    HRESULT hr = FindPoint(source, iid, &cp);
    if (FAILED(hr)) return hr;
    hr = cp->Unadvise(cookie);
    cp->Release();
    return hr;
}

TL_API HRESULT TL_Fire(void *source, LONG count) {
    if (!source) return E_POINTER;
    INativeEventSource *s = nullptr;
    HRESULT hr = static_cast<IUnknown *>(source)->QueryInterface(IID_INativeEventSource,
                                                                 reinterpret_cast<void **>(&s));
    if (FAILED(hr)) return hr;
    hr = s->Fire(count);
    s->Release();
    return hr;
}
