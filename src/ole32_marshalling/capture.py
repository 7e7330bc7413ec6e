"""Live capture: marshal an interface pointer in a chosen destination context and flags, and decode what the
marshaler wrote (standard marshaler, free-threaded marshaler, or an object's own IMarshal), side by side.

    cap = capture(ptr.as_raw(), IStream.iid, MSHCTX.LOCAL, MSHLFLAGS.NORMAL)
    print(cap.objref.FORM, len(cap.data)); print(render_text(cap.objref))

The marshal data is released again before ``capture`` returns (CoReleaseMarshalData from the start of the
stream), so capturing leaves no reference behind, whatever the flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ole32_bindings import marshaling, objref, streams
from ole32_bindings.constants import MSHCTX, MSHLFLAGS
from ole32_bindings.guid import Guid
from ole32_bindings.pointers import release

__all__ = ["Capture", "capture"]


@dataclass
class Capture:
    """What :func:`capture` saw: the ``iid``, destination context and flags it marshaled with, GetMarshalSizeMax's
    answer (``size_max``), the bytes written (``data``) and their decoding (``objref``: an OBJREF or an
    MInterfacePointer, from ``ole32_bindings.objref``)."""

    iid: Guid
    dest: MSHCTX
    flags: MSHLFLAGS
    size_max: int
    data: bytes
    objref: Any  # the decoded OBJREF (ole32_bindings.objref)


def capture(unk: Any, iid: Guid, dest: int = MSHCTX.LOCAL, flags: int = MSHLFLAGS.NORMAL) -> Capture:
    """Marshal ``unk`` (borrowed) as ``iid`` and decode the bytes. The object's marshaler decides the form:
    OBJREF_STANDARD for the standard marshaler, OBJREF_CUSTOM for the FTM or a custom IMarshal."""
    size_max = marshaling.get_marshal_size_max(iid, unk, dest, flags)
    stream = streams.create_stream_on_hglobal()
    try:
        marshaling.marshal_interface(stream, iid, unk, dest, flags)
        data = streams.stream_bytes(stream, streams.seek(stream, 0, 1))  # as much as was written
        streams.seek(stream, 0)
        marshaling.release_marshal_data(stream)  # give back the references the data held
    finally:
        release(stream)
    return Capture(iid, MSHCTX(dest), MSHLFLAGS(flags), size_max, data, objref.decode_any(data))
