"""The standard enumerators, both sides: implemented over any Python iterable, consumed as Python iterators.

Server side, one class per interface, each over an iterable drawn lazily (a generator is read as far as callers
ask); a clone shares what was drawn and keeps its own position; values are copied into what ``Next`` hands out,
never taken over (the iterable keeps its own references):

=============================  ========================  ==============================================
class                          elements                  what ``Next`` writes (the caller owns it)
=============================  ========================  ==============================================
:class:`EnumVariant`           any VARIANT value         a VARIANT (BSTRs allocated, objects AddRef'd)
:class:`EnumUnknown`           our objects, ComPtrs      an AddRef'd ``IUnknown *``
:class:`EnumString`            str                       a CoTaskMemAlloc'ed ``LPOLESTR``
:class:`EnumConnections`       ``(sink, cookie)`` pairs  CONNECTDATA, ``pUnk`` AddRef'd
:class:`EnumConnectionPoints`  connection points         an AddRef'd ``IConnectionPoint *``
=============================  ========================  ==============================================

``Next(celt, rgelt, pceltFetched)`` as the contract says: up to ``celt`` elements, S_OK when all ``celt`` were
written, else S_FALSE (a short last batch, or none left) with ``*pceltFetched`` the exact count;
``pceltFetched`` may be NULL only when ``celt`` is 1 (else E_POINTER, as is a NULL ``rgelt`` with ``celt`` > 0).
An element that cannot be converted fails the call: what was already written is freed, ``*pceltFetched`` is 0,
the position is unchanged, and the HRESULT says why (DISP_E_TYPEMISMATCH for a value no VARIANT holds).
``Skip(n)`` moves on (S_FALSE when fewer than ``n`` were left), ``Reset`` goes back to the start, ``Clone`` makes
an enumerator at the same position with its own position from then on.

Any other declared enumerator of interface pointers or strings (``IEnumMoniker``-like) gets its server class from
:func:`enumerator_class`.

Client side, :func:`iterate` turns any of these interfaces' pointers (ours or anyone's) into a Python iterator,
fetching ``batch`` elements per ``Next``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ole32_bindings.dlls import ffi, function
from ole32_bindings.hresult import ComError, error_from_hresult, hresult_for_exception, to_signed
from ole32_bindings.memory import task_mem_alloc, task_mem_free

from . import variant as _variant
from .client import ComPtr, client_class
from .declare import Interface, Method, interface_named
from .interfaces.automation import IEnumVARIANT
from .interfaces.events import IConnectionPoint, IEnumConnectionPoints, IEnumConnections, IEnumString, IEnumUnknown
from .interfaces.unknown import IUnknown
from .object import ComObject
from .thunks import TOMBSTONE, on_callback_error, server_error

__all__ = [
    "EnumVariant",
    "EnumUnknown",
    "EnumString",
    "EnumConnections",
    "EnumConnectionPoints",
    "iterate",
    "enumerator_class",
]

log = logging.getLogger("vtables")

S_OK = 0
S_FALSE = 1
E_POINTER = to_signed(0x80004003)
E_UNEXPECTED = to_signed(0x8000FFFF)
CO_E_OBJNOTCONNECTED = to_signed(0x800401FD)
DISP_E_TYPEMISMATCH = to_signed(0x80020005)

_NULL = ffi.NULL
_cast = ffi.cast
_from_handle = ffi.from_handle
_VariantInit = function("VariantInit")


class _Source:
    """The values an enumerator and its clones share, drawn from the iterable as they are first needed; and the
    references they own together (``owned``, released when the last of them is destroyed)."""

    __slots__ = ("iterator", "seen", "lock", "users", "owned")

    def __init__(self, iterable: Iterable[Any], owned: list[ComPtr] | None = None) -> None:
        self.iterator: Iterator[Any] | None = iter(iterable)
        self.seen: list[Any] = []
        self.lock = threading.Lock()
        self.users = 0
        self.owned = owned

    def get(self, i: int) -> tuple[bool, Any]:
        seen = self.seen
        while i >= len(seen):
            it = self.iterator
            if it is None:
                return False, None
            with self.lock:
                if i < len(seen):
                    break
                try:
                    seen.append(next(it))
                except StopIteration:
                    self.iterator = None
                    return False, None
        return True, seen[i]

    def join(self) -> None:
        with self.lock:
            self.users += 1

    def leave(self) -> None:
        with self.lock:
            self.users -= 1
            owned = self.owned if self.users == 0 else None
            if owned is not None:
                self.owned = None
        for ptr in owned or ():
            ptr.release()


class _RawNext:
    """``Next`` as a ready slot (a cffi callback): its pceltFetched may be NULL for one element, which the
    generated thunk of an [out] parameter would refuse."""

    def __init__(self, slot: Any) -> None:
        self.__com_slot__ = slot

    def __call__(self, *args: Any) -> Any:  # (never called: the slot is the callback)
        raise NotImplementedError


def _make_next(
    m: Method, item_type: str, store: Callable[[Any, Any], None], free: Callable[[Any], None], what: str
) -> _RawNext:
    """The Next slot of one enumerator interface: ``store(slot, value)`` writes one element into ``slot`` (an
    ``item_type *`` into the caller's array), ``free(slot)`` undoes it (when a later element fails)."""
    item_p = ffi.typeof(item_type + " *")
    name = f"{m.interface.__name__}::Next"

    def _next(this: Any, celt: int, rgelt: Any, fetched: Any) -> int:
        self = _from_handle(this[1])
        if self is TOMBSTONE:
            return CO_E_OBJNOTCONNECTED
        if fetched == _NULL and celt != 1:
            return E_POINTER  # pceltFetched may be NULL only when one element is asked for
        if celt and rgelt == _NULL:
            return E_POINTER
        base = _cast(item_p, rgelt)
        n = 0
        drawing = False  # True while the iterable itself runs: its exception is not a conversion failure
        try:
            source, pos = self._source, self._position
            while n < celt:
                drawing = True
                ok, value = source.get(pos)
                drawing = False
                if not ok:
                    break
                store(base + n, value)
                n += 1
                pos += 1
            self._position = pos
        except Exception as exc:
            for i in range(n):
                free(base + i)
            if fetched != _NULL:
                fetched[0] = 0
            if drawing:  # the iterable raised: its exception's HRESULT and IErrorInfo, as any method's would be
                return server_error(exc, self, m.interface, "Next")
            log.error("%s: element %d cannot be %s: %s", name, self._position + n, what, str(exc))
            if isinstance(exc, ComError):
                return to_signed(exc.hresult)
            return DISP_E_TYPEMISMATCH if item_type == "VARIANT" else to_signed(hresult_for_exception(exc))
        if fetched != _NULL:
            fetched[0] = n
        return S_OK if n == celt else S_FALSE

    return _RawNext(ffi.callback(m.c_funcptr(), _next, error=E_UNEXPECTED, onerror=on_callback_error))


class _Enumerator(ComObject):
    """What every enumerator shares: the position over a shared :class:`_Source`, Skip, Reset, Clone.

    ``owned``: client pointers the enumerator and its clones own together (a snapshot's references), released when
    the last of them is destroyed; such an enumerator must be handed out (a COM reference taken), else nothing
    releases them."""

    def __init__(
        self,
        iterable: Iterable[Any] = (),
        _source: _Source | None = None,
        _position: int = 0,
        *,
        owned: list[ComPtr] | None = None,
    ) -> None:
        self._source = _source if _source is not None else _Source(iterable, owned)
        self._position = _position
        self._source.join()

    def final_release(self) -> None:
        self._source.leave()

    def Skip(self, celt: int) -> int:
        for _ in range(celt):
            ok, _v = self._source.get(self._position)
            if not ok:
                return S_FALSE
            self._position += 1
        return S_OK

    def Reset(self) -> int:
        self._position = 0
        return S_OK

    def Clone(self) -> _Enumerator:
        return type(self)((), self._source, self._position)


# ---- element writers -------------------------------------------------------------------------------------------


def _store_variant(pv: Any, value: Any) -> None:
    _VariantInit(pv)
    _variant.write(pv, value)


def _free_variant(pv: Any) -> None:
    try:
        _variant.clear(pv)
    except Exception:
        log.exception("VariantClear of a partial result failed")
        _VariantInit(pv)


def _new_reference(value: Any, iface: type[Interface]) -> Any:
    """A new reference to ``value`` as ``iface``: one of our objects (QueryInterface), a ComPtr (AddRef, or
    QueryInterface when it holds another interface) or a raw pointer (borrowed: QueryInterface)."""
    if value is None:
        return _NULL
    query_raw = getattr(value, "query_raw", None)
    if query_raw is not None:
        return query_raw(iface.iid)
    if isinstance(value, ComPtr):
        if iface in value.interface.lineage:
            raw = value.as_raw()
            _cast("IUnknown *", raw).lpVtbl.AddRef(raw)
            return raw
        return value.query(iface).into_raw()
    if isinstance(value, ffi.CData):
        with client_class(IUnknown).from_borrowed(value) as unk:
            return unk.query(iface).into_raw()
    raise TypeError(f"{type(value).__name__} is not a COM object or interface pointer")


def _pointer_store(iface: type[Interface]) -> Callable[[Any, Any], None]:
    def store(slot: Any, value: Any) -> None:
        slot[0] = _new_reference(value, iface)

    return store


def _free_pointer(slot: Any) -> None:
    p = slot[0]
    slot[0] = _NULL
    if p != _NULL:
        _cast("IUnknown *", p).lpVtbl.Release(p)


def _store_string(slot: Any, value: Any) -> None:
    if not isinstance(value, str):
        raise TypeError(f"IEnumString yields str, not {type(value).__name__}")
    units = value.encode("utf-16-le") + b"\x00\x00"
    p = task_mem_alloc(len(units))
    ffi.memmove(p, units, len(units))
    slot[0] = _cast("LPOLESTR", p)


def _free_string(slot: Any) -> None:
    p = slot[0]
    slot[0] = _NULL
    if p != _NULL:
        task_mem_free(p)


def _store_connection(cd: Any, value: Any) -> None:
    sink, cookie = value
    cookie = int(cookie)
    if not 0 <= cookie < 2**32:
        raise ValueError(f"cookie {cookie} is not a DWORD")
    cd.pUnk = _new_reference(sink, IUnknown)
    cd.dwCookie = cookie


def _free_connection(cd: Any) -> None:
    p = cd.pUnk
    cd.pUnk = _NULL
    if p != _NULL:
        _cast("IUnknown *", p).lpVtbl.Release(p)


# ---- the enumerators -------------------------------------------------------------------------------------------


class EnumVariant(_Enumerator, implements=[IEnumVARIANT]):
    """An IEnumVARIANT over a Python iterable (what DISPID_NEWENUM answers, so ``For Each`` works). Each VARIANT
    that Next hands out owns its value (BSTRs allocated, interfaces AddRef'd): the caller clears it."""

    Next = _make_next(IEnumVARIANT.Next, "VARIANT", _store_variant, _free_variant, "a VARIANT")


class EnumUnknown(_Enumerator, implements=[IEnumUnknown]):
    """An IEnumUnknown over our objects or client pointers (or raw pointers, borrowed while the enumerator
    lives): each pointer Next hands out is a new reference the caller releases."""

    Next = _make_next(IEnumUnknown.Next, "void *", _pointer_store(IUnknown), _free_pointer, "an IUnknown *")


class EnumString(_Enumerator, implements=[IEnumString]):
    """An IEnumString over strings: each string Next hands out is CoTaskMemAlloc'ed; the caller frees it
    (CoTaskMemFree)."""

    Next = _make_next(IEnumString.Next, "LPOLESTR", _store_string, _free_string, "a string")


class EnumConnections(_Enumerator, implements=[IEnumConnections]):
    """An IEnumConnections over ``(sink, cookie)`` pairs (a sink: one of our objects or a client pointer): each
    CONNECTDATA's ``pUnk`` is a new reference the caller releases. (A connection point passes ``owned=``: its
    snapshot of the sinks, which the enumerator releases.)"""

    Next = _make_next(IEnumConnections.Next, "CONNECTDATA", _store_connection, _free_connection, "a CONNECTDATA")


class EnumConnectionPoints(_Enumerator, implements=[IEnumConnectionPoints]):
    """An IEnumConnectionPoints over connection points (our objects or client pointers): each pointer Next hands
    out is a new reference the caller releases."""

    Next = _make_next(
        IEnumConnectionPoints.Next, "void *", _pointer_store(IConnectionPoint), _free_pointer, "an IConnectionPoint *"
    )


# ---- the client side -------------------------------------------------------------------------------------------


class _Reader:
    """How :func:`iterate` reads one interface's elements: the array type, and ``take(slot)`` (convert the element
    and free the slot's content: the value returned is the caller's) and ``drop(slot)`` (free it unread)."""

    __slots__ = ("array", "take", "drop")

    def __init__(self, array: str, take: Callable[[Any], Any], drop: Callable[[Any], None]) -> None:
        self.array = ffi.typeof(array)
        self.take = take
        self.drop = drop


def _take_variant(pv: Any) -> Any:
    try:
        return _variant.to_python(pv)
    finally:
        _free_variant(pv)


def _pointer_taker(iface: type[Interface]) -> Callable[[Any], Any]:
    cls = client_class(iface)

    def take(slot: Any) -> Any:
        p = slot[0]
        slot[0] = _NULL
        return None if p == _NULL else cls.from_raw(p)

    return take


def _take_string(slot: Any) -> str | None:
    p = slot[0]
    slot[0] = _NULL
    if p == _NULL:
        return None
    try:
        return str(ffi.string(p))
    finally:
        task_mem_free(p)


def _take_connection(cd: Any) -> tuple[ComPtr | None, int]:
    p = cd.pUnk
    cd.pUnk = _NULL
    return (None if p == _NULL else client_class(IUnknown).from_raw(p)), int(cd.dwCookie)


_READERS: dict[type[Interface], _Reader] = {}


def _reader(iface: type[Interface]) -> _Reader:
    for i in iface.lineage:
        found = _READERS.get(i)
        if found is not None:
            return found
    kind = _element_kind(iface)
    if kind is None:
        raise TypeError(
            f"{iface.__name__} is not an enumerator interface iterate() knows (Next(ULONG, T *rgelt, ULONG *) of "
            "VARIANT, CONNECTDATA, strings or interface pointers)"
        )
    element, elem_iface = kind
    reader = (
        _Reader("LPOLESTR[]", _take_string, _free_string)
        if element == "string"
        else _Reader("void *[]", _pointer_taker(elem_iface), _free_pointer)
    )
    _READERS[iface] = reader
    return reader


def _element_kind(iface: type[Interface]) -> tuple[str, type[Interface]] | None:
    """What a declared enumerator hands out, read from its ``Next([in] ULONG celt, [in] T *rgelt, [out] ULONG *)``:
    ("string", IUnknown) for LPOLESTR, ("pointer", IFoo) for ``IFoo **`` (IUnknown when IFoo is not declared);
    None for anything else. (IEnumMoniker, IEnumGUID-like enumerators of structs need a reader of their own.)"""
    m = next((m for m in iface.layout if m.name == "Next"), None)
    if m is None or len(m.params) != 3 or not any(x.name == "Skip" for x in iface.layout):
        return None
    ctype = m.params[1].ctype
    if ctype.kind == "wstr" and ctype.depth == 1 and not ctype.c.startswith("BSTR"):
        return "string", IUnknown
    if ctype.kind == "iface" and ctype.depth == 2:
        declared = interface_named(ctype.interface or "IUnknown") or IUnknown
        return "pointer", declared
    return None


def enumerator_class(iface: type[Interface]) -> type[ComObject]:
    """A server class for any declared enumerator of interface pointers or strings (``IEnumMoniker``-like:
    ``Next([in] ULONG celt, [in] IFoo **rgelt, [out] ULONG *pceltFetched)``, Skip, Reset, Clone), made once per
    interface: ``enumerator_class(IEnumFoo)(iterable)`` behaves as :class:`EnumUnknown` does, handing out ``IFoo``
    pointers (AddRef'd; QueryInterface for objects that are not ``IFoo`` pointers already)."""
    made = _MADE.get(iface)
    if made is not None:
        return made
    kind = _element_kind(iface)
    if kind is None:
        raise TypeError(f"{iface.__name__} is not an enumerator of strings or interface pointers")
    element, elem_iface = kind
    next_slot = next(m for m in iface.layout if m.name == "Next")
    if element == "string":
        slot = _make_next(next_slot, "LPOLESTR", _store_string, _free_string, "a string")
    else:
        slot = _make_next(next_slot, "void *", _pointer_store(elem_iface), _free_pointer, f"an {elem_iface.__name__} *")
    cls = type(
        f"Enum_{iface.__name__}",
        (_Enumerator,),
        {
            "Next": slot,
            "__doc__": f"{iface.__name__} over a Python iterable (vtables.enumerators.enumerator_class).",
            "__module__": __name__,
        },
        implements=[iface],
    )
    _MADE[iface] = cls
    return cls


_MADE: dict[type[Interface], type[ComObject]] = {}


def iterate(enum: ComPtr, batch: int = 16) -> Iterator[Any]:
    """The elements of an enumerator (a client pointer of IEnumVARIANT, IEnumUnknown, IEnumString, IEnumConnections
    or IEnumConnectionPoints, of an interface derived from one, or of any declared enumerator of interface pointers
    or strings, such as IEnumMoniker), fetched ``batch`` per ``Next``:

    * IEnumVARIANT: Python values (``vtables.variant.to_python``; objects as ComPtrs the caller releases);
    * IEnumUnknown / IEnumConnectionPoints / IEnumFoo: ComPtrs of IUnknown / IConnectionPoint / IFoo the caller
      releases;
    * IEnumString: str;
    * IEnumConnections: ``(ComPtr of the sink's IUnknown, cookie)``, the ComPtr the caller's.

    From the enumerator's current position (call ``Reset`` first to start over). Elements fetched but not yet
    yielded are freed when the iterator is closed early (``break``, ``close()``, collection); ``enum`` stays the
    caller's. A failure HRESULT from ``Next`` raises its ComError."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    reader = _reader(enum.interface)
    array = ffi.new(reader.array, batch)
    take, drop = reader.take, reader.drop
    while True:
        hr, fetched = enum.Next(batch, array)
        if fetched > batch:
            for i in range(batch):
                drop(array + i)
            raise error_from_hresult(E_UNEXPECTED, f"Next returned {fetched} elements for {batch}")
        i = 0
        try:
            while i < fetched:
                value = take(array + i)
                i += 1
                yield value
        finally:
            for j in range(i, fetched):
                drop(array + j)
        if hr != S_OK or fetched < batch:
            return


_READERS.update(
    {
        IEnumVARIANT: _Reader("VARIANT[]", _take_variant, _free_variant),
        IEnumUnknown: _Reader("void *[]", _pointer_taker(IUnknown), _free_pointer),
        IEnumConnectionPoints: _Reader("void *[]", _pointer_taker(IConnectionPoint), _free_pointer),
        IEnumString: _Reader("LPOLESTR[]", _take_string, _free_string),
        IEnumConnections: _Reader("CONNECTDATA[]", _take_connection, _free_connection),
    }
)
