"""Turns the kernel sources into host C++ for the emulation: the prelude
with software f16 conversions (instead of PTX `cvt`), the shim's CUDA
stand-ins, then the kernels. As a script (KERNELS_DIR OUT_DIR) it writes
every .cu file into one `all_host.cpp`; `hostcuda/compile_module.py`
imports `host_prelude` for the sources NVRTC would get."""
import re
import sys


def host_prelude(text):
    """`text` (the prelude, or a whole source that starts with it) with the
    device-only parts replaced by host C++."""
    text = text.replace("#pragma nv_diag_suppress 186", "")
    text = re.sub(r"__device__ __forceinline__ float f16_to_f32\(u16 bits\) \{.*?\n\}\n",
                  "__device__ __forceinline__ float f16_to_f32(u16 bits) { _Float16 h; memcpy(&h, &bits, 2); return (float)h; }\n",
                  text, flags=re.S)
    text = re.sub(r"__device__ __forceinline__ u16 f32_to_f16\(float f\) \{.*?\n\}\n",
                  "__device__ __forceinline__ u16 f32_to_f16(float f) { _Float16 h = (_Float16)f; u16 b; memcpy(&b, &h, 2); return b; }\n",
                  text, flags=re.S)
    assert "asm(" not in text, "the f16 conversions were not replaced"
    return text.replace("#define NAN __int_as_float", "#undef NAN\n#define NAN __int_as_float")


if __name__ == "__main__":
    kernels, out = sys.argv[1], sys.argv[2]
    pre = host_prelude(open(f"{kernels}/prelude.cuh").read())
    src = '#include "shim.h"\n' + pre + "\n" + open(f"{kernels}/elementwise_ops.cuh").read() + "\n"
    for f in ["random", "elementwise", "reduce", "matmul", "index", "image"]:
        src += open(f"{kernels}/{f}.cu").read() + "\n"
    open(f"{out}/all_host.cpp", "w").write(src)
