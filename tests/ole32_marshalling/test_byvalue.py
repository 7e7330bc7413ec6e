"""Marshal-by-value implemented in Python (ole32_marshalling.byvalue): the receiver gets its own copy, across
apartments and across processes; the marshal data holds no references; bad payloads fail typed and leak nothing."""

import os
import struct
import subprocess
import sys

import pytest
from testlib import ROOT, activate_local

pytestmark = pytest.mark.runtime

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(ROOT, "tests", "ole32_servers", "pyserver.py")


def _is_ours(raw):
    """True when ``raw`` is one of our own objects' pointers (a copy), False for a proxy."""
    from ole32_bindings.dlls import ffi
    from vtables import client

    return int(ffi.cast("uintptr_t", ffi.cast("void **", raw)[0])) in client.our_vtables


def _copy_of(raw):
    from vtables.object import _object_from_pointer

    return _object_from_pointer(raw)


@pytest.fixture
def unmarshaler(mta):
    from ole32_marshalling.byvalue import ByValueUnmarshaler

    with ByValueUnmarshaler.installed():
        yield


def test_across_apartments_the_receiver_gets_a_copy_and_the_data_holds_nothing(unmarshaler):
    from byvalue_point import Point

    from ole32_bindings import marshaling, pointers
    from ole32_marshalling.sta import StaThread
    from vtables.interfaces import IPersist

    with StaThread() as sta:

        def make_and_marshal():
            p = Point(3, 4)
            ptr = p.as_ptr(IPersist)
            stream = marshaling.marshal_inter_thread_interface_in_stream(IPersist.iid, ptr.as_raw())
            refs_after_marshal = p.com_refcount  # the data took no reference
            ptr.release()
            return stream, refs_after_marshal, p.com_destroyed

        stream, refs, destroyed = sta.call(make_and_marshal)
        assert refs == 1 and destroyed  # the original died in its STA before anyone unmarshaled
        raw = marshaling.get_interface_and_release_stream(stream, IPersist.iid)
        try:
            assert _is_ours(raw)  # not a proxy: a Point of this (MTA) apartment
            copy = _copy_of(raw)
            assert (copy.x, copy.y, copy.pid) == (3, 4, os.getpid()) and copy.com_refcount == 1
            assert copy._com_thread != sta._thread.ident
        finally:
            assert pointers.release(raw) == 0


def test_capture_shows_the_exact_size_and_the_payload(unmarshaler):
    from byvalue_point import Point

    from ole32_bindings import objref
    from ole32_bindings.constants import MSHCTX, MSHLFLAGS
    from ole32_bindings.objref.byvalue import decode_payload
    from ole32_marshalling.capture import capture
    from vtables.interfaces import IPersist

    point = Point(-1, 2)
    with point.as_ptr(IPersist) as ptr:
        for dest in (MSHCTX.INPROC, MSHCTX.LOCAL, MSHCTX.DIFFERENTMACHINE):
            cap = capture(ptr.as_raw(), IPersist.iid, dest, MSHLFLAGS.NORMAL)
            assert isinstance(cap.objref, objref.ObjrefCustom)
            assert cap.objref.clsid == objref.CLSID_PyMarshalByValue
            assert not cap.objref.truncated  # GetMarshalSizeMax is exact: size == the bytes that follow
            payload, used = decode_payload(cap.objref.object_data)
            assert used == len(cap.objref.object_data) == cap.objref.size
            assert payload.name == "ole32_bindings.tests.Point"
            assert struct.unpack("<iiI", payload.state) == (-1, 2, os.getpid())
            # CoGetMarshalSizeMax adds the runtime's own bound for the header (Wine: the size of its largest
            # OBJREF form) to our exact payload size
            assert cap.size_max >= len(cap.data) and cap.size_max - len(cap.data) < 64
        assert point.com_refcount == 1  # capturing took nothing and left nothing


def test_the_state_is_built_once_per_marshal_and_written_as_sized(unmarshaler):
    """CoMarshalInterface asks GetMarshalSizeMax, then MarshalInterface: marshal_state runs once, and the bytes
    written are the ones measured even when the object changes in between (never more than announced)."""
    from byvalue_point import Point

    from ole32_bindings import marshaling, pointers, streams
    from ole32_bindings.constants import MSHCTX, MSHLFLAGS
    from vtables.interfaces import IPersist

    class Counted(Point, by_value_name="ole32_bindings.tests.CountedPoint"):
        calls = 0

        def marshal_state(self):
            Counted.calls += 1
            return super().marshal_state() + b"x" * self.x  # the size follows the state

        @classmethod
        def unmarshal_state(cls, state):
            return cls(*struct.unpack("<iiI", state[:12]))

    obj = Counted(1, 2)
    with obj.as_ptr(IPersist) as ptr:
        stream = streams.create_stream_on_hglobal()
        try:
            marshaling.marshal_interface(stream, IPersist.iid, ptr.as_raw(), MSHCTX.INPROC, MSHLFLAGS.NORMAL)
            assert Counted.calls == 1
            streams.seek(stream, 0)
            pointers.release(marshaling.unmarshal_interface(stream, IPersist.iid))
        finally:
            pointers.release(stream)
        # the IMarshal calls themselves: size, then a change, then the marshal
        size = obj.GetMarshalSizeMax(IPersist.iid, None, MSHCTX.INPROC, None, MSHLFLAGS.NORMAL)
        obj.x = 40
        stream = streams.create_stream_on_hglobal()
        try:
            obj.MarshalInterface(stream, IPersist.iid, None, MSHCTX.INPROC, None, MSHLFLAGS.NORMAL)
            assert streams.seek(stream, 0, 1) == size  # STREAM_SEEK_CUR: exactly what was announced
            streams.seek(stream, 0)
            obj.MarshalInterface(stream, IPersist.iid, None, MSHCTX.INPROC, None, MSHLFLAGS.NORMAL)
            fresh = streams.seek(stream, 0, 1)  # no size question first: built from the current state
        finally:
            pointers.release(stream)
        assert Counted.calls == 3 and fresh == size + 39  # x went from 1 to 40: 39 more bytes of state


def test_table_strong_data_unmarshals_many_copies_then_releases(unmarshaler):
    from byvalue_point import Point

    from ole32_bindings import marshaling, pointers, streams
    from ole32_bindings.constants import MSHCTX, MSHLFLAGS
    from vtables.interfaces import IPersist
    from vtables.object import live_object_count

    before = live_object_count()
    p = Point(5, 6)
    stream = streams.create_stream_on_hglobal()
    try:
        with p.as_ptr(IPersist) as ptr:
            marshaling.marshal_interface(stream, IPersist.iid, ptr.as_raw(), MSHCTX.INPROC, MSHLFLAGS.TABLESTRONG)
            end = streams.seek(stream, 0, 1)
            copies = []
            for _ in range(3):
                streams.seek(stream, 0)
                copies.append(marshaling.unmarshal_interface(stream, IPersist.iid))
                assert streams.seek(stream, 0, 1) == end  # the stream ends right after the data
            objs = [_copy_of(c) for c in copies]
            assert len({id(o) for o in objs}) == 3 and all((o.x, o.y) == (5, 6) for o in objs)
            assert p.com_refcount == 1  # table-strong by-value data holds no reference on the original
            for c in copies:
                assert pointers.release(c) == 0
            streams.seek(stream, 0)
            marshaling.release_marshal_data(stream)
            assert streams.seek(stream, 0, 1) == end
    finally:
        pointers.release(stream)
    assert p.com_destroyed and live_object_count() == before


def test_an_iid_the_class_lacks_is_refused_when_marshaling(unmarshaler):
    from byvalue_point import Point

    from ole32_bindings import marshaling, pointers, streams
    from ole32_bindings.hresult import NoInterfaceError
    from vtables.interfaces import IPersist, IStream

    p = Point().as_ptr(IPersist)
    stream = streams.create_stream_on_hglobal()
    try:
        with pytest.raises(NoInterfaceError):
            marshaling.marshal_interface(stream, IStream.iid, p.as_raw())
    finally:
        pointers.release(stream)
        p.release()


def _custom_objref(payload: bytes, declared: int | None = None) -> bytes:
    from ole32_bindings import objref
    from vtables.interfaces import IPersist

    return objref.encode(
        objref.ObjrefCustom(
            iid=IPersist.iid,
            clsid=objref.CLSID_PyMarshalByValue,
            object_data=payload,
            size=len(payload) if declared is None else declared,
        )
    )


@pytest.mark.parametrize(
    "payload, expected",
    [
        (b"PYMV" + struct.pack("<HH", 1, 5000), "RPC_E_INVALID_OBJREF"),  # name_len beyond its limit
        (b"PYMV" + struct.pack("<HH", 1, 3) + b"abc" + struct.pack("<I", 0xFFFFFFF0), "RPC_E_INVALID_OBJREF"),
        (b"MEOW" + struct.pack("<HH", 1, 1) + b"x" + struct.pack("<I", 0), "RPC_E_INVALID_OBJREF"),  # bad magic
        (b"PYMV" + struct.pack("<HH", 1, 3) + b"abc" + struct.pack("<I", 8) + b"1234", "RPC_E_INVALID_OBJREF"),
        (b"PYMV" + struct.pack("<HH", 1, 7) + b"no.such" + struct.pack("<I", 0), "CLASS_E_CLASSNOTAVAILABLE"),
    ],
)
def test_bad_payloads_give_a_typed_error_and_leak_nothing(unmarshaler, payload, expected):
    from ole32_bindings import marshaling, pointers, streams
    from ole32_bindings.hresult import ComError
    from vtables.interfaces import IPersist
    from vtables.object import live_object_count

    before = live_object_count()
    stream = streams.create_stream_on_hglobal()
    try:
        data = _custom_objref(payload)
        streams.write(stream, data)
        streams.seek(stream, 0)
        with pytest.raises(ComError) as info:
            marshaling.unmarshal_interface(stream, IPersist.iid)
        assert info.value.name == expected, info.value
    finally:
        pointers.release(stream)
    assert live_object_count() == before


def test_across_processes_the_client_gets_the_servers_state(unmarshaler, tmp_path):
    """A Python LocalServer32 whose class is by-value: CoCreateInstance(LOCAL_SERVER) hands back a copy made in
    this process from the state the server wrote (its pid inside), not a proxy; the server then exits."""
    import byvalue_point

    from ole32_bindings import win32
    from ole32_bindings.guid import Guid
    from vtables.interfaces import IPersist

    clsid = Guid.new()
    pid_file = str(tmp_path / "server.pid")
    proc = subprocess.Popen(
        [
            sys.executable,
            SERVER,
            "-Embedding",
            "-PidFile",
            pid_file,
            "-Clsid",
            str(clsid),
            "-ByValue",
            "41",
            "-Linger",
            "0.2",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    try:
        p = activate_local(clsid, IPersist)
        try:
            assert _is_ours(p.as_raw())
            copy = _copy_of(p.as_raw())
            assert isinstance(copy, byvalue_point.Point)
            assert (copy.x, copy.y) == (41, 7) and copy.pid == proc.pid != os.getpid()
            assert p.GetClassID() == byvalue_point.CLSID_Point  # a local call
        finally:
            p.release()
        assert proc.wait(15) == 0  # the server's object died after marshaling: nothing keeps it running
    finally:
        if proc.poll() is None:
            win32.terminate_process(proc.pid)
            proc.wait(10)


def test_registered_unmarshaler_serves_an_sta_too(mta):
    """installed() registers a class object for the calling apartment only (Wine 8); registered() makes the
    unmarshaler an InprocServer32, so an STA unmarshals by-value data as well."""
    from byvalue_point import Point

    from ole32_bindings import marshaling, objref, pointers, registry
    from ole32_marshalling.byvalue import ByValueUnmarshaler
    from ole32_marshalling.sta import StaThread
    from vtables.interfaces import IPersist

    with ByValueUnmarshaler.registered(), StaThread() as sta:
        with Point(8, 9).as_ptr(IPersist) as p:
            stream = marshaling.marshal_inter_thread_interface_in_stream(IPersist.iid, p.as_raw())

        def unmarshal():
            raw = marshaling.get_interface_and_release_stream(stream, IPersist.iid)
            try:
                copy = _copy_of(raw)
                return _is_ours(raw), (copy.x, copy.y), copy._com_thread == sta._thread.ident
            finally:
                pointers.release(raw)

        assert sta.call(unmarshal) == (True, (8, 9), True)
    assert not registry.key_exists(registry.HKEY_CLASSES_ROOT, f"CLSID\\{objref.CLSID_PyMarshalByValue}")
