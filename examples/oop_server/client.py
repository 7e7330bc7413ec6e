"""Activate the example server by CLSID (COM starts it), call it, release it; the server then exits by itself.

python server.py -RegServer && python client.py && python server.py -UnregServer
"""

import os
import sys
import time

# The embeddable CPython's ._pth file leaves the script's folder off sys.path: put it back for `server`.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from server import CLSID_Greeter

from ole32_bindings import activation, apartments
from ole32_bindings.constants import CLSCTX
from vtables.client import client_class
from vtables.interfaces import IPersist

if __name__ == "__main__":
    with apartments.apartment():
        t0 = time.perf_counter()
        raw = activation.create_instance(CLSID_Greeter, IPersist.iid, CLSCTX.LOCAL_SERVER)
        print(f"activated in {time.perf_counter() - t0:.3f} s (COM started the server)")
        with client_class(IPersist).from_raw(raw) as greeter:
            print("GetClassID ->", greeter.GetClassID(), "through", type(greeter).__name__)
        print("released: the server lingers 1 s, revokes its class object and exits")
