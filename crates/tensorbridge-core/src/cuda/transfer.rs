//! Moving tensors between the host and a GPU: uploads, downloads of exactly
//! the elements of a (possibly strided) view, and asynchronous downloads.

use ndarray::{ArrayD, IxDyn};
use tensorbridge_cuda::{DownloadItem, PendingDownload};

use super::{CudaStorage, backend, elem, map_err, strided};
use crate::bytes::{as_bytes, as_bytes_mut};
use crate::element::{Element, private::Sealed};
use crate::storage::map_cpu_storage;
use crate::{Device, DynArray, Error, Layout, Result, Tensor, alloc, copy, dtype::with_dtype};

/// `t` copied to `device` (which differs from `t.device()` and is
/// available).
pub(crate) fn to_device(t: &Tensor, device: Device) -> Result<Tensor> {
    match (t.device(), device) {
        (Device::Cpu, Device::Cuda(_)) => upload(t, device),
        (Device::Cuda(_), Device::Cpu) => download_tensor(t, "cpu"),
        (Device::Cuda(_), Device::Cuda(_)) => between_gpus(t, device),
        (Device::Cpu, Device::Cpu) => Ok(t.clone()),
    }
}

/// The elements of host tensor `t`, C order, in a fresh buffer on `device`.
pub(crate) fn upload(t: &Tensor, device: Device) -> Result<Tensor> {
    const OP: &str = "to_device";
    let Device::Cuda(ordinal) = device else {
        unreachable!("upload targets a GPU")
    };
    let dev = backend(device)?;
    let storage = t.cpu_storage(OP)?;
    let layout = t.layout();
    let buffer = map_cpu_storage!(storage, v => {
        let data: &[_] = v;
        match layout.contiguous_range() {
            // An empty view may keep an offset past its buffer: no bytes.
            _ if layout.numel() == 0 => dev.upload(&[]),
            Some(range) => dev.upload(as_bytes(&data[range])),
            // Only the elements of the view travel: gathered on the host first.
            None => dev.upload(as_bytes(&copy::gather(data, layout)?)),
        }
    })
    .map_err(|e| map_err(OP, device, e))?;
    Ok(Tensor::from_cuda_storage(
        CudaStorage::new(buffer, t.dtype(), ordinal),
        Layout::contiguous(t.shape().clone()),
    ))
}

/// Device tensor `t` on another GPU, `device`: GPU to GPU, only the
/// elements of its view (a strided view is packed on its own GPU first),
/// without waiting on the host.
fn between_gpus(t: &Tensor, device: Device) -> Result<Tensor> {
    const OP: &str = "to_device";
    let Device::Cuda(ordinal) = device else {
        unreachable!("between_gpus targets a GPU")
    };
    let packed = if t.is_contiguous() {
        t.clone()
    } else {
        super::elementwise::contiguous_copy(t)?
    };
    let src = device_storage(&packed, OP)?;
    let size = t.dtype().size_in_bytes();
    let (offset, bytes) = if t.numel() == 0 {
        (0, 0)
    } else {
        (packed.layout().offset() * size, t.numel() * size)
    };
    let target = backend(device)?;
    let buffer = backend(src.device())?
        .copy_to_device(src.buffer(), offset, bytes, &target)
        .map_err(|e| map_err(OP, device, e))?;
    Ok(Tensor::from_cuda_storage(
        CudaStorage::new(buffer, t.dtype(), ordinal),
        Layout::contiguous(t.shape().clone()),
    ))
}

/// The elements of device tensor `t` in C order, in a fresh host `Vec`;
/// only the elements of its view cross the bus.
///
/// **Errors**: [`Error::DTypeMismatch`] when `T` is not the tensor's dtype.
pub(crate) fn download_vec<T: Element>(t: &Tensor, op: &'static str) -> Result<Vec<T>> {
    let storage = device_storage(t, op)?;
    if storage.dtype() != T::DTYPE {
        return Err(Error::DTypeMismatch {
            op,
            expected: T::DTYPE,
            found: storage.dtype(),
        });
    }
    // Zeroed pages from the kernel cost nothing until the copy writes them.
    let mut out = alloc::zeroed_vec::<T>(t.numel())?;
    if out.is_empty() {
        return Ok(out);
    }
    let device = storage.device();
    let dev = backend(device)?;
    dev.download(
        storage.buffer(),
        elem(T::DTYPE),
        strided(t.layout()),
        as_bytes_mut(&mut out),
    )
    .map_err(|e| map_err(op, device, e))?;
    Ok(out)
}

/// Device tensor `t` as a host tensor of the same shape and dtype.
pub(crate) fn download_tensor(t: &Tensor, op: &'static str) -> Result<Tensor> {
    with_dtype!(t.dtype(), T => Ok(Tensor::from_cpu_storage(
        T::into_storage(download_vec::<T>(t, op)?),
        t.shape().clone(),
    )))
}

/// The device storage of `t`, or the error of a host tensor where a device
/// one was expected (an internal dispatch mistake reported, not panicked).
pub(crate) fn device_storage<'a>(t: &'a Tensor, op: &'static str) -> Result<&'a CudaStorage> {
    if let Some(symbol) = t.symbol() {
        return Err(symbol.no_value(op));
    }
    t.cuda_storage().ok_or_else(|| {
        Error::invalid(
            op,
            format!(
                "expected a tensor on a CUDA device, found one on {}",
                t.device()
            ),
        )
    })
}

/// A download in flight: the backend's pending copy and the shape it fills.
pub(crate) struct DevicePending {
    pending: PendingDownload,
    dims: Vec<usize>,
    device: Device,
}

impl DevicePending {
    /// Starts copying the elements of device tensor `t` (of element type
    /// `T`) to the host.
    pub(crate) fn start<T: Element>(t: &Tensor) -> Result<DevicePending> {
        const OP: &str = "to_array_async";
        let storage = device_storage(t, OP)?;
        if storage.dtype() != T::DTYPE {
            return Err(Error::DTypeMismatch {
                op: OP,
                expected: T::DTYPE,
                found: storage.dtype(),
            });
        }
        let device = storage.device();
        let dev = backend(device)?;
        let pending = dev
            .download_async(storage.shared_buffer(), elem(T::DTYPE), strided(t.layout()))
            .map_err(|e| map_err(OP, device, e))?;
        Ok(DevicePending {
            pending,
            dims: t.dims().to_vec(),
            device,
        })
    }

    /// Waits for the copy and returns the array: the backend copies the
    /// bytes out of its pinned buffer straight into the array's `Vec`.
    pub(crate) fn wait<T: Element>(self) -> Result<ArrayD<T>> {
        const OP: &str = "to_array_async";
        let numel: usize = self.dims.iter().product();
        // Zeroed pages from the kernel cost nothing until the copy writes them.
        let mut out = alloc::zeroed_vec::<T>(numel)?;
        self.pending
            .wait_into(as_bytes_mut(&mut out))
            .map_err(|e| map_err(OP, self.device, e))?;
        Ok(ArrayD::from_shape_vec(IxDyn(&self.dims), out)
            .expect("the buffer holds exactly the elements of the shape"))
    }
}

/// The device tensors of a [`crate::ToNumpy`] conversion: at the end,
/// every download of a GPU is queued at once (small views packed into
/// pooled pinned staging buffers) and the GPU is synchronized once, the
/// bytes landing straight in the arrays' own buffers.
#[derive(Default)]
pub(crate) struct DownloadBatch {
    tensors: Vec<Tensor>,
}

impl DownloadBatch {
    /// Adds device tensor `t`; returns its index in the batch.
    pub(crate) fn start(&mut self, t: &Tensor) -> Result<usize> {
        device_storage(t, "numpy")?;
        self.tensors.push(t.clone());
        Ok(self.tensors.len() - 1)
    }

    /// Downloads every tensor (one wait per GPU) and returns the arrays in
    /// the order the tensors were added.
    pub(crate) fn finish(self) -> Result<Vec<DynArray>> {
        const OP: &str = "numpy";
        let mut arrays = self
            .tensors
            .iter()
            .map(|t| {
                with_dtype!(t.dtype(), T => {
                    // Zeroed pages cost nothing until the copy writes them.
                    let v = alloc::zeroed_vec::<T>(t.numel())?;
                    Ok(T::into_dyn(
                        ArrayD::from_shape_vec(IxDyn(t.dims()), v)
                            .expect("the buffer holds exactly the elements of the shape"),
                    ))
                })
            })
            .collect::<Result<Vec<DynArray>>>()?;
        let mut devices: Vec<Device> = Vec::new();
        for t in &self.tensors {
            if !devices.contains(&t.device()) {
                devices.push(t.device());
            }
        }
        for device in devices {
            let dev = backend(device)?;
            let mut items = Vec::new();
            for (t, a) in self.tensors.iter().zip(arrays.iter_mut()) {
                if t.device() != device {
                    continue;
                }
                items.push(DownloadItem {
                    src: device_storage(t, OP)?.buffer(),
                    elem: elem(t.dtype()),
                    layout: strided(t.layout()),
                    dst: a.bytes_mut(),
                });
            }
            dev.download_many(&mut items)
                .map_err(|e| map_err(OP, device, e))?;
        }
        Ok(arrays)
    }
}

/// [`Tensor::write_c_order`] of device tensor `t`: the backend streams the
/// elements of its view through fixed pinned staging buffers, so host
/// memory stays bounded whatever the size. An I/O failure keeps its
/// `io::Error`.
pub(crate) fn write_c_order(t: &Tensor, w: &mut dyn std::io::Write) -> Result<()> {
    const OP: &str = "write_c_order";
    /// Remembers the writer's first error, which the backend can only
    /// report as text.
    struct Keep<'a> {
        inner: &'a mut dyn std::io::Write,
        error: Option<std::io::Error>,
    }
    impl std::io::Write for Keep<'_> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.inner.write(buf).inspect_err(|e| {
                self.error
                    .get_or_insert_with(|| std::io::Error::new(e.kind(), e.to_string()));
            })
        }
        fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
            self.inner.write_all(buf).inspect_err(|e| {
                self.error
                    .get_or_insert_with(|| std::io::Error::new(e.kind(), e.to_string()));
            })
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.inner.flush()
        }
    }
    let storage = device_storage(t, OP)?;
    let device = storage.device();
    let dev = backend(device)?;
    let mut keep = Keep {
        inner: w,
        error: None,
    };
    let result = dev.download_to_writer(
        storage.buffer(),
        elem(t.dtype()),
        strided(t.layout()),
        &mut keep,
    );
    match (result, keep.error) {
        (Ok(()), _) => Ok(()),
        (Err(_), Some(source)) => Err(Error::Io {
            context: format!("{OP}: writing the elements of a tensor on {device}"),
            source,
        }),
        (Err(e), None) => Err(map_err(OP, device, e)),
    }
}
