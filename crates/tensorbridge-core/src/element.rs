//! [`Element`]: the Rust types that tensors hold, one per [`DType`].

use std::fmt::{Debug, Display};

use half::{bf16, f16};
use ndarray::{ArrayD, ArrayViewD};
use num_complex::Complex;

use crate::cast::Repr;
use crate::storage::{CpuStorage, ForeignSlice, HostBuffer};
use crate::{DType, DynArray};

/// A Rust type a tensor can hold: `bool`, the integers, [`half::f16`],
/// [`half::bf16`], `f32`, `f64` and [`num_complex::Complex`] of `f32`/`f64`.
///
/// The trait is sealed: the fifteen [`DType`]s are the whole set.
///
/// ```
/// use tensorbridge_core::{DType, Element};
///
/// assert_eq!(<half::bf16 as Element>::DTYPE, DType::BF16);
/// assert_eq!(<num_complex::Complex<f64> as Element>::DTYPE, DType::C128);
/// ```
pub trait Element:
    Copy + Send + Sync + Debug + Display + PartialEq + Default + 'static + private::Sealed
{
    /// The dtype of this Rust type.
    const DTYPE: DType;
}

pub(crate) mod private {
    use super::*;

    /// The per-type plumbing behind [`Element`]; not nameable outside the crate.
    pub trait Sealed: Sized {
        fn storage_slice(s: &CpuStorage) -> Option<&[Self]>;
        fn into_storage(v: Vec<Self>) -> CpuStorage;
        fn from_storage(s: CpuStorage) -> Result<HostBuffer<Self>, CpuStorage>;
        fn from_foreign(f: ForeignSlice<Self>) -> CpuStorage;
        fn into_dyn(a: ArrayD<Self>) -> DynArray;
        fn from_dyn(a: DynArray) -> Result<ArrayD<Self>, DynArray>;
        fn view_dyn(a: &DynArray) -> Option<ArrayViewD<'_, Self>>;
        /// The value in the widest representation of its kind, for casts.
        fn to_repr(self) -> Repr;
        /// The value of this type nearest to `r` (the cast rules live in `cast.rs`).
        fn from_repr(r: Repr) -> Self;
        /// The multiplicative identity (`true` for bool).
        fn one() -> Self;
    }
}

macro_rules! impl_element {
    ($($ty:ty => $variant:ident, one = $one:expr;)*) => {$(
        impl Element for $ty {
            const DTYPE: DType = DType::$variant;
        }
        impl private::Sealed for $ty {
            #[inline]
            fn storage_slice(s: &CpuStorage) -> Option<&[Self]> {
                match s {
                    CpuStorage::$variant(v) => Some(v),
                    _ => None,
                }
            }
            #[inline]
            fn into_storage(v: Vec<Self>) -> CpuStorage {
                CpuStorage::$variant(HostBuffer::Owned(v))
            }
            #[inline]
            fn from_foreign(f: ForeignSlice<Self>) -> CpuStorage {
                CpuStorage::$variant(HostBuffer::Foreign(f))
            }
            #[inline]
            fn from_storage(s: CpuStorage) -> Result<HostBuffer<Self>, CpuStorage> {
                match s {
                    CpuStorage::$variant(v) => Ok(v),
                    other => Err(other),
                }
            }
            #[inline]
            fn into_dyn(a: ArrayD<Self>) -> DynArray {
                DynArray::$variant(a)
            }
            #[inline]
            fn from_dyn(a: DynArray) -> Result<ArrayD<Self>, DynArray> {
                match a {
                    DynArray::$variant(a) => Ok(a),
                    other => Err(other),
                }
            }
            #[inline]
            fn view_dyn(a: &DynArray) -> Option<ArrayViewD<'_, Self>> {
                match a {
                    DynArray::$variant(a) => Some(a.view()),
                    _ => None,
                }
            }
            #[inline(always)]
            fn to_repr(self) -> Repr {
                crate::cast::ToRepr::to_repr(self)
            }
            #[inline(always)]
            fn from_repr(r: Repr) -> Self {
                crate::cast::FromRepr::from_repr(r)
            }
            #[inline]
            fn one() -> Self {
                $one
            }
        }
    )*};
}

impl_element! {
    bool => Bool, one = true;
    u8 => U8, one = 1;
    u16 => U16, one = 1;
    u32 => U32, one = 1;
    u64 => U64, one = 1;
    i8 => I8, one = 1;
    i16 => I16, one = 1;
    i32 => I32, one = 1;
    i64 => I64, one = 1;
    f16 => F16, one = f16::ONE;
    bf16 => BF16, one = bf16::ONE;
    f32 => F32, one = 1.0;
    f64 => F64, one = 1.0;
    Complex<f32> => C64, one = Complex::new(1.0, 0.0);
    Complex<f64> => C128, one = Complex::new(1.0, 0.0);
}
