"""Serviced classes for the services tests, on IBenchTarget (so the C++ test library, a LocalServer32 client and
the bench can call them): ``Work(n)`` is a small command language, every lifecycle call is logged.

``Work(n)``: 0 → the serving real object's serial; 1 → set_complete(), serial; 2 → set_abort(), serial;
3 → object_context().deactivate_on_return = True, serial; 4 → the length of the construction string the object
received (-1: none); 5 → the pool's statistics as ``made*10000 + in_use*100 + idle`` (for out-of-process
clients); 6 → ``waits*100 + timeouts``; n >= 100 → the benchmark contract's sum (what the C++ clients check);
-1 → raises ValueError. ``Nothing()`` does nothing (the benchmark's call).
"""

from __future__ import annotations

import itertools
import threading

from bench.benchtarget import IBenchTarget

__all__ = ["build", "IBenchTarget"]


def build(name, services, *, auto_complete_work=False, auto_complete_nothing=False, construct=False, poolable=True):
    """A new ServicedComponent subclass named ``name`` with ``services``. Its class attributes ``events`` (the
    log: ``(what, serial)`` tuples), ``poolable`` (CanBePooled's answer), ``fail`` (a set of the lifecycle
    methods that raise: "Activate", "Deactivate", "CanBePooled") can be changed by a test."""
    from ole32_servers.services import (
        ServicedComponent,
        auto_complete,
        construct_string,
        object_context,
        pool_of,
        set_abort,
        set_complete,
    )
    from vtables.interfaces.services import IObjectConstruct

    counter = itertools.count(1)
    guard = threading.Lock()
    events: list = []

    def log(*what):
        with guard:
            events.append(what)

    def work(self, n):
        if n >= 100:  # the benchmark contract's Work (bench/README.md): what C++ clients check
            return sum(range(n)) % 2**31
        if n == -1:
            raise ValueError("Work(-1) refuses")
        if n == 1:
            set_complete()
        elif n == 2:
            set_abort()
        elif n == 3:
            object_context().deactivate_on_return = True
        elif n == 4:
            return -1 if self.text is None else len(self.text)
        elif n == 5:
            s = pool_of(type(self)).statistics()
            return s.made * 10000 + s.in_use * 100 + s.idle
        elif n == 6:
            s = pool_of(type(self)).statistics()
            return s.waits * 100 + s.timeouts
        log("Work", self.serial)
        return self.serial

    def construct_(self, ctor_obj):
        text = construct_string(ctor_obj)
        log("Construct", self.serial, text)
        if text.startswith("refuse"):
            raise ValueError(f"construction string {text!r} refused")
        self.text = text

    body = {
        "events": events,
        "poolable": poolable,
        "fail": set(),
        "Work": auto_complete(work) if auto_complete_work else work,
    }
    if construct:
        body["Construct"] = construct_
    if auto_complete_nothing:
        body["Nothing"] = auto_complete(lambda self: None)

    ifaces = [IBenchTarget] + ([IObjectConstruct] if construct else [])

    class Base(ServicedComponent):
        def __init__(self):
            self.serial = next(counter)
            self.text = None
            log("new", self.serial)

        def Nothing(self):
            return None

        def Activate(self):
            log("Activate", self.serial)
            if "Activate" in type(self).fail:
                raise ValueError("Activate refuses")

        def Deactivate(self):
            log("Deactivate", self.serial)
            if "Deactivate" in type(self).fail:
                raise ValueError("Deactivate refuses")

        def CanBePooled(self):
            log("CanBePooled", self.serial)
            if "CanBePooled" in type(self).fail:
                raise ValueError("CanBePooled refuses")
            return type(self).poolable

        def final_release(self):
            log("destroyed", self.serial)

    import types

    return types.new_class(name, (Base,), {"implements": ifaces, "services": services}, lambda ns: ns.update(body))


_made: dict = {}


def served_class(kind):
    """One class per ``kind``, made once per process: what an InprocServer32 registration names
    (``servicedtargets:pooled_class`` ...) and what the test LocalServer32 serves (``pyserver.py -Services``).
    ``pooled``: ObjectPooling(2, 3, 300); ``jit``: that plus JIT with an @auto_complete Work; ``construct``:
    ObjectPooling(1, 2, 300) with construction enabled (default "default-string"); ``onlyone``: ObjectPooling(0, 1,
    20000)."""
    cls = _made.get(kind)
    if cls is None:
        from ole32_servers.services import ConstructionEnabled, JustInTimeActivation, ObjectPooling

        if kind == "pooled":
            cls = build("ServedPooled", [ObjectPooling(2, 3, 300)])
        elif kind == "jit":
            cls = build("ServedJit", [ObjectPooling(2, 3, 300), JustInTimeActivation()], auto_complete_work=True)
        elif kind == "onlyone":
            cls = build("ServedOnlyOne", [ObjectPooling(0, 1, 20_000)])
        elif kind == "construct":
            cls = build(
                "ServedConstruct", [ObjectPooling(1, 2, 300), ConstructionEnabled("default-string")], construct=True
            )
        else:
            raise ValueError(kind)
        _made[kind] = cls
    return cls


def pooled_class():
    """``served_class("pooled")``."""
    return served_class("pooled")


def jit_class():
    """``served_class("jit")``."""
    return served_class("jit")


def construct_class():
    """``served_class("construct")``."""
    return served_class("construct")


def ensure_type_libraries():
    """Register (once per prefix, left registered as the bench leaves its own) the type libraries an
    out-of-process client needs: IBenchTarget's (bench/pyserver.py's) and IObjectDispose's
    (``services.jit.services_type_library``, written to build/ole32_services.tlb)."""
    import os

    from bench import pyserver as bench_server
    from bench.benchtarget import LIBID_BenchTarget
    from ole32_bindings import registry
    from ole32_servers.services.jit import LIBID_SERVICES, services_type_library

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    for libid, make in (
        (LIBID_BenchTarget, bench_server.typelib),
        (LIBID_SERVICES, lambda: services_type_library(os.path.join(root, "build", "ole32_services.tlb"))),
    ):
        if not registry.key_exists(registry.HKEY_CLASSES_ROOT, f"TypeLib\\{libid}\\1.0\\0\\win64"):
            make().register()


def dual_class():
    """A dual (IDispatch-derived) JIT class without pooling, made once per process: ``Serial`` returns the serving
    real object's serial and keeps it activated; ``Done`` returns it and sets the doneness bit (a new real object
    serves the next call). For late-bound clients (``servicedtargets:dual_class`` as an InprocServer32)."""
    cls = _made.get("dual")
    if cls is None:
        import vtables.dispatch  # noqa: F401 - IDispatch for Python classes, before the class is defined
        from ole32_servers.services import JustInTimeActivation, ServicedComponent, set_complete
        from vtables import method
        from vtables.interfaces import IDispatch

        class IServicedDual(IDispatch):
            iid = "{1C0B7D50-7E7B-4E55-9E55-0A3A2E6A0003}"
            Serial = method("[id(1)] HRESULT Serial([out, retval] LONG *serial)")
            Done = method("[id(2)] HRESULT Done([out, retval] LONG *serial)")

        counter = itertools.count(1)

        class ServedDual(ServicedComponent, implements=[IServicedDual], services=[JustInTimeActivation()]):
            progid = "Ole32Bindings.ServicedDual"

            def __init__(self):
                self.serial = next(counter)

            def Serial(self):
                return self.serial

            def Done(self):
                set_complete()
                return self.serial

        cls = _made["dual"] = ServedDual
    return cls
