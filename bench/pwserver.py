"""The pywin32 LocalServer32 of the bench: bench/pwtarget.py's ``PwTarget`` (IBenchTarget, CLSID_PwBenchServer,
rows 5-8) and ``PwDual`` (IBenchDual, CLSID_PwBenchDualServer, rows 10a/10b) served out of process by pywin32's
own local server (``win32com.server.localserver.serve``: ``pythoncom.MakePyFactory``, CoRegisterClassObject, a
message loop that ends when pythoncom's lock count is back to 0), two classes in one process as
bench_cpp_server.exe and ours serve theirs.

    python bench/pwserver.py -RegServer     # HKCR registration of both classes (IBenchTarget's type library:
                                            # bench/pyserver.py; BenchDualLib: bench_cpp_server.exe -RegServer)
    python bench/pwserver.py -UnregServer
    python bench/pwserver.py -Embedding     # what COM runs (Wine appends -Embedding to the registered command)

pywin32's class factory finds the Python class through ``HKCR\\CLSID\\{clsid}\\PythonCOM`` (and adds
``PythonCOMPath`` to sys.path), which ``-RegServer`` writes beside the LocalServer32 entry; the universal gateway
serves IBenchTarget and IBenchDual from their registered type libraries (PwDual's IDispatch is pywin32's policy,
its DISPIDs read from BenchDualLib). The command line is ``python.exe bench/pwserver.py``, like
every Python server of the bench (pywin32's own registration would run ``pythonw.exe .../localserver.py {clsid}``):
this script puts the project on sys.path (the embeddable Python's ._pth leaves it off) and registers the
universal gateway before handing over to pywin32's ``serve``.

Serving loads nothing of this project but bench.contract, bench.serverproc and bench.pwtarget. The server runs in
the MTA (``sys.coinit_flags = 0``, like the C++ server and ours; pywin32's localserver.py would pick an STA).
Added here: a server that no client ever used exits after ``IDLE_TIMEOUT`` seconds.
"""

import os
import sys
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:  # the embeddable Python's ._pth leaves the script's directory off sys.path
    sys.path.insert(0, ROOT)

from bench import contract  # noqa: E402
from bench.serverproc import PINNED_IIDS, StubPins, detach_std_handles  # noqa: E402

IDLE_TIMEOUT = 30.0
#: What pywin32's factory instantiates (HKCR\CLSID\{clsid}\PythonCOM), importable from PythonCOMPath.
CLASS_SPEC = "bench.pwtarget.PwTarget"
DUAL_CLASS_SPEC = "bench.pwtarget.PwDual"


def registration():
    from ole32_bindings.guid import Guid
    from ole32_servers.registration import ServerRegistration, python_command

    clsid = Guid(contract.CLSID_PwBenchServer)
    return ServerRegistration(
        clsid,
        "ole32-bindings IBenchTarget server (pywin32)",
        python_command(os.path.abspath(__file__)),
        progid="Ole32Bindings.BenchServerPw.1",
        appid=clsid,
    )


def dual_registration():
    from ole32_bindings.guid import Guid
    from ole32_servers.registration import ServerRegistration, python_command

    clsid = Guid(contract.CLSID_PwBenchDualServer)
    return ServerRegistration(
        clsid,
        "ole32-bindings IBenchDual server (pywin32)",
        python_command(os.path.abspath(__file__)),
        progid="Ole32Bindings.BenchDualServerPw.1",
        appid=clsid,
    )


def register_python_class(clsid: str, spec: str = CLASS_SPEC) -> str:
    """The registry values pywin32's class factory reads to find ``spec`` (PwTarget by default) for ``clsid``;
    returns the CLSID key."""
    from ole32_bindings import registry

    key = f"CLSID\\{clsid}"
    registry.set_value(registry.HKEY_CLASSES_ROOT, key + "\\PythonCOM", None, spec)
    registry.set_value(registry.HKEY_CLASSES_ROOT, key + "\\PythonCOMPath", None, ROOT)
    return key


def register() -> None:
    from ole32_servers.registration import register as register_server

    register_server(registration())
    register_python_class(contract.CLSID_PwBenchServer)
    register_server(dual_registration())
    register_python_class(contract.CLSID_PwBenchDualServer, DUAL_CLASS_SPEC)


def unregister() -> None:
    from ole32_servers.registration import unregister as unregister_server

    unregister_server(registration())
    unregister_server(dual_registration())


def serve():
    sys.coinit_flags = 0  # pythoncom joins COM on import: the MTA, like the C++ server and ours
    import pythoncom
    import win32api
    import win32con
    from win32com.server import localserver

    from bench import pwtarget

    pwtarget.register_interfaces()
    main_thread = win32api.GetCurrentThreadId()
    pythoncom.PumpWaitingMessages()  # this thread's message queue exists before any WM_QUIT is posted to it

    def idle_exit():
        # pywin32 posts WM_QUIT when its last gateway or lock goes; a server nobody ever used would wait forever.
        threading.Event().wait(IDLE_TIMEOUT)
        if pythoncom._GetGatewayCount() == 0:
            win32api.PostThreadMessage(main_thread, win32con.WM_QUIT, 0, 0)

    threading.Thread(target=idle_exit, daemon=True, name="idle-exit").start()
    global _pins
    # The Wine 8 hang workaround the C++ server and ours apply to themselves. pywin32's serve() ends with
    # CoUninitialize, which takes the pins with the apartment: they are kept referenced until the process exits.
    _pins = StubPins(PINNED_IIDS)
    # registers both classes, pumps until WM_QUIT, revokes, CoUninitialize
    localserver.serve([contract.CLSID_PwBenchServer, contract.CLSID_PwBenchDualServer])
    return 0


_pins = None


def main(argv):
    args = [a.lower().lstrip("-/") for a in argv]
    if "regserver" in args:
        register()
        return 0
    if "unregserver" in args:
        unregister()
        return 0
    detach_std_handles()
    return serve()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
