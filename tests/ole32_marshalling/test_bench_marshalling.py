"""Issue 7's marshalling benchmarks, Python and C++ in the same run (pytest-benchmark; `make test` runs each once
with benchmarking disabled, `make bench-marshalling` times them and prints the ratios to C++).

Groups (extra_info["group"]); in each, "cpp" is the native loop of the mingw test DLL on the C++ object, "ours"
the same operation written with this project on the Python object; "cpp->ours" is the native loop on our object:
* cross-apartment call: IPersist::GetClassID from the MTA on an object living in an STA, through its proxy;
* agile call: the same, on an object that aggregates the FTM (the MTA holds the object's own pointer);
* GIT fetch + call: GetInterfaceFromGlobal (a fresh proxy in the MTA) + GetClassID + Release;
* round trip standard / FTM / by-value: CoMarshalInterface(MSHCTX_INPROC, NORMAL) + CoUnmarshalInterface in the
  same apartment + Release, on an apartment-bound, an agile and a marshal-by-value object.
Each round makes N operations; per-operation figures divide by extra_info["ops_per_round"].
"""

import pytest
from testlib import guid, load

pytestmark = pytest.mark.runtime

N = 200


def _info(benchmark, group, impl, n=N):
    benchmark.extra_info.update(group=group, impl=impl, ops_per_round=n)


def _loop(fn, n=N):
    def run():
        for _ in range(n):
            fn()

    return run


def _check(hr):
    assert hr == 0, f"0x{hr & 0xFFFFFFFF:08X}"


@pytest.fixture(scope="module")
def classes():
    from vtables.interfaces import IPersist
    from vtables.object import ComObject

    class Target(ComObject, implements=[IPersist]):
        def GetClassID(self):
            return IPersist.iid

    class AgileTarget(Target, agile=True):
        pass

    return Target, AgileTarget


@pytest.fixture(scope="module")
def owner_sta():
    from ole32_marshalling.sta import StaThread

    with StaThread("bench-owner") as sta:
        yield sta


def _cpp(kind):
    """A new C++ object (raw IPersist, caller releases): 'plain' bench target, 'agile' or 'byvalue'."""
    from vtables.interfaces import IPersist

    ffi, lib = load()
    out = ffi.new("void **")
    iid = guid(IPersist.iid)
    if kind == "plain":
        _check(lib.TL_CreateBenchTarget(ffi.NULL, iid, out))
    elif kind == "agile":
        _check(lib.TL_CreateAgileTarget(iid, out))
    else:
        _check(lib.TL_CreateByValuePoint(1, 2, iid, out))
    return out[0]


def _in_sta_then_proxy(owner_sta, make_raw):
    """Make an object in the owner STA, hand it to the MTA (the caller) by CoMarshalInterThreadInterfaceInStream;
    returns (pointer usable here, release-in-owner callable)."""
    from ole32_bindings import marshaling, pointers
    from vtables.interfaces import IPersist

    def make():
        raw = make_raw()
        return raw, marshaling.marshal_inter_thread_interface_in_stream(IPersist.iid, raw)

    raw, stream = owner_sta.call(make)
    here = marshaling.get_interface_and_release_stream(stream, IPersist.iid)
    return here, lambda: owner_sta.call(lambda: pointers.release(raw))


@pytest.mark.parametrize("impl", ["cpp", "ours", "cpp->ours"])
@pytest.mark.parametrize("group, agile", [("cross-apartment call", False), ("agile call", True)])
def test_call_from_another_apartment(benchmark, mta, classes, owner_sta, impl, group, agile):
    from ole32_bindings import pointers
    from vtables.client import client_class
    from vtables.interfaces import IPersist

    _, lib = load()
    Target, AgileTarget = classes
    cls = AgileTarget if agile else Target
    if impl == "cpp":
        here, done = _in_sta_then_proxy(owner_sta, lambda: _cpp("agile" if agile else "plain"))
    else:
        here, done = _in_sta_then_proxy(owner_sta, lambda: cls().query_raw(IPersist.iid))
    try:
        if impl == "ours":
            p = client_class(IPersist).from_borrowed(here)
            try:
                assert p.GetClassID() == IPersist.iid
                _info(benchmark, group, impl)
                benchmark(_loop(p.GetClassID))
            finally:
                p.release()
        else:
            raw = here  # void * cdata crosses between FFI instances
            _check(lib.TL_LoopGetClassID(raw, 1))
            _info(benchmark, group, impl)
            benchmark(lambda: _check(lib.TL_LoopGetClassID(raw, N)))
    finally:
        pointers.release(here)
        done()


@pytest.mark.parametrize("impl", ["cpp", "ours", "cpp->ours"])
def test_git_fetch_and_call(benchmark, mta, classes, owner_sta, impl):
    from ole32_marshalling.git import GlobalInterfaceTable
    from vtables.client import client_class
    from vtables.interfaces import IPersist

    _, lib = load()
    Target, _ = classes
    P = client_class(IPersist)
    with GlobalInterfaceTable() as git:

        def register():
            from ole32_bindings import pointers

            raw = _cpp("plain") if impl == "cpp" else Target().query_raw(IPersist.iid)
            try:
                return git.register(raw, IPersist.iid)
            finally:
                pointers.release(raw)

        cookie = owner_sta.call(register)
        try:
            if impl == "ours":

                def once():
                    p = P.from_raw(git.get(cookie, IPersist.iid))
                    p.GetClassID()
                    p.release()

                once()
                _info(benchmark, "GIT fetch + call", impl)
                benchmark(_loop(once))
            else:
                _check(lib.TL_LoopGitFetchCall(cookie, 1))
                _info(benchmark, "GIT fetch + call", impl)
                benchmark(lambda: _check(lib.TL_LoopGitFetchCall(cookie, N)))
        finally:
            git.revoke(cookie)
        owner_sta.call(lambda: None)


@pytest.fixture
def by_value_unmarshalers(mta):
    """Both unmarshal classes registered in this (MTA) apartment for the test."""
    from ole32_marshalling.byvalue import ByValueUnmarshaler

    ffi, lib = load()
    cookie = ffi.new("DWORD *")
    _check(lib.TL_RegisterByValueUnmarshaler(cookie))
    with ByValueUnmarshaler.installed():
        yield
    _check(lib.TL_RevokeByValueUnmarshaler(cookie[0]))


@pytest.mark.parametrize("impl", ["cpp", "ours", "cpp->ours"])
@pytest.mark.parametrize("kind", ["standard", "FTM", "by-value"])
def test_marshal_round_trip(benchmark, by_value_unmarshalers, classes, impl, kind):
    from byvalue_point import Point

    from ole32_bindings import marshaling, pointers, streams
    from ole32_bindings.constants import MSHCTX, MSHLFLAGS
    from vtables.interfaces import IPersist

    _, lib = load()
    Target, AgileTarget = classes
    if impl == "cpp":
        raw = _cpp({"standard": "plain", "FTM": "agile", "by-value": "byvalue"}[kind])
    else:
        obj = {"standard": Target, "FTM": AgileTarget, "by-value": lambda: Point(1, 2)}[kind]()
        raw = obj.query_raw(IPersist.iid)
    group = f"round trip {kind}"
    try:
        if impl == "ours":
            stream = streams.create_stream_on_hglobal()

            def once():
                streams.seek(stream, 0)
                marshaling.marshal_interface(stream, IPersist.iid, raw, MSHCTX.INPROC, MSHLFLAGS.NORMAL)
                streams.seek(stream, 0)
                pointers.release(marshaling.unmarshal_interface(stream, IPersist.iid))

            try:
                once()
                _info(benchmark, group, impl)
                benchmark(_loop(once))
            finally:
                pointers.release(stream)
        else:
            v = raw
            iid = guid(IPersist.iid)
            _check(lib.TL_LoopMarshalRoundTrip(v, iid, MSHCTX.INPROC, 1))
            _info(benchmark, group, impl)
            benchmark(lambda: _check(lib.TL_LoopMarshalRoundTrip(v, iid, MSHCTX.INPROC, N)))
    finally:
        pointers.release(raw)
    assert lib.TL_LiveObjects() >= 0
