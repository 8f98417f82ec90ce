//! The index ops on the device: gather (index_select, gather,
//! gather_with_padding), pad_segments, scatter_nd and segment_sum — the
//! primitives sparse `to_dense` and ragged `to_tensor` are made of.
//!
//! Shapes and dtypes are validated on the host before any launch, exactly
//! as on the CPU. Index *values* live on the device and are checked by the
//! kernels (a device-side flag, never an out-of-bounds access). When a
//! kernel refuses its indices, the op is run once more on host copies of
//! its operands to report the CPU's very error (the same variant and
//! message: the first bad position, the repeated row, the broken splits
//! rule); that costs a copy, on the error path only.

use tensorbridge_cuda::{CudaError, Indices, ScatterMode as DeviceScatter};

use super::create::{output, wrap};
use super::transfer::device_storage;
use super::{backend, elem, map_err, map_index_err, strided};
use crate::ops::{index_dtype_error, location};
use crate::{DType, Device, Error, Result, ScatterMode, Shape, Tensor};

/// `t` as a C-order device tensor starting at element 0 of its buffer (the
/// form the kernels take index lists and fill rows in): `t` itself when it
/// already is one.
fn packed(t: &Tensor) -> Result<Tensor> {
    if t.is_contiguous() && t.layout().offset() == 0 {
        Ok(t.clone())
    } else {
        t.contiguous_copy()
    }
}

/// The index list `t` (int32/int64, packed by the caller) for the backend.
fn indices<'a>(op: &'static str, name: &str, t: &'a Tensor) -> Result<Indices<'a>> {
    if !matches!(t.dtype(), DType::I32 | DType::I64) {
        return Err(index_dtype_error(op, name, t.dtype()));
    }
    let s = device_storage(t, op)?;
    Indices::new(s.buffer(), elem(t.dtype()), t.numel()).map_err(|e| map_err(op, s.device(), e))
}

/// A kernel's bad index as the CPU reports it: the multi-index of the
/// position in `idx_dims`, checked against `axis` of size `size`.
fn bad_index(
    op: &'static str,
    device: Device,
    idx_dims: &[usize],
    axis_of: impl Fn(usize) -> (usize, usize),
    e: CudaError,
) -> Error {
    match e {
        CudaError::IndexOutOfBounds {
            what,
            position,
            value,
            ..
        } => {
            let (axis, size) = axis_of(position);
            Error::IndexOutOfBounds {
                op,
                index: isize::try_from(value).unwrap_or(isize::MAX),
                axis,
                size,
                location: Some(location(what, position, idx_dims)),
            }
        }
        other => map_index_err(op, device, 0, other),
    }
}

/// The CPU's error for the operands a kernel refused: `host` reruns the op
/// on host copies; should it succeed (it never should), the device's own
/// error is kept.
fn cpu_error(device_error: Error, host: impl FnOnce() -> Result<Tensor>) -> Error {
    match host() {
        Err(e) => e,
        Ok(_) => device_error,
    }
}

/// `gather_impl` on the device: rows of `params` along `axis` picked by
/// `indices` (any shape), `-1` giving `fill_row` when it is given; the
/// output shape was computed and checked by the caller.
pub(crate) fn gather(
    op: &'static str,
    params: &Tensor,
    idx: &Tensor,
    axis: usize,
    fill_row: Option<&Tensor>,
    out_shape: Shape,
) -> Result<Tensor> {
    let s = device_storage(params, op)?;
    let device = s.device();
    let idx_dims = idx.dims().to_vec();
    let list = packed(idx)?;
    let list_ix = indices(op, "indices", &list)?;
    let fill = fill_row.map(packed).transpose()?;
    let fill_buf = match &fill {
        Some(f) => Some(device_storage(f, op)?.buffer()),
        None => None,
    };
    let mut buffer = output(op, device, &out_shape, params.dtype())?;
    let n = params.dims()[axis];
    // An empty output still checks its indices, as on the CPU.
    if out_shape.dims().iter().product::<usize>() > 0 || list.numel() > 0 {
        backend(device)?
            .gather(
                elem(params.dtype()),
                s.buffer(),
                strided(params.layout()),
                axis,
                list_ix,
                fill_buf,
                &mut buffer,
            )
            .map_err(|e| {
                let device_error = bad_index(op, device, &idx_dims, |_| (axis, n), e);
                cpu_error(device_error, || {
                    let (p, i) = (params.cpu()?, idx.cpu()?);
                    match (op, fill_row) {
                        ("index_select", _) => p.index_select(axis as isize, &i),
                        (_, Some(f)) => p.gather_with_padding(&i, &f.cpu()?),
                        _ => p.gather(&i, axis as isize),
                    }
                })
            })?;
    }
    Ok(wrap(buffer, device, out_shape, params.dtype()))
}

/// `pad_segments` on the device (shapes checked by the caller; the
/// row_splits rules by the kernel).
pub(crate) fn pad_segments(
    op: &'static str,
    values: &Tensor,
    row_splits: &Tensor,
    width: usize,
    fill_row: &Tensor,
    out_shape: Shape,
) -> Result<Tensor> {
    let s = device_storage(values, op)?;
    let device = s.device();
    let splits = packed(row_splits)?;
    let splits_ix = indices(op, "row_splits", &splits)?;
    let fill = packed(fill_row)?;
    let mut buffer = output(op, device, &out_shape, values.dtype())?;
    backend(device)?
        .pad_segments(
            elem(values.dtype()),
            s.buffer(),
            strided(values.layout()),
            splits_ix,
            width,
            device_storage(&fill, op)?.buffer(),
            &mut buffer,
        )
        .map_err(|e| {
            cpu_error(map_err(op, device, e), || {
                values
                    .cpu()?
                    .pad_segments(&row_splits.cpu()?, width, &fill_row.cpu()?)
            })
        })?;
    Ok(wrap(buffer, device, out_shape, values.dtype()))
}

/// `scatter_nd` on the device: `updates` written through the `[n, k]`
/// coordinates `indices` into an output of `shape` filled with the scalar
/// `fill` (all checked by the caller but the index values).
pub(crate) fn scatter_nd(
    indices_t: &Tensor,
    updates: &Tensor,
    shape: Shape,
    fill: &Tensor,
    mode: ScatterMode,
) -> Result<Tensor> {
    const OP: &str = "scatter_nd";
    let dtype = updates.dtype();
    let device = updates.device();
    let dev = backend(device)?;
    let mut buffer = output(OP, device, &shape, dtype)?;
    if shape.dims().iter().product::<usize>() > 0 {
        crate::dtype::with_dtype!(dtype, T => {
            let v = super::download_vec::<T>(fill, OP)?[0];
            dev.fill(elem(dtype), &mut buffer, crate::bytes::as_bytes(&[v]))
                .map_err(|e| map_err(OP, device, e))?;
        });
    }
    let (n, k) = (indices_t.dims()[0], indices_t.dims()[1]);
    let list = packed(indices_t)?;
    let ups = packed(updates)?;
    let mode_of_core = mode;
    if n > 0 {
        let mode = match mode {
            ScatterMode::Error => DeviceScatter::Error,
            ScatterMode::Last => DeviceScatter::Last,
            ScatterMode::Add => DeviceScatter::Add,
        };
        let dims = shape.dims().to_vec();
        dev.scatter_nd(
            elem(dtype),
            mode,
            indices(OP, "indices", &list)?,
            k,
            device_storage(&ups, OP)?.buffer(),
            &dims,
            &mut buffer,
        )
        .map_err(|e| {
            let device_error = bad_index(
                OP,
                device,
                &[n, k],
                |p| {
                    let axis = p % k.max(1);
                    (axis, dims.get(axis).copied().unwrap_or(0))
                },
                e,
            );
            cpu_error(device_error, || {
                Tensor::scatter_nd(
                    &indices_t.cpu()?,
                    &updates.cpu()?,
                    dims.clone(),
                    &fill.cpu()?,
                    mode_of_core,
                )
            })
        })?;
    }
    Ok(wrap(buffer, device, shape, dtype))
}

/// `segment_sum` on the device (shapes and dtype checked by the caller; the
/// ids by the kernel).
pub(crate) fn segment_sum(
    data: &Tensor,
    segment_ids: &Tensor,
    num_segments: usize,
    out_shape: Shape,
) -> Result<Tensor> {
    const OP: &str = "segment_sum";
    let s = device_storage(data, OP)?;
    let device = s.device();
    let ids = packed(segment_ids)?;
    let n = segment_ids.numel();
    let mut buffer = output(OP, device, &out_shape, data.dtype())?;
    backend(device)?
        .segment_sum(
            elem(data.dtype()),
            s.buffer(),
            strided(data.layout()),
            indices(OP, "segment_ids", &ids)?,
            num_segments,
            &mut buffer,
        )
        .map_err(|e| {
            let device_error = bad_index(OP, device, &[n], |_| (0, num_segments), e);
            cpu_error(device_error, || {
                data.cpu()?.segment_sum(&segment_ids.cpu()?, num_segments)
            })
        })?;
    Ok(wrap(buffer, device, out_shape, data.dtype()))
}
