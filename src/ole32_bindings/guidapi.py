"""ole32's own GUID functions. ``Guid`` parses and formats without them; these exist to cross-check and for
code that wants the runtime's answer."""

from __future__ import annotations

from ._util import guid_from_cdata, guid_ptr
from .dlls import ffi, function
from .guid import Guid
from .hresult import check

__all__ = ["co_create_guid", "string_from_guid2", "clsid_from_string", "iid_from_string"]

_CoCreateGuid = function("CoCreateGuid")
_StringFromGUID2 = function("StringFromGUID2")
_CLSIDFromString = function("CLSIDFromString")
_IIDFromString = function("IIDFromString")


def co_create_guid() -> Guid:
    """CoCreateGuid: a new random GUID from the runtime (``Guid.new()`` makes the same kind without it)."""
    out = ffi.new("GUID *")
    check(_CoCreateGuid(out))
    return guid_from_cdata(out)


def string_from_guid2(g: Guid) -> str:
    """StringFromGUID2: the registry form ``{XXXXXXXX-...}`` as the runtime writes it (``str(g)`` is the same)."""
    buf = ffi.new("wchar_t[]", 40)
    n = _StringFromGUID2(guid_ptr(g), buf, 40)
    if n == 0:
        raise ValueError("StringFromGUID2: buffer too small")
    return ffi.string(buf)


def clsid_from_string(text: str) -> Guid:
    """CLSIDFromString: the registry form, or a ProgID looked up in the registry."""
    out = ffi.new("CLSID *")
    check(_CLSIDFromString(text, out))
    return guid_from_cdata(out)


def iid_from_string(text: str) -> Guid:
    """IIDFromString: the registry form only (no ProgID lookup)."""
    out = ffi.new("IID *")
    check(_IIDFromString(text, out))
    return guid_from_cdata(out)
