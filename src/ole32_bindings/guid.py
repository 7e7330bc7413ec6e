"""GUIDs as an immutable, hashable value type.

Parsing and formatting happen in Python (no call into ole32). The canonical text form is the registry form,
``{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`` in upper case, which is what ``StringFromGUID2`` writes. The wire form
is the 16 little-endian bytes of the C ``GUID`` struct (``Data1``..``Data3`` little-endian, ``Data4`` as is), so a
``Guid`` converts to a cffi ``GUID`` by a single memory copy, and the cdata made once is cached on the value so
the hot path passes a ready pointer.
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Callable
from typing import Any

__all__ = ["Guid", "GUID_NULL"]

_GUID_RE = re.compile(r"^\{?([0-9A-Fa-f]{8})-([0-9A-Fa-f]{4})-([0-9A-Fa-f]{4})-([0-9A-Fa-f]{4})-([0-9A-Fa-f]{12})\}?$")
_FIELDS = struct.Struct("<IHH8s")


class Guid:
    """A 128-bit GUID (also used for IIDs and CLSIDs).

    ``Guid("{00000000-0000-0000-C000-000000000046}")`` parses the registry form (braces optional, any case);
    ``Guid.from_bytes_le(b)`` takes the 16 bytes of a C ``GUID``; ``bytes_le`` gives them back. Equality and
    hashing use those bytes. Malformed text raises ``ValueError`` naming the input.
    """

    __slots__ = ("bytes_le", "_text", "_cdata")

    bytes_le: bytes
    _text: str  # the caches, filled on first use
    _cdata: Any

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"Guid() takes a str like '{{...}}', not {type(text).__name__}")
        m = _GUID_RE.match(text.strip())
        if m is None or (text.strip().startswith("{") != text.strip().endswith("}")):
            raise ValueError(f"malformed GUID string {text!r}: expected {{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}}")
        a, b, c, d, e = m.groups()
        object.__setattr__(self, "bytes_le", _FIELDS.pack(int(a, 16), int(b, 16), int(c, 16), bytes.fromhex(d + e)))

    @classmethod
    def from_bytes_le(cls, data: bytes) -> Guid:
        """The GUID whose C struct bytes are ``data`` (exactly 16)."""
        if type(data) is not bytes:
            data = bytes(data)
        if len(data) != 16:
            raise ValueError(f"a GUID is 16 bytes, got {len(data)}")
        self = _new_object(cls)
        _set_bytes(self, data)
        return self

    @classmethod
    def from_fields(cls, data1: int, data2: int, data3: int, data4: bytes) -> Guid:
        """The GUID with the C struct's fields: ``Data1`` (u32), ``Data2``, ``Data3`` (u16), ``Data4`` (8 bytes)."""
        return cls.from_bytes_le(_FIELDS.pack(data1, data2, data3, bytes(data4)))

    @classmethod
    def new(cls) -> Guid:
        """A fresh random (version 4) GUID, made in Python (CoCreateGuid does the same thing)."""
        raw = bytearray(os.urandom(16))
        raw[7] = (raw[7] & 0x0F) | 0x40  # version 4 lives in the high nibble of Data3 (little-endian byte 7)
        raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
        return cls.from_bytes_le(bytes(raw))

    @property
    def fields(self) -> tuple[int, int, int, bytes]:
        """``(Data1, Data2, Data3, Data4)``, as :meth:`from_fields` takes them."""
        return _FIELDS.unpack(self.bytes_le)

    def __str__(self) -> str:
        try:
            return self._text
        except AttributeError:  # the caches (_text, _cdata) are filled on first use
            d1, d2, d3, d4 = _FIELDS.unpack(self.bytes_le)
            h = d4.hex().upper()
            text = f"{{{d1:08X}-{d2:04X}-{d3:04X}-{h[:4]}-{h[4:]}}}"
            object.__setattr__(self, "_text", text)
            return text

    def __repr__(self) -> str:
        return f"Guid('{self}')"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Guid):
            return self.bytes_le == other.bytes_le
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.bytes_le)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Guid is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Guid, (str(self),))

    def cdata(self, ffi: Any) -> Any:
        """A ``GUID *`` owned by this value (made once, then reused: pass it straight to native code).

        Native code must not keep the pointer beyond the ``Guid``'s lifetime; well-known GUIDs live forever.
        """
        try:
            return self._cdata
        except AttributeError:
            c = ffi.new("GUID *")
            ffi.memmove(c, self.bytes_le, 16)
            object.__setattr__(self, "_cdata", c)
            return c


def guid_from_16_bytes(data: bytes) -> Guid:
    """A Guid from exactly 16 ``bytes`` the caller guarantees (no checks): for values read back from native
    memory on the hot path. Everyone else uses ``Guid.from_bytes_le``."""
    self = _new_object(Guid)
    _set_bytes(self, data)
    return self


# Slot setters used directly: Guid refuses __setattr__, and these are the cheapest way to fill a new value
# (from_bytes_le runs for every GUID a COM call returns).
_new_object = object.__new__
_set_bytes: Callable[[Guid, bytes], None] = Guid.__dict__["bytes_le"].__set__  # the slot's member descriptor

GUID_NULL = Guid("{00000000-0000-0000-0000-000000000000}")
"""The all-zero GUID (GUID_NULL; IID_NULL and CLSID_NULL are the same value)."""
