"""oleaut32.dll: BSTRs, VARIANTs, SAFEARRAYs, Automation's conversions, error objects, type libraries."""

DLL = "oleaut32.dll"
FALLBACKS = ()

CDEF = r"""
BSTR SysAllocString(const OLECHAR *psz);
BSTR SysAllocStringLen(const OLECHAR *strIn, UINT ui);
void SysFreeString(BSTR bstrString);
UINT SysStringLen(BSTR pbstr);
void VariantInit(VARIANT *pvarg);
HRESULT VariantClear(VARIANT *pvarg);
HRESULT SetErrorInfo(ULONG dwReserved, void *perrinfo);
HRESULT GetErrorInfo(ULONG dwReserved, void **pperrinfo);
HRESULT CreateErrorInfo(void **pperrinfo);
HRESULT LoadTypeLibEx(LPCOLESTR szFile, REGKIND regkind, void **pptlib);
HRESULT LoadRegTypeLib(const GUID *rguid, WORD wVerMajor, WORD wVerMinor, LCID lcid, void **pptlib);
HRESULT RegisterTypeLib(void *ptlib, LPCOLESTR szFullPath, LPCOLESTR szHelpDir);
HRESULT UnRegisterTypeLib(const GUID *libID, WORD wVerMajor, WORD wVerMinor, LCID lcid, SYSKIND syskind);
HRESULT QueryPathOfRegTypeLib(const GUID *guid, USHORT wMaj, USHORT wMin, LCID lcid, BSTR *lpbstrPathName);
HRESULT CreateTypeLib2(SYSKIND syskind, LPCOLESTR szFile, void **ppctlib);
BSTR SysAllocStringByteLen(const char *psz, UINT len);
UINT SysStringByteLen(BSTR bstr);
void SetOaNoCache(void);
HRESULT VariantCopy(VARIANT *pvargDest, const VARIANT *pvargSrc);
HRESULT VariantCopyInd(VARIANT *pvarDest, const VARIANT *pvargSrc);
HRESULT VariantChangeType(VARIANT *pvargDest, const VARIANT *pvarSrc, USHORT wFlags, VARTYPE vt);
HRESULT VarAdd(VARIANT *pvarLeft, VARIANT *pvarRight, VARIANT *pvarResult);
HRESULT VariantChangeTypeEx(VARIANT *pvargDest, const VARIANT *pvarSrc, LCID lcid, USHORT wFlags, VARTYPE vt);
SAFEARRAY *SafeArrayCreate(VARTYPE vt, UINT cDims, SAFEARRAYBOUND *rgsabound);
SAFEARRAY *SafeArrayCreateVector(VARTYPE vt, LONG lLbound, ULONG cElements);
HRESULT SafeArrayDestroy(SAFEARRAY *psa);
HRESULT SafeArrayAllocDescriptor(UINT cDims, SAFEARRAY **ppsaOut);
HRESULT SafeArrayAllocDescriptorEx(VARTYPE vt, UINT cDims, SAFEARRAY **ppsaOut);
HRESULT SafeArrayAllocData(SAFEARRAY *psa);
HRESULT SafeArrayDestroyDescriptor(SAFEARRAY *psa);
HRESULT SafeArrayDestroyData(SAFEARRAY *psa);
HRESULT SafeArrayCopy(SAFEARRAY *psa, SAFEARRAY **ppsaOut);
UINT SafeArrayGetDim(SAFEARRAY *psa);
UINT SafeArrayGetElemsize(SAFEARRAY *psa);
HRESULT SafeArrayGetLBound(SAFEARRAY *psa, UINT nDim, LONG *plLbound);
HRESULT SafeArrayGetUBound(SAFEARRAY *psa, UINT nDim, LONG *plUbound);
HRESULT SafeArrayGetVartype(SAFEARRAY *psa, VARTYPE *pvt);
HRESULT SafeArrayLock(SAFEARRAY *psa);
HRESULT SafeArrayUnlock(SAFEARRAY *psa);
HRESULT SafeArrayAccessData(SAFEARRAY *psa, void **ppvData);
HRESULT SafeArrayUnaccessData(SAFEARRAY *psa);
HRESULT SafeArrayPtrOfIndex(SAFEARRAY *psa, LONG *rgIndices, void **ppvData);
HRESULT SafeArrayGetElement(SAFEARRAY *psa, LONG *rgIndices, void *pv);
HRESULT SafeArrayPutElement(SAFEARRAY *psa, LONG *rgIndices, void *pv);
HRESULT VarDateFromStr(LPCOLESTR strIn, LCID lcid, ULONG dwFlags, DATE *pdateOut);
HRESULT VarCyFromStr(LPCOLESTR strIn, LCID lcid, ULONG dwFlags, CY *pcyOut);
HRESULT VarDecFromStr(LPCOLESTR strIn, LCID lcid, ULONG dwFlags, DECIMAL *pdecOut);
INT VariantTimeToSystemTime(double vtime, SYSTEMTIME *lpSystemTime);
INT SystemTimeToVariantTime(SYSTEMTIME *lpSystemTime, double *pvtime);
"""
