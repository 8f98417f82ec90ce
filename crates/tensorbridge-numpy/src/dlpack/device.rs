//! Device ⇄ DLPack's `DLDevice`: the one place that decides which devices
//! can cross the DLPack boundary. Host memory today; the CUDA backend adds
//! its arm here (`Device::Cuda(n)` ⇄ `kDLCUDA`, device id `n`).

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

/// The DLPack device of `device`, for an export.
///
/// **Errors**: [`Error::DeviceUnavailable`] for a device whose memory cannot
/// be exported in this build (every CUDA device until the CUDA backend
/// exports device pointers); copy to the host with `.cpu()` first.
///
/// ```
/// use tensorbridge_core::Device;
/// use tensorbridge_numpy::dlpack::device::to_dl_device;
///
/// assert_eq!(to_dl_device(Device::Cpu)?.device_type.0, 1); // kDLCPU
/// assert!(to_dl_device(Device::Cuda(0)).is_err());
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub fn to_dl_device(device: Device) -> Result<DLDevice> {
    match device {
        Device::Cpu => Ok(DLDevice::CPU),
        other => Err(Error::DeviceUnavailable {
            device: other,
            reason: "DLPack export of device memory is not supported in this build; copy the \
                     tensor to the host first (.cpu(), or .numpy() which copies)"
                .into(),
        }),
    }
}

/// The device of a DLPack device, for an import: the CPU for `kDLCPU` and
/// for pinned host memory (`kDLCUDAHost`, `kDLROCMHost`), which the CPU
/// reads directly.
///
/// **Errors**: [`Error::InvalidArgument`] naming the device type for every
/// other device (device memory cannot be read in place by the host).
///
/// ```
/// use tensorbridge_core::Device;
/// use tensorbridge_numpy::dlpack::{DLDevice, device::from_dl_device};
///
/// assert_eq!(from_dl_device(DLDevice::CPU)?, Device::Cpu);
/// assert!(from_dl_device(DLDevice::cuda(0)).is_err());
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub fn from_dl_device(device: DLDevice) -> Result<Device> {
    match device.device_type {
        DLDeviceType::CPU | DLDeviceType::CUDAHOST | DLDeviceType::ROCMHOST => Ok(Device::Cpu),
        other => Err(super::invalid(
            "from_dlpack",
            format!(
                "the DLPack tensor lives on device type {} (id {}); only host memory (kDLCPU = 1, \
                 kDLCUDAHost = 3, kDLROCMHost = 11) can be imported in this build; copy it to the \
                 host on the producer's side first",
                other.0, device.device_id
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_memory_crosses_device_memory_does_not() {
        assert_eq!(to_dl_device(Device::Cpu).unwrap(), DLDevice::CPU);
        let e = to_dl_device(Device::Cuda(1)).unwrap_err();
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
        let e = from_dl_device(DLDevice::cuda(3)).unwrap_err();
        assert!(e.to_string().contains("device type 2 (id 3)"), "{e}");
        let e = from_dl_device(DLDevice {
            device_type: DLDeviceType(99),
            device_id: 0,
        })
        .unwrap_err();
        assert!(e.to_string().contains("device type 99"), "{e}");
    }
}
