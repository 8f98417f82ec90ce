//! Graph mode: symbolic tensors, [`Session`] and traced [`function`]s —
//! TensorFlow's three ways of working, with errors that say what to do.
//!
//! - **Graphs** (TF 1.x): [`Graph::placeholder`] and [`Graph::constant`]
//!   make symbolic tensors; every [`Tensor`](crate::Tensor) operation
//!   applied to symbolic tensors of one graph adds a node, whose dtype and
//!   shape are inferred at once (a mismatch is reported when the node is
//!   built, naming it). [`Session::run`] computes fetched tensors from fed
//!   values and returns arrays, like `sess.run`.
//! - **Traced functions** (`tf.function`): [`function`] traces a closure
//!   into a graph once per input signature and runs the cached graph.
//! - **Eager** tensors are the default everywhere else.
//!
//! A symbolic tensor has no value: converting it (`view`, `to_array`,
//! `numpy`, `to_vec`, [`ToNumpy`](crate::ToNumpy), ...) is
//! [`Error::Symbolic`](crate::Error::Symbolic), naming the node and saying
//! how to get a value. Mixing an eager and a symbolic tensor, or the
//! tensors of two graphs, in one operation is an error naming both.
//!
//! Graphs are optimized when first run (constant folding,
//! common-subexpression elimination, dead-node pruning, and fusion of
//! elementwise chains into one pass over memory); results are identical to
//! eager ones, to the bit, for every dtype. Every operation of [`Tensor`](crate::Tensor)
//! and [`image`](crate::image) works on symbolic tensors; constructors
//! (`zeros`, `arange`, [`random`](crate::random), ...) make eager tensors,
//! which enter a graph through [`Graph::constant`] — a random tensor is
//! therefore drawn once, when it is made, not at every run.
//!
//! ```
//! use tensorbridge_core::graph::{function, Graph, Session};
//! use tensorbridge_core::{Error, Tensor};
//!
//! // TF 1.x: build, then run in a session.
//! let g = Graph::new();
//! let c = g.constant(&Tensor::from([[1, 2], [3, 4]])).add(&g.constant(&Tensor::from([[5, 6], [7, 8]])))?;
//! let out = Session::new(&g).run(&[&c], &[])?;
//! assert_eq!(out[0].view_typed::<i32>()?, ndarray::arr2(&[[6, 8], [10, 12]]).into_dyn());
//!
//! // A symbolic tensor has no value yet, and the error says why.
//! let err = c.numpy().unwrap_err();
//! assert!(matches!(err, Error::Symbolic { .. }));
//! assert!(err.to_string().contains("add (add)"), "{err}");
//!
//! // tf.function: traced once, outputs are eager.
//! let f = function(|a: &[Tensor]| Ok(vec![a[0].add(&a[1])?]));
//! let out = f.call(&[Tensor::from([[17, 18], [19, 20]]), Tensor::from([[21, 22], [23, 24]])])?;
//! assert_eq!(out[0].to_vec::<i32>()?, [38, 40, 42, 44]);
//! # Ok::<(), tensorbridge_core::Error>(())
//! ```

mod display;
mod function;
#[expect(
    clippy::module_inception,
    reason = "graph::graph holds Graph, one concept per file"
)]
mod graph;
mod infer;
mod node;
pub(crate) mod op;
mod optimize;
mod plan;
mod session;

pub use function::{Function, function};
pub use graph::Graph;
pub use session::Session;

pub(crate) use graph::{any_symbolic, record};
pub(crate) use infer::Dims;
pub(crate) use node::Symbol;
pub(crate) use op::{BinaryOp, Op, ReduceKind, UnaryOp};

/// The check at the top of every operation: when any of the tensor
/// arguments is symbolic, record `$op` as a node of their graph and return
/// its symbolic tensor instead of computing.
macro_rules! record_if_symbolic {
    ($op:expr, $($t:expr),+ $(,)?) => {
        if $crate::graph::any_symbolic(&[$($t),+]) {
            return $crate::graph::record($op, &[$($t),+]);
        }
    };
}
pub(crate) use record_if_symbolic;
