//! Device ⇄ DLPack's `DLDevice`: the one place that decides which devices
//! can cross the DLPack boundary: host memory always; CUDA GPUs
//! (`Device::Cuda(n)` ⇄ `kDLCUDA`, device id `n`) with the `cuda` feature.

use dlpark::ffi::{DLDevice, DLDeviceType};
use tensorbridge_core::{Device, Error, Result};

/// Where `device` is, in DLPack's terms (`kDLCPU`, or `kDLCUDA` with the
/// ordinal): what `__dlpack_device__` reports, whether or not the memory
/// can be exported in this build (see [`to_dl_device`]).
///
/// ```
/// use tensorbridge_core::Device;
/// use tensorbridge_numpy::dlpack::device::dl_device_of;
///
/// assert_eq!(dl_device_of(Device::Cuda(1)), Some(tensorbridge_numpy::dlpack::DLDevice::cuda(1)));
/// ```
pub fn dl_device_of(device: Device) -> Option<DLDevice> {
    match device {
        Device::Cpu => Some(DLDevice::CPU),
        Device::Cuda(n) => i32::try_from(n).ok().map(DLDevice::cuda),
    }
}

/// The DLPack device of `device`, for an export: `kDLCPU`, or `kDLCUDA`
/// with the ordinal (with the `cuda` feature).
///
/// **Errors**: [`Error::DeviceUnavailable`] for a CUDA device in a build
/// without the `cuda` feature (no tensor can live there anyway), or an
/// ordinal that does not fit DLPack's `int32` device id.
///
/// ```
/// use tensorbridge_core::Device;
/// use tensorbridge_numpy::dlpack::device::to_dl_device;
///
/// assert_eq!(to_dl_device(Device::Cpu)?.device_type.0, 1); // kDLCPU
/// match to_dl_device(Device::Cuda(0)) {
///     Ok(d) => assert_eq!((d.device_type.0, d.device_id), (2, 0)), // kDLCUDA, feature `cuda`
///     Err(e) => assert!(e.to_string().contains("cuda:0")),
/// }
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub fn to_dl_device(device: Device) -> Result<DLDevice> {
    match device {
        Device::Cpu => Ok(DLDevice::CPU),
        Device::Cuda(n) if cfg!(feature = "cuda") => {
            dl_device_of(device).ok_or_else(|| Error::DeviceUnavailable {
                device,
                reason: format!("CUDA ordinal {n} does not fit DLPack's int32 device id"),
            })
        }
        other => Err(Error::DeviceUnavailable {
            device: other,
            reason: "DLPack export of device memory needs tensorbridge-numpy's `cuda` feature; \
                     copy the tensor to the host first (.cpu(), or .numpy() which copies)"
                .into(),
        }),
    }
}

/// The device of a DLPack device, for an import: the CPU for `kDLCPU` and
/// for pinned host memory (`kDLCUDAHost`, `kDLROCMHost`), which the CPU
/// reads directly; CUDA GPU `n` for `kDLCUDA` with device id `n`.
///
/// **Errors**: [`Error::DeviceUnavailable`] for `kDLCUDA` in a build
/// without the `cuda` feature; [`Error::InvalidArgument`] naming the device
/// type for `kDLCUDAManaged` (unified memory: ask the producer for device or
/// host memory), a negative CUDA device id, and every other device.
///
/// ```
/// use tensorbridge_core::Device;
/// use tensorbridge_numpy::dlpack::{DLDevice, device::from_dl_device};
///
/// assert_eq!(from_dl_device(DLDevice::CPU)?, Device::Cpu);
/// match from_dl_device(DLDevice::cuda(0)) {
///     Ok(d) => assert_eq!(d, Device::Cuda(0)), // feature `cuda`
///     Err(e) => assert!(e.to_string().contains("cuda:0 is unavailable")),
/// }
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub fn from_dl_device(device: DLDevice) -> Result<Device> {
    match device.device_type {
        DLDeviceType::CPU | DLDeviceType::CUDAHOST | DLDeviceType::ROCMHOST => Ok(Device::Cpu),
        DLDeviceType::CUDA => {
            let n = usize::try_from(device.device_id).map_err(|_| {
                super::invalid(
                    "from_dlpack",
                    format!("the CUDA device id {} is negative", device.device_id),
                )
            })?;
            if cfg!(feature = "cuda") {
                Ok(Device::Cuda(n))
            } else {
                Err(Error::DeviceUnavailable {
                    device: Device::Cuda(n),
                    reason: "DLPack import of CUDA memory needs tensorbridge-numpy's `cuda` \
                             feature; copy it to the host on the producer's side first"
                        .into(),
                })
            }
        }
        DLDeviceType::CUDAMANAGED => Err(super::invalid(
            "from_dlpack",
            format!(
                "the DLPack tensor lives in CUDA managed (unified) memory (kDLCUDAManaged = 13, \
                 id {}), which tensorbridge does not import; ask the producer for device memory \
                 (kDLCUDA) or a host copy",
                device.device_id
            ),
        )),
        other => Err(super::invalid(
            "from_dlpack",
            format!(
                "the DLPack tensor lives on device type {} (id {}); only host memory (kDLCPU = 1, \
                 kDLCUDAHost = 3, kDLROCMHost = 11) and CUDA memory (kDLCUDA = 2) can be \
                 imported; copy it to the host on the producer's side first",
                other.0, device.device_id
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_memory_always_crosses_cuda_memory_with_the_feature() {
        assert_eq!(to_dl_device(Device::Cpu).unwrap(), DLDevice::CPU);
        let cuda = cfg!(feature = "cuda");
        match to_dl_device(Device::Cuda(1)) {
            Ok(d) => {
                assert!(cuda, "exported without the feature");
                assert_eq!(d, DLDevice::cuda(1));
            }
            Err(e) => {
                assert!(!cuda, "{e}");
                assert!(
                    matches!(
                        e,
                        Error::DeviceUnavailable {
                            device: Device::Cuda(1),
                            ..
                        }
                    ),
                    "{e}"
                );
            }
        }
        for host in [
            DLDeviceType::CPU,
            DLDeviceType::CUDAHOST,
            DLDeviceType::ROCMHOST,
        ] {
            let d = DLDevice {
                device_type: host,
                device_id: 0,
            };
            assert_eq!(from_dl_device(d).unwrap(), Device::Cpu);
        }
        match from_dl_device(DLDevice::cuda(3)) {
            Ok(d) => {
                assert!(cuda, "imported without the feature");
                assert_eq!(d, Device::Cuda(3));
            }
            Err(e) => {
                assert!(!cuda, "{e}");
                assert!(matches!(e, Error::DeviceUnavailable { .. }), "{e}");
            }
        }
        let e = from_dl_device(DLDevice::cuda(-1)).unwrap_err();
        assert!(
            e.to_string().contains("CUDA device id -1 is negative"),
            "{e}"
        );
        let e = from_dl_device(DLDevice {
            device_type: DLDeviceType::CUDAMANAGED,
            device_id: 0,
        })
        .unwrap_err();
        assert!(e.to_string().contains("kDLCUDAManaged = 13"), "{e}");
        let e = from_dl_device(DLDevice {
            device_type: DLDeviceType(99),
            device_id: 0,
        })
        .unwrap_err();
        assert!(e.to_string().contains("device type 99"), "{e}");
    }
}
