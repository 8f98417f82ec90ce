#pragma nv_diag_suppress 186
// Shared by every kernel file of tensorbridge-cuda: the backend prepends it
// to each .cu source before NVRTC compiles it (NVRTC has no include path;
// these kernels need no CUDA header).
//
// Element types are plain structs with the bit layout of the Rust types:
// f16/bf16 are the bits of half::f16/half::bf16, c64/c128 are (re, im), bool
// is one byte. Arithmetic on f16/bf16 runs in f32 and rounds once on store
// (round to nearest even, as half's from_f32).

typedef unsigned char u8;
typedef signed char i8;
typedef unsigned short u16;
typedef short i16;
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;
typedef long long i64;
typedef float f32;
typedef double f64;

struct __align__(1) b8 { u8 v; };
struct __align__(2) f16 { u16 bits; };
struct __align__(2) bf16 { u16 bits; };
struct __align__(8) c64 { float re, im; };
struct __align__(16) c128 { double re, im; };

// Byte-sized payloads for the type-agnostic kernels (copies, gathers).
struct __align__(16) v16 { u64 lo, hi; };

#define MAX_RANK 12
#define U64_MAX 0xffffffffffffffffULL
#define NAN __int_as_float(0x7fc00000)

// Must match `Meta` in src/layout.rs field for field.
struct Meta {
    u32 rank;
    u32 contiguous;
    u64 offset;
    u64 dims[MAX_RANK];
    i64 strides[MAX_RANK];
};

// The element position of C-order element `i` of a layout.
__device__ __forceinline__ i64 elem_offset(const Meta& m, u64 i) {
    if (m.contiguous) return (i64)(m.offset + i);
    i64 pos = (i64)m.offset;
    for (int a = (int)m.rank - 1; a >= 0; --a) {
        u64 d = m.dims[a];
        pos += (i64)(i % d) * m.strides[a];
        i /= d;
    }
    return pos;
}

#define GRID_LOOP(i, n) \
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (u64)blockDim.x * gridDim.x)

// Records the lowest failing position in a device error flag (U64_MAX = none).
__device__ __forceinline__ void flag_error(u64* err, u64 position) {
    atomicMin((unsigned long long*)err, (unsigned long long)position);
}

// ---------------------------------------------------------------------------
// 16-bit floats.

__device__ __forceinline__ float f16_to_f32(u16 bits) {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(bits));
    return f;
}
__device__ __forceinline__ u16 f32_to_f16(float f) {
    u16 h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
}
__device__ __forceinline__ float bf16_to_f32(u16 bits) {
    return __uint_as_float(((u32)bits) << 16);
}
// Round to nearest even in software (as half::bf16::from_f32: NaN keeps its
// sign and high payload bits and is made quiet), so that modules load on any
// arch; the backend still refuses bf16 below sm_80.
__device__ __forceinline__ u16 f32_to_bf16(float f) {
    u32 x = __float_as_uint(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (u16)((x >> 16) | 0x0040u);
    u32 round_bit = 0x00008000u;
    if ((x & round_bit) != 0 && (x & (3 * round_bit - 1)) != 0) return (u16)((x >> 16) + 1);
    return (u16)(x >> 16);
}

// f64 -> f32 rounding to odd (core's cast.rs): a later round to nearest even
// into f16/bf16 is then a single correct rounding.
__device__ __forceinline__ float f64_to_f32_round_odd(double x) {
    float nearest = (float)x;
    if (isnan(nearest) || (double)nearest == x) return nearest;
    u32 bits = __float_as_uint(nearest);
    if (fabs((double)nearest) > fabs(x)) bits -= 1;
    return __uint_as_float(bits | 1u);
}

// A 64-bit magnitude (with sign) -> f32 rounding to odd (core's
// int_to_f32_round_odd, for |i| < 2^64).
__device__ __forceinline__ float int_to_f32_round_odd(u64 magnitude, bool negative) {
    int width = 64 - __clzll((long long)magnitude);
    float r;
    if (width <= 24) {
        r = (float)magnitude;
    } else {
        int shift = width - 24;
        u64 sticky = (magnitude & ((1ULL << shift) - 1)) != 0 ? 1 : 0;
        r = (float)((magnitude >> shift) | sticky) * __uint_as_float((u32)(127 + shift) << 23);
    }
    return negative ? -r : r;
}

// ---------------------------------------------------------------------------
// Complex arithmetic with num_complex's formulas.

__device__ __forceinline__ c64 mk(float re, float im) { c64 z; z.re = re; z.im = im; return z; }
__device__ __forceinline__ c128 mk(double re, double im) { c128 z; z.re = re; z.im = im; return z; }

template <typename C, typename R> struct ComplexOps {
    static __device__ __forceinline__ C add(C a, C b) { return mk(a.re + b.re, a.im + b.im); }
    static __device__ __forceinline__ C sub(C a, C b) { return mk(a.re - b.re, a.im - b.im); }
    static __device__ __forceinline__ C mul(C a, C b) {
        return mk(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);
    }
    static __device__ __forceinline__ C div(C a, C b) {
        R d = b.re * b.re + b.im * b.im;
        return mk((a.re * b.re + a.im * b.im) / d, (a.im * b.re - a.re * b.im) / d);
    }
    static __device__ __forceinline__ C neg(C a) { return mk(-a.re, -a.im); }
    static __device__ __forceinline__ R norm(C a) { return hypot(a.re, a.im); }
    static __device__ __forceinline__ C from_polar(R r, R theta) {
        return mk(r * ::cos(theta), r * ::sin(theta));
    }
    static __device__ __forceinline__ C exp(C a) {
        // num_complex's corner cases for infinite and NaN real parts.
        R re = a.re, im = a.im;
        if (isinf(re)) {
            if (re < (R)0) {
                if (!isfinite(im)) return mk((R)0, (R)0);
            } else if (im == (R)0 || !isfinite(im)) {
                if (isinf(im)) im = (R)NAN;
                return mk(re, im);
            }
        } else if (isnan(re) && im == (R)0) {
            return a;
        }
        return from_polar(::exp(re), im);
    }
    static __device__ __forceinline__ C ln(C a) { return mk(::log(norm(a)), ::atan2(a.im, a.re)); }
    static __device__ __forceinline__ C sqrt(C a) {
        // num_complex's algorithm, case for case.
        if (a.im == (R)0) {
            if (!signbit(a.re)) return mk(::sqrt(a.re), a.im);
            R s = ::sqrt(-a.re);
            return signbit(a.im) ? mk((R)0, -s) : mk((R)0, s);
        }
        if (a.re == (R)0) {
            R x = ::sqrt(::fabs(a.im) / (R)2);
            return signbit(a.im) ? mk(x, -x) : mk(x, x);
        }
        return from_polar(::sqrt(norm(a)), ::atan2(a.im, a.re) / (R)2);
    }
    static __device__ __forceinline__ C sin(C a) {
        return mk(::sin(a.re) * ::cosh(a.im), ::cos(a.re) * ::sinh(a.im));
    }
    static __device__ __forceinline__ C cos(C a) {
        return mk(::cos(a.re) * ::cosh(a.im), -::sin(a.re) * ::sinh(a.im));
    }
    static __device__ __forceinline__ C tanh(C a) {
        R tr = a.re + a.re, ti = a.im + a.im;
        R d = ::cosh(tr) + ::cos(ti);
        return mk(::sinh(tr) / d, ::sin(ti) / d);
    }
    static __device__ __forceinline__ C recip(C a) { return div(mk((R)1, (R)0), a); }
    static __device__ __forceinline__ C pow(C a, C e) {
        if (a.re == (R)0 && a.im == (R)0) {
            if (e.re == (R)0 && e.im == (R)0) return mk((R)1, (R)0);
            if (e.re > (R)0) return a;
            R nan = (R)NAN;
            return mk(nan, nan);
        }
        if (e.re == (R)0 && e.im == (R)0) return mk((R)1, (R)0); // num_complex's powc
        return exp(mul(e, ln(a)));
    }
};
typedef ComplexOps<c64, float> Cf;
typedef ComplexOps<c128, double> Cd;

// ---------------------------------------------------------------------------
// Per-type traits: the compute type (`V`) and its load/store.

template <typename T> struct Ty;

#define INT_TY(T, S, U, SIGNED)                                               \
    template <> struct Ty<T> {                                                \
        typedef T V;                                                          \
        typedef U Unsigned;                                                   \
        static const bool is_int = true, is_signed = SIGNED, is_float = false, \
                          is_complex = false, is_bool = false;                \
        static __device__ __forceinline__ V ld(T x) { return x; }             \
        static __device__ __forceinline__ T st(V x) { return x; }             \
        static __device__ __forceinline__ T lowest() { return S##_LOWEST; }   \
        static __device__ __forceinline__ T highest() { return S##_HIGHEST; } \
    };
#define u8_LOWEST 0
#define u8_HIGHEST 255
#define u16_LOWEST 0
#define u16_HIGHEST 65535
#define u32_LOWEST 0u
#define u32_HIGHEST 4294967295u
#define u64_LOWEST 0ull
#define u64_HIGHEST 18446744073709551615ull
#define i8_LOWEST (-128)
#define i8_HIGHEST 127
#define i16_LOWEST (-32768)
#define i16_HIGHEST 32767
#define i32_LOWEST (-2147483647 - 1)
#define i32_HIGHEST 2147483647
#define i64_LOWEST (-9223372036854775807ll - 1)
#define i64_HIGHEST 9223372036854775807ll
INT_TY(u8, u8, u8, false)
INT_TY(u16, u16, u16, false)
INT_TY(u32, u32, u32, false)
INT_TY(u64, u64, u64, false)
INT_TY(i8, i8, u8, true)
INT_TY(i16, i16, u16, true)
INT_TY(i32, i32, u32, true)
INT_TY(i64, i64, u64, true)

template <> struct Ty<b8> {
    typedef u8 V;
    static const bool is_int = false, is_signed = false, is_float = false, is_complex = false,
                      is_bool = true;
    static __device__ __forceinline__ V ld(b8 x) { return x.v != 0; }
    static __device__ __forceinline__ b8 st(V x) { b8 b; b.v = x != 0; return b; }
};
template <> struct Ty<float> {
    typedef float V;
    static const bool is_int = false, is_signed = true, is_float = true, is_complex = false,
                      is_bool = false;
    static __device__ __forceinline__ V ld(float x) { return x; }
    static __device__ __forceinline__ float st(V x) { return x; }
};
template <> struct Ty<double> {
    typedef double V;
    static const bool is_int = false, is_signed = true, is_float = true, is_complex = false,
                      is_bool = false;
    static __device__ __forceinline__ V ld(double x) { return x; }
    static __device__ __forceinline__ double st(V x) { return x; }
};
template <> struct Ty<f16> {
    typedef float V;
    static const bool is_int = false, is_signed = true, is_float = true, is_complex = false,
                      is_bool = false;
    static __device__ __forceinline__ V ld(f16 x) { return f16_to_f32(x.bits); }
    static __device__ __forceinline__ f16 st(V x) { f16 h; h.bits = f32_to_f16(x); return h; }
};
template <> struct Ty<bf16> {
    typedef float V;
    static const bool is_int = false, is_signed = true, is_float = true, is_complex = false,
                      is_bool = false;
    static __device__ __forceinline__ V ld(bf16 x) { return bf16_to_f32(x.bits); }
    static __device__ __forceinline__ bf16 st(V x) { bf16 h; h.bits = f32_to_bf16(x); return h; }
};
template <> struct Ty<c64> {
    typedef c64 V;
    typedef float Real;
    typedef Cf Ops;
    static const bool is_int = false, is_signed = true, is_float = false, is_complex = true,
                      is_bool = false;
    static __device__ __forceinline__ V ld(c64 x) { return x; }
    static __device__ __forceinline__ c64 st(V x) { return x; }
};
template <> struct Ty<c128> {
    typedef c128 V;
    typedef double Real;
    typedef Cd Ops;
    static const bool is_int = false, is_signed = true, is_float = false, is_complex = true,
                      is_bool = false;
    static __device__ __forceinline__ V ld(c128 x) { return x; }
    static __device__ __forceinline__ c128 st(V x) { return x; }
};

// Whether a 16-bit float type (its bits pass through sign-only ops).
template <typename T> struct IsHalf { static const bool value = false; };
template <> struct IsHalf<f16> { static const bool value = true; };
template <> struct IsHalf<bf16> { static const bool value = true; };

// Every dtype, for the X-macros that instantiate one extern "C" entry each.
#define FOR_ALL_TYPES(X) \
    X(b8, bool) X(u8, u8) X(u16, u16) X(u32, u32) X(u64, u64) X(i8, i8) X(i16, i16) \
    X(i32, i32) X(i64, i64) X(f16, f16) X(bf16, bf16) X(float, f32) X(double, f64) \
    X(c64, c64) X(c128, c128)
#define FOR_NUMERIC_TYPES(X) \
    X(u8, u8) X(u16, u16) X(u32, u32) X(u64, u64) X(i8, i8) X(i16, i16) \
    X(i32, i32) X(i64, i64) X(f16, f16) X(bf16, bf16) X(float, f32) X(double, f64) \
    X(c64, c64) X(c128, c128)
#define FOR_REAL_TYPES(X) \
    X(u8, u8) X(u16, u16) X(u32, u32) X(u64, u64) X(i8, i8) X(i16, i16) \
    X(i32, i32) X(i64, i64) X(f16, f16) X(bf16, bf16) X(float, f32) X(double, f64)
#define FOR_INT_TYPES(X) \
    X(u8, u8) X(u16, u16) X(u32, u32) X(u64, u64) X(i8, i8) X(i16, i16) X(i32, i32) X(i64, i64)
#define FOR_FLOAT_TYPES(X) X(f16, f16) X(bf16, bf16) X(float, f32) X(double, f64)
#define FOR_SIZES(X) X(u8, 1) X(u16, 2) X(u32, 4) X(u64, 8) X(v16, 16)
