#!/usr/bin/env bash
# Runs every row of bench_cpp_client.exe once against bench_cpp_server.exe and prints one JSON line per row.
# By hand, from the repository root, after `make native`:
#     native/bench/run-rows.sh            # registers, runs the rows, unregisters
#     KEEP_REGISTERED=1 native/bench/run-rows.sh
# Each client's stdout/stderr go to a temporary file, never to a pipe: a LocalServer32 that COM launches inherits
# the client's std handles and would hold a pipe open until it exits.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export WINEPREFIX="${WINEPREFIX:-$root/.winenv/prefix}" WINEDEBUG=-all
tools/wineserver-up
clsid='{7C1E5A40-2B3D-4F5E-8A6B-1C2D3E4F5A01}'       # IBenchTarget
dual_clsid='{7782D954-1218-4973-A2D7-3791F94773C3}'  # IBenchDual (the dispatch_* rows)
server=build/native/bench_cpp_server.exe
client=build/native/bench_cpp_client.exe
out=$(mktemp)
trap 'rm -f "$out"' EXIT

wine "$server" -RegServer </dev/null >"$out" 2>&1 || { cat "$out" >&2; exit 1; }

rows=(
  "activate_cold 1"
  "activate_local 100"
  "call_nothing_local 1000"
  "call_work_local 1000"
  "activate_inproc_registered 5000"
  "createinstance_factory 1000000"
  "call_nothing_inproc 10000000"
  "call_work_inproc 10000"
  "cross_apartment_nothing 5000"
  "cross_apartment_work 5000"
  "cross_apartment_nothing_sta_to_mta 2000"
  "cross_apartment_work_sta_to_mta 2000"
  "dispatch_nothing_inproc 1000000"
  "dispatch_work_inproc 10000"
  "dispatch_mix_inproc 200000"
  "dispatch_nothing_local 1000"
  "dispatch_work_local 1000"
  "dispatch_mix_local 1000"
)
status=0
for r in "${rows[@]}"; do
  set -- $r
  c=$clsid
  case $1 in dispatch_*) c=$dual_clsid ;; esac
  wine "$client" "$1" "$c" "$2" </dev/null >"$out" 2>&1 || status=1
  cat "$out"
done

# Let the last launched server linger out, then unregister.
for _ in $(seq 1 50); do
  pgrep -f 'bench_cpp_server\.exe' >/dev/null || break
  sleep 0.1
done
[ -n "${KEEP_REGISTERED:-}" ] || wine "$server" -UnregServer </dev/null >"$out" 2>&1 || { cat "$out" >&2; status=1; }
exit $status
