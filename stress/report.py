"""The reliability report (COM-free): section results merged into ``reliability.json`` (schema
``ole32-bindings.reliability/1``), rendered as ``reliability.md``, and the README's block between the markers
``<!-- reliability:begin -->`` and ``<!-- reliability:end -->`` refreshed with the summary.

A section result (docs/reliability.md, "Sections") is a dict: ``ok`` (bool, or None when not run), ``summary`` (one
line), ``figures`` (flat name -> number or text), optional ``tables`` (``title``, ``columns``, ``rows``) and
``known_not_to_hold`` (``what``, ``reproduction``); the runner adds ``seconds`` and, when ``run`` raised, ``error``.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

__all__ = ["SCHEMA", "BEGIN", "END", "build", "render_markdown", "readme_block", "refresh_readme", "verdict"]

SCHEMA = "ole32-bindings.reliability/1"
BEGIN = "<!-- reliability:begin -->"
END = "<!-- reliability:end -->"


def build(sections: dict[str, dict[str, Any]], mode: str, seed: int, environment: dict[str, Any]) -> dict[str, Any]:
    """The report: every section's result under its name, in run order, and the run's verdict."""
    return {
        "schema": SCHEMA,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "mode": mode,
        "seed": seed,
        "environment": environment,
        "ok": verdict(sections),
        "sections": sections,
    }


def verdict(sections: dict[str, dict[str, Any]]) -> bool:
    """True when every section that ran is ok (a section not run, ``ok`` None, does not fail the run)."""
    return all(s.get("ok") is not False for s in sections.values())


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v).replace("|", "\\|").replace("\n", " ")


def _sentence(text: str) -> str:
    """``text`` ending with a full stop (the reproduction follows it)."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _status(s: dict[str, Any]) -> str:
    return {True: "ok", False: "FAILED", None: "not run"}[s.get("ok")]


def render_markdown(data: dict[str, Any]) -> str:
    """reliability.md: a summary table, then each section's figures, tables and what is known not to hold."""
    lines = [
        f"# Reliability ({data['date']}, {data['mode']} mode, seed {data['seed']})",
        "",
        f"Environment: {json.dumps(data['environment'])}. Verdict: **{'ok' if data['ok'] else 'FAILED'}**.",
        "",
        "| section | status | seconds | summary |",
        "|---|---|---|---|",
    ]
    for name, s in data["sections"].items():
        secs = f"{s['seconds']:.1f}" if isinstance(s.get("seconds"), (int, float)) else ""
        lines.append(f"| {name} | {_status(s)} | {secs} | {_cell(s.get('summary', ''))} |")
    for name, s in data["sections"].items():
        lines += ["", f"## {name}", ""]
        if s.get("error"):
            lines += ["```", str(s["error"]).rstrip(), "```", ""]
        figures = s.get("figures") or {}
        if figures:
            lines += ["| figure | value |", "|---|---|"]
            lines += [f"| {k} | {_cell(v)} |" for k, v in figures.items()]
            lines.append("")
        for t in s.get("tables") or []:
            lines += [f"### {t['title']}", ""]
            lines.append("| " + " | ".join(t["columns"]) + " |")
            lines.append("|" + "---|" * len(t["columns"]))
            lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in t["rows"]]
            lines.append("")
        for k in s.get("known_not_to_hold") or []:
            lines.append(f"- Known not to hold: {_sentence(k['what'])} Reproduce: `{k['reproduction']}`")
    return "\n".join(lines).rstrip() + "\n"


def readme_block(data: dict[str, Any]) -> str:
    """The README's block: one line per section (status and summary), where the full report is, and every
    section's known-not-to-hold items with their reproductions."""
    lines = [
        BEGIN,
        f"Last `make stress` ({data['mode']} mode, {data['date']}): **{'ok' if data['ok'] else 'FAILED'}**; full "
        "figures in [bench/results/reliability.md](bench/results/reliability.md).",
        "",
        "| section | status | figures |",
        "|---|---|---|",
    ]
    for name, s in data["sections"].items():
        lines.append(f"| {name} | {_status(s)} | {_cell(s.get('summary', ''))} |")
    known = [k for s in data["sections"].values() for k in s.get("known_not_to_hold") or []]
    if known:
        lines += ["", "Known not to hold (each with its reproduction):", ""]
        lines += [f"- {_sentence(k['what'])} Reproduce: `{k['reproduction']}`" for k in known]
    lines.append(END)
    return "\n".join(lines)


def refresh_readme(text: str, block: str) -> str:
    """``text`` with the block between the markers replaced by ``block`` (ValueError if the markers are absent)."""
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"no {BEGIN} ... {END} block in the README")
    return pattern.sub(lambda _: block, text, count=1)
