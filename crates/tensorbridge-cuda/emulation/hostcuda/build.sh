#!/usr/bin/env bash
# Builds the host CUDA libraries (libcuda.so.1, libnvrtc.so.13,
# libcublas.so.13) into OUT_DIR with the module compiler next to them. Put
# OUT_DIR first on LD_LIBRARY_PATH and tensorbridge-cuda finds a "GPU".
# Needs g++ >= 12 and python3 at run time too (modules compile on first use).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: build.sh OUT_DIR}"
mkdir -p "$out"
flags=(-std=c++20 -O2 -g0 -w -fPIC -shared -pthread)
g++ "${flags[@]}" -Wl,-soname,libcuda.so.1 -o "$out/libcuda.so.1" "$here/driver.cpp" -ldl
g++ "${flags[@]}" -Wl,-soname,libnvrtc.so.13 -o "$out/libnvrtc.so.13" "$here/nvrtc.cpp" -ldl
g++ "${flags[@]}" -Wl,-soname,libcublas.so.13 -o "$out/libcublas.so.13" "$here/cublas.cpp" -ldl
ln -sf libcuda.so.1 "$out/libcuda.so"
ln -sf libnvrtc.so.13 "$out/libnvrtc.so"
ln -sf libcublas.so.13 "$out/libcublas.so"
cp "$here/compile_module.py" "$here/../make_host_sources.py" "$here/../shim.h" "$out/"
# Objects are keyed by the kernel source only: a rebuild (new shim, new
# driver ABI) starts from empty caches, the objects' and the PTX cache that
# names them (xtask points XDG_CACHE_HOME at $out/cache).
rm -rf "$out/modules" "$out/cache"
echo "hostcuda: built in $out"
