//! tensorbridge errors as Python exceptions, with the Rust message.

use pyo3::PyErr;
use pyo3::exceptions::{PyMemoryError, PyOSError, PyRuntimeError, PyTypeError, PyValueError};
use tensorbridge_core::Error;

/// `TypeError` for dtype mismatches, `ValueError` for bad arguments, shapes,
/// indices and formats, `MemoryError`, `OSError`, and `RuntimeError` for
/// everything about where a value is (device, graph).
pub(crate) fn to_py(e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::DTypeMismatch { .. } => PyTypeError::new_err(msg),
        Error::ShapeMismatch { .. }
        | Error::InvalidArgument { .. }
        | Error::IndexOutOfBounds { .. }
        | Error::ShapeOverflow { .. }
        | Error::ParseDevice { .. }
        | Error::Format { .. } => PyValueError::new_err(msg),
        Error::OutOfMemory { .. } => PyMemoryError::new_err(msg),
        Error::Io { .. } => PyOSError::new_err(msg),
        _ => PyRuntimeError::new_err(msg),
    }
}

/// `Result<T, Error>` → `PyResult<T>`.
pub(crate) trait IntoPy<T> {
    /// The error as a Python exception.
    fn py(self) -> pyo3::PyResult<T>;
}

impl<T> IntoPy<T> for Result<T, Error> {
    fn py(self) -> pyo3::PyResult<T> {
        self.map_err(to_py)
    }
}
