//! [`DynArray`]: an owned ndarray array whose element type is known at run
//! time, what `numpy()` returns.

use std::fmt;

use half::{bf16, f16};
use ndarray::{ArrayD, ArrayViewD};
use num_complex::Complex;

use crate::element::Element;
use crate::{DType, Error, Result, Tensor};

/// An owned, dtype-erased n-dimensional array: one `ArrayD<T>` per
/// [`DType`]. It is what NumPy's `ndarray` is to Python: the element type is
/// a value, checked when you take the typed array out.
///
/// ```
/// use tensorbridge_core::{DType, DynArray, Tensor};
///
/// let a: DynArray = Tensor::from([10, 20, 30]).numpy()?;
/// assert_eq!(a.dtype(), DType::I32);
/// assert_eq!(a.shape(), [3]);
/// assert!(a.view_typed::<i64>().is_err()); // i32, not i64: no silent cast
/// let typed = a.into_typed::<i32>()?;
/// assert_eq!(typed.as_slice().unwrap(), [10, 20, 30]);
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[expect(missing_docs, reason = "one variant per DType, named after it")]
pub enum DynArray {
    Bool(ArrayD<bool>),
    U8(ArrayD<u8>),
    U16(ArrayD<u16>),
    U32(ArrayD<u32>),
    U64(ArrayD<u64>),
    I8(ArrayD<i8>),
    I16(ArrayD<i16>),
    I32(ArrayD<i32>),
    I64(ArrayD<i64>),
    F16(ArrayD<f16>),
    BF16(ArrayD<bf16>),
    F32(ArrayD<f32>),
    F64(ArrayD<f64>),
    C64(ArrayD<Complex<f32>>),
    C128(ArrayD<Complex<f64>>),
}

/// Runs `$body` with `$a` bound to the typed array inside a [`DynArray`].
macro_rules! map_dyn {
    ($array:expr, $a:ident => $body:expr) => {
        match $array {
            DynArray::Bool($a) => $body,
            DynArray::U8($a) => $body,
            DynArray::U16($a) => $body,
            DynArray::U32($a) => $body,
            DynArray::U64($a) => $body,
            DynArray::I8($a) => $body,
            DynArray::I16($a) => $body,
            DynArray::I32($a) => $body,
            DynArray::I64($a) => $body,
            DynArray::F16($a) => $body,
            DynArray::BF16($a) => $body,
            DynArray::F32($a) => $body,
            DynArray::F64($a) => $body,
            DynArray::C64($a) => $body,
            DynArray::C128($a) => $body,
        }
    };
}

impl DynArray {
    /// The bytes of a C-order array's elements, to be written in place (a
    /// device download into a fresh array).
    #[cfg(feature = "cuda")]
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        map_dyn!(self, a => crate::bytes::as_bytes_mut(
            a.as_slice_mut().expect("fresh arrays are in C order")
        ))
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        fn of<T: Element>(_: &ArrayD<T>) -> DType {
            T::DTYPE
        }
        map_dyn!(self, a => of(a))
    }

    /// The dims.
    pub fn shape(&self) -> &[usize] {
        map_dyn!(self, a => a.shape())
    }

    /// The number of dims.
    pub fn ndim(&self) -> usize {
        self.shape().len()
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        map_dyn!(self, a => a.len())
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The typed array, moved out.
    ///
    /// **Errors**: [`Error::DTypeMismatch`] when `T` is not the element type.
    pub fn into_typed<T: Element>(self) -> Result<ArrayD<T>> {
        T::from_dyn(self).map_err(|a| Error::DTypeMismatch {
            op: "DynArray::into_typed",
            expected: T::DTYPE,
            found: a.dtype(),
        })
    }

    /// A view of the typed array.
    ///
    /// **Errors**: [`Error::DTypeMismatch`] when `T` is not the element type.
    pub fn view_typed<T: Element>(&self) -> Result<ArrayViewD<'_, T>> {
        T::view_dyn(self).ok_or(Error::DTypeMismatch {
            op: "DynArray::view_typed",
            expected: T::DTYPE,
            found: self.dtype(),
        })
    }

    /// The array as a tensor, taking its buffer without a copy.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let t = Tensor::from([[1u8, 2], [3, 4]]);
    /// let back = t.numpy()?.into_tensor()?;
    /// assert_eq!(back.to_vec::<u8>()?, [1, 2, 3, 4]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn into_tensor(self) -> Result<Tensor> {
        map_dyn!(self, a => Tensor::from_array(a))
    }
}

/// NumPy-style: `[[1, 2],\n [3, 4]]` (ndarray's formatting of the elements).
impl fmt::Display for DynArray {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        map_dyn!(self, a => fmt::Display::fmt(a, f))
    }
}

impl<T: Element> From<ArrayD<T>> for DynArray {
    fn from(a: ArrayD<T>) -> Self {
        T::into_dyn(a)
    }
}
