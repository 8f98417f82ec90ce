//! The arithmetic the sparse ops need, per numeric element type, and the
//! dtype dispatch that reaches it.
//!
//! Integers wrap (TensorFlow's rule), f16/bf16 accumulate in f32 and round
//! once per output element, floats and complex numbers use their own type.

use half::{bf16, f16};
use num_complex::Complex;
use tensorbridge_core::{Element, Error};

/// A numeric element type (every dtype but bool).
pub(crate) trait Num: Element {
    /// The type sums are accumulated in.
    type Acc: Element;
    /// The value as an accumulator.
    fn to_acc(self) -> Self::Acc;
    /// The accumulator rounded back to the element type.
    fn from_acc(a: Self::Acc) -> Self;
    /// `a + b` (wrapping for integers).
    fn acc_add(a: Self::Acc, b: Self::Acc) -> Self::Acc;
    /// `acc + a * b` (wrapping for integers).
    fn acc_mul_add(acc: Self::Acc, a: Self::Acc, b: Self::Acc) -> Self::Acc;
    /// The complex conjugate (the value itself for real types).
    fn conj(self) -> Self;
}

macro_rules! int_num {
    ($($t:ty),*) => {$(
        impl Num for $t {
            type Acc = $t;
            #[inline(always)]
            fn to_acc(self) -> $t { self }
            #[inline(always)]
            fn from_acc(a: $t) -> $t { a }
            #[inline(always)]
            fn acc_add(a: $t, b: $t) -> $t { a.wrapping_add(b) }
            #[inline(always)]
            fn acc_mul_add(acc: $t, a: $t, b: $t) -> $t { acc.wrapping_add(a.wrapping_mul(b)) }
            #[inline(always)]
            fn conj(self) -> $t { self }
        }
    )*};
}
int_num!(u8, u16, u32, u64, i8, i16, i32, i64);

macro_rules! float_num {
    ($($t:ty),*) => {$(
        impl Num for $t {
            type Acc = $t;
            #[inline(always)]
            fn to_acc(self) -> $t { self }
            #[inline(always)]
            fn from_acc(a: $t) -> $t { a }
            #[inline(always)]
            fn acc_add(a: $t, b: $t) -> $t { a + b }
            #[inline(always)]
            fn acc_mul_add(acc: $t, a: $t, b: $t) -> $t { acc + a * b }
            #[inline(always)]
            fn conj(self) -> $t { self }
        }
    )*};
}
float_num!(f32, f64);

macro_rules! half_num {
    ($($t:ty),*) => {$(
        impl Num for $t {
            type Acc = f32;
            #[inline(always)]
            fn to_acc(self) -> f32 { self.to_f32() }
            #[inline(always)]
            fn from_acc(a: f32) -> $t { <$t>::from_f32(a) }
            #[inline(always)]
            fn acc_add(a: f32, b: f32) -> f32 { a + b }
            #[inline(always)]
            fn acc_mul_add(acc: f32, a: f32, b: f32) -> f32 { acc + a * b }
            #[inline(always)]
            fn conj(self) -> $t { self }
        }
    )*};
}
half_num!(f16, bf16);

macro_rules! complex_num {
    ($($t:ty),*) => {$(
        impl Num for Complex<$t> {
            type Acc = Complex<$t>;
            #[inline(always)]
            fn to_acc(self) -> Self { self }
            #[inline(always)]
            fn from_acc(a: Self) -> Self { a }
            #[inline(always)]
            fn acc_add(a: Self, b: Self) -> Self { a + b }
            #[inline(always)]
            fn acc_mul_add(acc: Self, a: Self, b: Self) -> Self { acc + a * b }
            #[inline(always)]
            fn conj(self) -> Self { Complex::conj(&self) }
        }
    )*};
}
complex_num!(f32, f64);

/// The error for arithmetic asked of bool values.
pub(crate) fn bool_error(op: &'static str, what: &str) -> Error {
    Error::InvalidArgument {
        op,
        what: format!(
            "{what} holds bool values, which have no arithmetic; cast them with \
             .map_values(|v| v.cast(DType::I32)) first"
        ),
    }
}

/// Core's dtype dispatch under the names this crate uses: `with_num!` for
/// the numeric dtypes (with a `bool => ...` arm), `with_any!` for all.
pub(crate) use tensorbridge_core::{with_dtype as with_any, with_numeric_dtype as with_num};
