"""Registration records a class's services with its CLSID (CLSID\\{clsid}\\Services), the class object reads the
administrable part back (pool sizes, construction string), unregistration removes it; an InprocServer32 class
with services gets its pool in the client's process."""

import os
import sys

import pytest
from servicedtargets import IBenchTarget
from testlib import ROOT

pytestmark = pytest.mark.runtime

HERE = os.path.dirname(os.path.abspath(__file__))


def test_register_writes_the_services_and_unregister_removes_them(mta):
    from ole32_bindings import registry
    from ole32_bindings.guid import Guid
    from ole32_servers.registration import ServerRegistration, read_services, register, unregister
    from ole32_servers.services import (
        ConstructionEnabled,
        JustInTimeActivation,
        ObjectPooling,
        ServiceSet,
        Synchronization,
    )

    clsid = Guid.new()
    services = ServiceSet.of(
        [ObjectPooling(2, 50, 20), JustInTimeActivation(), Synchronization(), ConstructionEnabled("dflt")]
    )
    reg = ServerRegistration(clsid, "serviced", "x.exe", services=services, construction_string="DSN=bank")
    register(reg)
    try:
        assert read_services(clsid) == {
            "ObjectPooling": 1,
            "MinPoolSize": 2,
            "MaxPoolSize": 50,
            "CreationTimeout": 20,
            "JustInTimeActivation": 1,
            "Synchronization": "Required",
            "ConstructionEnabled": 1,
            "ConstructorString": "DSN=bank",
        }
        # Registering again with fewer services leaves no stale value behind.
        reg.services = ServiceSet.of([JustInTimeActivation()])
        reg.construction_string = None
        register(reg)
        assert read_services(clsid) == {"JustInTimeActivation": 1}
    finally:
        assert unregister(reg) == 1
    assert read_services(clsid) == {}
    assert not registry.key_exists(registry.HKEY_CLASSES_ROOT, f"CLSID\\{clsid}")


def test_registered_pool_sizes_replace_the_declared_ones(mta):
    from servicedtargets import build

    from ole32_bindings.guid import Guid
    from ole32_servers.classobjects import class_object_for
    from ole32_servers.inproc import unregister_inproc
    from ole32_servers.registration import write_services
    from ole32_servers.services import ObjectPooling, ServicedClassFactory, services_of

    T = build("Administered", [ObjectPooling(1, 2, 100)])
    clsid = Guid.new()
    write_services(clsid, services_of(T).__class__.of([ObjectPooling(3, 4, 250)]))
    try:
        factory = class_object_for(T, clsid=clsid)
        assert isinstance(factory, ServicedClassFactory)
        assert factory.pool.config == ObjectPooling(3, 4, 250)
        assert factory.pool.statistics().idle == 3
        factory.close()
        unregistered = class_object_for(T, clsid=Guid.new())  # nothing recorded: the declaration
        assert unregistered.pool.config == ObjectPooling(1, 2, 100)
        unregistered.close()
    finally:
        unregister_inproc(clsid)


def test_a_class_without_services_keeps_the_plain_class_object(mta):
    from bench.benchtarget import py_target_class
    from ole32_servers.classobjects import class_object_for
    from vtables.factory import ClassFactory

    assert type(class_object_for(py_target_class())) is ClassFactory


def test_malformed_records_are_refused_with_a_clear_error():
    from ole32_servers.services import ServiceDeclarationError, ServiceSet
    from ole32_servers.services.declaration import JustInTimeActivation, ObjectPooling, from_registry, to_registry

    with pytest.raises(ServiceDeclarationError, match="no ConstructionEnabled"):
        to_registry(ServiceSet.of([JustInTimeActivation()]), "text")
    with pytest.raises(ServiceDeclarationError, match="malformed"):
        from_registry(ServiceSet.of([ObjectPooling()]), {"ObjectPooling": 1, "MaxPoolSize": "many"})
    with pytest.raises(ServiceDeclarationError, match="min_pool_size 3 > max_pool_size 2"):
        from_registry(ServiceSet.of([ObjectPooling()]), {"ObjectPooling": 1, "MinPoolSize": 3, "MaxPoolSize": 2})


def test_inproc_server_with_services_pools_in_the_clients_process(mta):
    from servicedtargets import jit_class

    from ole32_bindings import activation, registry
    from ole32_bindings.constants import CLSCTX
    from ole32_bindings.guid import Guid
    from ole32_servers.inproc import register_inproc, release_class_objects, unregister_inproc
    from ole32_servers.services import dispose, pool_of, services_of
    from vtables.client import client_class

    T = jit_class()
    clsid = Guid.new()
    register_inproc(clsid, "servicedtargets:jit_class", python_path=[ROOT, HERE], services=services_of(T))
    try:
        assert registry.query_value(registry.HKEY_CLASSES_ROOT, f"CLSID\\{clsid}\\Services", "MaxPoolSize") == 3
        p = client_class(IBenchTarget).from_raw(
            activation.create_instance(clsid, IBenchTarget.iid, CLSCTX.INPROC_SERVER)
        )
        with p:
            first = p.Work(0)
            assert p.Work(0) == first  # JIT + pool + auto_complete: the same warm object each call
            s = pool_of(T).statistics()
            assert (s.made, s.in_use, s.idle, s.activations) == (2, 0, 2, 2)
            dispose(p)
    finally:
        assert unregister_inproc(clsid)
        assert release_class_objects(clsid) == 1
    assert pool_of(T) is None  # the class object is gone, its pool closed
    assert not registry.key_exists(registry.HKEY_CLASSES_ROOT, f"CLSID\\{clsid}")


def test_localserver_regserver_writes_the_record_and_every_type_library(mta):
    """``LocalServer.main(-RegServer / -UnregServer)`` with a class's services and a list of type libraries (the
    server's own and IObjectDispose's): everything registered, then everything removed."""
    from servicedtargets import served_class

    from ole32_bindings import registry
    from ole32_bindings.guid import Guid
    from ole32_servers.localserver import LocalServer
    from ole32_servers.registration import ServerRegistration, read_services
    from ole32_servers.services import services_of

    class FakeLib:
        def __init__(self):
            self.calls = []

        def register(self):
            self.calls.append("register")

        def unregister(self):
            self.calls.append("unregister")

    T = served_class("jit")
    clsid = Guid.new()
    reg = ServerRegistration(clsid, "jit server", "server.exe", services=services_of(T))
    libs = [FakeLib(), FakeLib()]
    server = LocalServer([(clsid, T)])
    assert server.main(["-RegServer"], reg, typelib=libs) == 0
    try:
        assert read_services(clsid)["JustInTimeActivation"] == 1
        assert [lib.calls for lib in libs] == [["register"], ["register"]]
    finally:
        assert server.main(["-UnregServer"], reg, typelib=libs) == 0
    assert [lib.calls for lib in libs] == [["register", "unregister"]] * 2
    assert not registry.key_exists(registry.HKEY_CLASSES_ROOT, f"CLSID\\{clsid}")


def test_a_cpp_client_process_activates_a_pooled_jit_inproc_class(mta):
    """bench_cpp_client.exe, a plain C++ process: COM loads python_inproc.dll, which starts Python there; the class
    object it makes is the serviced one (the registered record says so), and 200 activations + calls succeed."""
    import json
    import subprocess

    from servicedtargets import jit_class

    from ole32_bindings.guid import Guid
    from ole32_servers.inproc import register_inproc, unregister_inproc
    from ole32_servers.services import services_of

    clsid = Guid.new()
    register_inproc(clsid, "servicedtargets:jit_class", python_path=[ROOT, HERE], services=services_of(jit_class()))
    try:
        r = subprocess.run(
            [os.path.join(ROOT, "build", "native", "bench_cpp_client.exe"), "activate_inproc", str(clsid), "200"],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
            cwd=ROOT,
        )
        assert r.returncode == 0, r.stdout + r.stderr
        assert json.loads(r.stdout)["check"] == "work=4950"
    finally:
        assert unregister_inproc(clsid)


def test_pywin32_late_bound_client_gets_jit_through_idispatch(mta):
    """A client no one here wrote: pywin32's dynamic dispatch, by ProgID, on a dual JIT class served in process
    through python_inproc.dll: the real object stays for calls without doneness, a new one follows Done."""
    sys.coinit_flags = 0  # pythoncom joins COM when imported: the MTA, like this test thread
    import gc

    import win32com.client.dynamic
    from servicedtargets import dual_class

    from ole32_bindings.guid import Guid
    from ole32_servers.inproc import register_inproc, release_class_objects, unregister_inproc
    from ole32_servers.services import services_of

    clsid = Guid.new()
    progid = f"Ole32Bindings.ServicedDual.{clsid.bytes_le.hex()[:8]}"
    register_inproc(
        clsid,
        "servicedtargets:dual_class",
        python_path=[ROOT, HERE],
        services=services_of(dual_class()),
        progid=progid,
    )
    try:
        o = win32com.client.dynamic.Dispatch(progid)
        first = o.Serial()
        assert o.Serial() == first and o.Done() == first  # one activation until the doneness bit
        assert o.Serial() == first + 1  # a fresh real object
        del o
        gc.collect()
    finally:
        assert unregister_inproc(clsid)
        assert release_class_objects(clsid) == 1


def test_vbscript_client_gets_jit_through_idispatch(tmp_path):
    """VBScript through Wine's cscript: a separate process, where python_inproc.dll starts Python to serve the dual
    JIT class; the script's calls show one activation until Done, then a fresh real object."""
    import subprocess
    import threading

    from servicedtargets import dual_class

    from ole32_bindings.guid import Guid
    from ole32_servers.inproc import register_inproc, unregister_inproc
    from ole32_servers.services import services_of

    clsid = Guid.new()
    progid = f"Ole32Bindings.ServicedDual.{clsid.bytes_le.hex()[:8]}"
    register_inproc(
        clsid, "servicedtargets:dual_class", python_path=[ROOT, HERE], services=services_of(dual_class()), progid=progid
    )
    script = tmp_path / "jit.vbs"
    script.write_text(
        "Set o = CreateObject(WScript.Arguments(0))\r\n"
        "a = o.Serial() : b = o.Serial() : c = o.Done() : d = o.Serial()\r\n"
        'WScript.Echo "serials " & a & " " & b & " " & c & " " & d\r\n'
        "Set o = Nothing\r\n"
    )
    try:
        # Not subprocess.run: Wine's desktop process, started for cscript's window, inherits its pipes (see
        # test_automation_contract.py): read until cscript exits.
        proc = subprocess.Popen(
            ["cscript.exe", "//nologo", str(script), progid],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
        reader.start()
        try:
            assert proc.wait(timeout=120) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            reader.join(timeout=5)
        assert [line.strip() for line in lines] == ["serials 1 1 1 2"]
    finally:
        assert unregister_inproc(clsid)
