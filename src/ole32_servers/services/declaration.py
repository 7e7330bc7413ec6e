"""How a class states its COM+ services: one list, next to its interfaces (COM-free: checked on Linux too).

    class Account(ServicedComponent, implements=[IAccount], services=[
            ObjectPooling(min_pool_size=2, max_pool_size=50, creation_timeout=20_000),
            JustInTimeActivation(),
        ]):
        @auto_complete
        def Post(self, account_num, amount): ...

Each declaration is the article's attribute of the same name (``[ObjectPooling(MinPoolSize, MaxPoolSize,
CreationTimeOut)]``, ``[JustInTimeActivation]``, ``[Synchronization]``, ``[ConstructionEnabled(Default)]``,
``[AutoComplete]``), with the same defaults and units (CreationTimeOut in milliseconds). ``Transaction`` is left
out: Wine has no distributed transaction coordinator. :func:`services_of` reads a class's set back;
:func:`to_registry` / :func:`from_registry` are what registration writes under ``CLSID\\{clsid}\\Services``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

__all__ = [
    "ObjectPooling",
    "JustInTimeActivation",
    "Synchronization",
    "ConstructionEnabled",
    "ServiceSet",
    "ServiceDeclarationError",
    "auto_complete",
    "services_of",
    "to_registry",
    "from_registry",
    "SYNCHRONIZATION_OPTIONS",
]

_F = TypeVar("_F", bound=Callable[..., Any])

SYNCHRONIZATION_OPTIONS = ("Disabled", "NotSupported", "Supported", "Required", "RequiresNew")
"""COM+'s SynchronizationOption values, in their order (0..4)."""


class ServiceDeclarationError(TypeError):
    """A malformed services declaration (raised at class definition, or when a registry record is read)."""


@dataclass(frozen=True)
class ObjectPooling:
    """``[ObjectPooling(MinPoolSize, MaxPoolSize, CreationTimeOut)]``: ``min_pool_size`` objects are made when the
    class object is made; at most ``max_pool_size`` exist at once (idle and in use); an activation that finds
    them all in use waits up to ``creation_timeout`` milliseconds, then fails with CO_E_ACTIVATIONFAILED_TIMEOUT.
    COM+'s defaults: 0, 1048576, 60000."""

    min_pool_size: int = 0
    max_pool_size: int = 1048576
    creation_timeout: int = 60000

    def __post_init__(self) -> None:
        for name in ("min_pool_size", "max_pool_size", "creation_timeout"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ServiceDeclarationError(f"ObjectPooling.{name} must be an int >= 0, not {value!r}")
        if self.max_pool_size < 1:
            raise ServiceDeclarationError("ObjectPooling.max_pool_size must be at least 1")
        if self.min_pool_size > self.max_pool_size:
            raise ServiceDeclarationError(
                f"ObjectPooling: min_pool_size {self.min_pool_size} > max_pool_size {self.max_pool_size}"
            )


@dataclass(frozen=True)
class JustInTimeActivation:
    """``[JustInTimeActivation]``: the client holds an interceptor; the real object is made (or taken from the
    pool) at the first call and deactivated when a call returns with the doneness bit set."""


@dataclass(frozen=True)
class Synchronization:
    """``[Synchronization(SynchronizationOption)]``: calls into the objects of one activity run one at a time.
    ``option`` is one of :data:`SYNCHRONIZATION_OPTIONS` (COM+'s default: Required)."""

    option: str = "Required"

    def __post_init__(self) -> None:
        if self.option not in SYNCHRONIZATION_OPTIONS:
            raise ServiceDeclarationError(
                f"Synchronization option {self.option!r} is not one of {', '.join(SYNCHRONIZATION_OPTIONS)}"
            )

    @property
    def enabled(self) -> bool:
        """Whether calls join an activity (Supported, Required, RequiresNew)."""
        return self.option not in ("Disabled", "NotSupported")


@dataclass(frozen=True)
class ConstructionEnabled:
    """``[ConstructionEnabled(Default)]``: the class implements IObjectConstruct and receives its construction
    string (the one given at registration, else ``default``) before its first use."""

    default: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.default, str) or "\x00" in self.default:
            raise ServiceDeclarationError(
                f"ConstructionEnabled.default must be a str without NUL, not {self.default!r}"
            )


_KINDS: dict[type, str] = {
    ObjectPooling: "pooling",
    JustInTimeActivation: "jit",
    Synchronization: "synchronization",
    ConstructionEnabled: "construction",
}


@dataclass(frozen=True)
class ServiceSet:
    """The services one class declares (None: not declared), and the names of its ``@auto_complete`` methods."""

    pooling: ObjectPooling | None = None
    jit: JustInTimeActivation | None = None
    synchronization: Synchronization | None = None
    construction: ConstructionEnabled | None = None
    auto_complete: frozenset[str] = field(default_factory=frozenset)

    @property
    def intercepted(self) -> bool:
        """Whether the client holds an interceptor instead of the object: JIT, or synchronization enabled."""
        return self.jit is not None or (self.synchronization is not None and self.synchronization.enabled)

    @property
    def empty(self) -> bool:
        """Whether no service is declared."""
        return self == ServiceSet()

    @classmethod
    def of(cls, declarations: Iterable[object], auto_complete: Iterable[str] = ()) -> ServiceSet:
        """The set of ``declarations`` (each kind at most once)."""
        kinds: dict[str, Any] = {}
        for d in declarations:
            kind = _KINDS.get(type(d))
            if kind is None:
                hint = " (Wine has no DTC: transactions are not offered)" if "ransaction" in repr(d) else ""
                raise ServiceDeclarationError(f"{d!r} is not a service declaration{hint}")
            if kind in kinds:
                raise ServiceDeclarationError(f"{type(d).__name__} declared twice")
            kinds[kind] = d
        return cls(**kinds, auto_complete=frozenset(auto_complete))


def auto_complete(fn: _F) -> _F:
    """``[AutoComplete]``: when the method returns, the doneness bit is set (SetComplete); when it raises, the
    call aborts (SetAbort) and the exception becomes the call's HRESULT as usual."""
    fn.__com_auto_complete__ = True  # type: ignore[attr-defined]
    return fn


def services_of(cls: type) -> ServiceSet:
    """The services ``cls`` declares (an empty set for a class that declares none)."""
    found = cls.__dict__.get("_svc_services")
    if isinstance(found, ServiceSet):
        return found
    for base in cls.__mro__[1:]:
        inherited = base.__dict__.get("_svc_services")
        if isinstance(inherited, ServiceSet):
            return inherited
    return ServiceSet()


# ---- the registry record -------------------------------------------------------------------------------------
#
# Under CLSID\{clsid}\Services, one REG_SZ or REG_DWORD value per declared service, named after the article's
# attribute. ObjectPooling's sizes and the construction string are the administrable part (COM+ reads them from
# its catalog, so a record overrides the class's declaration); JIT and AutoComplete are the class's own.


def to_registry(services: ServiceSet, construction_string: str | None = None) -> dict[str, int | str]:
    """The values registration writes for ``services``: ``ObjectPooling`` (1), ``MinPoolSize``,
    ``MaxPoolSize``, ``CreationTimeout``; ``JustInTimeActivation`` (1); ``Synchronization`` (the option);
    ``ConstructionEnabled`` (1) and ``ConstructorString`` (``construction_string``, else the declared default)."""
    values: dict[str, int | str] = {}
    if services.pooling is not None:
        p = services.pooling
        values.update(
            ObjectPooling=1,
            MinPoolSize=p.min_pool_size,
            MaxPoolSize=p.max_pool_size,
            CreationTimeout=p.creation_timeout,
        )
    if services.jit is not None:
        values["JustInTimeActivation"] = 1
    if services.synchronization is not None:
        values["Synchronization"] = services.synchronization.option
    if services.construction is not None:
        values["ConstructionEnabled"] = 1
        text = services.construction.default if construction_string is None else construction_string
        if "\x00" in text:
            raise ServiceDeclarationError("a construction string cannot contain NUL")
        values["ConstructorString"] = text
    elif construction_string is not None:
        raise ServiceDeclarationError("a construction string is given but the class declares no ConstructionEnabled")
    return values


def from_registry(declared: ServiceSet, values: dict[str, Any]) -> tuple[ServiceSet, str | None]:
    """The services in effect for a class that declares ``declared`` and whose registration holds ``values``
    (empty: not registered): the registered pool sizes replace the declared ones, and the construction string is
    the registered one, else the declared default (None without ConstructionEnabled). The registry cannot add a
    service the class does not declare (a class must be written for pooling, JIT or construction)."""
    services = declared
    if declared.pooling is not None and values.get("ObjectPooling"):
        try:
            pooling = ObjectPooling(
                int(values.get("MinPoolSize", declared.pooling.min_pool_size)),
                int(values.get("MaxPoolSize", declared.pooling.max_pool_size)),
                int(values.get("CreationTimeout", declared.pooling.creation_timeout)),
            )
        except (TypeError, ValueError) as e:
            raise ServiceDeclarationError(f"the registered ObjectPooling values are malformed: {e}") from None
        services = replace(services, pooling=pooling)
    text: str | None = None
    if declared.construction is not None:
        registered = values.get("ConstructorString")
        text = registered if isinstance(registered, str) else declared.construction.default
    return services, text
