"""Automation's value rules, without COM: VARENUM, DATE, CY, DECIMAL, and the values with no Python twin.

Everything here is pure Python (no DLL is loaded), so the rules are tested on Linux; ``vtables.variant`` applies
them to real VARIANTs.

* **VARENUM**: the ``VT_*`` constants and :func:`vt_name` (``vt_name(VT_ARRAY | VT_I4) == "VT_ARRAY|VT_I4"``).
* **DATE** (a ``double``): days since 1899-12-30 00:00. The integer part is the day (rounded toward zero) and the
  fraction is the time of day, *always positive*, even for days before 1899-12-30: ``-1.25`` is
  1899-12-29 06:00, ``-2.5`` is 1899-12-28 12:00 (oleaut32's VarUdateFromDate splits a DATE that way, and its
  VarDateFromUdate builds one that way). Automation's range is 0100-01-01 to 9999-12-31.
  :func:`datetime_from_date` and :func:`date_from_datetime` are exact to the millisecond (a DATE resolves about
  0.04 ms at the end of its range; both directions round to the nearest millisecond).
* **CY**: a 64-bit integer counting 1/10,000ths. :func:`decimal_from_cy` / :func:`cy_from_decimal`.
* **DECIMAL**: 96-bit mantissa, scale 0..28 (a power of ten dividing it), sign byte 0x80 for negative.
  :func:`decimal_from_fields` / :func:`decimal_fields`, and the 16-byte image :func:`decimal_to_bytes` /
  :func:`decimal_from_bytes` (its first word, ``wReserved``, is the VARIANT's ``vt`` when the DECIMAL fills one).
* :data:`Null` (VT_NULL, distinct from ``None``, which is VT_EMPTY), :class:`ErrorValue` (VT_ERROR, an SCODE),
  :data:`Missing` (an omitted optional argument: ``ErrorValue(DISP_E_PARAMNOTFOUND)``), and :class:`Variant`, a
  value that keeps its exact vt (``Variant(VT_I2, 5)`` is written as VT_I2, not VT_I4).
"""

from __future__ import annotations

import datetime as _dt
import math
import struct
from decimal import Decimal
from typing import Any, Final, NamedTuple

__all__ = [
    "VT_EMPTY",
    "VT_NULL",
    "VT_I2",
    "VT_I4",
    "VT_R4",
    "VT_R8",
    "VT_CY",
    "VT_DATE",
    "VT_BSTR",
    "VT_DISPATCH",
    "VT_ERROR",
    "VT_BOOL",
    "VT_VARIANT",
    "VT_UNKNOWN",
    "VT_DECIMAL",
    "VT_I1",
    "VT_UI1",
    "VT_UI2",
    "VT_UI4",
    "VT_I8",
    "VT_UI8",
    "VT_INT",
    "VT_UINT",
    "VT_VOID",
    "VT_HRESULT",
    "VT_PTR",
    "VT_SAFEARRAY",
    "VT_CARRAY",
    "VT_USERDEFINED",
    "VT_LPSTR",
    "VT_LPWSTR",
    "VT_RECORD",
    "VT_INT_PTR",
    "VT_UINT_PTR",
    "VT_FILETIME",
    "VT_BLOB",
    "VT_CLSID",
    "VT_VECTOR",
    "VT_ARRAY",
    "VT_BYREF",
    "VT_RESERVED",
    "VT_TYPEMASK",
    "VT_ILLEGAL",
    "VARIANT_TRUE",
    "VARIANT_FALSE",
    "DISP_E_PARAMNOTFOUND",
    "DISP_E_BADVARTYPE",
    "DATE_MIN",
    "DATE_MAX",
    "ELEMENT_SIZES",
    "vt_name",
    "datetime_from_date",
    "date_from_datetime",
    "decimal_from_cy",
    "cy_from_decimal",
    "CY_MIN",
    "CY_MAX",
    "DecimalFields",
    "decimal_from_fields",
    "decimal_fields",
    "decimal_from_bytes",
    "decimal_to_bytes",
    "DECIMAL_MAX_MANTISSA",
    "NullType",
    "Null",
    "ErrorValue",
    "Missing",
    "Variant",
]

# ---- VARENUM ------------------------------------------------------------------------------------------------------

VT_EMPTY: Final = 0
"""Nothing (``None`` in Python)."""
VT_NULL: Final = 1
"""SQL-style null (:data:`Null`)."""
VT_I2: Final = 2
"""16-bit signed integer (SHORT)."""
VT_I4: Final = 3
"""32-bit signed integer (LONG)."""
VT_R4: Final = 4
"""32-bit float."""
VT_R8: Final = 5
"""64-bit float (double)."""
VT_CY: Final = 6
"""Currency: a 64-bit integer of 1/10,000ths (``decimal.Decimal``)."""
VT_DATE: Final = 7
"""Date: a double, days since 1899-12-30 (``datetime.datetime``)."""
VT_BSTR: Final = 8
"""Length-prefixed UTF-16 string (``str``)."""
VT_DISPATCH: Final = 9
"""IDispatch pointer."""
VT_ERROR: Final = 10
"""An SCODE (:class:`ErrorValue`)."""
VT_BOOL: Final = 11
"""VARIANT_BOOL: -1 true, 0 false (``bool``)."""
VT_VARIANT: Final = 12
"""A VARIANT (only with VT_BYREF or VT_ARRAY)."""
VT_UNKNOWN: Final = 13
"""IUnknown pointer."""
VT_DECIMAL: Final = 14
"""96-bit scaled decimal (``decimal.Decimal``); the DECIMAL overlays the whole VARIANT."""
VT_I1: Final = 16
"""8-bit signed integer (CHAR)."""
VT_UI1: Final = 17
"""8-bit unsigned integer (BYTE)."""
VT_UI2: Final = 18
"""16-bit unsigned integer (USHORT)."""
VT_UI4: Final = 19
"""32-bit unsigned integer (ULONG)."""
VT_I8: Final = 20
"""64-bit signed integer (LONGLONG)."""
VT_UI8: Final = 21
"""64-bit unsigned integer (ULONGLONG)."""
VT_INT: Final = 22
"""Machine signed integer (32-bit INT)."""
VT_UINT: Final = 23
"""Machine unsigned integer (32-bit UINT)."""
VT_VOID: Final = 24
"""C void (type descriptions only)."""
VT_HRESULT: Final = 25
"""HRESULT (type descriptions only)."""
VT_PTR: Final = 26
"""Pointer (type descriptions only)."""
VT_SAFEARRAY: Final = 27
"""SAFEARRAY (type descriptions only; a VARIANT uses VT_ARRAY)."""
VT_CARRAY: Final = 28
"""C-style array (type descriptions only)."""
VT_USERDEFINED: Final = 29
"""User-defined type (type descriptions only)."""
VT_LPSTR: Final = 30
"""NUL-terminated ANSI string (type descriptions only)."""
VT_LPWSTR: Final = 31
"""NUL-terminated wide string (type descriptions only)."""
VT_RECORD: Final = 36
"""A user-defined record with its IRecordInfo (not converted by this package)."""
VT_INT_PTR: Final = 37
"""Pointer-sized signed integer (type descriptions only)."""
VT_UINT_PTR: Final = 38
"""Pointer-sized unsigned integer (type descriptions only)."""
VT_FILETIME: Final = 64
"""FILETIME (property sets only)."""
VT_BLOB: Final = 65
"""Length-prefixed bytes (property sets only)."""
VT_CLSID: Final = 72
"""A CLSID (property sets only)."""
VT_VECTOR: Final = 0x1000
"""Flag: counted array (property sets only)."""
VT_ARRAY: Final = 0x2000
"""Flag: a SAFEARRAY of the base type."""
VT_BYREF: Final = 0x4000
"""Flag: a pointer to a value of the base type."""
VT_RESERVED: Final = 0x8000
"""Flag: reserved."""
VT_TYPEMASK: Final = 0x0FFF
"""Mask of the base type (without the flags)."""
VT_ILLEGAL: Final = 0xFFFF
"""Never a valid vt."""

VARIANT_TRUE: Final = -1
"""VARIANT_BOOL true: all bits set."""
VARIANT_FALSE: Final = 0
"""VARIANT_BOOL false."""
DISP_E_PARAMNOTFOUND: Final = 0x80020004
"""The SCODE of an omitted optional argument (:data:`Missing`)."""
DISP_E_BADVARTYPE: Final = 0x80020008
"""A VARIANT whose vt is unknown or not allowed there."""

_BASE_NAMES: dict[int, str] = {
    VT_EMPTY: "VT_EMPTY",
    VT_NULL: "VT_NULL",
    VT_I2: "VT_I2",
    VT_I4: "VT_I4",
    VT_R4: "VT_R4",
    VT_R8: "VT_R8",
    VT_CY: "VT_CY",
    VT_DATE: "VT_DATE",
    VT_BSTR: "VT_BSTR",
    VT_DISPATCH: "VT_DISPATCH",
    VT_ERROR: "VT_ERROR",
    VT_BOOL: "VT_BOOL",
    VT_VARIANT: "VT_VARIANT",
    VT_UNKNOWN: "VT_UNKNOWN",
    VT_DECIMAL: "VT_DECIMAL",
    VT_I1: "VT_I1",
    VT_UI1: "VT_UI1",
    VT_UI2: "VT_UI2",
    VT_UI4: "VT_UI4",
    VT_I8: "VT_I8",
    VT_UI8: "VT_UI8",
    VT_INT: "VT_INT",
    VT_UINT: "VT_UINT",
    VT_VOID: "VT_VOID",
    VT_HRESULT: "VT_HRESULT",
    VT_PTR: "VT_PTR",
    VT_SAFEARRAY: "VT_SAFEARRAY",
    VT_CARRAY: "VT_CARRAY",
    VT_USERDEFINED: "VT_USERDEFINED",
    VT_LPSTR: "VT_LPSTR",
    VT_LPWSTR: "VT_LPWSTR",
    VT_RECORD: "VT_RECORD",
    VT_INT_PTR: "VT_INT_PTR",
    VT_UINT_PTR: "VT_UINT_PTR",
    VT_FILETIME: "VT_FILETIME",
    VT_BLOB: "VT_BLOB",
    VT_CLSID: "VT_CLSID",
}
_FLAG_NAMES = ((VT_VECTOR, "VT_VECTOR"), (VT_ARRAY, "VT_ARRAY"), (VT_BYREF, "VT_BYREF"), (VT_RESERVED, "VT_RESERVED"))

ELEMENT_SIZES: Final[dict[int, int]] = {
    VT_I1: 1,
    VT_UI1: 1,
    VT_I2: 2,
    VT_UI2: 2,
    VT_BOOL: 2,
    VT_I4: 4,
    VT_UI4: 4,
    VT_INT: 4,
    VT_UINT: 4,
    VT_R4: 4,
    VT_ERROR: 4,
    VT_I8: 8,
    VT_UI8: 8,
    VT_R8: 8,
    VT_CY: 8,
    VT_DATE: 8,
    VT_BSTR: 8,
    VT_UNKNOWN: 8,
    VT_DISPATCH: 8,
    VT_DECIMAL: 16,
    VT_VARIANT: 24,
}
"""Bytes per element of a SAFEARRAY of each element type this package converts (x64), as SafeArrayCreate makes
them."""


def vt_name(vt: int) -> str:
    """The VARTYPE as text: ``"VT_I4"``, ``"VT_BYREF|VT_VARIANT"``, ``"VT_ARRAY|VT_BSTR"``; an unknown base type
    shows as its number (``"VT_0x7F"``)."""
    vt &= 0xFFFF
    if vt == VT_ILLEGAL:
        return "VT_ILLEGAL"
    base = vt & VT_TYPEMASK
    parts = [name for flag, name in _FLAG_NAMES if vt & flag]
    parts.append(_BASE_NAMES.get(base, f"VT_0x{base:X}"))
    return "|".join(parts)


# ---- DATE ---------------------------------------------------------------------------------------------------------

DATE_MIN: Final = -657434.0
"""The first day of Automation's DATE range, 0100-01-01 (a DATE above ``DATE_MIN - 1`` is accepted: the day is
rounded toward zero)."""
DATE_MAX: Final = 2958465.0
"""The last day of Automation's DATE range, 9999-12-31 (a DATE below ``DATE_MAX + 1`` is accepted)."""

_EPOCH = _dt.datetime(1899, 12, 30)
_MS_PER_DAY = 86_400_000
_timedelta = _dt.timedelta


def datetime_from_date(value: float) -> _dt.datetime:
    """The naive ``datetime`` of a DATE, rounded to the millisecond. The day is the integer part rounded toward
    zero and the fraction is the time of day whatever the sign (``-1.25`` -> 1899-12-29 06:00). ValueError for NaN,
    OverflowError outside Automation's range (0100-01-01 .. 9999-12-31)."""
    if value != value:
        raise ValueError("a DATE may not be NaN")
    if not DATE_MIN - 1.0 < value < DATE_MAX + 1.0:
        raise OverflowError(f"DATE {value!r} is outside Automation's range (0100-01-01 .. 9999-12-31)")
    day = math.trunc(value)
    ms = round(abs(value - day) * _MS_PER_DAY)  # exact: |value - day| < 1 is computed without rounding error
    result = _EPOCH + _timedelta(day, 0, 0, ms)  # (days, seconds, microseconds, milliseconds)
    if result.year < 100:  # pragma: no cover - excluded by the range check above
        raise OverflowError(f"DATE {value!r} is outside Automation's range")
    return result


def date_from_datetime(value: _dt.datetime | _dt.date) -> float:
    """The DATE of a naive ``datetime`` (a ``date`` is its midnight), rounded to the millisecond (half to even).
    ValueError for a timezone-aware datetime (a DATE is wall-clock time; convert first), OverflowError before
    0100-01-01."""
    if isinstance(value, _dt.datetime):
        tz = value.tzinfo
        if tz is not None:
            if value.utcoffset() is not None:
                raise ValueError(
                    "VT_DATE has no time zone: pass a naive datetime (e.g. dt.astimezone().replace(tzinfo=None))"
                )
            value = value.replace(tzinfo=None)
        delta = value - _EPOCH
    elif isinstance(value, _dt.date):
        delta = _dt.datetime(value.year, value.month, value.day) - _EPOCH
    else:
        raise TypeError(f"a DATE is made from a datetime or a date, not {type(value).__name__}")
    if value.year < 100:
        raise OverflowError(f"{value!r} is before Automation's first date, 0100-01-01")
    day = delta.days  # floor: the day before for times before the epoch; the time of day is >= 0
    ms, rest = divmod(delta.seconds * 1_000_000 + delta.microseconds, 1000)
    if rest > 500 or (rest == 500 and ms & 1):  # half to even (a day has an even number of ms)
        ms += 1
        if ms == _MS_PER_DAY:
            day, ms = day + 1, 0
    if day > DATE_MAX:
        raise OverflowError(f"{value!r} rounds past Automation's last date, 9999-12-31")
    fraction = ms / _MS_PER_DAY
    return day + fraction if day >= 0 else day - fraction


# ---- CY -----------------------------------------------------------------------------------------------------------

CY_MIN: Final = -(2**63)
"""The smallest CY, in 1/10,000ths (-922,337,203,685,477.5808)."""
CY_MAX: Final = 2**63 - 1
"""The largest CY, in 1/10,000ths (922,337,203,685,477.5807)."""


def _digits(n: int) -> tuple[int, ...]:
    return tuple(int(c) for c in str(n))


def decimal_from_cy(value: int) -> Decimal:
    """The exact Decimal of a CY's 64-bit integer (four decimal places: ``15000`` -> ``Decimal("1.5000")``)."""
    if not CY_MIN <= value <= CY_MAX:
        raise OverflowError(f"{value} is not a 64-bit CY")
    return Decimal((1 if value < 0 else 0, _digits(abs(value)), -4))


def _round_half_even(numerator: int, divisor: int) -> int:
    """``numerator / divisor`` rounded half to even (``divisor > 0``; either sign of numerator)."""
    q, r = divmod(numerator, divisor)
    twice = 2 * r
    if twice > divisor or (twice == divisor and q & 1):
        q += 1
    return q


def _as_decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(value)  # a float's exact binary value
    raise TypeError(f"a {what} is made from a Decimal, an int or a float, not {type(value).__name__}")


def cy_from_decimal(value: Decimal | int | float) -> int:
    """The CY (64-bit count of 1/10,000ths) of a number, rounded half to even at the fourth decimal place, as
    oleaut32 rounds. ValueError for NaN/infinity, OverflowError outside the CY range."""
    d = _as_decimal(value, "CY")
    if not d.is_finite():
        raise ValueError(f"a CY cannot hold {d}")
    sign, digits, exp = d.as_tuple()
    assert isinstance(exp, int)
    n = int("".join(map(str, digits))) if digits else 0
    shift = exp + 4
    if shift >= 0:
        if shift > 40:  # far beyond the range; don't build a huge integer
            raise OverflowError(f"{d} is outside the CY range")
        scaled: int = n * 10**shift
    else:
        scaled = _round_half_even(n, 10**-shift)
    if sign:
        scaled = -scaled
    if not CY_MIN <= scaled <= CY_MAX:
        raise OverflowError(f"{d} is outside the CY range")
    return scaled


# ---- DECIMAL ------------------------------------------------------------------------------------------------------

DECIMAL_MAX_MANTISSA: Final = 2**96 - 1
"""The largest DECIMAL mantissa (96 bits): 79,228,162,514,264,337,593,543,950,335."""
_DECIMAL_NEG = 0x80
_DECIMAL_STRUCT = struct.Struct("<HBBIQ")  # wReserved, scale, sign, Hi32, Lo64


class DecimalFields(NamedTuple):
    """A DECIMAL's fields: ``scale`` (0..28), ``sign`` (0 or 0x80), ``hi32`` and ``lo64`` (the 96-bit mantissa)."""

    scale: int
    sign: int
    hi32: int
    lo64: int


def decimal_from_fields(scale: int, sign: int, hi32: int, lo64: int) -> Decimal:
    """The exact Decimal of a DECIMAL's fields. ValueError for a scale above 28 or a sign other than 0/0x80 (what
    oleaut32 refuses with E_INVALIDARG)."""
    if not 0 <= scale <= 28:
        raise ValueError(f"invalid DECIMAL: scale {scale} (allowed 0..28)")
    if sign not in (0, _DECIMAL_NEG):
        raise ValueError(f"invalid DECIMAL: sign byte 0x{sign:02X} (allowed 0 or 0x80)")
    mantissa = (hi32 << 64) | lo64
    return Decimal((1 if sign else 0, _digits(mantissa), -scale))


def decimal_fields(value: Decimal | int | float) -> DecimalFields:
    """The DECIMAL fields of a number: exact when it fits (a mantissa below 2**96 at a scale of 0..28, trailing
    zeros dropped only when needed); otherwise rounded half to even to the largest scale that fits, as oleaut32
    rounds digits beyond what a DECIMAL holds. ValueError for NaN/infinity, OverflowError when even the integer part
    needs more than 96 bits."""
    d = _as_decimal(value, "DECIMAL")
    if not d.is_finite():
        raise ValueError(f"a DECIMAL cannot hold {d}")
    sign, digits, exp = d.as_tuple()
    assert isinstance(exp, int)
    n = int("".join(map(str, digits))) if digits else 0
    if exp >= 0:
        if exp > 40 and n:
            raise OverflowError(f"{d} needs more than the 96 bits of a DECIMAL")
        n *= 10**exp if n else 1
        scale = 0
    else:
        scale = -exp
    if scale > 28 or n > DECIMAL_MAX_MANTISSA:
        while scale > 0 and n % 10 == 0 and (scale > 28 or n > DECIMAL_MAX_MANTISSA):
            n //= 10
            scale -= 1
    if scale > 28 or n > DECIMAL_MAX_MANTISSA:
        if n // 10**scale > DECIMAL_MAX_MANTISSA:
            raise OverflowError(f"{d} needs more than the 96 bits of a DECIMAL")
        for target in range(min(scale, 28), -1, -1):
            rounded = _round_half_even(n, 10 ** (scale - target))
            if rounded <= DECIMAL_MAX_MANTISSA:
                n, scale = rounded, target
                break
        else:  # pragma: no cover - scale 0 always fits after the integer-part check
            raise OverflowError(f"{d} needs more than the 96 bits of a DECIMAL")
    return DecimalFields(scale, _DECIMAL_NEG if sign else 0, n >> 64, n & 0xFFFFFFFFFFFFFFFF)


def decimal_from_bytes(image: bytes | bytearray | memoryview) -> Decimal:
    """The Decimal of a DECIMAL's 16-byte image (little-endian; the first word, ``wReserved``, is ignored)."""
    _, scale, sign, hi32, lo64 = _DECIMAL_STRUCT.unpack(image)
    return decimal_from_fields(scale, sign, hi32, lo64)


def decimal_to_bytes(value: Decimal | int | float, reserved: int = 0) -> bytes:
    """The 16-byte image of a DECIMAL holding ``value`` (see :func:`decimal_fields`), ``wReserved`` = ``reserved``
    (VT_DECIMAL when the image fills a VARIANT: DECIMAL's first word is the VARIANT's ``vt``)."""
    scale, sign, hi32, lo64 = decimal_fields(value)
    return _DECIMAL_STRUCT.pack(reserved, scale, sign, hi32, lo64)


# ---- values with no Python twin -----------------------------------------------------------------------------------


class NullType:
    """The type of :data:`Null` (VT_NULL): one instance, false in a boolean context."""

    __slots__ = ()
    _instance: NullType | None = None

    def __new__(cls) -> NullType:
        inst = cls._instance
        if inst is None:
            inst = cls._instance = object.__new__(cls)
        return inst

    def __repr__(self) -> str:
        return "Null"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "Null"


Null: Final = NullType()
"""VT_NULL: Automation's null (a database NULL, VBScript's ``Null``), distinct from ``None`` (VT_EMPTY)."""


class ErrorValue:
    """VT_ERROR: an SCODE carried as a value (not raised). ``ErrorValue(DISP_E_PARAMNOTFOUND)`` is :data:`Missing`,
    what a caller passes for an omitted optional argument. ``scode`` is kept unsigned (``0x80020004``); equal
    SCODEs compare equal."""

    __slots__ = ("scode",)
    scode: int

    def __new__(cls, scode: int) -> ErrorValue:
        # One Missing: every DISP_E_PARAMNOTFOUND read from a VARIANT is the singleton, so ``c is Missing`` holds
        # whichever path (Invoke or a vtable thunk) converted the argument.
        if cls is ErrorValue and isinstance(scode, int) and scode & 0xFFFFFFFF == DISP_E_PARAMNOTFOUND:
            missing = globals().get("Missing")
            if missing is not None:
                return missing  # type: ignore[no-any-return]
        return object.__new__(cls)

    def __init__(self, scode: int) -> None:
        if not isinstance(scode, int) or isinstance(scode, bool):
            raise TypeError(f"an SCODE is an int, not {type(scode).__name__}")
        if not -(2**31) <= scode <= 0xFFFFFFFF:
            raise OverflowError(f"SCODE {scode} does not fit 32 bits")
        object.__setattr__(self, "scode", scode & 0xFFFFFFFF)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("ErrorValue is immutable")

    @property
    def signed(self) -> int:
        """The SCODE as the signed 32-bit value a VARIANT stores."""
        s = self.scode
        return s - 0x100000000 if s & 0x80000000 else s

    @property
    def is_missing(self) -> bool:
        """Whether this is :data:`Missing` (DISP_E_PARAMNOTFOUND, an omitted optional argument)."""
        return self.scode == DISP_E_PARAMNOTFOUND

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ErrorValue) and other.scode == self.scode

    def __hash__(self) -> int:
        return hash(("ErrorValue", self.scode))

    def __repr__(self) -> str:
        return "Missing" if self.scode == DISP_E_PARAMNOTFOUND else f"ErrorValue(0x{self.scode:08X})"

    def __reduce__(self) -> tuple[type[ErrorValue], tuple[int]]:
        return (ErrorValue, (self.scode,))


Missing: Final = ErrorValue(DISP_E_PARAMNOTFOUND)
"""An omitted optional argument: VT_ERROR with DISP_E_PARAMNOTFOUND, as Automation passes it."""


class Variant(tuple[int, Any]):
    """An exact typed value: ``Variant(VT_I2, 5)`` is written as VT_I2 (plain ``5`` would be VT_I4), and
    ``vtables.variant.to_typed`` returns these so that writing one back reproduces the original VARIANT.
    ``value`` is the Python value of the base type; for ``VT_ARRAY|x`` a ``vtables.variant.SafeArray``. Immutable
    (a pair ``(vt, value)``, cheap to make); equal when the vts are and the values are, of the same type
    (``Variant(VT_BOOL, True) != Variant(VT_BOOL, 1)``)."""

    __slots__ = ()

    def __new__(cls, vt: int, value: Any = None) -> Variant:
        if not isinstance(vt, int) or isinstance(vt, bool) or not 0 <= vt <= 0xFFFF:
            raise ValueError(f"a VARTYPE is an int in 0..0xFFFF, not {vt!r}")
        return tuple.__new__(cls, (vt, value))

    @property
    def vt(self) -> int:
        """The VARTYPE."""
        return self[0]

    @property
    def value(self) -> Any:
        """The value, as the base type's Python value."""
        return self[1]

    def __eq__(self, other: object) -> bool:
        if type(other) is not Variant:
            return False  # (not NotImplemented: a plain tuple would then compare equal)
        a, b = self[1], other[1]
        return self[0] == other[0] and type(a) is type(b) and a == b

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash((Variant, self[0], self[1]))

    def __repr__(self) -> str:
        return f"Variant({vt_name(self[0])}, {self[1]!r})"

    def __reduce__(self) -> tuple[type[Variant], tuple[int, Any]]:
        return (Variant, (self[0], self[1]))
