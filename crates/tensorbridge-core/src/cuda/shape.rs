//! Shape ops that make new tensors on the device: concat/stack (strided
//! copies into one output), pad (a fill, then a copy into the interior),
//! tile (one copy from a broadcast view), one_hot (a comparison and a
//! `where_`), matmul, rgb_to_grayscale and random numbers.

use tensorbridge_cuda::{CudaError, Distribution, StridedLayout};

use super::create::{output, wrap};
use super::transfer::device_storage;
use super::{backend, elem, map_err, strided};
use crate::layout::contiguous_strides;
use crate::{DType, Device, Error, Result, Shape, Tensor};

/// Joins C-order device tensors `parts` row by row: the output is `outer`
/// rows of `sum(lens)` elements, part `i` giving `lens[i]` elements of each.
pub(crate) fn concat_rows(
    op: &'static str,
    parts: &[Tensor],
    lens: &[usize],
    out_shape: Shape,
    dtype: DType,
) -> Result<Tensor> {
    let device = parts[0].device();
    let dev = backend(device)?;
    let mut buffer = output(op, device, &out_shape, dtype)?;
    let total: usize = out_shape.dims().iter().product();
    let row: usize = lens.iter().sum();
    if total > 0 && row > 0 {
        let outer = total / row;
        let mut at = 0usize;
        for (part, &len) in parts.iter().zip(lens) {
            if len > 0 {
                let s = device_storage(part, op)?;
                let dims = [outer, len];
                let src_strides = [len as isize, 1];
                let dst_strides = [row as isize, 1];
                let src = StridedLayout {
                    dims: &dims,
                    strides: &src_strides,
                    offset: part.layout().offset(),
                };
                let dst = StridedLayout {
                    dims: &dims,
                    strides: &dst_strides,
                    offset: at,
                };
                dev.copy_strided(elem(dtype), s.buffer(), src, &mut buffer, dst)
                    .map_err(|e| map_err(op, device, e))?;
            }
            at += len;
        }
    }
    Ok(wrap(buffer, device, out_shape, dtype))
}

/// `t` padded with the scalar `value` (both on the device, checked by the
/// caller) to `out_shape`.
pub(crate) fn pad(
    t: &Tensor,
    paddings: &[(usize, usize)],
    value: &Tensor,
    out_shape: Shape,
) -> Result<Tensor> {
    const OP: &str = "pad";
    if value.rank() != 0 {
        return Err(Error::invalid(
            OP,
            format!(
                "value must be a scalar (rank 0), got a tensor of shape {}",
                value.shape()
            ),
        ));
    }
    let src = device_storage(t, OP)?;
    let device = src.device();
    let dev = backend(device)?;
    let dtype = t.dtype();
    let mut buffer = output(OP, device, &out_shape, dtype)?;
    if out_shape.dims().iter().product::<usize>() > 0 {
        crate::dtype::with_dtype!(dtype, T => {
            let v = super::download_vec::<T>(value, OP)?[0];
            dev.fill(elem(dtype), &mut buffer, crate::bytes::as_bytes(&[v]))
                .map_err(|e| map_err(OP, device, e))?;
        });
    }
    if t.numel() > 0 {
        let out_strides = contiguous_strides(out_shape.dims());
        let offset: usize = paddings
            .iter()
            .zip(&out_strides)
            .map(|(&(before, _), &s)| before * s as usize)
            .sum();
        let dst = StridedLayout {
            dims: t.dims(),
            strides: &out_strides,
            offset,
        };
        dev.copy_strided(
            elem(dtype),
            src.buffer(),
            strided(t.layout()),
            &mut buffer,
            dst,
        )
        .map_err(|e| map_err(OP, device, e))?;
    }
    Ok(wrap(buffer, device, out_shape, dtype))
}

/// `t` repeated `multiples` times along each axis (`tf.tile`), with one
/// strided copy: the output seen as `[m0, d0, m1, d1, ...]` is filled from
/// `t` broadcast along the `m` axes.
pub(crate) fn tile(t: &Tensor, multiples: &[usize], out_shape: Shape) -> Result<Tensor> {
    const OP: &str = "tile";
    let s = device_storage(t, OP)?;
    let device = s.device();
    let mut buffer = output(OP, device, &out_shape, t.dtype())?;
    if out_shape.dims().iter().product::<usize>() > 0 {
        // Axes of size 1 are dropped: they change no address, and keeping
        // the rank low keeps it within the backend's limit.
        let (mut dims, mut src_strides) = (Vec::new(), Vec::new());
        for ((&d, &st), &m) in t.dims().iter().zip(t.layout().strides()).zip(multiples) {
            if m != 1 {
                dims.push(m);
                src_strides.push(0);
            }
            if d != 1 {
                dims.push(d);
                src_strides.push(st);
            }
        }
        let dst_strides = contiguous_strides(&dims);
        let src = StridedLayout {
            dims: &dims,
            strides: &src_strides,
            offset: t.layout().offset(),
        };
        let dst = StridedLayout {
            dims: &dims,
            strides: &dst_strides,
            offset: 0,
        };
        backend(device)?
            .copy_strided(elem(t.dtype()), s.buffer(), src, &mut buffer, dst)
            .map_err(|e| map_err(OP, device, e))?;
    }
    Ok(wrap(buffer, device, out_shape, t.dtype()))
}

/// `tf.one_hot` on the device: `indices` (int32/int64) compared with
/// `0..depth` along the new `axis`, then `where_(hit, on, off)`. An index
/// outside `0..depth` matches nothing, so its row is all `off_value`, as on
/// the CPU.
pub(crate) fn one_hot(
    indices: &Tensor,
    depth: usize,
    on_value: &Tensor,
    off_value: &Tensor,
    axis: usize,
) -> Result<Tensor> {
    const OP: &str = "one_hot";
    if !matches!(indices.dtype(), DType::I32 | DType::I64) {
        return Err(crate::ops::index_dtype_error(
            OP,
            "indices",
            indices.dtype(),
        ));
    }
    for (name, v) in [("on_value", on_value), ("off_value", off_value)] {
        if v.rank() != 0 {
            return Err(Error::invalid(
                OP,
                format!(
                    "{name} must be a scalar (rank 0), got a tensor of shape {}",
                    v.shape()
                ),
            ));
        }
    }
    let device = indices.device();
    let idx = indices.cast(DType::I64)?.expand_dims(axis as isize)?;
    let depth_i64 = i64::try_from(depth)
        .map_err(|_| Error::invalid(OP, format!("depth {depth} does not fit in int64")))?;
    let mut positions_dims = vec![depth];
    positions_dims.extend(std::iter::repeat_n(1, indices.rank() - axis));
    let positions = {
        let _here = device.scope();
        Tensor::arange(0i64, depth_i64, 1)?
    }
    .reshape(positions_dims)?;
    let hit = idx.eq(&positions)?;
    Tensor::where_(&hit, on_value, off_value)
}

/// `a @ b` on the device for 3-D views `[batch, m, k] @ [batch, k, n]`
/// (strides as given, batch stride 0 for a broadcast operand); the output is
/// `[batch, m, n]` in C order, reshaped to `out_shape`.
pub(crate) fn matmul(
    op: &'static str,
    (a, a_strides, a_offset): (&Tensor, &[isize], usize),
    (b, b_strides, b_offset): (&Tensor, &[isize], usize),
    [batches, m, k, n]: [usize; 4],
    out_shape: Shape,
) -> Result<Tensor> {
    let (sa, sb) = (device_storage(a, op)?, device_storage(b, op)?);
    let device = sa.device();
    let dtype = a.dtype();
    let mut buffer = output(op, device, &out_shape, dtype)?;
    if batches * m * n > 0 {
        let (ad, bd) = ([batches, m, k], [batches, k, n]);
        let la = StridedLayout {
            dims: &ad,
            strides: a_strides,
            offset: a_offset,
        };
        let lb = StridedLayout {
            dims: &bd,
            strides: b_strides,
            offset: b_offset,
        };
        backend(device)?
            .matmul(elem(dtype), sa.buffer(), la, sb.buffer(), lb, &mut buffer)
            .map_err(|e| map_err(op, device, e))?;
    }
    Ok(wrap(buffer, device, out_shape, dtype))
}

/// `image::rgb_to_grayscale` of a device tensor (checked by the caller:
/// last dim 3, an integer or float dtype).
pub(crate) fn rgb_to_grayscale(images: &Tensor, out_shape: Shape) -> Result<Tensor> {
    const OP: &str = "rgb_to_grayscale";
    let s = device_storage(images, OP)?;
    let device = s.device();
    let mut buffer = output(OP, device, &out_shape, images.dtype())?;
    if images.numel() > 0 {
        backend(device)?
            .rgb_to_grayscale(
                elem(images.dtype()),
                s.buffer(),
                strided(images.layout()),
                &mut buffer,
            )
            .map_err(|e| map_err(OP, device, e))?;
    }
    Ok(wrap(buffer, device, out_shape, images.dtype()))
}

/// Random samples made on `device` with the CPU's Philox stream and
/// conversions (the same key gives the same values, bit for bit), or `None`
/// when the backend refuses the parameters or the dtype: the caller then
/// runs the host path, which reports the CPU's exact error, or (should the
/// two ever disagree on validity) generates on the host and uploads, so the
/// values are the CPU's either way.
fn random(
    op: &'static str,
    device: Device,
    shape: &Shape,
    dist: Distribution,
    dtype: DType,
    key: [u32; 2],
) -> Result<Option<Tensor>> {
    let dev = backend(device)?;
    let mut buffer = output(op, device, shape, dtype)?;
    if shape.dims().iter().product::<usize>() > 0 {
        match dev.random(dist, elem(dtype), key, 0, &mut buffer) {
            Ok(()) => {}
            Err(CudaError::Unsupported(_) | CudaError::InvalidArgument(_)) => return Ok(None),
            Err(e) => return Err(map_err(op, device, e)),
        }
    }
    Ok(Some(wrap(buffer, device, shape.clone(), dtype)))
}

/// `random::normal` on the device (see [`random`] for `None`).
pub(crate) fn random_normal(
    device: Device,
    shape: &Shape,
    mean: f64,
    std: f64,
    dtype: DType,
    key: [u32; 2],
) -> Result<Option<Tensor>> {
    random(
        "random::normal",
        device,
        shape,
        Distribution::Normal { mean, std },
        dtype,
        key,
    )
}

/// `random::uniform` on the device (see [`random`] for `None`).
pub(crate) fn random_uniform(
    device: Device,
    shape: &Shape,
    low: f64,
    high: f64,
    dtype: DType,
    key: [u32; 2],
) -> Result<Option<Tensor>> {
    random(
        "random::uniform",
        device,
        shape,
        Distribution::Uniform { low, high },
        dtype,
        key,
    )
}
