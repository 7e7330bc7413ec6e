"""Test harness. Tests marked ``runtime`` need a COM runtime (Windows, or Wine through tools/winpy); the Linux
run deselects them (``-m "not runtime"``) and runs the rest: OBJREF codec, GUIDs, HRESULT tables, layouts."""

from __future__ import annotations

import gc
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ON_WINDOWS = sys.platform == "win32"


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """After pytest's faulthandler plugin: crash reports for real crashes only (tests/crashreport.py), not a page of
    stacks for each RPC exception the runtime raises and handles itself."""
    if ON_WINDOWS:
        import crashreport

        crashreport.install()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that kill server processes run last: under Wine a killed server leaves rpcss refusing some later
    activations until wineserver restarts (docs/wine.md), which `make test` does after the run."""
    items.sort(key=lambda item: item.get_closest_marker("kills_servers") is not None)


@pytest.fixture
def mta():
    """This thread in the MTA for the test; uninitialised after it (balanced, even on failure)."""
    from ole32_bindings import apartments

    hr = apartments.co_initialize()
    yield hr
    apartments.co_uninitialize()


@pytest.fixture
def sta():
    """The test runs on a thread of its own, initialised as a single-threaded apartment for the test and
    uninitialised after it (``pytest_pyfunc_call`` below). Not the main thread: its apartment is fixed for the
    process by whichever test first imported pywin32 (pythoncom calls CoInitializeEx on import, never undone)."""
    yield


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run a test that asks for ``sta`` on a new thread in its own STA (fixtures are still set up here, on the
    main thread); what it raises is raised here."""
    if "sta" not in pyfuncitem.fixturenames:
        return None
    import threading

    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    raised: list[BaseException] = []

    def body() -> None:
        from ole32_bindings import apartments
        from ole32_bindings.constants import COINIT

        apartments.co_initialize(COINIT.APARTMENTTHREADED)
        try:
            pyfuncitem.obj(**args)
        except BaseException as exc:  # handed to the main thread, which reports it
            raised.append(exc)
        finally:
            apartments.co_uninitialize()

    thread = threading.Thread(target=body, name=f"sta: {pyfuncitem.name}")
    thread.start()
    thread.join()
    if raised:
        raise raised[0]
    return True


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


def native_path(*parts: str) -> str:
    return os.path.join(ROOT, *parts)


@pytest.fixture(autouse=True)
def no_leaks(request):
    """Every runtime test ends with no live Python COM object, no reference held by a wrapper and no wrapper
    collected unreleased, relative to its start (the object model's leak accounting, vtables.leaks)."""
    if sys.platform != "win32" or request.node.get_closest_marker("runtime") is None:
        yield
        return
    from vtables import leaks

    before = leaks.snapshot()
    yield
    gc.collect()
    after = leaks.snapshot()
    leaked = leaks.reset_leaked()
    assert after["live_objects"] == before["live_objects"], f"live Python COM objects left: {after}"
    assert after["held_references"] == before["held_references"], f"wrapper references left: {after}"
    assert leaked == before["leaked_references"], f"wrappers collected without release(): {leaked}"
