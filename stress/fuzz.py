"""The fuzz section of `make stress` (issue 15, item 2): ``run(cases, seed)`` spreads ``cases`` hypothesis cases over
the targets of ``stress.hostile_input`` and runs them in child processes, a batch each, so that a crash in the
runtime is caught, counted and kept as a reproduction instead of ending the run.

A child that dies after announcing a case (``C`` line) is a crash of that case: its exit status, the end of its
stderr and the case (with the template it was made from) go to one line of
``bench/results/fuzz-crashes/crashes.jsonl``, and the first ones of each kind also to ``<target>-<n>.json`` with
whether replaying that file crashes again, and a new child goes on with the cases left. A child silent for
``HANG_SECONDS`` is ended by its process id and counted as a hang. A crash is the runtime's when the runtime says
so itself (a Wine assertion naming one of its DLLs, an unimplemented-function stub, a fault address inside one of
its DLLs, from the line the child's unhandled-exception filter writes to its stderr); otherwise it is charged to
whoever parses the hostile part (``hostile_input.OWNER``: the runtime for standard and FTM OBJREFs, ours for our
unmarshalers and IDispatch, so a crash there counts against us even if the runtime faulted). Ours must be 0, and
so must findings (a broken property) and hangs in our code.

    tools/winpy stress/fuzz.py --cases 2000 --seed 1        # what make stress runs (100000 with SOAK=1)
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from stress.hostile_input import OWNER, TARGETS, stream_owner  # noqa: E402

HOSTILE = os.path.join(ROOT, "stress", "hostile_input.py")
CRASH_DIR = os.path.join(ROOT, "bench", "results", "fuzz-crashes")
#: share of the cases per target
SHARES = {"objref": 0.3, "byvalue": 0.15, "tracer": 0.15, "stream": 0.2, "dispatch": 0.2}
BATCH = 5_000
HANG_SECONDS = 60.0
KEEP_PER_KIND = 2  # reproductions saved per (target, exit status)
_files = threading.Lock()  # targets run side by side: one writer of crashes.jsonl and of new file names at a time


def _split(cases: int) -> dict[str, int]:
    out = {t: int(cases * SHARES[t]) for t in TARGETS}
    out["objref"] += cases - sum(out.values())
    return out


class _Child:
    """One batch in a child process; its stdout lines read by a thread, so a silent child can be timed out."""

    def __init__(self, target: str, cases: int, seed: int) -> None:
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, HOSTILE, "--target", target, "--cases", str(cases), "--seed", str(seed)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            cwd=ROOT,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def stderr_tail(self, n: int = 1200) -> str:
        self.stderr.seek(0)
        data = self.stderr.read()
        text = data.decode("utf-8", "replace")
        if "\x00" in text:  # Wine's assertion text can come out as UTF-16
            text = data.decode("utf-16-le", "replace")
        return text[-n:]

    def end(self) -> int:
        """End the child by its process id if it still runs; its exit status."""
        if self.proc.poll() is None:
            self.proc.kill()
        rc = self.proc.wait(30)
        self.reader.join(10)
        self.stderr.close()
        return rc


def run_target(target: str, cases: int, seed: int, crash_dir: str = CRASH_DIR) -> dict[str, Any]:
    """``cases`` cases of ``target`` in as many child batches as crashes make necessary."""
    outcomes: Counter[str] = Counter()
    findings: list[dict[str, Any]] = []
    crashes: list[dict[str, Any]] = []
    run = restarts = 0
    saved: Counter[tuple[str, int]] = Counter()
    batch_seed = seed
    while run < cases and restarts < cases // 10 + 20:  # a crash per 10 cases at most, then the target stops
        n = min(BATCH, cases - run)
        child = _Child(target, n, batch_seed)
        batch_seed += 7919
        last: dict[str, Any] | None = None
        summary: dict[str, Any] | None = None
        modules: list[list[Any]] = []
        templates: dict[str, list[str]] = {}
        hung = False
        started = 0
        while True:
            try:
                line = child.lines.get(timeout=HANG_SECONDS)
            except queue.Empty:
                hung = True
                break
            if line is None:
                break
            if line.startswith("M "):
                header = json.loads(line[2:])
                modules, templates = header["modules"], header["templates"]
            elif line.startswith("C "):
                last = json.loads(line[2:])
                started += 1
            elif line.startswith("F "):
                findings.append(json.loads(line[2:]))
            elif line.startswith("D "):
                outcomes[line[2:].strip()] += 1
            elif line.startswith("R "):
                summary = json.loads(line[2:])
        tail = child.stderr_tail() if summary is None else ""
        rc = child.end()
        run += started
        if summary is not None:
            if started < n:  # hypothesis ran out of distinct cases: a new seed goes on
                restarts += 1
            continue
        restarts += 1
        if last is None:  # died before any case: the harness itself is broken
            raise RuntimeError(f"fuzz child for {target} exited {rc:#x} before its first case:\n{tail}")
        crash = {
            "target": target,
            "owner": _owner(target, last, rc, tail, modules),
            "module": _faulting_module(tail, modules),
            "kind": "hang" if hung else "crash",
            "exit_status": f"0x{rc & 0xFFFFFFFF:08X}",
            "stderr_tail": tail.strip()[-600:],
            "case": last,
            "template_bytes": _template_of(target, last, templates),
            # the state a crash needs (the child's own objects, what earlier cases did to their stubs) comes back
            # by replaying the batch up to that case: same target, seed and count
            "batch": {"target": target, "seed": batch_seed - 7919, "cases": started},
        }
        key = (target, rc)
        saved[key] += 1
        if saved[key] <= KEEP_PER_KIND:  # its own file, replayed once to see that it crashes again
            crash["reproduction"] = _save(crash, crash_dir)
        _append(crash, crash_dir)  # every crash: one line of crashes.jsonl, replayable as it is
        crashes.append(crash)
    return {
        "target": target,
        "planned": cases,
        "cases": run,
        "outcomes": dict(outcomes),
        "findings": findings,
        "crashes": crashes,
    }


#: the runtime's modules: a fault inside one of them is the runtime's crash
RUNTIME_MODULES = frozenset(
    {"combase.dll", "ole32.dll", "oleaut32.dll", "rpcrt4.dll", "ntdll.dll", "kernelbase.dll", "kernel32.dll"}
)
_FAULT = re.compile(r"page fault on \w+ access to \w+ at address ([0-9A-Fa-f]+)")


def _faulting_module(stderr: str, modules: list[list[Any]]) -> str | None:
    """The module whose code faulted, from the child's "page fault on ... access to ... at address X" line (its
    unhandled-exception filter writes it in Wine's wording)."""
    m = _FAULT.search(stderr)
    if not m:
        return None
    address = int(m.group(1), 16)
    for name, base, size in modules:
        if base <= address < base + size:
            return str(name)
    return "(no module)"


def _owner(target: str, case: dict[str, Any], status: int, stderr: str, modules: list[list[Any]]) -> str:
    """Whose code crashed: the runtime when the faulting address is in one of its DLLs, or when it says so itself
    (a Wine assertion in one of its DLLs, an unimplemented-function stub); else whose code parses the hostile
    part (``hostile_input.OWNER``), ours for a fault in our modules or Python; a fault at an address in no module
    is charged as a crash with no such line is."""
    module = _faulting_module(stderr, modules)
    if module in RUNTIME_MODULES:
        return "runtime"
    if ("Assertion failed" in stderr and "dlls/" in stderr) or (status & 0xFFFFFFFF) == 0x80000100:
        return "runtime"
    if module is not None and module != "(no module)":
        return "ours"  # (a fault outside every module, e.g. in generated code or Wine's unix side, is not told apart)
    return stream_owner(case.get("template", "")) if target == "stream" else OWNER[target]


def _template_of(target: str, case: dict[str, Any], templates: dict[str, list[str]]) -> str | None:
    """The valid OBJREF (hex) the crashing case was made from, in the crashed child (``--replay`` rebases it)."""
    try:
        if target == "stream":
            return templates[f"stream:{case['template']}"][case["index"]]
        return templates[target][case["template"]]
    except (KeyError, IndexError, TypeError):
        return None


def _append(crash: dict[str, Any], crash_dir: str) -> None:
    """One line per crash in ``crash_dir/crashes.jsonl``; ``--replay`` takes a line saved as a file."""
    os.makedirs(crash_dir, exist_ok=True)
    with _files, open(os.path.join(crash_dir, "crashes.jsonl"), "a") as f:
        f.write(json.dumps(crash) + "\n")


def _save(crash: dict[str, Any], crash_dir: str) -> str:
    os.makedirs(crash_dir, exist_ok=True)
    with _files:
        n = 1
        while os.path.exists(os.path.join(crash_dir, f"{crash['target']}-{n}.json")):
            n += 1
        path = os.path.join(crash_dir, f"{crash['target']}-{n}.json")
        with open(path, "w") as f:
            json.dump(crash, f, indent=1)
    try:
        rel = os.path.relpath(path, ROOT).replace("\\", "/")
    except ValueError:  # another drive (a test's temporary directory)
        rel = path
    batch = crash["batch"]
    crash["replay_case"] = f"tools/winpy stress/hostile_input.py --replay {rel}"
    crash["replay_batch"] = (
        "tools/winpy stress/hostile_input.py --target {target} --seed {seed} --cases {cases}".format(**batch)
    )
    crash["reproduces"] = _crashes([HOSTILE, "--replay", path])  # the case alone, rebased, in a fresh process
    with open(path, "w") as f:
        json.dump(crash, f, indent=1)
    return rel


def _crashes(args: list[str]) -> bool:
    """Whether running ``args`` in a fresh child crashes (or hangs) it."""
    try:
        r = subprocess.run(
            [sys.executable, *args], stdin=subprocess.DEVNULL, capture_output=True, timeout=HANG_SECONDS, cwd=ROOT
        )
    except subprocess.TimeoutExpired:
        return True
    return r.returncode != 0


def known_not_to_hold(runtime: list[dict[str, Any]]) -> list[dict[str, str]]:
    """One item per kind of runtime crash (target, exit status, crash or hang), with how to reproduce it: a saved
    case whose replay crashed again, else the first saved case (its replay during the run did not crash: Wine's
    stub-manager assertion does not always recur, and replayed again later it did), else the batch that crashed
    (same target, seed and count)."""
    kinds = Counter((c["target"], c["exit_status"], c["kind"]) for c in runtime)
    known = []
    for (t, status, kind), n in kinds.items():
        same = [c for c in runtime if (c["target"], c["exit_status"]) == (t, status)]
        saved = [c for c in same if c.get("reproduction")]
        chosen = next((c for c in saved if c.get("reproduces")), saved[0] if saved else None)
        what = f"the runtime crashes on hostile {t} input ({kind}, exit status {status}): {n} of the cases"
        if chosen is not None:
            how = f"tools/winpy stress/hostile_input.py --replay {chosen['reproduction']}"
            if not chosen.get("reproduces"):
                what += " (not every replay crashes: the saved cases did not when the run replayed them)"
        else:  # (nothing saved for this kind: its first crash's batch)
            how = "tools/winpy stress/hostile_input.py --target {target} --seed {seed} --cases {cases}".format(
                **same[0]["batch"]
            )
        known.append({"what": what, "reproduction": how})
    return known


def run(cases: int, seed: int, jobs: int | None = None) -> dict[str, Any]:
    """The section (stress-api.md): ``cases`` spread over the targets; figures, per-target table, crashes.

    The targets run side by side, ``jobs`` at a time (default: one per CPU); each has its own child processes and
    seeds, so the cases and their results do not depend on ``jobs``, only the order of crashes.jsonl does."""
    t0 = time.monotonic()
    work = [(t, n) for t, n in _split(cases).items() if n > 0]
    with ThreadPoolExecutor(max_workers=max(1, jobs or os.cpu_count() or 1)) as pool:
        results = list(pool.map(lambda tn: run_target(tn[0], tn[1], seed), work))
    crashes = [c for r in results for c in r["crashes"]]
    ours = [c for c in crashes if c["owner"] == "ours"]
    runtime = [c for c in crashes if c["owner"] == "runtime"]
    findings = [f for r in results for f in r["findings"]]
    total = sum(r["cases"] for r in results)
    rows = []
    for r in results:
        top = ", ".join(f"{k} {v}" for k, v in Counter(r["outcomes"]).most_common(4))
        mine = [c for c in r["crashes"]]
        rows.append(
            [
                r["target"],
                r["cases"],
                sum(1 for c in mine if c["owner"] == "ours"),
                sum(1 for c in mine if c["owner"] == "runtime"),
                len(r["findings"]),
                top,
            ]
        )
    known = known_not_to_hold(runtime)
    return {
        "ok": not ours and not findings,
        "summary": (
            f"{total} hostile cases ({', '.join(str(r['target']) + ' ' + str(r['cases']) for r in results)}): "
            f"{len(ours)} crashes in our code, {len(runtime)} in the runtime (each kept with a reproduction), "
            f"{len(findings)} broken properties"
        ),
        "figures": {
            "cases run": total,
            "crashes in our code": len(ours),
            "crashes in the runtime": len(runtime),
            "hangs": sum(1 for c in crashes if c["kind"] == "hang"),
            "broken properties (findings)": len(findings),
            "reproductions saved": sum(1 for c in crashes if c.get("reproduction")),
            "cases planned": sum(r["planned"] for r in results),
            "seconds": round(time.monotonic() - t0, 1),
        },
        "tables": [
            {
                "title": "Hostile input by target (a child process per batch)",
                "columns": ["target", "cases", "crashes ours", "crashes runtime", "findings", "most frequent outcomes"],
                "rows": rows,
            }
        ],
        "known_not_to_hold": known,
        "crashes": crashes[:50],
        "findings": findings[:20],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--targets", default=",".join(TARGETS))
    ap.add_argument("--jobs", type=int, default=None, help="targets run side by side (default: one per CPU)")
    args = ap.parse_args(argv)
    wanted = args.targets.split(",")
    global SHARES
    SHARES = {t: (v if t in wanted else 0.0) for t, v in SHARES.items()}
    total = sum(SHARES.values())
    SHARES = {t: v / total for t, v in SHARES.items()}
    result = run(args.cases, args.seed, args.jobs)
    print(json.dumps({k: result[k] for k in ("ok", "summary", "figures", "tables")}, indent=1))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
