"""Explainer: the lines a learner reads, the JSON schema, the annotated layout."""

from __future__ import annotations

import json
import struct

import pytest

from ole32_bindings.guid import Guid
from ole32_bindings.objref import (
    JSON_SCHEMA_ID,
    SORF_NOPING,
    CLSID_InProcFreeMarshaler,
    CLSID_PyMarshalByValue,
    DataElement,
    DualStringArray,
    InterfacePointer,
    ObjrefCustom,
    ObjrefExtended,
    ObjrefHandler,
    ObjrefStandard,
    SecurityBinding,
    StdObjref,
    StringBinding,
    authn_id_from_name,
    authn_name,
    decode,
    encode,
    explain,
    field_spans,
    notes,
    render_text,
    to_json,
    tower_id_from_name,
    tower_name,
)
from ole32_bindings.objref.names import KNOWN_CLSIDS, clsid_info, iid_name, sorf_flag_names

IID_IPERSIST = Guid("{0000010C-0000-0000-C000-000000000046}")
IID_IUNKNOWN = Guid("{00000000-0000-0000-C000-000000000046}")
IPID = Guid("{0000A001-0123-0ABC-1122-334455667788}")
STD = StdObjref(0, 5, 0x0000A1B2C3D4E5F6, 2, IPID)
WINE = (
    b"MEOW"
    + struct.pack("<I", 1)
    + IID_IPERSIST.bytes_le
    + struct.pack("<IIQQ", 0, 5, 0x0000A1B2C3D4E5F6, 2)
    + IPID.bytes_le
    + b"\x00\x00\x00\x00"
)
REAL_DSA = DualStringArray(
    (StringBinding(0x07, "192.168.1.10"), StringBinding(0x1F, "host.example.com")),
    (SecurityBinding(10, 0xFFFF, ""), SecurityBinding(16, 0xFFFF, "host/host.example.com")),
)


def _text(lines: list[str]) -> str:
    return "\n".join(lines)


def test_wine_standard_explanation() -> None:
    obj = decode(WINE)
    text = _text(explain(obj))
    assert "OBJREF_STANDARD" in text
    assert "IPersist" in text
    assert "cPublicRefs = 5" in text and "RemRelease" in text
    assert "OXID" in text and "OID" in text and "IPID" in text
    assert "0x0000A1B2C3D4E5F6" in text
    assert "hint only" in text
    assert "wNumEntries=0" in text and "Wine" in text
    assert "no SORF_NOPING" in text


def test_flags_are_named_and_explained() -> None:
    std = StdObjref(SORF_NOPING | 0x1 | 0x8000, 0, 1, 2, IPID)
    obj = ObjrefStandard(IID_IUNKNOWN, std, REAL_DSA)
    text = _text(explain(obj))
    assert "SORF_NOPING" in text and "pings" in text
    assert "SORF_OXRES1" in text
    assert "0x8000" in text
    assert "cPublicRefs is 0" in text
    assert sorf_flag_names(0x1021) == ["SORF_OXRES1", "SORF_OXRES2", "SORF_NOPING"]
    assert sorf_flag_names(0) == []


def test_bindings_are_named() -> None:
    obj = ObjrefStandard(IID_IUNKNOWN, STD, REAL_DSA)
    text = _text(explain(obj))
    assert "ncacn_ip_tcp" in text and "192.168.1.10" in text
    assert "ncacn_http" in text
    assert "RPC_C_AUTHN_WINNT" in text and "(no SPN)" in text
    assert "RPC_C_AUTHN_GSS_KERBEROS" in text and "host/host.example.com" in text
    assert notes(obj) == []


@pytest.mark.parametrize(
    ("clsid", "name"),
    [
        (CLSID_PyMarshalByValue, "CLSID_PyMarshalByValue"),
        (CLSID_InProcFreeMarshaler, "CLSID_InProcFreeMarshaler"),
        (Guid("{0000031B-0000-0000-C000-000000000046}"), "CLSID_ErrorObject"),
        (Guid("{0000033B-0000-0000-C000-000000000046}"), "CLSID_ContextMarshaler"),
        (Guid("{00000303-0000-0000-C000-000000000046}"), "CLSID_FileMoniker"),
        (Guid("{00000304-0000-0000-C000-000000000046}"), "CLSID_ItemMoniker"),
        (Guid("{00000305-0000-0000-C000-000000000046}"), "CLSID_AntiMoniker"),
        (Guid("{00000306-0000-0000-C000-000000000046}"), "CLSID_PointerMoniker"),
        (Guid("{00000309-0000-0000-C000-000000000046}"), "CLSID_CompositeMoniker"),
        (Guid("{0000031A-0000-0000-C000-000000000046}"), "CLSID_ClassMoniker"),
        (Guid("{00000327-0000-0000-C000-000000000046}"), "CLSID_ObjrefMoniker"),
        (Guid("{00000017-0000-0000-C000-000000000046}"), "CLSID_StdMarshal"),
    ],
)
def test_custom_unmarshaler_is_named(clsid: Guid, name: str) -> None:
    info = clsid_info(clsid)
    assert info is not None and info[0] == name
    obj = ObjrefCustom(IID_IUNKNOWN, clsid, b"\x01\x02")
    text = _text(explain(obj))
    assert name in text and "unmarshaler" in text
    assert to_json(obj)["objref"]["custom"]["clsid"]["name"] == name


def test_unknown_clsid_says_so() -> None:
    obj = ObjrefCustom(IID_IUNKNOWN, Guid("{DEADBEEF-0000-0000-0000-000000000001}"), b"")
    assert "not a class this tool knows" in _text(explain(obj))
    assert len(KNOWN_CLSIDS) >= 12


def test_truncated_custom_is_explained() -> None:
    obj = ObjrefCustom(IID_IUNKNOWN, CLSID_PyMarshalByValue, b"0123456789", cb_extension=4, size=0x100)
    lines = explain(obj)
    text = _text(lines)
    assert "size = 256" in text and "10 bytes present" in text
    assert "GetMarshalSizeMax" in text
    note_lines = [line for line in lines if line.startswith("note: ")]
    assert any("246 missing" in line for line in note_lines)
    assert any("cbExtension is 4" in line for line in note_lines)
    doc = to_json(obj)
    assert doc["objref"]["custom"]["truncated"] is True
    assert doc["objref"]["custom"]["declared_size"] == 256 and doc["objref"]["custom"]["present_size"] == 10


def test_extended_and_handler() -> None:
    el = DataElement(Guid("{11223344-5566-7788-99AA-BBCCDDEEFF00}"), 5, b"ctx!!\x00\x00\x00\x00\x00\x00\x00")
    ext = ObjrefExtended(IID_IUNKNOWN, STD, el, REAL_DSA)
    text = _text(explain(ext))
    assert "OBJREF_EXTENDED" in text and "envoy context" in text and "cbRounded = 12" in text
    assert any("cbRounded is 12" in n for n in notes(ext))
    good = ObjrefExtended(IID_IUNKNOWN, STD, DataElement.build(el.data_id, b"ctx!!"), REAL_DSA)
    assert notes(good) == []
    hnd = ObjrefHandler(IID_IUNKNOWN, STD, Guid("{12345678-ABCD-01EF-0123-456789ABCDEF}"))
    assert "handler class" in _text(explain(hnd))
    assert to_json(hnd)["objref"]["handler_clsid"]["guid"] == "{12345678-ABCD-01EF-0123-456789ABCDEF}"


def test_json_schema() -> None:
    obj = ObjrefStandard(IID_IPERSIST, STD, REAL_DSA, b"\xff")
    doc = to_json(obj)
    assert json.loads(json.dumps(doc)) == doc
    assert doc["schema"] == JSON_SCHEMA_ID == "ole32-bindings.objref/1"
    assert set(doc) == {"schema", "size", "wrapper", "objref", "notes", "hex"}
    assert doc["wrapper"] is None and doc["size"] == len(encode(obj)) and doc["hex"] == encode(obj).hex()
    o = doc["objref"]
    assert set(o) == {"form", "flags", "iid", "std", "resolver_address", "trailing"}
    assert (o["form"], o["flags"], o["iid"]) == ("standard", 1, {"guid": str(IID_IPERSIST), "name": "IPersist"})
    assert o["std"] == {
        "flags": 0,
        "flag_names": [],
        "public_refs": 5,
        "oxid": "0x0000a1b2c3d4e5f6",
        "oid": "0x0000000000000002",
        "ipid": str(IPID),
    }
    ra = o["resolver_address"]
    assert ra["string_bindings"][0] == {"tower_id": 7, "protocol": "ncacn_ip_tcp", "network_addr": "192.168.1.10"}
    assert ra["security_bindings"][1] == {
        "authn_svc": 16,
        "authn_name": "RPC_C_AUTHN_GSS_KERBEROS",
        "authz_svc": 0xFFFF,
        "principal_name": "host/host.example.com",
    }
    assert ra["canonical"] is True and ra["num_entries"] == REAL_DSA.num_entries
    assert o["trailing"] == "ff"
    assert any("trailing" in n for n in doc["notes"])


def test_json_wrapper() -> None:
    ip = InterfacePointer(decode(WINE), b"\x00")
    doc = to_json(ip)
    assert doc["wrapper"] == "MInterfacePointer" and doc["cnt_data"] == 68 and doc["wrapper_trailing"] == "00"
    assert doc["objref"]["form"] == "standard"
    assert "MInterfacePointer" in explain(ip)[0]


@pytest.mark.parametrize(
    "obj",
    [
        decode(WINE),
        ObjrefStandard(IID_IUNKNOWN, STD, REAL_DSA, b"tail"),
        ObjrefStandard(  # a gap word before wSecurityOffset and a padding word after nullterm2
            IID_IUNKNOWN,
            STD,
            DualStringArray(
                REAL_DSA.string_bindings,
                (),
                REAL_DSA.wire_security_offset + 1,
                REAL_DSA.entries[: 2 * REAL_DSA.wire_security_offset] + b"\x00" * 6,
            ),
        ),
        ObjrefHandler(IID_IUNKNOWN, STD, IID_IUNKNOWN),
        ObjrefCustom(IID_IUNKNOWN, CLSID_PyMarshalByValue, b"x" * 40, size=1000),
        ObjrefExtended(IID_IUNKNOWN, STD, DataElement.build(IPID, b"abc"), REAL_DSA),
        InterfacePointer(decode(WINE), b"zz"),
    ],
)
def test_field_spans_tile_the_bytes(obj: object) -> None:
    raw = encode(obj)  # type: ignore[arg-type]
    spans = field_spans(obj)  # type: ignore[arg-type]
    pos = 0
    for span in spans:
        assert span.offset == pos and span.length > 0, span
        pos += span.length
    assert pos == len(raw)
    report = render_text(obj)  # type: ignore[arg-type]
    assert report.startswith(f"{len(raw)} bytes")
    assert all(span.name in report for span in spans)


def test_name_tables() -> None:
    assert tower_name(0x07) == "ncacn_ip_tcp" and tower_id_from_name("NCALRPC") == 0x10
    assert tower_name(0x0F) == "ncacn_np" and tower_name(0x1F) == "ncacn_http" and tower_name(0x99) is None
    assert authn_name(9) == "RPC_C_AUTHN_GSS_NEGOTIATE" and authn_id_from_name("winnt") == 10
    assert authn_name(0xFFFF) == "RPC_C_AUTHN_DEFAULT" and authn_id_from_name("RPC_C_AUTHN_GSS_KERBEROS") == 16
    assert iid_name(IID_IPERSIST) == "IPersist" and iid_name(IPID) is None
