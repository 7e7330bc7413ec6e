"""Name tables for the numbers found in an OBJREF (pure data, no decoding).

Sources: [MS-DCOM] 1.9 and 2.2.18/2.2.19, [MS-RPCE] 2.2.1.1.7, the Windows SDK ``obase.h``/``rpcdce.h`` constant
values, and Wine's ``combase``/``ole32`` sources for the CLSIDs. Everything here is a lookup table plus tiny
helpers that turn numbers into names.
"""

from __future__ import annotations

from ..guid import Guid
from .codec import CLSID_InProcFreeMarshaler, CLSID_PyMarshalByValue, CLSID_StdMarshal

__all__ = [
    "SORF_FLAGS",
    "SORF_NOPING",
    "TOWER_IDS",
    "AUTHN_SERVICES",
    "COM_C_AUTHZ_NONE",
    "KNOWN_CLSIDS",
    "KNOWN_IIDS",
    "tower_name",
    "tower_id_from_name",
    "authn_name",
    "authn_help",
    "authn_id_from_name",
    "sorf_flag_names",
    "clsid_info",
    "iid_name",
]

SORF_NOPING = 0x1000
"""STDOBJREF.flags: the object is not pinged (its references take no part in distributed garbage collection)."""
SORF_FLAGS: dict[str, int] = {
    "SORF_OXRES1": 0x0001,
    "SORF_OXRES2": 0x0020,
    "SORF_OXRES3": 0x0040,
    "SORF_OXRES4": 0x0080,
    "SORF_OXRES5": 0x0100,
    "SORF_OXRES6": 0x0200,
    "SORF_OXRES7": 0x0400,
    "SORF_OXRES8": 0x0800,
    "SORF_NOPING": SORF_NOPING,
}
"""STDOBJREF.flags bits by name (obase.h). SORF_OXRES1..8 are reserved for the object exporter: importers ignore
them."""

TOWER_IDS: dict[int, str] = {
    0x04: "ncacn_dnet_nsp",
    0x07: "ncacn_ip_tcp",
    0x08: "ncadg_ip_udp",
    0x09: "ncacn_nb_tcp",
    0x0C: "ncacn_spx",
    0x0D: "ncacn_nb_ipx",
    0x0E: "ncadg_ipx",
    0x0F: "ncacn_np",
    0x10: "ncalrpc",
    0x12: "ncacn_nb_nb",
    0x16: "ncacn_at_dsp",
    0x17: "ncadg_at_ddp",
    0x1A: "ncacn_vns_spp",
    0x1D: "ncadg_mq",
    0x1F: "ncacn_http",
    0x21: "ncacn_hvsocket",
}
"""STRINGBINDING.wTowerId -> RPC protocol sequence ([C706] appendix I as used by DCOM string bindings)."""
_TOWER_BY_NAME = {v: k for k, v in TOWER_IDS.items()}

AUTHN_SERVICES: dict[int, str] = {
    0: "RPC_C_AUTHN_NONE",
    1: "RPC_C_AUTHN_DCE_PRIVATE",
    2: "RPC_C_AUTHN_DCE_PUBLIC",
    4: "RPC_C_AUTHN_DEC_PUBLIC",
    9: "RPC_C_AUTHN_GSS_NEGOTIATE",
    10: "RPC_C_AUTHN_WINNT",
    14: "RPC_C_AUTHN_GSS_SCHANNEL",
    16: "RPC_C_AUTHN_GSS_KERBEROS",
    17: "RPC_C_AUTHN_DPA",
    18: "RPC_C_AUTHN_MSN",
    20: "RPC_C_AUTHN_KERNEL",
    21: "RPC_C_AUTHN_DIGEST",
    30: "RPC_C_AUTHN_NEGO_EXTENDER",
    31: "RPC_C_AUTHN_PKU2U",
    68: "RPC_C_AUTHN_NETLOGON",
    100: "RPC_C_AUTHN_MQ",
    0xFFFF: "RPC_C_AUTHN_DEFAULT",
}
"""SECURITYBINDING.wAuthnSvc -> RPC_C_AUTHN_* name (rpcdce.h; [MS-RPCE] 2.2.1.1.7). RPC_C_AUTHN_DEFAULT is
0xFFFFFFFF, which the 16-bit field holds as 0xFFFF."""
_AUTHN_BY_NAME = {v: k for k, v in AUTHN_SERVICES.items()}
_AUTHN_HELP: dict[int, str] = {
    9: "SPNEGO: negotiates Kerberos or NTLM",
    10: "NTLM",
    14: "TLS/SSL",
    16: "Kerberos",
    68: "Netlogon secure channel",
}

COM_C_AUTHZ_NONE = 0xFFFF
"""SECURITYBINDING's second word: "Reserved", MUST be 0xFFFF when sent."""


def _ole(n: int) -> Guid:
    """The GUID ``{nnnnnnnn-0000-0000-C000-000000000046}`` (DEFINE_OLEGUID)."""
    return Guid(f"{{{n:08X}-0000-0000-C000-000000000046}}")


KNOWN_CLSIDS: dict[Guid, tuple[str, str]] = {
    CLSID_StdMarshal: (
        "CLSID_StdMarshal",
        "standard marshaler (proxy/stub); it normally writes OBJREF_STANDARD, not OBJREF_CUSTOM",
    ),
    CLSID_InProcFreeMarshaler: (
        "CLSID_InProcFreeMarshaler",
        "free-threaded marshaler: the data is a raw in-process pointer (only meaningful inside the same process)",
    ),
    _ole(0x33B): (
        "CLSID_ContextMarshaler",
        "COM+ context marshaler: the data is a marshaled context ([MS-DCOM] 2.2.20)",
    ),
    _ole(0x31B): ("CLSID_ErrorObject", "error object: the data is marshaled IErrorInfo text ([MS-DCOM] 2.2.21.2)"),
    _ole(0x303): ("CLSID_FileMoniker", "file moniker marshaled by value"),
    _ole(0x304): ("CLSID_ItemMoniker", "item moniker marshaled by value"),
    _ole(0x305): ("CLSID_AntiMoniker", "anti moniker marshaled by value"),
    _ole(0x306): ("CLSID_PointerMoniker", "pointer moniker (wraps a marshaled interface pointer)"),
    _ole(0x309): ("CLSID_CompositeMoniker", "composite moniker marshaled by value"),
    _ole(0x31A): ("CLSID_ClassMoniker", "class moniker marshaled by value"),
    _ole(0x327): ("CLSID_ObjrefMoniker", "OBJREF moniker (wraps a marshaled interface pointer)"),
    _ole(0x338): ("CLSID_ActivationPropertiesIn", "DCOM activation request properties ([MS-DCOM] 2.2.22)"),
    _ole(0x339): ("CLSID_ActivationPropertiesOut", "DCOM activation reply properties ([MS-DCOM] 2.2.22)"),
    CLSID_PyMarshalByValue: (
        "CLSID_PyMarshalByValue",
        "ole32-bindings marshal-by-value class: the data is this project's by-value payload",
    ),
}
"""OBJREF_CUSTOM.clsid / OBJREF_HANDLER.clsid (who unmarshals the data) -> (name, what it does)."""

KNOWN_IIDS: dict[Guid, str] = {
    _ole(0x00): "IUnknown",
    _ole(0x01): "IClassFactory",
    _ole(0x02): "IMalloc",
    _ole(0x03): "IMarshal",
    _ole(0x0A): "ILockBytes",
    _ole(0x0B): "IStorage",
    _ole(0x0C): "IStream",
    _ole(0x0E): "IBindCtx",
    _ole(0x0F): "IMoniker",
    _ole(0x10): "IRunningObjectTable",
    _ole(0x18): "IStdMarshalInfo",
    _ole(0x19): "IExternalConnection",
    _ole(0x20): "IMultiQI",
    _ole(0x100): "IEnumUnknown",
    _ole(0x109): "IPersistStream",
    _ole(0x10A): "IPersistStorage",
    _ole(0x10B): "IPersistFile",
    _ole(0x10C): "IPersist",
    _ole(0x10E): "IDataObject",
    _ole(0x112): "IOleObject",
    _ole(0x131): "IRemUnknown",
    _ole(0x143): "IRemUnknown2",
    _ole(0x1C0): "IContext",
    _ole(0x1CF): "IMarshal2",
    _ole(0x20400): "IDispatch",
    _ole(0x20401): "ITypeInfo",
    _ole(0x20402): "ITypeLib",
    Guid("{1CF2B120-547D-101B-8E65-08002B2BD119}"): "IErrorInfo",
    Guid("{DF0B3D60-548F-101B-8E65-08002B2BD119}"): "ISupportErrorInfo",
    Guid("{94EA2B94-E9CC-49E0-C0FF-EE64CA8F5B90}"): "IAgileObject",
}
"""IID -> interface name: a small table, enough to make explanations readable."""


def tower_name(tower_id: int) -> str | None:
    """``ncacn_ip_tcp`` for 0x07, None when unknown."""
    return TOWER_IDS.get(tower_id)


def tower_id_from_name(name: str) -> int:
    """0x07 for ``ncacn_ip_tcp`` (case-insensitive); KeyError when unknown."""
    return _TOWER_BY_NAME[name.lower()]


def authn_name(authn_svc: int) -> str | None:
    """``RPC_C_AUTHN_WINNT`` for 10, None when unknown."""
    return AUTHN_SERVICES.get(authn_svc)


def authn_help(authn_svc: int) -> str | None:
    """A few words on what the security provider is (None when there is nothing useful to say)."""
    return _AUTHN_HELP.get(authn_svc)


def authn_id_from_name(name: str) -> int:
    """10 for ``RPC_C_AUTHN_WINNT`` or ``WINNT`` (case-insensitive); KeyError when unknown."""
    key = name.upper()
    if not key.startswith("RPC_C_AUTHN_"):
        key = "RPC_C_AUTHN_" + key
    return _AUTHN_BY_NAME[key]


def sorf_flag_names(flags: int) -> list[str]:
    """The SORF_* names set in ``flags``, plus ``0x...`` for bits with no name (empty list for SORF_NULL)."""
    names = [name for name, bit in SORF_FLAGS.items() if flags & bit]
    rest = flags & ~sum(SORF_FLAGS.values())
    if rest:
        names.append(f"0x{rest:X}")
    return names


def clsid_info(clsid: Guid) -> tuple[str, str] | None:
    """(name, description) of a known unmarshaler/handler CLSID, or None."""
    return KNOWN_CLSIDS.get(clsid)


def iid_name(iid: Guid) -> str | None:
    """``IPersist`` for its IID, None when not in the small table."""
    return KNOWN_IIDS.get(iid)
