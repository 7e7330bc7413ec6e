"""The committed HRESULT tables are what tools/gen_winerror.py makes from mingw-w64's winerror.h."""

import importlib.util
import os

from ole32_bindings import _winerror

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

HEADER = "/usr/share/mingw-w64/include/winerror.h"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_winerror", os.path.join(ROOT, "tools", "gen_winerror.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_tables_are_big_and_right():
    assert len(_winerror.HRESULT_NAMES) > 1000 and len(_winerror.WIN32_ERROR_NAMES) > 1000
    assert _winerror.HRESULT_NAMES[0x80004002] == "E_NOINTERFACE"
    assert _winerror.WIN32_ERROR_NAMES[5] == "ERROR_ACCESS_DENIED"
    assert _winerror.FACILITY_NAMES[4] == "ITF"


def test_generator_reproduces_the_committed_module():
    # Provisioning installs mingw-w64, so the header is there wherever `make test` ran.
    assert os.path.exists(HEADER), "mingw-w64 headers missing: run tools/provision"
    gen = _generator()
    with open(HEADER, encoding="latin-1") as f:
        tables = gen.parse(f.read())
    assert tables[0] == _winerror.HRESULT_NAMES
    assert tables[1] == _winerror.WIN32_ERROR_NAMES
    assert tables[2] == _winerror.FACILITY_NAMES
