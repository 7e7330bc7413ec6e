"""Every benchmark pair as a pytest-benchmark benchmark (the card's tool). `make test` runs each once with
benchmarking disabled, so each pair's setup, correctness check (Work(100) == 4950, Mix's string, proxies where
promised) and teardown (no object left alive) stay right; `make bench` runs the real comparison (bench/run.py).

The out-of-process late-bound pairs (rows 10a, 10b) run while one activation of each IBenchDual LocalServer32 is
held (TestLateBoundOutOfProcess): each server starts once for those 32 pairs instead of once per pair (a cold
start costs Wine's fixed second or two). Rows 5-8 keep their own starts (row 6 is about them)."""

import os
import sys

import pytest

#: our LocalServer32's log while these tests run (bench/pyserver.py): a failing pair shows its tail
SERVER_LOG = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "build", "test-results", "bench-pyserver.log"
)

pytestmark = pytest.mark.runtime

if sys.platform == "win32":
    sys.coinit_flags = 0  # comtypes and pythoncom join the MTA of the test thread
    from bench import pairs as P
    from bench import run as R

    _ALL = R.pair_table(_STATE := {})
    #: rows whose pairs run with their servers held running (TestLateBoundOutOfProcess)
    HELD_ROWS = ("10a", "10b")
    PAIRS = [p for p in _ALL if p.row not in HELD_ROWS]
    HELD_PAIRS = [p for p in _ALL if p.row in HELD_ROWS]
else:  # collected on Linux only to be deselected (runtime marker)
    PAIRS = HELD_PAIRS = []
    _STATE = {}


@pytest.fixture(scope="module")
def registered():
    from ole32_bindings import apartments

    apartments.co_initialize()
    R.register_servers()
    os.makedirs(os.path.dirname(SERVER_LOG), exist_ok=True)
    saved = os.environ.get("OLE32B_BENCH_SERVER_LOG")
    os.environ["OLE32B_BENCH_SERVER_LOG"] = SERVER_LOG  # inherited by the clients, then by the servers COM starts
    yield
    if saved is None:
        del os.environ["OLE32B_BENCH_SERVER_LOG"]
    else:
        os.environ["OLE32B_BENCH_SERVER_LOG"] = saved
    try:
        P.wait_servers_gone()
    finally:
        left = P.end_servers()
        R.close_state(_STATE)
        apartments.co_uninitialize()
    assert not left, f"bench servers left running: {left}"


@pytest.mark.filterwarnings("ignore:Benchmark fixture was not used")  # n/a pairs time nothing
@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p.row}-{p.client}-{p.server}")
def test_pair(benchmark, registered, pair):
    try:
        _run_pair(benchmark, pair)
    except Exception:
        if pair.server == "ours" and os.path.exists(SERVER_LOG):
            with open(SERVER_LOG, encoding="utf-8", errors="replace") as f:
                tail = [line.rstrip() for line in f if line.strip()][-20:]
            print("our server's log, last lines:", *tail, sep="\n")  # pytest shows it with the failure
        raise


@pytest.fixture(scope="class")
def dual_servers_running(registered):
    """One activation of each IBenchDual LocalServer32 held while the class's pairs run (our client, IUnknown);
    released at the end, and every server must then exit."""
    from bench.benchdual import (
        CLSID_CppBenchDualServer,
        CLSID_CtBenchDualServer,
        CLSID_PwBenchDualServer,
        CLSID_PyBenchDualServer,
    )
    from ole32_bindings.constants import CLSCTX
    from vtables.client import client_class
    from vtables.interfaces import IUnknown

    P.wait_servers_gone()
    keepers = []
    try:
        for clsid in (
            CLSID_CppBenchDualServer,
            CLSID_PyBenchDualServer,
            CLSID_CtBenchDualServer,
            CLSID_PwBenchDualServer,
        ):
            keepers.append(
                P._retry_stopping(
                    lambda c=clsid: client_class(IUnknown).from_raw(
                        P.activation.create_instance(c, IUnknown.iid, CLSCTX.LOCAL_SERVER)
                    )
                )
            )
        yield
    finally:
        for k in keepers:
            k.release()
    P.wait_servers_gone()


@pytest.mark.filterwarnings("ignore:Benchmark fixture was not used")
@pytest.mark.usefixtures("dual_servers_running")
class TestLateBoundOutOfProcess:
    @pytest.mark.parametrize("pair", HELD_PAIRS, ids=lambda p: f"{p.row}-{p.client}-{p.server}")
    def test_pair(self, benchmark, pair):
        test_pair(benchmark, None, pair)


def _run_pair(benchmark, pair):
    from vtables import leaks

    before = (leaks.live_objects(), leaks.held_references)
    try:
        m = pair.make()
    except P.NotAvailable as e:
        # An n/a pair is part of the result table (with its reason), not a missing feature of ours: the reason
        # names the other library's limit or the host we lack; assert it says something.
        assert len(str(e)) > 20
        return
    try:
        check = m.check()
        assert check
        benchmark.extra_info["check"] = check
        benchmark.pedantic(m.sample, args=(m.fixed_iterations or 10,), rounds=1, iterations=1)
    finally:
        m.close()
        del m
    if pair.row in LATE_ROWS:
        _assert_back_to(before)


#: the late-bound rows: after each pair, as many Python COM objects of ours alive and references held as before
LATE_ROWS = ("9a", "9b", "10a", "10b")


def _assert_back_to(before):
    """comtypes and pywin32 release their pointers when collected: collect, then ours must be back to ``before``
    (live objects, held references; the held rows' keepers are held throughout)."""
    import gc
    import time

    from vtables import leaks

    for _ in range(40):
        gc.collect()
        if (leaks.live_objects(), leaks.held_references) == before:
            return
        time.sleep(0.05)
    assert (leaks.live_objects(), leaks.held_references) == before, leaks.snapshot()


def test_server_pids_tell_the_python_servers_apart(registered):
    """Cold rows wait for "no server of this CLSID": a server that server_pids failed to recognise would make them
    time warm activations without any error. Each Python server is found by its own CLSID and no other's, and is
    gone after its last client. The same process serves that library's IBenchDual class, found by its CLSID too."""
    from bench.benchdual import CLSID_CtBenchDualServer, CLSID_PwBenchDualServer
    from bench.benchtarget import CLSID_CppBenchServer, CLSID_CtBenchServer, CLSID_PwBenchServer, CLSID_PyBenchServer

    others = [CLSID_PyBenchServer, CLSID_CtBenchServer, CLSID_PwBenchServer, CLSID_CppBenchServer]
    dual = {CLSID_CtBenchServer: CLSID_CtBenchDualServer, CLSID_PwBenchServer: CLSID_PwBenchDualServer}
    for clsid in (CLSID_CtBenchServer, CLSID_PwBenchServer):
        P.wait_servers_gone()
        with P._local(clsid) as p:
            assert p.Work(100) == 4950
            pids = P.server_pids(clsid)
            assert len(pids) == 1, pids
            assert pids == P.server_pids()  # the only bench server running, and not this process
            assert P.server_pids(dual[clsid]) == pids
            assert "\\bench\\" in P.process_command_line(pids[0]).replace("/", "\\")
            for other in others:
                if other != clsid:
                    assert P.server_pids(other) == [], other
        P.wait_servers_gone(clsid)
        assert P.server_pids() == []
