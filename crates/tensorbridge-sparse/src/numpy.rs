//! [`SparseTensor::numpy`]: the three parts as arrays, like TensorFlow's
//! `SparseTensorValue`, with no densification.

use tensorbridge_core::{Arrays, Batch, DynArray, Result, ToNumpy, ndarray};

use crate::SparseTensor;

impl SparseTensor {
    /// `(indices, values, dense_shape)` as owned arrays: int64 `[nnz,
    /// rank]`, the values' dtype `[nnz]`, and int64 `[rank]` (what
    /// `sp.numpy()` gives in TensorFlow, a `SparseTensorValue`). Nothing
    /// dense is formed; the dense array is one explicit
    /// [`to_dense`](SparseTensor::to_dense) away.
    ///
    /// **Errors**: as core's `Tensor::numpy` (a copy from a device).
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    /// use tensorbridge_core::{DType, Tensor};
    ///
    /// let st = SparseTensor::new(Tensor::from([[0i64, 0], [1, 2]]), Tensor::from([1.0f32, 2.0]), [3, 3])?;
    /// let (indices, values, dense_shape) = st.numpy()?;
    /// assert_eq!(indices.shape(), [2, 2]);
    /// assert_eq!(values.dtype(), DType::F32);
    /// assert_eq!(dense_shape.into_typed::<i64>()?.as_slice(), Some(&[3i64, 3][..]));
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn numpy(&self) -> Result<(DynArray, DynArray, DynArray)> {
        // One conversion: device indices and values download together.
        let (indices, values) = (self.indices(), self.values()).numpy()?;
        Ok((indices, values, self.dense_shape_array()))
    }

    /// The dense shape as an int64 array.
    fn dense_shape_array(&self) -> DynArray {
        let shape: Vec<i64> = self
            .dense_shape()
            .dims()
            .iter()
            .map(|&d| d as i64)
            .collect();
        DynArray::from(ndarray::Array1::from(shape).into_dyn())
    }
}

/// Sparse tensors convert inside any structure of [`ToNumpy`] values (a
/// tuple of model outputs, a `Vec`, a map) as their three arrays.
///
/// ```
/// use tensorbridge_sparse::SparseTensor;
/// use tensorbridge_core::{Tensor, ToNumpy};
///
/// let st = SparseTensor::new(Tensor::from([[1i64]]), Tensor::from([4u8]), [2])?;
/// let (dense, (indices, values, shape)) = (Tensor::from([1.5f32]), st).numpy()?;
/// assert_eq!((dense.len(), indices.len(), values.len(), shape.len()), (1, 1, 1, 1));
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
impl ToNumpy for SparseTensor {
    type Output = (DynArray, DynArray, DynArray);

    fn numpy(&self) -> Result<Self::Output> {
        SparseTensor::numpy(self)
    }
    // Inside a structure, the parts join the structure's one batch of
    // device downloads.
    fn start(&self, batch: &mut Batch) -> Result<()> {
        self.indices().start(batch)?;
        self.values().start(batch)
    }
    fn assemble(&self, arrays: &mut Arrays) -> Result<Self::Output> {
        let indices = self.indices().assemble(arrays)?;
        let values = self.values().assemble(arrays)?;
        Ok((indices, values, self.dense_shape_array()))
    }
}
