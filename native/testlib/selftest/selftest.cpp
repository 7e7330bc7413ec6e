/* Self-test of vtables_testlib.dll: loads it with LoadLibraryW, exercises every export, prints one line per check,
 * exits nonzero on any failure. Not part of the DLL (the Makefile builds the DLL from the .cpp files directly in
 * native/testlib, hence this subfolder). Build and run:
 *   make -C /work/main native
 *   x86_64-w64-mingw32-g++ -O2 -std=c++17 -Wall -municode -static -static-libgcc -static-libstdc++ \
 *     -o /work/main/build/native/testlib_selftest.exe \
 *     /work/main/native/testlib/selftest/selftest.cpp /work/main/native/testlib/guids.cpp -lole32 -loleaut32 -luuid
 *   /work/main/tools/wineserver-up
 *   WINEPREFIX=/work/main/.winenv/prefix WINEDEBUG=-all \
 *     wine /work/main/build/native/testlib_selftest.exe [path-to-vtables_testlib.dll] </dev/null 2>&1 | cat
 * Without an argument it loads vtables_testlib.dll from the exe's own folder.
 */
#include "../testlib_internal.h"
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
