"""Our event source as a LocalServer32 (bench/events.py, rows 12e and 12f): PyEventSource, CLSID_PyEventServer.
Registered by the runner (``bench.events.register``); COM runs ``python bench/eventserver.py -Embedding``."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench.events import CLSID_PyEventServer, py_source_class, registrations  # noqa: E402


def main(argv):
    from ole32_servers.localserver import LocalServer

    linger = float(os.environ.get("OLE32B_BENCH_LINGER", "0.5"))
    server = LocalServer([(CLSID_PyEventServer, py_source_class())], apartment="MTA", linger=linger, idle_timeout=30)
    return server.main(argv, registrations()[1], log_path=os.environ.get("OLE32B_BENCH_SERVER_LOG"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
