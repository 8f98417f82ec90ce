//! DLPack: hand a tensor to any DLPack consumer (NumPy, PyTorch, JAX, CuPy)
//! and take theirs, without copying the elements. Behind feature `dlpack`;
//! the managed-tensor types come from the [`dlpark`] crate.
//!
//! - [`to_dlpack`] / [`to_dlpack_legacy`]: a tensor as a DLPack 1.x
//!   versioned managed tensor (flag `READ_ONLY`: tensors are immutable, the
//!   consumer must not write) or as a legacy pre-1.0 one (no flags field).
//!   The managed tensor keeps the tensor's buffer alive; its deleter drops
//!   that reference exactly once.
//! - [`from_dlpack`]: a DLPack managed tensor as a tensor over the same
//!   bytes; the tensor owns the managed tensor and calls its deleter exactly
//!   once, when the last view of the bytes is dropped.
//! - [`from_strided_host_bytes`]: the same for a strided buffer someone
//!   else owns (NumPy arrays take this road in the Python module).
//!
//! Every dtype maps: integers, floats, `float16`, `bfloat16` (`kDLBfloat`),
//! `bool` (`kDLBool`, 8 bits) and complex (`kDLComplex`, 64 and 128 bits).
//!
//! Devices: host memory always; with the `cuda` feature, tensors on CUDA
//! GPUs cross as `kDLCUDA` both ways without a copy (the stream protocol:
//! [`to_dlpack_for_stream`]; imports wrap the producer's device pointer,
//! released through its deleter). [`device::to_dl_device`] /
//! [`device::from_dl_device`] decide which devices cross.
//!
//! ```
//! use tensorbridge_core::Tensor;
//! use tensorbridge_numpy::dlpack::{from_dlpack, to_dlpack};
//!
//! let t = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]);
//! let managed = to_dlpack(&t)?;                  // t.__dlpack__()
//! let back = from_dlpack(managed)?;              // np.from_dlpack(t), but in Rust
//! assert_eq!(back.to_vec::<f32>()?, [1.0, 2.0, 3.0, 4.0]);
//! assert_eq!(back.view::<f32>()?.as_ptr(), t.view::<f32>()?.as_ptr()); // the same bytes
//! # Ok::<(), tensorbridge_core::Error>(())
//! ```
#![expect(
    unsafe_code,
    reason = "DLPack is a C ABI: raw data pointers handed out and taken in, kept alive by owners"
)]

pub mod device;
mod dtype;
mod export;
mod import;

pub use dlpark;
pub use dlpark::DlpackFlags;
pub use dlpark::ffi::{DLDataType, DLDevice, DLManagedTensor, DLManagedTensorVersioned};
pub use dtype::{from_dl_dtype, to_dl_dtype};
pub use export::{to_dlpack, to_dlpack_for_stream, to_dlpack_legacy, to_dlpack_legacy_for_stream};
pub use import::{from_dlpack, from_strided_host_bytes};

/// A DLPack 1.x managed tensor (`DLManagedTensorVersioned`) that owns its
/// memory: dropping it calls its deleter.
pub type DlpackTensor = dlpark::Managed<DLManagedTensorVersioned>;

/// A legacy (pre-1.0) DLPack managed tensor (`DLManagedTensor`).
pub type LegacyDlpackTensor = dlpark::Managed<DLManagedTensor>;

/// [`tensorbridge_core::Error::InvalidArgument`] for `op`.
fn invalid(op: &'static str, what: impl Into<String>) -> tensorbridge_core::Error {
    tensorbridge_core::Error::InvalidArgument {
        op,
        what: what.into(),
    }
}

#[cfg(test)]
mod tests;
