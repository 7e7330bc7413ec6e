"""VARIANT conversions, ours against comtypes and pywin32, in one run (pytest-benchmark; `make bench-micro`).

Each group times the same conversion of the same VARIANT by the three libraries:

* ``array-to-list`` / ``list-to-array``: a SAFEARRAY of 1,000 VARIANTs (VT_I4) to a Python sequence, and a list of
  1,000 ints into a VARIANT (VT_ARRAY|VT_VARIANT) with the previous array freed;
* ``bstr-to-str`` / ``str-to-bstr``: a 64-character BSTR (not ASCII);
* ``date-to-datetime`` / ``datetime-to-date``: a VT_DATE.

Ours: ``vtables.variant.to_python`` and ``clear`` + ``write``. comtypes: ``comtypes.automation.VARIANT`` over the
same memory (``from_address(...).value``) and its ``value`` setter (which clears what the VARIANT held, then
converts). pywin32: pythoncom's own converters, reached through its universal gateway (``_univgw.ReadFromInTuple``
with a VT_VARIANT argument is PyCom_PyObjectFromVariant; ``WriteFromOutTuple`` with VT_VARIANT|VT_BYREF is
VariantClear + PyCom_VariantFromPyObject), so no IDispatch call is timed. Every benchmark checks its result.
`make test` runs each once with benchmarking disabled.
"""

from __future__ import annotations

import datetime as dt
import sys

import pytest

pytestmark = pytest.mark.runtime

N = 1000
INTS = list(range(-N // 2, N // 2))
TEXT = "Automation strings: h\u00e9llo w\u00f6rld \u20ac \u00e6\u00f8\u00e5 \u03b1\u03b2\u03b3 \u4e2d\u6587 0123456789"
DATE = dt.datetime(2024, 5, 6, 6, 0, 0)  # a DATE that a binary double holds exactly (45418.25)


@pytest.fixture(scope="module")
def libs():
    """ffi, our module, comtypes' VARIANT, pythoncom's gateway (imported joining the MTA, like the test thread)."""
    from ole32_bindings import apartments

    apartments.co_initialize()
    sys.coinit_flags = 0  # comtypes and pythoncom join COM on import: the MTA
    import comtypes.automation
    import pythoncom

    from ole32_bindings.dlls import ffi
    from vtables import variant

    yield ffi, variant, comtypes.automation.VARIANT, pythoncom
    apartments.co_uninitialize()


class Slot:
    """A VARIANT of ours, with the address forms the three libraries take."""

    def __init__(self, libs, value=None):
        ffi, V, _, pythoncom = libs
        self.V = V
        self.p = ffi.new("VARIANT *")
        self.address = int(ffi.cast("uintptr_t", self.p))
        self.arg = ffi.new("void **", self.p)  # an argument block holding the VARIANT *, for pythoncom
        self.arg_address = int(ffi.cast("uintptr_t", self.arg))
        self.read_types = ((pythoncom.VT_VARIANT, 0, 8),)
        self.write_types = ((pythoncom.VT_VARIANT | pythoncom.VT_BYREF, 0, 8, None),)
        if value is not None:
            V.write(self.p, value)

    def close(self):
        self.V.clear(self.p)


@pytest.fixture
def slot(libs):
    made = []

    def make(value=None):
        s = Slot(libs, value)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


# ---- reading ---------------------------------------------------------------------------------------------------


def _read_ours(libs, s):
    to_python = libs[1].to_python
    p = s.p
    return lambda: to_python(p)


def _read_comtypes(libs, s):
    view = libs[2].from_address(s.address)  # a view of our VARIANT (comtypes does not own it)
    return lambda: view.value


def _read_pywin32(libs, s):
    read = libs[3]._univgw.ReadFromInTuple
    types, address = s.read_types, s.arg_address
    return lambda: read(types, address)[0]


READERS = {"ours": _read_ours, "comtypes": _read_comtypes, "pywin32": _read_pywin32}


def _naive(value):
    return value.replace(tzinfo=None) if isinstance(value, dt.datetime) else value


@pytest.mark.parametrize("lib", READERS)
@pytest.mark.benchmark(group="array-to-list")
def test_array_of_variants_to_list(benchmark, libs, slot, lib):
    s = slot(INTS)
    result = benchmark(READERS[lib](libs, s))
    assert list(result) == INTS
    benchmark.extra_info.update(elements=N, library=lib)


@pytest.mark.parametrize("lib", READERS)
@pytest.mark.benchmark(group="bstr-to-str")
def test_bstr_to_str(benchmark, libs, slot, lib):
    s = slot(TEXT)
    assert benchmark(READERS[lib](libs, s)) == TEXT


@pytest.mark.parametrize("lib", READERS)
@pytest.mark.benchmark(group="date-to-datetime")
def test_date_to_datetime(benchmark, libs, slot, lib):
    s = slot(DATE)
    assert s.p.date == 45418.25
    assert _naive(benchmark(READERS[lib](libs, s))) == DATE


# ---- writing (the previous value freed each time) --------------------------------------------------------------


def _write_ours(libs, s, value):
    V = libs[1]
    clear, write, p = V.clear, V.write, s.p

    def run():
        clear(p)
        write(p, value)

    return run


def _write_comtypes(libs, s, value):
    view = libs[2].from_address(s.address)

    def run():
        view.value = value  # VariantClear, then the conversion

    return run


def _write_pywin32(libs, s, value):
    write = libs[3]._univgw.WriteFromOutTuple
    values, types, address = (value,), s.write_types, s.arg_address

    def run():
        write(values, types, address)  # VariantClear, then PyCom_VariantFromPyObject

    return run


WRITERS = {"ours": _write_ours, "comtypes": _write_comtypes, "pywin32": _write_pywin32}


def _check_written(libs, s, vt, expected):
    """What the library wrote, read back by oleaut32-independent means: the vt, and our reading."""
    assert s.p.vt == vt
    assert _naive(libs[1].to_python(s.p)) == expected


@pytest.mark.parametrize("lib", WRITERS)
@pytest.mark.benchmark(group="list-to-array")
def test_list_to_array_of_variants(benchmark, libs, slot, lib):
    s = slot()
    benchmark(WRITERS[lib](libs, s, INTS))
    _check_written(libs, s, 0x2000 | 12, INTS)  # VT_ARRAY|VT_VARIANT
    benchmark.extra_info.update(elements=N, library=lib)


@pytest.mark.parametrize("lib", WRITERS)
@pytest.mark.benchmark(group="str-to-bstr")
def test_str_to_bstr(benchmark, libs, slot, lib):
    s = slot()
    benchmark(WRITERS[lib](libs, s, TEXT))
    _check_written(libs, s, 8, TEXT)


@pytest.mark.parametrize("lib", WRITERS)
@pytest.mark.benchmark(group="datetime-to-date")
def test_datetime_to_date(benchmark, libs, slot, lib):
    s = slot()
    benchmark(WRITERS[lib](libs, s, DATE))
    _check_written(libs, s, 7, DATE)
    assert s.p.date == 45418.25
