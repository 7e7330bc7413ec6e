"""examples/automation: the scripting contract, registered as its README says and checked with clients nobody here
wrote (VBScript and JScript through Wine's cscript, pywin32's and comtypes' dynamic dispatch) and with our own
late-bound client, against both ProgIDs: the LocalServer32 and the same class in-process through the host DLL."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
from testlib import ROOT

pytestmark = pytest.mark.runtime

EXAMPLE = os.path.join(ROOT, "examples", "automation")
PROGIDS = ["Ole32Bindings.Contract", "Ole32Bindings.Contract.InProc"]

VBS_CHECKS = """
create echo_integer echo_long echo_byte echo_single echo_double echo_currency echo_date_before_1899_12_30
echo_date echo_string_with_nul echo_boolean echo_null echo_empty echo_array echo_2d_array echo_object
add_numbers add_promotes add_strings join_defaults join_all join_omitted_middle name_put_get self_is
items_count items_item items_default_member items_for_each swap_byref squares sum fail_description_and_source
""".split()
JS_CHECKS = """create echo_int echo_double echo_string echo_bool echo_null echo_object echo_safearray add_numbers
add_strings join_defaults join_all name_put_get self_identity items_count_and_item items_enumerator squares
sum_of_safearray fail_message""".split()


def _server(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, os.path.join(EXAMPLE, "server.py"), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _python_servers() -> set[int]:
    from ole32_bindings import win32

    return {pid for pid, _, exe in win32.processes() if exe.lower() == "python.exe"}


@pytest.fixture(scope="module")
def contract():
    """The contract registered for the module (both ProgIDs and the type library); afterwards unregistered, with
    nothing left in the registry, no server process left running, and the in-process class object released."""
    import importlib.util

    # server.py under a name of its own: examples/oop_server has a server.py too (tests/ole32_servers/test_example.py)
    spec = importlib.util.spec_from_file_location("automation_server", os.path.join(EXAMPLE, "server.py"))
    assert spec is not None and spec.loader is not None
    server = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(server)  # puts EXAMPLE on sys.path, for automation_contract
    import automation_contract as ac

    while EXAMPLE in sys.path:
        sys.path.remove(EXAMPLE)
    from ole32_bindings.registry import HKEY_CLASSES_ROOT, key_exists

    before = _python_servers()
    r = _server("-RegServer")
    assert r.returncode == 0, r.stderr
    try:
        yield ac
    finally:
        from ole32_servers.inproc import release_class_objects

        release_class_objects(ac.CLSID_ContractInProc)
        r = _server("-UnregServer")
        assert r.returncode == 0, r.stderr
        keys = [
            *server.registration().keys,
            f"CLSID\\{ac.CLSID_ContractInProc}",
            "Ole32Bindings.Contract.InProc",
            "Ole32Bindings.Contract.InProc.1",
            f"TypeLib\\{ac.LIBID_Contract}",
        ]
        assert [k for k in keys if key_exists(HKEY_CLASSES_ROOT, k)] == []
        deadline = time.monotonic() + 15
        while (left := _python_servers() - before) and time.monotonic() < deadline:
            time.sleep(0.1)  # LocalServer32s started for the clients exit after their linger
        assert not left, f"contract server(s) still running: {left}"


@pytest.fixture(autouse=True)
def _release_inproc_class_object(contract):
    """The InprocServer32 host keeps the class object it made in this process (ole32_servers.inproc); a test that
    activated the in-process ProgID gives it up at its end, so the leak check sees no object left by the test."""
    yield
    import gc

    from ole32_servers.inproc import release_class_objects

    gc.collect()  # pywin32's and comtypes' wrappers release their references when collected
    release_class_objects(contract.CLSID_ContractInProc)


def _cscript(script: str, progid: str) -> list[str]:
    """Run a contract script; its output lines. Not subprocess.run: cscript's first window (the STA's) makes Wine
    start its desktop process, explorer.exe, which inherits cscript's pipes and keeps them open for as long as this
    process has windows, so reading to EOF would wait for good. The output is read until cscript exits."""
    proc = subprocess.Popen(
        ["cscript.exe", "//nologo", os.path.join(EXAMPLE, script), progid],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        proc.wait(timeout=180)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise
    finally:
        reader.join(timeout=5)  # the lines cscript wrote are in the pipe already
    return [line.rstrip("\n") for line in lines]


@pytest.mark.parametrize("progid", PROGIDS)
@pytest.mark.parametrize(("script", "checks"), [("contract.vbs", VBS_CHECKS), ("contract.js", JS_CHECKS)])
def test_scripts_pass_every_check(contract, script, checks, progid):
    # Wine's cscript prints nothing for an uncaught error: every expected check must have said "ok".
    lines = _cscript(script, progid)
    failed = [line for line in lines if line.startswith("FAIL")]
    passed = [line[3:] for line in lines if line.startswith("ok ")]
    assert failed == []
    assert passed == checks
    assert lines[-1] == f"VERDICT {len(checks)} 0"


@pytest.mark.parametrize("progid", PROGIDS)
def test_pywin32_dynamic_dispatch(contract, progid, mta):
    sys.coinit_flags = 0  # pythoncom joins COM when imported: the MTA, like this test thread
    import pywintypes
    import win32com.client.dynamic

    o = win32com.client.dynamic.Dispatch(progid)
    try:
        assert o.Echo("a\x00b\U0001f600") == "a\x00b\U0001f600"
        assert o.Echo(2.5) == 2.5 and o.Add(2, 3) == 5 and o.Add("ab", "cd") == "abcd"
        assert o.Join("x") == "x-" and o.Join("x", "+", "y") == "x+y"
        o.Name = "pw"
        assert o.Name == "pw"
        assert o.Self._oleobj_ == o._oleobj_  # pywin32 compares IUnknown identity
        items = o.Items(3)
        assert items.Count == 3 and items.Item(2) == "item2" and [x for x in items] == ["item0", "item1", "item2"]
        assert list(o.Squares(4)) == [0, 1, 4, 9]
        assert o.Sum([1, 2, 3.5]) == 6.5
        with pytest.raises(pywintypes.com_error) as info:
            o.Fail("from pywin32")
        hr, _, excepinfo, _ = info.value.args
        assert hr & 0xFFFFFFFF == 0x80020009  # DISP_E_EXCEPTION
        assert excepinfo[1] == "Ole32Bindings.Contract" and excepinfo[2] == "from pywin32"
    finally:
        del o


@pytest.mark.parametrize("progid", PROGIDS)
def test_comtypes_dynamic_dispatch(contract, progid, mta):
    sys.coinit_flags = 0  # comtypes joins COM when imported: the MTA, like this test thread
    import comtypes
    import comtypes.client

    o = comtypes.client.CreateObject(progid, dynamic=True)
    try:
        assert o.Echo("h\xe9") == "h\xe9" and o.Add(2, 0.5) == 2.5
        assert o.Join("x", "+", "y") == "x+y"
        o.Name = "ct"
        assert o.Name == "ct"
        assert o.Items(2).Count == 2
        assert list(o.Squares(3)) == [0, 1, 4]
        assert o.Sum([1, 2]) == 3.0
        with pytest.raises(comtypes.COMError) as info:
            o.Fail("from comtypes")
        assert info.value.hresult & 0xFFFFFFFF == 0x80020009
        # comtypes' dynamic calls pass a NULL EXCEPINFO and read the thread's error object, which our Invoke sets
        # when there is no EXCEPINFO. Out of process the IDispatch stub passes one, and Wine's proxy drops what comes
        # back into it with nothing to copy it to (docs/wine.md): there the text is lost.
        if progid.endswith(".InProc"):
            assert info.value.details[:2] == ("from comtypes", "Ole32Bindings.Contract")
        else:
            assert info.value.details[:2] == (None, None)
    finally:
        del o


@pytest.mark.parametrize("progid", PROGIDS)
def test_our_late_bound_client(contract, progid, mta):
    import datetime
    import decimal

    from vtables.latebound import ByRef, Dispatch, DispatchError

    with Dispatch(progid) as o:
        for value in (
            None,
            7,
            2**40,
            1.5,
            True,
            "x\x00y",
            datetime.datetime(1899, 12, 29, 6, 0),
            decimal.Decimal("1.5"),
        ):
            assert o.Echo(value) == value
        assert o.Echo([1, "a", [2.5]]) == [1, "a", [2.5]]
        assert o.Add(2, 3) == 5 and o.Add("ab", "cd") == "abcd"
        assert o.Join("x") == "x-" and o.Join("x", c="y") == "x-y"
        o.Name = "ours"
        assert o.Name == "ours"
        with o.Self as me:
            assert me.Name == "ours"
        with o.Items(3) as items:
            assert len(items) == 3 and items[1] == "item1" and list(items) == ["item0", "item1", "item2"]
        a, b = ByRef("left"), ByRef(7)
        o.Swap(a, b)
        assert (a.value, b.value) == (7, "left")
        assert o.Squares(4) == [0, 1, 4, 9] and o.Sum([1, 2, 3.5]) == 6.5
        with pytest.raises(DispatchError) as info:
            o.Fail("from ours")
        assert info.value.description == "from ours" and info.value.source == "Ole32Bindings.Contract"


@pytest.mark.parametrize("progid", PROGIDS)
def test_comtypes_early_bound_through_our_type_library(contract, progid, mta, tmp_path, monkeypatch):
    # comtypes reads the type library registered for the class and calls IContract through its vtable: in process
    # directly, out of process through the typelib marshaler, which also reads our library.
    sys.coinit_flags = 0  # comtypes joins COM when imported: the MTA, like this test thread
    import comtypes
    import comtypes.client
    import comtypes.client._generate

    # comtypes writes its generated module into comtypes.gen; keep ours out of the shared installation.
    gen = tmp_path / "gen"
    gen.mkdir()
    monkeypatch.setattr(comtypes.client, "gen_dir", str(gen))
    monkeypatch.syspath_prepend(str(tmp_path))
    module = comtypes.client.GetModule(os.path.join(EXAMPLE, "Ole32BindingsContract.tlb"))
    IContract = module.IContract
    assert IContract._iid_ == comtypes.GUID(str(contract.IContract.iid))
    o = comtypes.client.CreateObject(progid, interface=IContract)
    try:
        assert isinstance(o, IContract)
        assert o.Echo("vtable") == "vtable" and o.Echo(2.5) == 2.5
        assert o.Add(2, 3) == 5
        assert o.Join("x") == "x-" and o.Join("x", "+", "y") == "x+y"
        o.Name = "early"
        assert o.Name == "early"
        assert o.Squares(3) == (0, 1, 4)
        assert o.Sum([1, 2, 3.5]) == 6.5
        with pytest.raises(comtypes.COMError) as info:
            o.Fail("early-bound")
        assert info.value.hresult & 0xFFFFFFFF == 0x80004005  # a RuntimeError is E_FAIL through the vtable
    finally:
        del o
