"""The IMarshal tracer and live capture, under the runtime: every call the runtime makes is recorded with its
thread, apartment and bytes; the OBJREFs of the standard marshaler, the FTM and the tracer decode."""

import pytest

from bench.benchtarget import make_classes

pytestmark = pytest.mark.runtime


@pytest.fixture(scope="module")
def classes():
    return make_classes()


def test_tracer_records_both_sides_of_a_cross_apartment_move(mta, classes):
    from ole32_bindings import marshaling
    from ole32_bindings.pointers import release
    from ole32_marshalling.sta import StaThread
    from ole32_marshalling.tracer import MarshalTrace, MarshalTracer, TracingUnmarshaler
    from vtables.client import client_class
    from vtables.interfaces import IPersist

    PyTarget, _ = classes
    trace = MarshalTrace()
    with TracingUnmarshaler.installed(trace), StaThread() as sta:

        def make_and_marshal():
            obj = PyTarget().as_ptr(IPersist)
            traced = MarshalTracer.wrap(obj.as_raw(), trace)
            obj.release()
            try:
                return marshaling.marshal_inter_thread_interface_in_stream(IPersist.iid, traced)
            finally:
                release(traced)

        stream = sta.call(make_and_marshal)
        proxy = client_class(IPersist).from_raw(marshaling.get_interface_and_release_stream(stream, IPersist.iid))
        assert type(proxy).__name__ == "IPersistPtr"  # a proxy to the STA object
        assert proxy.GetClassID() is not None
        proxy.release()
        sta.call(lambda: None)  # let the STA finish releasing
    methods = trace.methods()
    assert methods[:3] == ["GetUnmarshalClass", "GetMarshalSizeMax", "MarshalInterface"], methods
    assert "UnmarshalInterface" in methods
    marshal = next(e for e in trace.events if e.method == "MarshalInterface")
    unmarshal = next(e for e in trace.events if e.method == "UnmarshalInterface")
    assert marshal.apartment in ("STA", "MAINSTA") and unmarshal.apartment == "MTA"
    assert marshal.thread != unmarshal.thread
    assert marshal.data == unmarshal.data and len(marshal.data) >= 40  # the standard marshaler's STDOBJREF...
    get_class = next(e for e in trace.events if e.method == "GetUnmarshalClass")
    assert get_class.args["dest"] == "INPROC"


def test_live_capture_side_by_side(mta, classes):
    from ole32_bindings import marshaling, objref
    from ole32_bindings.constants import MSHCTX, MSHLFLAGS
    from ole32_bindings.pointers import release
    from ole32_bindings.wellknown import CLSID_InProcFreeMarshaler
    from ole32_marshalling.capture import capture
    from ole32_marshalling.tracer import CLSID_TracingUnmarshaler, MarshalTrace, MarshalTracer, TracingUnmarshaler
    from vtables.interfaces import IPersist

    PyTarget, _ = classes

    class Agile(PyTarget):
        """Aggregates the free-threaded marshaler: its IMarshal is the FTM's."""

        def __com_init__(self):
            self.aggregate(marshaling.create_free_threaded_marshaler(self.identity_raw()))

    plain = PyTarget.make()
    agile = Agile.make()
    trace = MarshalTrace()
    try:
        std = capture(plain.as_raw(), IPersist.iid, MSHCTX.LOCAL, MSHLFLAGS.NORMAL)
        assert isinstance(std.objref, objref.ObjrefStandard) and std.objref.iid == IPersist.iid
        ftm = capture(agile.as_raw(), IPersist.iid, MSHCTX.INPROC, MSHLFLAGS.NORMAL)
        assert isinstance(ftm.objref, objref.ObjrefCustom) and ftm.objref.clsid == CLSID_InProcFreeMarshaler
        with TracingUnmarshaler.installed(trace):
            traced = MarshalTracer.wrap(plain.as_raw(), trace)
            try:
                ours = capture(traced, IPersist.iid, MSHCTX.LOCAL, MSHLFLAGS.TABLESTRONG)
            finally:
                release(traced)
        assert isinstance(ours.objref, objref.ObjrefCustom) and ours.objref.clsid == CLSID_TracingUnmarshaler
        # the tracer's custom data is exactly what the standard marshaler wrote (under Wine 8 a whole OBJREF_STANDARD,
        # nested: decode it too)
        written = next(e for e in trace.events if e.method == "MarshalInterface").data
        assert written and ours.objref.object_data.startswith(written)
        inner = objref.decode_any(written)
        assert isinstance(inner, objref.ObjrefStandard) and inner.iid == IPersist.iid
        assert "ReleaseMarshalData" in trace.methods()  # capture released the table-strong data
        for cap in (std, ftm, ours):
            assert objref.explain(cap.objref)
    finally:
        plain.release()
        agile.release()
