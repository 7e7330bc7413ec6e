"""The object context of an intercepted call: the doneness bit and the transaction vote (COM+'s IContextState,
the article's ``ContextUtil``).

    def Post(self, account_num, amount):
        ...
        set_complete()                      # done, vote commit: deactivated when this call returns
        # set_abort()                       # done, vote abort
        # object_context().deactivate_on_return = False   # stay activated for the next call

Each activation of a real object behind an interceptor (``ole32_servers.services.jit``) has one
:class:`ObjectContext`; the interceptor makes it current on the calling thread for the length of each call (and
restores the previous one after: a call into another serviced object nests). The doneness bit is False when the
object is activated and keeps its value across calls until the object is deactivated. Outside an intercepted
call there is no context: :func:`object_context` raises CONTEXT_E_NOCONTEXT, as ``GetObjectContext`` answers.
"""

from __future__ import annotations

import threading
from typing import Any

from ole32_bindings.hresult import ComError

__all__ = ["ObjectContext", "object_context", "set_complete", "set_abort", "current", "TX_COMMIT", "TX_ABORT"]

CONTEXT_E_NOCONTEXT = 0x8004E004

TX_COMMIT = 0
"""TransactionVote TxCommit: the object's work may be kept (the vote of ``set_complete``)."""
TX_ABORT = 1
"""TransactionVote TxAbort: the object's work must be undone (the vote of ``set_abort`` and of a raising
``@auto_complete`` method). There is no transaction here (no DTC under Wine): the vote is recorded, not acted on."""

_tls = threading.local()


class ObjectContext:
    """One activation's context: ``deactivate_on_return`` (the doneness bit), ``my_transaction_vote``
    (TX_COMMIT or TX_ABORT), ``activity`` (set by the interceptor when the class declares synchronization) and
    ``component`` (the real object, for the infrastructure)."""

    __slots__ = ("deactivate_on_return", "my_transaction_vote", "activity", "component")

    def __init__(self, component: Any, activity: Any = None) -> None:
        self.deactivate_on_return = False
        self.my_transaction_vote = TX_COMMIT
        self.activity = activity
        self.component = component

    def set_complete(self) -> None:
        """SetComplete: done, and the vote is commit."""
        self.deactivate_on_return = True
        self.my_transaction_vote = TX_COMMIT

    def set_abort(self) -> None:
        """SetAbort: done, and the vote is abort."""
        self.deactivate_on_return = True
        self.my_transaction_vote = TX_ABORT


def current() -> ObjectContext | None:
    """The context of the intercepted call running on this thread (the innermost), or None."""
    return getattr(_tls, "ctx", None)


def object_context() -> ObjectContext:
    """The context of the intercepted call running on this thread; CONTEXT_E_NOCONTEXT outside one (a class
    without JIT or synchronization has no interceptor, hence no context)."""
    ctx: ObjectContext | None = getattr(_tls, "ctx", None)
    if ctx is None:
        raise ComError(CONTEXT_E_NOCONTEXT, "no object context: not inside a call of a JIT or synchronized object")
    return ctx


def set_complete() -> None:
    """``ContextUtil.SetComplete()``: the current object is done (deactivated when this call returns), vote
    commit."""
    object_context().set_complete()


def set_abort() -> None:
    """``ContextUtil.SetAbort()``: the current object is done (deactivated when this call returns), vote abort."""
    object_context().set_abort()
