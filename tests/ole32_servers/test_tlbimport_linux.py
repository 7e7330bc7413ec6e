"""Type library import, COM-free: the modules tlbimport wrote for Wine's type libraries (committed, and checked
byte for byte against a new generation by test_tlbimport.py) import on Linux CPython and carry the libraries' own
names; their vtable layouts agree with mingw-w64's C headers; the writer's output for a library read by hand."""

from __future__ import annotations

import os
import sys
from enum import IntEnum

import pytest
from mingw_vtables import compare
from tlbimport_sources import WINE_SOURCES, generated

from ole32_bindings.guid import Guid
from vtables.declare import Interface, Record, Union
from vtables.members import DispInterface

#: stdole2.tlb describes IFont and IPicture as OLE Automation sees them, not as ocidl.h's C vtables: the library
#: leaves out IFont::QueryTextMetrics (TEXTMETRICW is no Automation type) and SetHdc, and lists IPicture's
#: set_hPal as the property put hPal with SetHdc after get_Attributes. A vtable call through the library's
#: layout would land in the wrong slot after SetRatio: docs/typelib.md.
KNOWN_DIFFERENCES = {"IFont", "IPicture"}


def _own(module, kind):
    return {
        name: value
        for name, value in vars(module).items()
        if isinstance(value, type) and issubclass(value, kind) and value.__module__ == module.__name__
    }


@pytest.mark.parametrize("name", sorted(WINE_SOURCES.values()))
def test_generated_module_imports_and_has_the_library_names(name):
    module = generated(name)
    assert set(module.__all__) <= set(vars(module))
    assert isinstance(module.LIBID, Guid) and len(module.VERSION) == 2
    assert _own(module, Interface), f"{name}: no interface declared"


def test_scripting_declarations():
    s = generated("Scripting")
    d = s.IDictionary
    assert d.iid == Guid("{42C642C1-97E1-11CF-978F-00A02463E06F}")
    assert [m.name for m in d.own_methods][:4] == ["putref_Item", "put_Item", "get_Item", "Add"]
    assert d.Add.memid == 1 and d.get_Count.memid == 2 and d._NewEnum.memid == -4
    assert [p.direction for p in d.get_Item.params] == ["in", "out"] and d.get_Item.params[-1].retval
    assert issubclass(s.CompareMethod, IntEnum) and s.CompareMethod.TextCompare == 1
    assert s.Dictionary.clsid == Guid("{EE09B103-97E0-11CF-978F-00A02463E06F}")
    assert s.Dictionary.default is d
    assert s.FileSystemObject.default is s.IFileSystem3
    assert s.IFileSystem3.lineage[1] is s.IFileSystem  # a dual derived from another of the library
    opt = s.IFileSystem.OpenTextFile.params
    assert [p.default for p in opt[1:4]] == [1, False, 0]  # IOMode ForReading, Create FALSE, TristateFalse


def test_stdole_declarations():
    o = generated("stdole")
    assert issubclass(o.Font, DispInterface) and o.Font.iid == Guid("{BEF6E003-A874-101A-8BBA-00AA00300CAB}")
    assert {d.method.member for d in o.Font.disp_members} >= {"Name", "Size", "Bold"}
    assert o.StdFont.default is o.Font and o.StdFont.clsid == Guid("{0BE35203-8F91-11CE-9DE3-00AA004BB851}")
    assert o.OLE_COLOR.c == "ULONG" and o.IFontDisp.interface == "Font"
    assert issubclass(o.GUID, Record) and o.GUID.size == 16
    assert [(f.name, f.offset) for f in o.EXCEPINFO.fields][-1] == ("scode", 56)
    assert o.FontEvents.disp_members[0].method.memid == 9


def test_mingw_headers_agree_with_every_generated_vtable_they_declare():
    """Every interface of the generated modules that a mingw-w64 header declares (same name and, where the header
    gives it, same IID): the same methods in the same order, and each parameter of the size the header's type
    has. MSHTML's 230 are compared by test_tlbimport.py (generated there: 1.5 MB)."""
    compared = params = 0
    differ = set()
    for name in sorted(WINE_SOURCES.values()):
        module = generated(name)
        enums = set(_own(module, IntEnum))
        for iface in _own(module, Interface).values():
            if issubclass(iface, DispInterface):
                continue
            try:
                problems, n = compare(iface, enums)
            except KeyError:
                continue
            compared += 1
            params += n
            if problems:
                differ.add(iface.__name__)
    assert differ == KNOWN_DIFFERENCES
    assert compared >= 70 and params >= 2500  # MSXML2's DOM and SAX interfaces, stdole's two


def test_stdole_ifont_differs_from_the_c_vtable_exactly_as_documented():
    o = generated("stdole")
    problems, _ = compare(o.IFont, set())
    assert problems and "QueryTextMetrics" in problems[0]


# ---- the writer, on a library read by hand ------------------------------------------------------------------------


def _library():
    from ole32_servers.tlbimport import _Library, _Ref, _Type

    lib = _Library("Handmade", "Handmade", "{11111111-2222-3333-4444-555555555555}", (1, 2), 0, 'A "quoted" doc')
    lib.types = [
        _Type("Answers", "module", "", values=[("Answer", 42, "the answer"), ("Hello", 'say "hi"', "")]),
        _Type("Shade", "enum", "Shades", values=[("Light", 1, ""), ("Dark", -1, "very")]),
        _Type(
            "Blob",
            "record",
            "",
            size=8,
            alignment=4,
            fields=[("flags", "ULONG", 1, 0), ("size", "ULONG", 1, 4), ("data", "BYTE", 1, 8)],
        ),
        _Type("Both", "union", "", size=8, alignment=8, fields=[("i", "LONG", 1, 0), ("p", "Blob *", 1, 0)]),
        _Type(
            "Outer",
            "record",
            "",
            size=16,
            alignment=8,
            fields=[("b", "Both", 1, 0), ("n", "SHORT", 1, 8)],
            needs={"Both"},
        ),
        _Type("Colour", "alias", "", target="ULONG"),
        _Type(
            "IThing",
            "interface",
            "A thing",
            guid="{11111111-2222-3333-4444-555555555556}",
            base="IUnknown",
            members=[
                ("Do", 'method("[id(0x60010000)] HRESULT Do([in] Shade s, [in] Blob *b, [out] Colour *c)")', ""),
                ("from", 'method("[id(0x60010001)] HRESULT from()")', ""),
                ("describe", 'method("[id(0x60010002)] HRESULT describe()")', ""),
            ],
        ),
        _Type(
            "Thing",
            "coclass",
            "",
            guid="{11111111-2222-3333-4444-555555555557}",
            impls=[("IThing", 1), (_Ref("Other", "IEvents"), 3)],
        ),
    ]
    lib.standard = {"IUnknown"}
    lib.imports = set()
    return lib


def test_writer_output_is_deterministic_and_imports(tmp_path):
    from ole32_servers.tlbimport import render

    lib = _library()
    lib.types[-1].impls = lib.types[-1].impls[:1]  # no other library in this check
    text = render(lib)
    assert text == render(_library().__class__(**vars(lib)))
    namespace: dict = {}
    exec(compile(text, "Handmade.py", "exec"), namespace)
    assert namespace["Answer"] == 42 and namespace["Hello"] == 'say "hi"'
    assert namespace["Shade"].Dark == -1
    blob, both, outer = namespace["Blob"], namespace["Both"], namespace["Outer"]
    assert blob.size == 8 and blob.fields[-1].count == 0  # a conformant array at the end takes no room
    assert issubclass(both, Union) and both.size == 8
    assert [f.offset for f in outer.fields] == [0, 8] and outer.size == 16
    thing = namespace["IThing"]
    assert [m.name for m in thing.own_methods] == ["Do", "from"]  # a Python keyword kept, a reserved name left out
    assert "# describe: a name the declaration cannot use" in text
    assert namespace["Thing"].default is thing
    assert text.splitlines()[0].startswith('"""Handmade: A "quoted" doc')


def test_writer_imports_other_libraries_instead_of_copying():
    from ole32_servers.tlbimport import render

    lib = _library()
    lib.imports = {"Other"}
    text = render(lib)
    assert "    from . import Other\n" in text and "    import Other\n" in text
    assert "source=[Other.IEvents]" in text


# ---- the structure check that runs before LoadTypeLib (Wine's crashes on a truncated library) --------------------

WINE_SYSTEM32 = os.path.join(
    os.path.dirname(__file__), "..", "..", ".winenv", "prefix", "drive_c", "windows", "system32"
)


@pytest.mark.parametrize(
    "name, index", [("stdole2.tlb", None), ("scrrun.dll", None), ("vbscript.dll", 3), ("mshtml.tlb", None)]
)
def test_structure_check_accepts_wine_libraries_and_refuses_them_cut_short(tmp_path, name, index):
    from ole32_servers.tlbimport import TypeLibImportError, check_type_library_file

    path = os.path.join(WINE_SYSTEM32, name)
    if not os.path.exists(path):
        pytest.fail(f"{path} missing: run tools/provision")
    check_type_library_file(path, index)
    with open(path, "rb") as f:
        data = f.read()
    for cut in (len(data) // 8, len(data) // 2):  # (a PE image's debug symbols after its sections are not needed)
        short = tmp_path / f"cut{cut}"
        short.write_bytes(data[:cut])
        with pytest.raises(TypeLibImportError):
            check_type_library_file(str(short), index)


def test_structure_check_messages(tmp_path):
    from ole32_servers.tlbimport import TypeLibImportError, check_type_library_file

    cases = {
        b"": "the file is empty",
        b"hello, world": "not a type library",
        b"MSFT" + b"\xff" * 60: "corrupt or truncated",
        b"MZ" + b"\0" * 100: "not a PE image",
        b"MZ" + b"\0" * 58 + b"\x40\0\0\0" + b"PE\0\0": "truncated or corrupt",
    }
    for data, expected in cases.items():
        path = tmp_path / "x.tlb"
        path.write_bytes(data)
        with pytest.raises(TypeLibImportError, match=expected):
            check_type_library_file(str(path))


@pytest.mark.skipif(sys.platform == "win32", reason="checks the message where there is no COM runtime")
def test_the_command_without_a_com_runtime_is_a_clear_error(capsys):
    from ole32_bindings.cli import main

    assert main(["typelib", "--help"]) == 0
    assert "SOURCE" in capsys.readouterr().out
    assert main(["typelib", "scrrun.dll"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ole32_bindings: error: scrrun.dll: reading a type library needs the COM runtime")
