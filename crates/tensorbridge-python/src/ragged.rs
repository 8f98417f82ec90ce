//! `tb.ragged`: ragged tensors.

use pyo3::prelude::*;
use pyo3::types::PyList;
use tensorbridge_core::Tensor;
use tensorbridge_ragged::RaggedTensor;

use crate::errors::IntoPy;
use crate::interop::tensor_of;
use crate::tensor::PyTensor;

/// `tf.RaggedTensor`.
#[pyclass(name = "RaggedTensor", module = "tensorbridge.ragged", frozen)]
pub(crate) struct PyRaggedTensor(RaggedTensor);

#[pymethods]
impl PyRaggedTensor {
    /// `rt.to_tensor(default_value)`: padded to the bounding shape.
    #[pyo3(signature = (default_value=None))]
    fn to_tensor(&self, default_value: Option<&Bound<'_, PyAny>>) -> PyResult<PyTensor> {
        let dtype = self.0.dtype().name();
        let fill = match default_value {
            Some(v) => tensor_of(v, Some(dtype))?,
            None => Tensor::zeros([], self.0.dtype()).py()?,
        };
        Ok(PyTensor(self.0.to_tensor(&fill).py()?))
    }

    /// The flat values.
    #[getter]
    fn flat_values(&self) -> PyTensor {
        PyTensor(self.0.flat_values().clone())
    }

    /// The row splits of the outermost ragged dim.
    #[getter]
    fn row_splits(&self) -> PyTensor {
        PyTensor(self.0.row_splits().clone())
    }

    /// The shape, `None` for ragged dims.
    #[getter]
    fn shape(&self) -> Vec<Option<usize>> {
        self.0.shape()
    }

    /// The dtype name.
    #[getter]
    fn dtype(&self) -> &'static str {
        self.0.dtype().name()
    }

    /// The rows as nested lists of Python values.
    fn to_list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let padded = self
            .0
            .to_tensor(&Tensor::zeros([], self.0.dtype()).py()?)
            .py()?;
        let lengths = self
            .0
            .row_lengths()
            .py()?
            .cast(tensorbridge_core::DType::I64)
            .py()?;
        let padded = Py::new(py, PyTensor(padded))?.into_bound(py);
        let rows = padded.call_method0("numpy")?.call_method0("tolist")?;
        let lengths: Vec<i64> = lengths.to_vec::<i64>().py()?;
        let out = PyList::empty(py);
        for (row, n) in rows.try_iter()?.zip(lengths) {
            out.append(row?.get_item(pyo3::types::PySlice::new(py, 0, n as isize, 1))?)?;
        }
        Ok(out.into_any())
    }
}

/// A ragged tensor from flat values and the row lengths of each ragged dim
/// (outermost first); `tb.ragged.constant` computes them from nested lists.
#[pyfunction]
pub(crate) fn ragged_from_nested_row_lengths(
    values: &Bound<'_, PyAny>,
    nested_row_lengths: Vec<Bound<'_, PyAny>>,
) -> PyResult<PyRaggedTensor> {
    let values = tensor_of(values, None)?;
    let lengths = nested_row_lengths
        .iter()
        .map(|l| tensor_of(l, Some("int64")))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(PyRaggedTensor(
        RaggedTensor::from_nested_row_lengths(values, lengths).py()?,
    ))
}
