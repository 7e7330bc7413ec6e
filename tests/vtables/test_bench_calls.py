"""Per-call costs in one run (pytest-benchmark; `make test` runs each once with benchmarking disabled).

Each benchmark makes N calls per round; divide by N (extra_info["calls_per_round"]) for the per-call figure.
Rows: plain Python method; Python->Python same-context fast path; Python->Python through the vtable;
Python->C++; C++->Python; C++->C++ (the floor); and ours vs pywin32 calling the same C++ object (IPersist).
"""

import tracemalloc

import pytest
from testlib import guid, load

from bench.benchtarget import IBenchTarget, make_classes

pytestmark = pytest.mark.runtime

N = 1000


@pytest.fixture(scope="module")
def classes():
    return make_classes()


def _loop(fn):
    def run():
        for _ in range(N):
            fn()

    return run


def _info(benchmark, path):
    benchmark.extra_info.update(calls_per_round=N, path=path)


class Plain:
    def Nothing(self):
        return None


def test_plain_python_method(benchmark):
    _info(benchmark, "plain Python method")
    benchmark(_loop(Plain().Nothing))


def test_python_to_python_fast_path(benchmark, mta, classes):
    PyTarget, _ = classes
    with PyTarget().as_ptr(IBenchTarget) as p:
        assert type(p).__name__.endswith("Direct")
        _info(benchmark, "Python->Python, same context (direct)")
        benchmark(_loop(p.Nothing))


def test_python_to_python_through_vtable(benchmark, mta, classes):
    PyTarget, _ = classes
    with PyTarget().as_ptr(IBenchTarget) as fast:
        with type(fast).__mro__[1].from_borrowed(fast.as_raw(), direct=False) as p:
            _info(benchmark, "Python->Python through the vtable")
            benchmark(_loop(p.Nothing))


def _cpp_target():
    from vtables.client import client_class

    ffi, lib = load()
    out = ffi.new("void **")
    assert lib.TL_CreateBenchTarget(ffi.NULL, guid(IBenchTarget.iid), out) == 0
    return client_class(IBenchTarget).from_raw(out[0])


def test_python_to_cpp(benchmark, mta):
    with _cpp_target() as p:
        _info(benchmark, "Python->C++")
        benchmark(_loop(p.Nothing))


def _cpp_loop_on_ours(benchmark, classes, path, loop, *args):
    """Time the test DLL's ``loop(raw, *args, N)`` on one of our objects, then check one more pass succeeds."""
    PyTarget, _ = classes
    with PyTarget().as_ptr(IBenchTarget) as p:
        raw = p.as_raw()
        _info(benchmark, path)
        benchmark(lambda: loop(raw, *args, N))
        assert loop(raw, *args, 1) == 0


def test_cpp_to_python(benchmark, mta, classes):
    _cpp_loop_on_ours(benchmark, classes, "C++->Python", load()[1].TL_LoopNothing)


def test_cpp_to_cpp(benchmark, mta):
    _, lib = load()
    with _cpp_target() as p:
        raw = p.as_raw()
        _info(benchmark, "C++->C++ (floor)")
        benchmark(lambda: lib.TL_LoopNothing(raw, N))


def test_ours_get_class_id_on_cpp(benchmark, mta):
    from vtables.interfaces import IPersist

    with _cpp_target() as b, b.query(IPersist) as persist:
        _info(benchmark, "ours: IPersist::GetClassID on the C++ object")
        benchmark(_loop(persist.GetClassID))


def test_pywin32_get_class_id_on_cpp(benchmark, mta):
    import pythoncom

    from vtables.interfaces import IPersist

    with _cpp_target() as b, b.query(IPersist) as persist:
        py = pythoncom.ObjectFromAddress(persist.address(), pythoncom.IID_IPersist)
        assert str(py.GetClassID()) == str(persist.GetClassID())
        _info(benchmark, "pywin32: IPersist::GetClassID on the C++ object")
        benchmark(_loop(py.GetClassID))
        del py


def test_bare_cffi_call_on_cpp(benchmark, mta):
    """The floor of any cffi ABI-mode call: the cast function pointer called directly, no wrapper at all. Compare
    with pywin32's *whole* GetClassID (a C extension): this is why ours cannot be faster than pywin32 here."""
    from ole32_bindings.dlls import ffi
    from vtables.interfaces import IPersist

    with _cpp_target() as b, b.query(IPersist) as persist:
        raw = persist.as_raw()
        fn = persist._fns[IPersist.GetClassID.index]
        out = ffi.new("GUID *")
        assert fn(raw, out) == 0 and bytes(ffi.buffer(out)) == persist.GetClassID().bytes_le
        _info(benchmark, "bare cffi ABI call: IPersist::GetClassID on the C++ object, no wrapper")
        benchmark(_loop(lambda: fn(raw, out)))


def test_memory_per_live_object(mta, classes):
    """Memory per live Python COM object (tracemalloc, Python-side allocations incl. the native block)."""
    PyTarget, _ = classes
    _, lib = load()
    count = 2000
    PyTarget().as_ptr(IBenchTarget).release()  # warm the caches first
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        raws = [PyTarget().query_raw(IBenchTarget.iid) for _ in range(count)]
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    per_object = sum(s.size_diff for s in after.compare_to(before, "filename")) / count
    for r in raws:
        lib.TL_Release(r)
    print(f"memory per live Python COM object: {per_object:.0f} bytes")
    assert 0 < per_object <= 512


# ---- IUnknown from native code, and object creation (issue 6's 1c: where its time goes) ----------------------
# Compare the native IUnknown with the Python thunks: VTABLES_NATIVE_CORE=0 make bench-micro (docs: native/core).


def test_cpp_addref_release_on_ours(benchmark, mta, classes):
    _cpp_loop_on_ours(benchmark, classes, "C++ AddRef+Release on a Python object", load()[1].TL_LoopAddRefRelease)


def test_cpp_query_interface_on_ours(benchmark, mta, classes):
    _cpp_loop_on_ours(
        benchmark,
        classes,
        "C++ QueryInterface+Release on a Python object",
        load()[1].TL_LoopQueryInterface,
        guid(IBenchTarget.iid),
    )


def test_python_object_creation(benchmark, mta, classes):
    PyTarget, _ = classes
    _info(benchmark, "PyTarget(): a Python COM object, never referenced")
    benchmark(_loop(PyTarget))


# ---- the direct path's conversions (issue 14, item 7): a value in, a value out, against the plain Python call ----


class PlainEcho:
    def Echo(self, v):
        return float(v)  # (the same body as the COM class's below)


def test_plain_python_method_with_a_value(benchmark):
    _info(benchmark, "plain Python method, a value in and out")
    echo = PlainEcho().Echo
    benchmark(_loop(lambda: echo(7)))


def test_python_to_python_fast_path_with_a_value(benchmark, mta):
    """``[in] LONG``, ``[out, retval] double *``: the direct path checks the LONG and converts the result."""
    from vtables.declare import method
    from vtables.interfaces import IUnknown
    from vtables.object import ComObject

    class IEcho(IUnknown):
        iid = "{5B0C6E1A-2F4D-4A8B-9C3E-7D1F0A2B3C50}"
        Echo = method("HRESULT Echo([in] LONG v, [out, retval] double *r)")

    class Echo(ComObject, implements=[IEcho]):
        def Echo(self, v):
            return float(v)

    with Echo().as_ptr(IEcho) as p:
        assert type(p).__name__.endswith("Direct") and p.Echo(7) == 7.0
        _info(benchmark, "Python->Python, same context (direct), a value in and out")
        echo = p.Echo
        benchmark(_loop(lambda: echo(7)))
