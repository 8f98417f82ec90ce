//! Free functions over tensors: `tb.image.rgb_to_grayscale`, `tb.random.normal`.

use pyo3::prelude::*;

use crate::errors::IntoPy;
use crate::interop::tensor_of;
use crate::tensor::PyTensor;

/// `tf.image.rgb_to_grayscale`.
#[pyfunction]
pub(crate) fn rgb_to_grayscale(images: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
    let images = tensor_of(images, None)?;
    Ok(PyTensor(
        tensorbridge_core::image::rgb_to_grayscale(&images).py()?,
    ))
}

/// `tf.random.normal(shape, mean, stddev, dtype, seed)`.
#[pyfunction]
#[pyo3(signature = (shape, mean=0.0, stddev=1.0, dtype=None, seed=None))]
pub(crate) fn random_normal(
    shape: Vec<usize>,
    mean: f64,
    stddev: f64,
    dtype: Option<&Bound<'_, PyAny>>,
    seed: Option<u64>,
) -> PyResult<PyTensor> {
    let dtype = match dtype {
        Some(d) => crate::dtype::from_py(d)?,
        None => tensorbridge_core::DType::F32,
    };
    Ok(PyTensor(
        tensorbridge_core::random::normal(shape, mean, stddev, dtype, seed).py()?,
    ))
}
