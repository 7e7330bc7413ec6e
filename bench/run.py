"""`make bench`: the Enterprise Services article's Table 1 and out-of-process figures, reproduced on one COM runtime.

    tools/winpy bench/run.py [--quick] [--rounds N] [--rows 1a,2,...] [--out bench/results]

Python (ours) in the article's "managed" role, native C++ as the "unmanaged solution" (ratio 1), comtypes and
pywin32 beside them. Every pair is checked before it is timed (Work(100) == 4950, no object left alive); pairs of
a row are timed interleaved, round after round, so machine noise hits every column alike. Output: a table on the
terminal, bench/results/latest.json (schema in bench/README.md) and latest.md; `make bench` then draws latest.png.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform  # the harness keeps _wmi away (docs/wine.md); platform.python_version is safe
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

sys.coinit_flags = 0  # comtypes and pythoncom initialise COM on import: the MTA, like this runner's thread
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import comtypes  # noqa: F401  (imported here, on the MTA thread: comtypes joins COM on import: coinit_flags)

from bench import pairs as P
from bench.benchdual import (
    CLSID_CppBenchDualServer,
    CLSID_CppBenchDualTarget,
    CLSID_CtBenchDualServer,
    CLSID_PwBenchDualServer,
    CLSID_PyBenchDualServer,
)
from bench.benchtarget import (
    CLSID_CppBenchServer,
    CLSID_CppBenchTarget,
    CLSID_CtBenchServer,
    CLSID_CtTarget,
    CLSID_PwBenchServer,
    CLSID_PwTarget,
    CLSID_PyBenchServer,
    CLSID_PyInprocTarget,
    CLSID_PyTarget,
    IBenchTarget,
)
from ole32_bindings import apartments
from ole32_bindings.constants import CLSCTX


@dataclass
class Row:
    id: str
    title: str
    article: float | None  # the article's managed/unmanaged ratio for this row
    target: float | None  # ours/C++ target from the issue
    sample_seconds: float  # time one sample should take (calibration)
    #: libraries ours must beat in this row, as a client (on every server) and as a server (for every client)
    beat: tuple[str, ...] = ()

    @property
    def out_of_process(self) -> bool:
        return self.id in ("5", "6", "7", "8", "10a", "10b", "12e", "12f", "12g", "12h")


BEAT = ("comtypes", "pywin32")

ROWS = [
    Row("1a", "in-process activation, factory registered in-process (CoCreateInstance + Release)", 3.5, 1.2, 0.05),
    Row("1b", "in-process activation through InprocServer32 (registry lookup every time)", 3.5, 1.2, 0.1),
    Row("1c", "IClassFactory::CreateInstance + Release on a factory already held", 3.5, 18.0, 0.05),
    Row("2", "same-context do-nothing call", None, None, 0.05),
    Row("3", "cross-apartment do-nothing call, MTA client -> object in an STA", 2.0, 1.05, 0.1),
    Row("3s", "cross-apartment do-nothing call, STA client -> object in the MTA", 2.0, 1.05, 0.1),
    Row("4", "cross-apartment do-work call, Work(100), MTA client -> object in an STA", 2.0, 1.05, 0.1),
    Row("5", "out-of-process activation, server already running", 2.0, 1.2, 0.2),
    Row("6", "out-of-process cold activation, server not running", None, None, 0.0),
    Row("7", "out-of-process do-nothing call", 3.0, 1.05, 0.2),
    Row("8", "out-of-process do-work call, Work(100)", 3.0, 1.05, 0.2),
    # Issue 12's late-bound rows: IBenchDual through IDispatch::Invoke (the article has no late-bound figures)
    Row("9a", "in-process late-bound do-nothing call, IDispatch::Invoke(Nothing)", None, 5.0, 0.05, BEAT),
    Row("9b", 'in-process late-bound call, Invoke(Mix("abc", 7, 2.5)) -> VARIANT', None, 5.0, 0.05, BEAT),
    Row("10a", "out-of-process late-bound do-nothing call, IDispatch::Invoke(Nothing)", None, 1.05, 0.2),
    Row("10b", "out-of-process late-bound do-work call, IDispatch::Invoke(Work(100))", None, 1.05, 0.2),
    # Issue 17's services rows (bench/pooled.py, native/bench/services.h): pooled activation must also beat our own
    # unpooled row 1a (the pair ours -> ours-unpooled, timed in this row); the article's ratio is its JIT-style
    # cross-context call (2x)
    Row(
        "11a",
        "in-process pooled activation, warm pool (CoCreateInstance + Release)",
        None,
        1.2,
        0.05,
        ("ours-unpooled",),
    ),
    Row("11b", "JIT call through the interceptor of a pooled class: activate + Nothing + deactivate", 2.0, 2.0, 0.05),
    # Issue 13's event rows (bench/events.py): one event fired through a connection point to every advised sink,
    # source -> sinks; the issue sets no target for them
    Row("12a", "in-process event to 1 sink (source fires Tick(n) through IConnectionPoint's sink)", None, None, 0.05),
    Row("12b", "in-process event to 10 sinks", None, None, 0.05),
    Row("12c", "in-process dispinterface event to 1 sink (IDispatch::Invoke of each sink)", None, None, 0.05),
    Row("12d", "in-process dispinterface event to 10 sinks", None, None, 0.05),
    Row("12e", "out-of-process event to 1 sink (source in a LocalServer32, sink in the client)", None, None, 0.2),
    Row("12f", "out-of-process event to 10 sinks", None, None, 0.2),
    Row("12g", "out-of-process dispinterface event to 1 sink", None, None, 0.2),
    Row("12h", "out-of-process dispinterface event to 10 sinks", None, None, 0.2),
    # Issue 13's type-library import: the generated module's cold import in a fresh process (bench/typelib_import.py)
    Row("13a", "cold import of the module generated for msxml3.dll (MSXML2), fresh process", None, None, 0.0),
    Row("13b", "cold import of the module generated for mshtml.tlb (MSHTML), fresh process", None, None, 0.0),
]

CPP = "cpp"


def _inproc_setup(state: dict) -> Any:
    if "inproc" not in state:
        state["inproc"] = P.InprocRegistrations()
    return state["inproc"]


def _no_inproc_registrations(state: dict) -> None:
    """Row 1b activates through the registry: the class objects row 1a registered in this process (CoRegisterClass
    Object; the C++ CLSID among them) must be gone first, else CoGetClassObject finds them before HKCR and the C++
    pairs skip the registry and the DLL (issue 14: 1b's C++ baseline was 8x faster after 1a than alone)."""
    if "inproc" in state:
        state.pop("inproc").close()


def _registry_inproc(state: dict) -> None:
    """Row 1b: the C++ DLL as an InprocServer32 under HKCR (what every COM client would find)."""
    _no_inproc_registrations(state)
    if "registry" in state:
        return
    from ole32_bindings import registry

    key = f"CLSID\\{CLSID_CppBenchTarget}"
    dll = os.path.abspath(P.TESTLIB_DLL)
    registry.set_value(registry.HKEY_CLASSES_ROOT, key, None, "ole32-bindings C++ bench target (testlib)")
    registry.set_value(registry.HKEY_CLASSES_ROOT, key + "\\InprocServer32", None, dll)
    registry.set_value(registry.HKEY_CLASSES_ROOT, key + "\\InprocServer32", "ThreadingModel", "Both")
    state["registry"] = key


def _registry_inproc_ours(state: dict) -> None:
    """Row 1b: our PyTarget as an InprocServer32 (ole32_servers.inproc: python_inproc.dll hosts Python classes)."""
    _no_inproc_registrations(state)
    if "registry_ours" in state:
        return
    from ole32_servers.inproc import register_inproc

    register_inproc(
        CLSID_PyInprocTarget,
        "bench.benchtarget:py_target_class",
        python_path=[ROOT],
        description="ole32-bindings Python bench target (InprocServer32)",
    )
    state["registry_ours"] = CLSID_PyInprocTarget


def _services_setup(state: dict) -> Any:
    """Rows 11a, 11b: the serviced class objects (bench/pooled.py) registered in this process, once."""
    if "services" not in state:
        from bench.pooled import ServiceRegistrations

        state["services"] = ServiceRegistrations()
    return state["services"]


def close_state(state: dict) -> None:
    """Undo what the pairs set up on first use (in-process class objects, InprocServer32 registrations); each
    entry is removed from ``state`` as it is undone."""
    if "inproc" in state:
        state.pop("inproc").close()
    if "services" in state:
        state.pop("services").close()
    if "registry" in state:
        from ole32_bindings import registry

        registry.delete_tree(registry.HKEY_CLASSES_ROOT, state.pop("registry"))
    if "registry_ours" in state:
        from ole32_servers.inproc import release_class_objects, unregister_inproc

        clsid = state.pop("registry_ours")
        unregister_inproc(clsid)
        release_class_objects(clsid)


def pair_table(state: dict) -> list[P.Pair]:
    """Every client -> server pair of every row; n/a pairs raise NotAvailable with the reason."""
    inproc = CLSCTX.INPROC_SERVER

    L: list[P.Pair] = []

    def add(row: str, client: str, server: str, make: Callable[[], P.Measure], note: str = "") -> None:
        L.append(P.Pair(row, client, server, make, note))

    def na(reason: str) -> Callable[[], P.Measure]:
        def make() -> P.Measure:
            raise P.NotAvailable(reason)

        return make

    # 1a: each language registers its own factory in the client's process, the same way
    add("1a", CPP, CPP, lambda: P.cpp_exe_measure("activate_inproc_registered", CLSID_CppBenchTarget, 20000))
    add("1a", "ours", "ours", lambda: (_inproc_setup(state), P.activate_ours(CLSID_PyTarget, inproc))[1])
    add("1a", "ours", CPP, lambda: (_inproc_setup(state), P.activate_ours(CLSID_CppBenchTarget, inproc))[1])
    add("1a", CPP, "ours", lambda: (_inproc_setup(state), P.activate_cpp_loop(CLSID_PyTarget, inproc))[1])
    add("1a", "comtypes", "ours", lambda: (_inproc_setup(state), P.activate_comtypes(CLSID_PyTarget, inproc))[1])
    add("1a", "pywin32", "ours", lambda: (_inproc_setup(state), P.activate_pywin32(CLSID_PyTarget, inproc))[1])
    add("1a", "comtypes", "comtypes", lambda: (_inproc_setup(state), P.activate_comtypes(CLSID_CtTarget, inproc))[1])
    add("1a", "ours", "comtypes", lambda: (_inproc_setup(state), P.activate_ours(CLSID_CtTarget, inproc))[1])
    add("1a", CPP, "comtypes", lambda: (_inproc_setup(state), P.activate_cpp_loop(CLSID_CtTarget, inproc))[1])
    # pywin32's own factory (win32com.server.factory, found through the PythonCOM registry value) in-process
    add("1a", "pywin32", "pywin32", lambda: (_inproc_setup(state), P.activate_pywin32(CLSID_PwTarget, inproc))[1])
    add("1a", "ours", "pywin32", lambda: (_inproc_setup(state), P.activate_ours(CLSID_PwTarget, inproc))[1])
    add("1a", CPP, "pywin32", lambda: (_inproc_setup(state), P.activate_cpp_loop(CLSID_PwTarget, inproc))[1])
    add("1a", "comtypes", "pywin32", lambda: (_inproc_setup(state), P.activate_comtypes(CLSID_PwTarget, inproc))[1])
    # 1b: a registry-found InprocServer32 (the C++ DLL)
    add(
        "1b",
        CPP,
        CPP,
        lambda: (_registry_inproc(state), P.activate_cpp_loop(CLSID_CppBenchTarget, inproc))[1],
        "native loop in the Python process",
    )
    add("1b", "ours", CPP, lambda: (_registry_inproc(state), P.activate_ours(CLSID_CppBenchTarget, inproc))[1])
    add("1b", "comtypes", CPP, lambda: (_registry_inproc(state), P.activate_comtypes(CLSID_CppBenchTarget, inproc))[1])
    add("1b", "pywin32", CPP, lambda: (_registry_inproc(state), P.activate_pywin32(CLSID_CppBenchTarget, inproc))[1])
    # ... and our Python class behind ole32_servers.inproc's host DLL: Python already in the client for ours, comtypes
    # and pywin32; started by the DLL inside the C++ client's own process
    add("1b", "ours", "ours", lambda: (_registry_inproc_ours(state), P.activate_ours(CLSID_PyInprocTarget, inproc))[1])
    add(
        "1b",
        CPP,
        "ours",
        lambda: (_registry_inproc_ours(state), P.cpp_exe_measure("activate_inproc", CLSID_PyInprocTarget, 2000))[1],
        "bench_cpp_client.exe: python_inproc.dll starts Python in the C++ process",
    )
    add(
        "1b",
        "comtypes",
        "ours",
        lambda: (_registry_inproc_ours(state), P.activate_comtypes(CLSID_PyInprocTarget, inproc))[1],
    )
    add(
        "1b",
        "pywin32",
        "ours",
        lambda: (_registry_inproc_ours(state), P.activate_pywin32(CLSID_PyInprocTarget, inproc))[1],
    )
    # 1c: CreateInstance on a factory already held
    add("1c", CPP, CPP, lambda: P.cpp_exe_measure("createinstance_factory", CLSID_CppBenchTarget, 200000))
    add(
        "1c",
        "ours",
        "ours",
        lambda: P.createinstance_ours(
            P.client_class(P.IClassFactory).from_raw(
                P.ClassFactory(P.PyTarget).query_raw(P.IClassFactory.iid), direct=False
            )
        ),
    )
    add("1c", "ours", CPP, lambda: P.createinstance_ours(P.cpp_factory()))
    add("1c", CPP, "ours", lambda: _cpp_createinstance_on_ours(state))
    add("1c", "comtypes", "ours", lambda: (_inproc_setup(state), P.createinstance_comtypes(CLSID_PyTarget))[1])
    add("1c", "comtypes", "comtypes", lambda: (_inproc_setup(state), P.createinstance_comtypes(CLSID_CtTarget))[1])
    add(
        "1c",
        "ours",
        "comtypes",
        lambda: P.createinstance_ours(P.client_class(P.IClassFactory).from_raw(P.comtypes_factory_raw())),
    )
    add("1c", CPP, "comtypes", lambda: _cpp_createinstance_on_raw(P.comtypes_factory_raw()))
    add("1c", "pywin32", "pywin32", lambda: P.createinstance_pywin32(_inproc_setup(state).pw_infos[0][0]))
    add("1c", "ours", "pywin32", lambda: P.createinstance_ours(_held_factory(state, CLSID_PwTarget)))
    add("1c", CPP, "pywin32", lambda: _cpp_createinstance_on_raw(_held_factory(state, CLSID_PwTarget, raw=True)))
    add("1c", "comtypes", "pywin32", lambda: (_inproc_setup(state), P.createinstance_comtypes(CLSID_PwTarget))[1])
    add(
        "1c",
        "pywin32",
        "ours",
        na(
            "pythoncom exposes no CoGetClassObject, so a pywin32 client cannot hold a "
            "class factory of an in-process class"
        ),
    )
    # 2: same context
    add("2", CPP, CPP, lambda: P.cpp_exe_measure("call_nothing_inproc", CLSID_CppBenchTarget, 2_000_000))
    add("2", "ours", "ours", lambda: P.call_ours(P.PyTarget().as_ptr(IBenchTarget), False), "same-context direct call")
    add("2", "ours", CPP, lambda: P.call_ours(P.cpp_object(), False))
    add("2", CPP, "ours", lambda: P.call_cpp_loop(P.PyTarget().as_ptr(IBenchTarget), False))
    add("2", "comtypes", CPP, lambda: P.call_comtypes(P.cpp_object(), False))
    add("2", "comtypes", "ours", lambda: P.call_comtypes(P.PyTarget().as_ptr(IBenchTarget), False))
    add("2", "comtypes", "comtypes", lambda: P.call_comtypes(P.comtypes_object(), False))
    add("2", "ours", "comtypes", lambda: P.call_ours(P.comtypes_object(), False))
    add("2", CPP, "comtypes", lambda: P.call_cpp_loop(P.comtypes_object(), False))
    add("2", "ours", "pywin32", lambda: P.call_ours(P.pywin32_object(), False))
    add("2", CPP, "pywin32", lambda: P.call_cpp_loop(P.pywin32_object(), False))
    add("2", "comtypes", "pywin32", lambda: P.call_comtypes(P.pywin32_object(), False))
    pyw = (
        "pywin32 calls IDispatch and the interfaces compiled into it; its universal gateway (which serves "
        "IBenchTarget in the pywin32-server pairs) gives no client-side calls"
    )
    add("2", "pywin32", CPP, na(pyw))
    # 3, 3s, 4: cross-apartment, through real proxies (no free-threaded marshaler)
    add("3", CPP, CPP, lambda: P.cpp_exe_measure("cross_apartment_nothing_mta_to_sta", CLSID_CppBenchTarget, 2000))
    add("3s", CPP, CPP, lambda: P.cpp_exe_measure("cross_apartment_nothing_sta_to_mta", CLSID_CppBenchTarget, 2000))
    add("3s", "ours", "ours", lambda: P.cross_apartment_ours_to_ours(False, client_in_sta=True))
    add("4", CPP, CPP, lambda: P.cpp_exe_measure("cross_apartment_work_mta_to_sta", CLSID_CppBenchTarget, 500, 100))
    for row, work in (("3", False), ("4", True)):  # the same pairs: Nothing, then Work(100)
        add(row, "ours", "ours", lambda w=work: P.cross_apartment_ours_to_ours(w, client_in_sta=False))
        add(row, "ours", CPP, lambda w=work: P.cross_apartment_ours_to_cpp(w))
        add(row, CPP, "ours", lambda w=work: P.cross_apartment_cpp_to_ours(w))
        add(row, "ours", "comtypes", lambda w=work: P.cross_apartment_ours_to(P.comtypes_object, w))
        add(row, CPP, "comtypes", lambda w=work: P.cross_apartment_cpp_to_ours(w, P.comtypes_object))
        add(row, "ours", "pywin32", lambda w=work: P.cross_apartment_ours_to(P.pywin32_object, w))
        add(row, CPP, "pywin32", lambda w=work: P.cross_apartment_cpp_to_ours(w, P.pywin32_object))
    # 5-8: out of process. Four LocalServer32s (C++, ours: bench/pyserver.py, comtypes' and pywin32's own local
    # servers: bench/ctserver.py, bench/pwserver.py), each from every client
    servers = (
        (CPP, CLSID_CppBenchServer),
        ("ours", CLSID_PyBenchServer),
        ("comtypes", CLSID_CtBenchServer),
        ("pywin32", CLSID_PwBenchServer),
    )
    for server, clsid in servers:
        add("5", CPP, server, lambda c=clsid: P.cpp_exe_measure("activate_local", c, 30))
        add("6", CPP, server, lambda c=clsid: P.cpp_exe_measure("activate_cold", c, 1))
        add("7", CPP, server, lambda c=clsid: P.cpp_exe_measure("call_nothing_local", c, 300))
        add("8", CPP, server, lambda c=clsid: P.cpp_exe_measure("call_work_local", c, 100, 100))
        add("5", "ours", server, lambda c=clsid: P.oop_activate_ours(c))
        add("6", "ours", server, lambda c=clsid: P.oop_cold_ours(c))
        add("7", "ours", server, lambda c=clsid: P.oop_call_ours(c, False))
        add("8", "ours", server, lambda c=clsid: P.oop_call_ours(c, True))
        add("5", "comtypes", server, lambda c=clsid: P.oop_activate_comtypes(c))
        add("6", "comtypes", server, lambda c=clsid: P.oop_cold_comtypes(c))
        add("7", "comtypes", server, lambda c=clsid: P.oop_call_comtypes(c, False))
        add("8", "comtypes", server, lambda c=clsid: P.oop_call_comtypes(c, True))
        add("5", "pywin32", server, lambda c=clsid: P.oop_activate_pywin32(c))
        add("6", "pywin32", server, lambda c=clsid: P.oop_cold_pywin32(c))
        add("7", "pywin32", server, na(pyw))
        add("8", "pywin32", server, na(pyw))
    # 9a, 9b: in-process late-bound calls (IBenchDual through IDispatch::Invoke), every client on every server's
    # object in this process (the C++ client: bench_cpp_client.exe on its own C++ object, the testlib loops on the
    # others)
    exe_note = "bench_cpp_client.exe, its own in-process C++ object"
    add(
        "9a",
        CPP,
        CPP,
        lambda: P.cpp_exe_measure("dispatch_nothing_inproc", CLSID_CppBenchDualTarget, 200_000),
        exe_note,
    )
    add("9b", CPP, CPP, lambda: P.cpp_exe_measure("dispatch_mix_inproc", CLSID_CppBenchDualTarget, 40_000), exe_note)
    clients = (CPP, "ours", "comtypes", "pywin32")
    for row, op in (("9a", "nothing"), ("9b", "mix")):
        for server, make_obj in P.DUAL_OBJECTS.items():
            for client in clients:
                if client == CPP and server == CPP:
                    continue
                add(row, client, server, lambda c=client, o=make_obj, op=op: P.LATE_INPROC[c](o(), op))
    # 10a, 10b: out-of-process late-bound calls, each client asking each LocalServer32 for IDispatch (a proxy)
    dual_servers = (
        (CPP, CLSID_CppBenchDualServer),
        ("ours", CLSID_PyBenchDualServer),
        ("comtypes", CLSID_CtBenchDualServer),
        ("pywin32", CLSID_PwBenchDualServer),
    )
    for server, clsid in dual_servers:
        add("10a", CPP, server, lambda c=clsid: P.cpp_exe_measure("dispatch_nothing_local", c, 300))
        add("10b", CPP, server, lambda c=clsid: P.cpp_exe_measure("dispatch_work_local", c, 100, 100))
        for client in ("ours", "comtypes", "pywin32"):
            add("10a", client, server, lambda cl=client, c=clsid: P.LATE_LOCAL[cl](c, "nothing"))
            add("10b", client, server, lambda cl=client, c=clsid: P.LATE_LOCAL[cl](c, "work"))
    # 13a, 13b: each library's own generated module, imported in a fresh python.exe (no C++ counterpart: ratios
    # are n/a; ours and comtypes' medians side by side)
    from bench import typelib_import as T

    for row in ("13a", "13b"):
        add(row, "ours", "ours", lambda r=row: T.ours(r), "import ole32_servers.typelibs.<Name> (cached_module)")
        if row == "13b":
            add(row, "comtypes", "comtypes", na(T.COMTYPES_MSHTML))
        else:
            add(row, "comtypes", "comtypes", lambda r=row: T.comtypes_(r), "import comtypes.gen.<Name>")
    # 12a-12f: events, source -> sinks (bench/events.py): the C++ source (the test DLL's, in this process or
    # events_host.exe) and ours (vtables.events, in this process or bench/eventserver.py), each firing to C++ sinks
    # (the test DLL's, advised by its C++ client) and to ours (vtables.sinks); the sinks always in this process
    from bench import events as E

    for row, k, local in (("12a", 1, ""), ("12b", 10, ""), ("12e", 1, "-local"), ("12f", 10, "-local")):
        for source in (CPP, "ours"):
            for sinks in (CPP, "ours"):
                add(row, source, sinks, lambda s=source + local, t=sinks, k=k: E.fire_measure(s, t, k))
    # 12c-12h: the same events through the dispinterface DNativeEvents, to C++ sinks, ours, comtypes' (GetEvents)
    # and pywin32's (makepy's event class), in process (12c, 12d) and from the LocalServer32s (12g, 12h)
    for row, k, local in (("12c", 1, ""), ("12d", 10, ""), ("12g", 1, "-local"), ("12h", 10, "-local")):
        for source in (CPP, "ours"):
            for sinks in (CPP, "ours", "comtypes", "pywin32"):
                kind = sinks + "-disp" if sinks in (CPP, "ours") else sinks
                add(row, source, sinks, lambda s=source + local, t=kind, k=k: E.fire_measure(s, t, k))
    # 11a, 11b: issue 17's services (pooled activation; a JIT call on a pooled AutoComplete class), the C++ pool and
    # interceptor in bench_cpp_client.exe's own process, ours registered here; 11a also times our unpooled 1a
    from bench import pooled as S

    add("11a", CPP, CPP, lambda: P.cpp_exe_measure("activate_pooled", S.CLSID_CppPooledTarget, 20000))
    add("11a", "ours", "ours", lambda: S.activate_pooled_ours(_services_setup(state), P.activate_ours))
    add("11a", CPP, "ours", lambda: S.activate_pooled_ours(_services_setup(state), P.activate_cpp_loop))
    add(
        "11a",
        "ours",
        "ours-unpooled",
        lambda: (_inproc_setup(state), P.activate_ours(CLSID_PyTarget, inproc))[1],
        "row 1a's ours -> ours (no pool), in this row's rounds",
    )
    add("11b", CPP, CPP, lambda: P.cpp_exe_measure("jit_call_pooled", S.CLSID_CppPooledTarget, 200_000))
    add("11b", "ours", "ours", lambda: S.jit_call(_services_setup(state), P.call_ours))
    add("11b", CPP, "ours", lambda: S.jit_call(_services_setup(state), P.call_cpp_loop))
    return L


def _held_factory(state: dict, clsid: Any, raw: bool = False) -> Any:
    """CoGetClassObject(INPROC_SERVER) on a class registered in this process: a new reference to its
    IClassFactory (raw, or as our client pointer)."""
    from ole32_bindings import activation

    _inproc_setup(state)
    ptr = activation.get_class_object(clsid, P.IClassFactory.iid, CLSCTX.INPROC_SERVER)
    return ptr if raw else P.client_class(P.IClassFactory).from_raw(ptr)


def _cpp_createinstance_on_ours(state: dict) -> P.Measure:
    return _cpp_createinstance_on_raw(P.ClassFactory(P.PyTarget).query_raw(P.IClassFactory.iid))


def _cpp_createinstance_on_raw(raw: Any) -> P.Measure:
    """The native loop on a factory (``raw``: a reference this measure releases)."""
    m = P.createinstance_cpp_loop(raw)

    def close() -> None:
        from ole32_bindings.pointers import release

        release(raw)

    return P.Measure(m.sample, m.check, close)


# ---- running ---------------------------------------------------------------------------------------------------


def calibrate(m: P.Measure, seconds: float) -> int:
    if m.fixed_iterations is not None:
        return m.fixed_iterations
    n = 1
    while True:
        per_op = m.sample(n)
        if per_op * n >= seconds / 4 or n >= 10_000_000:
            return max(1, int(seconds / max(per_op, 1e-9)))
        n *= 4


def progress(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def run(rows: list[Row], rounds: int, quick: bool) -> dict[str, Any]:
    """Row by row: prepare and check every pair (correctness before speed), calibrate, then time the pairs
    interleaved round after round, then close them all before the next row (so a cold-activation row finds no
    server running)."""
    state: dict = {}
    table = pair_table(state)
    results: dict[tuple, P.Result] = {}
    scale = 0.25 if quick else 1.0
    t_start = time.monotonic()

    def say(text: str) -> None:
        progress(f"[bench {time.monotonic() - t_start:6.1f}s] {text}")

    try:
        for row in rows:
            measures: dict[tuple, P.Measure] = {}
            timed: dict[tuple, P.Measure] = {}
            try:
                row_pairs = [p for p in table if p.row == row.id]
                for p in row_pairs:  # the table's order is the report's order
                    results[(p.row, p.client, p.server)] = P.Result(p)
                # Prepared with the C++ client last: the other clients' measures hold their server running, so the
                # C++ client's process (rows 5, 7, 8) finds it started instead of paying a cold start in its check.
                for p in sorted(row_pairs, key=lambda p: p.client == CPP):
                    key = (p.row, p.client, p.server)
                    res = results[key]
                    try:
                        m = p.make()
                        measures[key] = m  # closed below whatever happens next
                        res.check = m.check()
                    except P.NotAvailable as e:
                        res.error = f"n/a: {e}"
                    except Exception as e:
                        res.error = f"failed check: {type(e).__name__}: {e}"
                        failed = measures.pop(key, None)
                        if failed is not None:  # prepared, then failed its check: closed now, not timed
                            try:
                                failed.close()
                            except Exception:
                                pass
                    say(f"{row.id:>3} {p.client:>8} -> {p.server:<5} {res.check or res.error}")
                timed = {k: m for k, m in measures.items() if not results[k].error}
                for key, m in timed.items():
                    n = calibrate(m, row.sample_seconds * scale) if row.sample_seconds else 1
                    if quick and m.fixed_iterations:  # an external process's loop: shorter too in quick mode
                        n = max(1, int(m.fixed_iterations * scale))
                    results[key].iterations = n
                # quick mode: out-of-process rows (a cold activation takes a second or two) are timed once; a pair
                # whose check was itself a timed run of the quick loop (an external process) takes that run as its
                # first sample
                row_rounds = 1 if quick and (not row.sample_seconds or row.out_of_process) else rounds
                if quick:
                    for key, m in timed.items():
                        if m.check_sample is not None:
                            results[key].samples.append(m.check_sample)
                for r in range(row_rounds):
                    for key, m in timed.items():
                        if len(results[key].samples) > r:
                            continue  # already timed (quick mode: the check's own run)
                        if results[key].error:
                            continue
                        try:
                            results[key].samples.append(m.sample(results[key].iterations))
                        except Exception as e:
                            results[key].error = f"failed in round {r + 1}: {type(e).__name__}: {e}"
                say(f"{row.id:>3} timed: {row_rounds} rounds")
            finally:
                for key, m in measures.items():
                    try:
                        m.close()
                    except Exception as e:
                        results[key].error = results[key].error or f"failed to close: {e}"
                measures.clear()
                timed.clear()  # the last references to the closed measures (and the pointers they captured)
    finally:
        try:
            P.wait_servers_gone()  # no server may outlive its last client
            left: list[int] = []
        except RuntimeError as e:
            progress(f"ERROR: {e}")
            left = P.end_servers()
            progress(f"ended leftover bench servers {left} by pid")
        state["servers_left"] = left
        close_state(state)
    import gc

    from vtables import leaks

    for _ in range(40):  # comtypes and pywin32 release their pointers when collected, some from other threads
        gc.collect()
        if leaks.live_objects() == 0 and leaks.held_references == 0:
            break
        time.sleep(0.05)
    from vtables.object import live_objects

    snapshot = leaks.snapshot()
    snapshot["live_types"] = sorted(type(o).__name__ for o in live_objects())
    data = report(rows, results, rounds, quick, snapshot)
    data["servers_left_running"] = state.get("servers_left", [])
    return data


def report(rows: list[Row], results: dict, rounds: int, quick: bool, leak_state: dict) -> dict[str, Any]:
    out_rows = []
    for row in rows:
        base = results.get((row.id, CPP, CPP))
        base_med = statistics.median(base.samples) if base and base.samples else None
        pairs_out = []
        for (rid, client, server), res in results.items():
            if rid != row.id:
                continue
            entry: dict[str, Any] = {
                "client": client,
                "server": server,
                "check": res.check,
                "iterations": res.iterations,
                "note": res.pair.note,
            }
            if res.samples and not res.error:
                med = statistics.median(res.samples)
                entry.update(
                    min=min(res.samples),
                    median=med,
                    max=max(res.samples),
                    samples=res.samples,
                    ratio=(med / base_med) if base_med else None,
                )
            else:
                entry["error"] = res.error or "no samples"
            pairs_out.append(entry)
        ours = next((p for p in pairs_out if p["client"] == "ours" and p["server"] == "ours" and "ratio" in p), None)
        met = None
        if row.target is not None and ours is not None and ours["ratio"] is not None:
            met = ours["ratio"] <= row.target
        versus = compare(row, pairs_out)
        if met is not None and versus:
            met = met and all(v["met"] for v in versus)
        entry_row = {
            "id": row.id,
            "title": row.title,
            "article_ratio": row.article,
            "target": row.target,
            "target_met": met,
            "pairs": pairs_out,
        }
        if row.beat:
            entry_row["beat"] = list(row.beat)
            entry_row["versus"] = versus
        out_rows.append(entry_row)
    return {
        "schema": "ole32-bindings.bench/1",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "rounds": rounds,
        "environment": environment(),
        "clsids": {
            "ours_inproc": str(CLSID_PyTarget),
            "ours_inprocserver32": str(CLSID_PyInprocTarget),
            "ours_localserver": str(CLSID_PyBenchServer),
            "cpp_inproc": str(CLSID_CppBenchTarget),
            "cpp_localserver": str(CLSID_CppBenchServer),
            "comtypes_inproc": str(CLSID_CtTarget),
            "comtypes_localserver": str(CLSID_CtBenchServer),
            "pywin32_inproc": str(CLSID_PwTarget),
            "pywin32_localserver": str(CLSID_PwBenchServer),
            "dual_cpp_inproc": str(CLSID_CppBenchDualTarget),
            "dual_cpp_localserver": str(CLSID_CppBenchDualServer),
            "dual_ours_localserver": str(CLSID_PyBenchDualServer),
            "dual_comtypes_localserver": str(CLSID_CtBenchDualServer),
            "dual_pywin32_localserver": str(CLSID_PwBenchDualServer),
        },
        "leaks_after_run": leak_state,
        "note": "Under Wine there are no COM+ contexts: the article's cross-context rows are cross-apartment here.",
        "rows": out_rows,
    }


def compare(row: Row, pairs_out: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The row's "faster than" targets: for each library in ``row.beat``, ours as a client against it on every
    server both clients reached (ours -> S vs lib -> S), and ours as a server against it for every client that
    reached both (C -> ours vs C -> lib), by medians. Pairs without a median are left out."""
    med = {(p["client"], p["server"]): p["median"] for p in pairs_out if "median" in p}
    out = []
    for lib in row.beat:
        for role in ("client", "server"):
            for other in (CPP, "ours", "comtypes", "pywin32"):
                mine, theirs = (("ours", other), (lib, other)) if role == "client" else ((other, "ours"), (other, lib))
                if mine in med and theirs in med:
                    out.append(
                        {
                            "library": lib,
                            "role": role,  # ours as a client (other = the server) or as a server (other = the client)
                            "other": other,
                            "ours": med[mine],
                            "theirs": med[theirs],
                            "met": med[mine] < med[theirs],
                        }
                    )
    return out


def _versus_text(row: dict[str, Any], detail: bool = False) -> str:
    """The "faster than" targets of a row: how many comparisons ours won, then each one it lost (``detail``: with
    both medians)."""
    if not row.get("beat"):
        return ""
    versus = row.get("versus") or []
    head = f"faster than {', '.join(row['beat'])} as a client (on each server) and as a server (for each client)"
    if not versus:
        return head + ": nothing to compare"
    groups: dict[tuple[str, str], list[str]] = {}
    for v in versus:
        if not v["met"]:
            text = v["other"]
            if detail:
                pair = f"ours → {v['other']}" if v["role"] == "client" else f"{v['other']} → ours"
                text = f"{pair} {fmt_time(v['ours'])} vs {fmt_time(v['theirs'])}"
            groups.setdefault((v["library"], v["role"]), []).append(text)
    won = sum(1 for v in versus if v["met"])
    missed = "; ".join(
        f"vs {lib} as {role} {'on' if role == 'client' else 'for'} {', '.join(items)}"
        for (lib, role), items in groups.items()
    )
    return f"{head}: {won}/{len(versus)} met" + (f"; MISSED {missed}" if missed else "")


def environment() -> dict[str, Any]:
    import ctypes

    env: dict[str, Any] = {"python": platform.python_version(), "cpus": os.cpu_count()}
    try:
        ntdll = ctypes.WinDLL("ntdll.dll")
        get = ntdll.wine_get_version
        get.restype = ctypes.c_char_p
        env["wine"] = get().decode()
    except (AttributeError, OSError):
        env["wine"] = None
        env["windows"] = sys.getwindowsversion().major
    for mod in ("cffi", "comtypes"):
        try:
            env[mod] = __import__(mod).__version__
        except Exception:
            env[mod] = None
    try:
        import win32api

        env["pywin32"] = win32api.GetFileVersionInfo(win32api.__file__, "\\")["FileVersionLS"] >> 16
    except Exception:
        env["pywin32"] = None
    return env


def fmt_time(s: float) -> str:
    if s >= 1:
        return f"{s:.3f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3f} ms"
    return f"{s * 1e6:.3f} µs"


def render_markdown(data: dict[str, Any]) -> str:
    lines = [
        f"# Benchmark results ({data['date']}{', quick' if data['quick'] else ''})",
        "",
        f"Environment: {json.dumps(data['environment'])}. {data['note']}",
        "",
        "Ratio = median / median of C++ client -> C++ server in the same run (the article's unmanaged "
        "solution = 1). Article: the managed/unmanaged ratio the article reports for that row.",
        "",
    ]
    for row in data["rows"]:
        met = {True: "met", False: "MISSED", None: "-"}[row["target_met"]]
        lines.append(f"## {row['id']}. {row['title']}")
        lines.append(
            f"Article ratio: {row['article_ratio'] or '-'}; target ours/C++: "
            f"{('≤ ' + str(row['target'])) if row['target'] else '-'} ({met})"
        )
        if row.get("beat"):
            lines.append("")
            lines.append(_versus_text(row, detail=True))
        lines.append("")
        lines.append("| client → server | min | median | max | ratio to C++ | check |")
        lines.append("|---|---|---|---|---|---|")
        for p in row["pairs"]:
            if "median" in p:
                ratio = f"{p['ratio']:.2f}" if p["ratio"] is not None else "-"
                lines.append(
                    f"| {p['client']} → {p['server']} | {fmt_time(p['min'])} | {fmt_time(p['median'])} | "
                    f"{fmt_time(p['max'])} | {ratio} | {p['check']} |"
                )
            else:
                lines.append(f"| {p['client']} → {p['server']} | | | | | {p['error']} |")
        lines.append("")
    if "load" in data:
        from bench.load import render_load_markdown

        lines += render_load_markdown(data["load"])
    return "\n".join(lines)


def render_terminal(data: dict[str, Any]) -> str:
    out = []
    for row in data["rows"]:
        met = {True: "met", False: "MISSED", None: ""}[row["target_met"]]
        tgt = f"target ≤{row['target']} {met}" if row["target"] else ""
        art = f"article {row['article_ratio']}" if row["article_ratio"] else ""
        out.append(f"{row['id']:>3}  {row['title']}   [{art}{'; ' if art and tgt else ''}{tgt}]")
        if row.get("beat"):
            out.append(f"       {_versus_text(row)}")
        for p in row["pairs"]:
            name = f"{p['client']} -> {p['server']}"
            if "median" in p:
                ratio = f"x{p['ratio']:.2f}" if p["ratio"] is not None else ""
                out.append(
                    f"       {name:<20} {fmt_time(p['median']):>12}  ({fmt_time(p['min'])} .. "
                    f"{fmt_time(p['max'])})  {ratio}"
                )
            else:
                out.append(f"       {name:<20} {p['error']}")
    return "\n".join(out)


def register_servers() -> None:
    """Register the four LocalServer32s, two classes each (idempotent): the C++ exe registers itself and widl's type
    libraries (BenchTargetLib, BenchDualLib); ours registers its CLSIDs and the type library generated from the
    Python declaration of IBenchTarget (same LIBID and layout), which the comtypes and pywin32 servers rely on too
    (pywin32's universal gateway reads it). IBenchDual's library is widl's for every server (comtypes generates its
    module from it; pywin32's policy reads its DISPIDs)."""
    import subprocess
    import tempfile

    exe = os.path.join(ROOT, "build", "native", "bench_cpp_server.exe")
    with tempfile.TemporaryFile() as out:
        rc = subprocess.run(
            [exe, "-RegServer"], stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, timeout=60
        ).returncode
    if rc != 0:
        raise SystemExit(f"bench_cpp_server.exe -RegServer failed ({rc})")
    from bench import ctserver, pwserver, pyserver
    from ole32_servers.registration import register

    register(pyserver.registration())
    register(pyserver.dual_registration())
    pyserver.typelib().register()
    ctserver.register()
    pwserver.register()
    from bench import events

    events.register()  # the event rows' LocalServer32s (events_host.exe, bench/eventserver.py) and NativeEventsLib


def run_load_row(quick: bool) -> dict[str, Any]:
    """Row L (bench/load.py, the driver `make stress` shares): N concurrent C++ client processes on each
    LocalServer32; then no server may outlive its keeper (ended by pid, and reported, if one does)."""
    from bench.load import load_row

    t0 = time.monotonic()
    row = load_row(quick, say=progress)
    try:
        P.wait_servers_gone()
        row["servers_left_running"] = []
    except RuntimeError as e:
        progress(f"ERROR: {e}")
        row["servers_left_running"] = P.end_servers()
        row["clean"] = False
    progress(f"[bench] load row: {time.monotonic() - t0:.1f} s")
    return row


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--quick", action="store_true", help="2 rounds in process, 1 out of process; quarter-length samples"
    )
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--rows", default=None, help="comma-separated row ids (default: all; L is the load row)")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    args = ap.parse_args(argv)
    rows = [r for r in ROWS if args.rows is None or r.id in args.rows.split(",")]
    want_load = args.rows is None or "L" in args.rows.split(",")  # the load row (bench/load.py), after the others
    rounds = args.rounds or (2 if args.quick else 5)
    apartments.co_initialize()
    try:
        register_servers()
        data = run(rows, rounds, args.quick)
        if want_load:
            data["load"] = run_load_row(args.quick)
    finally:
        apartments.co_uninitialize()
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "latest.json"), "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
    with open(os.path.join(args.out, "latest.md"), "w", encoding="utf-8") as f:
        f.write(render_markdown(data) + "\n")
    progress(render_terminal(data))
    failed = [p for r in data["rows"] for p in r["pairs"] if p.get("error", "").startswith("failed")]
    if "load" in data and not data["load"]["clean"]:
        progress("the load row had wrong results, errors or failed client processes (latest.md)")
        return 1
    leaks = data["leaks_after_run"]
    if data["servers_left_running"]:
        progress(f"servers outlived their clients: {data['servers_left_running']}")
        return 1
    if leaks["live_objects"] or leaks["held_references"]:
        from vtables.object import live_objects

        progress(f"LEAK after the run: {leaks}: {[type(o).__name__ for o in live_objects()]}")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
