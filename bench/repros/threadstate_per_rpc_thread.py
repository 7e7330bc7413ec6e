"""Does an RPC thread entering our server get a new Python thread state per call? No: one per RPC thread.

    tools/winpy bench/repros/threadstate_per_rpc_thread.py

Starts bench/repros/threadstate_server.py (it exits when its last client goes), makes 1,000 Nothing() calls from
one client thread, then 250 from each of 8 more, and prints the fresh thread states and the OS threads the server
saw. They are equal (about one per RPC thread, a handful for 3,000 calls): cffi keeps a foreign thread's state
between callbacks, so a call pays the GIL acquisition, not the making of a thread state.
"""

import os
import subprocess
import sys
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]


def main() -> int:
    from testlib import activate_local

    from bench import pyserver
    from bench.benchtarget import IBenchTarget
    from ole32_bindings import apartments
    from ole32_bindings.guid import Guid

    apartments.co_initialize()
    pyserver.typelib().register()
    clsid = Guid.new()
    server = os.path.join(ROOT, "bench", "repros", "threadstate_server.py")
    p = subprocess.Popen(
        [sys.executable, server, str(clsid), "-Embedding"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        t = activate_local(clsid, IBenchTarget)
        for _ in range(1000):
            t.Nothing()
        print(f"1 client thread, 1000 calls: fresh thread states {t.Work(-5)}, server OS threads {t.Work(-6)}")

        def hammer() -> None:
            apartments.co_initialize()
            for _ in range(250):
                t.Nothing()
            apartments.co_uninitialize()

        threads = [threading.Thread(target=hammer) for _ in range(8)]
        for x in threads:
            x.start()
        for x in threads:
            x.join()
        print(f"+8 client threads x 250 calls: fresh thread states {t.Work(-5)}, server OS threads {t.Work(-6)}")
        t.release()
        p.wait(30)
    finally:
        if p.poll() is None:
            p.kill()  # by id
            p.wait(10)
        apartments.co_uninitialize()
    return 0


if __name__ == "__main__":
    sys.exit(main())
