"""vtables tests: every runtime test ends with no live Python COM object, no reference held by a wrapper and no
wrapper collected unreleased (leak accounting of the object model)."""

import gc
import sys

import pytest


@pytest.fixture(autouse=True)
def no_leaks(request):
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
