"""Rich error information: ISupportErrorInfo, IErrorInfo, ICreateErrorInfo."""

from ole32_bindings.guid import Guid

from ..declare import method
from .unknown import IUnknown

__all__ = ["ISupportErrorInfo", "IErrorInfo", "ICreateErrorInfo"]


class ISupportErrorInfo(IUnknown):
    """Whether the object sets IErrorInfo on failure, per interface (S_OK yes, S_FALSE no)."""

    iid = Guid("{DF0B3D60-548F-101B-8E65-08002B2BD119}")
    # S_OK: the interface sets IErrorInfo on failure; S_FALSE: it does not. The HRESULT is the answer.
    InterfaceSupportsErrorInfo = method("HRESULT InterfaceSupportsErrorInfo([in] REFIID riid)")


class IErrorInfo(IUnknown):
    """An error object: GUID, source, description, help file and context."""

    iid = Guid("{1CF2B120-547D-101B-8E65-08002B2BD119}")
    GetGUID = method("HRESULT GetGUID([out] GUID *pGUID)")
    GetSource = method("HRESULT GetSource([out] BSTR *pBstrSource)")
    GetDescription = method("HRESULT GetDescription([out] BSTR *pBstrDescription)")
    GetHelpFile = method("HRESULT GetHelpFile([out] BSTR *pBstrHelpFile)")
    GetHelpContext = method("HRESULT GetHelpContext([out] DWORD *pdwHelpContext)")


class ICreateErrorInfo(IUnknown):
    """Fills an error object (CreateErrorInfo); then SetErrorInfo puts it in the thread's slot."""

    iid = Guid("{22F03340-547D-101B-8E65-08002B2BD119}")
    SetGUID = method("HRESULT SetGUID([in] REFGUID rguid)")
    SetSource = method("HRESULT SetSource([in] LPOLESTR szSource)")
    SetDescription = method("HRESULT SetDescription([in] LPOLESTR szDescription)")
    SetHelpFile = method("HRESULT SetHelpFile([in] LPOLESTR szHelpFile)")
    SetHelpContext = method("HRESULT SetHelpContext([in] DWORD dwHelpContext)")
