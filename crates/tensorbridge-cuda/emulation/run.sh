#!/usr/bin/env bash
# Compiles the CUDA kernels as host C++ (shim.h), runs them on the CPU
# (reductions with 8 threads per block and several blocks), and compares
# every output with core's CPU ops (refgen). Needs g++ >= 12, python3 and
# cargo; no GPU, no CUDA. Exits non-zero on any difference.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 "$here/make_host_sources.py" "$here/../kernels" "$work"
cp "$here/shim.h" "$here"/*.cpp "$work/"
cd "$work"
flags=(-std=c++20 -O1 -ffp-contract=off -w -pthread)
g++ "${flags[@]}" -o random_cast random_cast_main.cpp
g++ "${flags[@]}" -o ops_emu ops_main.cpp
g++ "${flags[@]}" -o red_emu red_main.cpp
g++ "${flags[@]}" -o index_emu index_main.cpp
target="$here/../../../target/emulation"
# The workspace's lock file pins refgen's dependencies to the same versions.
cp "$here/../../../Cargo.lock" "$here/refgen/Cargo.lock"
(cd "$here/refgen" && CARGO_TARGET_DIR="$target" "${CARGO:-cargo}" build -q)
refgen="$target/debug/refgen"
mkdir -p ops red idx fused
./random_cast && "$refgen" random
"$refgen" gen && ./ops_emu && "$refgen" cmp
"$refgen" rgen && ./red_emu && "$refgen" rcmp
"$refgen" igen && ./index_emu && "$refgen" icmp
# Fused kernels: refgen generates them (tensorbridge-cuda's FusedKernel)
# with core's eager results; they are compiled here with the kernels.
"$refgen" fgen
g++ "${flags[@]}" -o fused_emu fused_main.cpp
./fused_emu && "$refgen" fcmp
echo "emulation: every kernel output compared equals core's"
