"""The declared client (``vtables.client``) with Automation types: VARIANT, SAFEARRAY(T), BSTR, DATE, CY, DECIMAL,
VARIANT_BOOL and IDispatch * in, out and [in, out]; optional and default-valued arguments; what every call allocates
freed once (the malloc spy) and every reference given back (the autouse leak check); failure paths; a Python dual
and the native C++ NativeDual (native/testlib/nativedual.idl), which nobody here wrote in Python."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from vtables import method
from vtables.interfaces import IDispatch

pytestmark = pytest.mark.runtime


class IAuto(IDispatch):
    iid = "{AD72686C-70B4-4965-910B-47C591E808DA}"
    Echo = method("[id(1)] HRESULT Echo([in] VARIANT v, [out, retval] VARIANT *result)")
    Scalars = method(
        "[id(2)] HRESULT Scalars([in] DATE d, [in] CY c, [in] DECIMAL x, [in] VARIANT_BOOL f, [out] DATE *d2, "
        "[out] CY *c2, [out] DECIMAL *x2, [out, retval] VARIANT_BOOL *f2)"
    )
    Arrays = method(
        "[id(3)] HRESULT Arrays([in] SAFEARRAY(BSTR) names, [in, out] SAFEARRAY(LONG) *numbers, "
        "[out, retval] SAFEARRAY(VARIANT) *result)"
    )
    Bytes = method("[id(4)] HRESULT Bytes([in] SAFEARRAY(BYTE) data, [out, retval] SAFEARRAY(BYTE) *copy)")
    Update = method(
        "[id(5)] HRESULT Update([in, out] VARIANT *v, [in, out] LONG *n, [in, out] BSTR *s, [in, out] VARIANT_BOOL *f, "
        "[in, out] DATE *d, [in, out] CY *c, [in, out] DECIMAL *x, [in, out] double *r, "
        "[in, out] SAFEARRAY(VARIANT) *a)"
    )
    Defaults = method(
        "[id(6)] HRESULT Defaults([in, defaultvalue(42)] LONG n, [in, defaultvalue(-1)] VARIANT_BOOL b, "
        '[in, optional, defaultvalue("x")] BSTR s, [in, optional] VARIANT v, [out, retval] VARIANT *r)'
    )
    Objects = method(
        "[id(7)] HRESULT Objects([in] IDispatch *d, [in] IUnknown *u, [out] IUnknown **ou, "
        "[out, retval] IDispatch **od)"
    )
    get_Name = method("[id(8), propget] HRESULT Name([out, retval] BSTR *value)")
    put_Name = method("[id(8), propput] HRESULT Name([in] BSTR value)")
    Fail = method(
        "[id(9)] HRESULT Fail([in] VARIANT v, [in] SAFEARRAY(VARIANT) a, [in] BSTR s, [in] DECIMAL x, "
        "[out, retval] VARIANT *r)"
    )
    Late = method("[id(10)] HRESULT Late([out] IUnknown **u, [out] VARIANT *v, [out, retval] DATE *when)")
    Bump = method("[id(11)] HRESULT Bump([in, out] LONG *n)")
    Plain = method("[id(12)] HRESULT Plain([in] LONG a, [out, retval] LONG *b)")
    Concat = method("[id(13)] HRESULT Concat([in] BSTR a, [in] VARIANT b, [out, retval] BSTR *r)")


@pytest.fixture(scope="module")
def Auto():
    from ole32_bindings.dlls import ffi
    from vtables import ComObject
    from vtables.client import client_class
    from vtables.dispatch import exact

    class Auto(ComObject, implements=[IAuto]):
        progid = "Test.ClientAutomation"

        def __init__(self, name="auto"):
            self._name = name
            self.seen = []

        @exact
        def Echo(self, v):
            return v

        def Scalars(self, d, c, x, f):
            self.seen.append((d, c, x, f))
            return d + datetime.timedelta(days=1, milliseconds=1), c * 2, -x, not f

        def Arrays(self, names, numbers):
            self.seen.append((names, numbers))
            names = names or []
            return [n * 10 for n in numbers], [*names, len(names)]

        def Bytes(self, data):
            return bytes(reversed(data))

        def Update(self, v, n, s, f, d, c, x, r, a):
            self.seen.append((v, n, s, f, d, c, x, r, a))
            return [v], n + 1, s + "!", not f, d + datetime.timedelta(days=1), c + 1, x * 10, r / 2, [*a, len(a)]

        def Defaults(self, n, b, s, v):
            self.seen.append((n, b, s, v))
            return [n, b, s, v]

        def Objects(self, d, u):
            with client_class(IDispatch).from_borrowed(d, direct=False) as pd, pd.query(IAuto) as pa:
                self.seen.append(pa.get_Name())  # the [in] IDispatch * is the object's IDispatch: callable
            self.seen.append(u != ffi.NULL)  # an [in] IUnknown * arrives as the raw pointer, borrowed
            return self, self

        Name = property(lambda self: self._name, lambda self, v: setattr(self, "_name", v))

        def Fail(self, v, a, s, x):
            raise RuntimeError(f"failed: {s}")

        def Late(self):
            return self, [self, "x"], 1e10  # a DATE past 9999-12-31: the client cannot read it

        def Bump(self, n):
            return n + 1

        def Plain(self, a):
            return a * 2

        def Concat(self, a, b):
            return None if b == "null" else a + ("" if b is None else str(b))  # a NULL BSTR arrives as ""

    return Auto


def _vtable(obj, iface=IAuto):
    """A client pointer that calls ``obj`` through its vtable (never the same-context shortcut)."""
    from vtables.client import client_class

    with obj.as_ptr(iface) as p:
        return client_class(iface).from_borrowed(p.as_raw(), direct=False)


def test_automation_values_in_and_out(mta, Auto):
    from ole32_bindings.oavalues import VT_I2, Null, Variant
    from vtables.mallocspy import spying
    from vtables.variant import SafeArray

    obj = Auto()
    with spying() as spy:
        before = spy.outstanding
        with _vtable(obj) as p:
            # VARIANT in and out: every Automation type inside, the vt kept by the callee (exact)
            when = datetime.datetime(1899, 12, 29, 6, 0, 0, 125000)
            for v in (None, Null, True, -5, 2**40, 2.5, "caf\u00e9 \U0001f600 \x00 end", when, Decimal("-1.5")):
                assert p.Echo(v) == v and type(p.Echo(v)) is type(v)
            assert p.Echo(Variant(VT_I2, 7)) == 7
            assert p.Echo([1, "two", [3.0, None]]) == [1, "two", [3.0, None]]
            assert p.Echo([[1, 2], [3, 4]]) == [[1, 2], [3, 4]]  # 2-D
            assert p.Echo(b"\x00\x01\xff") == b"\x00\x01\xff"
            # DATE, CY, DECIMAL, VARIANT_BOOL by value, and [out]
            d2, c2, x2, f2 = p.Scalars(when, Decimal("1.2345"), Decimal("1.0000000000000000000000001"), False)
            assert obj.seen.pop() == (when, Decimal("1.2345"), Decimal("1.0000000000000000000000001"), False)
            assert d2 == when + datetime.timedelta(days=1, milliseconds=1)
            assert (c2, x2, f2) == (Decimal("2.4690"), Decimal("-1.0000000000000000000000001"), True)
            assert type(f2) is bool
            p.Scalars(datetime.date(2024, 2, 29), 3, 7, 1)  # a date, ints, a truth value
            assert obj.seen.pop() == (datetime.datetime(2024, 2, 29), Decimal("3.0000"), Decimal(7), True)
            p.Scalars(45351.5, 0.5, 0.25, "yes")  # a DATE number, floats
            assert obj.seen.pop() == (datetime.datetime(2024, 2, 29, 12), Decimal("0.5000"), Decimal("0.25"), True)
            # SAFEARRAY(T): [in] BSTRs, [in, out] LONGs, [out, retval] VARIANTs
            assert p.Arrays(["a", "bb", "\U0001f600"], [1, -2, 3]) == ([10, -20, 30], ["a", "bb", "\U0001f600", 3])
            assert obj.seen.pop() == (["a", "bb", "\U0001f600"], [1, -2, 3])
            assert p.Arrays(("t",), SafeArray(3, [(5, 2)], [7, 8])) == ([70, 80], ["t", 1])  # any lower bound
            assert p.Arrays(None, []) == ([], [0])  # None: a NULL array
            assert obj.seen.pop() == (None, [])
            # SAFEARRAY(BYTE) both ways as bytes (one memmove each way)
            assert p.Bytes(b"abc\x00") == b"\x00cba" and p.Bytes(bytearray(b"xy")) == b"yx"
            # properties
            for name in ("n\u00e9", "a\x00b", "\U0001f600x", ""):
                p.put_Name(name)
                assert p.get_Name() == name
            # BSTRs of the Automation caller: NULs and characters beyond the BMP kept; None is a NULL BSTR
            assert p.Concat("a\x00b", "\U0001f600") == "a\x00b\U0001f600" and p.Concat("\u00e9", 1) == "\u00e91"
            assert p.Concat("", "") == "" and p.Concat(None, None) == "" and p.Concat(None, "x") == "x"
            assert p.Concat("a", "null") is None  # a NULL BSTR result
        assert spy.outstanding == before, spy.blocks


def test_in_out_values_come_back_in_declaration_order(mta, Auto):
    from vtables.mallocspy import spying

    obj = Auto()
    with spying() as spy:
        before = spy.outstanding
        with _vtable(obj) as p:
            day = datetime.datetime(2020, 1, 1, 12)
            result = p.Update("v", 41, "s", True, day, Decimal("1.5"), Decimal("0.1"), 5.0, [1, "a"])
            assert obj.seen.pop() == ("v", 41, "s", True, day, Decimal("1.5000"), Decimal("0.1"), 5.0, [1, "a"])
            assert result == (
                ["v"],
                42,
                "s!",
                False,
                day + datetime.timedelta(days=1),
                Decimal("2.5000"),
                Decimal("1.0"),
                2.5,
                [1, "a", 2],
            )
            assert p.Bump(1) == 2  # one [in, out]: the bare value
            # the same-context pointer hands the value to the implementation too, and gets the new one back
            with obj.as_ptr(IAuto) as direct:
                assert type(direct).__name__.endswith("Direct") and direct.Bump(1) == 2
        assert spy.outstanding == before, spy.blocks


def test_omitted_arguments_take_the_declared_defaults(mta, Auto):
    """Through the vtable the client fills the declared defaults (an [optional] VARIANT without one is Missing);
    through Invoke the object does; the implementation receives the same values, of the declared types: the
    integer default -1 of a VARIANT_BOOL is True."""
    from ole32_bindings.oavalues import Missing
    from vtables.latebound import Dispatch, vtable_interface

    obj = Auto()
    with _vtable(obj) as p:  # this test's reference, for the whole test
        assert p.Defaults() == [42, True, "x", Missing]
        assert p.Defaults(1, False, "y", None) == [1, False, "y", None]
        assert p.Defaults(7) == [7, True, "x", Missing]
        through_vtable = obj.seen[:]
        obj.seen.clear()
        with obj.as_ptr(IDispatch) as q, Dispatch(q) as invoke, Dispatch(q, vtable=IAuto) as vt:
            assert vtable_interface(invoke) is None and vtable_interface(vt) is IAuto
            for d in (invoke, vt):
                assert d.Defaults() == [42, True, "x", Missing]
                assert d.Defaults(1, False, "y", None) == [1, False, "y", None]
                assert d.Defaults(7) == [7, True, "x", Missing]
    assert obj.seen == through_vtable * 2
    assert all(type(b) is bool for _, b, _, _ in obj.seen)
    import inspect

    from vtables.client import client_class

    sig = inspect.signature(client_class(IAuto).Defaults)
    assert [(q.name, q.default) for q in sig.parameters.values()][1:] == [
        ("a0", 42),
        ("a1", True),
        ("a2", "x"),
        ("a3", Missing),
    ]


def test_interfaces_in_and_out_with_exact_counts(mta, Auto):
    from vtables.client import client_class
    from vtables.interfaces import IUnknown

    obj, other = Auto(), Auto("other")
    with _vtable(obj) as p, other.as_ptr(IUnknown) as keep:  # this test's references, for the whole test
        base, other_base = obj.com_refcount, other.com_refcount
        # [in] IDispatch * from our own object (QueryInterface for IDispatch, released after the call), [in]
        # IUnknown * from a client pointer; [out] IUnknown ** and [out, retval] IDispatch **: owned ComPtrs
        ou, od = p.Objects(other, keep)
        assert other.com_refcount == other_base  # the call gave back what it took
        assert obj.seen[-2] == "other" and obj.seen[-1] is True
        assert ou.interface is IUnknown and od.interface is IDispatch
        assert obj.com_refcount == base + 2
        with client_class(IAuto).from_borrowed(od.as_raw(), direct=False) as again:
            assert again.get_Name() == "auto"
        ou.release()
        od.release()
        # a client pointer of another interface: QueryInterface for IDispatch; None: NULL
        ou, od = p.Objects(keep, None)
        ou.release()
        od.release()
        assert obj.seen[-2:] == ["other", False]
        # a VARIANT holding objects: new references the caller owns
        with other.as_ptr(IDispatch) as d:
            echoed = p.Echo(d)
            assert echoed.same_object(d) and other.com_refcount == other_base + 2
            echoed.release()
            listed = p.Echo([d, 1, [d]])
            assert other.com_refcount == other_base + 3
            listed[0].release()
            listed[2][0].release()
        assert (obj.com_refcount, other.com_refcount) == (base, other_base)


def test_failures_free_what_the_call_made(mta, Auto):
    from ole32_bindings.hresult import ComError
    from ole32_bindings.oavalues import VT_ARRAY, VT_BSTR
    from vtables.mallocspy import spying
    from vtables.variant import SafeArray

    obj, other = Auto(), Auto("other")
    with _vtable(obj) as p, other.as_ptr(IDispatch) as d:
        base = other.com_refcount
        with spying() as spy:
            before = spy.outstanding
            # the callee fails: the [in] VARIANT (a string and an object in it), SAFEARRAY and BSTR freed once
            with pytest.raises(ComError) as failed:
                p.Fail(["text", d], [1, "two"], "why", Decimal(1))
            assert failed.value.description == "failed: why" and failed.value.source == "Test.ClientAutomation"
            # an [in] value that cannot be converted: what the earlier ones made is freed, the callee never runs
            with pytest.raises(TypeError, match="BSTR"):
                p.Fail("text", ["a"], 5, Decimal(1))
            with pytest.raises(TypeError, match="SafeArray"):
                p.Fail("text", SafeArray(VT_BSTR, [(0, 1)], ["x"]), "s", Decimal(1))
            with pytest.raises(TypeError):
                p.Fail("text", ["a"], "s", "not a number")
            with pytest.raises(TypeError, match="cannot write"):
                p.Fail(object(), ["a"], "s", Decimal(1))
            with pytest.raises(TypeError, match="SAFEARRAY of VT_VARIANT was declared"):
                from ole32_bindings.oavalues import Variant

                p.Fail("text", Variant(VT_ARRAY | VT_BSTR, ["x"]), "s", Decimal(1))
            # a result that cannot be read after others were: the interface and the VARIANT's object released
            with pytest.raises(OverflowError):
                p.Late()
            assert spy.outstanding == before, spy.blocks
        assert other.com_refcount == base


def test_plain_methods_keep_their_caller():
    """Only methods with Automation values get the Automation caller; the others keep the plain one (no finally,
    no temporaries; only the try naming an argument cffi refuses, which costs nothing until it raises)."""
    from bench.benchtarget import IBenchTarget
    from vtables.client import _method_source

    work = _method_source(IBenchTarget.Work, "_IFACE")[0]
    assert "finally" not in work and "_new_unzeroed" in work and "_argument_error" in work
    assert "finally" not in _method_source(IAuto.Plain, "_IFACE")[0]
    assert "finally" in _method_source(IAuto.Echo, "_IFACE")[0]


def test_variant_conversions_must_be_loaded(mta, monkeypatch):
    from vtables import InterfaceError, client

    class IEchoLate(IDispatch):
        iid = "{6D7B0DF8-956B-438E-A589-A48EFC666F18}"
        Echo = method("[id(1)] HRESULT Echo([in] VARIANT v, [out, retval] VARIANT *result)")

    monkeypatch.setattr(client, "_variant_write", None)
    with pytest.raises(InterfaceError, match=r"import vtables\.variant"):
        client.client_class(IEchoLate)


# ---- a native object nobody here wrote: NativeDual (native/testlib/nativedual.idl) --------------------------------


def _native_dual():
    from testlib import native_dual_interface

    return native_dual_interface()


@pytest.fixture
def native(mta):
    """A client pointer of INativeDual to a new NativeDual (the test releases it); none may be left alive."""
    import gc

    from testlib import load, new_dispatch

    import vtables.variant  # noqa: F401 - the VARIANT conversions of the declared client
    from vtables.client import client_class

    _, lib = load()
    assert lib.TL_DualLiveObjects() == 0
    iface = _native_dual()

    def make():
        with client_class(IDispatch).from_raw(new_dispatch("native")) as d:
            return d.query(iface)

    yield make
    gc.collect()
    assert lib.TL_DualLiveObjects() == 0, "native dispatch objects left alive"


def test_native_dual_through_its_declaration(native):
    from ole32_bindings.hresult import ComError
    from ole32_bindings.oavalues import Missing, Null
    from vtables.mallocspy import spying

    with spying() as spy:
        before = spy.outstanding
        with native() as nd:
            assert nd.get_Name() == "native"
            nd.put_Name("caf\u00e9")
            assert nd.get_Name() == "caf\u00e9"
            assert nd.Greet("W") == "Hello, W" and nd.Greet("W", "Hi") == "Hi, W"  # the declared default
            # [in, out] VARIANT *: values in, the exchanged values back, any type
            assert nd.Swap(1, "two") == ("two", 1)
            when = datetime.datetime(2024, 2, 29, 12, 30)
            assert nd.Swap([1, [2, "x"]], when) == (when, [1, [2, "x"]])
            assert nd.Swap(Null, Decimal("1.25")) == (Decimal("1.25"), Null)
            assert nd.Bump(41) == 42  # [in, out] LONG *
            # [in, optional] VARIANT: omitted is Missing (VT_ERROR DISP_E_PARAMNOTFOUND); VARIANT_BOOL [out, retval]
            assert nd.HasArg() is False and nd.HasArg(Missing) is False
            assert nd.HasArg(0) is True and nd.HasArg(None) is True
            assert nd.get_Count() == 3 and [nd.get_Item(i) for i in range(3)] == ["item0", "item1", "item2"]
            with pytest.raises(ComError) as failed:
                nd.Fail()
            e = failed.value
            assert (e.hresult, e.source, e.description) == (0x80040200, "NativeDual", "NativeDual.Fail failed as asked")
            with pytest.raises(ComError) as bad:
                nd.get_Item(7)
            assert bad.value.hresult == 0x8002000B  # DISP_E_BADINDEX
            with nd.get__NewEnum() as enum:
                assert enum is not None
        assert spy.outstanding == before, spy.blocks


def test_the_late_bound_vtable_route_takes_variant_members(native):
    """A declaration of INativeDual whose HasArg declares a default: through the vtable the client sends it (the
    object sees an argument), through Invoke the object sees none. VARIANT members now take the vtable."""
    from vtables.client import client_class
    from vtables.latebound import Dispatch

    class INativeDualDefaulted(IDispatch):
        iid = "{1349967C-8220-4CB7-9DF0-4F00B396FCD8}"  # not registered by IID again: the first declaration keeps it
        get_Name = method("[propget, id(1)] HRESULT Name([out, retval] BSTR *value)")
        put_Name = method("[propput, id(1)] HRESULT Name([in] BSTR value)")
        Greet = method(
            '[id(2)] HRESULT Greet([in] BSTR who, [in, optional, defaultvalue("Hello")] BSTR greeting, '
            "[out, retval] BSTR *result)"
        )
        Swap = method("[id(3)] HRESULT Swap([in, out] VARIANT *a, [in, out] VARIANT *b)")
        Bump = method("[id(4)] HRESULT Bump([in, out] LONG *value)")
        Fail = method("[id(5)] HRESULT Fail()")
        HasArg = method(
            "[id(6)] HRESULT HasArg([in, optional, defaultvalue(1)] VARIANT v, [out, retval] VARIANT_BOOL *given)"
        )

    with native() as nd, client_class(IDispatch).from_borrowed(nd.as_raw()) as p:
        with Dispatch(p, vtable=INativeDualDefaulted) as vt, Dispatch(p) as inv:
            assert vt.HasArg() is True  # the client filled in the declared default 1
            assert inv.HasArg() is False
            assert vt.HasArg(5) is True and inv.HasArg(5) is True
        with Dispatch(p, vtable=_native_dual()) as vt:
            assert vt.HasArg() is False  # an [optional] VARIANT without a default: Missing, through the vtable
