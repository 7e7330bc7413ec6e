"""Type information for the IDispatch members of Python classes, built in memory from the member tables.

What IDispatch::GetTypeInfo and IProvideClassInfo::GetClassInfo return: per class, one type library made with
CreateTypeLib2 and never saved (nothing is written to disk or registered), holding

* for each dispatchable interface of the class (``vtables.members.DispatchTable``), a TKIND_DISPATCH type named
  after the interface (the class, for an undeclared one), GUID the interface's IID (a GUID derived from the class's
  module and name for an undeclared class), derived from stdole2's IDispatch, with one FUNC_DISPATCH function per
  accessor: its DISPID, INVOKE kind, parameters (names, types, [in]/[out]/[optional]/[defaultvalue]) and result
  type, as a dual interface's dispatch half or a dispinterface describes it (an undeclared member's parameters and
  result are VARIANTs);
* for a class with a ``clsid``, a TKIND_COCLASS of that GUID listing those interfaces, the first as [default],
  then its dispatchable source interfaces (``sources=``, ``vtables.events``) as [source], the first as
  [default, source] (what IProvideClassInfo2 clients and scripting hosts look for).

A class that names its registered type library, ``typelib = (LIBID, major, minor)`` (the library
``ole32_servers.typelib`` built and registered from the same declarations), answers from it instead when it is
registered (LoadRegTypeLib at the first request, kept): as ATL does, so that clients that go from the type
information to the registered library (pywin32's ``DispatchWithEvents``, makepy's ``EnsureModule``) find it.

This lives in ``vtables`` (not ``ole32_servers.typelib``, which writes and registers .tlb files for the typelib
marshaler) because the object model answers GetTypeInfo itself and may not import the layer above it; the two
share nothing but oleaut32's ICreateTypeLib2. Made on first request and kept for the life of the process (as ATL
keeps a class's ITypeInfo), as raw references outside the leak accounting.
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Any

from ole32_bindings import typelib as _tl
from ole32_bindings.constants import REGKIND, SYSKIND
from ole32_bindings.dlls import ffi
from ole32_bindings.guid import Guid
from ole32_bindings.hresult import ComError
from ole32_bindings.oavalues import VT_ARRAY, VT_VARIANT, Variant

from .client import client_class
from .ctypes_ import CType, ctype_of
from .declare import INVOKE_FUNC, INVOKE_PROPERTYGET, NO_DEFAULT, Interface
from .interfaces.automation import ICreateTypeLib2, IDispatch, ITypeInfo, ITypeLib
from .members import DISPID_NEWENUM, Accessor, DispatchTable, declared_vt, interface_table

__all__ = ["type_info_of", "class_info_of", "dispatch_guid"]

log = logging.getLogger("vtables")

TKIND_DISPATCH, TKIND_COCLASS = 4, 5
FUNC_DISPATCH = 4
CC_STDCALL = 4
TYPEFLAG_FCANCREATE, TYPEFLAG_FHIDDEN, TYPEFLAG_FDISPATCHABLE = 0x2, 0x10, 0x1000
FUNCFLAG_FRESTRICTED, FUNCFLAG_FHIDDEN = 0x1, 0x40
IMPLTYPEFLAG_FDEFAULT, IMPLTYPEFLAG_FSOURCE = 0x1, 0x2
PARAMFLAG_FIN, PARAMFLAG_FOUT, PARAMFLAG_FOPT, PARAMFLAG_FHASDEFAULT = 0x1, 0x2, 0x10, 0x20
VT_VOID, VT_PTR, VT_SAFEARRAY = 24, 26, 27
_NAMESPACE = uuid.UUID("5b0f3c7e-2d7a-4f1e-9a43-0c6f1d2b8e51")  # for the GUIDs of undeclared classes

_lock = threading.RLock()
_stdole_dispatch: Any = None  # raw ITypeInfo of stdole2's IDispatch, kept
#: class -> [raw ITypeLib, {id(table): raw ITypeInfo}, raw coclass ITypeInfo or None]
_made: dict[type, list[Any]] = {}
#: (class, GUID) -> raw ITypeInfo from the class's registered library (``typelib``), or None: looked up once
_from_registered: dict[tuple[type, Guid], Any] = {}


def dispatch_guid(cls: type, table: DispatchTable, iface: type[Interface] | None) -> Guid:
    """The GUID of a table's dispatch type: the interface's IID, or, for an undeclared class, a GUID derived from
    its module and qualified name (the same in every process)."""
    if iface is not None and iface is not IDispatch:
        return iface.iid
    return Guid(str(uuid.uuid5(_NAMESPACE, f"{cls.__module__}.{cls.__qualname__}")))


def _interface_of(cls: type, table: DispatchTable) -> type[Interface] | None:
    layout = getattr(cls, "_com_layout", None)
    for k, t in cls.__dict__.get("_com_dispatch_tables", ()):
        if t is table and layout is not None:
            found: type[Interface] = layout.interfaces[k]
            return found
    return None


def _registered_info(cls: type, guid: Guid) -> Any:
    """The ITypeInfo of ``guid`` in the class's registered type library (``typelib = (LIBID, major, minor)``), a
    raw pointer kept for the process; None when the class names no library, or the library is not registered or
    lacks ``guid`` (said once in the log). Looked up at the first request for that GUID, and remembered."""
    spec = getattr(cls, "typelib", None)
    if spec is None:
        return None
    key = (cls, guid)
    if key in _from_registered:
        return _from_registered[key]
    with _lock:
        if key in _from_registered:
            return _from_registered[key]
        info = None
        try:
            libid, major, minor = spec
            libid = libid if isinstance(libid, Guid) else Guid(str(libid))
            with client_class(ITypeLib).from_raw(_tl.load_reg_type_lib(libid, int(major), int(minor), 0)) as lib:
                info = lib.GetTypeInfoOfGuid(guid).into_raw()
        except (ComError, TypeError, ValueError) as e:
            log.warning(
                "%s: typelib %r gives no type information for %s (%s): the in-memory description answers",
                cls.__name__,
                spec,
                guid,
                e,
            )
        _from_registered[key] = info
        return info


def type_info_of(cls: type, table: DispatchTable) -> Any:
    """The ITypeInfo (TKIND_DISPATCH) describing ``table``, a member table of ``cls``: a raw pointer, borrowed
    (AddRef it to hand it out): the class's registered library's (``typelib = (LIBID, major, minor)``) when it
    describes the interface, else made in memory on first request. ComError when oleaut32 refuses to build it."""
    info = table.type_info
    if info is not None:
        return info
    if getattr(cls, "typelib", None) is not None:
        registered = _registered_info(cls, dispatch_guid(cls, table, _interface_of(cls, table)))
        if registered is not None:
            return registered
    with _lock:
        if table.type_info is None:
            _build(cls)
        return table.type_info


def class_info_of(cls: type) -> Any:
    """The coclass ITypeInfo of ``cls`` (which needs a ``clsid``): a raw pointer, borrowed. ValueError without a
    clsid."""
    clsid = getattr(cls, "clsid", None)
    if clsid is None:
        raise ValueError(f"{cls.__name__} has no clsid: no coclass to describe")
    if getattr(cls, "typelib", None) is not None:
        registered = _registered_info(cls, clsid if isinstance(clsid, Guid) else Guid(str(clsid)))
        if registered is not None:
            return registered
    with _lock:
        made = _made.get(cls)
        if made is None or made[2] is None:
            _build(cls)
        return _made[cls][2]


def _stdole() -> Any:
    global _stdole_dispatch
    if _stdole_dispatch is None:
        with client_class(ITypeLib).from_raw(_tl.load_type_lib_ex("stdole2.tlb", REGKIND.NONE)) as lib:
            _stdole_dispatch = lib.GetTypeInfoOfGuid(IDispatch.iid).into_raw()
    return _stdole_dispatch


def _build(cls: type) -> None:
    """(Re)make the class's type library: every table's dispatch type, and the coclass when it has a clsid."""
    tables: list[tuple[int, DispatchTable]] = list(cls.__dict__.get("_com_dispatch_tables", ()))
    name = _identifier(cls.__name__)
    held: list[Any] = []
    keep: list[Any] = []
    try:
        lib = client_class(ICreateTypeLib2).from_raw(_tl.create_type_lib2(f"{name}.tlb", SYSKIND.WIN64))
        held.append(lib)
        lib.SetName(name)
        lib.SetGuid(Guid(str(uuid.uuid5(_NAMESPACE, f"lib:{cls.__module__}.{cls.__qualname__}"))))
        lib.SetVersion(1, 0)
        lib.SetLcid(0)
        dispatch_info = client_class(ITypeInfo).from_borrowed(_stdole())
        held.append(dispatch_info)
        infos: list[tuple[DispatchTable, Any]] = []
        used: set[str] = set()
        # The dispatchable source interfaces (``sources=``, vtables.events): described as the others, listed in
        # the coclass as [source], the first [default, source].
        sources = [src for src in getattr(cls, "sources", ()) if IDispatch in src.lineage]
        pending = [(table, _interface_of(cls, table)) for _slot, table in tables]
        pending += [(interface_table(src), src) for src in sources]
        for table, iface in pending:
            tname = _identifier(table.name if iface is not None and iface is not IDispatch else f"_{name}")
            while tname.lower() in used or tname.lower() == name.lower():
                tname = "_" + tname
            used.add(tname.lower())
            cti = lib.CreateTypeInfo(tname, TKIND_DISPATCH)
            held.append(cti)
            cti.SetGuid(dispatch_guid(cls, table, iface))
            cti.SetTypeFlags(TYPEFLAG_FDISPATCHABLE)
            cti.AddImplType(0, cti.AddRefTypeInfo(dispatch_info.as_raw()))
            index = 0
            for member in table.members():
                for kind, acc in member.accessors.items():
                    if kind == INVOKE_PROPERTYGET and INVOKE_FUNC in member.accessors:
                        continue  # a method also readable as a property (_NewEnum): one name, described once
                    _add_function(cti, index, member.name, member.dispid, acc, keep)
                    index += 1
            cti.LayOut()
            info = cti.query(ITypeInfo)
            held.append(info)
            infos.append((table, info))
        coclass = None
        clsid = getattr(cls, "clsid", None)
        if clsid is not None and infos:
            cti = lib.CreateTypeInfo(name, TKIND_COCLASS)
            held.append(cti)
            cti.SetGuid(clsid if isinstance(clsid, Guid) else Guid(str(clsid)))
            cti.SetTypeFlags(TYPEFLAG_FCANCREATE)
            first_source = len(infos) - len(sources)
            for i, (_table, info) in enumerate(infos):
                cti.AddImplType(i, cti.AddRefTypeInfo(info.as_raw()))
                if i >= first_source:
                    default = IMPLTYPEFLAG_FDEFAULT if i == first_source else 0
                    cti.SetImplTypeFlags(i, IMPLTYPEFLAG_FSOURCE | default)
            if first_source > 0:
                cti.SetImplTypeFlags(0, IMPLTYPEFLAG_FDEFAULT)
            cti.LayOut()
            coclass = cti.query(ITypeInfo)
            held.append(coclass)
        # Publish: raw references kept for the life of the process.
        lib_raw = lib.query(ITypeLib).into_raw()
        made = _made.setdefault(cls, [lib_raw, {}, None])
        for table, info in infos:
            raw = client_class(ITypeInfo).from_borrowed(info.as_raw()).into_raw()
            made[1][id(table)] = raw
            table.type_info = raw
        if coclass is not None:
            made[2] = client_class(ITypeInfo).from_borrowed(coclass.as_raw()).into_raw()
    finally:
        for ref in reversed(held):
            ref.release()


def _identifier(text: str) -> str:
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in text)
    return out if out and not out[0].isdigit() else "_" + out


def _typedesc(td: Any, ctype: CType | None, keep: list[Any]) -> None:
    """Fill TYPEDESC ``td`` for a declared type (None: VARIANT); pointers as VT_PTR chains."""
    if ctype is None:
        td.vt = VT_VARIANT
        return
    depth = ctype.depth
    if ctype.kind == "iface":
        depth -= 1  # the interface pointer itself is the VT_DISPATCH/VT_UNKNOWN value
    base = ctype if depth <= 0 else _pointee(ctype, depth)
    for _ in range(max(depth, 0)):
        inner = ffi.new("TYPEDESC *")
        keep.append(inner)
        td.vt = VT_PTR
        td.lptdesc = inner
        td = inner
    vt = declared_vt(base)
    if vt is None:
        td.vt = VT_VARIANT
    elif vt & VT_ARRAY:
        inner = ffi.new("TYPEDESC *")
        keep.append(inner)
        inner.vt = vt & ~VT_ARRAY
        td.vt = VT_SAFEARRAY
        td.lptdesc = inner
    else:
        td.vt = vt


def _pointee(ctype: CType, levels: int) -> CType:
    text = ctype.name.strip()
    for _ in range(levels):
        text = text[: text.rfind("*")].strip()
    return ctype_of(text)


def _result_type(acc: Accessor) -> tuple[bool, CType | None]:
    """(has a result, its type) of an accessor, as a dispatch function describes it."""
    if not acc.returns:
        return False, None
    m = acc.method
    if m is None:
        return True, None
    if m.params and m.params[-1].retval:
        return True, _pointee(m.params[-1].ctype, 1)
    return True, m.restype


def _add_function(cti: Any, index: int, name: str, dispid: int, acc: Accessor, keep: list[Any]) -> None:
    from .variant import clear, write

    n = len(acc.args) + (1 if acc.varargs else 0)
    fd = ffi.new("FUNCDESC *")
    keep.append(fd)
    defaults: list[Any] = []
    try:
        if n:
            elems = ffi.new("ELEMDESC[]", n)
            keep.append(elems)
            for i, a in enumerate(acc.args):
                _typedesc(elems[i].tdesc, a.ctype, keep)
                flags = (PARAMFLAG_FIN if a.passes_in else 0) | (PARAMFLAG_FOUT if a.writes_back else 0)
                if a.optional:
                    flags |= PARAMFLAG_FOPT
                if a.default is not NO_DEFAULT and a.default is not None:
                    ex = ffi.new("PARAMDESCEX *")
                    keep.append(ex)
                    ex.cBytes = ffi.sizeof("PARAMDESCEX")
                    vt = declared_vt(a.ctype)
                    try:
                        write(ffi.addressof(ex, "varDefaultValue"), a.default if vt is None else Variant(vt, a.default))
                    except (TypeError, ValueError, OverflowError):
                        pass  # a Python default with no VARIANT form: described as [optional] only
                    else:
                        defaults.append(ex)
                        elems[i].paramdesc.pparamdescex = ex
                        flags |= PARAMFLAG_FHASDEFAULT
                elems[i].paramdesc.wParamFlags = flags
            if acc.varargs:  # [vararg]: the extra arguments as a last SAFEARRAY(VARIANT), cParamsOpt -1
                inner = ffi.new("TYPEDESC *")
                keep.append(inner)
                inner.vt = VT_VARIANT
                elems[n - 1].tdesc.vt = VT_SAFEARRAY
                elems[n - 1].tdesc.lptdesc = inner
                elems[n - 1].paramdesc.wParamFlags = PARAMFLAG_FIN
            fd.lprgelemdescParam = elems
        fd.memid = dispid
        fd.funckind = FUNC_DISPATCH
        fd.invkind = acc.invkind
        fd.callconv = CC_STDCALL
        fd.cParams = n
        fd.cParamsOpt = -1 if acc.varargs else 0
        fd.oVft = 0
        fd.cScodes = 0
        has_result, rtype = _result_type(acc)
        if has_result:
            _typedesc(fd.elemdescFunc.tdesc, rtype, keep)
        else:
            fd.elemdescFunc.tdesc.vt = VT_VOID
        restricted = dispid == DISPID_NEWENUM or (acc.method is not None and "restricted" in acc.method.attrs)
        hidden = restricted or (acc.method is not None and "hidden" in acc.method.attrs)
        fd.wFuncFlags = (FUNCFLAG_FRESTRICTED if restricted else 0) | (FUNCFLAG_FHIDDEN if hidden else 0)
        cti.AddFuncDesc(index, fd)
    finally:
        for ex in defaults:
            clear(ffi.addressof(ex, "varDefaultValue"))
    # A put's names omit its value (the last parameter), as ICreateTypeInfo::SetFuncAndParamNames requires.
    params = [a.name for a in (acc.args[:-1] if acc.invkind != INVOKE_FUNC and acc.is_put else acc.args)]
    if acc.varargs:
        params.append(acc.varargs_name or "args")
    strings = [ffi.new("wchar_t[]", s) for s in [name, *params]]
    keep.extend(strings)
    names = ffi.new("LPOLESTR[]", strings)
    keep.append(names)
    cti.SetFuncAndParamNames(index, names, len(strings))
