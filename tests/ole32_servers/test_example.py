"""examples/oop_server runs as its README says: register, a client activates (COM starts the server), release,
the server exits, unregister leaves nothing."""

import os
import subprocess
import sys
import time

import pytest
from testlib import ROOT

pytestmark = pytest.mark.runtime

EXAMPLE = os.path.join(ROOT, "examples", "oop_server")


def _run(script, *args):
    return subprocess.run(
        [sys.executable, script, *args],
        cwd=EXAMPLE,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_example_server_round_trip():
    sys.path.insert(0, EXAMPLE)
    try:
        from server import CLSID_Greeter, registration
    finally:
        sys.path.remove(EXAMPLE)
    from ole32_bindings import win32
    from ole32_bindings.registry import HKEY_CLASSES_ROOT, key_exists

    assert _run("server.py", "-RegServer").returncode == 0
    try:
        before = {pid for pid, _, exe in win32.processes() if exe.lower() == "python.exe"}
        # The client's std handles are files here (capture_output): the server COM starts inherits them, and
        # must not hold them open; LocalServer.main points its own at NUL.
        out = _run("client.py")
        assert out.returncode == 0, out.stderr
        assert str(CLSID_Greeter) in out.stdout and "IPersistPtr" in out.stdout
        deadline = time.monotonic() + 15
        while True:  # the server the client's activation started exits by itself after its linger
            servers = {pid for pid, _, exe in win32.processes() if exe.lower() == "python.exe"} - before
            if not servers or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert not servers, f"example server(s) still running: {servers}"
    finally:
        assert _run("server.py", "-UnregServer").returncode == 0
    assert not any(key_exists(HKEY_CLASSES_ROOT, k) for k in registration().keys)
