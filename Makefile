# The two commands: `make bench` (the main job) and `make test` (the tests). Both provision first.
SHELL := /bin/bash
ROOT := $(abspath .)
VENV_PY := $(ROOT)/.winenv/venv/bin/python
WINPY := $(ROOT)/tools/winpy
CXX_WIN := x86_64-w64-mingw32-g++
CXXFLAGS_WIN := -O2 -std=c++17 -Wall -static -static-libgcc -static-libstdc++
NATIVE := build/native
FFI_OUT := src/ole32_bindings/_ffi.py
METADATA := src/ole32_bindings.egg-info/entry_points.txt
FFI_SRC := build_ffi.py $(wildcard ffi_src/*.py) $(wildcard src/ole32_bindings/_declarations/*.py)

.PHONY: all provision generated native wheel installed test test-linux lint test-wine bench bench-micro bench-marshalling stress docs clean

all: test

provision:
	@tools/provision

generated: $(FFI_OUT) $(METADATA)

# The distribution's metadata in src/ (as an install would write it): its entry points are how the higher layers'
# commands join the bindings' CLI (`python -m ole32_bindings trace`) without the bindings importing them.
$(METADATA): pyproject.toml
	cd $(ROOT) && $(VENV_PY) -W ignore -c "import setuptools; setuptools.setup()" -q egg_info
	@test -f $@

$(FFI_OUT): $(FFI_SRC)
	$(VENV_PY) build_ffi.py

native: src/vtables/vtables_core.dll src/ole32_servers/python_inproc.dll $(NATIVE)/vtables_testlib.dll $(NATIVE)/benchtarget.tlb $(NATIVE)/bench_cpp_server.exe \
	$(NATIVE)/bench_cpp_client.exe $(NATIVE)/benchdual.tlb $(NATIVE)/xapt.exe

# The test DLL links its IDispatch objects' type libraries as TYPELIB resources (native/testlib/testlib.rc).
$(NATIVE)/vtables_testlib.dll: $(wildcard native/testlib/*.cpp native/testlib/*.h native/testlib/*.def) \
		native/common/bench_work.h native/common/bench_dual.h native/common/typeinfo_dispatch.h \
		$(NATIVE)/nativedual.h $(NATIVE)/benchdual.h $(NATIVE)/nativeevents.h $(NATIVE)/testlib_res.o
	@mkdir -p $(NATIVE)
	$(CXX_WIN) $(CXXFLAGS_WIN) -I$(NATIVE) -shared -o $@ $(filter %.cpp,$^) $(filter %.def,$^) $(filter %.o,$^) \
		-lole32 -loleaut32 -luuid

$(NATIVE)/nativedual.tlb: native/testlib/nativedual.idl
	@mkdir -p $(NATIVE)
	$(WIDL) --win64 -t -o $@ $<

$(NATIVE)/nativedual.h: native/testlib/nativedual.idl
	@mkdir -p $(NATIVE)
	$(WIDL) --win64 -h -o $@ $<

# The native event source's type library (native/testlib/events.cpp, TYPELIB resource 3) and header.
$(NATIVE)/nativeevents.tlb: native/testlib/nativeevents.idl
	@mkdir -p $(NATIVE)
	$(WIDL) --win64 -t -o $@ $<

$(NATIVE)/nativeevents.h: native/testlib/nativeevents.idl
	@mkdir -p $(NATIVE)
	$(WIDL) --win64 -h -o $@ $<

$(NATIVE)/testlib_res.o: native/testlib/testlib.rc $(NATIVE)/nativedual.tlb $(NATIVE)/benchdual.tlb $(NATIVE)/nativeevents.tlb
	$(WINDRES) -I$(NATIVE) -i $< -o $@

# The test DLL's native event source as a LocalServer32, for the out-of-process event rows (bench/README.md): the
# DLL's sources and resources linked into an exe with native/testlib/events_host/main.cpp.
native: $(NATIVE)/events_host.exe
$(NATIVE)/events_host.exe: native/testlib/events_host/main.cpp $(wildcard native/testlib/*.cpp native/testlib/*.h) \
		native/common/bench_work.h native/common/bench_dual.h native/common/typeinfo_dispatch.h \
		$(NATIVE)/nativedual.h $(NATIVE)/benchdual.h $(NATIVE)/nativeevents.h $(NATIVE)/testlib_res.o
	$(CXX_WIN) $(CXXFLAGS_WIN) -municode -mwindows -I$(NATIVE) -o $@ $(filter %.cpp,$^) $(filter %.o,$^) \
		-lole32 -loleaut32 -luuid

# The test DLL's self-check (native/testlib/selftest): wine build/native/testlib_selftest.exe
$(NATIVE)/testlib_selftest.exe: native/testlib/selftest/selftest.cpp native/testlib/guids.cpp \
		native/testlib/testlib_internal.h $(NATIVE)/nativedual.h $(NATIVE)/benchdual.h $(NATIVE)/nativeevents.h
	$(CXX_WIN) $(CXXFLAGS_WIN) -municode -I$(NATIVE) -o $@ $(filter %.cpp,$^) -lole32 -loleaut32 -luuid

# The object model's native IUnknown (native/core/README.md), next to the module that loads it.
src/vtables/vtables_core.dll: native/core/vtables_core.c
	x86_64-w64-mingw32-gcc -O2 -Wall -shared -static-libgcc -o $@ $< -lole32 -loleaut32 -luuid

# The InprocServer32 host of Python classes (src/ole32_servers/inproc.py), next to the module that registers it.
src/ole32_servers/python_inproc.dll: native/inproc/python_inproc.c
	x86_64-w64-mingw32-gcc -O2 -Wall -shared -static-libgcc -o $@ $< -lole32 -ladvapi32

# The benchmark's native counterparts (native/bench/README.md). widl makes IBenchTarget's type library (registered
# at run time by `bench_cpp_server.exe -RegServer`) and the C++ header the two exes include.
WIDL := widl
WINDRES := x86_64-w64-mingw32-windres
BENCH_IDL := native/bench/benchtarget.idl
BENCH_DEPS := $(NATIVE)/benchtarget.h native/bench/bench_object.h native/bench/services.h native/common/bench_work.h \
	$(NATIVE)/benchdual.h native/common/bench_dual.h native/common/typeinfo_dispatch.h $(NATIVE)/benchdual_res.o

$(NATIVE)/benchtarget.tlb: $(BENCH_IDL)
	@mkdir -p $(NATIVE)
	$(WIDL) --win64 -t -o $@ $<

$(NATIVE)/benchtarget.h: $(BENCH_IDL)
	@mkdir -p $(NATIVE)
	$(WIDL) --win64 -h -o $@ $<

# IBenchDual (the late-bound contract): its own type library, registered by -RegServer next to IBenchTarget's and
# linked into both exes as TYPELIB resource 1 (their IBenchDual objects load their ITypeInfo from it).
$(NATIVE)/benchdual.tlb: native/bench/benchdual.idl
	@mkdir -p $(NATIVE)
	$(WIDL) --win64 -t -o $@ $<

$(NATIVE)/benchdual.h: native/bench/benchdual.idl
	@mkdir -p $(NATIVE)
	$(WIDL) --win64 -h -o $@ $<

$(NATIVE)/benchdual_res.o: native/bench/benchdual.rc $(NATIVE)/benchdual.tlb
	$(WINDRES) -I$(NATIVE) -i $< -o $@

$(NATIVE)/bench_cpp_server.exe: native/bench/server.cpp $(BENCH_DEPS) | $(NATIVE)/benchtarget.tlb
	$(CXX_WIN) $(CXXFLAGS_WIN) -mwindows -I$(NATIVE) -o $@ $< $(NATIVE)/benchdual_res.o \
		-lole32 -loleaut32 -luuid -lshell32 -ladvapi32

$(NATIVE)/bench_cpp_client.exe: native/bench/client.cpp $(BENCH_DEPS)
	$(CXX_WIN) $(CXXFLAGS_WIN) -I$(NATIVE) -o $@ $< $(NATIVE)/benchdual_res.o -lole32 -loleaut32 -luuid -ladvapi32

# Rows 3 and 3s written a second time, in C from the contract alone, to check the C++ column (bench/compare_3.py).
$(NATIVE)/xapt.exe: native/bench/xapt.c
	@mkdir -p $(NATIVE)
	x86_64-w64-mingw32-gcc -O2 -Wall -o $@ $< -lole32 -luuid

# The reference type library of tests/ole32_servers/test_typelib.py: widl's compilation of the same interfaces that the
# test declares in Python (compiled here, on the Linux side: the tests run under Wine, where widl is not at hand).
TYPELIB_OUT := build/typelib
native: $(TYPELIB_OUT)/benchtarget_widl.tlb

$(TYPELIB_OUT)/benchtarget_widl.tlb: tests/ole32_servers/benchtarget_widl.idl
	@mkdir -p $(TYPELIB_OUT)
	widl --win64 -t -o $@ $<

# The same for the Automation half of that test (dual interfaces, a dispinterface, a coclass): contract_widl.idl.
native: $(TYPELIB_OUT)/contract_widl.tlb

$(TYPELIB_OUT)/contract_widl.tlb: tests/ole32_servers/contract_widl.idl
	@mkdir -p $(TYPELIB_OUT)
	widl --win64 -t -o $@ $<

# The type libraries of tests/ole32_servers/test_tlbimport.py: TlbImportA refers to TlbImportB's types (widl finds
# tlbimport_b.tlb on its library path) and to stdole2's.
native: $(TYPELIB_OUT)/tlbimport_a.tlb

$(TYPELIB_OUT)/tlbimport_b.tlb: tests/ole32_servers/tlbimport_b.idl
	@mkdir -p $(TYPELIB_OUT)
	widl --win64 -t -o $@ $<

$(TYPELIB_OUT)/tlbimport_a.tlb: tests/ole32_servers/tlbimport_a.idl tests/ole32_servers/tlbimport_b.idl $(TYPELIB_OUT)/tlbimport_b.tlb
	widl --win64 -t -L $(TYPELIB_OUT) -I tests/ole32_servers -o $@ $<

# The package (issue 16): an sdist, then the wheel built from that sdist (so the sdist is proven complete: setup.py
# compiles the two DLLs with mingw when it has none). dist/ole32_bindings-<version>-py3-none-win_amd64.whl.
DIST := dist
wheel: provision
	@rm -rf $(DIST) && mkdir -p build
	@cd $(ROOT) && $(VENV_PY) -m build --no-isolation --outdir $(DIST) . >build/wheel.log 2>&1 \
	  || { cat build/wheel.log; echo "make wheel failed (log: build/wheel.log)"; exit 1; }
	@ls -l $(DIST)

# The wheel installed by pip into a fresh copy of the Windows Python, with no checkout on its path.
INSTALLED := $(ROOT)/build/installed-python
installed: wheel
	@tools/install-wheel $(INSTALLED) $(wildcard $(DIST)/*.whl)

# Tests: lint, the COM-free tests on Linux CPython (fast inner loop) and the docs build first, then the runtime
# suite under Wine against the installed wheel (tests/test_installed.py checks that nothing is imported from the checkout).
test: provision
	@$(MAKE) -s lint
	@$(MAKE) -s test-linux
	@$(MAKE) -s docs
	@$(MAKE) -s installed
	@$(MAKE) -s test-wine

test-linux:
	cd $(ROOT) && PYTHONPATH=src $(VENV_PY) -m pytest -q -m "not runtime" -p no:cacheprovider tests bench stress

# Static checks: ruff (lint, format) on the whole tree, mypy on the COM-free code ([tool.mypy] in pyproject.toml).
lint:
	cd $(ROOT) && $(VENV_PY) -m ruff check . && $(VENV_PY) -m ruff format --check . && $(VENV_PY) -m mypy

# RPC failures travel as first-chance SEH exceptions that rpcrt4 handles, which faulthandler printed as "Windows fatal
# exception" (noise): tests/conftest.py replaces its fatal-error handler by a report of unhandled exceptions only
# (tests/crashreport.py); its timeout stays: a test stuck for 5 minutes dumps every thread's stack.
# Afterwards wineserver restarts: fault tests kill servers (docs/wine.md).
# A crashed Python can still exit 0 under Wine: the JUnit report must exist and be clean (tools/check_junit.py).
WINE_REPORT := build/test-results/wine.xml
test-wine:
	@test -f $(INSTALLED)/python.exe || { echo "no installed wheel at $(INSTALLED): make installed"; exit 1; }
	@mkdir -p $(dir $(WINE_REPORT)); rm -f $(WINE_REPORT)
	OLE32B_WINPY_HOME=$(INSTALLED) OLE32B_EXPECT_INSTALLED=1 \
	  $(WINPY) -m pytest -q -p no:cacheprovider -o faulthandler_timeout=300 --benchmark-disable \
	  --junitxml=$(WINE_REPORT) tests bench stress; \
	  rc=$$?; tools/wineserver-restart; $(VENV_PY) tools/check_junit.py $(WINE_REPORT) || rc=1; exit $$rc

# The main job: the Enterprise Services comparison (bench/README.md). `make bench QUICK=1` is the quick mode.
# bench-micro: the pytest-benchmark micro-benchmarks of the bindings and the object model.
BENCH_ARGS := $(if $(QUICK),--quick,)
MICRO_FILES := tests/ole32_bindings/test_bench_call_floor.py tests/vtables/test_bench_calls.py tests/vtables/test_bench_variant.py \
  tests/vtables/test_bench_call_path.py \
  tests/vtables/test_bench_dispatch.py

bench: provision
	$(WINPY) bench/run.py $(BENCH_ARGS)
	$(VENV_PY) bench/chart.py

bench-micro: provision
	$(WINPY) -m pytest -q -p no:cacheprovider $(MICRO_FILES) --benchmark-only \
	  --benchmark-columns=min,median,max,rounds --benchmark-sort=name

# Issue 15's reliability figures (docs/reliability.md): load, soak, faults, hostile input; quick by default (a few
# minutes), `make stress SOAK=1` the long mode (100,000 activations and 1,000,000 calls per server, 100,000 fuzz
# cases). Writes bench/results/reliability.{json,md} and refreshes README.md's Reliability block.
stress: provision
	$(WINPY) stress/run.py $(if $(SOAK),--soak,)

# Issue 7's marshalling benchmarks: Python and C++ in one run, then the ratios to C++ (tools/bench_ratios.py).
MARSHAL_JSON := build/bench-marshalling.json
bench-marshalling: provision
	@mkdir -p build
	$(WINPY) -m pytest -q -p no:cacheprovider tests/ole32_marshalling/test_bench_marshalling.py --benchmark-only \
	  --benchmark-columns=min,median,max,rounds --benchmark-sort=name --benchmark-json=$(MARSHAL_JSON)
	$(VENV_PY) tools/bench_ratios.py $(MARSHAL_JSON)

# The API reference: docs/ and the docstrings, read statically (mkdocs.yml). No -q: it hides warnings from --strict.
docs: provision
	@cd $(ROOT) && set -o pipefail && $(VENV_PY) -m mkdocs build --strict -d build/docs/site 2>&1 \
	  | { grep -v '^INFO ' || true; }
	@echo "docs: build/docs/site/index.html"

clean:
	rm -rf build dist src/ole32_bindings/_ffi.py src/vtables/vtables_core.dll src/ole32_servers/python_inproc.dll src/ole32_bindings.egg-info
