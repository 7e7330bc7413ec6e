// bench_cpp_client.exe: the native C++ client of the benchmark rows. Writes ONE line of JSON to stdout.
//
//   bench_cpp_client.exe <row> <clsid> <iterations> [n]
//
// Rows (see README.md for what each one times):
//   activate_local  call_nothing_local  call_work_local  activate_cold
//   activate_inproc_registered  createinstance_factory  call_nothing_inproc  call_work_inproc
//   cross_apartment_nothing  cross_apartment_work                      (= the _mta_to_sta variants)
//   cross_apartment_nothing_mta_to_sta  cross_apartment_work_mta_to_sta  (MTA client, object in an STA)
//   cross_apartment_nothing_sta_to_mta  cross_apartment_work_sta_to_mta  (STA client, object in the MTA)
//   dispatch_nothing_inproc  dispatch_work_inproc  dispatch_mix_inproc      (late-bound: IDispatch::Invoke on
//   dispatch_nothing_local   dispatch_work_local   dispatch_mix_local        an IBenchDual object)
//   activate_pooled  jit_call_pooled         (issue 17: a pooled class object, a JIT interceptor; services.h)
//   load_work_local  (one client of the load row: every Work result checked, start on a shared event; bench/load.py)
// n: Work's argument for the *_work_* rows (default 100; Work(100) must return 4950).
//
// Success: exit code 0 and {"row":..., "clsid":..., "iterations":..., "total_seconds":..., "seconds_per_op":...,
// "check":..., ...}. Failure: exit code 1 (2 for a usage error) and {"row":..., "error":"...", "hresult":"0x..."}.
// Timing: QueryPerformanceCounter around the whole timed loop (total_seconds); rows whose operation takes
// microseconds or more also time each operation and report min/median/max of those.
#include "bench_object.h"
#include "services.h"
#include <tlhelp32.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <algorithm>
#include <string>
#include <vector>

namespace {

using bench::BenchFactory;

// ---- JSON output --------------------------------------------------------------------------------------------
std::string Escape(const char *s) {
    std::string out;
    for (; *s; ++s) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') { out += '\\'; out += (char)c; }
        else if (c < 0x20) { char b[8]; snprintf(b, sizeof b, "\\u%04x", c); out += b; }
        else out += (char)c;
    }
    return out;
}

class Json {
public:
    Json &Str(const char *k, const char *v) { Key(k); m_s += '"'; m_s += Escape(v); m_s += '"'; return *this; }
    Json &Str(const char *k, const std::string &v) { return Str(k, v.c_str()); }
    Json &Num(const char *k, double v) { char b[64]; snprintf(b, sizeof b, "%.9g", v); Key(k); m_s += b; return *this; }
    Json &Int(const char *k, long long v) { char b[32]; snprintf(b, sizeof b, "%lld", v); Key(k); m_s += b; return *this; }
    Json &Bool(const char *k, bool v) { Key(k); m_s += v ? "true" : "false"; return *this; }
    Json &Hr(const char *k, HRESULT hr) { char b[16]; snprintf(b, sizeof b, "0x%08lX", (unsigned long)hr); return Str(k, b); }
    void Print() {
        fputs(("{" + m_s + "}\n").c_str(), stdout);
        fflush(stdout);
    }

private:
    void Key(const char *k) {
        if (!m_s.empty()) m_s += ", ";
        m_s += '"'; m_s += Escape(k); m_s += "\": ";
    }
    std::string m_s;
};

std::string g_row = "";
std::string g_clsid = "";

[[noreturn]] void Fail(const char *what, HRESULT hr, int code = 1) {
    Json j;
    j.Str("row", g_row).Str("clsid", g_clsid).Str("error", what).Hr("hresult", hr);
    j.Print();
    exit(code);
}

void Check(HRESULT hr, const char *what) {
    if (FAILED(hr)) Fail(what, hr);
}

// ---- timing -------------------------------------------------------------------------------------------------
LARGE_INTEGER g_freq;
inline LONGLONG Now() {
    LARGE_INTEGER t;
    QueryPerformanceCounter(&t);
    return t.QuadPart;
}
inline double Seconds(LONGLONG ticks) { return (double)ticks / (double)g_freq.QuadPart; }

struct Timing {
    long long iterations = 0;
    double total = 0;
    std::vector<double> samples;  // per-op seconds, when collected
};

// Runs op `warmup` times untimed, then `iterations` times timed. Every op must succeed (else Fail(what)).
// With perOp, each operation is also timed on its own.
template <class Op>
Timing Measure(long long iterations, long long warmup, bool perOp, const char *what, Op op) {
    for (long long i = 0; i < warmup; ++i) Check(op(), what);
    Timing t;
    t.iterations = iterations;
    if (perOp) {
        t.samples.reserve((size_t)iterations);
        LONGLONG start = Now();
        for (long long i = 0; i < iterations; ++i) {
            LONGLONG a = Now();
            HRESULT hr = op();
            LONGLONG b = Now();
            if (FAILED(hr)) Fail(what, hr);
            t.samples.push_back(Seconds(b - a));
        }
        t.total = Seconds(Now() - start);
    } else {
        LONGLONG start = Now();
        for (long long i = 0; i < iterations; ++i) {
            HRESULT hr = op();
            if (FAILED(hr)) Fail(what, hr);
        }
        t.total = Seconds(Now() - start);
    }
    return t;
}

Json Report(const Timing &t, long long warmup, const std::string &check) {
    Json j;
    j.Str("row", g_row).Str("clsid", g_clsid).Int("iterations", t.iterations).Num("total_seconds", t.total);
    j.Num("seconds_per_op", t.iterations ? t.total / (double)t.iterations : 0.0);
    j.Str("check", check);
    j.Int("warmup", warmup);
    if (!t.samples.empty()) {
        std::vector<double> s = t.samples;
        std::sort(s.begin(), s.end());
        size_t n = s.size();
        double median = (n % 2) ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
        j.Num("op_min_seconds", s.front()).Num("op_median_seconds", median).Num("op_max_seconds", s.back());
    }
    j.Str("timer", "QueryPerformanceCounter").Int("qpc_frequency", g_freq.QuadPart);
    j.Int("client_pid", (long long)GetCurrentProcessId());
    return j;
}

// ---- helpers ------------------------------------------------------------------------------------------------
struct Com {
    explicit Com(DWORD model) {
        HRESULT hr = CoInitializeEx(nullptr, model);
        if (FAILED(hr)) Fail("CoInitializeEx", hr);
    }
    ~Com() { CoUninitialize(); }
};

// A server that is shutting down refuses (CO_E_SERVER_STOPPING) or drops (RPC_E_DISCONNECTED, RPC_S_UNKNOWN_IF,
// RPC_S_CALL_FAILED when it exits during the call, RPC_S_SERVER_UNAVAILABLE when it exited after rpcss handed out
// its class object) an activation that reached it late; Windows' SCM would start a new server, Wine 8 does not:
// try again, a few times (bench/pairs.py _STOPPING is the same list).
bool ServerWasStopping(HRESULT hr) {
    return hr == CO_E_SERVER_STOPPING || hr == RPC_E_DISCONNECTED || hr == HRESULT_FROM_WIN32(RPC_S_UNKNOWN_IF) ||
           hr == HRESULT_FROM_WIN32(RPC_S_CALL_FAILED) || hr == HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE);
}

// The timed step of the activation rows: CoCreateInstance(ctx, IID_IBenchTarget), then the final Release.
HRESULT CreateAndRelease(const CLSID &clsid, DWORD ctx) {
    IBenchTarget *p = nullptr;
    HRESULT hr = CoCreateInstance(clsid, nullptr, ctx, IID_IBenchTarget, reinterpret_cast<void **>(&p));
    if (SUCCEEDED(hr)) p->Release();
    return hr;
}

IBenchTarget *CreateLocal(const CLSID &clsid) {
    IBenchTarget *t = nullptr;
    HRESULT hr = E_FAIL;
    for (int attempt = 0; attempt < 40; ++attempt) {
        hr = CoCreateInstance(clsid, nullptr, CLSCTX_LOCAL_SERVER, IID_IBenchTarget, reinterpret_cast<void **>(&t));
        if (!ServerWasStopping(hr)) break;
        Sleep(50);
    }
    Check(hr, "CoCreateInstance(CLSCTX_LOCAL_SERVER, IID_IBenchTarget)");
    return t;
}

std::string WorkCheck(IBenchTarget *t, LONG n) {
    LONG sum = -1;
    Check(t->Work(n, &sum), "IBenchTarget::Work");
    LONG want = bench::ExpectedWork(n);
    if (sum != want) {
        char b[96];
        snprintf(b, sizeof b, "Work(%ld) returned %ld, expected %ld", (long)n, (long)sum, (long)want);
        Fail(b, E_UNEXPECTED);
    }
    char b[32];
    snprintf(b, sizeof b, "work=%ld", (long)sum);
    return b;
}

bool IsProxy(IUnknown *p) {
    IClientSecurity *cs = nullptr;
    if (SUCCEEDED(p->QueryInterface(IID_IClientSecurity, reinterpret_cast<void **>(&cs))) && cs) {
        cs->Release();
        return true;
    }
    return false;
}

bool ClsidInHkcr(const CLSID &clsid) {
    wchar_t s[39], path[64];
    bench::GuidToWString(clsid, s);
    _snwprintf(path, 64, L"CLSID\\%ls", s);
    HKEY k = nullptr;
    if (RegOpenKeyExW(HKEY_CLASSES_ROOT, path, 0, KEY_READ, &k) != ERROR_SUCCESS) return false;
    RegCloseKey(k);
    return true;
}

// The file name (lowercase) of the exe registered as the class's LocalServer32, or "" if none.
std::wstring RegisteredServerExe(const CLSID &clsid) {
    wchar_t s[39], path[80];
    bench::GuidToWString(clsid, s);
    _snwprintf(path, 80, L"CLSID\\%ls\\LocalServer32", s);
    wchar_t value[1024];
    DWORD size = sizeof value;
    if (RegGetValueW(HKEY_CLASSES_ROOT, path, nullptr, RRF_RT_REG_SZ | RRF_RT_REG_EXPAND_SZ | RRF_NOEXPAND, nullptr, value, &size) !=
        ERROR_SUCCESS)
        return L"";
    std::wstring cmd(value), exe;
    if (!cmd.empty() && cmd[0] == L'"') {
        size_t end = cmd.find(L'"', 1);
        exe = cmd.substr(1, end == std::wstring::npos ? std::wstring::npos : end - 1);
    } else {
        exe = cmd.substr(0, cmd.find(L' '));
    }
    size_t slash = exe.find_last_of(L"\\/");
    if (slash != std::wstring::npos) exe = exe.substr(slash + 1);
    for (auto &c : exe) c = (wchar_t)towlower(c);
    return exe;
}

struct Proc {
    DWORD pid, parent;
    std::wstring exe;  // lowercase
};

std::vector<Proc> Processes() {
    std::vector<Proc> out;
    HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
    if (snap == INVALID_HANDLE_VALUE) return out;
    PROCESSENTRY32W pe;
    pe.dwSize = sizeof pe;
    for (BOOL ok = Process32FirstW(snap, &pe); ok; ok = Process32NextW(snap, &pe)) {
        std::wstring exe(pe.szExeFile);
        for (auto &c : exe) c = (wchar_t)towlower(c);
        out.push_back({pe.th32ProcessID, pe.th32ParentProcessID, exe});
    }
    CloseHandle(snap);
    return out;
}

// Processes running `exe`, other than this process and its ancestors (a harness may run the same interpreter).
std::vector<DWORD> ServerInstances(const std::wstring &exe) {
    std::vector<Proc> all = Processes();
    std::vector<DWORD> ancestors;
    DWORD cur = GetCurrentProcessId();
    for (int depth = 0; depth < 32 && cur; ++depth) {
        ancestors.push_back(cur);
        DWORD parent = 0;
        for (const Proc &p : all)
            if (p.pid == cur) parent = p.parent;
        if (std::find(ancestors.begin(), ancestors.end(), parent) != ancestors.end()) break;
        cur = parent;
    }
    std::vector<DWORD> out;
    for (const Proc &p : all)
        if (p.exe == exe && std::find(ancestors.begin(), ancestors.end(), p.pid) == ancestors.end())
            out.push_back(p.pid);
    return out;
}

std::string Narrow(const std::wstring &w) {
    char b[1024];
    int n = WideCharToMultiByte(CP_UTF8, 0, w.c_str(), -1, b, sizeof b, nullptr, nullptr);
    return n > 0 ? std::string(b) : std::string();
}

// ---- rows: out-of-process -----------------------------------------------------------------------------------
int RowActivateLocal(const CLSID &clsid, long long iters) {
    Com com(COINIT_MULTITHREADED);
    LONGLONG a = Now();
    IBenchTarget *keeper = CreateLocal(clsid);  // keeps the server up for the whole loop
    double keeperSeconds = Seconds(Now() - a);
    Check(keeper->Nothing(), "IBenchTarget::Nothing");
    const long long warmup = 3;
    Timing t = Measure(iters, warmup, true, "CoCreateInstance(CLSCTX_LOCAL_SERVER) + Release",
                       [&]() -> HRESULT { return CreateAndRelease(clsid, CLSCTX_LOCAL_SERVER); });
    bool proxy = IsProxy(keeper);
    keeper->Release();
    char check[48];
    snprintf(check, sizeof check, "activated=%lld", iters + warmup);
    Json j = Report(t, warmup, check);
    j.Num("keeper_activation_seconds", keeperSeconds).Bool("proxy", proxy).Str("client_apartment", "MTA");
    j.Print();
    return 0;
}

// The timed part of the call rows: check the object (Work(n) == its expected sum, or Nothing), time `iters` calls
// of Work(n) or Nothing after `warmup`, check Work again after the loop, and tell whether `t` is a proxy.
struct CallRun {
    Timing timing;
    long long warmup;
    std::string check;
    bool proxy;
};

CallRun TimeCalls(IBenchTarget *t, long long iters, long long warmup, bool work, LONG n) {
    std::string check = work ? WorkCheck(t, n) : std::string("nothing=S_OK");
    Check(t->Nothing(), "IBenchTarget::Nothing");
    Timing tm = work ? Measure(iters, warmup, true, "IBenchTarget::Work", [&]() -> HRESULT {
                           LONG sum = 0;
                           return t->Work(n, &sum);
                       })
                     : Measure(iters, warmup, true, "IBenchTarget::Nothing", [&]() { return t->Nothing(); });
    if (work) check = WorkCheck(t, n);  // still right after the loop
    return CallRun{tm, warmup, check, IsProxy(t)};
}

int RowCallLocal(const CLSID &clsid, long long iters, bool work, LONG n) {
    Com com(COINIT_MULTITHREADED);
    LONGLONG a = Now();
    IBenchTarget *t = CreateLocal(clsid);
    double activation = Seconds(Now() - a);
    CallRun r = TimeCalls(t, iters, 5, work, n);
    t->Release();
    Json j = Report(r.timing, r.warmup, r.check);
    if (work) j.Int("n", n);
    j.Num("activation_seconds", activation).Bool("proxy", r.proxy).Str("client_apartment", "MTA");
    j.Print();
    return 0;
}

// The load row (bench/load.py, shared by `make bench` and `make stress`): one of N client processes started at
// once. It activates, checks Work(n), signals the ready semaphore named by OLE32B_LOAD_READY, waits for the start
// event named by OLE32B_LOAD_START (both optional), then makes `iters` Work(n) calls checking EVERY result: a wrong
// sum or a failed call is counted, never fatal (the figures are calls, wrong, errors). start/end are QPC seconds
// (one clock for every process on the machine), so the runner computes the load's wall time across processes.
int RowLoadWorkLocal(const CLSID &clsid, long long iters, LONG n) {
    Com com(COINIT_MULTITHREADED);
    IBenchTarget *t = CreateLocal(clsid);
    std::string check = WorkCheck(t, n);
    const LONG want = bench::ExpectedWork(n);
    char name[256];
    if (GetEnvironmentVariableA("OLE32B_LOAD_READY", name, sizeof name) && name[0]) {
        HANDLE ready = OpenSemaphoreA(SEMAPHORE_MODIFY_STATE, FALSE, name);
        if (!ready) Fail("OpenSemaphore(OLE32B_LOAD_READY)", HRESULT_FROM_WIN32(GetLastError()));
        ReleaseSemaphore(ready, 1, nullptr);
        CloseHandle(ready);
    }
    if (GetEnvironmentVariableA("OLE32B_LOAD_START", name, sizeof name) && name[0]) {
        HANDLE start = OpenEventA(SYNCHRONIZE, FALSE, name);
        if (!start) Fail("OpenEvent(OLE32B_LOAD_START)", HRESULT_FROM_WIN32(GetLastError()));
        if (WaitForSingleObject(start, 120000) != WAIT_OBJECT_0) Fail("the start event never came", E_FAIL);
        CloseHandle(start);
    }
    long long wrong = 0, errors = 0;
    HRESULT firstError = S_OK;
    LONGLONG a = Now();
    for (long long i = 0; i < iters; ++i) {
        LONG sum = -1;
        HRESULT hr = t->Work(n, &sum);
        if (FAILED(hr)) {
            if (!errors++) firstError = hr;
        } else if (sum != want) {
            ++wrong;
        }
    }
    LONGLONG b = Now();
    t->Release();
    Json j;
    j.Str("row", g_row).Str("clsid", g_clsid).Str("client", "cpp").Int("calls", iters).Int("wrong", wrong);
    j.Int("errors", errors).Hr("first_error", firstError).Int("n", n).Str("check", check);
    j.Num("start", Seconds(a)).Num("end", Seconds(b)).Num("total_seconds", Seconds(b - a));
    j.Int("client_pid", (long long)GetCurrentProcessId());
    j.Print();
    return 0;
}

int RowActivateCold(const CLSID &clsid) {
    Com com(COINIT_MULTITHREADED);
    std::wstring exe = RegisteredServerExe(clsid);
    if (exe.empty()) Fail("no HKCR\\CLSID\\{clsid}\\LocalServer32 registered", REGDB_E_CLASSNOTREG);

    // Cold means not running: wait (up to 10 s) for a lingering instance of a previous row to go.
    LONGLONG waitStart = Now();
    std::vector<DWORD> running = ServerInstances(exe);
    while (!running.empty() && Seconds(Now() - waitStart) < 10.0) {
        Sleep(50);
        running = ServerInstances(exe);
    }
    double waitedForOld = Seconds(Now() - waitStart);
    if (!running.empty()) Fail("the server is already running (not a cold activation)", E_FAIL);

    std::vector<Proc> before = Processes();
    LONGLONG a = Now();
    IBenchTarget *t = nullptr;
    HRESULT hr = CoCreateInstance(clsid, nullptr, CLSCTX_LOCAL_SERVER, IID_IBenchTarget,
                                  reinterpret_cast<void **>(&t));
    LONGLONG b = Now();
    Check(hr, "CoCreateInstance(CLSCTX_LOCAL_SERVER, IID_IBenchTarget)");
    Check(t->Nothing(), "IBenchTarget::Nothing");

    // The new server process: a new process running the registered exe (preferring a child of ours: Wine starts
    // LocalServer32 exes from the client process).
    DWORD serverPid = 0;
    int best = 0;
    for (const Proc &p : Processes()) {
        bool isNew = std::none_of(before.begin(), before.end(), [&](const Proc &q) { return q.pid == p.pid; });
        if (!isNew) continue;
        int score = (p.exe == exe ? 2 : 0) + (p.parent == GetCurrentProcessId() ? 1 : 0);
        if (score > best) { best = score; serverPid = p.pid; }
    }
    HANDLE proc = serverPid ? OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, serverPid) : nullptr;

    LONGLONG r = Now();
    t->Release();
    bool exited = false;
    double exitSeconds = -1;
    DWORD exitCode = 0;
    if (proc) {
        exited = WaitForSingleObject(proc, 10000) == WAIT_OBJECT_0;
        exitSeconds = Seconds(Now() - r);
        if (exited) GetExitCodeProcess(proc, &exitCode);
        CloseHandle(proc);
    }

    Timing tm;
    tm.iterations = 1;
    tm.total = Seconds(b - a);
    Json j = Report(tm, 0, "nothing=S_OK");
    j.Str("server_exe", Narrow(exe)).Int("server_pid", serverPid).Bool("server_child_of_client", best & 1);
    j.Bool("server_exited", exited).Num("server_exit_seconds_after_release", exitSeconds);
    if (exited) j.Int("server_exit_code", (long long)exitCode);
    j.Num("waited_for_previous_instance_seconds", waitedForOld).Str("client_apartment", "MTA");
    j.Print();
    return 0;
}

// ---- rows: in-process ---------------------------------------------------------------------------------------
int RowActivateInprocRegistered(const CLSID &clsid, long long iters) {
    Com com(COINIT_MULTITHREADED);
    BenchFactory *f = new BenchFactory();
    DWORD cookie = 0;
    Check(CoRegisterClassObject(clsid, f, CLSCTX_INPROC_SERVER, REGCLS_MULTIPLEUSE, &cookie),
          "CoRegisterClassObject(CLSCTX_INPROC_SERVER, REGCLS_MULTIPLEUSE)");
    const long long warmup = 100;
    Timing t = Measure(iters, warmup, true, "CoCreateInstance(CLSCTX_INPROC_SERVER) + Release",
                       [&]() -> HRESULT { return CreateAndRelease(clsid, CLSCTX_INPROC_SERVER); });
    CoRevokeClassObject(cookie);
    f->Release();
    char check[48];
    snprintf(check, sizeof check, "created=%lld", iters + warmup);
    Json j = Report(t, warmup, check);
    j.Bool("clsid_in_hkcr", ClsidInHkcr(clsid)).Str("client_apartment", "MTA");
    j.Print();
    return 0;
}

// A class found through the registry (InprocServer32): COM loads the DLL it names. With python_inproc.dll that
// starts Python in this process on the first activation (outside the timed loop: the warm-up).
int RowActivateInproc(const CLSID &clsid, long long iters, LONG n) {
    Com com(COINIT_MULTITHREADED);
    IBenchTarget *first = nullptr;
    Check(CoCreateInstance(clsid, nullptr, CLSCTX_INPROC_SERVER, IID_IBenchTarget, reinterpret_cast<void **>(&first)),
          "CoCreateInstance(CLSCTX_INPROC_SERVER)");
    std::string check = WorkCheck(first, n);
    first->Release();
    const long long warmup = 20;
    Timing t = Measure(iters, warmup, true, "CoCreateInstance(CLSCTX_INPROC_SERVER) + Release",
                       [&]() -> HRESULT { return CreateAndRelease(clsid, CLSCTX_INPROC_SERVER); });
    Json j = Report(t, warmup, check);
    j.Bool("clsid_in_hkcr", ClsidInHkcr(clsid)).Str("client_apartment", "MTA");
    j.Print();
    return 0;
}

// Row 11a: CoCreateInstance + Release of a pooled class (services.h) whose class object is registered in this
// process; the pool (min 1, max 4) is warm, so every activation reuses the one object made up front.
int RowActivatePooled(const CLSID &clsid, long long iters) {
    Com com(COINIT_MULTITHREADED);
    svc::Pool pool(1, 4, 20000);
    svc::PooledFactory *f = new svc::PooledFactory(&pool);
    DWORD cookie = 0;
    Check(CoRegisterClassObject(clsid, f, CLSCTX_INPROC_SERVER, REGCLS_MULTIPLEUSE, &cookie),
          "CoRegisterClassObject(CLSCTX_INPROC_SERVER, REGCLS_MULTIPLEUSE)");
    const long long warmup = 100;
    Timing t = Measure(iters, warmup, true, "CoCreateInstance(CLSCTX_INPROC_SERVER) + Release (pooled)",
                       [&]() -> HRESULT { return CreateAndRelease(clsid, CLSCTX_INPROC_SERVER); });
    CoRevokeClassObject(cookie);
    f->Release();
    if (pool.Made() != 1 || pool.InUse() != 0 || pool.Idle() != 1) Fail("the pool did not reuse its one object", E_UNEXPECTED);
    char check[64];
    snprintf(check, sizeof check, "pool made=1 reused=%lld", iters + warmup);
    Json j = Report(t, warmup, check);
    j.Str("client_apartment", "MTA");
    j.Print();
    return 0;
}

// Row 11b: Nothing() through a JIT interceptor of a pooled AutoComplete class (services.h): each call takes the
// object from the pool (Activate), calls it, and gives it back (Deactivate, CanBePooled).
int RowJitCallPooled(long long iters, LONG n) {
    Com com(COINIT_MULTITHREADED);
    svc::Pool pool(1, 4, 20000);
    IBenchTarget *volatile jit = new svc::JitTarget(&pool);
    std::string check = WorkCheck(jit, n);
    const long long warmup = 1000;
    Timing t = Measure(iters, warmup, false, "IBenchTarget::Nothing through the JIT interceptor (pooled)",
                       [&]() -> HRESULT { return jit->Nothing(); });
    jit->Release();
    if (pool.Made() != 1 || pool.InUse() != 0) Fail("the JIT calls did not reuse the pool's one object", E_UNEXPECTED);
    check += " pool made=1";
    Json j = Report(t, warmup, check);
    j.Str("client_apartment", "MTA");
    j.Print();
    return 0;
}

int RowCreateInstanceFactory(long long iters) {
    Com com(COINIT_MULTITHREADED);
    IClassFactory *volatile f = new BenchFactory();
    const long long warmup = 1000;
    Timing t = Measure(iters, warmup, false, "IClassFactory::CreateInstance + Release", [&]() -> HRESULT {
        IBenchTarget *p = nullptr;
        HRESULT hr = f->CreateInstance(nullptr, IID_IBenchTarget, reinterpret_cast<void **>(&p));
        if (SUCCEEDED(hr)) p->Release();
        return hr;
    });
    f->Release();
    char check[48];
    snprintf(check, sizeof check, "created=%lld", iters + warmup);
    Json j = Report(t, warmup, check);
    j.Str("client_apartment", "MTA");
    j.Print();
    return 0;
}

int RowCallInproc(long long iters, bool work, LONG n) {
    Com com(COINIT_MULTITHREADED);
    BenchFactory *f = new BenchFactory();
    IBenchTarget *obj = nullptr;
    Check(f->CreateInstance(nullptr, IID_IBenchTarget, reinterpret_cast<void **>(&obj)),
          "IClassFactory::CreateInstance");
    f->Release();
    IBenchTarget *volatile t = obj;  // an indirect call every time: no devirtualisation
    std::string check = work ? WorkCheck(obj, n) : std::string("nothing=S_OK");
    const long long warmup = work ? 10 : 1000;
    Timing tm = work ? Measure(iters, warmup, true, "IBenchTarget::Work", [&]() -> HRESULT {
                           LONG sum = 0;
                           return t->Work(n, &sum);
                       })
                     : Measure(iters, warmup, false, "IBenchTarget::Nothing", [&]() { return t->Nothing(); });
    obj->Release();
    Json j = Report(tm, warmup, check);
    if (work) j.Int("n", n);
    j.Str("client_apartment", "MTA");
    j.Print();
    return 0;
}

// ---- rows: cross-apartment ----------------------------------------------------------------------------------
struct Host {
    DWORD model = COINIT_APARTMENTTHREADED;
    IStream *stream = nullptr;  // the marshaled IBenchTarget
    HANDLE ready = nullptr;     // set once `stream` (or `hr`) is there
    HANDLE stop = nullptr;      // MTA host: set to end it (an STA host gets WM_QUIT)
    HRESULT hr = S_OK;
};

DWORD WINAPI HostThread(void *arg) {
    Host *h = static_cast<Host *>(arg);
    MSG msg;
    PeekMessageW(&msg, nullptr, 0, 0, PM_NOREMOVE);  // a message queue before anyone posts WM_QUIT
    h->hr = CoInitializeEx(nullptr, h->model);
    if (FAILED(h->hr)) {
        SetEvent(h->ready);
        return 1;
    }
    BenchFactory *f = new BenchFactory();
    IBenchTarget *obj = nullptr;
    h->hr = f->CreateInstance(nullptr, IID_IBenchTarget, reinterpret_cast<void **>(&obj));
    f->Release();
    // Pin the object's stubs while the client calls it (bench::StubPin: Wine 8 RpcServerUnregisterIf race).
    bench::StubPin pin;
    if (SUCCEEDED(h->hr)) h->hr = pin.Add(obj, IID_IBenchTarget);
    if (SUCCEEDED(h->hr)) h->hr = pin.Add(obj, IID_IUnknown);
    if (SUCCEEDED(h->hr)) h->hr = CoMarshalInterThreadInterfaceInStream(IID_IBenchTarget, obj, &h->stream);
    SetEvent(h->ready);
    if (SUCCEEDED(h->hr)) {
        if (h->model == COINIT_APARTMENTTHREADED) {
            while (GetMessageW(&msg, nullptr, 0, 0) > 0) {
                TranslateMessage(&msg);
                DispatchMessageW(&msg);
            }
        } else {
            WaitForSingleObject(h->stop, INFINITE);
        }
    }
    pin.ReleaseAll();
    if (obj) obj->Release();
    CoUninitialize();
    return 0;
}

int RowCrossApartment(long long iters, bool work, LONG n, bool staToMta) {
    const DWORD clientModel = staToMta ? COINIT_APARTMENTTHREADED : COINIT_MULTITHREADED;
    Com com(clientModel);
    Host h;
    h.model = staToMta ? COINIT_MULTITHREADED : COINIT_APARTMENTTHREADED;
    h.ready = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    h.stop = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    DWORD tid = 0;
    HANDLE thread = CreateThread(nullptr, 0, HostThread, &h, 0, &tid);
    if (!thread) Fail("CreateThread", HRESULT_FROM_WIN32(GetLastError()));
    WaitForSingleObject(h.ready, INFINITE);
    if (FAILED(h.hr)) Fail("object thread: CoInitializeEx / CreateInstance / CoMarshalInterThreadInterfaceInStream",
                           h.hr);

    IBenchTarget *t = nullptr;
    HRESULT hr = CoGetInterfaceAndReleaseStream(h.stream, IID_IBenchTarget, reinterpret_cast<void **>(&t));
    if (FAILED(hr))
        Fail(hr == E_NOINTERFACE || hr == REGDB_E_IIDNOTREG
                 ? "CoGetInterfaceAndReleaseStream: no proxy/stub for IBenchTarget (run bench_cpp_server.exe "
                   "-RegServer to register the type library)"
                 : "CoGetInterfaceAndReleaseStream",
             hr);
    CallRun r = TimeCalls(t, iters, 10, work, n);
    t->Release();

    if (staToMta) SetEvent(h.stop);
    else PostThreadMessageW(tid, WM_QUIT, 0, 0);
    WaitForSingleObject(thread, 10000);
    CloseHandle(thread);
    CloseHandle(h.ready);
    CloseHandle(h.stop);

    Json j = Report(r.timing, r.warmup, r.check);
    if (work) j.Int("n", n);
    j.Str("client_apartment", staToMta ? "STA" : "MTA").Str("object_apartment", staToMta ? "MTA" : "STA");
    j.Bool("proxy", r.proxy);
    j.Print();
    return 0;
}

// ---- rows: late-bound (IDispatch::Invoke on IBenchDual) -------------------------------------------------------
// The client does what a C++ client of an Automation object does: GetIDsOfNames once per object (outside the
// timed loop), then IDispatch::Invoke(DISPATCH_METHOD) per call with DISPPARAMS built for that call, every result
// checked (benchdual::Invoke* in native/common/bench_dual.h).
enum class DualOp { Nothing, Work, Mix };

const wchar_t kMixS[] = L"abc";
const LONG kMixN = 7;
const double kMixD = 2.5;
const wchar_t kMixExpected[] = L"abc:7:2.5";

HRESULT DualCall(IDispatch *d, const benchdual::Dispids &ids, DualOp op, LONG n, LONG want) {
    switch (op) {
    case DualOp::Nothing: return benchdual::InvokeNothing(d, ids.nothing);
    case DualOp::Work: {
        LONG sum = -1;
        HRESULT hr = benchdual::InvokeWork(d, ids.work, n, &sum);
        return FAILED(hr) ? hr : sum == want ? S_OK : E_UNEXPECTED;
    }
    default: return benchdual::InvokeMix(d, ids.mix, kMixS, kMixN, kMixD, kMixExpected);
    }
}

const char *DualWhat(DualOp op) {
    return op == DualOp::Nothing ? "IDispatch::Invoke(Nothing)"
         : op == DualOp::Work    ? "IDispatch::Invoke(Work): failed or wrong sum"
                                 : "IDispatch::Invoke(Mix(\"abc\", 7, 2.5)): failed or not \"abc:7:2.5\"";
}

std::string DualCheck(DualOp op, LONG n, LONG want) {
    char b[64];
    if (op == DualOp::Nothing) return "nothing=S_OK";
    if (op == DualOp::Work) snprintf(b, sizeof b, "work(%ld)=%ld", (long)n, (long)want);
    else snprintf(b, sizeof b, "mix=abc:7:2.5");
    return b;
}

// Times `iters` late-bound calls on `d` after `warmup`, checking the call before and after the loop too.
Timing TimeDualCalls(IDispatch *d, DualOp op, long long iters, long long warmup, bool perOp, LONG n,
                     benchdual::Dispids *idsOut) {
    benchdual::Dispids ids;
    Check(benchdual::GetDispids(d, &ids), "IDispatch::GetIDsOfNames(Nothing, Work, Mix)");
    if (ids.nothing != 1 || ids.work != 2 || ids.mix != 3)
        Fail("GetIDsOfNames: DISPIDs are not 1, 2, 3", E_UNEXPECTED);
    const LONG want = bench::ExpectedWork(n);
    Check(DualCall(d, ids, op, n, want), DualWhat(op));
    Timing t = Measure(iters, warmup, perOp, DualWhat(op),
                       [&]() -> HRESULT { return DualCall(d, ids, op, n, want); });
    Check(DualCall(d, ids, op, n, want), DualWhat(op));
    *idsOut = ids;
    return t;
}

Json ReportDual(const Timing &t, long long warmup, DualOp op, LONG n, const benchdual::Dispids &ids) {
    Json j = Report(t, warmup, DualCheck(op, n, bench::ExpectedWork(n)));
    if (op == DualOp::Work) j.Int("n", n);
    j.Str("interface", "IDispatch");
    j.Int("dispid", op == DualOp::Nothing ? ids.nothing : op == DualOp::Work ? ids.work : ids.mix);
    return j;
}

// The exe's own C++ IBenchDual object (bench_object.h), in this MTA; clsid is only a label.
int RowDispatchInproc(DualOp op, long long iters, LONG n) {
    Com com(COINIT_MULTITHREADED);
    bench::BenchDualFactory *f = new bench::BenchDualFactory();
    IDispatch *obj = nullptr;
    Check(f->CreateInstance(nullptr, IID_IDispatch, reinterpret_cast<void **>(&obj)),
          "IClassFactory::CreateInstance(IID_IDispatch)");
    f->Release();
    const bool perOp = op == DualOp::Work;
    const long long warmup = op == DualOp::Work ? 10 : 1000;
    benchdual::Dispids ids;
    Timing t = TimeDualCalls(obj, op, iters, warmup, perOp, n, &ids);
    bool proxy = IsProxy(obj);
    obj->Release();
    Json j = ReportDual(t, warmup, op, n, ids);
    j.Bool("proxy", proxy).Str("client_apartment", "MTA");
    j.Print();
    return 0;
}

// An out-of-process IBenchDual: CoCreateInstance(clsid, CLSCTX_LOCAL_SERVER, IID_IDispatch), then calls through
// the IDispatch proxy (oleaut32's, as for any late-bound client).
int RowDispatchLocal(const CLSID &clsid, DualOp op, long long iters, LONG n) {
    Com com(COINIT_MULTITHREADED);
    LONGLONG a = Now();
    IDispatch *d = nullptr;
    HRESULT hr = E_FAIL;
    for (int attempt = 0; attempt < 40; ++attempt) {
        hr = CoCreateInstance(clsid, nullptr, CLSCTX_LOCAL_SERVER, IID_IDispatch, reinterpret_cast<void **>(&d));
        if (!ServerWasStopping(hr)) break;
        Sleep(50);
    }
    Check(hr, "CoCreateInstance(CLSCTX_LOCAL_SERVER, IID_IDispatch)");
    double activation = Seconds(Now() - a);
    benchdual::Dispids ids;
    Timing t = TimeDualCalls(d, op, iters, 5, true, n, &ids);
    bool proxy = IsProxy(d);
    d->Release();
    Json j = ReportDual(t, 5, op, n, ids);
    j.Num("activation_seconds", activation).Bool("proxy", proxy).Str("client_apartment", "MTA");
    j.Print();
    return 0;
}

void Usage() {
    fputs("usage: bench_cpp_client.exe <row> <clsid> <iterations> [n]\n"
          "rows: activate_local call_nothing_local call_work_local activate_cold activate_inproc_registered\n"
          "      createinstance_factory call_nothing_inproc call_work_inproc cross_apartment_nothing\n"
          "      cross_apartment_work cross_apartment_{nothing,work}_{mta_to_sta,sta_to_mta}\n"
          "      dispatch_{nothing,work,mix}_{inproc,local} activate_pooled jit_call_pooled load_work_local\n",
          stderr);
}

}  // namespace

int main(int argc, char **argv) {
    QueryPerformanceFrequency(&g_freq);
    if (argc < 4 || argc > 5) {
        Usage();
        if (argc >= 2) g_row = argv[1];
        Fail("usage: bench_cpp_client.exe <row> <clsid> <iterations> [n]", E_INVALIDARG, 2);
    }
    g_row = argv[1];
    g_clsid = argv[2];

    // The CLSID, with or without braces.
    std::string s = argv[2];
    if (!s.empty() && s[0] != '{') s = "{" + s + "}";
    wchar_t ws[64];
    CLSID clsid;
    if (s.size() != 38 || !MultiByteToWideChar(CP_ACP, 0, s.c_str(), -1, ws, 64) || FAILED(IIDFromString(ws, &clsid)))
        Fail("bad clsid", E_INVALIDARG, 2);
    char canon[39];
    bench::GuidToString(clsid, canon);
    g_clsid = canon;

    char *end = nullptr;
    long long iters = strtoll(argv[3], &end, 10);
    if (*end || iters < 1) Fail("iterations must be a positive integer", E_INVALIDARG, 2);
    LONG n = 100;
    if (argc == 5) {
        long v = strtol(argv[4], &end, 10);
        if (*end || v < 0) Fail("n must be a non-negative integer", E_INVALIDARG, 2);
        n = (LONG)v;
    }

    const std::string row = g_row;
    if (row == "activate_local") return RowActivateLocal(clsid, iters);
    if (row == "call_nothing_local") return RowCallLocal(clsid, iters, false, n);
    if (row == "call_work_local") return RowCallLocal(clsid, iters, true, n);
    if (row == "activate_cold") return RowActivateCold(clsid);
    if (row == "load_work_local") return RowLoadWorkLocal(clsid, iters, n);
    if (row == "activate_inproc_registered") return RowActivateInprocRegistered(clsid, iters);
    if (row == "createinstance_factory") return RowCreateInstanceFactory(iters);
    if (row == "activate_inproc") return RowActivateInproc(clsid, iters, n);
    if (row == "call_nothing_inproc") return RowCallInproc(iters, false, n);
    if (row == "call_work_inproc") return RowCallInproc(iters, true, n);
    if (row == "cross_apartment_nothing" || row == "cross_apartment_nothing_mta_to_sta")
        return RowCrossApartment(iters, false, n, false);
    if (row == "cross_apartment_work" || row == "cross_apartment_work_mta_to_sta")
        return RowCrossApartment(iters, true, n, false);
    if (row == "cross_apartment_nothing_sta_to_mta") return RowCrossApartment(iters, false, n, true);
    if (row == "cross_apartment_work_sta_to_mta") return RowCrossApartment(iters, true, n, true);
    if (row == "dispatch_nothing_inproc") return RowDispatchInproc(DualOp::Nothing, iters, n);
    if (row == "dispatch_work_inproc") return RowDispatchInproc(DualOp::Work, iters, n);
    if (row == "dispatch_mix_inproc") return RowDispatchInproc(DualOp::Mix, iters, n);
    if (row == "dispatch_nothing_local") return RowDispatchLocal(clsid, DualOp::Nothing, iters, n);
    if (row == "dispatch_work_local") return RowDispatchLocal(clsid, DualOp::Work, iters, n);
    if (row == "dispatch_mix_local") return RowDispatchLocal(clsid, DualOp::Mix, iters, n);
    if (row == "activate_pooled") return RowActivatePooled(clsid, iters);
    if (row == "jit_call_pooled") return RowJitCallPooled(iters, n);
    Usage();
    Fail("unknown row", E_INVALIDARG, 2);
}
