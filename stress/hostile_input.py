"""Hostile input at every edge, fuzzed with hypothesis, one child process per batch (issue 15, item 2).

Targets (``TARGETS``), each with who parses the hostile part (``OWNER``: a crash there is "ours" or "runtime"):

* ``objref``: OBJREF bytes mutated from valid ones captured live in the child (standard OBJREFs of one of our
  objects for MSHCTX_INPROC/LOCAL and NORMAL/TABLESTRONG/TABLEWEAK, and the free-threaded marshaler's
  OBJREF_CUSTOM of an agile object), fed to CoUnmarshalInterface through ``ole32_bindings.marshaling`` for a
  hypothesis-chosen IID. The mutator is ``tools/fuzz_objref.py``'s, driven by hypothesis' random source.
* ``byvalue``: the same for OBJREF_CUSTOM data of our marshal-by-value unmarshaler (``ole32_marshalling.byvalue``).
* ``tracer``: the same for our tracer's OBJREF_CUSTOM (``ole32_marshalling.tracer``'s TracingUnmarshaler).
* ``stream``: valid data of each kind read through an IStream of ours that misbehaves (short reads, S_FALSE,
  read faults, a byte count larger or smaller than what it copied, failing or lying Seek and Stat).
* ``dispatch``: IDispatch::Invoke and GetIDsOfNames of our Python IDispatch (``vtables.dispatch``), called
  through the vtable with hostile DISPPARAMS: invalid VTs, odd BSTR lengths, SAFEARRAYs with inconsistent bounds,
  flags and element sizes, wrong argument counts, NULL pointers where a pointer is due, unknown DISPIDs and flags.
  Every VARIANT is memory-valid (what a caller could send through the marshaler); only its claims are hostile.

Each case must end with an HRESULT (success or failure), never a Python exception escaping, never a crash; a
``finding`` is any other outcome (a property broken: e.g. a decoded length larger than the data), recorded with
its case. Child protocol (stdout, one line each, flushed): ``C <json case>`` before a case runs, ``R <json
summary>`` at the end. The parent (stress/fuzz.py, tests/ole32_marshalling/test_hostile_input.py) turns a child that
died after a ``C`` line into a crash with that case as its reproduction:

    tools/winpy -m stress.hostile_input --target objref --cases 500 --seed 7     # a batch
    tools/winpy -m stress.hostile_input --replay case.json                       # one saved case
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import struct
import sys
import time
from collections import Counter
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _p in (ROOT, os.path.join(ROOT, "tools")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

TARGETS = ("objref", "byvalue", "tracer", "stream", "dispatch")
#: whose code parses the hostile part first: a crash in a case of that target is counted there
OWNER = {"objref": "runtime", "byvalue": "ours", "tracer": "ours", "stream": "mixed", "dispatch": "ours"}


def stream_owner(template: str) -> str:
    """A misbehaving stream's reader: the runtime for standard and FTM data, ours (then) for our custom data."""
    return "ours" if template in ("byvalue", "tracer") else "runtime"


# ---- the child: templates, executors -----------------------------------------------------------------------------


class _Env:
    """What a child builds once: live objects and their valid OBJREFs, the IDispatch target, the unmarshalers."""

    def __init__(self) -> None:
        import contextlib

        from ole32_bindings import apartments
        from ole32_bindings.constants import MSHCTX, MSHLFLAGS
        from ole32_marshalling.byvalue import ByValueUnmarshaler, MarshalByValue
        from ole32_marshalling.tracer import MarshalTrace, MarshalTracer, TracingUnmarshaler
        from vtables.interfaces import IPersist
        from vtables.object import ComObject

        apartments.co_initialize()
        self.stack = contextlib.ExitStack()

        class Target(ComObject, implements=[IPersist]):
            def GetClassID(self) -> Any:
                return IPersist.iid

        class Agile(Target, agile=True):
            pass

        class FuzzPoint(MarshalByValue, implements=[IPersist], by_value_name="ole32_bindings.stress.FuzzPoint"):
            def __init__(self, x: int = 0, y: int = 0) -> None:
                self.x, self.y = x, y

            def marshal_state(self) -> bytes:
                return struct.pack("<ii", self.x, self.y)

            @classmethod
            def unmarshal_state(cls, state: bytes) -> Any:
                return cls(*struct.unpack("<ii", state))  # struct.error on a bad size: an HRESULT, not a crash

            def GetClassID(self) -> Any:
                return IPersist.iid

        self.stack.enter_context(ByValueUnmarshaler.installed())
        self.trace = MarshalTrace()
        self.stack.enter_context(TracingUnmarshaler.installed(self.trace))
        self.keep = [Target(), Agile(), FuzzPoint(3, 4)]
        self.owners = [o.as_ptr(IPersist) for o in self.keep]
        self.templates: dict[str, list[bytes]] = {"standard": [], "ftm": [], "byvalue": [], "tracer": []}
        target, agile, point = self.owners
        for dest, flags in (
            (MSHCTX.INPROC, MSHLFLAGS.TABLESTRONG),
            (MSHCTX.INPROC, MSHLFLAGS.TABLEWEAK),
            (MSHCTX.LOCAL, MSHLFLAGS.TABLESTRONG),
            (MSHCTX.LOCAL, MSHLFLAGS.NORMAL),
        ):
            self.templates["standard"].append(self._marshal(target.as_raw(), IPersist.iid, dest, flags))
        # table-strong: the valid bytes can be unmarshaled again and again without releasing the object each time
        self.templates["ftm"].append(self._marshal(agile.as_raw(), IPersist.iid, MSHCTX.INPROC, MSHLFLAGS.TABLESTRONG))
        self.templates["byvalue"].append(self._marshal(point.as_raw(), IPersist.iid, MSHCTX.LOCAL, MSHLFLAGS.NORMAL))
        wrapped = MarshalTracer.wrap(target.as_raw(), self.trace)
        try:
            self.templates["tracer"].append(self._marshal(wrapped, IPersist.iid, MSHCTX.LOCAL, MSHLFLAGS.TABLESTRONG))
        finally:
            from ole32_bindings.pointers import release

            release(wrapped)
        self._dispatch: Any = None

    def close(self) -> None:
        """Release what the child holds (its objects, the IDispatch targets) and revoke the unmarshalers."""
        from ole32_bindings import marshaling
        from ole32_bindings.pointers import release

        for kind in ("tracer", "ftm", "standard"):  # the table data's references (CoReleaseMarshalData)
            for blob in self.templates[kind]:
                self._release_data(blob)
        for owner in self.owners:  # cut every stub (what hostile cases left holds references)
            try:
                marshaling.disconnect_object(owner.as_raw())
            except Exception as exc:
                print(f"disconnecting {owner!r}: {exc!r}", file=sys.stderr)
        for owner in self.owners:
            try:
                owner.release()
            except Exception as exc:  # e.g. an object replayed FTM data destroyed early (see the fuzz report)
                print(f"releasing {owner!r}: {exc!r}", file=sys.stderr)
        if self._dispatch is not None:
            for raw in self._dispatch[1]:
                release(raw)
        self.stack.close()

    @staticmethod
    def _release_data(blob: bytes) -> None:
        from ole32_bindings import marshaling, streams
        from ole32_bindings.hresult import ComError
        from ole32_bindings.pointers import release

        stream = streams.create_stream_on_hglobal()
        try:
            streams.write(stream, blob)
            streams.seek(stream, 0)
            marshaling.release_marshal_data(stream)
        except ComError:
            pass  # consumed already (NORMAL data a case unmarshaled), or released by the runtime
        finally:
            release(stream)

    @staticmethod
    def _marshal(raw: Any, iid: Any, dest: int, flags: int) -> bytes:
        from ole32_bindings import marshaling, streams
        from ole32_bindings.pointers import release

        stream = streams.create_stream_on_hglobal()
        try:
            marshaling.marshal_interface(stream, iid, raw, dest, flags)
            size = streams.seek(stream, 0, 1)
            return streams.stream_bytes(stream, size)
        finally:
            release(stream)

    def dispatch(self) -> Any:
        if self._dispatch is None:
            self._dispatch = _make_dispatch_target()
        return self._dispatch


_IIDS = (
    "{00000000-0000-0000-C000-000000000046}",  # IUnknown
    "{0000010C-0000-0000-C000-000000000046}",  # IPersist
    "{00020400-0000-0000-C000-000000000046}",  # IDispatch (not implemented: E_NOINTERFACE)
    "{00000003-0000-0000-C000-000000000046}",  # IMarshal
    "{12345678-1234-1234-1234-123456789ABC}",  # nothing
)


def _unmarshal(stream: Any, iid_text: str) -> str:
    """CoUnmarshalInterface through our API; the outcome's name (a pointer received is released)."""
    from ole32_bindings import marshaling
    from ole32_bindings.guid import Guid
    from ole32_bindings.hresult import ComError
    from ole32_bindings.pointers import release

    try:
        raw = marshaling.unmarshal_interface(stream, Guid(iid_text))
    except ComError as exc:
        return exc.name
    release(raw)
    return "S_OK"


def run_bytes_case(env: _Env, case: dict[str, Any]) -> str:
    from ole32_bindings import streams
    from ole32_bindings.pointers import release

    data = bytes.fromhex(case["data"])
    stream = streams.create_stream_on_hglobal()
    try:
        if data:
            streams.write(stream, data)
        streams.seek(stream, 0)
        return _unmarshal(stream, case["iid"])
    finally:
        release(stream)


def run_stream_case(env: _Env, case: dict[str, Any]) -> str:
    from ole32_bindings.pointers import release
    from vtables.interfaces import IStream

    stream = _BadStream(bytes.fromhex(case["data"]), case["behaviour"])
    raw = stream.query_raw(IStream.iid)
    try:
        outcome = _unmarshal(raw, case["iid"])
    finally:
        release(raw)
    if case["template"] == "tracer":
        _check_trace(env, stream)
    return outcome


def _check_trace(env: _Env, stream: Any) -> None:
    """The tracer records what the stream held between two positions: never more bytes than the stream has."""
    events = env.trace.events
    for event in events:
        if len(event.data) > len(stream.data):
            raise AssertionError(
                f"tracer recorded {len(event.data)} bytes from a stream of {len(stream.data)}: read past what the "
                "stream said it copied"
            )
    events.clear()


def _stream_class() -> type:
    """An IStream whose Read, Seek and Stat misbehave as told (declared with raw pointers: it writes them itself)."""
    from ole32_bindings.dlls import ffi
    from vtables.declare import method
    from vtables.interfaces import IUnknown
    from vtables.object import ComObject

    class IRawStream(IUnknown):
        """IStream's layout and IID, with its out-pointers taken as raw [in] pointers."""

        iid = "{0000000C-0000-0000-C000-000000000046}"
        Read = method("HRESULT Read([in] void *pv, [in] ULONG cb, [in] ULONG *pcbRead)")
        Write = method("HRESULT Write([in] void *pv, [in] ULONG cb, [in] ULONG *pcbWritten)")
        Seek = method("HRESULT Seek([in] LARGE_INTEGER dlibMove, [in] DWORD dwOrigin, [in] ULARGE_INTEGER *pos)")
        SetSize = method("HRESULT SetSize([in] ULARGE_INTEGER libNewSize)")
        CopyTo = method("HRESULT CopyTo([in] void *pstm, [in] ULARGE_INTEGER cb, [in] void *r, [in] void *w)")
        Commit = method("HRESULT Commit([in] DWORD grfCommitFlags)")
        Revert = method("HRESULT Revert()")
        LockRegion = method("HRESULT LockRegion([in] ULARGE_INTEGER o, [in] ULARGE_INTEGER cb, [in] DWORD t)")
        UnlockRegion = method("HRESULT UnlockRegion([in] ULARGE_INTEGER o, [in] ULARGE_INTEGER cb, [in] DWORD t)")
        Stat = method("HRESULT Stat([in] void *pstatstg, [in] DWORD grfStatFlag)")
        Clone = method("HRESULT Clone([in] void **ppstm)")

    from ole32_bindings.hresult import to_signed

    STG_E_READFAULT = to_signed(0x8003001E)
    E_NOTIMPL = to_signed(0x80004001)
    S_FALSE = 1

    class BadStream(ComObject, implements=[IRawStream]):
        def __init__(self, data: bytes, behaviour: dict[str, Any]) -> None:
            self.data = data
            self.pos = 0
            self.b = behaviour
            self.reads = 0
            self.seeks = 0

        def Read(self, pv: Any, cb: int, pcb: Any) -> int:
            b = self.b
            self.reads += 1
            if b.get("fail_at_read") == self.reads:
                return STG_E_READFAULT
            n = min(cb, max(0, len(self.data) - self.pos), b.get("chunk") or cb)
            if n:
                ffi.memmove(pv, self.data[self.pos : self.pos + n], n)
            self.pos += n
            if pcb != ffi.NULL and not b.get("no_count"):
                pcb[0] = max(0, min(0xFFFFFFFF, n + b.get("count_delta", 0)))
            return S_FALSE if (n < cb and b.get("s_false")) else 0

        def Write(self, pv: Any, cb: int, pcb: Any) -> int:
            return STG_E_READFAULT

        def Seek(self, move: Any, origin: int, pos: Any) -> int:
            b = self.b
            self.seeks += 1
            if b.get("seek_fails") or b.get("fail_at_seek") == self.seeks:
                return STG_E_READFAULT
            base = (0, self.pos, len(self.data))[origin] if origin in (0, 1, 2) else None
            if base is None:
                return to_signed(0x80030001)  # STG_E_INVALIDFUNCTION
            new = base + int(move.QuadPart)
            if new < 0:
                return to_signed(0x80030019)  # STG_E_SEEKERROR
            self.pos = new
            if pos != ffi.NULL:
                pos.QuadPart = (new + b.get("seek_delta", 0)) % (1 << 64)
            return 0

        def SetSize(self, size: Any) -> int:
            return STG_E_READFAULT

        def CopyTo(self, *args: Any) -> int:
            return E_NOTIMPL

        def Commit(self, flags: int) -> int:
            return 0

        def Revert(self) -> int:
            return 0

        def LockRegion(self, *args: Any) -> int:
            return E_NOTIMPL

        def UnlockRegion(self, *args: Any) -> int:
            return E_NOTIMPL

        def Stat(self, pstat: Any, flag: int) -> int:
            b = self.b
            if b.get("stat_fails"):
                return STG_E_READFAULT
            st = ffi.cast("STATSTG *", pstat)
            ffi.memmove(st, b"\x00" * ffi.sizeof("STATSTG"), ffi.sizeof("STATSTG"))
            st.type = 2  # STGTY_STREAM
            st.cbSize.QuadPart = (len(self.data) + b.get("stat_delta", 0)) % (1 << 64)
            return 0

        def Clone(self, out: Any) -> int:
            return E_NOTIMPL

    return BadStream


_BadStreamClass: Any = None


def _BadStream(data: bytes, behaviour: dict[str, Any]) -> Any:
    global _BadStreamClass
    if _BadStreamClass is None:
        _BadStreamClass = _stream_class()
    return _BadStreamClass(data, behaviour)


# ---- IDispatch ----------------------------------------------------------------------------------------------------


def _make_dispatch_target() -> Any:
    """Our IDispatch: a dual interface with every kind of parameter, and a dynamic DispatchObject; (objects, raw
    IDispatch pointers, the DISPIDs of their members)."""
    from vtables.declare import method
    from vtables.dispatch import DispatchObject
    from vtables.interfaces import IDispatch
    from vtables.object import ComObject

    class IHostile(IDispatch):
        iid = "{A5F0C3E1-7B2D-4E19-9C8A-1D2E3F4A5B60}"
        Add = method("[id(1)] HRESULT Add([in] LONG a, [in] LONG b, [out, retval] LONG *r)")
        Join = method(
            '[id(2)] HRESULT Join([in] BSTR a, [in, optional, defaultvalue("-")] BSTR sep, [out, retval] BSTR *r)'
        )
        Echo = method("[id(3)] HRESULT Echo([in] VARIANT v, [out, retval] VARIANT *r)")
        Sum = method("[id(4)] HRESULT Sum([in] SAFEARRAY(LONG) values, [out, retval] LONG *r)")
        Swap = method("[id(5)] HRESULT Swap([in, out] VARIANT *a, [in, out] VARIANT *b)")
        Scale = method("[id(6)] HRESULT Scale([in] double x, [in] VARIANT_BOOL neg, [out, retval] double *r)")
        get_Name = method("[id(7), propget] HRESULT Name([out, retval] BSTR *value)")
        put_Name = method("[id(7), propput] HRESULT Name([in] BSTR value)")
        Take = method("[id(8)] HRESULT Take([in] IDispatch *d, [out, retval] LONG *r)")
        Count = method("[id(9)] HRESULT Count([in] SAFEARRAY(VARIANT) values, [out, retval] LONG *r)")

    class Hostile(ComObject, implements=[IHostile]):
        name = "x"

        def Add(self, a: int, b: int) -> int:
            return (a + b) & 0x7FFFFFFF

        def Join(self, a: str, sep: str) -> str:
            return a + sep + a

        def Echo(self, v: Any) -> Any:
            return v

        def Sum(self, values: Any) -> int:
            return sum(values) & 0x7FFFFFFF if values is not None else 0

        def Swap(self, a: Any, b: Any) -> Any:
            return b, a

        def Scale(self, x: float, neg: bool) -> float:
            return -x if neg else x

        @property
        def Name(self) -> str:
            return self.name

        @Name.setter
        def Name(self, value: str) -> None:
            self.name = value

        def Take(self, d: Any) -> int:
            return 0 if d is None else 1

        def Count(self, values: Any) -> int:
            return 0 if values is None else len(values)

    class Dyn(DispatchObject):
        def Add(self, a: Any = 0, b: Any = 0) -> Any:
            return a + b

        def Echo(self, *args: Any) -> Any:
            return list(args)

    objs = [Hostile(), Dyn()]
    raws = [o.query_raw(IDispatch.iid) for o in objs]
    return objs, raws


def run_dispatch_case(env: _Env, case: dict[str, Any]) -> str:
    return _dispatch_call(env.dispatch()[1][case["object"]], case)


def _dispatch_call(pdisp: Any, case: dict[str, Any]) -> str:
    """Build the case's DISPPARAMS (memory-valid), call Invoke (or GetIDsOfNames) through the vtable, free what the
    caller owns, and name the HRESULT."""
    from ole32_bindings.dlls import ffi, function
    from ole32_bindings.hresult import name_of

    VariantClear = function("VariantClear")
    SysFreeString = function("SysFreeString")
    vt = ffi.cast("void ***", pdisp)[0]
    if case.get("names") is not None:
        fn = ffi.cast("HRESULT(*)(void *, const GUID *, LPOLESTR *, UINT, LCID, DISPID *)", vt[5])
        names = [ffi.new("wchar_t[]", n) if n is not None else ffi.NULL for n in case["names"]]
        arr = ffi.new("LPOLESTR[]", names) if names else ffi.NULL
        ids = ffi.new("DISPID[]", max(1, len(names)))
        iid = ffi.new("GUID *")
        count = case["count"]
        hr = fn(pdisp, iid, arr if case.get("names_ptr", True) else ffi.NULL, min(count, len(names)), 0, ids)
        return name_of(hr) or f"0x{hr & 0xFFFFFFFF:08X}"
    keep: list[Any] = []
    args = case["args"]
    rgvarg = ffi.new("VARIANT[]", max(4, len(args)))  # cArgs is at most 4: a wrong count never leaves the array
    for i, spec in enumerate(args):
        _fill_variant(rgvarg + i, spec, keep)
    named = case["named"]
    dispids = ffi.new("DISPID[]", named) if named else ffi.NULL
    dp = ffi.new("DISPPARAMS *")
    dp.rgvarg = rgvarg if case["rgvarg_ptr"] else ffi.NULL
    dp.cArgs = case["cargs"] if case["cargs"] is not None else len(args)
    dp.rgdispidNamedArgs = dispids if case["named_ptr"] else ffi.NULL
    dp.cNamedArgs = min(case["cnamed"], len(named)) if case["cnamed"] is not None else len(named)
    result = ffi.new("VARIANT *")
    excep = ffi.new("EXCEPINFO *")
    argerr = ffi.new("UINT *", 0xFFFFFFFF)
    riid = ffi.new("GUID *")
    if case["riid"]:
        ffi.memmove(riid, b"\x01" * 16, 16)
    invoke = ffi.cast(
        "HRESULT(*)(void *, DISPID, const GUID *, LCID, WORD, DISPPARAMS *, VARIANT *, EXCEPINFO *, UINT *)", vt[6]
    )
    try:
        hr = invoke(
            pdisp,
            case["dispid"],
            riid,
            0,
            case["flags"],
            dp if case["dp_ptr"] else ffi.NULL,
            result if case["result_ptr"] else ffi.NULL,
            excep if case["excep_ptr"] else ffi.NULL,
            argerr if case["argerr_ptr"] else ffi.NULL,
        )
    finally:
        VariantClear(result)
        for bstr in (excep.bstrSource, excep.bstrDescription, excep.bstrHelpFile):
            if bstr != ffi.NULL:
                SysFreeString(bstr)
        _free_args(keep)
    return name_of(hr) or f"0x{hr & 0xFFFFFFFF:08X}"


# What VARIANT payloads look like for each VT (all memory-valid):
_SCALAR_VTS = [2, 3, 4, 5, 6, 7, 10, 11, 14, 16, 17, 18, 19, 20, 21, 22, 23]  # I2 I4 R4 R8 CY DATE ERROR BOOL ...
_ODD_VTS = [
    0,
    1,
    13,
    9,
    12,
    8,
    15,
    24,
    25,
    26,
    27,
    28,
    29,
    30,
    31,
    36,
    37,
    38,
    64,
    65,
    66,
    71,
    72,
    0xFFF,
    0x7FFF,
    0x2000,
]


def _fill_variant(pv: Any, spec: dict[str, Any], keep: list[Any]) -> None:
    """One VARIANT from its spec: ``vt`` (any 16-bit value) and a payload kind whose memory is always valid."""
    from ole32_bindings.dlls import ffi, function

    kind = spec["kind"]
    raw = ffi.cast("uint8_t *", pv)
    ffi.memmove(raw, b"\x00" * 24, 24)
    pv.vt = spec["vt"] & 0xFFFF
    payload = ffi.cast("uint64_t *", raw + 8)
    if kind == "bits":
        payload[0] = spec["bits"]
    elif kind == "bstr":
        text = spec["text"]
        if text is None:
            payload[0] = 0
        else:
            blob = bytes.fromhex(text)
            b = function("SysAllocStringByteLen")(blob if blob else ffi.NULL, len(blob))
            keep.append(("bstr", b))
            ffi.cast("void **", raw + 8)[0] = b
    elif kind == "byref":
        cell = ffi.new("uint8_t[]", 32)
        ffi.memmove(cell, bytes.fromhex(spec["cell"]), 32)
        keep.append(cell)
        ffi.cast("void **", raw + 8)[0] = cell if spec["valid"] else ffi.NULL
    elif kind == "array":
        psa = _make_array(spec, keep)
        ffi.cast("void **", raw + 8)[0] = psa
    elif kind == "object":
        obj = _object_for(spec["which"], keep)
        ffi.cast("void **", raw + 8)[0] = obj


def _object_for(which: str, keep: list[Any]) -> Any:
    from ole32_bindings.dlls import ffi

    if which == "null":
        return ffi.NULL
    from vtables.interfaces import IDispatch, IUnknown
    from vtables.object import ComObject

    class Plain(ComObject, implements=[IUnknown]):
        pass

    target = Plain() if which == "unknown" else _tiny_dispatch()
    raw = target.query_raw(IUnknown.iid if which == "unknown" else IDispatch.iid)
    keep.append(("release", lambda: ffi.cast("IUnknown *", raw).lpVtbl.Release(raw)))
    return raw


_tiny: Any = None


def _tiny_dispatch() -> Any:
    global _tiny
    from vtables.dispatch import DispatchObject

    if _tiny is None:

        class Tiny(DispatchObject):
            def Ping(self) -> int:
                return 1

        _tiny = Tiny
    return _tiny()


def _make_array(spec: dict[str, Any], keep: list[Any]) -> Any:
    """SafeArrayCreate of the spec's element type and bounds, then its descriptor's claims made hostile in ways
    that never point outside its memory: fewer dimensions or elements, other lower bounds, a smaller element size,
    other feature flags, a lock count."""
    from ole32_bindings.dlls import ffi, function

    if spec["null"]:
        return ffi.NULL
    dims = spec["dims"]
    bounds = ffi.new("SAFEARRAYBOUND[]", len(dims))
    for i, (count, lb) in enumerate(dims):
        bounds[i].cElements = count
        bounds[i].lLbound = lb
    psa = function("SafeArrayCreate")(spec["elem_vt"], len(dims), bounds)
    if psa == ffi.NULL:
        return ffi.NULL
    sa = ffi.cast("SAFEARRAY *", psa)
    bounds_of = _bounds(sa)
    original = (
        sa.cDims,
        sa.fFeatures,
        sa.cbElements,
        [(bounds_of[i].cElements, bounds_of[i].lLbound) for i in range(sa.cDims)],
    )
    keep.append(("array", psa, original))
    m = spec["mutation"]
    if m == "fewer_dims" and sa.cDims > 1:
        sa.cDims = sa.cDims - 1
    elif m == "zero_dims":
        sa.cDims = 0
    elif m == "fewer_elements":
        bounds_of[0].cElements = bounds_of[0].cElements // 2
    elif m == "lbound":
        bounds_of[0].lLbound = spec["lbound"]
    elif m == "features":
        sa.fFeatures = spec["features"] & 0xFFFF
    elif m == "cb":
        sa.cbElements = min(sa.cbElements, spec["cb"])
    elif m == "locked":
        sa.cLocks = 1
    return psa


def _bounds(sa: Any) -> Any:
    """A SAFEARRAY's bounds as a pointer (the declaration says rgsabound[1]; there are cDims of them)."""
    from ole32_bindings.dlls import ffi

    return ffi.cast("SAFEARRAYBOUND *", ffi.addressof(sa, "rgsabound"))


def _free_args(keep: list[Any]) -> None:
    """Free what the caller made for one argument: its own allocations only (restored first, so the system's free
    functions see the descriptor they made), whatever the callee did to the VARIANT."""
    from ole32_bindings.dlls import ffi, function

    for item in keep:
        if isinstance(item, tuple) and item[0] == "release":
            item[1]()
        elif isinstance(item, tuple) and item[0] == "bstr":
            function("SysFreeString")(item[1])
        elif isinstance(item, tuple) and item[0] == "array":
            _, psa, (dims, features, cb, bounds) = item
            sa = ffi.cast("SAFEARRAY *", psa)
            sa.cDims, sa.fFeatures, sa.cbElements, sa.cLocks = dims, features, cb, 0
            restore = _bounds(sa)
            for i, (count, lb) in enumerate(bounds):
                restore[i].cElements = count
                restore[i].lLbound = lb
            function("SafeArrayDestroy")(psa)
    keep[:] = [k for k in keep if not isinstance(k, tuple)]


# ---- hypothesis strategies ----------------------------------------------------------------------------------------


def template_list(env: _Env, target: str, kind: str | None = None) -> list[bytes]:
    """The valid OBJREFs a target's cases are mutated from (indexed by the case's ``template``)."""
    if target == "objref":
        return env.templates["standard"] + env.templates["ftm"]
    if target == "stream":
        return env.templates[kind or "standard"]
    return env.templates.get(target, [])


def rebase(data: bytes, old: bytes, new: bytes) -> bytes:
    """A case made from ``old`` (a template of another process) moved onto ``new`` (this process's template of the
    same kind): every run of bytes in which the two differ (OXID, OID, IPID, a pointer, a process id) is replaced
    where the case still holds it; what the mutation changed stays as it was. Templates of different lengths:
    ``data`` unchanged."""
    if len(old) != len(new) or old == new:
        return data
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(old):
        if old[i] == new[i]:
            i += 1
            continue
        j = i
        while j < len(old) and (old[j] != new[j] or old[j : j + 4] != new[j : j + 4]):
            j += 1
        runs.append((i, j))
        i = j
    for start, end in runs:
        if end - start >= 2:
            data = data.replace(old[start:end], new[start:end])
    return data


def strategies(env: _Env | None) -> dict[str, Any]:
    """The case strategy of each target (cases are JSON-able dicts: a crash's case is its reproduction)."""
    from fuzz_objref import Gen
    from hypothesis import strategies as st

    iids = st.sampled_from(_IIDS)

    def mutated(templates: list[bytes]) -> Any:
        @st.composite
        def draw_case(draw: Any) -> dict[str, Any]:
            index = draw(st.integers(0, len(templates) - 1))
            rng = draw(st.randoms(use_true_random=False))
            data = templates[index]
            if draw(st.integers(0, 9)) > 0:  # nine in ten mutated, one in ten the valid bytes
                data = Gen(rng).mutate(data)
            return {"template": index, "data": data.hex(), "iid": draw(iids)}

        return draw_case()

    out: dict[str, Any] = {}
    if env is not None:
        std = env.templates["standard"] + env.templates["ftm"]
        out["objref"] = mutated(std)
        out["byvalue"] = mutated(env.templates["byvalue"])
        out["tracer"] = mutated(env.templates["tracer"])

        @st.composite
        def stream_case(draw: Any) -> dict[str, Any]:
            kind = draw(st.sampled_from(["standard", "ftm", "byvalue", "tracer"]))
            index = draw(st.integers(0, len(env.templates[kind]) - 1))
            data = env.templates[kind][index]
            behaviour = draw(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "chunk": st.integers(1, 64),
                        "s_false": st.booleans(),
                        "fail_at_read": st.integers(1, 6),
                        "count_delta": st.integers(-64, 64),
                        "no_count": st.booleans(),
                        "seek_fails": st.booleans(),
                        "fail_at_seek": st.integers(1, 6),
                        "seek_delta": st.integers(-(1 << 40), 1 << 40),
                        "stat_fails": st.booleans(),
                        "stat_delta": st.integers(-4096, 1 << 40),
                    },
                )
            )
            return {
                "template": kind,
                "index": index,
                "data": data.hex(),
                "behaviour": behaviour,
                "iid": draw(iids),
            }

        out["stream"] = stream_case()
    out["dispatch"] = dispatch_cases()
    return out


def dispatch_cases() -> Any:
    from hypothesis import strategies as st

    text_blobs = st.one_of(
        st.none(),
        st.binary(max_size=12).map(bytes.hex),  # odd byte lengths, lone surrogates, embedded NULs
        st.text(max_size=6).map(lambda t: t.encode("utf-16-le", "surrogatepass").hex()),
    )
    array = st.fixed_dictionaries(
        {
            "null": st.booleans(),
            "elem_vt": st.sampled_from([3, 2, 5, 8, 11, 12, 17, 9, 13, 16, 14, 6, 7]),
            "dims": st.lists(
                st.tuples(st.integers(0, 4), st.integers(-(1 << 31), (1 << 31) - 1)), min_size=1, max_size=3
            ),
            "mutation": st.sampled_from(
                ["none", "fewer_dims", "zero_dims", "fewer_elements", "lbound", "features", "cb", "locked"]
            ),
            "lbound": st.integers(-(1 << 31), (1 << 31) - 1),
            "features": st.integers(0, 0xFFFF),
            "cb": st.integers(0, 16),
        }
    )
    variant = st.one_of(
        # a scalar VT carries any bits; any other VT (pointers, invalid tags) carries NULL: memory stays valid
        st.fixed_dictionaries(
            {"kind": st.just("bits"), "vt": st.sampled_from(_SCALAR_VTS), "bits": st.integers(0, (1 << 64) - 1)}
        ),
        st.fixed_dictionaries({"kind": st.just("bits"), "vt": st.sampled_from(_ODD_VTS), "bits": st.just(0)}),
        st.fixed_dictionaries({"kind": st.just("bstr"), "vt": st.sampled_from([8, 8, 8, 3]), "text": text_blobs}),
        st.builds(
            lambda base, cell, valid: {
                "kind": "byref",
                "vt": base | 0x4000,
                "cell": (cell if base in _SCALAR_VTS else bytes(8)).ljust(32, b"\x00").hex(),
                "valid": valid,
            },
            st.sampled_from([*_SCALAR_VTS, 8, 12, 9, 13, 0x2003]),
            st.binary(min_size=8, max_size=8),
            st.integers(0, 5).map(lambda n: n > 0),
        ),
        st.builds(
            lambda vt, arr: {"kind": "array", "vt": vt, **arr},
            st.sampled_from([0x2003, 0x200C, 0x2008, 0x2011, 0x2000, 0x2FFF]),
            array,
        ),
        # VT_UNKNOWN holds any object; VT_DISPATCH an IDispatch (or NULL): an IUnknown-only pointer tagged VT_DISPATCH
        # is a type-confused pointer, which no marshaler delivers (coercing it, oleaut32 calls its slot 6: a fault)
        st.fixed_dictionaries(
            {"kind": st.just("object"), "vt": st.just(13), "which": st.sampled_from(["null", "unknown", "dispatch"])}
        ),
        st.fixed_dictionaries(
            {"kind": st.just("object"), "vt": st.just(9), "which": st.sampled_from(["null", "dispatch"])}
        ),
    )
    invoke = st.fixed_dictionaries(
        {
            "object": st.integers(0, 1),
            "dispid": st.one_of(st.integers(0, 9), st.integers(0, 9), st.integers(-(1 << 31), (1 << 31) - 1)),
            "flags": st.one_of(st.sampled_from([1, 1, 2, 3, 4, 8]), st.integers(0, 0xFFFF)),
            "args": st.lists(variant, max_size=4),
            "named": st.one_of(
                st.just([]),
                st.just([]),
                st.lists(st.one_of(st.integers(-5, 3), st.integers(-(1 << 31), (1 << 31) - 1)), max_size=3),
            ),
            "cargs": st.one_of(st.none(), st.none(), st.none(), st.integers(0, 4)),
            "cnamed": st.one_of(st.none(), st.none(), st.none(), st.integers(0, 4)),
            "rgvarg_ptr": st.integers(0, 9).map(lambda n: n < 9),
            "named_ptr": st.integers(0, 5).map(lambda n: n < 5),
            "dp_ptr": st.integers(0, 15).map(lambda n: n < 15),
            "result_ptr": st.integers(0, 5).map(lambda n: n < 5),
            "excep_ptr": st.integers(0, 3).map(lambda n: n < 3),
            "argerr_ptr": st.integers(0, 3).map(lambda n: n < 3),
            "riid": st.integers(0, 30).map(lambda n: n == 30),
        }
    )
    names = st.fixed_dictionaries(
        {
            "object": st.integers(0, 1),
            "names": st.lists(
                st.one_of(st.none(), st.text(max_size=8), st.sampled_from(["Add", "join", "NAME", "a"])), max_size=4
            ),
            "count": st.integers(0, 4),
            "names_ptr": st.booleans(),
        }
    )
    return st.one_of(invoke, invoke, invoke, names)


# ---- running a batch -------------------------------------------------------------------------------------------------

_RUNNERS = {
    "objref": run_bytes_case,
    "byvalue": run_bytes_case,
    "tracer": run_bytes_case,
    "stream": run_stream_case,
    "dispatch": run_dispatch_case,
}


def run_batch(target: str, cases: int, seed: int, out: Any = None) -> dict[str, Any]:
    """``cases`` hypothesis-generated cases of ``target`` in this process, each announced on ``out`` before it
    runs; the summary (outcome counts, findings) is returned and written as the ``R`` line."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    from vtables import leaks

    out = out or sys.stdout
    env = _Env()
    check_leaks = target in ("byvalue", "tracer", "stream")  # our unmarshalers: every path must release
    leaks.reset_leaked()
    templates = {t: [b.hex() for b in template_list(env, t)] for t in ("objref", "byvalue", "tracer")}
    templates.update({f"stream:{k}": [b.hex() for b in v] for k, v in env.templates.items()})
    out.write("M " + json.dumps({"modules": _modules(), "templates": templates}) + "\n")
    strategy = strategies(env)[target]
    runner = _RUNNERS[target]
    outcomes: Counter[str] = Counter()
    findings: list[dict[str, Any]] = []
    done = [0]

    @hypothesis_seed(seed)
    @settings(
        max_examples=cases,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def one(case: dict[str, Any]) -> None:
        out.write("C " + json.dumps({"target": target, **case}) + "\n")
        out.flush()
        try:
            outcome = runner(env, case)
            if check_leaks:
                gc.collect(1)  # an exception's traceback holds frames in a cycle: collect the young ones first
                leaked = leaks.reset_leaked()
                if leaked:
                    raise AssertionError(f"{leaked} interface wrapper(s) collected without release() (a leak)")
        except Exception as exc:  # a property broken: recorded with its case, the batch goes on
            outcome = "finding"
            finding = {"case": {"target": target, **case}, "error": repr(exc)}
            findings.append(finding)
            out.write("F " + json.dumps(finding) + "\n")
        outcomes[outcome] += 1
        out.write("D " + outcome + "\n")  # counted by the parent as it goes: a later crash loses nothing
        done[0] += 1

    t0 = time.monotonic()
    one()
    env.close()
    summary = {
        "target": target,
        "seed": seed,
        "cases": done[0],
        "seconds": round(time.monotonic() - t0, 2),
        "outcomes": dict(outcomes),
        "findings": findings[:20],
        "live_objects_after": _live(),
    }
    out.write("R " + json.dumps(summary) + "\n")
    out.flush()
    return summary


def _modules() -> list[tuple[str, int, int]]:
    """(file name, base, size) of every module loaded here: the parent names the module a crash address is in."""
    import ctypes
    from ctypes import wintypes as w

    psapi, kernel32 = ctypes.WinDLL("psapi"), ctypes.WinDLL("kernel32")
    psapi.EnumProcessModules.argtypes = [w.HANDLE, ctypes.c_void_p, w.DWORD, ctypes.POINTER(w.DWORD)]
    psapi.GetModuleFileNameExW.argtypes = [w.HANDLE, ctypes.c_void_p, ctypes.c_wchar_p, w.DWORD]
    psapi.GetModuleInformation.argtypes = [w.HANDLE, ctypes.c_void_p, ctypes.c_void_p, w.DWORD]
    kernel32.GetCurrentProcess.restype = w.HANDLE
    process = kernel32.GetCurrentProcess()
    handles = (ctypes.c_void_p * 1024)()
    need = w.DWORD()
    if not psapi.EnumProcessModules(process, handles, ctypes.sizeof(handles), ctypes.byref(need)):
        return []
    out = []
    for handle in handles[: need.value // ctypes.sizeof(ctypes.c_void_p)]:
        name = ctypes.create_unicode_buffer(520)
        info = (ctypes.c_void_p * 3)()
        psapi.GetModuleFileNameExW(process, handle, name, 520)
        psapi.GetModuleInformation(process, handle, info, ctypes.sizeof(info))
        out.append((os.path.basename(name.value).lower(), handle or 0, info[1] or 0))
    return out


def _live() -> dict[str, int]:
    """Python COM objects still alive in the child after its batch, by class."""
    from vtables.object import live_objects

    return dict(Counter(type(o).__name__ for o in live_objects()))


def replay(case: dict[str, Any], old_template: str | None = None) -> str:
    """Run one saved case (a crash's reproduction) in this process; its outcome name. ``old_template``: the
    template (hex) the case was made from in its own process; the case is rebased onto this process's."""
    env = _Env()
    try:
        if old_template and "data" in case:
            target = case["target"]
            index = case.get("index", case.get("template", 0)) if target == "stream" else case["template"]
            new = template_list(env, target, case.get("template") if target == "stream" else None)[index]
            case = {**case, "data": rebase(bytes.fromhex(case["data"]), bytes.fromhex(old_template), new).hex()}
        return _RUNNERS[case["target"]](env, case)
    finally:
        env.close()


def _exit_on_unhandled() -> None:
    """A crash of the runtime ends this child with the exception's code and one line on its stderr (the test DLL's
    TL_ExitOnUnhandled), which the parent reads: Wine would otherwise start its debugger, whose "wine: Unhandled
    page fault" line goes to the terminal of the whole run instead of this child's stderr. Harness only: the DLL is
    the test DLL (build/native), absent from an installed package, where a crash is still counted by its status."""
    import ctypes

    path = os.path.join(ROOT, "build", "native", "vtables_testlib.dll")
    if os.path.exists(path):
        ctypes.WinDLL(path).TL_ExitOnUnhandled()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", choices=TARGETS)
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--replay", help="a JSON file holding one case (or a crash record with a 'case')")
    args = ap.parse_args(argv)
    _exit_on_unhandled()
    if args.replay:
        with open(args.replay) as f:
            doc = json.load(f)
        print("outcome:", replay(doc.get("case", doc), doc.get("template_bytes")), flush=True)
        return 0
    if not args.target:
        ap.error("--target or --replay")
    run_batch(args.target, args.cases, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
