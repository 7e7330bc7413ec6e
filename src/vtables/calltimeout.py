"""Client calls with a time limit: ``ptr.with_timeout(seconds).Method(args)``.

Two ways to give up on a call that does not return, chosen once per process:

* **Cancellation** (the default, where the runtime implements it: Windows): the calling thread enables cancellation
  (``CoEnableCallCancellation``), a watchdog timer calls ``CoCancelCall(thread, 0)`` when the time is up, and the
  runtime ends the call with RPC_E_CALL_CANCELED; the server is told (``CoTestCancel`` in the server method).
  The call is made on the caller's own thread, in any apartment.
* **Abandonment** (where it does not: Wine 8's CoEnableCallCancellation returns S_OK, and its CoCancelCall is an
  unimplemented stub that aborts the process, see docs/wine.md; chosen by :func:`set_mode` or
  ``OLE32_BINDINGS_CALL_TIMEOUT=abandon``): the call runs on a helper thread in the MTA, with a reference of its
  own on the object; the caller waits at most ``seconds`` and then raises :class:`CallTimeoutError`
  (RPC_E_CALL_CANCELED). The call is *not* stopped: the server goes on running it, and the helper thread stays
  blocked until it returns, then drops the results (interface pointers in them are released) and its reference.
  What that costs: a hand-off to a helper thread per timed call (idle helpers are kept), one blocked thread and one
  reference on the object per abandoned call until the server answers (:func:`abandoned_calls` counts them), and no side
  effect of the call is undone. An STA caller's pointer is marshaled to the helper (its own proxy), the caller
  serves calls into its STA while it waits (CoWaitForMultipleHandles), and interface pointers the call returns
  are marshaled back to it.

Calls without a timeout are untouched: the generated callers of ``vtables.client`` have no timeout code at all.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from typing import Any

from ole32_bindings import apartments, marshaling, win32
from ole32_bindings.apartments import get_apartment_type
from ole32_bindings.constants import APTTYPE
from ole32_bindings.dlls import ffi, function
from ole32_bindings.hresult import CallCanceledError, ComError, WrongThreadError

__all__ = [
    "CallTimeoutError",
    "TimedCalls",
    "call_with_timeout",
    "cancellation_supported",
    "set_mode",
    "abandoned_calls",
    "wait_abandoned",
]

log = logging.getLogger("vtables")

_CoEnableCallCancellation = function("CoEnableCallCancellation")
_CoDisableCallCancellation = function("CoDisableCallCancellation")
_CoCancelCall = function("CoCancelCall")
_GetCurrentThreadId = function("GetCurrentThreadId")

_RPC_E_CALL_CANCELED = 0x80010002

_state_lock = threading.Lock()
_abandoned = 0
_abandoned_done = threading.Condition(_state_lock)


class CallTimeoutError(CallCanceledError):
    """RPC_E_CALL_CANCELED raised by a ``timeout``: the call did not return in time. ``abandoned`` is True when
    the runtime could not cancel it (the call goes on in the server; see the module doc), False when COM
    cancelled it."""

    def __init__(self, method: str, seconds: float, abandoned: bool) -> None:
        how = "abandoned: it still runs in the server" if abandoned else "cancelled by CoCancelCall"
        super().__init__(None, f"{method}: no answer within {seconds:g} s ({how})", None)
        self.abandoned = abandoned


def cancellation_supported() -> bool:
    """Whether timed calls are cancelled with CoCancelCall (True) or abandoned (False): see :func:`set_mode`."""
    return _mode() == "cancel"


def set_mode(mode: str | None) -> None:
    """How a timed call gives up, for the whole process: ``"cancel"`` (CoEnableCallCancellation/CoCancelCall;
    the default), ``"abandon"`` (the helper-thread fallback, for a runtime without CoCancelCall), or None to read
    the environment variable ``OLE32_BINDINGS_CALL_TIMEOUT`` again (same values; unset means ``"cancel"``). The
    runtime cannot be asked safely: Wine 8 exports CoCancelCall as a stub whose call ends the process, so the
    choice is made by whoever knows the runtime (the dev harness sets ``abandon`` under Wine)."""
    global _chosen
    if mode is not None and mode not in _MODES:
        raise ValueError(f"call timeout mode must be one of {sorted(_MODES)}, not {mode!r}")
    _chosen = mode


_MODES = frozenset({"cancel", "abandon"})
_chosen: str | None = None


def _mode() -> str:
    if _chosen is not None:
        return _chosen
    env = os.environ.get("OLE32_BINDINGS_CALL_TIMEOUT", "cancel").strip().lower() or "cancel"
    if env not in _MODES:
        raise ValueError(f"OLE32_BINDINGS_CALL_TIMEOUT must be one of {sorted(_MODES)}, not {env!r}")
    return env


def abandoned_calls() -> int:
    """How many timed-out calls are still running in a server (abandonment only; 0 when all have returned)."""
    return _abandoned


def wait_abandoned(timeout: float | None = None) -> bool:
    """Wait until every abandoned call has returned (True) or ``timeout`` seconds passed (False)."""
    with _abandoned_done:
        return _abandoned_done.wait_for(lambda: _abandoned == 0, timeout)


def _drop_result(value: Any) -> None:
    """Release what an abandoned call returned: interface wrappers (also inside a tuple)."""
    for item in value if isinstance(value, tuple) else (value,):
        release = getattr(item, "release", None)
        if release is not None and getattr(item, "_p", None) is not None:
            try:
                release()
            except Exception:
                log.exception("releasing a result of an abandoned call failed")


def _cancelling_call(ptr: Any, name: str, args: tuple[Any, ...], seconds: float) -> Any:
    tid = _GetCurrentThreadId()
    lock = threading.Lock()
    done = [False]

    def cancel() -> None:
        with lock:
            if not done[0]:
                _CoCancelCall(tid, 0)

    hr = _CoEnableCallCancellation(ffi.NULL)
    if hr < 0:
        raise ComError(hr, "CoEnableCallCancellation")
    timer = threading.Timer(seconds, cancel)
    timer.daemon = True
    timer.start()
    try:
        return getattr(ptr, name)(*args)
    except ComError as exc:
        if exc.hresult == _RPC_E_CALL_CANCELED:
            raise CallTimeoutError(name, seconds, abandoned=False) from exc
        raise
    finally:
        with lock:
            done[0] = True
        timer.cancel()
        _CoDisableCallCancellation(ffi.NULL)


def _abandoning_call(ptr: Any, name: str, args: tuple[Any, ...], seconds: float) -> Any:
    global _abandoned
    apt = get_apartment_type()[0]
    sta = apt in (APTTYPE.STA, APTTYPE.MAINSTA)
    if not sta and apt != APTTYPE.MTA:
        raise WrongThreadError(description=f"{name}: a timed call is made from the MTA or an STA, not {apt.name}")
    iface = type(ptr).interface
    if sta:  # the helper (MTA) gets its own proxy; the caller pumps while it waits, so calls into it are served
        passed = marshaling.marshal_inter_thread_interface_in_stream(iface.iid, ptr.as_raw())
    else:
        own_mta = type(ptr).from_borrowed(ptr.as_raw(), direct=False)  # the caller may release its own meanwhile
    box: dict[str, Any] = {}
    event = threading.Event()
    signal = win32.create_event(manual_reset=True) if sta else None
    state = {"abandoned": False}

    def run() -> None:
        global _abandoned
        try:
            if sta:
                own = type(ptr).from_raw(marshaling.get_interface_and_release_stream(passed, iface.iid), direct=False)
            else:
                own = own_mta
            try:
                value = getattr(own, name)(*args)
            finally:
                own.release()
            box["value"] = _marshal_result(value) if sta else value
        except BaseException as exc:  # handed to the caller, or logged when abandoned
            box["error"] = exc
        with _state_lock:
            late = state["abandoned"]
            if not late:
                event.set()
                if signal is not None:
                    win32.set_event(signal)
        if late:  # what the call returned is dropped before it stops counting as abandoned
            if "value" in box:
                _drop_result(_unmarshal_result(box.pop("value")) if sta else box.pop("value"))
            elif not isinstance(box.get("error"), ComError):
                log.warning("abandoned call %s raised %r", name, box.get("error"))
            with _state_lock:
                _abandoned -= 1
                _abandoned_done.notify_all()

    try:
        _helper().jobs.put(run)
        finished = _pumping_wait(signal, seconds) if signal is not None else event.wait(seconds)
        with _state_lock:
            abandoned = not finished and "value" not in box and "error" not in box
            if abandoned:
                state["abandoned"] = True
                _abandoned += 1
        if abandoned:
            raise CallTimeoutError(name, seconds, abandoned=True)
        event.wait()  # set by the helper under the lock, after the result: a finished call has set it
    finally:
        if signal is not None:
            win32.close_handle(signal)
    if "error" in box:
        raise box.pop("error")
    value = box.pop("value")
    return _unmarshal_result(value) if sta else value


class _Marshaled:
    """An interface result on its way from the helper's MTA to an STA caller: a stream holding it, and its
    wrapper class (the caller unmarshals it; unclaimed, the helper releases it)."""

    __slots__ = ("stream", "cls")

    def __init__(self, stream: Any, cls: type) -> None:
        self.stream, self.cls = stream, cls


def _marshal_result(value: Any) -> Any:
    def one(item: Any) -> Any:
        if getattr(item, "_p", None) is None or not hasattr(type(item), "interface"):
            return item
        try:
            return _Marshaled(
                marshaling.marshal_inter_thread_interface_in_stream(type(item).interface.iid, item.as_raw()),
                type(item),
            )
        finally:
            item.release()

    return tuple(one(v) for v in value) if isinstance(value, tuple) else one(value)


def _unmarshal_result(value: Any) -> Any:
    def one(item: Any) -> Any:
        if not isinstance(item, _Marshaled):
            return item
        return item.cls.from_raw(
            marshaling.get_interface_and_release_stream(item.stream, item.cls.interface.iid), direct=False
        )

    return tuple(one(v) for v in value) if isinstance(value, tuple) else one(value)


def _pumping_wait(handle: Any, seconds: float) -> bool:
    """Wait for ``handle`` up to ``seconds`` while serving calls into this STA (CoWaitForMultipleHandles)."""
    try:
        apartments.wait_for_handles([handle], max(0, int(seconds * 1000)))
        return True
    except ComError as exc:
        if exc.hresult == 0x80010115:  # RPC_S_CALLPENDING: the time is up
            return False
        raise


_IDLE_MAX = 2
_pool_lock = threading.Lock()
_idle: list[_Helper] = []


class _Helper:
    """A daemon thread in the MTA running timed calls one at a time. After a call (an abandoned one too, once the
    server has answered) it waits for the next among the idle helpers, up to ``_IDLE_MAX`` of them; past that it
    leaves the MTA and ends. A timed call so costs a hand-off, not a thread start-up."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        threading.Thread(target=self._loop, name="timed-call", daemon=True).start()

    def _loop(self) -> None:
        apartments.co_initialize()
        try:
            while True:
                self.jobs.get()()
                with _pool_lock:
                    if len(_idle) >= _IDLE_MAX:
                        return
                    _idle.append(self)
        finally:
            apartments.co_uninitialize()


def _helper() -> _Helper:
    with _pool_lock:
        if _idle:
            return _idle.pop()
    return _Helper()


def call_with_timeout(ptr: Any, name: str, args: tuple[Any, ...], seconds: float) -> Any:
    """Call ``ptr.<name>(*args)``; raise :class:`CallTimeoutError` if it has not returned after ``seconds``."""
    if not seconds > 0:
        raise ValueError(f"timeout must be a positive number of seconds, not {seconds!r}")
    if cancellation_supported():
        return _cancelling_call(ptr, name, args, seconds)
    return _abandoning_call(ptr, name, args, seconds)


class TimedCalls:
    """``ptr.with_timeout(seconds)``: the same methods as ``ptr``, each call limited to ``seconds`` (see the
    module doc). Borrows ``ptr``: it must stay unreleased while the view is used."""

    __slots__ = ("_ptr", "_seconds")

    def __init__(self, ptr: Any, seconds: float) -> None:
        if not seconds > 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {seconds!r}")
        self._ptr = ptr
        self._seconds = float(seconds)

    def __getattr__(self, name: str) -> Any:
        ptr, seconds = self._ptr, self._seconds
        getattr(ptr, name)  # AttributeError now for a name the interface lacks

        def timed(*args: Any) -> Any:
            return call_with_timeout(ptr, name, args, seconds)

        timed.__name__ = name
        return timed
