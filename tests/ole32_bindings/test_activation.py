import pytest

pytestmark = pytest.mark.runtime


def test_create_builtin_class_exact_release_count(mta):
    from ole32_bindings import activation, pointers
    from ole32_bindings import wellknown as w

    # The Global Interface Table is a process-wide singleton with a static count: Wine (like Windows) answers 1
    # to every AddRef and Release, and every activation returns the same object.
    git = activation.create_instance(w.CLSID_StdGlobalInterfaceTable, w.IID_IGlobalInterfaceTable)
    unk = pointers.query_interface(git, w.IID_IUnknown)
    assert pointers.address(unk) == pointers.address(git)  # IGlobalInterfaceTable is its IUnknown
    again = activation.create_instance(w.CLSID_StdGlobalInterfaceTable, w.IID_IUnknown)
    assert pointers.address(again) == pointers.address(git)
    assert pointers.release(again) == 1
    assert pointers.release(unk) == 1
    assert pointers.release(git) == 1  # the final Release: exactly 1, the singleton's own count


def test_create_instance_of_a_stream_counts_to_zero(mta):
    from ole32_bindings import pointers, streams
    from ole32_bindings import wellknown as w

    s = streams.create_stream_on_hglobal()
    assert pointers.add_ref(s) == 2
    seq = pointers.query_interface(s, w.IID_ISequentialStream)
    assert pointers.release(seq) == 2
    assert pointers.release(s) == 1
    assert pointers.release(s) == 0  # the final Release returns exactly 0


def test_unknown_clsid_is_class_not_registered(mta):
    from ole32_bindings import activation
    from ole32_bindings import wellknown as w
    from ole32_bindings.guid import Guid
    from ole32_bindings.hresult import ClassNotRegisteredError

    with pytest.raises(ClassNotRegisteredError):
        activation.create_instance(Guid("{0BADC0DE-0000-4000-8000-000000000001}"), w.IID_IUnknown)


def test_create_instance_ex_reports_per_interface(mta):
    from ole32_bindings import activation, pointers
    from ole32_bindings import wellknown as w

    results = activation.create_instance_ex(
        w.CLSID_StdGlobalInterfaceTable, [w.IID_IGlobalInterfaceTable, w.IID_IUnknown, w.IID_IStream]
    )
    (hr1, p1), (hr2, p2), (hr3, _p3) = results
    assert hr1 == 0 and hr2 == 0 and hr3 & 0xFFFFFFFF == 0x80004002
    pointers.release(p1)
    pointers.release(p2)


def test_null_out_pointer_refused_before_the_call(mta):
    from ole32_bindings import activation, marshaling
    from ole32_bindings import wellknown as w
    from ole32_bindings.dlls import ffi
    from ole32_bindings.hresult import PointerError

    with pytest.raises(PointerError, match="ppv must not be NULL"):
        activation.create_instance(w.CLSID_StdGlobalInterfaceTable, w.IID_IUnknown, out=ffi.NULL)
    with pytest.raises(PointerError, match="pStm"):
        marshaling.unmarshal_interface(ffi.NULL, w.IID_IUnknown)
    with pytest.raises(PointerError, match="pUnk"):
        activation.register_class_object(w.CLSID_StdGlobalInterfaceTable, ffi.NULL, 1)
