//! Index kernels: `gather` (index_select, gather, gather_with_padding),
//! `pad_segments`, `scatter_nd`, `segment_sum`, `segment_ids_from_splits`.
//!
//! Every index is read from device memory and checked by the kernel before
//! it addresses anything; the first bad position (lowest flat position) is
//! recorded in a device-side error flag, which the backend reads after the
//! launch and turns into [`CudaError::IndexOutOfBounds`](crate::CudaError::IndexOutOfBounds)
//! or [`CudaError::InvalidArgument`](crate::CudaError::InvalidArgument)
//! — never an out-of-bounds access.
#![expect(
    unsafe_code,
    reason = "reading one owner entry back for the repeat message"
)]

use crate::kernels::INDEX;
use crate::launch::{check_out, grid, launch, same_device, size_suffix};
use crate::layout::{MAX_RANK, Meta, pack};
use crate::ops::{Indices, ScatterMode, check_index_elem};
use crate::{CudaDevice, CudaError, DeviceBuffer, ElemType, Result, StridedLayout};

/// Bytes of one accumulator of the atomic kernels for `elem` (`Atom<T>::Acc`
/// in index.cu).
pub(crate) fn acc_size(elem: ElemType) -> usize {
    match elem {
        ElemType::U64 | ElemType::I64 | ElemType::F64 | ElemType::C64 => 8,
        ElemType::C128 => 16,
        _ => 4,
    }
}

/// Whether scatter-add may add straight into the output (the accumulator
/// type is the element type: `scatter_add_direct_*` in index.cu).
fn direct_add(elem: ElemType) -> bool {
    matches!(
        elem,
        ElemType::U32
            | ElemType::I32
            | ElemType::U64
            | ElemType::I64
            | ElemType::F32
            | ElemType::F64
            | ElemType::C64
            | ElemType::C128
    )
}

/// The product of `dims`, or an error naming `what`.
fn product(what: &str, dims: &[usize]) -> Result<usize> {
    dims.iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| {
            CudaError::InvalidArgument(format!("{what}: the element count of {dims:?} overflows"))
        })
}

/// A `Meta` that only carries dims (for coordinate checks and positions).
fn dims_meta(dims: &[usize]) -> Result<Meta> {
    if dims.len() > MAX_RANK {
        return Err(CudaError::InvalidArgument(format!(
            "{} index coordinates exceed the CUDA backend's maximum rank {MAX_RANK}",
            dims.len()
        )));
    }
    let mut m = Meta {
        rank: dims.len() as u32,
        contiguous: 0,
        offset: 0,
        dims: [1; MAX_RANK],
        strides: [0; MAX_RANK],
    };
    for (a, &d) in dims.iter().enumerate() {
        m.dims[a] = d as u64;
    }
    Ok(m)
}

fn wide(idx: &Indices<'_>) -> u32 {
    u32::from(idx.elem == ElemType::I64)
}

impl CudaDevice {
    /// Checks every entry of `idx` lies in `0..bound` (or is -1 when
    /// `minus_one`), on the device.
    fn check_indices(
        &self,
        what: &'static str,
        idx: &Indices<'_>,
        bound: usize,
        minus_one: bool,
    ) -> Result<()> {
        if idx.len == 0 {
            return Ok(());
        }
        let flag = self.new_flag()?;
        let (ip, w, count, b, m1, fp) = (
            idx.buffer.device_ptr(),
            wide(idx),
            idx.len as u64,
            bound as u64,
            u32::from(minus_one),
            flag.device_ptr(),
        );
        let f = self.function(&INDEX, "check_range")?;
        // check_range(const void* idx, u32 wide, u64 count, u64 bound, u32 minus_one, u64* err)
        launch!(self, f, grid(count); &ip, &w, &count, &b, &m1, &fp)?;
        if let Some(pos) = self.read_flag(&flag)? {
            let pos = pos as usize;
            let value = self.read_index(idx, pos)?;
            let bound = if minus_one {
                format!("0..{bound} or -1 (padding)")
            } else {
                format!("0..{bound}")
            };
            return Err(CudaError::IndexOutOfBounds {
                what,
                position: pos,
                value,
                bound,
            });
        }
        Ok(())
    }

    /// Checks row splits on the device: each in `0..=max_value`, none
    /// smaller than the one before; `strict`: the first is 0 and the last
    /// is `max_value`.
    fn check_splits(&self, splits: &Indices<'_>, max_value: usize, strict: bool) -> Result<()> {
        let flag = self.new_flag()?;
        let (sp, w, count, mv, st, fp) = (
            splits.buffer.device_ptr(),
            wide(splits),
            splits.len as u64,
            max_value as u64,
            u32::from(strict),
            flag.device_ptr(),
        );
        let f = self.function(&INDEX, "check_splits")?;
        // check_splits(const void* splits, u32 wide, u64 count, u64 max_value, u32 strict, u64* err)
        launch!(self, f, grid(count); &sp, &w, &count, &mv, &st, &fp)?;
        let Some(r) = self.read_flag(&flag)? else {
            return Ok(());
        };
        let r = r as usize;
        let v = self.read_index(splits, r)?;
        let msg = if v < 0 || v as u128 > max_value as u128 {
            format!("row_splits[{r}] = {v} is outside 0..={max_value} (the number of values)")
        } else if r > 0 && v < self.read_index(splits, r - 1)? {
            let prev = self.read_index(splits, r - 1)?;
            format!(
                "row_splits[{r}] = {v} is less than row_splits[{}] = {prev}; row splits must not decrease",
                r - 1
            )
        } else if r == 0 {
            format!("row_splits[0] = {v} must be 0")
        } else {
            format!("row_splits[{r}] = {v} (the last split) must equal {max_value}")
        };
        Err(CudaError::InvalidArgument(msg))
    }
}

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
        same_device(self, &[params, indices.buffer, out])?;
        check_index_elem("indices", indices.elem)?;
        let rank = params_layout.dims.len();
        if axis >= rank {
            return Err(CudaError::InvalidArgument(format!(
                "gather: axis {axis} is out of range for params of rank {rank}"
            )));
        }
        params_layout.check("gather params", elem, params.len_bytes())?;
        let n_axis = params_layout.dims[axis];
        let mut out_dims = params_layout.dims.to_vec();
        out_dims[axis] = indices.len;
        let total = product("gather output", &out_dims)?;
        let inner = product("gather rows", &params_layout.dims[axis + 1..])?;
        check_out("gather", out, elem, total)?;
        if let Some(f) = fill {
            same_device(self, &[f])?;
            check_out("gather fill row", f, elem, inner)?;
        }
        self.check_indices("indices", &indices, n_axis, fill.is_some())?;
        if total == 0 {
            return Ok(());
        }
        let mut pm = dims_meta(&out_dims)?;
        pm.offset = params_layout.offset as u64;
        for (a, &s) in params_layout.strides.iter().enumerate() {
            pm.strides[a] = s as i64;
        }
        let (ax, ip, w, sp) = (
            axis as u32,
            indices.buffer.device_ptr(),
            wide(&indices),
            params.device_ptr(),
        );
        let (fp, op, t, inn) = (
            fill.map_or(0, DeviceBuffer::device_ptr),
            out.device_ptr(),
            total as u64,
            inner as u64,
        );
        let f = self.function(&INDEX, &format!("gather_{}", size_suffix(elem)))?;
        // gather_bN(Meta pm, u32 axis, const void* idx, u32 wide, const T* src, const T* fill, T* out, u64 total, u64 inner)
        launch!(self, f, grid(t); &pm, &ax, &ip, &w, &sp, &fp, &op, &t, &inn)
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
        same_device(self, &[values, row_splits.buffer, fill, out])?;
        check_index_elem("row_splits", row_splits.elem)?;
        if values_layout.dims.is_empty() {
            return Err(CudaError::InvalidArgument(
                "pad_segments: the values are a scalar; they need at least one axis of rows".into(),
            ));
        }
        if row_splits.len == 0 {
            return Err(CudaError::InvalidArgument(
                "pad_segments: row_splits must have at least one entry".into(),
            ));
        }
        values_layout.check("pad_segments values", elem, values.len_bytes())?;
        let nvals = values_layout.dims[0];
        let inner = product("pad_segments rows", &values_layout.dims[1..])?;
        let nrows = row_splits.len - 1;
        let total = product("pad_segments output", &[nrows, width, inner])?;
        check_out("pad_segments", out, elem, total)?;
        check_out("pad_segments fill row", fill, elem, inner)?;
        self.check_splits(&row_splits, nvals, false)?;
        if total == 0 {
            return Ok(());
        }
        let vm = pack(&[values_layout])?[0];
        let (vp, spp, w, fp, op) = (
            values.device_ptr(),
            row_splits.buffer.device_ptr(),
            wide(&row_splits),
            fill.device_ptr(),
            out.device_ptr(),
        );
        let (t, wd, inn) = (total as u64, width as u64, inner as u64);
        let f = self.function(&INDEX, &format!("pad_{}", size_suffix(elem)))?;
        // pad_bN(Meta vm, const T* values, const void* splits, u32 wide, const T* fill, T* out, u64 total, u64 width, u64 inner)
        launch!(self, f, grid(t); &vm, &vp, &spp, &w, &fp, &op, &t, &wd, &inn)
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
        same_device(self, &[indices.buffer, updates, out])?;
        check_index_elem("indices", indices.elem)?;
        if mode == ScatterMode::Add {
            self.check_elem(elem)?;
        }
        if mode == ScatterMode::Add && elem == ElemType::Bool {
            return Err(CudaError::Unsupported(
                "scatter_nd: sums are not defined for bool; cast to an integer dtype first".into(),
            ));
        }
        if k > out_dims.len() {
            return Err(CudaError::InvalidArgument(format!(
                "scatter_nd: {k} coordinates per row exceed the {} axes of {out_dims:?}",
                out_dims.len()
            )));
        }
        let dm = dims_meta(&out_dims[..k])?;
        let total = product("scatter_nd output", out_dims)?;
        let inner = product("scatter_nd rows", &out_dims[k..])?;
        let positions = product("scatter_nd positions", &out_dims[..k])?;
        let size = elem.size_bytes();
        let n = if k == 0 {
            (updates.len_bytes() / size).checked_div(inner).unwrap_or(0)
        } else {
            if indices.len % k != 0 {
                return Err(CudaError::InvalidArgument(format!(
                    "scatter_nd: {} index entries are not whole rows of {k}",
                    indices.len
                )));
            }
            indices.len / k
        };
        let n_up = product("scatter_nd updates", &[n, inner])?;
        check_out("scatter_nd", out, elem, total)?;
        check_out("scatter_nd updates", updates, elem, n_up)?;
        // An empty output still has its coordinates checked, and repeats
        // refused in Error mode, as on the CPU; only rows of no elements
        // (or no rows at all) are skipped.
        if n == 0 || (k == 0 && total == 0) {
            return Ok(());
        }
        if n >= u32::MAX as usize {
            return Err(CudaError::Unsupported(format!(
                "scatter_nd: {n} rows exceed 2^32 - 1"
            )));
        }
        if k > 0 {
            let flag = self.new_flag()?;
            let (ip, w, cnt, kk, fp) = (
                indices.buffer.device_ptr(),
                wide(&indices),
                indices.len as u64,
                k as u32,
                flag.device_ptr(),
            );
            let f = self.function(&INDEX, "check_coords")?;
            // check_coords(const void* idx, u32 wide, u64 total, u32 k, Meta dm, u64* err)
            launch!(self, f, grid(cnt); &ip, &w, &cnt, &kk, &dm, &fp)?;
            if let Some(e) = self.read_flag(&flag)? {
                let e = e as usize;
                let value = self.read_index(&indices, e)?;
                return Err(CudaError::IndexOutOfBounds {
                    what: "indices",
                    position: e,
                    value,
                    bound: format!("0..{} (axis {} of {out_dims:?})", out_dims[e % k], e % k),
                });
            }
        }
        let (ip, w, n64, kk) = (
            indices.buffer.device_ptr(),
            wide(&indices),
            n as u64,
            k as u32,
        );
        let (up, op, tot_up, inn) = (
            updates.device_ptr(),
            out.device_ptr(),
            n_up as u64,
            inner as u64,
        );
        if n_up == 0 && mode != ScatterMode::Error {
            return Ok(());
        }
        if mode == ScatterMode::Add && direct_add(elem) {
            let f = self.function(&INDEX, &format!("scatter_add_direct_{}", elem.suffix()))?;
            // scatter_add_direct_T(const void* idx, u32 wide, u32 k, Meta dm, const T* updates, T* out, u64 total, u64 inner)
            return launch!(self, f, grid(tot_up); &ip, &w, &kk, &dm, &up, &op, &tot_up, &inn);
        }
        if mode != ScatterMode::Add {
            // Distinct positions (the common case) need no owner table: a
            // bitmap finds out, then every row writes its own position.
            let bits = self.alloc_zeroed(positions.div_ceil(32) * 4)?;
            let flag = self.new_flag()?;
            let (bp, fp) = (bits.device_ptr(), flag.device_ptr());
            let f = self.function(&INDEX, "scatter_mark")?;
            // scatter_mark(const void* idx, u32 wide, u64 n, u32 k, Meta dm, u32* bits, u64* err)
            launch!(self, f, grid(n64); &ip, &w, &n64, &kk, &dm, &bp, &fp)?;
            if self.read_flag(&flag)?.is_none() {
                if n_up == 0 {
                    return Ok(());
                }
                let f = self.function(&INDEX, &format!("scatter_write_{}", size_suffix(elem)))?;
                // scatter_write_bN(const void* idx, u32 wide, u32 k, Meta dm, const T* updates, T* out, u64 total, u64 inner)
                return launch!(self, f, grid(tot_up); &ip, &w, &kk, &dm, &up, &op, &tot_up, &inn);
            }
        }
        // Repeated positions: an owner per position decides (the lowest
        // row for the error message, the highest for Last), or marks the
        // positions an accumulator adds to.
        let owner = self.alloc(positions * 4)?;
        let owp = owner.device_ptr();
        let claim = |mode_code: u32| -> Result<()> {
            let f = self.function(&INDEX, "scatter_claim")?;
            // scatter_claim(const void* idx, u32 wide, u64 n, u32 k, Meta dm, u32* owner, u32 mode)
            launch!(self, f, grid(n64); &ip, &w, &n64, &kk, &dm, &owp, &mode_code)
        };
        if mode == ScatterMode::Error {
            self.memset(&owner, 0, positions * 4, 0xff)?;
            claim(0)?;
            let flag = self.new_flag()?;
            let fp = flag.device_ptr();
            let f = self.function(&INDEX, "scatter_repeats")?;
            // scatter_repeats(const void* idx, u32 wide, u64 n, u32 k, Meta dm, const u32* owner, u64* err)
            launch!(self, f, grid(n64); &ip, &w, &n64, &kk, &dm, &owp, &fp)?;
            if let Some(row) = self.read_flag(&flag)? {
                let row = row as usize;
                let coords: Vec<i64> = (0..k)
                    .map(|j| self.read_index(&indices, row * k + j))
                    .collect::<Result<_>>()?;
                let pos = coords
                    .iter()
                    .zip(out_dims)
                    .fold(0usize, |p, (&c, &d)| p * d + c as usize);
                let mut first = [0u8; 4];
                // SAFETY: `pos` < positions (coordinates were checked), so
                // the 4 bytes lie inside `owner`; `first` lives until the sync.
                unsafe { self.dtoh_raw(&mut first, owp + (pos * 4) as u64)? };
                self.synchronize()?;
                let first = u32::from_ne_bytes(first);
                let text: Vec<String> = coords.iter().map(i64::to_string).collect();
                return Err(CudaError::InvalidArgument(format!(
                    "indices[{row}] = [{}] repeats indices[{first}]; each position may be named \
                     once (ScatterMode::Last or ScatterMode::Add combine repeats)",
                    text.join(", ")
                )));
            }
        }
        self.memset(&owner, 0, positions * 4, 0)?;
        let tot = total as u64;
        if mode == ScatterMode::Add {
            claim(2)?;
            let acc = self.alloc_zeroed(total * acc_size(elem))?;
            let ap = acc.device_ptr();
            let f = self.function(&INDEX, &format!("scatter_add_{}", elem.suffix()))?;
            // scatter_add_T(const void* idx, u32 wide, u32 k, Meta dm, const T* updates, Acc* acc, u64 total, u64 inner)
            launch!(self, f, grid(tot_up); &ip, &w, &kk, &dm, &up, &ap, &tot_up, &inn)?;
            let f = self.function(&INDEX, &format!("scatter_finish_{}", elem.suffix()))?;
            // scatter_finish_T(const u32* owner, T* out, const Acc* acc, u64 total, u64 inner)
            return launch!(self, f, grid(tot); &owp, &op, &ap, &tot, &inn);
        }
        claim(1)?;
        let f = self.function(&INDEX, &format!("scatter_last_{}", size_suffix(elem)))?;
        // scatter_last_bN(const void* idx, u32 wide, u32 k, Meta dm, const u32* owner, const T* updates, T* out, u64 total, u64 inner)
        launch!(self, f, grid(tot_up); &ip, &w, &kk, &dm, &owp, &up, &op, &tot_up, &inn)
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
        same_device(self, &[data, segment_ids.buffer, out])?;
        check_index_elem("segment_ids", segment_ids.elem)?;
        if elem == ElemType::Bool {
            return Err(CudaError::Unsupported(
                "segment_sum: sums are not defined for bool; cast to an integer dtype first".into(),
            ));
        }
        self.check_elem(elem)?;
        if data_layout.dims.is_empty() {
            return Err(CudaError::InvalidArgument(
                "segment_sum: data is a scalar; it needs an axis of rows to sum".into(),
            ));
        }
        let n = data_layout.dims[0];
        if segment_ids.len != n {
            return Err(CudaError::InvalidArgument(format!(
                "segment_sum: {} segment ids for {n} rows of data",
                segment_ids.len
            )));
        }
        let data_n = data_layout.check("segment_sum data", elem, data.len_bytes())?;
        let inner = product("segment_sum rows", &data_layout.dims[1..])?;
        let total = product("segment_sum output", &[num_segments, inner])?;
        check_out("segment_sum", out, elem, total)?;
        self.check_indices("segment_ids", &segment_ids, num_segments, false)?;
        if total == 0 {
            return Ok(());
        }
        let acc = self.alloc_zeroed(total * acc_size(elem))?;
        let ap = acc.device_ptr();
        if data_n > 0 {
            let dm = pack(&[data_layout])?[0];
            let (dp, ip, w, dn, inn) = (
                data.device_ptr(),
                segment_ids.buffer.device_ptr(),
                wide(&segment_ids),
                data_n as u64,
                inner as u64,
            );
            let f = self.function(&INDEX, &format!("segment_add_{}", elem.suffix()))?;
            // segment_add_T(Meta dm, const T* data, const void* ids, u32 wide, Acc* acc, u64 total, u64 inner)
            launch!(self, f, grid(dn); &dm, &dp, &ip, &w, &ap, &dn, &inn)?;
        }
        let (op, tot) = (out.device_ptr(), total as u64);
        let f = self.function(&INDEX, &format!("segment_finish_{}", elem.suffix()))?;
        // segment_finish_T(const Acc* acc, T* out, u64 total)
        launch!(self, f, grid(tot); &ap, &op, &tot)
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
        same_device(self, &[row_splits.buffer, out])?;
        check_index_elem("row_splits", row_splits.elem)?;
        if row_splits.len == 0 {
            return Err(CudaError::InvalidArgument(
                "segment_ids_from_splits: row_splits must have at least one entry".into(),
            ));
        }
        let last = self.read_index(&row_splits, row_splits.len - 1)?;
        let total = usize::try_from(last).map_err(|_| {
            CudaError::InvalidArgument(format!(
                "row_splits[{}] = {last} (the last split) must be >= 0",
                row_splits.len - 1
            ))
        })?;
        check_out("segment_ids_from_splits", out, ElemType::I64, total)?;
        self.check_splits(&row_splits, total, true)?;
        if total == 0 {
            return Ok(());
        }
        let (sp, w, nrows, op, t) = (
            row_splits.buffer.device_ptr(),
            wide(&row_splits),
            (row_splits.len - 1) as u64,
            out.device_ptr(),
            total as u64,
        );
        let f = self.function(&INDEX, "ids_from_splits")?;
        // ids_from_splits(const void* splits, u32 wide, u64 nrows, i64* out, u64 total)
        launch!(self, f, grid(t); &sp, &w, &nrows, &op, &t)
    }
}
