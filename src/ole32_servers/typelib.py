"""Type libraries generated from the Python interface declarations, so oleaut32's typelib marshaller proxies them.

    build_type_library(path, libid, "BenchLib", [IBenchTarget])   # CreateTypeLib2 ... SaveAllChanges
    libid = register_type_library(path)                           # LoadTypeLibEx(REGKIND_REGISTER)
    ...
    unregister_type_library(libid, (1, 0))                        # UnRegisterTypeLib (SYS_WIN64)

Each interface becomes a TKIND_INTERFACE type flagged TYPEFLAG_FOLEAUTOMATION, derived from IUnknown (referenced
from stdole2.tlb) or from another interface of the same library, with one FUNC_PUREVIRTUAL / INVOKE_FUNC /
CC_STDCALL function per method the interface adds, at its vtable offset, member ids numbered as MIDL numbers them
(``0x60000000 | inheritance level << 16 | index``). Only oleautomation types can be described; anything else
(GUIDs, C strings, raw pointers, structs other than VARIANT) raises :class:`TypeLibError` naming the interface,
method and parameter, before anything is created or written.

:func:`type_library_layout` reads any .tlb back as plain data (names, GUIDs, flags, offsets, parameter types and
flags), which is how a generated library is compared with what ``widl``/MIDL make of the same IDL.

Checking the declarations needs no COM runtime (it works on Linux); building, loading and registering do.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, TypedDict

from ole32_bindings.guid import Guid
from vtables.ctypes_ import CType
from vtables.declare import Interface, Method, Param

__all__ = [
    "TypeLibError",
    "GeneratedTypeLibrary",
    "build_type_library",
    "check_automation",
    "register_type_library",
    "unregister_type_library",
    "type_library_layout",
    "VT_NAMES",
]

IID_IUnknown = Guid("{00000000-0000-0000-C000-000000000046}")

# VARENUM values (wtypes.h) used here.
VT_I2, VT_I4, VT_R4, VT_R8, VT_DATE, VT_BSTR, VT_DISPATCH, VT_ERROR, VT_BOOL = 2, 3, 4, 5, 7, 8, 9, 10, 11
VT_VARIANT, VT_UNKNOWN, VT_UI1, VT_UI2, VT_UI4, VT_I8, VT_UI8, VT_INT, VT_UINT = 12, 13, 17, 18, 19, 20, 21, 22, 23
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
    "CY": 6,  # VT_CY
    "DECIMAL": 14,  # VT_DECIMAL
    "BSTR": VT_BSTR,
    "VARIANT": VT_VARIANT,
}

# TYPEKIND, FUNCKIND, INVOKEKIND, CALLCONV, TYPEFLAGS, PARAMFLAGS (oaidl.h).
TKIND_INTERFACE, TKIND_DISPATCH = 3, 4
FUNC_PUREVIRTUAL = 1
INVOKE_FUNC = 1
CC_STDCALL = 4
TYPEFLAG_FOLEAUTOMATION = 0x100
PARAMFLAG_FIN, PARAMFLAG_FOUT, PARAMFLAG_FRETVAL, PARAMFLAG_FOPT = 0x1, 0x2, 0x8, 0x10
MEMBERID_NIL = -1
POINTER_SIZE = 8  # SYS_WIN64: every vtable slot is 8 bytes
TYPE_E_LIBNOTREGISTERED = 0x8002801D
TYPE_E_REGISTRYACCESS = 0x8002801C

# Parameter attributes the typelib marshaller has no use for (MIDL refuses them in [oleautomation] interfaces).
_NOT_AUTOMATION_ATTRS = ("size_is", "length_is", "iid_is", "string")


class TypeLibError(ValueError):
    """An interface that a type library cannot describe for the typelib marshaller (a non-oleautomation type or
    attribute, a base outside the library, ...): the message names the interface, method and parameter."""


# ---- the plan: the declarations checked and turned into type descriptions, with no COM runtime ---------------

# A type description: a VARENUM, ("PTR", inner), or ("USER", interface name).
TypeSpec: TypeAlias = "int | tuple[Literal['PTR'], TypeSpec] | tuple[Literal['USER'], str]"


@dataclass(frozen=True)
class _ParamPlan:
    name: str
    type: TypeSpec
    flags: int


@dataclass(frozen=True)
class _FuncPlan:
    name: str
    memid: int
    ovft: int
    params: tuple[_ParamPlan, ...]


@dataclass(frozen=True)
class _IfacePlan:
    iface: type[Interface]
    base: str | None  # the name of a base in this library, or None for IUnknown (from stdole2)
    funcs: tuple[_FuncPlan, ...]


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
    if ctype.kind in ("int", "float", "vbool", "date", "cy", "decimal") or base in ("BSTR", "VARIANT"):
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


def _param_flags(p: Param, where: str) -> int:
    words = {a.split("(")[0].strip() for a in p.attrs}
    bad = [a for a in _NOT_AUTOMATION_ATTRS if a in words]
    if bad:
        raise TypeLibError(f"{where}: attribute [{bad[0]}] has no oleautomation equivalent")
    flags = {"in": PARAMFLAG_FIN, "out": PARAMFLAG_FOUT, "inout": PARAMFLAG_FIN | PARAMFLAG_FOUT}[p.direction]
    if p.retval:
        flags |= PARAMFLAG_FRETVAL
    if "optional" in words:
        flags |= PARAMFLAG_FOPT
    return flags


def _plan_method(
    iface: type[Interface], m: Method, level: int, number: int, library: dict[str, type[Interface]]
) -> _FuncPlan:
    where = f"{iface.__name__}.{m.name}"
    if not m.returns_hresult:
        raise TypeLibError(
            f"{where}: returns {m.restype.name if m.restype else '?'}; an oleautomation method returns HRESULT"
        )
    params = []
    for i, p in enumerate(m.params):
        pwhere = f"{where} parameter {p.name!r}"
        if p.retval and i != len(m.params) - 1:
            raise TypeLibError(f"{pwhere}: [retval] must be the last parameter")
        params.append(_ParamPlan(p.name, _type_spec(p.ctype, pwhere, library), _param_flags(p, pwhere)))
    return _FuncPlan(m.name, 0x60000000 | (level << 16) | number, m.index * POINTER_SIZE, tuple(params))


def check_automation(interfaces: Sequence[type[Interface]]) -> list[_IfacePlan]:
    """Check that every interface can be described in one oleautomation type library, and plan it; raises
    :class:`TypeLibError` naming the interface, method and parameter that cannot. Needs no COM runtime."""
    library: dict[str, type[Interface]] = {}
    for iface in interfaces:
        if not (isinstance(iface, type) and issubclass(iface, Interface)):
            raise TypeLibError(f"{iface!r} is not an interface declaration")
        other = library.get(iface.__name__)
        if other is not None and other is not iface:
            raise TypeLibError(f"two interfaces named {iface.__name__} in one type library")
        library[iface.__name__] = iface
    plans = []
    for iface in library.values():
        if len(iface.lineage) < 2:
            raise TypeLibError(f"{iface.__name__}: a COM interface derives from IUnknown")
        parent = iface.lineage[1]
        if parent.iid == IID_IUnknown:
            base = None
        elif library.get(parent.__name__) is parent:
            base = parent.__name__
        else:
            raise TypeLibError(
                f"{iface.__name__}: base interface {parent.__name__} is neither IUnknown nor in this type library"
            )
        level = len(iface.lineage) - 1
        funcs = tuple(_plan_method(iface, m, level, n, library) for n, m in enumerate(iface.own_methods))
        plans.append(_IfacePlan(iface, base, funcs))
    return plans


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
    elif spec[0] == "PTR":
        inner = ffi.new("TYPEDESC *")
        keep.append(inner)  # td only points at it: it must outlive every call that reads td
        _fill_typedesc(ffi, inner, spec[1], hrefs, keep)
        td.lptdesc = inner
        td.vt = VT_PTR
    else:  # ("USER", name)
        td.hreftype = hrefs[spec[1]]
        td.vt = VT_USERDEFINED


def build_type_library(
    path: str, libid: Guid, name: str, interfaces: Sequence[type[Interface]], version: tuple[int, int] = (1, 0)
) -> None:
    """Write a SYS_WIN64 type library describing ``interfaces`` to ``path`` (SaveAllChanges replaces the file).

    Every declaration is checked first (:func:`check_automation`): a :class:`TypeLibError` leaves nothing
    written. Interfaces may derive from IUnknown or from another interface in ``interfaces``."""
    plans = check_automation(interfaces)
    tl, ffi, client_class = _runtime()
    from ole32_bindings.constants import REGKIND, SYSKIND
    from vtables.interfaces.automation import ICreateTypeLib2, ITypeInfo, ITypeLib

    path = os.path.abspath(path)
    keep: list[Any] = []  # every ffi.new owner native code may still read, alive until this function returns
    held: list[Any] = []  # every COM reference taken here, released in reverse order at the end
    try:
        stdole = client_class(ITypeLib).from_raw(tl.load_type_lib_ex("stdole2.tlb", REGKIND.NONE))
        held.append(stdole)
        unknown_info = stdole.GetTypeInfoOfGuid(IID_IUnknown)
        held.append(unknown_info)

        lib = client_class(ICreateTypeLib2).from_raw(tl.create_type_lib2(path, SYSKIND.WIN64))
        held.append(lib)
        lib.SetName(name)
        lib.SetGuid(libid)
        lib.SetVersion(*version)
        lib.SetLcid(0)

        creators: dict[str, Any] = {}
        infos: dict[str, Any] = {}
        for plan in plans:
            cti = lib.CreateTypeInfo(plan.iface.__name__, TKIND_INTERFACE)
            held.append(cti)
            creators[plan.iface.__name__] = cti
            info = cti.query(ITypeInfo)
            held.append(info)
            infos[plan.iface.__name__] = info

        for plan in plans:
            cti = creators[plan.iface.__name__]
            cti.SetGuid(plan.iface.iid)
            cti.SetTypeFlags(TYPEFLAG_FOLEAUTOMATION)
            base_info = unknown_info if plan.base is None else infos[plan.base]
            cti.AddImplType(0, cti.AddRefTypeInfo(base_info))
            hrefs: dict[str, int] = {}
            for f in plan.funcs:
                for p in f.params:
                    _collect_users(p.type, hrefs, cti, infos)
            for index, f in enumerate(plan.funcs):
                _add_function(ffi, cti, index, f, hrefs, keep)
        for plan in _bases_first(plans):
            creators[plan.iface.__name__].LayOut()
        lib.SaveAllChanges()
    finally:
        for ref in reversed(held):
            ref.release()


def _collect_users(spec: TypeSpec, hrefs: dict[str, int], cti: Any, infos: dict[str, Any]) -> None:
    if isinstance(spec, tuple):
        if spec[0] == "USER":
            if spec[1] not in hrefs:
                hrefs[spec[1]] = cti.AddRefTypeInfo(infos[spec[1]])
        else:
            _collect_users(spec[1], hrefs, cti, infos)


def _add_function(ffi: Any, cti: Any, index: int, f: _FuncPlan, hrefs: dict[str, int], keep: list[Any]) -> None:
    fd = ffi.new("FUNCDESC *")
    keep.append(fd)
    n = len(f.params)
    if n:
        elems = ffi.new("ELEMDESC[]", n)
        keep.append(elems)
        for i, p in enumerate(f.params):
            _fill_typedesc(ffi, elems[i].tdesc, p.type, hrefs, keep)
            elems[i].paramdesc.wParamFlags = p.flags
            elems[i].paramdesc.pparamdescex = ffi.NULL
        fd.lprgelemdescParam = elems
    fd.memid = f.memid
    fd.funckind = FUNC_PUREVIRTUAL
    fd.invkind = INVOKE_FUNC
    fd.callconv = CC_STDCALL
    fd.cParams = n
    fd.cParamsOpt = 0
    fd.oVft = f.ovft
    fd.cScodes = 0
    fd.elemdescFunc.tdesc.vt = VT_HRESULT
    fd.wFuncFlags = 0
    cti.AddFuncDesc(index, fd)
    # The names array and each string in it are owned here until the call returns (the notes' cffi trap:
    # a wchar_t[] made inline in the array's initialiser would be freed before the callee reads it).
    strings = [ffi.new("wchar_t[]", s) for s in [f.name] + [p.name for p in f.params]]
    keep.extend(strings)
    names = ffi.new("LPOLESTR[]", strings)
    keep.append(names)
    cti.SetFuncAndParamNames(index, names, len(strings))


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


def _describe_interface(ffi: Any, info: Any, name: str) -> dict[str, Any]:
    from ole32_bindings.memory import bstr_free

    ta_out = ffi.new("TYPEATTR **")
    info.GetTypeAttr(ta_out)
    ta = ta_out[0]
    try:
        desc: dict[str, Any] = {
            "name": name,
            "guid": Guid.from_bytes_le(bytes(ffi.buffer(ffi.addressof(ta[0], "guid"), 16))),
            "typekind": ta.typekind,
            "flags": ta.wTypeFlags,
            "version": (ta.wMajorVerNum, ta.wMinorVerNum),
            "cbSizeVft": ta.cbSizeVft,
            "base": None,
            "base_guid": None,
            "functions": [],
        }
        n_funcs, n_impl = ta.cFuncs, ta.cImplTypes
    finally:
        info.ReleaseTypeAttr(ta)
    if n_impl:
        with info.GetRefTypeInfo(info.GetRefTypeOfImplType(0)) as base:
            desc["base"] = base.GetDocumentation(MEMBERID_NIL)[0]
            bt = ffi.new("TYPEATTR **")
            base.GetTypeAttr(bt)
            desc["base_guid"] = Guid.from_bytes_le(bytes(ffi.buffer(ffi.addressof(bt[0][0], "guid"), 16)))
            base.ReleaseTypeAttr(bt[0])
    for i in range(n_funcs):
        fd_out = ffi.new("FUNCDESC **")
        info.GetFuncDesc(i, fd_out)
        fd = fd_out[0]
        try:
            names_buf = ffi.new("BSTR[]", fd.cParams + 1)
            count = info.GetNames(fd.memid, names_buf, fd.cParams + 1)
            try:
                from ole32_bindings.memory import bstr_to_str

                names = [bstr_to_str(names_buf[k]) for k in range(count)]
            finally:
                for k in range(count):
                    bstr_free(names_buf[k])
            names += [""] * (fd.cParams + 1 - len(names))
            params = []
            for k in range(fd.cParams):
                e = fd.lprgelemdescParam[k]
                params.append(
                    {"name": names[k + 1], "type": _type_chain(ffi, info, e.tdesc), "flags": e.paramdesc.wParamFlags}
                )
            desc["functions"].append(
                {
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
            )
        finally:
            info.ReleaseFuncDesc(fd)
    return desc


def type_library_layout(path: str) -> dict[str, Any]:
    """Load ``path`` (REGKIND_NONE: nothing registered) and describe it as plain data::

        {"name", "libid", "version", "lcid", "syskind", "flags",
         "interfaces": [{"name", "guid", "typekind", "flags", "version", "cbSizeVft", "base", "base_guid",
                         "functions": [{"name", "memid", "oVft", "funckind", "invkind", "callconv", "cParamsOpt",
                                        "flags", "returns", "params": [{"name", "type", "flags"}]}]}]}

    Types are tuples such as ``("PTR", "I4")`` (VARENUM names without ``VT_``); a user-defined type is the name of
    the type it refers to (``("PTR", "IBenchTarget")``). Only TKIND_INTERFACE and TKIND_DISPATCH types are listed."""
    tl, ffi, client_class = _runtime()
    from ole32_bindings.constants import REGKIND
    from vtables.interfaces.automation import ITypeLib

    with client_class(ITypeLib).from_raw(tl.load_type_lib_ex(os.path.abspath(path), REGKIND.NONE)) as lib:
        result: dict[str, Any] = dict(_lib_attr(ffi, lib))
        result["name"] = lib.GetDocumentation(MEMBERID_NIL)[0]
        result["interfaces"] = []
        for index in range(lib.GetTypeInfoCount()):
            if lib.GetTypeInfoType(index) not in (TKIND_INTERFACE, TKIND_DISPATCH):
                continue
            with lib.GetTypeInfo(index) as info:
                name = info.GetDocumentation(MEMBERID_NIL)[0]
                result["interfaces"].append(_describe_interface(ffi, info, name))
    return result


@dataclass
class GeneratedTypeLibrary:
    """A type library made from declarations and registered with a server (``LocalServer.main(typelib=...)``):
    ``register()`` builds the .tlb at ``path`` and registers it; ``unregister()`` undoes the registration (the file
    stays, as oleaut32 reads it while unregistering; harmless when not registered)."""

    path: str
    libid: Guid
    name: str
    interfaces: Sequence[type[Interface]]
    version: tuple[int, int] = (1, 0)

    def register(self) -> Guid:
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        build_type_library(self.path, self.libid, self.name, self.interfaces, self.version)
        return register_type_library(self.path)

    def unregister(self) -> bool:
        return unregister_type_library(self.libid, self.version)
