// bench_cpp_server.exe: the C++ LocalServer32 of the benchmarks. Two classes (bench_object.h):
//   CLSID_CppBenchServer     {7C1E5A40-2B3D-4F5E-8A6B-1C2D3E4F5A01}  implementing IBenchTarget
//   CLSID_CppBenchDualServer {7782D954-1218-4973-A2D7-3791F94773C3}  implementing IBenchDual (dual: IDispatch
//                            from BenchDualLib through ITypeInfo::Invoke, native/common/bench_dual.h)
// GUI subsystem: it never creates a console or a window.
//
//   bench_cpp_server.exe -RegServer [-Linger ms] [-Idle ms] [-TypeLib path] [-DualTypeLib path]
//       HKCR\CLSID\{clsid} = name, its LocalServer32 = this exe's full path (plus the -Linger/-Idle options given
//       here, if any; COM itself appends " -Embedding"), for both classes, and registers both type libraries
//       (default: benchtarget.tlb and benchdual.tlb next to the exe) with LoadTypeLibEx(REGKIND_REGISTER), which
//       makes the typelib marshaller IBenchTarget's and IBenchDual's proxy/stub.
//   bench_cpp_server.exe -UnregServer [-TypeLib path] [-DualTypeLib path]
//       deletes both HKCR\CLSID\{clsid} keys and unregisters both type libraries.
//   bench_cpp_server.exe [-Embedding] [-Linger ms] [-Idle ms] [-NoPin]
//       serves both classes: MTA, CoRegisterClassObject(CLSCTX_LOCAL_SERVER, REGCLS_MULTIPLEUSE |
//       REGCLS_SUSPENDED) + CoResumeClassObjects. Every object and every LockServer(TRUE) takes a
//       CoAddRefServerProcess reference, released with CoReleaseServerProcess. When the count drops to zero after
//       at least one object existed, the server lingers `-Linger` ms (default 500; env BENCH_SERVER_LINGER_MS) and
//       exits if nothing was created in the meantime. With no object ever created it exits after `-Idle` ms
//       (default 30000; env BENCH_SERVER_IDLE_MS). It pins the stubs of IClassFactory, IUnknown, IBenchTarget,
//       IBenchDual and IDispatch with table-strong marshals for its whole life (StubPin in bench_object.h: a
//       Wine 8 hang workaround); -NoPin leaves that out.
//
// Messages go to the inherited std handles when there are any; the exit code is 0 on success, 1 on failure,
// 2 on a usage error.
#include "bench_object.h"
#include <shellapi.h>
#include <oleauto.h>
#include <stdio.h>
#include <wchar.h>

namespace {

using bench::CLSID_CppBenchDualServer;
using bench::CLSID_CppBenchServer;

const wchar_t kServerName[] = L"ole32-bindings C++ bench server (IBenchTarget)";
const wchar_t kDualServerName[] = L"ole32-bindings C++ bench server (IBenchDual)";

// ---- output -------------------------------------------------------------------------------------------------
void Emit(DWORD which, const wchar_t *fmt, ...) {
    wchar_t wbuf[2048];
    va_list ap;
    va_start(ap, fmt);
    _vsnwprintf(wbuf, 2047, fmt, ap);
    va_end(ap);
    wbuf[2047] = L'\0';
    HANDLE h = GetStdHandle(which);
    if (h == nullptr || h == INVALID_HANDLE_VALUE) return;
    char buf[6144];
    int len = WideCharToMultiByte(CP_UTF8, 0, wbuf, -1, buf, sizeof buf, nullptr, nullptr);
    if (len <= 1) return;
    DWORD written = 0;
    WriteFile(h, buf, (DWORD)(len - 1), &written, nullptr);
}
#define SAY(...) Emit(STD_OUTPUT_HANDLE, __VA_ARGS__)
#define COMPLAIN(...) Emit(STD_ERROR_HANDLE, __VA_ARGS__)

// ---- lifetime -----------------------------------------------------------------------------------------------
volatile LONG g_locks = 0;        // mirror of the CoAddRefServerProcess count
volatile LONG g_everCreated = 0;  // set by the first object / LockServer(TRUE)
HANDLE g_zero = nullptr;          // auto-reset: set each time the count drops to zero
volatile LONG g_stopping = 0;     // set once the server has decided to exit: late activations are refused

bool Stopping() { return InterlockedCompareExchange(&g_stopping, 0, 0) != 0; }

void ServerLock() {
    InterlockedExchange(&g_everCreated, 1);
    InterlockedIncrement(&g_locks);
    CoAddRefServerProcess();
}

void ServerUnlock() {
    InterlockedDecrement(&g_locks);
    if (CoReleaseServerProcess() == 0) SetEvent(g_zero);
}

// ---- options ------------------------------------------------------------------------------------------------
enum class Mode { Serve, Register, Unregister };

struct Options {
    Mode mode = Mode::Serve;
    DWORD lingerMs = 500;
    DWORD idleMs = 30000;
    bool lingerGiven = false, idleGiven = false;
    bool pin = true;  // -NoPin: no StubPin (reproduces the Wine 8 RpcServerUnregisterIf hang, see bench_object.h)
    wchar_t typelib[MAX_PATH] = L"";
    wchar_t dualTypelib[MAX_PATH] = L"";
};

bool IsOpt(const wchar_t *arg, const wchar_t *name) {
    return (arg[0] == L'-' || arg[0] == L'/') && _wcsicmp(arg + 1, name) == 0;
}

bool ParseMs(const wchar_t *s, DWORD *out) {
    if (!s || !*s) return false;
    wchar_t *end = nullptr;
    unsigned long v = wcstoul(s, &end, 10);
    if (*end) return false;
    *out = (DWORD)v;
    return true;
}

DWORD EnvMs(const wchar_t *name, DWORD dflt) {
    wchar_t buf[32];
    DWORD n = GetEnvironmentVariableW(name, buf, 32);
    DWORD v;
    if (n > 0 && n < 32 && ParseMs(buf, &v)) return v;
    return dflt;
}

bool ParseArgs(int argc, wchar_t **argv, Options *o) {
    o->lingerMs = EnvMs(L"BENCH_SERVER_LINGER_MS", o->lingerMs);
    o->idleMs = EnvMs(L"BENCH_SERVER_IDLE_MS", o->idleMs);
    for (int i = 1; i < argc; ++i) {
        const wchar_t *a = argv[i];
        if (IsOpt(a, L"RegServer")) o->mode = Mode::Register;
        else if (IsOpt(a, L"UnregServer")) o->mode = Mode::Unregister;
        else if (IsOpt(a, L"Embedding") || IsOpt(a, L"Automation")) {}
        else if (IsOpt(a, L"Linger") && i + 1 < argc && ParseMs(argv[i + 1], &o->lingerMs)) { o->lingerGiven = true; ++i; }
        else if (IsOpt(a, L"Idle") && i + 1 < argc && ParseMs(argv[i + 1], &o->idleMs)) { o->idleGiven = true; ++i; }
        else if (IsOpt(a, L"NoPin")) o->pin = false;
        else if (IsOpt(a, L"TypeLib") && i + 1 < argc) { lstrcpynW(o->typelib, argv[i + 1], MAX_PATH); ++i; }
        else if (IsOpt(a, L"DualTypeLib") && i + 1 < argc) { lstrcpynW(o->dualTypelib, argv[i + 1], MAX_PATH); ++i; }
        else {
            COMPLAIN(L"bench_cpp_server: unknown argument '%ls'\n"
                L"usage: bench_cpp_server.exe -RegServer [-Linger ms] [-Idle ms] [-TypeLib path] [-DualTypeLib path]"
                L" | -UnregServer [-TypeLib path] [-DualTypeLib path] | [-Embedding] [-Linger ms] [-Idle ms]"
                L" [-NoPin]\n", a);
            return false;
        }
    }
    return true;
}

// ---- registration -------------------------------------------------------------------------------------------
bool ModulePath(wchar_t *path, DWORD cap) {
    DWORD n = GetModuleFileNameW(nullptr, path, cap);
    return n > 0 && n < cap;
}

// `name` next to the exe into `out`, unless `out` was given.
void DefaultPathNextToExe(wchar_t *out, const wchar_t *name) {
    if (out[0]) return;
    wchar_t path[MAX_PATH];
    if (!ModulePath(path, MAX_PATH)) return;
    wchar_t *slash = wcsrchr(path, L'\\');
    if (!slash) return;
    slash[1] = L'\0';
    if (lstrlenW(path) + lstrlenW(name) >= MAX_PATH) return;
    lstrcatW(path, name);
    lstrcpynW(out, path, MAX_PATH);
}

void DefaultTypeLibPaths(Options *o) {
    DefaultPathNextToExe(o->typelib, L"benchtarget.tlb");
    DefaultPathNextToExe(o->dualTypelib, L"benchdual.tlb");
}

LSTATUS SetDefault(HKEY key, const wchar_t *value) {
    return RegSetValueExW(key, nullptr, 0, REG_SZ, reinterpret_cast<const BYTE *>(value),
                          (DWORD)((lstrlenW(value) + 1) * sizeof(wchar_t)));
}

// HKCR\CLSID\{clsid} = name, LocalServer32 = command.
bool RegisterClassKey(const CLSID &clsid, const wchar_t *name, const wchar_t *command) {
    wchar_t text[39];
    bench::GuidToWString(clsid, text);
    wchar_t keyPath[64];
    _snwprintf(keyPath, 64, L"CLSID\\%ls", text);
    HKEY key = nullptr, server = nullptr;
    LSTATUS st = RegCreateKeyExW(HKEY_CLASSES_ROOT, keyPath, 0, nullptr, 0, KEY_WRITE, nullptr, &key, nullptr);
    if (st == ERROR_SUCCESS) st = SetDefault(key, name);
    if (st == ERROR_SUCCESS)
        st = RegCreateKeyExW(key, L"LocalServer32", 0, nullptr, 0, KEY_WRITE, nullptr, &server, nullptr);
    if (st == ERROR_SUCCESS) st = SetDefault(server, command);
    if (server) RegCloseKey(server);
    if (key) RegCloseKey(key);
    if (st != ERROR_SUCCESS) {
        COMPLAIN(L"bench_cpp_server: writing HKCR\\%ls failed (error %ld)\n", keyPath, (long)st);
        return false;
    }
    SAY(L"registered %ls LocalServer32=%ls\n", text, command);
    return true;
}

bool RegisterTypeLibFile(const wchar_t *path) {
    ITypeLib *tl = nullptr;
    HRESULT hr = LoadTypeLibEx(path, REGKIND_REGISTER, &tl);
    if (FAILED(hr)) {
        COMPLAIN(L"bench_cpp_server: LoadTypeLibEx(%ls, REGKIND_REGISTER) failed: 0x%08lX\n", path,
            (unsigned long)hr);
        return false;
    }
    tl->Release();
    SAY(L"registered typelib=%ls\n", path);
    return true;
}

int Register(const Options &o) {
    wchar_t exe[MAX_PATH];
    if (!ModulePath(exe, MAX_PATH)) {
        COMPLAIN(L"bench_cpp_server: GetModuleFileNameW failed (%lu)\n", GetLastError());
        return 1;
    }
    // The command: the exe's full path (quoted if it has a space), then the lifetime options given to -RegServer.
    wchar_t command[MAX_PATH + 96];
    if (wcschr(exe, L' ')) _snwprintf(command, MAX_PATH + 96, L"\"%ls\"", exe);
    else lstrcpynW(command, exe, MAX_PATH + 96);
    wchar_t extra[64];
    if (o.lingerGiven) {
        _snwprintf(extra, 64, L" -Linger %lu", (unsigned long)o.lingerMs);
        lstrcatW(command, extra);
    }
    if (o.idleGiven) {
        _snwprintf(extra, 64, L" -Idle %lu", (unsigned long)o.idleMs);
        lstrcatW(command, extra);
    }
    bool ok = RegisterClassKey(CLSID_CppBenchServer, kServerName, command) &&
              RegisterClassKey(CLSID_CppBenchDualServer, kDualServerName, command) &&
              RegisterTypeLibFile(o.typelib) && RegisterTypeLibFile(o.dualTypelib);
    return ok ? 0 : 1;
}

bool UnregisterClassKey(const CLSID &clsid) {
    wchar_t text[39];
    bench::GuidToWString(clsid, text);
    wchar_t keyPath[64];
    _snwprintf(keyPath, 64, L"CLSID\\%ls", text);
    LSTATUS st = RegDeleteTreeW(HKEY_CLASSES_ROOT, keyPath);  // with a subkey name: that key goes too
    if (st != ERROR_SUCCESS && st != ERROR_FILE_NOT_FOUND) {
        COMPLAIN(L"bench_cpp_server: deleting HKCR\\%ls failed (error %ld)\n", keyPath, (long)st);
        return false;
    }
    SAY(L"unregistered %ls\n", text);
    return true;
}

// Unregisters the library in `path` (or, when that file cannot be read, `libid` 1.0).
bool UnregisterTypeLibFile(const wchar_t *path, const GUID &fallbackLibid) {
    // Unregister with the library's own attributes when the file is there (exact version/LCID/SYSKIND).
    GUID libid = fallbackLibid;
    WORD major = 1, minor = 0;
    LCID lcid = 0;
    SYSKIND syskind = SYS_WIN64;
    ITypeLib *tl = nullptr;
    if (SUCCEEDED(LoadTypeLibEx(path, REGKIND_NONE, &tl))) {
        TLIBATTR *attr = nullptr;
        if (SUCCEEDED(tl->GetLibAttr(&attr))) {
            libid = attr->guid;
            major = attr->wMajorVerNum;
            minor = attr->wMinorVerNum;
            lcid = attr->lcid;
            syskind = attr->syskind;
            tl->ReleaseTLibAttr(attr);
        }
        tl->Release();
    }
    // Only when registered: Wine's UnRegisterTypeLib fails (E_INVALIDARG) for a library it has no key for.
    wchar_t lib[39], libKey[80];
    bench::GuidToWString(libid, lib);
    _snwprintf(libKey, 80, L"TypeLib\\%ls\\%u.%u", lib, (unsigned)major, (unsigned)minor);
    HKEY k = nullptr;
    HRESULT hr = S_FALSE;  // S_FALSE: was not registered
    bool ok = true;
    if (RegOpenKeyExW(HKEY_CLASSES_ROOT, libKey, 0, KEY_READ, &k) == ERROR_SUCCESS) {
        RegCloseKey(k);
        hr = UnRegisterTypeLib(libid, major, minor, lcid, syskind);
        if (FAILED(hr)) {
            COMPLAIN(L"bench_cpp_server: UnRegisterTypeLib(%ls) failed: 0x%08lX\n", lib, (unsigned long)hr);
            ok = false;
        }
    }
    SAY(L"typelib %ls: %ls\n", lib,
        hr == S_OK ? L"unregistered" : hr == S_FALSE ? L"was not registered" : L"failed");
    return ok;
}

int Unregister(const Options &o) {
    bool ok = UnregisterClassKey(CLSID_CppBenchServer);
    ok = UnregisterClassKey(CLSID_CppBenchDualServer) && ok;
    ok = UnregisterTypeLibFile(o.typelib, LIBID_BenchTargetLib) && ok;
    ok = UnregisterTypeLibFile(o.dualTypelib, LIBID_BenchDualLib) && ok;
    return ok ? 0 : 1;
}

// ---- serving ------------------------------------------------------------------------------------------------
int Serve(const Options &o) {
    g_zero = CreateEventW(nullptr, FALSE, FALSE, nullptr);
    if (!g_zero) return 1;
    bench::g_hooks.lock = ServerLock;
    bench::g_hooks.unlock = ServerUnlock;
    bench::g_hooks.stopping = Stopping;

    HRESULT hr = CoInitializeEx(nullptr, COINIT_MULTITHREADED);
    if (FAILED(hr)) {
        COMPLAIN(L"bench_cpp_server: CoInitializeEx failed: 0x%08lX\n", (unsigned long)hr);
        return 1;
    }
    IClassFactory *factory = new (std::nothrow) bench::BenchFactory();
    IClassFactory *dualFactory = new (std::nothrow) bench::BenchDualFactory();
    if (!factory || !dualFactory) {
        if (factory) factory->Release();
        if (dualFactory) dualFactory->Release();
        CoUninitialize();
        return 1;
    }
    // Pin the stubs of IClassFactory, IUnknown, IBenchTarget, IBenchDual and IDispatch for the server's lifetime
    // (see StubPin; the registration is per IID, so one object's pin serves every object of that IID).
    bench::StubPin pin;
    IBenchTarget *pinned = nullptr;
    IBenchDual *pinnedDual = nullptr;
    if (o.pin) {
        pinned = new (std::nothrow) bench::BenchTarget(false);
        pinnedDual = new (std::nothrow) bench::BenchDual(false);
        hr = pinned && pinnedDual ? S_OK : E_OUTOFMEMORY;
        if (SUCCEEDED(hr)) hr = pin.Add(factory, IID_IClassFactory);
        if (SUCCEEDED(hr)) hr = pin.Add(factory, IID_IUnknown);
        if (SUCCEEDED(hr)) hr = pin.Add(pinned, IID_IBenchTarget);
        if (SUCCEEDED(hr)) hr = pin.Add(pinnedDual, IID_IBenchDual);
        if (SUCCEEDED(hr)) hr = pin.Add(pinnedDual, IID_IDispatch);
        if (FAILED(hr)) {
            COMPLAIN(L"bench_cpp_server: pinning the stubs failed: 0x%08lX\n", (unsigned long)hr);
            pin.ReleaseAll();
            if (pinned) pinned->Release();
            if (pinnedDual) pinnedDual->Release();
            factory->Release();
            dualFactory->Release();
            CoUninitialize();
            return 1;
        }
    }
    DWORD cookie = 0, dualCookie = 0;
    hr = CoRegisterClassObject(CLSID_CppBenchServer, factory, CLSCTX_LOCAL_SERVER,
                               REGCLS_MULTIPLEUSE | REGCLS_SUSPENDED, &cookie);
    if (SUCCEEDED(hr))
        hr = CoRegisterClassObject(CLSID_CppBenchDualServer, dualFactory, CLSCTX_LOCAL_SERVER,
                                   REGCLS_MULTIPLEUSE | REGCLS_SUSPENDED, &dualCookie);
    if (SUCCEEDED(hr)) hr = CoResumeClassObjects();
    if (FAILED(hr)) {
        COMPLAIN(L"bench_cpp_server: registering the class objects failed: 0x%08lX\n", (unsigned long)hr);
        if (cookie) CoRevokeClassObject(cookie);
        if (dualCookie) CoRevokeClassObject(dualCookie);
        pin.ReleaseAll();
        if (pinned) pinned->Release();
        if (pinnedDual) pinnedDual->Release();
        factory->Release();
        dualFactory->Release();
        CoUninitialize();
        return 1;
    }

    const DWORD start = GetTickCount();
    for (;;) {
        DWORD timeout = INFINITE;
        if (!InterlockedCompareExchange(&g_everCreated, 0, 0)) {
            DWORD elapsed = GetTickCount() - start;
            if (elapsed >= o.idleMs) break;  // idle: nobody ever came
            timeout = o.idleMs - elapsed;
        }
        DWORD w = WaitForSingleObject(g_zero, timeout);
        if (w == WAIT_TIMEOUT) continue;  // re-evaluated above (idle exit, or objects exist now)
        if (w != WAIT_OBJECT_0) break;
        if (InterlockedCompareExchange(&g_locks, 0, 0) > 0) continue;
        // The count reached zero. On Windows that suspended the class objects: reopen them while lingering.
        CoResumeClassObjects();
        Sleep(o.lingerMs);
        if (InterlockedCompareExchange(&g_locks, 0, 0) > 0) continue;
        break;
    }
    InterlockedExchange(&g_stopping, 1);
    CoSuspendClassObjects();
    CoRevokeClassObject(cookie);
    CoRevokeClassObject(dualCookie);
    // An object created between the last check and the revocation keeps us until it is released.
    while (InterlockedCompareExchange(&g_locks, 0, 0) > 0) WaitForSingleObject(g_zero, 1000);
    pin.ReleaseAll();
    if (pinned) pinned->Release();
    if (pinnedDual) pinnedDual->Release();
    factory->Release();
    dualFactory->Release();
    CoUninitialize();
    return 0;
}

}  // namespace

int main() {
    int argc = 0;
    wchar_t **argv = CommandLineToArgvW(GetCommandLineW(), &argc);
    if (!argv) return 1;
    Options o;
    if (!ParseArgs(argc, argv, &o)) {
        LocalFree(argv);
        return 2;
    }
    LocalFree(argv);
    DefaultTypeLibPaths(&o);
    switch (o.mode) {
    case Mode::Register: return Register(o);
    case Mode::Unregister: return Unregister(o);
    default: return Serve(o);
    }
}
