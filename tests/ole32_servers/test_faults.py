"""Faults around a Python LocalServer32: a client killed without releasing (how long the server lives on under
Wine), and a server killed in the middle of a call (the client gets an RPC error in bounded time, not a hang).

Each test uses its own CLSID: under Wine a killed server breaks its CLSID until wineserver restarts."""

import os
import subprocess
import sys
import threading
import time

import pytest
from testlib import ROOT, activate_local

pytestmark = [pytest.mark.runtime, pytest.mark.kills_servers]

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "pyserver.py")


@pytest.fixture
def bench_typelib():
    """IBenchTarget's proxy/stub (the typelib marshaler) for the cross-process call; left registered (shared with
    the benchmark's servers, idempotent)."""
    from bench import pyserver

    pyserver.typelib().register()


def _start(clsid, pid_file, *args):
    return subprocess.Popen(
        [sys.executable, SERVER, "-Embedding", "-Clsid", str(clsid), "-PidFile", pid_file, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )


_activate = activate_local


def test_server_killed_mid_call_gives_the_client_an_rpc_error_in_bounded_time(mta, tmp_path, bench_typelib):
    from bench.benchtarget import IBenchTarget
    from ole32_bindings.guid import Guid
    from ole32_bindings.hresult import ComError

    clsid = Guid.new()
    proc = _start(clsid, str(tmp_path / "pid"), "-Linger", "0.2")
    try:
        p = _activate(clsid, IBenchTarget)
        assert p.Work(100) == 4950
        outcome = {}

        def long_call():
            t0 = time.monotonic()
            try:
                outcome["value"] = p.Work(2_000_000)  # seconds of work in the server
            except ComError as e:
                outcome["error"] = e
            outcome["seconds"] = time.monotonic() - t0

        t = threading.Thread(target=long_call)
        t.start()
        time.sleep(1.0)  # the call is in progress in the server
        killed_at = time.monotonic()
        proc.kill()
        t.join(60)
        assert not t.is_alive(), "the client hung after its server died"
        returned_after = time.monotonic() - killed_at
        print(f"client call returned {returned_after:.2f} s after the server was killed: {outcome.get('error')}")
        assert "error" in outcome, outcome
        assert outcome["error"].name in (
            "RPC_S_SERVER_UNAVAILABLE",
            "RPC_S_CALL_FAILED",
            "RPC_E_DISCONNECTED",
            "RPC_S_CALL_FAILED_DNE",
            "RPC_E_SERVERFAULT",
        ), outcome["error"]
        assert returned_after < 30
        p.release()  # releasing a proxy whose server is gone is harmless
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


#: A client that dies holding a reference: stress/holder.py (make stress's faults section runs the same one).
HOLDER = os.path.join(ROOT, "stress", "holder.py")


def _holding_client(clsid, calling_seconds=0.0):
    return subprocess.Popen(
        [sys.executable, HOLDER, str(clsid), str(calling_seconds)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )


def test_orphan_timeout_ends_a_server_whose_client_was_killed_and_spares_one_whose_client_calls(mta, tmp_path):
    """The opt-in orphan timeout (LocalServer(orphan_timeout=...), -Orphan here): a client calling every 0.3 s
    for 4 s keeps a 1.5 s-timeout server alive; once that client is killed holding its reference, the server
    exits by itself (code 0) about 1.5 s after the last call, where the server without the option (the test
    below) runs on."""
    from ole32_bindings import win32
    from ole32_bindings.guid import Guid

    clsid = Guid.new()
    server = _start(clsid, str(tmp_path / "pid"), "-Linger", "0.2", "-Idle", "60", "-Orphan", "1.5")
    client = _holding_client(clsid, calling_seconds=4.0)
    try:
        assert client.stdout.readline().strip() == "holding"
        assert client.stdout.readline().strip() == "quiet"  # 4 s of calls: more than twice the orphan timeout
        assert server.poll() is None, "the server exited while its client was calling"
        client.kill()  # dies holding its reference
        client.wait(10)
        killed_at = time.monotonic()
        code = win32.wait_process(server.pid, 30_000)
        after = time.monotonic() - killed_at
        print(f"server exited ({code}) {after:.2f} s after its client was killed (orphan timeout 1.5 s)")
        assert code == 0
        assert after < 15
    finally:
        for proc in (client, server):
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)


def test_client_killed_without_releasing_leaves_the_server_running(mta, tmp_path):
    """Wine does not ping clients (no OXID rundown): a server whose client died holding an object lives on. The
    test watches it for a bounded time, records that, and ends it by pid."""
    from ole32_bindings import win32
    from ole32_bindings.guid import Guid

    clsid = Guid.new()
    pid_file = str(tmp_path / "pid")
    server = _start(clsid, pid_file, "-Linger", "0.2", "-Idle", "60")
    client_code = (
        "import sys, time\n"
        "from ole32_bindings import activation, apartments\n"
        "from ole32_bindings.constants import CLSCTX\n"
        "from ole32_bindings.guid import Guid\n"
        "from vtables.interfaces import IPersist\n"
        "apartments.co_initialize()\n"
        "deadline = time.monotonic() + 30\n"
        "while True:\n"
        "    try:\n"
        "        p = activation.create_instance(Guid(sys.argv[1]), IPersist.iid, CLSCTX.LOCAL_SERVER); break\n"
        "    except Exception:\n"
        "        if time.monotonic() > deadline: raise\n"
        "        time.sleep(0.05)\n"
        "print('holding', flush=True)\n"
        "time.sleep(600)\n"
    )
    client = subprocess.Popen(
        [sys.executable, "-c", client_code, str(clsid)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    try:
        assert client.stdout.readline().strip() == "holding"
        client.kill()  # dies holding a reference to a server object
        client.wait(10)
        watch = 10.0
        code = win32.wait_process(server.pid, int(watch * 1000))
        print(
            f"server {'still running' if code is None else f'exited ({code})'} {watch:.0f} s after its "
            "client was killed"
        )
        # Under Wine: no pinging, so the server cannot know; it stays (Windows' OXID resolver would release the
        # client's references after about 6 minutes of missed pings).
        assert code is None
    finally:
        for proc in (client, server):
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)
