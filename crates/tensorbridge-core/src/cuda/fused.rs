//! One generated kernel for a fused elementwise chain of graph mode (see
//! `graph/optimize/cuda_fusion.rs`, which builds the chain): the leaves'
//! layouts broadcast to the output's shape, one output buffer, one launch.

use tensorbridge_cuda::FusedKernel;

use super::create::{output, wrap};
use super::transfer::device_storage;
use super::{backend, map_err, strided};
use crate::{DType, Result, Shape, Tensor};

/// Runs `kernel` over `leaves` (device tensors on one GPU, checked by the
/// caller, each broadcastable to `shape`); the result is a C-order tensor
/// of `shape` and `dtype` (the kernel's output type) on that GPU.
pub(crate) fn run_fused(
    kernel: &FusedKernel,
    leaves: &[Tensor],
    shape: &Shape,
    dtype: DType,
) -> Result<Tensor> {
    const OP: &str = "fused elementwise chain";
    let layouts = leaves
        .iter()
        .map(|l| l.layout().broadcast_to(shape))
        .collect::<Result<Vec<_>>>()?;
    let storages = leaves
        .iter()
        .map(|l| device_storage(l, OP))
        .collect::<Result<Vec<_>>>()?;
    let device = storages
        .first()
        .map(|s| s.device())
        .ok_or_else(|| crate::Error::invalid(OP, "a fused chain has at least one input"))?;
    let mut buffer = output(OP, device, shape, dtype)?;
    if shape.numel()? > 0 {
        let inputs: Vec<_> = storages
            .iter()
            .zip(&layouts)
            .map(|(s, l)| (s.buffer(), strided(l)))
            .collect();
        backend(device)?
            .fused(kernel, &inputs, &mut buffer)
            .map_err(|e| map_err(OP, device, e))?;
    }
    Ok(wrap(buffer, device, shape.clone(), dtype))
}
