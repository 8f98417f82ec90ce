// Reductions (one block per output, a tree in shared memory), index
// reductions (first extremum, NaN first), and sequential running scans
// (one thread per row, core's order, so the bits equal the CPU's).
// Op codes follow ReduceOp in src/ops.rs.

enum RedOp { R_SUM, R_MEAN, R_PROD, R_MAX, R_MIN, R_ALL, R_ANY };

#define RED_THREADS 256

// Wrapping integer arithmetic on the unsigned twin; plain for the rest.
template <typename A> __device__ __forceinline__ A acc_add(A a, A b) {
    if constexpr (Ty<A>::is_complex) return Ty<A>::Ops::add(a, b);
    else if constexpr (Ty<A>::is_int) { typedef typename Ty<A>::Unsigned U; return (A)((U)a + (U)b); }
    else return a + b;
}
template <typename A> __device__ __forceinline__ A acc_mul(A a, A b) {
    if constexpr (Ty<A>::is_complex) return Ty<A>::Ops::mul(a, b);
    else if constexpr (Ty<A>::is_int) { typedef typename Ty<A>::Unsigned U; return (A)((U)a * (U)b); }
    else return a * b;
}
template <typename A> __device__ __forceinline__ A acc_zero() {
    if constexpr (Ty<A>::is_complex) return mk((typename Ty<A>::Real)0, (typename Ty<A>::Real)0);
    else return (A)0;
}
template <typename A> __device__ __forceinline__ A acc_one() {
    if constexpr (Ty<A>::is_complex) return mk((typename Ty<A>::Real)1, (typename Ty<A>::Real)0);
    else return (A)1;
}

// Tree-combines one value per thread of the block; thread 0 gets the result.
template <typename A, typename F> __device__ A block_combine(A v, F f) {
    __shared__ __align__(16) unsigned char raw[RED_THREADS * sizeof(A)];
    A* s = (A*)raw;
    s[threadIdx.x] = v;
    __syncthreads();
    for (unsigned w = blockDim.x / 2; w > 0; w >>= 1) {
        if (threadIdx.x < w) s[threadIdx.x] = f(s[threadIdx.x], s[threadIdx.x + w]);
        __syncthreads();
    }
    A r = s[0];
    __syncthreads();
    return r;
}

// Sum / prod / mean: `km` spans the kept axes (nout positions), `rm` the
// reduced axes (r elements) relative to each kept position.
template <typename T, typename A, typename O>
__device__ void sum_like(u32 op, Meta km, Meta rm, const T* src, O* out, u64 nout, u64 r) {
    for (u64 o = blockIdx.x; o < nout; o += gridDim.x) {
        i64 base = elem_offset(km, o);
        A acc = op == R_PROD ? acc_one<A>() : acc_zero<A>();
        for (u64 j = threadIdx.x; j < r; j += blockDim.x) {
            A x;
            if constexpr (Ty<T>::is_complex || Ty<T>::is_int) x = (A)src[base + elem_offset(rm, j)];
            else x = (A)Ty<T>::ld(src[base + elem_offset(rm, j)]);
            acc = op == R_PROD ? acc_mul(acc, x) : acc_add(acc, x);
        }
        if (op == R_PROD) acc = block_combine(acc, [](A a, A b) { return acc_mul(a, b); });
        else acc = block_combine(acc, [](A a, A b) { return acc_add(a, b); });
        if (threadIdx.x == 0) {
            if (op == R_MEAN) {
                if constexpr (Ty<A>::is_complex) {
                    typedef typename Ty<A>::Real R;
                    out[o] = mk(acc.re / (R)r, acc.im / (R)r);
                } else if constexpr (IsHalf<O>::value) {
                    out[o] = Ty<O>::st(acc / (float)r);
                } else {
                    out[o] = (O)(acc / (A)r);
                }
            } else if constexpr (IsHalf<O>::value) {
                out[o] = Ty<O>::st(acc);
            } else {
                out[o] = (O)acc;
            }
        }
    }
}

// Max / min with core's rule: keep a unless b is larger (smaller), and a
// NaN, once met, stays.
template <typename K, bool MAX> __device__ __forceinline__ K keep_ext(K a, K b) {
    bool keeps;
    if constexpr (Ty<K>::is_float) keeps = (MAX ? a > b : a < b) || isnan(a);
    else keeps = MAX ? a > b : a < b;
    return keeps ? a : b;
}

template <typename T, bool MAX>
__device__ void extremum(Meta km, Meta rm, const T* src, T* out, u64 nout, u64 r) {
    typedef typename Ty<T>::V K;
    for (u64 o = blockIdx.x; o < nout; o += gridDim.x) {
        i64 base = elem_offset(km, o);
        bool any = false;
        K acc = K();
        for (u64 j = threadIdx.x; j < r; j += blockDim.x) {
            K x = Ty<T>::ld(src[base + elem_offset(rm, j)]);
            acc = any ? keep_ext<K, MAX>(acc, x) : x;
            any = true;
        }
        // Threads that saw nothing hold the first element of the run (a
        // neutral value for max/min alike).
        if (!any && r > 0) acc = Ty<T>::ld(src[base + elem_offset(rm, 0)]);
        acc = block_combine(acc, [](K a, K b) { return keep_ext<K, MAX>(a, b); });
        if (threadIdx.x == 0) out[o] = Ty<T>::st(acc);
    }
}

template <typename T> __device__ __forceinline__ bool truth(T x) {
    if constexpr (Ty<T>::is_bool) return x.v != 0;
    else if constexpr (Ty<T>::is_complex) return x.re != 0 || x.im != 0;
    else if constexpr (IsHalf<T>::value) return (x.bits & 0x7fff) != 0;
    else return x != 0;
}

template <typename T, bool ALL>
__device__ void truth_reduce(Meta km, Meta rm, const T* src, b8* out, u64 nout, u64 r) {
    for (u64 o = blockIdx.x; o < nout; o += gridDim.x) {
        i64 base = elem_offset(km, o);
        u32 acc = ALL ? 1 : 0;
        for (u64 j = threadIdx.x; j < r; j += blockDim.x) {
            u32 t = truth(src[base + elem_offset(rm, j)]);
            acc = ALL ? (acc & t) : (acc | t);
        }
        acc = block_combine(acc, [](u32 a, u32 b) { return ALL ? (a & b) : (a | b); });
        if (threadIdx.x == 0) out[o].v = (u8)acc;
    }
}

// Sum, prod, mean: numeric types. Integer means go to f64.
#define REDUCE_SUM(T, NAME)                                                                     \
    extern "C" __global__ void reduce_sum_##NAME(u32 op, Meta km, Meta rm, const T* src, void* out, \
                                                 u64 nout, u64 r) {                             \
        typedef typename Ty<T>::V A;                                                            \
        if constexpr (Ty<T>::is_int) {                                                          \
            if (op == R_MEAN) sum_like<T, double, double>(op, km, rm, src, (double*)out, nout, r); \
            else sum_like<T, T, T>(op, km, rm, src, (T*)out, nout, r);                          \
        } else {                                                                                \
            sum_like<T, A, T>(op, km, rm, src, (T*)out, nout, r);                               \
        }                                                                                       \
    }
FOR_NUMERIC_TYPES(REDUCE_SUM)

// Max, min: real types and bool.
#define REDUCE_EXT(T, NAME)                                                                     \
    extern "C" __global__ void reduce_ext_##NAME(u32 op, Meta km, Meta rm, const T* src, T* out, \
                                                 u64 nout, u64 r) {                             \
        if (op == R_MAX) extremum<T, true>(km, rm, src, out, nout, r);                          \
        else extremum<T, false>(km, rm, src, out, nout, r);                                     \
    }
FOR_REAL_TYPES(REDUCE_EXT)
REDUCE_EXT(b8, bool)

// All, any: every type.
#define REDUCE_TRUTH(T, NAME)                                                                   \
    extern "C" __global__ void reduce_truth_##NAME(u32 op, Meta km, Meta rm, const T* src,      \
                                                   b8* out, u64 nout, u64 r) {                  \
        if (op == R_ALL) truth_reduce<T, true>(km, rm, src, out, nout, r);                      \
        else truth_reduce<T, false>(km, rm, src, out, nout, r);                                 \
    }
FOR_ALL_TYPES(REDUCE_TRUTH)

// ---- argmax / argmin ---------------------------------------------------------

template <typename K> struct Best { K key; i64 idx; };

// Whether candidate x replaces best (core's `replaces`): never once best is
// NaN; a NaN candidate always; otherwise strictly better.
template <typename K, bool MAX> __device__ __forceinline__ bool replaces(K x, K best) {
    if constexpr (Ty<K>::is_float) {
        if (isnan(best)) return false;
        if (isnan(x)) return true;
    }
    return MAX ? x > best : x < best;
}

template <typename K, bool MAX> __device__ __forceinline__ Best<K> pick(Best<K> a, Best<K> b) {
    if (a.idx < 0) return b;
    if (b.idx < 0) return a;
    // The one with the lower index wins unless the other replaces it.
    Best<K> first = a.idx < b.idx ? a : b, second = a.idx < b.idx ? b : a;
    return replaces<K, MAX>(second.key, first.key) ? second : first;
}

template <typename T, bool MAX>
__device__ void arg_impl(Meta km, i64 stride, const T* src, i64* out, u64 nout, u64 r) {
    typedef typename Ty<T>::V K;
    for (u64 o = blockIdx.x; o < nout; o += gridDim.x) {
        i64 base = elem_offset(km, o);
        Best<K> best;
        best.key = K();
        best.idx = -1;
        for (u64 j = threadIdx.x; j < r; j += blockDim.x) {
            K x = Ty<T>::ld(src[base + (i64)j * stride]);
            if (best.idx < 0 || replaces<K, MAX>(x, best.key)) { best.key = x; best.idx = (i64)j; }
        }
        best = block_combine(best, [](Best<K> a, Best<K> b) { return pick<K, MAX>(a, b); });
        if (threadIdx.x == 0) out[o] = best.idx < 0 ? 0 : best.idx;
    }
}

#define ARG(T, NAME)                                                                          \
    extern "C" __global__ void arg_##NAME(u32 is_max, Meta km, i64 stride, const T* src, i64* out, \
                                          u64 nout, u64 r) {                                  \
        if (is_max) arg_impl<T, true>(km, stride, src, out, nout, r);                         \
        else arg_impl<T, false>(km, stride, src, out, nout, r);                               \
    }
FOR_REAL_TYPES(ARG)
ARG(b8, bool)

// ---- cumsum / cumprod ----------------------------------------------------------

// One thread per row (C-order positions of `km`, the axes before the last);
// the scanned axis has length `len` and element stride `stride` in src;
// out is C-order, so row o occupies out[o * len .. (o + 1) * len].
template <typename T>
__device__ void scan_impl(u32 prod, u32 exclusive, u32 reverse, Meta km, i64 stride, const T* src,
                          T* out, u64 rows, u64 len) {
    typedef typename Ty<T>::V A;
    GRID_LOOP(o, rows) {
        i64 base = elem_offset(km, o);
        A acc = prod ? acc_one<A>() : acc_zero<A>();
        for (u64 s = 0; s < len; ++s) {
            u64 k = reverse ? len - 1 - s : s;
            A x = Ty<T>::ld(src[base + (i64)k * stride]);
            if (exclusive) {
                out[o * len + k] = Ty<T>::st(acc);
                acc = prod ? acc_mul(acc, x) : acc_add(acc, x);
            } else {
                acc = prod ? acc_mul(acc, x) : acc_add(acc, x);
                out[o * len + k] = Ty<T>::st(acc);
            }
        }
    }
}

#define SCAN(T, NAME)                                                                          \
    extern "C" __global__ void scan_##NAME(u32 prod, u32 exclusive, u32 reverse, Meta km,      \
                                           i64 stride, const T* src, T* out, u64 rows, u64 len) { \
        scan_impl<T>(prod, exclusive, reverse, km, stride, src, out, rows, len);               \
    }
FOR_NUMERIC_TYPES(SCAN)
