"""COM security: process-wide defaults, proxy blankets, the server's view of its caller, and security
descriptors written as SDDL.

What the runtime enforces is the runtime's business, and it differs: Windows checks a server process's
CoInitializeSecurity descriptor (or its AppID's ``AccessPermission``) on every call and the AppID's
``LaunchPermission`` when COM starts the server, and gives E_ACCESSDENIED to a caller they refuse; Wine 8 reads
neither and lets every caller in (docs/wine.md, with the reproduction). Nothing here claims a protection the
runtime does not apply: the functions return what the runtime said.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from ._util import NULL, require
from .constants import EOAC, RPC_C_AUTHN_LEVEL, RPC_C_IMP_LEVEL
from .dlls import ffi, function
from .hresult import check

__all__ = [
    "initialize_security",
    "set_proxy_blanket",
    "query_client_blanket",
    "calling_process_id",
    "impersonate_client",
    "revert_to_self",
    "impersonating",
    "ClientBlanket",
    "security_descriptor_from_sddl",
    "sddl_from_security_descriptor",
    "user_name",
]

_CoInitializeSecurity = function("CoInitializeSecurity")
_CoSetProxyBlanket = function("CoSetProxyBlanket")
_CoQueryClientBlanket = function("CoQueryClientBlanket")
_I_RpcBindingInqLocalClientPID = function("I_RpcBindingInqLocalClientPID")
_CoImpersonateClient = function("CoImpersonateClient")
_CoRevertToSelf = function("CoRevertToSelf")
_FromSddl = function("ConvertStringSecurityDescriptorToSecurityDescriptorW")
_ToSddl = function("ConvertSecurityDescriptorToStringSecurityDescriptorW")
_IsValidSecurityDescriptor = function("IsValidSecurityDescriptor")
_GetUserNameW = function("GetUserNameW")
_LocalFree = function("LocalFree")

SDDL_REVISION_1 = 1
#: OWNER, GROUP, DACL and SACL: everything a descriptor can say, for ConvertSecurityDescriptorToStringSecurityDescriptor
_ALL_INFORMATION = 0x1 | 0x2 | 0x4 | 0x8

RPC_C_AUTHN_DEFAULT = 0xFFFFFFFF
RPC_C_AUTHZ_DEFAULT = 0xFFFFFFFF


def initialize_security(
    authn_level: RPC_C_AUTHN_LEVEL = RPC_C_AUTHN_LEVEL.DEFAULT,
    imp_level: RPC_C_IMP_LEVEL = RPC_C_IMP_LEVEL.IDENTIFY,
    capabilities: EOAC = EOAC.NONE,
    access_sddl: str | None = None,
) -> None:
    """CoInitializeSecurity, once per process, before any marshaling (RPC_E_TOO_LATE raises if COM already chose
    the defaults): the authentication level the process asks for and accepts, the impersonation level it grants
    servers it calls, its EOAC capabilities, and who may call it: ``access_sddl`` an SDDL string whose DACL grants
    COM_RIGHTS_EXECUTE (1) to the callers allowed (e.g. ``"O:BAG:BAD:(A;;0x3;;;AU)"``: authenticated users), or
    None for everyone (no descriptor). ValueError names an SDDL string the system cannot parse."""
    sd: Any = NULL
    if access_sddl is not None:
        blob = security_descriptor_from_sddl(access_sddl)
        sd = ffi.new("uint8_t[]", blob)
    check(
        _CoInitializeSecurity(sd, -1, NULL, NULL, int(authn_level), int(imp_level), NULL, int(EOAC(capabilities)), NULL)
    )


def set_proxy_blanket(
    proxy: Any,
    authn_level: int = RPC_C_AUTHN_LEVEL.DEFAULT,
    imp_level: int = RPC_C_IMP_LEVEL.IMPERSONATE,
    capabilities: int = EOAC.NONE,
) -> None:
    """CoSetProxyBlanket on ``proxy`` (borrowed): the authentication level, impersonation level and EOAC
    capabilities of the calls made through it; the services and the principal stay the defaults."""
    require(proxy, "pProxy", "CoSetProxyBlanket")
    check(
        _CoSetProxyBlanket(
            proxy, RPC_C_AUTHN_DEFAULT, RPC_C_AUTHZ_DEFAULT, NULL, authn_level, imp_level, NULL, capabilities
        )
    )


class ClientBlanket(NamedTuple):
    """What ``query_client_blanket`` reports about the caller: the authentication service (RPC_C_AUTHN_*), the
    authorization service (RPC_C_AUTHZ_*), the authentication level, the impersonation level and the EOAC
    capabilities."""

    authn_service: int
    authz_service: int
    authn_level: int
    imp_level: int
    capabilities: int


def query_client_blanket() -> ClientBlanket:
    """CoQueryClientBlanket, inside a call a server is serving."""
    authn, authz, level, imp, caps = (ffi.new("DWORD *") for _ in range(5))
    check(_CoQueryClientBlanket(authn, authz, NULL, level, imp, NULL, caps))
    return ClientBlanket(authn[0], authz[0], level[0], imp[0], caps[0])


def calling_process_id() -> int | None:
    """The id of the process at the other end of the call this thread is serving (rpcrt4's
    I_RpcBindingInqLocalClientPID on the current call: the local transport knows it), or None when no call is
    being served or the transport cannot say (a remote caller)."""
    pid = ffi.new("ULONG *")
    status = _I_RpcBindingInqLocalClientPID(NULL, pid)
    return int(pid[0]) if status == 0 and pid[0] else None


def impersonate_client() -> None:
    """CoImpersonateClient: inside a call a server is serving, this thread runs as the caller until
    ``revert_to_self``."""
    check(_CoImpersonateClient())


def revert_to_self() -> None:
    """CoRevertToSelf: end the impersonation ``impersonate_client`` started on this thread."""
    check(_CoRevertToSelf())


@contextmanager
def impersonating() -> Iterator[None]:
    """``with impersonating():`` inside a call a server is serving, this thread runs as the caller
    (CoImpersonateClient) and reverts to the server's own identity on exit (CoRevertToSelf), also when the body
    raises. Outside a call, RPC_E_CALL_COMPLETE (or what the runtime says) raises and nothing is entered."""
    impersonate_client()
    try:
        yield
    finally:
        revert_to_self()


def user_name() -> str:
    """GetUserNameW: the user this thread runs as (the caller's, inside ``impersonating()``)."""
    size = ffi.new("DWORD *", 257)
    buf = ffi.new("wchar_t[]", 257)
    if not _GetUserNameW(buf, size):
        raise OSError(ffi.getwinerror()[0], "GetUserNameW failed")
    return ffi.string(buf)


def security_descriptor_from_sddl(sddl: str) -> bytes:
    """The self-relative binary security descriptor an SDDL string describes (what ``AccessPermission`` and
    ``LaunchPermission`` hold, and what CoInitializeSecurity takes). ValueError names a string the system's
    ConvertStringSecurityDescriptorToSecurityDescriptorW refuses, with its Win32 error."""
    if not isinstance(sddl, str) or not sddl or "\x00" in sddl:
        raise ValueError(f"SDDL must be a non-empty string, not {sddl!r}")
    out = ffi.new("void **")
    size = ffi.new("ULONG *")
    if not _FromSddl(sddl, SDDL_REVISION_1, out, size):
        raise ValueError(f"SDDL {sddl!r} was refused (Win32 error {ffi.getwinerror()[0]})")
    try:
        if not _IsValidSecurityDescriptor(out[0]):
            raise ValueError(f"SDDL {sddl!r} gave an invalid security descriptor")
        return bytes(ffi.buffer(out[0], size[0]))
    finally:
        _LocalFree(out[0])


def sddl_from_security_descriptor(descriptor: bytes) -> str:
    """The SDDL string of a self-relative binary security descriptor (owner, group, DACL and SACL)."""
    if not descriptor:
        raise ValueError("an empty security descriptor")
    blob = ffi.new("uint8_t[]", descriptor)
    if not _IsValidSecurityDescriptor(blob):
        raise ValueError(f"not a valid security descriptor ({len(descriptor)} bytes)")
    out = ffi.new("wchar_t **")
    if not _ToSddl(blob, SDDL_REVISION_1, _ALL_INFORMATION, out, NULL):
        raise ValueError(
            f"ConvertSecurityDescriptorToStringSecurityDescriptorW failed (Win32 error {ffi.getwinerror()[0]})"
        )
    try:
        return ffi.string(out[0])
    finally:
        _LocalFree(out[0])
