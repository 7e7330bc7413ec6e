"""The value rules of a vtable call, shared by both ends and by the same-context direct path.

A call through the vtable converts twice: the client writes each [in] value as its C type (``vtables.client``) and
the server thunk reads it back as a Python value (``vtables.thunks``); the thunk writes each [out] value as its C
type and the client reads it back. The direct path (``vtables.direct``) calls the Python implementation without
the C in between, and must give it and its caller exactly what those two conversions would. This module states
each composition once, per declared parameter, as a *checker*: ``checker(value)`` returns what the other side
receives, or raises a TypeError (wrong type) or OverflowError (out of the C type's range) naming the method, the
parameter and the declared type. The exact checker is the slow path: generated callers test the common case
inline first (:func:`inline_test`: an ``int`` in range, a ``float``, a ``str``, a ``Guid``) and call it only for
the rest. A checker also names the culprit when a vtable call's own conversion failed (:func:`argument_error`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ole32_bindings.dlls import ffi
from ole32_bindings.guid import Guid, guid_from_16_bytes

from .declare import IID_BY_BYTES, Method, Param

__all__ = [
    "argument_error",
    "hresult_checker",
    "in_checker",
    "inline_test",
    "int_range",
    "is_value_inout",
    "out_checker",
    "shape_error",
]

_NULL = ffi.NULL
_CData = ffi.CData
_new = ffi.new
_unpack = ffi.unpack
_cast = ffi.cast

#: kinds whose [in, out] parameters travel as values (the implementation takes the value, returns the new one)
_INOUT_VALUE_KINDS = ("int", "float", "vbool", "date", "cy", "decimal", "variant", "safearray")


def is_value_inout(p: Param) -> bool:
    """Whether an [in, out] parameter travels as a value (a number, a BSTR or an Automation value)."""
    k = p.ctype.kind
    if p.direction != "inout" or p.ctype.depth != 1:
        return False
    return k in _INOUT_VALUE_KINDS or (k == "wstr" and p.ctype.c.replace(" ", "").startswith("BSTR"))


def _where(m: Method) -> str:
    iface = getattr(m.interface, "__name__", "?")
    return f"{iface}.{m.name}"


def _value_type(p: Param) -> tuple[str, str]:
    """(the declared type of the value, as a message names it; its C spelling for cffi) of a parameter that
    travels as a value: an [out] or [in, out] ``LONG *`` is a LONG."""
    name, c = p.ctype.name.strip(), p.ctype.c.strip()
    if p.direction != "in" and p.ctype.depth >= 1:
        name = name[:-1].rstrip() if name.endswith("*") else name
        c = c[:-1].rstrip() if c.endswith("*") else c
    return name, c


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_error(m: Method, p: Param, declared: str, value: Any) -> TypeError:
    role = "parameter" if p.direction == "in" else "[out] value" if p.direction == "out" else "[in, out] value"
    return TypeError(f"{_where(m)}: {role} {p.name!r} is {declared}, not {type(value).__name__} {_shown(value)}")


def _range_error(m: Method, p: Param, declared: str, value: Any) -> OverflowError:
    role = "parameter" if p.direction == "in" else "[out] value" if p.direction == "out" else "[in, out] value"
    return OverflowError(f"{_where(m)}: {role} {p.name!r} is {declared}: {_shown(value)} does not fit")


def int_range(c: str) -> tuple[int, int]:
    """The range of the C integer type ``c``."""
    bits = 8 * ffi.sizeof(c)
    if int(ffi.cast(c, -1)) < 0:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def _number(m: Method, p: Param, declared: str, c: str) -> Callable[[Any], Any]:
    """A C number written from a Python value and read back (cffi's own rules: an int, or any object with
    ``__index__``, for an integer; also ``__float__`` for a float; a single float is rounded)."""
    ptr = ffi.typeof(c + " *")

    def check(value: Any) -> Any:
        if value is None:  # (ffi.new's "no initializer", not a number)
            raise _type_error(m, p, declared, value)
        try:
            return _new(ptr, value)[0]
        except OverflowError:
            raise _range_error(m, p, declared, value) from None
        except TypeError:
            raise _type_error(m, p, declared, value) from None

    return check


def _bstr(m: Method, p: Param, declared: str, null: Any) -> Callable[[Any], Any]:
    """A BSTR: a str arrives as itself (NULs and lone surrogates kept), None as ``null`` (the thunk reads a NULL
    [in] BSTR as "", the client a NULL [out] one as None)."""

    def check(value: Any) -> Any:
        if isinstance(value, str):
            return str(value)
        if value is None:
            return null
        raise _type_error(m, p, declared, value)

    return check


def _wstr(m: Method, p: Param, declared: str) -> Callable[[Any], Any]:
    """A NUL-terminated string (LPOLESTR and co): read back up to its first NUL; None is NULL."""

    def check(value: Any) -> Any:
        if isinstance(value, str):
            return str(value).partition("\0")[0]
        if value is None:
            return None
        raise _type_error(m, p, declared, value)

    return check


def _guid_in(m: Method, p: Param, declared: str) -> Callable[[Any], Any]:
    """An [in] GUID pointer: a Guid (a declared interface's own IID object when it names one), None for NULL, a
    ``GUID *`` cdata read."""

    def check(value: Any) -> Any:
        if isinstance(value, Guid):
            b = value.bytes_le
        elif value is None:
            return None
        elif isinstance(value, _CData):
            if value == _NULL:
                return None
            try:
                b = _unpack(_cast("char *", value), 16)
            except TypeError:
                raise _type_error(m, p, declared, value) from None
        else:
            raise _type_error(m, p, declared, value)
        g = IID_BY_BYTES.get(b)
        return g if g is not None else guid_from_16_bytes(b)

    return check


def _guid_out(m: Method, p: Param, declared: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if isinstance(value, Guid):
            return guid_from_16_bytes(value.bytes_le)
        raise _type_error(m, p, declared, value)

    return check


def _pointer(m: Method, p: Param, declared: str) -> Callable[[Any], Any]:
    """A pointer passed through as it is (buffers, [in] pointers): cdata (as the declared C type), bytes (what
    cffi passes for a ``char *``), or None for NULL."""
    c = p.ctype.c

    def check(value: Any) -> Any:
        if isinstance(value, _CData):
            try:
                return _cast(c, value)
            except TypeError:
                raise _type_error(m, p, declared, value) from None
        if value is None:
            return _NULL
        if isinstance(value, (bytes, bytearray)):
            return value
        raise _type_error(m, p, declared, value)

    return check


def _interface(m: Method, p: Param, declared: str) -> Callable[[Any], Any]:
    """An interface pointer argument: a client pointer or one of our objects (anything with ``_com_raw_for_arg``),
    a raw pointer, or None."""

    def check(value: Any) -> Any:
        if value is None or isinstance(value, _CData) or hasattr(value, "_com_raw_for_arg"):
            return value
        raise _type_error(m, p, declared, value)

    return check


def in_checker(m: Method, p: Param) -> Callable[[Any], Any]:
    """For an [in] parameter (or the value an [in, out] one carries in) of the kinds the direct path takes (int,
    float, wstr, guid, pointers): the caller's value -> what the implementation receives through the vtable."""
    declared, c = _value_type(p)
    k, depth = p.ctype.kind, p.ctype.depth
    value = (p.direction == "in" and depth == 0) or is_value_inout(p)
    if k in ("int", "float") and value:
        return _number(m, p, declared, c)
    if k == "wstr" and value:
        if p.ctype.c.replace(" ", "").startswith("BSTR"):
            return _bstr(m, p, declared, "")
        return _wstr(m, p, declared)
    if k == "guid" and depth == 1:
        return _guid_in(m, p, declared)
    if k == "iface":
        return _interface(m, p, declared)
    if k in ("int", "float", "wstr", "guid", "ptr"):
        return _pointer(m, p, declared)
    return lambda value: value  # (Automation values: their own conversions name what they refuse)


def out_checker(m: Method, p: Param) -> Callable[[Any], Any]:
    """For an [out] value (or the new value of an [in, out] one) of the kinds the direct path takes: what the
    implementation returned -> what the client reads back through the vtable."""
    declared, c = _value_type(p)
    k = p.ctype.kind
    if k in ("int", "float"):
        return _number(m, p, declared, c)
    if k == "wstr":
        if p.ctype.c.replace(" ", "").startswith("BSTR"):
            return _bstr(m, p, declared, None)
        return _wstr(m, p, declared)
    if k == "guid":
        return _guid_out(m, p, declared)
    raise ValueError(f"{_where(m)}: no value rule for an [out] {p.ctype.name}")


_COMPACT = (1 << 30) - 1  # the largest int CPython stores in one digit (its comparisons are specialised for those)


def inline_test(p: Param, var: str, env: dict[str, Any], out: bool) -> str | None:
    """A Python expression true when ``var`` already is exactly what the checker would return (the common case, no
    call), or None when every value goes through the checker. ``env`` receives the names it uses."""
    _, c = _value_type(p)
    k = p.ctype.kind
    value = out or (p.direction == "in" and p.ctype.depth == 0) or is_value_inout(p)
    env.setdefault("_int", int)
    env.setdefault("_float", float)
    env.setdefault("_str", str)
    if k == "int" and value:
        # Within the one-digit ("compact") ints CPython compares fastest; a larger value in range takes the checker.
        lo, hi = int_range(c)
        return f"{var}.__class__ is _int and {max(lo, -_COMPACT)} <= {var} and {var} <= {min(hi, _COMPACT)}"
    if k == "float" and value and ffi.sizeof(c) == 8:
        return f"{var}.__class__ is _float"
    if k == "wstr" and value:
        if p.ctype.c.replace(" ", "").startswith("BSTR"):
            return f"{var}.__class__ is _str"
        return f"{var}.__class__ is _str and '\\0' not in {var}"
    return None


def hresult_checker(m: Method) -> Callable[[Any], int]:
    """What the implementation of an HRESULT method without [out] values returned -> its HRESULT (None is S_OK; an
    unsigned 32-bit value is taken as the HRESULT it spells)."""
    where = _where(m)

    def check(value: Any) -> int:
        if value is None:
            return 0
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{where} returns an HRESULT (an int or None), not {type(value).__name__} {_shown(value)}")
        if not -0x80000000 <= value <= 0xFFFFFFFF:
            raise OverflowError(f"{where} returns an HRESULT: {_shown(value)} does not fit")
        return int(value) - (1 << 32) if value > 0x7FFFFFFF else int(value)

    return check


def shape_error(m: Method, count: int, value: Any) -> TypeError:
    """The error for an implementation of a method with ``count`` > 1 results that returned something else than a
    tuple of that many values."""
    return TypeError(
        f"{_where(m)} returns {count} values ([out] and [in, out] parameters, in declaration order) as a tuple, "
        f"not {type(value).__name__} {_shown(value)}"
    )


def argument_error(
    checkers: tuple[Callable[[Any], Any], ...], args: tuple[Any, ...], exc: BaseException
) -> BaseException:
    """The error to raise when a vtable call's conversion of its arguments failed with ``exc``: the first
    argument its checker refuses (TypeError or OverflowError naming it), else ``exc`` itself."""
    for check, value in zip(checkers, args, strict=False):
        try:
            check(value)
        except (TypeError, OverflowError) as named:
            return named
    return exc
