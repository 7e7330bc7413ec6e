"""The comtypes LocalServer32 of the bench: bench/cttarget.py's ``CtTarget`` (IBenchTarget, CLSID_CtBenchServer, rows
5-8) and bench/ctdual.py's ``CtDual`` (IBenchDual, CLSID_CtBenchDualServer, rows 10a/10b) served out of process by
comtypes' own local server (``comtypes.server.localserver.run``: its class factories, CoRegisterClassObject, an MTA
that waits until the last object is gone), two classes in one process as bench_cpp_server.exe and ours serve theirs.

    python bench/ctserver.py -RegServer     # HKCR registration of both classes (IBenchTarget's type library:
                                            # bench/pyserver.py; BenchDualLib: bench_cpp_server.exe -RegServer)
    python bench/ctserver.py -UnregServer
    python bench/ctserver.py -Embedding     # what COM runs (Wine appends -Embedding to the registered command)

Serving loads nothing of this project but bench.contract, bench.serverproc, bench.cttarget and bench.ctdual (the
cold start is comtypes' own, including ``comtypes.client.GetModule`` importing the module it generated from
BenchDualLib: ``-RegServer`` generates it).
comtypes counts live objects with CoAddRefServerProcess / CoReleaseServerProcess and exits as soon as the count
is back to 0 (no linger). Added here: a server that no client ever used exits after ``IDLE_TIMEOUT`` seconds, and
the stub pins of bench/serverproc.py (a Wine 8 hang workaround that comtypes' server cannot see).
"""

import os
import sys
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:  # the embeddable Python's ._pth leaves the script's directory off sys.path
    sys.path.insert(0, ROOT)

from bench import contract  # noqa: E402
from bench.serverproc import PINNED_IIDS, StubPins, detach_std_handles  # noqa: E402

IDLE_TIMEOUT = 30.0


def registration():
    from ole32_bindings.guid import Guid
    from ole32_servers.registration import ServerRegistration, python_command

    clsid = Guid(contract.CLSID_CtBenchServer)
    return ServerRegistration(
        clsid,
        "ole32-bindings IBenchTarget server (comtypes)",
        python_command(os.path.abspath(__file__)),
        progid="Ole32Bindings.BenchServerCt.1",
        appid=clsid,
    )


def dual_registration():
    from ole32_bindings.guid import Guid
    from ole32_servers.registration import ServerRegistration, python_command

    clsid = Guid(contract.CLSID_CtBenchDualServer)
    return ServerRegistration(
        clsid,
        "ole32-bindings IBenchDual server (comtypes)",
        python_command(os.path.abspath(__file__)),
        progid="Ole32Bindings.BenchDualServerCt.1",
        appid=clsid,
    )


def register() -> None:
    """Both classes; and comtypes' module for BenchDualLib generated now, so that serving only imports it."""
    from ole32_servers.registration import register as register_server

    register_server(registration())
    register_server(dual_registration())
    import comtypes.client

    from bench.ctdual import TLB

    comtypes.client.GetModule(TLB)


def unregister() -> None:
    from ole32_servers.registration import unregister as unregister_server

    unregister_server(registration())
    unregister_server(dual_registration())


def serve():
    sys.coinit_flags = 0  # comtypes joins COM on import: the MTA, like the C++ server and ours
    import comtypes
    from comtypes import COMObject
    from comtypes.server.localserver import run

    from bench.ctdual import CtDual
    from bench.cttarget import CtTarget

    used = threading.Event()

    class CtBenchServer(CtTarget):
        _reg_clsid_ = comtypes.GUID(contract.CLSID_CtBenchServer)
        _reg_clsctx_ = comtypes.CLSCTX_LOCAL_SERVER

        def __init__(self):
            used.set()
            super().__init__()

    class CtDualServer(CtDual):
        _reg_clsid_ = comtypes.GUID(contract.CLSID_CtBenchDualServer)
        _reg_clsctx_ = comtypes.CLSCTX_LOCAL_SERVER

        def __init__(self):
            used.set()
            super().__init__()

    def idle_exit():
        if not used.wait(IDLE_TIMEOUT):
            server = COMObject.__server__  # comtypes' LocalServer: its MTA loop waits on this queue
            if server is not None and server._queue is not None:
                server._queue.put(0)

    threading.Thread(target=idle_exit, daemon=True, name="idle-exit").start()
    pins = StubPins(PINNED_IIDS)  # the Wine 8 hang workaround the C++ server and ours apply to themselves
    try:
        run([CtBenchServer, CtDualServer])  # registers, waits until the last object is released, revokes
    finally:
        pins.release()
    return 0


def main(argv):
    args = [a.lower().lstrip("-/") for a in argv]
    if "regserver" in args or "unregserver" in args:
        (register if "regserver" in args else unregister)()
        return 0
    detach_std_handles()
    return serve()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
