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
