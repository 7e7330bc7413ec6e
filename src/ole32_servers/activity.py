"""When did this process last serve a call? A channel hook (IChannelHook, CoRegisterChannelHook) that COM's
channel calls for every call the process serves, recording the time. ``LocalServer(orphan_timeout=...)`` uses it
to exit when objects are held but no call has come for that long (their clients presumably died: Wine does not
ping clients, so their references are never released; docs/reliability.md).

    activity = call_activity()        # installed once per process, for the process's life
    activity.calls, activity.idle_seconds()

COM calls ServerGetSize for every hook on every call a server answers (Windows also calls ServerNotify; Wine 8 calls
ServerNotify only when the call carries that hook's extension): either one counts. The hook adds no data to any
call. It costs one Python callback per served call, so it is opt-in. A channel hook cannot be unregistered.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from ole32_bindings.dlls import ffi, function
from ole32_bindings.guid import Guid
from ole32_bindings.hresult import check

__all__ = ["CallActivity", "call_activity", "EXTENSION_ID"]

EXTENSION_ID = Guid("{5E1B1C7A-2D3E-4F50-9A61-7B8C9DA0B1C2}")
"""The extension GUID the hook registers under (it never sends data under it)."""
_IID_IUnknown = Guid("{00000000-0000-0000-C000-000000000046}").bytes_le
_IID_IChannelHook = Guid("{1008C4A0-7613-11CF-9AF1-0020AF6E72F4}").bytes_le
_E_NOINTERFACE = -2147467262


class CallActivity:
    """The hook's state: ``calls`` served since it was installed and the monotonic time of the last one."""

    def __init__(self) -> None:
        self.calls = 0
        self.last = time.monotonic()

    def idle_seconds(self) -> float:
        """Seconds since the last served call (or since installation)."""
        return time.monotonic() - self.last

    def _served(self) -> None:
        self.calls += 1
        self.last = time.monotonic()


_installed: tuple[CallActivity, Any] | None = None
_guard = threading.Lock()


def _make_hook(state: CallActivity) -> Any:
    """The IChannelHook object (a static object: AddRef/Release count nothing) and what keeps it alive."""

    def query_interface(this: Any, riid: Any, ppv: Any) -> int:
        if ffi.buffer(riid, 16)[:] in (_IID_IUnknown, _IID_IChannelHook):
            ppv[0] = this
            return 0
        ppv[0] = ffi.NULL
        return _E_NOINTERFACE

    def add_ref(this: Any) -> int:
        return 2

    def release(this: Any) -> int:
        return 1

    def no_data(this: Any, ext: Any, riid: Any, size: Any, *rest: Any) -> None:
        size[0] = 0

    def ignore(*args: Any) -> None:
        return None

    def server_notify(this: Any, ext: Any, riid: Any, cb: int, buf: Any, rep: int) -> None:
        state._served()

    def server_get_size(this: Any, ext: Any, riid: Any, fault: int, size: Any) -> None:
        size[0] = 0
        state._served()

    def server_fill(this: Any, ext: Any, riid: Any, size: Any, buf: Any, fault: int) -> None:
        size[0] = 0

    slots = [
        ffi.callback("HRESULT(void *, GUID *, void **)", query_interface, error=_E_NOINTERFACE),
        ffi.callback("ULONG(void *)", add_ref, error=1),
        ffi.callback("ULONG(void *)", release, error=1),
        ffi.callback("void(void *, GUID *, GUID *, ULONG *)", no_data),  # ClientGetSize
        ffi.callback("void(void *, GUID *, GUID *, ULONG *, void *)", no_data),  # ClientFillBuffer
        ffi.callback("void(void *, GUID *, GUID *, ULONG, void *, DWORD, HRESULT)", ignore),  # ClientNotify
        ffi.callback("void(void *, GUID *, GUID *, ULONG, void *, DWORD)", server_notify),
        ffi.callback("void(void *, GUID *, GUID *, HRESULT, ULONG *)", server_get_size),
        ffi.callback("void(void *, GUID *, GUID *, ULONG *, void *, HRESULT)", server_fill),
    ]
    vtable = ffi.new("void *[]", [ffi.cast("void *", s) for s in slots])
    obj = ffi.new("void **", vtable)  # the object: one pointer to its vtable
    return obj, (slots, vtable)


def call_activity() -> CallActivity:
    """The process's CallActivity, installing the channel hook on the first call (idempotent, thread-safe).
    Raises ComError if CoRegisterChannelHook fails."""
    global _installed
    with _guard:
        if _installed is None:
            state = CallActivity()
            obj, keep = _make_hook(state)
            ext = ffi.new("GUID *")
            ffi.memmove(ext, EXTENSION_ID.bytes_le, 16)
            check(function("CoRegisterChannelHook")(ext, obj))
            _installed = (state, (obj, keep))
        return _installed[0]
