"""The events example's server (README.md): ``clock.Clock`` as a LocalServer32, ``Ole32Bindings.Clock``, with a
type library generated from the declarations, whose coclass names the two sources (``DClockEvents`` the
``[default, source]``).

    python server.py -RegServer      # the CLSID, the ProgIDs and the type library (built next to this script)
    python server.py -UnregServer    # removes all of it
    python server.py -Embedding      # what COM runs for Ole32Bindings.Clock (it appends -Embedding)
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:  # when COM starts this script, its folder is sys.path[0]; when imported, make it so
    sys.path.insert(0, HERE)

from clock import PROGID, Clock, CLSID_Clock, DClockEvents, IClock, IClockBell, LIBID_Clock  # noqa: E402

from ole32_servers.localserver import LocalServer  # noqa: E402
from ole32_servers.registration import ServerRegistration, python_command  # noqa: E402
from ole32_servers.typelib import CoClass, GeneratedTypeLibrary  # noqa: E402

TYPELIB_PATH = os.path.join(HERE, "Ole32BindingsClock.tlb")


def registration() -> ServerRegistration:
    """The LocalServer32 class: this script, run by COM's python."""
    return ServerRegistration(
        CLSID_Clock,
        "ole32-bindings events example (Clock)",
        python_command(__file__),
        progid=PROGID + ".1",
        version_independent_progid=PROGID,
        typelib=LIBID_Clock,
    )


#: the type library: the interfaces, and the coclass with its [default] interface and its sources
TYPELIB = GeneratedTypeLibrary(
    TYPELIB_PATH,
    LIBID_Clock,
    "Ole32BindingsClock",
    [IClock, IClockBell, DClockEvents],
    coclasses=[CoClass("Clock", CLSID_Clock, [IClock], source=[DClockEvents, IClockBell])],
)


def main(argv: list[str]) -> int:
    server = LocalServer([(CLSID_Clock, Clock)], apartment="MTA", linger=1.0)
    return server.main(argv, registration(), typelib=TYPELIB, log_path=os.environ.get("OLE32B_CLOCK_LOG") or None)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
