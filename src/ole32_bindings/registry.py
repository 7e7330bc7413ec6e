"""The registry, as much as class and type library registration need: create/set/query/delete keys and values.

Hives are the predefined handles; ``HKEY_CLASSES_ROOT`` is where Wine looks for CLSIDs, and the per-user
``HKEY_CURRENT_USER\\Software\\Classes`` is the usual choice on Windows (pass ``hive`` and ``root``).
"""

from __future__ import annotations

from typing import Any

from .dlls import ffi, function

__all__ = [
    "HKEY_CLASSES_ROOT",
    "HKEY_CURRENT_USER",
    "HKEY_LOCAL_MACHINE",
    "RegistryError",
    "set_value",
    "query_value",
    "delete_tree",
    "key_exists",
]

HKEY_CLASSES_ROOT = ffi.cast("HKEY", 0x80000000)
"""The predefined key HKEY_CLASSES_ROOT (a ``hive`` argument)."""
HKEY_CURRENT_USER = ffi.cast("HKEY", 0x80000001)
"""The predefined key HKEY_CURRENT_USER (a ``hive`` argument)."""
HKEY_LOCAL_MACHINE = ffi.cast("HKEY", 0x80000002)
"""The predefined key HKEY_LOCAL_MACHINE (a ``hive`` argument)."""

_RegCreateKeyExW = function("RegCreateKeyExW")
_RegOpenKeyExW = function("RegOpenKeyExW")
_RegSetValueExW = function("RegSetValueExW")
_RegQueryValueExW = function("RegQueryValueExW")
_RegDeleteTreeW = function("RegDeleteTreeW")
_RegCloseKey = function("RegCloseKey")

KEY_READ = 0x20019
KEY_ALL_ACCESS = 0xF003F
REG_SZ = 1
REG_BINARY = 3
REG_DWORD = 4
ERROR_FILE_NOT_FOUND = 2


class RegistryError(OSError):
    """A registry call failed; ``code`` is its Win32 error (2, ERROR_FILE_NOT_FOUND, for a missing key)."""

    def __init__(self, what: str, code: int) -> None:
        super().__init__(code, f"{what}: Win32 error {code}")
        self.code = code


def _open(hive: Any, path: str, create: bool) -> Any:
    out = ffi.new("HKEY *")
    if create:
        rc = _RegCreateKeyExW(hive, path, 0, ffi.NULL, 0, KEY_ALL_ACCESS, ffi.NULL, out, ffi.NULL)
    else:
        rc = _RegOpenKeyExW(hive, path, 0, KEY_READ, out)
    if rc != 0:
        raise RegistryError(f"open {path!r}", rc)
    return out[0]


def set_value(hive: Any, path: str, name: str | None, value: str | int | bytes) -> None:
    """Create ``path`` if needed and set ``name`` (None: the default value) to a REG_SZ (str), REG_DWORD (int) or
    REG_BINARY (bytes)."""
    key = _open(hive, path, create=True)
    try:
        if isinstance(value, bytes):
            blob = ffi.new("BYTE[]", max(len(value), 1))
            ffi.memmove(blob, value, len(value))
            rc = _RegSetValueExW(key, name if name is not None else ffi.NULL, 0, REG_BINARY, blob, len(value))
        elif isinstance(value, int):
            data = ffi.new("DWORD *", value)
            rc = _RegSetValueExW(key, name if name is not None else ffi.NULL, 0, REG_DWORD, ffi.cast("BYTE *", data), 4)
        else:
            data = ffi.new("wchar_t[]", value)
            rc = _RegSetValueExW(
                key, name if name is not None else ffi.NULL, 0, REG_SZ, ffi.cast("BYTE *", data), 2 * (len(value) + 1)
            )
        if rc != 0:
            raise RegistryError(f"set {path!r} {name!r}", rc)
    finally:
        _RegCloseKey(key)


def query_value(hive: Any, path: str, name: str | None = None) -> str | int | bytes | None:
    """The REG_SZ/REG_DWORD/REG_BINARY value ``name`` of ``path`` (str, int, bytes); None when the key or value is
    absent."""
    try:
        key = _open(hive, path, create=False)
    except RegistryError as e:
        if e.code == ERROR_FILE_NOT_FOUND:
            return None
        raise
    try:
        kind = ffi.new("DWORD *")
        size = ffi.new("DWORD *", 0)
        vname = name if name is not None else ffi.NULL
        rc = _RegQueryValueExW(key, vname, ffi.NULL, kind, ffi.NULL, size)
        if rc == ERROR_FILE_NOT_FOUND:
            return None
        if rc != 0:
            raise RegistryError(f"query {path!r} {name!r}", rc)
        buf = ffi.new("BYTE[]", max(size[0], 4))
        rc = _RegQueryValueExW(key, vname, ffi.NULL, kind, buf, size)
        if rc != 0:
            raise RegistryError(f"query {path!r} {name!r}", rc)
        if kind[0] == REG_DWORD:
            return ffi.cast("DWORD *", buf)[0]
        if kind[0] == REG_BINARY:
            return bytes(ffi.buffer(buf, size[0]))
        return ffi.string(ffi.cast("wchar_t *", buf), size[0] // 2)
    finally:
        _RegCloseKey(key)


def key_exists(hive: Any, path: str) -> bool:
    """Whether ``path`` exists under ``hive`` (opened for reading, then closed); other errors raise."""
    try:
        _RegCloseKey(_open(hive, path, create=False))
        return True
    except RegistryError as e:
        if e.code == ERROR_FILE_NOT_FOUND:
            return False
        raise


def delete_tree(hive: Any, path: str) -> bool:
    """Delete ``path`` and everything under it; False when it was not there (deleting twice is harmless)."""
    rc = _RegDeleteTreeW(hive, path)
    if rc == ERROR_FILE_NOT_FOUND:
        return False
    if rc != 0:
        raise RegistryError(f"delete {path!r}", rc)
    # RegDeleteTreeW deletes the subkeys and values; the key itself goes with RegDeleteKeyW.
    rc = function("RegDeleteKeyW")(hive, path)
    if rc not in (0, ERROR_FILE_NOT_FOUND):
        raise RegistryError(f"delete {path!r}", rc)
    return True
