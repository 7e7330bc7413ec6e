"""explain_hresult: parsing every accepted spelling, the decoded fields, causes, JSON and text forms."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import ole32_bindings
from ole32_bindings import hresult as H
from ole32_bindings.explain_hresult import CAUSES, JSON_SCHEMA_ID, explain_hresult, parse_hresult

ON_WINDOWS = sys.platform == "win32"

#: Every code the brief promises a cause for, by name, with its value (from winerror.h).
REQUIRED_CAUSES = {
    "E_NOINTERFACE": 0x80004002,
    "E_POINTER": 0x80004003,
    "E_INVALIDARG": 0x80070057,
    "E_OUTOFMEMORY": 0x8007000E,
    "E_NOTIMPL": 0x80004001,
    "E_FAIL": 0x80004005,
    "E_ACCESSDENIED": 0x80070005,
    "E_UNEXPECTED": 0x8000FFFF,
    "CLASS_E_NOAGGREGATION": 0x80040110,
    "CLASS_E_CLASSNOTAVAILABLE": 0x80040111,
    "REGDB_E_CLASSNOTREG": 0x80040154,
    "CO_E_NOTINITIALIZED": 0x800401F0,
    "RPC_E_CHANGED_MODE": 0x80010106,
    "RPC_E_WRONG_THREAD": 0x8001010E,
    "RPC_E_DISCONNECTED": 0x80010108,
    "RPC_E_SERVERFAULT": 0x80010105,
    "RPC_E_CALL_REJECTED": 0x80010001,
    "RPC_E_INVALID_OBJREF": 0x8001011D,
    "CO_E_OBJNOTCONNECTED": 0x800401FD,
    "CO_E_SERVER_EXEC_FAILURE": 0x80080005,
    "RPC_S_SERVER_UNAVAILABLE": 0x800706BA,
    "RPC_S_CALL_FAILED": 0x800706BE,
    "CO_E_SERVER_STOPPING": 0x80080008,
    "RPC_E_CANTCALLOUT_ININPUTSYNCCALL": 0x8001010D,
    "TYPE_E_LIBNOTREGISTERED": 0x8002801D,
    "DISP_E_EXCEPTION": 0x80020009,
    "E_ABORT": 0x80004004,
    "CO_E_CLASSSTRING": 0x800401F3,
    "REGDB_E_IIDNOTREG": 0x80040155,
    "RPC_E_TOO_LATE": 0x80010119,
    "S_FALSE": 0x00000001,
}


@pytest.mark.parametrize(
    "text, value",
    [
        ("0x80004002", 0x80004002),
        ("0X80004002", 0x80004002),
        ("  0x80004002\n", 0x80004002),
        ("80004002", 0x80004002),  # 8 bare digits: hex, the way HRESULTs are printed
        ("8007000e", 0x8007000E),  # letters: hex
        ("-2147467262", 0x80004002),  # signed decimal (C's LONG)
        ("2147500034", 0x80004002),  # unsigned decimal
        ("1", 1),
        ("0x1", 1),
        ("E_NOINTERFACE", 0x80004002),
        ("e_nointerface", 0x80004002),  # names in any case
        ("S_FALSE", 1),
        ("RPC_S_SERVER_UNAVAILABLE", 0x800706BA),  # a Win32 name, through HRESULT_FROM_WIN32
        ("ERROR_ACCESS_DENIED", 0x80070005),
        ("CO_E_SERVER_STOPPING", 0x80080008),
    ],
)
def test_parse_text_forms(text, value):
    assert parse_hresult(text) == value
    assert explain_hresult(text).hresult == value


def test_parse_ints():
    assert parse_hresult(-2147467262) == 0x80004002
    assert parse_hresult(0x80004002) == 0x80004002
    assert parse_hresult(0) == 0
    assert parse_hresult(-0x80000000) == 0x80000000
    assert parse_hresult(0xFFFFFFFF) == 0xFFFFFFFF


@pytest.mark.parametrize(
    "bad, words",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("0x", "not an HRESULT"),
        ("0x123456789", "not an HRESULT"),  # 9 hex digits
        ("80004002A", "more than 8 hex digits"),
        ("0xZZ", "not an HRESULT"),
        ("4294967296", "outside the 32-bit range"),
        ("-2147483649", "outside the 32-bit range"),
        ("E_NOSUCHTHING", "unknown HRESULT name 'E_NOSUCHTHING'"),
        ("E_NOINTERFCE", "did you mean E_NOINTERFACE?"),
        ("E NOINTERFACE", "not an HRESULT"),
        ("1.5", "not an HRESULT"),
    ],
)
def test_bad_text_is_a_one_line_value_error(bad, words):
    with pytest.raises(ValueError) as info:
        explain_hresult(bad)
    message = str(info.value)
    assert words in message
    assert "\n" not in message


@pytest.mark.parametrize("bad", [2**32, -(2**31) - 1, True, 1.0, None, b"0x1"])
def test_bad_values_raise_value_error(bad):
    with pytest.raises(ValueError):
        explain_hresult(bad)


def test_fields_of_e_nointerface():
    x = explain_hresult(0x80004002)
    assert x.hresult == 0x80004002 and x.signed == -2147467262
    assert x.name == "E_NOINTERFACE"
    assert x.severity == "FAILURE" and not x.customer
    assert (x.facility, x.facility_name) == (0, "FACILITY_NULL")
    assert x.code == 0x4002
    assert x.win32_error is None and x.win32_name is None
    assert x.cause == CAUSES[0x80004002] and "QueryInterface" in x.cause
    assert x.message == H.message_of(0x80004002)


def test_facility_win32_carries_the_win32_error():
    x = explain_hresult("0x800706BA")
    assert x.name == "RPC_S_SERVER_UNAVAILABLE"
    assert (x.facility, x.facility_name) == (7, "FACILITY_WIN32")
    assert (x.win32_error, x.win32_name) == (1722, "RPC_S_SERVER_UNAVAILABLE")
    y = explain_hresult("E_ACCESSDENIED")
    assert (y.win32_error, y.win32_name) == (5, "ERROR_ACCESS_DENIED")
    assert y.name == "E_ACCESSDENIED"  # the HRESULT name wins over the Win32 one


def test_facility_names_for_rpc_dispatch_itf_and_unknown():
    assert explain_hresult("RPC_E_WRONG_THREAD").facility_name == "FACILITY_RPC"
    assert explain_hresult("DISP_E_EXCEPTION").facility_name == "FACILITY_DISPATCH"
    assert explain_hresult("REGDB_E_CLASSNOTREG").facility_name == "FACILITY_ITF"
    x = explain_hresult(0x80FF0001)
    assert (x.facility, x.facility_name) == (0xFF, "FACILITY_255")


@pytest.mark.parametrize("name, value", sorted(REQUIRED_CAUSES.items()))
def test_required_causes_present_and_concise(name, value):
    x = explain_hresult(name)
    assert x.hresult == value
    assert x.name == name
    assert x.cause and x.cause == CAUSES[value]
    assert "\n" not in x.cause and len(x.cause) <= 240


def test_causes_are_distinct():
    assert len(set(CAUSES.values())) == len(CAUSES)


def test_success_codes():
    s_ok = explain_hresult(0)
    assert (s_ok.name, s_ok.severity, s_ok.cause) == ("S_OK", "SUCCESS", None)
    s_false = explain_hresult("S_FALSE")
    assert s_false.severity == "SUCCESS" and "S_FALSE is success" in s_false.cause


def test_unknown_and_customer_codes():
    x = explain_hresult(0xA0BC1234)  # failure + customer bit, no name anywhere
    assert x.name is None and x.customer and x.cause is None
    assert any("customer bit" in n for n in x.notes)
    if not ON_WINDOWS:
        assert (x.message, x.message_source) == ("unknown HRESULT 0xA0BC1234", "none")


def test_s_false_message_is_never_the_win32_text_for_1():
    # FormatMessageW(1) is ERROR_INVALID_FUNCTION's text; S_FALSE must not be explained with it.
    x = explain_hresult("S_FALSE")
    assert (x.message, x.message_source) == ("S_FALSE", "name")
    assert any("ERROR_INVALID_FUNCTION" in n for n in x.notes)


def test_small_success_value_notes_the_win32_reading():
    x = explain_hresult(5)
    assert x.severity == "SUCCESS"
    assert any("ERROR_ACCESS_DENIED" in n and "0x80070005" in n for n in x.notes)


def test_message_falls_back_to_the_name_without_a_runtime():
    if ON_WINDOWS:  # under the runtime the system text wins (see the runtime test below)
        assert explain_hresult("E_NOTIMPL").message_source == "system"
    else:
        x = explain_hresult("E_NOTIMPL")
        assert (x.message, x.message_source) == ("E_NOTIMPL", "name")


def test_to_json_schema_and_round_trip():
    x = explain_hresult("RPC_S_CALL_FAILED")
    doc = json.loads(json.dumps(x.to_json()))
    assert doc["schema"] == JSON_SCHEMA_ID == "ole32-bindings.hresult/1"
    assert doc["hresult"] == "0x800706BE"
    assert doc["unsigned"] == 0x800706BE and doc["signed"] == H.to_signed(0x800706BE)
    assert doc["name"] == "RPC_S_CALL_FAILED" and doc["severity"] == "FAILURE" and doc["customer"] is False
    assert doc["facility"] == {"number": 7, "name": "FACILITY_WIN32"}
    assert doc["code"] == 1726
    assert doc["win32"] == {"code": 1726, "name": "RPC_S_CALL_FAILED"}
    assert doc["cause"] == CAUSES[0x800706BE]
    assert doc["message_source"] in ("system", "name") and doc["message"]
    assert doc["notes"] == []
    assert set(doc) == {
        "schema",
        "hresult",
        "unsigned",
        "signed",
        "name",
        "severity",
        "customer",
        "facility",
        "code",
        "message",
        "message_source",
        "win32",
        "cause",
        "notes",
    }
    assert explain_hresult("E_FAIL").to_json()["win32"] is None


def test_render_text():
    text = explain_hresult("-2147467262").render_text()
    lines = text.splitlines()
    assert lines[0] == "0x80004002  E_NOINTERFACE"
    assert "  signed    -2147467262" in lines
    assert "  facility  0 (FACILITY_NULL)" in lines
    assert "  code      0x4002 (16386)" in lines
    assert any(line.startswith("  cause     QueryInterface") for line in lines)
    w = explain_hresult("0x800706BA").render_text()
    assert "  win32     1722 (RPC_S_SERVER_UNAVAILABLE)" in w.splitlines()
    assert explain_hresult(0xA0BC1234).render_text().startswith("0xA0BC1234  (no name)")


def test_importing_loads_no_dll():
    # The explainer is table-driven; only message_of may load the runtime, and only on Windows.
    code = (
        "import sys, ole32_bindings.explain_hresult as e; "
        "print(sorted(m for m in ('ole32_bindings.dlls', 'ole32_bindings.win32', 'ole32_bindings._ffi') "
        "if m in sys.modules))"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(os.path.abspath(ole32_bindings.__file__)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.runtime
def test_message_comes_from_format_message_under_the_runtime():
    from ole32_bindings import win32

    system = win32.format_message(0x80070005)
    assert system  # Windows and Wine both have text for ERROR_ACCESS_DENIED
    x = explain_hresult("E_ACCESSDENIED")
    assert x.message == system
    assert x.message_source == "system"
    assert x.message != "E_ACCESSDENIED"
    assert x.to_json()["message"] == system
