import pytest

pytestmark = pytest.mark.runtime

# Functions the issue names that must be bound; each resolves to a real export here (Wine 8 or Windows).
REQUIRED = """CoInitializeEx CoUninitialize OleInitialize OleUninitialize CoGetApartmentType CoGetCurrentProcess
CoGetContextToken CoGetObjectContext CoCreateInstance CoCreateInstanceEx CoGetClassObject CoRegisterClassObject
CoRevokeClassObject CoResumeClassObjects CoSuspendClassObjects CoAddRefServerProcess CoReleaseServerProcess
CoMarshalInterface CoUnmarshalInterface CoReleaseMarshalData CoGetMarshalSizeMax CoGetStandardMarshal
CoGetStdMarshalEx CoCreateFreeThreadedMarshaler CoMarshalInterThreadInterfaceInStream
CoGetInterfaceAndReleaseStream CoDisconnectObject CoLockObjectExternal CoWaitForMultipleHandles CoTaskMemAlloc
CoTaskMemFree CoCreateGuid StringFromGUID2 CLSIDFromString CLSIDFromProgID ProgIDFromCLSID CreateStreamOnHGlobal
GetHGlobalFromStream GlobalLock GlobalUnlock GlobalSize CoInitializeSecurity CoSetProxyBlanket CoQueryClientBlanket
CoImpersonateClient CoRevertToSelf SetErrorInfo GetErrorInfo CreateErrorInfo LoadTypeLibEx RegisterTypeLib
UnRegisterTypeLib CreateTypeLib2 SysAllocStringLen SysFreeString SysStringLen VariantInit VariantClear
FormatMessageW GetMessageW PeekMessageW TranslateMessage DispatchMessageW PostThreadMessageW
MsgWaitForMultipleObjectsEx CreateEventW SetEvent WaitForSingleObject CloseHandle GetCurrentThreadId
GetCurrentProcessId RegCreateKeyExW RegOpenKeyExW RegSetValueExW RegQueryValueExW RegDeleteTreeW RegCloseKey""".split()


def test_every_declared_function_resolves():
    from ole32_bindings import dlls

    assert set(REQUIRED) <= set(dlls.DECLARED)
    resolved = {name: dlls.function(name) for name in dlls.DECLARED}
    assert not dlls.MISSING, f"declared but not exported: {dlls.MISSING}"
    assert all(callable(f) for f in resolved.values())


def test_a_missing_export_stays_bound_and_says_so():
    from ole32_bindings import dlls

    dlls.DECLARED["NoSuchFunctionForTest"] = ("ole32.dll", ("combase.dll",))
    try:
        f = dlls.function("NoSuchFunctionForTest")
        with pytest.raises(dlls.MissingExportError, match=r"NoSuchFunctionForTest is not exported by ole32\.dll"):
            f()
    finally:
        del dlls.DECLARED["NoSuchFunctionForTest"]
        dlls.MISSING.pop("NoSuchFunctionForTest", None)


def test_registry_round_trip_leaves_nothing():
    from ole32_bindings import registry as r

    path = r"Software\ole32-bindings-test\key"
    r.set_value(r.HKEY_CURRENT_USER, path, None, "default")
    r.set_value(r.HKEY_CURRENT_USER, path, "n", 7)
    assert r.query_value(r.HKEY_CURRENT_USER, path) == "default"
    assert r.query_value(r.HKEY_CURRENT_USER, path, "n") == 7
    assert r.delete_tree(r.HKEY_CURRENT_USER, r"Software\ole32-bindings-test") is True
    assert r.delete_tree(r.HKEY_CURRENT_USER, r"Software\ole32-bindings-test") is False
    assert not r.key_exists(r.HKEY_CURRENT_USER, r"Software\ole32-bindings-test")
    assert r.query_value(r.HKEY_CURRENT_USER, path) is None


def test_memory_and_bstr_round_trip(mta):
    from ole32_bindings import memory

    b = memory.bstr_from_str("a\x00b\u20ac")
    assert memory.bstr_len(b) == 4
    assert memory.bstr_to_str_and_free(b) == "a\x00b\u20ac"
    p = memory.task_mem_alloc(64)
    memory.task_mem_free(p)


def test_error_info_slot(mta):
    from ole32_bindings import errorinfo

    errorinfo.set_error_info("it broke", "Thing")
    info = errorinfo.take_error_info()
    assert info is not None and info.description == "it broke" and info.source == "Thing"
    assert errorinfo.take_error_info() is None  # taking it empties the slot
