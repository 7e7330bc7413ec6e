"""Type libraries generated from the Python declarations: the same layout as widl's compilation of the same IDL,
non-oleautomation types refused by name, and registration that the typelib marshaller uses and that leaves
nothing behind when removed.

The reference library is build/typelib/benchtarget_widl.tlb, compiled on the Linux side by `make native` (which
tools/provision runs) from tests/ole32_servers/benchtarget_widl.idl: these tests run under Wine, where widl is not
at hand. The refusal tests need no COM runtime and run on Linux too; the others are marked ``runtime``.
"""

from __future__ import annotations

import os
import threading

import pytest

from ole32_bindings.guid import Guid
from ole32_servers.typelib import TypeLibError, build_type_library, check_automation
from vtables import method
from vtables.interfaces import IUnknown

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
