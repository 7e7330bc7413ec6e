"""IBenchTarget (the benchmark contract of bench/README.md) and its Python implementation, used by `make bench`
and by the object-model and server tests."""

from ole32_bindings.guid import Guid
from vtables import method
from vtables.interfaces import IUnknown

#: Each implementation's class (bench/README.md lists them too).
CLSID_PyTarget = Guid("{6A1F7C52-0E1B-4C8D-9E3F-2B4A5C6D7E80}")        # ours, in-process (registered in-process)
CLSID_PyBenchServer = Guid("{7C1E5A40-2B3D-4F5E-8A6B-1C2D3E4F5A02}")   # ours, LocalServer32 (bench/pyserver.py)
CLSID_CppBenchServer = Guid("{7C1E5A40-2B3D-4F5E-8A6B-1C2D3E4F5A01}")  # C++, LocalServer32 (native/bench/server.cpp)
CLSID_CppBenchTarget = Guid("{B7E0C2A1-4F3D-4E8B-9A61-2C5D7F8E9A01}")  # C++, in-process (native/testlib DLL)
CLSID_CtTarget = Guid("{6A1F7C52-0E1B-4C8D-9E3F-2B4A5C6D7E81}")        # comtypes, in-process (bench/pairs.py)
#: IBenchTarget's type library (the same LIBID for widl's and ours: both describe the same interface).
LIBID_BenchTarget = Guid("{3D840911-8FC7-4C2A-9C7B-05A5F4A82DB6}")


class IBenchTarget(IUnknown):
    iid = "{3D840911-8FC7-4C2A-9C7B-05A5F4A82DB5}"
    Nothing = method("HRESULT Nothing()")
    Work = method("HRESULT Work([in] LONG n, [out, retval] LONG *sum)")


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

