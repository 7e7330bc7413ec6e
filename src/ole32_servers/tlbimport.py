"""Type library import: a Python module of declarations for an existing type library, written in the forms this
project writes by hand (``vtables.declare``, ``vtables.members``, ``ole32_servers.typelib.CoClass``).

    python -m ole32_bindings typelib scrrun.dll -o Scripting.py     # the command (``typelib --help``)
    write_module("scrrun.dll", "Scripting.py")                        # the same, as a function
    Scripting = module_for("scrrun.dll")                               # generated once into the cache, imported

``SOURCE`` is a .tlb file, a DLL/EXE/OCX holding one as a resource (``file.dll\\2`` for the second, as LoadTypeLib
takes it), a registered LIBID with its version (``{420B2830-E718-11CF-893D-00A0C9054228} 1.0``) or a ProgID
(``Scripting.Dictionary``: the library its CLSID's ``TypeLib`` key names).

The module's top-level names are the library's own: custom and dual interfaces (``class IDictionary(IDispatch)``,
every method in vtable order as an IDL-like signature with its DISPID, directions, ``[optional]``,
``[defaultvalue(x)]`` and ``[retval]``), dispinterfaces (``class Font(DispInterface)``, ``dispmethod`` and
``dispproperty``), enums (``@enumtype`` IntEnums), aliases (``alias``), records and unions (``Record``/``Union``
with their size and alignment, checked when the module is imported), module constants, and coclasses (``CoClass``
with the CLSID, the default interface and the default source interface). Helpstrings become docstrings (and
``helpstring(...)`` attributes of the methods). A type from another type library (stdole2's, or any other) is
imported from that library's module, generated beside it; the standard interfaces this project declares
(IUnknown, IDispatch, IEnumVARIANT, ITypeInfo...) are imported from ``vtables.interfaces``.

The output is deterministic (the same library gives the same bytes: no date, no path, types in the library's
order) and imports on any CPython without a COM runtime. Reading a library needs one (oleaut32's ITypeLib).

The cache: :func:`module_for` writes modules into :func:`cache_directory` (``OLE32B_TYPELIB_CACHE`` when set;
else ``%LOCALAPPDATA%\\ole32-bindings\\typelibs`` on Windows, ``~/.cache/ole32-bindings/typelibs`` elsewhere) and
imports them as ``ole32_servers.typelibs.<Name>``; a cached module is regenerated only when its header (LIBID,
version, LCID, generator version) does not match the library.

Bad input raises :class:`TypeLibImportError` naming the source and what was wrong (a missing, corrupt or truncated
file, a DLL without a type library, an unregistered LIBID or ProgID, a reference to a type library that is not
registered), never a crash.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import keyword
import os
import re
import sys
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from ole32_bindings.oavalues import VT_CARRAY, VT_PTR, VT_SAFEARRAY, VT_USERDEFINED

__all__ = [
    "TypeLibImportError",
    "generate",
    "write_module",
    "module_for",
    "cached_module",
    "ensure_cached",
    "cache_directory",
    "GENERATOR_VERSION",
    "register",
    "check_type_library_file",
]

GENERATOR_VERSION = 1
"""Bumped when the generated text changes: cached modules of another version are regenerated."""

CACHE_ENV = "OLE32B_TYPELIB_CACHE"


class TypeLibImportError(Exception):
    """A type library that cannot be imported: the message names the source and what was wrong."""


# ---- VARTYPEs and type library constants ---------------------------------------------------------------------------

_VT_NAMES = {
    2: "SHORT",
    3: "LONG",
    4: "float",
    5: "double",
    6: "CY",
    7: "DATE",
    8: "BSTR",
    9: "IDispatch *",
    10: "SCODE",
    11: "VARIANT_BOOL",
    12: "VARIANT",
    13: "IUnknown *",
    14: "DECIMAL",
    16: "char",
    17: "BYTE",
    18: "USHORT",
    19: "ULONG",
    20: "LONG64",
    21: "ULONGLONG",
    22: "INT",
    23: "UINT",
    24: "void",
    25: "HRESULT",
    30: "char *",
    31: "LPWSTR",
    37: "INT_PTR",
    38: "UINT_PTR",
    64: "FILETIME",
}
TKIND_ENUM, TKIND_RECORD, TKIND_MODULE, TKIND_INTERFACE, TKIND_DISPATCH, TKIND_COCLASS, TKIND_ALIAS, TKIND_UNION = (
    range(8)
)
TYPEFLAG_FDUAL = 0x40
FUNC_DISPATCH = 4
INVOKE_FUNC, INVOKE_PROPERTYGET, INVOKE_PROPERTYPUT, INVOKE_PROPERTYPUTREF = 1, 2, 4, 8
VAR_CONST, VAR_DISPATCH = 2, 3
VARFLAG_FREADONLY = 0x1
FUNCFLAG_FRESTRICTED, FUNCFLAG_FHIDDEN = 0x1, 0x40
PARAMFLAG_FIN, PARAMFLAG_FOUT, PARAMFLAG_FLCID, PARAMFLAG_FRETVAL, PARAMFLAG_FOPT, PARAMFLAG_FHASDEFAULT = (
    0x1,
    0x2,
    0x4,
    0x8,
    0x10,
    0x20,
)
IMPLTYPEFLAG_FDEFAULT, IMPLTYPEFLAG_FSOURCE, IMPLTYPEFLAG_FRESTRICTED = 0x1, 0x2, 0x4
MEMBERID_NIL = -1
_DISPATCH_METHODS = {
    "QueryInterface",
    "AddRef",
    "Release",
    "GetTypeInfoCount",
    "GetTypeInfo",
    "GetIDsOfNames",
    "Invoke",
}
#: class attributes the declaration bases use: a member of that name is renamed (with a comment)
_RESERVED = {"iid", "layout", "own_methods", "lineage", "describe", "disp_members", "mro"}


# ---- the model: what is read from a library, before it is written ---------------------------------------------------


@dataclass
class _Ref:
    """A type another library defines: its module and name."""

    module: str
    name: str


@dataclass
class _Type:
    name: str
    kind: str  # enum, alias, record, union, module, interface, dual, dispinterface, coclass
    doc: str
    guid: str = ""
    #: enum: [(name, value, doc)]; module: [(name, value, doc)]
    values: list[tuple[str, Any, str]] = field(default_factory=list)
    #: alias: the aliased type's text
    target: str = ""
    #: record/union: [(name, type text, count, offset)], size, alignment
    fields: list[tuple[str, str, int, int]] = field(default_factory=list)
    size: int = 0
    alignment: int = 0
    #: interface/dual: the base (a name of this library, or a _Ref); members as (attribute name, text, comment)
    base: str | _Ref | None = None
    members: list[tuple[str, str, str]] = field(default_factory=list)
    #: coclass: (type, flags) per implemented interface
    impls: list[tuple[str | _Ref, int]] = field(default_factory=list)
    #: names of this library's types it needs declared before it (by value / as base)
    needs: set[str] = field(default_factory=set)


@dataclass
class _Library:
    name: str  # the module name
    libname: str
    libid: str
    version: tuple[int, int]
    lcid: int
    doc: str
    types: list[_Type] = field(default_factory=list)
    #: module names of the libraries it refers to
    imports: set[str] = field(default_factory=set)
    #: names from vtables.interfaces it uses
    standard: set[str] = field(default_factory=set)
    #: those of them the library itself lists (stdole2's IUnknown, IDispatch, IEnumVARIANT): exported too
    own_standard: set[str] = field(default_factory=set)


def _identifier(name: str) -> str:
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "_"
    if out[0].isdigit():
        out = "_" + out
    return out + "_" if keyword.iskeyword(out) else out


# ---- reading (needs the COM runtime) -------------------------------------------------------------------------------


class _Reader:
    """Reads one library and, on demand, the libraries it refers to. Every COM reference it takes is released
    before :meth:`close` returns."""

    def __init__(self) -> None:
        from ole32_bindings.dlls import ffi
        from vtables.client import client_class
        from vtables.interfaces import automation as _auto

        self.ffi = ffi
        self.client_class = client_class
        self.ITypeLib = _auto.ITypeLib
        self.ITypeInfo = _auto.ITypeInfo
        self.libraries: dict[str, _Library] = {}  # by libid+version key
        self.pending: list[Any] = []  # ITypeLib pointers of referenced libraries still to read
        self._standard = _standard_interfaces()

    # -- small readers --

    def lib_attr(self, lib: Any) -> tuple[str, tuple[int, int], int]:
        from ole32_bindings.guid import Guid

        out = self.ffi.new("TLIBATTR **")
        lib.GetLibAttr(out)
        a = out[0]
        try:
            libid = Guid.from_bytes_le(bytes(self.ffi.buffer(self.ffi.addressof(a[0], "guid"), 16)))
            return str(libid).upper(), (a.wMajorVerNum, a.wMinorVerNum), a.lcid
        finally:
            lib.ReleaseTLibAttr(a)

    def type_attr(self, info: Any) -> dict[str, Any]:
        from ole32_bindings.guid import Guid

        out = self.ffi.new("TYPEATTR **")
        info.GetTypeAttr(out)
        ta = out[0]
        try:
            return {
                "guid": str(Guid.from_bytes_le(bytes(self.ffi.buffer(self.ffi.addressof(ta[0], "guid"), 16)))).upper(),
                "typekind": ta.typekind,
                "flags": ta.wTypeFlags,
                "cFuncs": ta.cFuncs,
                "cVars": ta.cVars,
                "cImplTypes": ta.cImplTypes,
                "size": ta.cbSizeInstance,
                "alignment": ta.cbAlignment,
                "alias": self.ffi.new("TYPEDESC *", ta.tdescAlias) if ta.typekind == TKIND_ALIAS else None,
            }
        finally:
            info.ReleaseTypeAttr(ta)

    def names_of(self, info: Any, memid: int, count: int) -> list[str]:
        from ole32_bindings.memory import bstr_free, bstr_to_str

        buf = self.ffi.new("BSTR[]", count)
        got = info.GetNames(memid, buf, count)
        try:
            return [bstr_to_str(buf[k]) or "" for k in range(got)]
        finally:
            for k in range(got):
                bstr_free(buf[k])

    def doc_of(self, info: Any, memid: int) -> tuple[str, str]:
        name, doc, _ctx, _file = info.GetDocumentation(memid)
        return name or "", doc or ""

    # -- libraries --

    def read(self, lib: Any) -> _Library:
        """Read ``lib`` (an ITypeLib ComPtr, borrowed) and every library it refers to; the first is returned."""
        first = self._read_one(lib)
        while self.pending:
            other = self.pending.pop(0)
            with other:
                self._read_one(other)
        return first

    def key_of(self, lib: Any) -> tuple[str, str, tuple[int, int], int]:
        libid, version, lcid = self.lib_attr(lib)
        return f"{libid} {version[0]}.{version[1]} {lcid}", libid, version, lcid

    def module_name_of(self, lib: Any) -> str:
        key, _libid, version, _lcid = self.key_of(lib)
        known = self.libraries.get(key)
        if known is not None:
            return known.name
        libname = lib.GetDocumentation(MEMBERID_NIL)[0] or "typelib"
        name = _identifier(libname)
        taken = {x.name for x in self.libraries.values()}
        if name in taken:
            name = f"{name}_{version[0]}_{version[1]}"
        return name

    def _read_one(self, lib: Any) -> _Library:
        key, libid, version, lcid = self.key_of(lib)
        if key in self.libraries:
            return self.libraries[key]
        libname, doc, _ctx, _file = lib.GetDocumentation(MEMBERID_NIL)
        out = _Library(self.module_name_of(lib), libname or "", libid, version, lcid, doc or "")
        self.libraries[key] = out
        self.current = out
        self.current_libid = libid
        for index in range(lib.GetTypeInfoCount()):
            with lib.GetTypeInfo(index) as info:
                t = self.read_type(info)
            if t is not None:
                out.types.append(t)
        return out

    # -- types --

    def read_type(self, info: Any) -> _Type | None:
        attr = self.type_attr(info)
        name, doc = self.doc_of(info, MEMBERID_NIL)
        name = _identifier(name)
        kind = attr["typekind"]
        guid = attr["guid"]
        if kind in (TKIND_INTERFACE, TKIND_DISPATCH) and guid in self._standard:
            self.current.standard.add(self._standard[guid])
            self.current.own_standard.add(self._standard[guid])
            return None
        if kind == TKIND_ENUM:
            return _Type(name, "enum", doc, values=self.read_values(info, attr["cVars"], name))
        if kind == TKIND_MODULE:
            values = self.read_values(info, attr["cVars"], name)
            return _Type(name, "module", doc, values=values) if values else None
        if kind == TKIND_ALIAS:
            needs: set[str] = set()
            target = self.type_text(info, attr["alias"], needs, f"alias {name}")
            return _Type(name, "alias", doc, target=target, needs=needs)
        if kind in (TKIND_RECORD, TKIND_UNION):
            return self.read_record(info, attr, name, doc, "record" if kind == TKIND_RECORD else "union")
        if kind == TKIND_DISPATCH and attr["flags"] & TYPEFLAG_FDUAL:
            try:
                href = info.GetRefTypeOfImplType(0xFFFFFFFF)  # -1: a dual's vtable half
            except Exception:
                href = None
            if href is not None:
                with info.GetRefTypeInfo(href) as half:
                    return self.read_interface(half, self.type_attr(half), name, doc, "dual")
        if kind == TKIND_INTERFACE:
            return self.read_interface(info, attr, name, doc, "dual" if attr["flags"] & TYPEFLAG_FDUAL else "interface")
        if kind == TKIND_DISPATCH:
            return self.read_dispinterface(info, attr, name, doc)
        if kind == TKIND_COCLASS:
            return self.read_coclass(info, attr, name, doc)
        return None

    def read_values(self, info: Any, count: int, where: str) -> list[tuple[str, Any, str]]:
        from vtables.variant import to_python

        values = []
        out = self.ffi.new("VARDESC **")
        for i in range(count):
            info.GetVarDesc(i, out)
            vd = out[0]
            try:
                if vd.varkind != VAR_CONST or vd.lpvarValue == self.ffi.NULL:
                    continue
                memid = vd.memid
                value = to_python(vd.lpvarValue)
            finally:
                info.ReleaseVarDesc(vd)
            vname, vdoc = self.doc_of(info, memid)
            if isinstance(value, bool):
                value = -1 if value else 0
            if not isinstance(value, (int, float, str)):
                continue  # a constant with no Python literal form (a date, a currency): left out
            values.append((_identifier(vname), value, vdoc))
        return values

    def read_record(self, info: Any, attr: dict[str, Any], name: str, doc: str, kind: str) -> _Type:
        t = _Type(name, kind, doc, guid=attr["guid"], size=attr["size"], alignment=attr["alignment"])
        out = self.ffi.new("VARDESC **")
        for i in range(attr["cVars"]):
            info.GetVarDesc(i, out)
            vd = out[0]
            try:
                memid, offset = vd.memid, vd.oInst
                td = vd.elemdescVar.tdesc
                count = 1
                if td.vt == VT_CARRAY:
                    ad = td.lpadesc
                    for d in range(ad.cDims):
                        count *= ad.rgbounds[d].cElements
                    td = ad.tdescElem
                text = self.type_text(info, td, t.needs, f"{name} member {i}")
            finally:
                info.ReleaseVarDesc(vd)
            fname = _identifier(self.doc_of(info, memid)[0] or f"field{i}")
            t.fields.append((fname, text, count, offset))
        return t

    def read_interface(self, info: Any, attr: dict[str, Any], name: str, doc: str, kind: str) -> _Type:
        t = _Type(name, kind, doc, guid=attr["guid"])
        if attr["cImplTypes"]:
            t.base = self.ref_of_impl(info, 0, t.needs)
        out = self.ffi.new("FUNCDESC **")
        seen: dict[str, tuple[str, set[int]]] = {}
        as_get = self._methods_read_as_gets(info, attr["cFuncs"])
        for i in range(attr["cFuncs"]):
            info.GetFuncDesc(i, out)
            fd = out[0]
            try:
                t.members.append(self.function(info, fd, name, vtable=True, seen=seen, as_get=i in as_get))
            finally:
                info.ReleaseFuncDesc(fd)
        return t

    def _methods_read_as_gets(self, info: Any, count: int) -> set[int]:
        """Indexes of methods that are a property's missing get: a method taking only an [out, retval] whose name and
        DISPID a [propput]/[propputref] of the same interface share, with no [propget] of that name (Wine's wmp.dll
        declares IWMPControls::currentItem so). The declarations allow one DISPID per member: read as the get."""
        out = self.ffi.new("FUNCDESC **")
        funcs = []
        for i in range(count):
            info.GetFuncDesc(i, out)
            fd = out[0]
            try:
                retval_only = fd.cParams == 1 and bool(
                    fd.lprgelemdescParam[0].paramdesc.wParamFlags & PARAMFLAG_FRETVAL
                )
                funcs.append((self.doc_of(info, fd.memid)[0].lower(), fd.invkind, fd.memid, retval_only))
            finally:
                info.ReleaseFuncDesc(fd)
        puts = {(n, m) for n, k, m, _ in funcs if k in (INVOKE_PROPERTYPUT, INVOKE_PROPERTYPUTREF)}
        gets = {n for n, k, _, _ in funcs if k == INVOKE_PROPERTYGET}
        return {
            i
            for i, (n, k, m, retval_only) in enumerate(funcs)
            if k == INVOKE_FUNC and retval_only and (n, m) in puts and n not in gets
        }

    def read_dispinterface(self, info: Any, attr: dict[str, Any], name: str, doc: str) -> _Type:
        t = _Type(name, "dispinterface", doc, guid=attr["guid"])
        out = self.ffi.new("FUNCDESC **")
        props: dict[int, dict[str, Any]] = {}
        order: list[tuple[str, Any]] = []
        for i in range(attr["cFuncs"]):
            info.GetFuncDesc(i, out)
            fd = out[0]
            try:
                fname = self.doc_of(info, fd.memid)[0]
                if fname in _DISPATCH_METHODS and fd.wFuncFlags & FUNCFLAG_FRESTRICTED:
                    continue  # IDispatch's own methods, as Wine lists them in a dispinterface
                if fd.invkind == INVOKE_FUNC:
                    order.append(("m", self.function(info, fd, name, vtable=False)))
                    continue
                p = props.get(fd.memid)
                if p is None:
                    p = props[fd.memid] = {"memid": fd.memid, "name": fname, "type": None, "index": [], "put": False}
                    order.append(("p", p))
                self.accessor(info, fd, p, name)
            finally:
                info.ReleaseFuncDesc(fd)
        vout = self.ffi.new("VARDESC **")
        for i in range(attr["cVars"]):
            info.GetVarDesc(i, vout)
            vd = vout[0]
            try:
                memid, flags = vd.memid, vd.wVarFlags
                text = self.type_text(info, vd.elemdescVar.tdesc, set(), f"{name} property {i}")
            finally:
                info.ReleaseVarDesc(vd)
            vname, vdoc = self.doc_of(info, memid)
            p = {"memid": memid, "name": vname, "type": text, "index": [], "put": not flags & VARFLAG_FREADONLY}
            p["doc"] = vdoc
            order.append(("p", p))
        for what, item in order:
            if what == "m":
                t.members.append(item)
            else:
                t.members.append(self.property_member(info, item))
        return t

    def accessor(self, info: Any, fd: Any, p: dict[str, Any], where: str) -> None:
        params = self.params(info, fd, f"{where}.{p['name']}")
        if fd.invkind == INVOKE_PROPERTYGET:
            ret = self.type_text(info, fd.elemdescFunc.tdesc, set(), f"{where}.{p['name']} result")
            if params and "retval" in params[-1][0]:
                ret = params[-1][1].rstrip("*").strip()
                params = params[:-1]
            p["type"] = ret
            p["index"] = params
        else:
            p["put"] = True
            if p["type"] is None and params:
                p["type"] = params[-1][1]
                p["index"] = params[:-1]
        if "doc" not in p:
            p["doc"] = self.doc_of(info, fd.memid)[1]

    def property_member(self, info: Any, p: dict[str, Any]) -> tuple[str, str, str]:
        attrs = [f"id({_dispid_text(p['memid'])})"]
        if p.get("doc"):
            attrs.append(f"helpstring({_c_string(p['doc'])})")
        index = ", ".join(f"[{', '.join(a)}] {typ} {pname}" for a, typ, pname in p["index"])
        sig = f"[{', '.join(attrs)}] {p['type'] or 'VARIANT'} {p['name']}" + (f"({index})" if p["index"] else "")
        call = f"dispproperty({_py_string(sig)}{'' if p['put'] else ', readonly=True'})"
        return p["name"], call, ""

    def params(self, info: Any, fd: Any, where: str) -> list[tuple[list[str], str, str]]:
        from vtables.variant import to_python

        names = self.names_of(info, fd.memid, fd.cParams + 1)
        out: list[tuple[list[str], str, str]] = []
        used: set[str] = set()
        for k in range(fd.cParams):
            e = fd.lprgelemdescParam[k]
            flags = e.paramdesc.wParamFlags
            text = self.type_text(info, e.tdesc, set(), f"{where} parameter {k}")
            pname = _identifier(names[k + 1]) if k + 1 < len(names) and names[k + 1] else f"p{k}"
            if (
                fd.invkind in (INVOKE_PROPERTYPUT, INVOKE_PROPERTYPUTREF)
                and k == fd.cParams - 1
                and k + 1 >= len(names)
            ):
                pname = "value"
            while pname.lower() in used:
                pname += "_"
            used.add(pname.lower())
            attrs = []
            if flags & PARAMFLAG_FIN or not flags & PARAMFLAG_FOUT:
                attrs.append("in")
            if flags & PARAMFLAG_FOUT:
                attrs.append("out")
            if flags & PARAMFLAG_FRETVAL:
                attrs.append("retval")
            if flags & PARAMFLAG_FLCID:
                attrs.append("lcid")
            if flags & PARAMFLAG_FOPT:
                attrs.append("optional")
            if flags & PARAMFLAG_FHASDEFAULT and e.paramdesc.pparamdescex != self.ffi.NULL:
                pv = self.ffi.addressof(e.paramdesc.pparamdescex[0], "varDefaultValue")
                literal = _default_literal(pv.vt, pv, to_python)
                if literal is not None:
                    attrs.append(f"defaultvalue({literal})")
            if attrs[-1:] != ["in"] and "out" in attrs and not text.rstrip().endswith("*"):
                text += " *"  # an [out] must be a pointer: a library that says otherwise is read as one
            out.append((attrs, text, pname))
        return out

    def function(
        self,
        info: Any,
        fd: Any,
        where: str,
        vtable: bool,
        seen: dict[str, tuple[str, set[int]]] | None = None,
        as_get: bool = False,
    ) -> tuple[str, str, str]:
        """One FUNCDESC as ``(attribute, declaration call, comment)``. ``seen``: the interface's members so far
        (lower-cased name -> (spelling, invoke kinds)): a name the declaration cannot take twice (a method and a
        property of one name, a second accessor of a kind, another spelling) or a name the declaration bases use is
        renamed with a trailing ``_``, so the vtable slot stays (the DISPID is unchanged)."""
        fname, fdoc = self.doc_of(info, fd.memid)
        invkind = INVOKE_PROPERTYGET if as_get else fd.invkind
        comment = "the library declares it a method; read as the get of the property its put names" if as_get else ""
        if seen is not None:
            original = fname
            prefix_of = {INVOKE_PROPERTYGET: "get_", INVOKE_PROPERTYPUT: "put_", INVOKE_PROPERTYPUTREF: "putref_"}
            while True:
                entry = seen.get(fname.lower())
                clash = entry is not None and (
                    invkind == INVOKE_FUNC or INVOKE_FUNC in entry[1] or invkind in entry[1] or entry[0] != fname
                )
                if not clash and prefix_of.get(invkind, "") + fname not in _RESERVED:
                    break
                fname += "_"
            if entry is None:
                seen[fname.lower()] = (fname, {invkind})
            else:
                entry[1].add(invkind)
            if fname != original:
                comment = f"the library's {original}: renamed (a name the declaration cannot take here), same slot"
        params = self.params(info, fd, f"{where}.{fname}")
        ret = self.type_text(info, fd.elemdescFunc.tdesc, set(), f"{where}.{fname} result")
        attrs = [f"id({_dispid_text(fd.memid)})"]
        kind = {INVOKE_PROPERTYGET: "propget", INVOKE_PROPERTYPUT: "propput", INVOKE_PROPERTYPUTREF: "propputref"}
        if invkind in kind:
            attrs.append(kind[invkind])
        if fd.wFuncFlags & FUNCFLAG_FRESTRICTED:
            attrs.append("restricted")
        if fd.wFuncFlags & FUNCFLAG_FHIDDEN:
            attrs.append("hidden")
        if fdoc:
            attrs.append(f"helpstring({_c_string(fdoc)})")
        if not vtable and fd.funckind == FUNC_DISPATCH and params and "retval" in params[-1][0] and ret == "HRESULT":
            ret = params[-1][1].rstrip("*").strip()  # a dispmethod returns its result
            params = params[:-1]
        plist = ", ".join(f"[{', '.join(a)}] {typ} {pname}" for a, typ, pname in params)
        sig = f"[{', '.join(attrs)}] {ret} {fname}({plist})"
        prefix = {"propget": "get_", "propput": "put_", "propputref": "putref_"}
        attr_name = prefix.get(attrs[1], "") + fname if len(attrs) > 1 and attrs[1] in prefix else fname
        call = f"method({_py_string(sig)})" if vtable else f"dispmethod({_py_string(sig)})"
        return attr_name, call, comment

    def read_coclass(self, info: Any, attr: dict[str, Any], name: str, doc: str) -> _Type:
        t = _Type(name, "coclass", doc, guid=attr["guid"])
        for i in range(attr["cImplTypes"]):
            flags = info.GetImplTypeFlags(i)
            t.impls.append((self.ref_of_impl(info, i, set()), flags))
        return t

    def ref_of_impl(self, info: Any, index: int, needs: set[str]) -> str | _Ref:
        href = info.GetRefTypeOfImplType(index)
        return self.ref_of(info, href, needs, f"implemented interface {index}")

    # -- type references --

    def ref_of(self, info: Any, href: int, needs: set[str], where: str) -> str | _Ref:
        """The referenced type: a name of this library (added to ``needs``), a standard interface's name, or a
        _Ref to another library's module (which is then read too)."""
        try:
            ref = info.GetRefTypeInfo(href)
        except Exception as exc:
            own = self.doc_of(info, MEMBERID_NIL)[0]
            raise TypeLibImportError(
                f"{self.current.libname}: {own} ({where}) refers to a type in another type library that cannot be "
                f"loaded (is it registered?): {exc}"
            ) from None
        with ref:
            attr = self.type_attr(ref)
            rname = _identifier(self.doc_of(ref, MEMBERID_NIL)[0])
            if attr["typekind"] in (TKIND_INTERFACE, TKIND_DISPATCH) and attr["guid"] in self._standard:
                std = self._standard[attr["guid"]]
                self.current.standard.add(std)
                return std
            if attr["typekind"] == TKIND_COCLASS:  # a coclass used as a type: its default interface
                for i in range(attr["cImplTypes"]):
                    if ref.GetImplTypeFlags(i) & IMPLTYPEFLAG_FDEFAULT and not ref.GetImplTypeFlags(i) & 2:
                        return self.ref_of(ref, ref.GetRefTypeOfImplType(i), needs, where)
            other, _index = ref.GetContainingTypeLib()
            with other:
                libid, version, lcid = self.lib_attr(other)
                if libid == self.current_libid:
                    needs.add(rname)
                    return rname
                key = f"{libid} {version[0]}.{version[1]} {lcid}"
                module = self.module_name_of(other)
                if key not in self.libraries and not any(self.key_of(p)[0] == key for p in self.pending):
                    self.pending.append(self.client_class(self.ITypeLib).from_borrowed(other.as_raw()))
                self.current.imports.add(module)
                return _Ref(module, rname)

    def type_text(self, info: Any, td: Any, needs: set[str], where: str) -> str:
        """A TYPEDESC as the declarations spell it: ``LONG``, ``BSTR *``, ``SAFEARRAY(VARIANT)``, ``IFoo **``."""
        stars = 0
        while td.vt == VT_PTR:
            stars += 1
            td = td.lptdesc
        vt = td.vt
        if vt == VT_SAFEARRAY:
            inner = self.type_text(info, td.lptdesc, set(), where)
            base = f"SAFEARRAY({inner})"
        elif vt == VT_CARRAY:  # an array outside a record: a pointer to its first element
            base = self.type_text(info, td.lpadesc.tdescElem, needs, where)
            stars += 1
        elif vt == VT_USERDEFINED:
            local: set[str] = set()
            ref = self.ref_of(info, td.hreftype, local, where)
            base = ref.name if isinstance(ref, _Ref) else ref
            if stars == 0:  # used by value: declared first (a pointer is enough with a forward declaration)
                needs.update(local)
            kind = self._kind_of(info, td.hreftype)
            if kind in (TKIND_INTERFACE, TKIND_DISPATCH, TKIND_COCLASS) and stars == 0:
                stars = 1  # an interface is passed by pointer
        elif vt in _VT_NAMES:
            base = _VT_NAMES[vt]
        else:
            raise TypeLibImportError(f"{self.current.libname}: {where} has a type (VARTYPE {vt}) with no C form here")
        if base.endswith("*"):
            return base + "*" * stars
        return base + (" " + "*" * stars if stars else "")

    def _kind_of(self, info: Any, href: int) -> int:
        with info.GetRefTypeInfo(href) as ref:
            kind: int = self.type_attr(ref)["typekind"]
            return kind


def _standard_interfaces() -> dict[str, str]:
    """IID text -> name of the interfaces ``vtables.interfaces`` declares (imported, never generated)."""
    from vtables import interfaces

    out = {}
    for name in interfaces.__all__:
        iface = getattr(interfaces, name)
        out[str(iface.iid).upper()] = name
    return out


def _dispid_text(memid: int) -> str:
    n = memid & 0xFFFFFFFF
    if n >= 0x60000000 and n < 0x80000000:
        return f"0x{n:08X}"
    return str(memid)


def _c_string(text: str) -> str:
    """A double-quoted literal for an IDL attribute (parsed back with ``ast.literal_eval``)."""
    return json.dumps(" ".join(text.split()), ensure_ascii=False)


def _py_string(text: str) -> str:
    """A Python string literal, double-quoted as this project writes them."""
    if '"' not in text:
        return '"' + text.replace("\\", "\\\\") + '"'
    return repr(text) if "'" not in text else json.dumps(text, ensure_ascii=False)


def _default_literal(vt: int, pv: Any, to_python: Any) -> str | None:
    """A ``[defaultvalue(x)]`` literal for the VARIANT ``pv``, or None when it has none here."""
    if vt in (0, 1, 9, 13):  # EMPTY, NULL, a null object: no literal
        return "NULL" if vt in (9, 13) else None
    try:
        value = to_python(pv)
    except Exception:
        return None
    if vt == 11:
        return "TRUE" if value else "FALSE"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, str):
        return _c_string(value) if "\n" not in value else None
    return None


# ---- writing (COM-free) --------------------------------------------------------------------------------------------

_HELPERS = (
    "IntEnum",
    "Guid",
    "method",
    "enumtype",
    "alias",
    "forward_interfaces",
    "field",
    "Record",
    "Union",
    "DispInterface",
    "dispmethod",
    "dispproperty",
    "CoClass",
)


def _escape_doc(text: str) -> str:
    """Text safe inside a triple-quoted docstring: one line, backslashes and quotes escaped where they would end it."""
    body = " ".join(text.split()).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return body + " " if body.endswith('"') else body


def _docstring(text: str, indent: str) -> list[str]:
    body = _escape_doc(text)
    return [f'{indent}"""{body}"""'] if body else []


def _order(types: list[_Type]) -> list[_Type]:
    """Types in the library's order within each group (enums; aliases, records and unions; module constants;
    interfaces; coclasses), each after the types of this library it needs (bases, by-value members)."""
    by_name = {t.name: t for t in types}
    done: set[str] = set()
    out: list[_Type] = []

    def visit(t: _Type, stack: set[str]) -> None:
        if t.name in done or t.name in stack:
            return
        stack.add(t.name)
        for n in sorted(t.needs):
            if n in by_name and n != t.name:
                visit(by_name[n], stack)
        done.add(t.name)
        out.append(t)

    rank = {"enum": 0, "alias": 1, "record": 1, "union": 1, "module": 2, "coclass": 4}
    for level in range(5):
        for t in types:
            if rank.get(t.kind, 3) == level:
                visit(t, set())
    return out


def render(lib: _Library) -> str:
    """The module's text for a library read by the reader."""
    own = {t.name for t in lib.types} | set(lib.imports)

    def helper(n: str) -> str:
        return f"_{n}" if n in own and n in _HELPERS else n

    kinds = {t.kind for t in lib.types}
    lines = [
        '"""' + _escape_doc(f"{lib.libname}: {' '.join(lib.doc.split())}" if lib.doc else lib.libname),
        "",
        f"Generated by ole32_servers.tlbimport (version {GENERATOR_VERSION}) from the type library",
        f"{lib.libid} version {lib.version[0]}.{lib.version[1]}, LCID {lib.lcid}. Do not edit: regenerate.",
        '"""',
        "",
        f"# ole32-typelib: {lib.libid} {lib.version[0]}.{lib.version[1]} {lib.lcid} generator {GENERATOR_VERSION}",
        "",
    ]

    def imp(module: str, wanted: list[str]) -> None:
        got = [w for w in wanted if w]
        if got:
            lines.append(
                f"from {module} import " + ", ".join(n if helper(n) == n else f"{n} as {helper(n)}" for n in got)
            )

    decl = []
    if kinds & {"interface", "dual"}:
        decl.append("method")
    if "enum" in kinds:
        decl.append("enumtype")
    if "alias" in kinds:
        decl.append("alias")
    forwards = sorted(
        t.name
        for t in lib.types
        if t.kind in ("interface", "dual", "dispinterface") and not re.fullmatch(r"I[A-Z]\w*", t.name)
    )
    if forwards:
        decl.append("forward_interfaces")
    records = [t.name for t in lib.types if t.kind in ("record", "union")]
    if records:
        decl.append("forward_records")
    if kinds & {"record", "union"}:
        decl.append("field")
    if "record" in kinds:
        decl.append("Record")
    if "union" in kinds:
        decl.append("Union")
    if "enum" in kinds:
        imp("enum", ["IntEnum"])
        lines.append("")
    imp("ole32_bindings.guid", ["Guid"])
    imp("ole32_servers.typelib", ["CoClass"] if "coclass" in kinds else [])
    imp("vtables.declare", decl)
    if lib.standard:
        imp("vtables.interfaces", sorted(lib.standard))
    if "dispinterface" in kinds:
        imp("vtables.members", ["DispInterface", "dispmethod", "dispproperty"])
    while lines[-1] == "":
        lines.pop()
    if lib.imports:
        lines.append("")
        lines.append("if __package__:  # the modules of the type libraries it refers to, generated beside it")
        for m in sorted(lib.imports):
            lines.append(f"    from . import {m}")
        lines.append("else:")
        for m in sorted(lib.imports):
            lines.append(f"    import {m}")
    exported = sorted({t.name for t in lib.types} | lib.own_standard)
    lines.append("")
    lines.append("__all__ = [" + ", ".join(f'"{n}"' for n in exported) + "]")
    lines.append("")
    lines.append(f'LIBID = {helper("Guid")}("{lib.libid}")')
    lines.append(f"VERSION = ({lib.version[0]}, {lib.version[1]})")
    if forwards:
        lines.append("")
        lines.append(f"{helper('forward_interfaces')}(" + ", ".join(f'"{n}"' for n in forwards) + ")")
    if records:
        lines.append("")
        lines.append(f"{helper('forward_records')}(" + ", ".join(f'"{n}"' for n in records) + ")")

    def ref_text(r: str | _Ref | None) -> str:
        if isinstance(r, _Ref):
            return f"{r.module}.{r.name}"
        return r or "IUnknown"

    local_sizes = {t.name: (t.size, t.alignment) for t in lib.types if t.kind in ("record", "union")}
    for t in _order(lib.types):
        lines.append("")
        lines.append("")
        if t.kind == "enum":
            lines.append(f"@{helper('enumtype')}")
            lines.append(f"class {t.name}({helper('IntEnum')}):")
            lines.extend(_docstring(t.doc, "    "))
            seen: set[str] = set()
            for vname, value, vdoc in t.values:
                if vname in seen:
                    continue
                seen.add(vname)
                comment = f"  # {' '.join(vdoc.split())}" if vdoc else ""
                lines.append(f"    {vname} = {value!r}{comment}")
            if not t.values:
                lines.append("    pass")
        elif t.kind == "module":
            lines.append(f"# module {t.name}" + (f": {' '.join(t.doc.split())}" if t.doc else ""))
            for vname, value, vdoc in t.values:
                comment = f"  # {' '.join(vdoc.split())}" if vdoc else ""
                literal = _py_string(value) if isinstance(value, str) else repr(value)
                lines.append(f"{vname} = {literal}{comment}")
        elif t.kind == "alias":
            comment = f"  # {' '.join(t.doc.split())}" if t.doc else ""
            lines.append(f'{t.name} = {helper("alias")}("{t.name}", "{t.target}"){comment}')
        elif t.kind in ("record", "union"):
            base = helper("Record" if t.kind == "record" else "Union")
            lines.append(f"class {t.name}({base}, size={t.size}, alignment={t.alignment}):")
            lines.extend(_docstring(t.doc, "    "))
            natural = _natural_offsets(t, local_sizes)
            for (fname, ftype, count, offset), nat in zip(t.fields, natural, strict=True):
                if t.kind == "record" and offset >= t.size and (fname, ftype, count, offset) == t.fields[-1]:
                    count = 0  # a conformant array at the end (BYTE abData[]): it takes no room
                extra = f", count={count}" if count != 1 else ""
                if offset != nat:
                    extra += f", offset={offset}"
                lines.append(f'    {fname} = {helper("field")}("{ftype}"{extra})')
            if not t.fields:
                lines.append("    pass")
        elif t.kind in ("interface", "dual", "dispinterface"):
            base = helper("DispInterface") if t.kind == "dispinterface" else ref_text(t.base)
            lines.append(f"class {t.name}({base}):")
            lines.extend(_docstring(t.doc, "    "))
            lines.append(f'    iid = {helper("Guid")}("{t.guid}")')
            used: set[str] = set()
            for attr, call, comment in t.members:
                if attr in _RESERVED or attr.lower() in used:  # (a dispinterface's: no vtable slot is lost)
                    lines.append(f"    # {attr}: a name the declaration cannot use (reserved or repeated)")
                    continue
                used.add(attr.lower())
                note = f"  # {comment}" if comment else ""
                if keyword.iskeyword(attr):
                    lines.append(
                        f'    locals()["{attr}"] = {call}  # a Python keyword' + (f"; {comment}" if comment else "")
                    )
                else:
                    lines.append(f"    {attr} = {call}{note}")
        elif t.kind == "coclass":
            lines.extend(f"# {line}" for line in _wrap(t.doc))
            ifaces = [r for r, f in t.impls if not f & IMPLTYPEFLAG_FSOURCE]
            sources = [r for r, f in t.impls if f & IMPLTYPEFLAG_FSOURCE]
            default = next((r for r, f in t.impls if f & IMPLTYPEFLAG_FDEFAULT and not f & IMPLTYPEFLAG_FSOURCE), None)
            dsource = next((r for r, f in t.impls if f & IMPLTYPEFLAG_FDEFAULT and f & IMPLTYPEFLAG_FSOURCE), None)
            if dsource is not None:
                sources = [dsource] + [s for s in sources if s is not dsource]
            args = [f'"{t.name}"', f'{helper("Guid")}("{t.guid}")', "[" + ", ".join(ref_text(r) for r in ifaces) + "]"]
            if default is not None:
                args.append(f"default={ref_text(default)}")
            if sources:
                args.append("source=[" + ", ".join(ref_text(r) for r in sources) + "]")
            lines.append(f"{t.name} = {helper('CoClass')}({', '.join(args)})")
    lines.append("")
    return "\n".join(lines)


def _wrap(text: str) -> list[str]:
    words = text.split()
    return [" ".join(words)] if words else []


def _natural_offsets(t: _Type, local: dict[str, tuple[int, int]]) -> list[int]:
    """Where each member would be without explicit offsets (so only unusual packing is written out)."""
    from vtables.ctypes_ import size_and_alignment

    out = []
    end = 0
    for _name, ftype, count, _offset in t.fields:
        try:
            size, align = local[ftype] if ftype in local else size_and_alignment(ftype)
        except ValueError:
            size, align = 0, 1
        align = min(align, 8)
        offset = 0 if t.kind == "union" else (end + align - 1) // align * align
        out.append(offset)
        end = max(end, offset + size * count)
    return out


# ---- sources, the public functions and the cache --------------------------------------------------------------------


def check_type_library_file(path: str, index: int | None = None) -> None:
    """Check, without the runtime, that ``path`` holds a type library whose structure is whole: a .tlb (MSFT or SLTG)
    or a PE image with a TYPELIB resource (``index``: its ID; the first when None) whose bytes are one. Raises
    :class:`TypeLibImportError` saying what is wrong. Wine 8's LoadTypeLib reads past the end of a truncated or
    corrupt library and crashes the process (docs/wine.md); this check comes first."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise TypeLibImportError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if not data:
        raise TypeLibImportError(f"{path}: the file is empty")
    if data[:2] == b"MZ":
        data = _typelib_resource(data, index, path)
    elif index is not None:
        raise TypeLibImportError(f"{path}: a resource index is for a DLL/EXE/OCX, and this is not one")
    _check_typelib_bytes(data, path)


def _u32(data: bytes, offset: int) -> int:
    if offset < 0 or offset + 4 > len(data):
        raise ValueError(offset)
    return int.from_bytes(data[offset : offset + 4], "little")


def _u16(data: bytes, offset: int) -> int:
    if offset < 0 or offset + 2 > len(data):
        raise ValueError(offset)
    return int.from_bytes(data[offset : offset + 2], "little")


def _typelib_resource(data: bytes, index: int | None, path: str) -> bytes:
    """The bytes of a PE image's TYPELIB resource ``index`` (the first when None)."""
    try:
        pe = _u32(data, 0x3C)
        if data[pe : pe + 4] != b"PE\0\0":
            raise TypeLibImportError(f"{path}: not a PE image (no PE signature) and not a type library")
        sections, optional_size = _u16(data, pe + 6), _u16(data, pe + 20)
        optional = pe + 24
        magic = _u16(data, optional)
        directories = optional + (112 if magic == 0x20B else 96)
        res_rva, res_size = _u32(data, directories + 2 * 8), _u32(data, directories + 2 * 8 + 4)
        table = optional + optional_size
        spans = []
        for k in range(sections):
            at = table + 40 * k
            vsize, va, raw_size, raw = (
                _u32(data, at + 8),
                _u32(data, at + 12),
                _u32(data, at + 16),
                _u32(data, at + 20),
            )
            if raw_size and raw + raw_size > len(data):
                raise TypeLibImportError(
                    f"{path}: the DLL/EXE is truncated (section {k} ends past the end of the file)"
                )
            spans.append((va, max(vsize, raw_size), raw, raw_size))

        def offset_of(rva: int, size: int) -> int:
            for va, span, raw, raw_size in spans:
                if va <= rva and rva + size <= va + span:
                    offset = raw + (rva - va)
                    if rva - va + size > raw_size or offset + size > len(data):
                        break
                    return offset
            raise TypeLibImportError(f"{path}: the resource data lies outside the file (truncated?)")

        if res_rva == 0 or res_size == 0:
            raise TypeLibImportError(f"{path}: a DLL/EXE without resources, so without a type library")
        root = offset_of(res_rva, 16)

        def entries(directory: int) -> list[tuple[int | str, int]]:
            named, ids = _u16(data, directory + 12), _u16(data, directory + 14)
            out: list[tuple[int | str, int]] = []
            for k in range(named + ids):
                name, target = _u32(data, directory + 16 + 8 * k), _u32(data, directory + 20 + 8 * k)
                if name & 0x80000000:
                    at = offset_of(res_rva + (name & 0x7FFFFFFF), 2)
                    length = _u16(data, at)
                    key: int | str = data[at + 2 : at + 2 + 2 * length].decode("utf-16-le", "replace")
                else:
                    key = name
                out.append((key, target))
            return out

        types = dict(entries(root))
        if "TYPELIB" not in types:
            raise TypeLibImportError(f"{path}: the DLL/EXE has no type library (no TYPELIB resource)")
        names = entries(offset_of(res_rva + (types["TYPELIB"] & 0x7FFFFFFF), 16))
        ids = {k: v for k, v in names if isinstance(k, int)}
        want = index if index is not None else (1 if 1 in ids else min(ids, default=None))
        if want not in ids:
            have = ", ".join(str(k) for k in sorted(ids)) or "none"
            raise TypeLibImportError(f"{path}: no type library at index {want} (TYPELIB resources: {have})")
        langs = entries(offset_of(res_rva + (ids[want] & 0x7FFFFFFF), 16))
        if not langs:
            raise TypeLibImportError(f"{path}: the TYPELIB resource {want} is empty")
        entry = offset_of(res_rva + (langs[0][1] & 0x7FFFFFFF), 16)
        rva, size = _u32(data, entry), _u32(data, entry + 4)
        start = offset_of(rva, size)
        return data[start : start + size]
    except ValueError:
        raise TypeLibImportError(
            f"{path}: the DLL/EXE is truncated or corrupt (its headers point past its end)"
        ) from None


_MSFT_SEGMENTS = 15


def _check_typelib_bytes(data: bytes, path: str) -> None:
    """An MSFT (or SLTG) type library's header, segment directory and type entries lie within ``data``."""
    what = f"{path}: the type library is corrupt or truncated"
    if data[:4] == b"SLTG":
        if len(data) < 0x40:
            raise TypeLibImportError(f"{what} (an SLTG header of {len(data)} bytes)")
        return
    if data[:4] != b"MSFT":
        raise TypeLibImportError(f"{path}: not a type library (neither MSFT nor SLTG, nor a DLL/EXE holding one)")
    try:
        varflags, count = _u32(data, 0x14), _u32(data, 0x20)
        if count > 0xFFFF:
            raise TypeLibImportError(f"{what} ({count} types)")
        at = 0x54 + (4 if varflags & 0x100 else 0)
        offsets = [_u32(data, at + 4 * k) for k in range(count)]
        seg = at + 4 * count
        segments = []
        for k in range(_MSFT_SEGMENTS):
            offset, length = _u32(data, seg + 16 * k), _u32(data, seg + 16 * k + 4)
            if offset != 0xFFFFFFFF and length != 0xFFFFFFFF:
                if offset + length > len(data):
                    raise TypeLibImportError(f"{what} (segment {k} ends at {offset + length}, the file at {len(data)})")
            segments.append((offset, length))
        table_offset, table_length = segments[0]
        for k, offset in enumerate(offsets):
            if table_offset == 0xFFFFFFFF or offset + 0x64 > table_length:
                raise TypeLibImportError(f"{what} (type {k} lies outside the type table)")
    except ValueError:
        raise TypeLibImportError(f"{what} (its header is cut short)") from None


def _load(source: str) -> Any:
    """An ITypeLib ComPtr (caller releases) for SOURCE: a file (and resource index), ``{LIBID} major.minor`` or a
    ProgID."""
    from ole32_bindings.constants import REGKIND
    from ole32_bindings.hresult import ComError
    from ole32_bindings.typelib import load_reg_type_lib, load_type_lib_ex
    from vtables.client import client_class
    from vtables.interfaces.automation import ITypeLib

    text = source.strip()
    m = re.fullmatch(r"(\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f-]{27}\}?)(?:[\s,:\\/]+(\d+)\.(\d+))?", text)
    try:
        if m:
            from ole32_bindings.guid import Guid

            if m.group(2) is None:
                raise TypeLibImportError(f"{source}: give the LIBID's version too ('{{LIBID}} 1.0')")
            libid = Guid("{" + m.group(1).strip("{}") + "}")
            raw = load_reg_type_lib(libid, int(m.group(2)), int(m.group(3)))
            return client_class(ITypeLib).from_raw(raw)
        path_part = re.sub(r"\\\d+$", "", text)
        looks_like_file = (
            os.path.exists(path_part)
            or re.search(r"\.(tlb|olb|dll|exe|ocx)$", path_part, re.I) is not None
            or "\\" in path_part
            or "/" in path_part
        )
        if looks_like_file:
            found = _find_file(path_part)
            if found is None and ("\\" in path_part or "/" in path_part):
                raise TypeLibImportError(f"{source}: no such file")
            if found is not None:
                index = text[len(path_part) + 1 :]
                try:
                    check_type_library_file(found, int(index) if index else None)
                except TypeLibImportError as exc:
                    raise TypeLibImportError(f"{source}: {str(exc).removeprefix(found + ': ')}") from None
            return client_class(ITypeLib).from_raw(load_type_lib_ex(text, REGKIND.NONE))
        return _load_progid(text)
    except ComError as exc:
        raise TypeLibImportError(f"{source}: {_why(exc, text)}") from None


def _find_file(path: str) -> str | None:
    """``path``, or for a bare name the file LoadTypeLib would find in the system directory; None if neither."""
    if os.path.exists(path):
        return path
    root = os.environ.get("SystemRoot")
    if root and not os.path.dirname(path):
        candidate = os.path.join(root, "system32", path)
        if os.path.exists(candidate):
            return candidate
    return None


def _why(exc: Any, text: str) -> str:
    hr = getattr(exc, "hresult", 0) & 0xFFFFFFFF
    known = {
        0x80029C4A: "not a type library, or a DLL/EXE without one at that index (TYPE_E_CANTLOADLIBRARY)",
        0x8002801D: "that library is not registered (TYPE_E_LIBNOTREGISTERED)",
        0x80029C83: "the type library is corrupt or truncated (TYPE_E_INVDATAREAD)",
        0x800288C6: "the type library has an unsupported format (TYPE_E_UNSUPFORMAT)",
        0x80030002: "file not found (STG_E_FILENOTFOUND)",
        0x80070002: "file not found",
        0x800401F3: "no such ProgID is registered (CO_E_CLASSSTRING)",
    }
    return known.get(hr, str(exc))


def _load_progid(progid: str) -> Any:
    from ole32_bindings import registry
    from ole32_bindings.activation import clsid_from_progid
    from ole32_bindings.guid import Guid
    from ole32_bindings.typelib import load_reg_type_lib
    from vtables.client import client_class
    from vtables.interfaces.automation import ITypeLib

    clsid = clsid_from_progid(progid)
    key = f"CLSID\\{{{str(clsid).strip('{}')}}}"
    libid = registry.query_value(registry.HKEY_CLASSES_ROOT, key + "\\TypeLib")
    if not isinstance(libid, str) or not libid:
        raise TypeLibImportError(f"{progid}: its class {clsid} names no type library (no TypeLib key)")
    version = registry.query_value(registry.HKEY_CLASSES_ROOT, key + "\\Version")
    candidates: list[tuple[int, int]] = []
    if isinstance(version, str) and re.fullmatch(r"\d+\.\d+", version.strip()):
        text_major, text_minor = version.strip().split(".")
        candidates.append((int(text_major), int(text_minor)))
    candidates += [(1, 0), (2, 0), (3, 0), (5, 0), (1, 1)]
    last: Exception | None = None
    for major, minor in candidates:
        try:
            return client_class(ITypeLib).from_raw(load_reg_type_lib(Guid(libid), major, minor))
        except Exception as exc:
            last = exc
    raise TypeLibImportError(f"{progid}: its type library {libid} is not registered in a version found ({last})")


def generate(source: str) -> dict[str, str]:
    """Read SOURCE's type library and the libraries it refers to: ``{module name: text}``, SOURCE's first."""
    lib = _load(source)
    try:
        reader = _Reader()
        first = reader.read(lib)
    except TypeLibImportError:
        raise
    except Exception as exc:
        raise TypeLibImportError(f"{source}: cannot read the type library: {exc}") from None
    finally:
        lib.release()
    out = {first.name: render(first)}
    for other in sorted(reader.libraries.values(), key=lambda x: x.name):
        if other is not first:
            out[other.name] = render(other)
    return out


def write_module(source: str, output: str | None = None, directory: str | None = None) -> str:
    """Write SOURCE's module to ``output`` (a file; default ``<directory or .>/<LibName>.py``), and the modules of
    the libraries it refers to beside it. Returns the path written."""
    texts = generate(source)
    first = next(iter(texts))
    if output is None:
        output = os.path.join(directory or ".", f"{first}.py")
    folder = os.path.dirname(os.path.abspath(output))
    os.makedirs(folder, exist_ok=True)
    for name, text in texts.items():
        path = output if name == first else os.path.join(folder, f"{name}.py")
        _write_if_changed(path, text)
    return output


def _write_if_changed(path: str, text: str) -> None:
    data = text.encode("utf-8")
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return
    except OSError:
        pass
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def cache_directory() -> str:
    """Where :func:`module_for` writes modules: ``$OLE32B_TYPELIB_CACHE``, else ``%LOCALAPPDATA%\\ole32-bindings\\
    typelibs`` (Windows) or ``~/.cache/ole32-bindings/typelibs``."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return env
    base = os.environ.get("LOCALAPPDATA") if sys.platform == "win32" else None
    if not base:
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "ole32-bindings", "typelibs")


def _header_of(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as f:
            for _ in range(12):
                line = f.readline()
                if line.startswith("# ole32-typelib: "):
                    return line.strip()
    except OSError:
        return None
    return None


def module_for(source: str) -> ModuleType:
    """SOURCE's module, imported as ``ole32_servers.typelibs.<Name>``: generated into :func:`cache_directory` the
    first time (with the modules it imports), imported from there afterwards."""
    return cached_module(ensure_cached(source))


def cached_module(name: str) -> ModuleType:
    """The module ``name`` (a library's name, as :func:`ensure_cached` returns it) from :func:`cache_directory`,
    imported as ``ole32_servers.typelibs.<name>``, with no COM runtime: ImportError if it was never generated."""
    from . import typelibs

    folder = cache_directory()
    if folder not in typelibs.__path__:
        typelibs.__path__.append(folder)
    return importlib.import_module(f"{typelibs.__name__}.{name}")


def ensure_cached(source: str) -> str:
    """Generate SOURCE's module (and the modules it imports) into :func:`cache_directory` unless a module of the
    same library, version, LCID and generator is there already; returns the module's name. Imports nothing."""
    folder = cache_directory()
    lib = _load(source)
    try:
        reader = _Reader()
        name = reader.module_name_of(lib)
        libid, version, lcid = reader.lib_attr(lib)
    finally:
        lib.release()
    expected = f"# ole32-typelib: {libid} {version[0]}.{version[1]} {lcid} generator {GENERATOR_VERSION}"
    path = os.path.join(folder, f"{name}.py")
    if _header_of(path) != expected:
        os.makedirs(folder, exist_ok=True)
        texts = generate(source)
        for mod, text in texts.items():
            _write_if_changed(os.path.join(folder, f"{mod}.py"), text)
        importlib.invalidate_caches()
    return name


# ---- the command -----------------------------------------------------------------------------------------------------


def register(subparsers: Any) -> None:
    """The ``typelib`` command of ``python -m ole32_bindings`` (the ``ole32_bindings.commands`` entry point)."""
    p = subparsers.add_parser(
        "typelib",
        help="write a Python module of declarations for a type library",
        description="Write the declarations of a type library (a .tlb, a DLL/EXE/OCX holding one, "
        "'{LIBID} major.minor' or a ProgID) as a Python module; the libraries it refers to are written beside it.",
    )
    p.add_argument("source", metavar="SOURCE", help="file.tlb, file.dll (file.dll\\2: the second), {LIBID} 1.0, ProgID")
    p.add_argument("-o", "--output", metavar="FILE", help="the module to write (default: ./<LibraryName>.py)")
    p.set_defaults(run=_run)


def _run(args: Any) -> int:
    from ole32_bindings.cli import BadInput

    try:
        path = write_module(args.source, args.output)
    except TypeLibImportError as exc:
        raise BadInput(str(exc)) from None
    except ImportError as exc:  # no COM runtime here (Linux): reading a library needs one
        raise BadInput(f"{args.source}: reading a type library needs the COM runtime ({exc})") from None
    sys.stdout.write(f"{path}\n")
    return 0
