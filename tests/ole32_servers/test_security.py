"""COM security: SDDL descriptors, CoInitializeSecurity's typed settings, per-AppID AccessPermission and
LaunchPermission written by our registration, per-user registration as the default, the server's view of its
caller, and what the runtime enforces.

Wine 8 enforces none of it (docs/wine.md): each test asserts what this runtime does, and says what Windows does
in the other branch, so the suite states which protection exists where and never pretends."""

import json
import os
import subprocess
import sys
import time

import pytest
from testlib import ROOT, activate_local, running_on_wine

pytestmark = pytest.mark.runtime

HERE = os.path.dirname(os.path.abspath(__file__))
SECSERVER = os.path.join(HERE, "secserver.py")
sys.path.insert(0, HERE)
import secserver  # noqa: E402

NOBODY = "O:BAG:BAD:"  # a DACL with no entry: nobody is granted anything
E_ACCESSDENIED = 0x80070005
RPC_E_CALL_COMPLETE = 0x80010117


def test_sddl_round_trips_and_bad_strings_are_named():
    from ole32_bindings.security import sddl_from_security_descriptor, security_descriptor_from_sddl

    blob = security_descriptor_from_sddl("O:BAG:BAD:(A;;0x3;;;AU)(A;;0xB;;;SY)")
    assert blob[:2] == b"\x01\x00" and blob[3] & 0x80  # revision 1, SE_SELF_RELATIVE: what the registry stores
    assert sddl_from_security_descriptor(blob) == "O:BAG:BAD:(A;;CCDC;;;AU)(A;;CCDCSW;;;SY)"
    assert security_descriptor_from_sddl(sddl_from_security_descriptor(blob)) == blob
    for bad in ("", "D:(A;;0x3;;;NOBODY)", "not sddl (", "D:\x00"):
        with pytest.raises(ValueError, match="SDDL"):
            security_descriptor_from_sddl(bad)
    with pytest.raises(ValueError, match="security descriptor"):
        sddl_from_security_descriptor(b"\x07" * 20)


def test_default_place_is_per_user_unless_machine_is_asked(monkeypatch):
    from ole32_bindings.guid import Guid
    from ole32_servers.registration import HKCR, HKCU_CLASSES, ServerRegistration, default_place

    monkeypatch.delenv("OLE32_BINDINGS_REGISTRATION", raising=False)
    assert default_place() == HKCU_CLASSES
    assert ServerRegistration(Guid.new(), "x", "x.exe").place == HKCU_CLASSES
    monkeypatch.setenv("OLE32_BINDINGS_REGISTRATION", "Machine")
    assert default_place() == HKCR
    monkeypatch.setenv("OLE32_BINDINGS_REGISTRATION", "everywhere")
    with pytest.raises(ValueError, match="'user' or 'machine'"):
        default_place()


def test_appid_permissions_are_written_as_binary_descriptors(mta):
    from ole32_bindings import registry
    from ole32_bindings.guid import Guid
    from ole32_bindings.security import security_descriptor_from_sddl
    from ole32_servers.registration import HKCR, ServerRegistration, register, unregister

    clsid = Guid.new()
    access, launch = "O:BAG:BAD:(A;;0x3;;;IU)(A;;0x3;;;SY)", "O:BAG:BAD:(A;;0xB;;;IU)"
    reg = ServerRegistration(
        clsid,
        "security test",
        "C:\\nowhere.exe",
        appid=clsid,
        place=HKCR,
        access_permission=access,
        launch_permission=launch,
    )
    register(reg)
    try:
        key = f"AppID\\{clsid}"
        assert registry.query_value(registry.HKEY_CLASSES_ROOT, key, "AccessPermission") == (
            security_descriptor_from_sddl(access)
        )
        assert registry.query_value(registry.HKEY_CLASSES_ROOT, key, "LaunchPermission") == (
            security_descriptor_from_sddl(launch)
        )
        assert registry.query_value(registry.HKEY_CLASSES_ROOT, f"CLSID\\{clsid}", "AppID") == str(clsid)
    finally:
        assert unregister(reg) == 2
    assert not registry.key_exists(registry.HKEY_CLASSES_ROOT, f"AppID\\{clsid}")
    bad = ServerRegistration(clsid, "bad", "C:\\nowhere.exe", appid=clsid, place=HKCR, access_permission="D:(X;;;)")
    with pytest.raises(ValueError, match="SDDL"):
        register(bad)
    assert not registry.key_exists(registry.HKEY_CLASSES_ROOT, f"CLSID\\{clsid}")  # nothing written
    with pytest.raises(ValueError, match="give appid"):
        ServerRegistration(clsid, "no appid", "C:\\nowhere.exe", launch_permission=launch)


def test_per_user_registration_on_this_runtime(mta):
    """Windows merges HKCU\\Software\\Classes into HKCR for the user's processes: the ProgID resolves. Wine 8
    reads HKCR only: the same registration is invisible to the runtime (CO_E_CLASSSTRING)."""
    from ole32_bindings import activation, registry
    from ole32_bindings.guid import Guid
    from ole32_bindings.hresult import ComError
    from ole32_servers.registration import HKCU_CLASSES, ServerRegistration, register, unregister

    clsid = Guid.new()
    progid = f"Ole32Bindings.PerUser{clsid.bytes_le.hex()[:8]}.1"
    reg = ServerRegistration(clsid, "per-user test", "C:\\nowhere.exe", progid=progid, place=HKCU_CLASSES)
    register(reg)
    try:
        assert registry.key_exists(registry.HKEY_CURRENT_USER, f"Software\\Classes\\CLSID\\{clsid}\\LocalServer32")
        if running_on_wine():
            with pytest.raises(ComError) as info:
                activation.clsid_from_progid(progid)
            assert info.value.name in ("CO_E_CLASSSTRING", "REGDB_E_CLASSNOTREG", "REGDB_E_READREGDB")
        else:
            assert activation.clsid_from_progid(progid) == clsid
    finally:
        assert unregister(reg) == 2


_INIT_TWICE = (
    "from ole32_bindings import apartments, security\n"
    "from ole32_bindings.constants import EOAC, RPC_C_AUTHN_LEVEL as A, RPC_C_IMP_LEVEL as I\n"
    "from ole32_bindings.hresult import ComError\n"
    "apartments.co_initialize()\n"
    "security.initialize_security(A.PKT_PRIVACY, I.IDENTIFY, EOAC.NONE, access_sddl='O:BAG:BAD:(A;;0x3;;;AU)')\n"
    "print('first ok', flush=True)\n"
    "try:\n"
    "    security.initialize_security(A.CONNECT, I.IMPERSONATE)\n"
    "    print('second ok')\n"
    "except ComError as e:\n"
    "    print('second', e.name)\n"
)


def test_initialize_security_once_per_process():
    """In a child process (the settings are process-wide for good). Windows: the first call sets them, the second
    gives RPC_E_TOO_LATE. Wine 8: both return S_OK, and nothing is applied (the reproduction of docs/wine.md)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    r = subprocess.run([sys.executable, "-c", _INIT_TWICE], capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0 and "first ok" in r.stdout, (r.stdout, r.stderr)
    if running_on_wine():
        assert "second ok" in r.stdout
    else:
        assert "second RPC_E_TOO_LATE" in r.stdout


@pytest.fixture
def served():
    """A fresh CLSID for secserver.py; afterwards its report and pid files are removed, and a server still
    running is ended by id (the test then fails)."""
    from ole32_bindings import win32
    from ole32_bindings.guid import Guid

    clsid = Guid.new()
    yield clsid
    pid_file, report = secserver.pid_path(clsid), secserver.report_path(clsid)
    if os.path.exists(report):
        os.remove(report)
    if os.path.exists(pid_file):
        pid = int(open(pid_file).read())
        os.remove(pid_file)
        if win32.wait_process(pid, 5000) is None:
            win32.terminate_process(pid)
            pytest.fail(f"server {pid} was still running after the test (terminated)")


def _start(clsid, *args):
    return subprocess.Popen(
        [sys.executable, SECSERVER, "-Embedding", "-Clsid", str(clsid), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )


def _reports(clsid):
    path = secserver.report_path(clsid)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f]


def test_the_server_asks_who_called(mta, served):
    """CoQueryClientBlanket and CoImpersonateClient inside a call from another process. Windows: the blanket
    (authentication service, level, impersonation level) and the caller's user name while impersonating. Wine 8:
    both refuse with RPC_E_CALL_COMPLETE, as outside a call: a server cannot learn who called."""
    from ole32_bindings.hresult import ComError
    from ole32_bindings.security import impersonating, query_client_blanket, user_name
    from vtables.interfaces import IPersist

    with pytest.raises(ComError) as outside:
        query_client_blanket()  # not serving a call
    assert outside.value.hresult == RPC_E_CALL_COMPLETE
    with pytest.raises(ComError):
        with impersonating():
            pytest.fail("impersonating outside a call must not enter the block")
    proc = _start(served)
    try:
        with activate_local(served, IPersist) as p:
            assert p.GetClassID() == IPersist.iid
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    (seen,) = _reports(served)
    assert seen["after"] == user_name()  # the server is itself again after the block
    if running_on_wine():
        assert seen["blanket"] == {"hresult": RPC_E_CALL_COMPLETE}
        assert seen["impersonated"] == {"hresult": RPC_E_CALL_COMPLETE}
    else:
        assert seen["blanket"]["authn_level"] >= 1 and seen["blanket"]["imp_level"] >= 1
        assert seen["impersonated"] == user_name()  # same user here; a different account would show its name


def test_what_the_runtime_enforces_for_access(mta, served):
    """A server whose CoInitializeSecurity grants nobody (an empty DACL). Windows refuses the caller:
    E_ACCESSDENIED on activation. Wine 8 lets the call in and runs it (docs/wine.md)."""
    from ole32_bindings.hresult import ComError
    from vtables.interfaces import IPersist

    proc = _start(served, "-Access", NOBODY)
    try:
        if running_on_wine():
            with activate_local(served, IPersist) as p:
                assert p.GetClassID() == IPersist.iid
            assert len(_reports(served)) == 1  # the call ran in the server: nothing was enforced
        else:
            with pytest.raises(ComError) as info:
                activate_local(served, IPersist, timeout=10)
            assert info.value.hresult == E_ACCESSDENIED
            proc.kill()
    finally:
        if proc.poll() is None and running_on_wine():
            assert proc.wait(30) == 0
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def test_what_the_runtime_enforces_for_launch(mta, served):
    """A registered server whose AppID's LaunchPermission grants nobody. Windows does not start it:
    E_ACCESSDENIED (CO_E_SERVER_EXEC_FAILURE on some versions). Wine 8 starts it and the call runs."""
    from ole32_bindings import win32
    from ole32_bindings.hresult import ComError
    from ole32_servers.registration import HKCR, ServerRegistration, python_command, register, unregister
    from vtables.interfaces import IPersist

    clsid = served
    command = python_command(SECSERVER, "-Clsid", str(clsid))
    reg = ServerRegistration(
        clsid,
        "launch permission test",
        command,
        appid=clsid,
        place=HKCR,
        launch_permission=NOBODY,
        access_permission=NOBODY,
    )
    register(reg)
    try:
        if running_on_wine():
            with activate_local(clsid, IPersist, timeout=0) as p:
                assert p.GetClassID() == IPersist.iid
            assert len(_reports(clsid)) == 1  # started and called, against both permissions
            pid_file = secserver.pid_path(clsid)
            deadline = time.monotonic() + 10
            while not os.path.exists(pid_file) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert win32.wait_process(int(open(pid_file).read()), 30000) == 0
        else:
            with pytest.raises(ComError) as info:
                activate_local(clsid, IPersist, timeout=0)
            assert info.value.hresult in (E_ACCESSDENIED, 0x80080005)
            assert _reports(clsid) == []
    finally:
        assert unregister(reg) == 2


def test_permissions_written_per_user_are_flagged(mta, caplog):
    """AccessPermission/LaunchPermission under HKCU\\Software\\Classes may not be enforced (Windows documents them
    in the machine-wide AppID key): registration says so in a warning, and still writes what was asked."""
    from ole32_bindings import registry
    from ole32_bindings.guid import Guid
    from ole32_servers.registration import HKCU_CLASSES, ServerRegistration, register, unregister

    clsid = Guid.new()
    reg = ServerRegistration(
        clsid, "per-user permissions", "C:\\nowhere.exe", appid=clsid, place=HKCU_CLASSES, access_permission=NOBODY
    )
    register(reg)
    try:
        assert "may not be enforced" in caplog.text and str(clsid) in caplog.text
        assert isinstance(
            registry.query_value(registry.HKEY_CURRENT_USER, f"Software\\Classes\\AppID\\{clsid}", "AccessPermission"),
            bytes,
        )
    finally:
        assert unregister(reg) == 2
