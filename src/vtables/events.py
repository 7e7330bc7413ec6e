"""Events, the server side: connection points for Python classes.

    class DClockEvents(DispInterface):                  # a dispinterface source
        iid = "{...}"
        Tick = dispmethod("[id(1)] void Tick([in] LONG n, [in] BSTR label)")

    class IAlarmSink(IUnknown):                         # or a custom (vtable) source
        iid = "{...}"
        Ring = method("HRESULT Ring([in] BSTR why)")

    class Clock(ComObject, implements=[IClock], sources=[DClockEvents, IAlarmSink]):
        clsid = CLSID_Clock                             # optional: IProvideClassInfo2 too
        def Start(self):
            failures = self.fire(DClockEvents.Tick, 5, "five")     # or self.fire("Tick", 5, "five")
            self.fire(IAlarmSink.Ring, "late")

``sources=[...]`` (next to ``implements=``, inherited like it) names the outgoing interfaces; the first is the
default source. The class then answers:

* IConnectionPointContainer: ``FindConnectionPoint(iid)`` (another IID: CONNECT_E_NOCONNECTION; NULL: E_POINTER),
  ``EnumConnectionPoints`` (an :class:`~vtables.enumerators.EnumConnectionPoints`);
* one IConnectionPoint per source (:class:`ConnectionPoint`, made when asked for and kept while referenced; it
  holds a reference on its container): ``GetConnectionInterface``, ``GetConnectionPointContainer``,
  ``Advise(sink)`` (QueryInterface of the sink for the source's IID, which the connection then holds; a sink
  without it: CONNECT_E_CANNOTCONNECT; NULL: E_POINTER; cookies start at 1 and are never 0), ``Unadvise(cookie)``
  (an unknown cookie: CONNECT_E_NOCONNECTION), ``EnumConnections`` (a snapshot: CONNECTDATA with AddRef'd sinks);
* IProvideClassInfo2 when the class has a ``clsid``: ``GetClassInfo`` (the coclass type information, which lists
  the dispatchable sources ``[source]``, the default one ``[default, source]``; ``vtables.typeinfo``) and
  ``GetGUID(GUIDKIND_DEFAULT_SOURCE_DISP_IID)``: the first source that derives from IDispatch.

Firing, ``self.fire(event, *args)`` (``ComObject.fire``, or :func:`fire`): every advised sink, in Advise order, on a
snapshot taken when the event starts (each sink AddRef'd for the call, so an Unadvise during the event is safe).
A dispinterface source is called through ``IDispatch::Invoke(DISPID, DISPATCH_METHOD)`` with the arguments
converted once per event to the declared types (one DISPPARAMS shared by every sink); a vtable source (custom or
dual) through the declared method. What each sink does is reported, never raised: ``fire`` returns the
:class:`SinkFailure` of each sink that failed (a failure HRESULT, the EXCEPINFO text of DISP_E_EXCEPTION, or a
Python exception of an in-process sink), logged once per connection (a sink that always fails does not flood
the log). A sink that is gone (RPC_E_DISCONNECTED, RPC_S_SERVER_UNAVAILABLE, RPC_E_SERVER_DIED(_DNE),
CO_E_OBJNOTCONNECTED, RPC_S_UNKNOWN_IF: :data:`DEAD_SINK_HRESULTS`) is also disconnected: its proxy released and
its cookie forgotten.

Per-class work is done once, when the class is defined: the event plans (DISPID, argument writers), the lookup
tables by declaration and by name. Per object, the connection state is made on first use. When the object is
destroyed it releases the sinks still advised (a client that forgot to Unadvise leaks nothing here).

Apartments: sinks from other apartments and processes arrive as proxies, valid in the object's apartment: fire
from the object's own apartment (its thread, for an STA object). An agile class (``agile=True``) would receive
sink pointers from any apartment, which it could not call from another: ``sources=`` refuses ``agile=True``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ole32_bindings.dlls import ffi, function
from ole32_bindings.guid import Guid
from ole32_bindings.hresult import ComError, hresult_for_exception, to_signed, to_unsigned
from ole32_bindings.oavalues import VT_BSTR, Variant

from . import client as _client
from . import dispatch as _dispatch
from . import object as _object
from . import variant as _variant
from .client import ComPtr, ReleasedPointerError, client_class
from .declare import Interface, InterfaceError, Method
from .enumerators import EnumConnectionPoints, EnumConnections
from .interfaces.automation import IDispatch, IProvideClassInfo
from .interfaces.events import (
    GUIDKIND_DEFAULT_SOURCE_DISP_IID,
    IConnectionPoint,
    IConnectionPointContainer,
    IProvideClassInfo2,
)
from .interfaces.unknown import IUnknown
from .members import DispInterface, declared_vt, interface_table
from .object import ComObject, slot_providers
from .thunks import make_thunk

__all__ = [
    "ConnectionPoint",
    "SinkFailure",
    "fire",
    "connections",
    "CONNECT_E_NOCONNECTION",
    "CONNECT_E_CANNOTCONNECT",
    "CONNECT_E_ADVISELIMIT",
    "DEAD_SINK_HRESULTS",
]

log = logging.getLogger("vtables")

CONNECT_E_NOCONNECTION = to_signed(0x80040200)
"""Unadvise of a cookie that is not advised; FindConnectionPoint of an IID that is not a source."""
CONNECT_E_ADVISELIMIT = to_signed(0x80040201)
"""Advise when no cookie is left (2**32 - 1 connections on one point)."""
CONNECT_E_CANNOTCONNECT = to_signed(0x80040202)
"""Advise with a sink that does not implement the source interface."""
E_POINTER = to_signed(0x80004003)
E_INVALIDARG = to_signed(0x80070057)
DISP_E_EXCEPTION = to_signed(0x80020009)
RPC_E_WRONG_THREAD = to_signed(0x8001010E)
DEAD_SINK_HRESULTS = frozenset(
    to_signed(h)
    for h in (
        0x80010108,  # RPC_E_DISCONNECTED
        0x800706BA,  # RPC_S_SERVER_UNAVAILABLE (HRESULT_FROM_WIN32)
        0x80010007,  # RPC_E_SERVER_DIED
        0x80010012,  # RPC_E_SERVER_DIED_DNE
        0x800401FD,  # CO_E_OBJNOTCONNECTED (an in-process sink destroyed or disconnected)
        0x800706B5,  # RPC_S_UNKNOWN_IF: the sink's apartment was uninitialised (what Wine 8 answers, docs/wine.md)
    )
)
"""The HRESULTs that say a sink is gone for good: such a connection is dropped when an event meets it."""

DISPATCH_METHOD = 1
_NULL = ffi.NULL
_cast = ffi.cast
_IID_NULL_C = ffi.new("GUID *")  # all zero: kept for the life of the process
_VariantClear = function("VariantClear")
_INVOKE_T = IDispatch.Invoke.c_funcptr()


@dataclass(frozen=True)
class SinkFailure:
    """One sink's failure during an event: its ``cookie``, the ``hresult`` (signed), a ``description`` (EXCEPINFO's
    for DISP_E_EXCEPTION, the exception's text for an in-process sink), and whether the connection was dropped
    (``disconnected``: the sink is gone)."""

    cookie: int
    hresult: int
    description: str
    disconnected: bool = False

    def __str__(self) -> str:
        gone = ", disconnected" if self.disconnected else ""
        return f"sink {self.cookie}: 0x{to_unsigned(self.hresult):08X} {self.description}{gone}"


# ---- per class: what each event does, decided once -----------------------------------------------------------------


class _EventPlan:
    """One event of one source: its source's index, name, and either the DISPID and argument writers (a
    dispinterface: IDispatch::Invoke) or the method name (a vtable interface: the declared caller)."""

    __slots__ = ("index", "source", "name", "dispid", "writers", "method", "nargs", "pool")

    def __init__(self, index: int, source: type[Interface], name: str) -> None:
        self.index = index
        self.source = source
        self.name = name
        self.dispid: int | None = None
        self.writers: tuple[Any, ...] = ()
        self.method: str | None = None
        #: how many arguments the event takes: (required, all)
        self.nargs = (0, 0)
        #: reusable DISPPARAMS and buffers (``_Scratch``) of a dispinterface event
        self.pool: list[Any] = []


class _ClassEvents:
    """A class's sources and event plans: by IID (16 bytes) -> source index; by declaration id and by name."""

    __slots__ = ("sources", "by_iid", "by_decl", "by_name", "default_disp", "keep")

    def __init__(self, cls: type, sources: tuple[type[Interface], ...]) -> None:
        self.sources = sources
        self.by_iid: dict[bytes, int] = {}
        self.by_decl: dict[int, _EventPlan] = {}
        self.by_name: dict[str, _EventPlan] = {}
        self.keep: list[Any] = []  # the declarations keyed by id(): kept alive with the plans
        self.default_disp: Guid | None = None
        for k, src in enumerate(sources):
            if not (isinstance(src, type) and issubclass(src, Interface)):
                raise InterfaceError(f"{cls.__name__}: sources= takes interface declarations, not {src!r}")
            if src in (IUnknown, IDispatch):
                raise InterfaceError(f"{cls.__name__}: a source interface is a declared one, not {src.__name__}")
            if src.iid.bytes_le in self.by_iid:
                raise InterfaceError(f"{cls.__name__}: source {src.__name__} listed twice")
            self.by_iid[src.iid.bytes_le] = k
            if self.default_disp is None and IDispatch in src.lineage:
                self.default_disp = src.iid
            for decl, plan in _plans_of(cls, k, src):
                self.keep.append(decl)
                self.by_decl[id(decl)] = plan
                self.by_name.setdefault(plan.name.lower(), plan)


def _plans_of(cls: type, k: int, src: type[Interface]) -> list[tuple[Any, _EventPlan]]:
    out: list[tuple[Any, _EventPlan]] = []
    if issubclass(src, DispInterface):
        table = interface_table(src)
        for decl in src.disp_members:
            if decl.is_property:
                continue  # a dispinterface source's events are its methods
            m = decl.method
            member = table.by_name[m.member.lower()]
            plan = _EventPlan(k, src, m.member)
            plan.dispid = member.dispid
            writers = []
            for p in m.params:
                if p.direction != "in":
                    raise InterfaceError(
                        f"{cls.__name__}: event {src.__name__}.{m.member} has [out] parameter {p.name}: "
                        "events pass [in] values only"
                    )
                writers.append(_arg_writer(p.ctype))
            plan.writers = tuple(writers)
            plan.nargs = (len(writers), len(writers))
            out.append((decl, plan))
        return out
    for m in src.layout:
        if m.interface in (IUnknown, IDispatch):
            continue
        for p in m.params:
            if p.direction != "in":
                raise InterfaceError(
                    f"{cls.__name__}: event {src.__name__}.{m.name} has [out] parameter {p.name}: "
                    "events pass [in] values only"
                )
        plan = _EventPlan(k, src, m.name)
        plan.method = m.name
        plan.nargs = (sum(1 for p in m.args if not p.optional), len(m.args))
        out.append((m, plan))
    return out


def _with_sources(
    cls: type, sources: tuple[type[Interface], ...], interfaces: list[type[Interface]]
) -> list[type[Interface]]:
    """``vtables.object.sources_hook``: plan the class's events and add the interfaces a source class answers."""
    if getattr(cls, "_com_agile", False):
        raise InterfaceError(
            f"{cls.__name__}: sources= with agile=True: sinks from other apartments could not be called from "
            "this one; make the class apartment-bound"
        )
    cls._com_events = _ClassEvents(cls, sources)  # type: ignore[attr-defined]
    cls._com_cleanup = (*(c for c in cls._com_cleanup if c is not _disconnect_all), _disconnect_all)  # type: ignore[attr-defined]
    out = list(interfaces)
    if IConnectionPointContainer not in out:
        out.append(IConnectionPointContainer)
    if getattr(cls, "clsid", None) is not None and IProvideClassInfo2 not in out:
        if IProvideClassInfo in out:
            out[out.index(IProvideClassInfo)] = IProvideClassInfo2  # (it derives from IProvideClassInfo)
        else:
            out.append(IProvideClassInfo2)
    return out


_object.sources_hook = _with_sources


# ---- per object: the connections -------------------------------------------------------------------------------


class _Connection:
    """One advised sink: its cookie, the sink as the source interface (a client pointer holding the reference
    Advise took), its raw pointer and (dispinterface) Invoke; ``reported``: a failure was logged already."""

    __slots__ = ("cookie", "ptr", "raw", "invoke", "reported", "addref", "release")

    def __init__(self, cookie: int, ptr: ComPtr, invoke: Any) -> None:
        self.cookie = cookie
        self.ptr = ptr
        self.raw = ptr.as_raw()
        self.invoke = invoke
        self.reported = False
        vtbl = _cast("IUnknown *", self.raw).lpVtbl  # the sink's AddRef/Release, read once (an event's snapshot)
        self.addref = vtbl.AddRef
        self.release = vtbl.Release


class _Point:
    """The connections of one source of one object (in Advise order), and its live ConnectionPoint, if any."""

    __slots__ = ("index", "source", "connections", "next_cookie", "lock", "cp")

    def __init__(self, index: int, source: type[Interface]) -> None:
        self.index = index
        self.source = source
        self.connections: dict[int, _Connection] = {}
        self.next_cookie = 1
        self.lock = threading.Lock()
        self.cp: ConnectionPoint | None = None

    def add(self, ptr: ComPtr) -> int:
        invoke = None
        if issubclass(self.source, DispInterface):
            invoke = _cast(_INVOKE_T, _cast("void ***", ptr.as_raw())[0][6])
        with self.lock:
            cookie = self.next_cookie
            start = cookie
            while cookie in self.connections or cookie == 0:
                cookie = cookie % 0xFFFFFFFF + 1
                if cookie == start:
                    raise ComError(to_unsigned(CONNECT_E_ADVISELIMIT), "no cookie left on this connection point")
            self.next_cookie = cookie % 0xFFFFFFFF + 1
            self.connections[cookie] = _Connection(cookie, ptr, invoke)
        return cookie

    def remove(self, cookie: int) -> _Connection | None:
        with self.lock:
            return self.connections.pop(cookie, None)

    def snapshot(self) -> list[_Connection]:
        """The connections now, each sink AddRef'd for the caller (release with :func:`_release_snapshot`)."""
        with self.lock:
            conns = list(self.connections.values())
            for c in conns:
                c.addref(c.raw)
        return conns


def _release_snapshot(conns: Sequence[_Connection]) -> None:
    for c in conns:
        c.release(c.raw)


def _points(obj: Any) -> list[_Point | None]:
    d = obj.__dict__
    points = d.get("_com_points")
    if points is None:
        points = d.setdefault("_com_points", [None] * len(type(obj)._com_events.sources))
    return points  # type: ignore[no-any-return]


def _point(obj: Any, index: int) -> _Point:
    points = _points(obj)
    p = points[index]
    if p is None:
        with _lock:
            p = points[index]
            if p is None:
                p = points[index] = _Point(index, type(obj)._com_events.sources[index])
    return p


_lock = threading.Lock()


def _disconnect_all(obj: Any) -> None:
    """On destruction: release every sink still advised (``ComObject._com_cleanup``)."""
    for p in obj.__dict__.get("_com_points") or ():
        if p is None:
            continue
        with p.lock:
            conns = list(p.connections.values())
            p.connections.clear()
        p.cp = None
        for c in conns:
            if not c.ptr.released:
                c.ptr.release()
        if conns:
            log.debug(
                "%s destroyed with %d sink(s) of %s advised: released",
                type(obj).__name__,
                len(conns),
                p.source.__name__,
            )


# ---- the connection point --------------------------------------------------------------------------------------


class ConnectionPoint(ComObject, implements=[IConnectionPoint]):
    """One source interface of a container (a ComObject with ``sources=``): made by FindConnectionPoint and
    EnumConnectionPoints, holding a reference on its container for its life. The connections themselves belong to
    the container (they outlive this object)."""

    def __init__(self, container: ComObject, point: _Point) -> None:
        # A reference on the container's controlling IUnknown (the outer's, when it is aggregated), released in
        # final_release: the container lives as long as its connection points.
        self._container = _controlling_reference(container)
        self._owner = container
        self._point = point

    def final_release(self) -> None:
        if not self._container.released:  # (at interpreter exit the wrapper may have been collected first)
            self._container.release()

    def GetConnectionInterface(self) -> Guid:
        return self._point.source.iid

    def GetConnectionPointContainer(self) -> ComObject:
        return self._owner

    def Advise(self, sink: Any) -> int:
        if sink is None or sink == _NULL:
            raise ComError(to_unsigned(E_POINTER), "Advise: the sink is NULL")
        point = self._point
        out = ffi.new("void **")
        ours = _client.object_from_pointer(sink) if _is_ours(sink) else None
        if ours is not None:  # one of our objects: QI in Python, which also registers a first reference
            try:
                out[0] = ours.query_raw(point.source.iid)
                hr = 0
            except Exception as e:
                hr = to_signed(hresult_for_exception(e))
        else:
            hr = _cast("IUnknown *", sink).lpVtbl.QueryInterface(sink, point.source.iid.cdata(ffi), out)
        if hr < 0 or out[0] == _NULL:
            raise ComError(
                to_unsigned(CONNECT_E_CANNOTCONNECT),
                f"Advise: the sink does not implement {point.source.__name__} {point.source.iid} "
                f"(QueryInterface: 0x{to_unsigned(hr):08X})",
            )
        ptr = client_class(point.source).from_raw(out[0])
        try:
            return point.add(ptr)
        except BaseException:
            ptr.release()
            raise

    def Unadvise(self, cookie: int) -> None:
        c = self._point.remove(cookie)
        if c is None:
            raise ComError(
                to_unsigned(CONNECT_E_NOCONNECTION),
                f"Unadvise: cookie {cookie} is not advised on {self._point.source.__name__}",
            )
        c.ptr.release()

    def EnumConnections(self) -> EnumConnections:
        conns = self._point.snapshot()  # AddRef'd: the enumerator owns these references
        unknowns = [client_class(IUnknown).from_raw(c.raw) for c in conns]
        return EnumConnections([(u, c.cookie) for u, c in zip(unknowns, conns, strict=True)], owned=list(unknowns))


def _controlling_reference(obj: ComObject) -> ComPtr:
    """A new reference to ``obj``'s controlling IUnknown: the outer's when it is aggregated, else its own."""
    outer = obj._com_outer
    return client_class(IUnknown).from_borrowed(outer) if outer is not None else obj.as_ptr(IUnknown)


def _is_ours(p: Any) -> bool:
    """Whether ``p`` points at one of this process's Python objects (its vtable is one of ours)."""
    return int(_cast("uintptr_t", _cast("void **", p)[0])) in _client.our_vtables


def _connection_point(obj: ComObject, index: int) -> ConnectionPoint:
    """The live ConnectionPoint of ``obj``'s source ``index``, or a new one (one per source while referenced)."""
    point = _point(obj, index)
    with point.lock:
        cp = point.cp
        if cp is None or cp.com_destroyed:
            cp = point.cp = ConnectionPoint(obj, point)
        return cp


class _PointRef:
    """An element of EnumConnectionPoints: the container's connection point ``index``, made when handed out."""

    __slots__ = ("obj", "index")

    def __init__(self, obj: ComObject, index: int) -> None:
        self.obj = obj
        self.index = index

    def query_raw(self, iid: Guid) -> Any:
        return _connection_point(self.obj, self.index).query_raw(iid)


# ---- IConnectionPointContainer and IProvideClassInfo2, for every class with sources ----------------------------------


def _find_connection_point(self: ComObject, riid: Guid | None) -> ConnectionPoint:
    if riid is None:
        raise ComError(to_unsigned(E_POINTER), "FindConnectionPoint: riid is NULL")
    k = type(self)._com_events.by_iid.get(riid.bytes_le)  # type: ignore[attr-defined]
    if k is None:
        raise ComError(to_unsigned(CONNECT_E_NOCONNECTION), f"{type(self).__name__} has no source interface {riid}")
    return _connection_point(self, k)


def _enum_connection_points(self: ComObject) -> EnumConnectionPoints:
    n = len(type(self).sources)
    return EnumConnectionPoints([_PointRef(self, k) for k in range(n)], owned=[_controlling_reference(self)])


def _get_guid(self: ComObject, kind: int) -> Guid:
    if kind != GUIDKIND_DEFAULT_SOURCE_DISP_IID:
        raise ComError(to_unsigned(E_INVALIDARG), f"GetGUID: unknown GUIDKIND {kind}")
    iid = type(self)._com_events.default_disp  # type: ignore[attr-defined]
    if iid is None:
        raise ComError(to_unsigned(E_INVALIDARG), f"{type(self).__name__} has no dispatchable source interface")
    return iid  # type: ignore[no-any-return]


_IMPLEMENTATIONS = {
    "FindConnectionPoint": _find_connection_point,
    "EnumConnectionPoints": _enum_connection_points,
    "GetGUID": _get_guid,
}


def _provide(cls: type, iface: type[Interface], slot: int, m: Method) -> Any:
    return make_thunk(cls, iface, m, _IMPLEMENTATIONS[m.name])


slot_providers[IConnectionPointContainer] = _provide
slot_providers[IProvideClassInfo2] = _provide


# ---- firing --------------------------------------------------------------------------------------------------------


def _plan(obj: Any, event: Any) -> _EventPlan:
    events: _ClassEvents | None = getattr(type(obj), "_com_events", None)
    if events is None:
        raise TypeError(f"{type(obj).__name__} declares no sources=[...]: it fires no events")
    plan = events.by_name.get(event.lower()) if isinstance(event, str) else events.by_decl.get(id(event))
    if plan is None:
        names = ", ".join(s.__name__ for s in events.sources)
        raise ValueError(f"{event!r} is not an event of {type(obj).__name__}'s sources ({names})")
    return plan


def fire(obj: ComObject, event: Any, *args: Any) -> list[SinkFailure]:
    """Call ``event`` (a source's declaration, ``DEvents.Tick`` / ``ISink.Ring``, or its name) with ``args`` on every
    sink advised on ``obj``, in Advise order; returns the failures (empty: every sink took it). Also
    ``obj.fire(event, *args)``."""
    plan = _plan(obj, event)
    low, high = plan.nargs
    if not low <= len(args) <= high:
        raise TypeError(f"{plan.source.__name__}.{plan.name} takes {high} argument(s), not {len(args)}")
    points = obj.__dict__.get("_com_points")
    point = points[plan.index] if points is not None else None
    if point is None or not point.connections:
        return []
    conns = point.snapshot()
    try:
        if plan.dispid is not None:
            return _fire_dispatch(obj, point, plan, conns, args)
        return _fire_vtable(obj, point, plan, conns, args)
    finally:
        _release_snapshot(conns)


class _Scratch:
    """What one dispinterface event needs besides its arguments' values: the VARIANT array, DISPPARAMS pointing at
    it, EXCEPINFO and puArgErr; made once per event plan and reused (a pool: nested or concurrent events each
    take their own)."""

    __slots__ = ("rgvarg", "dp", "ei", "argerr")

    def __init__(self, n: int) -> None:
        self.rgvarg = ffi.new("VARIANT[]", max(n, 1))
        self.dp = ffi.new("DISPPARAMS *", {"rgvarg": self.rgvarg if n else _NULL, "cArgs": n})
        self.ei = ffi.new("EXCEPINFO *")
        self.argerr = ffi.new("UINT *")


def _fire_dispatch(
    obj: Any, point: _Point, plan: _EventPlan, conns: list[_Connection], args: tuple[Any, ...]
) -> list[SinkFailure]:
    pool = plan.pool
    try:
        scratch = pool.pop()
    except IndexError:
        scratch = _Scratch(len(plan.writers))
    rgvarg = scratch.rgvarg
    n = len(args)
    failures: list[SinkFailure] = []
    try:
        for i, (w, value) in enumerate(zip(plan.writers, args, strict=True)):
            w(rgvarg + (n - 1 - i), value)  # DISPPARAMS: the last argument first
        dp, ei, argerr, dispid = scratch.dp, scratch.ei, scratch.argerr, plan.dispid
        for c in conns:
            if c.ptr.released:
                continue  # unadvised while the event ran
            hr = c.invoke(c.raw, dispid, _IID_NULL_C, 0, DISPATCH_METHOD, dp, _NULL, ei, argerr)
            if hr < 0:
                text = _excepinfo_text(ei) if hr == DISP_E_EXCEPTION else ""
                failures.append(_failed(obj, point, c, hr, text or _hr_text(hr)))
    finally:
        for i in range(n):
            if rgvarg[i].vt != 0:
                _VariantClear(rgvarg + i)
        pool.append(scratch)
    return failures


def _arg_writer(ctype: Any) -> Any:
    """How an event argument of declared type ``ctype`` is written into its (empty) VARIANT: the declared vt's own
    writer (decided here, once), a ``Variant`` given by the caller as it says; a VARIANT parameter takes any value
    in its natural form."""
    vt = declared_vt(ctype)
    typed = _variant._TYPED_WRITERS.get(vt) if vt is not None and ctype.kind != "iface" else None
    if typed is None:
        return _dispatch._make_writer(ctype, False)
    write = _variant.write
    bstr = vt == VT_BSTR

    def write_arg(pv: Any, value: Any) -> None:
        if isinstance(value, Variant):
            write(pv, value if value.vt == vt else Variant(vt, value.value))
        elif bstr and value is None:
            typed(pv, "")
        else:
            typed(pv, value)

    return write_arg


def _fire_vtable(
    obj: Any, point: _Point, plan: _EventPlan, conns: list[_Connection], args: tuple[Any, ...]
) -> list[SinkFailure]:
    failures: list[SinkFailure] = []
    name = plan.method
    assert name is not None
    for c in conns:
        try:
            getattr(c.ptr, name)(*args)
        except ReleasedPointerError:
            continue  # unadvised while the event ran
        except ComError as e:
            failures.append(_failed(obj, point, c, to_signed(e.hresult), str(e)))
        except Exception as e:  # an in-process sink called directly raised
            failures.append(_failed(obj, point, c, to_signed(hresult_for_exception(e)), f"{type(e).__name__}: {e}"))
    return failures


def _failed(obj: Any, point: _Point, c: _Connection, hr: int, text: str) -> SinkFailure:
    if hr == RPC_E_WRONG_THREAD:
        text = f"{text}: the event was fired from another apartment: fire it from the object's own apartment"
    dead = hr in DEAD_SINK_HRESULTS
    if dead and point.remove(c.cookie) is c:
        c.ptr.release()  # (the snapshot's own reference keeps the pointer valid until the event ends)
    failure = SinkFailure(c.cookie, hr, text, dead)
    if not c.reported:
        c.reported = True
        log.warning(
            "%s: event sink of %s %s (reported once per connection)",
            type(obj).__name__,
            point.source.__name__,
            failure,
        )
    return failure


def _excepinfo_text(ei: Any) -> str:
    """EXCEPINFO's source and description (its BSTRs freed, the struct cleared for the next sink)."""
    from ole32_bindings.memory import bstr_free, bstr_to_str

    parts = []
    for field in ("bstrSource", "bstrDescription", "bstrHelpFile"):
        b = getattr(ei, field)
        if b != _NULL:
            if field != "bstrHelpFile":
                parts.append(bstr_to_str(b))
            bstr_free(b)
            setattr(ei, field, _NULL)
    if ei.pfnDeferredFillIn != _NULL:
        ei.pfnDeferredFillIn = _NULL
    scode = to_unsigned(ei.scode) if ei.scode else ei.wCode
    ei.scode = 0
    ei.wCode = 0
    text = ": ".join(p for p in parts if p)
    return f"{text} (scode 0x{scode:08X})" if scode else text


def _hr_text(hr: int) -> str:
    from ole32_bindings.hresult import name_of

    return name_of(to_unsigned(hr)) or "failed"


def connections(obj: ComObject, source: type[Interface] | None = None) -> list[int]:
    """The cookies advised on ``obj``'s ``source`` (the default source when None), in Advise order."""
    events: _ClassEvents | None = getattr(type(obj), "_com_events", None)
    if events is None:
        raise TypeError(f"{type(obj).__name__} declares no sources=[...]")
    k = 0 if source is None else events.by_iid.get(source.iid.bytes_le)
    if k is None:
        raise ValueError(f"{source.__name__ if source else None} is not a source of {type(obj).__name__}")
    points = obj.__dict__.get("_com_points")
    point = points[k] if points is not None else None
    if point is None:
        return []
    with point.lock:
        return list(point.connections)


_object.fire_hook = fire
