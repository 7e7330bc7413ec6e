"""IClassFactory in Python: COM's rules for CreateInstance and LockServer."""

import pytest
from testlib import guid, load

from bench.benchtarget import IBenchTarget, make_classes

pytestmark = pytest.mark.runtime


@pytest.fixture(scope="module")
def classes():
    return make_classes()


class Lock:
    def __init__(self):
        self.count = 0

    def add(self):
        self.count += 1

    def release(self):
        self.count -= 1


def test_create_instance_and_lock_follow_the_objects(mta, classes):
    from vtables.factory import ClassFactory
    from vtables.interfaces import IClassFactory

    PyTarget, _ = classes
    lock = Lock()
    with ClassFactory(PyTarget, lock=lock).as_ptr(IClassFactory) as cf:
        via = type(cf).__mro__[1].from_borrowed(cf.as_raw(), direct=False)  # through the vtable, as COM calls it
        a = via.CreateInstance(None, IBenchTarget.iid)
        b = via.CreateInstance(None, IBenchTarget.iid)
        assert a.Work(100) == 4950 and lock.count == 2
        a.release()
        assert lock.count == 1
        assert via.LockServer(1) == 0 and lock.count == 2
        assert via.LockServer(0) == 0 and lock.count == 1
        b.release()
        assert lock.count == 0
        via.release()


def test_refused_iid_leaks_nothing_and_takes_no_lock(mta, classes):
    from ole32_bindings.dlls import ffi
    from ole32_bindings.hresult import NoInterfaceError
    from vtables.factory import ClassFactory
    from vtables.interfaces import IClassFactory, IStream

    PyTarget, _ = classes
    lock = Lock()
    with ClassFactory(PyTarget, lock=lock).as_ptr(IClassFactory) as cf:
        via = type(cf).__mro__[1].from_borrowed(cf.as_raw(), direct=False)
        with pytest.raises(NoInterfaceError):
            via.CreateInstance(None, IStream.iid)
        assert lock.count == 0  # and the leak fixture checks no object is left alive
        # *ppv is NULL after the refusal, and a NULL ppv is E_POINTER before anything is created
        out = ffi.new("void **", ffi.cast("void *", 0x1234))
        fn = via._fns[IClassFactory.CreateInstance.index]
        assert fn(via.as_raw(), ffi.NULL, IStream.iid.cdata(ffi), out) & 0xFFFFFFFF == 0x80004002
        assert out[0] == ffi.NULL
        assert fn(via.as_raw(), ffi.NULL, IBenchTarget.iid.cdata(ffi), ffi.NULL) & 0xFFFFFFFF == 0x80004003
        via.release()


def test_aggregation_rules(mta, classes):
    from ole32_bindings.hresult import NoAggregationError
    from vtables.factory import ClassFactory
    from vtables.interfaces import IClassFactory, IUnknown

    PyTarget, _ = classes

    class Solo(PyTarget):
        aggregatable = False

    with PyTarget.make() as outer:
        for cls, iid in ((PyTarget, IBenchTarget.iid), (Solo, IUnknown.iid)):
            with ClassFactory(cls).as_ptr(IClassFactory) as cf:
                via = type(cf).__mro__[1].from_borrowed(cf.as_raw(), direct=False)
                with pytest.raises(NoAggregationError):
                    via.CreateInstance(outer.as_raw(), iid)
                via.release()


def test_native_code_creates_through_our_factory(mta, classes):
    from vtables.factory import ClassFactory
    from vtables.interfaces import IClassFactory

    PyTarget, _ = classes
    _ffi, lib = load()
    factory = ClassFactory(PyTarget)
    with factory.as_ptr(IClassFactory) as cf:
        assert lib.TL_LoopCreateInstance(cf.as_raw(), guid(IBenchTarget.iid), 500) == 0
    assert factory.created == 500


def test_lock_server_false_without_true_is_an_error(mta, classes):
    from ole32_bindings.hresult import InvalidArgError
    from vtables.factory import ClassFactory
    from vtables.interfaces import IClassFactory

    PyTarget, _ = classes
    with ClassFactory(PyTarget).as_ptr(IClassFactory) as cf:
        via = type(cf).__mro__[1].from_borrowed(cf.as_raw(), direct=False)
        with pytest.raises(InvalidArgError):
            via.LockServer(0)
        via.release()
