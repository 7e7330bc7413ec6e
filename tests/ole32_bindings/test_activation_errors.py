"""A LocalServer32 registration that cannot serve (missing or crashing executable): the activation's error names the
registry key and command line COM used. The HRESULTs are Wine 8's (Windows gives CO_E_SERVER_EXEC_FAILURE or the
Win32 error of CreateProcess for both): docs/wine.md, "LocalServer32 that cannot start"."""

import sys

import pytest

pytestmark = pytest.mark.runtime

IID_IUnknown = "{00000000-0000-0000-C000-000000000046}"


@pytest.fixture
def local_server_key(mta):
    """A fresh CLSID whose HKCR LocalServer32 command line the test sets (removed afterwards)."""
    from ole32_bindings import registry
    from ole32_bindings.guid import Guid

    clsid = Guid.new()
    key = f"CLSID\\{clsid}"

    def register(command):
        registry.set_value(registry.HKEY_CLASSES_ROOT, key, None, "ole32-bindings test: a server that cannot serve")
        registry.set_value(registry.HKEY_CLASSES_ROOT, key + "\\LocalServer32", None, command)
        return clsid

    yield register
    registry.delete_tree(registry.HKEY_CLASSES_ROOT, key)


def _activate(clsid, clsctx=None):
    from ole32_bindings import activation
    from ole32_bindings.constants import CLSCTX
    from ole32_bindings.guid import Guid

    return activation.create_instance(clsid, Guid(IID_IUnknown), CLSCTX.LOCAL_SERVER if clsctx is None else clsctx)


def test_a_missing_executable_names_the_key_and_says_it_does_not_exist(local_server_key):
    from ole32_bindings.hresult import ComError

    clsid = local_server_key(r"C:\no\such\dir\server.exe")
    with pytest.raises(ComError) as info:
        _activate(clsid)
    e = info.value
    assert e.name in ("REGDB_E_CLASSNOTREG", "CO_E_SERVER_EXEC_FAILURE", "ERROR_FILE_NOT_FOUND", "ERROR_PATH_NOT_FOUND")
    assert f"HKCR\\CLSID\\{clsid}\\LocalServer32" in e.description
    assert r"'C:\\no\\such\\dir\\server.exe' DOES NOT EXIST" in e.description


def test_a_server_that_exits_before_registering_names_the_key_and_its_command(local_server_key):
    from ole32_bindings.hresult import ComError

    clsid = local_server_key(f'"{sys.executable}" -c "import os; os._exit(3)"')
    with pytest.raises(ComError) as info:
        _activate(clsid)
    e = info.value
    assert e.name in ("E_NOINTERFACE", "CO_E_SERVER_EXEC_FAILURE")  # Wine 8, Windows
    assert f"HKCR\\CLSID\\{clsid}\\LocalServer32" in e.description and "os._exit(3)" in e.description
    assert "exists" in e.description and "DOES NOT EXIST" not in e.description


def test_an_inproc_only_activation_and_an_unregistered_clsid_keep_the_plain_error(local_server_key):
    from ole32_bindings.constants import CLSCTX
    from ole32_bindings.guid import Guid
    from ole32_bindings.hresult import ComError

    clsid = local_server_key(r"C:\no\such\dir\server.exe")
    with pytest.raises(ComError) as info:
        _activate(clsid, CLSCTX.INPROC_SERVER)
    assert info.value.name == "REGDB_E_CLASSNOTREG" and info.value.description is None
    with pytest.raises(ComError) as info:
        _activate(Guid.new())
    assert info.value.name == "REGDB_E_CLASSNOTREG" and info.value.description is None
