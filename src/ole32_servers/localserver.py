"""A LocalServer32 written in Python: the process COM starts with ``-Embedding`` to serve class objects.

    server = LocalServer([(CLSID_Foo, Foo)], apartment="MTA", linger=5.0)
    sys.exit(server.main(sys.argv[1:], registration))

``main`` understands ``-RegServer`` / ``-UnregServer`` (write/remove the registry entries, and the type library
when one is given) and ``-Embedding`` (or nothing: started by hand, then clients find it with no registry entry
at all while it runs). Serving follows COM's rules for out-of-process servers, as ATL's CAtlExeModuleT does:

* class objects are registered with REGCLS_SUSPENDED and made visible together by CoResumeClassObjects;
* every live object and every LockServer(TRUE) holds CoAddRefServerProcess; when CoReleaseServerProcess
  returns 0, COM has already suspended the class objects (new activations go to a new server); after ``linger``
  seconds with the count still 0 the class objects are revoked and the process exits (ATL waits 5 s; tests set
  it short). If an object arrives during the linger, the class objects are resumed and the server goes on;
* a server that no client ever used exits after ``idle_timeout`` seconds;
* a class with services (``ole32_servers.services``) gets a ``ServicedClassFactory``: its pool lives here, made
  when the class objects are registered (with the sizes and construction string registration recorded), and
  only objects handed out hold the process lock (idle pooled objects do not keep the server alive);
* ``orphan_timeout`` (opt-in, default None: COM's rule, objects live as long as their references): a server that
  holds objects but has served no call for that many seconds treats them as orphaned and exits. Windows releases
  a dead client's references itself (the OXID resolver's pinging, about 6 minutes); Wine 8 does not ping, so
  without this a server whose client was killed runs forever (docs/reliability.md has the reproduction). Calls
  are noticed by a channel hook (``ole32_servers.activity``): one Python callback per served call while it is on;
* an STA server pumps messages while it waits (calls arrive as messages); an MTA server just waits;
* ``pin_stubs`` (default on) keeps a table-strong marshal of each class object (as IClassFactory and IUnknown)
  for the server's life, released before the class objects are revoked. Windows' SCM keeps a class object's stub
  alive the same way; without it, Wine 8's rpcrt4 can hang in RpcServerUnregisterIf when a factory stub is torn
  down while a call on it finishes (native/bench/README.md has the analysis), which stalls activation loops.

Started by COM, the process inherits its client's std handles; ``main`` points them at NUL (or ``log_path``) so
it never holds a client's pipes open.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from typing import Any

from ole32_bindings import activation, apartments
from ole32_bindings.constants import CLSCTX, COINIT, REGCLS
from ole32_bindings.guid import Guid
from ole32_bindings.hresult import ComError, ServerStoppingError
from vtables.interfaces import IClassFactory, IUnknown
from vtables.object import ComObject

from .classobjects import ClassObjects, class_object_for
from .registration import ServerRegistration, register, unregister

__all__ = ["LocalServer", "ServerLock"]

log = logging.getLogger("ole32_servers")

RPC_S_CALLPENDING = 0x80010115


class ServerLock:
    """The process lock: CoAddRefServerProcess / CoReleaseServerProcess, remembering when it last reached 0."""

    def __init__(self) -> None:
        self.count = 0
        self.used = False
        self.zero_since: float | None = None
        self.resumed = 0  # times the linger was interrupted by a new client
        self.stopping = False  # set, under the guard, once the server has decided to exit
        self._guard = threading.Lock()

    def add(self) -> int:
        with self._guard:
            if self.stopping:
                # A request that was already on its way when the server decided to exit: refuse it cleanly
                # rather than hand out an object the exiting server would cut off.
                raise ServerStoppingError(description="the server is shutting down")
            n = activation.add_ref_server_process()
            self.count = n
            self.used = True
            if self.zero_since is not None:
                # Back from 0 during the linger (a client held our class object): COM suspended the class
                # objects when the count reached 0, so make them visible again and keep serving.
                self.zero_since = None
                self.resumed += 1
                activation.resume_class_objects()
        return n

    def release(self) -> int:
        with self._guard:
            n = activation.release_server_process()
            self.count = n
            if n == 0:
                self.zero_since = time.monotonic()  # COM has suspended our class objects already
        return n


class LocalServer:
    """A LocalServer32 serving ``classes`` (``(clsid, ComObject subclass)`` pairs), each through a ClassFactory
    whose objects and server locks hold the process lock (see the module doc for the rules). ``apartment`` is
    ``"MTA"`` or ``"STA"``; ``linger``, ``idle_timeout`` and ``orphan_timeout`` are in seconds (``orphan_timeout``
    None, the default, keeps COM's rule: see the module doc); ``flags`` are the REGCLS flags (REGCLS_SUSPENDED is
    always added); ``pin_stubs`` keeps a table-strong marshal of each class object. ``security``: keyword arguments
    of ``ole32_bindings.security.initialize_security`` (``authn_level``, ``imp_level``, ``capabilities``,
    ``access_sddl``), called right after the apartment is entered, before any class object is marshaled; None
    leaves COM's defaults (the AppID's ``AccessPermission``, else the machine's)."""

    def __init__(
        self,
        classes: Sequence[tuple[Guid, type[ComObject]]],
        apartment: str = "MTA",
        linger: float = 5.0,
        idle_timeout: float = 60.0,
        flags: int = REGCLS.MULTIPLEUSE,
        pin_stubs: bool = True,
        orphan_timeout: float | None = None,
        security: dict[str, Any] | None = None,
    ) -> None:
        if apartment not in ("MTA", "STA"):
            raise ValueError("apartment is 'MTA' or 'STA'")
        self.classes = list(classes)
        self.apartment = apartment
        self.linger = linger
        self.idle_timeout = idle_timeout
        self.flags = flags
        self.pin_stubs = pin_stubs
        self.orphan_timeout = orphan_timeout
        self.security = security
        #: set when the server exited because its objects were orphaned (orphan_timeout)
        self.orphaned = False
        self.activity: Any = None
        self.lock = ServerLock()
        self.factories: list[Any] = []  # ClassFactory, or ServicedClassFactory for a class with services
        self.stop_requested = threading.Event()

    # ---- serving ------------------------------------------------------------------------------------------------

    def run(self) -> int:
        """Serve until the last client is gone (plus the linger) or ``stop()``; returns the exit code."""
        coinit = COINIT.APARTMENTTHREADED if self.apartment == "STA" else COINIT.MULTITHREADED
        apartments.co_initialize(coinit)
        try:
            if self.security is not None:
                from ole32_bindings.security import initialize_security

                initialize_security(**self.security)
            if self.orphan_timeout is not None:
                from .activity import call_activity

                self.activity = call_activity()
            pins: list[Any] = []
            with ClassObjects(suspended=True) as objs:
                try:
                    for clsid, cls in self.classes:
                        factory = class_object_for(cls, clsid=clsid, lock=self.lock)  # services: pool made now
                        self.factories.append(factory)
                        objs.register(clsid, factory, CLSCTX.LOCAL_SERVER, self.flags)
                        if self.pin_stubs:
                            pins += [_pin(factory, IClassFactory.iid), _pin(factory, IUnknown.iid)]
                    objs.resume()
                    log.info("serving %s in the %s", ", ".join(str(c) for c, _ in self.classes), self.apartment)
                    self._wait_until_done(objs)
                    activation.suspend_class_objects()
                finally:
                    for stream in pins:
                        _unpin(stream)
            # No new activation reaches us now; an object a request in flight created just before the
            # suspension still has its client, so serve it to the end instead of cutting it off (orphans have none:
            # CoUninitialize disconnects them).
            if not self.orphaned:
                self._serve_remaining()
            log.info("class objects revoked; exiting")
            return 0
        finally:
            self.factories.clear()
            apartments.co_uninitialize()

    def stop(self) -> None:
        """Ask ``run`` to stop serving (from any thread): the class objects are suspended and revoked, then it
        returns."""
        self.stop_requested.set()

    def _serve_remaining(self, timeout: float = 60.0) -> None:
        from ole32_bindings.win32 import Event

        deadline = time.monotonic() + timeout
        with Event() as tick:
            while self.lock.count > 0 and not self.stop_requested.is_set():
                if time.monotonic() > deadline:
                    log.warning(
                        "%d object(s) still held %.0f s after shutdown began: exiting anyway", self.lock.count, timeout
                    )
                    return
                try:
                    apartments.wait_for_handles([tick.handle], 50)
                except ComError as e:
                    if e.hresult != RPC_S_CALLPENDING:
                        raise

    def _wait_until_done(self, objs: ClassObjects) -> None:
        from ole32_bindings.win32 import Event

        started = time.monotonic()
        with Event() as tick:
            while not self.stop_requested.is_set():
                try:  # waits while serving: in an STA this pumps the calls that arrive as messages
                    apartments.wait_for_handles([tick.handle], 50)
                except ComError as e:
                    if e.hresult != RPC_S_CALLPENDING:
                        raise
                lock = self.lock
                now = time.monotonic()
                if not lock.used:
                    if now - started > self.idle_timeout:
                        log.info("no client in %.1f s: exiting", self.idle_timeout)
                        return
                    continue
                if (
                    self.activity is not None and lock.count > 0 and self.activity.idle_seconds() >= self.orphan_timeout  # type: ignore[operator]
                ):
                    with lock._guard:
                        lock.stopping = True
                    self.orphaned = True
                    log.warning(
                        "%d object(s) held but no call served in %.1f s: treating them as orphaned; exiting",
                        lock.count,
                        self.orphan_timeout,
                    )
                    return
                with lock._guard:
                    zero_since = lock.zero_since
                    if lock.count == 0 and zero_since is not None and now - zero_since >= self.linger:
                        lock.stopping = True  # atomically with the check: no object can be created after this
                        return

    # ---- command line -------------------------------------------------------------------------------------------

    def main(
        self,
        argv: Sequence[str],
        registration: ServerRegistration | None = None,
        typelib: Any = None,
        log_path: str | None = None,
    ) -> int:
        """``-RegServer`` | ``-UnregServer`` | ``-Embedding`` (or nothing). ``typelib``: an object with
        ``register()``/``unregister()`` (see ole32_servers.typelib) registered alongside, or a list of them (e.g.
        the server's own and ``services.jit.services_type_library(path)`` for a JIT class's Dispose)."""
        args = [a.lower().lstrip("-/") for a in argv]
        if "regserver" in args:
            if registration is None:
                raise SystemExit("no registration given")
            register(registration)
            for lib in _typelibs(typelib):
                lib.register()
            return 0
        if "unregserver" in args:
            if registration is None:
                raise SystemExit("no registration given")
            unregister(registration)
            for lib in _typelibs(typelib):
                lib.unregister()
            return 0
        detach_std_handles(log_path)
        return self.run()


def _typelibs(typelib: Any) -> list[Any]:
    """``main``'s ``typelib`` as a list (None: none; one object; or a list or tuple of them)."""
    if typelib is None:
        return []
    return list(typelib) if isinstance(typelib, (list, tuple)) else [typelib]


def _pin(obj: ComObject, iid: Guid) -> Any:
    """A table-strong marshal of ``obj`` as ``iid`` in a new stream (it holds a reference until unpinned)."""
    from ole32_bindings import marshaling, streams
    from ole32_bindings.constants import MSHCTX, MSHLFLAGS

    stream = streams.create_stream_on_hglobal()
    raw = obj.query_raw(iid)
    try:
        marshaling.marshal_interface(stream, iid, raw, MSHCTX.LOCAL, MSHLFLAGS.TABLESTRONG)
    finally:
        from ole32_bindings.pointers import release

        release(raw)
    return stream


def _unpin(stream: Any) -> None:
    """Release a table-strong marshal (CoReleaseMarshalData from the start of its stream) and the stream."""
    from ole32_bindings import marshaling, streams
    from ole32_bindings.pointers import release

    try:
        streams.seek(stream, 0)
        marshaling.release_marshal_data(stream)
    except Exception:
        log.exception("releasing a pinned class object failed")
    finally:
        release(stream)


def detach_std_handles(log_path: str | None = None) -> None:
    """Point fds 0-2 at NUL (stdout/stderr at ``log_path`` if given): a server COM started inherited its
    client's std handles, and holding them would keep the client's pipes open. With ``log_path`` the log goes
    there too, through a handler of its own (``sys.stderr`` is None in a process started without std handles)."""
    null = os.open(os.devnull, os.O_RDWR)
    out = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND) if log_path else null
    for fd, target in ((0, null), (1, out), (2, out)):
        try:
            os.dup2(target, fd)
        except OSError:
            pass
    if log_path:
        logging.basicConfig(
            filename=log_path,
            encoding="utf-8",
            level=logging.INFO,
            format="%(asctime)s %(process)d %(name)s %(message)s",
        )
