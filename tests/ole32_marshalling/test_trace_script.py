"""`python -m ole32_bindings trace SCRIPT`: a user's script run with IMarshal tracing on
(ole32_marshalling.trace_script), and the `tracing()` block it is made of."""

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "scripts", "traced_moves.py")


def test_trace_joins_the_bindings_cli_through_its_entry_point(capsys):
    from ole32_bindings import cli

    assert cli.main(["--help"]) == 0
    assert "trace" in capsys.readouterr().out  # found through ole32_bindings.commands, not imported by the bindings
    assert cli.main(["trace", "no/such/script.py"]) == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.strip() == "ole32_bindings: error: no such script: no/such/script.py"
    assert cli.main(["trace", "--output", "/no/such/dir/trace.json", __file__]) == cli.EXIT_BAD_INPUT
    assert capsys.readouterr().err.startswith("ole32_bindings: error: cannot write /no/such/dir/trace.json")


def test_the_bindings_cli_does_not_import_the_layers_above():
    """Building the parser loads the commands' entry points and nothing else of the layers above: no vtables module
    and no module that loads the runtime; of ole32_servers only the ``typelib`` command's module (standard library
    imports only until the command runs)."""
    code = (
        "import sys, ole32_bindings.cli as c; c.build_parser(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('vtables', 'ole32_servers') "
        "or m == 'ole32_bindings.dlls'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['ole32_servers', 'ole32_servers.tlbimport']"


@pytest.mark.runtime
def test_tracing_block_records_both_sides_and_restores_the_functions(mta):
    from ole32_bindings import marshaling
    from ole32_marshalling import git as git_module
    from ole32_marshalling.sta import StaThread
    from ole32_marshalling.trace_script import current_trace, tracing
    from vtables.client import client_class
    from vtables.interfaces import IPersist
    from vtables.object import ComObject

    class Demo(ComObject, implements=[IPersist]):
        def GetClassID(self):
            return IPersist.iid  # any GUID

    originals = (
        marshaling.marshal_interface,
        marshaling.marshal_inter_thread_interface_in_stream,
        git_module.register_interface,
    )
    with tracing() as trace, StaThread() as sta:
        assert current_trace() is trace
        with pytest.raises(RuntimeError):
            with tracing():
                pass

        def make():
            obj = Demo().as_ptr(IPersist)
            try:
                return marshaling.marshal_inter_thread_interface_in_stream(IPersist.iid, obj.as_raw())
            finally:
                obj.release()

        stream = sta.call(make)
        p = client_class(IPersist).from_raw(marshaling.get_interface_and_release_stream(stream, IPersist.iid))
        with p:
            assert p.GetClassID() == IPersist.iid
        sta.call(lambda: None)
    assert current_trace() is None
    assert (
        marshaling.marshal_interface,
        marshaling.marshal_inter_thread_interface_in_stream,
        git_module.register_interface,
    ) == originals
    methods = trace.methods()
    assert methods[:3] == ["GetUnmarshalClass", "GetMarshalSizeMax", "MarshalInterface"], methods
    unmarshal = next(e for e in trace.events if e.method == "UnmarshalInterface")
    marshal = next(e for e in trace.events if e.method == "MarshalInterface")
    assert unmarshal.apartment == "MTA" and marshal.apartment in ("STA", "MAINSTA") and unmarshal.data == marshal.data


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ole32_bindings", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


@pytest.mark.runtime
def test_trace_command_runs_a_script_and_writes_the_json_trace(tmp_path):
    out_file = tmp_path / "trace.json"
    r = _run_cli("trace", "--json", "--output", str(out_file), SCRIPT, "3")
    assert r.returncode == 3, r.stderr  # the script's own exit status
    assert "left: []" in r.stdout  # the Demo objects and every tracer wrapper are gone
    doc = json.loads(out_file.read_text(encoding="utf-8"))
    assert doc["schema"] == "ole32-bindings.trace/1" and doc["exit_status"] == 3 and doc["argv"] == ["3"]
    methods = [e["method"] for e in doc["events"]]
    # three marshals (inter-thread stream, GIT, LOCAL): each asks GetUnmarshalClass then marshals
    assert methods.count("GetUnmarshalClass") == 3 and methods.count("MarshalInterface") == 3, methods
    # the stream and the GIT are unmarshaled in this process: our unmarshaler saw both; the GIT's data is
    # released on revoke, the LOCAL data by CoReleaseMarshalData (standard form: not ours to see)
    assert methods.count("UnmarshalInterface") == 2, methods
    assert methods.count("ReleaseMarshalData") == 1, methods
    local = [e for e in doc["events"] if e["method"] == "GetUnmarshalClass" and e["args"]["dest"] == "LOCAL"]
    assert len(local) == 1 and local[0]["args"]["clsid"] == "{00000017-0000-0000-C000-000000000046}"
    marshal_events = [e for e in doc["events"] if e["method"] == "MarshalInterface"]
    assert all(e["objref"]["objref"]["iid"]["name"] == "IPersist" for e in marshal_events)  # objref/1 docs
    assert {e["apartment"] for e in marshal_events} <= {"STA", "MAINSTA"}  # the first STA is the main STA


@pytest.mark.runtime
def test_trace_command_text_output_and_a_failing_script(tmp_path):
    r = _run_cli("trace", SCRIPT)
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.startswith("trace:")]
    assert any("IMarshal::MarshalInterface" in line for line in lines)
    assert any("ObjrefStandard iid={0000010C" in line for line in lines)  # the OBJREF summary line
    assert lines[-1].endswith("script exit status 0")
    bad = tmp_path / "boom.py"
    bad.write_text("raise ValueError('boom in the user script')\n")
    r = _run_cli("trace", str(bad))
    assert r.returncode == 1
    assert "ValueError: boom in the user script" in r.stderr and "Traceback" in r.stderr


@pytest.mark.runtime
def test_tracing_reaches_unmarshals_in_every_apartment(mta):
    """The unmarshaler is also an InprocServer32 while tracing, so an STA (which does not see the MTA's class
    objects under Wine 8) unmarshals traced data too; the registration is gone afterwards."""
    from ole32_bindings import marshaling, registry
    from ole32_marshalling.sta import StaThread
    from ole32_marshalling.trace_script import tracing
    from ole32_marshalling.tracer import CLSID_TracingUnmarshaler
    from vtables.client import client_class
    from vtables.interfaces import IPersist
    from vtables.object import ComObject

    class Demo(ComObject, implements=[IPersist]):
        def GetClassID(self):
            return IPersist.iid

    with tracing(hive="machine") as trace, StaThread() as sta:
        assert registry.key_exists(registry.HKEY_CLASSES_ROOT, f"CLSID\\{CLSID_TracingUnmarshaler}\\InprocServer32")
        obj = Demo().as_ptr(IPersist)
        stream = marshaling.marshal_inter_thread_interface_in_stream(IPersist.iid, obj.as_raw())
        obj.release()

        def unmarshal_and_call():
            with client_class(IPersist).from_raw(
                marshaling.get_interface_and_release_stream(stream, IPersist.iid)
            ) as p:
                return p.GetClassID()

        assert sta.call(unmarshal_and_call) == IPersist.iid
    assert not registry.key_exists(registry.HKEY_CLASSES_ROOT, f"CLSID\\{CLSID_TracingUnmarshaler}")
    unmarshal = [e for e in trace.events if e.method == "UnmarshalInterface"]
    assert len(unmarshal) == 1 and unmarshal[0].apartment in ("STA", "MAINSTA")


@pytest.mark.runtime
def test_tracing_covers_our_objects_however_they_are_marshaled(mta):
    """Native code marshals one of our objects with CoMarshalInterface (no function of ours involved): an object
    created inside the block is traced anyway, through the IMarshal it aggregates; identity holds, the interface
    stays after the block (recording nothing), and every reference comes back."""
    from testlib import guid, load

    from ole32_bindings.constants import MSHCTX
    from ole32_bindings.hresult import NoInterfaceError
    from ole32_marshalling.trace_script import tracing
    from vtables.interfaces import IMarshal, IPersist, IUnknown
    from vtables.object import ComObject

    _, lib = load()

    class Demo(ComObject, implements=[IPersist]):
        def GetClassID(self):
            return IPersist.iid

    def round_trip(ptr):
        assert lib.TL_LoopMarshalRoundTrip(ptr.as_raw(), guid(IPersist.iid), MSHCTX.INPROC, 1) == 0

    before = Demo()
    before_ptr = before.as_ptr(IPersist)
    with tracing(hive="none") as trace:
        obj = Demo()
        ptr = obj.as_ptr(IPersist)
        round_trip(ptr)
        assert trace.methods() == [
            "GetUnmarshalClass",
            "GetMarshalSizeMax",
            "MarshalInterface",
            "UnmarshalInterface",
        ], trace.methods()
        marshal = trace.events[2]
        assert marshal.data == trace.events[3].data and marshal.data[:4] == b"MEOW"
        with ptr.query(IMarshal) as m, m.query(IUnknown) as unk, ptr.query(IUnknown) as identity:
            assert unk.address() == identity.address() != m.address()  # COM identity: the object's own IUnknown
        with pytest.raises(NoInterfaceError):
            before_ptr.query(IMarshal)  # created before the block: not traced
        round_trip(before_ptr)
        assert len(trace.events) == 4  # ... and its marshaling is the standard marshaler's, unrecorded
        late = Demo()
        late_ptr = late.as_ptr(IPersist)  # made while tracing, but not asked for IMarshal before the end
    with ptr.query(IMarshal) as m:  # the set of interfaces never changes: still there after the block
        assert m.released is False
    round_trip(ptr)
    assert len(trace.events) == 4  # forwarded, not recorded
    with pytest.raises(NoInterfaceError):
        late_ptr.query(IMarshal)
    with tracing(hive="none"):
        with pytest.raises(NoInterfaceError):
            late_ptr.query(IMarshal)  # its first answer stands for its whole life, a later trace included
    assert late_ptr.release() == 0 and late.com_destroyed
    assert ptr.release() == 0 and obj.com_destroyed
    assert before_ptr.release() == 0 and before.com_destroyed


@pytest.mark.runtime
def test_tracing_an_agile_object_keeps_the_free_threaded_marshaler(mta):
    """An agile class traced: the calls are recorded and forwarded to its FTM, which names its own unmarshal
    class, so another apartment still receives the object's own pointer (no proxy)."""
    from ole32_bindings import marshaling
    from ole32_bindings.wellknown import CLSID_InProcFreeMarshaler
    from ole32_marshalling.sta import StaThread
    from ole32_marshalling.trace_script import tracing
    from vtables.client import client_class
    from vtables.interfaces import IPersist
    from vtables.object import ComObject

    class Agile(ComObject, implements=[IPersist], agile=True):
        def GetClassID(self):
            return IPersist.iid

    with tracing(hive="none") as trace, StaThread() as sta:
        obj = Agile()
        ptr = obj.as_ptr(IPersist)
        stream = marshaling.marshal_inter_thread_interface_in_stream(IPersist.iid, ptr.as_raw())

        def unmarshal():
            raw = marshaling.get_interface_and_release_stream(stream, IPersist.iid)
            with client_class(IPersist).from_raw(raw, direct=False) as p:
                return int(marshaling.ffi.cast("uintptr_t", raw)), p.GetClassID()

        address, clsid = sta.call(unmarshal)
        assert address == ptr.address() and clsid == IPersist.iid  # the FTM's result: the object itself
    # recorded once (the patched function leaves an object that traces itself unwrapped), marshal side only
    assert "UnmarshalInterface" not in trace.methods(), trace.methods()
    assert "MarshalInterface" in trace.methods()
    classes = [e.args["clsid"] for e in trace.events if e.method == "GetUnmarshalClass"]
    assert classes and set(classes) == {CLSID_InProcFreeMarshaler}, classes
    assert ptr.release() == 0 and obj.com_destroyed


@pytest.mark.runtime
def test_a_wrapped_agile_object_still_marshals_through_its_ftm(mta):
    """MarshalTracer.wrap forwards to what CoMarshalInterface would have used: an agile object's FTM, whose own
    class must unmarshal its data, so the receiving apartment gets the object itself, not a proxy."""
    from ole32_bindings import marshaling, pointers
    from ole32_bindings.wellknown import CLSID_InProcFreeMarshaler
    from ole32_marshalling.sta import StaThread
    from ole32_marshalling.tracer import MarshalTrace, MarshalTracer
    from vtables.interfaces import IPersist
    from vtables.object import ComObject

    class Agile(ComObject, implements=[IPersist], agile=True):
        def GetClassID(self):
            return IPersist.iid

    trace = MarshalTrace()
    obj = Agile()
    ptr = obj.as_ptr(IPersist)
    wrapper = MarshalTracer.wrap(ptr.as_raw(), trace)
    try:
        stream = marshaling.marshal_inter_thread_interface_in_stream(IPersist.iid, wrapper)
    finally:
        pointers.release(wrapper)
    with StaThread() as sta:

        def unmarshal():
            raw = marshaling.get_interface_and_release_stream(stream, IPersist.iid)
            try:
                return int(marshaling.ffi.cast("uintptr_t", raw))
            finally:
                pointers.release(raw)

        assert sta.call(unmarshal) == ptr.address()
    assert [e.args["clsid"] for e in trace.events if e.method == "GetUnmarshalClass"] == [CLSID_InProcFreeMarshaler]
    assert ptr.release() == 0 and obj.com_destroyed


def test_objref_summary_reads_an_minterfacepointer_and_a_bare_objref():
    # A traced marshal may hold an MInterfacePointer (ulCntData + OBJREF) as well as a bare OBJREF; the summary
    # names the OBJREF inside either way (it used to raise AttributeError on the wrapper).
    import struct

    from ole32_marshalling.trace_script import _objref_summary

    iid_ipersist = bytes.fromhex("0c01000000000000c000000000000046")
    std = struct.pack("<II", 0, 5) + bytes(8) + struct.pack("<Q", 2) + bytes(16)
    objref = b"MEOW" + struct.pack("<I", 1) + iid_ipersist + std + bytes(4)
    bare = _objref_summary(objref)
    wrapped = _objref_summary(struct.pack("<I", len(objref)) + objref)
    assert "iid={0000010C-0000-0000-C000-000000000046}" in bare
    assert "cPublicRefs=5" in bare
    assert wrapped.split(" ", 1)[1] == bare.split(" ", 1)[1]
    assert _objref_summary(b"\x00\x01").startswith("(not an OBJREF:")
