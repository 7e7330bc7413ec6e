"""Apartments from Python: run a callable in a new STA (sta.StaThread) or in the MTA (MtaThread), wait without
blocking an STA (pumping_wait), and ask which apartment this thread is in (current_apartment).

Why the waits pump: a thread in an STA that blocks in a plain wait cannot serve calls into its apartment (they
arrive as window messages), so a call that comes back into it (a callback from the object it is waiting on)
deadlocks. ``pumping_wait`` waits with CoWaitForMultipleHandles, which keeps dispatching COM's calls in an STA
and is a plain wait in the MTA.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ole32_bindings import apartments, win32
from ole32_bindings.constants import APTTYPE, APTTYPEQUALIFIER, COINIT, INFINITE
from ole32_bindings.hresult import ComError

__all__ = ["current_apartment", "pumping_wait", "ApartmentThread", "MtaThread", "ApartmentThreadError"]

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


class ApartmentThread:
    """A thread in an apartment of its own that runs callables there (``call``). Subclasses say how the thread
    enters its apartment and waits for work (``_serve``), how it is woken (``_wake``) and stopped (``_stop``).
    ``close()`` (or ``with``) ends the thread; its CoInitializeEx is balanced on the way out. A call to a thread
    that has exited raises ``ApartmentThreadError`` at once; one queued while it exits fails the same way."""

    kind = "apartment"

    def __init__(self, name: str) -> None:
        self.thread_id = 0
        self._exited = False
        self._queue: list[tuple[Callable[[], Any], Any, dict]] = []
        self._guard = threading.Lock()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()
        if not self._ready.wait(30):
            raise ApartmentThreadError(f"the {self.kind} thread did not start")

    # ---- what a subclass provides --------------------------------------------------------------------------------

    def _serve(self) -> None:
        """In the new thread, after CoInitializeEx: set ``self._ready``, then run ``_drain`` whenever woken, until
        stopped."""
        raise NotImplementedError

    def _coinit(self) -> int:
        raise NotImplementedError

    def _wake(self) -> None:
        """Make the thread look at its queue (OSError if it cannot be reached)."""
        raise NotImplementedError

    def _stop(self) -> None:
        raise NotImplementedError

    # ---- the thread ---------------------------------------------------------------------------------------------

    def _main(self) -> None:
        apartments.co_initialize(self._coinit())
        self.thread_id = win32.current_thread_id()
        try:
            self._serve()
        finally:
            self._drain()
            apartments.co_uninitialize()
            self._exited = True
            self._drain()  # a call queued while we left: fails in the caller instead of waiting forever

    def _drain(self) -> None:
        while True:
            with self._guard:
                if not self._queue:
                    return
                fn, done, box = self._queue.pop(0)
            if self._exited:
                box["error"] = ApartmentThreadError(f"the {self.kind} thread exited before running the call")
                done.set()
                continue
            _run_one(fn, done, box)

    # ---- the callers' side ----------------------------------------------------------------------------------

    def call(self, fn: Callable[[], Any], timeout: float = 60.0) -> Any:
        """Run ``fn`` on this thread, in its apartment, and return its result (or raise its exception) here. The
        wait pumps when the caller is in an STA, so ``fn`` may call back into the caller's apartment."""
        if threading.get_ident() == self._thread.ident:
            return fn()
        if self._exited or not self._thread.is_alive():
            raise ApartmentThreadError(f"the {self.kind} thread has exited")
        box: dict = {}
        with win32.Event() as done:
            entry = (fn, done, box)
            with self._guard:
                self._queue.append(entry)
            try:
                self._wake()
            except OSError:
                with self._guard:
                    if entry in self._queue:
                        self._queue.remove(entry)
                        raise ApartmentThreadError(f"the {self.kind} thread has exited") from None
            if not pumping_wait(done.handle, int(timeout * 1000)):
                with self._guard:
                    if entry in self._queue:
                        self._queue.remove(entry)
                    else:  # running now: it will still set the event, so the handle must stay open
                        done.handle = None
                raise TimeoutError(f"the {self.kind} thread did not run the call within {timeout} s")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    def close(self) -> None:
        if self._thread.is_alive():
            self._stop()
            self._thread.join(30)

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MtaThread(ApartmentThread):
    """A worker thread in the MTA that runs callables there, for code that must not run in the caller's
    apartment."""

    kind = "MTA"

    def __init__(self, name: str = "mta") -> None:
        self._wakeup = threading.Condition()
        self._closing = False
        super().__init__(name)

    def _coinit(self) -> int:
        return COINIT.MULTITHREADED

    def _serve(self) -> None:
        self._ready.set()
        while True:
            with self._wakeup:
                while not self._queue and not self._closing:
                    self._wakeup.wait()
                if self._closing:
                    return
            self._drain()

    def _wake(self) -> None:
        with self._wakeup:
            self._wakeup.notify()

    def _stop(self) -> None:
        with self._wakeup:
            self._closing = True
            self._wakeup.notify()


def _run_one(fn: Callable[[], Any], done: Any, box: dict) -> None:
    try:
        box["value"] = fn()
    except BaseException as e:
        box["error"] = e
    done.set()
