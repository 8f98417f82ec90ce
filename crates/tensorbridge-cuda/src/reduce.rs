//! Reductions, index reductions and running scans.

use crate::elementwise::not_built;
use crate::ops::{ArgOp, CumOp, ReduceOp};
use crate::{CudaDevice, DeviceBuffer, ElemType, Result, StridedLayout};

impl CudaDevice {
    /// Reduces the last `reduced_rank` axes of `layout` (the caller moves
    /// the reduced axes last); `out` holds one `op.output(elem)` per kept
    /// position, in C order. Integers are exact (wrapping); floats are
    /// summed in a different order than the CPU (a tree per output), so
    /// sums and means agree within a few ulps times `log2(n)`.
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
        let _ = (op, elem, src, layout, reduced_rank, out);
        Err(not_built("reduce"))
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
        let _ = (op, elem, src, layout, out);
        Err(not_built("arg_reduce"))
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
        let _ = (op, elem, src, layout, exclusive, reverse, out);
        Err(not_built("cumulative"))
    }
}
