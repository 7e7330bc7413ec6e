"""A LocalServer32 that fires events, for the tests: Clock (IClock; sources DClockEvents, IAlarmSink) under the CLSID
given with -Clsid. The declarations are importable by the tests (the client process) too.

python clockserver.py -Embedding -Clsid {...} [-Apartment STA|MTA] [-PidFile PATH] [-Log PATH] [-Idle SECONDS]
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(os.path.dirname(HERE))]

from ole32_bindings.guid import Guid  # noqa: E402
from vtables import method  # noqa: E402
from vtables.interfaces import IUnknown  # noqa: E402
from vtables.members import DispInterface, dispmethod  # noqa: E402

LIBID_ClockServer = Guid("{7A0C52D4-3B61-4F0E-8D2A-5C9E1B7F3A10}")


class DServerClockEvents(DispInterface):
    iid = "{7A0C52D4-3B61-4F0E-8D2A-5C9E1B7F3A11}"
    Tick = dispmethod("[id(1)] void Tick([in] LONG n, [in] BSTR label)")


class IServerAlarm(IUnknown):
    iid = "{7A0C52D4-3B61-4F0E-8D2A-5C9E1B7F3A12}"
    Ring = method("HRESULT Ring([in] BSTR why, [in] LONG level)")


class IServerClock(IUnknown):
    iid = "{7A0C52D4-3B61-4F0E-8D2A-5C9E1B7F3A13}"
    Start = method("HRESULT Start([in] LONG n, [out, retval] LONG *failed)")
    Alarm = method("HRESULT Alarm([in] BSTR why, [out, retval] LONG *failed)")
    Connections = method("HRESULT Connections([out, retval] LONG *count)")


def make_clock(server_clsid: Guid):
    """The served class, with its CLSID (IProvideClassInfo2 and the coclass type information need one)."""
    from vtables import ComObject
    from vtables.events import connections

    class ServerClock(ComObject, implements=[IServerClock], sources=[DServerClockEvents, IServerAlarm]):
        """Start(n) fires Tick(n, "t<n>"), Alarm(why) fires Ring(why, 1): each returns how many sinks failed."""

        clsid = server_clsid

        def Start(self, n):
            return len(self.fire(DServerClockEvents.Tick, n, f"t{n}"))

        def Alarm(self, why):
            return len(self.fire(IServerAlarm.Ring, why, 1))

        def Connections(self):
            return len(connections(self, DServerClockEvents)) + len(connections(self, IServerAlarm))

    return ServerClock


def option(argv, name, default=None):
    lowered = [a.lower() for a in argv]
    key = "-" + name.lower()
    if key in lowered:
        return argv[lowered.index(key) + 1]
    return default


def main(argv):
    from ole32_servers.localserver import LocalServer
    from ole32_servers.registration import ServerRegistration, python_command

    pid_file = option(argv, "PidFile")
    if pid_file:
        with open(pid_file, "w") as f:
            f.write(str(os.getpid()))
    clsid = Guid(option(argv, "Clsid"))
    server = LocalServer(
        [(clsid, make_clock(clsid))],
        apartment=option(argv, "Apartment", "MTA"),
        linger=0.2,
        idle_timeout=float(option(argv, "Idle", "20")),
    )
    registration = ServerRegistration(clsid, "ole32-bindings clock server", python_command(os.path.abspath(__file__)))
    return server.main(argv, registration, log_path=option(argv, "Log"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
