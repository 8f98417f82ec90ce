//! Filled tensors made directly in device memory.

use super::{CudaStorage, backend, elem, map_err};
use crate::bytes::as_bytes;
use crate::{DType, Device, Element, Layout, Result, Shape, Tensor};

/// A tensor of zeros of `shape` on `device` (its size already checked).
pub(crate) fn zeros(device: Device, shape: Shape, dtype: DType) -> Result<Tensor> {
    let bytes = shape.checked_byte_size("zeros", dtype)?;
    let dev = backend(device)?;
    let buffer = dev
        .alloc_zeroed(bytes)
        .map_err(|e| map_err("zeros", device, e))?;
    Ok(Tensor::from_cuda_storage(
        CudaStorage::new(buffer, dtype, ordinal(device)),
        Layout::contiguous(shape),
    ))
}

/// A tensor of `shape` on `device` with every element `value`.
pub(crate) fn full<T: Element>(device: Device, shape: Shape, value: T) -> Result<Tensor> {
    let bytes = shape.checked_byte_size("full", T::DTYPE)?;
    let dev = backend(device)?;
    let mut buffer = dev.alloc(bytes).map_err(|e| map_err("full", device, e))?;
    if bytes > 0 {
        dev.fill(elem(T::DTYPE), &mut buffer, as_bytes(&[value]))
            .map_err(|e| map_err("full", device, e))?;
    }
    Ok(Tensor::from_cuda_storage(
        CudaStorage::new(buffer, T::DTYPE, ordinal(device)),
        Layout::contiguous(shape),
    ))
}

/// A fresh, uninitialised contiguous output of `shape` and `dtype` on
/// `device`, for a kernel to write; its size checked first.
pub(crate) fn output(
    op: &'static str,
    device: Device,
    shape: &Shape,
    dtype: DType,
) -> Result<tensorbridge_cuda::DeviceBuffer> {
    let bytes = shape.checked_byte_size(op, dtype)?;
    backend(device)?
        .alloc(bytes)
        .map_err(|e| map_err(op, device, e))
}

/// Wraps a kernel's output buffer as a C-order tensor of `shape`.
pub(crate) fn wrap(
    buffer: tensorbridge_cuda::DeviceBuffer,
    device: Device,
    shape: Shape,
    dtype: DType,
) -> Tensor {
    Tensor::from_cuda_storage(
        CudaStorage::new(buffer, dtype, ordinal(device)),
        Layout::contiguous(shape),
    )
}

/// The ordinal of a CUDA device.
pub(crate) fn ordinal(device: Device) -> usize {
    match device {
        Device::Cuda(n) => n,
        Device::Cpu => unreachable!("device storage is on a GPU"),
    }
}
