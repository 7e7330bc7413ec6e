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


def test_run_all_keeps_the_logged_tracebacks_out_of_the_output(mta, caplog):
    """make stress's faults section: every slot right, each escaped exception logged by the library (collected by
    captured_logs, not printed)."""
    from stress import slots

    rows = slots.run_all()
    assert [r["ok"] for r in rows] == [True] * len(slots.CHECKS), rows
    assert all(r["logged"] >= 1 for r in rows), rows
    # collected, not propagated to the root logger (where the run's output, or here pytest, would get them)
    assert not [r for r in caplog.records if r.name.split(".")[0] in ("vtables", "ole32_servers")], caplog.records
