"""The native counterpart (build/native/vtables_testlib.dll, sources in native/testlib) loaded with cffi into the
test process. Its exported API is native/testlib/testlib_api.h, parsed as is."""

from __future__ import annotations

import functools
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DLL = os.path.join(ROOT, "build", "native", "vtables_testlib.dll")
HEADER = os.path.join(ROOT, "native", "testlib", "testlib_api.h")


TYPES = """
typedef int32_t HRESULT; typedef uint32_t ULONG; typedef uint32_t DWORD; typedef int32_t LONG; typedef int64_t LONG64;
typedef struct { uint32_t Data1; uint16_t Data2; uint16_t Data3; uint8_t Data4[8]; } GUID;
"""


@functools.cache
def load():
    """(ffi, lib): an in-line ABI FFI with the DLL's exports. Interface pointers cross as ``void *`` (shared by
    every FFI); GUIDs are made here with :func:`guid`."""
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(TYPES)
    with open(HEADER, encoding="utf-8") as f:
        ffi.cdef(f.read())
    # Wine's LoadLibrary needs an absolute path here (a relative one fails with error 0x57).
    return ffi, ffi.dlopen(os.path.abspath(DLL))


def running_on_wine() -> bool:
    """True under Wine (ntdll exports wine_get_version); tests use it only where Wine's documented behaviour
    differs from Windows' (docs/wine.md), never to skip."""
    if sys.platform != "win32":
        return False
    import ctypes

    return hasattr(ctypes.WinDLL("ntdll.dll"), "wine_get_version")


_guids: dict = {}


def guid(g):
    """A ``GUID *`` of this FFI for a ``Guid`` (cached: native code may keep reading it during a loop)."""
    c = _guids.get(g)
    if c is None:
        ffi, _ = load()
        c = _guids[g] = ffi.new("GUID *")
        ffi.memmove(c, g.bytes_le, 16)
    return c


def activate_local(clsid, iface, timeout=30.0):
    """CoCreateInstance(LOCAL_SERVER) as a typed pointer, retrying while a server started by hand is still
    registering its class objects (REGDB_E_CLASSNOTREG until then); other failures raise at once."""
    import time

    from ole32_bindings import activation
    from ole32_bindings.constants import CLSCTX
    from ole32_bindings.hresult import ComError
    from vtables.client import client_class

    deadline = time.monotonic() + timeout
    while True:
        try:
            return client_class(iface).from_raw(activation.create_instance(clsid, iface.iid, CLSCTX.LOCAL_SERVER))
        except ComError as e:
            if e.name != "REGDB_E_CLASSNOTREG" or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


# Issue 12's native IDispatch objects (native/testlib/dispatch.cpp; testlib_api.h documents every member). Both
# answer IDispatch from a type library linked into the DLL, through ITypeInfo::Invoke (as ATL's IDispatchImpl).
#: INativeDual (dual): the native object late-bound clients are tested against. Its type library NativeDualLib is
#: the DLL's TYPELIB resource 1: ``LoadTypeLib(DLL)`` loads it.
IID_INativeDual = "{1349967C-8220-4CB7-9DF0-4F00B396FCD8}"
LIBID_NativeDualLib = "{1349967C-8220-4CB7-9DF0-4F00B396FCD9}"
CLSID_NativeDual = "{1349967C-8220-4CB7-9DF0-4F00B396FCDA}"
#: IBenchDual (dual, bench/README.md), in-process C++: BenchDualLib is the DLL's TYPELIB resource 2 (``DLL + "\\2"``).
IID_IBenchDual = "{7782D954-1218-4973-A2D7-3791F94773C1}"
LIBID_BenchDualLib = "{7782D954-1218-4973-A2D7-3791F94773C2}"
CLSID_CppBenchDualTarget = "{7782D954-1218-4973-A2D7-3791F94773C4}"
_IID_IDispatch = "{00020400-0000-0000-C000-000000000046}"


def server_exit_code(pid_file: str, timeout_ms: int = 15000) -> int | None:
    """The exit code of the server that wrote ``pid_file`` (waiting up to 10 s for the file, then ``timeout_ms``
    for the process), or None if it is still running."""
    import time

    from ole32_bindings import win32

    deadline = time.monotonic() + 10
    while not os.path.exists(pid_file) and time.monotonic() < deadline:
        time.sleep(0.05)
    return win32.wait_process(int(open(pid_file).read()), timeout_ms)


def new_dispatch(kind: str = "native"):
    """A new native IDispatch object as this FFI's ``void *`` holding one reference, the caller's (give it back with
    ``lib.TL_Release``): ``"native"`` = NativeDual, ``"bench"`` = the C++ IBenchDual. ``lib.TL_DualLiveObjects()``
    counts them (and their enumerators) while they live."""
    from ole32_bindings.guid import Guid

    ffi, lib = load()
    create = {"native": lib.TL_CreateNativeDual, "bench": lib.TL_CreateBenchDual}[kind]
    out = ffi.new("void **")
    hr = create(guid(Guid(_IID_IDispatch)), out)
    if hr != 0:
        raise OSError(f"TL_Create {kind}: HRESULT 0x{hr & 0xFFFFFFFF:08X}")
    return out[0]


def native_dual_interface():
    """INativeDual as native/testlib/nativedual.idl declares it, for calls through its vtable (declared once per
    process: the first declaration of an IID is the one the object model keeps)."""
    from ole32_bindings.guid import Guid
    from vtables.declare import interface_for_iid, method
    from vtables.interfaces import IDispatch

    known = interface_for_iid(Guid(IID_INativeDual))
    if known is not None:
        return known

    class INativeDual(IDispatch):
        iid = IID_INativeDual
        get_Name = method("[propget, id(1)] HRESULT Name([out, retval] BSTR *value)")
        put_Name = method("[propput, id(1)] HRESULT Name([in] BSTR value)")
        Greet = method(
            '[id(2)] HRESULT Greet([in] BSTR who, [in, optional, defaultvalue("Hello")] BSTR greeting, '
            "[out, retval] BSTR *result)"
        )
        Swap = method("[id(3)] HRESULT Swap([in, out] VARIANT *a, [in, out] VARIANT *b)")
        Bump = method("[id(4)] HRESULT Bump([in, out] LONG *value)")
        Fail = method("[id(5)] HRESULT Fail()")
        HasArg = method("[id(6)] HRESULT HasArg([in, optional] VARIANT v, [out, retval] VARIANT_BOOL *given)")
        get_Count = method("[propget, id(7)] HRESULT Count([out, retval] LONG *count)")
        get_Item = method("[propget, id(DISPID_VALUE)] HRESULT Item([in] LONG index, [out, retval] BSTR *item)")
        get__NewEnum = method(
            "[propget, id(DISPID_NEWENUM), restricted] HRESULT _NewEnum([out, retval] IUnknown **enumerator)"
        )

    return INativeDual


# Issue 13's native event source and sink (native/testlib/events.cpp; testlib_api.h documents them). NativeEventsLib
# is the DLL's TYPELIB resource 3 (``DLL + "\\3"``). DNativeEvents is deliberately not declared here: the sinks'
# tests read its DISPIDs from the source's type information.
IID_INativeEvents = "{045FC7FC-A457-462A-814E-7D40EC8BF129}"
IID_INativeEventSource = "{4784B908-252C-4D55-A1D2-0ED91AB44DDA}"
LIBID_NativeEventsLib = "{FA5B32B1-5E38-4AE8-A8AD-DE57D9EA64BA}"
DIID_DNativeEvents = "{9BE31FC7-AA3E-48FB-921D-F23A4376F7B6}"
CLSID_NativeEventSource = "{FC5A0B6F-84B0-4F9F-A50D-45CF4D8193B1}"


def native_events_interfaces():
    """(INativeEvents, INativeEventSource) as native/testlib/nativeevents.idl declares them: the bench's one
    declaration (bench/events.py), shared so that the process declares each IID once."""
    from bench.events import interfaces

    return interfaces()


def new_event_source():
    """A new native event source as a ComPtr of INativeEventSource (the caller releases it)."""
    from ole32_bindings.guid import Guid
    from vtables.client import client_class

    ffi, lib = load()
    _, source = native_events_interfaces()
    out = ffi.new("void **")
    hr = lib.TL_CreateEventSource(guid(Guid(IID_INativeEventSource)), out)
    if hr != 0:
        raise OSError(f"TL_CreateEventSource: HRESULT 0x{hr & 0xFFFFFFFF:08X}")
    return client_class(source).from_raw(out[0])


def new_event_sink(fail_with: int = 0, dispinterface=None):
    """A new C++ event sink as this FFI's ``void *`` IUnknown holding one reference (``lib.TL_Release`` it); its
    IDispatch answers ``dispinterface`` (a Guid; None: DNativeEvents) and reads DISPIDs 1 and 2 as Tick(n) and
    Message(text)."""
    from ole32_bindings.guid import Guid

    ffi, lib = load()
    out = ffi.new("void **")
    diid = ffi.NULL if dispinterface is None else guid(dispinterface)
    hr = lib.TL_CreateEventSink(diid, fail_with, guid(Guid("{00000000-0000-0000-C000-000000000046}")), out)
    if hr != 0:
        raise OSError(f"TL_CreateEventSink: HRESULT 0x{hr & 0xFFFFFFFF:08X}")
    return out[0]


def event_sink_stats(sink) -> tuple[int, int, int, str]:
    """(ticks, sum of their n, messages, last message) a C++ sink received."""
    ffi, lib = load()
    ticks, total, messages = ffi.new("LONG *"), ffi.new("LONG64 *"), ffi.new("LONG *")
    last = ffi.new("wchar_t[256]")
    hr = lib.TL_EventSinkStats(sink, ticks, total, messages, last, 256)
    if hr != 0:
        raise OSError(f"TL_EventSinkStats: HRESULT 0x{hr & 0xFFFFFFFF:08X}")
    return ticks[0], total[0], messages[0], ffi.string(last)
