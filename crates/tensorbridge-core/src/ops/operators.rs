//! Operator sugar: `&a + &b`, `&a * 2.0`, `-&a`, ... over the methods.
//!
//! Like ndarray's operators, these panic where the method returns an error
//! (mismatched dtypes, shapes that do not broadcast, integer division by
//! zero, a scalar with no exact value in the tensor's dtype); the panic
//! message is the method's error message. Use the methods (`add`,
//! `mul_scalar`, ...) to handle those errors instead.
//!
//! ```
//! use tensorbridge_core::Tensor;
//!
//! let t = Tensor::from([[1, 2], [4, 8]]);
//! let u = &(&t * 2) + 1;                 // tf.multiply(t, 2) + 1
//! assert_eq!(u.to_vec::<i32>()?, [3, 5, 9, 17]);
//! assert_eq!((-&u).to_vec::<i32>()?, [-3, -5, -9, -17]);
//! let x = Tensor::from([1.0f32, 2.0]);
//! assert_eq!((&x / &x).to_vec::<f32>()?, [1.0, 1.0]);
//! # Ok::<(), tensorbridge_core::Error>(())
//! ```
//!
//! ```should_panic
//! use tensorbridge_core::Tensor;
//!
//! // int32 + float32: the method's DTypeMismatch, as a panic.
//! let _ = &Tensor::from([1]) + &Tensor::from([1.0f32]);
//! ```

use std::ops::{Add, Div, Mul, Neg, Rem, Sub};

use crate::{Element, Result, Tensor};

/// Unwraps an operator's result, panicking with the method's message.
#[track_caller]
fn expect_op(result: Result<Tensor>) -> Tensor {
    result.unwrap_or_else(|e| panic!("{e}"))
}

macro_rules! binary_operator {
    ($($trait:ident, $fn:ident, $method:ident, $scalar:ident;)*) => {$(
        impl $trait<&Tensor> for &Tensor {
            type Output = Tensor;
            #[doc = concat!("`Tensor::", stringify!($method), "`; panics where it returns an error.")]
            #[track_caller]
            fn $fn(self, rhs: &Tensor) -> Tensor {
                expect_op(Tensor::$method(&self, rhs))
            }
        }
        impl $trait<Tensor> for Tensor {
            type Output = Tensor;
            #[doc = concat!("`Tensor::", stringify!($method), "`; panics where it returns an error.")]
            #[track_caller]
            fn $fn(self, rhs: Tensor) -> Tensor {
                expect_op(Tensor::$method(&self, &rhs))
            }
        }
        impl $trait<&Tensor> for Tensor {
            type Output = Tensor;
            #[doc = concat!("`Tensor::", stringify!($method), "`; panics where it returns an error.")]
            #[track_caller]
            fn $fn(self, rhs: &Tensor) -> Tensor {
                expect_op(Tensor::$method(&self, rhs))
            }
        }
        impl $trait<Tensor> for &Tensor {
            type Output = Tensor;
            #[doc = concat!("`Tensor::", stringify!($method), "`; panics where it returns an error.")]
            #[track_caller]
            fn $fn(self, rhs: Tensor) -> Tensor {
                expect_op(Tensor::$method(&self, &rhs))
            }
        }
        impl<S: Element> $trait<S> for &Tensor {
            type Output = Tensor;
            #[doc = concat!("`Tensor::", stringify!($scalar), "`; panics where it returns an error.")]
            #[track_caller]
            fn $fn(self, rhs: S) -> Tensor {
                expect_op(Tensor::$scalar(&self, rhs))
            }
        }
        impl<S: Element> $trait<S> for Tensor {
            type Output = Tensor;
            #[doc = concat!("`Tensor::", stringify!($scalar), "`; panics where it returns an error.")]
            #[track_caller]
            fn $fn(self, rhs: S) -> Tensor {
                expect_op(Tensor::$scalar(&self, rhs))
            }
        }
    )*};
}

binary_operator! {
    Add, add, add, add_scalar;
    Sub, sub, sub, sub_scalar;
    Mul, mul, mul, mul_scalar;
    Div, div, div, div_scalar;
    Rem, rem, rem, rem_scalar;
}

impl Neg for &Tensor {
    type Output = Tensor;
    /// `Tensor::neg`; panics where it returns an error (bool tensors).
    #[track_caller]
    fn neg(self) -> Tensor {
        expect_op(Tensor::neg(self))
    }
}

impl Neg for Tensor {
    type Output = Tensor;
    /// `Tensor::neg`; panics where it returns an error (bool tensors).
    #[track_caller]
    fn neg(self) -> Tensor {
        expect_op(Tensor::neg(&self))
    }
}
