"""The object model under the COM runtime: identity, exact counts, aggregation, errors, threads, bad input."""

import logging

import pytest
from testlib import guid, load

from bench.benchtarget import CLSID_PyTarget, IBenchTarget, make_classes

pytestmark = pytest.mark.runtime


@pytest.fixture(scope="module")
def classes():
    return make_classes()


def _addr(p):
    from ole32_bindings.dlls import ffi

    return int(ffi.cast("uintptr_t", p))


def _qi_native(p, iid):
    """QueryInterface made by native code: (hr unsigned, pointer or NULL)."""
    ffi, lib = load()
    out = ffi.new("void **")
    hr = lib.TL_QueryInterface(p, guid(iid), out)
    return hr & 0xFFFFFFFF, out[0]


def test_identity_rules_across_interfaces(mta, classes):
    from vtables.interfaces import IPersist, ISupportErrorInfo, IUnknown

    PyTarget, _ = classes
    _, lib = load()
    obj = PyTarget()
    ifaces = [IUnknown, IBenchTarget, IPersist, ISupportErrorInfo]
    raws = {i: obj.query_raw(i.iid) for i in ifaces}
    assert obj.com_refcount == 4
    unknowns = set()
    for i, p in raws.items():
        for j in ifaces:
            hr, q = _qi_native(p, j.iid)  # reflexive, symmetric, transitive: every pair succeeds
            assert hr == 0, (i.__name__, j.__name__)
            if j is IUnknown:
                unknowns.add(_addr(q))
            else:
                assert _addr(q) == _addr(raws[j])  # one pointer per interface
            lib.TL_Release(q)
    assert len(unknowns) == 1 and unknowns == {_addr(raws[IUnknown])}
    assert obj.com_refcount == 4
    counts = [lib.TL_Release(p) for p in raws.values()]
    assert counts == [3, 2, 1, 0]
    assert obj.com_destroyed


def test_unknown_iid_and_null_out_pointer(mta, classes):
    from ole32_bindings.dlls import ffi
    from ole32_bindings.guid import Guid
    from vtables.interfaces import IStream

    PyTarget, _ = classes
    ffi_t, lib = load()
    obj = PyTarget()
    p = obj.query_raw(IBenchTarget.iid)
    hr, q = _qi_native(p, IStream.iid)
    assert hr == 0x80004002 and q == ffi.NULL  # E_NOINTERFACE with *ppv = NULL
    hr = lib.TL_QueryInterface(p, guid(Guid("{00000000-0000-0000-C000-000000000046}")), ffi_t.NULL)
    assert hr & 0xFFFFFFFF == 0x80004003  # NULL ppv: E_POINTER
    assert lib.TL_Release(p) == 0


def test_counts_are_exact_and_destruction_happens_once(mta, classes):
    PyTarget, _ = classes
    destroyed = []

    class Counted(PyTarget):
        def final_release(self):
            destroyed.append(self)

    obj = Counted()
    ptr = obj.as_ptr(IBenchTarget)
    _, lib = load()
    raw = ptr.as_raw()
    assert lib.TL_AddRef(raw) == 2 and lib.TL_AddRef(raw) == 3
    assert lib.TL_Release(raw) == 2 and lib.TL_Release(raw) == 1
    assert ptr.release() == 0
    assert destroyed == [obj] and obj.com_destroyed


def test_python_object_lives_while_com_holds_it(mta, classes):
    import gc
    import weakref

    PyTarget, _ = classes
    _, lib = load()
    obj = PyTarget()
    raw = obj.query_raw(IBenchTarget.iid)
    ref = weakref.ref(obj)
    del obj
    gc.collect()
    assert ref() is not None  # COM holds a reference: the Python object stays
    assert lib.TL_CallNothing(raw) == 0
    assert lib.TL_Release(raw) == 0
    gc.collect()
    assert ref() is None  # freed after the last Release


def test_addref_release_from_threads_lose_nothing(mta, classes):
    PyTarget, _ = classes
    ffi, lib = load()
    obj = PyTarget()
    raw = obj.query_raw(IBenchTarget.iid)
    after_add = ffi.new("ULONG *")
    after_rel = ffi.new("ULONG *")
    assert lib.TL_HammerAddRefRelease(raw, 4, 5000, after_add, after_rel) == 0
    assert after_add[0] == 1 + 4 * 5000
    assert after_rel[0] == 1
    assert lib.TL_Release(raw) == 0


def test_extra_release_and_stale_pointer_are_refused_and_logged(mta, classes, caplog):
    from ole32_bindings.dlls import ffi

    PyTarget, _ = classes
    _, lib = load()
    obj = PyTarget()
    raw = obj.query_raw(IBenchTarget.iid)
    assert lib.TL_Release(raw) == 0
    with caplog.at_level(logging.ERROR, logger="vtables"):
        assert lib.TL_Release(raw) == 0  # an extra Release: no crash, logged, 0
        assert lib.TL_CallNothing(raw) & 0xFFFFFFFF == 0x800401FD  # CO_E_OBJNOTCONNECTED
        hr, q = _qi_native(raw, IBenchTarget.iid)
        assert hr == 0x800401FD and q == ffi.NULL
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "extra Release" in messages and "destroyed object" in messages
    with pytest.raises(ReferenceError):
        obj.query_raw(IBenchTarget.iid)


def test_missing_method_fails_at_class_definition(mta):
    from vtables import InterfaceError
    from vtables.object import ComObject

    with pytest.raises(InterfaceError, match=r"does not implement IBenchTarget\.Work"):

        class Half(ComObject, implements=[IBenchTarget]):
            def Nothing(self):
                return None


def test_exceptions_become_hresults_and_error_info(mta, classes):
    from ole32_bindings.hresult import AccessDeniedError, ComError

    PyTarget, _ = classes

    class Picky(PyTarget):
        def Nothing(self):
            raise AccessDeniedError(description="not for you")

    ffi, lib = load()
    obj = PyTarget()
    raw = obj.query_raw(IBenchTarget.iid)
    call_hr = ffi.new("HRESULT *")
    desc = ffi.new("wchar_t[]", 200)
    src = ffi.new("wchar_t[]", 200)
    # native client: the HRESULT of the mapping, and GetErrorInfo read back in C++
    assert lib.TL_CallAndGetErrorInfo(raw, -3, call_hr, desc, 200, src, 200) == 0
    assert call_hr[0] & 0xFFFFFFFF == 0x80070057  # ValueError -> E_INVALIDARG
    # The message alone, as IDispatch::Invoke puts it in EXCEPINFO (both faces of a dual report alike).
    assert ffi.string(desc) == "n must be >= 0, got -3" and ffi.string(src) == "PyTarget"
    assert lib.TL_Release(raw) == 0
    # Python client through the vtable: the typed error carries the description
    picky = Picky().as_ptr(IBenchTarget)
    direct = Picky.make()
    try:
        via_vtable = type(picky).from_raw(direct.query(IBenchTarget).into_raw(), direct=False)
        with pytest.raises(AccessDeniedError) as info:
            via_vtable.Nothing()
        assert info.value.description == "not for you" and info.value.source == "Picky"
        with pytest.raises(ComError):
            via_vtable.Work(-1)
        via_vtable.release()
    finally:
        picky.release()
        direct.release()


def test_supports_error_info_answers_per_interface(mta, classes):
    from ole32_bindings.guid import Guid
    from vtables.interfaces import ISupportErrorInfo

    PyTarget, _ = classes
    with PyTarget.make() as unk:
        with unk.query(ISupportErrorInfo) as sei:
            via = type(sei).from_raw(sei.query(ISupportErrorInfo).into_raw(), direct=False)
            assert via.InterfaceSupportsErrorInfo(IBenchTarget.iid) == 0
            assert via.InterfaceSupportsErrorInfo(Guid("{0BADC0DE-0000-4000-8000-000000000009}")) == 1
            via.release()


def test_python_inner_under_native_outer(mta, classes):
    from vtables.interfaces import IClassFactory, IPersist

    _PyTarget, PyFactory = classes
    ffi, lib = load()
    factory = PyFactory.make()
    cf = factory.query(IClassFactory)
    out = ffi.new("void **")
    # the C++ outer creates our object as its inner (CreateInstance with itself as outer, IID_IUnknown)
    assert lib.TL_CreateOuter(cf.as_raw(), guid(IPersist.iid), out) == 0
    outer_persist = out[0]
    hr, bench = _qi_native(outer_persist, IBenchTarget.iid)  # the outer hands this IID to our inner
    assert hr == 0
    s = ffi.new("LONG *")
    assert lib.TL_CallWork(bench, 100, s) == 0 and s[0] == 4950
    hr, unk1 = _qi_native(bench, IBenchTarget.iid.__class__("{00000000-0000-0000-C000-000000000046}"))
    hr2, unk2 = _qi_native(outer_persist, IBenchTarget.iid.__class__("{00000000-0000-0000-C000-000000000046}"))
    assert hr == hr2 == 0 and _addr(unk1) == _addr(unk2)  # the inner's interfaces delegate identity to the outer
    lib.TL_Release(unk1)
    lib.TL_Release(unk2)
    lib.TL_Release(bench)
    assert lib.TL_Release(outer_persist) == 0
    assert lib.TL_LiveObjects() == 0
    cf.release()
    factory.release()


def test_aggregation_refuses_other_iids(mta, classes):
    from ole32_bindings.hresult import NoAggregationError

    PyTarget, _PyFactory = classes
    with PyTarget.make() as outer:
        with pytest.raises(NoAggregationError):
            PyTarget.create_aggregated(outer.as_raw(), IBenchTarget.iid)


def test_python_outer_over_native_inner(mta):
    from vtables.interfaces import IClassFactory, IPersist, IUnknown
    from vtables.object import ComObject

    ffi, lib = load()
    out = ffi.new("void **")
    assert lib.TL_CreateClassFactory(guid(IClassFactory.iid), out) == 0
    from vtables.client import client_class

    native_factory = client_class(IClassFactory).from_raw(out[0])

    class Outer(ComObject, implements=[IPersist]):
        def __com_init__(self):
            inner = native_factory.CreateInstance(self, IUnknown.iid)  # self as the controlling unknown
            self.aggregate(inner.into_raw())

        def GetClassID(self):
            return CLSID_PyTarget

    unk = Outer.make()
    bench = unk.query(IBenchTarget)  # not ours: answered by the C++ inner, identity stays ours
    assert bench.Work(100) == 4950
    assert bench.same_object(unk)
    with bench.query(IPersist) as persist:  # the inner's IUnknown delegates to us: our IPersist answers
        assert persist.GetClassID() == CLSID_PyTarget
    bench.release()
    assert unk.release() == 0
    native_factory.release()
    assert lib.TL_LiveObjects() == 0
