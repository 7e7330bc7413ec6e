"""The Automation declarations of test_typelib.py (the same as contract_widl.idl) and a LocalServer32 serving a
Python object of the dual interfaces IProbeDual2 and IProbeMoney, whose calls cross processes through the typelib
marshaler and the type library test_typelib.py generates and registers.

    python probe_dual.py -Embedding -Clsid {...} -PidFile PATH -Report PATH [-Linger S] [-Idle S] [-Log PATH]

``-Report``: when the server has left its loop (every client gone), it writes the object model's leak counts and
how many ProbeObjects it made, as JSON: the test's proof that every reference that crossed was given back.

The declarations import nothing that needs a COM runtime (test_typelib.py's COM-free tests use them on Linux).
"""

from __future__ import annotations

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if __name__ == "__main__":
    sys.path[:0] = [os.path.dirname(os.path.dirname(HERE))]

from ole32_bindings.guid import Guid  # noqa: E402
from ole32_servers.typelib import CoClass  # noqa: E402
from vtables import method  # noqa: E402
from vtables.interfaces.automation import IDispatch  # noqa: E402
from vtables.members import DispInterface, dispmethod, dispproperty  # noqa: E402

#: contract_widl.idl's LIBID: the library test_typelib.py compares with widl's (never registered)
LIBID_WIDL = Guid("{992F86C8-1532-4A4F-A747-838B2564C791}")
#: the LIBID of the library test_typelib.py registers for the cross-process and comtypes tests
LIBID_REGISTERED = Guid("{1A437149-E0E5-40B3-BAD8-FBEF4E93ABC3}")
CLSID_ProbeObject = Guid("{AFC891E8-E680-4AFE-876F-CB0269B2C539}")


class IProbeDual(IDispatch):
    """One member of each Automation type and attribute a type library describes."""

    iid = Guid("{BBCBCE5C-912C-44C7-97ED-612564753774}")
    Unnumbered = method("HRESULT Unnumbered([out, retval] LONG *n)")
    Echo = method("[id(1)] HRESULT Echo([in] VARIANT v, [out, retval] VARIANT *result)")
    Join = method(
        '[id(2)] HRESULT Join([in] BSTR a, [in, optional, defaultvalue("-")] BSTR sep, [in, optional] VARIANT c, '
        "[out, retval] BSTR *result)"
    )
    get_Name = method("[id(3), propget] HRESULT Name([out, retval] BSTR *value)")
    put_Name = method("[id(3), propput] HRESULT Name([in] BSTR value)")
    get_Self = method("[id(4), propget] HRESULT Self([out, retval] IProbeDual **value)")
    get_Target = method("[id(5), propget] HRESULT Target([out, retval] IDispatch **value)")
    putref_Target = method("[id(5), propputref] HRESULT Target([in] IDispatch *value)")
    Swap = method("[id(6)] HRESULT Swap([in, out] VARIANT *a, [in, out] VARIANT *b)")
    Squares = method("[id(7)] HRESULT Squares([in] LONG n, [out, retval] SAFEARRAY(VARIANT) *result)")
    Sum = method("[id(8)] HRESULT Sum([in] SAFEARRAY(VARIANT) values, [out, retval] double *total)")
    Later = method("[id(9)] HRESULT Later([in] DATE when, [in] VARIANT_BOOL forward, [out, retval] DATE *result)")
    Arrays = method(
        "[id(10)] HRESULT Arrays([in] SAFEARRAY(BSTR) names, [in, out] SAFEARRAY(LONG) *numbers, "
        "[out, retval] SAFEARRAY(double) *result)"
    )
    Objects = method(
        "[id(11)] HRESULT Objects([in] IUnknown *u, [in] IDispatch *d, [in] IProbeDual *p, [out] IUnknown **ou, "
        "[out, retval] IDispatch **od)"
    )
    Defaults = method(
        "[id(12)] HRESULT Defaults([in, defaultvalue(42)] LONG n, [in] double d, "
        "[in, defaultvalue(VARIANT_TRUE)] VARIANT_BOOL b, [in, optional, defaultvalue(7)] VARIANT v, "
        '[in, defaultvalue("x")] VARIANT s, [out, retval] VARIANT *r)'
    )
    get_Item = method("[id(DISPID_VALUE), propget] HRESULT Item([in] LONG index, [out, retval] VARIANT *value)")
    get__NewEnum = method("[id(DISPID_NEWENUM), propget, restricted] HRESULT _NewEnum([out, retval] IUnknown **e)")
    Hidden = method("[id(13), hidden] HRESULT Hidden()")


class IProbeDual2(IProbeDual):
    """A dual derived from a dual of the same library."""

    iid = Guid("{7247807C-B7AB-43C6-9464-E4A1B0FB4FE0}")
    More = method("[id(20)] HRESULT More([in] BSTR s, [out, retval] LONG *n)")
    Plain = method("HRESULT Plain([in] SHORT s, [in] SAFEARRAY(VARIANT_BOOL) flags)")


class IProbeMoney(IDispatch):
    """CY and DECIMAL by value: apart, because Wine 8's typelib marshaler makes no proxy or stub for an interface
    that has them (docs/wine.md)."""

    iid = Guid("{037AF2F5-8F80-4BA6-9060-D06B3C82D3F3}")
    Money = method(
        "[id(1)] HRESULT Money([in] DATE when, [in] CY amount, [in] DECIMAL exact, [in] VARIANT_BOOL flag, "
        "[out] DATE *tomorrow, [out] CY *doubled, [out, retval] DECIMAL *result)"
    )


class DProbeEvents(DispInterface):
    """A dispinterface: properties (one read-only) and methods."""

    iid = Guid("{8690934F-87C7-4EB2-B497-DC1B903F5FA1}")
    Label = dispproperty("[id(1)] BSTR Label")
    Count = dispproperty("[id(2)] LONG Count", readonly=True)
    Changed = dispmethod("[id(3)] void Changed([in] BSTR what, [in] VARIANT value)")
    Echo = dispmethod("[id(4)] VARIANT Echo([in] VARIANT v)")


PROBE_OBJECT = CoClass("ProbeObject", CLSID_ProbeObject, [IProbeDual, IProbeDual2, IProbeMoney], source=[DProbeEvents])
"""contract_widl.idl's coclass."""
INTERFACES = [IProbeDual, IProbeDual2, IProbeMoney, DProbeEvents]
"""The library's interfaces, in contract_widl.idl's order."""


def make_class() -> type:
    """The Python implementation of IProbeDual2 and IProbeMoney (made on demand: defining it needs the COM runtime)."""
    import datetime

    from ole32_bindings.oavalues import Missing
    from vtables import ComObject
    from vtables.client import client_class
    from vtables.dispatch import EnumVariant, exact
    from vtables.interfaces import IUnknown

    def name_of(raw: object) -> str | None:
        """The Name of the IProbeDual behind a borrowed interface pointer (None for NULL)."""
        if not raw:
            return None
        with client_class(IUnknown).from_borrowed(raw) as unknown, unknown.query(IProbeDual) as probe:
            return probe.get_Name()

    class ProbeObject(ComObject, implements=[IProbeDual2, IProbeMoney]):
        progid = "Ole32Bindings.TypelibProbe"
        #: objects made in this process (the report's count)
        created = 0

        def __init__(self, name: str = "probe") -> None:
            super().__init__()
            type(self).created += 1
            self._name = name
            self._target = None

        def Unnumbered(self):
            return 7

        @exact
        def Echo(self, v):
            return v

        def Join(self, a, sep, c):
            return f"{a}{sep}{'' if c == Missing else c}"

        def get_Name(self):
            return self._name

        def put_Name(self, value):
            self._name = value

        def get_Self(self):
            return self

        def get_Target(self):
            return self._target

        def putref_Target(self, value):
            old, self._target = self._target, (client_class(IDispatch).from_borrowed(value) if value else None)
            if old is not None:
                old.release()

        def Swap(self, a, b):
            return b, a

        def Squares(self, n):
            return [i * i for i in range(n)]

        def Sum(self, values):
            return sum(float(x) for x in values)

        def Later(self, when, forward):
            return when + datetime.timedelta(days=1 if forward else -1, milliseconds=1)

        def Money(self, when, amount, exact_value, flag):
            return when + datetime.timedelta(days=1, milliseconds=1), amount * 2, exact_value if flag else -exact_value

        def Arrays(self, names, numbers):
            return [n * 10 for n in numbers], [float(len(s)) for s in names]

        def Objects(self, u, d, p):
            # The callers' objects are called back (their Names), then this object is returned as both [out]s.
            self._name = "|".join(str(name_of(raw)) for raw in (u, d, p))
            return self, self

        def Defaults(self, n, d, b, v, s):
            return [n, d, b, v, s]

        def get_Item(self, index):
            return f"item{index}"

        def get__NewEnum(self):
            return EnumVariant([f"item{i}" for i in range(3)])

        def Hidden(self):
            return None

        def More(self, s):
            return len(s)

        def Plain(self, s, flags):
            self._name = f"{s}:{flags}"

    return ProbeObject


def option(argv: list[str], name: str, default: str | None = None) -> str | None:
    lowered = [a.lower() for a in argv]
    key = "-" + name.lower()
    return argv[lowered.index(key) + 1] if key in lowered else default


def main(argv: list[str]) -> int:
    from ole32_servers.localserver import LocalServer
    from vtables import leaks

    pid_file = option(argv, "PidFile")
    if pid_file:
        with open(pid_file, "w") as f:
            f.write(str(os.getpid()))
    cls = make_class()
    clsid = Guid(option(argv, "Clsid", str(CLSID_ProbeObject)) or "")
    server = LocalServer(
        [(clsid, cls)],
        apartment=option(argv, "Apartment", "MTA") or "MTA",
        linger=float(option(argv, "Linger", "0.2") or 0.2),
        idle_timeout=float(option(argv, "Idle", "30") or 30),
    )
    code = server.main(argv, None, log_path=option(argv, "Log"))
    report = option(argv, "Report")
    if report:
        import gc

        gc.collect()
        with open(report, "w") as f:
            json.dump({**leaks.snapshot(), "created": cls.created}, f)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
