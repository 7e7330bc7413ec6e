"""The native IUnknown (native/core, vtables._core): active under the harness, exact and cheap from native code;
and the Python fallback (VTABLES_NATIVE_CORE=0) passes the object-model tests too."""

import os
import subprocess
import sys

import pytest
from testlib import ROOT, guid, load

pytestmark = pytest.mark.runtime


def test_the_native_core_is_what_the_harness_runs():
    """`make native` builds vtables_core.dll next to vtables/_core.py; a run without it would silently measure and
    test the fallback."""
    from vtables import _core

    assert os.environ.get("VTABLES_NATIVE_CORE", "1") != "0"
    assert _core.enabled(), f"{_core.DLL} missing: run make native"


def test_native_iunknown_slots_are_the_core_functions(mta):
    from ole32_bindings.dlls import ffi
    from vtables import _core
    from vtables.interfaces import IPersist
    from vtables.object import ComObject

    class Thing(ComObject, implements=[IPersist]):
        def GetClassID(self):
            return IPersist.iid

    with Thing().as_ptr(IPersist) as p:
        vtbl = ffi.cast("void ***", p.as_raw())[0]
        core = _core.ffi
        assert int(ffi.cast("uintptr_t", vtbl[1])) == int(core.cast("uintptr_t", _core.lib.vt_AddRef))
        assert int(ffi.cast("uintptr_t", vtbl[2])) == int(core.cast("uintptr_t", _core.lib.vt_Release))


def test_counts_from_native_code_are_exact_and_python_sees_them(mta):
    from vtables.interfaces import IPersist
    from vtables.object import ComObject, live_object_count

    class Thing(ComObject, implements=[IPersist]):
        destroyed = 0

        def GetClassID(self):
            return IPersist.iid

        def final_release(self):
            type(self).destroyed += 1

    _, lib = load()
    before = live_object_count()
    obj = Thing()
    raw = obj.query_raw(IPersist.iid)
    assert obj.com_refcount == 1 and live_object_count() == before + 1
    assert lib.TL_LoopAddRefRelease(raw, 10000) == 0
    assert lib.TL_LoopQueryInterface(raw, guid(IPersist.iid), 10000) == 0
    assert lib.TL_AddRef(raw) == 2 and obj.com_refcount == 2
    assert lib.TL_Release(raw) == 1
    assert lib.TL_Release(raw) == 0  # the native Release reached 0: Python destroyed it, once
    assert Thing.destroyed == 1 and obj.com_destroyed and live_object_count() == before


def test_the_python_fallback_passes_the_object_model_tests():
    env = dict(os.environ, VTABLES_NATIVE_CORE="0")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--benchmark-disable",
            "tests/vtables/test_object.py",
            "tests/vtables/test_factory.py",
            "tests/ole32_marshalling/test_cross_apartment.py",
            "-x",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert " passed" in r.stdout and " failed" not in r.stdout
