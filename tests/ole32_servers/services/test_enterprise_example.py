"""examples/enterprise (issue 17, item 7): the BankComponent client runs and its output shows just-in-time
activation, pool reuse, deactivation, an aborted call, Dispose and the pool closed, in that order."""

import os
import re
import subprocess
import sys

import pytest
from testlib import ROOT

pytestmark = pytest.mark.runtime

EXAMPLE = os.path.join(ROOT, "examples", "enterprise")


def test_bank_client_shows_activation_reuse_and_deactivation():
    out = subprocess.run(
        [sys.executable, os.path.join(EXAMPLE, "client.py")],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    lines = [line.strip() for line in out.stdout.splitlines()]
    server = [line.removeprefix("[server] ") for line in lines if line.startswith("[server]")]
    # MinPoolSize objects are made at registration, and no other object ever
    assert [s for s in server if s.endswith("constructed (into the pool)")] == [
        "Account#1 constructed (into the pool)",
        "Account#2 constructed (into the pool)",
    ]
    # JIT: nothing is activated by CoCreateInstance; each Post activates, and AutoComplete deactivates on return
    created = lines.index("client: act = CoCreateInstance(Account)   # the client gets the interceptor, no object yet")
    assert lines[created + 1] == "pool: made=2 idle=2 in_use=0 activations=0 destroyed=0"
    cycle = [
        "Account#2 Activate (taken from the pool)",
        None,  # the Post line
        "Account#2 Deactivate",
        "Account#2 CanBePooled -> True (back to the pool)",
    ]
    calls = server[2:]
    posts = [calls[i : i + 4] for i in range(0, 12, 4)]
    for (account, amount, balance), got in zip(((5, 100, 100), (7, 250, 250), (5, -40, 60)), posts, strict=True):
        assert got[0] == cycle[0] and got[2:] == cycle[2:], got
        assert got[1] == f"Account#2.Post({account}, {amount:.2f}): balance {balance:.2f}"
    # the refused Post: activated, no posting, still deactivated and pooled (AutoComplete's abort vote)
    assert calls[12:15] == [cycle[0], cycle[2], cycle[3]]
    assert len(calls) == 15
    stats = re.findall(r"pool: made=(\d+) idle=(\d+) in_use=(\d+) activations=(\d+) destroyed=(\d+)", out.stdout)
    assert [tuple(map(int, s)) for s in stats] == [
        (2, 2, 0, 0, 0),  # registered
        (2, 2, 0, 0, 0),  # CoCreateInstance: the interceptor only
        (2, 2, 0, 1, 0),
        (2, 2, 0, 2, 0),
        (2, 2, 0, 3, 0),  # three Posts, one object reused
        (2, 2, 0, 4, 0),  # the refused Post: back in the pool too
        (2, 2, 0, 4, 0),  # released
        (2, 0, 0, 4, 2),  # class object revoked: the pool closed
    ]
    assert "-> failed: E_INVALIDARG (Account#2: refusing to post 0.0 to account 5)" in out.stdout
    assert "-> failed: RPC_E_DISCONNECTED (0x80010108)" in out.stdout
    assert "ledger: {5: 60.0, 7: 250.0}" in lines
