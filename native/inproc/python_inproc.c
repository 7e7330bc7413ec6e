/* python_inproc.dll: an InprocServer32 for COM classes written in Python (src/ole32_servers/inproc.py).
 *
 * COM loads this DLL for a CLSID whose InprocServer32 names it and calls DllGetClassObject. The DLL finds a Python
 * in the process (the python3XY.dll already loaded, as in a Python client) or loads the one named by the CLSID's
 * "PythonDll" value and initializes it (a C++ client), then asks Python for the class object:
 *     ole32_servers.inproc.class_object(clsid_text, iid_text) -> int (a new reference, the address of the interface)
 * with the GIL held (PyGILState_Ensure, so any thread of any apartment may ask). The CLSID's "PythonPath" value
 * (directories separated by ';') is put first on sys.path before the import.
 *
 * No Python headers: the few C-API functions are looked up with GetProcAddress and called with the documented
 * signatures (PyObject * as void *, PyGILState_STATE as int). A Python started here is never finalized (COM may
 * call into its objects until the process ends), so DllCanUnloadNow always answers S_FALSE.
 * Failures return the HRESULT COM expects (CLASS_E_CLASSNOTAVAILABLE, E_NOINTERFACE...) and never a MessageBox:
 * a Python exception is printed to stderr (PyErr_Print) and its HRESULT is taken from ole32_servers.inproc's answer.
 *
 * A CLSID's class object is one object for the process (ole32_servers.inproc makes it once), so after the first
 * request the DLL keeps a reference to it (its IUnknown) and answers the next ones with its QueryInterface, in
 * native code: no string conversions, no GIL, no Python call per activation (issue 14: those were the cost of
 * row 1b). ole32_servers.inproc.release_class_objects() empties this cache (PyInproc_ReleaseCache) before it gives
 * up its own references, so the next request asks Python again.
 */
#include <windows.h>
#include <objbase.h>
#include <stdio.h>
#include <wchar.h>

typedef void *PyObj;
typedef int (*Py_IsInitialized_t)(void);
typedef void (*Py_InitializeEx_t)(int);
typedef int (*PyGILState_Ensure_t)(void);
typedef void (*PyGILState_Release_t)(int);
typedef void *(*PyEval_SaveThread_t)(void);
typedef PyObj (*PyImport_ImportModule_t)(const char *);
typedef PyObj (*PyObject_CallMethod_t)(PyObj, const char *, const char *, ...);
typedef long long (*PyLong_AsLongLong_t)(PyObj);
typedef void (*Py_DecRef_t)(PyObj);
typedef PyObj (*PyErr_Occurred_t)(void);
typedef void (*PyErr_Print_t)(void);
typedef PyObj (*PyObject_GetAttrString_t)(PyObj, const char *);
typedef PyObj (*PyUnicode_FromString_t)(const char *);
typedef int (*PySequence_Contains_t)(PyObj, PyObj);

static struct {
    HMODULE dll;
    Py_IsInitialized_t IsInitialized;
    Py_InitializeEx_t InitializeEx;
    PyGILState_Ensure_t GILEnsure;
    PyGILState_Release_t GILRelease;
    PyEval_SaveThread_t SaveThread;
    PyImport_ImportModule_t Import;
    PyObject_CallMethod_t CallMethod;
    PyLong_AsLongLong_t AsLongLong;
    Py_DecRef_t DecRef;
    PyErr_Occurred_t ErrOccurred;
    PyErr_Print_t ErrPrint;
    PyObject_GetAttrString_t GetAttr;
    PyUnicode_FromString_t Unicode;
    PySequence_Contains_t Contains;
} py;

static CRITICAL_SECTION g_init_lock;
static volatile LONG g_ready = 0;
static PyObj g_module = NULL;       /* ole32_servers.inproc, imported once and kept (GIL-protected) */
#define MAX_SEEN 64
static CLSID g_seen[MAX_SEEN];      /* CLSIDs whose PythonPath is already on sys.path (GIL-protected) */
static int g_nseen = 0;

#define MAX_CACHED 64
static SRWLOCK g_cache_lock = SRWLOCK_INIT;
static struct { CLSID clsid; IUnknown *unk; } g_cache[MAX_CACHED];  /* class objects, one reference each */
static int g_ncached = 0;

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved) {
    (void)inst; (void)reserved;
    if (reason == DLL_PROCESS_ATTACH) InitializeCriticalSection(&g_init_lock);
    return TRUE;
}

/* The cached class object of `rclsid` with a new reference of ours (released by the caller), or NULL. The lock is
 * not held during QueryInterface: a class object's QueryInterface may enter Python (which may empty the cache). */
static IUnknown *cached(REFCLSID rclsid) {
    IUnknown *unk = NULL;
    AcquireSRWLockShared(&g_cache_lock);
    for (int i = 0; i < g_ncached; ++i) {
        if (IsEqualCLSID(&g_cache[i].clsid, rclsid)) {
            unk = g_cache[i].unk;
            unk->lpVtbl->AddRef(unk);
            break;
        }
    }
    ReleaseSRWLockShared(&g_cache_lock);
    return unk;
}

/* Keep a reference to the class object `obj` (any interface of it) of `rclsid`, if there is room. */
static void remember(REFCLSID rclsid, IUnknown *obj) {
    IUnknown *unk = NULL;
    static const IID iid_unknown = {0, 0, 0, {0xC0, 0, 0, 0, 0, 0, 0, 0x46}};  /* (no uuid.lib here) */
    if (FAILED(obj->lpVtbl->QueryInterface(obj, &iid_unknown, (void **)&unk))) return;
    AcquireSRWLockExclusive(&g_cache_lock);
    BOOL known = FALSE;
    for (int i = 0; i < g_ncached && !known; ++i) known = IsEqualCLSID(&g_cache[i].clsid, rclsid);
    if (!known && g_ncached < MAX_CACHED) {
        g_cache[g_ncached].clsid = *rclsid;
        g_cache[g_ncached++].unk = unk;
        unk = NULL;
    }
    ReleaseSRWLockExclusive(&g_cache_lock);
    if (unk) unk->lpVtbl->Release(unk);
}

/* Called by ole32_servers.inproc.release_class_objects (GIL held): give up every cached reference; returns how many. */
__declspec(dllexport) LONG PyInproc_ReleaseCache(void) {
    IUnknown *drop[MAX_CACHED];
    AcquireSRWLockExclusive(&g_cache_lock);
    int n = g_ncached;
    for (int i = 0; i < n; ++i) drop[i] = g_cache[i].unk;
    g_ncached = 0;
    ReleaseSRWLockExclusive(&g_cache_lock);
    for (int i = 0; i < n; ++i) drop[i]->lpVtbl->Release(drop[i]);  /* (outside the lock: may reach Python) */
    return n;
}

static HMODULE loaded_python(void) {
    static const char *names[] = {"python314.dll", "python313.dll", "python312.dll", "python311.dll"};
    for (int i = 0; i < 4; ++i) {
        HMODULE m = GetModuleHandleA(names[i]);
        if (m) return m;
    }
    return NULL;
}

/* A value of HKCR\CLSID\{clsid}\InprocServer32 (wide). */
static BOOL read_value(const wchar_t *clsid, const wchar_t *name, wchar_t *out, DWORD chars) {
    wchar_t key[128];
    swprintf(key, 128, L"CLSID\\%ls\\InprocServer32", clsid);
    DWORD bytes = chars * sizeof(wchar_t);
    if (RegGetValueW(HKEY_CLASSES_ROOT, key, name, RRF_RT_REG_SZ, NULL, out, &bytes) != ERROR_SUCCESS) return FALSE;
    return TRUE;
}

#define BIND(field, name) \
    if (!(py.field = (void *)GetProcAddress(py.dll, name))) return FALSE;

static BOOL bind_python(HMODULE dll) {
    py.dll = dll;
    BIND(IsInitialized, "Py_IsInitialized");
    BIND(InitializeEx, "Py_InitializeEx");
    BIND(GILEnsure, "PyGILState_Ensure");
    BIND(GILRelease, "PyGILState_Release");
    BIND(SaveThread, "PyEval_SaveThread");
    BIND(Import, "PyImport_ImportModule");
    BIND(CallMethod, "PyObject_CallMethod");
    BIND(AsLongLong, "PyLong_AsLongLong");
    BIND(DecRef, "Py_DecRef");
    BIND(ErrOccurred, "PyErr_Occurred");
    BIND(ErrPrint, "PyErr_Print");
    BIND(GetAttr, "PyObject_GetAttrString");
    BIND(Unicode, "PyUnicode_FromString");
    BIND(Contains, "PySequence_Contains");
    return TRUE;
}

/* Python ready in this process (found or started), its API bound. */
static HRESULT ensure_python(const wchar_t *clsid) {
    if (g_ready) return S_OK;
    HRESULT hr = S_OK;
    EnterCriticalSection(&g_init_lock);
    if (!g_ready) {
        HMODULE dll = loaded_python();
        if (!dll) {
            wchar_t path[MAX_PATH];
            if (!read_value(clsid, L"PythonDll", path, MAX_PATH)) hr = CLASS_E_CLASSNOTAVAILABLE;
            else if (!(dll = LoadLibraryW(path))) hr = HRESULT_FROM_WIN32(GetLastError());
        }
        if (SUCCEEDED(hr) && !bind_python(dll)) hr = CLASS_E_CLASSNOTAVAILABLE;
        if (SUCCEEDED(hr) && !py.IsInitialized()) {
            py.InitializeEx(0);   /* no signal handlers: this is someone else's process */
            py.SaveThread();      /* give the GIL back: callers take it with PyGILState_Ensure */
        }
        if (SUCCEEDED(hr)) g_ready = 1;
    }
    LeaveCriticalSection(&g_init_lock);
    return hr;
}

static void narrow(const wchar_t *w, char *out, int size) {
    WideCharToMultiByte(CP_UTF8, 0, w, -1, out, size, NULL, NULL);
}

/* sys.path gets each ';'-separated entry of `paths` in front, in order, unless already there. GIL held. */
static void prepend_sys_path(char *paths) {
    PyObj sys = py.Import("sys");
    PyObj list = sys ? py.GetAttr(sys, "path") : NULL;
    if (list) {
        char *entries[64];
        int n = 0;
        for (char *p = strtok(paths, ";"); p && n < 64; p = strtok(NULL, ";")) entries[n++] = p;
        for (int i = n - 1; i >= 0; --i) {
            PyObj item = py.Unicode(entries[i]);
            if (!item) break;
            if (py.Contains(list, item) == 0) {
                PyObj r = py.CallMethod(list, "insert", "is", 0, entries[i]);
                if (r) py.DecRef(r);
            }
            py.DecRef(item);
        }
        py.DecRef(list);
    }
    if (sys) py.DecRef(sys);
}

__declspec(dllexport) HRESULT STDAPICALLTYPE DllGetClassObject(REFCLSID rclsid, REFIID riid, void **ppv) {
    if (!ppv) return E_POINTER;
    *ppv = NULL;
    if (!rclsid || !riid) return E_INVALIDARG;
    IUnknown *known = cached(rclsid);
    if (known) {
        HRESULT qhr = known->lpVtbl->QueryInterface(known, riid, ppv);
        known->lpVtbl->Release(known);
        return qhr;
    }
    wchar_t clsid[64], iid[64];
    if (!StringFromGUID2(rclsid, clsid, 64) || !StringFromGUID2(riid, iid, 64)) return E_INVALIDARG;
    HRESULT hr = ensure_python(clsid);
    if (FAILED(hr)) return hr;
    char c8[64], i8[64];
    narrow(clsid, c8, sizeof c8);
    narrow(iid, i8, sizeof i8);

    int gil = py.GILEnsure();
    hr = E_UNEXPECTED;
    /* The first request for a CLSID puts its PythonPath on sys.path (a registry read: not on every activation). */
    int seen = 0;
    for (int i = 0; i < g_nseen && !seen; ++i) seen = IsEqualCLSID(&g_seen[i], rclsid);
    if (!seen) {
        wchar_t wpath[4096];
        char path[8192] = "";
        if (read_value(clsid, L"PythonPath", wpath, 4096)) narrow(wpath, path, sizeof path);
        if (path[0]) prepend_sys_path(path);
        if (g_nseen < MAX_SEEN) g_seen[g_nseen++] = *rclsid;
    }
    if (!g_module) g_module = py.Import("ole32_servers.inproc");  /* kept: one reference for the process */
    if (g_module) {
        PyObj r = py.CallMethod(g_module, "class_object", "ss", c8, i8);
        if (r) {
            long long v = py.AsLongLong(r);
            if (!py.ErrOccurred()) {
                if (v > 0) {
                    *ppv = (void *)(LONG_PTR)v;
                    hr = S_OK;
                } else {
                    hr = (HRESULT)v;  /* class_object answers a failure as its (negative) HRESULT */
                }
            }
            py.DecRef(r);
        }
    }
    if (py.ErrOccurred()) {
        py.ErrPrint();
        hr = CLASS_E_CLASSNOTAVAILABLE;
    }
    py.GILRelease(gil);
    if (SUCCEEDED(hr) && *ppv) remember(rclsid, (IUnknown *)*ppv);
    return hr;
}

__declspec(dllexport) HRESULT STDAPICALLTYPE DllCanUnloadNow(void) { return S_FALSE; }
