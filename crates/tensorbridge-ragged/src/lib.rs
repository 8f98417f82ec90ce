//! [`RaggedTensor`]: TensorFlow's `tf.RaggedTensor` for tensorbridge.
//!
//! A ragged tensor is a dense tensor of *flat values* (any dtype, any inner
//! uniform dims) partitioned into rows of varying length by one or more
//! levels of *row splits* (`int64`, outermost first). Token sequences and
//! detections per image are ragged; they become padded dense tensors with
//! [`RaggedTensor::to_tensor`], or reach NumPy as two dense arrays (flat
//! values and row splits) with [`RaggedTensor::numpy`] — never as object
//! arrays.
//!
//! ```
//! use tensorbridge_core::Tensor;
//! use tensorbridge_ragged::{ragged, RaggedTensor};
//!
//! let rt = ragged![[1, 2, 3], [4, 5], [6]];                // tf.ragged.constant
//! assert_eq!(rt.to_string(), "<tf.RaggedTensor [[1, 2, 3], [4, 5], [6]]>");
//! let padded = rt.to_tensor(&Tensor::scalar(0))?;          // rt.to_tensor(0)
//! assert_eq!(padded.dims(), [3, 3]);
//! assert_eq!(padded.to_vec::<i32>()?, [1, 2, 3, 4, 5, 0, 6, 0, 0]);
//!
//! let (values, splits) = rt.numpy()?;                      // two dense arrays
//! assert_eq!(values.view_typed::<i32>()?.as_slice(), Some(&[1, 2, 3, 4, 5, 6][..]));
//! assert_eq!(splits[0].view_typed::<i64>()?.as_slice(), Some(&[0, 3, 5, 6][..]));
//!
//! let same = RaggedTensor::from_row_lengths(Tensor::from([1, 2, 3, 4, 5, 6]),
//!                                           Tensor::from([3i64, 2, 1]))?;
//! assert_eq!(same.row_splits().to_vec::<i64>()?, [0, 3, 5, 6]);
//! # Ok::<(), tensorbridge_core::Error>(())
//! ```
//!
//! Every constructor validates its input fully: malformed row splits,
//! lengths or ids are an [`Error`] naming the
//! argument, the rule and the values, never a panic. Ragged tensors are
//! compositions of core tensors and run through core's primitives
//! ([`Tensor::pad_segments`](tensorbridge_core::Tensor::pad_segments),
//! [`Tensor::gather_with_padding`](tensorbridge_core::Tensor::gather_with_padding),
//! `concat`, `index_select`), so they never look at the device themselves.
//!
//! With the feature `sparse`, `RaggedTensor::to_sparse` gives the
//! `tensorbridge_sparse::SparseTensor` of the bounding shape
//! (`rt.to_sparse()`).
//!
//! Most users reach this crate through the `tensorbridge` facade
//! (`tensorbridge::ragged`, feature `ragged`; `to_sparse` is there when the
//! facade's `sparse` feature is on too).

mod accessors;
mod concat;
mod construct;
mod convert;
mod display;
mod from_tensor;
mod macros;
mod nested;
mod ragged_tensor;
mod splits;
#[cfg(feature = "proptest")]
pub mod strategies;
#[cfg(feature = "sparse")]
mod to_sparse;
mod to_tensor;

pub use convert::NestedArray;
pub use from_tensor::TensorRows;
pub use nested::{Nested, NestedInput, NestedScalar};
pub use ragged_tensor::{RaggedTensor, RaggedValues};
pub use tensorbridge_core::{Error, Result};
