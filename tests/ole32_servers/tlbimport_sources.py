"""The type libraries Wine ships that the tlbimport tests generate modules for (SOURCE -> module name), and the
committed modules' package (tools/tlbimport-fixtures regenerates them)."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from types import ModuleType

WINE_SOURCES = {
    "stdole2.tlb": "stdole",
    "scrrun.dll": "Scripting",
    "wshom.ocx": "IWshRuntimeLibrary",
    "vbscript.dll\\3": "VBScript_RegExp_55",
    "msxml3.dll": "MSXML2",
}
GENERATED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tlbimport_generated")
PACKAGE = "tlbimport_generated"


def package_at(folder: str, name: str) -> ModuleType:
    """A package named ``name`` whose modules are the files of ``folder`` (made once per name)."""
    if name in sys.modules:
        return sys.modules[name]
    init = os.path.join(folder, "__init__.py")
    if not os.path.exists(init):
        with open(init, "w", encoding="utf-8") as f:
            f.write('"""Generated modules."""\n')
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[folder])
    assert spec is not None and spec.loader is not None
    pkg = importlib.util.module_from_spec(spec)
    sys.modules[name] = pkg
    spec.loader.exec_module(pkg)
    return pkg


def generated(module: str) -> ModuleType:
    """A committed generated module, imported as ``tlbimport_generated.<module>``."""
    package_at(GENERATED, PACKAGE)
    return importlib.import_module(f"{PACKAGE}.{module}")
