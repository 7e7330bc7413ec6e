"""Text forms of marshaled data: hex dumps, base64, and the OBJREF moniker's ``OBJREF:<base64>:`` display name."""

from __future__ import annotations

import base64
import binascii
import re

from .codec import InterfacePointer, Objref, ObjrefError, encode

__all__ = ["parse_input", "to_moniker_text", "MONIKER_PREFIX"]

MONIKER_PREFIX = "OBJREF:"
"""The start of the OBJREF moniker's display name ``OBJREF:<base64>:`` (``parse_input`` ignores its case)."""
_MAX_TEXT = 64 * 1024 * 1024  # refuse absurd inputs up front rather than decode them
_HEX_NOISE = re.compile(r"0[xX]|\\x|[\s,;:\-]")
_HEX_ONLY = re.compile(r"[0-9A-Fa-f]*")
_B64_ONLY = re.compile(r"[A-Za-z0-9+/_\-]*={0,2}")


def _b64(text: str, offset: int, name: str) -> bytes:
    body = re.sub(r"\s+", "", text)
    if not _B64_ONLY.fullmatch(body):
        bad = [i for i, ch in enumerate(body) if not (ch.isascii() and (ch.isalnum() or ch in "+/_-="))]
        if bad:
            raise ObjrefError(f"character {body[bad[0]]!r} is not base64", offset=offset + bad[0], field=name)
        raise ObjrefError("'=' padding inside base64 text", offset=offset + body.index("="), field=name)
    body = body.rstrip("=").replace("-", "+").replace("_", "/")
    if len(body) % 4 == 1:
        raise ObjrefError("base64 text has an impossible length", offset=offset, field=name)
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ObjrefError(f"bad base64 ({exc})", offset=offset, field=name) from None


def parse_input(text: str | bytes) -> bytes:
    """The bytes written in ``text``: ``OBJREF:<base64>:`` (the OBJREF moniker's display name), hex (spaces,
    ``0x``, ``\\x``, commas, colons and dashes ignored, so ``xxd``-style pairs and C arrays work), or base64.
    Text made only of hex digits is read as hex. Raises :class:`ObjrefError` (field ``input``) otherwise."""
    if isinstance(text, (bytes, bytearray, memoryview)):
        try:
            text = bytes(text).decode("ascii")
        except UnicodeDecodeError as exc:
            raise ObjrefError("input is not ASCII text", offset=exc.start, field="input") from None
    if not isinstance(text, str):
        raise ObjrefError(f"expected str, got {type(text).__name__}", offset=0, field="input")
    if len(text) > _MAX_TEXT:
        raise ObjrefError(f"input longer than {_MAX_TEXT} characters", offset=_MAX_TEXT, field="input")
    stripped = text.strip()
    lead = len(text) - len(text.lstrip())
    if stripped[: len(MONIKER_PREFIX)].upper() == MONIKER_PREFIX:
        if not stripped.endswith(":") or len(stripped) < len(MONIKER_PREFIX) + 1:
            raise ObjrefError(
                "OBJREF moniker text must end with ':'", offset=lead + len(stripped), field="input.moniker"
            )
        return _b64(stripped[len(MONIKER_PREFIX) : -1], lead + len(MONIKER_PREFIX), "input.moniker")
    if not stripped:
        raise ObjrefError("no data", offset=0, field="input")
    digits = _HEX_NOISE.sub("", stripped)
    if _HEX_ONLY.fullmatch(digits) and digits:
        if len(digits) % 2:
            raise ObjrefError(f"odd number of hex digits ({len(digits)})", offset=lead, field="input.hex")
        return bytes.fromhex(digits)
    return _b64(stripped, lead, "input.base64")


def to_moniker_text(obj: Objref | InterfacePointer | bytes) -> str:
    """``OBJREF:<base64>:``, the display-name form of an OBJREF moniker, for an OBJREF (or raw bytes)."""
    data = obj if isinstance(obj, bytes) else encode(obj)
    return MONIKER_PREFIX + base64.b64encode(data).decode("ascii") + ":"
