"""OBJREF codec: hand-built vectors for every form, wrappers, text input, and every truncation point."""

from __future__ import annotations

import base64
import struct
import tracemalloc

import pytest

from ole32_bindings.guid import Guid
from ole32_bindings.objref import (
    EMPTY_DUALSTRINGARRAY,
    CLSID_InProcFreeMarshaler,
    CLSID_PyMarshalByValue,
    CLSID_StdMarshal,
    DataElement,
    DualStringArray,
    InterfacePointer,
    ObjrefCustom,
    ObjrefError,
    ObjrefExtended,
    ObjrefHandler,
    ObjrefStandard,
    SecurityBinding,
    StdObjref,
    StringBinding,
    decode,
    decode_any,
    decode_interface_pointer,
    encode,
    parse_input,
    to_moniker_text,
)

# ---------------------------------------------------------------- vectors written from the [MS-DCOM] layouts

MEOW = bytes.fromhex("4d454f57")  # signature 0x574F454D little-endian
IID_IPERSIST_LE = bytes.fromhex("0c01000000000000c000000000000046")  # {0000010C-0000-0000-C000-...46}
IID_IUNKNOWN_LE = bytes.fromhex("0000000000000000c000000000000046")
IPID_LE = bytes.fromhex("01a000002301bc0a1122334455667788")  # {0000A001-0123-0ABC-1122-334455667788}
CLSID_HANDLER_LE = bytes.fromhex("78563412cdabef010123456789abcdef")  # {12345678-ABCD-01EF-0123-...}
CTX_ID_LE = bytes.fromhex("443322116655887799aabbccddeeff00")  # {11223344-5566-7788-99AA-BBCCDDEEFF00}
PYMBV_LE = bytes.fromhex("6e2b1a8c4f5d3a4e9b7c1f2e3d4c5b6a")  # {8C1A2B6E-5D4F-4E3A-9B7C-1F2E3D4C5B6A}

STD_FIELDS = (
    struct.pack("<I", 0)  # flags: SORF_NULL
    + struct.pack("<I", 5)  # cPublicRefs
    + bytes.fromhex("f6e5d4c3b2a10000")  # oxid 0x0000A1B2C3D4E5F6
    + bytes.fromhex("0200000000000000")  # oid 2
    + IPID_LE
)
assert len(STD_FIELDS) == 40

# Wine, same machine: empty DUALSTRINGARRAY (wNumEntries = wSecurityOffset = 0); 68 bytes for IPersist.
WINE_IPERSIST = MEOW + struct.pack("<I", 1) + IID_IPERSIST_LE + STD_FIELDS + bytes.fromhex("00000000")


def w(text: str) -> bytes:
    """A null-terminated UTF-16LE string, as STRINGBINDING/SECURITYBINDING carry it."""
    return text.encode("utf-16-le") + b"\x00\x00"


# Windows-like bindings: two string bindings, two security bindings.
_STRINGS = struct.pack("<H", 0x07) + w("192.168.1.10") + struct.pack("<H", 0x07) + w("HOST") + b"\x00\x00"
_SECURITY = (
    struct.pack("<HH", 10, 0xFFFF)
    + w("")  # RPC_C_AUTHN_WINNT, no SPN
    + struct.pack("<HH", 16, 0xFFFF)
    + w("host/HOST.example.com")  # Kerberos
    + b"\x00\x00"
)
_ENTRIES = _STRINGS + _SECURITY
DSA_REAL = struct.pack("<HH", len(_ENTRIES) // 2, len(_STRINGS) // 2) + _ENTRIES
STANDARD_REAL = MEOW + struct.pack("<I", 1) + IID_IUNKNOWN_LE + STD_FIELDS + DSA_REAL

DSA_MIN = struct.pack("<HH", 4, 2) + b"\x00" * 8  # the spec's smallest DUALSTRINGARRAY
HANDLER = MEOW + struct.pack("<I", 2) + IID_IUNKNOWN_LE + STD_FIELDS + CLSID_HANDLER_LE + DSA_MIN

_ELEMENT = CTX_ID_LE + struct.pack("<II", 5, 8) + b"ctx!!" + b"\x00\x00\x00"
EXTENDED = (
    MEOW
    + struct.pack("<I", 8)
    + IID_IUNKNOWN_LE
    + STD_FIELDS
    + struct.pack("<I", 0x4E535956)
    + DSA_REAL
    + struct.pack("<I", 1)
    + struct.pack("<I", 0x4E535956)
    + _ELEMENT
)

# OBJREF_CUSTOM whose size field (GetMarshalSizeMax) promises 0x100 bytes but only 10 follow.
CUSTOM_SHORT = (
    MEOW
    + struct.pack("<I", 4)
    + IID_IUNKNOWN_LE
    + PYMBV_LE
    + struct.pack("<I", 0)
    + struct.pack("<I", 0x100)
    + b"0123456789"
)

IPID = Guid("{0000A001-0123-0ABC-1122-334455667788}")
STD = StdObjref(0, 5, 0x0000A1B2C3D4E5F6, 2, IPID)
IID_IUNKNOWN = Guid("{00000000-0000-0000-C000-000000000046}")
IID_IPERSIST = Guid("{0000010C-0000-0000-C000-000000000046}")


# ---------------------------------------------------------------- decoding each form


def test_wine_ipersist_68_bytes() -> None:
    assert len(WINE_IPERSIST) == 68
    obj = decode(WINE_IPERSIST)
    assert isinstance(obj, ObjrefStandard)
    assert obj.iid == IID_IPERSIST
    assert obj.std == STD
    assert obj.std.public_refs == 5
    assert obj.resolver_address == EMPTY_DUALSTRINGARRAY
    assert obj.resolver_address.num_entries == 0 and obj.resolver_address.wire_security_offset == 0
    assert obj.resolver_address.string_bindings == () and obj.resolver_address.security_bindings == ()
    assert obj.trailing == b""
    assert encode(obj) == WINE_IPERSIST
    built = ObjrefStandard(IID_IPERSIST, STD, EMPTY_DUALSTRINGARRAY)
    assert encode(built) == WINE_IPERSIST


def test_standard_with_real_bindings() -> None:
    obj = decode(STANDARD_REAL)
    assert isinstance(obj, ObjrefStandard)
    dsa = obj.resolver_address
    assert dsa.string_bindings == (StringBinding(7, "192.168.1.10"), StringBinding(7, "HOST"))
    assert dsa.security_bindings == (
        SecurityBinding(10, 0xFFFF, ""),
        SecurityBinding(16, 0xFFFF, "host/HOST.example.com"),
    )
    assert dsa.is_canonical  # this codec writes exactly this layout
    assert dsa.num_entries == len(_ENTRIES) // 2
    assert dsa.wire_security_offset == len(_STRINGS) // 2
    assert encode(obj) == STANDARD_REAL
    rebuilt = ObjrefStandard(IID_IUNKNOWN, STD, DualStringArray(dsa.string_bindings, dsa.security_bindings))
    assert encode(rebuilt) == STANDARD_REAL


def test_handler() -> None:
    obj = decode(HANDLER)
    assert isinstance(obj, ObjrefHandler)
    assert obj.clsid == Guid("{12345678-ABCD-01EF-0123-456789ABCDEF}")
    assert obj.std == STD
    assert obj.resolver_address == DualStringArray()  # 4 zero entries, offset 2 is the canonical empty form
    assert obj.resolver_address.num_entries == 4 and obj.resolver_address.wire_security_offset == 2
    assert encode(obj) == HANDLER


def test_extended() -> None:
    obj = decode(EXTENDED)
    assert isinstance(obj, ObjrefExtended)
    assert obj.std == STD
    assert obj.resolver_address.string_bindings[0] == StringBinding(7, "192.168.1.10")
    el = obj.element
    assert el.data_id == Guid("{11223344-5566-7788-99AA-BBCCDDEEFF00}")
    assert (el.cb_size, el.cb_rounded, el.payload) == (5, 8, b"ctx!!")
    assert el == DataElement.build(el.data_id, b"ctx!!")
    assert encode(obj) == EXTENDED


def test_custom_declared_size_exceeds_data() -> None:
    obj = decode(CUSTOM_SHORT)
    assert isinstance(obj, ObjrefCustom)
    assert obj.clsid == CLSID_PyMarshalByValue
    assert obj.object_data == b"0123456789"
    assert obj.declared_size == 0x100 and obj.size == 0x100
    assert obj.truncated and obj.missing_bytes == 0x100 - 10 and obj.excess_bytes == 0
    assert encode(obj) == CUSTOM_SHORT


def test_custom_default_size_and_excess() -> None:
    obj = ObjrefCustom(IID_IUNKNOWN, CLSID_InProcFreeMarshaler, b"abcdef")
    assert obj.size == 6 and not obj.truncated
    assert decode(encode(obj)) == obj
    short = ObjrefCustom(IID_IUNKNOWN, CLSID_InProcFreeMarshaler, b"abcdef", cb_extension=3, size=2)
    assert short.excess_bytes == 4 and not short.truncated
    again = decode(encode(short))
    assert again == short and again.cb_extension == 3


def test_custom_huge_size_never_allocates() -> None:
    data = MEOW + struct.pack("<I", 4) + IID_IUNKNOWN_LE + PYMBV_LE + struct.pack("<II", 0xFFFFFFFF, 0xFFFFFFFF)
    tracemalloc.start()
    try:
        obj = decode(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(obj, ObjrefCustom) and obj.declared_size == 0xFFFFFFFF and obj.object_data == b""
    assert peak < 1 << 20


def test_constants() -> None:
    assert CLSID_PyMarshalByValue == Guid("{8C1A2B6E-5D4F-4E3A-9B7C-1F2E3D4C5B6A}")
    assert CLSID_StdMarshal.bytes_le == bytes.fromhex("1700000000000000c000000000000046")
    assert CLSID_InProcFreeMarshaler == Guid("{0000033A-0000-0000-C000-000000000046}")


# ---------------------------------------------------------------- trailing bytes and odd layouts survive


def test_trailing_bytes_kept() -> None:
    obj = decode(WINE_IPERSIST + b"\xde\xad")
    assert isinstance(obj, ObjrefStandard) and obj.trailing == b"\xde\xad"
    assert encode(obj) == WINE_IPERSIST + b"\xde\xad"


@pytest.mark.parametrize(
    "dsa_bytes",
    [
        # canonical entries plus a padding word after nullterm2
        struct.pack("<HH", len(_ENTRIES) // 2 + 1, len(_STRINGS) // 2) + _ENTRIES + b"\x00\x00",
        # a gap word between the string terminator and wSecurityOffset
        struct.pack("<HH", len(_ENTRIES) // 2 + 1, len(_STRINGS) // 2 + 1) + _STRINGS + b"\x00\x00" + _SECURITY,
        # empty lists without the "empty entry" word: [0, 0] with wSecurityOffset 1
        struct.pack("<HH", 2, 1) + b"\x00\x00\x00\x00",
        # security bindings read from word 0 (sharing the string terminator), then a padding word
        struct.pack("<HH", 3, 0) + b"\x00\x00\x00\x00\x00\x00",
    ],
)
def test_noncanonical_dualstringarray_round_trips(dsa_bytes: bytes) -> None:
    data = MEOW + struct.pack("<I", 1) + IID_IUNKNOWN_LE + STD_FIELDS + dsa_bytes
    obj = decode(data)
    assert isinstance(obj, ObjrefStandard)
    assert not obj.resolver_address.is_canonical
    assert obj.resolver_address.raw_entries == dsa_bytes[4:]
    assert encode(obj) == data
    assert decode(encode(obj)) == obj


def test_noncanonical_keeps_the_parsed_bindings() -> None:
    dsa_bytes = struct.pack("<HH", len(_ENTRIES) // 2 + 1, len(_STRINGS) // 2) + _ENTRIES + b"\x00\x00"
    obj = decode(MEOW + struct.pack("<I", 1) + IID_IUNKNOWN_LE + STD_FIELDS + dsa_bytes)
    assert isinstance(obj, ObjrefStandard)
    assert [b.network_addr for b in obj.resolver_address.string_bindings] == ["192.168.1.10", "HOST"]
    assert [b.authn_svc for b in obj.resolver_address.security_bindings] == [10, 16]


def test_dualstringarray_normalises_canonical_raw() -> None:
    sbs = (StringBinding(7, "a"),)
    canonical = DualStringArray(sbs)
    explicit = DualStringArray(sbs, (), security_offset=canonical.wire_security_offset, raw_entries=canonical.entries)
    assert explicit == canonical and explicit.raw_entries is None and explicit.is_canonical


def test_dualstringarray_rejects_inconsistent_raw() -> None:
    with pytest.raises(ValueError, match="other bindings"):
        DualStringArray(
            (StringBinding(7, "b"),),
            (),
            security_offset=3,
            raw_entries=DualStringArray((StringBinding(7, "a"),)).entries,
        )
    with pytest.raises(ValueError, match="together"):
        DualStringArray(raw_entries=b"")


def test_constructor_validation() -> None:
    with pytest.raises(ValueError):
        StringBinding(0, "x")  # tower id 0 is the list terminator
    with pytest.raises(ValueError):
        StringBinding(7, "a\x00b")
    with pytest.raises(ValueError):
        SecurityBinding(0)
    with pytest.raises(ValueError):
        StdObjref(0, 1 << 32, 0, 0, IPID)
    with pytest.raises(TypeError):
        StdObjref(0, 0, 0, 0, "not a guid")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        encode("nope")  # type: ignore[arg-type]


# ---------------------------------------------------------------- wrappers and text forms


def test_minterfacepointer() -> None:
    wrapped = struct.pack("<I", len(WINE_IPERSIST)) + WINE_IPERSIST
    ip = decode_interface_pointer(wrapped)
    assert ip == InterfacePointer(decode(WINE_IPERSIST))
    assert decode_any(wrapped) == ip
    assert encode(ip) == wrapped
    with_tail = wrapped + b"\x01\x02\x03"
    ip2 = decode_any(with_tail)
    assert isinstance(ip2, InterfacePointer) and ip2.trailing == b"\x01\x02\x03"
    assert encode(ip2) == with_tail
    assert decode_any(WINE_IPERSIST) == decode(WINE_IPERSIST)


def test_minterfacepointer_count_bounds_the_objref() -> None:
    # ulCntData one short: the inner OBJREF is cut inside wSecurityOffset
    short = struct.pack("<I", 67) + WINE_IPERSIST
    with pytest.raises(ObjrefError) as ei:
        decode_interface_pointer(short)
    assert ei.value.field == "DUALSTRINGARRAY.wSecurityOffset" and ei.value.offset == 4 + 66
    with pytest.raises(ObjrefError) as ei:
        decode_interface_pointer(struct.pack("<I", 0xFFFFFFFF) + WINE_IPERSIST)
    assert ei.value.field == "MInterfacePointer.ulCntData" and ei.value.offset == 0
    with pytest.raises(ObjrefError) as ei:
        decode_interface_pointer(b"\x01\x00")
    assert ei.value.field == "MInterfacePointer.ulCntData"


def test_moniker_text_round_trip() -> None:
    text = "OBJREF:" + base64.b64encode(STANDARD_REAL).decode() + ":"
    assert to_moniker_text(decode(STANDARD_REAL)) == text
    assert parse_input(text) == STANDARD_REAL
    assert parse_input("  objref:" + base64.b64encode(WINE_IPERSIST).decode() + ":\n") == WINE_IPERSIST


@pytest.mark.parametrize(
    "text",
    [
        WINE_IPERSIST.hex(),
        WINE_IPERSIST.hex().upper(),
        WINE_IPERSIST.hex(" "),
        WINE_IPERSIST.hex("\n", 16),
        ", ".join(f"0x{b:02x}" for b in WINE_IPERSIST),
        "".join(f"\\x{b:02x}" for b in WINE_IPERSIST),
        base64.b64encode(WINE_IPERSIST).decode(),
        base64.b64encode(WINE_IPERSIST).decode().rstrip("="),
        base64.urlsafe_b64encode(WINE_IPERSIST).decode(),
    ],
)
def test_parse_input_forms(text: str) -> None:
    assert parse_input(text) == WINE_IPERSIST


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("", "input"),
        ("   ", "input"),
        ("abc", "input.hex"),  # odd number of hex digits
        ("TUVP!!", "input.base64"),
        ("ab=c", "input.base64"),
        ("OBJREF:TUVPVw==", "input.moniker"),  # no closing ':'
        ("OBJREF:T$:", "input.moniker"),
        ("x", "input.base64"),  # impossible base64 length
    ],
)
def test_parse_input_errors(text: str, field: str) -> None:
    with pytest.raises(ObjrefError) as ei:
        parse_input(text)
    assert ei.value.field == field
    assert field in str(ei.value)


# ---------------------------------------------------------------- errors: every truncation point


def _layout(*fields: tuple[str, int]) -> list[tuple[int, int, str]]:
    out, pos = [], 0
    for name, size in fields:
        out.append((pos, pos + size, name))
        pos += size
    return out


HEADER = [("OBJREF.signature", 4), ("OBJREF.flags", 4), ("OBJREF.iid", 16)]
STDF = [
    ("STDOBJREF.flags", 4),
    ("STDOBJREF.cPublicRefs", 4),
    ("STDOBJREF.oxid", 8),
    ("STDOBJREF.oid", 8),
    ("STDOBJREF.ipid", 16),
]


def DSAF(entries: int) -> list[tuple[str, int]]:
    return [
        ("DUALSTRINGARRAY.wNumEntries", 2),
        ("DUALSTRINGARRAY.wSecurityOffset", 2),
        ("DUALSTRINGARRAY.aStringArray", 2 * entries),
    ]


LAYOUTS = {
    "wine": (WINE_IPERSIST, _layout(*HEADER, *STDF, *DSAF(0))),
    "standard": (STANDARD_REAL, _layout(*HEADER, *STDF, *DSAF(len(_ENTRIES) // 2))),
    "handler": (HANDLER, _layout(*HEADER, *STDF, ("OBJREF_HANDLER.clsid", 16), *DSAF(4))),
    "extended": (
        EXTENDED,
        _layout(
            *HEADER,
            *STDF,
            ("OBJREF_EXTENDED.Signature1", 4),
            *DSAF(len(_ENTRIES) // 2),
            ("OBJREF_EXTENDED.nElms", 4),
            ("OBJREF_EXTENDED.Signature2", 4),
            ("DATAELEMENT.dataID", 16),
            ("DATAELEMENT.cbSize", 4),
            ("DATAELEMENT.cbRounded", 4),
            ("DATAELEMENT.Data", 8),
        ),
    ),
    "custom": (
        CUSTOM_SHORT,
        _layout(*HEADER, ("OBJREF_CUSTOM.clsid", 16), ("OBJREF_CUSTOM.cbExtension", 4), ("OBJREF_CUSTOM.size", 4)),
    ),
}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_every_truncation_point_names_the_field(name: str) -> None:
    data, layout = LAYOUTS[name]
    assert layout[-1][1] <= len(data)
    checked = 0
    for start, end, field in layout:
        for cut in range(start, end):
            with pytest.raises(ObjrefError) as ei:
                decode(data[:cut])
            err = ei.value
            assert err.field == field, (cut, err)
            assert err.offset == start, (cut, err)
            assert field in str(err) and f"offset {start}" in str(err)
            checked += 1
    assert checked == layout[-1][1]


def test_custom_any_cut_after_the_size_field_decodes() -> None:
    for cut in range(48, len(CUSTOM_SHORT) + 1):
        obj = decode(CUSTOM_SHORT[:cut])
        assert isinstance(obj, ObjrefCustom)
        assert obj.object_data == CUSTOM_SHORT[48:cut] and obj.truncated
        assert encode(obj) == CUSTOM_SHORT[:cut]


# ---------------------------------------------------------------- errors: bad values


def _std_with(dsa: bytes) -> bytes:
    return MEOW + struct.pack("<I", 1) + IID_IUNKNOWN_LE + STD_FIELDS + dsa


@pytest.mark.parametrize(
    ("data", "field", "offset"),
    [
        (b"MEOX" + WINE_IPERSIST[4:], "OBJREF.signature", 0),
        (MEOW + struct.pack("<I", 0) + WINE_IPERSIST[8:], "OBJREF.flags", 4),
        (MEOW + struct.pack("<I", 3) + WINE_IPERSIST[8:], "OBJREF.flags", 4),
        (MEOW + struct.pack("<I", 0x10) + WINE_IPERSIST[8:], "OBJREF.flags", 4),
        (EXTENDED[:64] + b"XXXX" + EXTENDED[68:], "OBJREF_EXTENDED.Signature1", 64),
        # wSecurityOffset beyond wNumEntries
        (_std_with(struct.pack("<HH", 4, 5) + b"\x00" * 8), "DUALSTRINGARRAY.wSecurityOffset", 66),
        (_std_with(struct.pack("<HH", 0, 1)), "DUALSTRINGARRAY.wSecurityOffset", 66),
        # network address without its NUL inside the array
        (
            _std_with(struct.pack("<HH", 3, 3) + struct.pack("<H", 7) + "ab".encode("utf-16-le")),
            "STRINGBINDING[0].aNetworkAddr",
            70,
        ),
        # string list without terminator
        (_std_with(struct.pack("<HH", 3, 3) + struct.pack("<H", 7) + w("a")), "DUALSTRINGARRAY.aStringArray", 74),
        # security list without terminator
        (
            _std_with(struct.pack("<HH", 4, 2) + b"\x00\x00\x00\x00" + struct.pack("<HH", 10, 0xFFFF)),
            "SECURITYBINDING[0].aPrincName",
            76,
        ),
        (
            _std_with(struct.pack("<HH", 3, 2) + b"\x00\x00\x00\x00" + struct.pack("<H", 10)),
            "SECURITYBINDING[0].wAuthzSvc",
            74,
        ),
        (_std_with(struct.pack("<HH", 2, 2) + b"\x00\x00\x00\x00"), "DUALSTRINGARRAY.aStringArray", 72),
        # wNumEntries larger than the data
        (_std_with(struct.pack("<HH", 0xFFFF, 0)), "DUALSTRINGARRAY.aStringArray", 68),
    ],
)
def test_bad_values(data: bytes, field: str, offset: int) -> None:
    with pytest.raises(ObjrefError) as ei:
        decode(data)
    assert (ei.value.field, ei.value.offset) == (field, offset), ei.value
    assert isinstance(ei.value, ValueError)


def test_extended_bad_counts_and_signature2() -> None:
    n_at = 64 + 4 + len(DSA_REAL)
    bad_n = EXTENDED[:n_at] + struct.pack("<I", 2) + EXTENDED[n_at + 4 :]
    with pytest.raises(ObjrefError) as ei:
        decode(bad_n)
    assert (ei.value.field, ei.value.offset) == ("OBJREF_EXTENDED.nElms", n_at)
    bad_sig2 = EXTENDED[: n_at + 4] + b"\x00\x00\x00\x00" + EXTENDED[n_at + 8 :]
    with pytest.raises(ObjrefError) as ei:
        decode(bad_sig2)
    assert (ei.value.field, ei.value.offset) == ("OBJREF_EXTENDED.Signature2", n_at + 4)
    rounded_at = n_at + 8 + 16 + 4
    huge = EXTENDED[:rounded_at] + struct.pack("<I", 0xFFFFFFFF) + EXTENDED[rounded_at + 4 :]
    with pytest.raises(ObjrefError) as ei:
        decode(huge)
    assert (ei.value.field, ei.value.offset) == ("DATAELEMENT.Data", rounded_at + 4)


def test_non_bytes_input_is_an_objref_error() -> None:
    with pytest.raises(ObjrefError) as ei:
        decode("MEOW")  # type: ignore[arg-type]
    assert ei.value.field == "input"
    assert decode(bytearray(WINE_IPERSIST)) == decode(WINE_IPERSIST)
    assert decode(memoryview(WINE_IPERSIST)) == decode(WINE_IPERSIST)


def test_utf16_lone_surrogates_round_trip() -> None:
    entries = struct.pack("<H", 7) + b"\x00\xd8" + b"A\x00" + b"\x00\x00" + b"\x00\x00" + b"\x00\x00\x00\x00"
    data = _std_with(struct.pack("<HH", len(entries) // 2, 5) + entries)
    obj = decode(data)
    assert isinstance(obj, ObjrefStandard) and obj.resolver_address.is_canonical
    assert obj.resolver_address.string_bindings[0].network_addr == "\ud800A"
    assert encode(obj) == data
