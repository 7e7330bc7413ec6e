"""The scripting contract's servers (README.md): one Python class, ``automation_contract.Contract``, as a
LocalServer32 (``Ole32Bindings.Contract``) and as an InprocServer32 (``Ole32Bindings.Contract.InProc``), both
described by one type library generated from the declaration.

    python server.py -RegServer      # both CLSIDs and ProgIDs, the type library (built next to this script)
    python server.py -UnregServer    # removes all of it
    python server.py -Embedding      # what COM runs for Ole32Bindings.Contract (it appends -Embedding)
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:  # when COM starts this script, its folder is sys.path[0]; when imported, make it so
    sys.path.insert(0, HERE)

from automation_contract import (  # noqa: E402
    PROGID,
    PROGID_INPROC,
    CLSID_Contract,
    CLSID_ContractInProc,
    Contract,
    IContract,
    LIBID_Contract,
)

from ole32_servers.inproc import register_inproc, unregister_inproc  # noqa: E402
from ole32_servers.localserver import LocalServer  # noqa: E402
from ole32_servers.registration import ServerRegistration, python_command  # noqa: E402
from ole32_servers.typelib import GeneratedTypeLibrary  # noqa: E402

TYPELIB_PATH = os.path.join(HERE, "Ole32BindingsContract.tlb")


def registration() -> ServerRegistration:
    """The LocalServer32 class: this script, run by COM's python."""
    return ServerRegistration(
        CLSID_Contract,
        "ole32-bindings scripting contract",
        python_command(__file__),
        progid=PROGID + ".1",
        version_independent_progid=PROGID,
        typelib=LIBID_Contract,
    )


class ContractTypeLibAndInProc:
    """What -RegServer adds beside the LocalServer32 keys: the type library (built from ``IContract`` and
    registered) and the same class as an InprocServer32 through ole32_servers' host DLL."""

    typelib = GeneratedTypeLibrary(TYPELIB_PATH, LIBID_Contract, "Ole32BindingsContract", [IContract])

    def register(self) -> None:
        register_inproc(
            CLSID_ContractInProc,
            "automation_contract:Contract",
            description="ole32-bindings scripting contract (in-process)",
            python_path=[HERE],
            progid=PROGID_INPROC + ".1",
            version_independent_progid=PROGID_INPROC,
            typelib=LIBID_Contract,
        )
        self.typelib.register()

    def unregister(self) -> None:
        unregister_inproc(CLSID_ContractInProc)
        self.typelib.unregister()


def main(argv: list[str]) -> int:
    server = LocalServer([(CLSID_Contract, Contract)], apartment="MTA", linger=1.0)
    # OLE32B_CONTRACT_LOG names a log file (a server COM starts inherits it from its client's environment).
    log_path = os.environ.get("OLE32B_CONTRACT_LOG") or None
    return server.main(argv, registration(), typelib=ContractTypeLibAndInProc(), log_path=log_path)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
