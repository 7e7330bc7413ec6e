"""Well-known IIDs and CLSIDs (values as in the SDK headers; ``tests/ole32_bindings/test_wellknown.py`` checks
every ``IID_`` here against mingw-w64's headers)."""

from __future__ import annotations

from .guid import Guid


def _ole(n: int) -> Guid:
    """The {xxxxxxxx-0000-0000-C000-000000000046} family of OLE's own GUIDs."""
    return Guid(f"{{{n:08X}-0000-0000-C000-000000000046}}")


IID_IUnknown = _ole(0x00000000)
IID_IClassFactory = _ole(0x00000001)
IID_IMalloc = _ole(0x00000002)
IID_IMarshal = _ole(0x00000003)
IID_IStream = _ole(0x0000000C)
IID_IMessageFilter = _ole(0x00000016)
IID_IStdMarshalInfo = _ole(0x00000018)
IID_IExternalConnection = _ole(0x00000019)
IID_IMultiQI = _ole(0x00000020)
IID_IEnumUnknown = _ole(0x00000100)
IID_IPersist = _ole(0x0000010C)
IID_IClientSecurity = _ole(0x0000013D)
IID_IServerSecurity = _ole(0x0000013E)
IID_IGlobalInterfaceTable = _ole(0x00000146)
IID_IObjContext = _ole(0x000001C6)
IID_IComThreadingInfo = _ole(0x000001CE)
IID_IMarshal2 = _ole(0x000001CF)
IID_IContextCallback = _ole(0x000001DA)
IID_IDispatch = _ole(0x00020400)
IID_ITypeInfo = _ole(0x00020401)
IID_ITypeLib = _ole(0x00020402)
IID_ITypeComp = _ole(0x00020403)
IID_ICreateTypeInfo = _ole(0x00020405)
IID_ICreateTypeLib = _ole(0x00020406)
IID_ICreateTypeInfo2 = _ole(0x0002040E)
IID_ICreateTypeLib2 = _ole(0x0002040F)
IID_ISequentialStream = Guid("{0C733A30-2A1C-11CE-ADE5-00AA0044773D}")
IID_IErrorInfo = Guid("{1CF2B120-547D-101B-8E65-08002B2BD119}")
IID_ICreateErrorInfo = Guid("{22F03340-547D-101B-8E65-08002B2BD119}")
IID_ISupportErrorInfo = Guid("{DF0B3D60-548F-101B-8E65-08002B2BD119}")
IID_IAgileObject = Guid("{94EA2B94-E9CC-49E0-C0FF-EE64CA8F5B90}")
IID_INoMarshal = Guid("{ECC8691B-C1DB-4DC0-855E-65F6C551AF49}")
IID_IPSFactoryBuffer = Guid("{D5F569D0-593B-101A-B569-08002B2DBF7A}")
IID_IRpcProxyBuffer = Guid("{D5F56A34-593B-101A-B569-08002B2DBF7A}")
IID_IRpcStubBuffer = Guid("{D5F56AFC-593B-101A-B569-08002B2DBF7A}")

CLSID_StdMarshal = _ole(0x00000017)
CLSID_StdGlobalInterfaceTable = _ole(0x00000323)
CLSID_InProcFreeMarshaler = _ole(0x0000033A)
CLSID_PSOAInterface = _ole(0x00020424)  # the typelib ("oleautomation") marshaler's proxy/stub class
CLSID_PSDispatch = _ole(0x00020420)

__all__ = [name for name in dir() if name.startswith(("IID_", "CLSID_"))]
