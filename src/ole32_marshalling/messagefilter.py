"""IMessageFilter: what a single-threaded apartment does about calls when it is busy, on both sides.

    class Busy(MessageFilter):                       # the server's STA
        def handle_incoming_call(self, call_type, elapsed_ms, info):
            return SERVERCALL.RETRYLATER if self.busy else SERVERCALL.ISHANDLED

    class Patient(MessageFilter):                    # the client's STA
        def retry_rejected_call(self, elapsed_ms, reject_type):
            return 50 if elapsed_ms < 5000 else None # retry after 50 ms for 5 s, then give up

    with message_filter(Patient()):                  # on the calling STA thread; the previous filter comes back
        ptr.Work(100)

A filter belongs to the STA whose thread registers it (``CoRegisterMessageFilter``; the MTA has none:
CO_E_NOT_SUPPORTED). The three hooks of :class:`MessageFilter` are plain Python with typed values; the COM methods
around them turn an exception into the safe answer (handle the call, give up retrying, default message handling)
and log it, so a bug in a filter can neither crash the apartment nor make a caller retry for ever.

COM's rules, as Windows applies them: the server STA's HandleInComingCall sees each call arriving (not calls from
its own apartment); SERVERCALL_REJECTED fails the call with RPC_E_CALL_REJECTED at once unless the caller's
filter retries; SERVERCALL_RETRYLATER makes COM call the caller's RetryRejectedCall, whose answer is a delay in
milliseconds before the call is sent again (0-99 immediately) or -1 to give up (the call then fails with
RPC_E_CALL_REJECTED, or RPC_E_SERVERCALL_RETRYLATER); a caller without a filter gives up at once. While an STA
caller waits for a reply, a window message arriving makes COM call its MessagePending (PENDINGMSG_*).

Wine 8 does part of this (docs/wine.md): HandleInComingCall is called and SERVERCALL_REJECTED fails the call with
RPC_E_CALL_REJECTED, but SERVERCALL_RETRYLATER runs the call anyway and the caller's RetryRejectedCall is never
called; MessagePending is. :class:`RetryingCalls` (``retrying(ptr, filter)``) is the path that works on both: it
asks the filter's RetryRejectedCall itself when a call fails with RPC_E_CALL_REJECTED or
RPC_E_SERVERCALL_RETRYLATER, waits the delay (serving calls into this STA meanwhile) and sends the call again. On
Windows, where COM already ran that loop before the error reached the caller, the filter is asked once more with a
later tick count, and a filter that gave up gives up again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from ole32_bindings import win32
from ole32_bindings.dlls import ffi, function
from ole32_bindings.guid import Guid, guid_from_16_bytes
from ole32_bindings.hresult import CallRejectedError, RetryLaterError, check
from vtables.interfaces.context import IMessageFilter
from vtables.object import ComObject

from .apartments import pumping_wait

__all__ = [
    "MessageFilter",
    "message_filter",
    "register_message_filter",
    "RejectingFilter",
    "RetryingFilter",
    "RetryingCalls",
    "retrying",
    "Registration",
    "CALLTYPE",
    "SERVERCALL",
    "PENDINGTYPE",
    "PENDINGMSG",
    "InterfaceInfo",
    "LIFETIME_IIDS",
]

log = logging.getLogger("ole32_marshalling")

_CoRegisterMessageFilter = function("CoRegisterMessageFilter")
_GIVE_UP = 0xFFFFFFFF  # RetryRejectedCall's -1, as the DWORD it is


class CALLTYPE(IntEnum):
    """HandleInComingCall's ``dwCallType``: how the call relates to what the STA is doing."""

    TOPLEVEL = 1
    NESTED = 2
    ASYNC = 3
    TOPLEVEL_CALLPENDING = 4
    ASYNC_CALLPENDING = 5


class SERVERCALL(IntEnum):
    """HandleInComingCall's answer."""

    ISHANDLED = 0
    REJECTED = 1
    RETRYLATER = 2


class PENDINGTYPE(IntEnum):
    """MessagePending's ``dwPendingType``."""

    TOPLEVEL = 1
    NESTED = 2


class PENDINGMSG(IntEnum):
    """MessagePending's answer: cancel the outgoing call, wait and drop the message, or wait and dispatch it."""

    CANCELCALL = 0
    WAITNOPROCESS = 1
    WAITDEFPROCESS = 2


@dataclass(frozen=True)
class InterfaceInfo:
    """What HandleInComingCall says about the call (INTERFACEINFO): the IID called and the method's slot.
    ``iid`` is None when the runtime passed no INTERFACEINFO."""

    iid: Guid | None
    method: int


_INFO_T = ffi.typeof("uint8_t *")


def _interface_info(p: Any) -> InterfaceInfo:
    if p == ffi.NULL:
        return InterfaceInfo(None, -1)
    raw = ffi.cast(_INFO_T, p)  # INTERFACEINFO (x64): IUnknown *pUnk; IID iid; WORD wMethod
    iid = guid_from_16_bytes(bytes(ffi.buffer(raw + 8, 16)))
    method = int.from_bytes(bytes(ffi.buffer(raw + 24, 2)), "little")
    return InterfaceInfo(iid, method)


class MessageFilter(ComObject, implements=[IMessageFilter]):
    """IMessageFilter for an STA, from three overridable hooks. The defaults are COM's behaviour without a filter:
    handle every call, never retry a rejected call, dispatch window messages while waiting.

    Counters (read them in tests and reports): ``incoming`` calls seen, ``rejected`` (answered REJECTED or
    RETRYLATER), ``retry_requests`` (RetryRejectedCall calls), ``retries`` (of them, answered with a delay),
    ``pending_messages`` (MessagePending calls)."""

    def __init__(self) -> None:
        super().__init__()
        self._count_lock = threading.Lock()
        self.incoming = 0
        self.rejected = 0
        self.retry_requests = 0
        self.retries = 0
        self.pending_messages = 0

    # ---- the hooks --------------------------------------------------------------------------------------------

    def handle_incoming_call(self, call_type: CALLTYPE, elapsed_ms: int, info: InterfaceInfo) -> SERVERCALL:
        """A call arrives in this STA (server side). Return SERVERCALL.ISHANDLED to run it, REJECTED to refuse it,
        RETRYLATER to ask the caller to try again."""
        return SERVERCALL.ISHANDLED

    def retry_rejected_call(self, elapsed_ms: int, reject_type: SERVERCALL) -> int | None:
        """A call this STA made was rejected (client side): a delay in milliseconds before COM sends it again,
        or None to give up (the call fails)."""
        return None

    def message_pending(self, elapsed_ms: int, pending_type: PENDINGTYPE) -> PENDINGMSG:
        """A window message arrived while this STA waits for a reply (client side)."""
        return PENDINGMSG.WAITDEFPROCESS

    # ---- IMessageFilter ---------------------------------------------------------------------------------------

    def HandleInComingCall(self, dwCallType: int, htaskCaller: Any, dwTickCount: int, lpInterfaceInfo: Any) -> int:
        with self._count_lock:
            self.incoming += 1
        try:
            answer = SERVERCALL(
                self.handle_incoming_call(CALLTYPE(dwCallType), dwTickCount, _interface_info(lpInterfaceInfo))
            )
        except Exception:
            log.exception("%s.handle_incoming_call raised: the call is handled", type(self).__name__)
            return SERVERCALL.ISHANDLED
        if answer != SERVERCALL.ISHANDLED:
            with self._count_lock:
                self.rejected += 1
        return int(answer)

    def RetryRejectedCall(self, htaskCallee: Any, dwTickCount: int, dwRejectType: int) -> int:
        with self._count_lock:
            self.retry_requests += 1
        try:
            delay = self.retry_rejected_call(dwTickCount, SERVERCALL(dwRejectType))
        except Exception:
            log.exception("%s.retry_rejected_call raised: the call is given up", type(self).__name__)
            return _GIVE_UP
        if delay is None or delay < 0:
            return _GIVE_UP
        with self._count_lock:
            self.retries += 1
        return min(int(delay), 0xFFFFFFFE)

    def MessagePending(self, htaskCallee: Any, dwTickCount: int, dwPendingType: int) -> int:
        with self._count_lock:
            self.pending_messages += 1
        try:
            return int(PENDINGMSG(self.message_pending(dwTickCount, PENDINGTYPE(dwPendingType))))
        except Exception:
            log.exception("%s.message_pending raised: default processing", type(self).__name__)
            return PENDINGMSG.WAITDEFPROCESS


LIFETIME_IIDS = frozenset(
    {Guid("{00000131-0000-0000-C000-000000000046}"), Guid("{00000143-0000-0000-C000-000000000046}")}
)
"""IRemUnknown and IRemUnknown2: the proxies' AddRef/Release/QueryInterface on the stub. A filter that rejects a
RemRelease makes the stub keep its references for good (Wine 8 does not retry it), so RejectingFilter never does."""


class RejectingFilter(MessageFilter):
    """A server STA's filter that answers ``answer`` (RETRYLATER by default) while ``busy`` is set, and handles
    calls otherwise. ``busy`` is a ``threading.Event``: set it while the STA must not be re-entered. The proxies'
    reference counting (:data:`LIFETIME_IIDS`) is always handled, so a busy server still lets clients go."""

    def __init__(self, answer: SERVERCALL = SERVERCALL.RETRYLATER) -> None:
        super().__init__()
        self.answer = SERVERCALL(answer)
        self.busy = threading.Event()

    def handle_incoming_call(self, call_type: CALLTYPE, elapsed_ms: int, info: InterfaceInfo) -> SERVERCALL:
        if not self.busy.is_set() or info.iid in LIFETIME_IIDS:
            return SERVERCALL.ISHANDLED
        return self.answer


class RetryingFilter(MessageFilter):
    """A client STA's filter that retries a rejected call every ``delay_ms`` until ``give_up_after_ms`` have
    passed since the first attempt (COM's ``dwTickCount``), then gives up."""

    def __init__(self, delay_ms: int = 100, give_up_after_ms: int = 10_000) -> None:
        super().__init__()
        self.delay_ms = delay_ms
        self.give_up_after_ms = give_up_after_ms

    def retry_rejected_call(self, elapsed_ms: int, reject_type: SERVERCALL) -> int | None:
        return self.delay_ms if elapsed_ms < self.give_up_after_ms else None


class Registration:
    """A filter registered on one STA thread (:func:`register_message_filter`): ``revoke()`` on that thread puts
    the previous filter back and releases the references taken (once; later calls do nothing)."""

    def __init__(self, previous: Any, thread: int) -> None:
        self._previous = previous
        self._thread = thread
        self._active = True

    def revoke(self) -> None:
        if not self._active:
            return
        if threading.get_ident() != self._thread:
            raise RuntimeError("a message filter is revoked on the STA thread that registered it")
        self._active = False
        out = ffi.new("void **")
        prev = self._previous
        self._previous = None
        hr = _CoRegisterMessageFilter(ffi.NULL if prev is None else prev, out)
        if prev is not None:  # the registration holds its own reference now; ours goes
            ffi.cast("IUnknown *", prev).lpVtbl.Release(prev)
        if out[0] != ffi.NULL:  # the runtime's reference on our filter, handed back
            ffi.cast("IUnknown *", out[0]).lpVtbl.Release(out[0])
        check(hr)


def register_message_filter(flt: MessageFilter) -> Registration:
    """CoRegisterMessageFilter on the calling STA thread: ``flt`` answers for this apartment until the returned
    registration is revoked (on this thread). CO_E_NOT_SUPPORTED raises in the MTA."""
    raw = flt.query_raw(IMessageFilter.iid)
    out = ffi.new("void **")
    try:
        check(_CoRegisterMessageFilter(raw, out))  # the runtime AddRefs the filter it keeps
    finally:
        ffi.cast("IUnknown *", raw).lpVtbl.Release(raw)
    return Registration(None if out[0] == ffi.NULL else out[0], threading.get_ident())


@contextmanager
def message_filter(flt: MessageFilter) -> Iterator[MessageFilter]:
    """``with message_filter(f):`` registers ``f`` for this STA and restores the previous filter on exit."""
    reg = register_message_filter(flt)
    try:
        yield flt
    finally:
        reg.revoke()


_REJECTIONS = {CallRejectedError.HRESULT: SERVERCALL.REJECTED, RetryLaterError.HRESULT: SERVERCALL.RETRYLATER}


class RetryingCalls:
    """``retrying(ptr, flt)``: ``ptr``'s methods, each sent again while it fails with RPC_E_CALL_REJECTED or
    RPC_E_SERVERCALL_RETRYLATER and ``flt``'s RetryRejectedCall answers a delay (see the module doc). Borrows
    ``ptr``. The wait between attempts serves calls into the caller's STA (CoWaitForMultipleHandles)."""

    __slots__ = ("_ptr", "_filter")

    def __init__(self, ptr: Any, flt: MessageFilter) -> None:
        self._ptr = ptr
        self._filter = flt

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._ptr, name)
        flt = self._filter

        def retried(*args: Any) -> Any:
            start = time.monotonic()
            while True:
                try:
                    return method(*args)
                except (CallRejectedError, RetryLaterError) as exc:
                    elapsed = int((time.monotonic() - start) * 1000)
                    delay = flt.RetryRejectedCall(ffi.NULL, elapsed, _REJECTIONS[exc.hresult])
                    if delay == _GIVE_UP:
                        raise
                    _pause(delay)

        retried.__name__ = name
        return retried


def _pause(ms: int) -> None:
    event = win32.create_event(manual_reset=True)
    try:
        pumping_wait(event, ms)
    finally:
        win32.close_handle(event)


def retrying(ptr: Any, flt: MessageFilter) -> RetryingCalls:
    """``ptr``'s methods retried as ``flt`` says (:class:`RetryingCalls`)."""
    return RetryingCalls(ptr, flt)
