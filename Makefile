# The two commands: `make bench` (the main job) and `make test` (the tests). Both provision first.
SHELL := /bin/bash
ROOT := $(abspath .)
VENV_PY := $(ROOT)/.winenv/venv/bin/python
WINPY := $(ROOT)/tools/winpy
CXX_WIN := x86_64-w64-mingw32-g++
CXXFLAGS_WIN := -O2 -std=c++17 -Wall -static -static-libgcc -static-libstdc++
NATIVE := build/native
FFI_OUT := src/ole32_bindings/_ffi.py
FFI_SRC := build_ffi.py $(wildcard ffi_src/*.py)

.PHONY: all provision generated native test test-linux test-wine bench bench-quick clean

all: test

provision:
	@tools/provision

generated: $(FFI_OUT)

$(FFI_OUT): $(FFI_SRC)
	$(VENV_PY) build_ffi.py

native: $(NATIVE)/vtables_testlib.dll

$(NATIVE)/vtables_testlib.dll: $(wildcard native/testlib/*.cpp native/testlib/*.h native/testlib/*.def)
	@mkdir -p $(NATIVE)
	$(CXX_WIN) $(CXXFLAGS_WIN) -shared -o $@ $(filter %.cpp,$^) $(filter %.def,$^) -lole32 -loleaut32 -luuid

# Tests: first the COM-free tests on Linux CPython (fast inner loop), then everything under Wine.
test: provision
	@$(MAKE) -s test-linux
	@$(MAKE) -s test-wine

test-linux:
	cd $(ROOT) && PYTHONPATH=src $(VENV_PY) -m pytest -q -m "not runtime" -p no:cacheprovider tests

test-wine:
	$(WINPY) -m pytest -q -p no:cacheprovider --benchmark-disable tests

# Until the full Enterprise Services comparison lands (bench/), `make bench` runs the pytest-benchmark benchmarks:
# the call floor (CoGetCurrentProcess, Python vs C++) and the per-call paths of the object model.
BENCH_FILES := tests/ole32_bindings/test_bench_call_floor.py tests/vtables/test_bench_calls.py

bench: provision
	$(WINPY) -m pytest -q -p no:cacheprovider $(BENCH_FILES) --benchmark-only \
	  --benchmark-columns=min,median,max,rounds --benchmark-sort=name

clean:
	rm -rf build src/ole32_bindings/_ffi.py
