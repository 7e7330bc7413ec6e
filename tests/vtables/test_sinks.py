"""Event sinks (vtables.sinks, issue 13 item 3) against the native event source of the test DLL
(native/testlib/events.cpp: IConnectionPointContainer + IConnectionPoint written the standard way, from the
contract). Vtable and dispinterface sources, DISPIDs from the source's type information, case-insensitive names,
events the sink lacks, handlers that raise, exact counts, and the bad inputs."""

from __future__ import annotations

import logging
import re
import time

import pytest

pytestmark = pytest.mark.runtime

CONNECT_E_NOCONNECTION = 0x80040200
CONNECT_E_CANNOTCONNECT = 0x80040202
E_NOINTERFACE = 0x80004002
E_INVALIDARG = 0x80070057


@pytest.fixture
def lib():
    import testlib

    return testlib.load()[1]


@pytest.fixture
def source(mta, lib):
    import testlib

    live = lib.TL_EventsLiveObjects()
    src = testlib.new_event_source()
    yield src
    if not src.released:
        src.release()
    assert lib.TL_EventsLiveObjects() == live, "native event objects left (a sink or the source not released)"


class Recorder:
    def __init__(self):
        self.ticks = []
        self.messages = []

    def Tick(self, n):
        self.ticks.append(n)

    def Message(self, text):
        self.messages.append(text)


def test_vtable_sink_receives_the_custom_source_events(source):
    import testlib

    from vtables.sinks import advise

    INativeEvents, _ = testlib.native_events_interfaces()
    sink = Recorder()
    with advise(source, sink, INativeEvents) as conn:
        assert conn.connected and conn.cookie >= 1 and conn.iid == INativeEvents.iid
        assert source.get_Connections() == 1
        source.Fire(3)
        source.FireMessage("héllo")
    assert sink.ticks == [0, 1, 2] and sink.messages == ["héllo"]
    assert not conn.connected
    assert source.get_Connections() == 0 and source.get_Failures() == 0


def test_dispinterface_sink_takes_dispids_from_the_type_information(source):
    """No interface given: the default source (IProvideClassInfo2) is the undeclared dispinterface DNativeEvents,
    its DISPIDs read from the coclass's type information."""
    import testlib

    from ole32_bindings.guid import Guid
    from vtables.sinks import advise, default_source

    assert default_source(source) == Guid(testlib.DIID_DNativeEvents)
    sink = Recorder()
    with advise(source, sink) as conn:
        assert conn.iid == Guid(testlib.DIID_DNativeEvents) and conn.name == "DNativeEvents"
        source.Fire(2)
        source.FireMessage("two")
    assert sink.ticks == [0, 1] and sink.messages == ["two"]
    assert source.get_Failures() == 0


def test_names_are_case_insensitive_and_missing_events_are_ignored(source):
    import testlib

    from vtables.sinks import advise

    INativeEvents, _ = testlib.native_events_interfaces()

    class OnlyTicks:
        def __init__(self):
            self.got = []

        def tick(self, n):  # the event is Tick
            self.got.append(n)

    a, b = OnlyTicks(), OnlyTicks()
    with advise(source, a), advise(source, b, INativeEvents):
        source.Fire(2)
        source.FireMessage("nobody listens")  # neither defines Message: answered S_OK
    assert a.got == [0, 1] and b.got == [0, 1]
    assert source.get_Failures() == 0


def test_many_sinks_in_advise_order(source):
    import testlib

    from vtables.sinks import advise

    INativeEvents, _ = testlib.native_events_interfaces()
    order = []

    class Tagged:
        def __init__(self, tag):
            self.tag = tag

        def Tick(self, n):
            order.append((self.tag, n))

    conns = [advise(source, Tagged(i), INativeEvents if i % 2 else None) for i in range(4)]
    try:
        assert source.get_Connections() == 4
        source.Fire(1)
    finally:
        for c in conns:
            c.disconnect()
    # the source fires its custom point's sinks first, then the dispinterface's, each in Advise order
    assert order == [(1, 0), (3, 0), (0, 0), (2, 0)]
    assert source.get_Connections() == 0


def test_a_raising_handler_fails_the_event_and_is_logged_once(source, caplog):
    import testlib

    from ole32_bindings.hresult import to_signed
    from vtables.sinks import advise

    INativeEvents, _ = testlib.native_events_interfaces()

    class Broken:
        def Tick(self, n):
            raise ValueError(f"tick {n} refused")

    with caplog.at_level(logging.ERROR, logger="vtables"):
        with advise(source, Broken(), INativeEvents) as vt, advise(source, Broken()) as disp:
            source.Fire(3)
            assert vt.failures == 3 and disp.failures == 3
    # ValueError is E_INVALIDARG at the server edge; through Invoke it is DISP_E_EXCEPTION with that scode
    assert source.get_Failures() == 6
    assert source.get_LastFailure() == to_signed(E_INVALIDARG)
    logged = [r for r in caplog.records if "tick" in r.getMessage() and "refused" in r.getMessage()]
    assert len(logged) == 2, [r.getMessage() for r in caplog.records]  # once per connection, not per event


def test_a_comerror_handler_returns_its_hresult(source):
    import testlib

    from ole32_bindings.hresult import ComError, to_signed
    from vtables.sinks import advise

    INativeEvents, _ = testlib.native_events_interfaces()

    class Refuses:
        def Message(self, text):
            raise ComError(0x80040201, f"not {text}")

    with advise(source, Refuses(), INativeEvents):
        source.FireMessage("that")
    assert source.get_LastFailure() == to_signed(0x80040201)
    with advise(source, Refuses()):
        source.FireMessage("that either")
    assert source.get_LastFailure() == to_signed(0x80040201) and source.get_Failures() == 2


def test_a_source_that_dies_first_releases_the_sink(mta, lib):
    """The sink is never Unadvise'd: the source's death releases it (no live Python object left), and
    disconnecting afterwards is harmless."""
    import testlib

    from vtables.object import live_object_count
    from vtables.sinks import advise

    before = live_object_count()
    src = testlib.new_event_source()
    conn = advise(src, Recorder())
    assert live_object_count() == before + 1  # the sink object, held by the source
    src.release()
    # the connection point is a member of the source: the source lives while the Connection holds it
    assert live_object_count() == before + 1
    conn.disconnect()
    assert live_object_count() == before


def test_native_sink_and_client_on_the_native_source(source, lib):
    """The C++ side alone (the baseline the Python sinks are compared with): TL_Advise, Fire, TL_Unadvise."""
    import testlib

    from ole32_bindings.guid import Guid

    ffi = testlib.load()[0]
    raw = testlib.new_event_sink()
    cookie = ffi.new("DWORD *")
    p = ffi.cast("void *", source.address())
    for iid in (testlib.IID_INativeEvents, testlib.DIID_DNativeEvents):
        assert lib.TL_Advise(p, testlib.guid(Guid(iid)), raw, cookie) == 0
        source.Fire(4)
        source.FireMessage("native")
        assert lib.TL_Unadvise(p, testlib.guid(Guid(iid)), cookie[0]) == 0
        assert lib.TL_Unadvise(p, testlib.guid(Guid(iid)), cookie[0]) == (CONNECT_E_NOCONNECTION - 2**32)
    assert testlib.event_sink_stats(raw) == (8, 12, 2, "native")
    lib.TL_Release(raw)


def test_enum_connections_lists_the_sinks(source):
    import testlib

    from vtables.interfaces import IConnectionPointContainer, IUnknown
    from vtables.sinks import advise

    INativeEvents, _ = testlib.native_events_interfaces()
    with advise(source, Recorder(), INativeEvents) as a, advise(source, Recorder(), INativeEvents) as b:
        from ole32_bindings.dlls import ffi

        with source.query(IConnectionPointContainer) as cpc, cpc.FindConnectionPoint(INativeEvents.iid) as cp:
            with cp.EnumConnections() as enum:
                cd = ffi.new("CONNECTDATA[4]")
                hr, n = enum.Next(4, cd)
                assert hr == 1 and n == 2  # S_FALSE: fewer than asked
                assert sorted(cd[i].dwCookie for i in range(2)) == sorted([a.cookie, b.cookie])
                for i in range(2):
                    from vtables.client import client_class

                    client_class(IUnknown).from_raw(cd[i].pUnk).release()


# ---- bad input ----------------------------------------------------------------------------------------------


def test_advise_of_a_sink_lacking_the_interface_is_cannotconnect(source, lib):
    """The connection point's answer to a sink without its interface, seen by our client (through the declared
    IConnectionPoint) and by the C++ client."""
    import testlib

    from ole32_bindings.guid import Guid
    from ole32_bindings.hresult import ComError
    from vtables import ComObject
    from vtables.interfaces import IConnectionPointContainer, IPersist

    INativeEvents, _ = testlib.native_events_interfaces()

    class NotASink(ComObject, implements=[IPersist]):
        def GetClassID(self):
            return Guid("{00000000-0000-0000-0000-000000000001}")

    with source.query(IConnectionPointContainer) as cpc, cpc.FindConnectionPoint(INativeEvents.iid) as cp:
        with NotASink().as_ptr(IPersist) as persist, pytest.raises(ComError) as e:
            cp.Advise(persist)
    assert e.value.hresult == CONNECT_E_CANNOTCONNECT
    ffi = testlib.load()[0]
    cookie = ffi.new("DWORD *")
    persist = NotASink().as_ptr(IPersist)
    try:
        hr = lib.TL_Advise(
            ffi.cast("void *", source.address()),
            testlib.guid(INativeEvents.iid),
            ffi.cast("void *", persist.address()),
            cookie,
        )
    finally:
        persist.release()
    assert hr == CONNECT_E_CANNOTCONNECT - 2**32 and cookie[0] == 0
    assert source.get_Connections() == 0


def test_a_source_without_a_container_is_named(mta, lib):
    import testlib

    from ole32_bindings.hresult import NoInterfaceError
    from vtables.client import client_class
    from vtables.interfaces import IDispatch
    from vtables.sinks import advise

    with client_class(IDispatch).from_raw(testlib.new_dispatch("native")) as d:
        with pytest.raises(NoInterfaceError, match="IConnectionPointContainer"):
            advise(d, Recorder())


def test_unknown_source_interfaces_are_named(source):
    from ole32_bindings.hresult import ComError
    from vtables.declare import method
    from vtables.interfaces import IUnknown
    from vtables.sinks import EventSourceError, advise

    with pytest.raises(EventSourceError, match=re.escape("{0D7C1D9A-0000-4000-8000-00000000000F}")):
        advise(source, Recorder(), "{0D7C1D9A-0000-4000-8000-00000000000F}")  # not in its type information

    class INotASource(IUnknown):
        iid = "{0D7C1D9A-0000-4000-8000-00000000000E}"
        Tick = method("HRESULT Tick([in] LONG n)")

    with pytest.raises(ComError, match="INotASource") as e:
        advise(source, Recorder(), INotASource)
    assert e.value.hresult == CONNECT_E_NOCONNECTION


def test_a_declared_vtable_source_given_by_iid(source):
    """A vtable source named by its IID: the declaration of that IID builds the sink."""
    import testlib

    from vtables.sinks import advise

    testlib.native_events_interfaces()
    sink = Recorder()
    with advise(source, sink, testlib.IID_INativeEvents) as conn:
        assert conn.name == "INativeEvents"
        source.Fire(2)
    assert sink.ticks == [0, 1]


def test_no_type_information_is_named(mta):
    """A source whose dispinterface nobody can describe: no IProvideClassInfo, no IDispatch."""
    from ole32_bindings.guid import Guid
    from vtables import ComObject
    from vtables.interfaces import IConnectionPointContainer
    from vtables.sinks import EventSourceError, advise

    class Bare(ComObject, implements=[IConnectionPointContainer]):
        def EnumConnectionPoints(self):
            raise NotImplementedError

        def FindConnectionPoint(self, iid):
            raise NotImplementedError

    with pytest.raises(EventSourceError, match="default source"):
        advise(Bare(), Recorder())
    with pytest.raises(EventSourceError, match="no type information"):
        advise(Bare(), Recorder(), Guid("{0D7C1D9A-0000-4000-8000-00000000000D}"))


def _sink_dispatch(source, iid):
    """The IDispatch of the (only) sink advised on ``source``'s point ``iid``, through EnumConnections."""
    from ole32_bindings.dlls import ffi
    from vtables.client import client_class
    from vtables.interfaces import IConnectionPointContainer, IDispatch, IUnknown

    with source.query(IConnectionPointContainer) as cpc, cpc.FindConnectionPoint(iid) as cp, cp.EnumConnections() as e:
        cd = ffi.new("CONNECTDATA[1]")
        hr, n = e.Next(1, cd)
        assert (hr, n) == (0, 1)
        with client_class(IUnknown).from_raw(cd[0].pUnk) as unk:
            return unk.query(IDispatch)


def _invoke_named(ptr, dispid):
    """IDispatch::Invoke(dispid, DISPATCH_METHOD) with one named argument (DISPID 0 := 5): its HRESULT."""
    from ole32_bindings.dlls import ffi
    from ole32_bindings.guid import Guid

    arg = ffi.new("VARIANT *")
    arg.vt = 3  # VT_I4
    arg.lVal = 5
    names = ffi.new("DISPID[1]", [0])
    params = ffi.new("DISPPARAMS *")
    params.rgvarg, params.rgdispidNamedArgs, params.cArgs, params.cNamedArgs = arg, names, 1, 1
    null = Guid("{00000000-0000-0000-0000-000000000000}")
    return ptr._fns[6](ptr.as_raw(), dispid, null.cdata(ffi), 0, 1, params, ffi.NULL, ffi.NULL, ffi.NULL)


def test_dispinterface_sink_invoke_contract(source):
    """The sink's IDispatch as any client sees it: names to DISPIDs (case-insensitive), a handler's result, events
    it does not handle, named arguments refused, object arguments borrowed for the call."""
    import testlib

    from ole32_bindings.guid import Guid
    from ole32_bindings.hresult import ComError
    from vtables import ComObject
    from vtables.interfaces import IPersist
    from vtables.latebound import Dispatch, invoke
    from vtables.object import live_object_count
    from vtables.sinks import advise

    class Answers:
        def __init__(self):
            self.seen = []

        def Tick(self, n):
            self.seen.append(n)
            return n * 2

        def Message(self, text):
            self.seen.append(text)

    class Thing(ComObject, implements=[IPersist]):
        def GetClassID(self):
            return Guid(testlib.CLSID_NativeEventSource)

    sink = Answers()
    with advise(source, sink):
        with _sink_dispatch(source, Guid(testlib.DIID_DNativeEvents)) as ptr, Dispatch(ptr) as d:
            assert invoke(d, "tick", 1, 21) == 42  # GetIDsOfNames("tick") -> 1, Invoke(METHOD), the result VARIANT
            with pytest.raises(ComError) as e:
                invoke(d, "Tick", 2)  # a property get: events are methods
            assert e.value.hresult == 0x80020003  # DISP_E_MEMBERNOTFOUND
            assert invoke(d, 77, 1, "ignored") is None  # a DISPID it has no handler for: S_OK
            assert _invoke_named(ptr, 1) == 0x80020007 - 2**32  # DISP_E_NONAMEDARGS
            before = live_object_count()
            invoke(d, "Message", 1, Thing())  # an object argument: a ComPtr borrowed for the call
            assert live_object_count() == before
    assert sink.seen[0] == 21 and len(sink.seen) == 2
    assert sink.seen[1].released  # released when the handler returned


def test_a_foreign_dispinterface_source_described_by_its_idispatch_library(mta, tmp_path):
    """MSXML's DOMDocument (Wine's msxml3): IConnectionPointContainer without IProvideClassInfo, so the source is
    named by IID and its DISPIDs come from the library of the object's IDispatch type information. Under Wine it
    accepts the sink and never fires (docs/wine.md); on Windows loading a document fires onreadystatechange."""
    from testlib import running_on_wine

    from ole32_bindings.guid import Guid
    from vtables.latebound import Dispatch
    from vtables.object import live_object_count
    from vtables.sinks import EventSourceError, advise

    diid = Guid("{3EFAA427-272F-11D2-836F-0000F87A7782}")  # XMLDOMDocumentEvents
    xml = tmp_path / "doc.xml"
    xml.write_text("<a><b/></a>")

    class States:
        def __init__(self):
            self.got = []

        def onreadystatechange(self):
            self.got.append("readystatechange")

        def OnDataAvailable(self):
            self.got.append("dataavailable")

    sink = States()
    before = live_object_count()
    with Dispatch("Msxml2.DOMDocument.3.0") as doc:
        with pytest.raises(EventSourceError, match="default source"):
            advise(doc, sink)  # no IProvideClassInfo: the IID must be given
        with advise(doc, sink, diid) as conn:
            assert conn.name == "XMLDOMDocumentEvents" and conn.cookie >= 1
            assert live_object_count() == before + 1  # the sink object, held by the document
            setattr(doc, "async", True)  # an asynchronous load: what these events are for
            doc.load(str(xml))
            deadline = time.monotonic() + 10
            while doc.readyState != 4 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert doc.readyState == 4
            with doc.documentElement as root:
                assert root.nodeName == "a"
        assert live_object_count() == before  # Unadvise released it
    if running_on_wine():
        assert sink.got == []
    else:
        assert "readystatechange" in sink.got and set(sink.got) <= {"readystatechange", "dataavailable"}


def test_an_unhandled_event_with_out_values_answers_zeros(mta):
    """An event with [out] values: a sink without that handler answers S_OK with zeros; one with it returns its
    values. The source is a minimal connection point written here, which keeps the sink and calls it through its
    vtable."""
    from vtables import ComObject
    from vtables.client import client_class
    from vtables.declare import method
    from vtables.interfaces import IConnectionPoint, IConnectionPointContainer, IUnknown
    from vtables.sinks import advise

    class IAsk(IUnknown):
        iid = "{6B1C0E52-3A47-4F19-9D2E-5C7A8B9D0E41}"
        Ask = method("HRESULT Ask([in] LONG n, [out] LONG *answer, [out] BSTR *why)")

    class Point(ComObject, implements=[IConnectionPoint, IConnectionPointContainer]):
        def __init__(self):
            self.sink = None

        def FindConnectionPoint(self, iid):
            return self

        def EnumConnectionPoints(self):
            raise NotImplementedError

        def GetConnectionInterface(self):
            return IAsk.iid

        def GetConnectionPointContainer(self):
            return self

        def Advise(self, sink):
            with client_class(IUnknown).from_borrowed(sink) as unk, unk.query(IAsk) as ask:
                self.sink = client_class(IAsk).from_raw(ask.into_raw(), direct=False)  # through the vtable
            return 1

        def Unadvise(self, cookie):
            self.sink.release()

        def EnumConnections(self):
            raise NotImplementedError

    class Answers:
        def Ask(self, n):
            return n + 1, f"because {n}"

    answers = []
    point = Point()
    with point.as_ptr(IConnectionPointContainer) as src:
        for sink in (object(), Answers()):
            with advise(src, sink, IAsk):
                answers.append(point.sink.Ask(7))
    assert answers == [(0, ""), (8, "because 7")]
