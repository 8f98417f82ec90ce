//! [`SparseTensor::reshape`]: a new dense shape with the same elements.

use tensorbridge_core::{Error, Result};

use crate::SparseTensor;
use crate::host::{host_slice, tensor_on};

impl SparseTensor {
    /// The same elements in a dense shape of the same element count
    /// (`tf.sparse.reshape`), in row-major order; one dim of `new_shape` may
    /// be `-1`, inferred from the others. Entries keep their order, so a
    /// canonical tensor stays canonical.
    ///
    /// Positions are mapped through their row-major offset in 128-bit
    /// arithmetic, so shapes whose element count overflows `usize` work
    /// too; a count beyond `u128` is an error.
    ///
    /// **Errors**: [`Error::InvalidArgument`] for a dim below -1, more than
    /// one -1, a -1 that cannot be inferred, or an element count beyond
    /// `u128`; [`Error::ShapeMismatch`] when the element counts differ.
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    /// use tensorbridge_core::Tensor;
    ///
    /// let st = SparseTensor::new(Tensor::from([[0i64, 1], [1, 2]]), Tensor::from([1, 2]), [2, 3])?;
    /// let r = st.reshape(&[3, -1])?;
    /// assert_eq!(r.dense_shape().dims(), [3, 2]);
    /// assert_eq!(r.indices().to_vec::<i64>()?, [0, 1, 2, 1]);
    /// assert!(st.reshape(&[4, 2]).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn reshape(&self, new_shape: &[i64]) -> Result<SparseTensor> {
        const OP: &str = "SparseTensor::reshape";
        let invalid = |what: String| Error::InvalidArgument { op: OP, what };
        let old = self.dense_shape().dims();
        let count = old
            .iter()
            .try_fold(1u128, |a, &d| a.checked_mul(d as u128))
            .ok_or_else(|| {
                invalid(format!(
                    "the element count of dense_shape {} overflows u128",
                    self.dense_shape()
                ))
            })?;
        if let Some((d, &v)) = new_shape.iter().enumerate().find(|&(_, &v)| v < -1) {
            return Err(invalid(format!(
                "new_shape[{d}] = {v}; dims must be >= 0, or -1 for one inferred dim"
            )));
        }
        let unknown: Vec<usize> = (0..new_shape.len())
            .filter(|&d| new_shape[d] == -1)
            .collect();
        if unknown.len() > 1 {
            return Err(invalid(format!(
                "new_shape {new_shape:?} has -1 at {unknown:?}; at most one dim can be inferred"
            )));
        }
        let known = new_shape
            .iter()
            .filter(|&&v| v >= 0)
            .try_fold(1u128, |a, &d| a.checked_mul(d as u128))
            .ok_or_else(|| {
                invalid(format!(
                    "the element count of new_shape {new_shape:?} overflows u128"
                ))
            })?;
        let mut dims: Vec<u128> = new_shape.iter().map(|&v| v.max(0) as u128).collect();
        let mismatch = || Error::ShapeMismatch {
            op: OP,
            lhs: old.to_vec(),
            rhs: new_shape.iter().map(|&v| v.max(0) as usize).collect(),
            msg: format!(
                "cannot reshape dense_shape {} ({count} elements) into {new_shape:?}",
                self.dense_shape()
            ),
        };
        if let Some(&u) = unknown.first() {
            if known == 0 || count % known != 0 {
                return Err(if known == 0 {
                    invalid(format!(
                        "new_shape {new_shape:?} has a zero dim, so its -1 cannot be inferred"
                    ))
                } else {
                    mismatch()
                });
            }
            dims[u] = count / known;
        } else if known != count {
            return Err(mismatch());
        }
        if let Some(d) = dims.iter().position(|&d| d > i64::MAX as u128) {
            return Err(invalid(format!(
                "new_shape[{d}] = {} exceeds the largest int64",
                dims[d]
            )));
        }
        let old_k = old.len();
        let new_k = dims.len();
        let n = self.nnz();
        let idx = host_slice::<i64>(self.indices())?;
        let mut out = vec![0i64; n * new_k];
        for e in 0..n {
            let row = &idx[e * old_k..(e + 1) * old_k];
            let mut off = row
                .iter()
                .zip(old)
                .fold(0u128, |o, (&i, &d)| o * d as u128 + i as u128);
            for d in (0..new_k).rev() {
                // Every dim is non-zero here: a zero count admits no entries.
                out[e * new_k + d] = (off % dims[d]) as i64;
                off /= dims[d];
            }
        }
        let dims: Vec<usize> = dims.into_iter().map(|d| d as usize).collect();
        Ok(SparseTensor::from_parts(
            tensor_on(out, [n, new_k], self.device())?,
            self.values().clone(),
            dims.into(),
        ))
    }
}
