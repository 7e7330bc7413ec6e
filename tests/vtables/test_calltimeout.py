"""``ptr.with_timeout(seconds)``: a call that hangs in its server raises CallTimeoutError (RPC_E_CALL_CANCELED)
to the caller; what is left behind (the abandoned call, its references, its results) is accounted for exactly.

The hanging server is one of our objects in an STA thread whose method waits on an event the test sets only after
the caller got its error: the error provably came while the call was still running. Under Wine the harness
chooses abandonment (``OLE32_BINDINGS_CALL_TIMEOUT=abandon``, tools/winpy): CoCancelCall is a stub there that
ends the process (``test_cocancelcall_on_this_runtime`` shows it); on Windows the default, cancellation, runs."""

import os
import subprocess
import sys
import threading
import time

import pytest
from testlib import DLL, running_on_wine

pytestmark = pytest.mark.runtime


@pytest.fixture(scope="module")
def classes():
    from vtables.factory import ClassFactory
    from vtables.interfaces import IPersist
    from vtables.object import ComObject

    class Hanging(ComObject, implements=[IPersist]):
        """GetClassID waits until ``release`` is set; ``calls`` counts the calls that returned."""

        def __init__(self, release):
            self.release = release
            self.calls = 0

        def GetClassID(self):
            if not self.release.wait(30):
                raise TimeoutError("the test never released the call")
            self.calls += 1
            return IPersist.iid

    class Plain(ComObject, implements=[IPersist]):
        def GetClassID(self):
            return IPersist.iid

    class HangingFactory(ClassFactory):
        """CreateInstance (an [out] interface) waits until ``release`` is set."""

        def __init__(self, release):
            super().__init__(Plain)
            self.release = release

        def CreateInstance(self, outer, riid):
            self.release.wait(30)
            return super().CreateInstance(outer, riid)

    return Hanging, Plain, HangingFactory


@pytest.fixture
def abandoning():
    """Abandonment chosen for the test, whatever the runtime (it works on every one); the default restored."""
    from vtables import calltimeout

    calltimeout.set_mode("abandon")
    yield
    calltimeout.set_mode(None)


def _served(sta, make, iface):
    """An object made in ``sta`` (its owner reference kept there) and a proxy to it in the caller's apartment."""
    from ole32_bindings import marshaling
    from vtables.client import client_class

    def setup():
        obj = make()
        owner = obj.as_ptr(iface)
        return obj, owner, marshaling.marshal_inter_thread_interface_in_stream(iface.iid, owner.as_raw())

    obj, owner, stream = sta.call(setup)
    return obj, owner, client_class(iface).from_raw(marshaling.get_interface_and_release_stream(stream, iface.iid))


def _released_by_the_other_apartments(sta, obj, seconds=10.0):
    """Wait until only the owner's reference is left on ``obj`` (the proxies' RemReleases have arrived), or fail
    with the count. A RemRelease is a call into ``sta``; full CI runs twice saw the stub manager's 3 references
    still held just after the proxies were released, once from an STA caller and once from the MTA, each time in a
    different test of this file (not reproduced alone), so the count is read until it settles rather than once."""
    deadline = time.monotonic() + seconds
    while (n := sta.call(lambda: obj.com_refcount)) != 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert n == 1, f"{n} references on the object {seconds:g} s after every proxy to it was released"


def test_a_hanging_call_raises_while_it_still_runs_and_is_accounted_for(mta, classes):
    from ole32_bindings.hresult import CallCanceledError
    from ole32_marshalling.sta import StaThread
    from vtables import calltimeout
    from vtables.interfaces import IPersist

    Hanging, _, _ = classes
    release = threading.Event()
    with StaThread("hanging server") as sta:
        obj, owner, proxy = _served(sta, lambda: Hanging(release), IPersist)
        with pytest.raises(calltimeout.CallTimeoutError) as info:
            proxy.with_timeout(0.2).GetClassID()
        assert isinstance(info.value, CallCanceledError) and info.value.hresult == 0x80010002
        assert "GetClassID" in str(info.value) and "0.2 s" in str(info.value)
        assert obj.calls == 0  # the server had not answered when the caller got its error
        if calltimeout.cancellation_supported():
            assert info.value.abandoned is False
        else:
            assert info.value.abandoned is True
            assert calltimeout.abandoned_calls() == 1
        proxy.release()  # the abandoned call holds its own reference: releasing ours is safe
        release.set()
        assert calltimeout.wait_abandoned(30)
        assert calltimeout.abandoned_calls() == 0
        if not calltimeout.cancellation_supported():
            assert obj.calls == 1  # abandonment does not stop the call: it ran to its end in the server
        _released_by_the_other_apartments(sta, obj)
        assert sta.call(owner.release) == 0


def test_a_call_in_time_returns_its_value_and_its_errors(mta, classes):
    from ole32_marshalling.sta import StaThread
    from vtables.interfaces import IPersist

    Hanging, _, _ = classes
    release = threading.Event()
    release.set()
    with StaThread("server") as sta:
        obj, owner, proxy = _served(sta, lambda: Hanging(release), IPersist)
        with proxy:
            timed = proxy.with_timeout(10)
            assert timed.GetClassID() == IPersist.iid
            assert obj.calls == 1
            with pytest.raises(AttributeError):
                getattr(timed, "NoSuchMethod")  # noqa: B009
        _released_by_the_other_apartments(sta, obj)
        assert sta.call(owner.release) == 0


def test_the_results_of_an_abandoned_call_are_released(mta, classes, abandoning):
    from ole32_marshalling.sta import StaThread
    from vtables import calltimeout, leaks
    from vtables.interfaces import IClassFactory, IUnknown

    _, _, HangingFactory = classes
    release = threading.Event()
    with StaThread("factory") as sta:
        factory, owner, proxy = _served(sta, lambda: HangingFactory(release), IClassFactory)
        with proxy:
            with pytest.raises(calltimeout.CallTimeoutError):
                proxy.with_timeout(0.2).CreateInstance(None, IUnknown.iid)
        release.set()
        assert calltimeout.wait_abandoned(30)
        sta.call(lambda: None)  # the STA has run the late Release of the new object's proxy
        _released_by_the_other_apartments(sta, factory)
        assert sta.call(owner.release) == 0
        assert sta.call(leaks.snapshot)["live_objects"] == leaks.snapshot()["live_objects"]


def test_abandonment_from_an_sta_caller(sta, classes, abandoning):
    """An STA caller: its pointer goes to the helper marshaled, it serves calls into its apartment while it waits
    (a call on one of its own objects works through the helper), interface results come back marshaled into its
    apartment, and a hanging call is abandoned as from the MTA."""
    from ole32_marshalling.sta import StaThread
    from vtables import calltimeout
    from vtables.interfaces import IClassFactory, IPersist, IUnknown

    Hanging, Plain, HangingFactory = classes
    with Plain().as_ptr(IPersist) as mine:  # an object of the caller's own STA
        assert mine.with_timeout(10).GetClassID() == IPersist.iid
    release = threading.Event()
    release.set()
    with StaThread("factory") as server:
        made_by, owner, factory = _served(server, lambda: HangingFactory(release), IClassFactory)
        with factory:
            made = factory.with_timeout(10).CreateInstance(None, IUnknown.iid)
            with made:  # a proxy of this apartment: usable here
                with made.query(IPersist) as p:
                    assert p.GetClassID() == IPersist.iid
        _released_by_the_other_apartments(server, made_by)
        assert server.call(owner.release) == 0
    hang = threading.Event()
    with StaThread("hanging server") as server:
        obj, owner, proxy = _served(server, lambda: Hanging(hang), IPersist)
        with proxy:
            with pytest.raises(calltimeout.CallTimeoutError):
                proxy.with_timeout(0.2).GetClassID()
            assert calltimeout.abandoned_calls() == 1 and obj.calls == 0
            # released after the server answers: from an STA, a proxy's Release is itself a call into the server's
            # STA, which waits behind the hanging call (Wine 8 sends it at once)
            hang.set()
            assert calltimeout.wait_abandoned(30) and obj.calls == 1
        _released_by_the_other_apartments(server, obj)
        assert server.call(owner.release) == 0


def test_bad_timeouts_and_modes_are_refused(mta, classes):
    from vtables import calltimeout
    from vtables.interfaces import IPersist

    _, Plain, _ = classes
    with Plain().as_ptr(IPersist) as p:
        for bad in (0, -1, float("nan")):
            with pytest.raises(ValueError, match="positive number of seconds"):
                p.with_timeout(bad)
    with pytest.raises(ValueError, match="call timeout mode"):
        calltimeout.set_mode("sometimes")
    calltimeout.set_mode("abandon")
    try:
        assert calltimeout.cancellation_supported() is False
    finally:
        calltimeout.set_mode(None)


_PROBE = """
import ctypes, sys
from ctypes import wintypes

# The stub's exception ends the child quietly (the test DLL's filter): no debugger banner in the run's output.
ctypes.WinDLL(sys.argv[1]).TL_ExitOnUnhandled()
# Wine prints "wine: Call from ... to unimplemented function" through ntdll's __wine_dbg_output to the Unix stderr,
# which a child inherits from the test run (Wine 8 passes it stdin and stdout only): silenced in this child, so
# the run's output stays readable. What the test checks is the exit code. (Windows has no such export.)
ntdll = ctypes.WinDLL("ntdll")
if hasattr(ntdll, "__wine_dbg_output"):
    addr = ctypes.cast(ntdll.__wine_dbg_output, ctypes.c_void_p).value
    protect = ctypes.WinDLL("kernel32").VirtualProtect
    protect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, wintypes.DWORD, ctypes.POINTER(wintypes.DWORD)]
    if protect(addr, 3, 0x40, ctypes.byref(wintypes.DWORD())):  # PAGE_EXECUTE_READWRITE
        ctypes.memmove(addr, b"\\x31\\xc0\\xc3", 3)  # xor eax, eax; ret

from ole32_bindings import apartments
from ole32_bindings.dlls import ffi, function

apartments.co_initialize()
print("enable", hex(function("CoEnableCallCancellation")(ffi.NULL) & 0xFFFFFFFF), flush=True)
print("cancel", hex(function("CoCancelCall")(function("GetCurrentThreadId")(), 0) & 0xFFFFFFFF), flush=True)
"""


def test_cocancelcall_on_this_runtime():
    """The runtime fact behind the harness's choice. Windows: with no call pending, CoCancelCall answers
    CO_E_CANCEL_DISABLED or RPC_E_CALL_COMPLETE-like codes and returns. Wine 8: CoEnableCallCancellation says S_OK,
    and CoCancelCall is an unimplemented stub that ends the process, Wine printing "Call from ... to unimplemented
    function combase.dll.CoCancelCall, aborting" (docs/wine.md; silenced in the probe child)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    r = subprocess.run([sys.executable, "-c", _PROBE, DLL], capture_output=True, text=True, timeout=60, env=env)
    assert "enable 0x0" in r.stdout, (r.stdout, r.stderr)
    if running_on_wine():
        # the process ends with EXCEPTION_WINE_STUB (0x80000100) before CoCancelCall returns
        assert r.returncode == 0x80000100 and "cancel 0x" not in r.stdout, (r.returncode, r.stdout)
    else:
        assert r.returncode == 0 and "cancel 0x" in r.stdout, (r.stdout, r.stderr)


def test_cancellation_mode_drives_the_runtime_as_windows_does(mta, classes, monkeypatch):
    """The cancellation path (Windows' default) with the runtime's three functions replaced by stand-ins that do
    what Windows does: CoCancelCall ends the pending call, which then fails with RPC_E_CALL_CANCELED (here: the
    hanging server method is released and answers that HRESULT). Checks our side: cancellation enabled on the
    calling thread before the call and disabled after, the watchdog aiming at that thread, no cancel once the
    call returned, and the error typed as a cancellation (not abandoned). Wine cannot run the real functions
    (test_cocancelcall_on_this_runtime)."""
    from ole32_bindings.hresult import CallCanceledError
    from ole32_marshalling.sta import StaThread
    from vtables import calltimeout
    from vtables.interfaces import IPersist
    from vtables.object import ComObject

    calls = []
    cancel = threading.Event()

    class Cancellable(ComObject, implements=[IPersist]):
        def GetClassID(self):
            if not cancel.wait(30):
                raise TimeoutError("never cancelled")
            raise CallCanceledError()

    tid = calltimeout._GetCurrentThreadId()
    monkeypatch.setattr(calltimeout, "_CoEnableCallCancellation", lambda r: calls.append("enable") or 0)
    monkeypatch.setattr(calltimeout, "_CoDisableCallCancellation", lambda r: calls.append("disable") or 0)

    def co_cancel_call(thread, timeout):
        calls.append(("cancel", thread == tid, timeout))
        cancel.set()
        return 0

    monkeypatch.setattr(calltimeout, "_CoCancelCall", co_cancel_call)
    calltimeout.set_mode("cancel")
    try:
        with StaThread("server") as sta:
            _, owner, proxy = _served(sta, Cancellable, IPersist)
            with proxy:
                with pytest.raises(calltimeout.CallTimeoutError) as info:
                    proxy.with_timeout(0.2).GetClassID()
                assert info.value.abandoned is False and "cancelled by CoCancelCall" in str(info.value)
                assert calls == ["enable", ("cancel", True, 0), "disable"]
                assert calltimeout.abandoned_calls() == 0
                calls.clear()
                cancel.clear()
                obj_calls = []

                class Quick(ComObject, implements=[IPersist]):
                    def GetClassID(self):
                        obj_calls.append(1)
                        return IPersist.iid

                _, owner2, quick = _served(sta, Quick, IPersist)
                with quick:
                    assert quick.with_timeout(0.2).GetClassID() == IPersist.iid
                time.sleep(0.4)  # past the timeout: the watchdog must not fire for a call that returned
                assert calls == ["enable", "disable"] and obj_calls == [1]
                assert sta.call(owner2.release) == 0
            assert sta.call(owner.release) == 0
    finally:
        calltimeout.set_mode(None)
