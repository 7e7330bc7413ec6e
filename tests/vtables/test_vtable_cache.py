"""Slot functions are cached by vtable address only where the address cannot be reused: a heap vtable (comtypes
builds one per class, on the heap) freed and reallocated must not hand our client the previous functions."""

import sys

import pytest

pytestmark = pytest.mark.runtime


def test_heap_vtables_are_not_cached_and_static_ones_are(mta):
    from testlib import guid, load

    from vtables import client

    ffi, lib = load()
    out = ffi.new("void **")
    from bench.benchtarget import IBenchTarget

    assert lib.TL_CreateBenchTarget(ffi.NULL, guid(IBenchTarget.iid), out) == 0
    from ole32_bindings.dlls import ffi as bffi

    cpp = client.client_class(IBenchTarget).from_raw(bffi.cast("void *", int(ffi.cast("uintptr_t", out[0]))))
    try:
        vtbl = int(bffi.cast("uintptr_t", bffi.cast("void ***", cpp.as_raw())[0]))
        assert client._static_vtable(vtbl)  # the C++ DLL's vtable is in its image: cached
        assert (vtbl, IBenchTarget) in client._fn_cache
    finally:
        cpp.release()
    heap = bffi.new("void *[8]")  # a vtable-shaped block on the heap: never cached
    assert not client._static_vtable(int(bffi.cast("uintptr_t", heap)))


def test_comtypes_objects_through_our_client_many_times(mta):
    """The loop that crashed the process when heap vtables were cached (bench/repros/)."""
    sys.coinit_flags = 0
    from bench import pairs as P

    for _ in range(60):
        m = P.createinstance_ours(P.client_class(P.IClassFactory).from_raw(P.comtypes_factory_raw()))
        try:
            assert m.check() == "work=4950"
            m.sample(3)
        finally:
            m.close()
