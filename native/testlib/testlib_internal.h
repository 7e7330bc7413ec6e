// C++-only declarations shared by the testlib sources (and the selftest). Not for cffi: see testlib_api.h.
#pragma once
#include <windows.h>
#include <objbase.h>

// IBenchTarget : IUnknown, {3D840911-8FC7-4C2A-9C7B-05A5F4A82DB5}
struct IBenchTarget : public IUnknown {
    virtual HRESULT STDMETHODCALLTYPE Nothing() = 0;
    virtual HRESULT STDMETHODCALLTYPE Work(LONG n, LONG *sum) = 0;
};

extern "C" const IID IID_IBenchTarget;
extern "C" const CLSID CLSID_TL_BenchTarget;
extern "C" const CLSID CLSID_TL_Outer;

#define TL_API extern "C" __declspec(dllexport)

// Objects of other translation units count themselves in TL_LiveObjects with this (+1 made, -1 destroyed).
void TL_CountObject(LONG delta);
extern "C" const CLSID CLSID_TL_AgileTarget;
extern "C" const CLSID CLSID_TL_ByValueUnmarshaler;
extern "C" const CLSID CLSID_TL_BenchDual;  // the in-process C++ IBenchDual (dispatch.cpp)

// IClassFactory::LockServer of other translation units' factories counts here (+1 / -1), for DllCanUnloadNow.
void TL_CountLock(LONG delta);
// DllGetClassObject for dispatch.cpp's classes (CLSID_TL_BenchDual, CLSID_NativeDual); CLASS_E_CLASSNOTAVAILABLE
// for any other CLSID.
HRESULT TL_DualGetClassObject(REFCLSID rclsid, REFIID riid, void **ppv);
// DllGetClassObject for events.cpp's class (CLSID_NativeEventSource); CLASS_E_CLASSNOTAVAILABLE for any other.
HRESULT TL_EventsGetClassObject(REFCLSID rclsid, REFIID riid, void **ppv);

// The test DLL's class factory (objects.cpp): CreateInstance calls `create`; the factory counts itself with `count`
// (+1 made, -1 destroyed) and LockServer with TL_CountLock. A new reference as riid, or the QueryInterface failure.
typedef HRESULT (*TL_CreateFn)(IUnknown *outer, REFIID riid, void **ppv);
HRESULT TL_CreateFactory(TL_CreateFn create, void (*count)(LONG), REFIID riid, void **ppv);
