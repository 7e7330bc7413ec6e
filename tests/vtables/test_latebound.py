"""The late-bound client (vtables.latebound) calling objects nobody here wrote: Wine's Scripting.Dictionary and
Scripting.FileSystemObject (scrrun.dll, typelib-driven), pywin32-served objects (no type information); and
ownership under the autouse leak check. Its COM-free rules are tested in test_dispcall.py."""

from __future__ import annotations

import contextlib
import sys

import pytest

DISP_E_EXCEPTION = 0x80020009
DISP_E_UNKNOWNNAME = 0x80020006

# ---- runtime: helpers -------------------------------------------------------------------------------------------


def _gc_settled():
    import gc

    gc.collect()


@contextlib.contextmanager
def pywin32_served(obj):
    """A pywin32-served IDispatch (``win32com.server.util.wrap``) as our ComPtr, moved across through the GIT
    (registered by pywin32, fetched by us: in the same apartment the GIT hands back the object itself)."""
    sys.coinit_flags = 0  # pythoncom joins COM on import: the MTA, like the test thread
    import pythoncom
    from win32com.server.util import wrap

    from ole32_bindings.activation import create_instance
    from ole32_bindings.guid import Guid
    from vtables.client import client_class
    from vtables.interfaces import IDispatch, IGlobalInterfaceTable

    served = obj if type(obj).__name__.startswith("PyI") else wrap(obj)
    py_git = pythoncom.CoCreateInstance(
        pythoncom.CLSID_StdGlobalInterfaceTable,
        None,
        pythoncom.CLSCTX_INPROC_SERVER,
        pythoncom.IID_IGlobalInterfaceTable,
    )
    cookie = py_git.RegisterInterfaceInGlobal(served, pythoncom.IID_IDispatch)
    git = client_class(IGlobalInterfaceTable).from_raw(
        create_instance(Guid("{00000323-0000-0000-C000-000000000046}"), IGlobalInterfaceTable.iid, 1)
    )
    try:
        ptr = git.GetInterfaceFromGlobal(cookie, IDispatch.iid)
        try:
            yield ptr
        finally:
            if not ptr.released:
                ptr.release()
    finally:
        git.RevokeInterfaceFromGlobal(cookie)
        git.release()
        del served, py_git


# ---- runtime: Scripting.Dictionary ------------------------------------------------------------------------------


@pytest.mark.runtime
def test_dictionary_methods_properties_and_the_default_member(mta):
    from vtables.latebound import Dispatch, type_members

    with Dispatch("Scripting.Dictionary") as d:
        assert {"Add", "Item", "Count", "Keys", "Exists", "Remove", "CompareMode", "_NewEnum"} <= set(type_members(d))
        assert d.Add("a", 1) is None
        d.Add("b", "two")
        assert d.Count == 2 and len(d) == 2
        assert d.count == 2 and d.COUNT == 2  # names are case-insensitive
        assert d["a"] == 1 and d.Item("b") == "two" and d.Item["a"] == 1
        assert d.Exists("a") is True and d.Exists("zz") is False
        assert d.Keys() == ["a", "b"]  # a SAFEARRAY of VARIANT
        assert d.Items() == [1, "two"]
        d["c"] = 3.5  # DISPID_VALUE put
        d.Item["a"] = 10  # an indexed property put
        assert (d["a"], d["c"], d.Count) == (10, 3.5, 3)
        d.Remove("c")
        assert d.Count == 2
        d.RemoveAll()
        assert d.Count == 0 and len(d) == 0 and bool(d)


@pytest.mark.runtime
def test_dictionary_iteration_and_contains(mta):
    from vtables.latebound import Dispatch

    with Dispatch("Scripting.Dictionary") as d:
        keys = [f"k{i}" for i in range(40)]  # more than one IEnumVARIANT::Next batch
        for i, k in enumerate(keys):
            d.Add(k, i)
        assert list(d) == keys
        assert "k3" in d and "nope" not in d
        it = iter(d)
        assert next(it) == "k0"
        it.close()  # releases the enumerator, clears what it fetched
        for k in d:
            if k == "k5":
                break
        _gc_settled()
    with Dispatch("Scripting.Dictionary") as empty:
        assert list(empty) == []


@pytest.mark.runtime
def test_dictionary_property_put_and_named_arguments(mta):
    from vtables.latebound import Dispatch

    with Dispatch("Scripting.Dictionary") as d:
        assert d.CompareMode == 0
        d.CompareMode = 1  # TextCompare: keys compare case-insensitively
        assert d.CompareMode == 1
        d.Add(Key="A", Item="named")  # named arguments: DISPIDs from GetIDsOfNames
        d.Add("b", Item=2)
        assert d.Exists("a") and d["a"] == "named" and d["B"] == 2


@pytest.mark.runtime
def test_dictionary_errors(mta):
    from vtables.latebound import Dispatch, DispatchError, UnknownNameError

    with Dispatch("Scripting.Dictionary") as d:
        d.Add("a", 1)
        with pytest.raises(DispatchError) as dup:
            d.Add("a", 2)
        # ITypeInfo::Invoke turns the method's failure into DISP_E_EXCEPTION with the method's code as scode:
        # 0x800A01C9, VB's error 457, "This key is already associated with an element of this collection"
        assert (dup.value.hresult, dup.value.scode, dup.value.member) == (DISP_E_EXCEPTION, 0x800A01C9, "Add")
        with pytest.raises(UnknownNameError) as unknown:
            d.NoSuchMember  # noqa: B018
        assert unknown.value.hresult == DISP_E_UNKNOWNNAME and unknown.value.member == "NoSuchMember"
        assert not hasattr(d, "NoSuchMember") and hasattr(d, "Count")
        with pytest.raises(UnknownNameError):
            d.NoSuchMember = 1
        with pytest.raises(DispatchError) as kw:
            d.Add("b", Nope=1)
        assert kw.value.hresult == DISP_E_UNKNOWNNAME and kw.value.argument == "Nope"
        with pytest.raises(TypeError, match="object"):
            d.Add("x", object())  # cannot be converted: nothing sent, nothing leaked
        assert d.Count == 1


@pytest.mark.runtime
def test_dictionary_type_information_is_read_once_per_type(mta):
    from vtables.latebound import Dispatch

    with Dispatch("Scripting.Dictionary") as a, Dispatch("Scripting.Dictionary") as b:
        assert a.Count == 0 and b.Count == 0
        assert a._table is b._table and a._table.name == "IDictionary" and a._table.dual
        assert "IDictionary" in repr(a)
    assert repr(a) == "<Dispatch released>"


@pytest.mark.runtime
def test_dictionary_without_type_information_is_called_as_vbscript_calls(mta):
    """typeinfo=False: every member untyped. A property read is METHOD|PROPERTYGET; a method needing arguments
    answers that it needs them and becomes callable; a method without arguments runs on access."""
    from vtables.latebound import Dispatch, call

    with Dispatch("Scripting.Dictionary", typeinfo=False) as d:
        d.Add("a", 1)  # DISP_E_BADPARAMCOUNT / PARAMNOTOPTIONAL on the bare access -> a method
        assert d.Count == 1 and d.Exists("a") is True
        assert d.Keys == ["a"]  # no arguments: the access itself called it
        assert call(d, "Keys") == ["a"]
        assert d._table.guid is None


# ---- runtime: ownership -----------------------------------------------------------------------------------------


@pytest.mark.runtime
def test_each_dispatch_holds_exactly_one_reference(mta):
    from vtables import leaks
    from vtables.client import ReleasedPointerError, client_class
    from vtables.interfaces import IDispatch
    from vtables.latebound import Dispatch

    held = leaks.held_references
    d = Dispatch("Scripting.Dictionary")
    assert leaks.held_references == held + 1
    d.Add("k", 1)
    assert leaks.held_references == held + 1  # calls hold nothing afterwards
    # a second Dispatch of the same object from a ComPtr: its own reference, the ComPtr keeps its own
    with client_class(IDispatch).from_borrowed(d._ptr.as_raw()) as p:
        e = Dispatch(p)
        assert leaks.held_references == held + 3
        assert e == d and hash(e) == hash(d)  # COM identity
        assert e["k"] == 1
        e.release()
    with Dispatch(d) as f:
        assert f == d
    assert d.release() == 0  # ours was the last reference
    assert d.released
    with pytest.raises(ReleasedPointerError):
        d.Count  # noqa: B018
    with pytest.raises(ReleasedPointerError):
        d.release()
    assert leaks.held_references == held


@pytest.mark.runtime
def test_arguments_are_cleared_after_the_call_even_when_it_fails(mta):
    """A Python COM object passed as an argument is AddRef'd into a VARIANT of DISPPARAMS: its count is back where
    it was after a call that succeeded, one that failed in the callee, and one that failed converting a later
    argument."""
    from vtables.interfaces import IPersist
    from vtables.latebound import Dispatch, DispatchError
    from vtables.object import ComObject

    class Token(ComObject, implements=[IPersist]):
        def GetClassID(self):
            from ole32_bindings.guid import GUID_NULL

            return GUID_NULL

    token = Token()
    with token.as_ptr() as keep, Dispatch("Scripting.Dictionary") as d:
        base = token.com_refcount
        assert d.Exists(keep) is False
        assert token.com_refcount == base
        with pytest.raises(DispatchError):
            d.Remove(keep)  # not there: the callee fails
        assert token.com_refcount == base
        with pytest.raises(TypeError):
            d.Add(object(), keep)  # rgvarg[0] (keep) was written, then the key failed to convert
        assert token.com_refcount == base
        d.Add("t", keep)  # the dictionary keeps its own reference(s)
        assert token.com_refcount > base
        d.RemoveAll()
        assert token.com_refcount == base


@pytest.mark.runtime
def test_object_results_are_new_dispatches_the_caller_releases(mta):
    from vtables import leaks
    from vtables.latebound import Dispatch

    with Dispatch("Scripting.Dictionary") as outer, Dispatch("Scripting.Dictionary") as inner:
        inner.Add("x", 1)
        outer.Add("inner", inner)
        held = leaks.held_references
        got = outer["inner"]
        assert isinstance(got, Dispatch) and got == inner and got is not inner
        assert leaks.held_references == held + 1
        assert got["x"] == 1
        got.release()
        items = outer.Items()  # an array of VARIANT holding an object
        assert isinstance(items[0], Dispatch) and items[0] == inner
        items[0].release()
        values = list(outer.Items())
        values[0].release()
        assert leaks.held_references == held
        outer.RemoveAll()


# ---- runtime: Scripting.FileSystemObject ------------------------------------------------------------------------


@pytest.mark.runtime
def test_filesystemobject_read_only_calls(mta):
    from vtables.latebound import Dispatch, DispatchError

    with Dispatch("Scripting.FileSystemObject") as fso:
        name = fso.GetTempName()
        assert isinstance(name, str) and name.endswith(".tmp")
        assert fso.FolderExists("C:\\windows") is True and fso.FolderExists("C:\\no\\such\\dir") is False
        assert fso.FileExists("C:\\windows\\win.ini") is True
        assert fso.BuildPath("C:\\a", "b") == "C:\\a\\b"
        assert fso.GetExtensionName("x.txt") == "txt" and fso.GetBaseName("C:\\a\\b.txt") == "b"
        assert fso.GetParentFolderName("C:\\a\\b") == "C:\\a"
        with fso.GetFolder("C:\\windows") as folder:
            assert folder.Name.lower() == "windows"
            with folder.Files as files:
                count = files.Count
                assert count == len(files) > 0
                names = []
                for f in files:
                    with f:
                        names.append(f.Name.lower())
                assert len(names) == count and "win.ini" in names
        with pytest.raises(DispatchError) as missing:
            fso.GetFolder("C:\\no\\such\\dir")
        assert missing.value.member == "GetFolder"
        with pytest.raises(TypeError, match="not a collection"):
            iter(fso)  # no DISPID_NEWENUM: DISP_E_MEMBERNOTFOUND, as Python says it
        with pytest.raises(TypeError, match="no Count"):
            len(fso)


# ---- runtime: pywin32-served objects (no type information) ------------------------------------------------------


class _Served:
    _public_methods_ = ["Join", "Fail", "Echo", "GetOther", "Ping"]
    _public_attrs_ = ["Name", "Pings"]

    def __init__(self):
        self.Name = "py"
        self.Pings = 0

    def Join(self, a, sep="-", c=""):
        return f"{a}{sep}{c}"

    def Fail(self, message):
        from win32com.server.exception import COMException

        raise COMException(desc=message, scode=-2147220991, source="Served.Source")  # 0x80040201

    def Echo(self, v):
        return v

    def GetOther(self):
        from win32com.server.util import wrap

        return wrap(_Served())

    def Ping(self):
        self.Pings += 1


@pytest.mark.runtime
def test_pywin32_served_properties_and_methods(mta):
    from ole32_bindings.oavalues import Null
    from vtables.latebound import Dispatch, call, type_members

    with pywin32_served(_Served()) as ptr, Dispatch(ptr, methods=["Join", "Ping"]) as d:
        assert type_members(d) == []  # no type information
        assert d.Name == "py"
        d.Name = "changed"
        assert d.name == "changed"
        assert d.Join("a", "+", "b") == "a+b" and d.Join("a") == "a-"  # hinted: a method
        assert call(d, "Echo", 5) == 5 and call(d, "Echo", "x") == "x"
        d.Ping()
        bound = d.Ping
        assert d.Pings == 1 and callable(bound)  # a hinted method is not called by the attribute access
        assert call(d, "Ping") is Null and d.Pings == 2  # pywin32 returns a Python None as VT_NULL


@pytest.mark.runtime
def test_pywin32_served_exceptions_carry_excepinfo(mta):
    from vtables.latebound import Dispatch, DispatchError, call

    with pywin32_served(_Served()) as ptr, Dispatch(ptr) as d:
        with pytest.raises(DispatchError) as exc:
            call(d, "Fail", "boom")
        e = exc.value
        assert e.hresult == DISP_E_EXCEPTION
        assert (e.source, e.description, e.member) == ("Served.Source", "boom", "Fail")
        assert "boom" in str(e)


@pytest.mark.runtime
def test_pywin32_served_object_results_and_collections(mta):
    from win32com.server.util import NewCollection

    from vtables.latebound import Dispatch, call

    with pywin32_served(_Served()) as ptr, Dispatch(ptr) as d:
        with call(d, "GetOther") as other:
            assert isinstance(other, Dispatch) and other.Name == "py" and other != d
    with pywin32_served(NewCollection(["x", "y", "z"])) as ptr, Dispatch(ptr) as coll:
        assert coll.Count == 3 and len(coll) == 3
        assert list(coll) == ["x", "y", "z"]
        assert coll[1] == "y" and coll(2) == "z"


# ---- runtime: the native C++ object (native/testlib/dispatch.cpp, typelib-driven through ITypeInfo::Invoke) -------


@pytest.fixture
def native(mta):
    """make() -> a Dispatch of a new NativeDual object (``Dispatch`` holds the only reference); ``make(vtable=...)``
    passes the keyword on. After the test no native dispatch object may be alive."""
    from testlib import load, new_dispatch

    from vtables.client import client_class
    from vtables.interfaces import IDispatch
    from vtables.latebound import Dispatch

    _, lib = load()
    assert lib.TL_DualLiveObjects() == 0

    def make(**kw):
        with client_class(IDispatch).from_raw(new_dispatch("native")) as p:
            return Dispatch(p, **kw)

    yield make
    _gc_settled()
    assert lib.TL_DualLiveObjects() == 0, "native dispatch objects left alive"


def _native_dual():
    from testlib import native_dual_interface

    return native_dual_interface()


@pytest.mark.runtime
def test_native_properties_optional_and_named_arguments(native):
    from ole32_bindings.oavalues import Missing
    from vtables.latebound import vtable_interface

    with native() as d:
        assert vtable_interface(d) is None  # the default: Invoke for everything
        assert d.Name == "native"
        d.Name = "renamed"
        assert d.Name == "renamed"
        assert d.Greet("World") == "Hello, World"  # the omitted optional: its defaultvalue, filled by the callee
        assert d.Greet("World", "Hi") == "Hi, World"
        assert d.Greet("World", greeting="Yo") == "Yo, World"  # a named argument
        assert d.Greet(greeting="Hey", who="you") == "Hey, you"  # only named arguments
        assert d.HasArg() is False and d.HasArg(1) is True
        assert d.HasArg(Missing) is False  # VT_ERROR DISP_E_PARAMNOTFOUND: omitted, as VBScript's `obj.HasArg ,`


@pytest.mark.runtime
def test_native_byref_arguments(native):
    from ole32_bindings.oavalues import VT_I4
    from vtables.latebound import ByRef

    with native() as d:
        a, b = ByRef(1), ByRef("two")
        assert d.Swap(a, b) is None
        assert (a.value, b.value) == ("two", 1)
        n = ByRef(41, vt=VT_I4)  # [in, out] LONG *: VT_I4|VT_BYREF
        d.Bump(n)
        assert n.value == 42
        assert n.vt == VT_I4  # the box keeps its type for the next call
        d.Bump(n)
        assert n.value == 43


@pytest.mark.runtime
def test_native_errors_carry_excepinfo(native):
    from ole32_bindings.oavalues import Null
    from vtables.latebound import DISPATCH_METHOD, DispatchError, invoke

    with native() as d:
        with pytest.raises(DispatchError) as failed:
            d.Fail()
        e = failed.value
        assert (e.hresult, e.scode, e.source, e.description, e.member) == (
            DISP_E_EXCEPTION,
            0x80040200,
            "NativeDual",
            "NativeDual.Fail failed as asked",
            "Fail",
        )
        with pytest.raises(DispatchError) as bad_index:
            d[7]
        assert bad_index.value.hresult == DISP_E_EXCEPTION and bad_index.value.scode == 0x8002000B  # BADINDEX
        assert bad_index.value.source == "NativeDual"
        with pytest.raises(DispatchError) as mismatch:
            d.Greet("who", Null)  # VT_NULL does not coerce to the BSTR parameter
        assert mismatch.value.hresult == 0x80020005  # (Wine's ITypeInfo::Invoke leaves puArgErr unset)
        with pytest.raises(DispatchError) as count:
            d.Greet("a", "b", "c")
        assert count.value.hresult == 0x8002000E  # DISP_E_BADPARAMCOUNT
        with pytest.raises(DispatchError) as unknown_id:
            invoke(d, 999, DISPATCH_METHOD)
        assert (unknown_id.value.hresult, unknown_id.value.member) == (0x80020003, 999)  # DISP_E_MEMBERNOTFOUND


@pytest.mark.runtime
def test_native_collection(native):
    with native() as d:
        assert d.Count == 3 and len(d) == 3
        assert [d[i] for i in range(3)] == ["item0", "item1", "item2"] == [d.Item(i) for i in range(3)]
        assert list(d) == ["item0", "item1", "item2"]


@pytest.mark.runtime
def test_native_through_the_vtable(native):
    """vtable=INativeDual: the members whose parameters the declared client converts (Name, Greet, Fail, Count,
    HasArg) go through the vtable; the others (Swap/Bump: [in, out]; Item: an indexed property) through Invoke on
    the same pointer. vtable=True finds the same declaration from the type information's GUID."""
    from vtables.latebound import ByRef, DispatchError, vtable_interface

    INativeDual = _native_dual()
    with native(vtable=INativeDual) as d:
        assert vtable_interface(d) is INativeDual
        assert type(d._ptr).__name__ == "INativeDualPtr"
        assert d.Name == "native"
        d.Name = "v"
        assert d.name == "v"
        assert d.Greet("W") == "Hello, W" and d.Greet("W", greeting="Hi") == "Hi, W"  # the declared default
        assert d.Count == 3 and d[2] == "item2" and list(d) == ["item0", "item1", "item2"]
        a, b = ByRef(1), ByRef(2)
        d.Swap(a, b)
        assert (a.value, b.value) == (2, 1)
        with pytest.raises(DispatchError) as failed:
            d.Fail()  # the vtable's HRESULT + IErrorInfo, raised as Invoke would have raised it
        e = failed.value
        assert (e.hresult, e.scode, e.source, e.description) == (
            DISP_E_EXCEPTION,
            0x80040200,
            "NativeDual",
            "NativeDual.Fail failed as asked",
        )
        with pytest.raises(TypeError, match="missing its argument 'who'"):
            d.Greet()
    with native(vtable=True) as auto:
        assert vtable_interface(auto) is INativeDual and auto.Greet("x") == "Hello, x"
    with native(vtable=False) as plain:
        assert vtable_interface(plain) is None and plain.Greet("x") == "Hello, x"


@pytest.mark.runtime
def test_the_vtable_route_is_the_one_taken(native):
    """A second declaration of INativeDual's first slots whose Greet declares another default: through the vtable
    the client fills the omitted argument from *this* declaration; through Invoke the callee fills it from its own
    type library. The answers differ, so the route taken shows."""
    from vtables.declare import method
    from vtables.interfaces import IDispatch

    class INativeDualHowdy(IDispatch):
        iid = "{1349967C-8220-4CB7-9DF0-4F00B396FCD8}"  # not registered by IID again: the first declaration keeps it
        get_Name = method("[propget, id(1)] HRESULT Name([out, retval] BSTR *value)")
        put_Name = method("[propput, id(1)] HRESULT Name([in] BSTR value)")
        Greet = method(
            '[id(2)] HRESULT Greet([in] BSTR who, [in, optional, defaultvalue("Howdy")] BSTR greeting, '
            "[out, retval] BSTR *result)"
        )

    with native(vtable=INativeDualHowdy) as vt, native() as inv:
        assert vt.Greet("W") == "Howdy, W"
        assert inv.Greet("W") == "Hello, W"
        assert vt.Count == 3  # not declared here: Invoke, on the same pointer


# ---- runtime: a hand-written IDispatch, to see exactly what the client sends and how it takes odd answers ------

DISP_E_TYPEMISMATCH = 0x80020005
DISPID_PROPERTYPUT = -3


def _signed(hr):
    return hr - 0x100000000 if hr & 0x80000000 else hr


def _raw_dispatch(answer=None, names=None):
    """A ComObject implementing IDispatch by hand (raw DISPPARAMS, VARIANT and EXCEPINFO pointers): GetIDsOfNames
    from ``names`` (lower-cased name, or "member.parameter" -> DISPID; unknown -> DISP_E_UNKNOWNNAME), no type
    information, and an Invoke that records each call in ``calls`` (dispid, riid, flags, the rgvarg values as
    ``Variant``s in rgvarg order and their vts, rgdispidNamedArgs, whether pVarResult was NULL) then lets
    ``answer(obj, call, dp, result, excepinfo, arg_err)`` reply (by default: nothing written, S_OK)."""
    from ole32_bindings.dlls import ffi
    from ole32_bindings.hresult import ComError
    from vtables import variant
    from vtables.interfaces import IDispatch
    from vtables.object import ComObject

    class RawDispatch(ComObject, implements=[IDispatch]):
        def __init__(self):
            self.names = names or {"m": 1, "m.a": 0, "m.b": 1, "m.c": 2, "prop": 2, "obj": 3}
            self.calls = []

        def GetTypeInfoCount(self):
            return 0

        def GetTypeInfo(self, index, lcid):
            raise ComError(0x8002802B)  # TYPE_E_ELEMENTNOTFOUND

        def GetIDsOfNames(self, riid, rgsz, count, lcid, ids):
            member = ffi.string(rgsz[0]).lower()
            hr = 0
            for i in range(count):
                name = ffi.string(rgsz[i]).lower()
                ids[i] = self.names.get(name if i == 0 else f"{member}.{name}", -1)
                if ids[i] == -1:
                    hr = _signed(DISP_E_UNKNOWNNAME)
            return hr

        def Invoke(self, dispid, riid, lcid, flags, dp, result, excepinfo, arg_err):
            args = [variant.to_typed(dp.rgvarg + i) for i in range(dp.cArgs)]
            for v in args:
                if hasattr(v.value, "release"):
                    v.value.release()  # to_typed gave us a reference of our own
            call = {
                "dispid": dispid,
                "riid": riid,
                "flags": flags,
                "args": args,
                "vts": [dp.rgvarg[i].vt for i in range(dp.cArgs)],
                "named": [dp.rgdispidNamedArgs[i] for i in range(dp.cNamedArgs)],
                "result_null": result == ffi.NULL,
            }
            self.calls.append(call)
            if answer is None:
                return 0
            return answer(self, call, dp, result, excepinfo, arg_err)

    return RawDispatch()


def _values(call):
    return [v.value for v in call["args"]]


@pytest.mark.runtime
def test_dispparams_as_the_callee_sees_them(mta):
    from ole32_bindings.guid import GUID_NULL
    from ole32_bindings.oavalues import VT_BSTR, VT_BYREF, VT_DISPATCH, Missing
    from vtables.latebound import ByRef, Dispatch, call, invoke

    raw = _raw_dispatch()
    with Dispatch(raw, methods=["m"]) as d, Dispatch("Scripting.Dictionary") as other:
        d.M("a", 2, c=3.5)
        c = raw.calls[-1]
        assert (c["dispid"], c["riid"], c["flags"], c["result_null"]) == (1, GUID_NULL, 1, False)
        assert _values(c) == [3.5, 2, "a"] and c["named"] == [2]  # named first, then positional last first
        d.m(Missing, "b")
        assert _values(raw.calls[-1]) == ["b", Missing]  # a positional gap: VT_ERROR DISP_E_PARAMNOTFOUND
        d.Prop = 5
        c = raw.calls[-1]
        assert (c["dispid"], c["flags"], c["named"], c["result_null"]) == (2, 4, [DISPID_PROPERTYPUT], True)
        d.Obj = other  # an object: PROPERTYPUTREF, passed as VT_DISPATCH
        c = raw.calls[-1]
        assert (c["flags"], c["vts"], c["named"]) == (8, [VT_DISPATCH], [DISPID_PROPERTYPUT])
        d[1, "k"] = "v"  # the default member put: the index arguments, then the value
        c = raw.calls[-1]
        assert (c["dispid"], c["flags"], _values(c), c["named"]) == (0, 4, ["v", "k", 1], [DISPID_PROPERTYPUT])
        assert d["k"] is None  # the default member read: PROPERTYGET|METHOD with the key
        assert (raw.calls[-1]["dispid"], raw.calls[-1]["flags"], _values(raw.calls[-1])) == (0, 3, ["k"])
        invoke(d, 7, 1)
        assert (raw.calls[-1]["dispid"], raw.calls[-1]["flags"], raw.calls[-1]["args"]) == (7, 1, [])
        call(d, "m", ByRef("x", vt=VT_BSTR), ByRef(1))
        assert raw.calls[-1]["vts"] == [0x400C, VT_BSTR | VT_BYREF]  # VT_VARIANT|VT_BYREF, then BSTR *
        with pytest.raises(TypeError, match="not one string"):
            Dispatch(raw, methods="m")
    assert raw.com_refcount == 0


@pytest.mark.runtime
def test_byref_arguments_come_back_written(mta):
    """The callee writes through the VT_BYREF VARIANTs (as a server does, with write_byref_target): the boxes hold
    the new values, objects as new Dispatches; the targets are cleared."""
    from ole32_bindings.oavalues import VT_BSTR
    from vtables import variant
    from vtables.latebound import ByRef, Dispatch

    def swap(obj, call, dp, result, excepinfo, arg_err):
        a, b = dp.rgvarg + 1, dp.rgvarg + 0
        va, vb = variant.to_python(a), variant.to_python(b)
        variant.write_byref_target(a, vb)
        variant.write_byref_target(b, va)
        for v in (va, vb):
            if hasattr(v, "release"):
                v.release()
        return 0

    raw = _raw_dispatch(swap)
    with Dispatch(raw, methods=["m"]) as d, Dispatch("Scripting.Dictionary") as dic:
        a, b = ByRef(1), ByRef("two")
        assert d.M(a, b) is None
        assert (a.value, b.value) == ("two", 1)
        s, t = ByRef("x", vt=VT_BSTR), ByRef("y", vt=VT_BSTR)
        d.M(s, t)
        assert (s.value, t.value) == ("y", "x")
        o, n = ByRef(dic), ByRef(None)
        d.M(o, n)
        assert o.value is None and isinstance(n.value, Dispatch) and n.value == dic
        n.value.release()


@pytest.mark.runtime
def test_excepinfo_strings_are_freed_exactly_once(mta):
    """DISP_E_EXCEPTION with three BSTRs (source, description, help file): the error carries them and every block
    the callee allocated is freed once (the malloc spy counts this thread's task-allocator blocks); the same for a
    deferred fill-in, and for a callee that filled EXCEPINFO and then returned S_OK anyway."""
    from ole32_bindings.memory import bstr_from_str
    from vtables.latebound import Dispatch, DispatchError, call
    from vtables.mallocspy import spying

    def fill(ei):
        ei.bstrSource = bstr_from_str("Raw.Source")
        ei.bstrDescription = bstr_from_str("it failed")
        ei.bstrHelpFile = bstr_from_str("raw.chm")
        ei.dwHelpContext = 7
        ei.scode = _signed(0x80040210)

    def failing(obj, call, dp, result, excepinfo, arg_err):
        if call["dispid"] == 1:
            fill(excepinfo)
            return _signed(DISP_E_EXCEPTION)
        if call["dispid"] == 2:  # filled, yet S_OK: the client frees what is there
            fill(excepinfo)
            return 0
        excepinfo.pfnDeferredFillIn = deferred_ptr
        return _signed(DISP_E_EXCEPTION)

    from ole32_bindings.dlls import ffi

    @ffi.callback("HRESULT(EXCEPINFO *)")
    def deferred(ei):
        fill(ei)
        ei.bstrDescription, old = bstr_from_str("filled later"), ei.bstrDescription
        from ole32_bindings.memory import bstr_free

        bstr_free(old)
        return 0

    deferred_ptr = ffi.cast("void *", deferred)
    raw = _raw_dispatch(failing, names={"m": 1, "prop": 2, "late": 3})
    with Dispatch(raw, methods=["m", "late"]) as d:
        with pytest.raises(DispatchError):
            d.M()  # warm up: names resolved, the scratch pool filled
        with spying() as spy:
            before, frees = spy.outstanding, spy.frees
            with pytest.raises(DispatchError) as failed:
                d.M()
            e = failed.value
            assert (e.hresult, e.source, e.description, e.help_file, e.help_context, e.scode) == (
                DISP_E_EXCEPTION,
                "Raw.Source",
                "it failed",
                "raw.chm",
                7,
                0x80040210,
            )
            assert spy.outstanding == before and spy.frees - frees == 3
            assert d.Prop is None
            assert spy.outstanding == before
            with pytest.raises(DispatchError) as late:
                call(d, "late")
            assert (late.value.description, late.value.source) == ("filled later", "Raw.Source")
            assert spy.outstanding == before


@pytest.mark.runtime
def test_arg_err_names_the_callers_argument(mta):
    from vtables.latebound import Dispatch, DispatchError

    def mismatch(obj, call, dp, result, excepinfo, arg_err):
        arg_err[0] = obj.blame
        return _signed(DISP_E_TYPEMISMATCH)

    raw = _raw_dispatch(mismatch)
    with Dispatch(raw, methods=["m"]) as d:
        for blame, expected in ((0, "c"), (1, 1), (2, 0), (9, None)):  # rgvarg = [c, "b", "a"]
            raw.blame = blame
            with pytest.raises(DispatchError) as e:
                d.M("a", "b", c=1)
            assert (e.value.hresult, e.value.argument, e.value.member) == (DISP_E_TYPEMISMATCH, expected, "M")


@pytest.mark.runtime
def test_a_result_with_an_invalid_vt_is_refused_without_a_crash(mta):
    from vtables.latebound import Dispatch
    from vtables.variant import VariantTypeError

    def bad(obj, call, dp, result, excepinfo, arg_err):
        result.vt = 0x7FFF if call["dispid"] == 2 else 0x0003
        result.lVal = 5
        return 0

    raw = _raw_dispatch(bad)
    with Dispatch(raw) as d:
        with pytest.raises(VariantTypeError) as e:
            d.Prop  # noqa: B018
        assert e.value.hresult == 0x80020008  # DISP_E_BADVARTYPE
        assert d.M == 5  # the next call (same scratch VARIANT) is not disturbed


@pytest.mark.runtime
def test_names_unknown_to_a_raw_callee(mta):
    from vtables.latebound import Dispatch, DispatchError, UnknownNameError, invoke

    raw = _raw_dispatch()
    with Dispatch(raw) as d:
        with pytest.raises(UnknownNameError):
            d.Nope  # noqa: B018
        assert not hasattr(d, "nope")
        with pytest.raises(DispatchError) as e:
            invoke(d, "m", 1, zz=1)
        assert (e.value.hresult, e.value.argument) == (DISP_E_UNKNOWNNAME, "zz")
        with pytest.raises(TypeError, match="named arguments need the member's name"):
            invoke(d, 1, 1, a=1)
        with pytest.raises(TypeError):
            d[0] = object()  # nothing to convert it to: nothing is sent
        assert raw.calls == []


@pytest.mark.runtime
def test_activation_from_a_clsid_and_the_clsctx_keyword(mta):
    from ole32_bindings.activation import clsid_from_progid
    from ole32_bindings.constants import CLSCTX
    from ole32_bindings.hresult import ClassNotRegisteredError, ComError
    from vtables import leaks
    from vtables.latebound import Dispatch

    clsid = clsid_from_progid("Scripting.Dictionary")
    with Dispatch(clsid) as a, Dispatch(str(clsid)) as b, Dispatch(f"  {str(clsid).lower()} ") as c:
        assert a.Count == b.Count == c.Count == 0 and a != b
    with Dispatch("Scripting.Dictionary", clsctx=CLSCTX.INPROC_SERVER) as d:
        assert d.Count == 0
    held = leaks.held_references
    with pytest.raises(ClassNotRegisteredError):
        Dispatch("Scripting.Dictionary", clsctx=CLSCTX.LOCAL_SERVER)  # scrrun.dll serves in-process only
    with pytest.raises(ComError):
        Dispatch("No.Such.ProgID")
    with pytest.raises(TypeError, match="ProgID"):
        Dispatch(42)
    assert leaks.held_references == held


@pytest.mark.runtime
def test_the_vtable_switch_refuses_what_is_not_a_dual_interface(native):
    from ole32_bindings.guid import Guid
    from vtables import leaks
    from vtables.declare import interface_for_iid
    from vtables.interfaces import IPersist
    from vtables.latebound import Dispatch, type_members, vtable_interface

    held = leaks.held_references
    with pytest.raises(TypeError, match="derived from IDispatch"):
        native(vtable=IPersist)
    assert leaks.held_references == held  # the pointer was released
    # A dual: its vtable is used only if IDictionary is declared in this process (the type-library import tests
    # declare it, from the module generated for scrrun.dll); otherwise every call goes through Invoke.
    declared = interface_for_iid(Guid("{42C642C1-97E1-11CF-978F-00A02463E06F}"))
    with Dispatch("Scripting.Dictionary", vtable=True) as d:
        assert vtable_interface(d) is declared and d.Count == 0
        assert "Count" in dir(d) and "Keys" in type_members(d)


# ---- runtime: our own Python IDispatch objects (vtables.dispatch) -------------------------------------------------


def _contract_classes():
    """A dual interface and its class (fresh IIDs, declared once per process), and a dynamic DispatchObject."""
    import vtables.dispatch  # noqa: F401  (IDispatch for Python classes: imported before the classes are made)
    from ole32_bindings.oavalues import Missing
    from vtables.declare import interface_named, method
    from vtables.dispatch import DispatchObject
    from vtables.interfaces import IDispatch
    from vtables.object import ComObject

    known = interface_named("IClientContract")
    if known is not None:
        return known, known._classes

    # get_Name's and get_Self's [out] share a name and not a type: each method's client has its own
    class IClientContract(IDispatch):
        iid = "{6F0B1E7C-3C1D-4E55-9B7E-5A1A2B3C4D01}"
        Echo = method("[id(1)] HRESULT Echo([in] VARIANT v, [out, retval] VARIANT *result)")
        Join = method(
            '[id(2)] HRESULT Join([in] BSTR a, [in, optional, defaultvalue("-")] BSTR sep, '
            "[in, optional] VARIANT c, [out, retval] BSTR *result)"
        )
        get_Name = method("[id(3), propget] HRESULT Name([out, retval] BSTR *value)")
        put_Name = method("[id(3), propput] HRESULT Name([in] BSTR value)")
        Swap = method("[id(4)] HRESULT Swap([in, out] VARIANT *a, [in, out] VARIANT *b)")
        Fail = method("[id(5)] HRESULT Fail([in] BSTR message)")
        get_Self = method("[id(6), propget] HRESULT Self([out, retval] IDispatch **value)")
        Add = method("[id(7)] HRESULT Add([in] LONG a, [in] LONG b, [out, retval] LONG *sum)")

    class ClientContract(ComObject, implements=[IClientContract]):
        progid = "Ole32Bindings.ClientContract"

        def __init__(self):
            self._name = "contract"

        def Echo(self, v):
            return v

        def Join(self, a, sep="-", c=Missing):
            return f"{a}{sep}{'' if c is Missing or c is None else c}"

        Name = property(lambda self: self._name, lambda self, v: setattr(self, "_name", v))

        def Swap(self, a, b):
            return b, a

        def Fail(self, message):
            raise ValueError(message)

        @property
        def Self(self):
            return self

        def Add(self, a, b):
            return a + b

    class Dynamic(DispatchObject):
        progid = "Ole32Bindings.ClientDynamic"

        def __init__(self):
            self.value = 5

        def Twice(self, x):
            return 2 * x

        def Join(self, a, sep="-"):
            return f"{a}{sep}"

    IClientContract._classes = (ClientContract, Dynamic)
    return IClientContract, IClientContract._classes


@pytest.mark.runtime
def test_our_dual_object(mta):
    import datetime
    from decimal import Decimal

    from ole32_bindings.oavalues import Null
    from vtables.latebound import ByRef, Dispatch, DispatchError, type_members

    _, (ClientContract, _) = _contract_classes()
    obj = ClientContract()
    with Dispatch(obj) as d:
        assert set(type_members(d)) == {"Echo", "Join", "Name", "Swap", "Fail", "Self", "Add"}
        for v in (None, Null, True, 7, 2**40, 2.5, "text\0with nul \U0001f600", datetime.datetime(1899, 12, 29, 6, 0)):
            assert d.Echo(v) == v and type(d.Echo(v)) is type(v)
        assert d.Echo(Decimal("1.25")) == Decimal("1.25")
        assert d.Echo([1, "a", [2.5]]) == [1, "a", [2.5]]
        assert d.Echo(b"\x00\x01") == b"\x00\x01"
        assert d.Join("a") == "a-" and d.Join("a", "+", "c") == "a+c"
        assert d.Join("a", c="z") == "a-z"  # a named argument, the omitted sep defaulted by the callee
        assert d.Name == "contract"
        d.Name = "renamed"
        assert d.name == "renamed" and obj._name == "renamed"
        a, b = ByRef(1), ByRef("b")
        d.Swap(a, b)
        assert (a.value, b.value) == ("b", 1)
        with d.Self as me:
            assert me == d and isinstance(me, Dispatch)
        assert d.Add(2, 3) == 5
        with pytest.raises(DispatchError) as failed:
            d.Fail("boom")
        e = failed.value
        assert (e.hresult, e.description, e.source, e.member) == (
            DISP_E_EXCEPTION,
            "boom",
            "Ole32Bindings.ClientContract",
            "Fail",
        )
        with pytest.raises(DispatchError) as mismatch:
            d.Add(1, "not a number")
        assert (mismatch.value.hresult, mismatch.value.argument) == (DISP_E_TYPEMISMATCH, 1)
        with pytest.raises(DispatchError) as count:
            d.Add(1)
        assert count.value.hresult in (0x8002000E, 0x8002000F)  # BADPARAMCOUNT / PARAMNOTOPTIONAL
        with pytest.raises(DispatchError) as named:
            d.Add(1, b="x")
        assert (named.value.hresult, named.value.argument) == (DISP_E_TYPEMISMATCH, "b")
    assert obj.com_refcount == 0


@pytest.mark.runtime
def test_our_dual_object_through_its_vtable(mta):
    from vtables.latebound import ByRef, Dispatch, DispatchError, vtable_interface

    IClientContract, (ClientContract, _) = _contract_classes()
    with Dispatch(ClientContract(), vtable=True) as d:
        assert vtable_interface(d) is IClientContract
        assert d.Add(2, 3) == 5 and d.Join("a", c="z") == "a-z" and d.Join("a") == "a-"
        assert d.Name == "contract"
        d.Name = "v"
        assert d.Name == "v"
        with d.Self as me:
            assert me == d
        a, b = ByRef(1), ByRef(2)
        d.Swap(a, b)  # VARIANT [in, out]: Invoke
        assert (a.value, b.value) == (2, 1)
        with pytest.raises(DispatchError) as failed:
            d.Fail("through the vtable")  # same thread: the Python method itself, its ValueError reported as Invoke
        e = failed.value
        assert (e.hresult, e.description, e.source, e.scode) == (
            DISP_E_EXCEPTION,
            "through the vtable",
            "Ole32Bindings.ClientContract",
            0x80070057,  # E_INVALIDARG: ValueError's HRESULT
        )
        assert isinstance(e.__cause__, ValueError)


@pytest.mark.runtime
def test_our_dynamic_object_and_collection(mta):
    from vtables.dispatch import Collection
    from vtables.latebound import Dispatch

    _, (_, Dynamic) = _contract_classes()
    with Dispatch(Dynamic()) as d:
        assert d.Twice(21) == 42 and d.twice(2) == 4
        assert d.Join("a") == "a-" and d.Join("a", sep="+") == "a+"
        assert d.value == 5
        d.value = 6
        assert d.Value == 6
    with Dispatch(Collection(["x", "y", "z"])) as c:
        assert c.Count == 3 == len(c)
        assert list(c) == ["x", "y", "z"] and c[1] == "y" and c(2) == "z" and c.Item(0) == "x"
