"""The standard interfaces, declared once each (``vtables.declare``), grouped by area."""

from .automation import (
    ICreateTypeInfo,
    ICreateTypeLib,
    ICreateTypeLib2,
    IDispatch,
    IEnumVARIANT,
    IProvideClassInfo,
    ITypeInfo,
    ITypeLib,
)
from .context import IComThreadingInfo, IContextCallback, IGlobalInterfaceTable, IMessageFilter
from .errors import ICreateErrorInfo, IErrorInfo, ISupportErrorInfo
from .events import (
    IConnectionPoint,
    IConnectionPointContainer,
    IEnumConnectionPoints,
    IEnumConnections,
    IEnumString,
    IEnumUnknown,
    IProvideClassInfo2,
)
from .marshal import IExternalConnection, IMarshal
from .memory import IMalloc, IMallocSpy
from .objects import IClassFactory, IPersist
from .services import (
    IContextState,
    IObjectConstruct,
    IObjectConstructString,
    IObjectContext,
    IObjectControl,
    IObjectDispose,
)
from .streams import ISequentialStream, IStream
from .unknown import IUnknown

__all__ = [
    "IUnknown",
    "IClassFactory",
    "IPersist",
    "IMarshal",
    "IExternalConnection",
    "ISequentialStream",
    "IStream",
    "IGlobalInterfaceTable",
    "IContextCallback",
    "IComThreadingInfo",
    "IMessageFilter",
    "ISupportErrorInfo",
    "IErrorInfo",
    "ICreateErrorInfo",
    "IDispatch",
    "IEnumVARIANT",
    "IProvideClassInfo",
    "IProvideClassInfo2",
    "IConnectionPointContainer",
    "IConnectionPoint",
    "IEnumConnectionPoints",
    "IEnumConnections",
    "IEnumUnknown",
    "IEnumString",
    "ITypeLib",
    "ITypeInfo",
    "ICreateTypeLib",
    "ICreateTypeLib2",
    "ICreateTypeInfo",
    "IMalloc",
    "IMallocSpy",
    "IObjectControl",
    "IObjectConstruct",
    "IObjectConstructString",
    "IObjectContext",
    "IContextState",
    "IObjectDispose",
]
