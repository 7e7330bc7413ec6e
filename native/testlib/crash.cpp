// The test harness's crash report (API: testlib_api.h, TL_InstallCrashReporter). Python's faulthandler reports every
// first-chance SEH exception with the high bit set, also those the runtime raises and handles itself (rpcrt4 raises
// RPC failures such as 0x800706B5 as exceptions and catches them): pages of "Windows fatal exception" for nothing.
// This reports only what nobody handles: a top-level (unhandled) exception filter, called when an exception found
// no handler on any frame of its thread, i.e. the process is about to die of it. It writes one line naming the code,
// then every Python thread's stack (CPython's own _Py_DumpTracebackThreads, what faulthandler itself calls), and
// ends the process with the exception's code, quietly (no debugger, no error-reporting dialog).
#include "testlib_internal.h"
#include <stdio.h>

namespace {

typedef const char *(*DumpThreadsFn)(int fd, void *interp, void *tstate);

DumpThreadsFn g_dump = nullptr;
int g_fd = -1;
HANDLE g_handle = INVALID_HANDLE_VALUE;
LPTOP_LEVEL_EXCEPTION_FILTER g_previous = nullptr;
volatile LONG g_reporting = 0;

const char *name_of(DWORD code) {
    switch (code) {
    case EXCEPTION_ACCESS_VIOLATION: return "access violation";
    case EXCEPTION_STACK_OVERFLOW: return "stack overflow";
    case EXCEPTION_ILLEGAL_INSTRUCTION: return "illegal instruction";
    case EXCEPTION_PRIV_INSTRUCTION: return "privileged instruction";
    case EXCEPTION_INT_DIVIDE_BY_ZERO: return "integer divide by zero";
    case EXCEPTION_IN_PAGE_ERROR: return "in-page error";
    case EXCEPTION_DATATYPE_MISALIGNMENT: return "datatype misalignment";
    case 0xC0000374: return "heap corruption";
    case 0xC0000409: return "stack buffer overrun (fail fast)";
    default: return "unhandled exception";
    }
}

LONG WINAPI report(EXCEPTION_POINTERS *info) {
    if (InterlockedExchange(&g_reporting, 1) == 0) {  // once: a second thread dying meanwhile adds nothing
        const EXCEPTION_RECORD *r = info->ExceptionRecord;
        char line[256];
        int n = snprintf(line, sizeof line, "Fatal exception (unhandled): code 0x%08lX, %s, at %p, thread %lu\n",
                         (unsigned long)r->ExceptionCode, name_of(r->ExceptionCode), r->ExceptionAddress,
                         (unsigned long)GetCurrentThreadId());
        DWORD written = 0;
        if (n > 0 && g_handle != INVALID_HANDLE_VALUE) WriteFile(g_handle, line, (DWORD)n, &written, nullptr);
        if (g_dump && g_fd >= 0) g_dump(g_fd, nullptr, nullptr);
        if (g_handle != INVALID_HANDLE_VALUE) FlushFileBuffers(g_handle);
    }
    // then the filter found before (the CRT's, in python.exe) has its say; when it lets the exception go on, the
    // process ends with its code: no debugger (Wine would print its banner to the terminal), no error-reporting
    // dialog (Windows)
    LONG answer = g_previous ? g_previous(info) : EXCEPTION_CONTINUE_SEARCH;
    return answer == EXCEPTION_CONTINUE_SEARCH ? EXCEPTION_EXECUTE_HANDLER : answer;
}

}  // namespace

namespace {

// TL_ExitOnUnhandled's filter: one line on this process's stderr, then the process ends with the exception's code.
// Answering EXCEPTION_EXECUTE_HANDLER is what keeps Wine from starting its debugger, which prints its own "wine:
// Unhandled page fault ... starting debugger" on the terminal whatever the error mode (SetErrorMode is not read).
LONG WINAPI exit_on_unhandled(EXCEPTION_POINTERS *info) {
    const EXCEPTION_RECORD *r = info->ExceptionRecord;
    char line[256];
    int n;
    if (r->ExceptionCode == EXCEPTION_ACCESS_VIOLATION && r->NumberParameters >= 2) {
        const char *how = r->ExceptionInformation[0] == 0 ? "read" : r->ExceptionInformation[0] == 8 ? "execute"
                                                                                                      : "write";
        n = snprintf(line, sizeof line, "Fatal exception (unhandled): page fault on %s access to %p at address %p\n",
                     how, reinterpret_cast<void *>(r->ExceptionInformation[1]), r->ExceptionAddress);
    } else {
        n = snprintf(line, sizeof line, "Fatal exception (unhandled): code 0x%08lX, %s, at address %p\n",
                     (unsigned long)r->ExceptionCode, name_of(r->ExceptionCode), r->ExceptionAddress);
    }
    HANDLE err = GetStdHandle(STD_ERROR_HANDLE);
    DWORD written = 0;
    if (n > 0 && err && err != INVALID_HANDLE_VALUE) WriteFile(err, line, (DWORD)n, &written, nullptr);
    return EXCEPTION_EXECUTE_HANDLER;
}

}  // namespace

TL_API HRESULT TL_ExitOnUnhandled(void) {
    SetUnhandledExceptionFilter(exit_on_unhandled);
    return S_OK;
}

TL_API HRESULT TL_InstallCrashReporter(int fd, void *handle, void *python) {
    if (fd < 0 || !handle || !python) return E_INVALIDARG;
    g_dump = reinterpret_cast<DumpThreadsFn>(
        reinterpret_cast<void *>(GetProcAddress(static_cast<HMODULE>(python), "_Py_DumpTracebackThreads")));
    if (!g_dump) return HRESULT_FROM_WIN32(ERROR_PROC_NOT_FOUND);
    g_fd = fd;
    g_handle = static_cast<HANDLE>(handle);
    LPTOP_LEVEL_EXCEPTION_FILTER previous = SetUnhandledExceptionFilter(report);
    if (previous != report) g_previous = previous;
    return S_OK;
}
