"""Apartments from Python: run a callable in a new STA (sta.StaThread) or in the MTA (MtaThread), wait without
blocking an STA (pumping_wait), and ask which apartment this thread is in (current_apartment).

Why the waits pump: a thread in an STA that blocks in a plain wait cannot serve calls into its apartment (they
arrive as window messages), so a call that comes back into it (a callback from the object it is waiting on)
deadlocks. ``pumping_wait`` waits with CoWaitForMultipleHandles, which keeps dispatching COM's calls in an STA
and is a plain wait in the MTA.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from ole32_bindings import apartments, win32
from ole32_bindings.constants import APTTYPE, APTTYPEQUALIFIER, COINIT, INFINITE
from ole32_bindings.hresult import ComError

__all__ = ["current_apartment", "pumping_wait", "MtaThread", "ApartmentThreadError"]

_RPC_S_CALLPENDING = 0x80010115


class ApartmentThreadError(RuntimeError):
    """The apartment thread a call was meant for has exited (or never started)."""


def current_apartment() -> tuple[APTTYPE, APTTYPEQUALIFIER] | None:
    """(type, qualifier) of this thread's apartment (CoGetApartmentType); None when the thread is in none."""
    try:
        return apartments.get_apartment_type()
    except ComError:
        return None


def pumping_wait(handle: Any, timeout_ms: int = INFINITE) -> bool:
    """Wait for ``handle`` (an event or other waitable handle); True when signalled, False on timeout.
    In an STA the wait keeps serving incoming COM calls (CoWaitForMultipleHandles); in the MTA, or outside COM,
    it is an ordinary wait."""
    apt = current_apartment()
    if apt is None or apt[0] == APTTYPE.MTA:
        return win32.wait_for_single_object(handle, timeout_ms) == 0
    try:
        apartments.wait_for_handles([handle], timeout_ms)
        return True
    except ComError as e:
        if e.hresult == _RPC_S_CALLPENDING:
            return False
        raise


class MtaThread:
    """A worker thread in the MTA that runs callables there (``call``), for code that must not run in the
    caller's apartment. ``close()`` (or ``with``) ends it; its CoInitializeEx is balanced on the way out."""

    def __init__(self, name: str = "mta") -> None:
        self.thread_id = 0
        self._queue: list[tuple[Callable[[], Any], Any, dict]] = []
        self._cond = threading.Condition()
        self._closing = False
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        if not self._ready.wait(30):
            raise ApartmentThreadError("the MTA thread did not start")

    def _run(self) -> None:
        apartments.co_initialize(COINIT.MULTITHREADED)
        self.thread_id = win32.current_thread_id()
        self._ready.set()
        try:
            while True:
                with self._cond:
                    while not self._queue and not self._closing:
                        self._cond.wait()
                    if not self._queue:
                        return
                    fn, done, box = self._queue.pop(0)
                _run_one(fn, done, box)
        finally:
            with self._cond:
                pending, self._queue = self._queue, []
            for fn, done, box in pending:
                box["error"] = ApartmentThreadError("the MTA thread exited before running the call")
                done.set()
            apartments.co_uninitialize()

    def call(self, fn: Callable[[], Any], timeout: float = 60.0) -> Any:
        """Run ``fn`` in this thread's MTA and return its result (or raise its exception) here; the wait pumps
        if the caller is in an STA."""
        if threading.get_ident() == self._thread.ident:
            return fn()
        with win32.Event() as done:
            box: dict = {}
            entry = (fn, done, box)
            with self._cond:
                if self._closing or not self._thread.is_alive():
                    raise ApartmentThreadError("the MTA thread has exited")
                self._queue.append(entry)
                self._cond.notify()
            if not pumping_wait(done.handle, int(timeout * 1000)):
                with self._cond:
                    if entry in self._queue:
                        self._queue.remove(entry)
                    else:  # running now: it will still set the event, so the handle must stay open
                        done.handle = None
                raise TimeoutError(f"the MTA thread did not run the call within {timeout} s")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    def close(self) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join(30)

    def __enter__(self) -> "MtaThread":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _run_one(fn: Callable[[], Any], done: Any, box: dict) -> None:
    try:
        box["value"] = fn()
    except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread
        box["error"] = e
    done.set()
