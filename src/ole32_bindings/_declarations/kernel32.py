"""kernel32.dll: messages for error codes, events and waits, threads and processes, global memory, a process's
resource counts (memory, handles, threads: psapi's GetProcessMemoryInfo is kernel32's K32GetProcessMemoryInfo)."""

DLL = "kernel32.dll"
FALLBACKS = ()

CDEF = r"""
typedef struct tagPROCESSENTRY32W {
    DWORD dwSize; DWORD cntUsage; DWORD th32ProcessID; ULONG_PTR th32DefaultHeapID; DWORD th32ModuleID;
    DWORD cntThreads; DWORD th32ParentProcessID; LONG pcPriClassBase; DWORD dwFlags; WCHAR szExeFile[260];
} PROCESSENTRY32W;
HANDLE CreateToolhelp32Snapshot(DWORD dwFlags, DWORD th32ProcessID);
BOOL Process32FirstW(HANDLE hSnapshot, PROCESSENTRY32W *lppe);
BOOL Process32NextW(HANDLE hSnapshot, PROCESSENTRY32W *lppe);
DWORD FormatMessageW(DWORD dwFlags, const void *lpSource, DWORD dwMessageId, DWORD dwLanguageId, LPWSTR lpBuffer, DWORD nSize, void *Arguments);
HANDLE LocalFree(HANDLE hMem);
LPVOID GlobalLock(HGLOBAL hMem);
BOOL GlobalUnlock(HGLOBAL hMem);
SIZE_T GlobalSize(HGLOBAL hMem);
HANDLE CreateEventW(void *lpEventAttributes, BOOL bManualReset, BOOL bInitialState, LPCWSTR lpName);
BOOL SetEvent(HANDLE hEvent);
BOOL ResetEvent(HANDLE hEvent);
DWORD WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds);
DWORD WaitForMultipleObjects(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll, DWORD dwMilliseconds);
BOOL CloseHandle(HANDLE hObject);
DWORD GetCurrentThreadId(void);
DWORD GetCurrentProcessId(void);
DWORD GetLastError(void);
void SetLastError(DWORD dwErrCode);
void Sleep(DWORD dwMilliseconds);
HANDLE OpenProcess(DWORD dwDesiredAccess, BOOL bInheritHandle, DWORD dwProcessId);
BOOL TerminateProcess(HANDLE hProcess, UINT uExitCode);
BOOL GetExitCodeProcess(HANDLE hProcess, DWORD *lpExitCode);
HMODULE LoadLibraryW(LPCWSTR lpLibFileName);
BOOL GetModuleHandleExW(DWORD dwFlags, const void *lpModuleName, HMODULE *phModule);
BOOL FreeLibrary(HMODULE hLibModule);
void *GetProcAddress(HMODULE hModule, const char *lpProcName);
DWORD GetModuleFileNameW(HMODULE hModule, LPWSTR lpFilename, DWORD nSize);
BOOL QueryPerformanceCounter(LARGE_INTEGER *lpPerformanceCount);
BOOL QueryPerformanceFrequency(LARGE_INTEGER *lpFrequency);
typedef struct tagTHREADENTRY32 {
    DWORD dwSize; DWORD cntUsage; DWORD th32ThreadID; DWORD th32OwnerProcessID; LONG tpBasePri; LONG tpDeltaPri;
    DWORD dwFlags;
} THREADENTRY32;
BOOL Thread32First(HANDLE hSnapshot, THREADENTRY32 *lpte);
BOOL Thread32Next(HANDLE hSnapshot, THREADENTRY32 *lpte);
typedef struct _PROCESS_MEMORY_COUNTERS_EX {
    DWORD cb; DWORD PageFaultCount; SIZE_T PeakWorkingSetSize; SIZE_T WorkingSetSize;
    SIZE_T QuotaPeakPagedPoolUsage; SIZE_T QuotaPagedPoolUsage; SIZE_T QuotaPeakNonPagedPoolUsage;
    SIZE_T QuotaNonPagedPoolUsage; SIZE_T PagefileUsage; SIZE_T PeakPagefileUsage; SIZE_T PrivateUsage;
} PROCESS_MEMORY_COUNTERS_EX;
BOOL K32GetProcessMemoryInfo(HANDLE Process, PROCESS_MEMORY_COUNTERS_EX *ppsmemCounters, DWORD cb);
BOOL GetProcessHandleCount(HANDLE hProcess, DWORD *pdwHandleCount);
"""
