"""The load driver, one implementation for `make bench`'s load row (L) and `make stress`'s Load section: N client
processes started at once, each making M calls with every result checked, against one server.

    result = run_load(LoadSpec(server="ours", clsid=CLSID_PyBenchServer, client="cpp"), processes=4, calls=500)
    result.calls_per_s, result.wrong, result.errors

How: a keeper pointer (our client, in this process) starts the server and keeps it running; each client process
activates its own object, checks one call, releases a named semaphore (``OLE32B_LOAD_READY``) and waits on a
named manual-reset event (``OLE32B_LOAD_START``); when all N are ready the event is set and every client makes its
M calls, recording QPC start/end (one clock for the whole machine). Throughput = total calls / (latest end -
earliest start): all clients' calls over the window in which any of them was calling. Clients: ``cpp``
(``bench_cpp_client.exe load_work_local``) and ``ours`` (bench/loadclient.py: any of its targets, and ``threads``
MTA threads in one process). Every client process is ended by id if it outlives its timeout.
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CPP_CLIENT = os.path.join(ROOT, "build", "native", "bench_cpp_client.exe")
PY_CLIENT = os.path.join(ROOT, "bench", "loadclient.py")


@dataclass(frozen=True)
class LoadSpec:
    """What the clients call: ``server`` is a label (cpp, ours, comtypes, pywin32), ``target`` a loadclient target
    (``local-work`` for ``cpp`` clients), ``clsid`` the class (None for in-process targets that need none)."""

    server: str
    target: str = "local-work"
    clsid: Any = None
    client: str = "cpp"  # "cpp" or "ours"
    threads: int = 1  # MTA threads per client process (ours only)
    n: int = 50  # Work's argument


@dataclass
class LoadResult:
    """One load run: totals over every client process (``per_process``: each one's own line)."""

    spec: LoadSpec
    processes: int
    calls: int = 0
    wrong: int = 0
    errors: int = 0
    seconds: float = 0.0
    first_error: str | None = None
    failed_processes: list[str] = field(default_factory=list)
    per_process: list[dict[str, Any]] = field(default_factory=list)

    @property
    def calls_per_s(self) -> float:
        return self.calls / self.seconds if self.seconds > 0 else 0.0

    @property
    def ok(self) -> bool:
        return not self.wrong and not self.errors and not self.failed_processes and self.calls > 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "server": self.spec.server,
            "client": self.spec.client,
            "target": self.spec.target,
            "processes": self.processes,
            "threads": self.spec.threads,
            "n": self.spec.n,
            "calls": self.calls,
            "wrong": self.wrong,
            "errors": self.errors,
            "seconds": self.seconds,
            "calls_per_s": self.calls_per_s,
            "first_error": self.first_error,
            "failed_processes": self.failed_processes,
        }


def combine(spec: LoadSpec, lines: list[dict[str, Any]], processes: int) -> LoadResult:
    """Totals of the client processes' JSON lines (COM-free: tested on Linux). A line with ``error`` (or without
    ``calls``) is a failed process; the window is the earliest start to the latest end of the others."""
    r = LoadResult(spec, processes)
    starts, ends = [], []
    for line in lines:
        if "error" in line or "calls" not in line:
            r.failed_processes.append(str(line.get("error", line)))
            continue
        r.per_process.append(line)
        r.calls += int(line["calls"])
        r.wrong += int(line["wrong"])
        r.errors += int(line["errors"])
        fe = line.get("first_error")
        if r.first_error is None and fe and fe != "0x00000000":
            r.first_error = str(fe)
        starts.append(float(line["start"]))
        ends.append(float(line["end"]))
    if starts:
        r.seconds = max(ends) - min(starts)
    return r


class _Named:
    """The named semaphore and event the clients meet on (kernel32 through ctypes: bench code, not the library)."""

    def __init__(self, processes: int) -> None:
        k32 = ctypes.WinDLL("kernel32", use_last_error=True)
        k32.CreateSemaphoreW.restype = ctypes.c_void_p
        k32.CreateSemaphoreW.argtypes = [ctypes.c_void_p, ctypes.c_long, ctypes.c_long, ctypes.c_wchar_p]
        k32.CreateEventW.restype = ctypes.c_void_p
        k32.CreateEventW.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_wchar_p]
        k32.WaitForSingleObject.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        k32.SetEvent.argtypes = [ctypes.c_void_p]
        k32.CloseHandle.argtypes = [ctypes.c_void_p]
        self.k32 = k32
        tag = uuid.uuid4().hex
        self.ready_name, self.start_name = f"ole32b-load-ready-{tag}", f"ole32b-load-start-{tag}"
        self.ready = k32.CreateSemaphoreW(None, 0, max(processes, 1), self.ready_name)
        self.start = k32.CreateEventW(None, 1, 0, self.start_name)
        if not self.ready or not self.start:
            raise OSError(ctypes.get_last_error(), "CreateSemaphore/CreateEvent")

    def wait_ready(self, timeout: float) -> bool:
        return self.k32.WaitForSingleObject(self.ready, int(timeout * 1000)) == 0

    def go(self) -> None:
        self.k32.SetEvent(self.start)

    def close(self) -> None:
        self.k32.CloseHandle(self.ready)
        self.k32.CloseHandle(self.start)


def client_command(spec: LoadSpec, calls: int) -> list[str]:
    """The command line of one client process."""
    if spec.client == "cpp":
        if spec.target != "local-work" or spec.threads != 1:
            raise ValueError("the C++ load client makes Work calls on a LocalServer32 from one thread")
        return [CPP_CLIENT, "load_work_local", str(spec.clsid), str(calls), str(spec.n)]
    cmd = [sys.executable, PY_CLIENT, spec.target, str(calls), "--threads", str(spec.threads), "--n", str(spec.n)]
    return cmd + (["--clsid", str(spec.clsid)] if spec.clsid is not None else [])


def run_load(spec: LoadSpec, processes: int, calls: int, timeout: float = 300.0) -> LoadResult:
    """``processes`` client processes of ``spec`` making ``calls`` calls each, started together (see the module
    doc). Whatever happens, every client process has ended when this returns (killed by id past ``timeout``)."""
    named = _Named(processes)
    env = dict(os.environ, OLE32B_LOAD_READY=named.ready_name, OLE32B_LOAD_START=named.start_name)
    procs: list[tuple[subprocess.Popen, Any]] = []
    lines: list[dict[str, Any]] = []
    try:
        for _ in range(processes):
            # stdout is a file, never our pipe: a server COM starts for a client inherits its std handles
            out = tempfile.TemporaryFile()
            p = subprocess.Popen(
                client_command(spec, calls), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env
            )
            procs.append((p, out))
        deadline = time.monotonic() + timeout
        ready = 0
        while ready < processes and time.monotonic() < deadline:
            if named.wait_ready(0.2):
                ready += 1
            elif any(p.poll() is not None for p, _ in procs):
                break  # a client died before it was ready: start the others anyway, its line says why
        named.go()
        for p, out in procs:
            try:
                p.wait(max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()  # by id (Popen.kill: TerminateProcess on its handle)
                p.wait(10)
            out.seek(0)
            text = out.read().decode("utf-8", "replace").strip().splitlines()
            try:
                line = json.loads(text[-1]) if text else {"error": "no output"}
            except ValueError:
                line = {"error": " | ".join(text[-3:])}
            if p.returncode != 0 and "error" not in line:
                line["error"] = f"exit code {p.returncode}"
            lines.append(line)
    finally:
        for p, out in procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)
            out.close()
        named.close()
    return combine(spec, lines, processes)


# ---- make bench's load row (issue 14 item 5) ---------------------------------------------------------------------

#: the row's client counts and the target: ours >= 0.9x C++ at every N, and ahead of comtypes and pywin32
LOAD_PROCESSES = (1, 2, 4, 8)
LOAD_TARGET = 0.9
LOAD_BEAT = ("comtypes", "pywin32")


def load_servers() -> list[tuple[str, Any]]:
    """The four LocalServer32s of the row, (label, CLSID of their IBenchTarget class)."""
    from bench.benchtarget import CLSID_CppBenchServer, CLSID_CtBenchServer, CLSID_PwBenchServer, CLSID_PyBenchServer

    return [
        ("cpp", CLSID_CppBenchServer),
        ("ours", CLSID_PyBenchServer),
        ("comtypes", CLSID_CtBenchServer),
        ("pywin32", CLSID_PwBenchServer),
    ]


def load_row(quick: bool, say: Any = print, processes: tuple[int, ...] = LOAD_PROCESSES) -> dict[str, Any]:
    """Row L: for each server (started once and kept by a keeper pointer in this process), for each N, N C++ client
    processes making M checked Work(50) calls each (M = 150 quick, 600 full). Returns the row's JSON entry (schema
    in bench/README.md)."""
    from bench.pairs import _local

    calls = 150 if quick else 600
    points: list[dict[str, Any]] = []
    for server, clsid in load_servers():
        keeper = None
        try:
            keeper = _local(clsid)
            for n in processes:
                r = run_load(LoadSpec(server=server, clsid=clsid, client="cpp"), n, calls)
                points.append(r.as_dict())
                say(f"  L {server:>8} N={n}: {r.calls_per_s:8.0f} calls/s  wrong={r.wrong} errors={r.errors}")
        except Exception as e:
            points.append({"server": server, "error": f"{type(e).__name__}: {e}"})
            say(f"  L {server:>8} failed: {e}")
        finally:
            if keeper is not None:
                keeper.release()
    return load_summary(points, processes, calls)


def load_summary(points: list[dict[str, Any]], processes: tuple[int, ...], calls: int) -> dict[str, Any]:
    """The row's verdict from its points (COM-free): ours/C++ throughput per N (>= LOAD_TARGET), ours ahead of
    each of LOAD_BEAT at every N, and no wrong result, error or failed process anywhere."""
    rate = {(p["server"], p["processes"]): p["calls_per_s"] for p in points if "calls_per_s" in p}
    ratio = {}
    ahead: dict[str, bool] = {}
    for n in processes:
        ours, cpp = rate.get(("ours", n)), rate.get(("cpp", n))
        ratio[str(n)] = (ours / cpp) if ours and cpp else None
        for lib in LOAD_BEAT:
            theirs = rate.get((lib, n))
            if ours is not None and theirs is not None:
                ahead[f"{lib}@{n}"] = ours > theirs
    clean = all(
        not p.get("error") and not p["wrong"] and not p["errors"] and not p["failed_processes"]
        for p in points
        if "calls" in p or "error" in p
    )
    clean = clean and all("error" not in p for p in points)
    met = None
    if all(v is not None for v in ratio.values()):
        met = clean and all(v >= LOAD_TARGET for v in ratio.values() if v is not None) and all(ahead.values())
    return {
        "id": "L",
        "title": "load: N concurrent C++ client processes x M checked Work(50) calls on each LocalServer32",
        "calls_per_process": calls,
        "processes": list(processes),
        "target": LOAD_TARGET,
        "ours_over_cpp": ratio,
        "ours_ahead_of": ahead,
        "clean": clean,
        "target_met": met,
        "points": points,
    }


def render_load_markdown(row: dict[str, Any]) -> list[str]:
    """The load row as a table: calls/s by server and N, then ours/C++ (COM-free)."""
    servers = [s for s in ("cpp", "ours", "comtypes", "pywin32") if any(p["server"] == s for p in row["points"])]
    met = {True: "met", False: "MISSED", None: "-"}[row["target_met"]]
    clean = "clean" if row["clean"] else "NOT CLEAN"
    lines = [
        f"## L. {row['title']}",
        f"M = {row['calls_per_process']} calls per process; target: ours ≥ {row['target']}x C++ at every N and ahead "
        f"of {', '.join(LOAD_BEAT)} ({met}); wrong results and errors must be 0 ({clean})",
        "",
        "| N | " + " | ".join(f"{s} calls/s" for s in servers) + " | ours/C++ |",
        "|---|" + "---|" * (len(servers) + 1),
    ]
    for n in row["processes"]:
        cells = []
        for s in servers:
            p = next((p for p in row["points"] if p["server"] == s and p.get("processes") == n), None)
            if p is None:
                cells.append("")
            else:
                bad = f" ({p['wrong']} wrong, {p['errors']} errors)" if p["wrong"] or p["errors"] else ""
                cells.append(f"{p['calls_per_s']:.0f}{bad}")
        r = row["ours_over_cpp"].get(str(n))
        lines.append(
            f"| {n} | " + " | ".join(cells) + f" | {r:.2f} |"
            if r is not None
            else f"| {n} | " + " | ".join(cells) + " | - |"
        )
    for p in row["points"]:
        if p.get("error"):
            lines.append(f"\n{p['server']}: {p['error']}")
    lines.append("")
    return lines
