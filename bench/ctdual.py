"""IBenchDual the comtypes way: the interface from ``comtypes.client.GetModule`` on widl's type library
(build/native/benchdual.tlb, what a comtypes user does), and the ``COMObject`` that implements it (the in-process
comtypes server of rows 9a/9b, and the second class of comtypes' LocalServer32 bench/ctserver.py).

comtypes answers IDispatch for a dual interface itself: GetIDsOfNames and Invoke go to oleaut32's
DispGetIDsOfNames / DispInvoke with the type information of the registered library (``_reg_typelib_``), which
calls the object's own vtable (as ATL does). BenchDualLib must be registered (bench_cpp_server.exe -RegServer).

Imports only ctypes, comtypes, bench.contract and bench.cttarget: the comtypes server starts without loading this
project's library. Import it after ``sys.coinit_flags`` is set (comtypes joins COM on import).
"""

import os

import comtypes.client

from bench import contract
from bench.cttarget import CtTarget

TLB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "build", "native", "benchdual.tlb")

#: comtypes' module generated from BenchDualLib (comtypes.gen.BenchDualLib; generated on first use, then imported)
BenchDualLib = comtypes.client.GetModule(TLB)
CtBenchDual = BenchDualLib.IBenchDual


class CtDual(comtypes.COMObject):
    """IBenchDual implemented with comtypes; Work is CtTarget's (its stream work through comtypes)."""

    _com_interfaces_ = [CtBenchDual]
    _reg_typelib_ = (contract.LIBID_BenchDual, 1, 0)

    def Nothing(self) -> None:
        return None

    Work = CtTarget.Work

    def Mix(self, s: str, n: int, d: float) -> str:
        return f"{s}:{n}:{d:.17g}"
