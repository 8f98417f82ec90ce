//! Reductions, arg reductions and running sums/products on the device.
//!
//! The kernels take the input with the reduced (or scanned) axes moved
//! last; that reordering is a permutation of the layout, never a copy.

use tensorbridge_cuda::{ArgOp, CumOp, ReduceOp, StridedLayout};

use super::create::{output, wrap};
use super::transfer::device_storage;
use super::{backend, elem, map_err};
use crate::{DType, Error, Result, Shape, Tensor};

/// The dims and strides of `t` with the axes where `last` is true moved to
/// the end (each group keeps its order).
fn axes_last(t: &Tensor, last: &[bool]) -> (Vec<usize>, Vec<isize>) {
    let l = t.layout();
    let pairs = l.dims().iter().copied().zip(l.strides().iter().copied());
    let (mut dims, mut strides): (Vec<usize>, Vec<isize>) = pairs
        .clone()
        .zip(last)
        .filter(|(_, m)| !**m)
        .map(|(p, _)| p)
        .unzip();
    let (rd, rs): (Vec<usize>, Vec<isize>) =
        pairs.zip(last).filter(|(_, m)| **m).map(|(p, _)| p).unzip();
    dims.extend(rd);
    strides.extend(rs);
    (dims, strides)
}

/// The output dims of a reduction over the axes of `mask`.
fn reduced_dims(dims: &[usize], mask: &[bool], keepdims: bool) -> Vec<usize> {
    dims.iter()
        .zip(mask)
        .filter_map(|(&d, &m)| match (m, keepdims) {
            (false, _) => Some(d),
            (true, true) => Some(1),
            (true, false) => None,
        })
        .collect()
}

/// Reduction `op` (a core method name) of device tensor `t` over the axes
/// of `mask`; the caller checked the axes and the dtype and chose `out`.
pub(crate) fn reduce(
    op: &'static str,
    t: &Tensor,
    mask: &[bool],
    keepdims: bool,
    out: DType,
) -> Result<Tensor> {
    let kind = match op {
        "sum" | "sum_all" => ReduceOp::Sum,
        "mean" | "mean_all" => ReduceOp::Mean,
        "prod" => ReduceOp::Prod,
        "max" => ReduceOp::Max,
        "min" => ReduceOp::Min,
        "all" => ReduceOp::All,
        "any" => ReduceOp::Any,
        other => {
            return Err(Error::invalid(
                other,
                "this reduction has no CUDA kernel; move the tensor with .cpu() first",
            ));
        }
    };
    let s = device_storage(t, op)?;
    let device = s.device();
    let (dims, strides) = axes_last(t, mask);
    let reduced_rank = mask.iter().filter(|&&m| m).count();
    let shape = Shape::from(reduced_dims(t.dims(), mask, keepdims));
    let mut buffer = output(op, device, &shape, out)?;
    let out_numel: usize = shape.dims().iter().product();
    if out_numel > 0 {
        let layout = StridedLayout {
            dims: &dims,
            strides: &strides,
            offset: t.layout().offset(),
        };
        backend(device)?
            .reduce(
                kind,
                elem(t.dtype()),
                s.buffer(),
                layout,
                reduced_rank,
                &mut buffer,
            )
            .map_err(|e| map_err(op, device, e))?;
    }
    Ok(wrap(buffer, device, shape, out))
}

/// `argmax` (`max == true`) or `argmin` of device tensor `t` along `axis`
/// (normalized, non-empty: checked by the caller), as int64.
pub(crate) fn arg_reduce(
    op: &'static str,
    t: &Tensor,
    axis: usize,
    max: bool,
    keepdims: bool,
) -> Result<Tensor> {
    let s = device_storage(t, op)?;
    let device = s.device();
    let mut mask = vec![false; t.rank()];
    mask[axis] = true;
    let (dims, strides) = axes_last(t, &mask);
    let shape = Shape::from(reduced_dims(t.dims(), &mask, keepdims));
    let mut buffer = output(op, device, &shape, DType::I64)?;
    let out_numel: usize = shape.dims().iter().product();
    if out_numel > 0 {
        let layout = StridedLayout {
            dims: &dims,
            strides: &strides,
            offset: t.layout().offset(),
        };
        let kind = if max { ArgOp::Max } else { ArgOp::Min };
        backend(device)?
            .arg_reduce(kind, elem(t.dtype()), s.buffer(), layout, &mut buffer)
            .map_err(|e| map_err(op, device, e))?;
    }
    Ok(wrap(buffer, device, shape, DType::I64))
}

/// `cumsum`/`cumprod` (`prod`) of device tensor `t` along `axis`
/// (normalized by the caller). The kernel scans the last axis, so the
/// output is made with `axis` last and handed back as a transposed view
/// (no copy) in the input's dims.
pub(crate) fn cumulative(
    op: &'static str,
    t: &Tensor,
    axis: usize,
    prod: bool,
    exclusive: bool,
    reverse: bool,
) -> Result<Tensor> {
    let s = device_storage(t, op)?;
    let device = s.device();
    let mut mask = vec![false; t.rank()];
    mask[axis] = true;
    let (dims, strides) = axes_last(t, &mask);
    let moved = Shape::from(dims.clone());
    let mut buffer = output(op, device, &moved, t.dtype())?;
    if t.numel() > 0 {
        let layout = StridedLayout {
            dims: &dims,
            strides: &strides,
            offset: t.layout().offset(),
        };
        let kind = if prod { CumOp::Prod } else { CumOp::Sum };
        backend(device)?
            .cumulative(
                kind,
                elem(t.dtype()),
                s.buffer(),
                layout,
                exclusive,
                reverse,
                &mut buffer,
            )
            .map_err(|e| map_err(op, device, e))?;
    }
    let scanned = wrap(buffer, device, moved, t.dtype());
    if axis + 1 == t.rank() {
        return Ok(scanned);
    }
    // Output axis j of the moved order is input axis perm[j]; put the scanned
    // axis (last) back at `axis`.
    let rank = t.rank();
    let mut back: Vec<usize> = (0..rank - 1).collect();
    back.insert(axis, rank - 1);
    scanned.transpose(&back)
}
