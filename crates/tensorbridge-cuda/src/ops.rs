//! The operation selectors of the kernels: [`BinaryOp`], [`UnaryOp`],
//! [`ReduceOp`], [`ArgOp`], [`CumOp`], [`Distribution`], [`ScatterMode`],
//! and [`Indices`] (an index buffer with its type and length).

use crate::{CudaError, DeviceBuffer, ElemType, Result};

/// Elementwise binary operations (core's `Tensor::add` ... `logical_xor`),
/// with core's semantics: integers wrap, `Div` is floor division for
/// integers and `Rem` the floor modulo, `Maximum`/`Minimum` propagate NaN,
/// comparisons give `Bool`, NaN compares unequal.
///
/// ```
/// use tensorbridge_cuda::BinaryOp;
///
/// assert!(BinaryOp::Lt.is_comparison());
/// assert!(!BinaryOp::Add.is_comparison());
/// # Ok::<(), tensorbridge_cuda::CudaError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `a + b`.
    Add,
    /// `a - b`.
    Sub,
    /// `a * b`.
    Mul,
    /// True division for floats/complex, floor division for integers.
    Div,
    /// Floor modulo (sign of the divisor); real types only.
    Rem,
    /// `a ** b`; integer exponents must be `>= 0`.
    Pow,
    /// NaN-propagating maximum; real types only.
    Maximum,
    /// NaN-propagating minimum; real types only.
    Minimum,
    /// `a == b` → Bool.
    Eq,
    /// `a != b` → Bool.
    Ne,
    /// `a < b` → Bool (not complex).
    Lt,
    /// `a <= b` → Bool (not complex).
    Le,
    /// `a > b` → Bool (not complex).
    Gt,
    /// `a >= b` → Bool (not complex).
    Ge,
    /// Bool and.
    LogicalAnd,
    /// Bool or.
    LogicalOr,
    /// Bool exclusive or.
    LogicalXor,
}

impl BinaryOp {
    /// Whether the result is `Bool` whatever the operand type.
    ///
    /// ```
    /// use tensorbridge_cuda::BinaryOp;
    ///
    /// assert!(BinaryOp::Ne.is_comparison());
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        )
    }

    /// The element type of the output for operands of type `elem`, or
    /// [`CudaError::Unsupported`] when core does not define the pair.
    ///
    /// ```
    /// use tensorbridge_cuda::{BinaryOp, ElemType};
    ///
    /// assert_eq!(BinaryOp::Lt.output(ElemType::F32)?, ElemType::Bool);
    /// assert!(BinaryOp::Rem.output(ElemType::C64).is_err());
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn output(self, elem: ElemType) -> Result<ElemType> {
        let ok = match self {
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Pow => {
                elem != ElemType::Bool
            }
            BinaryOp::Rem | BinaryOp::Maximum | BinaryOp::Minimum => {
                elem.is_int() || elem.is_float()
            }
            BinaryOp::Eq | BinaryOp::Ne => true,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => !elem.is_complex(),
            BinaryOp::LogicalAnd | BinaryOp::LogicalOr | BinaryOp::LogicalXor => {
                elem == ElemType::Bool
            }
        };
        if !ok {
            return Err(CudaError::Unsupported(format!(
                "{self:?} is not defined for {elem}"
            )));
        }
        Ok(if self.is_comparison() {
            ElemType::Bool
        } else {
            elem
        })
    }

    pub(crate) fn code(self) -> u32 {
        self as u32
    }
}

/// Elementwise unary operations (core's `neg abs sign exp log sqrt rsqrt
/// sin cos tanh sigmoid relu floor ceil round logical_not`).
///
/// ```
/// use tensorbridge_cuda::{ElemType, UnaryOp};
///
/// // abs of a complex number is its real magnitude.
/// assert_eq!(UnaryOp::Abs.output(ElemType::C64)?, ElemType::F32);
/// assert!(UnaryOp::Exp.output(ElemType::I32).is_err());
/// # Ok::<(), tensorbridge_cuda::CudaError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x` (integers wrap).
    Neg,
    /// `|x|` (signed integers wrap: `abs(MIN) == MIN`; complex → real norm).
    Abs,
    /// -1, 0 or 1 (NaN stays NaN; complex: `z / |z|`).
    Sign,
    /// `e^x`.
    Exp,
    /// Natural logarithm.
    Log,
    /// Square root.
    Sqrt,
    /// `1 / sqrt(x)`.
    Rsqrt,
    /// Sine.
    Sin,
    /// Cosine.
    Cos,
    /// Hyperbolic tangent.
    Tanh,
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// `max(x, 0)`; NaN passes through.
    Relu,
    /// Round down (integers unchanged).
    Floor,
    /// Round up (integers unchanged).
    Ceil,
    /// Round half to even (integers unchanged).
    Round,
    /// Bool not.
    LogicalNot,
}

impl UnaryOp {
    /// The output element type for input `elem`, or
    /// [`CudaError::Unsupported`] when core does not define the pair.
    ///
    /// ```
    /// use tensorbridge_cuda::{ElemType, UnaryOp};
    ///
    /// assert_eq!(UnaryOp::Floor.output(ElemType::U8)?, ElemType::U8);
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn output(self, elem: ElemType) -> Result<ElemType> {
        let real = elem.is_int() || elem.is_float();
        let ok = match self {
            UnaryOp::Neg => elem != ElemType::Bool,
            UnaryOp::Abs => elem != ElemType::Bool,
            UnaryOp::Sign => elem != ElemType::Bool,
            UnaryOp::Exp
            | UnaryOp::Log
            | UnaryOp::Sqrt
            | UnaryOp::Rsqrt
            | UnaryOp::Sin
            | UnaryOp::Cos
            | UnaryOp::Tanh
            | UnaryOp::Sigmoid => elem.is_float() || elem.is_complex(),
            UnaryOp::Relu => real,
            UnaryOp::Floor | UnaryOp::Ceil | UnaryOp::Round => real,
            UnaryOp::LogicalNot => elem == ElemType::Bool,
        };
        if !ok {
            return Err(CudaError::Unsupported(format!(
                "{self:?} is not defined for {elem}"
            )));
        }
        Ok(match (self, elem) {
            (UnaryOp::Abs, ElemType::C64) => ElemType::F32,
            (UnaryOp::Abs, ElemType::C128) => ElemType::F64,
            _ => elem,
        })
    }

    pub(crate) fn code(self) -> u32 {
        self as u32
    }
}

/// Reductions (core's `sum mean prod max min all any`).
///
/// ```
/// use tensorbridge_cuda::{ElemType, ReduceOp};
///
/// assert_eq!(ReduceOp::Mean.output(ElemType::I32)?, ElemType::F64);
/// assert_eq!(ReduceOp::Any.output(ElemType::F32)?, ElemType::Bool);
/// # Ok::<(), tensorbridge_cuda::CudaError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    /// Sum (integers wrap; f16/bf16 accumulate in f32).
    Sum,
    /// Mean (integers → f64; f16/bf16 accumulate in f32).
    Mean,
    /// Product (integers wrap).
    Prod,
    /// Maximum; NaN propagates; real types and bool.
    Max,
    /// Minimum; NaN propagates; real types and bool.
    Min,
    /// Whether every element is non-zero → Bool.
    All,
    /// Whether any element is non-zero → Bool.
    Any,
}

impl ReduceOp {
    /// The output element type for input `elem` (core's rules).
    ///
    /// ```
    /// use tensorbridge_cuda::{ElemType, ReduceOp};
    ///
    /// assert!(ReduceOp::Sum.output(ElemType::Bool).is_err());
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn output(self, elem: ElemType) -> Result<ElemType> {
        let ok = match self {
            ReduceOp::Sum | ReduceOp::Mean | ReduceOp::Prod => elem != ElemType::Bool,
            ReduceOp::Max | ReduceOp::Min => !elem.is_complex(),
            ReduceOp::All | ReduceOp::Any => true,
        };
        if !ok {
            return Err(CudaError::Unsupported(format!(
                "{self:?} is not defined for {elem}"
            )));
        }
        Ok(match self {
            ReduceOp::Mean if elem.is_int() => ElemType::F64,
            ReduceOp::All | ReduceOp::Any => ElemType::Bool,
            _ => elem,
        })
    }

    pub(crate) fn code(self) -> u32 {
        self as u32
    }
}

/// Index reductions (core's `argmax`, `argmin`): the first index of the
/// extremum, the first NaN winning; output `I64`.
///
/// ```
/// use tensorbridge_cuda::ArgOp;
///
/// assert_ne!(ArgOp::Max, ArgOp::Min);
/// # Ok::<(), tensorbridge_cuda::CudaError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArgOp {
    /// Index of the maximum.
    Max,
    /// Index of the minimum.
    Min,
}

/// Running scans (core's `cumsum`, `cumprod`).
///
/// ```
/// use tensorbridge_cuda::CumOp;
///
/// assert_ne!(CumOp::Sum, CumOp::Prod);
/// # Ok::<(), tensorbridge_cuda::CudaError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CumOp {
    /// Running sum.
    Sum,
    /// Running product.
    Prod,
}

/// The distribution of [`CudaDevice::random`](crate::CudaDevice::random),
/// with core's parameters (validated by core first, checked again here).
///
/// ```
/// use tensorbridge_cuda::Distribution;
///
/// let d = Distribution::Uniform { low: 0.0, high: 1.0 };
/// assert!(matches!(d, Distribution::Uniform { .. }));
/// # Ok::<(), tensorbridge_cuda::CudaError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Distribution {
    /// Normal with this mean and standard deviation (float types).
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation, `>= 0`.
        std: f64,
    },
    /// Uniform on `[low, high)` (float and integer types).
    Uniform {
        /// Inclusive lower bound.
        low: f64,
        /// Exclusive upper bound.
        high: f64,
    },
}

/// How [`CudaDevice::scatter_nd`](crate::CudaDevice::scatter_nd) treats
/// repeated positions (core's `ScatterMode`).
///
/// ```
/// use tensorbridge_cuda::ScatterMode;
///
/// assert_ne!(ScatterMode::Last, ScatterMode::Add);
/// # Ok::<(), tensorbridge_cuda::CudaError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScatterMode {
    /// A repeated position is an error naming the repeating row.
    Error,
    /// The last row naming a position wins.
    Last,
    /// Rows naming a position are added to the fill value.
    Add,
}

/// An index buffer on the device: `len` entries of `elem` (`I32` or
/// `I64`), contiguous from the start of `buffer`.
///
/// ```
/// use tensorbridge_cuda::{CudaDevice, ElemType, Indices};
///
/// if let Ok(dev) = CudaDevice::get(0) {
///     let buf = dev.upload(&[2i64.to_ne_bytes(), 0i64.to_ne_bytes()].concat())?;
///     let idx = Indices::new(&buf, ElemType::I64, 2)?;
///     assert_eq!(idx.len, 2);
/// }
/// # Ok::<(), tensorbridge_cuda::CudaError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Indices<'a> {
    /// The bytes.
    pub buffer: &'a DeviceBuffer,
    /// `I32` or `I64`.
    pub elem: ElemType,
    /// Number of entries.
    pub len: usize,
}

impl<'a> Indices<'a> {
    /// Checks the type and that `len` entries fit in `buffer`.
    ///
    /// ```
    /// use tensorbridge_cuda::{CudaDevice, ElemType, Indices};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let buf = dev.alloc(8)?;
    ///     assert!(Indices::new(&buf, ElemType::I64, 2).is_err()); // 16 bytes needed
    ///     assert!(Indices::new(&buf, ElemType::F32, 2).is_err());
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn new(buffer: &'a DeviceBuffer, elem: ElemType, len: usize) -> Result<Self> {
        check_index_elem("indices", elem)?;
        let bytes = len.checked_mul(elem.size_bytes()).ok_or_else(|| {
            CudaError::InvalidArgument(format!("{len} indices overflow a byte size"))
        })?;
        if bytes > buffer.len_bytes() {
            return Err(CudaError::InvalidArgument(format!(
                "{len} {elem} indices need {bytes} bytes but the buffer has {}",
                buffer.len_bytes()
            )));
        }
        Ok(Indices { buffer, elem, len })
    }
}

/// Index entries must be `I32` or `I64`.
pub(crate) fn check_index_elem(what: &str, elem: ElemType) -> Result<()> {
    if matches!(elem, ElemType::I32 | ElemType::I64) {
        Ok(())
    } else {
        Err(CudaError::InvalidArgument(format!(
            "{what} must be int32 or int64, found {elem}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_types_follow_core() {
        assert_eq!(BinaryOp::Add.output(ElemType::U8).unwrap(), ElemType::U8);
        assert!(BinaryOp::Add.output(ElemType::Bool).is_err());
        assert!(BinaryOp::Lt.output(ElemType::C128).is_err());
        assert_eq!(BinaryOp::Eq.output(ElemType::C128).unwrap(), ElemType::Bool);
        assert!(BinaryOp::LogicalAnd.output(ElemType::U8).is_err());
        assert_eq!(UnaryOp::Abs.output(ElemType::C128).unwrap(), ElemType::F64);
        assert!(UnaryOp::Sqrt.output(ElemType::U8).is_err());
        assert!(UnaryOp::Relu.output(ElemType::C64).is_err());
        assert_eq!(ReduceOp::Mean.output(ElemType::F16).unwrap(), ElemType::F16);
        assert_eq!(
            ReduceOp::Max.output(ElemType::Bool).unwrap(),
            ElemType::Bool
        );
        assert!(ReduceOp::Max.output(ElemType::C64).is_err());
        assert!(check_index_elem("x", ElemType::U64).is_err());
    }

    #[test]
    fn op_codes_match_the_kernels() {
        // kernels/prelude.cuh numbers the ops in declaration order.
        assert_eq!(BinaryOp::Add.code(), 0);
        assert_eq!(BinaryOp::LogicalXor.code(), 16);
        assert_eq!(UnaryOp::LogicalNot.code(), 15);
        assert_eq!(ReduceOp::Any.code(), 6);
    }
}
