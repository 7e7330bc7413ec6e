"""The server half of bench/repros/threadstate_per_rpc_thread.py: our PyTarget whose Nothing() records, in a
threading.local, whether this Python thread state is new (a thread state made per callback would be new every call)
and which OS thread runs it; Work(-5) returns how many fresh thread states it saw, Work(-6) how many OS threads."""

import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from bench.benchtarget import make_classes
from ole32_bindings.guid import Guid
from ole32_servers.localserver import LocalServer

PyTarget, _ = make_classes()
local = threading.local()
fresh = [0]
threads = set()


class Probe(PyTarget):
    def Nothing(self):
        threads.add(threading.get_ident())
        if not hasattr(local, "n"):
            fresh[0] += 1
            local.n = 0
        local.n += 1

    def Work(self, n):
        if n == -5:
            return fresh[0]
        if n == -6:
            return len(threads)
        return PyTarget.Work(self, n)


sys.exit(LocalServer([(Guid(sys.argv[1]), Probe)], linger=0.3, idle_timeout=30).main(sys.argv[2:]))
