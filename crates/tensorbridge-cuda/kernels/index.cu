// Index kernels: validation (into a device error flag holding the lowest bad
// position), gather, pad_segments, scatter_nd, segment_sum and
// segment ids from row splits. Index buffers are int32 or int64 (`wide`).

__device__ __forceinline__ i64 load_index(const void* p, u32 wide, u64 i) {
    return wide ? ((const i64*)p)[i] : (i64)((const i32*)p)[i];
}

// Flags the first entry outside [0, bound) (or == -1 when minus_one is allowed).
extern "C" __global__ void check_range(const void* idx, u32 wide, u64 count, u64 bound,
                                       u32 minus_one, u64* err) {
    GRID_LOOP(i, count) {
        i64 v = load_index(idx, wide, i);
        bool ok = (v >= 0 && (u64)v < bound) || (minus_one && v == -1);
        if (!ok) flag_error(err, i);
    }
}

// Flags the first split outside [0, max_value], smaller than the one before,
// or (strict) a first split other than 0 or a last one other than max_value.
extern "C" __global__ void check_splits(const void* splits, u32 wide, u64 count, u64 max_value,
                                        u32 strict, u64* err) {
    GRID_LOOP(i, count) {
        i64 v = load_index(splits, wide, i);
        bool ok = v >= 0 && (u64)v <= max_value;
        if (ok && i > 0 && v < load_index(splits, wide, i - 1)) ok = false;
        if (ok && strict && i == 0 && v != 0) ok = false;
        if (ok && strict && i == count - 1 && (u64)v != max_value) ok = false;
        if (!ok) flag_error(err, i);
    }
}

// Flags the first coordinate e of `n` rows of `k` outside dims[e % k].
extern "C" __global__ void check_coords(const void* idx, u32 wide, u64 total, u32 k, Meta dm,
                                        u64* err) {
    GRID_LOOP(e, total) {
        i64 v = load_index(idx, wide, e);
        u64 d = dm.dims[e % k];
        if (v < 0 || (u64)v >= d) flag_error(err, e);
    }
}

// Row r's linear position in dims[..k] (C order), coordinates already checked.
__device__ __forceinline__ u64 coord_position(const void* idx, u32 wide, u64 r, u32 k,
                                              const Meta& dm) {
    u64 p = 0;
    for (u32 j = 0; j < k; ++j) p = p * dm.dims[j] + (u64)load_index(idx, wide, r * k + j);
    return p;
}

// ---- type-agnostic movers ------------------------------------------------------

// out (C order over dims of `pm`, whose axis `axis` has size m) takes the
// params element at index idx[j] along that axis; -1 takes fill[i % inner].
#define MOVERS(T, SIZE)                                                                         \
    extern "C" __global__ void gather_b##SIZE(Meta pm, u32 axis, const void* idx, u32 wide,     \
                                              const T* src, const T* fill, T* out, u64 total,   \
                                              u64 inner) {                                      \
        GRID_LOOP(i, total) {                                                                   \
            u64 rest = i;                                                                       \
            i64 pos = (i64)pm.offset;                                                           \
            bool pad = false;                                                                   \
            for (int a = (int)pm.rank - 1; a >= 0; --a) {                                       \
                u64 c = rest % pm.dims[a];                                                      \
                rest /= pm.dims[a];                                                             \
                if ((u32)a == axis) {                                                           \
                    i64 kk = load_index(idx, wide, c);                                          \
                    if (kk < 0) pad = true;                                                     \
                    else pos += kk * pm.strides[a];                                             \
                } else {                                                                        \
                    pos += (i64)c * pm.strides[a];                                              \
                }                                                                               \
            }                                                                                   \
            out[i] = pad ? fill[i % inner] : src[pos];                                          \
        }                                                                                       \
    }                                                                                           \
    extern "C" __global__ void pad_b##SIZE(Meta vm, const T* values, const void* splits,        \
                                           u32 wide, const T* fill, T* out, u64 total,          \
                                           u64 width, u64 inner) {                              \
        GRID_LOOP(i, total) {                                                                   \
            u64 q = i % inner;                                                                  \
            u64 w = (i / inner) % width;                                                        \
            u64 r = i / (inner * width);                                                        \
            i64 start = load_index(splits, wide, r), end = load_index(splits, wide, r + 1);     \
            out[i] = (i64)w < end - start ? values[elem_offset(vm, ((u64)start + w) * inner + q)] \
                                          : fill[q];                                            \
        }                                                                                       \
    }                                                                                           \
    extern "C" __global__ void scatter_last_b##SIZE(const void* idx, u32 wide, u32 k, Meta dm,  \
                                                    const u32* owner, const T* updates, T* out, \
                                                    u64 total, u64 inner) {                     \
        GRID_LOOP(e, total) {                                                                   \
            u64 r = e / inner;                                                                  \
            u64 p = coord_position(idx, wide, r, k, dm);                                        \
            if (owner[p] == (u32)(r + 1)) out[p * inner + e % inner] = updates[e];              \
        }                                                                                       \
    }                                                                                           \
    /* Positions known to be distinct: every row writes its own. */                             \
    extern "C" __global__ void scatter_write_b##SIZE(const void* idx, u32 wide, u32 k, Meta dm, \
                                                     const T* updates, T* out, u64 total,       \
                                                     u64 inner) {                               \
        GRID_LOOP(e, total) {                                                                   \
            u64 p = coord_position(idx, wide, e / inner, k, dm);                                \
            out[p * inner + e % inner] = updates[e];                                            \
        }                                                                                       \
    }
FOR_SIZES(MOVERS)

// Sets bit p of `bits` for each row's position p; a bit already set means
// two rows name one position (flagged: then the exact owner path runs).
extern "C" __global__ void scatter_mark(const void* idx, u32 wide, u64 n, u32 k, Meta dm, u32* bits,
                                        u64* err) {
    GRID_LOOP(r, n) {
        u64 p = coord_position(idx, wide, r, k, dm);
        u32 bit = 1u << (p % 32);
        u32 old = atomicOr(bits + p / 32, bit);
        if (old & bit) flag_error(err, r);
    }
}

// mode 0 (Error): owner = lowest row; 1 (Last): owner = highest row + 1;
// 2 (Add): owner = 1 (touched).
extern "C" __global__ void scatter_claim(const void* idx, u32 wide, u64 n, u32 k, Meta dm,
                                         u32* owner, u32 mode) {
    GRID_LOOP(r, n) {
        u64 p = coord_position(idx, wide, r, k, dm);
        if (mode == 0) atomicMin(owner + p, (u32)r);
        else if (mode == 1) atomicMax(owner + p, (u32)(r + 1));
        else owner[p] = 1;
    }
}

// Flags the lowest row that is not the owner (lowest row) of its position.
extern "C" __global__ void scatter_repeats(const void* idx, u32 wide, u64 n, u32 k, Meta dm,
                                           const u32* owner, u64* err) {
    GRID_LOOP(r, n) {
        u64 p = coord_position(idx, wide, r, k, dm);
        if (owner[p] != (u32)r) flag_error(err, r);
    }
}

// ---- atomic accumulation (scatter add, segment sum) ------------------------------

template <typename T> struct Atom;
#define ATOM_INT(T, A)                                                                        \
    template <> struct Atom<T> {                                                              \
        typedef A Acc;                                                                        \
        static __device__ __forceinline__ void add(Acc* p, T x) { atomicAdd(p, (A)x); }       \
        static __device__ __forceinline__ T finish(T old, Acc a) { return (T)((A)old + a); }  \
    };
ATOM_INT(u8, u32)
ATOM_INT(i8, u32)
ATOM_INT(u16, u32)
ATOM_INT(i16, u32)
ATOM_INT(u32, u32)
ATOM_INT(i32, u32)
ATOM_INT(u64, unsigned long long)
ATOM_INT(i64, unsigned long long)
template <> struct Atom<float> {
    typedef float Acc;
    static __device__ __forceinline__ void add(Acc* p, float x) { atomicAdd(p, x); }
    static __device__ __forceinline__ float finish(float old, Acc a) { return old + a; }
};
template <> struct Atom<double> {
    typedef double Acc;
    static __device__ __forceinline__ void add(Acc* p, double x) { atomicAdd(p, x); }
    static __device__ __forceinline__ double finish(double old, Acc a) { return old + a; }
};
template <> struct Atom<f16> {
    typedef float Acc;
    static __device__ __forceinline__ void add(Acc* p, f16 x) { atomicAdd(p, Ty<f16>::ld(x)); }
    static __device__ __forceinline__ f16 finish(f16 old, Acc a) { return Ty<f16>::st(Ty<f16>::ld(old) + a); }
};
template <> struct Atom<bf16> {
    typedef float Acc;
    static __device__ __forceinline__ void add(Acc* p, bf16 x) { atomicAdd(p, Ty<bf16>::ld(x)); }
    static __device__ __forceinline__ bf16 finish(bf16 old, Acc a) { return Ty<bf16>::st(Ty<bf16>::ld(old) + a); }
};
template <> struct Atom<c64> {
    typedef c64 Acc;
    static __device__ __forceinline__ void add(Acc* p, c64 x) { atomicAdd(&p->re, x.re); atomicAdd(&p->im, x.im); }
    static __device__ __forceinline__ c64 finish(c64 old, Acc a) { return mk(old.re + a.re, old.im + a.im); }
};
template <> struct Atom<c128> {
    typedef c128 Acc;
    static __device__ __forceinline__ void add(Acc* p, c128 x) { atomicAdd(&p->re, x.re); atomicAdd(&p->im, x.im); }
    static __device__ __forceinline__ c128 finish(c128 old, Acc a) { return mk(old.re + a.re, old.im + a.im); }
};

#define ACCUMULATE(T, NAME)                                                                     \
    extern "C" __global__ void scatter_add_##NAME(const void* idx, u32 wide, u32 k, Meta dm,    \
                                                  const T* updates, typename Atom<T>::Acc* acc, \
                                                  u64 total, u64 inner) {                       \
        GRID_LOOP(e, total) {                                                                   \
            u64 p = coord_position(idx, wide, e / inner, k, dm);                                \
            Atom<T>::add(acc + p * inner + e % inner, updates[e]);                              \
        }                                                                                       \
    }                                                                                           \
    extern "C" __global__ void scatter_finish_##NAME(const u32* owner, T* out,                  \
                                                     const typename Atom<T>::Acc* acc,          \
                                                     u64 total, u64 inner) {                    \
        GRID_LOOP(e, total) {                                                                   \
            if (owner[e / inner]) out[e] = Atom<T>::finish(out[e], acc[e]);                     \
        }                                                                                       \
    }                                                                                           \
    extern "C" __global__ void segment_add_##NAME(Meta dm, const T* data, const void* ids,      \
                                                  u32 wide, typename Atom<T>::Acc* acc,         \
                                                  u64 total, u64 inner) {                       \
        GRID_LOOP(e, total) {                                                                   \
            i64 s = load_index(ids, wide, e / inner);                                           \
            Atom<T>::add(acc + (u64)s * inner + e % inner, data[elem_offset(dm, e)]);           \
        }                                                                                       \
    }                                                                                           \
    extern "C" __global__ void segment_finish_##NAME(const typename Atom<T>::Acc* acc, T* out,  \
                                                     u64 total) {                               \
        GRID_LOOP(e, total) {                                                                   \
            T zero;                                                                             \
            memset(&zero, 0, sizeof(T));                                                        \
            out[e] = Atom<T>::finish(zero, acc[e]);                                             \
        }                                                                                       \
    }
FOR_NUMERIC_TYPES(ACCUMULATE)

// Scatter-add straight into the pre-filled output, for the types whose
// accumulator is the element itself (no temporary, no finishing pass).
#define ADD_DIRECT(T, NAME)                                                                      \
    extern "C" __global__ void scatter_add_direct_##NAME(const void* idx, u32 wide, u32 k, Meta dm, \
                                                         const T* updates, T* out, u64 total,    \
                                                         u64 inner) {                            \
        GRID_LOOP(e, total) {                                                                    \
            u64 p = coord_position(idx, wide, e / inner, k, dm);                                 \
            Atom<T>::add((typename Atom<T>::Acc*)(out + p * inner + e % inner), updates[e]);     \
        }                                                                                        \
    }
ADD_DIRECT(u32, u32)
ADD_DIRECT(i32, i32)
ADD_DIRECT(u64, u64)
ADD_DIRECT(i64, i64)
ADD_DIRECT(float, f32)
ADD_DIRECT(double, f64)
ADD_DIRECT(c64, c64)
ADD_DIRECT(c128, c128)

// out[j] = the row r with splits[r] <= j < splits[r + 1] (binary search;
// splits checked first).
extern "C" __global__ void ids_from_splits(const void* splits, u32 wide, u64 nrows, i64* out,
                                           u64 total) {
    GRID_LOOP(j, total) {
        u64 lo = 0, hi = nrows; // find the last r < nrows with splits[r] <= j
        while (hi - lo > 1) {
            u64 mid = lo + (hi - lo) / 2;
            if ((u64)load_index(splits, wide, mid) <= j) lo = mid;
            else hi = mid;
        }
        out[j] = (i64)lo;
    }
}
