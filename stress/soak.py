"""Soak (issue 15): many activations and calls against one long-lived server and in process, with the resource
counts sampled as it goes (out of process once the server's counts settle after each chunk's client exits:
``settled_metrics``).

Out of process: our LocalServer32 (stress/server.py, which also reports its live objects, held references and
server locks through IDispatch) and, beside it, the C++ bench server; the traffic is bench_cpp_client.exe
processes run chunk after chunk (``activate_local``: CoCreateInstance + Release; ``call_nothing_local``), and after
every chunk the server process's working set, private bytes, handle count and thread count are sampled
(ole32_bindings.win32.process_metrics). In process: our PyTarget's class object registered in this process,
CoCreateInstance + Release and calls through our client, sampling this process and its live-object count.

Criterion (the bound, stated here and in docs/reliability.md): from the sample after the first 10% of the traffic
to the last one, working set and private bytes grow by at most GROWTH_BYTES, handles by at most GROWTH_HANDLES,
threads by at most GROWTH_THREADS; our live objects and held references are 0 at the end (not counting the stats
object and the class objects); released, our server exits by itself (code 0).
"""

from __future__ import annotations

import math
import os
import time
from typing import Any

PLAN = {  # (activations, calls, chunks): quick, soak
    True: (2_000, 20_000, 6),
    False: (100_000, 1_000_000, 20),
}
GROWTH_BYTES = 8 << 20
GROWTH_HANDLES = 32
GROWTH_THREADS = 4
METRICS = ("working_set", "private_bytes", "handles", "threads")
LIMITS = {
    "working_set": GROWTH_BYTES,
    "private_bytes": GROWTH_BYTES,
    "handles": GROWTH_HANDLES,
    "threads": GROWTH_THREADS,
}


def growth(samples: list[dict[str, int]]) -> dict[str, int]:
    """Each metric's change from the sample after the first 10% of the traffic to the last (COM-free)."""
    first = samples[max(0, math.ceil(len(samples) * 0.1) - 1)]
    last = samples[-1]
    return {m: last[m] - first[m] for m in METRICS}


def within_bounds(g: dict[str, int]) -> list[str]:
    """The metrics whose growth exceeds its bound (empty: all within), as text."""
    return [f"{m} grew {g[m]:,} > {LIMITS[m]:,}" for m in METRICS if g[m] > LIMITS[m]]


def settled_metrics(pid: int, settle: float = 2.0) -> dict[str, int]:
    """process_metrics(pid) once the counts stop moving: the RPC threads serving a client that just exited end a
    moment after it (Wine starts one per connection), so a sample taken at once can catch them. Read every 0.1 s
    until two reads agree on threads and handles, for at most ``settle`` seconds."""
    from ole32_bindings import win32

    last = win32.process_metrics(pid)
    deadline = time.monotonic() + settle
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = win32.process_metrics(pid)
        if (now["threads"], now["handles"]) == (last["threads"], last["handles"]):
            return now
        last = now
    return last


def _chunks(total: int, chunks: int) -> list[int]:
    return [total // chunks + (1 if i < total % chunks else 0) for i in range(chunks)]


def _result(
    label: str, pid: int, activations: int, calls: int, t0: float, samples: list[dict[str, int]]
) -> dict[str, Any]:
    """One soak's figures: what it did, its samples, their growth and the bounds that growth broke."""
    g = growth(samples)
    return {
        "label": label,
        "pid": pid,
        "activations": activations,
        "calls": calls,
        "seconds": time.monotonic() - t0,
        "samples": samples,
        "growth": g,
        "over": within_bounds(g),
    }


def _soak_server(label: str, clsid: Any, pid: int, plan: tuple[int, int, int], stats: Any) -> dict[str, Any]:
    from bench.pairs import cpp_client_row

    activations, calls, chunks = plan
    samples: list[dict[str, int]] = []
    done_a = done_c = 0
    t0 = time.monotonic()
    for a, c in zip(_chunks(activations, chunks), _chunks(calls, chunks), strict=True):
        cpp_client_row("activate_local", clsid, a)  # raises on any failed activation
        cpp_client_row("call_nothing_local", clsid, c)  # raises on any failed call
        done_a, done_c = done_a + a, done_c + c
        s = dict(settled_metrics(pid), activations=done_a, calls=done_c)
        if stats is not None:
            s.update(live_objects=stats.LiveObjects, held_references=stats.HeldReferences)
        samples.append(s)
    return _result(label, pid, done_a, done_c, t0, samples)


def _soak_inproc(plan: tuple[int, int, int]) -> dict[str, Any]:
    from bench.benchtarget import IBenchTarget, make_classes
    from ole32_bindings import activation, win32
    from ole32_bindings.constants import CLSCTX
    from ole32_bindings.guid import Guid
    from ole32_servers.classobjects import ClassObjects
    from vtables import leaks
    from vtables.client import client_class
    from vtables.factory import ClassFactory

    activations, calls, chunks = plan
    clsid = Guid("{0F7D3E21-6C4B-4D8A-9E15-3A2B1C0D9E03}")  # registered in this process only, while this runs
    PyTarget, _ = make_classes()
    Ptr = client_class(IBenchTarget)
    iid = IBenchTarget.iid
    pid = os.getpid()
    samples: list[dict[str, int]] = []
    t0 = time.monotonic()
    done_a = done_c = 0
    # samples count live objects besides the keeper and the class object, references besides the keeper's
    with ClassObjects() as objs:
        objs.register(clsid, ClassFactory(PyTarget), CLSCTX.INPROC_SERVER)
        keeper = Ptr.from_raw(activation.create_instance(clsid, iid, CLSCTX.INPROC_SERVER))
        try:
            nothing = keeper.Nothing
            for a, c in zip(_chunks(activations, chunks), _chunks(calls, chunks), strict=True):
                for _ in range(a):
                    Ptr.from_raw(activation.create_instance(clsid, iid, CLSCTX.INPROC_SERVER)).release()
                for _ in range(c):
                    nothing()
                done_a, done_c = done_a + a, done_c + c
                samples.append(
                    dict(
                        win32.process_metrics(pid),
                        activations=done_a,
                        calls=done_c,
                        live_objects=leaks.live_objects() - 2,
                        held_references=leaks.held_references - 1,
                    )
                )
        finally:
            keeper.release()
    end = {"live_objects": leaks.live_objects(), "held_references": leaks.held_references}
    return {**_result("ours (in process)", pid, done_a, done_c, t0, samples), "end": end}


def run(*, quick: bool, seed: int) -> dict[str, Any]:
    from bench.benchtarget import CLSID_CppBenchServer
    from bench.pairs import _local, server_pids
    from ole32_bindings import win32
    from ole32_bindings.guid import Guid
    from stress import server
    from vtables.latebound import Dispatch

    plan = PLAN[quick]
    # fresh CLSIDs each run: a soak never meets another run's server (nor a server a killed run left behind)
    target, stats_clsid = Guid.new(), Guid.new()
    server.register(target, stats_clsid)
    results = []
    problems: list[str] = []
    try:
        stats = Dispatch(stats_clsid, clsctx=4, typeinfo=False)  # starts our server, keeps it
        try:
            pid = int(stats.ProcessId)
            r = _soak_server("ours (LocalServer32)", target, pid, plan, stats)
            r["end"] = {
                "live_objects": stats.LiveObjects,
                "held_references": stats.HeldReferences,
                "server_locks_besides_stats": stats.ServerLocks - 1,
            }
            results.append(r)
        finally:
            stats.release()
        code = win32.wait_process(pid, 30_000)
        r["end"]["server_exit_code"] = code
        if code != 0:
            problems.append(f"our server did not exit by itself after its last client (exit: {code})")
        keeper = _local(CLSID_CppBenchServer)
        try:
            pids = server_pids(CLSID_CppBenchServer)
            results.append(_soak_server("C++ (LocalServer32)", CLSID_CppBenchServer, pids[0], plan, None))
        finally:
            keeper.release()
        results.append(_soak_inproc(plan))
    finally:
        server.unregister(target, stats_clsid)
    rows = []
    figures: dict[str, Any] = {
        "bound": f"growth from 10% to the end: memory ≤ {GROWTH_BYTES >> 20} MiB, handles ≤ {GROWTH_HANDLES}, "
        f"threads ≤ {GROWTH_THREADS}"
    }
    for r in results:
        problems += [f"{r['label']}: {o}" for o in r["over"]]
        end = r.get("end", {})
        for k in ("live_objects", "held_references", "server_locks_besides_stats"):
            if end.get(k):
                problems.append(f"{r['label']}: {k} = {end[k]} at the end")
        first, last = r["samples"][0], r["samples"][-1]
        for m in METRICS:
            rows.append([r["label"], m, first[m], last[m], r["growth"][m], LIMITS[m]])
        figures[f"{r['label']}: activations / calls / seconds"] = (
            f"{r['activations']:,} / {r['calls']:,} / {r['seconds']:.1f}"
        )
        if end:
            figures[f"{r['label']}: at the end"] = ", ".join(f"{k} {v}" for k, v in end.items())
    activations, calls, _ = plan
    return {
        "ok": not problems,
        "summary": (
            f"{activations:,} activations + {calls:,} calls per server (ours, C++) and in process: "
            + ("growth within bounds, counts back to 0, server exited" if not problems else "; ".join(problems))
        ),
        "figures": figures,
        "tables": [
            {
                "title": "Resource counts: first sample, last sample, growth from 10% to the end, bound",
                "columns": ["process", "metric", "first", "last", "growth 10%→end", "bound"],
                "rows": rows,
            },
            *[
                {
                    "title": f"Samples: {r['label']}",
                    "columns": [
                        "activations",
                        "calls",
                        *METRICS,
                        *(["live objects", "held refs"] if "live_objects" in r["samples"][0] else []),
                    ],
                    "rows": [
                        [
                            s["activations"],
                            s["calls"],
                            *[s[m] for m in METRICS],
                            *([s["live_objects"], s["held_references"]] if "live_objects" in s else []),
                        ]
                        for s in r["samples"]
                    ],
                }
                for r in results
            ],
        ],
        "problems": problems,
    }
