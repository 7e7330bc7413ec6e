"""The scripting contract (README.md): ``IContract``, a dual interface, and ``Contract``, the class that implements
it once for both of its faces (the vtable and IDispatch::Invoke).

This module holds the class so both servers can name it: the LocalServer32 (``server.py``) serves it, and the
InprocServer32 host imports it as ``automation_contract:Contract`` in whatever process activates
``Ole32Bindings.Contract.InProc`` (a module name no other script on the path is likely to have).
"""

from __future__ import annotations

from typing import Any

from ole32_bindings.dlls import function
from ole32_bindings.guid import Guid
from ole32_bindings.hresult import check
from vtables import ComObject, method
from vtables.dispatch import Collection, exact
from vtables.interfaces import IDispatch, IProvideClassInfo
from vtables.variant import Missing, Variant, VariantArray, to_typed, write

CLSID_Contract = Guid("{C0A7B1E2-3D4F-4A5B-8C6D-7E8F9A0B1C01}")
CLSID_ContractInProc = Guid("{C0A7B1E2-3D4F-4A5B-8C6D-7E8F9A0B1C02}")
LIBID_Contract = Guid("{C0A7B1E2-3D4F-4A5B-8C6D-7E8F9A0B1C10}")
PROGID = "Ole32Bindings.Contract"
PROGID_INPROC = "Ole32Bindings.Contract.InProc"

_VarAdd = function("VarAdd")


class IContract(IDispatch):
    """The contract's default interface: dual, so a vtable client and a script reach the same methods."""

    iid = Guid("{C0A7B1E2-3D4F-4A5B-8C6D-7E8F9A0B1C20}")
    Echo = method("[id(1)] HRESULT Echo([in] VARIANT v, [out, retval] VARIANT *result)")
    Add = method("[id(2)] HRESULT Add([in] VARIANT a, [in] VARIANT b, [out, retval] VARIANT *result)")
    Join = method(
        '[id(3)] HRESULT Join([in] BSTR a, [in, optional, defaultvalue("-")] BSTR sep, [in, optional] VARIANT c, '
        "[out, retval] BSTR *result)"
    )
    get_Name = method("[id(4), propget] HRESULT Name([out, retval] BSTR *value)")
    put_Name = method("[id(4), propput] HRESULT Name([in] BSTR value)")
    get_Self = method("[id(5), propget] HRESULT Self([out, retval] IDispatch **value)")
    Items = method("[id(6)] HRESULT Items([in] LONG n, [out, retval] IDispatch **result)")
    Swap = method("[id(7)] HRESULT Swap([in, out] VARIANT *a, [in, out] VARIANT *b)")
    Squares = method("[id(8)] HRESULT Squares([in] LONG n, [out, retval] SAFEARRAY(VARIANT) *result)")
    Sum = method("[id(9)] HRESULT Sum([in] VARIANT arr, [out, retval] double *total)")
    Fail = method("[id(10)] HRESULT Fail([in] BSTR message)")


class Contract(ComObject, implements=[IContract, IProvideClassInfo]):
    """One object of the contract. ``progid`` is EXCEPINFO's source for a Python exception (``Fail``)."""

    progid = PROGID
    clsid = CLSID_Contract

    def __init__(self) -> None:
        self._name = ""

    @exact
    def Echo(self, v: Variant) -> Variant:
        return v  # exact: the vt arrives and leaves unchanged (arrays keep their bounds)

    @exact
    def Add(self, a: Variant, b: Variant) -> Variant:
        """VarAdd's own rules: numbers promote, strings concatenate, Null propagates."""
        with VariantArray(3) as v:
            write(v[0], a)
            write(v[1], b)
            check(_VarAdd(v[0], v[1], v[2]))
            return to_typed(v[2])

    def Join(self, a: str, sep: str, c: Any) -> str:
        return a + sep + ("" if c is Missing or c is None else str(c))

    Name = property(lambda self: self._name, lambda self, value: setattr(self, "_name", value))

    def get_Self(self) -> Contract:
        return self

    def Items(self, n: int) -> Collection:
        return Collection(f"item{i}" for i in range(n))

    def Swap(self, a: Any, b: Any) -> tuple[Any, Any]:
        return b, a

    def Squares(self, n: int) -> list[int]:
        return [i * i for i in range(n)]  # ints that fit: each element is VT_I4

    def Sum(self, arr: Any) -> float:
        if not isinstance(arr, (list, tuple)) or any(isinstance(x, (list, tuple)) for x in arr):
            raise TypeError("Sum takes a 1-D array of numbers")
        return float(sum(arr))

    def Fail(self, message: str) -> None:
        raise RuntimeError(message)
