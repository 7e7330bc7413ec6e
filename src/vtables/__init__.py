"""vtables: COM interfaces declared once, implemented in Python through vtables built here, called through
vtables with the least Python work per call.

    from vtables import ComObject, Interface, method, client_class
    from vtables.interfaces import IUnknown, IPersist, IStream, ...

``declare`` (interface declarations, vtable layout) needs no COM runtime; ``object`` (Python COM objects),
``client`` (typed pointers) and ``thunks`` (server entry points) load the bindings' runtime.
"""

from typing import TYPE_CHECKING

from .declare import Interface, InterfaceError, Method, Param, method

if TYPE_CHECKING:  # what __getattr__ gives, named for type checkers (nothing is imported here at run time)
    from . import leaks
    from .client import ComPtr, client_class
    from .client import ReleasedPointerError as ReleasedPointerError
    from .object import ComObject

__all__ = ["Interface", "InterfaceError", "Method", "Param", "method", "ComObject", "ComPtr", "client_class", "leaks"]


def __getattr__(name: str) -> object:  # the runtime parts load on first use, so declarations work on Linux
    if name == "ComObject":
        from . import (
            dispatch,  # noqa: F401 - IDispatch for Python classes, and VARIANT/SAFEARRAY in vtable slots
            events,  # noqa: F401 - connection points for classes with sources=[...]
        )
        from .object import ComObject

        return ComObject
    if name in ("ComPtr", "client_class", "ReleasedPointerError"):
        from . import (
            client,
            variant,  # noqa: F401 - the VARIANT/SAFEARRAY conversions of the declared callers
        )

        return getattr(client, name)
    if name == "leaks":
        import importlib

        return importlib.import_module(".leaks", __name__)
    raise AttributeError(name)
