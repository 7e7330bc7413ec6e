"""Contexts: what the current context says about itself, and running code in another apartment.

    info = threading_info()              # IComThreadingInfo of the current context + CoGetContextToken
    here = ApartmentRef.current()        # in the apartment you want to come back to
    ... on another thread, in any apartment:
    here.call(lambda: do_work())         # runs on the captured apartment, returns the result or raises here
    here.close()

``ApartmentRef.call`` enters the captured apartment the way the runtime offers:

* ``IContextCallback::ContextCallback`` on the captured context object (CoGetObjectContext), with
  IID_ICallbackWithNoReentrancyToApplicationSTA and method 5, as C++/WinRT's ``resume_apartment`` does. This is
  the path on Windows.
* Where the runtime does not implement it (Wine 8 returns E_NOTIMPL: docs/wine.md has the reproduction,
  tests/ole32_marshalling/test_context.py re-checks it), a marshalled call: at capture time an apartment-bound runner
  object (IDispatch, whose proxy every runtime has) is parked in the Global Interface Table; ``call`` fetches a
  proxy to it in the calling apartment and invokes it, so COM's channel runs the callable on the captured
  apartment's thread. The first E_NOTIMPL switches the process to this path; nothing else differs.

From the captured apartment itself, ``call`` just runs the callable. A captured STA whose thread has exited gives
an error (the stub is gone: RPC_E_DISCONNECTED or CO_E_OBJNOTCONNECTED, as the runtime reports it, or
``ApartmentThreadError``) at once, never a hang. Ownership: the ref holds one reference on the context object and
one GIT entry (the GIT holds the runner); ``close()`` gives both up and may be called from any apartment.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ole32_bindings import apartments
from ole32_bindings.constants import APTTYPE
from ole32_bindings.dlls import ffi
from ole32_bindings.guid import GUID_NULL, Guid
from ole32_bindings.hresult import ComError, error_from_hresult
from vtables.client import client_class
from vtables.interfaces import IComThreadingInfo, IContextCallback, IDispatch
from vtables.object import ComObject

from .apartments import ApartmentThreadError
from .git import GlobalInterfaceTable

__all__ = [
    "ThreadingInfo",
    "threading_info",
    "ApartmentRef",
    "IID_ICallbackWithNoReentrancyToApplicationSTA",
    "context_callback",
]

IID_ICallbackWithNoReentrancyToApplicationSTA = Guid("{0A299774-3E4E-FC42-1D9D-72CEE105CA57}")
"""The ``riid`` that ``context_callback`` passes by default (with method 5), as C++/WinRT's ``resume_apartment``
does."""
E_NOTIMPL = 0x80004001
DISP_E_EXCEPTION = 0x80020009
DISP_E_MEMBERNOTFOUND = 0x80020003
DISPATCH_METHOD = 1

_ThreadingInfoPtr = client_class(IComThreadingInfo)
_ContextCallbackPtr = client_class(IContextCallback)
_DispatchPtr = client_class(IDispatch)


@dataclass(frozen=True)
class ThreadingInfo:
    """What :func:`threading_info` read: the current context's IComThreadingInfo answers plus its token."""

    apartment_type: APTTYPE  # IComThreadingInfo::GetCurrentApartmentType
    thread_type: int  # GetCurrentThreadType: 0 THDTYPE_BLOCKMESSAGES, 1 THDTYPE_PROCESSMESSAGES
    logical_thread_id: Guid  # GetCurrentLogicalThreadId (the causality id of the call being served)
    context_token: int  # CoGetContextToken: identifies the current context (not a reference)

    @property
    def processes_messages(self) -> bool:
        """Whether the thread pumps messages (THDTYPE_PROCESSMESSAGES)."""
        return self.thread_type == 1


def threading_info() -> ThreadingInfo:
    """The current context's IComThreadingInfo answers plus its token (the thread must be in an apartment)."""
    with _ThreadingInfoPtr.from_raw(apartments.get_object_context(IComThreadingInfo.iid)) as info:
        apt = APTTYPE(info.GetCurrentApartmentType())
        thread_type = int(info.GetCurrentThreadType())
        logical = info.GetCurrentLogicalThreadId()
    return ThreadingInfo(apt, thread_type, logical, apartments.get_context_token())


# ---- the marshalled-call path -----------------------------------------------------------------------------------

_pending: dict[int, tuple[Callable[[], Any], dict]] = {}
_tokens = itertools.count(1)
_pending_lock = threading.Lock()


class _Runner(ComObject, implements=[IDispatch]):
    """Apartment-bound (no FTM): its calls arrive on the thread of the apartment that made it. Invoke's DISPID is
    the token of a pending callable; the result or exception is left in the caller's box."""

    def GetTypeInfoCount(self) -> int:
        return 0

    def GetTypeInfo(self, index: int, lcid: int) -> Any:
        raise error_from_hresult(E_NOTIMPL)

    def GetIDsOfNames(self, riid: Guid, names: Any, count: int, lcid: int, ids: Any) -> None:
        raise error_from_hresult(E_NOTIMPL)

    def Invoke(
        self, dispid: int, riid: Guid, lcid: int, flags: int, params: Any, result: Any, excepinfo: Any, argerr: Any
    ) -> int:
        with _pending_lock:
            entry = _pending.get(dispid)
        if entry is None:  # a stale token: its caller gave up
            raise error_from_hresult(DISP_E_MEMBERNOTFOUND)
        fn, box = entry
        try:
            box["value"] = fn()
        except BaseException as e:
            box["error"] = e
        return 0


# ---- ContextCallback path ---------------------------------------------------------------------------------------


@ffi.callback("HRESULT(*)(ComCallData *)")
def _context_call(data: Any) -> int:
    fn, box = ffi.from_handle(data.pUserDefined)
    try:
        box["value"] = fn()
    except BaseException as e:
        box["error"] = e
    return 0


_CONTEXT_CALLBACK_T = ffi.typeof("HRESULT(*)(void *, PFNCONTEXTCALL, ComCallData *, const GUID *, int, void *)")


def context_callback(
    context: Any, callback: Any, data: Any, riid: Guid = IID_ICallbackWithNoReentrancyToApplicationSTA, method: int = 5
) -> int:
    """IContextCallback::ContextCallback on ``context`` (borrowed IContextCallback pointer): run ``callback(data)``
    in that context. Returns the HRESULT (unsigned) rather than raising, so callers can tell E_NOTIMPL apart."""
    fn = ffi.cast(_CONTEXT_CALLBACK_T, ffi.cast("void ***", context)[0][3])
    return fn(context, callback, data, riid.cdata(ffi), method, ffi.NULL) & 0xFFFFFFFF


class ApartmentRef:
    """A way back into the apartment that created it (see the module doc). Make it with ``current()``."""

    #: set once ContextCallback answered E_NOTIMPL in this process (Wine): every ref then marshals its calls
    context_callback_unavailable = False

    def __init__(self) -> None:
        raise TypeError("use ApartmentRef.current()")

    @classmethod
    def current(cls) -> ApartmentRef:
        """Capture the calling thread's apartment (it must be in one)."""
        self = object.__new__(cls)
        self.apartment_type = apartments.get_apartment_type()[0]
        self.thread_ident = threading.get_ident()
        self.context_token = apartments.get_context_token()
        self._context = _ContextCallbackPtr.from_raw(apartments.get_object_context(IContextCallback.iid))
        self._git = GlobalInterfaceTable()
        runner = _Runner().as_ptr(IDispatch)
        try:
            self._cookie = self._git.register(runner.as_raw(), IDispatch.iid)
        finally:
            runner.release()
        self._closed = False
        return self

    def _here(self) -> bool:
        try:
            return apartments.get_context_token() == self.context_token
        except ComError:
            return False

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` in the captured apartment and return its result (or raise its exception) here. The caller
        must be in an apartment itself (COM carries the call); from the captured apartment ``fn`` just runs."""
        if self._closed:
            raise ApartmentThreadError("this ApartmentRef was closed")
        if self._here():
            return fn()
        box: dict = {}
        if not ApartmentRef.context_callback_unavailable:
            hr = self._via_context_callback(fn, box)
            if hr == E_NOTIMPL:
                ApartmentRef.context_callback_unavailable = True
            elif hr & 0x80000000:
                raise error_from_hresult(hr)
            else:
                return _result(box)
        self._via_marshalled_call(fn, box)
        return _result(box)

    def _via_context_callback(self, fn: Callable[[], Any], box: dict) -> int:
        """IContextCallback::ContextCallback; returns its HRESULT (unsigned)."""
        handle = ffi.new_handle((fn, box))
        data = ffi.new("ComCallData *")
        data.pUserDefined = handle
        return context_callback(self._context.as_raw(), _context_call, data)

    def _via_marshalled_call(self, fn: Callable[[], Any], box: dict) -> None:
        token = next(_tokens)
        with _pending_lock:
            _pending[token] = (fn, box)
        try:
            with _DispatchPtr.from_raw(self._git.get(self._cookie, IDispatch.iid)) as runner:
                params = ffi.new("DISPPARAMS *")
                runner.Invoke(token, GUID_NULL, 0, DISPATCH_METHOD, params, ffi.NULL, ffi.NULL, ffi.NULL)
        finally:
            with _pending_lock:
                _pending.pop(token, None)

    def close(self) -> None:
        """Give up the GIT entry and the context reference (from any apartment; twice is harmless)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._git.revoke(self._cookie)
        finally:
            self._git.close()
            self._context.release()

    def __enter__(self) -> ApartmentRef:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _result(box: dict) -> Any:
    if "error" in box:
        raise box["error"]
    return box.get("value")
