"""The hostile section of `make stress` (issue 15): call cancellation, the busy STA, COM security, as figures.

* Cancellation: a call hanging in an STA server, made with ``ptr.with_timeout(0.2)`` from the MTA: the mode this
  runtime uses (cancel or abandon), how long the caller waited for its error, the abandoned calls left and
  their end, and what a timed call costs when it returns in time (against the same call without a timeout).
* Busy STA: a server STA whose filter rejects the first calls, a client STA whose filter retries them
  (``messagefilter.retrying``): retries, and what this runtime does with SERVERCALL_RETRYLATER.
* Security: what the runtime says to a second CoInitializeSecurity and to CoQueryClientBlanket inside a call
  served for another apartment (docs/wine.md: Wine 8 enforces nothing; Windows does).

    tools/winpy stress/hostile.py            # the section alone, printed as JSON
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def _served(sta: Any, make: Any, iface: Any) -> tuple[Any, Any, Any]:
    from ole32_bindings import marshaling
    from vtables.client import client_class

    def setup() -> tuple[Any, Any, Any]:
        obj = make()
        owner = obj.as_ptr(iface)
        return obj, owner, marshaling.marshal_inter_thread_interface_in_stream(iface.iid, owner.as_raw())

    obj, owner, stream = sta.call(setup)
    return obj, owner, client_class(iface).from_raw(marshaling.get_interface_and_release_stream(stream, iface.iid))


def cancellation(quick: bool) -> dict[str, Any]:
    from ole32_marshalling.apartments import MtaThread
    from ole32_marshalling.sta import StaThread
    from vtables import calltimeout
    from vtables.interfaces import IPersist
    from vtables.object import ComObject

    release = threading.Event()

    class Hanging(ComObject, implements=[IPersist]):
        def GetClassID(self) -> Any:
            release.wait(30)
            return IPersist.iid

    def measure() -> dict[str, Any]:
        with StaThread("hanging server") as sta:
            _, owner, proxy = _served(sta, Hanging, IPersist)
            t0 = time.perf_counter()
            try:
                proxy.with_timeout(0.2).GetClassID()
                waited, error = None, "none: the call returned"
            except calltimeout.CallTimeoutError as exc:
                waited, error = time.perf_counter() - t0, exc.name
            left = calltimeout.abandoned_calls()
            release.set()
            t1 = time.perf_counter()
            calltimeout.wait_abandoned(30)
            drained = time.perf_counter() - t1
            # what a timed call costs when the server answers: the same proxy call with and without the timeout
            n = 200 if quick else 2000
            timed_view = proxy.with_timeout(10)
            for _ in range(10):  # warm: the proxy's first calls, the helper pool's first thread
                proxy.GetClassID()
                timed_view.GetClassID()
            t2 = time.perf_counter()
            for _ in range(n):
                proxy.GetClassID()
            plain = (time.perf_counter() - t2) / n
            t3 = time.perf_counter()
            for _ in range(n):
                timed_view.GetClassID()
            timed = (time.perf_counter() - t3) / n
            proxy.release()
            sta.call(owner.release)
        return {
            "mode": "cancel (CoCancelCall)" if calltimeout.cancellation_supported() else "abandon (helper thread)",
            "error": error,
            "caller waited (ms) for a 200 ms timeout": round(waited * 1000, 1) if waited else None,
            "abandoned calls left at the error": left,
            "abandoned calls after the server answered": calltimeout.abandoned_calls(),
            "server answer to abandoned call cleared (ms)": round(drained * 1000, 1),
            "cross-apartment call, no timeout (us)": round(plain * 1e6, 1),
            "the same call with a timeout that is not hit (us)": round(timed * 1e6, 1),
        }

    with MtaThread("timed caller") as mta:
        return dict(mta.call(measure))


def busy_sta(quick: bool) -> dict[str, Any]:
    from ole32_bindings import apartments
    from ole32_bindings.constants import COINIT
    from ole32_bindings.hresult import ComError
    from ole32_marshalling.messagefilter import (
        SERVERCALL,
        MessageFilter,
        RejectingFilter,
        RetryingFilter,
        message_filter,
        register_message_filter,
        retrying,
    )
    from ole32_marshalling.sta import StaThread
    from vtables.interfaces import IPersist
    from vtables.object import ComObject

    class Target(ComObject, implements=[IPersist]):
        calls = 0

        def GetClassID(self) -> Any:
            Target.calls += 1
            return IPersist.iid

    class RejectFirst(MessageFilter):
        def __init__(self, n: int) -> None:
            super().__init__()
            self.n = n
            self.seen = 0

        def handle_incoming_call(self, call_type: Any, elapsed_ms: int, info: Any) -> SERVERCALL:
            if info.iid != IPersist.iid:
                return SERVERCALL.ISHANDLED
            self.seen += 1
            return SERVERCALL.REJECTED if self.seen <= self.n else SERVERCALL.ISHANDLED

    out: dict[str, Any] = {}

    def client() -> None:
        apartments.co_initialize(COINIT.APARTMENTTHREADED)
        try:
            with StaThread("busy server") as server:
                rejecting = RejectFirst(5)
                reg = server.call(lambda: register_message_filter(rejecting))
                _, owner, proxy = _served(server, Target, IPersist)
                patient = RetryingFilter(delay_ms=20, give_up_after_ms=10_000)
                t0 = time.perf_counter()
                with message_filter(patient):
                    retrying(proxy, patient).GetClassID()
                out["rejected calls retried until handled"] = f"{patient.retries} retries, {rejecting.seen} arrivals"
                out["time to success with 5 rejections (ms)"] = round((time.perf_counter() - t0) * 1000, 1)
                later = RejectingFilter(SERVERCALL.RETRYLATER)
                server.call(reg.revoke)
                reg2 = server.call(lambda: register_message_filter(later))
                later.busy.set()
                asked = RetryingFilter(delay_ms=20, give_up_after_ms=500)
                try:
                    with message_filter(asked):
                        proxy.GetClassID()
                    ran = True
                except ComError:
                    ran = False
                later.busy.clear()
                out["SERVERCALL_RETRYLATER on this runtime"] = (
                    "the call ran at once, the client filter was never asked (Wine 8)"
                    if ran and asked.retry_requests == 0
                    else f"the client filter was asked {asked.retry_requests} times"
                )
                proxy.release()
                server.call(lambda: (owner.release(), reg2.revoke()))
        finally:
            apartments.co_uninitialize()

    t = threading.Thread(target=client)
    t.start()
    t.join(120)
    return out


_SECURITY_PROBE = (
    "from ole32_bindings import apartments, security\n"
    "from ole32_bindings.constants import RPC_C_AUTHN_LEVEL as A, RPC_C_IMP_LEVEL as I\n"
    "from ole32_bindings.hresult import ComError\n"
    "apartments.co_initialize()\n"
    "security.initialize_security(A.PKT_PRIVACY, I.IDENTIFY, access_sddl='O:BAG:BAD:')\n"
    "try:\n"
    "    security.initialize_security(A.CONNECT, I.IMPERSONATE); print('second: S_OK')\n"
    "except ComError as e:\n"
    "    print('second:', e.name)\n"
)


def security() -> dict[str, Any]:
    env = dict(os.environ)
    r = subprocess.run(
        [sys.executable, "-c", _SECURITY_PROBE], capture_output=True, text=True, timeout=60, env=env, cwd=ROOT
    )
    second = r.stdout.strip().rpartition("second:")[2].strip() or f"exit {r.returncode}"
    return {
        "second CoInitializeSecurity": second + (" (Windows: RPC_E_TOO_LATE)" if second == "S_OK" else ""),
        "enforced here": "no (Wine 8 applies no descriptor, no AppID permission)"
        if second == "S_OK"
        else "the runtime applies CoInitializeSecurity",
    }


def run(*, quick: bool, seed: int) -> dict[str, Any]:
    cancel = cancellation(quick)
    busy = busy_sta(quick)
    sec = security()
    figures = {**{f"cancel: {k}": v for k, v in cancel.items()}, **{f"busy STA: {k}": v for k, v in busy.items()}}
    figures.update({f"security: {k}": v for k, v in sec.items()})
    ok = cancel["error"] == "RPC_E_CALL_CANCELED" and cancel["abandoned calls after the server answered"] == 0
    ok = ok and bool(busy)
    known = []
    if cancel["mode"].startswith("abandon"):
        known.append(
            {
                "what": "a timed-out call is abandoned, not cancelled: the server finishes it (CoCancelCall is a stub "
                "that aborts the process under Wine 8)",
                "reproduction": "tests/vtables/test_calltimeout.py::test_cocancelcall_on_this_runtime",
            }
        )
    if sec["second CoInitializeSecurity"].startswith("S_OK"):
        known.append(
            {
                "what": "COM security is not enforced: CoInitializeSecurity, AccessPermission and LaunchPermission "
                "are ignored and a server cannot ask who called",
                "reproduction": "tests/ole32_servers/test_security.py (the Wine branches)",
            }
        )
    return {
        "ok": ok,
        "summary": (
            f"timeout: {cancel['error']} after {cancel['caller waited (ms) for a 200 ms timeout']} ms "
            f"({cancel['mode']}); busy STA: {busy.get('rejected calls retried until handled')}; "
            f"security enforced: {sec['enforced here']}"
        ),
        "figures": figures,
        "known_not_to_hold": known,
    }


if __name__ == "__main__":
    print(json.dumps(run(quick="--soak" not in sys.argv, seed=1), indent=1))
