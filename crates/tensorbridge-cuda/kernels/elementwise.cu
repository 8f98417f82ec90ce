// Elementwise kernels (the per-element functions are in elementwise_ops.cuh): strided copy, fill, binary ops, unary ops, casts and
// where. Op codes follow the declaration order of BinaryOp/UnaryOp in
// src/ops.rs.

// ---- copies (type-agnostic, by element size) -------------------------------

// dst[dst_meta(first + i)] = src[src_meta(first + i)] for i < n.
#define COPY(T, SIZE)                                                                      \
    extern "C" __global__ void copy_b##SIZE(Meta sm, const T* src, Meta dm, T* dst,        \
                                            u64 first, u64 n) {                            \
        GRID_LOOP(i, n) { dst[elem_offset(dm, first + i)] = src[elem_offset(sm, first + i)]; } \
    }                                                                                      \
    extern "C" __global__ void fill_b##SIZE(T* dst, T value, u64 n) {                      \
        GRID_LOOP(i, n) { dst[i] = value; }                                                \
    }                                                                                      \
    extern "C" __global__ void where_b##SIZE(Meta cm, const b8* cond, Meta am, const T* a, \
                                             Meta bm, const T* b, T* out, u64 n) {         \
        GRID_LOOP(i, n) {                                                                  \
            out[i] = cond[elem_offset(cm, i)].v ? a[elem_offset(am, i)] : b[elem_offset(bm, i)]; \
        }                                                                                  \
    }
FOR_SIZES(COPY)

// ---- binary ----------------------------------------------------------------

template <typename T>
__device__ void binary_impl(u32 op, Meta am, const T* a, Meta bm, const T* b, void* out, u64 n,
                            u64* err) {
    GRID_LOOP(i, n) {
        T xa = a[elem_offset(am, i)], xb = b[elem_offset(bm, i)];
        if (op >= OP_EQ && op <= OP_GE) {
            ((b8*)out)[i] = binary_compare<T>(op, xa, xb);
        } else {
            ((T*)out)[i] = binary_arith<T>(op, xa, xb, i, err);
        }
    }
}

#define BINARY(T, NAME)                                                                    \
    extern "C" __global__ void binary_##NAME(u32 op, Meta am, const T* a, Meta bm, const T* b, \
                                             void* out, u64 n, u64* err) {                 \
        binary_impl<T>(op, am, a, bm, b, out, n, err);                                     \
    }
FOR_ALL_TYPES(BINARY)

// ---- unary -----------------------------------------------------------------

template <typename T> __device__ void unary_impl(u32 op, Meta m, const T* src, void* out, u64 n) {
    typedef Ty<T> K;
    GRID_LOOP(i, n) {
        T x = src[elem_offset(m, i)];
        if constexpr (K::is_complex) {
            if (op == U_ABS) ((typename K::Real*)out)[i] = complex_abs<T>(x);
            else ((T*)out)[i] = unary_elem<T>(op, x);
        } else {
            ((T*)out)[i] = unary_elem<T>(op, x);
        }
    }
}

#define UNARY(T, NAME)                                                                      \
    extern "C" __global__ void unary_##NAME(u32 op, Meta m, const T* src, void* out, u64 n) { \
        unary_impl<T>(op, m, src, out, n);                                                  \
    }
FOR_ALL_TYPES(UNARY)

// ---- cast (core's cast.rs, one kernel per source type, target at run time) --

template <typename T> __device__ __forceinline__ void store_as(u32 to, void* out, u64 i, const Repr& r) {
    switch (to) {
    case 0: ((b8*)out)[i] = from_repr<b8>(r); break;
    case 1: ((u8*)out)[i] = from_repr<u8>(r); break;
    case 2: ((u16*)out)[i] = from_repr<u16>(r); break;
    case 3: ((u32*)out)[i] = from_repr<u32>(r); break;
    case 4: ((u64*)out)[i] = from_repr<u64>(r); break;
    case 5: ((i8*)out)[i] = from_repr<i8>(r); break;
    case 6: ((i16*)out)[i] = from_repr<i16>(r); break;
    case 7: ((i32*)out)[i] = from_repr<i32>(r); break;
    case 8: ((i64*)out)[i] = from_repr<i64>(r); break;
    case 9: ((f16*)out)[i] = from_repr<f16>(r); break;
    case 10: ((bf16*)out)[i] = from_repr<bf16>(r); break;
    case 11: ((float*)out)[i] = from_repr<float>(r); break;
    case 12: ((double*)out)[i] = from_repr<double>(r); break;
    case 13: ((c64*)out)[i] = from_repr<c64>(r); break;
    case 14: ((c128*)out)[i] = from_repr<c128>(r); break;
    }
}

#define CAST(T, NAME)                                                                       \
    extern "C" __global__ void cast_from_##NAME(Meta m, const T* src, u32 to, void* out, u64 n) { \
        GRID_LOOP(i, n) { store_as<T>(to, out, i, to_repr<T>(src[elem_offset(m, i)])); }    \
    }
FOR_ALL_TYPES(CAST)
