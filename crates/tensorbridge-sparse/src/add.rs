//! Sums: [`SparseTensor::add`] (sparse + sparse) and
//! [`SparseTensor::add_dense`] (sparse + dense).

use std::cmp::Ordering;

use tensorbridge_core::{Error, Result, Tensor};

use crate::SparseTensor;
use crate::dense::rename;
use crate::host::{host_slice, tensor_on};
use crate::num::{Num, bool_error, with_num};
use crate::order::sort_order;

impl SparseTensor {
    /// The sum of two sparse tensors of one dense shape and dtype
    /// (`tf.sparse.add`): the union of their positions in canonical order,
    /// the values at a position named by both (or named several times)
    /// summed. Sums that come out zero are kept as entries.
    ///
    /// Integers wrap; f16/bf16 sum in f32 and round once per position.
    /// Sorted inputs are merged in one pass; unsorted ones are sorted first.
    ///
    /// **Errors**: [`Error::ShapeMismatch`] for different dense shapes;
    /// [`Error::DTypeMismatch`] for different dtypes;
    /// [`Error::InvalidArgument`] for bool values.
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    /// use tensorbridge_core::Tensor;
    ///
    /// let a = SparseTensor::new(Tensor::from([[0i64, 0], [1, 1]]), Tensor::from([1, 2]), [2, 2])?;
    /// let b = SparseTensor::new(Tensor::from([[1i64, 1], [0, 1]]), Tensor::from([10, 20]), [2, 2])?;
    /// let c = a.add(&b)?;
    /// assert_eq!(c.indices().to_vec::<i64>()?, [0, 0, 0, 1, 1, 1]);
    /// assert_eq!(c.values().to_vec::<i32>()?, [1, 20, 12]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn add(&self, other: &SparseTensor) -> Result<SparseTensor> {
        const OP: &str = "SparseTensor::add";
        if self.dense_shape() != other.dense_shape() {
            return Err(Error::ShapeMismatch {
                op: OP,
                lhs: self.dense_shape().dims().to_vec(),
                rhs: other.dense_shape().dims().to_vec(),
                msg: format!(
                    "the dense shapes differ: {} and {}; sparse tensors add only with the same \
                     dense_shape",
                    self.dense_shape(),
                    other.dense_shape()
                ),
            });
        }
        if self.dtype() != other.dtype() {
            return Err(Error::DTypeMismatch {
                op: OP,
                expected: self.dtype(),
                found: other.dtype(),
            });
        }
        let k = self.rank();
        let device = self.device();
        with_num!(self.dtype(), T => {
            let (indices, values) = merge::<T>(self, other, k)?;
            let n = values.len();
            Ok(SparseTensor::from_parts(
                tensor_on(indices, [n, k], device)?,
                tensor_on(values, [n], device)?,
                self.dense_shape().clone(),
            ))
        }, bool => Err(bool_error(OP, "self")))
    }

    /// The dense tensor `self.to_dense() + dense`, computed without forming
    /// the sparse tensor's dense form (`tf.sparse.add(sparse, dense)`): a
    /// copy of `dense` with every entry added at its position (entries that
    /// repeat a position all add). The result is on `dense`'s device.
    ///
    /// **Errors**: [`Error::ShapeMismatch`] when `dense`'s shape is not the
    /// dense shape; [`Error::DTypeMismatch`] for different dtypes;
    /// [`Error::InvalidArgument`] for bool values.
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    /// use tensorbridge_core::Tensor;
    ///
    /// let st = SparseTensor::new(Tensor::from([[0i64, 1], [1, 0]]), Tensor::from([1.5f32, 2.0]), [2, 2])?;
    /// let sum = st.add_dense(&Tensor::from([[1.0f32, 1.0], [1.0, 1.0]]))?;
    /// assert_eq!(sum.to_vec::<f32>()?, [1.0, 2.5, 3.0, 1.0]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn add_dense(&self, dense: &Tensor) -> Result<Tensor> {
        const OP: &str = "SparseTensor::add_dense";
        if dense.dims() != self.dense_shape().dims() {
            return Err(Error::ShapeMismatch {
                op: OP,
                lhs: self.dense_shape().dims().to_vec(),
                rhs: dense.dims().to_vec(),
                msg: format!(
                    "dense has shape {} but the sparse tensor's dense_shape is {}",
                    dense.shape(),
                    self.dense_shape()
                ),
            });
        }
        if self.dtype() != dense.dtype() {
            return Err(Error::DTypeMismatch {
                op: OP,
                expected: self.dtype(),
                found: dense.dtype(),
            });
        }
        let k = self.rank();
        let dims = self.dense_shape().dims();
        with_num!(self.dtype(), T => {
            let mut out = dense.to_vec::<T>().map_err(|e| rename(OP, e))?;
            let idx = host_slice::<i64>(self.indices())?;
            let vals = host_slice::<T>(self.values())?;
            for (e, &v) in vals.iter().enumerate() {
                let row = &idx[e * k..(e + 1) * k];
                // `dense` exists, so its element count fits and so do offsets.
                let off = row.iter().zip(dims).fold(0usize, |o, (&i, &d)| o * d + i as usize);
                out[off] = T::from_acc(T::acc_add(out[off].to_acc(), v.to_acc()));
            }
            tensor_on(out, dims, dense.device())
        }, bool => Err(bool_error(OP, "self")))
    }
}

/// The merged, summed entries of `a` and `b` in canonical order.
fn merge<T: Num>(a: &SparseTensor, b: &SparseTensor, k: usize) -> Result<(Vec<i64>, Vec<T>)> {
    let (ia, va) = (
        host_slice::<i64>(a.indices())?,
        host_slice::<T>(a.values())?,
    );
    let (ib, vb) = (
        host_slice::<i64>(b.indices())?,
        host_slice::<T>(b.values())?,
    );
    let (na, nb) = (a.nnz(), b.nnz());
    let pa = sort_order(&ia, na, k);
    let pb = sort_order(&ib, nb, k);
    let at_a = |i: usize| pa.as_ref().map_or(i, |p| p[i]);
    let at_b = |i: usize| pb.as_ref().map_or(i, |p| p[i]);
    // The entries of both in sorted order, as (from_b, entry).
    let mut indices: Vec<i64> = Vec::with_capacity((na + nb) * k);
    let mut values: Vec<T> = Vec::with_capacity(na + nb);
    let (mut i, mut j) = (0, 0);
    let row_of = |from_b: bool, e: usize| -> &[i64] {
        if from_b {
            &ib[e * k..(e + 1) * k]
        } else {
            &ia[e * k..(e + 1) * k]
        }
    };
    let mut acc: Option<(bool, usize, T::Acc)> = None;
    let flush =
        |acc: &mut Option<(bool, usize, T::Acc)>, indices: &mut Vec<i64>, values: &mut Vec<T>| {
            if let Some((from_b, e, s)) = acc.take() {
                indices.extend_from_slice(row_of(from_b, e));
                values.push(T::from_acc(s));
            }
        };
    while i < na || j < nb {
        let take_b = if i == na {
            true
        } else if j == nb {
            false
        } else {
            let (ea, eb) = (at_a(i), at_b(j));
            ia[ea * k..(ea + 1) * k].cmp(&ib[eb * k..(eb + 1) * k]) == Ordering::Greater
        };
        let (e, v) = if take_b {
            j += 1;
            (at_b(j - 1), vb[at_b(j - 1)])
        } else {
            i += 1;
            (at_a(i - 1), va[at_a(i - 1)])
        };
        let same = match &acc {
            Some((fb, ae, _)) => row_of(*fb, *ae) == row_of(take_b, e),
            None => false,
        };
        if same {
            if let Some((_, _, s)) = acc.as_mut() {
                *s = T::acc_add(*s, v.to_acc());
            }
        } else {
            flush(&mut acc, &mut indices, &mut values);
            acc = Some((take_b, e, v.to_acc()));
        }
    }
    flush(&mut acc, &mut indices, &mut values);
    Ok((indices, values))
}
