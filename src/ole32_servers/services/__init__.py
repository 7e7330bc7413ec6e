"""COM+'s services for Python classes, by declaration: object pooling, just-in-time activation, synchronization
(activities) and construction strings, delivered by our class objects and an interceptor (the SCP's role), in
process and in a LocalServer32. ``docs/services.md`` maps each one to the article's attribute.

One small module per service: ``declaration`` (what a class states; COM-free), ``component``
(``ServicedComponent``), ``context`` (the doneness bit), ``pooling``, ``jit`` (the interceptor),
``construction``, ``synchronization`` (activities) and ``factory`` (the class object that puts them together).
The names below are imported from those modules on first use (``declaration`` stays importable without COM).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .component import ServicedComponent
    from .construction import ConstructString, construct_string
    from .context import ObjectContext, object_context, set_abort, set_complete
    from .declaration import (
        ConstructionEnabled,
        JustInTimeActivation,
        ObjectPooling,
        ServiceDeclarationError,
        ServiceSet,
        Synchronization,
        auto_complete,
        services_of,
    )
    from .factory import ServicedClassFactory
    from .jit import Interceptor, dispose, interceptor_class
    from .pooling import ObjectPool, PoolStatistics, pool_of
    from .synchronization import Activity, ActivityStatistics, current_activity

__all__ = [
    "ObjectPooling",
    "JustInTimeActivation",
    "Synchronization",
    "ConstructionEnabled",
    "ServiceSet",
    "ServiceDeclarationError",
    "auto_complete",
    "services_of",
    "ServicedComponent",
    "ObjectContext",
    "object_context",
    "set_complete",
    "set_abort",
    "ObjectPool",
    "PoolStatistics",
    "pool_of",
    "Interceptor",
    "interceptor_class",
    "dispose",
    "ConstructString",
    "construct_string",
    "ServicedClassFactory",
    "Activity",
    "ActivityStatistics",
    "current_activity",
]

_WHERE = {
    "ObjectPooling": "declaration",
    "JustInTimeActivation": "declaration",
    "Synchronization": "declaration",
    "ConstructionEnabled": "declaration",
    "ServiceSet": "declaration",
    "ServiceDeclarationError": "declaration",
    "auto_complete": "declaration",
    "services_of": "declaration",
    "ServicedComponent": "component",
    "ObjectContext": "context",
    "object_context": "context",
    "set_complete": "context",
    "set_abort": "context",
    "ObjectPool": "pooling",
    "PoolStatistics": "pooling",
    "pool_of": "pooling",
    "Interceptor": "jit",
    "interceptor_class": "jit",
    "dispose": "jit",
    "ConstructString": "construction",
    "construct_string": "construction",
    "ServicedClassFactory": "factory",
    "Activity": "synchronization",
    "ActivityStatistics": "synchronization",
    "current_activity": "synchronization",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
