"""Python objects that are real COM objects.

    class BenchTarget(ComObject, implements=[IBenchTarget, IPersist]):
        def Nothing(self):
            return None                      # S_OK
        def Work(self, n):
            return sum(range(n)) % 2**31     # [out, retval] LONG *sum
        def GetClassID(self):
            return CLSID_BenchTarget

A class states its interfaces; each method reads like the interface's (``[in]`` values are the arguments,
``[out]`` values are returned; a method without ``[out]`` may return an HRESULT, e.g. S_FALSE, or None for S_OK).
A missing method fails at class definition. Every object also answers ISupportErrorInfo. A class that fires events
names its outgoing interfaces next to ``implements=``: ``sources=[DEvents, ISink]`` (``vtables.events``: it then
answers IConnectionPointContainer, and ``self.fire(...)`` calls the advised sinks).

Layout (native memory, one block per object): a header of 8 words (the count, state, outer, the class's IID
table, the callbacks of the native IUnknown: ``_core``), then per slot ``[vtable_k, handle, k]``. Slot 0 is the
object's own IUnknown (its identity; the non-delegating IUnknown when aggregated); slot k is the k-th interface.
Vtables are built once per class (two sets: plain, and delegating for aggregated instances) and shared by every
instance; the method thunks find the Python object from ``this[1]`` in O(1). IUnknown itself is native
(native/core, ``_core.enabled()``): native callers AddRef, Release and QueryInterface without entering Python,
which is called only to destroy the object at count 0, for IIDs outside the class's table when the object asked
(an aggregated inner, the FTM), and to log calls through stale pointers. Without the DLL the same rules run as
Python thunks.

Lifetime, COM's rules, stated where this code enforces them:

* A new object has COM count 0 and is not yet reachable from native code. ``as_ptr``/``query_raw`` QI it,
  which AddRefs; whoever receives a pointer owns that reference and Releases it.
* While the count is above 0 the object is kept alive here, whatever Python references exist; on the
  transition to 0 (exactly once) ``final_release()`` runs, the native block is retired and the Python object
  becomes an ordinary object, freed when Python drops it. An object with a keeper (``_com_keeper``: object
  pooling) is handed to it at that transition instead, as good as new, and may be given out again.
* AddRef/Release are exact and thread-safe (a lock, not the GIL's bytecode granularity), and return the new count.
* An extra Release (count already 0) does not crash: it is logged and returns 0. A call through a stale pointer
  to a destroyed object is refused with CO_E_OBJNOTCONNECTED and logged: retired blocks point at a tombstone
  (the last 4096 are kept for that; older ones are freed).
* Aggregation, inner role: ``Cls.create_aggregated(outer, ...)`` (``outer`` = the controlling IUnknown, not
  AddRef'd, per COM) returns the non-delegating IUnknown; every other interface delegates IUnknown to the outer.
  Outer role: ``self.aggregate(inner_nd_unknown)`` from ``__com_init__`` (which runs holding a reference, so the
  inner's AddRef/Release on us cannot destroy us); QI for IIDs we lack goes to the inner (blind aggregation).

Agility (which apartments may call an object directly) is chosen per class:

* by default an object is apartment-bound: it answers no IMarshal, so the runtime marshals it with the standard
  marshaler, and a caller in another apartment gets a proxy whose calls run on the object's apartment thread;
* ``class C(ComObject, implements=[...], agile=True)`` aggregates the free-threaded marshaler (created on the first
  QueryInterface for IMarshal, with the object's controlling IUnknown as its outer, released when the object
  dies): marshaling into another apartment of the process then hands over the object's own pointer, and calls
  from any thread arrive directly. The class must then be thread-safe and hold no apartment-bound pointers.

Marshal tracing (``marshal_hook``, set by ``ole32_marshalling.trace_script.tracing``): an object created while the hook
is set, whose class implements no IMarshal and which aggregates no inner, answers QueryInterface(IMarshal) with
an IMarshal the hook makes (an aggregated inner the object owns for the rest of its life, so COM identity and
the rule that an object's set of interfaces never changes both hold); that inner records and forwards to what
the object would otherwise have used: the standard marshaler, or the FTM for an agile class.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable, Iterable
from threading import get_ident as _get_ident
from typing import Any, ClassVar

from ole32_bindings.dlls import ffi
from ole32_bindings.guid import Guid
from ole32_bindings.hresult import NoAggregationError, to_signed

from . import _core
from . import client as _client
from . import leaks as _leaks
from .declare import INVOKE_FUNC, INVOKE_PROPERTYGET, Interface, InterfaceError, Method
from .direct import direct_kinds, make_direct
from .interfaces.errors import ISupportErrorInfo
from .interfaces.marshal import IMarshal
from .interfaces.unknown import IUnknown
from .thunks import TOMBSTONE, make_thunk, on_callback_error

__all__ = [
    "ComObject",
    "OwnedReference",
    "live_object_count",
    "live_objects",
    "implementation_of",
    "slot_providers",
]

log = logging.getLogger("vtables")

_lock = threading.Lock()
_live: dict[int, ComObject] = _leaks.live  # shared with the leak accounting, which sits below this module
#: the handles of live objects (count > 0). A new object keeps its own handle until its first reference; then the
#: handle moves here, so a live object is not in a reference cycle with it (no work for Python's cyclic GC)
_handles: dict[int, Any] = {}
#: every class layout ever built, kept for the life of the process: their vtables' addresses identify them (the
#: client caches slot functions by vtable address), so they must never be freed and reused
_layouts: list[_ClassLayout] = []
_graveyard: collections.deque[Any] = collections.deque(maxlen=4096)
_tomb_handle = ffi.new_handle(TOMBSTONE)

S_OK = 0
S_FALSE = 1
E_POINTER = to_signed(0x80004003)
E_NOINTERFACE = to_signed(0x80004002)
E_INVALIDARG = to_signed(0x80070057)

_from_handle = ffi.from_handle
_cast = ffi.cast
_unpack = ffi.unpack
_NULL = ffi.NULL
_IUNKNOWN_KEY = IUnknown.iid.bytes_le
_H = _core.HEADER_WORDS  # words before slot 0
_S = _core.SLOT_WORDS  # words per slot: vtable, handle, index
_NATIVE = _core.lib is not None
#: calls through stale pointers, as logged by the Python IUnknown thunks and the native core's callback
_STALE_MESSAGES = (
    "QueryInterface on a destroyed object (stale pointer): refused",
    "AddRef on a destroyed object (stale pointer): ignored",
    "Release on a destroyed object (an extra Release): ignored",
    "Release with a count of 0 (an extra Release): ignored",
)
_IMARSHAL_KEY = IMarshal.iid.bytes_le
#: None, or ``hook(obj)`` -> a new reference to the non-delegating IUnknown of an IMarshal aggregated by ``obj``
#: (its outer is ``obj.identity_raw()``); see the module doc. Read when an object is created and at its first
#: QueryInterface for IMarshal.
marshal_hook: Any = None


def live_object_count() -> int:
    """How many Python COM objects have a COM count above zero (what ``vtables.leaks.live_objects()`` reports)."""
    return len(_live)


def live_objects() -> list[ComObject]:
    """The Python COM objects whose COM count is above zero, as a new list (a snapshot)."""
    with _lock:
        return list(_live.values())


# ---- IUnknown thunks, shared by every class --------------------------------------------------------------------


def _qi(this: Any, riid: Any, ppv: Any) -> int:
    if ppv == _NULL:
        return E_POINTER
    self = _from_handle(this[1])
    if riid == _NULL:
        ppv[0] = _NULL
        return E_INVALIDARG
    if self is TOMBSTONE:
        ppv[0] = _NULL
        log.error(_STALE_MESSAGES[0])
        return to_signed(0x800401FD)
    key = _unpack(_cast("char *", riid), 16)
    k = self._com_qi.get(key)
    if k is None:
        return _qi_miss(self, key, riid, ppv)
    ppv[0] = self._com_block + (_H + _S * k)
    outer = self._com_outer
    if outer is not None and k != 0:
        outer.lpVtbl.AddRef(outer)  # aggregated: that interface's count is the outer's
    else:
        self._com_addref()
    return S_OK


def _qi_miss(self: ComObject, key: bytes, riid: Any, ppv: Any) -> int:
    """QueryInterface for an IID outside the class's table: for IMarshal the traced IMarshal (an object created
    while ``marshal_hook`` was set), else the FTM's for an agile class; else what a blindly aggregated inner
    answers; else E_NOINTERFACE. ``*ppv`` is NULL first, so it stays NULL if the hook or the FTM's creation raises
    (the callback then returns E_UNEXPECTED): a failed QueryInterface never leaves the caller's pointer as it was."""
    ppv[0] = _NULL
    if key == _IMARSHAL_KEY:
        traced = self._com_traced_marshaler()
        if traced is not None:
            return traced.lpVtbl.QueryInterface(traced, riid, ppv)
        if self._com_agile:
            ftm = self._com_free_threaded_marshaler()
            return ftm.lpVtbl.QueryInterface(ftm, riid, ppv)
    inner = self._com_inner
    if inner is not None:  # blind aggregation: what we lack, the inner may have
        return inner.lpVtbl.QueryInterface(inner, riid, ppv)
    ppv[0] = _NULL
    return E_NOINTERFACE


def _addref(this: Any) -> int:
    self = _from_handle(this[1])
    if self is TOMBSTONE:
        log.error(_STALE_MESSAGES[1])
        return 0
    return self._com_addref()


def _release(this: Any) -> int:
    self = _from_handle(this[1])
    if self is TOMBSTONE:
        log.error(_STALE_MESSAGES[2])
        return 0
    return self._com_release()


def _qi_delegating(this: Any, riid: Any, ppv: Any) -> int:
    self = _from_handle(this[1])
    if self is TOMBSTONE:
        return to_signed(0x800401FD)
    outer = self._com_outer
    return outer.lpVtbl.QueryInterface(outer, riid, ppv)


def _addref_delegating(this: Any) -> int:
    self = _from_handle(this[1])
    if self is TOMBSTONE:
        return 0
    outer = self._com_outer
    return outer.lpVtbl.AddRef(outer)


def _release_delegating(this: Any) -> int:
    self = _from_handle(this[1])
    if self is TOMBSTONE:
        return 0
    outer = self._com_outer
    return outer.lpVtbl.Release(outer)


_QI_T = "HRESULT(*)(void **, const GUID *, void **)"
_REF_T = "ULONG(*)(void **)"
_UNKNOWN_THUNKS = (
    ffi.callback(_QI_T, _qi, onerror=on_callback_error, error=to_signed(0x8000FFFF)),
    ffi.callback(_REF_T, _addref, onerror=on_callback_error, error=0),
    ffi.callback(_REF_T, _release, onerror=on_callback_error, error=0),
)
_DELEGATING_THUNKS = (
    ffi.callback(_QI_T, _qi_delegating, onerror=on_callback_error, error=to_signed(0x8000FFFF)),
    ffi.callback(_REF_T, _addref_delegating, onerror=on_callback_error, error=0),
    ffi.callback(_REF_T, _release_delegating, onerror=on_callback_error, error=0),
)


# ---- the native IUnknown's calls into Python (native/core) ---------------------------------------------------

_cffi_core = _core.ffi


def _slot0_object(h: Any) -> Any:
    return _from_handle(_cast("void **", h)[_H + 1])


def _on_zero(h: Any) -> int:
    """The count reached 0 in native code (exactly once): unregister and destroy."""
    self = _slot0_object(h)
    if self is not TOMBSTONE:
        self._com_zero()
    return 0


def _on_miss(h: Any, riid: Any, ppv: Any) -> int:
    self = _slot0_object(h)
    if self is TOMBSTONE:
        ppv[0] = _NULL
        return to_signed(0x800401FD)
    riid = _cast("GUID *", riid)
    return _qi_miss(self, _unpack(_cast("char *", riid), 16), riid, _cast("void **", ppv))


def _on_stale(h: Any, what: int) -> int:
    log.error(_STALE_MESSAGES[what])
    return 0


if _NATIVE:
    _CORE_CALLBACKS = (
        _cffi_core.callback("int32_t(*)(VtHeader *)", _on_zero, onerror=on_callback_error, error=0),
        _cffi_core.callback(
            "int32_t(*)(VtHeader *, const GUID *, void **)",
            _on_miss,
            onerror=on_callback_error,
            error=to_signed(0x8000FFFF),
        ),
        _cffi_core.callback("int32_t(*)(VtHeader *, int32_t)", _on_stale, onerror=on_callback_error, error=0),
    )
    _CORE_CALLBACK_WORDS = tuple(ffi.cast("void *", int(_cffi_core.cast("uintptr_t", cb))) for cb in _CORE_CALLBACKS)

    def _core_fn(name: str) -> Any:
        return ffi.cast("void *", int(_cffi_core.cast("uintptr_t", getattr(_core.lib, name))))

    _UNKNOWN_SLOTS = tuple(_core_fn(n) for n in ("vt_QueryInterface", "vt_AddRef", "vt_Release"))
    _DELEGATING_SLOTS = tuple(
        _core_fn(n) for n in ("vt_QueryInterfaceDelegating", "vt_AddRefDelegating", "vt_ReleaseDelegating")
    )
    _core_addref = _core.lib.vt_header_addref
    _core_release = _core.lib.vt_header_release
    _core_release_quiet = _core.lib.vt_header_release_quiet
    _core_block_new = _core.lib.vt_block_new
    _core_block_retire = _core.lib.vt_block_retire
    _core_refs = _core.lib.vt_header_refs
    _core_set_state = _core.lib.vt_header_set_state
else:
    _UNKNOWN_SLOTS = _UNKNOWN_THUNKS
    _DELEGATING_SLOTS = _DELEGATING_THUNKS


def _object_from_pointer(p: Any) -> ComObject | None:
    """The Python object behind one of our interface pointers (None for a destroyed one)."""
    obj = _from_handle(_cast("void **", p)[1])
    return None if obj is TOMBSTONE else obj


_client.object_from_pointer = _object_from_pointer

#: (vtable address, method name) -> the direct function of that slot's method (vtables.direct), or None
_direct_functions: dict[tuple[int, str], Any] = {}


def _direct_function(cls: type, addr: int, name: str) -> Any:
    """The same-context direct function (``vtables.direct``) of the method ``name`` of the interface whose vtable
    is at ``addr`` in ``cls``, made once; None when that slot has no Python implementation the direct path can
    call (a slot the library implements natively, a ready callback, kinds it does not take)."""
    key = (addr, name)
    found = _direct_functions.get(key, False)
    if found is not False:
        return found
    if not cls._com_direct:  # type: ignore[attr-defined]
        _direct_functions[key] = None
        return None
    fn = None
    layout: _ClassLayout = cls._com_layout  # type: ignore[attr-defined]
    for k, (vp, va) in enumerate(zip(layout.plain, layout.aggregated, strict=True)):
        if addr in (int(_cast("uintptr_t", vp)), int(_cast("uintptr_t", va))):
            iface = layout.interfaces[k]
            m = next((x for x in iface.layout[3:] if x.name == name), None)
            impl = None if m is None else implementation_of(cls, iface, m)
            if m is not None and impl is not None and getattr(impl, "__com_slot__", None) is None and direct_kinds(m):
                fn = make_direct(cls, iface, m, impl)
            break
    _direct_functions[key] = fn
    return fn


_client.direct_function = _direct_function


#: set by ``vtables.events``: ``hook(cls, sources, interfaces)`` -> the interfaces a class with those source
#: interfaces answers (``interfaces`` plus IConnectionPointContainer, IProvideClassInfo2...), checked and planned once
sources_hook: Callable[[type, tuple[type[Interface], ...], list[type[Interface]]], list[type[Interface]]] | None = None

#: set by ``vtables.events``: ``fire(obj, event, *args)`` -> the sinks' failures
fire_hook: Callable[..., list[Any]] | None = None

slot_providers: dict[type[Interface], Callable[[type, type[Interface], int, Method], Any]] = {}
"""Interface -> ``provider(cls, iface, slot, method)``: the ready callback of ``method`` (declared by that
interface) for the class's slot ``slot`` (interface ``iface``, which derives from it), or None. For interfaces a
library module implements for every class: ``vtables.dispatch`` registers IDispatch's four methods. A method the
class defines itself is used instead."""


def implementation_of(cls: type, iface: type[Interface], m: Method) -> Callable[..., Any] | None:
    """The Python implementation of ``iface``'s method ``m`` on ``cls``: ``IFoo_Name``, else ``Name``; for a
    property accessor (``get_Name``/``put_Name``/``putref_Name``) without such a method and without index
    parameters, the getter or setter of a Python ``property`` named after the member (``Name``). None when there
    is none. An implementation carrying ``__com_slot__`` (a cffi callback of the slot's C signature) is used as
    the slot itself."""
    impl = getattr(cls, f"{iface.__name__}_{m.name}", None) or getattr(cls, m.name, None)
    if callable(impl):
        return impl
    if m.invkind != INVOKE_FUNC and _bare_accessor(m):
        prop = getattr(cls, m.member, None)
        if isinstance(prop, property):
            fn = prop.fget if m.invkind == INVOKE_PROPERTYGET else prop.fset
            if fn is not None:
                return fn
    return None


def _bare_accessor(m: Method) -> bool:
    """A [propget] with only its [retval], or a put with only its value: what a Python property can implement."""
    if m.invkind == INVOKE_PROPERTYGET:
        return len(m.params) == 1 and m.params[0].retval
    return len(m.params) == 1


class _ClassLayout:
    """Per-class data built once: interfaces by slot, QI map, the two vtable sets, and block templates."""

    __slots__ = (
        "interfaces",
        "qi",
        "vtables",
        "callbacks",
        "plain",
        "aggregated",
        "nslots",
        "handle_words",
        "block_type",
        "plain_block",
        "aggregated_block",
        "words",
        "plain_template",
        "aggregated_template",
        "core_class",
        "core_keep",
    )

    def __init__(self, cls: type, interfaces: list[type[Interface]]) -> None:
        self.interfaces = [IUnknown, *interfaces]
        self.nslots = len(self.interfaces)
        self.qi: dict[bytes, int] = {_IUNKNOWN_KEY: 0}
        for k, iface in enumerate(self.interfaces[1:], start=1):
            for i in iface.lineage:
                if i is not IUnknown:
                    self.qi.setdefault(i.iid.bytes_le, k)
        self.callbacks: list[Any] = []
        self.vtables: list[Any] = []
        plain: list[Any] = []
        aggregated: list[Any] = []
        missing: list[str] = []
        for k, iface in enumerate(self.interfaces):
            n = len(iface.layout)
            vt_plain = ffi.new("void *[]", n)
            vt_agg = ffi.new("void *[]", n)
            for j in range(3):
                vt_plain[j] = _UNKNOWN_SLOTS[j]
                vt_agg[j] = _UNKNOWN_SLOTS[j] if k == 0 else _DELEGATING_SLOTS[j]
            for m in iface.layout[3:]:
                impl = implementation_of(cls, iface, m)
                if impl is None:
                    provider = slot_providers.get(m.interface)
                    cb = provider(cls, iface, k, m) if provider is not None else None
                    if cb is None:
                        missing.append(f"{iface.__name__}.{m.name}")
                        continue
                else:
                    slot = getattr(impl, "__com_slot__", None)  # a ready callback (see implementation_of)
                    cb = slot if slot is not None else make_thunk(cls, iface, m, impl)
                self.callbacks.append(cb)
                vt_plain[m.index] = cb
                vt_agg[m.index] = cb
            self.vtables += [vt_plain, vt_agg]
            plain.append(vt_plain)
            aggregated.append(vt_agg)
            _client.our_vtables[int(_cast("uintptr_t", vt_plain))] = cls
            _client.our_vtables[int(_cast("uintptr_t", vt_agg))] = cls
            _client.client_class(iface)  # registers the interface by IID and name
        if missing:
            hint = ""
            if any(m.startswith(("IDispatch.", "DispInterface.")) or ".GetIDsOfNames" in m for m in missing):
                hint = " (IDispatch for Python classes is vtables.dispatch: import it before defining the class)"
            raise InterfaceError(f"{cls.__name__} does not implement {', '.join(missing)}{hint}")
        self.plain = plain
        self.aggregated = aggregated
        # The class's IID table for the native QueryInterface (kept alive with the layout).
        self.core_keep: list[Any] = []
        self.core_class = _NULL
        if _NATIVE:
            iids = list(self.qi.items())
            table = _cffi_core.new("GUID[]", len(iids))
            slots = _cffi_core.new("int32_t[]", [k for _, k in iids])
            for i, (key, _) in enumerate(iids):
                _cffi_core.memmove(_cffi_core.addressof(table, i), key, 16)
            core_class = _cffi_core.new("VtClass *", {"niids": len(iids), "iids": table, "slots": slots})
            self.core_keep = [table, slots, core_class]
            self.core_class = ffi.cast("void *", int(_cffi_core.cast("uintptr_t", core_class)))
        # Templates of an object's block: the header (count and state, outer, class table, the native IUnknown's
        # callbacks), then [vtable, handle, index] per slot; the handles, the outer and the state filled in per object.
        self.block_type = ffi.typeof(f"void *[{_H + _S * self.nslots}]")
        self.handle_words = tuple(_H + _S * k + 1 for k in range(self.nslots))
        header = [_NULL, _NULL, self.core_class] + (list(_CORE_CALLBACK_WORDS) if _NATIVE else [_NULL] * 3)
        header += [_NULL] * (_H - len(header))
        self.plain_block = header + [x for k, vt in enumerate(plain) for x in (vt, None, ffi.cast("void *", k))]
        self.aggregated_block = header + [
            x for k, vt in enumerate(aggregated) for x in (vt, None, ffi.cast("void *", k))
        ]
        # The same templates as native arrays, for the native core's blocks (vt_block_new copies one per object).
        self.words = _H + _S * self.nslots
        self.plain_template = ffi.new("void *[]", [_NULL if x is None else x for x in self.plain_block])
        self.aggregated_template = ffi.new("void *[]", [_NULL if x is None else x for x in self.aggregated_block])


class OwnedReference:
    """An interface pointer that already carries the caller's reference, returned from an implementation as an
    [out] interface (``query_raw`` hands it over as is, once). Used for aggregated inners, whose non-delegating
    IUnknown is the only thing that may be returned."""

    __slots__ = ("raw",)

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def query_raw(self, iid: Guid) -> Any:
        raw, self.raw = self.raw, None
        if raw is None:
            raise ValueError("an OwnedReference is handed out once")
        return raw


class ComObject:
    """Base of Python-implemented COM objects; see the module doc for the rules it enforces."""

    __slots__ = (
        "_com_block",
        "_com_handle",
        "_com_refs",
        "_com_outer",
        "_com_inner",
        "_com_thread",
        "_com_on_destroy",
        "_com_ftm",
        "_com_traced",
        "_com_keeper",
        "__weakref__",
        "__dict__",
    )
    _com_layout: ClassVar[_ClassLayout]
    _com_qi: ClassVar[dict[bytes, int]]
    #: whether the class overrides final_release (else destruction does not call it)
    _com_final_release: ClassVar[bool] = False
    #: agile (aggregates the free-threaded marshaler) or apartment-bound (the default): see the module doc
    _com_agile: ClassVar[bool] = False
    implements: ClassVar[tuple[type[Interface], ...]] = ()
    #: the outgoing (source) interfaces the class fires events through (``vtables.events``); the first is the default
    sources: ClassVar[tuple[type[Interface], ...]] = ()
    #: callables run with the object when it is destroyed, after ``final_release`` (``vtables.events`` releases the
    #: sinks still advised)
    _com_cleanup: ClassVar[tuple[Callable[[Any], None], ...]] = ()
    #: False: a same-context client pointer still calls through the vtable (an interceptor that stands for a context
    #: boundary, whose callers must see HRESULTs, not the Python exceptions the direct path would propagate)
    _com_direct: ClassVar[bool] = True

    def __init_subclass__(
        cls,
        implements: Iterable[type[Interface]] | None = None,
        agile: bool | None = None,
        sources: Iterable[type[Interface]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if agile is not None:
            if agile and IMarshal in (implements or ()):
                raise InterfaceError(
                    f"{cls.__name__}: agile=True aggregates the FTM's IMarshal; do not also implement IMarshal"
                )
            cls._com_agile = bool(agile)
        ifaces = list(implements) if implements is not None else list(cls.implements)
        for i in ifaces:
            if not (isinstance(i, type) and issubclass(i, Interface)):
                raise InterfaceError(f"{cls.__name__}: implements= takes interface declarations, not {i!r}")
        srcs = tuple(sources) if sources is not None else cls.sources
        if srcs:
            if sources_hook is None:
                raise InterfaceError(
                    f"{cls.__name__}: sources= needs vtables.events: import it before defining the class "
                    "(from vtables import ComObject does)"
                )
            ifaces = sources_hook(cls, srcs, ifaces)
        if sources is not None:
            cls.sources = srcs
        if ISupportErrorInfo not in ifaces:
            ifaces.append(ISupportErrorInfo)
        cls.implements = tuple(ifaces)
        cls._com_layout = _ClassLayout(cls, ifaces)
        _layouts.append(cls._com_layout)
        cls._com_qi = cls._com_layout.qi
        cls._com_final_release = cls.final_release is not ComObject.final_release

    def __new__(cls, *args: Any, **kwargs: Any) -> ComObject:
        self = object.__new__(cls)
        self._com_setup(None)
        return self

    def _com_setup(self, outer: Any) -> None:
        layout = self._com_layout
        handle = ffi.new_handle(self)
        traced = marshal_hook is not None and outer is None and _IMARSHAL_KEY not in layout.qi
        if _NATIVE:  # the block from the native core's free list, the template copied and the handles set there
            block = _core_block_new(
                layout.plain_template if outer is None else layout.aggregated_template, layout.words, handle
            )
            if block == _NULL:
                raise MemoryError(f"{type(self).__name__}: no memory for the object's block")
        else:
            values = (layout.plain_block if outer is None else layout.aggregated_block).copy()
            values[_H + 1 :: _S] = [handle] * layout.nslots  # [vtable_k, handle, k] for every slot k
            block = ffi.new(layout.block_type, values)
        if outer is not None:
            block[1] = outer
        if self._com_agile or traced:
            block[0] = ffi.cast("void *", _core.HAS_MISS << 32)  # refs 0 (low half), state (high half)
        self._com_block = block
        self._com_handle = handle
        self._com_refs = 0
        self._com_outer = None if outer is None else _cast("IUnknown *", outer)
        self._com_inner = None
        self._com_on_destroy = None
        self._com_keeper: Callable[[ComObject], None] | None = None
        self._com_ftm = None
        # False: never traced; True: traced once it is asked for IMarshal; else the traced IMarshal's inner
        self._com_traced: Any = traced
        # The apartment an object lives in is its creating thread's: the same-context fast path compares threads
        # (an STA is one thread; for an MTA object another MTA thread simply takes the vtable path).
        self._com_thread = _get_ident()

    # ---- counting --------------------------------------------------------------------------------------------

    def _com_addref(self) -> int:
        if _NATIVE:
            n = _core_addref(self._com_block)
            if n == 1:  # 0 -> 1 happens only here, in Python: a new object's first reference
                with _lock:
                    _live[id(self)] = self
                    _handles[id(self)] = self._com_handle
                    self._com_handle = None
            return n
        with _lock:
            n = self._com_refs + 1
            self._com_refs = n
            if n == 1:
                _live[id(self)] = self
                _handles[id(self)] = self._com_handle
                self._com_handle = None
        return n

    def _com_release(self) -> int:
        """Release a reference from Python (a same-context client pointer, the Python IUnknown): the 1 -> 0
        transition destroys the object here, in this call, with no second entry from native code."""
        if _NATIVE:
            block = self._com_block
            if block is None:  # destroyed: refused, as the native Release refuses a stale pointer
                log.error(_STALE_MESSAGES[2])
                return 0
            n = _core_release_quiet(block)
            if n == 0:
                self._com_zero()
            return n if n > 0 else 0
        with _lock:
            n = self._com_refs - 1
            if n < 0:
                log.error("%s: Release with a count of 0 (an extra Release): ignored", type(self).__name__)
                return 0
            self._com_refs = n
            if n == 0:
                del _live[id(self)]
        if n == 0:
            self._com_zero()
        return n

    def __del__(self) -> None:
        # An object collected while it still has its block was never referenced (a live object is held by the
        # registry; destruction empties _com_block): its native block goes back to the core's pool.
        try:
            block = self._com_block
        except AttributeError:  # (made without __new__'s setup)
            return
        if block is not None and _NATIVE:
            self._com_block = None
            try:
                _core_block_retire(block, _tomb_handle)
            except Exception:  # (interpreter shutdown: the module may be half torn down)
                pass

    def _com_zero(self) -> None:
        """The count reached 0 (once per span of references): unregister, then destroy the object, unless
        ``_com_keeper`` is set (object pooling, ``ole32_servers.services``). The keeper then owns it, back in the
        state of a new object (count 0, its handle its own, not live): it keeps it for a later first reference or
        calls ``_com_destroy()``. No pointer to it is outstanding at count 0, so no native call can race with this."""
        keeper = self._com_keeper
        with _lock:
            _live.pop(id(self), None)
            if keeper is not None:
                self._com_handle = _handles.pop(id(self))
        if keeper is None:
            self._com_destroy()
        else:
            keeper(self)

    def _com_destroy(self) -> None:
        if self._com_final_release:
            try:
                self.final_release()
            except Exception:
                log.exception("%s.final_release raised", type(self).__name__)
        for cleanup in self._com_cleanup:
            try:
                cleanup(self)
            except Exception:
                log.exception("%s: cleanup on destruction raised", type(self).__name__)
        inner = self._com_inner
        if inner is not None:
            self._com_inner = None
            inner.lpVtbl.Release(inner)
        ftm = self._com_ftm
        if ftm is not None:
            self._com_ftm = None
            ftm.lpVtbl.Release(ftm)
        traced = self._com_traced
        if traced is not True and traced is not False:
            self._com_traced = False
            traced.lpVtbl.Release(traced)
        block = self._com_block
        if _NATIVE:  # destroyed (the native IUnknown refuses from now on), tombstones, then reused much later
            _core_block_retire(block, _tomb_handle)
        else:
            for i in self._com_layout.handle_words:
                block[i] = _tomb_handle
            _graveyard.append(block)
        self._com_block = None
        self._com_handle = None
        with _lock:
            _handles.pop(id(self), None)  # after the tombstones: no native call can reach the handle now
        hook = self._com_on_destroy
        if hook is not None:  # e.g. a server's CoReleaseServerProcess, after the object is fully gone
            self._com_on_destroy = None
            try:
                hook()
            except Exception:
                log.exception("%s: on-destroy hook raised", type(self).__name__)

    def final_release(self) -> None:
        """Called once when the COM count reaches 0 (override to free resources)."""

    def _com_free_threaded_marshaler(self) -> Any:
        """The FTM aggregated by this (agile) object: its non-delegating IUnknown, created once (we own that
        reference; released in _com_destroy). Its outer is our controlling IUnknown: the outer's when we are
        ourselves aggregated, else our identity."""
        ftm = self._com_ftm
        if ftm is None:
            from ole32_bindings.marshaling import create_free_threaded_marshaler

            controlling = self._com_outer if self._com_outer is not None else _cast("void *", self._com_block + _H)
            made = _cast("IUnknown *", create_free_threaded_marshaler(controlling))
            ftm = self._com_publish("_com_ftm", None, made)
        return ftm

    def _com_publish(self, slot: str, unset: Any, made: Any) -> Any:
        """Store ``made`` (a new reference, now ours) in ``slot`` while it still holds ``unset``; when another
        thread stored one first, release ``made``. Returns what the slot holds."""
        with _lock:
            held = getattr(self, slot)
            if held is unset:
                setattr(self, slot, made)
                return made
        made.lpVtbl.Release(made)  # another thread won the race
        return held

    def _com_traced_marshaler(self) -> Any:
        """The traced IMarshal's inner (its non-delegating IUnknown, ours to release), made by ``marshal_hook`` at
        the first QueryInterface for IMarshal of an object created while the hook was set; None for any other
        object (or when the hook was removed before that first QueryInterface)."""
        traced = self._com_traced
        if traced is False:
            return None
        if traced is not True:
            return traced
        hook = marshal_hook
        if hook is None or self._com_inner is not None:
            # Not asked for IMarshal while tracing, or an aggregated inner decides its marshaling: never traced
            # from now on, so the answer to IMarshal stays the same for the object's life (a later trace included).
            with _lock:
                if self._com_traced is True:  # (a thread that made the inner meanwhile keeps it)
                    self._com_traced = False
            traced = self._com_traced
            return traced if traced is not True and traced is not False else None
        traced = self._com_publish("_com_traced", True, _cast("IUnknown *", hook(self)))
        return traced if traced is not True and traced is not False else None

    @property
    def com_refcount(self) -> int:
        if _NATIVE:
            return 0 if self._com_block is None else _core_refs(self._com_block)
        return self._com_refs

    @property
    def com_destroyed(self) -> bool:
        return self._com_block is None

    # ---- pointers ----------------------------------------------------------------------------------------------

    def query_raw(self, iid: Guid) -> Any:
        """QueryInterface from Python: a new reference (the caller releases it) as a raw ``void *``."""
        if self._com_block is None:
            raise ReferenceError(f"{type(self).__name__} was destroyed (its COM count reached 0)")
        k = self._com_qi.get(iid.bytes_le)
        if k is None:  # the FTM's IMarshal (agile), the inner's interfaces (blind aggregation), or none
            out = ffi.new("void **")
            hr = _qi_miss(self, iid.bytes_le, iid.cdata(ffi), out)
            if hr < 0:
                from ole32_bindings.hresult import error_from_hresult

                raise error_from_hresult(
                    hr, f"{type(self).__name__} does not implement {iid}" if hr == E_NOINTERFACE else None
                )
            return out[0]
        if self._com_outer is not None and k != 0:
            # Aggregated: the interface's IUnknown is the outer's, so the reference is counted there.
            self._com_outer.lpVtbl.AddRef(self._com_outer)
        else:
            self._com_addref()
        return _cast("void *", self._com_block + (_H + _S * k))

    def as_ptr(self, iface: type[Interface] = IUnknown) -> _client.ComPtr:
        """A client pointer to ``iface`` holding a new reference (release it)."""
        return _client.client_class(iface).from_raw(self.query_raw(iface.iid))

    def _com_raw_for_arg(self) -> Any:
        """Passing the object itself as an [in] interface argument lends its identity pointer (no AddRef)."""
        return _cast("void *", self._com_block + _H)

    def identity_raw(self) -> Any:
        """The object's own IUnknown pointer, lent (no AddRef): valid while someone holds a reference."""
        return _cast("void *", self._com_block + _H)

    @classmethod
    def make(cls, *args: Any, **kwargs: Any) -> _client.ComPtr:
        """Create an object and return its IUnknown with the first reference (C++/WinRT's ``make<T>``).
        ``__com_init__`` (if defined) runs while that reference is held."""
        obj = cls(*args, **kwargs)
        ptr = obj.as_ptr(IUnknown)
        hook = getattr(obj, "__com_init__", None)
        if hook is not None:
            try:
                hook()
            except BaseException:
                ptr.release()
                raise
        return ptr

    @classmethod
    def create_aggregated(cls, outer: Any, iid: Guid = IUnknown.iid, *args: Any, **kwargs: Any) -> Any:
        """Create as the inner of ``outer`` (its controlling IUnknown, not AddRef'd). Only IID_IUnknown may be
        asked for (else CLASS_E_NOAGGREGATION); returns the non-delegating IUnknown, count 1, owned by the outer."""
        if outer is None or outer == _NULL:
            raise ValueError("create_aggregated needs the outer's controlling IUnknown")
        if iid != IUnknown.iid:
            raise NoAggregationError(description=f"aggregation asks for IID_IUnknown, not {iid}")
        obj = cls.__new__(cls)
        obj._com_setup(outer)
        obj.__init__(*args, **kwargs)
        obj._com_addref()
        return _cast("void *", obj._com_block + _H)

    def aggregate(self, inner_nondelegating_unknown: Any) -> None:
        """Outer role: take ownership of an inner's non-delegating IUnknown; QI for IIDs we lack goes there."""
        if self._com_inner is not None:
            raise ValueError("this object already aggregates an inner")
        self._com_inner = _cast("IUnknown *", inner_nondelegating_unknown)
        if _NATIVE:
            _core_set_state(self._com_block, _core.HAS_MISS)  # QI misses now go to Python (then the inner)

    # ---- events (vtables.events) -------------------------------------------------------------------------------

    def fire(self, event: Any, *args: Any) -> list[Any]:
        """Fire ``event`` of the class's sources (a declaration such as ``DEvents.Tick``, or its name) with
        ``args`` at every advised sink, in Advise order; returns the failures (``vtables.events.SinkFailure``)."""
        if fire_hook is None or not self.sources:
            raise TypeError(f"{type(self).__name__} declares no sources=[...]: it fires no events")
        return fire_hook(self, event, *args)

    # ---- ISupportErrorInfo, answered by every object ------------------------------------------------------

    def InterfaceSupportsErrorInfo(self, riid: Guid) -> int:
        """S_OK for the interfaces this class implements (their failures set IErrorInfo), S_FALSE otherwise."""
        return S_OK if riid is not None and riid.bytes_le in self._com_qi else S_FALSE
