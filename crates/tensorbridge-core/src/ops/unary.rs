//! Unary elementwise operations: `neg abs sign exp log sqrt rsqrt sin cos
//! tanh sigmoid relu floor ceil round logical_not`.
//!
//! Transcendental functions are defined for floats and complex numbers
//! (TensorFlow's rule: an integer tensor must be cast first, it is never
//! promoted silently); f16 and bf16 compute in f32 and round once.
//!
//! On a GPU the exact operations (`neg abs sign relu floor ceil round
//! logical_not`, and `sqrt`, which IEEE rounds correctly) give the CPU's
//! bits; the transcendental ones use CUDA's math library and may differ
//! from the CPU's by a few ulps (CUDA documents at most 2 ulps for `expf`,
//! `logf`, `sinf`, `cosf`, `tanhf` and their f64 forms, Rust's are within
//! one).

use half::{bf16, f16};
use num_complex::Complex;

use crate::element::Element;
use crate::graph::{Op, UnaryOp, record_if_symbolic};
use crate::ops::math::{Arith, with_numeric_dtype};
use crate::{DType, Error, Result, Tensor, zip};

/// The functions floats and complex numbers share.
trait Transcendental: Copy + std::ops::Neg<Output = Self> {
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn sqrt(self) -> Self;
    fn sin(self) -> Self;
    fn cos(self) -> Self;
    fn tanh(self) -> Self;
    fn recip(self) -> Self;
    fn one_plus(self) -> Self;
    /// `1 / (1 + e^-x)`.
    #[inline(always)]
    fn sigmoid(self) -> Self {
        (-self).exp().one_plus().recip()
    }
}

macro_rules! transcendental {
    ($($t:ty: $one:expr),*) => {$(
        impl Transcendental for $t {
            #[inline(always)] fn exp(self) -> Self { <$t>::exp(self) }
            #[inline(always)] fn ln(self) -> Self { <$t>::ln(self) }
            #[inline(always)] fn sqrt(self) -> Self { <$t>::sqrt(self) }
            #[inline(always)] fn sin(self) -> Self { <$t>::sin(self) }
            #[inline(always)] fn cos(self) -> Self { <$t>::cos(self) }
            #[inline(always)] fn tanh(self) -> Self { <$t>::tanh(self) }
            #[inline(always)] fn recip(self) -> Self { <$t>::from($one) / self }
            #[inline(always)] fn one_plus(self) -> Self { <$t>::from($one) + self }
        }
    )*};
}
transcendental!(f32: 1.0f32, f64: 1.0f64, Complex<f32>: 1.0f32, Complex<f64>: 1.0f64);

/// `f` over every element, as a new C-order tensor of element type `D`.
fn map<T: Element, D: Element>(
    t: &Tensor,
    op: &'static str,
    f: impl Fn(T) -> D + Sync,
) -> Result<Tensor> {
    #[cfg(feature = "cuda")]
    if t.cuda_storage().is_some() {
        return crate::cuda::unary(op, t, D::DTYPE);
    }
    let out = zip::map1(t.host_slice::<T>(op)?, t.layout(), f)?;
    Ok(Tensor::from_cpu_storage(
        D::into_storage(out),
        t.shape().clone(),
    ))
}

fn unsupported(op: &'static str, dtype: DType, hint: &str) -> Error {
    Error::invalid(op, format!("{op} is not defined for {dtype} tensors{hint}"))
}

const CAST_HINT: &str = "; cast to a float dtype first (tensorbridge never promotes silently)";

macro_rules! transcendental_op {
    ($(#[$doc:meta])* $name:ident, |$x:ident| $body:expr) => {
        $(#[$doc])*
        pub fn $name(&self) -> Result<Tensor> {
            const OP: &str = stringify!($name);
            record_if_symbolic!(Op::Unary(UnaryOp::from_name(OP)), self);
            fn f<T: Transcendental>($x: T) -> T { $body }
            match self.dtype() {
                DType::F32 => map(self, OP, f::<f32>),
                DType::F64 => map(self, OP, f::<f64>),
                DType::F16 => map(self, OP, |x: f16| f16::from_f32(f(x.to_f32()))),
                DType::BF16 => map(self, OP, |x: bf16| bf16::from_f32(f(x.to_f32()))),
                DType::C64 => map(self, OP, f::<Complex<f32>>),
                DType::C128 => map(self, OP, f::<Complex<f64>>),
                other => Err(unsupported(OP, other, CAST_HINT)),
            }
        }
    };
}

/// Rounding of the real types: floats round, integers are already whole.
macro_rules! rounding_op {
    ($(#[$doc:meta])* $name:ident, $method:ident) => {
        $(#[$doc])*
        pub fn $name(&self) -> Result<Tensor> {
            const OP: &str = stringify!($name);
            record_if_symbolic!(Op::Unary(UnaryOp::from_name(OP)), self);
            match self.dtype() {
                DType::F32 => map(self, OP, |x: f32| x.$method()),
                DType::F64 => map(self, OP, |x: f64| x.$method()),
                DType::F16 => map(self, OP, |x: f16| f16::from_f32(x.to_f32().$method())),
                DType::BF16 => map(self, OP, |x: bf16| bf16::from_f32(x.to_f32().$method())),
                d if d.is_int() => Ok(self.clone()),
                d => Err(unsupported(OP, d, "")),
            }
        }
    };
}

impl Tensor {
    /// Elementwise `-self` (`tf.negative`); integers wrap (`-i8::MIN` is
    /// `i8::MIN`, and unsigned values wrap modulo 2^n, as in NumPy).
    ///
    /// **Errors**: [`Error::InvalidArgument`] for bool.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// assert_eq!(Tensor::from([1, -2]).neg()?.to_vec::<i32>()?, [-1, 2]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn neg(&self) -> Result<Tensor> {
        record_if_symbolic!(Op::Unary(UnaryOp::Neg), self);
        with_numeric_dtype!(self.dtype(), T => map(self, "neg", |x: T| Arith::neg(x)),
            bool => Err(unsupported("neg", DType::Bool, "; use logical_not")))
    }

    /// Elementwise absolute value (`tf.abs`): the magnitude for complex
    /// numbers, as f32 for c64 and f64 for c128; `abs(i8::MIN)` wraps to
    /// `i8::MIN`, as in NumPy and TensorFlow.
    ///
    /// **Errors**: [`Error::InvalidArgument`] for bool.
    ///
    /// ```
    /// use tensorbridge_core::{Complex, Tensor};
    ///
    /// assert_eq!(Tensor::from([-3i8, 4]).abs()?.to_vec::<i8>()?, [3, 4]);
    /// assert_eq!(Tensor::from([Complex::new(3.0f64, 4.0)]).abs()?.to_vec::<f64>()?, [5.0]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn abs(&self) -> Result<Tensor> {
        record_if_symbolic!(Op::Unary(UnaryOp::Abs), self);
        const OP: &str = "abs";
        match self.dtype() {
            DType::I8 => map(self, OP, i8::wrapping_abs),
            DType::I16 => map(self, OP, i16::wrapping_abs),
            DType::I32 => map(self, OP, i32::wrapping_abs),
            DType::I64 => map(self, OP, i64::wrapping_abs),
            DType::F32 => map(self, OP, f32::abs),
            DType::F64 => map(self, OP, f64::abs),
            DType::F16 => map(self, OP, |x: f16| if x.is_sign_negative() { -x } else { x }),
            DType::BF16 => map(
                self,
                OP,
                |x: bf16| if x.is_sign_negative() { -x } else { x },
            ),
            DType::C64 => map(self, OP, |z: Complex<f32>| z.norm()),
            DType::C128 => map(self, OP, |z: Complex<f64>| z.norm()),
            DType::Bool => Err(unsupported(OP, DType::Bool, "")),
            _unsigned => Ok(self.clone()),
        }
    }

    /// Elementwise sign (`tf.sign`): -1, 0 or 1 (zeros and NaN are kept as
    /// they are); `z / |z|` for complex numbers (0 for 0).
    ///
    /// **Errors**: [`Error::InvalidArgument`] for bool.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// assert_eq!(Tensor::from([-5, 0, 7]).sign()?.to_vec::<i32>()?, [-1, 0, 1]);
    /// assert_eq!(Tensor::from([-0.5f32, 2.0]).sign()?.to_vec::<f32>()?, [-1.0, 1.0]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn sign(&self) -> Result<Tensor> {
        record_if_symbolic!(Op::Unary(UnaryOp::Sign), self);
        const OP: &str = "sign";
        fn real<T: Element + PartialOrd + Arith>(x: T) -> T {
            let zero = T::default();
            if x > zero {
                T::one()
            } else if x < zero {
                Arith::neg(T::one())
            } else {
                x
            }
        }
        match self.dtype() {
            DType::C64 => map(
                self,
                OP,
                |z: Complex<f32>| if z.norm() == 0.0 { z } else { z / z.norm() },
            ),
            DType::C128 => map(
                self,
                OP,
                |z: Complex<f64>| if z.norm() == 0.0 { z } else { z / z.norm() },
            ),
            d => crate::ops::math::with_real_dtype!(d, T => map(self, OP, real::<T>),
                other => Err(unsupported(OP, other, ""))),
        }
    }

    transcendental_op!(
        /// Elementwise `e^x` (`tf.exp`).
        ///
        /// **Errors**: [`Error::InvalidArgument`] for integer and bool
        /// tensors (cast to a float dtype first).
        ///
        /// ```
        /// use tensorbridge_core::Tensor;
        ///
        /// assert_eq!(Tensor::from([0.0f64]).exp()?.to_vec::<f64>()?, [1.0]);
        /// assert!(Tensor::from([1]).exp().is_err());
        /// # Ok::<(), tensorbridge_core::Error>(())
        /// ```
        exp, |x| x.exp()
    );
    transcendental_op!(
        /// Elementwise natural logarithm (`tf.math.log`); `log(0)` is -inf
        /// and the log of a negative float is NaN (IEEE).
        ///
        /// **Errors**: as [`Tensor::exp`].
        log, |x| x.ln()
    );
    transcendental_op!(
        /// Elementwise square root (`tf.sqrt`); NaN for negative floats.
        ///
        /// **Errors**: as [`Tensor::exp`].
        ///
        /// ```
        /// use tensorbridge_core::Tensor;
        ///
        /// assert_eq!(Tensor::from([4.0f32, 9.0]).sqrt()?.to_vec::<f32>()?, [2.0, 3.0]);
        /// # Ok::<(), tensorbridge_core::Error>(())
        /// ```
        sqrt, |x| x.sqrt()
    );
    transcendental_op!(
        /// Elementwise `1 / sqrt(x)` (`tf.math.rsqrt`).
        ///
        /// **Errors**: as [`Tensor::exp`].
        rsqrt, |x| x.sqrt().recip()
    );
    transcendental_op!(
        /// Elementwise sine (`tf.sin`).
        ///
        /// **Errors**: as [`Tensor::exp`].
        sin, |x| x.sin()
    );
    transcendental_op!(
        /// Elementwise cosine (`tf.cos`).
        ///
        /// **Errors**: as [`Tensor::exp`].
        cos, |x| x.cos()
    );
    transcendental_op!(
        /// Elementwise hyperbolic tangent (`tf.tanh`).
        ///
        /// **Errors**: as [`Tensor::exp`].
        tanh, |x| x.tanh()
    );
    transcendental_op!(
        /// Elementwise logistic sigmoid `1 / (1 + e^-x)` (`tf.sigmoid`).
        ///
        /// **Errors**: as [`Tensor::exp`].
        ///
        /// ```
        /// use tensorbridge_core::Tensor;
        ///
        /// assert_eq!(Tensor::from([0.0f32]).sigmoid()?.to_vec::<f32>()?, [0.5]);
        /// # Ok::<(), tensorbridge_core::Error>(())
        /// ```
        sigmoid, |x| x.sigmoid()
    );

    /// Elementwise `max(x, 0)` (`tf.nn.relu`); NaN stays NaN.
    ///
    /// **Errors**: [`Error::InvalidArgument`] for bool and complex.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// assert_eq!(Tensor::from([-1, 0, 5]).relu()?.to_vec::<i32>()?, [0, 0, 5]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn relu(&self) -> Result<Tensor> {
        record_if_symbolic!(Op::Unary(UnaryOp::Relu), self);
        fn relu<T: Element + PartialOrd>(x: T) -> T {
            // `x < 0` is false for NaN, which therefore passes through.
            if x < T::default() { T::default() } else { x }
        }
        crate::ops::math::with_real_dtype!(self.dtype(), T => map(self, "relu", relu::<T>),
            other => Err(unsupported("relu", other, "")))
    }

    rounding_op!(
        /// Elementwise floor (`tf.floor`); integer tensors are returned as
        /// they are.
        ///
        /// **Errors**: [`Error::InvalidArgument`] for bool and complex.
        ///
        /// ```
        /// use tensorbridge_core::Tensor;
        ///
        /// assert_eq!(Tensor::from([-1.5f32, 1.5]).floor()?.to_vec::<f32>()?, [-2.0, 1.0]);
        /// # Ok::<(), tensorbridge_core::Error>(())
        /// ```
        floor, floor
    );
    rounding_op!(
        /// Elementwise ceiling (`tf.math.ceil`); integer tensors are returned
        /// as they are.
        ///
        /// **Errors**: as [`Tensor::floor`].
        ceil, ceil
    );
    rounding_op!(
        /// Elementwise rounding to the nearest integer, ties to even
        /// (`tf.round`, `np.round`: 0.5 → 0, 1.5 → 2, 2.5 → 2); integer
        /// tensors are returned as they are.
        ///
        /// **Errors**: as [`Tensor::floor`].
        ///
        /// ```
        /// use tensorbridge_core::Tensor;
        ///
        /// let t = Tensor::from([0.5f64, 1.5, 2.5, -0.5]).round()?;
        /// assert_eq!(t.to_vec::<f64>()?, [0.0, 2.0, 2.0, -0.0]);
        /// # Ok::<(), tensorbridge_core::Error>(())
        /// ```
        round, round_ties_even
    );

    /// Elementwise logical not of a bool tensor (`tf.logical_not`).
    ///
    /// **Errors**: [`Error::DTypeMismatch`] unless the tensor is bool.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// assert_eq!(Tensor::from([true, false]).logical_not()?.to_vec::<bool>()?, [false, true]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn logical_not(&self) -> Result<Tensor> {
        record_if_symbolic!(Op::Unary(UnaryOp::LogicalNot), self);
        if self.dtype() != DType::Bool {
            return Err(Error::DTypeMismatch {
                op: "logical_not",
                expected: DType::Bool,
                found: self.dtype(),
            });
        }
        map(self, "logical_not", |x: bool| !x)
    }
}
