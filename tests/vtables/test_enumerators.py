"""The standard enumerators (vtables.enumerators): Next's contract through the raw vtable (batches, the short last
batch's S_FALSE and exact count, NULL pceltFetched, a failing element), Skip/Reset/Clone, ownership of what Next
hands out, and iterate() on our enumerators, through ole32's proxies from another apartment, and on early close."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.runtime

S_OK, S_FALSE = 0, 1
U = 0xFFFFFFFF
E_POINTER = 0x80004003


def _fn(p, iface, name):
    from ole32_bindings.dlls import ffi

    m = getattr(iface, name)
    return ffi.cast(m.c_funcptr(), ffi.cast("void ***", p)[0][m.index])


@pytest.fixture(scope="module")
def Thing():
    from vtables.interfaces import IPersist
    from vtables.object import ComObject

    class Thing(ComObject, implements=[IPersist]):
        def __init__(self, n=0):
            self.n = n

        def GetClassID(self):
            return IPersist.iid

    return Thing


def test_enum_string_batches_and_short_last_batch(mta):
    from ole32_bindings.dlls import ffi
    from ole32_bindings.memory import task_mem_free
    from vtables.enumerators import EnumString
    from vtables.interfaces import IEnumString

    words = ["a", "bb", "ccc", "dddd", "é€"]
    with EnumString(iter(words)).as_ptr(IEnumString) as e:
        raw = e.as_raw()
        next_ = _fn(raw, IEnumString, "Next")
        arr = ffi.new("LPOLESTR[3]")
        fetched = ffi.new("ULONG *")
        got = []
        assert next_(raw, 3, arr, fetched) == S_OK and fetched[0] == 3
        got += [ffi.string(arr[i]) for i in range(3)]
        for i in range(3):
            task_mem_free(arr[i])
        assert next_(raw, 3, arr, fetched) == S_FALSE and fetched[0] == 2  # the short last batch: exact count
        got += [ffi.string(arr[i]) for i in range(2)]
        for i in range(2):
            task_mem_free(arr[i])
        assert got == words
        fetched[0] = 99
        assert next_(raw, 3, arr, fetched) == S_FALSE and fetched[0] == 0
        assert next_(raw, 2, arr, ffi.NULL) & U == E_POINTER  # NULL pceltFetched only for one element
        assert next_(raw, 2, ffi.NULL, fetched) & U == E_POINTER
        assert next_(raw, 0, ffi.NULL, fetched) == S_OK and fetched[0] == 0  # nothing asked, nothing written
        assert e.Reset() == S_OK
        assert next_(raw, 1, arr, ffi.NULL) == S_OK and ffi.string(arr[0]) == "a"
        task_mem_free(arr[0])


def test_skip_reset_and_clone_keep_their_own_positions(mta):
    from vtables.enumerators import EnumString, iterate
    from vtables.interfaces import IEnumString

    with EnumString(f"w{i}" for i in range(6)).as_ptr(IEnumString) as e:
        assert e.Skip(2) == S_OK
        with e.Clone() as c:
            assert list(iterate(c, batch=4)) == ["w2", "w3", "w4", "w5"]
            assert c.Skip(1) == S_FALSE
            c.Reset()
            assert list(iterate(c, batch=1)) == [f"w{i}" for i in range(6)]
        assert list(iterate(e, batch=3)) == ["w2", "w3", "w4", "w5"]  # the clone's reads did not move it
        assert e.Skip(1) == S_FALSE
        e.Reset()
        assert e.Skip(7) == S_FALSE


def test_enum_unknown_hands_out_new_references(mta, Thing):
    from ole32_bindings.dlls import ffi
    from vtables.enumerators import EnumUnknown, iterate
    from vtables.interfaces import IEnumUnknown, IPersist

    things = [Thing(i) for i in range(3)]
    owners = [t.as_ptr(IPersist) for t in things]  # whoever owns the elements keeps them alive
    with EnumUnknown([owners[0], things[1], things[2]]).as_ptr(IEnumUnknown) as e:  # pointers and objects
        raw = e.as_raw()
        arr = ffi.new("void *[4]")
        fetched = ffi.new("ULONG *")
        assert _fn(raw, IEnumUnknown, "Next")(raw, 4, arr, fetched) == S_FALSE and fetched[0] == 3
        assert [t.com_refcount for t in things] == [2, 2, 2]
        for i in range(3):
            ffi.cast("IUnknown *", arr[i]).lpVtbl.Release(arr[i])
        assert [t.com_refcount for t in things] == [1, 1, 1]
        e.Reset()
        ptrs = list(iterate(e))
        with ptrs[1].query(IPersist) as q:
            assert q.GetClassID() == IPersist.iid
        assert [t.com_refcount for t in things] == [2, 2, 2]
        for p in ptrs:
            p.release()
    for p in owners:
        p.release()
    assert all(t.com_destroyed for t in things)


def test_enum_variant_element_that_cannot_convert_fails_the_call_cleanly(mta, Thing):
    from ole32_bindings.dlls import ffi
    from vtables.enumerators import EnumVariant
    from vtables.interfaces import IEnumVARIANT
    from vtables.variant import VariantArray, to_python

    t = Thing()
    owner = t.as_ptr()
    with EnumVariant(["x", t, object(), "y"]).as_ptr(IEnumVARIANT) as e:
        raw = e.as_raw()
        next_ = _fn(raw, IEnumVARIANT, "Next")
        with VariantArray(4) as arr:
            fetched = ffi.new("ULONG *")
            assert next_(raw, 4, arr.cdata, fetched) & U == 0x80020005  # DISP_E_TYPEMISMATCH
            assert fetched[0] == 0 and t.com_refcount == 1  # what was written is freed (the object's reference)
            assert [arr[i].vt for i in range(4)] == [0, 0, 0, 0]
            assert next_(raw, 2, arr.cdata, fetched) == S_OK and to_python(arr[0]) == "x"  # position unchanged
            assert arr[1].vt == 13 and t.com_refcount == 2  # VT_UNKNOWN, a reference of its own
            arr.clear()
    owner.release()
    assert t.com_destroyed


def test_enum_connections_pairs_and_owned_references(mta, Thing):
    from vtables.enumerators import EnumConnections, iterate
    from vtables.interfaces import IEnumConnections, IPersist, IUnknown

    a, b = Thing(), Thing()
    owned = [a.as_ptr(IPersist), b.as_ptr(IUnknown)]  # the enumerator's own references (a snapshot)
    e = EnumConnections([(owned[0], 1), (owned[1], 7)], owned=owned).as_ptr(IEnumConnections)
    c = e.Clone()
    pairs = list(iterate(e, batch=1))
    assert [cookie for _, cookie in pairs] == [1, 7]
    assert pairs[0][0].same_object(owned[0]) and a.com_refcount == 2
    for p, _ in pairs:
        p.release()
    e.release()
    assert a.com_refcount == 1  # the clone still shares the snapshot
    assert [cookie for _, cookie in _drain(iterate(c))] == [1, 7]
    c.release()
    assert a.com_destroyed and b.com_destroyed


def _drain(it):
    out = []
    for p, cookie in it:
        p.release()
        out.append((None, cookie))
    return out


def test_iterate_closed_early_frees_what_it_fetched(mta, Thing):
    from vtables.enumerators import EnumUnknown, EnumVariant, iterate
    from vtables.interfaces import IEnumUnknown, IEnumVARIANT

    things = [Thing(i) for i in range(5)]
    owners = [t.as_ptr() for t in things]
    with EnumUnknown(owners).as_ptr(IEnumUnknown) as e:
        it = iterate(e, batch=4)
        first = next(it)
        assert [t.com_refcount for t in things] == [2, 2, 2, 2, 1]  # one batch fetched
        it.close()  # the three fetched and not yielded are released
        assert [t.com_refcount for t in things] == [2, 1, 1, 1, 1]
        first.release()
    for p in owners:
        p.release()
    with EnumVariant(range(10)).as_ptr(IEnumVARIANT) as e:
        for n in iterate(e, batch=3):
            if n == 4:
                break
        assert list(iterate(e, batch=3)) == [6, 7, 8, 9]
    assert all(t.com_destroyed for t in things)


def test_iterate_refuses_what_is_not_an_enumerator(mta, Thing):
    from vtables.enumerators import iterate
    from vtables.interfaces import IPersist

    with Thing().as_ptr(IPersist) as p, pytest.raises(TypeError, match="IPersist"):
        next(iterate(p))
    with pytest.raises(ValueError):
        next(iterate(None, batch=0))


@pytest.mark.parametrize("iface_name", ["IEnumString", "IEnumUnknown", "IEnumVARIANT"])
def test_through_ole32_proxies_from_another_apartment(mta, Thing, iface_name):
    """The same enumerators called from an STA through the runtime's proxy/stub (whose RemoteNext checks the
    counts we return): a client none of us wrote."""
    from ole32_marshalling.git import GlobalInterfaceTable
    from ole32_marshalling.sta import StaThread
    from vtables import interfaces as I
    from vtables.client import client_class
    from vtables.enumerators import EnumString, EnumUnknown, EnumVariant, iterate

    iface = getattr(I, iface_name)
    things = [Thing(i) for i in range(7)]
    owners = [t.as_ptr() for t in things]
    made = {
        "IEnumString": lambda: EnumString([f"s{i}" for i in range(7)]),
        "IEnumUnknown": lambda: EnumUnknown(owners),
        "IEnumVARIANT": lambda: EnumVariant(range(7)),
    }[iface_name]()

    def remote(cookie):
        with client_class(iface).from_raw(git.get(cookie, iface.iid)) as e:
            assert e.Skip(1) == S_OK
            with e.Clone() as c:
                values = list(iterate(c, batch=3))  # batches of 3, 3, then a short one of 0
            out = []
            for v in iterate(e, batch=4):  # 4, then the short last batch of 2
                if hasattr(v, "release"):
                    v.release()
                    v = "object"
                out.append(v)
            for v in values:
                if hasattr(v, "release"):
                    v.release()
            return len(values), out

    with GlobalInterfaceTable() as git, made.as_ptr(iface) as p:
        cookie = git.register(p.as_raw(), iface.iid)
        try:
            with StaThread("consumer") as sta:
                n, out = sta.call(lambda: remote(cookie))
        finally:
            git.revoke(cookie)
    assert n == 6 and len(out) == 6
    expected = {"IEnumString": [f"s{i}" for i in range(1, 7)], "IEnumUnknown": ["object"] * 6}
    assert out == expected.get(iface_name, list(range(1, 7)))
    assert [t.com_refcount for t in things] == [1] * 7
    for p in owners:
        p.release()


def test_enumerated_proxies_through_ole32s_proxy_from_another_sta(mta):
    """An IEnumUnknown whose element is a proxy (a native object of a third apartment, an STA), called from another
    STA through ole32's IEnumUnknown proxy. Windows: S_FALSE and one element. Wine 8 (docs/wine.md): the call returns
    a garbage HRESULT and count although our Next ran and wrote its element (the same enumerator over objects of
    its own apartment is right above), and the references marshalled for the lost reply stay on the object."""
    from testlib import load, new_dispatch, running_on_wine

    from ole32_bindings.dlls import ffi
    from ole32_marshalling.git import GlobalInterfaceTable
    from ole32_marshalling.sta import StaThread
    from vtables.client import client_class
    from vtables.enumerators import EnumUnknown
    from vtables.interfaces import IDispatch, IEnumUnknown, IUnknown

    tl_ffi, lib = load()
    with GlobalInterfaceTable() as git, StaThread("home") as home, StaThread("caller") as caller:

        def make():
            native = new_dispatch("native")
            try:
                return git.register(ffi.cast("void *", int(tl_ffi.cast("uintptr_t", native))), IDispatch.iid)
            finally:
                lib.TL_Release(native)

        parked = home.call(make)
        try:
            with client_class(IUnknown).from_raw(git.get(parked, IUnknown.iid)) as proxy:
                with EnumUnknown([proxy]).as_ptr(IEnumUnknown) as e:
                    cookie = git.register(e.as_raw(), IEnumUnknown.iid)
                    try:

                        def remote():
                            with client_class(IEnumUnknown).from_raw(git.get(cookie, IEnumUnknown.iid)) as r:
                                arr = ffi.new("void *[4]")
                                fetched = ffi.new("ULONG *")
                                raw = r.as_raw()
                                hr = _fn(raw, IEnumUnknown, "Next")(raw, 4, arr, fetched)
                                got = (hr & U, fetched[0])
                                if got == (S_FALSE, 1):
                                    ffi.cast("IUnknown *", arr[0]).lpVtbl.Release(arr[0])
                                return got

                        got = caller.call(remote)
                    finally:
                        git.revoke(cookie)
        finally:
            git.revoke(parked)
    print("Next through the proxy:", [hex(got[0]), got[1]])
    if running_on_wine():
        assert got != (S_FALSE, 1), "Wine carries enumerated proxies now: update docs/wine.md"
    else:
        assert got == (S_FALSE, 1)


def test_iterate_reads_an_enumerator_none_of_us_wrote(mta):
    """Wine's Scripting.Dictionary (scrrun.dll): its _NewEnum's IEnumVARIANT, read in batches (3 then a short 2),
    after Reset and Skip, and through a Clone. Under Wine 8 its Skip answers S_FALSE when it skipped them all and
    elements remain (S_OK is the contract's answer), and a Clone starts at the beginning (docs/wine.md)."""
    from testlib import running_on_wine

    from vtables.enumerators import iterate
    from vtables.interfaces import IEnumVARIANT
    from vtables.latebound import DISPID_NEWENUM, Dispatch, invoke

    wine = running_on_wine()
    with Dispatch("Scripting.Dictionary") as d:
        for i, key in enumerate("abcde"):
            d.Add(key, i)
        with invoke(d, DISPID_NEWENUM, 3) as unk, unk.query(IEnumVARIANT) as e:
            assert list(iterate(e, batch=3)) == list("abcde")
            assert list(iterate(e)) == []  # at the end
            assert e.Reset() == S_OK
            assert e.Skip(2) == (S_FALSE if wine else S_OK)
            with e.Clone() as c:
                assert list(iterate(c, batch=2)) == list("abcde" if wine else "cde")
            assert list(iterate(e, batch=10)) == list("cde")


def test_any_declared_enumerator_of_interface_pointers(mta, Thing):
    from vtables import method
    from vtables.enumerators import enumerator_class, iterate
    from vtables.interfaces import IPersist, IUnknown

    class IEnumPersist(IUnknown):
        iid = "{2B7E5C1D-4A3F-4E8B-9C0D-1E2F3A4B5C61}"
        Next = method(
            "HRESULT Next([in] ULONG celt, [in] IPersist **rgelt, [out] ULONG *pceltFetched)", preserve_sig=True
        )
        Skip = method("HRESULT Skip([in] ULONG celt)")
        Reset = method("HRESULT Reset()")
        Clone = method("HRESULT Clone([out] IEnumPersist **ppenum)")

    EnumPersist = enumerator_class(IEnumPersist)
    assert enumerator_class(IEnumPersist) is EnumPersist  # made once
    things = [Thing(i) for i in range(3)]
    owners = [t.as_ptr(IUnknown) for t in things]
    with EnumPersist(owners).as_ptr(IEnumPersist) as e:
        got = list(iterate(e, batch=2))
        assert [type(p).interface for p in got] == [IPersist] * 3  # IPersist pointers (QueryInterface'd)
        assert [p.GetClassID() for p in got] == [IPersist.iid] * 3
        for p in got:
            p.release()
        assert e.Reset() == S_OK and e.Skip(3) == S_OK and e.Skip(1) == S_FALSE
    for p in owners:
        p.release()
    assert all(t.com_destroyed for t in things)
    with pytest.raises(TypeError, match="IPersist"):
        enumerator_class(IPersist)
