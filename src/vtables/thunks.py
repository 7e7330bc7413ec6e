"""Server thunks: the native entry points of Python-implemented interfaces.

For each (class, interface method) one cffi callback is made when the class is defined, never per instance. Its
code is generated from the interface declaration with the conversions decided then: ``[in]`` values arrive as
Python values (GUIDs as :class:`Guid`, strings as ``str``, interface pointers and buffers as raw ``void *``),
``[out]`` pointers are checked for NULL before the implementation runs (E_POINTER) and filled from what it
returns. ``this`` is typed ``void **``: every interface pointer of our objects points at ``[vtable, handle]``, so
``this[1]`` is the object's cffi handle and the Python object is found in O(1).

A Python exception never crosses into native code: a ComError returns its HRESULT, any other exception the
documented mapping (``ole32_bindings.hresult.EXCEPTION_HRESULTS``, else E_FAIL); both set IErrorInfo
(description = the exception text, source = the class) and are logged. Whatever escapes even that is caught by
cffi's ``onerror`` (logged, E_UNEXPECTED returned): never a MessageBox.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from ole32_bindings.dlls import ffi
from ole32_bindings.guid import Guid, guid_from_16_bytes
from ole32_bindings.hresult import ComError, hresult_for_exception, to_signed

from ._convert import hresult_checker, is_value_inout, out_checker, shape_error
from .declare import IID_BY_BYTES, Interface, InterfaceError, Method

__all__ = ["make_thunk", "server_error", "on_callback_error", "TOMBSTONE", "value_converters"]

log = logging.getLogger("vtables")

E_POINTER = to_signed(0x80004003)
E_UNEXPECTED = to_signed(0x8000FFFF)
CO_E_OBJNOTCONNECTED = to_signed(0x800401FD)


class _Tombstone:
    """What a destroyed object's handle points at: calls through stale pointers land here and are refused."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<destroyed COM object>"


TOMBSTONE = _Tombstone()
"""What a destroyed object's handle points at: calls through stale pointers find it and are refused or ignored
(and logged) instead of reaching a dead object."""


def on_callback_error(exc_type: type, exc: BaseException, tb: Any) -> None:
    """cffi ``onerror``: the last line of defence; log, never show a window."""
    log.error("exception escaped a COM thunk (returned E_UNEXPECTED)", exc_info=(exc_type, exc, tb))


def server_error(exc: BaseException, obj: Any, iface: type[Interface], method: str) -> int:
    """Turn an exception raised by an implementation into its HRESULT and set IErrorInfo on this thread."""
    hr = hresult_for_exception(exc)
    # The same source and description as IDispatch::Invoke's EXCEPINFO (vtables.dispatch), so both faces of a
    # dual report one failure alike: the class's progid (else its name), and the message.
    source = getattr(type(obj), "progid", None) or type(obj).__name__
    if isinstance(exc, ComError):
        description = exc.description or str(exc)
        log.debug("%s.%s returned %s", source, method, exc)
    else:
        description = str(exc) or type(exc).__name__
        # The traceback as text, not exc_info: a kept log record would keep the frames (and the COM references
        # they hold) alive.
        trace = "".join(traceback.format_exception(exc)).rstrip()
        log.error("%s.%s raised; returning 0x%08X\n%s", source, method, hr & 0xFFFFFFFF, trace)
    try:
        from ole32_bindings.errorinfo import set_error_info

        set_error_info(description, exc.source if isinstance(exc, ComError) and exc.source else source, iface.iid)
    except Exception:
        log.exception("SetErrorInfo failed")
    return to_signed(hr)


def _named_error(check: Callable[[Any], Any], value: Any, exc: BaseException) -> BaseException:
    """The error naming the [out] parameter whose store of ``value`` failed with ``exc`` (else ``exc``)."""
    try:
        check(value)
    except (TypeError, OverflowError) as named:
        return named
    return exc


def dead_call(iface: type[Interface], method: str) -> int:
    log.error("call to %s::%s on a destroyed object (a stale pointer): refused", iface.__name__, method)
    return CO_E_OBJNOTCONNECTED


def _wstr_in(p: Any) -> str | None:
    return None if p == ffi.NULL else ffi.string(p)


_NULL = ffi.NULL
_unpack = ffi.unpack
_cast = ffi.cast
_known_iid = IID_BY_BYTES.get


def _guid_in(p: Any) -> Guid | None:
    """An [in] ``const GUID *`` as a Guid (None for NULL): a declared interface's own IID when it names one."""
    if p == _NULL:
        return None
    b = _unpack(_cast("char *", p), 16)
    g = _known_iid(b)
    return g if g is not None else guid_from_16_bytes(b)


def _bstr_in(p: Any) -> str:
    from ole32_bindings.memory import bstr_to_str

    return bstr_to_str(p)


def _write_guid(o: Any, g: Guid) -> None:
    ffi.memmove(o, g.bytes_le, 16)


def _write_wstr(o: Any, text: str | None, bstr: bool) -> None:
    if text is None:
        o[0] = ffi.NULL
        return
    if bstr:
        from ole32_bindings.memory import bstr_from_str

        o[0] = bstr_from_str(text)
    else:
        from ole32_bindings.memory import task_mem_alloc

        units = text.encode("utf-16-le", "surrogatepass") + b"\x00\x00"
        p = task_mem_alloc(len(units))
        ffi.memmove(p, units, len(units))
        o[0] = ffi.cast("LPOLESTR", p)


def _write_iface(o: Any, value: Any, iid: Guid | None) -> None:
    """Store a new reference to ``value`` (a Python COM object or a client pointer) as ``iid`` in ``*o``."""
    if value is None:
        o[0] = ffi.NULL
        return
    raw_query = getattr(value, "query_raw", None)
    if raw_query is not None and iid is not None:
        o[0] = raw_query(iid)  # Python object: QI, which AddRefs; the caller owns it
        return
    from .client import ComPtr

    if isinstance(value, ComPtr):
        if iid is None:
            p = value.as_raw()
            ffi.cast("IUnknown *", p).lpVtbl.AddRef(p)
            o[0] = p
        else:
            o[0] = value.query(_iface_for(iid)).into_raw()
        return
    raise TypeError(f"cannot return {type(value).__name__} as an interface pointer")


def _iface_for(iid: Guid) -> type[Interface]:
    from .client import interface_by_iid
    from .interfaces.unknown import IUnknown

    found = interface_by_iid(iid)
    if found is not None:
        return found
    return type(f"I_{iid}", (IUnknown,), {"iid": iid})


# ---- Automation values in vtable slots ------------------------------------------------------------------------------
#
# VARIANT_BOOL, DATE, CY and DECIMAL convert here (ole32_bindings.oavalues is COM-free). VARIANT and SAFEARRAY need
# vtables.variant, which imports the object model (and so this module): their converters are registered into
# ``value_converters`` by vtables.dispatch when it is imported.

value_converters: Any = None
"""Set by ``vtables.dispatch``: ``converter(ctype, exact)`` -> an object with ``read_value(p, owned)`` ([in] by
value), ``read_ref(p, owned)`` ([in, out]), ``init_out(p)``, ``write_out(p, value)`` ([out]), ``write_ref(p,
value)`` ([in, out]) for the ``variant`` and ``safearray`` kinds, and ``release(owned)`` for the ComPtrs an
implementation borrowed for the call."""


def _vbool_out(value: Any) -> int:
    return -1 if value else 0


def _date_in(value: float) -> Any:
    from ole32_bindings.oavalues import datetime_from_date

    return datetime_from_date(value)


def _date_out(value: Any) -> float:
    from ole32_bindings.oavalues import date_from_datetime

    return value if isinstance(value, float) else date_from_datetime(value)


def _cy_in(value: int) -> Any:
    from ole32_bindings.oavalues import decimal_from_cy

    return decimal_from_cy(value)


def _cy_out(value: Any) -> int:
    from ole32_bindings.oavalues import cy_from_decimal

    return cy_from_decimal(value)


def _decimal_in(p: Any) -> Any:
    from ole32_bindings.oavalues import decimal_from_bytes

    return decimal_from_bytes(ffi.buffer(p, 16))


def _decimal_out(p: Any, value: Any) -> None:
    from ole32_bindings.oavalues import decimal_to_bytes

    ffi.memmove(p, decimal_to_bytes(value), 16)


def _bstr_ref_out(o: Any, text: str | None) -> None:
    """Replace the BSTR an [in, out] BSTR * holds: the new one is made first, then the old one freed."""
    from ole32_bindings.memory import bstr_free, bstr_from_str

    new = ffi.NULL if text is None else bstr_from_str(text)
    old = o[0]
    o[0] = new
    bstr_free(old)


#: [in] by-value Automation scalars: the expression converting the C value (``{0}``) for the implementation
_SCALAR_IN = {"vbool": "({0} != 0)", "date": "_date_in({0})", "cy": "_cy_in({0})", "decimal": "_decimal_in({0})"}
#: [in, out] value types: the expression reading the caller's value through its pointer (``{0}``)
_INOUT_IN = {
    "int": "{0}[0]",
    "float": "{0}[0]",
    "wstr": "_bstr_in({0}[0])",
    "vbool": "({0}[0] != 0)",
    "date": "_date_in({0}[0])",
    "cy": "_cy_in({0}[0])",
    "decimal": "_decimal_in({0})",
}
#: value types an [out] or [in, out] writes back the same way: the statement storing ``{1}`` through ``{0}``
_STORE = {
    "int": "{0}[0] = {1}",
    "float": "{0}[0] = {1}",
    "vbool": "{0}[0] = _vbool_out({1})",
    "date": "{0}[0] = _date_out({1})",
    "cy": "{0}[0] = _cy_out({1})",
    "decimal": "_decimal_out({0}, {1})",
}


def _converter(ctype: Any, exact: bool, where: str) -> Any:
    if value_converters is None:
        raise InterfaceError(
            f"{where}: {ctype.name} parameters need vtables.variant's conversions: import vtables.dispatch (or "
            "take ComObject from vtables) before defining the class"
        )
    return value_converters.converter(ctype, exact)


def make_thunk(cls: type, iface: type[Interface], m: Method, impl: Callable[..., Any]) -> Any:
    """The cffi callback for ``iface``'s slot ``m`` implemented by ``impl`` (``cls``'s method).

    Automation values: [in] VARIANT / VARIANT_BOOL / DATE / CY / DECIMAL / SAFEARRAY(T) arrive as Python values
    (``vtables.variant.to_python``; ``to_typed`` for an implementation marked ``vtables.dispatch.exact``); interface
    pointers found in them are borrowed for the call (released when it returns). An [in, out] parameter of a value
    type (numbers, BSTR and those) arrives as its value, and its new value is returned with the [out] ones, in
    declaration order."""
    from .client import _by_name

    params = m.params
    names = [f"p{i}" for i in range(len(params))]
    lines = [f"def thunk(this, {', '.join(names)}):" if names else "def thunk(this):"]
    body = ["    self = _from_handle(this[1])", "    if self is _TOMB:", "        return _dead_call(_IFACE, _NAME)"]
    call_args = []
    results = []
    guids: dict[str, str] = {}  # parameter name -> the local holding its Guid (converted once)
    env: dict[str, Any] = {}
    exact = bool(getattr(impl, "__vtables_exact__", False))
    where = f"{cls.__name__}.{iface.__name__}.{m.name}"
    owned = False  # whether the thunk collects borrowed ComPtrs to release after the call
    for i, (p, n) in enumerate(zip(params, names, strict=False)):
        k = p.ctype.kind
        if p.direction == "out" and p.ctype.returned_when_out:
            body.append(f"    if {n} == _NULL:")
            body.append("        return _E_POINTER")
            results.append((p, n))
            if k in ("variant", "safearray"):
                env[f"_cv{i}"] = _converter(p.ctype, exact, where)
                body.append(f"    _cv{i}.init_out({n})")
            continue
        if is_value_inout(p):
            body.append(f"    if {n} == _NULL:")
            body.append("        return _E_POINTER")
            results.append((p, n))
            if k in _INOUT_IN:
                call_args.append(_INOUT_IN[k].format(n))
            else:
                env[f"_cv{i}"] = _converter(p.ctype, exact, where)
                call_args.append(f"_cv{i}.read_ref({n}, _owned)")
                owned = True
            continue
        if p.direction == "in" and p.ctype.depth == 0 and k in _SCALAR_IN:
            call_args.append(_SCALAR_IN[k].format(n))
            continue
        if p.direction == "in" and p.ctype.depth == 0 and k in ("variant", "safearray"):
            env[f"_cv{i}"] = _converter(p.ctype, exact, where)
            call_args.append(f"_cv{i}.read_value({n}, _owned)")
            owned = True
            continue
        if k == "guid" and p.ctype.depth == 1:
            body.append(f"    g_{n} = _guid_in({n})")
            guids[p.name] = f"g_{n}"
            call_args.append(f"g_{n}")
        elif k == "wstr" and p.ctype.depth == 0:
            call_args.append(f"_bstr_in({n})" if p.ctype.c.startswith("BSTR") else f"_wstr_in({n})")
        else:
            call_args.append(n)
    body.append(f"    r = _impl(self, {', '.join(call_args)})" if call_args else "    r = _impl(self)")
    if results:
        if len(results) == 1:
            body.append("    rs = (r,)")
        else:
            count = len(results)
            env["_shape"] = lambda value: shape_error(m, count, value)
            body.append(f"    if not (r.__class__ is tuple or r.__class__ is list) or len(r) != {len(results)}:")
            body.append("        raise _shape(r)")
            body.append("    rs = r")
        for i, (p, n) in enumerate(results):
            k = p.ctype.kind
            j = params.index(p)
            if k in ("int", "float", "guid", "wstr"):
                # a value of the wrong type (or out of the C type's range) raises the error naming the [out]
                # parameter and its declared type (vtables._convert), as the same-context direct path does
                env[f"_oc{i}"] = out_checker(m, p)
                store = (
                    _STORE[k].format(n, f"rs[{i}]")
                    if k in _STORE
                    else f"_bstr_ref_out({n}, rs[{i}])"
                    if p.direction == "inout"
                    else f"_write_guid({n}, rs[{i}])"
                    if k == "guid"
                    else f"_write_wstr({n}, rs[{i}], {p.ctype.c.startswith('BSTR')})"
                )
                body.append("    try:")
                body.append(f"        {store}")
                body.append("    except (TypeError, OverflowError, AttributeError) as e:")
                body.append(f"        raise _named(_oc{i}, rs[{i}], e) from None")
            elif k in _STORE:
                body.append("    " + _STORE[k].format(n, f"rs[{i}]"))
            elif p.direction == "inout":
                if k == "wstr":
                    body.append(f"    _bstr_ref_out({n}, rs[{i}])")
                else:
                    body.append(f"    _cv{j}.write_ref({n}, rs[{i}])")
            elif k in ("variant", "safearray"):
                body.append(f"    _cv{j}.write_out({n}, rs[{i}])")
            elif k == "guid":
                body.append(f"    _write_guid({n}, rs[{i}])")
            elif k == "wstr":
                body.append(f"    _write_wstr({n}, rs[{i}], {p.ctype.c.startswith('BSTR')})")
            elif k == "iface":
                target = p.iid_is
                if target is not None:
                    idx = [q.name for q in params].index(target)
                    iid_expr = guids.get(target) or f"_guid_in({names[idx]})"
                    body.append(f"    _write_iface({n}, rs[{i}], {iid_expr})")
                else:
                    declared = _by_name.get(p.ctype.interface or "")
                    env[f"_IID_{i}"] = declared.iid if declared is not None else None
                    body.append(f"    _write_iface({n}, rs[{i}], _IID_{i})")
    if m.returns_hresult:
        if not results:
            env["_hr"] = hresult_checker(m)
        body.append("    return 0" if results else "    return 0 if r is None else _hr(r)")
    elif m.restype is not None and m.restype.kind == "void":
        body.append("    return None")
    else:
        body.append("    return r")
    # Failures: for an out-returning method the implementation's return is its outs, so success is S_OK.
    if owned:
        lines.append("    _owned = []")
    lines.append("    try:")
    lines.extend("    " + b for b in body)
    lines.append("    except BaseException as e:")
    for p, n in results:  # COM's rule: on failure every [out] interface pointer is NULL
        if p.ctype.kind == "iface":
            lines.append(f"        if {n} != _NULL:")
            lines.append(f"            {n}[0] = _NULL")
        elif p.direction == "out" and p.ctype.kind in ("variant", "safearray"):
            lines.append(f"        _cv{params.index(p)}.fail_out({n})")
    lines.append("        return _server_error(e, _from_handle(this[1]), _IFACE, _NAME)")
    if owned:
        lines.append("    finally:")
        lines.append("        if _owned:")
        lines.append("            _release(_owned)")
        env["_release"] = value_converters.release
    src = "\n".join(lines) + "\n"
    env.update(
        {
            "_from_handle": ffi.from_handle,
            "_TOMB": TOMBSTONE,
            "_dead_call": dead_call,
            "_IFACE": iface,
            "_NAME": m.name,
            "_NULL": ffi.NULL,
            "_E_POINTER": E_POINTER,
            "_impl": impl,
            "_guid_in": _guid_in,
            "_wstr_in": _wstr_in,
            "_bstr_in": _bstr_in,
            "_write_guid": _write_guid,
            "_write_wstr": _write_wstr,
            "_write_iface": _write_iface,
            "_server_error": server_error,
            "_bstr_ref_out": _bstr_ref_out,
            "_vbool_out": _vbool_out,
            "_date_in": _date_in,
            "_date_out": _date_out,
            "_cy_in": _cy_in,
            "_cy_out": _cy_out,
            "_decimal_in": _decimal_in,
            "_decimal_out": _decimal_out,
            "_named": _named_error,
        }
    )
    if not m.returns_hresult:
        # A non-HRESULT method cannot report failure: log it and return 0.
        src = src.replace(
            "        return _server_error(e, _from_handle(this[1]), _IFACE, _NAME)",
            "        _server_error(e, _from_handle(this[1]), _IFACE, _NAME)\n        return 0"
            if m.restype is None or m.restype.kind != "void"
            else "        _server_error(e, _from_handle(this[1]), _IFACE, _NAME)\n        return None",
        )
    exec(compile(src, f"<vtables thunk {cls.__name__}.{iface.__name__}.{m.name}>", "exec"), env)
    kwargs: dict[str, Any] = {"onerror": on_callback_error}
    if m.restype is not None and m.restype.kind != "void":
        kwargs["error"] = E_UNEXPECTED if m.returns_hresult else 0
    return ffi.callback(m.c_funcptr(), env["thunk"], **kwargs)
