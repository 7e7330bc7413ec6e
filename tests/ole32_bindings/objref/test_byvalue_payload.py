"""The marshal-by-value payload codec (objref.byvalue): exact sizes, round trips, hostile bytes, explanation."""

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ole32_bindings.guid import Guid
from ole32_bindings.objref import CLSID_PyMarshalByValue, ObjrefCustom, ObjrefError, decode, encode, explain, to_json
from ole32_bindings.objref.byvalue import ByValuePayload, decode_payload, encode_payload

IID_IPersist = Guid("{0000010C-0000-0000-C000-000000000046}")


def test_layout_and_exact_size():
    data = encode_payload("demo.Point", b"\x01\x02\x03")
    assert data == b"PYMV" + struct.pack("<HH", 1, 10) + b"demo.Point" + struct.pack("<I", 3) + b"\x01\x02\x03"
    payload, used = decode_payload(data + b"tail")
    assert payload == ByValuePayload("demo.Point", b"\x01\x02\x03") and used == len(data) == payload.size == 25


@given(st.text(min_size=1, max_size=40).filter(lambda s: 1 <= len(s.encode()) <= 1024), st.binary(max_size=300))
@settings(max_examples=300, deadline=None)
def test_round_trip(name, state):
    data = encode_payload(name, state)
    assert decode_payload(data) == (ByValuePayload(name, state), len(data))


@given(st.binary(max_size=64))
@settings(max_examples=2000, deadline=None)
def test_any_bytes_decode_or_raise_objref_error(data):
    try:
        payload, used = decode_payload(data)
    except ObjrefError as exc:
        assert exc.field.startswith("PYMV.") and 0 <= exc.offset <= len(data)
    else:
        assert used <= len(data) and encode_payload(payload.name, payload.state) == data[:used]


@pytest.mark.parametrize(
    "data, field",
    [
        (b"PYM", "PYMV.header"),
        (b"MEOW" + struct.pack("<HH", 1, 1) + b"x" + b"\0" * 4, "PYMV.magic"),
        (b"PYMV" + struct.pack("<HH", 2, 1) + b"x" + b"\0" * 4, "PYMV.version"),
        (b"PYMV" + struct.pack("<HH", 1, 0), "PYMV.name_len"),
        (b"PYMV" + struct.pack("<HH", 1, 5000), "PYMV.name_len"),
        (b"PYMV" + struct.pack("<HH", 1, 2) + b"\xff\xfe" + b"\0" * 4, "PYMV.name"),
        (b"PYMV" + struct.pack("<HH", 1, 1) + b"x" + struct.pack("<I", 0xFFFFFFFF), "PYMV.state_len"),
        (b"PYMV" + struct.pack("<HH", 1, 1) + b"x" + struct.pack("<I", 10) + b"abc", "PYMV.state"),
    ],
)
def test_hostile_payloads_name_the_field(data, field):
    with pytest.raises(ObjrefError) as info:
        decode_payload(data)
    assert info.value.field == field


def test_encode_refuses_what_decode_would():
    with pytest.raises(ValueError):
        encode_payload("", b"")
    with pytest.raises(ValueError):
        encode_payload("x" * 1025, b"")


def test_explained_inside_an_objref_custom():
    payload = encode_payload("demo.Point", b"\x00" * 12)
    obj = ObjrefCustom(iid=IID_IPersist, clsid=CLSID_PyMarshalByValue, object_data=payload, size=len(payload))
    assert decode(encode(obj)) == obj
    text = "\n".join(explain(obj))
    assert "CLSID_PyMarshalByValue" in text and "class 'demo.Point' is rebuilt" in text and "12 bytes of state" in text
    assert to_json(obj)["objref"]["custom"]["by_value"] == {"name": "demo.Point", "state": "00" * 12}
    broken = ObjrefCustom(iid=IID_IPersist, clsid=CLSID_PyMarshalByValue, object_data=b"PYMVxx", size=6)
    assert "does not decode: PYMV.header" in "\n".join(explain(broken))
