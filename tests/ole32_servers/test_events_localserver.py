"""Events out of process: a LocalServer32 (clockserver.py, STA and MTA) fires at sinks living in this (client)
process, through the proxies of their interfaces (the type library registered for the typelib marshaler); a sink
that fails does not stop the others; a client that forgets to Unadvise gets its sinks released when the server's
object goes; and what the runtime does with the client's sinks when the server process dies."""

import os
import subprocess
import sys
import threading
import time

import pytest
from testlib import ROOT, activate_local

pytestmark = pytest.mark.runtime

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "clockserver.py")
sys.path.insert(0, HERE)
from clockserver import DServerClockEvents, IServerAlarm, IServerClock, LIBID_ClockServer  # noqa: E402


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """The server's interfaces in a registered type library (the typelib marshaler's proxies, the dispinterface
    through PSDispatch), unregistered after the module."""
    from ole32_servers.typelib import build_type_library, register_type_library, unregister_type_library

    path = str(tmp_path_factory.mktemp("clockserver") / "clockserver.tlb")
    build_type_library(path, LIBID_ClockServer, "ClockServerLib", [IServerClock, DServerClockEvents, IServerAlarm])
    assert register_type_library(path) == LIBID_ClockServer
    yield path
    assert unregister_type_library(LIBID_ClockServer, (1, 0)) is True


@pytest.fixture(scope="module")
def sinks():
    from vtables import ComObject

    class TickSink(ComObject, implements=[DServerClockEvents]):
        def __init__(self, fail=False):
            self.got, self.fail, self.threads = [], fail, set()

        def Tick(self, n, label):
            self.threads.add(threading.get_ident())
            self.got.append((n, label))
            if self.fail:
                raise ValueError("this sink refuses")

    class AlarmSink(ComObject, implements=[IServerAlarm]):
        def __init__(self):
            self.got = []

        def Ring(self, why, level):
            self.got.append((why, level))

    return TickSink, AlarmSink


@pytest.fixture
def start(tmp_path):
    """start(apartment) -> (clsid, process): a clock server of a fresh CLSID; ended by id if still running."""
    from ole32_bindings import win32
    from ole32_bindings.guid import Guid

    started = []

    def run(apartment):
        clsid = Guid.new()
        pid_file = str(tmp_path / f"server{len(started)}.pid")
        proc = subprocess.Popen(
            [sys.executable, SERVER, "-Embedding", "-Clsid", str(clsid), "-Apartment", apartment, "-PidFile", pid_file],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
        )
        started.append(proc)
        return clsid, proc

    yield run
    for proc in started:
        if proc.poll() is None:
            win32.terminate_process(proc.pid)
            proc.wait(10)


def _settled(read, want, timeout=10.0):
    """Poll ``read()`` until it equals ``want`` (the runtime releases remote references asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        got = read()
        if got == want or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


def _point(clock, iface):
    from vtables.interfaces import IConnectionPointContainer

    with clock.query(IConnectionPointContainer) as cpc:
        return cpc.FindConnectionPoint(iface.iid)


@pytest.mark.parametrize("apartment", ["MTA", "STA"])
def test_a_local_server_fires_at_sinks_in_the_client(mta, library, sinks, start, apartment):
    from ole32_bindings.hresult import ComError

    TickSink, AlarmSink = sinks
    clsid, proc = start(apartment)
    ticks = [TickSink(), TickSink(fail=True), TickSink()]
    alarm = AlarmSink()
    owners = [t.as_ptr(DServerClockEvents) for t in ticks] + [alarm.as_ptr(IServerAlarm)]
    try:
        with activate_local(clsid, IServerClock) as clock:
            assert type(clock).__name__ == "IServerClockPtr"  # a proxy to the other process
            with _point(clock, DServerClockEvents) as cp, _point(clock, IServerAlarm) as cp2:
                cookies = [cp.Advise(o) for o in owners[:3]]
                acookie = cp2.Advise(owners[3])
                with pytest.raises(ComError) as e:
                    cp2.Advise(owners[0])  # a tick sink lacks IServerAlarm
                assert e.value.hresult == 0x80040202
                assert clock.Connections() == 4
                assert [t.com_refcount > 1 for t in ticks] == [True] * 3  # the server holds each through a stub
                assert clock.Start(7) == 1  # one sink failed, the others were called
                assert [t.got for t in ticks] == [[(7, "t7")]] * 3
                assert threading.get_ident() not in ticks[0].threads  # the call came from the server, via RPC
                assert clock.Alarm("wake") == 0 and alarm.got == [("wake", 1)]
                for c in cookies:
                    cp.Unadvise(c)
                cp2.Unadvise(acookie)
                with pytest.raises(ComError) as e:
                    cp.Unadvise(cookies[0])
                assert e.value.hresult == 0x80040200
                assert clock.Connections() == 0
                assert clock.Start(8) == 0 and ticks[0].got == [(7, "t7")]
        assert [_settled(lambda t=t: t.com_refcount, 1) for t in [*ticks, alarm]] == [1] * 4
        assert proc.wait(20) == 0  # the server's object is gone and the server exits cleanly
    finally:
        for o in owners:
            o.release()
    assert all(t.com_destroyed for t in [*ticks, alarm])


def test_a_client_that_forgets_to_unadvise_gets_its_sinks_back(mta, library, sinks, start):
    TickSink, _ = sinks
    clsid, proc = start("STA")
    sink = TickSink()
    with sink.as_ptr(DServerClockEvents) as owner:
        with activate_local(clsid, IServerClock) as clock:
            with _point(clock, DServerClockEvents) as cp:
                cp.Advise(owner)
                cp.Advise(owner)
            assert clock.Start(1) == 0 and sink.got == [(1, "t1"), (1, "t1")]
            assert sink.com_refcount > 1
        # the clock is destroyed with two sinks advised: it releases both proxies, the stub releases the sink
        assert _settled(lambda: sink.com_refcount, 1) == 1
        assert proc.wait(20) == 0
    assert sink.com_destroyed


@pytest.mark.kills_servers
def test_when_the_server_dies_the_client_keeps_what_its_stub_held(mta, library, sinks, start):
    """Measured under Wine 8: after the server process is killed, the client's sink keeps the references the
    stub took for the dead server (Wine does not run COM's ping-based garbage collection, which on Windows
    releases them after about six minutes), so the client must take them back itself: CoDisconnectObject on its
    sink releases them at once. (docs/events.md, docs/wine.md.)"""
    from ole32_bindings import marshaling

    TickSink, _ = sinks
    clsid, proc = start("MTA")
    sink = TickSink()
    with sink.as_ptr(DServerClockEvents) as owner:
        with activate_local(clsid, IServerClock) as clock:
            with _point(clock, DServerClockEvents) as cp:
                cp.Advise(owner)
            assert clock.Start(2) == 0
            held = sink.com_refcount
            assert held > 1
            proc.kill()
            proc.wait(10)
            with pytest.raises(Exception):  # noqa: B017 - the server is gone: RPC_S_SERVER_UNAVAILABLE or the like
                clock.Start(3)
        time.sleep(2.0)
        after = sink.com_refcount
        print(f"sink count: {held} while advised, {after} two seconds after the server died")
        assert after == held  # nothing released it
        marshaling.disconnect_object(owner.as_raw())
        assert _settled(lambda: sink.com_refcount, 1) == 1
    assert sink.com_destroyed
