//! Dead-node pruning: only the nodes the fetched outputs depend on run.

use super::Ir;

/// Which nodes of `ir` the outputs depend on.
pub(crate) fn live(ir: &Ir) -> Vec<bool> {
    let mut live = vec![false; ir.nodes.len()];
    for &o in &ir.outputs {
        live[o] = true;
    }
    // Inputs come before their nodes, so one backward sweep suffices.
    for i in (0..ir.nodes.len()).rev() {
        if live[i] {
            for &j in &ir.nodes[i].inputs {
                live[j] = true;
            }
        }
    }
    live
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Tensor;
    use crate::graph::infer::TensorSpec;
    use crate::graph::optimize::{IrKind, IrNode};

    #[test]
    fn keeps_what_outputs_need() {
        let n = |inputs: Vec<usize>| IrNode {
            kind: IrKind::Feed(0),
            inputs,
            spec: TensorSpec::of(&Tensor::from([0i32])),
        };
        let ir = Ir {
            nodes: vec![n(vec![]), n(vec![]), n(vec![0]), n(vec![1]), n(vec![2])],
            outputs: vec![4],
        };
        assert_eq!(live(&ir), [true, false, true, false, true]);
    }
}
