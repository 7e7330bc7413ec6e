"""Registering a LocalServer32 class in the registry, and removing it without leaving a key behind.

What a class needs so COM can start its server: ``CLSID\\{clsid}`` (a name), ``CLSID\\{clsid}\\LocalServer32``
(the command line, without ``-Embedding``: COM appends it, Wine included), optionally a ProgID (both directions),
an AppID, and the type library that describes its custom interfaces (see ``ole32_servers.typelib``). An AppID can
carry who may start the server and who may call it (``launch_permission`` / ``access_permission``: SDDL, written
as the binary descriptors COM reads from ``AppID\\{appid}``'s ``LaunchPermission`` and ``AccessPermission``).

Where (the ``place``): per-user ``HKEY_CURRENT_USER\\Software\\Classes`` (:data:`HKCU_CLASSES`) is the default: no
elevation, and on Windows COM merges it into HKEY_CLASSES_ROOT for that user's processes (not for elevated ones,
which read the machine-wide classes only). Machine-wide ``HKEY_CLASSES_ROOT`` (:data:`HKCR`, written to
``HKLM\\Software\\Classes``, needs an administrator) is the explicit choice: pass ``place=HKCR``, or set the
environment variable ``OLE32_BINDINGS_REGISTRATION=machine`` for the process (:func:`default_place`). Wine 8 looks
CLSIDs up in HKCR only (a class registered under HKCU gives REGDB_E_CLASSNOTREG there, docs/wine.md), so the dev
harness (``tools/winpy``) sets ``machine``.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from typing import Any

from ole32_bindings import registry
from ole32_bindings.guid import Guid
from ole32_bindings.security import security_descriptor_from_sddl

from .services.declaration import ServiceSet, to_registry

__all__ = [
    "ServerRegistration",
    "register",
    "unregister",
    "python_command",
    "write_class_identity",
    "remove_class_identity",
    "write_services",
    "read_services",
    "HKCR",
    "HKCU_CLASSES",
    "default_place",
]

log = logging.getLogger("ole32_servers")

HKCR = (registry.HKEY_CLASSES_ROOT, "")
"""``(hive, root)`` of HKEY_CLASSES_ROOT: every user sees it, and it is the only place Wine 8 looks for CLSIDs."""
HKCU_CLASSES = (registry.HKEY_CURRENT_USER, "Software\\Classes")
"""``(hive, root)`` of the per-user ``HKEY_CURRENT_USER\\Software\\Classes``: the usual choice on Windows."""


def default_place() -> tuple[Any, str]:
    """Where a registration goes when no ``place`` is given: :data:`HKCU_CLASSES` (per user), or :data:`HKCR` when
    the environment variable ``OLE32_BINDINGS_REGISTRATION`` is ``machine`` (``user`` or unset: per user).
    Read at each call, so a process can change it before registering."""
    choice = os.environ.get("OLE32_BINDINGS_REGISTRATION", "user").strip().lower() or "user"
    if choice == "user":
        return HKCU_CLASSES
    if choice == "machine":
        return HKCR
    raise ValueError(f"OLE32_BINDINGS_REGISTRATION must be 'user' or 'machine', not {choice!r}")


def python_command(script: str, *args: str) -> str:
    """The command line that runs ``script`` with this Python (absolute paths, quoted)."""
    parts = [sys.executable, os.path.abspath(script), *args]
    return " ".join(f'"{p}"' if " " in p or not p else p for p in parts)


@dataclass
class ServerRegistration:
    """The registry entries of one LocalServer32 class: ``clsid``, its display ``name``, the server ``command``
    line (without ``-Embedding``), an optional ``progid`` and ``appid``, and ``place``, the ``(hive, root)`` to
    write under (:data:`HKCU_CLASSES` or :data:`HKCR`; :func:`default_place` when not given). A scriptable class
    adds ``version_independent_progid`` (``Vendor.Class``, whose ``CurVer`` names ``progid``: what ``CreateObject``
    usually gets) and ``typelib`` / ``typelib_version``, the LIBID that ``CLSID\\{clsid}\\TypeLib`` names
    (:func:`write_class_identity`). ``access_permission`` and ``launch_permission`` (SDDL, e.g.
    ``"O:BAG:BAD:(A;;0x3;;;IU)(A;;0x3;;;SY)"``; they need an ``appid``) become the AppID's binary
    ``AccessPermission`` and ``LaunchPermission``: who may call the server's objects and who may have COM start it
    (COM_RIGHTS_EXECUTE = 1, _LOCAL = 2, ACTIVATE_LOCAL = 8). Windows documents and enforces them in the
    machine-wide ``HKLM\\Software\\Classes\\AppID`` (``place=HKCR``); written per user they may not apply, and
    ``register`` logs a warning saying so. Wine 8 reads them nowhere (docs/wine.md). A class with services
    (``ole32_servers.services``) records them with ``services`` (``services_of(cls)``) and its
    ``construction_string`` (:func:`write_services`)."""

    clsid: Guid
    name: str
    command: str
    progid: str | None = None
    appid: Guid | None = None
    place: tuple[Any, str] = field(default_factory=default_place)
    version_independent_progid: str | None = None
    typelib: Guid | None = None
    typelib_version: tuple[int, int] = (1, 0)
    services: ServiceSet | None = None
    construction_string: str | None = None
    access_permission: str | None = None
    launch_permission: str | None = None

    def __post_init__(self) -> None:
        if (self.access_permission or self.launch_permission) and self.appid is None:
            raise ValueError(f"{self.clsid}: access_permission and launch_permission live under an AppID: give appid")

    def _key(self, *parts: str) -> str:
        root = self.place[1]
        return "\\".join(([root] if root else []) + list(parts))

    @property
    def keys(self) -> list[str]:
        """Every key this registration owns (removed by ``unregister``)."""
        keys = [self._key("CLSID", str(self.clsid))]
        if self.progid:
            keys.append(self._key(self.progid))
        if self.version_independent_progid:
            keys.append(self._key(self.version_independent_progid))
        if self.appid is not None:
            keys.append(self._key("AppID", str(self.appid)))
        return keys


def register(reg: ServerRegistration) -> None:
    """Write the registration (idempotent: registering twice leaves the same keys). ValueError names an SDDL
    permission the system cannot parse, before anything is written."""
    for sddl in (reg.access_permission, reg.launch_permission):
        if sddl is not None:
            security_descriptor_from_sddl(sddl)
    if (reg.access_permission or reg.launch_permission) and reg.place != HKCR:
        log.warning(
            "%s: AccessPermission/LaunchPermission written per user: Windows documents them machine-wide "
            "(place=HKCR); they may not be enforced from here",
            reg.clsid,
        )
    hive = reg.place[0]
    clsid_key = reg._key("CLSID", str(reg.clsid))
    registry.set_value(hive, clsid_key, None, reg.name)
    registry.set_value(hive, clsid_key + "\\LocalServer32", None, reg.command)
    write_class_identity(
        reg.clsid,
        reg.name,
        progid=reg.progid,
        version_independent_progid=reg.version_independent_progid,
        typelib=reg.typelib,
        typelib_version=reg.typelib_version,
        place=reg.place,
    )
    if reg.appid is not None:
        appid_key = reg._key("AppID", str(reg.appid))
        permissions = {
            name: security_descriptor_from_sddl(sddl)
            for name, sddl in (("AccessPermission", reg.access_permission), ("LaunchPermission", reg.launch_permission))
            if sddl is not None
        }
        registry.set_value(hive, clsid_key, "AppID", str(reg.appid))
        registry.set_value(hive, appid_key, None, reg.name)
        for name, blob in permissions.items():
            registry.set_value(hive, appid_key, name, blob)
    if reg.services is not None:
        write_services(reg.clsid, reg.services, construction_string=reg.construction_string, place=reg.place)


def unregister(reg: ServerRegistration) -> int:
    """Remove every key of the registration; returns how many existed (0 the second time: harmless)."""
    return sum(1 for key in reg.keys if registry.delete_tree(reg.place[0], key))


def _place_key(place: tuple[Any, str], *parts: str) -> str:
    return "\\".join(([place[1]] if place[1] else []) + list(parts))


def write_class_identity(
    clsid: Guid,
    name: str,
    *,
    progid: str | None = None,
    version_independent_progid: str | None = None,
    typelib: Guid | None = None,
    typelib_version: tuple[int, int] = (1, 0),
    place: tuple[Any, str] | None = None,
) -> None:
    """Write what names a class besides its server, for a LocalServer32 or an InprocServer32 alike:
    ``CLSID\\{clsid}\\ProgID`` and ``VersionIndependentProgID``, the ProgID keys back to the CLSID (the
    version-independent one with ``CurVer``), and ``CLSID\\{clsid}\\TypeLib`` + ``Version``. The type library
    itself is registered separately (``ole32_servers.typelib.register_type_library``). Idempotent. ``place``:
    :func:`default_place` when None."""
    if place is None:
        place = default_place()
    hive = place[0]
    clsid_key = _place_key(place, "CLSID", str(clsid))
    if progid:
        registry.set_value(hive, clsid_key + "\\ProgID", None, progid)
        registry.set_value(hive, _place_key(place, progid), None, name)
        registry.set_value(hive, _place_key(place, progid, "CLSID"), None, str(clsid))
    if version_independent_progid:
        registry.set_value(hive, clsid_key + "\\VersionIndependentProgID", None, version_independent_progid)
        registry.set_value(hive, _place_key(place, version_independent_progid), None, name)
        registry.set_value(hive, _place_key(place, version_independent_progid, "CLSID"), None, str(clsid))
        if progid:
            registry.set_value(hive, _place_key(place, version_independent_progid, "CurVer"), None, progid)
    if typelib is not None:
        registry.set_value(hive, clsid_key + "\\TypeLib", None, str(typelib))
        registry.set_value(hive, clsid_key + "\\Version", None, f"{typelib_version[0]}.{typelib_version[1]}")


def remove_class_identity(clsid: Guid, place: tuple[Any, str] | None = None) -> int:
    """Remove the ProgID keys that ``CLSID\\{clsid}`` names (``ProgID``, ``VersionIndependentProgID``), but only
    those whose ``CLSID`` still names ``clsid`` (another class's ProgID is left alone); returns how many were
    removed. Call it before the CLSID key itself is deleted (it reads the names from there). ``place``:
    :func:`default_place` when None."""
    if place is None:
        place = default_place()
    hive = place[0]
    clsid_key = _place_key(place, "CLSID", str(clsid))
    removed = 0
    for sub in ("ProgID", "VersionIndependentProgID"):
        name = registry.query_value(hive, clsid_key + "\\" + sub)
        if not isinstance(name, str) or not name:
            continue
        owner = registry.query_value(hive, _place_key(place, name, "CLSID"))
        if isinstance(owner, str) and owner.strip().upper() == str(clsid).upper():
            if registry.delete_tree(hive, _place_key(place, name)):
                removed += 1
    return removed


#: the values ``write_services`` may write under ``CLSID\\{clsid}\\Services`` (declaration.to_registry's names)
_SERVICE_VALUES = (
    "ObjectPooling",
    "MinPoolSize",
    "MaxPoolSize",
    "CreationTimeout",
    "JustInTimeActivation",
    "Synchronization",
    "ConstructionEnabled",
    "ConstructorString",
)


def write_services(
    clsid: Guid, services: ServiceSet, *, construction_string: str | None = None, place: tuple[Any, str] = HKCR
) -> None:
    """Record the services a class declares with its CLSID, under ``CLSID\\{clsid}\\Services`` (one value per
    service, named after the article's attribute: ``services.declaration.to_registry``), replacing any earlier
    record. ``construction_string`` (else the declared default) is what the class object delivers through
    IObjectConstruct; the pool sizes and the string are the administrable part (what the class object reads back,
    :func:`read_services`). Removed with the CLSID key (``unregister``, ``unregister_inproc``)."""
    values = to_registry(services, construction_string)
    key = _place_key(place, "CLSID", str(clsid), "Services")
    registry.delete_tree(place[0], key)
    registry.set_value(place[0], key, None, "COM+ services (ole32_servers.services)")
    for name, value in values.items():
        registry.set_value(place[0], key, name, value)


def read_services(clsid: Guid, place: tuple[Any, str] = HKCR) -> dict[str, int | str]:
    """The values recorded by :func:`write_services` for ``clsid`` (empty when none)."""
    key = _place_key(place, "CLSID", str(clsid), "Services")
    found: dict[str, int | str] = {}
    for name in _SERVICE_VALUES:
        value = registry.query_value(place[0], key, name)
        if value is not None:
            found[name] = value
    return found
