"""oleaut32.dll: BSTRs, VARIANTs, error objects, type libraries."""

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
"""
