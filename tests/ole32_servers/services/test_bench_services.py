"""What the services cost, called from C++ (the test library's loops), one run (pytest-benchmark; `make test` runs
each once with benchmarking disabled). Each round makes N calls or activations: divide by N
(extra_info["calls_per_round"]) for one.

Calls: a plain Python object's Nothing (the floor of a C++ -> Python call); the same through a JIT interceptor
with the real object attached (the interceptor's own cost); a JIT call with @auto_complete, pooled (activate +
call + deactivate, the article's single-call pattern) and unpooled (a new object per call). Activations:
IClassFactory::CreateInstance + Release for a plain class object, a pooled one (warm pool), a JIT one (an
interceptor, no real object yet).
"""

import pytest
from testlib import guid, load

from bench.benchtarget import IBenchTarget

pytestmark = pytest.mark.runtime

N = 1000


@pytest.fixture(scope="module")
def classes():
    from ole32_servers.services import (
        JustInTimeActivation,
        ObjectPooling,
        ServicedComponent,
        auto_complete,
    )
    from vtables.object import ComObject

    class Plain(ComObject, implements=[IBenchTarget]):
        def Nothing(self):
            return None

        def Work(self, n):
            return n

    class Pooled(ServicedComponent, implements=[IBenchTarget], services=[ObjectPooling(4, 8, 1000)]):
        def Nothing(self):
            return None

        def Work(self, n):
            return n

        def CanBePooled(self):
            return True

    class Jit(Pooled, services=[ObjectPooling(4, 8, 1000), JustInTimeActivation()]):
        pass

    class JitAuto(Pooled, services=[ObjectPooling(4, 8, 1000), JustInTimeActivation()]):
        @auto_complete
        def Nothing(self):
            return None

    class JitUnpooled(Pooled, services=[JustInTimeActivation()]):
        @auto_complete
        def Nothing(self):
            return None

    return {c.__name__: c for c in (Plain, Pooled, Jit, JitAuto, JitUnpooled)}


def _factory(cls):
    from ole32_servers.classobjects import class_object_for
    from vtables.interfaces import IClassFactory

    factory = class_object_for(cls)
    return factory, factory.as_ptr(IClassFactory)


def _calls(benchmark, classes, name, path):
    _, lib = load()
    factory, cf = _factory(classes[name])
    with cf, cf.CreateInstance(None, IBenchTarget.iid) as p:
        raw = p.as_raw()
        assert lib.TL_LoopNothing(raw, 1) == 0  # attach the real object (JIT) before measuring
        benchmark.extra_info.update(calls_per_round=N, path=path)
        benchmark(lambda: lib.TL_LoopNothing(raw, N))
    if factory.__class__.__name__ == "ServicedClassFactory":
        factory.close()
    return factory


def test_call_plain_object(benchmark, mta, classes):
    _calls(benchmark, classes, "Plain", "C++ -> Python object (no services)")


def test_call_through_interceptor_attached(benchmark, mta, classes):
    _calls(benchmark, classes, "Jit", "C++ -> JIT interceptor -> attached real object")


def test_jit_call_pooled_activate_call_deactivate(benchmark, mta, classes):
    factory = _calls(benchmark, classes, "JitAuto", "C++ -> JIT @auto_complete, pooled: activate + call + deactivate")
    assert factory.pool.statistics().made == 4  # every activation came from the warm pool


def test_jit_call_unpooled_new_object_per_call(benchmark, mta, classes):
    _calls(benchmark, classes, "JitUnpooled", "C++ -> JIT @auto_complete, unpooled: new object per call")


def _activations(benchmark, classes, name, path):
    _, lib = load()
    factory, cf = _factory(classes[name])
    with cf:
        benchmark.extra_info.update(calls_per_round=N, path=path)
        benchmark(lambda: lib.TL_LoopCreateInstance(cf.as_raw(), guid(IBenchTarget.iid), N))
    if factory.__class__.__name__ == "ServicedClassFactory":
        factory.close()
    return factory


def test_activation_plain_class_object(benchmark, mta, classes):
    _activations(benchmark, classes, "Plain", "IClassFactory::CreateInstance + Release, new object")


def test_activation_pooled_warm(benchmark, mta, classes):
    factory = _activations(benchmark, classes, "Pooled", "CreateInstance + Release, warm pool")
    s = factory.pool.statistics()
    assert s.made == 4 and s.in_use == 0 and s.destroyed == 4  # reused, never remade; destroyed by close()


def test_activation_jit_interceptor(benchmark, mta, classes):
    _activations(benchmark, classes, "Jit", "CreateInstance + Release, JIT interceptor (no real object made)")
