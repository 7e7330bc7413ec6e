"""Property tests: round trips on generated OBJREFs; hostile bytes only ever raise ObjrefError.

Kept small (a few thousand cases in all); tools/fuzz_objref.py runs the long version.
"""

from __future__ import annotations

import json
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ole32_bindings.guid import Guid
from ole32_bindings.objref import (
    EMPTY_DUALSTRINGARRAY,
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
    explain,
    parse_input,
    render_text,
    to_json,
)

FAST = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

guids = st.binary(min_size=16, max_size=16).map(Guid.from_bytes_le)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
u64 = st.integers(0, 0xFFFFFFFFFFFFFFFF)
names = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=12)

std_objrefs = st.builds(StdObjref, u32, u32, u64, u64, guids)
string_bindings = st.builds(StringBinding, st.integers(1, 0xFFFF), names)
security_bindings = st.builds(SecurityBinding, st.integers(1, 0xFFFF), u16, names)


@st.composite
def dual_string_arrays(draw: st.DrawFn) -> DualStringArray:
    sbs = tuple(draw(st.lists(string_bindings, max_size=3)))
    secs = tuple(draw(st.lists(security_bindings, max_size=3)))
    canonical = DualStringArray(sbs, secs)
    kind = draw(st.sampled_from(["canonical", "wine", "padded"]))
    if kind == "wine":
        return EMPTY_DUALSTRINGARRAY
    if kind == "padded":  # extra words after nullterm2 stay inside wNumEntries
        pad = draw(st.binary(min_size=1, max_size=4).map(lambda b: b + b"\x00" * (len(b) % 2)))
        return DualStringArray(sbs, secs, canonical.wire_security_offset, canonical.entries + pad)
    return canonical


data_elements = st.one_of(
    st.builds(DataElement.build, guids, st.binary(max_size=20)),
    st.builds(DataElement, guids, u32, st.binary(max_size=20)),
)
trailing = st.binary(max_size=6)
objrefs = st.one_of(
    st.builds(ObjrefStandard, guids, std_objrefs, dual_string_arrays(), trailing),
    st.builds(ObjrefHandler, guids, std_objrefs, guids, dual_string_arrays(), trailing),
    st.builds(ObjrefCustom, guids, guids, st.binary(max_size=40), u32, st.one_of(st.none(), u32)),
    st.builds(ObjrefExtended, guids, std_objrefs, data_elements, dual_string_arrays(), trailing),
)
anything = st.one_of(objrefs, st.builds(InterfacePointer, objrefs, trailing))


def _describe_all(obj: object) -> None:
    """The explainers must work on anything the decoder returns, and to_json must be JSON."""
    assert explain(obj)  # type: ignore[arg-type]
    assert render_text(obj)  # type: ignore[arg-type]
    doc = to_json(obj)  # type: ignore[arg-type]
    assert json.loads(json.dumps(doc)) == doc


@FAST
@given(anything)
def test_round_trip_structures(obj: object) -> None:
    data = encode(obj)  # type: ignore[arg-type]
    back = decode_any(data) if isinstance(obj, InterfacePointer) else decode(data)
    assert back == obj
    assert encode(back) == data
    _describe_all(back)


def _check_bytes(data: bytes) -> None:
    """Either a structure that re-encodes to exactly these bytes, or an ObjrefError with offset and field."""
    for fn in (decode, decode_interface_pointer, decode_any):
        try:
            obj = fn(data)
        except ObjrefError as exc:
            assert isinstance(exc.offset, int) and 0 <= exc.offset <= len(data)
            assert exc.field and exc.field in str(exc)
            continue
        assert encode(obj) == data
        assert fn(encode(obj)) == obj


@settings(max_examples=600, deadline=None, database=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes(data: bytes) -> None:
    _check_bytes(data)


@settings(max_examples=600, deadline=None, database=None)
@given(st.sampled_from([b"MEOW" + struct.pack("<I", f) for f in (1, 2, 4, 8)]), st.binary(max_size=160))
def test_arbitrary_bytes_after_a_valid_header(head: bytes, tail: bytes) -> None:
    _check_bytes(head + tail)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(encode(draw(anything)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "set16", "set32", "cut", "insert", "delete"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set16":
            data[pos : pos + 2] = struct.pack("<H", draw(st.sampled_from([0, 1, 2, 0x7FFF, 0xFFFF])))
        elif op == "set32":
            data[pos : pos + 4] = struct.pack("<I", draw(st.sampled_from([0, 1, 8, 0x7FFFFFFF, 0xFFFFFFFF])))
        elif op == "cut":
            del data[pos:]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=4))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 4))]
    return bytes(data)


@settings(max_examples=800, deadline=None, database=None)
@given(mutated())
def test_mutated_objrefs(data: bytes) -> None:
    _check_bytes(data)
    try:
        obj = decode_any(data)
    except ObjrefError:
        return
    _describe_all(obj)


@settings(max_examples=300, deadline=None, database=None)
@given(st.one_of(st.text(max_size=80), st.text(alphabet="0123456789abcdefOBJREF:x ,=+/", max_size=80)))
def test_parse_input_never_raises_anything_else(text: str) -> None:
    try:
        data = parse_input(text)
    except ObjrefError as exc:
        assert exc.field.startswith("input")
        return
    assert isinstance(data, bytes)
