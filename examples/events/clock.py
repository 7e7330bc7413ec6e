"""The events example's class (README.md): ``Clock``, whose ``Start(n)`` fires ``Tick(0)`` .. ``Tick(n-1)`` and then
``Alarm("done")`` through its default source, the dispinterface ``DClockEvents``, and whose ``Ring(why)`` fires
``Ring`` through its custom (vtable) source ``IClockBell``.

This module holds the declarations and the class so that the server (``server.py``) serves it and the client
(``client.py``) can also make one in its own process.
"""

from __future__ import annotations

from ole32_bindings.guid import Guid
from vtables import ComObject, method
from vtables.dispatch import DispInterface, dispmethod
from vtables.interfaces import IDispatch, IUnknown

CLSID_Clock = Guid("{8905B6A4-A34C-4F08-8548-21CCBB609C01}")
LIBID_Clock = Guid("{8905B6A4-A34C-4F08-8548-21CCBB609C10}")
PROGID = "Ole32Bindings.Clock"


class DClockEvents(DispInterface):
    """The default source: events a script or any IDispatch sink receives by DISPID."""

    iid = Guid("{8905B6A4-A34C-4F08-8548-21CCBB609C21}")
    Tick = dispmethod("[id(1)] void Tick([in] LONG n)")
    Alarm = dispmethod("[id(2)] void Alarm([in] BSTR text)")


class IClockBell(IUnknown):
    """A custom source: sinks implement this vtable."""

    iid = Guid("{8905B6A4-A34C-4F08-8548-21CCBB609C22}")
    Ring = method("HRESULT Ring([in] BSTR why)")


class IClock(IDispatch):
    """The clock's own interface (dual)."""

    iid = Guid("{8905B6A4-A34C-4F08-8548-21CCBB609C20}")
    Start = method("[id(1)] HRESULT Start([in] LONG ticks)")
    Ring = method("[id(2)] HRESULT Ring([in] BSTR why)")
    get_Failures = method("[id(3), propget] HRESULT Failures([out, retval] LONG *count)")


class Clock(ComObject, implements=[IClock], sources=[DClockEvents, IClockBell]):
    """Fires its events to every advised sink; ``Failures`` counts the sink calls that failed so far."""

    progid = PROGID
    clsid = CLSID_Clock
    #: the registered library (server.py -RegServer): GetTypeInfo and GetClassInfo answer from it, as ATL's do, so
    #: clients that look the library up (pywin32's makepy) find it; unregistered, the in-memory description answers
    typelib = (LIBID_Clock, 1, 0)

    def __init__(self) -> None:
        self.failures = 0

    def Start(self, ticks: int) -> None:
        for n in range(ticks):
            self.failures += len(self.fire(DClockEvents.Tick, n))
        self.failures += len(self.fire(DClockEvents.Alarm, "done"))

    def Ring(self, why: str) -> None:
        self.failures += len(self.fire(IClockBell.Ring, why))

    @property
    def Failures(self) -> int:
        return self.failures
