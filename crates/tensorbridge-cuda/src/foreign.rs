//! Device memory shared with other libraries (DLPack): buffers over memory
//! another library allocated, and the stream hand-off that orders another
//! library's stream after this device's work.
//!
//! Every device of this backend works on one stream of the device's primary
//! context, the context PyTorch, CuPy and JAX use too, so device pointers
//! pass between them as they are.
#![expect(
    unsafe_code,
    reason = "raw device pointers, stream handles and pointer attributes of other libraries"
)]

use std::any::Any;

use cudarc::driver::sys::{self, CUmemorytype, CUpointer_attribute, CUresult};

use crate::error::{DriverContext, code_name};
use crate::{CudaDevice, CudaError, DeviceBuffer, Result};

/// DLPack's and the driver's handle of the legacy default stream.
pub const LEGACY_DEFAULT_STREAM: usize = 1;
/// DLPack's and the driver's handle of the per-thread default stream.
pub const PER_THREAD_DEFAULT_STREAM: usize = 2;

/// Checks that `len` bytes at device address `ptr` can be described: a
/// non-null address for a nonzero size, and an end that does not overflow.
pub(crate) fn check_range(ptr: u64, len: usize) -> Result<()> {
    if len == 0 {
        return Ok(());
    }
    if ptr == 0 {
        return Err(CudaError::InvalidArgument(format!(
            "wrap_foreign: the device address is null for {len} bytes"
        )));
    }
    let end = u64::try_from(len).ok().and_then(|l| ptr.checked_add(l));
    if end.is_none() {
        return Err(CudaError::InvalidArgument(format!(
            "wrap_foreign: device address {ptr:#x} + {len} bytes overflows the address space"
        )));
    }
    Ok(())
}

impl CudaDevice {
    /// A buffer over `len` bytes of device memory at `ptr` that another
    /// library allocated (a DLPack import), without a copy. The buffer
    /// keeps `owner` and drops it when the buffer is dropped, after this
    /// device's stream has finished every queued use of the memory; the
    /// caching allocator never sees the memory. Dropping `owner` is how
    /// the producer learns that the memory is free (a DLPack deleter).
    ///
    /// The driver is asked where `ptr` lives: it must be device memory (or
    /// managed memory) of this device.
    ///
    /// **Errors**: [`CudaError::InvalidArgument`] for a null address with a
    /// nonzero size, a range that overflows, or an address the driver does
    /// not know or places on another device or on the host. On every error
    /// `owner` is dropped before returning.
    ///
    /// # Safety
    ///
    /// `ptr..ptr + len` must be device memory readable from this device's
    /// primary context, valid and unchanged (nobody writes it while the
    /// buffer is in use) until `owner` is dropped.
    ///
    /// ```
    /// use tensorbridge_cuda::CudaDevice;
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let mine = dev.upload(&[1, 2, 3, 4])?;
    ///     let ptr = mine.device_ptr();
    ///     // SAFETY: `mine`, moved into the owner, keeps the 4 bytes alive.
    ///     let shared = unsafe { dev.wrap_foreign(ptr, 4, Box::new(mine))? };
    ///     assert!(shared.is_foreign());
    ///     assert_eq!(shared.device_ptr(), ptr);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub unsafe fn wrap_foreign(
        &self,
        ptr: u64,
        len: usize,
        owner: Box<dyn Any + Send + Sync>,
    ) -> Result<DeviceBuffer> {
        check_range(ptr, len)?;
        if len > 0 {
            self.check_pointer(ptr)?;
        }
        Ok(DeviceBuffer::foreign(self.arc(), ptr, len, owner))
    }

    /// Asks the driver whether `ptr` is device or managed memory on this
    /// device.
    fn check_pointer(&self, ptr: u64) -> Result<()> {
        self.bind()?;
        let mut kind: u32 = 0;
        // SAFETY: `kind` is a valid u32 out-parameter, the type the driver
        // writes for CU_POINTER_ATTRIBUTE_MEMORY_TYPE; the driver only reads
        // its own tables for `ptr`, never the memory.
        let r = unsafe {
            sys::cuPointerGetAttribute(
                (&raw mut kind).cast(),
                CUpointer_attribute::CU_POINTER_ATTRIBUTE_MEMORY_TYPE,
                ptr,
            )
        };
        if r != CUresult::CUDA_SUCCESS {
            return Err(CudaError::InvalidArgument(format!(
                "wrap_foreign: the driver does not know device address {ptr:#x} ({})",
                code_name(r)
            )));
        }
        if kind != CUmemorytype::CU_MEMORYTYPE_DEVICE as u32
            && kind != CUmemorytype::CU_MEMORYTYPE_UNIFIED as u32
        {
            return Err(CudaError::InvalidArgument(format!(
                "wrap_foreign: address {ptr:#x} is not device memory (driver memory type {kind})"
            )));
        }
        let mut ordinal: i32 = -1;
        // SAFETY: as above; CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL writes an int.
        let r = unsafe {
            sys::cuPointerGetAttribute(
                (&raw mut ordinal).cast(),
                CUpointer_attribute::CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL,
                ptr,
            )
        };
        if r != CUresult::CUDA_SUCCESS {
            return Err(CudaError::InvalidArgument(format!(
                "wrap_foreign: the driver cannot place device address {ptr:#x} ({})",
                code_name(r)
            )));
        }
        if usize::try_from(ordinal).ok() != Some(self.ordinal()) {
            return Err(CudaError::InvalidArgument(format!(
                "wrap_foreign: address {ptr:#x} is on CUDA device {ordinal}, not on device {}",
                self.ordinal()
            )));
        }
        Ok(())
    }

    /// Makes another library's `stream` wait for everything queued on this
    /// device so far, without blocking the host: an event recorded on this
    /// device's stream, waited on by `stream`. This is the DLPack stream
    /// hand-off: after it, work the consumer queues on `stream` sees the
    /// bytes this device wrote.
    ///
    /// `stream` is a `CUstream` handle of this device's primary context,
    /// or [`LEGACY_DEFAULT_STREAM`] (1) or [`PER_THREAD_DEFAULT_STREAM`]
    /// (2), the driver's (and DLPack's) names for the default streams.
    ///
    /// **Errors**: [`CudaError::InvalidArgument`] for stream 0 (ambiguous in
    /// DLPack); driver errors.
    ///
    /// # Safety
    ///
    /// `stream` must be 1, 2 or a live stream of this device's primary
    /// context.
    ///
    /// ```
    /// use tensorbridge_cuda::{CudaDevice, LEGACY_DEFAULT_STREAM};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     // SAFETY: the legacy default stream always exists.
    ///     unsafe { dev.make_stream_wait(LEGACY_DEFAULT_STREAM)? };
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub unsafe fn make_stream_wait(&self, stream: usize) -> Result<()> {
        if stream == 0 {
            return Err(CudaError::InvalidArgument(
                "make_stream_wait: stream 0 is ambiguous (DLPack forbids it); pass 1 for the \
                 legacy default stream or 2 for the per-thread default stream"
                    .into(),
            ));
        }
        self.bind()?;
        let event = self
            .stream
            .record_event(None)
            .ctx("recording a hand-off event")?;
        // SAFETY: the event is alive (dropped after this call; the driver
        // keeps a waited-on event's state until the wait resolves) and the
        // caller vouches for `stream`.
        unsafe {
            cudarc::driver::result::stream::wait_event(
                stream as sys::CUstream,
                event.cu_event(),
                sys::CUevent_wait_flags::CU_EVENT_WAIT_DEFAULT,
            )
        }
        .ctx("cuStreamWaitEvent (the consumer's stream)")
    }

    /// The raw `CUstream` handle of this device's one stream, for other
    /// libraries (DLPack's `stream=` argument when this device imports).
    ///
    /// ```
    /// use tensorbridge_cuda::CudaDevice;
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     assert!(dev.stream_handle() > 2); // a created stream, not a default one
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn stream_handle(&self) -> usize {
        self.stream.cu_stream() as usize
    }

    /// Makes this device's stream wait for everything queued so far on
    /// another library's `stream`, without blocking the host: the mirror
    /// of [`CudaDevice::make_stream_wait`], for imports whose producer
    /// hands over its stream instead of waiting on ours.
    ///
    /// **Errors**: [`CudaError::InvalidArgument`] for stream 0; driver
    /// errors.
    ///
    /// # Safety
    ///
    /// As [`CudaDevice::make_stream_wait`]: `stream` must be 1, 2 or a
    /// live stream of this device's primary context.
    ///
    /// ```
    /// use tensorbridge_cuda::{CudaDevice, LEGACY_DEFAULT_STREAM};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     // SAFETY: the legacy default stream always exists.
    ///     unsafe { dev.wait_for_stream(LEGACY_DEFAULT_STREAM)? };
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub unsafe fn wait_for_stream(&self, stream: usize) -> Result<()> {
        if stream == 0 {
            return Err(CudaError::InvalidArgument(
                "wait_for_stream: stream 0 is ambiguous (DLPack forbids it); pass 1 for the \
                 legacy default stream or 2 for the per-thread default stream"
                    .into(),
            ));
        }
        self.bind()?;
        let event = self.ctx.new_event(None).ctx("creating a hand-off event")?;
        // SAFETY: the caller vouches for `stream`; the event is alive.
        unsafe { cudarc::driver::result::event::record(event.cu_event(), stream as sys::CUstream) }
            .ctx("cuEventRecord (the producer's stream)")?;
        self.stream
            .wait(&event)
            .ctx("cuStreamWaitEvent (this device's stream)")
    }

    /// Waits for all work of this device's primary context: this device's
    /// stream and every stream other libraries (PyTorch, CuPy) run in it.
    /// Used before memory shared with another library goes back to the
    /// caching allocator, when that library's streams may still read it.
    ///
    /// ```
    /// use tensorbridge_cuda::CudaDevice;
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     dev.synchronize_context()?;
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn synchronize_context(&self) -> Result<()> {
        self.ctx.synchronize().ctx("cuCtxSynchronize")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_need_an_address_and_must_not_overflow() {
        assert!(check_range(0, 0).is_ok());
        assert!(check_range(0x1000, 16).is_ok());
        let e = check_range(0, 4).unwrap_err();
        assert!(e.to_string().contains("null for 4 bytes"), "{e}");
        let e = check_range(u64::MAX - 3, 8).unwrap_err();
        assert!(e.to_string().contains("overflows"), "{e}");
        assert!(check_range(u64::MAX - 8, 8).is_ok());
    }
}
