"""Our IBenchTarget LocalServer32: the Python implementation served out of process (CLSID_PyBenchServer).

python bench/pyserver.py -RegServer     # HKCR registration + IBenchTarget's type library, generated
python bench/pyserver.py -UnregServer
python bench/pyserver.py -Embedding     # what COM runs (Wine appends -Embedding to the registered command)
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

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


def typelib():
    from ole32_servers.typelib import GeneratedTypeLibrary

    return GeneratedTypeLibrary(TLB, LIBID_BenchTarget, "BenchTargetLib", [IBenchTarget])


def main(argv):
    from ole32_servers.localserver import LocalServer

    PyTarget, _ = make_classes()
    linger = float(os.environ.get("OLE32B_BENCH_LINGER", "0.5"))
    server = LocalServer([(CLSID_PyBenchServer, PyTarget)], apartment="MTA", linger=linger, idle_timeout=30)
    # OLE32B_BENCH_SERVER_LOG=path: the server's log (each refused or failed call with its traceback) goes there
    return server.main(argv, registration(), typelib=typelib(), log_path=os.environ.get("OLE32B_BENCH_SERVER_LOG"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
