"""A thread in its own single-threaded apartment, with a message pump, that runs callables there.

    with StaThread() as sta:
        stream = sta.call(lambda: marshal_out(make_object()))   # created and marshaled in the STA
        ...                                                     # calls on the proxy run on sta.thread_id

``call`` hands back whatever the callable returns: hand over only what may cross apartments (a marshaled
stream, plain values), never a raw interface pointer of the STA's objects. The caller's wait pumps when the caller
is itself in an STA (``apartments.pumping_wait``), so the callable may call back into the caller's apartment.
A call to an STA whose thread has exited raises ``ApartmentThreadError`` at once.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from ole32_bindings import apartments, win32
from ole32_bindings.constants import COINIT, WM_QUIT
from ole32_bindings.dlls import ffi

from .apartments import ApartmentThreadError, pumping_wait

__all__ = ["StaThread"]

_WM_RUN = 0x8000 + 1  # WM_APP + 1: run queued callables


class StaThread:
    def __init__(self, name: str = "sta") -> None:
        self.thread_id = 0
        self._exited = False
        self._ready = threading.Event()
        self._queue: list[tuple[Callable[[], Any], Any, dict]] = []
        self._guard = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        if not self._ready.wait(30):
            raise ApartmentThreadError("the STA thread did not start")

    def _run(self) -> None:
        apartments.co_initialize(COINIT.APARTMENTTHREADED)
        self.thread_id = win32.current_thread_id()
        msg = ffi.new("MSG *")
        win32.peek_message(msg, remove=False)  # the thread has a message queue before anyone posts to it
        self._ready.set()
        try:
            while win32.get_message(msg) > 0:
                if msg.message == _WM_RUN and msg.hwnd == ffi.NULL:
                    self._drain()
                else:
                    win32.dispatch_message(msg)  # COM's calls into this apartment arrive as window messages
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
                box["error"] = ApartmentThreadError("the STA thread exited before running the call")
                done.set()
                continue
            try:
                box["value"] = fn()
            except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread
                box["error"] = e
            done.set()

    def call(self, fn: Callable[[], Any], timeout: float = 60.0) -> Any:
        """Run ``fn`` on the STA thread and return its result (or raise its exception) here."""
        if threading.get_ident() == self._thread.ident:
            return fn()
        if self._exited or not self._thread.is_alive():
            raise ApartmentThreadError("the STA thread has exited")
        box: dict = {}
        with win32.Event() as done:
            entry = (fn, done, box)
            with self._guard:
                self._queue.append(entry)
            try:
                win32.post_thread_message(self.thread_id, _WM_RUN)
            except OSError:
                with self._guard:
                    if entry in self._queue:
                        self._queue.remove(entry)
                        raise ApartmentThreadError("the STA thread has exited") from None
            if not pumping_wait(done.handle, int(timeout * 1000)):
                with self._guard:
                    if entry in self._queue:
                        self._queue.remove(entry)
                    else:  # running now: it will still set the event, so the handle must stay open
                        done.handle = None
                raise TimeoutError(f"the STA thread did not run the call within {timeout} s")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    def close(self) -> None:
        if self._thread.is_alive():
            win32.post_thread_message(self.thread_id, WM_QUIT)
            self._thread.join(30)

    def __enter__(self) -> "StaThread":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
