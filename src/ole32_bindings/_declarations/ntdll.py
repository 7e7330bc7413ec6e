"""ntdll.dll: what kernel32 does not give under Wine 8: the system's handle table (a process's handle count, where
Wine's GetProcessHandleCount reports 0; docs/wine.md)."""

DLL = "ntdll.dll"
FALLBACKS = ()

CDEF = r"""
typedef struct _SYSTEM_HANDLE_ENTRY {
    ULONG OwnerPid; BYTE ObjectType; BYTE HandleFlags; USHORT HandleValue; void *ObjectPointer; ULONG AccessMask;
} SYSTEM_HANDLE_ENTRY;
typedef struct _SYSTEM_HANDLE_INFORMATION { ULONG Count; SYSTEM_HANDLE_ENTRY Handle[1]; } SYSTEM_HANDLE_INFORMATION;
LONG NtQuerySystemInformation(int SystemInformationClass, void *SystemInformation, ULONG SystemInformationLength, ULONG *ReturnLength);
"""
