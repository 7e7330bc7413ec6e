"""An event source served in process (InprocServer32, ``inproc_clock:PyClock``) for test_events_inproc_clients.py:
a dual IPyClock, the dispinterface DPyTickEvents as its default source, and ``typelib`` naming its registered
library so that pywin32 finds it from the object's type information."""

from ole32_bindings.guid import Guid
from vtables import ComObject, method
from vtables.interfaces import IDispatch
from vtables.members import DispInterface, dispmethod

CLSID_PyClock = Guid("{6A1F0E52-9D3B-4C7A-8E21-4B5C6D7E8F01}")
LIBID_PyClock = Guid("{6A1F0E52-9D3B-4C7A-8E21-4B5C6D7E8F02}")


class DPyTickEvents(DispInterface):
    iid = "{6A1F0E52-9D3B-4C7A-8E21-4B5C6D7E8F03}"
    Tick = dispmethod("[id(1)] void Tick([in] LONG n, [in] BSTR label)")


class IPyClock(IDispatch):
    iid = "{6A1F0E52-9D3B-4C7A-8E21-4B5C6D7E8F04}"
    Start = method("[id(1)] HRESULT Start([in] LONG n, [out, retval] LONG *failed)")


class PyClock(ComObject, implements=[IPyClock], sources=[DPyTickEvents]):
    """Start(n) fires Tick(n, "t<n>") and returns how many sinks failed."""

    clsid = CLSID_PyClock
    progid = "Ole32Bindings.Tests.PyClock"
    typelib = (LIBID_PyClock, 1, 0)

    def Start(self, n):
        return len(self.fire(DPyTickEvents.Tick, n, f"t{n}"))
