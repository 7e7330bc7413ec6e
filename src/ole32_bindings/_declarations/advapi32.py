"""advapi32.dll: the registry functions that class and type library registration need, and the security
descriptor conversions of per-AppID permissions (SDDL in, self-relative binary out)."""

DLL = "advapi32.dll"
FALLBACKS = ()

CDEF = r"""
LSTATUS RegCreateKeyExW(HKEY hKey, LPCWSTR lpSubKey, DWORD Reserved, LPWSTR lpClass, DWORD dwOptions, REGSAM samDesired, void *lpSecurityAttributes, HKEY *phkResult, DWORD *lpdwDisposition);
LSTATUS RegOpenKeyExW(HKEY hKey, LPCWSTR lpSubKey, DWORD ulOptions, REGSAM samDesired, HKEY *phkResult);
LSTATUS RegSetValueExW(HKEY hKey, LPCWSTR lpValueName, DWORD Reserved, DWORD dwType, const BYTE *lpData, DWORD cbData);
LSTATUS RegQueryValueExW(HKEY hKey, LPCWSTR lpValueName, DWORD *lpReserved, DWORD *lpType, BYTE *lpData, DWORD *lpcbData);
LSTATUS RegDeleteValueW(HKEY hKey, LPCWSTR lpValueName);
LSTATUS RegDeleteKeyW(HKEY hKey, LPCWSTR lpSubKey);
LSTATUS RegDeleteTreeW(HKEY hKey, LPCWSTR lpSubKey);
LSTATUS RegEnumKeyExW(HKEY hKey, DWORD dwIndex, LPWSTR lpName, DWORD *lpcchName, DWORD *lpReserved, LPWSTR lpClass, DWORD *lpcchClass, FILETIME *lpftLastWriteTime);
LSTATUS RegCloseKey(HKEY hKey);
BOOL ConvertStringSecurityDescriptorToSecurityDescriptorW(LPCWSTR StringSecurityDescriptor, DWORD StringSDRevision, void **SecurityDescriptor, ULONG *SecurityDescriptorSize);
BOOL ConvertSecurityDescriptorToStringSecurityDescriptorW(void *SecurityDescriptor, DWORD RequestedStringSDRevision, DWORD SecurityInformation, LPWSTR *StringSecurityDescriptor, ULONG *StringSecurityDescriptorLen);
BOOL IsValidSecurityDescriptor(void *pSecurityDescriptor);
BOOL GetUserNameW(LPWSTR lpBuffer, DWORD *pcbBuffer);
"""
