"""The second seed's BankComponent ("Serviced Components"), in Python: ``Account.Post(accountNum, amount)`` with
just-in-time activation, AutoComplete, object pooling and synchronization, declared next to its interface.

The article's C# class::

    [Transaction(TransactionOption.Required)]
    public class Account : ServicedComponent {
        [AutoComplete]
        public bool Post(int accountNum, double amount) { /* updates the database */ }
    }

Its ``[Transaction]`` implies JustInTimeActivation and Synchronization (the article says so); those are declared
here. **The Transaction attribute itself is left out**: a COM+ transaction needs a distributed transaction
coordinator (MS DTC), which Wine does not have. AutoComplete still sets the doneness bit and records the vote
(commit on return, abort when Post raises); nothing acts on the vote. The "database" is an in-memory ledger.
Pooling is added so the client can show reuse (the article's DbAccount sample has the same attribute).
"""

from __future__ import annotations

import itertools
import math
import threading

from ole32_bindings.guid import Guid
from ole32_servers.services import (
    JustInTimeActivation,
    ObjectPooling,
    ServicedComponent,
    Synchronization,
    auto_complete,
    object_context,
)
from vtables import method
from vtables.interfaces import IUnknown

CLSID_Account = Guid("{8D4A2C61-3B5E-4F70-A1C9-6E2D7B8F9A31}")


class IAccount(IUnknown):
    """``bool Post(int accountNum, double amount)`` as COM sees it."""

    iid = Guid("{8D4A2C61-3B5E-4F70-A1C9-6E2D7B8F9A30}")
    Post = method("HRESULT Post([in] LONG accountNum, [in] double amount, [out, retval] VARIANT_BOOL *ok)")


#: the "database": account number -> balance (what Post updates), and what happened, in order
ledger: dict[int, float] = {}
events: list[str] = []
_serial = itertools.count(1)
_ledger_lock = threading.Lock()


def log(text: str) -> None:
    events.append(text)
    print(f"    [server] {text}", flush=True)


class Account(
    ServicedComponent,
    implements=[IAccount],
    services=[
        ObjectPooling(min_pool_size=2, max_pool_size=10, creation_timeout=20_000),
        JustInTimeActivation(),
        Synchronization(),
    ],
):
    """One pooled Account object; the client holds an interceptor and never sees it."""

    def __init__(self) -> None:
        self.name = f"Account#{next(_serial)}"
        log(f"{self.name} constructed (into the pool)")

    @auto_complete  # [AutoComplete]: done when Post returns (vote commit), or raises (vote abort)
    def Post(self, account_num: int, amount: float) -> bool:
        if not math.isfinite(amount) or amount == 0:
            raise ValueError(f"{self.name}: refusing to post {amount!r} to account {account_num}")
        with _ledger_lock:
            ledger[account_num] = ledger.get(account_num, 0.0) + amount
            balance = ledger[account_num]
        log(f"{self.name}.Post({account_num}, {amount:.2f}): balance {balance:.2f}")
        assert object_context().deactivate_on_return is False  # AutoComplete sets it once Post has returned
        return True

    # IObjectControl (ServicedComponent's Activate / Deactivate / CanBePooled)
    def Activate(self) -> None:
        log(f"{self.name} Activate (taken from the pool)")

    def Deactivate(self) -> None:
        log(f"{self.name} Deactivate")

    def CanBePooled(self) -> bool:
        log(f"{self.name} CanBePooled -> True (back to the pool)")
        return True
