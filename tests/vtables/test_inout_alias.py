"""An [in, out] parameter declared through an alias (a type library's ``typedef BSTR OB_TEXT``) travels as the type
it aliases: the client and the server thunk decide it with the same rule (vtables._convert.is_value_inout, on the
normalised C type), so an aliased BSTR is passed as its value and its new value comes back, as a plain BSTR is."""

import pytest

pytestmark = pytest.mark.runtime


def test_an_aliased_bstr_in_out_travels_as_a_value_through_the_vtable(mta):
    from vtables import ComObject, method
    from vtables.client import client_class
    from vtables.declare import alias
    from vtables.interfaces import IUnknown

    alias("OB_TEXT_INOUT", "BSTR")

    class IShout(IUnknown):
        iid = "{6C0F1E54-7A2B-4D3C-9E8F-0A1B2C3D4E5F}"
        Shout = method("HRESULT Shout([in, out] OB_TEXT_INOUT *text, [in, out] BSTR *plain)")

    class Shouter(ComObject, implements=[IShout]):
        def Shout(self, text, plain):
            return text.upper(), plain.upper()

    obj = Shouter()
    with client_class(IShout).from_raw(obj.query_raw(IShout.iid), direct=False) as p:  # through the server thunk
        assert p.Shout("abc", "def") == ("ABC", "DEF")
