//! [`Layout`]: how a tensor's elements sit in its buffer (shape, strides,
//! offset), and the O(1) view transformations on it.
//!
//! Strides are in elements and may be negative (reversed axes) or zero
//! (broadcast axes). Every layout a tensor holds was checked against its
//! buffer when it was made, and every transformation here keeps all of its
//! addresses inside the addresses of the layout it came from, so no view can
//! reach outside its buffer. A layout with no elements never addresses
//! anything, so its offset is left alone.

use crate::{Error, Result, Shape, SliceArg};

/// Shape, strides (in elements) and offset of a tensor's elements in its
/// buffer.
///
/// ```
/// use tensorbridge_core::Tensor;
///
/// let t = Tensor::zeros([2, 3], tensorbridge_core::DType::F32)?;
/// assert_eq!(t.layout().strides(), [3, 1]);
/// let tt = t.transpose(&[1, 0])?;
/// assert_eq!(tt.layout().strides(), [1, 3]);
/// assert!(!tt.is_contiguous());
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    shape: Shape,
    strides: Vec<isize>,
    offset: usize,
}

impl Layout {
    /// The C-order (row-major) layout of `shape` at offset 0.
    pub(crate) fn contiguous(shape: Shape) -> Self {
        let strides = contiguous_strides(shape.dims());
        Layout {
            shape,
            strides,
            offset: 0,
        }
    }

    /// A layout from raw parts, checked to stay inside a buffer of
    /// `buffer_len` elements.
    pub(crate) fn checked(
        op: &'static str,
        shape: Shape,
        strides: Vec<isize>,
        offset: usize,
        buffer_len: usize,
    ) -> Result<Self> {
        if strides.len() != shape.rank() {
            return Err(Error::invalid(
                op,
                format!(
                    "strides {strides:?} have {} entries for shape {shape} of rank {}",
                    strides.len(),
                    shape.rank()
                ),
            ));
        }
        let layout = Layout {
            shape,
            strides,
            offset,
        };
        let numel = layout.shape.checked_byte_size(op, crate::DType::U8)?;
        if numel > 0 {
            let (lo, hi) = layout.address_range().ok_or_else(|| {
                Error::invalid(op, format!("strides {:?} overflow isize", layout.strides))
            })?;
            if lo < 0 || hi >= buffer_len as i128 {
                return Err(Error::invalid(
                    op,
                    format!(
                        "shape {} with strides {:?} at offset {} reaches elements {lo}..={hi}, \
                         outside a buffer of {buffer_len} elements",
                        layout.shape, layout.strides, layout.offset
                    ),
                ));
            }
        }
        Ok(layout)
    }

    /// The shape.
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// The dims.
    pub fn dims(&self) -> &[usize] {
        self.shape.dims()
    }

    /// The strides, in elements (negative for reversed axes, zero for
    /// broadcast ones).
    pub fn strides(&self) -> &[isize] {
        &self.strides
    }

    /// The position of the first element (index `[0, 0, ...]`) in the buffer.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The number of elements. Always fits: it was checked when the layout
    /// was made.
    pub fn numel(&self) -> usize {
        self.dims().iter().product()
    }

    /// Whether the elements are in C order with no gaps (size-1 axes may have
    /// any stride; an empty layout is contiguous).
    pub fn is_contiguous(&self) -> bool {
        if self.numel() == 0 {
            return true;
        }
        let mut expected = 1isize;
        for (&d, &s) in self.dims().iter().zip(&self.strides).rev() {
            if d != 1 {
                if s != expected {
                    return false;
                }
                expected *= d as isize;
            }
        }
        true
    }

    /// The buffer range holding the elements, when they are contiguous.
    pub(crate) fn contiguous_range(&self) -> Option<std::ops::Range<usize>> {
        self.is_contiguous()
            .then(|| self.offset..self.offset + self.numel())
    }

    /// The lowest and highest buffer positions addressed (for a non-empty
    /// layout), in i128 so that unchecked inputs cannot overflow.
    fn address_range(&self) -> Option<(i128, i128)> {
        let mut lo = self.offset as i128;
        let mut hi = lo;
        for (&d, &s) in self.dims().iter().zip(&self.strides) {
            let reach = (d as i128 - 1).checked_mul(s as i128)?;
            if reach < 0 {
                lo += reach;
            } else {
                hi += reach;
            }
        }
        Some((lo, hi))
    }

    /// The layout after NumPy basic indexing with `args`.
    pub(crate) fn slice(&self, args: &[SliceArg]) -> Result<Layout> {
        const OP: &str = "slice";
        let consumed = args
            .iter()
            .filter(|a| !matches!(a, SliceArg::NewAxis))
            .count();
        if consumed > self.shape.rank() {
            return Err(Error::invalid(
                OP,
                format!(
                    "too many indices: {consumed} given for a tensor of shape {} (rank {})",
                    self.shape,
                    self.shape.rank()
                ),
            ));
        }
        let mut dims = Vec::with_capacity(self.shape.rank() + args.len());
        let mut strides = Vec::with_capacity(dims.capacity());
        let mut offset = self.offset as i128;
        let mut axis = 0;
        for arg in args {
            match *arg {
                SliceArg::NewAxis => {
                    dims.push(1);
                    strides.push(0);
                }
                SliceArg::Index(i) => {
                    let n = self.dims()[axis];
                    let index = normalize_index(i, n).ok_or(Error::IndexOutOfBounds {
                        op: OP,
                        index: i,
                        axis,
                        size: n,
                        location: None,
                    })?;
                    offset += index as i128 * self.strides[axis] as i128;
                    axis += 1;
                }
                SliceArg::Range { start, stop, step } => {
                    if step == 0 {
                        return Err(Error::invalid(
                            OP,
                            format!("the step of axis {axis} is 0; a step must be non-zero"),
                        ));
                    }
                    let n = self.dims()[axis];
                    let (first, len) = resolve_range(start, stop, step, n);
                    let stride = self.strides[axis];
                    if len > 0 {
                        offset += first * stride as i128;
                    }
                    dims.push(len);
                    // A stride only matters when the axis has two or more
                    // elements; then stride * step * (len - 1) lies inside the
                    // parent's address range, so it fits.
                    strides.push(if len > 1 { stride * step } else { stride });
                    axis += 1;
                }
            }
        }
        for a in axis..self.shape.rank() {
            dims.push(self.dims()[a]);
            strides.push(self.strides[a]);
        }
        let numel: usize = dims.iter().product();
        let offset = if numel == 0 {
            self.offset
        } else {
            offset as usize
        };
        Ok(Layout {
            shape: Shape::from(dims),
            strides,
            offset,
        })
    }

    /// The layout with axes permuted: axis `i` of the result is axis
    /// `perm[i]` of `self`.
    pub(crate) fn transpose(&self, perm: &[usize]) -> Result<Layout> {
        const OP: &str = "transpose";
        let rank = self.shape.rank();
        if perm.len() != rank {
            return Err(Error::invalid(
                OP,
                format!(
                    "perm {perm:?} has {} entries for a tensor of rank {rank}; it must list each axis once",
                    perm.len()
                ),
            ));
        }
        let mut seen = vec![false; rank];
        for &p in perm {
            if p >= rank {
                return Err(Error::invalid(
                    OP,
                    format!("perm {perm:?} names axis {p}, out of range for rank {rank}"),
                ));
            }
            if std::mem::replace(&mut seen[p], true) {
                return Err(Error::invalid(
                    OP,
                    format!("perm {perm:?} repeats axis {p}; it must list each axis once"),
                ));
            }
        }
        Ok(Layout {
            shape: Shape::from(perm.iter().map(|&p| self.dims()[p]).collect::<Vec<_>>()),
            strides: perm.iter().map(|&p| self.strides[p]).collect(),
            offset: self.offset,
        })
    }

    /// The layout broadcast to `target` with NumPy's rules (stride 0 on the
    /// broadcast axes).
    pub(crate) fn broadcast_to(&self, target: &Shape) -> Result<Layout> {
        const OP: &str = "broadcast_to";
        // Views hand their elements to ndarray, which needs the count of
        // every view (broadcast ones too) within isize::MAX.
        target.checked_byte_size(OP, crate::DType::U8)?;
        let (rank, trank) = (self.shape.rank(), target.rank());
        let incompatible = || {
            Error::shape_mismatch(
                OP,
                self.dims(),
                target.dims(),
                format!(
                    "cannot broadcast shape {} to shape {target}: aligned from the right, each dim \
                     must equal the target's or be 1",
                    self.shape
                ),
            )
        };
        if trank < rank {
            return Err(incompatible());
        }
        let lead = trank - rank;
        let mut strides = vec![0isize; trank];
        for (i, (&d, &s)) in self.dims().iter().zip(&self.strides).enumerate() {
            let t = target.dims()[lead + i];
            strides[lead + i] = if d == t {
                s
            } else if d == 1 {
                0
            } else {
                return Err(incompatible());
            };
        }
        Ok(Layout {
            shape: target.clone(),
            strides,
            offset: self.offset,
        })
    }

    /// The same elements seen with `dims` (same count), without moving any,
    /// when the strides allow it; `None` when only a copy can do it.
    /// This is NumPy's `_attempt_nocopy_reshape`.
    pub(crate) fn reshape_view(&self, dims: &[usize]) -> Option<Layout> {
        let new_shape = Shape::from(dims);
        if self.numel() == 0 {
            return Some(Layout {
                shape: new_shape,
                strides: contiguous_strides(dims),
                offset: self.offset,
            });
        }
        let (old_dims, old_strides): (Vec<usize>, Vec<isize>) = self
            .dims()
            .iter()
            .zip(&self.strides)
            .filter(|(d, _)| **d != 1)
            .map(|(&d, &s)| (d, s))
            .unzip();
        let mut new_strides = vec![0isize; dims.len()];
        let (mut oi, mut oj, mut ni, mut nj) = (0, 1, 0, 1);
        while ni < dims.len() && oi < old_dims.len() {
            let mut np = dims[ni];
            let mut op = old_dims[oi];
            while np != op {
                if np < op {
                    np *= dims[nj];
                    nj += 1;
                } else {
                    op *= old_dims[oj];
                    oj += 1;
                }
            }
            // The old axes oi..oj must be one C-contiguous block.
            for ok in oi..oj - 1 {
                if old_strides[ok] != old_dims[ok + 1] as isize * old_strides[ok + 1] {
                    return None;
                }
            }
            new_strides[nj - 1] = old_strides[oj - 1];
            for nk in (ni + 1..nj).rev() {
                new_strides[nk - 1] = new_strides[nk] * dims[nk] as isize;
            }
            ni = nj;
            nj += 1;
            oi = oj;
            oj += 1;
        }
        // Remaining new axes have size 1: their stride is never used.
        let last = if ni > 0 { new_strides[ni - 1] } else { 1 };
        for s in &mut new_strides[ni..] {
            *s = last;
        }
        Some(Layout {
            shape: new_shape,
            strides: new_strides,
            offset: self.offset,
        })
    }

    /// The layout without the given size-1 axes (all size-1 axes for `None`).
    pub(crate) fn squeeze(&self, axes: Option<&[isize]>) -> Result<Layout> {
        const OP: &str = "squeeze";
        let rank = self.shape.rank();
        let mut drop = vec![false; rank];
        match axes {
            None => {
                for (a, &d) in self.dims().iter().enumerate() {
                    drop[a] = d == 1;
                }
            }
            Some(axes) => {
                for &a in axes {
                    let axis = normalize_axis(OP, a, rank)?;
                    if self.dims()[axis] != 1 {
                        return Err(Error::invalid(
                            OP,
                            format!(
                                "axis {a} of shape {} has size {}; only axes of size 1 can be squeezed",
                                self.shape,
                                self.dims()[axis]
                            ),
                        ));
                    }
                    if std::mem::replace(&mut drop[axis], true) {
                        return Err(Error::invalid(
                            OP,
                            format!("axes {axes:?} name axis {axis} twice"),
                        ));
                    }
                }
            }
        }
        let (dims, strides): (Vec<usize>, Vec<isize>) = self
            .dims()
            .iter()
            .zip(&self.strides)
            .zip(&drop)
            .filter(|(_, dropped)| !**dropped)
            .map(|((&d, &s), _)| (d, s))
            .unzip();
        Ok(Layout {
            shape: Shape::from(dims),
            strides,
            offset: self.offset,
        })
    }

    /// The layout with a size-1 axis inserted at `axis` (`-1` appends).
    pub(crate) fn expand_dims(&self, axis: isize) -> Result<Layout> {
        let rank = self.shape.rank();
        let axis = normalize_axis("expand_dims", axis, rank + 1).map_err(|_| {
            Error::invalid(
                "expand_dims",
                format!(
                    "axis {axis} is out of range for a tensor of rank {rank}: the new axis goes \
                     at -{} to {rank}",
                    rank + 1
                ),
            )
        })?;
        let mut dims = self.dims().to_vec();
        let mut strides = self.strides.clone();
        dims.insert(axis, 1);
        strides.insert(axis, 0);
        Ok(Layout {
            shape: Shape::from(dims),
            strides,
            offset: self.offset,
        })
    }

    /// The buffer position of every element, in C order of the indices: the
    /// naive reference the fast copies are tested against.
    #[cfg(test)]
    pub(crate) fn offsets(&self) -> impl Iterator<Item = usize> + '_ {
        let numel = self.numel();
        let mut index = vec![0usize; self.shape.rank()];
        let mut pos = self.offset as isize;
        (0..numel).map(move |n| {
            if n > 0 {
                // Odometer step: bump the last axis, carrying leftwards.
                for a in (0..index.len()).rev() {
                    index[a] += 1;
                    pos += self.strides[a];
                    if index[a] < self.dims()[a] {
                        break;
                    }
                    pos -= self.strides[a] * index[a] as isize;
                    index[a] = 0;
                }
            }
            pos as usize
        })
    }
}

/// C-order strides of `dims`.
pub(crate) fn contiguous_strides(dims: &[usize]) -> Vec<isize> {
    let mut strides = vec![0isize; dims.len()];
    let mut acc = 1usize;
    for (s, &d) in strides.iter_mut().zip(dims).rev() {
        *s = acc as isize;
        acc = acc.saturating_mul(d.max(1));
    }
    strides
}

/// `i` as a position in an axis of size `n` (negative counts from the end).
fn normalize_index(i: isize, n: usize) -> Option<usize> {
    let i = i as i128;
    let pos = if i < 0 { i + n as i128 } else { i };
    (0..n as i128).contains(&pos).then_some(pos as usize)
}

/// `axis` as an axis of a rank-`rank` tensor (negative counts from the end).
pub(crate) fn normalize_axis(op: &'static str, axis: isize, rank: usize) -> Result<usize> {
    let a = axis as i128;
    let pos = if a < 0 { a + rank as i128 } else { a };
    if (0..rank as i128).contains(&pos) {
        Ok(pos as usize)
    } else {
        Err(Error::invalid(
            op,
            format!(
                "axis {axis} is out of range for rank {rank} (valid: {} to {})",
                -(rank as i128),
                rank as i128 - 1
            ),
        ))
    }
}

/// NumPy's `PySlice_AdjustIndices`: the first index taken and the count.
fn resolve_range(
    start: Option<isize>,
    stop: Option<isize>,
    step: isize,
    n: usize,
) -> (i128, usize) {
    let n = n as i128;
    let step = step as i128;
    let clamp = |v: isize, lo: i128, hi: i128| {
        let v = v as i128;
        let v = if v < 0 { v + n } else { v };
        v.clamp(lo, hi)
    };
    let (start, stop) = if step > 0 {
        (
            start.map_or(0, |s| clamp(s, 0, n)),
            stop.map_or(n, |s| clamp(s, 0, n)),
        )
    } else {
        (
            start.map_or(n - 1, |s| clamp(s, -1, n - 1)),
            stop.map_or(-1, |s| clamp(s, -1, n - 1)),
        )
    };
    let len = if step > 0 && stop > start {
        (stop - start + step - 1) / step
    } else if step < 0 && start > stop {
        (start - stop - step - 1) / -step
    } else {
        0
    };
    (start, len as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(dims: &[usize]) -> Layout {
        Layout::contiguous(Shape::from(dims))
    }

    #[test]
    fn numpy_slice_bounds() {
        // a = np.arange(10)
        type Case = (Option<isize>, Option<isize>, isize, (i128, usize));
        let cases: &[Case] = &[
            (None, None, 1, (0, 10)),
            (Some(2), Some(8), 3, (2, 2)),   // a[2:8:3] -> [2, 5]
            (None, None, -1, (9, 10)),       // a[::-1]
            (Some(-3), None, 1, (7, 3)),     // a[-3:]
            (Some(100), None, 1, (10, 0)),   // a[100:]
            (Some(0), Some(3), -1, (0, 0)),  // a[0:3:-1] -> []
            (Some(5), None, -2, (5, 3)),     // a[5::-2] -> [5, 3, 1]
            (None, Some(-100), -1, (9, 10)), // a[:-100:-1] -> all reversed
            (Some(-100), Some(2), 1, (0, 2)),
        ];
        for &(start, stop, step, expected) in cases {
            assert_eq!(
                resolve_range(start, stop, step, 10),
                expected,
                "{start:?}:{stop:?}:{step}"
            );
        }
        assert_eq!(resolve_range(None, None, -1, 0), (-1, 0));
    }

    #[test]
    fn reshape_view_follows_numpy() {
        // Contiguous: always a view.
        assert!(layout(&[2, 3, 4]).reshape_view(&[6, 4]).is_some());
        // Transposed [3, 2] -> [6] needs a copy.
        let t = layout(&[2, 3]).transpose(&[1, 0]).unwrap();
        assert!(t.reshape_view(&[6]).is_none());
        // Splitting an axis of a transposed tensor is still a view.
        let t = layout(&[4, 6]).transpose(&[1, 0]).unwrap(); // [6, 4] strides [1, 6]
        let v = t.reshape_view(&[2, 3, 4]).unwrap();
        assert_eq!(v.strides(), [3, 1, 6]);
        // Size-1 axes are free.
        let v = layout(&[3]).reshape_view(&[1, 3, 1]).unwrap();
        assert_eq!(v.dims(), [1, 3, 1]);
    }

    #[test]
    fn offsets_walk_c_order() {
        let t = layout(&[2, 3]).transpose(&[1, 0]).unwrap();
        assert_eq!(t.offsets().collect::<Vec<_>>(), [0, 3, 1, 4, 2, 5]);
        let r = layout(&[4])
            .slice(&[SliceArg::range(None, None, -1)])
            .unwrap();
        assert_eq!(r.offsets().collect::<Vec<_>>(), [3, 2, 1, 0]);
    }

    #[test]
    fn checked_rejects_out_of_buffer() {
        assert!(Layout::checked("t", Shape::from([2, 3]), vec![3, 1], 0, 6).is_ok());
        assert!(Layout::checked("t", Shape::from([2, 3]), vec![3, 1], 1, 6).is_err());
        assert!(Layout::checked("t", Shape::from([2, 3]), vec![-3, 1], 0, 6).is_err());
        assert!(Layout::checked("t", Shape::from([2, 3]), vec![-3, 1], 3, 6).is_ok());
        assert!(Layout::checked("t", Shape::from([2]), vec![isize::MAX], 0, 6).is_err());
        assert!(Layout::checked("t", Shape::from([0, 3]), vec![3, 1], 99, 0).is_ok());
        assert!(Layout::checked("t", Shape::from([2]), vec![1, 1], 0, 6).is_err());
    }
}
