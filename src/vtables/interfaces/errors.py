from ..declare import method
from .unknown import IUnknown


class ISupportErrorInfo(IUnknown):
    iid = "{DF0B3D60-548F-101B-8E65-08002B2BD119}"
    # S_OK: the interface sets IErrorInfo on failure; S_FALSE: it does not. The HRESULT is the answer.
    InterfaceSupportsErrorInfo = method("HRESULT InterfaceSupportsErrorInfo([in] REFIID riid)")


class IErrorInfo(IUnknown):
    iid = "{1CF2B120-547D-101B-8E65-08002B2BD119}"
    GetGUID = method("HRESULT GetGUID([out] GUID *pGUID)")
    GetSource = method("HRESULT GetSource([out] BSTR *pBstrSource)")
    GetDescription = method("HRESULT GetDescription([out] BSTR *pBstrDescription)")
    GetHelpFile = method("HRESULT GetHelpFile([out] BSTR *pBstrHelpFile)")
    GetHelpContext = method("HRESULT GetHelpContext([out] DWORD *pdwHelpContext)")


class ICreateErrorInfo(IUnknown):
    iid = "{22F03340-547D-101B-8E65-08002B2BD119}"
    SetGUID = method("HRESULT SetGUID([in] REFGUID rguid)")
    SetSource = method("HRESULT SetSource([in] LPOLESTR szSource)")
    SetDescription = method("HRESULT SetDescription([in] LPOLESTR szDescription)")
    SetHelpFile = method("HRESULT SetHelpFile([in] LPOLESTR szHelpFile)")
    SetHelpContext = method("HRESULT SetHelpContext([in] DWORD dwHelpContext)")
