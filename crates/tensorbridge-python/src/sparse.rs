//! `tb.sparse.SparseTensor`.

use pyo3::prelude::*;
use tensorbridge_sparse::SparseTensor;

use crate::errors::IntoPy;
use crate::interop::tensor_of;
use crate::tensor::PyTensor;

/// `tf.sparse.SparseTensor(indices, values, dense_shape)`.
#[pyclass(name = "SparseTensor", module = "tensorbridge.sparse", frozen)]
pub(crate) struct PySparseTensor(SparseTensor);

#[pymethods]
impl PySparseTensor {
    #[new]
    fn new(
        indices: &Bound<'_, PyAny>,
        values: &Bound<'_, PyAny>,
        dense_shape: Vec<usize>,
    ) -> PyResult<Self> {
        let indices = tensor_of(indices, Some("int64"))?;
        let values = tensor_of(values, None)?;
        Ok(PySparseTensor(
            SparseTensor::new(indices, values, dense_shape).py()?,
        ))
    }

    /// `tf.sparse.to_dense(st)`.
    fn to_dense(&self) -> PyResult<PyTensor> {
        Ok(PyTensor(self.0.to_dense().py()?))
    }

    /// The indices, [nnz, rank] int64.
    #[getter]
    fn indices(&self) -> PyTensor {
        PyTensor(self.0.indices().clone())
    }

    /// The values, [nnz].
    #[getter]
    fn values(&self) -> PyTensor {
        PyTensor(self.0.values().clone())
    }

    /// The dense shape.
    #[getter]
    fn dense_shape(&self) -> Vec<usize> {
        self.0.dense_shape().dims().to_vec()
    }

    fn __repr__(&self) -> String {
        format!(
            "SparseTensor(indices={}, values={}, dense_shape={:?})",
            self.0.indices(),
            self.0.values(),
            self.0.dense_shape().dims()
        )
    }
}
