"""The late-bound client's COM-free rules (vtables._dispcall): DISPPARAMS order, members read from type
information, the errors and their fields, the ByRef box. No COM runtime needed: these run on Linux too."""

from __future__ import annotations

import pickle

import pytest

from ole32_bindings.hresult import ComError, InvalidArgError
from vtables._dispcall import (
    DISPATCH_METHOD,
    DISPATCH_PROPERTYGET,
    DISPATCH_PROPERTYPUT,
    DISPATCH_PROPERTYPUTREF,
    DISPID_NEWENUM,
    DISPID_PROPERTYPUT,
    ByRef,
    DispatchError,
    Member,
    TypeTable,
    UnknownNameError,
    dispatch_error,
    plan_arguments,
)

DISP_E_EXCEPTION = 0x80020009
DISP_E_UNKNOWNNAME = 0x80020006
DISP_E_TYPEMISMATCH = 0x80020005
DISP_E_BADPARAMCOUNT = 0x8002000E
PARAMFLAG_FIN, PARAMFLAG_FOUT, PARAMFLAG_FRETVAL, PARAMFLAG_FOPT, PARAMFLAG_FHASDEFAULT = 0x1, 0x2, 0x8, 0x10, 0x20

# ---- COM-free: DISPPARAMS order ---------------------------------------------------------------------------------


def test_positional_arguments_go_last_first():
    plan = plan_arguments(("a", "b", "c"))
    assert plan.values == ("c", "b", "a")
    assert plan.named == ()
    assert plan.origins == (2, 1, 0)


def test_named_arguments_come_first_in_their_order():
    plan = plan_arguments(("a",), [("c", 7, "C"), ("sep", 5, "+")])
    assert plan.values == ("C", "+", "a")
    assert plan.named == (7, 5)  # rgdispidNamedArgs[i] names rgvarg[i]
    assert plan.origins == ("c", "sep", 0)


def test_a_property_put_passes_its_value_as_dispid_propertyput():
    plan = plan_arguments(("key", "value"), (), DISPATCH_PROPERTYPUT)
    assert plan.values == ("value", "key")
    assert plan.named == (DISPID_PROPERTYPUT,)
    assert plan.origins == ("value", 0)
    ref = plan_arguments(("obj",), [("x", 3, 1)], DISPATCH_PROPERTYPUTREF)
    assert ref.values == ("obj", 1) and ref.named == (DISPID_PROPERTYPUT, 3)
    with pytest.raises(TypeError, match="value to assign"):
        plan_arguments((), (), DISPATCH_PROPERTYPUT)


def test_nothing_is_added_for_omitted_arguments_and_gaps_are_sent_as_written():
    from ole32_bindings.oavalues import Missing

    assert plan_arguments(()).values == ()
    plan = plan_arguments(("a", Missing, "c"))
    assert plan.values == ("c", Missing, "a")


def test_arg_err_names_the_callers_argument():
    plan = plan_arguments(("a", "b"), [("c", 9, 1)])
    assert [plan.origin_of(i) for i in range(3)] == ["c", 1, 0]
    assert plan.origin_of(3) is None and plan.origin_of(0xFFFFFFFF) is None and plan.origin_of(-1) is None


# ---- COM-free: members from type information ----------------------------------------------------------------------


def _dictionary_like() -> TypeTable:
    t = TypeTable("guid", "IDictionary", dual=True)
    t.add_function("QueryInterface", 0x60000000, 1, [("riid", 1), ("ppvObj", 2)], restricted=True)
    t.add_function("Item", 0, 8, [("Key", PARAMFLAG_FIN), ("pRetItem", PARAMFLAG_FIN)])
    t.add_function("Item", 0, 4, [("Key", PARAMFLAG_FIN), ("pRetItem", PARAMFLAG_FIN)])
    t.add_function("Item", 0, 2, [("Key", PARAMFLAG_FIN)])
    t.add_function("Add", 1, 1, [("Key", PARAMFLAG_FIN), ("Item", PARAMFLAG_FIN)])
    t.add_function("Count", 2, 2, [])
    t.add_function("Keys", 6, 1, [])
    t.add_function("CompareMode", 9, 4, [("pcomp", PARAMFLAG_FIN)])
    t.add_function("CompareMode", 9, 2, [("pcomp", PARAMFLAG_FOUT | PARAMFLAG_FRETVAL)])
    t.add_function("_NewEnum", DISPID_NEWENUM, 1, [], restricted=True)
    t.add_function("Tail", 12, 2, [("n", PARAMFLAG_FIN | PARAMFLAG_FOPT)])
    t.add_variable("Version", 13, readonly=True)
    t.add_variable("Tag", 14, readonly=False)
    return t


def test_members_are_found_in_any_case_and_their_kind_decides_the_access():
    t = _dictionary_like()
    assert t.get("QueryInterface") is None  # IUnknown's restricted methods are left out
    assert t.get("_newenum").dispid == DISPID_NEWENUM  # restricted, but the enumerator stays
    assert t.get("count") is t.get("COUNT") is t.get("Count")
    assert t.get("Count").access == "get"
    assert t.get("Add").access == "method" and t.get("add").call_flags == DISPATCH_METHOD
    assert t.get("Keys").access == "method"  # a method without arguments is still called explicitly
    item = t.get("item")
    assert item.access == "indexed" and item.get_required == 1 and item.call_flags == DISPATCH_PROPERTYGET
    assert t.get("Tail").access == "get"  # only optional arguments: read at once
    assert t.get("Version").access == "get" and t.get("Tag").access == "get"
    assert t.get("Add").params == ("Key", "Item")
    assert t.get("Nope") is None
    assert t.by_dispid(0) is item and t.by_dispid(12345) is None
    assert sorted(t.names()) == sorted(
        ["Item", "Add", "Count", "Keys", "CompareMode", "_NewEnum", "Tail", "Version", "Tag"]
    )
    assert len(t) == 9


def test_put_flags_follow_what_the_type_lists():
    t = _dictionary_like()
    assert t.get("Item").put_flags(is_object=True) == DISPATCH_PROPERTYPUTREF  # it has a putref
    assert t.get("Item").put_flags(is_object=False) == DISPATCH_PROPERTYPUT
    assert t.get("CompareMode").put_flags(is_object=True) == DISPATCH_PROPERTYPUT  # only a put
    assert t.get("Tag").put_flags(is_object=False) == DISPATCH_PROPERTYPUT
    untyped = Member("X", 5)
    assert untyped.access == "untyped" and untyped.call_flags == DISPATCH_METHOD | DISPATCH_PROPERTYGET
    assert untyped.put_flags(True) == DISPATCH_PROPERTYPUTREF and untyped.put_flags(False) == DISPATCH_PROPERTYPUT
    only_ref = Member("R", 6, invkind=8)
    assert only_ref.put_flags(False) == DISPATCH_PROPERTYPUTREF


def test_dynamic_names_and_method_hints():
    t = TypeTable()
    m = t.add_dynamic("Join", 3)
    assert t.get("JOIN") is m and m.access == "untyped"
    hinted = t.add_dynamic("Swap", 4, invkind=1)
    assert hinted.access == "method" and hinted.call_flags == DISPATCH_METHOD


# ---- COM-free: errors -------------------------------------------------------------------------------------------


def test_an_unknown_name_is_an_attribute_error_so_hasattr_works():
    class Obj:
        def __getattr__(self, name):
            raise dispatch_error(DISP_E_UNKNOWNNAME, member=name)

    e = dispatch_error(DISP_E_UNKNOWNNAME, "no such member", member="Nope")
    assert isinstance(e, UnknownNameError) and isinstance(e, AttributeError) and isinstance(e, ComError)
    assert e.hresult == DISP_E_UNKNOWNNAME and e.member == "Nope" and e.name == "Nope"
    assert e.hresult_name == "DISP_E_UNKNOWNNAME" and str(e).startswith("DISP_E_UNKNOWNNAME (0x80020006)")
    e.name = "other"  # Python sets it when the error leaves __getattr__
    assert e.name == "other"
    assert not hasattr(Obj(), "Nope")
    assert getattr(Obj(), "Nope", 42) == 42


def test_dispatch_errors_carry_excepinfo_and_are_also_the_typed_error():
    e = dispatch_error(
        DISP_E_EXCEPTION, "it broke", "Some.Source", scode=-2147221504, wcode=0, member="Fail", help_file="h.chm"
    )
    assert type(e) is DispatchError
    assert (e.hresult, e.description, e.source, e.scode, e.member, e.help_file) == (
        DISP_E_EXCEPTION,
        "it broke",
        "Some.Source",
        0x80040000,
        "Fail",
        "h.chm",
    )
    assert "Some.Source: it broke" in str(e) and "member 'Fail'" in str(e) and "scode 0x80040000" in str(e)
    typed = dispatch_error(0x80070057, member="Add", argument=1)
    assert isinstance(typed, DispatchError) and isinstance(typed, InvalidArgError)
    assert type(typed) is type(dispatch_error(0x80070057))  # one combined class per HRESULT
    mismatch = dispatch_error(DISP_E_TYPEMISMATCH, member="Add", argument="Key")
    assert mismatch.argument == "Key" and "argument 'Key'" in str(mismatch)


def test_dispatch_errors_pickle_with_their_fields():
    e = dispatch_error(DISP_E_EXCEPTION, "d", "s", scode=0x80040200, member="M", argument=0)
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is DispatchError
    assert (back.hresult, back.description, back.source, back.scode, back.member, back.argument) == (
        DISP_E_EXCEPTION,
        "d",
        "s",
        0x80040200,
        "M",
        0,
    )
    unknown = pickle.loads(pickle.dumps(dispatch_error(DISP_E_UNKNOWNNAME, member="X")))
    assert isinstance(unknown, UnknownNameError) and unknown.member == "X"
    typed = pickle.loads(pickle.dumps(dispatch_error(0x80070057, member="Y")))
    assert isinstance(typed, InvalidArgError) and isinstance(typed, DispatchError) and typed.member == "Y"


def test_byref_is_a_plain_box():
    b = ByRef(5)
    assert (b.value, b.vt) == (5, None) and repr(b) == "ByRef(5)"
    assert repr(ByRef("x", vt=3)) == "ByRef('x', vt=3)"
    assert ByRef().value is None
