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
/// **Errors**: [`tensorbridge_core::Error::DeviceUnavailable`] for a tensor
/// in device memory (export its `.cpu()` copy); the errors of `view` for a
/// symbolic tensor; [`tensorbridge_core::Error::InvalidArgument`] for a
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
    export(tensor, "to_dlpack")
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
    export(tensor, "to_dlpack_legacy")
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

fn export<M: ManagedTensorBase>(tensor: &Tensor, op: &'static str) -> Result<dlpark::Managed<M>> {
    let device = to_dl_device(tensor.device())?;
    let mut tensor = tensor.clone();
    let (mut data, mut strides) = host_parts(&tensor)?;
    if strides.iter().any(|&s| s < 0) {
        tensor = tensor.contiguous_copy()?;
        (data, strides) = host_parts(&tensor)?;
    }
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
        .initialize_as::<M>(Box::new(tensor))
        .map_err(|e| invalid(op, format!("cannot describe the tensor to DLPack: {e}")))?;
    init.set_data(data.cast_mut())
        .set_device(device)
        .set_dtype(dtype)
        .set_byte_offset(0);
    init.set_flags(DlpackFlags::READ_ONLY)
        .map_err(|e| invalid(op, e.to_string()))?;
    // SAFETY: `data` points at element [0, 0, ...] of a host buffer that the
    // context (a clone of the tensor, dropped only by the deleter) keeps
    // alive and unchanged; the shape and strides (in elements) are those of
    // the tensor's layout, which was checked to stay inside that buffer, and
    // they are stored explicitly in the allocation; the dtype is the
    // buffer's. READ_ONLY is set (a no-op for the legacy ABI) because the
    // buffer is shared with every other handle on it.
    Ok(unsafe { init.finish() })
}
