"""The Automation members of a class, COM-free: DISPIDs, names, invoke kinds, and where each argument of an
``IDispatch::Invoke`` comes from. ``vtables.dispatch`` builds one :class:`DispatchTable` per dispatchable
interface of a class, once, when the class is defined; each call then costs a dict lookup and, in the common case
(positional arguments only, all given), a precomputed argument map.

Three sources of members:

* a **dual interface** (``class IFoo(IDispatch)`` with methods): every method after IDispatch's is a member; its
  DISPID is ``[id(n)]`` or MIDL's number (:attr:`vtables.declare.Method.memid`); ``[propget]``/``[propput]``/
  ``[propputref]`` accessors of one name form one member. The implementation is the Python method the vtable calls
  (``IFoo_Name`` or ``Name``), so the vtable and Invoke share one implementation.
* a **dispinterface** (:class:`DispInterface` subclass): members declared with :func:`dispmethod` and
  :func:`dispproperty`, which exist only as DISPIDs (no vtable slots beyond IDispatch's).
* a **class with no declaration** (``vtables.dispatch.DispatchObject``): its public methods, properties and
  attributes, found once when the class is defined (:func:`dynamic_table`, whose docstring states the DISPID rule).

The argument rules are Automation's (``IDispatch::Invoke``, and what oleaut32's DispInvoke does): ``rgvarg`` holds
the named arguments first, then the positional ones in *reverse* order; a named argument's DISPID is its
parameter's position; a property put passes its value as the named argument DISPID_PROPERTYPUT. Too many
positional arguments, or too few without named ones, is DISP_E_BADPARAMCOUNT; a named DISPID that is no parameter
(or names one already given) is DISP_E_PARAMNOTFOUND with ``puArgErr`` at that argument; a required parameter
skipped while naming others is DISP_E_PARAMNOTOPTIONAL; an omitted ``[optional]`` parameter (or one passed as
VT_ERROR/DISP_E_PARAMNOTFOUND) takes its ``[defaultvalue]`` or arrives as ``Missing``.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ole32_bindings.oavalues import (
    VT_ARRAY,
    VT_BOOL,
    VT_BSTR,
    VT_CY,
    VT_DATE,
    VT_DECIMAL,
    VT_DISPATCH,
    VT_I1,
    VT_I2,
    VT_I4,
    VT_I8,
    VT_INT,
    VT_R4,
    VT_R8,
    VT_UI1,
    VT_UI2,
    VT_UI4,
    VT_UI8,
    VT_UINT,
    VT_UNKNOWN,
    VT_VARIANT,
)

from .ctypes_ import CType, ctype_of
from .declare import (
    INVOKE_FUNC,
    INVOKE_PROPERTYGET,
    INVOKE_PROPERTYPUT,
    INVOKE_PROPERTYPUTREF,
    NO_DEFAULT,
    Interface,
    InterfaceError,
    Method,
    method,
)
from .interfaces.automation import IDispatch

__all__ = [
    "DISPATCH_METHOD",
    "DISPATCH_PROPERTYGET",
    "DISPATCH_PROPERTYPUT",
    "DISPATCH_PROPERTYPUTREF",
    "DISPID_VALUE",
    "DISPID_UNKNOWN",
    "DISPID_PROPERTYPUT",
    "DISPID_NEWENUM",
    "DISPID_EVALUATE",
    "DispatchFailure",
    "ArgSpec",
    "Accessor",
    "Member",
    "DispatchTable",
    "DispInterface",
    "dispmethod",
    "dispproperty",
    "interface_table",
    "dynamic_table",
    "is_dispinterface",
    "declared_vt",
]

DISPATCH_METHOD = 1
"""wFlags: call the member as a method."""
DISPATCH_PROPERTYGET = 2
"""wFlags: read the member as a property."""
DISPATCH_PROPERTYPUT = 4
"""wFlags: assign the property (by value)."""
DISPATCH_PROPERTYPUTREF = 8
"""wFlags: assign the property by reference (VBScript's ``Set obj.Prop = x``)."""
DISPID_VALUE = 0
"""The default member (``obj(i)``, ``obj.Item(i)`` written ``obj(i)``, VBScript's default property)."""
DISPID_UNKNOWN = -1
"""What GetIDsOfNames writes for a name it does not know."""
DISPID_PROPERTYPUT = -3
"""The named-argument DISPID of the value a property put assigns."""
DISPID_NEWENUM = -4
"""The member that returns an IEnumVARIANT (``_NewEnum``; VBScript's ``For Each``)."""
DISPID_EVALUATE = -5
"""``[...]`` evaluation (unused here, reserved)."""

_ALL_FLAGS = DISPATCH_METHOD | DISPATCH_PROPERTYGET | DISPATCH_PROPERTYPUT | DISPATCH_PROPERTYPUTREF

# HRESULTs, signed as native code returns them.
S_OK = 0
DISP_E_UNKNOWNINTERFACE = -2147352575  # 0x80020001
DISP_E_MEMBERNOTFOUND = -2147352573  # 0x80020003
DISP_E_PARAMNOTFOUND = -2147352572  # 0x80020004
DISP_E_TYPEMISMATCH = -2147352571  # 0x80020005
DISP_E_UNKNOWNNAME = -2147352570  # 0x80020006
DISP_E_NONAMEDARGS = -2147352569  # 0x80020007
DISP_E_BADVARTYPE = -2147352568  # 0x80020008
DISP_E_EXCEPTION = -2147352567  # 0x80020009
DISP_E_OVERFLOW = -2147352566  # 0x8002000A
DISP_E_BADPARAMCOUNT = -2147352562  # 0x8002000E
DISP_E_PARAMNOTOPTIONAL = -2147352561  # 0x8002000F
E_INVALIDARG = -2147024809  # 0x80070057
E_POINTER = -2147467261  # 0x80004003
E_NOTIMPL = -2147467263  # 0x80004001


#: declared scalar type (as written) -> its VARTYPE
_DECLARED_VT = {
    "LONG": VT_I4,
    "BOOL": VT_I4,
    "int32_t": VT_I4,
    "HRESULT": VT_I4,
    "SCODE": VT_I4,
    "ULONG": VT_UI4,
    "DWORD": VT_UI4,
    "uint32_t": VT_UI4,
    "SHORT": VT_I2,
    "USHORT": VT_UI2,
    "WORD": VT_UI2,
    "BYTE": VT_UI1,
    "char": VT_I1,
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
    "float": VT_R4,
    "double": VT_R8,
    "DATE": VT_DATE,
    "VARIANT_BOOL": VT_BOOL,
    "CY": VT_CY,
    "CURRENCY": VT_CY,
    "DECIMAL": VT_DECIMAL,
    "BSTR": VT_BSTR,
    "LPOLESTR": VT_BSTR,
    "LPCOLESTR": VT_BSTR,
    "LPWSTR": VT_BSTR,
    "LPCWSTR": VT_BSTR,
}


def declared_vt(ctype: CType | None) -> int | None:
    """The VARTYPE of a value of declared type ``ctype``: what an argument is coerced to and a result written as
    (None: any VARIANT). Pointers count as what they point at (``LONG *`` is VT_I4); ``IDispatch *`` is
    VT_DISPATCH and any other interface VT_UNKNOWN; ``SAFEARRAY(T)`` is VT_ARRAY | T's."""
    if ctype is None or ctype.kind == "variant":
        return None
    if ctype.kind == "iface":
        return VT_DISPATCH if ctype.interface == "IDispatch" else VT_UNKNOWN
    if ctype.kind == "safearray":
        element = ctype_of(ctype.element) if ctype.element else None
        return VT_ARRAY | (declared_vt(element) or VT_VARIANT)
    return _DECLARED_VT.get(" ".join(w for w in ctype.name.replace("*", " ").split() if w != "const"))


class DispatchFailure(Exception):
    """A refused Invoke: ``hresult`` (signed) and ``argerr``, the ``rgvarg`` index for ``puArgErr`` (or None)."""

    def __init__(self, hresult: int, argerr: int | None = None) -> None:
        super().__init__(hresult, argerr)
        self.hresult = hresult
        self.argerr = argerr


@dataclass(frozen=True)
class ArgSpec:
    """One parameter a caller supplies through DISPPARAMS: its ``name`` and position, its declared type (``ctype``;
    None: any VARIANT, as for undeclared classes), whether the implementation receives its value (``passes_in``:
    [in] and [in, out]) and whether its new value is written back to a ByRef argument (``writes_back``: [out] and
    [in, out]), and for an omittable one its ``default`` (``NO_DEFAULT``: the implementation receives ``Missing``)."""

    name: str
    position: int
    ctype: CType | None = None
    optional: bool = False
    default: Any = NO_DEFAULT
    passes_in: bool = True
    writes_back: bool = False


@dataclass(eq=False)
class Accessor:
    """One way of invoking a member (INVOKE_FUNC, _PROPERTYGET, _PROPERTYPUT or _PROPERTYPUTREF).

    ``target``: the implementation's attribute name on the class (called with the ``passes_in`` values), or, for
    an undeclared attribute, the attribute read or assigned (``attribute=True``). ``args``: what DISPPARAMS supplies,
    in declaration order; for a put, the last one is the assigned value. ``outputs``: what the implementation
    returns, in order (one value bare, several as a tuple): the names of written-back ``args`` and ``"retval"``.
    ``returns``: whether a value goes to pVarResult. ``method``: the declaration, if any. ``varargs``: an
    undeclared method taking ``*args`` (extra positional arguments are passed on)."""

    invkind: int
    target: str
    args: tuple[ArgSpec, ...] = ()
    outputs: tuple[str, ...] = ()
    returns: bool = False
    attribute: bool = False
    method: Method | None = None
    varargs: bool = False
    #: the name of an undeclared method's ``*args`` (described as its [vararg] parameter)
    varargs_name: str | None = None
    # Derived once: the positional fast path and the counts.
    required: int = field(init=False, default=0)
    index_args: tuple[ArgSpec, ...] = field(init=False, default=())
    #: what the runtime (``vtables.dispatch``) derives from it on first use: argument readers, result writers
    runtime: Any = field(init=False, default=None, repr=False)
    _positional_maps: dict[int, tuple[int | None, ...]] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        is_put = self.invkind in (INVOKE_PROPERTYPUT, INVOKE_PROPERTYPUTREF)
        self.index_args = self.args[:-1] if is_put else self.args
        req = 0
        for i, a in enumerate(self.index_args):
            if not a.optional:
                req = i + 1
        self.required = req

    @property
    def is_put(self) -> bool:
        """Whether it assigns a property (its last argument is the value, named DISPID_PROPERTYPUT)."""
        return self.invkind in (INVOKE_PROPERTYPUT, INVOKE_PROPERTYPUTREF)

    def plan(self, cargs: int, named: Sequence[int]) -> tuple[int | None, ...]:
        """Where each of ``args`` is in ``rgvarg`` (an index, or None: omitted), for ``cargs`` arguments of which
        ``named`` are the named ones' DISPIDs. Raises :class:`DispatchFailure` with Automation's code."""
        cnamed = len(named)
        if not cnamed:
            fast = self._positional_maps.get(cargs)
            if fast is not None:
                return fast
        is_put = self.is_put
        if is_put and (not cnamed or named[0] != DISPID_PROPERTYPUT):
            raise DispatchFailure(DISP_E_PARAMNOTFOUND)  # a put's value is the named argument DISPID_PROPERTYPUT
        npos = cargs - cnamed
        index_args = self.index_args
        n = len(index_args)
        if npos > n and not self.varargs:
            raise DispatchFailure(DISP_E_BADPARAMCOUNT)
        slots: list[int | None] = [None] * len(self.args)
        for i in range(min(npos, n)):
            slots[i] = cargs - 1 - i
        for j, d in enumerate(named):
            if d == DISPID_PROPERTYPUT and is_put:
                k = len(self.args) - 1
            elif 0 <= d < n:
                k = d
            else:
                raise DispatchFailure(DISP_E_PARAMNOTFOUND, j)
            if slots[k] is not None:
                raise DispatchFailure(DISP_E_PARAMNOTFOUND, j)
            slots[k] = j
        for i, a in enumerate(index_args):
            if slots[i] is None and not a.optional:
                raise DispatchFailure(DISP_E_PARAMNOTOPTIONAL if cnamed > int(is_put) else DISP_E_BADPARAMCOUNT)
        return tuple(slots)

    def extra_positional(self, cargs: int, cnamed: int) -> range:
        """For a ``varargs`` accessor: the ``rgvarg`` indexes of the positional arguments beyond its parameters,
        in call order."""
        npos = cargs - cnamed
        n = len(self.index_args)
        return range(cargs - 1 - n, cnamed - 1, -1) if npos > n else range(0)

    def prepare(self) -> None:
        """Precompute the argument maps of positional-only calls (every count from ``required`` to all)."""
        if self.is_put:
            return
        n = len(self.args)
        for cargs in range(self.required, n + 1):
            given: list[int | None] = [cargs - 1 - i for i in range(cargs)]
            self._positional_maps[cargs] = tuple(given + [None] * (n - cargs))


@dataclass(eq=False)
class Member:
    """A name and its DISPID, with up to four accessors (by INVOKE kind)."""

    name: str
    dispid: int
    accessors: dict[int, Accessor] = field(default_factory=dict)

    def select(self, flags: int) -> Accessor | None:
        """The accessor ``wFlags`` asks for: a method when METHOD is set and there is one, else the property get
        when GET is set, else the put or putref asked for; None when none matches (DISP_E_MEMBERNOTFOUND)."""
        acc = self.accessors
        if flags & DISPATCH_METHOD:
            a = acc.get(INVOKE_FUNC)
            if a is not None:
                return a
        if flags & DISPATCH_PROPERTYGET:
            a = acc.get(INVOKE_PROPERTYGET)
            if a is not None:
                return a
        if flags & DISPATCH_PROPERTYPUTREF:
            a = acc.get(INVOKE_PROPERTYPUTREF)
            if a is not None:
                return a
        if flags & DISPATCH_PROPERTYPUT:
            return acc.get(INVOKE_PROPERTYPUT)
        return None

    def param_id(self, name: str) -> int:
        """The DISPID of parameter ``name`` (its position; case-insensitive), or DISPID_UNKNOWN."""
        key = name.lower()
        for kind in (INVOKE_FUNC, INVOKE_PROPERTYGET, INVOKE_PROPERTYPUT, INVOKE_PROPERTYPUTREF):
            a = self.accessors.get(kind)
            if a is not None:
                for arg in a.index_args:
                    if arg.name.lower() == key:
                        return arg.position
        return DISPID_UNKNOWN


class DispatchTable:
    """The members of one dispatchable interface (or undeclared class): by DISPID and by lower-cased name.

    ``add`` is for building (and, for an undeclared class, for names met later: under a lock, and a DISPID once
    given is never changed or reused)."""

    def __init__(self, name: str, members: Iterable[Member] = ()) -> None:
        self.name = name
        self.by_dispid: dict[int, Member] = {}
        self.by_name: dict[str, Member] = {}
        self.lock = threading.Lock()
        #: for tables that grow (undeclared classes): the next DISPID to give a new name
        self.next_dispid = 1
        #: whether GetIDsOfNames may add members for names met later (undeclared classes without name lists)
        self.grows = False
        #: the runtime's type information for these members (``vtables.typeinfo``), made on first request
        self.type_info: Any = None
        for m in members:
            self.add(m)

    def add(self, member: Member) -> Member:
        """Register ``member``; a second member with the same name or DISPID is an InterfaceError."""
        key = member.name.lower()
        if key in self.by_name:
            raise InterfaceError(f"{self.name}: member {member.name!r} declared twice (names are case-insensitive)")
        if member.dispid in self.by_dispid:
            other = self.by_dispid[member.dispid].name
            raise InterfaceError(f"{self.name}: {member.name} and {other} have the same DISPID {member.dispid}")
        for a in member.accessors.values():
            a.prepare()
        self.by_name[key] = member
        self.by_dispid[member.dispid] = member
        if member.dispid >= self.next_dispid and member.dispid < 0x60000000:
            self.next_dispid = member.dispid + 1
        return member

    def ids_of_names(self, names: Sequence[str]) -> tuple[int, list[int]]:
        """GetIDsOfNames: ``names[0]`` a member, the rest its parameters. Returns (hr, DISPIDs): S_OK, or
        DISP_E_UNKNOWNNAME with DISPID_UNKNOWN in every slot not known (all of them when the member is unknown)."""
        if not names:
            return E_INVALIDARG, []
        member = self.by_name.get(names[0].lower())
        if member is None:
            return DISP_E_UNKNOWNNAME, [DISPID_UNKNOWN] * len(names)
        ids = [member.dispid] + [member.param_id(n) for n in names[1:]]
        return (DISP_E_UNKNOWNNAME if DISPID_UNKNOWN in ids[1:] else S_OK), ids

    def members(self) -> list[Member]:
        """The members in DISPID order (a snapshot)."""
        return [self.by_dispid[d] for d in sorted(self.by_dispid)]


# ---- declared interfaces ---------------------------------------------------------------------------------------


def _args_of(m: Method) -> tuple[tuple[ArgSpec, ...], tuple[str, ...], bool]:
    """A declared method's DISPPARAMS arguments, its implementation's outputs, and whether it has a [retval]."""
    args: list[ArgSpec] = []
    outputs: list[str] = []
    has_retval = False
    for p in m.params:
        if p.retval:
            has_retval = True
            outputs.append("retval")
            continue
        if "lcid" in p.attrs:
            continue
        writes = p.direction in ("out", "inout")
        args.append(
            ArgSpec(
                p.name,
                len(args),
                p.ctype,
                p.optional,
                p.default,
                passes_in=p.direction in ("in", "inout"),
                writes_back=writes,
            )
        )
        if writes:
            outputs.append(p.name)
    return tuple(args), tuple(outputs), has_retval


def _implementation_target(cls: type | None, iface: type[Interface], m: Method) -> tuple[str, bool]:
    """The attribute of ``cls`` that implements ``m`` as the vtable finds it (``IFoo_Name`` before ``Name``; for
    an accessor without index parameters, a Python ``property`` named after the member), and whether it is read or
    assigned as an attribute rather than called."""
    qualified = f"{iface.__name__}_{m.name}"
    if cls is None:
        return m.name, False
    if callable(getattr(cls, qualified, None)):
        return qualified, False
    if not callable(getattr(cls, m.name, None)) and accessor_is_attribute(m):
        prop = getattr(cls, m.member, None)
        if isinstance(prop, property):
            return m.member, True
    return m.name, False


def accessor_is_attribute(m: Method) -> bool:
    """Whether property accessor ``m`` can be a Python ``property``'s getter or setter: a [propget] with only its
    [retval], a [propput]/[propputref] with only its value."""
    if m.invkind == INVOKE_PROPERTYGET:
        return len(m.params) == 1 and m.params[0].retval
    return m.invkind in (INVOKE_PROPERTYPUT, INVOKE_PROPERTYPUTREF) and len(m.params) == 1


def is_dispinterface(iface: type[Interface]) -> bool:
    """Whether ``iface`` is a dispinterface (a :class:`DispInterface` subclass)."""
    return isinstance(iface, type) and issubclass(iface, DispInterface)


def interface_table(iface: type[Interface], cls: type | None = None) -> DispatchTable:
    """The members of a dual interface (every method after IDispatch's, the bases' included) or a dispinterface.
    ``cls``: the implementing class, to name each member's implementation as the vtable finds it."""
    if IDispatch not in iface.lineage:
        raise InterfaceError(f"{iface.__name__} does not derive from IDispatch")
    table = DispatchTable(iface.__name__)
    if issubclass(iface, DispInterface):
        for decl in iface.disp_members:
            table.add(_member_from(decl, table))
        return table
    groups: dict[str, Member] = {}
    for m in iface.layout[7:]:
        args, outputs, has_retval = _args_of(m)
        target, attribute = _implementation_target(cls, iface, m)
        acc = Accessor(m.invkind, target, args, outputs, has_retval, attribute, method=m)
        key = m.member.lower()
        member = groups.get(key)
        if member is None:
            assert m.memid is not None
            member = groups[key] = Member(m.member, m.memid)
        member.accessors[m.invkind] = acc
    for member in groups.values():
        table.add(member)
    return table


# ---- dispinterfaces ----------------------------------------------------------------------------------------------


@dataclass(eq=False)
class _DispDecl:
    """A dispinterface member: a method, or a property (get, and put unless read-only)."""

    method: Method
    readonly: bool = False
    is_property: bool = False


def dispmethod(signature: str) -> _DispDecl:
    """A dispinterface method, IDL-style: ``"[id(1)] VARIANT Echo([in] VARIANT v)"`` (the value it returns is the
    result; ``void`` for none). Implemented by the class's method of that name."""
    m = method(signature)
    if m.invkind != INVOKE_FUNC:
        raise InterfaceError(f"{signature!r}: a dispmethod is a method; declare properties with dispproperty")
    return _DispDecl(m)


def dispproperty(signature: str, *, readonly: bool = False) -> _DispDecl:
    """A dispinterface property, IDL-style: ``"[id(2)] BSTR Name"``. Read (and, unless ``readonly``, assigned)
    as the class's attribute or property of that name.

    An indexed property lists its index parameters: ``"[id(0)] VARIANT Item([in] VARIANT Key)"`` (a dispinterface's
    ``[propget]``/``[propput]`` functions with parameters, as type libraries describe them); it is implemented by the
    class's methods ``get_Item(Key)`` and ``put_Item(Key, value)``."""
    text = signature.strip().rstrip(";")
    indexed = text.endswith(")")
    m = method(text if indexed else text + "()")
    if m.invkind != INVOKE_FUNC:
        raise InterfaceError(f"{signature!r}: a dispproperty is a property already; write it without propget/propput")
    if any(p.direction != "in" or p.retval for p in m.params):
        raise InterfaceError(f"{signature!r}: a dispproperty's index parameters are [in] parameters")
    return _DispDecl(m, readonly, True)


def _member_from(decl: _DispDecl, table: DispatchTable) -> Member:
    m = decl.method
    memid = m.memid if m.memid is not None else table.next_dispid
    ctype = m.restype
    member = Member(m.member, memid)
    if decl.is_property:
        index, _, _ = _args_of(m)
        attribute = not index
        get = Accessor(
            INVOKE_PROPERTYGET,
            m.member if attribute else f"get_{m.member}",
            index,
            ("retval",),
            True,
            attribute=attribute,
            method=m,
        )
        member.accessors[INVOKE_PROPERTYGET] = get
        if not decl.readonly:
            put = (*index, ArgSpec("value", len(index), ctype))
            member.accessors[INVOKE_PROPERTYPUT] = Accessor(
                INVOKE_PROPERTYPUT,
                m.member if attribute else f"put_{m.member}",
                put,
                (),
                False,
                attribute=attribute,
                method=m,
            )
        return member
    returns = ctype is not None and ctype.kind != "void"
    args, outputs, _ = _args_of(m)
    outputs = outputs + (("retval",) if returns else ())
    member.accessors[INVOKE_FUNC] = Accessor(INVOKE_FUNC, m.member, args, outputs, returns, method=m)
    return member


class DispInterface(IDispatch):
    """Base of dispinterface declarations: IDispatch-only interfaces whose members exist only as DISPIDs.

        class DContract(DispInterface):
            iid = "{...}"
            Echo = dispmethod("[id(1)] VARIANT Echo([in] VARIANT v)")
            Name = dispproperty("[id(2)] BSTR Name")

    A dispinterface is an interface whose vtable is IDispatch's: ``implements=[DContract]`` works as for any
    interface, and QueryInterface for its IID (or IDispatch's) gives that IDispatch. Its methods are implemented by
    the class's methods of the same names; its properties are the class's attributes or properties."""

    iid = IDispatch.iid  # the base itself is IDispatch; each dispinterface sets its own IID
    #: the members, in declaration order
    disp_members: ClassVar[tuple[_DispDecl, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        if "iid" not in cls.__dict__:
            raise InterfaceError(f"dispinterface {cls.__name__} declares no iid")
        if any(isinstance(v, Method) for v in cls.__dict__.values()):
            raise InterfaceError(f"dispinterface {cls.__name__}: declare members with dispmethod/dispproperty")
        super().__init_subclass__(**kwargs)
        members = []
        for name, value in cls.__dict__.items():
            if isinstance(value, _DispDecl):
                if value.method.member != name:
                    raise InterfaceError(f"{cls.__name__}.{name} declares {value.method.member!r}: names differ")
                members.append(value)
        cls.disp_members = tuple(members)


# ---- classes with no declaration ---------------------------------------------------------------------------------


def _is_public(name: str) -> bool:
    return not name.startswith("_")


def _callable_args(fn: Callable[..., Any]) -> tuple[tuple[ArgSpec, ...], str | None]:
    """The DISPPARAMS arguments of a Python method (after ``self``): positional parameters, optional when they have
    a default (the default is used when omitted); ``*args`` takes extra positional arguments."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return (), "args"
    args: list[ArgSpec] = []
    varargs = None
    params = list(sig.parameters.values())
    if params and params[0].name == "self":
        params = params[1:]
    for p in params:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            optional = p.default is not p.empty
            args.append(ArgSpec(p.name, len(args), None, optional, p.default if optional else NO_DEFAULT))
        elif p.kind == p.VAR_POSITIONAL:
            varargs = p.name
    return tuple(args), varargs


#: class attributes that configure a class rather than expose a member
RESERVED_NAMES = frozenset({"progid", "clsid", "implements", "sources", "typelib"})


def dynamic_table(cls: type, framework: tuple[type, ...] = ()) -> DispatchTable:
    """The members of a class with no declaration, found once when the class is defined. ``framework``: base
    classes whose names are machinery, never exposed (``ComObject``, ``DispatchObject``).

    Which names: ``_public_methods_`` and ``_public_attrs_`` (lists of names, as pywin32's policy has them) when
    the class sets either (and then only those); otherwise every public name (no leading ``_``) that the class
    defines or inherits from a non-framework base: methods, properties and plain class attributes. Attributes set
    on instances are reachable by listing them in ``_public_attrs_`` (or, for a class without the lists, once
    GetIDsOfNames is asked for them: see ``vtables.dispatch``). ``_readonly_attrs_`` lists attributes that cannot
    be assigned; a property without a setter is read-only.

    DISPIDs are stable (the same name keeps the same DISPID for the life of the class): ``_dispids_`` (name ->
    DISPID) first; then ``_default_member_`` (a name) gets DISPID_VALUE; then the remaining names, in the order of
    ``_public_methods_`` + ``_public_attrs_``, or else sorted case-insensitively, are numbered 1, 2, 3... skipping
    numbers already given; a name met later gets the next number, once. A class that defines ``__iter__`` answers
    DISPID_NEWENUM with an IEnumVARIANT over ``iter(obj)``."""
    stop = set(framework) | {object}
    own = [k for k in cls.__mro__ if k not in stop and not any(k in f.__mro__ for f in framework)]
    declared = set().union(*(k.__dict__ for k in own)) if own else set()
    explicit = "_public_methods_" in declared or "_public_attrs_" in declared
    if explicit:
        names = list(getattr(cls, "_public_methods_", ())) + list(getattr(cls, "_public_attrs_", ()))
    else:
        names = sorted({n for k in own for n in k.__dict__ if _is_public(n) and n not in RESERVED_NAMES}, key=str.lower)
    lowered: dict[str, str] = {}
    for name in names:
        if name.lower() in lowered:
            raise InterfaceError(f"{cls.__name__}: {name!r} and {lowered[name.lower()]!r} differ only in case")
        lowered[name.lower()] = name
    readonly = {n.lower() for n in getattr(cls, "_readonly_attrs_", ())}
    fixed = {k.lower(): int(v) for k, v in dict(getattr(cls, "_dispids_", {})).items()}
    default = getattr(cls, "_default_member_", None)
    if default:
        fixed.setdefault(default.lower(), DISPID_VALUE)
    table = DispatchTable(cls.__name__)
    used = set(fixed.values())
    number = 1
    for name in names:
        dispid = fixed.get(name.lower())
        if dispid is None:
            while number in used:
                number += 1
            dispid = number
            used.add(dispid)
        table.add(dynamic_member(cls, name, dispid, name.lower() in readonly))
    table.next_dispid = max([number, *(d + 1 for d in used if 0 < d < 0x60000000)])
    if callable(getattr(cls, "__iter__", None)) and DISPID_NEWENUM not in table.by_dispid:
        enum = Member("_NewEnum", DISPID_NEWENUM)
        for kind in (INVOKE_FUNC, INVOKE_PROPERTYGET):
            enum.accessors[kind] = Accessor(kind, "__iter__", (), (), True)
        table.add(enum)
    return table


def dynamic_member(cls: type, name: str, dispid: int, readonly: bool = False) -> Member:
    """The member ``name`` of an undeclared class: a method (DISPATCH_METHOD, its positional parameters the
    arguments), a property (get, and put/putref when it has a setter), or else an attribute, read with getattr
    and (unless ``readonly``) assigned with setattr by put and putref alike."""
    value = inspect.getattr_static(cls, name, None)
    member = Member(name, dispid)
    if isinstance(value, property):
        member.accessors[INVOKE_PROPERTYGET] = Accessor(INVOKE_PROPERTYGET, name, (), (), True, attribute=True)
        if value.fset is not None and not readonly:
            _put_accessors(member, name)
        return member
    if isinstance(value, (staticmethod, classmethod)):
        value = value.__func__
    if callable(value) and not isinstance(value, type):
        args, varargs = _callable_args(value)
        member.accessors[INVOKE_FUNC] = Accessor(
            INVOKE_FUNC, name, args, (), True, varargs=varargs is not None, varargs_name=varargs
        )
        return member
    member.accessors[INVOKE_PROPERTYGET] = Accessor(INVOKE_PROPERTYGET, name, (), (), True, attribute=True)
    if not readonly:
        _put_accessors(member, name)
    return member


def _put_accessors(member: Member, name: str) -> None:
    value = (ArgSpec("value", 0, None),)
    # A Python attribute does not tell a value from a reference: put and putref both assign it.
    member.accessors[INVOKE_PROPERTYPUT] = Accessor(INVOKE_PROPERTYPUT, name, value, (), False, attribute=True)
    member.accessors[INVOKE_PROPERTYPUTREF] = Accessor(INVOKE_PROPERTYPUTREF, name, value, (), False, attribute=True)
