"""Interface declarations: parsing, layout, and the vtable order checked against mingw-w64's C vtables."""

import re

import pytest

from vtables import Interface, InterfaceError, method
from vtables import interfaces as I

SLOTS = {
    "IUnknown": 3,
    "IClassFactory": 5,
    "IPersist": 4,
    "IMarshal": 9,
    "IExternalConnection": 5,
    "ISequentialStream": 5,
    "IStream": 14,
    "IGlobalInterfaceTable": 6,
    "IContextCallback": 4,
    "IComThreadingInfo": 7,
    "IMessageFilter": 6,
    "ISupportErrorInfo": 4,
    "IErrorInfo": 8,
    "ICreateErrorInfo": 8,
    "IDispatch": 7,
    "IEnumVARIANT": 7,
    "IProvideClassInfo": 4,
    "ITypeLib": 13,
    "ITypeInfo": 22,
    "ICreateTypeLib": 13,
    "ICreateTypeLib2": 17,
    "ICreateTypeInfo": 26,
    "IMalloc": 9,
    "IMallocSpy": 15,
    "IProvideClassInfo2": 5,
    "IConnectionPointContainer": 5,
    "IConnectionPoint": 8,
    "IEnumConnectionPoints": 7,
    "IEnumConnections": 7,
    "IEnumUnknown": 7,
    "IEnumString": 7,
    "IObjectControl": 6,
    "IObjectConstruct": 4,
    "IObjectConstructString": 8,
    "IObjectContext": 11,
    "IContextState": 7,
}
#: declared interfaces of ours, in no SDK header
OURS = {"IObjectDispose": 4}
HEADERS = [
    "objidl.h",
    "objidlbase.h",
    "oaidl.h",
    "unknwn.h",
    "unknwnbase.h",
    "ctxtcall.h",
    "oleauto.h",
    "ocidl.h",
    "comsvcs.h",
]


def _mingw_vtable_order(name):
    for h in HEADERS:
        try:
            with open(f"/usr/share/mingw-w64/include/{h}", encoding="latin-1") as f:
                text = f.read()
        except FileNotFoundError:
            continue
        m = re.search(rf"typedef struct {name}Vtbl \{{(.*?)\}} {name}Vtbl;", text, re.S)
        if m:
            return re.findall(r"\((?:STDMETHODCALLTYPE|WINAPI) \*(\w+)\)", m.group(1))
    return None


@pytest.mark.parametrize("name,slots", sorted(SLOTS.items()))
def test_layout_sizes_and_order_match_the_sdk(name, slots):
    iface = getattr(I, name)
    assert len(iface.layout) == slots
    assert [m.index for m in iface.layout] == list(range(slots))
    order = _mingw_vtable_order(name)
    assert order is not None, f"{name}Vtbl not found in mingw-w64's headers (run tools/provision)"
    assert [m.name for m in iface.layout] == order


def test_directions_and_c_signatures():
    w = I.IMarshal.GetMarshalSizeMax
    assert [p.direction for p in w.params] == ["in", "in", "in", "in", "in", "out"]
    assert w.c_funcptr() == "HRESULT(*)(void **, const GUID *, void *, DWORD, void *, DWORD, DWORD *)"
    assert [p.name for p in w.results] == ["pSize"]
    qi = I.IUnknown.QueryInterface
    assert qi.params[1].iid_is == "riid" and qi.params[1].ctype.kind == "iface"
    read = I.ISequentialStream.Read
    assert read.preserve_sig and [p.name for p in read.args] == ["pv", "cb"]


def test_declaration_errors_are_caught_at_definition():
    with pytest.raises(InterfaceError, match="no iid"):

        class INoIid(I.IUnknown):
            Foo = method("HRESULT Foo()")

    with pytest.raises(InterfaceError, match="names differ"):

        class IMismatch(I.IUnknown):
            iid = "{11111111-0000-0000-0000-000000000001}"
            Foo = method("HRESULT Bar()")

    with pytest.raises(InterfaceError, match="must be a pointer"):
        method("HRESULT Foo([out] LONG x)")
    with pytest.raises(InterfaceError, match="cannot parse"):
        method("this is not C")
    with pytest.raises(ValueError, match="unknown C type"):
        method("HRESULT Foo([in] struct_nobody_knows x)")
    with pytest.raises(InterfaceError, match="unknown attribute"):
        method("HRESULT Foo([in, sideways] LONG x)")


def test_inheritance_appends_after_the_base():
    class IBase(I.IUnknown):
        iid = "{11111111-0000-0000-0000-000000000002}"
        A = method("HRESULT A()")

    class IDerived(IBase):
        iid = "{11111111-0000-0000-0000-000000000003}"
        B = method("HRESULT B([in] LONG x, [out, retval] LONG *y)")

    assert [m.name for m in IDerived.layout] == ["QueryInterface", "AddRef", "Release", "A", "B"]
    assert IDerived.B.index == 4 and IDerived.lineage == (IDerived, IBase, I.IUnknown)
    assert "[4] HRESULT B" in IDerived.describe()
    assert issubclass(IDerived, Interface)


def test_every_slot_type_is_known_to_the_bindings_cdef():
    """Each method's C function pointer type parses with the bindings' declarations (else the first client or
    server of that interface would fail at run time with 'undefined type name')."""
    import cffi

    from ole32_bindings import _declarations

    ffi = cffi.FFI()
    ffi.cdef(_declarations.full_cdef())
    checked = 0
    for name in I.__all__:
        for m in getattr(I, name).layout:
            ffi.typeof(m.c_funcptr())
            checked += 1
    assert checked == sum(SLOTS.values()) + sum(OURS.values())
