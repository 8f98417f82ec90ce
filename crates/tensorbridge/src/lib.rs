//! # tensorbridge
//!
//! Get any tensor into a NumPy-compatible array, fast and without surprises.
//!
//! tensorbridge follows TensorFlow's model (`tf.constant`, `.numpy()`,
//! `tf.device`, ...) in Rust. A [`Tensor`] is a cheap handle on an immutable
//! buffer; views cost O(1); conversions say in their names whether they
//! borrow ([`Tensor::view`]), copy ([`Tensor::to_array`]) or move
//! ([`Tensor::into_array`]), and never change the dtype behind your back.
//!
//! ```
//! use tensorbridge::prelude::*;
//!
//! let t = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]);  // tf.constant
//! let a: ndarray::ArrayD<f32> = t.to_array()?;        // t.numpy(), owned
//! let v = t.view::<f32>()?;                           // zero-copy, borrows t
//! assert_eq!(a, v);
//!
//! let logits = Tensor::from([10, 20, 30]);
//! let boxes = Tensor::from([[0.1, 0.2], [0.3, 0.4]]);
//! let (heads, scores) = (logits, boxes).numpy()?;     // several outputs, one call
//! assert_eq!(heads.dtype(), DType::I32);
//! assert_eq!(scores.shape(), [2, 2]);
//! # Ok::<(), tensorbridge::Error>(())
//! ```
//!
//! ## Features
//!
//! | feature    | default | what it adds |
//! |------------|---------|--------------|
//! | `parallel` | yes     | large copies, casts and fills run on all cores (rayon) |
//! | `proptest` | no      | `strategies`: proptest strategies (arbitrary tensors, view chains, invalid arguments) for property tests |
//!
//! Graph mode ([`graph`]: symbolic tensors, [`graph::Session`], traced
//! [`graph::function`]s) is part of the core and needs no feature.
//!
//! Sparse and ragged tensors, `.npy`/`.npz` files, the CUDA backend and
//! Python bindings arrive as their own crates and features; a
//! feature appears here only once its crate has landed.

pub use tensorbridge_core::*;

/// The README's examples, compiled and run as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

/// The names most programs need: `use tensorbridge::prelude::*;`.
pub mod prelude {
    pub use tensorbridge_core::graph::{Graph, Session, function};
    pub use tensorbridge_core::{
        DType, Device, DynArray, Element, Error, Result, Shape, SliceArg, Tensor, ToNumpy,
    };
}
