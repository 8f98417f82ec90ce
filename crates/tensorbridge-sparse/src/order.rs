//! Canonical (row-major) order: [`SparseTensor::reorder`],
//! [`SparseTensor::is_canonical`], and the sort the other ops share.
//!
//! Rows of `indices` are compared lexicographically, entry by entry; no
//! flattened offset is ever formed, so order works for dense shapes whose
//! element count overflows any integer type.

use std::cmp::Ordering;

use tensorbridge_core::{Error, Result};

use crate::SparseTensor;
use crate::host::{host_slice, row_text};

/// Sorts with rayon at and above this many entries.
#[cfg(feature = "parallel")]
const PARALLEL_SORT: usize = 1 << 15;

/// Lexicographic comparison of rows `a` and `b` of `k` entries each.
#[inline]
pub(crate) fn cmp_rows(idx: &[i64], k: usize, a: usize, b: usize) -> Ordering {
    idx[a * k..(a + 1) * k].cmp(&idx[b * k..(b + 1) * k])
}

/// Whether the rows are sorted (non-decreasing; `strict`: increasing).
pub(crate) fn rows_sorted(idx: &[i64], n: usize, k: usize, strict: bool) -> bool {
    if k == 0 {
        return n <= 1 || !strict;
    }
    let ok = |r: usize| match cmp_rows(idx, k, r - 1, r) {
        Ordering::Less => true,
        Ordering::Equal => !strict,
        Ordering::Greater => false,
    };
    #[cfg(feature = "parallel")]
    if n >= 1 << 16 {
        use rayon::prelude::*;
        return (1..n).into_par_iter().all(ok);
    }
    (1..n).all(ok)
}

/// The stable permutation that sorts the rows lexicographically, or `None`
/// when they already are sorted.
pub(crate) fn sort_order(idx: &[i64], n: usize, k: usize) -> Option<Vec<usize>> {
    if rows_sorted(idx, n, k, false) {
        return None;
    }
    // Fixed-width keys for the common ranks; rows of any rank otherwise.
    Some(match k {
        1 => sort_by_rows(n, |a, b| idx[a].cmp(&idx[b])),
        2 => sort_by_rows(n, |a, b| {
            (idx[2 * a], idx[2 * a + 1]).cmp(&(idx[2 * b], idx[2 * b + 1]))
        }),
        _ => sort_by_rows(n, |a, b| cmp_rows(idx, k, a, b)),
    })
}

/// The stable permutation of `0..n` sorted by `cmp`.
pub(crate) fn sort_by_rows(n: usize, cmp: impl Fn(usize, usize) -> Ordering + Sync) -> Vec<usize> {
    let mut perm: Vec<usize> = (0..n).collect();
    #[cfg(feature = "parallel")]
    if n >= PARALLEL_SORT {
        use rayon::prelude::*;
        perm.par_sort_by(|&a, &b| cmp(a, b));
        return perm;
    }
    perm.sort_by(|&a, &b| cmp(a, b));
    perm
}

/// The first row (in row order) that repeats an earlier row, with that
/// earlier row: `(repeat, first)`.
pub(crate) fn first_repeat(idx: &[i64], n: usize, k: usize) -> Option<(usize, usize)> {
    if n < 2 {
        return None;
    }
    if k == 0 {
        return Some((1, 0));
    }
    let sorted = rows_sorted(idx, n, k, false);
    let perm = if sorted {
        None
    } else {
        Some(sort_by_rows(n, |a, b| cmp_rows(idx, k, a, b)))
    };
    let at = |i: usize| perm.as_ref().map_or(i, |p| p[i]);
    let mut best: Option<(usize, usize)> = None;
    let mut i = 1;
    while i < n {
        if cmp_rows(idx, k, at(i - 1), at(i)) == Ordering::Equal {
            // The run's first element is its earliest row (stable sort), the
            // second its earliest repeat.
            let (first, repeat) = (at(i - 1), at(i));
            if best.is_none_or(|(r, _)| repeat < r) {
                best = Some((repeat, first));
            }
            if perm.is_none() {
                return best;
            }
            while i < n && cmp_rows(idx, k, at(i - 1), at(i)) == Ordering::Equal {
                i += 1;
            }
        }
        i += 1;
    }
    best
}

/// The error for a repeated position, in TensorFlow's `validate_indices`
/// wording.
pub(crate) fn repeat_error(
    op: &'static str,
    idx: &[i64],
    k: usize,
    (repeat, first): (usize, usize),
) -> Error {
    Error::InvalidArgument {
        op,
        what: format!(
            "indices[{repeat}] = {} repeats indices[{first}]; a sparse tensor may name each \
             position once here (sum repeats first, e.g. with .add() of an empty sparse tensor)",
            row_text(&idx[repeat * k..(repeat + 1) * k])
        ),
    }
}

impl SparseTensor {
    /// The same sparse tensor with its entries in canonical row-major order
    /// (`tf.sparse.reorder`): rows of `indices` sorted lexicographically,
    /// stably, so entries that repeat a position keep their relative order.
    /// Returns a clone of `self` (no copy) when already sorted.
    ///
    /// Rows are compared entry by entry, never through flattened offsets,
    /// so this works for any dense shape, even one whose element count
    /// overflows. O(nnz log nnz) on all cores for large `nnz`; the parts
    /// are gathered with core's `index_select`.
    ///
    /// **Errors**: [`Error::OutOfMemory`] only.
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    /// use tensorbridge_core::Tensor;
    ///
    /// let st = SparseTensor::new(Tensor::from([[1i64, 0], [0, 3], [0, 1]]),
    ///                            Tensor::from([1, 2, 3]), [2, 4])?;
    /// assert!(!st.is_canonical());
    /// let r = st.reorder()?;
    /// assert!(r.is_canonical());
    /// assert_eq!(r.indices().to_vec::<i64>()?, [0, 1, 0, 3, 1, 0]);
    /// assert_eq!(r.values().to_vec::<i32>()?, [3, 2, 1]);
    /// // Far larger than any memory: still fine, nothing dense is formed.
    /// let huge = SparseTensor::new(Tensor::from([[1i64 << 40, 0], [0, 1 << 40]]),
    ///                              Tensor::from([1.0f32, 2.0]), [1 << 41, 1 << 41])?;
    /// assert_eq!(huge.reorder()?.values().to_vec::<f32>()?, [2.0, 1.0]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn reorder(&self) -> Result<SparseTensor> {
        let (n, k) = (self.nnz(), self.rank());
        let idx = host_slice::<i64>(self.indices())?;
        let Some(perm) = sort_order(&idx, n, k) else {
            return Ok(self.clone());
        };
        self.take_rows(&perm)
    }

    /// The entries `rows` (in that order) as a sparse tensor of the same
    /// dense shape; the parts are gathered with core's `index_select`.
    pub(crate) fn take_rows(&self, rows: &[usize]) -> Result<SparseTensor> {
        let rows: Vec<i64> = rows.iter().map(|&r| r as i64).collect();
        let rows = crate::host::tensor_on(rows.clone(), [rows.len()], self.device())?;
        let indices = self.indices().index_select(0, &rows)?;
        let values = self.values().index_select(0, &rows)?;
        Ok(SparseTensor::from_parts(
            indices,
            values,
            self.dense_shape().clone(),
        ))
    }

    /// Whether the entries are in canonical order: rows of `indices`
    /// strictly increasing lexicographically (sorted, and no position
    /// named twice), as [`SparseTensor::reorder`] leaves a tensor without
    /// repeats and as CSR storage needs.
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    /// use tensorbridge_core::Tensor;
    ///
    /// let sorted = SparseTensor::new(Tensor::from([[0i64], [2]]), Tensor::from([1, 2]), [3])?;
    /// assert!(sorted.is_canonical());
    /// let repeated = SparseTensor::new(Tensor::from([[2i64], [2]]), Tensor::from([1, 2]), [3])?;
    /// assert!(!repeated.is_canonical());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn is_canonical(&self) -> bool {
        let (n, k) = (self.nnz(), self.rank());
        match host_slice::<i64>(self.indices()) {
            Ok(idx) => rows_sorted(&idx, n, k, true),
            // Reading the indices failed (a device copy): not known to be sorted.
            Err(_) => false,
        }
    }
}
