"""COM's flag and enum values (objbase.h / wtypes.h / objidl.h), as IntFlag/IntEnum."""

from __future__ import annotations

from enum import IntEnum, IntFlag

__all__ = [
    "COINIT",
    "CLSCTX",
    "REGCLS",
    "MSHCTX",
    "MSHLFLAGS",
    "APTTYPE",
    "APTTYPEQUALIFIER",
    "THDTYPE",
    "COWAIT",
    "STREAM_SEEK",
    "REGKIND",
    "SYSKIND",
    "RPC_C_AUTHN_LEVEL",
    "RPC_C_IMP_LEVEL",
    "EOAC",
    "INFINITE",
    "WAIT_OBJECT_0",
    "WAIT_TIMEOUT",
    "WAIT_FAILED",
    "WM_QUIT",
    "WM_USER",
    "QS_ALLINPUT",
    "MWMO_INPUTAVAILABLE",
    "PM_REMOVE",
]


class COINIT(IntFlag):
    """CoInitializeEx's apartment model and options (``MULTITHREADED`` is 0: the MTA)."""

    APARTMENTTHREADED = 0x2
    MULTITHREADED = 0x0
    DISABLE_OLE1DDE = 0x4
    SPEED_OVER_MEMORY = 0x8


class CLSCTX(IntFlag):
    """Where an activation may run the class: in process, in a handler, in a local or remote server."""

    INPROC_SERVER = 0x1
    INPROC_HANDLER = 0x2
    LOCAL_SERVER = 0x4
    REMOTE_SERVER = 0x10
    NO_CODE_DOWNLOAD = 0x400
    NO_CUSTOM_MARSHAL = 0x1000
    ENABLE_CODE_DOWNLOAD = 0x2000
    NO_FAILURE_LOG = 0x4000
    DISABLE_AAA = 0x8000
    ENABLE_AAA = 0x10000
    FROM_DEFAULT_CONTEXT = 0x20000
    ACTIVATE_32_BIT_SERVER = 0x40000
    ACTIVATE_64_BIT_SERVER = 0x80000
    ALL = INPROC_SERVER | INPROC_HANDLER | LOCAL_SERVER | REMOTE_SERVER
    SERVER = INPROC_SERVER | LOCAL_SERVER | REMOTE_SERVER


class REGCLS(IntFlag):
    """CoRegisterClassObject's flags: how many activations a class object serves, and ``SUSPENDED``."""

    SINGLEUSE = 0
    MULTIPLEUSE = 1
    MULTI_SEPARATE = 2
    SUSPENDED = 4
    SURROGATE = 8
    AGILE = 0x10


class MSHCTX(IntEnum):
    """Marshal destination context: where the unmarshaling side is (same process, same machine...)."""

    LOCAL = 0
    NOSHAREDMEM = 1
    DIFFERENTMACHINE = 2
    INPROC = 3
    CROSSCTX = 4
    CONTAINER = 5


class MSHLFLAGS(IntFlag):
    """Why an interface is marshaled: ``NORMAL`` (unmarshaled once) or table-strong/weak (many times)."""

    NORMAL = 0
    TABLESTRONG = 1
    TABLEWEAK = 2
    NOPING = 4


class APTTYPE(IntEnum):
    """The apartment type CoGetApartmentType reports (``NA``: the neutral apartment)."""

    CURRENT = -1
    STA = 0
    MTA = 1
    NA = 2
    MAINSTA = 3


class APTTYPEQUALIFIER(IntEnum):
    """The qualifier CoGetApartmentType reports with the type (e.g. ``IMPLICIT_MTA``)."""

    NONE = 0
    IMPLICIT_MTA = 1
    NA_ON_MTA = 2
    NA_ON_STA = 3
    NA_ON_IMPLICIT_MTA = 4
    NA_ON_MAINSTA = 5
    APPLICATION_STA = 6
    RESERVED_1 = 7


class THDTYPE(IntEnum):
    """IComThreadingInfo::GetCurrentThreadType: whether the thread pumps messages."""

    BLOCKMESSAGES = 0
    PROCESSMESSAGES = 1


class COWAIT(IntFlag):
    """CoWaitForMultipleHandles' flags."""

    DEFAULT = 0
    WAITALL = 1
    ALERTABLE = 2
    INPUTAVAILABLE = 4
    DISPATCH_CALLS = 8
    DISPATCH_WINDOW_MESSAGES = 0x10


class STREAM_SEEK(IntEnum):
    """IStream::Seek's origin."""

    SET = 0
    CUR = 1
    END = 2


class REGKIND(IntEnum):
    """LoadTypeLibEx: whether to register the library it loads."""

    DEFAULT = 0
    REGISTER = 1
    NONE = 2


class SYSKIND(IntEnum):
    """The target platform of a type library."""

    WIN16 = 0
    WIN32 = 1
    MAC = 2
    WIN64 = 3


class RPC_C_AUTHN_LEVEL(IntEnum):
    """Authentication levels (CoInitializeSecurity, CoSetProxyBlanket)."""

    DEFAULT = 0
    NONE = 1
    CONNECT = 2
    CALL = 3
    PKT = 4
    PKT_INTEGRITY = 5
    PKT_PRIVACY = 6


class RPC_C_IMP_LEVEL(IntEnum):
    """Impersonation levels (CoInitializeSecurity, CoSetProxyBlanket)."""

    DEFAULT = 0
    ANONYMOUS = 1
    IDENTIFY = 2
    IMPERSONATE = 3
    DELEGATE = 4


class EOAC(IntFlag):
    """Authentication capabilities (CoInitializeSecurity, CoSetProxyBlanket)."""

    NONE = 0
    MUTUAL_AUTH = 0x1
    STATIC_CLOAKING = 0x20
    DYNAMIC_CLOAKING = 0x40
    ANY_AUTHORITY = 0x80
    SECURE_REFS = 0x2
    ACCESS_CONTROL = 0x4
    APPID = 0x8
    DYNAMIC = 0x10
    DISABLE_AAA = 0x1000
    NO_CUSTOM_MARSHAL = 0x2000


INFINITE = 0xFFFFFFFF
"""A timeout that never expires (milliseconds)."""
WAIT_OBJECT_0 = 0
"""A wait's result for its first handle (``WAIT_OBJECT_0 + i`` for handle ``i``)."""
WAIT_TIMEOUT = 0x102
"""A wait's result when the timeout expired."""
WAIT_FAILED = 0xFFFFFFFF
"""A wait's result when the wait itself failed (GetLastError says why)."""
WM_QUIT = 0x0012
"""The message that ends a message loop (PostQuitMessage)."""
WM_USER = 0x0400
"""The first message number free for private use."""
QS_ALLINPUT = 0x04FF
"""MsgWaitForMultipleObjectsEx's wake mask for any input in the queue."""
MWMO_INPUTAVAILABLE = 0x4
"""MsgWaitForMultipleObjectsEx: also return for input already in the queue but not yet removed."""
PM_REMOVE = 0x1
"""PeekMessageW: remove the message from the queue."""
