//! [`CudaStorage`]: a tensor's bytes in the memory of one CUDA GPU.

use std::sync::Arc;

use tensorbridge_cuda::DeviceBuffer;

use crate::{DType, Device};

/// The elements of a device tensor: a buffer from the backend's caching
/// allocator (shared: views and `download_async` hold it too), its dtype
/// and the GPU it is on. The buffer holds whole elements in the tensor's
/// layout, exactly as a host buffer would.
#[derive(Clone)]
pub(crate) struct CudaStorage {
    buffer: Arc<DeviceBuffer>,
    dtype: DType,
    ordinal: usize,
}

impl std::fmt::Debug for CudaStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CudaStorage")
            .field("device", &self.device())
            .field("dtype", &self.dtype)
            .field("len_bytes", &self.buffer.len_bytes())
            .finish()
    }
}

impl CudaStorage {
    /// Wraps a buffer of whole `dtype` elements on GPU `ordinal`.
    pub(crate) fn new(buffer: DeviceBuffer, dtype: DType, ordinal: usize) -> CudaStorage {
        debug_assert_eq!(buffer.len_bytes() % dtype.size_in_bytes(), 0);
        CudaStorage {
            buffer: Arc::new(buffer),
            dtype,
            ordinal,
        }
    }

    /// The device buffer.
    pub(crate) fn buffer(&self) -> &DeviceBuffer {
        &self.buffer
    }

    /// The device buffer, shared (for transfers that outlive a borrow).
    pub(crate) fn shared_buffer(&self) -> Arc<DeviceBuffer> {
        Arc::clone(&self.buffer)
    }

    /// The element type.
    pub(crate) fn dtype(&self) -> DType {
        self.dtype
    }

    /// The GPU the bytes are on.
    pub(crate) fn device(&self) -> Device {
        Device::Cuda(self.ordinal)
    }
}
