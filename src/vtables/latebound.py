"""The late-bound client: any IDispatch object called by name, as VBScript and pywin32's ``Dispatch`` call it.

    from vtables.latebound import Dispatch, ByRef, Missing

    with Dispatch("Scripting.Dictionary") as d:
        d.Add("a", 1)                 # a method: Invoke(DISPATCH_METHOD)
        d.CompareMode = 1             # DISPATCH_PROPERTYPUT (PROPERTYPUTREF for an object)
        d["b"] = 2                    # the default member (DISPID_VALUE), put
        n = d.Count                   # a property: Invoke(DISPATCH_PROPERTYGET), converted by vtables.variant
        keys = d.Keys()               # a SAFEARRAY -> list
        for key in d: ...             # DISPID_NEWENUM -> IEnumVARIANT::Next
        len(d), d["a"], d.Item("a")   # Count; DISPID_VALUE get; an indexed property

**Making one.** ``Dispatch(x)``: ``x`` is a ProgID (CLSIDFromProgID), a CLSID (a :class:`Guid` or its ``{...}``
text), a ``ComPtr`` (QueryInterface for IDispatch: a new reference, the caller keeps its own), one of our own
``ComObject``\\ s, or another ``Dispatch``. Activation uses ``clsctx`` (default ``CLSCTX_SERVER``: in-process or
local server, as VBScript's ``CreateObject``, pywin32 and comtypes activate; never an in-process handler).

**Ownership.** A Dispatch holds exactly one reference, released by ``release()`` or on leaving ``with``.
Every object a call returns (a VT_DISPATCH result, an element of an array or enumeration, a ByRef written back)
is a *new* Dispatch that the caller releases the same way; a VT_UNKNOWN result is a ``ComPtr`` (of IUnknown)
the caller releases. Every VARIANT the client puts in DISPPARAMS is cleared after the call, failed or not, and
EXCEPINFO's strings are freed exactly once.

**Names** are resolved once and cached, case-insensitively (``d.count`` is ``d.Count``). With type
information (``GetTypeInfoCount() == 1``) the members of the type are read once per process per type GUID and
shared by every object of that type; names the type information does not list, and every name of an object
without it, go to ``GetIDsOfNames`` once per object. A name the object does not know raises
:class:`UnknownNameError`, an ``AttributeError`` (``hasattr`` works) carrying DISP_E_UNKNOWNNAME.

**Properties and methods.** With type information the FUNCDESC's invoke kind decides: a property (or a
dispinterface variable) is read by the attribute access itself (DISPATCH_PROPERTYGET); a method gives a bound
method, sent when called (DISPATCH_METHOD); a property with required arguments (``Item(Key)``) gives an object
that reads when called or indexed and writes when assigned by index (``d.Item["k"] = v``). Without type
information an attribute access is sent as DISPATCH_METHOD|DISPATCH_PROPERTYGET with no arguments, as
VBScript's ``x = obj.Member`` is; if the object answers that the member needs arguments (DISP_E_BADPARAMCOUNT,
DISP_E_PARAMNOTOPTIONAL, DISP_E_PARAMNOTFOUND) the access gives a bound method instead. So without type
information a member that takes no argument has already run when the attribute is read, and an object that
reports a missing argument otherwise (pywin32's servers raise a Python TypeError: DISP_E_EXCEPTION) fails at the
access. Say which names are methods: ``Dispatch(x, methods=["Join", "Refresh"])`` (their access gives a bound
method and sends nothing, their calls send DISPATCH_METHOD), or call explicitly with :func:`call`
(``call(d, "Refresh")``), or send any flags with :func:`invoke`. Assigning an attribute sends
DISPATCH_PROPERTYPUT, or DISPATCH_PROPERTYPUTREF when the value is an object (a Dispatch, ComPtr or ComObject)
and the type information does not say the property has only a put.

**Arguments** are converted by :func:`vtables.variant.write` (a Dispatch argument is passed as its IDispatch).
Keyword arguments are sent as named arguments (their DISPIDs from GetIDsOfNames, cached per member);
an omitted optional argument is simply not sent; a gap among positional arguments is written ``Missing``
(VT_ERROR, DISP_E_PARAMNOTFOUND). **[in, out] arguments** travel in a :class:`ByRef` box:
``a, b = ByRef(1), ByRef("x"); obj.Swap(a, b)`` then ``a.value == "x"``.

**Errors.** A failed Invoke raises :class:`DispatchError` (a ComError; also the typed ComError of its HRESULT
when there is one), carrying for DISP_E_EXCEPTION the EXCEPINFO's ``source``, ``description`` and ``scode``, and
for DISP_E_TYPEMISMATCH / DISP_E_PARAMNOTFOUND the caller's ``argument`` that ``puArgErr`` named.

**Speed.** A bound method (``mix = d.Mix``) is made once per Dispatch and member and reused by every access: with
the native core (native/core) it holds a prepared call, and a call with positional arguments of plain types (str,
int in VT_I4's range, float, bool, None) makes one native call that builds the VARIANTs, calls Invoke, clears them
and copies a string result out; anything else takes the general path described above, with the same results. When
the object is one of our own Python objects in the caller's context (the Dispatch holds vtables.client's
same-context wrapper), a call whose arguments are exactly the types its parameters declare calls the
implementation directly (``vtables.dispatch.direct_call``): what Invoke would have delivered and returned, a
failure raised as the DispatchError Invoke's EXCEPINFO would have given; other calls go through Invoke.

**The vtable switch** (explicit): ``Dispatch(x, vtable=IFoo)`` holds the object's IFoo pointer (QueryInterface;
IFoo is a dual interface declared with ``vtables.declare``, so derived from IDispatch), and calls every member
IFoo declares whose parameters the declared client converts through IFoo's vtable (``client_class(IFoo)``),
not Invoke; anything else still goes through Invoke on the same pointer. ``vtable=True`` asks for the declared
interface whose IID is the type information's GUID, if the object answers QueryInterface for it;
:func:`vtable_interface` tells which interface a Dispatch calls through (None: Invoke only). The default,
``vtable=False``, is Invoke for everything.
"""

from __future__ import annotations

import codecs
import logging
import struct
from collections.abc import Iterable, Iterator
from typing import Any

from ole32_bindings.activation import clsid_from_progid, create_instance
from ole32_bindings.constants import CLSCTX
from ole32_bindings.dlls import ffi
from ole32_bindings.guid import GUID_NULL, Guid, guid_from_16_bytes
from ole32_bindings.hresult import ComError, NoInterfaceError, hresult_for_exception, to_signed, to_unsigned
from ole32_bindings.memory import bstr_free, bstr_to_str_and_free
from ole32_bindings.oavalues import (
    VT_ARRAY,
    VT_BYREF,
    VT_DISPATCH,
    VT_TYPEMASK,
    VT_UNKNOWN,
    VT_VARIANT,
    Missing,
    Variant,
)

from . import _core
from . import variant as _variant
from ._dispcall import (
    DISP_E_EXCEPTION,
    DISP_E_MEMBERNOTFOUND,
    DISP_E_UNKNOWNNAME,
    DISPATCH_METHOD,
    DISPATCH_PROPERTYGET,
    DISPATCH_PROPERTYPUT,
    DISPATCH_PROPERTYPUTREF,
    DISPID_NEWENUM,
    DISPID_PROPERTYPUT,
    DISPID_UNKNOWN,
    DISPID_VALUE,
    GET,
    INDEXED,
    INVOKE_FUNC,
    INVOKE_PROPERTYGET,
    INVOKE_PROPERTYPUT,
    INVOKE_PROPERTYPUTREF,
    METHOD,
    WANTS_ARGUMENTS,
    ArgPlan,
    ByRef,
    DispatchError,
    Member,
    TypeTable,
    UnknownNameError,
    dispatch_error,
    plan_arguments,
)
from .client import ComPtr, ReleasedPointerError, client_class
from .declare import Interface, interface_for_iid
from .dispatch import NOT_DIRECT as _NOT_DIRECT
from .dispatch import DirectFailure as _DirectFailure
from .dispatch import direct_call as _direct_call
from .interfaces.automation import IDispatch, IEnumVARIANT, ITypeInfo
from .object import ComObject

__all__ = [
    "Dispatch",
    "ByRef",
    "Missing",
    "DispatchError",
    "UnknownNameError",
    "invoke",
    "call",
    "vtable_interface",
    "type_members",
    "DISPATCH_METHOD",
    "DISPATCH_PROPERTYGET",
    "DISPATCH_PROPERTYPUT",
    "DISPATCH_PROPERTYPUTREF",
    "DISPID_VALUE",
    "DISPID_NEWENUM",
    "DISPID_PROPERTYPUT",
    "LOCALE_USER_DEFAULT",
]

log = logging.getLogger("vtables")

LOCALE_USER_DEFAULT = 0x0400
"""The LCID sent with GetIDsOfNames and Invoke unless a Dispatch is given another (``lcid=``)."""

_NULL = ffi.NULL
_new = ffi.new
_cast = ffi.cast
_memmove = ffi.memmove
_write = _variant.write
_to_python = _variant.to_python
_clear = _variant.clear
_VARIANT_P = ffi.typeof("VARIANT *")
_VARIANT_ARRAY = ffi.typeof("VARIANT[]")
_unpack = ffi.unpack
_utf16_encode = codecs.utf_16_le_encode
#: native/core's late-bound call (None without the native core, or one that predates it)
_dispatch_call = getattr(_core.lib, "vt_dispatch_call", None) if _core.lib is not None else None
_dispatch_call0 = getattr(_core.lib, "vt_dispatch_call0", None) if _core.lib is not None else None
_EXCEPINFO_SIZE = ffi.sizeof("EXCEPINFO")
_VARIANT_SIZE = ffi.sizeof("VARIANT")
_ZERO_VARIANT = bytes(_VARIANT_SIZE)
_ZERO_EXCEPINFO = bytes(_EXCEPINFO_SIZE)
_PUTS = DISPATCH_PROPERTYPUT | DISPATCH_PROPERTYPUTREF
#: argument types written as they are (no Dispatch inside to unwrap)
_PLAIN = frozenset({int, str, float, bool, type(None)})
#: scratch buffers of Invoke (_new_scratch): taken and given back per call; list.pop/append are atomic
_POOL: list[tuple[Any, Any, Any, Any]] = []
_IID_NULL = ffi.new("GUID *")  # IDispatch's reserved riid: IID_NULL, a pointer to sixteen zero bytes, never NULL
_NO_PARAMS = ffi.new("DISPPARAMS *")  # no arguments: rgvarg and rgdispidNamedArgs NULL, counts 0 ([in]: shared)
_UINT_MAX = 0xFFFFFFFF
_UNION_OFFSET = 8  # a VARIANT's value starts after vt and three reserved WORDs
_BATCH = 16  # VARIANTs asked of IEnumVARIANT::Next at a time

_GET_IDS = IDispatch.GetIDsOfNames.index
_INVOKE = IDispatch.Invoke.index
_GET_TYPE_INFO_COUNT = IDispatch.GetTypeInfoCount.index
_GET_TYPE_INFO = IDispatch.GetTypeInfo.index

_S_DISP_E_EXCEPTION = to_signed(DISP_E_EXCEPTION)
_S_DISP_E_UNKNOWNNAME = to_signed(DISP_E_UNKNOWNNAME)
_OBJECT_VTS = frozenset({VT_DISPATCH, VT_UNKNOWN, VT_VARIANT})

#: type GUID -> the members read from its type information, shared by every object of that type
_TYPES: dict[Guid, TypeTable] = {}
#: declared dual interface -> lower-cased member name -> how its vtable serves that member
_VTABLE_ROUTES: dict[type[Interface], dict[str, _Route | None]] = {}


class Dispatch:
    """A late-bound reference to an IDispatch object (see the module documentation): attribute access, calls,
    ``obj[i]``, iteration and ``len`` through IDispatch, results converted. Holds one reference: ``release()``
    it, or use ``with``.

    ``Dispatch(source, *, clsctx=CLSCTX.SERVER, lcid=LOCALE_USER_DEFAULT, typeinfo=True, vtable=False,
    methods=())``: ``typeinfo=False`` ignores the object's type information (every member untyped, as VBScript
    sees it); ``vtable`` is the explicit vtable switch; ``methods`` names members to treat as methods when the
    type information does not describe them (an attribute access then gives a bound method and sends nothing,
    and calls send DISPATCH_METHOD): what an object without type information needs for its methods that take
    arguments (pywin32's ``_FlagAsMethod``). Objects it returns inherit ``lcid``, ``typeinfo`` and
    ``vtable=True`` (never a given interface or ``methods``: they are other types)."""

    __slots__ = (
        "_ptr",
        "_table",
        "_dyn",
        "_lcid",
        "_typeinfo",
        "_vtable",
        "_routes",
        "_identity",
        "_methods",
        "_bound",
        "__weakref__",
    )
    _ptr: ComPtr
    _table: TypeTable | None
    _dyn: TypeTable | None
    _lcid: int
    _typeinfo: bool
    _vtable: bool | type[Interface]
    _routes: dict[str, _Route | None] | None
    _identity: int | None
    _methods: frozenset[str]
    _bound: dict[tuple[int, int], Any] | None

    def __init__(
        self,
        source: Any,
        *,
        clsctx: int = CLSCTX.SERVER,
        lcid: int = LOCALE_USER_DEFAULT,
        typeinfo: bool = True,
        vtable: bool | type[Interface] = False,
        methods: Iterable[str] = (),
    ) -> None:
        if isinstance(methods, str):
            raise TypeError("methods= is a collection of names, not one string")
        hints = frozenset(n.lower() for n in methods)
        ptr = _dispatch_pointer(source, clsctx)
        _setup(self, ptr, lcid, typeinfo, vtable, hints)

    # ---- lifetime ---------------------------------------------------------------------------------------------

    def release(self) -> int:
        """Release the reference (once; later use raises ReleasedPointerError). Returns the object's count."""
        _unbind(self)
        return self._ptr.release()

    @property
    def released(self) -> bool:
        """Whether ``release()`` was called."""
        return self._ptr.released

    def __enter__(self) -> Dispatch:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._ptr.released:
            _unbind(self)
            self._ptr.release()

    def _com_raw_for_arg(self) -> Any:
        """Passed as an [in] interface argument of a declared method: the IDispatch pointer, lent."""
        return self._ptr.as_raw()

    # ---- attribute access -------------------------------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__":  # Python's protocols (copy, pickle, ...) are never COM members
            raise AttributeError(name)
        routes = self._routes
        if routes is not None:
            route = _route(routes, name)
            if route is not None:
                if route.get is not None:
                    return route.read(self)
                if route.method is not None:
                    return _VtableMethod(self, route)
        table = self._table
        m = table._by_exact.get(name) if table is not None else None
        if m is None:
            m = self._member(name)
        access = m.access
        if access is GET:
            return self._method(m, DISPATCH_PROPERTYGET)()
        if access is METHOD:
            return self._method(m)
        if access is INDEXED:
            return _IndexedProperty(self, m)
        try:  # untyped: what VBScript sends for `x = obj.Member`
            return self._invoke(m.dispid, DISPATCH_METHOD | DISPATCH_PROPERTYGET, (), (), m.name)
        except DispatchError as e:
            if e.hresult in WANTS_ARGUMENTS:
                return self._method(m)
            raise

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SLOTS:
            object.__setattr__(self, name, value)
            return
        routes = self._routes
        if routes is not None:
            route = _route(routes, name)
            if route is not None and route.put is not None:
                route.write(self, value)
                return
        m = self._member(name)
        self._invoke(m.dispid, m.put_flags(_is_object(value)), (value,), (), m.name)

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a COM member cannot be deleted ({name!r})")

    def __dir__(self) -> list[str]:
        names = set(object.__dir__(self))
        table = self._table if self._table is not None else self._load_table()
        names.update(table.names())
        return sorted(names)

    # ---- the default member, collections ----------------------------------------------------------------------

    def __call__(self, *args: Any, **named: Any) -> Any:
        """Call the default member (DISPID_VALUE) with DISPATCH_METHOD|DISPATCH_PROPERTYGET."""
        flags = DISPATCH_METHOD | DISPATCH_PROPERTYGET
        if named:
            m = self._default_member()
            return self._invoke(DISPID_VALUE, flags, args, self._named(m, named), m.name)
        return self._invoke(DISPID_VALUE, flags, args, (), DISPID_VALUE)

    def __getitem__(self, key: Any) -> Any:
        """``obj[i]``: the default member read with ``i`` (``obj[i, j]``: two arguments)."""
        args = key if type(key) is tuple else (key,)
        return self._invoke(DISPID_VALUE, DISPATCH_PROPERTYGET | DISPATCH_METHOD, args, (), DISPID_VALUE)

    def __setitem__(self, key: Any, value: Any) -> None:
        """``obj[i] = v``: the default member assigned (PROPERTYPUT, or PROPERTYPUTREF for an object)."""
        args = (*key, value) if type(key) is tuple else (key, value)
        table = self._table if self._table is not None else self._load_table()
        m = table.by_dispid(DISPID_VALUE)
        flags = m.put_flags(_is_object(value)) if m is not None else _untyped_put(value)
        self._invoke(DISPID_VALUE, flags, args, (), DISPID_VALUE)

    def __iter__(self) -> Iterator[Any]:
        """``for x in obj``: DISPID_NEWENUM's IEnumVARIANT, read in batches; each value converted as a result is
        (objects are new Dispatches the caller releases). The enumerator is released when the loop ends or the
        iterator is closed or dropped."""
        try:
            unk = self._invoke(DISPID_NEWENUM, DISPATCH_METHOD | DISPATCH_PROPERTYGET, (), (), "_NewEnum", wrap=False)
        except DispatchError as e:
            if e.hresult in (DISP_E_MEMBERNOTFOUND, DISP_E_UNKNOWNNAME):
                raise TypeError(f"{self!r} is not a collection (no DISPID_NEWENUM)") from e
            raise
        if not isinstance(unk, ComPtr):
            _release_all(unk)
            raise TypeError(f"{self!r}: DISPID_NEWENUM returned {type(unk).__name__}, not an enumerator")
        try:
            enum = unk.query(IEnumVARIANT)
        finally:
            unk.release()
        return _enumerate(enum, self._child_options())

    def __len__(self) -> int:
        """``len(obj)``: its ``Count`` property."""
        try:
            m = self._member("Count")
        except UnknownNameError as e:
            raise TypeError(f"{self!r} has no Count") from e
        count = self._invoke(m.dispid, DISPATCH_PROPERTYGET | DISPATCH_METHOD, (), (), m.name)  # property or method
        if isinstance(count, Dispatch) or not isinstance(count, int):
            _release_all(count)
            raise TypeError(f"{self!r}: Count is {type(count).__name__}, not an integer")
        return count

    def __bool__(self) -> bool:
        return True  # an object is true (as in VBScript); len() is not consulted

    # ---- identity -------------------------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        """COM identity: both objects' IUnknown pointers are the same."""
        if not isinstance(other, Dispatch):
            return NotImplemented
        return self._identity_address() == other._identity_address()

    def __hash__(self) -> int:
        return hash(self._identity_address())

    def __repr__(self) -> str:
        if self._ptr.released:
            return "<Dispatch released>"
        table = self._table
        kind = table.name if table is not None and table.name else "IDispatch"
        return f"<Dispatch {kind} 0x{self._ptr.address():x}>"

    # ---- the machinery ----------------------------------------------------------------------------------------

    def _identity_address(self) -> int:
        ident = self._identity
        if ident is None:
            from .interfaces.unknown import IUnknown

            with self._ptr.query(IUnknown) as unk:
                ident = unk.address()  # stable while we hold our reference
            object.__setattr__(self, "_identity", ident)
        return ident

    def _child_options(self) -> tuple[int, bool, bool]:
        return (self._lcid, self._typeinfo, self._vtable is True)

    def _load_table(self) -> TypeTable:
        """The members this object's type information lists (shared per type), or a table of this object's own
        for names from GetIDsOfNames when there is no type information (or ``typeinfo=False``)."""
        table = _read_type_table(self._ptr, self._lcid) if self._typeinfo else None
        if table is None:
            table = TypeTable()
        object.__setattr__(self, "_table", table)
        return table

    def _member(self, name: str) -> Member:
        table = self._table if self._table is not None else self._load_table()
        m = table.get(name)
        if m is not None:
            return m
        dyn = self._dyn
        if table.guid is None:
            dyn = table  # untyped: this object's own table
        elif dyn is None:
            dyn = TypeTable()
            object.__setattr__(self, "_dyn", dyn)
        else:
            m = dyn.get(name)
            if m is not None:
                return m
        unknown, (dispid,) = self._ids_of_names((name,))
        if unknown or dispid == DISPID_UNKNOWN:
            raise dispatch_error(DISP_E_UNKNOWNNAME, f"the object has no member named {name!r}", member=name)
        return dyn.add_dynamic(name, dispid, INVOKE_FUNC if name.lower() in self._methods else 0)

    def _default_member(self) -> Member:
        table = self._table if self._table is not None else self._load_table()
        m = table.by_dispid(DISPID_VALUE)
        if m is None:
            raise TypeError("named arguments to the default member need its name: type information lists none")
        return m

    def _ids_of_names(self, names: tuple[str, ...]) -> tuple[bool, tuple[int, ...]]:
        """GetIDsOfNames: (whether it answered DISP_E_UNKNOWNNAME, the DISPIDs with DISPID_UNKNOWN for the names
        it did not know). Any other failure raises."""
        ptr = self._ptr
        p = ptr.as_raw()
        n = len(names)
        keep = [_new("OLECHAR[]", s) for s in names]  # alive until the call returns
        rg = _new("LPOLESTR[]", keep)
        ids = _new("DISPID[]", n)
        for i in range(n):
            ids[i] = DISPID_UNKNOWN
        hr = ptr._fns[_GET_IDS](p, _IID_NULL, rg, n, self._lcid, ids)
        if hr < 0 and hr != _S_DISP_E_UNKNOWNNAME:
            raise dispatch_error(hr, f"GetIDsOfNames{names!r} failed", member=names[0])
        return hr == _S_DISP_E_UNKNOWNNAME, tuple(ids)

    def _named(self, m: Member, named: dict[str, Any]) -> list[tuple[str, int, Any]]:
        """The named arguments with their DISPIDs (GetIDsOfNames of the member and the names, cached)."""
        keys = tuple(k.lower() for k in named)
        ids = m.named_ids.get(keys)
        if ids is None:
            unknown, got = self._ids_of_names((m.name, *named))
            if unknown:
                bad = [kw for kw, dispid in zip(named, got[1:], strict=True) if dispid == DISPID_UNKNOWN]
                raise DispatchError(
                    DISP_E_UNKNOWNNAME,
                    f"{m.name} has no parameter named {bad[0]!r}" if bad else f"{m.name} refused the names {keys}",
                    member=m.name,
                    argument=bad[0] if bad else None,
                )
            ids = m.named_ids[keys] = got[1:]
        return [(kw, dispid, value) for (kw, value), dispid in zip(named.items(), ids, strict=True)]

    def _method(self, m: Member, flags: int | None = None) -> Any:
        """The bound method of ``m`` (called with ``flags``, by default its ``call_flags``): made once per Dispatch,
        member and flags (a prepared call, :func:`_bound_call`)."""
        if flags is None:
            flags = m.call_flags
        bound = self._bound
        key = (m.dispid, flags)
        if bound is None:
            bound = {}
            object.__setattr__(self, "_bound", bound)
        fn = bound.get(key)
        if fn is None:
            fn = bound[key] = _bound_call(self, m, flags)
        return fn

    def _call(self, m: Member, flags: int, args: tuple[Any, ...], named: dict[str, Any]) -> Any:
        return self._invoke(m.dispid, flags, args, self._named(m, named) if named else (), m.name)

    def _invoke(
        self,
        dispid: int,
        flags: int,
        args: tuple[Any, ...] | list[Any],
        named: Any,
        label: str | int,
        wrap: bool = True,
    ) -> Any:
        """IDispatch::Invoke: DISPPARAMS built from ``args``/``named`` (every VARIANT written is cleared after the
        call, failed or not), the result converted (objects wrapped when ``wrap``), a failure raised as
        DispatchError. The result VARIANT, EXCEPINFO, puArgErr and DISPPARAMS come from a pool of scratch
        buffers, given back empty (a nested call on the same thread takes another set)."""
        ptr = self._ptr
        p = ptr._p
        if p is None:
            ptr.as_raw()  # raises ReleasedPointerError
        put = flags & _PUTS
        try:
            scratch = _POOL.pop()
        except IndexError:
            scratch = _new_scratch()
        result, excepinfo, arg_err, dp = scratch
        rg = refs = plan = boxes = None
        written = hr = vt = 0
        try:
            if args or named or put:
                if named or put:
                    plan = plan_arguments(args, named, flags)
                    values: Any = plan.values
                else:
                    values = args[::-1]
                n = len(values)
                rg = _new(_VARIANT_ARRAY, n)
                for v in values:
                    slot = rg + written
                    t = type(v)
                    if t in _PLAIN:
                        _write(slot, v)
                    elif t is ByRef:
                        if refs is None:
                            refs = _new(_VARIANT_ARRAY, n)
                            boxes = []
                        target = refs + len(boxes)
                        boxes.append((v, target))  # listed first: cleared even if the write fails half-way
                        _write_byref(slot, target, v)
                    else:
                        _write(slot, _argument(v))
                    written += 1
                dp.rgvarg = rg
                dp.cArgs = n
                if plan is not None and plan.named:
                    dp.rgdispidNamedArgs = ids = _new("DISPID[]", plan.named)  # noqa: F841 (alive for the call)
                    dp.cNamedArgs = len(plan.named)
                else:
                    dp.rgdispidNamedArgs = _NULL
                    dp.cNamedArgs = 0
                params = dp
            else:
                params = _NO_PARAMS
            hr = ptr._fns[_INVOKE](
                p, dispid, _IID_NULL, self._lcid, flags, params, _NULL if put else result, excepinfo, arg_err
            )
            if hr < 0:
                if plan is None and written:
                    plan = plan_arguments(args, named, flags)
                raise _invoke_error(hr, excepinfo, arg_err[0], plan or _NO_PLAN, label)
            if boxes:
                for box, target in boxes:  # written back: new values, the caller's (objects included)
                    got = _to_python(target)
                    box.value = self._wrap(got) if wrap else got
            if put:
                return None
            vt = result.vt
            if not vt:
                return None
            value = _to_python(result)
            if wrap and vt & VT_TYPEMASK in _OBJECT_VTS:  # objects, and what may hold them
                value = self._wrap(value)
            return value
        finally:
            if vt or (hr < 0 and not put and result.vt):  # (a failing callee should leave it empty)
                _drop(result)
            if written:
                for i in range(written):
                    _drop(rg + i)
            if boxes:
                for _, target in boxes:
                    if target.vt:
                        _drop(target)
            if hr < 0 or excepinfo.bstrDescription != _NULL or excepinfo.bstrSource != _NULL:
                _reset_excepinfo(excepinfo)  # also a callee that filled it and succeeded: freed all the same
                arg_err[0] = _UINT_MAX
            _POOL.append(scratch)

    def _wrap(self, value: Any) -> Any:
        """Results as the caller sees them: a ComPtr of IDispatch (or an interface derived from it) becomes a
        Dispatch owning that reference; lists are walked."""
        if isinstance(value, ComPtr):
            if issubclass(value.interface, IDispatch):
                return _adopt(value, self._child_options())
            return value
        if type(value) is list:
            for i, v in enumerate(value):
                if isinstance(v, (ComPtr, list)):
                    value[i] = self._wrap(v)
        return value


_SLOTS = frozenset(Dispatch.__slots__)
_NO_PLAN = ArgPlan((), (), ())


def _setup(
    self: Dispatch,
    ptr: ComPtr,
    lcid: int,
    typeinfo: bool,
    vtable: bool | type[Interface],
    methods: frozenset[str] = frozenset(),
) -> None:
    """Fill a new Dispatch; it owns ``ptr`` from here on (released if the vtable switch fails)."""
    _set = object.__setattr__
    _set(self, "_ptr", ptr)
    _set(self, "_table", None)
    _set(self, "_dyn", None)
    _set(self, "_lcid", lcid)
    _set(self, "_typeinfo", typeinfo)
    _set(self, "_vtable", vtable)
    _set(self, "_routes", None)
    _set(self, "_identity", None)
    _set(self, "_methods", methods)
    _set(self, "_bound", None)
    if vtable is not False:
        try:
            _switch_to_vtable(self, vtable)
        except BaseException:
            ptr.release()
            raise


def _adopt(ptr: ComPtr, options: tuple[int, bool, bool]) -> Dispatch:
    """A Dispatch that takes ``ptr``'s reference (no AddRef)."""
    self = object.__new__(Dispatch)
    lcid, typeinfo, auto_vtable = options
    _setup(self, ptr, lcid, typeinfo, True if auto_vtable else False)
    return self


def _dispatch_pointer(source: Any, clsctx: int) -> ComPtr:
    """A new IDispatch reference (a ComPtr) from what ``Dispatch(...)`` accepts."""
    if isinstance(source, str):
        text = source.strip()
        clsid = Guid(text) if text.startswith("{") else clsid_from_progid(text)
        return client_class(IDispatch).from_raw(create_instance(clsid, IDispatch.iid, clsctx))
    if isinstance(source, Guid):
        return client_class(IDispatch).from_raw(create_instance(source, IDispatch.iid, clsctx))
    if isinstance(source, Dispatch):
        return source._ptr.query(IDispatch)
    if isinstance(source, ComPtr):
        return source.query(IDispatch)
    if isinstance(source, ComObject):
        return client_class(IDispatch).from_raw(source.query_raw(IDispatch.iid))
    raise TypeError(
        f"Dispatch() takes a ProgID, a CLSID (Guid or text), a ComPtr, a ComObject or a Dispatch, "
        f"not {type(source).__name__}"
    )


def _is_object(value: Any) -> bool:
    return isinstance(value, (Dispatch, ComPtr, ComObject))


def _untyped_put(value: Any) -> int:
    return DISPATCH_PROPERTYPUTREF if _is_object(value) else DISPATCH_PROPERTYPUT


def _argument(value: Any) -> Any:
    """What ``vtables.variant.write`` is given for an argument: a Dispatch as its pointer (also inside lists)."""
    if type(value) is Dispatch:
        return value._ptr
    if type(value) in (list, tuple) and any(isinstance(v, (Dispatch, list, tuple)) for v in value):
        return [_argument(v) for v in value]
    return value


def _array_base(arr: Any) -> Any:
    """The ``VARIANT *`` of element 0 of a ``vtables.variant.VariantArray``."""
    return arr.cdata


def _write_byref(slot: Any, target: Any, box: ByRef) -> None:
    """``slot`` becomes a VT_BYREF VARIANT referring to ``target`` (a VARIANT of ours), which holds the box's
    value: VT_VARIANT|VT_BYREF -> the whole VARIANT; ``vt|VT_BYREF`` -> its value field. ``slot`` owns nothing
    (clearing a VT_BYREF VARIANT frees nothing); ``target`` is cleared after the call."""
    value = _argument(box.value)
    if box.vt is None:
        _variant.write(target, value)
        slot.byref = _cast("void *", target)
        slot.vt = VT_VARIANT | VT_BYREF
    else:
        vt = box.vt
        if vt & (VT_BYREF | VT_ARRAY) == VT_BYREF or vt in (VT_VARIANT, 0):
            raise TypeError(f"ByRef(vt=...) names the referenced type, not {vt:#x}")
        _variant.write(target, value if isinstance(value, Variant) and value.vt == vt else Variant(vt, value))
        slot.byref = _cast("char *", target) + _UNION_OFFSET
        slot.vt = vt | VT_BYREF


def _drop(v: Any) -> None:
    """VariantClear a VARIANT of ours after a call. One the callee left unclearable (an invalid vt:
    DISP_E_BADVARTYPE) is logged and zeroed: its content cannot be freed, and the error already raised (if any)
    is the one the caller sees."""
    try:
        _clear(v)
    except ComError:
        log.warning("a VARIANT left with vt 0x%04X could not be cleared: its content is abandoned", v.vt)
        _memmove(v, _ZERO_VARIANT, _VARIANT_SIZE)


def _reset_excepinfo(ei: Any) -> None:
    """Free EXCEPINFO's strings that are still there (each exactly once: a string already taken is NULL here),
    then zero the whole structure for its next use."""
    for field in ("bstrSource", "bstrDescription", "bstrHelpFile"):
        b = getattr(ei, field)
        if b != _NULL:
            setattr(ei, field, _NULL)
            bstr_free(b)
    _memmove(ei, _ZERO_EXCEPINFO, _EXCEPINFO_SIZE)


def _new_scratch() -> tuple[Any, Any, Any, Any]:
    """A result VARIANT (VT_EMPTY), a zeroed EXCEPINFO, puArgErr (UINT_MAX: not set) and a DISPPARAMS."""
    return (_new(_VARIANT_P), _new("EXCEPINFO *"), _new("UINT *", _UINT_MAX), _new("DISPPARAMS *"))


def _take_bstr(ei: Any, field: str) -> str | None:
    b = getattr(ei, field)
    if b == _NULL:
        return None
    setattr(ei, field, _NULL)
    return bstr_to_str_and_free(b)


def _invoke_error(hr: int, ei: Any, arg_err: int, plan: ArgPlan, label: str | int) -> DispatchError:
    """The DispatchError of a failed Invoke, with EXCEPINFO's fields (its deferred fill-in run first) for
    DISP_E_EXCEPTION and the caller's argument named by ``puArgErr`` for the codes that set it."""
    u = to_unsigned(hr)
    argument = plan.origin_of(arg_err) if u in _ARG_ERR_CODES else None
    if hr != _S_DISP_E_EXCEPTION:
        return dispatch_error(u, member=label, argument=argument)
    fill = ei.pfnDeferredFillIn
    if fill != _NULL:
        ei.pfnDeferredFillIn = _NULL
        try:
            _cast("HRESULT(*)(EXCEPINFO *)", fill)(ei)
        except Exception:  # pragma: no cover - a fill-in is native code; it cannot raise into Python
            log.debug("EXCEPINFO's deferred fill-in failed", exc_info=True)
    source = _take_bstr(ei, "bstrSource")
    description = _take_bstr(ei, "bstrDescription")
    help_file = _take_bstr(ei, "bstrHelpFile")
    return dispatch_error(
        u,
        description,
        source,
        scode=ei.scode,
        wcode=ei.wCode,
        help_file=help_file,
        help_context=ei.dwHelpContext,
        member=label,
        argument=argument,
    )


_ARG_ERR_CODES = frozenset({0x80020005, 0x80020004})  # DISP_E_TYPEMISMATCH, DISP_E_PARAMNOTFOUND


def _release_all(value: Any) -> None:
    """Release what a converted value holds (a value the caller will not get)."""
    if isinstance(value, (Dispatch, ComPtr)):
        if not value.released:
            value.release()
    elif type(value) is list:
        for v in value:
            _release_all(v)


def _enumerate(enum: ComPtr, options: tuple[int, bool, bool]) -> Iterator[Any]:
    """Values of an IEnumVARIANT (owned: released at the end), fetched ``_BATCH`` at a time into VARIANTs of
    ours; each converted, then cleared, as it is yielded (what was fetched and not yielded is cleared at the
    end)."""
    batch = None
    try:
        batch = _variant.VariantArray(_BATCH)
        base = _array_base(batch)
        while True:
            hr, fetched = enum.Next(_BATCH, base)
            fetched = min(fetched, _BATCH)
            for i in range(fetched):
                slot = base + i
                try:
                    value = _to_python(slot)
                finally:
                    _drop(slot)
                if isinstance(value, ComPtr) and issubclass(value.interface, IDispatch):
                    value = _adopt(value, options)
                yield value
            if hr != 0 or fetched < _BATCH:
                return
    finally:
        if batch is not None:
            batch.clear()
        enum.release()


# ---- bound methods: a prepared call per member (native/core's vt_dispatch_call) -------------------------------------
#
# ``obj.Mix`` is made once per Dispatch and member: a VtDispCall (native/core) holding the IDispatch pointer, DISPID,
# flags and LCID, with its result VARIANT, EXCEPINFO, puArgErr and a text buffer allocated once. A call with
# positional arguments of plain types (str, int, float, bool, None) packs them with one struct.pack per call (a
# packer generated per sequence of argument types: the vts and values in place, strings as text the native side
# turns into BSTRs with one SysAllocStringByteLen each) and makes one native call: Invoke, the arguments cleared,
# a BSTR result copied out as text. The answer (HRESULT, result vt) says what is left to read. Anything else
# (keywords, ByRef, objects, arrays, dates...), a frame already in use (re-entrancy, another thread) or no native
# core: the general path, Dispatch._invoke.

_TEXT_CAP = 512  # UTF-16 units of a result copied out as text (longer: read from the result VARIANT)
_PENDING_PACKED = 0xB57A  # native/core: a BSTR argument still to allocate, from the packed bytes
_PENDING_WIDE = 0xB57B  # ... from the wide string passed beside them
_TEXT_RESULT = 0xFFFF
_CALL_RELEASED = -2
_CALL_NO_MEMORY = -4
_ARG_ABANDONED = 1 << 62
_VARIANT_STRUCT = {  # Python type -> (struct format of its VARIANT, its vt)
    int: ("H6xi12x", 3),  # VT_I4 (VT_I8 beyond: see _packer)
    float: ("H6xd8x", 5),  # VT_R8
    bool: ("H6xh14x", 11),  # VT_BOOL: -1 / 0
    type(None): ("H22x", 0),  # VT_EMPTY
    str: ("HH4xII8x", 8),  # VT_BSTR, pending: (vt, mark, offset, bytes)
}
_SPECS: dict[tuple[type, ...], Any] = {}
_RETRY = object()  # a specialised call answering "not my argument types"


#: Python type -> (its VARIANT vt, the C type vt_dispatch_callN receives it as)
_VALUE_TYPES = {
    str: (8, "wchar_t *"),
    int: (3, "int32_t"),
    float: (5, "double"),
    bool: (11, "int16_t"),
    type(None): (0, "int64_t"),
}


def _typed_call(types: tuple[type, ...]) -> tuple[Any, int, str] | None:
    """vt_dispatch_callN as a function of these argument types (1 to 4), the vts word, and the expression of the
    lengths word (strings' lengths in UTF-16 units: ASCII ones, one unit per character); None beyond four or
    without the native entry."""
    n = len(types)
    fn = getattr(_core.lib, f"vt_dispatch_call{n}", None) if 1 <= n <= 4 else None
    if fn is None:
        return None
    ctype = "int64_t(*)(void *, int64_t, int64_t, int64_t, " + ", ".join(_VALUE_TYPES[t][1] for t in types) + ")"
    typed = _core.ffi.cast(ctype, fn)
    vts = 0
    for i, t in enumerate(types):
        vts |= _VALUE_TYPES[t][0] << (16 * i)
    lens = " | ".join(f"len(a{i}) << {16 * i}" for i, t in enumerate(types) if t is str)
    return typed, vts, f"({lens})" if lens else "0"


def _spec_factory(types: tuple[type, ...]) -> Any:
    """``make(c, text, busy, finish)`` -> ``spec(args)``: the call of a bound member with arguments of exactly
    these types (generated once per sequence of types, made once per bound member): it checks the types (and int
    ranges), packs the VARIANTs with one struct.pack, makes the native call and reads what it answers (None, a
    text, or ``finish`` for the rest). ``_RETRY`` when ``args`` do not fit. None when these types are not packable."""
    if types in _SPECS:
        return _SPECS[types]
    if not types or len(types) > 32 or any(t not in _VARIANT_STRUCT for t in types):
        _SPECS[types] = None
        return None
    n = len(types)
    names = [f"a{i}" for i in range(n)]
    strings = [i for i, t in enumerate(types) if t is str]
    fmt = "<" + "".join(_VARIANT_STRUCT[types[n - 1 - k]][0] for k in range(n))  # rgvarg: the last argument first
    wide_values: list[str] = []
    packed_values: list[str] = []
    for k in range(n):
        i = n - 1 - k
        t = types[i]
        vt = _VARIANT_STRUCT[t][1]
        if t is str:
            j = strings.index(i)
            before_w = " + ".join(["0"] + [f"2 * len(a{x})" for x in strings[:j]])
            before_p = " + ".join([str(24 * n)] + [f"len(u{x})" for x in strings[:j]])
            wide_values += [str(vt), str(_PENDING_WIDE), before_w, f"2 * len(a{i})"]
            packed_values += [str(vt), str(_PENDING_PACKED), before_p, f"len(u{i})"]
        elif t is bool:
            wide_values += [str(vt), f"-1 if a{i} else 0"]
            packed_values += [str(vt), f"-1 if a{i} else 0"]
        elif t is type(None):
            wide_values.append("0")
            packed_values.append("0")
        else:
            wide_values += [str(vt), f"a{i}"]
            packed_values += [str(vt), f"a{i}"]
    type_names = {str: "str", int: "int", float: "float", bool: "bool", type(None): "NoneType"}
    checks = [f"type({a}) is not {type_names[t]}" for a, t in zip(names, types, strict=True)]
    lines = [
        "def make(c, text, busy, finish):",
        "    def spec(args):",
        f"        if len(args) != {n}:",
        "            return _RETRY",
        f"        {', '.join(names)}{',' if n == 1 else ''} = args",
        "        if " + " or ".join(checks) + ":",
        "            return _RETRY",
    ]
    for i, t in enumerate(types):
        if t is int:
            lines.append(f"        if not -0x80000000 <= a{i} <= 0x7FFFFFFF:")
            lines.append("            return _RETRY  # (VT_I8, or beyond: the general path)")
    typed = _typed_call(types)
    encoded = [f"            u{i} = _encode(a{i}, 'surrogatepass')[0]" for i in strings]
    texts = " + ".join(f"u{i}" for i in strings)
    packed_call = f"            r = _call(c, _pack({', '.join(packed_values)}) + {texts}, {n}, _NULL)"
    if typed is not None:  # the values as vt_dispatch_callN's arguments (ASCII strings: their own text)
        values = ", ".join(
            f"-1 if a{i} else 0" if t is bool else "0" if t is type(None) else f"a{i}" for i, t in enumerate(types)
        )
        typed_call = f"r = _typed(c, {typed[1]:#x}, {typed[2]}, 0, {values})"
        if strings:
            lines.append("        if " + " and ".join(f"a{i}.isascii() and len(a{i}) < 0xFFFF" for i in strings) + ":")
            lines.append("            " + typed_call)
            lines.append("        else:")
            lines += encoded
            lines.append(packed_call)
        else:
            lines.append("        " + typed_call)
    elif not strings:
        lines.append(f"        r = _call(c, _pack({', '.join(wide_values)}), {n}, _NULL)")
    else:
        lines.append("        if " + " and ".join(f"a{i}.isascii()" for i in strings) + ":  # one UTF-16 unit each")
        lines.append(
            f"            r = _call(c, _pack({', '.join(wide_values)}), {n}, {' + '.join(f'a{i}' for i in strings)})"
        )
        lines.append("        else:")
        lines += encoded
        lines.append(packed_call)
    lines += [
        "        if r == 0:",
        "            return None",
        "        if r & 0x4000FFFFFFFFFFFF == 0xFFFF00000000:  # S_OK, a text result",
        "            value = _unpack(text, r >> 48)",
        "            busy[0] = 0",
        "            return value",
        "        return finish(r, args)",
        "    return spec",
    ]
    env: dict[str, Any] = {
        "_call": _dispatch_call,
        "_typed": typed[0] if typed is not None else None,
        "_pack": struct.Struct(fmt).pack,
        "_encode": _utf16_encode,
        "_unpack": _unpack,
        "_NULL": _core.ffi.NULL,
        "_RETRY": _RETRY,
        "NoneType": type(None),
    }
    exec(compile("\n".join(lines) + "\n", f"<vtables latebound call {types}>", "exec"), env)
    make = _SPECS[types] = env["make"]
    return make


class _Frame:
    """A bound member's prepared call (native/core's VtDispCall) and the buffers it points at, owned here."""

    __slots__ = ("c", "result", "excepinfo", "arg_err", "text", "busy", "__weakref__")

    def __init__(self, disp: Any, dispid: int, flags: int, lcid: int) -> None:
        core = _core.ffi
        self.result = _new(_VARIANT_P)
        self.excepinfo = _new("EXCEPINFO *")
        self.arg_err = _new("UINT *", _UINT_MAX)
        self.text = _new("wchar_t[]", _TEXT_CAP)
        c = self.c = core.new("VtDispCall *")

        def addr(p: Any) -> Any:
            return core.cast("void *", int(_cast("uintptr_t", p)))

        c.disp = addr(disp)
        c.dispid = dispid
        c.lcid = lcid
        c.flags = flags
        c.textcap = _TEXT_CAP
        c.result = addr(self.result)
        c.excepinfo = addr(self.excepinfo)
        c.argerr = addr(self.arg_err)
        c.text = addr(self.text)
        self.busy = core.cast("int32_t *", core.addressof(c, "busy"))


def _unbind(obj: Dispatch) -> None:
    """The Dispatch lets its reference go: its bound methods refuse from now on (prepared calls answer
    VT_CALL_RELEASED, direct calls see their ``_alive`` cell cleared)."""
    bound = obj._bound
    if bound:
        for fn in bound.values():
            frame = getattr(fn, "_frame", None)
            if frame is not None:
                frame.c.disp = _core.ffi.NULL
            alive = getattr(fn, "_alive", None)
            if alive is not None:
                alive[0] = False
        bound.clear()  # (and no cycle Dispatch -> bound method -> Dispatch is left)


def _bound_call(obj: Dispatch, m: Member, flags: int) -> Any:
    """``obj.<m>`` as a callable: a direct call for one of our objects in the caller's context, else the prepared
    call (native/core present) for plain positional arguments, and the general path (``Dispatch._invoke``) for
    the rest."""
    native = _native_bound(obj, m, flags) if _dispatch_call is not None else _Method(obj, m)
    target = _same_context_object(obj)
    if target is not None:
        return _direct_bound(obj, m, flags, target, native)
    return native


def _same_context_object(obj: Dispatch) -> Any:
    """The Python object behind the Dispatch's pointer when vtables.client gave it a same-context wrapper (one of
    our objects, in the caller's context), and its class answers IDispatch through vtables.dispatch with one
    dispatch table; else None."""
    target = getattr(obj._ptr, "__dict__", {}).get("_com_object")
    if target is None or "_com_dispatch_fast" not in type(target).__dict__:
        return None
    return target


_PLAIN_RESULTS = frozenset({str, int, float, bool, type(None)})


def _direct_bound(obj: Dispatch, m: Member, flags: int, target: Any, native: Any) -> Any:
    """``obj.<m>`` when ``target`` (our Python object, in the caller's context) is behind it: calls its
    implementation directly when vtables.dispatch can say exactly what Invoke would do (``direct_call``: plain
    arguments of the declared types, the result as the VARIANT would carry it, a failure as EXCEPINFO would report
    it), else the prepared call ``native``, through IDispatch::Invoke."""
    dispid, name = m.dispid, m.name
    cls = type(target)
    directs: dict[int, Any] = {}
    alive = [True]  # cleared by _unbind
    wrap = obj._wrap

    def bound(*args: Any, **named: Any) -> Any:
        if not named:
            call = directs.get(len(args))
            if call is None:
                call = directs[len(args)] = _direct_call(cls, dispid, flags, len(args)) or False
            if call:
                if not alive[0]:
                    raise ReleasedPointerError(description=f"{name}: the Dispatch was released")
                try:
                    r = call(target, args)
                except _DirectFailure as f:
                    raise dispatch_error(
                        DISP_E_EXCEPTION,
                        f.description,
                        f.source,
                        scode=f.scode,
                        wcode=0,
                        help_file=None,
                        help_context=0,
                        member=name,
                    ) from None
                if r is not _NOT_DIRECT:
                    return r if type(r) in _PLAIN_RESULTS else wrap(r)
        return native(*args, **named)

    bound.__qualname__ = bound.__name__ = f"{name} (late-bound, same context)"
    bound._frame = getattr(native, "_frame", None)  # type: ignore[attr-defined]
    bound._alive = alive  # type: ignore[attr-defined]
    return bound


def _native_bound(obj: Dispatch, m: Member, flags: int) -> Any:
    """``obj.<m>`` through a prepared call (a new frame)."""
    frame = _Frame(obj._ptr.as_raw(), m.dispid, flags, obj._lcid)
    dispid, name = m.dispid, m.name
    invoke = obj._invoke
    c = frame.c
    call0 = _dispatch_call0
    text, result, busy = frame.text, frame.result, frame.busy

    def finish(r: int, args: tuple[Any, ...]) -> Any:
        """What the native call left: its failure, a result to read (the frame given back after)."""
        if r < 0:
            if r == _CALL_RELEASED:
                raise ReleasedPointerError(description=f"{name}: the Dispatch was released")
            if r == _CALL_NO_MEMORY:  # (as vtables.variant.write reports it; nothing was sent)
                raise MemoryError(f"{name}: no memory for a BSTR argument")
            return invoke(dispid, flags, args, (), name)  # the frame is in use (re-entrant or another thread)
        if r & _ARG_ABANDONED:
            log.warning("%s: an argument VARIANT the callee left with an invalid vt could not be cleared", name)
        hr = r & 0xFFFFFFFF
        vt = (r >> 32) & 0xFFFF
        if hr < 0x80000000 and not vt:
            return None  # (the native side gave the frame back)
        try:
            if hr >= 0x80000000:
                if vt:
                    _drop(result)
                raise _invoke_error(
                    to_signed(hr), frame.excepinfo, frame.arg_err[0], plan_arguments(args, (), flags), name
                )
            if vt == _TEXT_RESULT:
                return _unpack(text, (r >> 48) & 0x3FFF)
            try:
                value = _to_python(result)
            finally:
                _drop(result)
            if vt & VT_TYPEMASK in _OBJECT_VTS:
                value = obj._wrap(value)
            return value
        finally:
            if hr >= 0x80000000:
                _reset_excepinfo(frame.excepinfo)
                frame.arg_err[0] = _UINT_MAX
            busy[0] = 0

    def retry(args: tuple[Any, ...]) -> Any:
        """Arguments of other types than the last call's: the specialised call for theirs (made once), or the
        general path when they are not all plain."""
        nonlocal spec
        make = _spec_factory(tuple(map(type, args)))
        if make is None:
            return invoke(dispid, flags, args, (), name)
        spec = make(c, text, busy, finish)
        r = spec(args)
        return invoke(dispid, flags, args, (), name) if r is _RETRY else r  # (an int beyond VT_I4's range...)

    spec = retry

    def bound(*args: Any, **named: Any) -> Any:
        if named:
            return invoke(dispid, flags, args, obj._named(m, named), name)
        if args:
            r = spec(args)
            return retry(args) if r is _RETRY else r
        r = call0(c)
        if r == 0:
            return None
        return finish(r, args)

    bound.__qualname__ = bound.__name__ = f"{name} (late-bound)"
    bound._frame = frame  # type: ignore[attr-defined]
    return bound


class _Method:
    """A member called as a method: ``obj.Add`` is one; calling it sends Invoke."""

    __slots__ = ("_obj", "_member")

    def __init__(self, obj: Dispatch, member: Member) -> None:
        self._obj = obj
        self._member = member

    def __call__(self, *args: Any, **named: Any) -> Any:
        m = self._member
        obj = self._obj
        return obj._invoke(m.dispid, m.call_flags, args, obj._named(m, named) if named else (), m.name)

    def __repr__(self) -> str:
        return f"<late-bound method {self._member.name} of {self._obj!r}>"


class _IndexedProperty:
    """A property with arguments (``Item(Key)``): ``p(k)`` and ``p[k]`` read it, ``p[k] = v`` writes it."""

    __slots__ = ("_obj", "_member")

    def __init__(self, obj: Dispatch, member: Member) -> None:
        self._obj = obj
        self._member = member

    def __call__(self, *args: Any, **named: Any) -> Any:
        return self._obj._call(self._member, DISPATCH_PROPERTYGET, args, named)

    def __getitem__(self, key: Any) -> Any:
        args = key if type(key) is tuple else (key,)
        return self._obj._call(self._member, DISPATCH_PROPERTYGET, args, {})

    def __setitem__(self, key: Any, value: Any) -> None:
        args = (*key, value) if type(key) is tuple else (key, value)
        m = self._member
        self._obj._call(m, m.put_flags(_is_object(value)), args, {})

    def __repr__(self) -> str:
        return f"<late-bound indexed property {self._member.name} of {self._obj!r}>"


# ---- type information -------------------------------------------------------------------------------------------

_TKIND_INTERFACE = 3
_TYPEFLAG_FDUAL = 0x40
_FUNCFLAG_FRESTRICTED = 0x1
_VARFLAG_FREADONLY = 0x1
_MEMBERID_NIL = -1
_BASE_IIDS = frozenset({IDispatch.iid, Guid("{00000000-0000-0000-C000-000000000046}")})


def _read_type_table(ptr: ComPtr, lcid: int) -> TypeTable | None:
    """The shared TypeTable of the object's type (read on first use), or None without type information (count
    0, or GetTypeInfo failing: both are allowed, and the object is then called untyped)."""
    p = ptr.as_raw()
    count = _new("UINT *")
    if ptr._fns[_GET_TYPE_INFO_COUNT](p, count) < 0 or count[0] == 0:
        return None
    out = _new("void **")
    if ptr._fns[_GET_TYPE_INFO](p, 0, lcid, out) < 0 or out[0] == _NULL:
        return None
    with client_class(ITypeInfo).from_raw(out[0]) as ti:
        try:
            guid, typekind, flags, _ = _type_attr(ti)
            table = _TYPES.get(guid) if guid != GUID_NULL else None
            if table is not None:
                return table
            name = ti.GetDocumentation(_MEMBERID_NIL)[0] or ""
            table = TypeTable(guid, name, bool(flags & _TYPEFLAG_FDUAL), typekind)
            _fill_table(ti, table, 0)
        except ComError:
            log.debug("could not read the type information of %r: calling it untyped", ptr, exc_info=True)
            return None
    if guid != GUID_NULL:
        table = _TYPES.setdefault(guid, table)
    return table


def _type_attr(ti: Any) -> tuple[Guid, int, int, tuple[int, int, int]]:
    """(guid, typekind, wTypeFlags, (cFuncs, cVars, cImplTypes)) of an ITypeInfo."""
    out = _new("TYPEATTR **")
    ti.GetTypeAttr(out)
    a = out[0]
    try:
        return (
            guid_from_16_bytes(bytes(ffi.buffer(ffi.addressof(a, "guid"), 16))),
            a.typekind,
            a.wTypeFlags,
            (a.cFuncs, a.cVars, a.cImplTypes),
        )
    finally:
        ti.ReleaseTypeAttr(a)


def _names(ti: Any, memid: int, n: int) -> list[str]:
    """ITypeInfo::GetNames: the member's name then its parameters' (BSTRs freed here)."""
    rg = _new("BSTR[]", n)
    got = ti.GetNames(memid, rg, n)
    return [bstr_to_str_and_free(rg[i]) for i in range(min(got, n))]


def _fill_table(ti: Any, table: TypeTable, depth: int) -> None:
    _, typekind, _, (cfuncs, cvars, cimpl) = _type_attr(ti)
    fd_out = _new("FUNCDESC **")
    for i in range(cfuncs):
        ti.GetFuncDesc(i, fd_out)
        fd = fd_out[0]
        try:
            memid, invkind, cparams, fflags = fd.memid, fd.invkind, fd.cParams, fd.wFuncFlags
            pflags = [fd.lprgelemdescParam[k].paramdesc.wParamFlags for k in range(cparams)]
        finally:
            ti.ReleaseFuncDesc(fd)
        names = _names(ti, memid, cparams + 1)
        if not names:
            continue
        pnames = names[1:] + [f"arg{k}" for k in range(len(names) - 1, cparams)]
        table.add_function(
            names[0], memid, invkind, zip(pnames, pflags, strict=True), bool(fflags & _FUNCFLAG_FRESTRICTED)
        )
    vd_out = _new("VARDESC **")
    for i in range(cvars):
        ti.GetVarDesc(i, vd_out)
        vd = vd_out[0]
        try:
            memid, vflags = vd.memid, vd.wVarFlags
        finally:
            ti.ReleaseVarDesc(vd)
        names = _names(ti, memid, 1)
        if names:
            table.add_variable(names[0], memid, bool(vflags & _VARFLAG_FREADONLY))
    if typekind == _TKIND_INTERFACE and cimpl and depth < 32:  # a vtable view lists only its own: walk the bases
        href = ti.GetRefTypeOfImplType(0)
        with ti.GetRefTypeInfo(href) as base:
            if _type_attr(base)[0] not in _BASE_IIDS:
                _fill_table(base, table, depth + 1)


def type_members(obj: Dispatch) -> list[str]:
    """The member names the object's type information lists (empty without type information)."""
    table = obj._table if obj._table is not None else obj._load_table()
    return table.names()


# ---- the vtable switch ------------------------------------------------------------------------------------------


class _Route:
    """How a declared dual interface's vtable serves one member: the client methods that get, put and call it
    (names of ``client_class(iface)`` attributes), and the method's parameter names for keywords."""

    __slots__ = ("member", "get", "put", "method", "params", "defaults", "has_results")

    def __init__(self, member: str) -> None:
        self.member = member
        self.get: str | None = None
        self.put: str | None = None
        self.method: str | None = None
        self.params: tuple[str, ...] = ()
        self.defaults: tuple[Any, ...] = ()
        self.has_results = True

    def read(self, obj: Dispatch) -> Any:
        assert self.get is not None
        return _vtable_result(obj, _vtable_call(obj, self.get, (), self.member))

    def write(self, obj: Dispatch, value: Any) -> None:
        assert self.put is not None
        _vtable_call(obj, self.put, (_argument(value),), self.member)


def _route(routes: dict[str, _Route | None], name: str) -> _Route | None:
    """The vtable route of a member (any case), or None: each spelling is looked up in lower case once, then
    remembered as written (misses too)."""
    try:
        return routes[name]
    except KeyError:
        route = routes[name] = routes.get(name.lower())
        return route


def _vtable_call(obj: Dispatch, name: str, args: Any, member: str) -> Any:
    """Call the declared client method ``name`` of ``obj``'s pointer, raising what Invoke would have raised
    (ITypeInfo::Invoke's rule): a failed HRESULT is DISP_E_EXCEPTION whose scode is that HRESULT, with the
    IErrorInfo text. A same-context pointer to one of our Python objects calls its method directly: an exception
    it raises becomes the same DispatchError (source: the class's ``progid``, else its name; scode: the mapping
    of ``hresult_for_exception``), as its IDispatch would have reported it."""
    ptr = obj._ptr
    try:
        return getattr(ptr, name)(*args)
    except ReleasedPointerError:
        raise
    except Exception as e:
        target = getattr(ptr, "__dict__", {}).get("_com_object")
        if not isinstance(e, ComError) and target is None:
            raise
        source = e.source if isinstance(e, ComError) else None
        if source is None and target is not None:
            source = getattr(type(target), "progid", None) or type(target).__name__
        description = e.description if isinstance(e, ComError) else str(e)
        raise dispatch_error(
            DISP_E_EXCEPTION, description, source, scode=hresult_for_exception(e), member=member
        ) from e


class _VtableMethod:
    """A declared member called through the vtable: positional arguments as declared, keywords by parameter name
    (any case); returns the [out] values (None when there are none), objects wrapped as results are."""

    __slots__ = ("_obj", "_route")

    def __init__(self, obj: Dispatch, route: _Route) -> None:
        self._obj = obj
        self._route = route

    def __call__(self, *args: Any, **named: Any) -> Any:
        route = self._route
        if named or len(args) < len(route.params):
            args = _complete(route, args, named)
        assert route.method is not None
        value = _vtable_call(self._obj, route.method, [_argument(a) for a in args], route.member)
        return _vtable_result(self._obj, value) if route.has_results else None

    def __repr__(self) -> str:
        return f"<vtable method {self._route.method} of {self._obj!r}>"


def _complete(route: _Route, args: tuple[Any, ...], named: dict[str, Any]) -> tuple[Any, ...]:
    """The full argument list of a vtable call: keywords placed by parameter name (any case), omitted
    parameters given their declared ``defaultvalue``; a parameter with neither is a TypeError."""
    params = [p.lower() for p in route.params]
    if len(args) > len(params):
        raise TypeError(f"{route.member}() takes {len(params)} arguments, not {len(args)}")
    out: list[Any] = list(args) + [_UNSET] * (len(params) - len(args))
    for kw, value in named.items():
        try:
            i = params.index(kw.lower())
        except ValueError:
            raise TypeError(f"{route.member}() has no parameter named {kw!r}") from None
        if out[i] is not _UNSET:
            raise TypeError(f"{route.member}() got {kw!r} twice")
        out[i] = value
    for i, v in enumerate(out):
        if v is _UNSET:
            default = route.defaults[i]
            if default is _UNSET:
                raise TypeError(f"{route.member}() is missing its argument {route.params[i]!r}")
            out[i] = default
    return tuple(out)


_UNSET = object()


def _declared_default(p: Any) -> Any:
    """A parameter's ``[defaultvalue(x)]`` as a Python value, Missing for an ``[optional]`` VARIANT without one,
    else ``_UNSET`` (the caller must pass it)."""
    if p.has_default:
        return p.default
    return Missing if p.optional and p.ctype.kind == "variant" else _UNSET


def _vtable_result(obj: Dispatch, value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(obj._wrap(v) for v in value)
    return obj._wrap(value)


def _switch_to_vtable(self: Dispatch, vtable: bool | type[Interface]) -> None:
    """``vtable=IFoo``: QueryInterface for IFoo (NoInterfaceError when the object lacks it) and hold that pointer;
    ``vtable=True``: the same with the declared interface whose IID is the type information's GUID, if there is
    one and the object answers it (else nothing changes: Invoke for everything)."""
    if vtable is True:
        iface = _declared_dual(self)
        if iface is None:
            return
    else:
        iface = vtable
        if not (isinstance(iface, type) and issubclass(iface, Interface) and IDispatch in iface.lineage[1:]):
            raise TypeError(f"vtable= names a declared interface derived from IDispatch, not {iface!r}")
    old = self._ptr
    try:
        new = old.query(iface)
    except NoInterfaceError:
        if vtable is True:
            return
        raise
    object.__setattr__(self, "_ptr", new)
    old.release()
    object.__setattr__(self, "_routes", _routes_of(iface))


def _declared_dual(self: Dispatch) -> type[Interface] | None:
    """The declared interface (derived from IDispatch) whose IID is the type information's GUID, or None. The
    type's TYPEFLAG_FDUAL is not required: QueryInterface for that IID is what proves the vtable."""
    table = self._table if self._table is not None else self._load_table()
    if table.guid is None:
        return None
    iface = interface_for_iid(table.guid)
    if iface is None or IDispatch not in iface.lineage[1:]:
        return None
    return iface


def _routes_of(iface: type[Interface]) -> dict[str, _Route | None]:
    """The members ``iface`` (and its bases up to IDispatch) serves through its vtable, by lower-cased name
    (made once per interface; lookups add the spellings they see)."""
    routes = _VTABLE_ROUTES.get(iface)
    if routes is not None:
        return routes
    built: dict[str, _Route] = {}
    for base in iface.lineage:
        if base is IDispatch:
            break
        for m in base.own_methods:
            if not _vtable_callable(m):
                continue
            route = built.setdefault(m.member.lower(), _Route(m.member))
            if m.invkind & INVOKE_PROPERTYGET:
                if not m.args:  # a property with arguments (Item(i)) stays with Invoke
                    route.get = m.name
            elif m.invkind & (INVOKE_PROPERTYPUT | INVOKE_PROPERTYPUTREF):
                if len(m.args) == 1 and route.put is None:
                    route.put = m.name
            elif route.method is None:
                route.method = m.name
                route.params = tuple(p.name for p in m.args)
                route.defaults = tuple(_declared_default(p) for p in m.args)
                route.has_results = bool(m.results)
    routes = _VTABLE_ROUTES[iface] = dict(built)
    return routes


#: kind -> pointer depth of an [in] value the declared client converts (vtables.client: Automation values too)
_IN_KINDS = {"int": 0, "float": 0, "wstr": 0, "guid": 1, "iface": 1}
_IN_KINDS.update(dict.fromkeys(("variant", "vbool", "date", "cy", "decimal", "safearray"), 0))


def _vtable_callable(m: Any) -> bool:
    """Whether the declared client converts every parameter of ``m`` from and to plain Python values: [in]
    numbers, strings, GUIDs, interfaces and Automation values (VARIANT, SAFEARRAY, DATE...), and [out] values it
    returns. Anything else ([in, out]: the late-bound ByRef boxes are Invoke's; caller-supplied buffers) leaves the
    member to Invoke."""
    if not m.returns_hresult or m.preserve_sig:
        return False
    for p in m.params:
        kind, depth = p.ctype.kind, p.ctype.depth
        if p.direction == "in":
            if _IN_KINDS.get(kind) != depth:
                return False
        elif p.direction != "out" or kind not in _IN_KINDS or not p.ctype.returned_when_out:
            return False
    return True


def vtable_interface(obj: Dispatch) -> type[Interface] | None:
    """The declared interface whose vtable ``obj`` calls its declared members through, or None (Invoke only)."""
    if obj._routes is None:
        return None
    return obj._ptr.interface


# ---- explicit calls ---------------------------------------------------------------------------------------------


def invoke(obj: Dispatch, member: str | int, flags: int, *args: Any, **named: Any) -> Any:
    """IDispatch::Invoke with exactly these ``flags`` (DISPATCH_METHOD, _PROPERTYGET, _PROPERTYPUT (the value is the
    last argument), _PROPERTYPUTREF, or'ed as the object accepts). ``member`` is a name (resolved as attribute
    access resolves it) or a DISPID (then keyword arguments are refused: their DISPIDs come from the name)."""
    if isinstance(member, int):
        if named:
            raise TypeError("named arguments need the member's name, not a DISPID")
        return obj._invoke(member, flags, args, (), member)
    m = obj._member(member)
    return obj._call(m, flags, args, named)


def call(obj: Dispatch, member: str, *args: Any, **named: Any) -> Any:
    """Call ``member`` as a method (DISPATCH_METHOD), whatever an attribute access would do: for a method that
    takes no argument on an object without type information, where reading the attribute already calls it."""
    return invoke(obj, member, DISPATCH_METHOD, *args, **named)
