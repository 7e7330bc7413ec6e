"""IBenchTarget (the benchmark contract of bench/README.md) and its Python implementation, used by `make bench`
and by the object-model and server tests."""

from bench import contract
from ole32_bindings.guid import Guid
from vtables import method
from vtables.interfaces import IUnknown

#: Each implementation's class (bench/README.md lists them too; the strings live in bench/contract.py, which the
#: comtypes and pywin32 servers read without loading ours).
CLSID_PyTarget = Guid(contract.CLSID_PyTarget)  # ours, in-process (registered in-process)
CLSID_PyBenchServer = Guid(contract.CLSID_PyBenchServer)  # ours, LocalServer32 (bench/pyserver.py)
CLSID_CppBenchServer = Guid(contract.CLSID_CppBenchServer)  # C++, LocalServer32 (native/bench/server.cpp)
CLSID_CppBenchTarget = Guid(contract.CLSID_CppBenchTarget)  # C++, in-process (native/testlib DLL)
CLSID_PyInprocTarget = Guid(contract.CLSID_PyInprocTarget)  # ours, InprocServer32 (ole32_servers.inproc's host DLL)
CLSID_CtTarget = Guid(contract.CLSID_CtTarget)  # comtypes, in-process (bench/pairs.py)
CLSID_CtBenchServer = Guid(contract.CLSID_CtBenchServer)  # comtypes, LocalServer32 (bench/ctserver.py)
CLSID_PwTarget = Guid(contract.CLSID_PwTarget)  # pywin32, in-process (pywin32's class factory)
CLSID_PwBenchServer = Guid(contract.CLSID_PwBenchServer)  # pywin32, LocalServer32 (bench/pwserver.py)
#: IBenchTarget's type library (the same LIBID for widl's and ours: both describe the same interface).
LIBID_BenchTarget = Guid(contract.LIBID_BenchTarget)


class IBenchTarget(IUnknown):
    iid = contract.IID_IBenchTarget
    Nothing = method("HRESULT Nothing()")
    Work = method("HRESULT Work([in] LONG n, [out, retval] LONG *sum)")


_made: tuple = ()


def py_target_class():
    """PyTarget, made once per process: what an InprocServer32 registration names
    (``bench.benchtarget:py_target_class``, see ole32_servers.inproc)."""
    global _made
    if not _made:
        _made = make_classes()
    return _made[0]


def make_classes():
    """Runtime-only classes (defining a ComObject builds vtables, which needs the runtime)."""
    from ole32_bindings import streams
    from vtables.client import client_class
    from vtables.factory import ClassFactory
    from vtables.interfaces import IPersist, IStream
    from vtables.object import ComObject

    StreamPtr = client_class(IStream)

    class PyTarget(ComObject, implements=[IBenchTarget, IPersist]):
        def Nothing(self):
            return None

        def Work(self, n):
            if n < 0:
                raise ValueError(f"n must be >= 0, got {n}")
            s = StreamPtr.from_raw(streams.create_stream_on_hglobal())
            try:
                from ole32_bindings.dlls import ffi

                buf = ffi.new("LONG *")
                for i in range(n):
                    buf[0] = i
                    s.Write(buf, 4)
                s.Seek(ffi.new("LARGE_INTEGER *")[0], 0, ffi.NULL)
                total = 0
                for _ in range(n):
                    s.Read(buf, 4)
                    total += buf[0]
                return total % 2**31
            finally:
                s.release()

        def GetClassID(self):
            return CLSID_PyTarget

    class PyFactory(ClassFactory):
        """The class object of PyTarget (aggregatable, as ClassFactory allows by default)."""

        def __init__(self):
            super().__init__(PyTarget)

    return PyTarget, PyFactory
