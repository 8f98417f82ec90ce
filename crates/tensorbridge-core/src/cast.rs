//! Element casts: the rules of `Tensor::cast`, exact to the last bit.
//!
//! Every value first goes to the widest type of its kind ([`Repr`]): integers
//! to `i128`, floats to `f64`, complex to two `f64`s. Those widenings are
//! exact, so each cast rounds at most once, in the conversion out of `Repr`:
//!
//! - float → int truncates toward zero and saturates, NaN → 0 (Rust's `as`);
//! - int → int wraps (two's complement), as NumPy's `astype` and `tf.cast` do;
//! - → f16/bf16 rounds to nearest even, overflow → ±inf. Going through `f32`
//!   with *round-to-odd* keeps that a single correct rounding: an `f32` carries
//!   13 more bits than f16 and 16 more than bf16, and round-to-odd followed by
//!   round-to-nearest-even is exact whenever two or more extra bits exist;
//! - int/float → bool is `!= 0` (NaN is `true`, as in NumPy);
//! - bool → number is 0 or 1; real → complex has a zero imaginary part;
//! - complex → real is refused one level up (`Tensor::cast`) unless asked for
//!   through `Tensor::real`.

use half::{bf16, f16};
use num_complex::Complex;

/// A value in the widest representation of its kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Repr {
    /// `bool`.
    Bool(bool),
    /// Any integer, exactly.
    Int(i128),
    /// Any real float, exactly.
    Float(f64),
    /// Any complex value, exactly.
    Complex(f64, f64),
}

/// Widening into [`Repr`] (always exact).
pub(crate) trait ToRepr {
    fn to_repr(self) -> Repr;
}

/// Narrowing out of [`Repr`] (rounds at most once).
pub(crate) trait FromRepr {
    fn from_repr(r: Repr) -> Self;
}

macro_rules! int_repr {
    ($($t:ty),*) => {$(
        impl ToRepr for $t {
            #[inline(always)]
            fn to_repr(self) -> Repr { Repr::Int(self as i128) }
        }
        impl FromRepr for $t {
            #[inline(always)]
            fn from_repr(r: Repr) -> Self {
                match r {
                    Repr::Bool(b) => b as $t,
                    // Two's complement truncation: the wrap-around of NumPy's astype.
                    Repr::Int(i) => i as $t,
                    // Truncates toward zero, saturates, NaN -> 0.
                    Repr::Float(f) => f as $t,
                    Repr::Complex(re, _) => re as $t,
                }
            }
        }
    )*};
}
int_repr!(u8, u16, u32, u64, i8, i16, i32, i64);

impl ToRepr for bool {
    #[inline(always)]
    fn to_repr(self) -> Repr {
        Repr::Bool(self)
    }
}
impl FromRepr for bool {
    #[inline(always)]
    fn from_repr(r: Repr) -> Self {
        match r {
            Repr::Bool(b) => b,
            Repr::Int(i) => i != 0,
            // NaN != 0, so NaN is true, as in NumPy.
            Repr::Float(f) => f != 0.0,
            Repr::Complex(re, im) => re != 0.0 || im != 0.0,
        }
    }
}

macro_rules! float_repr {
    ($($t:ty),*) => {$(
        impl ToRepr for $t {
            #[inline(always)]
            fn to_repr(self) -> Repr { Repr::Float(self as f64) }
        }
        impl FromRepr for $t {
            #[inline(always)]
            fn from_repr(r: Repr) -> Self {
                match r {
                    Repr::Bool(b) => b as u8 as $t,
                    // `as` from an integer rounds to nearest even, once.
                    Repr::Int(i) => i as $t,
                    Repr::Float(f) => f as $t,
                    Repr::Complex(re, _) => re as $t,
                }
            }
        }
    )*};
}
float_repr!(f32, f64);

macro_rules! half_repr {
    ($($t:ident),*) => {$(
        impl ToRepr for $t {
            #[inline(always)]
            fn to_repr(self) -> Repr { Repr::Float(self.to_f64()) }
        }
        impl FromRepr for $t {
            #[inline(always)]
            fn from_repr(r: Repr) -> Self {
                match r {
                    Repr::Bool(b) => if b { $t::ONE } else { $t::ZERO },
                    Repr::Int(i) => $t::from_f32(int_to_f32_round_odd(i)),
                    Repr::Float(f) => $t::from_f32(f64_to_f32_round_odd(f)),
                    Repr::Complex(re, _) => $t::from_f32(f64_to_f32_round_odd(re)),
                }
            }
        }
    )*};
}
half_repr!(f16, bf16);

macro_rules! complex_repr {
    ($($t:ty),*) => {$(
        impl ToRepr for Complex<$t> {
            #[inline(always)]
            fn to_repr(self) -> Repr { Repr::Complex(self.re as f64, self.im as f64) }
        }
        impl FromRepr for Complex<$t> {
            #[inline(always)]
            fn from_repr(r: Repr) -> Self {
                match r {
                    Repr::Bool(b) => Complex::new(b as u8 as $t, 0.0),
                    Repr::Int(i) => Complex::new(i as $t, 0.0),
                    Repr::Float(f) => Complex::new(f as $t, 0.0),
                    Repr::Complex(re, im) => Complex::new(re as $t, im as $t),
                }
            }
        }
    )*};
}
complex_repr!(f32, f64);

/// `x` rounded to `f32` with round-to-odd: truncate toward zero, and set the
/// lowest mantissa bit when anything was lost. A later round-to-nearest-even
/// to a format with at least two fewer bits then rounds as if from `x` itself.
#[inline]
pub(crate) fn f64_to_f32_round_odd(x: f64) -> f32 {
    let nearest = x as f32;
    if nearest.is_nan() || nearest as f64 == x {
        return nearest;
    }
    let mut bits = nearest.to_bits();
    if (nearest as f64).abs() > x.abs() {
        // Rounded away from zero: step one ulp back toward zero. `nearest` is
        // not zero here, so the magnitude bits do not underflow.
        bits -= 1;
    }
    f32::from_bits(bits | 1)
}

/// `i` rounded to `f32` with round-to-odd (see [`f64_to_f32_round_odd`]).
#[inline]
pub(crate) fn int_to_f32_round_odd(i: i128) -> f32 {
    let magnitude = i.unsigned_abs();
    let width = 128 - magnitude.leading_zeros();
    let rounded = if width <= 24 {
        magnitude as f32
    } else {
        let shift = width - 24;
        let sticky = (magnitude & ((1u128 << shift) - 1) != 0) as u128;
        // 24 significant bits (the sticky bit jammed into the last one) are
        // exact in f32, and so is the power of two.
        ((magnitude >> shift) | sticky) as f32 * f32::from_bits((127 + shift) << 23)
    };
    if i < 0 { -rounded } else { rounded }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cast<S: ToRepr, D: FromRepr>(s: S) -> D {
        D::from_repr(s.to_repr())
    }

    #[test]
    fn float_to_int_truncates_saturates_and_maps_nan_to_zero() {
        assert_eq!(cast::<f32, i32>(-2.9), -2);
        assert_eq!(cast::<f32, i32>(2.9), 2);
        assert_eq!(cast::<f64, u8>(300.0), 255);
        assert_eq!(cast::<f64, u8>(-5.0), 0);
        assert_eq!(cast::<f32, i8>(f32::NAN), 0);
        assert_eq!(cast::<f32, i64>(f32::INFINITY), i64::MAX);
        assert_eq!(cast::<f32, i64>(f32::NEG_INFINITY), i64::MIN);
        assert_eq!(cast::<f16, i16>(f16::from_f32(-3.5)), -3);
    }

    #[test]
    fn int_to_int_wraps() {
        assert_eq!(cast::<i32, u8>(257), 1);
        assert_eq!(cast::<i32, i8>(-129), 127);
        assert_eq!(cast::<u64, i64>(u64::MAX), -1);
        assert_eq!(cast::<i64, u32>(-1), u32::MAX);
    }

    #[test]
    fn to_half_rounds_to_nearest_even_once() {
        // 1 + 2^-11 is the exact tie between f16's 1 and 1 + 2^-10: even wins.
        assert_eq!(cast::<f64, f16>(1.0 + 2f64.powi(-11)), f16::ONE);
        // A hair above the tie must round up, even when the excess sits in
        // the low 32 bits of the f64 mantissa.
        let above = 1.0 + 2f64.powi(-11) + 2f64.powi(-40);
        assert_eq!(cast::<f64, f16>(above).to_f64(), 1.0 + 2f64.powi(-10));
        let above_bf = 1.0 + 2f64.powi(-8) + 2f64.powi(-45);
        assert_eq!(cast::<f64, bf16>(above_bf).to_f64(), 1.0 + 2f64.powi(-7));
        // bf16: 1 + 2^-8 is a tie between 1 and 1 + 2^-7 -> 1 (even).
        assert_eq!(cast::<f32, bf16>(1.0 + 2f32.powi(-8)), bf16::ONE);
        // 1 + 3 * 2^-8 is a tie between 1 + 2^-7 and 1 + 2^-6 -> the even one, 1 + 2^-6.
        assert_eq!(
            cast::<f32, bf16>(1.0 + 3.0 * 2f32.powi(-8)).to_f32(),
            1.0 + 2f32.powi(-6)
        );
        assert_eq!(cast::<f64, f16>(1e6), f16::INFINITY);
        assert_eq!(cast::<f64, f16>(-1e6), f16::NEG_INFINITY);
        assert_eq!(cast::<f64, bf16>(1e300), bf16::INFINITY);
        assert!(cast::<f64, bf16>(f64::NAN).is_nan());
    }

    #[test]
    fn large_integers_to_bf16_round_once() {
        // 2^60 + 2^52 + 1 lies just above the tie between 2^60 and 2^60 + 2^53;
        // rounding through f64 first would lose the +1 and pick 2^60.
        let x: i64 = (1 << 60) + (1 << 52) + 1;
        assert_eq!(cast::<i64, bf16>(x).to_f64(), 2f64.powi(60) + 2f64.powi(53));
        assert_eq!(
            cast::<i64, bf16>(-x).to_f64(),
            -(2f64.powi(60) + 2f64.powi(53))
        );
        assert_eq!(cast::<u64, f16>(65504), f16::MAX);
        assert_eq!(cast::<u64, f16>(u64::MAX), f16::INFINITY);
        assert_eq!(cast::<i32, f16>(2049).to_f32(), 2048.0);
        assert_eq!(cast::<i32, f16>(2051).to_f32(), 2052.0);
    }

    #[test]
    fn bool_rules() {
        assert!(cast::<f32, bool>(f32::NAN));
        assert!(!cast::<f32, bool>(-0.0));
        assert!(cast::<i8, bool>(-1));
        assert_eq!(cast::<bool, f32>(true), 1.0);
        assert_eq!(cast::<bool, u64>(true), 1);
        assert_eq!(cast::<bool, bf16>(true), bf16::ONE);
    }

    #[test]
    fn complex_rules() {
        assert_eq!(cast::<i32, Complex<f32>>(3), Complex::new(3.0, 0.0));
        assert_eq!(
            cast::<Complex<f64>, Complex<f32>>(Complex::new(0.1, -0.2)),
            Complex::new(0.1f32, -0.2f32)
        );
        assert!(cast::<Complex<f32>, bool>(Complex::new(0.0, 1.0)));
    }

    #[test]
    fn round_odd_helpers() {
        assert_eq!(f64_to_f32_round_odd(1.5), 1.5);
        assert_eq!(f64_to_f32_round_odd(f64::INFINITY), f32::INFINITY);
        // Finite but beyond f32: becomes f32::MAX with the odd bit set (it is odd already).
        assert_eq!(f64_to_f32_round_odd(1e300), f32::MAX);
        assert_eq!(f64_to_f32_round_odd(-1e300), -f32::MAX);
        assert_eq!(int_to_f32_round_odd(0), 0.0);
        assert_eq!(
            int_to_f32_round_odd(i128::from(u64::MAX)),
            2f32.powi(64) - 2f32.powi(40)
        );
    }
}
