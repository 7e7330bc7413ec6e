"""Where rows 2's and 4's per-call time goes: our client's call into native code (issue 14, item 4).

Run: ``tools/winpy bench/breakdown_calls.py [--rounds N] [--number N]``. Each variant is a loop of ``--number``
calls; the rounds interleave the variants (A B C ... A B C ...) and each loop is timed with ``time.thread_time``
(CPU time of this thread: other processes on a busy machine move it much less than wall time). The report gives
each variant's CPU time per call (all its rounds' CPU time over its calls) and its share of our client's call, so
the steps can be compared within one run.

Row 2 (``Nothing()`` on the C++ object of the test DLL, same context): our client against comtypes', and the
steps of ours (the bare cffi call of the slot, the Python frame around it). Row 4's server cost is
``PyTarget.Work(100)``: 200 IStream::Write/Read calls from Python through our client, so the second table times
``IStream::Write(buf, 4)`` on an HGLOBAL stream the same way (our client, the bare cffi call, the [out] ULONG's
allocation).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def _timed(fn: Callable[[], Any], number: int) -> tuple[float, float]:
    loop = range(number)
    t0, w0 = time.thread_time(), time.perf_counter()
    for _ in loop:
        fn()
    return (time.thread_time() - t0) / number, (time.perf_counter() - w0) / number


def interleaved(variants: dict[str, Callable[[], Any]], number: int, rounds: int) -> dict[str, tuple[float, float]]:
    """Seconds per call of each variant: CPU time (all its rounds' CPU time over its calls: Wine's thread time ticks
    in 10 ms steps, which a median of short loops would round off) and the median wall time, the variants
    interleaved round by round."""
    cpu: dict[str, list[float]] = {k: [] for k in variants}
    wall: dict[str, list[float]] = {k: [] for k in variants}
    for fn in variants.values():  # warm-up (specialisation, caches)
        _timed(fn, 200)
    for _ in range(rounds):
        for name, fn in variants.items():
            c, w = _timed(fn, number)
            cpu[name].append(c)
            wall[name].append(w)
    return {k: (statistics.fmean(cpu[k]), statistics.median(wall[k])) for k in variants}


def _report(title: str, medians: dict[str, tuple[float, float]], reference: str) -> None:
    ref_cpu, ref_wall = medians[reference]
    print(f"\n{title}\n")
    print("| variant | CPU time per call | share of ours | wall time per call (median) | share of ours |")
    print("|---|---|---|---|---|")
    for name, (c, w) in medians.items():
        print(f"| {name} | {c * 1e9:.0f} ns | {c / ref_cpu:.2f} | {w * 1e9:.0f} ns | {w / ref_wall:.2f} |")


def _zero() -> int:
    return 0


def row2_variants() -> tuple[dict[str, Callable[[], Any]], Callable[[], None]]:
    from bench import pairs
    from ole32_bindings.dlls import ffi

    ours = pairs.cpp_object()
    ct = pairs.comtypes_from_ours(ours)
    p = ours.as_raw()
    fn = ours._fns[3]
    fn_void = ffi.cast("HRESULT(*)(void *)", fn)

    def frame_only() -> int:  # a Python frame with the same steps as the generated method
        hr: int = fn(p)
        if hr < 0:
            raise OSError(hr)
        return hr

    def closure(fn: Any = fn, p: Any = p) -> Callable[[], int]:
        def Nothing() -> int:  # the bound cdata function and ``this`` in the closure: no attribute lookups
            hr: int = fn(p)
            if hr < 0:
                raise OSError(hr)
            return hr

        return Nothing

    import ctypes
    import functools

    proto = ctypes.WINFUNCTYPE(ctypes.c_long, ctypes.c_void_p)
    ct_fn = proto(int(ffi.cast("uintptr_t", ffi.cast("void ***", p)[0][3])))
    ct_this = ctypes.c_void_p(int(ffi.cast("uintptr_t", p)))

    variants = {
        "ours: ptr.Nothing()": ours.Nothing,
        "comtypes: ct.Nothing()": ct.Nothing,
        "bare cffi call fn(p) (void ** this)": lambda: fn(p),
        "bare cffi call, HRESULT(*)(void *)": lambda: fn_void(p),
        "Python frame + cffi call + check": frame_only,
        "closure holding fn and this": closure(),
        "floor: functools.partial(fn, p) (no Python frame)": functools.partial(fn, p),
        "ctypes: partial(WINFUNCTYPE(slot), this) (no Python frame)": functools.partial(ct_fn, ct_this),
        "a Python frame alone (def f(): return 0)": _zero,
    }
    return variants, ours.release


def row4_variants() -> tuple[dict[str, Callable[[], Any]], Callable[[], None]]:
    from ole32_bindings import streams
    from ole32_bindings.dlls import ffi
    from vtables.client import client_class
    from vtables.interfaces import IStream

    s = client_class(IStream).from_raw(streams.create_stream_on_hglobal())
    p = s.as_raw()
    fn = s._fns[4]  # ISequentialStream::Write
    buf = ffi.new("LONG *")
    out = ffi.new("ULONG *")
    ulong_p = ffi.typeof("ULONG *")
    unzeroed = ffi.new_allocator(should_clear_after_alloc=False)
    seek = s._fns[5]
    zero = ffi.new("LARGE_INTEGER *")[0]

    def rewind() -> None:  # keeps the stream small: every variant writes 4 bytes at the start
        seek(p, zero, 0, ffi.NULL)

    def ours() -> None:
        s.Write(buf, 4)
        rewind()

    def bare() -> None:
        fn(p, buf, 4, out)
        rewind()

    def bare_new() -> None:
        fn(p, buf, 4, unzeroed(ulong_p))
        rewind()

    import struct

    import pythoncom

    pw = pythoncom.CreateStreamOnHGlobal()

    def pywin32() -> None:  # what bench/pwtarget.py's Work does per value
        pw.Write(struct.pack("<i", 7))
        pw.Seek(0, 0)

    variants = {
        "ours: s.Write(buf, 4)": ours,
        "pywin32: stream.Write(struct.pack(...)) (+ its Seek)": pywin32,
        "bare cffi call, [out] preallocated": bare,
        "bare cffi call + [out] allocated (new_allocator unzeroed)": bare_new,
        "rewind only (Seek, subtracted from nothing)": rewind,
        "ffi.new('ULONG *') alone": lambda: ffi.new(ulong_p),
        "unzeroed allocator alone": lambda: unzeroed(ulong_p),
    }
    return variants, s.release


def read_steps_variants() -> tuple[dict[str, Callable[[], Any]], Callable[[], None]]:
    """One stream call split into steps: ``IStream::Read(buf, 4)`` on an empty stream (nothing to copy, nothing grows:
    the call's mechanics), by our client, then by replicas of its generated method with one step taken out at a time,
    down to the bare cffi call. "as before" is the method as it was before the [out] pool (``ffi.new`` per call)."""
    import functools

    from ole32_bindings import streams
    from ole32_bindings.dlls import ffi
    from vtables.client import client_class
    from vtables.interfaces import IStream

    s = client_class(IStream).from_raw(streams.create_stream_on_hglobal())
    fns = s._fns
    fn = fns[3]  # ISequentialStream::Read
    p = s.as_raw()
    buf = ffi.new("LONG *")
    out = ffi.new("ULONG *")
    T = ffi.typeof("ULONG *")
    unzeroed = ffi.new_allocator(should_clear_after_alloc=False)
    pool = [out]
    take, give = pool.pop, pool.append

    class Holder:
        __slots__ = ("_p", "_fns")

    h = Holder()
    h._p, h._fns = p, fns

    def as_before(self: Any, a0: Any, a1: Any) -> tuple[int, int]:
        p = self._p
        if p is None:
            raise ValueError
        try:
            o = unzeroed(T)
            r = self._fns[3](p, a0, a1, o)
        except (TypeError, OverflowError):
            raise
        hr = r
        if hr < 0:
            raise OSError(hr)
        return (hr, o[0])

    def pooled(self: Any, a0: Any, a1: Any) -> tuple[int, int]:  # what _method_source generates now
        p = self._p
        if p is None:
            raise ValueError
        try:
            try:
                o = take()
            except IndexError:
                o = unzeroed(T)
            r = self._fns[3](p, a0, a1, o)
        except (TypeError, OverflowError):
            raise
        hr = r
        if hr < 0:
            raise OSError(hr)
        v0 = o[0]
        give(o)
        return (hr, v0)

    def no_pool(self: Any, a0: Any, a1: Any) -> tuple[int, int]:
        p = self._p
        if p is None:
            raise ValueError
        r: int = self._fns[3](p, a0, a1, out)
        if r < 0:
            raise OSError(r)
        return (r, out[0])

    def no_result(self: Any, a0: Any, a1: Any) -> int:
        p = self._p
        if p is None:
            raise ValueError
        r: int = self._fns[3](p, a0, a1, out)
        if r < 0:
            raise OSError(r)
        return r

    def frame_and_call(self: Any, a0: Any, a1: Any) -> int:
        r: int = fn(p, a0, a1, out)
        return r

    variants = {
        "ours: s.Read(buf, 4)": lambda: s.Read(buf, 4),
        "replica, as before (ffi.new per call)": lambda: as_before(h, buf, 4),
        "replica, as now (pooled [out])": lambda: pooled(h, buf, 4),
        "- the pool (one preallocated [out])": lambda: no_pool(h, buf, 4),
        "- the result read and tuple": lambda: no_result(h, buf, 4),
        "- the attribute loads and checks (a frame and the call)": lambda: frame_and_call(h, buf, 4),
        "- the frame: fn(p, buf, 4, out) from the loop's lambda": lambda: fn(p, buf, 4, out),
        "- the lambda: functools.partial(fn, p, buf, 4, out)": functools.partial(fn, p, buf, 4, out),
        "the loop's lambda alone": lambda: None,
    }
    return variants, s.release


def work_variants() -> tuple[dict[str, Callable[[], Any]], Callable[[], None]]:
    """The servers' Work(100) bodies called as Python methods (no COM call around them): what each server adds to
    row 4 beyond the cross-apartment call."""
    from bench import cttarget, pwtarget
    from bench.benchtarget import make_classes

    PyTarget, _ = make_classes()
    ours = PyTarget()
    pw = pwtarget.PwTarget()
    ct = cttarget.CtTarget()
    for fn in (ours.Work, pw.Work, ct.Work):
        assert fn(100) == 4950

    variants = {
        "ours: PyTarget.Work(100)": lambda: ours.Work(100),
        "pywin32: PwTarget.Work(100)": lambda: pw.Work(100),
        "comtypes: CtTarget.Work(100)": lambda: ct.Work(100),
    }
    return variants, lambda: None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--number", type=int, default=200000)
    args = parser.parse_args(argv)

    sys.coinit_flags = 0  # type: ignore[attr-defined]  # comtypes and pythoncom join COM on import: the MTA
    from ole32_bindings import apartments

    apartments.co_initialize()
    tables = [  # (title, the variants' maker, calls per loop): Work(100) is about 400 stream calls' worth
        ("Row 2: Nothing() on the C++ object", row2_variants, args.number),
        ("Row 4's server: IStream::Write(buf, 4)", row4_variants, args.number),
        ("One stream call in steps: IStream::Read(buf, 4), empty stream", read_steps_variants, args.number),
        ("Row 4's server: Work(100), the body alone", work_variants, max(args.number // 400, 1)),
    ]
    for title, make, number in tables:
        variants, close = make()
        try:
            _report(title, interleaved(variants, number, args.rounds), next(iter(variants)))
        finally:
            close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
