"""Marshaling interface pointers: into streams and out again, between threads, and the standard and
free-threaded marshalers.

Who owns what: ``marshal_interface`` writes an OBJREF that holds references on the object until it is
unmarshaled (NORMAL) or released with ``release_marshal_data`` (table marshaling: only the latter);
``unmarshal_interface`` returns a new reference (caller releases); the stream's seek position moves past the data.
"""

from __future__ import annotations

from typing import Any

from ._util import NULL, guid_ptr, require
from .constants import MSHCTX, MSHLFLAGS
from .dlls import ffi, function
from .guid import Guid
from .hresult import PointerError, check

__all__ = [
    "marshal_interface",
    "unmarshal_interface",
    "release_marshal_data",
    "get_marshal_size_max",
    "get_standard_marshal",
    "get_std_marshal_ex",
    "create_free_threaded_marshaler",
    "marshal_inter_thread_interface_in_stream",
    "get_interface_and_release_stream",
    "disconnect_object",
    "lock_object_external",
]

_CoMarshalInterface = function("CoMarshalInterface")
_CoUnmarshalInterface = function("CoUnmarshalInterface")
_CoReleaseMarshalData = function("CoReleaseMarshalData")
_CoGetMarshalSizeMax = function("CoGetMarshalSizeMax")
_CoGetStandardMarshal = function("CoGetStandardMarshal")
_CoGetStdMarshalEx = function("CoGetStdMarshalEx")
_CoCreateFreeThreadedMarshaler = function("CoCreateFreeThreadedMarshaler")
_CoMarshalInterThreadInterfaceInStream = function("CoMarshalInterThreadInterfaceInStream")
_CoGetInterfaceAndReleaseStream = function("CoGetInterfaceAndReleaseStream")
_CoDisconnectObject = function("CoDisconnectObject")
_CoLockObjectExternal = function("CoLockObjectExternal")


def marshal_interface(
    stream: Any, iid: Guid, unk: Any, dest: int = MSHCTX.INPROC, flags: int = MSHLFLAGS.NORMAL
) -> None:
    """CoMarshalInterface: write an OBJREF for ``unk`` as ``iid`` at the stream's position."""
    require(stream, "pStm", "CoMarshalInterface")
    require(unk, "pUnk", "CoMarshalInterface")
    check(_CoMarshalInterface(stream, guid_ptr(iid), unk, dest, NULL, flags))


def unmarshal_interface(stream: Any, iid: Guid) -> Any:
    """CoUnmarshalInterface: read an OBJREF at the stream's position; a new reference (caller releases). A success
    that hands back no pointer (hostile data: Wine 8 lets an unmarshaler's S_OK with a NULL pointer through) is
    E_POINTER, never a NULL returned as a reference."""
    require(stream, "pStm", "CoUnmarshalInterface")
    out = ffi.new("void **")
    hr = check(_CoUnmarshalInterface(stream, guid_ptr(iid), out))
    if out[0] == NULL:
        raise PointerError(
            description=f"CoUnmarshalInterface returned 0x{hr & 0xFFFFFFFF:08X} but no interface pointer",
            source="CoUnmarshalInterface",
        )
    return out[0]


def release_marshal_data(stream: Any) -> None:
    """CoReleaseMarshalData: destroy the OBJREF at the stream's position and the references it held."""
    check(_CoReleaseMarshalData(require(stream, "pStm", "CoReleaseMarshalData")))


def get_marshal_size_max(iid: Guid, unk: Any, dest: int = MSHCTX.INPROC, flags: int = MSHLFLAGS.NORMAL) -> int:
    """CoGetMarshalSizeMax: an upper bound of the OBJREF's size in bytes."""
    require(unk, "pUnk", "CoGetMarshalSizeMax")
    out = ffi.new("ULONG *")
    check(_CoGetMarshalSizeMax(out, guid_ptr(iid), unk, dest, NULL, flags))
    return out[0]


def get_standard_marshal(iid: Guid, unk: Any, dest: int = MSHCTX.INPROC, flags: int = MSHLFLAGS.NORMAL) -> Any:
    """CoGetStandardMarshal: a new reference to an IMarshal of the standard marshaler for ``unk``."""
    require(unk, "pUnk", "CoGetStandardMarshal")
    out = ffi.new("void **")
    check(_CoGetStandardMarshal(guid_ptr(iid), unk, dest, NULL, flags, out))
    return out[0]


def get_std_marshal_ex(outer: Any, smexflags: int) -> Any:
    """CoGetStdMarshalEx: the standard marshaler aggregated by ``outer`` (its non-delegating IUnknown)."""
    require(outer, "pUnkOuter", "CoGetStdMarshalEx")
    out = ffi.new("void **")
    check(_CoGetStdMarshalEx(outer, smexflags, out))
    return out[0]


def create_free_threaded_marshaler(outer: Any) -> Any:
    """CoCreateFreeThreadedMarshaler: the FTM aggregated by ``outer``; returns its non-delegating IUnknown
    (a new reference the outer keeps and releases when it dies)."""
    out = ffi.new("void **")
    check(_CoCreateFreeThreadedMarshaler(outer, out))
    return out[0]


def marshal_inter_thread_interface_in_stream(iid: Guid, unk: Any) -> Any:
    """CoMarshalInterThreadInterfaceInStream: a new stream holding ``unk`` marshaled for another apartment."""
    require(unk, "pUnk", "CoMarshalInterThreadInterfaceInStream")
    out = ffi.new("void **")
    check(_CoMarshalInterThreadInterfaceInStream(guid_ptr(iid), unk, out))
    return out[0]


def get_interface_and_release_stream(stream: Any, iid: Guid) -> Any:
    """CoGetInterfaceAndReleaseStream: unmarshal in this apartment and release the stream, which is consumed
    even on failure. Returns a new reference (caller releases)."""
    require(stream, "pStm", "CoGetInterfaceAndReleaseStream")
    out = ffi.new("void **")
    check(_CoGetInterfaceAndReleaseStream(stream, guid_ptr(iid), out))
    return out[0]


def disconnect_object(unk: Any) -> None:
    """CoDisconnectObject: cut every remote connection to ``unk`` (proxies then get RPC_E_DISCONNECTED)."""
    check(_CoDisconnectObject(require(unk, "pUnk", "CoDisconnectObject"), 0))


def lock_object_external(unk: Any, lock: bool, last_unlock_releases: bool = True) -> None:
    """CoLockObjectExternal: hold (or drop) an external strong lock on ``unk``'s stub."""
    check(_CoLockObjectExternal(require(unk, "pUnk", "CoLockObjectExternal"), int(lock), int(last_unlock_releases)))
