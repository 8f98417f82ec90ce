//! The native half of the `tensorbridge` Python module (`tensorbridge._native`),
//! built with maturin from `python/pyproject.toml`; the Python package in
//! `python/tensorbridge/` wraps it in TensorFlow's names (`tb.constant`,
//! `tb.sparse.SparseTensor`, `tb.ragged.constant`, ...).
//!
//! CPU tensors become `numpy.ndarray`s without a copy (read-only views that
//! keep the tensor alive); NumPy arrays become tensors without a copy; DLPack
//! works both ways through `tensorbridge_numpy::dlpack`.

mod dtype;
mod errors;
mod extras;
mod interop;
mod tensor;

use pyo3::prelude::*;

/// The module `tensorbridge._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<tensor::PyTensor>()?;
    m.add_class::<extras::PyDeviceScope>()?;
    m.add_class::<extras::PySparseTensor>()?;
    m.add_class::<extras::PyRaggedTensor>()?;
    m.add_class::<extras::PyGraph>()?;
    m.add_class::<extras::PySession>()?;
    m.add_class::<extras::PyFunction>()?;
    m.add_function(wrap_pyfunction!(interop::from_numpy, m)?)?;
    m.add_function(wrap_pyfunction!(interop::from_dlpack, m)?)?;
    m.add_function(wrap_pyfunction!(extras::devices, m)?)?;
    m.add_function(wrap_pyfunction!(extras::current_device, m)?)?;
    m.add_function(wrap_pyfunction!(extras::rgb_to_grayscale, m)?)?;
    m.add_function(wrap_pyfunction!(extras::random_normal, m)?)?;
    m.add_function(wrap_pyfunction!(extras::ragged_from_nested_row_lengths, m)?)?;
    Ok(())
}
