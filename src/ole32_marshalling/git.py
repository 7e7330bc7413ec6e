"""The Global Interface Table: park an interface pointer once, fetch it from any apartment of the process.

    git = GlobalInterfaceTable()                       # the process's one GIT (CLSID_StdGlobalInterfaceTable)
    cookie = git.register(ptr.as_raw(), IBenchTarget.iid)
    ... on any thread, in any apartment:
    p = BenchPtr.from_raw(git.get(cookie, IBenchTarget.iid))   # a proxy, or the object itself where legal
    git.revoke(cookie)

COM's rules, as the code relies on them:

* ``register`` table-marshals the pointer (MSHLFLAGS_TABLESTRONG): the GIT holds a strong reference on the object
  (through its stub) until ``revoke``. Register from the object's own apartment: the pointer is read there.
* ``get`` unmarshals a fresh copy in the *calling* apartment and returns a new reference the caller releases;
  table marshaling means the entry stays valid, any number of ``get``s later.
* ``revoke`` releases the marshal data (CoReleaseMarshalData), so the object's count drops by what ``register``
  added. Revoke from any apartment; a cookie revoked twice or never issued is E_INVALIDARG.
* The interface pointer of the GIT itself is agile: one instance may be used from every apartment.
"""

from __future__ import annotations

from typing import Any

from ole32_bindings import activation
from ole32_bindings.constants import CLSCTX
from ole32_bindings.guid import Guid
from ole32_bindings.wellknown import CLSID_StdGlobalInterfaceTable
from vtables.client import client_class
from vtables.interfaces import IGlobalInterfaceTable

__all__ = ["GlobalInterfaceTable", "register_interface"]

_GitPtr = client_class(IGlobalInterfaceTable)


def register_interface(git: Any, unk: Any, iid: Guid) -> int:
    """IGlobalInterfaceTable::RegisterInterfaceInGlobal on ``git`` (a client pointer) for ``unk`` (borrowed);
    returns the cookie. The one place a pointer enters the GIT (the tracer hooks it)."""
    return git.RegisterInterfaceInGlobal(unk, iid)


class GlobalInterfaceTable:
    """A client of the process's GIT; ``close()`` (or ``with``) releases our reference to it (entries stay)."""

    def __init__(self) -> None:
        self._git = _GitPtr.from_raw(
            activation.create_instance(CLSID_StdGlobalInterfaceTable, IGlobalInterfaceTable.iid, CLSCTX.INPROC_SERVER)
        )

    def register(self, unk: Any, iid: Guid) -> int:
        """Park ``unk`` (borrowed; an ``iid`` pointer or any pointer the object answers ``iid`` on) and return
        its cookie. The GIT keeps the object alive until ``revoke``."""
        import ole32_marshalling.git as this  # through the module: a tracing() block may have hooked it

        return this.register_interface(self._git, unk, iid)

    def get(self, cookie: int, iid: Guid) -> Any:
        """A new reference (caller releases) to the parked object as ``iid``, valid in the calling apartment."""
        return self._git.GetInterfaceFromGlobal(cookie, iid).into_raw()

    def revoke(self, cookie: int) -> None:
        """Remove the entry and release the reference the GIT held."""
        self._git.RevokeInterfaceFromGlobal(cookie)

    def close(self) -> None:
        self._git.release()

    def __enter__(self) -> GlobalInterfaceTable:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
