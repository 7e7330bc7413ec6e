"""Object pooling (``[ObjectPooling(MinPoolSize, MaxPoolSize, CreationTimeOut)]``): the pool a class object
keeps, thread-safe, with statistics the application reads.

The rules, as enforced here:

* ``min_pool_size`` objects are made (and constructed) when the pool is made, i.e. when the class object is;
  at most ``max_pool_size`` objects exist at once, idle and in use together.
* :meth:`ObjectPool.take` hands out an idle object (the most recently returned: warm), else makes one while
  fewer than ``max_pool_size`` exist, else waits up to ``creation_timeout`` ms for one to come back and then
  raises CO_E_ACTIVATIONFAILED_TIMEOUT (0x8004E024). The object's ``Activate`` runs on the way out; when it
  raises, the object is destroyed and the activation fails with CO_E_ACTIVATIONFAILED (0x8004E021), the
  method's message as the description.
* :meth:`ObjectPool.give_back` (the object's count went to 0) calls ``Deactivate`` then ``CanBePooled``: a true
  answer puts the object back, idle; a false one, or either method raising, destroys it (never reused).
* **Refcounts.** An object leaves the pool with exactly one COM reference, owned by its taker (the client of a
  class without an interceptor, else the interceptor); the 1→0 transition of its count is its return (the
  pool is the object's ``_com_keeper``, see ``vtables.object``). An idle object has count 0 and is not live
  (``vtables.object.live_objects``), like a new one. The client's last Release never destroys a pooled object.
* :meth:`ObjectPool.close` (the class object was released, or the server is ending) destroys the idle objects;
  objects in use are destroyed when they come back. A take after close fails with CO_E_SERVER_STOPPING.
* Like COM+, the pool keeps ``min_pool_size`` objects: after it destroys one (refused, failed), it makes
  replacements on that thread until the minimum exists again (a construction that fails there is logged).
* A wait in an STA pumps (CoWaitForMultipleHandles), so the Release that ends it, a call into that apartment, can
  arrive during it.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ole32_bindings.hresult import error_from_hresult

from .declaration import ObjectPooling

__all__ = ["ObjectPool", "PoolStatistics", "pool_of"]

log = logging.getLogger("ole32_servers")

CO_E_ACTIVATIONFAILED = 0x8004E021
CO_E_ACTIVATIONFAILED_TIMEOUT = 0x8004E024
CO_E_SERVER_STOPPING = 0x80080008

RPC_S_CALLPENDING = 0x80010115


def _in_sta() -> bool:
    """Whether the calling thread is in a single-threaded apartment (where a wait must pump)."""
    from ole32_bindings import apartments
    from ole32_bindings.constants import APTTYPE
    from ole32_bindings.hresult import ComError

    try:
        return apartments.get_apartment_type()[0] in (APTTYPE.STA, APTTYPE.MAINSTA)
    except ComError:
        return False


_pools: weakref.WeakValueDictionary[type, ObjectPool] = weakref.WeakValueDictionary()


def pool_of(cls: type) -> ObjectPool | None:
    """The open pool of ``cls`` in this process (the one its newest class object made), or None."""
    pool = _pools.get(cls)
    return None if pool is None or pool.closed else pool


@dataclass(frozen=True)
class PoolStatistics:
    """A snapshot of a pool's counts: ``made`` (objects constructed, ever), ``in_use`` (handed out, not yet
    back), ``idle`` (in the pool), ``waits`` (activations that found the pool exhausted and waited),
    ``timeouts`` (of those, the ones that failed with CO_E_ACTIVATIONFAILED_TIMEOUT), ``destroyed`` (objects
    destroyed: refused by CanBePooled, failed, or the pool closed) and ``activations`` (successful takes)."""

    made: int
    in_use: int
    idle: int
    waits: int
    timeouts: int
    destroyed: int
    activations: int

    @property
    def alive(self) -> int:
        """Objects that exist: in use plus idle (``made - destroyed``)."""
        return self.in_use + self.idle


def destroy(obj: Any) -> None:
    """Destroy an object at count 0 that will never be referenced again (an idle or refused pooled object)."""
    obj._com_keeper = None
    if not obj.com_destroyed:
        obj._com_destroy()


class ObjectPool:
    """The pool of one class object. ``make()`` returns a new, constructed object at count 0 (raising refuses);
    ``config`` is the class's :class:`ObjectPooling` (registered sizes applied). ``on_return(obj)`` runs after
    an object is back (or destroyed) and the pool's counts are updated: the class object gives back its
    server lock there. Thread-safe."""

    def __init__(
        self,
        cls: type,
        make: Callable[[], Any],
        config: ObjectPooling,
        on_return: Callable[[Any], None] | None = None,
    ) -> None:
        self.cls = cls
        self.config = config
        self._make = make
        self._on_return = on_return
        # One lock: held briefly with ``with self._lock`` (C-level) on the fast paths; the condition over it only
        # for the waits of an exhausted pool (and notified only when someone waits).
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._waiting = 0
        self._sta_events: list[Any] = []  # the events of waiters in an STA (see _wait)
        self._idle: list[Any] = []
        self._in_use = 0
        self._creating = 0
        self._made = self._waits = self._timeouts = self._destroyed = self._activations = 0
        self.closed = False
        self._timeout_s = config.creation_timeout / 1000.0
        try:
            for _ in range(config.min_pool_size):
                obj = self._new()
                with self._lock:
                    self._idle.append(obj)
        except BaseException:
            self.close()
            raise
        _pools[cls] = self

    def _new(self) -> Any:
        obj = self._make()
        obj._com_keeper = self.give_back
        with self._lock:
            self._made += 1
        return obj

    # ---- out and back ---------------------------------------------------------------------------------------

    def take(self) -> Any:
        """An activated object at count 0, now in use: the caller gives it its one reference (see the module
        doc). Raises CO_E_ACTIVATIONFAILED_TIMEOUT when the pool stays exhausted for ``creation_timeout`` ms,
        CO_E_ACTIVATIONFAILED when Activate raises, and whatever construction raised."""
        with self._lock:  # the fast path: a warm object
            idle = self._idle
            if idle and not self.closed:
                obj = idle.pop()
                self._in_use += 1
                self._activations += 1
            else:
                obj = None
        if obj is None:
            obj = self._take_slow()
        try:
            obj.Activate()
        except BaseException as e:
            with self._lock:
                self._in_use -= 1
                self._activations -= 1
                self._destroyed += 1
                if self._waiting:
                    self._wake()
            destroy(obj)
            self._replenish()
            description = f"{self.cls.__name__}.Activate raised: {e}"
            raise error_from_hresult(CO_E_ACTIVATIONFAILED, description) from e
        return obj

    def _take_slow(self) -> Any:
        """No idle object: make one below the maximum, else wait (then fail) for one to come back. Counted in
        use and activated (``take`` undoes both when Activate fails)."""
        cond = self._cond
        deadline = 0.0
        with cond:
            while True:
                if self.closed:
                    raise error_from_hresult(CO_E_SERVER_STOPPING, f"the pool of {self.cls.__name__} is closed")
                if self._idle:
                    obj = self._idle.pop()
                    self._in_use += 1
                    self._activations += 1
                    return obj
                if self._in_use + self._creating < self.config.max_pool_size:
                    self._creating += 1
                    break
                now = time.monotonic()
                if not deadline:
                    self._waits += 1
                    deadline = now + self._timeout_s
                remaining = deadline - now
                if remaining <= 0:
                    self._timeouts += 1
                    raise error_from_hresult(
                        CO_E_ACTIVATIONFAILED_TIMEOUT,
                        f"{self.cls.__name__}: all {self.config.max_pool_size} pooled objects stayed in use for "
                        f"{self.config.creation_timeout} ms",
                    )
                self._waiting += 1
                try:
                    self._wait(remaining)
                finally:
                    self._waiting -= 1
        try:
            obj = self._new()
        except BaseException:
            with cond:
                self._creating -= 1
                if self._waiting:
                    self._wake()
            raise
        with cond:
            self._creating -= 1
            self._in_use += 1
            self._activations += 1
        return obj

    def give_back(self, obj: Any) -> None:
        """An object taken from this pool is back (its count went to 0): Deactivate, CanBePooled, then idle or
        destroyed. Never raises (it runs inside a Release)."""
        keep = False
        try:
            obj.Deactivate()
            keep = bool(obj.CanBePooled())
        except Exception:
            log.exception("%s: Deactivate/CanBePooled raised: the object is destroyed", self.cls.__name__)
        with self._lock:
            self._in_use -= 1
            if keep and not self.closed:
                self._idle.append(obj)
            else:
                keep = False
                self._destroyed += 1
            if self._waiting:
                self._wake()
        if not keep:
            destroy(obj)
            self._replenish()
        hook = self._on_return
        if hook is not None:
            try:
                hook(obj)
            except Exception:
                log.exception("%s: the pool's return hook raised", self.cls.__name__)

    def _replenish(self) -> None:
        """After a destruction: make objects until ``min_pool_size`` exist again (COM+ keeps the minimum), on this
        thread. A construction that fails is logged and ends the attempt (the next destruction tries again)."""
        while True:
            with self._lock:
                if self.closed or self._in_use + len(self._idle) + self._creating >= self.config.min_pool_size:
                    return
                self._creating += 1
            try:
                obj = self._new()
            except Exception:
                log.exception("%s: making an object to keep MinPoolSize failed", self.cls.__name__)
                with self._lock:
                    self._creating -= 1
                    if self._waiting:
                        self._wake()
                return
            with self._lock:
                self._creating -= 1
                closed = self.closed
                if not closed:
                    self._idle.append(obj)
                    if self._waiting:
                        self._wake()
                else:
                    self._destroyed += 1
            if closed:
                destroy(obj)
                return

    def _wait(self, seconds: float) -> None:
        """Wait (holding the lock, which the wait gives up meanwhile) until ``_wake`` or ``seconds``. In an STA
        the wait pumps (CoWaitForMultipleHandles), so the Release that would end it, a call into this apartment,
        can arrive during it; elsewhere it is the condition's wait."""
        if not _in_sta():
            self._cond.wait(seconds)
            return
        from ole32_bindings import apartments
        from ole32_bindings.hresult import ComError
        from ole32_bindings.win32 import Event

        event = Event()
        self._sta_events.append(event)
        self._lock.release()
        try:
            apartments.wait_for_handles([event.handle], max(0, int(seconds * 1000)))
        except ComError as e:
            if e.hresult & 0xFFFFFFFF != RPC_S_CALLPENDING:  # (a timeout: the caller re-checks the deadline)
                raise
        finally:
            self._lock.acquire()
            self._sta_events.remove(event)
            event.close()

    def _wake(self) -> None:
        """Wake the waiters (holding the lock): one condition waiter, every pumping (STA) waiter (they re-check)."""
        self._cond.notify()
        for event in self._sta_events:
            event.set()

    # ---- the application's view ------------------------------------------------------------------------------

    def statistics(self) -> PoolStatistics:
        """The counts now (a consistent snapshot)."""
        with self._lock:
            return PoolStatistics(
                self._made,
                self._in_use,
                len(self._idle),
                self._waits,
                self._timeouts,
                self._destroyed,
                self._activations,
            )

    def close(self) -> int:
        """Destroy the idle objects and refuse later takes; objects in use are destroyed when they come back.
        Returns how many were destroyed now. Idempotent."""
        with self._cond:
            self.closed = True
            idle, self._idle = self._idle, []
            self._destroyed += len(idle)
            self._cond.notify_all()
            for event in self._sta_events:
                event.set()
        for obj in idle:
            destroy(obj)
        return len(idle)

    def __repr__(self) -> str:
        return f"<ObjectPool of {self.cls.__name__} {self.config} {self.statistics()}>"
