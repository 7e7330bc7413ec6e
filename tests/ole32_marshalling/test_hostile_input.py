"""Hostile input (issue 15): the make-test share of the fuzzing of ``stress/hostile_input.py`` (make stress runs the
long mode, stress/fuzz.py), and the regression tests of what it found in our code.

* In child processes, a batch each (a crash in the runtime must be caught, counted and kept, never end the suite):
  OBJREF bytes mutated from live ones into CoUnmarshalInterface, our by-value and tracer unmarshalers, streams
  that misbehave. Crashes in our code: 0; broken properties: 0; each runtime crash kept with its case.
* In this process (only our code parses the hostile part): IDispatch::Invoke/GetIDsOfNames with hostile
  DISPPARAMS, and misbehaving streams read by our unmarshalers; every case ends with an HRESULT, and the leak
  check (conftest) holds after each test.
"""

import json
import os
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from testlib import ROOT

pytestmark = pytest.mark.runtime

if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from stress import fuzz, hostile_input  # noqa: E402

CHILD_CASES = {"objref": 150, "byvalue": 100, "tracer": 100, "stream": 150}


@pytest.mark.parametrize("target", sorted(CHILD_CASES))
def test_hostile_bytes_in_child_processes(target, tmp_path):
    result = fuzz.run_target(target, CHILD_CASES[target], seed=20261201, crash_dir=str(tmp_path))
    assert result["cases"] >= CHILD_CASES[target]
    assert result["findings"] == []
    crashes = result["crashes"]
    assert [c for c in crashes if c["owner"] == "ours"] == []
    for crash in crashes:  # the runtime's: each counted with its case, the first of each kind saved to replay
        assert crash["case"]["target"] == target and crash["exit_status"].startswith("0x")
        if crash.get("reproduction"):
            with open(
                os.path.join(ROOT, crash["reproduction"])
                if not os.path.isabs(crash["reproduction"])
                else crash["reproduction"]
            ) as f:
                saved = json.load(f)
            assert saved["case"] == crash["case"] and "--replay" in saved["replay_case"]
    outcomes = result["outcomes"]
    assert sum(outcomes.values()) + sum(1 for c in crashes) >= CHILD_CASES[target]
    named = ("S_", "E_", "RPC_", "CO_", "REGDB_", "CLASS_", "STG_", "DISP_", "MK_", "OLE_", "ERROR_", "0x")
    assert [name for name in outcomes if not name.startswith(named)] == []  # HRESULTs only, no "finding"


@pytest.fixture(scope="module")
def env():
    """The fuzz child's environment, in this process: live objects, their OBJREFs, the unmarshalers, the IDispatch
    targets; closed (stubs cut, table data released, unmarshalers revoked) after the module's tests."""
    from ole32_bindings import apartments

    apartments.co_initialize()
    e = hostile_input._Env()
    e.dispatch()  # the IDispatch targets too, before any test's leak snapshot
    yield e
    e.close()
    apartments.co_uninitialize()


@pytest.fixture
def counted(env):
    """Each test starts and ends with the same objects alive (the env's own are made before the first snapshot)."""
    return env


_STRATEGIES = {}


def _strategy(env, target):
    if target not in _STRATEGIES:
        _STRATEGIES[target] = hostile_input.strategies(env)[target]
    return _STRATEGIES[target]


def test_hostile_dispparams_into_our_idispatch(counted):
    env = counted
    outcomes = {}

    @settings(max_examples=1000, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(hostile_input.dispatch_cases())
    def one(case):
        outcome = hostile_input.run_dispatch_case(env, {"target": "dispatch", **case})
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    one()
    assert sum(outcomes.values()) >= 1000
    assert "S_OK" in outcomes and "E_INVALIDARG" in outcomes  # calls reached members, and bad shapes were refused


def test_misbehaving_streams_read_by_our_unmarshalers(counted):
    import gc

    from hypothesis import strategies as st

    from vtables import leaks

    env = counted
    ours = _strategy(env, "stream").filter(lambda c: c["template"] in ("byvalue", "tracer"))
    outcomes = {}

    @settings(max_examples=800, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(ours)
    def one(case):
        outcome = hostile_input.run_stream_case(env, {"target": "stream", **case})
        gc.collect(1)
        assert leaks.reset_leaked() == 0, f"a wrapper was collected unreleased after {case}"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    one()
    assert sum(outcomes.values()) >= 800
    assert st is not None


# ---- regressions: what the fuzzer found in our code -------------------------------------------------------------


def test_tracer_keeps_the_pointer_when_the_stream_cannot_say_where_it_is(counted):
    """Found by the stream target (``{"fail_at_seek": 2}`` on the tracer's data): TracingUnmarshaler asked the
    stream its position after the standard unmarshal; a failing Seek raised, and the proxy it had just received
    was left to the garbage collector (a reference leaked until then). Now the unmarshal succeeds, the pointer
    goes to the caller, and the trace records that the bytes could not be read back."""
    import gc

    from vtables import leaks
    from vtables.interfaces import IStream

    env = counted
    env.trace.events.clear()
    stream = hostile_input._BadStream(env.templates["tracer"][0], {"fail_at_seek": 2})
    raw = stream.query_raw(IStream.iid)
    try:
        assert hostile_input._unmarshal(raw, "{00000000-0000-0000-C000-000000000046}") == "S_OK"
    finally:
        from ole32_bindings.pointers import release

        release(raw)
    gc.collect()
    assert leaks.reset_leaked() == 0
    (event,) = [e for e in env.trace.events if e.method == "UnmarshalInterface"]
    assert event.data == b"" and "STG_E_READFAULT" in event.args["unreadable"]
    env.trace.events.clear()


def test_tracer_never_reads_past_what_the_stream_copied(counted):
    """Found reading the code the stream target exercises: ``_read_back`` trusted the stream's byte count
    (``ffi.buffer(buf, n)`` with ``n`` larger than ``buf``: a read past the buffer into the trace) and allocated
    whatever size a lying position implied; a Seek reporting a position below 0 (``{"seek_delta": -117}``, found
    by the stream target) overflowed LARGE_INTEGER and escaped as OverflowError, leaking the proxy just made. Now
    the count is capped at what was asked, and a span no marshal data has is RPC_E_INVALID_OBJREF before
    anything is allocated."""
    from ole32_bindings.hresult import InvalidObjrefError
    from ole32_marshalling.tracer import _read_back
    from vtables.interfaces import IStream

    data = bytes(range(40))
    liar = hostile_input._BadStream(data, {"count_delta": 64})
    raw = liar.query_raw(IStream.iid)
    try:
        assert _read_back(raw, 0, 16) == data[:16]
        with pytest.raises(InvalidObjrefError, match="not marshal data a trace keeps"):
            _read_back(raw, 0, 1 << 40)
        with pytest.raises(InvalidObjrefError, match="not marshal data a trace keeps"):
            _read_back(raw, (1 << 64) - 117, (1 << 64) - 17)  # a Seek that reported a position below 0
    finally:
        from ole32_bindings.pointers import release

        release(raw)


def test_an_unmarshal_that_succeeds_without_a_pointer_is_an_error(mta):
    """Found by the objref target (a mutated standard OBJREF asked for IMarshal): CoUnmarshalInterface said S_OK and
    left the pointer NULL, and ``marshaling.unmarshal_interface`` handed that NULL back as a reference (its caller
    then failed releasing it). Reproduced deterministically with a custom unmarshaler of ours that answers S_OK and
    no pointer: the runtime passes it through; our API now raises E_POINTER naming the call."""
    from ole32_bindings import marshaling, streams
    from ole32_bindings.constants import CLSCTX
    from ole32_bindings.guid import Guid
    from ole32_bindings.hresult import PointerError
    from ole32_bindings.objref import ObjrefCustom, encode
    from ole32_bindings.pointers import release
    from ole32_servers.classobjects import ClassObjects
    from vtables.factory import ClassFactory
    from vtables.interfaces import IMarshal, IUnknown
    from vtables.object import ComObject

    clsid = Guid.new()

    class Empty(ComObject, implements=[IMarshal]):
        """An unmarshaler that says S_OK and gives nothing."""

        def UnmarshalInterface(self, stream, riid):
            return None

        def ReleaseMarshalData(self, stream):
            return None

        def DisconnectObject(self, reserved):
            return None

        def GetUnmarshalClass(self, *args):
            raise NotImplementedError

        def GetMarshalSizeMax(self, *args):
            raise NotImplementedError

        def MarshalInterface(self, *args):
            raise NotImplementedError

    data = encode(ObjrefCustom(IUnknown.iid, clsid, b"", 0))
    with ClassObjects() as objs:
        objs.register(clsid, ClassFactory(Empty), CLSCTX.INPROC_SERVER)
        stream = streams.create_stream_on_hglobal()
        try:
            streams.write(stream, data)
            streams.seek(stream, 0)
            with pytest.raises(PointerError, match="no interface pointer"):
                marshaling.unmarshal_interface(stream, IUnknown.iid)
        finally:
            release(stream)
