"""What COM needs of kernel32/user32: message text for codes, events and waits, the STA message loop,
thread and process ids."""

from __future__ import annotations

from typing import Any

from .constants import INFINITE, PM_REMOVE, WAIT_FAILED
from .dlls import ffi, function
from .messages import format_message

__all__ = [
    "format_message",
    "create_event",
    "set_event",
    "reset_event",
    "wait_for_single_object",
    "close_handle",
    "current_thread_id",
    "current_process_id",
    "get_message",
    "peek_message",
    "dispatch_message",
    "post_thread_message",
    "post_quit_message",
    "msg_wait_for_multiple_objects",
    "wait_for_multiple_objects",
    "open_process_for_waiting",
    "pump_messages",
    "Event",
    "wait_process",
    "terminate_process",
    "processes",
    "process_metrics",
]

_CreateEventW = function("CreateEventW")
_SetEvent = function("SetEvent")
_ResetEvent = function("ResetEvent")
_WaitForSingleObject = function("WaitForSingleObject")
_WaitForMultipleObjects = function("WaitForMultipleObjects")
_CloseHandle = function("CloseHandle")
_GetLastError = function("GetLastError")
_GetMessageW = function("GetMessageW")
_PeekMessageW = function("PeekMessageW")
_TranslateMessage = function("TranslateMessage")
_DispatchMessageW = function("DispatchMessageW")
_PostThreadMessageW = function("PostThreadMessageW")
_PostQuitMessage = function("PostQuitMessage")
_MsgWaitForMultipleObjectsEx = function("MsgWaitForMultipleObjectsEx")

current_thread_id = function("GetCurrentThreadId")
"""GetCurrentThreadId: ``current_thread_id()`` is the calling thread's Win32 id (the native function itself)."""
current_process_id = function("GetCurrentProcessId")
"""GetCurrentProcessId: ``current_process_id()`` is this process's id (the native function itself)."""


def _win32_error(what: str) -> OSError:
    err = _GetLastError()
    return OSError(f"{what} failed: Win32 error {err} ({format_message(err) or 'no message'})")


def create_event(manual_reset: bool = True, initial: bool = False) -> Any:
    """CreateEventW (unnamed, default security): a new event handle, owned by the caller, who closes it with
    ``close_handle`` (or use :class:`Event`). OSError on failure."""
    h = _CreateEventW(ffi.NULL, int(manual_reset), int(initial), ffi.NULL)
    if h == ffi.NULL:
        raise _win32_error("CreateEventW")
    return h


def set_event(h: Any) -> None:
    """SetEvent: signal the event ``h``. OSError on failure."""
    if not _SetEvent(h):
        raise _win32_error("SetEvent")


def reset_event(h: Any) -> None:
    """ResetEvent: make the event ``h`` non-signalled again. OSError on failure."""
    if not _ResetEvent(h):
        raise _win32_error("ResetEvent")


def wait_for_single_object(h: Any, timeout_ms: int = INFINITE) -> int:
    """WaitForSingleObject: WAIT_OBJECT_0, WAIT_TIMEOUT or WAIT_ABANDONED; raises on WAIT_FAILED.
    (cffi releases the GIL during the wait.)"""
    r = _WaitForSingleObject(h, timeout_ms)
    if r == WAIT_FAILED:
        raise _win32_error("WaitForSingleObject")
    return r


def wait_for_multiple_objects(handles: list[Any], wait_all: bool = False, timeout_ms: int = INFINITE) -> int:
    """WaitForMultipleObjects (at most 64 handles): WAIT_OBJECT_0 + i for the signalled handle i (any of them, or
    all with ``wait_all``), WAIT_ABANDONED_0 + i, or WAIT_TIMEOUT; raises on WAIT_FAILED. (cffi releases the GIL
    during the wait.)"""
    r = _WaitForMultipleObjects(len(handles), ffi.new("HANDLE[]", handles), int(wait_all), timeout_ms)
    if r == WAIT_FAILED:
        raise _win32_error("WaitForMultipleObjects")
    return r


def close_handle(h: Any) -> None:
    """CloseHandle: give up the handle ``h`` (once). OSError on failure."""
    if not _CloseHandle(h):
        raise _win32_error("CloseHandle")


class Event:
    """A Win32 event handle that closes itself (``with Event() as e: ... e.handle``)."""

    __slots__ = ("handle",)

    def __init__(self, manual_reset: bool = True, initial: bool = False) -> None:
        self.handle = create_event(manual_reset, initial)

    def set(self) -> None:
        """Signal the event."""
        set_event(self.handle)

    def wait(self, timeout_ms: int = INFINITE) -> bool:
        """Wait for the event (without pumping messages): True when signalled, False on timeout."""
        return wait_for_single_object(self.handle, timeout_ms) == 0

    def close(self) -> None:
        """Close the handle (once; later calls do nothing)."""
        if self.handle is not None:
            close_handle(self.handle)
            self.handle = None

    def __enter__(self) -> Event:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_OpenProcess = function("OpenProcess")
_TerminateProcess = function("TerminateProcess")
_GetExitCodeProcess = function("GetExitCodeProcess")
_SYNCHRONIZE = 0x00100000
_PROCESS_TERMINATE = 0x0001
_PROCESS_QUERY_LIMITED_INFORMATION = 0x1000
STILL_ACTIVE = 259


def wait_process(pid: int, timeout_ms: int) -> int | None:
    """Wait for process ``pid`` to exit: its exit code, or None if it still runs after ``timeout_ms``.
    A pid that no longer exists counts as exited (code -1)."""
    h = _OpenProcess(_SYNCHRONIZE | _PROCESS_QUERY_LIMITED_INFORMATION, 0, pid)
    if h == ffi.NULL:
        return -1
    try:
        if wait_for_single_object(h, timeout_ms) != 0:
            return None
        code = ffi.new("DWORD *")
        _GetExitCodeProcess(h, code)
        return code[0]
    finally:
        _CloseHandle(h)


def open_process_for_waiting(pid: int) -> Any:
    """OpenProcess(SYNCHRONIZE): a handle of process ``pid`` that is signalled when it exits, owned by the caller
    (``close_handle``). OSError when there is no such process or it cannot be opened."""
    h = _OpenProcess(_SYNCHRONIZE, 0, pid)
    if h == ffi.NULL:
        raise _win32_error(f"OpenProcess({pid})")
    return h


def terminate_process(pid: int, exit_code: int = 1) -> bool:
    """TerminateProcess by id; False when there was no such process."""
    h = _OpenProcess(_PROCESS_TERMINATE | _SYNCHRONIZE, 0, pid)
    if h == ffi.NULL:
        return False
    try:
        if not _TerminateProcess(h, exit_code):
            raise _win32_error("TerminateProcess")
        wait_for_single_object(h, 5000)
        return True
    finally:
        _CloseHandle(h)


def processes() -> list[tuple[int, int, str]]:
    """(pid, parent pid, exe name) of every process (a Toolhelp32 snapshot)."""
    snap = function("CreateToolhelp32Snapshot")(0x2, 0)  # TH32CS_SNAPPROCESS
    if snap == ffi.cast("HANDLE", -1):
        raise _win32_error("CreateToolhelp32Snapshot")
    try:
        entry = ffi.new("PROCESSENTRY32W *")
        entry.dwSize = ffi.sizeof("PROCESSENTRY32W")
        found = []
        ok = function("Process32FirstW")(snap, entry)
        while ok:
            found.append((entry.th32ProcessID, entry.th32ParentProcessID, ffi.string(entry.szExeFile)))
            ok = function("Process32NextW")(snap, entry)
        return found
    finally:
        _CloseHandle(snap)


def get_message(msg: Any) -> int:
    """GetMessageW into ``msg`` (a ``MSG *``): >0 a message, 0 WM_QUIT, -1 error."""
    return _GetMessageW(msg, ffi.NULL, 0, 0)


def peek_message(msg: Any, remove: bool = True) -> bool:
    """PeekMessageW into ``msg`` (a ``MSG *``), any window of this thread, without waiting: True when there was a
    message (removed from the queue unless ``remove`` is false)."""
    return bool(_PeekMessageW(msg, ffi.NULL, 0, 0, PM_REMOVE if remove else 0))


def dispatch_message(msg: Any) -> None:
    """TranslateMessage, then DispatchMessageW, for ``msg`` (a ``MSG *``)."""
    _TranslateMessage(msg)
    _DispatchMessageW(msg)


def post_thread_message(thread_id: int, message: int, wparam: int = 0, lparam: int = 0) -> None:
    """PostThreadMessageW to the thread ``thread_id`` (it needs a message queue). OSError on failure."""
    if not _PostThreadMessageW(thread_id, message, wparam, lparam):
        raise _win32_error("PostThreadMessageW")


def post_quit_message(code: int = 0) -> None:
    """PostQuitMessage: the calling thread's message loop ends with ``code`` (what ``pump_messages`` returns)."""
    _PostQuitMessage(code)


def msg_wait_for_multiple_objects(handles: list[Any], timeout_ms: int, wake_mask: int, flags: int) -> int:
    """MsgWaitForMultipleObjectsEx: wait for any of ``handles`` (may be empty) or for input in this thread's queue
    (``wake_mask``, e.g. QS_ALLINPUT; ``flags``, e.g. MWMO_INPUTAVAILABLE). Returns WAIT_OBJECT_0 + i for handle
    i, WAIT_OBJECT_0 + len(handles) for input, or WAIT_TIMEOUT; OSError on WAIT_FAILED."""
    arr = ffi.new("HANDLE[]", handles) if handles else ffi.NULL
    r = _MsgWaitForMultipleObjectsEx(len(handles), arr, timeout_ms, wake_mask, flags)
    if r == WAIT_FAILED:
        raise _win32_error("MsgWaitForMultipleObjectsEx")
    return r


def pump_messages() -> int:
    """Run this thread's message loop until WM_QUIT; returns the quit code. An STA serves calls this way."""
    msg = ffi.new("MSG *")
    while True:
        r = _GetMessageW(msg, ffi.NULL, 0, 0)
        if r == 0:
            return int(msg.wParam)
        if r == -1:
            raise _win32_error("GetMessageW")
        _TranslateMessage(msg)
        _DispatchMessageW(msg)


_PROCESS_QUERY_INFORMATION = 0x0400
_PROCESS_VM_READ = 0x0010


def process_metrics(pid: int) -> dict[str, int]:
    """Resource counts of process ``pid``: ``working_set`` and ``private_bytes`` (GetProcessMemoryInfo's
    WorkingSetSize and PrivateUsage, bytes), ``handles`` (GetProcessHandleCount) and ``threads`` (the threads a
    Toolhelp32 snapshot lists for it). OSError when the process cannot be opened (gone, or no access).

    Where the runtime leaves a counter empty (Wine 8: PrivateUsage 0, GetProcessHandleCount 0; docs/wine.md) the
    same figure comes from its other source: PagefileUsage (the same commit charge, documented as equal) and the
    entries of the system handle table (NtQuerySystemInformation(SystemHandleInformation)) owned by ``pid``."""
    h = _OpenProcess(_PROCESS_QUERY_INFORMATION | _PROCESS_VM_READ, 0, pid)
    if h == ffi.NULL:
        raise _win32_error(f"OpenProcess({pid})")
    try:
        pmc = ffi.new("PROCESS_MEMORY_COUNTERS_EX *")
        pmc.cb = ffi.sizeof("PROCESS_MEMORY_COUNTERS_EX")
        if not function("K32GetProcessMemoryInfo")(h, pmc, pmc.cb):
            raise _win32_error("GetProcessMemoryInfo")
        handles = ffi.new("DWORD *")
        if not function("GetProcessHandleCount")(h, handles):
            raise _win32_error("GetProcessHandleCount")
    finally:
        _CloseHandle(h)
    snap = function("CreateToolhelp32Snapshot")(0x4, 0)  # TH32CS_SNAPTHREAD
    if snap == ffi.cast("HANDLE", -1):
        raise _win32_error("CreateToolhelp32Snapshot")
    try:
        entry = ffi.new("THREADENTRY32 *")
        entry.dwSize = ffi.sizeof("THREADENTRY32")
        threads = 0
        ok = function("Thread32First")(snap, entry)
        while ok:
            threads += entry.th32OwnerProcessID == pid
            ok = function("Thread32Next")(snap, entry)
    finally:
        _CloseHandle(snap)
    return {
        "working_set": int(pmc.WorkingSetSize),
        "private_bytes": int(pmc.PrivateUsage or pmc.PagefileUsage),
        "handles": int(handles[0]) or _handles_in_system_table(pid),
        "threads": threads,
    }


def _handles_in_system_table(pid: int) -> int:
    """How many entries of the system handle table belong to ``pid`` (SystemHandleInformation, class 16)."""
    query = function("NtQuerySystemInformation")
    size = 1 << 18
    while True:
        buf = ffi.new("char[]", size)
        needed = ffi.new("ULONG *")
        status = query(16, buf, size, needed) & 0xFFFFFFFF
        if status != 0xC0000004:  # STATUS_INFO_LENGTH_MISMATCH: grow and ask again
            break
        size = max(size * 2, needed[0] + 4096)
    if status != 0:
        raise OSError(f"NtQuerySystemInformation(SystemHandleInformation) failed: NTSTATUS 0x{status:08X}")
    count = ffi.cast("SYSTEM_HANDLE_INFORMATION *", buf).Count
    entries = ffi.cast("SYSTEM_HANDLE_ENTRY *", buf + ffi.offsetof("SYSTEM_HANDLE_INFORMATION", "Handle"))
    return sum(1 for i in range(count) if entries[i].OwnerPid == pid)
