"""Automation and type libraries: IDispatch, IEnumVARIANT, IProvideClassInfo, ITypeInfo, ITypeLib, ICreateTypeInfo,
ICreateTypeLib(2)."""

from ole32_bindings.guid import Guid

from ..declare import method
from .unknown import IUnknown

__all__ = [
    "IDispatch",
    "IEnumVARIANT",
    "IProvideClassInfo",
    "ITypeInfo",
    "ITypeLib",
    "ICreateTypeInfo",
    "ICreateTypeLib",
    "ICreateTypeLib2",
]


class IDispatch(IUnknown):
    """Late-bound calls (Automation): names to DISPIDs, Invoke."""

    iid = Guid("{00020400-0000-0000-C000-000000000046}")
    GetTypeInfoCount = method("HRESULT GetTypeInfoCount([out] UINT *pctinfo)")
    GetTypeInfo = method("HRESULT GetTypeInfo([in] UINT iTInfo, [in] LCID lcid, [out] ITypeInfo **ppTInfo)")
    GetIDsOfNames = method(
        "HRESULT GetIDsOfNames([in] REFIID riid, [in] LPOLESTR *rgszNames, [in] UINT cNames, "
        "[in] LCID lcid, [in] DISPID *rgDispId)"
    )
    Invoke = method(
        "HRESULT Invoke([in] DISPID dispIdMember, [in] REFIID riid, [in] LCID lcid, [in] WORD wFlags, "
        "[in] DISPPARAMS *pDispParams, [in] VARIANT *pVarResult, [in] EXCEPINFO *pExcepInfo, "
        "[in] UINT *puArgErr)"
    )


class IEnumVARIANT(IUnknown):
    """An enumerator of VARIANTs (what DISPID_NEWENUM returns, so ``For Each`` works). ``Next`` keeps its HRESULT
    (S_FALSE: fewer than ``celt`` were left) and returns ``(hr, fetched)``; the caller owns the ``rgVar`` array
    and clears the VARIANTs it received."""

    iid = Guid("{00020404-0000-0000-C000-000000000046}")
    Next = method("HRESULT Next([in] ULONG celt, [in] VARIANT *rgVar, [out] ULONG *pCeltFetched)", preserve_sig=True)
    Skip = method("HRESULT Skip([in] ULONG celt)")
    Reset = method("HRESULT Reset()")
    Clone = method("HRESULT Clone([out] IEnumVARIANT **ppEnum)")


class ITypeInfo(IUnknown):
    """The description of one type in a type library."""

    iid = Guid("{00020401-0000-0000-C000-000000000046}")
    GetTypeAttr = method("HRESULT GetTypeAttr([out] TYPEATTR **ppTypeAttr)")
    GetTypeComp = method("HRESULT GetTypeComp([out] IUnknown **ppTComp)")
    GetFuncDesc = method("HRESULT GetFuncDesc([in] UINT index, [out] FUNCDESC **ppFuncDesc)")
    GetVarDesc = method("HRESULT GetVarDesc([in] UINT index, [out] VARDESC **ppVarDesc)")
    GetNames = method(
        "HRESULT GetNames([in] MEMBERID memid, [in] BSTR *rgBstrNames, [in] UINT cMaxNames, [out] UINT *pcNames)"
    )
    GetRefTypeOfImplType = method("HRESULT GetRefTypeOfImplType([in] UINT index, [out] HREFTYPE *pRefType)")
    GetImplTypeFlags = method("HRESULT GetImplTypeFlags([in] UINT index, [out] INT *pImplTypeFlags)")
    GetIDsOfNames = method("HRESULT GetIDsOfNames([in] LPOLESTR *rgszNames, [in] UINT cNames, [in] MEMBERID *pMemId)")
    Invoke = method(
        "HRESULT Invoke([in] void *pvInstance, [in] MEMBERID memid, [in] WORD wFlags, "
        "[in] DISPPARAMS *pDispParams, [in] VARIANT *pVarResult, [in] EXCEPINFO *pExcepInfo, "
        "[in] UINT *puArgErr)"
    )
    GetDocumentation = method(
        "HRESULT GetDocumentation([in] MEMBERID memid, [out] BSTR *pBstrName, "
        "[out] BSTR *pBstrDocString, [out] DWORD *pdwHelpContext, [out] BSTR *pBstrHelpFile)"
    )
    GetDllEntry = method(
        "HRESULT GetDllEntry([in] MEMBERID memid, [in] INVOKEKIND invKind, [out] BSTR *pBstrDllName, "
        "[out] BSTR *pBstrName, [out] WORD *pwOrdinal)"
    )
    GetRefTypeInfo = method("HRESULT GetRefTypeInfo([in] HREFTYPE hRefType, [out] ITypeInfo **ppTInfo)")
    AddressOfMember = method("HRESULT AddressOfMember([in] MEMBERID memid, [in] INVOKEKIND invKind, [out] void **ppv)")
    CreateInstance = method(
        "HRESULT CreateInstance([in] IUnknown *pUnkOuter, [in] REFIID riid, [out, iid_is(riid)] void **ppvObj)"
    )
    GetMops = method("HRESULT GetMops([in] MEMBERID memid, [out] BSTR *pBstrMops)")
    GetContainingTypeLib = method("HRESULT GetContainingTypeLib([out] ITypeLib **ppTLib, [out] UINT *pIndex)")
    ReleaseTypeAttr = method("void ReleaseTypeAttr([in] TYPEATTR *pTypeAttr)")
    ReleaseFuncDesc = method("void ReleaseFuncDesc([in] FUNCDESC *pFuncDesc)")
    ReleaseVarDesc = method("void ReleaseVarDesc([in] VARDESC *pVarDesc)")


class IProvideClassInfo(IUnknown):
    """A coclass instance's type information (its TKIND_COCLASS ITypeInfo), for clients that enumerate its
    interfaces (event sinks, early binding from an instance)."""

    iid = Guid("{B196B283-BAB4-101A-B69C-00AA00341D07}")
    GetClassInfo = method("HRESULT GetClassInfo([out] ITypeInfo **ppTI)")


class ITypeLib(IUnknown):
    """A loaded type library: its type infos, attributes and documentation."""

    iid = Guid("{00020402-0000-0000-C000-000000000046}")
    GetTypeInfoCount = method("UINT GetTypeInfoCount()")
    GetTypeInfo = method("HRESULT GetTypeInfo([in] UINT index, [out] ITypeInfo **ppTInfo)")
    GetTypeInfoType = method("HRESULT GetTypeInfoType([in] UINT index, [out] TYPEKIND *pTKind)")
    GetTypeInfoOfGuid = method("HRESULT GetTypeInfoOfGuid([in] REFGUID guid, [out] ITypeInfo **ppTinfo)")
    GetLibAttr = method("HRESULT GetLibAttr([out] TLIBATTR **ppTLibAttr)")
    GetTypeComp = method("HRESULT GetTypeComp([out] IUnknown **ppTComp)")
    GetDocumentation = method(
        "HRESULT GetDocumentation([in] INT index, [out] BSTR *pBstrName, "
        "[out] BSTR *pBstrDocString, [out] DWORD *pdwHelpContext, [out] BSTR *pBstrHelpFile)"
    )
    IsName = method("HRESULT IsName([in] LPOLESTR szNameBuf, [in] ULONG lHashVal, [out] BOOL *pfName)")
    FindName = method(
        "HRESULT FindName([in] LPOLESTR szNameBuf, [in] ULONG lHashVal, [in] ITypeInfo **ppTInfo, "
        "[in] MEMBERID *rgMemId, [in] USHORT *pcFound)"
    )
    ReleaseTLibAttr = method("void ReleaseTLibAttr([in] TLIBATTR *pTLibAttr)")


class ICreateTypeInfo(IUnknown):
    """Builds the description of one type (from ICreateTypeLib.CreateTypeInfo)."""

    iid = Guid("{00020405-0000-0000-C000-000000000046}")
    SetGuid = method("HRESULT SetGuid([in] REFGUID guid)")
    SetTypeFlags = method("HRESULT SetTypeFlags([in] UINT uTypeFlags)")
    SetDocString = method("HRESULT SetDocString([in] LPOLESTR pStrDoc)")
    SetHelpContext = method("HRESULT SetHelpContext([in] DWORD dwHelpContext)")
    SetVersion = method("HRESULT SetVersion([in] WORD wMajorVerNum, [in] WORD wMinorVerNum)")
    AddRefTypeInfo = method("HRESULT AddRefTypeInfo([in] ITypeInfo *pTInfo, [out] HREFTYPE *phRefType)")
    AddFuncDesc = method("HRESULT AddFuncDesc([in] UINT index, [in] FUNCDESC *pFuncDesc)")
    AddImplType = method("HRESULT AddImplType([in] UINT index, [in] HREFTYPE hRefType)")
    SetImplTypeFlags = method("HRESULT SetImplTypeFlags([in] UINT index, [in] INT implTypeFlags)")
    SetAlignment = method("HRESULT SetAlignment([in] WORD cbAlignment)")
    SetSchema = method("HRESULT SetSchema([in] LPOLESTR pStrSchema)")
    AddVarDesc = method("HRESULT AddVarDesc([in] UINT index, [in] VARDESC *pVarDesc)")
    SetFuncAndParamNames = method(
        "HRESULT SetFuncAndParamNames([in] UINT index, [in] LPOLESTR *rgszNames, [in] UINT cNames)"
    )
    SetVarName = method("HRESULT SetVarName([in] UINT index, [in] LPOLESTR szName)")
    SetTypeDescAlias = method("HRESULT SetTypeDescAlias([in] TYPEDESC *pTDescAlias)")
    DefineFuncAsDllEntry = method(
        "HRESULT DefineFuncAsDllEntry([in] UINT index, [in] LPOLESTR szDllName, [in] LPOLESTR szProcName)"
    )
    SetFuncDocString = method("HRESULT SetFuncDocString([in] UINT index, [in] LPOLESTR szDocString)")
    SetVarDocString = method("HRESULT SetVarDocString([in] UINT index, [in] LPOLESTR szDocString)")
    SetFuncHelpContext = method("HRESULT SetFuncHelpContext([in] UINT index, [in] DWORD dwHelpContext)")
    SetVarHelpContext = method("HRESULT SetVarHelpContext([in] UINT index, [in] DWORD dwHelpContext)")
    SetMops = method("HRESULT SetMops([in] UINT index, [in] BSTR bstrMops)")
    SetTypeIdldesc = method("HRESULT SetTypeIdldesc([in] IDLDESC *pIdlDesc)")
    LayOut = method("HRESULT LayOut()")


class ICreateTypeLib(IUnknown):
    """Builds a type library (CreateTypeLib2); SaveAllChanges writes the file."""

    iid = Guid("{00020406-0000-0000-C000-000000000046}")
    CreateTypeInfo = method(
        "HRESULT CreateTypeInfo([in] LPOLESTR szName, [in] TYPEKIND tkind, [out] ICreateTypeInfo **ppCTInfo)"
    )
    SetName = method("HRESULT SetName([in] LPOLESTR szName)")
    SetVersion = method("HRESULT SetVersion([in] WORD wMajorVerNum, [in] WORD wMinorVerNum)")
    SetGuid = method("HRESULT SetGuid([in] REFGUID guid)")
    SetDocString = method("HRESULT SetDocString([in] LPOLESTR szDoc)")
    SetHelpFileName = method("HRESULT SetHelpFileName([in] LPOLESTR szHelpFileName)")
    SetHelpContext = method("HRESULT SetHelpContext([in] DWORD dwHelpContext)")
    SetLcid = method("HRESULT SetLcid([in] LCID lcid)")
    SetLibFlags = method("HRESULT SetLibFlags([in] UINT uLibFlags)")
    SaveAllChanges = method("HRESULT SaveAllChanges()")


class ICreateTypeLib2(ICreateTypeLib):
    """ICreateTypeLib plus custom data, help strings and DeleteTypeInfo."""

    iid = Guid("{0002040F-0000-0000-C000-000000000046}")
    DeleteTypeInfo = method("HRESULT DeleteTypeInfo([in] LPOLESTR szName)")
    SetCustData = method("HRESULT SetCustData([in] REFGUID guid, [in] VARIANT *pVarVal)")
    SetHelpStringContext = method("HRESULT SetHelpStringContext([in] ULONG dwHelpStringContext)")
    SetHelpStringDll = method("HRESULT SetHelpStringDll([in] LPOLESTR szFileName)")
