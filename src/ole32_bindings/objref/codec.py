"""OBJREF wire format ([MS-DCOM] 2.2.18): frozen dataclasses, ``decode`` and ``encode``.

All integers are little-endian. The layout, by ``flags``::

    OBJREF header   signature u32 (0x574F454D, "MEOW") | flags u32 | iid GUID
    STANDARD (1)    STDOBJREF | DUALSTRINGARRAY
    HANDLER  (2)    STDOBJREF | clsid GUID | DUALSTRINGARRAY
    CUSTOM   (4)    clsid GUID | cbExtension u32 | size u32 | pObjectData (the rest)
    EXTENDED (8)    STDOBJREF | Signature1 u32 | DUALSTRINGARRAY | nElms u32 (=1) | Signature2 u32 | DATAELEMENT
    STDOBJREF       flags u32 | cPublicRefs u32 | oxid u64 | oid u64 | ipid GUID          (40 bytes)
    DUALSTRINGARRAY wNumEntries u16 | wSecurityOffset u16 | aStringArray u16[wNumEntries]
    DATAELEMENT     dataID GUID | cbSize u32 | cbRounded u32 | Data[cbRounded]

The codec is exact: for every input ``decode`` accepts, ``encode(decode(b)) == b`` (trailing bytes, unusual
DUALSTRINGARRAY layouts and short custom data are kept in the structures), and for every structure
``decode(encode(x)) == x``. Malformed input raises only :class:`ObjrefError`, and no length field is ever
used to allocate: every read is checked against the bytes actually present.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import ClassVar

from ..guid import Guid

__all__ = [
    "ObjrefError",
    "OBJREF_SIGNATURE",
    "OBJREF_STANDARD",
    "OBJREF_HANDLER",
    "OBJREF_CUSTOM",
    "OBJREF_EXTENDED",
    "EXTENDED_SIGNATURE",
    "CLSID_StdMarshal",
    "CLSID_InProcFreeMarshaler",
    "CLSID_PyMarshalByValue",
    "StdObjref",
    "StringBinding",
    "SecurityBinding",
    "DualStringArray",
    "EMPTY_DUALSTRINGARRAY",
    "DataElement",
    "ObjrefStandard",
    "ObjrefHandler",
    "ObjrefCustom",
    "ObjrefExtended",
    "Objref",
    "InterfacePointer",
    "decode",
    "decode_interface_pointer",
    "decode_any",
    "encode",
]

OBJREF_SIGNATURE = 0x574F454D  # b"MEOW"
"""An OBJREF's first field: the bytes ``MEOW`` read as a little-endian u32."""
OBJREF_STANDARD = 0x1
"""``flags`` of an OBJREF_STANDARD (:class:`ObjrefStandard`)."""
OBJREF_HANDLER = 0x2
"""``flags`` of an OBJREF_HANDLER (:class:`ObjrefHandler`)."""
OBJREF_CUSTOM = 0x4
"""``flags`` of an OBJREF_CUSTOM (:class:`ObjrefCustom`)."""
OBJREF_EXTENDED = 0x8
"""``flags`` of an OBJREF_EXTENDED (:class:`ObjrefExtended`)."""
EXTENDED_SIGNATURE = 0x4E535956  # b"VYSN"
"""OBJREF_EXTENDED's Signature1 and Signature2: the bytes ``VYSN`` read as a little-endian u32."""

CLSID_StdMarshal = Guid("{00000017-0000-0000-C000-000000000046}")
"""The standard marshaler (proxy/stub): it writes OBJREF_STANDARD."""
CLSID_InProcFreeMarshaler = Guid("{0000033A-0000-0000-C000-000000000046}")
"""The free-threaded marshaler (FTM): its OBJREF_CUSTOM data is a raw in-process pointer."""
CLSID_PyMarshalByValue = Guid("{8C1A2B6E-5D4F-4E3A-9B7C-1F2E3D4C5B6A}")
"""The unmarshaler CLSID of this project's marshal-by-value objects (an OBJREF_CUSTOM's ``clsid``)."""

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_STD = struct.Struct("<IIQQ16s")
_U16_MAX = 0xFFFF
_U32_MAX = 0xFFFFFFFF
_U64_MAX = 0xFFFFFFFFFFFFFFFF


class ObjrefError(ValueError):
    """Malformed OBJREF bytes (or text). ``offset`` is the byte offset in the input, ``field`` the field name."""

    def __init__(self, message: str, *, offset: int, field: str) -> None:
        super().__init__(f"{field} at offset {offset}: {message}")
        self.offset = offset
        self.field = field
        self.reason = message


# ---------------------------------------------------------------------------------------------------- structures


def _check_int(name: str, value: object, maximum: int, minimum: int = 0) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= maximum:
        raise ValueError(f"{name} must be an int in [{minimum}, {maximum:#x}], got {value!r}")


def _check_guid(name: str, value: object) -> None:
    if not isinstance(value, Guid):
        raise TypeError(f"{name} must be a Guid, got {type(value).__name__}")


def _check_bytes(name: str, value: object) -> None:
    if not isinstance(value, bytes):
        raise TypeError(f"{name} must be bytes, got {type(value).__name__}")


@dataclass(frozen=True)
class StdObjref:
    """STDOBJREF ([MS-DCOM] 2.2.18.2): which object exporter, object and interface, and how many references."""

    flags: int
    public_refs: int
    oxid: int
    oid: int
    ipid: Guid

    SIZE: ClassVar[int] = 40

    def __post_init__(self) -> None:
        _check_int("StdObjref.flags", self.flags, _U32_MAX)
        _check_int("StdObjref.public_refs", self.public_refs, _U32_MAX)
        _check_int("StdObjref.oxid", self.oxid, _U64_MAX)
        _check_int("StdObjref.oid", self.oid, _U64_MAX)
        _check_guid("StdObjref.ipid", self.ipid)


def _utf16_ok(name: str, text: object) -> None:
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str, got {type(text).__name__}")
    if "\x00" in text:
        raise ValueError(f"{name} must not contain NUL (it is a null-terminated string on the wire)")


@dataclass(frozen=True)
class StringBinding:
    """STRINGBINDING ([MS-DCOM] 2.2.19.3): an RPC protocol (``tower_id``) and a network address."""

    tower_id: int
    network_addr: str

    def __post_init__(self) -> None:
        _check_int("StringBinding.tower_id", self.tower_id, _U16_MAX, 1)
        _utf16_ok("StringBinding.network_addr", self.network_addr)


@dataclass(frozen=True)
class SecurityBinding:
    """SECURITYBINDING ([MS-DCOM] 2.2.19.4): an RPC security provider and a principal name (SPN)."""

    authn_svc: int
    authz_svc: int = 0xFFFF
    principal_name: str = ""

    def __post_init__(self) -> None:
        _check_int("SecurityBinding.authn_svc", self.authn_svc, _U16_MAX, 1)
        _check_int("SecurityBinding.authz_svc", self.authz_svc, _U16_MAX)
        _utf16_ok("SecurityBinding.principal_name", self.principal_name)


def _str16(text: str) -> bytes:
    return text.encode("utf-16-le", "surrogatepass") + b"\x00\x00"


def _canonical_entries(
    string_bindings: tuple[StringBinding, ...], security_bindings: tuple[SecurityBinding, ...]
) -> tuple[bytes, int]:
    """The aStringArray bytes and wSecurityOffset this codec writes for the bindings.

    Each list ends with a 0 word; an empty list is written as one empty entry (a 0 word) plus the terminator,
    so no bindings at all gives the spec's smallest array: four 0 words with wSecurityOffset 2.
    """
    parts: list[bytes] = []
    for sb in string_bindings:
        parts.append(_U16.pack(sb.tower_id))
        parts.append(_str16(sb.network_addr))
    if not string_bindings:
        parts.append(b"\x00\x00")
    parts.append(b"\x00\x00")
    strings = b"".join(parts)
    parts = []
    for sec in security_bindings:
        parts.append(_U16.pack(sec.authn_svc))
        parts.append(_U16.pack(sec.authz_svc))
        parts.append(_str16(sec.principal_name))
    if not security_bindings:
        parts.append(b"\x00\x00")
    parts.append(b"\x00\x00")
    return strings + b"".join(parts), len(strings) // 2


@dataclass(frozen=True)
class DualStringArray:
    """DUALSTRINGARRAY ([MS-DCOM] 2.2.19): string bindings then security bindings, as one u16 array.

    Build one from the bindings alone; the codec then writes its canonical layout. ``raw_entries`` (the exact
    aStringArray bytes) and ``security_offset`` (wSecurityOffset) are set together only when the wire layout
    differs from the canonical one (e.g. Wine's empty array, ``wNumEntries = wSecurityOffset = 0``, or padding),
    so that re-encoding reproduces the bytes; they must then describe the same bindings. A canonical
    ``raw_entries`` is normalised back to None, which keeps ``decode(encode(x)) == x``.
    """

    string_bindings: tuple[StringBinding, ...] = ()
    security_bindings: tuple[SecurityBinding, ...] = ()
    security_offset: int | None = None
    raw_entries: bytes | None = None

    def __post_init__(self) -> None:
        for name in ("string_bindings", "security_bindings"):
            value = getattr(self, name)
            if isinstance(value, list):
                value = tuple(value)
                object.__setattr__(self, name, value)
            if not isinstance(value, tuple):
                raise TypeError(f"DualStringArray.{name} must be a tuple, got {type(value).__name__}")
        if not all(isinstance(b, StringBinding) for b in self.string_bindings):
            raise TypeError("DualStringArray.string_bindings must hold StringBinding values")
        if not all(isinstance(b, SecurityBinding) for b in self.security_bindings):
            raise TypeError("DualStringArray.security_bindings must hold SecurityBinding values")
        if (self.raw_entries is None) != (self.security_offset is None):
            raise ValueError("DualStringArray: give raw_entries and security_offset together, or neither")
        if self.raw_entries is None:
            entries, _ = _canonical_entries(self.string_bindings, self.security_bindings)
            if len(entries) // 2 > _U16_MAX:
                raise ValueError("DualStringArray: the bindings need more than 65535 u16 entries")
            return
        _check_bytes("DualStringArray.raw_entries", self.raw_entries)
        _check_int("DualStringArray.security_offset", self.security_offset, _U16_MAX)
        raw = self.raw_entries
        if len(raw) % 2 or len(raw) // 2 > _U16_MAX:
            raise ValueError("DualStringArray.raw_entries must be an even number of bytes, at most 65535 u16s")
        assert self.security_offset is not None
        try:
            sbs, secs = _parse_entries(raw, 0, len(raw) // 2, self.security_offset)
        except ObjrefError as exc:
            raise ValueError(f"DualStringArray.raw_entries is not a valid aStringArray: {exc}") from None
        if sbs != self.string_bindings or secs != self.security_bindings:
            raise ValueError("DualStringArray: raw_entries describe other bindings than the ones given")
        if (raw, self.security_offset) == _canonical_entries(sbs, secs):
            object.__setattr__(self, "raw_entries", None)
            object.__setattr__(self, "security_offset", None)

    @property
    def entries(self) -> bytes:
        """The aStringArray bytes as written on the wire."""
        if self.raw_entries is not None:
            return self.raw_entries
        return _canonical_entries(self.string_bindings, self.security_bindings)[0]

    @property
    def num_entries(self) -> int:
        """wNumEntries: the number of u16 in aStringArray."""
        return len(self.entries) // 2

    @property
    def wire_security_offset(self) -> int:
        """wSecurityOffset as written on the wire."""
        if self.security_offset is not None:
            return self.security_offset
        return _canonical_entries(self.string_bindings, self.security_bindings)[1]

    @property
    def is_canonical(self) -> bool:
        """True when the wire layout is the one this codec writes for these bindings."""
        return self.raw_entries is None

    @property
    def size(self) -> int:
        """Bytes on the wire: 4 + 2 * wNumEntries."""
        return 4 + len(self.entries)


@dataclass(frozen=True)
class DataElement:
    """DATAELEMENT ([MS-DCOM] 2.2.18.8): one marshaled envoy context inside an OBJREF_EXTENDED.

    ``data`` is the whole Data array (cbRounded bytes, padding included); ``cb_size`` the declared cbSize.
    """

    data_id: Guid
    cb_size: int
    data: bytes

    def __post_init__(self) -> None:
        _check_guid("DataElement.data_id", self.data_id)
        _check_int("DataElement.cb_size", self.cb_size, _U32_MAX)
        _check_bytes("DataElement.data", self.data)
        if len(self.data) > _U32_MAX:
            raise ValueError("DataElement.data is longer than a u32 can count")

    @classmethod
    def build(cls, data_id: Guid, payload: bytes) -> DataElement:
        """cbSize = len(payload), Data zero-padded to a multiple of 8 (what the spec asks for)."""
        payload = bytes(payload)
        return cls(data_id, len(payload), payload + b"\x00" * (-len(payload) % 8))

    @property
    def cb_rounded(self) -> int:
        """cbRounded: the length of Data."""
        return len(self.data)

    @property
    def payload(self) -> bytes:
        """The first cbSize bytes of Data (all of it when cbSize exceeds cbRounded)."""
        return self.data[: self.cb_size]


@dataclass(frozen=True)
class ObjrefStandard:
    """OBJREF_STANDARD (flags 1, [MS-DCOM] 2.2.18.4): STDOBJREF + the object resolver's bindings."""

    iid: Guid
    std: StdObjref
    resolver_address: DualStringArray = field(default_factory=DualStringArray)
    trailing: bytes = b""

    FLAGS: ClassVar[int] = OBJREF_STANDARD
    FORM: ClassVar[str] = "standard"

    def __post_init__(self) -> None:
        _check_guid("iid", self.iid)
        _check_std_parts(self)


@dataclass(frozen=True)
class ObjrefHandler:
    """OBJREF_HANDLER (flags 2, [MS-DCOM] 2.2.18.5): like STANDARD plus the CLSID of a client-side handler."""

    iid: Guid
    std: StdObjref
    clsid: Guid
    resolver_address: DualStringArray = field(default_factory=DualStringArray)
    trailing: bytes = b""

    FLAGS: ClassVar[int] = OBJREF_HANDLER
    FORM: ClassVar[str] = "handler"

    def __post_init__(self) -> None:
        _check_guid("iid", self.iid)
        _check_guid("clsid", self.clsid)
        _check_std_parts(self)


@dataclass(frozen=True)
class ObjrefCustom:
    """OBJREF_CUSTOM (flags 4, [MS-DCOM] 2.2.18.6): an opaque blob for the unmarshaler class ``clsid``.

    ``object_data`` is every byte after the 32-bit ``size`` field. ``size`` is the declared value (None means
    ``len(object_data)``). Windows and Wine write ``IMarshal::GetMarshalSizeMax`` there, an upper bound, so
    ``size`` may exceed the bytes present (``truncated``) or be smaller than them (``excess_bytes``).
    """

    iid: Guid
    clsid: Guid
    object_data: bytes = b""
    cb_extension: int = 0
    size: int | None = None

    FLAGS: ClassVar[int] = OBJREF_CUSTOM
    FORM: ClassVar[str] = "custom"

    def __post_init__(self) -> None:
        _check_guid("iid", self.iid)
        _check_guid("clsid", self.clsid)
        _check_bytes("ObjrefCustom.object_data", self.object_data)
        _check_int("ObjrefCustom.cb_extension", self.cb_extension, _U32_MAX)
        if self.size is None:
            if len(self.object_data) > _U32_MAX:
                raise ValueError("ObjrefCustom.object_data is longer than a u32 can count")
            object.__setattr__(self, "size", len(self.object_data))
        _check_int("ObjrefCustom.size", self.size, _U32_MAX)

    @property
    def declared_size(self) -> int:
        """The ``size`` field as written (an int after construction)."""
        assert self.size is not None
        return self.size

    @property
    def truncated(self) -> bool:
        """True when ``size`` promises more bytes than follow it."""
        return self.declared_size > len(self.object_data)

    @property
    def missing_bytes(self) -> int:
        """How many of the declared bytes are absent (0 when not truncated)."""
        return max(0, self.declared_size - len(self.object_data))

    @property
    def excess_bytes(self) -> int:
        """How many bytes follow beyond the declared size (0 when none)."""
        return max(0, len(self.object_data) - self.declared_size)


@dataclass(frozen=True)
class ObjrefExtended:
    """OBJREF_EXTENDED (flags 8, [MS-DCOM] 2.2.18.7): STANDARD plus one DATAELEMENT (an envoy context)."""

    iid: Guid
    std: StdObjref
    element: DataElement
    resolver_address: DualStringArray = field(default_factory=DualStringArray)
    trailing: bytes = b""

    FLAGS: ClassVar[int] = OBJREF_EXTENDED
    FORM: ClassVar[str] = "extended"

    def __post_init__(self) -> None:
        _check_guid("iid", self.iid)
        if not isinstance(self.element, DataElement):
            raise TypeError("ObjrefExtended.element must be a DataElement")
        _check_std_parts(self)


def _check_std_parts(obj: ObjrefStandard | ObjrefHandler | ObjrefExtended) -> None:
    if not isinstance(obj.std, StdObjref):
        raise TypeError(f"{type(obj).__name__}.std must be a StdObjref")
    if not isinstance(obj.resolver_address, DualStringArray):
        raise TypeError(f"{type(obj).__name__}.resolver_address must be a DualStringArray")
    _check_bytes(f"{type(obj).__name__}.trailing", obj.trailing)


Objref = ObjrefStandard | ObjrefHandler | ObjrefCustom | ObjrefExtended
"""Any decoded OBJREF: one of the four forms (a union type, so ``isinstance(x, Objref)`` works)."""
_OBJREF_TYPES = (ObjrefStandard, ObjrefHandler, ObjrefCustom, ObjrefExtended)


@dataclass(frozen=True)
class InterfacePointer:
    """MInterfacePointer ([MS-DCOM] 2.2.14): ``ulCntData`` u32 + ``abData`` (an OBJREF); bytes after abData
    are kept in ``trailing``."""

    objref: Objref
    trailing: bytes = b""

    def __post_init__(self) -> None:
        if not isinstance(self.objref, _OBJREF_TYPES):
            raise TypeError("InterfacePointer.objref must be an Objref")
        _check_bytes("InterfacePointer.trailing", self.trailing)


# ---------------------------------------------------------------------------------------------------- decoding


class _Reader:
    """Bounds-checked little-endian reads; every failure is an ObjrefError naming the field."""

    __slots__ = ("data", "pos", "end")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end

    def need(self, n: int, name: str) -> None:
        if self.end - self.pos < n:
            have = max(0, self.end - self.pos)
            raise ObjrefError(f"needs {n} bytes, only {have} left (input truncated)", offset=self.pos, field=name)

    def u16(self, name: str) -> int:
        self.need(2, name)
        v: int
        (v,) = _U16.unpack_from(self.data, self.pos)
        self.pos += 2
        return v

    def u32(self, name: str) -> int:
        self.need(4, name)
        v: int
        (v,) = _U32.unpack_from(self.data, self.pos)
        self.pos += 4
        return v

    def guid(self, name: str) -> Guid:
        self.need(16, name)
        g = Guid.from_bytes_le(self.data[self.pos : self.pos + 16])
        self.pos += 16
        return g

    def take(self, n: int, name: str) -> bytes:
        self.need(n, name)
        b = self.data[self.pos : self.pos + n]
        self.pos += n
        return b

    def rest(self) -> bytes:
        b = self.data[self.pos : self.end]
        self.pos = self.end
        return b


def _find_nul16(data: bytes, pos: int, end: int) -> int:
    """Offset of the first 0x0000 u16 at or after ``pos`` (u16-aligned relative to ``pos``) before ``end``; -1."""
    while pos < end:
        i = data.find(b"\x00\x00", pos, end)
        if i < 0:
            return -1
        if (i - pos) % 2 == 0:
            return i
        pos = i + 1
    return -1


def _parse_entries(
    data: bytes, start: int, nwords: int, sec_off: int
) -> tuple[tuple[StringBinding, ...], tuple[SecurityBinding, ...]]:
    """The bindings in the aStringArray at ``data[start : start + 2 * nwords]`` (error offsets index ``data``).
    String bindings are read from word 0, security bindings from word ``sec_off``; each list must end
    with a 0 word inside the array. An empty array (``nwords == 0``) has no bindings and no terminators."""
    end = start + 2 * nwords
    if sec_off > nwords:
        raise ObjrefError(
            f"wSecurityOffset {sec_off} points past the {nwords}-entry array",
            offset=max(0, start - 2),
            field="DUALSTRINGARRAY.wSecurityOffset",
        )
    if nwords == 0:
        return (), ()
    sbs: list[StringBinding] = []
    pos = start
    while True:
        if pos + 2 > end:
            raise ObjrefError(
                "the string bindings have no terminating 0 entry inside wNumEntries",
                offset=pos,
                field="DUALSTRINGARRAY.aStringArray",
            )
        (tower,) = _U16.unpack_from(data, pos)
        pos += 2
        if tower == 0:
            break
        nul = _find_nul16(data, pos, end)
        if nul < 0:
            raise ObjrefError(
                "network address has no terminating NUL inside wNumEntries",
                offset=pos,
                field=f"STRINGBINDING[{len(sbs)}].aNetworkAddr",
            )
        sbs.append(StringBinding(tower, data[pos:nul].decode("utf-16-le", "surrogatepass")))
        pos = nul + 2
    secs: list[SecurityBinding] = []
    pos = start + 2 * sec_off
    while True:
        if pos + 2 > end:
            raise ObjrefError(
                "the security bindings have no terminating 0 entry inside wNumEntries",
                offset=pos,
                field="DUALSTRINGARRAY.aStringArray",
            )
        (authn,) = _U16.unpack_from(data, pos)
        pos += 2
        if authn == 0:
            break
        if pos + 2 > end:
            raise ObjrefError(
                "missing wAuthzSvc inside wNumEntries",
                offset=pos,
                field=f"SECURITYBINDING[{len(secs)}].wAuthzSvc",
            )
        (authz,) = _U16.unpack_from(data, pos)
        pos += 2
        nul = _find_nul16(data, pos, end)
        if nul < 0:
            raise ObjrefError(
                "principal name has no terminating NUL inside wNumEntries",
                offset=pos,
                field=f"SECURITYBINDING[{len(secs)}].aPrincName",
            )
        secs.append(SecurityBinding(authn, authz, data[pos:nul].decode("utf-16-le", "surrogatepass")))
        pos = nul + 2
    return tuple(sbs), tuple(secs)


def _read_dsa(r: _Reader) -> DualStringArray:
    nwords = r.u16("DUALSTRINGARRAY.wNumEntries")
    sec_off = r.u16("DUALSTRINGARRAY.wSecurityOffset")
    start = r.pos
    r.need(2 * nwords, "DUALSTRINGARRAY.aStringArray")
    sbs, secs = _parse_entries(r.data, start, nwords, sec_off)
    raw = r.take(2 * nwords, "DUALSTRINGARRAY.aStringArray")
    if (raw, sec_off) == _canonical_entries(sbs, secs):
        return DualStringArray(sbs, secs)
    # Non-canonical layout: keep the exact bytes. Build without re-validating (already parsed above).
    dsa = object.__new__(DualStringArray)
    for k, v in (
        ("string_bindings", sbs),
        ("security_bindings", secs),
        ("security_offset", sec_off),
        ("raw_entries", raw),
    ):
        object.__setattr__(dsa, k, v)
    return dsa


def _read_std(r: _Reader) -> StdObjref:
    flags = r.u32("STDOBJREF.flags")
    refs = r.u32("STDOBJREF.cPublicRefs")
    r.need(8, "STDOBJREF.oxid")
    (oxid,) = _U64.unpack_from(r.data, r.pos)
    r.pos += 8
    r.need(8, "STDOBJREF.oid")
    (oid,) = _U64.unpack_from(r.data, r.pos)
    r.pos += 8
    ipid = r.guid("STDOBJREF.ipid")
    return StdObjref(flags, refs, oxid, oid, ipid)


def _decode_at(data: bytes, start: int, end: int) -> Objref:
    r = _Reader(data, start, end)
    sig = r.u32("OBJREF.signature")
    if sig != OBJREF_SIGNATURE:
        raise ObjrefError(f"expected 0x574F454D ('MEOW'), found 0x{sig:08X}", offset=start, field="OBJREF.signature")
    flags = r.u32("OBJREF.flags")
    if flags not in (OBJREF_STANDARD, OBJREF_HANDLER, OBJREF_CUSTOM, OBJREF_EXTENDED):
        raise ObjrefError(
            f"0x{flags:X} is not one of OBJREF_STANDARD (1), OBJREF_HANDLER (2), OBJREF_CUSTOM (4), "
            "OBJREF_EXTENDED (8)",
            offset=r.pos - 4,
            field="OBJREF.flags",
        )
    iid = r.guid("OBJREF.iid")
    if flags == OBJREF_CUSTOM:
        clsid = r.guid("OBJREF_CUSTOM.clsid")
        cb_ext = r.u32("OBJREF_CUSTOM.cbExtension")
        size = r.u32("OBJREF_CUSTOM.size")
        return ObjrefCustom(iid, clsid, r.rest(), cb_ext, size)
    std = _read_std(r)
    if flags == OBJREF_STANDARD:
        dsa = _read_dsa(r)
        return ObjrefStandard(iid, std, dsa, r.rest())
    if flags == OBJREF_HANDLER:
        clsid = r.guid("OBJREF_HANDLER.clsid")
        dsa = _read_dsa(r)
        return ObjrefHandler(iid, std, clsid, dsa, r.rest())
    sig1 = r.u32("OBJREF_EXTENDED.Signature1")
    if sig1 != EXTENDED_SIGNATURE:
        raise ObjrefError(
            f"expected 0x4E535956, found 0x{sig1:08X}", offset=r.pos - 4, field="OBJREF_EXTENDED.Signature1"
        )
    dsa = _read_dsa(r)
    n = r.u32("OBJREF_EXTENDED.nElms")
    if n != 1:
        raise ObjrefError(f"must be 1, found {n}", offset=r.pos - 4, field="OBJREF_EXTENDED.nElms")
    sig2 = r.u32("OBJREF_EXTENDED.Signature2")
    if sig2 != EXTENDED_SIGNATURE:
        raise ObjrefError(
            f"expected 0x4E535956, found 0x{sig2:08X}", offset=r.pos - 4, field="OBJREF_EXTENDED.Signature2"
        )
    data_id = r.guid("DATAELEMENT.dataID")
    cb_size = r.u32("DATAELEMENT.cbSize")
    cb_rounded = r.u32("DATAELEMENT.cbRounded")
    elem = DataElement(data_id, cb_size, r.take(cb_rounded, "DATAELEMENT.Data"))
    return ObjrefExtended(iid, std, elem, dsa, r.rest())


def _as_bytes(data: object) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise ObjrefError(f"expected bytes, got {type(data).__name__}", offset=0, field="input")


def decode(data: bytes) -> Objref:
    """Decode one OBJREF that starts at ``data[0]``; bytes after it are kept (``trailing``/``object_data``).

    Raises :class:`ObjrefError` (a ValueError with ``offset`` and ``field``) for anything malformed.
    """
    data = _as_bytes(data)
    return _decode_at(data, 0, len(data))


def decode_interface_pointer(data: bytes) -> InterfacePointer:
    """Decode an MInterfacePointer: ``ulCntData`` u32, then ``abData`` (an OBJREF of exactly that size)."""
    data = _as_bytes(data)
    r = _Reader(data)
    cnt = r.u32("MInterfacePointer.ulCntData")
    if cnt > len(data) - 4:
        raise ObjrefError(
            f"declares {cnt} bytes of abData but only {len(data) - 4} follow",
            offset=0,
            field="MInterfacePointer.ulCntData",
        )
    objref = _decode_at(data, 4, 4 + cnt)
    return InterfacePointer(objref, data[4 + cnt :])


def decode_any(data: bytes) -> Objref | InterfacePointer:
    """An OBJREF, or an MInterfacePointer when the bytes start with a u32 count followed by 'MEOW'."""
    data = _as_bytes(data)
    if len(data) >= 8 and data[:4] != b"MEOW" and data[4:8] == b"MEOW":
        return decode_interface_pointer(data)
    return decode(data)


# ---------------------------------------------------------------------------------------------------- encoding


def _encode_std(std: StdObjref) -> bytes:
    return _STD.pack(std.flags, std.public_refs, std.oxid, std.oid, std.ipid.bytes_le)


def _encode_dsa(dsa: DualStringArray) -> bytes:
    entries = dsa.entries
    return _U16.pack(len(entries) // 2) + _U16.pack(dsa.wire_security_offset) + entries


def _encode_objref(obj: Objref) -> bytes:
    if not isinstance(obj, _OBJREF_TYPES):
        raise TypeError(f"encode() takes an Objref or InterfacePointer, not {type(obj).__name__}")
    head = _U32.pack(OBJREF_SIGNATURE) + _U32.pack(obj.FLAGS) + obj.iid.bytes_le
    if isinstance(obj, ObjrefCustom):
        return b"".join(
            (head, obj.clsid.bytes_le, _U32.pack(obj.cb_extension), _U32.pack(obj.declared_size), obj.object_data)
        )
    if isinstance(obj, ObjrefStandard):
        return b"".join((head, _encode_std(obj.std), _encode_dsa(obj.resolver_address), obj.trailing))
    if isinstance(obj, ObjrefHandler):
        return b"".join(
            (head, _encode_std(obj.std), obj.clsid.bytes_le, _encode_dsa(obj.resolver_address), obj.trailing)
        )
    if isinstance(obj, ObjrefExtended):
        el = obj.element
        return b"".join(
            (
                head,
                _encode_std(obj.std),
                _U32.pack(EXTENDED_SIGNATURE),
                _encode_dsa(obj.resolver_address),
                _U32.pack(1),
                _U32.pack(EXTENDED_SIGNATURE),
                el.data_id.bytes_le,
                _U32.pack(el.cb_size),
                _U32.pack(len(el.data)),
                el.data,
                obj.trailing,
            )
        )
    raise AssertionError("unreachable")  # pragma: no cover


def encode(obj: Objref | InterfacePointer) -> bytes:
    """The wire bytes of an OBJREF (or of an MInterfacePointer around one)."""
    if isinstance(obj, InterfacePointer):
        inner = _encode_objref(obj.objref)
        if len(inner) > _U32_MAX:
            raise ValueError("the OBJREF is too large for MInterfacePointer.ulCntData")
        return _U32.pack(len(inner)) + inner + obj.trailing
    return _encode_objref(obj)


EMPTY_DUALSTRINGARRAY = DualStringArray(security_offset=0, raw_entries=b"")
"""What Wine writes for a same-machine standard marshal: ``wNumEntries = 0, wSecurityOffset = 0``, no array."""
