//! Reductions, index reductions and running scans.

use crate::kernels::REDUCE;
use crate::launch::{check_out, grid, launch, per_output, same_device};
use crate::layout::{Meta, pack};
use crate::ops::{ArgOp, CumOp, ReduceOp};
use crate::{CudaDevice, CudaError, DeviceBuffer, ElemType, Result, StridedLayout};

/// Elements one block of the first pass reduces, at least.
const PART_MIN: u64 = 1 << 15;
/// Blocks the first pass aims for in all.
const PARTS_TOTAL: u64 = 4096;
/// From this many outputs on, one block per output already fills a GPU.
const OUTPUTS_ENOUGH: u64 = 256;

/// How many parts each output's range splits into: 1 (one pass) unless few
/// outputs each reduce many elements.
pub(crate) fn split_parts(nout: u64, r: u64) -> u64 {
    if nout >= OUTPUTS_ENOUGH || r < 2 * PART_MIN {
        return 1;
    }
    (r / PART_MIN).clamp(1, (PARTS_TOTAL / nout.max(1)).max(1))
}

/// Bytes of one accumulator of `op` over `elem` (the `Acc` of the family in
/// reduce.cu).
pub(crate) fn acc_bytes(op: ReduceOp, elem: ElemType) -> usize {
    match op {
        ReduceOp::All | ReduceOp::Any => 4,
        ReduceOp::Mean if elem.is_int() => 8,
        _ if matches!(elem, ElemType::F16 | ElemType::BF16) => 4,
        _ => elem.size_bytes(),
    }
}

/// Splits `layout` after axis `at` into the kept part (with the layout's
/// offset) and the rest (offset 0), packed for the kernels, with the
/// element counts of both.
fn split(layout: &StridedLayout<'_>, at: usize) -> Result<(Meta, u64, Meta, u64)> {
    let (kd, rd) = layout.dims.split_at(at);
    let (ks, rs) = layout.strides.split_at(at);
    let kept = StridedLayout {
        dims: kd,
        strides: ks,
        offset: layout.offset,
    };
    let rest = StridedLayout {
        dims: rd,
        strides: rs,
        offset: 0,
    };
    Ok((
        pack(&[kept])?[0],
        kept.numel()? as u64,
        pack(&[rest])?[0],
        rest.numel()? as u64,
    ))
}

impl CudaDevice {
    /// Reduces the last `reduced_rank` axes of `layout` (the caller moves
    /// the reduced axes last); `out` holds one `op.output(elem)` per kept
    /// position, in C order. Integers are exact (wrapping); floats are
    /// summed in a different order than the CPU (a tree per output), so
    /// sums and means agree within a few ulps times `log2(n)`. Fewer than
    /// 256 outputs over at least 65536 elements each run in two passes
    /// (parts of each range, then their combination).
    ///
    /// **Errors**: [`CudaError::Unsupported`](crate::CudaError::Unsupported)
    /// for pairs core does not define; [`CudaError::InvalidArgument`](crate::CudaError::InvalidArgument)
    /// when `reduced_rank` exceeds the rank, a Max/Min reduces an empty
    /// axis, or a layout does not fit.
    ///
    /// ```
    /// use tensorbridge_cuda::{CudaDevice, ElemType, ReduceOp, StridedLayout};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let x = dev.upload(&[1, 2, 3, 4, 5, 6])?;
    ///     let mut out = dev.alloc(2)?;
    ///     // Sum the rows of a 2x3 u8 matrix.
    ///     dev.reduce(ReduceOp::Sum, ElemType::U8, &x, StridedLayout::new(&[2, 3], &[3, 1]), 1, &mut out)?;
    ///     let mut host = [0u8; 2];
    ///     dev.download(&out, ElemType::U8, StridedLayout::new(&[2], &[1]), &mut host)?;
    ///     assert_eq!(host, [6, 15]);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn reduce(
        &self,
        op: ReduceOp,
        elem: ElemType,
        src: &DeviceBuffer,
        layout: StridedLayout<'_>,
        reduced_rank: usize,
        out: &mut DeviceBuffer,
    ) -> Result<()> {
        same_device(self, &[src, out])?;
        let out_elem = op.output(elem)?;
        self.check_elem(elem)?;
        layout.check("reduce input", elem, src.len_bytes())?;
        let rank = layout.dims.len();
        if reduced_rank > rank {
            return Err(CudaError::InvalidArgument(format!(
                "reduce: reduced_rank {reduced_rank} exceeds the rank {rank} of the input"
            )));
        }
        let (km, nout, rm, r) = split(&layout, rank - reduced_rank)?;
        check_out("reduce", out, out_elem, nout as usize)?;
        if nout == 0 {
            return Ok(());
        }
        if r == 0 && matches!(op, ReduceOp::Max | ReduceOp::Min) {
            return Err(CudaError::InvalidArgument(format!(
                "reduce: {op:?} of an empty axis (dims {:?}) has no identity",
                layout.dims
            )));
        }
        let entry = match op {
            ReduceOp::Sum | ReduceOp::Mean | ReduceOp::Prod => "reduce_sum_",
            ReduceOp::Max | ReduceOp::Min => "reduce_ext_",
            ReduceOp::All | ReduceOp::Any => "reduce_truth_",
        };
        let f = self.function(&REDUCE, &format!("{entry}{}", elem.suffix()))?;
        let (code, sp, outp) = (op.code(), src.device_ptr(), out.device_ptr());
        let parts = split_parts(nout, r);
        if parts == 1 {
            let (zero, stage) = (0u64, 0u32);
            // reduce_*_T(u32 op, Meta km, Meta rm, const T* src, O* out, u64 nout, u64 r, u64 parts, void* partial, u32 stage)
            return launch!(self, f, per_output(nout); &code, &km, &rm, &sp, &outp, &nout, &r, &parts, &zero, &stage);
        }
        // Few outputs over many elements: every output's range is split
        // into `parts` blocks whose accumulators a second launch combines.
        let partial = self.alloc(nout as usize * parts as usize * acc_bytes(op, elem))?;
        let pp = partial.device_ptr();
        let (first, second) = (1u32, 2u32);
        launch!(self, f.clone(), per_output(nout * parts); &code, &km, &rm, &sp, &outp, &nout, &r, &parts, &pp, &first)?;
        launch!(self, f, per_output(nout); &code, &km, &rm, &sp, &outp, &nout, &r, &parts, &pp, &second)
    }

    /// The index (`I64`) of the first maximum/minimum along the last axis
    /// of `layout`, the first NaN winning; `out` is C-order over the other
    /// axes.
    ///
    /// **Errors**: [`CudaError::InvalidArgument`](crate::CudaError::InvalidArgument)
    /// for an empty or missing last axis, a complex type, or a layout that
    /// does not fit.
    ///
    /// ```
    /// use tensorbridge_cuda::{ArgOp, CudaDevice, ElemType, StridedLayout};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let x = dev.upload(&[3, 9, 9, 1])?;
    ///     let mut out = dev.alloc(8)?;
    ///     dev.arg_reduce(ArgOp::Max, ElemType::U8, &x, StridedLayout::new(&[4], &[1]), &mut out)?;
    ///     let mut host = [0u8; 8];
    ///     dev.download(&out, ElemType::I64, StridedLayout::new(&[], &[]), &mut host)?;
    ///     assert_eq!(i64::from_ne_bytes(host), 1);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn arg_reduce(
        &self,
        op: ArgOp,
        elem: ElemType,
        src: &DeviceBuffer,
        layout: StridedLayout<'_>,
        out: &mut DeviceBuffer,
    ) -> Result<()> {
        same_device(self, &[src, out])?;
        if elem.is_complex() {
            return Err(CudaError::Unsupported(format!(
                "arg_reduce needs an order, and {elem} has none"
            )));
        }
        self.check_elem(elem)?;
        layout.check("arg_reduce input", elem, src.len_bytes())?;
        let rank = layout.dims.len();
        if rank == 0 {
            return Err(CudaError::InvalidArgument(
                "arg_reduce: a rank-0 input has no axis to reduce".into(),
            ));
        }
        let (km, nout, _, r) = split(&layout, rank - 1)?;
        check_out("arg_reduce", out, ElemType::I64, nout as usize)?;
        if nout == 0 {
            return Ok(());
        }
        if r == 0 {
            return Err(CudaError::InvalidArgument(format!(
                "arg_reduce: the reduced axis of dims {:?} is empty",
                layout.dims
            )));
        }
        let stride = layout.strides[rank - 1] as i64;
        let is_max = u32::from(op == ArgOp::Max);
        let f = self.function(&REDUCE, &format!("arg_{}", elem.suffix()))?;
        let (sp, outp) = (src.device_ptr(), out.device_ptr());
        // arg_T(u32 is_max, Meta km, i64 stride, const T* src, i64* out, u64 nout, u64 r)
        launch!(self, f, per_output(nout); &is_max, &km, &stride, &sp, &outp, &nout, &r)
    }

    /// Running sum/product along the last axis of `layout` (the caller
    /// moves the axis last), `exclusive` and/or `reverse` as core's
    /// `cumsum`; `out` is C-order of `layout`'s dims. Each row is scanned
    /// sequentially in core's order, so results equal the CPU's to the bit.
    ///
    /// **Errors**: [`CudaError::Unsupported`](crate::CudaError::Unsupported)
    /// for bool; [`CudaError::InvalidArgument`](crate::CudaError::InvalidArgument)
    /// for a rank-0 layout or one that does not fit.
    ///
    /// ```
    /// use tensorbridge_cuda::{CudaDevice, CumOp, ElemType, StridedLayout};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let x = dev.upload(&[1, 2, 3])?;
    ///     let mut out = dev.alloc(3)?;
    ///     let l = StridedLayout::new(&[3], &[1]);
    ///     dev.cumulative(CumOp::Sum, ElemType::U8, &x, l, false, false, &mut out)?;
    ///     let mut host = [0u8; 3];
    ///     dev.download(&out, ElemType::U8, l, &mut host)?;
    ///     assert_eq!(host, [1, 3, 6]);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    #[expect(
        clippy::too_many_arguments,
        reason = "core's cumsum flags plus buffers"
    )]
    pub fn cumulative(
        &self,
        op: CumOp,
        elem: ElemType,
        src: &DeviceBuffer,
        layout: StridedLayout<'_>,
        exclusive: bool,
        reverse: bool,
        out: &mut DeviceBuffer,
    ) -> Result<()> {
        same_device(self, &[src, out])?;
        if elem == ElemType::Bool {
            return Err(CudaError::Unsupported(
                "cumulative sums and products are not defined for bool".into(),
            ));
        }
        self.check_elem(elem)?;
        let n = layout.check("cumulative input", elem, src.len_bytes())?;
        let rank = layout.dims.len();
        if rank == 0 {
            return Err(CudaError::InvalidArgument(
                "cumulative: a rank-0 input has no axis to scan".into(),
            ));
        }
        check_out("cumulative", out, elem, n)?;
        let (km, rows, _, len) = split(&layout, rank - 1)?;
        if n == 0 {
            return Ok(());
        }
        let stride = layout.strides[rank - 1] as i64;
        let (prod, excl, rev) = (
            u32::from(op == CumOp::Prod),
            u32::from(exclusive),
            u32::from(reverse),
        );
        let f = self.function(&REDUCE, &format!("scan_{}", elem.suffix()))?;
        let (sp, outp) = (src.device_ptr(), out.device_ptr());
        // scan_T(u32 prod, u32 exclusive, u32 reverse, Meta km, i64 stride, const T* src, T* out, u64 rows, u64 len)
        launch!(self, f, grid(rows); &prod, &excl, &rev, &km, &stride, &sp, &outp, &rows, &len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_long_reductions_split_into_parts() {
        assert_eq!(split_parts(1000, 1 << 30), 1, "many outputs: one pass");
        assert_eq!(split_parts(1, 1000), 1, "short: one pass");
        assert_eq!(split_parts(1, 1 << 28), 4096);
        assert_eq!(split_parts(4, 1 << 20), 32);
        assert_eq!(split_parts(1, 1 << 16), 2);
        for (nout, r) in [(1u64, 1u64 << 40), (7, 1 << 17), (255, 1 << 20)] {
            let p = split_parts(nout, r);
            assert!(
                p >= 1 && p <= r && nout * p <= PARTS_TOTAL.max(nout),
                "{nout} {r} {p}"
            );
        }
    }

    #[test]
    fn accumulators_match_the_kernel_families() {
        assert_eq!(acc_bytes(ReduceOp::Sum, ElemType::F16), 4);
        assert_eq!(acc_bytes(ReduceOp::Max, ElemType::BF16), 4);
        assert_eq!(acc_bytes(ReduceOp::Mean, ElemType::U8), 8);
        assert_eq!(acc_bytes(ReduceOp::Sum, ElemType::U8), 1);
        assert_eq!(acc_bytes(ReduceOp::Any, ElemType::C128), 4);
        assert_eq!(acc_bytes(ReduceOp::Prod, ElemType::C128), 16);
        assert_eq!(acc_bytes(ReduceOp::Min, ElemType::Bool), 1);
    }
}
