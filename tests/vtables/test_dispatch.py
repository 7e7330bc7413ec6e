"""IDispatch for Python classes: the declaration syntax, the member tables and Invoke's argument rules (COM-free,
run on Linux too), then the runtime (``vtables.dispatch``): dual interfaces, dispinterfaces, undeclared classes,
EXCEPINFO, IEnumVARIANT, type information, and clients nobody here wrote (pywin32, comtypes)."""

from __future__ import annotations

import pytest

from vtables import InterfaceError, method
from vtables.ctypes_ import ctype_of
from vtables.declare import INVOKE_FUNC, INVOKE_PROPERTYGET, INVOKE_PROPERTYPUT, NO_DEFAULT
from vtables.interfaces import IDispatch, IUnknown
from vtables.members import (
    DISP_E_BADPARAMCOUNT,
    DISP_E_PARAMNOTFOUND,
    DISP_E_PARAMNOTOPTIONAL,
    DISP_E_UNKNOWNNAME,
    DISPATCH_METHOD,
    DISPATCH_PROPERTYGET,
    DISPATCH_PROPERTYPUT,
    DISPATCH_PROPERTYPUTREF,
    DISPID_NEWENUM,
    DISPID_PROPERTYPUT,
    DISPID_UNKNOWN,
    DISPID_VALUE,
    DispatchFailure,
    DispInterface,
    dispmethod,
    dispproperty,
    dynamic_table,
    interface_table,
)


def _iface(name: str, iid: str, base: type = IDispatch, **methods: object) -> type:
    return type(name, (base,), {"iid": iid, **methods})


class IShape(IDispatch):
    iid = "{6F0C1F5E-2D8B-4F61-9B0B-1D3C5A7E9001}"
    Join = method(
        '[id(2)] HRESULT Join([in] BSTR a, [in, optional, defaultvalue("-")] BSTR sep, [in, optional] VARIANT c, '
        "[out, retval] BSTR *result)"
    )
    get_Name = method("[propget] HRESULT Name([out, retval] BSTR *value)")
    put_Name = method("[propput] HRESULT Name([in] BSTR value)")
    Swap = method("HRESULT Swap([in, out] VARIANT *a, [in, out] VARIANT *b)")
    get_Item = method("[id(0), propget] HRESULT Item([in] LONG index, [out, retval] VARIANT *value)")
    get__NewEnum = method("[id(DISPID_NEWENUM), propget, restricted] HRESULT _NewEnum([out, retval] IUnknown **e)")


# ---- the declaration syntax ---------------------------------------------------------------------------------------


def test_member_attributes_name_kind_and_dispid():
    join, get_name, put_name, swap, item, enum = IShape.own_methods
    assert (join.name, join.member, join.invkind, join.memid) == ("Join", "Join", INVOKE_FUNC, 2)
    assert (get_name.name, get_name.member, get_name.invkind) == ("get_Name", "Name", INVOKE_PROPERTYGET)
    assert (put_name.name, put_name.member, put_name.invkind) == ("put_Name", "Name", INVOKE_PROPERTYPUT)
    # MIDL's numbering: 0x60000000 | level << 16 | n, n the method's index in the interface (every accessor counts),
    # a property's later accessors sharing the first one's number
    assert get_name.memid == put_name.memid == 0x60020001
    assert swap.memid == 0x60020003
    assert item.memid == DISPID_VALUE and enum.memid == DISPID_NEWENUM
    assert enum.attrs == ("id(DISPID_NEWENUM)", "propget", "restricted")
    # the vtable is unchanged by attributes: IDispatch's 7 slots, then these in order
    assert [m.index for m in IShape.own_methods] == [7, 8, 9, 10, 11, 12]


class INumbered(IDispatch):
    """The members of a test IDL, numbered as widl numbered them (``widl --win64 -t``, read back with
    ole32_servers.typelib.type_library_layout): quartz's IBasicAudio shape first (put/get Volume, put/get
    Balance), then methods around an ``[id]`` and a property whose accessors are not adjacent."""

    iid = "{5B0F7C21-6E3A-4F7B-9C1E-2A4D8E6F1002}"
    put_Volume = method("[propput] HRESULT Volume([in] LONG v)")
    get_Volume = method("[propget] HRESULT Volume([out, retval] LONG *v)")
    put_Balance = method("[propput] HRESULT Balance([in] LONG v)")
    get_Balance = method("[propget] HRESULT Balance([out, retval] LONG *v)")
    After = method("HRESULT After()")
    WithId = method("[id(5)] HRESULT WithId()")
    AfterId = method("HRESULT AfterId()")
    get_Third = method("[propget] HRESULT Third([out, retval] LONG *v)")
    Between = method("HRESULT Between()")
    put_Third = method("[propput] HRESULT Third([in] LONG v)")
    putref_Third = method("[propputref] HRESULT Third([in] IDispatch *v)")
    Last = method("HRESULT Last()")


class INumbered2(INumbered):
    iid = "{5B0F7C21-6E3A-4F7B-9C1E-2A4D8E6F1003}"
    First = method("HRESULT First()")
    get_P = method("[propget] HRESULT P([out, retval] LONG *v)")
    put_P = method("[propput] HRESULT P([in] LONG v)")
    Second = method("HRESULT Second()")


def test_member_numbers_are_midls():
    """Without ``[id]``, a member's number is its method index in the interface (every accessor counts, as MIDL and
    widl count them), a property's later accessors taking its first accessor's number."""
    assert [(m.name, m.memid) for m in INumbered.own_methods] == [
        ("put_Volume", 0x60020000),
        ("get_Volume", 0x60020000),
        ("put_Balance", 0x60020002),
        ("get_Balance", 0x60020002),
        ("After", 0x60020004),
        ("WithId", 5),
        ("AfterId", 0x60020006),
        ("get_Third", 0x60020007),
        ("Between", 0x60020008),
        ("put_Third", 0x60020007),
        ("putref_Third", 0x60020007),
        ("Last", 0x6002000B),
    ]
    assert [(m.name, m.memid) for m in INumbered2.own_methods] == [
        ("First", 0x60030000),
        ("get_P", 0x60030001),
        ("put_P", 0x60030001),
        ("Second", 0x60030003),
    ]


def test_parameter_defaults_and_optional():
    a, sep, c, result = IShape.Join.params
    assert (a.optional, a.default) == (False, NO_DEFAULT)
    assert (sep.optional, sep.has_default, sep.default) == (True, True, "-")
    assert (c.optional, c.has_default, c.default) == (True, False, NO_DEFAULT)
    assert result.retval
    m = method(
        "[id(7)] HRESULT F([in, defaultvalue(0x10)] LONG a, [in, defaultvalue(-1.5)] double b, "
        '[in, defaultvalue("a,]b")] BSTR s, [in, defaultvalue(VARIANT_TRUE)] VARIANT_BOOL f)'
    )
    assert [p.default for p in m.params] == [16, -1.5, "a,]b", True]
    assert [p.name for p in m.params] == ["a", "b", "s", "f"]


def test_automation_types_and_their_kinds():
    expect = {
        "VARIANT": ("variant", 0, "VARIANT *"),
        "VARIANT *": ("variant", 1, "VARIANT *"),
        "VARIANT_BOOL": ("vbool", 0, "VARIANT_BOOL"),
        "DATE": ("date", 0, "double"),
        "CY": ("cy", 0, "LONGLONG"),
        "DECIMAL": ("decimal", 0, "DECIMAL *"),
        "SAFEARRAY(VARIANT) *": ("safearray", 1, "void **"),
        "IDispatch *": ("iface", 1, "void *"),
        "BSTR": ("wstr", 0, "BSTR"),
    }
    for text, (kind, depth, c) in expect.items():
        t = ctype_of(text)
        assert (t.kind, t.depth, t.c) == (kind, depth, c), text
    assert ctype_of("SAFEARRAY(BSTR)").element == "BSTR"
    assert ctype_of("VARIANT *").returned_when_out and not ctype_of("VARIANT").is_pointer
    with pytest.raises(InterfaceError, match="must be a pointer"):
        method("HRESULT F([out] VARIANT v)")


def test_declaration_errors():
    iid = "{6F0C1F5E-2D8B-4F61-9B0B-1D3C5A7E90FF}"
    with pytest.raises(InterfaceError, match="unknown attribute"):
        method("[bogus] HRESULT F()")
    with pytest.raises(InterfaceError, match="at most one"):
        method("[propget, propput] HRESULT F([in] LONG v)")
    with pytest.raises(InterfaceError, match="last \\[out, retval\\]"):
        method("[propget] HRESULT F([in] LONG v)")
    with pytest.raises(InterfaceError, match="new value"):
        method("[propput] HRESULT F([out, retval] LONG *v)")
    with pytest.raises(InterfaceError, match="not an integer DISPID"):
        method("[id(x)] HRESULT F()")
    with pytest.raises(InterfaceError, match="defaultvalue"):
        method("HRESULT F([in, defaultvalue(a+b)] LONG v)")
    with pytest.raises(InterfaceError, match="same DISPID"):
        _iface("IDup", iid, A=method("[id(1)] HRESULT A()"), B=method("[id(1)] HRESULT B()"))
    with pytest.raises(InterfaceError, match="declared twice"):
        _iface("IDup2", iid, A=method("HRESULT A()"), get_A=method("[propget] HRESULT A([out, retval] LONG *v)"))
    with pytest.raises(InterfaceError, match="different ids"):
        _iface(
            "IDup3",
            iid,
            get_A=method("[id(1), propget] HRESULT A([out, retval] LONG *v)"),
            put_A=method("[id(2), propput] HRESULT A([in] LONG v)"),
        )


# ---- member tables ------------------------------------------------------------------------------------------------


def test_dual_interface_table():
    t = interface_table(IShape)
    assert [m.name for m in t.members()] == ["_NewEnum", "Item", "Join", "Name", "Swap"]
    name = t.by_name["name"]
    assert set(name.accessors) == {INVOKE_PROPERTYGET, INVOKE_PROPERTYPUT}
    assert name.accessors[INVOKE_PROPERTYGET].target == "get_Name"
    swap = t.by_name["swap"].accessors[INVOKE_FUNC]
    assert [a.name for a in swap.args] == ["a", "b"] and swap.outputs == ("a", "b") and not swap.returns
    join = t.by_name["join"].accessors[INVOKE_FUNC]
    assert join.outputs == ("retval",) and join.returns and join.required == 1


def test_implementation_name_follows_the_vtable_rule():
    class Impl:
        def IShape_Join(self, *a):  # the qualified name wins, as for the vtable
            return ""

    t = interface_table(IShape, Impl)
    assert t.by_name["join"].accessors[INVOKE_FUNC].target == "IShape_Join"
    assert t.by_name["swap"].accessors[INVOKE_FUNC].target == "Swap"


def test_get_ids_of_names_is_case_insensitive_and_names_parameters():
    t = interface_table(IShape)
    assert t.ids_of_names(["JOIN"]) == (0, [2])
    assert t.ids_of_names(["join", "SEP", "a"]) == (0, [2, 1, 0])
    hr, ids = t.ids_of_names(["join", "nope", "c"])
    assert (hr, ids) == (DISP_E_UNKNOWNNAME, [2, DISPID_UNKNOWN, 2])
    assert t.ids_of_names(["nothing", "a"]) == (DISP_E_UNKNOWNNAME, [DISPID_UNKNOWN, DISPID_UNKNOWN])
    assert t.ids_of_names(["name"]) == (0, [0x60020001])


def _fails(acc, cargs, named):
    with pytest.raises(DispatchFailure) as info:
        acc.plan(cargs, named)
    return info.value.hresult, info.value.argerr


def test_argument_plan_positional_reverse_order_and_optional():
    join = interface_table(IShape).by_name["join"].accessors[INVOKE_FUNC]
    # rgvarg holds positional arguments in reverse: the first argument is the last element
    assert join.plan(1, []) == (0, None, None)
    assert join.plan(2, []) == (1, 0, None)
    assert join.plan(3, []) == (2, 1, 0)
    assert _fails(join, 0, []) == (DISP_E_BADPARAMCOUNT, None)
    assert _fails(join, 4, []) == (DISP_E_BADPARAMCOUNT, None)


def test_argument_plan_named_arguments():
    join = interface_table(IShape).by_name["join"].accessors[INVOKE_FUNC]
    # named arguments come first in rgvarg; a named argument's DISPID is its parameter's position
    assert join.plan(2, [2]) == (1, None, 0)
    assert join.plan(3, [2, 1]) == (2, 1, 0)
    assert join.plan(2, [0, 2]) == (0, None, 1)
    assert _fails(join, 2, [5]) == (DISP_E_PARAMNOTFOUND, 0)
    assert _fails(join, 3, [2, 0]) == (DISP_E_PARAMNOTFOUND, 1)  # "a" given twice: positionally and by name
    assert _fails(join, 1, [1]) == (DISP_E_PARAMNOTOPTIONAL, None)  # "a" skipped while naming "sep"


def test_argument_plan_property_put():
    t = interface_table(IShape)
    put = t.by_name["name"].accessors[INVOKE_PROPERTYPUT]
    assert put.plan(1, [DISPID_PROPERTYPUT]) == (0,)
    assert _fails(put, 1, []) == (DISP_E_PARAMNOTFOUND, None)  # the value must be named DISPID_PROPERTYPUT
    assert _fails(put, 1, [0]) == (DISP_E_PARAMNOTFOUND, None)
    assert _fails(put, 2, [DISPID_PROPERTYPUT]) == (DISP_E_BADPARAMCOUNT, None)


def test_argument_plan_indexed_property_put():
    iface = _iface(
        "IIndexed",
        "{6F0C1F5E-2D8B-4F61-9B0B-1D3C5A7E90FD}",
        get_Item=method("[id(0), propget] HRESULT Item([in] LONG i, [out, retval] VARIANT *v)"),
        put_Item=method("[id(0), propput] HRESULT Item([in] LONG i, [in] VARIANT v)"),
    )
    put = interface_table(iface).by_dispid[DISPID_VALUE].accessors[INVOKE_PROPERTYPUT]
    # obj(3) = v: rgvarg[0] is the value (named DISPID_PROPERTYPUT), rgvarg[1] the index
    assert put.plan(2, [DISPID_PROPERTYPUT]) == (1, 0)
    assert put.plan(2, [DISPID_PROPERTYPUT, 0]) == (1, 0)  # the index named too
    assert _fails(put, 1, [DISPID_PROPERTYPUT]) == (DISP_E_BADPARAMCOUNT, None)  # the index is missing
    assert _fails(put, 3, [DISPID_PROPERTYPUT]) == (DISP_E_BADPARAMCOUNT, None)


def test_accessor_selection_by_flags():
    t = interface_table(IShape)
    name, join = t.by_name["name"], t.by_name["join"]
    assert name.select(DISPATCH_PROPERTYGET).invkind == INVOKE_PROPERTYGET
    assert name.select(DISPATCH_METHOD | DISPATCH_PROPERTYGET).invkind == INVOKE_PROPERTYGET
    assert name.select(DISPATCH_PROPERTYPUT).invkind == INVOKE_PROPERTYPUT
    assert name.select(DISPATCH_METHOD) is None  # a property is no method: DISP_E_MEMBERNOTFOUND
    assert name.select(DISPATCH_PROPERTYPUTREF) is None  # declared without [propputref]
    assert join.select(DISPATCH_METHOD | DISPATCH_PROPERTYGET).invkind == INVOKE_FUNC
    assert join.select(DISPATCH_PROPERTYGET) is None  # as ITypeInfo::Invoke matches: flags & invkind
    assert join.select(0) is None


class DShape(DispInterface):
    iid = "{6F0C1F5E-2D8B-4F61-9B0B-1D3C5A7E9002}"
    Echo = dispmethod("[id(1)] VARIANT Echo([in] VARIANT v)")
    Name = dispproperty("[id(2)] BSTR Name")
    Count = dispproperty("[id(3)] LONG Count", readonly=True)
    Reset = dispmethod("[id(4)] void Reset()")


def test_dispinterface_members():
    assert DShape.lineage[-2:] == (IDispatch, IUnknown)
    assert DShape.own_methods == () and len(DShape.layout) == 7  # IDispatch's vtable, nothing more
    t = interface_table(DShape)
    assert [(m.name, m.dispid) for m in t.members()] == [("Echo", 1), ("Name", 2), ("Count", 3), ("Reset", 4)]
    echo = t.by_name["echo"].accessors[INVOKE_FUNC]
    assert echo.returns and echo.outputs == ("retval",) and [a.name for a in echo.args] == ["v"]
    assert not t.by_name["reset"].accessors[INVOKE_FUNC].returns
    assert set(t.by_name["name"].accessors) == {INVOKE_PROPERTYGET, INVOKE_PROPERTYPUT}
    assert set(t.by_name["count"].accessors) == {INVOKE_PROPERTYGET}
    assert t.by_name["name"].accessors[INVOKE_PROPERTYGET].attribute


def test_dispinterface_errors():
    with pytest.raises(InterfaceError, match="no iid"):
        type("DNoIid", (DispInterface,), {"A": dispmethod("[id(1)] void A()")})
    with pytest.raises(InterfaceError, match="dispmethod/dispproperty"):
        type("DBad", (DispInterface,), {"iid": "{6F0C1F5E-2D8B-4F61-9B0B-1D3C5A7E90FE}", "A": method("HRESULT A()")})
    with pytest.raises(InterfaceError, match="index parameters are \\[in\\] parameters"):
        dispproperty("[id(1)] LONG A([out] LONG *x)")  # (an indexed property takes [in] index parameters)
    with pytest.raises(InterfaceError, match="is a method"):
        dispmethod("[id(1), propget] LONG A()")


class _Machinery:
    def machinery(self):
        return "never exposed"


class Dynamic(_Machinery):
    colour = "red"

    def Add(self, a, b=2):
        return a + b

    def varied(self, first, *rest):
        return [first, *rest]

    @property
    def Fixed(self):
        return 1

    @property
    def Settable(self):
        return self._s

    @Settable.setter
    def Settable(self, v):
        self._s = v

    def __iter__(self):
        return iter(())

    def _private(self):
        pass


def test_dynamic_table_rule():
    t = dynamic_table(Dynamic, (_Machinery,))
    # public names sorted case-insensitively, numbered from 1; __iter__ answers DISPID_NEWENUM
    assert [(m.name, m.dispid) for m in t.members()] == [
        ("_NewEnum", DISPID_NEWENUM),
        ("Add", 1),
        ("colour", 2),
        ("Fixed", 3),
        ("Settable", 4),
        ("varied", 5),
    ]
    add = t.by_name["add"].accessors[INVOKE_FUNC]
    assert [(a.name, a.optional, a.default) for a in add.args] == [("a", False, NO_DEFAULT), ("b", True, 2)]
    assert t.by_name["varied"].accessors[INVOKE_FUNC].varargs
    assert set(t.by_name["fixed"].accessors) == {INVOKE_PROPERTYGET}
    assert set(t.by_name["settable"].accessors) == {2, 4, 8}  # put and putref both assign
    assert set(t.by_name["colour"].accessors) == {2, 4, 8}
    assert t.next_dispid == 6
    assert dynamic_table(Dynamic, (_Machinery,)).ids_of_names(["ADD", "B"]) == (0, [1, 1])


def test_dynamic_table_lists_default_member_and_fixed_ids():
    class Listed:
        _public_methods_ = ["Item", "Count"]
        _public_attrs_ = ["label"]
        _readonly_attrs_ = ["label"]
        _default_member_ = "Item"
        _dispids_ = {"Count": 7}

        def Item(self, i):
            return i

        def Count(self):
            return 0

        def hidden(self):
            return "not listed, not exposed"

    t = dynamic_table(Listed)
    assert [(m.name, m.dispid) for m in t.members()] == [("Item", DISPID_VALUE), ("label", 1), ("Count", 7)]
    assert set(t.by_name["label"].accessors) == {INVOKE_PROPERTYGET}
    assert "hidden" not in t.by_name and t.next_dispid == 8

    class Clash:
        def Go(self):
            pass

        def go(self):
            pass

    with pytest.raises(InterfaceError, match="differ only in case"):
        dynamic_table(Clash)


def test_put_needs_propertyput_named_argument_in_dynamic_tables_too():
    t = dynamic_table(Dynamic, (_Machinery,))
    put = t.by_name["colour"].select(DISPATCH_PROPERTYPUTREF)
    assert put.plan(1, [DISPID_PROPERTYPUT]) == (0,)
    assert _fails(put, 1, []) == (DISP_E_PARAMNOTFOUND, None)


# ==== the runtime ====================================================================================================

IID_NULL_BYTES = bytes(16)
S_OK, S_FALSE = 0, 1
E_INVALIDARG, E_POINTER, E_NOTIMPL = 0x80070057, 0x80004003, 0x80004001
DISP_E_UNKNOWNINTERFACE, DISP_E_MEMBERNOTFOUND = 0x80020001, 0x80020003
DISP_E_TYPEMISMATCH, DISP_E_BADVARTYPE, DISP_E_EXCEPTION = 0x80020005, 0x80020008, 0x80020009
DISP_E_BADINDEX, DISP_E_OVERFLOW = 0x8002000B, 0x8002000A
U = 0xFFFFFFFF


class IContract(IDispatch):
    iid = "{6F0C1F5E-2D8B-4F61-9B0B-1D3C5A7E9101}"
    Echo = method("[id(1)] HRESULT Echo([in] VARIANT v, [out, retval] VARIANT *result)")
    Add = method("[id(2)] HRESULT Add([in] LONG a, [in] LONG b, [out, retval] LONG *sum)")
    Join = method(
        '[id(3)] HRESULT Join([in] BSTR a, [in, optional, defaultvalue("-")] BSTR sep, [in, optional] VARIANT c, '
        "[out, retval] BSTR *result)"
    )
    get_Name = method("[id(4), propget] HRESULT Name([out, retval] BSTR *value)")
    put_Name = method("[id(4), propput] HRESULT Name([in] BSTR value)")
    Swap = method("[id(5)] HRESULT Swap([in, out] VARIANT *a, [in, out] VARIANT *b)")
    Squares = method("[id(6)] HRESULT Squares([in] LONG n, [out, retval] SAFEARRAY(VARIANT) *result)")
    Sum = method("[id(7)] HRESULT Sum([in] SAFEARRAY(VARIANT) arr, [out, retval] double *total)")
    Kinds = method("[id(8)] HRESULT Kinds([in] DATE d, [in] CY c, [in] VARIANT_BOOL f, [out, retval] VARIANT *r)")
    get_Self = method("[id(9), propget] HRESULT Self([out, retval] IDispatch **me)")
    Fail = method("[id(10)] HRESULT Fail([in] BSTR message)")
    FailCom = method("[id(11)] HRESULT FailCom([in] LONG hr)")
    get_Item = method("[id(0), propget] HRESULT Item([in] LONG index, [out, retval] VARIANT *value)")
    get__NewEnum = method("[id(DISPID_NEWENUM), propget, restricted] HRESULT _NewEnum([out, retval] IUnknown **e)")
    RefsOf = method("[id(12)] HRESULT RefsOf([in] IDispatch *obj, [out, retval] LONG *refs)")
    Bump = method("[id(13)] HRESULT Bump([in, out] LONG *n, [in, out] BSTR *s)")


class DEvents(DispInterface):
    iid = "{6F0C1F5E-2D8B-4F61-9B0B-1D3C5A7E9102}"
    Echo = dispmethod("[id(1)] VARIANT Echo([in] VARIANT v)")
    Label = dispproperty("[id(2)] BSTR Label")
    Size = dispproperty("[id(3)] LONG Size", readonly=True)
    Clear = dispmethod("[id(4)] void Clear()")


CLSID_CONTRACT = "{6F0C1F5E-2D8B-4F61-9B0B-1D3C5A7E9103}"


@pytest.fixture(scope="module")
def classes():
    from ole32_bindings.guid import Guid
    from vtables import ComObject
    from vtables.dispatch import Collection, DispatchObject, EnumVariant, exact
    from vtables.interfaces import IProvideClassInfo
    from vtables.variant import Missing, Variant

    class Contract(ComObject, implements=[IContract, IProvideClassInfo]):
        progid = "Test.Contract"
        clsid = Guid(CLSID_CONTRACT)

        def __init__(self):
            self._name = "n0"
            self.items = ["a", "b", "c"]

        @exact
        def Echo(self, v):
            return v

        def Add(self, a, b):
            return a + b

        def Join(self, a, sep, c):
            return a + sep + ("" if c is Missing else str(c))

        Name = property(lambda self: self._name, lambda self, v: setattr(self, "_name", v))

        def Swap(self, a, b):
            return b, a

        def Squares(self, n):
            return [Variant(3, i * i) for i in range(n)]

        def Sum(self, arr):
            return float(sum(arr))

        def Kinds(self, d, c, f):
            return [d, c, f]

        def get_Self(self):
            return self

        def Fail(self, message):
            raise RuntimeError(message)

        def FailCom(self, hr):
            from ole32_bindings.hresult import ComError

            raise ComError(hr & U, "a ComError", "Its.Source")

        def get_Item(self, index):
            return self.items[index]

        def get__NewEnum(self):
            return EnumVariant(self.items)

        def RefsOf(self, obj):  # an [in] interface arrives as the vtable passes it: a raw pointer, borrowed
            from ole32_bindings.dlls import ffi

            unk = ffi.cast("IUnknown *", obj)
            unk.lpVtbl.AddRef(obj)
            return unk.lpVtbl.Release(obj)

        def Bump(self, n, s):
            return n + 1, s + "!"

    class Events(ComObject, implements=[DEvents]):
        def __init__(self):
            self.Label = "l0"
            self.Size = 3

        def Echo(self, v):
            return v

        def Clear(self):
            self.Label = ""

    class Dyn(DispatchObject):
        progid = "Test.Dyn"

        def __init__(self):
            self.label = "x"

        def Add(self, a, b=10):
            return a + b

        def Many(self, first, *rest):
            return [first, *rest]

        def Fail(self, message):
            raise ValueError(message)

        @property
        def Fixed(self):
            return 42

    return {
        "Contract": Contract,
        "Events": Events,
        "Dyn": Dyn,
        "Collection": Collection,
        "EnumVariant": EnumVariant,
        "Variant": Variant,
    }


# ---- helpers: IDispatch called the way a native client calls it (raw vtable, DISPPARAMS built by hand) ----------


class Result:
    """What one raw Invoke gave: hr (unsigned), the result (exact, as a Variant), *puArgErr, EXCEPINFO's fields."""

    def __init__(self, hr, value, argerr, excepinfo):
        self.hr, self.value, self.argerr, self.excepinfo = hr, value, argerr, excepinfo

    @property
    def python(self):
        v = self.value
        return None if v is None else v.value

    def __repr__(self):
        return f"Result(0x{self.hr:08X}, {self.value!r}, argerr={self.argerr}, {self.excepinfo})"


def _fn(p, iface, name):
    from ole32_bindings.dlls import ffi

    m = getattr(iface, name)
    return ffi.cast(m.c_funcptr(), ffi.cast("void ***", p)[0][m.index])


def _raw(p):
    return p.as_raw() if hasattr(p, "as_raw") else p


def invoke(p, dispid, flags, args=(), named=(), *, result=True, excepinfo=True, riid=None, params=True, raw_args=None):
    """IDispatch::Invoke on ``p`` with ``args`` in call order (written reversed into rgvarg, named ones first)."""
    from ole32_bindings.dlls import ffi
    from ole32_bindings.memory import bstr_to_str_and_free
    from vtables.variant import VariantArray, clear, to_typed, write

    p = _raw(p)
    n = len(args) if raw_args is None else raw_args[1]
    with VariantArray(n) as arr:
        if raw_args is None:
            for i, a in enumerate(reversed(args)):
                write(arr[i], a)
        else:
            raw_args[0](arr)
        dp = ffi.new("DISPPARAMS *")
        dp.rgvarg = arr.cdata if n else ffi.NULL
        dp.cArgs = n
        ids = ffi.new("DISPID[]", list(named) or [0])
        if named:
            dp.rgdispidNamedArgs = ids
            dp.cNamedArgs = len(named)
        res = ffi.new("VARIANT *") if result else ffi.NULL
        ei = ffi.new("EXCEPINFO *") if excepinfo else ffi.NULL
        argerr = ffi.new("UINT *", 12345)
        g = ffi.new("GUID *")
        if riid is not None:
            ffi.memmove(g, riid, 16)
        hr = _fn(p, IDispatch, "Invoke")(p, dispid, g, 0, flags, dp if params else ffi.NULL, res, ei, argerr)
        if raw_args is not None:  # what the filler put there is the caller's (references, invalid vts): not cleared
            for i in range(n):
                arr[i].vt = 0
        value = None
        if result:
            try:
                value = to_typed(res)
            finally:
                clear(res)
        info = None
        if excepinfo and (ei.bstrSource != ffi.NULL or ei.bstrDescription != ffi.NULL or ei.scode):
            info = (bstr_to_str_and_free(ei.bstrSource), bstr_to_str_and_free(ei.bstrDescription), ei.scode & U)
        return Result(hr & U, value, argerr[0], info)


def ids_of(p, *names, riid=None):
    from ole32_bindings.dlls import ffi

    p = _raw(p)
    bufs = [ffi.new("wchar_t[]", n) for n in names]
    arr = ffi.new("LPOLESTR[]", bufs)
    out = ffi.new("DISPID[]", max(len(names), 1))
    g = ffi.new("GUID *")
    if riid is not None:
        ffi.memmove(g, riid, 16)
    hr = _fn(p, IDispatch, "GetIDsOfNames")(p, g, arr, len(names), 0, out)
    return hr & U, list(out)[: len(names)]


def refs(obj):
    return obj.com_refcount


# ---- dual interfaces ----------------------------------------------------------------------------------------------


@pytest.mark.runtime
def test_dual_answers_idispatch_with_its_own_pointer(mta, classes):
    from ole32_bindings.dlls import ffi

    obj = classes["Contract"]()
    a, b = obj.query_raw(IDispatch.iid), obj.query_raw(IContract.iid)
    try:
        assert int(ffi.cast("uintptr_t", a)) == int(ffi.cast("uintptr_t", b))  # one vtable: the dual's
        assert refs(obj) == 2
        count = ffi.new("UINT *")
        assert _fn(a, IDispatch, "GetTypeInfoCount")(a, count) == S_OK and count[0] == 1
        assert _fn(a, IDispatch, "GetTypeInfoCount")(a, ffi.NULL) & U == E_POINTER
    finally:
        ffi.cast("IUnknown *", a).lpVtbl.Release(a)
        ffi.cast("IUnknown *", b).lpVtbl.Release(b)
    assert obj.com_destroyed


@pytest.mark.runtime
def test_get_ids_of_names_case_insensitive_unknown_slots_and_riid(mta, classes):
    with classes["Contract"]().as_ptr(IDispatch) as p:
        assert ids_of(p, "ECHO") == (S_OK, [1])
        assert ids_of(p, "join", "C", "Sep") == (S_OK, [3, 2, 1])
        assert ids_of(p, "name") == (S_OK, [4])
        assert ids_of(p, "_newenum") == (S_OK, [-4])
        assert ids_of(p, "join", "nope") == (0x80020006, [3, DISPID_UNKNOWN])
        assert ids_of(p, "missing", "a") == (0x80020006, [DISPID_UNKNOWN, DISPID_UNKNOWN])
        assert ids_of(p, "echo", riid=b"\x01" + bytes(15))[0] == DISP_E_UNKNOWNINTERFACE
        assert ids_of(p)[0] == E_INVALIDARG  # cNames 0


@pytest.mark.runtime
def test_methods_coerce_arguments_to_the_declared_types(mta, classes):
    with classes["Contract"]().as_ptr(IDispatch) as p:
        assert invoke(p, 2, DISPATCH_METHOD, (3, 4)).value.vt == 3  # LONG result written as VT_I4
        assert invoke(p, 2, DISPATCH_METHOD, (3, "4")).python == 7  # "4" coerced to VT_I4 (VariantChangeType)
        assert invoke(p, 2, DISPATCH_METHOD | DISPATCH_PROPERTYGET, (2.6, True)).python == 2  # 3 + -1
        bad = invoke(p, 2, DISPATCH_METHOD, (3, "x"))
        assert (bad.hr, bad.argerr) == (DISP_E_TYPEMISMATCH, 0)  # the 2nd argument is rgvarg[0]
        bad = invoke(p, 2, DISPATCH_METHOD, ("x", 3))
        assert (bad.hr, bad.argerr) == (DISP_E_TYPEMISMATCH, 1)
        assert invoke(p, 2, DISPATCH_METHOD, (3, 2**40)).hr == DISP_E_OVERFLOW
        assert invoke(p, 2, DISPATCH_METHOD, (3,)).hr == 0x8002000E  # DISP_E_BADPARAMCOUNT
        assert invoke(p, 2, DISPATCH_METHOD, (3, 4, 5)).hr == 0x8002000E
        assert invoke(p, 2, DISPATCH_PROPERTYGET, (3, 4)).hr == DISP_E_MEMBERNOTFOUND  # a method is no property


@pytest.mark.runtime
def test_optional_default_and_named_arguments(mta, classes):
    with classes["Contract"]().as_ptr(IDispatch) as p:
        assert invoke(p, 3, DISPATCH_METHOD, ("a",)).python == "a-"  # sep's default, c Missing
        assert invoke(p, 3, DISPATCH_METHOD, ("a", "+", 7)).python == "a+7"
        assert invoke(p, 3, DISPATCH_METHOD, ("a", 9), named=(2,)).python == "a-9"  # c named, sep omitted
        # named arguments come first in rgvarg: here "q" is rgvarg[1] (positional a), "a" rgvarg[0] (named c)
        assert invoke(p, 3, DISPATCH_METHOD, ("q", "a"), named=(2,)).python == "q-a"
        missing = classes["Variant"](10, 0x80020004)  # VT_ERROR DISP_E_PARAMNOTFOUND: an omitted argument
        assert invoke(p, 3, DISPATCH_METHOD, ("a", missing, "z")).python == "a-z"
        bad = invoke(p, 3, DISPATCH_METHOD, ("a", 1), named=(7,))
        assert (bad.hr, bad.argerr) == (0x80020004, 0)  # DISP_E_PARAMNOTFOUND at the named argument
        assert invoke(p, 3, DISPATCH_METHOD, ("+",), named=(1,)).hr == 0x8002000F  # "a" skipped: not optional


@pytest.mark.runtime
def test_property_get_put_through_a_python_property(mta, classes):
    obj = classes["Contract"]()
    with obj.as_ptr(IDispatch) as p:
        assert invoke(p, 4, DISPATCH_PROPERTYGET).python == "n0"
        assert invoke(p, 4, DISPATCH_METHOD | DISPATCH_PROPERTYGET).python == "n0"
        r = invoke(p, 4, DISPATCH_PROPERTYPUT, ("new",), named=(DISPID_PROPERTYPUT,))
        assert (r.hr, r.value.vt) == (S_OK, 0)  # a put leaves pVarResult VT_EMPTY
        assert obj._name == "new"
        assert invoke(p, 4, DISPATCH_PROPERTYPUT, (5,), named=(DISPID_PROPERTYPUT,)).hr == S_OK
        assert obj._name == "5"  # coerced to BSTR
        assert invoke(p, 4, DISPATCH_PROPERTYPUT, ("x",)).hr == 0x80020004  # not named DISPID_PROPERTYPUT
        assert invoke(p, 4, DISPATCH_PROPERTYPUTREF, ("x",), named=(DISPID_PROPERTYPUT,)).hr == DISP_E_MEMBERNOTFOUND
        assert invoke(p, 4, DISPATCH_METHOD).hr == DISP_E_MEMBERNOTFOUND


@pytest.mark.runtime
def test_echo_keeps_the_vt(mta, classes):
    import datetime
    from decimal import Decimal

    from vtables.variant import Null

    V = classes["Variant"]
    with classes["Contract"]().as_ptr(IDispatch) as p:
        for v in [
            V(2, 7),
            V(4, 1.5),
            V(17, 200),
            V(8, "a\x00b\U0001f600"),
            V(7, datetime.datetime(1899, 12, 29, 6, 0)),
            V(6, Decimal("12.3456")),
            V(14, Decimal("-1.000000000000000000000000001")),
            V(11, True),
            V(1, Null),
            V(0, None),
        ]:
            assert invoke(p, 1, DISPATCH_METHOD, (v,)).value == v


@pytest.mark.runtime
def test_other_automation_types_arrive_as_python_values(mta, classes):
    import datetime
    from decimal import Decimal

    with classes["Contract"]().as_ptr(IDispatch) as p:
        when = datetime.datetime(2020, 1, 2, 3, 4, 5, 6000)
        r = invoke(p, 8, DISPATCH_METHOD, (when, Decimal("1.2345"), 1))
        assert [v.value for v in r.value.value.values] == [when, Decimal("1.2345"), True]
        squares = invoke(p, 6, DISPATCH_METHOD, (4,)).value
        assert squares.vt == 0x200C and squares.value.bounds == [(0, 4)]
        assert [v.vt for v in squares.value.values] == [3] * 4
        assert invoke(p, 7, DISPATCH_METHOD, ([1, 2.5, 3],)).python == 6.5
        assert invoke(p, 7, DISPATCH_METHOD, ("no array",)).hr == DISP_E_TYPEMISMATCH


@pytest.mark.runtime
def test_byref_arguments_are_written_back(mta, classes):
    from ole32_bindings.dlls import ffi
    from vtables.variant import clear, to_python, write

    a, b = ffi.new("VARIANT *"), ffi.new("VARIANT *")
    n, s = ffi.new("VARIANT *"), ffi.new("VARIANT *")
    write(a, 1)
    write(b, "two")
    write(n, 41)
    write(s, "hey")
    bstr = ffi.new("BSTR *", s.bstrVal)
    num = ffi.new("LONG *", 41)

    def byref_variants(arr):
        arr[1].vt, arr[1].pvarVal = 0x400C, a  # VT_BYREF|VT_VARIANT: the first argument
        arr[0].vt, arr[0].pvarVal = 0x400C, b

    def byref_typed(arr):
        arr[1].vt, arr[1].plVal = 0x4003, num  # VT_BYREF|VT_I4
        arr[0].vt, arr[0].pbstrVal = 0x4008, bstr  # VT_BYREF|VT_BSTR

    try:
        with classes["Contract"]().as_ptr(IDispatch) as p:
            assert invoke(p, 5, DISPATCH_METHOD, raw_args=(byref_variants, 2)).hr == S_OK
            assert (to_python(a), to_python(b)) == ("two", 1)
            assert invoke(p, 13, DISPATCH_METHOD, raw_args=(byref_typed, 2)).hr == S_OK
            assert num[0] == 42
            s.bstrVal = bstr[0]  # the old BSTR was freed by the callee, the new one is ours
            assert to_python(s) == "hey!"
            # by value: nothing to write back, and no failure
            assert invoke(p, 5, DISPATCH_METHOD, (1, 2)).hr == S_OK
    finally:
        for v in (a, b, n, s):
            clear(v)


@pytest.mark.runtime
def test_default_member_and_new_enum(mta, classes):
    from ole32_bindings.dlls import ffi
    from vtables.client import client_class
    from vtables.interfaces import IEnumVARIANT, IUnknown
    from vtables.variant import VariantArray, to_python

    obj = classes["Contract"]()
    with obj.as_ptr(IDispatch) as p:
        assert invoke(p, DISPID_VALUE, DISPATCH_PROPERTYGET | DISPATCH_METHOD, (1,)).python == "b"
        r = invoke(p, DISPID_NEWENUM, DISPATCH_METHOD | DISPATCH_PROPERTYGET)
        assert r.value.vt == 13  # VT_UNKNOWN
        unk = r.value.value
        with unk.query(IEnumVARIANT) as e:
            unk.release()
            raw = e.as_raw()
            next_ = _fn(raw, IEnumVARIANT, "Next")
            with VariantArray(3) as arr:
                assert next_(raw, 1, arr.cdata, ffi.NULL) == S_OK  # pCeltFetched may be NULL for one element
                assert to_python(arr[0]) == "a"
                arr.clear()
                fetched = ffi.new("ULONG *")
                assert next_(raw, 3, arr.cdata, fetched) == S_FALSE and fetched[0] == 2
                assert [to_python(arr[i]) for i in range(2)] == ["b", "c"] and arr[2].vt == 0
                arr.clear()
                assert next_(raw, 2, arr.cdata, ffi.NULL) & U == E_POINTER
                assert e.Reset() == S_OK and e.Skip(2) == S_OK and e.Skip(5) == S_FALSE
                e.Reset()
                e.Skip(1)
                with e.Clone() as c:
                    craw = c.as_raw()
                    assert _fn(craw, IEnumVARIANT, "Next")(craw, 1, arr.cdata, fetched) == S_OK
                    assert to_python(arr[0]) == "b"  # the clone starts where the original was
                    arr.clear()
                assert next_(raw, 1, arr.cdata, fetched) == S_OK and to_python(arr[0]) == "b"
        assert client_class(IUnknown)  # (the enumerator and its clone are gone: the leak check says so)


@pytest.mark.runtime
def test_enumerated_objects_have_exact_counts(mta, classes):
    from ole32_bindings.dlls import ffi
    from vtables.interfaces import IEnumVARIANT
    from vtables.variant import VariantArray

    items = [classes["Dyn"](), classes["Dyn"]()]
    enum = classes["EnumVariant"](items)
    with enum.as_ptr(IEnumVARIANT) as e:
        raw = e.as_raw()
        with VariantArray(2) as arr:
            fetched = ffi.new("ULONG *")
            assert _fn(raw, IEnumVARIANT, "Next")(raw, 2, arr.cdata, fetched) == S_OK
            assert [arr[i].vt for i in range(2)] == [9, 9]  # VT_DISPATCH: they implement IDispatch
            assert [refs(o) for o in items] == [1, 1]  # each VARIANT handed out owns one reference
            arr.clear()
            assert [o.com_destroyed for o in items] == [True, True]


@pytest.mark.runtime
def test_interface_arguments_are_borrowed_and_results_add_referenced(mta, classes):
    obj, other = classes["Contract"](), classes["Dyn"]()
    with obj.as_ptr(IDispatch) as p, other.as_ptr(IDispatch) as q:
        assert refs(other) == 1
        # RefsOf sees the count while the call holds the argument: the caller's reference and the VARIANT's
        counted = invoke(p, 12, DISPATCH_METHOD, (q,)).python
        assert counted == 2 and refs(other) == 1
        me = invoke(p, 9, DISPATCH_PROPERTYGET).value
        assert me.vt == 9 and refs(obj) == 2
        me.value.release()
        assert refs(obj) == 1
        assert invoke(p, 9, DISPATCH_PROPERTYGET, result=False).hr == S_OK  # NULL pVarResult: discarded
        assert refs(obj) == 1


# ---- failures ---------------------------------------------------------------------------------------------------


@pytest.mark.runtime
def test_python_exception_fills_excepinfo(mta, classes, caplog):
    with classes["Contract"]().as_ptr(IDispatch) as p:
        r = invoke(p, 10, DISPATCH_METHOD, ("the message",))
        assert r.hr == DISP_E_EXCEPTION
        assert r.excepinfo == ("Test.Contract", "the message", 0x80004005)  # RuntimeError -> E_FAIL
        assert r.value.vt == 0
        r = invoke(p, 11, DISPATCH_METHOD, (0x80070005 - 2**32,))
        assert r.excepinfo == ("Its.Source", "a ComError", 0x80070005)  # a ComError keeps its HRESULT and source
    with classes["Dyn"]().as_ptr(IDispatch) as p:
        r = invoke(p, ids_of(p, "fail")[1][0], DISPATCH_METHOD, ("bad value",))
        assert r.excepinfo == ("Test.Dyn", "bad value", E_INVALIDARG)  # ValueError -> E_INVALIDARG


@pytest.mark.runtime
def test_null_excepinfo_sets_error_info(mta, classes):
    from ole32_bindings.errorinfo import take_error_info

    with classes["Contract"]().as_ptr(IDispatch) as p:
        assert invoke(p, 10, DISPATCH_METHOD, ("no struct",), excepinfo=False).hr == DISP_E_EXCEPTION
        info = take_error_info()
        assert (info.description, info.source) == ("no struct", "Test.Contract")


@pytest.mark.runtime
def test_bad_input_gets_the_right_codes(mta, classes):
    from ole32_bindings.dlls import ffi

    with classes["Contract"]().as_ptr(IDispatch) as p:
        raw = p.as_raw()
        assert invoke(p, 999, DISPATCH_METHOD).hr == DISP_E_MEMBERNOTFOUND
        assert invoke(p, 2, 0, (1, 2)).hr == DISP_E_MEMBERNOTFOUND  # no flags
        assert invoke(p, 2, DISPATCH_METHOD, (1, 2), params=False).hr == E_INVALIDARG  # NULL DISPPARAMS
        assert invoke(p, 2, DISPATCH_METHOD, (1, 2), riid=b"\x01" + bytes(15)).hr == DISP_E_UNKNOWNINTERFACE
        inv = _fn(raw, IDispatch, "Invoke")
        dp = ffi.new("DISPPARAMS *")
        dp.cArgs, dp.cNamedArgs = 1, 2  # more named than arguments
        assert inv(raw, 2, ffi.new("GUID *"), 0, 1, dp, ffi.NULL, ffi.NULL, ffi.NULL) & U == E_INVALIDARG
        dp.cArgs, dp.cNamedArgs = 2, 0  # arguments promised, rgvarg NULL
        assert inv(raw, 2, ffi.new("GUID *"), 0, 1, dp, ffi.NULL, ffi.NULL, ffi.NULL) & U == E_INVALIDARG
        assert inv(raw, 2, ffi.NULL, 0, 1, dp, ffi.NULL, ffi.NULL, ffi.NULL) & U == E_INVALIDARG  # NULL riid

        def bad_vt(arr):
            arr[1].vt, arr[1].lVal = 3, 1
            arr[0].vt = 0x7FFF  # no such VARTYPE

        r = invoke(p, 2, DISPATCH_METHOD, raw_args=(bad_vt, 2))
        assert (r.hr, r.argerr) == (DISP_E_BADVARTYPE, 0)  # refused by VariantChangeType for the LONG
        r = invoke(p, 1, DISPATCH_METHOD, raw_args=(lambda arr: setattr(arr[0], "vt", 0x7FFF), 1))
        assert (r.hr, r.argerr) == (DISP_E_BADVARTYPE, 0)  # a VARIANT parameter: to_python refuses it
        ti = ffi.new("void **")
        assert _fn(raw, IDispatch, "GetTypeInfo")(raw, 1, 0, ti) & U == DISP_E_BADINDEX
        assert _fn(raw, IDispatch, "GetTypeInfo")(raw, 0, 0, ffi.NULL) & U == E_POINTER
        names = ffi.new("DISPID[]", 1)
        assert _fn(raw, IDispatch, "GetIDsOfNames")(raw, ffi.new("GUID *"), ffi.NULL, 1, 0, names) & U == E_INVALIDARG


@pytest.mark.runtime
def test_no_bstr_or_array_leaks_across_invoke(mta, classes):
    from vtables.mallocspy import spying

    V = classes["Variant"]
    with classes["Contract"]().as_ptr(IDispatch) as p, spying() as spy:
        before = spy.outstanding
        invoke(p, 3, DISPATCH_METHOD, ("a", "b", "c"))
        invoke(p, 1, DISPATCH_METHOD, ([["x", 1], ["y", 2]],))
        invoke(p, 6, DISPATCH_METHOD, (5,))
        invoke(p, 10, DISPATCH_METHOD, ("fails",))
        invoke(p, 2, DISPATCH_METHOD, (3, "x"))  # a coercion that fails
        invoke(p, 4, DISPATCH_PROPERTYPUT, (V(8, "put"),), named=(DISPID_PROPERTYPUT,))
        invoke(p, 4, DISPATCH_PROPERTYGET)
        assert spy.outstanding == before


# ---- dispinterfaces and undeclared classes --------------------------------------------------------------------------


@pytest.mark.runtime
def test_dispinterface_members_are_the_class_attributes(mta, classes):
    from ole32_bindings.dlls import ffi

    obj = classes["Events"]()
    raw = obj.query_raw(DEvents.iid)  # QueryInterface for the dispinterface's IID gives its IDispatch
    try:
        assert ids_of(raw, "ECHO", "v") == (S_OK, [1, 0])
        assert invoke(raw, 1, DISPATCH_METHOD, ([1, "x"],)).python is not None
        assert invoke(raw, 2, DISPATCH_PROPERTYGET).python == "l0"
        assert invoke(raw, 2, DISPATCH_PROPERTYPUT, (12,), named=(DISPID_PROPERTYPUT,)).hr == S_OK
        assert obj.Label == "12"  # declared BSTR: coerced
        assert invoke(raw, 3, DISPATCH_PROPERTYGET).value.vt == 3
        assert invoke(raw, 3, DISPATCH_PROPERTYPUT, (1,), named=(DISPID_PROPERTYPUT,)).hr == DISP_E_MEMBERNOTFOUND
        r = invoke(raw, 4, DISPATCH_METHOD)
        assert (r.hr, r.value.vt, obj.Label) == (S_OK, 0, "")
    finally:
        ffi.cast("IUnknown *", raw).lpVtbl.Release(raw)


@pytest.mark.runtime
def test_dispinterface_method_missing_fails_at_definition(mta):
    from vtables import ComObject

    with pytest.raises(InterfaceError, match="does not implement DEvents"):

        class Incomplete(ComObject, implements=[DEvents]):
            def Echo(self, v):
                return v


@pytest.mark.runtime
def test_undeclared_class_members_and_stable_dispids(mta, classes):
    Dyn = classes["Dyn"]
    obj = Dyn()
    with obj.as_ptr(IDispatch) as p:
        (_, [add]), (_, [fixed]), (_, [many]) = ids_of(p, "add"), ids_of(p, "FIXED"), ids_of(p, "many")
        assert (add, fixed, many) == (1, 3, 4)  # sorted: Add, Fail, Fixed, Many
        assert invoke(p, add, DISPATCH_METHOD, (1, 2)).python == 3
        assert invoke(p, add, DISPATCH_METHOD, (5,)).python == 15  # b's Python default
        assert invoke(p, add, DISPATCH_METHOD, (1,), named=(1,)).hr == 0x8002000F  # a skipped
        r = invoke(p, many, DISPATCH_METHOD, (1, "two", 3.0))
        assert [v.value for v in r.python.values] == [1, "two", 3.0]  # *rest
        assert invoke(p, fixed, DISPATCH_PROPERTYGET).python == 42
        assert invoke(p, fixed, DISPATCH_PROPERTYPUT, (1,), named=(DISPID_PROPERTYPUT,)).hr == DISP_E_MEMBERNOTFOUND
        # an attribute set in __init__: reachable once asked for, with the next DISPID, kept for the class
        hr, (label,) = ids_of(p, "LABEL")
        assert hr == S_OK and label == 5
        assert invoke(p, label, DISPATCH_PROPERTYPUTREF, ("y",), named=(DISPID_PROPERTYPUT,)).hr == S_OK
        assert obj.label == "y" and invoke(p, label, DISPATCH_PROPERTYGET).python == "y"
        assert ids_of(p, "_private")[0] == 0x80020006 and ids_of(p, "nothing")[0] == 0x80020006
    with Dyn().as_ptr(IDispatch) as p2:
        assert ids_of(p2, "label") == (S_OK, [5])  # same name, same DISPID, for the life of the class


@pytest.mark.runtime
def test_collection_count_item_and_for_each(mta, classes):
    from vtables.interfaces import IEnumVARIANT

    coll = classes["Collection"](["x", "y", "z"], base=1)
    with coll.as_ptr(IDispatch) as p:
        (_, [count]), (_, [item]) = ids_of(p, "count"), ids_of(p, "item")
        assert item == DISPID_VALUE
        assert invoke(p, count, DISPATCH_PROPERTYGET).python == 3
        assert invoke(p, DISPID_VALUE, DISPATCH_METHOD | DISPATCH_PROPERTYGET, (1,)).python == "x"
        r = invoke(p, DISPID_VALUE, DISPATCH_METHOD, (9,))
        assert r.hr == DISP_E_EXCEPTION and r.excepinfo[2] == DISP_E_BADINDEX
        e = invoke(p, DISPID_NEWENUM, DISPATCH_METHOD | DISPATCH_PROPERTYGET).value.value
        with e, e.query(IEnumVARIANT) as en:
            assert en.Skip(3) == S_OK and en.Skip(1) == S_FALSE


# ---- type information -------------------------------------------------------------------------------------------


def _funcs(ti):
    """(name, memid, invkind, param names, param flags, param vts, result vt, flags) of a type's own functions."""
    from ole32_bindings.dlls import ffi
    from ole32_bindings.memory import bstr_free, bstr_to_str

    ta = ffi.new("TYPEATTR **")
    ti.GetTypeAttr(ta)
    kind, n, flags = ta[0].typekind, ta[0].cFuncs, ta[0].wTypeFlags
    ti.ReleaseTypeAttr(ta[0])
    out = []
    for i in range(n):
        fd = ffi.new("FUNCDESC **")
        ti.GetFuncDesc(i, fd)
        f = fd[0]
        try:
            if f.memid & 0xFFFF0000 in (0x60000000, 0x60010000):
                continue  # IUnknown's and IDispatch's, inherited
            names = ffi.new("BSTR[]", 8)
            count = ti.GetNames(f.memid, names, 8)
            texts = [bstr_to_str(names[k]) for k in range(count)]
            for k in range(count):
                bstr_free(names[k])
            params = [f.lprgelemdescParam[k] for k in range(f.cParams)]
            out.append(
                (
                    texts[0],
                    f.memid,
                    f.invkind,
                    tuple(texts[1:]),
                    tuple(e.paramdesc.wParamFlags for e in params),
                    tuple(e.tdesc.vt for e in params),
                    f.elemdescFunc.tdesc.vt,
                    f.wFuncFlags,
                )
            )
        finally:
            ti.ReleaseFuncDesc(f)
    return kind, flags, out


@pytest.mark.runtime
def test_type_info_describes_the_dual_members(mta, classes):
    with classes["Contract"]().as_ptr(IDispatch) as p, p.GetTypeInfo(0, 0) as ti:
        assert p.GetTypeInfoCount() == 1
        assert ti.GetDocumentation(-1)[0] == "IContract"
        kind, flags, funcs = _funcs(ti)
        assert kind == 4 and flags & 0x1000  # TKIND_DISPATCH, TYPEFLAG_FDISPATCHABLE
        by = {(f[0], f[2]): f for f in funcs}
        join = by[("Join", 1)]
        assert join[1:4] == (3, 1, ("a", "sep", "c"))
        assert join[4] == (0x1, 0x1 | 0x10 | 0x20, 0x1 | 0x10)  # in; in optional hasdefault; in optional
        assert join[5] == (8, 8, 12) and join[6] == 8  # BSTR, BSTR, VARIANT -> BSTR
        assert by[("Name", 2)][3:] == ((), (), (), 8, 0)
        assert by[("Name", 4)][5:7] == ((8,), 24)  # put: the value, no result (VT_VOID)
        assert by[("Swap", 1)][4:6] == ((0x3, 0x3), (26, 26))  # [in, out] VARIANT *: VT_PTR
        assert by[("Squares", 1)][6] == 27  # VT_SAFEARRAY
        assert by[("Self", 2)][6] == 9  # VT_DISPATCH
        assert by[("_NewEnum", 2)][1] == DISPID_NEWENUM and by[("_NewEnum", 2)][7] & 0x1  # restricted
        assert by[("Item", 2)][1] == DISPID_VALUE
        # the names map to the same DISPIDs through the type information
        assert ti.GetIDsOfNames is not None
        ta_guid = _guid_of(ti)
        assert ta_guid == IContract.iid


def _guid_of(ti):
    from ole32_bindings.dlls import ffi
    from ole32_bindings.guid import Guid

    ta = ffi.new("TYPEATTR **")
    ti.GetTypeAttr(ta)
    try:
        return Guid.from_bytes_le(bytes(ffi.buffer(ffi.addressof(ta[0][0], "guid"), 16)))
    finally:
        ti.ReleaseTypeAttr(ta[0])


@pytest.mark.runtime
def test_type_info_of_undeclared_and_dispinterface_classes(mta, classes):
    from ole32_bindings.dlls import ffi

    with classes["Dyn"]().as_ptr(IDispatch) as p, p.GetTypeInfo(0, 0) as ti:
        _, _, funcs = _funcs(ti)
        by = {(f[0], f[2]): f for f in funcs}
        assert by[("Add", 1)][3:7] == (("a", "b"), (0x1, 0x1 | 0x10 | 0x20), (12, 12), 12)
        assert ("Fixed", 2) in by and ("Fixed", 4) not in by
    obj = classes["Events"]()
    raw = obj.query_raw(DEvents.iid)
    try:
        out = ffi.new("void **")
        assert _fn(raw, IDispatch, "GetTypeInfo")(raw, 0, 0, out) == S_OK
        from vtables.client import client_class
        from vtables.interfaces import ITypeInfo

        with client_class(ITypeInfo).from_raw(out[0]) as ti:
            assert _guid_of(ti) == DEvents.iid
            _, _, funcs = _funcs(ti)
            assert {(f[0], f[2], f[6]) for f in funcs} == {
                ("Echo", 1, 12),
                ("Label", 2, 8),
                ("Label", 4, 24),
                ("Size", 2, 3),
                ("Clear", 1, 24),
            }
    finally:
        ffi.cast("IUnknown *", raw).lpVtbl.Release(raw)


@pytest.mark.runtime
def test_provide_class_info_gives_the_coclass(mta, classes):
    from ole32_bindings.guid import Guid
    from vtables.interfaces import IProvideClassInfo

    with classes["Contract"]().as_ptr(IProvideClassInfo) as pci, pci.GetClassInfo() as ci:
        from ole32_bindings.dlls import ffi

        ta = ffi.new("TYPEATTR **")
        ci.GetTypeAttr(ta)
        kind, nimpl = ta[0].typekind, ta[0].cImplTypes
        ci.ReleaseTypeAttr(ta[0])
        assert (kind, nimpl) == (5, 1)  # TKIND_COCLASS with the dual
        assert _guid_of(ci) == Guid(CLSID_CONTRACT)
        assert ci.GetImplTypeFlags(0) == 1  # IMPLTYPEFLAG_FDEFAULT
        with ci.GetRefTypeInfo(ci.GetRefTypeOfImplType(0)) as default:
            assert default.GetDocumentation(-1)[0] == "IContract"


@pytest.mark.runtime
def test_provide_class_info_needs_a_clsid(mta):
    from vtables import ComObject
    from vtables.interfaces import IProvideClassInfo

    with pytest.raises(InterfaceError, match="needs a clsid"):

        class NoClsid(ComObject, implements=[IContract, IProvideClassInfo]):
            pass


# ---- the vtable half of the dual: the same implementation ------------------------------------------------------


@pytest.mark.runtime
def test_the_vtable_converts_automation_values_too(mta, classes):
    import datetime
    from decimal import Decimal

    from ole32_bindings.dlls import ffi
    from vtables.variant import clear, to_python, to_typed, write

    obj = classes["Contract"]()
    V = classes["Variant"]
    raw = obj.query_raw(IContract.iid)
    try:
        # [in] VARIANT by value (a pointer to the caller's copy), [out, retval] VARIANT *
        arg, out = ffi.new("VARIANT *"), ffi.new("VARIANT *")
        write(arg, V(2, -5))
        assert _fn(raw, IContract, "Echo")(raw, arg, out) == S_OK
        assert to_typed(out) == V(2, -5)
        clear(out)
        clear(arg)
        # [in, out] VARIANT *
        a, b = ffi.new("VARIANT *"), ffi.new("VARIANT *")
        write(a, "left")
        write(b, 2.5)
        assert _fn(raw, IContract, "Swap")(raw, a, b) == S_OK
        assert (to_python(a), to_python(b)) == (2.5, "left")
        clear(a)
        clear(b)
        # [out, retval] SAFEARRAY(VARIANT) *, and [in] SAFEARRAY(VARIANT)
        psa = ffi.new("void **")
        assert _fn(raw, IContract, "Squares")(raw, 3, psa) == S_OK
        holder = ffi.new("VARIANT *")
        holder.vt, holder.parray = 0x200C, ffi.cast("SAFEARRAY *", psa[0])  # the VARIANT owns it now
        total = ffi.new("double *")
        assert _fn(raw, IContract, "Sum")(raw, psa[0], total) == S_OK and total[0] == 5.0
        assert to_python(holder) == [0, 1, 4]
        clear(holder)
        # DATE, CY, VARIANT_BOOL by value
        r = ffi.new("VARIANT *")
        cy = 12345  # 1.2345
        day = 43831.5  # 2020-01-01 12:00
        assert _fn(raw, IContract, "Kinds")(raw, day, cy, -1, r) == S_OK
        assert to_python(r) == [datetime.datetime(2020, 1, 1, 12, 0), Decimal("1.2345"), True]
        clear(r)
        # [in, out] LONG * and BSTR *: values in, values out (the old BSTR freed by the callee)
        n = ffi.new("LONG *", 1)
        s = ffi.new("VARIANT *")
        write(s, "x")
        bstr = ffi.new("BSTR *", s.bstrVal)
        assert _fn(raw, IContract, "Bump")(raw, n, bstr) == S_OK
        s.bstrVal = bstr[0]
        assert (n[0], to_python(s)) == (2, "x!")
        clear(s)
        # an [in] interface is borrowed: the count seen inside is the caller's plus none
        other = classes["Dyn"]()
        with other.as_ptr(IDispatch) as q:
            counted = ffi.new("LONG *")
            assert _fn(raw, IContract, "RefsOf")(raw, q.as_raw(), counted) == S_OK and counted[0] == 1
        # a failure: HRESULT and IErrorInfo as for any method, the [out] VARIANT left empty
        out = ffi.new("VARIANT *")
        out.vt = 3
        msg = ffi.new("VARIANT *")
        write(msg, "vt fails")
        assert _fn(raw, IContract, "Fail")(raw, msg.bstrVal) & U == 0x80004005
        clear(msg)
        from ole32_bindings.errorinfo import take_error_info

        assert "vt fails" in take_error_info().description
    finally:
        ffi.cast("IUnknown *", raw).lpVtbl.Release(raw)


# ---- clients nobody here wrote ----------------------------------------------------------------------------------


def _pywin32(ptr):
    """pywin32's dynamic Dispatch on one of our IDispatch pointers (pythoncom wraps the raw address: AddRef)."""
    import sys

    sys.coinit_flags = 0  # pythoncom joins COM on import: the MTA, like the test thread
    import pythoncom
    import win32com.client

    from ole32_bindings.dlls import ffi

    wrapped = pythoncom.ObjectFromAddress(int(ffi.cast("uintptr_t", ptr.as_raw())), pythoncom.IID_IDispatch)
    return win32com.client.Dispatch(wrapped), pythoncom


@pytest.mark.runtime
def test_pywin32_dynamic_dispatch_on_a_dual(mta, classes):
    import gc

    obj = classes["Contract"]()
    with obj.as_ptr(IDispatch) as p:
        d, pythoncom = _pywin32(p)
        assert refs(obj) == 2
        assert d.Add(2, 3) == 5 and d.add(2, "3") == 5  # case-insensitive; coerced
        assert (d.Join("a"), d.Join("a", "+", 7), d.Join("a", c="q")) == ("a-", "a+7", "a-q")  # defaults, named
        assert d.Name == "n0"
        d.Name = "from pywin32"
        assert obj._name == "from pywin32" and d.Name == "from pywin32"
        assert d.Echo(5) == 5 and d.Echo("s") == "s"
        assert d.Squares(4) == (0, 1, 4, 9) and d.Sum([1, 2, 3.5]) == 6.5
        assert d.Swap(1, "two") == ("two", 1)  # pywin32 passes ByRef and returns the written-back values
        me = d.Self
        assert me.Name == "from pywin32" and refs(obj) == 3
        del me
        assert d.Item(2) == "c" and d(0) == "a"  # the default member
        assert list(d) == ["a", "b", "c"]  # For Each: _NewEnum
        with pytest.raises(pythoncom.com_error) as info:
            d.Fail("from python")
        hr, _msg, excepinfo, _argerr = info.value.args
        assert hr & U == DISP_E_EXCEPTION
        assert excepinfo[1:3] == ("Test.Contract", "from python") and excepinfo[5] & U == 0x80004005
        with pytest.raises(pythoncom.com_error) as info:  # (pywin32's own Invoke: no client-side conversion)
            d._oleobj_.Invoke(2, 0, DISPATCH_METHOD, True, 1, "not a number")
        # puArgErr was 0 (rgvarg[0]: the last argument); pywin32 reports it as the 1-based position, 2
        assert info.value.args[0] & U == DISP_E_TYPEMISMATCH and info.value.args[3] == 2
        del d, info  # (the traceback holds the wrapper)
        gc.collect()
        assert refs(obj) == 1


@pytest.mark.runtime
def test_pywin32_dynamic_dispatch_on_an_undeclared_class(mta, classes):
    import gc

    obj = classes["Dyn"]()
    coll = classes["Collection"](["x", "y"])
    with obj.as_ptr(IDispatch) as p, coll.as_ptr(IDispatch) as c:
        d, _ = _pywin32(p)
        assert d.Add(1, 2) == 3 and d.Add(4) == 14 and d.Fixed == 42
        assert d.label == "x"
        d.label = "changed"
        assert obj.label == "changed"
        assert d.Many(1, 2, 3) == (1, 2, 3)
        e, _ = _pywin32(c)
        assert e.Count == 2 and e(1) == "y" and list(e) == ["x", "y"]
        del d, e
        gc.collect()
        assert refs(obj) == 1 and refs(coll) == 1


def _comtypes(ptr):
    """comtypes' dynamic dispatch on one of our IDispatch pointers (a new reference it releases)."""
    import ctypes
    import sys

    sys.coinit_flags = 0  # comtypes joins COM on import: the MTA, like the test thread
    import comtypes
    import comtypes.automation
    import comtypes.client.dynamic

    from ole32_bindings.dlls import ffi

    raw = ctypes.cast(
        ctypes.c_void_p(int(ffi.cast("uintptr_t", ptr.as_raw()))), ctypes.POINTER(comtypes.automation.IDispatch)
    )
    raw.AddRef()  # comtypes releases the pointer it holds when it is collected
    return comtypes.client.dynamic.Dispatch(raw), comtypes


@pytest.mark.runtime
def test_comtypes_dynamic_dispatch(mta, classes):
    import gc

    obj = classes["Contract"]()
    with obj.as_ptr(IDispatch) as p:
        d, comtypes = _comtypes(p)
        assert refs(obj) == 2
        assert d.Add(2, 3) == 5 and d.Join("a") == "a-" and d.Join("a", "+", 7) == "a+7"
        assert d.Name == "n0"
        d.Name = "from comtypes"
        assert obj._name == "from comtypes"
        assert d.Echo(2.5) == 2.5 and d.Squares(3) == (0, 1, 4) and d.Sum([1, 2]) == 3.0
        me = d.Self
        assert me.Name == "from comtypes"
        del me
        assert [x for x in d] == ["a", "b", "c"]
        with pytest.raises(comtypes.COMError) as info:
            d.Fail("from comtypes")
        assert info.value.hresult & U == DISP_E_EXCEPTION
        assert info.value.details[:2] == ("from comtypes", "Test.Contract")
        del d, info  # (the traceback holds the wrapper)
        gc.collect()
        assert refs(obj) == 1
    obj = classes["Dyn"]()
    with obj.as_ptr(IDispatch) as p:
        d, _ = _comtypes(p)
        assert d.Add(1, 2) == 3 and d.Fixed == 42
        del d
        gc.collect()
        assert refs(obj) == 1


@pytest.mark.runtime
def test_two_dispatchable_interfaces_each_answer_their_own_members(mta, classes):
    from ole32_bindings.dlls import ffi
    from vtables import ComObject
    from vtables.dispatch import dispatch_table

    class ISecond(IDispatch):
        iid = "{6F0C1F5E-2D8B-4F61-9B0B-1D3C5A7E9104}"
        Twice = method("[id(1)] HRESULT Twice([in] LONG n, [out, retval] LONG *r)")

    class Both(ComObject, implements=[ISecond, DEvents]):
        def __init__(self):
            self.Label, self.Size = "both", 2

        def Twice(self, n):
            return 2 * n

        def Echo(self, v):
            return v

        def Clear(self):
            self.Label = ""

    assert dispatch_table(Both).name == "ISecond" and dispatch_table(Both, DEvents).name == "DEvents"
    obj = Both()
    first, second = obj.query_raw(IDispatch.iid), obj.query_raw(DEvents.iid)
    try:
        # QueryInterface(IID_IDispatch) gives the first dispatchable interface; each has its own DISPIDs
        assert invoke(first, 1, DISPATCH_METHOD, (21,)).python == 42
        assert invoke(second, 1, DISPATCH_METHOD, ("echo",)).python == "echo"
        assert invoke(second, 2, DISPATCH_PROPERTYGET).python == "both"
        assert ids_of(first, "label")[0] == 0x80020006 and ids_of(second, "label") == (S_OK, [2])
    finally:
        for raw in (first, second):
            ffi.cast("IUnknown *", raw).lpVtbl.Release(raw)


@pytest.mark.runtime
def test_a_class_defining_invoke_keeps_it(mta):
    from ole32_bindings.dlls import ffi
    from vtables import ComObject

    class Own(ComObject, implements=[IDispatch]):
        def GetTypeInfoCount(self):
            return 0

        def GetTypeInfo(self, index, lcid):
            raise NotImplementedError

        def GetIDsOfNames(self, riid, names, count, lcid, ids):
            ids[0] = 77
            return 0

        def Invoke(self, dispid, riid, lcid, flags, params, result, excepinfo, argerr):
            result.vt, result.lVal = 3, dispid
            return 0

    with Own().as_ptr(IDispatch) as p:
        assert ids_of(p, "anything") == (S_OK, [77])
        assert invoke(p, 5, DISPATCH_METHOD).python == 5
        count = ffi.new("UINT *", 9)
        assert _fn(p.as_raw(), IDispatch, "GetTypeInfoCount")(p.as_raw(), count) == S_OK and count[0] == 0
