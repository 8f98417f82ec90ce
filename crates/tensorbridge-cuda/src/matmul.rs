//! Batched matrix products: cuBLAS for f32/f64/f16/bf16 (row-major through
//! `Cᵀ = Bᵀ·Aᵀ`, strided batched, transposed operands read in place), a
//! tiled kernel for integers and complex.
#![expect(
    unsafe_code,
    reason = "cuBLAS is called through cudarc's raw gemm binding"
)]

use cudarc::cublas::CudaBlas;
use cudarc::cublas::sys::{cublasComputeType_t, cublasGemmAlgo_t, cublasOperation_t, cudaDataType};
use cudarc::driver::LaunchConfig;

use crate::error::DriverContext;
use crate::kernels::MATMUL;
use crate::launch::{check_out, launch, same_device};
use crate::layout::c_strides;
use crate::{CudaDevice, CudaError, DeviceBuffer, ElemType, Result, StridedLayout};

/// One operand of the tiled kernel; matches `MatDesc` in matmul.cu.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
struct MatDesc {
    offset: u64,
    batch_stride: i64,
    row_stride: i64,
    col_stride: i64,
}

// SAFETY: repr(C), four 8-byte integers, the layout of the C struct.
unsafe impl cudarc::driver::DeviceRepr for MatDesc {}

/// How cuBLAS can read a `[batch, rows, cols]` operand in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Major {
    /// Column stride 1; `ld` is the row stride.
    Row { ld: i64 },
    /// Row stride 1; `ld` is the column stride.
    Col { ld: i64 },
}

/// The in-place form of an operand for cuBLAS, or `None` when it must be
/// copied compact first (negative, broadcast or overlapping inner strides).
pub(crate) fn major_of(
    rows: usize,
    cols: usize,
    batch_stride: isize,
    rs: isize,
    cs: isize,
) -> Option<Major> {
    if batch_stride < 0 {
        return None;
    }
    let (r, c) = (rows.max(1) as isize, cols.max(1) as isize);
    if cs == 1 || cols <= 1 {
        let ld = if rows <= 1 { c } else { rs };
        if ld >= c {
            return Some(Major::Row { ld: ld as i64 });
        }
    }
    if rs == 1 || rows <= 1 {
        let ld = if cols <= 1 { r } else { cs };
        if ld >= r {
            return Some(Major::Col { ld: ld as i64 });
        }
    }
    None
}

fn to_i32(what: &str, v: i64) -> Result<i32> {
    i32::try_from(v).map_err(|_| {
        CudaError::InvalidArgument(format!(
            "matmul: {what} = {v} exceeds cuBLAS's 32-bit limit"
        ))
    })
}

impl CudaDevice {
    fn blas(&self) -> Result<&std::sync::Mutex<CudaBlas>> {
        self.blas
            .get_or_init(|| {
                if !matches!(
                    crate::probe(),
                    crate::CudaStatus::Available { cublas: true, .. }
                ) {
                    return Err(CudaError::Unavailable(
                        "libcublas (CUDA 13) was not found; put the CUDA toolkit's lib64 on \
                         LD_LIBRARY_PATH"
                            .into(),
                    ));
                }
                self.bind()?;
                CudaBlas::new(self.stream.clone())
                    .ctx("creating the cuBLAS handle")
                    .map(std::sync::Mutex::new)
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// `[batch, rows, cols]` operand `layout` of `buf`, in place or copied
    /// compact: (device address of element 0, batch stride, major).
    fn operand(
        &self,
        elem: ElemType,
        buf: &DeviceBuffer,
        layout: StridedLayout<'_>,
        temps: &mut Vec<DeviceBuffer>,
    ) -> Result<(u64, i64, Major)> {
        let (rows, cols) = (layout.dims[1], layout.dims[2]);
        let s = layout.strides;
        let size = elem.size_bytes() as u64;
        if let Some(m) = major_of(rows, cols, s[0], s[1], s[2]) {
            return Ok((
                buf.device_ptr() + layout.offset as u64 * size,
                s[0] as i64,
                m,
            ));
        }
        let n = layout.numel()?;
        let mut t = self.alloc(n * elem.size_bytes())?;
        let cs = c_strides(layout.dims)?;
        self.copy_strided(
            elem,
            buf,
            layout,
            &mut t,
            StridedLayout::new(layout.dims, &cs),
        )?;
        let p = t.device_ptr();
        temps.push(t);
        Ok((
            p,
            (rows * cols) as i64,
            Major::Row {
                ld: cols.max(1) as i64,
            },
        ))
    }

    #[expect(clippy::too_many_arguments, reason = "the gemm problem")]
    fn gemm(
        &self,
        elem: ElemType,
        (ap, a_bs, a_major): (u64, i64, Major),
        (bp, b_bs, b_major): (u64, i64, Major),
        out: u64,
        batch: usize,
        m: usize,
        n: usize,
        k: usize,
    ) -> Result<()> {
        // Column-major view: Cᵀ[n, m] = Bᵀ[n, k] · Aᵀ[k, m].
        let (transa, lda) = match b_major {
            Major::Row { ld } => (cublasOperation_t::CUBLAS_OP_N, ld),
            Major::Col { ld } => (cublasOperation_t::CUBLAS_OP_T, ld),
        };
        let (transb, ldb) = match a_major {
            Major::Row { ld } => (cublasOperation_t::CUBLAS_OP_N, ld),
            Major::Col { ld } => (cublasOperation_t::CUBLAS_OP_T, ld),
        };
        let (mi, ni, ki) = (
            to_i32("n", n as i64)?,
            to_i32("m", m as i64)?,
            to_i32("k", k as i64)?,
        );
        let (lda, ldb, ldc) = (
            to_i32("lda", lda)?,
            to_i32("ldb", ldb)?,
            to_i32("ldc", n.max(1) as i64)?,
        );
        let batch = to_i32("batch", batch as i64)?;
        let (dtype, compute) = match elem {
            ElemType::F32 => (
                cudaDataType::CUDA_R_32F,
                cublasComputeType_t::CUBLAS_COMPUTE_32F,
            ),
            ElemType::F64 => (
                cudaDataType::CUDA_R_64F,
                cublasComputeType_t::CUBLAS_COMPUTE_64F,
            ),
            ElemType::F16 => (
                cudaDataType::CUDA_R_16F,
                cublasComputeType_t::CUBLAS_COMPUTE_32F,
            ),
            _ => (
                cudaDataType::CUDA_R_16BF,
                cublasComputeType_t::CUBLAS_COMPUTE_32F,
            ),
        };
        let (one32, zero32, one64, zero64) = (1.0f32, 0.0f32, 1.0f64, 0.0f64);
        let (alpha, beta) = if elem == ElemType::F64 {
            (
                &one64 as *const f64 as *const std::ffi::c_void,
                &zero64 as *const f64 as *const std::ffi::c_void,
            )
        } else {
            (
                &one32 as *const f32 as *const std::ffi::c_void,
                &zero32 as *const f32 as *const std::ffi::c_void,
            )
        };
        let blas = self.blas()?.lock().unwrap_or_else(|p| p.into_inner());
        self.bind()?;
        // SAFETY: the three pointers address `batch` matrices whose extents
        // were checked against their buffers (or compact temporaries); the
        // leading dimensions satisfy cuBLAS's rules (see `major_of`); alpha
        // and beta live on this stack frame for the call; the handle runs
        // on this device's stream.
        unsafe {
            cudarc::cublas::result::gemm_strided_batched_ex(
                *blas.handle(),
                transa,
                transb,
                mi,
                ni,
                ki,
                alpha,
                bp as *const std::ffi::c_void,
                dtype,
                lda,
                b_bs,
                ap as *const std::ffi::c_void,
                dtype,
                ldb,
                a_bs,
                beta,
                out as *mut std::ffi::c_void,
                dtype,
                ldc,
                (m * n) as i64,
                batch,
                compute,
                cublasGemmAlgo_t::CUBLAS_GEMM_DEFAULT,
            )
        }
        .ctx("cublasGemmStridedBatchedEx")
    }

    /// `out[b] = a[b] · b[b]` for `a_layout` = `[batch, m, k]` and
    /// `b_layout` = `[batch, k, n]` (any strides; batch stride 0 for a
    /// broadcast operand); `out` is C-order `[batch, m, n]`. Integers wrap
    /// (exact, as core); complex is not conjugated; f16/bf16 accumulate in
    /// f32 (cuBLAS `CUBLAS_COMPUTE_32F`, no TF32) and round once; f32/f64
    /// may differ from the CPU by summation order (a few ulps times `k`).
    ///
    /// **Errors**: [`CudaError::InvalidArgument`] for ranks other than 3,
    /// mismatched batch or inner dims, sizes over cuBLAS's `i32` limits (or,
    /// for the integer/complex kernel, more than 1,048,560 rows), or layouts
    /// that do not fit; `Bool` is [`CudaError::Unsupported`].
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
        same_device(self, &[a, b, out])?;
        if elem == ElemType::Bool {
            return Err(CudaError::Unsupported(
                "matmul is not defined for bool".into(),
            ));
        }
        self.check_elem(elem)?;
        if a_layout.dims.len() != 3 || b_layout.dims.len() != 3 {
            return Err(CudaError::InvalidArgument(format!(
                "matmul: operands must be [batch, m, k] and [batch, k, n], got dims {:?} and {:?}",
                a_layout.dims, b_layout.dims
            )));
        }
        let (batch, m, k) = (a_layout.dims[0], a_layout.dims[1], a_layout.dims[2]);
        let (b_batch, k2, n) = (b_layout.dims[0], b_layout.dims[1], b_layout.dims[2]);
        if batch != b_batch || k != k2 {
            return Err(CudaError::InvalidArgument(format!(
                "matmul: dims {:?} and {:?} do not chain (batch and inner dims must agree)",
                a_layout.dims, b_layout.dims
            )));
        }
        a_layout.check("matmul lhs", elem, a.len_bytes())?;
        b_layout.check("matmul rhs", elem, b.len_bytes())?;
        let total = StridedLayout::new(&[batch, m, n], &[0, 0, 0]).numel()?;
        check_out("matmul", out, elem, total)?;
        if total == 0 {
            return Ok(());
        }
        if k == 0 {
            return self.memset(out, 0, total * elem.size_bytes(), 0);
        }
        if elem.is_float() {
            let mut temps = Vec::new();
            let ao = self.operand(elem, a, a_layout, &mut temps)?;
            let bo = self.operand(elem, b, b_layout, &mut temps)?;
            return self.gemm(elem, ao, bo, out.device_ptr(), batch, m, n, k);
        }
        let rows_tiles = m.div_ceil(16);
        if rows_tiles > 65_535 {
            return Err(CudaError::InvalidArgument(format!(
                "matmul: {m} rows exceed the {elem} kernel's limit of 1048560"
            )));
        }
        let desc = |l: &StridedLayout<'_>| MatDesc {
            offset: l.offset as u64,
            batch_stride: l.strides[0] as i64,
            row_stride: l.strides[1] as i64,
            col_stride: l.strides[2] as i64,
        };
        let (ad, bd) = (desc(&a_layout), desc(&b_layout));
        let cfg = LaunchConfig {
            grid_dim: (
                n.div_ceil(16).min(u32::MAX as usize) as u32,
                rows_tiles as u32,
                batch.min(65_535) as u32,
            ),
            block_dim: (16, 16, 1),
            shared_mem_bytes: 0,
        };
        if n.div_ceil(16) > i32::MAX as usize {
            return Err(CudaError::InvalidArgument(format!(
                "matmul: {n} columns are too many"
            )));
        }
        let (ap, bp, op) = (a.device_ptr(), b.device_ptr(), out.device_ptr());
        let (batch, m, n, k) = (batch as u64, m as u64, n as u64, k as u64);
        let f = self.function(&MATMUL, &format!("matmul_{}", elem.suffix()))?;
        // matmul_T(MatDesc ad, const T* a, MatDesc bd, const T* b, T* out, u64 batch, u64 m, u64 n, u64 k)
        launch!(self, f, cfg; &ad, &ap, &bd, &bp, &op, &batch, &m, &n, &k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operands_are_read_in_place_when_cublas_can() {
        // C-order [2, 3] matrix.
        assert_eq!(major_of(2, 3, 6, 3, 1), Some(Major::Row { ld: 3 }));
        // Its transpose [3, 2] (strides 1, 3).
        assert_eq!(major_of(3, 2, 6, 1, 3), Some(Major::Col { ld: 3 }));
        // A padded row stride is fine.
        assert_eq!(major_of(2, 3, 0, 8, 1), Some(Major::Row { ld: 8 }));
        // A single row or column takes any stride.
        assert_eq!(major_of(1, 4, 4, 999, 1), Some(Major::Row { ld: 4 }));
        assert_eq!(
            major_of(4, 1, 4, 1, 999),
            Some(Major::Row { ld: 1 }).or(Some(Major::Col { ld: 4 }))
        );
        // Broadcast rows, negative or overlapping strides, negative batch: copy.
        assert_eq!(major_of(2, 3, 6, 0, 1), None);
        assert_eq!(major_of(2, 3, 6, -3, 1), None);
        assert_eq!(major_of(2, 3, 6, 2, 1), None);
        assert_eq!(major_of(2, 3, -6, 3, 1), None);
        assert_eq!(major_of(2, 3, 6, 3, 2), None);
    }
}
