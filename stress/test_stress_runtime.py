"""make stress's parts, each once and small (the runner's quick tests in make test): the load driver with every
result checked, the soak's in-process loop, and the stress server's own counts over IDispatch."""

import pytest

pytestmark = pytest.mark.runtime


@pytest.fixture
def bench_servers(mta):
    from bench.run import register_servers

    register_servers()


def test_load_driver_two_cpp_clients_on_our_server_every_result_checked(bench_servers):
    from bench.benchtarget import CLSID_PyBenchServer
    from bench.load import LoadSpec, run_load
    from bench.pairs import _local, wait_servers_gone

    keeper = _local(CLSID_PyBenchServer)
    try:
        r = run_load(LoadSpec("ours", clsid=CLSID_PyBenchServer, client="cpp"), processes=2, calls=20)
    finally:
        keeper.release()
    wait_servers_gone(CLSID_PyBenchServer)
    assert (r.calls, r.wrong, r.errors, r.failed_processes) == (40, 0, 0, [])
    assert r.seconds > 0


def test_soak_in_process_loop_ends_with_no_live_object(mta):
    from stress.soak import _soak_inproc

    r = _soak_inproc((200, 2_000, 4))
    assert (r["activations"], r["calls"], len(r["samples"])) == (200, 2_000, 4)
    assert r["end"] == {"live_objects": 0, "held_references": 0}
    assert all(s["live_objects"] == 0 for s in r["samples"])


def test_stress_server_reports_its_objects_and_exits_after_the_last_release(bench_servers):
    from bench.benchtarget import IBenchTarget
    from ole32_bindings import activation, win32
    from ole32_bindings.constants import CLSCTX
    from ole32_bindings.guid import Guid
    from stress import server
    from vtables.client import client_class
    from vtables.latebound import Dispatch

    target, stats_clsid = Guid.new(), Guid.new()  # fresh CLSIDs: nothing else can be serving them
    server.register(target, stats_clsid)
    try:
        stats = Dispatch(stats_clsid, clsctx=CLSCTX.LOCAL_SERVER, typeinfo=False)
        try:
            pid = int(stats.ProcessId)
            assert stats.LiveObjects == 0
            p = client_class(IBenchTarget).from_raw(
                activation.create_instance(target, IBenchTarget.iid, CLSCTX.LOCAL_SERVER)
            )
            assert p.Work(10) == 45 and stats.LiveObjects == 1
            p.release()
            assert stats.LiveObjects == 0
        finally:
            stats.release()
        assert win32.wait_process(pid, 30_000) == 0
    finally:
        server.unregister(target, stats_clsid)
