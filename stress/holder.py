"""A client that dies holding a reference (make stress's faults, tests/ole32_servers/test_faults.py): it activates
``clsid`` as a local server (IPersist: ole32's own proxy, no type library needed), prints ``holding``, calls
GetClassID every 0.3 s for ``seconds``, prints ``quiet``, then holds its reference silently until it is killed.

    python stress/holder.py {clsid} [seconds]
"""

import sys
import time

from ole32_bindings import activation, apartments
from ole32_bindings.constants import CLSCTX
from ole32_bindings.guid import Guid
from vtables.client import client_class
from vtables.interfaces import IPersist


def main(argv: list[str]) -> int:
    apartments.co_initialize()
    deadline = time.monotonic() + 30
    while True:
        try:
            raw = activation.create_instance(Guid(argv[0]), IPersist.iid, CLSCTX.LOCAL_SERVER)
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    p = client_class(IPersist).from_raw(raw)
    print("holding", flush=True)
    until = time.monotonic() + (float(argv[1]) if len(argv) > 1 else 0.0)
    while time.monotonic() < until:
        p.GetClassID()
        time.sleep(0.3)
    print("quiet", flush=True)
    time.sleep(600)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
