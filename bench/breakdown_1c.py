"""Where row 1c's time goes: IClassFactory::CreateInstance + final Release, ours -> ours (issue 14, item 1).

Run: ``tools/winpy bench/breakdown_1c.py [--repeat N]``. Each step is timed alone in a loop (best of N rounds, as
timeit), in the order the real call does it, and the total is timed the way row 1c times it (our client, through
the factory's vtable). The steps' shares are relative (the machine is shared: absolute figures move, shares much
less); the cffi transitions are what is left of the total once the Python work is subtracted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import timeit
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def _best(fn: Any, number: int, repeat: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--number", type=int, default=3000, help="objects per QI/Release batch, over 10")
    args = parser.parse_args(argv)

    from ole32_bindings import apartments
    from ole32_bindings.dlls import ffi

    apartments.co_initialize()
    from bench.benchtarget import IBenchTarget, make_classes
    from vtables import _core
    from vtables import object as objmod
    from vtables.client import client_class
    from vtables.factory import ClassFactory
    from vtables.interfaces import IClassFactory

    PyTarget, _ = make_classes()
    iid = IBenchTarget.iid
    layout = PyTarget._com_layout
    release = _core.lib.vt_Release if objmod._NATIVE else None
    core_ffi = _core.ffi

    def raw_release(raw: Any) -> None:
        release(core_ffi.cast("void **", int(ffi.cast("uintptr_t", raw))))

    factory = ClassFactory(PyTarget)
    cf = client_class(IClassFactory).from_raw(factory.query_raw(IClassFactory.iid), direct=False)
    ptr_cls = client_class(IBenchTarget)

    n, r = args.number, args.repeat
    handle = ffi.new_handle(factory)
    block_new = getattr(_core.lib, "vt_block_new", None)
    block_retire = getattr(_core.lib, "vt_block_retire", None)
    tomb = objmod._tomb_handle
    steps: list[tuple[str, Any]] = [
        ("Python object (object.__new__ + __init__)", lambda: _bare(PyTarget)),
        ("cffi handle (ffi.new_handle)", lambda: ffi.new_handle(factory)),
        (
            "native block: made (vt_block_new: from the free list, the class's template copied, the handles set) "
            "and retired (vt_block_retire) (before: the template list copied, ffi.new)",
            (lambda: block_retire(block_new(layout.plain_template, layout.words, handle), tomb))
            if hasattr(layout, "plain_template")
            else (lambda: _block(layout, ffi, objmod, handle)),
        ),
        ("the object's other fields (_com_setup minus the above)", None),
        ("QI: query_raw (native AddRef, live-object registration)", None),
        ("destruction: the client wrapper's .release() (the last reference: the object is destroyed)", None),
        ("(not in the row) destruction by a native Release (vt_Release -> _on_zero callback -> Python)", None),
        ("factory: ClassFactory.CreateInstance's own Python (the rest of the impl)", None),
        ("client: the result wrapped (from_raw: a same-context wrapper)", None),
        ("cffi transitions: the client's call, the thunk (a cffi callback), the [out] write, the return", None),
    ]
    null = ffi.NULL

    clock = time.thread_time  # CPU time of this thread: the other engineers' processes do not count (10 ms steps)

    def batch() -> tuple[float, float, float, float]:
        """QI, the client's wrapper, its final release (which destroys), and a final Release from native code, each
        timed on a batch of objects made beforehand."""
        m = n * 10
        objs = [PyTarget() for _ in range(2 * m)]
        t0 = clock()
        raws = [o.query_raw(iid) for o in objs]
        t1 = clock()
        ptrs = [ptr_cls.from_raw(raw) for raw in raws[:m]]
        t2 = clock()
        del objs
        for ptr in ptrs:
            ptr.release()
        t3 = clock()
        for raw in raws[m:]:
            raw_release(raw)
        t4 = clock()
        return (t1 - t0) / (2 * m), (t2 - t1) / m, (t3 - t2) / m, (t4 - t3) / m

    loops = {
        "object": lambda: _bare(PyTarget),
        "handle": lambda: ffi.new_handle(factory),
        "block": lambda: _block(layout, ffi, objmod, handle),
        "new": PyTarget,  # __new__ (all of _com_setup) + __init__, never referenced
        "cqr": lambda: ptr_cls.from_raw(PyTarget().query_raw(iid)).release(),
        "impl": lambda: ptr_cls.from_raw(factory.CreateInstance(null, iid).query_raw(iid)).release(),
        "total": lambda: cf.CreateInstance(None, iid).release(),
    }
    best = dict.fromkeys([*loops, "qi", "wrap", "release", "native release"], float("inf"))
    counts = {}  # iterations per step: about 0.3 s of CPU each (the clock's 10 ms steps are then 3 %)
    for key, fn in loops.items():
        counts[key] = max(1000, int(0.3 / max(timeit.timeit(fn, number=1000) / 1000, 1e-8)))
    for _ in range(r):  # interleaved: a slow moment of the shared machine hits every step alike
        for key, fn in loops.items():
            best[key] = min(best[key], timeit.Timer(fn, timer=clock).timeit(number=counts[key]) / counts[key])
        for key, value in zip(("qi", "wrap", "release", "native release"), batch(), strict=True):
            best[key] = min(best[key], value)
    cf.release()
    t: dict[str, float] = {}
    names = [name for name, _ in steps]
    t[names[0]], t[names[1]], t[names[2]] = best["object"], best["handle"], best["block"]
    t[names[3]] = best["new"] - best["object"] - best["handle"] - best["block"]
    t[names[4]], t[names[5]], t[names[6]] = best["qi"], best["release"], best["native release"]
    t[names[7]] = best["impl"] - best["cqr"]
    t[names[8]] = best["wrap"]
    t[names[9]] = best["total"] - best["impl"]
    t_total = best["total"]
    print(f"row 1c, ours -> ours: {t_total * 1e6:.2f} us of CPU per CreateInstance + Release (best of {r})")
    print("| step | µs | share |")
    print("|---|---|---|")
    for name, _ in steps:
        share = "" if name.startswith("(not") else f"{t[name] / t_total:.0%}"
        print(f"| {name} | {t[name] * 1e6:.2f} | {share} |")
    print(f"| total (the row's loop) | {t_total * 1e6:.2f} | 100% |")
    return 0


def _bare(cls: Any) -> None:
    """A Python object of ``cls`` without its COM setup (its block slot empty, as a destroyed object's)."""
    obj = object.__new__(cls)
    obj._com_block = None
    cls.__init__(obj)


def _block(layout: Any, ffi: Any, objmod: Any, handle: Any) -> Any:
    values = layout.plain_block.copy()
    values[objmod._H + 1 :: objmod._S] = [handle] * layout.nslots
    return ffi.new(layout.block_type, values)


if __name__ == "__main__":
    sys.exit(main())
