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
  effect of the call is undone. The caller must be in the MTA (an STA's pointers cannot be called from the helper
  thread); an STA caller gets :class:`~ole32_bindings.hresult.WrongThreadError` naming the limit.

Calls without a timeout are untouched: the generated callers of ``vtables.client`` have no timeout code at all.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from typing import Any

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
    if apt not in (APTTYPE.MTA,):
        raise WrongThreadError(
            description=f"{name}: a timeout without CoCancelCall (this runtime) needs the caller in the MTA; "
            f"this thread is in {apt.name}"
        )
    own = type(ptr).from_borrowed(ptr.as_raw(), direct=False)  # the helper's reference: the caller may release
    box: dict[str, Any] = {}
    event = threading.Event()
    state = {"abandoned": False}

    def run() -> None:
        global _abandoned
        try:
            box["value"] = getattr(own, name)(*args)
        except BaseException as exc:  # handed to the caller, or logged when abandoned
            box["error"] = exc
        finally:
            own.release()
        with _state_lock:
            late = state["abandoned"]
            if not late:
                event.set()
        if late:  # what the call returned is dropped before it stops counting as abandoned
            if "value" in box:
                _drop_result(box.pop("value"))
            elif not isinstance(box.get("error"), ComError):
                log.warning("abandoned call %s raised %r", name, box.get("error"))
            with _state_lock:
                _abandoned -= 1
                _abandoned_done.notify_all()

    _helper().jobs.put(run)
    finished = event.wait(seconds)
    with _state_lock:
        abandoned = not finished and "value" not in box and "error" not in box
        if abandoned:
            state["abandoned"] = True
            _abandoned += 1
    if abandoned:
        raise CallTimeoutError(name, seconds, abandoned=True)
    event.wait()  # set by the helper under the lock, after the result: a finished call has set it
    if "error" in box:
        raise box.pop("error")
    return box.pop("value")


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
        from ole32_bindings import apartments

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
