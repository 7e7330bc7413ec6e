"""A Python exception in every kind of slot a Python COM object has, seen from a vtable caller: the HRESULT and the
IErrorInfo (or EXCEPINFO) it gets, each against what COM's rules call for. Used by make stress's faults section and
by stress/test_slots.py; every check runs in this process and leaves no object alive.

Each check returns ``{"slot", "raised", "hresult", "error_info", "expected", "ok", "logged"}``: ``logged`` is how
many records the library logged for it (the escaped exception, with its traceback), kept out of the run's output.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

E_INVALIDARG = 0x80070057
E_ACCESSDENIED = 0x80070005
E_UNEXPECTED = 0x8000FFFF
DISP_E_EXCEPTION = 0x80020009


def _result(slot: str, raised: str, hr: int | None, info: str, expected: str, ok: bool) -> dict[str, Any]:
    from ole32_bindings.hresult import name_of

    name = (name_of(hr) or f"0x{hr:08X}") if hr is not None else "no error"
    return {"slot": slot, "raised": raised, "hresult": name, "error_info": info, "expected": expected, "ok": ok}


def _vtable(ptr: Any) -> Any:
    """A second pointer to the same interface that calls through the vtable (never the same-context shortcut)."""
    return type(ptr).from_raw(ptr.query(ptr.interface).into_raw(), direct=False)


def check_method() -> dict[str, Any]:
    from bench.benchtarget import IBenchTarget, make_classes
    from ole32_bindings.hresult import ComError

    PyTarget, _ = make_classes()
    with PyTarget.make() as unk, unk.query(IBenchTarget) as direct:
        p = _vtable(direct)
        try:
            p.Work(-1)
            hr, info = None, ""
        except ComError as e:
            hr, info = e.hresult, f"{e.source}: {e.description}"
        finally:
            p.release()
    ok = hr == E_INVALIDARG and info == "PyTarget: n must be >= 0, got -1"
    return _result("method (IBenchTarget.Work)", "ValueError", hr, info, "E_INVALIDARG + IErrorInfo", ok)


def check_property() -> dict[str, Any]:
    from vtables.dispatch import DispatchObject
    from vtables.latebound import Dispatch, DispatchError

    class Faulty(DispatchObject):
        progid = "Ole32Bindings.StressFaulty"
        _public_attrs_ = ["Broken"]
        _readonly_attrs_ = ["Broken"]

        @property
        def Broken(self) -> int:
            raise RuntimeError("the property broke")

    obj = Faulty()
    d = Dispatch(obj)
    try:
        _ = d.Broken
        hr, info = None, ""
    except DispatchError as e:
        hr, info = e.hresult, f"{e.source}: {e.description}"
    finally:
        d.release()
    ok = hr == DISP_E_EXCEPTION and info == "Ole32Bindings.StressFaulty: the property broke"
    return _result("property get (IDispatch::Invoke)", "RuntimeError", hr, info, "DISP_E_EXCEPTION + EXCEPINFO", ok)


def check_query_interface_imarshal() -> dict[str, Any]:
    """The Python code QueryInterface(IMarshal) runs: the marshal hook (ole32_marshalling's tracer) raising. COM's
    rule: a failed QueryInterface returns an error and sets ``*ppv`` to NULL."""
    from bench.benchtarget import make_classes
    from ole32_bindings.dlls import ffi
    from ole32_bindings.wellknown import IID_IMarshal
    from vtables import object as objmod
    from vtables.interfaces import IUnknown

    def hook(obj: Any) -> Any:
        raise RuntimeError("the marshal hook broke")

    PyTarget, _ = make_classes()
    saved, objmod.marshal_hook = objmod.marshal_hook, hook  # read at creation and at the first QI(IMarshal)
    try:
        obj = PyTarget()
        raw = ffi.cast("IUnknown *", obj.query_raw(IUnknown.iid))
        try:
            ppv = ffi.new("void **", ffi.cast("void *", 0xDEADBEEF))
            iid = ffi.new("GUID *")
            ffi.memmove(iid, IID_IMarshal.bytes_le, 16)
            hr = raw.lpVtbl.QueryInterface(raw, iid, ppv) & 0xFFFFFFFF
            null = ppv[0] == ffi.NULL
        finally:
            raw.lpVtbl.Release(raw)
    finally:
        objmod.marshal_hook = saved
    ok = hr == E_UNEXPECTED and null
    return _result(
        "QueryInterface(IMarshal) through the marshal hook",
        "RuntimeError",
        hr,
        f"*ppv {'NULL' if null else 'NOT NULL'}",
        "E_UNEXPECTED, *ppv NULL",
        ok,
    )


def check_class_factory() -> dict[str, Any]:
    from bench.benchtarget import IBenchTarget, make_classes
    from ole32_bindings.hresult import ComError
    from vtables.client import client_class
    from vtables.factory import ClassFactory
    from vtables.interfaces import IClassFactory

    PyTarget, _ = make_classes()

    class Refusing(PyTarget):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            raise ValueError("no object today")

    factory = ClassFactory(Refusing)
    cf = client_class(IClassFactory).from_raw(factory.query_raw(IClassFactory.iid), direct=False)
    try:
        cf.CreateInstance(None, IBenchTarget.iid)
        hr, info = None, ""
    except ComError as e:
        hr, info = e.hresult, f"{e.source}: {e.description}"
    finally:
        cf.release()
    ok = hr == E_INVALIDARG and info.endswith("no object today")
    return _result("IClassFactory::CreateInstance (__init__)", "ValueError", hr, info, "E_INVALIDARG + IErrorInfo", ok)


def check_enumerator() -> dict[str, Any]:
    """IEnumVARIANT::Next over a generator that raises (a RuntimeError) after two items: E_FAIL, the exception's
    HRESULT as any method's, with IErrorInfo, and no VARIANT left for the caller to clear (``*pCeltFetched`` 0)."""
    from ole32_bindings import errorinfo
    from ole32_bindings.dlls import ffi
    from vtables.dispatch import EnumVariant
    from vtables.interfaces import IEnumVARIANT

    def items() -> Any:
        yield 1
        yield 2
        raise RuntimeError("the enumeration broke")

    e = EnumVariant(items())
    raw = ffi.cast("void **", e.query_raw(IEnumVARIANT.iid))
    try:
        vtbl = ffi.cast("void **", raw[0])
        next_ = ffi.cast("HRESULT(*)(void *, ULONG, VARIANT *, ULONG *)", vtbl[3])
        out = ffi.new("VARIANT[5]")
        fetched = ffi.new("ULONG *", 99)
        errorinfo.clear_error_info()
        hr = next_(raw, 5, out, fetched) & 0xFFFFFFFF
        info = errorinfo.take_error_info()
        got = fetched[0]
        cleared = all(out[i].vt == 0 for i in range(5))
    finally:
        release = ffi.cast("ULONG(*)(void *)", ffi.cast("void **", raw[0])[2])
        release(raw)
    text = f"{info.source}: {info.description}" if info is not None else "none"
    ok = hr == 0x80004005 and got == 0 and cleared and text == "EnumVariant: the enumeration broke"
    return _result(
        "IEnumVARIANT::Next (the iterable)",
        "RuntimeError after 2 items",
        hr,
        f"{text}; fetched {got}, VARIANTs {'empty' if cleared else 'NOT EMPTY'}",
        "E_FAIL + IErrorInfo, nothing fetched",
        ok,
    )


CHECKS = (check_method, check_property, check_query_interface_imarshal, check_class_factory, check_enumerator)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def captured_logs(*names: str) -> Iterator[list[logging.LogRecord]]:
    """The records these loggers emit meanwhile, collected instead of printed (the exceptions the checks raise on
    purpose are handled events: the library logs each, and a reader of the run's output should not see pages of
    tracebacks for them)."""
    handler = _Records()
    loggers = [logging.getLogger(n) for n in names]
    saved = [(lg.propagate, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.propagate = False
        lg.setLevel(logging.DEBUG)
    try:
        yield handler.records
    finally:
        for lg, (propagate, level) in zip(loggers, saved, strict=True):
            lg.removeHandler(handler)
            lg.propagate, lg.level = propagate, level


def run_all() -> list[dict[str, Any]]:
    """Every check, with what the library logged for it; one that raises is reported as failed with its
    exception."""
    out = []
    for check in CHECKS:
        with captured_logs("vtables", "ole32_servers", "ole32_marshalling") as records:
            try:
                row = check()
            except Exception as e:  # a check that cannot even run is a failed check, with why
                row = _result(check.__name__, "?", None, f"{type(e).__name__}: {e}", "", False)
        row["logged"] = sum(r.levelno >= logging.WARNING for r in records)
        out.append(row)
    return out
