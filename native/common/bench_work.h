// IBenchTarget::Work as the benchmark contract defines it (bench/README.md), shared by the C++ bench exes
// (native/bench) and the test DLL (native/testlib): create a stream with CreateStreamOnHGlobal(NULL, TRUE), write
// the LONG values 0..n-1 with one IStream::Write each, seek to the start, read them back with one IStream::Read
// each, release the stream, and return their sum modulo 2^31. E_POINTER if sum is NULL, E_INVALIDARG if n < 0.
#pragma once
#include <windows.h>
#include <objbase.h>

inline HRESULT BenchWork(LONG n, LONG *sum) {
    if (!sum) return E_POINTER;
    *sum = 0;
    if (n < 0) return E_INVALIDARG;
    IStream *s = nullptr;
    HRESULT hr = CreateStreamOnHGlobal(nullptr, TRUE, &s);
    if (FAILED(hr)) return hr;
    for (LONG i = 0; i < n && SUCCEEDED(hr); ++i) {
        ULONG written = 0;
        hr = s->Write(&i, sizeof i, &written);
        if (SUCCEEDED(hr) && written != sizeof i) hr = STG_E_MEDIUMFULL;
    }
    if (SUCCEEDED(hr)) {
        LARGE_INTEGER zero;
        zero.QuadPart = 0;
        hr = s->Seek(zero, STREAM_SEEK_SET, nullptr);
    }
    ULONG64 total = 0;
    for (LONG i = 0; i < n && SUCCEEDED(hr); ++i) {
        LONG v = 0;
        ULONG got = 0;
        hr = s->Read(&v, sizeof v, &got);
        if (SUCCEEDED(hr) && got != sizeof v) hr = STG_E_READFAULT;
        total += (ULONG64)(ULONG)v;
    }
    s->Release();
    if (FAILED(hr)) return hr;
    *sum = (LONG)(total % 0x80000000ULL);
    return S_OK;
}
