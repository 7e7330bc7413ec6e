"""Client pointers: ownership, outs, S_FALSE, leaks, released pointers, the same-context fast path."""

import gc
import threading

import pytest
from testlib import guid, load

from bench.benchtarget import CLSID_PyTarget, IBenchTarget, make_classes

pytestmark = pytest.mark.runtime


@pytest.fixture(scope="module")
def classes():
    return make_classes()


def test_calls_into_a_cpp_object(mta):
    from vtables.client import client_class
    from vtables.interfaces import IPersist

    ffi, lib = load()
    out = ffi.new("void **")
    assert lib.TL_CreateBenchTarget(ffi.NULL, guid(IBenchTarget.iid), out) == 0
    with client_class(IBenchTarget).from_raw(out[0]) as bench:
        assert bench.Nothing() == 0
        assert bench.Work(100) == 4950
        with bench.query(IPersist) as persist:
            assert str(persist.GetClassID()) == "{B7E0C2A1-4F3D-4E8B-9A61-2C5D7F8E9A01}"
        assert type(bench).__name__ == "IBenchTargetPtr"
    assert lib.TL_LiveObjects() == 0


def test_s_false_stays_visible(mta):
    from ole32_bindings import streams
    from ole32_bindings.dlls import ffi
    from vtables.client import client_class
    from vtables.interfaces import IStream

    with client_class(IStream).from_raw(streams.create_stream_on_hglobal()) as s:
        assert s.Write(b"abc", 3) == 3
        s.Seek(ffi.new("LARGE_INTEGER *")[0], 0, ffi.NULL)
        buf = ffi.new("char[]", 8)
        # preserve_sig: the HRESULT comes with the [out] values (HGLOBAL streams answer a short read with
        # S_OK on Wine and Windows; ISequentialStream allows S_FALSE, which would show up here as 1)
        hr, n = s.Read(buf, 8)
        assert (hr, n, ffi.buffer(buf, 3)[:]) == (0, 3, b"abc")
        assert s.Read(buf, 8) == (0, 0)


def test_s_false_from_a_method_without_outs(mta, classes):
    from ole32_bindings.guid import Guid
    from vtables.interfaces import ISupportErrorInfo

    PyTarget, _ = classes
    with PyTarget.make() as unk:
        with unk.query(ISupportErrorInfo) as fast:
            via = type(fast).__mro__[1].from_borrowed(fast.as_raw(), direct=False)
            try:
                assert via.InterfaceSupportsErrorInfo(Guid("{0BADC0DE-0000-4000-8000-00000000000A}")) == 1
            finally:
                via.release()


def test_ownership_and_released_pointer(mta, classes):
    from vtables.client import ReleasedPointerError

    PyTarget, _ = classes
    obj = PyTarget()
    ptr = obj.as_ptr(IBenchTarget)
    borrowed = type(ptr).from_borrowed(ptr.as_raw())
    assert obj.com_refcount == 2
    raw = borrowed.into_raw()  # the reference moves to us
    assert borrowed.released and obj.com_refcount == 2
    _, lib = load()
    assert lib.TL_Release(raw) == 1
    assert ptr.release() == 0
    with pytest.raises(ReleasedPointerError):
        ptr.Work(1)  # a call on a released (here: destroyed) object is a clear error
    with pytest.raises(ReleasedPointerError):
        ptr.release()


def test_unreleased_wrapper_is_released_and_counted(mta, classes):
    from vtables import leaks

    PyTarget, _ = classes
    obj = PyTarget()
    ptr = obj.as_ptr(IBenchTarget)
    assert obj.com_refcount == 1
    del ptr
    gc.collect()
    assert obj.com_destroyed
    assert leaks.reset_leaked() == 1  # counted (and logged); reset so the leak fixture sees a clean slate


def test_fast_path_in_the_same_context(mta, classes):
    from vtables.client import ReleasedPointerError

    PyTarget, _ = classes
    obj = PyTarget()
    fast = obj.as_ptr(IBenchTarget)
    assert type(fast).__name__ == "IBenchTargetPtrDirect"
    assert "Work" not in vars(fast)  # nothing bound until first use: a wrapper never called costs no binding
    assert fast.Work.__self__ is obj  # the call goes straight to the Python object (vtables.direct's function)
    assert fast.Work.__func__.__code__.co_filename.startswith("<vtables direct")
    assert vars(fast)["Work"] is fast.Work  # bound once, then found in the wrapper itself
    slow = type(fast).__mro__[1].from_borrowed(fast.as_raw(), direct=False)
    assert type(slow).__name__ == "IBenchTargetPtr" and slow.Work(10) == fast.Work(10) == 45
    slow.release()
    fast.release()
    with pytest.raises(ReleasedPointerError):
        fast.Work(1)  # released: the direct methods are gone with the reference
    with pytest.raises(ReleasedPointerError):
        fast.Nothing()  # never bound before the release: the vtable method, which refuses


def test_other_apartment_goes_through_a_proxy(mta, classes):
    """An STA object seen from the MTA: a proxy (not our vtable), calls run on the STA thread."""
    from ole32_bindings import apartments, marshaling, win32
    from ole32_bindings.constants import COINIT, WM_QUIT
    from vtables.client import client_class
    from vtables.interfaces import IPersist

    PyTarget, _ = classes
    seen = {}
    ready = threading.Event()

    class Recorder(PyTarget):
        def GetClassID(self):
            seen["thread"] = win32.current_thread_id()
            return CLSID_PyTarget

    def sta():
        apartments.co_initialize(COINIT.APARTMENTTHREADED)
        try:
            obj = Recorder()
            seen["sta_thread"] = win32.current_thread_id()
            raw = obj.query_raw(IPersist.iid)
            seen["stream"] = marshaling.marshal_inter_thread_interface_in_stream(IPersist.iid, raw)
            ready.set()
            win32.pump_messages()
            load()[1].TL_Release(raw)
        finally:
            apartments.co_uninitialize()

    t = threading.Thread(target=sta)
    t.start()
    assert ready.wait(30)
    try:
        proxy = client_class(IPersist).from_raw(
            marshaling.get_interface_and_release_stream(seen["stream"], IPersist.iid)
        )
        assert type(proxy).__name__ == "IPersistPtr"  # not the direct wrapper
        assert proxy.GetClassID() == CLSID_PyTarget
        assert seen["thread"] == seen["sta_thread"] != win32.current_thread_id()
        proxy.release()
    finally:
        win32.post_thread_message(seen["sta_thread"], WM_QUIT)
        t.join(30)
    assert not t.is_alive()


def test_out_parameters_of_one_name_in_two_methods_keep_their_own_types(mta):
    """Two methods of an interface whose [out] parameters share a name but not a type (``value``: a LONG, then a
    GUID): each method's generated client allocates its own type (they used to share one slot, the last one)."""
    from ole32_bindings.guid import Guid
    from vtables.client import client_class
    from vtables.declare import method
    from vtables.interfaces import IUnknown
    from vtables.object import ComObject

    class ITwoValues(IUnknown):
        iid = "{2C6E4F1A-7B3D-4C59-8E21-9A0B1C2D3E4F}"
        GetNumber = method("HRESULT GetNumber([out] LONG *value)")
        GetId = method("HRESULT GetId([out] GUID *value)")

    gid = Guid("{2C6E4F1A-7B3D-4C59-8E21-9A0B1C2D3E50}")

    class TwoValues(ComObject, implements=[ITwoValues]):
        def GetNumber(self):
            return 42

        def GetId(self):
            return gid

    obj = TwoValues()
    with client_class(ITwoValues).from_raw(obj.query_raw(ITwoValues.iid), direct=False) as p:
        assert p.GetNumber() == 42
        assert p.GetId() == gid
