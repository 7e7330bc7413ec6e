"""Calls across apartments with exact counts: STA<->MTA and STA<->STA through proxies, agility by class (FTM),
re-entrant callbacks into a waiting STA, the GIT, every MSHLFLAGS and MSHCTX, CoDisconnectObject,
CoLockObjectExternal, RPC_E_WRONG_THREAD and dead apartments.

Counts are the object's own (``com_refcount``), read in its apartment after the runtime has settled. What the
standard marshaler's stub holds while data or proxies exist is the runtime's business (Wine 8: 3 references);
the tests assert that it is held (> 1) and that it returns to exactly the owner's 1, then 0."""

import threading
import time

import pytest

pytestmark = pytest.mark.runtime


@pytest.fixture(scope="module")
def classes():
    from vtables.interfaces import IPersist
    from vtables.object import ComObject

    class Recorder(ComObject, implements=[IPersist]):
        """Records the thread each call ran on."""

        def __init__(self):
            self.threads = []

        def GetClassID(self):
            self.threads.append(threading.get_ident())
            return IPersist.iid

    class AgileRecorder(Recorder, agile=True):
        pass

    return Recorder, AgileRecorder


def _addr(raw):
    from ole32_bindings.dlls import ffi

    return int(ffi.cast("uintptr_t", raw))


def _marshaled(sta, cls, flags=0, dest=None):
    """An object made in ``sta`` (its owner pointer held there) and a stream with its marshal data."""
    from ole32_bindings import marshaling, streams
    from ole32_bindings.constants import MSHCTX
    from vtables.interfaces import IPersist

    def make():
        obj = cls()
        owner = obj.as_ptr(IPersist)
        stream = streams.create_stream_on_hglobal()
        marshaling.marshal_interface(
            stream, IPersist.iid, owner.as_raw(), MSHCTX.INPROC if dest is None else dest, flags
        )
        streams.seek(stream, 0)
        return obj, owner, stream

    return sta.call(make)


def _unmarshal(stream):
    from ole32_bindings import marshaling, streams
    from vtables.client import client_class
    from vtables.interfaces import IPersist

    streams.seek(stream, 0)
    return client_class(IPersist).from_raw(marshaling.unmarshal_interface(stream, IPersist.iid))


@pytest.mark.parametrize("caller", ["MTA", "STA"])
def test_apartment_bound_object_is_called_through_a_proxy_on_its_own_thread(mta, classes, caller):
    from ole32_bindings import marshaling
    from ole32_marshalling.apartments import MtaThread
    from ole32_marshalling.sta import StaThread
    from vtables.interfaces import IPersist

    Recorder, _ = classes
    with StaThread("owner") as owner_sta, StaThread("caller") if caller == "STA" else MtaThread("caller") as other:

        def make():
            o = Recorder()
            p = o.as_ptr(IPersist)
            return o, p, marshaling.marshal_inter_thread_interface_in_stream(IPersist.iid, p.as_raw())

        obj, owner, stream = owner_sta.call(make)

        def use():
            from vtables.client import client_class

            proxy = client_class(IPersist).from_raw(marshaling.get_interface_and_release_stream(stream, IPersist.iid))
            try:
                assert _addr(proxy.as_raw()) != _addr(owner.as_raw())  # a proxy, not the object
                assert proxy.GetClassID() == IPersist.iid
            finally:
                proxy.release()
            return threading.get_ident()

        caller_thread = other.call(use)
        owner_sta.call(lambda: None)
        assert obj.threads == [owner_sta._thread.ident] != [caller_thread]  # ran in its apartment
        assert owner_sta.call(lambda: obj.com_refcount) == 1  # the proxy's references are all returned
        owner_sta.call(owner.release)
    assert obj.com_destroyed


def test_agile_object_hands_over_its_own_pointer_and_runs_on_the_callers_thread(mta, classes):
    from ole32_marshalling.sta import StaThread

    _, AgileRecorder = classes
    with StaThread() as sta:
        obj, owner, stream = _marshaled(sta, AgileRecorder)
        from ole32_bindings import pointers

        direct = _unmarshal(stream)
        pointers.release(stream)
        assert _addr(direct.as_raw()) == _addr(owner.as_raw())  # the FTM passed the pointer itself
        assert obj.com_refcount == 2  # the owner's and ours: no stub in between
        direct.GetClassID()
        assert obj.threads == [threading.get_ident()]  # called directly from the MTA
        direct.release()
        sta.call(owner.release)
    assert obj.com_destroyed and obj._com_ftm is None  # the aggregated FTM was released with the object


def test_a_callback_into_a_waiting_sta_is_served(mta):
    """STA A waits on STA B (StaThread.call pumps) while B calls back into A: no deadlock. And the same through
    COM's own channel: A calls B through a proxy, B calls A back while A's outgoing call is in progress."""
    from ole32_marshalling.context import ApartmentRef
    from ole32_marshalling.sta import StaThread

    with StaThread("A") as a, StaThread("B") as b:
        ref_a = a.call(ApartmentRef.current)
        ref_b = b.call(ApartmentRef.current)
        try:
            # A -> (pumping wait) -> B -> marshalled call into A
            assert a.call(lambda: b.call(lambda: ref_a.call(threading.get_ident), timeout=20)) == a._thread.ident
            # A -> COM call into B -> COM call back into A while A's call is outstanding
            assert a.call(lambda: ref_b.call(lambda: ref_a.call(threading.get_ident))) == a._thread.ident
        finally:
            ref_a.close()
            ref_b.close()


def test_git_register_in_an_sta_get_from_other_apartments_then_revoke(mta, classes):
    from ole32_marshalling.git import GlobalInterfaceTable
    from ole32_marshalling.sta import StaThread
    from vtables.client import client_class
    from vtables.interfaces import IPersist

    Recorder, _ = classes
    with StaThread("owner") as owner_sta, StaThread("other") as other_sta, GlobalInterfaceTable() as git:

        def register():
            o = Recorder()
            with o.as_ptr(IPersist) as p:
                return o, git.register(p.as_raw(), IPersist.iid)

        obj, cookie = owner_sta.call(register)
        assert owner_sta.call(lambda: obj.com_refcount) > 0  # only the GIT keeps it alive now

        def fetch_and_call():
            with client_class(IPersist).from_raw(git.get(cookie, IPersist.iid)) as p:
                p.GetClassID()
            return threading.get_ident()

        fetch_and_call()  # from the MTA
        other_sta.call(fetch_and_call)  # from another STA
        assert owner_sta.call(fetch_and_call) == owner_sta._thread.ident  # in its own apartment: the object itself
        assert obj.threads == [owner_sta._thread.ident] * 3
        git.revoke(cookie)
        owner_sta.call(lambda: None)
        assert obj.com_destroyed  # revoking released the GIT's reference: nothing else held it
        from ole32_bindings.hresult import InvalidArgError

        with pytest.raises(InvalidArgError):  # a cookie revoked twice (or never issued)
            git.revoke(cookie)


def test_normal_data_holds_references_until_unmarshaled_and_is_then_consumed(mta, classes):
    from ole32_bindings import pointers
    from ole32_marshalling.sta import StaThread

    Recorder, _ = classes
    with StaThread() as sta:
        obj, owner, stream = _marshaled(sta, Recorder)
        held = obj.com_refcount
        assert held > 1  # the stub holds the object for the data's references
        proxy = _unmarshal(stream)
        proxy.GetClassID()
        proxy.release()
        sta.call(lambda: None)
        assert obj.com_refcount == 1  # unmarshaling took the data's references; releasing the proxy gave them back
        from ole32_bindings.hresult import ComError

        with pytest.raises(ComError) as info:  # NORMAL data is consumed by its unmarshal
            sta.call(lambda: _release_data(stream))
        assert info.value.name == "RPC_E_INVALID_OBJREF"
        pointers.release(stream)
        sta.call(owner.release)
    assert obj.com_destroyed


def _release_data(stream):
    from ole32_bindings import marshaling, streams

    streams.seek(stream, 0)
    marshaling.release_marshal_data(stream)


def test_normal_data_released_unread_gives_its_references_back(mta, classes):
    from ole32_bindings import pointers
    from ole32_marshalling.sta import StaThread

    Recorder, _ = classes
    with StaThread() as sta:
        obj, owner, stream = _marshaled(sta, Recorder)
        assert obj.com_refcount > 1
        sta.call(lambda: _release_data(stream))
        assert obj.com_refcount == 1
        pointers.release(stream)
        sta.call(owner.release)
    assert obj.com_destroyed


def test_table_strong_data_serves_many_unmarshals_and_holds_until_released(mta, classes):
    from ole32_bindings import objref, pointers, streams
    from ole32_bindings.constants import MSHLFLAGS
    from ole32_marshalling.sta import StaThread

    Recorder, _ = classes
    with StaThread() as sta:
        obj, owner, stream = _marshaled(sta, Recorder, MSHLFLAGS.TABLESTRONG)
        std = objref.decode_any(streams.stream_bytes(stream, 200)).std
        assert std.public_refs == 0  # table data carries no references of its own: the table holds them
        proxies = [_unmarshal(stream) for _ in range(3)]
        for p in proxies:
            p.GetClassID()
            p.release()
        sta.call(lambda: None)
        assert obj.com_refcount > 1  # still held by the table
        sta.call(owner.release)
        assert not obj.com_destroyed  # the table alone keeps it alive
        sta.call(lambda: _release_data(stream))
        assert obj.com_destroyed  # CoReleaseMarshalData gave up the table's hold
        pointers.release(stream)


def test_table_weak_data_does_not_keep_the_object_once_its_clients_are_gone(mta, classes):
    from ole32_bindings import objref, pointers, streams
    from ole32_bindings.constants import MSHLFLAGS
    from ole32_marshalling.sta import StaThread

    Recorder, _ = classes
    with StaThread() as sta:
        obj, owner, stream = _marshaled(sta, Recorder, MSHLFLAGS.TABLEWEAK)
        std = objref.decode_any(streams.stream_bytes(stream, 200)).std
        assert std.public_refs == 0
        proxy = _unmarshal(stream)
        sta.call(owner.release)
        assert not obj.com_destroyed  # a client (the proxy) still holds it
        proxy.GetClassID()
        proxy.release()
        sta.call(lambda: None)
        assert obj.com_destroyed  # the weak table entry did not keep it: the last client was the last holder
        pointers.release(stream)


def test_noping_is_written_into_the_stdobjref(mta, classes):
    from ole32_bindings import objref, pointers, streams
    from ole32_bindings.constants import MSHLFLAGS
    from ole32_marshalling.sta import StaThread

    Recorder, _ = classes
    with StaThread() as sta:
        obj, owner, stream = _marshaled(sta, Recorder, MSHLFLAGS.NOPING)
        std = objref.decode_any(streams.stream_bytes(stream, 200)).std
        assert std.flags & objref.SORF_NOPING and std.public_refs > 0
        proxy = _unmarshal(stream)
        proxy.GetClassID()
        proxy.release()
        pointers.release(stream)
        sta.call(lambda: None)
        assert obj.com_refcount == 1
        sta.call(owner.release)
    assert obj.com_destroyed


@pytest.mark.parametrize("dest", ["INPROC", "LOCAL", "NOSHAREDMEM", "DIFFERENTMACHINE", "CROSSCTX"])
def test_every_destination_context_marshals_standard_data_and_releases_it(mta, classes, dest):
    from ole32_bindings import objref, pointers, streams
    from ole32_bindings.constants import MSHCTX, MSHLFLAGS
    from ole32_marshalling.sta import StaThread

    Recorder, _ = classes
    with StaThread() as sta:
        obj, owner, stream = _marshaled(sta, Recorder, MSHLFLAGS.NORMAL, MSHCTX[dest])
        decoded = objref.decode_any(streams.stream_bytes(stream, 400))
        assert isinstance(decoded, objref.ObjrefStandard) and decoded.std.public_refs > 0
        assert obj.com_refcount > 1
        sta.call(lambda: _release_data(stream))
        assert obj.com_refcount == 1
        pointers.release(stream)
        sta.call(owner.release)
    assert obj.com_destroyed


def test_disconnect_object_cuts_the_proxies_and_releases_the_stub(mta, classes):
    from ole32_bindings import marshaling, pointers
    from ole32_bindings.hresult import ComError
    from ole32_marshalling.sta import StaThread

    Recorder, _ = classes
    with StaThread() as sta:
        obj, owner, stream = _marshaled(sta, Recorder)
        proxy = _unmarshal(stream)
        pointers.release(stream)
        proxy.GetClassID()
        sta.call(lambda: marshaling.disconnect_object(owner.as_raw()))
        assert obj.com_refcount == 1  # the stub let go of everything it held
        with pytest.raises(ComError) as info:
            proxy.GetClassID()
        # Windows: RPC_E_DISCONNECTED; Wine 8: RPC_S_UNKNOWN_IF (the stub's interfaces are unregistered)
        assert info.value.name in ("RPC_E_DISCONNECTED", "CO_E_OBJNOTCONNECTED", "RPC_S_UNKNOWN_IF")
        proxy.release()
        assert obj.threads == [sta._thread.ident]  # only the call before the cut arrived
        sta.call(owner.release)
    assert obj.com_destroyed


def test_lock_object_external_keeps_the_object_until_unlocked(mta, classes):
    from ole32_bindings import marshaling
    from ole32_marshalling.sta import StaThread
    from vtables.interfaces import IPersist

    Recorder, _ = classes
    with StaThread() as sta:

        def lock():
            o = Recorder()
            with o.as_ptr(IPersist) as p:
                marshaling.lock_object_external(p.as_raw(), True)
                assert o.com_refcount == 2  # ours and the lock's (through the stub manager)
            return o

        obj = sta.call(lock)
        assert obj.com_refcount == 1 and not obj.com_destroyed  # only the external lock holds it

        def unlock():
            with obj.as_ptr(IPersist) as p:
                marshaling.lock_object_external(p.as_raw(), False, True)
                assert obj.com_refcount == 1  # the last unlock released the stub's reference

        sta.call(unlock)
    assert obj.com_destroyed


def test_a_proxy_used_from_the_wrong_apartment_is_refused_with_wrong_thread(mta, classes):
    from ole32_bindings import pointers
    from ole32_bindings.hresult import ComError
    from ole32_marshalling.sta import StaThread

    Recorder, _ = classes
    with StaThread("owner") as owner_sta, StaThread("holder") as holder:
        obj, owner, stream = _marshaled(owner_sta, Recorder)
        proxy = holder.call(lambda: _unmarshal(stream))  # the proxy belongs to the holder's STA
        pointers.release(stream)
        with pytest.raises(ComError) as info:
            proxy.GetClassID()  # called from the MTA: COM refuses
        assert info.value.name == "RPC_E_WRONG_THREAD"
        assert obj.threads == []
        holder.call(proxy.release)
        owner_sta.call(lambda: None)
        assert obj.com_refcount == 1
        owner_sta.call(owner.release)
    assert obj.com_destroyed


def test_calls_into_an_apartment_whose_thread_exited_fail_fast(mta, classes):
    from ole32_bindings import pointers
    from ole32_bindings.hresult import ComError
    from ole32_marshalling.apartments import ApartmentThreadError
    from ole32_marshalling.sta import StaThread

    Recorder, _ = classes
    sta = StaThread()
    obj, owner, stream = _marshaled(sta, Recorder)
    proxy = _unmarshal(stream)
    pointers.release(stream)
    sta.call(owner.release)  # only the proxy's stub references remain
    sta.close()  # the apartment ends: CoUninitialize disconnects its stubs
    assert obj.com_destroyed
    t0 = time.monotonic()
    with pytest.raises(ComError) as info:
        proxy.GetClassID()
    assert info.value.name in (
        "RPC_E_DISCONNECTED",
        "CO_E_OBJNOTCONNECTED",
        "RPC_S_UNKNOWN_IF",
        "RPC_E_SERVER_DIED_DNE",
    )
    proxy.release()
    with pytest.raises(ApartmentThreadError):
        sta.call(lambda: None)
    assert time.monotonic() - t0 < 10
