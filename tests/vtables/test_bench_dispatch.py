"""Late-bound calls in-process, every client library against the C++ IBenchDual and ours, in one run
(pytest-benchmark; `make bench-micro`; `make test` runs each once with benchmarking disabled).

Two groups, IBenchDual's (bench/README.md): ``late-bound Nothing`` (``Nothing()``, result VT_EMPTY) and
``late-bound Mix`` (``Mix("abc", 7, 2.5)`` -> VT_BSTR ``"abc:7:2.5"``). In each, ``impl`` names client -> server:

* ``cpp`` (C++ -> C++, the floor): the test DLL's loop (TL_LoopInvokeNothing / TL_LoopInvokeMix: DISPPARAMS built per
  call, the BSTR argument allocated and freed per call, every result checked) on its C++ IBenchDual, which answers
  IDispatch through ITypeInfo::Invoke as ATL does;
* ``cpp->ours``: the same loop on our Python IBenchDual (vtables.dispatch); ``cpp->pywin32``: on a pywin32-served
  object (win32com.server.util.wrap, pywin32's policy);
* ``ours->cpp``: vtables.latebound.Dispatch, bound methods taken once (``nothing = d.Nothing``);
* ``ours->ours (same context)``: the same on our object in this thread's context (the direct call: no VARIANT);
  ``ours->ours (Invoke)``: on our object created on another MTA thread (IDispatch::Invoke through its vtable);
* ``pywin32 Invoke->cpp``: PyIDispatch.Invoke with the DISPID found once; ``pywin32 InvokeTypes->cpp``:
  PyIDispatch.InvokeTypes with the types makepy writes (what bench/run.py's rows use); ``pywin32 Dispatch->cpp``:
  win32com.client.Dispatch (dynamic), bound methods taken once;
* ``comtypes dynamic->cpp``: comtypes.client.dynamic.Dispatch (lazybind, from the type information), bound methods
  taken once; ``comtypes Invoke->cpp``: comtypes.automation.IDispatch.Invoke with the DISPID.

Each round makes N calls (extra_info ``ops_per_round``); every benchmark checks its result first, and the native
loops check every call. ``tools/bench_ratios.py`` prints each median per call with its ratio to ``cpp``.
"""

from __future__ import annotations

import sys
import threading

import pytest
from testlib import load, new_dispatch

from vtables import method
from vtables.interfaces import IDispatch

pytestmark = pytest.mark.runtime

N = 1000
MIX_ARGS = ("abc", 7, 2.5)
MIX = "abc:7:2.5"


class IBenchDual(IDispatch):
    """IBenchDual as native/bench/benchdual.idl declares it (bench/README.md)."""

    iid = "{7782D954-1218-4973-A2D7-3791F94773C1}"
    Nothing = method("[id(1)] HRESULT Nothing()")
    Work = method("[id(2)] HRESULT Work([in] LONG n, [out, retval] LONG *sum)")
    Mix = method("[id(3)] HRESULT Mix([in] BSTR s, [in] LONG n, [in] double d, [out, retval] VARIANT *result)")


_made: list = []


def ours_class():
    if not _made:
        from vtables import ComObject

        class PyBenchDual(ComObject, implements=[IBenchDual]):
            def Nothing(self):
                return None

            def Work(self, n):
                return sum(range(n)) % 2**31

            def Mix(self, s, n, d):
                return f"{s}:{n}:{d:.17g}"

        _made.append(PyBenchDual)
    return _made[0]


def _info(benchmark, op, impl):
    benchmark.extra_info.update(group=f"late-bound {op}", impl=impl, ops_per_round=N)


def _loop(fn, *args):
    def run():
        for _ in range(N):
            fn(*args)

    return run


@pytest.fixture
def libs(mta):
    """pythoncom and comtypes, imported joining the MTA (the test thread's apartment)."""
    sys.coinit_flags = 0
    import comtypes.automation
    import comtypes.client
    import pythoncom

    return pythoncom, comtypes


@pytest.fixture
def cpp(mta):
    """The C++ IBenchDual (native/testlib), as the test DLL's ``void *`` and as our ComPtr."""
    from ole32_bindings.dlls import ffi
    from vtables.client import client_class

    tffi, lib = load()
    raw = new_dispatch("bench")
    ptr = client_class(IDispatch).from_borrowed(ffi.cast("void *", int(tffi.cast("uintptr_t", raw))))
    yield raw, ptr
    ptr.release()
    assert lib.TL_Release(raw) == 0


def _tl(ptr):
    """Our ComPtr as the test DLL's ``void *`` (borrowed)."""
    from ole32_bindings.dlls import ffi

    tffi, _ = load()
    return tffi.cast("void *", int(ffi.cast("uintptr_t", ptr.as_raw())))


def _native_loop(benchmark, raw, op, impl):
    _, lib = load()
    loop = lib.TL_LoopInvokeNothing if op == "Nothing" else lib.TL_LoopInvokeMix
    assert loop(raw, 1) == 0  # every call's result checked by the loop itself
    _info(benchmark, op, impl)
    benchmark(lambda: loop(raw, N))
    assert loop(raw, 1) == 0


def _bound_ours(benchmark, d, op, impl):
    if op == "Nothing":
        fn, args, expect = d.Nothing, (), None
    else:
        fn, args, expect = d.Mix, MIX_ARGS, MIX
    assert fn(*args) == expect
    _info(benchmark, op, impl)
    benchmark(_loop(fn, *args))
    assert fn(*args) == expect


OPS = ["Nothing", "Mix"]


@pytest.mark.parametrize("op", OPS)
def test_cpp_to_cpp(benchmark, cpp, op):
    _native_loop(benchmark, cpp[0], op, "cpp")


@pytest.mark.parametrize("op", OPS)
def test_cpp_to_ours(benchmark, mta, op):
    with ours_class()().as_ptr(IDispatch) as p:
        _native_loop(benchmark, _tl(p), op, "cpp->ours")


@pytest.mark.parametrize("op", OPS)
def test_cpp_to_pywin32(benchmark, libs, op):
    pythoncom, _ = libs
    from win32com.server.util import wrap

    class PwDual:
        _public_methods_ = ["Nothing", "Mix"]

        def Nothing(self):
            return pythoncom.Empty  # (None would be VT_NULL: the loop checks VT_EMPTY)

        def Mix(self, s, n, d):
            return f"{s}:{n}:{d:.17g}"

    with _from_pywin32(wrap(PwDual())) as p:
        _native_loop(benchmark, _tl(p), op, "cpp->pywin32")


@pytest.mark.parametrize("op", OPS)
def test_ours_to_cpp(benchmark, cpp, op):
    from vtables.latebound import Dispatch

    with Dispatch(cpp[1]) as d:
        _bound_ours(benchmark, d, op, "ours->cpp")


@pytest.mark.parametrize("op", OPS)
def test_ours_to_ours_same_context(benchmark, mta, op):
    from vtables.latebound import Dispatch

    with Dispatch(ours_class()()) as d:
        _bound_ours(benchmark, d, op, "ours->ours (same context)")


@pytest.mark.parametrize("op", OPS)
def test_ours_to_ours_through_invoke(benchmark, mta, op):
    from ole32_bindings import apartments
    from vtables.latebound import Dispatch

    made = []

    def make():  # created on another MTA thread: not this thread's context, so called through its vtable
        apartments.co_initialize()
        try:
            made.append(ours_class()().as_ptr(IDispatch))
        finally:
            apartments.co_uninitialize()

    t = threading.Thread(target=make)
    t.start()
    t.join()
    with made[0] as p, Dispatch(p) as d:
        _bound_ours(benchmark, d, op, "ours->ours (Invoke)")


@pytest.mark.parametrize("op", OPS)
def test_pywin32_invoke_to_cpp(benchmark, libs, cpp, op):
    pythoncom, _ = libs
    disp = pythoncom.ObjectFromAddress(cpp[1].address(), pythoncom.IID_IDispatch)
    dispid = disp.GetIDsOfNames(op)
    args = () if op == "Nothing" else MIX_ARGS
    expect = None if op == "Nothing" else MIX
    invoke = disp.Invoke
    assert invoke(dispid, 0x400, pythoncom.DISPATCH_METHOD, True, *args) == expect
    _info(benchmark, op, "pywin32 Invoke->cpp")
    benchmark(_loop(invoke, dispid, 0x400, pythoncom.DISPATCH_METHOD, True, *args))
    del invoke, disp


@pytest.mark.parametrize("op", OPS)
def test_pywin32_invoke_types_to_cpp(benchmark, libs, cpp, op):
    pythoncom, _ = libs
    disp = pythoncom.ObjectFromAddress(cpp[1].address(), pythoncom.IID_IDispatch)
    dispid = disp.GetIDsOfNames(op)
    if op == "Nothing":
        types, args, expect = ((24, 0), ()), (), None  # VT_VOID
    else:
        types, args, expect = ((12, 0), ((8, 1), (3, 1), (5, 1))), MIX_ARGS, MIX  # VARIANT; BSTR, LONG, double
    invoke = disp.InvokeTypes
    assert invoke(dispid, 0x400, pythoncom.DISPATCH_METHOD, *types, *args) == expect
    _info(benchmark, op, "pywin32 InvokeTypes->cpp")
    benchmark(_loop(invoke, dispid, 0x400, pythoncom.DISPATCH_METHOD, *types, *args))
    del invoke, disp


@pytest.mark.parametrize("op", OPS)
def test_pywin32_dispatch_to_cpp(benchmark, libs, cpp, op):
    pythoncom, _ = libs
    import win32com.client

    d = win32com.client.Dispatch(pythoncom.ObjectFromAddress(cpp[1].address(), pythoncom.IID_IDispatch))
    fn = getattr(d, op)
    args = () if op == "Nothing" else MIX_ARGS
    expect = None if op == "Nothing" else MIX
    assert fn(*args) == expect
    _info(benchmark, op, "pywin32 Dispatch->cpp")
    benchmark(_loop(fn, *args))
    del fn, d


def _comtypes_dispatch(comtypes, ptr):
    """comtypes' IDispatch pointer to the object behind our ComPtr (its own reference, released when collected)."""
    import ctypes

    unk = ctypes.cast(ctypes.c_void_p(ptr.address()), ctypes.POINTER(comtypes.IUnknown))
    unk.AddRef()  # comtypes releases it when `unk` is collected
    return unk.QueryInterface(comtypes.automation.IDispatch)


@pytest.mark.parametrize("op", OPS)
def test_comtypes_dynamic_to_cpp(benchmark, libs, cpp, op):
    import gc

    _, comtypes = libs
    from comtypes.client import dynamic, lazybind

    d = dynamic.Dispatch(_comtypes_dispatch(comtypes, cpp[1]))
    assert isinstance(d, lazybind.Dispatch)  # the type information's: DISPIDs from ITypeComp::Bind
    fn = getattr(d, op)
    args = () if op == "Nothing" else MIX_ARGS
    expect = None if op == "Nothing" else MIX
    assert fn(*args) == expect
    _info(benchmark, op, "comtypes dynamic->cpp")
    benchmark(_loop(fn, *args))
    del fn, d
    gc.collect()  # comtypes releases its pointers when they are collected


@pytest.mark.parametrize("op", OPS)
def test_comtypes_invoke_to_cpp(benchmark, libs, cpp, op):
    import gc

    _, comtypes = libs
    disp = _comtypes_dispatch(comtypes, cpp[1])
    dispid = disp.GetIDsOfNames(op)[0]
    args = () if op == "Nothing" else MIX_ARGS
    expect = None if op == "Nothing" else MIX
    invoke = disp.Invoke
    assert invoke(dispid, *args) == expect
    _info(benchmark, op, "comtypes Invoke->cpp")
    benchmark(_loop(invoke, dispid, *args))
    del invoke, disp
    gc.collect()


class _from_pywin32:
    """Our ComPtr to a pywin32 PyIDispatch's object, through the Global Interface Table (registered by pywin32,
    fetched by us: in the same apartment the GIT hands back the object itself). A context manager."""

    def __init__(self, served):
        import pythoncom

        from ole32_bindings.activation import create_instance
        from ole32_bindings.guid import Guid
        from vtables.client import client_class
        from vtables.interfaces import IGlobalInterfaceTable

        git = pythoncom.CoCreateInstance(
            pythoncom.CLSID_StdGlobalInterfaceTable,
            None,
            pythoncom.CLSCTX_INPROC_SERVER,
            pythoncom.IID_IGlobalInterfaceTable,
        )
        cookie = git.RegisterInterfaceInGlobal(served, pythoncom.IID_IDispatch)
        ours = client_class(IGlobalInterfaceTable).from_raw(
            create_instance(Guid("{00000323-0000-0000-C000-000000000046}"), IGlobalInterfaceTable.iid, 1)
        )
        try:
            self.ptr = ours.GetInterfaceFromGlobal(cookie, IDispatch.iid)
        finally:
            ours.RevokeInterfaceFromGlobal(cookie)
            ours.release()
            del git, served

    def __enter__(self):
        return self.ptr

    def __exit__(self, *exc):
        self.ptr.release()
