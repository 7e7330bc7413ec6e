"""Python classes as InprocServer32 servers (ole32_servers.inproc + native/inproc's python_inproc.dll): found through
the registry by a Python client (Python already in the process) and by a C++ client process (the DLL starts
Python there); the object lives in the caller's apartment; failures are HRESULTs; registration leaves no key."""

import json
import os
import subprocess

import pytest
from testlib import ROOT

pytestmark = pytest.mark.runtime

CPP_CLIENT = os.path.join(ROOT, "build", "native", "bench_cpp_client.exe")


@pytest.fixture
def registered():
    from ole32_bindings.guid import Guid
    from ole32_servers.inproc import register_inproc, unregister_inproc

    clsid = Guid.new()
    register_inproc(clsid, "bench.benchtarget:py_target_class", python_path=[ROOT])
    yield clsid
    assert unregister_inproc(clsid)
    from ole32_servers.inproc import release_class_objects
    from vtables.object import live_object_count

    before = live_object_count()
    assert release_class_objects() <= 1 and live_object_count() <= before
    from ole32_bindings import registry

    assert not registry.key_exists(registry.HKEY_CLASSES_ROOT, f"CLSID\\{clsid}")


@pytest.mark.parametrize("apartment", ["MTA", "STA"])
def test_python_client_gets_the_object_itself_in_its_apartment(registered, apartment):
    from bench.benchtarget import IBenchTarget, py_target_class
    from ole32_bindings import activation
    from ole32_bindings.constants import CLSCTX
    from ole32_marshalling.apartments import MtaThread
    from ole32_marshalling.sta import StaThread
    from vtables.client import client_class
    from vtables.object import live_object_count

    def activate():
        before = live_object_count()
        p = client_class(IBenchTarget).from_raw(
            activation.create_instance(registered, IBenchTarget.iid, CLSCTX.INPROC_SERVER)
        )
        try:
            obj = p._com_object if hasattr(p, "_com_object") else None
            assert isinstance(obj, py_target_class())  # ours, direct: no proxy (ThreadingModel Both)
            assert p.Work(100) == 4950 and obj.com_refcount == 1
        finally:
            p.release()
        assert obj.com_destroyed
        return live_object_count() - before

    with StaThread() if apartment == "STA" else MtaThread() as t:
        grown = t.call(activate)
    assert grown <= 1  # at most the class object, kept until release_class_objects()


def test_the_host_asks_python_once_per_class_until_released(registered, monkeypatch):
    """python_inproc.dll keeps the class object after the first request and answers the next ones itself (its
    QueryInterface, no Python call: issue 14's row 1b); release_class_objects() empties that cache too, so the
    next request asks Python again, and no reference is left behind."""
    from ole32_bindings import activation
    from ole32_bindings.constants import CLSCTX
    from ole32_bindings.hresult import ComError
    from ole32_bindings.pointers import release
    from ole32_marshalling.apartments import MtaThread
    from ole32_servers import inproc
    from vtables.interfaces import IClassFactory, IStream

    calls = []
    real = inproc.class_object

    def counting(clsid_text, iid_text):
        calls.append(iid_text)
        return real(clsid_text, iid_text)

    monkeypatch.setattr(inproc, "class_object", counting)

    def three_requests():
        for _ in range(3):
            release(activation.get_class_object(registered, IClassFactory.iid, CLSCTX.INPROC_SERVER))
        with pytest.raises(ComError) as e:  # an IID the class object lacks: refused by the cached one too
            activation.get_class_object(registered, IStream.iid, CLSCTX.INPROC_SERVER)
        return e.value.name

    with MtaThread() as t:
        assert t.call(three_requests) == "E_NOINTERFACE"
        assert len(calls) == 1
        assert inproc.release_class_objects() == 1
        t.call(lambda: release(activation.get_class_object(registered, IClassFactory.iid, CLSCTX.INPROC_SERVER)))
        assert len(calls) == 2  # asked again after the release


def test_unknown_class_and_wrong_iid_are_hresults(registered):
    from bench.benchtarget import IBenchTarget
    from ole32_bindings import activation
    from ole32_bindings.constants import CLSCTX
    from ole32_bindings.guid import Guid
    from ole32_bindings.hresult import ComError
    from ole32_marshalling.apartments import MtaThread
    from ole32_servers.inproc import register_inproc, unregister_inproc
    from vtables.interfaces import IStream

    broken = Guid.new()
    register_inproc(broken, "no_such_module_anywhere:Nothing")
    try:

        def both():
            with pytest.raises(ComError) as missing:
                activation.create_instance(broken, IBenchTarget.iid, CLSCTX.INPROC_SERVER)
            with pytest.raises(ComError) as wrong_iid:
                activation.create_instance(registered, IStream.iid, CLSCTX.INPROC_SERVER)
            return missing.value.name, wrong_iid.value.name

        with MtaThread() as t:
            missing, wrong_iid = t.call(both)
        assert missing == "CLASS_E_CLASSNOTAVAILABLE"
        assert wrong_iid == "E_NOINTERFACE"
    finally:
        unregister_inproc(broken)


def test_a_cpp_client_process_starts_python_through_the_host_dll(registered):
    """bench_cpp_client.exe is a plain C++ process: COM loads python_inproc.dll, which starts Python there, imports
    the class and serves it; the C++ loop then activates and releases it."""
    r = subprocess.run(
        [CPP_CLIENT, "activate_inproc", str(registered), "200"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert doc["check"] == "work=4950" and doc["clsid_in_hkcr"] is True
