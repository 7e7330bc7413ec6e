"""Contexts (ole32_marshalling.context): IComThreadingInfo and the context token; ContextCallback where the runtime has
it (Wine 8: E_NOTIMPL, reproduced here) and the call-in-apartment helper that works either way."""

import threading

import pytest

pytestmark = pytest.mark.runtime


def test_threading_info_in_the_mta_and_in_an_sta(mta):
    from ole32_bindings.constants import APTTYPE
    from ole32_marshalling.context import threading_info
    from ole32_marshalling.sta import StaThread

    here = threading_info()
    assert here.apartment_type == APTTYPE.MTA and not here.processes_messages
    with StaThread() as sta:
        there = sta.call(threading_info)
    assert there.apartment_type in (APTTYPE.STA, APTTYPE.MAINSTA) and there.processes_messages
    assert there.context_token != here.context_token  # another apartment, another context


def test_context_callback_is_not_implemented_on_wine(mta):
    """The minimal reproduction of docs/wine.md: IContextCallback::ContextCallback on the MTA's own context object
    returns E_NOTIMPL and never runs the callback. On Windows it runs it and returns S_OK."""
    from testlib import running_on_wine

    from ole32_bindings import apartments
    from ole32_bindings.dlls import ffi
    from ole32_marshalling.context import context_callback
    from vtables.interfaces import IContextCallback

    ran = []

    @ffi.callback("HRESULT(*)(ComCallData *)")
    def callback(data):
        ran.append(data.dwDispid)
        return 0

    from ole32_bindings.pointers import release

    ctx = apartments.get_object_context(IContextCallback.iid)
    try:
        data = ffi.new("ComCallData *", {"dwDispid": 42})
        hr = context_callback(ctx, callback, data)
    finally:
        release(ctx)
    if running_on_wine():
        assert hr == 0x80004001 and ran == []
    else:
        assert hr == 0 and ran == [42]


def test_call_in_apartment_runs_on_the_captured_sta_thread(mta):
    from ole32_marshalling.context import ApartmentRef
    from ole32_marshalling.sta import StaThread
    from vtables.object import live_object_count

    before = live_object_count()
    with StaThread() as sta:
        ref = sta.call(ApartmentRef.current)
        try:
            assert ref.call(threading.get_ident) == sta._thread.ident  # from the MTA, onto the STA's thread
            assert ref.call(lambda: 6 * 7) == 42
            with pytest.raises(ZeroDivisionError):  # the callable's exception, raised here
                ref.call(lambda: 1 / 0)
            assert sta.call(lambda: ref.call(threading.get_ident)) == sta._thread.ident  # from inside: runs inline
        finally:
            ref.close()
        ref.close()  # twice is harmless
        sta.call(lambda: None)
    assert live_object_count() == before  # the runner left the GIT and died


def test_call_into_an_apartment_whose_thread_has_exited_fails_at_once(mta):
    import time

    from ole32_bindings.hresult import ComError
    from ole32_marshalling.context import ApartmentRef
    from ole32_marshalling.sta import StaThread

    sta = StaThread()
    ref = sta.call(ApartmentRef.current)
    sta.close()
    t0 = time.monotonic()
    try:
        with pytest.raises((ComError, RuntimeError)) as info:
            ref.call(lambda: "never")
        assert time.monotonic() - t0 < 10
        if isinstance(info.value, ComError):
            # Wine 8 answers RPC_S_UNKNOWN_IF (the apartment's interfaces were unregistered with it); Windows
            # reports the disconnection
            assert info.value.name in (
                "RPC_E_DISCONNECTED",
                "CO_E_OBJNOTCONNECTED",
                "RPC_E_SERVER_DIED_DNE",
                "RPC_S_UNKNOWN_IF",
            ), info.value
    finally:
        try:
            ref.close()
        except ComError:
            pass  # the GIT entry died with its apartment
