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

// Reductions run in one pass (stage 0: one block per output) or, when few
// outputs each reduce many elements, in two (stage 1: one block per
// (output, part) writes the part's accumulator to `partial[o * parts +
// part]`; stage 2: one block per output combines its parts). A family
// says how to load, combine and finish; families without an identity
// (max, min) start each thread from the first element of its range.

template <typename T, typename A, typename O> struct SumF {
    typedef A Acc;
    static const bool has_identity = true;
    u32 op;
    u64 r;
    __device__ A identity() const { return op == R_PROD ? acc_one<A>() : acc_zero<A>(); }
    __device__ A load(const T& x) const {
        if constexpr (Ty<T>::is_complex || Ty<T>::is_int) return (A)x;
        else return (A)Ty<T>::ld(x);
    }
    __device__ A combine(A a, A b) const { return op == R_PROD ? acc_mul(a, b) : acc_add(a, b); }
    __device__ void finish(O* out, u64 o, A acc) const {
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
};

// Max / min with core's rule: keep a unless b is larger (smaller), and a
// NaN, once met, stays.
template <typename K, bool MAX> __device__ __forceinline__ K keep_ext(K a, K b) {
    bool keeps;
    if constexpr (Ty<K>::is_float) keeps = (MAX ? a > b : a < b) || isnan(a);
    else keeps = MAX ? a > b : a < b;
    return keeps ? a : b;
}

template <typename T, bool MAX> struct ExtF {
    typedef typename Ty<T>::V Acc;
    static const bool has_identity = false;
    __device__ Acc identity() const { return Acc(); }
    __device__ Acc load(const T& x) const { return Ty<T>::ld(x); }
    __device__ Acc combine(Acc a, Acc b) const { return keep_ext<Acc, MAX>(a, b); }
    __device__ void finish(T* out, u64 o, Acc acc) const { out[o] = Ty<T>::st(acc); }
};

template <typename T> __device__ __forceinline__ bool truth(T x) {
    if constexpr (Ty<T>::is_bool) return x.v != 0;
    else if constexpr (Ty<T>::is_complex) return x.re != 0 || x.im != 0;
    else if constexpr (IsHalf<T>::value) return (x.bits & 0x7fff) != 0;
    else return x != 0;
}

template <typename T, bool ALL> struct TruthF {
    typedef u32 Acc;
    static const bool has_identity = true;
    __device__ u32 identity() const { return ALL ? 1u : 0u; }
    __device__ u32 load(const T& x) const { return truth(x) ? 1u : 0u; }
    __device__ u32 combine(u32 a, u32 b) const { return ALL ? (a & b) : (a | b); }
    __device__ void finish(b8* out, u64 o, u32 acc) const { out[o].v = (u8)acc; }
};

template <typename T, typename O, typename F>
__device__ void reduce_driver(F f, Meta km, Meta rm, const T* src, O* out, u64 nout, u64 r, u64 parts,
                              typename F::Acc* partial, u32 stage) {
    typedef typename F::Acc A;
    if (stage == 2) {
        for (u64 o = blockIdx.x; o < nout; o += gridDim.x) {
            const A* row = partial + o * parts;
            bool any = false;
            A acc = f.identity();
            for (u64 p = threadIdx.x; p < parts; p += blockDim.x) {
                acc = any || F::has_identity ? f.combine(acc, row[p]) : row[p];
                any = true;
            }
            if (!F::has_identity && !any) acc = row[0];
            acc = block_combine(acc, [f](A a, A b) { return f.combine(a, b); });
            if (threadIdx.x == 0) f.finish(out, o, acc);
        }
        return;
    }
    u64 per = stage == 1 ? parts : 1;
    u64 chunk = (r + per - 1) / per;
    for (u64 blk = blockIdx.x; blk < nout * per; blk += gridDim.x) {
        u64 o = blk / per, part = blk % per;
        u64 j0 = part * chunk, j1 = j0 + chunk < r ? j0 + chunk : r;
        i64 base = elem_offset(km, o);
        bool any = false;
        A acc = f.identity();
        for (u64 j = j0 + threadIdx.x; j < j1; j += blockDim.x) {
            A x = f.load(src[base + elem_offset(rm, j)]);
            acc = any || F::has_identity ? f.combine(acc, x) : x;
            any = true;
        }
        // Threads that saw nothing hold the first element of the range (a
        // neutral value for max/min alike).
        if (!F::has_identity && !any && j0 < j1) acc = f.load(src[base + elem_offset(rm, j0)]);
        acc = block_combine(acc, [f](A a, A b) { return f.combine(a, b); });
        if (threadIdx.x == 0) {
            if (stage == 1) partial[blk] = acc;
            else f.finish(out, o, acc);
        }
    }
}

// Sum, prod, mean: numeric types. Integer means go to f64.
#define REDUCE_SUM(T, NAME)                                                                     \
    extern "C" __global__ void reduce_sum_##NAME(u32 op, Meta km, Meta rm, const T* src, void* out, \
                                                 u64 nout, u64 r, u64 parts, void* partial,      \
                                                 u32 stage) {                                    \
        typedef typename Ty<T>::V A;                                                            \
        if constexpr (Ty<T>::is_int) {                                                          \
            if (op == R_MEAN) {                                                                 \
                SumF<T, double, double> f{op, r};                                               \
                reduce_driver(f, km, rm, src, (double*)out, nout, r, parts, (double*)partial, stage); \
            } else {                                                                            \
                SumF<T, T, T> f{op, r};                                                         \
                reduce_driver(f, km, rm, src, (T*)out, nout, r, parts, (T*)partial, stage);     \
            }                                                                                   \
        } else {                                                                                \
            SumF<T, A, T> f{op, r};                                                             \
            reduce_driver(f, km, rm, src, (T*)out, nout, r, parts, (A*)partial, stage);         \
        }                                                                                       \
    }
FOR_NUMERIC_TYPES(REDUCE_SUM)

// Max, min: real types and bool.
#define REDUCE_EXT(T, NAME)                                                                     \
    extern "C" __global__ void reduce_ext_##NAME(u32 op, Meta km, Meta rm, const T* src, T* out, \
                                                 u64 nout, u64 r, u64 parts, void* partial,      \
                                                 u32 stage) {                                    \
        typedef typename Ty<T>::V K;                                                            \
        if (op == R_MAX) reduce_driver(ExtF<T, true>{}, km, rm, src, out, nout, r, parts, (K*)partial, stage); \
        else reduce_driver(ExtF<T, false>{}, km, rm, src, out, nout, r, parts, (K*)partial, stage); \
    }
FOR_REAL_TYPES(REDUCE_EXT)
REDUCE_EXT(b8, bool)

// All, any: every type.
#define REDUCE_TRUTH(T, NAME)                                                                   \
    extern "C" __global__ void reduce_truth_##NAME(u32 op, Meta km, Meta rm, const T* src,      \
                                                   b8* out, u64 nout, u64 r, u64 parts,         \
                                                   void* partial, u32 stage) {                  \
        if (op == R_ALL) reduce_driver(TruthF<T, true>{}, km, rm, src, out, nout, r, parts, (u32*)partial, stage); \
        else reduce_driver(TruthF<T, false>{}, km, rm, src, out, nout, r, parts, (u32*)partial, stage); \
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
