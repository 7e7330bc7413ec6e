"""Regression check for a bug of ours it found: comtypes' class factory (as bench/pairs.comtypes_factory_raw makes
it) driven through our IClassFactory client pointer, CreateInstance + Work(100) + Release, a few hundred times.

Under Wine 8 Work(100) once returned garbage (90239512), and in a loop of 300 fresh factories the process died in
ucrtbase memcpy; a faulthandler dump showed our client's Work landing in comtypes' QueryInterface. Cause: the
client cached slot functions by vtable address, and comtypes builds its vtables on the heap, so a freed vtable's
address came back holding another class's functions. Fixed in vtables.client._functions (cache only vtables that
cannot be reused); this loop must report 0 bad results and not crash.

    tools/winpy bench/repros/comtypes_factory_through_our_client.py [iterations]
"""

import os
import sys

sys.coinit_flags = 0
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from bench import pairs as P  # noqa: E402
from ole32_bindings import apartments  # noqa: E402

if __name__ == "__main__":
    apartments.co_initialize()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    bad = 0
    for i in range(n):
        m = P.createinstance_ours(P.client_class(P.IClassFactory).from_raw(P.comtypes_factory_raw()))
        try:
            m.check()
        except Exception as e:
            bad += 1
            print(i, e)
        m.sample(5)
        m.close()
    print(f"{n} factories, {bad} bad Work results")
