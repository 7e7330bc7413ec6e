"""Where our LocalServer32's time goes under load (issue 14 item 5): the same load as row L, with the server's CPU
time read before and after each run (GetProcessTimes), its thread count during the run, and variants that isolate
the parts: Work(0) (one call entered into Python, one stream made, no stream calls) against Work(50) (the same
plus 100 IStream calls made from Python, each a cffi call that releases and retakes the GIL), and our server with
the interpreter's switch interval changed (OLE32B_BENCH_SWITCH_INTERVAL, read by bench/pyserver.py).

    tools/winpy bench/load_breakdown.py [--calls 300] [--processes 1,8]

Prints one line per run: server, n, N, calls/s, server CPU µs per call, server threads. Numbers on a shared
machine are noisy; the shares between variants are the point (bench/README.md, "Load: what limits our server").
"""

from __future__ import annotations

import argparse
import ctypes
import os
import sys
import threading
import time

sys.coinit_flags = 0
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def cpu_seconds(pid: int) -> float:
    """User + kernel CPU seconds of process ``pid`` (GetProcessTimes)."""
    k32 = ctypes.WinDLL("kernel32")
    k32.OpenProcess.restype = ctypes.c_void_p
    h = k32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    times = [ctypes.c_ulonglong() for _ in range(4)]
    k32.GetProcessTimes(ctypes.c_void_p(h), *[ctypes.byref(t) for t in times])
    k32.CloseHandle(ctypes.c_void_p(h))
    return (times[2].value + times[3].value) / 1e7


def measure(server: str, clsid, n: int, processes: int, calls: int) -> dict:
    from bench.load import LoadSpec, run_load
    from bench.pairs import _local, server_pids, wait_servers_gone
    from ole32_bindings import win32

    keeper = _local(clsid)
    try:
        pid = server_pids(clsid)[0]
        threads_before = win32.process_metrics(pid)["threads"]
        c0 = cpu_seconds(pid)
        r = run_load(LoadSpec(server, clsid=clsid, client="cpp", n=n), processes, calls)
        c1 = cpu_seconds(pid)
        threads_after = win32.process_metrics(pid)["threads"]
    finally:
        keeper.release()
    wait_servers_gone(clsid)
    # the server's CPU includes each client's activation and release (one each): small against `calls` calls
    return {
        "server": server,
        "n": n,
        "N": processes,
        "calls_per_s": r.calls_per_s,
        "cpu_us_per_call": (c1 - c0) / max(r.calls, 1) * 1e6,
        "threads": f"{threads_before}->{threads_after}",
        "clean": r.ok,
    }


def inproc_scaling(threads: int, work: int, ours: bool, seconds: float = 1.0) -> float:
    """Calls/s of ``threads`` MTA threads each running the test DLL's native loop (TL_LoopWork / TL_LoopNothing,
    the GIL released for the whole loop) on its own object: our PyTarget (every call enters Python: one GIL
    acquisition per call, plus one per stream call inside Work) or the C++ target (no Python at all)."""
    from bench.benchtarget import IBenchTarget, make_classes
    from bench.pairs import cpp_object, testlib
    from ole32_bindings import apartments

    f, lib = testlib()
    PyTarget, _ = make_classes()
    counts = [0] * threads
    stop = time.monotonic() + seconds
    barrier = threading.Barrier(threads)

    def body(k: int) -> None:
        apartments.co_initialize()
        p = PyTarget().as_ptr(IBenchTarget) if ours else cpp_object()
        try:
            raw = f.cast("void *", int(ffi_address(p)))
            barrier.wait()
            while time.monotonic() < stop:
                hr = lib.TL_LoopWork(raw, 20, work, f.NULL) if work else lib.TL_LoopNothing(raw, 200)
                if hr != 0:
                    raise RuntimeError(f"loop failed 0x{hr & 0xFFFFFFFF:08X}")
                counts[k] += 20 if work else 200
        finally:
            p.release()
            apartments.co_uninitialize()

    t0 = time.monotonic()
    ts = [threading.Thread(target=body, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(counts) / (time.monotonic() - t0)


def ffi_address(p) -> int:
    from ole32_bindings.dlls import ffi

    return int(ffi.cast("uintptr_t", p.as_raw()))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--processes", default="1,8")
    ap.add_argument("--switch", default="", help="comma-separated switch intervals (s) to try on our server")
    ap.add_argument("--inproc-only", action="store_true", help="only the in-process thread scaling")
    args = ap.parse_args(argv)
    from bench.benchtarget import CLSID_CppBenchServer, CLSID_PyBenchServer
    from bench.run import register_servers
    from ole32_bindings import apartments

    apartments.co_initialize()
    register_servers()
    ns = [int(x) for x in args.processes.split(",")]
    try:
        for work in (0, 50):
            for ours in (False, True):
                rates = [inproc_scaling(t, work, ours) for t in (1, 2, 4)]
                what = "Work(50)" if work else "Nothing"
                print(
                    f"in process, {'ours' if ours else ' cpp'} {what:>8}, 1/2/4 threads: "
                    + " / ".join(f"{r:9.0f}" for r in rates)
                    + " calls/s",
                    flush=True,
                )
        if args.inproc_only:
            return 0
        for n in (0, 50):
            for processes in ns:
                for server, clsid in (("cpp", CLSID_CppBenchServer), ("ours", CLSID_PyBenchServer)):
                    m = measure(server, clsid, n, processes, args.calls)
                    print(
                        f"{m['server']:>5} Work({n:>2}) N={processes:>2}: {m['calls_per_s']:7.0f} calls/s, "
                        f"server CPU {m['cpu_us_per_call']:7.1f} µs/call, threads {m['threads']}, clean={m['clean']}",
                        flush=True,
                    )
        for interval in [float(x) for x in args.switch.split(",") if x]:
            os.environ["OLE32B_BENCH_SWITCH_INTERVAL"] = str(interval)
            for processes in ns:
                m = measure("ours", CLSID_PyBenchServer, 50, processes, args.calls)
                print(
                    f" ours Work(50) N={processes:>2} switchinterval={interval}: {m['calls_per_s']:7.0f} calls/s, "
                    f"server CPU {m['cpu_us_per_call']:7.1f} µs/call",
                    flush=True,
                )
            del os.environ["OLE32B_BENCH_SWITCH_INTERVAL"]
    finally:
        apartments.co_uninitialize()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
