"""Turns the kernel sources into one host C++ file for the emulation:
the prelude with software f16 conversions (instead of PTX `cvt`), the
shim's CUDA stand-ins, then every .cu file. Usage: KERNELS_DIR OUT_DIR."""
import re
import sys

kernels, out = sys.argv[1], sys.argv[2]
pre = open(f"{kernels}/prelude.cuh").read()
pre = pre.replace("#pragma nv_diag_suppress 186", "")
pre = re.sub(r"__device__ __forceinline__ float f16_to_f32\(u16 bits\) \{.*?\n\}\n",
             "__device__ __forceinline__ float f16_to_f32(u16 bits) { _Float16 h; memcpy(&h, &bits, 2); return (float)h; }\n",
             pre, flags=re.S)
pre = re.sub(r"__device__ __forceinline__ u16 f32_to_f16\(float f\) \{.*?\n\}\n",
             "__device__ __forceinline__ u16 f32_to_f16(float f) { _Float16 h = (_Float16)f; u16 b; memcpy(&b, &h, 2); return b; }\n",
             pre, flags=re.S)
assert "asm(" not in pre.split("f32_to_bf16")[0], "the f16 conversions were not replaced"
pre = pre.replace("#define NAN __int_as_float", "#undef NAN\n#define NAN __int_as_float")
src = '#include "shim.h"\n' + pre + "\n" + open(f"{kernels}/elementwise_ops.cuh").read() + "\n"
for f in ["random", "elementwise", "reduce", "matmul", "index", "image"]:
    src += open(f"{kernels}/{f}.cu").read() + "\n"
open(f"{out}/all_host.cpp", "w").write(src)
