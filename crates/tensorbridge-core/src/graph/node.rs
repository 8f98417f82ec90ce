//! [`Node`] (an entry of a graph) and [`Symbol`] (what a symbolic
//! [`Tensor`](crate::Tensor) holds: its graph, its node and what the node
//! will produce).

use std::sync::Arc;

use super::graph::GraphShared;
use super::infer::TensorSpec;
use super::op::Op;
use crate::Error;

/// The position of a node in its graph (nodes only refer to earlier ones,
/// so positions are a topological order).
pub(crate) type NodeId = usize;

/// One operation of a graph.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// Unique in the graph: the op's name, then `_1`, `_2`, ... (TensorFlow's
    /// naming).
    pub(crate) name: String,
    pub(crate) op: Op,
    pub(crate) inputs: Vec<NodeId>,
    pub(crate) spec: TensorSpec,
}

/// The node a symbolic tensor stands for.
pub(crate) struct Symbol {
    pub(crate) graph: Arc<GraphShared>,
    pub(crate) id: NodeId,
    pub(crate) spec: TensorSpec,
    /// `"name (op)"`, as errors name the node.
    pub(crate) label: String,
}

impl Symbol {
    /// The error for asking this tensor for its elements.
    pub(crate) fn no_value(&self, op: &'static str) -> Error {
        Error::Symbolic {
            op,
            node: self.label.clone(),
        }
    }
}
