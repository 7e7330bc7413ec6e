"""The late-bound fast paths (issue 12's performance work), against the general paths they must agree with:

* the server: ``vt_Invoke`` (native/core) checks the common call and calls the member's generated invoker, as a
  typed entry (at most four arguments of declared scalar types: each value passed as its C type) or a VARIANT entry;
  anything else (other vts, named arguments, a BSTR of odd length...) goes to the general path, with its results;
* the client: ``Dispatch``'s bound methods make one native call (``vt_dispatch_call``) with the arguments packed
  by a generated packer; a frame in use (re-entrancy, another thread), a released Dispatch, other argument types
  take the general path or fail as it would;
* the same-context client: a Dispatch of one of our objects in the caller's context calls the implementation
  directly (``vtables.dispatch.direct_call``) with exactly what Invoke would have delivered and returned.

Every scenario runs under the autouse leak check; the ones moving strings also under the malloc spy.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from testlib import ROOT, load, new_dispatch

from vtables import method
from vtables.interfaces import IDispatch

pytestmark = pytest.mark.runtime

U = 0xFFFFFFFF
S_OK = 0
DISP_E_EXCEPTION = 0x80020009
DISP_E_TYPEMISMATCH = 0x80020005
E_INVALIDARG = 0x80070057
CO_E_OBJNOTCONNECTED = 0x800401FD
NUL_AND_ASTRAL = "a\0b \U0001f600 \u00e9\udc80"  # an embedded NUL, a pair, a non-ASCII BMP char, a lone surrogate


class IFast(IDispatch):
    iid = "{711C07B0-F2E9-4DF5-BFC6-489EA199E6E6}"
    Nothing = method("[id(1)] HRESULT Nothing()")
    Mix = method("[id(2)] HRESULT Mix([in] BSTR s, [in] LONG n, [in] double d, [out, retval] VARIANT *result)")
    Flags = method("[id(3)] HRESULT Flags([in] VARIANT_BOOL b, [in] SHORT h, [out, retval] LONG *result)")
    Five = method(
        "[id(4)] HRESULT Five([in] LONG a, [in] LONG b, [in] LONG c, [in] LONG d, [in] BSTR e, "
        "[out, retval] BSTR *result)"
    )
    Any = method("[id(5)] HRESULT Any([in] VARIANT v, [in] BSTR s, [out, retval] VARIANT *result)")
    Fail = method("[id(6)] HRESULT Fail([in] BSTR message)")
    Text = method("[id(7)] HRESULT Text([in] LONG n, [out, retval] BSTR *result)")
    Count = method("[id(8)] HRESULT Count([out, retval] LONG *result)")
    Again = method("[id(9)] HRESULT Again([in] LONG depth, [out, retval] LONG *result)")
    Self = method("[id(10)] HRESULT Self([out, retval] IDispatch **result)")
    Where = method("[id(11)] HRESULT Where([out, retval] BSTR *result)")
    Four = method(
        "[id(12)] HRESULT Four([in] VARIANT a, [in] VARIANT b, [in] VARIANT c, [in] VARIANT d, "
        "[out, retval] VARIANT *result)"
    )


_made: list = []


def fast_class():
    """The class answering IFast (made once: defining a ComObject needs the runtime)."""
    if not _made:
        from vtables import ComObject

        class Fast(ComObject, implements=[IFast]):
            progid = "Ole32Bindings.Test.Fast"
            client = None  # a bound method of a Dispatch of this object, for Again's re-entrant calls

            def Nothing(self):
                return None

            def Mix(self, s, n, d):
                return f"{s}:{n}:{d:.17g}"

            def Flags(self, b, h):
                assert type(b) is bool and type(h) is int
                return (1 if b else 0) * 100000 + h

            def Five(self, a, b, c, d, e):
                return f"{a + b + c + d}{e}"

            def Any(self, v, s):
                return [type(v).__name__, v, s]

            def Fail(self, message):
                raise ValueError(message)

            def Text(self, n):
                return "x" * n

            def Count(self):
                return 2**40  # not a LONG: the declared result refuses it (DISP_E_EXCEPTION)

            def Again(self, depth):
                if depth == 0:
                    return 0
                return type(self).client(depth - 1) + 1  # the same bound method, while it is in use

            def Self(self):
                return self

            def Four(self, a, b, c, d):
                return [a, b, c, d]

            def Where(self):
                return sys._getframe(1).f_code.co_filename  # the generated caller: direct or Invoke's invoker

        _made.append(Fast)
    return _made[0]


def on_another_thread(make):
    """``make()`` run on a new MTA thread (joined): an object created there is not in this thread's context, so
    a Dispatch here calls it through IDispatch::Invoke (its vtable), never directly."""
    from ole32_bindings import apartments

    out = []

    def run():
        apartments.co_initialize()
        try:
            out.append(make())
        finally:
            apartments.co_uninitialize()

    t = threading.Thread(target=run)
    t.start()
    t.join()
    return out[0]


def native_dispatch():
    """A Dispatch of a Fast object reached through Invoke (created on another MTA thread)."""
    from vtables.latebound import Dispatch

    ptr = on_another_thread(lambda: fast_class()().as_ptr(IDispatch))
    try:
        return Dispatch(ptr)
    finally:
        ptr.release()


def raw_invoke(d, dispid, args, *, result=True, vts=None):
    """IDispatch::Invoke(DISPATCH_METHOD) on the Dispatch's pointer with ``args`` written by vtables.variant (or
    ``vts``: a function filling the VARIANT array itself, its content then owned by the caller). (hr, value as
    to_python reads it, EXCEPINFO (source, description, scode) or None, puArgErr)."""
    from ole32_bindings.dlls import ffi
    from ole32_bindings.memory import bstr_to_str_and_free
    from vtables.variant import VariantArray, clear, to_python, write

    p = d._ptr.as_raw()
    fn = d._ptr._fns[IDispatch.Invoke.index]
    with VariantArray(len(args)) as arr:
        for i, a in enumerate(reversed(args)):
            write(arr[i], a)
        if vts is not None:
            vts(arr)
        dp = ffi.new("DISPPARAMS *")
        dp.rgvarg = arr.cdata if args else ffi.NULL
        dp.cArgs = len(args)
        res = ffi.new("VARIANT *") if result else ffi.NULL
        ei = ffi.new("EXCEPINFO *")
        argerr = ffi.new("UINT *", 12345)
        hr = fn(p, dispid, ffi.new("GUID *"), 0, 1, dp, res, ei, argerr) & U
        value = None
        if result:
            try:
                value = to_python(res)
            finally:
                clear(res)
        info = None
        if ei.bstrSource != ffi.NULL or ei.bstrDescription != ffi.NULL:
            info = (bstr_to_str_and_free(ei.bstrSource), bstr_to_str_and_free(ei.bstrDescription), ei.scode & U)
        return hr, value, info, argerr[0]


# ---- the server: vt_Invoke and its entries --------------------------------------------------------------------------


def test_invoke_slot_is_native_and_each_call_shape_gets_an_entry(mta):
    from ole32_bindings.dlls import ffi
    from vtables import _core, dispatch

    if not _core.enabled():
        pytest.skip("the Python fallback (VTABLES_NATIVE_CORE=0) has no vt_Invoke: tested by the subprocess below")
    Fast = fast_class()
    with Fast().as_ptr(IFast) as p:
        vtbl = ffi.cast("void ***", p.as_raw())[0]
        assert int(ffi.cast("uintptr_t", vtbl[IDispatch.Invoke.index])) == int(
            _core.ffi.cast("uintptr_t", _core.lib.vt_Invoke)
        )
    d = native_dispatch()
    with d:
        before = len(dispatch._REGISTERED)
        for _ in range(3):  # the first call makes the entry, the next ones use it
            assert raw_invoke(d, 2, ("abc", 7, 2.5))[:2] == (S_OK, "abc:7:2.5")
            assert raw_invoke(d, 1, ())[:2] == (S_OK, None)
        assert len(dispatch._REGISTERED) == before + 2  # (Mix, Nothing): one entry per class and call shape
        assert raw_invoke(d, 1, (), result=False)[0] == S_OK  # another shape: pVarResult NULL
        assert raw_invoke(d, 2, ("abc", 7, 2.5), result=False)[:2] == (S_OK, None)


def test_typed_arguments_arrive_as_declared(mta):
    d = native_dispatch()
    with d:
        for s in ("", "abc", NUL_AND_ASTRAL, "\u4e2d" * 70000):  # (70,000 units: vt_Invoke leaves the length to us)
            assert raw_invoke(d, 2, (s, -(2**31), -0.0)) == (S_OK, f"{s}:-2147483648:-0", None, 12345)
        assert raw_invoke(d, 3, (True, -32768))[:2] == (S_OK, 100000 - 32768)
        assert raw_invoke(d, 3, (False, 5))[:2] == (S_OK, 5)
        assert raw_invoke(d, 4, (1, 2, 3, 4, NUL_AND_ASTRAL))[:2] == (S_OK, "10" + NUL_AND_ASTRAL)  # a VARIANT entry
        assert raw_invoke(d, 5, (2.5, "s"))[1] == ["float", 2.5, "s"]
        assert raw_invoke(d, 5, ("v", "s"))[1] == ["str", "v", "s"]


def test_other_vts_take_the_general_path(mta):
    from ole32_bindings.oavalues import Variant

    d = native_dispatch()
    with d:
        assert raw_invoke(d, 2, ("abc", "7", 2))[:2] == (S_OK, "abc:7:2")  # coerced: VT_BSTR -> LONG, VT_I4 -> double
        assert raw_invoke(d, 2, ("abc", Variant(2, 7), 2.5))[:2] == (S_OK, "abc:7:2.5")  # VT_I2 for a LONG
        assert raw_invoke(d, 5, ([1, 2], "s"))[1] == ["list", [1, 2], "s"]  # an array for a VARIANT
        assert raw_invoke(d, 5, (None, "s"))[1] == ["NoneType", None, "s"]
        hr, _, _, argerr = raw_invoke(d, 2, ("abc", "seven", 2.5))
        assert (hr, argerr) == (DISP_E_TYPEMISMATCH, 1)

        def odd(arr):  # a BSTR of 3 bytes: not UTF-16 text
            from ole32_bindings.dlls import function
            from vtables.variant import clear

            clear(arr[2])
            arr[2].bstrVal = function("SysAllocStringByteLen")(b"abc", 3)
            arr[2].vt = 8

        hr, _, _, argerr = raw_invoke(d, 2, ("", 7, 2.5), vts=odd)
        assert (hr, argerr) == (E_INVALIDARG, 2)


def test_failures_fill_excepinfo_and_leave_the_result_empty(mta, caplog):
    d = native_dispatch()
    with d:
        hr, value, info, _ = raw_invoke(d, 6, ("as asked",))
        assert (hr, value) == (DISP_E_EXCEPTION, None)
        assert info == ("Ole32Bindings.Test.Fast", "as asked", E_INVALIDARG)  # ValueError's mapping
        hr, value, info, _ = raw_invoke(d, 8, ())  # 2**40 for a LONG result: refused as the general path refuses it
        assert (hr, value) == (DISP_E_EXCEPTION, None) and info[
            1
        ] == "1099511627776 is out of range for VT_I4 (-2147483648..2147483647)"


def test_no_string_leaks_on_the_fast_paths(mta):
    from vtables.mallocspy import spying

    d = native_dispatch()
    with d:
        mix, fail = d.Mix, d.Fail  # (the type information is read, and kept, before the spy)

        def scenario():
            for s in ("abc", NUL_AND_ASTRAL, "y" * 3000):
                assert raw_invoke(d, 2, (s, 1, 0.5))[1] == f"{s}:1:0.5"
                assert raw_invoke(d, 2, (s, 1, 0.5), result=False)[1] is None
                assert mix(s, 1, 0.5) == f"{s}:1:0.5"
            assert raw_invoke(d, 6, ("x",))[0] == DISP_E_EXCEPTION
            with pytest.raises(Exception, match="x"):
                fail("x")

        scenario()  # every entry and packer made
        with spying() as spy:
            before = spy.outstanding
            scenario()
            assert spy.outstanding == before


def test_out_of_memory_for_a_string_sends_nothing(mta):
    """Each string allocation failing in turn (the malloc spy): the prepared call raises MemoryError as
    vtables.variant.write would, having sent nothing and leaked nothing; the server's result failing is
    DISP_E_EXCEPTION with E_OUTOFMEMORY; and the frame serves the next call."""
    from vtables.latebound import DispatchError
    from vtables.mallocspy import spying

    d = native_dispatch()
    with d:
        mix, anything = d.Mix, d.Any
        for args in (("abc", 1, 0.5), ("\u00e9", 1, 0.5)):  # ASCII (values) and not (packed)
            assert mix(*args) == f"{args[0]}:1:0.5"
        assert anything("a", "b") == ["str", "a", "b"]
        with spying() as spy:
            before = spy.outstanding
            for call, args in ((mix, ("abc", 1, 0.5)), (mix, ("\u00e9", 1, 0.5)), (anything, ("a", "b"))):
                spy.fail_after(1)  # the first argument string
                with pytest.raises(MemoryError):
                    call(*args)
                assert spy.outstanding == before
            spy.fail_after(2)  # the second string of two
            with pytest.raises(MemoryError):
                anything("a", "b")
            spy.fail_after(2)  # Mix's argument, then its result (the server's)
            with pytest.raises(DispatchError) as e:
                mix("abc", 1, 0.5)
            assert e.value.hresult == DISP_E_EXCEPTION and e.value.scode & U == 0x8007000E
            spy._fail_countdown = 0
            assert mix("abc", 1, 0.5) == "abc:1:0.5" and anything("a", "b") == ["str", "a", "b"]
            assert spy.outstanding == before


def test_a_call_through_a_destroyed_objects_pointer_is_refused(mta):
    from ole32_bindings.dlls import ffi
    from vtables.latebound import Dispatch

    obj = fast_class()()
    raw = obj.query_raw(IFast.iid)
    d = Dispatch(obj)
    d.release()
    fn = ffi.cast(IDispatch.Invoke.c_funcptr(), ffi.cast("void ***", raw)[0][IDispatch.Invoke.index])
    assert ffi.cast("IUnknown *", raw).lpVtbl.Release(raw) == 0
    hr = fn(raw, 1, ffi.new("GUID *"), 0, 1, ffi.new("DISPPARAMS *"), ffi.NULL, ffi.NULL, ffi.NULL)
    assert hr & U == CO_E_OBJNOTCONNECTED


# ---- the client: prepared calls -------------------------------------------------------------------------------------


def test_prepared_calls_send_what_write_would(mta):

    d = native_dispatch()
    with d:
        anything = d.Any
        for v in (7, -(2**31), 2**31, 2**40, 2.5, True, False, None, "", NUL_AND_ASTRAL, "\u00e9t\u00e9"):
            assert anything(v, "s") == [type(v).__name__, v, "s"], v  # (2**31 and beyond: VT_I8, the general path)
        assert anything(2.5, NUL_AND_ASTRAL) == ["float", 2.5, NUL_AND_ASTRAL]
        assert anything([1, "x"], "s") == ["list", [1, "x"], "s"]  # not packable: the general path
        assert d.Mix("abc", 7, 2.5) == "abc:7:2.5" and d.Nothing() is None
        assert d.Flags(True, 3) == 100003  # a bool into VARIANT_BOOL, an int into SHORT (coerced by the server)
        assert d.Text(10) == "x" * 10
        assert d.Text(100000) == "x" * 100000  # beyond the frame's text buffer: read from the VARIANT
        assert d.Five(1, 2, 3, 4, "!") == "10!"
        for four in ((1, 2.5, True, None), ("a", "", "b" * 70000, "c"), (False, -1, "\u00e9", 0.0)):
            assert d.Four(*four) == list(four)
        assert d.Mix(s="k", n=1, d=0.5) == "k:1:0.5"  # named: the general path
    with native_dual() as nd:
        assert nd.Greet("you") == "Hello, you" and nd.Greet("you", "Hi") == "Hi, you"
        assert nd.Count == 3 and nd.Name == "native"  # property gets through the prepared call too


def native_dual():
    """A Dispatch of a new NativeDual (native/testlib: C++, IDispatch through ITypeInfo::Invoke)."""
    from ole32_bindings.dlls import ffi
    from vtables.client import client_class
    from vtables.latebound import Dispatch

    tffi, _ = load()
    raw = new_dispatch("native")
    ptr = client_class(IDispatch).from_raw(ffi.cast("void *", int(tffi.cast("uintptr_t", raw))))
    try:
        return Dispatch(ptr)
    finally:
        ptr.release()


def test_prepared_call_failures_raise_as_invoke_reports(mta):
    from vtables.latebound import DispatchError

    d = native_dispatch()
    with d:
        fail = d.Fail
        for _ in range(2):  # (the frame is given back after a failure)
            with pytest.raises(DispatchError) as e:
                fail("broken")
            assert (e.value.hresult, e.value.description, e.value.source) == (
                DISP_E_EXCEPTION,
                "broken",
                "Ole32Bindings.Test.Fast",
            )
            assert e.value.scode & U == E_INVALIDARG
        with pytest.raises(DispatchError) as e:
            d.Mix("abc", "seven", 2.5)
        assert e.value.hresult == DISP_E_TYPEMISMATCH and e.value.argument == 1
        assert d.Mix("abc", 7, 2.5) == "abc:7:2.5"
    with native_dual() as nd:
        with pytest.raises(DispatchError) as e:
            nd.Fail()
        assert (e.value.source, e.value.description, e.value.scode & U) == (
            "NativeDual",
            "NativeDual.Fail failed as asked",
            0x80040200,
        )


def test_a_released_dispatchs_bound_methods_refuse(mta):
    from vtables.client import ReleasedPointerError
    from vtables.latebound import Dispatch

    for d in (native_dispatch(), Dispatch(fast_class()())):  # through Invoke, and the same-context direct call
        mix, nothing = d.Mix, d.Nothing
        assert mix("a", 1, 1.0) == "a:1:1" and nothing() is None
        d.release()
        with pytest.raises(ReleasedPointerError):
            mix("a", 1, 1.0)
        with pytest.raises(ReleasedPointerError):
            nothing()


def test_re_entrant_calls_of_one_bound_method(mta):
    """Again(3) calls the same bound method from inside its own call (the frame is in use): the general path
    answers the inner calls, and the frame serves the next outer call again."""
    Fast = fast_class()
    d = native_dispatch()
    with d:
        again = d.Again
        Fast.client = again
        try:
            assert again(3) == 3 and again(3) == 3 and again(0) == 0
        finally:
            Fast.client = None


def test_one_bound_method_from_several_threads(mta):
    from ole32_bindings import apartments

    with native_dual() as nd:
        greet = nd.Greet  # one frame for every thread: a busy one sends the others the general path
        errors = []

        def run(k):
            apartments.co_initialize()
            try:
                for i in range(300):
                    who = f"t{k}-{i}"
                    got = greet(who)
                    if got != f"Hello, {who}":
                        errors.append(got)
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)
            finally:
                apartments.co_uninitialize()

        threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []


# ---- the same-context client: direct calls ---------------------------------------------------------------------------


def test_same_context_calls_are_direct_and_agree_with_invoke(mta):
    from vtables.latebound import Dispatch, DispatchError

    direct, through = Dispatch(fast_class()()), native_dispatch()
    with direct, through:
        assert direct.Where().startswith("<vtables direct")
        assert through.Where().startswith("<vtables dispatch")
        calls = [
            ("Nothing", ()),
            ("Mix", ("abc", 7, 2.5)),
            ("Mix", (NUL_AND_ASTRAL, -1, float("inf"))),
            ("Mix", ("abc", "7", 2.5)),  # not the declared type: through Invoke (coerced)
            ("Mix", ("abc", 2**40, 2.5)),  # beyond LONG: through Invoke (refused)
            ("Flags", (True, 7)),
            ("Five", (1, 2, 3, 4, "e")),
            ("Any", (None, "s")),
            ("Any", (2**31 - 1, "s")),
            ("Any", (2.5, "s")),
            ("Text", (3,)),
            ("Count", ()),  # a result the declared type refuses
            ("Fail", ("broken",)),
        ]
        for name, args in calls:
            outcomes = []
            for d in (direct, through):
                try:
                    outcomes.append(("ok", getattr(d, name)(*args)))
                except DispatchError as e:
                    outcomes.append(("error", e.hresult, e.scode, e.source, e.description, e.argument))
            assert outcomes[0] == outcomes[1], (name, args)


def test_direct_results_that_are_objects_are_dispatches(mta):
    from vtables.latebound import Dispatch

    obj = fast_class()()
    with Dispatch(obj) as d:
        with d.Self() as same:
            assert isinstance(same, Dispatch) and same == d
            assert same.Mix("a", 1, 0.5) == "a:1:0.5"
        assert obj.com_refcount == 1  # the Dispatch's own reference only


# ---- without the native core -----------------------------------------------------------------------------------------


@pytest.mark.skipif(os.environ.get("VTABLES_NATIVE_CORE") == "0", reason="already the Python fallback")
def test_the_python_fallback_passes_these_tests():
    """VTABLES_NATIVE_CORE=0: no vt_Invoke, no vt_dispatch_call: the Python entry and the general client path must
    give the same answers."""
    env = dict(os.environ, VTABLES_NATIVE_CORE="0")
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--benchmark-disable", __file__, "-x"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert " passed" in r.stdout and " failed" not in r.stdout
