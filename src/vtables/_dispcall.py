"""The late-bound client's COM-free rules (``vtables.latebound`` runs them; tested on Linux too).

* How a Python call becomes DISPPARAMS: :func:`plan_arguments` (reverse order, named arguments first, the new
  value of a property put as the named argument DISPID_PROPERTYPUT) and where each ``rgvarg`` slot came from, so
  that ``puArgErr`` names the caller's argument.
* What a member is, read from type information: :class:`TypeTable` (names case-insensitive, as Automation's are),
  and what an attribute access does with it (:meth:`Member.access`).
* The errors: :class:`DispatchError` (a :class:`~ole32_bindings.hresult.ComError` carrying EXCEPINFO's fields),
  :class:`UnknownNameError` (also an ``AttributeError``, so ``hasattr`` works), :func:`dispatch_error`.
* :class:`ByRef`, the box an [in, out] argument travels in.

Nothing here imports a DLL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ole32_bindings.hresult import ComError, error_from_hresult, name_of, to_unsigned

__all__ = [
    "DISPATCH_METHOD",
    "DISPATCH_PROPERTYGET",
    "DISPATCH_PROPERTYPUT",
    "DISPATCH_PROPERTYPUTREF",
    "DISPID_VALUE",
    "DISPID_UNKNOWN",
    "DISPID_PROPERTYPUT",
    "DISPID_NEWENUM",
    "ByRef",
    "DispatchError",
    "UnknownNameError",
    "dispatch_error",
    "ArgPlan",
    "plan_arguments",
    "Member",
    "TypeTable",
]

DISPATCH_METHOD = 0x1
"""Invoke flag: call a method (INVOKE_FUNC in type information)."""
DISPATCH_PROPERTYGET = 0x2
"""Invoke flag: read a property."""
DISPATCH_PROPERTYPUT = 0x4
"""Invoke flag: assign a property by value (its new value is the named argument DISPID_PROPERTYPUT)."""
DISPATCH_PROPERTYPUTREF = 0x8
"""Invoke flag: assign a property by reference (an object, VBScript's ``Set``)."""
DISPID_VALUE = 0
"""The default member (``obj(i)``, ``obj[i]``)."""
DISPID_UNKNOWN = -1
"""What GetIDsOfNames writes for a name it does not know."""
DISPID_PROPERTYPUT = -3
"""The named-argument DISPID of the value a property put assigns."""
DISPID_NEWENUM = -4
"""The member that returns an enumerator (IEnumVARIANT): ``For Each``, Python's ``for``."""

# HRESULTs this module names (unsigned)
DISP_E_MEMBERNOTFOUND = 0x80020003
DISP_E_PARAMNOTFOUND = 0x80020004
DISP_E_TYPEMISMATCH = 0x80020005
DISP_E_UNKNOWNNAME = 0x80020006
DISP_E_NONAMEDARGS = 0x80020007
DISP_E_EXCEPTION = 0x80020009
DISP_E_BADPARAMCOUNT = 0x8002000E
DISP_E_PARAMNOTOPTIONAL = 0x8002000F

#: the codes that mean "this member wants arguments" when an attribute access without type information sent it
#: none (DISPATCH_METHOD | DISPATCH_PROPERTYGET): the attribute is then a method to call
WANTS_ARGUMENTS = frozenset({DISP_E_BADPARAMCOUNT, DISP_E_PARAMNOTOPTIONAL, DISP_E_PARAMNOTFOUND})


class ByRef:
    """An [in, out] argument: ``box = ByRef(1); obj.Bump(box); box.value`` is what the callee wrote back.

    The client sends a VT_BYREF VARIANT pointing at a VARIANT it owns holding ``value``: VT_VARIANT|VT_BYREF by
    default (for an ``[in, out] VARIANT *`` parameter: the callee may store any type), or ``vt|VT_BYREF`` when
    ``vt`` is given, for a typed parameter (VT_I4 for ``[in, out] LONG *``): a typelib-driven callee
    (ITypeInfo::Invoke) does not coerce by-reference arguments, and refuses VT_VARIANT|VT_BYREF there with
    DISP_E_TYPEMISMATCH (seen under Wine). After a successful call ``value`` is replaced by
    what the callee left there (converted as a result is: a VT_DISPATCH becomes a new ``Dispatch`` the caller
    releases); after a failed call it is unchanged. The box never owns COM memory between calls."""

    __slots__ = ("value", "vt")

    def __init__(self, value: Any = None, vt: int | None = None) -> None:
        self.value = value
        self.vt = vt

    def __repr__(self) -> str:
        return f"ByRef({self.value!r}{'' if self.vt is None else f', vt={self.vt}'})"


class DispatchError(ComError):
    """A failed late-bound call. ``hresult`` is what IDispatch returned (DISP_E_EXCEPTION when the object raised
    an exception); for DISP_E_EXCEPTION, EXCEPINFO's fields: ``source``, ``description``, ``scode`` (the
    object's own error code, 0 when it gave a ``wcode`` instead), ``wcode``, ``help_file``, ``help_context``.
    ``member`` is the name (or DISPID) called; ``argument`` the caller's argument that ``puArgErr`` named (its
    0-based position, or its keyword) for DISP_E_TYPEMISMATCH and DISP_E_PARAMNOTFOUND, else None."""

    HRESULT = DISP_E_EXCEPTION

    def __init__(
        self,
        hresult: int | None = None,
        description: str | None = None,
        source: str | None = None,
        *,
        scode: int = 0,
        wcode: int = 0,
        help_file: str | None = None,
        help_context: int = 0,
        member: str | int | None = None,
        argument: int | str | None = None,
    ) -> None:
        super().__init__(hresult, description, source)
        self.scode = to_unsigned(scode)
        self.wcode = wcode
        self.help_file = help_file
        self.help_context = help_context
        self.member = member
        self.argument = argument

    def __str__(self) -> str:
        text = f"{name_of(self.hresult) or f'0x{self.hresult:08X}'} (0x{self.hresult:08X}): {self.message}"
        if self.description:
            text += f" [{self.source + ': ' if self.source else ''}{self.description}]"
        extra = []
        if self.member is not None:
            extra.append(f"member {self.member!r}")
        if self.argument is not None:
            extra.append(f"argument {self.argument!r}")
        if self.scode:
            extra.append(f"scode 0x{self.scode:08X}")
        elif self.wcode:
            extra.append(f"wcode {self.wcode}")
        return f"{text} ({', '.join(extra)})" if extra else text

    def __reduce__(self) -> Any:  # picklable across processes, fields included
        fields = {k: getattr(self, k) for k in ("scode", "wcode", "help_file", "help_context", "member", "argument")}
        return (_rebuild, (self.hresult, self.description, self.source, fields))


def _rebuild(hresult: int, description: str | None, source: str | None, fields: dict[str, Any]) -> DispatchError:
    return dispatch_error(hresult, description, source, **fields)


class UnknownNameError(DispatchError, AttributeError):
    """DISP_E_UNKNOWNNAME: the object knows no member of that name (GetIDsOfNames). It is an ``AttributeError``
    too, so ``hasattr(obj, "Nope")`` is False and ``getattr(obj, "Nope", default)`` works."""

    HRESULT = DISP_E_UNKNOWNNAME

    @property
    def name(self) -> str:
        """The attribute that was not found, as an AttributeError's ``name`` is (Python sets it when the error
        leaves ``__getattr__``); the member asked for until then. The HRESULT's name is ``hresult_name``."""
        return self.__dict__.get("_attribute") or (self.member if isinstance(self.member, str) else self.hresult_name)

    @name.setter
    def name(self, value: str) -> None:
        self.__dict__["_attribute"] = value

    @property
    def hresult_name(self) -> str:
        """DISP_E_UNKNOWNNAME (what ``name`` is on other ComErrors)."""
        return name_of(self.hresult) or f"0x{self.hresult:08X}"


_COMBINED: dict[int, type[DispatchError]] = {}


def _error_class(hr: int) -> type[DispatchError]:
    """DispatchError, or for an HRESULT with a typed ComError (``error_from_hresult``), a class that is both (so
    ``except DispatchError`` and ``except <the typed error>`` both catch it)."""
    if hr == DISP_E_UNKNOWNNAME:
        return UnknownNameError
    cls = _COMBINED.get(hr)
    if cls is None:
        typed = type(error_from_hresult(hr))
        if typed is ComError:
            cls = DispatchError
        else:
            cls = type(typed.__name__, (DispatchError, typed), {"__doc__": typed.__doc__})
            cls.__module__ = __name__
        _COMBINED[hr] = cls
    return cls


def dispatch_error(
    hresult: int,
    description: str | None = None,
    source: str | None = None,
    **fields: Any,
) -> DispatchError:
    """The error a failed late-bound call raises: a :class:`DispatchError` (an :class:`UnknownNameError` for
    DISP_E_UNKNOWNNAME; also the typed ComError of ``hresult`` when there is one). ``fields``: ``scode``,
    ``wcode``, ``help_file``, ``help_context``, ``member``, ``argument``."""
    return _error_class(to_unsigned(hresult))(hresult, description, source, **fields)


class ArgPlan:
    """What :func:`plan_arguments` decided: ``values`` in ``rgvarg`` order (``values[i]`` is ``rgvarg[i]``),
    ``named`` (``rgdispidNamedArgs``: the first ``len(named)`` values are the named ones, in that order) and
    ``origins`` (``origins[i]``: the caller's position (int) or keyword (str) of ``rgvarg[i]``; the new value
    of a property put is ``"value"``)."""

    __slots__ = ("values", "named", "origins")

    def __init__(self, values: tuple[Any, ...], named: tuple[int, ...], origins: tuple[int | str, ...]) -> None:
        self.values = values
        self.named = named
        self.origins = origins

    def origin_of(self, arg_err: int) -> int | str | None:
        """The caller's argument that ``puArgErr`` (an index into ``rgvarg``) names, or None when out of range."""
        return self.origins[arg_err] if 0 <= arg_err < len(self.origins) else None

    def __repr__(self) -> str:
        return f"ArgPlan(values={self.values!r}, named={self.named!r}, origins={self.origins!r})"


_NO_ARGS = ArgPlan((), (), ())


def plan_arguments(
    args: Sequence[Any], named: Sequence[tuple[str, int, Any]] = (), flags: int = DISPATCH_METHOD
) -> ArgPlan:
    """Lay out a call's arguments as IDispatch::Invoke wants them.

    ``args``: the positional arguments, in the caller's order (for a property put, the new value is the last
    one). ``named``: ``(keyword, dispid, value)`` for each named argument, DISPIDs already resolved.
    ``rgvarg`` holds the named arguments first (in ``named``'s order, matching ``rgdispidNamedArgs``), then the
    positional ones *last first*: the first positional argument is the last element. A property put
    (DISPATCH_PROPERTYPUT or PUTREF) passes its value as the first named argument, DISPID_PROPERTYPUT.
    Nothing is added for an omitted optional argument: a gap among positional arguments is the caller's
    ``Missing`` (VT_ERROR, DISP_E_PARAMNOTFOUND), sent as written."""
    put = flags & (DISPATCH_PROPERTYPUT | DISPATCH_PROPERTYPUTREF)
    if not args and not named and not put:
        return _NO_ARGS
    values: list[Any] = []
    ids: list[int] = []
    origins: list[int | str] = []
    positional = list(args)
    if put:
        if not positional:
            raise TypeError("a property put needs the value to assign")
        values.append(positional.pop())
        ids.append(DISPID_PROPERTYPUT)
        origins.append("value")
    for keyword, dispid, value in named:
        values.append(value)
        ids.append(dispid)
        origins.append(keyword)
    for i in range(len(positional) - 1, -1, -1):
        values.append(positional[i])
        origins.append(i)
    return ArgPlan(tuple(values), tuple(ids), tuple(origins))


# ---- members, from type information -----------------------------------------------------------------------------

# what an attribute access does with a member (Member.access)
GET = "get"  # read the property now (Invoke DISPATCH_PROPERTYGET, no argument)
METHOD = "method"  # return a bound method (nothing is sent until it is called)
INDEXED = "indexed"  # a property with required arguments: return an object to call or index
UNTYPED = "untyped"  # no type information: Invoke DISPATCH_METHOD | DISPATCH_PROPERTYGET now, as VBScript does

INVOKE_FUNC = 1
INVOKE_PROPERTYGET = 2
INVOKE_PROPERTYPUT = 4
INVOKE_PROPERTYPUTREF = 8


class Member:
    """One member of an object as the client knows it: its DISPID, the invoke kinds its type information lists
    (``invkind``: INVOKE_FUNC 1, PROPERTYGET 2, PROPERTYPUT 4, PROPERTYPUTREF 8, or'ed; 0 when unknown), how
    many arguments its property get requires, the names of its method's parameters, and the DISPIDs of named
    arguments already asked for (``named_ids``, keyed by the lower-cased keywords)."""

    __slots__ = ("name", "dispid", "_invkind", "_get_required", "params", "named_ids", "access", "call_flags")

    #: What reading the attribute does: ``"get"`` (a property without required arguments, or a variable: read
    #: now), ``"method"`` (a method: a callable is returned), ``"indexed"`` (a property with required arguments,
    #: like Scripting.Dictionary's ``Item(Key)``: an object to call or index is returned), or ``"untyped"`` (no
    #: type information: invoke METHOD|PROPERTYGET now). Kept up to date with ``invkind`` and ``get_required``.
    access: str
    #: The Invoke flags of a call with arguments: METHOD for a method, PROPERTYGET for an indexed property,
    #: METHOD|PROPERTYGET when untyped (as VBScript sends ``x = obj.Member(1)``).
    call_flags: int

    def __init__(
        self, name: str, dispid: int, invkind: int = 0, get_required: int = 0, params: tuple[str, ...] = ()
    ) -> None:
        self.name = name
        self.dispid = dispid
        self._invkind = invkind
        self._get_required = get_required
        self.params = params
        self.named_ids: dict[tuple[str, ...], tuple[int, ...]] = {}
        self._settle()

    @property
    def invkind(self) -> int:
        """INVOKE_FUNC 1, PROPERTYGET 2, PROPERTYPUT 4, PROPERTYPUTREF 8, or'ed; 0 when unknown."""
        return self._invkind

    @invkind.setter
    def invkind(self, value: int) -> None:
        self._invkind = value
        self._settle()

    @property
    def get_required(self) -> int:
        """How many arguments its property get requires (0: read by the attribute access itself)."""
        return self._get_required

    @get_required.setter
    def get_required(self, value: int) -> None:
        self._get_required = value
        self._settle()

    def _settle(self) -> None:
        """Decide ``access`` and ``call_flags`` once, not per attribute access."""
        k = self._invkind
        if not k:
            self.access, self.call_flags = UNTYPED, DISPATCH_METHOD | DISPATCH_PROPERTYGET
        elif k & INVOKE_PROPERTYGET:
            self.access = INDEXED if self._get_required else GET
            self.call_flags = DISPATCH_METHOD if k & INVOKE_FUNC else DISPATCH_PROPERTYGET
        elif k & INVOKE_FUNC:
            self.access, self.call_flags = METHOD, DISPATCH_METHOD
        else:  # write-only: a read is sent, and the object answers it
            self.access, self.call_flags = GET, DISPATCH_PROPERTYGET

    def put_flags(self, is_object: bool) -> int:
        """The Invoke flag that assigns a value: PROPERTYPUTREF for an object (PROPERTYPUT when the type
        information lists only a put), PROPERTYPUT otherwise (PROPERTYPUTREF when it lists only a putref)."""
        k = self.invkind
        if is_object:
            return (
                DISPATCH_PROPERTYPUT
                if k and not k & INVOKE_PROPERTYPUTREF and k & INVOKE_PROPERTYPUT
                else DISPATCH_PROPERTYPUTREF
            )
        if k & INVOKE_PROPERTYPUTREF and not k & INVOKE_PROPERTYPUT:
            return DISPATCH_PROPERTYPUTREF
        return DISPATCH_PROPERTYPUT

    def __repr__(self) -> str:
        return f"<Member {self.name} dispid={self.dispid} {self.access}>"


class TypeTable:
    """The members of one type, read once from its type information and shared by every object of that type
    (the cache key is the type's GUID). Lookups are case-insensitive, as Automation's names are; an exact
    spelling seen once is remembered, so the next lookup of it is one dict access."""

    __slots__ = ("guid", "name", "dual", "typekind", "_by_exact", "_by_lower", "_by_dispid")

    def __init__(self, guid: Any = None, name: str = "", dual: bool = False, typekind: int = -1) -> None:
        self.guid = guid
        self.name = name
        self.dual = dual
        self.typekind = typekind
        self._by_exact: dict[str, Member] = {}
        self._by_lower: dict[str, Member] = {}
        self._by_dispid: dict[int, Member] | None = None  # made on first use, dropped when a member is added

    def add_function(
        self, name: str, dispid: int, invkind: int, params: Iterable[tuple[str, int]] = (), restricted: bool = False
    ) -> None:
        """Record one FUNCDESC: ``params`` are ``(name, PARAMFLAG bits)`` in order. A restricted function is
        left out (IUnknown's and IDispatch's own methods in a dual interface's dispatch view), except
        DISPID_NEWENUM."""
        if restricted and dispid != DISPID_NEWENUM:
            return
        params = tuple(params)
        self._by_dispid = None
        key = name.lower()
        m = self._by_lower.get(key)
        if m is None:
            m = self._by_lower[key] = Member(name, dispid)
        elif m.dispid != dispid:
            return  # two members of one name: the first wins (type libraries do not make this)
        m.invkind |= invkind
        visible = [(n, f) for n, f in params if not f & (_PARAMFLAG_FRETVAL | _PARAMFLAG_FLCID)]
        if invkind & INVOKE_PROPERTYGET:
            m.get_required = sum(1 for _, f in visible if not f & (_PARAMFLAG_FOPT | _PARAMFLAG_FHASDEFAULT))
        if invkind & INVOKE_FUNC or not m.params:
            m.params = tuple(n for n, _ in visible)

    def add_variable(self, name: str, dispid: int, readonly: bool) -> None:
        """Record one VARDESC (a dispinterface property): readable, and writable unless ``readonly``."""
        self.add_function(name, dispid, INVOKE_PROPERTYGET | (0 if readonly else INVOKE_PROPERTYPUT))

    def add_dynamic(self, name: str, dispid: int, invkind: int = 0) -> Member:
        """Record a name GetIDsOfNames resolved; its kind is unknown (0) unless the caller says (``invkind``, e.g.
        INVOKE_FUNC for a name the caller declared a method). Returns its Member."""
        self._by_dispid = None
        key = name.lower()
        m = self._by_lower.get(key)
        if m is None:
            m = self._by_lower[key] = Member(name, dispid, invkind)
        self._by_exact[name] = m
        return m

    def by_dispid(self, dispid: int) -> Member | None:
        """The member with this DISPID, or None."""
        index = self._by_dispid
        if index is None:
            index = self._by_dispid = {}
            for m in self._by_lower.values():
                index.setdefault(m.dispid, m)
        return index.get(dispid)

    def get(self, name: str) -> Member | None:
        """The member called ``name`` (any case), or None."""
        m = self._by_exact.get(name)
        if m is None:
            m = self._by_lower.get(name.lower())
            if m is not None:
                self._by_exact[name] = m
        return m

    def names(self) -> list[str]:
        """The members' names as the type information spells them."""
        return [m.name for m in self._by_lower.values()]

    def __len__(self) -> int:
        return len(self._by_lower)


_PARAMFLAG_FLCID = 0x4
_PARAMFLAG_FRETVAL = 0x8
_PARAMFLAG_FOPT = 0x10
_PARAMFLAG_FHASDEFAULT = 0x20
