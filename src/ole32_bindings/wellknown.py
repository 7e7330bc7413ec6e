"""Well-known IIDs and CLSIDs (values as in the SDK headers; ``tests/ole32_bindings/test_wellknown.py`` checks
every ``IID_`` here against mingw-w64's headers)."""

from __future__ import annotations

from .guid import Guid

__all__ = [
    "IID_IUnknown",
    "IID_IClassFactory",
    "IID_IMalloc",
    "IID_IMarshal",
    "IID_IStream",
    "IID_IMessageFilter",
    "IID_IStdMarshalInfo",
    "IID_IExternalConnection",
    "IID_IMultiQI",
    "IID_IEnumUnknown",
    "IID_IPersist",
    "IID_IClientSecurity",
    "IID_IServerSecurity",
    "IID_IGlobalInterfaceTable",
    "IID_IObjContext",
    "IID_IComThreadingInfo",
    "IID_IMarshal2",
    "IID_IContextCallback",
    "IID_IDispatch",
    "IID_ITypeInfo",
    "IID_ITypeLib",
    "IID_ITypeComp",
    "IID_ICreateTypeInfo",
    "IID_ICreateTypeLib",
    "IID_ICreateTypeInfo2",
    "IID_ICreateTypeLib2",
    "IID_ISequentialStream",
    "IID_IErrorInfo",
    "IID_ICreateErrorInfo",
    "IID_ISupportErrorInfo",
    "IID_IAgileObject",
    "IID_INoMarshal",
    "IID_IPSFactoryBuffer",
    "IID_IRpcProxyBuffer",
    "IID_IRpcStubBuffer",
    "CLSID_StdMarshal",
    "CLSID_StdGlobalInterfaceTable",
    "CLSID_InProcFreeMarshaler",
    "CLSID_PSOAInterface",
    "CLSID_PSDispatch",
]


def _ole(n: int) -> Guid:
    """The {xxxxxxxx-0000-0000-C000-000000000046} family of OLE's own GUIDs."""
    return Guid(f"{{{n:08X}-0000-0000-C000-000000000046}}")


IID_IUnknown = _ole(0x00000000)
"""IUnknown: QueryInterface, AddRef, Release; the base of every interface."""
IID_IClassFactory = _ole(0x00000001)
"""IClassFactory: a class object, which creates instances of its class."""
IID_IMalloc = _ole(0x00000002)
"""IMalloc: the task allocator (CoGetMalloc)."""
IID_IMarshal = _ole(0x00000003)
"""IMarshal: custom marshaling."""
IID_IStream = _ole(0x0000000C)
"""IStream: a seekable byte stream."""
IID_IMessageFilter = _ole(0x00000016)
"""IMessageFilter: an STA's filter for incoming calls and rejected outgoing ones."""
IID_IStdMarshalInfo = _ole(0x00000018)
"""IStdMarshalInfo: names the handler class for standard marshaling (OBJREF_HANDLER)."""
IID_IExternalConnection = _ole(0x00000019)
"""IExternalConnection: told of strong external connections by the stub manager."""
IID_IMultiQI = _ole(0x00000020)
"""IMultiQI: several QueryInterfaces in one round trip (proxies answer it)."""
IID_IEnumUnknown = _ole(0x00000100)
"""IEnumUnknown: an enumerator of IUnknown pointers."""
IID_IPersist = _ole(0x0000010C)
"""IPersist: GetClassID."""
IID_IClientSecurity = _ole(0x0000013D)
"""IClientSecurity: a proxy's security blanket (CoSetProxyBlanket calls it)."""
IID_IServerSecurity = _ole(0x0000013E)
"""IServerSecurity: the served call's view of its caller (CoQueryClientBlanket calls it)."""
IID_IGlobalInterfaceTable = _ole(0x00000146)
"""IGlobalInterfaceTable: the process's Global Interface Table."""
IID_IObjContext = _ole(0x000001C6)
"""IObjContext: an interface of the context object (CoGetObjectContext)."""
IID_IComThreadingInfo = _ole(0x000001CE)
"""IComThreadingInfo: the current context's apartment type, thread type, logical thread id."""
IID_IMarshal2 = _ole(0x000001CF)
"""IMarshal2: IMarshal's methods under a second IID (objidl.h)."""
IID_IContextCallback = _ole(0x000001DA)
"""IContextCallback: run a callback in a given context."""
IID_IDispatch = _ole(0x00020400)
"""IDispatch: late-bound calls (Automation)."""
IID_ITypeInfo = _ole(0x00020401)
"""ITypeInfo: the description of one type in a type library."""
IID_ITypeLib = _ole(0x00020402)
"""ITypeLib: a loaded type library."""
IID_ITypeComp = _ole(0x00020403)
"""ITypeComp: binds names to the members of a type library (for compilers)."""
IID_ICreateTypeInfo = _ole(0x00020405)
"""ICreateTypeInfo: builds the description of one type."""
IID_ICreateTypeLib = _ole(0x00020406)
"""ICreateTypeLib: builds a type library."""
IID_ICreateTypeInfo2 = _ole(0x0002040E)
"""ICreateTypeInfo2: ICreateTypeInfo plus custom data and deletions."""
IID_ICreateTypeLib2 = _ole(0x0002040F)
"""ICreateTypeLib2: ICreateTypeLib plus custom data, help strings and DeleteTypeInfo."""
IID_ISequentialStream = Guid("{0C733A30-2A1C-11CE-ADE5-00AA0044773D}")
"""ISequentialStream: Read and Write (the base of IStream)."""
IID_IErrorInfo = Guid("{1CF2B120-547D-101B-8E65-08002B2BD119}")
"""IErrorInfo: an error object (GetErrorInfo)."""
IID_ICreateErrorInfo = Guid("{22F03340-547D-101B-8E65-08002B2BD119}")
"""ICreateErrorInfo: fills an error object (CreateErrorInfo)."""
IID_ISupportErrorInfo = Guid("{DF0B3D60-548F-101B-8E65-08002B2BD119}")
"""ISupportErrorInfo: whether an interface sets IErrorInfo on failure."""
IID_IAgileObject = Guid("{94EA2B94-E9CC-49E0-C0FF-EE64CA8F5B90}")
"""IAgileObject: marks an object as agile (usable from any apartment without marshaling)."""
IID_INoMarshal = Guid("{ECC8691B-C1DB-4DC0-855E-65F6C551AF49}")
"""INoMarshal: marks an object that must not be marshaled."""
IID_IPSFactoryBuffer = Guid("{D5F569D0-593B-101A-B569-08002B2DBF7A}")
"""IPSFactoryBuffer: a proxy/stub class's factory of interface proxies and stubs."""
IID_IRpcProxyBuffer = Guid("{D5F56A34-593B-101A-B569-08002B2DBF7A}")
"""IRpcProxyBuffer: the proxy manager's control interface on an interface proxy."""
IID_IRpcStubBuffer = Guid("{D5F56AFC-593B-101A-B569-08002B2DBF7A}")
"""IRpcStubBuffer: an interface stub, which the channel invokes."""

CLSID_StdMarshal = _ole(0x00000017)
"""The standard marshaler (proxy/stub; CoGetStandardMarshal)."""
CLSID_StdGlobalInterfaceTable = _ole(0x00000323)
"""The Global Interface Table (one per process)."""
CLSID_InProcFreeMarshaler = _ole(0x0000033A)
"""The free-threaded marshaler (CoCreateFreeThreadedMarshaler)."""
CLSID_PSOAInterface = _ole(0x00020424)
"""The typelib ("oleautomation") marshaler's proxy/stub class."""
CLSID_PSDispatch = _ole(0x00020420)
"""The proxy/stub class of IDispatch and dispinterfaces."""
