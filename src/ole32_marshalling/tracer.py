"""The IMarshal tracer: every IMarshal call the runtime makes around an object, logged, then forwarded to the
marshaler that would otherwise have done the work (the object's own IMarshal, e.g. the FTM, or the standard
marshaler).

    trace = MarshalTrace()
    with TracingUnmarshaler.installed(trace):           # the unmarshal side, registered in this process
        traced = MarshalTracer.wrap(ptr.as_raw(), trace)  # a new reference to the wrapper (release it)
        ... CoMarshalInterface(stream, iid, traced, ...) / CoUnmarshalInterface / CoReleaseMarshalData ...
    for event in trace.events: print(event)

How it works, with COM's rules where the code relies on them:

* ``MarshalTracer`` answers QueryInterface(IMarshal) itself and hands every other IID to the wrapped object
  (blind forwarding: the wrapper holds one reference on it, released when the wrapper dies). CoMarshalInterface
  asks the wrapper for IMarshal, so the runtime's marshal-side calls reach us: GetUnmarshalClass,
  GetMarshalSizeMax, MarshalInterface, DisconnectObject. Each is forwarded to the wrapped object's own IMarshal
  if it has one, else to its standard marshaler (CoGetStandardMarshal), and MarshalInterface records the bytes
  that marshaler wrote (the stream position ends where it left it, as COM requires).
* ``OwnedMarshalTracer`` is the same marshal side aggregated by one of our objects (``TraceSession.hook``, the
  object model's ``marshal_hook``): the object itself answers IMarshal with it, so it is traced wherever the
  runtime marshals it, with its identity unchanged.
* GetUnmarshalClass names ``CLSID_TracingUnmarshaler`` (for the standard marshaler's data only: another
  marshaler's data is named by its own class), so the OBJREF is OBJREF_CUSTOM around the standard marshaler's
  data, and the receiving side creates a ``TracingUnmarshaler`` (its class object must be registered
  in that process: ``installed()``), which records UnmarshalInterface and ReleaseMarshalData and forwards them
  to a standard marshaler instance (CoCreateInstance(CLSID_StdMarshal)) reading the same bytes.
* Each event has the method, its arguments, the thread and apartment it ran in, and the bytes written or read.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ole32_bindings import activation, apartments, marshaling, win32
from ole32_bindings.constants import CLSCTX, MSHCTX, MSHLFLAGS
from ole32_bindings.dlls import ffi
from ole32_bindings.guid import Guid
from ole32_bindings.hresult import error_from_hresult
from ole32_bindings.wellknown import CLSID_StdMarshal
from vtables.client import client_class
from vtables.factory import ClassFactory
from vtables.interfaces import IMarshal, IStream, IUnknown
from vtables.object import ComObject, OwnedReference

__all__ = [
    "MarshalTrace",
    "TraceEvent",
    "MarshalTracer",
    "OwnedMarshalTracer",
    "TraceSession",
    "TracingUnmarshaler",
    "CLSID_TracingUnmarshaler",
]

CLSID_TracingUnmarshaler = Guid("{5E1C7A3B-9D2F-4B6E-8C1A-0F2E3D4C5B61}")
"""The unmarshal class the tracer names for the standard marshaler's data: the receiving process creates a
``TracingUnmarshaler`` for it (its class object must be registered there: ``TracingUnmarshaler.installed()``)."""

StreamPtr = client_class(IStream)
MarshalPtr = client_class(IMarshal)


@dataclass
class TraceEvent:
    """One recorded IMarshal call: the ``method`` name, its ``args``, the Win32 id of the ``thread`` and the
    ``apartment`` type it ran in (``"none"`` outside COM), the marshal ``data`` written or read (empty when none),
    and when it was recorded (``at``, ``time.perf_counter()``)."""

    method: str
    args: dict[str, Any]
    thread: int
    apartment: str
    data: bytes = b""
    hresult: int = 0
    at: float = field(default_factory=time.perf_counter)

    def __str__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.args.items())
        extra = f" wrote/read {len(self.data)} bytes" if self.data else ""
        return f"[thread {self.thread} {self.apartment}] IMarshal::{self.method}({args}){extra}"


class MarshalTrace:
    """The record of IMarshal calls (thread-safe). ``on_event`` (optional) is called with each event as it is
    recorded, on the thread that made the call (keep it quick: the runtime is waiting)."""

    def __init__(self, on_event: Callable[[TraceEvent], None] | None = None) -> None:
        self.events: list[TraceEvent] = []
        self.on_event = on_event
        self._guard = threading.Lock()

    def add(self, method: str, data: bytes = b"", **args: Any) -> TraceEvent:
        try:
            apt = apartments.get_apartment_type()[0].name
        except Exception:
            apt = "none"
        event = TraceEvent(method, args, win32.current_thread_id(), apt, data)
        with self._guard:
            self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)
        return event

    def methods(self) -> list[str]:
        return [e.method for e in self.events]


def _stream_position(stream: Any) -> int:
    pos = ffi.new("ULARGE_INTEGER *")
    s = StreamPtr.from_borrowed(stream, direct=False)
    try:
        s.Seek(ffi.new("LARGE_INTEGER *")[0], 1, pos)  # STREAM_SEEK_CUR: where we are
    finally:
        s.release()
    return int(pos.QuadPart)


#: the most marshal data a trace reads back (OBJREFs are a few hundred bytes; by-value payloads are capped lower)
_READ_BACK_MAX = 1 << 24


def _read_back(stream: Any, start: int, end: int) -> bytes:
    """The bytes between ``start`` and ``end`` of ``stream``; the position is left at ``end``. Positions are the
    stream's word: a span no marshal data has, or a start no Seek can reach, is RPC_E_INVALID_OBJREF before
    anything is allocated; a Read claiming more than it was asked for is held to what was asked."""
    if end <= start:
        return b""
    size = end - start
    if size > _READ_BACK_MAX or start >= 1 << 63:
        raise error_from_hresult(
            0x8001011D, f"the stream says the marshal data spans {start}..{end}: not marshal data a trace keeps"
        )
    s = StreamPtr.from_borrowed(stream, direct=False)
    try:
        li = ffi.new("LARGE_INTEGER *")
        li.QuadPart = start
        s.Seek(li[0], 0, ffi.NULL)
        buf = ffi.new("char[]", size)
        _, n = s.Read(buf, size)
        return ffi.buffer(buf, min(n, size))[:]
    finally:
        s.release()


class _TracingMarshal(ComObject, implements=[IMarshal]):
    """The marshal side of a tracer: each IMarshal call recorded, then forwarded to the real marshaler
    (``_real``). ``trace`` is read at every call; None records nothing (the call is still forwarded)."""

    trace: MarshalTrace | None

    def _real(self, riid: Guid, dest: int, flags: int) -> Any:
        """A new reference to the IMarshal that does the work (a MarshalPtr, released by the caller)."""
        raise NotImplementedError

    def _names_real_class(self, dest: int) -> bool:
        """Whether GetUnmarshalClass names the real marshaler's class (the receiver then needs nothing of ours,
        and only the marshal side is recorded) rather than CLSID_TracingUnmarshaler."""
        raise NotImplementedError

    def _record(self, method: str, data: bytes = b"", **args: Any) -> None:
        trace = self.trace
        if trace is not None:
            trace.add(method, data, **args)

    def GetUnmarshalClass(self, riid: Guid, pv: Any, dest: int, pvdest: Any, flags: int) -> Guid:
        clsid = CLSID_TracingUnmarshaler
        if self._names_real_class(dest):
            with self._real(riid, dest, flags) as real:
                clsid = real.GetUnmarshalClass(riid, pv, dest, pvdest, flags)
        self._record(
            "GetUnmarshalClass", riid=riid, dest=MSHCTX(dest).name, flags=MSHLFLAGS(flags).name or "0", clsid=clsid
        )
        return clsid

    def GetMarshalSizeMax(self, riid: Guid, pv: Any, dest: int, pvdest: Any, flags: int) -> int:
        with self._real(riid, dest, flags) as real:
            size = real.GetMarshalSizeMax(riid, pv, dest, pvdest, flags)
        self._record("GetMarshalSizeMax", riid=riid, dest=MSHCTX(dest).name, size=size)
        return size

    def MarshalInterface(self, stream: Any, riid: Guid, pv: Any, dest: int, pvdest: Any, flags: int) -> None:
        start = _stream_position(stream)
        with self._real(riid, dest, flags) as real:
            real.MarshalInterface(stream, riid, pv, dest, pvdest, flags)
        end = _stream_position(stream)
        self._record(
            "MarshalInterface",
            _read_back(stream, start, end),
            riid=riid,
            dest=MSHCTX(dest).name,
            flags=MSHLFLAGS(flags).name or "0",
        )

    def UnmarshalInterface(self, stream: Any, riid: Guid) -> Any:
        raise NotImplementedError("the marshal side is never asked to unmarshal: TracingUnmarshaler is")

    def ReleaseMarshalData(self, stream: Any) -> None:
        raise NotImplementedError("the marshal side is never asked to release marshal data")

    def DisconnectObject(self, reserved: int) -> None:
        raise NotImplementedError


class MarshalTracer(_TracingMarshal):
    """Wraps an object: our IMarshal, traced and forwarded to what CoMarshalInterface would have used for it (its
    own IMarshal when it has one, e.g. the FTM or a custom marshaler: then GetUnmarshalClass names that
    marshaler's class, whose data only it can read; else the standard marshaler); every other IID goes to the
    object. Make it with ``wrap``."""

    def __init__(self, target: Any, trace: MarshalTrace, transparent: bool = False) -> None:
        self.trace = trace
        self.target = target  # an IUnknown pointer we hold one reference on (released with us)
        self.transparent = transparent

    @classmethod
    def wrap(cls, target_raw: Any, trace: MarshalTrace, transparent: bool = False) -> Any:
        """A new reference (raw IUnknown, the caller releases it) to a tracer around ``target_raw`` (borrowed).

        ``transparent``: for destinations outside this process (MSHCTX_LOCAL and beyond) name the standard
        marshaler's unmarshal class instead of ours, so the OBJREF is the plain OBJREF_STANDARD and the receiving
        process needs nothing from us (only the marshal side is then recorded)."""
        from ole32_bindings.pointers import query_interface

        unk = query_interface(target_raw, IUnknown.iid)  # the reference the tracer keeps
        obj = cls(unk, trace, transparent)
        obj.aggregate(unk)  # unknown IIDs go to the target; released when the tracer dies
        return obj.query_raw(IUnknown.iid)

    def _own_marshaler(self) -> Any:
        """The target's own IMarshal (a custom marshaler, the FTM), a new reference, or None."""
        out = ffi.new("void **")
        unk = ffi.cast("IUnknown *", self.target)
        if unk.lpVtbl.QueryInterface(self.target, IMarshal.iid.cdata(ffi), out) < 0:
            return None
        return MarshalPtr.from_raw(out[0], direct=False)

    def _real(self, riid: Guid, dest: int, flags: int) -> Any:
        """What CoMarshalInterface would have used for the target: its own IMarshal, else the standard
        marshaler."""
        own = self._own_marshaler()
        if own is not None:
            return own
        return MarshalPtr.from_raw(marshaling.get_standard_marshal(riid, self.target, dest, flags))

    def _names_real_class(self, dest: int) -> bool:
        if self.transparent and dest not in (MSHCTX.INPROC, MSHCTX.CROSSCTX):
            return True
        own = self._own_marshaler()  # a custom marshaler's data is read by its own unmarshal class only
        if own is not None:
            own.release()
            return True
        return False

    def DisconnectObject(self, reserved: int) -> None:
        self._record("DisconnectObject", reserved=reserved)
        marshaling.disconnect_object(self.target)


def traces_itself(raw: Any) -> bool:
    """Whether ``raw`` points into one of our objects created while tracing was on (its own IMarshal records, so
    a MarshalTracer around it would record every call twice)."""
    from vtables import client

    vtable = int(ffi.cast("uintptr_t", ffi.cast("void ***", raw)[0]))
    if vtable not in client.our_vtables:  # not ours: nothing may be read behind the vtable
        return False
    obj = client.object_from_pointer(raw)
    return obj is not None and obj._com_traced is not False


class TraceSession:
    """What the marshalers of traced objects record into: ``trace`` while a tracing block is on, None after it
    (the objects keep their traced IMarshal for life, as COM requires, and it then just forwards)."""

    def __init__(self, trace: MarshalTrace, transparent: bool = True) -> None:
        self.trace: MarshalTrace | None = trace
        self.transparent = transparent

    def hook(self, obj: ComObject) -> Any:
        """``vtables.object.marshal_hook``: the traced IMarshal ``obj`` aggregates (see OwnedMarshalTracer)."""
        return OwnedMarshalTracer.create_aggregated(obj.identity_raw(), IUnknown.iid, obj, self)


class OwnedMarshalTracer(_TracingMarshal):
    """The IMarshal of one of our objects created while tracing was on: an inner aggregated by that object (its
    IUnknown is the object's, so identity holds), recording into ``session.trace`` and forwarding to the
    marshaler the object would otherwise use: the FTM for an agile class (then always transparent: the FTM's own
    unmarshal class must read its data), else the standard marshaler of the object. The inner holds no counted
    reference on its outer (COM's aggregation rule): it is destroyed when the object is."""

    def __init__(self, obj: ComObject, session: TraceSession) -> None:
        self.session = session
        self.identity = obj.identity_raw()  # not AddRef'd: the outer outlives its inner
        self.ftm_of = obj if obj._com_agile else None

    @property
    def trace(self) -> MarshalTrace | None:  # type: ignore[override]
        return self.session.trace

    def _names_real_class(self, dest: int) -> bool:
        # After the trace (session.trace None) our unmarshal class is no longer registered: name the real one.
        if self.ftm_of is not None or self.session.trace is None:
            return True
        return self.session.transparent and dest not in (MSHCTX.INPROC, MSHCTX.CROSSCTX)

    def _real(self, riid: Guid, dest: int, flags: int) -> Any:
        if self.ftm_of is not None:
            ftm = self.ftm_of._com_free_threaded_marshaler()  # the object's, created once and owned by it
            out = ffi.new("void **")
            hr = ftm.lpVtbl.QueryInterface(ftm, IMarshal.iid.cdata(ffi), out)
            if hr < 0:
                from ole32_bindings.hresult import error_from_hresult

                raise error_from_hresult(hr)
            return MarshalPtr.from_raw(out[0], direct=False)
        return MarshalPtr.from_raw(marshaling.get_standard_marshal(riid, self.identity, dest, flags))

    def DisconnectObject(self, reserved: int) -> None:
        self._record("DisconnectObject", reserved=reserved)
        with self._real(IUnknown.iid, MSHCTX.INPROC, 0) as real:
            real.DisconnectObject(reserved)


class TracingUnmarshaler(ComObject, implements=[IMarshal]):
    """The unmarshal class the tracer names: records and forwards to a standard marshaler instance."""

    trace: MarshalTrace | None = None  # set by installed()

    def _standard(self, stream: Any) -> Any:
        """A standard marshaler instance to read the data: CLSID_StdMarshal where the runtime makes it creatable;
        otherwise (Wine 8) one from CoGetStandardMarshal, whose unmarshaling reads only the stream."""
        from ole32_bindings.hresult import ComError

        try:
            return MarshalPtr.from_raw(activation.create_instance(CLSID_StdMarshal, IMarshal.iid, CLSCTX.INPROC_SERVER))
        except ComError:
            return MarshalPtr.from_raw(marshaling.get_standard_marshal(IUnknown.iid, stream))

    def UnmarshalInterface(self, stream: Any, riid: Guid) -> OwnedReference:
        start = _stream_position(stream)
        with self._standard(stream) as std:
            ptr = std.UnmarshalInterface(stream, riid)
        try:  # the unmarshal succeeded: a stream that cannot say where it is now costs the record, not the pointer
            data = _read_back(stream, start, _stream_position(stream))
        except Exception as exc:
            self._record("UnmarshalInterface", b"", riid=riid, unreadable=str(exc))
        else:
            self._record("UnmarshalInterface", data, riid=riid)
        return OwnedReference(ptr.into_raw())

    def ReleaseMarshalData(self, stream: Any) -> None:
        start = _stream_position(stream)
        with self._standard(stream) as std:
            std.ReleaseMarshalData(stream)
        self._record("ReleaseMarshalData", _read_back(stream, start, _stream_position(stream)))

    def _record(self, method: str, data: bytes = b"", **args: Any) -> None:
        if TracingUnmarshaler.trace is not None:
            TracingUnmarshaler.trace.add(method, data, **args)

    def GetUnmarshalClass(self, riid: Guid, pv: Any, dest: int, pvdest: Any, flags: int) -> Guid:
        raise NotImplementedError

    def GetMarshalSizeMax(self, riid: Guid, pv: Any, dest: int, pvdest: Any, flags: int) -> int:
        raise NotImplementedError

    def MarshalInterface(self, stream: Any, riid: Guid, pv: Any, dest: int, pvdest: Any, flags: int) -> None:
        raise NotImplementedError

    def DisconnectObject(self, reserved: int) -> None:
        return None

    @classmethod
    @contextlib.contextmanager
    def registered(cls, trace: MarshalTrace, place: Any = None) -> Iterator[None]:
        """Like ``installed``, and also as an InprocServer32 (ole32_servers.inproc) for the block, so apartments other
        than the registering one (Wine 8 looks up class objects per apartment) and other processes find it.
        ``place``: ole32_servers.registration.HKCU_CLASSES or HKCR; None: ``registration.default_place()``."""
        from .byvalue import registered_everywhere

        with (
            cls.installed(trace),
            registered_everywhere(CLSID_TracingUnmarshaler, "ole32_marshalling.tracer:TracingUnmarshaler", place),
        ):
            yield

    @classmethod
    @contextlib.contextmanager
    def installed(cls, trace: MarshalTrace) -> Iterator[None]:
        """Register the unmarshal class in this process (all apartments) for the duration, recording into trace."""
        from ole32_servers.classobjects import ClassObjects

        cls.trace = trace
        with ClassObjects() as objs:
            objs.register(CLSID_TracingUnmarshaler, ClassFactory(cls), CLSCTX.INPROC_SERVER)
            try:
                yield
            finally:
                cls.trace = None
