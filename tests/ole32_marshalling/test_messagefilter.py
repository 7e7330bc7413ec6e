"""IMessageFilter on both sides of a call into a busy STA (ole32_marshalling.messagefilter), with a real server STA
(an StaThread serving one of our objects through a proxy) and the test thread as the calling STA.

What the runtime does is asserted as it is: Windows asks the caller's filter (RetryRejectedCall) about a call the
server's filter answered SERVERCALL_RETRYLATER or SERVERCALL_REJECTED; Wine 8 runs a RETRYLATER call anyway and
never asks the caller's filter (docs/wine.md), so the retries that must work everywhere go through ``retrying``."""

import threading
import time

import pytest
from testlib import running_on_wine

pytestmark = pytest.mark.runtime


@pytest.fixture(scope="module")
def target():
    from vtables.interfaces import IPersist
    from vtables.object import ComObject

    class Target(ComObject, implements=[IPersist]):
        def __init__(self, delay=0.0):
            self.delay = delay
            self.calls = 0

        def GetClassID(self):
            if self.delay:
                time.sleep(self.delay)
            self.calls += 1
            return IPersist.iid

    return Target


def _serve(sta, server_filter, make):
    """Register ``server_filter`` in ``sta``, make the object there and hand a proxy to the calling apartment."""
    from ole32_bindings import marshaling
    from ole32_marshalling.messagefilter import register_message_filter
    from vtables.client import client_class
    from vtables.interfaces import IPersist

    def setup():
        reg = register_message_filter(server_filter) if server_filter is not None else None
        obj = make()
        owner = obj.as_ptr(IPersist)
        return reg, obj, owner, marshaling.marshal_inter_thread_interface_in_stream(IPersist.iid, owner.as_raw())

    reg, obj, owner, stream = sta.call(setup)
    proxy = client_class(IPersist).from_raw(marshaling.get_interface_and_release_stream(stream, IPersist.iid))
    return reg, obj, owner, proxy


def _end(sta, reg, owner):
    def teardown():
        if reg is not None:
            reg.revoke()
        return owner.release()

    assert sta.call(teardown) == 0


def _rejecting_first(n, answer):
    from ole32_marshalling.messagefilter import SERVERCALL, MessageFilter
    from vtables.interfaces import IPersist

    class RejectFirst(MessageFilter):
        """Answers ``answer`` to the first ``n`` IPersist calls, then handles them (the proxy's own IRemUnknown
        calls, e.g. the release at its end, are handled and not counted in ``persist_calls``)."""

        def __init__(self):
            super().__init__()
            self.persist_calls = 0

        def handle_incoming_call(self, call_type, elapsed_ms, info):
            if info.iid != IPersist.iid:
                return SERVERCALL.ISHANDLED
            self.persist_calls += 1
            return answer if self.persist_calls <= n else SERVERCALL.ISHANDLED

    return RejectFirst()


def test_a_busy_sta_answering_retrylater(sta, target):
    """The spec's case: the server's filter answers SERVERCALL_RETRYLATER while busy, the client's filter retries."""
    from ole32_marshalling.messagefilter import SERVERCALL, RejectingFilter, RetryingFilter, message_filter
    from ole32_marshalling.sta import StaThread
    from vtables.interfaces import IPersist

    server_filter = RejectingFilter(SERVERCALL.RETRYLATER)
    client_filter = RetryingFilter(delay_ms=20, give_up_after_ms=60_000)
    with StaThread("busy server") as server:
        reg, obj, owner, proxy = _serve(server, server_filter, lambda: target())
        server_filter.busy.set()
        freed = threading.Timer(0.3, server_filter.busy.clear)  # the STA stops being busy after a while
        freed.start()
        with message_filter(client_filter):
            assert proxy.GetClassID() == IPersist.iid
        freed.join()
        proxy.release()
        assert obj.calls == 1
        assert server_filter.rejected >= 1
        if running_on_wine():  # the call ran although the server said RETRYLATER; nobody asked the client
            assert server_filter.rejected == 1 and client_filter.retry_requests == 0
        else:  # COM asked the client's filter and sent the call again until the server handled it
            assert client_filter.retries >= 1 and client_filter.retry_requests == server_filter.rejected
        _end(server, reg, owner)


def test_rejected_calls_are_retried_as_the_client_filter_says(sta, target):
    """SERVERCALL_REJECTED three times, then handled: the client's filter is asked three times and the call
    succeeds (COM's loop on Windows, ``retrying``'s on Wine: the same counts)."""
    from ole32_marshalling.messagefilter import SERVERCALL, RetryingFilter, message_filter, retrying
    from ole32_marshalling.sta import StaThread
    from vtables.interfaces import IPersist

    server_filter = _rejecting_first(3, SERVERCALL.REJECTED)
    client_filter = RetryingFilter(delay_ms=10, give_up_after_ms=60_000)
    with StaThread("rejecting server") as server:
        reg, obj, owner, proxy = _serve(server, server_filter, lambda: target())
        with message_filter(client_filter), proxy:
            assert retrying(proxy, client_filter).GetClassID() == IPersist.iid
        assert (server_filter.persist_calls, server_filter.rejected, obj.calls) == (4, 3, 1)
        assert (client_filter.retry_requests, client_filter.retries) == (3, 3)
        _end(server, reg, owner)


def test_a_client_filter_that_gives_up_gets_the_rejection(sta, target):
    from ole32_bindings.hresult import CallRejectedError
    from ole32_marshalling.messagefilter import SERVERCALL, MessageFilter, RejectingFilter, retrying
    from ole32_marshalling.sta import StaThread

    server_filter = RejectingFilter(SERVERCALL.REJECTED)
    server_filter.busy.set()
    quitter = MessageFilter()  # COM's default: never retry
    with StaThread("rejecting server") as server:
        reg, obj, owner, proxy = _serve(server, server_filter, lambda: target())
        with proxy:
            with pytest.raises(CallRejectedError):
                proxy.GetClassID()  # no filter at all: the rejection at once
            with pytest.raises(CallRejectedError):
                retrying(proxy, quitter).GetClassID()
            assert server_filter.busy.is_set()  # still busy: the proxy's RemRelease is let through all the same
        assert obj.calls == 0 and quitter.retry_requests == 1 and quitter.retries == 0
        _end(server, reg, owner)


def test_message_pending_is_asked_while_the_sta_waits(sta, target):
    from ole32_bindings import win32
    from ole32_marshalling.messagefilter import PENDINGMSG, MessageFilter, message_filter
    from ole32_marshalling.sta import StaThread

    class Counting(MessageFilter):
        def __init__(self):
            super().__init__()
            self.seen = []

        def message_pending(self, elapsed_ms, pending_type):
            self.seen.append(pending_type)
            return PENDINGMSG.WAITDEFPROCESS

    outer, inner = Counting(), Counting()
    with StaThread("slow server") as server:
        reg, _, owner, proxy = _serve(server, None, lambda: target(delay=0.3))
        with message_filter(outer), proxy:
            with message_filter(inner):
                win32.post_thread_message(threading.get_native_id(), 0x0400)  # WM_USER, arriving mid-call
                proxy.GetClassID()
            win32.post_thread_message(threading.get_native_id(), 0x0400)
            proxy.GetClassID()  # the previous filter is back
        assert inner.pending_messages >= 1 and len(inner.seen) == inner.pending_messages
        assert outer.pending_messages >= 1
        assert str(inner.seen[0].name) in ("TOPLEVEL", "NESTED")
        _end(server, reg, owner)


def test_a_filter_hook_that_raises_gets_the_safe_answer(sta, target, caplog):
    from ole32_bindings.hresult import CallRejectedError
    from ole32_marshalling.messagefilter import SERVERCALL, MessageFilter, retrying
    from ole32_marshalling.sta import StaThread
    from vtables.interfaces import IPersist

    class Broken(MessageFilter):
        def handle_incoming_call(self, call_type, elapsed_ms, info):
            raise RuntimeError("broken server filter")

        def retry_rejected_call(self, elapsed_ms, reject_type):
            raise RuntimeError("broken client filter")

        def message_pending(self, elapsed_ms, pending_type):
            raise RuntimeError("broken pending")

    broken_server = Broken()
    with StaThread("server") as server:
        reg, obj, owner, proxy = _serve(server, broken_server, lambda: target())
        with proxy:
            assert proxy.GetClassID() == IPersist.iid  # the call is handled
        assert broken_server.incoming >= 1 and obj.calls == 1
        _end(server, reg, owner)
    broken_client = Broken()
    assert broken_client.RetryRejectedCall(None, 0, SERVERCALL.RETRYLATER) == 0xFFFFFFFF  # give up, never loop
    assert broken_client.MessagePending(None, 0, 1) == 2  # PENDINGMSG_WAITDEFPROCESS
    assert "broken client filter" in caplog.text and "broken pending" in caplog.text
    refusing = _rejecting_first(1, SERVERCALL.REJECTED)
    with StaThread("server") as server:
        reg, _, owner, proxy = _serve(server, refusing, lambda: target())
        with proxy:
            with pytest.raises(CallRejectedError):
                retrying(proxy, broken_client).GetClassID()
        _end(server, reg, owner)


def test_the_interface_info_names_the_call(sta, target):
    from ole32_marshalling.messagefilter import SERVERCALL, MessageFilter
    from ole32_marshalling.sta import StaThread
    from vtables.interfaces import IPersist

    class Recording(MessageFilter):
        def __init__(self):
            super().__init__()
            self.infos = []

        def handle_incoming_call(self, call_type, elapsed_ms, info):
            self.infos.append((call_type, info))
            return SERVERCALL.ISHANDLED

    rec = Recording()
    with StaThread("server") as server:
        reg, _, owner, proxy = _serve(server, rec, lambda: target())
        with proxy:
            proxy.GetClassID()
        _end(server, reg, owner)
    calls = [(t, i) for t, i in rec.infos if i.iid == IPersist.iid]
    assert len(calls) == 1 and calls[0][1].method == 3  # IPersist::GetClassID is slot 3
    assert calls[0][0].name == "TOPLEVEL"


def test_registration_needs_an_sta(mta):
    from ole32_bindings.hresult import ComError
    from ole32_marshalling.messagefilter import MessageFilter, message_filter

    with pytest.raises(ComError) as info:
        with message_filter(MessageFilter()):
            pass
    assert info.value.hresult == 0x80004021  # CO_E_NOT_SUPPORTED
