"""The BankComponent client: registers Account's class object in this process (its pool is made then), activates
it, posts, and prints what the services did: activation, pool reuse, deactivation, an aborted call, Dispose.

    python client.py

The article's client is three lines (``new Account()``, ``act.Post(5, 100)``, and a ``Dispose()`` it mentions);
this one says what happens behind each. Run from the repository root or from this folder.
"""

import os
import sys

# The embeddable CPython's ._pth file leaves the script's folder off sys.path: put it back for `bank`.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bank import CLSID_Account, IAccount, ledger

from ole32_bindings import activation, apartments
from ole32_bindings.constants import CLSCTX
from ole32_bindings.hresult import ComError
from ole32_servers.classobjects import ClassObjects
from ole32_servers.services import ServicedClassFactory, dispose
from vtables.client import client_class

AccountPtr = client_class(IAccount)


def stats(factory: ServicedClassFactory) -> str:
    s = factory.pool.statistics()
    return f"pool: made={s.made} idle={s.idle} in_use={s.in_use} activations={s.activations} destroyed={s.destroyed}"


def main() -> int:
    from bank import Account

    with apartments.apartment(), ClassObjects() as reg:
        print("register Account's class object (MinPoolSize=2: two objects made now)")
        factory = ServicedClassFactory(Account)
        reg.register(CLSID_Account, factory, CLSCTX.INPROC_SERVER)
        print(f"  {stats(factory)}")

        print("client: act = CoCreateInstance(Account)   # the client gets the interceptor, no object yet")
        act = AccountPtr.from_raw(activation.create_instance(CLSID_Account, IAccount.iid, CLSCTX.INPROC_SERVER))
        print(f"  {stats(factory)}")
        for account, amount in ((5, 100.0), (7, 250.0), (5, -40.0)):
            print(f"client: act.Post({account}, {amount})")
            print(f"  -> {act.Post(account, amount)}; {stats(factory)}")
        print("client: act.Post(5, 0.0)   # Post raises: AutoComplete votes abort, the object is still deactivated")
        try:
            act.Post(5, 0.0)
        except ComError as e:
            print(f"  -> failed: {e.name} ({e.description}); {stats(factory)}")
        print("client: act.Dispose()")
        dispose(act)
        print("client: act.Post(5, 1.0) after Dispose")
        try:
            act.Post(5, 1.0)
        except ComError as e:
            print(f"  -> failed: {e.name} (0x{e.hresult:08X})")
        act.release()
        print(f"client: released. {stats(factory)}")
        print(f"ledger: {dict(sorted(ledger.items()))}")
        print("revoke the class object: the pool is closed, its idle objects destroyed")
    print(f"  {stats(factory)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
