"""HRESULTs: names, facilities, messages, and typed exceptions.

Every failure HRESULT becomes a :class:`ComError` subclass at the client edge (:func:`check`); success codes other
than S_OK (S_FALSE above all) are returned to the caller, never swallowed. ``hresult`` on an error is the
*unsigned* 32-bit value (``0x80004002``), which is how people read and search for them.

Names come from a table generated from the SDK's ``winerror.h`` (``_winerror.py``); message text comes from
``FormatMessageW`` when a COM runtime is present (Windows, Wine), otherwise from the name. This module imports no
DLL: it works on Linux CPython.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

from ._winerror import FACILITY_NAMES, HRESULT_NAMES, WIN32_ERROR_NAMES

__all__ = [
    "ComError",
    "check",
    "error_from_hresult",
    "name_of",
    "facility_of",
    "facility_name",
    "message_of",
    "severity_of",
    "code_of",
    "to_unsigned",
    "to_signed",
    "hresult_from_win32",
    "hresult_for_exception",
    "S_OK",
    "S_FALSE",
    "succeeded",
    "failed",
]

S_OK = 0
"""Success."""
S_FALSE = 1
"""Success with the answer "no" or "nothing more": :func:`check` returns it, never raises."""
FACILITY_WIN32 = 7


def to_unsigned(hr: int) -> int:
    """The HRESULT as an unsigned 32-bit value (``-2147467262`` -> ``0x80004002``)."""
    return hr & 0xFFFFFFFF


def to_signed(hr: int) -> int:
    """The HRESULT as C's signed ``LONG`` (what native code returns through cffi)."""
    hr &= 0xFFFFFFFF
    return hr - 0x100000000 if hr & 0x80000000 else hr


def succeeded(hr: int) -> bool:
    """SUCCEEDED(): true for every code with the severity bit clear (S_OK, S_FALSE and other success codes)."""
    return to_signed(hr) >= 0


def failed(hr: int) -> bool:
    """FAILED(): true for every code with the severity bit set."""
    return to_signed(hr) < 0


def severity_of(hr: int) -> int:
    """The severity bit (bit 31): 1 for a failure, 0 for success."""
    return (to_unsigned(hr) >> 31) & 1


def facility_of(hr: int) -> int:
    """The facility number (bits 16-28): 7 for FACILITY_WIN32, 4 for FACILITY_ITF..."""
    return (to_unsigned(hr) >> 16) & 0x1FFF


def code_of(hr: int) -> int:
    """The code within the facility (the low 16 bits; the Win32 error code for FACILITY_WIN32)."""
    return to_unsigned(hr) & 0xFFFF


def facility_name(hr: int) -> str:
    """The facility's name from the SDK table (``WIN32``, ``RPC``, ``ITF``...), else ``FACILITY_<number>``."""
    f = facility_of(hr)
    return FACILITY_NAMES.get(f, f"FACILITY_{f}")


def hresult_from_win32(err: int) -> int:
    """HRESULT_FROM_WIN32 (unsigned): a Win32 error code put in FACILITY_WIN32 with the failure bit set."""
    err &= 0xFFFFFFFF
    if err == 0 or err & 0x80000000:
        return err
    return 0x80070000 | (err & 0xFFFF)


def name_of(hr: int) -> str | None:
    """The symbolic name of ``hr`` (``E_NOINTERFACE``), a Win32 code's name for FACILITY_WIN32, or None."""
    u = to_unsigned(hr)
    name = HRESULT_NAMES.get(u)
    if name is None and facility_of(u) == FACILITY_WIN32 and severity_of(u):
        name = WIN32_ERROR_NAMES.get(code_of(u))
    return name


#: ``(hresult) -> message text or None``, from ``ole32_bindings.messages`` once a runtime is loaded.
_system_message: Callable[[int], str | None] | None = None


def message_of(hr: int) -> str:
    """The system's message text for ``hr`` (FormatMessageW) where a runtime is loaded, else the name."""
    global _system_message
    if _system_message is None and sys.platform == "win32":
        try:
            from .messages import format_message
        except Exception:  # the runtime could not be loaded: fall back to the tables
            _system_message = lambda hr: None  # noqa: E731
        else:
            _system_message = format_message
    text = _system_message(to_unsigned(hr)) if _system_message is not None else None
    if text:
        return text
    name = name_of(hr)
    return name if name else f"unknown HRESULT 0x{to_unsigned(hr):08X}"


class ComError(Exception):
    """A failure HRESULT, raised at the client edge and turned back into its HRESULT at the server edge.

    ``ComError(hresult, description=None, source=None)``; subclasses fix ``hresult`` (``NoInterfaceError()``).
    ``description``/``source`` carry IErrorInfo text when the callee set it.
    """

    HRESULT: int = 0x80004005  # E_FAIL for the base class used bare

    def __init__(self, hresult: int | None = None, description: str | None = None, source: str | None = None) -> None:
        hr = to_unsigned(self.HRESULT if hresult is None else hresult)
        self.hresult = hr
        self.description = description
        self.source = source
        super().__init__(hr, description)

    @property
    def name(self) -> str:
        return name_of(self.hresult) or f"0x{self.hresult:08X}"

    @property
    def facility(self) -> str:
        return facility_name(self.hresult)

    @property
    def message(self) -> str:
        return message_of(self.hresult)

    @property
    def signed(self) -> int:
        return to_signed(self.hresult)

    def __str__(self) -> str:
        text = f"{self.name} (0x{self.hresult:08X}): {self.message}"
        if self.description:
            text += f" [{self.source + ': ' if self.source else ''}{self.description}]"
        return text

    # picklable across processes
    def __reduce__(self) -> tuple[Callable[..., ComError], tuple[int, str | None, str | None]]:
        return (error_from_hresult, (self.hresult, self.description, self.source))


_BY_HRESULT: dict[int, type[ComError]] = {}
_E = TypeVar("_E", bound=ComError)


def _typed(cls: type[_E]) -> type[_E]:
    """Register a typed error under its HRESULT: :func:`error_from_hresult` (so :func:`check`) raises it."""
    _BY_HRESULT[cls.HRESULT] = cls
    return cls


@_typed
class NoInterfaceError(ComError):
    """E_NOINTERFACE: the object does not implement the IID."""

    HRESULT = 0x80004002


@_typed
class PointerError(ComError):
    """E_POINTER: a required pointer was NULL."""

    HRESULT = 0x80004003


@_typed
class InvalidArgError(ComError):
    """E_INVALIDARG: an argument was invalid."""

    HRESULT = 0x80070057


@_typed
class OutOfMemoryError(ComError):
    """E_OUTOFMEMORY: an allocation failed."""

    HRESULT = 0x8007000E


@_typed
class NotImplementedComError(ComError):
    """E_NOTIMPL: the method is not implemented."""

    HRESULT = 0x80004001


@_typed
class FailError(ComError):
    """E_FAIL: unspecified failure."""

    HRESULT = 0x80004005


@_typed
class AccessDeniedError(ComError):
    """E_ACCESSDENIED: access denied."""

    HRESULT = 0x80070005


@_typed
class UnexpectedError(ComError):
    """E_UNEXPECTED: catastrophic failure."""

    HRESULT = 0x8000FFFF


@_typed
class AbortError(ComError):
    """E_ABORT: the operation was aborted."""

    HRESULT = 0x80004004


@_typed
class HandleError(ComError):
    """E_HANDLE: an invalid handle."""

    HRESULT = 0x80070006


@_typed
class NoAggregationError(ComError):
    """CLASS_E_NOAGGREGATION: the class cannot be aggregated (or not for that IID)."""

    HRESULT = 0x80040110


@_typed
class ClassNotAvailableError(ComError):
    """CLASS_E_CLASSNOTAVAILABLE: the class factory does not provide this CLSID."""

    HRESULT = 0x80040111


@_typed
class ClassNotRegisteredError(ComError):
    """REGDB_E_CLASSNOTREG: no registration and no running class object for the CLSID."""

    HRESULT = 0x80040154


@_typed
class NotInitializedError(ComError):
    """CO_E_NOTINITIALIZED: CoInitializeEx was not called on this thread."""

    HRESULT = 0x800401F0


@_typed
class ChangedModeError(ComError):
    """RPC_E_CHANGED_MODE: the thread is already in the other apartment type."""

    HRESULT = 0x80010106


@_typed
class WrongThreadError(ComError):
    """RPC_E_WRONG_THREAD: an apartment-bound object was called from another thread."""

    HRESULT = 0x8001010E


@_typed
class DisconnectedError(ComError):
    """RPC_E_DISCONNECTED: the object invoked has disconnected from its clients."""

    HRESULT = 0x80010108


@_typed
class ServerFaultError(ComError):
    """RPC_E_SERVERFAULT: the server threw an exception."""

    HRESULT = 0x80010105


@_typed
class CallRejectedError(ComError):
    """RPC_E_CALL_REJECTED: the callee rejected the call."""

    HRESULT = 0x80010001


@_typed
class CallCanceledError(ComError):
    """RPC_E_CALL_CANCELED: the call was cancelled (CoCancelCall, or a client ``timeout`` that gave up on it)."""

    HRESULT = 0x80010002


@_typed
class RetryLaterError(ComError):
    """RPC_E_SERVERCALL_RETRYLATER: the callee's STA was busy (its message filter said SERVERCALL_RETRYLATER) and
    the caller's message filter did not retry, or retried until it gave up."""

    HRESULT = 0x8001010A


@_typed
class InvalidObjrefError(ComError):
    """RPC_E_INVALID_OBJREF: the marshalled interface data (OBJREF) is invalid."""

    HRESULT = 0x8001011D


@_typed
class ObjectNotConnectedError(ComError):
    """CO_E_OBJNOTCONNECTED: the object is not connected to the server."""

    HRESULT = 0x800401FD


@_typed
class ServerExecFailureError(ComError):
    """CO_E_SERVER_EXEC_FAILURE: the server process could not be started."""

    HRESULT = 0x80080005


@_typed
class ServerUnavailableError(ComError):
    """RPC_S_SERVER_UNAVAILABLE (as HRESULT): the server process is gone."""

    HRESULT = 0x800706BA


@_typed
class CallFailedError(ComError):
    """RPC_S_CALL_FAILED (as HRESULT): the remote call failed."""

    HRESULT = 0x800706BE


@_typed
class ServerStoppingError(ComError):
    """CO_E_SERVER_STOPPING: the server is shutting down its class objects."""

    HRESULT = 0x80080008


__all__ += [
    "NoInterfaceError",
    "PointerError",
    "InvalidArgError",
    "OutOfMemoryError",
    "NotImplementedComError",
    "FailError",
    "AccessDeniedError",
    "UnexpectedError",
    "AbortError",
    "HandleError",
    "NoAggregationError",
    "ClassNotAvailableError",
    "ClassNotRegisteredError",
    "NotInitializedError",
    "ChangedModeError",
    "WrongThreadError",
    "DisconnectedError",
    "ServerFaultError",
    "CallRejectedError",
    "CallCanceledError",
    "RetryLaterError",
    "InvalidObjrefError",
    "ObjectNotConnectedError",
    "ServerExecFailureError",
    "ServerUnavailableError",
    "CallFailedError",
    "ServerStoppingError",
]


def error_from_hresult(hr: int, description: str | None = None, source: str | None = None) -> ComError:
    """The typed exception for a failure HRESULT (the base :class:`ComError` for codes without a subclass)."""
    u = to_unsigned(hr)
    if not u & 0x80000000:
        raise ValueError(f"0x{u:08X} is a success code, not an error")
    cls = _BY_HRESULT.get(u, ComError)
    return cls(u, description, source)


def check(hr: int) -> int:
    """Raise the typed error for a failure ``hr``; return ``hr`` itself on success (S_FALSE stays visible)."""
    if hr < 0:
        raise error_from_hresult(hr)
    return hr


#: Python exceptions that cross the server edge become these HRESULTs; anything else is E_FAIL.
EXCEPTION_HRESULTS: tuple[tuple[type[BaseException], int], ...] = (
    (NotImplementedError, 0x80004001),  # E_NOTIMPL
    (MemoryError, 0x8007000E),  # E_OUTOFMEMORY
    (PermissionError, 0x80070005),  # E_ACCESSDENIED
    (ValueError, 0x80070057),  # E_INVALIDARG
    (TypeError, 0x80070057),  # E_INVALIDARG
    (OverflowError, 0x8002000A),  # DISP_E_OVERFLOW: a value that does not fit its declared type
)


def hresult_for_exception(exc: BaseException) -> int:
    """The HRESULT (unsigned) a Python exception becomes at the server edge: its own for a ComError, else the
    documented mapping in :data:`EXCEPTION_HRESULTS`, else E_FAIL."""
    if isinstance(exc, ComError):
        return exc.hresult
    for kind, hr in EXCEPTION_HRESULTS:
        if isinstance(exc, kind):
            return hr
    return 0x80004005
