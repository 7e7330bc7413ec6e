/* Self-test of vtables_testlib.dll: loads it with LoadLibraryW, exercises every export, prints one line per check,
 * exits nonzero on any failure. Not part of the DLL (the Makefile builds the DLL from the .cpp files directly in
 * native/testlib, hence this subfolder). The IDispatch objects (dispatch.cpp) are checked through IDispatch only,
 * as a late-bound client calls them. Build and run:
 *   make -C /work/main native build/native/testlib_selftest.exe
 *   (that is: x86_64-w64-mingw32-g++ -O2 -std=c++17 -Wall -municode -static -static-libgcc -static-libstdc++
 *     -I build/native -o build/native/testlib_selftest.exe native/testlib/selftest/selftest.cpp
 *     native/testlib/guids.cpp -lole32 -loleaut32 -luuid)
 *   /work/main/tools/wineserver-up
 *   WINEPREFIX=/work/main/.winenv/prefix WINEDEBUG=-all \
 *     wine /work/main/build/native/testlib_selftest.exe [path-to-vtables_testlib.dll] </dev/null 2>&1 | cat
 * Without an argument it loads vtables_testlib.dll from the exe's own folder.
 */
#include "../testlib_internal.h"
#include "benchdual.h"
#include "nativedual.h"
#include <cstdio>
#include <cwchar>

namespace {

int g_failures = 0;
int g_checks = 0;

void Check(bool ok, const char *what) {
    ++g_checks;
    if (!ok) ++g_failures;
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
}
void CheckHr(HRESULT got, HRESULT want, const char *what) {
    ++g_checks;
    bool ok = got == want;
    if (!ok) ++g_failures;
    std::printf("%s %s: 0x%08lX (want 0x%08lX)\n", ok ? "ok  " : "FAIL", what, (unsigned long)got,
                (unsigned long)want);
}

// The exports, typed as the C++ side sees them.
struct Api {
    HRESULT (*CreateBenchTarget)(void *, const GUID *, void **);
    LONG (*LiveObjects)(void);
    HRESULT (*CreateClassFactory)(const GUID *, void **);
    HRESULT (*GetClassObject)(const GUID *, const GUID *, void **);
    HRESULT (*CanUnloadNow)(void);
    HRESULT (*CreateOuter)(void *, const GUID *, void **);
    HRESULT (*LoopNothing)(void *, LONG64);
    HRESULT (*LoopWork)(void *, LONG64, LONG, LONG *);
    HRESULT (*LoopAddRefRelease)(void *, LONG64);
    HRESULT (*LoopQueryInterface)(void *, const GUID *, LONG64);
    HRESULT (*LoopCreateInstance)(void *, const GUID *, LONG64);
    HRESULT (*LoopCoGetCurrentProcess)(LONG64, DWORD *);
    HRESULT (*LoopCoCreateInstance)(const GUID *, DWORD, const GUID *, LONG64);
    HRESULT (*QueryInterface)(void *, const GUID *, void **);
    ULONG (*AddRef)(void *);
    ULONG (*Release)(void *);
    HRESULT (*CallNothing)(void *);
    HRESULT (*CallWork)(void *, LONG, LONG *);
    HRESULT (*Hammer)(void *, LONG, LONG64, ULONG *, ULONG *);
    HRESULT (*CallAndGetErrorInfo)(void *, LONG, HRESULT *, wchar_t *, ULONG, wchar_t *, ULONG);
};

template <class F>
bool Load(HMODULE m, const char *name, F &f) {
    f = reinterpret_cast<F>(reinterpret_cast<void *>(GetProcAddress(m, name)));
    if (!f) std::printf("FAIL missing export %s\n", name);
    return f != nullptr;
}

LONG ExpectedSum(LONG n) {
    unsigned long long t = 0;
    for (LONG i = 0; i < n; ++i) t += (unsigned long long)i;
    return (LONG)(t % 0x80000000ULL);
}

ULONG RefCount(IUnknown *u) {
    u->AddRef();
    return u->Release();
}

// A bench target whose Work fails with rich error info when n < 0 (stands in for the Python object).
class ErrorTarget final : public IBenchTarget, public ISupportErrorInfo {
public:
    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override {
        if (IsEqualIID(riid, IID_IUnknown) || IsEqualIID(riid, IID_IBenchTarget))
            *ppv = static_cast<IBenchTarget *>(this);
        else if (IsEqualIID(riid, IID_ISupportErrorInfo) && m_supports)
            *ppv = static_cast<ISupportErrorInfo *>(this);
        else {
            *ppv = nullptr;
            return E_NOINTERFACE;
        }
        AddRef();
        return S_OK;
    }
    ULONG STDMETHODCALLTYPE AddRef() override { return (ULONG)InterlockedIncrement(&m_ref); }
    ULONG STDMETHODCALLTYPE Release() override { return (ULONG)InterlockedDecrement(&m_ref); }  // on the stack
    HRESULT STDMETHODCALLTYPE Nothing() override { return S_OK; }
    HRESULT STDMETHODCALLTYPE Work(LONG n, LONG *sum) override {
        *sum = 0;
        if (n >= 0) return S_OK;
        ICreateErrorInfo *cei = nullptr;
        if (SUCCEEDED(CreateErrorInfo(&cei))) {
            cei->SetGUID(IID_IBenchTarget);
            cei->SetDescription(const_cast<LPOLESTR>(L"negative work requested by the self-test"));
            cei->SetSource(const_cast<LPOLESTR>(L"selftest.ErrorTarget"));
            IErrorInfo *ei = nullptr;
            if (SUCCEEDED(cei->QueryInterface(IID_IErrorInfo, reinterpret_cast<void **>(&ei)))) {
                SetErrorInfo(0, ei);
                ei->Release();
            }
            cei->Release();
        }
        return DISP_E_OVERFLOW;
    }
    HRESULT STDMETHODCALLTYPE InterfaceSupportsErrorInfo(REFIID riid) override {
        return IsEqualIID(riid, IID_IBenchTarget) ? S_OK : S_FALSE;
    }
    bool m_supports = true;
    volatile LONG m_ref = 1;
};

bool SameGuid(const GUID &a, const GUID &b) { return IsEqualGUID(a, b) != 0; }

bool OnWine() { return GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != nullptr; }


// ---- IDispatch objects (dispatch.cpp), called the late-bound way ------------------------------------------------
struct DispApi {
    HRESULT (*CreateNativeDual)(const GUID *, void **);
    HRESULT (*CreateBenchDual)(const GUID *, void **);
    HRESULT (*CreateBenchDualFactory)(const GUID *, void **);
    LONG (*DualLiveObjects)(void);
    HRESULT (*LoopInvokeNothing)(void *, LONG64);
    HRESULT (*LoopInvokeWork)(void *, LONG64, LONG, LONG *);
    HRESULT (*LoopInvokeMix)(void *, LONG64);
};

// One IDispatch::Invoke with its arguments given left to right (DISPPARAMS wants them right to left) and optional
// named arguments; the result, EXCEPINFO and argErr are kept for the checks and freed by the destructor.
struct Call {
    HRESULT hr = E_FAIL;
    VARIANT result;
    EXCEPINFO ei;
    UINT argErr = 0xFFFF;
    Call() {
        VariantInit(&result);
        ZeroMemory(&ei, sizeof ei);
    }
    ~Call() { Reset(); }
    void Reset() {
        VariantClear(&result);
        SysFreeString(ei.bstrSource);
        SysFreeString(ei.bstrDescription);
        SysFreeString(ei.bstrHelpFile);
        ZeroMemory(&ei, sizeof ei);
        argErr = 0xFFFF;
    }
    // args: left to right; named: the DISPIDs of the last `nNamed` arguments given (in the same order).
    HRESULT Run(IDispatch *d, DISPID id, WORD flags, VARIANT *args, UINT n, const DISPID *named = nullptr,
                UINT nNamed = 0, REFIID riid = IID_NULL) {
        Reset();
        VARIANT rev[8];
        DISPID revNamed[8];
        for (UINT i = 0; i < n; ++i) rev[i] = args[n - 1 - i];
        for (UINT i = 0; i < nNamed; ++i) revNamed[i] = named[nNamed - 1 - i];
        DISPPARAMS dp = {n ? rev : nullptr, nNamed ? revNamed : nullptr, n, nNamed};
        hr = d->Invoke(id, riid, LOCALE_USER_DEFAULT, flags, &dp, &result, &ei, &argErr);
        return hr;
    }
    bool IsBstr(const wchar_t *want) const {
        return V_VT(&result) == VT_BSTR && V_BSTR(&result) && wcscmp(V_BSTR(&result), want) == 0;
    }
};

VARIANT Bstr(const wchar_t *s) {  // owned by the caller: VariantClear it
    VARIANT v;
    V_VT(&v) = VT_BSTR;
    V_BSTR(&v) = SysAllocString(s);
    return v;
}
VARIANT I4(LONG i) {
    VARIANT v;
    V_VT(&v) = VT_I4;
    V_I4(&v) = i;
    return v;
}

DISPID IdOf(IDispatch *d, const wchar_t *name) {
    LPOLESTR n = const_cast<LPOLESTR>(name);
    DISPID id = DISPID_UNKNOWN;
    HRESULT hr = d->GetIDsOfNames(IID_NULL, &n, 1, LOCALE_USER_DEFAULT, &id);
    return SUCCEEDED(hr) ? id : DISPID_UNKNOWN;
}

void CheckNativeDual(IDispatch *d) {
    char what[160];
    // type information
    UINT count = 0;
    CheckHr(d->GetTypeInfoCount(&count), S_OK, "NativeDual GetTypeInfoCount");
    Check(count == 1, "GetTypeInfoCount == 1");
    ITypeInfo *ti = nullptr;
    CheckHr(d->GetTypeInfo(0, LOCALE_USER_DEFAULT, &ti), S_OK, "GetTypeInfo(0)");
    if (ti) {
        TYPEATTR *attr = nullptr;
        if (SUCCEEDED(ti->GetTypeAttr(&attr))) {
            Check(SameGuid(attr->guid, IID_INativeDual), "GetTypeInfo(0) describes INativeDual");
            std::printf("     typekind %d, cFuncs %d, wTypeFlags 0x%x\n", (int)attr->typekind, (int)attr->cFuncs,
                        (unsigned)attr->wTypeFlags);
            Check((attr->wTypeFlags & TYPEFLAG_FDUAL) != 0, "INativeDual's type info is dual");
            ti->ReleaseTypeAttr(attr);
        }
        ti->Release();
    }
    ti = reinterpret_cast<ITypeInfo *>(1);
    CheckHr(d->GetTypeInfo(1, LOCALE_USER_DEFAULT, &ti), DISP_E_BADINDEX, "GetTypeInfo(1)");
    Check(ti == nullptr, "GetTypeInfo(1) sets *ppTInfo = NULL");

    // names: case-insensitive; parameter names give their positions
    Check(IdOf(d, L"Name") == 1 && IdOf(d, L"NAME") == 1 && IdOf(d, L"name") == 1, "GetIDsOfNames Name/NAME/name == 1");
    Check(IdOf(d, L"Greet") == 2 && IdOf(d, L"Swap") == 3 && IdOf(d, L"Bump") == 4 && IdOf(d, L"Fail") == 5 &&
              IdOf(d, L"HasArg") == 6 && IdOf(d, L"Count") == 7,
          "GetIDsOfNames Greet..Count == 2..7");
    Check(IdOf(d, L"Item") == DISPID_VALUE, "GetIDsOfNames Item == DISPID_VALUE");
    Check(IdOf(d, L"_NewEnum") == DISPID_NEWENUM, "GetIDsOfNames _NewEnum == DISPID_NEWENUM");
    {
        LPOLESTR names[2] = {const_cast<LPOLESTR>(L"greet"), const_cast<LPOLESTR>(L"GREETING")};
        DISPID ids[2] = {0, 0};
        CheckHr(d->GetIDsOfNames(IID_NULL, names, 2, LOCALE_USER_DEFAULT, ids), S_OK, "GetIDsOfNames(greet, GREETING)");
        Check(ids[0] == 2 && ids[1] == 1, "Greet's parameter 'greeting' has DISPID 1 (its position)");
        LPOLESTR bad = const_cast<LPOLESTR>(L"NoSuchMember");
        DISPID id = 0;
        CheckHr(d->GetIDsOfNames(IID_NULL, &bad, 1, LOCALE_USER_DEFAULT, &id), DISP_E_UNKNOWNNAME,
                "GetIDsOfNames(NoSuchMember)");
        std::printf("     unknown name's DISPID: %ld\n", (long)id);
        Check(id == DISPID_UNKNOWN, "unknown name gives DISPID_UNKNOWN");
    }

    Call c;
    // Name: get, put (named DISPID_PROPERTYPUT), get
    CheckHr(c.Run(d, 1, DISPATCH_PROPERTYGET, nullptr, 0), S_OK, "Name get");
    Check(c.IsBstr(L"native"), "Name starts as \"native\"");
    {
        VARIANT v = Bstr(L"renamed");
        DISPID put = DISPID_PROPERTYPUT;
        CheckHr(c.Run(d, 1, DISPATCH_PROPERTYPUT, &v, 1, &put, 1), S_OK, "Name put \"renamed\"");
        Check(V_VT(&c.result) == VT_EMPTY, "a property put returns nothing");
        VariantClear(&v);
    }
    CheckHr(c.Run(d, 1, DISPATCH_PROPERTYGET, nullptr, 0), S_OK, "Name get after put");
    Check(c.IsBstr(L"renamed"), "Name is now \"renamed\"");
    CheckHr(c.Run(d, 1, DISPATCH_PROPERTYGET | DISPATCH_METHOD, nullptr, 0), S_OK,
            "Name with DISPATCH_METHOD | DISPATCH_PROPERTYGET (what script engines send)");
    Check(c.IsBstr(L"renamed"), "... gives the property");

    // Greet: the default value, positional, named
    {
        VARIANT args[2] = {Bstr(L"World"), Bstr(L"Hi")};
        CheckHr(c.Run(d, 2, DISPATCH_METHOD, args, 1), S_OK, "Greet(\"World\")");
        std::printf("     Greet(\"World\") = \"%ls\"\n", V_VT(&c.result) == VT_BSTR ? V_BSTR(&c.result) : L"(not a BSTR)");
        Check(c.IsBstr(L"Hello, World"), "Greet(\"World\") uses the default greeting: \"Hello, World\"");
        CheckHr(c.Run(d, 2, DISPATCH_METHOD, args, 2), S_OK, "Greet(\"World\", \"Hi\")");
        Check(c.IsBstr(L"Hi, World"), "Greet(\"World\", \"Hi\") = \"Hi, World\"");
        DISPID named = 1;  // greeting
        CheckHr(c.Run(d, 2, DISPATCH_METHOD, args, 2, &named, 1), S_OK, "Greet(\"World\", greeting:=\"Hi\")");
        Check(c.IsBstr(L"Hi, World"), "named greeting");
        CheckHr(c.Run(d, 2, DISPATCH_METHOD, nullptr, 0), DISP_E_BADPARAMCOUNT, "Greet() without its required who");
        {
            // A named argument whose DISPID names no parameter: IDispatch::Invoke's documentation gives
            // DISP_E_PARAMNOTFOUND (puArgErr = that argument); Wine 8's ITypeInfo::Invoke ignores the argument and
            // calls the method (native/bench/README.md, "Wine 8 findings").
            DISPID stray = 7;
            HRESULT hr = c.Run(d, 2, DISPATCH_METHOD, args, 2, &stray, 1);
            std::printf("     Greet(\"World\", <DISPID 7>:=\"Hi\"): 0x%08lX argErr %u\n", (unsigned long)hr, c.argErr);
            Check(hr == DISP_E_PARAMNOTFOUND || (OnWine() && hr == S_OK && c.IsBstr(L"Hello, World")),
                  "a named argument matching no parameter: DISP_E_PARAMNOTFOUND (Wine: ignored)");
        }
        {
            VARIANT v = Bstr(L"v");
            CheckHr(c.Run(d, 1, DISPATCH_PROPERTYPUT, &v, 1), DISP_E_PARAMNOTFOUND,
                    "Name put without the named DISPID_PROPERTYPUT");
            VariantClear(&v);
        }
        VARIANT three[3] = {Bstr(L"a"), Bstr(L"b"), Bstr(L"c")};
        CheckHr(c.Run(d, 2, DISPATCH_METHOD, three, 3), DISP_E_BADPARAMCOUNT, "Greet with 3 arguments");
        for (VARIANT &v : three) VariantClear(&v);
        VARIANT unk;
        V_VT(&unk) = VT_UNKNOWN;
        V_UNKNOWN(&unk) = nullptr;
        HRESULT hr = c.Run(d, 2, DISPATCH_METHOD, &unk, 1);
        std::printf("     Greet(VT_UNKNOWN NULL): 0x%08lX argErr %u\n", (unsigned long)hr, c.argErr);
        Check(hr == DISP_E_TYPEMISMATCH, "Greet(VT_UNKNOWN) is DISP_E_TYPEMISMATCH");
        // Windows sets *puArgErr to the failing argument's index in rgvarg (0); Wine 8's ITypeInfo::Invoke leaves
        // it unwritten (native/bench/README.md, "Wine 8 findings").
        Check(c.argErr == 0 || (OnWine() && c.argErr == 0xFFFF), "... with puArgErr 0 (Wine: left unwritten)");
        for (VARIANT &v : args) VariantClear(&v);
    }

    // Swap: two ByRef VARIANTs exchanged in the caller's VARIANTs
    {
        VARIANT a = I4(1), b = Bstr(L"x");
        VARIANT refs[2];
        V_VT(&refs[0]) = VT_VARIANT | VT_BYREF;
        V_VARIANTREF(&refs[0]) = &a;
        V_VT(&refs[1]) = VT_VARIANT | VT_BYREF;
        V_VARIANTREF(&refs[1]) = &b;
        CheckHr(c.Run(d, 3, DISPATCH_METHOD, refs, 2), S_OK, "Swap(ByRef 1, ByRef \"x\")");
        Check(V_VT(&a) == VT_BSTR && wcscmp(V_BSTR(&a), L"x") == 0 && V_VT(&b) == VT_I4 && V_I4(&b) == 1,
              "Swap exchanged the caller's VARIANTs");
        VariantClear(&a);
        VariantClear(&b);
    }
    // Bump: a ByRef LONG
    {
        LONG v = 41;
        VARIANT ref;
        V_VT(&ref) = VT_I4 | VT_BYREF;
        V_I4REF(&ref) = &v;
        CheckHr(c.Run(d, 4, DISPATCH_METHOD, &ref, 1), S_OK, "Bump(ByRef 41)");
        Check(v == 42, "Bump wrote 42 back");
    }

    // Fail: DISP_E_EXCEPTION with EXCEPINFO from the method's IErrorInfo
    CheckHr(c.Run(d, 5, DISPATCH_METHOD, nullptr, 0), DISP_E_EXCEPTION, "Fail()");
    std::printf("     source \"%ls\" description \"%ls\" scode 0x%08lX wCode %u\n",
                c.ei.bstrSource ? c.ei.bstrSource : L"(null)", c.ei.bstrDescription ? c.ei.bstrDescription : L"(null)",
                (unsigned long)c.ei.scode, (unsigned)c.ei.wCode);
    Check(c.ei.bstrSource && wcscmp(c.ei.bstrSource, L"NativeDual") == 0, "EXCEPINFO source \"NativeDual\"");
    Check(c.ei.bstrDescription && wcscmp(c.ei.bstrDescription, L"NativeDual.Fail failed as asked") == 0,
          "EXCEPINFO description");
    Check(c.ei.scode == (SCODE)0x80040200L, "EXCEPINFO scode 0x80040200");

    // HasArg: an omitted optional VARIANT arrives as VT_ERROR DISP_E_PARAMNOTFOUND
    CheckHr(c.Run(d, 6, DISPATCH_METHOD, nullptr, 0), S_OK, "HasArg()");
    Check(V_VT(&c.result) == VT_BOOL && V_BOOL(&c.result) == VARIANT_FALSE, "HasArg() = False");
    {
        VARIANT five = I4(5);
        CheckHr(c.Run(d, 6, DISPATCH_METHOD, &five, 1), S_OK, "HasArg(5)");
        Check(V_VT(&c.result) == VT_BOOL && V_BOOL(&c.result) == VARIANT_TRUE, "HasArg(5) = True");
    }

    // Count, the default member, out of range
    CheckHr(c.Run(d, 7, DISPATCH_PROPERTYGET, nullptr, 0), S_OK, "Count");
    Check(V_VT(&c.result) == VT_I4 && V_I4(&c.result) == 3, "Count = 3");
    for (LONG i = 0; i < 3; ++i) {
        VARIANT idx = I4(i);
        wchar_t want[8];
        swprintf(want, 8, L"item%ld", (long)i);
        std::snprintf(what, sizeof what, "DISPID_VALUE(%ld) with METHOD|PROPERTYGET", (long)i);
        CheckHr(c.Run(d, DISPID_VALUE, DISPATCH_METHOD | DISPATCH_PROPERTYGET, &idx, 1), S_OK, what);
        std::snprintf(what, sizeof what, "default member (%ld) = \"item%ld\"", (long)i, (long)i);
        Check(c.IsBstr(want), what);
    }
    {
        VARIANT idx = Bstr(L"2");  // coerced to LONG by ITypeInfo::Invoke
        CheckHr(c.Run(d, DISPID_VALUE, DISPATCH_PROPERTYGET, &idx, 1), S_OK, "DISPID_VALUE(\"2\") coerced");
        Check(c.IsBstr(L"item2"), "DISPID_VALUE(\"2\") = \"item2\"");
        VariantClear(&idx);
        VARIANT bad = I4(3);
        CheckHr(c.Run(d, DISPID_VALUE, DISPATCH_PROPERTYGET, &bad, 1), DISP_E_EXCEPTION, "DISPID_VALUE(3)");
        Check(c.ei.scode == DISP_E_BADINDEX && c.ei.bstrSource && wcscmp(c.ei.bstrSource, L"NativeDual") == 0,
              "DISPID_VALUE(3): EXCEPINFO scode DISP_E_BADINDEX, source NativeDual");
    }

    // _NewEnum: an IEnumVARIANT over the three items
    CheckHr(c.Run(d, DISPID_NEWENUM, DISPATCH_METHOD | DISPATCH_PROPERTYGET, nullptr, 0), S_OK, "_NewEnum");
    std::printf("     _NewEnum's vt: %d\n", (int)V_VT(&c.result));
    IEnumVARIANT *en = nullptr;
    if (V_VT(&c.result) == VT_UNKNOWN || V_VT(&c.result) == VT_DISPATCH)
        CheckHr(V_UNKNOWN(&c.result)->QueryInterface(IID_IEnumVARIANT, reinterpret_cast<void **>(&en)), S_OK,
                "_NewEnum's object answers IEnumVARIANT");
    c.Reset();
    if (en) {
        VARIANT items[4];
        ULONG got = 99;
        CheckHr(en->Next(4, items, &got), S_FALSE, "Next(4) at the start");
        Check(got == 3, "Next(4) gave 3");
        bool all = got == 3;
        for (ULONG i = 0; i < got; ++i) {
            wchar_t want[8];
            swprintf(want, 8, L"item%lu", (unsigned long)i);
            all = all && V_VT(&items[i]) == VT_BSTR && wcscmp(V_BSTR(&items[i]), want) == 0;
            VariantClear(&items[i]);
        }
        Check(all, "the items are \"item0\", \"item1\", \"item2\" (VT_BSTR)");
        CheckHr(en->Next(1, items, nullptr), S_FALSE, "Next(1) at the end");
        CheckHr(en->Next(2, items, nullptr), E_INVALIDARG, "Next(2, NULL fetched)");
        CheckHr(en->Reset(), S_OK, "Reset");
        CheckHr(en->Skip(2), S_OK, "Skip(2)");
        IEnumVARIANT *clone = nullptr;
        CheckHr(en->Clone(&clone), S_OK, "Clone");
        CheckHr(en->Next(1, items, nullptr), S_OK, "Next(1) after Skip(2)");
        Check(V_VT(&items[0]) == VT_BSTR && wcscmp(V_BSTR(&items[0]), L"item2") == 0, "... is \"item2\"");
        VariantClear(&items[0]);
        CheckHr(en->Skip(1), S_FALSE, "Skip(1) past the end");
        if (clone) {
            got = 0;
            CheckHr(clone->Next(1, items, &got), S_OK, "the clone continues from its copy's position");
            Check(got == 1 && V_VT(&items[0]) == VT_BSTR && wcscmp(V_BSTR(&items[0]), L"item2") == 0,
                  "clone's next is \"item2\"");
            VariantClear(&items[0]);
            Check(clone->Release() == 0, "clone released to 0");
        }
        Check(en->Release() == 0, "enumerator released to 0");
    }

    // bad calls
    CheckHr(c.Run(d, 99, DISPATCH_METHOD, nullptr, 0), DISP_E_MEMBERNOTFOUND, "Invoke(unknown DISPID 99)");
    CheckHr(c.Run(d, 1, DISPATCH_PROPERTYGET, nullptr, 0, nullptr, 0, IID_IDispatch), DISP_E_UNKNOWNINTERFACE,
            "Invoke with riid != IID_NULL");
    {
        VARIANT r;
        VariantInit(&r);
        CheckHr(d->Invoke(1, IID_NULL, LOCALE_USER_DEFAULT, DISPATCH_PROPERTYGET, nullptr, &r, nullptr, nullptr),
                E_INVALIDARG, "Invoke with NULL DISPPARAMS");
    }
    CheckHr(c.Run(d, 5, DISPATCH_PROPERTYPUT, nullptr, 0), DISP_E_MEMBERNOTFOUND, "PROPERTYPUT on the method Fail");

    // the other interfaces
    IProvideClassInfo *pci = nullptr;
    CheckHr(d->QueryInterface(IID_IProvideClassInfo, reinterpret_cast<void **>(&pci)), S_OK, "QI IProvideClassInfo");
    if (pci) {
        ITypeInfo *cti = nullptr;
        CheckHr(pci->GetClassInfo(&cti), S_OK, "GetClassInfo");
        if (cti) {
            TYPEATTR *attr = nullptr;
            if (SUCCEEDED(cti->GetTypeAttr(&attr))) {
                Check(attr->typekind == TKIND_COCLASS && SameGuid(attr->guid, CLSID_NativeDual),
                      "GetClassInfo: coclass NativeDual");
                cti->ReleaseTypeAttr(attr);
            }
            cti->Release();
        }
        pci->Release();
    }
    ISupportErrorInfo *sei = nullptr;
    CheckHr(d->QueryInterface(IID_ISupportErrorInfo, reinterpret_cast<void **>(&sei)), S_OK, "QI ISupportErrorInfo");
    if (sei) {
        CheckHr(sei->InterfaceSupportsErrorInfo(IID_INativeDual), S_OK, "InterfaceSupportsErrorInfo(INativeDual)");
        sei->Release();
    }
    INativeDual *nd = nullptr;
    CheckHr(d->QueryInterface(IID_INativeDual, reinterpret_cast<void **>(&nd)), S_OK, "QI INativeDual");
    if (nd) {
        BSTR name = nullptr;
        CheckHr(nd->get_Name(&name), S_OK, "vtable get_Name");
        Check(name && wcscmp(name, L"renamed") == 0, "vtable and IDispatch see the same Name");
        SysFreeString(name);
        nd->Release();
    }
}

void CheckBenchDual(IDispatch *d, const DispApi &x) {
    char what[96];
    Call c;
    Check(IdOf(d, L"Nothing") == 1 && IdOf(d, L"work") == 2 && IdOf(d, L"MIX") == 3, "IBenchDual DISPIDs 1, 2, 3");
    CheckHr(c.Run(d, 1, DISPATCH_METHOD, nullptr, 0), S_OK, "Invoke Nothing()");
    Check(V_VT(&c.result) == VT_EMPTY, "Nothing() returns nothing");
    VARIANT n = I4(100);
    CheckHr(c.Run(d, 2, DISPATCH_METHOD, &n, 1), S_OK, "Invoke Work(100)");
    Check(V_VT(&c.result) == VT_I4 && V_I4(&c.result) == 4950, "Work(100) = 4950 (VT_I4)");
    VARIANT neg = I4(-1);
    CheckHr(c.Run(d, 2, DISPATCH_METHOD, &neg, 1), DISP_E_EXCEPTION, "Invoke Work(-1)");
    Check(c.ei.scode == E_INVALIDARG, "Work(-1): EXCEPINFO scode E_INVALIDARG");
    const struct { const wchar_t *s; LONG n; double d; const wchar_t *want; } mixes[] = {
        {L"abc", 7, 2.5, L"abc:7:2.5"}, {L"", -3, 0.1, L":-3:0.10000000000000001"}, {L"x", 0, 1e300, L"x:0:1.0000000000000001e+300"},
        {L"y", 2147483647, -0.0, L"y:2147483647:-0"}, {L"z", 1, 3.0, L"z:1:3"}};
    for (const auto &m : mixes) {
        VARIANT args[3] = {Bstr(m.s), I4(m.n), {}};
        V_VT(&args[2]) = VT_R8;
        V_R8(&args[2]) = m.d;
        HRESULT hr = c.Run(d, 3, DISPATCH_METHOD, args, 3);
        std::snprintf(what, sizeof what, "Mix = \"%ls\"", m.want);
        Check(hr == S_OK && c.IsBstr(m.want), what);
        if (!c.IsBstr(m.want) && V_VT(&c.result) == VT_BSTR) std::printf("     got \"%ls\"\n", V_BSTR(&c.result));
        VariantClear(&args[0]);
    }
    {
        VARIANT args[3] = {I4(5), Bstr(L"6"), Bstr(L"2.5")};  // coerced: s from 5, n from "6", d from "2.5"
        HRESULT hr = c.Run(d, 3, DISPATCH_METHOD, args, 3);
        std::printf("     Mix(5, \"6\", \"2.5\"): 0x%08lX \"%ls\"\n", (unsigned long)hr,
                    V_VT(&c.result) == VT_BSTR ? V_BSTR(&c.result) : L"");
        Check(hr == S_OK && c.IsBstr(L"5:6:2.5"), "Mix(5, \"6\", \"2.5\") coerces its arguments: \"5:6:2.5\"");
        VariantClear(&args[1]);
        VariantClear(&args[2]);
    }
    CheckHr(x.LoopInvokeNothing(d, 10000), S_OK, "TL_LoopInvokeNothing(1e4)");
    LONG last = -1;
    CheckHr(x.LoopInvokeWork(d, 10, 100, &last), S_OK, "TL_LoopInvokeWork(10, 100)");
    Check(last == 4950, "TL_LoopInvokeWork lastSum 4950");
    CheckHr(x.LoopInvokeWork(d, 1, -1, &last), E_INVALIDARG, "TL_LoopInvokeWork(w=-1) stops with E_INVALIDARG");
    CheckHr(x.LoopInvokeMix(d, 1000), S_OK, "TL_LoopInvokeMix(1e3)");
    CheckHr(x.LoopInvokeNothing(nullptr, 1), E_POINTER, "TL_LoopInvokeNothing(NULL)");
}

void CheckDispatchObjects(HMODULE dll, const wchar_t *path,
                          HRESULT (*getClassObject)(const GUID *, const GUID *, void **)) {
    DispApi x{};
    bool all = Load(dll, "TL_CreateNativeDual", x.CreateNativeDual) & Load(dll, "TL_CreateBenchDual", x.CreateBenchDual) &
               Load(dll, "TL_CreateBenchDualFactory", x.CreateBenchDualFactory) &
               Load(dll, "TL_DualLiveObjects", x.DualLiveObjects) &
               Load(dll, "TL_LoopInvokeNothing", x.LoopInvokeNothing) &
               Load(dll, "TL_LoopInvokeWork", x.LoopInvokeWork) & Load(dll, "TL_LoopInvokeMix", x.LoopInvokeMix);
    Check(all, "dispatch exports present");
    if (!all) return;
    Check(x.DualLiveObjects() == 0, "no dispatch objects at start");

    // the type libraries, as the test side loads them
    ITypeLib *lib = nullptr;
    CheckHr(LoadTypeLibEx(path, REGKIND_NONE, &lib), S_OK, "LoadTypeLibEx(<dll>) (TYPELIB 1: NativeDualLib)");
    if (lib) {
        ITypeInfo *ti = nullptr;
        CheckHr(lib->GetTypeInfoOfGuid(IID_INativeDual, &ti), S_OK, "NativeDualLib has INativeDual");
        if (ti) ti->Release();
        lib->Release();
    }
    wchar_t second[MAX_PATH + 4];
    std::swprintf(second, MAX_PATH + 4, L"%ls\\2", path);
    lib = nullptr;
    CheckHr(LoadTypeLibEx(second, REGKIND_NONE, &lib), S_OK, "LoadTypeLibEx(<dll>\\2) (TYPELIB 2: BenchDualLib)");
    if (lib) {
        ITypeInfo *ti = nullptr;
        CheckHr(lib->GetTypeInfoOfGuid(IID_IBenchDual, &ti), S_OK, "BenchDualLib has IBenchDual");
        if (ti) ti->Release();
        lib->Release();
    }

    IDispatch *d = nullptr;
    CheckHr(x.CreateNativeDual(&IID_IDispatch, reinterpret_cast<void **>(&d)), S_OK, "TL_CreateNativeDual(IDispatch)");
    if (d) {
        Check(x.DualLiveObjects() == 1, "one NativeDual alive");
        CheckNativeDual(d);
        Check(RefCount(d) == 1, "NativeDual's count back to 1 after the checks");
        Check(d->Release() == 0, "NativeDual released to 0");
    }
    void *bogus = reinterpret_cast<void *>(1);
    CheckHr(x.CreateNativeDual(&IID_IStream, &bogus), E_NOINTERFACE, "TL_CreateNativeDual(IStream)");
    Check(bogus == nullptr, "failed create sets *ppv = NULL");
    CheckHr(x.CreateNativeDual(nullptr, &bogus), E_INVALIDARG, "TL_CreateNativeDual(NULL riid)");

    d = nullptr;
    CheckHr(x.CreateBenchDual(&IID_IDispatch, reinterpret_cast<void **>(&d)), S_OK, "TL_CreateBenchDual(IDispatch)");
    if (d) {
        CheckBenchDual(d, x);
        IBenchDual *bd = nullptr;
        CheckHr(d->QueryInterface(IID_IBenchDual, reinterpret_cast<void **>(&bd)), S_OK, "QI IBenchDual");
        if (bd) {
            VARIANT r;
            VariantInit(&r);
            BSTR s = SysAllocString(L"abc");
            CheckHr(bd->Mix(s, 7, 2.5, &r), S_OK, "vtable Mix");
            Check(V_VT(&r) == VT_BSTR && wcscmp(V_BSTR(&r), L"abc:7:2.5") == 0, "vtable Mix = \"abc:7:2.5\"");
            VariantClear(&r);
            SysFreeString(s);
            bd->Release();
        }
        Check(d->Release() == 0, "BenchDual released to 0");
    }

    IClassFactory *f = nullptr;
    CheckHr(x.CreateBenchDualFactory(&IID_IClassFactory, reinterpret_cast<void **>(&f)), S_OK,
            "TL_CreateBenchDualFactory");
    if (f) {
        IDispatch *o = nullptr;
        CheckHr(f->CreateInstance(nullptr, IID_IDispatch, reinterpret_cast<void **>(&o)), S_OK,
                "BenchDual factory CreateInstance");
        if (o) {
            CheckHr(x.LoopInvokeNothing(o, 10), S_OK, "factory-made BenchDual answers Invoke");
            o->Release();
        }
        bogus = reinterpret_cast<void *>(1);
        CheckHr(f->CreateInstance(f, IID_IUnknown, &bogus), CLASS_E_NOAGGREGATION, "BenchDual: no aggregation");
        Check(bogus == nullptr, "CLASS_E_NOAGGREGATION sets *ppv = NULL");
        f->Release();
    }
    const GUID *classes[2] = {&CLSID_TL_BenchDual, &CLSID_NativeDual};
    for (const GUID *cls : classes) {
        IClassFactory *cf = nullptr;
        CheckHr(getClassObject(cls, &IID_IClassFactory, reinterpret_cast<void **>(&cf)), S_OK,
                "DllGetClassObject(dispatch class)");
        if (cf) {
            IDispatch *o = nullptr;
            CheckHr(cf->CreateInstance(nullptr, IID_IDispatch, reinterpret_cast<void **>(&o)), S_OK,
                    "... CreateInstance(IDispatch)");
            if (o) o->Release();
            cf->Release();
        }
    }
    Check(x.DualLiveObjects() == 0, "no dispatch objects left");
}
}  // namespace

int wmain(int argc, wchar_t **argv) {
    std::setvbuf(stdout, nullptr, _IONBF, 0);
    wchar_t path[MAX_PATH];
    if (argc > 1) {
        wcsncpy(path, argv[1], MAX_PATH - 1);
        path[MAX_PATH - 1] = 0;
    } else {
        DWORD len = GetModuleFileNameW(nullptr, path, MAX_PATH);
        while (len > 0 && path[len - 1] != L'\\' && path[len - 1] != L'/') --len;
        path[len] = 0;
        wcsncat(path, L"vtables_testlib.dll", MAX_PATH - 1 - len);
    }
    HMODULE dll = LoadLibraryW(path);
    if (!dll) {
        std::printf("FAIL LoadLibraryW(%ls): error %lu\n", path, GetLastError());
        return 2;
    }
    Api a{};
    bool all = Load(dll, "TL_CreateBenchTarget", a.CreateBenchTarget) & Load(dll, "TL_LiveObjects", a.LiveObjects) &
               Load(dll, "TL_CreateClassFactory", a.CreateClassFactory) &
               Load(dll, "DllGetClassObject", a.GetClassObject) & Load(dll, "DllCanUnloadNow", a.CanUnloadNow) &
               Load(dll, "TL_CreateOuter", a.CreateOuter) & Load(dll, "TL_LoopNothing", a.LoopNothing) &
               Load(dll, "TL_LoopWork", a.LoopWork) & Load(dll, "TL_LoopAddRefRelease", a.LoopAddRefRelease) &
               Load(dll, "TL_LoopQueryInterface", a.LoopQueryInterface) &
               Load(dll, "TL_LoopCreateInstance", a.LoopCreateInstance) &
               Load(dll, "TL_LoopCoGetCurrentProcess", a.LoopCoGetCurrentProcess) &
               Load(dll, "TL_LoopCoCreateInstance", a.LoopCoCreateInstance) &
               Load(dll, "TL_QueryInterface", a.QueryInterface) & Load(dll, "TL_AddRef", a.AddRef) &
               Load(dll, "TL_Release", a.Release) & Load(dll, "TL_CallNothing", a.CallNothing) &
               Load(dll, "TL_CallWork", a.CallWork) & Load(dll, "TL_HammerAddRefRelease", a.Hammer) &
               Load(dll, "TL_CallAndGetErrorInfo", a.CallAndGetErrorInfo);
    if (!all) return 2;
    std::printf("loaded %ls\n", path);

    CheckHr(CoInitializeEx(nullptr, COINIT_MULTITHREADED), S_OK, "CoInitializeEx(MTA)");
    Check(a.LiveObjects() == 0, "no live objects at start");
    CheckHr(a.CanUnloadNow(), S_OK, "DllCanUnloadNow with nothing alive");

    // --- bench target -------------------------------------------------------------------------------------------
    IBenchTarget *t = nullptr;
    CheckHr(a.CreateBenchTarget(nullptr, &IID_IBenchTarget, reinterpret_cast<void **>(&t)), S_OK,
            "TL_CreateBenchTarget(IBenchTarget)");
    if (!t) return 1;
    Check(a.LiveObjects() == 1, "one live object");
    Check(RefCount(t) == 1, "new object has refcount 1");
    CheckHr(t->Nothing(), S_OK, "Nothing()");
    CheckHr(a.CallNothing(t), S_OK, "TL_CallNothing");
    const LONG ns[] = {0, 1, 10, 100, 70000};
    for (LONG n : ns) {
        LONG sum = -1;
        char what[80];
        std::snprintf(what, sizeof what, "Work(%ld) hr", (long)n);
        CheckHr(t->Work(n, &sum), S_OK, what);
        std::snprintf(what, sizeof what, "Work(%ld) sum %ld (want %ld)", (long)n, (long)sum, (long)ExpectedSum(n));
        Check(sum == ExpectedSum(n), what);
    }
    LONG sum = -1;
    CheckHr(a.CallWork(t, 10, &sum), S_OK, "TL_CallWork(10)");
    Check(sum == 45, "TL_CallWork(10) sum 45");
    CheckHr(a.CallWork(t, -1, &sum), E_INVALIDARG, "Work(-1)");
    CheckHr(a.CallWork(t, 1, nullptr), E_POINTER, "Work(1, NULL)");

    IPersist *ps = nullptr;
    CheckHr(a.QueryInterface(t, &IID_IPersist, reinterpret_cast<void **>(&ps)), S_OK, "QI IPersist");
    CLSID cls{};
    if (ps) {
        CheckHr(ps->GetClassID(&cls), S_OK, "GetClassID");
        Check(SameGuid(cls, CLSID_TL_BenchTarget), "GetClassID == CLSID_TL_BenchTarget");
        Check(RefCount(t) == 2, "QI added a reference");
    }
    IUnknown *u1 = nullptr, *u2 = nullptr;
    a.QueryInterface(t, &IID_IUnknown, reinterpret_cast<void **>(&u1));
    if (ps) a.QueryInterface(ps, &IID_IUnknown, reinterpret_cast<void **>(&u2));
    Check(u1 && u1 == u2, "IUnknown identity from IBenchTarget and IPersist");
    Check(static_cast<void *>(u1) != static_cast<void *>(t), "IUnknown is a separate (non-delegating) pointer");
    void *bogus = reinterpret_cast<void *>(1);
    CheckHr(a.QueryInterface(t, &IID_IStream, &bogus), E_NOINTERFACE, "QI IStream");
    Check(bogus == nullptr, "failed QI sets *ppv = NULL");
    CheckHr(a.QueryInterface(t, &IID_IPersist, nullptr), E_POINTER, "QI with NULL ppv");
    Check(a.AddRef(t) == 5, "TL_AddRef returns the new count");
    Check(a.Release(t) == 4, "TL_Release returns the new count");
    Check(a.AddRef(nullptr) == 0 && a.Release(nullptr) == 0, "TL_AddRef/TL_Release(NULL) == 0");
    if (u2) u2->Release();
    if (u1) u1->Release();
    if (ps) ps->Release();

    bogus = reinterpret_cast<void *>(1);
    CheckHr(a.CreateBenchTarget(t, &IID_IBenchTarget, &bogus), CLASS_E_NOAGGREGATION,
            "TL_CreateBenchTarget(outer, IBenchTarget)");
    Check(bogus == nullptr, "CLASS_E_NOAGGREGATION sets *ppv = NULL");
    CheckHr(a.CreateBenchTarget(nullptr, &IID_IBenchTarget, nullptr), E_POINTER, "TL_CreateBenchTarget(ppv NULL)");
    bogus = reinterpret_cast<void *>(1);
    CheckHr(a.CreateBenchTarget(nullptr, &IID_IStream, &bogus), E_NOINTERFACE, "TL_CreateBenchTarget(IStream)");
    Check(bogus == nullptr && a.LiveObjects() == 1, "failed create leaves nothing behind");

    // --- loops on the bench target -------------------------------------------------------------------------------
    CheckHr(a.LoopNothing(t, 1000000), S_OK, "TL_LoopNothing(1e6)");
    LONG last = -1;
    CheckHr(a.LoopWork(t, 20, 100, &last), S_OK, "TL_LoopWork(20, 100)");
    Check(last == 4950, "TL_LoopWork lastSum 4950");
    CheckHr(a.LoopWork(t, 3, -5, &last), E_INVALIDARG, "TL_LoopWork(w=-5) stops with E_INVALIDARG");
    CheckHr(a.LoopAddRefRelease(t, 1000000), S_OK, "TL_LoopAddRefRelease(1e6)");
    CheckHr(a.LoopQueryInterface(t, &IID_IPersist, 100000), S_OK, "TL_LoopQueryInterface(IPersist)");
    CheckHr(a.LoopQueryInterface(t, &IID_IStream, 10), E_NOINTERFACE, "TL_LoopQueryInterface(IStream)");
    Check(RefCount(t) == 1, "loops left the count at 1");
    DWORD pid = 0;
    CheckHr(a.LoopCoGetCurrentProcess(1000, &pid), S_OK, "TL_LoopCoGetCurrentProcess");
    Check(pid == CoGetCurrentProcess() && pid != 0, "TL_LoopCoGetCurrentProcess value");

    // --- hammer ----------------------------------------------------------------------------------------------------
    ULONG c1 = 0, c2 = 0;
    CheckHr(a.Hammer(t, 4, 200000, &c1, &c2), S_OK, "TL_HammerAddRefRelease(4 x 200000)");
    std::printf("     counts after AddRefs %lu, after Releases %lu\n", (unsigned long)c1, (unsigned long)c2);
    Check(c1 == 1 + 4 * 200000 && c2 == 1, "hammer counts exact (thread-safe refcount)");
    CheckHr(a.Hammer(t, 70, 1000, &c1, &c2), S_OK, "TL_HammerAddRefRelease(70 x 1000)");
    Check(c1 == 1 + 70 * 1000 && c2 == 1, "hammer with more than 64 threads");
    CheckHr(a.Hammer(t, 0, 10, &c1, &c2), E_INVALIDARG, "TL_HammerAddRefRelease(0 threads)");

    // --- error info (C++ stand-in objects) ------------------------------------------------------------------------
    wchar_t desc[64], src[8];
    HRESULT callHr = 0;
    CheckHr(a.CallAndGetErrorInfo(t, 5, &callHr, desc, 64, src, 8), S_FALSE, "TL_CallAndGetErrorInfo (success)");
    Check(callHr == S_OK && desc[0] == 0 && src[0] == 0, "success: callHr S_OK, empty strings");
    CheckHr(a.CallAndGetErrorInfo(t, -1, &callHr, desc, 64, src, 8), S_FALSE,
            "TL_CallAndGetErrorInfo (no ISupportErrorInfo)");
    Check(callHr == E_INVALIDARG, "no ISupportErrorInfo: callHr E_INVALIDARG");
    {
        ErrorTarget et;
        CheckHr(a.CallAndGetErrorInfo(static_cast<IBenchTarget *>(&et), -1, &callHr, desc, 64, src, 8), S_OK,
                "TL_CallAndGetErrorInfo (rich error)");
        std::printf("     desc=\"%ls\" source=\"%ls\"\n", desc, src);
        Check(callHr == DISP_E_OVERFLOW, "rich error: callHr");
        Check(wcscmp(desc, L"negative work requested by the self-test") == 0, "rich error: description");
        Check(wcscmp(src, L"selftes") == 0, "rich error: source truncated to 7 chars + NUL");
        SetErrorInfo(0, nullptr);
        CheckHr(a.CallAndGetErrorInfo(static_cast<IBenchTarget *>(&et), 3, &callHr, desc, 64, src, 8), S_FALSE,
                "TL_CallAndGetErrorInfo (stand-in succeeds)");
        et.m_supports = false;
        CheckHr(a.CallAndGetErrorInfo(static_cast<IBenchTarget *>(&et), -1, &callHr, desc, 64, src, 8), S_FALSE,
                "TL_CallAndGetErrorInfo (stand-in without ISupportErrorInfo)");
        SetErrorInfo(0, nullptr);
        Check(et.m_ref == 1, "error-info probe released everything");
    }

    // --- class factory ---------------------------------------------------------------------------------------------
    IClassFactory *f = nullptr;
    CheckHr(a.CreateClassFactory(&IID_IClassFactory, reinterpret_cast<void **>(&f)), S_OK, "TL_CreateClassFactory");
    if (!f) return 1;
    Check(a.LiveObjects() == 2, "factory counted as live");
    bogus = reinterpret_cast<void *>(1);
    CheckHr(a.CreateClassFactory(&IID_IStream, &bogus), E_NOINTERFACE, "TL_CreateClassFactory(IStream)");
    Check(bogus == nullptr && a.LiveObjects() == 2, "failed factory create leaves nothing behind");
    IBenchTarget *t2 = nullptr;
    CheckHr(f->CreateInstance(nullptr, IID_IBenchTarget, reinterpret_cast<void **>(&t2)), S_OK,
            "IClassFactory::CreateInstance");
    if (t2) {
        CheckHr(t2->Nothing(), S_OK, "factory-made object works");
        t2->Release();
    }
    bogus = reinterpret_cast<void *>(1);
    CheckHr(f->CreateInstance(t, IID_IPersist, &bogus), CLASS_E_NOAGGREGATION, "CreateInstance(outer, IPersist)");
    Check(bogus == nullptr, "CLASS_E_NOAGGREGATION sets *ppv = NULL");
    CheckHr(f->CreateInstance(nullptr, IID_IBenchTarget, nullptr), E_POINTER, "CreateInstance(ppv NULL)");
    CheckHr(a.LoopCreateInstance(f, &IID_IBenchTarget, 100000), S_OK, "TL_LoopCreateInstance(1e5)");
    CheckHr(a.LoopCreateInstance(f, &IID_IStream, 10), E_NOINTERFACE, "TL_LoopCreateInstance(IStream)");
    Check(a.LiveObjects() == 2, "loop created and freed all instances");
    CheckHr(f->LockServer(TRUE), S_OK, "LockServer(TRUE)");

    // --- DllGetClassObject / DllCanUnloadNow -----------------------------------------------------------------------
    IClassFactory *f2 = nullptr;
    CheckHr(a.GetClassObject(&CLSID_TL_BenchTarget, &IID_IClassFactory, reinterpret_cast<void **>(&f2)), S_OK,
            "DllGetClassObject(CLSID_TL_BenchTarget)");
    if (f2) f2->Release();
    bogus = reinterpret_cast<void *>(1);
    CheckHr(a.GetClassObject(&CLSID_TL_Outer, &IID_IClassFactory, &bogus), CLASS_E_CLASSNOTAVAILABLE,
            "DllGetClassObject(other CLSID)");
    Check(bogus == nullptr, "DllGetClassObject failure sets *ppv = NULL");

    // --- CoCreateInstance through a class object registered in this process --------------------------------------
    DWORD cookie = 0;
    CheckHr(CoRegisterClassObject(CLSID_TL_BenchTarget, f, CLSCTX_INPROC_SERVER, REGCLS_MULTIPLEUSE, &cookie), S_OK,
            "CoRegisterClassObject");
    CheckHr(a.LoopCoCreateInstance(&CLSID_TL_BenchTarget, CLSCTX_INPROC_SERVER, &IID_IBenchTarget, 100), S_OK,
            "TL_LoopCoCreateInstance(registered)");
    CheckHr(CoRevokeClassObject(cookie), S_OK, "CoRevokeClassObject");
    CheckHr(a.LoopCoCreateInstance(&CLSID_TL_Outer, CLSCTX_INPROC_SERVER, &IID_IUnknown, 3), REGDB_E_CLASSNOTREG,
            "TL_LoopCoCreateInstance(unregistered)");

    // --- aggregation: outer + bench target from the DLL's own factory as the inner -------------------------------
    IUnknown *o = nullptr;
    CheckHr(a.CreateOuter(f, &IID_IUnknown, reinterpret_cast<void **>(&o)), S_OK, "TL_CreateOuter");
    if (!o) return 1;
    Check(a.LiveObjects() == 4, "outer + inner + factory + target alive");
    Check(RefCount(o) == 1, "outer starts at refcount 1");
    IPersist *op = nullptr;
    CheckHr(o->QueryInterface(IID_IPersist, reinterpret_cast<void **>(&op)), S_OK, "outer QI IPersist");
    if (op) {
        CheckHr(op->GetClassID(&cls), S_OK, "outer GetClassID");
        Check(SameGuid(cls, CLSID_TL_Outer), "outer's IPersist wins: CLSID_TL_Outer");
        op->Release();
    }
    IBenchTarget *ob = nullptr;
    CheckHr(o->QueryInterface(IID_IBenchTarget, reinterpret_cast<void **>(&ob)), S_OK, "outer QI IBenchTarget");
    if (ob) {
        Check(RefCount(o) == 2, "inner's interface holds a reference on the outer");
        CheckHr(ob->Nothing(), S_OK, "aggregated Nothing()");
        CheckHr(ob->Work(100, &sum), S_OK, "aggregated Work(100)");
        Check(sum == 4950, "aggregated Work(100) sum");
        IUnknown *ou = nullptr;
        CheckHr(ob->QueryInterface(IID_IUnknown, reinterpret_cast<void **>(&ou)), S_OK, "inner QI IUnknown");
        Check(ou == o, "identity: inner's QI(IUnknown) gives the outer");
        if (ou) ou->Release();
        IPersist *ip = nullptr;
        CheckHr(ob->QueryInterface(IID_IPersist, reinterpret_cast<void **>(&ip)), S_OK, "inner QI IPersist");
        if (ip) {
            ip->GetClassID(&cls);
            Check(SameGuid(cls, CLSID_TL_Outer), "inner's QI(IPersist) delegates to the outer");
            ip->Release();
        }
        Check(ob->AddRef() == 3 && ob->Release() == 2, "inner's AddRef/Release count on the outer");
        CheckHr(a.LoopAddRefRelease(ob, 1000), S_OK, "TL_LoopAddRefRelease(aggregated)");
        CheckHr(a.LoopQueryInterface(o, &IID_IBenchTarget, 1000), S_OK, "TL_LoopQueryInterface(outer->inner)");
        CheckHr(a.Hammer(ob, 3, 10000, &c1, &c2), S_OK, "TL_HammerAddRefRelease(aggregated)");
        Check(c1 == 2 + 3 * 10000 && c2 == 2, "hammer on aggregated object counts on the outer");
        ob->Release();
    }
    bogus = reinterpret_cast<void *>(1);
    CheckHr(o->QueryInterface(IID_IStream, &bogus), E_NOINTERFACE, "outer QI IStream");
    Check(bogus == nullptr, "outer failed QI sets *ppv = NULL");
    Check(o->Release() == 0, "outer released to 0");
    Check(a.LiveObjects() == 2, "outer and its inner are gone");
    bogus = reinterpret_cast<void *>(1);
    CheckHr(a.CreateOuter(f, &IID_IStream, &bogus), E_NOINTERFACE, "TL_CreateOuter(IStream)");
    Check(bogus == nullptr && a.LiveObjects() == 2, "failed outer create leaves nothing behind");
    CheckHr(a.CreateOuter(nullptr, &IID_IUnknown, &bogus), E_POINTER, "TL_CreateOuter(NULL factory)");
    // an outer built on a factory from DllGetClassObject, asked for IPersist directly
    {
        IClassFactory *nf = nullptr;
        a.GetClassObject(&CLSID_TL_BenchTarget, &IID_IClassFactory, reinterpret_cast<void **>(&nf));
        Check(nf != nullptr, "second factory");
        if (nf) {
            CheckHr(a.CreateOuter(nf, &IID_IPersist, &bogus), S_OK, "TL_CreateOuter(IPersist)");
            if (bogus) static_cast<IUnknown *>(bogus)->Release();
            nf->Release();
        }
    }

    // --- IDispatch objects ----------------------------------------------------------------------------------------
    CheckDispatchObjects(dll, path, a.GetClassObject);

    // --- teardown --------------------------------------------------------------------------------------------------
    CheckHr(a.CanUnloadNow(), S_FALSE, "DllCanUnloadNow with objects and a lock");
    Check(t->Release() == 0, "bench target released to 0");
    CheckHr(a.CanUnloadNow(), S_FALSE, "DllCanUnloadNow with factory and a lock");
    CheckHr(f->LockServer(FALSE), S_OK, "LockServer(FALSE)");
    Check(f->Release() == 0, "factory released to 0");
    Check(a.LiveObjects() == 0, "no live objects at end");
    CheckHr(a.CanUnloadNow(), S_OK, "DllCanUnloadNow at end");
    CoUninitialize();
    FreeLibrary(dll);

    std::printf("%d checks, %d failures\n", g_checks, g_failures);
    return g_failures ? 1 : 0;
}
