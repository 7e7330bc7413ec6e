"""Apartments: initialising COM on a thread, asking which apartment and context a thread is in, pumping waits."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ._util import guid_ptr
from .constants import APTTYPE, APTTYPEQUALIFIER, COINIT, COWAIT, INFINITE
from .dlls import ffi, function
from .guid import Guid
from .hresult import check

__all__ = [
    "co_initialize",
    "co_uninitialize",
    "ole_initialize",
    "ole_uninitialize",
    "apartment",
    "get_apartment_type",
    "get_current_process",
    "get_context_token",
    "get_current_logical_thread_id",
    "get_object_context",
    "wait_for_handles",
]

_CoInitializeEx = function("CoInitializeEx")
_CoUninitialize = function("CoUninitialize")
_OleInitialize = function("OleInitialize")
_OleUninitialize = function("OleUninitialize")
_CoGetApartmentType = function("CoGetApartmentType")
_CoGetCurrentProcess = function("CoGetCurrentProcess")
_CoGetContextToken = function("CoGetContextToken")
_CoGetCurrentLogicalThreadId = function("CoGetCurrentLogicalThreadId")
_CoGetObjectContext = function("CoGetObjectContext")
_CoWaitForMultipleHandles = function("CoWaitForMultipleHandles")


def co_initialize(coinit: int = COINIT.MULTITHREADED) -> int:
    """CoInitializeEx: S_OK the first time, S_FALSE when this thread is already in that apartment type (each
    success, S_FALSE included, needs its own ``co_uninitialize``); RPC_E_CHANGED_MODE raises ChangedModeError."""
    return check(_CoInitializeEx(ffi.NULL, coinit))


def co_uninitialize() -> None:
    """CoUninitialize: balances one successful ``co_initialize`` on the same thread."""
    _CoUninitialize()


def ole_initialize() -> int:
    """OleInitialize: an STA plus OLE's clipboard/drag-drop state; S_FALSE when already done on this thread."""
    return check(_OleInitialize(ffi.NULL))


def ole_uninitialize() -> None:
    """OleUninitialize: balances one successful ``ole_initialize`` on the same thread."""
    _OleUninitialize()


@contextmanager
def apartment(coinit: int = COINIT.MULTITHREADED) -> Iterator[int]:
    """``with apartment(COINIT.APARTMENTTHREADED): ...``: initialise, yield the HRESULT, uninitialise."""
    hr = co_initialize(coinit)
    try:
        yield hr
    finally:
        co_uninitialize()


def get_apartment_type() -> tuple[APTTYPE, APTTYPEQUALIFIER]:
    """CoGetApartmentType: (type, qualifier) of the calling thread; CO_E_NOTINITIALIZED raises when it has none
    (and the process has no MTA it would implicitly join)."""
    t = ffi.new("APTTYPE *")
    q = ffi.new("APTTYPEQUALIFIER *")
    check(_CoGetApartmentType(t, q))
    return APTTYPE(t[0]), APTTYPEQUALIFIER(q[0])


def get_current_process() -> int:
    """CoGetCurrentProcess: a number unique to this process among the machine's COM processes (no HRESULT)."""
    return _CoGetCurrentProcess()


def get_context_token() -> int:
    """CoGetContextToken: an opaque token for the current context (not a reference)."""
    out = ffi.new("ULONG_PTR *")
    check(_CoGetContextToken(out))
    return int(out[0])


def get_current_logical_thread_id() -> Guid:
    """CoGetCurrentLogicalThreadId: the causality id of the calling thread. A thread has its own until it serves a
    call through a proxy; while it serves one it carries the caller's (the ORPCTHIS ``cid`` COM sends with every
    call), so a callback on the same chain of calls has the same id whatever thread it arrives on. Needs no
    apartment."""
    out = ffi.new("GUID *")
    check(_CoGetCurrentLogicalThreadId(out))
    return Guid.from_bytes_le(bytes(ffi.buffer(out)))


def get_object_context(iid: Guid) -> Any:
    """CoGetObjectContext: a new reference (caller releases) to the current context object as ``iid``
    (IComThreadingInfo, IContextCallback, IObjContext...)."""
    out = ffi.new("void **")
    check(_CoGetObjectContext(guid_ptr(iid), out))
    return out[0]


def wait_for_handles(handles: Sequence[Any], timeout_ms: int = INFINITE, flags: int = COWAIT.DEFAULT) -> int:
    """CoWaitForMultipleHandles: wait while pumping COM calls (in an STA: messages), so calls into this apartment
    keep being served. Returns the index of the signalled handle; RPC_S_CALLPENDING (timeout) raises."""
    arr = ffi.new("HANDLE[]", list(handles))
    idx = ffi.new("DWORD *")
    check(_CoWaitForMultipleHandles(flags, timeout_ms, len(handles), arr, idx))
    return idx[0]
