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

from ole32_bindings import win32
from ole32_bindings.constants import COINIT, WM_QUIT
from ole32_bindings.dlls import ffi

from .apartments import ApartmentThread

__all__ = ["StaThread"]

_WM_RUN = 0x8000 + 1  # WM_APP + 1: run queued callables


class StaThread(ApartmentThread):
    """A new single-threaded apartment with a message pump (see the module doc)."""

    kind = "STA"

    def __init__(self, name: str = "sta") -> None:
        super().__init__(name)

    def _coinit(self) -> int:
        return COINIT.APARTMENTTHREADED

    def _serve(self) -> None:
        msg = ffi.new("MSG *")
        win32.peek_message(msg, remove=False)  # the thread has a message queue before anyone posts to it
        self._ready.set()
        while win32.get_message(msg) > 0:
            if msg.message == _WM_RUN and msg.hwnd == ffi.NULL:
                self._drain()
            else:
                win32.dispatch_message(msg)  # COM's calls into this apartment arrive as window messages

    def _wake(self) -> None:
        win32.post_thread_message(self.thread_id, _WM_RUN)

    def _stop(self) -> None:
        win32.post_thread_message(self.thread_id, WM_QUIT)
