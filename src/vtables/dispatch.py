"""IDispatch for Python classes (the server side of Automation).

A class answers IDispatch in one of three ways, each with one implementation per member (the methods the vtable
calls, or the class's own public methods):

    class IContract(IDispatch):                       # a dual interface: vtable *and* IDispatch
        iid = "{...}"
        Echo = method("[id(1)] HRESULT Echo([in] VARIANT v, [out, retval] VARIANT *result)")
        get_Name = method("[id(2), propget] HRESULT Name([out, retval] BSTR *value)")
        put_Name = method("[id(2), propput] HRESULT Name([in] BSTR value)")

    class Contract(ComObject, implements=[IContract]):
        progid = "Ole32Bindings.Contract"              # EXCEPINFO's source (else the class name)
        def Echo(self, v): return v
        Name = property(lambda self: self._name, lambda self, v: setattr(self, "_name", v))

    class DContract(DispInterface):                   # a dispinterface: members only as DISPIDs
        iid = "{...}"
        Echo = dispmethod("[id(1)] VARIANT Echo([in] VARIANT v)")

    class Dyn(DispatchObject):                        # no declaration: public methods and attributes
        def Add(self, a, b=0): return a + b

QueryInterface(IID_IDispatch) gives the first implemented interface that derives from IDispatch. Its four methods
are native entry points shared by every class (``vtables.object.slot_providers``); the member tables
(``vtables.members``) are built once per class; a class that defines ``Invoke`` and friends itself keeps them.
This module must be imported before such a class is defined (``from vtables import ComObject`` does it).

Invoke, as Automation defines it (and oleaut32's DispInvoke does it):

* riid must be IID_NULL (else DISP_E_UNKNOWNINTERFACE); pDispParams must not be NULL, nor rgvarg /
  rgdispidNamedArgs when their counts say there are arguments, nor name more arguments than there are
  (E_INVALIDARG). An unknown DISPID, or flags the member does not answer, is DISP_E_MEMBERNOTFOUND.
* Arguments: see ``vtables.members`` (DISP_E_BADPARAMCOUNT, DISP_E_PARAMNOTFOUND, DISP_E_PARAMNOTOPTIONAL).
  A declared parameter's argument is coerced to its type with VariantChangeType's rules; one that cannot be is
  DISP_E_TYPEMISMATCH (or DISP_E_OVERFLOW), a VARIANT with an invalid vt DISP_E_BADVARTYPE, with ``*puArgErr`` the
  argument's index in ``rgvarg``. The implementation receives Python values (``vtables.variant.to_python``; a
  method marked :func:`exact` receives ``Variant`` values that keep the vt); interface pointers it receives are
  *borrowed for the call*: ComPtrs made for them are released when it returns (take your own reference with
  ``ptr.query(...)`` to keep one).
* Results: the [retval] goes to ``*pVarResult`` (when not NULL; a NULL pVarResult discards it), converted to the
  declared type; [in, out] and [out] parameters are written back into VT_BYREF arguments
  (``write_byref_target``). The implementation returns them as the vtable's does: its [out] and [in, out] values in
  declaration order, one bare, several as a tuple. What it returns is copied (objects AddRef'd): it keeps its own
  references.
* A Python exception is DISP_E_EXCEPTION with ``*pExcepInfo`` filled: bstrSource the class's ``progid`` (else its
  name; a ComError's own source wins), bstrDescription the message, scode the ComError's HRESULT or the mapping of
  ``ole32_bindings.hresult.hresult_for_exception``; the BSTRs belong to the caller. With a NULL pExcepInfo the
  same text goes to the thread's IErrorInfo.

GetIDsOfNames is case-insensitive (names[1:] name parameters; unknown -> DISP_E_UNKNOWNNAME, DISPID_UNKNOWN in
those slots). GetTypeInfoCount is 1 and GetTypeInfo(0) the members' type information (``vtables.typeinfo``).
DISPID_NEWENUM answers an IEnumVARIANT (:class:`EnumVariant`; a ``_NewEnum`` implementation may return any
iterable), so VBScript's ``For Each`` works; :class:`Collection` has Count, Item (the default member) and _NewEnum.

Speed (the rules above unchanged): the common call (IID_NULL, positional arguments only, of the vts the member's
parameters declare) takes a fast path, an invoker generated per member and call shape (DISPID, flags, argument
count) that reads the arguments in place, calls the implementation and writes the result. With the native core
(native/core), the Invoke slot of a class with one dispatchable interface is ``vt_Invoke``: it checks the call in
native code and calls that invoker's callback directly, each argument already as its C type (a typed entry) when
there are at most four of LONG, SHORT, double, VARIANT_BOOL or BSTR; everything else goes to the general path.
:func:`direct_call` gives the late-bound client (``vtables.latebound``) in the object's own context the same call
without VARIANTs at all.
"""

from __future__ import annotations

import codecs
import logging
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar

from ole32_bindings.dlls import ffi, function
from ole32_bindings.hresult import ComError, hresult_for_exception, to_signed
from ole32_bindings.memory import bstr_from_str
from ole32_bindings.oavalues import (
    VT_ARRAY,
    VT_BOOL,
    VT_BSTR,
    VT_BYREF,
    VT_DISPATCH,
    VT_EMPTY,
    VT_ERROR,
    VT_I2,
    VT_I4,
    VT_R8,
    VT_UNKNOWN,
    VT_VARIANT,
    Missing,
    Variant,
)

from . import _core
from . import members as _m
from . import thunks as _thunks
from .client import ComPtr, client_class
from .ctypes_ import CType
from .declare import NO_DEFAULT, Interface, InterfaceError, Method
from .interfaces.automation import IDispatch, IEnumVARIANT, IProvideClassInfo
from .interfaces.unknown import IUnknown
from .members import (
    DISPID_NEWENUM,
    DISPID_UNKNOWN,
    DISPID_VALUE,
    Accessor,
    ArgSpec,
    DispatchFailure,
    DispatchTable,
    DispInterface,
    Member,
    declared_vt,
    dispmethod,
    dispproperty,
)
from .object import ComObject, slot_providers
from .thunks import TOMBSTONE, on_callback_error, server_error
from .variant import VariantTypeError, _alloc_bstr, clear, to_python, to_typed, write, write_byref_target

__all__ = [
    "DispatchObject",
    "EnumVariant",
    "Collection",
    "DispInterface",
    "dispmethod",
    "dispproperty",
    "exact",
    "dispatch_table",
    "DISPID_VALUE",
    "DISPID_NEWENUM",
]

log = logging.getLogger("vtables")

_NULL = ffi.NULL
_cast = ffi.cast
_new = ffi.new
_from_handle = ffi.from_handle
_string = ffi.string
_INTPTR = ffi.typeof("intptr_t")
_VARIANT_P = ffi.typeof("VARIANT *")
_DISPPARAMS_P = ffi.typeof("DISPPARAMS *")
_U32_P = ffi.typeof("uint32_t *")
_utf16_encode = codecs.utf_16_le_encode
_VariantChangeType = function("VariantChangeType")
_VariantInit = function("VariantInit")

S_OK = 0
S_FALSE = 1
E_POINTER = to_signed(0x80004003)
E_INVALIDARG = to_signed(0x80070057)
E_UNEXPECTED = to_signed(0x8000FFFF)
CO_E_OBJNOTCONNECTED = to_signed(0x800401FD)
DISP_E_BADINDEX = to_signed(0x8002000B)
_PARAMNOTFOUND = to_signed(0x80020004)
_TABLES = "_com_dispatch_tables"


def exact(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Mark an implementation as taking exact values: through IDispatch (and the vtable) its VARIANT arguments
    arrive as ``Variant`` (``to_typed``: the vt kept) instead of plain Python values, so ``return v`` gives the
    caller back the VARIANT it sent, type included."""
    fn.__vtables_exact__ = True  # type: ignore[attr-defined]
    return fn


# ---- reading arguments ---------------------------------------------------------------------------------------------


class _Released:
    """The ComPtrs made while converting one call's arguments, released when the call is over."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[Any] = []

    def add(self, value: Any) -> Any:
        t = type(value)
        if t is list or t is tuple or isinstance(value, (ComPtr, Variant)):
            self.items.append(value)
        return value

    def release(self) -> None:
        for value in self.items:
            _release_tree(value)
        self.items.clear()


def _release_tree(value: Any) -> None:
    if isinstance(value, ComPtr):
        if not value.released:
            value.release()
    elif isinstance(value, Variant):
        _release_tree(value.value)
    elif isinstance(value, (list, tuple)):
        for v in value:
            if not isinstance(v, (int, float, str, bytes)):
                _release_tree(v)
    else:
        values = getattr(value, "values", None)  # a SafeArray
        if isinstance(values, list):
            _release_tree(values)


def _make_reader(spec: ArgSpec, exact_values: bool) -> Callable[[Any, _Released], Any]:
    """How one argument's VARIANT becomes the value the implementation receives (the vtable thunk's convention for
    the declared type): coerced to the declared type first (VariantChangeType), then read by ``to_python``."""
    ctype = spec.ctype
    if ctype is None or ctype.kind == "variant":
        read = to_typed if exact_values else to_python

        def any_value(pv: Any, owned: _Released) -> Any:
            return owned.add(read(pv))

        return any_value
    vt = declared_vt(ctype)
    if vt is None:
        raise InterfaceError(f"parameter {spec.name}: type {ctype.name!r} cannot be passed through IDispatch")
    if ctype.kind == "iface":
        return _iface_reader(vt)
    if vt & VT_ARRAY:

        def array_value(pv: Any, owned: _Released) -> Any:
            held = pv.vt & ~VT_BYREF
            if not held & VT_ARRAY and held != VT_VARIANT:
                raise DispatchFailure(_m.DISP_E_TYPEMISMATCH)
            value = to_python(pv)
            if not isinstance(value, (list, bytes)):
                raise DispatchFailure(_m.DISP_E_TYPEMISMATCH)
            return owned.add(value)

        return array_value

    def scalar_value(pv: Any, owned: _Released) -> Any:
        held = pv.vt
        if held == vt or held == vt | VT_BYREF:
            return to_python(pv)
        tmp = _new(_VARIANT_P)
        hr = _VariantChangeType(tmp, pv, 0, vt)
        if hr < 0:
            raise DispatchFailure(hr if hr in (_m.DISP_E_OVERFLOW, _m.DISP_E_BADVARTYPE) else _m.DISP_E_TYPEMISMATCH)
        try:
            return to_python(tmp)
        finally:
            clear(tmp)

    return scalar_value


def _iface_reader(vt: int) -> Callable[[Any, _Released], Any]:
    """An interface parameter arrives as the vtable passes it: a raw pointer, borrowed for the call."""

    def iface_value(pv: Any, owned: _Released) -> Any:
        held = pv.vt
        if held in (VT_UNKNOWN, VT_DISPATCH):
            return pv.punkVal
        if held in (VT_UNKNOWN | VT_BYREF, VT_DISPATCH | VT_BYREF):
            return pv.ppunkVal[0]
        if held == VT_EMPTY:
            return _NULL
        tmp = _new(_VARIANT_P)
        hr = _VariantChangeType(tmp, pv, 0, vt)
        if hr < 0:
            raise DispatchFailure(_m.DISP_E_TYPEMISMATCH)
        ptr = client_class(IUnknown).from_raw(tmp.punkVal, direct=False) if tmp.punkVal != _NULL else None
        if ptr is None:
            return _NULL
        owned.add(ptr)  # the coerced reference lives until the call is over
        return ptr.as_raw()

    return iface_value


def _make_writer(ctype: CType | None, exact_values: bool) -> Callable[[Any, Any], None]:
    """How a returned value is stored in a VARIANT that holds nothing: as the declared type (``Variant(vt, v)``),
    or as its natural VARIANT for VARIANT results."""
    vt = declared_vt(ctype)
    if vt is None or ctype is None or ctype.kind == "iface":
        if ctype is None or ctype.kind == "variant":
            return _write_variant
        return write
    if vt == VT_BSTR:

        def write_bstr(pv: Any, value: Any) -> None:
            write(pv, Variant(VT_BSTR, "" if value is None else value))

        write_bstr.__vtables_fast__ = VT_BSTR  # type: ignore[attr-defined]
        return write_bstr

    def write_typed(pv: Any, value: Any) -> None:
        write(pv, value if isinstance(value, Variant) and value.vt == vt else Variant(vt, value))

    write_typed.__vtables_fast__ = vt  # type: ignore[attr-defined]
    return write_typed


def _write_variant(pv: Any, value: Any) -> None:
    """A VARIANT result: ``write``'s natural form."""
    write(pv, value)


_write_variant.__vtables_fast__ = "variant"  # type: ignore[attr-defined]


class _Plan:
    """What the runtime needs for one accessor, made on its first call: the readers of its arguments, the
    implementation's outputs (retval writer; written-back argument positions)."""

    __slots__ = ("readers", "defaults", "passes_in", "outputs", "retval_writer", "single_output", "newenum")

    def __init__(self, acc: Accessor, impl: Any, member: Member) -> None:
        exact_values = bool(getattr(impl, "__vtables_exact__", False))
        self.readers = tuple(_make_reader(a, exact_values) for a in acc.args)
        self.defaults = tuple(_coerced_default(a, r) for a, r in zip(acc.args, self.readers, strict=True))
        self.passes_in = tuple(a.passes_in for a in acc.args)
        positions = {a.name: i for i, a in enumerate(acc.args)}
        self.outputs = tuple(-1 if name == "retval" else positions[name] for name in acc.outputs)
        self.single_output = len(acc.outputs) == 1
        ret_type = None
        m = acc.method
        if m is not None:
            if m.params and m.params[-1].retval:
                ret_type = _pointee(m.params[-1].ctype)
            elif m.restype is not None and m.restype.kind not in ("void",) and not m.returns_hresult:
                ret_type = m.restype
        self.retval_writer = _make_writer(ret_type, exact_values)
        self.newenum = member.dispid == DISPID_NEWENUM


def _coerced_default(spec: ArgSpec, reader: Callable[[Any, _Released], Any]) -> Any:
    """What the implementation receives for an omitted argument: Missing without a ``[defaultvalue(x)]``, else the
    literal read as an argument of the declared type would be (an integer default of a VARIANT_BOOL parameter is
    True or False, of a DATE a datetime), as the vtable's thunk receives the default a client fills in."""
    value = spec.default
    if value is NO_DEFAULT:
        return Missing
    pv = _new(_VARIANT_P)
    try:
        write(pv, value)
        return reader(pv, _Released())  # a literal holds no reference
    except (DispatchFailure, ComError, TypeError, ValueError, OverflowError):
        return value  # a default the declared type cannot hold: given as written
    finally:
        clear(pv)


def _pointee(ctype: CType) -> CType:
    from .ctypes_ import ctype_of

    text = ctype.name.strip()
    return ctype_of(text[: text.rfind("*")]) if text.endswith("*") else ctype


# ---- VARIANT and SAFEARRAY in vtable slots (vtables.thunks.value_converters) -----------------------------------------


class _VariantSlot:
    """A VARIANT parameter of a vtable method: [in] by value (a pointer to the caller's copy), [out] VARIANT *,
    [in, out] VARIANT *."""

    def __init__(self, exact_values: bool) -> None:
        self.read = to_typed if exact_values else to_python

    def read_value(self, p: Any, owned: list[Any]) -> Any:
        value = self.read(p)
        owned.append(value)
        return value

    read_ref = read_value

    def init_out(self, p: Any) -> None:
        _VariantInit(p)

    def write_out(self, p: Any, value: Any) -> None:
        write(p, value)

    def write_ref(self, p: Any, value: Any) -> None:
        made = _new(_VARIANT_P)
        write(made, value)
        _clear_quietly(p)
        ffi.memmove(p, made, ffi.sizeof("VARIANT"))  # the caller's VARIANT takes over what was made

    def fail_out(self, p: Any) -> None:
        _clear_quietly(p)


_SafeArrayDestroy = function("SafeArrayDestroy")
_SafeArrayGetVartype = function("SafeArrayGetVartype")


class _SafeArraySlot:
    """A SAFEARRAY(T) parameter: [in] SAFEARRAY * (read whatever its element type), [out] and [in, out]
    SAFEARRAY ** (a new array of T; the one replaced is destroyed)."""

    def __init__(self, ctype: CType, exact_values: bool) -> None:
        self.vt = declared_vt(ctype) or (VT_ARRAY | VT_VARIANT)
        self.exact = exact_values

    def read_value(self, psa: Any, owned: list[Any]) -> Any:
        if psa == _NULL:
            return None
        vt = _new("VARTYPE *")
        # the array's own element type when it records one (a caller may pass any array), else the declared one
        elem = vt[0] if _SafeArrayGetVartype(psa, vt) >= 0 else self.vt & ~VT_ARRAY
        holder = _new(_VARIANT_P)  # borrowed, never cleared: the array stays the caller's
        holder.vt = VT_ARRAY | elem
        holder.parray = psa
        value = (to_typed if self.exact else to_python)(holder)
        owned.append(value)
        return value

    def read_ref(self, pp: Any, owned: list[Any]) -> Any:
        return self.read_value(pp[0], owned)

    def init_out(self, pp: Any) -> None:
        pp[0] = _NULL

    def _made(self, value: Any) -> Any:
        tmp = _new(_VARIANT_P)
        write(tmp, value if isinstance(value, Variant) else Variant(self.vt, value))
        if tmp.vt != self.vt:
            clear(tmp)
            raise TypeError(f"a SAFEARRAY of {self.vt & ~VT_ARRAY} was declared, not {tmp.vt & ~VT_ARRAY}")
        return tmp.parray

    def write_out(self, pp: Any, value: Any) -> None:
        pp[0] = self._made(value)

    def write_ref(self, pp: Any, value: Any) -> None:
        made = self._made(value)
        old = pp[0]
        pp[0] = made
        if old != _NULL:
            _SafeArrayDestroy(old)

    def fail_out(self, pp: Any) -> None:
        if pp[0] != _NULL:
            _SafeArrayDestroy(pp[0])
            pp[0] = _NULL


class _ValueConverters:
    """What ``vtables.thunks`` asks for VARIANT and SAFEARRAY parameters."""

    @staticmethod
    def converter(ctype: CType, exact_values: bool) -> Any:
        if ctype.kind == "safearray":
            return _SafeArraySlot(ctype, exact_values)
        return _VariantSlot(exact_values)

    @staticmethod
    def release(owned: list[Any]) -> None:
        for value in owned:
            _release_tree(value)


_thunks.value_converters = _ValueConverters()


# ---- the four IDispatch entry points --------------------------------------------------------------------------------


def _tables_of(obj: Any, this: Any) -> DispatchTable:
    tables = obj._com_dispatch_tables
    if len(tables) == 1:
        return tables[0][1]
    k = int(_cast(_INTPTR, this[2]))
    for slot, table in tables:
        if slot == k:
            return table
    raise LookupError(f"no dispatch table for slot {k}")


def _get_type_info_count(this: Any, pctinfo: Any) -> int:
    if pctinfo == _NULL:
        return E_POINTER
    pctinfo[0] = 1
    return S_OK


def _get_type_info(this: Any, index: int, lcid: int, out: Any) -> int:
    if out == _NULL:
        return E_POINTER
    out[0] = _NULL
    if index != 0:
        return DISP_E_BADINDEX
    obj = _from_handle(this[1])
    if obj is TOMBSTONE:
        return CO_E_OBJNOTCONNECTED
    try:
        from .typeinfo import type_info_of

        raw = type_info_of(type(obj), _tables_of(obj, this))
    except ComError as e:
        log.warning("%s: no type information: %s", type(obj).__name__, str(e))
        return to_signed(e.hresult)
    _cast("IUnknown *", raw).lpVtbl.AddRef(raw)
    out[0] = raw
    return S_OK


def _get_ids_of_names(this: Any, riid: Any, names: Any, count: int, lcid: int, ids: Any) -> int:
    obj = _from_handle(this[1])
    if obj is TOMBSTONE:
        return CO_E_OBJNOTCONNECTED
    if riid == _NULL:
        return E_INVALIDARG
    if riid[0] or riid[1]:  # (a REFIID as uint64_t *: IID_NULL is two zero words)
        return _m.DISP_E_UNKNOWNINTERFACE
    if names == _NULL or ids == _NULL or count == 0:
        return E_INVALIDARG
    texts = []
    for i in range(count):
        if names[i] == _NULL:
            return E_INVALIDARG
        texts.append(_string(names[i]))
    table = _tables_of(obj, this)
    hr, found = table.ids_of_names(texts)
    if found and found[0] == DISPID_UNKNOWN and table.grows:
        member = _grow(table, type(obj), obj, texts[0])
        if member is not None:
            hr, found = table.ids_of_names(texts)
    for i, d in enumerate(found):
        ids[i] = d
    return hr


def _grow(table: DispatchTable, cls: type, obj: Any, name: str) -> Member | None:
    """An undeclared class without ``_public_*`` lists: a public attribute of the instance (set in ``__init__``;
    found case-insensitively) gets the next DISPID, for the life of the class."""
    key = name.lower()
    if name.startswith("_") or not name.isidentifier():
        return None
    found = [k for k in getattr(obj, "__dict__", {}) if k.lower() == key and not k.startswith("_")]
    if len(found) != 1:  # none, or names differing only in case (Automation could not tell them apart)
        return None
    with table.lock:
        member = table.by_name.get(key)
        if member is None:
            member = _m.dynamic_member(cls, found[0], table.next_dispid)
            table.next_dispid += 1
            table.add(member)
            table.type_info = None  # (made again, with the new member, when next asked for)
    return member


def _invoke(
    this: Any, dispid: int, riid: Any, lcid: int, flags: int, params: Any, result: Any, excepinfo: Any, argerr: Any
) -> int:
    """IDispatch::Invoke of a class with several dispatchable interfaces: the general path, for every call.
    ``riid`` and ``params`` arrive as ``uint64_t *`` (see ``_SIGNATURES``)."""
    obj = _from_handle(this[1])
    return _invoke_general(obj, this, dispid, riid, flags, params, result, excepinfo, argerr)


def _class_invoke(cls: type) -> Any:
    """IDispatch::Invoke of a class with one dispatch table when the native core is absent (``_VT_INVOKE`` None):
    the checks ``vt_Invoke`` makes in native code, made here, then the same fast invokers (:func:`_fast_invoker`,
    one per call shape, made on its first call); what they do not handle goes to the general path. ``riid`` and
    ``params`` arrive as ``uint64_t *``: IID_NULL is two zero words; word 2 of DISPPARAMS is
    cArgs | cNamedArgs << 32."""
    fast = _fast_table(cls)
    general, from_handle, null, tomb, make = _invoke_general, _from_handle, _NULL, TOMBSTONE, _make_fast

    def invoke(
        this: Any, dispid: int, riid: Any, lcid: int, flags: int, params: Any, result: Any, excepinfo: Any, argerr: Any
    ) -> int:
        handle = this[1]
        if riid != null and params != null and not (riid[0] or riid[1]) and from_handle(handle) is not tomb:
            counts = params[2]
            if counts <= 0x3FFF and (counts == 0 or params[0]):
                key = (dispid & 0xFFFFFFFF) | flags << 32 | counts << 48 | (_NO_RESULT if result == null else 0)
                rg = _cast(_VARIANT_P, params[0]) if counts else null
                vts = 0
                for i in range(min(counts, 4)):
                    vts |= rg[i].vt << (16 * i)
                if result != null:
                    _VariantInit(result)
                inv = fast.get(key)
                if inv is None:
                    inv = make(cls, key)
                hr = inv(handle, vts, -1, rg, result, excepinfo)  # (lens -1: every length read here)
                if hr != _GENERAL:
                    return hr  # type: ignore[no-any-return]
        return general(from_handle(handle), this, dispid, riid, flags, params, result, excepinfo, argerr)

    return ffi.callback(_SIGNATURES["Invoke"], invoke, **_ERROR)


def _native_fast(handle: Any, key: int, vts: int, lens: int, rg: Any, result: Any, call: Any) -> int:
    """The fast callback of ``vt_Invoke`` (native/core) for a call shape it has no entry for yet: the common call
    of a class with one dispatch table, already checked, its *pVarResult VariantInit'ed (``key``, ``vts`` and
    ``lens`` as :func:`_make_fast` and the invokers take them). Makes (and registers) the invoker, then calls it.
    ``_GENERAL`` sends the call on to the general path."""
    obj = _from_handle(handle)
    if obj is TOMBSTONE:
        return _GENERAL
    return _make_fast(type(obj), key)(handle, vts, lens, rg, result, call)  # type: ignore[no-any-return]


def _invoke_general(
    obj: Any, this: Any, dispid: int, riid: Any, flags: int, params: Any, result: Any, excepinfo: Any, argerr: Any
) -> int:
    if obj is TOMBSTONE:
        return CO_E_OBJNOTCONNECTED
    if riid == _NULL:
        return E_INVALIDARG
    if riid[0] or riid[1]:
        return _m.DISP_E_UNKNOWNINTERFACE
    if params == _NULL:
        return E_INVALIDARG
    params = _cast(_DISPPARAMS_P, params)
    cargs = params.cArgs
    cnamed = params.cNamedArgs
    if cnamed > cargs or (cargs and params.rgvarg == _NULL) or (cnamed and params.rgdispidNamedArgs == _NULL):
        return E_INVALIDARG
    if result != _NULL:
        _VariantInit(result)
    tables = obj._com_dispatch_tables
    table = tables[0][1] if len(tables) == 1 else _tables_of(obj, this)
    member = table.by_dispid.get(dispid)
    if member is None:
        return _m.DISP_E_MEMBERNOTFOUND
    acc = member.select(flags)
    if acc is None:
        return _m.DISP_E_MEMBERNOTFOUND
    rgvarg = params.rgvarg
    owned = _Released()
    try:
        if cnamed:
            named = params.rgdispidNamedArgs
            slots = acc.plan(cargs, [named[j] for j in range(cnamed)])
        else:
            slots = acc.plan(cargs, ())
        impl = None if acc.attribute else getattr(obj, acc.target)
        plan = acc.runtime
        if plan is None:
            plan = acc.runtime = _Plan(acc, impl, member)
        values = []
        readers = plan.readers
        passes = plan.passes_in
        for i, s in enumerate(slots):
            if s is None:
                if passes[i]:
                    values.append(plan.defaults[i])
                continue
            pv = rgvarg + s
            if pv.vt == VT_ERROR and pv.scode == _PARAMNOTFOUND and acc.args[i].optional:
                if passes[i]:
                    values.append(plan.defaults[i])
                continue
            if passes[i]:
                try:
                    values.append(readers[i](pv, owned))
                except DispatchFailure as e:
                    e.argerr = s
                    raise
                except VariantTypeError:
                    raise DispatchFailure(_m.DISP_E_BADVARTYPE, s) from None
                except ComError as e:
                    raise DispatchFailure(to_signed(e.hresult), s) from None
        if acc.varargs:
            for s in acc.extra_positional(cargs, cnamed):
                try:
                    values.append(owned.add(to_python(rgvarg + s)))
                except VariantTypeError:
                    raise DispatchFailure(_m.DISP_E_BADVARTYPE, s) from None
    except DispatchFailure as e:
        owned.release()
        if e.argerr is not None and argerr != _NULL:
            argerr[0] = e.argerr
        return e.hresult
    try:
        try:
            if impl is not None:
                value = impl(*values)
            elif acc.is_put:
                setattr(obj, acc.target, values[-1])
                value = None
            else:
                value = getattr(obj, acc.target)
            if plan.newenum and not isinstance(value, (ComObject, ComPtr)):
                value = EnumVariant(value)
            if acc.outputs:
                _store_outputs(plan, acc, value, slots, rgvarg, result)
            elif acc.returns and result != _NULL:
                plan.retval_writer(result, value)
        except BaseException as exc:  # every failure of the implementation becomes EXCEPINFO
            if result != _NULL:
                _clear_quietly(result)
            return _exception(obj, exc, excepinfo)
    finally:
        owned.release()
    return S_OK


# ---- the fast path: a generated invoker per member and call shape, for the common call ------------------------------
#
# A call with every argument positional and given, of the vt its parameter declares (or, for a VARIANT parameter, a
# plain scalar), to a method or a property get of a class with one dispatch table: the invoker reads the arguments
# in place, calls the implementation and writes the result, with no per-call lookup. Invokers are made per call
# shape on first use: the ``key`` = DISPID | wFlags << 32 | cArgs << 48 | (pVarResult NULL) << 62. The first four
# arguments' vts arrive packed (``vts``: rgvarg[i].vt in bits 16i..16i+15) and are compared at once, with the
# lengths of those that are BSTRs (``lens``, the same bits; 0xFFFF: read the length here). An invoker answers
# _GENERAL, having changed nothing, for what it does not handle (another vt, a BSTR of odd length...), and the
# general path does it. With the native core, each invoker is also a callback that vt_Invoke finds by (class, key)
# and calls directly (``vt_invoke_register``).
#
# The same analysis gives the same-context late-bound client (vtables.latebound) a direct call (:func:`direct_call`):
# Python values of exactly the types the client would write as those vts, passed as the invoker would read them.

_GENERAL = 0x7FFF0001  # VT_INVOKE_GENERAL of native/core: "not for the fast path"
_FAST_LIMIT = 1024  # call shapes remembered per class (a caller inventing shapes gets the general path)
_NO_RESULT = 1 << 62  # the key's bit for a NULL pVarResult
_ENTRY_T = "int32_t(*)(void *, int64_t, int64_t, VARIANT *, VARIANT *, void *)"
#: the callbacks registered with vt_Invoke (kept for the life of the process: native code holds them)
_REGISTERED: list[Any] = []

#: the declared vts the fast path reads in place
_FAST_READ = frozenset({VT_I4, VT_R8, VT_BOOL, VT_I2, VT_BSTR})
#: a VARIANT parameter: the vts read by the fast path (plain values; anything else takes the general path)
_FAST_ANY = (VT_I4, VT_R8, VT_BSTR, VT_BOOL, VT_I2)
#: declared vt -> the Python type whose value a client writes as exactly that vt (what the direct call accepts)
_DIRECT_TYPES = {VT_I4: "int", VT_R8: "float", VT_BOOL: "bool", VT_BSTR: "str"}


def _fast_table(cls: type) -> dict[int, Any]:
    """The class's fast invokers by call shape (in its own ``__dict__``: a subclass has its own)."""
    fast = cls.__dict__.get("_com_dispatch_fast")
    if fast is None:
        fast = {}
        type.__setattr__(cls, "_com_dispatch_fast", fast)
    return fast  # type: ignore[no-any-return]


def _general_stub(handle: Any, vts: int, lens: int, rg: Any, result: Any, call: Any) -> int:
    return _GENERAL


def _make_fast(cls: type, key: int) -> Any:
    """Make (once per class and call shape) the fast invoker of ``key``, or the stub answering _GENERAL; with the
    native core, register its entry with vt_Invoke for the class."""
    fast = _fast_table(cls)
    inv = fast.get(key)
    if inv is not None:
        return inv
    dispid, flags, n = to_signed(key & 0xFFFFFFFF), (key >> 32) & 0xFFFF, (key >> 48) & 0x3FFF
    tables = cls.__dict__.get(_TABLES) or getattr(cls, _TABLES)
    member = tables[0][1].by_dispid.get(dispid)
    if member is None:  # (not remembered: a table that grows may give that DISPID to a member later)
        return _general_stub
    made = _fast_invoker(cls, member, flags, n, not key & _NO_RESULT)
    if made is None:
        inv = _general_stub
    else:
        inv, entry = made
    if len(fast) < _FAST_LIMIT:
        fast[key] = inv
        if _VT_INVOKE is not None and made is not None:
            _register(cls, key, *entry)
    return inv


def _register(cls: type, key: int, kind: int, ctype: str, fn: Any, mask: int, expect: int) -> None:
    """vt_Invoke's entry for (cls, key): ``fn`` as a callback of ``ctype``, kept for the life of the process."""
    entry = ffi.callback(ctype, fn, **_ERROR)
    core = _core.ffi
    if _core.lib.vt_invoke_register(
        core.cast("void *", int(_cast("uintptr_t", cls._com_layout.core_class))),  # type: ignore[attr-defined]
        key,
        core.cast("void *", int(_cast("uintptr_t", entry))),
        kind,
        _int64(mask),
        _int64(expect),
    ):
        _REGISTERED.append(entry)


def _int64(bits: int) -> int:
    """64 bits as the signed int64_t that carries them."""
    return bits - (1 << 64) if bits >= 1 << 63 else bits


def _fast_member(cls: type, member: Member, flags: int, n: int) -> tuple[Accessor, Any] | None:
    """The accessor and implementation a fast invoker (or direct call) of ``member`` with ``flags`` and ``n``
    positional arguments calls, or None when the general path must answer such a call."""
    accessors = [a for k, a in member.accessors.items() if k in (1, 2)]  # method, property get
    if len(accessors) != 1:
        return None
    acc = accessors[0]
    if member.select(flags) is not acc or len(acc.args) != n:
        return None
    if acc.attribute or acc.varargs or member.dispid == DISPID_NEWENUM:
        return None
    impl = getattr(cls, acc.target, None)
    if not callable(impl) or getattr(impl, "__vtables_exact__", False):
        return None
    for a in acc.args:
        if not a.passes_in or a.writes_back:
            return None
        if not (a.ctype is None or a.ctype.kind == "variant") and declared_vt(a.ctype) not in _FAST_READ:
            return None
    return acc, impl


def _fast_invoker(cls: type, member: Member, flags: int, n: int, has_result: bool) -> Any:
    """The generated invoker of a call of ``member`` with ``flags`` and ``n`` positional arguments, and the entry
    vt_Invoke calls directly ((kind, C type, function, mask, expect)); None when the member has none."""
    found = _fast_member(cls, member, flags, n)
    if found is None:
        return None
    acc, impl = found
    env: dict[str, Any] = {
        "_impl": impl,
        "_from_handle": _from_handle,
        "_TOMB": TOMBSTONE,
        "_GENERAL": _GENERAL,
        "_read": to_python,
        "_fail": _fast_failure_native if _VT_INVOKE is not None else _fast_failure,
        "_cast": _cast,
        "_unpack": ffi.unpack,
        "_U32_P": _U32_P,
    }
    vts = [None if a.ctype is None or a.ctype.kind == "variant" else declared_vt(a.ctype) for a in acc.args]
    names = [f"a{i}" for i in range(n)]
    call_lines = ["    obj = _from_handle(handle)"]
    call_lines.append("    if obj is _TOMB:  # (destroyed meanwhile: the general path answers)")
    call_lines.append("        return _GENERAL")
    call_lines.append("    try:")
    call_lines.append(f"        r = _impl(obj{''.join(', ' + x for x in names)})")
    if acc.returns and has_result:  # (a method without a result: *pVarResult is VT_EMPTY already)
        plan = _Plan(acc, impl, member)
        env["_write"] = plan.retval_writer
        env.update(_SET_BSTR)
        call_lines += _fast_result_lines(plan.retval_writer)
    call_lines.append("    except BaseException as e:")
    call_lines.append("        return _fail(obj, e, result, call)")
    call_lines.append("    return 0")
    mask = expect = 0
    for i, vt in enumerate(vts):
        k = n - 1 - i  # rgvarg holds the arguments last first
        if vt is not None and k < 4:
            mask |= 0xFFFF << (16 * k)
            expect |= vt << (16 * k)
    if n <= 4 and None not in vts:
        # typed: vt_Invoke checked the vts and passes each argument's value as its C type
        lines = [f"def typed(handle, result, call, lens{''.join(', w' + str(i) for i in range(n))}):"]
        for i, vt in enumerate(vts):
            k = n - 1 - i
            if vt == VT_BSTR:
                lines.append(_FAST_BSTR.format(a=f"a{i}", b=f"w{i}", shift=16 * k))
            elif vt == VT_BOOL:
                lines.append(f"    a{i} = w{i} != 0")
            else:
                lines.append(f"    a{i} = w{i}")
        lines += call_lines
        lines.append("def inv(handle, vts, lens, rg, result, call):")
        lines.append(f"    if vts & {mask:#x} != {expect:#x}:")
        lines.append("        return _GENERAL")
        values = "".join(f", rg[{n - 1 - i}].{_FIELDS[vt]}" for i, vt in enumerate(vts))  # type: ignore[index]
        lines.append(f"    return typed(handle, result, call, lens{values})")
        ctype = f"int32_t(*)(void *, VARIANT *, void *, int64_t{''.join(', ' + _CTYPES[vt] for vt in vts)})"  # type: ignore[index]
        kind, entry_name = _ENTRY_TYPED, "typed"
    else:
        lines = ["def inv(handle, vts, lens, rg, result, call):"]
        if mask:
            lines.append(f"    if vts & {mask:#x} != {expect:#x}:")
            lines.append("        return _GENERAL")
        for i, vt in enumerate(vts):
            k = n - 1 - i
            if vt is None and k < 4:
                lines.append(f"    if (vts >> {16 * k}) & 0xFFFF not in {_FAST_ANY!r}:")
                lines.append("        return _GENERAL")
            elif vt is None:
                lines.append(f"    if rg[{k}].vt not in {_FAST_ANY!r}:")
                lines.append("        return _GENERAL")
            elif k >= 4:
                lines.append(f"    if rg[{k}].vt != {vt}:")
                lines.append("        return _GENERAL")
            if vt is None:
                lines.append(f"    a{i} = _read(rg + {k})")
            elif vt == VT_BSTR:
                read = _FAST_BSTR.format(a=f"a{i}", b="b", shift=16 * k)
                if k >= 4:  # (lens has the first four only)
                    read = read.replace(f"(lens >> {16 * k}) & 0xFFFF", "0xFFFF")
                lines.append(f"    b = rg[{k}].bstrVal")
                lines.append(read)
            elif vt == VT_BOOL:
                lines.append(f"    a{i} = rg[{k}].boolVal != 0")
            else:
                lines.append(f"    a{i} = rg[{k}].{_FIELDS[vt]}")
        lines += call_lines
        ctype, kind, entry_name = _ENTRY_T, _ENTRY_VARIANT, "inv"
    exec(compile("\n".join(lines) + "\n", f"<vtables dispatch {cls.__name__}.{member.name}>", "exec"), env)
    return env["inv"], (kind, ctype, env[entry_name], mask, expect)


_ENTRY_VARIANT, _ENTRY_TYPED = 0, 1  # native/core: VT_ENTRY_VARIANT, VT_ENTRY_TYPED
#: declared vt -> its VARIANT field, and its C type as a typed entry receives it
_FIELDS = {VT_I4: "lVal", VT_R8: "dblVal", VT_BOOL: "boolVal", VT_I2: "iVal", VT_BSTR: "bstrVal"}
_CTYPES = {VT_I4: "int32_t", VT_R8: "double", VT_BOOL: "int16_t", VT_I2: "int16_t", VT_BSTR: "wchar_t *"}
#: a BSTR argument ``{b}`` (its length in ``lens`` at ``{shift}``, 0xFFFF: read here) into ``{a}``
_FAST_BSTR = (
    "    m = (lens >> {shift}) & 0xFFFF\n"
    "    if m == 0xFFFF:\n"
    "        m = _cast(_U32_P, {b})[-1] if {b} else 0  # the length prefix, in bytes\n"
    "        if m & 1:\n"
    "            return _GENERAL  # not UTF-16 text: the general path refuses it\n"
    "        m >>= 1\n"
    "    {a} = _unpack({b}, m) if m else ''"
)


#: how the generated code stores a str result in one call (native core), else with two writes
_SET_BSTR: dict[str, Any] = {"_set": None, "_set_bytes": None, "_alloc": _alloc_bstr, "_encode": _utf16_encode}

_STR_RESULT = [  # ``r`` is a str: the VARIANT ``result`` (which holds nothing) becomes its BSTR
    "            if r.isascii():  # one UTF-16 unit per character",
    "                if _set(result, r, len(r)):",
    "                    raise MemoryError('no memory for the BSTR result')",
    "            else:",
    "                u = _encode(r, 'surrogatepass')[0]",
    "                if _set_bytes(result, u, len(u)):",
    "                    raise MemoryError('no memory for the BSTR result')",
]
_STR_RESULT_PY = [
    "            result.bstrVal = _alloc(r)",
    "            result.vt = 8",
]


def _fast_result_lines(writer: Any) -> list[str]:
    """How the invoker stores the result ``r`` in ``result``: the common types in place (the vt written last), the
    rest by the plan's writer (which writes all of the VARIANT, or nothing)."""
    set_str = _STR_RESULT if _SET_BSTR["_set"] is not None else _STR_RESULT_PY
    kind = getattr(writer, "__vtables_fast__", None)
    if kind == "variant":  # a VARIANT result: its natural form
        return ["        if type(r) is str:", *set_str, "        elif r is not None:", "            _write(result, r)"]
    if kind == VT_BSTR:
        return ["        if type(r) is str:", *set_str, "        else:", "            _write(result, r)"]
    if kind == VT_I4:
        return [
            "        if type(r) is int and -0x80000000 <= r <= 0x7FFFFFFF:",
            "            result.lVal = r",
            "            result.vt = 3",
            "        else:",
            "            _write(result, r)",
        ]
    return ["        _write(result, r)  # (it writes all of the VARIANT, or nothing)"]


def _fast_failure(obj: Any, exc: BaseException, result: Any, excepinfo: Any) -> int:
    if result != _NULL:
        _VariantInit(result)  # nothing was written to it: what it held is the caller's, untouched
    return _exception(obj, exc, excepinfo)


def _fast_failure_native(obj: Any, exc: BaseException, result: Any, call: Any) -> int:
    """``call`` is vt_Invoke's VtInvokeCall: its EXCEPINFO pointer."""
    excepinfo = _cast("EXCEPINFO *", _core.ffi.cast("VtInvokeCall *", call).excepinfo)
    return _fast_failure(obj, exc, result, excepinfo)


# ---- the same-context client's direct call (vtables.latebound) ------------------------------------------------------


class DirectFailure(Exception):
    """What a direct call raises for a failure of the implementation: what Invoke would have reported in EXCEPINFO
    (``scode``, ``source``, ``description``), for the client to raise as its DispatchError."""

    def __init__(self, scode: int, source: str, description: str) -> None:
        super().__init__(scode, source, description)
        self.scode = scode
        self.source = source
        self.description = description


#: what a direct call answers for arguments it does not take (the caller then calls through Invoke)
NOT_DIRECT = object()


def direct_call(cls: type, dispid: int, flags: int, n: int) -> Any:
    """For a late-bound client in the object's own context (vtables.latebound): ``call(obj, args)`` doing what
    IDispatch::Invoke(dispid, flags) with ``n`` positional arguments does, without the VARIANTs: the arguments
    are taken when each is exactly the Python type the client writes as the VARIANT the fast invoker reads (a
    LONG parameter takes an int in its range, BSTR a str, double a float, VARIANT_BOOL a bool, VARIANT any of
    these or None), and the result comes back as the client would read it from the VARIANT the invoker writes
    (plain values as they are; anything else written to a VARIANT and read back with ``to_python``). It answers
    :data:`NOT_DIRECT` for other arguments, raises :class:`DirectFailure` for a failure of the implementation
    (logged as Invoke logs it). None when the member has no fast invoker for such calls (the client then always
    calls Invoke). Made once per class, DISPID, flags and count."""
    cache = cls.__dict__.get("_com_dispatch_direct")
    if cache is None:
        if "_com_dispatch_fast" not in cls.__dict__:
            return None  # (not a class with one dispatch table answered by this module)
        cache = {}
        type.__setattr__(cls, "_com_dispatch_direct", cache)
    key = (dispid, flags, n)
    if key in cache:
        return cache[key]
    tables = cls.__dict__.get(_TABLES) or getattr(cls, _TABLES)
    member = tables[0][1].by_dispid.get(dispid)
    found = None if member is None else _fast_member(cls, member, flags, n)
    call = None
    if found is not None:
        call = _direct_caller(cls, member, *found)  # type: ignore[arg-type]
    if member is not None:
        cache[key] = call
    return call


def _direct_caller(cls: type, member: Member, acc: Accessor, impl: Any) -> Any:
    n = len(acc.args)
    env: dict[str, Any] = {
        "_impl": impl,
        "_NOT": NOT_DIRECT,
        "_Failure": DirectFailure,
        "_text": _failure_text,
        "NoneType": type(None),
    }
    names = [f"a{i}" for i in range(n)]
    lines = ["def call(obj, args):"]
    if n:
        lines.append(f"    {', '.join(names)}{',' if n == 1 else ''} = args")
    for i, a in enumerate(acc.args):
        if a.ctype is None or a.ctype.kind == "variant":
            lines.append(f"    t = type(a{i})")
            lines.append(f"    if t is int and not -0x80000000 <= a{i} <= 0x7FFFFFFF:")
            lines.append("        return _NOT")
            lines.append("    if not (t is str or t is float or t is bool or t is int or t is NoneType):")
            lines.append("        return _NOT")
            continue
        vt = declared_vt(a.ctype)
        kind = _DIRECT_TYPES.get(vt)  # type: ignore[arg-type]
        if kind is None:
            return None
        lines.append(f"    if type(a{i}) is not {kind}:")
        lines.append("        return _NOT")
        if kind == "int":
            lines.append(f"    if not -0x80000000 <= a{i} <= 0x7FFFFFFF:")
            lines.append("        return _NOT")
    lines.append("    try:")
    lines.append(f"        r = _impl(obj{''.join(', ' + x for x in names)})")
    if acc.returns:
        plan = _Plan(acc, impl, member)
        env["_convert"] = _direct_result(plan.retval_writer)
        kind = getattr(plan.retval_writer, "__vtables_fast__", None)
        plain = {
            "variant": "t is str or t is float or t is bool or t is NoneType or "
            "(t is int and -0x8000000000000000 <= r <= 0x7FFFFFFFFFFFFFFF)",
            VT_BSTR: "t is str",
            VT_I4: "t is int and -0x80000000 <= r <= 0x7FFFFFFF",
            VT_R8: "t is float",
            VT_BOOL: "t is bool",
        }.get(kind)
        lines.append("        t = type(r)")
        if plain is not None:
            lines.append(f"        if not ({plain}):")
            lines.append("            r = _convert(r)")
        else:
            lines.append("        r = _convert(r)")
    else:
        lines.append("        r = None")
    lines.append("    except BaseException as e:")
    lines.append("        raise _Failure(*_text(obj, e)) from None")
    lines.append("    return r")
    exec(compile("\n".join(lines) + "\n", f"<vtables direct {cls.__name__}.{member.name}>", "exec"), env)
    return env["call"]


def _direct_result(writer: Any) -> Callable[[Any], Any]:
    """A result that is not a plain value of the declared type: written to a VARIANT as the invoker writes it, then
    read as the client reads it (objects become new ComPtrs, which the client wraps)."""

    def convert(value: Any) -> Any:
        tmp = _new(_VARIANT_P)
        writer(tmp, value)
        try:
            return to_python(tmp)
        finally:
            clear(tmp)

    return convert


def _store_outputs(plan: _Plan, acc: Accessor, value: Any, slots: Any, rgvarg: Any, result: Any) -> None:
    if plan.single_output:
        outs: Any = (value,)
    else:
        if not isinstance(value, tuple) or len(value) != len(plan.outputs):
            raise TypeError(
                f"{acc.target} returns {len(plan.outputs)} values ([out] and [in, out] parameters, then [retval]), "
                f"not {value!r}"
            )
        outs = value
    for position, out in zip(plan.outputs, outs, strict=True):
        if position < 0:
            if result != _NULL:
                plan.retval_writer(result, out)
            continue
        s = slots[position]
        if s is None:
            continue  # an omitted optional [out]: nowhere to write
        pv = rgvarg + s
        if pv.vt & VT_BYREF:
            write_byref_target(pv, out)


def _clear_quietly(pv: Any) -> None:
    try:
        clear(pv)
    except Exception:
        log.exception("VariantClear of a partial result failed")
        _VariantInit(pv)


def _source_of(cls: type) -> str:
    return getattr(cls, "progid", None) or cls.__name__


def _failure_text(obj: Any, exc: BaseException) -> tuple[int, str, str]:
    """What a failure of the implementation reports: (scode, source, description), logged."""
    scode = to_signed(hresult_for_exception(exc))
    source = _source_of(type(obj))
    if isinstance(exc, ComError):
        description = exc.description or str(exc)
        source = exc.source or source
        log.debug("%s: Invoke failed with %s", type(obj).__name__, str(exc))
    else:
        description = str(exc) or type(exc).__name__
        # The traceback as text: a log record holding the exception would keep its frames alive, and with them
        # the caller's (a client in this process, and the references its frames hold).
        log.error(
            "%s: Invoke raised; DISP_E_EXCEPTION, scode 0x%08X\n%s",
            type(obj).__name__,
            scode & 0xFFFFFFFF,
            "".join(traceback.format_exception(exc)).rstrip(),
        )
    if not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit: reported, not swallowed silently
        log.warning("%s escaped into Invoke and became DISP_E_EXCEPTION", type(exc).__name__)
    return scode, source, description


def _exception(obj: Any, exc: BaseException, excepinfo: Any) -> int:
    """A failure of the implementation: DISP_E_EXCEPTION with EXCEPINFO filled (or the thread's IErrorInfo when
    pExcepInfo is NULL)."""
    scode, source, description = _failure_text(obj, exc)
    if excepinfo != _NULL:
        excepinfo.wCode = 0
        excepinfo.wReserved = 0
        excepinfo.bstrSource = _NULL
        excepinfo.bstrDescription = _NULL
        excepinfo.bstrHelpFile = _NULL
        excepinfo.dwHelpContext = 0
        excepinfo.pvReserved = _NULL
        excepinfo.pfnDeferredFillIn = _NULL
        excepinfo.scode = scode
        try:
            excepinfo.bstrSource = bstr_from_str(source)
            excepinfo.bstrDescription = bstr_from_str(description)
        except MemoryError:
            log.error("no memory for EXCEPINFO's strings")
    else:
        try:
            from ole32_bindings.errorinfo import set_error_info

            set_error_info(description, source, IDispatch.iid)
        except Exception:
            log.exception("SetErrorInfo failed")
    return _m.DISP_E_EXCEPTION


# The REFIIDs (and Invoke's DISPPARAMS *) are declared uint64_t * (the same pointer to the ABI): IID_NULL is tested
# as two words, DISPPARAMS' counts read as one.
_SIGNATURES = {m.name: m.c_funcptr().replace("const GUID *", "const uint64_t *") for m in IDispatch.own_methods}
_SIGNATURES["Invoke"] = _SIGNATURES["Invoke"].replace("DISPPARAMS *", "const uint64_t *")
_ERROR = {"error": E_UNEXPECTED, "onerror": on_callback_error}
_SLOTS = {
    "GetTypeInfoCount": ffi.callback(_SIGNATURES["GetTypeInfoCount"], _get_type_info_count, **_ERROR),
    "GetTypeInfo": ffi.callback(_SIGNATURES["GetTypeInfo"], _get_type_info, **_ERROR),
    "GetIDsOfNames": ffi.callback(_SIGNATURES["GetIDsOfNames"], _get_ids_of_names, **_ERROR),
    "Invoke": ffi.callback(_SIGNATURES["Invoke"], _invoke, **_ERROR),
}


def _native_invoke_entry() -> tuple[Any, Any]:
    """vt_Invoke (native/core) with this module's two callbacks set, as a vtable slot value, or (None, None)
    without the native core (or with one that predates vt_Invoke): the Python entry then checks the call."""
    lib = _core.lib
    if lib is None or not all(
        hasattr(lib, name) for name in ("vt_Invoke", "vt_set_invoke", "vt_invoke_register", "vt_variant_set_bstr")
    ):
        return None, None
    fast = ffi.callback(
        "int32_t(*)(void *, int64_t, int64_t, int64_t, VARIANT *, VARIANT *, void *)", _native_fast, **_ERROR
    )
    core = _core.ffi
    general = _SLOTS["Invoke"]
    lib.vt_set_invoke(
        core.cast("void *", int(_cast("uintptr_t", fast))), core.cast("void *", int(_cast("uintptr_t", general)))
    )
    return ffi.cast("void *", int(core.cast("uintptr_t", lib.vt_Invoke))), fast


#: the Invoke slot of a class with one dispatch table (None: each class gets its Python entry, _class_invoke)
_VT_INVOKE, _NATIVE_FAST_CALLBACK = _native_invoke_entry()
if _VT_INVOKE is not None:
    _SET_BSTR["_set"] = _core.lib.vt_variant_set_bstr
    _SET_BSTR["_set_bytes"] = _core.lib.vt_variant_set_bstr_bytes


# ---- building a class's tables ------------------------------------------------------------------------------------


def dispatch_table(cls: type, iface: type[Interface] | None = None) -> DispatchTable:
    """The member table ``cls`` answers IDispatch with (for ``iface``, one of its IDispatch-derived interfaces;
    default: the one QueryInterface(IID_IDispatch) gives)."""
    tables = cls.__dict__.get(_TABLES)
    if not tables:
        raise TypeError(f"{cls.__name__} does not implement IDispatch through vtables.dispatch")
    if iface is None:
        return tables[0][1]
    for k, table in tables:
        if cls._com_layout.interfaces[k] is iface:  # type: ignore[attr-defined]
            return table
    raise LookupError(f"{cls.__name__} does not answer IDispatch for {iface.__name__}")


def _framework() -> tuple[type, ...]:
    return (ComObject, DispatchObject) if "DispatchObject" in globals() else (ComObject,)


def _provide(cls: type, iface: type[Interface], slot: int, m: Method) -> Any:
    """``vtables.object.slot_providers[IDispatch]``: the shared entry point for ``m``, after building (once per
    class and slot) the member table of ``iface`` for ``cls``."""
    tables: list[tuple[int, DispatchTable]] | None = cls.__dict__.get(_TABLES)
    if tables is None:
        tables = []
        type.__setattr__(cls, _TABLES, tables)
    if not any(k == slot for k, _ in tables):
        if iface is IDispatch:
            table = _m.dynamic_table(cls, _framework())
            explicit = any(n in klass.__dict__ for klass in cls.__mro__ for n in ("_public_methods_", "_public_attrs_"))
            table.grows = not explicit
        else:
            table = _m.interface_table(iface, cls)
            _check_implemented(cls, iface, table)
        tables.append((slot, table))
    dispatchable = [i for i in getattr(cls, "implements", ()) if issubclass(i, IDispatch)]
    if m.name == "Invoke" and len(dispatchable) == 1:  # (one per class: its fast invokers are the class's)
        if _VT_INVOKE is not None:
            _fast_table(cls)
            return _VT_INVOKE
        return _class_invoke(cls)
    return _SLOTS[m.name]


def _check_implemented(cls: type, iface: type[Interface], table: DispatchTable) -> None:
    """A dispinterface's members are the class's attributes: a missing method fails at class definition, as a
    missing vtable method does (properties may be instance attributes, so they are not checked)."""
    if not issubclass(iface, DispInterface):
        return
    missing = [
        m.name
        for m in table.members()
        for a in m.accessors.values()
        if not a.attribute and not callable(getattr(cls, a.target, None))
    ]
    if missing:
        raise InterfaceError(f"{cls.__name__} does not implement {iface.__name__}.{', '.join(sorted(set(missing)))}")


slot_providers[IDispatch] = _provide


def _get_class_info(this: Any, out: Any) -> int:
    if out == _NULL:
        return E_POINTER
    out[0] = _NULL
    obj = _from_handle(this[1])
    if obj is TOMBSTONE:
        return CO_E_OBJNOTCONNECTED
    try:
        from .typeinfo import class_info_of

        raw = class_info_of(type(obj))
    except ComError as e:
        log.warning("%s: no class information: %s", type(obj).__name__, str(e))
        return to_signed(e.hresult)
    _cast("IUnknown *", raw).lpVtbl.AddRef(raw)
    out[0] = raw
    return S_OK


_GET_CLASS_INFO = ffi.callback(
    IProvideClassInfo.GetClassInfo.c_funcptr(), _get_class_info, error=E_UNEXPECTED, onerror=on_callback_error
)


def _provide_class_info(cls: type, iface: type[Interface], slot: int, m: Method) -> Any:
    """``vtables.object.slot_providers[IProvideClassInfo]``: GetClassInfo answers the class's coclass type
    information (``vtables.typeinfo``), for a class with a ``clsid`` that answers IDispatch."""
    if getattr(cls, "clsid", None) is None:
        raise InterfaceError(f"{cls.__name__} implements IProvideClassInfo: it needs a clsid (its coclass GUID)")
    return _GET_CLASS_INFO


slot_providers[IProvideClassInfo] = _provide_class_info


# ---- objects: undeclared classes, enumerators, collections ---------------------------------------------------------


class DispatchObject(ComObject, implements=[IDispatch]):
    """Base of classes exposed through IDispatch with no declaration: their public methods, properties and
    attributes are the members (``vtables.members.dynamic_table`` states which, and the DISPID rule). Set
    ``progid`` for EXCEPINFO's source; ``_public_methods_``/``_public_attrs_``/``_readonly_attrs_`` to list names
    (as pywin32's policy does); ``_default_member_`` for DISPID_VALUE; define ``__iter__`` for ``For Each``. A
    subclass may pass ``implements=[...]`` with more interfaces (IDispatch stays the first)."""

    progid: ClassVar[str | None] = None

    def __init_subclass__(cls, implements: Iterable[type[Interface]] | None = None, **kwargs: Any) -> None:
        ifaces = [IDispatch] + [i for i in (implements or ()) if i is not IDispatch]
        super().__init_subclass__(implements=ifaces, **kwargs)


class _Source:
    """The values an enumerator and its clones share: drawn from the iterable as they are first needed."""

    __slots__ = ("iterator", "seen", "lock")

    def __init__(self, iterable: Iterable[Any]) -> None:
        self.iterator: Iterator[Any] | None = iter(iterable)
        self.seen: list[Any] = []
        self.lock = threading.Lock()

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


def _enum_next(this: Any, celt: int, rgvar: Any, fetched: Any) -> int:
    self = _from_handle(this[1])
    if self is TOMBSTONE:
        return CO_E_OBJNOTCONNECTED
    if fetched == _NULL and celt != 1:
        return E_POINTER  # pCeltFetched may be NULL only when one element is asked for
    if celt and rgvar == _NULL:
        return E_POINTER
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
            pv = rgvar + n
            _VariantInit(pv)
            write(pv, value)
            n += 1
            pos += 1
        self._position = pos
    except Exception as exc:
        for i in range(n):
            _clear_quietly(rgvar + i)
        if fetched != _NULL:
            fetched[0] = 0
        if drawing:  # the iterable raised: its exception's HRESULT and IErrorInfo, as any method's would be
            return server_error(exc, self, IEnumVARIANT, "Next")
        log.error("IEnumVARIANT::Next: element %d cannot be a VARIANT: %s", self._position + n, str(exc))
        return to_signed(hresult_for_exception(exc)) if isinstance(exc, ComError) else _m.DISP_E_TYPEMISMATCH
    if fetched != _NULL:
        fetched[0] = n
    return S_OK if n == celt else S_FALSE


_ENUM_NEXT = ffi.callback(IEnumVARIANT.Next.c_funcptr(), _enum_next, error=E_UNEXPECTED, onerror=on_callback_error)


class _RawNext:
    """IEnumVARIANT::Next as a ready slot: its pCeltFetched may be NULL (for one element), which the generated
    thunk of an [out] parameter would refuse."""

    __com_slot__ = _ENUM_NEXT

    def __call__(self, *args: Any) -> Any:  # (never called: the slot is the callback)
        raise NotImplementedError


class EnumVariant(ComObject, implements=[IEnumVARIANT]):
    """An IEnumVARIANT over a Python iterable, drawn lazily; clones share what was drawn and keep their own
    position. Each VARIANT that Next hands out owns its value (BSTRs allocated, interfaces AddRef'd): the caller
    clears it. Values the iterable yields are copied, never taken over."""

    Next = _RawNext()

    def __init__(self, iterable: Iterable[Any], _source: _Source | None = None, _position: int = 0) -> None:
        self._source = _source if _source is not None else _Source(iterable)
        self._position = _position

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

    def Clone(self) -> EnumVariant:
        return EnumVariant((), self._source, self._position)


class Collection(DispatchObject):
    """A read-only collection for scripts: ``Count``, ``Item(index)`` (the default member, so ``c(i)`` works;
    ``base`` is the first index, 0 by default, 1 as VB collections count) and ``_NewEnum`` (``For Each``). An
    index out of range is DISP_E_BADINDEX."""

    _public_methods_: ClassVar[list[str]] = ["Item"]
    _public_attrs_: ClassVar[list[str]] = ["Count"]
    _readonly_attrs_: ClassVar[list[str]] = ["Count"]
    _default_member_: ClassVar[str] = "Item"

    def __init__(self, items: Iterable[Any], base: int = 0) -> None:
        self._items = list(items)
        self._base = base

    @property
    def Count(self) -> int:
        return len(self._items)

    def Item(self, index: Any) -> Any:
        try:
            i = int(index) - self._base
        except (TypeError, ValueError):
            raise ComError(_m.DISP_E_TYPEMISMATCH, f"index {index!r} is not a number") from None
        if not 0 <= i < len(self._items):
            raise ComError(DISP_E_BADINDEX, f"index {index} is out of range")
        return self._items[i]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)
