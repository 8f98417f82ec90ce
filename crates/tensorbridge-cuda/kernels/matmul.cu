// Batched matrix product for the types cuBLAS does not cover here
// (integers, wrapping exactly as core; complex, not conjugated): 16x16
// tiles through shared memory. f16/bf16/f32/f64 go to cuBLAS instead.

#define TILE 16

struct MatDesc {
    u64 offset;
    i64 batch_stride, row_stride, col_stride;
};

template <typename T>
__device__ void matmul_impl(MatDesc ad, const T* a, MatDesc bd, const T* b, T* out, u64 batch,
                            u64 m, u64 n, u64 k) {
    typedef typename Ty<T>::V A;
    __shared__ T ta[TILE][TILE];
    __shared__ T tb[TILE][TILE];
    u64 row = (u64)blockIdx.y * TILE + threadIdx.y;
    u64 col = (u64)blockIdx.x * TILE + threadIdx.x;
    for (u64 z = blockIdx.z; z < batch; z += gridDim.z) {
        const T* ab = a + ad.offset + (i64)z * ad.batch_stride;
        const T* bb = b + bd.offset + (i64)z * bd.batch_stride;
        A acc;
        if constexpr (Ty<T>::is_complex) acc = mk((typename Ty<T>::Real)0, (typename Ty<T>::Real)0);
        else acc = (A)0;
        for (u64 k0 = 0; k0 < k; k0 += TILE) {
            u64 ka = k0 + threadIdx.x, kb = k0 + threadIdx.y;
            T za, zb;
            if constexpr (Ty<T>::is_complex) { za = mk((typename Ty<T>::Real)0, (typename Ty<T>::Real)0); zb = za; }
            else { za = (T)0; zb = (T)0; }
            ta[threadIdx.y][threadIdx.x] =
                (row < m && ka < k) ? ab[(i64)row * ad.row_stride + (i64)ka * ad.col_stride] : za;
            tb[threadIdx.y][threadIdx.x] =
                (kb < k && col < n) ? bb[(i64)kb * bd.row_stride + (i64)col * bd.col_stride] : zb;
            __syncthreads();
            u64 kmax = k - k0 < TILE ? k - k0 : TILE;
            for (u64 t = 0; t < kmax; ++t) {
                if constexpr (Ty<T>::is_complex) {
                    acc = Ty<T>::Ops::add(acc, Ty<T>::Ops::mul(ta[threadIdx.y][t], tb[t][threadIdx.x]));
                } else {
                    typedef typename Ty<T>::Unsigned U;
                    acc = (A)((U)acc + (U)((U)ta[threadIdx.y][t] * (U)tb[t][threadIdx.x]));
                }
            }
            __syncthreads();
        }
        if (row < m && col < n) out[(z * m + row) * n + col] = acc;
    }
}

#define MATMUL(T, NAME)                                                                    \
    extern "C" __global__ void matmul_##NAME(MatDesc ad, const T* a, MatDesc bd, const T* b, \
                                             T* out, u64 batch, u64 m, u64 n, u64 k) {     \
        matmul_impl<T>(ad, a, bd, b, out, batch, m, n, k);                                 \
    }
FOR_INT_TYPES(MATMUL)
MATMUL(c64, c64)
MATMUL(c128, c128)
