//! Batched matrix products: cuBLAS for f32/f64/f16/bf16 (row-major through
//! `Cᵀ = Bᵀ·Aᵀ`, strided batched), a tiled kernel for integers and complex.

use crate::elementwise::not_built;
use crate::{CudaDevice, DeviceBuffer, ElemType, Result, StridedLayout};

impl CudaDevice {
    /// `out[b] = a[b] · b[b]` for `a_layout` = `[batch, m, k]` and
    /// `b_layout` = `[batch, k, n]` (any strides; batch stride 0 for a
    /// broadcast operand); `out` is C-order `[batch, m, n]`. Integers wrap
    /// (exact, as core); f16/bf16 accumulate in f32 (cuBLAS
    /// `CUBLAS_COMPUTE_32F`); floats may differ from the CPU by rounding
    /// order (a few ulps times `k`).
    ///
    /// **Errors**: [`CudaError::InvalidArgument`](crate::CudaError::InvalidArgument)
    /// for ranks other than 3, mismatched batch or inner dims, sizes over
    /// cuBLAS's `i32` limits, or layouts that do not fit; `Bool` is
    /// [`CudaError::Unsupported`](crate::CudaError::Unsupported).
    ///
    /// ```
    /// use tensorbridge_cuda::{CudaDevice, ElemType, StridedLayout};
    ///
    /// if let Ok(dev) = CudaDevice::get(0) {
    ///     let a = dev.upload(&[1, 2, 3, 4])?; // [[1, 2], [3, 4]]
    ///     let b = dev.upload(&[5, 6, 7, 8])?; // [[5, 6], [7, 8]]
    ///     let mut out = dev.alloc(4)?;
    ///     let l = StridedLayout::new(&[1, 2, 2], &[4, 2, 1]);
    ///     dev.matmul(ElemType::U8, &a, l, &b, l, &mut out)?;
    ///     let mut host = [0u8; 4];
    ///     dev.download(&out, ElemType::U8, StridedLayout::new(&[4], &[1]), &mut host)?;
    ///     assert_eq!(host, [19, 22, 43, 50]);
    /// }
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn matmul(
        &self,
        elem: ElemType,
        a: &DeviceBuffer,
        a_layout: StridedLayout<'_>,
        b: &DeviceBuffer,
        b_layout: StridedLayout<'_>,
        out: &mut DeviceBuffer,
    ) -> Result<()> {
        let _ = (elem, a, a_layout, b, b_layout, out);
        Err(not_built("matmul"))
    }
}
