/* xapt.exe: a second, independent native implementation of rows 3 and 3s (issue 14, item 6), written in C from the
 * contract alone (bench/README.md: IBenchTarget : IUnknown, IID {3D840911-8FC7-4C2A-9C7B-05A5F4A82DB5}, [3]
 * Nothing() -> S_OK, [4] Work(n, *sum)), sharing no code with bench_cpp_client.exe / bench_cpp_server.exe.
 *
 *     xapt.exe mta_to_sta|sta_to_mta CALLS ROUNDS
 *
 * A host thread in one apartment (an STA with a GetMessage loop, or the MTA) makes its own IBenchTarget object and
 * hands it over with CoMarshalInterThreadInterfaceInStream; the client thread (the process's main thread, in the
 * other apartment) unmarshals the proxy, checks it is one (its vtable is not the object's), makes 200 warm-up
 * calls, then ROUNDS rounds of CALLS Nothing() calls, each timed with QueryPerformanceCounter. It prints one JSON
 * line: {"row", "calls", "rounds", "min", "median" (seconds per call), "proxy": true, "ran_on_host": true (the call
 * ran in the object's apartment), "work": 4950}.
 * The marshaling of IBenchTarget is the type library's (BenchTargetLib, registered by bench_cpp_server -RegServer or
 * by ours), as for every client of the rows. The process ends with ExitProcess once the figures are printed: the
 * object's stub is never torn down (Wine 8's rpcrt4 can hang in RpcServerUnregisterIf, native/bench/README.md).
 */
#define COBJMACROS
#include <windows.h>
#include <objbase.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const IID kIID_IBenchTarget = {0x3D840911, 0x8FC7, 0x4C2A, {0x9C, 0x7B, 0x05, 0xA5, 0xF4, 0xA8, 0x2D, 0xB5}};
static const IID kIID_IUnknown = {0, 0, 0, {0xC0, 0, 0, 0, 0, 0, 0, 0x46}};

typedef struct Target Target;
typedef struct TargetVtbl {
    HRESULT(STDMETHODCALLTYPE *QueryInterface)(Target *, REFIID, void **);
    ULONG(STDMETHODCALLTYPE *AddRef)(Target *);
    ULONG(STDMETHODCALLTYPE *Release)(Target *);
    HRESULT(STDMETHODCALLTYPE *Nothing)(Target *);
    HRESULT(STDMETHODCALLTYPE *Work)(Target *, LONG, LONG *);
} TargetVtbl;
struct Target {
    const TargetVtbl *lpVtbl;
    volatile LONG refs;
};

static volatile DWORD g_last_thread; /* the thread the object's last Nothing ran on */

static HRESULT STDMETHODCALLTYPE t_qi(Target *t, REFIID riid, void **ppv) {
    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, &kIID_IUnknown) || IsEqualIID(riid, &kIID_IBenchTarget)) {
        *ppv = t;
        InterlockedIncrement(&t->refs);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}
static ULONG STDMETHODCALLTYPE t_addref(Target *t) { return (ULONG)InterlockedIncrement(&t->refs); }
static ULONG STDMETHODCALLTYPE t_release(Target *t) {
    LONG n = InterlockedDecrement(&t->refs);
    if (n == 0) HeapFree(GetProcessHeap(), 0, t);
    return (ULONG)n;
}
static HRESULT STDMETHODCALLTYPE t_nothing(Target *t) {
    (void)t;
    g_last_thread = GetCurrentThreadId();
    return S_OK;
}
/* The contract's Work: n LONGs written to a CreateStreamOnHGlobal stream one Write each, read back one Read each. */
static HRESULT STDMETHODCALLTYPE t_work(Target *t, LONG n, LONG *sum) {
    (void)t;
    if (!sum) return E_POINTER;
    if (n < 0) return E_INVALIDARG;
    IStream *s = NULL;
    HRESULT hr = CreateStreamOnHGlobal(NULL, TRUE, &s);
    if (FAILED(hr)) return hr;
    for (LONG i = 0; i < n && SUCCEEDED(hr); ++i) hr = IStream_Write(s, &i, sizeof i, NULL);
    LARGE_INTEGER zero = {{0, 0}};
    if (SUCCEEDED(hr)) hr = IStream_Seek(s, zero, STREAM_SEEK_SET, NULL);
    unsigned long long total = 0;
    for (LONG i = 0; i < n && SUCCEEDED(hr); ++i) {
        LONG v = 0;
        ULONG got = 0;
        hr = IStream_Read(s, &v, sizeof v, &got);
        if (SUCCEEDED(hr) && got != sizeof v) hr = E_FAIL;
        total += (unsigned long long)v;
    }
    IStream_Release(s);
    if (SUCCEEDED(hr)) *sum = (LONG)(total % 2147483648ULL);
    return hr;
}
static const TargetVtbl kVtbl = {t_qi, t_addref, t_release, t_nothing, t_work};

typedef struct Host {
    DWORD model;
    IStream *stream;
    HANDLE ready, stop;
    HRESULT hr;
    DWORD thread;
} Host;

static DWORD WINAPI host_main(void *arg) {
    Host *h = (Host *)arg;
    MSG msg;
    PeekMessageW(&msg, NULL, 0, 0, PM_NOREMOVE); /* the queue exists before the client posts WM_QUIT */
    h->thread = GetCurrentThreadId();
    h->hr = CoInitializeEx(NULL, h->model);
    if (SUCCEEDED(h->hr)) {
        Target *t = (Target *)HeapAlloc(GetProcessHeap(), 0, sizeof(Target));
        if (!t) h->hr = E_OUTOFMEMORY;
        else {
            t->lpVtbl = &kVtbl;
            t->refs = 1;
            h->hr = CoMarshalInterThreadInterfaceInStream(&kIID_IBenchTarget, (IUnknown *)t, &h->stream);
            t_release(t); /* the stub holds it now */
        }
    }
    SetEvent(h->ready);
    if (FAILED(h->hr)) return 1;
    if (h->model == COINIT_APARTMENTTHREADED) {
        while (GetMessageW(&msg, NULL, 0, 0) > 0) DispatchMessageW(&msg);
    } else {
        WaitForSingleObject(h->stop, INFINITE);
    }
    return 0;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void fail(const char *what, HRESULT hr) {
    printf("{\"error\": \"%s failed: 0x%08lX\"}\n", what, (unsigned long)hr);
    fflush(stdout);
    ExitProcess(1);
}

int main(int argc, char **argv) {
    if (argc != 4 || (strcmp(argv[1], "mta_to_sta") && strcmp(argv[1], "sta_to_mta"))) {
        fprintf(stderr, "usage: xapt.exe mta_to_sta|sta_to_mta CALLS ROUNDS\n");
        return 2;
    }
    int sta_client = strcmp(argv[1], "sta_to_mta") == 0;
    long long calls = _atoi64(argv[2]);
    int rounds = atoi(argv[3]);
    if (calls < 1 || rounds < 1 || rounds > 1000) return 2;
    HRESULT hr = CoInitializeEx(NULL, sta_client ? COINIT_APARTMENTTHREADED : COINIT_MULTITHREADED);
    if (FAILED(hr)) fail("CoInitializeEx (client)", hr);
    Host h = {sta_client ? COINIT_MULTITHREADED : COINIT_APARTMENTTHREADED, NULL, NULL, NULL, S_OK, 0};
    h.ready = CreateEventW(NULL, TRUE, FALSE, NULL);
    h.stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    HANDLE thread = CreateThread(NULL, 0, host_main, &h, 0, NULL);
    if (!thread) fail("CreateThread", HRESULT_FROM_WIN32(GetLastError()));
    WaitForSingleObject(h.ready, INFINITE);
    if (FAILED(h.hr)) fail("host: CoInitializeEx / CoMarshalInterThreadInterfaceInStream", h.hr);
    Target *p = NULL;
    hr = CoGetInterfaceAndReleaseStream(h.stream, &kIID_IBenchTarget, (void **)&p);
    if (FAILED(hr)) fail("CoGetInterfaceAndReleaseStream", hr);
    int proxy = p->lpVtbl != &kVtbl;
    for (int i = 0; i < 200; ++i)
        if (FAILED(hr = p->lpVtbl->Nothing(p))) fail("Nothing (warm-up)", hr);
    /* an STA object runs calls on its thread; an MTA object on any MTA thread (an RPC worker), never the STA client's */
    int ran_on_host = sta_client ? g_last_thread != GetCurrentThreadId() : g_last_thread == h.thread;
    LONG sum = -1;
    if (FAILED(hr = p->lpVtbl->Work(p, 100, &sum)) || sum != 4950) fail("Work(100) == 4950", FAILED(hr) ? hr : E_FAIL);
    LARGE_INTEGER f, a, b;
    QueryPerformanceFrequency(&f);
    double *per = (double *)malloc(sizeof(double) * (size_t)rounds);
    for (int r = 0; r < rounds; ++r) {
        QueryPerformanceCounter(&a);
        for (long long i = 0; i < calls; ++i)
            if (FAILED(hr = p->lpVtbl->Nothing(p))) fail("Nothing", hr);
        QueryPerformanceCounter(&b);
        per[r] = (double)(b.QuadPart - a.QuadPart) / (double)f.QuadPart / (double)calls;
    }
    qsort(per, (size_t)rounds, sizeof(double), cmp);
    printf("{\"row\": \"%s\", \"calls\": %lld, \"rounds\": %d, \"min\": %.9g, \"median\": %.9g, \"proxy\": %s, "
           "\"ran_on_host\": %s, \"work\": %ld}\n",
           argv[1], calls, rounds, per[0], per[rounds / 2], proxy ? "true" : "false", ran_on_host ? "true" : "false",
           (long)sum);
    fflush(stdout);
    ExitProcess(0); /* (no stub teardown: see the header) */
}
