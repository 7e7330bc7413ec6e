// IBenchDual (native/bench/benchdual.idl; bench/README.md): the C++ object, and the late-bound calls a C++ client
// makes on any IBenchDual through IDispatch. Shared by the bench exes (native/bench) and the test DLL
// (native/testlib), each of which includes the widl header benchdual.h first and links BenchDualLib as a TYPELIB
// resource (exes: resource 1; vtables_testlib.dll: resource 2).
//
//   [id(1)] Nothing()                  -> S_OK
//   [id(2)] Work(n, [retval] sum)      -> IBenchTarget's Work (bench_work.h): Work(100) = 4950
//   [id(3)] Mix(s, n, d, [retval] v)   -> v = VT_BSTR s + ":" + n (decimal) + ":" + d as printf "%.17g"
//                                         (Python: f"{s}:{n}:{d:.17g}"); Mix("abc", 7, 2.5) = "abc:7:2.5"
// IDispatch comes from BenchDualLib through ITypeInfo::Invoke (typeinfo_dispatch.h), as ATL's IDispatchImpl.
#pragma once
#include <windows.h>
#include <objbase.h>
#include <oleauto.h>
#include <charconv>
#include <cstring>
#include <new>
#include "bench_work.h"
#include "typeinfo_dispatch.h"

namespace benchdual {

// The Mix result for (s, n, d) as a new BSTR (NULL on E_OUTOFMEMORY). A NULL s counts as "".
inline BSTR MixString(BSTR s, LONG n, double d) {
    char tail[96];
    int len = wsprintfA(tail, ":%ld:", (long)n);
    auto res = std::to_chars(tail + len, tail + sizeof tail - 1, d, std::chars_format::general, 17);
    len = (int)(res.ptr - tail);
    UINT slen = SysStringLen(s);
    BSTR out = SysAllocStringLen(nullptr, slen + (UINT)len);
    if (!out) return nullptr;
    if (slen) CopyMemory(out, s, slen * sizeof(OLECHAR));
    for (int i = 0; i < len; ++i) out[slen + i] = (OLECHAR)(unsigned char)tail[i];
    return out;
}

// The IBenchDual object. Traits supplies:
//   static nativedisp::TypeInfoHolder &TypeInfo();   IBenchDual's ITypeInfo holder for this module
//   static void Created(); static void Destroyed();   per counted object (server locks, live-object counts)
template <class Traits>
class BenchDualObject final : public nativedisp::DispatchImpl<IBenchDual> {
public:
    // counted: Created()/Destroyed() are called for its lifetime (a server's stub-pin object is not counted).
    explicit BenchDualObject(bool counted = true)
        : nativedisp::DispatchImpl<IBenchDual>(Traits::TypeInfo()), m_ref(1), m_counted(counted) {
        if (m_counted) Traits::Created();
    }

    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override {
        if (!ppv) return E_POINTER;
        if (IsEqualIID(riid, IID_IUnknown) || IsEqualIID(riid, IID_IDispatch) || IsEqualIID(riid, IID_IBenchDual)) {
            AddRef();
            *ppv = static_cast<IBenchDual *>(this);
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
    HRESULT STDMETHODCALLTYPE Mix(BSTR s, LONG n, double d, VARIANT *result) override {
        if (!result) return E_POINTER;
        VariantInit(result);
        BSTR out = MixString(s, n, d);
        if (!out) return E_OUTOFMEMORY;
        V_VT(result) = VT_BSTR;
        V_BSTR(result) = out;
        return S_OK;
    }

private:
    ~BenchDualObject() {
        if (m_counted) Traits::Destroyed();
    }
    volatile LONG m_ref;
    const bool m_counted;
};

// ---- the client side: late-bound calls as a C++ client makes them ---------------------------------------------
// Each call builds its DISPPARAMS on the stack (arguments right to left), calls IDispatch::Invoke with
// DISPATCH_METHOD, IID_NULL, LOCALE_USER_DEFAULT, a result VARIANT, an EXCEPINFO and an argument-error index, and
// checks the result; a wrong result is E_UNEXPECTED. EXCEPINFO strings of a failure are freed.

// The DISPIDs of Nothing, Work and Mix through GetIDsOfNames (what a client does once per object).
struct Dispids {
    DISPID nothing = DISPID_UNKNOWN, work = DISPID_UNKNOWN, mix = DISPID_UNKNOWN;
};

inline HRESULT GetDispid(IDispatch *d, const wchar_t *name, DISPID *id) {
    if (!d || !id) return E_POINTER;
    LPOLESTR n = const_cast<LPOLESTR>(name);
    return d->GetIDsOfNames(IID_NULL, &n, 1, LOCALE_USER_DEFAULT, id);
}

inline HRESULT GetDispids(IDispatch *d, Dispids *out) {
    if (!d || !out) return E_POINTER;
    HRESULT hr = GetDispid(d, L"Nothing", &out->nothing);
    if (SUCCEEDED(hr)) hr = GetDispid(d, L"Work", &out->work);
    if (SUCCEEDED(hr)) hr = GetDispid(d, L"Mix", &out->mix);
    return hr;
}

inline HRESULT InvokeMethod(IDispatch *d, DISPID id, DISPPARAMS *dp, VARIANT *result) {
    EXCEPINFO ei;
    ZeroMemory(&ei, sizeof ei);
    UINT argErr = 0;
    HRESULT hr = d->Invoke(id, IID_NULL, LOCALE_USER_DEFAULT, DISPATCH_METHOD, dp, result, &ei, &argErr);
    if (hr == DISP_E_EXCEPTION) {
        SysFreeString(ei.bstrSource);
        SysFreeString(ei.bstrDescription);
        SysFreeString(ei.bstrHelpFile);
        if (FAILED(ei.scode)) hr = ei.scode;
    }
    return hr;
}

// Nothing(): S_OK and an empty result.
inline HRESULT InvokeNothing(IDispatch *d, DISPID id) {
    DISPPARAMS dp = {nullptr, nullptr, 0, 0};
    VARIANT result;
    VariantInit(&result);
    HRESULT hr = InvokeMethod(d, id, &dp, &result);
    if (FAILED(hr)) return hr;
    if (V_VT(&result) != VT_EMPTY) {
        VariantClear(&result);
        return E_UNEXPECTED;
    }
    return S_OK;
}

// Work(n): *sum = the VT_I4 result (any result that is not VT_I4 is E_UNEXPECTED).
inline HRESULT InvokeWork(IDispatch *d, DISPID id, LONG n, LONG *sum) {
    VARIANT arg;
    V_VT(&arg) = VT_I4;
    V_I4(&arg) = n;
    DISPPARAMS dp = {&arg, nullptr, 1, 0};
    VARIANT result;
    VariantInit(&result);
    HRESULT hr = InvokeMethod(d, id, &dp, &result);
    if (FAILED(hr)) return hr;
    if (V_VT(&result) != VT_I4) {
        VariantClear(&result);
        return E_UNEXPECTED;
    }
    *sum = V_I4(&result);
    return S_OK;
}

// Mix(s, n, d) with s given as a C string: the BSTR argument is allocated and freed in the call (a client holding
// a CComVariant/_variant_t of it does the same); the VT_BSTR result is compared with `expected` and cleared.
inline HRESULT InvokeMix(IDispatch *d, DISPID id, const wchar_t *s, LONG n, double x, const wchar_t *expected) {
    VARIANT args[3];  // right to left: d, n, s
    V_VT(&args[0]) = VT_R8;
    V_R8(&args[0]) = x;
    V_VT(&args[1]) = VT_I4;
    V_I4(&args[1]) = n;
    V_VT(&args[2]) = VT_BSTR;
    V_BSTR(&args[2]) = SysAllocString(s);
    if (!V_BSTR(&args[2])) return E_OUTOFMEMORY;
    DISPPARAMS dp = {args, nullptr, 3, 0};
    VARIANT result;
    VariantInit(&result);
    HRESULT hr = InvokeMethod(d, id, &dp, &result);
    VariantClear(&args[2]);
    if (FAILED(hr)) return hr;
    const UINT want = (UINT)lstrlenW(expected);
    bool ok = V_VT(&result) == VT_BSTR && SysStringLen(V_BSTR(&result)) == want &&
              (want == 0 || memcmp(V_BSTR(&result), expected, want * sizeof(OLECHAR)) == 0);
    VariantClear(&result);
    return ok ? S_OK : E_UNEXPECTED;
}

}  // namespace benchdual
