"""IBenchTarget the comtypes way: the interface as a comtypes user declares it, and the ``COMObject`` that
implements it (the in-process comtypes target of bench/pairs.py and the comtypes LocalServer32 bench/ctserver.py).

Imports only ctypes, comtypes and bench.contract: the comtypes server starts without loading this project's
library. Import it after ``sys.coinit_flags`` is set (comtypes joins COM on import).
"""

import ctypes

import comtypes
from comtypes import COMMETHOD, GUID, HRESULT, COMObject

from bench import contract


class CtBenchTarget(comtypes.IUnknown):
    """IBenchTarget declared the comtypes way (what a comtypes user writes)."""

    _iid_ = GUID(contract.IID_IBenchTarget)
    _methods_ = [
        COMMETHOD([], HRESULT, "Nothing"),
        COMMETHOD(
            [], HRESULT, "Work", (["in"], ctypes.c_long, "n"), (["out", "retval"], ctypes.POINTER(ctypes.c_long), "sum")
        ),
    ]


# comtypes declares no IStream: a comtypes user declares the part they use.
class CtSequentialStream(comtypes.IUnknown):
    _iid_ = GUID("{0C733A30-2A1C-11CE-ADE5-00AA0044773D}")
    _methods_ = [
        COMMETHOD(
            [],
            HRESULT,
            "Read",
            (["in"], ctypes.c_void_p, "pv"),
            (["in"], ctypes.c_ulong, "cb"),
            (["out"], ctypes.POINTER(ctypes.c_ulong), "pcbRead"),
        ),
        COMMETHOD(
            [],
            HRESULT,
            "Write",
            (["in"], ctypes.c_void_p, "pv"),
            (["in"], ctypes.c_ulong, "cb"),
            (["out"], ctypes.POINTER(ctypes.c_ulong), "pcbWritten"),
        ),
    ]


class CtStream(CtSequentialStream):
    _iid_ = GUID("{0000000C-0000-0000-C000-000000000046}")
    _methods_ = [
        COMMETHOD(
            [],
            HRESULT,
            "Seek",
            (["in"], ctypes.c_longlong, "dlibMove"),
            (["in"], ctypes.c_ulong, "origin"),
            (["out"], ctypes.POINTER(ctypes.c_ulonglong), "newpos"),
        ),
    ]


_create_stream = ctypes.oledll.ole32.CreateStreamOnHGlobal


class CtTarget(COMObject):
    """IBenchTarget implemented with comtypes, Work going through the runtime's stream like every other
    implementation."""

    _com_interfaces_ = [CtBenchTarget]

    def Nothing(self) -> None:
        return None

    def Work(self, n: int) -> int:
        stream = ctypes.POINTER(CtStream)()
        _create_stream(None, True, ctypes.byref(stream))
        value = ctypes.c_long()
        for i in range(n):
            value.value = i
            stream.Write(ctypes.addressof(value), 4)
        stream.Seek(0, 0)
        total = 0
        for _ in range(n):
            stream.Read(ctypes.addressof(value), 4)
            total += value.value
        return total % 2**31
