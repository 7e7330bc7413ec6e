"""Just-in-time activation behind the interceptor: the client holds the interceptor (its identity and counts are
exact), the real object comes at the first call and goes when the doneness bit is set (set_complete, set_abort,
deactivate_on_return, @auto_complete, an @auto_complete method that raises), Dispose and the final Release."""

import pytest
from servicedtargets import IBenchTarget, build
from testlib import guid, load

pytestmark = pytest.mark.runtime

RPC_E_DISCONNECTED = 0x80010108
CONTEXT_E_NOCONTEXT = 0x8004E004


def _jit(pool=None, **kw):
    from ole32_servers.services import JustInTimeActivation, ObjectPooling

    services = [JustInTimeActivation()]
    if pool is not None:
        services.append(ObjectPooling(*pool))
    return build("Jit", services, **kw)


def _factory_ptr(cls):
    from ole32_servers.services import ServicedClassFactory
    from vtables.interfaces import IClassFactory

    factory = ServicedClassFactory(cls)
    return factory, factory.as_ptr(IClassFactory)


def _new(cf):
    return cf.CreateInstance(None, IBenchTarget.iid)


def _interceptor(p):
    from ole32_bindings.dlls import ffi

    return ffi.from_handle(ffi.cast("void **", p.as_raw())[1])


def _kinds(events, serial):
    return [e[0] for e in events if e[1] == serial]


def test_client_holds_the_interceptor_its_identity_and_counts_are_exact(mta):
    from ole32_bindings.dlls import ffi
    from vtables.interfaces import IObjectConstruct, IObjectControl, IObjectDispose, IUnknown

    _, lib = load()
    T = _jit()
    factory, cf = _factory_ptr(T)
    with cf, _new(cf) as p:
        icp = _interceptor(p)
        assert type(icp).__name__ == "JitInterceptor" and icp.attached is None  # nothing made before a call
        assert T.events == []
        assert icp.com_refcount == 1
        raw = p.as_raw()
        out = ffi.new("void **")
        assert lib.TL_QueryInterface(raw, guid(IUnknown.iid), out) == 0
        unk = out[0]
        assert lib.TL_QueryInterface(raw, guid(IObjectDispose.iid), out) == 0
        disp = out[0]
        assert lib.TL_QueryInterface(disp, guid(IUnknown.iid), out) == 0
        assert int(ffi.cast("uintptr_t", out[0])) == int(ffi.cast("uintptr_t", unk))  # one identity
        assert lib.TL_Release(out[0]) == 3
        for iid in (IObjectControl.iid, IObjectConstruct.iid):  # the infrastructure's, not the client's
            assert lib.TL_QueryInterface(raw, guid(iid), out) & 0xFFFFFFFF == 0x80004002
        assert p.Work(0) == 1  # the first call makes the real object
        real = icp.attached
        assert real is not None and real.com_refcount == 1  # the interceptor's one reference
        assert lib.TL_AddRef(raw) == 4 and lib.TL_Release(raw) == 3
        assert lib.TL_Release(disp) == 2 and lib.TL_Release(unk) == 1
        assert icp.com_refcount == 1
    assert icp.com_destroyed and real.com_destroyed  # final Release without Dispose: cleaned up
    assert _kinds(T.events, 1) == ["new", "Activate", "Work", "Deactivate", "destroyed"]
    assert factory.com_destroyed


@pytest.mark.parametrize("command", [1, 2, 3])
def test_doneness_deactivates_and_the_next_call_gets_a_fresh_object(mta, command):
    """1: set_complete(); 2: set_abort(); 3: object_context().deactivate_on_return = True."""
    T = _jit()
    _factory, cf = _factory_ptr(T)
    with cf, _new(cf) as p:
        assert p.Work(0) == 1
        assert p.Work(0) == 1  # no doneness: the same real object
        assert p.Work(command) == 1  # doneness set: deactivated on return
        assert _kinds(T.events, 1) == ["new", "Activate", "Work", "Work", "Work", "Deactivate", "destroyed"]
        assert _interceptor(p).attached is None
        assert p.Work(0) == 2  # a fresh one
    assert _kinds(T.events, 2) == ["new", "Activate", "Work", "Deactivate", "destroyed"]


def test_auto_complete_sets_doneness_and_aborts_when_the_method_raises(mta):
    from ole32_bindings.hresult import InvalidArgError
    from ole32_servers.services import context

    T = _jit(auto_complete_work=True)
    _factory, cf = _factory_ptr(T)
    with cf, _new(cf) as p:
        assert p.Work(0) == 1 and p.Work(0) == 2  # every call: activate, call, deactivate
        with pytest.raises(InvalidArgError) as e:  # ValueError -> E_INVALIDARG, as everywhere
            p.Work(-1)
        assert "Work(-1) refuses" in str(e.value)
        assert _kinds(T.events, 3) == ["new", "Activate", "Deactivate", "destroyed"]  # aborted: deactivated too
        assert context.current() is None  # the call's context does not leak into the caller's thread
        assert p.Work(0) == 4


def test_jit_with_pooling_reuses_the_object_in_the_article_order(mta):
    T = _jit(pool=(1, 1, 100), auto_complete_work=True)
    factory, cf = _factory_ptr(T)
    with cf, _new(cf) as p:
        for _ in range(3):
            assert p.Work(0) == 1
        assert T.events == [("new", 1)] + [("Activate", 1), ("Work", 1), ("Deactivate", 1), ("CanBePooled", 1)] * 3
        s = factory.pool.statistics()
        assert (s.made, s.in_use, s.idle, s.activations) == (1, 0, 1, 3)
        with _new(cf) as q:  # a second client shares the one pooled object between calls
            assert q.Work(0) == 1 and p.Work(0) == 1
    assert factory.pool.closed and T.events[-1] == ("destroyed", 1)


def test_dispose_ends_it_and_later_calls_fail_disconnected(mta):
    from ole32_bindings.hresult import ComError
    from ole32_servers.services import dispose

    T = _jit(pool=(0, 2, 100))
    factory, cf = _factory_ptr(T)
    with cf, _new(cf) as p:
        assert p.Work(0) == 1
        dispose(p)
        assert factory.pool.statistics().in_use == 0 and T.events[-2:] == [("Deactivate", 1), ("CanBePooled", 1)]
        with pytest.raises(ComError) as e:
            p.Work(0)
        assert e.value.hresult == RPC_E_DISCONNECTED and "disposed" in str(e.value)
        dispose(p)  # a second Dispose is harmless
        assert factory.pool.statistics().activations == 1  # Dispose never reactivated anything
        assert _interceptor(p).com_refcount == 1


def test_dispose_without_a_call_makes_nothing(mta):
    from ole32_servers.services import dispose

    T = _jit()
    _factory, cf = _factory_ptr(T)
    with cf, _new(cf) as p:
        dispose(p)
    assert T.events == []


def test_context_outside_a_call_is_refused(mta):
    from ole32_bindings.hresult import ComError
    from ole32_servers.services import object_context, set_complete

    with pytest.raises(ComError) as e:
        set_complete()
    assert e.value.hresult == CONTEXT_E_NOCONTEXT
    with pytest.raises(ComError):
        object_context()


def test_failures_keep_the_class_as_error_source(mta):
    """The error a forwarded method raises reaches a C++ caller with the class's name as IErrorInfo's source."""
    _, lib = load()
    T = _jit()
    _factory, cf = _factory_ptr(T)
    with cf, _new(cf) as p:
        ffi_, _ = load()
        call_hr = ffi_.new("HRESULT *")
        desc = ffi_.new("wchar_t[]", 256)
        source = ffi_.new("wchar_t[]", 256)
        assert lib.TL_CallAndGetErrorInfo(p.as_raw(), -1, call_hr, desc, 256, source, 256) == 0
        assert call_hr[0] & 0xFFFFFFFF == 0x80070057
        assert ffi_.string(source) == "Jit" and "Work(-1) refuses" in ffi_.string(desc)


def test_activate_failure_fails_the_call_and_the_next_call_tries_again(mta):
    from ole32_bindings.hresult import ComError

    T = _jit()
    _factory, cf = _factory_ptr(T)
    with cf, _new(cf) as p:
        T.fail = {"Activate"}
        with pytest.raises(ComError) as e:
            p.Work(0)
        assert e.value.hresult == 0x8004E021
        T.fail = set()
        assert p.Work(0) == 2
    assert _kinds(T.events, 1) == ["new", "Activate", "destroyed"]


def test_a_dual_class_keeps_jit_through_idispatch(mta):
    """The interceptor's IDispatch (vtables.dispatch, over the same forwarders): a late-bound caller gets the
    services too (the article: unmanaged late-bound clients of managed components lose AutoComplete)."""
    import vtables.dispatch  # noqa: F401 - IDispatch for Python classes
    from ole32_servers.services import JustInTimeActivation, ServicedComponent, auto_complete
    from vtables import method
    from vtables.interfaces import IDispatch
    from vtables.latebound import Dispatch

    class IDualProbe(IDispatch):
        iid = "{1C0B7D50-7E7B-4E55-9E55-0A3A2E6A0002}"
        Serial = method("[id(1)] HRESULT Serial([out, retval] LONG *serial)")

    made = []

    class Dual(ServicedComponent, implements=[IDualProbe], services=[JustInTimeActivation()]):
        def __init__(self):
            made.append(self)

        @auto_complete
        def Serial(self):
            return len(made)

    _factory, cf = _factory_ptr(Dual)
    with cf, cf.CreateInstance(None, IDualProbe.iid) as p:
        assert (p.Serial(), p.Serial()) == (1, 2)  # vtable: a new object per call
        with p.query(IDispatch) as d, Dispatch(d) as late:
            assert (late.Serial(), late.Serial()) == (3, 4)  # IDispatch::Invoke: the same
    assert all(o.com_destroyed for o in made)


def test_calls_into_one_interceptor_from_threads_run_one_at_a_time(mta):
    """Without Synchronization an interceptor still serialises its calls (COM+ forces Synchronization=Required on
    JIT): 4 MTA threads x 50 calls, deactivating every third, never overlap and never activate twice at once."""
    import threading

    from ole32_servers.services import JustInTimeActivation, ObjectPooling, ServicedComponent, set_complete

    inside = [0]
    peak = [0]
    calls = [0]
    guard = threading.Lock()

    class Busy(
        ServicedComponent, implements=[IBenchTarget], services=[JustInTimeActivation(), ObjectPooling(0, 4, 5000)]
    ):
        def Nothing(self):
            return None

        def Work(self, n):
            with guard:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
                calls[0] += 1
                done = calls[0] % 3 == 0
            for _ in range(200):  # long enough for the others to try
                pass
            with guard:
                inside[0] -= 1
            if done:
                set_complete()
            return n

        def CanBePooled(self):
            return True

    factory, cf = _factory_ptr(Busy)
    errors = []
    with cf, _new(cf) as p:
        raw = p.as_raw()
        ffi, lib = load()

        def client():
            from ole32_bindings import apartments

            apartments.co_initialize()
            try:
                out = ffi.new("LONG *")
                for i in range(50):
                    if lib.TL_CallWork(raw, i, out) != 0 or out[0] != i:
                        errors.append(i)
            finally:
                apartments.co_uninitialize()

        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors and calls[0] == 200 and peak[0] == 1
        s = factory.pool.statistics()
        assert s.made == 1 and s.in_use == 1 and s.activations == 1 + 200 // 3  # one object, reused in turn


def test_activate_and_deactivate_see_the_activation_context_and_its_vote(mta):
    from ole32_bindings.hresult import InvalidArgError
    from ole32_servers.services import (
        JustInTimeActivation,
        ServicedComponent,
        auto_complete,
        object_context,
        set_abort,
    )
    from ole32_servers.services.context import TX_ABORT, TX_COMMIT

    seen = []

    class Voter(ServicedComponent, implements=[IBenchTarget], services=[JustInTimeActivation()]):
        def Activate(self):
            seen.append(("Activate", object_context().deactivate_on_return))

        def Deactivate(self):
            seen.append(("Deactivate", object_context().my_transaction_vote))

        def Nothing(self):
            return None

        @auto_complete
        def Work(self, n):
            if n == 1:
                set_abort()  # an explicit vote survives AutoComplete's doneness
            if n == 2:
                raise ValueError("abort by raising")
            return n

    _factory, cf = _factory_ptr(Voter)
    with cf, _new(cf) as p:
        assert p.Work(0) == 0 and p.Work(1) == 1
        with pytest.raises(InvalidArgError):
            p.Work(2)
    assert seen == [
        ("Activate", False),
        ("Deactivate", TX_COMMIT),
        ("Activate", False),
        ("Deactivate", TX_ABORT),
        ("Activate", False),
        ("Deactivate", TX_ABORT),
    ]


def test_refused_interface_aggregation_and_a_plain_class_make_nothing(mta):
    from bench.benchtarget import py_target_class
    from ole32_bindings.hresult import NoAggregationError, NoInterfaceError
    from ole32_servers.services import ServicedClassFactory
    from vtables.interfaces import IPersist, IUnknown

    T = _jit(pool=(0, 1, 100))
    factory, cf = _factory_ptr(T)
    with cf:
        with pytest.raises(NoInterfaceError):
            cf.CreateInstance(None, IPersist.iid)  # the interceptor does not answer it: nothing was activated
        outer = py_target_class()()  # any object of ours as the would-be outer
        with outer.as_ptr(IUnknown) as o, pytest.raises(NoAggregationError):
            cf.CreateInstance(o, IUnknown.iid)
        assert T.events == []
        s = factory.pool.statistics()
        assert (s.made, s.in_use, s.activations) == (0, 0, 0)
    with pytest.raises(TypeError, match="ServicedComponent subclasses"):
        ServicedClassFactory(py_target_class())
