"""A LocalServer32 written with ole32_servers, for the tests: PyTarget (IBenchTarget, IPersist) under CLSID_PyServer.

python pyserver.py [-RegServer | -UnregServer | -Embedding] [-Apartment STA|MTA] [-Linger SECONDS]
                   [-Idle SECONDS] [-Orphan SECONDS] [-PidFile PATH] [-Log PATH] [-Services pooled|jit|construct]
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(os.path.dirname(HERE))]  # the repository root, for bench.benchtarget

from ole32_bindings.guid import Guid  # noqa: E402

CLSID_PyServer = Guid("{5B0D1F3A-7C2E-4A19-8E5D-3F6A7B8C9D01}")


def option(argv, name, default=None):
    lowered = [a.lower() for a in argv]
    key = "-" + name.lower()
    if key in lowered:
        i = lowered.index(key)
        return argv[i + 1]
    return default


#: Wine 8 does not start a LocalServer32 whose command line has this many characters or more: activation fails with
#: ERROR_FILE_NOT_FOUND and no process starts (docs/wine.md). Windows takes longer ones.
WINE_COMMAND_LIMIT = 260


def registration(command_args=(), clsid=CLSID_PyServer, services=None, check_length=True):
    """This server's registration, refused here (not as a puzzling ERROR_FILE_NOT_FOUND at activation) when its
    command line is too long for Wine to start it. (A server started by hand only revokes with it: no check.)"""
    from ole32_servers.registration import ServerRegistration, python_command

    command = python_command(os.path.abspath(__file__), *command_args)
    if check_length and len(command) >= WINE_COMMAND_LIMIT:
        raise ValueError(
            f"the test server's command line has {len(command)} characters; Wine 8 refuses {WINE_COMMAND_LIMIT} or "
            f"more (docs/wine.md): shorten the paths in it: {command}"
        )
    return ServerRegistration(
        clsid,
        "ole32-bindings test server",
        command,
        progid="Ole32Bindings.TestServer.1",
        appid=clsid,
        services=services,
    )


def main(argv):
    from bench.benchtarget import make_classes
    from ole32_servers.localserver import LocalServer

    pid_file = option(argv, "PidFile")
    serving = not any(a.lower() in ("-regserver", "-unregserver") for a in argv)
    if pid_file and serving:
        with open(pid_file, "w") as f:
            f.write(str(os.getpid()))
    PyTarget, _ = make_classes()
    served = PyTarget
    if option(argv, "Fail"):  # every CreateInstance fails with this HRESULT (tests of error propagation)
        from ole32_bindings.hresult import error_from_hresult

        failure = int(option(argv, "Fail"), 0)

        class Failing(PyTarget):
            def __init__(self):
                raise error_from_hresult(failure, "refused by -Fail")

        served = Failing
    if option(argv, "ByValue"):  # serve a marshal-by-value Point whose x is the argument: the client gets a copy
        sys.path.insert(0, os.path.dirname(HERE))  # tests/, for byvalue_point
        from byvalue_point import Point

        x = int(option(argv, "ByValue"))

        class ServedPoint(Point, by_value_name=Point.by_value_name):  # marshals as a plain Point
            def __init__(self):
                super().__init__(x, 7)

        served = ServedPoint
    if option(argv, "Services"):  # a class with services (tests/ole32_servers/services/servicedtargets.py)
        sys.path.insert(0, os.path.join(HERE, "services"))
        from servicedtargets import served_class

        served = served_class(option(argv, "Services"))
    clsid = Guid(option(argv, "Clsid", str(CLSID_PyServer)))
    server = LocalServer(
        [(clsid, served)],
        apartment=option(argv, "Apartment", "MTA"),
        linger=float(option(argv, "Linger", "0.2")),
        idle_timeout=float(option(argv, "Idle", "20")),
        orphan_timeout=float(option(argv, "Orphan")) if option(argv, "Orphan") else None,
    )
    extra = []
    for name in ("Apartment", "Linger", "Idle", "Orphan", "PidFile", "Log", "Fail", "Clsid", "ByValue", "Services"):
        value = option(argv, name)
        if value is not None:
            extra += ["-" + name, value]
    services = None
    if option(argv, "Services"):
        from ole32_servers.services import services_of

        services = services_of(served)
    return server.main(
        argv, registration(extra, clsid, services, check_length=not serving), log_path=option(argv, "Log")
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
