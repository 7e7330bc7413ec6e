// IDispatch answered from a type library, the way native servers do it (ATL's IDispatchImpl with its
// CComTypeInfoHolder): the type library is loaded once per process from a TYPELIB resource of the module this code
// is linked into, GetTypeInfoOfGuid gives the dual interface's ITypeInfo, GetIDsOfNames goes to
// DispGetIDsOfNames (= ITypeInfo::GetIDsOfNames) and Invoke to ITypeInfo::Invoke on the object's own dual
// interface pointer (= DispInvoke). oleaut32 then does the work: name lookup, argument coercion, optional and
// default-valued arguments, ByRef, the call through the vtable, and a failing HRESULT turned into
// DISP_E_EXCEPTION with EXCEPINFO filled from the method's IErrorInfo.
//
// Shared by the bench exes (native/bench) and the test DLL (native/testlib). Header-only: each binary gets its
// own copy, and OwnModulePath names that binary.
#pragma once
#include <windows.h>
#include <objbase.h>
#include <oleauto.h>
#include <cguid.h>  // IID_NULL

namespace nativedisp {

// The full path of the exe or DLL this code is linked into.
inline bool OwnModulePath(wchar_t *path, DWORD cap) {
    HMODULE m = nullptr;
    if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                            reinterpret_cast<LPCWSTR>(&OwnModulePath), &m))
        return false;
    DWORD n = GetModuleFileNameW(m, path, cap);
    return n > 0 && n < cap;
}

// One ITypeInfo (of an interface or coclass GUID) from TYPELIB resource `resource` of this module, loaded on first
// use and kept for the life of the process (as ATL keeps it until the module terminates). Thread-safe: racing
// first users may both load; one wins, the other releases its copy.
class TypeInfoHolder {
public:
    constexpr TypeInfoHolder(const GUID *guid, int resource) : m_guid(guid), m_resource(resource) {}

    // *out: borrowed (not AddRef'd), valid for the life of the process.
    HRESULT Get(ITypeInfo **out) {
        ITypeInfo *ti = static_cast<ITypeInfo *>(InterlockedCompareExchangePointer(
            reinterpret_cast<void *volatile *>(&m_typeInfo), nullptr, nullptr));
        if (!ti) {
            HRESULT hr = Load(&ti);
            if (FAILED(hr)) {
                *out = nullptr;
                return hr;
            }
            void *prev = InterlockedCompareExchangePointer(reinterpret_cast<void *volatile *>(&m_typeInfo), ti,
                                                           nullptr);
            if (prev) {
                ti->Release();
                ti = static_cast<ITypeInfo *>(prev);
            }
        }
        *out = ti;
        return S_OK;
    }

private:
    HRESULT Load(ITypeInfo **out) {
        wchar_t path[MAX_PATH + 16];
        if (!OwnModulePath(path, MAX_PATH)) return HRESULT_FROM_WIN32(GetLastError());
        // "<module path>\<n>": LoadTypeLib's syntax for TYPELIB resource n of a PE file.
        wchar_t suffix[16];
        wsprintfW(suffix, L"\\%d", m_resource);
        lstrcatW(path, suffix);
        ITypeLib *lib = nullptr;
        HRESULT hr = LoadTypeLibEx(path, REGKIND_NONE, &lib);
        if (FAILED(hr)) return hr;
        hr = lib->GetTypeInfoOfGuid(*m_guid, out);
        lib->Release();
        return hr;
    }

    const GUID *m_guid;
    int m_resource;
    ITypeInfo *volatile m_typeInfo = nullptr;
};

// IDispatch for a dual interface `Dual` (derived from IDispatch), from `holder`'s ITypeInfo. The derived class
// implements IUnknown and Dual's own methods.
template <class Dual>
class DispatchImpl : public Dual {
public:
    explicit DispatchImpl(TypeInfoHolder &holder) : m_holder(holder) {}

    HRESULT STDMETHODCALLTYPE GetTypeInfoCount(UINT *count) override {
        if (!count) return E_POINTER;
        *count = 1;
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE GetTypeInfo(UINT index, LCID, ITypeInfo **out) override {
        if (!out) return E_POINTER;
        *out = nullptr;
        if (index != 0) return DISP_E_BADINDEX;
        ITypeInfo *ti = nullptr;
        HRESULT hr = m_holder.Get(&ti);
        if (FAILED(hr)) return hr;
        ti->AddRef();
        *out = ti;
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE GetIDsOfNames(REFIID riid, LPOLESTR *names, UINT count, LCID,
                                            DISPID *ids) override {
        if (!IsEqualIID(riid, IID_NULL)) return DISP_E_UNKNOWNINTERFACE;
        ITypeInfo *ti = nullptr;
        HRESULT hr = m_holder.Get(&ti);
        if (FAILED(hr)) return hr;
        return DispGetIDsOfNames(ti, names, count, ids);
    }
    HRESULT STDMETHODCALLTYPE Invoke(DISPID id, REFIID riid, LCID, WORD flags, DISPPARAMS *params, VARIANT *result,
                                     EXCEPINFO *excepInfo, UINT *argErr) override {
        if (!IsEqualIID(riid, IID_NULL)) return DISP_E_UNKNOWNINTERFACE;
        if (!params) return E_INVALIDARG;  // ATL would pass NULL on to ITypeInfo::Invoke; refuse it here instead
        ITypeInfo *ti = nullptr;
        HRESULT hr = m_holder.Get(&ti);
        if (FAILED(hr)) return hr;
        return ti->Invoke(static_cast<Dual *>(this), id, flags, params, result, excepInfo, argErr);
    }

protected:
    TypeInfoHolder &m_holder;
};

// Sets this thread's IErrorInfo (source, description, the interface's IID), as ATL's AtlReportError does; the
// caller then returns its failing HRESULT, which ITypeInfo::Invoke reports as DISP_E_EXCEPTION with EXCEPINFO
// {source, description, scode = that HRESULT}.
inline void SetError(REFIID iid, const wchar_t *source, const wchar_t *description) {
    ICreateErrorInfo *cei = nullptr;
    if (FAILED(CreateErrorInfo(&cei))) return;
    cei->SetGUID(iid);
    cei->SetSource(const_cast<LPOLESTR>(source));
    cei->SetDescription(const_cast<LPOLESTR>(description));
    IErrorInfo *ei = nullptr;
    if (SUCCEEDED(cei->QueryInterface(IID_IErrorInfo, reinterpret_cast<void **>(&ei)))) {
        SetErrorInfo(0, ei);
        ei->Release();
    }
    cei->Release();
}

}  // namespace nativedisp
