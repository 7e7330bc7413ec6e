"""Marshal-by-value: a Python class whose state travels in the OBJREF_CUSTOM data and is rebuilt, as a new
independent object, in the receiving apartment or process. No proxy, no stub, no references across.

    class Point(MarshalByValue, implements=[IPersist], by_value_name="demo.Point"):
        def __init__(self, x, y): self.x, self.y = x, y
        def marshal_state(self) -> bytes: return struct.pack("<ii", self.x, self.y)
        @classmethod
        def unmarshal_state(cls, state: bytes) -> "Point": return cls(*struct.unpack("<ii", state))
        def GetClassID(self): ...

    with ByValueUnmarshaler.installed():     # in every process/apartment that receives such objects
        ... CoMarshalInterface / CoUnmarshalInterface: the receiver gets its own Point ...

The marshal side (the object's IMarshal), with COM's rules where the code enforces them:

* GetUnmarshalClass names CLSID_PyMarshalByValue for every destination context and flag (a copy is valid
  anywhere: in-process, another process, another machine).
* GetMarshalSizeMax is exact: the payload's size (ole32_bindings.objref.byvalue), 12 bytes + name + state. The
  payload it measured is kept for the MarshalInterface that follows on the same thread with the same arguments
  (CoMarshalInterface asks for the size first), which writes exactly those bytes: the state is built once per
  marshal, and what is written can never exceed the size announced, even if the object changes in between.
* MarshalInterface refuses an IID the class does not implement (E_NOINTERFACE), writes the payload and leaves the
  stream positioned right after it. It takes no reference on the object: the data owns nothing.
* TABLESTRONG/TABLEWEAK data can therefore be unmarshaled any number of times; NORMAL data once (the runtime's
  rule); ReleaseMarshalData only skips the payload.
* DisconnectObject has nothing to cut (copies are independent) and returns S_OK.

The unmarshal side is ``ByValueUnmarshaler``, the class CLSID_PyMarshalByValue names. Its class object must be
registered in the receiving process (``installed()``); the by-value class must be imported there (it registers
its ``by_value_name`` when defined). UnmarshalInterface reads exactly the payload (the stream ends right after
it), rebuilds the object with ``unmarshal_state`` and returns a new reference to ``riid`` on it (the caller
releases). A malformed payload is RPC_E_INVALID_OBJREF with the field and offset in the description; an unknown
class name is CLASS_E_CLASSNOTAVAILABLE naming it; nothing is created in either case.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator
from threading import get_ident
from typing import Any, ClassVar

from ole32_bindings.constants import CLSCTX, REGCLS
from ole32_bindings.dlls import ffi
from ole32_bindings.guid import Guid
from ole32_bindings.hresult import error_from_hresult
from ole32_bindings.objref import CLSID_PyMarshalByValue, ObjrefError
from ole32_bindings.objref.byvalue import _HEAD, _LEN, MAX_NAME, MAX_STATE, decode_payload, encode_payload
from vtables.client import client_class
from vtables.declare import Interface
from vtables.factory import ClassFactory
from vtables.interfaces import IMarshal, IStream
from vtables.object import ComObject, OwnedReference

__all__ = ["MarshalByValue", "ByValueUnmarshaler", "by_value_class", "CLSID_PyMarshalByValue"]

E_NOINTERFACE = 0x80004002
CLASS_E_CLASSNOTAVAILABLE = 0x80040111
RPC_E_INVALID_OBJREF = 0x8001011D

_StreamPtr = client_class(IStream)
_classes: dict[str, type[MarshalByValue]] = {}
_classes_lock = threading.Lock()


def by_value_class(name: str) -> type[MarshalByValue] | None:
    """The by-value class registered under ``name`` in this process, or None."""
    return _classes.get(name)


def _write(stream: Any, data: bytes) -> None:
    s = _StreamPtr.from_borrowed(stream, direct=False)
    try:
        written = s.Write(data, len(data))
    finally:
        s.release()
    if written != len(data):
        raise error_from_hresult(0x80030070, f"the stream took {written} of {len(data)} bytes")  # STG_E_MEDIUMFULL


def _read_exact(stream: Any, n: int, field: str, offset: int) -> bytes:
    if n == 0:
        return b""
    s = _StreamPtr.from_borrowed(stream, direct=False)
    try:
        buf = ffi.new("char[]", n)
        _, got = s.Read(buf, n)
    finally:
        s.release()
    if got != n:
        raise error_from_hresult(
            RPC_E_INVALID_OBJREF,
            f"by-value payload truncated: {field} at offset {offset} needs {n} bytes, the stream had {got}",
        )
    return ffi.buffer(buf, n)[:]


def _read_payload(stream: Any) -> tuple[str, bytes]:
    """Read one payload from the stream's position, leaving the position right after it. Lengths are checked
    against their limits before anything of that size is read (a hostile length allocates nothing)."""
    head = _read_exact(stream, _HEAD.size, "PYMV.header", 0)
    _, _, name_len = _HEAD.unpack(head)
    if not 1 <= name_len <= MAX_NAME:
        _invalid(decode_payload, head)
    name = _read_exact(stream, name_len, "PYMV.name", _HEAD.size)
    length = _read_exact(stream, _LEN.size, "PYMV.state_len", _HEAD.size + name_len)
    (state_len,) = _LEN.unpack(length)
    if state_len > MAX_STATE:
        _invalid(decode_payload, head + name + length)
    state = _read_exact(stream, state_len, "PYMV.state", _HEAD.size + name_len + _LEN.size)
    try:
        payload, _ = decode_payload(head + name + length + state)
    except ObjrefError as exc:
        raise error_from_hresult(RPC_E_INVALID_OBJREF, f"by-value payload: {exc}") from None
    return payload.name, payload.state


def _invalid(decoder: Any, data: bytes) -> None:
    try:
        decoder(data)
    except ObjrefError as exc:
        raise error_from_hresult(RPC_E_INVALID_OBJREF, f"by-value payload: {exc}") from None
    raise error_from_hresult(RPC_E_INVALID_OBJREF, "by-value payload: invalid")


class MarshalByValue(ComObject, implements=[IMarshal]):
    """Base of marshal-by-value classes. Subclasses give ``implements=[...]`` (IMarshal is added) and an optional
    ``by_value_name=`` (default: ``module.qualname``), and define ``marshal_state`` and ``unmarshal_state``."""

    by_value_name: ClassVar[str]

    def __init_subclass__(
        cls, implements: Iterable[type[Interface]] | None = None, by_value_name: str | None = None, **kwargs: Any
    ) -> None:
        ifaces = list(implements) if implements is not None else [i for i in cls.implements]
        if IMarshal not in ifaces:
            ifaces.append(IMarshal)
        super().__init_subclass__(implements=ifaces, **kwargs)
        name = by_value_name or f"{cls.__module__}.{cls.__qualname__}"
        encode_payload(name, b"")  # validates the name now, not at the first marshal
        cls.by_value_name = name
        with _classes_lock:
            _classes[name] = cls  # a redefinition (reload) replaces the earlier class

    # ---- what a subclass defines -----------------------------------------------------------------------------

    def marshal_state(self) -> bytes:
        """The bytes ``unmarshal_state`` rebuilds this object from (asked once per marshal, by GetMarshalSizeMax;
        also by MarshalInterface when it is called without that size question first)."""
        raise NotImplementedError(f"{type(self).__name__} must define marshal_state()")

    @classmethod
    def unmarshal_state(cls, state: bytes) -> MarshalByValue:
        """A new object from ``marshal_state``'s bytes."""
        raise NotImplementedError(f"{cls.__name__} must define unmarshal_state()")

    # ---- IMarshal, marshal side ------------------------------------------------------------------------------

    def _payload(self, riid: Guid) -> bytes:
        if riid is None or riid.bytes_le not in self._com_qi:
            raise error_from_hresult(E_NOINTERFACE, f"{type(self).__name__} does not implement {riid}")
        return encode_payload(self.by_value_name, bytes(self.marshal_state()))

    def GetUnmarshalClass(self, riid: Guid, pv: Any, dest: int, pvdest: Any, flags: int) -> Guid:
        return CLSID_PyMarshalByValue

    def GetMarshalSizeMax(self, riid: Guid, pv: Any, dest: int, pvdest: Any, flags: int) -> int:
        payload = self._payload(riid)
        self._mbv_sized = (get_ident(), riid, dest, flags, payload)  # for the MarshalInterface that follows
        return len(payload)

    def MarshalInterface(self, stream: Any, riid: Guid, pv: Any, dest: int, pvdest: Any, flags: int) -> None:
        if stream is None:
            raise error_from_hresult(0x80004003, "MarshalInterface: pStm is NULL")  # E_POINTER
        sized = self.__dict__.pop("_mbv_sized", None)
        if sized is not None and sized[:4] == (get_ident(), riid, dest, flags):
            payload = sized[4]  # what GetMarshalSizeMax measured, byte for byte
        else:
            payload = self._payload(riid)
        _write(stream, payload)

    def UnmarshalInterface(self, stream: Any, riid: Guid) -> OwnedReference:
        return ByValueUnmarshaler.UnmarshalInterface(self, stream, riid)  # type: ignore[arg-type]

    def ReleaseMarshalData(self, stream: Any) -> None:
        _read_payload(stream)

    def DisconnectObject(self, reserved: int) -> None:
        return None


class ByValueUnmarshaler(ComObject, implements=[IMarshal]):
    """The unmarshal class of marshal-by-value data (CLSID_PyMarshalByValue); register it with ``installed()``."""

    def UnmarshalInterface(self, stream: Any, riid: Guid) -> OwnedReference:
        if stream is None:
            raise error_from_hresult(0x80004003, "UnmarshalInterface: pStm is NULL")
        name, state = _read_payload(stream)
        cls = _classes.get(name)
        if cls is None:
            raise error_from_hresult(
                CLASS_E_CLASSNOTAVAILABLE, f"no marshal-by-value class named {name!r} in this process (import it)"
            )
        obj = cls.unmarshal_state(state)
        return OwnedReference(obj.query_raw(riid))  # E_NOINTERFACE if the copy lacks riid; the copy then dies

    def ReleaseMarshalData(self, stream: Any) -> None:
        _read_payload(stream)

    def DisconnectObject(self, reserved: int) -> None:
        return None

    def GetUnmarshalClass(self, riid: Guid, pv: Any, dest: int, pvdest: Any, flags: int) -> Guid:
        raise error_from_hresult(0x80004001, "the unmarshaler is not itself marshaled")  # E_NOTIMPL

    def GetMarshalSizeMax(self, riid: Guid, pv: Any, dest: int, pvdest: Any, flags: int) -> int:
        raise error_from_hresult(0x80004001, "the unmarshaler is not itself marshaled")

    def MarshalInterface(self, stream: Any, riid: Guid, pv: Any, dest: int, pvdest: Any, flags: int) -> None:
        raise error_from_hresult(0x80004001, "the unmarshaler is not itself marshaled")

    @classmethod
    @contextlib.contextmanager
    def installed(cls) -> Iterator[None]:
        """Register the unmarshaler's class object from the calling thread for the block (CLSCTX_INPROC_SERVER,
        REGCLS_MULTIPLEUSE), revoked on exit. Register from the apartment that will unmarshal: Wine 8 looks up
        registered class objects per apartment (an MTA registration serves the MTA's threads, not an STA). For
        every apartment of every process, use ``registered()``."""
        from ole32_servers.classobjects import ClassObjects

        with ClassObjects() as objs:
            objs.register(CLSID_PyMarshalByValue, ClassFactory(cls), CLSCTX.INPROC_SERVER, REGCLS.MULTIPLEUSE)
            yield

    @classmethod
    @contextlib.contextmanager
    def registered(cls, place: Any = None) -> Iterator[None]:
        """Register the unmarshaler as an InprocServer32 (ole32_servers.inproc's host DLL) for the block: every
        apartment, and every process that can import the by-value classes, then finds it. ``place``:
        ole32_servers.registration.HKCU_CLASSES or HKCR; None: ``registration.default_place()``."""
        with registered_everywhere(CLSID_PyMarshalByValue, "ole32_marshalling.byvalue:ByValueUnmarshaler", place):
            yield


def registered_everywhere(clsid: Guid, python_class: str, place: Any = None) -> Any:
    """An unmarshal class of this package as an InprocServer32 for a ``with`` block (ole32_servers.inproc), with the
    directory holding this package on the host's sys.path. ``place``: ole32_servers.registration.HKCU_CLASSES or
    HKCR; None: ``registration.default_place()``."""
    import os

    import ole32_marshalling
    from ole32_servers.inproc import registered_inproc

    src = os.path.dirname(os.path.dirname(os.path.abspath(ole32_marshalling.__file__)))
    return registered_inproc(
        clsid,
        python_class,
        python_path=[src],
        place=place,
        description=f"ole32-bindings unmarshaler ({python_class})",
    )
