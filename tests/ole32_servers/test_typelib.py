"""Type libraries generated from the Python declarations: the same layout as widl's compilation of the same IDL
(custom interfaces, duals and their two halves, a dispinterface, a coclass), non-oleautomation types and defaults
refused by name, registration that the typelib marshaler uses and that leaves nothing behind when removed, a
Python dual called from another process through our registered library (vtable and IDispatch), and comtypes'
early binding generated from it.

The reference libraries are build/typelib/benchtarget_widl.tlb and contract_widl.tlb, compiled on the Linux side by
`make native` (which tools/provision runs) from the .idl files next to this test: these tests run under Wine, where
widl is not at hand. probe_dual.py holds the Automation declarations (contract_widl.idl's, in Python) and the
LocalServer32 the cross-process tests start. The refusal and plan tests need no COM runtime and run on Linux too;
the others are marked ``runtime``.
"""

from __future__ import annotations

import os
import sys
import threading

import pytest

from ole32_bindings.guid import Guid
from ole32_servers.typelib import CoClass, TypeLibError, build_type_library, check_automation
from vtables import method
from vtables.interfaces import IUnknown
from vtables.interfaces.automation import IDispatch
from vtables.members import DispInterface, dispmethod, dispproperty

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe_dual import (
    INTERFACES,
    LIBID_REGISTERED,
    LIBID_WIDL,
    PROBE_OBJECT,
    DProbeEvents,
    IProbeDual,
    IProbeDual2,
    IProbeMoney,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WIDL_TLB = os.path.join(ROOT, "build", "typelib", "benchtarget_widl.tlb")
#: the LIBID of benchtarget_widl.idl (this test's own; the C++ bench server's library is another one).
WIDL_LIBID = Guid("{CF82F9C1-EB6B-431A-8229-5D6C214F6968}")
#: registered and unregistered by test_register_then_unregister_leaves_nothing (nothing else uses these).
REG_LIBID = Guid("{459B509D-379B-4EBD-93E8-6C8582FE16FD}")
PSOAINTERFACE = "{00020424-0000-0000-C000-000000000046}"  # oleaut32's typelib marshaller (proxy/stub CLSID)


# The declarations benchtarget_widl.idl describes (IBenchTarget exactly as tests/vtables/targets.py has it).
class IBenchTarget(IUnknown):
    iid = "{3D840911-8FC7-4C2A-9C7B-05A5F4A82DB5}"
    Nothing = method("HRESULT Nothing()")
    Work = method("HRESULT Work([in] LONG n, [out, retval] LONG *sum)")


class ITypeProbe(IBenchTarget):
    iid = "{0BEE4682-12E4-414B-93CA-6986A9A388CD}"
    Scalars = method(
        "HRESULT Scalars([in] SHORT s, [in] USHORT us, [in] BYTE b, [in] ULONG ul, [in] BOOL flag, "
        "[in] VARIANT_BOOL vb, [in] INT i, [in] LONG64 big, [in] ULONGLONG ubig)"
    )
    Floats = method("HRESULT Floats([in] double d, [in] float f, [out, retval] double *r)")
    Strings = method("HRESULT Strings([in] BSTR s, [in, out] BSTR *io, [out] BSTR *o)")
    Variants = method("HRESULT Variants([in] VARIANT v, [in] VARIANT *pv, [out, retval] VARIANT *r)")
    Objects = method(
        "HRESULT Objects([in] IUnknown *u, [in] IDispatch *d, [in] IBenchTarget *t, "
        "[out] IUnknown **ou, [out, retval] IBenchTarget **ot)"
    )
    Others = method("HRESULT Others([in, out] LONG *count, [in] DWORD dw, [in] UINT u, [in] SCODE sc, [in] DATE when)")


class IRegProbe(IUnknown):
    """Registered for real by the registration test: an IID no other test or server uses."""

    iid = "{75230CE5-819A-4D02-895D-C6FE99F636EB}"
    Add = method("HRESULT Add([in] LONG a, [in] LONG b, [out, retval] LONG *sum)")
    Echo = method("HRESULT Echo([in] BSTR s, [out, retval] BSTR *copy)")


# ---- refusals: no runtime needed ----------------------------------------------------------------------------------


def _bad(signature: str, name: str = "IBad") -> type:
    return type(
        name,
        (IUnknown,),
        {"iid": "{0BADC0DE-7E57-4A11-8000-00000000001B}", signature.split("(")[0].split()[-1]: method(signature)},
    )


@pytest.mark.parametrize(
    "signature, expected",
    [
        (
            "HRESULT Find([in] REFIID riid, [out, retval] LONG *n)",
            "IBad.Find parameter 'riid': type 'REFIID' is a GUID",
        ),
        ("HRESULT Name([in] LPCWSTR s)", "IBad.Name parameter 's': type 'LPCWSTR' is a C string (use BSTR)"),
        ("HRESULT Raw([in] void *p)", "IBad.Raw parameter 'p': type 'void *' is a raw pointer or struct"),
        ("HRESULT Stat([out] STATSTG *st)", "IBad.Stat parameter 'st': type 'STATSTG *' is a raw pointer or struct"),
        ("HRESULT Get([in] REFIID riid, [out, iid_is(riid)] void **ppv)", "IBad.Get parameter 'riid'"),
        ("HRESULT Any([out] void **ppv)", "IBad.Any parameter 'ppv': raw pointer type 'void **'"),
        ("HRESULT Open([in] IStream *s)", "IBad.Open parameter 's': interface IStream is not in this type library"),
        ("HRESULT Deep([out] LONG **pp)", "IBad.Deep parameter 'pp': 'LONG **' has too many levels"),
        ("HRESULT Fill([in] LONG n, [in, size_is(n)] LONG *items)", "IBad.Fill parameter 'items': attribute [size_is]"),
        ("HRESULT Last([out, retval] LONG *r, [in] LONG x)", "IBad.Last parameter 'r': [retval] must be the last"),
        ("ULONG Count()", "IBad.Count: returns ULONG"),
        ("HRESULT When([in] LCID lcid)", "IBad.When parameter 'lcid': type 'LCID' is not an oleautomation type"),
    ],
)
def test_non_automation_types_are_refused_by_name(signature, expected, tmp_path):
    iface = _bad(signature)
    with pytest.raises(TypeLibError) as info:
        check_automation([iface])
    assert expected in str(info.value)
    # build_type_library checks before it touches the runtime or the disk: nothing is written
    path = tmp_path / "bad.tlb"
    with pytest.raises(TypeLibError, match=expected.split(":")[0]):
        build_type_library(str(path), REG_LIBID, "BadLib", [IBenchTarget, iface])
    assert not path.exists()


def test_a_base_outside_the_library_is_refused():
    with pytest.raises(TypeLibError, match="ITypeProbe: base interface IBenchTarget is neither IUnknown nor in"):
        check_automation([ITypeProbe])
    assert [p.iface for p in check_automation([ITypeProbe, IBenchTarget])] == [ITypeProbe, IBenchTarget]


def test_the_plan_numbers_members_and_slots_like_midl():
    (bench,) = check_automation([IBenchTarget])
    assert bench.base is None  # IUnknown, referenced from stdole2
    assert [(f.name, hex(f.memid), f.ovft) for f in bench.funcs] == [
        ("Nothing", "0x60010000", 24),
        ("Work", "0x60010001", 32),
    ]
    assert [(p.name, p.type, p.flags) for p in bench.funcs[1].params] == [("n", 3, 1), ("sum", ("PTR", 3), 10)]


# ---- the generated library against widl's -------------------------------------------------------------------------


def _widl_tlb() -> str:
    assert os.path.exists(WIDL_TLB), (
        f"{WIDL_TLB} is missing: it is compiled by widl on the Linux side; run tools/provision (or make native)"
    )
    return WIDL_TLB


@pytest.mark.runtime
def test_layout_matches_widl(mta, tmp_path):
    from ole32_servers.typelib import type_library_layout

    ours_path = str(tmp_path / "ours.tlb")
    build_type_library(ours_path, WIDL_LIBID, "BenchTargetWidl", [IBenchTarget, ITypeProbe])
    ours, widl = type_library_layout(ours_path), type_library_layout(_widl_tlb())

    # What the typelib marshaller reads, spelled out for IBenchTarget ...
    bench = ours["interfaces"][0]
    assert (bench["name"], bench["guid"], bench["base"], bench["flags"]) == (
        "IBenchTarget",
        IBenchTarget.iid,
        "IUnknown",
        0x100,
    )  # TYPEFLAG_FOLEAUTOMATION
    work = bench["functions"][1]
    assert (work["name"], work["oVft"], work["returns"]) == ("Work", 32, ("HRESULT",))
    assert work["params"] == [
        {"name": "n", "type": ("I4",), "flags": 1},  # [in]
        {"name": "sum", "type": ("PTR", "I4"), "flags": 2 | 8},
    ]  # [out, retval]
    probe = ours["interfaces"][1]
    assert (probe["base"], probe["cbSizeVft"], probe["functions"][0]["oVft"]) == ("IBenchTarget", 88, 40)

    # ... and everything, for every interface, the same as widl's compilation of the IDL.
    assert ours == widl


@pytest.mark.runtime
def test_declaration_order_does_not_matter(mta, tmp_path):
    """A derived interface listed before its base: laid out after it all the same."""
    from ole32_servers.typelib import type_library_layout

    path = str(tmp_path / "reversed.tlb")
    build_type_library(path, WIDL_LIBID, "BenchTargetWidl", [ITypeProbe, IBenchTarget])
    ours, widl = type_library_layout(path), type_library_layout(_widl_tlb())
    assert [i["name"] for i in ours["interfaces"]] == ["ITypeProbe", "IBenchTarget"]
    by_name = {i["name"]: i for i in widl["interfaces"]}
    for i in ours["interfaces"]:
        assert i == by_name[i["name"]]


# ---- registration -------------------------------------------------------------------------------------------------


def _keys_left() -> list[str]:
    from ole32_bindings import registry

    keys = [f"TypeLib\\{REG_LIBID}", f"Interface\\{IRegProbe.iid}"]
    return [k for k in keys if registry.key_exists(registry.HKEY_CLASSES_ROOT, k)]


@pytest.fixture
def reg_cleanup():
    """Nothing of this test's registration before it, and nothing after it, whatever happens in between."""
    from ole32_bindings import registry
    from ole32_servers.typelib import unregister_type_library

    assert _keys_left() == [], "left over by an earlier run"
    yield
    unregister_type_library(REG_LIBID, (1, 0))
    for k in _keys_left():  # only if unregistering failed: do not leave the prefix dirty
        registry.delete_tree(registry.HKEY_CLASSES_ROOT, k)
    assert _keys_left() == []


def _call_from_another_apartment(raw_unknown, iid) -> tuple[list, int]:
    """Marshal ``raw_unknown`` for ``iid`` here, unmarshal it in a new STA thread and call Add and Echo there."""
    from ole32_bindings import apartments, marshaling
    from ole32_bindings.constants import COINIT
    from vtables.client import client_class

    stream = marshaling.marshal_inter_thread_interface_in_stream(iid, raw_unknown)
    results: list = []

    def sta() -> None:
        apartments.co_initialize(COINIT.APARTMENTTHREADED)
        try:
            raw = marshaling.get_interface_and_release_stream(stream, iid)
            with client_class(IRegProbe).from_raw(raw) as probe:
                results.append(probe.Add(2, 40))
                results.append(probe.Echo("typelib marshaller \u00e9"))
        except BaseException as e:
            results.append(e)
        finally:
            apartments.co_uninitialize()

    t = threading.Thread(target=sta)
    t.start()
    t.join(60)
    assert not t.is_alive(), "the cross-apartment call hung"
    return results, t.ident


@pytest.mark.runtime
def test_register_then_unregister_leaves_nothing(mta, tmp_path, reg_cleanup):
    from ole32_bindings import marshaling, registry, typelib
    from ole32_bindings.hresult import ComError
    from ole32_servers.typelib import register_type_library, unregister_type_library
    from vtables.object import ComObject

    class PyRegProbe(ComObject, implements=[IRegProbe]):
        def __init__(self):
            super().__init__()
            self.threads: set[int] = set()

        def Add(self, a, b):
            self.threads.add(threading.get_ident())
            return a + b

        def Echo(self, s):
            return s

    path = str(tmp_path / "regprobe.tlb")
    build_type_library(path, REG_LIBID, "RegProbeLib", [IRegProbe])
    obj = PyRegProbe()
    with obj.as_ptr(IUnknown) as unk:
        # Not registered: no proxy/stub for the interface, so it cannot leave this apartment.
        with pytest.raises(ComError):
            marshaling.marshal_inter_thread_interface_in_stream(IRegProbe.iid, unk.as_raw())

        assert register_type_library(path) == REG_LIBID
        assert os.path.normcase(typelib.query_path_of_reg_type_lib(REG_LIBID, 1, 0)) == os.path.normcase(path)
        hkcr = registry.HKEY_CLASSES_ROOT
        assert registry.query_value(hkcr, f"Interface\\{IRegProbe.iid}\\ProxyStubClsid32") == PSOAINTERFACE
        assert registry.query_value(hkcr, f"Interface\\{IRegProbe.iid}\\TypeLib") == str(REG_LIBID)

        # Registered: oleaut32's typelib marshaller proxies it; the call reaches the object on an MTA thread,
        # not on the STA thread that made it.
        results, sta_thread = _call_from_another_apartment(unk.as_raw(), IRegProbe.iid)
        assert results == [42, "typelib marshaller \u00e9"], results
        assert obj.threads and sta_thread not in obj.threads

    assert unregister_type_library(REG_LIBID, (1, 0)) is True
    with pytest.raises(ComError) as info:
        typelib.load_reg_type_lib(REG_LIBID, 1, 0)
    assert info.value.hresult == 0x8002801D  # TYPE_E_LIBNOTREGISTERED
    assert _keys_left() == []
    assert unregister_type_library(REG_LIBID, (1, 0)) is False  # twice: harmless


# ---- Automation: dual interfaces, dispinterfaces, coclasses (contract_widl.idl) -----------------------------------

CONTRACT_WIDL_TLB = os.path.join(ROOT, "build", "typelib", "contract_widl.tlb")
PSDISPATCH = "{00020420-0000-0000-C000-000000000046}"  # oleaut32's proxy/stub of pure dispinterfaces
TYPEFLAG_FDUAL, TYPEFLAG_FOLEAUTOMATION, TYPEFLAG_FDISPATCHABLE, TYPEFLAG_FCANCREATE = 0x40, 0x100, 0x1000, 0x2
PARAMFLAG_FIN, PARAMFLAG_FOUT, PARAMFLAG_FRETVAL, PARAMFLAG_FOPT, PARAMFLAG_FHASDEFAULT = 1, 2, 8, 0x10, 0x20


def _variant(vt, value):
    from ole32_bindings.oavalues import Variant

    return Variant(vt, value)


def test_the_plan_of_a_dual_interface():
    """A dual: TKIND_INTERFACE flagged FDUAL | FOLEAUTOMATION | FDISPATCHABLE, its functions named after the
    member (a property's accessors share the name and the member id), the declared memids, invoke kinds, function
    flags, cParamsOpt counting the parameters written [optional], and the defaults as exact VARIANTs."""
    dual, dual2, money, events = check_automation(INTERFACES)
    assert (dual.kind, dual.base, dual.typekind, dual.typeflags) == ("dual", None, 3, 0x1140)
    assert (dual2.kind, dual2.base) == ("dual", "IProbeDual")
    by_key = {(f.name, f.invkind): f for f in dual.funcs}
    assert [(f.name, f.memid, f.invkind, f.ovft) for f in dual.funcs[:5]] == [
        ("Unnumbered", 0x60020000, 1, 56),
        ("Echo", 1, 1, 64),
        ("Join", 2, 1, 72),
        ("Name", 3, 2, 80),  # [propget]
        ("Name", 3, 4, 88),  # [propput]
    ]
    assert by_key["Target", 8].memid == 5  # [propputref]
    assert by_key["_NewEnum", 2].memid == -4 and by_key["_NewEnum", 2].funcflags == 0x1  # [restricted]
    assert by_key["Item", 2].memid == 0 and by_key["Hidden", 1].funcflags == 0x40  # [hidden]
    join = by_key["Join", 1]
    assert join.optional == 2
    assert [(p.name, p.flags, p.default) for p in join.params] == [
        ("a", PARAMFLAG_FIN, None),
        ("sep", PARAMFLAG_FIN | PARAMFLAG_FOPT | PARAMFLAG_FHASDEFAULT, _variant(8, "-")),  # VT_BSTR
        ("c", PARAMFLAG_FIN | PARAMFLAG_FOPT, None),
        ("result", PARAMFLAG_FOUT | PARAMFLAG_FRETVAL, None),
    ]
    defaults = [p.default for p in by_key["Defaults", 1].params]
    # LONG 42 -> VT_I4; VARIANT_BOOL VARIANT_TRUE (-1 in the IDL) -> VT_BOOL True; a VARIANT keeps its literal's type
    assert defaults == [_variant(3, 42), None, _variant(11, True), _variant(3, 7), _variant(8, "x"), None]
    types = {p.name: p.type for f in dual.funcs for p in f.params}
    assert types["values"] == ("SAFEARRAY", 12)  # [in] SAFEARRAY(VARIANT)
    assert types["numbers"] == ("PTR", ("SAFEARRAY", 3))  # [in, out] SAFEARRAY(LONG) *
    # DATE, CY, DECIMAL, VARIANT_BOOL; [out] DATE *, CY *; [out, retval] DECIMAL *
    assert [p.type for p in money.funcs[0].params] == [7, 6, 14, 11, ("PTR", 7), ("PTR", 6), ("PTR", 14)]
    objects = [p.type for p in by_key["Objects", 1].params]
    assert objects == [13, 9, ("PTR", ("USER", "IProbeDual")), ("PTR", 13), ("PTR", 9)]  # IUnknown, IDispatch, ours
    # the dispinterface: FUNC_DISPATCH methods returning their declared type, properties as variables
    assert (events.kind, events.typekind, events.typeflags) == ("dispinterface", 4, 0x1000)
    assert [(f.name, f.memid, f.funckind, f.returns) for f in events.funcs] == [
        ("Changed", 3, 4, 24),
        ("Echo", 4, 4, 12),
    ]
    assert [(v.name, v.memid, v.type, v.readonly) for v in events.vars] == [
        ("Label", 1, 8, False),
        ("Count", 2, 3, True),
    ]


def test_the_plan_of_a_coclass():
    from ole32_servers.typelib import _plan_library

    plans, (coclass,) = _plan_library([], [PROBE_OBJECT])
    # the coclass's interfaces join the library; [default] the first, [default, source] the first source
    assert [p.iface for p in plans] == [IProbeDual, IProbeDual2, IProbeMoney, DProbeEvents]
    assert (coclass.name, coclass.clsid, coclass.impls) == (
        "ProbeObject",
        PROBE_OBJECT.clsid,
        (("IProbeDual", 1), ("IProbeDual2", 0), ("IProbeMoney", 0), ("DProbeEvents", 3)),
    )
    other = CoClass("Other", Guid.new(), [IProbeDual, IProbeDual2], default=IProbeDual2)
    assert _plan_library([], [other])[1][0].impls == (("IProbeDual", 0), ("IProbeDual2", 1))


class IDefaults(IDispatch):
    iid = "{5D8E2F77-3D1B-4C53-9E61-0F7A2C4B9D10}"
    F = method(
        "[id(1)] HRESULT F([in, defaultvalue(0x10)] SHORT a, [in, defaultvalue(-1.5)] double b, "
        "[in, defaultvalue(2.5)] VARIANT c, [in, defaultvalue(1.25)] CY d, [in, defaultvalue(TRUE)] VARIANT_BOOL e, "
        "[in, defaultvalue(NULL)] IDispatch *f, [in, defaultvalue(4294967295)] ULONG g, "
        "[in, defaultvalue(2)] DATE h)"
    )


def test_defaults_take_the_declared_type():
    import datetime
    from decimal import Decimal

    (plan,) = check_automation([IDefaults])
    assert [p.default for p in plan.funcs[0].params] == [
        _variant(2, 16),
        _variant(5, -1.5),
        _variant(5, 2.5),
        _variant(6, Decimal("1.25")),
        _variant(11, True),
        _variant(9, None),
        _variant(19, 4294967295),
        _variant(7, datetime.datetime(1900, 1, 1)),
    ]


@pytest.mark.parametrize(
    "signature, expected",
    [
        (
            "HRESULT F([in, defaultvalue(40000)] SHORT s)",
            "IBadDual.F parameter 's': [defaultvalue(40000)] is out of range",
        ),
        ('HRESULT F([in, defaultvalue("x")] LONG n)', "[defaultvalue('x')] cannot be stored for type 'LONG'"),
        ("HRESULT F([in, defaultvalue(1)] BSTR s)", "[defaultvalue(1)] cannot be stored for type 'BSTR'"),
        ("HRESULT F([in, defaultvalue(NULL)] VARIANT v)", "[defaultvalue(None)] cannot be stored for type 'VARIANT'"),
        ("HRESULT F([in] SAFEARRAY(LPCWSTR) a)", "'LPCWSTR' is a C string (use BSTR)"),
        ("HRESULT F([in] SAFEARRAY(LONG *) a)", "SAFEARRAY(LONG *) is not an oleautomation array"),
        ("HRESULT F([in] SAFEARRAY(IStream *) a)", "interface IStream is not in this type library"),
        ("HRESULT F([out] SAFEARRAY(VARIANT) **a)", "too many levels of indirection"),
    ],
)
def test_automation_declarations_that_cannot_be_described(signature, expected):
    iface = type("IBadDual", (IDispatch,), {"iid": "{0BADC0DE-7E57-4A11-8000-00000000002B}", "F": method(signature)})
    with pytest.raises(TypeLibError) as info:
        check_automation([iface])
    assert expected in str(info.value)


def test_bases_and_coclasses_that_cannot_be_described():
    class ICustom(IUnknown):
        iid = "{0BADC0DE-7E57-4A11-8000-00000000003B}"
        F = method("HRESULT F()")

    class IOnCustom(ICustom):
        iid = "{0BADC0DE-7E57-4A11-8000-00000000004B}"

    with pytest.raises(TypeLibError, match="IProbeDual2: base interface IProbeDual is neither IDispatch nor a dual"):
        check_automation([IProbeDual2])
    with pytest.raises(TypeLibError, match=r"IDispatch: IUnknown and IDispatch come from stdole2\.tlb"):
        check_automation([IDispatch])
    assert [p.kind for p in check_automation([ICustom, IOnCustom])] == ["interface", "interface"]
    bad = [
        (CoClass("C", Guid.new(), []), "coclass C: implements no interface"),
        (CoClass("C", Guid.new(), [IProbeDual], default=IProbeDual2), "its default interface IProbeDual2 is not one"),
        (CoClass("IProbeDual", Guid.new(), [IProbeDual]), "coclass IProbeDual: the name is already used"),
        (CoClass("C", Guid.new(), [IProbeDual, IProbeDual]), "coclass C: an interface is listed twice"),
        (("C", Guid.new(), [IProbeDual]), "is not a CoClass"),
        (CoClass("C", Guid.new(), [int]), "coclass C: <class 'int'> is not an interface declaration"),
    ]
    for coclass, expected in bad:
        with pytest.raises(TypeLibError) as info:
            check_automation([IProbeDual], [coclass])
        assert expected in str(info.value)


def _contract_widl_tlb() -> str:
    assert os.path.exists(CONTRACT_WIDL_TLB), (
        f"{CONTRACT_WIDL_TLB} is missing: widl compiles it on the Linux side; run tools/provision (or make native)"
    )
    return CONTRACT_WIDL_TLB


@pytest.mark.runtime
def test_automation_layout_matches_widl(mta, tmp_path):
    """Duals, a dispinterface and a coclass read back through oleaut32 as widl's compilation of the same IDL does,
    but for one thing Wine's ICreateTypeInfo does its own way (docs/wine.md): a dispinterface made with it lists
    IDispatch's seven methods before its own."""
    from ole32_servers.typelib import type_library_layout

    path = str(tmp_path / "contract.tlb")
    build_type_library(path, LIBID_WIDL, "ContractWidl", INTERFACES, coclasses=[PROBE_OBJECT])
    ours, widl = type_library_layout(path), type_library_layout(_contract_widl_tlb())

    # What the typelib marshaler and the clients read, spelled out. A dual is stored as MIDL stores it: the
    # library holds its TKIND_DISPATCH half (IUnknown's and IDispatch's methods, then its own as FUNC_DISPATCH,
    # [retval] become results), and GetRefTypeOfImplType(-1) gives the TKIND_INTERFACE half, the vtable.
    dual = ours["interfaces"][0]
    assert (dual["name"], dual["guid"], dual["typekind"], dual["flags"]) == (
        "IProbeDual",
        IProbeDual.iid,
        4,  # TKIND_DISPATCH
        TYPEFLAG_FDUAL | TYPEFLAG_FDISPATCHABLE,
    )
    assert [f["name"] for f in dual["functions"][:8]] == [
        "QueryInterface",
        "AddRef",
        "Release",
        "GetTypeInfoCount",
        "GetTypeInfo",
        "GetIDsOfNames",
        "Invoke",
        "Unnumbered",
    ]
    join = next(f for f in dual["functions"] if f["name"] == "Join")
    assert (join["funckind"], join["returns"], join["cParamsOpt"]) == (4, ("BSTR",), 2)
    assert join["params"][1] == {"name": "sep", "type": ("BSTR",), "flags": 0x31, "default": _variant(8, "-")}
    vtable = dual["dual"]
    assert (vtable["typekind"], vtable["flags"], vtable["base"], vtable["cbSizeVft"]) == (
        3,  # TKIND_INTERFACE
        TYPEFLAG_FDUAL | TYPEFLAG_FOLEAUTOMATION | TYPEFLAG_FDISPATCHABLE,
        "IDispatch",
        200,  # IDispatch's 7 slots and 18 more
    )
    vjoin = next(f for f in vtable["functions"] if f["name"] == "Join")
    assert (vjoin["funckind"], vjoin["oVft"], vjoin["returns"], vjoin["params"][3]["flags"]) == (
        1,
        72,
        ("HRESULT",),
        10,
    )
    assert ours["interfaces"][1]["dual"]["base"] == "IProbeDual"
    assert ours["coclasses"] == [
        {
            "name": "ProbeObject",
            "guid": PROBE_OBJECT.clsid,
            "flags": TYPEFLAG_FCANCREATE,
            "impl_types": [
                {"name": "IProbeDual", "guid": IProbeDual.iid, "typekind": 4, "flags": 1},
                {"name": "IProbeDual2", "guid": IProbeDual2.iid, "typekind": 4, "flags": 0},
                {"name": "IProbeMoney", "guid": IProbeMoney.iid, "typekind": 4, "flags": 0},
                {"name": "DProbeEvents", "guid": DProbeEvents.iid, "typekind": 4, "flags": 3},
            ],
        }
    ]

    # The dispinterface: Wine's ICreateTypeInfo::LayOut sizes a TKIND_DISPATCH as IDispatch's 7 slots plus its
    # own and its ITypeInfo reports cbSizeVft / 8 functions, the base's first; widl writes its own methods only.
    events = ours["interfaces"][3]
    inherited, own = events["functions"][:7], events["functions"][7:]
    assert [(f["name"], f["flags"]) for f in inherited] == [(f["name"], 1) for f in dual["functions"][:7]]
    widl_events = widl["interfaces"][3]
    assert own == widl_events["functions"]
    assert {**events, "functions": own} == widl_events
    assert events["vars"] == [
        {"name": "Label", "memid": 1, "varkind": 3, "flags": 0, "type": ("BSTR",)},
        {"name": "Count", "memid": 2, "varkind": 3, "flags": 1, "type": ("I4",)},  # VARFLAG_FREADONLY
    ]

    # ... and everything else, field by field, the same as widl's.
    assert {**ours, "interfaces": ours["interfaces"][:3]} == {**widl, "interfaces": widl["interfaces"][:3]}


class IArrays(IDispatch):
    iid = "{5D8E2F77-3D1B-4C53-9E61-0F7A2C4B9D11}"
    F = method("[id(1)] HRESULT F([in] SAFEARRAY(IDispatch *) a, [out, retval] SAFEARRAY(IArrays *) *r)")


class DNoIds(DispInterface):
    iid = "{5D8E2F77-3D1B-4C53-9E61-0F7A2C4B9D12}"
    First = dispmethod("VARIANT First([in] VARIANT v)")
    Second = dispmethod("[id(7)] void Second()")
    Third = dispproperty("BSTR Third")


class IStorable(IDispatch):
    iid = "{5D8E2F77-3D1B-4C53-9E61-0F7A2C4B9D13}"
    F = method(
        "[id(1)] HRESULT F([in, defaultvalue(-1.5)] float a, [in, defaultvalue(100000000)] LONG b, "
        '[in, defaultvalue(4294967295)] ULONG c, [in, defaultvalue("\u00e9\u20ac")] BSTR d, '
        "[in, defaultvalue(-2)] VARIANT e)"
    )


@pytest.mark.runtime
def test_what_widl_cannot_compile(mta, tmp_path):
    """Read back from our library alone: defaults widl cannot write (it parses no 1.5 and stores no floating-point
    default), arrays of interface pointers (widl parses no SAFEARRAY(IDispatch *)), a dispinterface without ids
    (the DISPIDs its dispatch table gives, so Invoke and the library agree)."""
    from ole32_servers.typelib import type_library_layout
    from vtables.members import interface_table

    path = str(tmp_path / "extra.tlb")
    build_type_library(path, REG_LIBID, "Extra", [IStorable, IArrays, DNoIds])
    by_name = {i["name"]: i for i in type_library_layout(path)["interfaces"]}
    storable, arrays, noids = by_name["IStorable"]["dual"], by_name["IArrays"]["dual"], by_name["DNoIds"]
    assert [p["default"] for p in storable["functions"][0]["params"]] == [
        _variant(4, -1.5),  # VT_R4
        _variant(3, 100000000),
        _variant(19, 4294967295),
        _variant(8, "\u00e9\u20ac"),
        _variant(3, -2),
    ]
    f = arrays["functions"][0]
    assert [p["type"] for p in f["params"]] == [("SAFEARRAY", "DISPATCH"), ("PTR", "SAFEARRAY", "PTR", "IArrays")]
    table = interface_table(DNoIds)
    assert [(g["name"], g["memid"]) for g in noids["functions"][7:]] == [
        ("First", table.by_name["first"].dispid),
        ("Second", 7),
    ]
    assert [(v["name"], v["memid"]) for v in noids["vars"]] == [("Third", table.by_name["third"].dispid)]


@pytest.mark.runtime
def test_defaults_the_writer_cannot_store_are_refused_by_name(mta, tmp_path):
    """A double, CY, DATE or interface default: Windows' oleaut32 stores it; Wine 8's writer does not (it stores
    integer, VARIANT_BOOL, float and BSTR defaults only) and the function it wrote cannot be read back
    (DISP_E_BADVARTYPE). build_type_library reads its file back and says which function, leaving no file."""
    from testlib import running_on_wine

    from ole32_servers.typelib import type_library_layout

    path = tmp_path / "defaults.tlb"
    if running_on_wine():
        with pytest.raises(TypeLibError, match=r"IDefaults\.F: oleaut32 wrote a type library it cannot read back"):
            build_type_library(str(path), REG_LIBID, "Defaults", [IDefaults])
        assert not path.exists()
    else:
        build_type_library(str(path), REG_LIBID, "Defaults", [IDefaults])
        (layout,) = type_library_layout(str(path))["interfaces"]
        expected = [p.default for p in check_automation([IDefaults])[0].funcs[0].params]
        assert [p.get("default") for p in layout["dual"]["functions"][0]["params"]] == expected


# ---- our library registered: the typelib marshaler carries a Python dual across processes ------------------------

PROBE_SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "probe_dual.py")


def _probe_keys() -> list[tuple[object, str]]:
    """Every key RegisterTypeLib writes for our library: the library's, and each interface's in both registry
    views (a 64-bit process registers the 32-bit view's too)."""
    from ole32_bindings import registry

    hkcr, hklm = registry.HKEY_CLASSES_ROOT, registry.HKEY_LOCAL_MACHINE
    keys = [(hkcr, f"TypeLib\\{LIBID_REGISTERED}")]
    for i in INTERFACES:
        keys += [(hkcr, f"Interface\\{i.iid}"), (hklm, f"Software\\Wow6432Node\\Classes\\Interface\\{i.iid}")]
    return keys


def _probe_keys_left() -> list[str]:
    from ole32_bindings import registry

    return [k for hive, k in _probe_keys() if registry.key_exists(hive, k)]


@pytest.fixture
def probe_library(tmp_path):
    """Our library of the probe interfaces and coclass, built in tmp_path and registered; whatever the test does,
    unregistered after it with nothing of it left in the registry."""
    from ole32_bindings import registry
    from ole32_servers.typelib import register_type_library, unregister_type_library

    assert _probe_keys_left() == [], "left over by an earlier run"
    path = str(tmp_path / "probe.tlb")
    build_type_library(path, LIBID_REGISTERED, "ContractProbe", INTERFACES, coclasses=[PROBE_OBJECT])
    assert register_type_library(path) == LIBID_REGISTERED
    yield path
    unregister_type_library(LIBID_REGISTERED, (1, 0))
    left = _probe_keys_left()
    for hive, k in _probe_keys():  # only if unregistering failed: do not leave the prefix dirty
        if k in left:
            registry.delete_tree(hive, k)
    assert left == []


@pytest.fixture
def probe_server(tmp_path):
    """Start probe_dual.py serving ProbeObject under a fresh CLSID; yields (clsid, process, report path). The
    server is ended by id if a test left it running."""
    import subprocess

    clsid = Guid.new()
    pid_file, report = str(tmp_path / "server.pid"), str(tmp_path / "report.json")
    proc = subprocess.Popen(
        [sys.executable, PROBE_SERVER, "-Embedding", "-Clsid", str(clsid), "-PidFile", pid_file, "-Report", report],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    try:
        yield clsid, proc, report
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
            pytest.fail("the probe server was still running after the test (killed)")


def _server_report(proc, report) -> dict:
    import json

    assert proc.wait(30) == 0  # the last reference gone, the linger over: the server revoked and exited
    with open(report) as f:
        return json.load(f)


class _Slots:
    """An interface pointer's vtable slots called with C values: ``_Slots(ptr, IFoo).Method(*c_args)`` calls
    ``IFoo::Method`` and raises the typed ComError of a failure HRESULT. The client wrappers (``client_class``)
    convert no Automation value (VARIANT, SAFEARRAY, DATE, VARIANT_BOOL) yet: the test converts them itself
    with ``vtables.variant``, which is what it checks anyway: the VARIANTs and arrays the proxy reads and writes."""

    def __init__(self, ptr, iface):
        from ole32_bindings.dlls import ffi

        self._this = ffi.cast("void **", ptr.as_raw())
        self._vtable = ffi.cast("void ***", self._this)[0]
        self._iface = iface

    def __getattr__(self, name):
        from ole32_bindings.dlls import ffi
        from ole32_bindings.hresult import error_from_hresult

        m = getattr(self._iface, name)
        fn = ffi.cast(m.c_funcptr(), self._vtable[m.index])

        def call(*args):
            hr = fn(self._this, *args)
            if hr < 0:
                raise error_from_hresult(hr)

        return call


def _take_array(psa, vt):
    """The Python value of a SAFEARRAY the caller was given, which is destroyed here (through a VARIANT)."""
    from ole32_bindings.dlls import ffi
    from vtables.variant import VariantArray, to_python

    with VariantArray(1) as v:
        v[0].parray = ffi.cast("SAFEARRAY *", psa)
        v[0].vt = 0x2000 | vt  # VT_ARRAY | vt: the VARIANT owns the array, cleared on exit
        return to_python(v[0])


@pytest.mark.runtime
def test_a_dual_crosses_processes_through_our_type_library(mta, probe_library, probe_server):
    """RegisterTypeLib of our library makes the typelib marshaler the proxy/stub of the duals: a Python object in
    another process is called through the vtable of the proxy (IProbeDual2) and through IDispatch, with VARIANT,
    BSTR, DATE, VARIANT_BOOL, SAFEARRAY and interface arguments and results. Every reference is given back: the
    server ends with no live object and no wrapper reference (its report); no BSTR, array or VARIANT content is
    left in this thread's task allocator (the malloc spy); unregistering removes every key RegisterTypeLib wrote."""
    import datetime
    from decimal import Decimal

    from probe_dual import make_class
    from testlib import activate_local, running_on_wine

    from ole32_bindings import registry
    from ole32_bindings.dlls import ffi
    from ole32_bindings.hresult import NoInterfaceError
    from ole32_bindings.memory import bstr_free, bstr_from_str, bstr_to_str_and_free
    from ole32_bindings.oavalues import Missing, Variant, date_from_datetime, datetime_from_date
    from ole32_servers.typelib import unregister_type_library
    from vtables.latebound import ByRef, Dispatch
    from vtables.mallocspy import spying
    from vtables.variant import VariantArray, to_python, write

    clsid, proc, report = probe_server
    hkcr = registry.HKEY_CLASSES_ROOT
    for iface, proxy_stub in (
        (IProbeDual, PSOAINTERFACE),
        (IProbeDual2, PSOAINTERFACE),
        (IProbeMoney, PSOAINTERFACE),
        (DProbeEvents, PSDISPATCH),
    ):
        assert registry.query_value(hkcr, f"Interface\\{iface.iid}\\ProxyStubClsid32") == proxy_stub
        assert registry.query_value(hkcr, f"Interface\\{iface.iid}\\TypeLib") == str(LIBID_REGISTERED)

    when = datetime.datetime(1899, 12, 29, 6, 0, 0, 125000)  # before 1899-12-30: the negative-fraction rule
    local = make_class()("local")  # an object of this process, handed to the other one and called back
    keep = local.as_ptr(IUnknown)  # this test's reference: the object lives until the end
    with activate_local(clsid, IProbeDual2) as probe:
        slots = _Slots(probe, IProbeDual2)

        def call_variants(name, *values, results=1):
            """Call a method taking VARIANTs (the first len(values)) and returning VARIANTs (the rest)."""
            with VariantArray(len(values) + results) as v:
                for i, value in enumerate(values):
                    write(v[i], value)
                getattr(slots, name)(*(v[i] for i in range(len(values) + results)))
                out = [to_python(v[i]) for i in range(len(values), len(values) + results)]
            return out[0] if results == 1 else out

        with spying() as spy:
            before = spy.outstanding
            # VARIANT in and out, each Automation type inside it (CY and DECIMAL included)
            values = (42, "caf\u00e9 \U0001f600 \x00 end", when, Decimal("-79228162514264337593543950335"), 2.5, None)
            for value in values:
                assert call_variants("Echo", value) == value
            assert call_variants("Echo", [1, "two", [3.0, None]]) == [1, "two", [3.0, None]]
            assert call_variants("Echo", Variant(2, 5)) == 5  # VT_I2 kept by the server (exact): read back as 5
            assert call_variants("Echo", Variant(6, Decimal("1.2345"))) == Decimal("1.2345")  # VT_CY
            # BSTR in, [optional] VARIANT (an omitted one is VT_ERROR DISP_E_PARAMNOTFOUND), BSTR [out, retval]
            for c, expected in (("c", "a+c"), (Missing, "a+")):
                a, sep, out = bstr_from_str("a"), bstr_from_str("+"), ffi.new("BSTR *")
                try:
                    with VariantArray(1) as v:
                        write(v[0], c)
                        slots.Join(a, sep, v[0], out)
                    assert bstr_to_str_and_free(out[0]) == expected
                finally:
                    bstr_free(a)
                    bstr_free(sep)
            # DATE and VARIANT_BOOL in, DATE [out, retval]
            later = ffi.new("double *")
            slots.Later(date_from_datetime(when), -1, later)
            assert datetime_from_date(later[0]) == when + datetime.timedelta(days=1, milliseconds=1)
            # [in, out] VARIANT *, twice
            with VariantArray(2) as v:
                write(v[0], 1)
                write(v[1], "x")
                slots.Swap(v[0], v[1])
                assert (to_python(v[0]), to_python(v[1])) == ("x", 1)
            # SAFEARRAY(VARIANT) [out, retval] and [in]; SAFEARRAY(BSTR) [in], SAFEARRAY(LONG) [in, out],
            # SAFEARRAY(double) [out, retval]
            psa = ffi.new("void **")
            slots.Squares(5, psa)
            assert _take_array(psa[0], 12) == [0, 1, 4, 9, 16]
            total = ffi.new("double *")
            with VariantArray(1) as v:
                write(v[0], [1, 2.5, Decimal("0.5")])
                slots.Sum(v[0].parray, total)
            assert total[0] == 4.0
            with VariantArray(2) as v:
                write(v[0], Variant(0x2000 | 8, ["a", "bb", "\U0001f600"]))
                write(v[1], Variant(0x2000 | 3, [1, -2, 3]))
                slots.Arrays(v[0].parray, ffi.cast("void **", ffi.addressof(v[1], "parray")), psa)
                assert to_python(v[1]) == [10, -20, 30]  # the array the proxy put in its place
            assert _take_array(psa[0], 5) == [1.0, 2.0, 1.0]  # one code point, a surrogate pair in the BSTR
            # every [defaultvalue] given, VARIANT [out, retval]; the default member, a property with an argument
            with VariantArray(3) as v:
                write(v[0], None)
                write(v[1], "s")
                slots.Defaults(1, 2.0, 0, v[0], v[1], v[2])
                assert to_python(v[2]) == [1, 2.0, False, None, "s"]
            with VariantArray(1) as v:
                slots.get_Item(2, v[0])
                assert to_python(v[0]) == "item2"
            # the converting client wrapper: BSTR properties, LONG results
            probe.put_Name("remote \u00e9")
            assert probe.get_Name() == "remote \u00e9"
            assert probe.Unnumbered() == 7 and probe.More("four") == 4
            assert spy.outstanding == before, spy.blocks  # nothing of the above left in this thread's allocator

        # interfaces: [out] of our own interface, [in] objects called back, [out] IUnknown / IDispatch, VT_DISPATCH
        with probe.get_Self() as again, again.query(IUnknown) as a, probe.query(IUnknown) as b:
            assert a.as_raw() == b.as_raw()  # COM identity: the same object
        with local.as_ptr(IDispatch) as local_dispatch:
            ou, od = probe.Objects(local, local_dispatch, probe)
        with ou, od, ou.query(IUnknown) as a, probe.query(IUnknown) as b:
            assert a.as_raw() == b.as_raw()
            assert probe.get_Name() == "local|local|remote \u00e9"  # the server called both objects back
        echoed = call_variants("Echo", local)  # VT_DISPATCH there and back: this process's object itself
        with echoed, echoed.query(IUnknown) as a, local.as_ptr(IUnknown) as mine:
            assert a.as_raw() == mine.as_raw()
        # [propputref] of an object of this process; it comes back as itself
        probe.putref_Target(local)
        with probe.get_Target() as target, target.query(IProbeDual) as back:
            assert back.get_Name() == "local"
        probe.putref_Target(None)
        with probe.get__NewEnum() as enum:
            assert enum is not None

        # The same object late-bound: IDispatch::Invoke (oleaut32's IDispatch proxy), the DISPIDs and defaults
        # of the declaration
        with Dispatch(probe) as d:
            assert d.Echo(when) == when and d.Echo("s") == "s"
            assert d.Join("a") == "a-" and d.Join("a", c="z") == "a-z"  # [defaultvalue("-")], a named argument
            d.Name = "late"
            assert d.Name == "late" and probe.get_Name() == "late"
            assert d.Squares(3) == [0, 1, 4] and d.Sum([1, 2]) == 3.0
            assert d.Later(when, False) == when - datetime.timedelta(days=1, milliseconds=-1)
            assert d[1] == "item1" and list(d) == ["item0", "item1", "item2"]
            a, b = ByRef(datetime.datetime(2024, 2, 29)), ByRef("y")
            d.Swap(a, b)
            assert (a.value, b.value) == ("y", datetime.datetime(2024, 2, 29))
            assert d.Defaults(d=0.5) == [42, 0.5, True, 7, "x"]  # every default from the declaration
            with d.Self as same:
                assert same.Name == "late"

        # CY and DECIMAL by value (IProbeMoney): Wine 8's typelib marshaler has no wire format for them and makes
        # no proxy or stub for the interface (docs/wine.md); in a VARIANT they cross all the same (above)
        if running_on_wine():
            with pytest.raises(NoInterfaceError):
                probe.query(IProbeMoney)
        else:
            from ole32_bindings.oavalues import decimal_from_bytes, decimal_to_bytes

            with probe.query(IProbeMoney) as money:
                exact, later, doubled = ffi.new("DECIMAL *"), ffi.new("double *"), ffi.new("LONGLONG *")
                ffi.memmove(exact, decimal_to_bytes(Decimal("1.0000000000000000000000001")), 16)
                result = ffi.new("DECIMAL *")
                _Slots(money, IProbeMoney).Money(date_from_datetime(when), 123456, exact, 0, later, doubled, result)
                assert datetime_from_date(later[0]) == when + datetime.timedelta(days=1, milliseconds=1)
                assert doubled[0] == 246912  # CY 12.3456 * 2, scaled by 10,000
                assert decimal_from_bytes(ffi.buffer(result, 16)) == Decimal("-1.0000000000000000000000001")
    assert local.com_refcount == 1  # the other process gave back every reference it was given: only ours is left
    keep.release()
    assert local.com_destroyed
    del local

    reported = _server_report(proc, report)
    assert reported == {"live_objects": 0, "held_references": 0, "leaked_references": 0, "created": 1}, reported

    assert unregister_type_library(LIBID_REGISTERED, (1, 0)) is True
    assert _probe_keys_left() == []


@pytest.mark.runtime
def test_comtypes_early_bound_through_our_type_library(mta, probe_library, probe_server):
    """comtypes generates its wrapper from our registered library (GetModule) and calls the Python dual in the
    other process through the vtable (the typelib marshaler): properties, [defaultvalue]s it reads from the
    library, VARIANTs, DATE, SAFEARRAYs, [in, out] and interface results."""
    import datetime
    import gc

    sys.coinit_flags = 0  # comtypes initialises COM on import: the MTA, like this test thread
    import comtypes
    import comtypes.client
    import comtypes.gen
    from testlib import activate_local

    from ole32_bindings.oavalues import date_from_datetime, datetime_from_date

    clsid, proc, report = probe_server
    saved_gen_dir = comtypes.client.gen_dir
    comtypes.client.gen_dir = None  # generate in memory: nothing is written into comtypes' own gen package
    known = set(sys.modules)
    try:
        module = comtypes.client.GetModule(probe_library)
        assert module.__name__ == "comtypes.gen.ContractProbe"
        assert module.ProbeObject._reg_clsid_ == comtypes.GUID(str(PROBE_OBJECT.clsid))
        assert module.ProbeObject._com_interfaces_[0] is module.IProbeDual  # the [default] interface
        assert module.ProbeObject._outgoing_interfaces_ == [module.DProbeEvents]
        with activate_local(clsid, IUnknown):  # waits until the server serves
            obj = comtypes.client.CreateObject(
                comtypes.GUID(str(clsid)), clsctx=comtypes.CLSCTX_LOCAL_SERVER, interface=module.IProbeDual2
            )
        when = datetime.datetime(2024, 2, 29, 23, 59, 59, 500000)
        assert obj.Echo(42) == 42 and obj.Echo("caf\u00e9") == "caf\u00e9" and obj.Echo(when) == when
        assert obj.Join("a") == "a-" and obj.Join("a", "+", "c") == "a+c"  # the default read from our library
        obj.Name = "comtypes"
        assert obj.Name == "comtypes"
        # a DATE parameter is a double to comtypes (its days since 1899-12-30), a DATE in a VARIANT a datetime
        later = obj.Later(date_from_datetime(when), True)
        assert datetime_from_date(later) == when + datetime.timedelta(days=1, milliseconds=1)
        assert obj.Squares(4) == (0, 1, 4, 9) and obj.Sum([1, 2.5]) == 3.5
        assert obj.Arrays(["a", "bb"], [1, 2]) == [(10, 20), (1.0, 2.0)]  # comtypes: several outs as a list
        assert obj.Swap(1, "x") == ["x", 1]
        assert obj.Defaults(d=0.5) == (42, 0.5, True, 7, "x")
        assert obj.Unnumbered() == 7 and obj.More("four") == 4
        assert obj.Self.Name == "comtypes"
        del obj
        gc.collect()
    finally:
        comtypes.client.gen_dir = saved_gen_dir
        for name in set(sys.modules) - known:  # the generated modules, gone with the library
            if name.startswith("comtypes.gen."):
                sys.modules.pop(name)
                if hasattr(comtypes.gen, name.rsplit(".", 1)[1]):
                    delattr(comtypes.gen, name.rsplit(".", 1)[1])

    reported = _server_report(proc, report)
    # two objects made (the one that waited for the server, comtypes'), none left, no reference held
    assert reported == {"live_objects": 0, "held_references": 0, "leaked_references": 0, "created": 2}, reported
