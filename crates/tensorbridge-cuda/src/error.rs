//! [`CudaError`], the one error type of the backend, and the mapping of
//! cudarc's errors onto it.
//!
//! cudarc's `DriverError` is never formatted with `Display`/`Debug`: its
//! `Debug` calls `cuGetErrorString`, which panics when libcuda is missing.
//! Only the plain `CUresult` code (a derived `Debug`) is formatted.

use cudarc::cublas::result::CublasError;
use cudarc::curand::result::CurandError;
use cudarc::driver::DriverError;
use cudarc::driver::sys::CUresult;
use cudarc::nvrtc::CompileError;

/// What went wrong in the CUDA backend. Core maps each variant onto its
/// own `Error` (`Unavailable` → `DeviceUnavailable`, `OutOfMemory` →
/// `OutOfMemory`, `IndexOutOfBounds` → `IndexOutOfBounds`, the rest to the
/// matching variant or `InvalidArgument`).
///
/// ```
/// use tensorbridge_cuda::CudaError;
///
/// let e = CudaError::OutOfMemory { requested: 1 << 40, free: 1 << 30 };
/// assert!(e.to_string().contains("1099511627776"));
/// # Ok::<(), tensorbridge_cuda::CudaError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CudaError {
    /// No usable CUDA device: no driver library, a stub driver, no devices,
    /// an ordinal past the last device, a missing NVRTC/cuBLAS/cuRAND.
    #[error("CUDA is unavailable: {0}")]
    Unavailable(String),
    /// A device allocation failed even after synchronizing and releasing
    /// the allocator's cache.
    #[error(
        "CUDA out of memory: {requested} bytes requested, {free} bytes free on the device \
         (after releasing the allocator's cache)"
    )]
    OutOfMemory {
        /// Bytes asked for.
        requested: usize,
        /// Bytes the driver reported free after the retry.
        free: usize,
    },
    /// A CUDA driver, cuBLAS or cuRAND call failed; the text is the status
    /// code's name (e.g. `CUDA_ERROR_LAUNCH_FAILED`) and what was being done.
    #[error("CUDA driver error: {0}")]
    Driver(String),
    /// NVRTC could not compile a kernel source (the log follows).
    #[error("CUDA kernel compilation failed: {0}")]
    KernelCompile(String),
    /// An operation, element type or device that the backend does not
    /// support (bf16 below sm_80, an op/type pair without a kernel).
    #[error("unsupported on CUDA: {0}")]
    Unsupported(String),
    /// A bad argument: a layout that does not fit its buffer, a rank over
    /// [`MAX_RANK`](crate::MAX_RANK), a size that overflows, mismatched
    /// lengths, an integer division by zero found on the device.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// An index read from device memory is outside its bound; found by the
    /// kernel (never an out-of-bounds access), reported for the first bad
    /// position.
    #[error("{what}[{position}] = {value} is out of bounds: it must lie in {bound}")]
    IndexOutOfBounds {
        /// Which input held the index (`"indices"`, `"segment_ids"`, ...).
        what: &'static str,
        /// The flat position of the first bad entry in that input.
        position: usize,
        /// The bad value.
        value: i64,
        /// The rule it broke, e.g. `"0..5"` or `"0..5 or -1 (padding)"`.
        bound: String,
    },
}

/// The backend's result type.
pub type Result<T> = std::result::Result<T, CudaError>;

/// The name of a driver status, without calling into libcuda.
pub(crate) fn code_name(code: CUresult) -> String {
    format!("{code:?}")
}

/// A driver error while doing `what`; out-of-memory is left to the caller
/// (the allocator maps it with sizes).
pub(crate) fn driver(what: &str, e: DriverError) -> CudaError {
    CudaError::Driver(format!("{} ({what})", code_name(e.0)))
}

/// Maps a driver result, naming what was being done.
pub(crate) trait DriverContext<T> {
    /// The error becomes [`CudaError::Driver`] naming `what`.
    fn ctx(self, what: &str) -> Result<T>;
}

impl<T> DriverContext<T> for std::result::Result<T, DriverError> {
    fn ctx(self, what: &str) -> Result<T> {
        self.map_err(|e| driver(what, e))
    }
}

impl<T> DriverContext<T> for std::result::Result<T, CublasError> {
    fn ctx(self, what: &str) -> Result<T> {
        self.map_err(|e| CudaError::Driver(format!("{:?} ({what})", e.0)))
    }
}

impl<T> DriverContext<T> for std::result::Result<T, CurandError> {
    fn ctx(self, what: &str) -> Result<T> {
        self.map_err(|e| CudaError::Driver(format!("{:?} ({what})", e.0)))
    }
}

/// An NVRTC failure, with the compiler's log.
pub(crate) fn compile_error(file: &str, arch: &str, e: CompileError) -> CudaError {
    match e {
        CompileError::CompileError { nvrtc, log, .. } => CudaError::KernelCompile(format!(
            "{file} for {arch}: {:?}\n{}",
            nvrtc.0,
            log.to_string_lossy()
        )),
        other => CudaError::KernelCompile(format!("{file} for {arch}: {other:?}")),
    }
}

/// Whether a driver error is an out-of-memory.
pub(crate) fn is_oom(e: &DriverError) -> bool {
    e.0 == CUresult::CUDA_ERROR_OUT_OF_MEMORY
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_errors_format_without_libcuda() {
        // No libcuda on this machine: formatting must not call into it.
        let e = driver(
            "cuMemAlloc",
            DriverError(CUresult::CUDA_ERROR_LAUNCH_FAILED),
        );
        assert_eq!(
            e,
            CudaError::Driver("CUDA_ERROR_LAUNCH_FAILED (cuMemAlloc)".into())
        );
        assert!(is_oom(&DriverError(CUresult::CUDA_ERROR_OUT_OF_MEMORY)));
        assert!(!is_oom(&DriverError(CUresult::CUDA_ERROR_INVALID_VALUE)));
        let r: std::result::Result<(), DriverError> =
            Err(DriverError(CUresult::CUDA_ERROR_INVALID_VALUE));
        assert!(
            r.ctx("x")
                .unwrap_err()
                .to_string()
                .contains("CUDA_ERROR_INVALID_VALUE (x)")
        );
    }

    #[test]
    fn index_error_names_input_position_value_and_rule() {
        let e = CudaError::IndexOutOfBounds {
            what: "indices",
            position: 3,
            value: -7,
            bound: "0..5".into(),
        };
        assert_eq!(
            e.to_string(),
            "indices[3] = -7 is out of bounds: it must lie in 0..5"
        );
    }
}
