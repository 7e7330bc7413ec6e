"""Clients that die holding serviced objects: what COM's OXID rundown does on Windows, done here for the objects a
serviced class object hands to other processes on the same machine.

Windows pings remote clients and, about six minutes after a client process dies, releases the references it held.
Wine 8 does neither (docs/wine.md): a server never learns that a client died, so a pooled object the client held
would stay "in use" for the server's life (the pool one object short, its counts wrong) and an interceptor would
keep the server process alive. So, for each object a :class:`~ole32_servers.services.factory.ServicedClassFactory`
hands out through an activation that came from another process:

* the activation's caller is found with ``I_RpcBindingInqLocalClientPID`` on the call being served (the local RPC
  transport knows the process at the other end of its connection; an activation that is not an RPC call, i.e. from
  this process, is not watched);
* one watcher thread (in the MTA) waits on the handles of those processes; when one exits, every object handed to
  it that has not come back is disconnected (``CoDisconnectObject``): COM drops the stub's references, and the
  object's count reaching 0 does what the client's last Release would have done (a pooled object goes back to its
  pool through Deactivate and CanBePooled, an interceptor ends as on a final Release, the process lock is given
  back).

An object that comes back normally (its count reached 0) is forgotten at once: for a pooled object a lease on it is
ended by its return; an interceptor is destroyed then. :func:`watched` reads the current state (for tests), and
``disconnected`` counts the objects taken back this way. What it relies on is checked under Wine by
``tests/ole32_servers/services/test_faults.py::test_a_pooled_object_whose_client_process_dies_goes_back_to_the_pool``.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from ole32_bindings import win32
from ole32_bindings.security import calling_process_id as calling_process

log = logging.getLogger("ole32_servers")

__all__ = ["calling_process", "watch_for_client", "watched", "disconnected"]

_WAIT_OBJECT_0 = 0
_MAXIMUM_WAIT_OBJECTS = 64


class _Lease:
    """One object handed to one client process, until it comes back."""

    __slots__ = ("obj", "keeper", "pid")

    def __init__(self, obj: Any, pid: int) -> None:
        self.obj = obj
        self.pid = pid
        self.keeper: Any = None


_guard = threading.Lock()
_by_pid: dict[int, tuple[Any, list[_Lease]]] = {}  # pid -> (process handle, leases)
_wake: Any = None
_thread: threading.Thread | None = None
disconnected = 0
"""Objects taken back from dead clients by this process so far."""


def watched() -> dict[int, int]:
    """Client process id -> how many objects handed to it have not come back (a snapshot, for tests)."""
    with _guard:
        return {pid: sum(1 for lease in leases if _outstanding(lease)) for pid, (_, leases) in _by_pid.items()}


def _outstanding(lease: _Lease) -> bool:
    obj = lease.obj
    if obj is None or obj.com_destroyed:
        return False
    return lease.keeper is None or getattr(obj, "_com_keeper", None) is lease.keeper


def watch_for_client(obj: Any) -> None:
    """Called by a class object right after it handed ``obj`` (an interceptor or a pooled object, now holding the
    caller's reference) to the activation being served: when that activation came from another process, watch
    it (see the module doc). Never raises: a failure only leaves the object unwatched, logged."""
    try:
        pid = calling_process()
        if pid is None or pid == os.getpid():
            return
        lease = _Lease(obj, pid)
        keeper = getattr(obj, "_com_keeper", None)
        if keeper is not None:  # a pooled object: its return (count 0) ends the lease
            original = keeper

            def back(o: Any, _lease: _Lease = lease, _original: Any = original) -> None:
                _lease.obj = None
                o._com_keeper = _original
                _original(o)

            lease.keeper = back
            obj._com_keeper = back
        _add(lease)
    except Exception:
        log.exception("could not watch the client process of %s", type(obj).__name__)


def _add(lease: _Lease) -> None:
    global _wake, _thread
    with _guard:
        entry = _by_pid.get(lease.pid)
        if entry is None:
            handle = win32.open_process_for_waiting(lease.pid)
            if len(_by_pid) >= _MAXIMUM_WAIT_OBJECTS - 1:
                win32.close_handle(handle)
                raise OSError(f"already watching {len(_by_pid)} client processes")
            entry = _by_pid[lease.pid] = (handle, [])
        else:
            entry[1][:] = [x for x in entry[1] if _outstanding(x)]
        entry[1].append(lease)
        if _thread is None:
            _wake = win32.create_event(manual_reset=False)
            _thread = threading.Thread(target=_watch, name="ole32_servers client watch", daemon=True)
            _thread.start()
        else:
            win32.set_event(_wake)


def _watch() -> None:
    """The watcher thread: in the MTA (CoDisconnectObject runs in the objects' apartment), for the process's life."""
    from ole32_bindings import apartments

    apartments.co_initialize()
    while True:
        with _guard:
            pids = list(_by_pid)
            handles = [_wake] + [_by_pid[p][0] for p in pids]
        try:
            r = win32.wait_for_multiple_objects(handles)
        except OSError as e:  # (WAIT_FAILED)
            log.error("client watch: %s; watching stops", e)
            return
        if r >= _WAIT_OBJECT_0 + len(handles):
            log.error("client watch: WaitForMultipleObjects returned 0x%X; watching stops", r)
            return
        if r == _WAIT_OBJECT_0:
            continue  # a new client: wait again with it
        pid = pids[r - 1]
        with _guard:
            handle, leases = _by_pid.pop(pid)
        win32.close_handle(handle)
        _take_back(pid, leases)


def _take_back(pid: int, leases: list[_Lease]) -> None:
    global disconnected
    from ole32_bindings import marshaling

    for lease in leases:
        if not _outstanding(lease):
            continue
        obj = lease.obj
        log.warning("client process %d exited holding %s: disconnecting it", pid, type(obj).__name__)
        try:
            marshaling.disconnect_object(obj.identity_raw())
        except Exception:
            log.exception("CoDisconnectObject on %s failed", type(obj).__name__)
            continue
        with _guard:
            disconnected += 1
