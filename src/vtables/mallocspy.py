"""An IMallocSpy that counts the task allocator's blocks: proof that conversions leak no BSTR or SAFEARRAY.

    with spying() as spy:
        before = spy.outstanding
        ... write + clear ...
        assert spy.outstanding == before

The runtime calls the spy around every CoTaskMemAlloc/Free/Realloc of the process (CoRegisterMallocSpy). BSTRs
(SysAllocString*) and SAFEARRAYs (descriptor and data) come from that allocator, so a block still outstanding at
the end of a scenario is a BSTR, array or other task-memory block that nobody freed. The spy records only the
blocks allocated on the thread that made it (other threads' allocations are ignored), by address, so a count
before/after is exact whatever else the process does.

Rules met on the way (see docs/wine.md):

* oleaut32 caches freed BSTRs (SysFreeString keeps up to six blocks per size class instead of freeing them) unless
  SetOaNoCache was called or OANOCACHE is in the environment: :func:`spying` calls SetOaNoCache (for the rest of
  the process), otherwise a freed BSTR would look leaked and a reused one would never be seen allocated.
* Wine 8's allocator looks a block up in its table of spied blocks on GetSize/DidAlloc before that table exists
  (NULL until the first allocation under a spy): SysFreeString of an older string right after the registration
  would read address 0. :func:`spying` allocates and frees one block first, which creates the table.
* CoRevokeMallocSpy refuses (E_ACCESSDENIED) while blocks allocated under the spy are outstanding, in any thread,
  and keeps the spy until they are freed: :func:`spying` reports that as a ComError naming the count.

``fail_after(n)``: the n-th allocation from now on this thread fails (PreAlloc returns 0: CoTaskMemAlloc gives
NULL), once; for testing out-of-memory paths.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ole32_bindings.dlls import function
from ole32_bindings.hresult import error_from_hresult

from .interfaces.memory import IMallocSpy
from .object import ComObject

__all__ = ["MallocSpy", "spying"]

_get_ident = threading.get_ident
_SetOaNoCache = function("SetOaNoCache")
_CoRegisterMallocSpy = function("CoRegisterMallocSpy")
_CoRevokeMallocSpy = function("CoRevokeMallocSpy")
_CoTaskMemAlloc = function("CoTaskMemAlloc")
_CoTaskMemFree = function("CoTaskMemFree")


class MallocSpy(ComObject, implements=[IMallocSpy]):
    """Counts the task-allocator blocks allocated on one thread (the creating thread) and not yet freed:
    ``outstanding`` (and ``blocks``, address -> size); ``allocations``/``frees`` count operations on them."""

    def __init__(self) -> None:
        self.thread = _get_ident()
        self.blocks: dict[int, int] = {}
        self.allocations = 0
        self.frees = 0
        self._requested = 0
        self._fail_countdown = 0
        self._lock = threading.Lock()

    @property
    def outstanding(self) -> int:
        """Blocks allocated on the spy's thread while registered and not freed yet."""
        return len(self.blocks)

    def fail_after(self, n: int) -> None:
        """Make the n-th allocation (1 = the next) on the spy's thread fail, once."""
        if n < 1:
            raise ValueError("fail_after(n) counts from 1")
        self._fail_countdown = n

    # ---- IMallocSpy ------------------------------------------------------------------------------------------

    def PreAlloc(self, cb: int) -> int:
        if _get_ident() == self.thread:
            self._requested = cb
            if self._fail_countdown:
                self._fail_countdown -= 1
                if not self._fail_countdown and cb:
                    return 0  # the allocation fails (CoTaskMemAlloc returns NULL)
        return cb

    def PostAlloc(self, p: int) -> int:
        if p and _get_ident() == self.thread:
            with self._lock:
                self.blocks[p] = self._requested
                self.allocations += 1
        return p

    def PreFree(self, p: int, spyed: int) -> int:
        if spyed:
            with self._lock:
                if self.blocks.pop(p, None) is not None:
                    self.frees += 1
        return p

    def PostFree(self, spyed: int) -> None:
        return None

    def PreRealloc(self, p: int, cb: int, new_request: Any, spyed: int) -> int:
        if spyed:
            with self._lock:
                self.blocks.pop(p, None)
        if _get_ident() == self.thread:
            self._requested = cb
        new_request[0] = p
        return cb

    def PostRealloc(self, p: int, spyed: int) -> int:
        if p and _get_ident() == self.thread:
            with self._lock:
                self.blocks[p] = self._requested
        return p

    def PreGetSize(self, p: int, spyed: int) -> int:
        return p

    def PostGetSize(self, cb: int, spyed: int) -> int:
        return cb

    def PreDidAlloc(self, p: int, spyed: int) -> int:
        return p

    def PostDidAlloc(self, p: int, spyed: int, actual: int) -> int:
        return actual

    def PreHeapMinimize(self) -> None:
        return None

    def PostHeapMinimize(self) -> None:
        return None


@contextmanager
def spying() -> Iterator[MallocSpy]:
    """Register a new :class:`MallocSpy` for the block (CoRegisterMallocSpy), revoke it after. Turns oleaut32's
    BSTR cache off for the rest of the process (SetOaNoCache) so freed BSTRs go back to the allocator at once.
    ComError if another spy is registered (CO_E_OBJISREG) or if blocks allocated under this one are still
    outstanding at the end (E_ACCESSDENIED: the runtime keeps the spy until they are freed)."""
    _SetOaNoCache()
    spy = MallocSpy()
    with spy.as_ptr(IMallocSpy) as ptr:
        hr = _CoRegisterMallocSpy(ptr.as_raw())  # the runtime takes its own reference
    if hr < 0:
        raise error_from_hresult(hr, "CoRegisterMallocSpy failed (is another spy registered?)")
    try:
        _CoTaskMemFree(_CoTaskMemAlloc(1))  # Wine: creates the allocator's table of spied blocks (module doc)
        yield spy
    finally:
        hr = _CoRevokeMallocSpy()
        if hr < 0:
            raise error_from_hresult(
                hr, f"CoRevokeMallocSpy: {spy.outstanding} block(s) allocated under the spy are still outstanding"
            )
