"""Construction strings (``[ConstructionEnabled(Default)]``): given at registration, delivered once per object,
before its first use, through IObjectConstruct::Construct with an IObjectConstructString.

    class Account(ServicedComponent, implements=[IAccount, IObjectConstruct],
                  services=[ConstructionEnabled(default="DSN=bank")]):
        def Construct(self, ctor_obj):              # [in] IDispatch *pCtorObj, lent for the call
            self.dsn = construct_string(ctor_obj)

The class object calls Construct through the object's IObjectConstruct vtable slot (as COM+ does, so a native
implementation receives the same call) right after making the object and before Activate, pooled or not. When
Construct fails (raises, or a native one returns a failure) the object is destroyed and the activation fails with
CO_E_INITIALIZATIONFAILED (0x8004E025); the description names the class and carries its HRESULT and message.
"""

from __future__ import annotations

from typing import Any

from ole32_bindings.hresult import ComError, error_from_hresult, hresult_for_exception

__all__ = ["ConstructString", "construct_string", "construct", "CO_E_INITIALIZATIONFAILED"]

CO_E_INITIALIZATIONFAILED = 0x8004E025
"""What an activation fails with when the object refuses its construction string."""

_class: Any = None


def ConstructString(text: str) -> Any:
    """A new IObjectConstructString object (count 0) whose ConstructString property is ``text``."""
    global _class
    if _class is None:
        import vtables.dispatch  # noqa: F401 - IDispatch for Python classes, before the class is defined
        from vtables.interfaces.services import IObjectConstructString
        from vtables.object import ComObject

        class _ConstructString(ComObject, implements=[IObjectConstructString]):
            """The construction string's carrier: ``ConstructString`` is the text."""

            def __init__(self, text: str) -> None:
                self.text = text

            def get_ConstructString(self) -> str:
                return self.text

        _class = _ConstructString
    return _class(text)


def construct_string(ctor_obj: Any) -> str:
    """The string carried by ``ctor_obj``, the IDispatch pointer IObjectConstruct::Construct received (lent:
    not released here)."""
    from vtables.client import client_class
    from vtables.interfaces import IDispatch
    from vtables.interfaces.services import IObjectConstructString

    if ctor_obj is None:
        raise ValueError("Construct received a NULL pCtorObj")
    with client_class(IDispatch).from_borrowed(ctor_obj) as d, d.query(IObjectConstructString) as p:
        text: Any = p.get_ConstructString()  # type: ignore[attr-defined]  # (made from the declaration)
        return str(text)


def construct(obj: Any, text: str) -> None:
    """Deliver ``text`` to ``obj`` (a new object at count 0 whose class implements IObjectConstruct) through its
    vtable. The object ends at count 0 again: the caller has set its keeper, or it is destroyed. Raises
    CO_E_INITIALIZATIONFAILED when Construct fails."""
    from vtables.interfaces.services import IObjectConstruct, IObjectConstructString

    carrier = ConstructString(text).as_ptr(IObjectConstructString)
    try:
        with obj.as_ptr(IObjectConstruct) as target:
            target.Construct(carrier)
    except Exception as e:
        hr = e.hresult if isinstance(e, ComError) else hresult_for_exception(e)
        name = type(obj).__name__
        raise error_from_hresult(
            CO_E_INITIALIZATIONFAILED, f"{name} refused its construction string (0x{hr & 0xFFFFFFFF:08X}: {e})"
        ) from e
    finally:
        carrier.release()
