"""A LocalServer32 for the COM security tests: ``LocalServer(security=...)`` (CoInitializeSecurity with the
``-Access`` SDDL, ``-Authn`` and ``-Imp`` levels when given), serving ``Who`` (IPersist), whose GetClassID writes
one JSON line to its report file: what the runtime says about the caller (CoQueryClientBlanket; the user name
inside CoImpersonateClient/CoRevertToSelf), or the HRESULT each refused with.

python secserver.py -Embedding -Clsid {...} [-Access SDDL] [-Authn N] [-Imp N]

The pid file and the report are files of the temporary directory named after the CLSID (:func:`pid_path`,
:func:`report_path`), so the registered command line stays short: Wine 8 refuses a LocalServer32 command longer
than MAX_PATH (docs/wine.md).
"""

import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE]

from pyserver import option  # noqa: E402


def report_path(clsid):
    """Where the server started for ``clsid`` writes what it saw of its callers (JSON lines)."""
    return os.path.join(tempfile.gettempdir(), f"secserver-{str(clsid).strip('{}')}.jsonl")


def pid_path(clsid):
    """Where the server started for ``clsid`` writes its process id."""
    return os.path.join(tempfile.gettempdir(), f"secserver-{str(clsid).strip('{}')}.pid")


def main(argv):
    from ole32_bindings import security
    from ole32_bindings.constants import RPC_C_AUTHN_LEVEL, RPC_C_IMP_LEVEL
    from ole32_bindings.guid import Guid
    from ole32_bindings.hresult import ComError
    from ole32_servers.localserver import LocalServer
    from vtables.interfaces import IPersist
    from vtables.object import ComObject

    clsid = Guid(option(argv, "Clsid"))
    report = report_path(clsid)
    serving = not any(a.lower().lstrip("-/") in ("regserver", "unregserver") for a in argv)
    if serving:
        with open(pid_path(clsid), "w") as f:
            f.write(str(os.getpid()))

    def attempt(fn):
        try:
            value = fn()
            return value._asdict() if hasattr(value, "_asdict") else value
        except ComError as exc:
            return {"hresult": exc.hresult}

    def impersonated_user():
        with security.impersonating():
            return security.user_name()

    class Who(ComObject, implements=[IPersist]):
        def GetClassID(self):
            seen = {
                "blanket": attempt(security.query_client_blanket),
                "impersonated": attempt(impersonated_user),
                "after": security.user_name(),
            }
            with open(report, "a") as f:
                f.write(json.dumps(seen) + "\n")
            return IPersist.iid

    settings = {}
    if option(argv, "Access") is not None:
        settings["access_sddl"] = option(argv, "Access")
    if option(argv, "Authn") is not None:
        settings["authn_level"] = RPC_C_AUTHN_LEVEL(int(option(argv, "Authn")))
    if option(argv, "Imp") is not None:
        settings["imp_level"] = RPC_C_IMP_LEVEL(int(option(argv, "Imp")))
    server = LocalServer(
        [(clsid, Who)],
        linger=0.2,
        idle_timeout=20,
        security=settings or None,
    )
    return server.main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
