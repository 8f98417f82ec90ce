// The per-element functions of the elementwise ops: binary, unary, cast
// and where on one element each. Shared by elementwise.cu (one kernel per
// op and type) and by the fused kernels that src/fused.rs generates (a
// chain of ops per element), so both compute every op with the same code.
// The backend prepends this file (after prelude.cuh) to both. Op codes
// follow the declaration order of BinaryOp/UnaryOp in src/ops.rs.

// ---- binary ----------------------------------------------------------------

enum BinOp {
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_REM, OP_POW, OP_MAXIMUM, OP_MINIMUM,
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_AND, OP_OR, OP_XOR
};

template <typename T> __device__ __forceinline__ T int_binary(u32 op, T x, T y, u64 i, u64* err) {
    typedef typename Ty<T>::Unsigned U;
    const bool S = Ty<T>::is_signed;
    switch (op) {
    case OP_ADD: return (T)((U)x + (U)y);
    case OP_SUB: return (T)((U)x - (U)y);
    case OP_MUL: return (T)((U)x * (U)y);
    case OP_DIV: {
        if (y == 0) { flag_error(err, i); return 0; }
        if (S && y == (T)-1) return (T)((U)0 - (U)x); // wraps for MIN / -1
        T q = x / y;
        if (S && (x % y) != 0 && ((x < 0) != (y < 0))) q = (T)((U)q - (U)1);
        return q;
    }
    case OP_REM: {
        if (y == 0) { flag_error(err, i); return 0; }
        if (S && y == (T)-1) return 0;
        T r = x % y;
        if (S && r != 0 && ((r < 0) != (y < 0))) r = (T)((U)r + (U)y);
        return r;
    }
    case OP_POW: {
        if (S && y < 0) { flag_error(err, i); return 0; }
        u64 e = (u64)y;
        U base = (U)x, acc = 1;
        while (e > 0) {
            if (e & 1) acc = (U)(acc * base);
            base = (U)(base * base);
            e >>= 1;
        }
        return (T)acc;
    }
    case OP_MAXIMUM: return y > x ? y : x;
    case OP_MINIMUM: return y < x ? y : x;
    }
    return 0;
}

template <typename V> __device__ __forceinline__ V float_binary(u32 op, V x, V y) {
    switch (op) {
    case OP_ADD: return x + y;
    case OP_SUB: return x - y;
    case OP_MUL: return x * y;
    case OP_DIV: return x / y;
    case OP_REM: {
        V r = fmod(x, y);
        if (r != (V)0 && ((r < (V)0) != (y < (V)0))) r = r + y;
        return r;
    }
    case OP_POW: return pow(x, y);
    case OP_MAXIMUM: return (isnan(x) || isnan(y)) ? (V)NAN : (y > x ? y : x);
    case OP_MINIMUM: return (isnan(x) || isnan(y)) ? (V)NAN : (y < x ? y : x);
    }
    return (V)0;
}

template <typename C> __device__ __forceinline__ C complex_binary(u32 op, C x, C y) {
    typedef typename Ty<C>::Ops O;
    switch (op) {
    case OP_ADD: return O::add(x, y);
    case OP_SUB: return O::sub(x, y);
    case OP_MUL: return O::mul(x, y);
    case OP_DIV: return O::div(x, y);
    case OP_POW: return O::pow(x, y);
    }
    return x;
}

template <typename V> __device__ __forceinline__ bool compare_real(u32 op, V x, V y) {
    switch (op) {
    case OP_EQ: return x == y;
    case OP_NE: return x != y;
    case OP_LT: return x < y;
    case OP_LE: return x <= y;
    case OP_GT: return x > y;
    case OP_GE: return x >= y;
    }
    return false;
}

// ---- unary -----------------------------------------------------------------

enum UnOp {
    U_NEG, U_ABS, U_SIGN, U_EXP, U_LOG, U_SQRT, U_RSQRT, U_SIN, U_COS, U_TANH, U_SIGMOID,
    U_RELU, U_FLOOR, U_CEIL, U_ROUND, U_NOT
};

template <typename V> __device__ __forceinline__ V float_unary(u32 op, V x) {
    switch (op) {
    case U_NEG: return -x;
    case U_ABS: return fabs(x);
    case U_SIGN: return x > (V)0 ? (V)1 : (x < (V)0 ? (V)-1 : x);
    case U_EXP: return exp(x);
    case U_LOG: return log(x);
    case U_SQRT: return sqrt(x);
    case U_RSQRT: return (V)1 / sqrt(x);
    case U_SIN: return sin(x);
    case U_COS: return cos(x);
    case U_TANH: return tanh(x);
    case U_SIGMOID: return (V)1 / ((V)1 + exp(-x));
    case U_RELU: return x < (V)0 ? (V)0 : x;
    case U_FLOOR: return floor(x);
    case U_CEIL: return ceil(x);
    case U_ROUND: return rint(x);
    }
    return x;
}

template <typename T> __device__ __forceinline__ T int_unary(u32 op, T x) {
    typedef typename Ty<T>::Unsigned U;
    switch (op) {
    case U_NEG: return (T)((U)0 - (U)x);
    case U_ABS: return x < 0 ? (T)((U)0 - (U)x) : x;
    case U_SIGN: return x > 0 ? (T)1 : (x < 0 ? (T)-1 : (T)0);
    case U_RELU: return x < 0 ? (T)0 : x;
    }
    return x; // floor, ceil, round: integers unchanged
}

template <typename C> __device__ __forceinline__ C complex_unary(u32 op, C x) {
    typedef typename Ty<C>::Ops O;
    typedef typename Ty<C>::Real R;
    switch (op) {
    case U_NEG: return O::neg(x);
    case U_SIGN: {
        R n = O::norm(x);
        return n == (R)0 ? x : mk(x.re / n, x.im / n);
    }
    case U_EXP: return O::exp(x);
    case U_LOG: return O::ln(x);
    case U_SQRT: return O::sqrt(x);
    case U_RSQRT: return O::recip(O::sqrt(x));
    case U_SIN: return O::sin(x);
    case U_COS: return O::cos(x);
    case U_TANH: return O::tanh(x);
    case U_SIGMOID: return O::recip(O::add(mk((R)1, (R)0), O::exp(O::neg(x))));
    }
    return x;
}

// ---- cast (core's cast.rs) ------------------------------------------------

// core's Repr: Bool, Int (as a sign and 64-bit two's complement bits; the
// value is `neg ? (i64)bits : bits`), Float (f64), Complex (two f64).
enum ReprKind { R_BOOL, R_INT, R_FLOAT, R_COMPLEX };
struct Repr {
    u32 kind;
    bool neg;   // Int: the value is negative (bits are its two's complement)
    u64 bits;   // Int bits; Bool: 0 or 1
    double re, im;
};

template <typename T> __device__ __forceinline__ Repr to_repr(T x) {
    typedef Ty<T> K;
    Repr r;
    r.neg = false;
    r.bits = 0;
    r.re = 0.0;
    r.im = 0.0;
    if constexpr (K::is_bool) { r.kind = R_BOOL; r.bits = x.v != 0; }
    else if constexpr (K::is_int) {
        r.kind = R_INT;
        if constexpr (K::is_signed) { i64 v = (i64)x; r.neg = v < 0; r.bits = (u64)v; }
        else { r.bits = (u64)x; }
    } else if constexpr (K::is_complex) { r.kind = R_COMPLEX; r.re = (double)x.re; r.im = (double)x.im; }
    else { r.kind = R_FLOAT; r.re = (double)K::ld(x); }
    return r;
}

// Float -> integer: truncate toward zero, saturate, NaN -> 0 (Rust's `as`).
template <typename T> __device__ __forceinline__ T sat_cast(double f) {
    if (isnan(f)) return (T)0;
    double lo = (double)Ty<T>::lowest(), hi = (double)Ty<T>::highest();
    if (f <= lo) return Ty<T>::lowest();
    if (f >= hi) return Ty<T>::highest();
    return (T)trunc(f);
}

// The integer value as f32/f64/complex parts, rounded once.
__device__ __forceinline__ double int_to_f64(const Repr& r) {
    return r.neg ? (double)(i64)r.bits : (double)r.bits;
}
__device__ __forceinline__ float int_to_f32(const Repr& r) {
    return r.neg ? (float)(i64)r.bits : (float)r.bits;
}

template <typename T> __device__ __forceinline__ T from_repr(const Repr& r) {
    typedef Ty<T> K;
    if constexpr (K::is_bool) {
        bool v = r.kind == R_BOOL ? r.bits != 0
               : r.kind == R_INT ? r.bits != 0
               : r.kind == R_FLOAT ? r.re != 0.0
               : (r.re != 0.0 || r.im != 0.0);
        return K::st(v);
    } else if constexpr (K::is_int) {
        if (r.kind == R_BOOL || r.kind == R_INT) return (T)r.bits; // wraps
        return sat_cast<T>(r.re);
    } else if constexpr (K::is_complex) {
        typedef typename K::Real R;
        if (r.kind == R_BOOL) return mk((R)r.bits, (R)0);
        if (r.kind == R_INT) {
            if constexpr (sizeof(R) == 4) return mk(int_to_f32(r), 0.0f);
            else return mk(int_to_f64(r), 0.0);
        }
        if (r.kind == R_FLOAT) return mk((R)r.re, (R)0);
        return mk((R)r.re, (R)r.im);
    } else if constexpr (IsHalf<T>::value) {
        if (r.kind == R_BOOL) return K::st(r.bits ? 1.0f : 0.0f);
        if (r.kind == R_INT) {
            u64 mag = r.neg ? (u64)0 - r.bits : r.bits;
            return K::st(int_to_f32_round_odd(mag, r.neg));
        }
        return K::st(f64_to_f32_round_odd(r.re));
    } else {
        typedef typename K::V V;
        if (r.kind == R_BOOL) return (T)(r.bits ? 1 : 0);
        if (r.kind == R_INT) {
            if constexpr (sizeof(V) == 4) return int_to_f32(r);
            else return int_to_f64(r);
        }
        return (T)r.re;
    }
}


// ---- one element of each op ------------------------------------------------

// A comparison (OP_EQ..OP_GE) of two elements of type T.
template <typename T> __device__ __forceinline__ b8 binary_compare(u32 op, T xa, T xb) {
    typedef Ty<T> K;
    bool r;
    if constexpr (K::is_complex) {
        bool eq = xa.re == xb.re && xa.im == xb.im;
        r = op == OP_EQ ? eq : !eq;
    } else {
        r = compare_real(op, K::ld(xa), K::ld(xb));
    }
    b8 out;
    out.v = r;
    return out;
}

// Any other binary op (arithmetic; for bool the logical ops) on two
// elements of type T: a T. `i` is the output position an integer division
// by zero or negative power reports through `err`.
template <typename T>
__device__ __forceinline__ T binary_arith(u32 op, T xa, T xb, u64 i, u64* err) {
    typedef Ty<T> K;
    if constexpr (K::is_bool) {
        u8 x = K::ld(xa), y = K::ld(xb);
        b8 r;
        r.v = op == OP_AND ? (x & y) : op == OP_OR ? (x | y) : (x ^ y);
        return r;
    } else if constexpr (K::is_int) {
        return int_binary<T>(op, xa, xb, i, err);
    } else if constexpr (K::is_complex) {
        return complex_binary<T>(op, xa, xb);
    } else {
        return K::st(float_binary<typename K::V>(op, K::ld(xa), K::ld(xb)));
    }
}

// A unary op other than the abs of a complex number (complex_abs) on one
// element of type T: a T.
template <typename T> __device__ __forceinline__ T unary_elem(u32 op, T x) {
    typedef Ty<T> K;
    if constexpr (K::is_bool) {
        return K::st(!K::ld(x));
    } else if constexpr (K::is_int) {
        return int_unary<T>(op, x);
    } else if constexpr (K::is_complex) {
        return complex_unary<T>(op, x);
    } else if constexpr (IsHalf<T>::value) {
        // Sign-only ops work on the bits (as half's Neg and core's abs);
        // relu keeps x itself.
        T r = x;
        if (op == U_NEG) r.bits = x.bits ^ 0x8000;
        else if (op == U_ABS) r.bits = x.bits & 0x7fff;
        else if (op == U_RELU) { if (K::ld(x) < 0.0f) r.bits = 0; }
        else r = K::st(float_unary<float>(op, K::ld(x)));
        return r;
    } else {
        return float_unary<T>(op, x);
    }
}

// The abs of a complex element: its real type.
template <typename T> __device__ __forceinline__ typename Ty<T>::Real complex_abs(T x) {
    return Ty<T>::Ops::norm(x);
}

// One element of type F cast to type T with core's rules.
template <typename F, typename T> __device__ __forceinline__ T cast_elem(F x) {
    return from_repr<T>(to_repr<F>(x));
}

// where: `c ? a : b`.
template <typename T> __device__ __forceinline__ T where_elem(b8 c, T a, T b) {
    return c.v ? a : b;
}
