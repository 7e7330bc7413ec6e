"""One client process of the load driver (bench/load.py), written with this project's client: it prepares its
target, checks one call, signals the ready semaphore ``OLE32B_LOAD_READY``, waits for the start event
``OLE32B_LOAD_START`` (both named in the environment, both optional), then makes its calls from ``threads`` MTA
threads at once, checking EVERY result: a wrong result or a failed call is counted, never fatal. It prints one
line of JSON: calls, wrong, errors, first_error, start/end (QPC seconds: ``time.perf_counter``, one clock for every
process on the machine).

    python bench/loadclient.py TARGET CALLS [--threads T] [--n N] [--clsid {...}]

Targets: ``local-work`` (IBenchTarget.Work(n) on the LocalServer32 ``--clsid``), ``local-dispatch`` (the automation
contract's ``Add(i, 1)`` through IDispatch on ``--clsid``: examples/automation), ``inproc-work`` (our PyTarget,
a class object registered in this process, activated with CoCreateInstance), ``inproc-cpp-work`` (the C++ target
of the test DLL), ``inproc-dispatch`` (the contract's InprocServer32, python_inproc.dll in this process).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import sys
import threading
import time
from typing import Any

sys.coinit_flags = 0
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

TARGETS = ("local-work", "local-dispatch", "inproc-work", "inproc-cpp-work", "inproc-dispatch")


def expected_work(n: int) -> int:
    """What Work(n) returns: the sum of 0..n-1 modulo 2^31."""
    return (n * (n - 1) // 2) % 0x80000000


def _signal_ready_and_wait() -> None:
    k32 = ctypes.WinDLL("kernel32", use_last_error=True)
    k32.OpenSemaphoreW.restype = ctypes.c_void_p
    k32.OpenEventW.restype = ctypes.c_void_p
    k32.ReleaseSemaphore.argtypes = [ctypes.c_void_p, ctypes.c_long, ctypes.c_void_p]
    k32.WaitForSingleObject.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
    k32.CloseHandle.argtypes = [ctypes.c_void_p]
    ready = os.environ.get("OLE32B_LOAD_READY")
    if ready:
        h = k32.OpenSemaphoreW(0x0002, False, ready)  # SEMAPHORE_MODIFY_STATE
        if not h:
            raise OSError(ctypes.get_last_error(), f"OpenSemaphore({ready})")
        k32.ReleaseSemaphore(h, 1, None)
        k32.CloseHandle(h)
    start = os.environ.get("OLE32B_LOAD_START")
    if start:
        h = k32.OpenEventW(0x00100000, False, start)  # SYNCHRONIZE
        if not h:
            raise OSError(ctypes.get_last_error(), f"OpenEvent({start})")
        try:
            if k32.WaitForSingleObject(h, 120_000) != 0:
                raise TimeoutError("the start event never came")
        finally:
            k32.CloseHandle(h)


class Target:
    """A prepared target: ``call(i) -> bool`` (True when the result is right; raises on a failed call) and
    ``close()`` (every reference released)."""

    def __init__(self, kind: str, clsid: str | None, n: int) -> None:
        from ole32_bindings import activation
        from ole32_bindings.constants import CLSCTX
        from ole32_bindings.guid import Guid

        self.kind, self.n, self.want = kind, n, expected_work(n)
        self._closers: list[Any] = []
        if kind in ("local-work", "inproc-work", "inproc-cpp-work"):
            from bench.benchtarget import IBenchTarget
            from vtables.client import client_class

            ptr_class = client_class(IBenchTarget)
            if kind == "local-work":
                from bench.pairs import _local

                p = _local(Guid(clsid))
            elif kind == "inproc-work":
                from bench.benchtarget import CLSID_PyTarget, make_classes
                from ole32_servers.classobjects import ClassObjects

                PyTarget, _ = make_classes()
                objs = ClassObjects()
                self._closers.append(objs.revoke_all)
                from vtables.factory import ClassFactory

                objs.register(CLSID_PyTarget, ClassFactory(PyTarget), CLSCTX.INPROC_SERVER)
                p = ptr_class.from_raw(
                    activation.create_instance(CLSID_PyTarget, IBenchTarget.iid, CLSCTX.INPROC_SERVER)
                )
            else:
                from bench.pairs import cpp_object

                p = cpp_object()
            self._closers.insert(0, p.release)
            work = p.Work
            want = self.want

            def call(i: int) -> bool:
                return work(n) == want

        else:
            from vtables.latebound import Dispatch

            ctx = CLSCTX.LOCAL_SERVER if kind == "local-dispatch" else CLSCTX.INPROC_SERVER
            from bench.pairs import _retry_stopping

            # a server that was exiting when the activation reached it refuses or drops it: try again (bench/pairs)
            d = _retry_stopping(lambda: Dispatch(Guid(clsid), clsctx=ctx))
            self._closers.insert(0, d.release)
            add = d.Add

            def call(i: int) -> bool:
                return add(i, 1) == i + 1

        self.call = call

    def close(self) -> None:
        for close in self._closers:
            close()
        self._closers.clear()


def run(kind: str, calls: int, threads: int, n: int, clsid: str | None) -> dict[str, Any]:
    """Prepare, check, wait for the start, then ``calls`` checked calls split over ``threads`` MTA threads."""
    from ole32_bindings import apartments

    apartments.co_initialize()
    try:
        target = Target(kind, clsid, n)
        try:
            if not target.call(0):
                raise RuntimeError(f"{kind}: the first call's result is wrong")
            counts = {"wrong": 0, "errors": 0}
            first_error: list[str] = []
            guard = threading.Lock()
            share = [calls // threads + (1 if t < calls % threads else 0) for t in range(threads)]

            def worker(k: int) -> None:
                apartments.co_initialize()  # the MTA: every thread of this process joins it
                try:
                    wrong = errors = 0
                    call = target.call
                    for i in range(share[k]):
                        try:
                            if not call(i):
                                wrong += 1
                        except Exception as e:  # counted, not fatal: the figure is the count
                            errors += 1
                            if not first_error:
                                first_error.append(f"{type(e).__name__}: {e}")
                    with guard:
                        counts["wrong"] += wrong
                        counts["errors"] += errors
                finally:
                    apartments.co_uninitialize()

            workers = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
            _signal_ready_and_wait()
            start = time.perf_counter()
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            end = time.perf_counter()
        finally:
            target.close()
    finally:
        apartments.co_uninitialize()
    from vtables import leaks

    return {
        "client": "ours",
        "target": kind,
        "calls": calls,
        "threads": threads,
        "wrong": counts["wrong"],
        "errors": counts["errors"],
        "first_error": first_error[0] if first_error else None,
        "start": start,
        "end": end,
        "total_seconds": end - start,
        "client_pid": os.getpid(),
        "live_objects_after": leaks.live_objects(),
    }


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("target", choices=TARGETS)
    ap.add_argument("calls", type=int)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--clsid", default=None)
    args = ap.parse_args(argv)
    try:
        out = run(args.target, args.calls, args.threads, args.n, args.clsid)
    except Exception as e:
        print(json.dumps({"client": "ours", "target": args.target, "error": f"{type(e).__name__}: {e}"}), flush=True)
        return 1
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
