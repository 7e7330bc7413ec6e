"""ProgIDs, VersionIndependentProgID and TypeLib under a class's key, for LocalServer32 and InprocServer32 alike,
read back through the runtime's own CLSIDFromProgID / ProgIDFromCLSID, and removed without a trace."""

from __future__ import annotations

import pytest

from ole32_bindings.guid import Guid

pytestmark = pytest.mark.runtime

CLSID_LOCAL = Guid("{5B0C40A2-7D1E-4C31-9E6B-2F1A7C3D8E01}")
CLSID_INPROC = Guid("{5B0C40A2-7D1E-4C31-9E6B-2F1A7C3D8E02}")
CLSID_OTHER = Guid("{5B0C40A2-7D1E-4C31-9E6B-2F1A7C3D8E03}")
LIBID = Guid("{5B0C40A2-7D1E-4C31-9E6B-2F1A7C3D8E10}")


def _value(path: str, name: str | None = None):
    from ole32_bindings import registry

    return registry.query_value(registry.HKEY_CLASSES_ROOT, path, name)


def _exists(path: str) -> bool:
    from ole32_bindings import registry

    return registry.key_exists(registry.HKEY_CLASSES_ROOT, path)


def test_local_server_progids_and_typelib_round_trip(mta):
    from ole32_bindings import activation
    from ole32_bindings.hresult import ComError
    from ole32_servers.registration import ServerRegistration, register, unregister

    reg = ServerRegistration(
        CLSID_LOCAL,
        "Registration test (local)",
        "C:\\nowhere\\server.exe",
        progid="Ole32Bindings.RegTest.1",
        version_independent_progid="Ole32Bindings.RegTest",
        typelib=LIBID,
        typelib_version=(2, 3),
    )
    register(reg)
    try:
        key = f"CLSID\\{CLSID_LOCAL}"
        assert _value(key + "\\ProgID") == "Ole32Bindings.RegTest.1"
        assert _value(key + "\\VersionIndependentProgID") == "Ole32Bindings.RegTest"
        assert _value(key + "\\TypeLib") == str(LIBID)
        assert _value(key + "\\Version") == "2.3"
        assert _value("Ole32Bindings.RegTest\\CurVer") == "Ole32Bindings.RegTest.1"
        # The runtime resolves both names, and names the class by its versioned ProgID.
        assert activation.clsid_from_progid("Ole32Bindings.RegTest") == CLSID_LOCAL
        assert activation.clsid_from_progid("Ole32Bindings.RegTest.1") == CLSID_LOCAL
        assert activation.progid_from_clsid(CLSID_LOCAL) == "Ole32Bindings.RegTest.1"
    finally:
        assert unregister(reg) == 3  # the CLSID key and both ProgID keys
    for path in (f"CLSID\\{CLSID_LOCAL}", "Ole32Bindings.RegTest", "Ole32Bindings.RegTest.1"):
        assert not _exists(path), path
    with pytest.raises(ComError):
        activation.clsid_from_progid("Ole32Bindings.RegTest")
    assert unregister(reg) == 0


def test_inproc_progids_are_removed_with_the_class_but_not_another_classes(mta):
    from ole32_bindings import activation, registry
    from ole32_servers.inproc import register_inproc, unregister_inproc

    register_inproc(
        CLSID_INPROC,
        "tests.nowhere:Nothing",
        progid="Ole32Bindings.RegTestInProc.1",
        version_independent_progid="Ole32Bindings.RegTestInProc",
        typelib=LIBID,
    )
    # A second class that claims the same version-independent ProgID afterwards owns it now.
    registry.set_value(registry.HKEY_CLASSES_ROOT, "Ole32Bindings.RegTestInProc\\CLSID", None, str(CLSID_OTHER))
    try:
        assert activation.clsid_from_progid("Ole32Bindings.RegTestInProc.1") == CLSID_INPROC
        assert _value(f"CLSID\\{CLSID_INPROC}\\TypeLib") == str(LIBID)
        assert _value(f"CLSID\\{CLSID_INPROC}\\Version") == "1.0"
        assert unregister_inproc(CLSID_INPROC)
        assert not _exists(f"CLSID\\{CLSID_INPROC}")
        assert not _exists("Ole32Bindings.RegTestInProc.1")
        assert _exists("Ole32Bindings.RegTestInProc")  # not ours any more: left alone
    finally:
        registry.delete_tree(registry.HKEY_CLASSES_ROOT, "Ole32Bindings.RegTestInProc")
        registry.delete_tree(registry.HKEY_CLASSES_ROOT, "Ole32Bindings.RegTestInProc.1")
        unregister_inproc(CLSID_INPROC)
    assert not unregister_inproc(CLSID_INPROC)
