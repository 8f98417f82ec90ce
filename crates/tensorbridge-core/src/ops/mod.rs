//! Operations on tensors: elementwise math with NumPy broadcasting,
//! reductions, matmul, indexing and shape operations, and the primitives
//! sparse and ragged tensors are built on.
//!
//! Every operation returns a new tensor (`Result<Tensor>`), works on any
//! layout (strided, transposed, negative-step and broadcast views as
//! inputs), allocates through the one storage allocator, and runs large
//! work on all cores (feature `parallel`) while small tensors stay on a
//! single-threaded fast path.

pub(crate) mod binary;
mod cumsum;
mod index;
mod math;
mod matmul;
mod operators;
mod reduce;
mod shape_ops;
mod unary;

pub use index::ScatterMode;
#[cfg(feature = "cuda")]
pub(crate) use index::{index_dtype_error, location};
