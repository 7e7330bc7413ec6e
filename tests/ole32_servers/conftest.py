"""Fixtures of the server tests: a fresh CLSID per test and a short pid-file path whose server is ended by id."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest


@pytest.fixture
def clsid():
    """A CLSID of this test's own. Under Wine a server killed without revoking breaks later activations of its
    CLSID until wineserver restarts (docs/wine.md); a fresh CLSID per test keeps one failure from spreading."""
    from ole32_bindings.guid import Guid

    return Guid.new()


@pytest.fixture
def server_pid_file() -> Iterator[str]:
    """A pid file for the server under test; whatever server wrote it is ended by id afterwards.

    The path is short (``%TEMP%\\o3bXXXXXXXX\\s.pid``), not pytest's ``tmp_path``: it goes into registered
    LocalServer32 command lines, which Wine 8 refuses at 260 characters (docs/wine.md), and pytest's directory is
    named after the test and the checkout's own path comes twice more in the command."""
    from ole32_bindings import win32

    folder = tempfile.mkdtemp(prefix="o3b")
    path = os.path.join(folder, "s.pid")
    try:
        yield path
        if os.path.exists(path):
            pid = int(open(path).read())
            if win32.wait_process(pid, 0) is None:
                win32.terminate_process(pid)
                pytest.fail(f"server {pid} was still running after the test (terminated)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
