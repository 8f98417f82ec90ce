//! Elementwise kernels: `copy_strided`, `fill`, `binary`, `unary`, `cast`,
//! `where_select`. Every output is a fresh C-order buffer sized by the
//! caller, unless said otherwise; input layouts are already broadcast to
//! the output dims (stride 0) by the caller.

use crate::ops::{BinaryOp, UnaryOp};
use crate::{CudaDevice, CudaError, DeviceBuffer, ElemType, Result, StridedLayout};

pub(crate) fn not_built(what: &str) -> CudaError {
    CudaError::Unsupported(format!("{what} not built yet"))
}

impl CudaDevice {
    /// Copies the elements of `src_layout` to the positions of `dst_layout`
    /// (same dims), element by element in C order: materialising a view,
    /// concat, pad, tile, split.
    ///
    /// **Errors**: [`CudaError::InvalidArgument`] when the dims differ or a
    /// layout does not fit its buffer.
    ///
    /// ```
    /// use tensorbridge_cuda::{CudaDevice, ElemType, StridedLayout};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let src = dev.upload(&[1, 2, 3, 4, 5, 6])?;
    ///     let mut dst = dev.alloc(6)?;
    ///     // Transpose a 2x3 u8 matrix.
    ///     let t = StridedLayout::new(&[3, 2], &[1, 3]);
    ///     dev.copy_strided(ElemType::U8, &src, t, &mut dst, StridedLayout::new(&[3, 2], &[2, 1]))?;
    ///     let mut host = [0u8; 6];
    ///     dev.download(&dst, ElemType::U8, StridedLayout::new(&[6], &[1]), &mut host)?;
    ///     assert_eq!(host, [1, 4, 2, 5, 3, 6]);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn copy_strided(
        &self,
        elem: ElemType,
        src: &DeviceBuffer,
        src_layout: StridedLayout<'_>,
        dst: &mut DeviceBuffer,
        dst_layout: StridedLayout<'_>,
    ) -> Result<()> {
        let _ = (elem, src, src_layout, dst, dst_layout);
        Err(not_built("copy_strided"))
    }

    /// Sets every element of `dst` (`len_bytes / elem size` of them) to
    /// `value`, one element's bytes.
    ///
    /// **Errors**: [`CudaError::InvalidArgument`] when `value` is not one
    /// element long or `dst` is not a whole number of elements.
    ///
    /// ```
    /// use tensorbridge_cuda::{CudaDevice, ElemType, StridedLayout};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let mut b = dev.alloc(8)?;
    ///     dev.fill(ElemType::F32, &mut b, &1.5f32.to_ne_bytes())?;
    ///     let mut host = [0u8; 8];
    ///     dev.download(&b, ElemType::F32, StridedLayout::new(&[2], &[1]), &mut host)?;
    ///     assert_eq!(&host[..4], 1.5f32.to_ne_bytes());
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn fill(&self, elem: ElemType, dst: &mut DeviceBuffer, value: &[u8]) -> Result<()> {
        let _ = (elem, dst, value);
        Err(not_built("fill"))
    }

    /// `out = a op b` elementwise over the shared dims of `a_layout` and
    /// `b_layout` (broadcast by the caller); `out` is C-order of
    /// `op.output(elem)`.
    ///
    /// **Errors**: [`CudaError::Unsupported`] for a pair core does not
    /// define; [`CudaError::InvalidArgument`] for layouts that do not fit,
    /// and, found on the device, an integer division by zero (`Div`, `Rem`)
    /// or a negative integer exponent (`Pow`).
    ///
    /// ```
    /// use tensorbridge_cuda::{BinaryOp, CudaDevice, ElemType, StridedLayout};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let a = dev.upload(&[7i8 as u8, (-7i8) as u8])?;
    ///     let b = dev.upload(&[2, 2])?;
    ///     let mut out = dev.alloc(2)?;
    ///     let l = StridedLayout::new(&[2], &[1]);
    ///     dev.binary(BinaryOp::Div, ElemType::I8, &a, l, &b, l, &mut out)?;
    ///     let mut host = [0u8; 2];
    ///     dev.download(&out, ElemType::I8, l, &mut host)?;
    ///     assert_eq!(host.map(|x| x as i8), [3, -4]); // floor division
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    #[expect(
        clippy::too_many_arguments,
        reason = "two operands with layouts and an output"
    )]
    pub fn binary(
        &self,
        op: BinaryOp,
        elem: ElemType,
        a: &DeviceBuffer,
        a_layout: StridedLayout<'_>,
        b: &DeviceBuffer,
        b_layout: StridedLayout<'_>,
        out: &mut DeviceBuffer,
    ) -> Result<()> {
        let _ = (op, elem, a, a_layout, b, b_layout, out);
        Err(not_built("binary"))
    }

    /// `out = op(src)` elementwise; `out` is C-order of `op.output(elem)`.
    ///
    /// **Errors**: [`CudaError::Unsupported`] for a pair core does not
    /// define; [`CudaError::InvalidArgument`] for layouts that do not fit.
    ///
    /// ```
    /// use tensorbridge_cuda::{CudaDevice, ElemType, StridedLayout, UnaryOp};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let a = dev.upload(&4.0f32.to_ne_bytes())?;
    ///     let mut out = dev.alloc(4)?;
    ///     let l = StridedLayout::new(&[1], &[1]);
    ///     dev.unary(UnaryOp::Sqrt, ElemType::F32, &a, l, &mut out)?;
    ///     let mut host = [0u8; 4];
    ///     dev.download(&out, ElemType::F32, l, &mut host)?;
    ///     assert_eq!(f32::from_ne_bytes(host), 2.0);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn unary(
        &self,
        op: UnaryOp,
        elem: ElemType,
        src: &DeviceBuffer,
        layout: StridedLayout<'_>,
        out: &mut DeviceBuffer,
    ) -> Result<()> {
        let _ = (op, elem, src, layout, out);
        Err(not_built("unary"))
    }

    /// Casts the elements of `layout` from `from` to `to` into C-order
    /// `out`, with core's rules to the bit: float → int truncates and
    /// saturates (NaN → 0), int → int wraps, → f16/bf16 rounds once to
    /// nearest even, → bool is `!= 0` (NaN → true), complex → real takes
    /// the real part.
    ///
    /// **Errors**: [`CudaError::InvalidArgument`] for layouts that do not fit.
    ///
    /// ```
    /// use tensorbridge_cuda::{CudaDevice, ElemType, StridedLayout};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let a = dev.upload(&300.0f32.to_ne_bytes())?;
    ///     let mut out = dev.alloc(1)?;
    ///     let l = StridedLayout::new(&[1], &[1]);
    ///     dev.cast(ElemType::F32, ElemType::U8, &a, l, &mut out)?;
    ///     let mut host = [0u8; 1];
    ///     dev.download(&out, ElemType::U8, l, &mut host)?;
    ///     assert_eq!(host, [255]); // saturated
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn cast(
        &self,
        from: ElemType,
        to: ElemType,
        src: &DeviceBuffer,
        layout: StridedLayout<'_>,
        out: &mut DeviceBuffer,
    ) -> Result<()> {
        let _ = (from, to, src, layout, out);
        Err(not_built("cast"))
    }

    /// `out = cond ? a : b` elementwise (`cond` is Bool; the three layouts
    /// share dims, broadcast by the caller); `out` is C-order `elem`.
    ///
    /// **Errors**: [`CudaError::InvalidArgument`] for layouts that do not fit.
    ///
    /// ```
    /// use tensorbridge_cuda::{CudaDevice, ElemType, StridedLayout};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let c = dev.upload(&[1, 0])?;
    ///     let a = dev.upload(&[10, 11])?;
    ///     let b = dev.upload(&[20, 21])?;
    ///     let mut out = dev.alloc(2)?;
    ///     let l = StridedLayout::new(&[2], &[1]);
    ///     dev.where_select(ElemType::U8, &c, l, &a, l, &b, l, &mut out)?;
    ///     let mut host = [0u8; 2];
    ///     dev.download(&out, ElemType::U8, l, &mut host)?;
    ///     assert_eq!(host, [10, 21]);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    #[expect(
        clippy::too_many_arguments,
        reason = "three operands with layouts and an output"
    )]
    pub fn where_select(
        &self,
        elem: ElemType,
        cond: &DeviceBuffer,
        cond_layout: StridedLayout<'_>,
        a: &DeviceBuffer,
        a_layout: StridedLayout<'_>,
        b: &DeviceBuffer,
        b_layout: StridedLayout<'_>,
        out: &mut DeviceBuffer,
    ) -> Result<()> {
        let _ = (elem, cond, cond_layout, a, a_layout, b, b_layout, out);
        Err(not_built("where_select"))
    }
}
