import os
import subprocess
import sys
import threading

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

pytestmark = pytest.mark.runtime


def _in_thread(fn):
    """Run fn on a fresh thread (no apartment yet) and return its result or raise its exception."""
    box = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as e:
            box["error"] = e

    t = threading.Thread(target=run)
    t.start()
    t.join(30)
    assert not t.is_alive(), "thread hung"
    if "error" in box:
        raise box["error"]
    return box["value"]


def test_init_twice_gives_s_false_and_balances():
    from ole32_bindings import apartments
    from ole32_bindings.constants import APTTYPE, COINIT

    def body():
        first = apartments.co_initialize(COINIT.APARTMENTTHREADED)
        second = apartments.co_initialize(COINIT.APARTMENTTHREADED)
        kind = apartments.get_apartment_type()[0]
        apartments.co_uninitialize()
        apartments.co_uninitialize()
        return first, second, kind

    first, second, kind = _in_thread(body)
    assert (first, second) == (0, 1)
    assert kind in (APTTYPE.STA, APTTYPE.MAINSTA)  # the first STA of a process is its main STA


def test_changing_mode_raises_changed_mode():
    from ole32_bindings import apartments
    from ole32_bindings.constants import APTTYPE, COINIT
    from ole32_bindings.hresult import ChangedModeError

    def body():
        apartments.co_initialize(COINIT.MULTITHREADED)
        try:
            with pytest.raises(ChangedModeError) as info:
                apartments.co_initialize(COINIT.APARTMENTTHREADED)
            assert info.value.hresult == 0x80010106
            return apartments.get_apartment_type()[0]
        finally:
            apartments.co_uninitialize()

    assert _in_thread(body) == APTTYPE.MTA


def test_ole_initialize_is_an_sta():
    from ole32_bindings import apartments
    from ole32_bindings.constants import APTTYPE

    def body():
        assert apartments.ole_initialize() == 0
        try:
            return apartments.get_apartment_type()[0]
        finally:
            apartments.ole_uninitialize()

    assert _in_thread(body) in (APTTYPE.STA, APTTYPE.MAINSTA)


def test_context_token_and_current_process(mta):
    from ole32_bindings import apartments

    assert apartments.get_context_token() != 0
    assert apartments.get_current_process() == apartments.get_current_process() != 0


def test_call_before_coinitialize_is_typed_not_initialized():
    # A fresh process: no thread of it has entered any apartment, so there is no implicit MTA to fall into.
    code = (
        "from ole32_bindings import activation, apartments, wellknown as w\n"
        "from ole32_bindings.hresult import NotInitializedError\n"
        "for call in (lambda: apartments.get_apartment_type(),\n"
        "             lambda: activation.create_instance(w.CLSID_StdGlobalInterfaceTable, w.IID_IUnknown)):\n"
        "    try:\n"
        "        call()\n"
        "    except NotInitializedError as e:\n"
        "        print(hex(e.hresult))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0x800401f0", "0x800401f0"]
