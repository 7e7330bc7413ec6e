"""IBenchTarget the pywin32 way: a plain Python class that pywin32's policy wraps and its universal gateway serves
(the in-process pywin32 targets of bench/pairs.py and the pywin32 LocalServer32 bench/pwserver.py). pywin32's
class factory finds it by the registry value ``HKCR\\CLSID\\{clsid}\\PythonCOM = bench.pwtarget.PwTarget``.

Imports nothing at module level but bench.contract: the pywin32 server starts without loading this project's
library. ``register_interfaces()`` must run once per process before an object is wrapped (the universal gateway
builds IBenchTarget's vtable from its registered type library).
"""

from bench import contract

_registered = False


def register_interfaces() -> None:
    """pywin32's universal gateway for IBenchTarget, from the registered type library (once per process)."""
    global _registered
    if not _registered:
        import win32com.universal

        win32com.universal.RegisterInterfaces(contract.LIBID_BenchTarget, 0, 1, 0, ["IBenchTarget"])
        _registered = True


class PwTarget:
    """IBenchTarget implemented the pywin32 way, its stream work through pythoncom."""

    _com_interfaces_ = [contract.IID_IBenchTarget]
    _public_methods_ = ["Nothing", "Work"]

    def Nothing(self) -> None:
        return None

    def Work(self, n: int) -> int:
        import struct

        import pythoncom

        stream = pythoncom.CreateStreamOnHGlobal()
        for i in range(n):
            stream.Write(struct.pack("<i", i))
        stream.Seek(0, 0)
        return sum(struct.unpack("<i", stream.Read(4))[0] for _ in range(n)) % 2**31


class PwDual:
    """IBenchDual implemented the pywin32 way: pywin32's designated policy reads the members and their DISPIDs from
    the registered type library (``_typelib_guid_``: BenchDualLib, registered by bench_cpp_server.exe -RegServer)
    and answers IDispatch itself; the universal gateway serves the IBenchDual vtable from the same library."""

    _typelib_guid_ = contract.LIBID_BenchDual
    _typelib_version_ = (1, 0)
    _com_interfaces_ = ["IBenchDual"]

    def __init__(self) -> None:
        import pythoncom

        self._empty = pythoncom.Empty

    def Nothing(self) -> object:
        # pywin32's gateway writes a None result as VT_NULL; a method without a result leaves *pVarResult VT_EMPTY
        # (ITypeInfo::Invoke, comtypes and ours do): pythoncom.Empty is pywin32's VT_EMPTY.
        return self._empty

    Work = PwTarget.Work

    def Mix(self, s: str, n: int, d: float) -> str:
        return f"{s}:{n}:{d:.17g}"
