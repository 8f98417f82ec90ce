//! Tensor → DLPack managed tensor, zero-copy.

use std::ffi::c_void;

use dlpark::ManagedTensorBase;
use dlpark::metadata::Dynamic;
use tensorbridge_core::{DType, Result, Tensor, bf16, f16};

use super::device::to_dl_device;
use super::{DlpackFlags, DlpackTensor, LegacyDlpackTensor, invalid, to_dl_dtype};

/// The tensor as a DLPack 1.x managed tensor over its own buffer, flagged
/// `READ_ONLY` (tensors are immutable and the buffer may be shared). O(1)
/// in the size: only the shape and strides are written. The managed tensor
/// holds a reference to the buffer; its deleter releases it, once.
///
/// Strides are passed on as they are (views of a tensor export as views);
/// a layout with negative strides (a reversed axis), which many consumers
/// refuse, is exported as a C-order copy.
///
/// A tensor on a CUDA GPU (feature `cuda`) exports as `kDLCUDA` with the
/// GPU's ordinal: the data pointer is the device address of its first
/// element, the strides those of its layout. The GPU's stream is
/// synchronized first, so any consumer may read at once (use
/// [`to_dlpack_for_stream`] to hand over to a consumer's stream instead);
/// the deleter waits for every stream of the GPU's context before it lets
/// the buffer go.
///
/// **Errors**: [`tensorbridge_core::Error::DeviceUnavailable`] for a tensor
/// in device memory without the `cuda` feature (export its `.cpu()` copy);
/// the errors of `view` for a symbolic tensor; [`tensorbridge_core::Error::InvalidArgument`] for a
/// rank or dim that does not fit DLPack's `int32`/`int64` fields.
///
/// ```
/// use tensorbridge_core::Tensor;
/// use tensorbridge_numpy::dlpack::{DlpackFlags, to_dlpack};
///
/// let t = Tensor::from([[1u8, 2, 3], [4, 5, 6]]).t()?; // a transposed view
/// let managed = to_dlpack(&t)?;
/// let dl = managed.validate().unwrap();
/// assert_eq!((dl.shape(), dl.strides()), (&[3i64, 2][..], Some(&[1i64, 3][..])));
/// assert_eq!(managed.flags(), DlpackFlags::READ_ONLY);
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub fn to_dlpack(tensor: &Tensor) -> Result<DlpackTensor> {
    export(tensor, "to_dlpack", Handoff::Synchronize)
}

/// The tensor as a legacy (pre-1.0) DLPack managed tensor, for consumers
/// that do not speak DLPack 1.x. Legacy tensors carry no flags, so nothing
/// tells such a consumer that the buffer is read-only: it must not write.
///
/// **Errors**: as [`to_dlpack`].
///
/// ```
/// use tensorbridge_core::Tensor;
/// use tensorbridge_numpy::dlpack::to_dlpack_legacy;
///
/// let managed = to_dlpack_legacy(&Tensor::from([true, false]))?;
/// assert_eq!(managed.validate().unwrap().dtype().code.0, 6); // kDLBool
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub fn to_dlpack_legacy(tensor: &Tensor) -> Result<LegacyDlpackTensor> {
    export(tensor, "to_dlpack_legacy", Handoff::Synchronize)
}

/// [`to_dlpack`] for a consumer that reads on CUDA stream `stream` (the
/// DLPack stream protocol, `__dlpack__(stream=...)`): instead of waiting
/// on the host, the consumer's stream is made to wait for the work queued
/// on the tensor's GPU (an event; the host goes on at once). `None` is
/// DLPack's `-1`: the consumer synchronizes itself, nothing is done. For a
/// host tensor the stream is ignored.
///
/// **Errors**: as [`to_dlpack`]; [`tensorbridge_core::Error::InvalidArgument`]
/// for stream 0 (ambiguous in DLPack).
///
/// # Safety
///
/// For a device tensor, `stream` must be `Some(1)` (the legacy default
/// stream), `Some(2)` (the per-thread default stream), `None`, or a live
/// `CUstream` of the tensor's GPU's primary context.
///
/// ```
/// use tensorbridge_core::Tensor;
/// use tensorbridge_numpy::dlpack::to_dlpack_for_stream;
///
/// let t = Tensor::from([1.0f32, 2.0]);
/// // SAFETY: a host tensor ignores the stream.
/// let managed = unsafe { to_dlpack_for_stream(&t, Some(1))? };
/// assert_eq!(managed.validate().unwrap().shape(), [2]);
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub unsafe fn to_dlpack_for_stream(tensor: &Tensor, stream: Option<usize>) -> Result<DlpackTensor> {
    export(
        tensor,
        "to_dlpack",
        stream.map_or(Handoff::Nothing, Handoff::Stream),
    )
}

/// [`to_dlpack_legacy`] with the stream hand-off of
/// [`to_dlpack_for_stream`].
///
/// **Errors**: as [`to_dlpack_for_stream`].
///
/// # Safety
///
/// As [`to_dlpack_for_stream`].
///
/// ```
/// use tensorbridge_core::Tensor;
/// use tensorbridge_numpy::dlpack::to_dlpack_legacy_for_stream;
///
/// // SAFETY: a host tensor ignores the stream.
/// let managed = unsafe { to_dlpack_legacy_for_stream(&Tensor::from([7u8]), None)? };
/// assert_eq!(managed.validate().unwrap().shape(), [1]);
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub unsafe fn to_dlpack_legacy_for_stream(
    tensor: &Tensor,
    stream: Option<usize>,
) -> Result<LegacyDlpackTensor> {
    export(
        tensor,
        "to_dlpack_legacy",
        stream.map_or(Handoff::Nothing, Handoff::Stream),
    )
}

/// The address of element `[0, 0, ...]` and the strides in elements of a
/// host tensor.
fn host_parts(tensor: &Tensor) -> Result<(*const c_void, Vec<isize>)> {
    macro_rules! parts {
        ($($variant:ident => $ty:ty),* $(,)?) => {
            match tensor.dtype() {
                $(DType::$variant => {
                    let v = tensor.view::<$ty>()?;
                    (v.as_ptr().cast::<c_void>(), v.strides().to_vec())
                })*
            }
        };
    }
    Ok(parts!(
        Bool => bool,
        U8 => u8,
        U16 => u16,
        U32 => u32,
        U64 => u64,
        I8 => i8,
        I16 => i16,
        I32 => i32,
        I64 => i64,
        F16 => f16,
        BF16 => bf16,
        F32 => f32,
        F64 => f64,
        C64 => num_complex::Complex<f32>,
        C128 => num_complex::Complex<f64>,
    ))
}

/// What an export does about work still queued on a GPU's stream.
#[derive(Debug, Clone, Copy)]
enum Handoff {
    /// Wait on the host until the tensor's device is done (any consumer,
    /// on any stream, may read at once).
    Synchronize,
    /// Make this consumer stream wait for the device, without blocking.
    Stream(
        #[cfg_attr(
            not(feature = "cuda"),
            expect(dead_code, reason = "host tensors have no stream")
        )]
        usize,
    ),
    /// Nothing: the consumer said it synchronizes itself (DLPack's -1).
    Nothing,
}

/// What the managed tensor owns: a handle on the tensor (so its buffer,
/// host or device, stays where it is until the deleter). For a device
/// tensor, dropping it first waits for every stream of the device's
/// context, the consumer's included: the buffer may go back to the caching
/// allocator, and nothing of the consumer's may still read it then.
struct Keep(
    #[cfg_attr(
        not(feature = "cuda"),
        expect(dead_code, reason = "held only to keep the buffer alive")
    )]
    Tensor,
);

impl Drop for Keep {
    fn drop(&mut self) {
        #[cfg(feature = "cuda")]
        if let tensorbridge_core::Device::Cuda(n) = self.0.device()
            && let Ok(dev) = tensorbridge_cuda::CudaDevice::get(n)
        {
            // A failure is recorded by the driver and reported by the next
            // synchronize; a deleter has no one to report it to.
            let _ = dev.synchronize_context();
        }
    }
}

/// The device address of element `[0, 0, ...]` and the strides in
/// elements of a device tensor, after the hand-off to the consumer.
#[cfg(feature = "cuda")]
fn device_parts(tensor: &Tensor, handoff: Handoff) -> Result<(*const c_void, Vec<isize>)> {
    use tensorbridge_core::{Device, Error};
    let Device::Cuda(n) = tensor.device() else {
        unreachable!("device_parts is asked for device tensors only")
    };
    let device = Device::Cuda(n);
    let dev = tensorbridge_cuda::CudaDevice::get(n).map_err(|e| Error::DeviceUnavailable {
        device,
        reason: e.to_string(),
    })?;
    let failed = |e: tensorbridge_cuda::CudaError| match e {
        tensorbridge_cuda::CudaError::InvalidArgument(what) => invalid("to_dlpack", what),
        other => Error::DeviceUnavailable {
            device,
            reason: other.to_string(),
        },
    };
    match handoff {
        Handoff::Synchronize => dev.synchronize().map_err(failed)?,
        // SAFETY: the caller of the `_for_stream` export vouches for the
        // stream handle (1, 2, or a live stream of the device's context).
        Handoff::Stream(s) => unsafe { dev.make_stream_wait(s) }.map_err(failed)?,
        Handoff::Nothing => {}
    }
    let ptr = tensor.cuda_data_ptr()?;
    let ptr = usize::try_from(ptr).map_err(|_| {
        invalid(
            "to_dlpack",
            format!("device address {ptr:#x} does not fit a pointer"),
        )
    })?;
    Ok((
        std::ptr::without_provenance(ptr),
        tensor.layout().strides().to_vec(),
    ))
}

fn export<M: ManagedTensorBase>(
    tensor: &Tensor,
    op: &'static str,
    handoff: Handoff,
) -> Result<dlpark::Managed<M>> {
    let device = to_dl_device(tensor.device())?;
    let mut tensor = tensor.clone();
    if tensor.layout().strides().iter().any(|&s| s < 0) {
        tensor = tensor.contiguous_copy()?;
    }
    let (data, strides) = match tensor.device() {
        tensorbridge_core::Device::Cpu => host_parts(&tensor)?,
        #[cfg(feature = "cuda")]
        tensorbridge_core::Device::Cuda(_) => device_parts(&tensor, handoff)?,
        #[cfg(not(feature = "cuda"))]
        tensorbridge_core::Device::Cuda(_) => {
            let _ = handoff;
            unreachable!("to_dl_device refuses CUDA devices without the `cuda` feature")
        }
    };
    let shape = tensor
        .dims()
        .iter()
        .map(|&d| i64::try_from(d))
        .collect::<std::result::Result<Vec<i64>, _>>()
        .map_err(|_| invalid(op, format!("shape {} does not fit int64", tensor.shape())))?;
    // isize is at most 64 bits wide on every supported target.
    let strides: Vec<i64> = strides.iter().map(|&s| s as i64).collect();
    let dtype = to_dl_dtype(tensor.dtype());
    // The context owns a handle on the buffer: the bytes stay where they are
    // until the deleter drops it (tensors never move or mutate their buffer).
    let mut init = Dynamic::new(shape, strides)
        .initialize_as::<M>(Box::new(Keep(tensor)))
        .map_err(|e| invalid(op, format!("cannot describe the tensor to DLPack: {e}")))?;
    init.set_data(data.cast_mut())
        .set_device(device)
        .set_dtype(dtype)
        .set_byte_offset(0);
    init.set_flags(DlpackFlags::READ_ONLY)
        .map_err(|e| invalid(op, e.to_string()))?;
    // SAFETY: `data` points at element [0, 0, ...] of a buffer (host
    // memory, or device memory of the GPU `device` names) that the context
    // (a clone of the tensor, dropped only by the deleter) keeps alive and
    // unchanged; the shape and strides (in elements) are those of the
    // tensor's layout, which was checked to stay inside that buffer, and
    // they are stored explicitly in the allocation; the dtype is the
    // buffer's. READ_ONLY is set (a no-op for the legacy ABI) because the
    // buffer is shared with every other handle on it.
    Ok(unsafe { init.finish() })
}
