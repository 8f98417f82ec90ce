//! Binary elementwise operations with NumPy broadcasting: arithmetic,
//! comparisons, logical operations, `where_`, and the scalar forms.
//!
//! Both operands must have the same dtype (TensorFlow's rule: mixing dtypes
//! is [`Error::DTypeMismatch`], and the message suggests `cast`). Shapes
//! broadcast as in NumPy: aligned from the right, each pair of dims equal or
//! one of them 1.

use crate::element::{Element, private::Sealed};
use crate::graph::{BinaryOp, Op, record_if_symbolic};
use crate::ops::math::{Arith, RealArith, with_numeric_dtype, with_real_dtype};
use crate::{DType, Error, Result, Shape, Tensor, dtype::with_dtype, zip};

/// The shape two operands broadcast to, NumPy's rule.
///
/// **Errors**: [`Error::ShapeMismatch`] naming both shapes when a pair of dims
/// differs and neither is 1.
pub(crate) fn broadcast_shapes(op: &'static str, a: &[usize], b: &[usize]) -> Result<Shape> {
    let rank = a.len().max(b.len());
    let mut dims = vec![0; rank];
    for (i, d) in dims.iter_mut().enumerate() {
        let da = (i + a.len()).checked_sub(rank).map_or(1, |j| a[j]);
        let db = (i + b.len()).checked_sub(rank).map_or(1, |j| b[j]);
        *d = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(Error::shape_mismatch(
                op,
                a,
                b,
                format!(
                    "shapes {a:?} and {b:?} cannot be broadcast together: aligned from the right, \
                     dims {da} and {db} (axis {i} of the result) differ and neither is 1"
                ),
            ));
        };
    }
    Ok(Shape::from(dims))
}

/// `f` over the broadcast elements of `a` and `b` (both of element type `T`),
/// as a new tensor of element type `D`.
fn zip_with<T: Element, D: Element>(
    op: &'static str,
    a: &Tensor,
    b: &Tensor,
    f: impl Fn(T, T) -> D + Sync,
) -> Result<Tensor> {
    #[cfg(feature = "cuda")]
    if crate::cuda::placement(op, &[a, b])? != crate::Device::Cpu {
        return crate::cuda::binary(op, a, b, D::DTYPE);
    }
    let (da, db) = (a.host_slice::<T>(op)?, b.host_slice::<T>(op)?);
    // Same dims (the common case) needs no broadcast layouts.
    let (out, shape) = if a.dims() == b.dims() {
        let out = zip::map2((da, a.layout()), (db, b.layout()), f)?;
        (out, a.shape().clone())
    } else {
        let shape = broadcast_shapes(op, a.dims(), b.dims())?;
        let (la, lb) = (
            a.layout().broadcast_to(&shape)?,
            b.layout().broadcast_to(&shape)?,
        );
        (zip::map2((da, &la), (db, &lb), f)?, shape)
    };
    Ok(Tensor::from_cpu_storage(D::into_storage(out), shape))
}

/// The dtype both operands share, or [`Error::DTypeMismatch`].
fn same_dtype(op: &'static str, a: &Tensor, b: &Tensor) -> Result<DType> {
    if a.dtype() == b.dtype() {
        Ok(a.dtype())
    } else {
        Err(Error::DTypeMismatch {
            op,
            expected: a.dtype(),
            found: b.dtype(),
        })
    }
}

fn unsupported(op: &'static str, dtype: DType, what: &str) -> Error {
    Error::invalid(op, format!("{op} is not defined for {dtype} tensors{what}"))
}

/// No operand check beyond dtype and shape (generic like the other checks,
/// so that the op macros can name any of them the same way).
#[expect(
    clippy::extra_unused_type_parameters,
    reason = "same signature as the other checks"
)]
fn no_check<T>(_: &'static str, _: &Tensor, _: &Tensor) -> Result<()> {
    Ok(())
}

/// Refuses integer divisors that contain a zero (a trap in hardware, an
/// error here). The check is skipped when the result is empty, since no
/// division happens then.
fn nonzero_divisor<T: Arith>(op: &'static str, a: &Tensor, divisor: &Tensor) -> Result<()> {
    #[cfg(feature = "cuda")]
    if crate::cuda::placement(op, &[a, divisor])? != crate::Device::Cpu {
        // The same rule, checked by a reduction on the device.
        if T::INTEGER && a.numel() > 0 && crate::cuda::any_zero(divisor, false)? {
            return Err(division_by_zero::<T>(op));
        }
        return Ok(());
    }
    if T::INTEGER && a.numel() > 0 && divisor.view::<T>()?.iter().any(|&x| Arith::is_zero(x)) {
        return Err(division_by_zero::<T>(op));
    }
    Ok(())
}

fn division_by_zero<T: Element>(op: &'static str) -> Error {
    Error::invalid(
        op,
        format!(
            "integer division by zero: the divisor of dtype {} contains 0",
            T::DTYPE
        ),
    )
}

/// Refuses negative integer exponents (NumPy's rule: the power would not be
/// an integer).
fn nonnegative_exponent<T: Arith>(op: &'static str, a: &Tensor, exponent: &Tensor) -> Result<()> {
    #[cfg(feature = "cuda")]
    if crate::cuda::placement(op, &[a, exponent])? != crate::Device::Cpu {
        if T::INTEGER && a.numel() > 0 && crate::cuda::any_zero(exponent, true)? {
            return Err(negative_exponent::<T>(op));
        }
        return Ok(());
    }
    if T::INTEGER && a.numel() > 0 {
        // Integers are real, so the real-number view of them decides.
        let negative = with_real_dtype!(T::DTYPE, R => exponent.view::<R>()?.iter().any(|&x| RealArith::is_negative(x)), _d => false);
        if negative {
            return Err(negative_exponent::<T>(op));
        }
    }
    Ok(())
}

fn negative_exponent<T: Element>(op: &'static str) -> Error {
    Error::invalid(
        op,
        format!(
            "integers to negative integer powers are not allowed: the exponent of dtype {} \
             contains a negative value; cast to a float dtype first",
            T::DTYPE
        ),
    )
}

macro_rules! arith_op {
    ($(#[$doc:meta])* $name:ident, $scalar:ident, $check:ident, |$x:ident, $y:ident| $body:expr) => {
        $(#[$doc])*
        pub fn $name(&self, other: &Tensor) -> Result<Tensor> {
            const OP: &str = stringify!($name);
            record_if_symbolic!(Op::Binary(BinaryOp::from_name(OP)), self, other);
            let dtype = same_dtype(OP, self, other)?;
            with_numeric_dtype!(dtype, T => {
                $check::<T>(OP, self, other)?;
                zip_with(OP, self, other, |$x: T, $y: T| $body)
            },
                bool => Err(unsupported(OP, dtype, "; use logical_and/logical_or/logical_xor, or cast")))
        }

        #[doc = concat!("[`Tensor::", stringify!($name), "`] with a scalar, converted to the tensor's dtype as TensorFlow converts a Python number.")]
        ///
        /// **Errors**: [`Error::InvalidArgument`] when the scalar has no exact
        /// value in an integer or bool dtype (`1.5` for an int32 tensor); the
        /// errors of the tensor form.
        pub fn $scalar<S: Element>(&self, scalar: S) -> Result<Tensor> {
            self.$name(&scalar_operand(self, scalar_like(stringify!($scalar), self.dtype(), scalar)?)?)
        }
    };
}

macro_rules! real_op {
    ($(#[$doc:meta])* $name:ident, $scalar:ident, $check:ident, |$x:ident, $y:ident| $body:expr) => {
        $(#[$doc])*
        pub fn $name(&self, other: &Tensor) -> Result<Tensor> {
            const OP: &str = stringify!($name);
            record_if_symbolic!(Op::Binary(BinaryOp::from_name(OP)), self, other);
            let dtype = same_dtype(OP, self, other)?;
            with_real_dtype!(dtype, T => {
                $check::<T>(OP, self, other)?;
                zip_with(OP, self, other, |$x: T, $y: T| $body)
            },
                d => Err(unsupported(OP, d, "")))
        }

        #[doc = concat!("[`Tensor::", stringify!($name), "`] with a scalar, converted to the tensor's dtype as TensorFlow converts a Python number.")]
        ///
        /// **Errors**: as [`Tensor::add_scalar`].
        pub fn $scalar<S: Element>(&self, scalar: S) -> Result<Tensor> {
            self.$name(&scalar_operand(self, scalar_like(stringify!($scalar), self.dtype(), scalar)?)?)
        }
    };
}

macro_rules! compare_op {
    ($(#[$doc:meta])* $name:ident, $op:tt, ordered = $ordered:tt) => {
        $(#[$doc])*
        pub fn $name(&self, other: &Tensor) -> Result<Tensor> {
            const OP: &str = stringify!($name);
            record_if_symbolic!(Op::Binary(BinaryOp::from_name(OP)), self, other);
            let dtype = same_dtype(OP, self, other)?;
            compare_op!(@dispatch $ordered, OP, dtype, self, other, $op)
        }
    };
    (@dispatch false, $OP:ident, $dtype:ident, $a:ident, $b:ident, $op:tt) => {
        with_dtype!($dtype, T => zip_with($OP, $a, $b, |x: T, y: T| x $op y))
    };
    (@dispatch true, $OP:ident, $dtype:ident, $a:ident, $b:ident, $op:tt) => {
        match $dtype {
            DType::Bool => zip_with($OP, $a, $b, |x: bool, y: bool| x $op y),
            _ => with_real_dtype!($dtype, T => zip_with($OP, $a, $b, |x: T, y: T| x $op y),
                d => Err(unsupported($OP, d, ": complex numbers have no order"))),
        }
    };
}

macro_rules! logical_op {
    ($(#[$doc:meta])* $name:ident, $op:tt) => {
        $(#[$doc])*
        pub fn $name(&self, other: &Tensor) -> Result<Tensor> {
            const OP: &str = stringify!($name);
            record_if_symbolic!(Op::Binary(BinaryOp::from_name(OP)), self, other);
            for t in [self, other] {
                if t.dtype() != DType::Bool {
                    return Err(Error::DTypeMismatch { op: OP, expected: DType::Bool, found: t.dtype() });
                }
            }
            zip_with(OP, self, other, |x: bool, y: bool| x $op y)
        }
    };
}

impl Tensor {
    arith_op!(
        /// Elementwise `self + other` with broadcasting (`tf.add`, `np.add`);
        /// integers wrap on overflow.
        ///
        /// **Errors**: [`Error::DTypeMismatch`] for operands of different
        /// dtypes; [`Error::ShapeMismatch`] for shapes that do not broadcast;
        /// [`Error::InvalidArgument`] for bool.
        ///
        /// ```
        /// use tensorbridge_core::Tensor;
        ///
        /// let a = Tensor::from([[1, 2], [4, 8]]);
        /// let b = Tensor::from([10, 20]);
        /// assert_eq!(a.add(&b)?.to_vec::<i32>()?, [11, 22, 14, 28]);
        /// assert_eq!(a.add_scalar(1)?.to_vec::<i32>()?, [2, 3, 5, 9]);
        /// assert!(a.add(&Tensor::from([1.0f32])).is_err()); // int32 + float32: cast first
        /// # Ok::<(), tensorbridge_core::Error>(())
        /// ```
        add, add_scalar, no_check, |x, y| Arith::add(x, y)
    );
    arith_op!(
        /// Elementwise `self - other` with broadcasting (`tf.subtract`).
        ///
        /// **Errors**: as [`Tensor::add`].
        ///
        /// ```
        /// use tensorbridge_core::Tensor;
        ///
        /// assert_eq!(Tensor::from([5u8, 0]).sub_scalar(1u8)?.to_vec::<u8>()?, [4, 255]);
        /// # Ok::<(), tensorbridge_core::Error>(())
        /// ```
        sub, sub_scalar, no_check, |x, y| Arith::sub(x, y)
    );
    arith_op!(
        /// Elementwise `self * other` with broadcasting (`tf.multiply`).
        ///
        /// **Errors**: as [`Tensor::add`].
        ///
        /// ```
        /// use tensorbridge_core::Tensor;
        ///
        /// let t = Tensor::from([[1, 2], [4, 8]]).mul_scalar(2)?;
        /// assert_eq!(t.to_vec::<i32>()?, [2, 4, 8, 16]);
        /// # Ok::<(), tensorbridge_core::Error>(())
        /// ```
        mul, mul_scalar, no_check, |x, y| Arith::mul(x, y)
    );
    arith_op!(
        /// Elementwise division with broadcasting: true division for floats
        /// and complex numbers (IEEE: `x / 0.0` is ±inf or NaN), floor
        /// division for integers (NumPy's `//`, TensorFlow's `floordiv`).
        ///
        /// **Errors**: as [`Tensor::add`], plus [`Error::InvalidArgument`] for
        /// an integer divisor containing 0 (never a hardware trap).
        ///
        /// ```
        /// use tensorbridge_core::Tensor;
        ///
        /// assert_eq!(Tensor::from([7, -7]).div(&Tensor::from([2, 2]))?.to_vec::<i32>()?, [3, -4]);
        /// assert_eq!(Tensor::from([1.0f32]).div_scalar(4.0)?.to_vec::<f32>()?, [0.25]);
        /// assert!(Tensor::from([1, 2]).div(&Tensor::from([1, 0])).is_err());
        /// # Ok::<(), tensorbridge_core::Error>(())
        /// ```
        div, div_scalar, nonzero_divisor, |x, y| Arith::div(x, y)
    );
    real_op!(
        /// Elementwise floor modulo with broadcasting: the result has the
        /// sign of the divisor (NumPy's `%`/`np.remainder`, TensorFlow's
        /// `floormod`), so `a == a.div(b) * b + a.rem(b)` for integers.
        ///
        /// **Errors**: as [`Tensor::div`]; complex and bool are
        /// [`Error::InvalidArgument`].
        ///
        /// ```
        /// use tensorbridge_core::Tensor;
        ///
        /// assert_eq!(Tensor::from([7, -7]).rem_scalar(3)?.to_vec::<i32>()?, [1, 2]);
        /// assert_eq!(Tensor::from([-7.5f64]).rem_scalar(2.0)?.to_vec::<f64>()?, [0.5]);
        /// # Ok::<(), tensorbridge_core::Error>(())
        /// ```
        rem, rem_scalar, nonzero_divisor, |x, y| RealArith::rem(x, y)
    );
    arith_op!(
        /// Elementwise `self ** other` with broadcasting (`tf.pow`); integer
        /// powers are exact and wrap.
        ///
        /// **Errors**: as [`Tensor::add`], plus [`Error::InvalidArgument`] for
        /// a negative integer exponent (NumPy's rule: the result would not be
        /// an integer).
        ///
        /// ```
        /// use tensorbridge_core::Tensor;
        ///
        /// assert_eq!(Tensor::from([2i64, 3]).pow_scalar(3)?.to_vec::<i64>()?, [8, 27]);
        /// assert!(Tensor::from([2, 3]).pow_scalar(-1).is_err());
        /// # Ok::<(), tensorbridge_core::Error>(())
        /// ```
        pow, pow_scalar, nonnegative_exponent, |x, y| Arith::pow(x, y)
    );
    real_op!(
        /// Elementwise maximum with broadcasting (`tf.maximum`); NaN
        /// propagates, as in `np.maximum`.
        ///
        /// **Errors**: as [`Tensor::add`]; complex and bool are
        /// [`Error::InvalidArgument`].
        ///
        /// ```
        /// use tensorbridge_core::Tensor;
        ///
        /// let t = Tensor::from([-1.0f32, 2.0, f32::NAN]).maximum_scalar(0.0)?;
        /// assert_eq!(t.to_vec::<f32>()?[..2], [0.0, 2.0]);
        /// assert!(t.to_vec::<f32>()?[2].is_nan());
        /// # Ok::<(), tensorbridge_core::Error>(())
        /// ```
        maximum, maximum_scalar, no_check, |x, y| RealArith::maximum(x, y)
    );
    real_op!(
        /// Elementwise minimum with broadcasting (`tf.minimum`); NaN
        /// propagates, as in `np.minimum`.
        ///
        /// **Errors**: as [`Tensor::maximum`].
        ///
        /// ```
        /// use tensorbridge_core::Tensor;
        ///
        /// assert_eq!(Tensor::from([3u16, 9]).minimum_scalar(5u16)?.to_vec::<u16>()?, [3, 5]);
        /// # Ok::<(), tensorbridge_core::Error>(())
        /// ```
        minimum, minimum_scalar, no_check, |x, y| RealArith::minimum(x, y)
    );

    compare_op!(
        /// Elementwise `self == other` with broadcasting, as a bool tensor
        /// (`tf.equal`); NaN equals nothing.
        ///
        /// **Errors**: [`Error::DTypeMismatch`]; [`Error::ShapeMismatch`].
        ///
        /// ```
        /// use tensorbridge_core::Tensor;
        ///
        /// let t = Tensor::from([1, 2, 3]).eq(&Tensor::from([1, 0, 3]))?;
        /// assert_eq!(t.to_vec::<bool>()?, [true, false, true]);
        /// # Ok::<(), tensorbridge_core::Error>(())
        /// ```
        eq, ==, ordered = false
    );
    compare_op!(
        /// Elementwise `self != other` with broadcasting (`tf.not_equal`).
        ///
        /// **Errors**: as [`Tensor::eq`].
        ne, !=, ordered = false
    );
    compare_op!(
        /// Elementwise `self < other` with broadcasting (`tf.less`).
        ///
        /// **Errors**: as [`Tensor::eq`], plus [`Error::InvalidArgument`] for
        /// complex numbers, which have no order.
        ///
        /// ```
        /// use tensorbridge_core::Tensor;
        ///
        /// let t = Tensor::from([[1.0f64, 5.0]]).lt(&Tensor::from([[2.0], [0.0]]))?;
        /// assert_eq!(t.dims(), [2, 2]);
        /// assert_eq!(t.to_vec::<bool>()?, [true, false, false, false]);
        /// # Ok::<(), tensorbridge_core::Error>(())
        /// ```
        lt, <, ordered = true
    );
    compare_op!(
        /// Elementwise `self <= other` with broadcasting (`tf.less_equal`).
        ///
        /// **Errors**: as [`Tensor::lt`].
        le, <=, ordered = true
    );
    compare_op!(
        /// Elementwise `self > other` with broadcasting (`tf.greater`).
        ///
        /// **Errors**: as [`Tensor::lt`].
        gt, >, ordered = true
    );
    compare_op!(
        /// Elementwise `self >= other` with broadcasting (`tf.greater_equal`).
        ///
        /// **Errors**: as [`Tensor::lt`].
        ge, >=, ordered = true
    );

    logical_op!(
        /// Elementwise logical and of two bool tensors, with broadcasting.
        ///
        /// **Errors**: [`Error::DTypeMismatch`] unless both are bool;
        /// [`Error::ShapeMismatch`].
        ///
        /// ```
        /// use tensorbridge_core::Tensor;
        ///
        /// let t = Tensor::from([true, true, false]).logical_and(&Tensor::from([true, false, false]))?;
        /// assert_eq!(t.to_vec::<bool>()?, [true, false, false]);
        /// assert!(Tensor::from([1]).logical_and(&Tensor::from([1])).is_err());
        /// # Ok::<(), tensorbridge_core::Error>(())
        /// ```
        logical_and, &
    );
    logical_op!(
        /// Elementwise logical or of two bool tensors, with broadcasting.
        ///
        /// **Errors**: as [`Tensor::logical_and`].
        logical_or, |
    );
    logical_op!(
        /// Elementwise logical exclusive or of two bool tensors, with
        /// broadcasting.
        ///
        /// **Errors**: as [`Tensor::logical_and`].
        logical_xor, ^
    );

    /// Elements of `a` where `cond` is true and of `b` elsewhere, the three
    /// broadcast together (`tf.where(cond, a, b)`, `np.where`).
    ///
    /// **Errors**: [`Error::DTypeMismatch`] unless `cond` is bool and `a`
    /// and `b` share a dtype; [`Error::ShapeMismatch`] when the three shapes
    /// do not broadcast.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let x = Tensor::from([-2.0f32, 3.0, -1.0]);
    /// let relu = Tensor::where_(&x.gt(&Tensor::scalar(0.0f32))?, &x, &Tensor::scalar(0.0f32))?;
    /// assert_eq!(relu.to_vec::<f32>()?, [0.0, 3.0, 0.0]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn where_(cond: &Tensor, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        const OP: &str = "where_";
        record_if_symbolic!(Op::Where, cond, a, b);
        if cond.dtype() != DType::Bool {
            return Err(Error::DTypeMismatch {
                op: OP,
                expected: DType::Bool,
                found: cond.dtype(),
            });
        }
        let dtype = same_dtype(OP, a, b)?;
        let ab = broadcast_shapes(OP, a.dims(), b.dims())?;
        let shape = broadcast_shapes(OP, cond.dims(), ab.dims())?;
        #[cfg(feature = "cuda")]
        if crate::cuda::placement(OP, &[cond, a, b])? != crate::Device::Cpu {
            return crate::cuda::where_(cond, a, b, &shape);
        }
        let lc = cond.layout().broadcast_to(&shape)?;
        let (la, lb) = (
            a.layout().broadcast_to(&shape)?,
            b.layout().broadcast_to(&shape)?,
        );
        let c = cond.host_slice::<bool>(OP)?;
        let storage = with_dtype!(dtype, T => {
            let (da, db) = (a.host_slice::<T>(OP)?, b.host_slice::<T>(OP)?);
            T::into_storage(zip::map3((c, &lc), (da, &la), (db, &lb), |c, x: T, y: T| {
                if c { x } else { y }
            })?)
        });
        Ok(Tensor::from_cpu_storage(storage, shape))
    }
}

/// The scalar operand of a `*_scalar` method: the scalar itself, or a
/// constant of the graph when `t` is symbolic.
fn scalar_operand(t: &Tensor, scalar: Tensor) -> Result<Tensor> {
    match t.graph() {
        Some(g) => Ok(g.constant(&scalar)),
        // On the tensor's device: a one-element upload for a device tensor.
        None => scalar.to_device(t.device()),
    }
}

/// `scalar` as a rank-0 tensor of `dtype`, converted exactly where the
/// dtype is an integer or bool (TensorFlow refuses `int_tensor + 1.5`), and
/// rounded to nearest where it is a float.
fn scalar_like<S: Element>(op: &'static str, dtype: DType, scalar: S) -> Result<Tensor> {
    use crate::cast::Repr;
    let value = scalar.to_repr();
    with_dtype!(dtype, D => {
        let converted = D::from_repr(value);
        let exact = match (value, converted.to_repr()) {
            (Repr::Complex(..), back) => matches!(back, Repr::Complex(..)),
            (_, Repr::Float(_) | Repr::Complex(..)) => true,
            (Repr::Int(i), Repr::Int(j)) => i == j,
            (Repr::Float(f), Repr::Int(j)) => f == j as f64,
            (Repr::Bool(b), Repr::Int(j)) => j == b as i128,
            (Repr::Bool(b), Repr::Bool(c)) => b == c,
            (_, Repr::Bool(_)) => false,
        };
        if !exact {
            return Err(Error::invalid(
                op,
                format!(
                    "the scalar {scalar} ({}) has no exact value in the tensor's dtype {dtype}; \
                     cast the tensor (or pick a scalar of its dtype) first",
                    S::DTYPE
                ),
            ));
        }
        Ok(Tensor::scalar(converted))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_broadcast_rule() {
        let ok = |a: &[usize], b: &[usize]| broadcast_shapes("t", a, b).unwrap().dims().to_vec();
        assert_eq!(ok(&[2, 3], &[3]), [2, 3]);
        assert_eq!(ok(&[4, 1], &[1, 5]), [4, 5]);
        assert_eq!(ok(&[], &[2, 2]), [2, 2]);
        assert_eq!(ok(&[0, 1], &[3]), [0, 3]);
        assert_eq!(ok(&[8, 1, 6, 1], &[7, 1, 5]), [8, 7, 6, 5]);
        let e = broadcast_shapes("add", &[2, 3], &[4]).unwrap_err();
        assert!(e.to_string().contains("[2, 3] and [4]"), "{e}");
        assert!(broadcast_shapes("t", &[0], &[2]).is_err());
    }

    #[test]
    fn scalar_conversion_is_exact_for_integers() {
        assert!(scalar_like("t", DType::I32, 1.5f64).is_err());
        assert!(scalar_like("t", DType::U8, 300i32).is_err());
        assert!(scalar_like("t", DType::U8, -1i32).is_err());
        assert!(scalar_like("t", DType::Bool, 1i32).is_err());
        assert!(scalar_like("t", DType::F32, num_complex::Complex::new(1.0f32, 0.0)).is_err());
        assert_eq!(
            scalar_like("t", DType::I64, 3.0f64)
                .unwrap()
                .to_scalar::<i64>()
                .unwrap(),
            3
        );
        assert_eq!(
            scalar_like("t", DType::F32, 0.1f64)
                .unwrap()
                .to_scalar::<f32>()
                .unwrap(),
            0.1f32
        );
        assert_eq!(
            scalar_like("t", DType::C64, 2i32)
                .unwrap()
                .to_scalar::<num_complex::Complex<f32>>()
                .unwrap(),
            num_complex::Complex::new(2.0, 0.0)
        );
    }
}
