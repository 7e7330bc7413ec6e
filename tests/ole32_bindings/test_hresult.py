import pickle

import pytest

from ole32_bindings import hresult as H

# (hresult, name, facility, typed class or None)
CODES = [
    (0x80004002, "E_NOINTERFACE", "NULL", H.NoInterfaceError),
    (0x80004003, "E_POINTER", "NULL", H.PointerError),
    (0x80070057, "E_INVALIDARG", "WIN32", H.InvalidArgError),
    (0x8007000E, "E_OUTOFMEMORY", "WIN32", H.OutOfMemoryError),
    (0x80004001, "E_NOTIMPL", "NULL", H.NotImplementedComError),
    (0x80004005, "E_FAIL", "NULL", H.FailError),
    (0x80070005, "E_ACCESSDENIED", "WIN32", H.AccessDeniedError),
    (0x8000FFFF, "E_UNEXPECTED", "NULL", H.UnexpectedError),
    (0x80040110, "CLASS_E_NOAGGREGATION", "ITF", H.NoAggregationError),
    (0x80040111, "CLASS_E_CLASSNOTAVAILABLE", "ITF", H.ClassNotAvailableError),
    (0x80040154, "REGDB_E_CLASSNOTREG", "ITF", H.ClassNotRegisteredError),
    (0x800401F0, "CO_E_NOTINITIALIZED", "ITF", H.NotInitializedError),
    (0x80010106, "RPC_E_CHANGED_MODE", "RPC", H.ChangedModeError),
    (0x8001010E, "RPC_E_WRONG_THREAD", "RPC", H.WrongThreadError),
    (0x80010108, "RPC_E_DISCONNECTED", "RPC", H.DisconnectedError),
    (0x80010105, "RPC_E_SERVERFAULT", "RPC", H.ServerFaultError),
    (0x80010001, "RPC_E_CALL_REJECTED", "RPC", H.CallRejectedError),
    (0x8001011D, "RPC_E_INVALID_OBJREF", "RPC", H.InvalidObjrefError),
    (0x800401FD, "CO_E_OBJNOTCONNECTED", "ITF", H.ObjectNotConnectedError),
    (0x80080005, "CO_E_SERVER_EXEC_FAILURE", "WINDOWS", H.ServerExecFailureError),
    (0x800706BA, "RPC_S_SERVER_UNAVAILABLE", "WIN32", H.ServerUnavailableError),
    (0x80070002, "ERROR_FILE_NOT_FOUND", "WIN32", None),
    (0x80030002, "STG_E_FILENOTFOUND", "STORAGE", None),
    (0x80020009, "DISP_E_EXCEPTION", "DISPATCH", None),
    (0x8002802B, "TYPE_E_ELEMENTNOTFOUND", "DISPATCH", None),
]


@pytest.mark.parametrize("hr,name,facility,cls", CODES)
def test_names_facilities_and_typed_errors(hr, name, facility, cls):
    assert H.name_of(hr) == name
    assert H.name_of(H.to_signed(hr)) == name
    assert H.facility_name(hr) == facility
    err = H.error_from_hresult(H.to_signed(hr))
    assert type(err) is (cls or H.ComError)
    assert isinstance(err, H.ComError)
    assert err.hresult == hr and err.signed == H.to_signed(hr)
    assert err.name == name and err.facility == facility
    assert err.message  # system text where present, the name otherwise
    assert f"0x{hr:08X}" in str(err)
    with pytest.raises(cls or H.ComError):
        H.check(H.to_signed(hr))


def test_unknown_code():
    hr = 0xA0BC1234
    assert H.name_of(hr) is None
    err = H.error_from_hresult(hr)
    assert type(err) is H.ComError and err.name == "0xA0BC1234"
    assert "unknown HRESULT 0xA0BC1234" in err.message or err.message


def test_success_codes_stay_visible():
    assert H.check(0) == H.S_OK
    assert H.check(1) == H.S_FALSE
    assert H.check(0x00040000) == 0x00040000
    with pytest.raises(ValueError):
        H.error_from_hresult(1)


def test_typed_error_defaults_and_pickling():
    e = H.NoInterfaceError(description="no IFoo", source="Foo")
    assert e.hresult == 0x80004002 and "no IFoo" in str(e)
    e2 = pickle.loads(pickle.dumps(e))
    assert type(e2) is H.NoInterfaceError and e2.description == "no IFoo" and e2.source == "Foo"


def test_exception_mapping_at_the_server_edge():
    assert H.hresult_for_exception(H.WrongThreadError()) == 0x8001010E
    assert H.hresult_for_exception(NotImplementedError()) == 0x80004001
    assert H.hresult_for_exception(ValueError()) == 0x80070057
    assert H.hresult_for_exception(MemoryError()) == 0x8007000E
    assert H.hresult_for_exception(RuntimeError()) == 0x80004005


def test_hresult_from_win32_and_fields():
    assert H.hresult_from_win32(1722) == 0x800706BA
    assert H.hresult_from_win32(0) == 0
    assert H.severity_of(0x80004002) == 1 and H.code_of(0x80004002) == 0x4002 and H.facility_of(0x80070005) == 7


@pytest.mark.runtime
def test_messages_come_from_format_message():
    from ole32_bindings import win32

    # FormatMessageW knows Win32 codes under Wine and Windows alike.
    text = win32.format_message(0x80070002)
    assert text and H.message_of(0x80070002) == text
    # A code the system has no text for falls back to the name, never to an empty string.
    assert H.message_of(0xA0BC1234) == "unknown HRESULT 0xA0BC1234"
