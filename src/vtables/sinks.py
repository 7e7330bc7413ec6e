"""Event sinks: a plain Python object receiving the events of any COM object (the client side of connection points).

    class Handler:
        def Tick(self, n):                 # named like the event (case-insensitive for dispinterfaces)
            print("tick", n)

    with advise(source, Handler()) as conn:     # the source's default source interface (a dispinterface)
        source.Fire(3)                          # events arrive as calls of Handler's methods
    # Unadvise'd on exit; conn.failures counts events whose handler raised

``source`` is any COM object: a ``ComPtr``, a ``vtables.latebound.Dispatch``, one of our ``ComObject``\\ s, ours or
foreign (C++, another process). ``interface`` picks the source interface:

* omitted: the object's default source, ``IProvideClassInfo2::GetGUID(GUIDKIND_DEFAULT_SOURCE_DISP_IID)``, else
  the ``[default, source]`` interface of its coclass (``IProvideClassInfo::GetClassInfo``);
* a declared vtable interface (``class IAlarm(IUnknown)``, or a dual): the sink is a :class:`~vtables.ComObject`
  made from that declaration, each method forwarding to the Python object's method of the same name;
* a declared :class:`~vtables.dispatch.DispInterface`: its DISPIDs name the events;
* an IID (``Guid`` or text) of a dispinterface nobody declared here: the DISPIDs and names come from the
  source's type information (its coclass through IProvideClassInfo, else the library of its IDispatch type
  information), read once per connection.

What the sink object does not define is answered S_OK and ignored. A handler that raises is reported, logged
once per connection and event (later failures are counted in :attr:`Connection.failures`), and the source gets
the failure: a vtable event returns the exception's HRESULT (with IErrorInfo), a dispinterface event
DISP_E_EXCEPTION with EXCEPINFO (scode the exception's HRESULT). Nothing crosses into the caller's native code.

Dispinterface events: positional arguments arrive as Python values (``vtables.variant.to_python``); interface
pointers among them are borrowed for the call (released when the handler returns: ``ptr.query(...)`` keeps one);
a handler's return value becomes the VARIANT result when the source asked for one. Named arguments are refused
(DISP_E_NONAMEDARGS); ByRef arguments arrive as their values and are not written back.

Lifetime: the source holds the sink object's only reference; :meth:`Connection.disconnect` (or leaving the
``with``) Unadvises, the source releases the sink and it is destroyed. The :class:`Connection` holds the
IConnectionPoint until then: disconnect it in the apartment that connected it. A source that dies first releases
the sink itself; disconnecting afterwards gives the source's answer (a dead out-of-process source:
RPC_E_DISCONNECTED or RPC_S_SERVER_UNAVAILABLE), reported, never hidden.

Per interface, the sink's COM class is made once (cached); per connection, the handlers are looked up once (bound
methods in a tuple by slot, or a dict by DISPID): an event costs one lookup and the call.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from ole32_bindings.dlls import ffi
from ole32_bindings.guid import Guid, guid_from_16_bytes
from ole32_bindings.hresult import ComError, error_from_hresult, hresult_for_exception, to_signed
from ole32_bindings.memory import bstr_from_str, bstr_to_str_and_free

from . import declare as _declare
from .client import ComPtr, client_class
from .declare import INVOKE_FUNC, Interface
from .interfaces.automation import IDispatch, IProvideClassInfo
from .interfaces.events import GUIDKIND_DEFAULT_SOURCE_DISP_IID, IConnectionPointContainer, IProvideClassInfo2
from .interfaces.unknown import IUnknown
from .members import DispInterface
from .object import ComObject
from .thunks import TOMBSTONE, on_callback_error

__all__ = ["advise", "Connection", "default_source", "EventSourceError"]

log = logging.getLogger("vtables")

_NULL = ffi.NULL
S_OK = 0
DISP_E_EXCEPTION = to_signed(0x80020009)
DISP_E_NONAMEDARGS = to_signed(0x80020007)
DISP_E_BADVARTYPE = to_signed(0x80020008)
DISP_E_UNKNOWNINTERFACE = to_signed(0x80020001)
DISP_E_UNKNOWNNAME = to_signed(0x80020006)
DISP_E_BADINDEX = to_signed(0x8002000B)
E_NOINTERFACE = 0x80004002
CONNECT_E_NOCONNECTION = 0x80040200
CONNECT_E_CANNOTCONNECT = 0x80040202
DISPID_UNKNOWN = -1
E_INVALIDARG = to_signed(0x80070057)
DISP_E_MEMBERNOTFOUND = to_signed(0x80020003)
DISPATCH_METHOD = 1
CO_E_OBJNOTCONNECTED = to_signed(0x800401FD)
_from_handle = ffi.from_handle
#: what a call to an object in a process that died (or a disconnected one) returns: its source is gone
_SOURCE_GONE = frozenset(
    {
        0x80010108,  # RPC_E_DISCONNECTED
        0x800706BA,  # RPC_S_SERVER_UNAVAILABLE
        0x80010007,  # RPC_E_SERVER_DIED
        0x80010012,  # RPC_E_SERVER_DIED_DNE
        0x800706BE,  # RPC_S_CALL_FAILED
        0x800706BF,  # RPC_S_CALL_FAILED_DNE
        0x800706B5,  # RPC_S_UNKNOWN_IF (Wine, for an object whose apartment is gone)
        0x800401FD,  # CO_E_OBJNOTCONNECTED
    }
)
_IID_NULL = Guid("{00000000-0000-0000-0000-000000000000}")

# ITypeInfo constants
_TKIND_DISPATCH = 4
_IMPLTYPEFLAG_FDEFAULT = 0x1
_IMPLTYPEFLAG_FSOURCE = 0x2
_MEMBERID_NIL = -1


class EventSourceError(LookupError):
    """The source interface cannot be found or described: which one is the object's default, or the DISPIDs of
    a dispinterface (no type information for it). The message names the object, the interface and what was
    missing."""


# ---- connections --------------------------------------------------------------------------------------------


class Connection:
    """One advised sink: the source's IConnectionPoint (held until :meth:`disconnect`) and the cookie. A context
    manager: leaving the ``with`` disconnects."""

    def __init__(self, point: ComPtr, cookie: int, iid: Guid, name: str, sink: Any) -> None:
        #: the IID of the source interface
        self.iid = iid
        #: its name (from the declaration or the type information)
        self.name = name
        #: the Python object receiving the events
        self.sink = sink
        #: the cookie IConnectionPoint::Advise returned
        self.cookie = cookie
        #: how many events failed because the sink's handler raised
        self.failures = 0
        self._point: ComPtr | None = point
        #: the sink's COM object (its Python object; its COM life is the source's), for a dead source's cleanup
        self._object: ComObject | None = None
        self._logged: set[str] = set()
        self._lock = threading.Lock()

    @property
    def connected(self) -> bool:
        """Whether the sink is still advised (through this connection)."""
        return self._point is not None

    def disconnect(self) -> bool:
        """IConnectionPoint::Unadvise, then release the connection point; True when the source Unadvised. Once;
        later calls do nothing and return False.

        A source that is gone (its process died: RPC_E_DISCONNECTED, RPC_S_SERVER_UNAVAILABLE, RPC_E_SERVER_DIED,
        RPC_S_UNKNOWN_IF...) cannot Unadvise: then the sink object is disconnected from its stubs
        (CoDisconnectObject), which frees the references they held for the dead process (Wine never releases
        them; Windows after its ping timeout), and False is returned. Any other failure (CONNECT_E_NOCONNECTION)
        is raised after the release."""
        point, self._point = self._point, None
        if point is None:
            return False
        try:
            point.Unadvise(self.cookie)
            return True
        except ComError as e:
            if e.hresult not in _SOURCE_GONE:
                raise
            log.debug("%r: the source is gone (%s): the sink's stubs are disconnected", self, e.name)
            obj, self._object = self._object, None
            if obj is not None and not obj.com_destroyed:
                from ole32_bindings.marshaling import disconnect_object

                disconnect_object(obj.identity_raw())
            return False
        finally:
            point.release()
            self._object = None

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.disconnect()

    def _report(self, event: str, exc: BaseException) -> ComError:
        """A handler raised: counted, logged the first time for this event, and returned as the ComError whose
        HRESULT the source receives (so the thunks below do not log it again)."""
        hr = hresult_for_exception(exc)
        description = (exc.description if isinstance(exc, ComError) else None) or str(exc) or type(exc).__name__
        with self._lock:
            self.failures += 1
            first = event not in self._logged
            self._logged.add(event)
        if first:
            log.error(
                "event sink %s.%s raised; the source gets 0x%08X (further failures of this event are counted, "
                "not logged)\n%s",
                type(self.sink).__name__,
                event,
                hr & 0xFFFFFFFF,
                "".join(traceback.format_exception(exc)).rstrip(),
            )
        return error_from_hresult(hr, description, type(self.sink).__name__)

    def __repr__(self) -> str:
        state = f"cookie {self.cookie}" if self.connected else "disconnected"
        return f"<Connection {self.name} {self.iid} -> {type(self.sink).__name__}, {state}>"


def _handler_names(sink: Any) -> dict[str, str]:
    """The sink's public attribute names by their lower-case form (the first spelling wins)."""
    names: dict[str, str] = {}
    for n in dir(sink):
        if not n.startswith("_"):
            names.setdefault(n.lower(), n)
    return names


def _handler(sink: Any, names: dict[str, str], event: str) -> Callable[..., Any] | None:
    attr = names.get(event.lower())
    fn = getattr(sink, attr, None) if attr is not None else None
    return fn if callable(fn) else None


# ---- vtable (and dual) sinks ---------------------------------------------------------------------------------


class _SinkBase(ComObject):
    """What every sink class shares: the connection it reports to and its handlers."""

    _conn: Connection
    _handlers: Any


_vtable_classes: dict[type[Interface], type[_SinkBase]] = {}
_classes_lock = threading.Lock()


def _default_results(m: _declare.Method) -> Any:
    """What an unhandled event returns for ``m``'s [out] values: zeros, empty strings, NULL pointers (one value
    bare, several as a tuple, None without any)."""
    import datetime
    import decimal

    zero = {
        "int": 0,
        "float": 0.0,
        "guid": _IID_NULL,
        "wstr": "",
        "vbool": False,
        "date": datetime.datetime(1899, 12, 30),
        "cy": decimal.Decimal(0),
        "decimal": decimal.Decimal(0),
    }
    values = tuple(zero.get(p.ctype.kind) for p in m.results)
    return values[0] if len(values) == 1 else (values or None)


def _forwarder(k: int, event: str, default: Any) -> Callable[..., Any]:
    def forward(self: Any, *args: Any) -> Any:
        h = self._handlers[k]
        if h is None:
            return default  # an event the sink does not handle: S_OK (and zeros for any [out] values)
        try:
            return h(*args)
        except BaseException as e:
            raise self._conn._report(event, e) from None

    forward.__name__ = event
    return forward


def _vtable_sink_class(iface: type[Interface]) -> type[_SinkBase]:
    """The sink class of a declared vtable (or dual) interface, made once: each method forwards to handler k."""
    with _classes_lock:
        cls = _vtable_classes.get(iface)
        if cls is not None:
            return cls
        if issubclass(iface, IDispatch):
            from . import dispatch  # noqa: F401 - IDispatch of a dual source, from the declaration

        methods = _event_methods(iface)
        ns: dict[str, Any] = {"__slots__": (), "__doc__": f"Event sink of {iface.__name__}."}
        for k, m in enumerate(methods):
            ns[m.name] = _forwarder(k, m.name, _default_results(m))
        cls = type(f"{iface.__name__}Sink", (_SinkBase,), ns, implements=[iface])
        _vtable_classes[iface] = cls
        return cls


def _event_methods(iface: type[Interface]) -> tuple[_declare.Method, ...]:
    """The methods a sink of ``iface`` implements: the vtable's after IUnknown (and after IDispatch for a dual)."""
    skip = 7 if issubclass(iface, IDispatch) else 3
    return tuple(iface.layout[skip:])


# ---- dispinterface sinks -------------------------------------------------------------------------------------


class _DispSink(_SinkBase):
    """IDispatch answering one dispinterface: Invoke calls the handler of the DISPID (a dict lookup)."""

    _names: dict[str, int]

    def GetTypeInfoCount(self) -> int:
        return 0

    def GetTypeInfo(self, index: int, lcid: int) -> Any:
        raise error_from_hresult(DISP_E_BADINDEX, "an event sink has no type information")

    def GetIDsOfNames(self, riid: Any, names: Any, count: int, lcid: int, ids: Any) -> int:
        if names == _NULL or ids == _NULL:
            return to_signed(0x80004003)
        hr = S_OK
        for i in range(count):
            ids[i] = DISPID_UNKNOWN
            dispid = self._names.get(ffi.string(names[i]).lower()) if i == 0 else None
            if dispid is None:
                hr = DISP_E_UNKNOWNNAME
            else:
                ids[i] = dispid
        return hr

    def Invoke(self, *args: Any) -> int:  # pragma: no cover - the slot is _invoke_slot (below), never this
        raise NotImplementedError


def _invoke(
    this: Any, dispid: int, riid: Any, lcid: int, flags: int, params: Any, result: Any, excepinfo: Any, argerr: Any
) -> int:
    """The dispinterface sink's Invoke slot itself (a cffi callback, no generic thunk): the handler of the DISPID
    (one dict lookup), the arguments converted in declaration order, the call."""
    self = _from_handle(this[1])
    if self is TOMBSTONE:
        return CO_E_OBJNOTCONNECTED
    entry = self._handlers.get(dispid)
    if entry is None:
        return S_OK  # an event the sink does not handle (or not in the dispinterface): ignored
    if riid == _NULL or riid[0] or riid[1]:  # a REFIID read as two words: IID_NULL is two zeros
        return DISP_E_UNKNOWNINTERFACE
    if not flags & DISPATCH_METHOD:
        return DISP_E_MEMBERNOTFOUND  # events are methods
    if params == _NULL:
        return E_INVALIDARG
    if params.cNamedArgs:
        return DISP_E_NONAMEDARGS
    event, fn = entry
    n = params.cArgs
    rg = params.rgvarg
    args: list[Any] = []
    try:
        for i in range(n - 1, -1, -1):  # rgvarg is in reverse order
            args.append(_to_python(rg + i))
    except ComError:
        _release_objects(args)
        if argerr != _NULL:
            argerr[0] = n - 1 - len(args)
        return DISP_E_BADVARTYPE
    try:
        value = fn(*args)
    except BaseException as e:
        return _exception(self._conn._report(event, e), excepinfo)
    finally:
        if args:
            _release_objects(args)
    if value is not None and result != _NULL:
        try:
            _write(result, value)
        except Exception as e:
            return _exception(self._conn._report(event, e), excepinfo)
    return S_OK


_INVOKE_T = IDispatch.Invoke.c_funcptr().replace("const GUID *", "const uint64_t *")
_invoke_slot = ffi.callback(_INVOKE_T, _invoke, onerror=on_callback_error, error=to_signed(0x8000FFFF))
_DispSink.Invoke.__com_slot__ = _invoke_slot  # type: ignore[attr-defined]


def _release_objects(values: list[Any]) -> None:
    for v in values:
        if isinstance(v, ComPtr) and not v.released:
            v.release()


def _exception(err: ComError, excepinfo: Any) -> int:
    """DISP_E_EXCEPTION with EXCEPINFO {source, description, scode} (the caller frees the BSTRs)."""
    if excepinfo == _NULL:
        return to_signed(err.hresult)
    excepinfo.wCode = 0
    excepinfo.wReserved = 0
    excepinfo.bstrHelpFile = _NULL
    excepinfo.dwHelpContext = 0
    excepinfo.pvReserved = _NULL
    excepinfo.pfnDeferredFillIn = _NULL
    excepinfo.scode = to_signed(err.hresult)
    excepinfo.bstrSource = bstr_from_str(err.source or "event sink")
    excepinfo.bstrDescription = bstr_from_str(err.description or "")
    return DISP_E_EXCEPTION


_disp_classes: dict[Guid, type[_DispSink]] = {}


def _disp_sink_class(iid: Guid) -> type[_DispSink]:
    """The sink class answering dispinterface ``iid`` (made once). Its member-less DispInterface declaration is
    private: it is taken back out of the registry of declared interfaces, so a real declaration of that IID made
    later (by hand, or imported from a type library) is still the one ``interface_for_iid`` finds."""
    with _classes_lock:
        cls = _disp_classes.get(iid)
        if cls is not None:
            return cls
        name = "_EventSink_" + str(iid).strip("{}").replace("-", "")
        by_iid = _declare._BY_IID.get(iid)
        by_name = _declare._BY_NAME.get(name)
        decl = type(name, (DispInterface,), {"iid": iid, "__doc__": f"dispinterface {iid} (an event sink's)"})
        if by_iid is None and _declare._BY_IID.get(iid) is decl:
            del _declare._BY_IID[iid]
        if by_name is None and _declare._BY_NAME.get(name) is decl:
            del _declare._BY_NAME[name]
        cls = type("DispSink" + name[10:], (_DispSink,), {"__slots__": ()}, implements=[decl])
        _disp_classes[iid] = cls
        return cls


def _to_python(pv: Any) -> Any:
    """``vtables.variant.to_python`` (bound here on first use: the sinks module loads no VARIANT code until a
    dispinterface sink is called)."""
    global _to_python
    from .variant import to_python

    _to_python = to_python
    return to_python(pv)


def _write(pv: Any, value: Any) -> None:
    global _write
    from .variant import write

    _write = write
    write(pv, value)


# ---- type information --------------------------------------------------------------------------------------


def _type_attr(ti: ComPtr) -> tuple[Guid, int, int, int]:
    """(guid, typekind, cFuncs, cImplTypes) of an ITypeInfo."""
    out = ffi.new("TYPEATTR **")
    ti.GetTypeAttr(out)
    a = out[0]
    try:
        guid = guid_from_16_bytes(bytes(ffi.buffer(ffi.addressof(a, "guid"), 16)))
        return guid, a.typekind, a.cFuncs, a.cImplTypes
    finally:
        ti.ReleaseTypeAttr(a)


def _type_name(ti: ComPtr) -> str:
    name = ti.GetDocumentation(_MEMBERID_NIL)
    return (name[0] if isinstance(name, tuple) else name) or "?"


def _dispids(ti: ComPtr) -> dict[str, int]:
    """A dispinterface's methods: name (lower case) -> DISPID, from its FUNCDESCs."""
    _, _, cfuncs, _ = _type_attr(ti)
    found: dict[str, int] = {}
    fd_out = ffi.new("FUNCDESC **")
    names = ffi.new("BSTR[1]")
    for i in range(cfuncs):
        ti.GetFuncDesc(i, fd_out)
        fd = fd_out[0]
        try:
            memid = fd.memid
        finally:
            ti.ReleaseFuncDesc(fd)
        if ti.GetNames(memid, names, 1) >= 1:
            found.setdefault(bstr_to_str_and_free(names[0]).lower(), memid)
    return found


def _coclass_info(unk: ComPtr) -> ComPtr | None:
    """The coclass ITypeInfo from IProvideClassInfo, or None when the object does not answer it."""
    try:
        pci = unk.query(IProvideClassInfo)
    except ComError as e:
        if e.hresult != E_NOINTERFACE:
            raise
        return None
    with pci:
        return pci.GetClassInfo()


def _describe(unk: ComPtr) -> str:
    return f"the object at 0x{unk.address():x}"


def default_source(source: Any) -> Guid:
    """The IID of the object's default source interface: IProvideClassInfo2::GetGUID, else the coclass's
    ``[default, source]`` interface (IProvideClassInfo). :class:`EventSourceError` when it answers neither."""
    with _unknown_of(source) as unk:
        return _default_source(unk)


def _default_source(unk: ComPtr) -> Guid:
    try:
        pci2 = unk.query(IProvideClassInfo2)
    except ComError as e:
        if e.hresult != E_NOINTERFACE:
            raise
    else:
        with pci2:
            try:
                return pci2.GetGUID(GUIDKIND_DEFAULT_SOURCE_DISP_IID)
            except ComError as e:
                log.debug("IProvideClassInfo2::GetGUID failed (%s): trying the coclass", e)
    ti = _coclass_info(unk)
    if ti is None:
        raise EventSourceError(
            f"cannot tell the default source interface of {_describe(unk)}: it answers neither IProvideClassInfo2 "
            "nor IProvideClassInfo; pass interface= (a declared interface or the source's IID)"
        )
    with ti:
        for i in range(_type_attr(ti)[3]):
            flags = ti.GetImplTypeFlags(i)
            if (
                flags & (_IMPLTYPEFLAG_FDEFAULT | _IMPLTYPEFLAG_FSOURCE)
                == _IMPLTYPEFLAG_FDEFAULT | _IMPLTYPEFLAG_FSOURCE
            ):
                with ti.GetRefTypeInfo(ti.GetRefTypeOfImplType(i)) as ref:
                    return _type_attr(ref)[0]
        name = _type_name(ti)
    raise EventSourceError(f"coclass {name} of {_describe(unk)} has no [default, source] interface")


def _source_typeinfo(unk: ComPtr, iid: Guid) -> ComPtr | None:
    """The ITypeInfo of source interface ``iid``: among the coclass's (IProvideClassInfo), else in the library
    of the object's IDispatch type information; None when neither has it."""
    ti = _coclass_info(unk)
    if ti is not None:
        with ti:
            for i in range(_type_attr(ti)[3]):
                ref = ti.GetRefTypeInfo(ti.GetRefTypeOfImplType(i))
                if _type_attr(ref)[0] == iid:
                    return ref
                ref.release()
            lib, _ = ti.GetContainingTypeLib()
            with lib:
                try:
                    return lib.GetTypeInfoOfGuid(iid)
                except ComError:
                    pass
    try:
        disp = unk.query(IDispatch)
    except ComError:
        return None
    with disp:
        try:
            if disp.GetTypeInfoCount() < 1:
                return None
            with disp.GetTypeInfo(0, 0) as ti:
                lib, _ = ti.GetContainingTypeLib()
            with lib:
                return lib.GetTypeInfoOfGuid(iid)
        except ComError:
            return None


def _dispatch_table(unk: ComPtr, iid: Guid) -> tuple[str, dict[str, int]]:
    """(name, {lower-case name: DISPID}) of source dispinterface ``iid``, read from the source's type information."""
    ti = _source_typeinfo(unk, iid)
    if ti is None:
        raise EventSourceError(
            f"no type information for source interface {iid} of {_describe(unk)}: it has no IProvideClassInfo "
            "coclass and no IDispatch type information listing it, so its DISPIDs are unknown; declare the "
            "dispinterface (vtables.dispatch.DispInterface) and pass it as interface="
        )
    with ti:
        _, kind, _, _ = _type_attr(ti)
        name = _type_name(ti)
        if kind != _TKIND_DISPATCH:
            raise EventSourceError(
                f"source interface {name} {iid} of {_describe(unk)} is a vtable interface (TKIND {kind}), not a "
                "dispinterface: declare it (vtables.declare) and pass the declaration as interface="
            )
        return name, _dispids(ti)


# ---- advise --------------------------------------------------------------------------------------------------


def _unknown_of(source: Any) -> ComPtr:
    """A new IUnknown reference to ``source`` (a ComPtr, a latebound Dispatch, one of our objects)."""
    if isinstance(source, ComObject):
        return source.as_ptr(IUnknown)
    raw = getattr(source, "_com_raw_for_arg", None)
    if raw is None:
        raise TypeError(f"advise: the source must be a COM object (ComPtr, Dispatch, ComObject), not {source!r}")
    return client_class(IUnknown).from_borrowed(raw())


def advise(source: Any, sink: Any, interface: type[Interface] | Guid | str | None = None) -> Connection:
    """Connect the plain Python object ``sink`` to a source interface of ``source`` and return the
    :class:`Connection` (a context manager that Unadvises). ``interface``: see the module doc (default: the
    object's default source).

    Errors, each naming what was wrong: :class:`~ole32_bindings.hresult.NoInterfaceError` when the source has no
    IConnectionPointContainer; CONNECT_E_NOCONNECTION (a ComError) when it has no connection point for that
    interface; :class:`EventSourceError` when the default source or a dispinterface's DISPIDs cannot be found."""
    with _unknown_of(source) as unk:
        try:
            cpc = unk.query(IConnectionPointContainer)
        except ComError as e:
            raise error_from_hresult(
                e.hresult, f"{_describe(unk)} is not an event source: it has no IConnectionPointContainer ({e.name})"
            ) from None
        with cpc:
            declared, iid = _resolve(interface, unk)
            names: dict[str, int] | None = None
            if declared is not None and not issubclass(declared, DispInterface):
                name = declared.__name__
                handlers_of: Callable[[Connection], Any] = _vtable_handlers(declared)
                cls: type[_SinkBase] = _vtable_sink_class(declared)
            else:
                if declared is not None:
                    name, names = declared.__name__, _declared_dispids(declared)
                else:
                    name, names = _dispatch_table(unk, iid)
                handlers_of = _disp_handlers(names)
                cls = _disp_sink_class(iid)
            try:
                point = cpc.FindConnectionPoint(iid)
            except ComError as e:
                raise error_from_hresult(
                    e.hresult, f"{_describe(unk)} has no connection point for {name} {iid} ({e.name})"
                ) from None
        conn = Connection(point, 0, iid, name, sink)
        try:
            obj = cls()
            conn._object = obj
            obj._conn = conn
            obj._handlers = handlers_of(conn)
            if names is not None:
                obj._names = names
            held = obj.as_ptr(IUnknown)  # our reference while the source takes its own (never lend a count of 0)
            try:
                conn.cookie = point.Advise(held)
            except ComError as e:
                why = (
                    f"the sink does not answer {name}"
                    if e.hresult == CONNECT_E_CANNOTCONNECT
                    else "the connection point refused it"
                )
                raise error_from_hresult(e.hresult, f"Advise of a {name} sink on {_describe(unk)}: {why}") from None
            finally:
                held.release()  # the source holds the sink now (or, refused, nobody: it is destroyed)
        except BaseException:
            conn._point = None
            conn._object = None
            point.release()
            raise
        return conn


def _declared_dispids(iface: type[Interface]) -> dict[str, int]:
    found: dict[str, int] = {}
    for d in iface.disp_members:  # type: ignore[attr-defined]
        m = d.method
        if m.memid is not None and m.invkind == INVOKE_FUNC:
            found.setdefault(m.member.lower(), m.memid)
    return found


def _resolve(interface: Any, unk: ComPtr) -> tuple[type[Interface] | None, Guid]:
    """(declaration or None, IID) of the source interface asked for. A declaration passed is used as is; for an
    IID, a declared vtable interface is used, and a dispinterface is read from the source's type information
    (authoritative: a declaration of that IID elsewhere in the process is used only when the source has none)."""
    if interface is None:
        iid = _default_source(unk)
    elif isinstance(interface, type) and issubclass(interface, Interface):
        return interface, interface.iid
    else:
        iid = interface if isinstance(interface, Guid) else Guid(str(interface))
    declared = _declare._BY_IID.get(iid)
    if declared is not None and not issubclass(declared, IDispatch):
        return declared, iid
    if declared is not None and issubclass(declared, DispInterface) and _source_typeinfo_or_none(unk, iid) is None:
        return declared, iid
    return None, iid


def _source_typeinfo_or_none(unk: ComPtr, iid: Guid) -> ComPtr | None:
    ti = _source_typeinfo(unk, iid)
    if ti is not None:
        ti.release()
    return ti


def _vtable_handlers(iface: type[Interface]) -> Callable[[Connection], tuple[Any, ...]]:
    methods = _event_methods(iface)

    def handlers(conn: Connection) -> tuple[Any, ...]:
        names = _handler_names(conn.sink)
        return tuple(_handler(conn.sink, names, m.name) or _handler(conn.sink, names, m.member) for m in methods)

    return handlers


def _disp_handlers(dispids: dict[str, int]) -> Callable[[Connection], dict[int, tuple[str, Any]]]:
    def handlers(conn: Connection) -> dict[int, tuple[str, Any]]:
        names = _handler_names(conn.sink)
        table: dict[int, tuple[str, Any]] = {}
        for event, dispid in dispids.items():
            fn = _handler(conn.sink, names, event)
            if fn is not None:
                table[dispid] = (names[event], fn)
        return table

    return handlers
