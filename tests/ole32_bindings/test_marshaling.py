import struct

import pytest

pytestmark = pytest.mark.runtime


def test_marshal_a_stream_writes_a_standard_objref(mta):
    from ole32_bindings import marshaling, pointers, streams
    from ole32_bindings import wellknown as w
    from ole32_bindings.constants import MSHCTX, MSHLFLAGS

    target = streams.create_stream_on_hglobal()
    carrier = streams.create_stream_on_hglobal()
    try:
        size_max = marshaling.get_marshal_size_max(w.IID_IStream, target, MSHCTX.LOCAL)
        marshaling.marshal_interface(carrier, w.IID_IStream, target, MSHCTX.LOCAL, MSHLFLAGS.NORMAL)
        data = streams.stream_bytes(carrier, size_max)
        signature, flags = struct.unpack_from("<II", data)
        assert data[:4] == b"MEOW" and signature == 0x574F454D
        assert flags == 1  # OBJREF_STANDARD
        assert data[8:24] == w.IID_IStream.bytes_le
        # The marshal data holds a reference on the stream until released.
        streams.seek(carrier, 0)
        marshaling.release_marshal_data(carrier)
    finally:
        pointers.release(carrier)
        assert pointers.release(target) == 0
