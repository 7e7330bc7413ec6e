"""VARIANT <-> Python at run time: every Automation type, SAFEARRAYs, exact ownership.

Every function takes a cffi ``VARIANT *`` (``ffi.new("VARIANT *")``, an element of a ``VARIANT[]``, or a pointer
received from COM). Names say who owns what:

* :func:`to_python` *borrows*: the VARIANT is read, never changed or freed. VT_EMPTY -> None, VT_NULL ->
  :data:`Null`, integers -> int, VT_R4/R8 -> float, VT_BOOL -> bool, VT_BSTR -> str (NULs and non-BMP characters
  kept; a NULL BSTR is ""), VT_DATE -> datetime, VT_CY/VT_DECIMAL -> Decimal, VT_ERROR -> :class:`ErrorValue`
  (:data:`Missing` for DISP_E_PARAMNOTFOUND), VT_UNKNOWN/VT_DISPATCH -> a *new* ComPtr the caller releases (None
  for NULL), VT_BYREF|x -> the value it points to, VT_ARRAY|x -> a list (N-D: nested lists, first dimension
  outermost), VT_ARRAY|VT_UI1 -> bytes.
* :func:`to_typed` is the exact reading: :class:`Variant` values keeping the vt, arrays as :class:`SafeArray`
  keeping element type, dimensions and lower bounds. References are followed (as VariantCopyInd does): the
  result never has VT_BYREF. ``write(p, to_typed(q))`` reproduces ``q``.
* :func:`write` stores a value in a VARIANT that holds nothing (its previous content is overwritten, not freed).
  What it writes belongs to that VARIANT (BSTRs allocated, interfaces AddRef'd, SAFEARRAYs created) and
  :func:`clear` frees it, once. A value that cannot be converted raises and writes nothing: the VARIANT keeps its
  VT_EMPTY and whatever was made on the way (nested arrays, strings, references) is freed.
* :func:`write_byref_target` assigns to an [in, out] VT_BYREF VARIANT received from a caller.
* :class:`VariantArray`: an owned ``VARIANT[n]`` (for DISPPARAMS); :class:`SafeArray`: the exact array value.

Python -> vt in :func:`write`: None VT_EMPTY, Null VT_NULL, bool VT_BOOL (-1/0), int VT_I4 if it fits else VT_I8
(else OverflowError), float VT_R8, str VT_BSTR, datetime/date VT_DATE, Decimal VT_DECIMAL, ErrorValue VT_ERROR, our
ComObject VT_DISPATCH when it implements IDispatch else VT_UNKNOWN, a ComPtr VT_DISPATCH when its interface derives
from IDispatch else VT_UNKNOWN, bytes/bytearray/memoryview VT_ARRAY|VT_UI1, list/tuple VT_ARRAY|VT_VARIANT (nested
rectangular lists: N-D), ``Variant(vt, v)`` exactly vt, a SafeArray its array.

Conversions are chosen by tables built once (vt -> reader, Python type -> writer). Arrays move in bulk where the
memory allows: bytes in one memmove, typed numeric arrays through ``ffi.unpack``/``array``, and a SAFEARRAY of
VARIANTs that all have the same simple vt (ints, floats, bools...) through strided memoryviews, with no Python work
per element. Errors: an unknown or misplaced vt raises :class:`VariantTypeError` (DISP_E_BADVARTYPE); malformed
contents (a SAFEARRAY whose dimensions or bounds are inconsistent, a BSTR of odd byte length, a DECIMAL with a
scale above 28) raise InvalidArgError (E_INVALIDARG); a NULL reference raises PointerError (E_POINTER).
"""

from __future__ import annotations

import codecs
import datetime as _dt
import logging
import threading
from array import array
from decimal import Decimal
from operator import attrgetter
from typing import Any

from ole32_bindings.dlls import ffi, function
from ole32_bindings.hresult import ComError, InvalidArgError, PointerError, check, error_from_hresult
from ole32_bindings.oavalues import (
    DISP_E_BADVARTYPE,
    ELEMENT_SIZES,
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
    VT_TYPEMASK,
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
    NullType,
    Variant,
    cy_from_decimal,
    date_from_datetime,
    datetime_from_date,
    decimal_from_bytes,
    decimal_from_cy,
    decimal_to_bytes,
    vt_name,
)

from .client import ComPtr, _use_variant, client_class
from .interfaces.automation import IDispatch
from .interfaces.unknown import IUnknown
from .object import ComObject

__all__ = [
    "to_python",
    "to_typed",
    "write",
    "write_byref_target",
    "clear",
    "VariantArray",
    "SafeArray",
    "VariantTypeError",
    "Variant",
    "Null",
    "Missing",
    "ErrorValue",
]

log = logging.getLogger("vtables")

_NULL = ffi.NULL
_cast = ffi.cast
_new = ffi.new
_buffer = ffi.buffer
_unpack = ffi.unpack
_memmove = ffi.memmove

_VariantClear = function("VariantClear")
_VariantInit = function("VariantInit")
_VariantChangeType = function("VariantChangeType")
_SysAllocStringByteLen = function("SysAllocStringByteLen")
_SysAllocStringLen = function("SysAllocStringLen")
_SysFreeString = function("SysFreeString")
_SafeArrayCreate = function("SafeArrayCreate")
_SafeArrayDestroy = function("SafeArrayDestroy")
_SafeArrayAccessData = function("SafeArrayAccessData")
_SafeArrayUnaccessData = function("SafeArrayUnaccessData")
_SafeArrayGetVartype = function("SafeArrayGetVartype")

#: Variant((vt, value)) without Variant.__new__'s checks, for vts read from a VARIANT
_variant = tuple.__new__
_utf16_encode = codecs.utf_16_le_encode
_VARIANT_P = ffi.typeof("VARIANT *")
_U32_P = ffi.typeof("uint32_t *")
_WCHAR_P = ffi.typeof("wchar_t *")
_VARIANT_T = ffi.typeof("VARIANT")
_SAFEARRAY_PP = ffi.typeof("SAFEARRAY **")
_BOUNDS_P = ffi.typeof("SAFEARRAYBOUND *")
_VOID_PP = ffi.typeof("void **")
_BSTR_P = ffi.typeof("BSTR *")
_CHAR_P = ffi.typeof("char *")
_IUNKNOWN_P = ffi.typeof("IUnknown *")
_UNKNOWN_PTR = client_class(IUnknown)
_DISPATCH_PTR = client_class(IDispatch)
_VARIANT_SIZE = ffi.sizeof("VARIANT")
_FLT_MAX = 3.4028234663852886e38
_LONG_MAX = 0x7FFFFFFF
_E_INVALIDARG = 0x80070057
_DISP_E_BADVARTYPE_SIGNED = DISP_E_BADVARTYPE - 0x100000000
_DISP_E_ARRAYISLOCKED = 0x8002000D


class VariantTypeError(ComError):
    """A VARIANT (or a value to write) whose vt is unknown, invalid or not allowed where it is (DISP_E_BADVARTYPE)."""

    HRESULT = DISP_E_BADVARTYPE


def _bad_vt(vt: int, where: str = "") -> VariantTypeError:
    return VariantTypeError(description=f"{vt_name(vt)} (0x{vt:04X}) is not a valid VARIANT type{where}")


def _invalid(description: str) -> InvalidArgError:
    return InvalidArgError(description=description)


# ---- reading scalars -------------------------------------------------------------------------------------------


def _bstr_text(b: Any) -> str:
    """The text of a BSTR, borrowed (NULL is ""). InvalidArgError for an odd byte length: not UTF-16 text."""
    if not b:
        return ""
    nbytes = _cast(_U32_P, b)[-1]  # the length prefix (what SysStringByteLen reads)
    if nbytes & 1:
        raise _invalid(f"a BSTR of {nbytes} bytes (an odd byte length is not UTF-16 text)")
    text: str = _unpack(_cast(_WCHAR_P, b), nbytes >> 1)  # UTF-16: pairs joined, lone surrogates kept
    return text


def _unknown_ptr(p: Any) -> ComPtr | None:
    return None if p == _NULL else _UNKNOWN_PTR.from_borrowed(p)


def _dispatch_ptr(p: Any) -> ComPtr | None:
    return None if p == _NULL else _DISPATCH_PTR.from_borrowed(p)


def _decimal_at(address: Any) -> Decimal:
    try:
        return decimal_from_bytes(_buffer(_cast(_CHAR_P, address), 16))
    except ValueError as exc:
        raise _invalid(str(exc)) from None


def _date(value: float) -> _dt.datetime:
    try:
        return datetime_from_date(value)
    except (ValueError, OverflowError) as exc:
        raise _invalid(str(exc)) from None


def _deref(p: Any) -> Any:
    ref = p.byref
    if ref == _NULL:
        raise PointerError(description=f"{vt_name(p.vt)} with a NULL reference")
    return ref


#: base vt -> (reader of the value inside a VARIANT, reader of the value a VT_BYREF VARIANT points to)
_SCALARS: dict[int, tuple[Any, Any]] = {
    VT_I1: (attrgetter("cVal"), lambda p: _cast("CHAR *", _deref(p))[0]),
    VT_UI1: (attrgetter("bVal"), lambda p: _cast("BYTE *", _deref(p))[0]),
    VT_I2: (attrgetter("iVal"), lambda p: _cast("SHORT *", _deref(p))[0]),
    VT_UI2: (attrgetter("uiVal"), lambda p: _cast("USHORT *", _deref(p))[0]),
    VT_I4: (attrgetter("lVal"), lambda p: _cast("LONG *", _deref(p))[0]),
    VT_UI4: (attrgetter("ulVal"), lambda p: _cast("ULONG *", _deref(p))[0]),
    VT_INT: (attrgetter("intVal"), lambda p: _cast("INT *", _deref(p))[0]),
    VT_UINT: (attrgetter("uintVal"), lambda p: _cast("UINT *", _deref(p))[0]),
    VT_I8: (attrgetter("llVal"), lambda p: _cast("LONGLONG *", _deref(p))[0]),
    VT_UI8: (attrgetter("ullVal"), lambda p: _cast("ULONGLONG *", _deref(p))[0]),
    VT_R4: (attrgetter("fltVal"), lambda p: _cast("float *", _deref(p))[0]),
    VT_R8: (attrgetter("dblVal"), lambda p: _cast("double *", _deref(p))[0]),
    VT_BOOL: (lambda p: p.boolVal != 0, lambda p: _cast("VARIANT_BOOL *", _deref(p))[0] != 0),
    VT_ERROR: (lambda p: ErrorValue(p.scode), lambda p: ErrorValue(_cast("SCODE *", _deref(p))[0])),
    VT_CY: (lambda p: decimal_from_cy(p.cyVal.int64), lambda p: decimal_from_cy(_cast("LONGLONG *", _deref(p))[0])),
    VT_DATE: (lambda p: _date(p.date), lambda p: _date(_cast("DATE *", _deref(p))[0])),
    VT_BSTR: (lambda p: _bstr_text(p.bstrVal), lambda p: _bstr_text(_cast(_BSTR_P, _deref(p))[0])),
    VT_DECIMAL: (_decimal_at, lambda p: _decimal_at(_deref(p))),
    VT_UNKNOWN: (lambda p: _unknown_ptr(p.punkVal), lambda p: _unknown_ptr(_cast(_VOID_PP, _deref(p))[0])),
    VT_DISPATCH: (lambda p: _dispatch_ptr(p.pdispVal), lambda p: _dispatch_ptr(_cast(_VOID_PP, _deref(p))[0])),
}


def _inner_variant(p: Any) -> Any:
    inner = _cast(_VARIANT_P, _deref(p))
    if inner.vt == VT_BYREF | VT_VARIANT:
        raise _invalid("a VT_BYREF|VT_VARIANT pointing at another VT_BYREF|VT_VARIANT")
    return inner


def _array_of(p: Any) -> Any:
    return p.parray


def _array_by_ref(p: Any) -> Any:
    return _cast(_SAFEARRAY_PP, _deref(p))[0]


def _build_tables() -> tuple[dict[int, Any], dict[int, Any]]:
    """vt -> reader for to_python, and vt -> reader for to_typed: every valid VARIANT vt, built once."""
    py: dict[int, Any] = {VT_EMPTY: lambda p: None, VT_NULL: lambda p: Null}
    typed: dict[int, Any] = {VT_EMPTY: lambda p: Variant(VT_EMPTY), VT_NULL: lambda p: Variant(VT_NULL, Null)}
    for vt, (direct, by_ref) in _SCALARS.items():
        py[vt] = direct
        py[VT_BYREF | vt] = by_ref
        typed[vt] = lambda p, vt=vt, r=direct: _variant(Variant, (vt, r(p)))
        typed[VT_BYREF | vt] = lambda p, vt=vt, r=by_ref: _variant(Variant, (vt, r(p)))
    py[VT_BYREF | VT_VARIANT] = lambda p: to_python(_inner_variant(p))
    typed[VT_BYREF | VT_VARIANT] = lambda p: to_typed(_inner_variant(p))
    for elem in ELEMENT_SIZES:
        avt = VT_ARRAY | elem
        py[avt] = lambda p, e=elem: _array_python(_array_of(p), e)
        py[VT_BYREF | avt] = lambda p, e=elem: _array_python(_array_by_ref(p), e)
        typed[avt] = lambda p, e=elem, avt=avt: Variant(avt, _array_typed(_array_of(p), e))
        typed[VT_BYREF | avt] = lambda p, e=elem, avt=avt: Variant(avt, _array_typed(_array_by_ref(p), e))
    return py, typed


def to_python(pvar: Any) -> Any:
    """The natural Python value of a VARIANT it borrows (nothing freed, nothing changed); see the module doc.
    VT_UNKNOWN/VT_DISPATCH (also inside arrays) come back as new ComPtrs that the caller releases.
    VariantTypeError for an unknown or invalid vt."""
    vt = pvar.vt
    reader = _PY.get(vt)
    if reader is None:
        raise _bad_vt(vt)
    return reader(pvar)


def to_typed(pvar: Any) -> Variant:
    """The exact value of a VARIANT it borrows: a :class:`Variant` keeping the vt (references followed, so never
    VT_BYREF), arrays as :class:`SafeArray`, elements of VARIANT arrays as Variants. ComPtrs inside are new
    references the caller releases."""
    vt = pvar.vt
    reader = _TYPED.get(vt)
    if reader is None:
        raise _bad_vt(vt)
    result: Variant = reader(pvar)
    return result


# ---- SAFEARRAY: reading ----------------------------------------------------------------------------------------


def _shape(psa: Any, elem: int) -> tuple[list[tuple[int, int]], int]:
    """The (lbound, count) of each dimension (first dimension first) and the number of cells, checked against
    what a consistent SAFEARRAY of ``elem`` must hold."""
    cdims = psa.cDims
    if cdims == 0:
        raise _invalid("a SAFEARRAY with no dimensions (cDims 0)")
    size = ELEMENT_SIZES[elem]
    if psa.cbElements != size:
        raise _invalid(f"a SAFEARRAY of {vt_name(elem)} with {psa.cbElements}-byte elements (expected {size})")
    got = _new("VARTYPE *")
    if (
        _SafeArrayGetVartype(psa, got) >= 0
        and got[0] != elem
        and not ({got[0], elem} <= {VT_INT, VT_I4} or {got[0], elem} <= {VT_UINT, VT_UI4})
    ):
        raise _invalid(f"a SAFEARRAY of {vt_name(got[0])} read as {vt_name(elem)}")
    stored = _cast(_BOUNDS_P, psa.rgsabound)  # declared [1]: cDims of them follow the header
    bounds = []
    cells = 1
    for k in range(cdims - 1, -1, -1):  # rgsabound holds the last dimension first
        b = stored[k]
        lbound, count = b.lLbound, b.cElements
        if lbound + count - 1 > _LONG_MAX:
            raise _invalid(f"SAFEARRAY dimension {cdims - k}: lower bound {lbound} + {count} elements overflows")
        bounds.append((lbound, count))
        cells *= count
    if cells * size >= 1 << 32:
        raise _invalid(f"a SAFEARRAY of {cells} cells of {size} bytes (more than 4 GB: inconsistent bounds)")
    if cells and psa.pvData == _NULL:
        raise _invalid(f"a SAFEARRAY of {cells} cells with no data")
    return bounds, cells


def _with_data(psa: Any, elem: int, convert: Any) -> Any:
    """Lock ``psa`` (SafeArrayAccessData) and return ``convert(bounds, cells, data)``, unlocking after."""
    bounds, cells = _shape(psa, elem)
    data = _new(_VOID_PP)
    check(_SafeArrayAccessData(psa, data))
    try:
        return convert(bounds, cells, data[0])
    finally:
        _SafeArrayUnaccessData(psa)


def _release_all(values: Any) -> None:
    """Release every ComPtr in a partial result (a failure after some were made)."""
    if isinstance(values, ComPtr):
        if not values.released:
            values.release()
    elif isinstance(values, Variant):
        _release_all(values.value)
    elif isinstance(values, SafeArray):
        _release_all(values.values)
    elif isinstance(values, list):
        for v in values:
            _release_all(v)


def _unpacker(ctype: str, post: Any = None) -> Any:
    t = ffi.typeof(ctype + " *")
    if post is None:
        return lambda pv, n, typed: _unpack(_cast(t, pv), n)
    return lambda pv, n, typed: [post(x) for x in _unpack(_cast(t, pv), n)]


def _bstr_cells(pv: Any, n: int, typed: bool) -> list[Any]:
    return [_bstr_text(b) for b in _unpack(_cast(_BSTR_P, pv), n)]


def _decimal_cells(pv: Any, n: int, typed: bool) -> list[Any]:
    base = _cast(_CHAR_P, pv)
    return [_decimal_at(base + 16 * i) for i in range(n)]


def _pointer_cells(wrap: Any) -> Any:
    def cells(pv: Any, n: int, typed: bool) -> list[Any]:
        out: list[Any] = []
        try:
            for p in _unpack(_cast(_VOID_PP, pv), n):
                out.append(wrap(p))
        except BaseException:
            _release_all(out)
            raise
        return out

    return cells


#: element vt -> a memoryview format and (offset, step) of that value's slot in a VARIANT[] seen in that format,
#: for the bulk path of a SAFEARRAY of VARIANTs that all hold the same simple vt
_STRIDED = {
    VT_I1: ("b", 8, 24),
    VT_UI1: ("B", 8, 24),
    VT_I2: ("h", 4, 12),
    VT_UI2: ("H", 4, 12),
    VT_BOOL: ("h", 4, 12),
    VT_I4: ("i", 2, 6),
    VT_UI4: ("I", 2, 6),
    VT_INT: ("i", 2, 6),
    VT_UINT: ("I", 2, 6),
    VT_R4: ("f", 2, 6),
    VT_I8: ("q", 1, 3),
    VT_UI8: ("Q", 1, 3),
    VT_R8: ("d", 1, 3),
}


def _variant_cells(pv: Any, n: int, typed: bool) -> list[Any]:
    if n == 0:
        return []
    view = memoryview(_buffer(pv, n * _VARIANT_SIZE))
    vts = view.cast("H")[0::12].tolist()
    first = vts[0]
    if first in _STRIDED and vts.count(first) == n:  # all the same simple vt: no per-element work
        fmt, offset, step = _STRIDED[first]
        values: list[Any] = view.cast(fmt)[offset::step].tolist()  # type: ignore[call-overload]
        if first == VT_BOOL:
            values = [x != 0 for x in values]
        if typed:
            return [_variant(Variant, (first, x)) for x in values]
        return values
    if first == VT_EMPTY and vts.count(VT_EMPTY) == n:
        return [Variant(VT_EMPTY)] * n if typed else [None] * n
    base = _cast(_VARIANT_P, pv)
    read = _TYPED if typed else _PY
    out: list[Any] = []
    try:
        for i, vt in enumerate(vts):
            reader = read.get(vt)
            if reader is None:
                raise _bad_vt(vt, f" (element {i} of a SAFEARRAY of VARIANT)")
            out.append(reader(base + i))
    except BaseException:
        _release_all(out)
        raise
    return out


_CELLS: dict[int, Any] = {
    VT_I1: _unpacker("int8_t"),
    VT_UI1: _unpacker("uint8_t"),
    VT_I2: _unpacker("int16_t"),
    VT_UI2: _unpacker("uint16_t"),
    VT_I4: _unpacker("int32_t"),
    VT_UI4: _unpacker("uint32_t"),
    VT_INT: _unpacker("int32_t"),
    VT_UINT: _unpacker("uint32_t"),
    VT_I8: _unpacker("int64_t"),
    VT_UI8: _unpacker("uint64_t"),
    VT_R4: _unpacker("float"),
    VT_R8: _unpacker("double"),
    VT_BOOL: _unpacker("int16_t", lambda x: x != 0),
    VT_ERROR: _unpacker("int32_t", ErrorValue),
    VT_CY: _unpacker("int64_t", decimal_from_cy),
    VT_DATE: _unpacker("double", _date),
    VT_BSTR: _bstr_cells,
    VT_DECIMAL: _decimal_cells,
    VT_UNKNOWN: _pointer_cells(_unknown_ptr),
    VT_DISPATCH: _pointer_cells(_dispatch_ptr),
    VT_VARIANT: _variant_cells,
}


def _nest(memory: Any, counts: list[int]) -> Any:
    """Memory order (first index fastest) -> nested lists, first dimension outermost (bytes rows stay bytes)."""
    if len(counts) == 1:
        return memory
    c1, rest = counts[0], counts[1:]
    return [_nest(memory[i::c1], rest) for i in range(c1)]


def _row_major(memory: Any, counts: list[int]) -> Any:
    """Memory order -> one flat sequence, row-major with the first dimension outermost."""
    if len(counts) == 1:
        return memory
    c1, rest = counts[0], counts[1:]
    parts = [_row_major(memory[i::c1], rest) for i in range(c1)]
    if isinstance(memory, bytes):
        return b"".join(parts)
    return [x for part in parts for x in part]


def _memory_order(row_major: Any, counts: list[int]) -> Any:
    """Row-major flat values -> memory order (first index fastest): the inverse of :func:`_row_major`."""
    if len(counts) == 1:
        return row_major
    c1, rest = counts[0], counts[1:]
    n = len(row_major)
    out: Any = bytearray(n) if isinstance(row_major, (bytes, bytearray)) else [None] * n
    if n:
        stride = n // c1
        for i in range(c1):
            out[i::c1] = _memory_order(row_major[i * stride : (i + 1) * stride], rest)
    return bytes(out) if isinstance(out, bytearray) else out


def _array_python(psa: Any, elem: int) -> Any:
    if psa == _NULL:
        return None

    def convert(bounds: list[tuple[int, int]], cells: int, pv: Any) -> Any:
        if elem == VT_UI1 and len(bounds) == 1:
            return _buffer(pv, cells)[:]
        values = _CELLS[elem](pv, cells, False)
        if len(bounds) == 1:
            return values
        return _nest(values, [c for _, c in bounds])

    return _with_data(psa, elem, convert)


def _array_typed(psa: Any, elem: int) -> SafeArray | None:
    if psa == _NULL:
        return None

    def convert(bounds: list[tuple[int, int]], cells: int, pv: Any) -> SafeArray:
        if elem == VT_UI1:
            values: Any = _buffer(pv, cells)[:]
        else:
            values = _CELLS[elem](pv, cells, True)
        if len(bounds) > 1:
            values = _row_major(values, [c for _, c in bounds])
        return SafeArray(elem, bounds, values)

    result: SafeArray = _with_data(psa, elem, convert)
    return result


# ---- SAFEARRAY: the exact value --------------------------------------------------------------------------------


class SafeArray:
    """An exact SAFEARRAY value: element type ``vt`` (VT_I4, VT_VARIANT...; no flags), ``bounds`` (one
    ``(lbound, count)`` per dimension, first dimension first) and ``values`` in row-major order, first dimension
    outermost (for VT_UI1 a bytes object in the same order; for VT_VARIANT, Variants or plain values).

    ``SafeArray.vector(vt, values, lbound=0)`` makes a 1-D one; ``from_pointer`` reads one (borrowed) and
    ``create`` makes the native array (owned by the caller). ``write(pvar, sa)`` stores it as ``VT_ARRAY|vt``."""

    __slots__ = ("vt", "bounds", "values")
    __hash__ = None  # type: ignore[assignment]  # values are mutable

    def __init__(self, vt: int, bounds: list[tuple[int, int]] | tuple[tuple[int, int], ...], values: Any) -> None:
        if vt not in ELEMENT_SIZES:
            raise VariantTypeError(description=f"{vt_name(vt)} is not a SAFEARRAY element type this package converts")
        bounds = [(int(lb), int(c)) for lb, c in bounds]
        if not bounds:
            raise ValueError("a SAFEARRAY has at least one dimension")
        cells = 1
        for lb, c in bounds:
            if c < 0 or not -(2**31) <= lb <= _LONG_MAX or (c and lb + c - 1 > _LONG_MAX) or c > 0xFFFFFFFF:
                raise ValueError(f"invalid SAFEARRAY dimension (lbound {lb}, count {c})")
            cells *= c
        if vt == VT_UI1 and isinstance(values, (bytearray, memoryview)):
            values = bytes(values)
        if len(values) != cells:
            raise ValueError(f"{len(values)} values for dimensions {bounds} ({cells} cells)")
        self.vt = vt
        self.bounds = bounds
        self.values = values

    @classmethod
    def vector(cls, vt: int, values: Any, lbound: int = 0) -> SafeArray:
        """A 1-D array of ``values`` whose first index is ``lbound``."""
        return cls(vt, [(lbound, len(values))], values)

    @classmethod
    def from_pointer(cls, psa: Any, vt: int | None = None) -> SafeArray:
        """The value of a ``SAFEARRAY *`` it borrows (locked while read, unchanged). ``vt``: the element type (the
        VARIANT's ``vt & VT_TYPEMASK``); by default the array's own (SafeArrayGetVartype). ComPtrs inside are new
        references the caller releases."""
        if psa == _NULL:
            raise PointerError(description="SafeArray.from_pointer: NULL SAFEARRAY")
        if vt is None:
            got = _new("VARTYPE *")
            hr = _SafeArrayGetVartype(psa, got)
            if hr < 0:
                raise error_from_hresult(hr, "the SAFEARRAY does not record its element type: pass vt")
            vt = int(got[0])
        if vt not in ELEMENT_SIZES:
            raise _bad_vt(vt | VT_ARRAY)
        result = _array_typed(psa, vt)
        assert result is not None
        return result

    def create(self) -> Any:
        """A new native ``SAFEARRAY *`` holding these values (BSTRs allocated, interfaces AddRef'd), owned by the
        caller: SafeArrayDestroy it, or hand it to a VARIANT (``VT_ARRAY|vt``), whose VariantClear destroys it."""
        counts = [c for _, c in self.bounds]
        values = self.values
        if len(counts) > 1:
            values = _memory_order(values, counts)
        return _create(self.vt, self.bounds, values)

    def tolist(self) -> Any:
        """The values as nested lists, first dimension outermost (1-D: a list; VT_UI1 1-D: the bytes)."""
        counts = [c for _, c in self.bounds]
        if len(counts) == 1:
            return self.values
        return _nest(_memory_order(self.values, counts), counts)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SafeArray):
            return NotImplemented
        return (
            self.vt == other.vt
            and self.bounds == other.bounds
            and type(self.values) is type(other.values)
            and self.values == other.values
        )

    def __repr__(self) -> str:
        return f"SafeArray({vt_name(self.vt)}, {self.bounds}, {self.values!r})"


# ---- SAFEARRAY: writing ----------------------------------------------------------------------------------------


def _create(elem: int, bounds: list[tuple[int, int]], memory: Any) -> Any:
    """SafeArrayCreate + the cells in memory order (for VT_UI1 also a bytes-like object). Owned by the caller;
    nothing left behind on failure."""
    nd = len(bounds)
    if nd > 0xFFFF:
        raise ValueError(f"{nd} dimensions (a SAFEARRAY has at most 65535)")
    sab = _new("SAFEARRAYBOUND[]", nd)
    for i, (lb, c) in enumerate(bounds):
        sab[i].lLbound = lb
        sab[i].cElements = c
    psa = _SafeArrayCreate(elem, nd, sab)
    if psa == _NULL:
        raise MemoryError(f"SafeArrayCreate({vt_name(elem)}, {bounds}) failed")
    try:
        n = memory.nbytes if isinstance(memory, memoryview) else len(memory)
        if n:
            _WRITE_CELLS[elem](psa.pvData, memory, n)
    except BaseException:
        _SafeArrayDestroy(psa)  # frees the cells already written (BSTRs, references, VARIANTs)
        raise
    return psa


def _packer(typecode: str, pre: Any = None) -> Any:
    def cells(pv: Any, values: Any, n: int) -> None:
        try:
            data = array(typecode, values if pre is None else map(pre, values))
        except OverflowError as exc:
            raise OverflowError(f"a SAFEARRAY element is out of range: {exc}") from None
        _memmove(pv, data, len(data) * data.itemsize)

    return cells


def _bool_cell(x: Any) -> int:
    return -1 if x else 0


def _error_cell(x: Any) -> int:
    if isinstance(x, ErrorValue):
        return x.signed
    if isinstance(x, int) and not isinstance(x, bool):
        return ErrorValue(x).signed
    raise TypeError(f"a VT_ERROR element is an ErrorValue or an int SCODE, not {type(x).__name__}")


def _date_cell(x: Any) -> float:
    if isinstance(x, float):
        return x  # a DATE given as its number
    return date_from_datetime(x)


def _r4_cell(x: Any) -> float:
    f = float(x)
    if abs(f) > _FLT_MAX and f == f and abs(f) != float("inf"):
        raise OverflowError(f"{x!r} is out of range for VT_R4")
    return f


def _int_cell(x: Any) -> Any:
    if isinstance(x, float):
        raise TypeError(f"an integer element, not float {x!r}")
    return x


def _ui1_cells(pv: Any, values: Any, n: int) -> None:
    if isinstance(values, (bytes, bytearray, memoryview)):
        _memmove(pv, values, n)
    else:
        _packer("B", _int_cell)(pv, values, n)


def _decimal_array_cells(pv: Any, values: Any, n: int) -> None:
    data = b"".join([decimal_to_bytes(_decimal_value(x)) for x in values])
    _memmove(pv, data, len(data))


def _bstr_array_cells(pv: Any, values: Any, n: int) -> None:
    cells = _cast(_BSTR_P, pv)
    for i, x in enumerate(values):
        if x is None:
            continue
        if not isinstance(x, str):
            raise TypeError(f"a VT_BSTR element is a str, not {type(x).__name__}")
        cells[i] = _alloc_bstr(x)


def _iface_array_cells(dispatch: bool) -> Any:
    def cells(pv: Any, values: Any, n: int) -> None:
        slots = _cast(_VOID_PP, pv)
        for i, x in enumerate(values):
            if x is not None:
                slots[i] = _interface_ref(x, dispatch)

    return cells


def _variant_array_cells(pv: Any, values: Any, n: int) -> None:
    kinds = set(map(type, values))
    if len(kinds) == 1:
        kind = kinds.pop()
        if kind is int:
            try:
                packed = array("i", values)
            except OverflowError:
                packed = None  # some need VT_I8: element by element below
            if packed is not None:
                _bulk_variants(pv, n, VT_I4, "i", 2, 6, packed)
                return
        elif kind is float:
            _bulk_variants(pv, n, VT_R8, "d", 1, 3, array("d", values))
            return
    base = _cast(_VARIANT_P, pv)
    for i, x in enumerate(values):
        _write(base + i, x)  # on failure SafeArrayDestroy clears the elements written so far


def _bulk_variants(pv: Any, n: int, vt: int, fmt: str, offset: int, step: int, packed: array[Any]) -> None:
    image = bytearray(n * _VARIANT_SIZE)
    view = memoryview(image)
    view.cast("H")[0::12] = array("H", [vt]) * n
    view.cast(fmt)[offset::step] = packed  # type: ignore[call-overload]
    _memmove(pv, image, len(image))


_WRITE_CELLS: dict[int, Any] = {
    VT_I1: _packer("b", _int_cell),
    VT_UI1: _ui1_cells,
    VT_I2: _packer("h", _int_cell),
    VT_UI2: _packer("H", _int_cell),
    VT_I4: _packer("i", _int_cell),
    VT_UI4: _packer("I", _int_cell),
    VT_INT: _packer("i", _int_cell),
    VT_UINT: _packer("I", _int_cell),
    VT_I8: _packer("q", _int_cell),
    VT_UI8: _packer("Q", _int_cell),
    VT_R4: _packer("f", _r4_cell),
    VT_R8: _packer("d"),
    VT_BOOL: _packer("h", _bool_cell),
    VT_ERROR: _packer("i", _error_cell),
    VT_CY: _packer("q", cy_from_decimal),
    VT_DATE: _packer("d", _date_cell),
    VT_DECIMAL: _decimal_array_cells,
    VT_BSTR: _bstr_array_cells,
    VT_UNKNOWN: _iface_array_cells(False),
    VT_DISPATCH: _iface_array_cells(True),
    VT_VARIANT: _variant_array_cells,
}


#: the lists being written on this thread (a list met again inside itself is a cycle)
_nesting = threading.local()
_MAX_NESTING = 64


def _shape_of(value: list[Any] | tuple[Any, ...]) -> list[int]:
    """The dimensions of nested rectangular lists/tuples (first dimension first); [len] for anything else.
    ValueError for a list that contains itself."""
    counts = [len(value)]
    level: list[Any] = [value]
    seen = {id(value)}
    rows: list[Any] = list(value)
    while rows and type(rows[0]) in (list, tuple):
        width = len(rows[0])
        if not all(type(r) in (list, tuple) and len(r) == width for r in rows):
            break
        ids = {id(r) for r in rows}
        if ids & seen:
            raise ValueError("a list that contains itself cannot be written as a SAFEARRAY")
        seen |= ids
        counts.append(width)
        level = rows
        rows = [x for r in level for x in r]
    return counts


def _memory_from_nested(value: Any, counts: list[int]) -> list[Any]:
    """Nested rectangular lists -> cells in memory order (first index fastest)."""
    if len(counts) == 1:
        return list(value)
    c1, rest = counts[0], counts[1:]
    n = 1
    for c in counts:
        n *= c
    out: list[Any] = [None] * n
    if n:
        for i, row in enumerate(value):
            out[i::c1] = _memory_from_nested(row, rest)
    return out


def _array_from_sequence(elem: int, value: Any, lbound: int = 0) -> Any:
    """A new SAFEARRAY of ``elem`` from a list/tuple (nested rectangular: N-D) or, for VT_UI1, a bytes-like."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        if elem != VT_UI1:
            raise TypeError(f"bytes make a SAFEARRAY of VT_UI1, not of {vt_name(elem)}")
        data = memoryview(value)
        if not data.c_contiguous:
            data = memoryview(data.tobytes())
        return _create(VT_UI1, [(lbound, data.nbytes)], data)  # one memmove of the caller's buffer
    key = id(value)
    active: set[int] = _nesting.__dict__.setdefault("lists", set())
    if key in active:
        raise ValueError("a list that contains itself cannot be written as a SAFEARRAY")
    if len(active) >= _MAX_NESTING:
        raise ValueError(f"lists nested more than {_MAX_NESTING} levels deep cannot be written as SAFEARRAYs")
    active.add(key)
    try:
        counts = _shape_of(value)
        memory = _memory_from_nested(value, counts) if len(counts) > 1 else value
        return _create(elem, [(lbound, c) for c in counts], memory)
    finally:
        active.discard(key)


# ---- writing ---------------------------------------------------------------------------------------------------


def _alloc_bstr(text: str) -> Any:
    if text.isascii():  # one UTF-16 unit per character: cffi passes the str itself (NULs included)
        b = _SysAllocStringLen(text, len(text))
        if not b:
            raise MemoryError(f"SysAllocStringLen({len(text)}) failed")
        return b
    units = _utf16_encode(text, "surrogatepass")[0]
    b = _SysAllocStringByteLen(units, len(units))
    if not b:
        raise MemoryError(f"SysAllocStringByteLen({len(units)}) failed")
    return b


#: ComObject class -> (vt, IID) it is written as: VT_DISPATCH when the class implements IDispatch
_object_kinds: dict[type, tuple[int, Any]] = {}


def _object_kind(obj: ComObject) -> tuple[int, Any]:
    cls = type(obj)
    kind = _object_kinds.get(cls)
    if kind is None:
        kind = (VT_DISPATCH, IDispatch.iid) if IDispatch.iid.bytes_le in cls._com_qi else (VT_UNKNOWN, IUnknown.iid)
        _object_kinds[cls] = kind
    return kind


def _ptr_is_dispatch(ptr: ComPtr) -> bool:
    return IDispatch in ptr.interface.lineage


def _interface_ref(value: Any, dispatch: bool) -> Any:
    """A new reference (raw pointer) to ``value`` as IDispatch (``dispatch``) or IUnknown."""
    if isinstance(value, ComObject):
        if dispatch:
            return value.query_raw(IDispatch.iid)  # NoInterfaceError when it has none
        return value.query_raw(IUnknown.iid)
    if isinstance(value, ComPtr):
        if dispatch and not _ptr_is_dispatch(value):
            return value.query(IDispatch).into_raw()
        p = value.as_raw()
        _cast(_IUNKNOWN_P, p).lpVtbl.AddRef(p)
        return p
    raise TypeError(f"{'VT_DISPATCH' if dispatch else 'VT_UNKNOWN'} holds a ComObject or a ComPtr, not {_tn(value)}")


def _tn(value: Any) -> str:
    return type(value).__name__


def _w_none(p: Any, value: Any) -> None:
    p.vt = VT_EMPTY


def _w_null(p: Any, value: Any) -> None:
    p.vt = VT_NULL


def _w_bool(p: Any, value: Any) -> None:
    p.boolVal = -1 if value else 0
    p.vt = VT_BOOL


def _w_int(p: Any, value: Any) -> None:
    if -0x80000000 <= value <= 0x7FFFFFFF:
        p.lVal = value
        p.vt = VT_I4
    elif -0x8000000000000000 <= value <= 0x7FFFFFFFFFFFFFFF:
        p.llVal = value
        p.vt = VT_I8
    else:
        raise OverflowError(f"int {value} does not fit VT_I8 (write Variant(VT_UI8, n) or a Decimal)")


def _w_float(p: Any, value: Any) -> None:
    p.dblVal = value
    p.vt = VT_R8


def _w_str(p: Any, value: Any) -> None:
    p.bstrVal = _alloc_bstr(value)
    p.vt = VT_BSTR


def _w_date(p: Any, value: Any) -> None:
    p.date = date_from_datetime(value)
    p.vt = VT_DATE


def _w_decimal(p: Any, value: Any) -> None:
    _memmove(p, decimal_to_bytes(value, VT_DECIMAL), 16)  # DECIMAL's wReserved is the VARIANT's vt


def _w_error(p: Any, value: Any) -> None:
    p.scode = value.signed
    p.vt = VT_ERROR


def _w_bytes(p: Any, value: Any) -> None:
    p.parray = _array_from_sequence(VT_UI1, value)
    p.vt = VT_ARRAY | VT_UI1


def _w_list(p: Any, value: Any) -> None:
    p.parray = _array_from_sequence(VT_VARIANT, value)
    p.vt = VT_ARRAY | VT_VARIANT


def _w_safearray(p: Any, value: SafeArray) -> None:
    p.parray = value.create()
    p.vt = VT_ARRAY | value.vt


def _w_object(p: Any, value: ComObject) -> None:
    vt, iid = _object_kind(value)
    p.punkVal = value.query_raw(iid)
    p.vt = vt


def _w_ptr(p: Any, value: ComPtr) -> None:
    raw = value.as_raw()
    _cast(_IUNKNOWN_P, raw).lpVtbl.AddRef(raw)
    p.punkVal = raw
    p.vt = VT_DISPATCH if _ptr_is_dispatch(value) else VT_UNKNOWN


def _w_variant(p: Any, value: Variant) -> None:
    writer = _TYPED_WRITERS.get(value.vt)
    if writer is None:
        vt = value.vt
        if vt & VT_BYREF:
            raise VariantTypeError(
                description=f"cannot write {vt_name(vt)}: a VT_BYREF VARIANT points at its caller's storage, which "
                "write() does not own (write the value itself)"
            )
        raise _bad_vt(vt, " to write")
    writer(p, value.value)


_WRITERS: dict[type, Any] = {
    type(None): _w_none,
    NullType: _w_null,
    bool: _w_bool,
    int: _w_int,
    float: _w_float,
    str: _w_str,
    _dt.datetime: _w_date,
    _dt.date: _w_date,
    Decimal: _w_decimal,
    ErrorValue: _w_error,
    bytes: _w_bytes,
    bytearray: _w_bytes,
    memoryview: _w_bytes,
    list: _w_list,
    tuple: _w_list,
    Variant: _w_variant,
    SafeArray: _w_safearray,
}

#: subclasses, checked in this order when the exact type is not in _WRITERS
_BY_ISINSTANCE: tuple[tuple[type | tuple[type, ...], Any], ...] = (
    (ComObject, _w_object),
    (ComPtr, _w_ptr),
    (bool, _w_bool),
    (int, _w_int),
    (float, _w_float),
    (str, _w_str),
    (_dt.date, _w_date),
    (Decimal, _w_decimal),
    (ErrorValue, _w_error),
    ((bytes, bytearray, memoryview), _w_bytes),
    ((list, tuple), _w_list),
)


def _writer_for(value: Any) -> Any:
    for kind, writer in _BY_ISINSTANCE:
        if isinstance(value, kind):
            return writer
    raise TypeError(f"cannot write a {_tn(value)} into a VARIANT")


def _write(p: Any, value: Any) -> None:
    writer = _WRITERS.get(type(value))
    if writer is None:
        writer = _writer_for(value)
    writer(p, value)


def write(pvar: Any, value: Any) -> None:
    """Store ``value`` in ``pvar`` (which holds nothing: VT_EMPTY) following the module doc's mapping. The VARIANT
    owns what is written; :func:`clear` frees it. TypeError naming the type for a value that has no VARIANT form,
    OverflowError for an int beyond 64 bits; on any failure nothing is written and nothing is left allocated."""
    writer = _WRITERS.get(type(value))
    if writer is None:
        writer = _writer_for(value)
    writer(pvar, value)


# ---- Variant(vt, value): exactly that vt -----------------------------------------------------------------------


def _int_typed(vt: int, field: str, lo: int, hi: int) -> Any:
    name = vt_name(vt)

    def w(p: Any, value: Any) -> None:
        if isinstance(value, (float, str, Decimal)) or not isinstance(value, int):
            raise TypeError(f"{name} holds an int, not {_tn(value)}")
        if not lo <= value <= hi:
            raise OverflowError(f"{value} is out of range for {name} ({lo}..{hi})")
        setattr(p, field, value)
        p.vt = vt

    return w


def _t_r4(p: Any, value: Any) -> None:
    p.fltVal = _r4_cell(_number(value, VT_R4))
    p.vt = VT_R4


def _t_r8(p: Any, value: Any) -> None:
    p.dblVal = float(_number(value, VT_R8))
    p.vt = VT_R8


def _number(value: Any, vt: int) -> Any:
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    raise TypeError(f"{vt_name(vt)} holds a number, not {_tn(value)}")


def _t_cy(p: Any, value: Any) -> None:
    p.cyVal.int64 = cy_from_decimal(_number(value, VT_CY))
    p.vt = VT_CY


def _t_date(p: Any, value: Any) -> None:
    if isinstance(value, float):
        p.date = value  # a DATE given as its number
    elif isinstance(value, _dt.date):
        p.date = date_from_datetime(value)
    else:
        raise TypeError(f"VT_DATE holds a datetime (or a DATE float), not {_tn(value)}")
    p.vt = VT_DATE


def _t_bstr(p: Any, value: Any) -> None:
    if value is None:
        p.bstrVal = _NULL
    elif isinstance(value, str):
        p.bstrVal = _alloc_bstr(value)
    else:
        raise TypeError(f"VT_BSTR holds a str, not {_tn(value)}")
    p.vt = VT_BSTR


def _t_bool(p: Any, value: Any) -> None:
    p.boolVal = -1 if value else 0
    p.vt = VT_BOOL


def _t_error(p: Any, value: Any) -> None:
    p.scode = _error_cell(value)
    p.vt = VT_ERROR


def _decimal_value(value: Any) -> Any:
    if isinstance(value, (Decimal, int, float)) and not isinstance(value, bool):
        return value
    raise TypeError(f"VT_DECIMAL holds a Decimal (or an int or float), not {_tn(value)}")


def _t_decimal(p: Any, value: Any) -> None:
    _memmove(p, decimal_to_bytes(_decimal_value(value), VT_DECIMAL), 16)


def _t_iface(vt: int) -> Any:
    dispatch = vt == VT_DISPATCH

    def w(p: Any, value: Any) -> None:
        p.punkVal = _NULL if value is None else _interface_ref(value, dispatch)
        p.vt = vt

    return w


def _t_array(elem: int) -> Any:
    avt = VT_ARRAY | elem

    def w(p: Any, value: Any) -> None:
        if value is None:
            p.parray = _NULL
        elif isinstance(value, SafeArray):
            if value.vt != elem:
                raise TypeError(f"{vt_name(avt)} cannot hold a SafeArray of {vt_name(value.vt)}")
            p.parray = value.create()
        elif isinstance(value, (list, tuple, bytes, bytearray, memoryview)) and not isinstance(value, Variant):
            p.parray = _array_from_sequence(elem, value)
        else:
            raise TypeError(f"{vt_name(avt)} holds a SafeArray, a list or a tuple, not {_tn(value)}")
        p.vt = avt

    return w


def _t_empty(p: Any, value: Any) -> None:
    if value is not None:
        raise TypeError(f"VT_EMPTY holds None, not {_tn(value)}")
    p.vt = VT_EMPTY


def _t_null(p: Any, value: Any) -> None:
    if value is not None and value is not Null:
        raise TypeError(f"VT_NULL holds Null, not {_tn(value)}")
    p.vt = VT_NULL


_TYPED_WRITERS: dict[int, Any] = {
    VT_EMPTY: _t_empty,
    VT_NULL: _t_null,
    VT_I1: _int_typed(VT_I1, "cVal", -(2**7), 2**7 - 1),
    VT_UI1: _int_typed(VT_UI1, "bVal", 0, 2**8 - 1),
    VT_I2: _int_typed(VT_I2, "iVal", -(2**15), 2**15 - 1),
    VT_UI2: _int_typed(VT_UI2, "uiVal", 0, 2**16 - 1),
    VT_I4: _int_typed(VT_I4, "lVal", -(2**31), 2**31 - 1),
    VT_UI4: _int_typed(VT_UI4, "ulVal", 0, 2**32 - 1),
    VT_INT: _int_typed(VT_INT, "intVal", -(2**31), 2**31 - 1),
    VT_UINT: _int_typed(VT_UINT, "uintVal", 0, 2**32 - 1),
    VT_I8: _int_typed(VT_I8, "llVal", -(2**63), 2**63 - 1),
    VT_UI8: _int_typed(VT_UI8, "ullVal", 0, 2**64 - 1),
    VT_R4: _t_r4,
    VT_R8: _t_r8,
    VT_CY: _t_cy,
    VT_DATE: _t_date,
    VT_BSTR: _t_bstr,
    VT_BOOL: _t_bool,
    VT_ERROR: _t_error,
    VT_DECIMAL: _t_decimal,
    VT_UNKNOWN: _t_iface(VT_UNKNOWN),
    VT_DISPATCH: _t_iface(VT_DISPATCH),
}
for _elem in ELEMENT_SIZES:
    _TYPED_WRITERS[VT_ARRAY | _elem] = _t_array(_elem)
del _elem


# ---- clearing, by-reference targets, arrays of VARIANTs --------------------------------------------------------


def clear(pvar: Any) -> None:
    """VariantClear: free what ``pvar`` owns (BSTR, reference, SAFEARRAY) and make it VT_EMPTY. ComError on
    failure, the VARIANT left as it was: VariantTypeError for an invalid vt, DISP_E_ARRAYISLOCKED for a locked
    SAFEARRAY."""
    vt = pvar.vt
    if vt & VT_ARRAY and not vt & VT_BYREF:
        psa = pvar.parray
        if psa != _NULL and psa.cLocks:
            # refused before VariantClear, which (Wine 8) would return DISP_E_ARRAYISLOCKED *and* set VT_EMPTY,
            # orphaning the array: the VARIANT keeps it, to be cleared once unlocked
            raise error_from_hresult(_DISP_E_ARRAYISLOCKED, f"{vt_name(vt)}: its SAFEARRAY is locked")
    hr = _VariantClear(pvar)
    if hr < 0:
        if hr == _DISP_E_BADVARTYPE_SIGNED:
            raise _bad_vt(pvar.vt, " (VariantClear refused it)")
        raise error_from_hresult(hr)


def write_byref_target(pvar: Any, value: Any) -> None:
    """Assign ``value`` to what an [in, out] ``VT_BYREF|x`` VARIANT points at: ``value`` is coerced to ``x`` with
    VariantChangeType's rules (``"12"`` into VT_I4 is 12; DISP_E_TYPEMISMATCH / DISP_E_OVERFLOW raise), then what
    the reference held (a BSTR, a reference, an array) is freed and the new value stored. ``VT_BYREF|VT_VARIANT``
    takes any value (the referenced VARIANT is cleared, then written); ``VT_BYREF|VT_ARRAY|x`` takes a SafeArray of
    x or a (nested) list. On failure the target keeps its old value."""
    vt = pvar.vt
    if not vt & VT_BYREF:
        raise VariantTypeError(description=f"write_byref_target needs a VT_BYREF VARIANT, not {vt_name(vt)}")
    base = vt & ~VT_BYREF
    if base not in _SCALARS and base != VT_VARIANT and not (base & VT_ARRAY and base & VT_TYPEMASK in ELEMENT_SIZES):
        raise _bad_vt(vt)
    ref = _deref(pvar)
    if base == VT_VARIANT:
        target = _cast(_VARIANT_P, ref)
        made = _new(_VARIANT_P)
        write(made, value)
        try:
            clear(target)
        except BaseException:
            clear(made)
            raise
        _memmove(target, made, _VARIANT_SIZE)  # ownership moves to the caller's VARIANT
        return
    if base & VT_ARRAY:
        made = _new(_VARIANT_P)
        _TYPED_WRITERS[base](made, value)
        slot = _cast(_SAFEARRAY_PP, ref)
        old = slot[0]
        if old != _NULL:
            hr = _SafeArrayDestroy(old)
            if hr < 0:
                clear(made)
                raise error_from_hresult(hr, "the referenced SAFEARRAY could not be destroyed")
        slot[0] = made.parray
        return
    made = _new(_VARIANT_P)
    write(made, value)
    if made.vt != base:
        coerced = _new(_VARIANT_P)
        hr = _VariantChangeType(coerced, made, 0, base)
        clear(made)
        if hr < 0:
            raise error_from_hresult(hr, f"cannot assign a {_tn(value)} to a {vt_name(vt)} argument")
        made = coerced
    if base == VT_BSTR:
        slot = _cast(_BSTR_P, ref)
        old = slot[0]
        slot[0] = made.bstrVal
        _SysFreeString(old)
    elif base in (VT_UNKNOWN, VT_DISPATCH):
        slot = _cast(_VOID_PP, ref)
        old = slot[0]
        slot[0] = made.punkVal
        if old != _NULL:
            _cast(_IUNKNOWN_P, old).lpVtbl.Release(old)
    elif base == VT_DECIMAL:
        _memmove(_cast(_CHAR_P, ref) + 2, _cast(_CHAR_P, made) + 2, 14)  # the target's wReserved stays its own
    else:
        _memmove(ref, _cast(_CHAR_P, made) + 8, ELEMENT_SIZES[base])


class VariantArray:
    """An owned ``VARIANT[n]``, every element VT_EMPTY: for DISPPARAMS.rgvarg and other arrays of arguments.
    ``arr[i]`` is the ``VARIANT *`` of element i, ``arr.cdata`` the array itself; :meth:`clear` frees every
    element's content (VariantClear). A context manager that clears on exit; an array collected with content
    left is cleared then and logged (a bug in the caller)."""

    __slots__ = ("cdata", "_n", "__weakref__")

    def __init__(self, n: int) -> None:
        if n < 0:
            raise ValueError("a VariantArray has n >= 0 elements")
        self._n = n
        self.cdata = _new("VARIANT[]", max(n, 1))

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: int) -> Any:
        n = self._n
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"VariantArray index {i} out of range 0..{n - 1}")
        return self.cdata + i

    def _occupied(self) -> list[int]:
        if not self._n:
            return []
        vts = memoryview(_buffer(self.cdata, self._n * _VARIANT_SIZE)).cast("H")[0::12]
        return [i for i, vt in enumerate(vts) if vt != VT_EMPTY]

    def clear(self) -> None:
        """VariantClear every element that holds something; the first failure is raised after all were tried."""
        first: BaseException | None = None
        for i in self._occupied():
            try:
                clear(self.cdata + i)
            except ComError as exc:
                first = first or exc
        if first is not None:
            raise first

    def __enter__(self) -> VariantArray:
        return self

    def __exit__(self, *exc: object) -> None:
        self.clear()

    def __del__(self) -> None:
        try:
            if self._occupied():
                log.warning("VariantArray collected with content left: clearing it now (a leak in the caller)")
                self.clear()
        except Exception:
            log.exception("clearing a collected VariantArray failed")


_PY, _TYPED = _build_tables()


_use_variant(write, to_python)  # the conversions of the client's generated Automation callers (vtables.client)
