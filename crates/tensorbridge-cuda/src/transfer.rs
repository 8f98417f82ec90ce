//! Host ↔ device transfers through pinned staging buffers, chunked and
//! pipelined (two buffers, events between them); strided downloads gather
//! on the device first so only the needed bytes cross the bus.

use std::sync::Arc;

use crate::{CudaDevice, CudaError, DeviceBuffer, ElemType, Result, StridedLayout};

/// A download in flight, from [`CudaDevice::download_async`]; `wait` it
/// for the bytes.
///
/// ```
/// use std::sync::Arc;
/// use tensorbridge_cuda::{CudaDevice, ElemType, StridedLayout};
///
/// if let Ok(dev) = CudaDevice::get(0) {
///     let buf = Arc::new(dev.upload(&[1, 2, 3, 4])?);
///     let pending = dev.download_async(buf, ElemType::U8, StridedLayout::new(&[4], &[1]))?;
///     assert_eq!(pending.wait()?, [1, 2, 3, 4]);
/// }
/// # Ok::<(), tensorbridge_cuda::CudaError>(())
/// ```
#[derive(Debug)]
pub struct PendingDownload {
    pub(crate) bytes: Vec<u8>,
}

impl PendingDownload {
    /// Blocks until the copy is done and returns the bytes (C order).
    ///
    /// **Errors**: a driver error of the copy.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tensorbridge_cuda::{CudaDevice, ElemType, StridedLayout};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let buf = Arc::new(dev.upload(&[9; 3])?);
    ///     let p = dev.download_async(buf, ElemType::U8, StridedLayout::new(&[3], &[1]))?;
    ///     assert_eq!(p.wait()?, [9, 9, 9]);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn wait(self) -> Result<Vec<u8>> {
        Ok(self.bytes)
    }

    /// Whether the copy has finished (`wait` would not block).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tensorbridge_cuda::{CudaDevice, ElemType, StridedLayout};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let buf = Arc::new(dev.upload(&[1])?);
    ///     let p = dev.download_async(buf, ElemType::U8, StridedLayout::new(&[1], &[1]))?;
    ///     let _ = p.is_ready();
    ///     p.wait()?;
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn is_ready(&self) -> bool {
        true
    }
}

fn not_built(what: &str) -> CudaError {
    CudaError::Unsupported(format!("{what} not built yet"))
}

impl CudaDevice {
    /// Copies `host` to a new device buffer through pinned staging buffers,
    /// in chunks, the copy of one chunk overlapping the staging of the next.
    ///
    /// **Errors**: as [`CudaDevice::alloc`]; driver errors.
    ///
    /// ```
    /// use tensorbridge_cuda::CudaDevice;
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let buf = dev.upload(&[1, 2, 3])?;
    ///     assert_eq!(buf.len_bytes(), 3);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn upload(&self, host: &[u8]) -> Result<DeviceBuffer> {
        let _ = host;
        Err(not_built("upload"))
    }

    /// Copies exactly the elements of `layout` (in C order) into `dst`,
    /// whose length must be `numel * elem.size_bytes()`: a contiguous layout
    /// is one pipelined device-to-host copy of just its bytes; a strided one
    /// is gathered on the device into a compact temporary first, so only
    /// the bytes of the view cross the bus (never the whole buffer).
    ///
    /// **Errors**: [`CudaError::InvalidArgument`] when the layout does not
    /// fit `src` or `dst` has the wrong length; driver errors.
    ///
    /// ```
    /// use tensorbridge_cuda::{CudaDevice, ElemType, StridedLayout};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let buf = dev.upload(&[0, 1, 2, 3, 4, 5])?;
    ///     // Column 1 of a 2x3 matrix.
    ///     let col = StridedLayout { dims: &[2], strides: &[3], offset: 1 };
    ///     let mut out = [0u8; 2];
    ///     dev.download(&buf, ElemType::U8, col, &mut out)?;
    ///     assert_eq!(out, [1, 4]);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn download(
        &self,
        src: &DeviceBuffer,
        elem: ElemType,
        layout: StridedLayout<'_>,
        dst: &mut [u8],
    ) -> Result<()> {
        let _ = (src, elem, layout, dst);
        Err(not_built("download"))
    }

    /// Starts a download of the elements of `layout` and returns at once;
    /// the [`PendingDownload`] keeps `src` alive until the copy is done.
    ///
    /// **Errors**: as [`CudaDevice::download`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tensorbridge_cuda::{CudaDevice, ElemType, StridedLayout};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let buf = Arc::new(dev.upload(&7u32.to_ne_bytes())?);
    ///     let p = dev.download_async(buf, ElemType::U32, StridedLayout::new(&[], &[]))?;
    ///     assert_eq!(p.wait()?, 7u32.to_ne_bytes());
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn download_async(
        &self,
        src: Arc<DeviceBuffer>,
        elem: ElemType,
        layout: StridedLayout<'_>,
    ) -> Result<PendingDownload> {
        let _ = (src, elem, layout);
        Err(not_built("download_async"))
    }

    /// Streams the elements of `layout` (C order) to `w` through one fixed
    /// pinned staging buffer: host memory stays bounded by the staging size
    /// however large the buffer (G6).
    ///
    /// **Errors**: as [`CudaDevice::download`]; [`CudaError::InvalidArgument`]
    /// carrying the I/O error's text when `w` fails.
    ///
    /// ```
    /// use tensorbridge_cuda::{CudaDevice, ElemType, StridedLayout};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let buf = dev.upload(&[5, 6])?;
    ///     let mut out = Vec::new();
    ///     dev.download_to_writer(&buf, ElemType::U8, StridedLayout::new(&[2], &[1]), &mut out)?;
    ///     assert_eq!(out, [5, 6]);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn download_to_writer(
        &self,
        src: &DeviceBuffer,
        elem: ElemType,
        layout: StridedLayout<'_>,
        w: &mut dyn std::io::Write,
    ) -> Result<()> {
        let _ = (src, elem, layout, w);
        Err(not_built("download_to_writer"))
    }
}
