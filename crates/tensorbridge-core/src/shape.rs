//! [`Shape`]: the dims of a tensor, with overflow-checked sizes.

use std::fmt;

use crate::{DType, Error, Result};

/// The dims of a tensor, outermost first. A rank-0 shape (`[]`) is a scalar.
///
/// Sizes are checked: [`Shape::numel`] and [`Shape::byte_size`] return an
/// error instead of wrapping around, so a shape can never make a too-small
/// allocation look right.
///
/// ```
/// use tensorbridge_core::{DType, Shape};
///
/// let s = Shape::from([2, 3, 4]);
/// assert_eq!(s.rank(), 3);
/// assert_eq!(s.numel()?, 24);
/// assert_eq!(s.byte_size(DType::F64)?, 192);
///
/// let huge = Shape::from([1usize << 32, 1 << 32, 1 << 32]);
/// assert!(huge.numel().is_err());
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Shape(Vec<usize>);

impl Shape {
    /// The shape of a scalar: rank 0, one element.
    pub fn scalar() -> Self {
        Shape(Vec::new())
    }

    /// The dims.
    pub fn dims(&self) -> &[usize] {
        &self.0
    }

    /// The number of dims.
    pub fn rank(&self) -> usize {
        self.0.len()
    }

    /// The number of elements: the product of the dims (1 for a scalar).
    ///
    /// **Errors**: [`Error::ShapeOverflow`] when the product does not fit in
    /// `usize`.
    pub fn numel(&self) -> Result<usize> {
        self.checked_numel("Shape::numel", DType::U8)
    }

    /// The number of bytes the elements of `dtype` need.
    ///
    /// **Errors**: [`Error::ShapeOverflow`] when the element count or the byte
    /// size overflows, or the byte size exceeds `isize::MAX` (the most any
    /// allocation can hold).
    pub fn byte_size(&self, dtype: DType) -> Result<usize> {
        self.checked_byte_size("Shape::byte_size", dtype)
    }

    /// The element count, checked as NumPy checks it: the product of the
    /// non-zero dims must fit, wherever a zero dim sits, so that whether a
    /// shape is accepted never depends on the order of its dims, and every
    /// partial product of an accepted shape fits too.
    pub(crate) fn checked_numel(&self, op: &'static str, dtype: DType) -> Result<usize> {
        let nonzero = self.nonzero_product().ok_or_else(|| Error::ShapeOverflow {
            op,
            dims: self.0.clone(),
            dtype,
            what: "the element count does not fit in usize",
        })?;
        Ok(if self.0.contains(&0) { 0 } else { nonzero })
    }

    /// The byte size, checked like [`Shape::checked_numel`]: the non-zero
    /// dims' bytes must stay within `isize::MAX`, the most any allocation
    /// (or any view's address range) can span.
    pub(crate) fn checked_byte_size(&self, op: &'static str, dtype: DType) -> Result<usize> {
        let numel = self.checked_numel(op, dtype)?;
        self.nonzero_product()
            .and_then(|n| n.checked_mul(dtype.size_in_bytes()))
            .filter(|&b| b <= isize::MAX as usize)
            .ok_or_else(|| Error::ShapeOverflow {
                op,
                dims: self.0.clone(),
                dtype,
                what: "the byte size exceeds isize::MAX",
            })?;
        Ok(numel * dtype.size_in_bytes())
    }

    /// The product of the non-zero dims, if it fits in usize.
    fn nonzero_product(&self) -> Option<usize> {
        self.0
            .iter()
            .filter(|&&d| d != 0)
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// `[2, 3]`, like the dims in error messages.
impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl From<Vec<usize>> for Shape {
    fn from(dims: Vec<usize>) -> Self {
        Shape(dims)
    }
}

impl From<&Vec<usize>> for Shape {
    fn from(dims: &Vec<usize>) -> Self {
        Shape(dims.clone())
    }
}

impl From<&[usize]> for Shape {
    fn from(dims: &[usize]) -> Self {
        Shape(dims.to_vec())
    }
}

impl<const N: usize> From<[usize; N]> for Shape {
    fn from(dims: [usize; N]) -> Self {
        Shape(dims.to_vec())
    }
}

impl<const N: usize> From<&[usize; N]> for Shape {
    fn from(dims: &[usize; N]) -> Self {
        Shape(dims.to_vec())
    }
}

impl From<&Shape> for Shape {
    fn from(s: &Shape) -> Self {
        s.clone()
    }
}

impl From<()> for Shape {
    fn from((): ()) -> Self {
        Shape::scalar()
    }
}

impl AsRef<[usize]> for Shape {
    fn as_ref(&self) -> &[usize] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numel_and_bytes() {
        assert_eq!(Shape::scalar().numel().unwrap(), 1);
        assert_eq!(Shape::from([0, 5]).numel().unwrap(), 0);
        assert_eq!(Shape::from([3, 0, 1 << 62]).numel().unwrap(), 0);
        // A zero dim does not hide an overflow of the others, in any order.
        assert!(Shape::from([0, 1 << 32, 1 << 32, 1 << 32]).numel().is_err());
        assert!(Shape::from([1 << 32, 1 << 32, 1 << 32, 0]).numel().is_err());
        assert_eq!(Shape::from(vec![2, 3]).byte_size(DType::C128).unwrap(), 96);
    }

    #[test]
    fn overflow_is_an_error() {
        let e = Shape::from([1usize << 32, 1 << 32, 1 << 32])
            .numel()
            .unwrap_err();
        assert!(matches!(e, Error::ShapeOverflow { .. }), "{e}");
        assert!(
            e.to_string()
                .contains("[4294967296, 4294967296, 4294967296]")
        );
        // Fits in usize as a count, but not as f64 bytes.
        let e = Shape::from([1usize << 61])
            .byte_size(DType::F64)
            .unwrap_err();
        assert!(e.to_string().contains("isize::MAX"), "{e}");
        // Fits as bytes in usize but not in isize.
        assert!(Shape::from([1usize << 63]).byte_size(DType::U8).is_err());
    }
}
