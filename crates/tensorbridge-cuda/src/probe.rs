//! Discovery: [`probe`] and [`device_count`], which never panic.
#![expect(
    unsafe_code,
    reason = "cudarc's is_culib_present is an unsafe fn (it dlopen()s the library)"
)]

use std::sync::OnceLock;

use cudarc::driver::CudaContext;

use crate::error::code_name;

/// What discovery found, once per process.
///
/// ```
/// use tensorbridge_cuda::{probe, CudaStatus};
///
/// match probe() {
///     CudaStatus::Available { devices, .. } => assert!(devices > 0),
///     other => println!("no CUDA here: {}", other.reason()),
/// }
/// # Ok::<(), tensorbridge_cuda::CudaError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CudaStatus {
    /// The driver library (`libcuda.so.1`) could not be loaded.
    NoDriverLibrary,
    /// The driver loaded but initialising it or counting devices failed (a
    /// stub libcuda, no `/dev/nvidia*`, a driver too old); the status name.
    DriverError(String),
    /// The driver works and reports no device.
    NoDevices,
    /// Devices are present; which toolkit libraries could be loaded.
    Available {
        /// Number of devices.
        devices: usize,
        /// Whether libnvrtc loads (needed by every kernel).
        nvrtc: bool,
        /// Whether libcublas loads (float matmul).
        cublas: bool,
        /// Whether libcurand loads (not needed: random numbers come from
        /// the backend's own Philox kernel).
        curand: bool,
    },
}

impl CudaStatus {
    /// Why CUDA cannot be used, or `"available"`.
    ///
    /// ```
    /// use tensorbridge_cuda::CudaStatus;
    ///
    /// assert!(CudaStatus::NoDriverLibrary.reason().contains("libcuda"));
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn reason(&self) -> String {
        match self {
            CudaStatus::NoDriverLibrary => "the CUDA driver library (libcuda.so.1) was not found; \
                 install the NVIDIA driver or put it on LD_LIBRARY_PATH"
                .into(),
            CudaStatus::DriverError(code) => {
                format!("the CUDA driver failed to initialise ({code})")
            }
            CudaStatus::NoDevices => "the CUDA driver reports no devices".into(),
            CudaStatus::Available { nvrtc: false, .. } => {
                "libnvrtc (CUDA 13) was not found; put the CUDA toolkit's lib64 on \
                 LD_LIBRARY_PATH"
                    .into()
            }
            CudaStatus::Available { .. } => "available".into(),
        }
    }

    /// Whether devices are present and NVRTC loads (the minimum to run a
    /// kernel).
    ///
    /// ```
    /// use tensorbridge_cuda::CudaStatus;
    ///
    /// assert!(!CudaStatus::NoDevices.is_usable());
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn is_usable(&self) -> bool {
        matches!(self, CudaStatus::Available { nvrtc: true, .. })
    }
}

fn probe_uncached() -> CudaStatus {
    // SAFETY: is_culib_present only dlopen()s each candidate name and drops
    // the handle; it must run before any other driver call, which panics
    // when the library is missing.
    if !unsafe { cudarc::driver::sys::is_culib_present() } {
        return CudaStatus::NoDriverLibrary;
    }
    match CudaContext::device_count() {
        Err(e) => CudaStatus::DriverError(code_name(e.0)),
        Ok(n) if n <= 0 => CudaStatus::NoDevices,
        Ok(n) => CudaStatus::Available {
            devices: n as usize,
            // SAFETY: as above, a dlopen() of each candidate name.
            nvrtc: unsafe { cudarc::nvrtc::sys::is_culib_present() },
            // SAFETY: as above.
            cublas: unsafe { cudarc::cublas::sys::is_culib_present() },
            // SAFETY: as above.
            curand: unsafe { cudarc::curand::sys::is_culib_present() },
        },
    }
}

/// Probes the driver once per process (later calls return the cached
/// status); never panics, whatever is missing.
///
/// ```
/// let status = tensorbridge_cuda::probe();
/// println!("{status:?}");
/// # Ok::<(), tensorbridge_cuda::CudaError>(())
/// ```
pub fn probe() -> CudaStatus {
    static STATUS: OnceLock<CudaStatus> = OnceLock::new();
    STATUS.get_or_init(probe_uncached).clone()
}

/// The number of usable devices: 0 unless [`probe`] finds devices and NVRTC.
///
/// ```
/// let n = tensorbridge_cuda::device_count();
/// assert_eq!(n > 0, tensorbridge_cuda::probe().is_usable());
/// # Ok::<(), tensorbridge_cuda::CudaError>(())
/// ```
pub fn device_count() -> usize {
    match probe() {
        CudaStatus::Available {
            devices,
            nvrtc: true,
            ..
        } => devices,
        _ => 0,
    }
}

/// Whether the NVRTC library can be loaded (no GPU needed).
pub(crate) fn nvrtc_present() -> bool {
    static PRESENT: OnceLock<bool> = OnceLock::new();
    // SAFETY: a dlopen() of each candidate name, nothing else.
    *PRESENT.get_or_init(|| unsafe { cudarc::nvrtc::sys::is_culib_present() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_never_panics_and_is_stable() {
        let a = probe();
        let b = probe();
        assert_eq!(a, b);
        assert_eq!(device_count() > 0, a.is_usable());
        if !a.is_usable() {
            assert!(!a.reason().is_empty());
            assert_ne!(a.reason(), "available");
        }
    }

    #[test]
    fn reasons_name_what_is_missing() {
        assert!(
            CudaStatus::DriverError("CUDA_ERROR_STUB_LIBRARY".into())
                .reason()
                .contains("CUDA_ERROR_STUB_LIBRARY")
        );
        let no_nvrtc = CudaStatus::Available {
            devices: 1,
            nvrtc: false,
            cublas: true,
            curand: true,
        };
        assert!(!no_nvrtc.is_usable());
        assert!(no_nvrtc.reason().contains("nvrtc"));
    }
}
