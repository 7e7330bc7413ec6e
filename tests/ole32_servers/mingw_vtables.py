"""mingw-w64's C vtables (``typedef struct IFooVtbl { ... } IFooVtbl;``), parsed from its headers, and the comparison
of a declared interface's layout with one: method order and count, and each parameter's size where the header's
type has a size this table knows (pointers 8, VARIANT 24, VARIANT_BOOL 2...). COM-free: used on Linux and under Wine
(the headers are at Z:/usr/share/mingw-w64/include there)."""

from __future__ import annotations

import os
import re
import sys

INCLUDE = "Z:/usr/share/mingw-w64/include" if sys.platform == "win32" else "/usr/share/mingw-w64/include"

_VTBL = re.compile(r"typedef struct (\w+)Vtbl \{(.*?)\} \1Vtbl;", re.S)
_SLOT = re.compile(r"\((?:STDMETHODCALLTYPE|WINAPI) \*(\w+)\)\(\s*(.*?)\);", re.S)
_SIZES = {
    "BYTE": 1,
    "CHAR": 1,
    "char": 1,
    "signed char": 1,
    "unsigned char": 1,
    "UCHAR": 1,
    "boolean": 1,
    "SHORT": 2,
    "USHORT": 2,
    "WORD": 2,
    "VARIANT_BOOL": 2,
    "WCHAR": 2,
    "short": 2,
    "VARTYPE": 2,
    "LONG": 4,
    "ULONG": 4,
    "INT": 4,
    "UINT": 4,
    "DWORD": 4,
    "BOOL": 4,
    "HRESULT": 4,
    "SCODE": 4,
    "LCID": 4,
    "DISPID": 4,
    "MEMBERID": 4,
    "float": 4,
    "int": 4,
    "long": 4,
    "OLE_COLOR": 4,
    "OLE_HANDLE": 4,
    "LONG32": 4,
    "OLE_XPOS_HIMETRIC": 4,
    "OLE_YPOS_HIMETRIC": 4,
    "OLE_XSIZE_HIMETRIC": 4,
    "OLE_YSIZE_HIMETRIC": 4,
    "OLE_XPOS_PIXELS": 4,
    "OLE_YPOS_PIXELS": 4,
    "OLE_XSIZE_PIXELS": 4,
    "OLE_YSIZE_PIXELS": 4,
    "INT32": 4,
    "double": 8,
    "DATE": 8,
    "CY": 8,
    "CURRENCY": 8,
    "LONG64": 8,
    "ULONG64": 8,
    "LONGLONG": 8,
    "ULONGLONG": 8,
    "INT64": 8,
    "UINT64": 8,
    "LONG_PTR": 8,
    "ULONG_PTR": 8,
    "SIZE_T": 8,
    "BSTR": 8,
    "HWND": 8,
    "HDC": 8,
    "HANDLE": 8,
    "REFIID": 8,
    "REFGUID": 8,
    "REFCLSID": 8,
    "LPWSTR": 8,
    "LPCWSTR": 8,
    "LPOLESTR": 8,
    "LPCOLESTR": 8,
    "LPSTR": 8,
    "wireHGLOBAL": 8,
    "INT_PTR": 8,
    "UINT_PTR": 8,
    "DECIMAL": 16,
    "GUID": 16,
    "IID": 16,
    "CLSID": 16,
    "VARIANT": 24,
    "VARIANTARG": 24,
    "POINT": 8,
    "RECT": 16,
}

_index: dict[tuple[str, str], tuple[str, str]] | None = None
#: headers whose interfaces carry no IID and reuse names of other libraries' interfaces (CDO for Exchange's IFolder
#: is not scrrun's): never matched by name alone
_HOMONYMS = {"cdoex.h", "cdosys.h", "cdosysstr.h"}


_GUID = re.compile(
    r"DEFINE_GUID\(IID_(\w+),\s*0x(\w+),\s*0x(\w+),\s*0x(\w+),\s*" + r",\s*".join([r"0x(\w+)"] * 8) + r"\)"
)
_MIDL = re.compile(r'MIDL_INTERFACE\("([0-9A-Fa-f-]{36})"\)\s*(\w+)\s*:')


def vtables() -> dict[tuple[str, str], tuple[str, str]]:
    """(interface name, IID upper-case without braces, or "" when the header does not give it) -> (header file, the
    Vtbl struct's body), for every Vtbl in mingw-w64's headers."""
    global _index
    if _index is None:
        found: dict[tuple[str, str], tuple[str, str]] = {}
        for name in sorted(os.listdir(INCLUDE)):
            if not name.endswith(".h"):
                continue
            with open(os.path.join(INCLUDE, name), encoding="latin-1") as f:
                text = f.read()
            if "Vtbl" not in text:
                continue
            iids: dict[str, str] = {}
            for g in _GUID.finditer(text):
                p = [int(x.rstrip("lLuU"), 16) for x in g.groups()[1:]]
                iids.setdefault(
                    g.group(1),
                    f"{p[0]:08X}-{p[1]:04X}-{p[2]:04X}-{p[3]:02X}{p[4]:02X}-" + "".join(f"{b:02X}" for b in p[5:]),
                )
            for g in _MIDL.finditer(text):
                iids.setdefault(g.group(2), g.group(1).upper())
            for m in _VTBL.finditer(text):
                iid = iids.get(m.group(1), "")
                if iid or name not in _HOMONYMS:
                    found.setdefault((m.group(1), iid), (name, m.group(2)))
        _index = found
    return _index


def header_slots(name: str, iid: str) -> list[tuple[str, list[str]]] | None:
    """The slots of ``nameVtbl`` for that IID: (method name, parameter types without ``This``), or None if no
    header has it."""
    table = vtables()
    entry = table.get((name, iid.strip("{}").upper()))
    if entry is None:
        # A header without the IID (msxml2.h: it is in libuuid) names the same interface only if no header gives
        # that name another IID (cdoex.h's IFolder is not scrrun's).
        others = [k for k in table if k[0] == name and k[1]]
        entry = table.get((name, "")) if not others else None
    if entry is None:
        return None
    out = []
    for m in _SLOT.finditer(entry[1]):
        params = [p.strip() for p in m.group(2).split(",")]
        types = []
        for p in params[1:]:  # params[0] is "IFoo *This"
            p = " ".join(p.split())
            if p in ("", "void"):
                continue
            t = re.sub(r"\b\w+$", "", p).strip() if re.search(r"[\w\*]\s+\w+$", p) else p
            types.append(t)
        out.append((m.group(1), types))
    return out


def header_size(ctype: str, enums: set[str]) -> int | None:
    """The size of a header's parameter type, or None when this table cannot tell."""
    t = ctype.replace("const ", "").replace("struct ", "").replace("enum ", "").strip()
    if "*" in t or t.startswith("SAFEARRAY"):
        return 8
    if t.startswith("I") and t[1:2].isupper() and t not in _SIZES:
        return None
    if t in enums:
        return 4
    return _SIZES.get(t)


def compare(iface: type, enums: set[str]) -> tuple[list[str], int]:
    """Differences between a declared interface's layout and the header's Vtbl (empty: none), and how many
    parameter sizes were compared. Raises KeyError when no header declares it."""
    from vtables.ctypes_ import size_and_alignment

    slots = header_slots(iface.__name__, str(iface.iid))  # type: ignore[attr-defined]
    if slots is None:
        raise KeyError(iface.__name__)
    problems = []
    layout = iface.layout  # type: ignore[attr-defined]
    # A type library keeps one spelling of each name, case-insensitively (the first it met): compared that way.
    if [m.name.lower() for m in layout] != [s[0].lower() for s in slots]:
        problems.append(f"{iface.__name__}: order {[m.name for m in layout]} != header {[s[0] for s in slots]}")
        return problems, 0
    compared = 0
    for m, (_name, types) in zip(layout, slots, strict=True):
        if len(m.params) != len(types):
            problems.append(f"{iface.__name__}.{m.name}: {len(m.params)} parameters, header {len(types)}")
            continue
        for p, t in zip(m.params, types, strict=True):
            expected = header_size(t, enums)
            if expected is None:
                continue
            got = size_and_alignment(p.ctype)[0]
            compared += 1
            if got != expected:
                problems.append(
                    f"{iface.__name__}.{m.name}({p.name}): {p.ctype.name} is {got} bytes, header {t} {expected}"
                )
    return problems, compared
