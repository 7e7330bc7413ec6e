"""The client side: typed interface pointers that call through the vtable with the least Python work per call.

Ownership is explicit:

* ``IFoo.from_raw(p)`` *takes* the reference ``p`` carries (no AddRef): what you do with a pointer a COM
  function returned to you (``CoCreateInstance``, an [out] parameter).
* ``IFoo.from_borrowed(p)`` *adds* a reference of its own (AddRef): for a pointer someone else owns.
* ``ptr.release()`` gives the reference back (once; later calls raise); ``with ptr: ...`` releases on exit;
  ``ptr.into_raw()`` hands the reference to the caller (the wrapper is empty after); ``ptr.as_raw()`` lends it.
* A wrapper collected while still holding its reference releases it and is counted in
  :func:`vtables.leaks.leaked_references` (and logged): that is a bug in the program, not a feature.

Calls: ``[in]`` values are arguments, ``[out]`` values are returned (one value, or a tuple); a method without
``[out]`` values returns its HRESULT, so S_FALSE is visible; ``preserve_sig`` methods return ``(hr, *outs)``.
A failure HRESULT raises the typed :class:`~ole32_bindings.hresult.ComError`, with the IErrorInfo text when the
object says (ISupportErrorInfo) that it sets one. Each method's code is generated once per interface, with the
argument conversions decided at declaration time; function pointers are cast once per (vtable, interface); the
storage of a plain [out] value (integer, float, GUID) is reused from a pool per call site, one buffer per call in
progress (``_out_pool``).

Automation types convert both ways, as the server thunks (``vtables.thunks``) convert them: an [in] VARIANT takes
any value ``vtables.variant.write`` takes, SAFEARRAY(T) a list, tuple, bytes or ``SafeArray`` (None: a NULL array),
DATE a ``datetime``/``date`` (or the DATE number), CY and DECIMAL a ``Decimal``/int/float, VARIANT_BOOL any truth
value; [out] VARIANTs and SAFEARRAYs come back as ``vtables.variant.to_python`` reads them (objects in them as new
ComPtrs the caller releases), DATE as ``datetime``, CY and DECIMAL as ``Decimal``, VARIANT_BOOL as ``bool``. An
[in, out] number, BSTR or Automation value is passed as its value and its new value is returned with the [out]
ones, in declaration order. What a call allocates (the [in] VARIANT copies, BSTRs and SAFEARRAYs, the [out] and
[in, out] storage) belongs to the call and is freed once when it returns, also when it fails. An [in] ``IFoo *``
of an Automation method (``IDispatch *``...) is passed as that interface (QueryInterface when the argument holds
another one). Omitted trailing ``[optional]``/``[defaultvalue(x)]`` arguments take the declared default, an
``[optional]`` VARIANT without one :data:`~ole32_bindings.oavalues.Missing` (VT_ERROR, DISP_E_PARAMNOTFOUND).
VARIANT and SAFEARRAY conversions are ``vtables.variant``'s: import it (``vtables.dispatch`` and
``vtables.latebound`` do) before making the client of such an interface.

Same-context fast path: when ``from_raw``/``from_borrowed`` sees one of this process's Python-implemented
objects created on the caller's own thread (so in the caller's apartment and context), the wrapper calls the
Python methods directly (no vtable, no FFI), like the serviced-component proxy that calls the real object when
the contexts match, with the values the vtable would carry (``vtables.direct``: the same conversions and checks,
an argument of the wrong type refused with the same TypeError; an exception of the implementation propagates as
raised). Anything else takes COM's path: a pointer from another apartment or process is a proxy, and
our object used from another MTA thread is called through its vtable (a thread that left and re-entered COM
in another apartment type between creating an object and calling it is not detected). An agile class
(``agile=True``: it aggregates the FTM, so COM itself hands its pointer to every apartment) is called directly
from any thread, unless it is aggregated (its outer decides how it marshals).
"""

from __future__ import annotations

import logging
import threading
from threading import get_ident as _get_ident
from types import MethodType as _MethodType
from typing import Any

from ole32_bindings import errorinfo as _errorinfo
from ole32_bindings.dlls import ffi, function
from ole32_bindings.guid import Guid, guid_from_16_bytes
from ole32_bindings.hresult import ComError, error_from_hresult
from ole32_bindings.memory import bstr_from_str, bstr_to_str_and_free
from ole32_bindings.oavalues import (
    VT_ARRAY,
    VT_EMPTY,
    Missing,
    Variant,
    cy_from_decimal,
    date_from_datetime,
    datetime_from_date,
    decimal_from_bytes,
    decimal_from_cy,
    decimal_to_bytes,
    vt_name,
)
from ole32_bindings.wellknown import IID_ISupportErrorInfo as _ISEI

from . import leaks as _leaks
from ._convert import argument_error, in_checker, is_value_inout
from .declare import Interface, InterfaceError, Method, Param
from .direct import direct_kinds

__all__ = ["ComPtr", "client_class", "ReleasedPointerError", "interface_by_iid", "wrap_raw"]

log = logging.getLogger("vtables")

_NULL = ffi.NULL
_cast = ffi.cast
_new = ffi.new
_buffer = ffi.buffer
_ADDR = ffi.typeof("uintptr_t")
_VOIDPP = ffi.typeof("void **")
_VOIDPPP = ffi.typeof("void ***")
_ADDR_P = ffi.typeof("uintptr_t *")
_count_lock = threading.Lock()

#: interfaces by IID and name: every declaration registers itself (vtables.declare)
from .declare import _BY_IID as _by_iid  # noqa: E402
from .declare import _BY_NAME as _by_name  # noqa: E402

#: (vtable address, interface) -> tuple of cast function pointers, one per slot.
_fn_cache: dict[tuple[int, type[Interface]], tuple[Any, ...]] = {}

#: Set by vtables.object: vtable address -> True for vtables of Python-implemented classes.
our_vtables: dict[int, Any] = {}
#: Set by vtables.object: (raw pointer) -> Python object, for pointers whose vtable is ours.
object_from_pointer: Any = None
#: Set by vtables.object: (class, vtable address, method name) -> the slot's direct function (vtables.direct) or None.
direct_function: Any = None


class ReleasedPointerError(ComError):
    """A call through a wrapper whose reference was already released (or handed off with into_raw)."""

    HRESULT = 0x80004003  # E_POINTER: there is no pointer any more


def interface_by_iid(iid: Guid) -> type[Interface] | None:
    """The interface declared with ``iid`` (the first declaration of that IID), or None."""
    return _by_iid.get(iid)


_GetModuleHandleExW = function("GetModuleHandleExW")
_FROM_ADDRESS_UNCHANGED = 0x4 | 0x2  # GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | _UNCHANGED_REFCOUNT
_module_out = ffi.new("HMODULE *")


def _static_vtable(addr: int) -> bool:
    """Whether a vtable lives in a loaded module's image (static data, as C++ and the runtime's own vtables do),
    rather than on the heap (comtypes, the typelib marshaler's proxies), where a freed vtable's address can come
    back with other functions in it."""
    return bool(_GetModuleHandleExW(_FROM_ADDRESS_UNCHANGED, ffi.cast("void *", addr), _module_out))


def _functions(p: Any, iface: type[Interface]) -> tuple[Any, ...]:
    """The slot functions of ``p`` cast for ``iface``: cached per (vtable, interface) only for vtables that cannot
    be freed and reused (ours, kept for the life of the process, and vtables in a module image); a heap vtable's
    functions are cast again for each wrapper."""
    vtbl = _cast(_VOIDPPP, p)[0]
    addr = int(_cast(_ADDR, vtbl))
    key = (addr, iface)
    fns = _fn_cache.get(key)
    if fns is None:
        fns = tuple(_cast(m.c_funcptr(), vtbl[m.index]) for m in iface.layout)
        if addr in our_vtables or _static_vtable(addr):
            _fn_cache[key] = fns
    return fns


def _dead(ptr: ComPtr) -> None:
    raise ReleasedPointerError(description=f"{type(ptr).__name__}: the reference was already released")


def _fail(hr: int, p: Any, iid: Guid) -> None:
    """Raise the typed error for a failed call, with IErrorInfo text when the object supports it for ``iid``."""
    description = source = None
    try:
        sei = _new("void **")
        unk = _cast("IUnknown *", p)
        if unk.lpVtbl.QueryInterface(p, _ISEI.cdata(ffi), sei) == 0:
            try:
                fn = _cast("HRESULT(*)(void *, const GUID *)", _cast(_VOIDPPP, sei[0])[0][3])
                supported = fn(sei[0], iid.cdata(ffi)) == 0
            finally:
                _cast("IUnknown *", sei[0]).lpVtbl.Release(sei[0])
            if supported:
                info = _errorinfo.take_error_info()
                if info is not None:
                    description, source = info.description, info.source
    except Exception:
        log.debug("could not read IErrorInfo after 0x%08X", hr & 0xFFFFFFFF, exc_info=True)
    raise error_from_hresult(hr, description, source)


def _guid_arg(g: Any) -> Any:
    if isinstance(g, Guid):
        return g.cdata(ffi)
    if g is None:
        return _NULL
    return g  # a GUID * cdata


def _iface_arg(x: Any) -> Any:
    if x is None:
        return _NULL
    raw = getattr(x, "_com_raw_for_arg", None)
    if raw is not None:
        return raw()
    return x  # raw cdata


def _guid_out(o: Any) -> Guid:
    return guid_from_16_bytes(_buffer(o)[:])


def _wstr_out(o: Any, ctype_c: str) -> str | None:
    if o[0] == _NULL:
        return None
    if ctype_c.startswith("BSTR"):
        return bstr_to_str_and_free(o[0])
    from ole32_bindings.memory import task_mem_free

    try:
        return ffi.string(o[0])
    finally:
        task_mem_free(o[0])


def _bstr_in(text: str | None) -> Any:
    from ole32_bindings.memory import bstr_from_str

    if text is None:
        return _NULL
    if not isinstance(text, str):
        raise TypeError(f"a BSTR is made from a str (or None), not {type(text).__name__}")
    return ffi.gc(bstr_from_str(text), _free_bstr)


def _free_bstr(b: Any) -> None:
    from ole32_bindings.memory import bstr_free

    bstr_free(b)


def wrap_raw(p: Any, iface: type[Interface] | None) -> ComPtr | None:
    """Take ownership of ``p`` (an [out] interface pointer) as ``iface`` (IUnknown when unknown); NULL -> None."""
    if p == _NULL:
        return None
    if iface is None:
        from .interfaces.unknown import IUnknown as iface
    return client_class(iface).from_raw(p)


class ComPtr:
    """A counted reference to one interface of a COM object. Not made directly: use ``from_raw``/``from_borrowed``
    of the interface's client class (``client_class(IFoo)``, also reachable as ``IFoo`` helpers in ``vtables``)."""

    __slots__ = ("_p", "_fns", "_owned", "__weakref__")
    interface: type[Interface]

    @classmethod
    def from_raw(cls, p: Any, direct: bool = True) -> ComPtr:
        """Take the reference ``p`` carries (no AddRef). The wrapper releases it. ``direct=False`` refuses the
        same-context fast path (every call through the vtable, e.g. to measure it)."""
        if p == _NULL or p is None:
            raise error_from_hresult(0x80004003, f"{cls.__name__}.from_raw: NULL pointer")
        if direct and our_vtables:
            addr = _cast(_ADDR_P, p)[0]  # the vtable's address
            if addr in our_vtables:
                fast = _fast_or_none(cls, p, addr)
                if fast is not None:
                    return fast
        self = object.__new__(cls)
        self._p = p
        self._fns = _functions(p, cls.interface)
        self._owned = True
        _leaks.held_references += 1
        return self

    @classmethod
    def from_borrowed(cls, p: Any, direct: bool = True) -> ComPtr:
        """AddRef ``p`` and wrap that new reference (the caller keeps its own)."""
        if p == _NULL or p is None:
            raise error_from_hresult(0x80004003, f"{cls.__name__}.from_borrowed: NULL pointer")
        _cast("IUnknown *", p).lpVtbl.AddRef(p)
        return cls.from_raw(p, direct)

    def as_raw(self) -> Any:
        """The raw pointer, lent: valid while this wrapper holds its reference."""
        p = self._p
        if p is None:
            _dead(self)
        return p

    def _com_raw_for_arg(self) -> Any:
        return self.as_raw()

    def into_raw(self) -> Any:
        """Give the reference to the caller (who must release it); the wrapper is empty afterwards."""
        p = self.as_raw()
        self._p = None
        _leaks.held_references -= 1
        return p

    def release(self) -> int:
        """Release the reference; returns the count the object reports. A second release raises."""
        p = self._p
        if p is None:
            _dead(self)
        self._p = None
        _leaks.held_references -= 1
        return self._fns[2](p)  # (IUnknown::Release, cast once per vtable and interface)

    @property
    def released(self) -> bool:
        return self._p is None

    def query(self, iface: type[Interface]) -> ComPtr:
        """QueryInterface: a new typed reference (E_NOINTERFACE raises NoInterfaceError)."""
        p = self.as_raw()
        out = _new("void **")
        hr = _cast("IUnknown *", p).lpVtbl.QueryInterface(p, iface.iid.cdata(ffi), out)
        if hr < 0:
            raise error_from_hresult(hr)
        return client_class(iface).from_raw(out[0])

    def with_timeout(self, seconds: float) -> Any:
        """This pointer's methods with a time limit: ``ptr.with_timeout(2.0).Work(100)`` raises
        ``vtables.calltimeout.CallTimeoutError`` (RPC_E_CALL_CANCELED) when the call has not returned after
        ``seconds``: cancelled by CoCancelCall where the runtime can, else abandoned (the module doc says what that
        costs). Borrows this pointer; calls made without it pay nothing for the feature."""
        from .calltimeout import TimedCalls

        self.as_raw()
        return TimedCalls(self, seconds)

    def address(self) -> int:
        return int(_cast(_ADDR, self.as_raw()))

    def same_object(self, other: ComPtr) -> bool:
        """COM identity: both QI'd for IUnknown give the same pointer."""
        from .interfaces.unknown import IUnknown

        a, b = self.query(IUnknown), other.query(IUnknown)
        try:
            return a.address() == b.address()
        finally:
            a.release()
            b.release()

    def __enter__(self) -> ComPtr:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._p is not None:
            self.release()

    def __del__(self) -> None:
        p = getattr(self, "_p", None)
        if p is None:
            return
        self._p = None
        _leaks.held_references -= 1
        _leaks.leaked_references += 1
        log.warning("%s collected without release(): releasing it now (a leak in the caller)", type(self).__name__)
        try:
            _cast("IUnknown *", p).lpVtbl.Release(p)
        except Exception:
            log.exception("Release of a leaked %s failed", type(self).__name__)

    def __repr__(self) -> str:
        state = "released" if self._p is None else f"0x{int(_cast(_ADDR, self._p)):x}"
        return f"<{type(self).__name__} {state}>"


def _fast_or_none(cls: type[ComPtr], p: Any, addr: int) -> ComPtr | None:
    obj = object_from_pointer(p)
    if obj is None:
        return None
    if obj._com_thread != _get_ident() and not (obj._com_agile and obj._com_outer is None):
        return None  # another thread, maybe another apartment: COM's path (agile objects are callable from any)
    fast_cls = cls.__dict__.get("_fast_cls") or _fast_class(cls)
    self = object.__new__(fast_cls)
    self._p = p
    self._fns = _fn_cache.get((addr, cls.interface)) or _functions(p, cls.interface)
    self._owned = True
    self.__dict__["_com_object"] = obj  # its methods are bound on first use (_DirectMethod)
    _leaks.held_references += 1
    return self


class _DirectMethod:
    """A method of a same-context wrapper: the first lookup binds the slot's direct function (``vtables.direct``:
    the implementation called with the values the vtable would deliver, its results converted as the client would
    read them) to the Python object and stores it in the wrapper's ``__dict__``, where every later lookup finds it
    first (a non-data descriptor); a wrapper that is never called binds nothing. A released wrapper (empty
    ``__dict__``) gets the vtable method, which raises ReleasedPointerError."""

    __slots__ = ("name", "fallback")

    def __init__(self, name: str, fallback: Any) -> None:
        self.name = name
        self.fallback = fallback

    def __get__(self, ptr: Any, owner: Any = None) -> Any:
        if ptr is None:
            return self
        d = ptr.__dict__
        obj = d.get("_com_object")
        if obj is None:
            return self.fallback.__get__(ptr, owner)
        addr = int(_cast(_ADDR, _cast(_VOIDPPP, ptr._p)[0]))
        fn = direct_function(our_vtables[addr], addr, self.name)
        if fn is None:  # a slot the library implements natively (IDispatch's, vtables.dispatch): the vtable
            return self.fallback.__get__(ptr, owner)
        bound = d[self.name] = _MethodType(fn, obj)
        return bound


def _fast_release(self: ComPtr) -> int:
    """Release of a same-context wrapper: the object's own count, from Python (a last reference destroys it here,
    without the native Release calling back into Python); an aggregated object's release goes to its outer."""
    d = self.__dict__
    obj = d.get("_com_object")
    d.clear()
    if obj is None or obj._com_outer is not None or self._p is None:
        return ComPtr.release(self)
    self._p = None
    _leaks.held_references -= 1
    return obj._com_release()  # type: ignore[no-any-return]


def _fast_into_raw(self: ComPtr) -> Any:
    self.__dict__.clear()
    return ComPtr.into_raw(self)


def _fast_class(cls: type[ComPtr]) -> type[ComPtr]:
    fast = cls.__dict__.get("_fast_cls")
    if fast is None:
        ns: dict[str, Any] = {
            "__doc__": "Same-context pointer: calls go straight to the Python object with the values the vtable "
            "would carry (vtables.direct); exceptions of the implementation propagate as raised.",
            "release": _fast_release,
            "into_raw": _fast_into_raw,
        }
        for name in cls._fast_names:
            ns[name] = _DirectMethod(name, getattr(cls, name))
        fast = type(cls.__name__ + "Direct", (cls,), ns)
        cls._fast_cls = fast
    return fast


# ---- code generation of the client methods ------------------------------------------------------------------


def _out_pool() -> tuple[Any, Any]:
    """The take and give of one call site's pool of [out] buffers (a method's plain-value [out] parameter).

    A call takes a buffer (``list.pop``; an empty pool makes a new one), passes it, reads the value after success
    and gives it back (``list.append``). Both are atomic under the GIL, so a buffer belongs to one call at a time:
    calls on other threads, and a call made while this one is in progress on the same thread (a callback
    re-entering Python), take other buffers. The pool holds as many buffers as calls of that site were ever in
    progress at once. A failed call does not give its buffer back (it is freed with its cdata). Reusing saves
    ``ffi.new``, which costs about as much as the call itself (bench/README.md, "where the call time goes")."""
    pool: list[Any] = []
    return pool.pop, pool.append


def _method_source(m: Method, iface_var: str) -> tuple[str, dict[str, Any]]:
    if _converts_automation(m):
        return _automation_source(m, iface_var)
    env: dict[str, Any] = {}
    args = m.args
    arg_names = [f"a{i}" for i in range(len(args))]
    lines = []
    call_args = []
    pre = []
    results = []
    pooled: list[tuple[str, str]] = []  # [out] buffers taken from their pool, given back once their values are read
    by_param = dict(zip(args, arg_names, strict=False))
    for p in m.params:
        if p in by_param:
            a = by_param[p]
            k = p.ctype.kind
            if k == "guid" and p.ctype.depth == 1:
                call_args.append(f"_guid_arg({a})")
            elif k == "iface":
                call_args.append(f"_iface_arg({a})")
            elif k == "wstr" and p.ctype.depth == 0 and p.ctype.c.startswith("BSTR"):
                pre.append(f"    b_{a} = _bstr_in({a})")
                call_args.append(f"b_{a}")
            elif k == "wstr" and p.ctype.depth == 0:
                call_args.append(f"(_NULL if {a} is None else {a})")  # (cffi takes a str, not None, as wchar_t *)
            else:
                call_args.append(a)
        else:
            o = f"o_{p.name}"
            env[f"_T_{m.name}_{p.name}"] = ffi.typeof(p.ctype.c)  # per method: names repeat
            # [out] values are read only after success, where COM says the callee wrote them: plain values need
            # no zeroing, and their storage is reused (_out_pool); pointers (interfaces, strings) are zeroed, new
            # for each call, so a careless callee cannot hand us garbage.
            if p.ctype.kind in ("int", "float", "guid"):
                env[f"_take_{m.name}_{p.name}"], env[f"_give_{m.name}_{p.name}"] = _out_pool()  # names repeat
                pre.append("    try:")
                pre.append(f"        {o} = _take_{m.name}_{p.name}()")
                pre.append("    except IndexError:")
                pre.append(f"        {o} = _new_unzeroed(_T_{m.name}_{p.name})")
                pooled.append((o, f"_give_{m.name}_{p.name}"))
            else:
                pre.append(f"    {o} = _new(_T_{m.name}_{p.name})")
            call_args.append(o)
            k = p.ctype.kind
            if k in ("int", "float"):
                results.append(f"{o}[0]")
            elif k == "guid":
                results.append(f"_guid_out({o})")
            elif k == "wstr":
                results.append(f"_wstr_out({o}, {p.ctype.c!r})")
            elif k == "iface":
                target = p.iid_is
                if target is not None:
                    idx = [q.name for q in args].index(target)
                    results.append(f"_wrap_raw({o}[0], _iface_of({arg_names[idx]}))")
                else:
                    env[f"_I_{m.name}_{p.name}"] = p.ctype.interface
                    results.append(f"_wrap_raw({o}[0], _iface_named(_I_{m.name}_{p.name}))")
    sig = _signature(m, arg_names, env)
    lines.append(f"def {m.name}({sig}):")
    lines.append("    p = self._p")
    lines.append("    if p is None:")
    lines.append("        _dead(self)")
    call = f"self._fns[{m.index}]({', '.join(['p', *call_args])})"
    # A conversion cffi (or a BSTR) refuses raises the error naming the argument (vtables._convert); the try costs
    # nothing until it raises.
    env[f"_CHK_{m.name}"] = tuple(in_checker(m, p) for p in args)
    lines.append("    try:")
    lines.extend("    " + x for x in pre)
    lines.append(f"        r = {call}")
    lines.append("    except (TypeError, OverflowError) as e:")
    lines.append(f"        raise _argument_error(_CHK_{m.name}, ({''.join(a + ', ' for a in arg_names)}), e) from None")
    call = "r"
    if pooled:  # the values read, then the buffers back to their pools (a failed call drops its buffers)
        reads = [f"    v{j} = {r}" for j, r in enumerate(results)]
        reads += [f"    {give}({o})" for o, give in pooled]
        results = [f"v{j}" for j in range(len(results))]
    if m.returns_hresult:
        lines.append(f"    hr = {call}")
        lines.append("    if hr < 0:")
        lines.append(f"        _fail(hr, p, {iface_var}.iid)")
        if pooled:
            lines.extend(reads)
        if m.preserve_sig:
            lines.append(f"    return ({', '.join(['hr', *results])},)")
        elif not results:
            lines.append("    return hr")
        elif len(results) == 1:
            lines.append(f"    return {results[0]}")
        else:
            lines.append(f"    return ({', '.join(results)})")
    else:
        if results:
            if pooled:
                lines.extend(reads)
            lines.append(f"    return ({', '.join(['r', *results])})")
        else:
            lines.append(f"    return {call}")
    return "\n".join(lines) + "\n", env


# ---- Automation types in the generated callers ---------------------------------------------------------------------
#
# A method with an Automation value anywhere (VARIANT, SAFEARRAY(T), DATE, CY, DECIMAL, VARIANT_BOOL, an [in, out]
# value, an [in] IDispatch *) gets its own generated caller: storage the call owns is made before it and freed in a
# ``finally`` after it. Other methods keep the plain caller above, unchanged.

#: kinds converted by the Automation caller
_VALUE_KINDS = frozenset({"variant", "vbool", "date", "cy", "decimal", "safearray"})


def _variant_ref_in(m: Method, p: Param) -> bool:
    """Whether ``p`` is an ``[in] VARIANT *`` of a dual interface's own method: one VARIANT the caller owns, as the
    typelib marshaler carries it (IDictionary::Add's Key), so a Python value is converted (a cdata pointer is
    passed as it is)."""
    if p.direction != "in" or p.ctype.kind != "variant" or p.ctype.depth != 1 or m.index < 7:
        return False
    lineage = getattr(m.interface, "lineage", ())
    return any(i.__name__ == "IDispatch" and i.iid == _IID_IDISPATCH for i in lineage[1:])


_IID_IDISPATCH = Guid("{00020400-0000-0000-C000-000000000046}")


def _converts_automation(m: Method) -> bool:
    """Whether ``m`` needs the Automation caller."""
    for p in m.params:
        k, depth = p.ctype.kind, p.ctype.depth
        if p.direction == "in":
            if (depth == 0 and k in _VALUE_KINDS) or (k == "iface" and depth == 1 and p.ctype.interface == "IDispatch"):
                return True
            if _variant_ref_in(m, p):
                return True
        elif p.direction == "out":
            if k in _VALUE_KINDS and p.ctype.returned_when_out:
                return True
        elif is_value_inout(p):
            return True
    return False


class _NoArgDefault:
    __slots__ = ()


_NO_ARG_DEFAULT = _NoArgDefault()


def _python_default(p: Param) -> Any:
    """What an omitted argument stands for: ``[defaultvalue(x)]`` as the Python value of the declared type, Missing
    for an ``[optional]`` VARIANT without one, else ``_NO_ARG_DEFAULT`` (the caller must pass it)."""
    k = p.ctype.kind
    if p.has_default:
        value = p.default
        if k == "vbool":
            return bool(value)
        if k in ("cy", "decimal") and isinstance(value, (int, float)) and not isinstance(value, bool):
            from decimal import Decimal

            return Decimal(str(value))
        if k == "float" and isinstance(value, int):
            return float(value)
        return value
    if p.optional and k == "variant":
        return Missing
    return _NO_ARG_DEFAULT


def _signature(m: Method, arg_names: list[str], env: dict[str, Any]) -> str:
    """``self, a0, a1=_D_M_1, ...``: the trailing arguments that may be omitted get their declared defaults."""
    args = m.args
    defaults: dict[int, Any] = {}
    for i in range(len(args) - 1, -1, -1):
        value = _python_default(args[i]) if args[i].optional else _NO_ARG_DEFAULT
        if value is _NO_ARG_DEFAULT:
            break
        defaults[i] = value
    parts = ["self"]
    for i, a in enumerate(arg_names):
        if i in defaults:
            env[f"_D_{m.name}_{i}"] = defaults[i]
            parts.append(f"{a}=_D_{m.name}_{i}")
        else:
            parts.append(a)
    return ", ".join(parts)


def _declared_vt(ctype: Any) -> int:
    from .members import declared_vt

    vt = declared_vt(ctype)
    assert vt is not None
    return vt


#: the C value of a Python value ``{0}``, by kind (numbers as they are)
_WRITE_IN = {
    "int": "{0}",
    "float": "{0}",
    "vbool": "(-1 if {0} else 0)",
    "date": "_date_arg({0})",
    "cy": "_cy_arg({0})",
}
#: the Python value read from an [out] buffer ``{0}``, by kind
_READ_OUT = {
    "int": "{0}[0]",
    "float": "{0}[0]",
    "guid": "_guid_out({0})",
    "vbool": "({0}[0] != 0)",
    "date": "_datetime_from_date({0}[0])",
    "cy": "_decimal_from_cy({0}[0])",
    "decimal": "_dec_read({0})",
}
_PROLOGUE = ("    p = self._p", "    if p is None:", "        _dead(self)")


def _automation_source(m: Method, iface_var: str) -> tuple[str, dict[str, Any]]:
    """The caller of a method with Automation values (see the module doc): [in] values converted into storage made
    for the call, the call, [out] and [in, out] values read back (interface results first, so that a conversion that
    fails later finds them wrapped and releases them), and a ``finally`` freeing what the call made, once."""
    env: dict[str, Any] = {}
    name = m.name
    arg_names = [f"a{i}" for i in range(len(m.args))]
    by_param = dict(zip(m.args, arg_names, strict=False))
    needs_variant = False
    pre: list[str] = []  # storage made before the try (plain memory, nothing to free)
    conv: list[str] = []  # [in] conversions, inside the try
    call_args: list[str] = []
    cleanup: list[str] = []  # the finally
    results: list[str] = []  # result expressions, in declaration order
    first: list[int] = []  # results read first (interface pointers: wrapping cannot fail)
    gives: list[str] = []  # pooled [out] buffers given back once every result is read

    def typ(i: int, c: str) -> str:
        env[f"_T_{name}_{i}"] = ffi.typeof(c)
        return f"_T_{name}_{i}"

    for i, p in enumerate(m.params):
        k, depth, c = p.ctype.kind, p.ctype.depth, p.ctype.c
        a = by_param.get(p)
        if a is not None and _variant_ref_in(m, p):
            needs_variant = True
            pre.append(f"    v{i} = _new(_VARIANT_P)")
            conv.append(f"        if isinstance({a}, _CData):")
            conv.append(f"            x{i} = {a}")
            conv.append("        else:")
            conv.append(f"            _vwrite(v{i}, {a})")
            conv.append(f"            x{i} = v{i}")
            cleanup.append(f"        _vfree(v{i})")
            call_args.append(f"x{i}")
        elif p.direction == "in" and a is not None and depth == 0 and k in _VALUE_KINDS | {"wstr"}:
            if k == "variant":
                needs_variant = True
                pre.append(f"    v{i} = _new(_VARIANT_P)")
                conv.append(f"        _vwrite(v{i}, {a})")
                cleanup.append(f"        _vfree(v{i})")
                call_args.append(f"v{i}")
            elif k == "safearray":
                needs_variant = True
                env[f"_VT_{name}_{i}"] = _declared_vt(p.ctype)
                pre.append(f"    v{i} = _NULL")
                conv.append(f"        v{i} = _sa_make(_VT_{name}_{i}, {a})")
                cleanup.append(f"        _sa_destroy(v{i})")
                call_args.append(f"v{i}")
            elif k in ("vbool", "date", "cy"):
                call_args.append(_WRITE_IN[k].format(a))
            elif k == "decimal":
                pre.append(f"    v{i} = _new(_DECIMAL_P)")
                conv.append(f"        _dec_write(v{i}, {a})")
                call_args.append(f"v{i}")
            elif c.startswith("BSTR"):
                pre.append(f"    v{i} = _NULL")
                conv.append(f"        v{i} = _bstr_alloc({a})")
                cleanup.append(f"        _bstr_free(v{i})")
                call_args.append(f"v{i}")
            elif k == "wstr":
                call_args.append(f"(_NULL if {a} is None else {a})")
            else:
                call_args.append(a)
        elif p.direction == "in" and a is not None:
            if k == "guid" and depth == 1:
                call_args.append(f"_guid_arg({a})")
            elif k == "iface" and depth == 1 and p.ctype.interface not in (None, "IUnknown"):
                env[f"_I_{name}_{i}"] = _by_name.get(p.ctype.interface)
                pre.append(f"    v{i} = _NULL")
                conv.append(f"        v{i} = _iface_ref({a}, _I_{name}_{i})")
                cleanup.append(f"        _unk_release(v{i})")
                call_args.append(f"v{i}")
            elif k == "iface":
                call_args.append(f"_iface_arg({a})")
            else:
                call_args.append(a)
        elif p.direction == "out" and a is None:  # an [out] the call returns
            o = f"o{i}"
            call_args.append(o)
            if k in ("int", "float", "guid", "vbool", "date", "cy", "decimal"):
                env[f"_take_{name}_{i}"], env[f"_give_{name}_{i}"] = _out_pool()  # (see the plain caller)
                pre.append("    try:")
                pre.append(f"        {o} = _take_{name}_{i}()")
                pre.append("    except IndexError:")
                pre.append(f"        {o} = _new_unzeroed({typ(i, c)})")
                gives.append(f"        _give_{name}_{i}({o})")
                results.append(_READ_OUT[k].format(o))
            elif k == "wstr":
                pre.append(f"    {o} = _new({typ(i, c)})")
                if c.startswith("BSTR"):
                    results.append(f"_bstr_take({o})")
                    cleanup.append(f"        _bstr_slot_free({o})")
                else:
                    results.append(f"_wstr_out({o}, {c!r})")
            elif k == "iface":
                pre.append(f"    {o} = _new({typ(i, c)})")
                target = p.iid_is
                if target is not None:
                    idx = [q.name for q in m.args].index(target)
                    results.append(f"_wrap_raw({o}[0], _iface_of({arg_names[idx]}))")
                else:
                    env[f"_I_{name}_{i}"] = p.ctype.interface
                    results.append(f"_wrap_raw({o}[0], _iface_named(_I_{name}_{i}))")
                first.append(len(results) - 1)
            elif k == "variant":
                needs_variant = True
                pre.append(f"    {o} = _new(_VARIANT_P)")
                results.append(f"_vtake({o})")
                cleanup.append(f"        _vfree({o})")
            else:  # safearray
                needs_variant = True
                env[f"_VT_{name}_{i}"] = _declared_vt(p.ctype)
                pre.append(f"    {o} = _new(_VOIDPP)")
                results.append(f"_sa_take({o}, _VT_{name}_{i})")
                cleanup.append(f"        _sa_free({o})")
        elif a is not None and is_value_inout(p):  # [in, out]: the value in, the new value returned
            o = f"o{i}"
            call_args.append(o)
            if k in ("int", "float", "vbool", "date", "cy"):
                pre.append(f"    {o} = _new({typ(i, c)})")
                conv.append(f"        {o}[0] = {_WRITE_IN[k].format(a)}")
                results.append(_READ_OUT[k].format(o))
            elif k == "decimal":
                pre.append(f"    {o} = _new(_DECIMAL_P)")
                conv.append(f"        _dec_write({o}, {a})")
                results.append(f"_dec_read({o})")
            elif k == "wstr":
                pre.append(f"    {o} = _new({typ(i, c)})")
                conv.append(f"        {o}[0] = _bstr_alloc({a})")
                results.append(f"_bstr_take({o})")
                cleanup.append(f"        _bstr_slot_free({o})")
            elif k == "variant":
                needs_variant = True
                pre.append(f"    {o} = _new(_VARIANT_P)")
                conv.append(f"        _vwrite({o}, {a})")
                results.append(f"_vtake({o})")
                cleanup.append(f"        _vfree({o})")
            else:  # safearray
                needs_variant = True
                env[f"_VT_{name}_{i}"] = _declared_vt(p.ctype)
                pre.append(f"    {o} = _new(_VOIDPP)")
                conv.append(f"        {o}[0] = _sa_make(_VT_{name}_{i}, {a})")
                results.append(f"_sa_take({o}, _VT_{name}_{i})")
                cleanup.append(f"        _sa_free({o})")
        else:  # anything else: the caller's own cdata (buffers, [in] pointers)
            assert a is not None
            call_args.append(a)
    if needs_variant and _variant_write is None:
        raise InterfaceError(
            f"{m.interface.__name__ if m.interface else '?'}.{name}: VARIANT and SAFEARRAY parameters need "
            "vtables.variant's conversions: import vtables.variant (vtables.dispatch and vtables.latebound do) "
            "before making this interface's client"
        )
    rs = [f"r{j}" for j in range(len(results))]
    order = first + [j for j in range(len(results)) if j not in first]
    lines = [f"def {name}({_signature(m, arg_names, env)}):", *_PROLOGUE]
    lines.extend(pre)
    several = len(results) > 1
    # when a result can hold references (an interface, a VARIANT, a SAFEARRAY), a later one failing releases them
    guarded = several and any(r.startswith(("_wrap_raw(", "_vtake(", "_sa_take(")) for r in results)
    if guarded or (m.preserve_sig and results):  # (preserve_sig: results stay None after a failure)
        lines.append(f"    {' = '.join(rs)} = None")
    # the [in] conversions and the call: a value they refuse raises the error naming the argument (vtables._convert)
    env[f"_CHK_{name}"] = tuple(in_checker(m, p) for p in m.args)
    body = ["        try:", *("    " + c for c in conv)]
    call = f"self._fns[{m.index}]({', '.join(['p', *call_args])})"
    body.append(f"            c = {call}")
    body.append("        except (TypeError, OverflowError) as e:")
    body.append(
        f"            raise _argument_error(_CHK_{name}, ({''.join(a + ', ' for a in arg_names)}), e) from None"
    )
    call = "c"
    takes = [f"        {rs[j]} = {results[j]}" for j in order] + gives
    if m.returns_hresult:
        body.append(f"        hr = {call}")
        if m.preserve_sig:
            if takes:
                body.append("        if hr >= 0:")
                body.extend("    " + t for t in takes)
        else:
            body.append("        if hr < 0:")
            body.append(f"            _fail(hr, p, {iface_var}.iid)")
            body.extend(takes)
    else:
        body.append(f"        r = {call}")
        body.extend(takes)
    if guarded or cleanup:
        lines.append("    try:")
        lines.extend(body)
        if guarded:
            lines.append("    except BaseException:")
            lines.append(f"        _drop({', '.join(rs)})")
            lines.append("        raise")
        if cleanup:
            lines.append("    finally:")
            lines.extend(cleanup)
    else:
        lines.extend(b[4:] for b in body)
    if m.returns_hresult:
        if m.preserve_sig:
            lines.append(f"    return ({', '.join(['hr', *rs])},)")
        elif not results:
            lines.append("    return hr")
        elif not several:
            lines.append("    return r0")
        else:
            lines.append(f"    return ({', '.join(rs)})")
    elif results:
        lines.append(f"    return ({', '.join(['r', *rs])})")
    else:
        lines.append("    return r")
    return "\n".join(lines) + "\n", env


#: Set by vtables.variant when it is imported (:func:`_use_variant`): its ``write`` and ``to_python``. The client
#: sits below vtables.variant (which wraps interface pointers in ComPtrs) and cannot import it.
_variant_write: Any = None
_variant_to_python: Any = None


def _use_variant(write: Any, to_python: Any) -> None:
    """Called by vtables.variant on import: the VARIANT conversions the Automation callers use."""
    global _variant_write, _variant_to_python
    _variant_write, _variant_to_python = write, to_python


_VARIANT_P = ffi.typeof("VARIANT *")
_DECIMAL_P = ffi.typeof("DECIMAL *")
_VARTYPE_P = ffi.typeof("VARTYPE *")
_VariantClear = function("VariantClear")
_VariantInit = function("VariantInit")
_SafeArrayDestroy = function("SafeArrayDestroy")
_SafeArrayGetVartype = function("SafeArrayGetVartype")
_SysFreeString = function("SysFreeString")
_SysAllocStringLen = function("SysAllocStringLen")
_memmove = ffi.memmove
_unpack = ffi.unpack
_WCHAR_P = ffi.typeof("wchar_t *")
_U32_P = ffi.typeof("uint32_t *")


def _vwrite(pv: Any, value: Any) -> None:
    _variant_write(pv, value)


def _vfree(pv: Any) -> None:
    """VariantClear of a VARIANT the call owns (never raises: a VARIANT it cannot clear is logged and zeroed)."""
    if pv.vt != VT_EMPTY:
        hr = _VariantClear(pv)
        if hr < 0:
            log.error("VariantClear of a call's VARIANT (vt 0x%04X) failed: 0x%08X", pv.vt, hr & 0xFFFFFFFF)
            _VariantInit(pv)


def _vtake(pv: Any) -> Any:
    """The value of an [out] VARIANT the call owns; the VARIANT is cleared (objects in the value are new ComPtrs)."""
    try:
        return _variant_to_python(pv)
    finally:
        _vfree(pv)


def _sa_make(vt: int, value: Any) -> Any:
    """A new SAFEARRAY of ``vt`` (VT_ARRAY | T) holding ``value``, owned by the caller; None is a NULL array."""
    if value is None:
        return _NULL
    tmp = _new(_VARIANT_P)
    _variant_write(tmp, value if isinstance(value, Variant) else Variant(vt, value))
    if tmp.vt != vt:
        _VariantClear(tmp)
        raise TypeError(f"a SAFEARRAY of {vt_name(vt & ~VT_ARRAY)} was declared, not {vt_name(tmp.vt & ~VT_ARRAY)}")
    return tmp.parray


def _sa_destroy(psa: Any) -> None:
    if psa != _NULL:
        hr = _SafeArrayDestroy(psa)
        if hr < 0:
            log.error("SafeArrayDestroy of a call's SAFEARRAY failed: 0x%08X", hr & 0xFFFFFFFF)


def _sa_free(slot: Any) -> None:
    psa = slot[0]
    if psa != _NULL:
        slot[0] = _NULL
        _sa_destroy(psa)


def _sa_take(slot: Any, vt: int) -> Any:
    """The value of the SAFEARRAY in ``*slot`` (its own element type when it records one, else the declared one),
    which is destroyed; None for a NULL array."""
    psa = slot[0]
    if psa == _NULL:
        return None
    slot[0] = _NULL
    try:
        holder = _new(_VARIANT_P)
        elem = _new(_VARTYPE_P)
        holder.vt = VT_ARRAY | (elem[0] if _SafeArrayGetVartype(psa, elem) >= 0 else vt & ~VT_ARRAY)
        holder.parray = psa
        return _variant_to_python(holder)
    finally:
        _sa_destroy(psa)


def _bstr_alloc(text: str | None) -> Any:
    """A new BSTR the call owns (None: NULL)."""
    if text is None:
        return _NULL
    if not isinstance(text, str):
        raise TypeError(f"a BSTR is made from a str (or None), not {type(text).__name__}")
    if text.isascii():  # one UTF-16 unit per character: cffi passes the str itself, NULs included
        b = _SysAllocStringLen(text, len(text))
        if b == _NULL:
            raise MemoryError(f"SysAllocStringLen({len(text)}) failed")
        return b
    return bstr_from_str(text)


def _bstr_take(slot: Any) -> str | None:
    """The text of the BSTR in ``*slot`` (None for NULL), which is freed. Read with one unpack of its length prefix's
    UTF-16 units (pairs joined, lone surrogates kept), as SysStringLen counts them."""
    b = slot[0]
    if b == _NULL:
        return None
    slot[0] = _NULL
    try:
        text: str = _unpack(_cast(_WCHAR_P, b), _cast(_U32_P, b)[-1] >> 1)
        return text
    finally:
        _SysFreeString(b)


def _bstr_slot_free(slot: Any) -> None:
    b = slot[0]
    if b != _NULL:
        slot[0] = _NULL
        _SysFreeString(b)


def _date_arg(value: Any) -> float:
    """A DATE from a datetime or date (or a DATE number, passed as it is)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return date_from_datetime(value)


def _dec_write(p: Any, value: Any) -> None:
    _memmove(p, decimal_to_bytes(value), 16)


def _dec_read(p: Any) -> Any:
    return decimal_from_bytes(_buffer(p, 16))


def _iface_ref(x: Any, iface: type[Interface] | None) -> Any:
    """A new reference to ``x`` as ``iface`` (a client pointer of it or a derived interface: AddRef; another
    pointer or one of our objects: QueryInterface), for an [in] argument; released after the call."""
    if x is None:
        return _NULL
    if isinstance(x, ComPtr) and (iface is None or iface in x.interface.lineage):
        raw = x.as_raw()
        _cast("IUnknown *", raw).lpVtbl.AddRef(raw)
        return raw
    raw = _iface_arg(x)
    if iface is None:
        _cast("IUnknown *", raw).lpVtbl.AddRef(raw)
        return raw
    out = _new(_VOIDPP)
    hr = _cast("IUnknown *", raw).lpVtbl.QueryInterface(raw, iface.iid.cdata(ffi), out)
    if hr < 0:
        raise error_from_hresult(hr, f"an argument of type {iface.__name__} *: the object passed does not answer it")
    return out[0]


def _unk_release(raw: Any) -> None:
    if raw != _NULL:
        _cast("IUnknown *", raw).lpVtbl.Release(raw)


def _drop(*values: Any) -> None:
    """Release the ComPtrs of results already read when a later one fails."""
    for v in values:
        if isinstance(v, ComPtr):
            if not v.released:
                v.release()
        elif isinstance(v, (list, tuple)):
            _drop(*v)


def _iface_of(iid: Any) -> type[Interface] | None:
    return _by_iid.get(iid) if isinstance(iid, Guid) else None


def _iface_named(name: str | None) -> type[Interface] | None:
    return _by_name.get(name) if name else None


_BASE_ENV = {
    "_argument_error": argument_error,
    "_new": _new,
    "_new_unzeroed": ffi.new_allocator(should_clear_after_alloc=False),
    "_dead": _dead,
    "_fail": _fail,
    "_guid_arg": _guid_arg,
    "_iface_arg": _iface_arg,
    "_guid_out": _guid_out,
    "_wstr_out": _wstr_out,
    "_bstr_in": _bstr_in,
    "_wrap_raw": wrap_raw,
    "_iface_of": _iface_of,
    "_iface_named": _iface_named,
    "_NULL": _NULL,
    "_VARIANT_P": _VARIANT_P,
    "_DECIMAL_P": _DECIMAL_P,
    "_VOIDPP": _VOIDPP,
    "_vwrite": _vwrite,
    "_CData": ffi.CData,
    "_vfree": _vfree,
    "_vtake": _vtake,
    "_sa_make": _sa_make,
    "_sa_destroy": _sa_destroy,
    "_sa_free": _sa_free,
    "_sa_take": _sa_take,
    "_bstr_alloc": _bstr_alloc,
    "_bstr_free": _SysFreeString,
    "_bstr_take": _bstr_take,
    "_bstr_slot_free": _bstr_slot_free,
    "_date_arg": _date_arg,
    "_cy_arg": cy_from_decimal,
    "_dec_write": _dec_write,
    "_dec_read": _dec_read,
    "_datetime_from_date": datetime_from_date,
    "_decimal_from_cy": decimal_from_cy,
    "_iface_ref": _iface_ref,
    "_unk_release": _unk_release,
    "_drop": _drop,
}

_IUNKNOWN_METHODS = {"QueryInterface", "AddRef", "Release"}


def client_class(iface: type[Interface]) -> type[ComPtr]:
    """The client pointer class of an interface (made once, on first use)."""
    cls = iface.__dict__.get("_client_class")
    if cls is not None:
        return cls
    base = client_class(iface.lineage[1]) if len(iface.lineage) > 1 else ComPtr
    ns: dict[str, Any] = {"__slots__": (), "interface": iface, "__doc__": f"Client pointer to {iface.__name__}."}
    env = dict(_BASE_ENV)
    env["_IFACE"] = iface
    for m in iface.own_methods:
        if m.name in _IUNKNOWN_METHODS:
            continue  # lifetime goes through release()/query(); raw IUnknown calls stay explicit
        src, extra = _method_source(m, "_IFACE")
        env.update(extra)
        exec(compile(src, f"<vtables client {iface.__name__}.{m.name}>", "exec"), env)
        fn = env[m.name]
        fn.__doc__ = m.signature
        fn.__qualname__ = f"{iface.__name__}Ptr.{m.name}"
        ns[m.name] = fn
    cls = type(f"{iface.__name__}Ptr", (base,), ns)
    # Methods a same-context wrapper may hand straight to the Python object: plain values in and out, and no argument
    # that may be omitted (the vtable caller fills in the declared default; the Python method would use its own).
    cls._fast_names = tuple(
        m.name for i in iface.lineage for m in i.own_methods if m.name not in _IUNKNOWN_METHODS and direct_kinds(m)
    )
    iface._client_class = cls
    return cls
