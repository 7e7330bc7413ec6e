"""ole32.dll (falling back to combase.dll for what Wine exports only there, e.g. CoGetStdMarshalEx)."""

DLL = "ole32.dll"
FALLBACKS = ("combase.dll",)

CDEF = r"""
HRESULT CoInitializeEx(LPVOID pvReserved, DWORD dwCoInit);
void CoUninitialize(void);
HRESULT OleInitialize(LPVOID pvReserved);
void OleUninitialize(void);
HRESULT CoGetApartmentType(APTTYPE *pAptType, APTTYPEQUALIFIER *pAptQualifier);
DWORD CoGetCurrentProcess(void);
HRESULT CoGetContextToken(ULONG_PTR *pToken);
HRESULT CoGetCurrentLogicalThreadId(GUID *pguid);
HRESULT CoGetObjectContext(const IID *riid, void **ppv);
HRESULT CoCreateInstance(const CLSID *rclsid, void *pUnkOuter, DWORD dwClsContext, const IID *riid, void **ppv);
HRESULT CoCreateInstanceEx(const CLSID *rclsid, void *punkOuter, DWORD dwClsCtx, COSERVERINFO *pServerInfo, DWORD dwCount, MULTI_QI *pResults);
HRESULT CoGetClassObject(const CLSID *rclsid, DWORD dwClsContext, COSERVERINFO *pServerInfo, const IID *riid, void **ppv);
HRESULT CoRegisterClassObject(const CLSID *rclsid, void *pUnk, DWORD dwClsContext, DWORD flags, DWORD *lpdwRegister);
HRESULT CoRevokeClassObject(DWORD dwRegister);
HRESULT CoResumeClassObjects(void);
HRESULT CoSuspendClassObjects(void);
ULONG CoAddRefServerProcess(void);
ULONG CoReleaseServerProcess(void);
HRESULT CoMarshalInterface(void *pStm, const IID *riid, void *pUnk, DWORD dwDestContext, void *pvDestContext, DWORD mshlflags);
HRESULT CoUnmarshalInterface(void *pStm, const IID *riid, void **ppv);
HRESULT CoReleaseMarshalData(void *pStm);
HRESULT CoGetMarshalSizeMax(ULONG *pulSize, const IID *riid, void *pUnk, DWORD dwDestContext, void *pvDestContext, DWORD mshlflags);
HRESULT CoGetStandardMarshal(const IID *riid, void *pUnk, DWORD dwDestContext, void *pvDestContext, DWORD mshlflags, void **ppMarshal);
HRESULT CoGetStdMarshalEx(void *pUnkOuter, DWORD smexflags, void **ppUnkInner);
HRESULT CoCreateFreeThreadedMarshaler(void *punkOuter, void **ppunkMarshal);
HRESULT CoMarshalInterThreadInterfaceInStream(const IID *riid, void *pUnk, void **ppStm);
HRESULT CoGetInterfaceAndReleaseStream(void *pStm, const IID *iid, void **ppv);
HRESULT CoDisconnectObject(void *pUnk, DWORD dwReserved);
HRESULT CoLockObjectExternal(void *pUnk, BOOL fLock, BOOL fLastUnlockReleases);
HRESULT CoWaitForMultipleHandles(DWORD dwFlags, DWORD dwTimeout, ULONG cHandles, HANDLE *pHandles, DWORD *lpdwindex);
LPVOID CoTaskMemAlloc(SIZE_T cb);
void CoTaskMemFree(LPVOID pv);
HRESULT CoGetMalloc(DWORD dwMemContext, void **ppMalloc);
HRESULT CoRegisterMallocSpy(void *pMallocSpy);
HRESULT CoRevokeMallocSpy(void);
HRESULT CoCreateGuid(GUID *pguid);
int StringFromGUID2(const GUID *rguid, LPOLESTR lpsz, int cchMax);
HRESULT CLSIDFromString(LPCOLESTR lpsz, CLSID *pclsid);
HRESULT IIDFromString(LPCOLESTR lpsz, IID *lpiid);
HRESULT CLSIDFromProgID(LPCOLESTR lpszProgID, CLSID *lpclsid);
HRESULT ProgIDFromCLSID(const CLSID *clsid, LPOLESTR *lplpszProgID);
HRESULT CreateStreamOnHGlobal(HGLOBAL hGlobal, BOOL fDeleteOnRelease, void **ppstm);
HRESULT GetHGlobalFromStream(void *pstm, HGLOBAL *phglobal);
HRESULT CoInitializeSecurity(void *pSecDesc, LONG cAuthSvc, void *asAuthSvc, void *pReserved1, DWORD dwAuthnLevel, DWORD dwImpLevel, void *pAuthList, DWORD dwCapabilities, void *pReserved3);
HRESULT CoSetProxyBlanket(void *pProxy, DWORD dwAuthnSvc, DWORD dwAuthzSvc, LPOLESTR pServerPrincName, DWORD dwAuthnLevel, DWORD dwImpLevel, void *pAuthInfo, DWORD dwCapabilities);
HRESULT CoQueryClientBlanket(DWORD *pAuthnSvc, DWORD *pAuthzSvc, LPOLESTR *pServerPrincName, DWORD *pAuthnLevel, DWORD *pImpLevel, void **pPrivs, DWORD *pCapabilities);
HRESULT CoImpersonateClient(void);
HRESULT CoRevertToSelf(void);
HRESULT CoEnableCallCancellation(void *pReserved);
HRESULT CoDisableCallCancellation(void *pReserved);
HRESULT CoCancelCall(DWORD dwThreadId, ULONG ulTimeout);
HRESULT CoTestCancel(void);
HRESULT CoRegisterMessageFilter(void *lpMessageFilter, void **lplpMessageFilter);
HRESULT CoRegisterChannelHook(const GUID *ExtensionUuid, void *pChannelHook);
HRESULT CoGetPSClsid(const IID *riid, CLSID *pClsid);
void CoFreeUnusedLibraries(void);
HRESULT CoGetCallContext(const IID *riid, void **ppInterface);
"""
