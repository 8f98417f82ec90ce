//! O(1) views: slice, transpose, reshape, broadcast_to, squeeze,
//! expand_dims. None of them copies an element (reshape copies only when
//! the layout makes a view impossible, as NumPy's does).

use crate::element::Element;
use crate::storage::{CpuStorage, map_cpu_storage};
use crate::{DType, Error, Result, Shape, SliceArg, Tensor, copy};

/// The target of [`Tensor::reshape`]: dims, at most one of them left for
/// the reshape to infer (`None`, NumPy's `-1`).
///
/// ```
/// use tensorbridge_core::{ReshapeSpec, Tensor};
///
/// let t = Tensor::arange(0i32, 12, 1)?;
/// assert_eq!(t.reshape([3, 4])?.dims(), [3, 4]);
/// assert_eq!(t.reshape([Some(2), None, Some(3)])?.dims(), [2, 2, 3]);
/// assert_eq!(t.reshape(ReshapeSpec::from(vec![None]))?.dims(), [12]);
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReshapeSpec(Vec<Option<usize>>);

impl ReshapeSpec {
    /// The dims as given (`None` for the one to infer).
    pub(crate) fn dims(&self) -> &[Option<usize>] {
        &self.0
    }

    /// The dims for `numel` elements, the unknown one inferred.
    pub(crate) fn resolve(&self, from: &Shape, numel: usize, dtype: DType) -> Result<Vec<usize>> {
        const OP: &str = "reshape";
        let unknown: Vec<usize> = (0..self.0.len()).filter(|&i| self.0[i].is_none()).collect();
        if unknown.len() > 1 {
            return Err(Error::invalid(
                OP,
                format!(
                    "shape {} leaves dims {unknown:?} unknown; at most one dim can be inferred",
                    self
                ),
            ));
        }
        // The known dims (the unknown one counted as 1) must be countable.
        let known = Shape::from(self.0.iter().map(|d| d.unwrap_or(1)).collect::<Vec<_>>())
            .checked_byte_size(OP, dtype)?
            / dtype.size_in_bytes();
        let mut dims: Vec<usize> = self.0.iter().map(|d| d.unwrap_or(0)).collect();
        let mismatch = |dims: &[usize]| {
            Error::shape_mismatch(
                OP,
                from.dims(),
                dims,
                format!(
                    "cannot reshape a tensor of shape {from} ({numel} elements) into shape {self} \
                     ({} elements)",
                    if unknown.is_empty() {
                        known.to_string()
                    } else {
                        format!("a multiple of {known}")
                    }
                ),
            )
        };
        if let Some(&u) = unknown.first() {
            if known == 0 || numel % known != 0 {
                return Err(mismatch(&dims));
            }
            dims[u] = numel / known;
        } else if known != numel {
            return Err(mismatch(&dims));
        }
        Ok(dims)
    }
}

/// `[2, ?, 3]`.
impl std::fmt::Display for ReshapeSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::graph::Dims(&self.0).fmt(f)
    }
}

impl From<&[Option<usize>]> for ReshapeSpec {
    fn from(d: &[Option<usize>]) -> Self {
        ReshapeSpec(d.to_vec())
    }
}
impl From<Vec<Option<usize>>> for ReshapeSpec {
    fn from(d: Vec<Option<usize>>) -> Self {
        ReshapeSpec(d)
    }
}
impl<const N: usize> From<[Option<usize>; N]> for ReshapeSpec {
    fn from(d: [Option<usize>; N]) -> Self {
        ReshapeSpec(d.to_vec())
    }
}
macro_rules! reshape_spec_from_dims {
    ($($t:ty),*) => {$(
        impl From<$t> for ReshapeSpec {
            fn from(s: $t) -> Self {
                ReshapeSpec(Shape::from(s).dims().iter().map(|&d| Some(d)).collect())
            }
        }
    )*};
}
reshape_spec_from_dims!(Shape, &Shape, Vec<usize>, &Vec<usize>, &[usize]);
impl<const N: usize> From<[usize; N]> for ReshapeSpec {
    fn from(d: [usize; N]) -> Self {
        ReshapeSpec(d.iter().map(|&d| Some(d)).collect())
    }
}
impl<const N: usize> From<&[usize; N]> for ReshapeSpec {
    fn from(d: &[usize; N]) -> Self {
        ReshapeSpec(d.iter().map(|&d| Some(d)).collect())
    }
}

impl Tensor {
    /// A view with NumPy basic indexing: ranges with steps (negative too),
    /// integer indices (the axis disappears), and new axes. Axes not named
    /// are taken whole. O(1), no copy.
    ///
    /// **Errors**: [`Error::InvalidArgument`] for a zero step or more indices
    /// than axes; [`Error::IndexOutOfBounds`] for an integer index outside its
    /// axis (range bounds are clamped, as in NumPy).
    ///
    /// ```
    /// use tensorbridge_core::{s, Tensor};
    ///
    /// let t = Tensor::from([[1, 2, 3], [4, 5, 6]]);
    /// assert_eq!(t.slice(s![.., 1])?.to_vec::<i32>()?, [2, 5]);       // t[:, 1]
    /// assert_eq!(t.slice(s![..;-1, ..;2])?.to_vec::<i32>()?, [4, 6, 1, 3]); // t[::-1, ::2]
    /// assert!(t.slice(s![2]).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn slice<A: Into<SliceArg>>(&self, args: impl IntoIterator<Item = A>) -> Result<Tensor> {
        let args: Vec<SliceArg> = args.into_iter().map(Into::into).collect();
        crate::graph::record_if_symbolic!(crate::graph::Op::Slice(args.clone()), self);
        Ok(self.with_layout(self.layout().slice(&args)?))
    }

    /// A view with the axes permuted: axis `i` of the result is axis
    /// `perm[i]` of `self` (`tf.transpose(t, perm)`). O(1), no copy.
    ///
    /// **Errors**: [`Error::InvalidArgument`] unless `perm` lists every axis
    /// exactly once.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let t = Tensor::from([[1, 2, 3], [4, 5, 6]]);
    /// assert_eq!(t.transpose(&[1, 0])?.to_vec::<i32>()?, [1, 4, 2, 5, 3, 6]);
    /// assert!(t.transpose(&[0, 0]).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn transpose(&self, perm: &[usize]) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(crate::graph::Op::Transpose(perm.to_vec()), self);
        Ok(self.with_layout(self.layout().transpose(perm)?))
    }

    /// The matrix transpose of the last two axes (all of them reversed for
    /// rank < 2 is the identity). O(1), no copy.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let t = Tensor::from([[1, 2], [3, 4]]);
    /// assert_eq!(t.t()?.to_vec::<i32>()?, [1, 3, 2, 4]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn t(&self) -> Result<Tensor> {
        let rank = self.rank();
        let mut perm: Vec<usize> = (0..rank).collect();
        if rank >= 2 {
            perm.swap(rank - 2, rank - 1);
        }
        self.transpose(&perm)
    }

    /// The same elements with other dims (`tf.reshape`); at most one dim may
    /// be `None` and is inferred. A view whenever the strides allow it (always
    /// for contiguous tensors); otherwise the elements are copied first, as
    /// NumPy does.
    ///
    /// **Errors**: [`Error::ShapeMismatch`] when the element counts differ;
    /// [`Error::InvalidArgument`] for two unknown dims.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let t = Tensor::from([[1, 2, 3], [4, 5, 6]]);
    /// let r = t.reshape([3, 2])?;
    /// assert!(r.shares_buffer_with(&t));
    /// assert_eq!(r.to_vec::<i32>()?, [1, 2, 3, 4, 5, 6]);
    /// // A transposed tensor cannot be flattened in place: this copies.
    /// let flat = t.t()?.reshape([None])?;
    /// assert!(!flat.shares_buffer_with(&t));
    /// assert_eq!(flat.to_vec::<i32>()?, [1, 4, 2, 5, 3, 6]);
    /// assert!(t.reshape([4, 2]).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn reshape(&self, shape: impl Into<ReshapeSpec>) -> Result<Tensor> {
        let shape: ReshapeSpec = shape.into();
        crate::graph::record_if_symbolic!(crate::graph::Op::Reshape(shape.clone()), self);
        let dims = shape.resolve(self.shape(), self.numel(), self.dtype())?;
        if let Some(layout) = self.layout().reshape_view(&dims) {
            return Ok(self.with_layout(layout));
        }
        let copy = self.contiguous_copy()?;
        let layout = copy
            .layout()
            .reshape_view(&dims)
            .expect("a contiguous layout reshapes to any dims of the same count");
        Ok(copy.with_layout(layout))
    }

    /// A view broadcast to `shape` with NumPy's rules
    /// (`tf.broadcast_to`): broadcast axes have stride 0. O(1), no copy.
    ///
    /// **Errors**: [`Error::ShapeMismatch`] when a dim is neither equal to the
    /// target's nor 1; [`Error::ShapeOverflow`] for a target too large to count.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let row = Tensor::from([1, 2, 3]);
    /// let b = row.broadcast_to([2, 3])?;
    /// assert_eq!(b.layout().strides(), [0, 1]);
    /// assert_eq!(b.to_vec::<i32>()?, [1, 2, 3, 1, 2, 3]);
    /// assert!(row.broadcast_to([3, 2]).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn broadcast_to(&self, shape: impl Into<Shape>) -> Result<Tensor> {
        let shape: Shape = shape.into();
        crate::graph::record_if_symbolic!(crate::graph::Op::BroadcastTo(shape.clone()), self);
        Ok(self.with_layout(self.layout().broadcast_to(&shape)?))
    }

    /// A view without all axes of size 1 (`tf.squeeze(t)`). O(1), no copy.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let t = Tensor::zeros([1, 3, 1], tensorbridge_core::DType::U8)?;
    /// assert_eq!(t.squeeze()?.dims(), [3]);
    /// assert_eq!(t.squeeze_axes(&[-1])?.dims(), [1, 3]);
    /// assert!(t.squeeze_axes(&[1]).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn squeeze(&self) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(crate::graph::Op::Squeeze, self);
        Ok(self.with_layout(self.layout().squeeze(None)?))
    }

    /// A view without the named axes, each of which must have size 1
    /// (`tf.squeeze(t, axis)`); negative axes count from the end.
    ///
    /// **Errors**: [`Error::InvalidArgument`] for an axis out of range, of a
    /// size other than 1, or named twice.
    pub fn squeeze_axes(&self, axes: &[isize]) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(crate::graph::Op::SqueezeAxes(axes.to_vec()), self);
        Ok(self.with_layout(self.layout().squeeze(Some(axes))?))
    }

    /// A view with a new axis of size 1 at `axis` (`tf.expand_dims`); `-1`
    /// appends. O(1), no copy.
    ///
    /// **Errors**: [`Error::InvalidArgument`] unless
    /// `-(rank + 1) <= axis <= rank`.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let t = Tensor::from([1, 2]);
    /// assert_eq!(t.expand_dims(0)?.dims(), [1, 2]);
    /// assert_eq!(t.expand_dims(-1)?.dims(), [2, 1]);
    /// assert!(t.expand_dims(3).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn expand_dims(&self, axis: isize) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(crate::graph::Op::ExpandDims(axis), self);
        Ok(self.with_layout(self.layout().expand_dims(axis)?))
    }

    /// A copy of the elements into a fresh C-order buffer, whatever the
    /// layout (NumPy's `ascontiguousarray`, but always a copy).
    ///
    /// A device tensor is copied on its device.
    ///
    /// **Errors**: [`Error::OutOfMemory`] when the buffer cannot be allocated.
    pub fn contiguous_copy(&self) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(crate::graph::Op::ContiguousCopy, self);
        #[cfg(feature = "cuda")]
        if self.cuda_storage().is_some() {
            return crate::cuda::contiguous_copy(self);
        }
        let storage = self.cpu_storage("contiguous_copy")?;
        let out = map_cpu_storage!(storage, v => wrap(copy::gather(v, self.layout())?));
        Ok(Tensor::from_cpu_storage(out, self.shape().clone()))
    }

    /// `self` when its elements are already contiguous, else a contiguous copy.
    pub fn contiguous(&self) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(crate::graph::Op::Contiguous, self);
        if self.is_contiguous() {
            Ok(self.clone())
        } else {
            self.contiguous_copy()
        }
    }
}

fn wrap<T: Element>(v: Vec<T>) -> CpuStorage {
    <T as crate::element::private::Sealed>::into_storage(v)
}
