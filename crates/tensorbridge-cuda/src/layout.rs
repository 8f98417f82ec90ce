//! [`StridedLayout`] and its packing into the kernels' by-value `Meta`
//! struct (dims and strides up to [`MAX_RANK`], 64-bit index math).
#![expect(
    unsafe_code,
    reason = "Meta is passed to kernels by value (DeviceRepr is an unsafe trait)"
)]

use crate::{CudaError, ElemType, Result};

/// The largest rank a layout may have (the size of the kernels' arrays).
pub const MAX_RANK: usize = 12;

/// A strided view of a buffer, in elements (core's `Layout`): `dims`,
/// `strides` (may be 0 for broadcast, or negative) and the `offset` of
/// element `[0, 0, ...]`. Rank at most [`MAX_RANK`].
///
/// ```
/// use tensorbridge_cuda::StridedLayout;
///
/// // The transpose of a 2x3 C-order matrix.
/// let t = StridedLayout { dims: &[3, 2], strides: &[1, 3], offset: 0 };
/// assert_eq!(t.numel()?, 6);
/// assert!(!t.is_c_contiguous());
/// # Ok::<(), tensorbridge_cuda::CudaError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StridedLayout<'a> {
    /// Size of each axis.
    pub dims: &'a [usize],
    /// Step between neighbours along each axis, in elements.
    pub strides: &'a [isize],
    /// Position of the first element, in elements.
    pub offset: usize,
}

impl<'a> StridedLayout<'a> {
    /// A layout over `dims` with the given strides and offset 0.
    ///
    /// ```
    /// use tensorbridge_cuda::StridedLayout;
    ///
    /// let l = StridedLayout::new(&[2, 2], &[2, 1]);
    /// assert!(l.is_c_contiguous());
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn new(dims: &'a [usize], strides: &'a [isize]) -> Self {
        StridedLayout {
            dims,
            strides,
            offset: 0,
        }
    }

    /// The element count, or [`CudaError::InvalidArgument`] when it
    /// overflows `usize`.
    ///
    /// ```
    /// use tensorbridge_cuda::StridedLayout;
    ///
    /// let huge = [usize::MAX, 2];
    /// assert!(StridedLayout::new(&huge, &[0, 0]).numel().is_err());
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn numel(&self) -> Result<usize> {
        self.dims
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or_else(|| {
                CudaError::InvalidArgument(format!(
                    "the element count of dims {:?} overflows usize",
                    self.dims
                ))
            })
    }

    /// Whether the elements are exactly `offset..offset + numel` in C order
    /// (axes of size 1 may have any stride).
    ///
    /// ```
    /// use tensorbridge_cuda::StridedLayout;
    ///
    /// assert!(StridedLayout::new(&[2, 1, 3], &[3, 99, 1]).is_c_contiguous());
    /// assert!(!StridedLayout::new(&[2, 3], &[1, 2]).is_c_contiguous());
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn is_c_contiguous(&self) -> bool {
        if self.dims.len() != self.strides.len() {
            return false;
        }
        if self.dims.contains(&0) {
            return true;
        }
        let mut expected: isize = 1;
        for (&d, &s) in self.dims.iter().zip(self.strides).rev() {
            if d == 1 {
                continue;
            }
            if s != expected {
                return false;
            }
            match expected.checked_mul(d as isize) {
                Some(e) => expected = e,
                None => return false,
            }
        }
        true
    }

    /// Checks rank, lengths and that every element lies inside a buffer of
    /// `buffer_bytes` bytes of `elem`s; returns the element count.
    pub(crate) fn check(&self, what: &str, elem: ElemType, buffer_bytes: usize) -> Result<usize> {
        let rank = self.dims.len();
        if rank != self.strides.len() {
            return Err(CudaError::InvalidArgument(format!(
                "{what}: layout has {rank} dims but {} strides",
                self.strides.len()
            )));
        }
        if rank > MAX_RANK {
            return Err(CudaError::InvalidArgument(format!(
                "{what}: rank {rank} exceeds the CUDA backend's maximum rank {MAX_RANK}"
            )));
        }
        let n = self.numel()?;
        let capacity = buffer_bytes / elem.size_bytes();
        if n == 0 {
            return Ok(0);
        }
        // The lowest and highest element positions, in i128 (no overflow).
        let mut lo = self.offset as i128;
        let mut hi = self.offset as i128;
        for (&d, &s) in self.dims.iter().zip(self.strides) {
            let span = (d as i128 - 1) * s as i128;
            if span < 0 {
                lo += span;
            } else {
                hi += span;
            }
        }
        if lo < 0 || hi >= capacity as i128 {
            return Err(CudaError::InvalidArgument(format!(
                "{what}: layout dims {:?} strides {:?} offset {} reaches elements {lo}..={hi}, \
                 outside the buffer of {capacity} {elem} elements ({buffer_bytes} bytes)",
                self.dims, self.strides, self.offset
            )));
        }
        Ok(n)
    }
}

/// The kernels' layout struct, passed by value. Must match `Meta` in
/// `kernels/prelude.cuh` field for field.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) rank: u32,
    pub(crate) contiguous: u32,
    pub(crate) offset: u64,
    pub(crate) dims: [u64; MAX_RANK],
    pub(crate) strides: [i64; MAX_RANK],
}

// SAFETY: Meta is repr(C), plain integers, no padding holes that the kernel
// reads (u32, u32, then 8-byte fields), and matches the C struct.
unsafe impl cudarc::driver::DeviceRepr for Meta {}

impl Meta {
    /// A C-contiguous layout of `dims` (for outputs).
    pub(crate) fn contiguous(dims: &[usize]) -> Result<Meta> {
        let strides = c_strides(dims)?;
        pack(&[StridedLayout::new(dims, &strides)]).map(|mut m| m.remove(0))
    }
}

/// C-order strides of `dims`, checked.
pub(crate) fn c_strides(dims: &[usize]) -> Result<Vec<isize>> {
    let mut strides = vec![0isize; dims.len()];
    let mut acc: isize = 1;
    for (s, &d) in strides.iter_mut().zip(dims).rev() {
        *s = acc;
        acc = acc.checked_mul(d.max(1) as isize).ok_or_else(|| {
            CudaError::InvalidArgument(format!("dims {dims:?} overflow isize strides"))
        })?;
    }
    Ok(strides)
}

/// Packs layouts that share their dims into `Meta`s, coalescing axes that
/// are contiguous in all of them (and dropping axes of size 1), so that the
/// kernels decompose as few axes as possible. The C-order element sequence
/// of every layout is unchanged.
pub(crate) fn pack(layouts: &[StridedLayout<'_>]) -> Result<Vec<Meta>> {
    let first = layouts
        .first()
        .ok_or_else(|| CudaError::InvalidArgument("no layout to pack".into()))?;
    let rank = first.dims.len();
    for l in layouts {
        if l.dims != first.dims {
            return Err(CudaError::InvalidArgument(format!(
                "layouts of one operation must share dims: {:?} vs {:?}",
                first.dims, l.dims
            )));
        }
        if l.strides.len() != rank {
            return Err(CudaError::InvalidArgument(format!(
                "layout has {rank} dims but {} strides",
                l.strides.len()
            )));
        }
    }
    if rank > MAX_RANK {
        return Err(CudaError::InvalidArgument(format!(
            "rank {rank} exceeds the CUDA backend's maximum rank {MAX_RANK}"
        )));
    }
    // Coalesced axes: (dim, strides per layout), outermost first.
    let mut axes: Vec<(usize, Vec<isize>)> = Vec::with_capacity(rank);
    for a in 0..rank {
        let d = first.dims[a];
        if d == 1 {
            continue;
        }
        let s: Vec<isize> = layouts.iter().map(|l| l.strides[a]).collect();
        if let Some((ld, ls)) = axes.last_mut() {
            let mergeable = ls
                .iter()
                .zip(&s)
                .all(|(&outer, &inner)| inner.checked_mul(d as isize) == Some(outer));
            if mergeable {
                *ld *= d;
                *ls = s;
                continue;
            }
        }
        axes.push((d, s));
    }
    Ok(layouts
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut m = Meta {
                rank: axes.len() as u32,
                contiguous: 0,
                offset: l.offset as u64,
                dims: [1; MAX_RANK],
                strides: [0; MAX_RANK],
            };
            for (a, (d, s)) in axes.iter().enumerate() {
                m.dims[a] = *d as u64;
                m.strides[a] = s[i] as i64;
            }
            m.contiguous = u32::from(axes.is_empty() || (axes.len() == 1 && axes[0].1[i] == 1));
            m
        })
        .collect())
}

/// The flat element position of C-order element `i` of `m` (the host
/// mirror of the kernels' `elem_offset`, for tests).
#[cfg(test)]
pub(crate) fn position(m: &Meta, mut i: u64) -> i64 {
    let mut pos = m.offset as i64;
    for a in (0..m.rank as usize).rev() {
        let d = m.dims[a];
        pos += (i % d) as i64 * m.strides[a];
        i /= d;
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive_positions(l: &StridedLayout<'_>) -> Vec<i64> {
        let n: usize = l.dims.iter().product();
        (0..n)
            .map(|mut i| {
                let mut p = l.offset as i64;
                for a in (0..l.dims.len()).rev() {
                    p += (i % l.dims[a]) as i64 * l.strides[a] as i64;
                    i /= l.dims[a];
                }
                p
            })
            .collect()
    }

    #[test]
    fn contiguous_coalesces_to_one_axis() {
        let m = Meta::contiguous(&[2, 3, 4]).unwrap();
        assert_eq!(m.rank, 1);
        assert_eq!(m.dims[0], 24);
        assert_eq!(m.strides[0], 1);
        assert_eq!(m.contiguous, 1);
    }

    #[test]
    fn transposed_and_broadcast_axes_stay_apart() {
        let t = StridedLayout::new(&[3, 2], &[1, 3]);
        let b = StridedLayout::new(&[3, 2], &[0, 1]);
        let m = pack(&[t, b]).unwrap();
        assert_eq!(m[0].rank, 2);
        assert_eq!(&m[0].strides[..2], &[1, 3]);
        assert_eq!(&m[1].strides[..2], &[0, 1]);
        assert_eq!(m[0].contiguous, 0);
    }

    #[test]
    fn rank_and_mismatch_are_rejected() {
        let dims = [1usize; 13];
        let strides = [1isize; 13];
        let e = pack(&[StridedLayout::new(&dims, &strides)]).unwrap_err();
        assert!(e.to_string().contains("rank 13"), "{e}");
        let e = pack(&[
            StridedLayout::new(&[2], &[1]),
            StridedLayout::new(&[3], &[1]),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("share dims"), "{e}");
        let e = pack(&[StridedLayout::new(&[2, 2], &[1])]).unwrap_err();
        assert!(e.to_string().contains("strides"), "{e}");
    }

    #[test]
    fn check_catches_layouts_outside_the_buffer() {
        let l = StridedLayout {
            dims: &[2, 3],
            strides: &[3, 1],
            offset: 1,
        };
        // Elements 1..=6 need 7 f32s = 28 bytes.
        assert_eq!(l.check("x", ElemType::F32, 28).unwrap(), 6);
        assert!(
            l.check("x", ElemType::F32, 27)
                .unwrap_err()
                .to_string()
                .contains("1..=6")
        );
        let neg = StridedLayout {
            dims: &[3],
            strides: &[-1],
            offset: 1,
        };
        assert!(
            neg.check("x", ElemType::U8, 100)
                .unwrap_err()
                .to_string()
                .contains("-1..=1")
        );
        let empty = StridedLayout {
            dims: &[0, 5],
            strides: &[5, 1],
            offset: 1000,
        };
        assert_eq!(empty.check("x", ElemType::U8, 0).unwrap(), 0);
        let over = [usize::MAX, 3];
        assert!(
            StridedLayout::new(&over, &[0, 0])
                .check("x", ElemType::U8, 1)
                .is_err()
        );
    }

    #[test]
    fn c_strides_overflow_is_an_error() {
        assert_eq!(c_strides(&[2, 3, 4]).unwrap(), [12, 4, 1]);
        assert!(c_strides(&[usize::MAX / 2, 4, 1]).is_err());
    }

    proptest! {
        #[test]
        fn packing_preserves_every_position(
            dims in proptest::collection::vec(1usize..4, 0..6),
            seed in proptest::collection::vec(-3isize..4, 6),
            offset in 0usize..50,
        ) {
            let strides: Vec<isize> = seed[..dims.len()].to_vec();
            let l = StridedLayout { dims: &dims, strides: &strides, offset: offset + 200 };
            let c = c_strides(&dims).unwrap();
            let lc = StridedLayout::new(&dims, &c);
            let m = pack(&[l, lc]).unwrap();
            let want = naive_positions(&l);
            let want_c = naive_positions(&lc);
            let got: Vec<i64> = (0..want.len() as u64).map(|i| position(&m[0], i)).collect();
            let got_c: Vec<i64> = (0..want.len() as u64).map(|i| position(&m[1], i)).collect();
            prop_assert_eq!(got, want);
            prop_assert_eq!(got_c, want_c);
            prop_assert!(pack(&[lc]).unwrap()[0].rank <= 1);
        }
    }
}
