//! Core's side of the CUDA backend (feature `cuda`): the device variant of a
//! tensor's storage, transfers between host and device, and every core op
//! on device tensors, each a call into `tensorbridge-cuda` after the same
//! host-side validation (shapes, dtypes, arguments) the CPU path does.
//!
//! The ops keep their CPU semantics. Where a kernel cannot match them to
//! the last bit (float transcendental functions, the order of a float sum),
//! the doc of the op says by how much.

mod create;
mod elementwise;
mod fused;
mod index;
mod interop;
mod reduce;
mod shape;
mod storage;
mod transfer;

use std::sync::Arc;

use tensorbridge_cuda::{CudaDevice, CudaError, CudaStatus, ElemType, StridedLayout};

pub(crate) use storage::CudaStorage;
pub(crate) use transfer::{DevicePending, DownloadBatch, download_vec, to_device, write_c_order};

use crate::{DType, Device, Error, Layout, Result, Tensor};

/// `Ok` when CUDA GPU `ordinal` can hold tensors, else why not (the
/// backend's probe: no driver library, a stub driver, no devices, no NVRTC,
/// an ordinal past the last GPU).
pub(crate) fn check_available(ordinal: usize) -> Result<()> {
    let device = Device::Cuda(ordinal);
    let status = tensorbridge_cuda::probe();
    let reason = match status {
        CudaStatus::Available { devices, .. } if status.is_usable() => {
            if ordinal < devices {
                return Ok(());
            }
            format!("this machine has {devices} CUDA device(s), ordinals 0..{devices}")
        }
        other => format!("{}; tensors can only live on the CPU here", other.reason()),
    };
    Err(Error::DeviceUnavailable { device, reason })
}

/// The CUDA GPUs tensors can be made on, by ordinal.
pub(crate) fn devices() -> Vec<Device> {
    (0..tensorbridge_cuda::device_count())
        .map(Device::Cuda)
        .collect()
}

/// The backend's handle of `device` (which must be a CUDA device), checked
/// to be available.
pub(crate) fn backend(device: Device) -> Result<Arc<CudaDevice>> {
    let Device::Cuda(ordinal) = device else {
        unreachable!("backend() is only asked for CUDA devices, got {device}")
    };
    check_available(ordinal)?;
    CudaDevice::get(ordinal).map_err(|e| map_err("cuda", device, e))
}

/// The backend's error as core's [`Error`], naming `op` and `device`.
pub(crate) fn map_err(op: &'static str, device: Device, e: CudaError) -> Error {
    match e {
        CudaError::Unavailable(reason) => Error::DeviceUnavailable { device, reason },
        CudaError::OutOfMemory { requested, free } => Error::OutOfMemory {
            requested_bytes: requested,
            available_bytes: Some(free),
        },
        CudaError::InvalidArgument(what) => Error::invalid(op, format!("on {device}: {what}")),
        CudaError::Unsupported(what) => Error::invalid(
            op,
            format!("not supported on {device}: {what}; move the tensor with .cpu() first"),
        ),
        CudaError::Driver(what) => Error::DeviceUnavailable {
            device,
            reason: format!("{op}: the CUDA driver failed: {what}"),
        },
        CudaError::KernelCompile(log) => Error::DeviceUnavailable {
            device,
            reason: format!("{op}: a CUDA kernel failed to compile (NVRTC): {log}"),
        },
        e @ CudaError::IndexOutOfBounds { .. } => map_index_err(op, device, 0, e),
    }
}

/// The backend's error of an index op as core's [`Error`]: a bad index
/// found by a kernel becomes [`Error::IndexOutOfBounds`] along `axis`, as on
/// the CPU (the location names the input and flat position the kernel
/// reported).
pub(crate) fn map_index_err(op: &'static str, device: Device, axis: usize, e: CudaError) -> Error {
    match e {
        CudaError::IndexOutOfBounds {
            what,
            position,
            value,
            bound,
        } => {
            // The bound reads "0..N" (optionally followed by more text).
            let size = bound
                .strip_prefix("0..")
                .map(|rest| {
                    rest.chars()
                        .take_while(char::is_ascii_digit)
                        .collect::<String>()
                })
                .and_then(|digits| digits.parse::<usize>().ok());
            match size {
                Some(size) => Error::IndexOutOfBounds {
                    op,
                    index: isize::try_from(value).unwrap_or(isize::MAX),
                    axis,
                    size,
                    location: Some(format!("{what}[{position}]")),
                },
                None => Error::invalid(
                    op,
                    format!(
                        "on {device}: {what}[{position}] = {value} is out of bounds: it must lie \
                         in {bound}"
                    ),
                ),
            }
        }
        other => map_err(op, device, other),
    }
}

/// The backend's element type of `dtype`.
pub(crate) fn elem(dtype: DType) -> ElemType {
    match dtype {
        DType::Bool => ElemType::Bool,
        DType::U8 => ElemType::U8,
        DType::U16 => ElemType::U16,
        DType::U32 => ElemType::U32,
        DType::U64 => ElemType::U64,
        DType::I8 => ElemType::I8,
        DType::I16 => ElemType::I16,
        DType::I32 => ElemType::I32,
        DType::I64 => ElemType::I64,
        DType::F16 => ElemType::F16,
        DType::BF16 => ElemType::BF16,
        DType::F32 => ElemType::F32,
        DType::F64 => ElemType::F64,
        DType::C64 => ElemType::C64,
        DType::C128 => ElemType::C128,
    }
}

/// `layout` as the backend's strided layout (both count in elements).
pub(crate) fn strided(layout: &Layout) -> StridedLayout<'_> {
    StridedLayout {
        dims: layout.dims(),
        strides: layout.strides(),
        offset: layout.offset(),
    }
}

/// The device all of `tensors` live on: `Cpu` when all are host tensors,
/// the GPU when all are on that GPU.
///
/// **Errors**: [`Error::InvalidArgument`] naming both devices when they
/// differ: TensorFlow copies between devices silently, tensorbridge says so
/// and lets the caller move one with [`Tensor::to_device`].
pub(crate) fn placement(op: &'static str, tensors: &[&Tensor]) -> Result<Device> {
    let mut iter = tensors.iter().filter(|t| t.symbol().is_none());
    let Some(first) = iter.next() else {
        return Ok(Device::Cpu);
    };
    let device = first.device();
    for t in iter {
        if t.device() != device {
            return Err(mixed_devices(op, device, t.device()));
        }
    }
    Ok(device)
}

/// The error of an op whose operands live on two devices.
pub(crate) fn mixed_devices(op: &'static str, a: Device, b: Device) -> Error {
    Error::invalid(
        op,
        format!(
            "the operands live on different devices, {a} and {b}; tensorbridge never copies \
             between devices silently: move one with .to_device(Device::{}) (or .cpu()) first",
            match a {
                Device::Cpu => "Cpu".to_owned(),
                Device::Cuda(n) => format!("Cuda({n})"),
            }
        ),
    )
}

pub(crate) use create::{full, zeros};
pub(crate) use elementwise::{
    any_zero, binary, binary_op, cast, complex_part, contiguous_copy, unary, unary_op, where_,
};
pub(crate) use fused::run_fused;
pub(crate) use index::{gather, pad_segments, scatter_nd, segment_sum};
pub(crate) use reduce::{arg_reduce, cumulative, reduce};
pub(crate) use shape::{
    concat_rows, matmul, one_hot, pad, random_normal, random_uniform, rgb_to_grayscale, tile,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dtype_has_the_backend_type_of_its_size() {
        for dtype in DType::ALL {
            let e = elem(dtype);
            assert_eq!(e.size_bytes(), dtype.size_in_bytes(), "{dtype}");
            assert_eq!(e.name(), dtype.name(), "{dtype}");
        }
    }

    #[test]
    fn backend_errors_map_to_core_variants() {
        let gpu = Device::Cuda(1);
        match map_err(
            "zeros",
            gpu,
            CudaError::OutOfMemory {
                requested: 10,
                free: 3,
            },
        ) {
            Error::OutOfMemory {
                requested_bytes: 10,
                available_bytes: Some(3),
            } => {}
            other => panic!("{other:?}"),
        }
        match map_err("add", gpu, CudaError::Unavailable("no driver".into())) {
            Error::DeviceUnavailable { device, reason } => {
                assert_eq!(device, gpu);
                assert_eq!(reason, "no driver");
            }
            other => panic!("{other:?}"),
        }
        let e = map_err(
            "add",
            gpu,
            CudaError::Driver("CUDA_ERROR_LAUNCH_FAILED".into()),
        );
        assert!(matches!(e, Error::DeviceUnavailable { .. }));
        assert!(e.to_string().contains("CUDA_ERROR_LAUNCH_FAILED"), "{e}");
        let e = map_err(
            "cast",
            gpu,
            CudaError::Unsupported("bf16 below sm_80".into()),
        );
        assert!(
            e.to_string().contains("bf16 below sm_80") && e.to_string().contains("cuda:1"),
            "{e}"
        );
        let e = map_err(
            "sum",
            gpu,
            CudaError::InvalidArgument("rank 13 > 12".into()),
        );
        assert!(
            matches!(e, Error::InvalidArgument { op: "sum", .. }),
            "{e:?}"
        );
        let e = map_err("x", gpu, CudaError::KernelCompile("log".into()));
        assert!(matches!(e, Error::DeviceUnavailable { .. }), "{e:?}");
    }

    #[test]
    fn a_bad_index_keeps_its_position_value_and_bound() {
        let bad = || CudaError::IndexOutOfBounds {
            what: "segment_ids",
            position: 4,
            value: -3,
            bound: "0..7".into(),
        };
        match map_index_err("segment_sum", Device::Cuda(0), 0, bad()) {
            Error::IndexOutOfBounds {
                op: "segment_sum",
                index: -3,
                axis: 0,
                size: 7,
                location: Some(at),
            } => assert_eq!(at, "segment_ids[4]"),
            other => panic!("{other:?}"),
        }
        // A bound that is not a plain range keeps the backend's words.
        let e = map_index_err(
            "gather",
            Device::Cuda(0),
            0,
            CudaError::IndexOutOfBounds {
                what: "indices",
                position: 1,
                value: 9,
                bound: "-1 or 0..5".into(),
            },
        );
        assert!(e.to_string().contains("indices[1] = 9"), "{e}");
    }

    #[test]
    fn without_a_gpu_nothing_is_listed_and_the_reason_is_given() {
        if tensorbridge_cuda::device_count() > 0 {
            return;
        }
        assert!(devices().is_empty());
        let e = check_available(0).unwrap_err();
        assert!(
            e.to_string().starts_with("device cuda:0 is unavailable: "),
            "{e}"
        );
        assert!(backend(Device::Cuda(0)).is_err());
    }

    #[test]
    fn mixed_devices_name_both() {
        let e = mixed_devices("add", Device::Cuda(0), Device::Cpu);
        let msg = e.to_string();
        assert!(msg.starts_with("add: "), "{msg}");
        assert!(msg.contains("cuda:0 and cpu"), "{msg}");
        assert!(msg.contains("to_device(Device::Cuda(0))"), "{msg}");
    }
}
