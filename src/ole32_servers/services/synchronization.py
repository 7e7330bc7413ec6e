"""Activities: the article's Synchronization service. Calls into the objects of one activity run one at a time,
from any number of client threads, apartments and processes; a call that re-enters from the same causality (a
callback on the chain of calls that holds the activity) is let through instead of deadlocking.

    activity = Activity()
    token = activity.enter()       # waits while another causality is inside; re-entry from ours passes at once
    try:
        ...                        # the call, one at a time across the activity's objects
    finally:
        activity.leave(token)

    with activity.entered(): ...   # the same

**Causality.** COM gives every chain of calls a causality id: ``CoGetCurrentLogicalThreadId``. A thread has its
own until it serves a call through a proxy; while it serves one it carries the caller's, which COM sends in every
call's ORPCTHIS (``cid``) and which the serving thread then sends on in its own outgoing calls. So:

* an in-process direct call (same OS thread, no proxy) has the caller's id, as the thread is the same;
* a callback through proxies (object A of the activity calls out, the callee calls back into A or another object
  of the activity, on the same logical thread of calls) arrives with the id of the call that holds the activity,
  even on another OS thread (an RPC thread of the MTA, or another process);
* a call from any other client thread, or from a thread the object started itself, has another id and waits.

What this relies on was checked under Wine 8 (docs/wine.md, "Causality ids"; ``tests/ole32_servers/services/
test_synchronization.py`` re-checks it): the id is per thread, and Wine's channel sends the caller's id and sets
it on the serving thread for the duration of the call (``rpc_execute_call``), in process and across processes;
a callback reaches the MTA on an RPC thread other than the one holding the activity. Windows does the same (it is
how COM+ activities and ``CALLTYPE_NESTED`` of IMessageFilter recognise callbacks).

**Waiting.** Waiters queue in arrival order and the activity is handed to the first one when it becomes free (no
barging, no starvation). A waiter in an STA waits with CoWaitForMultipleHandles, so its apartment keeps serving
calls meanwhile (a callback with the owner's causality that lands there can still enter); in the MTA it is a
plain wait. ``timeout`` (seconds, None = forever, COM+'s behaviour) bounds a wait: a call that waited that long
fails with CONTEXT_E_SYNCH_TIMEOUT (0x8004E006), the HRESULT COM+ defines for it.

**Which activity a new object joins** (``activity_for_new_object``, called once per object by the interceptor): as
COM+'s SynchronizationOption says: Disabled and NotSupported: none; Supported: the creator's if the creating code
runs inside an activity, else none; Required: the creator's, else a new one; RequiresNew: always a new one. "The
creator's" is the innermost activity the creating thread is inside (:func:`current_activity`): the creating code is
a call of one of its objects, a callback that re-entered it included; code that merely runs on the chain of calls
without having entered the activity (a callee outside it) is not inside it, as in COM+.
"""

from __future__ import annotations

import collections
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ole32_bindings import apartments, win32
from ole32_bindings.constants import APTTYPE, INFINITE
from ole32_bindings.dlls import ffi, function
from ole32_bindings.hresult import ComError, error_from_hresult

from .declaration import Synchronization

__all__ = [
    "Activity",
    "ActivityStatistics",
    "CONTEXT_E_SYNCH_TIMEOUT",
    "activity_for_new_object",
    "causality",
    "current_activity",
]

CONTEXT_E_SYNCH_TIMEOUT = 0x8004E006
"""A call waited longer than its activity's ``timeout`` to enter (COM+: "a thread has timed out waiting to enter
the context")."""
_RPC_S_CALLPENDING = 0x80010115

_CoGetCurrentLogicalThreadId = function("CoGetCurrentLogicalThreadId")
_tls = threading.local()
_unpack = ffi.unpack
_cast = ffi.cast


def causality() -> bytes:
    """The calling thread's causality id (CoGetCurrentLogicalThreadId) as its 16 bytes: what identifies "the same
    chain of calls" (see the module doc)."""
    try:
        buf = _tls.guid
    except AttributeError:
        buf = _tls.guid = ffi.new("GUID *")
    hr = _CoGetCurrentLogicalThreadId(buf)
    if hr:
        raise error_from_hresult(hr, "CoGetCurrentLogicalThreadId")
    who: bytes = _unpack(_cast("char *", buf), 16)
    return who


def current_activity() -> Activity | None:
    """The innermost activity the calling thread is inside (a call of one of its objects is running here), or
    None."""
    stack = getattr(_tls, "held", None)
    return stack[-1] if stack else None


@dataclass(frozen=True)
class ActivityStatistics:
    """What one activity counted: ``calls`` entered (re-entries included), ``reentries`` (entered while the same
    causality held it), ``waits`` (calls that found another causality inside), ``timeouts`` (waits that gave
    up), ``max_queue`` (most calls waiting at once), ``busy`` (whether a causality is inside now), ``waiting``
    (calls waiting now)."""

    calls: int
    reentries: int
    waits: int
    timeouts: int
    max_queue: int
    busy: bool
    waiting: int


#: the activities' guards, shared round-robin: a new lock costs ~20 us under Wine 8 (a kernel object) and an
#: activity may be made per object; a guard is held only for a few bookkeeping steps, never across a wait or a call
_GUARDS = tuple(threading.Lock() for _ in range(64))
_stripe = itertools.count()


class _Waiter:
    __slots__ = ("who", "event", "granted")

    def __init__(self, who: bytes) -> None:
        self.who = who
        self.event: Any = None
        self.granted = False


class Activity:
    """One activity: a logical thread of work its objects share. ``enter()`` returns a token for ``leave(token)``
    (both may run on different threads); see the module doc for who waits and who passes."""

    __slots__ = (
        "name",
        "timeout",
        "_guard",
        "_owner",
        "_depth",
        "_queue",
        "_calls",
        "_reentries",
        "_waits",
        "_timeouts",
        "_max_queue",
    )

    def __init__(self, name: str = "", timeout: float | None = None) -> None:
        if timeout is not None and timeout < 0:
            raise ValueError(f"Activity timeout must be >= 0 seconds or None, not {timeout!r}")
        self.name = name
        self.timeout = timeout
        self._guard = _GUARDS[next(_stripe) % len(_GUARDS)]
        self._owner: bytes | None = None  # the causality inside, or None
        self._depth = 0  # its nested entries
        self._queue: collections.deque[_Waiter] = collections.deque()
        self._calls = 0
        self._reentries = 0
        self._waits = 0
        self._timeouts = 0
        self._max_queue = 0

    def __repr__(self) -> str:
        return f"<Activity {self.name or hex(id(self))} {'busy' if self._owner is not None else 'free'}>"

    def enter(self) -> bytes:
        """Enter the activity for one call: at once when it is free or held by the caller's causality, else after
        the calls queued before this one (CONTEXT_E_SYNCH_TIMEOUT after ``timeout``). Returns the token for
        ``leave``."""
        me = causality()
        spare = _spare_events()
        if not spare and self._owner is not None and self._owner != me:  # likely to wait: make the event unguarded
            spare.append(win32.create_event(manual_reset=True, initial=False))
        with self._guard:
            self._calls += 1
            owner = self._owner
            if owner is None:
                self._owner = me
                self._depth = 1
                _push(self)
                return me
            if owner == me:
                self._depth += 1
                self._reentries += 1
                _push(self)
                return me
            waiter = _Waiter(me)
            waiter.event = spare.pop() if spare else win32.create_event(manual_reset=True, initial=False)
            self._queue.append(waiter)
            self._waits += 1
            if len(self._queue) > self._max_queue:
                self._max_queue = len(self._queue)
        try:
            self._wait(waiter)
        finally:
            event, waiter.event = waiter.event, None
            win32.reset_event(event)  # nobody sets it any more: granted (set), or out of the queue
            spare.append(event)
        _push(self)
        return me

    def _wait(self, waiter: _Waiter) -> None:
        """Wait until ``waiter`` is granted the activity (the granting ``leave`` also records it as held). On a
        timeout or an exception during the wait, a waiter not yet granted leaves the queue; one granted meanwhile
        keeps the activity (timeout) or gives it back (exception)."""
        timeout_ms = INFINITE if self.timeout is None else int(self.timeout * 1000)
        try:
            signalled = _wait_handle(waiter.event, timeout_ms)
        except BaseException:
            with self._guard:
                granted = waiter.granted
                if not granted:
                    self._queue.remove(waiter)
            if granted:
                self.leave(waiter.who)
            raise
        if signalled:
            return
        with self._guard:
            if waiter.granted:  # handed over between the timeout and here: the call goes on
                return
            self._queue.remove(waiter)
            self._timeouts += 1
        raise error_from_hresult(
            CONTEXT_E_SYNCH_TIMEOUT,
            f"waited {self.timeout} s to enter activity {self.name or hex(id(self))}, held by another caller",
        )

    def leave(self, token: bytes) -> None:
        """Leave one ``enter`` (``token`` is what it returned). The last leave of the causality inside hands the
        activity to the first waiter, and to every other waiter of that waiter's causality."""
        with self._guard:
            if self._owner != token or self._depth <= 0:
                raise RuntimeError(f"{self!r}: leave() without a matching enter() by this causality")
            _pop(self)
            self._depth -= 1
            if self._depth:
                return
            self._owner = None
            if not self._queue:
                return
            first = self._queue.popleft()
            granted = [first]
            if self._queue:
                rest: collections.deque[_Waiter] = collections.deque()
                for w in self._queue:
                    (granted if w.who == first.who else rest).append(w)
                self._queue = rest
            self._owner = first.who
            self._depth = len(granted)
            for w in granted:
                w.granted = True
                win32.set_event(w.event)

    @contextmanager
    def entered(self) -> Iterator[None]:
        """``with activity.entered(): ...``: ``enter`` and ``leave`` around the block."""
        token = self.enter()
        try:
            yield
        finally:
            self.leave(token)

    def statistics(self) -> ActivityStatistics:
        """A snapshot of what this activity counted (see ActivityStatistics)."""
        with self._guard:
            return ActivityStatistics(
                self._calls,
                self._reentries,
                self._waits,
                self._timeouts,
                self._max_queue,
                self._owner is not None,
                len(self._queue),
            )


class _SpareEvents(list):  # type: ignore[type-arg]
    """A thread's wait events, kept for its next waits (making an event is a kernel call); closed with the thread's
    local data when the thread ends."""

    def __del__(self) -> None:
        for handle in self:
            try:
                win32.close_handle(handle)
            except OSError:
                pass


def _spare_events() -> list[Any]:
    spare: list[Any] | None = getattr(_tls, "events", None)
    if spare is None:
        spare = _tls.events = _SpareEvents()
    return spare


def _push(activity: Activity) -> None:
    """Record on the calling thread that it entered ``activity`` (for current_activity)."""
    stack = getattr(_tls, "held", None)
    if stack is None:
        _tls.held = [activity]
    else:
        stack.append(activity)


def _pop(activity: Activity) -> None:
    """Forget the calling thread's innermost entry of ``activity`` (a leave on another thread than its enter finds
    none here: nothing to forget)."""
    stack = getattr(_tls, "held", None)
    if stack:
        if stack[-1] is activity:
            del stack[-1]
            return
        for i in range(len(stack) - 2, -1, -1):
            if stack[i] is activity:
                del stack[i]
                return


def _wait_handle(handle: Any, timeout_ms: int) -> bool:
    """Wait for ``handle``: pumping (CoWaitForMultipleHandles) in an STA, so the apartment keeps serving calls;
    a plain wait elsewhere. True when signalled, False on timeout."""
    try:
        apt = apartments.get_apartment_type()[0]
    except ComError:
        apt = None
    if apt is None or apt == APTTYPE.MTA:
        return win32.wait_for_single_object(handle, timeout_ms) == 0
    try:
        apartments.wait_for_handles([handle], timeout_ms)
        return True
    except ComError as e:
        if e.hresult & 0xFFFFFFFF == _RPC_S_CALLPENDING:
            return False
        raise


def activity_for_new_object(decl: Synchronization | None) -> Activity | None:
    """The activity a new object of a class declaring ``decl`` joins (None: its calls are not synchronized):
    Disabled, NotSupported: None; Supported: :func:`current_activity`; Required: that, else a new Activity;
    RequiresNew: a new Activity."""
    if decl is None or not decl.enabled:
        return None
    if decl.option == "RequiresNew":
        return Activity()
    current = current_activity()
    if current is not None or decl.option == "Supported":
        return current
    return Activity()
