"""``ServicedComponent``: the base of a Python COM class that declares services, next to its interfaces.

    class Account(ServicedComponent, implements=[IAccount], services=[JustInTimeActivation(), ...]):
        ...

The declaration is checked when the class is defined (``InterfaceError`` / ``ServiceDeclarationError``): a
class with ``ConstructionEnabled`` must implement IObjectConstruct; ``@auto_complete`` only on methods of the
class's interfaces; a class with JIT or synchronization cannot be aggregated (the client holds the interceptor).
The interceptor class (``jit.interceptor_class``) is built here, once, for an intercepted class.

IObjectControl's methods have the article's defaults: ``Activate`` and ``Deactivate`` do nothing and
``CanBePooled`` answers False (a pooled class says True to be reused). The pool and the interceptor call them
directly; a class that lists IObjectControl in ``implements`` also answers them through the vtable.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from vtables.declare import Interface, InterfaceError
from vtables.interfaces.services import IObjectConstruct, IObjectControl
from vtables.object import ComObject, implementation_of

from .declaration import ServiceSet, services_of

__all__ = ["ServicedComponent"]


class ServicedComponent(ComObject):
    """Base of classes with services: ``class C(ServicedComponent, implements=[...], services=[...])``."""

    _svc_services: ClassVar[ServiceSet] = ServiceSet()
    #: the interceptor class (``jit.interceptor_class``) of an intercepted class, else None
    _svc_interceptor: ClassVar[Any] = None

    def __init_subclass__(
        cls, services: Iterable[object] | None = None, implements: Iterable[type[Interface]] | None = None, **kw: Any
    ) -> None:
        super().__init_subclass__(implements=implements, **kw)
        declared = list(services) if services is not None else None
        auto = _auto_complete_names(cls)
        if declared is None:
            inherited = services_of(cls)
            cls._svc_services = ServiceSet.of(
                [d for d in (inherited.pooling, inherited.jit, inherited.synchronization, inherited.construction) if d],
                auto,
            )
        else:
            cls._svc_services = ServiceSet.of(declared, auto)
        s = cls._svc_services
        if s.construction is not None and IObjectConstruct.iid.bytes_le not in cls._com_qi:
            raise InterfaceError(f"{cls.__name__}: ConstructionEnabled needs IObjectConstruct in implements=")
        if s.intercepted:
            cls.aggregatable = False
            from .jit import interceptor_class

            cls._svc_interceptor = interceptor_class(cls)
        else:
            cls._svc_interceptor = None

    # ---- IObjectControl, the article's defaults ----------------------------------------------------------------

    def Activate(self) -> None:
        """Called when the object is handed out (from the pool, or made for a JIT activation)."""

    def Deactivate(self) -> None:
        """Called when the object comes back (its client released it, or its JIT activation ended)."""

    def CanBePooled(self) -> bool:
        """Whether a pooled object may be reused (False: destroyed). The article's default: False."""
        return False


def _auto_complete_names(cls: type) -> frozenset[str]:
    """The interface methods of ``cls`` whose implementation is marked ``@auto_complete``; a marked method that
    implements no interface method is an error (it could never be intercepted)."""
    marked_impls: set[Any] = set()
    names: set[str] = set()
    for iface in cls.implements:  # type: ignore[attr-defined]
        if iface is IObjectControl:
            continue
        for m in iface.layout[3:]:
            impl = implementation_of(cls, iface, m)
            if impl is not None and getattr(impl, "__com_auto_complete__", False):
                marked_impls.add(impl)
                names.add(f"{iface.__name__}.{m.name}")
    for klass in cls.__mro__:
        for attr, value in vars(klass).items():
            if getattr(value, "__com_auto_complete__", False) and value not in marked_impls:
                raise InterfaceError(f"{cls.__name__}.{attr}: @auto_complete on a method no interface declares")
    return frozenset(names)
