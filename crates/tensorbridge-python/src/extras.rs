//! The rest of the API: device scopes, sparse and ragged tensors, image and
//! random ops, and graph mode (Graph, Session, function).

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use tensorbridge_core::graph::{Function, Graph, Session, function};
use tensorbridge_core::{Device, DeviceScope, Error, Tensor};
use tensorbridge_ragged::RaggedTensor;
use tensorbridge_sparse::SparseTensor;

use crate::errors::IntoPy;
use crate::tensor::PyTensor;

/// A value as a tensor: a `Tensor` as it is, anything else through
/// `numpy.asarray` (with `dtype` when given) and a copy.
fn tensor_of(value: &Bound<'_, PyAny>, dtype: Option<&str>) -> PyResult<Tensor> {
    if let Ok(t) = value.cast::<PyTensor>() {
        return Ok(t.get().0.clone());
    }
    let np = value.py().import("numpy")?;
    let kwargs = pyo3::types::PyDict::new(value.py());
    kwargs.set_item("dtype", dtype)?;
    kwargs.set_item("order", "C")?;
    let array = np.getattr("asarray")?.call((value,), Some(&kwargs))?;
    crate::interop::from_numpy(&array)?.0.contiguous_copy().py()
}

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

/// `tf.Graph`: symbolic tensors for TF 1.x-style code.
#[pyclass(name = "Graph", module = "tensorbridge", frozen)]
pub(crate) struct PyGraph(Graph);

#[pymethods]
impl PyGraph {
    #[new]
    fn new() -> Self {
        PyGraph(Graph::new())
    }

    /// `tf.compat.v1.placeholder(dtype, shape)`: `None` for unknown dims.
    #[pyo3(signature = (dtype, shape))]
    fn placeholder(
        &self,
        dtype: &Bound<'_, PyAny>,
        shape: Vec<Option<usize>>,
    ) -> PyResult<PyTensor> {
        let dtype = crate::dtype::from_py(dtype)?;
        Ok(PyTensor(self.0.placeholder(dtype, &shape)))
    }

    /// A constant node holding `value`.
    fn constant(&self, value: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        Ok(PyTensor(self.0.constant(&tensor_of(value, None)?)))
    }

    /// The number of nodes.
    fn __len__(&self) -> usize {
        self.0.len()
    }
}

/// `feed_dict` as (placeholder, value) pairs; values take the
/// placeholder's dtype when they are not tensors.
pub(crate) fn feeds(feed_dict: Option<&Bound<'_, PyDict>>) -> PyResult<Vec<(Tensor, Tensor)>> {
    let Some(feed_dict) = feed_dict else {
        return Ok(Vec::new());
    };
    feed_dict
        .iter()
        .map(|(k, v)| {
            let k = k.cast::<PyTensor>()?.get().0.clone();
            let v = tensor_of(&v, Some(k.dtype().name()))?;
            Ok((k, v))
        })
        .collect()
}

/// `tf.compat.v1.Session(graph)`.
#[pyclass(name = "Session", module = "tensorbridge", frozen)]
pub(crate) struct PySession(pub(crate) Session);

#[pymethods]
impl PySession {
    #[new]
    fn new(graph: &PyGraph) -> Self {
        PySession(Session::new(&graph.0))
    }

    /// `sess.run(fetches, feed_dict)`: NumPy arrays, one per fetch (a
    /// single array for a single fetch).
    #[pyo3(signature = (fetches, feed_dict=None))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        fetches: &Bound<'py, PyAny>,
        feed_dict: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let single = fetches.cast::<PyTensor>().is_ok();
        let list: Vec<Bound<'py, PyTensor>> = if single {
            vec![fetches.cast::<PyTensor>()?.clone()]
        } else {
            fetches
                .try_iter()?
                .map(|f| Ok(f?.cast_into::<PyTensor>()?))
                .collect::<PyResult<_>>()?
        };
        let tensors: Vec<Tensor> = list.iter().map(|t| t.get().0.clone()).collect();
        let refs: Vec<&Tensor> = tensors.iter().collect();
        let feeds = feeds(feed_dict)?;
        let pairs: Vec<(&Tensor, &Tensor)> = feeds.iter().map(|(a, b)| (a, b)).collect();
        let outs = self.0.run_tensors(&refs, &pairs).py()?;
        let arrays = outs
            .into_iter()
            .map(|t| {
                Py::new(py, PyTensor(t))?
                    .into_bound(py)
                    .call_method0("numpy")
            })
            .collect::<PyResult<Vec<_>>>()?;
        if single {
            Ok(arrays.into_iter().next().expect("one fetch, one output"))
        } else {
            Ok(PyList::new(py, arrays)?.into_any())
        }
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        false
    }
}

/// `tf.function`: the Python callable is traced once per input signature
/// (its tensor operations become a graph), then the graph runs.
#[pyclass(name = "Function", module = "tensorbridge", frozen)]
pub(crate) struct PyFunction {
    inner: Function,
}

#[pymethods]
impl PyFunction {
    #[new]
    fn new(body: Py<PyAny>) -> Self {
        let inner = function(move |args: &[Tensor]| {
            Python::attach(|py| {
                let py_args = args
                    .iter()
                    .map(|t| Py::new(py, PyTensor(t.clone())))
                    .collect::<PyResult<Vec<_>>>()
                    .and_then(|a| pyo3::types::PyTuple::new(py, a))
                    .and_then(|a| body.bind(py).call1(a));
                let out = py_args.map_err(|e| Error::InvalidArgument {
                    op: "function",
                    what: format!("the traced Python function raised: {e}"),
                })?;
                let outs: Vec<Tensor> = if let Ok(t) = out.cast::<PyTensor>() {
                    vec![t.get().0.clone()]
                } else {
                    out.try_iter()
                        .and_then(|it| {
                            it.map(|o| Ok(o?.cast_into::<PyTensor>()?.get().0.clone()))
                                .collect::<PyResult<Vec<_>>>()
                        })
                        .map_err(|e| Error::InvalidArgument {
                            op: "function",
                            what: format!(
                                "the traced Python function must return a Tensor or a sequence \
                                 of Tensors: {e}"
                            ),
                        })?
                };
                Ok(outs)
            })
        });
        PyFunction { inner }
    }

    #[pyo3(signature = (*args))]
    fn __call__<'py>(
        &self,
        py: Python<'py>,
        args: &Bound<'py, pyo3::types::PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let tensors = args
            .iter()
            .map(|a| tensor_of(&a, None))
            .collect::<PyResult<Vec<_>>>()?;
        let outs = py
            .detach(|| self.inner.call(&tensors))
            .map_err(|e| match e {
                Error::InvalidArgument {
                    op: "function",
                    what,
                } => PyRuntimeError::new_err(what),
                e => crate::errors::to_py(e),
            })?;
        let mut outs = outs
            .into_iter()
            .map(|t| Ok(Py::new(py, PyTensor(t))?.into_bound(py).into_any()))
            .collect::<PyResult<Vec<_>>>()?;
        if outs.len() == 1 {
            Ok(outs.remove(0))
        } else {
            Ok(pyo3::types::PyTuple::new(py, outs)?.into_any())
        }
    }

    /// How many times the Python function was traced.
    #[getter]
    fn trace_count(&self) -> usize {
        self.inner.trace_count()
    }
}
