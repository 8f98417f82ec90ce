//! `tensorbridge.Tensor`: the Python handle on a tensor.

use pyo3::exceptions::{PyBufferError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use tensorbridge_core::{Device, Tensor};

use crate::errors::IntoPy;
use crate::interop;

/// A tensor (`tf.Tensor`): immutable, cheap to share, on one device.
#[pyclass(name = "Tensor", module = "tensorbridge", frozen)]
pub(crate) struct PyTensor(pub(crate) Tensor);

/// The right-hand operand of an operator as a tensor of `like`'s dtype, or
/// `None` (the operator then returns `NotImplemented`). A Python scalar is
/// made on `like`'s device, as TensorFlow's `t * 2.0` is on a GPU tensor.
fn operand(like: &Tensor, other: &Bound<'_, PyAny>) -> PyResult<Option<Tensor>> {
    if let Ok(t) = other.cast::<PyTensor>() {
        return Ok(Some(t.get().0.clone()));
    }
    let py = other.py();
    let np = py.import("numpy")?;
    let is_scalar = other.is_instance_of::<pyo3::types::PyBool>()
        || other.is_instance_of::<pyo3::types::PyInt>()
        || other.is_instance_of::<pyo3::types::PyFloat>()
        || other.is_instance_of::<pyo3::types::PyComplex>();
    if !is_scalar {
        // NumPy arrays and everything else: let the other side decide
        // (NumPy converts the tensor with __array__).
        return Ok(None);
    }
    if like.dtype() == tensorbridge_core::DType::BF16 {
        py.import("ml_dtypes")?;
    }
    let array = np.getattr("asarray")?.call1((other, like.dtype().name()))?;
    let t = interop::from_numpy(&array)?.0.contiguous_copy().py()?;
    Ok(Some(t.to_device(like.device()).py()?))
}

/// `a op b`, `NotImplemented` for operands it does not know.
fn binary(
    slf: &Tensor,
    other: &Bound<'_, PyAny>,
    reflected: bool,
    op: fn(&Tensor, &Tensor) -> tensorbridge_core::Result<Tensor>,
) -> PyResult<Py<PyAny>> {
    let py = other.py();
    let Some(mut other) = operand(slf, other)? else {
        return Ok(py.NotImplemented());
    };
    // `placeholder * 2.0`: an eager operand of a symbolic tensor becomes a
    // constant node of its graph, as in TensorFlow.
    if let Some(g) = slf.graph()
        && !other.is_symbolic()
    {
        other = g.constant(&other);
    }
    let mut slf = slf.clone();
    if let Some(g) = other.graph()
        && !slf.is_symbolic()
    {
        slf = g.constant(&slf);
    }
    let slf = &slf;
    let out = if reflected {
        op(&other, slf)
    } else {
        op(slf, &other)
    }
    .py()?;
    Ok(Py::new(py, PyTensor(out))?.into_any())
}

#[pymethods]
impl PyTensor {
    /// The dims, as a tuple.
    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.0.dims())
    }

    /// The NumPy name of the dtype ("float32", "bfloat16", ...).
    #[getter]
    fn dtype(&self) -> &'static str {
        self.0.dtype().name()
    }

    /// Where the bytes are, TensorFlow style ("/job:localhost/replica:0/task:0/device:CPU:0").
    #[getter]
    fn device(&self) -> String {
        self.0.device().tf_name()
    }

    /// The number of dims.
    #[getter]
    fn ndim(&self) -> usize {
        self.0.rank()
    }

    /// The dims as a list (`t.shape.as_list()` in TensorFlow).
    fn __len__(&self) -> PyResult<usize> {
        self.0
            .dims()
            .first()
            .copied()
            .ok_or_else(|| pyo3::exceptions::PyTypeError::new_err("len() of a 0-d tensor"))
    }

    /// `t.numpy()`: a read-only `numpy.ndarray` view of a host tensor's
    /// buffer (no copy); a copy for a device tensor.
    fn numpy<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Ok(interop::to_numpy(slf)?.0)
    }

    /// NumPy 2's `__array__(dtype=None, copy=None)`: what `np.asarray(t)`
    /// and `np.add(t, 1)` call. `copy=False` refuses when a copy is needed
    /// (a device tensor, another dtype); `copy=True` always copies.
    #[pyo3(signature = (dtype=None, copy=None))]
    fn __array__<'py>(
        slf: &Bound<'py, Self>,
        dtype: Option<&Bound<'py, PyAny>>,
        copy: Option<bool>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let (mut array, mut copied) = interop::to_numpy(slf)?;
        if copy == Some(false) && copied {
            return Err(PyValueError::new_err(format!(
                "__array__(copy=False): the tensor lives on {}; a NumPy array of it needs a copy",
                slf.get().0.device()
            )));
        }
        if let Some(dtype) = dtype.filter(|d| !d.is_none()) {
            let wanted = py.import("numpy")?.getattr("dtype")?.call1((dtype,))?;
            if !array.getattr("dtype")?.eq(&wanted)? {
                if copy == Some(false) {
                    return Err(PyValueError::new_err(format!(
                        "__array__(copy=False): a {} tensor as {} needs a copy",
                        slf.get().0.dtype(),
                        wanted.str()?
                    )));
                }
                array = array.call_method1("astype", (wanted,))?;
                copied = true;
            }
        }
        if copy == Some(true) && !copied {
            array = array.call_method0("copy")?;
        }
        Ok(array)
    }

    /// DLPack export: a capsule over the tensor's buffer (no copy), host or
    /// CUDA memory; for a device tensor `stream` follows the Array API
    /// stream protocol (the consumer's stream waits for the GPU's work).
    #[pyo3(signature = (*, stream=None, max_version=None, dl_device=None, copy=None))]
    fn __dlpack__(
        &self,
        py: Python<'_>,
        stream: Option<&Bound<'_, PyAny>>,
        max_version: Option<(u32, u32)>,
        dl_device: Option<(u32, i32)>,
        copy: Option<bool>,
    ) -> PyResult<Py<PyAny>> {
        interop::dlpack_capsule(py, &self.0, stream, max_version, dl_device, copy)
    }

    /// DLPack device: `(1, 0)` (kDLCPU) for host tensors, `(2, n)`
    /// (kDLCUDA) for tensors on CUDA device `n`.
    fn __dlpack_device__(&self) -> PyResult<(u32, i32)> {
        let d =
            tensorbridge_numpy::dlpack::device::dl_device_of(self.0.device()).ok_or_else(|| {
                PyBufferError::new_err(format!("device {} has no DLPack id", self.0.device()))
            })?;
        Ok((d.device_type.0, d.device_id))
    }

    /// This tensor with another dtype (`tf.cast`): values are converted.
    fn cast(&self, dtype: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        let dtype = crate::dtype::from_py(dtype)?;
        Ok(PyTensor(self.0.cast(dtype).py()?))
    }

    /// A C-order copy of the elements in a new buffer.
    fn copy(&self) -> PyResult<PyTensor> {
        Ok(PyTensor(self.0.contiguous_copy().py()?))
    }

    /// This tensor on `device` ("/GPU:0", "cpu", ...).
    fn to(&self, device: &str) -> PyResult<PyTensor> {
        let device: Device = device.parse().py()?;
        Ok(PyTensor(self.0.to_device(device).py()?))
    }

    /// This tensor in host memory.
    fn cpu(&self) -> PyResult<PyTensor> {
        Ok(PyTensor(self.0.cpu().py()?))
    }

    /// Whether this tensor is a symbolic node of a graph.
    #[getter]
    fn is_symbolic(&self) -> bool {
        self.0.is_symbolic()
    }

    /// `sess.run`-free evaluation in a session (TF 1.x `t.eval(session=sess)`).
    #[pyo3(signature = (session, feed_dict=None))]
    fn eval(
        &self,
        session: &crate::graph::PySession,
        feed_dict: Option<&Bound<'_, pyo3::types::PyDict>>,
    ) -> PyResult<PyTensor> {
        let feeds = crate::graph::feeds(feed_dict)?;
        let pairs: Vec<(&Tensor, &Tensor)> = feeds.iter().map(|(a, b)| (a, b)).collect();
        Ok(PyTensor(self.0.eval(&session.0, &pairs).py()?))
    }

    fn __repr__(&self) -> String {
        self.0.to_string()
    }

    fn __str__(&self) -> String {
        self.0.to_string()
    }

    fn __add__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary(&self.0, other, false, Tensor::add)
    }
    fn __radd__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary(&self.0, other, true, Tensor::add)
    }
    fn __sub__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary(&self.0, other, false, Tensor::sub)
    }
    fn __rsub__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary(&self.0, other, true, Tensor::sub)
    }
    fn __mul__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary(&self.0, other, false, Tensor::mul)
    }
    fn __rmul__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary(&self.0, other, true, Tensor::mul)
    }
    fn __truediv__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary(&self.0, other, false, Tensor::div)
    }
    fn __rtruediv__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary(&self.0, other, true, Tensor::div)
    }
    fn __mod__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary(&self.0, other, false, Tensor::rem)
    }
    fn __pow__(
        &self,
        other: &Bound<'_, PyAny>,
        _modulo: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        binary(&self.0, other, false, Tensor::pow)
    }
    fn __matmul__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary(&self.0, other, false, Tensor::matmul)
    }
    fn __rmatmul__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary(&self.0, other, true, Tensor::matmul)
    }
    fn __neg__(&self) -> PyResult<PyTensor> {
        Ok(PyTensor(self.0.neg().py()?))
    }
}
