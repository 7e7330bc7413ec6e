"""The LocalServer32 of make stress's soak and fault sections: our PyTarget (IBenchTarget, the bench's class) and a
``StressStats`` object that reports the server's own counts through IDispatch (oleaut32's standard IDispatch
proxy: no type library to register), so a client can watch the server's live objects while it runs.

    python stress/server.py -Embedding [-Target {clsid}] [-Stats {clsid}] [-Linger S] [-Orphan S] [-Log PATH]

``register(target, stats, *args)`` writes both classes' LocalServer32 entries with those options on the command
line (COM appends -Embedding); ``unregister`` removes them.
"""

from __future__ import annotations

import os
import sys
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from ole32_bindings.guid import Guid  # noqa: E402
from vtables import method  # noqa: E402
from vtables.interfaces import IDispatch  # noqa: E402

CLSID_StressTarget = Guid("{0F7D3E21-6C4B-4D8A-9E15-3A2B1C0D9E01}")
CLSID_StressStats = Guid("{0F7D3E21-6C4B-4D8A-9E15-3A2B1C0D9E02}")


class IStressStats(IDispatch):
    """The server's counts (late-bound: the client calls them by name through IDispatch)."""

    iid = "{0F7D3E21-6C4B-4D8A-9E15-3A2B1C0D9E10}"
    get_LiveObjects = method("[id(1), propget] HRESULT LiveObjects([out, retval] LONG *n)")
    get_HeldReferences = method("[id(2), propget] HRESULT HeldReferences([out, retval] LONG *n)")
    get_ProcessId = method("[id(3), propget] HRESULT ProcessId([out, retval] LONG *pid)")
    get_ServerLocks = method("[id(4), propget] HRESULT ServerLocks([out, retval] LONG *n)")


def option(argv: list[str], name: str, default: str | None = None) -> str | None:
    lowered = [a.lower() for a in argv]
    key = "-" + name.lower()
    return argv[lowered.index(key) + 1] if key in lowered else default


def _registrations(target: Guid, stats: Guid, args: tuple[str, ...]) -> list[Any]:
    from ole32_servers.registration import ServerRegistration, python_command

    command = python_command(os.path.abspath(__file__), "-Target", str(target), "-Stats", str(stats), *args)
    return [
        ServerRegistration(target, "ole32-bindings stress target", command, appid=target),
        ServerRegistration(stats, "ole32-bindings stress stats", command, appid=target),
    ]


def register(target: Guid = CLSID_StressTarget, stats: Guid = CLSID_StressStats, *args: str) -> None:
    """Write both classes' LocalServer32 entries, ``args`` (e.g. ``-Orphan 2``) on the server's command line."""
    from ole32_servers.registration import register as write

    for r in _registrations(target, stats, args):
        write(r)


def unregister(target: Guid = CLSID_StressTarget, stats: Guid = CLSID_StressStats) -> None:
    from ole32_servers.registration import unregister as remove

    for r in _registrations(target, stats, ()):
        remove(r)


def main(argv: list[str]) -> int:
    from bench.benchtarget import make_classes
    from ole32_servers.localserver import LocalServer
    from vtables import ComObject, leaks

    PyTarget, _ = make_classes()
    server: LocalServer

    class StressStats(ComObject, implements=[IStressStats]):
        def get_LiveObjects(self) -> int:
            return leaks.live_objects() - 1 - len(server.factories)  # not counting this object and the class objects

        def get_HeldReferences(self) -> int:
            return leaks.held_references

        def get_ProcessId(self) -> int:
            return os.getpid()

        def get_ServerLocks(self) -> int:
            return server.lock.count

    orphan = option(argv, "Orphan")
    server = LocalServer(
        [
            (Guid(option(argv, "Target", str(CLSID_StressTarget))), PyTarget),
            (Guid(option(argv, "Stats", str(CLSID_StressStats))), StressStats),
        ],
        apartment="MTA",
        linger=float(option(argv, "Linger", "0.3") or 0.3),
        idle_timeout=30,
        orphan_timeout=float(orphan) if orphan else None,
    )
    return server.main(argv, log_path=option(argv, "Log"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
