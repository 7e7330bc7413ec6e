"""Declarations of types other than interfaces (what imported type libraries need): enums, aliases, forward
declarations, records and unions with their Win64 layout, and indexed dispinterface properties. COM-free."""

from __future__ import annotations

from enum import IntEnum

import pytest

from vtables.ctypes_ import ctype_of, size_and_alignment
from vtables.declare import (
    InterfaceError,
    Record,
    Union,
    alias,
    enumtype,
    field,
    forward_interfaces,
    forward_records,
    method,
)
from vtables.interfaces import IDispatch, IUnknown
from vtables.members import INVOKE_PROPERTYGET, INVOKE_PROPERTYPUT, DispInterface, dispproperty, interface_table


def test_enum_type_is_a_four_byte_integer():
    @enumtype
    class DtShade(IntEnum):
        Light = 1
        Dark = -1

    m = method("HRESULT Paint([in] DtShade s, [out, retval] DtShade *was)")
    assert m.params[0].ctype.c == "LONG" and m.params[0].ctype.kind == "int"
    assert m.params[1].ctype.returned_when_out
    assert size_and_alignment(m.params[0].ctype) == (4, 4)


def test_alias_means_its_target():
    t = alias("DtColour", "ULONG")
    assert (t.c, t.kind) == ("ULONG", "int")
    assert ctype_of("DtColour *").c == "ULONG *"
    assert alias("DtFontPtr", "IDispatch *").kind == "iface"
    with pytest.raises(ValueError):
        alias("DtBroken", "NoSuchType")


def test_forward_interfaces_names_interfaces_of_any_spelling():
    with pytest.raises(ValueError):
        ctype_of("DtFont *")
    forward_interfaces("DtFont")
    t = ctype_of("DtFont **")
    assert (t.kind, t.depth, t.interface) == ("iface", 2, "DtFont")

    class DtLater(IUnknown):  # a class of another spelling registers itself
        iid = "{5E1B8C3A-0000-4000-8000-000000000001}"

    assert ctype_of("DtLater *").interface == "DtLater"


def test_record_natural_layout_and_checked_size():
    class DtMixed(Record, size=48, alignment=8):
        tag = field("SHORT")
        value = field("double")
        name = field("BSTR")
        flags = field("BYTE", count=3)
        guid = field("GUID")

    assert [(f.name, f.offset) for f in DtMixed.fields] == [
        ("tag", 0),
        ("value", 8),
        ("name", 16),
        ("flags", 24),
        ("guid", 28),
    ]
    assert DtMixed.size == 48  # 44 bytes of members, rounded up to the alignment of the double


def test_record_size_mismatch_is_an_error_at_declaration():
    with pytest.raises(InterfaceError, match="DtWrong: its members take 8 bytes, declared size is 12"):

        class DtWrong(Record, size=12):
            a = field("LONG")
            b = field("LONG")


def test_record_packing_offsets_and_flexible_member():
    class DtPacked(Record, pack=2, size=10):
        a = field("SHORT")
        b = field("double")

    assert [f.offset for f in DtPacked.fields] == [0, 2] and DtPacked.alignment == 2

    class DtBlob(Record, size=8, alignment=4):
        flags = field("ULONG")
        size = field("ULONG")
        data = field("BYTE", count=0)

    assert DtBlob.fields[-1].offset == 8 and "data[]" in DtBlob.describe()

    class DtAt(Record):
        a = field("BYTE")
        b = field("LONG", offset=1)

    assert [f.offset for f in DtAt.fields] == [0, 1]


def test_union_and_records_as_types():
    forward_records("DtNode")
    assert ctype_of("DtNode *").c == "void *"
    with pytest.raises(ValueError, match="before it is declared"):
        ctype_of("DtNode")

    class DtNode(Record):
        next = field("DtNode *")
        value = field("VARIANT")

    class DtEither(Union):
        i = field("LONG")
        v = field("VARIANT")
        n = field("DtNode")

    assert DtNode.size == 32 and DtEither.size == 32 and all(f.offset == 0 for f in DtEither.fields)
    assert size_and_alignment("DtEither") == (32, 8)
    m = method("HRESULT Take([in] DtEither value, [in] DtNode *node)")
    assert m.params[0].ctype.c == "void *"  # Win64 passes a struct of more than 8 bytes as a pointer to a copy


def test_small_record_by_value_is_passed_as_an_integer():
    class DtPair(Record):
        x = field("LONG")
        y = field("LONG")

    assert method("HRESULT Move([in] DtPair p)").params[0].ctype.c == "ULONGLONG"


def test_indexed_dispproperty():
    class DtItems(DispInterface):
        iid = "{5E1B8C3A-0000-4000-8000-000000000002}"
        Item = dispproperty("[id(0)] VARIANT Item([in] LONG index)")
        Count = dispproperty("[id(1)] LONG Count", readonly=True)

    table = interface_table(DtItems)
    item = table.by_name["item"]
    get, put = item.accessors[INVOKE_PROPERTYGET], item.accessors[INVOKE_PROPERTYPUT]
    assert (get.target, [a.name for a in get.args]) == ("get_Item", ["index"])
    assert (put.target, [a.name for a in put.args]) == ("put_Item", ["index", "value"])
    assert table.by_name["count"].accessors[INVOKE_PROPERTYGET].attribute
    with pytest.raises(InterfaceError):
        dispproperty("[id(2)] LONG Bad([out] LONG *x)")
    assert IDispatch in DtItems.lineage
