"""What bench/ctserver.py and bench/pwserver.py share, with nothing but the standard library: those servers load
nothing of this project's library, so their cold start is comtypes' and pywin32's own (ole32_servers.localserver does
the same for ours)."""

import os

from bench import contract


def detach_std_handles() -> None:
    """fds 0-2 to NUL: a server COM started inherited its client's std handles (a pipe it must not hold open)."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        try:
            os.dup2(null, fd)
        except OSError:
            pass


# ---- stub pins (a Wine 8 hang workaround) ------------------------------------------------------------------------

#: what the bench servers pin: IClassFactory, IUnknown, IBenchTarget, and IDispatch and IBenchDual (what the C++
#: server pins too)
PINNED_IIDS = [
    "{00000001-0000-0000-C000-000000000046}",
    "{00000000-0000-0000-C000-000000000046}",
    contract.IID_IBenchTarget,
    "{00020400-0000-0000-C000-000000000046}",
    contract.IID_IBenchDual,
]


class StubPins:
    """Keep the RPC registration of some IIDs alive for the server's whole life (native/bench/README.md, "Hang in
    RpcServerUnregisterIf"): Wine 8's rpcrt4 can hang for good when the last stub of an IID in a process goes away
    while a call on that IID finishes, which an activation loop meets within some hundred activations (the client
    releases the class factory right after CreateInstance). The C++ server and ours pin their own class objects;
    comtypes' and pywin32's servers are used as they ship, so this pins the IIDs with a separate keeper: a
    minimal COM object made here with ctypes (no library's object count sees it, so their exit logic is unchanged),
    marshaled table-strong once per IID. Registration is per IID and process, so any object's stub keeps it.

        pins = StubPins(PINNED_IIDS)   # in the serving apartment
        ... serve ...
        pins.release()   # same apartment, before CoUninitialize (or let the process exit take them)

    ``BENCH_SERVER_NO_PIN=1`` in the environment (a server COM starts inherits its client's) leaves the pins out,
    to reproduce the hang (the C++ server's ``-NoPin``).
    """

    _SLOTS = 10  # IUnknown's 3, then E_NOTIMPL for whatever a stub may call (IBenchDual, the longest: 10)

    def __init__(self, iids: "list[str]") -> None:
        import ctypes
        from ctypes import wintypes

        self._ctypes = ctypes
        ole32 = ctypes.OleDLL("ole32")
        self._ole32 = ole32
        guid_t = ctypes.c_byte * 16
        self._iids = []
        for text in iids:
            g = guid_t()
            ole32.CLSIDFromString(ctypes.c_wchar_p(text), ctypes.byref(g))
            self._iids.append(bytes(g))
        keys = set(self._iids)
        refs = [1]

        qi_t = ctypes.WINFUNCTYPE(ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p))
        ref_t = ctypes.WINFUNCTYPE(wintypes.ULONG, ctypes.c_void_p)
        other_t = ctypes.WINFUNCTYPE(ctypes.c_long, ctypes.c_void_p)

        def query_interface(this, riid, ppv):
            if not ppv:
                return -2147467261  # E_POINTER
            if riid and ctypes.string_at(riid, 16) in keys:
                refs[0] += 1
                ppv[0] = this
                return 0
            ppv[0] = None
            return -2147467262  # E_NOINTERFACE

        def add_ref(this):
            refs[0] += 1
            return refs[0]

        def release(this):
            refs[0] -= 1
            return refs[0]

        def not_implemented(this):
            return -2147467263  # E_NOTIMPL

        self._callbacks = [qi_t(query_interface), ref_t(add_ref), ref_t(release)]
        self._callbacks += [other_t(not_implemented) for _ in range(self._SLOTS - 3)]
        self._vtable = (ctypes.c_void_p * self._SLOTS)(*[ctypes.cast(c, ctypes.c_void_p) for c in self._callbacks])
        self._object = ctypes.c_void_p(ctypes.addressof(self._vtable))  # the object: one pointer to its vtable
        self.streams: list = []
        if os.environ.get("BENCH_SERVER_NO_PIN") == "1":
            return
        for iid in self._iids:
            stream = ctypes.c_void_p()
            ole32.CreateStreamOnHGlobal(None, True, ctypes.byref(stream))
            self.streams.append(stream)
            # CoMarshalInterface(stream, riid, pUnk, MSHCTX_LOCAL, NULL, MSHLFLAGS_TABLESTRONG)
            ole32.CoMarshalInterface(stream, ctypes.c_char_p(iid), ctypes.byref(self._object), 1, None, 1)

    def release(self) -> None:
        """CoReleaseMarshalData and Release of every pin (in the apartment that made them)."""
        ctypes = self._ctypes
        while self.streams:
            stream = self.streams.pop()
            vtbl = ctypes.cast(stream, ctypes.POINTER(ctypes.POINTER(ctypes.c_void_p)))[0]
            seek = ctypes.WINFUNCTYPE(
                ctypes.c_long, ctypes.c_void_p, ctypes.c_longlong, ctypes.c_ulong, ctypes.c_void_p
            )(vtbl[5])
            seek(stream, 0, 0, None)
            try:
                self._ole32.CoReleaseMarshalData(stream)
            except OSError:
                pass  # the apartment already went (the data went with it)
            ctypes.WINFUNCTYPE(ctypes.c_ulong, ctypes.c_void_p)(vtbl[2])(stream)
