"""The first seed ("Implementing COM OutOfProc Servers in C# .NET"), in Python: an out-of-process COM server with
its own IClassFactory, registered with CoRegisterClassObject, activated by a client, and shut down.

    python server.py -RegServer      # CLSID, LocalServer32 (this script), ProgID, AppID; per user unless
                                     # OLE32_BINDINGS_REGISTRATION=machine (HKCR: what Wine needs; tools/winpy sets it)
    python server.py -UnregServer
    python server.py -Embedding      # what COM runs when a client asks for the class (Wine appends -Embedding)

The seed stops at the happy path; ole32_servers does the rest: REGCLS_SUSPENDED + CoResumeClassObjects, the process
lock (CoAddRefServerProcess per object and LockServer), the linger, revocation and a clean exit.
"""

import sys

from ole32_bindings.guid import Guid
from ole32_servers.localserver import LocalServer
from ole32_servers.registration import ServerRegistration, python_command
from vtables.interfaces import IPersist
from vtables.object import ComObject

CLSID_Greeter = Guid("{2E6B7F10-5A4C-4D3B-9E21-7C8D9EAF0B11}")


class Greeter(ComObject, implements=[IPersist]):
    """The object the seed returns from CreateInstance; IPersist because every COM runtime can marshal it."""

    def GetClassID(self) -> Guid:
        return CLSID_Greeter


def registration() -> ServerRegistration:
    return ServerRegistration(
        CLSID_Greeter,
        "ole32-bindings example: Greeter",
        python_command(__file__),
        progid="Ole32Bindings.Greeter.1",
        appid=CLSID_Greeter,
    )


if __name__ == "__main__":
    # ClassFactory (vtables.factory) is the IClassFactory of the seed's step 1; LocalServer registers it (step 2-3)
    # and its CreateInstance returns a new Greeter (step 4); lifetime is COM's counting, not a GC (step 5).
    server = LocalServer([(CLSID_Greeter, Greeter)], apartment="MTA", linger=1.0)
    sys.exit(server.main(sys.argv[1:], registration()))
