"""One way to declare a COM interface.

    class IBenchTarget(IUnknown):
        iid = "{3D840911-8FC7-4C2A-9C7B-05A5F4A82DB5}"
        Nothing = method("HRESULT Nothing()")
        Work = method("HRESULT Work([in] LONG n, [out, retval] LONG *sum)")

Methods are listed in vtable order after the base's, each an IDL-like C signature with parameter directions
(``in``, ``out``, ``retval``; ``in`` when omitted). From this one declaration come the vtable layout
(:attr:`Interface.layout`), the client caller (``vtables.client``) and the server thunks (``vtables.thunks``),
and later a type library. The declaration needs no COM runtime: layouts are checked on Linux too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ole32_bindings.guid import Guid

from .ctypes_ import CType, ctype_of

if TYPE_CHECKING:
    from .client import ComPtr

__all__ = ["Param", "Method", "method", "Interface", "InterfaceError", "interface_for_iid", "interface_named"]

#: every declared interface, by IID and by name (the first declaration of an IID wins)
_BY_IID: dict[Guid, type[Interface]] = {}
_BY_NAME: dict[str, type[Interface]] = {}
#: the same IIDs by their 16 bytes: a REFIID arriving in a server thunk that names a declared interface becomes
#: that (immutable) Guid instead of a new one per call
IID_BY_BYTES: dict[bytes, Guid] = {}


def interface_for_iid(iid: Guid) -> type[Interface] | None:
    """The interface declared with ``iid`` (the first declaration of that IID), or None."""
    return _BY_IID.get(iid)


def interface_named(name: str) -> type[Interface] | None:
    """The interface declared as a class named ``name`` (the first one of that name), or None."""
    return _BY_NAME.get(name)


class InterfaceError(TypeError):
    """A malformed interface declaration or implementation (raised at class definition time)."""


@dataclass(frozen=True)
class Param:
    """One parameter of a declared method: its name, C type, direction (``in``, ``out`` or ``inout``), whether it
    is the ``retval``, and its IDL attributes as written (``iid_is(riid)``, ``size_is(cb)``, ``unique``...)."""

    name: str
    ctype: CType
    direction: str  # "in", "out", "inout"
    retval: bool = False
    attrs: tuple[str, ...] = ()

    @property
    def is_out(self) -> bool:
        """Whether the callee writes it ([out] or [in, out])."""
        return self.direction in ("out", "inout")

    @property
    def iid_is(self) -> str | None:
        """The parameter named by ``iid_is(...)`` (the IID of the interface pointer written here), or None."""
        for a in self.attrs:
            if a.startswith("iid_is(") and a.endswith(")"):
                return a[len("iid_is(") : -1].strip()
        return None


@dataclass
class Method:
    """A vtable slot: return type, name, parameters. ``preserve_sig``: the client returns ``(hr, *outs)`` so
    success codes other than S_OK stay visible even where there are [out] values."""

    signature: str
    preserve_sig: bool = False
    name: str = ""
    restype: CType | None = None
    params: tuple[Param, ...] = ()
    index: int = -1
    interface: Any = None
    _parsed: bool = field(default=False, repr=False)

    def parse(self) -> None:
        m = _SIG_RE.match(self.signature.strip())
        if not m:
            raise InterfaceError(f"cannot parse method signature {self.signature!r}")
        self.restype = ctype_of(m.group("ret"))
        self.name = m.group("name")
        body = m.group("params").strip()
        params: list[Param] = []
        if body and body != "void":
            for i, raw in enumerate(_split_params(body)):
                params.append(_parse_param(raw, self.signature, i))
        self.params = tuple(params)
        self._parsed = True

    @property
    def args(self) -> tuple[Param, ...]:
        """What a Python caller passes: [in] values and caller-supplied buffers, in declaration order."""
        return tuple(p for p in self.params if not (p.direction == "out" and p.ctype.returned_when_out))

    @property
    def results(self) -> tuple[Param, ...]:
        """What comes back as Python values: [out] parameters the caller does not supply."""
        return tuple(p for p in self.params if p.direction == "out" and p.ctype.returned_when_out)

    @property
    def returns_hresult(self) -> bool:
        return self.restype is not None and self.restype.name == "HRESULT"

    def c_funcptr(self) -> str:
        """The C function pointer type of this slot with ``this`` as ``void **``."""
        args = ", ".join(["void **"] + [p.ctype.c for p in self.params])
        assert self.restype is not None
        return f"{self.restype.c}(*)({args})"

    def __repr__(self) -> str:
        return f"<method {self.signature}>"


def method(signature: str, *, preserve_sig: bool = False) -> Method:
    """Declare a vtable slot from an IDL-like signature: ``"HRESULT Work([in] LONG n, [out, retval] LONG *sum)"``."""
    m = Method(signature, preserve_sig)
    m.parse()
    return m


_SIG_RE = re.compile(r"^(?P<ret>[\w\s\*]+?)\s+(?P<name>[A-Za-z_]\w*)\s*\((?P<params>.*)\)\s*;?$", re.S)
_PARAM_RE = re.compile(r"^(?:\[(?P<attrs>[^\]]*)\]\s*)?(?P<type>.+?)\s*(?P<name>\b[A-Za-z_]\w*)$", re.S)


def _split_params(body: str) -> list[str]:
    out: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in body:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur).strip())
    return out


def _parse_param(raw: str, sig: str, i: int) -> Param:
    m = _PARAM_RE.match(raw)
    if not m:
        raise InterfaceError(f"cannot parse parameter {i} {raw!r} of {sig!r}")
    attrs = tuple(a.strip() for a in (m.group("attrs") or "").split(",") if a.strip())
    words = {a.split("(")[0] for a in attrs}
    unknown = words - {"in", "out", "retval", "iid_is", "size_is", "length_is", "unique", "optional", "string"}
    if unknown:
        raise InterfaceError(f"unknown attribute(s) {sorted(unknown)} on parameter {m.group('name')} of {sig!r}")
    direction = "inout" if {"in", "out"} <= words else "out" if "out" in words else "in"
    ctype = ctype_of(m.group("type"))
    if direction != "in" and not ctype.is_pointer:
        raise InterfaceError(f"[out] parameter {m.group('name')} of {sig!r} must be a pointer, not {ctype.c}")
    return Param(m.group("name"), ctype, direction, "retval" in words, attrs)


class Interface:
    """Base of every interface declaration. Subclass it (or an interface) and set ``iid`` and methods."""

    #: the IID. A declaration may give its text (a Guid is made of it); ``Guid("{...}")`` is what type checkers accept.
    iid: ClassVar[Guid]
    #: every slot, the bases' first: vtable order.
    layout: ClassVar[tuple[Method, ...]] = ()
    #: the methods this interface adds to its base.
    own_methods: ClassVar[tuple[Method, ...]] = ()
    #: this interface and its bases, most derived first.
    lineage: ClassVar[tuple[type[Interface], ...]] = ()
    #: the client wrapper class (``vtables.client``), set on each subclass: None until first used.
    _client_class: ClassVar[type[ComPtr] | None]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        iid = cls.__dict__.get("iid")
        if iid is None:
            raise InterfaceError(f"interface {cls.__name__} declares no iid")
        if isinstance(iid, str):
            cls.iid = Guid(iid)
        bases = [b for b in cls.__bases__ if issubclass(b, Interface) and b is not Interface]
        if len(bases) > 1:
            raise InterfaceError(f"{cls.__name__}: a COM interface has one base interface")
        base_layout = bases[0].layout if bases else ()
        own: list[Method] = []
        for name, value in cls.__dict__.items():
            if isinstance(value, Method):
                if value.name != name:
                    raise InterfaceError(f"{cls.__name__}.{name} declares method {value.name!r}: names differ")
                if value.interface is not None and value.interface is not cls:
                    raise InterfaceError(f"{cls.__name__}.{name}: a method object belongs to one interface")
                value.interface = cls
                value.index = len(base_layout) + len(own)
                own.append(value)
        names = {m.name for m in base_layout}
        for m in own:
            if m.name in names:
                raise InterfaceError(f"{cls.__name__}.{m.name} hides a method of its base")
        cls.own_methods = tuple(own)
        cls.layout = tuple(base_layout) + cls.own_methods
        cls.lineage = (cls,) + (bases[0].lineage if bases else ())
        cls._client_class = None  # made on first use by vtables.client
        _BY_IID.setdefault(cls.iid, cls)
        _BY_NAME.setdefault(cls.__name__, cls)
        IID_BY_BYTES.setdefault(cls.iid.bytes_le, cls.iid)

    @classmethod
    def describe(cls) -> str:
        """The declaration as IDL-like text, slot numbers included."""
        lines = [f"interface {cls.__name__} : {cls.lineage[1].__name__ if len(cls.lineage) > 1 else ''} // {cls.iid}"]
        for m in cls.layout:
            lines.append(f"  [{m.index}] {m.signature}")
        return "\n".join(lines)
