"""Activities (issue 17, item 4): one call at a time per activity from many threads and apartments, re-entry from
the same causality (a callback through proxies, on another OS thread) let through, waits bounded when asked.

The probe objects count how many calls are inside their activity at once (``inside``, under a lock of the test):
that count must never exceed 1. Every thread of a test is joined with a bound, so a deadlock fails the test."""

import os
import threading
import time

import pytest
from testlib import ROOT

pytestmark = pytest.mark.runtime

TLB = os.path.join(ROOT, "build", "tests", "activityprobe.tlb")
JOIN = 60.0  # seconds: a thread still running after this is a deadlock


def _declare():
    from ole32_bindings.guid import Guid
    from vtables import method
    from vtables.interfaces import IUnknown

    class IActivityProbe(IUnknown):
        """Call(n): enter the object's activity (if it has one), count, then call ``next`` with n - 1 while n > 0."""

        iid = Guid("{0C6E1B7A-57D2-4F0B-9A3E-5D1C2B7F4E61}")
        Call = method("HRESULT Call([in] LONG n, [out, retval] LONG *inside)")

    return IActivityProbe


IActivityProbe = _declare()
LIBID = "{0C6E1B7A-57D2-4F0B-9A3E-5D1C2B7F4E62}"


@pytest.fixture(scope="module")
def probe_typelib():
    """IActivityProbe's proxy/stub (the typelib marshaler), for the calls across apartments."""
    from ole32_bindings import apartments
    from ole32_bindings.guid import Guid
    from ole32_servers.typelib import GeneratedTypeLibrary

    lib = GeneratedTypeLibrary(TLB, Guid(LIBID), "ActivityProbeLib", [IActivityProbe])
    with apartments.apartment():
        lib.register()
    yield lib
    with apartments.apartment():
        lib.unregister()


class Counter:
    """How many calls are inside at once, and the most ever seen."""

    def __init__(self):
        self.lock = threading.Lock()
        self.inside = 0
        self.most = 0
        self.calls = 0

    def enter(self):
        with self.lock:
            self.inside += 1
            self.calls += 1
            self.most = max(self.most, self.inside)
            return self.inside

    def leave(self):
        with self.lock:
            self.inside -= 1


def probe_class():
    from ole32_servers.services.synchronization import causality
    from vtables.object import ComObject

    class Probe(ComObject, implements=[IActivityProbe]):
        def __init__(self, activity, counter, dwell=0.0):
            self.activity = activity
            self.counter = counter
            self.dwell = dwell
            self.next = None  # a client pointer in this object's apartment, set by the test
            self.seen = []  # (OS thread, causality) of each call

        def Call(self, n):
            token = self.activity.enter() if self.activity is not None else None
            try:
                inside = self.counter.enter()
                self.seen.append((threading.get_ident(), causality()))
                try:
                    if self.dwell:
                        time.sleep(self.dwell)  # the GIL is released: other callers get every chance to come in
                    if n > 0 and self.next is not None:
                        self.next.Call(n - 1)
                finally:
                    self.counter.leave()
                return inside
            finally:
                if token is not None:
                    self.activity.leave(token)

    return Probe


def _run_threads(targets):
    threads = [threading.Thread(target=t, daemon=True) for t in targets]
    for t in threads:
        t.start()
    deadline = time.monotonic() + JOIN
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    alive = [t for t in threads if t.is_alive()]
    assert not alive, f"{len(alive)} threads still running after {JOIN} s: a deadlock"


def test_causality_is_one_per_thread_and_stable(mta):
    from ole32_bindings import apartments
    from ole32_servers.services.synchronization import causality

    here = causality()
    assert len(here) == 16 and here == causality()
    assert apartments.get_current_logical_thread_id().bytes_le == here
    other = {}
    t = threading.Thread(target=lambda: other.setdefault("id", causality()))
    t.start()
    t.join(JOIN)
    assert other["id"] != here


def _marshal_to(apartment_thread, ptr, iface):
    """A client pointer to ``ptr``'s object in ``apartment_thread``'s apartment (a proxy), made there."""
    from ole32_bindings import marshaling
    from vtables.client import client_class

    stream = marshaling.marshal_inter_thread_interface_in_stream(iface.iid, ptr.as_raw())
    return apartment_thread.call(
        lambda: client_class(iface).from_raw(marshaling.get_interface_and_release_stream(stream, iface.iid))
    )


def test_n_threads_times_m_calls_run_one_at_a_time_across_apartments(mta, probe_typelib):
    """Two objects of one activity in the MTA; 6 MTA threads call them directly, 2 STA threads through proxies
    (their calls arrive on RPC threads). 8 x 25 calls: never two inside at once, every call done, no deadlock."""
    from ole32_marshalling.sta import StaThread
    from ole32_servers.services.synchronization import Activity

    Probe = probe_class()
    activity = Activity("n x m", timeout=30)
    counter = Counter()
    a, b = Probe(activity, counter, 0.0005), Probe(activity, counter, 0.0005)
    pa, pb = a.as_ptr(IActivityProbe), b.as_ptr(IActivityProbe)
    M = 25
    errors = []

    def direct(p):
        def run():
            try:
                for _ in range(M):
                    p.Call(0)
            except BaseException as e:
                errors.append(e)

        return run

    with StaThread("sta1") as s1, StaThread("sta2") as s2:
        proxies = [_marshal_to(s, p, IActivityProbe) for s, p in ((s1, pa), (s2, pb))]
        callers_in_sta = [
            (lambda s=s, px=px: s.call(lambda: [px.Call(0) for _ in range(M)], timeout=JOIN))
            for s, px in zip((s1, s2), proxies, strict=True)
        ]

        def in_sta(run):
            def go():
                try:
                    run()
                except BaseException as e:
                    errors.append(e)

            return go

        borrowed = [(pa if i % 2 else pb).query(IActivityProbe) for i in range(6)]
        _run_threads([direct(p) for p in borrowed] + [in_sta(r) for r in callers_in_sta])
        for p in borrowed:
            p.release()
        for s, px in zip((s1, s2), proxies, strict=True):
            s.call(px.release)
    pa.release()
    pb.release()
    assert not errors, errors
    stats = activity.statistics()
    assert counter.calls == 8 * M
    assert counter.most == 1, f"{counter.most} calls were inside the activity at once"
    assert stats.calls == 8 * M and not stats.busy and stats.waiting == 0
    assert stats.waits > 0, "no call ever found the activity busy: the test did not exercise it"
    assert stats.timeouts == 0 and stats.reentries == 0
    rpc_threads = {t for t, _ in a.seen + b.seen} - {t.ident for t in threading.enumerate()}
    assert rpc_threads, "no call came through a proxy (an RPC thread)"


def test_without_an_activity_the_same_calls_overlap(mta):
    """The counter can fail: the same probes with no activity see several calls inside at once."""
    Probe = probe_class()
    counter = Counter()
    obj = Probe(None, counter, 0.002)
    p = obj.as_ptr(IActivityProbe)
    ptrs = [p.query(IActivityProbe) for _ in range(6)]
    _run_threads([(lambda q=q: [q.Call(0) for _ in range(10)]) for q in ptrs])
    for q in ptrs:
        q.release()
    p.release()
    assert counter.calls == 60
    assert counter.most > 1


def test_a_callback_through_proxies_on_another_thread_re_enters(mta, probe_typelib):
    """A (activity) calls C in an STA through a proxy; C calls B (same activity) through a proxy back into the
    MTA. B's call arrives on an RPC thread, not the thread that holds the activity, with the same causality id:
    it is let through (a lock keyed on OS threads would deadlock here; the activity's timeout would then fail
    the call with CONTEXT_E_SYNCH_TIMEOUT instead of hanging)."""
    from ole32_marshalling.sta import StaThread
    from ole32_servers.services.synchronization import Activity

    Probe = probe_class()
    activity = Activity("callback", timeout=20)
    counter = Counter()
    a, b = Probe(activity, counter), Probe(activity, counter)
    pa, pb = a.as_ptr(IActivityProbe), b.as_ptr(IActivityProbe)
    with StaThread("callee") as sta:
        c_in_sta = sta.call(lambda: Probe(None, Counter()).as_ptr(IActivityProbe))
        # C's proxy in the MTA for A; B's proxy in the STA for C
        from ole32_bindings import marshaling
        from vtables.client import client_class

        stream = sta.call(
            lambda: marshaling.marshal_inter_thread_interface_in_stream(IActivityProbe.iid, c_in_sta.as_raw())
        )
        a.next = client_class(IActivityProbe).from_raw(
            marshaling.get_interface_and_release_stream(stream, IActivityProbe.iid)
        )
        b_in_sta = _marshal_to(sta, pb, IActivityProbe)
        c = sta.call(lambda: _object_of(c_in_sta))
        c.next = b_in_sta
        outcome = {}

        def client():
            try:
                outcome["inside"] = pa.Call(2)  # A -> C (STA) -> B (MTA, same activity)
            except BaseException as e:
                outcome["error"] = e

        _run_threads([client])
        assert "error" not in outcome, outcome
        assert outcome["inside"] == 1
        (a_thread, a_cid), (b_thread, b_cid) = a.seen[0], b.seen[0]
        assert b_thread != a_thread, "the callback arrived on the thread holding the activity: nothing proved"
        assert b_cid == a_cid, "COM did not carry the causality id into the callback"
        assert c.seen[0][1] == a_cid and c.seen[0][0] == sta.thread_id
        assert counter.most == 2  # A and, nested inside it, B: the same causality, one logical thread
        stats = activity.statistics()
        assert stats.calls == 2 and stats.reentries == 1 and stats.waits == 0 and not stats.busy

        c.next = None
        sta.call(b_in_sta.release)
        a.next.release()
        a.next = None
        sta.call(c_in_sta.release)
    pa.release()
    pb.release()


def _object_of(ptr):
    from vtables.object import _object_from_pointer

    return _object_from_pointer(ptr.as_raw())


def test_a_wait_is_bounded_by_the_timeout_with_context_e_synch_timeout(mta):
    from ole32_bindings.hresult import ComError
    from ole32_servers.services.synchronization import CONTEXT_E_SYNCH_TIMEOUT, Activity

    activity = Activity("timeout", timeout=0.2)
    held, release = threading.Event(), threading.Event()

    def holder():
        with activity.entered():
            held.set()
            release.wait(JOIN)

    t = threading.Thread(target=holder)
    t.start()
    assert held.wait(JOIN)
    with pytest.raises(ComError) as info:
        activity.enter()
    assert info.value.hresult == CONTEXT_E_SYNCH_TIMEOUT
    release.set()
    t.join(JOIN)
    token = activity.enter()  # free again: entered at once
    activity.leave(token)
    stats = activity.statistics()
    assert (stats.calls, stats.waits, stats.timeouts, stats.waiting, stats.busy) == (3, 1, 1, 0, False)


def test_waiters_enter_in_arrival_order(mta):
    from ole32_servers.services.synchronization import Activity

    activity = Activity("fifo", timeout=30)
    order = []
    token = activity.enter()
    threads = []
    for i in range(4):
        t = threading.Thread(target=_enter_record_leave, args=(activity, order, i))
        t.start()
        threads.append(t)
        while activity.statistics().waiting < i + 1:  # queued before the next one starts
            time.sleep(0.001)
    activity.leave(token)
    for t in threads:
        t.join(JOIN)
    assert order == [0, 1, 2, 3]
    assert not activity.statistics().busy


def _enter_record_leave(activity, order, i):
    token = activity.enter()
    order.append(i)
    activity.leave(token)


def test_leave_without_enter_is_refused(mta):
    from ole32_servers.services.synchronization import Activity

    activity = Activity()
    with pytest.raises(RuntimeError, match="without a matching enter"):
        activity.leave(b"\0" * 16)


def test_which_activity_a_new_object_joins(mta):
    from ole32_servers.services.declaration import Synchronization
    from ole32_servers.services.synchronization import Activity, activity_for_new_object, current_activity

    assert activity_for_new_object(None) is None
    assert activity_for_new_object(Synchronization("Disabled")) is None
    assert activity_for_new_object(Synchronization("NotSupported")) is None
    assert activity_for_new_object(Synchronization("Supported")) is None  # outside any activity
    fresh = activity_for_new_object(Synchronization("Required"))
    assert isinstance(fresh, Activity) and fresh is not activity_for_new_object(Synchronization("Required"))
    outer = Activity("creator")
    with outer.entered():
        assert current_activity() is outer
        assert activity_for_new_object(Synchronization("Required")) is outer
        assert activity_for_new_object(Synchronization("Supported")) is outer
        assert activity_for_new_object(Synchronization("RequiresNew")) not in (None, outer)
        inner = Activity("inner")
        with inner.entered():
            assert current_activity() is inner
        assert current_activity() is outer
    assert current_activity() is None


# ---- through the services: ServicedComponent classes declaring Synchronization --------------------------------


def serviced_probe_classes():
    from ole32_servers.services import JustInTimeActivation, ServicedComponent, Synchronization
    from ole32_servers.services.synchronization import causality, current_activity

    made = {}

    def make(name, services):
        class SyncProbe(ServicedComponent, implements=[IActivityProbe], services=services):
            counter = None  # set by the test
            children = []  # (pointer, activity) of objects made inside a call, for the test to check and release
            factory = None  # the class object, for creating inside a call
            next = None  # a client pointer the object calls out to (callback test)
            seen = []  # (OS thread, causality) per call (callback test)

            def Call(self, n):
                inside = type(self).counter.enter()
                try:
                    if n == 99:  # make an object of this class inside the call: which activity does it join?
                        p = type(self).factory.CreateInstance(None, IActivityProbe.iid)
                        type(self).children.append((p, current_activity(), causality()))
                    elif n > 0 and type(self).next is not None:  # call out (the callback test)
                        type(self).seen.append((threading.get_ident(), causality()))
                        type(self).next.Call(n - 1)
                    else:
                        type(self).seen.append((threading.get_ident(), causality()))
                        time.sleep(0.0005)
                    return inside
                finally:
                    type(self).counter.leave()

        SyncProbe.__name__ = name
        return SyncProbe

    made["required"] = make("RequiredProbe", [Synchronization()])
    made["requires_new"] = make("RequiresNewProbe", [Synchronization("RequiresNew")])
    made["jit"] = make("JitSyncProbe", [Synchronization(), JustInTimeActivation()])
    return made


def test_one_serviced_object_from_many_threads_runs_one_call_at_a_time(mta, probe_typelib):
    """A class declaring Synchronization (with and without JIT): 6 MTA threads and 2 STA threads (proxies) call
    one object (the interceptor): never two calls inside, all done, no deadlock; the object's activity counted
    them all."""
    for kind in ("required", "jit"):
        _hammer_one_object(kind)


def _hammer_one_object(kind, m=25):
    from ole32_marshalling.sta import StaThread
    from ole32_servers.services import ServicedClassFactory
    from vtables.interfaces import IClassFactory

    cls = serviced_probe_classes()[kind]
    cls.counter = Counter()
    cf = ServicedClassFactory(cls).as_ptr(IClassFactory)
    p = cf.CreateInstance(None, IActivityProbe.iid)
    activity = _object_of(p)._svc_activity
    assert activity is not None
    errors = []

    def guarded(fn):
        def run():
            try:
                fn()
            except BaseException as e:
                errors.append(e)

        return run

    with StaThread("s1") as s1, StaThread("s2") as s2:
        proxies = [(s, _marshal_to(s, p, IActivityProbe)) for s in (s1, s2)]
        ptrs = [p.query(IActivityProbe) for _ in range(6)]
        targets = [guarded(lambda q=q: [q.Call(0) for _ in range(m)]) for q in ptrs]
        targets += [
            guarded(lambda s=s, px=px: s.call(lambda: [px.Call(0) for _ in range(m)], timeout=JOIN))
            for s, px in proxies
        ]
        _run_threads(targets)
        for q in ptrs:
            q.release()
        for s, px in proxies:
            s.call(px.release)
    assert not errors, errors
    assert cls.counter.calls == 8 * m and cls.counter.most == 1, (kind, cls.counter.most)
    stats = activity.statistics()
    assert stats.calls >= 8 * m and stats.waits > 0 and not stats.busy, (kind, stats)
    p.release()
    cf.release()


def test_an_object_made_inside_a_call_joins_the_creators_activity_unless_requires_new(mta):
    """Required: an object created while a call of an activity runs (same causality) joins that activity, so its
    calls are serialized with its creator's; RequiresNew: a new activity; created outside any call: new ones."""
    from ole32_servers.services import ServicedClassFactory
    from vtables.interfaces import IClassFactory

    classes = serviced_probe_classes()
    for kind, joins in (("required", True), ("requires_new", False)):
        cls = classes[kind]
        cls.counter = Counter()
        cls.children = []
        cf = ServicedClassFactory(cls).as_ptr(IClassFactory)
        cls.factory = cf
        parent = cf.CreateInstance(None, IActivityProbe.iid)
        other = cf.CreateInstance(None, IActivityProbe.iid)
        parent_activity = _object_of(parent)._svc_activity
        assert _object_of(other)._svc_activity is not parent_activity  # made outside any activity: its own
        parent.Call(99)
        ((child, creator_activity, _),) = cls.children
        assert creator_activity is parent_activity
        child_activity = _object_of(child)._svc_activity
        assert (child_activity is parent_activity) is joins, kind
        assert child.Call(0) == 1
        for p in (child, other, parent):
            p.release()
        cls.children = []
        cls.factory = None
        cf.release()


def test_a_serviced_object_called_back_through_proxies_re_enters_its_activity(mta, probe_typelib):
    """X (Synchronization) calls C in an STA through a proxy; C calls X back through a proxy into the MTA: the
    callback arrives on an RPC thread while X's first call holds the activity, with the same causality, and is let
    through. Then a call from another client thread, after the chain, enters normally."""
    from ole32_marshalling.sta import StaThread
    from ole32_servers.services import ServicedClassFactory
    from vtables.interfaces import IClassFactory

    Probe = probe_class()
    X = serviced_probe_classes()["required"]
    X.counter, X.seen = Counter(), []
    cf = ServicedClassFactory(X).as_ptr(IClassFactory)
    x = cf.CreateInstance(None, IActivityProbe.iid)
    activity = _object_of(x)._svc_activity
    with StaThread("callee") as sta:
        c = sta.call(lambda: Probe(None, Counter()).as_ptr(IActivityProbe))
        c_obj = sta.call(lambda: _object_of(c))
        c_obj.next = _marshal_to(sta, x, IActivityProbe)  # X's proxy in the STA
        X.next = _marshal_from(sta, c, IActivityProbe)  # C's proxy in the MTA
        outcome = {}

        def client():
            try:
                outcome["inside"] = x.Call(2)  # X -> C (STA) -> X again (an RPC thread of the MTA)
            except BaseException as e:
                outcome["error"] = e

        try:
            _run_threads([client])
        finally:
            X.next.release()
            X.next = None
            sta.call(c_obj.next.release)
            c_obj.next = None
            sta.call(c.release)
    assert "error" not in outcome, outcome
    (first_thread, first_cid), (again_thread, again_cid) = X.seen
    assert again_thread != first_thread and again_cid == first_cid
    assert X.counter.most == 2  # the callback nested inside the first call: one logical thread
    stats = activity.statistics()
    assert stats.calls == 2 and stats.reentries == 1 and stats.waits == 0 and not stats.busy
    x.release()
    cf.release()


def _marshal_from(apartment_thread, ptr, iface):
    """A client pointer here (a proxy) to the object ``ptr`` points at in ``apartment_thread``'s apartment."""
    from ole32_bindings import marshaling
    from vtables.client import client_class

    stream = apartment_thread.call(lambda: marshaling.marshal_inter_thread_interface_in_stream(iface.iid, ptr.as_raw()))
    return client_class(iface).from_raw(marshaling.get_interface_and_release_stream(stream, iface.iid))


def test_native_callers_on_several_threads_run_one_at_a_time(mta):
    """A client we did not write in Python: the C++ test library's loop (TL_LoopNothing, plain vtable calls) on 4
    threads at once into one Synchronization object (its interceptor): never two calls inside, all counted."""
    from testlib import load

    from bench.benchtarget import IBenchTarget
    from ole32_servers.services import ServicedClassFactory, ServicedComponent, Synchronization
    from vtables.interfaces import IClassFactory

    counter = Counter()

    class Synced(ServicedComponent, implements=[IBenchTarget], services=[Synchronization()]):
        def Nothing(self):
            counter.enter()
            try:
                time.sleep(0.0002)  # the GIL is released: another thread would come in, if anything let it
            finally:
                counter.leave()

        def Work(self, n):
            return n

    tl_ffi, lib = load()
    cf = ServicedClassFactory(Synced).as_ptr(IClassFactory)
    p = cf.CreateInstance(None, IBenchTarget.iid)
    raw = tl_ffi.cast("void *", p.address())
    results = []
    _run_threads([(lambda: results.append(lib.TL_LoopNothing(raw, 200))) for _ in range(4)])
    assert results == [0, 0, 0, 0]
    assert counter.calls == 800 and counter.most == 1
    stats = _object_of(p)._svc_activity.statistics()
    assert stats.calls == 800 and stats.waits > 0 and not stats.busy
    p.release()
    cf.release()


def test_a_waiter_in_an_sta_keeps_serving_its_apartment(mta, probe_typelib):
    """The activity's owner (MTA) calls an object in an STA whose thread is itself waiting to enter the activity:
    the wait pumps (CoWaitForMultipleHandles), so the owner's call is served there, the owner leaves, and the STA
    thread enters. A wait that did not pump would deadlock the three (bounded joins fail the test instead)."""
    from ole32_marshalling.sta import StaThread
    from ole32_servers.services.synchronization import Activity

    Probe = probe_class()
    activity = Activity("sta waiter", timeout=30)
    held = threading.Event()
    order = []
    with StaThread("waiter") as sta:
        c = sta.call(lambda: Probe(None, Counter()).as_ptr(IActivityProbe))
        c_obj = sta.call(lambda: _object_of(c))
        c_proxy = _marshal_from(sta, c, IActivityProbe)

        def owner():
            with activity.entered():
                held.set()
                deadline = time.monotonic() + JOIN
                while activity.statistics().waiting == 0 and time.monotonic() < deadline:
                    time.sleep(0.005)  # the STA thread is queued now
                c_proxy.Call(0)  # served on the STA thread, which is waiting for the activity
                order.append("owner done")

        def sta_waiter():
            assert held.wait(JOIN)
            token = activity.enter()  # waits, pumping
            order.append("sta entered")
            activity.leave(token)

        box = {}
        t = threading.Thread(target=owner)
        t.start()
        try:
            sta.call(sta_waiter, timeout=JOIN)
        except BaseException as e:
            box["error"] = e
        t.join(JOIN)
        assert not t.is_alive(), "the owner never finished: a deadlock"
        assert "error" not in box, box
        c_proxy.release()
        sta.call(c.release)
    assert order == ["owner done", "sta entered"]
    assert [thread for thread, _ in c_obj.seen] == [sta.thread_id]
    stats = activity.statistics()
    assert stats.waits == 1 and stats.timeouts == 0 and not stats.busy
