"""A Python exception in each kind of slot (method, property, QueryInterface(IMarshal), class factory, enumerator)
gives a vtable caller the HRESULT and error information COM's rules call for (stress/slots.py; make stress reports
the same checks)."""

import pytest

pytestmark = pytest.mark.runtime


@pytest.mark.parametrize("check", ["method", "property", "query_interface_imarshal", "class_factory", "enumerator"])
def test_an_exception_in_the_slot_gives_the_right_hresult(mta, check):
    from stress import slots

    result = getattr(slots, f"check_{check}")()
    assert result["ok"], result
