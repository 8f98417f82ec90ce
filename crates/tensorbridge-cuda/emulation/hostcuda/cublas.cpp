// libcublas.so.13 emulated on the host ("hostcuda"): handles and
// cublasGemmStridedBatchedEx for f16, bf16, f32 and f64 (the one routine
// tensorbridge-cuda calls), with cuBLAS's argument rules (leading
// dimensions, sizes) and every matrix checked to lie inside a live device
// allocation. The product runs in the host driver's queue
// (cuLaunchHostFunc), ordered with the kernels around it; alpha and beta
// are read at the call (host pointer mode).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <dlfcn.h>

typedef int cublasStatus_t;
enum { CUBLAS_STATUS_SUCCESS = 0, CUBLAS_STATUS_NOT_INITIALIZED = 1, CUBLAS_STATUS_INVALID_VALUE = 7,
       CUBLAS_STATUS_NOT_SUPPORTED = 15, CUBLAS_STATUS_EXECUTION_FAILED = 13 };
enum { CUDA_R_32F = 0, CUDA_R_64F = 1, CUDA_R_16F = 2, CUDA_R_16BF = 14 };
enum { CUBLAS_COMPUTE_32F = 68, CUBLAS_COMPUTE_64F = 70 };

namespace {
struct Handle { void* stream = nullptr; };

template <typename F>
F driver(const char* name) {
    void* lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (!lib) lib = dlopen("libcuda.so.1", RTLD_NOW);
    return lib ? (F)dlsym(lib, name) : nullptr;
}

// Whether [p, p + bytes) lies in one allocation of the current context's
// device.
bool in_device_memory(uint64_t p, uint64_t bytes) {
    auto attr = driver<int (*)(void*, int, unsigned long long)>("cuPointerGetAttribute");
    auto current = driver<int (*)(int*)>("cuCtxGetDevice");
    unsigned long long start = 0;
    size_t size = 0;
    unsigned kind = 0;
    int device = -1, here = -2;
    if (!attr || !current || attr(&kind, 2, p) != 0 || kind != 2 || attr(&start, 11, p) != 0 ||
        attr(&size, 12, p) != 0 || attr(&device, 9, p) != 0 || current(&here) != 0 || device != here)
        return false;
    return p - start <= size && bytes <= size - (p - start);
}

float f16_to_f32(uint16_t b) { _Float16 h; memcpy(&h, &b, 2); return (float)h; }
uint16_t f32_to_f16(float f) { _Float16 h = (_Float16)f; uint16_t b; memcpy(&b, &h, 2); return b; }
float bf16_to_f32(uint16_t b) { uint32_t u = (uint32_t)b << 16; float f; memcpy(&f, &u, 4); return f; }
uint16_t f32_to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if (std::isnan(f)) return (uint16_t)((u >> 16) | 0x40);
    return (uint16_t)((u + 0x7fff + ((u >> 16) & 1)) >> 16);
}

struct Gemm {
    bool transa, transb;
    int m, n, k, lda, ldb, ldc, batch, type;
    long long sa, sb, sc;
    uint64_t a, b, c;
    double alpha, beta;
};

double load(int type, uint64_t base, long long i) {
    switch (type) {
        case CUDA_R_32F: return ((const float*)base)[i];
        case CUDA_R_64F: return ((const double*)base)[i];
        case CUDA_R_16F: return f16_to_f32(((const uint16_t*)base)[i]);
        default: return bf16_to_f32(((const uint16_t*)base)[i]);
    }
}

void store(int type, uint64_t base, long long i, double v) {
    switch (type) {
        case CUDA_R_32F: ((float*)base)[i] = (float)v; break;
        case CUDA_R_64F: ((double*)base)[i] = v; break;
        case CUDA_R_16F: ((uint16_t*)base)[i] = f32_to_f16((float)v); break;
        default: ((uint16_t*)base)[i] = f32_to_bf16((float)v);
    }
}

size_t elem_size(int type) { return type == CUDA_R_64F ? 8 : type == CUDA_R_32F ? 4 : 2; }

// Column-major C[m, n] = alpha op(A)[m, k] op(B)[k, n] + beta C, per batch.
void run(void* data) {
    Gemm* g = (Gemm*)data;
    size_t es = elem_size(g->type);
    for (int b = 0; b < g->batch; ++b) {
        uint64_t a = g->a + (uint64_t)(b * g->sa) * es, bm = g->b + (uint64_t)(b * g->sb) * es,
                 c = g->c + (uint64_t)(b * g->sc) * es;
        for (int j = 0; j < g->n; ++j)
            for (int i = 0; i < g->m; ++i) {
                double acc = 0;
                for (int p = 0; p < g->k; ++p) {
                    double x = load(g->type, a, g->transa ? (long long)i * g->lda + p : (long long)p * g->lda + i);
                    double y = load(g->type, bm, g->transb ? (long long)p * g->ldb + j : (long long)j * g->ldb + p);
                    acc += x * y;
                }
                long long at = (long long)j * g->ldc + i;
                double prior = g->beta == 0 ? 0 : g->beta * load(g->type, c, at);
                store(g->type, c, at, g->alpha * acc + prior);
            }
    }
    delete g;
}

// The bytes a column-major matrix of `cols` columns of `rows` rows with
// leading dimension `ld` spans, over `batch` matrices `stride` apart.
uint64_t extent(int rows, int cols, int ld, long long stride, int batch, size_t es) {
    if (rows == 0 || cols == 0 || batch == 0) return 0;
    uint64_t last = (uint64_t)(batch - 1) * (uint64_t)stride + (uint64_t)(cols - 1) * ld + rows;
    return last * es;
}
}  // namespace

extern "C" {

cublasStatus_t cublasCreate_v2(void** h) { *h = new Handle(); return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasDestroy_v2(void* h) { delete (Handle*)h; return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasSetStream_v2(void* h, void* s) { ((Handle*)h)->stream = s; return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasGetStream_v2(void* h, void** s) { *s = ((Handle*)h)->stream; return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasSetMathMode(void*, int) { return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasSetPointerMode_v2(void*, int mode) {
    return mode == 0 ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_NOT_SUPPORTED;
}

cublasStatus_t cublasGemmStridedBatchedEx(void* handle, int transa, int transb, int m, int n, int k,
                                          const void* alpha, const void* a, int atype, int lda,
                                          long long sa, const void* b, int btype, int ldb, long long sb,
                                          const void* beta, void* c, int ctype, int ldc, long long sc,
                                          int batch, int compute, int) {
    if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (atype != btype || atype != ctype ||
        !(atype == CUDA_R_32F || atype == CUDA_R_64F || atype == CUDA_R_16F || atype == CUDA_R_16BF))
        return CUBLAS_STATUS_NOT_SUPPORTED;
    if ((atype == CUDA_R_64F) != (compute == CUBLAS_COMPUTE_64F) ||
        (compute != CUBLAS_COMPUTE_32F && compute != CUBLAS_COMPUTE_64F))
        return CUBLAS_STATUS_NOT_SUPPORTED;
    bool ta = transa != 0, tb = transb != 0;
    if ((transa != 0 && transa != 1) || (transb != 0 && transb != 1)) return CUBLAS_STATUS_NOT_SUPPORTED;
    auto at_least = [](int ld, int rows) { return ld >= (rows > 1 ? rows : 1); };
    if (m < 0 || n < 0 || k < 0 || batch < 0 || !at_least(lda, ta ? k : m) || !at_least(ldb, tb ? n : k) ||
        !at_least(ldc, m)) {
        fprintf(stderr, "hostcuda cuBLAS: invalid gemm m=%d n=%d k=%d lda=%d ldb=%d ldc=%d ta=%d tb=%d\n", m, n,
                k, lda, ldb, ldc, transa, transb);
        return CUBLAS_STATUS_INVALID_VALUE;
    }
    if (m == 0 || n == 0 || batch == 0) return CUBLAS_STATUS_SUCCESS;
    size_t es = elem_size(atype);
    bool ok = in_device_memory((uint64_t)c, extent(m, n, ldc, sc, batch, es));
    if (k > 0)
        ok = ok && in_device_memory((uint64_t)a, extent(ta ? k : m, ta ? m : k, lda, sa, batch, es)) &&
             in_device_memory((uint64_t)b, extent(tb ? n : k, tb ? k : n, ldb, sb, batch, es));
    if (!ok) {
        fprintf(stderr, "hostcuda cuBLAS: a gemm operand runs outside its allocation on this device\n");
        return CUBLAS_STATUS_EXECUTION_FAILED;
    }
    bool wide = compute == CUBLAS_COMPUTE_64F;
    double al = wide ? *(const double*)alpha : *(const float*)alpha;
    double be = wide ? *(const double*)beta : *(const float*)beta;
    Gemm* g = new Gemm{ta, tb, m, n, k, lda, ldb, ldc, batch, atype, sa, sb, sc,
                       (uint64_t)a, (uint64_t)b, (uint64_t)c, al, be};
    auto host_func = driver<int (*)(void*, void (*)(void*), void*)>("cuLaunchHostFunc");
    if (!host_func || host_func(((Handle*)handle)->stream, run, g) != 0) {
        delete g;
        return CUBLAS_STATUS_EXECUTION_FAILED;
    }
    return CUBLAS_STATUS_SUCCESS;
}

}  // extern "C"
