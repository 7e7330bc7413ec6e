"""The same-context direct path keeps the declared types (issue 14, item 7).

Every declared method of the test classes is called through both paths with the same arguments and the same
implementation results, good and bad: the direct call (``vtables.direct``) and the call through the vtable (the
client's conversions, the server thunk's). Both must give the implementation the same values (types included),
return the same values (types included), and fail alike: an argument of the wrong type raises the same TypeError
(naming the method, the parameter and the declared type) before any call; an exception of the implementation (or
a result of the wrong type, or out of range) propagates as raised on the direct path, and through the vtable comes
back as the ComError of the HRESULT the server edge maps it to, with the same text from IErrorInfo.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest

from bench.benchtarget import IBenchTarget, make_classes

pytestmark = pytest.mark.runtime

_UNSET = object()


def _declare():
    from ole32_bindings.guid import Guid
    from vtables.declare import method
    from vtables.interfaces import IUnknown
    from vtables.object import ComObject

    class ITypes(IUnknown):
        iid = "{5B0C6E1A-2F4D-4A8B-9C3E-7D1F0A2B3C41}"
        Long = method("HRESULT Long([in] LONG v, [out, retval] LONG *r)")
        Short = method("HRESULT Short([in] SHORT v, [out, retval] SHORT *r)")
        Byte = method("HRESULT Byte([in] BYTE v, [out, retval] BYTE *r)")
        ULong = method("HRESULT ULong([in] ULONG v, [out, retval] ULONG *r)")
        Int64 = method("HRESULT Int64([in] LONGLONG v, [out, retval] LONGLONG *r)")
        Double = method("HRESULT Double([in] double v, [out, retval] double *r)")
        Single = method("HRESULT Single([in] float v, [out, retval] float *r)")
        Text = method("HRESULT Text([in] BSTR v, [out, retval] BSTR *r)")
        Wide = method("HRESULT Wide([in] LPCOLESTR v, [out, retval] LPOLESTR *r)")
        Id = method("HRESULT Id([in] REFGUID v, [out, retval] GUID *r)")
        Two = method("HRESULT Two([in] LONG a, [in] double b, [out] LONG *x, [out] double *y)")
        Bump = method("HRESULT Bump([in, out] LONG *v)")
        Status = method("HRESULT Status([in] LONG v)")

    class Types(ComObject, implements=[ITypes]):
        """Each method records what it received and returns it (or ``self.reply`` when the test sets one)."""

        def __init__(self) -> None:
            super().__init__()
            self.seen: list[Any] = []
            self.reply: Any = _UNSET

        def _answer(self, *args: Any) -> Any:
            self.seen.append(args)
            if isinstance(self.reply, BaseException):
                raise self.reply
            if self.reply is not _UNSET:
                return self.reply
            return args[0] if len(args) == 1 else args

        def Long(self, v):
            return self._answer(v)

        Short = Byte = ULong = Int64 = Double = Single = Text = Wide = Id = Bump = Long

        def Two(self, a, b):
            return self._answer(a, b)

        def Status(self, v):
            self.seen.append((v,))
            if isinstance(self.reply, BaseException):
                raise self.reply
            return None if self.reply is _UNSET else self.reply

    return ITypes, Types, Guid


class IntLike:
    def __index__(self) -> int:
        return 7


class FloatLike:
    def __float__(self) -> float:
        return 2.5


class Sub(int):
    pass


def _samples(Guid):
    g = Guid("{5B0C6E1A-2F4D-4A8B-9C3E-7D1F0A2B3C42}")
    ints = [
        0,
        1,
        -1,
        7,
        True,
        Sub(5),
        IntLike(),
        2**31 - 1,
        2**31,
        -(2**31),
        -(2**31) - 1,
        255,
        256,
        -32769,
        2**63,
        2**64,
        1.5,
        "3",
        None,
        Decimal(2),
    ]
    floats = [0.0, 2.5, -1e300, 3, 2**80, True, FloatLike(), math.inf, 1e39, "2.5", None, 1 + 2j]
    texts = ["", "abc", "a\0b", "\u00e9\U0001f600", "\ud800x", None, 5, b"abc", 2.5]
    guids = [g, None, "{5B0C6E1A-2F4D-4A8B-9C3E-7D1F0A2B3C42}", 5, IBenchTarget.iid]
    return {
        "Long": ints,
        "Short": ints,
        "Byte": ints,
        "ULong": ints,
        "Int64": ints,
        "Bump": ints,
        "Status": ints,
        "Double": floats,
        "Single": floats,
        "Text": texts,
        "Wide": texts,
        "Id": guids,
    }


def _outcome(fn, *args):
    try:
        return ("ok", fn(*args))
    except Exception as e:  # (the point is to compare what each path raises)
        return ("error", e)


def _same_value(a, b):
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def _agree(direct, through, what):
    """Assert the two outcomes agree (see the module doc); returns the direct one."""
    from ole32_bindings.hresult import ComError, hresult_for_exception

    kind_d, d = direct
    kind_v, v = through
    assert kind_d == kind_v, f"{what}: direct {direct!r}, through the vtable {through!r}"
    if kind_d == "ok":
        assert _same_value(d, v), f"{what}: direct {d!r} ({type(d).__name__}), vtable {v!r} ({type(v).__name__})"
        return
    if isinstance(v, ComError) and not isinstance(d, ComError):  # raised by the implementation's side
        assert v.hresult == hresult_for_exception(d), f"{what}: {d!r} became {v!r}"
        assert v.description == str(d), f"{what}: {d!r} became {v!r}"
    elif isinstance(v, ComError):
        assert type(v) is type(d) and v.hresult == d.hresult, f"{what}: direct {d!r}, vtable {v!r}"
    else:  # refused by the client before any call
        assert type(v) is type(d) and str(v) == str(d), f"{what}: direct {d!r}, vtable {v!r}"


def _pair(obj, iface):
    from vtables.client import client_class

    direct = obj.as_ptr(iface)
    assert type(direct).__name__.endswith("Direct")
    through = client_class(iface).from_borrowed(direct.as_raw(), direct=False)
    return direct, through


def test_every_method_agrees_on_arguments(mta):
    ITypes, Types, Guid = _declare()
    obj = Types()
    direct, through = _pair(obj, ITypes)
    try:
        for name, values in _samples(Guid).items():
            for value in values:
                obj.seen.clear()
                d = _outcome(getattr(direct, name), value)
                seen_d = list(obj.seen)
                obj.seen.clear()
                v = _outcome(getattr(through, name), value)
                seen_v = list(obj.seen)
                _agree(d, v, f"{name}({value!r})")
                assert len(seen_d) == len(seen_v) and all(
                    _same_value(a, b) for a, b in zip(seen_d, seen_v, strict=True)
                ), f"{name}({value!r}): the implementation received {seen_d!r} directly, {seen_v!r} through the vtable"
        for a, b in [(1, 2.5), (True, 3), (2**40, 1.0), ("x", 1.0), (1, "y"), (None, None)]:
            _agree(_outcome(direct.Two, a, b), _outcome(through.Two, a, b), f"Two({a!r}, {b!r})")
    finally:
        through.release()
        direct.release()


def test_every_method_agrees_on_results(mta):
    ITypes, Types, Guid = _declare()
    obj = Types()
    direct, through = _pair(obj, ITypes)
    g = Guid("{5B0C6E1A-2F4D-4A8B-9C3E-7D1F0A2B3C43}")
    replies = [
        0,
        7,
        True,
        2**31,
        -(2**31) - 1,
        2**64,
        2.5,
        3,
        "x",
        None,
        g,
        "\u00e9",
        "a\0b",
        IntLike(),
        ValueError("no"),
        NotImplementedError("later"),
    ]
    calls = {
        "Long": 1,
        "Short": 1,
        "Byte": 1,
        "ULong": 1,
        "Int64": 1,
        "Double": 1.0,
        "Single": 1.0,
        "Text": "a",
        "Wide": "a",
        "Id": g,
        "Bump": 1,
    }
    try:
        for name, arg in calls.items():
            for reply in replies:
                obj.reply = reply
                _agree(
                    _outcome(getattr(direct, name), arg),
                    _outcome(getattr(through, name), arg),
                    f"{name} returning {reply!r}",
                )
        for reply in [None, 0, 1, 0x80004005, -2147024809, 2**32, "S_OK", 2.0, KeyError("k")]:
            obj.reply = reply
            _agree(_outcome(direct.Status, 1), _outcome(through.Status, 1), f"Status returning {reply!r}")
        for reply in [(1, 2.5), (1, 2), [3, 4.0], (1,), (1, 2.5, 3), 5, ("a", 1.0), (2**33, 1.0)]:
            obj.reply = reply
            _agree(_outcome(direct.Two, 1, 1.0), _outcome(through.Two, 1, 1.0), f"Two returning {reply!r}")
    finally:
        obj.reply = _UNSET
        through.release()
        direct.release()


@pytest.mark.parametrize("path", ["direct", "vtable"])
def test_issue_cases(mta, path):
    """The three cases issue 14 reports, on each path (the tests above cover them among the others)."""
    from ole32_bindings.hresult import ComError

    ITypes, Types, _ = _declare()
    obj = Types()
    direct, through = _pair(obj, ITypes)
    p = direct if path == "direct" else through
    try:
        obj.reply = 3
        r = p.Double(1.0)
        assert type(r) is float and r == 3.0  # [out, retval] double * is a float, whatever the implementation returns
        obj.reply = _UNSET
        with pytest.raises(TypeError, match=r"ITypes\.Text: parameter 'v' is BSTR, not int 5"):
            p.Text(5)
        assert not [s for s in obj.seen if s == (5,)]  # refused before reaching the implementation
        obj.reply = 2**31
        expected = (OverflowError, ComError)[path == "vtable"]
        with pytest.raises(expected, match=r"ITypes\.Long: \[out\] value 'r' is LONG: 2147483648 does not fit"):
            p.Long(1)
        if path == "vtable":
            try:
                p.Long(1)
            except ComError as e:
                assert e.hresult == 0x8002000A  # DISP_E_OVERFLOW, with IErrorInfo naming it
        obj.reply = "x"
        with pytest.raises((TypeError, ComError), match=r"ITypes\.Long: \[out\] value 'r' is LONG, not str 'x'") as e:
            p.Long(1)
        assert path == "direct" or e.value.hresult == 0x80070057  # E_INVALIDARG
    finally:
        obj.reply = _UNSET
        through.release()
        direct.release()


def test_bench_target_agrees(mta):
    """The bench's own class (IBenchTarget's Nothing and Work) through both paths."""
    PyTarget, _ = make_classes()
    direct, through = _pair(PyTarget(), IBenchTarget)
    try:
        _agree(_outcome(direct.Nothing), _outcome(through.Nothing), "Nothing()")
        for n in [0, 1, 100, -1, 2**31, 1.5, "3", None]:
            _agree(_outcome(direct.Work, n), _outcome(through.Work, n), f"Work({n!r})")
        assert direct.Nothing() == 0 and direct.Work(100) == 4950
    finally:
        through.release()
        direct.release()
