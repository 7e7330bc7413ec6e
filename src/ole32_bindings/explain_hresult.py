"""Explain an HRESULT: its fields, its name, the system's message and the usual cause of the common COM failures.

``explain_hresult(code)`` takes an int or text (``"0x80004002"``, ``"80004002"``, ``"-2147467262"``,
``"2147500034"``, ``"E_NOINTERFACE"``) and returns an :class:`HresultExplanation`; ``to_json()`` gives the
``ole32-bindings.hresult/1`` form documented in docs/cli.md, ``render_text()`` a short report.

The message comes from ``FormatMessageW`` where a COM runtime is present (through :func:`hresult.message_of`),
otherwise from the built-in tables. This module imports no DLL itself: it works on Linux CPython.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from . import hresult as _hr
from ._winerror import HRESULT_NAMES, WIN32_ERROR_NAMES

__all__ = ["HresultExplanation", "explain_hresult", "parse_hresult", "CAUSES", "JSON_SCHEMA_ID"]

JSON_SCHEMA_ID = "ole32-bindings.hresult/1"
"""The ``schema`` value of :meth:`HresultExplanation.to_json` documents (docs/cli.md)."""

CAUSES: dict[int, str] = {
    0x00000001: "S_FALSE is success: the call worked but the answer is 'no' or 'nothing more' (end of an "
    "enumeration, already initialised); check for it explicitly, SUCCEEDED() treats it as OK.",
    0x80004002: "QueryInterface was asked for an IID the object does not implement, or that interface's "
    "proxy/stub is not registered. Wine 8: also a LocalServer32 that exits before registering its class object.",
    0x80004003: "A required out-pointer or interface argument was NULL.",
    0x80070057: "An argument was out of range or inconsistent with the others (a flag the method does not "
    "accept, a wrong size, a bad CLSCTX).",
    0x8007000E: "An allocation failed, often a bogus size/count argument rather than a real lack of memory.",
    0x80004001: "The object declares the method but does not implement it (a stub left returning E_NOTIMPL).",
    0x80004005: "The callee reported an unspecified failure; look for IErrorInfo text or the callee's logs.",
    0x80070005: "The caller lacks permission: DCOM launch/access permissions, the server's identity, or "
    "CoInitializeSecurity settings on either side.",
    0x8000FFFF: "The object was called in a state it did not expect (call order broken, object already "
    "closed or shut down).",
    0x80004004: "The operation was cancelled, by the user or by a cancel call (CoCancelCall, a timeout).",
    0x80040110: "A non-NULL outer unknown was passed to CreateInstance, but the class does not support "
    "aggregation (or the IID asked for with it is not IID_IUnknown).",
    0x80040111: "DllGetClassObject was asked for a CLSID this DLL does not serve: the registry points the "
    "CLSID at the wrong server.",
    0x80040154: "The CLSID is not registered for the requested CLSCTX (missing or wrong-bitness InprocServer32/"
    "LocalServer32 key), nor registered at run time. Wine 8: also a LocalServer32 executable that does not exist.",
    0x80040155: "The interface's IID has no registration (no Interface\\{IID} key with a proxy/stub or "
    "typelib), so COM cannot marshal it.",
    0x800401F0: "This thread never called CoInitialize(Ex) (or called CoUninitialize too often) before using COM.",
    0x800401F3: "CLSIDFromProgID/CLSIDFromString got a ProgID that is not registered or a malformed {GUID} string.",
    0x80010106: "CoInitializeEx asked for a different apartment type (STA vs MTA) than this thread already "
    "has; the thread stays in its first apartment (not fatal, but do not CoUninitialize for it).",
    0x8001010E: "An interface pointer was used on a thread outside the apartment it belongs to; marshal it "
    "(CoMarshalInterThreadInterfaceInStream, the GIT) instead of passing the raw pointer.",
    0x80010108: "The object's stub is gone: the server called CoDisconnectObject, released its last "
    "external reference, or its apartment ended.",
    0x80010105: "The server raised an exception (an access violation, a C++ throw) while executing the "
    "call; the bug is in the server.",
    0x80010001: "The callee's STA message filter rejected the call (the server is busy); retry, or register "
    "an IMessageFilter that retries.",
    0x8001011D: "CoUnmarshalInterface got marshalled data (an OBJREF) it cannot use: corrupt, truncated, "
    "already consumed, or from another machine or session.",
    0x800401FD: "The object's server-side connection is gone (disconnected, or never connected to a stub), "
    "so calls through this pointer cannot reach it.",
    0x80080005: "COM could not start the out-of-process server, or it started but never registered its "
    "class object in time (wrong path, crash at start-up, identity or permission problem).",
    0x80080008: "The server is revoking its class objects and shutting down; activation raced with "
    "shutdown, retry the activation.",
    0x800706BA: "The RPC server is unavailable: the server process exited or crashed, or a remote machine "
    "cannot be reached (firewall, RPCSS).",
    0x800706BE: "The remote call failed after it was sent, typically because the server process died while "
    "handling it.",
    0x8001010D: "An outgoing COM call was made while handling an input-synchronous message (e.g. "
    "WM_ACTIVATE, WM_SETFOCUS in an STA); post a message and call later.",
    0x8002801D: "The type library is not registered (or not for this version/LCID/bitness), so "
    "LoadRegTypeLib or typelib marshalling cannot find it.",
    0x80020009: "IDispatch::Invoke reports that the method raised an exception; the details are in the "
    "EXCEPINFO it filled in (source, description, scode).",
    0x80010119: "CoInitializeSecurity was called after COM had already initialised security for the "
    "process (a marshal, an activation or another CoInitializeSecurity came first).",
}
"""One line on the usual cause, for the failures people meet most with COM and DCOM (keyed by unsigned HRESULT)."""

_HEX_PREFIXED = re.compile(r"[+]?0[xX]([0-9A-Fa-f]{1,8})")
_HEX_BARE = re.compile(r"[0-9A-Fa-f]{8}|[0-9A-Fa-f]*[A-Fa-f][0-9A-Fa-f]*")
_DECIMAL = re.compile(r"[+-]?[0-9]+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_NAME_TO_HRESULT: dict[str, int] = {}


def _names() -> dict[str, int]:
    if not _NAME_TO_HRESULT:
        for err, name in WIN32_ERROR_NAMES.items():  # Win32 names first, so an HRESULT name always wins
            _NAME_TO_HRESULT[name] = _hr.hresult_from_win32(err)
        for value, name in HRESULT_NAMES.items():
            _NAME_TO_HRESULT[name] = value
    return _NAME_TO_HRESULT


def _checked_int(value: int, text: object) -> int:
    if not -0x80000000 <= value <= 0xFFFFFFFF:
        raise ValueError(f"{text!r} is outside the 32-bit range of an HRESULT")
    return value & 0xFFFFFFFF


def parse_hresult(code: int | str) -> int:
    """The unsigned HRESULT written in ``code``.

    Accepted: an int in ``-2**31 .. 2**32-1``; text ``0x80004002``; 8 hex digits without prefix (``80004002``,
    how HRESULTs are printed in logs) or any hex digits containing a letter (``8007000E``); signed or unsigned
    decimal (``-2147467262``, ``2147500034``); a symbolic name, HRESULT (``E_NOINTERFACE``) or Win32
    (``RPC_S_SERVER_UNAVAILABLE``, ``ERROR_ACCESS_DENIED``, mapped through HRESULT_FROM_WIN32), any case.
    Anything else raises ValueError with a one-line message.
    """
    if isinstance(code, bool) or not isinstance(code, (int, str)):
        raise ValueError(f"expected an int or text, got {type(code).__name__}")
    if isinstance(code, int):
        return _checked_int(code, code)
    text = code.strip()
    if not text:
        raise ValueError("empty HRESULT")
    m = _HEX_PREFIXED.fullmatch(text)
    if m:
        return int(m.group(1), 16)
    if _HEX_BARE.fullmatch(text):
        if len(text) > 8:
            raise ValueError(f"{code!r} has more than 8 hex digits")
        return int(text, 16)
    if _DECIMAL.fullmatch(text):
        return _checked_int(int(text, 10), code)
    if _NAME.fullmatch(text):
        names = _names()
        value = names.get(text.upper())
        if value is None:
            close = difflib.get_close_matches(text.upper(), names, n=1, cutoff=0.8)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ValueError(f"unknown HRESULT name {text!r}{hint}")
        return value
    raise ValueError(f"not an HRESULT: {code!r} (give 0x80004002, 80004002, -2147467262 or E_NOINTERFACE)")


@dataclass(frozen=True)
class HresultExplanation:
    """Everything known about one HRESULT. ``hresult`` is unsigned, ``signed`` C's ``LONG``."""

    hresult: int
    signed: int
    name: str | None
    severity: str  # "SUCCESS" or "FAILURE"
    customer: bool  # the C bit (0x20000000): a customer-defined code, not Microsoft's
    facility: int
    facility_name: str
    code: int
    message: str
    message_source: str  # "system" (FormatMessageW), "name" (the built-in tables) or "none"
    win32_error: int | None  # the Win32 error code, for FACILITY_WIN32 failures
    win32_name: str | None
    cause: str | None
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """The ``ole32-bindings.hresult/1`` form (only JSON types); see docs/cli.md."""
        return {
            "schema": JSON_SCHEMA_ID,
            "hresult": f"0x{self.hresult:08X}",
            "unsigned": self.hresult,
            "signed": self.signed,
            "name": self.name,
            "severity": self.severity,
            "customer": self.customer,
            "facility": {"number": self.facility, "name": self.facility_name},
            "code": self.code,
            "message": self.message,
            "message_source": self.message_source,
            "win32": None if self.win32_error is None else {"code": self.win32_error, "name": self.win32_name},
            "cause": self.cause,
            "notes": list(self.notes),
        }

    def render_text(self) -> str:
        """A short report: the value and name on the first line, then one field a line."""
        rows = [
            ("signed", str(self.signed)),
            ("severity", self.severity + (" (customer-defined)" if self.customer else "")),
            ("facility", f"{self.facility} ({self.facility_name})"),
            ("code", f"0x{self.code:04X} ({self.code})"),
        ]
        if self.win32_error is not None:
            rows.append(("win32", f"{self.win32_error} ({self.win32_name or 'unnamed'})"))
        rows.append(("message", self.message))
        if self.cause:
            rows.append(("cause", self.cause))
        rows.extend(("note", n) for n in self.notes)
        head = f"0x{self.hresult:08X}  {self.name or '(no name)'}"
        return "\n".join([head] + [f"  {k:<9} {v}" for k, v in rows])


def _facility_label(hr: int) -> str:
    name = _hr.facility_name(hr)
    return name if name.startswith("FACILITY_") else f"FACILITY_{name}"


def explain_hresult(code: int | str) -> HresultExplanation:
    """Explain ``code`` (an int or text, see :func:`parse_hresult`); ValueError for input that is not one."""
    hr = parse_hresult(code)
    name = _hr.name_of(hr)
    facility = _hr.facility_of(hr)
    failure = bool(_hr.severity_of(hr))
    win32_error = win32_name = None
    if failure and facility == _hr.FACILITY_WIN32:
        win32_error = _hr.code_of(hr)
        win32_name = WIN32_ERROR_NAMES.get(win32_error)

    fallback = name if name else f"unknown HRESULT 0x{hr:08X}"
    # FormatMessageW reads 1..0xFFFF as Win32 error codes (S_FALSE would be "Incorrect function."): for these
    # success values the system text describes something else, so the tables speak (and a note gives the Win32
    # reading).
    message = fallback if 0 < hr <= 0xFFFF else _hr.message_of(hr)
    if message != fallback:
        source = "system"
    else:
        source = "name" if name else "none"

    notes: list[str] = []
    if not failure and 0 < hr <= 0xFFFF and hr in WIN32_ERROR_NAMES:
        as_hr = _hr.hresult_from_win32(hr)
        hr_name = _hr.name_of(as_hr)
        notes.append(
            f"as a Win32 error code {hr} is {WIN32_ERROR_NAMES[hr]}; HRESULT_FROM_WIN32 gives "
            f"0x{as_hr:08X}" + (f" ({hr_name})" if hr_name else "")
        )
    if hr & 0x20000000:
        notes.append("the customer bit is set: the code is defined by an application, not by Windows")
    if failure and name is None and not hr & 0x20000000:
        notes.append("no name in the SDK tables for this value")

    return HresultExplanation(
        hresult=hr,
        signed=_hr.to_signed(hr),
        name=name,
        severity="FAILURE" if failure else "SUCCESS",
        customer=bool(hr & 0x20000000),
        facility=facility,
        facility_name=_facility_label(hr),
        code=_hr.code_of(hr),
        message=message,
        message_source=source,
        win32_error=win32_error,
        win32_name=win32_name,
        cause=CAUSES.get(hr),
        notes=tuple(notes),
    )
