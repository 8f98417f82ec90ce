//! Sparse tensors for tensorbridge: [`SparseTensor`], TensorFlow's
//! `tf.sparse.SparseTensor` — `indices` (int64 `[nnz, rank]`), `values`
//! (`[nnz]`) and a `dense_shape` — made of core tensors, converting to
//! dense tensors and to [`sprs`] matrices, and safe on any input: every
//! rule is checked when it is made, and no method panics on what a caller
//! passes in.
//!
//! ```
//! use tensorbridge_core::Tensor;
//! use tensorbridge_sparse::{SparseTensor, sparse_dense_matmul};
//!
//! // tf.sparse.SparseTensor(indices=[[0, 0], [1, 2]], values=[1, 2], dense_shape=[3, 3])
//! let st = SparseTensor::new(Tensor::from([[0i64, 0], [1, 2]]), Tensor::from([1, 2]), [3, 3])?;
//! let dense = st.to_dense()?.to_array::<i32>()?;          // tf.sparse.to_dense(st).numpy()
//! assert_eq!(dense, ndarray::arr2(&[[1, 0, 0], [0, 0, 2], [0, 0, 0]]).into_dyn());
//!
//! let (indices, values, dense_shape) = st.numpy()?;       // no densification
//! assert_eq!(indices.shape(), [2, 2]);
//! # let _ = (values, dense_shape);
//!
//! let csr = st.to_csr::<i32>()?;                           // sprs::CsMat
//! assert_eq!(csr.nnz(), 2);
//! let y = sparse_dense_matmul(&st, &Tensor::from([[1], [1], [1]]), false, false)?;
//! assert_eq!(y.to_vec::<i32>()?, [1, 2, 0]);
//! # Ok::<(), tensorbridge_core::Error>(())
//! ```
//!
//! Operations read the indices on the host and build their results with
//! core's primitives (`scatter_nd` for `to_dense`, `index_select` to
//! gather values), so the crate never looks at the device itself. Most
//! users reach it as `tensorbridge::sparse`.

mod add;
mod dense;
mod display;
mod fill_empty_rows;
mod host;
mod matmul;
#[cfg(feature = "numpy")]
mod npz;
mod num;
mod numpy;
mod order;
mod reduce;
mod reshape;
mod select;
mod sparse_tensor;
mod sprs_interop;
#[cfg(feature = "proptest")]
pub mod strategies;
mod transpose;

pub use matmul::sparse_dense_matmul;
#[cfg(feature = "numpy")]
pub use npz::{load_sparse_npz, save_sparse_npz};
pub use sparse_tensor::SparseTensor;
pub use sprs;
pub use tensorbridge_core::{Error, Result};
