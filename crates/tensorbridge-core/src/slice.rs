//! [`SliceArg`]: one axis of a slicing expression, with NumPy's semantics.

use std::ops::{Range, RangeFrom, RangeFull, RangeInclusive, RangeTo, RangeToInclusive};

/// What to take along one axis, as in NumPy's `t[start:stop:step]`, `t[i]`
/// or `t[np.newaxis]`.
///
/// Bounds follow NumPy, not Rust ranges: negative values count from the end,
/// out-of-range bounds are clamped, and a negative step walks backwards from
/// `start` (default: the last element) down to, but excluding, `stop`
/// (default: past the first element). Build them with [`s!`](crate::s) or
/// from ranges and integers:
///
/// ```
/// use tensorbridge_core::{s, SliceArg, Tensor};
///
/// let t = Tensor::from([[0, 1, 2, 3], [4, 5, 6, 7]]);
/// // t[:, ::-2] in NumPy
/// let v = t.slice(s![.., ..;-2])?;
/// assert_eq!(v.to_vec::<i32>()?, [3, 1, 7, 5]);
/// // t[1, 1:3]
/// let v = t.slice([SliceArg::from(1), SliceArg::from(1..3)])?;
/// assert_eq!(v.to_vec::<i32>()?, [5, 6]);
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SliceArg {
    /// `start:stop:step`; `None` bounds take NumPy's defaults for the step's sign.
    Range {
        /// First index taken (may be negative).
        start: Option<isize>,
        /// Index where taking stops, excluded (may be negative).
        stop: Option<isize>,
        /// Distance between taken indices; never 0.
        step: isize,
    },
    /// A single index (may be negative); the axis disappears.
    Index(isize),
    /// A new axis of size 1 (NumPy's `np.newaxis`).
    NewAxis,
}

impl SliceArg {
    /// The whole axis, `:`.
    pub const FULL: SliceArg = SliceArg::Range {
        start: None,
        stop: None,
        step: 1,
    };

    /// `start:stop:step` with explicit optional bounds.
    pub const fn range(start: Option<isize>, stop: Option<isize>, step: isize) -> Self {
        SliceArg::Range { start, stop, step }
    }

    /// `r` with its step replaced by `step` (an index becomes `i:i+1:step`).
    pub fn with_step(r: impl Into<SliceArg>, step: isize) -> Self {
        match r.into() {
            SliceArg::Range { start, stop, .. } => SliceArg::Range { start, stop, step },
            SliceArg::Index(i) => SliceArg::Range {
                start: Some(i),
                stop: i.checked_add(1),
                step,
            },
            SliceArg::NewAxis => SliceArg::NewAxis,
        }
    }
}

macro_rules! impl_slice_arg_from {
    ($($t:ty),*) => {$(
        impl From<$t> for SliceArg {
            fn from(i: $t) -> Self {
                SliceArg::Index(clamp_isize(i as i128))
            }
        }
        impl From<Range<$t>> for SliceArg {
            fn from(r: Range<$t>) -> Self {
                SliceArg::range(Some(clamp_isize(r.start as i128)), Some(clamp_isize(r.end as i128)), 1)
            }
        }
        impl From<RangeInclusive<$t>> for SliceArg {
            fn from(r: RangeInclusive<$t>) -> Self {
                let end = *r.end() as i128;
                // `..=-1` means "through the last element": no stop at all.
                let stop = if end == -1 { None } else { Some(clamp_isize(end + 1)) };
                SliceArg::range(Some(clamp_isize(*r.start() as i128)), stop, 1)
            }
        }
        impl From<RangeFrom<$t>> for SliceArg {
            fn from(r: RangeFrom<$t>) -> Self {
                SliceArg::range(Some(clamp_isize(r.start as i128)), None, 1)
            }
        }
        impl From<RangeTo<$t>> for SliceArg {
            fn from(r: RangeTo<$t>) -> Self {
                SliceArg::range(None, Some(clamp_isize(r.end as i128)), 1)
            }
        }
        impl From<RangeToInclusive<$t>> for SliceArg {
            fn from(r: RangeToInclusive<$t>) -> Self {
                let end = r.end as i128;
                let stop = if end == -1 { None } else { Some(clamp_isize(end + 1)) };
                SliceArg::range(None, stop, 1)
            }
        }
    )*};
}
impl_slice_arg_from!(isize, i32, i64, usize, u32);

impl From<RangeFull> for SliceArg {
    fn from(_: RangeFull) -> Self {
        SliceArg::FULL
    }
}

/// Bounds beyond `isize` are clamped like any other out-of-range bound.
fn clamp_isize(v: i128) -> isize {
    v.clamp(isize::MIN as i128, isize::MAX as i128) as isize
}

/// Builds a slicing expression for [`Tensor::slice`](crate::Tensor::slice)
/// with NumPy's meaning: `s![1..3, ..;-1, 0, NewAxis]` is NumPy's
/// `t[1:3, ::-1, 0, np.newaxis]`.
///
/// Each comma-separated item is a range, an integer index, `NewAxis`, or a
/// range followed by `;step`.
///
/// ```
/// use tensorbridge_core::{s, Tensor};
///
/// let t = Tensor::arange(0i64, 10, 1)?;
/// assert_eq!(t.slice(s![2..;3])?.to_vec::<i64>()?, [2, 5, 8]);
/// assert_eq!(t.slice(s![..;-4])?.to_vec::<i64>()?, [9, 5, 1]);
/// assert_eq!(t.slice(s![-2..])?.to_vec::<i64>()?, [8, 9]);
/// assert_eq!(t.slice(s![NewAxis, 3])?.dims(), [1]);
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
#[macro_export]
macro_rules! s {
    (@acc [$($out:tt)*]) => { [$($out)*] };
    (@acc [$($out:tt)*] NewAxis , $($rest:tt)*) => {
        $crate::s!(@acc [$($out)* $crate::SliceArg::NewAxis,] $($rest)*)
    };
    (@acc [$($out:tt)*] NewAxis) => {
        $crate::s!(@acc [$($out)* $crate::SliceArg::NewAxis,])
    };
    (@acc [$($out:tt)*] $r:expr ; $step:expr , $($rest:tt)*) => {
        $crate::s!(@acc [$($out)* $crate::SliceArg::with_step($r, $step),] $($rest)*)
    };
    (@acc [$($out:tt)*] $r:expr ; $step:expr) => {
        $crate::s!(@acc [$($out)* $crate::SliceArg::with_step($r, $step),])
    };
    (@acc [$($out:tt)*] $r:expr , $($rest:tt)*) => {
        $crate::s!(@acc [$($out)* $crate::SliceArg::from($r),] $($rest)*)
    };
    (@acc [$($out:tt)*] $r:expr) => {
        $crate::s!(@acc [$($out)* $crate::SliceArg::from($r),])
    };
    ($($t:tt)*) => { $crate::s!(@acc [] $($t)*) };
}
