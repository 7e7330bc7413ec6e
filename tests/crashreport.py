"""Crash reports for real crashes only, in place of faulthandler's fatal-error handler (issue 14, item 8).

Python's faulthandler (which pytest enables) prints "Windows fatal exception: code 0x..." and every thread's stack
for each SEH exception with the high bit set *when it is raised*, also for those a handler catches: rpcrt4 raises
RPC failures (0x800706B5 and co) as exceptions and handles them itself, so a test run printed pages of stacks for
nothing and a real failure drowned in them. :func:`install` turns faulthandler's fatal-error handler off and
installs the test DLL's top-level exception filter (``TL_InstallCrashReporter``, native/testlib/crash.cpp): called
only when an exception found no handler, i.e. the process is dying of it; it prints one line naming the code and
every Python thread's stack (CPython's ``_Py_DumpTracebackThreads``, what faulthandler calls). pytest's
``faulthandler_timeout`` (a stuck test dumps the stacks) keeps working: it does not need the fatal-error handler.
Test harness only: nothing of this is in the library.
"""

from __future__ import annotations

import os
import sys

#: the first line of a report (what tests look for)
REPORT_PREFIX = "Fatal exception (unhandled): code 0x"


def install() -> None:
    """Replace faulthandler's fatal-error handler by the crash-only report, on a copy of this process's stderr taken
    now (pytest's capture later redirects descriptor 2 to its own files)."""
    import faulthandler
    import msvcrt

    from testlib import load

    faulthandler.disable()
    fd = os.dup(2)
    ffi, lib = load()
    hr = lib.TL_InstallCrashReporter(
        fd, ffi.cast("void *", msvcrt.get_osfhandle(fd)), ffi.cast("void *", sys.dllhandle)
    )
    if hr != 0:
        os.close(fd)
        faulthandler.enable()  # (better the noise than no report at all)
        raise OSError(f"TL_InstallCrashReporter failed: 0x{hr & 0xFFFFFFFF:08X}")


if __name__ == "__main__":
    # A child process for tests/test_crashreport.py: install, then do what argv[1] says. (The embeddable Python's
    # ._pth file leaves the script's directory off sys.path.)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    what = sys.argv[1]
    if what == "faulthandler":  # what pytest did before: faulthandler's handler on, the same caught exception
        import faulthandler

        faulthandler.enable()
        what = "handled"
    else:
        install()
    if what == "handled":  # the RPC exception of the noise (RPC_S_UNKNOWN_IF), raised and caught (by ctypes' SEH)
        import ctypes

        try:
            ctypes.windll.kernel32.RaiseException(0x800706B5, 0, 0, None)
        except OSError:
            print("survived", flush=True)
    elif what == "crash":  # a real crash: cffi reads address 16 (ctypes would catch it and raise OSError)
        import cffi

        def read_null() -> int:
            return int(cffi.FFI().cast("int *", 16)[0])

        read_null()
