"""The event rows (issue 13): firing one event to 1 and to 10 sinks, in process (12a, 12b) and out of process (12e,
12f). bench/README.md, "The event rows".

The contract is the test DLL's NativeEventsLib (native/testlib/nativeevents.idl): the source's ``Fire(count)``
(INativeEventSource) fires ``Tick(0)`` .. ``Tick(count - 1)``, each to every sink advised on its custom source
interface INativeEvents (a vtable call per sink). A pair is *source -> sinks*: the "client" column is who fires,
the "server" column who receives.

* C++ source: the test DLL's NativeEventSource (IConnectionPointContainer + IConnectionPoint over a small sink
  array, written the standard way), in this process (``TL_CreateEventSource``) or out of process
  (``build/native/events_host.exe``, a LocalServer32 built from the DLL's sources).
* Our source: :class:`PyEventSource`, ``ComObject`` with ``sources=[INativeEvents]`` (vtables.events), whose
  ``Fire`` calls ``self.fire(INativeEvents.Tick, n)``; in this process, or out of process in
  ``bench/eventserver.py`` (our LocalServer32).
* C++ sinks: the test DLL's EventSink, advised by its C++ client (``TL_Advise``).
* Our sinks: plain Python objects with a ``Tick`` method, connected by ``vtables.sinks.advise``.

A sample is one ``TL_Fire(source, n)`` call (the native client asks the source to fire n events): its time / n is
the cost of one event delivered to every sink. Out of process, the sinks live in this (the client's) process and
every event crosses back through the proxies of the sinks; the MTA receives them on COM's threads.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from ole32_bindings.dlls import ffi
from ole32_bindings.guid import Guid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EVENTS_HOST = os.path.join(ROOT, "build", "native", "events_host.exe")
EVENTS_TLB = os.path.join(ROOT, "build", "native", "nativeevents.tlb")

IID_INativeEvents = Guid("{045FC7FC-A457-462A-814E-7D40EC8BF129}")
IID_INativeEventSource = Guid("{4784B908-252C-4D55-A1D2-0ED91AB44DDA}")
DIID_DNativeEvents = Guid("{9BE31FC7-AA3E-48FB-921D-F23A4376F7B6}")
LIBID_NativeEventsLib = Guid("{FA5B32B1-5E38-4AE8-A8AD-DE57D9EA64BA}")
#: the C++ source (NativeEventSource of the test DLL): in-process, and events_host.exe's LocalServer32
CLSID_CppEventSource = Guid("{FC5A0B6F-84B0-4F9F-A50D-45CF4D8193B1}")
#: our source as a LocalServer32 (bench/eventserver.py)
CLSID_PyEventServer = Guid("{509B79CD-E27A-4D89-ADD0-15BFFFD87733}")


def interfaces() -> tuple[Any, Any]:
    """(INativeEvents, INativeEventSource) as nativeevents.idl declares them, declared once per process (the
    tests' testlib.native_events_interfaces() is this)."""
    from vtables.declare import interface_for_iid, method
    from vtables.interfaces import IUnknown

    events, source = interface_for_iid(IID_INativeEvents), interface_for_iid(IID_INativeEventSource)
    if events is not None and source is not None:
        return events, source

    class INativeEvents(IUnknown):
        iid = IID_INativeEvents
        Tick = method("HRESULT Tick([in] LONG n)")
        Message = method("HRESULT Message([in] BSTR text)")

    class INativeEventSource(IUnknown):
        iid = IID_INativeEventSource
        Fire = method("HRESULT Fire([in] LONG count)")
        FireMessage = method("HRESULT FireMessage([in] BSTR text)")
        get_Failures = method("[propget] HRESULT Failures([out, retval] LONG *count)")
        get_LastFailure = method("[propget] HRESULT LastFailure([out, retval] LONG *hr)")
        get_Connections = method("[propget] HRESULT Connections([out, retval] LONG *count)")

    return INativeEvents, INativeEventSource


def dispinterface() -> Any:
    """DNativeEvents (the same events as a dispinterface, DISPIDs 1 and 2), declared once per process."""
    from vtables.declare import interface_for_iid
    from vtables.dispatch import DispInterface, dispmethod

    known = interface_for_iid(DIID_DNativeEvents)
    if known is not None:
        return known

    class DNativeEvents(DispInterface):
        iid = DIID_DNativeEvents
        Tick = dispmethod("[id(1)] void Tick([in] LONG n)")
        Message = dispmethod("[id(2)] void Message([in] BSTR text)")

    return DNativeEvents


_classes: dict[str, Any] = {}


def py_source_class() -> Any:
    """Our event source: INativeEventSource over ``sources=[INativeEvents]`` (made once)."""
    cls = _classes.get("source")
    if cls is not None:
        return cls
    from vtables import ComObject

    INativeEvents, INativeEventSource = interfaces()
    DNativeEvents = dispinterface()
    tick, dtick = INativeEvents.Tick, DNativeEvents.Tick
    message, dmessage = INativeEvents.Message, DNativeEvents.Message

    class PyEventSource(ComObject, implements=[INativeEventSource], sources=[DNativeEvents, INativeEvents]):
        """Fires through vtables.events, each event to both sources as the C++ source does (the custom one's sinks
        first); counts failures as it does."""

        def __init__(self) -> None:
            self.failures = 0
            self.last_failure = 0

        def _count(self, failed: list[Any]) -> None:
            if failed:
                self.failures += len(failed)
                self.last_failure = failed[-1].hresult

        def Fire(self, count: int) -> None:
            fire = self.fire
            for n in range(count):
                failed = fire(tick, n)
                if failed:
                    self._count(failed)
                failed = fire(dtick, n)
                if failed:
                    self._count(failed)

        def FireMessage(self, text: str) -> None:
            self._count(self.fire(message, text))
            self._count(self.fire(dmessage, text))

        Failures = property(lambda self: self.failures)
        LastFailure = property(lambda self: self.last_failure)

        @property
        def Connections(self) -> int:
            from vtables.events import connections

            return len(connections(self, INativeEvents)) + len(connections(self, DNativeEvents))

    _classes["source"] = PyEventSource
    return PyEventSource


class CountingSink:
    """Our sink: counts the ticks and sums their n."""

    def __init__(self) -> None:
        self.ticks = 0
        self.total = 0

    def Tick(self, n: int) -> None:
        self.ticks += 1
        self.total += n


# ---- registration ------------------------------------------------------------------------------------------------


def registrations() -> list[Any]:
    """The two LocalServer32s of the out-of-process rows: events_host.exe (C++) and bench/eventserver.py (ours)."""
    from ole32_servers.registration import ServerRegistration, python_command

    return [
        ServerRegistration(
            CLSID_CppEventSource,
            "ole32-bindings native event source (events_host.exe)",
            f'"{os.path.abspath(EVENTS_HOST)}"',
        ),
        ServerRegistration(
            CLSID_PyEventServer,
            "ole32-bindings event source (Python)",
            python_command(os.path.join(ROOT, "bench", "eventserver.py")),
            appid=CLSID_PyEventServer,
        ),
    ]


def register() -> None:
    """Register both servers and NativeEventsLib (widl's, for the typelib marshaler: INativeEvents and
    INativeEventSource between processes). Idempotent."""
    from ole32_servers.registration import register as register_class
    from ole32_servers.typelib import register_type_library

    for reg in registrations():
        register_class(reg)
    register_type_library(EVENTS_TLB)


# ---- pairs -------------------------------------------------------------------------------------------------------


def _testlib() -> tuple[Any, Any]:
    from bench.pairs import testlib

    return testlib()


def _tl_guid(g: Guid) -> Any:
    f, _ = _testlib()
    c = f.new("GUID *")
    f.memmove(c, g.bytes_le, 16)
    return c


def _source(kind: str) -> Any:
    """A new source as our INativeEventSource client pointer: cpp / ours, in process or ``-local``."""
    from ole32_bindings import activation
    from ole32_bindings.constants import CLSCTX
    from vtables.client import client_class

    _, INativeEventSource = interfaces()
    ptr_class = client_class(INativeEventSource)
    if kind == "cpp":
        f, lib = _testlib()
        out = f.new("void **")
        hr = lib.TL_CreateEventSource(_tl_guid(IID_INativeEventSource), out)
        if hr != 0:
            raise RuntimeError(f"TL_CreateEventSource: 0x{hr & 0xFFFFFFFF:08X}")
        return ptr_class.from_raw(ffi.cast("void *", int(f.cast("uintptr_t", out[0]))))
    if kind == "ours":
        # direct=False: every call through the vtable, as a native client's (TL_Fire) is anyway
        return ptr_class.from_raw(py_source_class()().query_raw(IID_INativeEventSource), direct=False)
    clsid = {"cpp-local": CLSID_CppEventSource, "ours-local": CLSID_PyEventServer}[kind]
    deadline = time.monotonic() + 30
    while True:
        try:
            raw = activation.create_instance(clsid, IID_INativeEventSource, CLSCTX.LOCAL_SERVER)
            return ptr_class.from_raw(raw)
        except Exception as e:  # a server still stopping from the previous pair (CO_E_SERVER_STOPPING): retry
            if time.monotonic() > deadline or "STOPPING" not in str(e):
                raise
            time.sleep(0.05)


class _Sinks:
    """k sinks of one kind advised on a source's custom interface (``cpp``, ``ours``) or its dispinterface
    (``cpp-disp``, ``ours-disp``, ``comtypes``, ``pywin32``); ``received()`` reads what each got; ``close()``
    Unadvises."""

    def __init__(self, source: Any, kind: str, k: int) -> None:
        self.kind = kind
        self.source = source
        self.cookies: list[int] = []
        self.native: list[Any] = []
        self.python: list[Any] = []
        self.connections: list[Any] = []
        f, lib = _testlib()
        p = f.cast("void *", source.address())
        self.iid = iid = _tl_guid(DIID_DNativeEvents if kind.endswith("-disp") else IID_INativeEvents)
        try:
            if kind in ("comtypes", "pywin32"):
                self.python, self.connections = _foreign_sinks(source, kind, k)
                return
            for _ in range(k):
                if kind.startswith("cpp"):
                    out = f.new("void **")
                    hr = lib.TL_CreateEventSink(
                        f.NULL, 0, _tl_guid(Guid("{00000000-0000-0000-C000-000000000046}")), out
                    )
                    if hr != 0:
                        raise RuntimeError(f"TL_CreateEventSink: 0x{hr & 0xFFFFFFFF:08X}")
                    self.native.append(out[0])
                    cookie = f.new("DWORD *")
                    hr = lib.TL_Advise(p, iid, out[0], cookie)
                    if hr != 0:
                        raise RuntimeError(f"TL_Advise: 0x{hr & 0xFFFFFFFF:08X}")
                    self.cookies.append(cookie[0])
                else:
                    from vtables.sinks import advise

                    sink = CountingSink()
                    self.python.append(sink)
                    # the declarations: our LocalServer32's source has no type information to read them from
                    which = dispinterface() if kind.endswith("-disp") else interfaces()[0]
                    self.connections.append(advise(source, sink, which))
        except BaseException:
            self.close()
            raise

    def received(self) -> list[tuple[int, int]]:
        """(ticks, sum of n) of every sink."""
        if self.kind.startswith("cpp"):
            f, lib = _testlib()
            out = []
            for s in self.native:
                ticks, total = f.new("LONG *"), f.new("LONG64 *")
                lib.TL_EventSinkStats(s, ticks, total, f.NULL, f.NULL, 0)
                out.append((ticks[0], total[0]))
            return out
        return [(s.ticks, s.total) for s in self.python]

    def close(self) -> None:
        f, lib = _testlib()
        p = None if self.source.released else f.cast("void *", self.source.address())
        for c in self.cookies:
            if p is not None:
                lib.TL_Unadvise(p, self.iid, c)
        self.cookies.clear()
        for s in self.native:
            lib.TL_Release(s)
        self.native.clear()
        for c in self.connections:
            c.disconnect() if hasattr(c, "disconnect") else c.close()  # ours; pywin32's events object
        self.connections.clear()
        if self.kind in ("comtypes", "pywin32"):
            import gc

            self.python.clear()
            gc.collect()  # comtypes Unadvises and both release their pointers when their objects are collected


def _foreign_sinks(source: Any, kind: str, k: int) -> tuple[list[Any], list[Any]]:
    """k comtypes or pywin32 sinks on the source's DNativeEvents, each library's own way: comtypes' GetEvents with
    the interface of the module it generates from NativeEventsLib; pywin32's makepy event class for the registered
    library (gencache.EnsureModule), subclassed with an ``OnTick``. Returns (the sinks, what keeps each connected)."""
    import ctypes

    if kind == "comtypes":
        import comtypes
        import comtypes.client

        module = comtypes.client.GetModule(EVENTS_TLB)
        unk = ctypes.cast(ctypes.c_void_p(source.address()), ctypes.POINTER(comtypes.IUnknown))
        unk.AddRef()  # comtypes releases this one when `unk` is collected

        class CtSink:
            def __init__(self) -> None:
                self.ticks = 0
                self.total = 0

            def Tick(self, this: Any, n: int) -> None:
                self.ticks += 1
                self.total += n

        sinks = [CtSink() for _ in range(k)]
        # comtypes Unadvises when the connection object is collected (``close`` drops them, then collects)
        keep = [_Dropped(comtypes.client.GetEvents(unk, s, interface=module.DNativeEvents)) for s in sinks]
        del unk
        return sinks, keep
    import pythoncom
    from win32com.client import gencache

    module = gencache.EnsureModule(str(LIBID_NativeEventsLib), 0, 1, 0)

    class PwSink(module.DNativeEvents):  # type: ignore[misc,name-defined]
        def __init__(self, oobj: Any) -> None:
            self.ticks = 0
            self.total = 0
            super().__init__(oobj)

        def OnTick(self, n: int) -> None:
            self.ticks += 1
            self.total += n

    class Holder:  # what makepy's event classes read the object from
        _oleobj_ = pythoncom.ObjectFromAddress(source.address(), pythoncom.IID_IUnknown)

    sinks = [PwSink(Holder) for _ in range(k)]
    return sinks, list(sinks)  # close(): makepy's Unadvise


class _Dropped:
    """A comtypes connection kept until ``close`` (which drops it: comtypes Unadvises on collection)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def close(self) -> None:
        self.conn = None


def fire_measure(source_kind: str, sink_kind: str, k: int) -> Any:
    """The pair's Measure: ``k`` sinks of ``sink_kind`` on a new source of ``source_kind``; one sample is
    ``TL_Fire(source, n)``, per event."""
    from bench.pairs import Measure

    f, lib = _testlib()
    source = _source(source_kind)
    try:
        sinks = _Sinks(source, sink_kind, k)
    except BaseException:
        source.release()
        raise
    raw = f.cast("void *", source.address())
    fire: Callable[[int], int] = lambda n: lib.TL_Fire(raw, n)  # noqa: E731

    def sample(n: int) -> float:
        t0 = time.perf_counter()
        hr = fire(n)
        dt = time.perf_counter() - t0
        if hr != 0:
            raise RuntimeError(f"Fire({n}): 0x{hr & 0xFFFFFFFF:08X}")
        return dt / n

    def check() -> str:
        before = sinks.received()
        hr = fire(3)
        if hr != 0:
            raise RuntimeError(f"Fire(3): 0x{hr & 0xFFFFFFFF:08X}")
        after = sinks.received()
        got = [(a[0] - b[0], a[1] - b[1]) for a, b in zip(after, before, strict=True)]
        if got != [(3, 3)] * k:
            raise RuntimeError(f"Fire(3) to {k} sinks: each should get 3 ticks summing to 3, got {got}")
        if source.get_Connections() != k or source.get_Failures() != 0:
            raise RuntimeError(f"source reports {source.get_Connections()} sinks, {source.get_Failures()} failures")
        return f"Fire(3) reached {k} sink(s), 3 ticks each"

    def close() -> None:
        try:
            sinks.close()
        finally:
            source.release()

    return Measure(sample, check, close)
