"""win32.process_metrics: the counters make stress samples (working set, private bytes, handles, threads), each
checked against a change this test makes in its own process."""

import os
import threading

import pytest

pytestmark = pytest.mark.runtime


def test_handles_follow_handles_opened_and_closed():
    from ole32_bindings import win32

    before = win32.process_metrics(os.getpid())["handles"]
    events = [win32.create_event() for _ in range(50)]
    try:
        assert win32.process_metrics(os.getpid())["handles"] >= before + 50
    finally:
        for e in events:
            win32.close_handle(e)
    assert win32.process_metrics(os.getpid())["handles"] <= before + 5  # back (give or take the runtime's own)


def test_threads_count_a_thread_while_it_runs():
    from ole32_bindings import win32

    before = win32.process_metrics(os.getpid())["threads"]
    started, stop = threading.Event(), threading.Event()

    def body():
        started.set()
        stop.wait(30)

    t = threading.Thread(target=body)
    t.start()
    started.wait(30)
    try:
        assert win32.process_metrics(os.getpid())["threads"] == before + 1
    finally:
        stop.set()
        t.join()


def test_memory_counters_grow_with_memory_in_use():
    from ole32_bindings import win32

    first = win32.process_metrics(os.getpid())
    block = bytearray(64 << 20)  # 64 MB, touched
    block[::4096] = b"x" * len(block[::4096])
    second = win32.process_metrics(os.getpid())
    assert second["working_set"] >= first["working_set"] + (48 << 20)
    assert second["private_bytes"] >= first["private_bytes"] + (48 << 20)
    del block


def test_a_process_that_does_not_exist_is_an_oserror():
    from ole32_bindings import win32

    with pytest.raises(OSError, match="OpenProcess"):
        win32.process_metrics(0x7FFFFFF0)
