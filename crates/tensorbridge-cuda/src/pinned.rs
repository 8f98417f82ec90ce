//! The pool of pinned (page-locked) host staging buffers of a device:
//! allocated with flags 0 (not write-combined, since the host reads
//! downloads back), each [`STAGING_BYTES`] long; at most [`POOL_MAX`] are
//! kept for reuse.
#![expect(
    unsafe_code,
    reason = "cudarc's pinned host allocation is an unsafe fn"
)]

use std::sync::Mutex;

use cudarc::driver::PinnedHostSlice;

use crate::error::DriverContext;
use crate::{CudaDevice, Result};

/// Bytes of one staging buffer (a multiple of every element size).
pub(crate) const STAGING_BYTES: usize = 8 << 20;
/// Staging buffers kept for reuse.
pub(crate) const POOL_MAX: usize = 4;
/// Transfers up to this size skip the staging pipeline (one direct copy).
pub(crate) const DIRECT_BYTES: usize = 256 << 10;

/// Free staging buffers.
#[derive(Default)]
pub(crate) struct PinnedPool {
    free: Mutex<Vec<PinnedHostSlice<u8>>>,
}

impl CudaDevice {
    /// A staging buffer from the pool, or a new one.
    pub(crate) fn take_staging(&self) -> Result<PinnedHostSlice<u8>> {
        if let Some(b) = self
            .pinned
            .free
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
        {
            return Ok(b);
        }
        self.alloc_pinned(STAGING_BYTES)
    }

    /// Returns a staging buffer to the pool; the caller has synchronized
    /// every copy that used it.
    pub(crate) fn give_staging(&self, buf: PinnedHostSlice<u8>) {
        let mut free = self.pinned.free.lock().unwrap_or_else(|p| p.into_inner());
        if free.len() < POOL_MAX {
            free.push(buf);
        }
    }

    /// Waits for the stream, then returns a pipeline's two staging buffers
    /// to the pool: nothing may still write them once pooled. After a
    /// failed wait they are dropped instead.
    pub(crate) fn pool_staging_pair(&self, staging: [PinnedHostSlice<u8>; 2]) -> Result<()> {
        self.synchronize()?;
        let [a, b] = staging;
        self.give_staging(a);
        self.give_staging(b);
        Ok(())
    }

    /// `bytes` (> 0) of pinned host memory, flags 0 (cached, readable).
    pub(crate) fn alloc_pinned(&self, bytes: usize) -> Result<PinnedHostSlice<u8>> {
        // SAFETY: plain page-locked host memory (flags 0); it is only read
        // after the copies that write it have been synchronized.
        unsafe { self.ctx.alloc_pinned_with_flags::<u8>(bytes.max(1), 0) }
            .ctx("cuMemHostAlloc (pinned staging buffer)")
    }

    /// Staging buffers currently pooled.
    #[cfg(test)]
    pub(crate) fn pooled_staging(&self) -> usize {
        self.pinned
            .free
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }
}

#[cfg(test)]
mod tests {
    use crate::CudaDevice;

    #[test]
    fn staging_buffers_return_to_a_bounded_pool() {
        let dev = match CudaDevice::get(0) {
            Ok(d) => d,
            Err(e) => {
                let expect = std::env::var("TENSORBRIDGE_EXPECT_CUDA").is_ok_and(|v| v == "1");
                assert!(
                    !expect,
                    "TENSORBRIDGE_EXPECT_CUDA=1 but no CUDA device: {e}"
                );
                println!("SKIPPED: no CUDA device ({e})");
                return;
            }
        };
        // A pipelined upload takes two staging buffers and gives them back.
        let host = vec![7u8; 3 * super::STAGING_BYTES + 5];
        let before = dev.pooled_staging();
        let buf = dev.upload(&host).unwrap();
        assert!(dev.pooled_staging() >= before.max(2));
        assert!(dev.pooled_staging() <= super::POOL_MAX);
        drop(buf);
    }
}
