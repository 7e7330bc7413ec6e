"""Events, the server side (vtables.events): a class with sources=[...] answers IConnectionPointContainer, one
IConnectionPoint per source and IProvideClassInfo2; Advise/Unadvise by the contract (cookies, CONNECT_E_*,
E_POINTER), firing to every sink in Advise order (dispinterface through Invoke, vtable through the method),
failing and dead sinks reported, the enumerators, the coclass type information, sinks in another apartment, and
exact counts when a client forgets to Unadvise."""

from __future__ import annotations

import logging
import threading

import pytest

from ole32_bindings.guid import Guid
from vtables import method
from vtables.interfaces import IUnknown
from vtables.members import DispInterface, dispmethod

pytestmark = pytest.mark.runtime

U = 0xFFFFFFFF
E_POINTER = 0x80004003
E_INVALIDARG = 0x80070057
CONNECT_E_NOCONNECTION = 0x80040200
CONNECT_E_CANNOTCONNECT = 0x80040202
CLSID_CLOCK = Guid("{0E7B40A1-5C7D-4E0B-9A51-7A3C2B1D4E01}")
LIBID_CLOCK = Guid("{0E7B40A1-5C7D-4E0B-9A51-7A3C2B1D4E05}")


class DClockEvents(DispInterface):
    iid = "{0E7B40A1-5C7D-4E0B-9A51-7A3C2B1D4E02}"
    Tick = dispmethod("[id(1)] void Tick([in] LONG n, [in] BSTR label)")
    Done = dispmethod("[id(7)] void Done()")


class IAlarmSink(IUnknown):
    iid = "{0E7B40A1-5C7D-4E0B-9A51-7A3C2B1D4E03}"
    Ring = method("HRESULT Ring([in] BSTR why, [in] LONG level)")


class IClock(IUnknown):
    iid = "{0E7B40A1-5C7D-4E0B-9A51-7A3C2B1D4E04}"
    Start = method("HRESULT Start([in] LONG n)")


@pytest.fixture(scope="module")
def classes():
    from vtables import ComObject

    class Clock(ComObject, implements=[IClock], sources=[DClockEvents, IAlarmSink]):
        clsid = CLSID_CLOCK

        def Start(self, n):
            self.failures = self.fire(DClockEvents.Tick, n, f"t{n}")

    class TickSink(ComObject, implements=[DClockEvents]):
        def __init__(self, log, name="s", fail=False):
            self.log, self.name, self.fail = log, name, fail
            self.threads = []

        def Tick(self, n, label):
            self.threads.append(threading.get_ident())
            self.log.append((self.name, n, label))
            if self.fail:
                raise ValueError(f"{self.name} refuses tick {n}")

        def Done(self):
            self.log.append((self.name, "done"))

    class AlarmSink(ComObject, implements=[IAlarmSink]):
        def __init__(self, log, fail=False):
            self.log, self.fail = log, fail

        def Ring(self, why, level):
            self.log.append((why, level))
            if self.fail:
                raise RuntimeError("alarm sink broken")

    return Clock, TickSink, AlarmSink


@pytest.fixture(scope="module")
def registered(classes, tmp_path_factory):
    """The clock's type library (ole32_servers.typelib: CoClass.of(Clock)), registered so that the typelib
    marshaler proxies its interfaces (the dispinterface through PSDispatch) across apartments; unregistered after."""
    from ole32_servers.typelib import CoClass, build_type_library, register_type_library, unregister_type_library

    Clock = classes[0]
    path = str(tmp_path_factory.mktemp("clock") / "clock.tlb")
    build_type_library(path, LIBID_CLOCK, "ClockLib", [], coclasses=[CoClass.of(Clock)])
    assert register_type_library(path) == LIBID_CLOCK
    yield path
    assert unregister_type_library(LIBID_CLOCK, (1, 0)) is True


def _fn(p, iface, name):
    from ole32_bindings.dlls import ffi

    m = getattr(iface, name)
    return ffi.cast(m.c_funcptr(), ffi.cast("void ***", p)[0][m.index])


def _cp(clock_ptr, iface):
    from vtables.interfaces import IConnectionPointContainer

    with clock_ptr.query(IConnectionPointContainer) as cpc:
        return cpc.FindConnectionPoint(iface.iid)


def test_a_source_class_answers_the_container_and_its_points(mta, classes):
    from ole32_bindings.dlls import ffi
    from ole32_bindings.hresult import ComError
    from vtables.interfaces import IConnectionPoint, IConnectionPointContainer, IProvideClassInfo, IProvideClassInfo2

    Clock, _, _ = classes
    assert Clock.sources == (DClockEvents, IAlarmSink)
    assert {IConnectionPointContainer, IProvideClassInfo2} <= set(Clock.implements)
    clock = Clock()
    with clock.as_ptr(IClock) as p, p.query(IConnectionPointContainer) as cpc:
        with cpc.FindConnectionPoint(DClockEvents.iid) as cp, cpc.FindConnectionPoint(IAlarmSink.iid) as cp2:
            assert cp.GetConnectionInterface() == DClockEvents.iid
            assert cp2.GetConnectionInterface() == IAlarmSink.iid
            with cp.GetConnectionPointContainer() as back:
                assert back.same_object(p)
            with cpc.FindConnectionPoint(DClockEvents.iid) as again:
                assert again.same_object(cp)  # one connection point per source while it is referenced
        with pytest.raises(ComError) as e:
            cpc.FindConnectionPoint(IClock.iid)
        assert e.value.hresult == CONNECT_E_NOCONNECTION
        raw = cpc.as_raw()
        out = ffi.new("void **")
        find = _fn(raw, IConnectionPointContainer, "FindConnectionPoint")
        assert find(raw, ffi.NULL, out) & U == E_POINTER and out[0] == ffi.NULL
        assert find(raw, DClockEvents.iid.cdata(ffi), ffi.NULL) & U == E_POINTER
        with p.query(IProvideClassInfo2) as pci:
            assert pci.GetGUID(1) == DClockEvents.iid
            with pytest.raises(ComError) as e:
                pci.GetGUID(2)
            assert e.value.hresult == E_INVALIDARG
        with p.query(IProvideClassInfo):
            pass
        with pytest.raises(ComError):
            p.query(IConnectionPoint)  # the container is not itself a connection point
    assert clock.com_destroyed


def test_advise_fire_in_order_and_unadvise(mta, classes):
    from ole32_bindings.hresult import ComError
    from vtables.events import connections

    Clock, TickSink, AlarmSink = classes
    log = []
    clock = Clock()
    sinks = [TickSink(log, name) for name in "abc"]
    owners = [s.as_ptr(DClockEvents) for s in sinks]
    with clock.as_ptr(IClock) as p, _cp(p, DClockEvents) as cp:
        cookies = [cp.Advise(o) for o in owners]
        assert 0 not in cookies and len(set(cookies)) == 3
        assert [s.com_refcount for s in sinks] == [2, 2, 2]  # the owner's and the connection's
        assert connections(clock) == cookies
        p.Start(1)
        assert log == [("a", 1, "t1"), ("b", 1, "t1"), ("c", 1, "t1")] and clock.failures == []
        cp.Unadvise(cookies[1])
        assert sinks[1].com_refcount == 1
        log.clear()
        assert clock.fire("tick", 2, "by name") == []  # by name, case-insensitively
        assert clock.fire(DClockEvents.Done) == []
        assert log == [("a", 2, "by name"), ("c", 2, "by name"), ("a", "done"), ("c", "done")]
        for bad in (cookies[1], 0, 12345):
            with pytest.raises(ComError) as e:
                cp.Unadvise(bad)
            assert e.value.hresult == CONNECT_E_NOCONNECTION
        alarm = AlarmSink(log)
        with alarm.as_ptr(IAlarmSink) as a:
            with pytest.raises(ComError) as e:
                cp.Advise(a)  # the sink lacks DClockEvents
            assert e.value.hresult == CONNECT_E_CANNOTCONNECT and "DClockEvents" in str(e.value)
            assert alarm.com_refcount == 1
        with pytest.raises(ComError) as e:
            cp.Advise(None)
        assert e.value.hresult == E_POINTER
        d = cp.Advise(owners[1])
        assert d not in cookies and connections(clock) == [cookies[0], cookies[2], d]  # re-advised: last
        for c in (cookies[0], cookies[2], d):
            cp.Unadvise(c)
    assert [s.com_refcount for s in sinks] == [1, 1, 1]
    for o in owners:
        o.release()
    assert clock.com_destroyed and all(s.com_destroyed for s in sinks)


def test_declarations_refused_at_class_definition():
    from vtables import ComObject, InterfaceError

    with pytest.raises(InterfaceError, match="agile"):

        class Agile(ComObject, implements=[IClock], sources=[DClockEvents], agile=True):
            def Start(self, n):
                pass

    with pytest.raises(InterfaceError, match="twice"):

        class Twice(ComObject, implements=[IClock], sources=[DClockEvents, DClockEvents]):
            def Start(self, n):
                pass

    with pytest.raises(InterfaceError, match="not IUnknown"):

        class Bare(ComObject, implements=[IClock], sources=[IUnknown]):
            def Start(self, n):
                pass

    class DByRef(DispInterface):
        iid = "{0E7B40A1-5C7D-4E0B-9A51-7A3C2B1D4E08}"
        Closing = dispmethod("[id(1)] void Closing([in, out] VARIANT_BOOL *cancel)")

    class IAsking(IUnknown):
        iid = "{0E7B40A1-5C7D-4E0B-9A51-7A3C2B1D4E09}"
        Ask = method("HRESULT Ask([out, retval] LONG *answer)")

    for source in (DByRef, IAsking):
        with pytest.raises(InterfaceError, match=r"\[out\] parameter (cancel|answer)"):

            class Cancellable(ComObject, implements=[IClock], sources=[source]):
                def Start(self, n):
                    pass


def test_fire_refuses_what_is_not_an_event(mta, classes):
    Clock, _, _ = classes
    clock = Clock()
    with clock.as_ptr(IClock):
        with pytest.raises(ValueError, match="Start"):
            clock.fire("Start")
        with pytest.raises(TypeError, match="Tick takes 2"):
            clock.fire(DClockEvents.Tick, 1)
        with pytest.raises(ValueError):
            clock.fire(IClock.Start, 1)


def test_a_failing_sink_does_not_stop_the_others_and_is_reported_once(mta, classes, caplog):
    Clock, TickSink, AlarmSink = classes
    log = []
    clock = Clock()
    sinks = [TickSink(log, "a"), TickSink(log, "bad", fail=True), TickSink(log, "c")]
    alarms = [AlarmSink(log, fail=True), AlarmSink(log)]
    with clock.as_ptr(IClock) as p, _cp(p, DClockEvents) as cp, _cp(p, IAlarmSink) as cp2:
        cookies = [cp.Advise(s) for s in sinks]  # objects with no reference yet: Advise takes the first
        acookies = [cp2.Advise(a) for a in alarms]
        assert [s.com_refcount for s in sinks + alarms] == [1] * 5
        with caplog.at_level(logging.WARNING, logger="vtables"):
            for n in range(3):
                failures = clock.fire(DClockEvents.Tick, n, "x")
                assert [f.cookie for f in failures] == [cookies[1]]
                f = failures[0]
                assert f.hresult & U == 0x80020009 and "bad refuses tick" in f.description and not f.disconnected
            failures = clock.fire(IAlarmSink.Ring, "fire", 3)
            assert [f.cookie for f in failures] == [acookies[0]] and "alarm sink broken" in failures[0].description
            clock.fire(IAlarmSink.Ring, "fire", 4)
        assert [n for name, n, _ in log[:9] if name == "c"] == [0, 1, 2]
        assert log[9:] == [("fire", 3), ("fire", 3), ("fire", 4), ("fire", 4)]
        reports = [r for r in caplog.records if "event sink" in r.getMessage()]
        assert len(reports) == 2  # once per failing connection, not once per event
    assert all(s.com_destroyed for s in sinks + alarms)  # the destroyed clock released the sinks left advised


def test_forgotten_unadvise_releases_the_sinks_with_the_object(mta, classes):
    Clock, TickSink, AlarmSink = classes
    clock = Clock()
    sink = TickSink([])
    alarm = AlarmSink([])
    with sink.as_ptr(IUnknown) as s, alarm.as_ptr(IUnknown) as a:
        with clock.as_ptr(IClock) as p:
            with _cp(p, DClockEvents) as cp:
                cp.Advise(s)
                cp.Advise(s)
            with _cp(p, IAlarmSink) as cp2:
                cp2.Advise(a)
            assert sink.com_refcount == 3 and alarm.com_refcount == 2
        assert clock.com_destroyed
        assert sink.com_refcount == 1 and alarm.com_refcount == 1


def test_enumerating_points_and_connections(mta, classes):
    from vtables.enumerators import iterate
    from vtables.interfaces import IConnectionPointContainer

    Clock, TickSink, _ = classes
    clock = Clock()
    sinks = [TickSink([]) for _ in range(3)]
    with clock.as_ptr(IConnectionPointContainer) as cpc:
        with cpc.EnumConnectionPoints() as e:
            points = list(iterate(e))
        try:
            ifaces = []
            for cp in points:
                ifaces.append(cp.GetConnectionInterface())
            assert ifaces == [DClockEvents.iid, IAlarmSink.iid]
            cookies = [points[0].Advise(s) for s in sinks]
            with points[0].EnumConnections() as ec:
                points[0].Unadvise(cookies[0])  # the enumerator is a snapshot: it keeps its own references
                assert sinks[0].com_refcount == 1
                pairs = list(iterate(ec, batch=2))
                assert [c for _, c in pairs] == cookies
                with sinks[1].as_ptr(IUnknown) as one:
                    assert pairs[1][0].same_object(one)
                for unk, _ in pairs:
                    unk.release()
            assert sinks[0].com_destroyed and sinks[1].com_refcount == 1
            with points[1].EnumConnections() as ec:
                assert list(iterate(ec)) == []
        finally:
            for cp in points:
                cp.release()
    assert clock.com_destroyed and all(s.com_destroyed for s in sinks)


def test_coclass_type_information_names_the_default_source(mta, classes):
    from vtables.interfaces import IProvideClassInfo2
    from vtables.latebound import _type_attr

    Clock, _, _ = classes
    clock = Clock()
    with clock.as_ptr(IProvideClassInfo2) as pci, pci.GetClassInfo() as ti:
        guid, typekind, _, (_, _, nimpl) = _type_attr(ti)
        assert guid == CLSID_CLOCK and typekind == 5  # TKIND_COCLASS
        found = []
        for i in range(nimpl):
            with ti.GetRefTypeInfo(ti.GetRefTypeOfImplType(i)) as ref:
                found.append((_type_attr(ref)[0], ti.GetImplTypeFlags(i)))
        # IMPLTYPEFLAG_FDEFAULT | IMPLTYPEFLAG_FSOURCE: the dispinterface a scripting client connects to
        assert found == [(DClockEvents.iid, 3)]


def test_the_registered_type_library_marks_the_default_source(registered):
    from ole32_servers.typelib import type_library_layout

    (coclass,) = type_library_layout(registered)["coclasses"]
    assert coclass["guid"] == CLSID_CLOCK
    # IMPLTYPEFLAG_FDEFAULT (1), FSOURCE (2): IClock [default], DClockEvents [default, source], IAlarmSink [source]
    assert [(i["name"], i["flags"]) for i in coclass["impl_types"]] == [
        ("IClock", 1),
        ("DClockEvents", 3),
        ("IAlarmSink", 2),
    ]


def test_sinks_in_another_apartment_are_called_through_their_proxies(mta, classes, registered):
    """The clock lives in the MTA (this thread); each sink lives in an STA thread of its own and advises itself
    through a proxy of the connection point: the events reach the sinks on their own threads."""
    from ole32_marshalling.git import GlobalInterfaceTable
    from ole32_marshalling.sta import StaThread
    from vtables.client import client_class
    from vtables.enumerators import iterate
    from vtables.interfaces import IConnectionPoint

    Clock, TickSink, _ = classes
    log = []
    clock = Clock()
    with clock.as_ptr(IClock) as p, _cp(p, DClockEvents) as cp, GlobalInterfaceTable() as git:
        cookie = git.register(cp.as_raw(), IConnectionPoint.iid)
        ccookie = git.register(p.as_raw(), IClock.iid)
        made = {}

        def advise(name):
            sink = TickSink(log, name)
            with client_class(IConnectionPoint).from_raw(git.get(cookie, IConnectionPoint.iid)) as remote:
                with sink.as_ptr(DClockEvents) as s:
                    made[name] = (sink, remote.Advise(s), threading.get_ident())

        def unadvise(name):
            with client_class(IConnectionPoint).from_raw(git.get(cookie, IConnectionPoint.iid)) as remote:
                remote.Unadvise(made[name][1])

        try:
            with StaThread("sink-a") as a, StaThread("sink-b") as b:
                a.call(lambda: advise("a"))
                b.call(lambda: advise("b"))
                assert clock.fire(DClockEvents.Tick, 5, "far") == []
                assert log == [("a", 5, "far"), ("b", 5, "far")]
                assert made["a"][0].threads == [made["a"][2]] and made["b"][0].threads == [made["b"][2]]
                assert a.call(lambda: enumerate_remotely(git, ccookie)) == [DClockEvents.iid, IAlarmSink.iid]
                with cp.EnumConnections() as ec:  # in the object's apartment: the sinks' proxies, AddRef'd
                    pairs = list(iterate(ec))
                assert [c for _, c in pairs] == [made["a"][1], made["b"][1]]
                for unk, _ in pairs:
                    unk.release()
                a.call(lambda: unadvise("a"))
                b.call(lambda: unadvise("b"))
                assert a.call(lambda: made["a"][0].com_refcount) == 0
                b.call(lambda: made["b"][0].com_refcount)
        finally:
            git.revoke(cookie)
            git.revoke(ccookie)
    assert clock.com_destroyed


def enumerate_remotely(git, cookie):
    """From another apartment, through the runtime's proxies of IConnectionPointContainer, IEnumConnectionPoints and
    IConnectionPoint: the sources' IIDs. (IEnumConnections of sinks that are proxies is not carried by Wine 8's
    proxy: docs/wine.md; it is enumerated in the object's apartment below.)"""
    from vtables.client import client_class
    from vtables.enumerators import iterate
    from vtables.interfaces import IConnectionPointContainer

    with (
        client_class(IClock).from_raw(git.get(cookie, IClock.iid)) as clock,
        clock.query(IConnectionPointContainer) as cpc,
        cpc.EnumConnectionPoints() as e,
    ):
        points = list(iterate(e, batch=1))
    try:
        return [cp.GetConnectionInterface() for cp in points]
    finally:
        for cp in points:
            cp.release()


def test_a_sink_whose_apartment_died_is_reported_and_dropped(mta, classes, registered, caplog):
    from ole32_marshalling.git import GlobalInterfaceTable
    from ole32_marshalling.sta import StaThread
    from vtables.client import client_class
    from vtables.events import connections
    from vtables.interfaces import IConnectionPoint

    Clock, TickSink, _ = classes
    log = []
    clock = Clock()
    live = TickSink(log, "live")
    with clock.as_ptr(IClock) as p, _cp(p, DClockEvents) as cp, GlobalInterfaceTable() as git:
        cookie = git.register(cp.as_raw(), IConnectionPoint.iid)
        box = {}

        def advise():
            sink = TickSink(log, "doomed")
            with client_class(IConnectionPoint).from_raw(git.get(cookie, IConnectionPoint.iid)) as remote:
                with sink.as_ptr(DClockEvents) as s:
                    box["cookie"] = remote.Advise(s)
            box["sink"] = sink

        try:
            with StaThread("doomed") as sta:
                sta.call(advise)
        finally:
            git.revoke(cookie)
        # the STA is gone (CoUninitialize disconnected its objects' stubs): its sink is dead
        assert box["sink"].com_destroyed
        mine = cp.Advise(live)
        with caplog.at_level(logging.WARNING, logger="vtables"):
            failures = clock.fire(DClockEvents.Tick, 1, "x")
        assert [(f.cookie, f.disconnected) for f in failures] == [(box["cookie"], True)]
        # Wine 8: RPC_S_UNKNOWN_IF (the apartment's stubs are gone); Windows: RPC_E_DISCONNECTED
        assert failures[0].hresult & U in (0x80010108, 0x800706B5)
        assert log == [("live", 1, "x")]
        assert connections(clock) == [mine]  # dropped
        assert clock.fire(DClockEvents.Tick, 2, "y") == []
        cp.Unadvise(mine)
    assert clock.com_destroyed and live.com_destroyed


def test_null_out_pointers_and_a_dispatch_object_with_sources(mta, classes):
    from ole32_bindings.dlls import ffi
    from vtables.dispatch import DispatchObject
    from vtables.interfaces import IConnectionPoint, IDispatch

    Clock, TickSink, _ = classes
    with Clock().as_ptr(IClock) as p, _cp(p, DClockEvents) as cp:
        raw = cp.as_raw()
        for name, args in [
            ("GetConnectionInterface", ()),
            ("GetConnectionPointContainer", ()),
            ("EnumConnections", ()),
        ]:
            assert _fn(raw, IConnectionPoint, name)(raw, *args, ffi.NULL) & U == E_POINTER, name
        with TickSink([]).as_ptr(IUnknown) as s:
            assert _fn(raw, IConnectionPoint, "Advise")(raw, s.as_raw(), ffi.NULL) & U == E_POINTER
        assert _fn(raw, IConnectionPoint, "Advise")(raw, ffi.NULL, ffi.new("DWORD *")) & U == E_POINTER

    class Scripted(DispatchObject, sources=[DClockEvents]):
        def Go(self, n):
            return len(self.fire("Tick", n, "go"))

    log = []
    with Scripted.make() as obj, obj.query(IDispatch) as d, TickSink(log).as_ptr(IUnknown) as s:
        from vtables.interfaces import IConnectionPointContainer

        with obj.query(IConnectionPointContainer) as cpc, cpc.FindConnectionPoint(DClockEvents.iid) as cp:
            cookie = cp.Advise(s)
            from vtables.latebound import Dispatch

            with Dispatch(d) as late:
                assert late.Go(4) == 0
                for machinery in ("fire", "sources"):  # the library's names are not members
                    with pytest.raises(AttributeError):
                        getattr(late, machinery)
            cp.Unadvise(cookie)
    assert log == [("s", 4, "go")]


def test_event_arguments_take_the_declared_types(mta, classes):
    from ole32_bindings.oavalues import VT_I4, Variant

    Clock, TickSink, _ = classes
    log = []
    clock = Clock()
    with clock.as_ptr(IClock) as p, TickSink(log).as_ptr(IUnknown) as s:
        with _cp(p, DClockEvents) as cp:
            cookie = cp.Advise(s)
            assert clock.fire(DClockEvents.Tick, True, None) == []  # VT_I4 from a bool, VT_BSTR "" from None
            assert clock.fire(DClockEvents.Tick, Variant(VT_I4, 3), "v") == []  # an explicit Variant as it says
            for bad in (("seven", "x"), (2**40, "x"), (1, object())):
                with pytest.raises((TypeError, ValueError, OverflowError)):
                    clock.fire(DClockEvents.Tick, *bad)
            assert log == [("s", 1, ""), ("s", 3, "v")]  # a refused event reaches no sink
            cp.Unadvise(cookie)


def test_firing_from_another_apartment_is_reported_as_such(mta, classes, registered):
    """An STA object's sinks from other apartments are proxies of its STA: fired from this (MTA) thread they answer
    RPC_E_WRONG_THREAD, which the failure explains; fired in the object's apartment they are called."""
    from ole32_bindings.marshaling import get_interface_and_release_stream, marshal_inter_thread_interface_in_stream
    from ole32_marshalling.sta import StaThread
    from vtables.client import client_class
    from vtables.interfaces import IConnectionPoint

    Clock, TickSink, _ = classes
    log = []
    with StaThread("clock") as home:

        def make():
            clock = Clock()
            box = {"clock": clock, "p": clock.as_ptr(IClock)}
            box["cp"] = _cp(box["p"], DClockEvents)
            return box

        box = home.call(make)
        sink = TickSink(log)
        try:
            with sink.as_ptr(IUnknown) as s:
                stream = home.call(
                    lambda: marshal_inter_thread_interface_in_stream(IConnectionPoint.iid, box["cp"].as_raw())
                )
                with client_class(IConnectionPoint).from_raw(
                    get_interface_and_release_stream(stream, IConnectionPoint.iid)
                ) as remote:
                    cookie = remote.Advise(s)  # the clock's STA receives a proxy of our (MTA) sink
                    failures = box["clock"].fire(DClockEvents.Tick, 1, "wrong")  # from the MTA: not its apartment
                    assert [f.hresult & U for f in failures] == [0x8001010E] and "own apartment" in failures[
                        0
                    ].description
                    assert not failures[0].disconnected and log == []
                    assert home.call(lambda: box["clock"].fire(DClockEvents.Tick, 2, "home")) == []
                    assert log == [("s", 2, "home")]
                    remote.Unadvise(cookie)
        finally:
            home.call(lambda: (box["cp"].release(), box["p"].release()))
    assert sink.com_destroyed and box["clock"].com_destroyed


def test_a_dual_source_is_called_through_its_vtable(mta, classes):
    from vtables import ComObject
    from vtables.interfaces import IDispatch, IProvideClassInfo2

    class IDualEvents(IDispatch):
        iid = "{0E7B40A1-5C7D-4E0B-9A51-7A3C2B1D4E06}"
        Changed = method("[id(1)] HRESULT Changed([in] LONG value)")

    class Meter(ComObject, implements=[IClock], sources=[IAlarmSink, IDualEvents]):
        clsid = Guid("{0E7B40A1-5C7D-4E0B-9A51-7A3C2B1D4E07}")

        def Start(self, n):
            return None

    class DualSink(ComObject, implements=[IDualEvents]):
        def __init__(self):
            self.seen = []

        def Changed(self, value):
            self.seen.append(value)

    meter, sink = Meter(), DualSink()
    with meter.as_ptr(IClock) as p, sink.as_ptr(IUnknown) as s, _cp(p, IDualEvents) as cp:
        with p.query(IProvideClassInfo2) as pci:
            assert pci.GetGUID(1) == IDualEvents.iid  # the first source that derives from IDispatch
        cookie = cp.Advise(s)
        assert meter.fire(IDualEvents.Changed, 42) == [] and meter.fire("changed", 43) == []
        assert sink.seen == [42, 43]
        cp.Unadvise(cookie)


def test_an_aggregated_source_keeps_its_outer_alive_through_its_points(mta, classes):
    from vtables import ComObject
    from vtables.interfaces import IConnectionPointContainer, IPersist
    from vtables.object import live_objects

    Clock, TickSink, _ = classes

    class Outer(ComObject, implements=[IPersist]):
        def __com_init__(self):
            self.aggregate(Clock.create_aggregated(self.identity_raw()))

        def GetClassID(self):
            return IPersist.iid

    log = []
    unk = Outer.make()
    outer = next(o for o in live_objects() if isinstance(o, Outer))
    inner = outer._com_inner
    with unk.query(IConnectionPointContainer) as cpc:  # blind aggregation: the inner Clock answers
        cp = cpc.FindConnectionPoint(DClockEvents.iid)
    unk.release()  # only the connection point is left: it keeps the outer (and so the inner) alive
    assert not outer.com_destroyed
    with cp.GetConnectionPointContainer() as back, back.query(IPersist) as persist:
        assert persist.GetClassID() == IPersist.iid  # the container's identity is the outer's
    with TickSink(log).as_ptr(IUnknown) as s:
        cookie = cp.Advise(s)
        clock = next(o for o in live_objects() if isinstance(o, Clock))
        assert clock.fire(DClockEvents.Tick, 1, "agg") == []
        cp.Unadvise(cookie)
    cp.release()
    assert inner is not None and outer.com_destroyed and clock.com_destroyed
    assert log == [("s", 1, "agg")]


def test_a_class_naming_its_registered_library_answers_from_it(mta, classes, registered, caplog):
    """``typelib = (LIBID, major, minor)``: IProvideClassInfo::GetClassInfo comes from the registered library (as
    ATL's does: pywin32's DispatchWithEvents goes from it to makepy's module of that library); a library that is not
    registered leaves the in-memory description, said once in the log."""
    from ole32_bindings.dlls import ffi
    from ole32_bindings.guid import guid_from_16_bytes
    from vtables.interfaces import IProvideClassInfo2

    Clock, _, _ = classes

    class RegisteredClock(Clock):
        typelib = (LIBID_CLOCK, 1, 0)

    class UnregisteredClock(Clock):
        typelib = ("{0E7B40A1-5C7D-4E0B-9A51-7A3C2B1D4EFF}", 1, 0)

    def library_of(cls):
        with cls().as_ptr(IProvideClassInfo2) as pci, pci.GetClassInfo() as ti:
            lib, _index = ti.GetContainingTypeLib()
            with lib:
                out = ffi.new("TLIBATTR **")
                lib.GetLibAttr(out)
                try:
                    return guid_from_16_bytes(bytes(ffi.buffer(ffi.addressof(out[0], "guid"), 16)))
                finally:
                    lib.ReleaseTLibAttr(out[0])

    assert library_of(RegisteredClock) == LIBID_CLOCK
    with caplog.at_level(logging.WARNING, logger="vtables"):
        assert library_of(UnregisteredClock) != LIBID_CLOCK  # the in-memory library
        assert library_of(UnregisteredClock) != LIBID_CLOCK
    assert len([r for r in caplog.records if "UnregisteredClock: typelib" in r.getMessage()]) == 1
