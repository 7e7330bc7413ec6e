// Native call loops and the AddRef/Release hammer (API: testlib_api.h). Kept in their own translation unit, which
// sees only the abstract interfaces, so the compiler cannot devirtualise or inline the calls; every result feeds
// the loop's exit test, so no call can be dropped either.
#include "testlib_internal.h"
#include <vector>

TL_API HRESULT TL_LoopNothing(void *benchTarget, LONG64 n) {
    if (!benchTarget) return E_POINTER;
    IBenchTarget *t = static_cast<IBenchTarget *>(benchTarget);
    for (LONG64 i = 0; i < n; ++i) {
        HRESULT hr = t->Nothing();
        if (FAILED(hr)) return hr;
    }
    return S_OK;
}

TL_API HRESULT TL_LoopWork(void *benchTarget, LONG64 n, LONG w, LONG *lastSum) {
    if (!benchTarget) return E_POINTER;
    IBenchTarget *t = static_cast<IBenchTarget *>(benchTarget);
    LONG sum = 0;
    for (LONG64 i = 0; i < n; ++i) {
        HRESULT hr = t->Work(w, &sum);
        if (FAILED(hr)) return hr;
    }
    if (lastSum) *lastSum = sum;
    return S_OK;
}

TL_API HRESULT TL_LoopAddRefRelease(void *unk, LONG64 n) {
    if (!unk) return E_POINTER;
    IUnknown *u = static_cast<IUnknown *>(unk);
    for (LONG64 i = 0; i < n; ++i) {
        u->AddRef();
        if (u->Release() == 0) return E_UNEXPECTED;  // the object died: the caller held no reference
    }
    return S_OK;
}

TL_API HRESULT TL_LoopQueryInterface(void *unk, const GUID *riid, LONG64 n) {
    if (!unk) return E_POINTER;
    if (!riid) return E_INVALIDARG;
    IUnknown *u = static_cast<IUnknown *>(unk);
    for (LONG64 i = 0; i < n; ++i) {
        void *p = nullptr;
        HRESULT hr = u->QueryInterface(*riid, &p);
        if (FAILED(hr)) return hr;
        if (!p) return E_POINTER;
        static_cast<IUnknown *>(p)->Release();
    }
    return S_OK;
}

TL_API HRESULT TL_LoopCreateInstance(void *classFactory, const GUID *riid, LONG64 n) {
    if (!classFactory) return E_POINTER;
    if (!riid) return E_INVALIDARG;
    IClassFactory *f = static_cast<IClassFactory *>(classFactory);
    for (LONG64 i = 0; i < n; ++i) {
        void *p = nullptr;
        HRESULT hr = f->CreateInstance(nullptr, *riid, &p);
        if (FAILED(hr)) return hr;
        if (!p) return E_POINTER;
        static_cast<IUnknown *>(p)->Release();
    }
    return S_OK;
}

TL_API HRESULT TL_LoopCoGetCurrentProcess(LONG64 n, DWORD *last) {
    volatile DWORD v = 0;  // CoGetCurrentProcess is an import (opaque), the volatile store only adds certainty
    for (LONG64 i = 0; i < n; ++i) v = CoGetCurrentProcess();
    if (last) *last = v;
    return S_OK;
}

TL_API HRESULT TL_LoopCoCreateInstance(const GUID *clsid, DWORD clsctx, const GUID *riid, LONG64 n) {
    if (!clsid || !riid) return E_INVALIDARG;
    for (LONG64 i = 0; i < n; ++i) {
        void *p = nullptr;
        HRESULT hr = CoCreateInstance(*clsid, nullptr, clsctx, *riid, &p);
        if (FAILED(hr)) return hr;
        if (!p) return E_POINTER;
        static_cast<IUnknown *>(p)->Release();
    }
    return S_OK;
}

// ---------------------------------------------------------------------------------------------------------------
namespace {

struct HammerJob {
    IUnknown *unk;
    LONG64 count;
    bool addRef;  // true: AddRef count times; false: Release count times
    HANDLE go;    // manual-reset event releasing all threads together
};

DWORD WINAPI HammerThread(void *arg) {
    const HammerJob *job = static_cast<const HammerJob *>(arg);
    WaitForSingleObject(job->go, INFINITE);
    IUnknown *u = job->unk;
    if (job->addRef)
        for (LONG64 i = 0; i < job->count; ++i) u->AddRef();
    else
        for (LONG64 i = 0; i < job->count; ++i) u->Release();
    return 0;
}

// Runs nthreads threads of `job` released together. Returns how many threads actually ran (== nthreads unless
// CreateThread failed; *err then holds the failure).
LONG RunPhase(HammerJob *job, LONG nthreads, HRESULT *err) {
    std::vector<HANDLE> threads;
    threads.reserve((size_t)nthreads);
    ResetEvent(job->go);
    for (LONG i = 0; i < nthreads; ++i) {
        HANDLE h = CreateThread(nullptr, 0, HammerThread, job, 0, nullptr);
        if (!h) {
            *err = HRESULT_FROM_WIN32(GetLastError());
            break;
        }
        threads.push_back(h);
    }
    SetEvent(job->go);
    for (HANDLE h : threads) {  // one at a time: WaitForMultipleObjects stops at 64 handles
        WaitForSingleObject(h, INFINITE);
        CloseHandle(h);
    }
    return (LONG)threads.size();
}

ULONG MeasureCount(IUnknown *u) {
    u->AddRef();
    return u->Release();
}

}  // namespace

TL_API HRESULT TL_HammerAddRefRelease(void *unk, LONG nthreads, LONG64 perThread, ULONG *countAfterAddRefs,
                                      ULONG *countAfterReleases) {
    if (countAfterAddRefs) *countAfterAddRefs = 0;
    if (countAfterReleases) *countAfterReleases = 0;
    if (!unk) return E_POINTER;
    if (nthreads <= 0 || perThread < 0) return E_INVALIDARG;
    HammerJob job{static_cast<IUnknown *>(unk), perThread, true, CreateEventW(nullptr, TRUE, FALSE, nullptr)};
    if (!job.go) return HRESULT_FROM_WIN32(GetLastError());

    HRESULT err = S_OK;
    LONG ran = RunPhase(&job, nthreads, &err);
    if (ran < nthreads) {  // undo the AddRefs that did happen, then fail
        for (LONG64 i = 0; i < (LONG64)ran * perThread; ++i) job.unk->Release();
        CloseHandle(job.go);
        return err;
    }
    ULONG afterAdd = MeasureCount(job.unk);

    job.addRef = false;
    ran = RunPhase(&job, nthreads, &err);
    for (LONG64 i = 0; i < (LONG64)(nthreads - ran) * perThread; ++i) job.unk->Release();  // keep the count balanced
    ULONG afterRel = MeasureCount(job.unk);
    CloseHandle(job.go);

    if (countAfterAddRefs) *countAfterAddRefs = afterAdd;
    if (countAfterReleases) *countAfterReleases = afterRel;
    return err;
}
