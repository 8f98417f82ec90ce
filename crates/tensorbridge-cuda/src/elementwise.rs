//! Elementwise kernels: `copy_strided`, `fill`, `binary`, `unary`, `cast`,
//! `where_select`. Every output is a fresh C-order buffer sized by the
//! caller, unless said otherwise; input layouts are already broadcast to
//! the output dims (stride 0) by the caller.

use crate::kernels::ELEMENTWISE;
use crate::launch::{check_out, grid, launch, same_device, size_suffix};
use crate::layout::{Meta, pack};
use crate::ops::{BinaryOp, UnaryOp};
use crate::{CudaDevice, CudaError, DeviceBuffer, ElemType, Result, StridedLayout};

impl CudaDevice {
    /// Copies C-order elements `first..first + count` of `layout` to the
    /// compact device memory at `dst` (the staging step of downloads).
    pub(crate) fn gather_range(
        &self,
        elem: ElemType,
        src: &DeviceBuffer,
        layout: StridedLayout<'_>,
        first: u64,
        count: u64,
        dst: u64,
    ) -> Result<()> {
        if count == 0 {
            return Ok(());
        }
        let metas = pack(&[layout])?;
        let sm = metas[0];
        let dm = Meta::contiguous(&[])?;
        // The kernel writes dst[first + i]; shift the base so that lands at dst[i].
        let size = elem.size_bytes() as u64;
        let base = dst.wrapping_sub(first.wrapping_mul(size));
        let sp = src.device_ptr();
        let f = self.function(&ELEMENTWISE, &format!("copy_{}", size_suffix(elem)))?;
        // copy_bN(Meta sm, const T* src, Meta dm, T* dst, u64 first, u64 n)
        launch!(self, f, grid(count); &sm, &sp, &dm, &base, &first, &count)
    }
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
        same_device(self, &[src, dst])?;
        if src_layout.dims != dst_layout.dims {
            return Err(CudaError::InvalidArgument(format!(
                "copy_strided: source dims {:?} differ from destination dims {:?}",
                src_layout.dims, dst_layout.dims
            )));
        }
        let n = src_layout.check("copy_strided source", elem, src.len_bytes())?;
        dst_layout.check("copy_strided destination", elem, dst.len_bytes())?;
        if n == 0 {
            return Ok(());
        }
        let size = elem.size_bytes();
        if src_layout.is_c_contiguous() && dst_layout.is_c_contiguous() {
            return self.dtod(
                dst,
                dst_layout.offset * size,
                src,
                src_layout.offset * size,
                n * size,
            );
        }
        let metas = pack(&[src_layout, dst_layout])?;
        let (sm, dm) = (metas[0], metas[1]);
        let (sp, dp) = (src.device_ptr(), dst.device_ptr());
        let (first, count) = (0u64, n as u64);
        let f = self.function(&ELEMENTWISE, &format!("copy_{}", size_suffix(elem)))?;
        // copy_bN(Meta sm, const T* src, Meta dm, T* dst, u64 first, u64 n)
        launch!(self, f, grid(count); &sm, &sp, &dm, &dp, &first, &count)
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
        same_device(self, &[dst])?;
        let size = elem.size_bytes();
        if value.len() != size {
            return Err(CudaError::InvalidArgument(format!(
                "fill: the value has {} bytes but one {elem} element has {size}",
                value.len()
            )));
        }
        if dst.len_bytes() % size != 0 {
            return Err(CudaError::InvalidArgument(format!(
                "fill: a buffer of {} bytes is not a whole number of {elem} elements",
                dst.len_bytes()
            )));
        }
        let n = (dst.len_bytes() / size) as u64;
        if n == 0 {
            return Ok(());
        }
        if value.iter().all(|&b| b == value[0]) {
            return self.memset(dst, 0, dst.len_bytes(), value[0]);
        }
        let f = self.function(&ELEMENTWISE, &format!("fill_{}", size_suffix(elem)))?;
        let dp = dst.device_ptr();
        // fill_bN(T* dst, T value, u64 n)
        match size {
            2 => {
                let v = u16::from_ne_bytes([value[0], value[1]]);
                launch!(self, f, grid(n); &dp, &v, &n)
            }
            4 => {
                let v = u32::from_ne_bytes([value[0], value[1], value[2], value[3]]);
                launch!(self, f, grid(n); &dp, &v, &n)
            }
            8 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(value);
                let v = u64::from_ne_bytes(b);
                launch!(self, f, grid(n); &dp, &v, &n)
            }
            _ => {
                let mut lo = [0u8; 8];
                let mut hi = [0u8; 8];
                lo.copy_from_slice(&value[..8]);
                hi.copy_from_slice(&value[8..]);
                let v = [u64::from_ne_bytes(lo), u64::from_ne_bytes(hi)];
                launch!(self, f, grid(n); &dp, &v, &n)
            }
        }
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
        same_device(self, &[a, b, out])?;
        let out_elem = op.output(elem)?;
        self.check_elem(elem)?;
        let n = a_layout.check("binary lhs", elem, a.len_bytes())?;
        b_layout.check("binary rhs", elem, b.len_bytes())?;
        let metas = pack(&[a_layout, b_layout])?;
        check_out("binary", out, out_elem, n)?;
        if n == 0 {
            return Ok(());
        }
        let checked = elem.is_int() && matches!(op, BinaryOp::Div | BinaryOp::Rem | BinaryOp::Pow);
        let flag = if checked {
            Some(self.new_flag()?)
        } else {
            None
        };
        let fp = flag.as_ref().map_or(0, DeviceBuffer::device_ptr);
        let (am, bm) = (metas[0], metas[1]);
        let (ap, bp, op_code, n64) = (a.device_ptr(), b.device_ptr(), op.code(), n as u64);
        let outp = out.device_ptr();
        let f = self.function(&ELEMENTWISE, &format!("binary_{}", elem.suffix()))?;
        // binary_T(u32 op, Meta am, const T* a, Meta bm, const T* b, void* out, u64 n, u64* err)
        launch!(self, f, grid(n64); &op_code, &am, &ap, &bm, &bp, &outp, &n64, &fp)?;
        if let Some(flag) = flag {
            if let Some(i) = self.read_flag(&flag)? {
                return Err(CudaError::InvalidArgument(if op == BinaryOp::Pow {
                    format!(
                        "integers to negative integer powers are not allowed: the exponent of \
                         dtype {elem} contains a negative value (first at output element {i}); \
                         cast to a float dtype first"
                    )
                } else {
                    format!(
                        "integer division by zero: the divisor of dtype {elem} contains 0 \
                         (first at output element {i})"
                    )
                }));
            }
        }
        Ok(())
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
        same_device(self, &[src, out])?;
        let out_elem = op.output(elem)?;
        self.check_elem(elem)?;
        let n = layout.check("unary input", elem, src.len_bytes())?;
        let m = pack(&[layout])?[0];
        check_out("unary", out, out_elem, n)?;
        if n == 0 {
            return Ok(());
        }
        let (sp, outp, op_code, n64) = (src.device_ptr(), out.device_ptr(), op.code(), n as u64);
        let f = self.function(&ELEMENTWISE, &format!("unary_{}", elem.suffix()))?;
        // unary_T(u32 op, Meta m, const T* src, void* out, u64 n)
        launch!(self, f, grid(n64); &op_code, &m, &sp, &outp, &n64)
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
        same_device(self, &[src, out])?;
        self.check_elem(from)?;
        self.check_elem(to)?;
        let n = layout.check("cast input", from, src.len_bytes())?;
        let m = pack(&[layout])?[0];
        check_out("cast", out, to, n)?;
        if n == 0 {
            return Ok(());
        }
        let (sp, outp, to_code, n64) = (src.device_ptr(), out.device_ptr(), to.code(), n as u64);
        let f = self.function(&ELEMENTWISE, &format!("cast_from_{}", from.suffix()))?;
        // cast_from_T(Meta m, const T* src, u32 to, void* out, u64 n)
        launch!(self, f, grid(n64); &m, &sp, &to_code, &outp, &n64)
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
        same_device(self, &[cond, a, b, out])?;
        let n = cond_layout.check("where condition", ElemType::Bool, cond.len_bytes())?;
        a_layout.check("where a", elem, a.len_bytes())?;
        b_layout.check("where b", elem, b.len_bytes())?;
        let metas = pack(&[cond_layout, a_layout, b_layout])?;
        check_out("where", out, elem, n)?;
        if n == 0 {
            return Ok(());
        }
        let (cm, am, bm) = (metas[0], metas[1], metas[2]);
        let (cp, ap, bp, outp, n64) = (
            cond.device_ptr(),
            a.device_ptr(),
            b.device_ptr(),
            out.device_ptr(),
            n as u64,
        );
        let f = self.function(&ELEMENTWISE, &format!("where_{}", size_suffix(elem)))?;
        // where_bN(Meta cm, const b8* cond, Meta am, const T* a, Meta bm, const T* b, T* out, u64 n)
        launch!(self, f, grid(n64); &cm, &cp, &am, &ap, &bm, &bp, &outp, &n64)
    }
}
