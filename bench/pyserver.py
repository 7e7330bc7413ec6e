"""Our LocalServer32 of the bench: two classes in one process, as bench_cpp_server.exe serves its two:
PyTarget (IBenchTarget, CLSID_PyBenchServer, rows 5-8) and PyBenchDual (IBenchDual, CLSID_PyBenchDualServer, the
late-bound rows 10a/10b; IDispatch from vtables.dispatch).

python bench/pyserver.py -RegServer     # HKCR registration of both + IBenchTarget's type library, generated
python bench/pyserver.py -UnregServer
python bench/pyserver.py -Embedding     # what COM runs (Wine appends -Embedding to the registered command)
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench.benchdual import CLSID_PyBenchDualServer, py_dual_class  # noqa: E402
from bench.benchtarget import CLSID_PyBenchServer, IBenchTarget, LIBID_BenchTarget, make_classes  # noqa: E402

TLB = os.path.join(ROOT, "build", "bench", "benchtarget_py.tlb")


def registration():
    from ole32_servers.registration import ServerRegistration, python_command

    return ServerRegistration(
        CLSID_PyBenchServer,
        "ole32-bindings IBenchTarget server (Python)",
        python_command(os.path.abspath(__file__)),
        progid="Ole32Bindings.BenchServer.1",
        appid=CLSID_PyBenchServer,
    )


def dual_registration():
    """PyBenchDual's class (IBenchDual's type library is widl's BenchDualLib, registered by bench_cpp_server.exe)."""
    from ole32_servers.registration import ServerRegistration, python_command

    return ServerRegistration(
        CLSID_PyBenchDualServer,
        "ole32-bindings IBenchDual server (Python)",
        python_command(os.path.abspath(__file__)),
        progid="Ole32Bindings.BenchDualServer.1",
        appid=CLSID_PyBenchDualServer,
    )


def typelib():
    from ole32_servers.typelib import GeneratedTypeLibrary

    return GeneratedTypeLibrary(TLB, LIBID_BenchTarget, "BenchTargetLib", [IBenchTarget])


def main(argv):
    from ole32_servers.localserver import LocalServer
    from ole32_servers.registration import register, unregister

    args = [a.lower().lstrip("-/") for a in argv]
    if "regserver" in args or "unregserver" in args:  # the second class here, the first (and the typelib) below
        (register if "regserver" in args else unregister)(dual_registration())
    PyTarget, _ = make_classes()
    classes = [(CLSID_PyBenchServer, PyTarget), (CLSID_PyBenchDualServer, py_dual_class())]
    linger = float(os.environ.get("OLE32B_BENCH_LINGER", "0.5"))
    if os.environ.get("OLE32B_BENCH_SWITCH_INTERVAL"):  # bench/load_breakdown.py's GIL experiment
        sys.setswitchinterval(float(os.environ["OLE32B_BENCH_SWITCH_INTERVAL"]))
    server = LocalServer(classes, apartment="MTA", linger=linger, idle_timeout=30)
    # OLE32B_BENCH_SERVER_LOG=path: the server's log (each refused or failed call with its traceback) goes there
    return server.main(argv, registration(), typelib=typelib(), log_path=os.environ.get("OLE32B_BENCH_SERVER_LOG"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
