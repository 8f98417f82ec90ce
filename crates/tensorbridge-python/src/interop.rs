//! The NumPy and DLPack bridges: tensors as `numpy.ndarray`s and back, and
//! `__dlpack__` / `from_dlpack`.
#![expect(
    unsafe_code,
    reason = "NumPy's C API: arrays over a tensor's buffer, and tensors over an array's"
)]

use std::sync::Arc;

use dlpark::python::{CudaStreamRequest, ExportRequest, ImportRequest, ImportedDlpack};
use numpy::npyffi::NPY_ARRAY_WRITEABLE;
use numpy::{PyArray, PyArrayDescrMethods, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyBufferError, PyTypeError};
use pyo3::prelude::*;
use tensorbridge_core::{DType, Device, ForeignOwner, Tensor};
use tensorbridge_numpy::dlpack;

use crate::dtype::with_element;
use crate::errors::IntoPy;
use crate::tensor::PyTensor;

/// Makes sure NumPy knows `bfloat16` (registered by `ml_dtypes`), or says
/// what to do: never a silent upcast.
fn require_bfloat16(py: Python<'_>) -> PyResult<()> {
    py.import("ml_dtypes").map(|_| ()).map_err(|_| {
        PyTypeError::new_err(
            "a bfloat16 tensor becomes a NumPy array of ml_dtypes.bfloat16, and ml_dtypes is not \
             installed: `pip install ml_dtypes`, or cast first: t.cast('float32')",
        )
    })
}

/// The tensor as a `numpy.ndarray`: for a host tensor a read-only view of
/// its buffer that keeps `owner` (the Python tensor) alive, O(1); for a
/// device tensor a fresh, writable host copy. Returns whether it copied.
pub(crate) fn to_numpy<'py>(owner: &Bound<'py, PyTensor>) -> PyResult<(Bound<'py, PyAny>, bool)> {
    let py = owner.py();
    let t = &owner.get().0;
    if t.dtype() == DType::BF16 {
        require_bfloat16(py)?;
    }
    if t.device() != Device::Cpu {
        let array = with_element!(t.dtype(), T => {
            PyArray::from_owned_array(py, t.to_array::<T>().py()?).into_any()
        });
        return Ok((array, true));
    }
    let array = with_element!(t.dtype(), T => {
        let view = t.view::<T>().py()?;
        // SAFETY: the view's elements live in the tensor's buffer, which
        // `owner` (set as the array's base object) keeps alive and which no
        // one ever writes: the array is made read-only just below, before
        // Python sees it.
        let array = unsafe { PyArray::borrow_from_array(&view, owner.clone().into_any()) };
        // SAFETY: `array` is a valid array object that only this thread
        // knows yet; clearing WRITEABLE makes NumPy refuse writes.
        unsafe { (*array.as_array_ptr()).fields.flags &= !NPY_ARRAY_WRITEABLE };
        array.into_any()
    });
    Ok((array, false))
}

/// The bytes of a NumPy array, read in place; the array (and so its
/// buffer) stays alive as long as the tensor or any view of it.
struct NumpyBytes {
    ptr: *const u8,
    len: usize,
    _array: Py<PyAny>,
}

// SAFETY: the bytes are only read, and `Py<PyAny>` is Send + Sync (PyO3
// defers its decref to a thread attached to the interpreter); the raw
// pointer is what stops the auto traits.
unsafe impl Send for NumpyBytes {}
// SAFETY: as above.
unsafe impl Sync for NumpyBytes {}

impl AsRef<[u8]> for NumpyBytes {
    fn as_ref(&self) -> &[u8] {
        if self.len == 0 {
            // Empty, at an address aligned for every element type.
            // SAFETY: a dangling, non-null, aligned pointer is valid for 0 bytes.
            return unsafe {
                std::slice::from_raw_parts(std::ptr::NonNull::<u128>::dangling().as_ptr().cast(), 0)
            };
        }
        // SAFETY: `from_numpy` checked that the array's elements fill
        // exactly `len` bytes from `ptr` (a compact layout with non-negative
        // strides); the array, held by `self`, owns or keeps them alive.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

/// `tb.from_numpy(a)`: a tensor over the array's memory, without a copy.
/// The array must be in native byte order and compact (C order, Fortran
/// order or any transpose of one); others are refused with what to do.
#[pyfunction]
pub(crate) fn from_numpy(array: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
    let py = array.py();
    let array = array.cast::<PyUntypedArray>().map_err(|_| {
        PyTypeError::new_err(format!(
            "from_numpy expects a numpy.ndarray, got {}; use tb.constant for other values",
            array
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })?;
    let descr = array.dtype();
    let dtype = match DType::ALL.into_iter().find(|&d| {
        d != DType::BF16 && with_element!(d, T => descr.is_equiv_to(&numpy::dtype::<T>(py)))
    }) {
        Some(d) => d,
        None => {
            let name: String = descr.getattr("name")?.extract()?;
            if name == "bfloat16" && descr.itemsize() == 2 && descr.byteorder() != b'>' {
                DType::BF16
            } else {
                return Err(PyTypeError::new_err(format!(
                    "numpy dtype {} cannot be shared: tensorbridge has {} in native byte order \
                     (use a.astype(...) to convert)",
                    descr.str()?,
                    DType::ALL.map(DType::name).join(", ")
                )));
            }
        }
    };
    let item = dtype.size_in_bytes() as isize;
    let dims = array.shape().to_vec();
    let strides = array
        .strides()
        .iter()
        .map(|&s| {
            (s % item == 0).then_some(s / item).ok_or_else(|| {
                PyTypeError::new_err(format!(
                    "strides {:?} (bytes) are not multiples of the item size {item}; use \
                     np.ascontiguousarray(a) first",
                    array.strides()
                ))
            })
        })
        .collect::<PyResult<Vec<isize>>>()?;
    let numel = dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
    let len = numel
        .and_then(|n| n.checked_mul(item as usize))
        .ok_or_else(|| PyTypeError::new_err("the array's byte size overflows"))?;
    // SAFETY: `array` is a live ndarray; its data pointer is read, not
    // dereferenced here.
    let ptr = unsafe { (*array.as_array_ptr()).fields.data }
        .cast::<u8>()
        .cast_const();
    let owner: ForeignOwner = Arc::new(NumpyBytes {
        ptr,
        len,
        _array: array.clone().into_any().unbind(),
    });
    let t = dlpack::from_strided_host_bytes(owner, 0, dtype, &dims, Some(&strides)).py()?;
    Ok(PyTensor(t))
}

/// `tb.from_dlpack(x)`: a tensor over the memory of any DLPack producer
/// (an object with `__dlpack__`, or a DLPack capsule), without a copy. For
/// a CUDA producer (PyTorch, CuPy) the result is a device tensor over the
/// producer's memory, and the producer is asked to make the bytes ready on
/// tensorbridge's stream of that GPU (`__dlpack__(stream=...)`).
#[pyfunction]
pub(crate) fn from_dlpack(x: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
    let request = ImportRequest::new(x.as_borrowed())?;
    let stream = request.device().ok().and_then(ConsumerStream::for_device);
    let imported = request.import(
        stream
            .as_ref()
            .map(|s| s as &dyn dlpark::python::DlpackStream),
        None,
    )?;
    let t = match imported {
        ImportedDlpack::Legacy(m) => dlpack::from_dlpack(m),
        ImportedDlpack::Versioned(m) => dlpack::from_dlpack(m),
    }
    .py()?;
    Ok(PyTensor(t))
}

/// tensorbridge's stream on one GPU, as a DLPack consumer stream.
struct ConsumerStream {
    #[cfg(feature = "cuda")]
    device: std::sync::Arc<tensorbridge_cuda::CudaDevice>,
}

impl ConsumerStream {
    /// The stream of the GPU a CUDA producer's tensor is on, when that GPU
    /// is usable here; `None` otherwise (the import then reports why).
    fn for_device(device: dlpark::ffi::DLDevice) -> Option<ConsumerStream> {
        if device.device_type != dlpark::ffi::DLDeviceType::CUDA {
            return None;
        }
        #[cfg(feature = "cuda")]
        {
            let ordinal = usize::try_from(device.device_id).ok()?;
            Device::Cuda(ordinal).check_available().ok()?;
            let device = tensorbridge_cuda::CudaDevice::get(ordinal).ok()?;
            Some(ConsumerStream { device })
        }
        #[cfg(not(feature = "cuda"))]
        None
    }
}

// SAFETY: the handle passed is tensorbridge's own stream of the GPU the
// producer named, a live stream of that GPU's primary context (the
// backend's devices are never dropped), valid far beyond the call.
unsafe impl dlpark::python::DlpackStream for ConsumerStream {
    fn as_python_arg(
        &self,
        _py: Python<'_>,
        _device: dlpark::ffi::DLDevice,
    ) -> PyResult<dlpark::python::StreamArg> {
        #[cfg(feature = "cuda")]
        {
            let handle = self.device.stream_handle();
            Ok(dlpark::python::consumer::stream::cuda(
                std::ptr::without_provenance_mut(handle),
            ))
        }
        #[cfg(not(feature = "cuda"))]
        Ok(dlpark::python::consumer::stream::none())
    }

    unsafe fn wait_for_producer(
        &self,
        _device: dlpark::ffi::DLDevice,
        producer: *mut std::ffi::c_void,
    ) -> PyResult<bool> {
        #[cfg(feature = "cuda")]
        {
            // A null runtime stream is the legacy default stream.
            let handle = match producer as usize {
                0 => tensorbridge_cuda::LEGACY_DEFAULT_STREAM,
                h => h,
            };
            // SAFETY: dlpark hands over the producer's live stream of this
            // GPU (the trait's contract).
            unsafe { self.device.wait_for_stream(handle) }
                .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
            Ok(true)
        }
        #[cfg(not(feature = "cuda"))]
        {
            let _ = producer;
            Ok(false)
        }
    }
}

/// `Tensor.__dlpack__`: a DLPack capsule over the tensor's buffer
/// (versioned and `READ_ONLY` when the consumer asks for DLPack 1.x,
/// legacy otherwise). For a device tensor the consumer's `stream` follows
/// the Array API: `-1` no synchronization, `None` or `1` the legacy
/// default stream, `2` the per-thread default stream, any other integer a
/// CUDA stream handle; that stream is made to wait for the work queued on
/// the tensor's GPU (an event; the host does not block).
pub(crate) fn dlpack_capsule(
    py: Python<'_>,
    t: &Tensor,
    stream: Option<&Bound<'_, PyAny>>,
    max_version: Option<(u32, u32)>,
    dl_device: Option<(u32, i32)>,
    copy: Option<bool>,
) -> PyResult<Py<PyAny>> {
    let device = dlpack::device::to_dl_device(t.device())
        .map_err(|e| PyBufferError::new_err(e.to_string()))?;
    let request = ExportRequest::parse(stream, max_version, dl_device, copy)?;
    if let Some(wanted) = request.device()
        && wanted != device
    {
        // A device tensor asked for on the host (`np.from_dlpack(t,
        // device="cpu")`): the Array API lets the producer copy, unless
        // the consumer said copy=False.
        if wanted == dlpark::ffi::DLDevice::CPU && t.device() != Device::Cpu && copy != Some(false)
        {
            let host = t.cpu().py()?;
            return dlpack_capsule(py, &host, None, max_version, dl_device, copy);
        }
        return Err(PyBufferError::new_err(format!(
            "__dlpack__: the tensor is on {}, dl_device {:?} was asked for{}; copy it there first",
            t.device(),
            (wanted.device_type.0, wanted.device_id),
            if copy == Some(false) {
                " with copy=False"
            } else {
                ""
            }
        )));
    }
    // The consumer's stream, for a device tensor: None means "no sync".
    let consumer = match t.device() {
        Device::Cpu => None,
        Device::Cuda(_) => match request.cuda_stream()? {
            CudaStreamRequest::NoSync => None,
            CudaStreamRequest::Omitted | CudaStreamRequest::LegacyDefault => Some(1),
            CudaStreamRequest::PerThreadDefault => Some(2),
            CudaStreamRequest::Pointer(handle) => Some(handle),
        },
    };
    let source = if copy == Some(true) {
        t.contiguous_copy().py()?
    } else {
        t.clone()
    };
    let capsule = match request.abi() {
        dlpark::python::ExportAbi::Versioned => {
            // SAFETY: the stream is 1, 2, or the handle the consumer passed
            // as `stream=`, which the DLPack protocol requires to be a live
            // stream of the tensor's device; host tensors ignore it.
            let managed = unsafe { dlpack::to_dlpack_for_stream(&source, consumer) };
            managed.py()?.into_pyobject(py)?
        }
        dlpark::python::ExportAbi::Legacy => {
            // SAFETY: as above.
            let managed = unsafe { dlpack::to_dlpack_legacy_for_stream(&source, consumer) };
            managed.py()?.into_pyobject(py)?
        }
    };
    Ok(capsule.unbind())
}

/// A value as a tensor: a `Tensor` as it is, anything else through
/// `numpy.asarray` (with `dtype` when given) and a copy on the current
/// device (`with tb.device("/GPU:0"):`), as `tb.constant` makes it.
pub(crate) fn tensor_of(value: &Bound<'_, PyAny>, dtype: Option<&str>) -> PyResult<Tensor> {
    if let Ok(t) = value.cast::<PyTensor>() {
        return Ok(t.get().0.clone());
    }
    let np = value.py().import("numpy")?;
    let kwargs = pyo3::types::PyDict::new(value.py());
    kwargs.set_item("dtype", dtype)?;
    kwargs.set_item("order", "C")?;
    let array = np.getattr("asarray")?.call((value,), Some(&kwargs))?;
    let host = crate::interop::from_numpy(&array)?
        .0
        .contiguous_copy()
        .py()?;
    host.to_device(tensorbridge_core::Device::current()).py()
}
