"""Bad input and faults of the services out of process (issue 17, item 9), each against its own LocalServer32
(faultserver.py, a new CLSID per test): an exhausted pool, an Activate that raises, a construction string the class
refuses, a call after Dispose, and a client process that dies holding a pooled object or an interceptor. Each
gives its documented HRESULT in bounded time, and the server's counts come back: read through ``Work(5)`` (the
pool's made / in use / idle), and the server exits by itself once no client holds anything (its process lock is
back to 0: nothing leaked). Processes the tests start are ended by id in ``finally``."""

import os
import subprocess
import sys
import time

import pytest
from testlib import ROOT, activate_local

pytestmark = pytest.mark.runtime

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "faultserver.py")
CO_E_ACTIVATIONFAILED = 0x8004E021
CO_E_ACTIVATIONFAILED_TIMEOUT = 0x8004E024
CO_E_INITIALIZATIONFAILED = 0x8004E025
RPC_E_DISCONNECTED = 0x80010108


@pytest.fixture
def bench_typelib():
    """IBenchTarget's and IObjectDispose's proxies/stubs (the typelib marshaler) for the calls across processes;
    left registered (shared with the benchmark's servers and the other services tests, idempotent)."""
    from bench import pyserver
    from ole32_servers.services.jit import services_type_library

    pyserver.typelib().register()
    services_type_library(os.path.join(ROOT, "build", "tests", "services.tlb")).register()


@pytest.fixture
def server(tmp_path, bench_typelib):
    """start(kind) -> (clsid, pid): a fault server serving a new CLSID; every one started is ended by id."""
    from ole32_bindings.guid import Guid

    procs = []

    def start(kind, *args):
        clsid = Guid.new()
        pid_file = str(tmp_path / f"pid{len(procs)}")
        proc = subprocess.Popen(
            [sys.executable, SERVER, "-Embedding", "-Clsid", str(clsid), "-Kind", kind, "-PidFile", pid_file, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
        )
        procs.append(proc)
        return clsid, proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def _counts(p):
    """(made, in_use, idle) of the server's pool, through Work(5) on ``p`` (which is itself in use)."""
    v = p.Work(5)
    return v // 10000, v // 100 % 100, v % 100


def _exits_by_itself(proc, seconds=15.0):
    from ole32_bindings import win32

    return win32.wait_process(proc.pid, int(seconds * 1000)) is not None


def _activation_error(clsid):
    from bench.benchtarget import IBenchTarget
    from ole32_bindings.hresult import ComError

    t0 = time.monotonic()
    with pytest.raises(ComError) as info:
        activate_local(clsid, IBenchTarget).release()
    return info.value, time.monotonic() - t0


def test_an_exhausted_pool_times_out_with_activationfailed_timeout(mta, server):
    """MaxPoolSize 2, CreationTimeOut 500 ms: the third client activation waits, then fails with
    CO_E_ACTIVATIONFAILED_TIMEOUT; once one object is back the next activation gets it; the counts follow."""
    from bench.benchtarget import IBenchTarget

    clsid, proc = server("pooled")
    a = activate_local(clsid, IBenchTarget)
    b = activate_local(clsid, IBenchTarget)
    assert _counts(a) == (2, 2, 0)
    error, seconds = _activation_error(clsid)
    assert error.hresult == CO_E_ACTIVATIONFAILED_TIMEOUT, error
    assert 0.4 < seconds < 10, seconds
    b.release()
    c = activate_local(clsid, IBenchTarget)  # b's object, back in the pool
    assert _counts(c) == (2, 2, 0)
    c.release()
    assert _counts(a) == (2, 1, 1)
    a.release()
    assert _exits_by_itself(proc), "the server kept running: a reference or the process lock leaked"


def test_an_activate_that_raises_fails_with_activationfailed_and_leaks_nothing(mta, server):
    clsid, proc = server("failactivate")
    for _ in range(3):  # more than MaxPoolSize: the failed objects were destroyed, not kept in use
        error, seconds = _activation_error(clsid)
        assert error.hresult == CO_E_ACTIVATIONFAILED, error
        assert seconds < 10
    assert _exits_by_itself(proc), "the server kept running: a failed activation leaked the process lock"


def test_a_refused_construction_string_fails_with_initializationfailed(mta, server):
    clsid, proc = server("construct")
    for _ in range(3):
        error, _ = _activation_error(clsid)
        assert error.hresult == CO_E_INITIALIZATIONFAILED, error
    assert _exits_by_itself(proc)


def test_a_call_after_dispose_fails_with_rpc_e_disconnected(mta, server):
    from bench.benchtarget import IBenchTarget
    from ole32_bindings.hresult import ComError
    from ole32_servers.services import dispose

    clsid, proc = server("jit")
    p = activate_local(clsid, IBenchTarget)
    assert p.Work(0) >= 1  # a JIT call: activated, then back (AutoComplete)
    dispose(p)
    with pytest.raises(ComError) as info:
        p.Work(0)
    assert info.value.hresult == RPC_E_DISCONNECTED
    p.release()
    assert _exits_by_itself(proc)


CLIENT = (
    "import sys, time\n"
    "sys.path[:0] = [sys.argv[2], sys.argv[3]]\n"
    "from testlib import activate_local\n"
    "from bench.benchtarget import IBenchTarget\n"
    "from ole32_bindings import apartments\n"
    "from ole32_bindings.guid import Guid\n"
    "apartments.co_initialize()\n"
    "p = activate_local(Guid(sys.argv[1]), IBenchTarget)\n"
    "p.Work(0)\n"
    "print('holding', flush=True)\n"
    "time.sleep(600)\n"
)


def _client_that_dies_holding(clsid, release_first=False):
    """A client process that activates ``clsid``, calls it, (releases it, with ``release_first``) and is killed."""
    code = CLIENT.replace("p.Work(0)\n", "p.Work(0)\np.release()\n") if release_first else CLIENT
    client = subprocess.Popen(
        [sys.executable, "-c", code, str(clsid), os.path.join(ROOT, "tests"), ROOT],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        line = client.stdout.readline().strip()
    finally:
        client.kill()
        _, err = client.communicate(timeout=10)
    assert line == "holding", err


def test_a_pooled_object_whose_client_process_dies_goes_back_to_the_pool(mta, server):
    """Wine has no OXID rundown: without the class object's client watch (services.rundown) the dead client's
    object would stay in use for the server's life. With it, the object is disconnected when the client's process
    exits and goes back to the pool (Deactivate, CanBePooled), and the counts return."""
    from bench.benchtarget import IBenchTarget

    clsid, proc = server("pooled")
    _client_that_dies_holding(clsid)  # it held one of the pool's objects (MaxPoolSize 2)
    p = activate_local(clsid, IBenchTarget)
    try:
        deadline = time.monotonic() + 20
        while _counts(p)[1] != 1 and time.monotonic() < deadline:  # in use: only ours, once the dead client's is back
            time.sleep(0.1)
        made, in_use, idle = _counts(p)
        assert in_use == 1 and made == in_use + idle, (made, in_use, idle)
        with activate_local(clsid, IBenchTarget) as q:  # the pool has both objects to give again: no timeout
            assert _counts(q) == (2, 2, 0)
    finally:
        p.release()
    assert _exits_by_itself(proc), "the server kept running after its clients were gone"


def test_a_jit_client_that_dies_lets_the_server_exit(mta, server):
    """The dead client held an interceptor (its real object was already back: AutoComplete): disconnected when the
    client's process exits, the interceptor ends as on a final Release, and the server exits by itself."""
    clsid, proc = server("jit")
    _client_that_dies_holding(clsid)
    assert _exits_by_itself(proc, 20), "the dead client's interceptor kept the server alive"


def test_a_call_across_processes_carries_the_callers_causality_id(mta, server):
    """What activities rely on out of process (services.synchronization): the server serves each call with the
    calling thread's causality id, so a callback from another process is recognised as the same chain of calls."""
    import struct
    import threading

    from bench.benchtarget import IBenchTarget
    from ole32_bindings import apartments
    from ole32_servers.services.synchronization import causality

    clsid, proc = server("causality")
    with activate_local(clsid, IBenchTarget) as p:
        mine = struct.unpack("<i", causality()[:4])[0]
        assert p.Work(0) == mine
        seen = {}

        def other_thread():
            with apartments.apartment():
                seen["caller"] = struct.unpack("<i", causality()[:4])[0]
                seen["served"] = p.Work(0)

        t = threading.Thread(target=other_thread)
        t.start()
        t.join(60)
        assert seen["served"] == seen["caller"] != mine
    assert _exits_by_itself(proc)


@pytest.mark.parametrize("kind", ["synced", "unsynced"])
def test_client_threads_calling_one_object_in_another_process(mta, server, kind):
    """6 client threads x 15 calls of 2 ms on one object in a LocalServer32 (its MTA serves them on RPC threads):
    with Synchronization never two inside at once; without it they overlap (the count can fail). No deadlock."""
    import threading

    from bench.benchtarget import IBenchTarget

    clsid, proc = server(kind)
    with activate_local(clsid, IBenchTarget) as p:
        errors = []

        def caller():
            try:
                for _ in range(15):
                    p.Work(2)
            except BaseException as e:
                errors.append(e)

        threads = [threading.Thread(target=caller) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not any(t.is_alive() for t in threads), "a deadlock"
        assert not errors, errors
        most = p.Work(0)
        assert most == 1 if kind == "synced" else most > 1, most
    assert _exits_by_itself(proc)


def test_an_object_a_dead_client_gave_back_is_not_taken_from_its_next_client(mta, server):
    """The watch ends with the object's return: a client that released its pooled object and then died must not
    cut off the next client of that same object."""
    from bench.benchtarget import IBenchTarget

    clsid, proc = server("pooled")
    with activate_local(clsid, IBenchTarget) as keep_alive:  # holds the server while the client comes and goes
        serial = keep_alive.Work(0)
        _client_that_dies_holding(clsid, release_first=True)  # it used the other object and gave it back
        with activate_local(clsid, IBenchTarget) as p:  # that object again (the pool's only idle one)
            other = p.Work(0)
            assert other != serial
            time.sleep(2.0)  # the watcher has seen the client's exit by now
            assert p.Work(0) == other  # still connected, still the same object
            assert _counts(p) == (2, 2, 0)
    assert _exits_by_itself(proc)
