"""IBenchDual (the late-bound benchmark contract of bench/README.md) declared with vtables, and ours implementing
it: ``PyBenchDual``, in-process in rows 9a/9b and served by our LocalServer32 (bench/pyserver.py) in rows 10a/10b.

The declaration is widl's ``native/bench/benchdual.idl`` (the same DISPIDs, the same vtable); the late-bound rows
never call its vtable: they go through IDispatch::Invoke, which ``vtables.dispatch`` answers from it.
"""

from bench import contract
from ole32_bindings.guid import Guid
from vtables import method
from vtables.interfaces import IDispatch

#: IBenchDual's type library, BenchDualLib 1.0 (widl's, registered by bench_cpp_server.exe -RegServer)
LIBID_BenchDual = Guid(contract.LIBID_BenchDual)
CLSID_CppBenchDualServer = Guid(contract.CLSID_CppBenchDualServer)  # C++, LocalServer32 (bench_cpp_server.exe)
CLSID_CppBenchDualTarget = Guid(contract.CLSID_CppBenchDualTarget)  # C++, in-process (native/testlib DLL)
CLSID_PyBenchDualServer = Guid(contract.CLSID_PyBenchDualServer)  # ours, LocalServer32 (bench/pyserver.py)
CLSID_CtBenchDualServer = Guid(contract.CLSID_CtBenchDualServer)  # comtypes, LocalServer32 (bench/ctserver.py)
CLSID_PwBenchDualServer = Guid(contract.CLSID_PwBenchDualServer)  # pywin32, LocalServer32 (bench/pwserver.py)

#: What Mix("abc", 7, 2.5) returns (a VT_BSTR), the arguments of rows 9b's calls.
MIX_ARGS = ("abc", 7, 2.5)
MIX_RESULT = "abc:7:2.5"


def mix(s: str, n: int, d: float) -> str:
    """Mix's result: ``s:n:d`` with d as printf's ``%.17g`` (every implementation computes the same text)."""
    return f"{s}:{n}:{d:.17g}"


class IBenchDual(IDispatch):
    iid = contract.IID_IBenchDual
    Nothing = method("[id(1)] HRESULT Nothing()")
    Work = method("[id(2)] HRESULT Work([in] LONG n, [out, retval] LONG *sum)")
    Mix = method("[id(3)] HRESULT Mix([in] BSTR s, [in] LONG n, [in] double d, [out, retval] VARIANT *result)")


_made: tuple = ()


def py_dual_class() -> type:
    """PyBenchDual, made once per process (defining a ComObject builds vtables, which needs the runtime)."""
    global _made
    if not _made:
        from bench.benchtarget import py_target_class
        from vtables import ComObject  # loads vtables.dispatch: IDispatch for the class below

        class PyBenchDual(ComObject, implements=[IBenchDual]):
            """IBenchDual in Python: its IDispatch half is vtables.dispatch's, from this declaration."""

            progid = "Ole32Bindings.BenchDual"

            def Nothing(self) -> None:
                return None

            Work = py_target_class().Work  # IBenchTarget's Work, the same code (its stream work through COM)

            def Mix(self, s: str, n: int, d: float) -> str:
                return mix(s, n, d)

        _made = (PyBenchDual,)
    return _made[0]
