"""Events with clients nobody here wrote (issue 13 item 5), against our event server: examples/events' Clock (a
Python class with ``sources=[DClockEvents, IClockBell]``, vtables.events), registered as a LocalServer32 with its
type library. The C++ sink and client of the test DLL, comtypes' GetEvents, pywin32's DispatchWithEvents, VBScript
through Wine's cscript (whose WScript.ConnectObject is not implemented: the test pins what Wine does), and the
example's own client (vtables.sinks), in process and out of process."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
from testlib import ROOT

pytestmark = pytest.mark.runtime

EXAMPLE = os.path.join(ROOT, "examples", "events")
PROGID = "Ole32Bindings.Clock"
EXPECTED = ["tick 0", "tick 1", "tick 2", "alarm done", "ring noon"]


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout
    )


def _python_processes() -> set[int]:
    from ole32_bindings import win32

    return {pid for pid, _, exe in win32.processes() if exe.lower() == "python.exe"}


@pytest.fixture(scope="module")
def clock():
    """The example registered for the module; afterwards unregistered, nothing left in the registry and no server
    process left running."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("events_example_server", os.path.join(EXAMPLE, "server.py"))
    assert spec is not None and spec.loader is not None
    server = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(server)  # puts EXAMPLE on sys.path, for clock
    import clock as module

    while EXAMPLE in sys.path:
        sys.path.remove(EXAMPLE)
    from ole32_bindings.registry import HKEY_CLASSES_ROOT, key_exists

    before = _python_processes()
    r = _run(os.path.join(EXAMPLE, "server.py"), "-RegServer")
    assert r.returncode == 0, r.stderr
    try:
        yield module
    finally:
        r = _run(os.path.join(EXAMPLE, "server.py"), "-UnregServer")
        assert r.returncode == 0, r.stderr
        keys = [*server.registration().keys, f"TypeLib\\{module.LIBID_Clock}"]
        assert [k for k in keys if key_exists(HKEY_CLASSES_ROOT, k)] == []
        deadline = time.monotonic() + 15
        while (left := _python_processes() - before) and time.monotonic() < deadline:
            time.sleep(0.1)  # the LocalServer32 exits after its linger
        assert not left, f"Clock server(s) still running: {left}"


def _local_clock(module):
    """Ole32Bindings.Clock out of process, as our IClock client pointer (the caller releases it)."""
    from testlib import activate_local

    return activate_local(module.CLSID_Clock, module.IClock)


@pytest.mark.parametrize("where", ["in-process", "local"])
def test_the_example_client(clock, where):
    args = [os.path.join(EXAMPLE, "client.py")] + (["--local"] if where == "local" else [])
    r = _run(*args)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:5] == EXPECTED, r.stdout + r.stderr
    assert lines[5] == "connected: DClockEvents cookie 1, IClockBell cookie 1"
    assert lines[6] == "disconnected: True; failures 0"


def test_cpp_sink_on_our_dispinterface_source_out_of_process(clock, mta):
    """The test DLL's C++ client advises its C++ sink (an IDispatch reading DISPIDs 1 and 2) on the Clock's
    DClockEvents, through the proxies of another process."""
    import testlib

    ffi, lib = testlib.load()
    live = lib.TL_EventsLiveObjects()
    sink = testlib.new_event_sink(dispinterface=clock.DClockEvents.iid)
    cookie = ffi.new("DWORD *")
    iid = testlib.guid(clock.DClockEvents.iid)
    with _local_clock(clock) as c:
        p = ffi.cast("void *", c.address())
        assert lib.TL_Advise(p, iid, sink, cookie) == 0 and cookie[0] >= 1
        c.Start(3)  # Tick(0..2): DISPID 1; Alarm("done"): DISPID 2, a BSTR
        assert lib.TL_Unadvise(p, iid, cookie[0]) == 0
        assert lib.TL_Unadvise(p, iid, cookie[0]) == 0x80040200 - 2**32  # CONNECT_E_NOCONNECTION
        c.Start(1)  # nobody listens
        assert c.get_Failures() == 0
    assert testlib.event_sink_stats(sink) == (3, 3, 1, "done")
    lib.TL_Release(sink)
    assert lib.TL_EventsLiveObjects() == live


def test_cpp_sink_on_our_vtable_source(mta):
    """The C++ sink's INativeEvents vtable, called by a Python source with ``sources=[INativeEvents]``; a C++ sink
    that fails is reported by fire() and does not stop the next one."""
    import testlib

    from vtables import ComObject
    from vtables.events import connections

    INativeEvents, INativeEventSource = testlib.native_events_interfaces()

    class PySource(ComObject, implements=[INativeEventSource], sources=[INativeEvents]):
        def __init__(self):
            self.failures = []

        def Fire(self, count):
            for n in range(count):
                self.failures += self.fire(INativeEvents.Tick, n)

        def FireMessage(self, text):
            self.failures += self.fire(INativeEvents.Message, text)

        Failures = property(lambda self: len(self.failures))
        LastFailure = property(lambda self: self.failures[-1].hresult if self.failures else 0)
        Connections = property(lambda self: len(connections(self)))

    ffi, lib = testlib.load()
    good, bad = testlib.new_event_sink(), testlib.new_event_sink(0x80040201 - 2**32)
    cookie = ffi.new("DWORD *")
    obj = PySource()
    with obj.as_ptr(INativeEventSource) as src:
        p = ffi.cast("void *", src.address())
        iid = testlib.guid(INativeEvents.iid)
        cookies = []
        for s in (bad, good):
            assert lib.TL_Advise(p, iid, s, cookie) == 0
            cookies.append(cookie[0])
        assert src.get_Connections() == 2
        src.Fire(4)
        src.FireMessage("from Python")
        assert [f.hresult & 0xFFFFFFFF for f in obj.failures] == [0x80040201] * 5
        for c in cookies:
            assert lib.TL_Unadvise(p, iid, c) == 0
    assert testlib.event_sink_stats(good) == (4, 6, 1, "from Python")
    assert testlib.event_sink_stats(bad) == (4, 6, 1, "from Python")
    lib.TL_Release(good)
    lib.TL_Release(bad)


def test_comtypes_get_events(clock, mta, tmp_path, monkeypatch):
    """comtypes finds the default source itself (IProvideClassInfo2, then the coclass's type information, from
    which it generates a module) and connects its own sink; out of process."""
    sys.coinit_flags = 0  # comtypes joins COM when imported: the MTA, like this test thread
    import comtypes
    import comtypes.client

    gen = tmp_path / "gen"
    gen.mkdir()
    monkeypatch.setattr(comtypes.client, "gen_dir", str(gen))  # its generated modules stay out of the install
    monkeypatch.syspath_prepend(str(tmp_path))

    class Sink:
        def __init__(self):
            self.got = []

        def Tick(self, this, n):
            self.got.append(("tick", n))

        def Alarm(self, this, text):
            self.got.append(("alarm", text))

    o = comtypes.client.CreateObject(PROGID)
    sink = Sink()
    try:
        conn = comtypes.client.GetEvents(o, sink)
        o.Start(2)
        del conn  # comtypes Unadvises when its connection object goes
        o.Start(1)
    finally:
        del o
    assert sink.got == [("tick", 0), ("tick", 1), ("alarm", "done")]


def test_pywin32_dispatch_with_events(clock, mta):
    """pywin32's DispatchWithEvents on the ProgID alone: the Clock names its registered type library
    (``typelib = (LIBID, 1, 0)``), so its type information leads pywin32 to that library and makepy runs on it by
    itself (the module it made before, if any, is removed first)."""
    sys.coinit_flags = 0
    import shutil

    import win32com.client
    from win32com.client import gencache

    name = f"{str(clock.LIBID_Clock).strip('{}')}x0x1x0"
    for entry in os.listdir(gencache.GetGeneratePath()):
        if entry.startswith(name):
            path = os.path.join(gencache.GetGeneratePath(), entry)
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    gencache.Rebuild(verbose=0)  # its index forgets the removed module

    class Handler:
        got: list = []

        def OnTick(self, n):
            Handler.got.append(("tick", n))

        def OnAlarm(self, text):
            Handler.got.append(("alarm", text))

    d = win32com.client.DispatchWithEvents(PROGID, Handler)
    try:
        d.Start(2)
        d.close()  # Unadvise
        d.Start(1)
    finally:
        del d
        import gc

        gc.collect()
    assert Handler.got == [("tick", 0), ("tick", 1), ("alarm", "done")]


def test_vbscript_connect_object(clock):
    """WScript.ConnectObject on the Clock. Windows connects the script's subs (3 ticks, 1 alarm); Wine 8's
    cscript answers E_NOTIMPL (VBScript error 445) without calling the object, so no event arrives
    (docs/wine.md)."""
    from testlib import running_on_wine

    proc = subprocess.Popen(
        ["cscript.exe", "//nologo", os.path.join(EXAMPLE, "events.vbs"), PROGID],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[
        str
    ] = []  # read by a thread: Wine's explorer.exe inherits cscript's pipes (see test_automation_contract)
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        proc.wait(timeout=180)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    reader.join(5)
    out = [line.strip() for line in lines if line.strip()]
    if running_on_wine():
        assert out == ["ConnectObject failed 445 Object doesn't support this action", "ticks 0 alarms 0"], out
    else:
        assert out == ["alarm done", "ticks 3 alarms 1"], out


def test_our_sinks_in_an_sta_get_the_events_on_their_thread(clock):
    """A client in an STA: the server's calls to its sinks are dispatched by the STA's message loop while the
    client waits for Start/Ring, on the client's own thread (COM's rule for apartment-bound sinks)."""
    import threading

    from ole32_marshalling.sta import StaThread
    from vtables.sinks import advise

    def body():
        me = threading.get_ident()
        seen = []

        class Sink:
            def Tick(self, n):
                seen.append((n, threading.get_ident()))

            def Ring(self, why):
                seen.append((why, threading.get_ident()))

        with _local_clock(clock) as c, advise(c, Sink()), advise(c, Sink(), clock.IClockBell):
            c.Start(2)
            c.Ring("sta")
        return me, seen

    with StaThread() as sta:
        me, seen = sta.call(body)
    assert [what for what, _ in seen] == [0, 1, "sta"]
    assert {thread for _, thread in seen} == {me}


def test_comtypes_show_events(clock, mta, tmp_path, monkeypatch, capsys):
    """comtypes' ShowEvents: its own generic sink on the default source prints every event it receives."""
    sys.coinit_flags = 0
    import comtypes.client

    gen = tmp_path / "gen"
    gen.mkdir()
    monkeypatch.setattr(comtypes.client, "gen_dir", str(gen))
    monkeypatch.syspath_prepend(str(tmp_path))
    o = comtypes.client.CreateObject(PROGID)
    try:
        conn = comtypes.client.ShowEvents(o)
        o.Start(1)
        del conn
    finally:
        del o
    out = capsys.readouterr().out.splitlines()
    events = [line for line in out if line.startswith("Event ")]
    assert events == ["Event DClockEvents_Tick(None, 0)", "Event DClockEvents_Alarm(None, 'done')"], out


@pytest.mark.kills_servers
def test_disconnect_after_the_source_process_died_takes_the_sink_back(mta, tmp_path):
    """The source's process dies with our sink advised: Unadvise cannot reach it, so disconnect() returns False
    and disconnects the sink from the stubs that held it for the dead process (Wine never releases them itself):
    the sink object is destroyed, nothing is left (the leak check). The server is the events tests' clockserver.py,
    under a CLSID of its own, ended by id."""
    from testlib import activate_local

    from ole32_bindings import win32
    from ole32_bindings.guid import Guid
    from ole32_servers.typelib import build_type_library, register_type_library, unregister_type_library
    from vtables.object import live_object_count
    from vtables.sinks import advise

    here = os.path.join(ROOT, "tests", "ole32_servers")
    sys.path.insert(0, here)
    try:
        from clockserver import DServerClockEvents, IServerAlarm, IServerClock, LIBID_ClockServer
    finally:
        sys.path.remove(here)
    path = str(tmp_path / "clockserver.tlb")
    build_type_library(path, LIBID_ClockServer, "ClockServerLib", [IServerClock, DServerClockEvents, IServerAlarm])
    register_type_library(path)
    clsid = Guid.new()
    proc = subprocess.Popen(
        [sys.executable, os.path.join(here, "clockserver.py"), "-Embedding", "-Clsid", str(clsid)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    try:

        class Ticks:
            def __init__(self):
                self.got = []

            def Tick(self, n, label):
                self.got.append(label)

        before = live_object_count()
        sink = Ticks()
        with activate_local(clsid, IServerClock) as clock:
            conn = advise(clock, sink)  # the default source, from the server's IProvideClassInfo2
            assert clock.Start(2) == 0 and sink.got == ["t2"]
            assert live_object_count() == before + 1
            proc.kill()
            proc.wait(10)
        assert conn.disconnect() is False  # the source is gone
        assert not conn.connected and conn.disconnect() is False
        deadline = time.monotonic() + 10
        while live_object_count() != before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert live_object_count() == before
    finally:
        if proc.poll() is None:
            win32.terminate_process(proc.pid)
            proc.wait(10)
        unregister_type_library(LIBID_ClockServer, (1, 0))
