"""Construction strings: delivered once per object through IObjectConstruct::Construct with an
IObjectConstructString, before Activate; the registered string replaces the declared default; a refused string
fails the activation with CO_E_INITIALIZATIONFAILED; a class that cannot receive one is refused at definition."""

import pytest
from servicedtargets import IBenchTarget, build

pytestmark = pytest.mark.runtime

CO_E_INITIALIZATIONFAILED = 0x8004E025


def _cls(*services, name="Constructed"):
    from ole32_servers.services import ConstructionEnabled

    return build(name, [ConstructionEnabled("the default"), *services], construct=True)


def _factory(cls, **kw):
    from ole32_servers.services import ServicedClassFactory
    from vtables.interfaces import IClassFactory

    factory = ServicedClassFactory(cls, **kw)
    return factory, factory.as_ptr(IClassFactory)


def test_delivered_once_before_activate_pooled(mta):
    from ole32_servers.services import ObjectPooling

    T = _cls(ObjectPooling(1, 2, 100))
    _factory_obj, cf = _factory(T)
    with cf:
        assert T.events == [("new", 1), ("Construct", 1, "the default")]  # with the pool, before any client
        for _ in range(3):
            with cf.CreateInstance(None, IBenchTarget.iid) as p:
                assert p.Work(4) == len("the default")
        assert [e for e in T.events if e[0] == "Construct"] == [("Construct", 1, "the default")]  # once


def test_delivered_to_every_new_jit_object(mta):
    from ole32_servers.services import JustInTimeActivation

    T = _cls(JustInTimeActivation())
    _factory_obj, cf = _factory(T, construction_string="given at registration")
    with cf, cf.CreateInstance(None, IBenchTarget.iid) as p:
        assert p.Work(1) == 1 and p.Work(1) == 2
    assert [e[0] for e in T.events if e[1] == 2] == ["new", "Construct", "Activate", "Work", "Deactivate", "destroyed"]
    assert ("Construct", 2, "given at registration") in T.events


def test_refused_string_fails_activation_with_initializationfailed(mta):
    from ole32_bindings.hresult import ComError
    from ole32_servers.services import JustInTimeActivation, ObjectPooling

    T = _cls(ObjectPooling(0, 1, 100))
    factory, cf = _factory(T, construction_string="refuse me")
    with cf:
        with pytest.raises(ComError) as e:
            cf.CreateInstance(None, IBenchTarget.iid)
        assert e.value.hresult == CO_E_INITIALIZATIONFAILED
        assert "refused its construction string" in str(e.value) and "0x80070057" in str(e.value)
        s = factory.pool.statistics()
        assert (s.made, s.in_use, s.idle) == (0, 0, 0)  # nothing made, nothing held: the slot is free
    assert ("destroyed", 1) in T.events
    J = _cls(JustInTimeActivation(), name="JitRefused")
    factory, cf = _factory(J, construction_string="refuse")
    with cf, cf.CreateInstance(None, IBenchTarget.iid) as p:
        with pytest.raises(ComError) as e:
            p.Work(0)  # JIT: the first call is the activation
        assert e.value.hresult == CO_E_INITIALIZATIONFAILED
    # With MinPoolSize > 0 the class object itself cannot be made.
    P = _cls(ObjectPooling(1, 1, 100), name="MinRefused")
    with pytest.raises(ComError) as e:
        _factory(P, construction_string="refuse")
    assert e.value.hresult == CO_E_INITIALIZATIONFAILED


def test_registered_string_replaces_the_default(mta):
    from ole32_bindings.guid import Guid
    from ole32_servers.classobjects import class_object_for
    from ole32_servers.inproc import unregister_inproc
    from ole32_servers.registration import write_services
    from ole32_servers.services import ObjectPooling, services_of

    T = _cls(ObjectPooling(0, 1, 100))
    clsid = Guid.new()
    write_services(clsid, services_of(T), construction_string="from the registry")
    try:
        factory = class_object_for(T, clsid=clsid)
        assert factory.construction_string == "from the registry"
        factory.close()
        assert class_object_for(T).construction_string == "the default"
    finally:
        unregister_inproc(clsid)


def test_a_class_that_cannot_receive_it_is_refused_at_definition(mta):
    from ole32_servers.services import ConstructionEnabled, ServicedComponent
    from vtables.declare import InterfaceError

    with pytest.raises(InterfaceError, match="IObjectConstruct"):

        class NoConstruct(ServicedComponent, implements=[IBenchTarget], services=[ConstructionEnabled("x")]):
            def Nothing(self):
                return None

            def Work(self, n):
                return n
