"""The native IDispatch objects of the test DLL (native/testlib/dispatch.cpp) behave as Automation requires, seen
through a client nobody here wrote: pywin32's ``win32com.client.Dispatch`` (type-information driven) and
``DumbDispatch`` (names only), on the raw pointer (``pythoncom.ObjectFromAddress``). Every test ends with no native
object alive (``TL_DualLiveObjects``). The late-bound client of this project is tested against the same objects."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

import pytest
from testlib import (
    DLL,
    CLSID_NativeDual,
    IID_IBenchDual,
    IID_INativeDual,
    LIBID_BenchDualLib,
    LIBID_NativeDualLib,
    load,
    new_dispatch,
)

pytestmark = pytest.mark.runtime

DISP_E_EXCEPTION = -2147352567  # 0x80020009, as pywin32 reports HRESULTs (signed)
DISP_E_BADINDEX = -2147352565  # 0x8002000B
DISP_E_MEMBERNOTFOUND = -2147352573  # 0x80020003
FAIL_SCODE = -2147220992  # 0x80040200: what NativeDual.Fail returns


@pytest.fixture
def dispatch(mta) -> Any:
    """make(kind="native", dumb=False) -> a pywin32 Dispatch of a new native object (pywin32 holds the only
    reference). After the test, once pywin32's objects are gone, no native dispatch object may be alive."""
    import pythoncom  # after `mta`: pywin32's own CoInitialize then fails harmlessly (RPC_E_CHANGED_MODE)
    import win32com.client
    import win32com.client.dynamic

    ffi, lib = load()
    assert lib.TL_DualLiveObjects() == 0

    def make(kind: str = "native", dumb: bool = False) -> Any:
        raw = new_dispatch(kind)
        try:
            disp = pythoncom.ObjectFromAddress(int(ffi.cast("uintptr_t", raw)), pythoncom.IID_IDispatch)
        finally:
            lib.TL_Release(raw)  # pywin32's PyIDispatch took its own reference
        if dumb:
            return win32com.client.dynamic.DumbDispatch(disp)
        return win32com.client.Dispatch(disp)

    yield make
    gc.collect()
    assert lib.TL_DualLiveObjects() == 0, "native dispatch objects left alive"


def _com_error(call: Callable[[], Any]) -> Any:
    import pywintypes

    with pytest.raises(pywintypes.com_error) as info:
        call()
    return info.value


def test_type_libraries_load_from_the_dll(mta):
    import pythoncom
    import pywintypes

    lib = pythoncom.LoadTypeLib(DLL)  # TYPELIB resource 1
    assert str(lib.GetLibAttr()[0]) == LIBID_NativeDualLib
    info = lib.GetTypeInfoOfGuid(pywintypes.IID(IID_INativeDual))
    attr = info.GetTypeAttr()
    assert attr.typekind == pythoncom.TKIND_DISPATCH and attr.wTypeFlags & pythoncom.TYPEFLAG_FDUAL
    names = {info.GetNames(info.GetFuncDesc(i).memid)[0] for i in range(attr.cFuncs)}
    assert {"Name", "Greet", "Swap", "Bump", "Fail", "HasArg", "Count", "Item", "_NewEnum"} <= names
    coclass = lib.GetTypeInfoOfGuid(pywintypes.IID(CLSID_NativeDual))
    assert coclass.GetTypeAttr().typekind == pythoncom.TKIND_COCLASS
    bench = pythoncom.LoadTypeLib(DLL + "\\2")  # TYPELIB resource 2
    assert str(bench.GetLibAttr()[0]) == LIBID_BenchDualLib
    assert bench.GetTypeInfoOfGuid(pywintypes.IID(IID_IBenchDual)).GetTypeAttr().cFuncs == 7 + 3
    del lib, info, coclass, bench


def test_string_property_get_and_put(dispatch):
    o = dispatch()
    assert o.Name == "native"
    o.Name = "renamed"
    assert o.Name == "renamed"
    assert o.NAME == "renamed"  # not in pywin32's cache under this spelling: GetIDsOfNames, case-insensitive
    o.Name = "é\u20ac\U0001f600"
    assert o.Name == "é\u20ac\U0001f600"


def test_optional_argument_takes_its_default(dispatch):
    o = dispatch()
    assert o.Greet("World") == "Hello, World"
    assert o.Greet("World", "Hi") == "Hi, World"
    assert o.Greet("World", greeting="Bye") == "Bye, World"  # a named argument


def test_byref_arguments_are_written_back(dispatch):
    o = dispatch()
    assert o.Swap(1, "x") == ("x", 1)  # [in, out] VARIANT *: both come back, exchanged
    assert o.Bump(41) == 42  # [in, out] LONG *


def test_omitted_optional_variant_arrives_as_param_not_found(dispatch):
    import pythoncom

    o = dispatch()
    assert o.HasArg() is False
    assert o.HasArg(pythoncom.Missing) is False
    assert o.HasArg(5) is True
    assert o.HasArg(None) is True  # VT_EMPTY is a value, not an omission


def test_failure_is_disp_e_exception_with_the_methods_error_info(dispatch):
    o = dispatch()
    e = _com_error(o.Fail)
    assert e.hresult == DISP_E_EXCEPTION
    _wcode, source, description, _helpfile, _helpcontext, scode = e.excepinfo
    assert (source, description, scode) == ("NativeDual", "NativeDual.Fail failed as asked", FAIL_SCODE)


def test_default_member_count_and_bad_index(dispatch):
    o = dispatch()
    assert len(o) == o.Count == 3
    assert [o(i) for i in range(3)] == ["item0", "item1", "item2"]  # DISPID_VALUE with an argument
    assert o.Item(2) == "item2"
    e = _com_error(lambda: o(3))
    assert e.hresult == DISP_E_EXCEPTION
    assert e.excepinfo[1] == "NativeDual" and e.excepinfo[5] == DISP_E_BADINDEX


def test_new_enum_iterates_the_three_items(dispatch):
    o = dispatch()
    assert list(o) == ["item0", "item1", "item2"]
    assert list(o) == ["item0", "item1", "item2"]  # a new enumerator each time


def test_names_only_client_without_type_information(dispatch):
    """DumbDispatch: GetIDsOfNames and Invoke(METHOD | PROPERTYGET) with plain VARIANTs, no type information."""
    d = dispatch(dumb=True)
    assert d.Name == "native"
    d.Name = "dumb"
    assert d.Name == "dumb"
    assert d.Greet("World") == "Hello, World"
    assert d.Count == 3
    assert d(1) == "item1"  # DISPID_VALUE with DISPATCH_METHOD | DISPATCH_PROPERTYGET
    # `d.Item(1)` would be DISPATCH_METHOD alone on a [propget]: DISP_E_MEMBERNOTFOUND, as ITypeInfo::Invoke rules
    e = _com_error(lambda: d._oleobj_.Invoke(0, 0, 1, True, 1))
    assert e.hresult == DISP_E_MEMBERNOTFOUND
    e = _com_error(d.Fail)
    assert e.hresult == DISP_E_EXCEPTION and e.excepinfo[1:3] == ("NativeDual", "NativeDual.Fail failed as asked")
    with pytest.raises(AttributeError):  # GetIDsOfNames: DISP_E_UNKNOWNNAME
        d.NoSuchMember  # noqa: B018


def test_type_information_and_class_information(dispatch):
    import pythoncom

    o = dispatch()
    disp = o._oleobj_
    assert disp.GetTypeInfoCount() == 1
    attr = disp.GetTypeInfo().GetTypeAttr()
    assert str(attr.iid) == IID_INativeDual
    pci = disp.QueryInterface(pythoncom.IID_IProvideClassInfo)
    assert str(pci.GetClassInfo().GetTypeAttr().iid) == CLSID_NativeDual
    del o, disp, pci


def test_bench_dual_through_pywin32(dispatch):
    b = dispatch("bench")
    assert b.Nothing() is None
    assert b.Work(100) == 4950
    assert b.Mix("abc", 7, 2.5) == "abc:7:2.5"
    assert b.Mix("", -3, 0.1) == ":-3:0.10000000000000001"  # printf "%.17g", as bench/README.md states
    e = _com_error(lambda: b.Work(-1))
    assert e.hresult == DISP_E_EXCEPTION and e.excepinfo[5] == -2147024809  # E_INVALIDARG


def test_native_loops_call_an_idispatch_late_bound(mta):
    """TL_LoopInvoke*: the C++ client's late-bound loops (GetIDsOfNames once, Invoke per call, results checked)."""
    ffi, lib = load()
    raw = new_dispatch("bench")
    try:
        assert lib.TL_LoopInvokeNothing(raw, 1000) == 0
        last = ffi.new("LONG *")
        assert lib.TL_LoopInvokeWork(raw, 5, 100, last) == 0 and last[0] == 4950
        assert lib.TL_LoopInvokeMix(raw, 1000) == 0
        assert lib.TL_LoopInvokeWork(raw, 1, -1, last) & 0xFFFFFFFF == 0x80070057  # E_INVALIDARG (EXCEPINFO's scode)
    finally:
        assert lib.TL_Release(raw) == 0
    native = new_dispatch("native")
    try:  # an IDispatch without Nothing: GetIDsOfNames' DISP_E_UNKNOWNNAME, before any call
        assert lib.TL_LoopInvokeNothing(native, 1) & 0xFFFFFFFF == 0x80020006
    finally:
        assert lib.TL_Release(native) == 0
    assert lib.TL_DualLiveObjects() == 0
