"""Print the ratios of a pytest-benchmark JSON run whose benchmarks carry extra_info group/impl/ops_per_round
(tests/ole32_marshalling/test_bench_marshalling.py): per group, each implementation's median per operation and its ratio
to the group's "cpp" entry measured in the same run.

    python tools/bench_ratios.py build/bench-marshalling.json [--markdown]
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict


def rows(doc: dict) -> dict[str, dict[str, tuple[float, float, float]]]:
    groups: dict[str, dict[str, tuple[float, float, float]]] = defaultdict(dict)
    for b in doc["benchmarks"]:
        info = b.get("extra_info", {})
        if "group" not in info:
            continue
        n = info["ops_per_round"]
        s = b["stats"]
        groups[info["group"]][info["impl"]] = (s["min"] / n, s["median"] / n, s["max"] / n)
    return groups


def render(groups: dict, markdown: bool) -> str:
    out = []
    if markdown:
        out.append("| operation | implementation | min µs | median µs | max µs | ratio to C++ |")
        out.append("|---|---|---|---|---|---|")
    for group in sorted(groups):
        impls = groups[group]
        base = impls.get("cpp", (None, None, None))[1]
        for impl in sorted(impls, key=lambda k: (k != "cpp", k)):
            lo, med, hi = impls[impl]
            ratio = f"{med / base:.2f}" if base else "-"
            if markdown:
                out.append(f"| {group} | {impl} | {lo * 1e6:.3f} | {med * 1e6:.3f} | {hi * 1e6:.3f} | {ratio} |")
            else:
                out.append(
                    f"{group:24} {impl:10} median {med * 1e6:10.3f} µs  (min {lo * 1e6:.3f}, "
                    f"max {hi * 1e6:.3f})  ratio {ratio}"
                )
    return "\n".join(out)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as f:
        doc = json.load(f)
    groups = rows(doc)
    if not groups:
        print(f"{argv[0]}: no benchmark with extra_info group/impl", file=sys.stderr)
        return 1
    print(render(groups, "--markdown" in argv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
