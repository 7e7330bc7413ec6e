"""The test harness reports real crashes, and only those (tests/crashreport.py; issue 14, item 8)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from crashreport import REPORT_PREFIX

pytestmark = pytest.mark.runtime

HERE = os.path.dirname(os.path.abspath(__file__))


def _child(what: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, os.path.join(HERE, "crashreport.py"), what],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_a_real_crash_in_a_child_is_reported_with_its_python_stack():
    done = _child("crash")
    assert done.returncode & 0xFFFFFFFF == 0xC0000005, (done.returncode, done.stderr)
    assert REPORT_PREFIX + "C0000005, access violation" in done.stderr, done.stderr
    # then the stack of the thread that crashed, innermost first (CPython's own dump)
    assert "line" in done.stderr and "in read_null" in done.stderr and "in <module>" in done.stderr, done.stderr
    assert done.stderr.index("in read_null") < done.stderr.index("in <module>")


def test_an_exception_a_handler_catches_prints_nothing():
    """The noise of issue 14: faulthandler printed "Windows fatal exception: code 0x800706b5" and a stack here, for an
    exception raised and caught."""
    done = _child("handled")
    assert done.returncode == 0 and done.stdout.strip() == "survived", (done.returncode, done.stdout, done.stderr)
    assert "fatal exception" not in done.stderr.lower(), done.stderr
    before = _child("faulthandler")  # the same with faulthandler's handler, as pytest enabled it: the noise
    assert before.returncode == 0 and before.stdout.strip() == "survived"
    assert "Windows fatal exception: code 0x800706b5" in before.stderr, before.stderr


def test_the_pytest_process_has_no_fatal_error_handler():
    import faulthandler

    assert not faulthandler.is_enabled()  # replaced by the crash-only report (conftest.pytest_configure)
