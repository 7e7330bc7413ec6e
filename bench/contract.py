"""The benchmark's identifiers as plain strings (bench/README.md lists them).

Nothing here imports anything: the comtypes and pywin32 LocalServer32s (bench/ctserver.py, bench/pwserver.py) read
their CLSIDs from this module and start without loading this project's library, so their cold start is theirs
alone. ``bench.benchtarget`` wraps these strings as ``Guid`` for everything else.
"""

IID_IBenchTarget = "{3D840911-8FC7-4C2A-9C7B-05A5F4A82DB5}"
#: IBenchTarget's type library (the same LIBID for widl's and ours: both describe the same interface).
LIBID_BenchTarget = "{3D840911-8FC7-4C2A-9C7B-05A5F4A82DB6}"

CLSID_PyTarget = "{6A1F7C52-0E1B-4C8D-9E3F-2B4A5C6D7E80}"  # ours, in-process (registered in-process)
CLSID_PyBenchServer = "{7C1E5A40-2B3D-4F5E-8A6B-1C2D3E4F5A02}"  # ours, LocalServer32 (bench/pyserver.py)
CLSID_CppBenchServer = "{7C1E5A40-2B3D-4F5E-8A6B-1C2D3E4F5A01}"  # C++, LocalServer32 (native/bench/server.cpp)
CLSID_CppBenchTarget = "{B7E0C2A1-4F3D-4E8B-9A61-2C5D7F8E9A01}"  # C++, in-process (native/testlib DLL)
CLSID_PyInprocTarget = "{6A1F7C52-0E1B-4C8D-9E3F-2B4A5C6D7E83}"  # ours, InprocServer32 (ole32_servers.inproc host DLL)
CLSID_CtTarget = "{6A1F7C52-0E1B-4C8D-9E3F-2B4A5C6D7E81}"  # comtypes, in-process (bench/pairs.py)
CLSID_CtBenchServer = "{7C1E5A40-2B3D-4F5E-8A6B-1C2D3E4F5A03}"  # comtypes, LocalServer32 (bench/ctserver.py)
CLSID_PwTarget = "{6A1F7C52-0E1B-4C8D-9E3F-2B4A5C6D7E82}"  # pywin32, in-process (pywin32's factory)
CLSID_PwBenchServer = "{7C1E5A40-2B3D-4F5E-8A6B-1C2D3E4F5A04}"  # pywin32, LocalServer32 (bench/pwserver.py)

#: IBenchDual, the late-bound contract (bench/README.md): a dual interface in its own type library BenchDualLib.
IID_IBenchDual = "{7782D954-1218-4973-A2D7-3791F94773C1}"
LIBID_BenchDual = "{7782D954-1218-4973-A2D7-3791F94773C2}"
CLSID_CppBenchDualServer = "{7782D954-1218-4973-A2D7-3791F94773C3}"  # C++, LocalServer32 (bench_cpp_server.exe)
CLSID_CppBenchDualTarget = "{7782D954-1218-4973-A2D7-3791F94773C4}"  # C++, in-process (native/testlib DLL)
CLSID_PyBenchDualServer = "{E9198F84-39AE-4C67-AD85-D71955BEB301}"  # ours, LocalServer32 (bench/pyserver.py)
CLSID_CtBenchDualServer = "{E9198F84-39AE-4C67-AD85-D71955BEB302}"  # comtypes, LocalServer32 (bench/ctserver.py)
CLSID_PwBenchDualServer = "{E9198F84-39AE-4C67-AD85-D71955BEB303}"  # pywin32, LocalServer32 (bench/pwserver.py)

#: Issue 17's services rows (11a pooled activation, 11b JIT call): IBenchTarget classes with ObjectPooling (and
#: JustInTimeActivation), registered in the client's process (bench/pooled.py; native/bench/services.h for C++).
CLSID_PyPooledTarget = "{2F3C8E51-6B7A-4D2E-9C1F-0A5B4E3D2C11}"  # ours, pooled (ObjectPooling)
CLSID_PyJitTarget = "{2F3C8E51-6B7A-4D2E-9C1F-0A5B4E3D2C12}"  # ours, pooled + JustInTimeActivation, AutoComplete
CLSID_CppPooledTarget = "{2F3C8E51-6B7A-4D2E-9C1F-0A5B4E3D2C13}"  # C++, pooled (bench_cpp_client.exe's own)
