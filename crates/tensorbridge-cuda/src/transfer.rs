//! Host ↔ device transfers through pinned staging buffers, chunked and
//! pipelined (two buffers, events between them); strided downloads gather
//! on the device first (one staging-sized chunk at a time) so only the
//! needed bytes cross the bus and device memory stays bounded too.
#![expect(unsafe_code, reason = "raw async copies to and from pinned memory")]

use std::sync::Arc;

use cudarc::driver::{CudaEvent, PinnedHostSlice};

use crate::error::DriverContext;
use crate::launch::same_device;
use crate::pinned::{DIRECT_BYTES, STAGING_BYTES};
use crate::{CudaDevice, CudaError, DeviceBuffer, ElemType, Result, StridedLayout};

/// Where the bytes of a download come from.
enum Source<'a> {
    /// `bytes` contiguous bytes at a device address.
    Contiguous { ptr: u64 },
    /// The C-order elements of a strided layout, gathered chunk by chunk.
    Strided {
        buf: &'a DeviceBuffer,
        elem: ElemType,
        layout: StridedLayout<'a>,
    },
}

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
pub struct PendingDownload {
    len: usize,
    pinned: Option<PinnedHostSlice<u8>>,
    done: Option<CudaEvent>,
    // Kept alive until the copy has finished.
    _src: Arc<DeviceBuffer>,
    _temp: Option<DeviceBuffer>,
}

impl Drop for PendingDownload {
    fn drop(&mut self) {
        // A handle dropped without `wait` must not free the pinned memory
        // while the copy into it may still run.
        if let Some(done) = &self.done {
            let _ = done.synchronize();
        }
    }
}

impl std::fmt::Debug for PendingDownload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingDownload")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
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
        let mut out = vec![0u8; self.len];
        self.wait_into(&mut out)?;
        Ok(out)
    }

    /// Blocks until the copy is done and copies the bytes (C order) into
    /// `dst`, which must be exactly [`PendingDownload::len_bytes`] long: one
    /// copy out of the pinned buffer, straight into the caller's memory
    /// (an array's own `Vec`, say). Waiting on several downloads of one
    /// device costs one wait: they run in order on the device's stream, so
    /// once the last is done the others are too (see
    /// [`CudaDevice::synchronize`]).
    ///
    /// **Errors**: [`CudaError::InvalidArgument`] when `dst` has another
    /// length; a driver error of the copy.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tensorbridge_cuda::{CudaDevice, ElemType, StridedLayout};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let a = Arc::new(dev.upload(&[1, 2])?);
    ///     let b = Arc::new(dev.upload(&[3, 4, 5])?);
    ///     // Both copies are queued before anything waits.
    ///     let pa = dev.download_async(a, ElemType::U8, StridedLayout::new(&[2], &[1]))?;
    ///     let pb = dev.download_async(b, ElemType::U8, StridedLayout::new(&[3], &[1]))?;
    ///     dev.synchronize()?; // the one wait
    ///     let (mut x, mut y) = ([0u8; 2], [0u8; 3]);
    ///     pa.wait_into(&mut x)?;
    ///     pb.wait_into(&mut y)?;
    ///     assert_eq!((x, y), ([1, 2], [3, 4, 5]));
    ///     let pc = dev.download_async(Arc::new(dev.upload(&[6])?), ElemType::U8, StridedLayout::new(&[1], &[1]))?;
    ///     assert!(pc.wait_into(&mut [0u8; 2]).is_err());
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn wait_into(self, dst: &mut [u8]) -> Result<()> {
        if dst.len() != self.len {
            return Err(CudaError::InvalidArgument(format!(
                "PendingDownload::wait_into: the destination has {} bytes, the download {}",
                dst.len(),
                self.len
            )));
        }
        if let Some(done) = &self.done {
            done.synchronize()
                .ctx("waiting for an asynchronous download")?;
        }
        if let Some(p) = &self.pinned {
            copy_parallel(dst, &p.as_slice().ctx("reading pinned memory")?[..self.len]);
        }
        Ok(())
    }

    /// The number of bytes the download delivers (the elements of its
    /// layout times the element size).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tensorbridge_cuda::{CudaDevice, ElemType, StridedLayout};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let buf = Arc::new(dev.upload(&[0; 8])?);
    ///     let p = dev.download_async(buf, ElemType::U16, StridedLayout::new(&[2], &[2]))?;
    ///     assert_eq!(p.len_bytes(), 4);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn len_bytes(&self) -> usize {
        self.len
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
        self.done.as_ref().is_none_or(CudaEvent::is_complete)
    }
}

/// One view to fetch in [`CudaDevice::download_many`]: the elements of
/// `layout` over `src`, in C order, into `dst` (exactly their bytes).
pub struct DownloadItem<'a, 'b> {
    /// The buffer the view reads.
    pub src: &'a DeviceBuffer,
    /// The element type.
    pub elem: ElemType,
    /// The view, in elements.
    pub layout: StridedLayout<'a>,
    /// Where the bytes go: `numel * elem.size_bytes()` long.
    pub dst: &'b mut [u8],
}

impl std::fmt::Debug for DownloadItem<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadItem")
            .field("elem", &self.elem)
            .field("dims", &self.layout.dims)
            .field("dst_len", &self.dst.len())
            .finish_non_exhaustive()
    }
}

/// Places items of the given sizes (each `1..=cap` bytes) one after the
/// other in buffers of `cap` bytes, opening a new buffer when the next item
/// does not fit: `(buffer, offset)` per item.
pub(crate) fn pack(sizes: &[usize], cap: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(sizes.len());
    let (mut buffer, mut used) = (0usize, 0usize);
    for &size in sizes {
        if used > 0 && size > cap - used {
            buffer += 1;
            used = 0;
        }
        out.push((buffer, used));
        used += size;
    }
    out
}

/// Copies `src` into `dst` (same length) on rayon's threads when it is
/// large: one core's memcpy out of (or into) pinned memory is slower than
/// the bus, and the first touch of fresh destination pages is too.
pub(crate) fn copy_parallel(dst: &mut [u8], src: &[u8]) {
    use rayon::prelude::*;
    const PART: usize = 1 << 20;
    if src.len() < 2 * PART {
        dst.copy_from_slice(src);
        return;
    }
    dst.par_chunks_mut(PART)
        .zip(src.par_chunks(PART))
        .for_each(|(d, s)| d.copy_from_slice(s));
}

impl CudaDevice {
    /// Checks a download's layout and returns its element count and source.
    fn source<'a>(
        &self,
        src: &'a DeviceBuffer,
        elem: ElemType,
        layout: StridedLayout<'a>,
    ) -> Result<(usize, Source<'a>)> {
        same_device(self, &[src])?;
        let n = layout.check("download", elem, src.len_bytes())?;
        if layout.is_c_contiguous() {
            let ptr = src.device_ptr() + (layout.offset * elem.size_bytes()) as u64;
            Ok((n, Source::Contiguous { ptr }))
        } else {
            Ok((
                n,
                Source::Strided {
                    buf: src,
                    elem,
                    layout,
                },
            ))
        }
    }

    /// Streams the `total` bytes of `source` to `sink` in order, chunk by
    /// chunk through two pinned staging buffers: the device fills one while
    /// the host drains the other.
    fn stream_out(
        &self,
        source: &Source<'_>,
        total: usize,
        sink: &mut dyn FnMut(usize, &[u8]) -> Result<()>,
    ) -> Result<()> {
        if total == 0 {
            return Ok(());
        }
        // Strided sources are gathered into this device chunk first.
        let temp = match source {
            Source::Strided { .. } => Some(self.alloc(total.min(STAGING_BYTES))?),
            Source::Contiguous { .. } => None,
        };
        let chunk_src = |offset: usize, len: usize| -> Result<u64> {
            match (source, &temp) {
                (Source::Contiguous { ptr }, _) => Ok(ptr + offset as u64),
                (Source::Strided { buf, elem, layout }, Some(t)) => {
                    let size = elem.size_bytes();
                    let (first, count) = ((offset / size) as u64, (len / size) as u64);
                    self.gather_range(*elem, buf, *layout, first, count, t.device_ptr())?;
                    Ok(t.device_ptr())
                }
                (Source::Strided { .. }, None) => unreachable!("a strided source has a temp"),
            }
        };
        if total <= DIRECT_BYTES {
            let mut host = vec![0u8; total];
            let ptr = chunk_src(0, total)?;
            // SAFETY: `ptr` addresses `total` bytes (checked layout, or the
            // temp chunk); `host` lives until the synchronize below.
            unsafe { self.dtoh_raw(&mut host, ptr)? };
            self.synchronize()?;
            return sink(0, &host);
        }
        let mut staging = [self.take_staging()?, self.take_staging()?];
        let mut pending: [Option<(CudaEvent, usize, usize)>; 2] = [None, None];
        let result = (|| -> Result<()> {
            let chunks = total.div_ceil(STAGING_BYTES);
            for c in 0..=chunks {
                if c < chunks {
                    let s = c % 2;
                    let offset = c * STAGING_BYTES;
                    let len = STAGING_BYTES.min(total - offset);
                    let ptr = chunk_src(offset, len)?;
                    let host = &mut staging[s].as_mut_slice().ctx("pinned staging")?[..len];
                    // SAFETY: `ptr` addresses `len` readable device bytes;
                    // the pinned buffer outlives the copy, and it is read
                    // only after the event recorded below has completed.
                    unsafe { self.dtoh_raw(host, ptr)? };
                    let ev = self
                        .stream
                        .record_event(None)
                        .ctx("recording a copy event")?;
                    pending[s] = Some((ev, offset, len));
                }
                if c > 0 {
                    let s = (c - 1) % 2;
                    if let Some((ev, offset, len)) = pending[s].take() {
                        ev.synchronize().ctx("waiting for a staged copy")?;
                        sink(offset, &staging[s].as_slice().ctx("pinned staging")?[..len])?;
                    }
                }
            }
            Ok(())
        })();
        result.and(self.pool_staging_pair(staging))
    }

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
        let buf = self.alloc(host.len())?;
        if host.is_empty() {
            return Ok(buf);
        }
        let base = buf.device_ptr();
        if host.len() <= DIRECT_BYTES {
            // SAFETY: the buffer holds host.len() bytes; from pageable memory
            // the driver stages the bytes before returning, and the
            // synchronize keeps `host` borrowed until the copy is done anyway.
            unsafe { self.htod_raw(base, host)? };
            self.synchronize()?;
            return Ok(buf);
        }
        let mut staging = [self.take_staging()?, self.take_staging()?];
        let mut events: [Option<CudaEvent>; 2] = [None, None];
        let result = (|| -> Result<()> {
            for (c, chunk) in host.chunks(STAGING_BYTES).enumerate() {
                let s = c % 2;
                if let Some(ev) = events[s].take() {
                    // The copy that last read this staging buffer is done.
                    ev.synchronize().ctx("waiting for a staged upload")?;
                }
                let pinned = &mut staging[s].as_mut_slice().ctx("pinned staging")?[..chunk.len()];
                copy_parallel(pinned, chunk);
                let dst = base + (c * STAGING_BYTES) as u64;
                // SAFETY: the chunk lies inside the buffer; the pinned memory
                // is not touched again before the event recorded below.
                unsafe { self.htod_raw(dst, pinned)? };
                events[s] = Some(
                    self.stream
                        .record_event(None)
                        .ctx("recording a copy event")?,
                );
            }
            Ok(())
        })();
        result.and(self.pool_staging_pair(staging))?;
        Ok(buf)
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
        let (n, source) = self.source(src, elem, layout)?;
        let total = n * elem.size_bytes();
        if dst.len() != total {
            return Err(CudaError::InvalidArgument(format!(
                "download: the destination has {} bytes but the {n} {elem} elements of the layout \
                 need {total}",
                dst.len()
            )));
        }
        self.stream_out(&source, total, &mut |offset, bytes| {
            copy_parallel(&mut dst[offset..offset + bytes.len()], bytes);
            Ok(())
        })
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
        let (n, source) = self.source(&src, elem, layout)?;
        let total = n * elem.size_bytes();
        if total == 0 {
            return Ok(PendingDownload {
                len: 0,
                pinned: None,
                done: None,
                _src: src,
                _temp: None,
            });
        }
        let (ptr, temp) = match source {
            Source::Contiguous { ptr } => (ptr, None),
            Source::Strided { buf, elem, layout } => {
                let t = self.alloc(total)?;
                self.gather_range(elem, buf, layout, 0, n as u64, t.device_ptr())?;
                (t.device_ptr(), Some(t))
            }
        };
        let mut pinned = self.alloc_pinned(total)?;
        {
            let host = &mut pinned.as_mut_slice().ctx("pinned memory")?[..total];
            // SAFETY: `ptr` addresses `total` readable bytes kept alive by
            // `src`/`temp` in the handle; the pinned memory lives in the
            // handle and is read only after `done` completes.
            unsafe { self.dtoh_raw(host, ptr)? };
        }
        let done = self
            .stream
            .record_event(None)
            .ctx("recording a copy event")?;
        Ok(PendingDownload {
            len: total,
            pinned: Some(pinned),
            done: Some(done),
            _src: src,
            _temp: temp,
        })
    }

    /// Downloads several views at once with one wait: the small ones
    /// (up to one staging buffer each) are packed into pooled pinned
    /// staging buffers, every copy (and every gather of a strided view) is
    /// queued first, then the device is synchronized once and the bytes are
    /// copied out into each destination; larger views take the pipelined
    /// path of [`CudaDevice::download`]. This is how a structure of device
    /// tensors converts with one sync (core's `ToNumpy`).
    ///
    /// **Errors**: as [`CudaDevice::download`], for the first bad item
    /// (checked before anything is queued).
    ///
    /// ```
    /// use tensorbridge_cuda::{CudaDevice, DownloadItem, ElemType, StridedLayout};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let a = dev.upload(&[1, 2, 3])?;
    ///     let b = dev.upload(&[0, 1, 2, 3, 4, 5])?;
    ///     let (mut x, mut y) = ([0u8; 3], [0u8; 2]);
    ///     dev.download_many(&mut [
    ///         DownloadItem { src: &a, elem: ElemType::U8, layout: StridedLayout::new(&[3], &[1]), dst: &mut x },
    ///         DownloadItem { src: &b, elem: ElemType::U8, layout: StridedLayout { dims: &[2], strides: &[3], offset: 1 }, dst: &mut y },
    ///     ])?;
    ///     assert_eq!((x, y), ([1, 2, 3], [1, 4]));
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn download_many(&self, items: &mut [DownloadItem<'_, '_>]) -> Result<()> {
        let mut sources = Vec::with_capacity(items.len());
        for item in items.iter() {
            let (n, source) = self.source(item.src, item.elem, item.layout)?;
            let total = n * item.elem.size_bytes();
            if item.dst.len() != total {
                return Err(CudaError::InvalidArgument(format!(
                    "download_many: a destination has {} bytes but the {n} {} elements of its \
                     layout need {total}",
                    item.dst.len(),
                    item.elem
                )));
            }
            sources.push((total, source));
        }
        let small: Vec<usize> = (0..items.len())
            .filter(|&i| sources[i].0 > 0 && sources[i].0 <= STAGING_BYTES)
            .collect();
        let places = pack(
            &small.iter().map(|&i| sources[i].0).collect::<Vec<_>>(),
            STAGING_BYTES,
        );
        let buffers = places.iter().map(|&(b, _)| b + 1).max().unwrap_or(0);
        let mut staging = Vec::with_capacity(buffers);
        let mut temps = Vec::new();
        let result = (|| -> Result<()> {
            for _ in 0..buffers {
                staging.push(self.take_staging()?);
            }
            for (&i, &(b, offset)) in small.iter().zip(&places) {
                let (total, source) = &sources[i];
                let ptr = match source {
                    Source::Contiguous { ptr } => *ptr,
                    Source::Strided { buf, elem, layout } => {
                        let t = self.alloc(*total)?;
                        let count = (*total / elem.size_bytes()) as u64;
                        self.gather_range(*elem, buf, *layout, 0, count, t.device_ptr())?;
                        let ptr = t.device_ptr();
                        temps.push(t);
                        ptr
                    }
                };
                let host =
                    &mut staging[b].as_mut_slice().ctx("pinned staging")?[offset..offset + total];
                // SAFETY: `ptr` addresses `total` readable device bytes (the
                // checked layout, or a temp kept in `temps`); the pinned
                // range is this item's alone and is read only after the
                // synchronize below.
                unsafe { self.dtoh_raw(host, ptr)? };
            }
            self.synchronize()?;
            for (&i, &(b, offset)) in small.iter().zip(&places) {
                let total = sources[i].0;
                let host = &staging[b].as_slice().ctx("pinned staging")?[offset..offset + total];
                copy_parallel(items[i].dst, host);
            }
            Ok(())
        })();
        // Nothing may still write the staging buffers when they are pooled.
        let synced = if result.is_ok() {
            Ok(())
        } else {
            self.synchronize()
        };
        if synced.is_ok() {
            for b in staging {
                self.give_staging(b);
            }
        }
        drop(temps);
        result.and(synced)?;
        for (i, (total, source)) in sources.iter().enumerate() {
            if *total > STAGING_BYTES {
                let dst = &mut *items[i].dst;
                self.stream_out(source, *total, &mut |offset, bytes| {
                    copy_parallel(&mut dst[offset..offset + bytes.len()], bytes);
                    Ok(())
                })?;
            }
        }
        Ok(())
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
        let (n, source) = self.source(src, elem, layout)?;
        let total = n * elem.size_bytes();
        self.stream_out(&source, total, &mut |_, bytes| {
            w.write_all(bytes).map_err(|e| {
                CudaError::InvalidArgument(format!("download_to_writer: writing failed: {e}"))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{copy_parallel, pack};

    #[test]
    fn packing_fills_a_buffer_before_opening_the_next() {
        assert_eq!(pack(&[], 8), []);
        assert_eq!(
            pack(&[3, 5, 1, 8, 2], 8),
            [(0, 0), (0, 3), (1, 0), (2, 0), (3, 0)]
        );
        assert_eq!(pack(&[8, 8], 8), [(0, 0), (1, 0)]);
    }

    proptest::proptest! {
        /// Every item lies inside its buffer and no two items overlap.
        #[test]
        fn packed_items_fit_and_never_overlap(
            sizes in proptest::collection::vec(1usize..=64, 0..40),
        ) {
            let places = pack(&sizes, 64);
            proptest::prop_assert_eq!(places.len(), sizes.len());
            for (i, (&(b, o), &s)) in places.iter().zip(&sizes).enumerate() {
                proptest::prop_assert!(o + s <= 64);
                for (&(b2, o2), &s2) in places[..i].iter().zip(&sizes) {
                    proptest::prop_assert!(b != b2 || o2 + s2 <= o || o + s <= o2);
                }
            }
            // Buffers are opened in order, none left empty.
            let used = places.iter().map(|&(b, _)| b + 1).max().unwrap_or(0);
            proptest::prop_assert!(places.windows(2).all(|w| w[1].0 == w[0].0 || w[1].0 == w[0].0 + 1));
            proptest::prop_assert!(used <= sizes.len());
        }
    }

    #[test]
    fn parallel_copies_copy_every_byte() {
        for n in [0usize, 1, (1 << 20) - 1, 3 << 20, (8 << 20) + 7] {
            let src: Vec<u8> = (0..n).map(|i| (i * 131 % 251) as u8).collect();
            let mut dst = vec![0u8; n];
            copy_parallel(&mut dst, &src);
            assert!(dst == src, "{n} bytes");
        }
    }
}
