"""Where row 1b's time goes: CoCreateInstance through an InprocServer32 entry, ours against C++ (issue 14, item 2).

Run: ``tools/winpy bench/breakdown_1b.py [--repeat N]``. Registers both classes as the runner does (ours through
``ole32_servers.inproc``'s python_inproc.dll, C++ as the test DLL), then times, for each, in CPU time of this thread
(best of N interleaved rounds; the machine is shared):

* CoCreateInstance + Release from our client (the row's pair ``ours -> X``);
* CoGetClassObject + Release (COM's registry lookups and the DLL's DllGetClassObject, no object);
* the DLL's DllGetClassObject called directly (found with GetProcAddress): the host's own cost;
* for ours, ``ole32_servers.inproc.class_object`` called from Python (what DllGetClassObject calls);
* IClassFactory::CreateInstance + Release on the held class object (row 1c's pair).

The rest of CoCreateInstance is COM's own (the registry, the DLL cache), which both pay alike.
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    from ole32_bindings import activation, apartments, registry
    from ole32_bindings.constants import CLSCTX
    from ole32_bindings.dlls import ffi
    from ole32_bindings.pointers import release

    apartments.co_initialize()
    from bench import pairs as P
    from bench.benchtarget import CLSID_CppBenchTarget, CLSID_PyInprocTarget, IBenchTarget
    from ole32_servers import inproc
    from vtables.client import client_class
    from vtables.interfaces import IClassFactory, IUnknown

    key = f"CLSID\\{CLSID_CppBenchTarget}"
    dll_cpp = os.path.abspath(P.TESTLIB_DLL)
    registry.set_value(registry.HKEY_CLASSES_ROOT, key, None, "breakdown_1b: C++ bench target")
    registry.set_value(registry.HKEY_CLASSES_ROOT, key + "\\InprocServer32", None, dll_cpp)
    registry.set_value(registry.HKEY_CLASSES_ROOT, key + "\\InprocServer32", "ThreadingModel", "Both")
    inproc.register_inproc(CLSID_PyInprocTarget, "bench.benchtarget:py_target_class", python_path=[ROOT])
    ctx = int(CLSCTX.INPROC_SERVER)
    iid, cf_iid = IBenchTarget.iid, IClassFactory.iid
    import ctypes

    k32 = ctypes.WinDLL("kernel32")
    k32.GetModuleHandleW.restype = ctypes.c_void_p
    k32.GetModuleHandleW.argtypes = [ctypes.c_wchar_p]
    k32.GetProcAddress.restype = ctypes.c_void_p
    k32.GetProcAddress.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    dgco_t = ffi.typeof("HRESULT(*)(const GUID *, const GUID *, void **)")
    clock = time.thread_time
    out = ffi.new("void **")

    def dgco(clsid: Any, dll: str) -> Any:
        """The DLL's DllGetClassObject (the DLL is loaded by a first activation)."""
        module = k32.GetModuleHandleW(dll)
        assert module, dll
        return ffi.cast(dgco_t, k32.GetProcAddress(module, b"DllGetClassObject"))

    rows: dict[str, dict[str, Any]] = {}
    for name, clsid, dll in (
        ("ours", CLSID_PyInprocTarget, os.path.abspath(inproc.HOST_DLL)),
        ("cpp", CLSID_CppBenchTarget, dll_cpp),
    ):
        first = activation.create_instance(clsid, IUnknown.iid, ctx)
        release(first)
        fn = dgco(clsid, dll)
        c, u = clsid.cdata(ffi), cf_iid.cdata(ffi)
        held = client_class(IClassFactory).from_raw(activation.get_class_object(clsid, cf_iid, ctx), direct=False)

        def direct_dgco(fn: Any = fn, c: Any = c, u: Any = u) -> None:
            assert fn(c, u, out) == 0
            release(out[0])

        loops = {
            "CoCreateInstance + Release (the row)": lambda clsid=clsid: release(
                activation.create_instance(clsid, iid, ctx)
            ),
            "CoGetClassObject + Release (COM's lookups + DllGetClassObject)": lambda clsid=clsid: release(
                activation.get_class_object(clsid, cf_iid, ctx)
            ),
            "DllGetClassObject called directly + Release": direct_dgco,
            "IClassFactory::CreateInstance + Release (row 1c)": lambda held=held: held.CreateInstance(
                None, iid
            ).release(),
        }
        if name == "ours":
            text_c, text_i = str(clsid), str(cf_iid)
            loops["ole32_servers.inproc.class_object from Python + Release"] = lambda c=text_c, i=text_i: release(
                ffi.cast("void *", inproc.class_object(c, i))
            )
        rows[name] = {"loops": loops, "held": held, "best": dict.fromkeys(loops, float("inf"))}
    counts = {}
    for name, row in rows.items():
        for k, fn in row["loops"].items():
            counts[(name, k)] = max(200, int(0.3 / max(timeit.timeit(fn, number=200) / 200, 1e-8)))
    for _ in range(args.repeat):
        for name, row in rows.items():
            for k, fn in row["loops"].items():
                n = counts[(name, k)]
                row["best"][k] = min(row["best"][k], timeit.Timer(fn, timer=clock).timeit(number=n) / n)
    for row in rows.values():
        row["held"].release()
    inproc.release_class_objects()
    inproc.unregister_inproc(CLSID_PyInprocTarget)
    registry.delete_tree(registry.HKEY_CLASSES_ROOT, key)

    print(f"row 1b breakdown, CPU µs of this thread (best of {args.repeat})")
    print("| step | ours | C++ | ours - C++ |")
    print("|---|---|---|---|")
    for k in rows["ours"]["best"]:
        o = rows["ours"]["best"][k]
        c = rows["cpp"]["best"].get(k)
        cpp = f"{c * 1e6:.2f}" if c is not None else ""
        diff = f"{(o - c) * 1e6:.2f}" if c is not None else ""
        print(f"| {k} | {o * 1e6:.2f} | {cpp} | {diff} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
