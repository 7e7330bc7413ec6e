"""The LocalServer32 of the services fault tests (test_service_faults.py): one serviced IBenchTarget class
(servicedtargets.build; ``Work(5)`` reads the pool's counts as ``made*10000 + in_use*100 + idle``).

python faultserver.py -Embedding -Clsid {...} -Kind KIND -PidFile PATH [-Linger SECONDS] [-Idle SECONDS] [-Log PATH]

KIND: pooled, jit, failactivate, construct, causality, synced or unsynced.

pooled: ObjectPooling(1, 2, 500 ms); jit: the same plus JustInTimeActivation, Work @auto_complete; failactivate:
pooled, Activate raises; construct: ObjectPooling(0, 2, 500 ms) with ConstructionEnabled("refuse: bad DSN"),
which the class refuses; causality: no services, ``Work(n)`` returns the first 4 bytes (a LONG) of the causality
id the call is served with; synced / unsynced: ``Work(n)`` spends n ms inside the object and returns the most
calls ever inside at once, with and without Synchronization.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path[:0] = [HERE, ROOT]  # servicedtargets, and the repository root for bench.benchtarget


def option(argv, name, default=None):
    lowered = [a.lower() for a in argv]
    key = "-" + name.lower()
    return argv[lowered.index(key) + 1] if key in lowered else default


def served(kind):
    from servicedtargets import build

    from ole32_servers.services import ConstructionEnabled, JustInTimeActivation, ObjectPooling

    pooling = ObjectPooling(1, 2, 500)
    if kind == "pooled":
        return build("FaultPooled", [pooling])
    if kind == "jit":
        return build("FaultJit", [pooling, JustInTimeActivation()], auto_complete_work=True)
    if kind == "failactivate":
        cls = build("FaultActivate", [ObjectPooling(0, 2, 500)])
        cls.fail = {"Activate"}
        return cls
    if kind == "construct":
        return build(
            "FaultConstruct", [ObjectPooling(0, 2, 500), ConstructionEnabled("refuse: bad DSN")], construct=True
        )
    if kind == "causality":  # no services: Work(n) answers the first 4 bytes of the serving thread's causality id
        import struct

        from bench.benchtarget import IBenchTarget
        from ole32_servers.services.synchronization import causality
        from vtables.object import ComObject

        class CausalityTarget(ComObject, implements=[IBenchTarget]):
            def Nothing(self):
                return None

            def Work(self, n):
                return struct.unpack("<i", causality()[:4])[0]

        return CausalityTarget
    if kind in ("synced", "unsynced"):  # Work(n): n > 0: a call of n ms inside the object; returns the most calls
        import threading  # ever inside at once (synced: Synchronization; unsynced: no services)
        import time

        from bench.benchtarget import IBenchTarget
        from ole32_servers.services import ServicedComponent, Synchronization

        guard = threading.Lock()
        state = {"inside": 0, "most": 0}

        class Counted(
            ServicedComponent, implements=[IBenchTarget], services=[Synchronization()] if kind == "synced" else []
        ):
            def Nothing(self):
                return None

            def Work(self, n):
                with guard:
                    state["inside"] += 1
                    state["most"] = max(state["most"], state["inside"])
                time.sleep(n / 1000)
                with guard:
                    state["inside"] -= 1
                return state["most"]

        return Counted
    raise SystemExit(f"unknown -Kind {kind}")


def main(argv):
    from ole32_bindings.guid import Guid
    from ole32_servers.localserver import LocalServer
    from ole32_servers.registration import ServerRegistration, python_command

    pid_file = option(argv, "PidFile")
    if pid_file:
        with open(pid_file, "w") as f:
            f.write(str(os.getpid()))
    clsid = Guid(option(argv, "Clsid"))
    server = LocalServer(
        [(clsid, served(option(argv, "Kind", "pooled")))],
        apartment="MTA",
        linger=float(option(argv, "Linger", "2")),
        idle_timeout=float(option(argv, "Idle", "30")),
    )
    registration = ServerRegistration(clsid, "ole32-bindings services fault server", python_command(__file__))
    return server.main(argv, registration, log_path=option(argv, "Log"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
