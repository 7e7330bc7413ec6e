"""The load driver's arithmetic (COM-free, runs on Linux too): totals, the window across processes, the verdict."""

from bench.load import LoadSpec, combine, load_summary, render_load_markdown


def _line(calls, start, end, wrong=0, errors=0, first_error="0x00000000"):
    return {"calls": calls, "wrong": wrong, "errors": errors, "first_error": first_error, "start": start, "end": end}


def test_combine_takes_the_window_from_the_earliest_start_to_the_latest_end():
    r = combine(LoadSpec("ours"), [_line(100, 10.0, 11.0), _line(100, 10.5, 12.0)], 2)
    assert (r.calls, r.seconds, r.calls_per_s) == (200, 2.0, 100.0)
    assert r.ok and r.first_error is None


def test_combine_counts_wrong_results_errors_and_failed_processes():
    lines = [_line(10, 0.0, 1.0, wrong=1), _line(10, 0.0, 1.0, errors=2, first_error="0x800706BA"), {"error": "boom"}]
    r = combine(LoadSpec("ours"), lines, 3)
    assert (r.calls, r.wrong, r.errors, r.first_error) == (20, 1, 2, "0x800706BA")
    assert r.failed_processes == ["boom"] and not r.ok


def _point(server, n, rate):
    return {
        "server": server,
        "processes": n,
        "calls_per_s": rate,
        "calls": 10,
        "wrong": 0,
        "errors": 0,
        "failed_processes": [],
    }


def test_load_summary_needs_ninety_percent_of_cpp_and_beating_comtypes_and_pywin32_at_every_n():
    points = [_point("cpp", 1, 100.0), _point("ours", 1, 95.0), _point("comtypes", 1, 50.0), _point("pywin32", 1, 60.0)]
    row = load_summary(points, (1,), 10)
    assert row["ours_over_cpp"] == {"1": 0.95} and row["target_met"] is True
    points[1] = _point("ours", 1, 55.0)  # below C++ x 0.9 and behind pywin32
    row = load_summary(points, (1,), 10)
    assert row["target_met"] is False and row["ours_ahead_of"] == {"comtypes@1": True, "pywin32@1": False}
    assert any("| 1 | 100 | 55 | 50 | 60 | 0.55 |" == line for line in render_load_markdown(row))


def test_a_wrong_result_fails_the_row_whatever_the_speed():
    points = [_point("cpp", 1, 100.0), dict(_point("ours", 1, 500.0), wrong=1)]
    assert load_summary(points, (1,), 10)["target_met"] is False
