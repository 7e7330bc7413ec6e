"""Run a user's script with IMarshal tracing on: ``python -m ole32_bindings trace [options] SCRIPT [ARGS...]``.

The command is contributed to the bindings' CLI through the ``ole32_bindings.commands`` entry point (see
pyproject.toml), so the bindings never import this layer. ``python -m ole32_marshalling.trace_script`` runs the same.

What "tracing on" means, precisely (no hidden magic beyond this list):

* The tracer's unmarshal class (``TracingUnmarshaler``) is registered for the script's lifetime: as a class
  object from a small MTA thread of ours (the script stays free to put its main thread in an STA), and as an
  InprocServer32 (ole32_servers.inproc) so that every apartment finds it (Wine 8 looks up class objects per
  apartment). ``--hive`` picks where: ``machine`` (HKCR), ``user`` (HKCU\\Software\\Classes: Windows only, Wine
  8 reads HKCR alone), ``none``, or ``auto`` (the default: HKCR, else HKCU when HKCR is not writable).
* Every interface pointer the script marshals through ``ole32_bindings.marshaling.marshal_interface``,
  ``marshal_inter_thread_interface_in_stream`` or ``ole32_marshalling.git.GlobalInterfaceTable.register``
  (by name, through their modules) is wrapped in
  a ``MarshalTracer`` for that call, so the runtime's IMarshal calls on both sides are recorded: the marshal side
  (GetUnmarshalClass, GetMarshalSizeMax, MarshalInterface, DisconnectObject) in any apartment, the unmarshal side
  (UnmarshalInterface, ReleaseMarshalData) in every apartment of this process.
* For a destination outside this process (MSHCTX_LOCAL and beyond) the tracer is asked to stay transparent: it
  records the marshal side and names the standard marshaler's unmarshal class, so the receiving process needs
  nothing from us.
* Every Python object of ours (``vtables.ComObject``) created inside the block is traced however it is
  marshaled, also where the runtime marshals it on its own (an argument of a proxied call, native code calling
  CoMarshalInterface): its QueryInterface(IMarshal) answers a traced IMarshal it aggregates
  (``tracer.OwnedMarshalTracer``; ``vtables.object.marshal_hook``), which forwards to the standard marshaler, or
  to the FTM for an agile class (then the marshal side alone is recorded and the FTM unmarshals its own data).
  Not covered: classes that implement IMarshal themselves, objects that aggregate an inner (the inner decides),
  objects created before the block. Such objects keep the traced IMarshal after the block (an object's set of
  interfaces never changes), which then only forwards.
* Other pointers (a C++ object, a proxy) are traced only when they go through the functions above; wrap them
  yourself with ``MarshalTracer.wrap(ptr, current_trace())`` where the runtime marshals them on its own.

Each event is printed as it happens (text, to stderr or ``--output``), with a one-line summary of the OBJREF for
events that carry marshal data; ``--json`` writes the whole trace at the end instead (schema
``ole32-bindings.trace/1``, docs/cli.md). The exit status is the script's (1 if it raised, after the traceback);
2 with a one-line message if the script cannot be found.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import runpy
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TextIO

__all__ = ["register", "run", "tracing", "current_trace", "TRACE_SCHEMA"]

TRACE_SCHEMA = "ole32-bindings.trace/1"
"""The ``schema`` value of the ``--json`` trace document (docs/cli.md)."""

_current: Any = None  # the MarshalTrace of the active tracing() block


def current_trace() -> Any:
    """The ``MarshalTrace`` recording now (inside ``tracing()`` or a traced script), or None."""
    return _current


def register(subparsers: Any) -> None:
    """The ``ole32_bindings.commands`` entry point: add the ``trace`` command to the bindings' CLI. Imports
    nothing heavy (the CLI stays light until the command runs)."""
    p = subparsers.add_parser(
        "trace",
        help="run a Python script with IMarshal tracing on",
        description="Run SCRIPT (with ARGS as its sys.argv[1:]) and log every IMarshal call the runtime makes "
        "for the pointers it marshals (see ole32_marshalling.trace_script).",
    )
    _add_arguments(p)
    p.set_defaults(run=_run_command)


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help=f"write the whole trace at the end as {TRACE_SCHEMA} JSON")
    p.add_argument("--output", "-o", metavar="FILE", help="write the trace to FILE (default: standard error)")
    p.add_argument(
        "--hive",
        choices=["auto", "machine", "user", "none"],
        default="auto",
        help="where the tracer's unmarshaler is registered for every apartment (default: auto)",
    )
    p.add_argument("script", metavar="SCRIPT", help="the Python script to run")
    p.add_argument("args", metavar="ARGS", nargs=argparse.REMAINDER, help="the script's arguments")


class BadScript(Exception):
    """The script cannot be run (missing) or the trace cannot be written: a one-line error, exit status 2."""


def _run_command(args: argparse.Namespace) -> int:
    try:
        return run(args.script, args.args, as_json=args.json, output=args.output, hive=args.hive)
    except BadScript as exc:
        from ole32_bindings.cli import BadInput

        raise BadInput(str(exc)) from None


# ---- tracing on, in-program -----------------------------------------------------------------------------------


class _UnmarshalerHost:
    """An MTA thread that holds the TracingUnmarshaler's registrations for the trace's lifetime."""

    def __init__(self, trace: Any, hive: str = "auto") -> None:
        self._trace = trace
        self._hive = hive
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="trace-unmarshaler-host", daemon=True)

    def _run(self) -> None:
        from ole32_bindings import apartments

        from .tracer import TracingUnmarshaler

        apartments.co_initialize()
        try:
            with self._registration(TracingUnmarshaler):
                self._ready.set()
                self._stop.wait()
        except BaseException as e:
            self._error = e
            self._ready.set()
        finally:
            apartments.co_uninitialize()

    def _registration(self, cls: Any) -> Any:
        from ole32_bindings.registry import RegistryError
        from ole32_servers.registration import HKCR, HKCU_CLASSES

        if self._hive == "none":
            return cls.installed(self._trace)
        if self._hive in ("machine", "user"):
            return cls.registered(self._trace, HKCR if self._hive == "machine" else HKCU_CLASSES)
        try:  # auto: HKCR when writable
            from ole32_bindings import registry

            from .tracer import CLSID_TracingUnmarshaler

            probe = f"CLSID\\{CLSID_TracingUnmarshaler}"  # the key registered() writes (and removes) anyway
            registry.set_value(registry.HKEY_CLASSES_ROOT, probe, None, "ole32-bindings tracer (probe)")
            return cls.registered(self._trace, HKCR)
        except RegistryError:
            return cls.registered(self._trace, HKCU_CLASSES)

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)


def _traced(original: Callable[..., Any], unk_index: int, trace: Any) -> Callable[..., Any]:
    """``original`` with its interface-pointer argument (position ``unk_index``) wrapped in a MarshalTracer for
    the duration of the call (the wrapper's reference is ours and released before returning)."""
    from ole32_bindings.pointers import release

    from .tracer import MarshalTracer, traces_itself

    def call(*args: Any, **kwargs: Any) -> Any:
        args_list = list(args)
        if traces_itself(args_list[unk_index]):
            return original(*args, **kwargs)  # one of our objects made while tracing: it records its own calls
        wrapper = MarshalTracer.wrap(args_list[unk_index], trace, transparent=True)
        args_list[unk_index] = wrapper
        try:
            return original(*args_list, **kwargs)
        finally:
            release(wrapper)

    call.__wrapped__ = original  # type: ignore[attr-defined]
    call.__name__ = getattr(original, "__name__", "traced")
    return call


@contextlib.contextmanager
def tracing(trace: Any = None, hive: str = "auto") -> Iterator[Any]:
    """Tracing on for the block (see the module docstring for exactly what that covers); yields the
    ``MarshalTrace``. Not re-entrant: one tracing block per process at a time."""
    global _current
    from ole32_bindings import marshaling
    from vtables import object as object_model

    from . import git
    from .tracer import MarshalTrace, TraceSession

    if _current is not None:
        raise RuntimeError("tracing() is already on in this process")
    trace = trace if trace is not None else MarshalTrace()
    host = _UnmarshalerHost(trace, hive)
    host.start()
    session = TraceSession(trace, transparent=True)
    # (module, function, position of the interface-pointer argument)
    patches = [
        (marshaling, "marshal_interface", 2),
        (marshaling, "marshal_inter_thread_interface_in_stream", 1),
        (git, "register_interface", 1),
    ]
    saved = [(module, name, getattr(module, name)) for module, name, _ in patches]
    try:
        for module, name, index in patches:
            setattr(module, name, _traced(getattr(module, name), index, trace))
        object_model.marshal_hook = session.hook
        _current = trace
        yield trace
    finally:
        _current = None
        object_model.marshal_hook = None
        session.trace = None  # traced objects that outlive the block keep forwarding, recording nothing
        for module, name, original in saved:
            setattr(module, name, original)
        host.stop()


# ---- the command --------------------------------------------------------------------------------------------


def _objref_summary(data: bytes) -> str:
    from ole32_bindings.objref import InterfacePointer, ObjrefError, decode_any

    try:
        obj = decode_any(data)
    except ObjrefError as exc:
        return f"(not an OBJREF: {exc})"
    objref = obj.objref if isinstance(obj, InterfacePointer) else obj  # an MInterfacePointer: the OBJREF inside
    parts = [type(obj).__name__, f"iid={objref.iid}"]
    clsid = getattr(objref, "clsid", None)
    if clsid is not None:
        parts.append(f"clsid={clsid}")
    std = getattr(objref, "std", None)
    if std is not None:
        parts.append(f"cPublicRefs={std.public_refs}")
    return " ".join(parts)


def event_to_json(event: Any, t0: float) -> dict[str, Any]:
    """One event in the ``ole32-bindings.trace/1`` form (docs/cli.md)."""
    from ole32_bindings.objref import ObjrefError, decode_any, to_json

    doc: dict[str, Any] = {
        "method": event.method,
        "args": {k: (str(v) if not isinstance(v, (int, str, bool)) else v) for k, v in event.args.items()},
        "thread": event.thread,
        "apartment": event.apartment,
        "seconds": round(event.at - t0, 6),
        "data_hex": event.data.hex(),
    }
    if event.data:
        try:
            doc["objref"] = to_json(decode_any(event.data))
        except ObjrefError as exc:
            doc["objref_error"] = str(exc)
    return doc


def run(
    script: str, argv: Sequence[str] = (), *, as_json: bool = False, output: str | None = None, hive: str = "auto"
) -> int:
    """Run ``script`` as ``__main__`` with tracing on; returns its exit status (see the module docstring)."""
    import time

    path = os.path.abspath(script)
    if not os.path.isfile(path):
        raise BadScript(f"no such script: {script}")
    try:
        out: TextIO = open(output, "w", encoding="utf-8") if output else sys.stderr
    except OSError as exc:
        raise BadScript(f"cannot write {output}: {exc.strerror or exc}") from None
    from .tracer import MarshalTrace  # loads the runtime: only once there is a script to run

    t0 = time.perf_counter()

    def live(event: Any) -> None:
        line = f"trace: {event.at - t0:9.6f}s {event}"
        if event.data:
            line += f"\ntrace:     {_objref_summary(event.data)}"
        out.write(line + "\n")
        out.flush()

    trace = MarshalTrace(on_event=None if as_json else live)
    saved_argv = sys.argv
    sys.argv = [path, *argv]
    sys.path.insert(0, os.path.dirname(path))  # as `python SCRIPT` does
    status = 0
    try:
        with tracing(trace, hive):
            try:
                runpy.run_path(path, run_name="__main__")
            except SystemExit as exc:
                code = exc.code
                status = code if isinstance(code, int) else (0 if code is None else 1)
                if code is not None and not isinstance(code, int):
                    sys.stderr.write(f"{code}\n")
            except BaseException:
                traceback.print_exc()
                status = 1
    finally:
        sys.argv = saved_argv
        if sys.path and sys.path[0] == os.path.dirname(path):
            del sys.path[0]  # what we put there (a script that rearranged sys.path keeps its own order)
        if as_json:
            doc = {
                "schema": TRACE_SCHEMA,
                "script": path,
                "argv": list(argv),
                "exit_status": status,
                "events": [event_to_json(e, t0) for e in trace.events],
            }
            out.write(json.dumps(doc, indent=2) + "\n")
        else:
            out.write(f"trace: {len(trace.events)} IMarshal call(s) recorded; script exit status {status}\n")
        if output:
            out.close()
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m ole32_marshalling.trace_script [--json] [--output FILE] SCRIPT [ARGS...]``."""
    p = argparse.ArgumentParser(prog="python -m ole32_marshalling.trace_script")
    _add_arguments(p)
    args = p.parse_args(argv)
    try:
        return run(args.script, args.args, as_json=args.json, output=args.output, hive=args.hive)
    except BadScript as exc:
        sys.stderr.write(f"trace: error: {exc}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
