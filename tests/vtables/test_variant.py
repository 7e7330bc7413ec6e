"""VARIANT <-> Python under the COM runtime (vtables.variant): every Automation type both ways, by reference, in
SAFEARRAYs (1-D, N-D, any lower bounds, typed and of VARIANT), ownership proved with an IMallocSpy, values checked
against oleaut32's own conversions, and bad input (item 6 of issue 12)."""

from __future__ import annotations

import datetime as dt
import gc
import logging
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ole32_bindings import oavalues as oa
from ole32_bindings.oavalues import (
    VT_ARRAY,
    VT_BOOL,
    VT_BSTR,
    VT_BYREF,
    VT_CY,
    VT_DATE,
    VT_DECIMAL,
    VT_DISPATCH,
    VT_EMPTY,
    VT_ERROR,
    VT_I1,
    VT_I2,
    VT_I4,
    VT_I8,
    VT_INT,
    VT_NULL,
    VT_R4,
    VT_R8,
    VT_UI1,
    VT_UI2,
    VT_UI4,
    VT_UI8,
    VT_UINT,
    VT_UNKNOWN,
    VT_VARIANT,
    ErrorValue,
    Missing,
    Null,
    Variant,
)

pytestmark = pytest.mark.runtime

EN_US = 0x0409
E_INVALIDARG = 0x80070057
E_POINTER = 0x80004003
DISP_E_BADVARTYPE = 0x80020008
DISP_E_OVERFLOW = 0x8002000A
DISP_E_TYPEMISMATCH = 0x80020005
DISP_E_ARRAYISLOCKED = 0x8002000D
E_NOINTERFACE = 0x80004002


# ---- helpers ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rt():
    """The bindings' ffi, the functions the tests call directly, and the module under test."""
    from types import SimpleNamespace

    from ole32_bindings.dlls import ffi, function
    from vtables import variant

    names = [
        "VariantChangeTypeEx",
        "VariantCopy",
        "VariantClear",
        "SafeArrayCreate",
        "SafeArrayDestroy",
        "SafeArrayPutElement",
        "SafeArrayGetElement",
        "SafeArrayGetLBound",
        "SafeArrayGetUBound",
        "SafeArrayGetDim",
        "SafeArrayGetVartype",
        "SafeArrayAllocDescriptorEx",
        "SafeArrayDestroyDescriptor",
        "SafeArrayLock",
        "SafeArrayUnlock",
        "SysAllocStringByteLen",
        "SysAllocStringLen",
        "SysStringLen",
        "SysStringByteLen",
        "SysFreeString",
        "VarDateFromStr",
        "VarCyFromStr",
        "VarDecFromStr",
        "VariantTimeToSystemTime",
        "SystemTimeToVariantTime",
    ]
    return SimpleNamespace(ffi=ffi, V=variant, **{n: function(n) for n in names})


def new_variant(rt):
    return rt.ffi.new("VARIANT *")


def as_text(rt, pvar):
    """oleaut32's own text of a VARIANT (VariantChangeTypeEx to VT_BSTR, en-US), read back."""
    out = new_variant(rt)
    hr = rt.VariantChangeTypeEx(out, pvar, EN_US, 0, VT_BSTR)
    assert hr == 0, hex(hr & 0xFFFFFFFF)
    try:
        return rt.V.to_python(out)
    finally:
        rt.V.clear(out)


def written(rt, value):
    p = new_variant(rt)
    rt.V.write(p, value)
    return p


def _classes():
    from ole32_bindings.hresult import to_signed
    from vtables import ComObject
    from vtables.interfaces import IDispatch, IPersist

    E_NOTIMPL = to_signed(0x80004001)

    class Persist(ComObject, implements=[IPersist]):
        def GetClassID(self):
            from ole32_bindings.guid import Guid

            return Guid("{6C0A53B4-6A3E-4E8B-9E55-2C1AF3E2F101}")

    class Disp(ComObject, implements=[IDispatch]):
        def GetTypeInfoCount(self):
            return 0

        def GetTypeInfo(self, i, lcid):
            raise NotImplementedError

        def GetIDsOfNames(self, riid, names, count, lcid, ids):
            return E_NOTIMPL

        def Invoke(self, dispid, riid, lcid, flags, params, result, excepinfo, argerr):
            return E_NOTIMPL

    return Persist, Disp


@pytest.fixture(scope="module")
def objects():
    return _classes()


# ---- scalars: Python -> VARIANT -> Python --------------------------------------------------------------------

SCALARS = [
    # (value written, vt expected, Python value read back)
    (None, VT_EMPTY, None),
    (Null, VT_NULL, Null),
    (True, VT_BOOL, True),
    (False, VT_BOOL, False),
    (0, VT_I4, 0),
    (-(2**31), VT_I4, -(2**31)),
    (2**31 - 1, VT_I4, 2**31 - 1),
    (2**31, VT_I8, 2**31),
    (-(2**63), VT_I8, -(2**63)),
    (1.5, VT_R8, 1.5),
    (-0.0, VT_R8, -0.0),
    ("", VT_BSTR, ""),
    ("a\x00b\x00", VT_BSTR, "a\x00b\x00"),
    ("x\U0001f600y\u20ac", VT_BSTR, "x\U0001f600y\u20ac"),
    ("lone \ud800 surrogate", VT_BSTR, "lone \ud800 surrogate"),  # UTF-16 that is not Unicode: kept as is
    (dt.datetime(1899, 12, 29, 6), VT_DATE, dt.datetime(1899, 12, 29, 6)),
    (dt.datetime(1800, 1, 2, 3, 4, 5, 678000), VT_DATE, dt.datetime(1800, 1, 2, 3, 4, 5, 678000)),
    (dt.date(2024, 2, 29), VT_DATE, dt.datetime(2024, 2, 29)),
    (Decimal("-12.345"), VT_DECIMAL, Decimal("-12.345")),
    (Decimal("79228162514264337593543950335"), VT_DECIMAL, Decimal("79228162514264337593543950335")),
    (Decimal("1E-28"), VT_DECIMAL, Decimal("1E-28")),
    (ErrorValue(0x80004005), VT_ERROR, ErrorValue(0x80004005)),
    (Missing, VT_ERROR, Missing),
]


@pytest.mark.parametrize("value,vt,back", SCALARS, ids=[repr(s[0])[:30] for s in SCALARS])
def test_python_values_are_written_with_their_natural_vt_and_read_back(rt, value, vt, back):
    p = written(rt, value)
    try:
        assert p.vt == vt
        got = rt.V.to_python(p)
        assert got == back and type(got) is type(back)
        typed = rt.V.to_typed(p)
        assert typed.vt == vt and typed.value == back
        assert rt.V.to_python(p) == back  # reading borrowed: the VARIANT is unchanged
    finally:
        rt.V.clear(p)
    assert p.vt == VT_EMPTY


def test_what_is_written_is_the_binary_automation_defines(rt):
    p = written(rt, True)
    assert p.boolVal == -1  # VARIANT_TRUE
    p = written(rt, "a\x00\U0001f600")
    try:
        assert rt.SysStringLen(p.bstrVal) == 4 and rt.SysStringByteLen(p.bstrVal) == 8  # a NUL, a surrogate pair
        assert bytes(rt.ffi.buffer(p.bstrVal, 10)) == "a\x00\U0001f600".encode("utf-16-le") + b"\x00\x00"
    finally:
        rt.V.clear(p)
    p = written(rt, Decimal("-1.5"))
    assert (p.decVal.wReserved, p.decVal.scale, p.decVal.sign, p.decVal.Hi32, p.decVal.Lo64) == (
        VT_DECIMAL,
        1,
        0x80,
        0,
        15,
    )
    p = written(rt, dt.datetime(1899, 12, 28, 12))
    assert p.date == -2.5
    p = written(rt, Missing)
    assert p.scode == -2147352572  # DISP_E_PARAMNOTFOUND


TYPED = [
    (VT_I1, -128),
    (VT_UI1, 255),
    (VT_I2, -32768),
    (VT_UI2, 65535),
    (VT_I4, 2**31 - 1),
    (VT_UI4, 2**32 - 1),
    (VT_INT, -5),
    (VT_UINT, 4000000000),
    (VT_I8, -(2**63)),
    (VT_UI8, 2**64 - 1),
    (VT_R4, 1.5),
    (VT_R8, 2.25),
    (VT_CY, Decimal("-922337203685477.5808")),
    (VT_DATE, dt.datetime(1700, 7, 4, 23, 59, 59, 999000)),
    (VT_BSTR, "typed \U00010348"),
    (VT_BOOL, True),
    (VT_ERROR, ErrorValue(0x8002000E)),
    (VT_DECIMAL, Decimal("-0.0000000000000000000000000001")),
    (VT_EMPTY, None),
    (VT_NULL, Null),
]


@pytest.mark.parametrize("vt,value", TYPED, ids=[oa.vt_name(t[0]) for t in TYPED])
def test_variant_values_keep_their_vt_both_ways(rt, vt, value):
    p = written(rt, Variant(vt, value))
    try:
        assert p.vt == vt
        assert rt.V.to_typed(p) == Variant(vt, value)
        assert rt.V.to_python(p) == value
        q = written(rt, rt.V.to_typed(p))  # the exact reading writes the same VARIANT back
        try:
            assert bytes(rt.ffi.buffer(q, 16)) == bytes(rt.ffi.buffer(p, 16)) or vt == VT_BSTR
            assert rt.V.to_typed(q) == Variant(vt, value)
        finally:
            rt.V.clear(q)
    finally:
        rt.V.clear(p)


@pytest.mark.parametrize(
    "value,error",
    [
        (Variant(VT_UI1, 256), OverflowError),
        (Variant(VT_I1, -129), OverflowError),
        (Variant(VT_UI8, -1), OverflowError),
        (Variant(VT_I2, "1"), TypeError),
        (Variant(VT_I4, 1.5), TypeError),
        (Variant(VT_R4, 1e39), OverflowError),
        (Variant(VT_CY, Decimal("1E20")), OverflowError),
        (Variant(VT_BSTR, 5), TypeError),
        (Variant(VT_DATE, "2020-01-01"), TypeError),
        (Variant(VT_DECIMAL, Decimal("1E+30")), OverflowError),
        (2**63, OverflowError),
        (object(), TypeError),
        ({1: 2}, TypeError),
        (dt.datetime(2020, 1, 1, tzinfo=dt.UTC), ValueError),
        (dt.datetime(50, 1, 1), OverflowError),
    ],
)
def test_unconvertible_values_raise_and_write_nothing(rt, value, error):
    p = new_variant(rt)
    with pytest.raises(error) as info:
        rt.V.write(p, value)
    assert p.vt == VT_EMPTY
    if error is TypeError and not isinstance(value, Variant):
        assert type(value).__name__ in str(info.value)  # the message names the type


def test_cross_check_against_oleaut32_text(rt):
    """What we write is what oleaut32 reads: its own VT_BSTR conversion of our VARIANTs."""
    cases = [
        (dt.datetime(1899, 12, 29, 6), "12/29/1899 6:00:00 AM"),  # -1.25: the negative-fraction rule
        (dt.datetime(1899, 12, 28, 12), "12/28/1899 12:00:00 PM"),  # -2.5
        (dt.datetime(1899, 12, 30, 6), "6:00:00 AM"),  # 0.25: day 0 has no date part
        (dt.datetime(1800, 1, 2, 3, 4, 5), "1/2/1800 3:04:05 AM"),
        (dt.datetime(9999, 12, 31, 23, 59, 59), "12/31/9999 11:59:59 PM"),
        (Variant(VT_CY, Decimal("-12.3456")), "-12.3456"),
        (Variant(VT_CY, Decimal("922337203685477.5807")), "922337203685477.5807"),
        (Decimal("-79228162514264337593543950335"), "-79228162514264337593543950335"),
        (Decimal("1E-28"), "0.0000000000000000000000000001"),
        (Variant(VT_UI8, 2**64 - 1), "18446744073709551615"),
        (Variant(VT_I1, -128), "-128"),
        (True, "-1"),
        (Variant(VT_R4, 1.5), "1.5"),
        ("a\x00b", "a\x00b"),
    ]
    for value, text in cases:
        p = written(rt, value)
        try:
            assert as_text(rt, p) == text, value
        finally:
            rt.V.clear(p)


def test_cross_check_values_made_by_oleaut32(rt):
    """oleaut32 parses text into DATE/CY/DECIMAL; we read its binary."""
    d = rt.ffi.new("DATE *")
    for text, expected in [
        ("12/29/1899 06:00:00", dt.datetime(1899, 12, 29, 6)),
        ("12/28/1899 12:00", dt.datetime(1899, 12, 28, 12)),
        ("1/2/1800 3:04:05", dt.datetime(1800, 1, 2, 3, 4, 5)),
        ("2/29/2024 23:59:59", dt.datetime(2024, 2, 29, 23, 59, 59)),
    ]:
        assert rt.VarDateFromStr(text, EN_US, 0, d) == 0
        p = written(rt, Variant(VT_DATE, d[0]))  # the DATE oleaut32 made, as is
        assert rt.V.to_python(p) == expected
    cy = rt.ffi.new("CY *")
    assert rt.VarCyFromStr("-1234.5678", EN_US, 0, cy) == 0
    p = new_variant(rt)
    p.vt, p.cyVal = VT_CY, cy[0]
    assert rt.V.to_python(p) == Decimal("-1234.5678")
    dec = rt.ffi.new("DECIMAL *")
    assert rt.VarDecFromStr("-0.0000000000000000000000000001", EN_US, 0, dec) == 0
    p = new_variant(rt)
    rt.ffi.memmove(p, dec, 16)
    p.vt = VT_DECIMAL
    assert rt.V.to_python(p) == Decimal("-1E-28")


@settings(max_examples=60, deadline=None)
@given(st.datetimes(min_value=dt.datetime(100, 1, 2), max_value=dt.datetime(9999, 12, 30)))
def test_dates_agree_with_oleaut32_system_time(rt, value):
    """Our DATE, split by oleaut32 (VariantTimeToSystemTime, which rounds to the second), is our datetime; and
    oleaut32's DATE of a whole-second time reads back as that time."""
    value = value.replace(microsecond=value.microsecond // 1000 * 1000)
    if value.microsecond == 500_000:
        value = value.replace(microsecond=499_000)  # oleaut32 rounds .5 s down, a float hair either way
    st_ = rt.ffi.new("SYSTEMTIME *")
    p = written(rt, value)
    assert rt.VariantTimeToSystemTime(p.date, st_) == 1
    rounded = value.replace(microsecond=0) + dt.timedelta(seconds=1 if value.microsecond > 500_000 else 0)
    assert (st_.wYear, st_.wMonth, st_.wDay, st_.wHour, st_.wMinute, st_.wSecond) == (
        rounded.year,
        rounded.month,
        rounded.day,
        rounded.hour,
        rounded.minute,
        rounded.second,
    )
    whole = value.replace(microsecond=0)
    st_.wYear, st_.wMonth, st_.wDay = whole.year, whole.month, whole.day
    st_.wHour, st_.wMinute, st_.wSecond, st_.wMilliseconds = whole.hour, whole.minute, whole.second, 0
    out = rt.ffi.new("double *")
    assert rt.SystemTimeToVariantTime(st_, out) == 1
    assert oa.datetime_from_date(out[0]) == whole


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.floats(allow_nan=False),
        st.text(),
        st.booleans(),
        st.decimals(min_value=-(10**20), max_value=10**20, places=6),
        st.lists(st.integers(min_value=-(2**31), max_value=2**31 - 1) | st.text(max_size=3), max_size=6),
        st.binary(max_size=40),
    )
)
def test_write_then_read_round_trips(rt, value):
    p = written(rt, value)
    try:
        back = rt.V.to_python(p)
        assert back == value or (isinstance(value, float) and back != back)
        assert rt.V.to_typed(p) == rt.V.to_typed(p)
        q = written(rt, rt.V.to_typed(p))
        try:
            assert rt.V.to_python(q) == back
        finally:
            rt.V.clear(q)
    finally:
        rt.V.clear(p)


# ---- by reference ----------------------------------------------------------------------------------------------

BYREF = [
    (VT_I1, "CHAR *", -3, -3),
    (VT_UI1, "BYTE *", 250, 250),
    (VT_I2, "SHORT *", -300, -300),
    (VT_UI2, "USHORT *", 60000, 60000),
    (VT_I4, "LONG *", -70000, -70000),
    (VT_UI4, "ULONG *", 4000000000, 4000000000),
    (VT_INT, "INT *", 7, 7),
    (VT_UINT, "UINT *", 8, 8),
    (VT_I8, "LONGLONG *", -(2**40), -(2**40)),
    (VT_UI8, "ULONGLONG *", 2**64 - 2, 2**64 - 2),
    (VT_R4, "float *", 0.25, 0.25),
    (VT_R8, "double *", -1e300, -1e300),
    (VT_BOOL, "VARIANT_BOOL *", -1, True),
    (VT_ERROR, "SCODE *", -2147352572, Missing),
    (VT_CY, "LONGLONG *", 123456, Decimal("12.3456")),
    (VT_DATE, "DATE *", -1.25, dt.datetime(1899, 12, 29, 6)),
]


@pytest.mark.parametrize("vt,ctype,raw,value", BYREF, ids=[oa.vt_name(b[0]) for b in BYREF])
def test_byref_values_are_followed(rt, vt, ctype, raw, value):
    storage = rt.ffi.new(ctype, raw)
    p = new_variant(rt)
    p.vt = VT_BYREF | vt
    p.byref = storage
    assert rt.V.to_python(p) == value
    assert rt.V.to_typed(p) == Variant(vt, value)  # followed: no VT_BYREF in the exact reading
    rt.V.clear(p)  # a reference owns nothing: clearing frees nothing
    assert storage[0] == raw


def test_byref_bstr_decimal_variant_array_and_interfaces(rt, objects, mta):
    Persist, Disp = objects
    ffi, V = rt.ffi, rt.V
    bstr = ffi.new("BSTR *", rt.SysAllocStringLen("by\x00ref", 6))
    dec = ffi.new("DECIMAL *")
    ffi.memmove(dec, oa.decimal_to_bytes(Decimal("-7.25")), 16)
    inner = written(rt, Variant(VT_I2, -5))
    arr = ffi.new("SAFEARRAY **", written(rt, [[1, 2], [3, 4]]).parray)
    obj = Persist()
    unk = ffi.new("void **", obj.query_raw(oa_iid("IUnknown")))
    try:
        cases = [
            (VT_BSTR, bstr, "by\x00ref", Variant(VT_BSTR, "by\x00ref")),
            (VT_DECIMAL, dec, Decimal("-7.25"), Variant(VT_DECIMAL, Decimal("-7.25"))),
            (VT_VARIANT, inner, -5, Variant(VT_I2, -5)),
        ]
        for vt, storage, value, typed in cases:
            p = new_variant(rt)
            p.vt, p.byref = VT_BYREF | vt, storage
            assert V.to_python(p) == value and V.to_typed(p) == typed
        p = new_variant(rt)
        p.vt, p.byref = VT_BYREF | VT_ARRAY | VT_VARIANT, arr
        assert V.to_python(p) == [[1, 2], [3, 4]]
        assert V.to_typed(p).vt == VT_ARRAY | VT_VARIANT
        p = new_variant(rt)
        p.vt, p.byref = VT_BYREF | VT_UNKNOWN, unk
        assert obj.com_refcount == 1
        with V.to_python(p) as ptr:
            assert obj.com_refcount == 2 and ptr.interface.__name__ == "IUnknown"
        assert obj.com_refcount == 1
        null = ffi.new("void **")
        p.byref = null
        assert V.to_python(p) is None
        disp = Disp()
        slot = ffi.new("void **", disp.query_raw(oa_iid("IDispatch")))
        p.vt, p.byref = VT_BYREF | VT_DISPATCH, slot
        typed = V.to_typed(p)
        assert typed.vt == VT_DISPATCH and typed.value.interface.__name__ == "IDispatch"
        assert disp.com_refcount == 2
        typed.value.release()
        ffi.cast("IUnknown *", slot[0]).lpVtbl.Release(slot[0])
        assert disp.com_destroyed
    finally:
        rt.SysFreeString(bstr[0])
        V.clear(inner)
        holder = new_variant(rt)
        holder.vt, holder.parray = VT_ARRAY | VT_VARIANT, arr[0]
        V.clear(holder)
        ffi.cast("IUnknown *", unk[0]).lpVtbl.Release(unk[0])
    assert obj.com_destroyed


def oa_iid(name):
    from vtables import interfaces

    return getattr(interfaces, name).iid


def test_write_byref_target_coerces_frees_and_stores(rt, objects, mta):
    from ole32_bindings.hresult import ComError
    from vtables.mallocspy import spying

    Persist, Disp = objects
    ffi, V = rt.ffi, rt.V
    with spying() as spy:
        base = spy.outstanding
        # LONG: VariantChangeType's rules
        n = ffi.new("LONG *", 1)
        p = new_variant(rt)
        p.vt, p.byref = VT_BYREF | VT_I4, n
        V.write_byref_target(p, "12")
        assert n[0] == 12
        V.write_byref_target(p, 2.5)
        assert n[0] == 2  # banker's rounding, as VariantChangeType does
        with pytest.raises(ComError) as info:
            V.write_byref_target(p, 2**40)
        assert info.value.hresult == DISP_E_OVERFLOW and n[0] == 2
        with pytest.raises(ComError) as info:
            V.write_byref_target(p, "twelve")
        assert info.value.hresult == DISP_E_TYPEMISMATCH and n[0] == 2
        # BSTR: the old string is freed, the new one is the caller's
        b = ffi.new("BSTR *", rt.SysAllocStringLen("old", 3))
        p = new_variant(rt)
        p.vt, p.byref = VT_BYREF | VT_BSTR, b
        V.write_byref_target(p, "new\x00text")
        V.write_byref_target(p, 42)  # coerced to text
        assert V.to_python(p) == "42"
        rt.SysFreeString(b[0])
        # DECIMAL keeps its own wReserved
        d = ffi.new("DECIMAL *")
        d.wReserved = 0
        p = new_variant(rt)
        p.vt, p.byref = VT_BYREF | VT_DECIMAL, d
        V.write_byref_target(p, Decimal("-3.5"))
        assert d.wReserved == 0 and V.to_python(p) == Decimal("-3.5")
        # VARIANT: takes any value; the old content is cleared
        target = written(rt, "old content")
        p = new_variant(rt)
        p.vt, p.byref = VT_BYREF | VT_VARIANT, target
        V.write_byref_target(p, [1, "two", [3.0]])
        assert V.to_python(target) == [1, "two", [3.0]]
        with pytest.raises(TypeError):
            V.write_byref_target(p, object())
        assert V.to_python(target) == [1, "two", [3.0]]  # a failure leaves the old value
        V.clear(target)
        # arrays: the old array is destroyed
        arr = ffi.new("SAFEARRAY **", written(rt, Variant(VT_ARRAY | VT_I4, [1, 2])).parray)
        p = new_variant(rt)
        p.vt, p.byref = VT_BYREF | VT_ARRAY | VT_I4, arr
        V.write_byref_target(p, [[5, 6, 7], [8, 9, 10]])
        assert V.to_python(p) == [[5, 6, 7], [8, 9, 10]]
        holder = new_variant(rt)
        holder.vt, holder.parray = VT_ARRAY | VT_I4, arr[0]
        V.clear(holder)
        assert spy.outstanding == base
    # interfaces: the old reference is released, the new one AddRef'd
    a, b2 = Persist(), Disp()
    slot = ffi.new("void **", a.query_raw(oa_iid("IUnknown")))
    p = new_variant(rt)
    p.vt, p.byref = VT_BYREF | VT_UNKNOWN, slot
    V.write_byref_target(p, b2)
    assert a.com_destroyed and b2.com_refcount == 1
    with pytest.raises(ComError) as info:  # VT_DISPATCH from an object without IDispatch: E_NOINTERFACE
        q = new_variant(rt)
        q.vt, q.byref = VT_BYREF | VT_DISPATCH, ffi.new("void **")
        V.write_byref_target(q, Persist())
    assert info.value.hresult == E_NOINTERFACE
    ffi.cast("IUnknown *", slot[0]).lpVtbl.Release(slot[0])
    assert b2.com_destroyed
    with pytest.raises(oa_error("VariantTypeError")):
        V.write_byref_target(written(rt, 5), 6)  # not a reference


def oa_error(name):
    from vtables import variant

    return getattr(variant, name)


# ---- interfaces: exact refcounts --------------------------------------------------------------------------------


def test_our_objects_and_pointers_with_exact_refcounts(rt, objects, mta):
    from vtables.interfaces import IDispatch, IPersist, IUnknown

    Persist, Disp = objects
    V = rt.V
    plain, disp = Persist(), Disp()
    with plain.as_ptr(IPersist) as keep_plain, disp.as_ptr(IUnknown) as keep_disp:
        assert plain.com_refcount == 1 and disp.com_refcount == 1
        for obj, vt in ((plain, VT_UNKNOWN), (disp, VT_DISPATCH)):
            p = written(rt, obj)
            assert p.vt == vt and obj.com_refcount == 2
            got = V.to_python(p)  # a new owned ComPtr
            assert obj.com_refcount == 3
            assert got.interface is (IDispatch if vt == VT_DISPATCH else IUnknown)
            got.release()
            assert obj.com_refcount == 2
            typed = V.to_typed(p)
            assert typed.vt == vt and obj.com_refcount == 3
            typed.value.release()
            V.clear(p)
            assert obj.com_refcount == 1
        # ComPtrs: VT_DISPATCH when the interface derives from IDispatch
        for ptr, vt in ((keep_plain, VT_UNKNOWN), (keep_disp, VT_UNKNOWN)):
            p = written(rt, ptr)
            assert p.vt == vt
            V.clear(p)
        with disp.as_ptr(IDispatch) as dptr:
            p = written(rt, dptr)
            assert p.vt == VT_DISPATCH and disp.com_refcount == 3
            V.clear(p)
            assert disp.com_refcount == 2
        # exact vt: VT_DISPATCH of an object without IDispatch fails and writes nothing
        p = new_variant(rt)
        with pytest.raises(Exception) as info:
            V.write(p, Variant(VT_DISPATCH, plain))
        assert getattr(info.value, "hresult", None) == E_NOINTERFACE and p.vt == VT_EMPTY
        assert plain.com_refcount == 1
        p = written(rt, Variant(VT_UNKNOWN, disp))  # an IDispatch object as VT_UNKNOWN: its IUnknown
        assert p.vt == VT_UNKNOWN and disp.com_refcount == 2
        V.clear(p)
        p = written(rt, Variant(VT_DISPATCH, None))
        assert p.vt == VT_DISPATCH and p.pdispVal == rt.ffi.NULL and V.to_python(p) is None
        # in arrays: one reference per element, all released by the array's destruction
        p = written(rt, [plain, disp, plain, None])
        assert plain.com_refcount == 3 and disp.com_refcount == 2
        values = V.to_python(p)
        assert plain.com_refcount == 5 and values[3] is None
        for v in values[:3]:
            v.release()
        V.clear(p)
        p = written(rt, Variant(VT_ARRAY | VT_UNKNOWN, [plain, None, disp]))
        assert plain.com_refcount == 2 and disp.com_refcount == 2
        sa = V.to_typed(p).value
        assert sa.vt == VT_UNKNOWN and sa.values[1] is None
        for v in (sa.values[0], sa.values[2]):
            v.release()
        V.clear(p)
        assert plain.com_refcount == 1 and disp.com_refcount == 1
    assert plain.com_destroyed and disp.com_destroyed


def test_a_pointer_from_another_component_round_trips(rt, mta):
    """A ComPtr to the runtime's own object (an HGLOBAL stream): AddRef'd by write, released by clear."""
    from ole32_bindings.dlls import function
    from vtables.client import client_class
    from vtables.interfaces import IStream

    out = rt.ffi.new("void **")
    assert function("CreateStreamOnHGlobal")(rt.ffi.NULL, 1, out) == 0
    with client_class(IStream).from_raw(out[0]) as stream:
        p = written(rt, stream)
        assert p.vt == VT_UNKNOWN
        with rt.V.to_python(p) as back:
            assert back.same_object(stream)
        rt.V.clear(p)
        raw = stream.as_raw()
        unk = rt.ffi.cast("IUnknown *", raw)
        unk.lpVtbl.AddRef(raw)
        assert unk.lpVtbl.Release(raw) == 1  # exactly the wrapper's reference is left


# ---- SAFEARRAYs ---------------------------------------------------------------------------------------------------

ELEMENTS = [
    (VT_I1, [-1, 2, -128]),
    (VT_UI1, b"\x00\xff\x10"),
    (VT_I2, [-32768, 0, 32767]),
    (VT_UI2, [0, 1, 65535]),
    (VT_I4, [-(2**31), 5, 2**31 - 1]),
    (VT_UI4, [0, 2**32 - 1, 7]),
    (VT_INT, [1, -2, 3]),
    (VT_UINT, [1, 2, 3]),
    (VT_I8, [-(2**63), 0, 2**63 - 1]),
    (VT_UI8, [0, 2**64 - 1, 9]),
    (VT_R4, [1.5, -0.25, 3.0]),
    (VT_R8, [1e300, -2.5, 0.0]),
    (VT_BOOL, [True, False, True]),
    (VT_ERROR, [Missing, ErrorValue(0x80004005), ErrorValue(0)]),
    (VT_CY, [Decimal("1.5"), Decimal("-0.0001"), Decimal("922337203685477.5807")]),
    (VT_DATE, [dt.datetime(1899, 12, 29, 6), dt.datetime(2000, 1, 1), dt.datetime(100, 1, 1, 0, 0, 0, 1000)]),
    (VT_BSTR, ["a\x00", "", "\U0001f600"]),
    (VT_DECIMAL, [Decimal("-1.5"), Decimal("79228162514264337593543950335"), Decimal("1E-28")]),
    (VT_VARIANT, [Variant(VT_I2, 1), Variant(VT_BSTR, "x"), Variant(VT_ARRAY | VT_I4, None)]),
]


@pytest.mark.parametrize("vt,values", ELEMENTS, ids=[oa.vt_name(e[0]) for e in ELEMENTS])
def test_typed_arrays_1d_with_a_lower_bound(rt, vt, values):
    V = rt.V
    sa = V.SafeArray.vector(vt, values, lbound=-3)
    p = written(rt, sa)
    try:
        assert p.vt == VT_ARRAY | vt
        psa = p.parray
        lb, ub, got = rt.ffi.new("LONG *"), rt.ffi.new("LONG *"), rt.ffi.new("VARTYPE *")
        assert rt.SafeArrayGetDim(psa) == 1
        assert rt.SafeArrayGetLBound(psa, 1, lb) == 0 and lb[0] == -3
        assert rt.SafeArrayGetUBound(psa, 1, ub) == 0 and ub[0] == -1
        assert rt.SafeArrayGetVartype(psa, got) == 0 and got[0] == vt
        typed = V.to_typed(p)
        assert typed == Variant(VT_ARRAY | vt, sa)
        natural = V.to_python(p)
        if vt == VT_VARIANT:
            assert natural == [1, "x", None]
        else:
            assert natural == values
        # oleaut32's own copy of our array reads the same (its layout is what oleaut32 expects)
        copy = new_variant(rt)
        assert rt.VariantCopy(copy, p) == 0
        assert V.to_typed(copy) == typed
        V.clear(copy)
    finally:
        V.clear(p)


def test_nd_arrays_have_automations_index_order(rt):
    """Nested lists are [first index][second index]...; oleaut32's SafeArrayGetElement agrees, with any bounds."""
    V, ffi = rt.V, rt.ffi
    nested = [[[i * 100 + j * 10 + k for k in range(4)] for j in range(3)] for i in range(2)]
    sa = V.SafeArray(VT_I4, [(1, 2), (-5, 3), (10, 4)], [x for a in nested for b in a for x in b])
    p = written(rt, sa)
    try:
        idx = ffi.new("LONG[3]")
        out = ffi.new("LONG *")
        for i in range(2):
            for j in range(3):
                for k in range(4):
                    idx[0], idx[1], idx[2] = 1 + i, -5 + j, 10 + k
                    assert rt.SafeArrayGetElement(p.parray, idx, out) == 0
                    assert out[0] == nested[i][j][k]
        lb = ffi.new("LONG *")
        assert [(rt.SafeArrayGetLBound(p.parray, d, lb), lb[0])[1] for d in (1, 2, 3)] == [1, -5, 10]
        assert V.to_python(p) == nested
        assert V.to_typed(p).value == sa and sa.tolist() == nested
    finally:
        V.clear(p)
    # nested Python lists: a rectangular list of lists is a 2-D array of VARIANT
    p = written(rt, [[1, "a"], [2.5, None], [True, [7]]])
    try:
        assert rt.SafeArrayGetDim(p.parray) == 2
        idx = ffi.new("LONG[2]", [2, 1])  # third row, second column
        elem = new_variant(rt)
        assert rt.SafeArrayGetElement(p.parray, idx, elem) == 0
        assert V.to_python(elem) == [7]
        V.clear(elem)
        assert V.to_python(p) == [[1, "a"], [2.5, None], [True, [7]]]
    finally:
        V.clear(p)


def test_arrays_made_by_oleaut32_are_read(rt):
    V, ffi = rt.V, rt.ffi
    bounds = ffi.new("SAFEARRAYBOUND[2]")
    bounds[0].lLbound, bounds[0].cElements = 1, 2  # first dimension (rows)
    bounds[1].lLbound, bounds[1].cElements = -1, 3
    psa = rt.SafeArrayCreate(VT_BSTR, 2, bounds)
    idx = ffi.new("LONG[2]")
    for i in range(2):
        for j in range(3):
            idx[0], idx[1] = 1 + i, -1 + j
            b = rt.SysAllocStringLen(f"r{i}c{j}", 4)
            assert rt.SafeArrayPutElement(psa, idx, b) == 0  # copies the string
            rt.SysFreeString(b)
    p = new_variant(rt)
    p.vt, p.parray = VT_ARRAY | VT_BSTR, psa
    try:
        assert V.to_python(p) == [["r0c0", "r0c1", "r0c2"], ["r1c0", "r1c1", "r1c2"]]
        sa = V.SafeArray.from_pointer(psa)
        assert sa.vt == VT_BSTR and sa.bounds == [(1, 2), (-1, 3)]
        assert sa.values == ["r0c0", "r0c1", "r0c2", "r1c0", "r1c1", "r1c2"]
    finally:
        V.clear(p)


def test_variant_arrays_take_the_bulk_path_and_the_mixed_path(rt):
    V = rt.V
    for values in (
        list(range(-500, 500)),
        [x / 3 for x in range(100)],
        [True, False] * 10,
        [2**40, 1, -(2**50)],
        [1, 2.5, "three", None, Null, Missing, Decimal("4.5"), dt.datetime(1900, 1, 1), b"\x01\x02", [1, [2]]],
        [],
    ):
        p = written(rt, values)
        try:
            assert V.to_python(p) == values
            typed = V.to_typed(p)
            assert [v.vt for v in typed.value.values] == [written_vt(rt, v) for v in values]
        finally:
            V.clear(p)
    sa = V.SafeArray.vector(VT_VARIANT, [Variant(VT_I2, i) for i in range(50)])
    p = written(rt, sa)
    assert V.to_typed(p).value == sa
    V.clear(p)


def written_vt(rt, value):
    p = written(rt, value)
    try:
        return p.vt
    finally:
        rt.V.clear(p)


def test_bytes_and_buffers(rt):
    import array

    V = rt.V
    big = bytes(range(256)) * 4096  # 1 MB
    for value, expected in [
        (b"", b""),
        (big, big),
        (bytearray(b"\x00abc"), b"\x00abc"),
        (memoryview(b"0123456789")[::2], b"02468"),  # not contiguous: copied first
        (memoryview(array.array("i", [1, 2])), array.array("i", [1, 2]).tobytes()),  # its bytes
    ]:
        p = written(rt, value)
        try:
            assert p.vt == VT_ARRAY | VT_UI1
            assert V.to_python(p) == expected
            assert V.to_typed(p).value == V.SafeArray.vector(VT_UI1, expected)
        finally:
            V.clear(p)
    nd = V.SafeArray(VT_UI1, [(0, 2), (5, 3)], b"abcdef")
    p = written(rt, nd)
    assert V.to_python(p) == [[97, 98, 99], [100, 101, 102]]
    assert V.to_typed(p).value == nd
    V.clear(p)


def test_empty_and_null_arrays(rt):
    V = rt.V
    for value, natural in [([], []), ([[], []], [[], []]), (Variant(VT_ARRAY | VT_I4, None), None)]:
        p = written(rt, value)
        try:
            assert V.to_python(p) == natural
            q = written(rt, V.to_typed(p))
            assert V.to_typed(q) == V.to_typed(p)
            V.clear(q)
        finally:
            V.clear(p)


def test_safearray_value_checks(rt):
    V = rt.V
    with pytest.raises(ValueError):
        V.SafeArray(VT_I4, [(0, 2)], [1, 2, 3])
    with pytest.raises(ValueError):
        V.SafeArray(VT_I4, [], [])
    with pytest.raises(ValueError):
        V.SafeArray(VT_I4, [(2**31 - 1, 2)], [1, 2])  # the upper bound would overflow a LONG
    with pytest.raises(V.VariantTypeError):
        V.SafeArray(oa.VT_RECORD, [(0, 0)], [])
    psa = V.SafeArray(VT_R8, [(0, 2), (0, 2)], [1.0, 2.0, 3.0, 4.0]).create()  # owned by the caller
    try:
        assert V.SafeArray.from_pointer(psa).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    finally:
        assert rt.SafeArrayDestroy(psa) == 0


# ---- VariantArray -------------------------------------------------------------------------------------------------


def test_variant_array_owns_and_clears(rt, objects, mta, caplog):
    V = rt.V
    Persist, _ = objects
    obj = Persist()
    with obj.as_ptr() as keep:
        with V.VariantArray(3) as args:
            assert len(args) == 3 and all(args[i].vt == VT_EMPTY for i in range(3))
            V.write(args[0], "text")
            V.write(args[2], obj)
            V.write(args[-2], [1, 2])
            assert obj.com_refcount == 2
            with pytest.raises(IndexError):
                args[3]
        assert obj.com_refcount == 1 and all(args[i].vt == VT_EMPTY for i in range(3))
        leaky = V.VariantArray(1)
        V.write(leaky[0], obj)
        with caplog.at_level(logging.WARNING, logger="vtables"):
            del leaky
            gc.collect()
        assert obj.com_refcount == 1
        assert "VariantArray collected with content left" in caplog.text
        assert keep.released is False
    assert len(V.VariantArray(0)) == 0


# ---- ownership: the malloc spy ---------------------------------------------------------------------------------


def _every_type(objects):
    Persist, Disp = objects
    return [
        None,
        Null,
        True,
        5,
        2**40,
        1.5,
        "text \x00 \U0001f600",
        "",
        dt.datetime(1899, 12, 29, 6),
        Decimal("-1.5"),
        Missing,
        b"bytes",
        b"",
        [1, "a", [2.5, "b", [None, Null]], Decimal(1)],
        [[1, "x"], ["y", 2]],
        [],
        Persist(),
        Disp(),
        [Persist(), "s", Disp()],
        *(Variant(vt, v) for vt, v in TYPED),
        *(Variant(VT_ARRAY | vt, V_sa(vt, values)) for vt, values in ELEMENTS),
        Variant(VT_ARRAY | VT_BSTR, [["a", "b"], ["c", "d"]]),
        Variant(VT_ARRAY | VT_VARIANT, None),
    ]


def release_all(value):
    """Release the ComPtrs in a converted value (what a caller of to_python/to_typed owns)."""
    from vtables.client import ComPtr
    from vtables.variant import SafeArray

    if isinstance(value, ComPtr):
        value.release()
    elif isinstance(value, Variant):
        release_all(value.value)
    elif isinstance(value, SafeArray):
        release_all(value.values)
    elif isinstance(value, list):
        for v in value:
            release_all(v)


def V_sa(vt, values):
    from vtables.variant import SafeArray

    return SafeArray.vector(vt, values, lbound=2)


def test_write_and_clear_of_every_type_leave_no_allocation(rt, objects, mta):
    """Every BSTR and SAFEARRAY written is freed by clear, exactly: the task allocator's outstanding blocks (seen
    by an IMallocSpy) are back to where they were, and reading allocates nothing."""
    from vtables.mallocspy import spying

    V = rt.V
    values = _every_type(objects)
    with spying() as spy:
        base = spy.outstanding
        allocating = 0
        for value in values:
            p = written(rt, value)
            if spy.outstanding > base:
                allocating += 1
            seen_before = spy.allocations
            natural = V.to_python(p)
            typed = V.to_typed(p)
            assert spy.allocations == seen_before, f"reading {value!r} allocated task memory"
            release_all(natural)
            release_all(typed)
            V.clear(p)
            assert spy.outstanding == base, f"{value!r} leaked {spy.blocks}"
        assert allocating >= 20  # the spy saw the strings and arrays being made
        # and it sees a leak: a string written and not cleared is one outstanding block
        p = written(rt, "leak?")
        assert spy.outstanding == base + 1
        V.clear(p)
        assert spy.outstanding == base


def test_failures_midway_free_what_was_made(rt, objects, mta):
    """An unconvertible element deep in a nested list, a cyclic list, an allocation failing at each step in turn:
    the VARIANT stays VT_EMPTY and nothing stays allocated or referenced."""
    from vtables.mallocspy import spying

    Persist, _ = objects
    V = rt.V
    obj = Persist()
    with obj.as_ptr() as keep:
        cyclic = [1, "a"]
        cyclic.append([2, cyclic])
        bad = [
            [1, "a", [obj, "b", [Decimal(1), object()]]],
            [obj, "x", 2**70],
            cyclic,
            Variant(VT_ARRAY | VT_BSTR, ["a", "b", 3]),
            Variant(VT_ARRAY | VT_UNKNOWN, [obj, obj, 5]),
            Variant(VT_ARRAY | VT_I2, [1, 2, 40000]),
            Variant(VT_ARRAY | VT_VARIANT, [[1, 2], [obj, object()]]),
            [[1, 2], [3, object()]],
        ]
        with spying() as spy:
            base = spy.outstanding
            for value in bad:
                p = new_variant(rt)
                with pytest.raises((TypeError, OverflowError, ValueError)):
                    V.write(p, value)
                assert p.vt == VT_EMPTY
                assert spy.outstanding == base, value
                assert obj.com_refcount == 1
            # out of memory at every allocation in turn
            value = ["one", ["two", obj, "three"], b"four", Variant(VT_ARRAY | VT_BSTR, ["five", "six"])]
            needed = spy.allocations
            p = written(rt, value)
            needed = spy.allocations - needed
            V.clear(p)
            assert needed >= 10
            for k in range(1, needed + 1):
                spy.fail_after(k)
                p = new_variant(rt)
                with pytest.raises(MemoryError):
                    V.write(p, value)
                assert p.vt == VT_EMPTY and spy.outstanding == base and obj.com_refcount == 1, k
            spy.fail_after(needed + 1)  # one past: everything succeeds
            p = written(rt, value)
            V.clear(p)
            spy._fail_countdown = 0
            assert spy.outstanding == base
        assert keep.released is False


# ---- bad input (issue 12, item 6) --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "vt",
    [0x7F, 15, oa.VT_ILLEGAL, VT_VARIANT, VT_ARRAY | VT_EMPTY, VT_ARRAY | VT_NULL, VT_BYREF | VT_EMPTY,
     oa.VT_VECTOR | VT_I4, oa.VT_RECORD, VT_BYREF | oa.VT_RECORD, oa.VT_RESERVED | VT_I4, oa.VT_LPWSTR],
)  # fmt: skip
def test_unknown_or_invalid_vt_is_a_variant_type_error(rt, vt):
    V = rt.V
    p = new_variant(rt)
    p.vt = vt
    for read in (V.to_python, V.to_typed):
        with pytest.raises(V.VariantTypeError) as info:
            read(p)
        assert info.value.hresult == DISP_E_BADVARTYPE and oa.vt_name(vt) in str(info.value)
    with pytest.raises(V.VariantTypeError):
        V.write(new_variant(rt), Variant(vt, None))


def test_clear_reports_what_variantclear_refuses(rt):
    V = rt.V
    p = new_variant(rt)
    p.vt = 0x7F
    with pytest.raises(V.VariantTypeError) as info:
        V.clear(p)
    assert info.value.hresult == DISP_E_BADVARTYPE
    p.vt = VT_EMPTY
    with pytest.raises(V.VariantTypeError):
        V.write(new_variant(rt), Variant(VT_BYREF | VT_I4, 5))  # write() owns what it writes: no references


def test_inconsistent_safearrays_are_refused(rt):
    V, ffi = rt.V, rt.ffi
    from ole32_bindings.hresult import ComError

    def refused(p):
        for read in (V.to_python, V.to_typed):
            with pytest.raises(ComError) as info:
                read(p)
            assert info.value.hresult == E_INVALIDARG, info.value
        return str(info.value)

    p = written(rt, [1, 2, 3])
    psa = p.parray
    try:
        psa.cDims = 0
        assert "cDims 0" in refused(p)
        psa.cDims = 1
        psa.rgsabound[0].lLbound = 2**31 - 1  # + 3 elements overflows a LONG
        assert "overflows" in refused(p)
        psa.rgsabound[0].lLbound = 0
        psa.rgsabound[0].cElements = 0x10000000  # 6 GB of VARIANTs: bounds that cannot be true
        assert "inconsistent" in refused(p)
        psa.rgsabound[0].cElements = 3
        p.vt = VT_ARRAY | VT_I4  # an array of VARIANT read as LONGs: the element size tells
        assert "elements" in refused(p)
        p.vt = VT_ARRAY | VT_DATE  # same element size as... no: 24 vs 8 too
        refused(p)
        p.vt = VT_ARRAY | VT_VARIANT
        assert V.to_python(p) == [1, 2, 3]  # intact after all that
    finally:
        V.clear(p)
    # an array that records another element type of the same size
    p = written(rt, Variant(VT_ARRAY | VT_R8, [1.0, 2.0]))
    p.vt = VT_ARRAY | VT_I8
    assert "read as" in refused(p)
    p.vt = VT_ARRAY | VT_R8
    V.clear(p)
    # a descriptor without data
    out = ffi.new("SAFEARRAY **")
    assert rt.SafeArrayAllocDescriptorEx(VT_I4, 1, out) == 0
    out[0].rgsabound[0].cElements = 4
    p = new_variant(rt)
    p.vt, p.parray = VT_ARRAY | VT_I4, out[0]
    assert "no data" in refused(p)
    assert rt.SafeArrayDestroyDescriptor(out[0]) == 0


def test_a_locked_array_cannot_be_cleared(rt):
    from ole32_bindings.hresult import ComError

    V = rt.V
    p = written(rt, ["locked"])
    assert rt.SafeArrayLock(p.parray) == 0
    with pytest.raises(ComError) as info:
        V.clear(p)
    assert info.value.hresult == DISP_E_ARRAYISLOCKED
    assert V.to_python(p) == ["locked"]  # still whole
    assert rt.SafeArrayUnlock(p.parray) == 0
    V.clear(p)


def test_malformed_scalars_are_refused(rt, mta):
    from ole32_bindings.hresult import ComError

    V, ffi = rt.V, rt.ffi
    # a BSTR of odd byte length
    p = new_variant(rt)
    p.vt, p.bstrVal = VT_BSTR, rt.SysAllocStringByteLen(b"abc", 3)
    assert rt.SysStringByteLen(p.bstrVal) == 3
    with pytest.raises(ComError) as info:
        V.to_python(p)
    assert info.value.hresult == E_INVALIDARG and "odd" in str(info.value)
    V.clear(p)  # still freed normally
    # DECIMAL: scale over 28, sign byte other than 0/0x80
    for scale, sign in ((29, 0), (0, 1)):
        p = new_variant(rt)
        p.decVal.Lo64, p.decVal.scale, p.decVal.sign = 1, scale, sign
        p.vt = VT_DECIMAL
        with pytest.raises(ComError) as info:
            V.to_python(p)
        assert info.value.hresult == E_INVALIDARG
    # DATE: NaN, beyond 9999-12-31
    for value in (float("nan"), 3e6, -1e9):
        p = written(rt, Variant(VT_DATE, value))
        with pytest.raises(ComError) as info:
            V.to_python(p)
        assert info.value.hresult == E_INVALIDARG
    # a NULL reference; a VARIANT reference to itself (no endless loop)
    p = new_variant(rt)
    p.vt = VT_BYREF | VT_I4
    with pytest.raises(ComError) as info:
        V.to_python(p)
    assert info.value.hresult == E_POINTER
    p.vt, p.byref = VT_BYREF | VT_VARIANT, p
    with pytest.raises(ComError) as info:
        V.to_python(p)
    assert info.value.hresult == E_INVALIDARG
    # an array of VARIANT whose third element is bad: the interfaces already read are released
    _, Disp = _classes()
    obj = Disp()
    p = written(rt, [obj, obj, "x"])
    arr = ffi.cast("VARIANT *", p.parray.pvData)
    arr[2].vt = 0x7F  # (the BSTR stays owned by the VARIANT: put it back before clearing)
    with pytest.raises(V.VariantTypeError) as info:
        V.to_python(p)
    assert "element 2" in str(info.value)
    assert obj.com_refcount == 2
    arr[2].vt = VT_BSTR
    V.clear(p)
    assert obj.com_destroyed
