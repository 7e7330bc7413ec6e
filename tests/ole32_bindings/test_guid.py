import pytest

from ole32_bindings.guid import GUID_NULL, Guid

IUNKNOWN = "{00000000-0000-0000-C000-000000000046}"


def test_parse_and_format_round_trip():
    g = Guid("{3d840911-8fc7-4c2a-9c7b-05a5f4a82db5}")
    assert str(g) == "{3D840911-8FC7-4C2A-9C7B-05A5F4A82DB5}"
    assert Guid(str(g)) == g
    assert Guid("3D840911-8FC7-4C2A-9C7B-05A5F4A82DB5") == g


def test_bytes_le_is_the_c_struct_layout():
    g = Guid("{00112233-4455-6677-8899-AABBCCDDEEFF}")
    assert g.bytes_le == bytes.fromhex("33221100554477668899AABBCCDDEEFF")
    assert Guid.from_bytes_le(g.bytes_le) == g
    assert g.fields == (0x00112233, 0x4455, 0x6677, bytes.fromhex("8899AABBCCDDEEFF"))


def test_hashable_and_immutable():
    a, b = Guid(IUNKNOWN), Guid(IUNKNOWN.lower())
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != GUID_NULL
    with pytest.raises(AttributeError):
        a.bytes_le = b"x" * 16


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "{}",
        "not-a-guid",
        "{00000000-0000-0000-C000-00000000004}",
        "{00000000-0000-0000-C000-0000000000467}",
        "{0000000G-0000-0000-C000-000000000046}",
        "{00000000-0000-0000-C000-000000000046",
        "00000000-0000-0000-C000-000000000046}",
        "{00000000_0000-0000-C000-000000000046}",
    ],
)
def test_malformed_strings_raise_value_error(bad):
    with pytest.raises(ValueError, match="malformed GUID"):
        Guid(bad)


def test_wrong_types_and_sizes():
    with pytest.raises(TypeError):
        Guid(b"{00000000-0000-0000-C000-000000000046}")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Guid.from_bytes_le(b"\x00" * 15)


def test_new_is_random_version_4():
    a, b = Guid.new(), Guid.new()
    assert a != b
    assert str(a)[15] == "4"


@pytest.mark.runtime
def test_round_trips_against_ole32(mta):
    from ole32_bindings import guidapi
    from ole32_bindings.dlls import ffi

    for _ in range(50):
        g = guidapi.co_create_guid()
        assert guidapi.string_from_guid2(g) == str(g)
        assert guidapi.clsid_from_string(str(g)) == g
        assert guidapi.iid_from_string(str(g)) == g
        c = g.cdata(ffi)
        assert bytes(ffi.buffer(c, 16)) == g.bytes_le
        assert g.cdata(ffi) is c  # made once, reused on the hot path
