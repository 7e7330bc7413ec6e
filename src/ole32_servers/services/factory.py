"""The class object of a serviced class: IClassFactory with the pool, the interceptor and construction.

``ServicedClassFactory(cls)`` reads the class's declaration (``services_of``); ``services=`` and
``construction_string=`` override it with what registration recorded (``registration.read_services``). What
CreateInstance hands out:

* an intercepted class (JIT or synchronization): a new interceptor (``jit``); the real object comes from
  :meth:`ServicedClassFactory.acquire` at its first call (JIT) or at once (synchronization only);
* a pooled class without interceptor: an object from the pool, activated, with the client's one reference;
  its final Release returns it to the pool (``pooling``);
* otherwise a new object, constructed (``construction``) and activated.

``lock`` is a LocalServer's process lock (``vtables.factory.ServerLockLike``): held for each object handed out
(the interceptor, or the pooled object until it is back), never for idle pooled objects, so a server with a
warm pool still exits when its last client leaves. The class object owns its pool: it is closed (idle objects
destroyed) when the class object's count reaches 0 or :meth:`ServicedClassFactory.close` is called.
Aggregation is refused (CLASS_E_NOAGGREGATION): a serviced object's identity is the interceptor's or the pool's.
"""

from __future__ import annotations

import logging
from typing import Any

from ole32_bindings.dlls import ffi
from ole32_bindings.hresult import NoAggregationError, error_from_hresult
from vtables.factory import ClassFactory, ServerLockLike
from vtables.interfaces.objects import IClassFactory
from vtables.object import ComObject, OwnedReference

from .declaration import ServiceSet, services_of
from .pooling import CO_E_ACTIVATIONFAILED, ObjectPool, destroy

__all__ = ["ServicedClassFactory"]

log = logging.getLogger("ole32_servers")
_NULL = ffi.NULL


def _hold(obj: Any) -> None:
    """The keeper of an object while the infrastructure holds it (construction): kept at count 0, as new."""


class ServicedClassFactory(ComObject, implements=[IClassFactory]):
    """The class object of ``cls`` with its services (see the module doc). ``pool`` is its
    :class:`~ole32_servers.services.pooling.ObjectPool` (None for a class without pooling): its
    ``statistics()`` are the application's view."""

    def __init__(
        self,
        cls: type,
        *,
        services: ServiceSet | None = None,
        construction_string: str | None = None,
        lock: ServerLockLike | None = None,
    ) -> None:
        from .component import ServicedComponent

        if not (isinstance(cls, type) and issubclass(cls, ServicedComponent)):
            raise TypeError(f"ServicedClassFactory serves ServicedComponent subclasses, not {cls!r}")
        self.cls = cls
        self.services = services if services is not None else services_of(cls)
        s = self.services
        if s.construction is None and construction_string is not None:
            raise ValueError(f"{cls.__name__} declares no ConstructionEnabled: it takes no construction string")
        self.construction_string = (
            construction_string if construction_string is not None or s.construction is None else s.construction.default
        )
        self.lock = lock
        self.locks = 0
        self.created = 0  # objects (or interceptors) handed out by CreateInstance
        self.interceptor = getattr(cls, "_svc_interceptor", None) if s.intercepted else None
        self.pool: ObjectPool | None = None
        if s.pooling is not None:
            on_return = self._unlock if lock is not None and self.interceptor is None else None
            self.pool = ObjectPool(cls, self._new_object, s.pooling, on_return)

    # ---- real objects ----------------------------------------------------------------------------------------

    def _new_object(self) -> Any:
        """A new real object at count 0, constructed; its keeper is set by the caller."""
        obj = self.cls()
        if self.construction_string is not None:
            from .construction import construct

            obj._com_keeper = _hold  # construction's reference going to 0 keeps it
            try:
                construct(obj, self.construction_string)
            except BaseException:
                destroy(obj)
                raise
        return obj

    def acquire(self) -> Any:
        """An activated real object at count 0, whose count reaching 0 later gives it back: from the pool, or
        made for this activation (then destroyed when it comes back, after Deactivate)."""
        if self.pool is not None:
            return self.pool.take()
        obj = self._new_object()
        obj._com_keeper = self._unpooled_back
        try:
            obj.Activate()
        except BaseException as e:
            destroy(obj)
            raise error_from_hresult(CO_E_ACTIVATIONFAILED, f"{self.cls.__name__}.Activate raised: {e}") from e
        return obj

    def _unpooled_back(self, obj: Any) -> None:
        try:
            obj.Deactivate()
        except Exception:
            log.exception("%s.Deactivate raised", self.cls.__name__)
        destroy(obj)
        if self.lock is not None and self.interceptor is None:
            self.lock.release()

    def _unlock(self, obj: Any) -> None:
        assert self.lock is not None
        self.lock.release()

    def interceptor_released(self, interceptor: Any) -> None:
        """Called by an interceptor's final release (after its real object is back)."""
        if self.lock is not None:
            self.lock.release()

    # ---- IClassFactory ---------------------------------------------------------------------------------------

    def CreateInstance(self, outer: Any, riid: Any) -> OwnedReference:
        if outer != _NULL:
            raise NoAggregationError(description=f"{self.cls.__name__} has services: it cannot be aggregated")
        lock = self.lock
        if lock is not None:
            lock.add()  # first: a stopping server refuses here (CO_E_SERVER_STOPPING)
        if self.interceptor is not None:
            try:
                icp = self.interceptor(self, self._activity())
                try:
                    if not self.services.jit:
                        icp._svc_activate()  # synchronization only: the real object lives with the interceptor
                    raw = icp.query_raw(riid)
                except BaseException:
                    icp._svc_end()  # never referenced: its real object goes back now
                    raise
            except BaseException:
                if lock is not None:
                    lock.release()
                raise
        else:
            try:
                obj = self.acquire()
            except BaseException:
                if lock is not None:
                    lock.release()
                raise
            try:
                raw = obj.query_raw(riid)  # the client's one reference
            except BaseException:
                obj._com_keeper(obj)  # refused: back at once (Deactivate, CanBePooled); that gives the lock back
                raise
        self.created += 1
        if lock is not None:  # a LocalServer's: watch the calling process, which may die holding it (rundown)
            from .rundown import watch_for_client

            watch_for_client(icp if self.interceptor is not None else obj)
        return OwnedReference(raw)

    def _activity(self) -> Any:
        sync = self.services.synchronization
        if sync is None or not sync.enabled:
            return None
        from .synchronization import activity_for_new_object

        return activity_for_new_object(sync)

    LockServer = ClassFactory.LockServer  # the same count (``locks``) and the same hold on the server (``lock``)

    # ---- the end ---------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the pool (idle objects destroyed now, objects in use when they come back). Idempotent."""
        if self.pool is not None:
            self.pool.close()

    def final_release(self) -> None:
        """The class object's count reached 0 (COM revoked it, the inproc host let it go): close the pool."""
        self.close()
