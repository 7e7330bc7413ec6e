"""COM security: process-wide defaults, proxy blankets, and the server's view of its caller."""

from __future__ import annotations

from typing import Any, NamedTuple

from ._util import NULL, require
from .constants import EOAC, RPC_C_AUTHN_LEVEL, RPC_C_IMP_LEVEL
from .dlls import ffi, function
from .hresult import check

__all__ = [
    "initialize_security",
    "set_proxy_blanket",
    "query_client_blanket",
    "impersonate_client",
    "revert_to_self",
    "ClientBlanket",
]

_CoInitializeSecurity = function("CoInitializeSecurity")
_CoSetProxyBlanket = function("CoSetProxyBlanket")
_CoQueryClientBlanket = function("CoQueryClientBlanket")
_CoImpersonateClient = function("CoImpersonateClient")
_CoRevertToSelf = function("CoRevertToSelf")

RPC_C_AUTHN_DEFAULT = 0xFFFFFFFF
RPC_C_AUTHZ_DEFAULT = 0xFFFFFFFF


def initialize_security(
    authn_level: int = RPC_C_AUTHN_LEVEL.DEFAULT,
    imp_level: int = RPC_C_IMP_LEVEL.IDENTIFY,
    capabilities: int = EOAC.NONE,
) -> None:
    """CoInitializeSecurity with no security descriptor (everyone may call), once per process, before any
    marshaling; RPC_E_TOO_LATE raises if COM already chose the defaults."""
    check(_CoInitializeSecurity(NULL, -1, NULL, NULL, authn_level, imp_level, NULL, capabilities, NULL))


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


def impersonate_client() -> None:
    """CoImpersonateClient: inside a call a server is serving, this thread runs as the caller until
    ``revert_to_self``."""
    check(_CoImpersonateClient())


def revert_to_self() -> None:
    """CoRevertToSelf: end the impersonation ``impersonate_client`` started on this thread."""
    check(_CoRevertToSelf())
