"""Clients none of us wrote on a Python event source served in process (inproc_clock.py, InprocServer32): pywin32's
DispatchWithEvents, with no makepy run beforehand (it goes from the object's type information, which the class's
``typelib`` points at the registered library, to makepy's module), and comtypes' GetEvents (IProvideClassInfo2
and the coclass's [default, source])."""

import os
import sys

import pytest

pytestmark = pytest.mark.runtime

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The clock's type library built from its declarations (CoClass.of) and registered, and the class registered
    as an InprocServer32; all of it removed after the module, the class object released."""
    from inproc_clock import CLSID_PyClock, IPyClock, LIBID_PyClock, PyClock  # (defines a ComObject: at run time)

    from ole32_bindings import registry
    from ole32_servers.inproc import register_inproc, release_class_objects, unregister_inproc
    from ole32_servers.typelib import CoClass, build_type_library, register_type_library, unregister_type_library

    path = str(tmp_path_factory.mktemp("pyclock") / "pyclock.tlb")
    build_type_library(path, LIBID_PyClock, "PyClockLib", [IPyClock], coclasses=[CoClass.of(PyClock)])
    assert register_type_library(path) == LIBID_PyClock
    register_inproc(CLSID_PyClock, "inproc_clock:PyClock", python_path=[HERE])
    yield CLSID_PyClock
    assert unregister_inproc(CLSID_PyClock)
    assert unregister_type_library(LIBID_PyClock, (1, 0)) is True
    release_class_objects(CLSID_PyClock)
    assert not registry.key_exists(registry.HKEY_CLASSES_ROOT, f"CLSID\\{CLSID_PyClock}")


@pytest.fixture
def release_class_object():
    """The class object the InprocServer32 made for this test is released after it (the leak check counts it)."""
    yield
    from inproc_clock import CLSID_PyClock

    from ole32_servers.inproc import release_class_objects

    release_class_objects(CLSID_PyClock)


def test_pywin32_dispatch_with_events_finds_the_library_itself(served, mta, release_class_object):
    sys.coinit_flags = 0  # pythoncom joins COM when imported: the MTA, like this test thread
    import win32com.client

    class Handler:
        got: list = []

        def OnTick(self, n, label):
            Handler.got.append((n, label))

    d = win32com.client.DispatchWithEvents(str(served), Handler)
    try:
        assert d.Start(3) == 0
        d.close()  # Unadvise
        assert d.Start(4) == 0
    finally:
        del d
    assert Handler.got == [(3, "t3")]


def test_comtypes_get_events(served, mta, tmp_path, monkeypatch, release_class_object):
    sys.coinit_flags = 0
    import comtypes.client

    gen = tmp_path / "gen"
    gen.mkdir()
    monkeypatch.setattr(comtypes.client, "gen_dir", str(gen))  # its generated modules stay out of the install
    monkeypatch.syspath_prepend(str(tmp_path))

    class Sink:
        def __init__(self):
            self.got = []

        def Tick(self, this, n, label):
            self.got.append((n, label))

    o = comtypes.client.CreateObject(str(served))
    sink = Sink()
    try:
        conn = comtypes.client.GetEvents(o, sink)
        assert o.Start(5) == 0
        del conn  # comtypes Unadvises when its connection object goes
        assert o.Start(6) == 0
    finally:
        del o
    assert sink.got == [(5, "t5")]
