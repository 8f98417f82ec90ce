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
//! | `numpy`    | yes     | [`numpy`]: `.npy`/`.npz` files read and written as NumPy does, memory-mapped loads, SciPy sparse archives |
//! | `dlpack`   | no      | `numpy::dlpack` (needs `numpy`): `to_dlpack` / `from_dlpack`, zero-copy exchange with NumPy, PyTorch, JAX, CuPy through DLPack (the `dlpark` crate) |
//! | `parallel` | yes     | large copies, casts and fills run on all cores (rayon) |
//! | `sparse`   | yes     | `sparse`: `SparseTensor` (`tf.sparse.SparseTensor`), dense and `sprs` conversions, sparse ops |
//! | `ragged`   | yes     | `ragged`: `RaggedTensor` (`tf.RaggedTensor`), the `ragged!` macro, padding to dense and `numpy()` as two dense arrays; with `sparse` too, `RaggedTensor::to_sparse` |
//! | `cuda`     | no      | tensors on NVIDIA GPUs: `Device::Cuda(n)` and `"/GPU:0"` scopes make tensors in device memory, every core op runs there (sparse `to_dense` and ragged `to_tensor` included), conversions copy to the host; with `dlpack`, device tensors cross DLPack as `kDLCUDA` both ways without a copy; builds without the CUDA toolkit (the driver, NVRTC and cuBLAS of CUDA 13 are loaded at run time) |
//! | `proptest` | no      | `strategies`: proptest strategies (arbitrary tensors, view chains, invalid arguments) for property tests; with `sparse`, `sparse::strategies` (valid sparse tensors by rank, dtype and density, and invalid parts); with `ragged`, `ragged::strategies` (valid and invalid ragged tensors) |
//!
//! ```
//! # #[cfg(feature = "ragged")] {
//! use tensorbridge::prelude::*;
//!
//! let rt = ragged![[1, 2, 3], [4, 5], [6]];               // tf.ragged.constant
//! let padded = rt.to_tensor(&Tensor::scalar(0))?;         // [[1,2,3],[4,5,0],[6,0,0]]
//! assert_eq!(padded.to_vec::<i32>()?, [1, 2, 3, 4, 5, 0, 6, 0, 0]);
//! # }
//! # #[cfg(all(feature = "ragged", feature = "sparse"))] {
//! # use tensorbridge::prelude::*;
//! let st = ragged![[1, 2], [], [3]].to_sparse()?;         // rt.to_sparse()
//! assert_eq!(st.indices().to_vec::<i64>()?, [0, 0, 0, 1, 2, 0]);
//! assert_eq!(st.dense_shape().dims(), [3, 2]);
//! # }
//! # Ok::<(), tensorbridge::Error>(())
//! ```
//!
//! Graph mode ([`graph`]: symbolic tensors, [`graph::Session`], traced
//! [`graph::function`]s) is part of the core and needs no feature.
//!
//! The Python module (`import tensorbridge`) is not a Cargo feature: it is
//! the `tensorbridge-python` crate, built with maturin from
//! `python/pyproject.toml` (see the README).

pub use tensorbridge_core::*;

/// Ragged tensors: [`ragged::RaggedTensor`], TensorFlow's `tf.RaggedTensor`.
#[cfg(feature = "ragged")]
pub use tensorbridge_ragged as ragged;
#[cfg(feature = "ragged")]
pub use tensorbridge_ragged::{RaggedTensor, ragged};
/// Sparse tensors: [`SparseTensor`](sparse::SparseTensor), TensorFlow's
/// `tf.sparse.SparseTensor`, with conversions to dense tensors and to
/// [`sprs`](sparse::sprs) matrices (feature `sparse`, on by default).
///
/// ```
/// use tensorbridge::prelude::*;
///
/// let st = SparseTensor::new(Tensor::from([[0i64, 0], [1, 2]]), Tensor::from([1, 2]), [3, 3])?;
/// assert_eq!(st.to_dense()?.to_vec::<i32>()?, [1, 0, 0, 0, 0, 2, 0, 0, 0]);
/// # Ok::<(), tensorbridge::Error>(())
/// ```
#[cfg(feature = "sparse")]
pub use tensorbridge_sparse as sparse;
/// `.npy`/`.npz` files and SciPy sparse archives (feature `numpy`, on by
/// default): `tensorbridge::numpy::save_npy(path, &t)`,
/// `tensorbridge::numpy::load_npz(path)`, ...; with the `sparse` feature
/// too, `save_sparse_npz` / `load_sparse_npz` of a
/// `SparseTensor` as `scipy.sparse.save_npz` /
/// `load_npz` do.
#[cfg(feature = "numpy")]
pub mod numpy {
    pub use tensorbridge_numpy::*;
    #[cfg(feature = "sparse")]
    pub use tensorbridge_sparse::{load_sparse_npz, save_sparse_npz};
}

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

    #[cfg(feature = "ragged")]
    pub use tensorbridge_ragged::{RaggedTensor, ragged};
    #[cfg(feature = "sparse")]
    pub use tensorbridge_sparse::SparseTensor;
}
