// events_host.exe: the test DLL's native event source (events.cpp) served out of process, the C++ LocalServer32 of
// the benchmark's out-of-process event rows (bench/README.md). Built from the test DLL's own sources (and its
// type library resources: NativeEventsLib is resource 3 of this exe too), with this main:
//   events_host.exe [-Embedding]  registers CLSID_NativeEventSource's class object (MTA, REGCLS_MULTIPLEUSE) and
//   serves until the sources it made are all gone (0.5 s linger), or 30 s pass with no client at all.
// Registration (LocalServer32 and NativeEventsLib) is the runner's job: this exe never writes the registry.
#include "../testlib_internal.h"
#include "nativeevents.h"

extern "C" LONG TL_EventsLiveObjects(void);

int wmain(int, wchar_t **) {
    HRESULT hr = CoInitializeEx(nullptr, COINIT_MULTITHREADED);
    if (FAILED(hr)) return 1;
    IUnknown *factory = nullptr;
    hr = TL_EventsGetClassObject(CLSID_NativeEventSource, IID_IUnknown, reinterpret_cast<void **>(&factory));
    DWORD cookie = 0;
    if (SUCCEEDED(hr))
        hr = CoRegisterClassObject(CLSID_NativeEventSource, factory, CLSCTX_LOCAL_SERVER, REGCLS_MULTIPLEUSE, &cookie);
    if (FAILED(hr)) {
        if (factory) factory->Release();
        CoUninitialize();
        return 2;
    }
    const LONG idle = TL_EventsLiveObjects();  // the factory alone
    bool served = false;
    DWORD quietSince = GetTickCount();
    const DWORD start = quietSince;
    for (;;) {
        Sleep(20);
        DWORD now = GetTickCount();
        if (TL_EventsLiveObjects() > idle) {
            served = true;
            quietSince = now;
        } else if (served ? now - quietSince >= 500 : now - start >= 30000) {
            break;
        }
    }
    CoRevokeClassObject(cookie);
    factory->Release();
    CoUninitialize();
    return 0;
}
