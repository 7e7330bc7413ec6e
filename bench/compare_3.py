"""Rows 3 and 3s: do the C++ baseline and the other pairs do the same thing? (issue 14, item 6)

Run: ``tools/winpy bench/compare_3.py [--rounds N]`` (after ``make native``). Interleaved, N rounds, medians of
seconds per Nothing() call, every variant in the same minutes of the shared machine:

row 3 (MTA client -> object in an STA)

* ``bench_cpp_client.exe`` (the row's C++ -> C++): a new process per sample, 2000 calls after 10 warm-up calls;
* ``xapt.exe`` (native/bench/xapt.c): a second native implementation written from the contract alone, the same
  shape (a new process, its own object in an STA with a GetMessage loop, the client in the MTA): 2000 calls, and
  20000;
* C++ loop -> C++ object and C++ loop -> our object, both in this Python process, the object in the runner's STA
  thread (``bench.pairs.StaHost``), the loop the test DLL's ``TL_LoopNothing`` on this MTA thread: the row's cpp ->
  ours pair and the same harness on the C++ object.

row 3s (STA client -> object in the MTA): ``bench_cpp_client.exe``, ``xapt.exe``, and the row's ours -> ours.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

XAPT = os.path.join(ROOT, "build", "native", "xapt.exe")


def xapt(row: str, calls: int) -> float:
    with tempfile.TemporaryFile() as out:
        subprocess.run(
            [XAPT, row, str(calls), "1"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=300,
            check=False,
        )
        out.seek(0)
        data = json.loads(out.read().decode().strip().splitlines()[-1])
    if "error" in data or not data["proxy"] or not data["ran_on_host"] or data["work"] != 4950:
        raise RuntimeError(f"xapt.exe {row}: {data}")
    return float(data["median"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    sys.coinit_flags = 0
    from ole32_bindings import apartments

    apartments.co_initialize()
    from bench import pairs as P
    from bench.benchtarget import CLSID_CppBenchTarget

    variants: dict[str, Callable[[], float]] = {}
    variants["3  cpp -> cpp: bench_cpp_client.exe, 2000 calls"] = lambda: float(
        P.cpp_client_row("cross_apartment_nothing_mta_to_sta", CLSID_CppBenchTarget, 2000)["seconds_per_op"]
    )
    variants["3  cpp -> cpp: xapt.exe (independent), 2000 calls"] = lambda: xapt("mta_to_sta", 2000)
    variants["3  cpp -> cpp: xapt.exe (independent), 20000 calls"] = lambda: xapt("mta_to_sta", 20000)
    m_ours = P.cross_apartment_cpp_to_ours(False)
    m_cpp = P.cross_apartment_cpp_to_ours(False, P.cpp_object)
    m_ours.check()
    m_cpp.check()
    variants["3  cpp -> ours: TL_LoopNothing in this process, 2000 calls"] = lambda: m_ours.sample(2000)
    variants["3  cpp -> cpp: TL_LoopNothing in this process (same harness), 2000 calls"] = lambda: m_cpp.sample(2000)
    variants["3s cpp -> cpp: bench_cpp_client.exe, 2000 calls"] = lambda: float(
        P.cpp_client_row("cross_apartment_nothing_sta_to_mta", CLSID_CppBenchTarget, 2000)["seconds_per_op"]
    )
    variants["3s cpp -> cpp: xapt.exe (independent), 2000 calls"] = lambda: xapt("sta_to_mta", 2000)
    m_3s = P.cross_apartment_ours_to_ours(False, client_in_sta=True)
    m_3s.check()
    variants["3s ours -> ours (the row's pair), 2000 calls"] = lambda: m_3s.sample(2000)
    samples: dict[str, list[float]] = {k: [] for k in variants}
    try:
        for _ in range(args.rounds):
            for k, fn in variants.items():
                samples[k].append(fn())
    finally:
        for m in (m_ours, m_cpp, m_3s):
            m.close()
    print(f"rows 3 and 3s, µs per call, {args.rounds} interleaved rounds")
    print("| variant | median | min | max |")
    print("|---|---|---|---|")
    for k, v in samples.items():
        print(f"| {k} | {statistics.median(v) * 1e6:.1f} | {min(v) * 1e6:.1f} | {max(v) * 1e6:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
