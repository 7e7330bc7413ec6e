"""Command line: ``python -m ole32_bindings objref ...``, ``... hresult ...``, and the commands of higher layers.

``objref <hex | base64 | OBJREF:<base64>: | @file | @->`` decodes marshalled interface data and explains it;
``hresult <code>`` explains an HRESULT. Readable text by default, ``--json`` for machines (schemas in
docs/cli.md). Exit status 0 on success, 2 with a one-line ``ole32_bindings: error: ...`` on stderr for bad input.

Commands from the layers above the bindings (``trace``: run a script with IMarshal tracing on, from
``ole32_marshalling``) join through the ``ole32_bindings.commands`` entry-point group: each entry point is a function
``register(subparsers)`` that adds its parser and sets ``run=handler(args) -> int`` as a default. The bindings
never import those layers; installing the distribution (or its metadata, as ``make generated`` writes it into
src/) is what makes them appear.

Imports stay light: nothing here loads a DLL (on Windows, ``hresult`` asks FormatMessageW for the message through
:func:`ole32_bindings.hresult.message_of`, which loads the runtime only then).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

__all__ = ["main", "build_parser", "read_objref_argument", "BadInput", "EXIT_OK", "EXIT_BAD_INPUT", "COMMANDS_GROUP"]

PROG = "ole32_bindings"
EXIT_OK = 0
"""Exit status of a command that succeeded."""
EXIT_BAD_INPUT = 2
"""Exit status for input the user can fix (with a one-line ``ole32_bindings: error: ...`` on stderr)."""
COMMANDS_GROUP = "ole32_bindings.commands"
"""The entry-point group through which the layers above add commands: each entry point is a function
``register(subparsers)`` (see the module doc)."""


class BadInput(Exception):
    """Input the user can fix: reported as one line, exit status 2 (commands of other layers raise it too)."""


_BadInput = BadInput


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line (``... (see --help)``) and never exit the process itself."""

    def error(self, message: str) -> NoReturn:
        raise _BadInput(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    """The command line's parser: ``objref``, ``hresult``, and the commands of the ``ole32_bindings.commands``
    entry points. Its usage errors raise :class:`BadInput` instead of exiting the process."""
    from . import __version__

    parser = _Parser(
        prog=PROG, description="Tools for debugging COM: decode OBJREFs, explain HRESULTs, trace marshalling."
    )
    parser.add_argument("--version", action="version", version=f"ole32-bindings {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser(
        "objref",
        help="decode and explain marshalled interface data (an OBJREF or MInterfacePointer)",
        description="Decode an OBJREF (or an MInterfacePointer around one) and explain every field.",
    )
    p.add_argument(
        "data",
        metavar="DATA",
        help="hex, base64, OBJREF:<base64>: (the OBJREF moniker's display name), "
        "@FILE (raw bytes, or any of these as text) or @- (standard input)",
    )
    p.add_argument("--json", action="store_true", help="print the ole32-bindings.objref/1 JSON form")

    p = sub.add_parser(
        "hresult",
        help="explain an HRESULT: fields, name, message, usual cause",
        description="Explain an HRESULT given as 0x80004002, 80004002, -2147467262, 2147500034 or E_NOINTERFACE.",
    )
    p.add_argument("code", metavar="CODE", help="the HRESULT: hex, decimal (signed or not) or a symbolic name")
    p.add_argument("--json", action="store_true", help="print the ole32-bindings.hresult/1 JSON form")
    for register in _plugin_commands():
        register(sub)
    return parser


def _plugin_commands() -> list[Any]:
    """The ``register`` functions of the ``ole32_bindings.commands`` entry points, by name. One that fails to
    load is skipped with a one-line warning (the built-in commands still work)."""
    from importlib.metadata import entry_points

    found = []
    for ep in sorted(entry_points(group=COMMANDS_GROUP), key=lambda e: e.name):
        try:
            found.append(ep.load())
        except Exception as exc:
            sys.stderr.write(f"{PROG}: warning: command '{ep.name}' ({ep.value}) failed to load: {exc}\n")
    return found


def _looks_like_text(raw: bytes) -> bool:
    """True for printable ASCII (with whitespace). A binary OBJREF never is: its flags word holds NUL bytes."""
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\t\r\n\f\v" for ch in text)


def read_objref_argument(arg: str) -> bytes:
    """The OBJREF bytes for the ``objref`` argument: text forms through ``objref.parse_input``; ``@FILE`` read
    as raw bytes unless the file is printable text (then parsed like the argument); ``@-`` reads stdin."""
    from .objref import parse_input

    if arg.startswith("@"):
        path = arg[1:]
        if not path:
            raise _BadInput("'@' needs a file name (or '@-' for standard input)")
        try:
            if path == "-":
                raw = sys.stdin.buffer.read()
            else:
                with open(path, "rb") as f:
                    raw = f.read()
        except OSError as exc:
            raise _BadInput(f"cannot read {path}: {exc.strerror or exc}") from None
        if not raw:
            raise _BadInput(f"{path} is empty")
        return parse_input(raw) if _looks_like_text(raw) else raw
    return parse_input(arg)


def _print_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def _run_objref(args: argparse.Namespace) -> int:
    from .objref import ObjrefError, decode_any, render_text, to_json

    try:
        obj = decode_any(read_objref_argument(args.data))
    except ObjrefError as exc:
        raise _BadInput(str(exc)) from None
    if args.json:
        _print_json(to_json(obj))
    else:
        sys.stdout.write(render_text(obj) + "\n")
    return EXIT_OK


def _run_hresult(args: argparse.Namespace) -> int:
    from .explain_hresult import explain_hresult

    try:
        info = explain_hresult(args.code)
    except ValueError as exc:
        raise _BadInput(str(exc)) from None
    if args.json:
        _print_json(info.to_json())
    else:
        sys.stdout.write(info.render_text() + "\n")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, or 2 for bad input). ``--help``/``--version`` give 0."""
    parser = build_parser()
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version
            return exc.code if isinstance(exc.code, int) else EXIT_OK
        if args.command == "objref":
            return _run_objref(args)
        if args.command == "hresult":
            return _run_hresult(args)
        run = getattr(args, "run", None)
        if run is not None:
            return int(run(args))
        raise _BadInput(f"a command is required (see '{PROG} --help')")
    except _BadInput as exc:
        sys.stderr.write(f"{PROG}: error: {' '.join(str(exc).split())}\n")
        return EXIT_BAD_INPUT
