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
    check(_CoCreateInstance(guid_ptr(clsid), outer, clsctx, guid_ptr(iid), out))
    return out[0]


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
    check(_CoGetClassObject(guid_ptr(clsid), clsctx, NULL, guid_ptr(iid), out))
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
