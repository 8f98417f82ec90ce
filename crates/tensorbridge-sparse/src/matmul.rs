//! [`sparse_dense_matmul`]: a rank-2 sparse tensor times a dense matrix.

use tensorbridge_core::{Error, Result, Tensor};

use crate::SparseTensor;
use crate::host::{host_slice, tensor_on, zeroed};
use crate::num::{Num, bool_error, with_num};
use crate::sprs_interop::zeroed_usize;

/// Output rows per parallel task are chosen so a task writes about this
/// many elements.
#[cfg(feature = "parallel")]
const TASK_ELEMS: usize = 1 << 14;

/// `op(a) · op(b)` for a rank-2 sparse `a` and a dense matrix `b`, where
/// `op` is the adjoint (conjugate transpose) when its flag is set
/// (`tf.sparse.sparse_dense_matmul(a, b, adjoint_a, adjoint_b)`).
///
/// Entries of `a` may be in any order, and entries naming one position are
/// summed (TensorFlow's rule). Integers wrap; f16/bf16 accumulate in f32
/// and round once per output element. The product runs over the rows of
/// `op(a)` on all cores when large: each output row is the sum of the rows
/// of `op(b)` its entries pick, scaled, written once. Canonical `a` needs
/// no sort; otherwise (and for `adjoint_a`) the entries are grouped by row
/// with a counting sort. The result is a dense tensor of shape
/// `[rows of op(a), cols of op(b)]` on `b`'s device.
///
/// **Errors**: [`Error::InvalidArgument`] for a sparse tensor of rank
/// other than 2, a `b` of rank other than 2, or bool values;
/// [`Error::DTypeMismatch`] when the dtypes differ; [`Error::ShapeMismatch`]
/// when the inner dims of `op(a)` and `op(b)` differ;
/// [`Error::ShapeOverflow`]/[`Error::OutOfMemory`] for an output that
/// cannot exist.
///
/// ```
/// use tensorbridge_sparse::{SparseTensor, sparse_dense_matmul};
/// use tensorbridge_core::Tensor;
///
/// // a = [[1, 0, 2], [0, 3, 0]]
/// let a = SparseTensor::new(Tensor::from([[0i64, 0], [0, 2], [1, 1]]),
///                           Tensor::from([1.0f32, 2.0, 3.0]), [2, 3])?;
/// let b = Tensor::from([[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]]);
/// let c = sparse_dense_matmul(&a, &b, false, false)?;
/// assert_eq!(c.to_array::<f32>()?, ndarray::arr2(&[[11.0, 14.0], [9.0, 12.0]]).into_dyn());
/// // aᵀ · [[1], [1]]
/// let at = sparse_dense_matmul(&a, &Tensor::from([[1.0f32], [1.0]]), true, false)?;
/// assert_eq!(at.to_vec::<f32>()?, [1.0, 3.0, 2.0]);
/// assert!(sparse_dense_matmul(&a, &b, true, false).is_err()); // inner dims 2 and 3
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub fn sparse_dense_matmul(
    a: &SparseTensor,
    b: &Tensor,
    adjoint_a: bool,
    adjoint_b: bool,
) -> Result<Tensor> {
    const OP: &str = "sparse_dense_matmul";
    if a.rank() != 2 {
        return Err(Error::InvalidArgument {
            op: OP,
            what: format!(
                "a must be a rank-2 sparse tensor, got dense_shape {} (rank {})",
                a.dense_shape(),
                a.rank()
            ),
        });
    }
    if b.rank() != 2 {
        return Err(Error::InvalidArgument {
            op: OP,
            what: format!("b must be a matrix (rank 2), got shape {}", b.shape()),
        });
    }
    if a.dtype() != b.dtype() {
        return Err(Error::DTypeMismatch {
            op: OP,
            expected: a.dtype(),
            found: b.dtype(),
        });
    }
    let ad = a.dense_shape().dims();
    let (m, k) = if adjoint_a {
        (ad[1], ad[0])
    } else {
        (ad[0], ad[1])
    };
    let (k2, n) = if adjoint_b {
        (b.dims()[1], b.dims()[0])
    } else {
        (b.dims()[0], b.dims()[1])
    };
    if k != k2 {
        return Err(Error::ShapeMismatch {
            op: OP,
            lhs: vec![m, k],
            rhs: vec![k2, n],
            msg: format!(
                "inner dims differ: op(a) is [{m}, {k}] (a's dense_shape {}, adjoint_a = \
                 {adjoint_a}) and op(b) is [{k2}, {n}] (b's shape {}, adjoint_b = {adjoint_b})",
                a.dense_shape(),
                b.shape()
            ),
        });
    }
    let device = b.device();
    with_num!(a.dtype(), T => {
        let total = m.checked_mul(n).filter(|&t| t.checked_mul(size_of::<T>()).is_some_and(|b| b <= isize::MAX as usize))
            .ok_or_else(|| Error::ShapeOverflow {
                op: OP,
                dims: vec![m, n],
                dtype: a.dtype(),
                what: "the product's byte size exceeds isize::MAX",
            })?;
        let out = product::<T>(a, b, adjoint_a, adjoint_b, m, n, total)?;
        tensor_on(out, [m, n], device)
    }, bool => Err(bool_error(OP, "a")))
}

impl SparseTensor {
    /// `op(self) · b`: [`sparse_dense_matmul`] as a method.
    ///
    /// **Errors**: as [`sparse_dense_matmul`].
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    /// use tensorbridge_core::Tensor;
    ///
    /// let eye = SparseTensor::new(Tensor::from([[0i64, 0], [1, 1]]), Tensor::from([1, 1]), [2, 2])?;
    /// let b = Tensor::from([[1, 2], [3, 4]]);
    /// assert_eq!(eye.matmul(&b, false, true)?.to_vec::<i32>()?, [1, 3, 2, 4]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn matmul(&self, b: &Tensor, adjoint_a: bool, adjoint_b: bool) -> Result<Tensor> {
        sparse_dense_matmul(self, b, adjoint_a, adjoint_b)
    }
}

/// The product's elements in C order.
fn product<T: Num>(
    a: &SparseTensor,
    b: &Tensor,
    adjoint_a: bool,
    adjoint_b: bool,
    m: usize,
    n: usize,
    total: usize,
) -> Result<Vec<T>> {
    let mut out = zeroed::<T>(total)?;
    let nnz = a.nnz();
    if total == 0 || nnz == 0 {
        return Ok(out);
    }
    let idx = host_slice::<i64>(a.indices())?;
    let vals = host_slice::<T>(a.values())?;
    // op(b) as a C-order [k, n] buffer.
    let b_contiguous = if adjoint_b {
        b.clone()
    } else {
        b.contiguous()?
    };
    let b_host = if adjoint_b {
        let mut v = b.transpose(&[1, 0])?.to_vec::<T>()?;
        v.iter_mut().for_each(|x| *x = x.conj());
        std::borrow::Cow::Owned(v)
    } else {
        host_slice::<T>(&b_contiguous)?
    };
    let (row_col, col_col) = if adjoint_a { (1, 0) } else { (0, 1) };
    // Entries grouped by output row: `starts[r]..starts[r + 1]` index into
    // `order` (or directly into the entries when they are already grouped).
    let grouped = !adjoint_a && (1..nnz).all(|e| idx[2 * (e - 1)] <= idx[2 * e]);
    let (starts, order) = if grouped {
        let mut starts = zeroed_usize(m + 1)?;
        for e in 0..nnz {
            starts[idx[2 * e] as usize + 1] += 1;
        }
        prefix(&mut starts);
        (starts, None)
    } else {
        let mut starts = zeroed_usize(m + 1)?;
        for e in 0..nnz {
            starts[idx[2 * e + row_col] as usize + 1] += 1;
        }
        prefix(&mut starts);
        let mut next = starts.clone();
        let mut order = vec![0usize; nnz];
        for e in 0..nnz {
            let r = idx[2 * e + row_col] as usize;
            order[next[r]] = e;
            next[r] += 1;
        }
        (starts, Some(order))
    };
    let conj_a = adjoint_a;
    let entry = |i: usize| order.as_ref().map_or(i, |o| o[i]);
    let rows_into = |r0: usize, chunk: &mut [T]| {
        let mut acc: Vec<T::Acc> = vec![T::to_acc(T::default()); n];
        for (j, out_row) in chunk.chunks_exact_mut(n).enumerate() {
            let r = r0 + j;
            let (s, e) = (starts[r], starts[r + 1]);
            if s == e {
                continue;
            }
            acc.fill(T::to_acc(T::default()));
            for i in s..e {
                let ent = entry(i);
                let c = idx[2 * ent + col_col] as usize;
                let v = if conj_a { vals[ent].conj() } else { vals[ent] }.to_acc();
                let b_row = &b_host[c * n..(c + 1) * n];
                for (a, &x) in acc.iter_mut().zip(b_row) {
                    *a = T::acc_mul_add(*a, v, x.to_acc());
                }
            }
            for (o, &a) in out_row.iter_mut().zip(&acc) {
                *o = T::from_acc(a);
            }
        }
    };
    #[cfg(feature = "parallel")]
    if nnz.saturating_mul(n) >= 1 << 16 {
        use rayon::prelude::*;
        let rows_per_task = (TASK_ELEMS / n).max(1);
        out.par_chunks_mut(rows_per_task * n)
            .enumerate()
            .for_each(|(t, chunk)| rows_into(t * rows_per_task, chunk));
        return Ok(out);
    }
    rows_into(0, &mut out);
    Ok(out)
}

/// Turns counts at `[1..]` into starts (exclusive prefix sums).
pub(crate) fn prefix(starts: &mut [usize]) {
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
}
