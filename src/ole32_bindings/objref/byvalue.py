"""The payload of this project's marshal-by-value objects: what ``ole32_marshalling.byvalue`` writes after the
OBJREF_CUSTOM header whose clsid is CLSID_PyMarshalByValue. Pure Python, no runtime.

Layout (little-endian)::

    offset  size  field
    0       4     magic      b"PYMV"
    4       2     version    1
    6       2     name_len   length of the class name in bytes (1..1024)
    8       n     name       UTF-8: the name the class registered under (``by_value_name``)
    8+n     4     state_len  length of the state (0..2**24)
    12+n    m     state      the class's own bytes (``marshal_state()``), opaque here

So a payload is exactly ``12 + len(name) + len(state)`` bytes: what GetMarshalSizeMax reports.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .codec import ObjrefError

__all__ = ["ByValuePayload", "encode_payload", "decode_payload", "MAGIC", "VERSION", "MAX_NAME", "MAX_STATE"]

MAGIC = b"PYMV"
"""The first 4 bytes of a payload."""
VERSION = 1
"""The only payload version written and read."""
MAX_NAME = 1024
"""The longest class name, in UTF-8 bytes."""
MAX_STATE = 1 << 24
"""The largest state, in bytes (decoding refuses more before reading it)."""
_HEAD = struct.Struct("<4sHH")
_LEN = struct.Struct("<I")


@dataclass(frozen=True)
class ByValuePayload:
    """A decoded payload: the ``name`` the class registered under and its opaque ``state``."""

    name: str
    state: bytes

    @property
    def size(self) -> int:
        """The encoded length, ``12 + len(name) + len(state)`` (name in UTF-8 bytes)."""
        return _HEAD.size + len(self.name.encode("utf-8")) + _LEN.size + len(self.state)


def encode_payload(name: str, state: bytes) -> bytes:
    """The payload bytes for ``name`` and ``state`` (the layout above); ValueError when the name is not 1..MAX_NAME
    UTF-8 bytes or the state is longer than MAX_STATE."""
    raw = name.encode("utf-8")
    if not 1 <= len(raw) <= MAX_NAME:
        raise ValueError(f"a by-value class name is 1..{MAX_NAME} UTF-8 bytes, got {len(raw)}")
    if len(state) > MAX_STATE:
        raise ValueError(f"by-value state is at most {MAX_STATE} bytes, got {len(state)}")
    return _HEAD.pack(MAGIC, VERSION, len(raw)) + raw + _LEN.pack(len(state)) + bytes(state)


def decode_payload(data: bytes, base: int = 0) -> tuple[ByValuePayload, int]:
    """(payload, bytes consumed) from the start of ``data``; ``ObjrefError`` naming the field and the offset
    (``base`` + offset in data) for anything malformed. Trailing bytes are the caller's business."""
    data = bytes(data)
    if len(data) < _HEAD.size:
        raise ObjrefError(f"needs {_HEAD.size} bytes, only {len(data)} left", offset=base, field="PYMV.header")
    magic, version, name_len = _HEAD.unpack_from(data)
    if magic != MAGIC:
        raise ObjrefError(f"magic is {magic!r}, not {MAGIC!r}", offset=base, field="PYMV.magic")
    if version != VERSION:
        raise ObjrefError(f"version {version} is not supported (only {VERSION})", offset=base + 4, field="PYMV.version")
    if not 1 <= name_len <= MAX_NAME:
        raise ObjrefError(f"name_len {name_len} is outside 1..{MAX_NAME}", offset=base + 6, field="PYMV.name_len")
    pos = _HEAD.size
    if len(data) < pos + name_len:
        raise ObjrefError(f"needs {name_len} bytes, only {len(data) - pos} left", offset=base + pos, field="PYMV.name")
    try:
        name = data[pos : pos + name_len].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ObjrefError(f"not UTF-8 ({exc.reason})", offset=base + pos, field="PYMV.name") from None
    pos += name_len
    if len(data) < pos + _LEN.size:
        raise ObjrefError(f"needs 4 bytes, only {len(data) - pos} left", offset=base + pos, field="PYMV.state_len")
    (state_len,) = _LEN.unpack_from(data, pos)
    if state_len > MAX_STATE:
        raise ObjrefError(f"state_len {state_len} exceeds {MAX_STATE}", offset=base + pos, field="PYMV.state_len")
    pos += _LEN.size
    if len(data) < pos + state_len:
        raise ObjrefError(
            f"needs {state_len} bytes, only {len(data) - pos} left", offset=base + pos, field="PYMV.state"
        )
    return ByValuePayload(name, data[pos : pos + state_len]), pos + state_len
