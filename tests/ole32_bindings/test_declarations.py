"""The C declarations describe the Windows x64 ABI wherever they are parsed (Linux included)."""

import cffi
import pytest

from ole32_bindings import _declarations

SIZES = {
    "GUID": 16,
    "MSG": 48,
    "VARIANT": 24,
    "TYPEDESC": 16,
    "ELEMDESC": 32,
    "FUNCDESC": 88,
    "TYPEATTR": 96,
    "COSERVERINFO": 32,
    "MULTI_QI": 24,
    "TLIBATTR": 32,
    "EXCEPINFO": 64,
    "DISPPARAMS": 24,
    "STATSTG": 80,
    "DECIMAL": 16,
    "CY": 8,
    "SAFEARRAY": 32,
    "SAFEARRAYBOUND": 8,
    "SYSTEMTIME": 16,
}


@pytest.fixture(scope="module")
def ffi():
    f = cffi.FFI()
    f.cdef(_declarations.full_cdef())
    return f


@pytest.mark.parametrize("name,size", sorted(SIZES.items()))
def test_struct_sizes_match_x64_windows(ffi, name, size):
    assert ffi.sizeof(name) == size


def test_variant_members_overlay_as_in_oaidl(ffi):
    """The value members start after vt and the three reserved words; DECIMAL covers the whole VARIANT, its
    wReserved being the VARIANT's vt."""
    assert ffi.offsetof("VARIANT", "vt") == 0
    for member in ("llVal", "lVal", "cyVal", "date", "bstrVal", "parray", "pvarVal", "byref", "ullVal", "brecVal"):
        assert ffi.offsetof("VARIANT", member) == 8, member
    assert ffi.offsetof("VARIANT", "decVal") == 0
    decimal = {"wReserved": 0, "scale": 2, "sign": 3, "Hi32": 4, "Lo64": 8, "Lo32": 8, "Mid32": 12}
    assert {f: ffi.offsetof("DECIMAL", f) for f in decimal} == decimal
    safearray = {"cDims": 0, "fFeatures": 2, "cbElements": 4, "cLocks": 8, "pvData": 16, "rgsabound": 24}
    assert {f: ffi.offsetof("SAFEARRAY", f) for f in safearray} == safearray
    assert ffi.offsetof("CY", "Hi") == 4


def test_function_names_per_dll():
    names = {m.DLL: _declarations.function_names(m.CDEF) for m in _declarations.DLL_MODULES}
    assert "CoInitializeEx" in names["ole32.dll"] and "CreateTypeLib2" in names["oleaut32.dll"]
    assert "GetMessageW" in names["user32.dll"] and "RegDeleteTreeW" in names["advapi32.dll"]
    flat = [n for v in names.values() for n in v]
    assert len(flat) == len(set(flat)) and len(flat) > 90


def test_process_metrics_structures_have_the_x64_layout():
    f = cffi.FFI()
    f.cdef(_declarations.full_cdef())
    assert (
        f.sizeof("PROCESS_MEMORY_COUNTERS_EX") == 80 and f.offsetof("PROCESS_MEMORY_COUNTERS_EX", "PrivateUsage") == 72
    )
    assert f.sizeof("THREADENTRY32") == 28
    assert f.sizeof("SYSTEM_HANDLE_ENTRY") == 24 and f.offsetof("SYSTEM_HANDLE_INFORMATION", "Handle") == 8
