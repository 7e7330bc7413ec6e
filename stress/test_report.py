"""The reliability report's merging and rendering (COM-free, runs on Linux in make test)."""

import pytest

from stress import report


def _sections():
    return {
        "load": {
            "ok": True,
            "summary": "0 wrong, 0 errors",
            "figures": {"calls": 12000, "calls/s": 2345.6},
            "tables": [{"title": "by server", "columns": ["server", "calls/s"], "rows": [["ours", 2345.6]]}],
            "seconds": 12.5,
        },
        "fuzz": {"ok": None, "summary": "not run: stress.fuzz is not there"},
        "faults": {
            "ok": False,
            "summary": "1 check failed",
            "error": "Traceback\nboom",
            "seconds": 3.0,
            "known_not_to_hold": [{"what": "Wine does not ping.", "reproduction": "tools/winpy x.py"}],
        },
    }


def test_verdict_fails_on_a_failed_section_and_not_on_one_not_run():
    s = _sections()
    assert report.verdict(s) is False
    s["faults"]["ok"] = True
    assert report.verdict(s) is True


def test_markdown_has_every_section_its_figures_tables_and_known_failures():
    data = report.build(_sections(), "quick", 7, {"wine": "8.0"})
    md = report.render_markdown(data)
    assert data["schema"] == report.SCHEMA and data["ok"] is False
    assert "| load | ok | 12.5 | 0 wrong, 0 errors |" in md
    assert "| fuzz | not run |" in md and "| calls | 12,000 |" in md and "| ours | 2.35e+03 |" not in md
    assert "| ours | 2,346 |" in md
    assert "Known not to hold: Wine does not ping. Reproduce: `tools/winpy x.py`" in md
    assert "boom" in md


def test_the_readme_block_is_replaced_between_its_markers_only():
    data = report.build(_sections(), "quick", 7, {})
    text = f"# x\n\nbefore\n{report.BEGIN}\nSTALE\n{report.END}\nafter\n"
    out = report.refresh_readme(text, report.readme_block(data))
    assert out.startswith("# x\n\nbefore\n" + report.BEGIN) and out.endswith(report.END + "\nafter\n")
    assert "STALE" not in out and "| load | ok | 0 wrong, 0 errors |" in out
    assert "- Wine does not ping. Reproduce: `tools/winpy x.py`" in out
    with pytest.raises(ValueError, match="reliability:begin"):
        report.refresh_readme("no markers", "x")
