//! Graph optimizations, run once when a graph is first executed for a set
//! of fetches and feeds: constant folding, common-subexpression
//! elimination, dead-node pruning and fusion of elementwise chains.
//!
//! They work on [`Ir`], the part of the graph one run needs. None of them
//! changes a result: folded and deduplicated nodes run the same eager
//! methods on the same values, and a fused chain computes every op with
//! the same element function, in the same dtype and order, as eager code
//! (see [`fusion`]).

pub(crate) mod constant_folding;
pub(crate) mod cse;
#[cfg(feature = "cuda")]
pub(crate) mod cuda_fusion;
pub(crate) mod fusion;
pub(crate) mod prune;

use super::infer::TensorSpec;
use super::op::Op;

/// A node of the plan being built.
#[derive(Debug, Clone)]
pub(crate) struct IrNode {
    pub(crate) kind: IrKind,
    pub(crate) inputs: Vec<usize>,
    pub(crate) spec: TensorSpec,
}

/// What an [`IrNode`] is.
#[derive(Debug, Clone)]
pub(crate) enum IrKind {
    /// The value of feed number `k` of the run.
    Feed(usize),
    /// An operation (constants included).
    Op(Op),
}

/// The nodes one run needs, in topological order, and the fetched ones.
#[derive(Debug, Clone)]
pub(crate) struct Ir {
    pub(crate) nodes: Vec<IrNode>,
    pub(crate) outputs: Vec<usize>,
}

impl Ir {
    /// How many distinct nodes read each node (fetches count as readers).
    pub(crate) fn consumers(&self, live: &[bool]) -> Vec<usize> {
        let mut n = vec![0; self.nodes.len()];
        for (i, node) in self.nodes.iter().enumerate() {
            if live[i] {
                for (k, &j) in node.inputs.iter().enumerate() {
                    // A node reading j twice (x * x) is one reader.
                    if !node.inputs[..k].contains(&j) {
                        n[j] += 1;
                    }
                }
            }
        }
        for &o in &self.outputs {
            n[o] += 1;
        }
        n
    }

    /// Whether node `i` is a constant.
    pub(crate) fn is_constant(&self, i: usize) -> bool {
        matches!(self.nodes[i].kind, IrKind::Op(Op::Constant(_)))
    }
}

/// Runs every optimization on `ir`; returns which nodes stay live.
pub(crate) fn optimize(ir: &mut Ir) -> Vec<bool> {
    constant_folding::fold(ir);
    cse::eliminate(ir);
    prune::live(ir)
}
