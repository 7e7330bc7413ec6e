"""ole32_bindings.win32's waits on several handles and on a process, and security.calling_process_id outside a
call (what ole32_servers.services.rundown builds on; its use inside a served call is tested there:
tests/ole32_servers/services/test_service_faults.py)."""

import subprocess
import sys

import pytest

pytestmark = pytest.mark.runtime


def test_wait_for_multiple_objects_names_the_signalled_handle():
    from ole32_bindings import win32
    from ole32_bindings.constants import WAIT_TIMEOUT

    a, b = win32.create_event(manual_reset=False), win32.create_event(manual_reset=False)
    try:
        assert win32.wait_for_multiple_objects([a, b], timeout_ms=0) == WAIT_TIMEOUT
        win32.set_event(b)
        assert win32.wait_for_multiple_objects([a, b], timeout_ms=1000) == 1
        assert win32.wait_for_multiple_objects([a, b], timeout_ms=0) == WAIT_TIMEOUT  # auto-reset: consumed
    finally:
        win32.close_handle(a)
        win32.close_handle(b)


def test_a_process_handle_for_waiting_is_signalled_when_it_exits():
    from ole32_bindings import win32
    from ole32_bindings.constants import WAIT_TIMEOUT

    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    h = win32.open_process_for_waiting(child.pid)
    try:
        assert win32.wait_for_multiple_objects([h], timeout_ms=0) == WAIT_TIMEOUT
        child.stdin.close()
        assert win32.wait_for_multiple_objects([h], timeout_ms=30000) == 0
    finally:
        win32.close_handle(h)
        child.wait(30)
    with pytest.raises(OSError, match="OpenProcess"):
        win32.open_process_for_waiting(0xFFFFFFF0)  # no such process


def test_no_calling_process_outside_a_served_call(mta):
    from ole32_bindings.security import calling_process_id

    assert calling_process_id() is None
