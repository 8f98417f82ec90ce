//! Index kernels: `gather` (index_select, gather, gather_with_padding),
//! `pad_segments`, `scatter_nd`, `segment_sum`, `segment_ids_from_splits`.
//!
//! Every index is read from device memory and checked by the kernel before
//! it addresses anything; the first bad position (lowest flat position) is
//! recorded in a device-side error flag, which the backend reads after the
//! launch and turns into [`CudaError::IndexOutOfBounds`](crate::CudaError::IndexOutOfBounds)
//! or [`CudaError::InvalidArgument`](crate::CudaError::InvalidArgument)
//! — never an out-of-bounds access.

use crate::elementwise::not_built;
use crate::ops::{Indices, ScatterMode};
use crate::{CudaDevice, DeviceBuffer, ElemType, Result, StridedLayout};

impl CudaDevice {
    /// Gathers along `axis` of `params_layout`: output dims are
    /// `dims[..axis] + [indices.len] + dims[axis + 1..]` (the caller
    /// reshapes multi-dimensional indices), C order. With `fill` (a
    /// contiguous row of `dims[axis + 1..]` elements, core's
    /// `gather_with_padding` on axis 0), an index of `-1` gives the fill
    /// row.
    ///
    /// **Errors**: [`CudaError::IndexOutOfBounds`](crate::CudaError::IndexOutOfBounds)
    /// for the first index outside `0..dims[axis]` (or `-1` with `fill`);
    /// [`CudaError::InvalidArgument`](crate::CudaError::InvalidArgument) for
    /// a bad axis, sizes or layouts.
    ///
    /// ```
    /// use tensorbridge_cuda::{CudaDevice, ElemType, Indices, StridedLayout};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let p = dev.upload(&[10, 11, 12])?;
    ///     let ib = dev.upload(&[2i32.to_ne_bytes(), 0i32.to_ne_bytes()].concat())?;
    ///     let mut out = dev.alloc(2)?;
    ///     let idx = Indices::new(&ib, ElemType::I32, 2)?;
    ///     dev.gather(ElemType::U8, &p, StridedLayout::new(&[3], &[1]), 0, idx, None, &mut out)?;
    ///     let mut host = [0u8; 2];
    ///     dev.download(&out, ElemType::U8, StridedLayout::new(&[2], &[1]), &mut host)?;
    ///     assert_eq!(host, [12, 10]);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    #[expect(
        clippy::too_many_arguments,
        reason = "params, axis, indices, fill and output"
    )]
    pub fn gather(
        &self,
        elem: ElemType,
        params: &DeviceBuffer,
        params_layout: StridedLayout<'_>,
        axis: usize,
        indices: Indices<'_>,
        fill: Option<&DeviceBuffer>,
        out: &mut DeviceBuffer,
    ) -> Result<()> {
        let _ = (elem, params, params_layout, axis, indices, fill, out);
        Err(not_built("gather"))
    }

    /// Core's `pad_segments`: row `r` of the C-order output `[nrows, width,
    /// inner...]` holds values rows `row_splits[r]..row_splits[r + 1]`
    /// (at most `width` of them) of `values_layout` (`[nvals, inner...]`),
    /// then copies of `fill` (a contiguous row of `inner` elements).
    ///
    /// **Errors**: [`CudaError::InvalidArgument`](crate::CudaError::InvalidArgument)
    /// naming the first split outside `0..=nvals` or smaller than the one
    /// before (found on the device), or bad sizes.
    ///
    /// ```
    /// use tensorbridge_cuda::{CudaDevice, ElemType, Indices, StridedLayout};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let v = dev.upload(&[1, 2, 3])?;
    ///     let s = dev.upload(&[0i64, 2, 3].map(i64::to_ne_bytes).concat())?;
    ///     let fill = dev.upload(&[0])?;
    ///     let mut out = dev.alloc(4)?;
    ///     let splits = Indices::new(&s, ElemType::I64, 3)?;
    ///     dev.pad_segments(ElemType::U8, &v, StridedLayout::new(&[3], &[1]), splits, 2, &fill, &mut out)?;
    ///     let mut host = [9u8; 4];
    ///     dev.download(&out, ElemType::U8, StridedLayout::new(&[4], &[1]), &mut host)?;
    ///     assert_eq!(host, [1, 2, 3, 0]);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    #[expect(
        clippy::too_many_arguments,
        reason = "values, splits, width, fill and output"
    )]
    pub fn pad_segments(
        &self,
        elem: ElemType,
        values: &DeviceBuffer,
        values_layout: StridedLayout<'_>,
        row_splits: Indices<'_>,
        width: usize,
        fill: &DeviceBuffer,
        out: &mut DeviceBuffer,
    ) -> Result<()> {
        let _ = (elem, values, values_layout, row_splits, width, fill, out);
        Err(not_built("pad_segments"))
    }

    /// Core's `scatter_nd` into `out` (C-order `out_dims`, already filled
    /// with the fill value by the caller): `indices` holds `n` rows of `k`
    /// coordinates (`indices.len == n * k`), `updates` is contiguous
    /// `[n] + out_dims[k..]`. `Last`: the highest row naming a position
    /// wins; `Add`: updates are added to the fill value (integers exact;
    /// floats in an unspecified order, within ulps of core; f16/bf16
    /// accumulate in f32 and round once); `Error`: a repeat is an error
    /// naming the first repeating row and the row it repeats.
    ///
    /// **Errors**: [`CudaError::IndexOutOfBounds`](crate::CudaError::IndexOutOfBounds)
    /// for the first coordinate outside its dim;
    /// [`CudaError::InvalidArgument`](crate::CudaError::InvalidArgument) for
    /// repeats in mode `Error`, `k` over the rank, or sizes that disagree.
    ///
    /// ```
    /// use tensorbridge_cuda::{CudaDevice, ElemType, Indices, ScatterMode, StridedLayout};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let ib = dev.upload(&[1i64, 1].map(i64::to_ne_bytes).concat())?;
    ///     let up = dev.upload(&[5, 6])?;
    ///     let mut out = dev.alloc_zeroed(3)?;
    ///     let idx = Indices::new(&ib, ElemType::I64, 2)?;
    ///     dev.scatter_nd(ElemType::U8, ScatterMode::Add, idx, 1, &up, &[3], &mut out)?;
    ///     let mut host = [9u8; 3];
    ///     dev.download(&out, ElemType::U8, StridedLayout::new(&[3], &[1]), &mut host)?;
    ///     assert_eq!(host, [0, 11, 0]);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    #[expect(clippy::too_many_arguments, reason = "core's scatter_nd arguments")]
    pub fn scatter_nd(
        &self,
        elem: ElemType,
        mode: ScatterMode,
        indices: Indices<'_>,
        k: usize,
        updates: &DeviceBuffer,
        out_dims: &[usize],
        out: &mut DeviceBuffer,
    ) -> Result<()> {
        let _ = (elem, mode, indices, k, updates, out_dims, out);
        Err(not_built("scatter_nd"))
    }

    /// Core's `segment_sum`: `out` (C-order `[num_segments, inner...]`)
    /// row `s` is the sum of the rows of `data_layout` (`[n, inner...]`)
    /// whose id is `s`; rows no id names are 0. Integers exact (wrapping);
    /// floats in an unspecified order (within ulps of core); f16/bf16
    /// accumulate in f32 and round once.
    ///
    /// **Errors**: [`CudaError::IndexOutOfBounds`](crate::CudaError::IndexOutOfBounds)
    /// for the first id outside `0..num_segments`; bool is
    /// [`CudaError::Unsupported`](crate::CudaError::Unsupported).
    ///
    /// ```
    /// use tensorbridge_cuda::{CudaDevice, ElemType, Indices, StridedLayout};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let d = dev.upload(&[1, 2, 3])?;
    ///     let ids = dev.upload(&[0i32, 0, 1].map(i32::to_ne_bytes).concat())?;
    ///     let mut out = dev.alloc(2)?;
    ///     let idx = Indices::new(&ids, ElemType::I32, 3)?;
    ///     dev.segment_sum(ElemType::U8, &d, StridedLayout::new(&[3], &[1]), idx, 2, &mut out)?;
    ///     let mut host = [0u8; 2];
    ///     dev.download(&out, ElemType::U8, StridedLayout::new(&[2], &[1]), &mut host)?;
    ///     assert_eq!(host, [3, 3]);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn segment_sum(
        &self,
        elem: ElemType,
        data: &DeviceBuffer,
        data_layout: StridedLayout<'_>,
        segment_ids: Indices<'_>,
        num_segments: usize,
        out: &mut DeviceBuffer,
    ) -> Result<()> {
        let _ = (elem, data, data_layout, segment_ids, num_segments, out);
        Err(not_built("segment_sum"))
    }

    /// The segment id of every value of a ragged tensor: `out` (`I64`,
    /// `row_splits[last]` entries) holds `r` at positions
    /// `row_splits[r]..row_splits[r + 1]`.
    ///
    /// **Errors**: [`CudaError::InvalidArgument`](crate::CudaError::InvalidArgument)
    /// when `row_splits` is empty, does not start at 0, decreases, or its
    /// last entry is not `out`'s length (checked on the device).
    ///
    /// ```
    /// use tensorbridge_cuda::{CudaDevice, ElemType, Indices, StridedLayout};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let s = dev.upload(&[0i64, 2, 2, 3].map(i64::to_ne_bytes).concat())?;
    ///     let mut out = dev.alloc(3 * 8)?;
    ///     dev.segment_ids_from_splits(Indices::new(&s, ElemType::I64, 4)?, &mut out)?;
    ///     let mut host = [0u8; 24];
    ///     dev.download(&out, ElemType::I64, StridedLayout::new(&[3], &[1]), &mut host)?;
    ///     let ids: Vec<i64> = host.chunks(8).map(|c| i64::from_ne_bytes(c.try_into().unwrap())).collect();
    ///     assert_eq!(ids, [0, 0, 2]);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn segment_ids_from_splits(
        &self,
        row_splits: Indices<'_>,
        out: &mut DeviceBuffer,
    ) -> Result<()> {
        let _ = (row_splits, out);
        Err(not_built("segment_ids_from_splits"))
    }
}
