//! Element arithmetic, one implementation per dtype, with the rules of
//! NumPy and TensorFlow:
//!
//! - integers wrap on overflow; `div` is floor division and `rem` the floor
//!   modulo that goes with it (`a == div(a, b) * b + rem(a, b)`, the sign of
//!   `rem` follows `b`), as NumPy's `//` and `%` and TensorFlow's
//!   `floordiv`/`floormod`; division by zero never reaches here (the ops
//!   check divisors first);
//! - floats are IEEE: `div` is true division, `rem` the floor modulo of
//!   `np.remainder`, `maximum`/`minimum` propagate NaN;
//! - f16 and bf16 compute in f32 and round once;
//! - complex numbers have the arithmetic but no ordering, `rem`, `maximum`
//!   or `minimum`.

use half::{bf16, f16};
use num_complex::Complex;

pub(crate) use crate::dtype::{with_numeric_dtype, with_real_dtype};
use crate::element::Element;

/// Arithmetic defined for every numeric dtype (all but bool).
pub(crate) trait Arith: Element {
    /// Whether values are integers (division by zero is an error for them).
    const INTEGER: bool;
    fn add(self, other: Self) -> Self;
    fn sub(self, other: Self) -> Self;
    fn mul(self, other: Self) -> Self;
    /// Floor division for integers, true division otherwise.
    fn div(self, other: Self) -> Self;
    fn pow(self, exponent: Self) -> Self;
    fn neg(self) -> Self;
    fn is_zero(self) -> bool;
}

/// What real numbers (integers and floats) have beyond [`Arith`].
pub(crate) trait RealArith: Arith + PartialOrd {
    /// The floor modulo (sign of the divisor).
    fn rem(self, other: Self) -> Self;
    /// The larger value; NaN if either is NaN.
    fn maximum(self, other: Self) -> Self;
    /// The smaller value; NaN if either is NaN.
    fn minimum(self, other: Self) -> Self;
    /// Whether the value is below zero (negative exponents of integers are refused).
    fn is_negative(self) -> bool;
}

macro_rules! int_arith {
    ($($t:ty: $signed:expr),*) => {$(
        impl Arith for $t {
            const INTEGER: bool = true;
            #[inline(always)]
            fn add(self, o: Self) -> Self { self.wrapping_add(o) }
            #[inline(always)]
            fn sub(self, o: Self) -> Self { self.wrapping_sub(o) }
            #[inline(always)]
            fn mul(self, o: Self) -> Self { self.wrapping_mul(o) }
            #[inline(always)]
            #[allow(unused_comparisons, reason = "also instantiated for unsigned types")]
            fn div(self, o: Self) -> Self {
                let q = self.wrapping_div(o);
                // Truncation rounds toward zero; floor needs one less when
                // the signs differ and the division is inexact.
                if $signed && self.wrapping_rem(o) != 0 && ((self < 0 as $t) != (o < 0 as $t)) {
                    q.wrapping_sub(1)
                } else {
                    q
                }
            }
            #[inline(always)]
            fn pow(self, exponent: Self) -> Self {
                // Exponentiation by squaring with wrapping steps; negative
                // exponents are refused before this is reached.
                let mut e = exponent as u64;
                let (mut base, mut acc): (Self, Self) = (self, 1);
                while e > 0 {
                    if e & 1 == 1 {
                        acc = acc.wrapping_mul(base);
                    }
                    base = base.wrapping_mul(base);
                    e >>= 1;
                }
                acc
            }
            #[inline(always)]
            fn neg(self) -> Self { self.wrapping_neg() }
            #[inline(always)]
            fn is_zero(self) -> bool { self == 0 }
        }
        impl RealArith for $t {
            #[inline(always)]
            #[allow(unused_comparisons, reason = "also instantiated for unsigned types")]
            fn rem(self, o: Self) -> Self {
                let r = self.wrapping_rem(o);
                if $signed && r != 0 && ((r < 0 as $t) != (o < 0 as $t)) { r.wrapping_add(o) } else { r }
            }
            #[inline(always)]
            fn maximum(self, o: Self) -> Self { if o > self { o } else { self } }
            #[inline(always)]
            fn minimum(self, o: Self) -> Self { if o < self { o } else { self } }
            #[inline(always)]
            #[allow(unused_comparisons, reason = "also instantiated for unsigned types")]
            fn is_negative(self) -> bool { self < 0 as $t }
        }
    )*};
}
int_arith!(u8: false, u16: false, u32: false, u64: false, i8: true, i16: true, i32: true, i64: true);

macro_rules! float_arith {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            const INTEGER: bool = false;
            #[inline(always)]
            fn add(self, o: Self) -> Self { self + o }
            #[inline(always)]
            fn sub(self, o: Self) -> Self { self - o }
            #[inline(always)]
            fn mul(self, o: Self) -> Self { self * o }
            #[inline(always)]
            fn div(self, o: Self) -> Self { self / o }
            #[inline(always)]
            fn pow(self, e: Self) -> Self { self.powf(e) }
            #[inline(always)]
            fn neg(self) -> Self { -self }
            #[inline(always)]
            fn is_zero(self) -> bool { self == 0.0 }
        }
        impl RealArith for $t {
            #[inline(always)]
            fn rem(self, o: Self) -> Self {
                let r = self % o;
                if r != 0.0 && ((r < 0.0) != (o < 0.0)) { r + o } else { r }
            }
            #[inline(always)]
            fn maximum(self, o: Self) -> Self {
                if self.is_nan() || o.is_nan() { <$t>::NAN } else if o > self { o } else { self }
            }
            #[inline(always)]
            fn minimum(self, o: Self) -> Self {
                if self.is_nan() || o.is_nan() { <$t>::NAN } else if o < self { o } else { self }
            }
            #[inline(always)]
            fn is_negative(self) -> bool { self < 0.0 }
        }
    )*};
}
float_arith!(f32, f64);

macro_rules! half_arith {
    ($($t:ident),*) => {$(
        impl Arith for $t {
            const INTEGER: bool = false;
            #[inline(always)]
            fn add(self, o: Self) -> Self { $t::from_f32(self.to_f32() + o.to_f32()) }
            #[inline(always)]
            fn sub(self, o: Self) -> Self { $t::from_f32(self.to_f32() - o.to_f32()) }
            #[inline(always)]
            fn mul(self, o: Self) -> Self { $t::from_f32(self.to_f32() * o.to_f32()) }
            #[inline(always)]
            fn div(self, o: Self) -> Self { $t::from_f32(self.to_f32() / o.to_f32()) }
            #[inline(always)]
            fn pow(self, e: Self) -> Self { $t::from_f32(self.to_f32().powf(e.to_f32())) }
            #[inline(always)]
            fn neg(self) -> Self { -self }
            #[inline(always)]
            fn is_zero(self) -> bool { self.to_f32() == 0.0 }
        }
        impl RealArith for $t {
            #[inline(always)]
            fn rem(self, o: Self) -> Self { $t::from_f32(RealArith::rem(self.to_f32(), o.to_f32())) }
            #[inline(always)]
            fn maximum(self, o: Self) -> Self { $t::from_f32(RealArith::maximum(self.to_f32(), o.to_f32())) }
            #[inline(always)]
            fn minimum(self, o: Self) -> Self { $t::from_f32(RealArith::minimum(self.to_f32(), o.to_f32())) }
            #[inline(always)]
            fn is_negative(self) -> bool { self.to_f32() < 0.0 }
        }
    )*};
}
half_arith!(f16, bf16);

macro_rules! complex_arith {
    ($($t:ty),*) => {$(
        impl Arith for Complex<$t> {
            const INTEGER: bool = false;
            #[inline(always)]
            fn add(self, o: Self) -> Self { self + o }
            #[inline(always)]
            fn sub(self, o: Self) -> Self { self - o }
            #[inline(always)]
            fn mul(self, o: Self) -> Self { self * o }
            #[inline(always)]
            fn div(self, o: Self) -> Self { self / o }
            #[inline(always)]
            fn pow(self, e: Self) -> Self {
                // 0 ** e is 0 for e with a positive real part (powc would give NaN).
                if self == Complex::new(0.0, 0.0) {
                    if e == Complex::new(0.0, 0.0) { Complex::new(1.0, 0.0) }
                    else if e.re > 0.0 { self }
                    else { Complex::new(<$t>::NAN, <$t>::NAN) }
                } else {
                    self.powc(e)
                }
            }
            #[inline(always)]
            fn neg(self) -> Self { -self }
            #[inline(always)]
            fn is_zero(self) -> bool { self == Complex::new(0.0, 0.0) }
        }
    )*};
}
complex_arith!(f32, f64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_floor_division_and_modulo() {
        // NumPy: 7 // -2 == -4, 7 % -2 == -1, -7 // 2 == -4, -7 % 2 == 1
        assert_eq!(Arith::div(7i32, -2), -4);
        assert_eq!(RealArith::rem(7i32, -2), -1);
        assert_eq!(Arith::div(-7i32, 2), -4);
        assert_eq!(RealArith::rem(-7i32, 2), 1);
        assert_eq!(Arith::div(-8i32, 2), -4);
        assert_eq!(RealArith::rem(-8i32, 2), 0);
        assert_eq!(Arith::div(7u8, 2), 3);
        // Overflow wraps: i32::MIN // -1 == i32::MIN, as in NumPy's int32.
        assert_eq!(Arith::div(i32::MIN, -1), i32::MIN);
        assert_eq!(RealArith::rem(i32::MIN, -1), 0);
        assert_eq!(Arith::add(i8::MAX, 1), i8::MIN);
        assert_eq!(Arith::neg(i8::MIN), i8::MIN);
    }

    #[test]
    fn integer_powers_wrap() {
        assert_eq!(Arith::pow(3i64, 4), 81);
        assert_eq!(Arith::pow(2u8, 9), 0);
        assert_eq!(Arith::pow(-2i8, 7), -128);
        assert_eq!(Arith::pow(5i32, 0), 1);
        assert_eq!(Arith::pow(0i32, 0), 1);
    }

    #[test]
    fn float_rules() {
        // np.remainder(-7.5, 2) == 0.5; np.remainder(7.5, -2) == -0.5
        assert_eq!(RealArith::rem(-7.5f64, 2.0), 0.5);
        assert_eq!(RealArith::rem(7.5f32, -2.0), -0.5);
        assert!(RealArith::maximum(f32::NAN, 1.0).is_nan());
        assert!(RealArith::minimum(1.0f64, f64::NAN).is_nan());
        assert_eq!(RealArith::maximum(-0.5f32, 2.0), 2.0);
        assert_eq!(Arith::div(1.0f32, 0.0), f32::INFINITY);
        let h = Arith::add(f16::from_f32(1.0), f16::from_f32(2.0f32.powi(-11)));
        assert_eq!(h, f16::ONE); // exact tie, rounds to even once
    }

    #[test]
    fn complex_power_of_zero() {
        let z = Complex::new(0.0f64, 0.0);
        assert_eq!(Arith::pow(z, Complex::new(2.0, 0.0)), z);
        assert_eq!(Arith::pow(z, z), Complex::new(1.0, 0.0));
        let i = Complex::new(0.0f64, 1.0);
        let sq = Arith::pow(i, Complex::new(2.0, 0.0));
        assert!((sq - Complex::new(-1.0, 0.0)).norm() < 1e-12);
    }
}
