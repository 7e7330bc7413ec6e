"""Windows types for the x64 ABI, written with fixed-width integers (``long`` is 32-bit on Windows, 64-bit on
Linux: never use it here). ``wchar_t`` is resolved by the cffi that loads the module, 16-bit on Windows."""

CDEF = r"""
typedef int32_t HRESULT;
typedef int32_t SCODE;
typedef int32_t LONG;
typedef int32_t BOOL;
typedef int32_t INT;
typedef int64_t LONG64;
typedef int64_t LONGLONG;
typedef uint64_t ULONGLONG;
typedef uint32_t ULONG;
typedef uint32_t DWORD;
typedef uint32_t UINT;
typedef uint32_t LCID;
typedef uint16_t WORD;
typedef uint16_t USHORT;
typedef int16_t SHORT;
typedef uint16_t VARTYPE;
typedef int16_t VARIANT_BOOL;
typedef uint8_t BYTE;
typedef wchar_t WCHAR;
typedef wchar_t OLECHAR;
typedef WCHAR *LPWSTR;
typedef const WCHAR *LPCWSTR;
typedef OLECHAR *BSTR;
typedef OLECHAR *LPOLESTR;
typedef const OLECHAR *LPCOLESTR;
typedef void *LPVOID;
typedef void *HANDLE;
typedef void *HWND;
typedef void *HINSTANCE;
typedef void *HMODULE;
typedef void *HGLOBAL;
typedef void *HKEY;
typedef uint64_t WPARAM;
typedef int64_t LPARAM;
typedef int64_t LRESULT;
typedef uint64_t ULONG_PTR;
typedef uint64_t SIZE_T;
typedef uint32_t REGSAM;
typedef int32_t LSTATUS;
typedef int32_t DISPID;
typedef int32_t MEMBERID;
typedef uint32_t HREFTYPE;
typedef int32_t APTTYPE;
typedef int32_t APTTYPEQUALIFIER;
typedef int32_t TYPEKIND;
typedef int32_t SYSKIND;
typedef int32_t FUNCKIND;
typedef int32_t INVOKEKIND;
typedef int32_t CALLCONV;
typedef int32_t REGKIND;

typedef struct _GUID {
    uint32_t Data1;
    uint16_t Data2;
    uint16_t Data3;
    uint8_t Data4[8];
} GUID;
typedef GUID IID;
typedef GUID CLSID;

typedef struct { int64_t QuadPart; } LARGE_INTEGER;
typedef struct { uint64_t QuadPart; } ULARGE_INTEGER;
typedef struct { DWORD dwLowDateTime; DWORD dwHighDateTime; } FILETIME;
typedef struct _SYSTEMTIME {
    WORD wYear; WORD wMonth; WORD wDayOfWeek; WORD wDay; WORD wHour; WORD wMinute; WORD wSecond; WORD wMilliseconds;
} SYSTEMTIME;
typedef struct { LONG x; LONG y; } POINT;
typedef struct tagMSG {
    HWND hwnd;
    UINT message;
    WPARAM wParam;
    LPARAM lParam;
    DWORD time;
    POINT pt;
    DWORD lPrivate;
} MSG;

typedef struct IUnknownVtbl {
    HRESULT (*QueryInterface)(void *This, const GUID *riid, void **ppvObject);
    ULONG (*AddRef)(void *This);
    ULONG (*Release)(void *This);
} IUnknownVtbl;
typedef struct IUnknown { IUnknownVtbl *lpVtbl; } IUnknown;

typedef struct _COAUTHIDENTITY {
    uint16_t *User; ULONG UserLength; uint16_t *Domain; ULONG DomainLength;
    uint16_t *Password; ULONG PasswordLength; ULONG Flags;
} COAUTHIDENTITY;
typedef struct _COAUTHINFO {
    DWORD dwAuthnSvc; DWORD dwAuthzSvc; LPWSTR pwszServerPrincName; DWORD dwAuthnLevel;
    DWORD dwImpersonationLevel; COAUTHIDENTITY *pAuthIdentityData; DWORD dwCapabilities;
} COAUTHINFO;
typedef struct _COSERVERINFO {
    DWORD dwReserved1; LPWSTR pwszName; COAUTHINFO *pAuthInfo; DWORD dwReserved2;
} COSERVERINFO;
typedef struct tagMULTI_QI { const IID *pIID; void *pItf; HRESULT hr; } MULTI_QI;

typedef struct tagCONNECTDATA { void *pUnk; DWORD dwCookie; } CONNECTDATA;

typedef struct tagComCallData { DWORD dwDispid; DWORD dwReserved; void *pUserDefined; } ComCallData;
typedef HRESULT (*PFNCONTEXTCALL)(ComCallData *pParam);

typedef int8_t CHAR;
typedef double DATE;
typedef union tagCY { LONGLONG int64; struct { ULONG Lo; LONG Hi; }; } CY;
typedef struct tagDEC {
    USHORT wReserved;
    union { struct { BYTE scale; BYTE sign; }; USHORT signscale; };
    ULONG Hi32;
    union { struct { ULONG Lo32; ULONG Mid32; }; ULONGLONG Lo64; };
} DECIMAL;
typedef struct tagSAFEARRAYBOUND { ULONG cElements; LONG lLbound; } SAFEARRAYBOUND;
typedef struct tagSAFEARRAY {
    USHORT cDims;
    USHORT fFeatures;
    ULONG cbElements;
    ULONG cLocks;
    void *pvData;
    SAFEARRAYBOUND rgsabound[1];
} SAFEARRAY;

/* A DECIMAL overlays the whole VARIANT: its wReserved is the VARIANT's vt. */
typedef struct tagVARIANT {
    union {
        struct {
            VARTYPE vt;
            WORD wReserved1;
            WORD wReserved2;
            WORD wReserved3;
            union {
                LONGLONG llVal;
                LONG lVal;
                BYTE bVal;
                SHORT iVal;
                float fltVal;
                double dblVal;
                VARIANT_BOOL boolVal;
                SCODE scode;
                CY cyVal;
                DATE date;
                BSTR bstrVal;
                void *punkVal;
                void *pdispVal;
                SAFEARRAY *parray;
                BYTE *pbVal;
                SHORT *piVal;
                LONG *plVal;
                LONGLONG *pllVal;
                float *pfltVal;
                double *pdblVal;
                VARIANT_BOOL *pboolVal;
                SCODE *pscode;
                CY *pcyVal;
                DATE *pdate;
                BSTR *pbstrVal;
                void **ppunkVal;
                void **ppdispVal;
                SAFEARRAY **pparray;
                struct tagVARIANT *pvarVal;
                void *byref;
                CHAR cVal;
                USHORT uiVal;
                ULONG ulVal;
                ULONGLONG ullVal;
                INT intVal;
                UINT uintVal;
                DECIMAL *pdecVal;
                CHAR *pcVal;
                USHORT *puiVal;
                ULONG *pulVal;
                ULONGLONG *pullVal;
                INT *pintVal;
                UINT *puintVal;
                struct { void *pvRecord; void *pRecInfo; } brecVal;
            };
        };
        DECIMAL decVal;
    };
} VARIANT;

typedef struct tagTYPEDESC {
    union {
        struct tagTYPEDESC *lptdesc;
        struct tagARRAYDESC *lpadesc;
        HREFTYPE hreftype;
    };
    VARTYPE vt;
} TYPEDESC;
typedef struct tagARRAYDESC { TYPEDESC tdescElem; USHORT cDims; SAFEARRAYBOUND rgbounds[1]; } ARRAYDESC;
typedef struct tagPARAMDESCEX { ULONG cBytes; VARIANT varDefaultValue; } PARAMDESCEX;
typedef struct tagPARAMDESC { PARAMDESCEX *pparamdescex; USHORT wParamFlags; } PARAMDESC;
typedef struct tagIDLDESC { ULONG_PTR dwReserved; USHORT wIDLFlags; } IDLDESC;
typedef struct tagELEMDESC {
    TYPEDESC tdesc;
    union { IDLDESC idldesc; PARAMDESC paramdesc; };
} ELEMDESC;
typedef struct tagFUNCDESC {
    MEMBERID memid; SCODE *lprgscode; ELEMDESC *lprgelemdescParam; FUNCKIND funckind; INVOKEKIND invkind;
    CALLCONV callconv; SHORT cParams; SHORT cParamsOpt; SHORT oVft; SHORT cScodes; ELEMDESC elemdescFunc;
    WORD wFuncFlags;
} FUNCDESC;
typedef int32_t VARKIND;
typedef struct tagVARDESC {
    MEMBERID memid; LPOLESTR lpstrSchema; union { ULONG oInst; VARIANT *lpvarValue; }; ELEMDESC elemdescVar;
    WORD wVarFlags; VARKIND varkind;
} VARDESC;
typedef struct tagTYPEATTR {
    GUID guid; LCID lcid; DWORD dwReserved; MEMBERID memidConstructor; MEMBERID memidDestructor;
    LPOLESTR lpstrSchema; ULONG cbSizeInstance; TYPEKIND typekind; WORD cFuncs; WORD cVars; WORD cImplTypes;
    WORD cbSizeVft; WORD cbAlignment; WORD wTypeFlags; WORD wMajorVerNum; WORD wMinorVerNum;
    TYPEDESC tdescAlias; IDLDESC idldescType;
} TYPEATTR;
typedef struct tagTLIBATTR {
    GUID guid; LCID lcid; SYSKIND syskind; WORD wMajorVerNum; WORD wMinorVerNum; WORD wLibFlags;
} TLIBATTR;
typedef struct tagDISPPARAMS { VARIANT *rgvarg; DISPID *rgdispidNamedArgs; UINT cArgs; UINT cNamedArgs; } DISPPARAMS;
typedef struct tagEXCEPINFO {
    WORD wCode; WORD wReserved; BSTR bstrSource; BSTR bstrDescription; BSTR bstrHelpFile; DWORD dwHelpContext;
    void *pvReserved; void *pfnDeferredFillIn; SCODE scode;
} EXCEPINFO;
typedef struct tagSTATSTG {
    LPOLESTR pwcsName; DWORD type; ULARGE_INTEGER cbSize; FILETIME mtime; FILETIME ctime; FILETIME atime;
    DWORD grfMode; DWORD grfLocksSupported; CLSID clsid; DWORD grfStateBits; DWORD reserved;
} STATSTG;
"""
