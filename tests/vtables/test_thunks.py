"""The server thunks' argument conversions, called through the cffi callbacks they generate."""

import pytest

from ole32_bindings.guid import Guid

pytestmark = pytest.mark.runtime  # the bindings' ffi loads the COM runtime


def _ref(g: Guid):
    from ole32_bindings.dlls import ffi

    c = ffi.new("GUID *")
    ffi.memmove(c, g.bytes_le, 16)
    return c


def test_a_declared_iid_arrives_as_the_declarations_own_guid():
    from vtables import thunks
    from vtables.interfaces import IClassFactory

    got = thunks._guid_in(_ref(IClassFactory.iid))
    assert got is IClassFactory.iid  # no new Guid per call for the IIDs a program declares


def test_any_other_guid_arrives_as_an_equal_new_guid():
    from vtables import thunks

    g = Guid("{12345678-9ABC-4DEF-8123-456789ABCDEF}")
    got = thunks._guid_in(_ref(g))
    assert got == g and got is not g and str(got) == str(g)


def test_null_arrives_as_none():
    from ole32_bindings.dlls import ffi
    from vtables import thunks

    assert thunks._guid_in(ffi.NULL) is None


def test_an_iid_is_argument_is_converted_once_per_call():
    """IClassFactory::CreateInstance's riid is both an argument and the IID of its [out] pointer: the generated
    thunk converts it once and hands that Guid to the implementation and to the [out] writer."""
    from ole32_bindings.dlls import ffi
    from vtables import thunks
    from vtables.interfaces import IClassFactory
    from vtables.interfaces.unknown import IUnknown

    conversions = []
    real = thunks._guid_in

    def counting(p):
        conversions.append(p)
        return real(p)

    class Factory:
        def CreateInstance(self, outer, riid):
            self.riid = riid
            return None  # no object: *ppv = NULL, S_OK (the writer still receives the IID)

    create = IClassFactory.layout[3]
    assert create.name == "CreateInstance"
    thunks._guid_in = counting  # the generated code binds _guid_in when it is made
    try:
        cb = thunks.make_thunk(Factory, IClassFactory, create, Factory.CreateInstance)
    finally:
        thunks._guid_in = real
    impl = Factory()
    handle = ffi.new_handle(impl)
    this = ffi.new("void *[2]", [ffi.NULL, handle])  # [vtable, handle]: what every pointer to our objects is
    out = ffi.new("void **", ffi.cast("void *", 1))
    assert cb(this, ffi.NULL, _ref(IUnknown.iid), out) == 0
    assert out[0] == ffi.NULL
    assert impl.riid is IUnknown.iid
    assert len(conversions) == 1
