//! [`DType`]: the element types a tensor can hold.

use std::fmt;

/// The element type of a tensor: the same fifteen types NumPy and TensorFlow
/// share (bfloat16 included, which NumPy spells through `ml_dtypes`).
///
/// ```
/// use tensorbridge_core::DType;
///
/// assert_eq!(DType::F32.size_in_bytes(), 4);
/// assert_eq!(DType::BF16.name(), "bfloat16");
/// assert_eq!(DType::C128.to_string(), "complex128");
/// assert!(DType::F16.is_float() && !DType::I8.is_float());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// `bool`, one byte, 0 or 1 (NumPy `bool`).
    Bool,
    /// `u8` (NumPy `uint8`).
    U8,
    /// `u16` (NumPy `uint16`).
    U16,
    /// `u32` (NumPy `uint32`).
    U32,
    /// `u64` (NumPy `uint64`).
    U64,
    /// `i8` (NumPy `int8`).
    I8,
    /// `i16` (NumPy `int16`).
    I16,
    /// `i32` (NumPy `int32`).
    I32,
    /// `i64` (NumPy `int64`).
    I64,
    /// IEEE binary16, [`half::f16`] (NumPy `float16`).
    F16,
    /// bfloat16, [`half::bf16`] (`ml_dtypes.bfloat16`).
    BF16,
    /// `f32` (NumPy `float32`).
    F32,
    /// `f64` (NumPy `float64`).
    F64,
    /// Two `f32`s, [`num_complex::Complex<f32>`] (NumPy `complex64`).
    C64,
    /// Two `f64`s, [`num_complex::Complex<f64>`] (NumPy `complex128`).
    C128,
}

impl DType {
    /// Every dtype, in declaration order.
    pub const ALL: [DType; 15] = [
        DType::Bool,
        DType::U8,
        DType::U16,
        DType::U32,
        DType::U64,
        DType::I8,
        DType::I16,
        DType::I32,
        DType::I64,
        DType::F16,
        DType::BF16,
        DType::F32,
        DType::F64,
        DType::C64,
        DType::C128,
    ];

    /// Bytes per element.
    pub const fn size_in_bytes(self) -> usize {
        match self {
            DType::Bool | DType::U8 | DType::I8 => 1,
            DType::U16 | DType::I16 | DType::F16 | DType::BF16 => 2,
            DType::U32 | DType::I32 | DType::F32 => 4,
            DType::U64 | DType::I64 | DType::F64 | DType::C64 => 8,
            DType::C128 => 16,
        }
    }

    /// The NumPy name of the dtype (`"float32"`, `"bfloat16"`, `"complex64"`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::U8 => "uint8",
            DType::U16 => "uint16",
            DType::U32 => "uint32",
            DType::U64 => "uint64",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::C64 => "complex64",
            DType::C128 => "complex128",
        }
    }

    /// Whether the dtype is a real floating-point type (f16, bf16, f32, f64).
    pub const fn is_float(self) -> bool {
        matches!(self, DType::F16 | DType::BF16 | DType::F32 | DType::F64)
    }

    /// Whether the dtype is complex.
    pub const fn is_complex(self) -> bool {
        matches!(self, DType::C64 | DType::C128)
    }

    /// Whether the dtype is a signed or unsigned integer type.
    pub const fn is_int(self) -> bool {
        matches!(
            self,
            DType::U8
                | DType::U16
                | DType::U32
                | DType::U64
                | DType::I8
                | DType::I16
                | DType::I32
                | DType::I64
        )
    }

    /// Whether the dtype is an unsigned integer type.
    pub const fn is_unsigned(self) -> bool {
        matches!(self, DType::U8 | DType::U16 | DType::U32 | DType::U64)
    }

    /// For a complex dtype, the dtype of its real and imaginary parts;
    /// any other dtype is its own real dtype.
    pub const fn real_dtype(self) -> DType {
        match self {
            DType::C64 => DType::F32,
            DType::C128 => DType::F64,
            other => other,
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Runs `$body` with `$T` bound to the Rust element type of `$dtype` (a
/// [`DType`]), for every dtype.
///
/// The body is monomorphised once per dtype, which is how dtype-erased code
/// (casts, copies, display, the sparse/ragged/numpy crates) reaches typed
/// loops without a virtual call per element.
///
/// ```
/// use tensorbridge_core::{DType, Element, Tensor, with_dtype};
///
/// fn first_as_text(t: &Tensor) -> String {
///     with_dtype!(t.dtype(), T => format!("{:?}", t.to_vec::<T>().unwrap()[0]))
/// }
/// assert_eq!(first_as_text(&Tensor::from([7u16, 8])), "7");
/// assert_eq!(first_as_text(&Tensor::from([true])), "true");
/// ```
#[macro_export]
macro_rules! with_dtype {
    ($dtype:expr, $T:ident => $body:expr) => {
        $crate::with_numeric_dtype!($dtype, $T => $body, bool => {
            type $T = bool;
            $body
        })
    };
}

/// Runs `$body` with `$T` bound to the element type of `$dtype` when it is a
/// numeric dtype (all but bool); `$bool` otherwise.
///
/// ```
/// use tensorbridge_core::{DType, with_numeric_dtype};
///
/// fn size_of_number(d: DType) -> Option<usize> {
///     with_numeric_dtype!(d, T => Some(std::mem::size_of::<T>()), bool => None)
/// }
/// assert_eq!(size_of_number(DType::C64), Some(8));
/// assert_eq!(size_of_number(DType::Bool), None);
/// ```
#[macro_export]
macro_rules! with_numeric_dtype {
    ($dtype:expr, $T:ident => $body:expr, bool => $bool:expr) => {
        match $dtype {
            $crate::DType::Bool => $bool,
            $crate::DType::C64 => {
                type $T = $crate::Complex<f32>;
                $body
            }
            $crate::DType::C128 => {
                type $T = $crate::Complex<f64>;
                $body
            }
            real => $crate::with_real_dtype!(real, $T => $body, other => unreachable!("{other:?} is real")),
        }
    };
}

/// Runs `$body` with `$T` bound to the element type of `$dtype` when it is a
/// real number dtype (integers and floats); `$other` (with `$o` bound to
/// the dtype) for bool and complex.
///
/// ```
/// use tensorbridge_core::{DType, with_real_dtype};
///
/// fn size_of_real(d: DType) -> Option<usize> {
///     with_real_dtype!(d, T => Some(std::mem::size_of::<T>()), _other => None)
/// }
/// assert_eq!(size_of_real(DType::BF16), Some(2));
/// assert_eq!(size_of_real(DType::C128), None);
/// assert_eq!(size_of_real(DType::Bool), None);
/// ```
#[macro_export]
macro_rules! with_real_dtype {
    ($dtype:expr, $T:ident => $body:expr, $o:ident => $other:expr) => {
        match $dtype {
            $crate::DType::U8 => {
                type $T = u8;
                $body
            }
            $crate::DType::U16 => {
                type $T = u16;
                $body
            }
            $crate::DType::U32 => {
                type $T = u32;
                $body
            }
            $crate::DType::U64 => {
                type $T = u64;
                $body
            }
            $crate::DType::I8 => {
                type $T = i8;
                $body
            }
            $crate::DType::I16 => {
                type $T = i16;
                $body
            }
            $crate::DType::I32 => {
                type $T = i32;
                $body
            }
            $crate::DType::I64 => {
                type $T = i64;
                $body
            }
            $crate::DType::F16 => {
                type $T = $crate::f16;
                $body
            }
            $crate::DType::BF16 => {
                type $T = $crate::bf16;
                $body
            }
            $crate::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::DType::F64 => {
                type $T = f64;
                $body
            }
            $o => $other,
        }
    };
}

/// The dispatch macros under the paths the crate's modules import them by.
pub(crate) use crate::{with_dtype, with_numeric_dtype, with_real_dtype};
