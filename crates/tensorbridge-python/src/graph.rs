//! Graph mode: `tb.Graph`, `tb.Session`, `tb.function`.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use tensorbridge_core::graph::{Function, Graph, Session, function};
use tensorbridge_core::{Error, Tensor};

use crate::errors::IntoPy;
use crate::interop::tensor_of;
use crate::tensor::PyTensor;

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
