//! Selecting entries: [`SparseTensor::slice`] and [`SparseTensor::retain`].

use tensorbridge_core::{DType, Error, Result, Tensor};

use crate::SparseTensor;
use crate::host::{host_slice, tensor_on};

impl SparseTensor {
    /// The entries inside the box `start .. start + size`, as a sparse
    /// tensor of that box (`tf.sparse.slice`): indices are shifted by
    /// `start`, the dense shape is `size` clipped to the end of each dim,
    /// and the entries keep their order.
    ///
    /// **Errors**: [`Error::InvalidArgument`] when `start` or `size` does
    /// not have one entry per dim, or a start lies beyond its dim.
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    /// use tensorbridge_core::Tensor;
    ///
    /// // tf.sparse.slice's documentation example: a [4, 6] tensor.
    /// let st = SparseTensor::new(
    ///     Tensor::from([[0i64, 0], [0, 2], [0, 4], [0, 5], [1, 1], [2, 3], [2, 4], [3, 2]]),
    ///     Tensor::from([0, 2, 4, 5, 11, 13, 14, 32]), [4, 6])?;
    /// let s = st.slice(&[0, 0], &[2, 4])?;
    /// assert_eq!(s.dense_shape().dims(), [2, 4]);
    /// assert_eq!(s.indices().to_vec::<i64>()?, [0, 0, 0, 2, 1, 1]);
    /// assert_eq!(s.values().to_vec::<i32>()?, [0, 2, 11]);
    /// let s = st.slice(&[0, 4], &[2, 3])?;   // clipped at the last column
    /// assert_eq!(s.dense_shape().dims(), [2, 2]);
    /// assert_eq!(s.values().to_vec::<i32>()?, [4, 5]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn slice(&self, start: &[usize], size: &[usize]) -> Result<SparseTensor> {
        const OP: &str = "SparseTensor::slice";
        let k = self.rank();
        let dims = self.dense_shape().dims();
        if start.len() != k || size.len() != k {
            return Err(Error::InvalidArgument {
                op: OP,
                what: format!(
                    "start {start:?} and size {size:?} must have one entry per dim of \
                     dense_shape {} (rank {k})",
                    self.dense_shape()
                ),
            });
        }
        if let Some(d) = (0..k).find(|&d| start[d] > dims[d]) {
            return Err(Error::InvalidArgument {
                op: OP,
                what: format!(
                    "start[{d}] = {} lies beyond dim {d} of dense_shape {} (size {})",
                    start[d],
                    self.dense_shape(),
                    dims[d]
                ),
            });
        }
        let out_dims: Vec<usize> = (0..k).map(|d| size[d].min(dims[d] - start[d])).collect();
        let idx = host_slice::<i64>(self.indices())?;
        let n = self.nnz();
        let mut kept = Vec::new();
        let mut indices = Vec::new();
        for e in 0..n {
            let row = &idx[e * k..(e + 1) * k];
            let inside = (0..k).all(|d| {
                let (i, s) = (row[d] as usize, start[d]);
                i >= s && i - s < out_dims[d]
            });
            if inside {
                kept.push(e as i64);
                indices.extend((0..k).map(|d| row[d] - start[d] as i64));
            }
        }
        self.with_rows(kept, indices, out_dims)
    }

    /// The entries where `mask` is true, in their order (`tf.sparse.retain`).
    ///
    /// **Errors**: [`Error::InvalidArgument`] when `mask` is not bool of
    /// shape `[nnz]`.
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    /// use tensorbridge_core::Tensor;
    ///
    /// let st = SparseTensor::new(Tensor::from([[0i64], [2], [3]]), Tensor::from([1, 2, 3]), [4])?;
    /// let r = st.retain(&Tensor::from([true, false, true]))?;
    /// assert_eq!(r.to_dense()?.to_vec::<i32>()?, [1, 0, 0, 3]);
    /// assert!(st.retain(&Tensor::from([true, false])).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn retain(&self, mask: &Tensor) -> Result<SparseTensor> {
        const OP: &str = "SparseTensor::retain";
        if mask.dtype() != DType::Bool || mask.dims() != [self.nnz()] {
            return Err(Error::InvalidArgument {
                op: OP,
                what: format!(
                    "mask must be bool of shape [{}] (one flag per entry), got {} of shape {}",
                    self.nnz(),
                    mask.dtype(),
                    mask.shape()
                ),
            });
        }
        let flags = host_slice::<bool>(mask)?;
        let idx = host_slice::<i64>(self.indices())?;
        let k = self.rank();
        let mut kept = Vec::new();
        let mut indices = Vec::new();
        for (e, _) in flags.iter().enumerate().filter(|&(_, &f)| f) {
            kept.push(e as i64);
            indices.extend_from_slice(&idx[e * k..(e + 1) * k]);
        }
        self.with_rows(kept, indices, self.dense_shape().dims().to_vec())
    }

    /// The entries `kept` with new `indices` and dense shape `dims`.
    fn with_rows(
        &self,
        kept: Vec<i64>,
        indices: Vec<i64>,
        dims: Vec<usize>,
    ) -> Result<SparseTensor> {
        let n = kept.len();
        let device = self.device();
        let values = if n == self.nnz() {
            self.values().clone()
        } else {
            self.values()
                .index_select(0, &tensor_on(kept, [n], device)?)?
        };
        Ok(SparseTensor::from_parts(
            tensor_on(indices, [n, dims.len()], device)?,
            values,
            dims.into(),
        ))
    }
}
