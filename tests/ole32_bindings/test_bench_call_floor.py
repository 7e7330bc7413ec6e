"""The call floor: CoGetCurrentProcess through the bindings vs the same loop in native code, same process.

``make bench`` (until the full benchmark lands) runs these with pytest-benchmark; ``make test`` runs them once
with benchmarking disabled, so they stay correct.
"""

import pytest
from testlib import load

pytestmark = pytest.mark.runtime

N = 10_000


def test_python_co_get_current_process(benchmark, mta):
    from ole32_bindings.apartments import get_current_process

    expected = get_current_process()

    def loop():
        last = 0
        for _ in range(N):
            last = get_current_process()
        return last

    assert benchmark(loop) == expected
    benchmark.extra_info["calls_per_round"] = N


def test_native_co_get_current_process(benchmark, mta):
    from ole32_bindings.apartments import get_current_process

    ffi, lib = load()
    last = ffi.new("DWORD *")

    def loop():
        assert lib.TL_LoopCoGetCurrentProcess(N, last) == 0
        return last[0]

    assert benchmark(loop) == get_current_process()
    benchmark.extra_info["calls_per_round"] = N
