"""The host NVRTC's compiler: a CUDA source as NVRTC gets it (prelude
included) becomes a shared object of host-compiled kernels for the host
driver. Usage: SOURCE OUT_SO. Writes OUT_SO and OUT_SO.entries (one kernel
name per line); compiler messages go to stderr (NVRTC's log)."""
import os
import re
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from make_host_sources import host_prelude  # noqa: E402  (copied next to this file)

source, out = sys.argv[1], sys.argv[2]
text = host_prelude(open(source).read())

# The kernel names, after the macros that stamp them out per dtype.
expanded = subprocess.run(["g++", "-std=c++20", "-E", "-P", "-w", "-x", "c++", "-"],
                          input=text, capture_output=True, text=True)
if expanded.returncode != 0:
    sys.stderr.write(expanded.stderr)
    sys.exit(1)
names = list(dict.fromkeys(re.findall(r'extern\s+"C"\s+__global__\s+void\s+(\w+)\s*\(', expanded.stdout)))

table = """
#include <cstddef>
#include <type_traits>
#include <utility>
HcState hc_state;
template <typename... A, std::size_t... I>
static void hc_call(void (*k)(A...), void** p, std::index_sequence<I...>) {
    k(*static_cast<std::remove_cv_t<A>*>(p[I])...);
}
template <typename... A>
static void hc_invoke(void (*k)(A...), void** p) { hc_call(k, p, std::index_sequence_for<A...>{}); }
template <typename... A>
static constexpr unsigned hc_arity(void (*)(A...)) { return sizeof...(A); }
template <typename... A>
static const unsigned* hc_sizes(void (*)(A...)) {
    static const unsigned sizes[] = {static_cast<unsigned>(sizeof(A))..., 0u};
    return sizes;
}
struct HcKernel { const char* name; void (*run)(void**); unsigned arity; const unsigned* sizes; };
#define HC_KERNEL(n) {#n, [](void** p) { hc_invoke(&n, p); }, hc_arity(&n), hc_sizes(&n)}
extern "C" const HcKernel hc_kernels[] = {
""" + "".join(f"    HC_KERNEL({n}),\n" for n in names) + """    {nullptr, nullptr, 0, nullptr},
};
extern "C" HcState* hc_state_ptr() { return &hc_state; }
"""
# Private names (two threads may compile the same source at once); the
# entries, then the object, are renamed into place.
unique = os.path.basename(source)
cpp = os.path.join(os.path.dirname(out), unique + ".cpp")
with open(cpp, "w") as f:
    f.write('#define HOSTCUDA_MODULE\n#include "shim.h"\n' + text + "\n" + table)
tmp = os.path.join(os.path.dirname(out), unique + ".so.tmp")
flags = ["-std=c++20", "-O1", "-ffp-contract=off", "-w", "-fPIC", "-shared", "-pthread"]
r = subprocess.run(["g++", *flags, "-I", here, "-o", tmp, cpp], capture_output=True, text=True)
sys.stderr.write(r.stderr)
os.remove(cpp)
if r.returncode != 0:
    sys.exit(1)
entries = os.path.join(os.path.dirname(out), unique + ".entries.tmp")
with open(entries, "w") as f:
    f.write("".join(n + "\n" for n in names))
os.replace(entries, out + ".entries")
os.replace(tmp, out)
