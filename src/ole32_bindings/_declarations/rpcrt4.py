"""rpcrt4.dll: who is at the other end of the call a server thread is serving (the local RPC transport knows the
client's process)."""

DLL = "rpcrt4.dll"
FALLBACKS = ()

CDEF = r"""
LONG I_RpcBindingInqLocalClientPID(void *Binding, ULONG *Pid);
"""
