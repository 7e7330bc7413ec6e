"""Reproduction: under Wine 8 the IErrorInfo a LocalServer32 sets does not reach its client across processes.

    tools/winpy stress/repros/errorinfo_across_processes.py

Our server (stress/server.py) raises ValueError in IBenchTarget.Work(-1): its thunk returns E_INVALIDARG and calls
SetErrorInfo, as in process (where the client reads the description back). Across processes the HRESULT arrives,
the proxy answers ISupportErrorInfo (S_OK for IBenchTarget), but GetErrorInfo on the client thread returns nothing.
Windows carries the error object back in the reply (the ORPCTHAT's error-info extension); Wine 8's channel does not.
Through IDispatch the text still arrives: EXCEPINFO is an argument of Invoke (docs/automation.md).
Prints what the client got; exit status 0 when it reproduces (no description), 1 when the description arrived.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from ole32_bindings import apartments, errorinfo
from ole32_bindings.hresult import ComError
from stress.faults import _Server, _target
from vtables.interfaces import ISupportErrorInfo


def main() -> int:
    apartments.co_initialize()
    s = _Server()
    try:
        p = _target(s.target)
        s.read_pid()
        try:
            with p.query(ISupportErrorInfo) as sei:
                supports = sei.InterfaceSupportsErrorInfo(p.interface.iid) == 0
            try:
                p.Work(-1)
                print("Work(-1) succeeded?!")
                return 1
            except ComError as e:
                print(f"HRESULT {e.name}; ISupportErrorInfo: {supports}; description: {e.description!r}")
                print(f"GetErrorInfo afterwards: {errorinfo.take_error_info()!r}")
                return 0 if e.description is None else 1
        finally:
            p.release()
    finally:
        s.close()
        apartments.co_uninitialize()


if __name__ == "__main__":
    sys.exit(main())
