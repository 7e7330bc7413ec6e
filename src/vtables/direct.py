"""The same-context direct path: a client pointer calling one of our Python objects without the vtable.

When a client pointer (``vtables.client``) wraps one of this process's Python objects in the caller's own context,
its methods call the implementation directly. The values must still be what the vtable would deliver: the
implementation receives each [in] value as the server thunk would read it, and the caller gets each [out] value as
the client would read it (an ``[out, retval] double *`` result is a float, a LONG that does not fit raises), and a
value of the wrong type raises the same TypeError (naming the method, the parameter and the declared type) on
both paths. Through the vtable the server side turns such an error into its HRESULT and IErrorInfo; here it
propagates as raised, as every exception of the implementation does.

:func:`make_direct` generates, once per (class, interface, method), a function with the conversions decided from
the declaration (``vtables._convert``): the common value of each parameter is tested inline (an ``int`` in the C
type's range, a ``float``, a ``str``, a ``Guid``) and anything else goes through the exact rule, which converts it
as the C round trip would or raises. An HRESULT method without [out] values returns the HRESULT (None is S_OK) and
raises the typed ComError for a failure code, as the client does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ole32_bindings.guid import Guid
from ole32_bindings.hresult import error_from_hresult

from ._convert import hresult_checker, in_checker, inline_test, is_value_inout, out_checker, shape_error
from .declare import Interface, Method

__all__ = ["direct_kinds", "make_direct"]


def direct_kinds(m: Method) -> bool:
    """Whether ``m`` can take the direct path: an HRESULT method (not ``preserve_sig``) whose parameters are
    integers, floats, strings, GUIDs or pointers passed through, none of them optional."""
    return (
        m.returns_hresult
        and not m.preserve_sig
        and all(p.ctype.kind in ("int", "float", "guid", "wstr") and not p.optional for p in m.params)
    )


def _failed(hr: int) -> None:
    raise error_from_hresult(hr)


def make_direct(cls: type, iface: type[Interface], m: Method, impl: Callable[..., Any]) -> Callable[..., Any]:
    """``call(obj, *args)``: ``impl`` (``cls``'s implementation of ``iface``'s ``m``) called with what the vtable
    would deliver, returning what the vtable client would return."""
    env: dict[str, Any] = {"_impl": impl, "_Guid": Guid, "_failed": _failed, "_tuple": tuple, "_list": list}
    args = [p for p in m.params if not (p.direction == "out" and p.ctype.returned_when_out)]
    results = [p for p in m.params if (p.direction == "out" and p.ctype.returned_when_out) or is_value_inout(p)]
    names = [f"a{i}" for i in range(len(args))]
    lines = [f"def {m.name}(self{''.join(', ' + n for n in names)}):"]
    for i, (p, n) in enumerate(zip(args, names, strict=True)):
        env[f"_ic{i}"] = in_checker(m, p)
        test = inline_test(p, n, env, out=False)
        if test is None and p.ctype.kind == "guid":
            test = f"{n}.__class__ is _Guid"
        if test is None:
            lines.append(f"    {n} = _ic{i}({n})")
        else:
            lines.append(f"    if not ({test}):")
            lines.append(f"        {n} = _ic{i}({n})")
    lines.append(f"    r = _impl(self{''.join(', ' + n for n in names)})")
    if not results:
        env["_hr"] = hresult_checker(m)
        lines.append("    if r is None:")
        lines.append("        return 0")
        lines.append("    r = _hr(r)")
        lines.append("    if r < 0:")
        lines.append("        _failed(r)")
        lines.append("    return r")
    else:
        outs = [f"r{j}" for j in range(len(results))]
        if len(results) == 1:
            env["_oc0"] = out_checker(m, results[0])
            test = inline_test(results[0], "r", env, out=True)
            if test is not None:  # the common case returns at once
                lines.append(f"    if {test}:")
                lines.append("        return r")
            lines.append("    return _oc0(r)")
        else:
            env["_shape"] = lambda value: shape_error(m, len(results), value)
            lines.append(f"    if not (r.__class__ is _tuple or r.__class__ is _list) or len(r) != {len(results)}:")
            lines.append("        raise _shape(r)")
            lines.append(f"    {', '.join(outs)} = r")
            for j, p in enumerate(results):
                env[f"_oc{j}"] = out_checker(m, p)
                test = inline_test(p, f"r{j}", env, out=True)
                if test is None:  # (a GUID comes back as a new Guid, as the client reads one)
                    lines.append(f"    r{j} = _oc{j}(r{j})")
                else:
                    lines.append(f"    if not ({test}):")
                    lines.append(f"        r{j} = _oc{j}(r{j})")
            lines.append(f"    return ({', '.join(outs)})")
    src = "\n".join(lines) + "\n"
    exec(compile(src, f"<vtables direct {cls.__name__}.{iface.__name__}.{m.name}>", "exec"), env)
    fn: Callable[..., Any] = env[m.name]
    fn.__qualname__ = f"{cls.__name__}.{m.name} (direct)"
    fn.__doc__ = m.signature
    return fn
