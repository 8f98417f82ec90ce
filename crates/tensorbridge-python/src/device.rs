//! `tb.device(...)` scopes and the list of devices.

use pyo3::prelude::*;
use tensorbridge_core::{Device, DeviceScope};

use crate::errors::IntoPy;

/// `with tb.device("/GPU:0"):` — the device new tensors are made on in
/// this thread until the block ends.
#[pyclass(name = "DeviceScope", module = "tensorbridge", unsendable)]
pub(crate) struct PyDeviceScope {
    device: Device,
    guards: Vec<DeviceScope>,
}

#[pymethods]
impl PyDeviceScope {
    #[new]
    fn new(name: &str) -> PyResult<Self> {
        Ok(PyDeviceScope {
            device: name.parse().py()?,
            guards: Vec::new(),
        })
    }

    fn __enter__(mut slf: PyRefMut<'_, Self>) -> PyRefMut<'_, Self> {
        let guard = slf.device.scope();
        slf.guards.push(guard);
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&mut self, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.guards.pop();
        false
    }

    /// The device, TensorFlow style.
    #[getter]
    fn name(&self) -> String {
        self.device.tf_name()
    }
}

/// The devices tensors can be made on here (TF-style names).
#[pyfunction]
pub(crate) fn devices() -> Vec<String> {
    tensorbridge_core::devices()
        .into_iter()
        .map(Device::tf_name)
        .collect()
}

/// The device new tensors are made on in this thread.
#[pyfunction]
pub(crate) fn current_device() -> String {
    Device::current().tf_name()
}
