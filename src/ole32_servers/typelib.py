"""Type libraries generated from the Python interface declarations: what MIDL writes for the same IDL, so that
oleaut32's typelib marshaler proxies the interfaces across apartments and processes and type-library clients
(comtypes' GetModule, pywin32's makepy, VBA, .NET's importer) see them.

    build_type_library(path, libid, "ContractLib", [IContract],
                       coclasses=[CoClass("Contract", CLSID_Contract, [IContract], source=[DEvents])])
    libid = register_type_library(path)                           # RegisterTypeLib
    ...
    unregister_type_library(libid, (1, 0))                        # UnRegisterTypeLib (SYS_WIN64)

For a server's ``-RegServer`` / ``-UnregServer`` (``LocalServer.main(typelib=...)``):
``GeneratedTypeLibrary(path, libid, name, interfaces, version=(1, 0), coclasses=[...])``, whose ``register()``
builds and registers and ``unregister()`` removes the registration. ``interfaces`` and ``version`` keep their
positions; ``coclasses`` is new and optional (keyword for ``build_type_library``).

What each declaration becomes (as MIDL, and Wine's widl, write them: ``tests/ole32_servers/contract_widl.idl`` and
``benchtarget_widl.idl`` are compared field by field with widl's compilation by ``test_typelib.py``):

* a custom interface (``class IFoo(IUnknown)``): a TKIND_INTERFACE flagged TYPEFLAG_FOLEAUTOMATION, derived from
  IUnknown (referenced from stdole2.tlb) or from another custom interface of the library;
* a **dual** interface (``class IFoo(IDispatch)`` with methods): a TKIND_INTERFACE flagged TYPEFLAG_FDUAL |
  TYPEFLAG_FOLEAUTOMATION | TYPEFLAG_FDISPATCHABLE, derived from stdole2's IDispatch or from another dual of the
  library. oleaut32 stores it as MIDL's duals are stored: the library's entry (``GetTypeInfoType``,
  ``GetTypeInfoOfGuid(iid)``) is the TKIND_DISPATCH half (TYPEFLAG_FDUAL | FDISPATCHABLE), whose functions are
  IUnknown's and IDispatch's (restricted) and then the interface's as FUNC_DISPATCH, a [retval] turned into the
  result; ``GetRefTypeOfImplType(-1)`` gives the TKIND_INTERFACE half, the vtable the typelib marshaler uses;
* a **dispinterface** (``vtables.dispatch.DispInterface``): a TKIND_DISPATCH flagged TYPEFLAG_FDISPATCHABLE,
  derived from IDispatch; ``dispmethod`` members are FUNC_DISPATCH functions returning their declared type,
  ``dispproperty`` members VAR_DISPATCH variables (VARFLAG_FREADONLY when read-only), with the DISPIDs their
  dispatch table gives them (Invoke and the library agree). Under Wine a dispinterface built this way reads back
  with IDispatch's seven (restricted) methods before its own (docs/wine.md); widl's do not;
* a :class:`CoClass`: a TKIND_COCLASS flagged TYPEFLAG_FCANCREATE with its CLSID, the interfaces it implements
  (the default one IMPLTYPEFLAG_FDEFAULT) and its outgoing ``source`` interfaces (IMPLTYPEFLAG_FSOURCE, the first
  also FDEFAULT). Interfaces a coclass names that ``interfaces`` does not list join the library.

Each method is one FUNC_PUREVIRTUAL / CC_STDCALL function at its vtable offset, with its member id
(:attr:`vtables.declare.Method.memid`: ``[id(n)]`` or MIDL's number, each accessor counting, as widl writes it),
INVOKE kind (``[propget]``, ``[propput]``, ``[propputref]``: named after the property, the put's value unnamed, as
MIDL writes them),
FUNCFLAG_FRESTRICTED / FUNCFLAG_FHIDDEN for ``[restricted]`` / ``[hidden]``, and parameter flags: PARAMFLAG_FIN /
FOUT / FRETVAL, FOPT for ``[optional]`` and for ``[defaultvalue(x)]``, FHASDEFAULT with the default in a
PARAMDESCEX (a VARIANT of the declared type's VARTYPE; for a VARIANT parameter the literal's: VT_I4, VT_R8,
VT_BOOL or VT_BSTR). ``cParamsOpt`` counts the parameters written ``[optional]``, as widl counts them.

Types: the oleautomation scalars (SHORT, LONG, LONG64, BYTE, USHORT, ULONG, ULONGLONG, INT, UINT, float, double,
BOOL as VT_I4, VARIANT_BOOL, SCODE, HRESULT), BSTR, DATE, CY (VT_CY, as MIDL writes it; widl writes CY as its
struct, CURRENCY as VT_CY), DECIMAL, VARIANT, ``SAFEARRAY(T)`` (VT_SAFEARRAY of T: a scalar, BSTR, VARIANT or an
interface pointer) and pointers to these, IUnknown * / IDispatch * (VT_UNKNOWN / VT_DISPATCH), and pointers to the
library's own interfaces (VT_PTR -> VT_USERDEFINED). Anything else (GUIDs, C strings, raw pointers, structs), a
default of the wrong type or out of range, raises :class:`TypeLibError` naming the interface, method and
parameter, before anything is created or written. The saved file is then read back as clients read it: a function
oleaut32 wrote but cannot read (Wine 8's writer stores no double, CY, DATE, DECIMAL, 64-bit or interface default)
is a TypeLibError naming it, and no file is left.

What the library cannot promise: that every runtime's typelib marshaler carries every type it describes. Wine 8's
has no wire format for CY and DECIMAL parameters (in a VARIANT they cross): it makes no proxy or stub for an
interface that has one, and QueryInterface across apartments fails with E_NOINTERFACE (docs/wine.md).

:func:`type_library_layout` reads any .tlb back as plain data (types, flags, member ids, invoke kinds, parameter
types, flags and defaults, implemented interfaces and their flags, a dual's other half, variables, coclasses),
which is how a generated library is compared with what widl makes of the same IDL.

Checking the declarations needs no COM runtime (it works on Linux); building, loading and registering do.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, TypeAlias, TypedDict

from ole32_bindings.guid import Guid
from ole32_bindings.oavalues import Variant, datetime_from_date
from vtables.ctypes_ import CType, ctype_of
from vtables.declare import INVOKE_FUNC, NO_DEFAULT, Interface, Method, Param
from vtables.members import DispInterface, interface_table

__all__ = [
    "TypeLibError",
    "CoClass",
    "GeneratedTypeLibrary",
    "build_type_library",
    "check_automation",
    "register_type_library",
    "unregister_type_library",
    "type_library_layout",
    "VT_NAMES",
]

IID_IUnknown = Guid("{00000000-0000-0000-C000-000000000046}")
IID_IDispatch = Guid("{00020400-0000-0000-C000-000000000046}")

# VARENUM values (wtypes.h) used here.
VT_EMPTY, VT_I2, VT_I4, VT_R4, VT_R8, VT_CY, VT_DATE, VT_BSTR = 0, 2, 3, 4, 5, 6, 7, 8
VT_DISPATCH, VT_ERROR, VT_BOOL, VT_VARIANT, VT_UNKNOWN, VT_DECIMAL = 9, 10, 11, 12, 13, 14
VT_I1, VT_UI1, VT_UI2, VT_UI4, VT_I8, VT_UI8, VT_INT, VT_UINT, VT_VOID = 16, 17, 18, 19, 20, 21, 22, 23, 24
VT_HRESULT, VT_PTR, VT_SAFEARRAY, VT_USERDEFINED = 25, 26, 27, 29

VT_NAMES = {
    0: "EMPTY",
    1: "NULL",
    2: "I2",
    3: "I4",
    4: "R4",
    5: "R8",
    6: "CY",
    7: "DATE",
    8: "BSTR",
    9: "DISPATCH",
    10: "ERROR",
    11: "BOOL",
    12: "VARIANT",
    13: "UNKNOWN",
    14: "DECIMAL",
    16: "I1",
    17: "UI1",
    18: "UI2",
    19: "UI4",
    20: "I8",
    21: "UI8",
    22: "INT",
    23: "UINT",
    24: "VOID",
    25: "HRESULT",
    26: "PTR",
    27: "SAFEARRAY",
    28: "CARRAY",
    29: "USERDEFINED",
    30: "LPSTR",
    31: "LPWSTR",
}
"""VARENUM value -> name (without the ``VT_`` prefix), for layouts and messages."""

# Base type name, as declared -> VARENUM, for the oleautomation scalars.
# BOOL is a 32-bit LONG in oleautomation type libraries (MIDL and widl both write VT_I4); VARIANT_BOOL is VT_BOOL.
_SCALARS = {
    "LONG": VT_I4,
    "BOOL": VT_I4,
    "int32_t": VT_I4,
    "ULONG": VT_UI4,
    "DWORD": VT_UI4,
    "uint32_t": VT_UI4,
    "SHORT": VT_I2,
    "USHORT": VT_UI2,
    "WORD": VT_UI2,
    "BYTE": VT_UI1,
    "INT": VT_INT,
    "int": VT_INT,
    "UINT": VT_UINT,
    "unsigned int": VT_UINT,
    "LONG64": VT_I8,
    "LONGLONG": VT_I8,
    "int64_t": VT_I8,
    "ULONGLONG": VT_UI8,
    "ULONG64": VT_UI8,
    "uint64_t": VT_UI8,
    "VARIANT_BOOL": VT_BOOL,
    "HRESULT": VT_HRESULT,
    "SCODE": VT_ERROR,
    "float": VT_R4,
    "double": VT_R8,
    "DATE": VT_DATE,
    "CY": VT_CY,
    "CURRENCY": VT_CY,
    "DECIMAL": VT_DECIMAL,
    "BSTR": VT_BSTR,
    "VARIANT": VT_VARIANT,
    "VARIANTARG": VT_VARIANT,
}

# TYPEKIND, FUNCKIND, VARKIND, INVOKEKIND, CALLCONV, TYPEFLAGS, FUNCFLAGS, VARFLAGS, IMPLTYPEFLAGS, PARAMFLAGS.
TKIND_RECORD, TKIND_INTERFACE, TKIND_DISPATCH, TKIND_COCLASS = 1, 3, 4, 5
FUNC_PUREVIRTUAL, FUNC_DISPATCH = 1, 4
VAR_DISPATCH = 3
CC_STDCALL = 4
TYPEFLAG_FCANCREATE, TYPEFLAG_FDUAL, TYPEFLAG_FOLEAUTOMATION, TYPEFLAG_FDISPATCHABLE = 0x2, 0x40, 0x100, 0x1000
FUNCFLAG_FRESTRICTED, FUNCFLAG_FHIDDEN = 0x1, 0x40
VARFLAG_FREADONLY = 0x1
IMPLTYPEFLAG_FDEFAULT, IMPLTYPEFLAG_FSOURCE = 0x1, 0x2
PARAMFLAG_FIN, PARAMFLAG_FOUT, PARAMFLAG_FRETVAL, PARAMFLAG_FOPT, PARAMFLAG_FHASDEFAULT = 0x1, 0x2, 0x8, 0x10, 0x20
MEMBERID_NIL = -1
POINTER_SIZE = 8  # SYS_WIN64: every vtable slot is 8 bytes
TYPE_E_LIBNOTREGISTERED = 0x8002801D
TYPE_E_REGISTRYACCESS = 0x8002801C
TYPE_E_ELEMENTNOTFOUND = 0x8002802B

# Parameter attributes the typelib marshaller has no use for (MIDL refuses them in [oleautomation] interfaces).
_NOT_AUTOMATION_ATTRS = ("size_is", "length_is", "iid_is", "string")
_FUNC_FLAGS = {"restricted": FUNCFLAG_FRESTRICTED, "hidden": FUNCFLAG_FHIDDEN}
_INTEGER_RANGES = {
    VT_I1: (-(2**7), 2**7),
    VT_I2: (-(2**15), 2**15),
    VT_I4: (-(2**31), 2**31),
    VT_INT: (-(2**31), 2**31),
    VT_ERROR: (-(2**31), 2**32),
    VT_I8: (-(2**63), 2**63),
    VT_UI1: (0, 2**8),
    VT_UI2: (0, 2**16),
    VT_UI4: (0, 2**32),
    VT_UINT: (0, 2**32),
    VT_UI8: (0, 2**64),
}


class TypeLibError(ValueError):
    """A declaration that a type library cannot describe for the typelib marshaller (a non-oleautomation type or
    attribute, a base outside the library, a default value of the wrong type...): the message names the
    interface, method and parameter."""


@dataclass(frozen=True)
class CoClass:
    """A coclass for :func:`build_type_library`: its ``name`` (the type's name in the library), ``clsid``, the
    ``interfaces`` it implements (the ``default`` one, else the first, is [default]: what ``CreateObject`` and
    scripting clients talk to) and the ``source`` interfaces it fires events through (the first is
    [default, source]). Interfaces listed here need not be in ``build_type_library``'s list."""

    name: str
    clsid: Guid
    interfaces: Sequence[type[Interface]]
    default: type[Interface] | None = None
    source: Sequence[type[Interface]] = ()

    @classmethod
    def of(cls, com_class: type, name: str | None = None) -> CoClass:
        """The coclass of a Python COM class (``vtables.object.ComObject``): its ``clsid``, the interfaces it
        implements (the standard ones of ``vtables.interfaces``, such as IConnectionPointContainer or
        ISupportErrorInfo, left out) and its ``sources`` (``vtables.events``; the first [default, source])."""
        clsid = getattr(com_class, "clsid", None)
        if clsid is None:
            raise TypeLibError(f"{com_class.__name__} has no clsid: it is no coclass")
        own = [i for i in getattr(com_class, "implements", ()) if not i.__module__.startswith("vtables.interfaces")]
        return cls(
            name or com_class.__name__,
            clsid if isinstance(clsid, Guid) else Guid(str(clsid)),
            own,
            source=tuple(getattr(com_class, "sources", ())),
        )


# ---- the plan: the declarations checked and turned into type descriptions, with no COM runtime ---------------

# A type description: a VARENUM, ("PTR", inner), ("SAFEARRAY", element) or ("USER", interface name).
TypeSpec: TypeAlias = (
    "int | tuple[Literal['PTR'], TypeSpec] | tuple[Literal['SAFEARRAY'], TypeSpec] | tuple[Literal['USER'], str]"
)


@dataclass(frozen=True)
class _ParamPlan:
    name: str
    type: TypeSpec
    flags: int
    #: the [defaultvalue] as the exact VARIANT to store (None: no default)
    default: Variant | None = None


@dataclass(frozen=True)
class _FuncPlan:
    name: str
    memid: int
    ovft: int
    params: tuple[_ParamPlan, ...]
    invkind: int = INVOKE_FUNC
    funckind: int = FUNC_PUREVIRTUAL
    returns: TypeSpec = VT_HRESULT
    funcflags: int = 0
    optional: int = 0  # cParamsOpt


@dataclass(frozen=True)
class _VarPlan:
    name: str
    memid: int
    type: TypeSpec
    readonly: bool


@dataclass(frozen=True)
class _IfacePlan:
    iface: type[Interface]
    base: str | None  # the name of a base in this library, or None for IUnknown / IDispatch (from stdole2)
    funcs: tuple[_FuncPlan, ...]
    kind: Literal["interface", "dual", "dispinterface"] = "interface"
    vars: tuple[_VarPlan, ...] = ()

    @property
    def typekind(self) -> int:
        return TKIND_DISPATCH if self.kind == "dispinterface" else TKIND_INTERFACE

    @property
    def typeflags(self) -> int:
        if self.kind == "dual":
            return TYPEFLAG_FDUAL | TYPEFLAG_FOLEAUTOMATION | TYPEFLAG_FDISPATCHABLE
        if self.kind == "dispinterface":
            return TYPEFLAG_FDISPATCHABLE
        return TYPEFLAG_FOLEAUTOMATION

    @property
    def stdole_base(self) -> Guid:
        """The stdole2 interface it derives from when ``base`` is None."""
        return IID_IUnknown if self.kind == "interface" else IID_IDispatch


@dataclass(frozen=True)
class _CoClassPlan:
    name: str
    clsid: Guid
    impls: tuple[tuple[str, int], ...]  # (interface name, IMPLTYPEFLAGS), in order


def _base_name(ctype: CType) -> str:
    t = ctype.name.replace("*", " ").split()
    return " ".join(w for w in t if w != "const")


def _type_spec(ctype: CType, where: str, library: dict[str, type[Interface]]) -> TypeSpec:
    """The oleautomation type description of a declared C type, or TypeLibError saying why there is none."""
    base = _base_name(ctype)
    if ctype.kind == "iface":
        name = ctype.interface or ""
        if base == "void":
            raise TypeLibError(
                f"{where}: raw pointer type {ctype.name!r} is not an oleautomation type "
                "(declare the interface, e.g. IUnknown **)"
            )
        if name == "IUnknown":
            inner: TypeSpec = VT_UNKNOWN
        elif name == "IDispatch":
            inner = VT_DISPATCH
        elif name in library:
            inner = ("PTR", ("USER", name))
        else:
            raise TypeLibError(
                f"{where}: interface {name} is not in this type library (only IUnknown, IDispatch "
                "and the library's own interfaces can be described)"
            )
        if ctype.depth > 2:
            raise TypeLibError(f"{where}: {ctype.name!r} has too many levels of indirection for oleautomation")
        return ("PTR", inner) if ctype.depth == 2 else inner
    if ctype.kind == "safearray":
        element = _element_spec(ctype, where, library)
        if ctype.depth > 1:
            raise TypeLibError(f"{where}: {ctype.name!r} has too many levels of indirection for oleautomation")
        return ("PTR", ("SAFEARRAY", element)) if ctype.depth == 1 else ("SAFEARRAY", element)
    if ctype.kind in ("int", "float", "vbool", "date", "cy", "decimal", "variant") or base == "BSTR":
        # By the declared name, not the normalised C spelling: LCID, DISPID, DESCKIND, ... are integers in C
        # but not oleautomation types (MIDL describes them as aliases or enums, if at all).
        vt = _SCALARS.get(base)
        if vt is None:
            raise TypeLibError(f"{where}: type {ctype.name!r} is not an oleautomation type")
        depth = ctype.depth
        if depth > 1:
            raise TypeLibError(f"{where}: {ctype.name!r} has too many levels of indirection for oleautomation")
        return ("PTR", vt) if depth == 1 else vt
    what = {"guid": "a GUID", "wstr": "a C string (use BSTR)", "ptr": "a raw pointer or struct"}.get(
        ctype.kind, ctype.kind
    )
    raise TypeLibError(f"{where}: type {ctype.name!r} is {what}, not an oleautomation type")


def _element_spec(ctype: CType, where: str, library: dict[str, type[Interface]]) -> TypeSpec:
    """SAFEARRAY(T)'s T: a scalar, BSTR, VARIANT, or an interface pointer (IUnknown *, IDispatch *, IFoo *)."""
    try:
        element = ctype_of(ctype.element or "")
    except ValueError:
        raise TypeLibError(f"{where}: SAFEARRAY element type {ctype.element!r} is not known") from None
    if element.kind == "iface" and element.depth != 1:
        raise TypeLibError(f"{where}: a SAFEARRAY holds interface pointers ({element.interface} *), not {element.name}")
    if element.kind == "safearray" or (element.kind != "iface" and element.depth != 0):
        raise TypeLibError(f"{where}: SAFEARRAY({ctype.element}) is not an oleautomation array")
    return _type_spec(element, f"{where} (SAFEARRAY element)", library)


def _value_vt(spec: TypeSpec) -> int | None:
    """The VARTYPE of the value a parameter of this type carries (a pointer's target), for its default."""
    while isinstance(spec, tuple) and spec[0] == "PTR":
        spec = spec[1]
    return spec if isinstance(spec, int) else None


def _default_variant(p: Param, spec: TypeSpec, where: str) -> Variant | None:
    """The PARAMDESCEX default of ``[defaultvalue(x)]`` as an exact VARIANT: the declared type's VARTYPE, or for a
    VARIANT parameter the literal's (int VT_I4, float VT_R8, bool VT_BOOL, str VT_BSTR), as MIDL stores it."""
    value = p.default
    if value is NO_DEFAULT:
        return None
    vt = _value_vt(spec)
    bad = TypeLibError(f"{where}: [defaultvalue({value!r})] cannot be stored for type {p.ctype.name!r}")
    if vt == VT_VARIANT:
        if isinstance(value, bool):
            return Variant(VT_BOOL, value)
        if isinstance(value, int):
            return Variant(VT_I4 if -(2**31) <= value < 2**31 else VT_I8, value)
        if isinstance(value, float):
            return Variant(VT_R8, value)
        if isinstance(value, str):
            return Variant(VT_BSTR, value)
        raise bad
    if vt in (VT_DISPATCH, VT_UNKNOWN) and value is None:
        return Variant(vt, None)
    if vt in _INTEGER_RANGES and isinstance(value, int):
        lo, hi = _INTEGER_RANGES[vt]
        if not lo <= int(value) < hi:
            raise TypeLibError(f"{where}: [defaultvalue({value!r})] is out of range for {p.ctype.name!r}")
        return Variant(vt, int(value))
    if vt == VT_BOOL and isinstance(value, int) and value in (-1, 0, 1):
        return Variant(VT_BOOL, bool(value))
    if vt in (VT_R4, VT_R8) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return Variant(vt, float(value))
    if vt in (VT_CY, VT_DECIMAL) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return Variant(vt, Decimal(str(value)))
    if vt == VT_DATE and isinstance(value, (int, float)) and not isinstance(value, bool):
        return Variant(VT_DATE, datetime_from_date(float(value)))
    if vt == VT_BSTR and isinstance(value, str):
        return Variant(VT_BSTR, value)
    raise bad


def _param_flags(p: Param, where: str) -> int:
    words = {a.split("(")[0].strip() for a in p.attrs}
    bad = [a for a in _NOT_AUTOMATION_ATTRS if a in words]
    if bad:
        raise TypeLibError(f"{where}: attribute [{bad[0]}] has no oleautomation equivalent")
    flags = {"in": PARAMFLAG_FIN, "out": PARAMFLAG_FOUT, "inout": PARAMFLAG_FIN | PARAMFLAG_FOUT}[p.direction]
    if p.retval:
        flags |= PARAMFLAG_FRETVAL
    if "optional" in words or "defaultvalue" in words:
        flags |= PARAMFLAG_FOPT  # MIDL and widl: a [defaultvalue] parameter is optional too
    if "defaultvalue" in words:
        flags |= PARAMFLAG_FHASDEFAULT
    return flags


def _plan_params(m: Method, where: str, library: dict[str, type[Interface]]) -> tuple[_ParamPlan, ...]:
    params = []
    for i, p in enumerate(m.params):
        pwhere = f"{where} parameter {p.name!r}"
        if p.retval and i != len(m.params) - 1:
            raise TypeLibError(f"{pwhere}: [retval] must be the last parameter")
        spec = _type_spec(p.ctype, pwhere, library)
        params.append(_ParamPlan(p.name, spec, _param_flags(p, pwhere), _default_variant(p, spec, pwhere)))
    return tuple(params)


def _func_flags(m: Method) -> int:
    words = {a.split("(")[0].strip() for a in m.attrs}
    return sum(flag for word, flag in _FUNC_FLAGS.items() if word in words)


def _optional_count(m: Method) -> int:
    return sum(1 for p in m.params if "optional" in p.attrs)


def _plan_method(iface: type[Interface], m: Method, library: dict[str, type[Interface]]) -> _FuncPlan:
    where = f"{iface.__name__}.{m.name}"
    if not m.returns_hresult:
        raise TypeLibError(
            f"{where}: returns {m.restype.name if m.restype else '?'}; an oleautomation method returns HRESULT"
        )
    assert m.memid is not None  # numbered when the interface was declared
    return _FuncPlan(
        m.member or m.name,
        m.memid,
        m.index * POINTER_SIZE,
        _plan_params(m, where, library),
        invkind=m.invkind,
        funcflags=_func_flags(m),
        optional=_optional_count(m),
    )


def _plan_dispinterface(iface: type[DispInterface], library: dict[str, type[Interface]]) -> _IfacePlan:
    """A dispinterface: methods as FUNC_DISPATCH (the result is the declared return type), properties as
    VAR_DISPATCH, with the DISPIDs its dispatch table gives (so Invoke and the type library agree)."""
    table = interface_table(iface)
    funcs: list[_FuncPlan] = []
    variables: list[_VarPlan] = []
    for decl in iface.disp_members:
        m = decl.method
        where = f"{iface.__name__}.{m.member}"
        dispid = table.by_name[m.member.lower()].dispid
        restype = m.restype
        assert restype is not None
        if decl.is_property:
            if m.params:
                raise TypeLibError(f"{where}: an indexed dispproperty is not written to type libraries here")
            spec = _type_spec(restype, where, library)
            variables.append(_VarPlan(m.member, dispid, spec, decl.readonly))
            continue
        returns = VT_VOID if restype.kind == "void" else _type_spec(restype, f"{where} result", library)
        funcs.append(
            _FuncPlan(
                m.member,
                dispid,
                0,
                _plan_params(m, where, library),
                funckind=FUNC_DISPATCH,
                returns=returns,
                funcflags=_func_flags(m),
                optional=_optional_count(m),
            )
        )
    return _IfacePlan(iface, None, tuple(funcs), "dispinterface", tuple(variables))


def _is_dual(iface: type[Interface]) -> bool:
    return any(i.iid == IID_IDispatch for i in iface.lineage[1:]) and not issubclass(iface, DispInterface)


def _plan_interface(iface: type[Interface], library: dict[str, type[Interface]]) -> _IfacePlan:
    if issubclass(iface, DispInterface):
        return _plan_dispinterface(iface, library)
    if len(iface.lineage) < 2:
        raise TypeLibError(f"{iface.__name__}: a COM interface derives from IUnknown")
    if iface.iid in (IID_IUnknown, IID_IDispatch):
        raise TypeLibError(f"{iface.__name__}: IUnknown and IDispatch come from stdole2.tlb, not this library")
    parent = iface.lineage[1]
    dual = _is_dual(iface)
    if parent.iid == (IID_IDispatch if dual else IID_IUnknown):
        base = None
    elif library.get(parent.__name__) is parent and _is_dual(parent) == dual:
        base = parent.__name__
    else:
        raise TypeLibError(
            f"{iface.__name__}: base interface {parent.__name__} is neither "
            f"{'IDispatch nor a dual interface' if dual else 'IUnknown nor'} in this type library"
        )
    funcs = tuple(_plan_method(iface, m, library) for m in iface.own_methods)
    return _IfacePlan(iface, base, funcs, "dual" if dual else "interface")


def _plan_library(
    interfaces: Sequence[type[Interface]], coclasses: Sequence[CoClass]
) -> tuple[list[_IfacePlan], list[_CoClassPlan]]:
    library: dict[str, type[Interface]] = {}

    def add(iface: Any, where: str) -> None:
        if not (isinstance(iface, type) and issubclass(iface, Interface)):
            raise TypeLibError(f"{where}{iface!r} is not an interface declaration")
        other = library.get(iface.__name__)
        if other is not None and other is not iface:
            raise TypeLibError(f"two interfaces named {iface.__name__} in one type library")
        library[iface.__name__] = iface

    for iface in interfaces:
        add(iface, "")
    cplans: list[_CoClassPlan] = []
    names = {n.lower() for n in library}
    for c in coclasses:
        if not isinstance(c, CoClass):
            raise TypeLibError(f"{c!r} is not a CoClass")
        if not c.interfaces:
            raise TypeLibError(f"coclass {c.name}: implements no interface")
        if c.name.lower() in names:
            raise TypeLibError(f"coclass {c.name}: the name is already used in this type library")
        names.add(c.name.lower())
        default = c.default if c.default is not None else c.interfaces[0]
        if default not in c.interfaces:
            raise TypeLibError(f"coclass {c.name}: its default interface {default.__name__} is not one it implements")
        impls: list[tuple[str, int]] = []
        for iface in c.interfaces:
            add(iface, f"coclass {c.name}: ")
            impls.append((iface.__name__, IMPLTYPEFLAG_FDEFAULT if iface is default else 0))
        for k, iface in enumerate(c.source):
            add(iface, f"coclass {c.name} (source): ")
            impls.append((iface.__name__, IMPLTYPEFLAG_FSOURCE | (IMPLTYPEFLAG_FDEFAULT if k == 0 else 0)))
        if len({n for n, _ in impls}) != len(impls):
            raise TypeLibError(f"coclass {c.name}: an interface is listed twice")
        cplans.append(_CoClassPlan(c.name, Guid(str(c.clsid)), tuple(impls)))
    plans = [_plan_interface(iface, library) for iface in library.values()]
    return plans, cplans


def check_automation(interfaces: Sequence[type[Interface]], coclasses: Sequence[CoClass] = ()) -> list[_IfacePlan]:
    """Check that every interface (and coclass) can be described in one oleautomation type library, and plan the
    interfaces; raises :class:`TypeLibError` naming the interface, method and parameter that cannot. Needs no COM
    runtime."""
    return _plan_library(interfaces, coclasses)[0]


def _bases_first(plans: list[_IfacePlan]) -> list[_IfacePlan]:
    by_name = {p.iface.__name__: p for p in plans}
    done: dict[str, _IfacePlan] = {}

    def visit(p: _IfacePlan) -> None:
        if p.iface.__name__ in done:
            return
        if p.base is not None:
            visit(by_name[p.base])
        done[p.iface.__name__] = p

    for p in plans:
        visit(p)
    return list(done.values())


# ---- building ---------------------------------------------------------------------------------------------------


def _runtime() -> Any:
    """The COM-side modules, imported on first use (the plan above works without a runtime)."""
    from ole32_bindings import typelib as tl
    from ole32_bindings.dlls import ffi
    from vtables.client import client_class
    from vtables.interfaces.automation import ICreateTypeInfo, ICreateTypeLib2, ITypeInfo, ITypeLib

    # Client classes register their interface names on creation: [out] ITypeInfo ** etc. then come back typed.
    for i in (ITypeLib, ITypeInfo, ICreateTypeInfo, ICreateTypeLib2):
        client_class(i)
    return tl, ffi, client_class


def _fill_typedesc(ffi: Any, td: Any, spec: TypeSpec, hrefs: dict[str, int], keep: list[Any]) -> None:
    if isinstance(spec, int):
        td.vt = spec
    elif spec[0] in ("PTR", "SAFEARRAY"):
        inner = ffi.new("TYPEDESC *")
        keep.append(inner)  # td only points at it: it must outlive every call that reads td
        _fill_typedesc(ffi, inner, spec[1], hrefs, keep)
        td.lptdesc = inner
        td.vt = VT_PTR if spec[0] == "PTR" else VT_SAFEARRAY
    else:  # ("USER", name)
        name = spec[1]
        assert isinstance(name, str)
        td.hreftype = hrefs[name]
        td.vt = VT_USERDEFINED


def build_type_library(
    path: str,
    libid: Guid,
    name: str,
    interfaces: Sequence[type[Interface]],
    version: tuple[int, int] = (1, 0),
    *,
    coclasses: Sequence[CoClass] = (),
) -> None:
    """Write a SYS_WIN64 type library describing ``interfaces`` (custom, dual and dispinterfaces) and
    ``coclasses`` to ``path`` (SaveAllChanges replaces the file).

    Every declaration is checked first (:func:`check_automation`): a :class:`TypeLibError` leaves nothing
    written. Interfaces may derive from IUnknown / IDispatch or from another interface of the library. The saved
    file is then read back, every function and variable as clients will read them; one that oleaut32 cannot read
    (a default value its writer could not store) is a TypeLibError naming it, and the file is removed."""
    plans, cplans = _plan_library(interfaces, coclasses)
    tl, ffi, client_class = _runtime()
    from ole32_bindings.constants import REGKIND, SYSKIND
    from vtables.interfaces.automation import ICreateTypeLib2, ITypeInfo, ITypeLib

    path = os.path.abspath(path)
    keep: list[Any] = []  # every ffi.new owner native code may still read, alive until this function returns
    held: list[Any] = []  # every COM reference taken here, released in reverse order at the end
    try:
        stdole = client_class(ITypeLib).from_raw(tl.load_type_lib_ex("stdole2.tlb", REGKIND.NONE))
        held.append(stdole)
        stdole_infos: dict[Guid, Any] = {}
        for iid in {p.stdole_base for p in plans if p.base is None}:
            stdole_infos[iid] = stdole.GetTypeInfoOfGuid(iid)
            held.append(stdole_infos[iid])

        lib = client_class(ICreateTypeLib2).from_raw(tl.create_type_lib2(path, SYSKIND.WIN64))
        held.append(lib)
        lib.SetName(name)
        lib.SetGuid(libid)
        lib.SetVersion(*version)
        lib.SetLcid(0)

        creators: dict[str, Any] = {}
        infos: dict[str, Any] = {}
        for plan in plans:
            cti = lib.CreateTypeInfo(plan.iface.__name__, plan.typekind)
            held.append(cti)
            creators[plan.iface.__name__] = cti
            info = cti.query(ITypeInfo)
            held.append(info)
            infos[plan.iface.__name__] = info

        for plan in plans:
            cti = creators[plan.iface.__name__]
            cti.SetGuid(plan.iface.iid)
            base_info = stdole_infos[plan.stdole_base] if plan.base is None else infos[plan.base]
            cti.AddImplType(0, cti.AddRefTypeInfo(base_info))
            hrefs: dict[str, int] = {}
            for f in plan.funcs:
                _collect_users(f.returns, hrefs, cti, infos)
                for p in f.params:
                    _collect_users(p.type, hrefs, cti, infos)
            for v in plan.vars:
                _collect_users(v.type, hrefs, cti, infos)
            for index, f in enumerate(plan.funcs):
                _add_function(ffi, cti, index, f, hrefs, keep)
            for index, v in enumerate(plan.vars):
                _add_variable(ffi, cti, index, v, hrefs, keep)
            # After the functions: Wine's SetTypeFlags lays the type out (and, for TYPEFLAG_FDUAL, adds its
            # reference to IDispatch) at once.
            cti.SetTypeFlags(plan.typeflags)
        for plan in _bases_first(plans):
            creators[plan.iface.__name__].LayOut()

        for cplan in cplans:
            cti = lib.CreateTypeInfo(cplan.name, TKIND_COCLASS)
            held.append(cti)
            cti.SetGuid(cplan.clsid)
            for index, (iname, flags) in enumerate(cplan.impls):
                cti.AddImplType(index, cti.AddRefTypeInfo(infos[iname]))
                cti.SetImplTypeFlags(index, flags)
            cti.SetTypeFlags(TYPEFLAG_FCANCREATE)
            cti.LayOut()
        lib.SaveAllChanges()
    finally:
        for ref in reversed(held):
            ref.release()
    problem = _read_back(path, plans)
    if problem is not None:
        os.remove(path)
        raise TypeLibError(problem)


def _read_back(path: str, plans: list[_IfacePlan]) -> str | None:
    """Read every function and variable of the saved library back, as clients and the typelib marshaler will;
    the first that cannot be read, said in words (None: all can). oleaut32's writer may store what its reader
    refuses: Wine 8's writes no [defaultvalue] of type double, CY, DATE, DECIMAL, 64-bit integer or interface
    (docs/wine.md), and reading such a function fails with DISP_E_BADVARTYPE."""
    tl, ffi, client_class = _runtime()
    from ole32_bindings.constants import REGKIND
    from ole32_bindings.hresult import ComError
    from vtables.interfaces.automation import ITypeLib

    with client_class(ITypeLib).from_raw(tl.load_type_lib_ex(path, REGKIND.NONE)) as lib:
        for plan in plans:
            name = plan.iface.__name__
            with lib.GetTypeInfoOfGuid(plan.iface.iid) as info:
                half = info.GetRefTypeInfo(info.GetRefTypeOfImplType(0xFFFFFFFF)) if plan.kind == "dual" else None
                try:
                    target = half if half is not None else info
                    count = _type_attr(ffi, target)["cFuncs"]
                    first = count - len(plan.funcs)  # a TKIND_DISPATCH may list its base's functions first
                    for index in range(count):
                        out = ffi.new("FUNCDESC **")
                        try:
                            target.GetFuncDesc(index, out)
                        except ComError as e:
                            what = plan.funcs[index - first].name if index >= first else f"function {index}"
                            return (
                                f"{name}.{what}: oleaut32 wrote a type library it cannot read back ({e}); a "
                                "[defaultvalue] its writer cannot store is the usual cause (Wine 8 stores integer, "
                                "VARIANT_BOOL, float and BSTR defaults only)"
                            )
                        target.ReleaseFuncDesc(out[0])
                    for index, v in enumerate(plan.vars):
                        vout = ffi.new("VARDESC **")
                        try:
                            target.GetVarDesc(index, vout)
                        except ComError as e:
                            return f"{name}.{v.name}: oleaut32 wrote a type library it cannot read back ({e})"
                        target.ReleaseVarDesc(vout[0])
                finally:
                    if half is not None:
                        half.release()
    return None


def _collect_users(spec: TypeSpec, hrefs: dict[str, int], cti: Any, infos: dict[str, Any]) -> None:
    if isinstance(spec, tuple):
        if spec[0] == "USER":
            if spec[1] not in hrefs:
                hrefs[spec[1]] = cti.AddRefTypeInfo(infos[spec[1]])
        else:
            _collect_users(spec[1], hrefs, cti, infos)


def _add_function(ffi: Any, cti: Any, index: int, f: _FuncPlan, hrefs: dict[str, int], keep: list[Any]) -> None:
    from vtables.variant import clear, write

    fd = ffi.new("FUNCDESC *")
    keep.append(fd)
    n = len(f.params)
    defaults: list[Any] = []
    try:
        if n:
            elems = ffi.new("ELEMDESC[]", n)
            keep.append(elems)
            for i, p in enumerate(f.params):
                _fill_typedesc(ffi, elems[i].tdesc, p.type, hrefs, keep)
                elems[i].paramdesc.wParamFlags = p.flags
                elems[i].paramdesc.pparamdescex = ffi.NULL
                if p.default is not None:
                    ex = ffi.new("PARAMDESCEX *")
                    keep.append(ex)
                    ex.cBytes = ffi.sizeof("PARAMDESCEX")
                    write(ffi.addressof(ex, "varDefaultValue"), p.default)
                    defaults.append(ex)
                    elems[i].paramdesc.pparamdescex = ex
            fd.lprgelemdescParam = elems
        fd.memid = f.memid
        fd.funckind = f.funckind
        fd.invkind = f.invkind
        fd.callconv = CC_STDCALL
        fd.cParams = n
        fd.cParamsOpt = f.optional
        fd.oVft = f.ovft
        fd.cScodes = 0
        _fill_typedesc(ffi, fd.elemdescFunc.tdesc, f.returns, hrefs, keep)
        fd.wFuncFlags = f.funcflags
        cti.AddFuncDesc(index, fd)  # copies the descriptions, the default VARIANTs included
    finally:
        for ex in defaults:
            clear(ffi.addressof(ex, "varDefaultValue"))
    # The names array and each string in it are owned here until the call returns (the notes' cffi trap:
    # a wchar_t[] made inline in the array's initialiser would be freed before the callee reads it). A put's
    # value (its last parameter) has no name: ICreateTypeInfo::SetFuncAndParamNames refuses one (MIDL writes none).
    named = f.params[:-1] if f.invkind & 0xC else f.params
    strings = [ffi.new("wchar_t[]", s) for s in [f.name] + [p.name for p in named]]
    keep.extend(strings)
    names = ffi.new("LPOLESTR[]", strings)
    keep.append(names)
    cti.SetFuncAndParamNames(index, names, len(strings))


def _add_variable(ffi: Any, cti: Any, index: int, v: _VarPlan, hrefs: dict[str, int], keep: list[Any]) -> None:
    vd = ffi.new("VARDESC *")
    keep.append(vd)
    vd.memid = v.memid
    vd.lpstrSchema = ffi.NULL
    vd.oInst = 0
    _fill_typedesc(ffi, vd.elemdescVar.tdesc, v.type, hrefs, keep)
    vd.wVarFlags = VARFLAG_FREADONLY if v.readonly else 0
    vd.varkind = VAR_DISPATCH
    cti.AddVarDesc(index, vd)
    text = ffi.new("wchar_t[]", v.name)
    keep.append(text)
    cti.SetVarName(index, text)


# ---- registration -------------------------------------------------------------------------------------------------


def register_type_library(path: str) -> Guid:
    """Register the type library at ``path`` (RegisterTypeLib: HKCR\\TypeLib\\{libid} and, for each oleautomation
    interface, HKCR\\Interface\\{iid} with the typelib marshaller as its proxy/stub). Returns the LIBID. The file
    must stay where it is while registered (the registry points at it).

    LoadTypeLibEx(REGKIND_NONE) then RegisterTypeLib with the absolute path, rather than REGKIND_REGISTER: Wine's
    LoadTypeLibEx registers the path it resolved, ``\\\\?\\C:\\...``, where this registers the path given."""
    tl, ffi, client_class = _runtime()
    from ole32_bindings.constants import REGKIND
    from vtables.interfaces.automation import ITypeLib

    path = os.path.abspath(path)
    with client_class(ITypeLib).from_raw(tl.load_type_lib_ex(path, REGKIND.NONE)) as lib:
        tl.register_type_lib(lib.as_raw(), path)
        return _lib_attr(ffi, lib)["libid"]


def _typelib_key(libid: Guid, version: tuple[int, int]) -> str:
    return f"TypeLib\\{libid}\\{version[0]:x}.{version[1]:x}"  # versions are hex in the registry


def unregister_type_library(libid: Guid, version: tuple[int, int] = (1, 0)) -> bool:
    """UnRegisterTypeLib (SYS_WIN64, LCID 0): removes the registration and its interfaces' entries. Returns False,
    doing nothing, when that LIBID and version are not registered (unregistering twice is harmless). Call it
    before deleting the .tlb: oleaut32 reads the file to find the interfaces to unregister."""
    from ole32_bindings import registry
    from ole32_bindings import typelib as tl
    from ole32_bindings.hresult import ComError

    if not registry.key_exists(registry.HKEY_CLASSES_ROOT, _typelib_key(libid, version)):
        return False
    try:
        tl.unregister_type_lib(libid, version[0], version[1], 0)
    except ComError as e:
        if e.hresult in (TYPE_E_LIBNOTREGISTERED, TYPE_E_REGISTRYACCESS):
            return False
        raise
    return True


# ---- reading a type library back ------------------------------------------------------------------------------


class _LibAttr(TypedDict):
    libid: Guid
    lcid: int
    syskind: int
    version: tuple[int, int]
    flags: int


def _lib_attr(ffi: Any, lib: Any) -> _LibAttr:
    out = ffi.new("TLIBATTR **")
    lib.GetLibAttr(out)
    try:
        a = out[0]
        return {
            "libid": Guid.from_bytes_le(bytes(ffi.buffer(ffi.addressof(a[0], "guid"), 16))),
            "lcid": a.lcid,
            "syskind": a.syskind,
            "version": (a.wMajorVerNum, a.wMinorVerNum),
            "flags": a.wLibFlags,
        }
    finally:
        lib.ReleaseTLibAttr(out[0])


def _type_chain(ffi: Any, info: Any, td: Any) -> tuple[str, ...]:
    """A TYPEDESC as a tuple: ("PTR", "I4"); a user-defined type appears as the name of the type it refers to."""
    chain: list[str] = []
    while True:
        vt = td.vt
        if vt in (VT_PTR, VT_SAFEARRAY):
            chain.append(VT_NAMES[vt])
            td = td.lptdesc
            continue
        if vt == VT_USERDEFINED:
            with info.GetRefTypeInfo(td.hreftype) as ref:
                chain.append(ref.GetDocumentation(MEMBERID_NIL)[0])
        else:
            chain.append(VT_NAMES.get(vt, f"VT_{vt}"))
        return tuple(chain)


def _type_attr(ffi: Any, info: Any) -> dict[str, Any]:
    out = ffi.new("TYPEATTR **")
    info.GetTypeAttr(out)
    ta = out[0]
    try:
        return {
            "guid": Guid.from_bytes_le(bytes(ffi.buffer(ffi.addressof(ta[0], "guid"), 16))),
            "typekind": ta.typekind,
            "flags": ta.wTypeFlags,
            "version": (ta.wMajorVerNum, ta.wMinorVerNum),
            "cbSizeVft": ta.cbSizeVft,
            "cFuncs": ta.cFuncs,
            "cVars": ta.cVars,
            "cImplTypes": ta.cImplTypes,
        }
    finally:
        info.ReleaseTypeAttr(ta)


def _names(ffi: Any, info: Any, memid: int, count: int) -> list[str]:
    """GetNames: the member's name and up to ``count - 1`` parameter names ("" where there are fewer). For
    accessors sharing a member id this is the first one's (oleaut32 looks the member up by id)."""
    from ole32_bindings.memory import bstr_free, bstr_to_str

    buf = ffi.new("BSTR[]", count)
    got = info.GetNames(memid, buf, count)
    try:
        names = [bstr_to_str(buf[k]) for k in range(got)]
    finally:
        for k in range(got):
            bstr_free(buf[k])
    return names + [""] * (count - len(names))


def _describe_function(ffi: Any, info: Any, index: int) -> dict[str, Any]:
    from vtables.variant import to_typed

    out = ffi.new("FUNCDESC **")
    info.GetFuncDesc(index, out)
    fd = out[0]
    try:
        names = _names(ffi, info, fd.memid, fd.cParams + 1)
        if names[0] == "":  # no name through GetNames: ask the documentation (oleaut32 answers for every member)
            names[0] = info.GetDocumentation(fd.memid)[0]
        params = []
        for k in range(fd.cParams):
            e = fd.lprgelemdescParam[k]
            flags = e.paramdesc.wParamFlags
            param: dict[str, Any] = {"name": names[k + 1], "type": _type_chain(ffi, info, e.tdesc), "flags": flags}
            if flags & PARAMFLAG_FHASDEFAULT and e.paramdesc.pparamdescex != ffi.NULL:
                param["default"] = to_typed(ffi.addressof(e.paramdesc.pparamdescex[0], "varDefaultValue"))
            params.append(param)
        return {
            "name": names[0],
            "memid": fd.memid,
            "oVft": fd.oVft,
            "funckind": fd.funckind,
            "invkind": fd.invkind,
            "callconv": fd.callconv,
            "cParamsOpt": fd.cParamsOpt,
            "flags": fd.wFuncFlags,
            "returns": _type_chain(ffi, info, fd.elemdescFunc.tdesc),
            "params": params,
        }
    finally:
        info.ReleaseFuncDesc(fd)


def _describe_variable(ffi: Any, info: Any, index: int) -> dict[str, Any]:
    out = ffi.new("VARDESC **")
    info.GetVarDesc(index, out)
    vd = out[0]
    try:
        return {
            "name": info.GetDocumentation(vd.memid)[0],
            "memid": vd.memid,
            "varkind": vd.varkind,
            "flags": vd.wVarFlags,
            "type": _type_chain(ffi, info, vd.elemdescVar.tdesc),
        }
    finally:
        info.ReleaseVarDesc(vd)


def _impl_types(ffi: Any, info: Any, count: int) -> list[dict[str, Any]]:
    impls = []
    for i in range(count):
        flags = info.GetImplTypeFlags(i)
        with info.GetRefTypeInfo(info.GetRefTypeOfImplType(i)) as ref:
            a = _type_attr(ffi, ref)
            impls.append(
                {
                    "name": ref.GetDocumentation(MEMBERID_NIL)[0],
                    "guid": a["guid"],
                    "typekind": a["typekind"],
                    "flags": flags,
                }
            )
    return impls


def _describe_type(ffi: Any, info: Any, other_half: bool = True) -> dict[str, Any]:
    from ole32_bindings.hresult import ComError

    a = _type_attr(ffi, info)
    impls = _impl_types(ffi, info, a["cImplTypes"])
    desc: dict[str, Any] = {
        "name": info.GetDocumentation(MEMBERID_NIL)[0],
        "guid": a["guid"],
        "typekind": a["typekind"],
        "flags": a["flags"],
        "version": a["version"],
        "cbSizeVft": a["cbSizeVft"],
        "base": impls[0]["name"] if impls else None,
        "base_guid": impls[0]["guid"] if impls else None,
        "impl_types": impls,
        "functions": [_describe_function(ffi, info, i) for i in range(a["cFuncs"])],
        "vars": [_describe_variable(ffi, info, i) for i in range(a["cVars"])],
        "dual": None,
    }
    if other_half and a["flags"] & TYPEFLAG_FDUAL:
        try:
            href = info.GetRefTypeOfImplType(0xFFFFFFFF)  # -1: a dual's other half
        except ComError as e:
            if e.hresult & 0xFFFFFFFF != TYPE_E_ELEMENTNOTFOUND:
                raise
        else:
            with info.GetRefTypeInfo(href) as half:
                desc["dual"] = _describe_type(ffi, half, other_half=False)
    return desc


def type_library_layout(path: str) -> dict[str, Any]:
    """Load ``path`` (REGKIND_NONE: nothing registered) and describe it as plain data::

        {"name", "libid", "version", "lcid", "syskind", "flags",
         "interfaces": [{"name", "guid", "typekind", "flags", "version", "cbSizeVft", "base", "base_guid",
                         "impl_types": [{"name", "guid", "typekind", "flags"}],
                         "functions": [{"name", "memid", "oVft", "funckind", "invkind", "callconv", "cParamsOpt",
                                        "flags", "returns", "params": [{"name", "type", "flags"[, "default"]}]}],
                         "vars": [{"name", "memid", "varkind", "flags", "type"}],
                         "dual": the other half of a TYPEFLAG_FDUAL type (GetRefTypeOfImplType(-1)), or None}],
         "coclasses": [{"name", "guid", "flags", "impl_types": [...]}]}

    ``interfaces`` lists the TKIND_INTERFACE and TKIND_DISPATCH types in library order (a dual appears as the
    type the library holds: TKIND_DISPATCH, its TKIND_INTERFACE half under ``dual``); ``base`` is the first
    implemented type. Types are tuples such as ``("PTR", "I4")`` (VARENUM names without ``VT_``); a user-defined
    type is the name of the type it refers to (``("PTR", "IBenchTarget")``). A parameter with
    PARAMFLAG_FHASDEFAULT has its ``default`` as an exact ``Variant``. Names come from GetNames, which answers
    by member id: accessors sharing an id show the first one's parameter names."""
    tl, ffi, client_class = _runtime()
    from ole32_bindings.constants import REGKIND
    from vtables.interfaces.automation import ITypeLib

    with client_class(ITypeLib).from_raw(tl.load_type_lib_ex(os.path.abspath(path), REGKIND.NONE)) as lib:
        result: dict[str, Any] = dict(_lib_attr(ffi, lib))
        result["name"] = lib.GetDocumentation(MEMBERID_NIL)[0]
        result["interfaces"] = []
        result["coclasses"] = []
        for index in range(lib.GetTypeInfoCount()):
            kind = lib.GetTypeInfoType(index)
            if kind not in (TKIND_INTERFACE, TKIND_DISPATCH, TKIND_COCLASS):
                continue
            with lib.GetTypeInfo(index) as info:
                desc = _describe_type(ffi, info)
            if kind == TKIND_COCLASS:
                result["coclasses"].append({k: desc[k] for k in ("name", "guid", "flags", "impl_types")})
            else:
                result["interfaces"].append(desc)
    return result


@dataclass
class GeneratedTypeLibrary:
    """A type library made from declarations and registered with a server (``LocalServer.main(typelib=...)``):
    ``register()`` builds the .tlb at ``path`` (``interfaces`` and ``coclasses``, see :func:`build_type_library`)
    and registers it; ``unregister()`` undoes the registration (the file stays, as oleaut32 reads it while
    unregistering; harmless when not registered)."""

    path: str
    libid: Guid
    name: str
    interfaces: Sequence[type[Interface]]
    version: tuple[int, int] = (1, 0)
    coclasses: Sequence[CoClass] = field(default=())

    def register(self) -> Guid:
        """Build the library at ``path`` and register it; returns the LIBID."""
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        build_type_library(self.path, self.libid, self.name, self.interfaces, self.version, coclasses=self.coclasses)
        return register_type_library(self.path)

    def unregister(self) -> bool:
        """Remove the registration (False when it was not registered)."""
        return unregister_type_library(self.libid, self.version)
