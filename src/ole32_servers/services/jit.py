"""Just-in-time activation (``[JustInTimeActivation]``) behind an interceptor that plays the SCP's role.

The client of an intercepted class (JIT, or synchronization) holds an :class:`Interceptor`, one of our vtable
objects: its own COM identity (QueryInterface for IUnknown always gives the same pointer), its own exact count,
and the class's interfaces (less IObjectControl and IObjectConstruct, which are the infrastructure's) plus
IObjectDispose. The real object is never handed to the client.

* The real object is made (or taken from the pool) at the first call, and Activate runs; the call then runs on
  it with its :class:`~ole32_servers.services.context.ObjectContext` current (Activate, Deactivate and
  CanBePooled run in that context too: ``object_context().my_transaction_vote`` tells Deactivate the outcome).
* When a call returns with the doneness bit set (``set_complete()``, ``set_abort()``,
  ``object_context().deactivate_on_return = True``, or an ``@auto_complete`` method, which sets it on return,
  keeping the vote the method left, commit by default, and aborts when the method raises) the real object is
  deactivated: Deactivate, then back to the pool when
  CanBePooled says so, else destroyed. The next call gets a fresh real object (Activate again).
* ``IObjectDispose::Dispose`` (:func:`dispose`) deactivates the real object if one is attached (it never makes
  one) and ends the interceptor: every later call fails with RPC_E_DISCONNECTED (0x80010108, "the object invoked
  has disconnected from its clients"); Dispose itself stays S_OK. The interceptor's final Release without a
  Dispose does the same cleanup.
* Calls into one interceptor run one at a time (COM+ forces Synchronization=Required on a JIT class): a lock per
  interceptor, re-entrant on its own thread, or the activity's enter/leave when the class declares
  synchronization (``synchronization.activity_for_new_object``).

Without JIT (a synchronized class) the real object is made when the interceptor is, and the doneness bit has
no effect. Cost: one forwarder per (class, method), made once by :func:`interceptor_class`; a call adds the
interceptor's own thunk and a Python call to the implementation (the real object's arguments are not converted
twice). ``test_bench_jit.py`` measures it.
"""

from __future__ import annotations

import threading
import types
from collections.abc import Callable
from typing import Any

from ole32_bindings.guid import Guid
from ole32_bindings.hresult import error_from_hresult
from vtables.interfaces.errors import ISupportErrorInfo
from vtables.interfaces.services import IObjectConstruct, IObjectControl, IObjectDispose
from vtables.object import ComObject, implementation_of

from .context import ObjectContext, _tls
from .declaration import services_of

__all__ = [
    "Interceptor",
    "interceptor_class",
    "dispose",
    "services_type_library",
    "RPC_E_DISCONNECTED",
    "LIBID_SERVICES",
]

RPC_E_DISCONNECTED = 0x80010108
"""What a call on a disposed interceptor fails with."""

LIBID_SERVICES = Guid("{D3296D99-0A57-4BC3-AF3F-EA69AE29FD4F}")
"""The LIBID of :func:`services_type_library`."""

#: the locks of interceptors that are gone, for new ones (each is owned by one live interceptor at a time)
_free_guards: list[Any] = []

#: the real class's interfaces the interceptor does not offer (the infrastructure calls them on the real object)
_NOT_FORWARDED = (ISupportErrorInfo, IObjectControl, IObjectConstruct)


class Interceptor(ComObject, implements=[IObjectDispose]):
    """What the client of an intercepted class holds (see the module doc). Made by the class object:
    ``factory`` gives real objects (``acquire()``) and takes them back (their count reaching 0)."""

    _svc_real_class: Any = None
    _svc_jit: bool = True
    #: the interceptor is the context boundary COM+'s would be: a caller in its own context still goes through the
    #: vtable, so a real object's exception reaches it as the HRESULT (and IErrorInfo) a remote caller gets
    _com_direct = False

    def __init__(self, factory: Any, activity: Any = None) -> None:
        self._svc_factory = factory
        self._svc_ctx: ObjectContext | None = None
        self._svc_disposed = False
        self._svc_activity = activity
        try:  # an RLock of the free list: making one costs about 25 us under Wine (a kernel object), reusing none
            self._svc_guard = _free_guards.pop()
        except IndexError:
            self._svc_guard = threading.RLock()

    # ---- the real object's life ------------------------------------------------------------------------------

    def _svc_activate(self) -> ObjectContext:
        """Attach a real object (activated, with the interceptor's one reference) and return its new context."""
        if self._svc_disposed:
            raise error_from_hresult(
                RPC_E_DISCONNECTED, f"{self._svc_real_class.__name__} was disposed: make a new object"
            )
        ctx = ObjectContext(None, self._svc_activity)
        prev = getattr(_tls, "ctx", None)
        _tls.ctx = ctx  # Activate (and Construct) run in the new activation's context
        try:
            obj = self._svc_factory.acquire()
        finally:
            _tls.ctx = prev
        obj._com_addref()  # the interceptor's reference; its release is the object's return
        ctx.component = obj
        self._svc_ctx = ctx
        return ctx

    def _svc_deactivate(self) -> None:
        ctx = self._svc_ctx
        if ctx is not None:
            self._svc_ctx = None
            prev = getattr(_tls, "ctx", None)
            _tls.ctx = ctx  # Deactivate and CanBePooled still see the activation's context (its vote)
            try:
                ctx.component._com_release()  # 1 -> 0: the class object takes it back (Deactivate, CanBePooled)
            finally:
                _tls.ctx = prev

    def _svc_end(self) -> None:
        activity = self._svc_activity
        if activity is None:
            with self._svc_guard:
                self._svc_disposed = True
                self._svc_deactivate()
            return
        token = activity.enter()
        try:
            self._svc_disposed = True
            self._svc_deactivate()
        finally:
            activity.leave(token)

    def Dispose(self) -> None:
        """IObjectDispose::Dispose: deactivate the real object (if one is attached) and disconnect."""
        self._svc_end()

    def final_release(self) -> None:
        """The client's last Release: the same cleanup as Dispose."""
        self._svc_end()
        _free_guards.append(self._svc_guard)  # free: no call can be running (a caller would hold a reference)
        release = getattr(self._svc_factory, "interceptor_released", None)
        if release is not None:
            release(self)

    @property
    def attached(self) -> Any:
        """The real object attached now (None between JIT activations and after Dispose): for tests."""
        ctx = self._svc_ctx
        return None if ctx is None else ctx.component


def _forwarder(impl: Callable[..., Any], auto: bool, jit: bool, synced: bool, name: str) -> Callable[..., Any]:
    """The interceptor's implementation of one method: the real object's ``impl`` with the services around it."""

    if jit:

        def body(self: Interceptor, args: tuple[Any, ...]) -> Any:
            ctx = self._svc_ctx
            if ctx is None:
                ctx = self._svc_activate()
            prev = getattr(_tls, "ctx", None)
            _tls.ctx = ctx
            try:
                result = impl(ctx.component, *args)
            except BaseException:
                _tls.ctx = prev
                if auto:
                    ctx.set_abort()
                if ctx.deactivate_on_return:
                    self._svc_deactivate()
                raise
            _tls.ctx = prev
            if auto:
                ctx.deactivate_on_return = True  # (the vote stays as the method left it: commit unless it aborted)
            if ctx.deactivate_on_return:
                self._svc_deactivate()
            return result

    else:

        def body(self: Interceptor, args: tuple[Any, ...]) -> Any:
            ctx = self._svc_ctx
            if ctx is None:
                ctx = self._svc_activate()  # (raises RPC_E_DISCONNECTED after Dispose)
            prev = getattr(_tls, "ctx", None)
            _tls.ctx = ctx
            try:
                return impl(ctx.component, *args)
            finally:
                _tls.ctx = prev

    if synced:

        def forward(self: Interceptor, *args: Any) -> Any:
            activity = self._svc_activity
            if activity is None:
                with self._svc_guard:
                    return body(self, args)
            token = activity.enter()
            try:
                return body(self, args)
            finally:
                activity.leave(token)

    else:

        def forward(self: Interceptor, *args: Any) -> Any:
            with self._svc_guard:  # one call at a time per interceptor: its real object is activated for one caller
                return body(self, args)

    forward.__name__ = forward.__qualname__ = name
    return forward


def interceptor_class(cls: type) -> type[Interceptor]:
    """The interceptor class of ``cls`` (an intercepted ServicedComponent subclass), built once per class: the
    same interfaces, one forwarder per method."""
    made = cls.__dict__.get("_svc_interceptor")
    if made is not None:
        return made  # type: ignore[no-any-return]
    services = services_of(cls)
    jit = services.jit is not None
    synced = services.synchronization is not None and services.synchronization.enabled
    if synced:
        from . import synchronization  # noqa: F401 - fails here, at class definition, when it is missing
    ifaces = [i for i in cls.implements if i not in _NOT_FORWARDED]  # type: ignore[attr-defined]
    if IObjectDispose not in ifaces:
        ifaces.append(IObjectDispose)
    namespace: dict[str, Any] = {
        "_svc_real_class": cls,
        "_svc_jit": jit,
        "progid": getattr(cls, "progid", None) or cls.__name__,  # IErrorInfo's source: the class's, not ours
        "__doc__": f"The interceptor of {cls.__name__}.",
        "__module__": cls.__module__,
    }
    for iface in ifaces:
        if iface is IObjectDispose:
            continue
        for m in iface.layout[3:]:
            impl = implementation_of(cls, iface, m)
            if impl is None or hasattr(impl, "__com_slot__"):
                continue  # provided per class (IDispatch by vtables.dispatch): the interceptor gets its own
            auto = f"{iface.__name__}.{m.name}" in services.auto_complete
            key = f"{iface.__name__}_{m.name}"
            namespace[key] = _forwarder(impl, auto, jit, synced, key)
    return types.new_class(
        f"{cls.__name__}Interceptor",
        (Interceptor,),
        {"implements": ifaces, "agile": cls._com_agile},  # type: ignore[attr-defined]
        lambda ns: ns.update(namespace),
    )


def dispose(ptr: Any) -> None:
    """``Dispose()`` from a client: IObjectDispose::Dispose on the object ``ptr`` points at (a client pointer of
    any of its interfaces; not released here)."""
    with ptr.query(IObjectDispose) as d:
        d.Dispose()


def services_type_library(path: str) -> Any:
    """The type library that describes IObjectDispose (LIBID :data:`LIBID_SERVICES`), so oleaut32's typelib
    marshaler carries Dispose across apartments and processes: a ``typelib.GeneratedTypeLibrary`` to register once
    per machine or with a LocalServer32 (``LocalServer.main(typelib=...)``); ``path`` is where the .tlb is
    written. The comsvcs interfaces are the infrastructure's and never cross here."""
    from ..typelib import GeneratedTypeLibrary

    return GeneratedTypeLibrary(path, LIBID_SERVICES, "Ole32BindingsServices", [IObjectDispose])
