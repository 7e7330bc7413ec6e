/* vtables_testlib.dll: the exported C API, written as plain C for cffi's ffi.cdef().
 *
 * This file is never #included by the C++ sources: it must stay parseable by cffi (no #include, no macros, no SAL,
 * no __declspec, REFIID spelled `const GUID *`, interface pointers spelled `void *`). The user of ffi.cdef() supplies
 *     typedef int32_t HRESULT; typedef uint32_t ULONG; typedef uint32_t DWORD; typedef int32_t LONG;
 *     typedef int64_t LONG64;
 *     typedef struct { uint32_t Data1; uint16_t Data2; uint16_t Data3; uint8_t Data4[8]; } GUID;
 * The C++ side (objects.cpp, loops.cpp) includes <windows.h>/<objbase.h> and defines exactly these functions as
 * extern "C" __declspec(dllexport); keep both in step when changing either.
 *
 * IBenchTarget : IUnknown, IID {3D840911-8FC7-4C2A-9C7B-05A5F4A82DB5}; vtable after IUnknown's three slots:
 *     [3] HRESULT Nothing(void)                 -> S_OK
 *     [4] HRESULT Work(LONG n, LONG *sum)       -> writes LONG 0..n-1 to a CreateStreamOnHGlobal stream one Write
 *                                                  each, seeks to 0, reads them back one Read each; *sum = their
 *                                                  sum mod 2^31. E_POINTER if sum is NULL, E_INVALIDARG if n < 0.
 * CLSID_TL_BenchTarget {B7E0C2A1-4F3D-4E8B-9A61-2C5D7F8E9A01}  (IUnknown, IBenchTarget, IPersist; aggregatable)
 * CLSID_TL_Outer       {B7E0C2A1-4F3D-4E8B-9A61-2C5D7F8E9A02}  (IUnknown, IPersist; blindly aggregates an inner)
 * CLSID_TL_BenchDual   {7782D954-1218-4973-A2D7-3791F94773C4}  (IUnknown, IDispatch, IBenchDual; see below)
 * CLSID_NativeDual     {1349967C-8220-4CB7-9DF0-4F00B396FCDA}  (IUnknown, IDispatch, INativeDual, ISupportErrorInfo,
 *                                                               IProvideClassInfo; see below)
 * DllGetClassObject serves these three CLSIDs (TL_Outer is made by TL_CreateOuter only).
 */

/* Object creation. `outer` is a controlling IUnknown or NULL; with outer != NULL, riid must be IID_IUnknown
 * (else CLASS_E_NOAGGREGATION) and *ppv receives the inner's non-delegating IUnknown. */
HRESULT TL_CreateBenchTarget(void *outer, const GUID *riid, void **ppv);
/* Live C++ objects of this DLL (bench targets, class factories, outers). */
LONG TL_LiveObjects(void);
/* An IClassFactory creating bench targets (aggregation allowed; LockServer counts a DLL lock). */
HRESULT TL_CreateClassFactory(const GUID *riid, void **ppv);
/* Standard in-process server entry points (CLSID_TL_BenchTarget only). */
HRESULT DllGetClassObject(const GUID *rclsid, const GUID *riid, void **ppv);
HRESULT DllCanUnloadNow(void);
/* An aggregating outer: innerFactory is an IClassFactory*; it calls innerFactory->CreateInstance(self, IID_IUnknown)
 * and hands every IID other than IUnknown/IPersist to the inner's non-delegating QueryInterface. */
HRESULT TL_CreateOuter(void *innerFactory, const GUID *riid, void **ppv);

/* Loops in native code: S_OK, or the first failing HRESULT (the loop stops there). */
HRESULT TL_LoopNothing(void *benchTarget, LONG64 n);
HRESULT TL_LoopWork(void *benchTarget, LONG64 n, LONG w, LONG *lastSum);          /* lastSum may be NULL */
HRESULT TL_LoopAddRefRelease(void *unk, LONG64 n);
HRESULT TL_LoopQueryInterface(void *unk, const GUID *riid, LONG64 n);              /* QI + Release */
HRESULT TL_LoopCreateInstance(void *classFactory, const GUID *riid, LONG64 n);     /* CreateInstance + Release */
HRESULT TL_LoopCoGetCurrentProcess(LONG64 n, DWORD *last);                        /* last may be NULL */
HRESULT TL_LoopCoCreateInstance(const GUID *clsid, DWORD clsctx, const GUID *riid, LONG64 n); /* + Release */

/* Native calls on any pointer (raw vtable calls). AddRef/Release on NULL return 0. */
HRESULT TL_QueryInterface(void *unk, const GUID *riid, void **ppv);
ULONG TL_AddRef(void *unk);
ULONG TL_Release(void *unk);
HRESULT TL_CallNothing(void *benchTarget);
HRESULT TL_CallWork(void *benchTarget, LONG n, LONG *sum);

/* nthreads threads (no CoInitialize) AddRef unk perThread times each, all released at once by an event; join;
 * *countAfterAddRefs = (AddRef(), Release()'s return); then they Release perThread times each; join;
 * *countAfterReleases measured the same way. Either out pointer may be NULL. */
HRESULT TL_HammerAddRefRelease(void *unk, LONG nthreads, LONG64 perThread,
                               ULONG *countAfterAddRefs, ULONG *countAfterReleases);

/* Calls benchTarget->Work(workN, &sum); *callHr = its HRESULT (callHr may be NULL). If it failed and the object's
 * ISupportErrorInfo says S_OK for IID_IBenchTarget and GetErrorInfo gives an IErrorInfo: copies its description and
 * source (truncated, always NUL-terminated; a buffer may be NULL/0-long) and returns S_OK. Otherwise S_FALSE with
 * empty strings (also when the call succeeded). */
HRESULT TL_CallAndGetErrorInfo(void *benchTarget, LONG workN, HRESULT *callHr,
                               wchar_t *desc, ULONG descLen, wchar_t *source, ULONG sourceLen);

/* Issue 7's marshalling counterparts (marshalling.cpp).
 * CLSID_TL_AgileTarget          {B7E0C2A1-4F3D-4E8B-9A61-2C5D7F8E9A03}  IPersist; aggregates the free-threaded marshaler
 * CLSID_TL_ByValueUnmarshaler   {B7E0C2A1-4F3D-4E8B-9A61-2C5D7F8E9A04}  IPersist + IMarshal by value (the PYMV payload
 *                                                                       of ole32_bindings.objref.byvalue, name
 *                                                                       "ole32_bindings.tests.CppPoint", state x,y,pid) */
HRESULT TL_CreateAgileTarget(const GUID *riid, void **ppv);
HRESULT TL_CreateByValuePoint(LONG x, LONG y, const GUID *riid, void **ppv);
HRESULT TL_RegisterByValueUnmarshaler(DWORD *cookie);   /* CoRegisterClassObject from the calling apartment */
HRESULT TL_RevokeByValueUnmarshaler(DWORD cookie);
HRESULT TL_LoopGetClassID(void *unk, LONG64 n);                             /* IPersist::GetClassID n times */
HRESULT TL_LoopGitFetchCall(DWORD cookie, LONG64 n);        /* GetInterfaceFromGlobal(IPersist) + GetClassID + Release */
HRESULT TL_LoopMarshalRoundTrip(void *unk, const GUID *riid, DWORD dest, LONG64 n);
                          /* Seek 0, CoMarshalInterface(NORMAL), Seek 0, CoUnmarshalInterface, Release: n times */

/* Issue 12's IDispatch objects (dispatch.cpp). Both answer IDispatch from a type library linked into this DLL as a
 * TYPELIB resource, through ITypeInfo::Invoke (as ATL's IDispatchImpl). No aggregation (CLASS_E_NOAGGREGATION).
 *
 * IBenchDual : IDispatch, [dual], IID {7782D954-1218-4973-A2D7-3791F94773C1}, BenchDualLib
 * {7782D954-1218-4973-A2D7-3791F94773C2} 1.0 = TYPELIB resource 2 (LoadTypeLib("<dll>\\2")); native/bench/benchdual.idl:
 *     [7] [id(1)] Nothing()  [8] [id(2)] Work(LONG n, LONG *sum)  [9] [id(3)] Mix(BSTR s, LONG n, double d, VARIANT *r)
 *     Mix: r = VT_BSTR s + ":" + n + ":" + d as printf "%.17g"; Mix("abc", 7, 2.5) = "abc:7:2.5".
 *
 * INativeDual : IDispatch, [dual], IID {1349967C-8220-4CB7-9DF0-4F00B396FCD8}, NativeDualLib
 * {1349967C-8220-4CB7-9DF0-4F00B396FCD9} 1.0 = TYPELIB resource 1 (LoadTypeLib("<dll path>") loads it), coclass
 * NativeDual; native/testlib/nativedual.idl:
 *     Name (id 1, get/put BSTR, starts as "native"); Greet(who, [defaultvalue("Hello")] greeting) (id 2) =
 *     greeting + ", " + who; Swap([in,out] VARIANT *a, [in,out] VARIANT *b) (id 3); Bump([in,out] LONG *v) (id 4):
 *     *v + 1; Fail() (id 5): IErrorInfo {source "NativeDual", description "NativeDual.Fail failed as asked"} and
 *     HRESULT 0x80040200, i.e. through Invoke DISP_E_EXCEPTION with EXCEPINFO.scode 0x80040200; HasArg([optional]
 *     VARIANT v) (id 6): VARIANT_FALSE when v was omitted; Count (id 7, propget) = 3; Item(LONG i) (DISPID_VALUE,
 *     propget) = "item0".."item2", else DISP_E_BADINDEX with error info (source "NativeDual"); _NewEnum
 *     (DISPID_NEWENUM, propget) = an IEnumVARIANT over the three items as VT_BSTR.
 */
HRESULT TL_CreateNativeDual(const GUID *riid, void **ppv);
HRESULT TL_CreateBenchDual(const GUID *riid, void **ppv);
HRESULT TL_CreateBenchDualFactory(const GUID *riid, void **ppv);  /* an IClassFactory of BenchDual objects */
/* Live objects of dispatch.cpp: NativeDual objects, their enumerators, BenchDual objects and these factories
 * (all also counted in TL_LiveObjects). */
LONG TL_DualLiveObjects(void);
/* The C++ client's late-bound loops on any IDispatch with Nothing / Work / Mix (IBenchDual's): GetIDsOfNames once,
 * then n IDispatch::Invoke(DISPATCH_METHOD) calls, DISPPARAMS built per call, every result checked (Work: the
 * expected sum of w; Mix: Mix("abc", 7, 2.5) == "abc:7:2.5", the BSTR argument allocated per call, the result
 * VARIANT cleared per call). S_OK, or the first failure (E_UNEXPECTED for a wrong result; for DISP_E_EXCEPTION,
 * EXCEPINFO's scode when it is a failure). */
HRESULT TL_LoopInvokeNothing(void *dispatch, LONG64 n);
HRESULT TL_LoopInvokeWork(void *dispatch, LONG64 n, LONG w, LONG *lastSum);   /* lastSum may be NULL */
HRESULT TL_LoopInvokeMix(void *dispatch, LONG64 n);

/* The test harness's crash report (crash.cpp; tests/conftest.py installs it in place of faulthandler's fatal-error
 * handler): an unhandled SEH exception (a real crash: access violation, stack overflow...) writes one line
 * "Fatal exception (unhandled): code 0x...", then every Python thread's stack through `python`'s (the HMODULE of
 * python3XX.dll) _Py_DumpTracebackThreads on the CRT descriptor `fd`; the line goes to `handle`, the Win32 HANDLE
 * of the same file. Exceptions a handler catches (rpcrt4's RPC exceptions) are not reported. E_INVALIDARG for a
 * bad argument; HRESULT_FROM_WIN32(ERROR_PROC_NOT_FOUND) when that Python does not export the function. */
HRESULT TL_InstallCrashReporter(int fd, void *handle, void *python);
/* For a child process that is expected to crash (the fuzz batches, stress/hostile_input.py): an unhandled exception
 * writes one line to the process's stderr ("Fatal exception (unhandled): page fault on read access to X at address
 * Y", Wine's own wording for access violations, else the code) and ends the process with the exception's code,
 * without Wine's debugger (which would print to the terminal instead). S_OK. */
HRESULT TL_ExitOnUnhandled(void);
/* Issue 13's events (events.cpp): a native event source written the standard way (IConnectionPointContainer + one
 * IConnectionPoint per source interface over a small array of sinks, as ATL's IConnectionPointImpl), its C++ sink,
 * and a C++ client that connects any sink to any object's source interface. No aggregation.
 *
 * NativeEventsLib {FA5B32B1-5E38-4AE8-A8AD-DE57D9EA64BA} 1.0 = TYPELIB resource 3 (LoadTypeLib("<dll>\\3"));
 * native/testlib/nativeevents.idl:
 *   INativeEvents : IUnknown (custom source), IID {045FC7FC-A457-462A-814E-7D40EC8BF129}, [oleautomation]:
 *       [3] HRESULT Tick([in] LONG n)   [4] HRESULT Message([in] BSTR text)
 *   DNativeEvents (dispinterface source), DIID {9BE31FC7-AA3E-48FB-921D-F23A4376F7B6}:
 *       [id(1)] void Tick([in] LONG n)   [id(2)] void Message([in] BSTR text)
 *   INativeEventSource : IUnknown, [oleautomation], IID {4784B908-252C-4D55-A1D2-0ED91AB44DDA}:
 *       [3] Fire(LONG count): Tick(0..count-1), each to every sink of both points in Advise order;
 *       [4] FireMessage(BSTR text); [5] get_Failures (LONG: failed sink calls so far);
 *       [6] get_LastFailure (LONG: the last failed call's HRESULT, EXCEPINFO.scode for DISP_E_EXCEPTION);
 *       [7] get_Connections (LONG: advised sinks, both points). (Not dual: see nativeevents.idl.)
 *   coclass NativeEventSource {FC5A0B6F-84B0-4F9F-A50D-45CF4D8193B1}: [default] INativeEventSource,
 *       [default, source] DNativeEvents, [source] INativeEvents. DllGetClassObject serves it.
 * The source answers IUnknown, INativeEventSource, IConnectionPointContainer, IProvideClassInfo(2)
 * (GetGUID(GUIDKIND_DEFAULT_SOURCE_DISP_IID) = DIID_DNativeEvents). Advise: CONNECT_E_CANNOTCONNECT when the
 * sink lacks the point's interface; cookies are slot + 1; Unadvise of an unknown cookie: CONNECT_E_NOCONNECTION;
 * FindConnectionPoint of another IID: CONNECT_E_NOCONNECTION. A sink left advised is released with the source. */
HRESULT TL_CreateEventSource(const GUID *riid, void **ppv);
/* A C++ sink answering IUnknown, INativeEvents, IDispatch and the dispinterface dispIid (NULL: DNativeEvents), as
 * its IDispatch; Invoke reads DISPID 1 as Tick(LONG) and 2 as Message(BSTR) itself, ignores others with S_OK; no
 * type information. failWith != 0: every event is counted, then fails with it (through Invoke: DISP_E_EXCEPTION,
 * EXCEPINFO.scode = failWith). */
HRESULT TL_CreateEventSink(const GUID *dispIid, HRESULT failWith, const GUID *riid, void **ppv);
/* What a C++ sink received: Tick calls and the sum of their n, Message calls and the last text (truncated,
 * NUL-terminated; lastMessage may be NULL). E_INVALIDARG if `sink` is not a TL_CreateEventSink object. */
HRESULT TL_EventSinkStats(void *sink, LONG *ticks, LONG64 *tickSum, LONG *messages, wchar_t *lastMessage,
                          ULONG lastLen);
/* Live objects of events.cpp: sources, sinks, enumerators, the source's factories (also in TL_LiveObjects). */
LONG TL_EventsLiveObjects(void);
/* The C++ client: QueryInterface(IConnectionPointContainer) (its failure returned as is), FindConnectionPoint(iid),
 * then Advise(sink) / Unadvise(cookie); every intermediate pointer released. */
HRESULT TL_Advise(void *source, const GUID *iid, void *sink, DWORD *cookie);
HRESULT TL_Unadvise(void *source, const GUID *iid, DWORD cookie);
/* INativeEventSource::Fire(count) on `source` (QueryInterface'd once per call). */
HRESULT TL_Fire(void *source, LONG count);
