"""The services in our LocalServer32: the pool lives in the server, made when its class objects are registered;
an out-of-process client sees the same semantics (reuse, JIT deactivation, Dispose, timeouts); registration
records the services and the started server reads them; idle pooled objects do not keep the server alive."""

import os
import subprocess
import sys
import time

import pytest
from servicedtargets import IBenchTarget, ensure_type_libraries
from testlib import ROOT, activate_local, server_exit_code

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # pyserver

pytestmark = pytest.mark.runtime

SERVER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pyserver.py")
RPC_E_DISCONNECTED = 0x80010108
CO_E_ACTIVATIONFAILED_TIMEOUT = 0x8004E024


def _start(pid_file, clsid, kind, *args):
    return subprocess.Popen(
        [sys.executable, SERVER, "-Embedding", "-PidFile", pid_file, "-Clsid", str(clsid), "-Services", kind, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )


def _stats(p):
    """(made, in_use, idle) of the server's pool, read by a call (which itself holds one object)."""
    n = p.Work(5)
    return n // 10000, n // 100 % 100, n % 100


def _finish(proc):
    try:
        assert proc.wait(20) == 0  # last client gone -> linger -> clean exit, idle pooled objects notwithstanding
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_pooled_objects_are_reused_across_processes(mta, server_pid_file, clsid):
    ensure_type_libraries()
    proc = _start(server_pid_file, clsid, "pooled", "-Linger", "0.2")
    try:
        a = activate_local(clsid, IBenchTarget)
        assert type(a).__name__ == "IBenchTargetPtr"  # a proxy
        assert _stats(a) == (2, 1, 1)  # MinPoolSize 2 made with the class object; one in use (ours)
        serial = a.Work(0)
        a.release()  # the object goes back to the server's pool
        b = activate_local(clsid, IBenchTarget)
        assert b.Work(0) == serial  # the same object again
        c = activate_local(clsid, IBenchTarget)
        d = activate_local(clsid, IBenchTarget)
        assert _stats(b) == (3, 3, 0)  # MaxPoolSize 3: all in use
        from ole32_bindings.hresult import ComError

        t0 = time.monotonic()
        with pytest.raises(ComError) as e:
            activate_local(clsid, IBenchTarget, timeout=0)
        assert e.value.hresult == CO_E_ACTIVATIONFAILED_TIMEOUT and time.monotonic() - t0 >= 0.25
        for p in (c, d):
            p.release()
        assert _stats(b) == (3, 1, 2)
        b.release()
    finally:
        _finish(proc)


def test_jit_across_processes_and_dispose(mta, server_pid_file, clsid):
    from ole32_bindings.hresult import ComError
    from ole32_servers.services import dispose

    ensure_type_libraries()
    proc = _start(server_pid_file, clsid, "jit", "-Linger", "0.2")
    try:
        p = activate_local(clsid, IBenchTarget)
        q = activate_local(clsid, IBenchTarget)
        first = p.Work(0)
        assert q.Work(0) == first  # @auto_complete: each call returns the object, the other client gets it
        assert _stats(p) == (2, 1, 1)
        dispose(p)
        with pytest.raises(ComError) as e:
            p.Work(0)
        assert e.value.hresult == RPC_E_DISCONNECTED
        p.release()
        q.release()
    finally:
        _finish(proc)


def test_registered_services_are_read_by_the_started_server(mta, server_pid_file, clsid):
    from pyserver import registration
    from servicedtargets import served_class

    from ole32_bindings import registry
    from ole32_servers.registration import read_services, register, unregister, write_services
    from ole32_servers.services import ObjectPooling, ServiceSet, services_of

    ensure_type_libraries()
    # (no -Linger: pyserver's default is short. Wine 8 refuses a LocalServer32 command line of 260 characters or
    # more with ERROR_FILE_NOT_FOUND, docs/wine.md, and pytest's temporary directory is long.)
    args = ["-PidFile", server_pid_file, "-Clsid", str(clsid), "-Services", "pooled"]
    reg = registration(args, clsid, services_of(served_class("pooled")))
    register(reg)
    assert read_services(clsid)["MaxPoolSize"] == 3
    # An administrator's change after registration: the pool sizes come from the record, not the class.
    write_services(clsid, ServiceSet.of([ObjectPooling(4, 5, 100)]))
    try:
        p = activate_local(clsid, IBenchTarget, timeout=0)  # COM starts the server
        assert _stats(p) == (4, 1, 3)
        p.release()
        assert server_exit_code(server_pid_file) == 0
    finally:
        assert unregister(reg) == 3  # CLSID (its Services with it), ProgID, AppID
    assert read_services(clsid) == {}
    assert not registry.key_exists(registry.HKEY_CLASSES_ROOT, f"CLSID\\{clsid}")


def test_a_comtypes_client_sees_the_same_pool_and_jit(mta, server_pid_file, clsid):
    """A client no one here wrote: comtypes, with IBenchTarget as a comtypes user declares it (bench/cttarget.py)."""
    sys.coinit_flags = 0  # comtypes initialises COM on import: the MTA, like this test thread
    import gc

    import comtypes
    import comtypes.client

    from bench.cttarget import CtBenchTarget

    ensure_type_libraries()
    proc = _start(server_pid_file, clsid, "jit")
    try:
        keep = activate_local(clsid, IBenchTarget)  # waits until it serves, and keeps it serving
        ct = comtypes.client.CreateObject(
            comtypes.GUID(str(clsid)), clsctx=comtypes.CLSCTX_LOCAL_SERVER, interface=CtBenchTarget
        )
        first = ct.Work(0)
        assert ct.Work(0) == first and keep.Work(0) == first  # @auto_complete: one warm pooled object serves all
        assert _stats(keep) == (2, 1, 1)
        del ct
        gc.collect()
        keep.release()
    finally:
        _finish(proc)


def test_a_wait_in_an_sta_server_lets_the_release_that_ends_it_arrive(mta, server_pid_file, clsid):
    """An STA server: the activation waiting for an exhausted pool runs on the apartment's thread, and the Release
    that frees an object is a call into that same apartment. The pool's wait pumps, so the Release arrives during
    the wait and serves the waiter (a plain wait would block it until CreationTimeOut, 20 s, then fail)."""
    import threading

    ensure_type_libraries()
    proc = _start(server_pid_file, clsid, "onlyone", "-Apartment", "STA")
    try:
        held = activate_local(clsid, IBenchTarget)  # MaxPoolSize 1: in use
        timer = threading.Timer(0.2, held.release)  # from another MTA thread, during the wait
        timer.start()
        with activate_local(clsid, IBenchTarget, timeout=0) as late:
            timer.join()
            assert late.Work(6) == 1 * 100 + 0  # it waited once and did not time out
    finally:
        _finish(proc)
