"""Object pooling in the class object: MinPoolSize made with the class object, objects handed out and taken back
(Activate; Deactivate, CanBePooled), the refcount rule (the client's last Release returns the object, never
destroys it), exhaustion (a wait, then CO_E_ACTIVATIONFAILED_TIMEOUT), failures that destroy instead of reuse,
threads, and the statistics the application reads."""

import threading

import pytest
from servicedtargets import IBenchTarget, build
from testlib import guid, load

pytestmark = pytest.mark.runtime

CO_E_ACTIVATIONFAILED = 0x8004E021
CO_E_ACTIVATIONFAILED_TIMEOUT = 0x8004E024


def _pooling(lo, hi, timeout_ms):
    from ole32_servers.services import ObjectPooling

    return ObjectPooling(min_pool_size=lo, max_pool_size=hi, creation_timeout=timeout_ms)


def _registered(cls):
    """(factory, ClassObjects) with ``cls`` registered in process under a fresh CLSID."""
    from ole32_bindings.constants import CLSCTX
    from ole32_bindings.guid import Guid
    from ole32_servers.classobjects import ClassObjects
    from ole32_servers.services import ServicedClassFactory

    clsid = Guid.new()
    factory = ServicedClassFactory(cls)
    reg = ClassObjects()
    reg.register(clsid, factory, CLSCTX.INPROC_SERVER)
    return clsid, factory, reg


def _create(clsid):
    from ole32_bindings import activation
    from ole32_bindings.constants import CLSCTX
    from vtables.client import client_class

    return client_class(IBenchTarget).from_raw(
        activation.create_instance(clsid, IBenchTarget.iid, CLSCTX.INPROC_SERVER)
    )


def _stats(factory):
    s = factory.pool.statistics()
    return (s.made, s.in_use, s.idle, s.waits, s.timeouts, s.destroyed, s.activations)


def test_min_pool_made_with_the_class_object_and_reused(mta):
    T = build("Pooled", [_pooling(2, 4, 1000)])
    clsid, factory, reg = _registered(T)
    try:
        assert [e for e in T.events] == [("new", 1), ("new", 2)]  # MinPoolSize objects, before any client
        assert _stats(factory) == (2, 0, 2, 0, 0, 0, 0)
        for _ in range(5):
            with _create(clsid) as p:
                assert p.Work(0) == 2  # the most recently returned (warm) object, every time
        assert _stats(factory) == (2, 0, 2, 0, 0, 0, 5)
        assert T.events[2:6] == [("Activate", 2), ("Work", 2), ("Deactivate", 2), ("CanBePooled", 2)]
        assert not [e for e in T.events if e[0] == "destroyed"]
    finally:
        reg.revoke_all()
    assert factory.com_destroyed and factory.pool.closed  # COM released the class object: the pool closed
    assert sorted(e for e in T.events if e[0] == "destroyed") == [("destroyed", 1), ("destroyed", 2)]
    assert _stats(factory) == (2, 0, 0, 0, 0, 2, 5)


def test_the_clients_last_release_returns_the_object_with_its_identity(mta):
    """The rule: an object leaves the pool with one reference, the client's; its 1 -> 0 is its return. Counts
    are read from a C++ caller (AddRef/Release return values)."""
    from ole32_bindings.dlls import ffi

    _, lib = load()
    T = build("Identity", [_pooling(1, 1, 100)])
    clsid, factory, reg = _registered(T)
    try:
        p = _create(clsid)
        raw = p.into_raw()
        obj = ffi.from_handle(ffi.cast("void **", raw)[1])
        assert obj.com_refcount == 1  # exactly the client's reference
        assert lib.TL_AddRef(raw) == 2
        assert lib.TL_Release(raw) == 1
        out = ffi.new("void **")
        assert lib.TL_QueryInterface(raw, guid(IBenchTarget.iid), out) == 0 and lib.TL_Release(out[0]) == 1
        identity = obj.query_raw(__import__("vtables.interfaces", fromlist=["IUnknown"]).IUnknown.iid)
        assert lib.TL_Release(identity) == 1
        assert lib.TL_Release(raw) == 0  # the client's last Release
        assert not obj.com_destroyed and obj.com_refcount == 0  # back in the pool, not destroyed
        assert _stats(factory) == (1, 0, 1, 0, 0, 0, 1)
        from vtables.object import live_objects

        assert obj not in live_objects()  # idle: not live, like a new object
        with _create(clsid) as q:  # the same object again, at the same address (its identity is reused)
            assert int(ffi.cast("uintptr_t", q.as_raw())) == int(ffi.cast("uintptr_t", raw))
            assert obj.com_refcount == 1
        assert T.events.count(("Activate", 1)) == 2
    finally:
        reg.revoke_all()
    assert obj.com_destroyed


def test_refused_or_failing_objects_are_destroyed_not_reused(mta):
    T = build("Refusing", [_pooling(1, 2, 100)], poolable=False)
    clsid, factory, reg = _registered(T)
    try:
        with _create(clsid) as p:
            assert p.Work(0) == 1
        assert ("destroyed", 1) in T.events  # CanBePooled said no
        assert T.events[-1] == ("new", 2)  # MinPoolSize kept: a replacement, made on the releasing thread
        assert _stats(factory) == (2, 0, 1, 0, 0, 1, 1)
        T.poolable = True
        T.fail = {"Deactivate"}
        with _create(clsid) as p:
            assert p.Work(0) == 2  # the replacement: 1 is gone
        assert ("destroyed", 2) in T.events and ("CanBePooled", 2) not in T.events  # Deactivate raised
        T.fail = {"CanBePooled"}
        with _create(clsid) as p:
            assert p.Work(0) == 3
        assert ("destroyed", 3) in T.events
        assert _stats(factory) == (4, 0, 1, 0, 0, 3, 3)
    finally:
        reg.revoke_all()


def test_activate_that_raises_fails_the_activation_and_restores_the_counts(mta):
    from ole32_bindings.hresult import ComError

    T = build("BadActivate", [_pooling(1, 1, 100)])
    clsid, factory, reg = _registered(T)
    try:
        T.fail = {"Activate"}
        with pytest.raises(ComError) as e:
            _create(clsid)
        assert e.value.hresult == CO_E_ACTIVATIONFAILED
        assert ("destroyed", 1) in T.events
        assert _stats(factory) == (2, 0, 1, 0, 0, 1, 0)  # nothing in use; MinPoolSize kept with a replacement
        T.fail = set()
        with _create(clsid) as p:
            assert p.Work(0) == 2
        assert _stats(factory) == (2, 0, 1, 0, 0, 1, 1)
    finally:
        reg.revoke_all()


def test_exhausted_pool_waits_then_times_out(mta):
    from ole32_bindings.hresult import ComError

    T = build("Exhausted", [_pooling(0, 2, 200)])
    clsid, factory, reg = _registered(T)
    try:
        a, b = _create(clsid), _create(clsid)
        with pytest.raises(ComError) as e:
            _create(clsid)  # waits CreationTimeOut, then fails
        assert e.value.hresult == CO_E_ACTIVATIONFAILED_TIMEOUT
        assert _stats(factory) == (2, 2, 0, 1, 1, 0, 2)
        # A waiter gets the object another thread gives back during its wait.
        timer = threading.Timer(0.05, a.release)
        timer.start()
        with _create(clsid) as c:
            assert c.Work(0) == 1
        timer.join()
        b.release()
        assert _stats(factory) == (2, 0, 2, 2, 1, 0, 3)
    finally:
        reg.revoke_all()


def test_threads_never_exceed_the_maximum_and_lose_nothing(mta):
    T = build("Threads", [_pooling(1, 3, 10_000)])
    clsid, factory, reg = _registered(T)
    peak = [0]
    inside = [0]
    guard = threading.Lock()
    errors = []

    def client():
        from ole32_bindings import apartments

        apartments.co_initialize()
        try:
            for _ in range(40):
                with _create(clsid) as p:
                    with guard:
                        inside[0] += 1
                        peak[0] = max(peak[0], inside[0])
                    p.Work(0)
                    with guard:
                        inside[0] -= 1
        except Exception as e:
            errors.append(e)
        finally:
            apartments.co_uninitialize()

    try:
        threads = [threading.Thread(target=client) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        made, in_use, idle, _waits, timeouts, destroyed, activations = _stats(factory)
        assert peak[0] <= 3 and made <= 3 and (in_use, timeouts, destroyed) == (0, 0, 0)
        assert idle == made and activations == 240
        assert T.events.count(("Activate", 1)) >= 1
    finally:
        reg.revoke_all()


def test_native_client_activation_loop_and_class_factory_loop(mta):
    """A C++ client (CoCreateInstance + Release, IClassFactory::CreateInstance + Release) sees the pool."""
    from ole32_bindings.constants import CLSCTX
    from vtables.interfaces import IClassFactory

    _, lib = load()
    T = build("Native", [_pooling(2, 2, 100)])
    clsid, factory, reg = _registered(T)
    try:
        assert lib.TL_LoopCoCreateInstance(guid(clsid), int(CLSCTX.INPROC_SERVER), guid(IBenchTarget.iid), 50) == 0
        with factory.as_ptr(IClassFactory) as cf:
            assert lib.TL_LoopCreateInstance(cf.as_raw(), guid(IBenchTarget.iid), 50) == 0
        assert _stats(factory) == (2, 0, 2, 0, 0, 0, 100)
    finally:
        reg.revoke_all()


def test_refused_interface_gives_the_object_straight_back(mta):
    from ole32_bindings import activation
    from ole32_bindings.constants import CLSCTX
    from ole32_bindings.hresult import NoInterfaceError
    from vtables.interfaces import IPersist

    T = build("NoPersist", [_pooling(1, 1, 100)])
    clsid, factory, reg = _registered(T)
    try:
        with pytest.raises(NoInterfaceError):
            activation.create_instance(clsid, IPersist.iid, CLSCTX.INPROC_SERVER)
        assert _stats(factory) == (1, 0, 1, 0, 0, 0, 1)
        assert T.events[-3:] == [("Activate", 1), ("Deactivate", 1), ("CanBePooled", 1)]
    finally:
        reg.revoke_all()


def test_statistics_readable_by_the_application(mta):
    from ole32_servers.services import pool_of

    T = build("Stats", [_pooling(1, 2, 100)])
    clsid, factory, reg = _registered(T)
    try:
        assert pool_of(T) is factory.pool
        with _create(clsid) as p:
            s = pool_of(T).statistics()
            assert (s.made, s.in_use, s.idle, s.alive) == (1, 1, 0, 1)
            assert p.Work(5) == 1 * 10000 + 1 * 100 + 0  # read from inside a pooled object's method
    finally:
        reg.revoke_all()
    assert pool_of(T) is None  # closed with its class object


def test_a_class_listing_iobjectcontrol_answers_it_through_the_vtable(mta):
    """IObjectControl's methods are the class's own: the pool calls them from Python, and a class that lists the
    interface also answers them through its vtable (what a native caller of comsvcs' contract would use)."""
    from ole32_servers.services import ObjectPooling, ServicedComponent
    from vtables.client import client_class
    from vtables.interfaces import IObjectControl

    calls = []

    class Controlled(ServicedComponent, implements=[IBenchTarget, IObjectControl], services=[ObjectPooling(1, 1, 100)]):
        def Nothing(self):
            return None

        def Work(self, n):
            return n

        def Activate(self):
            calls.append("Activate")

        def Deactivate(self):
            calls.append("Deactivate")

        def CanBePooled(self):
            calls.append("CanBePooled")
            return True

    clsid, _factory, reg = _registered(Controlled)
    try:
        with _create(clsid) as p, p.query(IObjectControl) as fast:
            # through the vtable, not the same-process shortcut
            with client_class(IObjectControl).from_borrowed(fast.as_raw(), direct=False) as oc:
                assert oc.CanBePooled() == 1 and oc.Activate() == 0  # TRUE; S_OK
                oc.Deactivate()  # void
        assert calls == ["Activate", "CanBePooled", "Activate", "Deactivate", "Deactivate", "CanBePooled"]
    finally:
        reg.revoke_all()
