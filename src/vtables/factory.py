"""IClassFactory implemented in Python, with COM's rules:

* ``ppvObject`` NULL -> E_POINTER (checked by the thunk before anything is created).
* ``pUnkOuter`` given: the class must allow aggregation (``aggregatable = True``, the default) and ``riid`` must
  be IID_IUnknown, else CLASS_E_NOAGGREGATION; the caller gets the inner's non-delegating IUnknown.
* The server lock is taken first (a stopping server refuses with CO_E_SERVER_STOPPING before creating
  anything); the new object is queried for ``riid`` before anyone else sees it, and when that is refused
  (E_NOINTERFACE) the object, which never had a reference, is dropped and the lock given back: nothing leaks.
* ``LockServer(TRUE/FALSE)`` and each object's life are reported to ``lock`` (an object with ``add()`` and
  ``release()``, e.g. a LocalServer's process lock); with no lock they only count on the factory.
"""

from __future__ import annotations

from typing import Any, Protocol

from ole32_bindings.dlls import ffi
from ole32_bindings.guid import Guid
from ole32_bindings.hresult import NoAggregationError

from .interfaces.objects import IClassFactory
from .object import ComObject, OwnedReference

__all__ = ["ClassFactory", "ServerLockLike"]

_NULL = ffi.NULL


class ServerLockLike(Protocol):
    """What a ``ClassFactory`` reports to: ``add()`` before it creates an object and on LockServer(TRUE) (raising
    there, e.g. ServerStoppingError, refuses the request), ``release()`` when that object is destroyed, when its
    creation failed, and on LockServer(FALSE)."""

    def add(self) -> Any: ...

    def release(self) -> Any: ...


class ClassFactory(ComObject, implements=[IClassFactory]):
    """The class object of ``cls`` (a ComObject subclass). ``args``/``kwargs`` are passed to each new object."""

    def __init__(self, cls: type[ComObject], *args: Any, lock: ServerLockLike | None = None, **kwargs: Any) -> None:
        self.cls = cls
        self.args = args
        self.kwargs = kwargs
        self.lock = lock
        self.locks = 0  # LockServer(TRUE) minus LockServer(FALSE)
        self.created = 0

    def CreateInstance(self, outer: Any, riid: Guid) -> OwnedReference:
        aggregated = outer != _NULL
        if aggregated and not getattr(self.cls, "aggregatable", True):
            raise NoAggregationError(description=f"{self.cls.__name__} cannot be aggregated")
        lock = self.lock
        if lock is not None:
            lock.add()  # first: a server that is stopping refuses here (CO_E_SERVER_STOPPING), before any object
        try:
            if aggregated:
                raw = self.cls.create_aggregated(outer, riid, *self.args, **self.kwargs)  # IUnknown only
                obj = ffi.from_handle(ffi.cast("void **", raw)[1])
            else:
                obj = self.cls(*self.args, **self.kwargs) if self.args or self.kwargs else self.cls()
                raw = obj.query_raw(riid)  # refused -> NoInterfaceError; the unreferenced object is just dropped
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        self.created += 1
        if lock is not None:
            obj._com_on_destroy = lock.release
        return OwnedReference(raw)

    def LockServer(self, lock: int) -> None:
        if lock:
            self.locks += 1
            if self.lock is not None:
                self.lock.add()
        else:
            if self.locks == 0:
                raise ValueError("LockServer(FALSE) without a matching LockServer(TRUE)")
            self.locks -= 1
            if self.lock is not None:
                self.lock.release()
