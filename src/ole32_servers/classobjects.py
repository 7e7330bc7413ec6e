"""Class objects registered in this process (CoRegisterClassObject), with every REGCLS flag, revoked on exit.

    with ClassObjects() as reg:
        reg.register(CLSID_Foo, ClassFactory(Foo), CLSCTX.INPROC_SERVER | CLSCTX.LOCAL_SERVER, REGCLS.MULTIPLEUSE)
        ...  # CoCreateInstance(CLSID_Foo) now finds it, in this process (and, for LOCAL_SERVER, from others)

``suspended=True`` registers each one with REGCLS_SUSPENDED and ``resume()`` makes them visible together
(CoResumeClassObjects), as a LocalServer32 must. COM holds a reference on each class object until it is revoked.
"""

from __future__ import annotations

from typing import Any

from ole32_bindings import activation
from ole32_bindings.constants import REGCLS
from ole32_bindings.guid import Guid
from vtables.interfaces import IUnknown

__all__ = ["ClassObjects", "class_object_for"]


def class_object_for(cls: type, *, clsid: Guid | None = None, lock: Any = None) -> Any:
    """The class object of ``cls`` (a new one): a ``vtables.factory.ClassFactory``, or for a class that declares
    services a ``services.factory.ServicedClassFactory`` (its pool made now). With ``clsid``, what registration
    recorded for it (``registration.read_services``, read from HKEY_CLASSES_ROOT) replaces the declared pool sizes
    and construction string. ``lock``: a LocalServer's process lock."""
    from .services.declaration import from_registry, services_of

    declared = services_of(cls)
    if declared.empty:
        from vtables.factory import ClassFactory

        return ClassFactory(cls, lock=lock)
    from .services.factory import ServicedClassFactory

    services, text = declared, None
    if clsid is not None:
        from .registration import read_services

        services, text = from_registry(declared, read_services(clsid))
    return ServicedClassFactory(cls, services=services, construction_string=text, lock=lock)


class ClassObjects:
    """The class objects this process registered, revoked together by ``revoke_all()`` (or at the end of the
    ``with`` block). COM holds a reference on each until it is revoked. ``suspended=True`` adds REGCLS_SUSPENDED
    to every registration; ``resume()`` then makes them visible together."""

    def __init__(self, suspended: bool = False) -> None:
        self.suspended = suspended
        self.cookies: list[tuple[Guid, int]] = []

    def register(self, clsid: Guid, class_object: Any, clsctx: int, flags: int = REGCLS.MULTIPLEUSE) -> int:
        """CoRegisterClassObject; ``class_object`` is a Python COM object (e.g. a ClassFactory) or a raw pointer.
        Returns the cookie."""
        if self.suspended:
            flags |= REGCLS.SUSPENDED
        if hasattr(class_object, "query_raw"):
            raw = class_object.query_raw(IUnknown.iid)
            try:
                cookie = activation.register_class_object(clsid, raw, clsctx, flags)
            finally:
                from ole32_bindings.pointers import release

                release(raw)  # COM took its own reference
        else:
            cookie = activation.register_class_object(clsid, class_object, clsctx, flags)
        self.cookies.append((clsid, cookie))
        return cookie

    def resume(self) -> None:
        """CoResumeClassObjects: every class object this process registered suspended becomes visible at once."""
        activation.resume_class_objects()

    def revoke_all(self) -> None:
        """Revoke every registration (newest first); COM releases its references to the class objects."""
        errors = []
        while self.cookies:
            _clsid, cookie = self.cookies.pop()
            try:
                activation.revoke_class_object(cookie)
            except Exception as e:
                errors.append(e)
        if errors:
            raise errors[0]

    def __enter__(self) -> ClassObjects:
        return self

    def __exit__(self, *exc: object) -> None:
        self.revoke_all()
