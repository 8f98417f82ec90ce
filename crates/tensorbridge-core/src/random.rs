//! Random tensors: [`normal`] (`tf.random.normal`) and [`uniform`]
//! (`tf.random.uniform`), reproducible to the bit.
//!
//! The generator is Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel
//! random numbers: as easy as 1, 2, 3", SC'11), a counter-based generator:
//! block `b` of random bits is `philox4x32_10([b mod 2^32, b / 2^32, 0, 0],
//! [seed mod 2^32, seed / 2^32])`, four 32-bit words that depend on nothing
//! but the seed and `b`. Element `i` of the output takes its bits from block
//! `i / k` (lane `i % k`), where `k` is the number of elements a block
//! makes (below). So the same seed gives the same tensor on every run, on
//! every thread count and on every platform, and any range of elements can
//! be generated on its own: large outputs are filled on all cores (feature
//! `parallel`) and the chunking never shows in the values. The arithmetic
//! after Philox is plain IEEE-754 (no fused multiply-add, no platform `libm`:
//! logarithm, sine and cosine are polynomials written here), so the bits do
//! not depend on the platform either.
//!
//! Random tensors are always eager: in graph mode a random tensor enters a
//! graph as a constant ([`Graph::constant`](crate::graph::Graph::constant)),
//! drawn once when it is made, not at every run of the graph.
//!
//! What each block makes (words `w0..w3`):
//!
//! | dtype | elements per block | how |
//! |-------|--------------------|-----|
//! | normal f32, f16, bf16 | 4 | Box–Muller on `(w0, w1)` → elements 0, 1 and on `(w2, w3)` → 2, 3, in f32 |
//! | normal f64 | 2 | Box–Muller on `(w0:w1, w2:w3)` (53 bits each), in f64 |
//! | uniform f32, f16, bf16 | 4 | 24 bits of each word |
//! | uniform f64 | 2 | 53 bits of `w0:w1` and of `w2:w3` |
//! | uniform integers, `maxval - minval <= 2^32` | 2 | `w0:w1` and `w2:w3` as 64-bit fractions |
//! | uniform 64-bit integers, wider ranges | 1 | all 128 bits as one fraction |
//!
//! ```
//! use tensorbridge_core::{random, DType};
//!
//! let x = random::normal([3, 256, 256, 3], 0.0, 1.0, DType::F32, Some(42))?;
//! assert_eq!(x.dims(), [3, 256, 256, 3]);
//! let y = random::normal([3, 256, 256, 3], 0.0, 1.0, DType::F32, Some(42))?;
//! assert_eq!(x.to_vec::<f32>()?, y.to_vec::<f32>()?);   // same seed, same bits
//! # Ok::<(), tensorbridge_core::Error>(())
//! ```
#![expect(
    unsafe_code,
    reason = "calling the AVX2 build of the generator after detecting AVX2 at runtime"
)]

use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use half::{bf16, f16};

use crate::element::{Element, private::Sealed};
use crate::storage::CpuStorage;
use crate::{DType, Device, Error, Result, Shape, Tensor, alloc};

/// Philox multiplier for word 0 (Random123's `PHILOX_M4x32_0`).
const M0: u32 = 0xD251_1F53;
/// Philox multiplier for word 2 (`PHILOX_M4x32_1`).
const M1: u32 = 0xCD9E_8D57;
/// Weyl increment of key word 0 (`PHILOX_W32_0`, the golden ratio).
const W0: u32 = 0x9E37_79B9;
/// Weyl increment of key word 1 (`PHILOX_W32_1`, sqrt(3) - 1).
const W1: u32 = 0xBB67_AE85;

/// Philox blocks generated together, lane by lane, so that the rounds and
/// the transforms after them run on SIMD registers.
const LANES: usize = 64;

/// The four output words of [`LANES`] consecutive blocks, word by word.
type Words = [[u32; LANES]; 4];

/// 2^-24: the spacing of 24-bit uniforms.
const TWO_POW_M24: f32 = 1.0 / 16_777_216.0;
/// 2^-53: the spacing of 53-bit uniforms.
const TWO_POW_M53: f64 = 1.0 / 9_007_199_254_740_992.0;

/// The Philox4x32-10 block function: ten rounds of Philox on a 128-bit
/// counter under a 64-bit key, as published by Salmon et al. (SC'11) and
/// implemented in the Random123 library. Exposed so that other
/// implementations (a GPU kernel, another language) can be checked against
/// the one behind [`normal`] and [`uniform`].
///
/// ```
/// use tensorbridge_core::random::philox4x32_10;
///
/// // Random123's known-answer vectors (kat_vectors).
/// assert_eq!(philox4x32_10([0; 4], [0; 2]), [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
/// assert_eq!(
///     philox4x32_10([u32::MAX; 4], [u32::MAX; 2]),
///     [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
/// );
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = counter;
    let [mut k0, mut k1] = key;
    for round in 0..10 {
        if round > 0 {
            k0 = k0.wrapping_add(W0);
            k1 = k1.wrapping_add(W1);
        }
        c = philox_round(c, k0, k1);
    }
    c
}

/// One Philox round: two 32×32→64 multiplications, a swap and the key.
#[inline(always)]
fn philox_round(c: [u32; 4], k0: u32, k1: u32) -> [u32; 4] {
    let p0 = u64::from(M0) * u64::from(c[0]);
    let p1 = u64::from(M1) * u64::from(c[2]);
    [
        (p1 >> 32) as u32 ^ c[1] ^ k0,
        p1 as u32,
        (p0 >> 32) as u32 ^ c[3] ^ k1,
        p0 as u32,
    ]
}

/// [`philox4x32_10`] of blocks `first..first + LANES` (counter words 2 and
/// 3 zero). The ten rounds of a block run back to back on registers, and
/// the compiler vectorises across blocks.
#[inline(always)]
fn philox_batch(first: u64, key: [u32; 2], w: &mut Words) {
    let mut keys = [[0u32; 2]; 10];
    let [mut k0, mut k1] = key;
    for k in &mut keys {
        *k = [k0, k1];
        k0 = k0.wrapping_add(W0);
        k1 = k1.wrapping_add(W1);
    }
    let [w0, w1, w2, w3] = w;
    let lanes = w0
        .iter_mut()
        .zip(w1.iter_mut())
        .zip(w2.iter_mut().zip(w3.iter_mut()));
    for (i, ((o0, o1), (o2, o3))) in lanes.enumerate() {
        let b = first.wrapping_add(i as u64);
        let mut c = [b as u32, (b >> 32) as u32, 0, 0];
        for [k0, k1] in keys {
            c = philox_round(c, k0, k1);
        }
        [*o0, *o1, *o2, *o3] = c;
    }
}

/// A tensor of samples from the normal distribution N(`mean`, `std`²)
/// (`tf.random.normal`), made on the current device.
///
/// `dtype` is one of f16, bf16, f32 and f64. Samples come from Box–Muller
/// on pairs of uniforms; f32, f16 and bf16 are computed in f32 from 24-bit
/// uniforms (so |z| < 5.8, the largest radius Box–Muller reaches with them)
/// and rounded once; f64 in f64 from 53-bit uniforms (|z| < 8.6).
///
/// `seed: Some(s)` gives the same bits for `s` on every run, thread count
/// and platform (see the [module docs](self)). `seed: None` draws a fresh
/// seed for this call from the process's hash randomness, a counter and the
/// clock, so two calls differ; pass a seed whenever results must be
/// reproduced.
///
/// **Errors**: [`Error::InvalidArgument`] when `dtype` is not a float type,
/// when `mean` or `std` is NaN or infinite, when `std < 0`, or when either
/// lies outside the finite range of `dtype` (float16 ends at ±65504);
/// [`Error::ShapeOverflow`] for a shape whose size overflows;
/// [`Error::OutOfMemory`]; [`Error::DeviceUnavailable`] under a scope of an
/// unusable device.
///
/// ```
/// use tensorbridge_core::{random, DType};
///
/// let batch = random::normal([32, 28, 28, 1], 0.5, 2.0, DType::F64, Some(7))?;
/// assert_eq!(batch.dims(), [32, 28, 28, 1]);
/// let mean = batch.to_vec::<f64>()?.iter().sum::<f64>() / 25088.0;
/// assert!((mean - 0.5).abs() < 0.05);
/// assert!(random::normal([2], 0.0, -1.0, DType::F32, None).is_err()); // std < 0
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub fn normal(
    shape: impl Into<Shape>,
    mean: f64,
    std: f64,
    dtype: DType,
    seed: Option<u64>,
) -> Result<Tensor> {
    const OP: &str = "random::normal";
    let shape = shape.into();
    if !dtype.is_float() {
        return Err(Error::invalid(
            OP,
            format!(
                "dtype {dtype} is not supported: normal draws float16, bfloat16, float32 or \
                 float64 (draw floats and .cast() them if integers are meant)"
            ),
        ));
    }
    check_finite(OP, "mean", mean)?;
    check_finite(OP, "std", std)?;
    if std < 0.0 {
        return Err(Error::invalid(
            OP,
            format!("std = {} must be >= 0", num(std)),
        ));
    }
    #[cfg(feature = "cuda")]
    if let device @ Device::Cuda(_) = Device::current()
        && let Some(t) = crate::cuda::random_normal(device, &shape, mean, std, dtype, key_of(seed))?
    {
        return Ok(t);
    }
    let storage = match dtype {
        DType::F16 => normal_narrow::<f16>(OP, &shape, mean, std, seed)?,
        DType::BF16 => normal_narrow::<bf16>(OP, &shape, mean, std, seed)?,
        DType::F32 => normal_narrow::<f32>(OP, &shape, mean, std, seed)?,
        _ => {
            let n = prepare(OP, &shape, dtype)?;
            f64::into_storage(generate(n, key_of(seed), &NormalF64 { mean, std })?)
        }
    };
    // On the device of the scope: generated here and uploaded when the
    // device has no kernel for this dtype (the values are the same).
    Tensor::from_cpu_storage(storage, shape).on_current_device()
}

/// A tensor of samples from the uniform distribution on the half-open
/// interval [`minval`, `maxval`) (`tf.random.uniform`), made on the current
/// device.
///
/// - Float dtypes (f16, bf16, f32, f64): `minval + u * (maxval - minval)`
///   with `u` a uniform on [0, 1) of 24 bits (53 for f64), computed in f64
///   and rounded once; values that would round to `maxval` or beyond (or
///   below `minval`) are clamped to the dtype's nearest values inside the
///   interval, so every sample lies in [`minval`, `maxval`).
/// - Integer dtypes: every integer of [`minval`, `maxval`) with equal
///   probability (to within 2^-32 relative, from 64 random bits per sample,
///   or 128 bits for ranges wider than 2^32). The bounds must be whole
///   numbers; `maxval` may be one past the dtype's largest value
///   (`[0, 256)` for uint8). Bounds are `f64`, so 64-bit bounds beyond
///   2^53 are those an `f64` can hold.
///
/// `seed` works as in [`normal`]: `Some(s)` is reproducible to the bit on
/// every run, thread count and platform; `None` draws a fresh seed.
///
/// **Errors**: [`Error::InvalidArgument`] for bool and complex dtypes, for
/// NaN or infinite bounds, for `minval >= maxval`, for bounds outside the
/// dtype's range (or, for floats, an interval holding no value of the
/// dtype, or wider than f64 can measure), and for integer dtypes with
/// bounds that are not whole numbers; [`Error::ShapeOverflow`],
/// [`Error::OutOfMemory`], [`Error::DeviceUnavailable`].
///
/// ```
/// use tensorbridge_core::{random, DType};
///
/// let dice = random::uniform([1000], 1.0, 7.0, DType::U8, Some(3))?;
/// assert!(dice.to_vec::<u8>()?.iter().all(|&d| (1..=6).contains(&d)));
/// let u = random::uniform([2, 3], -1.0, 1.0, DType::F32, Some(3))?;
/// assert!(u.to_vec::<f32>()?.iter().all(|&x| (-1.0..1.0).contains(&x)));
/// assert!(random::uniform([4], 0.0, 2.5, DType::U8, None).is_err()); // not a whole number
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub fn uniform(
    shape: impl Into<Shape>,
    minval: f64,
    maxval: f64,
    dtype: DType,
    seed: Option<u64>,
) -> Result<Tensor> {
    const OP: &str = "random::uniform";
    let shape = shape.into();
    if dtype == DType::Bool || dtype.is_complex() {
        return Err(Error::invalid(
            OP,
            format!(
                "dtype {dtype} is not supported: uniform draws integers (uint8 to int64) or \
                 floats (float16, bfloat16, float32, float64)"
            ),
        ));
    }
    check_finite(OP, "minval", minval)?;
    check_finite(OP, "maxval", maxval)?;
    if minval >= maxval {
        return Err(Error::invalid(
            OP,
            format!(
                "minval = {} must be < maxval = {}: the interval [minval, maxval) is empty",
                num(minval),
                num(maxval)
            ),
        ));
    }
    #[cfg(feature = "cuda")]
    if let device @ Device::Cuda(_) = Device::current()
        && let Some(t) =
            crate::cuda::random_uniform(device, &shape, minval, maxval, dtype, key_of(seed))?
    {
        return Ok(t);
    }
    let (lo, hi) = (minval, maxval);
    let storage = match dtype {
        DType::F16 => uniform_narrow::<f16>(OP, &shape, lo, hi, seed)?,
        DType::BF16 => uniform_narrow::<bf16>(OP, &shape, lo, hi, seed)?,
        DType::F32 => uniform_narrow::<f32>(OP, &shape, lo, hi, seed)?,
        DType::F64 => uniform_f64(OP, &shape, lo, hi, seed)?,
        DType::U8 => uniform_int::<u8>(OP, &shape, lo, hi, seed)?,
        DType::U16 => uniform_int::<u16>(OP, &shape, lo, hi, seed)?,
        DType::U32 => uniform_int::<u32>(OP, &shape, lo, hi, seed)?,
        DType::U64 => uniform_int::<u64>(OP, &shape, lo, hi, seed)?,
        DType::I8 => uniform_int::<i8>(OP, &shape, lo, hi, seed)?,
        DType::I16 => uniform_int::<i16>(OP, &shape, lo, hi, seed)?,
        DType::I32 => uniform_int::<i32>(OP, &shape, lo, hi, seed)?,
        DType::I64 => uniform_int::<i64>(OP, &shape, lo, hi, seed)?,
        DType::Bool | DType::C64 | DType::C128 => unreachable!("refused above"),
    };
    // On the device of the scope: generated here and uploaded when the
    // device has no kernel for this dtype (the values are the same).
    Tensor::from_cpu_storage(storage, shape).on_current_device()
}

/// Turns the Philox words of [`LANES`] consecutive blocks into
/// `PER_BLOCK * LANES` elements (element `k * PER_BLOCK + j` of `out` from
/// block `k`).
trait Kernel<T>: Sync {
    /// Elements made from one block.
    const PER_BLOCK: usize;
    /// Fills `out` (of `PER_BLOCK * LANES` elements) from `w`.
    fn batch(&self, w: &Words, out: &mut [T]);
}

/// The float types drawn in f32 (normal) or f64 (uniform) and rounded once.
trait NarrowFloat: Element {
    /// Largest finite value, in f64.
    const MAX: f64;
    fn from_f32(x: f32) -> Self;
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
    /// The next value toward +inf (finite, non-NaN inputs).
    fn next_up(self) -> Self;
    /// The next value toward -inf (finite, non-NaN inputs).
    fn next_down(self) -> Self;
}

impl NarrowFloat for f32 {
    const MAX: f64 = f32::MAX as f64;
    #[inline(always)]
    fn from_f32(x: f32) -> Self {
        x
    }
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    fn next_up(self) -> Self {
        f32::next_up(self)
    }
    fn next_down(self) -> Self {
        f32::next_down(self)
    }
}

macro_rules! impl_narrow_half {
    ($($T:ty),*) => {$(
        impl NarrowFloat for $T {
            const MAX: f64 = <$T>::MAX.to_f64_const();
            #[inline(always)]
            fn from_f32(x: f32) -> Self {
                <$T>::from_f32(x)
            }
            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                <$T>::from_f64(x)
            }
            fn to_f64(self) -> f64 {
                <$T>::to_f64(self)
            }
            fn next_up(self) -> Self {
                let bits = self.to_bits();
                if bits & 0x7fff == 0 {
                    <$T>::from_bits(1) // the smallest positive subnormal
                } else if bits & 0x8000 == 0 {
                    <$T>::from_bits(bits + 1)
                } else {
                    <$T>::from_bits(bits - 1)
                }
            }
            fn next_down(self) -> Self {
                -NarrowFloat::next_up(-self)
            }
        }
    )*};
}
impl_narrow_half!(f16, bf16);

/// `name = v` must lie within ±`T::MAX`.
fn check_in_float_range<T: NarrowFloat>(op: &'static str, name: &str, v: f64) -> Result<()> {
    if v.abs() > T::MAX {
        return Err(Error::invalid(
            op,
            format!(
                "{name} = {} is outside the finite range of {} (±{})",
                num(v),
                T::DTYPE,
                num(T::MAX)
            ),
        ));
    }
    Ok(())
}

/// Box–Muller in f32, four samples per block, rounded once to `T`.
struct NormalNarrow {
    mean: f32,
    std: f32,
}

impl<T: NarrowFloat> Kernel<T> for NormalNarrow {
    const PER_BLOCK: usize = 4;

    /// `(w0, w1)` → elements `4k`, `4k + 1`; `(w2, w3)` → `4k + 2`, `4k + 3`.
    #[inline(always)]
    fn batch(&self, w: &Words, out: &mut [T]) {
        let out = &mut out[..4 * LANES];
        let mut z = [[0.0f32; LANES]; 4];
        for h in 0..2 {
            for i in 0..LANES {
                let (c, s) = box_muller_f32(w[2 * h][i], w[2 * h + 1][i]);
                z[2 * h][i] = self.mean + self.std * c;
                z[2 * h + 1][i] = self.mean + self.std * s;
            }
        }
        for (i, o) in out.chunks_exact_mut(4).enumerate() {
            o[0] = T::from_f32(z[0][i]);
            o[1] = T::from_f32(z[1][i]);
            o[2] = T::from_f32(z[2][i]);
            o[3] = T::from_f32(z[3][i]);
        }
    }
}

/// Normal samples of an f32-computed dtype.
fn normal_narrow<T: NarrowFloat>(
    op: &'static str,
    shape: &Shape,
    mean: f64,
    std: f64,
    seed: Option<u64>,
) -> Result<CpuStorage> {
    check_in_float_range::<T>(op, "mean", mean)?;
    check_in_float_range::<T>(op, "std", std)?;
    let n = prepare(op, shape, T::DTYPE)?;
    let kernel = NormalNarrow {
        mean: mean as f32,
        std: std as f32,
    };
    Ok(T::into_storage(generate(n, key_of(seed), &kernel)?))
}

/// Box–Muller in f64, one pair per block from `w0:w1` and `w2:w3`.
struct NormalF64 {
    mean: f64,
    std: f64,
}

impl Kernel<f64> for NormalF64 {
    const PER_BLOCK: usize = 2;

    #[inline(always)]
    fn batch(&self, w: &Words, out: &mut [f64]) {
        for (i, o) in out.chunks_exact_mut(2).enumerate().take(LANES) {
            let a = (u64::from(w[0][i]) << 32) | u64::from(w[1][i]);
            let b = (u64::from(w[2][i]) << 32) | u64::from(w[3][i]);
            // (0, 1]: never log(0).
            let u1 = ((a >> 11) + 1) as f64 * TWO_POW_M53;
            let r = (-2.0 * ln_f64(u1)).sqrt();
            let (s, c) = sincos_turns_f64(b >> 11);
            o[0] = self.mean + self.std * (r * c);
            o[1] = self.mean + self.std * (r * s);
        }
    }
}

/// Uniform samples of f32, f16 or bf16, four per block: 24 bits of each
/// word, computed in f64, clamped to `[lo, hi]` and rounded once.
struct UniformNarrow {
    minval: f64,
    scale: f64,
    lo: f64,
    hi: f64,
}

impl<T: NarrowFloat> Kernel<T> for UniformNarrow {
    const PER_BLOCK: usize = 4;

    #[inline(always)]
    fn batch(&self, w: &Words, out: &mut [T]) {
        for (i, o) in out.chunks_exact_mut(4).enumerate().take(LANES) {
            for (j, o) in o.iter_mut().enumerate() {
                let u = f64::from(w[j][i] >> 8) * f64::from(TWO_POW_M24);
                let v = (self.minval + u * self.scale).max(self.lo).min(self.hi);
                *o = T::from_f64(v);
            }
        }
    }
}

/// Uniform floats of f32, f16 or bf16 in [minval, maxval).
fn uniform_narrow<T: NarrowFloat>(
    op: &'static str,
    shape: &Shape,
    minval: f64,
    maxval: f64,
    seed: Option<u64>,
) -> Result<CpuStorage> {
    check_in_float_range::<T>(op, "minval", minval)?;
    check_in_float_range::<T>(op, "maxval", maxval)?;
    // The smallest value of T >= minval and the largest < maxval.
    let mut lo = T::from_f64(minval);
    if lo.to_f64() < minval {
        lo = lo.next_up();
    }
    let mut hi = T::from_f64(maxval);
    if hi.to_f64() >= maxval {
        hi = hi.next_down();
    }
    let (lo, hi) = (lo.to_f64(), hi.to_f64());
    if lo > hi {
        return Err(Error::invalid(
            op,
            format!(
                "no {} value lies in [minval, maxval) = [{}, {}); widen the interval or use a \
                 wider dtype",
                T::DTYPE,
                num(minval),
                num(maxval)
            ),
        ));
    }
    let n = prepare(op, shape, T::DTYPE)?;
    let kernel = UniformNarrow {
        minval,
        scale: maxval - minval,
        lo,
        hi,
    };
    Ok(T::into_storage(generate(n, key_of(seed), &kernel)?))
}

/// Uniform f64 samples, two per block: 53 bits of `w0:w1` and of `w2:w3`,
/// clamped to `[minval, hi]`.
struct UniformF64 {
    minval: f64,
    scale: f64,
    hi: f64,
}

impl Kernel<f64> for UniformF64 {
    const PER_BLOCK: usize = 2;

    #[inline(always)]
    fn batch(&self, w: &Words, out: &mut [f64]) {
        for (i, o) in out.chunks_exact_mut(2).enumerate().take(LANES) {
            for (h, o) in o.iter_mut().enumerate() {
                let bits = (u64::from(w[2 * h][i]) << 32) | u64::from(w[2 * h + 1][i]);
                let u = (bits >> 11) as f64 * TWO_POW_M53;
                *o = (self.minval + u * self.scale).max(self.minval).min(self.hi);
            }
        }
    }
}

/// Uniform f64 in [minval, maxval).
fn uniform_f64(
    op: &'static str,
    shape: &Shape,
    minval: f64,
    maxval: f64,
    seed: Option<u64>,
) -> Result<CpuStorage> {
    let scale = maxval - minval;
    if !scale.is_finite() {
        return Err(Error::invalid(
            op,
            format!(
                "maxval - minval = {} - ({}) overflows float64; use a narrower interval",
                num(maxval),
                num(minval)
            ),
        ));
    }
    let n = prepare(op, shape, DType::F64)?;
    let kernel = UniformF64 {
        minval,
        scale,
        hi: maxval.next_down(),
    };
    Ok(f64::into_storage(generate(n, key_of(seed), &kernel)?))
}

/// The integer types `uniform` draws.
trait Int: Element {
    /// The smallest value.
    const MIN: i128;
    /// The largest value.
    const MAX: i128;
    /// The low bits of `x` (two's complement).
    fn wrap(x: u64) -> Self;
}

macro_rules! impl_int {
    ($($T:ty),*) => {$(
        impl Int for $T {
            const MIN: i128 = <$T>::MIN as i128;
            const MAX: i128 = <$T>::MAX as i128;
            #[inline(always)]
            fn wrap(x: u64) -> Self {
                x as $T
            }
        }
    )*};
}
impl_int!(u8, u16, u32, u64, i8, i16, i32, i64);

/// Integers `lo + draw` (wrapping in 64 bits), `draw = floor(x · range /
/// 2^64)` for the 64-bit fraction `x` of `w0:w1` or `w2:w3`: bias below
/// `range / 2^64 <= 2^-32` relative.
struct UniformInt64 {
    lo: u64,
    range: u64,
}

impl<T: Int> Kernel<T> for UniformInt64 {
    const PER_BLOCK: usize = 2;

    #[inline(always)]
    fn batch(&self, w: &Words, out: &mut [T]) {
        for (i, o) in out.chunks_exact_mut(2).enumerate().take(LANES) {
            for (h, o) in o.iter_mut().enumerate() {
                let x = (u64::from(w[2 * h][i]) << 32) | u64::from(w[2 * h + 1][i]);
                let draw = ((u128::from(x) * u128::from(self.range)) >> 64) as u64;
                *o = T::wrap(self.lo.wrapping_add(draw));
            }
        }
    }
}

/// Integers `lo + draw`, `draw = floor(x · range / 2^128)` for the 128-bit
/// fraction `x` of the whole block (ranges above 2^32, up to 2^64): bias
/// below 2^-64 relative.
struct UniformInt128 {
    lo: u64,
    range: u128,
}

impl<T: Int> Kernel<T> for UniformInt128 {
    const PER_BLOCK: usize = 1;

    #[inline(always)]
    fn batch(&self, w: &Words, out: &mut [T]) {
        for (i, o) in out.iter_mut().enumerate().take(LANES) {
            let hi = (u64::from(w[0][i]) << 32) | u64::from(w[1][i]);
            let lo = (u64::from(w[2][i]) << 32) | u64::from(w[3][i]);
            let draw = if self.range == 1 << 64 {
                hi
            } else {
                // (hi · 2^64 + lo) · range / 2^128 with range < 2^64, floored
                // exactly: hi · range is whole, so flooring lo · range / 2^64
                // first changes nothing.
                let a = u128::from(hi) * self.range;
                let b = (u128::from(lo) * self.range) >> 64;
                ((a + b) >> 64) as u64
            };
            *o = T::wrap(self.lo.wrapping_add(draw));
        }
    }
}

/// Uniform integers of `T` in [minval, maxval).
fn uniform_int<T: Int>(
    op: &'static str,
    shape: &Shape,
    minval: f64,
    maxval: f64,
    seed: Option<u64>,
) -> Result<CpuStorage> {
    let (lo, range) = int_bounds(op, T::DTYPE, minval, maxval, T::MIN, T::MAX)?;
    let n = prepare(op, shape, T::DTYPE)?;
    let key = key_of(seed);
    let v: Vec<T> = if range <= 1 << 32 {
        generate(
            n,
            key,
            &UniformInt64 {
                lo,
                range: range as u64,
            },
        )?
    } else {
        generate(n, key, &UniformInt128 { lo, range })?
    };
    Ok(T::into_storage(v))
}

/// Checks integer bounds: whole numbers with `min <= minval < maxval <=
/// max + 1`. Returns the low bound (as 64 bits, two's complement) and the
/// size of the range.
fn int_bounds(
    op: &'static str,
    dtype: DType,
    minval: f64,
    maxval: f64,
    min: i128,
    max: i128,
) -> Result<(u64, u128)> {
    for (name, v) in [("minval", minval), ("maxval", maxval)] {
        if v.fract() != 0.0 {
            return Err(Error::invalid(
                op,
                format!(
                    "{name} = {} must be a whole number for dtype {dtype}",
                    num(v)
                ),
            ));
        }
    }
    // min and max + 1 are 0 or ±2^k, exact in f64; whole f64 values within
    // them convert to i128 exactly.
    let in_range = |v: f64| v >= min as f64 && v <= (max + 1) as f64;
    if !in_range(minval) || !in_range(maxval) {
        return Err(Error::invalid(
            op,
            format!(
                "the bounds minval = {}, maxval = {} are out of range for dtype {dtype}: they \
                 must satisfy {min} <= minval < maxval <= {}",
                num(minval),
                num(maxval),
                max + 1
            ),
        ));
    }
    let (lo, hi) = (minval as i128, maxval as i128);
    Ok((lo as u64, (hi - lo) as u128))
}

/// The Box–Muller pair `(r cos θ, r sin θ)` of two 32-bit words, in f32:
/// `r = sqrt(-2 ln u1)` with `u1` in (0, 1] (so never log 0) and
/// `θ = 2π u2` with `u2` in [0, 1), both 24-bit.
#[inline(always)]
fn box_muller_f32(a: u32, b: u32) -> (f32, f32) {
    let u1 = ((a >> 8) + 1) as i32 as f32 * TWO_POW_M24;
    let r = (-2.0 * ln_f32(u1)).sqrt();
    let (s, c) = sincos_turns_f32(b >> 8);
    (r * c, r * s)
}

/// Natural logarithm of a positive normal f32 (Cephes `logf`: exponent
/// split, mantissa in [√½, √2), degree-9 polynomial; about 1 ulp).
#[inline(always)]
#[expect(
    clippy::excessive_precision,
    reason = "the published constants, digit for digit"
)]
fn ln_f32(x: f32) -> f32 {
    const SQRT_HALF: f32 = std::f32::consts::FRAC_1_SQRT_2;
    let bits = x.to_bits();
    let e = ((bits >> 23) as i32) - 126;
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f00_0000); // [0.5, 1)
    let small = m < SQRT_HALF;
    let e = (e - i32::from(small)) as f32;
    let m = if small { m + m } else { m } - 1.0;
    let z = m * m;
    let mut y = 7.037_683_6e-2_f32;
    y = y * m - 1.151_461_0e-1;
    y = y * m + 1.167_699_9e-1;
    y = y * m - 1.242_014_1e-1;
    y = y * m + 1.424_932_3e-1;
    y = y * m - 1.666_805_8e-1;
    y = y * m + 2.000_071_5e-1;
    y = y * m - 2.499_999_4e-1;
    y = y * m + 3.333_333_1e-1;
    y = y * m * z;
    y += -2.121_944_4e-4 * e;
    y += -0.5 * z;
    (m + y) + 0.693_359_4 * e
}

/// `(sin θ, cos θ)` of `θ = 2π t / 2^24` for a 24-bit `t`, in f32. The
/// reduction to [-π/4, π/4] is exact (integer arithmetic on `t`); the
/// polynomials are Cephes `sinf`/`cosf`.
#[inline(always)]
#[expect(
    clippy::excessive_precision,
    reason = "the published constants, digit for digit"
)]
fn sincos_turns_f32(t: u32) -> (f32, f32) {
    let k = (t + (1 << 21)) >> 22; // nearest quarter turn, 0..=4
    let rem = t as i32 - (k << 22) as i32; // [-2^21, 2^21]
    let x = rem as f32 * (std::f32::consts::PI / 8_388_608.0); // rem · π / 2^23
    let z = x * x;
    let s = ((-1.951_529_6e-4 * z + 8.332_160_9e-3) * z - 1.666_665_5e-1) * z * x + x;
    let c = ((2.443_315_7e-5 * z - 1.388_731_6e-3) * z + 4.166_664_6e-2) * z * z - 0.5 * z + 1.0;
    // Rotate by k quarter turns: swap sin and cos for odd k, then signs.
    let q = k & 3;
    let (s, c) = if q & 1 == 1 { (c, s) } else { (s, c) };
    let neg_s = (q & 2) << 30; // quarters 2, 3
    let neg_c = ((q + 1) & 2) << 30; // quarters 1, 2
    (
        f32::from_bits(s.to_bits() ^ neg_s),
        f32::from_bits(c.to_bits() ^ neg_c),
    )
}

/// Natural logarithm of a positive normal f64 (fdlibm/musl `log`; < 1 ulp).
#[inline(always)]
#[expect(
    clippy::excessive_precision,
    reason = "the published constants, digit for digit"
)]
fn ln_f64(x: f64) -> f64 {
    const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
    const LG1: f64 = 6.666_666_666_666_735_130e-1;
    const LG2: f64 = 3.999_999_999_940_941_908e-1;
    const LG3: f64 = 2.857_142_874_366_239_149e-1;
    const LG4: f64 = 2.222_219_843_214_978_396e-1;
    const LG5: f64 = 1.818_357_216_161_805_012e-1;
    const LG6: f64 = 1.531_383_769_920_937_332e-1;
    const LG7: f64 = 1.479_819_860_511_658_591e-1;
    let bits = x.to_bits();
    // x = 2^k · (1 + f) with 1 + f in [√2/2, √2).
    let hx = (bits >> 32) as u32 + (0x3ff0_0000 - 0x3fe6_a09e);
    let k = (hx >> 20) as i32 - 0x3ff;
    let hx = (hx & 0x000f_ffff) + 0x3fe6_a09e;
    let x = f64::from_bits((u64::from(hx) << 32) | (bits & 0xffff_ffff));
    let f = x - 1.0;
    let hfsq = 0.5 * f * f;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let r = t2 + t1;
    let dk = f64::from(k);
    s * (hfsq + r) + dk * LN2_LO - hfsq + f + dk * LN2_HI
}

/// `(sin θ, cos θ)` of `θ = 2π t / 2^53` for a 53-bit `t`, in f64: exact
/// reduction to [-π/4, π/4], then the fdlibm/musl kernels.
#[inline(always)]
#[expect(
    clippy::excessive_precision,
    reason = "the published constants, digit for digit"
)]
fn sincos_turns_f64(t: u64) -> (f64, f64) {
    const S1: f64 = -1.666_666_666_666_663_243_48e-1;
    const S2: f64 = 8.333_333_333_322_489_461_24e-3;
    const S3: f64 = -1.984_126_982_985_794_931_34e-4;
    const S4: f64 = 2.755_731_370_707_006_767_89e-6;
    const S5: f64 = -2.505_076_025_340_686_341_95e-8;
    const S6: f64 = 1.589_690_995_211_550_102_21e-10;
    const C1: f64 = 4.166_666_666_666_660_190_37e-2;
    const C2: f64 = -1.388_888_888_887_410_957_49e-3;
    const C3: f64 = 2.480_158_728_947_672_941_78e-5;
    const C4: f64 = -2.755_731_435_139_066_330_35e-7;
    const C5: f64 = 2.087_572_321_298_174_827_90e-9;
    const C6: f64 = -1.135_964_755_778_819_482_65e-11;
    let k = (t + (1 << 50)) >> 51; // nearest quarter turn, 0..=4
    let rem = t as i64 - (k << 51) as i64; // [-2^50, 2^50]
    let x = rem as f64 * (std::f64::consts::PI / 4_503_599_627_370_496.0); // rem · π / 2^52
    let z = x * x;
    let w = z * z;
    let r = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6);
    let s = x + z * x * (S1 + z * r);
    let r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
    let hz = 0.5 * z;
    let one_minus = 1.0 - hz;
    let c = one_minus + (((1.0 - one_minus) - hz) + z * r);
    let q = k & 3;
    let (s, c) = if q & 1 == 1 { (c, s) } else { (s, c) };
    let neg_s = ((q & 2) >> 1) << 63;
    let neg_c = (((q + 1) & 2) >> 1) << 63;
    (
        f64::from_bits(s.to_bits() ^ neg_s),
        f64::from_bits(c.to_bits() ^ neg_c),
    )
}

/// `v` as error messages write it: plain decimals for ordinary magnitudes,
/// scientific notation (`1e39`) for huge and tiny ones.
fn num(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-5..1e16).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// `v` must be neither NaN nor infinite.
fn check_finite(op: &'static str, name: &str, v: f64) -> Result<()> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(Error::invalid(
            op,
            format!("{name} = {} must be finite", num(v)),
        ))
    }
}

/// The element count of `shape` (checked as `dtype` bytes) once the current
/// device is known to be usable.
fn prepare(op: &'static str, shape: &Shape, dtype: DType) -> Result<usize> {
    shape.checked_byte_size(op, dtype)?;
    let n = shape.checked_numel(op, dtype)?;
    Device::current().check_available()?;
    Ok(n)
}

/// The Philox key of a seed; `None` draws a fresh seed.
fn key_of(seed: Option<u64>) -> [u32; 2] {
    let seed = seed.unwrap_or_else(fresh_seed);
    [seed as u32, (seed >> 32) as u32]
}

/// A seed no other call of this process has drawn (almost surely), from
/// std's per-process random hash keys, a counter and the clock.
fn fresh_seed() -> u64 {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(CALLS.fetch_add(1, Ordering::Relaxed));
    if let Ok(t) = SystemTime::now().duration_since(UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    h.finish()
}

/// Outputs of at least this many bytes are generated on all cores.
#[cfg(feature = "parallel")]
const PARALLEL_MIN_BYTES: usize = 128 << 10;

/// `n` elements, element `i` from Philox block `i / K::PER_BLOCK`.
fn generate<T: Element, K: Kernel<T>>(n: usize, key: [u32; 2], kernel: &K) -> Result<Vec<T>> {
    let mut out = alloc::zeroed_vec::<T>(n)?;
    #[cfg(feature = "parallel")]
    if n * size_of::<T>() >= PARALLEL_MIN_BYTES {
        par_output_chunks(&mut out, |start, chunk| fill(start, chunk, key, kernel));
        return Ok(out);
    }
    fill(0, &mut out, key, kernel);
    Ok(out)
}

/// Writes elements `start..start + out.len()` into `out`. Any `start` works
/// (a chunk may begin inside a block), so the values never depend on how
/// the output was cut.
///
/// On x86-64 CPUs with AVX2 the same code runs compiled for AVX2 (twice the
/// SIMD width of the SSE2 baseline). Only the instruction encoding differs:
/// the operations are the same IEEE-754 additions, multiplications,
/// divisions, square roots and conversions (never a fused multiply-add), so
/// the bits are the same.
fn fill<T: Element, K: Kernel<T>>(start: usize, out: &mut [T], key: [u32; 2], kernel: &K) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `fill_avx2` needs nothing but AVX2, which the CPU was just
        // found to support.
        unsafe { fill_avx2(start, out, key, kernel) };
        return;
    }
    fill_portable(start, out, key, kernel);
}

/// [`fill_portable`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn fill_avx2<T: Element, K: Kernel<T>>(start: usize, out: &mut [T], key: [u32; 2], kernel: &K) {
    fill_portable(start, out, key, kernel);
}

/// The body of [`fill`], inlined into each instruction-set variant.
#[inline(always)]
fn fill_portable<T: Element, K: Kernel<T>>(start: usize, out: &mut [T], key: [u32; 2], kernel: &K) {
    let batch = K::PER_BLOCK * LANES;
    let mut words: Words = [[0; LANES]; 4];
    let mut tmp = [T::default(); 4 * LANES];
    let mut block = (start / K::PER_BLOCK) as u64;
    let mut skip = start % K::PER_BLOCK;
    let mut pos = 0;
    while pos < out.len() {
        philox_batch(block, key, &mut words);
        let rest = out.len() - pos;
        if skip == 0 && rest >= batch {
            kernel.batch(&words, &mut out[pos..pos + batch]);
            pos += batch;
        } else {
            kernel.batch(&words, &mut tmp[..batch]);
            let take = (batch - skip).min(rest);
            out[pos..pos + take].copy_from_slice(&tmp[skip..skip + take]);
            pos += take;
            skip = 0;
        }
        block += LANES as u64;
    }
}

/// Runs `f(first index, chunk)` over `out` on all cores, for outputs whose
/// every element is costly enough to share out whatever the size. Large
/// outputs are cut at the huge-page boundaries of their addresses, one page
/// per task (`copy::par_page_aligned_chunks`); smaller ones into a few
/// chunks per thread.
#[cfg(feature = "parallel")]
pub(crate) fn par_output_chunks<T: Send>(out: &mut [T], f: impl Fn(usize, &mut [T]) + Sync) {
    use crate::copy::{HUGE_PAGE, par_page_aligned_chunks};
    use rayon::prelude::*;
    if size_of_val(out) >= 4 * HUGE_PAGE {
        par_page_aligned_chunks(out, HUGE_PAGE, f);
    } else {
        let per_task = out.len().div_ceil(4 * rayon::current_num_threads()).max(1);
        out.par_chunks_mut(per_task)
            .enumerate()
            .for_each(|(i, c)| f(i * per_task, c));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn philox_known_answers() {
        // Random123 kat_vectors, philox4x32 10.
        assert_eq!(
            philox4x32_10([0; 4], [0; 2]),
            [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
        );
        assert_eq!(
            philox4x32_10([u32::MAX; 4], [u32::MAX; 2]),
            [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
        );
        assert_eq!(
            philox4x32_10(
                [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
                [0xa4093822, 0x299f31d0]
            ),
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
        );
    }

    #[test]
    fn batch_matches_block_function() {
        let key = [0x1234_5678, 0x9abc_def0];
        let mut w: Words = [[0; LANES]; 4];
        // Crosses the 2^32 boundary of the counter's low word.
        let first = (1u64 << 32) - 10;
        philox_batch(first, key, &mut w);
        let got: Vec<[u32; 4]> = (0..LANES)
            .map(|i| [w[0][i], w[1][i], w[2][i], w[3][i]])
            .collect();
        let want: Vec<[u32; 4]> = (first..first + LANES as u64)
            .map(|b| philox4x32_10([b as u32, (b >> 32) as u32, 0, 0], key))
            .collect();
        assert_eq!(got, want);
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn fill_does_not_depend_on_where_chunks_start() {
        let key = [7, 9];
        let kernel = NormalNarrow {
            mean: 0.0,
            std: 1.0,
        };
        let n = 3 * 4 * LANES + 37;
        let mut whole = vec![0.0f32; n];
        fill(0, &mut whole, key, &kernel);
        for cuts in [[1usize, 2, 3], [5, 256, 257], [255, 511, 700]] {
            let mut pieces = vec![0.0f32; n];
            let mut start = 0;
            for end in cuts.into_iter().chain([n]) {
                fill(start, &mut pieces[start..end], key, &kernel);
                start = end;
            }
            assert_eq!(bits(&pieces), bits(&whole), "{cuts:?}");
        }
        // Element 4b + j is Box–Muller of block b, computed directly, and
        // the portable build agrees with the dispatched one.
        for b in [0usize, 1, 63, 64, 200] {
            let w = philox4x32_10([b as u32, 0, 0, 0], key);
            let (c0, s0) = box_muller_f32(w[0], w[1]);
            let (c1, s1) = box_muller_f32(w[2], w[3]);
            assert_eq!(bits(&whole[4 * b..4 * b + 4]), bits(&[c0, s0, c1, s1]));
        }
        let mut portable = vec![0.0f32; n];
        fill_portable(0, &mut portable, key, &kernel);
        assert_eq!(bits(&portable), bits(&whole));
        let f64_kernel = NormalF64 {
            mean: 1.0,
            std: 3.0,
        };
        let (mut a, mut b) = (vec![0.0f64; 999], vec![0.0f64; 999]);
        fill(0, &mut a, key, &f64_kernel);
        fill_portable(0, &mut b, key, &f64_kernel);
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
    }

    #[test]
    fn ln_f32_is_accurate() {
        let mut worst = 0.0f64;
        for k in 1..=(1u32 << 24) / 997 {
            let x = (k * 997) as f32 * TWO_POW_M24;
            let exact = f64::from(x).ln();
            let err = (f64::from(ln_f32(x)) - exact).abs() / exact.abs().max(1e-30);
            worst = worst.max(err);
        }
        assert!(worst < 3e-7, "worst relative error {worst}");
        assert_eq!(ln_f32(1.0), 0.0);
        assert!((f64::from(ln_f32(TWO_POW_M24)) - (-24.0 * 2f64.ln())).abs() < 1e-5);
    }

    #[test]
    fn ln_f64_is_accurate() {
        let mut worst = 0.0f64;
        for k in 1..20_000u64 {
            let x = (k * 450_359_962_737) as f64 * TWO_POW_M53 + TWO_POW_M53;
            let err = (ln_f64(x) - x.ln()).abs() / x.ln().abs().max(1e-300);
            worst = worst.max(err);
        }
        assert!(worst < 5e-16, "worst relative error {worst}");
        assert_eq!(ln_f64(1.0), 0.0);
        assert_eq!(ln_f64(TWO_POW_M53), -53.0 * std::f64::consts::LN_2);
    }

    #[test]
    fn sincos_is_accurate_in_every_quadrant() {
        for k in 0..(1u32 << 24) / 4099 {
            let t = k * 4099;
            let theta = 2.0 * std::f64::consts::PI * f64::from(t) / f64::from(1u32 << 24);
            let (s, c) = sincos_turns_f32(t);
            assert!((f64::from(s) - theta.sin()).abs() < 2e-7, "sin at t = {t}");
            assert!((f64::from(c) - theta.cos()).abs() < 2e-7, "cos at t = {t}");
        }
        for k in 0..20_000u64 {
            let t = k * 450_359_962_737;
            // The reference angle itself is rounded (by up to 4.4e-16 near
            // 2π), hence a bound of a few ulp.
            let theta = 2.0 * std::f64::consts::PI * (t as f64 * TWO_POW_M53);
            let (s, c) = sincos_turns_f64(t);
            assert!((s - theta.sin()).abs() < 2e-15, "sin at t = {t}");
            assert!((c - theta.cos()).abs() < 2e-15, "cos at t = {t}");
        }
        // Quarter turns are exact.
        assert_eq!(sincos_turns_f32(0), (0.0, 1.0));
        assert_eq!(sincos_turns_f32(1 << 22), (1.0, -0.0));
        assert_eq!(sincos_turns_f32(2 << 22), (-0.0, -1.0));
        assert_eq!(sincos_turns_f32(3 << 22), (-1.0, 0.0));
        assert_eq!(sincos_turns_f64(1 << 51), (1.0, -0.0));
        assert_eq!(sincos_turns_f64(3 << 51), (-1.0, 0.0));
    }

    #[test]
    fn half_steps() {
        assert_eq!(NarrowFloat::next_up(f16::ONE), f16::from_f32(1.000_976_6));
        assert_eq!(NarrowFloat::next_down(f16::ONE), f16::from_f32(0.999_511_7));
        assert_eq!(NarrowFloat::next_up(f16::ZERO), f16::from_bits(1));
        assert_eq!(NarrowFloat::next_down(f16::ZERO), f16::from_bits(0x8001));
        assert_eq!(NarrowFloat::next_up(bf16::NEG_ONE).to_f32(), -0.996_093_75);
        assert_eq!(<bf16 as NarrowFloat>::MAX, 3.389_531_389_251_535_5e38);
        assert_eq!(<f16 as NarrowFloat>::MAX, 65504.0);
    }

    #[test]
    fn int_bounds_rules() {
        let u8_bounds = |lo, hi| int_bounds("t", DType::U8, lo, hi, 0, 255);
        assert_eq!(u8_bounds(0.0, 256.0).unwrap(), (0, 256));
        assert!(u8_bounds(0.0, 257.0).is_err());
        assert!(u8_bounds(-1.0, 3.0).is_err());
        assert!(u8_bounds(0.5, 3.0).is_err());
        assert_eq!(
            int_bounds("t", DType::I8, -128.0, 128.0, -128, 127).unwrap(),
            ((-128i64) as u64, 256)
        );
        let full = int_bounds("t", DType::U64, 0.0, 2f64.powi(64), 0, u64::MAX.into());
        assert_eq!(full.unwrap(), (0, 1 << 64));
    }

    #[test]
    fn wide_int_draws_are_exact_fractions() {
        let kernel = UniformInt128 {
            lo: 0,
            range: u128::from(u64::MAX),
        };
        let mut v = vec![0u64; 64];
        fill(0, &mut v, [1, 2], &kernel);
        for (i, &d) in v.iter().enumerate() {
            let w = philox4x32_10([i as u32, 0, 0, 0], [1, 2]);
            let x = (u128::from(w[0]) << 96)
                | (u128::from(w[1]) << 64)
                | (u128::from(w[2]) << 32)
                | u128::from(w[3]);
            // floor(x · (2^64 - 1) / 2^128) = floor(x / 2^64 - x / 2^128)
            // with x = hi · 2^64 + lo: hi when lo > hi (or x = 0), else hi - 1.
            let (hi, lo) = ((x >> 64) as u64, x as u64);
            let expect = if lo > hi || x == 0 { hi } else { hi - 1 };
            assert_eq!(d, expect, "element {i}");
        }
    }

    #[cfg(feature = "parallel")]
    #[test]
    fn one_thread_gives_the_same_bits() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let n = 300_001; // the parallel path, with an odd tail
        let make = || {
            normal([n], 0.0, 1.0, DType::F32, Some(5))
                .unwrap()
                .to_vec::<f32>()
                .unwrap()
        };
        let one = pool.install(make);
        assert_eq!(bits(&one), bits(&make()));
    }
}
