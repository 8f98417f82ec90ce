//! The native half of the `tensorbridge` Python module (`tensorbridge._native`),
//! built with maturin from `python/pyproject.toml`; the Python package in
//! `python/tensorbridge/` wraps it in TensorFlow's names (`tb.constant`,
//! `tb.sparse.SparseTensor`, `tb.ragged.constant`, ...).
//!
//! CPU tensors become `numpy.ndarray`s without a copy (read-only views that
//! keep the tensor alive); NumPy arrays become tensors without a copy; DLPack
//! works both ways through `tensorbridge_numpy::dlpack`.

mod device;
mod dtype;
mod errors;
mod graph;
mod interop;
mod ops;
mod ragged;
mod sparse;
mod tensor;

use pyo3::prelude::*;

/// The module `tensorbridge._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<tensor::PyTensor>()?;
    m.add_class::<device::PyDeviceScope>()?;
    m.add_class::<sparse::PySparseTensor>()?;
    m.add_class::<ragged::PyRaggedTensor>()?;
    m.add_class::<graph::PyGraph>()?;
    m.add_class::<graph::PySession>()?;
    m.add_class::<graph::PyFunction>()?;
    m.add_function(wrap_pyfunction!(interop::from_numpy, m)?)?;
    m.add_function(wrap_pyfunction!(interop::from_dlpack, m)?)?;
    m.add_function(wrap_pyfunction!(device::devices, m)?)?;
    m.add_function(wrap_pyfunction!(device::current_device, m)?)?;
    m.add_function(wrap_pyfunction!(ops::rgb_to_grayscale, m)?)?;
    m.add_function(wrap_pyfunction!(ops::random_normal, m)?)?;
    m.add_function(wrap_pyfunction!(ragged::ragged_from_nested_row_lengths, m)?)?;
    Ok(())
}
