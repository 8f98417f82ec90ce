//! A fused group on a CUDA device: the chain as the backend's
//! [`FusedKernel`] (one NVRTC-generated kernel; see
//! `tensorbridge_cuda::FusedKernel`), run in one launch over the output.
//!
//! The kernel computes every op with the same per-element device code as
//! the one-op kernels eager device code launches, and keeps each
//! intermediate in its op's dtype (f16/bf16 rounded after every op exactly
//! as eagerly, integers wrapped), so the result equals eager device code to
//! the last bit for every dtype (NaN payloads aside). Eager device code in
//! turn matches the CPU as `tensorbridge-cuda`'s crate docs say (integers
//! and IEEE `+ - * /`, comparisons, casts to the bit; `exp log sin cos tanh
//! sigmoid pow` within libdevice's 2 ulps, 4 for sigmoid).

use tensorbridge_cuda::{FusedKernel, FusedOp, FusedOperand, FusedStep};

use super::fusion::{Fused, Operand};
use crate::graph::op::Op;
use crate::ops::binary::broadcast_shapes;
use crate::{Device, Result, Shape, Tensor, cuda};

/// The backend's chain for `fused` over leaves of `dtypes`; `None` when an
/// op has no fused form.
pub(crate) fn kernel_for(
    fused: &Fused,
    dtypes: &[crate::DType],
    device: Device,
) -> Result<Option<FusedKernel>> {
    let mut steps = Vec::with_capacity(fused.ops.len());
    for (op, operands) in &fused.ops {
        let op = match op {
            Op::Binary(b) => FusedOp::Binary(cuda::binary_op(b.name())?),
            Op::Unary(u) => FusedOp::Unary(cuda::unary_op(u.name())?),
            Op::Cast(d) => FusedOp::Cast(cuda::elem(*d)),
            Op::Where => FusedOp::Where,
            _ => return Ok(None),
        };
        let operands: Vec<FusedOperand> = operands
            .iter()
            .map(|o| match *o {
                Operand::Leaf(k) => FusedOperand::Input(k),
                Operand::Op(j) => FusedOperand::Step(j),
            })
            .collect();
        steps.push(FusedStep::new(op, &operands));
    }
    let inputs: Vec<_> = dtypes.iter().map(|&d| cuda::elem(d)).collect();
    let kernel =
        FusedKernel::new(&inputs, steps).map_err(|e| cuda::map_err("fusion", device, e))?;
    Ok((kernel.output() == cuda::elem(fused.dtype)).then_some(kernel))
}

/// The chain on `leaves` as one kernel, when every leaf is an eager tensor
/// on one CUDA device (else `None`: the caller runs the chain another way).
pub(crate) fn run(fused: &Fused, leaves: &[Tensor]) -> Result<Option<Tensor>> {
    let Some(first) = leaves.first() else {
        return Ok(None);
    };
    let device = first.device();
    if !matches!(device, Device::Cuda(_))
        || leaves
            .iter()
            .any(|l| l.device() != device || l.symbol().is_some())
    {
        return Ok(None);
    }
    let mut shape: Shape = first.shape().clone();
    for leaf in &leaves[1..] {
        if leaf.dims() != shape.dims() {
            shape = broadcast_shapes("fusion", shape.dims(), leaf.dims())?;
        }
    }
    let dtypes: Vec<_> = leaves.iter().map(Tensor::dtype).collect();
    let Some(kernel) = kernel_for(fused, &dtypes, device)? else {
        return Ok(None);
    };
    cuda::run_fused(&kernel, leaves, &shape, fused.dtype).map(Some)
}

#[cfg(test)]
mod tests {
    use tensorbridge_cuda::{BinaryOp as B, ElemType, UnaryOp as U};

    use super::*;
    use crate::DType;
    use crate::graph::op::{BinaryOp, UnaryOp};

    fn fused(ops: Vec<(Op, Vec<Operand>)>, dtype: DType) -> Fused {
        Fused { ops, dtype }
    }

    #[test]
    fn a_group_becomes_the_backends_chain_with_eager_dtypes() {
        // where(x < y, cast(abs(x * y), f16), z) over f32 x, y and f16 z.
        let f = fused(
            vec![
                (
                    Op::Binary(BinaryOp::Mul),
                    vec![Operand::Leaf(0), Operand::Leaf(1)],
                ),
                (Op::Unary(UnaryOp::Abs), vec![Operand::Op(0)]),
                (Op::Cast(DType::F16), vec![Operand::Op(1)]),
                (
                    Op::Binary(BinaryOp::Lt),
                    vec![Operand::Leaf(0), Operand::Leaf(1)],
                ),
                (
                    Op::Where,
                    vec![Operand::Op(3), Operand::Op(2), Operand::Leaf(2)],
                ),
            ],
            DType::F16,
        );
        let k = kernel_for(&f, &[DType::F32, DType::F32, DType::F16], Device::Cuda(0))
            .unwrap()
            .expect("every op has a fused form");
        assert_eq!(k.inputs(), [ElemType::F32, ElemType::F32, ElemType::F16]);
        assert_eq!(
            k.step_types(),
            [
                ElemType::F32,
                ElemType::F32,
                ElemType::F16,
                ElemType::Bool,
                ElemType::F16
            ]
        );
        assert_eq!(k.steps()[0].op, FusedOp::Binary(B::Mul));
        assert_eq!(k.steps()[1].op, FusedOp::Unary(U::Abs));
        assert_eq!(k.steps()[2].op, FusedOp::Cast(ElemType::F16));
        assert_eq!(k.steps()[3].op, FusedOp::Binary(B::Lt));
        assert_eq!(
            k.steps()[4].operands,
            [
                FusedOperand::Step(3),
                FusedOperand::Step(2),
                FusedOperand::Input(2)
            ]
        );
    }

    #[test]
    fn other_ops_and_bad_chains_are_not_fused_on_the_device() {
        let f = fused(
            vec![
                (Op::Unary(UnaryOp::Neg), vec![Operand::Leaf(0)]),
                (Op::Matmul, vec![Operand::Op(0), Operand::Op(0)]),
            ],
            DType::F32,
        );
        assert!(
            kernel_for(&f, &[DType::F32], Device::Cuda(0))
                .unwrap()
                .is_none()
        );
        // Mixed operand dtypes are refused by the backend's validation.
        let f = fused(
            vec![(
                Op::Binary(BinaryOp::Add),
                vec![Operand::Leaf(0), Operand::Leaf(1)],
            )],
            DType::F32,
        );
        let e = kernel_for(&f, &[DType::F32, DType::I32], Device::Cuda(0)).unwrap_err();
        assert!(e.to_string().contains("must have one type"), "{e}");
        // Host leaves never take the device path.
        let x = Tensor::from([1.0f32, 2.0]);
        assert!(run(&f, &[x.clone(), x]).unwrap().is_none());
    }
}
