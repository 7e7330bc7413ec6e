"""Issue 17's bench rows: IBenchTarget classes with COM+'s services (ole32_servers.services), the pairs of row 11a
(pooled activation: CoCreateInstance + Release with a warm pool) and 11b (a call through the JIT interceptor of a
pooled AutoComplete class: activate, call, deactivate, back to the pool), and their registrations.

The C++ side is native/bench/services.h (a pool and an interceptor written from COM+'s contract, in
bench_cpp_client.exe's rows ``activate_pooled`` and ``jit_call_pooled``). Pools: MinPoolSize 1, MaxPoolSize 4,
CreationTimeOut 20 s on both sides, so every activation of the timed loops reuses the one object made up front;
each pair's check asserts that from the pool's statistics.
"""

from __future__ import annotations

from typing import Any

from bench import contract
from ole32_bindings import activation
from ole32_bindings.constants import CLSCTX
from ole32_bindings.guid import Guid

from .benchtarget import IBenchTarget

CLSID_PyPooledTarget = Guid(contract.CLSID_PyPooledTarget)
CLSID_PyJitTarget = Guid(contract.CLSID_PyJitTarget)
CLSID_CppPooledTarget = Guid(contract.CLSID_CppPooledTarget)

_made: tuple = ()


def service_classes() -> tuple[type, type]:
    """(PyPooledTarget, PyJitTarget), made once per process (defining a class builds vtables: needs the runtime).
    Their Nothing and Work are PyTarget's."""
    global _made
    if _made:
        return _made
    from ole32_servers.services import JustInTimeActivation, ObjectPooling, ServicedComponent, auto_complete

    from .pairs import PyTarget

    pooling = ObjectPooling(min_pool_size=1, max_pool_size=4, creation_timeout=20_000)

    class PyPooledTarget(ServicedComponent, implements=[IBenchTarget], services=[pooling]):
        Nothing = PyTarget.Nothing
        Work = PyTarget.Work

        def CanBePooled(self) -> bool:
            return True

    class PyJitTarget(ServicedComponent, implements=[IBenchTarget], services=[pooling, JustInTimeActivation()]):
        Nothing = auto_complete(PyTarget.Nothing)
        Work = auto_complete(PyTarget.Work)

        def CanBePooled(self) -> bool:
            return True

    _made = (PyPooledTarget, PyJitTarget)
    return _made


class ServiceRegistrations:
    """The class objects of rows 11a and 11b registered in this process (ServicedClassFactory: the pool lives in
    the class object), revoked by ``close()``, which also closes the pools."""

    def __init__(self) -> None:
        from ole32_servers.classobjects import ClassObjects
        from ole32_servers.services import ServicedClassFactory

        pooled, jit = service_classes()
        self.objs = ClassObjects()
        self.pooled = ServicedClassFactory(pooled)
        self.jit = ServicedClassFactory(jit)
        self.objs.register(CLSID_PyPooledTarget, self.pooled, CLSCTX.INPROC_SERVER)
        self.objs.register(CLSID_PyJitTarget, self.jit, CLSCTX.INPROC_SERVER)

    def close(self) -> None:
        self.objs.revoke_all()  # COM's references go: each class object's final release closes its pool
        self.pooled.close()
        self.jit.close()


def _reuse_check(pool: Any, before: Any) -> str:
    """The pool made no object since ``before`` (every activation reused the warm one) and has none in use."""
    s = pool.statistics()
    if s.made != before.made or s.in_use != 0 or s.activations <= before.activations:
        raise RuntimeError(f"the pool did not reuse its object: before {before}, after {s}")
    return f"pool made={s.made} reused={s.activations - before.activations}"


def activate_pooled_ours(regs: ServiceRegistrations, activate: Any) -> Any:
    """Row 11a with ``activate`` (pairs.activate_ours or activate_cpp_loop on CLSID_PyPooledTarget): the check
    also asserts the pool's reuse."""
    m = activate(CLSID_PyPooledTarget, CLSCTX.INPROC_SERVER)
    pool = regs.pooled.pool
    work_check = m.check

    def check() -> str:
        before = pool.statistics()
        text = work_check()
        m.sample(10)
        return f"{text} {_reuse_check(pool, before)}"

    m.check = check
    return m


def jit_target_ours(regs: ServiceRegistrations) -> Any:
    """Row 11b's object: a JIT interceptor of PyJitTarget (CoCreateInstance: the client holds the interceptor),
    as our client pointer (the measure releases it)."""
    from .pairs import BenchPtr

    return BenchPtr.from_raw(activation.create_instance(CLSID_PyJitTarget, IBenchTarget.iid, CLSCTX.INPROC_SERVER))


def jit_call(regs: ServiceRegistrations, call: Any) -> Any:
    """Row 11b with ``call`` (pairs.call_ours or call_cpp_loop): the check asserts that every call activated the
    pool's one object and gave it back."""
    m = call(jit_target_ours(regs), False)
    pool = regs.jit.pool
    work_check = m.check

    def check() -> str:
        before = pool.statistics()
        text = work_check()
        m.sample(10)
        s = pool.statistics()
        if s.activations - before.activations != 11:
            raise RuntimeError(f"11 calls made {s.activations - before.activations} activations: {before} -> {s}")
        return f"{text} {_reuse_check(pool, before)}"

    m.check = check
    return m
