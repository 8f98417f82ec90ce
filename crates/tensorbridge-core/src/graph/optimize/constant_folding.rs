//! Constant folding: a node whose inputs are all constants is computed once,
//! when the plan is built, and becomes a constant.

use super::{Ir, IrKind};
use crate::graph::op::Op;

/// Folds every node of `ir` whose inputs are constants. A node whose eager
/// method fails on them is left as it is, so the run reports the error.
pub(crate) fn fold(ir: &mut Ir) {
    for i in 0..ir.nodes.len() {
        let node = &ir.nodes[i];
        let IrKind::Op(op) = &node.kind else { continue };
        if matches!(op, Op::Constant(_) | Op::Placeholder) || node.inputs.is_empty() {
            continue;
        }
        if !node.inputs.iter().all(|&j| ir.is_constant(j)) {
            continue;
        }
        let values: Vec<_> = node
            .inputs
            .iter()
            .map(|&j| match &ir.nodes[j].kind {
                IrKind::Op(Op::Constant(t)) => t.clone(),
                _ => unreachable!("checked to be constants"),
            })
            .collect();
        // Constants on two devices are moved where the run would put them.
        let placed = match crate::graph::plan::constants_device(values.iter().map(|t| t.device())) {
            Some(device) => values.iter().map(|t| t.to_device(device)).collect(),
            None => Ok(values),
        };
        if let Ok(value) = placed.and_then(|values| op.execute(&values)) {
            let node = &mut ir.nodes[i];
            node.kind = IrKind::Op(Op::Constant(value));
            node.inputs.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Tensor;
    use crate::graph::infer::TensorSpec;
    use crate::graph::op::BinaryOp;
    use crate::graph::optimize::IrNode;

    fn node(kind: IrKind, inputs: Vec<usize>) -> IrNode {
        IrNode {
            kind,
            inputs,
            spec: TensorSpec::of(&Tensor::from([0i32])),
        }
    }

    #[test]
    fn folds_constant_subtrees_only() {
        let c = |v: i32| node(IrKind::Op(Op::Constant(Tensor::from([v]))), vec![]);
        let mut ir = Ir {
            nodes: vec![
                c(2),
                c(3),
                node(IrKind::Op(Op::Binary(BinaryOp::Mul)), vec![0, 1]),
                node(IrKind::Feed(0), vec![]),
                node(IrKind::Op(Op::Binary(BinaryOp::Add)), vec![2, 3]),
                // 6 / 0 fails: left for the run to report.
                node(IrKind::Op(Op::Binary(BinaryOp::Div)), vec![2, 5]),
            ],
            outputs: vec![4],
        };
        ir.nodes.insert(5, c(0));
        ir.nodes[6].inputs = vec![2, 5];
        fold(&mut ir);
        match &ir.nodes[2].kind {
            IrKind::Op(Op::Constant(t)) => assert_eq!(t.to_vec::<i32>().unwrap(), [6]),
            other => panic!("not folded: {other:?}"),
        }
        assert!(matches!(
            ir.nodes[4].kind,
            IrKind::Op(Op::Binary(BinaryOp::Add))
        ));
        assert!(matches!(
            ir.nodes[6].kind,
            IrKind::Op(Op::Binary(BinaryOp::Div))
        ));
    }
}
