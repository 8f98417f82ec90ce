//! The dense tensor of tensorbridge: [`DType`], [`Element`], [`Shape`],
//! [`Layout`], [`Device`], [`Tensor`], and the conversions that turn a tensor
//! into NumPy-compatible [`ndarray`] arrays.
//!
//! ```
//! use tensorbridge_core::{s, Tensor, ToNumpy};
//!
//! let t = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]);     // tf.constant
//! let a = t.to_array::<f32>()?;                          // t.numpy(), owned
//! let v = t.slice(s![.., 1])?;                           // t[:, 1], no copy
//! assert_eq!(v.view::<f32>()?[[1]], 4.0);               // zero-copy view
//! let (x, y) = (t.clone(), v).numpy()?;                  // several outputs, one call
//! assert_eq!((x.shape(), y.shape()), (&[2, 2][..], &[2][..]));
//! # let _ = a;
//! # Ok::<(), tensorbridge_core::Error>(())
//! ```
//!
//! With the `cuda` feature, tensors can also live on NVIDIA GPUs
//! ([`Device::Cuda`], made under a [`Device::scope`] or moved with
//! [`Tensor::to_device`]): every operation runs on its operands' device,
//! conversions copy to the host, and operands on two devices are an error.
//!
//! Most users reach this crate through the `tensorbridge` facade.

mod alloc;
mod bytes;
mod cast;
mod convert;
mod copy;
mod create;
#[cfg(feature = "cuda")]
mod cuda;
mod device;
mod display;
mod dtype;
mod dyn_array;
mod element;
mod error;
mod foreign;
pub mod graph;
mod host_view;
pub mod image;
mod layout;
mod ops;
mod pending;
pub mod random;
mod shape;
mod slice;
mod storage;
#[cfg(feature = "proptest")]
pub mod strategies;
mod tensor;
mod to_numpy;
mod views;
mod write_bytes;
mod zip;

pub use alloc::release_cached_buffers;
pub use create::TensorLiteral;
pub use device::{Device, DeviceScope, devices};
pub use dtype::DType;
pub use dyn_array::DynArray;
pub use element::Element;
pub use error::{Error, Result};
pub use foreign::ForeignOwner;
pub use layout::Layout;
pub use ops::ScatterMode;
pub use pending::PendingArray;
pub use shape::Shape;
pub use slice::SliceArg;
pub use tensor::Tensor;
pub use to_numpy::ToNumpy;
// For ToNumpy implementations in the sparse and ragged crates (they join
// the batch of a structure's device downloads).
#[doc(hidden)]
pub use to_numpy::{Arrays, Batch};
pub use views::ReshapeSpec;

// The element types users name, re-exported so one dependency is enough.
pub use half::{bf16, f16};
pub use ndarray;
pub use num_complex::{Complex, Complex32, Complex64};
