//! Launch plumbing shared by the op files: grid sizes, the `launch!`
//! macro, raw copies, device error flags and buffer-size checks.
#![expect(
    unsafe_code,
    reason = "kernel launches and raw async copies are unsafe fns in cudarc"
)]

use cudarc::driver::{LaunchArgs, LaunchConfig};

use crate::error::DriverContext;
use crate::ops::Indices;
use crate::{CudaDevice, CudaError, DeviceBuffer, ElemType, Result};

/// Threads per block of the elementwise kernels.
pub(crate) const THREADS: u32 = 256;
/// Threads per block of the reductions (must match RED_THREADS in reduce.cu).
pub(crate) const RED_THREADS: u32 = 256;
/// Most blocks of a grid-stride launch.
const MAX_BLOCKS: u64 = 1 << 16;

/// A grid-stride launch over `n > 0` items.
pub(crate) fn grid(n: u64) -> LaunchConfig {
    let blocks = n.div_ceil(u64::from(THREADS)).clamp(1, MAX_BLOCKS) as u32;
    LaunchConfig {
        grid_dim: (blocks, 1, 1),
        block_dim: (THREADS, 1, 1),
        shared_mem_bytes: 0,
    }
}

/// One block per output (grid-stride over outputs) for the reductions.
pub(crate) fn per_output(nout: u64) -> LaunchConfig {
    LaunchConfig {
        grid_dim: (nout.clamp(1, MAX_BLOCKS) as u32, 1, 1),
        block_dim: (RED_THREADS, 1, 1),
        shared_mem_bytes: 0,
    }
}

/// Launches a kernel with the given arguments (references to locals whose
/// Rust types match the kernel's C parameters exactly: `u64` for pointers,
/// `size_t`/`u64`, `u32`, `i64`, `f32`, `f64`, `Meta` by value).
macro_rules! launch {
    ($dev:expr, $func:expr, $cfg:expr; $($arg:expr),* $(,)?) => {{
        use cudarc::driver::PushKernelArg as _;
        let func = $func;
        let mut builder = $dev.stream.launch_builder(&func);
        $( builder.arg($arg); )*
        $crate::launch::finish(builder, $cfg)
    }};
}
pub(crate) use launch;

/// Runs a prepared launch on the device's stream.
pub(crate) fn finish(mut builder: LaunchArgs<'_>, cfg: LaunchConfig) -> Result<()> {
    // SAFETY: every call site of `launch!` passes arguments whose types and
    // order match the extern "C" signature of the kernel it names (written
    // next to each other in the op files and the .cu files); device
    // pointers come from live DeviceBuffers whose ranges were checked
    // against the layouts before the launch; all work is on one stream.
    unsafe { builder.launch(cfg) }
        .map(|_| ())
        .ctx("launching a kernel")
}

impl CudaDevice {
    /// Queues a copy of `src` into device memory at `dst`; the caller keeps
    /// `src` alive and unchanged until the stream passes this point (or
    /// passes pageable memory, which the driver stages before returning).
    pub(crate) unsafe fn htod_raw(&self, dst: u64, src: &[u8]) -> Result<()> {
        self.bind()?;
        // SAFETY: the caller guarantees `dst..dst + src.len()` is device
        // memory it owns and that `src` outlives the copy.
        unsafe { cudarc::driver::result::memcpy_htod_async(dst, src, self.stream.cu_stream()) }
            .ctx("cuMemcpyHtoDAsync")
    }

    /// Queues a copy of device memory at `src` into `dst`; the caller
    /// keeps `dst` alive and does not read it until the stream passes this
    /// point.
    pub(crate) unsafe fn dtoh_raw(&self, dst: &mut [u8], src: u64) -> Result<()> {
        self.bind()?;
        // SAFETY: the caller guarantees `src..src + dst.len()` is device
        // memory it owns and that `dst` outlives the copy.
        unsafe { cudarc::driver::result::memcpy_dtoh_async(dst, src, self.stream.cu_stream()) }
            .ctx("cuMemcpyDtoHAsync")
    }

    /// Queues a device-to-device copy of `bytes`.
    pub(crate) fn dtod(
        &self,
        dst: &DeviceBuffer,
        dst_off: usize,
        src: &DeviceBuffer,
        src_off: usize,
        bytes: usize,
    ) -> Result<()> {
        if bytes == 0 {
            return Ok(());
        }
        let in_range = |b: &DeviceBuffer, off: usize| {
            off.checked_add(bytes).is_some_and(|e| e <= b.len_bytes())
        };
        if !in_range(dst, dst_off) || !in_range(src, src_off) {
            return Err(CudaError::InvalidArgument(format!(
                "a device copy of {bytes} bytes runs past its buffers"
            )));
        }
        self.bind()?;
        // SAFETY: both ranges were checked to lie inside their buffers.
        unsafe {
            cudarc::driver::result::memcpy_dtod_async(
                dst.device_ptr() + dst_off as u64,
                src.device_ptr() + src_off as u64,
                bytes,
                self.stream.cu_stream(),
            )
        }
        .ctx("cuMemcpyDtoDAsync")
    }

    /// Sets `bytes` bytes of `buf` from `off` to `value`.
    pub(crate) fn memset(
        &self,
        buf: &DeviceBuffer,
        off: usize,
        bytes: usize,
        value: u8,
    ) -> Result<()> {
        if bytes == 0 {
            return Ok(());
        }
        if off.checked_add(bytes).is_none_or(|e| e > buf.len_bytes()) {
            return Err(CudaError::InvalidArgument(
                "a memset runs past its buffer".into(),
            ));
        }
        self.bind()?;
        // SAFETY: the range lies inside the buffer (checked above).
        unsafe {
            cudarc::driver::result::memset_d8_async(
                buf.device_ptr() + off as u64,
                value,
                bytes,
                self.stream.cu_stream(),
            )
        }
        .ctx("cuMemsetD8Async")
    }

    /// A fresh device error flag (one u64, all ones = no error).
    pub(crate) fn new_flag(&self) -> Result<DeviceBuffer> {
        let f = self.alloc(8)?;
        self.memset(&f, 0, 8, 0xff)?;
        Ok(f)
    }

    /// Waits for the stream and reads a flag: the lowest position a kernel
    /// reported, if any.
    pub(crate) fn read_flag(&self, flag: &DeviceBuffer) -> Result<Option<u64>> {
        let mut host = [0u8; 8];
        // SAFETY: the flag is an 8-byte device buffer; `host` lives until
        // the synchronize below.
        unsafe { self.dtoh_raw(&mut host, flag.device_ptr())? };
        self.synchronize()?;
        let v = u64::from_ne_bytes(host);
        Ok((v != u64::MAX).then_some(v))
    }

    /// Reads entry `pos` of an index buffer (for error messages).
    pub(crate) fn read_index(&self, idx: &Indices<'_>, pos: usize) -> Result<i64> {
        if pos >= idx.len {
            return Err(CudaError::InvalidArgument(format!(
                "index position {pos} past {}",
                idx.len
            )));
        }
        let size = idx.elem.size_bytes();
        let mut host = [0u8; 8];
        // SAFETY: entry `pos` lies inside the index buffer (Indices::new
        // checked len * size <= its length); host lives until the sync.
        unsafe {
            self.dtoh_raw(
                &mut host[..size],
                idx.buffer.device_ptr() + (pos * size) as u64,
            )?
        };
        self.synchronize()?;
        Ok(if size == 8 {
            i64::from_ne_bytes(host)
        } else {
            i64::from(i32::from_ne_bytes([host[0], host[1], host[2], host[3]]))
        })
    }
}

/// Checks that `buf` holds `count` elements of `elem`.
pub(crate) fn check_out(
    what: &str,
    buf: &DeviceBuffer,
    elem: ElemType,
    count: usize,
) -> Result<()> {
    let need = count.checked_mul(elem.size_bytes()).ok_or_else(|| {
        CudaError::InvalidArgument(format!(
            "{what}: {count} {elem} elements overflow a byte size"
        ))
    })?;
    if buf.len_bytes() < need {
        return Err(CudaError::InvalidArgument(format!(
            "{what}: the output needs {need} bytes ({count} {elem}) but the buffer has {}",
            buf.len_bytes()
        )));
    }
    Ok(())
}

/// Checks that two buffers are on the same device as `dev`.
pub(crate) fn same_device(dev: &CudaDevice, bufs: &[&DeviceBuffer]) -> Result<()> {
    for b in bufs {
        if b.device().ordinal() != dev.ordinal() {
            return Err(CudaError::InvalidArgument(format!(
                "a buffer on CUDA device {} was passed to device {}",
                b.device().ordinal(),
                dev.ordinal()
            )));
        }
    }
    Ok(())
}

/// The size-class suffix of a type-agnostic kernel (`b1` ... `b16`).
pub(crate) fn size_suffix(elem: ElemType) -> String {
    format!("b{}", elem.size_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_cover_the_work_and_stay_bounded() {
        assert_eq!(grid(1).grid_dim.0, 1);
        assert_eq!(grid(256).grid_dim.0, 1);
        assert_eq!(grid(257).grid_dim.0, 2);
        assert_eq!(grid(u64::MAX).grid_dim.0, 1 << 16);
        assert_eq!(per_output(0).grid_dim.0, 1);
        assert_eq!(per_output(5).grid_dim.0, 5);
        assert_eq!(per_output(1 << 40).grid_dim.0, 1 << 16);
    }
}
