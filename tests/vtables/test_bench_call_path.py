"""Our client's call into native code against comtypes' and pywin32's, in one run (issue 14, item 4; pytest-benchmark,
`make bench-micro`; `make test` runs each once with benchmarking disabled).

Groups (compare within a group: the ratios are what this file is for, the machine is shared):

* ``row2-nothing``: ``IBenchTarget::Nothing`` on one C++ object (the test DLL's) by our client, by comtypes, and the
  floor of any cffi call (the slot's cast function pointer through ``functools.partial``: no Python frame at all).
* ``stream-write``: ``IStream::Write`` of 4 bytes (then a rewind) on an HGLOBAL stream: ours (an [out] ULONG from
  the call site's pool) and pywin32's (``PyIStream.Write`` of the packed bytes, as bench/pwtarget.py does).
* ``work-body``: each server's ``Work(100)`` called as a Python method: the 200 stream calls row 4's server makes.

Every benchmark checks its result. bench/breakdown_calls.py splits these into steps (bench/README.md).
"""

from __future__ import annotations

import functools
import struct
import sys

import pytest
from testlib import guid, load

from bench.benchtarget import IBenchTarget, make_classes

pytestmark = pytest.mark.runtime

N = 1000


def _loop(fn):
    def run():
        for _ in range(N):
            fn()

    return run


def _info(benchmark, group, path):
    benchmark.group = group
    benchmark.extra_info.update(calls_per_round=N, path=path)


@pytest.fixture(scope="module")
def libs():
    """comtypes and pythoncom, imported joining the MTA (like the test thread)."""
    from ole32_bindings import apartments

    apartments.co_initialize()
    sys.coinit_flags = 0  # comtypes and pythoncom join COM on import: the MTA
    import comtypes
    import pythoncom

    yield comtypes, pythoncom
    apartments.co_uninitialize()


@pytest.fixture
def cpp_target(mta):
    from vtables.client import client_class

    ffi, lib = load()
    out = ffi.new("void **")
    assert lib.TL_CreateBenchTarget(ffi.NULL, guid(IBenchTarget.iid), out) == 0
    with client_class(IBenchTarget).from_raw(out[0]) as p:
        yield p


def test_ours_nothing_on_cpp(benchmark, cpp_target):
    assert cpp_target.Nothing() == 0
    _info(benchmark, "row2-nothing", "ours: IBenchTarget::Nothing on the C++ object")
    benchmark(_loop(cpp_target.Nothing))


def test_comtypes_nothing_on_cpp(benchmark, cpp_target, libs):
    import gc

    from bench.pairs import comtypes_from_ours

    ct = comtypes_from_ours(cpp_target)
    try:
        assert ct.Nothing() in (None, 0)  # (comtypes checks the HRESULT itself)
        _info(benchmark, "row2-nothing", "comtypes: IBenchTarget::Nothing on the C++ object")
        benchmark(_loop(ct.Nothing))
    finally:
        del ct
        gc.collect()  # comtypes releases its references when its pointers are collected


def test_cffi_floor_nothing_on_cpp(benchmark, cpp_target):
    """The bare cffi call of the slot, no Python frame: what any cffi client pays at least."""
    fn = functools.partial(cpp_target._fns[IBenchTarget.Nothing.index], cpp_target.as_raw())
    assert fn() == 0
    _info(benchmark, "row2-nothing", "floor: the slot's cffi function pointer, no Python frame")
    benchmark(_loop(fn))


def test_ours_stream_write(benchmark, mta):
    from ole32_bindings import streams
    from ole32_bindings.dlls import ffi
    from vtables.client import client_class
    from vtables.interfaces import IStream

    with client_class(IStream).from_raw(streams.create_stream_on_hglobal()) as s:
        buf = ffi.new("LONG *", 7)
        zero = ffi.new("LARGE_INTEGER *")[0]

        def write():
            s.Write(buf, 4)
            s.Seek(zero, 0, ffi.NULL)

        assert s.Write(buf, 4) == 4
        _info(benchmark, "stream-write", "ours: IStream::Write(4 bytes) + Seek")
        benchmark(_loop(write))


def test_pywin32_stream_write(benchmark, libs):
    _, pythoncom = libs
    s = pythoncom.CreateStreamOnHGlobal()

    def write():
        s.Write(struct.pack("<i", 7))
        s.Seek(0, 0)

    assert s.Write(b"abcd") == 4
    _info(benchmark, "stream-write", "pywin32: PyIStream.Write(struct.pack(...)) + Seek")
    benchmark(_loop(write))


@pytest.fixture(scope="module")
def py_target_class():
    return make_classes()[0]


def test_ours_work_body(benchmark, mta, py_target_class):
    target = py_target_class()
    assert target.Work(100) == 4950
    _info(benchmark, "work-body", "ours: PyTarget.Work(100) as a Python method")
    benchmark(lambda: target.Work(100))


def test_pywin32_work_body(benchmark, libs):
    from bench.pwtarget import PwTarget

    target = PwTarget()
    assert target.Work(100) == 4950
    _info(benchmark, "work-body", "pywin32: PwTarget.Work(100) as a Python method")
    benchmark(lambda: target.Work(100))


def test_comtypes_work_body(benchmark, libs):
    from bench.cttarget import CtTarget

    target = CtTarget()
    assert target.Work(100) == 4950
    _info(benchmark, "work-body", "comtypes: CtTarget.Work(100) as a Python method")
    benchmark(lambda: target.Work(100))
