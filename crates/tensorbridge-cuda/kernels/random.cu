// Core's random numbers (src/random.rs of tensorbridge-core), bit for bit:
// Philox4x32-10 with the same counter/key mapping, the same conversions and
// core's own log/sincos polynomials. Compiled with --fmad=false, so every
// multiply and add rounds separately, as in Rust.
// One thread per Philox block; block b = first_block + thread index.

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

struct Words { u32 w[4]; };

__device__ __forceinline__ Words philox(u64 block, u32 k0, u32 k1) {
    u32 c0 = (u32)block, c1 = (u32)(block >> 32), c2 = 0, c3 = 0;
    for (int round = 0; round < 10; ++round) {
        if (round > 0) { k0 += PHILOX_W0; k1 += PHILOX_W1; }
        u64 p0 = (u64)PHILOX_M0 * c0;
        u64 p1 = (u64)PHILOX_M1 * c2;
        u32 n0 = (u32)(p1 >> 32) ^ c1 ^ k0;
        u32 n1 = (u32)p1;
        u32 n2 = (u32)(p0 >> 32) ^ c3 ^ k1;
        u32 n3 = (u32)p0;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    }
    Words r;
    r.w[0] = c0; r.w[1] = c1; r.w[2] = c2; r.w[3] = c3;
    return r;
}

#define TWO_POW_M24 (1.0f / 16777216.0f)
#define TWO_POW_M53 (1.0 / 9007199254740992.0)

__device__ __forceinline__ float ln_f32(float x) {
    const float SQRT_HALF = 0.70710678118654752440f;
    u32 bits = __float_as_uint(x);
    i32 e = (i32)(bits >> 23) - 126;
    float m = __uint_as_float((bits & 0x007fffffu) | 0x3f000000u);
    bool small = m < SQRT_HALF;
    float ef = (float)(e - (small ? 1 : 0));
    m = (small ? m + m : m) - 1.0f;
    float z = m * m;
    float y = 7.0376836e-2f;
    y = y * m - 1.1514610e-1f;
    y = y * m + 1.1676999e-1f;
    y = y * m - 1.2420141e-1f;
    y = y * m + 1.4249323e-1f;
    y = y * m - 1.6668058e-1f;
    y = y * m + 2.0000715e-1f;
    y = y * m - 2.4999994e-1f;
    y = y * m + 3.3333331e-1f;
    y = y * m * z;
    y += -2.1219444e-4f * ef;
    y += -0.5f * z;
    return (m + y) + 0.6933594f * ef;
}

__device__ __forceinline__ void sincos_turns_f32(u32 t, float* sn, float* cs) {
    u32 k = (t + (1u << 21)) >> 22;
    i32 rem = (i32)t - (i32)(k << 22);
    float x = (float)rem * (3.14159265358979323846f / 8388608.0f);
    float z = x * x;
    float s = ((-1.9515296e-4f * z + 8.3321609e-3f) * z - 1.6666655e-1f) * z * x + x;
    float c = ((2.4433157e-5f * z - 1.3887316e-3f) * z + 4.1666646e-2f) * z * z
              - 0.5f * z + 1.0f;
    u32 q = k & 3;
    if (q & 1) { float tmp = s; s = c; c = tmp; }
    u32 neg_s = (q & 2) << 30;
    u32 neg_c = ((q + 1) & 2) << 30;
    *sn = __uint_as_float(__float_as_uint(s) ^ neg_s);
    *cs = __uint_as_float(__float_as_uint(c) ^ neg_c);
}

__device__ __forceinline__ double ln_f64(double x) {
    const double LN2_HI = 6.93147180369123816490e-1;
    const double LN2_LO = 1.90821492927058770002e-10;
    const double LG1 = 6.666666666666735130e-1;
    const double LG2 = 3.999999999940941908e-1;
    const double LG3 = 2.857142874366239149e-1;
    const double LG4 = 2.222219843214978396e-1;
    const double LG5 = 1.818357216161805012e-1;
    const double LG6 = 1.531383769920937332e-1;
    const double LG7 = 1.479819860511658591e-1;
    u64 bits = (u64)__double_as_longlong(x);
    u32 hx = (u32)(bits >> 32) + (0x3ff00000u - 0x3fe6a09eu);
    i32 k = (i32)(hx >> 20) - 0x3ff;
    hx = (hx & 0x000fffffu) + 0x3fe6a09eu;
    double xr = __longlong_as_double((long long)(((u64)hx << 32) | (bits & 0xffffffffull)));
    double f = xr - 1.0;
    double hfsq = 0.5 * f * f;
    double s = f / (2.0 + f);
    double z = s * s;
    double w = z * z;
    double t1 = w * (LG2 + w * (LG4 + w * LG6));
    double t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    double r = t2 + t1;
    double dk = (double)k;
    return s * (hfsq + r) + dk * LN2_LO - hfsq + f + dk * LN2_HI;
}

__device__ __forceinline__ void sincos_turns_f64(u64 t, double* sn, double* cs) {
    const double S1 = -1.66666666666666324348e-1;
    const double S2 = 8.33333333332248946124e-3;
    const double S3 = -1.98412698298579493134e-4;
    const double S4 = 2.75573137070700676789e-6;
    const double S5 = -2.50507602534068634195e-8;
    const double S6 = 1.58969099521155010221e-10;
    const double C1 = 4.16666666666666019037e-2;
    const double C2 = -1.38888888888741095749e-3;
    const double C3 = 2.48015872894767294178e-5;
    const double C4 = -2.75573143513906633035e-7;
    const double C5 = 2.08757232129817482790e-9;
    const double C6 = -1.13596475577881948265e-11;
    u64 k = (t + (1ull << 50)) >> 51;
    i64 rem = (i64)t - (i64)(k << 51);
    double x = (double)rem * (3.14159265358979323846 / 4503599627370496.0);
    double z = x * x;
    double w = z * z;
    double r = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6);
    double s = x + z * x * (S1 + z * r);
    r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
    double hz = 0.5 * z;
    double one_minus = 1.0 - hz;
    double c = one_minus + (((1.0 - one_minus) - hz) + z * r);
    u64 q = k & 3;
    if (q & 1) { double tmp = s; s = c; c = tmp; }
    u64 neg_s = ((q & 2) >> 1) << 63;
    u64 neg_c = (((q + 1) & 2) >> 1) << 63;
    *sn = __longlong_as_double((long long)((u64)__double_as_longlong(s) ^ neg_s));
    *cs = __longlong_as_double((long long)((u64)__double_as_longlong(c) ^ neg_c));
}

// f64 -> T with one correct rounding (T::from_f64 in core).
template <typename T> __device__ __forceinline__ T narrow_from_f64(double v) {
    if constexpr (IsHalf<T>::value) return Ty<T>::st(f64_to_f32_round_odd(v));
    else return (T)v;
}

template <typename T>
__device__ void normal_narrow(T* out, u64 n, u32 k0, u32 k1, u64 first_block, float mean, float std_) {
    u64 blocks = (n + 3) / 4;
    GRID_LOOP(b, blocks) {
        Words w = philox(first_block + b, k0, k1);
        float z[4];
        for (int h = 0; h < 2; ++h) {
            float u1 = (float)(i32)((w.w[2 * h] >> 8) + 1) * TWO_POW_M24;
            float r = sqrtf(-2.0f * ln_f32(u1));
            float s, c;
            sincos_turns_f32(w.w[2 * h + 1] >> 8, &s, &c);
            z[2 * h] = mean + std_ * (r * c);
            z[2 * h + 1] = mean + std_ * (r * s);
        }
        for (int j = 0; j < 4; ++j) {
            u64 i = b * 4 + j;
            if (i < n) {
                if constexpr (IsHalf<T>::value) out[i] = Ty<T>::st(z[j]);
                else out[i] = z[j];
            }
        }
    }
}

extern "C" __global__ void normal_f64(double* out, u64 n, u32 k0, u32 k1, u64 first_block,
                                      double mean, double std_) {
    u64 blocks = (n + 1) / 2;
    GRID_LOOP(b, blocks) {
        Words w = philox(first_block + b, k0, k1);
        u64 a = ((u64)w.w[0] << 32) | w.w[1];
        u64 bb = ((u64)w.w[2] << 32) | w.w[3];
        double u1 = (double)((a >> 11) + 1) * TWO_POW_M53;
        double r = sqrt(-2.0 * ln_f64(u1));
        double s, c;
        sincos_turns_f64(bb >> 11, &s, &c);
        u64 i = b * 2;
        if (i < n) out[i] = mean + std_ * (r * c);
        if (i + 1 < n) out[i + 1] = mean + std_ * (r * s);
    }
}

template <typename T>
__device__ void uniform_narrow(T* out, u64 n, u32 k0, u32 k1, u64 first_block, double minval,
                               double scale, double lo, double hi) {
    u64 blocks = (n + 3) / 4;
    GRID_LOOP(b, blocks) {
        Words w = philox(first_block + b, k0, k1);
        for (int j = 0; j < 4; ++j) {
            u64 i = b * 4 + j;
            if (i >= n) break;
            double u = (double)(w.w[j] >> 8) * (double)TWO_POW_M24;
            double v = fmin(fmax(minval + u * scale, lo), hi);
            out[i] = narrow_from_f64<T>(v);
        }
    }
}

extern "C" __global__ void uniform_f64(double* out, u64 n, u32 k0, u32 k1, u64 first_block,
                                       double minval, double scale, double hi) {
    u64 blocks = (n + 1) / 2;
    GRID_LOOP(b, blocks) {
        Words w = philox(first_block + b, k0, k1);
        for (int h = 0; h < 2; ++h) {
            u64 i = b * 2 + h;
            if (i >= n) break;
            u64 bits = ((u64)w.w[2 * h] << 32) | w.w[2 * h + 1];
            double u = (double)(bits >> 11) * TWO_POW_M53;
            out[i] = fmin(fmax(minval + u * scale, minval), hi);
        }
    }
}

// Integers with maxval - minval <= 2^32: two draws per block.
template <typename T>
__device__ void uniform_int64(T* out, u64 n, u32 k0, u32 k1, u64 first_block, u64 lo, u64 range) {
    u64 blocks = (n + 1) / 2;
    GRID_LOOP(b, blocks) {
        Words w = philox(first_block + b, k0, k1);
        for (int h = 0; h < 2; ++h) {
            u64 i = b * 2 + h;
            if (i >= n) break;
            u64 x = ((u64)w.w[2 * h] << 32) | w.w[2 * h + 1];
            u64 draw = __umul64hi(x, range);
            out[i] = (T)(lo + draw);
        }
    }
}

// 64-bit integers with wider ranges: one draw per block from all 128 bits;
// `full` means range == 2^64.
template <typename T>
__device__ void uniform_int128(T* out, u64 n, u32 k0, u32 k1, u64 first_block, u64 lo, u64 range,
                               u32 full) {
    GRID_LOOP(b, n) {
        Words w = philox(first_block + b, k0, k1);
        u64 hi64 = ((u64)w.w[0] << 32) | w.w[1];
        u64 lo64 = ((u64)w.w[2] << 32) | w.w[3];
        u64 draw;
        if (full) {
            draw = hi64;
        } else {
            // floor((hi64 * 2^64 + lo64) * range / 2^128)
            u64 a_lo = hi64 * range, a_hi = __umul64hi(hi64, range);
            u64 bpart = __umul64hi(lo64, range);
            u64 sum_lo = a_lo + bpart;
            draw = a_hi + (sum_lo < bpart ? 1 : 0);
        }
        out[b] = (T)(lo + draw);
    }
}

#define NORMAL(T, NAME)                                                                      \
    extern "C" __global__ void normal_##NAME(T* out, u64 n, u32 k0, u32 k1, u64 first_block,  \
                                             float mean, float std_) {                        \
        normal_narrow<T>(out, n, k0, k1, first_block, mean, std_);                            \
    }                                                                                         \
    extern "C" __global__ void uniform_##NAME(T* out, u64 n, u32 k0, u32 k1, u64 first_block, \
                                              double minval, double scale, double lo, double hi) { \
        uniform_narrow<T>(out, n, k0, k1, first_block, minval, scale, lo, hi);                \
    }
NORMAL(f16, f16)
NORMAL(bf16, bf16)
NORMAL(float, f32)

#define UNIFORM_INT(T, NAME)                                                                 \
    extern "C" __global__ void uniform_int64_##NAME(T* out, u64 n, u32 k0, u32 k1,           \
                                                    u64 first_block, u64 lo, u64 range) {    \
        uniform_int64<T>(out, n, k0, k1, first_block, lo, range);                            \
    }                                                                                        \
    extern "C" __global__ void uniform_int128_##NAME(T* out, u64 n, u32 k0, u32 k1,          \
                                                     u64 first_block, u64 lo, u64 range,     \
                                                     u32 full) {                             \
        uniform_int128<T>(out, n, k0, k1, first_block, lo, range, full);                     \
    }
FOR_INT_TYPES(UNIFORM_INT)
