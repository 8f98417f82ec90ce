//! Copies from one GPU to another ([`CudaDevice::copy_to_device`]): one
//! `cuMemcpyPeerAsync`, ordered with the work of both devices by events,
//! never by waiting on the host. Peer access is not enabled, so the driver
//! stages the bytes itself (over NVLink or PCIe peer transfers only once a
//! later change enables access between GPUs that have it); either way no
//! pinned staging of ours and no host wait is involved.
#![expect(
    unsafe_code,
    reason = "cuMemcpyPeerAsync is an unsafe fn of cudarc's raw bindings"
)]

use crate::error::DriverContext;
use crate::launch::same_device;
use crate::{CudaDevice, CudaError, DeviceBuffer, Result};

impl CudaDevice {
    /// `bytes` bytes of `src` (a buffer of this device) from byte `offset`,
    /// copied into a new buffer on `dst`. Nothing waits on the host: the
    /// copy runs after the work queued on both devices, and work queued on
    /// `dst` afterwards runs after it. The same device makes a plain device
    /// copy.
    ///
    /// **Errors**: [`CudaError::InvalidArgument`] when the range runs past
    /// `src` or `src` is on another device; as [`CudaDevice::alloc`] on
    /// `dst`; driver errors.
    ///
    /// ```
    /// use tensorbridge_cuda::{CudaDevice, ElemType, StridedLayout};
    ///
    /// if let (Ok(a), Ok(b)) = (CudaDevice::get(0), CudaDevice::get(1)) {
    ///     let src = a.upload(&[1, 2, 3, 4, 5])?;
    ///     let copy = a.copy_to_device(&src, 1, 3, &b)?;
    ///     assert_eq!(copy.device().ordinal(), 1);
    ///     let mut host = [0u8; 3];
    ///     b.download(&copy, ElemType::U8, StridedLayout::new(&[3], &[1]), &mut host)?;
    ///     assert_eq!(host, [2, 3, 4]);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn copy_to_device(
        &self,
        src: &DeviceBuffer,
        offset: usize,
        bytes: usize,
        dst: &CudaDevice,
    ) -> Result<DeviceBuffer> {
        same_device(self, &[src])?;
        if offset
            .checked_add(bytes)
            .is_none_or(|end| end > src.len_bytes())
        {
            return Err(CudaError::InvalidArgument(format!(
                "copy_to_device: {bytes} bytes from byte {offset} run past a buffer of {} bytes",
                src.len_bytes()
            )));
        }
        let out = dst.alloc(bytes)?;
        if bytes == 0 {
            return Ok(out);
        }
        if dst.ordinal() == self.ordinal() {
            self.dtod(&out, 0, src, offset, bytes)?;
            return Ok(out);
        }
        // The new block may have been freed by work still queued on `dst`
        // (stream-ordered reuse): the copy waits for that work.
        let ready = dst.stream.record_event(None).ctx("recording an event")?;
        self.stream.wait(&ready).ctx("cuStreamWaitEvent")?;
        self.bind()?;
        // SAFETY: `offset..offset + bytes` lies in `src` (checked above) and
        // `out` holds `bytes` bytes; both stay allocated until the copy is
        // done, as their blocks return to caches ordered on these streams
        // (src's after the copy on this stream, out's after the event below).
        unsafe {
            cudarc::driver::result::memcpy_peer_async(
                dst.ctx.cu_ctx(),
                out.device_ptr(),
                self.ctx.cu_ctx(),
                src.device_ptr() + offset as u64,
                bytes,
                self.stream.cu_stream(),
            )
        }
        .ctx("cuMemcpyPeerAsync")?;
        let ordered = self
            .stream
            .record_event(None)
            .and_then(|done| dst.stream.wait(&done))
            .ctx("ordering a GPU-to-GPU copy");
        if let Err(e) = ordered {
            // `out` must not go back to dst's cache while the copy may
            // still write it: wait for the copy before dropping it.
            let _ = self.synchronize();
            return Err(e);
        }
        Ok(out)
    }
}
