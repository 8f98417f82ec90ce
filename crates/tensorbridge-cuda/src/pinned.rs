//! The pool of pinned (page-locked) host staging buffers of a device.
//! Allocated with flags 0 (not write-combined: the host reads downloads
//! back), each [`STAGING_BYTES`] long; at most [`POOL_MAX`] are kept.

use std::sync::Mutex;

use cudarc::driver::PinnedHostSlice;

/// Bytes of one staging buffer.
pub(crate) const STAGING_BYTES: usize = 8 << 20;
/// Staging buffers kept for reuse.
pub(crate) const POOL_MAX: usize = 4;

/// Free staging buffers.
#[derive(Default)]
pub(crate) struct PinnedPool {
    pub(crate) free: Mutex<Vec<PinnedHostSlice<u8>>>,
}
