"""`make stress`: the reliability figures of issue 15 (docs/reliability.md), quick by default.

    tools/winpy stress/run.py [--soak] [--sections load,soak,faults,fuzz,hostile] [--seed N] [--out bench/results]
                              [--no-readme]

Each section is a module of this package with ``run(quick=..., seed=...) -> dict`` (fuzz: ``run(cases, seed)``),
run in this order in this process (sections start their own processes and end them by id); a section whose module
is not there is reported as not run. After every section no Python COM object may be alive and no reference held
here. Output: bench/results/reliability.json and .md (stress/report.py), and the README's Reliability block.
Exit status 1 when a section failed.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import sys
import time
import traceback
from typing import Any

sys.coinit_flags = 0  # comtypes and pythoncom (the bench's other servers) join the MTA on import, like this thread
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from stress import report  # noqa: E402

#: (section, module) in run order
SECTIONS = [
    ("load", "stress.load"),
    ("soak", "stress.soak"),
    ("fuzz", "stress.fuzz"),  # the hostile-input engineer's: run(cases, seed)
    ("hostile", "stress.hostile"),  # theirs too: message filter, cancellation, security figures
    ("faults", "stress.faults"),  # last: it kills servers (under Wine that can disturb later activations)
]
FUZZ_CASES = {True: 2_000, False: 100_000}  # quick, soak


def progress(text: str) -> None:
    print(text, flush=True)


def run_section(name: str, module_name: str, quick: bool, seed: int) -> dict[str, Any]:
    """Import and run one section; its result with ``seconds`` (and ``error`` if it raised); marked not ok when
    Python COM objects or references are left in this process afterwards."""
    t0 = time.monotonic()
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name != module_name:
            return {"ok": False, "summary": "its import failed (see error)", "error": traceback.format_exc()}
        return {"ok": None, "summary": f"not run: {module_name} is not there"}
    except Exception:  # a section that does not even import fails alone, the others still run
        return {"ok": False, "summary": "its import failed (see error)", "error": traceback.format_exc()}
    try:
        if name == "fuzz":
            result = dict(module.run(cases=FUZZ_CASES[quick], seed=seed))
        else:
            result = dict(module.run(quick=quick, seed=seed))
    except Exception:
        result = {"ok": False, "summary": "raised (see error)", "error": traceback.format_exc()}
    result["seconds"] = time.monotonic() - t0
    left = leftovers()
    if left:
        result["ok"] = False
        result["summary"] = f"{result.get('summary', '')}; LEAK in the runner: {left}"
    return result


def leftovers() -> dict[str, Any]:
    """Live Python COM objects and held references in this process (empty when none), after collecting."""
    from vtables import leaks

    for _ in range(40):
        gc.collect()
        if leaks.live_objects() == 0 and leaks.held_references == 0:
            return {}
        time.sleep(0.05)
    from vtables.object import live_objects

    return dict(leaks.snapshot(), live_types=sorted(type(o).__name__ for o in live_objects()))


def register() -> None:
    """The servers every section may use: the bench's four LocalServer32s (bench/run.py) and the automation
    contract (examples/automation/server.py -RegServer, in a child: it registers through its own imports)."""
    import subprocess

    from bench.run import register_servers

    register_servers()
    script = os.path.join(ROOT, "examples", "automation", "server.py")
    rc = subprocess.run([sys.executable, script, "-RegServer"], stdin=subprocess.DEVNULL, timeout=120).returncode
    if rc != 0:
        raise SystemExit(f"examples/automation/server.py -RegServer failed ({rc})")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--soak", action="store_true", help="the long mode: full soak and fuzz counts")
    ap.add_argument("--sections", default=None, help="comma-separated (default: all)")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    ap.add_argument("--no-readme", action="store_true", help="leave README.md's Reliability block as it is")
    args = ap.parse_args(argv)
    wanted = args.sections.split(",") if args.sections else [n for n, _ in SECTIONS]
    unknown = set(wanted) - {n for n, _ in SECTIONS}
    if unknown:
        ap.error(f"unknown sections {sorted(unknown)}")
    quick = not args.soak
    from ole32_bindings import apartments

    apartments.co_initialize()
    results: dict[str, dict[str, Any]] = {}
    t_start = time.monotonic()
    try:
        register()
        for name, module_name in SECTIONS:
            if name not in wanted:
                continue
            progress(f"[stress {time.monotonic() - t_start:6.1f}s] {name} ...")
            results[name] = r = run_section(name, module_name, quick, args.seed)
            status = {True: "ok", False: "FAILED", None: "not run"}[r.get("ok")]
            progress(f"[stress {time.monotonic() - t_start:6.1f}s] {name}: {status}: {r.get('summary', '')}")
            if r.get("error"):
                progress(r["error"])
    finally:
        apartments.co_uninitialize()
    from bench.run import environment

    data = report.build(results, "quick" if quick else "soak", args.seed, environment())
    data["seconds"] = time.monotonic() - t_start
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "reliability.json"), "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
    with open(os.path.join(args.out, "reliability.md"), "w", encoding="utf-8") as f:
        f.write(report.render_markdown(data))
    if not args.no_readme and args.sections is None:
        path = os.path.join(ROOT, "README.md")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(report.refresh_readme(text, report.readme_block(data)))
    progress(f"[stress {data['seconds']:6.1f}s] {'ok' if data['ok'] else 'FAILED'}: {args.out}/reliability.md")
    return 0 if data["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
