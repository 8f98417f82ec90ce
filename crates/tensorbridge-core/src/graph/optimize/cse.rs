//! Common-subexpression elimination: two nodes with the same operation (and
//! arguments) on the same inputs compute the same value, so the later one
//! reads the earlier one instead.
//!
//! Constants are the same when they share a buffer and layout, or when they
//! are small (at most [`SMALL`] elements) and hold the same bits (so `0.0`
//! and `-0.0`, or two NaNs, are never merged).

use std::collections::HashMap;

use super::{Ir, IrKind};
use crate::Tensor;
use crate::graph::op::Op;

/// Constants up to this many elements are compared by value.
const SMALL: usize = 64;

/// The identity of a constant: its bits when small, its buffer otherwise.
fn constant_key(t: &Tensor) -> String {
    if t.numel() <= SMALL
        && let Ok(a) = t.numpy()
    {
        // `{:?}` of floats keeps the sign of zero; NaNs print alike, so
        // constants holding one are keyed by their buffer instead.
        let text = format!("{:?} {:?}", t.dtype(), a);
        if !text.contains("NaN") {
            return text;
        }
    }
    format!(
        "buffer {:p} {:?} {:?} {}",
        t.storage(),
        t.dims(),
        t.layout().strides(),
        t.layout().offset()
    )
}

/// Merges the nodes of `ir` that compute the same thing; readers of a
/// merged node (outputs included) read the one kept.
pub(crate) fn eliminate(ir: &mut Ir) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut replace: Vec<usize> = (0..ir.nodes.len()).collect();
    for i in 0..ir.nodes.len() {
        for j in 0..ir.nodes[i].inputs.len() {
            let input = ir.nodes[i].inputs[j];
            ir.nodes[i].inputs[j] = replace[input];
        }
        let node = &ir.nodes[i];
        let key = match &node.kind {
            IrKind::Feed(_) => continue,
            IrKind::Op(Op::Constant(t)) => constant_key(t),
            IrKind::Op(op) => format!("{op:?} {:?}", node.inputs),
        };
        match seen.get(&key) {
            Some(&earlier) => replace[i] = earlier,
            None => {
                seen.insert(key, i);
            }
        }
    }
    for o in &mut ir.outputs {
        *o = replace[*o];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_keys_keep_signed_zero_and_nan_apart() {
        let k = |v: f32| constant_key(&Tensor::from([v]));
        assert_eq!(k(1.5), k(1.5));
        assert_ne!(k(0.0), k(-0.0));
        // Keyed by buffer: two live NaN constants differ.
        let (n1, n2) = (Tensor::from([f32::NAN]), Tensor::from([f32::NAN]));
        assert_ne!(constant_key(&n1), constant_key(&n2));
        assert_ne!(
            constant_key(&Tensor::from([1i32])),
            constant_key(&Tensor::from([1i64]))
        );
        let big = Tensor::zeros([100], crate::DType::F32).unwrap();
        assert_eq!(constant_key(&big), constant_key(&big.clone()));
        let other = Tensor::zeros([100], crate::DType::F32).unwrap();
        assert_ne!(constant_key(&big), constant_key(&other));
    }
}
