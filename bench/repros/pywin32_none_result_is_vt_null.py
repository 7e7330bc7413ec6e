"""pywin32's server gateway writes a method's Python ``None`` result as VT_NULL, where a method without a result
leaves ``*pVarResult`` VT_EMPTY (ITypeInfo::Invoke, ATL, comtypes and ours do). That is why bench/pwtarget.py's
``PwDual.Nothing`` returns ``pythoncom.Empty`` (pywin32's VT_EMPTY): the C++ client's late-bound loop checks
Nothing's result is VT_EMPTY, and refuses the VT_NULL (E_UNEXPECTED).

    tools/winpy bench/repros/pywin32_none_result_is_vt_null.py

prints the vt each result arrives with, read by our late-bound client (``Null`` is VT_NULL, ``None`` VT_EMPTY):

    return None            -> Null (VT_NULL)
    return pythoncom.Empty -> None (VT_EMPTY)
"""

import os
import sys

sys.coinit_flags = 0
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import pythoncom  # noqa: E402
from win32com.server import policy  # noqa: E402

from bench import pairs as P  # noqa: E402
from ole32_bindings import apartments  # noqa: E402
from ole32_bindings.oavalues import Null  # noqa: E402
from vtables.interfaces import IDispatch  # noqa: E402
from vtables.latebound import Dispatch  # noqa: E402


class Voids:
    _public_methods_ = ["ReturnsNone", "ReturnsEmpty"]

    def ReturnsNone(self):
        return None

    def ReturnsEmpty(self):
        return pythoncom.Empty


if __name__ == "__main__":
    apartments.co_initialize()
    unk = pythoncom.WrapObject(policy.DefaultPolicy(Voids()), pythoncom.IID_IDispatch, pythoncom.IID_IUnknown)
    ptr = P._from_pywin32(unk, IDispatch)
    del unk
    with Dispatch(ptr, methods=["ReturnsNone", "ReturnsEmpty"]) as d:
        ptr.release()
        for text, got in (("None", d.ReturnsNone()), ("pythoncom.Empty", d.ReturnsEmpty())):
            print(f"return {text:<15} -> {got!r} ({'VT_NULL' if got is Null else 'VT_EMPTY' if got is None else '?'})")
    apartments.co_uninitialize()
