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
    # MIDL's numbering: 0x60000000 | level << 16 | n, a property's accessors sharing one number
    assert get_name.memid == put_name.memid == 0x60020001
    assert swap.memid == 0x60020002
    assert item.memid == DISPID_VALUE and enum.memid == DISPID_NEWENUM
    assert enum.attrs == ("id(DISPID_NEWENUM)", "propget", "restricted")
    # the vtable is unchanged by attributes: IDispatch's 7 slots, then these in order
    assert [m.index for m in IShape.own_methods] == [7, 8, 9, 10, 11, 12]


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
    with pytest.raises(InterfaceError, match="no parameters"):
        dispproperty("[id(1)] LONG A(LONG x)")
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
