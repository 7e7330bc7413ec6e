"""Activation and class objects: CoCreateInstance(Ex), CoGetClassObject, CoRegisterClassObject and friends,
server process reference counting, ProgIDs.

Every function returning an interface pointer returns a ``void *`` holding a *new reference*: the caller owns it
and releases it (the typed wrappers in ``vtables`` take that ownership).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._util import NULL, guid_from_cdata, guid_ptr, require
from .constants import CLSCTX, REGCLS
from .dlls import ffi, function
from .guid import Guid
from .hresult import check

__all__ = [
    "create_instance",
    "create_instance_ex",
    "get_class_object",
    "register_class_object",
    "revoke_class_object",
    "resume_class_objects",
    "suspend_class_objects",
    "add_ref_server_process",
    "release_server_process",
    "clsid_from_progid",
    "progid_from_clsid",
    "activation_error",
    "local_server_diagnosis",
]

_CoCreateInstance = function("CoCreateInstance")
_CoCreateInstanceEx = function("CoCreateInstanceEx")
_CoGetClassObject = function("CoGetClassObject")
_CoRegisterClassObject = function("CoRegisterClassObject")
_CoRevokeClassObject = function("CoRevokeClassObject")
_CoResumeClassObjects = function("CoResumeClassObjects")
_CoSuspendClassObjects = function("CoSuspendClassObjects")
_CoAddRefServerProcess = function("CoAddRefServerProcess")
_CoReleaseServerProcess = function("CoReleaseServerProcess")
_CLSIDFromProgID = function("CLSIDFromProgID")
_ProgIDFromCLSID = function("ProgIDFromCLSID")
_CoTaskMemFree = function("CoTaskMemFree")


def create_instance(clsid: Guid, iid: Guid, clsctx: int = CLSCTX.ALL, outer: Any = NULL, out: Any = None) -> Any:
    """CoCreateInstance: a new reference to ``iid`` on a new object of ``clsid``.

    ``outer`` is the controlling unknown when aggregating (then ``iid`` must be IID_IUnknown). ``out``, when
    given, is the caller's own ``void **`` and must not be NULL (refused before the call).
    """
    if out is None:
        out = ffi.new("void **")
    else:
        require(out, "ppv", "CoCreateInstance")
    hr = _CoCreateInstance(guid_ptr(clsid), outer, clsctx, guid_ptr(iid), out)
    if hr < 0:
        raise activation_error(hr, clsid, clsctx)
    return out[0]


#: what a LocalServer32 whose executable is missing, crashes or never registers its class object gets: Windows'
#: CO_E_SERVER_EXEC_FAILURE (and the Win32 errors of CreateProcess); Wine 8's REGDB_E_CLASSNOTREG (missing exe, at
#: once) and E_NOINTERFACE (a server that exits before registering, at its exit; one that never registers, after
#: 30 s): docs/wine.md
_SERVER_START_FAILURES = {
    0x80080005: "CO_E_SERVER_EXEC_FAILURE",
    0x80040154: "REGDB_E_CLASSNOTREG",
    0x80004002: "E_NOINTERFACE",
    0x80070002: "ERROR_FILE_NOT_FOUND",
    0x80070003: "ERROR_PATH_NOT_FOUND",
    0x800700C1: "ERROR_BAD_EXE_FORMAT",
    0x80070005: "E_ACCESSDENIED",
}


def _executable(command: str) -> str:
    """The program of a LocalServer32 command line (quoted, or up to the first space)."""
    command = command.strip()
    if command.startswith('"'):
        return command[1:].split('"', 1)[0]
    return command.split(" ", 1)[0]


def local_server_diagnosis(clsid: Guid) -> str | None:
    """What the registry says about ``clsid``'s LocalServer32, for an activation that failed: the key, its command
    line and whether its executable exists; None when there is no LocalServer32 key for it."""
    import os

    from . import registry

    key = f"CLSID\\{clsid}\\LocalServer32"
    command = registry.query_value(registry.HKEY_CLASSES_ROOT, key)
    if command is None:
        return None
    exe = _executable(str(command))
    state = "exists" if os.path.isfile(exe) else "DOES NOT EXIST"
    return f"HKCR\\{key} = {command!r}: its executable {exe!r} {state}"


def activation_error(hr: int, clsid: Guid, clsctx: int) -> Exception:
    """The typed error of a failed activation of ``clsid``. When a local server could have been meant (``clsctx``
    has CLSCTX_LOCAL_SERVER) and the code is one a server that cannot start gives, its description names the
    registry key and command line COM used, and whether the executable exists (a missing, crashing or
    non-registering server is otherwise an anonymous REGDB_E_CLASSNOTREG or E_NOINTERFACE under Wine)."""
    from .hresult import error_from_hresult

    u = hr & 0xFFFFFFFF
    if clsctx & CLSCTX.LOCAL_SERVER and u in _SERVER_START_FAILURES:
        try:
            where = local_server_diagnosis(clsid)
        except OSError:
            where = None
        if where is not None:
            return error_from_hresult(
                hr,
                f"activating {clsid} as a local server failed with {_SERVER_START_FAILURES[u]}: {where}. A missing "
                "or crashing server, or one that never registers its class object, fails this way (or the server "
                "ran and the class lacks the interface asked for)",
            )
    return error_from_hresult(hr)


def create_instance_ex(
    clsid: Guid, iids: Sequence[Guid], clsctx: int = CLSCTX.ALL, server: str | None = None, outer: Any = NULL
) -> list[tuple[int, Any]]:
    """CoCreateInstanceEx: one activation, several interfaces. Returns ``[(hresult, ptr or NULL), ...]`` in the
    order of ``iids``; each non-NULL pointer is a new reference. Raises when the activation itself failed
    (every interface failed); CO_S_NOTALLINTERFACES (a partial success) is visible in the per-IID results."""
    if not iids:
        raise ValueError("create_instance_ex needs at least one IID")
    mqi = ffi.new("MULTI_QI[]", len(iids))
    keep = []
    for i, iid in enumerate(iids):
        mqi[i].pIID = guid_ptr(iid)
        keep.append(iid)
    info = NULL
    if server is not None:
        info = ffi.new("COSERVERINFO *")
        name = ffi.new("wchar_t[]", server)
        info.pwszName = name
        keep.append(name)
    check(_CoCreateInstanceEx(guid_ptr(clsid), outer, clsctx, info, len(iids), mqi))
    return [(mqi[i].hr, mqi[i].pItf) for i in range(len(iids))]


def get_class_object(clsid: Guid, iid: Guid, clsctx: int = CLSCTX.ALL) -> Any:
    """CoGetClassObject: a new reference to the class object (usually IClassFactory) of ``clsid``."""
    out = ffi.new("void **")
    hr = _CoGetClassObject(guid_ptr(clsid), clsctx, NULL, guid_ptr(iid), out)
    if hr < 0:
        raise activation_error(hr, clsid, clsctx)
    return out[0]


def register_class_object(clsid: Guid, class_object: Any, clsctx: int, flags: int = REGCLS.MULTIPLEUSE) -> int:
    """CoRegisterClassObject: COM AddRefs ``class_object`` and holds it until ``revoke_class_object(cookie)``."""
    require(class_object, "pUnk", "CoRegisterClassObject")
    cookie = ffi.new("DWORD *")
    check(_CoRegisterClassObject(guid_ptr(clsid), class_object, clsctx, flags, cookie))
    return cookie[0]


def revoke_class_object(cookie: int) -> None:
    """CoRevokeClassObject: COM releases its reference to the class object registered under ``cookie``."""
    check(_CoRevokeClassObject(cookie))


def resume_class_objects() -> None:
    """CoResumeClassObjects: make every class object registered with REGCLS_SUSPENDED visible at once."""
    check(_CoResumeClassObjects())


def suspend_class_objects() -> None:
    """CoSuspendClassObjects: stop handing out this process's class objects (shutdown begins)."""
    check(_CoSuspendClassObjects())


def add_ref_server_process() -> int:
    """CoAddRefServerProcess: one more reason for a local server to live; returns the new count."""
    return _CoAddRefServerProcess()


def release_server_process() -> int:
    """CoReleaseServerProcess: returns the new count; at 0 COM has already suspended the class objects, and the
    server should revoke them and exit."""
    return _CoReleaseServerProcess()


def clsid_from_progid(progid: str) -> Guid:
    """CLSIDFromProgID: the CLSID registered for ``progid``; raises (CO_E_CLASSSTRING) when it is not registered."""
    out = ffi.new("CLSID *")
    check(_CLSIDFromProgID(progid, out))
    return guid_from_cdata(out)


def progid_from_clsid(clsid: Guid) -> str:
    """ProgIDFromCLSID: the ProgID registered for ``clsid`` (the runtime's string is freed here); raises when the
    class has none."""
    out = ffi.new("LPOLESTR *")
    check(_ProgIDFromCLSID(guid_ptr(clsid), out))
    try:
        return ffi.string(out[0])
    finally:
        _CoTaskMemFree(out[0])
