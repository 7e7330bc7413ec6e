"""The comtypes IBenchTarget LocalServer32 (CLSID_CtBenchServer): bench/cttarget.py's ``CtTarget`` served out of
process by comtypes' own local server (``comtypes.server.localserver.run``: its class factory,
CoRegisterClassObject, an MTA that waits until the last object is gone).

    python bench/ctserver.py -RegServer     # HKCR registration (IBenchTarget's type library: bench/pyserver.py)
    python bench/ctserver.py -UnregServer
    python bench/ctserver.py -Embedding     # what COM runs (Wine appends -Embedding to the registered command)

Serving loads nothing of this project but bench.contract, bench.serverproc and bench.cttarget (the cold start
is comtypes' own).
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


def serve():
    sys.coinit_flags = 0  # comtypes joins COM on import: the MTA, like the C++ server and ours
    import comtypes
    from comtypes import COMObject
    from comtypes.server.localserver import run

    from bench.cttarget import CtTarget

    used = threading.Event()

    class CtBenchServer(CtTarget):
        _reg_clsid_ = comtypes.GUID(contract.CLSID_CtBenchServer)
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
        run([CtBenchServer])  # registers, waits until the last object is released, revokes
    finally:
        pins.release()
    return 0


def main(argv):
    args = [a.lower().lstrip("-/") for a in argv]
    if "regserver" in args or "unregserver" in args:
        from ole32_servers.registration import register, unregister

        (register if "regserver" in args else unregister)(registration())
        return 0
    detach_std_handles()
    return serve()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
