"""The command line: ``python -m ole32_bindings objref|hresult``, in-process through cli.main and once as a process."""

from __future__ import annotations

import base64
import io
import json
import os
import struct
import subprocess
import sys

import pytest

import ole32_bindings
from ole32_bindings import cli

#: where this run imports the package from: the checkout's src/, or site-packages when the wheel is installed
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(ole32_bindings.__file__)))

MEOW = bytes.fromhex("4d454f57")
IID_IPERSIST_LE = bytes.fromhex("0c01000000000000c000000000000046")
STD_FIELDS = (
    struct.pack("<II", 0, 5)  # flags, cPublicRefs
    + bytes.fromhex("f6e5d4c3b2a10000")  # oxid 0x0000A1B2C3D4E5F6
    + bytes.fromhex("0200000000000000")  # oid 2
    + bytes.fromhex("01a000002301bc0a1122334455667788")  # ipid
)
# What Wine writes for a same-machine standard marshal of IPersist: 68 bytes, empty DUALSTRINGARRAY.
OBJREF = MEOW + struct.pack("<I", 1) + IID_IPERSIST_LE + STD_FIELDS + bytes(4)
assert len(OBJREF) == 68


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def assert_one_line_error(rc: int, out: str, err: str) -> str:
    assert rc == 2
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("ole32_bindings: error: ")
    assert "Traceback" not in err
    return err


# ------------------------------------------------------------------------------------------------------ hresult


def test_hresult_text(capsys):
    rc, out, err = run(capsys, "hresult", "0x80004002")
    assert rc == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "0x80004002  E_NOINTERFACE"
    assert "  severity  FAILURE" in lines
    assert any(line.startswith("  cause     ") for line in lines)


@pytest.mark.parametrize("spelling", ["0x80004002", "80004002", "-2147467262", "2147500034", "E_NOINTERFACE"])
def test_hresult_json_for_every_spelling(capsys, spelling):
    rc, out, err = run(capsys, "hresult", spelling, "--json")
    assert rc == 0 and err == ""
    doc = json.loads(out)
    assert doc["schema"] == "ole32-bindings.hresult/1"
    assert doc["hresult"] == "0x80004002" and doc["name"] == "E_NOINTERFACE"
    assert doc["signed"] == -2147467262


def test_hresult_json_before_the_code(capsys):
    rc, out, _ = run(capsys, "hresult", "--json", "RPC_E_WRONG_THREAD")
    assert rc == 0 and json.loads(out)["hresult"] == "0x8001010E"


def test_hresult_unknown_name(capsys):
    err = assert_one_line_error(*run(capsys, "hresult", "E_NOSUCHTHING"))
    assert "unknown HRESULT name 'E_NOSUCHTHING'" in err


def test_hresult_malformed(capsys):
    err = assert_one_line_error(*run(capsys, "hresult", "0x8000400G"))
    assert "not an HRESULT" in err
    err = assert_one_line_error(*run(capsys, "hresult", "99999999999"))
    assert "outside the 32-bit range" in err


def test_hresult_missing_argument(capsys):
    err = assert_one_line_error(*run(capsys, "hresult"))
    assert "CODE" in err and "--help" in err


# ------------------------------------------------------------------------------------------------------- objref


def test_objref_hex_text(capsys):
    rc, out, err = run(capsys, "objref", OBJREF.hex())
    assert rc == 0 and err == ""
    assert out.startswith("68 bytes\n")
    assert "OBJREF_STANDARD" in out and "(IPersist)" in out
    assert "STDOBJREF.cPublicRefs = 5" in out


def test_objref_json(capsys):
    rc, out, err = run(capsys, "objref", "--json", OBJREF.hex(" "))
    assert rc == 0 and err == ""
    doc = json.loads(out)
    assert doc["schema"] == "ole32-bindings.objref/1"
    assert doc["size"] == 68 and doc["wrapper"] is None
    assert doc["objref"]["form"] == "standard"
    assert doc["objref"]["iid"]["name"] == "IPersist"
    assert doc["objref"]["std"]["public_refs"] == 5
    assert doc["hex"] == OBJREF.hex()


def test_objref_moniker_and_base64(capsys):
    b64 = base64.b64encode(OBJREF).decode()
    for arg in (f"OBJREF:{b64}:", b64):
        rc, out, _ = run(capsys, "objref", "--json", arg)
        assert rc == 0
        assert json.loads(out)["hex"] == OBJREF.hex()


def test_objref_interface_pointer_wrapper(capsys):
    wrapped = struct.pack("<I", len(OBJREF)) + OBJREF
    rc, out, _ = run(capsys, "objref", "--json", wrapped.hex())
    assert rc == 0
    doc = json.loads(out)
    assert doc["wrapper"] == "MInterfacePointer" and doc["cnt_data"] == 68


def test_objref_at_file_raw_bytes(capsys, tmp_path):
    path = tmp_path / "objref.bin"
    path.write_bytes(OBJREF)
    rc, out, _ = run(capsys, "objref", "--json", f"@{path}")
    assert rc == 0 and json.loads(out)["hex"] == OBJREF.hex()


def test_objref_at_file_text(capsys, tmp_path):
    path = tmp_path / "objref.txt"
    path.write_text("OBJREF:" + base64.b64encode(OBJREF).decode() + ":\n")
    rc, out, _ = run(capsys, "objref", "--json", f"@{path}")
    assert rc == 0 and json.loads(out)["hex"] == OBJREF.hex()
    hexdump = tmp_path / "objref.hex"
    hexdump.write_text(OBJREF[:34].hex(" ") + "\n" + OBJREF[34:].hex(" ") + "\n")
    rc, out, _ = run(capsys, "objref", "--json", f"@{hexdump}")
    assert rc == 0 and json.loads(out)["hex"] == OBJREF.hex()


def test_objref_at_stdin(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(OBJREF)))
    rc, out, _ = run(capsys, "objref", "--json", "@-")
    assert rc == 0 and json.loads(out)["size"] == 68


def test_objref_at_missing_or_empty_file(capsys, tmp_path):
    err = assert_one_line_error(*run(capsys, "objref", f"@{tmp_path / 'nope.bin'}"))
    assert "cannot read" in err and "nope.bin" in err
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    err = assert_one_line_error(*run(capsys, "objref", f"@{empty}"))
    assert "is empty" in err
    err = assert_one_line_error(*run(capsys, "objref", "@"))
    assert "file name" in err


def test_objref_malformed_hex(capsys):
    err = assert_one_line_error(*run(capsys, "objref", "4d454f5"))  # odd number of digits
    assert "input.hex at offset 0" in err and "odd number of hex digits" in err


def test_objref_not_base64(capsys):
    err = assert_one_line_error(*run(capsys, "objref", "not*objref"))
    assert "input.base64 at offset 3" in err


def test_objref_truncated_names_offset_and_field(capsys):
    err = assert_one_line_error(*run(capsys, "objref", OBJREF[:30].hex()))
    assert "STDOBJREF.cPublicRefs at offset 28" in err and "truncated" in err


def test_objref_truncated_file_names_offset_and_field(capsys, tmp_path):
    path = tmp_path / "short.bin"
    path.write_bytes(OBJREF[:50])  # cut inside the IPID
    err = assert_one_line_error(*run(capsys, "objref", f"@{path}"))
    assert "STDOBJREF.ipid at offset 48" in err


def test_objref_bad_signature(capsys):
    err = assert_one_line_error(*run(capsys, "objref", (b"MEOX" + OBJREF[4:]).hex()))
    assert "OBJREF.signature at offset 0" in err


# -------------------------------------------------------------------------------------------------- top level


def test_version(capsys):
    rc, out, _ = run(capsys, "--version")
    assert rc == 0 and out.strip() == f"ole32-bindings {ole32_bindings.__version__}"


def test_help(capsys):
    rc, out, _ = run(capsys, "--help")
    assert rc == 0 and "objref" in out and "hresult" in out


def test_no_command_and_unknown_command(capsys):
    err = assert_one_line_error(*run(capsys))
    assert "a command is required" in err
    err = assert_one_line_error(*run(capsys, "frobnicate"))
    assert "invalid choice" in err and "frobnicate" in err


def test_unknown_option(capsys):
    err = assert_one_line_error(*run(capsys, "hresult", "--yaml", "E_FAIL"))
    assert "--yaml" in err


# ------------------------------------------------------------------------------------------------- as a process


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = PACKAGE_PARENT + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_python_dash_m_process():
    py = [sys.executable, "-m", "ole32_bindings"]
    ok = subprocess.run(
        [*py, "hresult", "0x80004002", "--json"], capture_output=True, text=True, env=_env(), timeout=300
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["name"] == "E_NOINTERFACE"

    bad = subprocess.run([*py, "objref", OBJREF[:30].hex()], capture_output=True, text=True, env=_env(), timeout=300)
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr.strip().splitlines() == [
        "ole32_bindings: error: STDOBJREF.cPublicRefs at offset 28: needs 4 bytes, only 2 left (input truncated)"
    ]


def test_importing_the_cli_loads_no_dll():
    code = (
        "import sys, ole32_bindings.cli, ole32_bindings.__main__; "
        "print(sorted(m for m in sys.modules if m in ('cffi', 'ole32_bindings.dlls', 'ole32_bindings.win32', "
        "'ole32_bindings._ffi', 'ole32_bindings.objref')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
