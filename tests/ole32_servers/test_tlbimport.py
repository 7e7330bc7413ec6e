"""Type library import against the runtime: generation is deterministic and gives the committed modules; every form
of SOURCE; references to other libraries imported (and the error when one is not registered); bad input; the CLI;
the cache; real objects called early-bound through the generated declarations and late-bound through their
DISPIDs; MSHTML's 230 interfaces compared with mingw-w64's headers."""

from __future__ import annotations

import os
import shutil
import sys
from enum import IntEnum

import pytest
from conftest import native_path
from tlbimport_sources import GENERATED, WINE_SOURCES, generated, package_at

pytestmark = pytest.mark.runtime

TLB_A = native_path("build", "typelib", "tlbimport_a.tlb")
TLB_B = native_path("build", "typelib", "tlbimport_b.tlb")
LIBID_B = "{0F99497D-D945-4769-9B59-2F98A4FB6C30}"
TESTLIB = native_path("build", "native", "vtables_testlib.dll")


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


@pytest.mark.parametrize("source", sorted(WINE_SOURCES))
def test_generation_is_deterministic_and_gives_the_committed_module(source):
    from ole32_servers.tlbimport import generate

    first = generate(source)
    assert generate(source) == first  # same input, same text
    name = WINE_SOURCES[source]
    assert next(iter(first)) == name
    assert first[name] == _read(os.path.join(GENERATED, f"{name}.py")), "run tools/tlbimport-fixtures"


def test_every_form_of_source_names_the_same_library():
    from ole32_servers.tlbimport import generate

    by_file = generate("scrrun.dll")
    assert generate("Scripting.Dictionary") == by_file  # a ProgID
    assert generate("{420B2830-E718-11CF-893D-00A0C9054228} 1.0") == by_file  # a registered LIBID and version
    assert generate(os.path.join(os.environ["SystemRoot"], "system32", "scrrun.dll")) == by_file
    second = generate(TESTLIB + "\\2")  # a resource index
    assert list(second) == ["BenchDualLib"] and "class IBenchDual(IDispatch):" in second["BenchDualLib"]
    assert list(generate(TESTLIB)) == ["NativeDualLib"]  # no index: the first


def test_references_to_other_libraries_are_imported_not_copied(tmp_path):
    from ole32_bindings.constants import REGKIND
    from ole32_bindings.guid import Guid
    from ole32_bindings.typelib import load_type_lib_ex, unregister_type_lib
    from ole32_servers.tlbimport import write_module
    from vtables.client import client_class
    from vtables.interfaces import ITypeLib

    client_class(ITypeLib).from_raw(load_type_lib_ex(TLB_B, REGKIND.REGISTER)).release()
    try:
        path = write_module(TLB_A, directory=str(tmp_path))
    finally:
        unregister_type_lib(Guid(LIBID_B), 1, 0)
    assert os.path.basename(path) == "TlbImportA.py"
    assert sorted(os.listdir(tmp_path)) == ["TlbImportA.py", "TlbImportB.py", "stdole.py"]
    text = _read(path)
    assert "    from . import TlbImportB\n    from . import stdole\n" in text
    assert "class IBThing" not in text and "class Font" not in text  # imported, not copied
    package_at(str(tmp_path), "tlbimport_refs")
    import importlib

    a = importlib.import_module("tlbimport_refs.TlbImportA")
    b = importlib.import_module("tlbimport_refs.TlbImportB")
    take = a.IAThing.Take
    assert take.params[0].ctype.interface == "IBThing" and take.params[1].ctype.c == "LONG *"  # BColor *
    assert a.IAThing.Paint.params[-1].ctype.interface == "Font"  # stdole2's IFontDisp, an alias of Font *
    assert [p.default for p in a.IAThing.Paint.params[2:4]] == [3, "x"]
    assert a.AThing.default is a.IAThing and a.AThing.source == [a.DAEvents]
    assert [(f.name, f.offset) for f in a.AMixed.fields] == [
        ("tag", 0),
        ("value", 8),
        ("name", 16),
        ("where", 24),
        ("extra", 32),
        ("flags", 56),
    ] and a.AMixed.size == 64
    assert a.AValue.size == 8 and issubclass(a.Level, IntEnum) and a.Level.LevelAll == -1
    assert {d.method.member for d in a.DAEvents.disp_members} == {"Seen", "Changed", "Item"}
    assert b.BColor.BGreen == 2
    assert a.IAThing.__doc__ == "The dual of A" and 'helpstring("Takes a thing of B")' in take.signature


def test_a_reference_to_an_unregistered_library_is_a_clear_error():
    from ole32_servers.tlbimport import TypeLibImportError, generate

    with pytest.raises(TypeLibImportError) as e:
        generate(TLB_A)
    message = str(e.value)
    assert "TlbImportA" in message and "IAThing" in message and "cannot be loaded" in message
    assert "TYPE_E_CANTLOADLIBRARY" in message


def _write(path, data):
    path.write_bytes(data)
    return str(path)


def _truncated(tmp_path, source=None, name="truncated.tlb"):
    with open(source or os.path.join(os.environ["SystemRoot"], "system32", "stdole2.tlb"), "rb") as f:
        data = f.read()
    path = tmp_path / name
    path.write_bytes(data[: len(data) // 3])
    return str(path)


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda p: str(p / "missing.tlb"), "no such file"),
        (lambda p: _write(p / "empty.tlb", b""), "the file is empty"),
        (
            lambda p: (p / "garbage.tlb").write_bytes(b"MSFT" + bytes(range(256)) * 8) and str(p / "garbage.tlb"),
            "garbage.tlb: ",
        ),
        (_truncated, "truncated.tlb: the DLL/EXE is truncated"),  # Wine's stdole2.tlb is a PE image
        (lambda p: _truncated(p, TLB_A, "cut.tlb"), "cut.tlb: the type library is corrupt or truncated"),
        (lambda p: native_path("src", "vtables", "vtables_core.dll"), "without a type library"),
        (lambda p: TESTLIB + "\\7", "no type library at index 7 (TYPELIB resources: 1, 2, 3)"),
        (lambda p: native_path("tests", "conftest.py"), "not a type library"),
        (lambda p: "{00000000-1111-2222-3333-444444444444} 1.0", "not registered"),
        (lambda p: "{00000000-1111-2222-3333-444444444444}", "give the LIBID's version"),
        (lambda p: "No.Such.ProgID", "no such ProgID"),
    ],
)
def test_bad_input_is_a_clear_error(tmp_path, make, expected):
    from ole32_servers.tlbimport import TypeLibImportError, generate

    source = make(tmp_path)
    with pytest.raises(TypeLibImportError) as e:
        generate(source)
    assert expected in str(e.value)
    assert str(e.value).startswith(source) or source in str(e.value)


def test_command_line(tmp_path, capsys):
    from ole32_bindings.cli import main

    out = tmp_path / "scripting.py"
    assert main(["typelib", "scrrun.dll", "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert _read(str(out)) == _read(os.path.join(GENERATED, "Scripting.py"))
    assert main(["typelib", str(tmp_path / "nothing.tlb")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ole32_bindings: error: ") and "nothing.tlb: no such file" in err


def test_module_for_generates_once_into_the_cache(tmp_path, monkeypatch):
    from ole32_servers import tlbimport

    folder = tmp_path / "cache"
    monkeypatch.setenv(tlbimport.CACHE_ENV, str(folder))
    assert tlbimport.cache_directory() == str(folder)
    module = tlbimport.module_for("vbscript.dll\\3")
    assert module.__name__ == "ole32_servers.typelibs.VBScript_RegExp_55"
    path = folder / "VBScript_RegExp_55.py"
    stamp = os.stat(path).st_mtime_ns
    assert tlbimport.module_for("vbscript.dll\\3") is module
    assert os.stat(path).st_mtime_ns == stamp  # not written again
    path.write_text(path.read_text().replace("generator 1", "generator 0"))  # another generator's module
    tlbimport.module_for("vbscript.dll\\3")
    assert "generator 1" in path.read_text()


# ---- real objects, early-bound through the declarations and late-bound through their DISPIDs ----------------------


def test_dictionary_early_bound(mta):
    import vtables.variant  # noqa: F401 - the Automation conversions the client uses
    from ole32_bindings.activation import create_instance
    from ole32_bindings.hresult import ComError
    from vtables.client import client_class

    s = generated("Scripting")
    with client_class(s.IDictionary).from_raw(create_instance(s.Dictionary.clsid, s.IDictionary.iid)) as d:
        d.put_CompareMode(s.CompareMethod.TextCompare)  # only while it is empty
        assert d.get_CompareMode() == s.CompareMethod.TextCompare == 1
        d.Add("a", 1)
        d.Add("b", "two")
        assert d.get_Count() == 2
        assert d.get_Item("a") == 1 and d.get_Item("b") == "two"
        assert d.Exists("a") is True and d.Exists("zz") is False
        assert d.Keys() == ["a", "b"] and d.Items() == [1, "two"]
        d.put_Item("a", 10)
        assert d.get_Item("a") == 10
        assert d.get_Item("A") == 10  # TextCompare: keys compared without case
        with pytest.raises(ComError) as e:
            d.put_CompareMode(s.CompareMethod.BinaryCompare)  # not once it holds keys
        assert e.value.hresult & 0xFFFFFFFF == 0x800A0005  # CTL_E_ILLEGALFUNCTIONCALL
        d.Remove("b")
        assert d.get_Count() == 1


def test_file_system_object_early_bound(mta):
    import vtables.variant  # noqa: F401
    from ole32_bindings.activation import create_instance
    from vtables.client import client_class

    s = generated("Scripting")
    with client_class(s.IFileSystem3).from_raw(create_instance(s.FileSystemObject.clsid, s.IFileSystem3.iid)) as fs:
        assert fs.BuildPath("C:\\a", "b.txt") == "C:\\a\\b.txt"
        assert fs.GetExtensionName("x.tlb") == "tlb"
        assert fs.FolderExists(os.environ["SystemRoot"]) is True
        assert fs.FileExists("C:\\no\\such\\file") is False


def test_regexp_late_bound_through_the_module_dispids(mta):
    from vtables.latebound import DISPATCH_METHOD, DISPATCH_PROPERTYGET, DISPATCH_PROPERTYPUT, Dispatch, invoke

    r = generated("VBScript_RegExp_55").IRegExp2
    with Dispatch("VBScript.RegExp") as rx:
        invoke(rx, r.put_Pattern.memid, DISPATCH_PROPERTYPUT, "b+")
        invoke(rx, r.put_Global.memid, DISPATCH_PROPERTYPUT, True)
        assert invoke(rx, r.get_Pattern.memid, DISPATCH_PROPERTYGET) == "b+"
        assert invoke(rx, r.Test.memid, DISPATCH_METHOD, "abbbc") is True
        assert invoke(rx, r.Replace.memid, DISPATCH_METHOD, "abbbc", "-") == "a-c"


def test_regexp_vtable_interfaces_under_wine(mta):
    """Wine 8's VBScript.RegExp (vbscript.dll) answers IDispatch, whose type information is IRegExp2, but not
    IRegExp2's own IID: QueryInterface gives E_NOINTERFACE (and CoCreateInstance for it TYPE_E_ELEMENTNOTFOUND,
    docs/wine.md). On Windows the early-bound calls work."""
    from testlib import running_on_wine

    import vtables.variant  # noqa: F401
    from ole32_bindings.activation import create_instance
    from ole32_bindings.hresult import NoInterfaceError
    from vtables.client import client_class
    from vtables.interfaces import IDispatch

    r = generated("VBScript_RegExp_55")
    with client_class(IDispatch).from_raw(create_instance(r.RegExp.clsid, IDispatch.iid)) as disp:
        try:
            rx = disp.query(r.IRegExp2)
        except NoInterfaceError:
            assert running_on_wine()
            return
        with rx:
            rx.put_Pattern("b+")
            assert rx.Test("abbbc") is True and rx.Replace("abbbc", "-") == "a-c"


def test_dictionary_late_bound_through_the_module_dispids(mta):
    from vtables.latebound import DISPATCH_METHOD, DISPATCH_PROPERTYGET, Dispatch, invoke

    s = generated("Scripting")
    d_ = s.IDictionary
    with Dispatch("Scripting.Dictionary") as d:
        invoke(d, d_.Add.memid, DISPATCH_METHOD, "k", 5)
        invoke(d, d_.Add.memid, DISPATCH_METHOD, "m", "six")
        assert invoke(d, d_.get_Count.memid, DISPATCH_PROPERTYGET) == 2
        assert invoke(d, d_.get_Item.memid, DISPATCH_PROPERTYGET, "m") == "six"
        assert invoke(d, d_.Keys.memid, DISPATCH_METHOD) == ["k", "m"]


@pytest.mark.skipif(sys.platform != "win32", reason="reads Wine's mshtml.tlb")
def test_mshtml_vtables_agree_with_mingw_headers(tmp_path):
    """MSHTML (Wine's mshtml.tlb, the largest library Wine ships): every interface mshtml.h declares has the
    generated layout, method for method and parameter size for parameter size."""
    import importlib

    from mingw_vtables import compare

    from ole32_servers.tlbimport import write_module
    from vtables.declare import Interface
    from vtables.members import DispInterface

    write_module("mshtml.tlb", directory=str(tmp_path))
    package_at(str(tmp_path), "tlbimport_mshtml")
    m = importlib.import_module("tlbimport_mshtml.MSHTML")
    enums = {n for n, v in vars(m).items() if isinstance(v, type) and issubclass(v, IntEnum)}
    compared = params = 0
    problems = []
    for value in vars(m).values():
        if isinstance(value, type) and issubclass(value, Interface) and value.__module__ == m.__name__:
            if issubclass(value, DispInterface):
                continue
            try:
                found, n = compare(value, enums)
            except KeyError:
                continue
            compared += 1
            params += n
            problems += found
    assert not problems, "\n".join(problems[:20])
    assert compared >= 200 and params >= 8000
    shutil.rmtree(tmp_path, ignore_errors=True)


def _wine_type_libraries():
    """Every type library in the system directory: .tlb files, and each TYPELIB resource (1-5) of a DLL/EXE/OCX."""
    from ole32_servers.tlbimport import TypeLibImportError, check_type_library_file

    folder = os.path.join(os.environ["SystemRoot"], "system32")
    found = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if not name.lower().endswith((".tlb", ".dll", ".ocx", ".exe")) or os.path.getsize(path) > 64 << 20:
            continue
        for index in (None, 2, 3, 4, 5):
            try:
                check_type_library_file(path, index)
            except TypeLibImportError:
                if index is None:
                    break
                continue
            found.append(name if index is None else f"{name}\\{index}")
    return found


def test_every_type_library_wine_ships_generates_and_imports(tmp_path):
    """Every library of the system directory (47 in Wine 8) gives a module that imports, or a clear error: Wine's
    uianimation.dll refers to a library that is not registered. Wine's wmp.dll declares IWMPControls::currentItem
    a method whose DISPID its property put shares: read as the property's get (docs/typelib.md)."""
    import importlib

    from ole32_servers.tlbimport import TypeLibImportError, write_module

    sources = _wine_type_libraries()
    assert {"stdole2.tlb", "scrrun.dll", "mshtml.tlb", "vbscript.dll\\3", "wmp.dll"} <= set(sources)
    refused = {}
    imported = 0
    for k, source in enumerate(sources):
        folder = tmp_path / f"lib{k}"
        try:
            path = write_module(source, directory=str(folder))
        except TypeLibImportError as exc:
            refused[source] = str(exc)
            continue
        package_at(str(folder), f"tlbimport_all{k}")
        module = importlib.import_module(f"tlbimport_all{k}.{os.path.basename(path)[:-3]}")
        imported += 1
        if source == "wmp.dll":
            controls = module.IWMPControls
            assert controls.get_currentItem.memid == controls.put_currentItem.memid == 60
    assert set(refused) <= {"uianimation.dll"}, refused
    assert all("cannot be loaded" in message for message in refused.values())
    assert imported >= 40
