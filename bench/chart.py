"""Draw bench/results/latest.png from latest.json: per row, each client -> server pair's ratio to C++ -> C++
(log scale), with the article's managed/unmanaged ratio and the issue's target beside them; under them the load
row's curves (calls/s against concurrent client processes, one per server). Runs on the Linux
side (matplotlib), after the runner: `make bench` does both.

    .winenv/venv/bin/python bench/chart.py [bench/results/latest.json]
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

COLORS = {"ours": "#1f77b4", "cpp": "#7f7f7f", "comtypes": "#ff7f0e", "pywin32": "#2ca02c"}


def draw_load(ax: Any, load: dict[str, Any]) -> None:
    """Row L: one curve per server, total calls/s by number of concurrent client processes (log-2 x axis)."""
    for server, color in COLORS.items():
        pts = sorted(
            (p["processes"], p["calls_per_s"])
            for p in load["points"]
            if p.get("server") == server and "calls_per_s" in p
        )
        if pts:
            ax.plot([n for n, _ in pts], [r for _, r in pts], marker="o", color=color, label=f"server: {server}")
    ax.set_xscale("log", base=2)
    ax.set_xticks(load["processes"])
    ax.set_xticklabels([str(n) for n in load["processes"]])
    ax.set_xlabel("concurrent C++ client processes (each M checked Work(50) calls)")
    ax.set_ylabel("total calls/s")
    met = {True: "met", False: "missed", None: "-"}[load.get("target_met")]
    ax.set_title(f"L: load on each LocalServer32 (target ours ≥ {load['target']}x C++ at every N: {met})", fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)


def main(argv: list[str]) -> int:
    path = (
        argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "latest.json")
    )
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    labels, values, colors, article, target = [], [], [], [], []
    for row in data["rows"]:
        for p in row["pairs"]:
            if p.get("ratio") is None or (p["client"] == "cpp" and p["server"] == "cpp"):
                continue
            labels.append(f"{row['id']}  {p['client']} → {p['server']}")
            values.append(p["ratio"])
            colors.append(COLORS.get(p["client"], "#999999"))
            article.append(row["article_ratio"])
            target.append(row["target"] if p["client"] == "ours" and p["server"] == "ours" else None)
    load = data.get("load")
    height = 0.32 * len(labels) + 1.5
    if load:  # the load row (L) as a curve under the bars: total calls/s against N client processes, per server
        fig, (ax, ax_load) = plt.subplots(
            2, 1, figsize=(10, height + 4.0), gridspec_kw={"height_ratios": [height, 4.0]}
        )
        draw_load(ax_load, load)
    else:
        fig, ax = plt.subplots(figsize=(10, height))
    y = range(len(labels))
    ax.barh(list(y), values, color=colors)
    for i, (a, t) in enumerate(zip(article, target, strict=False)):
        if a:
            ax.plot([a], [i], marker="|", markersize=14, color="black")
        if t:
            ax.plot([t], [i], marker="v", markersize=7, color="red")
    ax.axvline(1.0, color="#444444", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_yticks(list(y))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(
        "median time / C++ → C++ median (log scale; | = article's managed/unmanaged ratio, ▼ = target for ours → ours)"
    )
    env = data.get("environment", {})
    ax.set_title(
        f"ole32-bindings vs native C++ on {('Wine ' + env['wine']) if env.get('wine') else 'Windows'}, {data['date']}",
        fontsize=10,
    )
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in COLORS.values()]
    ax.legend(handles, [f"client: {k}" for k in COLORS], fontsize=8, loc="lower right")
    fig.tight_layout()
    out = os.path.splitext(path)[0] + ".png"
    fig.savefig(out, dpi=110)
    print("wrote", out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
