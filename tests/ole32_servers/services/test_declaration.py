"""The services declaration without COM (runs on Linux too): the attributes' defaults and checks, a class's set,
and the registry record written at registration and read back by the class object."""

import pytest

from ole32_servers.services.declaration import (
    ConstructionEnabled,
    JustInTimeActivation,
    ObjectPooling,
    ServiceDeclarationError,
    ServiceSet,
    Synchronization,
    auto_complete,
    from_registry,
    services_of,
    to_registry,
)


def test_defaults_are_com_plus_defaults():
    assert ObjectPooling() == ObjectPooling(0, 1048576, 60000)
    assert Synchronization().option == "Required" and Synchronization().enabled
    assert not Synchronization("NotSupported").enabled and not Synchronization("Disabled").enabled
    assert ConstructionEnabled().default == ""


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ObjectPooling(-1, 2, 3), "min_pool_size must be an int >= 0"),
        (lambda: ObjectPooling(0, 0, 3), "max_pool_size must be at least 1"),
        (lambda: ObjectPooling(3, 2, 3), "min_pool_size 3 > max_pool_size 2"),
        (lambda: ObjectPooling(0, 2, 1.5), "creation_timeout must be an int"),
        (lambda: ObjectPooling(True, 2, 3), "min_pool_size must be an int"),
        (lambda: Synchronization("Sometimes"), "not one of Disabled, NotSupported"),
        (lambda: ConstructionEnabled("a\x00b"), "without NUL"),
    ],
)
def test_malformed_attributes_name_what_is_wrong(make, message):
    with pytest.raises(ServiceDeclarationError, match=message):
        make()


def test_a_set_takes_each_service_once_and_no_transactions():
    s = ServiceSet.of([ObjectPooling(), JustInTimeActivation()], ["IFoo.Bar"])
    assert s.intercepted and s.pooling == ObjectPooling() and s.auto_complete == frozenset({"IFoo.Bar"})
    assert ServiceSet.of([Synchronization()]).intercepted
    assert not ServiceSet.of([Synchronization("Disabled")]).intercepted
    assert not ServiceSet.of([ObjectPooling()]).intercepted
    assert ServiceSet().empty and not s.empty
    with pytest.raises(ServiceDeclarationError, match="declared twice"):
        ServiceSet.of([JustInTimeActivation(), JustInTimeActivation()])

    class Transaction:
        def __repr__(self):
            return "Transaction(Required)"

    with pytest.raises(ServiceDeclarationError, match="no DTC"):
        ServiceSet.of([Transaction()])


def test_services_of_a_plain_class_is_empty_and_auto_complete_marks():
    class Plain:
        pass

    assert services_of(Plain).empty

    @auto_complete
    def f():
        return 1

    assert f.__com_auto_complete__ and f() == 1


def test_registry_record_round_trip():
    declared = ServiceSet.of(
        [ObjectPooling(2, 50, 20), JustInTimeActivation(), Synchronization("RequiresNew"), ConstructionEnabled("d")]
    )
    values = to_registry(declared, "DSN=bank")
    assert values == {
        "ObjectPooling": 1,
        "MinPoolSize": 2,
        "MaxPoolSize": 50,
        "CreationTimeout": 20,
        "JustInTimeActivation": 1,
        "Synchronization": "RequiresNew",
        "ConstructionEnabled": 1,
        "ConstructorString": "DSN=bank",
    }
    assert to_registry(declared)["ConstructorString"] == "d"  # no string given: the declared default
    # What an administrator changed wins for the pool sizes and the string; the rest is the class's.
    values.update(MinPoolSize=5, MaxPoolSize=6, ConstructorString="DSN=other", JustInTimeActivation=0)
    services, text = from_registry(declared, values)
    assert services.pooling == ObjectPooling(5, 6, 20) and text == "DSN=other"
    assert services.jit == JustInTimeActivation()  # JIT comes from the class, not the record
    assert from_registry(declared, {}) == (declared, "d")  # not registered: the declaration
    # The record cannot add a service the class was not written for.
    assert from_registry(ServiceSet(), values) == (ServiceSet(), None)
