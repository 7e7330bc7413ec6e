"""One way to declare a COM interface.

    class IBenchTarget(IUnknown):
        iid = "{3D840911-8FC7-4C2A-9C7B-05A5F4A82DB5}"
        Nothing = method("HRESULT Nothing()")
        Work = method("HRESULT Work([in] LONG n, [out, retval] LONG *sum)")

Methods are listed in vtable order after the base's, each an IDL-like C signature with parameter directions
(``in``, ``out``, ``retval``; ``in`` when omitted). Automation (dual) interfaces add IDL's member attributes before
the return type and ``optional``/``defaultvalue(x)`` on parameters:

    class IContract(IDispatch):
        iid = "{...}"
        Join = method('[id(2)] HRESULT Join([in] BSTR a, [in, optional, defaultvalue("-")] BSTR sep, '
                      '[out, retval] BSTR *result)')
        get_Name = method("[id(3), propget] HRESULT Name([out, retval] BSTR *value)")
        put_Name = method("[id(3), propput] HRESULT Name([in] BSTR value)")

A property accessor keeps IDL's name in the signature (``Name``, its :attr:`Method.member`) and is the class
attribute (and the Python method implementing it) ``get_Name`` / ``put_Name`` / ``putref_Name``, as MIDL names the
C++ vtable methods. Members without ``[id(n)]`` are numbered as MIDL numbers them (:attr:`Method.memid`).

From this one declaration come the vtable layout (:attr:`Interface.layout`), the client caller
(``vtables.client``), the server thunks (``vtables.thunks``), the IDispatch members (``vtables.members``) and
type information. The declaration needs no COM runtime: layouts are checked on Linux too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as _dc_field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ole32_bindings.guid import Guid

from .ctypes_ import CType, ctype_of, named_type, register_named_type, size_and_alignment

if TYPE_CHECKING:
    from .client import ComPtr

__all__ = [
    "Param",
    "Method",
    "method",
    "Interface",
    "InterfaceError",
    "interface_for_iid",
    "interface_named",
    "enumtype",
    "alias",
    "forward_interfaces",
    "forward_records",
    "Field",
    "field",
    "Record",
    "Union",
]

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
    def optional(self) -> bool:
        """Whether a caller may omit it (``[optional]`` or ``[defaultvalue(x)]``)."""
        return any(a == "optional" or a.startswith("defaultvalue(") for a in self.attrs)

    @property
    def has_default(self) -> bool:
        """Whether it declares ``[defaultvalue(x)]``."""
        return any(a.startswith("defaultvalue(") for a in self.attrs)

    @property
    def default(self) -> Any:
        """The Python value of ``[defaultvalue(x)]`` (a number, a string, True/False or None); ``NO_DEFAULT`` when
        there is none."""
        for a in self.attrs:
            if a.startswith("defaultvalue(") and a.endswith(")"):
                return _literal(a[len("defaultvalue(") : -1].strip())
        return NO_DEFAULT

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
    #: IDL attributes of the member, as written before the return type (``id(1)``, ``propget``...)
    attrs: tuple[str, ...] = ()
    #: the Automation name (IDL's): ``Name`` for ``get_Name``; the same as ``name`` for a method
    member: str = ""
    #: INVOKE_FUNC (1), INVOKE_PROPERTYGET (2), INVOKE_PROPERTYPUT (4) or INVOKE_PROPERTYPUTREF (8)
    invkind: int = 1
    #: the DISPID / MEMBERID: ``[id(n)]``, else MIDL's number (set when the interface is declared)
    memid: int | None = None
    _parsed: bool = _dc_field(default=False, repr=False)

    def parse(self) -> None:
        attrs, text = _leading_attrs(self.signature.strip(), self.signature)
        m = _SIG_RE.match(text)
        if not m:
            raise InterfaceError(f"cannot parse method signature {self.signature!r}")
        self.attrs = attrs
        words = [a.split("(")[0].strip() for a in attrs]
        unknown = set(words) - _METHOD_ATTRS
        if unknown:
            raise InterfaceError(f"unknown attribute(s) {sorted(unknown)} on method of {self.signature!r}")
        kinds = [w for w in words if w in _INVOKE_PREFIX]
        if len(kinds) > 1:
            raise InterfaceError(f"{self.signature!r}: at most one of propget, propput, propputref")
        self.invkind = _INVOKE_KINDS[kinds[0]] if kinds else INVOKE_FUNC
        for a in attrs:
            if a.startswith("id(") and a.endswith(")"):
                text = a[3:-1].strip()
                try:
                    self.memid = _NAMED_DISPIDS[text] if text in _NAMED_DISPIDS else _to_int32(int(text, 0))
                except ValueError:
                    raise InterfaceError(f"{self.signature!r}: [{a}] is not an integer DISPID") from None
        self.restype = ctype_of(m.group("ret"))
        self.member = m.group("name")
        self.name = _INVOKE_PREFIX[kinds[0]] + self.member if kinds else self.member
        body = m.group("params").strip()
        params: list[Param] = []
        if body and body != "void":
            for i, raw in enumerate(_split_params(body)):
                params.append(_parse_param(raw, self.signature, i))
        self.params = tuple(params)
        if self.invkind != INVOKE_FUNC:
            _check_accessor(self)
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


_SIG_RE = re.compile(r"^(?P<ret>[\w\s\*()]+?)\s*(?<![\w])(?P<name>[A-Za-z_]\w*)\s*\((?P<params>.*)\)\s*;?$", re.S)
_PARAM_RE = re.compile(r"^(?P<type>.+?)\s*(?P<name>\b[A-Za-z_]\w*)$", re.S)

INVOKE_FUNC, INVOKE_PROPERTYGET, INVOKE_PROPERTYPUT, INVOKE_PROPERTYPUTREF = 1, 2, 4, 8
_INVOKE_KINDS = {"propget": INVOKE_PROPERTYGET, "propput": INVOKE_PROPERTYPUT, "propputref": INVOKE_PROPERTYPUTREF}
_INVOKE_PREFIX = {"propget": "get_", "propput": "put_", "propputref": "putref_"}
#: IDL attributes a method may carry (those with a meaning here, and documentation ones that are kept as written)
_METHOD_ATTRS = {"id", "propget", "propput", "propputref", "hidden", "restricted", "helpstring", "helpcontext"}
_PARAM_ATTRS = {"in", "out", "retval", "iid_is", "size_is", "length_is", "unique", "optional", "string", "defaultvalue"}


class _NoDefault:
    """The ``default`` of a parameter without ``[defaultvalue(x)]``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT = _NoDefault()
"""What :attr:`Param.default` is for a parameter that declares no ``[defaultvalue(x)]``."""

_NAMED_DISPIDS = {"DISPID_VALUE": 0, "DISPID_NEWENUM": -4, "DISPID_EVALUATE": -5}
_NAMED_LITERALS = {"TRUE": True, "FALSE": False, "VARIANT_TRUE": True, "VARIANT_FALSE": False, "NULL": None}


def _literal(text: str) -> Any:
    """The value of a ``defaultvalue(...)`` literal: an integer (decimal or hex), a float, a quoted string, or one
    of TRUE/FALSE/VARIANT_TRUE/VARIANT_FALSE/NULL."""
    import ast

    if text in _NAMED_LITERALS:
        return _NAMED_LITERALS[text]
    try:
        value = ast.literal_eval(text.rstrip("lLuU") if text[:1].isdigit() or text[:1] == "-" else text)
    except (ValueError, SyntaxError):
        raise InterfaceError(f"defaultvalue({text}) is not a literal this declaration syntax understands") from None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InterfaceError(f"defaultvalue({text}) is not a number or a string")
    return value


def _to_int32(n: int) -> int:
    if not -(2**31) <= n < 2**32:
        raise ValueError(n)
    return n - 2**32 if n >= 2**31 else n


_SCAN_TOKENS: dict[str, re.Pattern[str]] = {}


def _scan(text: str, stop: str) -> int:
    """The index of the first ``stop`` character of ``text`` outside brackets, parentheses and quotes (-1: none)."""
    if '"' not in text:  # no quotes: only the brackets and the stop characters matter (found by the regex engine)
        pattern = _SCAN_TOKENS.get(stop)
        if pattern is None:
            pattern = _SCAN_TOKENS[stop] = re.compile("[" + re.escape("[]()" + stop) + "]")
        level = 0
        for m in pattern.finditer(text):
            c = m.group()
            if c in stop and level == 0:
                return m.start()
            if c in "[(":
                level += 1
            elif c in "])":
                level -= 1
        return -1
    depth = 0
    quote = False
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == '"':
                quote = False
        elif ch == '"':
            quote = True
        elif ch in stop and depth == 0:
            return i
        elif ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        i += 1
    return -1


def _leading_attrs(text: str, sig: str) -> tuple[tuple[str, ...], str]:
    """Split ``[a, b(c)] rest`` into (("a", "b(c)"), "rest"); text without a leading ``[`` has no attributes."""
    if not text.startswith("["):
        return (), text
    end = _scan(text[1:], "]")
    if end < 0:
        raise InterfaceError(f"unbalanced [ in {sig!r}")
    inner = text[1 : end + 1]
    attrs = tuple(part for part in _split_top(inner) if part)
    return attrs, text[end + 2 :].strip()


_COMMA_TOKENS = re.compile(r"[\[\](),]")


def _split_top(text: str) -> list[str]:
    """``text`` cut at its commas outside brackets, parentheses and quotes, each piece stripped."""
    if '"' not in text:  # one pass of the regex engine over the brackets and commas
        out: list[str] = []
        level = start = 0
        for m in _COMMA_TOKENS.finditer(text):
            c = m.group()
            if c == ",":
                if level == 0:
                    out.append(text[start : m.start()].strip())
                    start = m.end()
            elif c in "[(":
                level += 1
            else:
                level -= 1
        out.append(text[start:].strip())
        return out
    out = []
    while True:
        cut = _scan(text, ",")
        if cut < 0:
            out.append(text.strip())
            return out
        out.append(text[:cut].strip())
        text = text[cut + 1 :]


def _split_params(body: str) -> list[str]:
    return _split_top(body)


def _check_accessor(m: Method) -> None:
    """A property accessor's shape: propget returns its value through a last [out, retval]; propput/propputref
    take the new value as their last [in] parameter."""
    if m.invkind == INVOKE_PROPERTYGET:
        if not (m.params and m.params[-1].retval) and m.returns_hresult:
            raise InterfaceError(f"{m.signature!r}: a [propget] returns its value through a last [out, retval]")
    elif not m.params or m.params[-1].direction != "in" or m.params[-1].retval:
        raise InterfaceError(
            f"{m.signature!r}: a [propput]/[propputref] takes the new value as its last [in] parameter"
        )


def _parse_param(raw: str, sig: str, i: int) -> Param:
    attrs, rest = _leading_attrs(raw, sig)
    m = _PARAM_RE.match(rest)
    if not m:
        raise InterfaceError(f"cannot parse parameter {i} {raw!r} of {sig!r}")
    words = {a.split("(")[0].strip() for a in attrs}
    unknown = words - _PARAM_ATTRS
    if unknown:
        raise InterfaceError(f"unknown attribute(s) {sorted(unknown)} on parameter {m.group('name')} of {sig!r}")
    direction = "inout" if {"in", "out"} <= words else "out" if "out" in words else "in"
    ctype = ctype_of(m.group("type"))
    if direction != "in" and not ctype.is_pointer:
        raise InterfaceError(f"[out] parameter {m.group('name')} of {sig!r} must be a pointer, not {ctype.c}")
    param = Param(m.group("name"), ctype, direction, "retval" in words, attrs)
    param.default  # noqa: B018 - a malformed [defaultvalue(...)] fails here, at declaration
    return param


def _number_members(cls: type, own: list[Method], level: int) -> None:
    """Give every method without ``[id(n)]`` MIDL's MEMBERID, ``0x60000000 | level << 16 | n`` (``level``: how many
    interfaces it derives from; ``n``: the method's index among this interface's own methods, every method and every
    property accessor counting, ``[id]`` or not; a property's later accessors take its first accessor's number, as
    MIDL and widl write them: IBasicAudio's put/get_Volume are 0x60020000, put/get_Balance 0x60020002), and check
    that Automation names and DISPIDs are unique (case-insensitively; a property's accessors share both)."""
    by_name: dict[str, Method] = {}
    by_id: dict[int, str] = {}
    for n, m in enumerate(own):
        key = m.member.lower()
        first = by_name.get(key)
        if first is not None:
            if m.invkind == INVOKE_FUNC or first.invkind == INVOKE_FUNC or m.member != first.member:
                raise InterfaceError(f"{cls.__name__}.{m.name}: member name {m.member!r} declared twice")
            if any(o.invkind == m.invkind and o.member.lower() == key for o in own[:n]):
                raise InterfaceError(f"{cls.__name__}.{m.name}: two accessors of the same kind")
            if m.memid is None:
                m.memid = first.memid
            elif m.memid != first.memid:
                raise InterfaceError(f"{cls.__name__}.{m.name}: the accessors of {m.member} have different ids")
            continue
        if m.memid is None:
            m.memid = _to_int32(0x60000000 | (level << 16) | n)
        by_name[key] = m
        other = by_id.get(m.memid)
        if other is not None:
            raise InterfaceError(f"{cls.__name__}: {m.member} and {other} have the same DISPID {m.memid}")
        by_id[m.memid] = m.member


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
        _number_members(cls, own, len(bases[0].lineage) if bases else 0)
        cls.own_methods = tuple(own)
        cls.layout = tuple(base_layout) + cls.own_methods
        cls.lineage = (cls,) + (bases[0].lineage if bases else ())
        cls._client_class = None  # made on first use by vtables.client
        _BY_IID.setdefault(cls.iid, cls)
        _BY_NAME.setdefault(cls.__name__, cls)
        if not re.fullmatch(r"I[A-Z]\w*", cls.__name__):  # ``Font *`` names an interface from now on
            register_named_type(cls.__name__, "interface")
        IID_BY_BYTES.setdefault(cls.iid.bytes_le, cls.iid)

    @classmethod
    def describe(cls) -> str:
        """The declaration as IDL-like text, slot numbers included."""
        lines = [f"interface {cls.__name__} : {cls.lineage[1].__name__ if len(cls.lineage) > 1 else ''} // {cls.iid}"]
        for m in cls.layout:
            lines.append(f"  [{m.index}] {m.signature}")
        return "\n".join(lines)


# ---- types other than interfaces: enums, aliases, records, unions ---------------------------------------------------

_E = TypeVar("_E", bound=type)


def enumtype(cls: _E) -> _E:
    """Class decorator: an ``IntEnum`` (or any class) whose name declarations may then use as a type: a 4-byte
    integer, as C and type libraries store enums (``[in] CompareMethod mode``, ``[out, retval] Tristate *v``)."""
    register_named_type(cls.__name__, "enum")
    return cls


def alias(name: str, target: str) -> CType:
    """``typedef target name;``: ``name`` may then be used as a type and means ``target`` (``alias("OLE_COLOR",
    "ULONG")``). Returns the aliased type."""
    register_named_type(name, "alias", target)
    return ctype_of(name)


def forward_interfaces(*names: str) -> None:
    """Declare names of interfaces (and dispinterfaces) defined later, so that ``Font *`` can be written before
    ``class Font``. Names written ``I`` + capital are interfaces already; other names need this (or their class)."""
    for name in names:
        if named_type(name) is None:
            register_named_type(name, "interface")


def forward_records(*names: str) -> None:
    """Declare names of records and unions defined later, so that a pointer to one (``_userHGLOBAL *``) can be
    written before its class. Using one by value before its class is declared is an error (its size is unknown)."""
    for name in names:
        if named_type(name) is None:
            register_named_type(name, "record", None)


@dataclass(frozen=True)
class Field:
    """A member of a :class:`Record` or :class:`Union`: its C type (``count``: a fixed array of that many), its byte
    ``offset`` (set when the record is declared), ``size`` and ``alignment`` (of one element)."""

    type: str
    count: int = 1
    offset: int = -1
    name: str = ""
    size: int = 0
    alignment: int = 0


def field(ctype: str, *, count: int = 1, offset: int | None = None) -> Field:
    """One record member: ``x = field("LONG")``; ``count``: a fixed array (``field("WCHAR", count=32)``; 0: a
    flexible array member, C's ``BYTE abData[]``, which takes no room); ``offset``:
    where it is, when the record's packing puts it somewhere other than the natural place."""
    ct = ctype_of(ctype)
    if ct.kind == "void":
        raise InterfaceError(f"a record member cannot be void ({ctype!r})")
    if count < 0:
        raise InterfaceError(f"a record member's count cannot be negative ({ctype!r}, count={count})")
    size, align = size_and_alignment(ct)
    return Field(ctype, count, -1 if offset is None else offset, "", size, align)


class Record:
    """Base of struct declarations, laid out as Win64 C lays them out (each member at the next multiple of its
    alignment, at most ``pack``; the size rounded up to the largest alignment)::

        class tagPOINT(Record):
            x = field("LONG")
            y = field("LONG")

    ``size=`` and ``alignment=`` in the class line (as a type library records them) are checked against the
    computed layout. The name becomes a type: ``[in] tagPOINT *pt`` (a raw pointer), or by value as Win64 passes it.
    """

    #: the members in declaration order, with their offsets
    fields: ClassVar[tuple[Field, ...]] = ()
    #: bytes, and alignment, of the whole
    size: ClassVar[int] = 0
    alignment: ClassVar[int] = 1
    _union: ClassVar[bool] = False

    def __init_subclass__(cls, *, size: int | None = None, alignment: int | None = None, pack: int = 8) -> None:
        super().__init_subclass__()
        if "_union" in cls.__dict__:  # Union itself: a base, not a type
            return
        laid: list[Field] = []
        end = 0
        largest = 1
        for name, value in list(cls.__dict__.items()):
            if not isinstance(value, Field):
                continue
            align = min(value.alignment, pack)
            if cls._union:
                offset = 0
            elif value.offset >= 0:
                offset = value.offset
            else:
                offset = (end + align - 1) // align * align
            f = Field(value.type, value.count, offset, name, value.size, align)
            laid.append(f)
            setattr(cls, name, f)
            end = max(end, offset + value.size * value.count)
            largest = max(largest, align)
        total = (end + largest - 1) // largest * largest
        kind = "union" if cls._union else "record"
        if size is not None and size != total:
            raise InterfaceError(f"{kind} {cls.__name__}: its members take {total} bytes, declared size is {size}")
        if alignment is not None and alignment != largest and not (alignment > largest and pack >= alignment):
            raise InterfaceError(
                f"{kind} {cls.__name__}: its members align to {largest} bytes, declared alignment is {alignment}"
            )
        cls.fields = tuple(laid)
        cls.size = total if size is None else size
        cls.alignment = largest if alignment is None else alignment
        register_named_type(cls.__name__, "record", (cls.size, cls.alignment))

    @classmethod
    def describe(cls) -> str:
        """The layout as C-like text, offsets included."""
        kind = "union" if cls._union else "struct"
        lines = [f"{kind} {cls.__name__} // {cls.size} bytes, aligned to {cls.alignment}"]
        for f in cls.fields:
            array = f"[{f.count}]" if f.count > 1 else "[]" if f.count == 0 else ""
            lines.append(f"  /* {f.offset:3d} */ {f.type} {f.name}{array};")
        return "\n".join(lines)


class Union(Record):
    """Base of union declarations: every member at offset 0, the size the largest member's (rounded to the
    alignment). Declared like a :class:`Record`."""

    _union = True
