"""IClassFactory implemented in Python, with COM's rules:

* ``ppvObject`` NULL -> E_POINTER (checked by the thunk before anything is created).
* ``pUnkOuter`` given: the class must allow aggregation (``aggregatable = True``, the default) and ``riid`` must
  be IID_IUnknown, else CLASS_E_NOAGGREGATION; the caller gets the inner's non-delegating IUnknown.
* The new object is queried for ``riid`` before anyone else sees it; when that is refused (E_NOINTERFACE) the
  object, which never had a reference, is simply dropped: nothing leaks and no server lock was taken.
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


class ServerLockLike(Protocol):
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
        if outer != ffi.NULL:
            if not getattr(self.cls, "aggregatable", True):
                raise NoAggregationError(description=f"{self.cls.__name__} cannot be aggregated")
            raw = self.cls.create_aggregated(outer, riid, *self.args, **self.kwargs)  # NoAggregation unless IUnknown
            obj = ffi.from_handle(ffi.cast("void **", raw)[1])
        else:
            obj = self.cls(*self.args, **self.kwargs)
            raw = obj.query_raw(riid)  # refused -> NoInterfaceError; the unreferenced object is just dropped
        self.created += 1
        if self.lock is not None:
            self.lock.add()
            obj._com_on_destroy = self.lock.release
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
