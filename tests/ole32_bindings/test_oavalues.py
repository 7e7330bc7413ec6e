"""Automation's value rules (COM-free): VARENUM names, DATE, CY, DECIMAL, Null/ErrorValue/Missing/Variant.

The runtime cross-checks (oleaut32 reading what these rules write) are in tests/vtables/test_variant.py."""

import datetime as dt
import math
import pickle
import struct
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ole32_bindings import oavalues as oa
from ole32_bindings.oavalues import (
    DATE_MAX,
    DATE_MIN,
    DECIMAL_MAX_MANTISSA,
    Missing,
    Null,
    Variant,
    date_from_datetime,
    datetime_from_date,
)

# ---- VARENUM ------------------------------------------------------------------------------------------------------


def test_varenum_values_are_the_sdk_ones():
    assert (oa.VT_EMPTY, oa.VT_NULL, oa.VT_I2, oa.VT_I4, oa.VT_R4, oa.VT_R8) == (0, 1, 2, 3, 4, 5)
    assert (oa.VT_CY, oa.VT_DATE, oa.VT_BSTR, oa.VT_DISPATCH, oa.VT_ERROR, oa.VT_BOOL) == (6, 7, 8, 9, 10, 11)
    assert (oa.VT_VARIANT, oa.VT_UNKNOWN, oa.VT_DECIMAL, oa.VT_I1, oa.VT_UI1) == (12, 13, 14, 16, 17)
    assert (oa.VT_UI2, oa.VT_UI4, oa.VT_I8, oa.VT_UI8, oa.VT_INT, oa.VT_UINT) == (18, 19, 20, 21, 22, 23)
    assert (oa.VT_RECORD, oa.VT_ARRAY, oa.VT_BYREF, oa.VT_TYPEMASK) == (36, 0x2000, 0x4000, 0xFFF)


@pytest.mark.parametrize(
    "vt,name",
    [
        (oa.VT_I4, "VT_I4"),
        (oa.VT_BYREF | oa.VT_VARIANT, "VT_BYREF|VT_VARIANT"),
        (oa.VT_ARRAY | oa.VT_BSTR, "VT_ARRAY|VT_BSTR"),
        (oa.VT_ARRAY | oa.VT_BYREF | oa.VT_UI1, "VT_ARRAY|VT_BYREF|VT_UI1"),
        (0x7F, "VT_0x7F"),
        (0xFFFF, "VT_ILLEGAL"),
        (oa.VT_EMPTY, "VT_EMPTY"),
    ],
)
def test_vt_name(vt, name):
    assert oa.vt_name(vt) == name


def test_element_sizes_cover_the_automation_types():
    assert oa.ELEMENT_SIZES[oa.VT_VARIANT] == 24 and oa.ELEMENT_SIZES[oa.VT_DECIMAL] == 16
    assert oa.ELEMENT_SIZES[oa.VT_BOOL] == 2 and oa.ELEMENT_SIZES[oa.VT_BSTR] == 8
    assert oa.VT_RECORD not in oa.ELEMENT_SIZES and oa.VT_EMPTY not in oa.ELEMENT_SIZES


# ---- DATE ---------------------------------------------------------------------------------------------------------

EPOCH = dt.datetime(1899, 12, 30)


@pytest.mark.parametrize(
    "date,expected",
    [
        (0.0, dt.datetime(1899, 12, 30)),
        (-0.0, dt.datetime(1899, 12, 30)),
        (1.0, dt.datetime(1899, 12, 31)),
        (1.5, dt.datetime(1899, 12, 31, 12)),
        (-1.0, dt.datetime(1899, 12, 29)),
        # Automation's rule: the fraction is the (positive) time of day even for negative days
        (-1.25, dt.datetime(1899, 12, 29, 6)),
        (-2.5, dt.datetime(1899, 12, 28, 12)),
        (-0.25, dt.datetime(1899, 12, 30, 6)),
        (2.0, dt.datetime(1900, 1, 1)),
        (36526.0, dt.datetime(2000, 1, 1)),
        (45000.75, dt.datetime(2023, 3, 15, 18)),
        (DATE_MIN, dt.datetime(100, 1, 1)),
        (DATE_MAX, dt.datetime(9999, 12, 31)),
        (-657434.5, dt.datetime(100, 1, 1, 12)),
    ],
)
def test_date_to_datetime_known_values(date, expected):
    assert datetime_from_date(date) == expected


@pytest.mark.parametrize(
    "value,expected",
    [
        (dt.datetime(1899, 12, 29, 6), -1.25),
        (dt.datetime(1899, 12, 28, 12), -2.5),
        (dt.datetime(1899, 12, 30, 6), 0.25),
        (dt.datetime(1899, 12, 29), -1.0),
        (dt.date(2000, 1, 1), 36526.0),
        (dt.datetime(100, 1, 1), DATE_MIN),
        (dt.datetime(9999, 12, 31), DATE_MAX),
    ],
)
def test_datetime_to_date_known_values(value, expected):
    assert date_from_datetime(value) == expected


def test_negative_dates_are_not_monotonic_as_numbers():
    # -1.25 is later in the day than -1.0: the day is the integer part, the fraction the time of that day
    assert datetime_from_date(-1.25) > datetime_from_date(-1.0)
    assert datetime_from_date(-1.75) > datetime_from_date(-1.25)


def test_milliseconds_are_exact_and_rounded():
    ms = dt.timedelta(milliseconds=1)
    value = dt.datetime(2024, 2, 29, 23, 59, 59, 999000)
    assert datetime_from_date(date_from_datetime(value)) == value
    # microseconds round half to even to the millisecond
    assert datetime_from_date(date_from_datetime(dt.datetime(2020, 1, 1, 0, 0, 0, 1499))) == dt.datetime(
        2020, 1, 1, 0, 0, 0, 1000
    )
    assert datetime_from_date(date_from_datetime(dt.datetime(2020, 1, 1, 0, 0, 0, 2500))) == dt.datetime(
        2020, 1, 1, 0, 0, 0, 2000
    )
    assert datetime_from_date(date_from_datetime(dt.datetime(2020, 1, 1, 0, 0, 0, 3500))) == dt.datetime(
        2020, 1, 1, 0, 0, 0, 4000
    )
    # the last millisecond of a day rolls into the next day when rounding up
    assert datetime_from_date(date_from_datetime(dt.datetime(2020, 1, 1, 23, 59, 59, 999600))) == dt.datetime(
        2020, 1, 2
    )
    before = dt.datetime(1800, 6, 1, 13, 14, 15, 16000)
    assert datetime_from_date(date_from_datetime(before)) == before
    assert date_from_datetime(before) < 0
    assert datetime_from_date(date_from_datetime(before + ms)) - before == ms


def test_date_errors():
    with pytest.raises(OverflowError):
        datetime_from_date(DATE_MIN - 1.0)
    with pytest.raises(OverflowError):
        datetime_from_date(DATE_MAX + 1.0)
    with pytest.raises(OverflowError):
        datetime_from_date(math.inf)
    with pytest.raises(ValueError):
        datetime_from_date(math.nan)
    with pytest.raises(OverflowError, match="rounds past"):
        date_from_datetime(dt.datetime(9999, 12, 31, 23, 59, 59, 999900))
    with pytest.raises(OverflowError, match="0100-01-01"):
        date_from_datetime(dt.datetime(99, 12, 31))
    with pytest.raises(ValueError, match="time zone"):
        date_from_datetime(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(TypeError):
        date_from_datetime("2020-01-01")  # type: ignore[arg-type]


datetimes_ms = st.datetimes(min_value=dt.datetime(100, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59, 999000))


@given(datetimes_ms.map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)))
def test_datetime_round_trip_is_exact_to_the_millisecond(value):
    date = date_from_datetime(value)
    assert datetime_from_date(date) == value
    # the rule, spelled out: the integer part is the day (toward zero), the fraction the time of day
    day = math.trunc(date)
    assert (value - EPOCH).days == day or (day == 0 and value.date() == EPOCH.date())
    tod = value - dt.datetime.combine(value.date(), dt.time())
    assert abs(abs(date - day) * 86400 - tod.total_seconds()) < 1e-4


@given(datetimes_ms)
def test_any_datetime_is_within_half_a_millisecond(value):
    assume(value < dt.datetime(9999, 12, 31, 23, 59, 59, 999000))
    back = datetime_from_date(date_from_datetime(value))
    assert abs(back - value) <= dt.timedelta(microseconds=500)


@given(st.floats(min_value=DATE_MIN - 0.999, max_value=DATE_MAX + 0.99))
def test_any_date_round_trips_within_half_a_millisecond(date):
    value = datetime_from_date(date)
    back = date_from_datetime(value)
    if -1.0 < date < 0.0:
        date = -date  # day 0 has one representation: the time of day, positive
    assert math.trunc(back) == math.trunc(date) or abs(back - date) < 1e-6  # (a rounded-up end of day)
    # Rounding to the millisecond costs at most 0.5 ms; the double that holds the date adds its own spacing (about
    # 0.01 ms at day 524,288), so the bound is half a millisecond plus a few ulps of the date.
    assert abs(back - date) * 86_400_000 <= 0.5 + 4 * math.ulp(abs(date) + 1.0) * 86_400_000


# ---- CY -----------------------------------------------------------------------------------------------------------


def test_cy_known_values():
    assert oa.decimal_from_cy(15000) == Decimal("1.5")
    assert str(oa.decimal_from_cy(15000)) == "1.5000"
    assert str(oa.decimal_from_cy(-1)) == "-0.0001"
    assert oa.decimal_from_cy(oa.CY_MAX) == Decimal("922337203685477.5807")
    assert oa.decimal_from_cy(oa.CY_MIN) == Decimal("-922337203685477.5808")
    assert oa.cy_from_decimal(Decimal("1.5")) == 15000
    assert oa.cy_from_decimal(Decimal("-922337203685477.5808")) == oa.CY_MIN
    assert oa.cy_from_decimal(7) == 70000
    assert oa.cy_from_decimal(0.1) == 1000  # the float's binary value, rounded at four places
    # half to even at the fourth place
    assert oa.cy_from_decimal(Decimal("0.00005")) == 0
    assert oa.cy_from_decimal(Decimal("0.00015")) == 2
    assert oa.cy_from_decimal(Decimal("-0.00015")) == -2
    assert oa.cy_from_decimal(Decimal("1E+3")) == 10_000_000


def test_cy_errors():
    with pytest.raises(OverflowError):
        oa.cy_from_decimal(Decimal("922337203685477.5808"))
    with pytest.raises(OverflowError):
        oa.cy_from_decimal(Decimal("1E+100"))
    with pytest.raises(ValueError):
        oa.cy_from_decimal(Decimal("NaN"))
    with pytest.raises(TypeError):
        oa.cy_from_decimal("1.5")  # type: ignore[arg-type]
    with pytest.raises(OverflowError):
        oa.decimal_from_cy(2**63)


@given(st.integers(min_value=oa.CY_MIN, max_value=oa.CY_MAX))
def test_cy_round_trip(n):
    d = oa.decimal_from_cy(n)
    assert d.as_tuple().exponent == -4
    assert oa.cy_from_decimal(d) == n
    assert d * 10000 == n


@given(st.decimals(min_value=Decimal("-922337203685477.5808"), max_value=Decimal("922337203685477.5807"), places=4))
def test_cy_of_four_place_decimals_is_exact(d):
    assert oa.decimal_from_cy(oa.cy_from_decimal(d)) == d


# ---- DECIMAL ------------------------------------------------------------------------------------------------------


def test_decimal_known_values():
    f = oa.decimal_fields(Decimal("-1.5"))
    assert f == (1, 0x80, 0, 15) and f.scale == 1 and f.sign == 0x80
    assert oa.decimal_from_fields(*f) == Decimal("-1.5")
    assert oa.decimal_fields(Decimal(DECIMAL_MAX_MANTISSA)) == (0, 0, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF)
    assert oa.decimal_fields(10) == (0, 0, 0, 10)
    assert oa.decimal_fields(Decimal("1E+3")) == (0, 0, 0, 1000)
    assert str(oa.decimal_from_fields(28, 0, 0, 1)) == "1E-28"
    assert str(oa.decimal_from_fields(2, 0, 0, 100)) == "1.00"  # the scale is kept
    zero = oa.decimal_from_fields(0, 0x80, 0, 0)
    assert zero == 0 and zero.is_signed()  # negative zero survives
    assert oa.decimal_fields(zero) == (0, 0x80, 0, 0)


def test_decimal_rounds_what_does_not_fit_and_refuses_what_overflows():
    # trailing zeros beyond 28 places are dropped exactly
    assert oa.decimal_fields(Decimal("1.0000000000000000000000000000000")) == (28, 0, *_split(10**28))
    # more than 28 significant places: rounded half to even at the 28th
    assert oa.decimal_from_fields(*oa.decimal_fields(Decimal("0." + "0" * 27 + "15"))) == Decimal("2E-28")
    assert oa.decimal_from_fields(*oa.decimal_fields(Decimal("0." + "0" * 27 + "25"))) == Decimal("2E-28")
    # a mantissa over 96 bits: the scale drops until it fits
    pi = Decimal("3.14159265358979323846264338327950288")
    back = oa.decimal_from_fields(*oa.decimal_fields(pi))
    assert back == Decimal("3.1415926535897932384626433833")  # 28 places: still below 2**96
    nine = Decimal("9.14159265358979323846264338327950288")
    assert oa.decimal_fields(nine).scale == 27  # 28 places would pass 2**96
    assert oa.decimal_from_fields(*oa.decimal_fields(nine)) == Decimal("9.141592653589793238462643383")
    with pytest.raises(OverflowError):
        oa.decimal_fields(Decimal(DECIMAL_MAX_MANTISSA + 1))
    with pytest.raises(OverflowError):
        oa.decimal_fields(Decimal("1E+29"))
    with pytest.raises(ValueError):
        oa.decimal_fields(Decimal("Infinity"))
    with pytest.raises(ValueError, match="scale 29"):
        oa.decimal_from_fields(29, 0, 0, 1)
    with pytest.raises(ValueError, match="sign"):
        oa.decimal_from_fields(0, 1, 0, 1)


def _split(n):
    return (n >> 64, n & (2**64 - 1))


def test_decimal_bytes_image():
    image = oa.decimal_to_bytes(Decimal("-12.345"), reserved=oa.VT_DECIMAL)
    assert len(image) == 16
    assert struct.unpack("<HBBIQ", image) == (oa.VT_DECIMAL, 3, 0x80, 0, 12345)
    assert oa.decimal_from_bytes(image) == Decimal("-12.345")


@given(
    st.integers(min_value=0, max_value=28),
    st.booleans(),
    st.integers(min_value=0, max_value=DECIMAL_MAX_MANTISSA),
)
def test_decimal_fields_round_trip_exactly(scale, negative, mantissa):
    fields = (scale, 0x80 if negative else 0, mantissa >> 64, mantissa & (2**64 - 1))
    d = oa.decimal_from_fields(*fields)
    assert tuple(oa.decimal_fields(d)) == fields
    assert oa.decimal_from_bytes(oa.decimal_to_bytes(d)) == d


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_any_decimal_is_exact_or_rounded_to_the_nearest_decimal(d):
    try:
        fields = oa.decimal_fields(d)
    except OverflowError:
        assert abs(d) >= DECIMAL_MAX_MANTISSA + Decimal("0.5") or abs(d).to_integral_value() > DECIMAL_MAX_MANTISSA
        return
    back = oa.decimal_from_fields(*fields)
    _, digits, exp = d.as_tuple()
    if -28 <= exp and int("".join(map(str, digits))) * 10 ** max(exp, 0) <= DECIMAL_MAX_MANTISSA:
        assert back == d and (back.as_tuple().exponent == exp or exp > 0)  # exact, scale kept
    else:
        assert abs(back - d) <= Decimal(10) ** -fields.scale / 2  # the nearest at the scale that fits


# ---- Null, ErrorValue, Missing, Variant ---------------------------------------------------------------------------


def test_null_is_a_falsy_singleton_distinct_from_none():
    assert oa.NullType() is Null and Null is not None and Null != None  # noqa: E711
    assert not Null and repr(Null) == "Null"
    assert pickle.loads(pickle.dumps(Null)) is Null


def test_error_value_and_missing():
    assert Missing == oa.ErrorValue(0x80020004) == oa.ErrorValue(-2147352572)
    assert Missing.is_missing and repr(Missing) == "Missing" and Missing.signed == -2147352572
    e = oa.ErrorValue(0x80004005)
    assert not e.is_missing and repr(e) == "ErrorValue(0x80004005)" and e != Missing
    assert hash(oa.ErrorValue(-2147352572)) == hash(Missing)
    assert pickle.loads(pickle.dumps(e)) == e
    with pytest.raises(AttributeError):
        e.scode = 1  # type: ignore[misc]
    with pytest.raises(OverflowError):
        oa.ErrorValue(2**32)
    with pytest.raises(TypeError):
        oa.ErrorValue(True)


def test_variant_keeps_its_vt():
    v = Variant(oa.VT_I2, 5)
    assert v.vt == oa.VT_I2 and v.value == 5 and repr(v) == "Variant(VT_I2, 5)"
    assert v == Variant(oa.VT_I2, 5) and v != Variant(oa.VT_I4, 5) and hash(v) == hash(Variant(oa.VT_I2, 5))
    assert Variant(oa.VT_BOOL, True) != Variant(oa.VT_BOOL, 1)  # value types are part of exactness
    assert Variant(oa.VT_EMPTY) == Variant(oa.VT_EMPTY, None)
    assert pickle.loads(pickle.dumps(v)) == v
    with pytest.raises(AttributeError):
        v.vt = 3  # type: ignore[misc]
    with pytest.raises(ValueError):
        Variant(0x10000, 1)


def test_every_paramnotfound_is_the_missing_singleton():
    # Whoever converts a VT_ERROR DISP_E_PARAMNOTFOUND (Invoke's reader, a vtable thunk, to_python) gets Missing
    # itself, so an implementation can test `arg is Missing`.
    from ole32_bindings.oavalues import ErrorValue, Missing

    assert ErrorValue(0x80020004) is Missing and ErrorValue(-2147352572) is Missing
    assert ErrorValue(0x80020005) is not Missing and ErrorValue(0x80020005) == ErrorValue(0x80020005)
