"""The client -> server pairs of each row: how each one is prepared, checked and timed.

A pair is a ``Pair(row, client, server, make)`` where ``make()`` prepares everything (objects, apartments,
registrations) and returns a ``Measure``: ``check()`` (correctness before speed: Work(100) == 4950, the pointer
kinds the row promises) and ``sample(iterations) -> seconds per operation``, then ``close()`` (refcounts back to
zero). A pair that cannot run here is ``NotAvailable(reason)``, shown as n/a with that reason.

Clients: ``cpp`` (native loops: bench_cpp_client.exe for rows it times in its own process, the testlib DLL loaded
in this process for in-process rows on Python objects), ``ours`` (vtables), ``comtypes``, ``pywin32``.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ole32_bindings import activation, marshaling, win32
from ole32_bindings.constants import CLSCTX
from ole32_bindings.dlls import ffi
from ole32_marshalling.sta import StaThread
from vtables.client import client_class
from vtables.factory import ClassFactory
from vtables.interfaces import IClassFactory

from . import events as EVENTS
from .benchdual import (
    CLSID_CppBenchDualServer,
    CLSID_CtBenchDualServer,
    CLSID_PwBenchDualServer,
    CLSID_PyBenchDualServer,
)
from .benchtarget import (
    CLSID_CppBenchServer,
    CLSID_CppBenchTarget,
    CLSID_CtBenchServer,
    CLSID_CtTarget,
    CLSID_PwBenchServer,
    CLSID_PwTarget,
    CLSID_PyBenchServer,
    CLSID_PyTarget,
    IBenchTarget,
    make_classes,
)
from .pwtarget import PwTarget  # IBenchTarget the pywin32 way (used by the pywin32-server pairs)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CPP_CLIENT = os.path.join(ROOT, "build", "native", "bench_cpp_client.exe")
TESTLIB_HEADER = os.path.join(ROOT, "native", "testlib", "testlib_api.h")
TESTLIB_DLL = os.path.join(ROOT, "build", "native", "vtables_testlib.dll")

PyTarget, PyFactory = make_classes()
BenchPtr = client_class(IBenchTarget)


class NotAvailable(Exception):
    """This pair cannot run on this runtime; the message says why (shown in the table)."""


@dataclass
class Measure:
    sample: Callable[[int], float]
    check: Callable[[], str] = lambda: "ok"
    close: Callable[[], None] = lambda: None
    #: iterations of one sample when the pair cannot calibrate itself (external processes)
    fixed_iterations: int | None = None
    #: a cold-activation pair's check is itself one timed cold activation: its seconds (quick mode uses them)
    check_sample: float | None = None


@dataclass
class Pair:
    row: str
    client: str
    server: str
    make: Callable[[], Measure]
    note: str = ""


@dataclass
class Result:
    pair: Pair
    samples: list[float] = field(default_factory=list)
    iterations: int = 0
    check: str = ""
    error: str = ""


# ---- shared native helpers ------------------------------------------------------------------------------------

_testlib: Any = None


def testlib() -> tuple[Any, Any]:
    """The native testlib DLL in this process (its loops are the in-process C++ client)."""
    global _testlib
    if _testlib is None:
        import cffi

        f = cffi.FFI()
        f.cdef(
            "typedef int32_t HRESULT; typedef uint32_t ULONG; typedef uint32_t DWORD; typedef int32_t LONG;"
            "typedef int64_t LONG64; typedef struct { uint32_t Data1; uint16_t Data2; uint16_t Data3;"
            " uint8_t Data4[8]; } GUID;"
        )
        with open(TESTLIB_HEADER, encoding="utf-8") as h:
            f.cdef(h.read())
        _testlib = (f, f.dlopen(os.path.abspath(TESTLIB_DLL)))
    return _testlib


def _tl_guid(g: Any) -> Any:
    f, _ = testlib()
    c = f.new("GUID *")
    f.memmove(c, g.bytes_le, 16)
    return c


def _check_hr(hr: int, what: str) -> None:
    if hr != 0:
        raise RuntimeError(f"{what} failed: 0x{hr & 0xFFFFFFFF:08X}")


def cpp_object() -> Any:
    """A new C++ bench target (testlib) as our client pointer."""
    f, lib = testlib()
    out = f.new("void **")
    _check_hr(lib.TL_CreateBenchTarget(f.NULL, _tl_guid(IBenchTarget.iid), out), "TL_CreateBenchTarget")
    return BenchPtr.from_raw(ffi.cast("void *", int(f.cast("uintptr_t", out[0]))))


def cpp_factory() -> Any:
    f, lib = testlib()
    out = f.new("void **")
    _check_hr(lib.TL_CreateClassFactory(_tl_guid(IClassFactory.iid), out), "TL_CreateClassFactory")
    return client_class(IClassFactory).from_raw(ffi.cast("void *", int(f.cast("uintptr_t", out[0]))))


def _per_op(fn: Callable[[], Any], iterations: int) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) / iterations


def _loop(fn: Callable[[], Any]) -> Callable[[int], float]:
    def sample(iterations: int) -> float:
        t0 = time.perf_counter()
        for _ in range(iterations):
            fn()
        return (time.perf_counter() - t0) / iterations

    return sample


def _work_check(call_work: Callable[[int], int]) -> str:
    got = call_work(100)
    if got != 4950:
        raise RuntimeError(f"Work(100) returned {got}, not 4950")
    return "work=4950"


# ---- the C++ client process -----------------------------------------------------------------------------------


def cpp_client_row(row: str, clsid: Any, iterations: int, n: int | None = None) -> dict[str, Any]:
    """Run bench_cpp_client.exe for one sample. Its stdout is a file, never our pipe: a server COM starts for it
    inherits its std handles."""
    args = [CPP_CLIENT, row, str(clsid), str(iterations)] + ([str(n)] if n is not None else [])
    for attempt in range(3):
        try:
            with tempfile.TemporaryFile() as out:
                proc = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, timeout=300)
                out.seek(0)
                text = out.read().decode("utf-8", "replace").strip().splitlines()
            break
        except OSError as e:
            # Seen once in a full `make bench` (row 7, cpp -> comtypes): starting the process failed with
            # ERROR_INTERNAL_ERROR (1359) under Wine, the next start worked. Only that code is retried.
            if getattr(e, "winerror", None) != 1359 or attempt == 2:
                raise
            time.sleep(0.2)
    data = json.loads(text[-1]) if text else {"error": "no output"}
    if proc.returncode != 0 or "error" in data:
        raise RuntimeError(f"bench_cpp_client {row}: {data.get('error')} {data.get('hresult', '')}".strip())
    return data


def cpp_exe_measure(row: str, clsid: Any, iterations: int, n: int | None = None) -> Measure:
    if row == "activate_cold":  # the server must be gone first: a previous pair's may still be exiting

        def activate(check: bool) -> tuple[float, str]:
            r = cpp_client_row(row, clsid, 1, n)
            return float(r["seconds_per_op"]), str(r.get("check", "ok"))

        return cold_measure(clsid, activate)

    m = Measure(lambda _: 0.0, fixed_iterations=iterations)
    quick_iterations = max(1, iterations // 4)  # what quick mode times (bench/run.py scales fixed loops by 1/4)

    def sample(it: int) -> float:
        return float(cpp_client_row(row, clsid, it, n)["seconds_per_op"])

    def check() -> str:
        # the process checks, then times a quick-mode loop: that run is quick mode's first sample
        r = cpp_client_row(row, clsid, quick_iterations, n)
        m.check_sample = float(r["seconds_per_op"])
        return str(r.get("check", "ok"))

    m.sample, m.check = sample, check
    return m


# ---- apartments -----------------------------------------------------------------------------------------------

StaHost = StaThread  # the STA with a message pump that hosts objects for the cross-apartment rows


def _marshal_out(ptr: Any) -> Any:
    """Marshal a client pointer for another apartment (a stream holding a reference); the pointer is released."""
    stream = marshaling.marshal_inter_thread_interface_in_stream(IBenchTarget.iid, ptr.as_raw())
    ptr.release()
    return stream


def _unmarshal_in(stream: Any) -> Any:
    return BenchPtr.from_raw(marshaling.get_interface_and_release_stream(stream, IBenchTarget.iid))


class _Recording(PyTarget):
    """Our target that remembers the thread its calls run on (checked before a cross-apartment row is timed)."""

    last_thread = 0

    def Nothing(self) -> None:
        _Recording.last_thread = win32.current_thread_id()
        return None


def cross_apartment_ours_to_ours(work: bool, client_in_sta: bool) -> Measure:
    """MTA client -> our object in an STA (or STA client -> our object in the MTA), through a real proxy."""
    host = StaHost()
    if not client_in_sta:
        stream = host.call(lambda: _marshal_out(_Recording().as_ptr(IBenchTarget)))
        proxy = _unmarshal_in(stream)
        object_thread = host.thread_id

        def check() -> str:
            if type(proxy).__name__.endswith("Direct"):
                raise RuntimeError("expected a proxy, got the object itself")
            proxy.Nothing()
            if _Recording.last_thread != object_thread or object_thread == win32.current_thread_id():
                raise RuntimeError("the call did not run on the object's STA thread")
            return _work_check(proxy.Work) + ", proxy, ran on the STA thread"

        sample = _loop((lambda: proxy.Work(100)) if work else proxy.Nothing)

        def close() -> None:
            proxy.release()
            host.close()

        return Measure(sample, check, close)
    # STA client, object in the MTA (created on this MTA thread, marshaled to the STA host, called there)
    stream = _marshal_out(_Recording().as_ptr(IBenchTarget))
    holder: dict = {}
    host.call(lambda: holder.setdefault("proxy", _unmarshal_in(stream)))
    proxy = holder["proxy"]

    def check_sta() -> str:
        def body() -> str:
            if type(proxy).__name__.endswith("Direct"):
                raise RuntimeError("expected a proxy")
            proxy.Nothing()
            if _Recording.last_thread == win32.current_thread_id():
                raise RuntimeError("the call ran on the STA client's thread, not in the MTA")
            return _work_check(proxy.Work) + ", proxy, ran in the MTA"

        return host.call(body)

    def sample_sta(it: int) -> float:
        f = (lambda: proxy.Work(100)) if work else proxy.Nothing
        return host.call(lambda: _loop(f)(it))

    def close_sta() -> None:
        host.call(proxy.release)
        host.close()

    return Measure(sample_sta, check_sta, close_sta)


def cross_apartment_ours_to(make_obj: Callable[[], Any], work: bool) -> Measure:
    """Our MTA client -> an object ``make_obj()`` creates in an STA, through its proxy."""
    host = StaHost()
    stream = host.call(lambda: _marshal_out(make_obj()))
    proxy = _unmarshal_in(stream)
    sample = _loop((lambda: proxy.Work(100)) if work else proxy.Nothing)

    def close() -> None:
        proxy.release()
        host.close()

    return Measure(sample, lambda: _work_check(proxy.Work) + ", proxy", close)


def cross_apartment_ours_to_cpp(work: bool) -> Measure:
    return cross_apartment_ours_to(cpp_object, work)


def cross_apartment_cpp_to_ours(work: bool, make_obj: Callable[[], Any] | None = None) -> Measure:
    """The native loop (testlib, this MTA thread) calling an object that lives in an STA (ours by default),
    through its proxy."""
    host = StaHost()
    stream = host.call(lambda: _marshal_out(make_obj() if make_obj else PyTarget().as_ptr(IBenchTarget)))
    m = call_cpp_loop(_unmarshal_in(stream), work)  # releases the proxy on close

    def close() -> None:
        m.close()
        host.close()

    return Measure(m.sample, lambda: m.check() + ", proxy", close)


# ---- in-process activation ------------------------------------------------------------------------------------


class InprocRegistrations:
    """Class objects registered in this process for rows 1a (each language's own factory, the same way)."""

    def __init__(self) -> None:
        from ole32_bindings.pointers import release
        from ole32_servers.classobjects import ClassObjects

        self.objs = ClassObjects()
        self.py_factory = ClassFactory(PyTarget)
        self.objs.register(CLSID_PyTarget, self.py_factory, CLSCTX.INPROC_SERVER)
        self.cpp_factory = cpp_factory()
        self.objs.register(CLSID_CppBenchTarget, self.cpp_factory.as_raw(), CLSCTX.INPROC_SERVER)
        ct = comtypes_factory_raw()
        try:
            self.objs.register(CLSID_CtTarget, ct, CLSCTX.INPROC_SERVER)
        finally:
            release(ct)
        self.pw_key, self.pw_infos = pywin32_register_inproc(CLSID_PwTarget)

    def close(self) -> None:
        from win32com.server import factory

        from ole32_bindings import registry

        self.objs.revoke_all()
        self.cpp_factory.release()
        factory.RevokeClassFactories(self.pw_infos)
        self.pw_infos = []  # pywin32's factory objects: released with the last reference
        registry.delete_tree(registry.HKEY_CLASSES_ROOT, self.pw_key)


def pywin32_register_inproc(clsid: Any) -> tuple[str, list]:
    """pywin32's class factory for PwTarget registered in this process, the pywin32 way: the ``PythonCOM``
    registry value its factory reads (written under HKCR\\CLSID\\{clsid}, removed by the caller), then
    ``win32com.server.factory.RegisterClassFactories`` (pythoncom.MakePyFactory + CoRegisterClassObject)."""
    import pythoncom
    from win32com.server import factory

    from . import pwserver, pwtarget

    pwtarget.register_interfaces()
    key = pwserver.register_python_class(str(clsid))
    infos = factory.RegisterClassFactories(
        [str(clsid)], flags=pythoncom.REGCLS_MULTIPLEUSE, clsctx=pythoncom.CLSCTX_INPROC_SERVER
    )
    return key, infos


def activate_ours(clsid: Any, clsctx: int) -> Measure:
    create = activation.create_instance
    iid = IBenchTarget.iid

    def once() -> None:
        BenchPtr.from_raw(create(clsid, iid, clsctx)).release()

    def check() -> str:
        with BenchPtr.from_raw(create(clsid, iid, clsctx)) as p:
            return _work_check(p.Work)

    return Measure(_loop(once), check)


def activate_cpp_loop(clsid: Any, clsctx: int) -> Measure:
    """The native loop in this process: CoCreateInstance + Release (testlib TL_LoopCoCreateInstance)."""
    _f, lib = testlib()
    c, i = _tl_guid(clsid), _tl_guid(IBenchTarget.iid)

    def sample(it: int) -> float:
        return _per_op(lambda: _check_hr(lib.TL_LoopCoCreateInstance(c, int(clsctx), i, it), "CoCreateInstance"), it)

    return Measure(sample, lambda: (sample(1), "created")[1])


def createinstance_ours(cf: Any) -> Measure:
    """IClassFactory::CreateInstance + final Release from our client, on a factory already held (``cf``: our
    IClassFactory client pointer, which this measure releases)."""
    iid = IBenchTarget.iid

    def once() -> None:
        cf.CreateInstance(None, iid).release()

    def check() -> str:
        with cf.CreateInstance(None, iid) as p:
            return _work_check(p.Work)

    return Measure(_loop(once), check, cf.release)


def createinstance_cpp_loop(factory_raw: Any) -> Measure:
    f, lib = testlib()
    raw = f.cast("void *", int(ffi.cast("uintptr_t", factory_raw)))
    i = _tl_guid(IBenchTarget.iid)

    def sample(it: int) -> float:
        return _per_op(lambda: _check_hr(lib.TL_LoopCreateInstance(raw, i, it), "CreateInstance"), it)

    return Measure(sample, lambda: (sample(1), "created")[1])


# ---- same-context calls ---------------------------------------------------------------------------------------


def call_ours(ptr: Any, work: bool) -> Measure:
    sample = _loop((lambda: ptr.Work(100)) if work else ptr.Nothing)
    return Measure(sample, lambda: _work_check(ptr.Work), ptr.release)


def call_cpp_loop(ptr: Any, work: bool) -> Measure:
    f, lib = testlib()
    raw = f.cast("void *", int(ffi.cast("uintptr_t", ptr.as_raw())))
    last = f.new("LONG *")

    def sample(it: int) -> float:
        if work:
            return _per_op(lambda: _check_hr(lib.TL_LoopWork(raw, it, 100, last), "TL_LoopWork"), it)
        return _per_op(lambda: _check_hr(lib.TL_LoopNothing(raw, it), "TL_LoopNothing"), it)

    def check() -> str:
        _check_hr(lib.TL_LoopWork(raw, 1, 100, last), "TL_LoopWork")
        if last[0] != 4950:
            raise RuntimeError(f"Work(100) returned {last[0]}")
        return "work=4950"

    return Measure(sample, check, ptr.release)


# ---- out of process -------------------------------------------------------------------------------------------

# What an activation gets when it reaches a LocalServer32 that is shutting down. Wine's CoCreateInstance asks rpcss
# for the server's registered class object, unmarshals it and calls it: a server that revokes and exits in between
# refuses (CO_E_SERVER_STOPPING), has dropped the stub (RPC_E_DISCONNECTED, RPC_S_UNKNOWN_IF), exits during the
# call (RPC_S_CALL_FAILED) or is gone before the client connects (RPC_S_SERVER_UNAVAILABLE). The next activation
# finds no registration and starts a new server. A CLSID whose server was killed fails with
# RPC_S_SERVER_UNAVAILABLE every time: that still fails, after the last retry.
_STOPPING = (
    "CO_E_SERVER_STOPPING",
    "RPC_E_DISCONNECTED",
    "RPC_S_UNKNOWN_IF",
    "RPC_S_CALL_FAILED",
    "RPC_S_SERVER_UNAVAILABLE",
)


def _local(clsid: Any) -> Any:
    """CoCreateInstance(LOCAL_SERVER) from our client, retried while the server it reached was shutting down."""
    return _retry_stopping(
        lambda: BenchPtr.from_raw(activation.create_instance(clsid, IBenchTarget.iid, CLSCTX.LOCAL_SERVER))
    )


def _retry_stopping(create: Callable[[], Any]) -> Any:
    """``create()`` (any client's CoCreateInstance(LOCAL_SERVER)), tried again while the server it reached was
    shutting down: such an activation is refused or dropped (_STOPPING); Windows' SCM would start a new server,
    Wine 8 does not, so try again a few times."""
    from ole32_bindings.hresult import name_of

    for attempt in range(40):
        try:
            return create()
        except Exception as e:  # ours: ComError; comtypes: OSError or COMError; pywin32: com_error; HRESULT first
            hr = getattr(e, "hresult", None)
            if hr is None:
                hr = getattr(e, "winerror", None)
            if hr is None and e.args and isinstance(e.args[0], int):
                hr = e.args[0]
            if hr is None or name_of(hr & 0xFFFFFFFF) not in _STOPPING or attempt == 39:
                raise
            time.sleep(0.05)


def oop_activate_ours(clsid: Any) -> Measure:
    keeper = _local(clsid)  # keeps the server running: this row is "server already running"

    def once() -> None:
        _local(clsid).release()

    return Measure(_loop(once), lambda: _work_check(keeper.Work), keeper.release)


def oop_call_ours(clsid: Any, work: bool) -> Measure:
    p = _local(clsid)
    return Measure(_loop((lambda: p.Work(100)) if work else p.Nothing), lambda: _work_check(p.Work), p.release)


#: The Python LocalServer32 scripts, by the CLSID each serves (each one's registered command line names it; each
#: script serves an IBenchTarget class and an IBenchDual class in one process).
PYTHON_SERVERS = {
    CLSID_PyBenchServer: "pyserver.py",
    CLSID_CtBenchServer: "ctserver.py",
    CLSID_PwBenchServer: "pwserver.py",
    CLSID_PyBenchDualServer: "pyserver.py",
    CLSID_CtBenchDualServer: "ctserver.py",
    CLSID_PwBenchDualServer: "pwserver.py",
    EVENTS.CLSID_PyEventServer: "eventserver.py",  # the event rows' source (bench/events.py)
}
#: bench_cpp_server.exe's classes
CPP_SERVERS = (CLSID_CppBenchServer, CLSID_CppBenchDualServer)


def process_command_line(pid: int) -> str | None:
    """The command line of process ``pid``, read from its PEB (Wine 8's NtQueryInformationProcess has no
    ProcessCommandLineInformation); None if it cannot be read (gone, or no access)."""
    import ctypes
    from ctypes import wintypes

    k32 = ctypes.WinDLL("kernel32")
    k32.OpenProcess.restype = wintypes.HANDLE
    k32.OpenProcess.argtypes = [wintypes.DWORD, wintypes.BOOL, wintypes.DWORD]
    k32.ReadProcessMemory.argtypes = [
        wintypes.HANDLE,
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.POINTER(ctypes.c_size_t),
    ]
    k32.CloseHandle.argtypes = [wintypes.HANDLE]
    nt = ctypes.WinDLL("ntdll").NtQueryInformationProcess
    nt.argtypes = [wintypes.HANDLE, ctypes.c_int, ctypes.c_void_p, wintypes.ULONG, ctypes.POINTER(wintypes.ULONG)]
    nt.restype = ctypes.c_long
    h = k32.OpenProcess(0x0400 | 0x0010, False, pid)  # PROCESS_QUERY_INFORMATION | PROCESS_VM_READ
    if not h:
        return None
    try:
        basic = (ctypes.c_void_p * 6)()  # PROCESS_BASIC_INFORMATION; [1] is PebBaseAddress
        if nt(h, 0, basic, ctypes.sizeof(basic), None) != 0 or not basic[1]:
            return None

        def read(address: int, size: int) -> bytes | None:
            buf = ctypes.create_string_buffer(size)
            done = ctypes.c_size_t()
            ok = k32.ReadProcessMemory(h, address, buf, size, ctypes.byref(done))
            return buf.raw if ok and done.value == size else None

        ptr = ctypes.sizeof(ctypes.c_void_p)
        # x64 layout: PEB.ProcessParameters at 0x20, RTL_USER_PROCESS_PARAMETERS.CommandLine at 0x70
        params = read(basic[1] + (0x20 if ptr == 8 else 0x10), ptr)
        if params is None:
            return None
        us = read(int.from_bytes(params, "little") + (0x70 if ptr == 8 else 0x40), 2 * ptr)
        if us is None:
            return None
        length, buffer = int.from_bytes(us[:2], "little"), int.from_bytes(us[ptr:], "little")
        text = read(buffer, length) if length and buffer else b""
        return None if text is None else text.decode("utf-16-le", "replace")
    finally:
        k32.CloseHandle(h)


def server_pids(clsid: Any = None) -> list[int]:
    """Running bench servers (all, or those serving ``clsid``): the C++ exe, and python.exe processes whose command
    line runs one of the Python server scripts (whoever started them: this process, or bench_cpp_client.exe).
    A python.exe child of this process whose command line cannot be read counts as any Python server."""
    me = os.getpid()
    found = []
    scripts = {str(c): s for c, s in PYTHON_SERVERS.items() if clsid is None or c == clsid}
    for pid, parent, exe in win32.processes():
        name = exe.lower()
        if name == "bench_cpp_server.exe":
            if clsid is None or clsid in CPP_SERVERS:
                found.append(pid)
        elif name == "events_host.exe":  # the event rows' C++ source (bench/events.py)
            if clsid is None or clsid == EVENTS.CLSID_CppEventSource:
                found.append(pid)
        elif name == "python.exe" and pid != me and scripts:
            line = process_command_line(pid)
            if line is None:
                if parent == me:
                    found.append(pid)
                continue
            words = line.replace('"', " ").replace("/", "\\").lower().split()
            if any(w.endswith("\\bench\\" + script) for w in words for script in scripts.values()):
                found.append(pid)
    return found


def wait_servers_gone(clsid: Any = None, timeout: float = 15.0) -> None:
    """Wait until no server of ``clsid`` (default: any bench server) runs. One that outlives its last client is
    an error; it is not killed here: under Wine a killed server breaks its CLSID until wineserver restarts
    (end_servers does it at the very end)."""
    deadline = time.monotonic() + timeout
    while server_pids(clsid):
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"server(s) {server_pids(clsid)} of {clsid} still running {timeout:.0f} s after the last client"
            )
        time.sleep(0.05)


def end_servers() -> list[int]:
    """End, by process id, any bench server still running (the runner's last step)."""
    left = server_pids()
    for pid in left:
        win32.terminate_process(pid)
    return left


def cold_measure(clsid: Any, activate: Callable[[bool], tuple[float, str]]) -> Measure:
    """A cold-activation pair: ``activate(check)`` activates once with no server running and returns (seconds of
    the activation alone, the check's text when ``check``), releasing everything. Each sample and the check wait
    for no server of ``clsid`` before and after (no server may outlive its last client). The check is one timed
    cold activation too: quick mode takes it as the pair's one sample."""
    m = Measure(lambda _: 0.0, fixed_iterations=1)

    def sample(_: int) -> float:
        wait_servers_gone(clsid)
        dt, _text = activate(False)
        wait_servers_gone(clsid)
        return dt

    def check() -> str:
        wait_servers_gone(clsid)
        dt, text = activate(True)
        wait_servers_gone(clsid)
        m.check_sample = dt
        return text

    m.sample, m.check = sample, check
    return m


def oop_cold_ours(clsid: Any) -> Measure:
    def activate(check: bool) -> tuple[float, str]:
        t0 = time.perf_counter()
        p = _local(clsid)
        dt = time.perf_counter() - t0
        with p:
            return dt, (_work_check(p.Work) if check else "")

    return cold_measure(clsid, activate)


# ---- comtypes and pywin32 clients ----------------------------------------------------------------------------


def _ct_local(clsid: Any) -> Any:
    import comtypes

    g, iface = comtypes.GUID(str(clsid)), ct_iface()
    return _retry_stopping(lambda: comtypes.CoCreateInstance(g, iface, CLSCTX.LOCAL_SERVER))


def _collect() -> None:
    import gc

    gc.collect()


def oop_activate_comtypes(clsid: Any) -> Measure:
    """Row 5 from comtypes: CoCreateInstance(LOCAL_SERVER) + Release (comtypes releases when the pointer is
    collected: at once, by refcount) while a keeper holds the server."""
    holder = {"keeper": _ct_local(clsid)}

    def once() -> None:
        _ct_local(clsid)

    def check() -> str:
        return _work_check(holder["keeper"].Work)

    def close() -> None:
        holder.clear()
        _collect()

    return Measure(_loop(once), check, close)


def oop_cold_comtypes(clsid: Any) -> Measure:
    def activate(check: bool) -> tuple[float, str]:
        t0 = time.perf_counter()
        p = _ct_local(clsid)
        dt = time.perf_counter() - t0
        text = _work_check(p.Work) if check else ""
        del p  # comtypes releases when the pointer is collected: at once
        return dt, text

    return cold_measure(clsid, activate)


def oop_call_comtypes(clsid: Any, work: bool) -> Measure:
    holder = {"p": _ct_local(clsid)}
    p = holder["p"]
    f = (lambda: p.Work(100)) if work else p.Nothing

    def check() -> str:
        return _work_check(p.Work)

    def close() -> None:
        nonlocal p, f
        holder.clear()
        p = f = None
        _collect()

    return Measure(_loop(f), check, close)


def _pw_local(clsid: Any) -> Any:
    import pythoncom

    s = str(clsid)
    return _retry_stopping(lambda: pythoncom.CoCreateInstance(s, None, CLSCTX.LOCAL_SERVER, pythoncom.IID_IUnknown))


_PW_IUNKNOWN = "created (IUnknown: pywin32 cannot call IBenchTarget)"


def oop_activate_pywin32(clsid: Any) -> Measure:
    """Row 5 from pywin32 (IUnknown: all pywin32 can ask of IBenchTarget's class); a keeper holds the server."""
    holder = {"keeper": _pw_local(clsid)}

    def once() -> None:
        _pw_local(clsid)  # released when the PyIUnknown goes, at once

    def close() -> None:
        holder.clear()

    return Measure(_loop(once), lambda: (once(), _PW_IUNKNOWN)[1], close)


def oop_cold_pywin32(clsid: Any) -> Measure:
    def activate(check: bool) -> tuple[float, str]:
        t0 = time.perf_counter()
        p = _pw_local(clsid)
        dt = time.perf_counter() - t0
        del p
        return dt, _PW_IUNKNOWN

    return cold_measure(clsid, activate)


def createinstance_pywin32(cf: Any) -> Measure:
    """Row 1c from pywin32: pythoncom has no CoGetClassObject, but pywin32 holds the class factory it registered
    itself (``cf``: the PyIClassFactory of win32com.server.factory.RegisterClassFactories) and calls its
    IClassFactory::CreateInstance."""
    import pythoncom

    iid = pythoncom.IID_IUnknown

    def once() -> None:
        cf.CreateInstance(None, iid)

    return Measure(_loop(once), lambda: (once(), _PW_IUNKNOWN)[1])  # the registration owns the factory


def ct_iface() -> Any:
    """IBenchTarget declared the comtypes way (bench/cttarget.py)."""
    from . import cttarget

    return cttarget.CtBenchTarget


def comtypes_from_ours(ptr: Any) -> Any:
    """A comtypes pointer to the object behind one of our pointers (AddRef'd by comtypes' QueryInterface)."""
    import ctypes

    import comtypes

    unk = ctypes.cast(ctypes.c_void_p(ptr.address()), ctypes.POINTER(comtypes.IUnknown))
    unk.AddRef()  # comtypes releases this one when `unk` is collected
    return unk.QueryInterface(ct_iface())


def call_comtypes(ptr: Any, work: bool) -> Measure:
    try:
        ct = comtypes_from_ours(ptr)
    except BaseException:
        ptr.release()
        raise
    holder = {"ct": ct}

    def close() -> None:
        holder.clear()
        import gc

        gc.collect()
        ptr.release()

    f = (lambda: ct.Work(100)) if work else ct.Nothing
    return Measure(_loop(f), lambda: _work_check(ct.Work), close)


def activate_comtypes(clsid: Any, clsctx: int) -> Measure:
    import comtypes

    g = comtypes.GUID(str(clsid))
    iface = ct_iface()

    def once() -> None:
        comtypes.CoCreateInstance(g, iface, clsctx)  # released when the result is collected, at once

    def check() -> str:
        return _work_check(comtypes.CoCreateInstance(g, iface, clsctx).Work)

    return Measure(_loop(once), check)


def activate_pywin32(clsid: Any, clsctx: int) -> Measure:
    import pythoncom

    s = str(clsid)

    def once() -> None:
        pythoncom.CoCreateInstance(s, None, clsctx, pythoncom.IID_IUnknown)

    return Measure(_loop(once), lambda: (once(), "created (IUnknown: pywin32 cannot call IBenchTarget)")[1])


def createinstance_comtypes(clsid: Any) -> Measure:
    import comtypes
    from comtypes.server import IClassFactory as CtClassFactory

    cf = comtypes.CoGetClassObject(comtypes.GUID(str(clsid)), CLSCTX.INPROC_SERVER, None, CtClassFactory)
    iface = ct_iface()

    def once() -> None:
        cf.CreateInstance(interface=iface)

    def check() -> str:
        return _work_check(cf.CreateInstance(interface=iface).Work)

    return Measure(_loop(once), check)


# ---- comtypes and pywin32 servers -----------------------------------------------------------------------------


def comtypes_server() -> Any:
    """IBenchTarget implemented the comtypes way (a COMObject, bench/cttarget.py)."""
    from . import cttarget

    return cttarget.CtTarget


def comtypes_object() -> Any:
    """A new comtypes-implemented object, as our client pointer (one reference, ours)."""
    obj = comtypes_server()()
    ct = obj.QueryInterface(ct_iface())  # comtypes' own reference, released when `ct` is collected
    return BenchPtr.from_borrowed(ffi.cast("void *", ctypes_address(ct)))


def ctypes_address(ptr: Any) -> int:
    import ctypes

    return ctypes.cast(ptr, ctypes.c_void_p).value


def comtypes_factory_raw() -> Any:
    """comtypes' own class factory for the comtypes class, as a raw IClassFactory pointer (a new reference)."""
    import comtypes
    from comtypes.server import IClassFactory as CtClassFactory
    from comtypes.server.inprocserver import ClassFactory as CtFactory

    class BenchCtFactory(CtFactory):
        """comtypes' in-process class factory; LockServer counts here (comtypes' own asserts that its DLL
        in-process server is running, which a class object registered from a script is not)."""

        locks = 0

        def IClassFactory_LockServer(self, this: Any, lock: bool) -> int:
            BenchCtFactory.locks += 1 if lock else -1
            return 0

    cf = BenchCtFactory(comtypes_server()).QueryInterface(CtClassFactory)
    raw = ffi.cast("void *", ctypes_address(cf))
    from ole32_bindings.pointers import add_ref

    add_ref(raw)  # ours; comtypes' reference goes with `cf`
    del cf, comtypes
    return raw


def pywin32_object() -> Any:
    """A new pywin32-implemented object as our client pointer. pywin32 hands out no raw pointers, so the object
    crosses over through the Global Interface Table (registered by pywin32, fetched by us)."""
    import pythoncom
    from win32com.server import policy

    from . import pwtarget

    pwtarget.register_interfaces()
    unk = pythoncom.WrapObject(policy.DefaultPolicy(PwTarget())).QueryInterface(pythoncom.IID_IUnknown)
    return _from_pywin32(unk, IBenchTarget)


def _from_pywin32(unk: Any, iface: Any) -> Any:
    """Our client pointer (``iface``) to the object behind pywin32's ``unk``, through the Global Interface Table
    (registered by pywin32, fetched by us; in the same apartment the GIT gives the object itself, no proxy)."""
    import pythoncom

    git = pythoncom.CoCreateInstance(
        pythoncom.CLSID_StdGlobalInterfaceTable, None, CLSCTX.INPROC_SERVER, pythoncom.IID_IGlobalInterfaceTable
    )
    cookie = git.RegisterInterfaceInGlobal(unk, pythoncom.IID_IUnknown)
    try:
        from ole32_bindings.wellknown import CLSID_StdGlobalInterfaceTable
        from vtables.interfaces import IGlobalInterfaceTable

        ours = client_class(IGlobalInterfaceTable).from_raw(
            activation.create_instance(CLSID_StdGlobalInterfaceTable, IGlobalInterfaceTable.iid, CLSCTX.INPROC_SERVER)
        )
        try:
            return ours.GetInterfaceFromGlobal(cookie, iface.iid)  # iid_is: our client pointer of iface
        finally:
            ours.release()
    finally:
        git.RevokeInterfaceFromGlobal(cookie)


# ---- late-bound calls: IBenchDual through IDispatch::Invoke (rows 9a, 9b, 10a, 10b) ------------------------------
#
# Every client calls the way that library offers that is fastest and still late-bound (bench/README.md): DISPIDs
# found once per object (GetIDsOfNames, or the type information), then one IDispatch::Invoke per call:
#   ours      vtables.latebound.Dispatch, a bound method taken once (``nothing = d.Nothing``; the DISPID is
#             resolved on that access) and called per operation; the Dispatch calls Invoke, never the vtable;
#   comtypes  comtypes.automation.IDispatch.Invoke(dispid, *args) on the object's IDispatch pointer;
#   pywin32   PyIDispatch.Invoke(dispid, lcid, DISPATCH_METHOD, True, *args) (pythoncom's own call);
#   cpp       bench_cpp_client.exe's dispatch_* rows, or the testlib loops TL_LoopInvoke* in this process.

#: the operation of each late-bound row: Nothing(), Mix("abc", 7, 2.5) or Work(100)
LATE_OPS = ("nothing", "mix", "work")


def _late_check(op: str, got: Any) -> str:
    """What the row's operation must return, checked before it is timed."""
    from .benchdual import MIX_RESULT

    if op == "nothing":
        if got is not None:
            raise RuntimeError(f"Nothing() returned {got!r}, not None (VT_EMPTY)")
        return "Nothing()=VT_EMPTY"
    if op == "mix":
        if got != MIX_RESULT:
            raise RuntimeError(f"Mix('abc', 7, 2.5) returned {got!r}, not {MIX_RESULT!r}")
        return f"Mix={got}"
    if got != 4950:
        raise RuntimeError(f"Work(100) returned {got!r}, not 4950")
    return "work=4950"


def dual_cpp() -> Any:
    """A new C++ IBenchDual (testlib's BenchDual: IDispatch from its type library through ITypeInfo::Invoke), as our
    IDispatch client pointer (one reference, the caller's)."""
    from vtables.interfaces import IDispatch

    f, lib = testlib()
    out = f.new("void **")
    _check_hr(lib.TL_CreateBenchDual(_tl_guid(IDispatch.iid), out), "TL_CreateBenchDual")
    return client_class(IDispatch).from_raw(ffi.cast("void *", int(f.cast("uintptr_t", out[0]))))


def dual_ours() -> Any:
    """A new PyBenchDual (ours: vtables.dispatch answers IDispatch) as our IDispatch client pointer."""
    from vtables.interfaces import IDispatch

    from .benchdual import py_dual_class

    return py_dual_class()().as_ptr(IDispatch)


def dual_comtypes() -> Any:
    """A new comtypes CtDual (comtypes' IDispatch: DispInvoke on its type information) as our IDispatch pointer."""
    import comtypes.automation

    from vtables.interfaces import IDispatch

    from . import ctdual

    ct = ctdual.CtDual().QueryInterface(comtypes.automation.IDispatch)  # comtypes' reference, gone with `ct`
    return client_class(IDispatch).from_borrowed(ffi.cast("void *", ctypes_address(ct)))


def dual_pywin32() -> Any:
    """A new pywin32 PwDual (pywin32's policy answers IDispatch) as our IDispatch pointer, through the GIT."""
    import pythoncom
    from win32com.server import policy

    from vtables.interfaces import IDispatch

    from .pwtarget import PwDual

    unk = pythoncom.WrapObject(policy.DefaultPolicy(PwDual()), pythoncom.IID_IDispatch, pythoncom.IID_IUnknown)
    return _from_pywin32(unk, IDispatch)


def _late_measure(call: Callable[[], Any], op: str, how: str, release: Callable[[], None]) -> Measure:
    """A late-bound pair: ``call()`` does the row's operation once. ``close`` drops ``call`` (and with it the
    client's references) and then runs ``release``."""
    cell = [call]
    del call

    def sample(iterations: int) -> float:
        fn = cell[0]
        t0 = time.perf_counter()
        for _ in range(iterations):
            fn()
        return (time.perf_counter() - t0) / iterations

    def close() -> None:
        cell.clear()
        release()

    return Measure(sample, lambda: f"{_late_check(op, cell[0]())}, {how}", close)


def _bound(obj: Any, op: str) -> Callable[[], Any]:
    """The row's operation on a late-bound object whose attribute access gives a bound method (taken once here)."""
    if op == "nothing":
        return obj.Nothing
    if op == "mix":
        mix = obj.Mix
        return lambda: mix("abc", 7, 2.5)
    work = obj.Work
    return lambda: work(100)


def _late_ours(d: Any, op: str) -> Measure:
    """Our late-bound client on ``d`` (a Dispatch this measure releases)."""
    from vtables.latebound import vtable_interface

    try:
        if vtable_interface(d) is not None:
            raise RuntimeError("the Dispatch calls a vtable: this row measures IDispatch::Invoke")
        call = _bound(d, op)
    except BaseException:
        d.release()
        raise
    return _late_measure(call, op, "vtables.latebound.Dispatch (Invoke)", d.release)


def late_ours_inproc(ptr: Any, op: str) -> Measure:
    """Our client on an in-process object (``ptr``: our IDispatch pointer, released here: the Dispatch takes its
    own reference)."""
    from vtables.latebound import Dispatch

    try:
        d = Dispatch(ptr)
    finally:
        ptr.release()
    return _late_ours(d, op)


def late_ours_local(clsid: Any, op: str) -> Measure:
    from vtables.latebound import Dispatch

    return _late_ours(_retry_stopping(lambda: Dispatch(clsid, clsctx=CLSCTX.LOCAL_SERVER)), op)


def _late_comtypes(holder: dict, op: str) -> Measure:
    """comtypes' late-bound client on ``holder["disp"]`` (its IDispatch pointer): ``comtypes.client.dynamic.Dispatch``,
    which with type information is comtypes' lazybind Dispatch (DISPID and invoke kind from ITypeComp::Bind, then
    ``IDispatch._invoke`` per call); the bound caller is taken once. Released when the holder is cleared and the
    caller dropped (comtypes releases a pointer when it is collected)."""
    from comtypes.client import dynamic, lazybind

    d = dynamic.Dispatch(holder["disp"])
    if not isinstance(d, lazybind.Dispatch):
        raise RuntimeError(f"comtypes gave {type(d).__name__}, not its type-information Dispatch")
    call = _bound(d, op)
    del d

    def release() -> None:
        holder.clear()
        _collect()

    return _late_measure(call, op, "comtypes.client.dynamic.Dispatch (lazybind)", release)


def late_comtypes_inproc(ptr: Any, op: str) -> Measure:
    import ctypes

    import comtypes
    import comtypes.automation

    try:
        unk = ctypes.cast(ctypes.c_void_p(ptr.address()), ctypes.POINTER(comtypes.IUnknown))
        unk.AddRef()  # comtypes releases this one when `unk` is collected
        holder = {"disp": unk.QueryInterface(comtypes.automation.IDispatch)}
        del unk
    finally:
        ptr.release()
    return _late_comtypes(holder, op)


def late_comtypes_local(clsid: Any, op: str) -> Measure:
    import comtypes
    import comtypes.automation

    g = comtypes.GUID(str(clsid))
    disp = _retry_stopping(lambda: comtypes.CoCreateInstance(g, comtypes.automation.IDispatch, CLSCTX.LOCAL_SERVER))
    return _late_comtypes({"disp": disp}, op)


#: pythoncom's InvokeTypes arguments for each member, as makepy generates them from BenchDualLib: the result type
#: and the parameter types (VT_VOID, VT_I4, VT_VARIANT; VT_BSTR, VT_I4, VT_R8; PARAMFLAG_FIN)
_PW_TYPES = {
    "nothing": ("Nothing", (24, 0), ()),
    "work": ("Work", (3, 0), ((3, 1),)),
    "mix": ("Mix", (12, 0), ((8, 1), (3, 1), (5, 1))),
}


def _late_pywin32(holder: dict, op: str) -> Measure:
    """pywin32's late-bound client on ``holder["disp"]`` (a PyIDispatch): ``PyIDispatch.InvokeTypes`` with the DISPID
    found once (GetIDsOfNames) and the types makepy writes from the type library: what makepy's generated classes
    call, without their Python method in between (measured a little faster than ``PyIDispatch.Invoke``, and much
    faster than ``win32com.client.Dispatch``'s dynamic attribute calls). Released when the holder is cleared."""
    import pythoncom

    disp = holder["disp"]
    name, ret, types = _PW_TYPES[op]
    dispid = disp.GetIDsOfNames(name)
    invoke, lcid, method = disp.InvokeTypes, 0x0400, pythoncom.DISPATCH_METHOD  # LOCALE_USER_DEFAULT
    if op == "nothing":
        call = lambda: invoke(dispid, lcid, method, ret, types)  # noqa: E731
    elif op == "mix":
        call = lambda: invoke(dispid, lcid, method, ret, types, "abc", 7, 2.5)  # noqa: E731
    else:
        call = lambda: invoke(dispid, lcid, method, ret, types, 100)  # noqa: E731
    del disp

    def release() -> None:
        holder.clear()

    return _late_measure(call, op, f"PyIDispatch.InvokeTypes({dispid})", release)


def late_pywin32_inproc(ptr: Any, op: str) -> Measure:
    import pythoncom

    try:
        # pythoncom's own reference (QueryInterface), released with the PyIDispatch
        holder = {"disp": pythoncom.ObjectFromAddress(ptr.address(), pythoncom.IID_IDispatch)}
    finally:
        ptr.release()
    return _late_pywin32(holder, op)


def late_pywin32_local(clsid: Any, op: str) -> Measure:
    import pythoncom

    s = str(clsid)
    disp = _retry_stopping(lambda: pythoncom.CoCreateInstance(s, None, CLSCTX.LOCAL_SERVER, pythoncom.IID_IDispatch))
    return _late_pywin32({"disp": disp}, op)


def late_cpp_loop(ptr: Any, op: str) -> Measure:
    """The C++ client's late-bound loop (testlib TL_LoopInvoke*, in this process: GetIDsOfNames once per loop, every
    result checked) on ``ptr`` (our IDispatch pointer, released on close)."""
    f, lib = testlib()
    raw = f.cast("void *", int(ffi.cast("uintptr_t", ptr.as_raw())))
    last = f.new("LONG *")
    if op == "nothing":
        run = lambda it: _check_hr(lib.TL_LoopInvokeNothing(raw, it), "TL_LoopInvokeNothing")  # noqa: E731
    elif op == "mix":
        run = lambda it: _check_hr(lib.TL_LoopInvokeMix(raw, it), "TL_LoopInvokeMix")  # noqa: E731
    else:
        run = lambda it: _check_hr(lib.TL_LoopInvokeWork(raw, it, 100, last), "TL_LoopInvokeWork")  # noqa: E731

    def sample(it: int) -> float:
        return _per_op(lambda: run(it), it)

    def check() -> str:
        run(1)  # checks the result itself (Nothing: VT_EMPTY; Mix: "abc:7:2.5"; Work: the sum)
        return {"nothing": "Nothing()=VT_EMPTY", "mix": "Mix=abc:7:2.5", "work": f"work={last[0]}"}[op]

    return Measure(sample, check, ptr.release)


#: each client's late-bound measure on an in-process object (our IDispatch pointer) and on a LocalServer32 class
LATE_INPROC: dict[str, Callable[[Any, str], Measure]] = {
    "cpp": late_cpp_loop,
    "ours": late_ours_inproc,
    "comtypes": late_comtypes_inproc,
    "pywin32": late_pywin32_inproc,
}
LATE_LOCAL: dict[str, Callable[[Any, str], Measure]] = {
    "ours": late_ours_local,
    "comtypes": late_comtypes_local,
    "pywin32": late_pywin32_local,
}
#: each server's in-process IBenchDual object, as our IDispatch pointer
DUAL_OBJECTS: dict[str, Callable[[], Any]] = {
    "cpp": dual_cpp,
    "ours": dual_ours,
    "comtypes": dual_comtypes,
    "pywin32": dual_pywin32,
}
