//! [`SparseTensor::transpose`]: permuting the dims of a sparse tensor.

use tensorbridge_core::{Error, Result};

use crate::SparseTensor;
use crate::host::{host_slice, tensor_on};
use crate::order::sort_order;

impl SparseTensor {
    /// The sparse tensor with its dims permuted (`tf.sparse.transpose`):
    /// dim `d` of the result is dim `perm[d]` of `self`, and the result is
    /// in canonical order (the entries are sorted again, stably).
    ///
    /// **Errors**: [`Error::InvalidArgument`] when `perm` is not a
    /// permutation of `0..rank`.
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    /// use tensorbridge_core::Tensor;
    ///
    /// // [[0, 1, 0], [2, 0, 3]]
    /// let st = SparseTensor::new(Tensor::from([[0i64, 1], [1, 0], [1, 2]]), Tensor::from([1, 2, 3]), [2, 3])?;
    /// let t = st.transpose(&[1, 0])?;
    /// assert_eq!(t.dense_shape().dims(), [3, 2]);
    /// assert_eq!(t.indices().to_vec::<i64>()?, [0, 1, 1, 0, 2, 1]);
    /// assert_eq!(t.values().to_vec::<i32>()?, [2, 1, 3]);
    /// assert!(st.transpose(&[0, 0]).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn transpose(&self, perm: &[usize]) -> Result<SparseTensor> {
        const OP: &str = "SparseTensor::transpose";
        let k = self.rank();
        let mut seen = vec![false; k];
        let valid = perm.len() == k
            && perm
                .iter()
                .all(|&p| p < k && !std::mem::replace(&mut seen[p], true));
        if !valid {
            return Err(Error::InvalidArgument {
                op: OP,
                what: format!(
                    "perm {perm:?} is not a permutation of the {k} dims of dense_shape {}",
                    self.dense_shape()
                ),
            });
        }
        let n = self.nnz();
        let idx = host_slice::<i64>(self.indices())?;
        let mut permuted = Vec::with_capacity(n * k);
        if k > 0 {
            for row in idx.chunks_exact(k) {
                permuted.extend(perm.iter().map(|&p| row[p]));
            }
        }
        let dims: Vec<usize> = perm.iter().map(|&p| self.dense_shape().dims()[p]).collect();
        let order = sort_order(&permuted, n, k);
        let (indices, values) = match order {
            None => (permuted, self.values().clone()),
            Some(o) => {
                let mut sorted = Vec::with_capacity(n * k);
                for &e in &o {
                    sorted.extend_from_slice(&permuted[e * k..(e + 1) * k]);
                }
                let rows: Vec<i64> = o.iter().map(|&e| e as i64).collect();
                let rows = tensor_on(rows, [n], self.device())?;
                (sorted, self.values().index_select(0, &rows)?)
            }
        };
        Ok(SparseTensor::from_parts(
            tensor_on(indices, [n, k], self.device())?,
            values,
            dims.into(),
        ))
    }
}
