"""OBJREFs captured live from the runtime's CoMarshalInterface: decoded, re-encoded by our codec, and fed back
through CoUnmarshalInterface, which must accept our encoder's bytes and give back a working pointer."""

import dataclasses

import pytest

pytestmark = pytest.mark.runtime


def _stream_with(data):
    from ole32_bindings import streams
    from ole32_bindings.dlls import ffi
    from vtables.client import client_class
    from vtables.interfaces import IStream

    s = client_class(IStream).from_raw(streams.create_stream_on_hglobal())
    s.Write(data, len(data))
    s.Seek(ffi.new("LARGE_INTEGER *")[0], 0, ffi.NULL)
    return s


@pytest.mark.parametrize("dest", ["INPROC", "LOCAL"])
def test_live_objref_round_trips_through_our_codec(mta, dest):
    from ole32_bindings import marshaling, objref, streams
    from ole32_bindings.constants import MSHCTX
    from ole32_bindings.dlls import ffi
    from vtables.client import client_class
    from vtables.interfaces import IStream

    target = client_class(IStream).from_raw(streams.create_stream_on_hglobal())
    target.Write(b"payload", 7)
    carrier = client_class(IStream).from_raw(streams.create_stream_on_hglobal())
    try:
        ctx = MSHCTX[dest]
        size = marshaling.get_marshal_size_max(IStream.iid, target.as_raw(), ctx)
        marshaling.marshal_interface(carrier.as_raw(), IStream.iid, target.as_raw(), ctx)
        live = streams.stream_bytes(carrier.as_raw(), size)
        decoded = objref.decode_any(live)
        assert isinstance(decoded, objref.ObjrefStandard) and decoded.iid == IStream.iid
        assert decoded.std.public_refs > 0
        ours = objref.encode(decoded)
        assert live.startswith(ours)  # byte-exact where the runtime's bytes end (the rest is slack)
        # Feed our encoder's output back: the runtime unmarshals it into a pointer to the same stream.
        with _stream_with(ours) as fed:
            back = client_class(IStream).from_raw(marshaling.unmarshal_interface(fed.as_raw(), IStream.iid))
            back.Seek(ffi.new("LARGE_INTEGER *")[0], 0, ffi.NULL)
            buf = ffi.new("char[]", 16)
            _hr, n = back.Read(buf, 16)
            assert (n, ffi.buffer(buf, n)[:]) == (7, b"payload")
            back.release()
    finally:
        carrier.release()
        target.release()


def test_corrupted_objref_is_refused_with_a_typed_error(mta):
    from ole32_bindings import marshaling, objref, streams
    from ole32_bindings.hresult import ComError
    from vtables.client import client_class
    from vtables.interfaces import IStream

    target = client_class(IStream).from_raw(streams.create_stream_on_hglobal())
    carrier = client_class(IStream).from_raw(streams.create_stream_on_hglobal())
    try:
        size = marshaling.get_marshal_size_max(IStream.iid, target.as_raw())
        marshaling.marshal_interface(carrier.as_raw(), IStream.iid, target.as_raw(), 3, 1)  # TABLESTRONG
        decoded = objref.decode_any(streams.stream_bytes(carrier.as_raw(), size))
        bad = dataclasses.replace(decoded, std=dataclasses.replace(decoded.std, oid=decoded.std.oid ^ 0x5A5A))
        with _stream_with(objref.encode(bad)) as fed:
            with pytest.raises(ComError):
                marshaling.unmarshal_interface(fed.as_raw(), IStream.iid)
        with _stream_with(b"MEOW\x01\x00\x00") as fed:  # truncated
            with pytest.raises(ComError):
                marshaling.unmarshal_interface(fed.as_raw(), IStream.iid)
        from ole32_bindings.dlls import ffi

        carrier.Seek(objref_zero(), 0, ffi.NULL)
        marshaling.release_marshal_data(carrier.as_raw())  # the table-strong data held a reference: give it back
    finally:
        carrier.release()
        assert target.release() == 0


def objref_zero():
    from ole32_bindings.dlls import ffi

    return ffi.new("LARGE_INTEGER *")[0]
