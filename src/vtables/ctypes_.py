"""C types that may appear in interface declarations, and how each crosses the Python boundary.

Every type normalises to a C spelling that the bindings' cffi module parses (fixed-width typedefs; interface
pointers become ``void *``), plus a *kind* that tells the client caller and the server thunk what conversion to
do, decided once at declaration time:

=============  =====================================  ==============================================
kind           C types                                Python side
=============  =====================================  ==============================================
``int``        LONG, ULONG, DWORD, INT, BOOL, ...     int
``float``      float, double                          float
``guid``       GUID/IID/CLSID (``REFIID`` etc.)       :class:`~ole32_bindings.guid.Guid`
``wstr``       LPCWSTR, LPCOLESTR, LPOLESTR, BSTR     str (borrowed in; BSTR out is allocated/freed)
``iface``      IUnknown *, IFoo * (any ``I...``)      raw ``void *`` in; a pointer/object out
``ptr``        any other pointer, or ``void *``       the raw cdata, untouched
``variant``    VARIANT                                any value (``vtables.variant``)
``vbool``      VARIANT_BOOL                           bool (VARIANT_TRUE is -1)
``date``       DATE                                   datetime.datetime
``cy``         CY                                     decimal.Decimal (an int64 scaled by 10,000)
``decimal``    DECIMAL                                decimal.Decimal
``safearray``  SAFEARRAY(T)                           a list (``element``: T as declared)
=============  =====================================  ==============================================

An [out] parameter is a pointer to one of these (``LONG *``, ``GUID *``, ``BSTR *``, ``IUnknown **``,
``VARIANT *``, ``SAFEARRAY(VARIANT) *``). An ``[in] VARIANT *`` stays a raw pointer (an array or a buffer the callee
fills, as in IEnumVARIANT::Next); ``[in, out] VARIANT *`` is a ByRef value.

Automation's by-value structs (VARIANT, 24 bytes; DECIMAL, 16) are spelled as pointers in ``c``: the Win64 calling
convention passes a struct larger than 8 bytes as a pointer to a copy the caller owns, and cffi makes no callback
taking a union by value. SAFEARRAY(T) is spelled ``void *`` (the descriptor is opaque to the thunks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CType", "ctype_of", "OLEAUTOMATION_TYPES", "register_named_type", "named_type", "size_and_alignment"]

_INTS = {
    "LONG": "LONG",
    "ULONG": "ULONG",
    "DWORD": "DWORD",
    "INT": "INT",
    "UINT": "UINT",
    "BOOL": "BOOL",
    "SHORT": "SHORT",
    "USHORT": "USHORT",
    "WORD": "WORD",
    "BYTE": "BYTE",
    "LONG64": "LONG64",
    "LONGLONG": "LONGLONG",
    "ULONGLONG": "ULONGLONG",
    "ULONG64": "ULONGLONG",
    "HRESULT": "HRESULT",
    "SCODE": "SCODE",
    "VARTYPE": "VARTYPE",
    "LCID": "LCID",
    "DISPID": "DISPID",
    "MEMBERID": "MEMBERID",
    "HREFTYPE": "HREFTYPE",
    "int": "int",
    "unsigned int": "unsigned int",
    "char": "char",
    "ULONG_PTR": "ULONG_PTR",
    "SIZE_T": "SIZE_T",
    "WPARAM": "WPARAM",
    "LPARAM": "LPARAM",
    "int32_t": "int32_t",
    "INT_PTR": "INT_PTR",
    "UINT_PTR": "UINT_PTR",
    "LONG_PTR": "LONG_PTR",
    "signed char": "signed char",
    "WCHAR": "WCHAR",
    "OLECHAR": "OLECHAR",
    "unsigned char": "unsigned char",
    "uint32_t": "uint32_t",
    "int64_t": "int64_t",
    "uint64_t": "uint64_t",
    "TYPEKIND": "TYPEKIND",
    "SYSKIND": "SYSKIND",
    "INVOKEKIND": "INVOKEKIND",
    "CALLCONV": "CALLCONV",
    "DESCKIND": "int32_t",
    "APTTYPE": "APTTYPE",
    "THDTYPE": "int32_t",
}
_FLOATS = {"float": "float", "double": "double"}
#: Automation's own value types: declared name -> (kind, C spelling of the value itself)
_AUTOMATION = {
    "VARIANT": ("variant", "VARIANT *"),  # by value: a pointer to the caller's copy (see the module doc)
    "VARIANTARG": ("variant", "VARIANT *"),
    "VARIANT_BOOL": ("vbool", "VARIANT_BOOL"),
    "DATE": ("date", "double"),
    "CY": ("cy", "LONGLONG"),
    "CURRENCY": ("cy", "LONGLONG"),
    "DECIMAL": ("decimal", "DECIMAL *"),  # by value: a pointer to the caller's copy
}
_SAFEARRAY = re.compile(r"SAFEARRAY\s*\(\s*(?P<element>[A-Za-z_]\w*\s*\**)\s*\)")
_GUIDS = {
    "GUID": "GUID",
    "IID": "GUID",
    "CLSID": "GUID",
    "REFIID": "const GUID *",
    "REFCLSID": "const GUID *",
    "REFGUID": "const GUID *",
}
_WSTRS = {
    "LPCWSTR": "LPCWSTR",
    "LPCOLESTR": "LPCOLESTR",
    "LPOLESTR": "LPOLESTR",
    "LPWSTR": "LPWSTR",
    "BSTR": "BSTR",
    "OLECHAR *": "OLECHAR *",
    "const OLECHAR *": "const OLECHAR *",
}
_STRUCTS = {
    "DISPPARAMS",
    "EXCEPINFO",
    "TYPEATTR",
    "FUNCDESC",
    "TLIBATTR",
    "STATSTG",
    "ComCallData",
    "CONNECTDATA",
    "TYPEDESC",
    "ELEMDESC",
    "IDLDESC",
    "MSG",
    "FILETIME",
    "VARDESC",
    "LARGE_INTEGER",
    "ULARGE_INTEGER",
}
_OPAQUE = {"HANDLE", "HWND", "HGLOBAL", "HMODULE", "PFNCONTEXTCALL", "VARDESC", "BINDPTR"}

OLEAUTOMATION_TYPES = {
    "LONG",
    "ULONG",
    "SHORT",
    "USHORT",
    "BYTE",
    "BOOL",
    "INT",
    "UINT",
    "HRESULT",
    "SCODE",
    "VARIANT_BOOL",
    "float",
    "double",
    "BSTR",
    "VARIANT",
    "DWORD",
    "LONG64",
    "ULONGLONG",
    "int",
    "DATE",
    "CY",
    "DECIMAL",
    "SAFEARRAY",
    "IDispatch",
    "IUnknown",
}
"""Types the typelib (oleautomation) marshaler can carry, by normalised name (used for typelib generation)."""


@dataclass(frozen=True)
class CType:
    """A normalised C type: ``c`` (spelling for cffi), ``kind`` (see module doc), ``depth`` (pointer levels on
    top of the kind's base; ``LONG *`` is int/1, ``REFIID`` is guid/1, ``IUnknown **`` is iface/2), and the
    declared ``name`` for messages and type libraries."""

    name: str
    c: str
    kind: str
    depth: int
    interface: str | None = None
    #: SAFEARRAY(T): T as declared (``VARIANT``, ``BSTR``, ``IDispatch *``...); None for other kinds
    element: str | None = None

    @property
    def is_pointer(self) -> bool:
        """Whether it is a pointer in C (what an [out] parameter must be)."""
        if self.kind in ("variant", "decimal"):
            return self.depth > 0  # spelled as a pointer, but a value in the declaration
        return self.depth > 0 or self.c.endswith("*") or self.kind in ("wstr", "safearray")

    @property
    def returned_when_out(self) -> bool:
        """Whether an [out] of this type comes back as a Python value (else the caller passes its own buffer)."""
        return (
            (self.kind in ("int", "float", "guid") and self.depth == 1)
            or (self.kind == "wstr" and self.depth == 1)
            or (self.kind == "iface" and self.depth == 2)
            or (self.kind in _VALUE_KINDS and self.depth == 1)
        )


#: the kinds whose values the Automation conversions (``vtables.variant``) carry
_VALUE_KINDS = frozenset({"variant", "vbool", "date", "cy", "decimal", "safearray"})


_SPACES = re.compile(r"\s+")


def ctype_of(text: str) -> CType:
    """Classify a C type as written in a declaration."""
    known = _MEMO.get(text)
    if known is not None:
        return known
    found = _ctype_of(text)
    _MEMO[text] = found
    return found


#: what ctype_of said for a text (CTypes are immutable); emptied when a named type changes meaning
_MEMO: dict[str, CType] = {}


def _ctype_of(text: str) -> CType:
    t = _SPACES.sub(" ", text.strip().replace("*", " * ")).replace(" *", "*").replace("* ", "*").strip()
    const = t.startswith("const ")
    if const:
        t = t[len("const ") :]
    stars = len(t) - len(t.rstrip("*"))
    base = t.rstrip("*").strip()
    cprefix = "const " if const else ""
    star_text = " " + "*" * stars if stars else ""
    if base in _GUIDS:
        spelled = _GUIDS[base]
        if spelled.endswith("*"):  # REFIID & co are already one pointer deep
            return CType(text.strip(), spelled + ("*" * stars), "guid", stars + 1)
        return CType(text.strip(), f"{cprefix}GUID{star_text}", "guid", stars)
    if base in ("LPCWSTR", "LPCOLESTR", "LPOLESTR", "LPWSTR", "BSTR"):
        return CType(text.strip(), f"{cprefix}{base}{star_text}", "wstr", stars)
    if base in ("OLECHAR", "WCHAR", "wchar_t") and stars >= 1:
        return CType(text.strip(), f"{cprefix}{base}{star_text}", "wstr", stars - 1)
    if base in _AUTOMATION:
        kind, spelled = _AUTOMATION[base]
        if kind in ("variant", "decimal"):  # the value and a pointer to it are both spelled as one pointer
            c = spelled + "*" * max(0, stars - 1)
        else:
            c = f"{cprefix}{spelled}{star_text}"
        return CType(text.strip(), c, kind, stars)
    sa = _SAFEARRAY.fullmatch(base)
    if sa is not None:
        element = _SPACES.sub(" ", sa.group("element").replace("*", " *")).strip()
        ctype_of(element)  # the element type must be known too
        return CType(text.strip(), "void *" + "*" * stars, "safearray", stars, element=element)
    if base in _INTS:
        return CType(text.strip(), f"{cprefix}{_INTS[base]}{star_text}", "int", stars)
    if base in _FLOATS:
        return CType(text.strip(), f"{cprefix}{_FLOATS[base]}{star_text}", "float", stars)
    if base == "void":
        if stars == 0:
            return CType("void", "void", "void", 0)
        if stars == 2:  # void ** is how interfaces come back from QueryInterface-like methods
            return CType(text.strip(), "void **", "iface", 2, "IUnknown")
        return CType(text.strip(), f"{cprefix}void{star_text}", "ptr", stars)
    named = _NAMED.get(base)
    if named is not None:
        return _named_ctype(text.strip(), base, named, stars, cprefix)
    if re.fullmatch(r"I[A-Z]\w*", base) and base not in _STRUCTS:
        if stars == 0:
            raise ValueError(f"interface {base} must be passed by pointer")
        return CType(text.strip(), "void" + " " + "*" * stars, "iface", stars, base)
    if base in _STRUCTS or base in _OPAQUE:
        return CType(text.strip(), f"{cprefix}{base}{star_text}", "ptr", stars)
    raise ValueError(f"unknown C type {text!r} in an interface declaration")


# ---- named types: enums, aliases, records, unions and interfaces of other names --------------------------------------

#: name -> (what, target): ("enum", None), ("alias", the aliased type's text), ("record", (size, alignment)),
#: ("interface", None). Set by the declarations (``vtables.declare``); the registration current when a signature is
#: parsed is the one it uses (a later one of the same name does not change methods already declared).
_NAMED: dict[str, tuple[str, object]] = {}

#: bytes and alignment of the fixed-size kinds' values (Win64)
_SIZES = {
    "char": (1, 1),
    "signed char": (1, 1),
    "unsigned char": (1, 1),
    "BYTE": (1, 1),
    "SHORT": (2, 2),
    "USHORT": (2, 2),
    "WORD": (2, 2),
    "WCHAR": (2, 2),
    "OLECHAR": (2, 2),
    "VARTYPE": (2, 2),
    "LONG64": (8, 8),
    "LONGLONG": (8, 8),
    "ULONGLONG": (8, 8),
    "int64_t": (8, 8),
    "uint64_t": (8, 8),
    "ULONG_PTR": (8, 8),
    "SIZE_T": (8, 8),
    "WPARAM": (8, 8),
    "LPARAM": (8, 8),
    "INT_PTR": (8, 8),
    "UINT_PTR": (8, 8),
    "LONG_PTR": (8, 8),
    "double": (8, 8),
    "float": (4, 4),
}
_VALUE_SIZES = {"variant": (24, 8), "decimal": (16, 8), "vbool": (2, 2), "date": (8, 8), "cy": (8, 8), "guid": (16, 4)}


def register_named_type(name: str, what: str, target: object = None) -> None:
    """Make ``name`` a type declarations may use: ``what`` is ``"enum"`` (a 4-byte integer), ``"alias"``
    (``target``: the aliased type as written), ``"record"`` (``target``: ``(size, alignment)``; passed by pointer,
    or by value as Win64 passes a struct) or ``"interface"`` (``name *`` is an interface pointer). A built-in name
    (LONG, GUID, VARIANT...) keeps its built-in meaning."""
    if what not in ("enum", "alias", "record", "interface"):
        raise ValueError(f"unknown kind of named type {what!r}")
    if what == "alias":
        ctype_of(str(target))  # the aliased type must be known now
    if _NAMED.get(name) != (what, target):
        _NAMED[name] = (what, target)
        _MEMO.clear()


def named_type(name: str) -> tuple[str, object] | None:
    """What ``name`` was registered as (:func:`register_named_type`), or None."""
    return _NAMED.get(name)


def _named_ctype(text: str, base: str, named: tuple[str, object], stars: int, cprefix: str) -> CType:
    what, target = named
    star_text = " " + "*" * stars if stars else ""
    if what == "enum":
        return CType(text, f"{cprefix}LONG{star_text}", "int", stars)
    if what == "interface":
        if stars == 0:
            raise ValueError(f"interface {base} must be passed by pointer")
        return CType(text, "void " + "*" * stars, "iface", stars, base)
    if what == "record":
        size = target[0] if isinstance(target, tuple) else 0
        if stars == 0 and target is None:
            raise ValueError(f"record {base} is used by value before it is declared (only forward-declared)")
        if stars == 0:  # by value: Win64 passes 1, 2, 4 and 8 bytes in a register, anything else as a pointer
            ints = {1: "BYTE", 2: "USHORT", 4: "ULONG", 8: "ULONGLONG"}
            if size in ints:
                return CType(text, ints[size], "ptr", 0)
            return CType(text, "void *", "ptr", 0)
        return CType(text, "void " + "*" * stars, "ptr", stars)
    aliased = ctype_of(str(target) + "*" * stars)
    return CType(text, aliased.c, aliased.kind, aliased.depth, aliased.interface, aliased.element)


def size_and_alignment(ctype: CType | str) -> tuple[int, int]:
    """Bytes and alignment of a value of this type on Win64 (a pointer: 8, 8). ValueError for ``void``."""
    ct = ctype_of(ctype) if isinstance(ctype, str) else ctype
    base = ct.name.replace("const ", "").strip()
    if ct.kind == "void":
        raise ValueError("void has no size")
    stripped = base.rstrip("* ").strip()
    named = _NAMED.get(stripped)
    if named is not None and base == stripped:
        if named[0] == "record":
            if not isinstance(named[1], tuple):
                raise ValueError(f"record {stripped} has no size yet (only forward-declared)")
            return named[1][0], named[1][1]
        if named[0] == "alias":
            return size_and_alignment(str(named[1]))
        if named[0] == "enum":
            return 4, 4
    if ct.kind in _VALUE_SIZES and ct.depth == 0:
        return _VALUE_SIZES[ct.kind]
    if ct.kind == "guid" and ct.depth == 0:
        return 16, 4
    if ct.is_pointer or ct.c.rstrip().endswith("*") or ct.kind in ("iface", "wstr", "safearray"):
        return 8, 8
    key = ct.c.replace("const ", "").strip()
    return _SIZES.get(key, (4, 4))
