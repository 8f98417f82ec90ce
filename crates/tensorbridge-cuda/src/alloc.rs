//! The caching allocator (one per device) and [`DeviceBuffer`].
//!
//! Blocks are rounded up to size buckets (512 bytes below 1 MiB, 2 MiB
//! above) and a dropped buffer's block goes to its bucket's free list
//! instead of back to the driver. All work of a device runs on its one
//! stream, so a block freed by one operation and reused by the next is
//! ordered on the stream: no synchronization is needed (stream-ordered
//! frees). When the driver reports out-of-memory, the allocator
//! synchronizes, releases every cached block and retries once; a second
//! failure is [`CudaError::OutOfMemory`] with the request and the free
//! memory.
#![expect(
    unsafe_code,
    reason = "uninitialised device allocations (cudarc's alloc is an unsafe fn)"
)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use cudarc::driver::{CudaSlice, DevicePtr};

use crate::error::{DriverContext, driver, is_oom};
use crate::{CudaDevice, CudaError, Result};

/// Bytes below which blocks are rounded to [`SMALL_STEP`].
const SMALL_LIMIT: usize = 1 << 20;
/// Rounding of small blocks.
const SMALL_STEP: usize = 512;
/// Rounding of large blocks.
const LARGE_STEP: usize = 2 << 20;

/// The block size a request of `bytes` gets, or `None` when rounding up
/// overflows.
pub(crate) fn bucket(bytes: usize) -> Option<usize> {
    let step = if bytes < SMALL_LIMIT {
        SMALL_STEP
    } else {
        LARGE_STEP
    };
    bytes.checked_next_multiple_of(step)
}

/// Free lists by block size, and the bytes they hold.
#[derive(Default)]
pub(crate) struct Allocator {
    free: Mutex<FreeLists>,
}

#[derive(Default)]
struct FreeLists {
    lists: HashMap<usize, Vec<CudaSlice<u8>>>,
    cached_bytes: usize,
}

impl Allocator {
    fn take(&self, size: usize) -> Option<CudaSlice<u8>> {
        let mut f = self.free.lock().unwrap_or_else(|p| p.into_inner());
        let block = f.lists.get_mut(&size)?.pop()?;
        f.cached_bytes -= size;
        Some(block)
    }

    fn give_back(&self, block: CudaSlice<u8>) {
        let size = block.len();
        let mut f = self.free.lock().unwrap_or_else(|p| p.into_inner());
        f.cached_bytes += size;
        f.lists.entry(size).or_default().push(block);
    }

    /// Drops every cached block (the frees are queued on the stream).
    fn release(&self) -> usize {
        let mut f = self.free.lock().unwrap_or_else(|p| p.into_inner());
        let bytes = f.cached_bytes;
        f.lists.clear();
        f.cached_bytes = 0;
        bytes
    }

    fn cached(&self) -> usize {
        self.free
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .cached_bytes
    }
}

/// Bytes on one device from the caching allocator. Dropping it returns the
/// block to the device's cache (stream-ordered: later work on the device
/// may reuse it at once). `Send + Sync`. A 0-byte buffer is valid and
/// holds no device memory.
///
/// ```
/// use tensorbridge_cuda::CudaDevice;
///
/// if let Ok(dev) = CudaDevice::get(0) {
///     let buf = dev.alloc_zeroed(1000)?;
///     assert_eq!(buf.len_bytes(), 1000);
///     assert_eq!(buf.device().ordinal(), 0);
/// }
/// # Ok::<(), tensorbridge_cuda::CudaError>(())
/// ```
pub struct DeviceBuffer {
    device: Arc<CudaDevice>,
    block: Option<CudaSlice<u8>>,
    /// The owner of memory another library allocated (a DLPack import);
    /// dropped, after this device's stream has finished with the memory,
    /// when the buffer is. Never given to the caching allocator. It is only
    /// ever dropped, never used, so a panic cannot observe it half-changed:
    /// the buffer stays unwind-safe whatever the owner is.
    foreign: Option<std::panic::AssertUnwindSafe<Box<dyn std::any::Any + Send + Sync>>>,
    len: usize,
    ptr: u64,
}

impl std::fmt::Debug for DeviceBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceBuffer")
            .field("device", &self.device.ordinal())
            .field("len_bytes", &self.len)
            .field("foreign", &self.foreign.is_some())
            .finish_non_exhaustive()
    }
}

impl DeviceBuffer {
    /// The size in bytes (as requested; the block may be larger).
    ///
    /// ```
    /// use tensorbridge_cuda::CudaDevice;
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     assert_eq!(dev.alloc(0)?.len_bytes(), 0);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn len_bytes(&self) -> usize {
        self.len
    }

    /// The device the bytes are on.
    ///
    /// ```
    /// use tensorbridge_cuda::CudaDevice;
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let b = dev.alloc(16)?;
    ///     assert!(std::sync::Arc::ptr_eq(b.device(), &dev));
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn device(&self) -> &Arc<CudaDevice> {
        &self.device
    }

    /// The raw device address of the first byte (for DLPack); 0 for a
    /// 0-byte buffer. Valid while the buffer lives.
    ///
    /// ```
    /// use tensorbridge_cuda::CudaDevice;
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     assert_ne!(dev.alloc(4)?.device_ptr(), 0);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn device_ptr(&self) -> u64 {
        self.ptr
    }

    /// Whether the memory belongs to another library (made by
    /// [`CudaDevice::wrap_foreign`]): dropping the buffer drops its owner
    /// instead of caching the block.
    ///
    /// ```
    /// use tensorbridge_cuda::CudaDevice;
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     assert!(!dev.alloc(4)?.is_foreign());
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn is_foreign(&self) -> bool {
        self.foreign.is_some()
    }

    /// A buffer over `len` bytes at `ptr` that `owner` keeps alive (checked
    /// by the caller, [`CudaDevice::wrap_foreign`]).
    pub(crate) fn foreign(
        device: Arc<CudaDevice>,
        ptr: u64,
        len: usize,
        owner: Box<dyn std::any::Any + Send + Sync>,
    ) -> DeviceBuffer {
        DeviceBuffer {
            device,
            block: None,
            foreign: Some(std::panic::AssertUnwindSafe(owner)),
            len,
            ptr,
        }
    }
}

impl Drop for DeviceBuffer {
    fn drop(&mut self) {
        if let Some(block) = self.block.take() {
            self.device.allocator.give_back(block);
        }
        if let Some(owner) = self.foreign.take() {
            // Kernels and copies queued on this device's stream may still
            // read the memory, and its owner may free or reuse it as soon as
            // it is dropped: wait for them first. An error here is recorded
            // by the driver and reported by the next synchronize.
            let _ = self.device.stream.synchronize();
            drop(owner);
        }
    }
}

impl CudaDevice {
    /// `bytes` of uninitialised device memory from the caching allocator.
    ///
    /// **Errors**: [`CudaError::OutOfMemory`] when the driver cannot
    /// provide them even after a synchronize, a release of the cache and a
    /// retry; [`CudaError::InvalidArgument`] for a size that overflows when
    /// rounded up.
    ///
    /// ```
    /// use tensorbridge_cuda::CudaDevice;
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let b = dev.alloc(1 << 20)?;
    ///     assert_eq!(b.len_bytes(), 1 << 20);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn alloc(&self, bytes: usize) -> Result<DeviceBuffer> {
        let device = self.arc();
        if bytes == 0 {
            return Ok(DeviceBuffer {
                device,
                block: None,
                foreign: None,
                len: 0,
                ptr: 0,
            });
        }
        let size = bucket(bytes).ok_or_else(|| {
            CudaError::InvalidArgument(format!("a device allocation of {bytes} bytes overflows"))
        })?;
        let block = match self.allocator.take(size) {
            Some(b) => b,
            None => self.fresh_block(bytes, size)?,
        };
        let ptr = {
            let (ptr, _sync) = block.device_ptr(&self.stream);
            ptr
        };
        Ok(DeviceBuffer {
            device,
            ptr,
            block: Some(block),
            foreign: None,
            len: bytes,
        })
    }

    fn fresh_block(&self, bytes: usize, size: usize) -> Result<CudaSlice<u8>> {
        // SAFETY: the block is uninitialised device memory; callers of
        // `alloc` write it before reading (documented as uninitialised).
        match unsafe { self.stream.alloc::<u8>(size) } {
            Ok(b) => return Ok(b),
            Err(e) if !is_oom(&e) => return Err(driver("cuMemAllocAsync", e)),
            Err(_) => {}
        }
        // Out of memory: let queued frees finish, give the cache back, retry.
        self.synchronize()?;
        self.allocator.release();
        self.synchronize()?;
        // SAFETY: as above.
        match unsafe { self.stream.alloc::<u8>(size) } {
            Ok(b) => Ok(b),
            Err(e) if is_oom(&e) => {
                let free = self.mem_info().map(|(f, _)| f).unwrap_or(0);
                Err(CudaError::OutOfMemory {
                    requested: bytes,
                    free,
                })
            }
            Err(e) => Err(driver("cuMemAllocAsync", e)),
        }
    }

    /// `bytes` of zeroed device memory.
    ///
    /// **Errors**: as [`CudaDevice::alloc`].
    ///
    /// ```
    /// use tensorbridge_cuda::{CudaDevice, ElemType, StridedLayout};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let b = dev.alloc_zeroed(8)?;
    ///     let mut host = [1u8; 8];
    ///     dev.download(&b, ElemType::U8, StridedLayout::new(&[8], &[1]), &mut host)?;
    ///     assert_eq!(host, [0; 8]);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn alloc_zeroed(&self, bytes: usize) -> Result<DeviceBuffer> {
        let buf = self.alloc(bytes)?;
        if bytes > 0 {
            self.bind()?;
            // SAFETY: the range lies inside the buffer's block; the memset is
            // queued on the device's stream, ordered before any later use.
            unsafe {
                cudarc::driver::result::memset_d8_async(buf.ptr, 0, bytes, self.stream.cu_stream())
            }
            .ctx("cuMemsetD8Async")?;
        }
        Ok(buf)
    }

    /// Gives every cached free block back to the driver (after the queued
    /// work finishes); returns the bytes released.
    ///
    /// ```
    /// use tensorbridge_cuda::CudaDevice;
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     drop(dev.alloc(4096)?);
    ///     assert!(dev.cached_bytes() >= 4096);
    ///     dev.release_cache()?;
    ///     assert_eq!(dev.cached_bytes(), 0);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn release_cache(&self) -> Result<usize> {
        self.synchronize()?;
        let bytes = self.allocator.release();
        self.synchronize()?;
        Ok(bytes)
    }

    /// Bytes held in the allocator's free lists.
    ///
    /// ```
    /// use tensorbridge_cuda::CudaDevice;
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let _ = dev.cached_bytes();
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn cached_bytes(&self) -> usize {
        self.allocator.cached()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_round_up_by_size_class() {
        assert_eq!(bucket(1), Some(512));
        assert_eq!(bucket(512), Some(512));
        assert_eq!(bucket(513), Some(1024));
        assert_eq!(bucket((1 << 20) - 1), Some(1 << 20));
        assert_eq!(bucket(1 << 20), Some(2 << 20));
        assert_eq!(bucket((2 << 20) + 1), Some(4 << 20));
        assert_eq!(bucket(usize::MAX - 3), None);
    }

    proptest::proptest! {
        #[test]
        fn a_bucket_fits_its_request_and_wastes_less_than_a_step(n in 1usize..(1 << 34)) {
            let b = bucket(n).unwrap();
            proptest::prop_assert!(b >= n);
            let step = if n < SMALL_LIMIT { SMALL_STEP } else { LARGE_STEP };
            proptest::prop_assert!(b - n < step);
            proptest::prop_assert_eq!(b % step, 0);
        }
    }
}
